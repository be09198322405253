-- SPDX-License-Identifier: ISC
-- 0002_api.sql — per-tenant API keys and idempotency records for the
-- order service (src/order/) and the JSON API.
--
-- api_keys: only the SHA-256 of a key is kept; the key text ("rpk_" + 64
-- hex) is shown once, when it is created, and never stored.
-- idempotency_keys: one row per (tenant, Idempotency-Key); tenant_id 0 is
-- the public site (no tenants row, so no foreign key).  A row with an empty
-- number is a placement in progress; it gets the order's number, status and
-- total when the order exists, or is deleted if the placement failed.

CREATE TABLE api_keys (
	id		INTEGER PRIMARY KEY,
	tenant_id	INTEGER NOT NULL REFERENCES tenants (id),
	key_hash	BLOB NOT NULL UNIQUE CHECK (length(key_hash) = 32),
	created_at	INTEGER NOT NULL,
	revoked		INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE idempotency_keys (
	tenant_id	INTEGER NOT NULL,		-- 0: public site
	key		TEXT NOT NULL,
	request_hash	BLOB NOT NULL CHECK (length(request_hash) = 32),
	number		TEXT NOT NULL DEFAULT '',	-- '' = in progress
	status		TEXT NOT NULL DEFAULT '',
	total_yen	INTEGER NOT NULL DEFAULT 0,
	created_at	INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
