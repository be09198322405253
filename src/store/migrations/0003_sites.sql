-- SPDX-License-Identifier: ISC
-- 0003_sites.sql — what the ordering sites need beyond the API.
--
-- order_ids: an order's id (and so its number) is reserved before the
-- traveller goes to the vault, so that the vault can bind the record to
-- the order number (the public site may then read it back only for that
-- order).  A row lives until the order is inserted.
-- orders.lang: the language the customer ordered in (mail is sent in it).
-- orders.employee_no / cost_centre: a corporate client's billing
-- references, typed by its employee; codes the client issues, kept for
-- its monthly invoice.  The department (personal) goes to the vault.
-- web_tokens: bearer tokens of the sites, kept only as SHA-256: "link" is
-- the one-time "my order" link e-mailed to a traveller, "session" the
-- browser session it opens (one order), "access" a passed corporate access
-- code.  tenant_id 0 is the public site.

CREATE TABLE order_ids (
	id		INTEGER PRIMARY KEY,
	created_at	INTEGER NOT NULL
);

ALTER TABLE orders ADD COLUMN lang TEXT NOT NULL DEFAULT 'ja';
ALTER TABLE orders ADD COLUMN employee_no TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN cost_centre TEXT NOT NULL DEFAULT '';

CREATE TABLE web_tokens (
	token_hash	BLOB PRIMARY KEY CHECK (length(token_hash) = 32),
	kind		TEXT NOT NULL CHECK (kind IN ('link', 'session', 'access')),
	tenant_id	INTEGER NOT NULL,
	order_id	INTEGER NOT NULL DEFAULT 0,
	created_at	INTEGER NOT NULL,
	expires_at	INTEGER NOT NULL,
	used_at		INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX web_tokens_expires ON web_tokens (expires_at);
