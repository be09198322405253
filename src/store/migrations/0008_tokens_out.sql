-- SPDX-License-Identifier: ISC
-- 0008_tokens_out.sql — the travellers' tokens ("my order" links, their
-- sessions, corporate access passes: web_tokens of 0003/0006) and the
-- corporate API keys' hashes (api_keys of 0002) leave the core store
-- (issue 11): the identity holder keeps them (DATA/auth/auth.db,
-- src/auth/customers.c), out of the web tier's write reach, and vouches for
-- them with capabilities the vault checks.  Links and sessions still out
-- end (a traveller asks for a new link); API keys are made again.

DROP TABLE IF EXISTS web_tokens;
DROP TABLE IF EXISTS api_keys;
