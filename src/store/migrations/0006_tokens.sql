-- SPDX-License-Identifier: ISC
-- 0006_tokens.sql — what the site tokens of 0003 were missing (issue 10).
--
-- web_tokens.bind: what a token is bound to beyond its tenant, compared
-- on every use; "" for none.  An access pass carries a fingerprint of the
-- corporate access code's hash as it was when the pass was issued, so a
-- new code (a new argon2id string in the tenant's settings) ends every
-- pass given for the old one.
-- web_tokens_order: the "my order" tokens of one order on one site, for
-- retiring the older links when a new link is mailed or a link is used.

ALTER TABLE web_tokens ADD COLUMN bind TEXT NOT NULL DEFAULT '';
CREATE INDEX web_tokens_order ON web_tokens (tenant_id, order_id, kind);
