-- SPDX-License-Identifier: ISC
-- 0005_bans.sql — IPS bans shared by every node (src/ips/): one row per
-- banned address (IPv4 dotted or IPv6 canonical text), until when
-- (seconds since the epoch), why, when and by whom it was made (source
-- "auto" for the detectors, "operator" for `rentport ban add`).  Each
-- node's IPS child mirrors the active rows into its web workers' shared
-- table every few seconds and writes its own automatic bans here; a row
-- removed (`rentport ban remove`) lifts the ban everywhere.  Rows expired
-- for a day are purged by the sync.

CREATE TABLE bans (
	addr		TEXT PRIMARY KEY,
	until		INTEGER NOT NULL,
	reason		TEXT NOT NULL,
	created_at	INTEGER NOT NULL,
	source		TEXT NOT NULL CHECK (source IN ('auto', 'operator'))
);
CREATE INDEX bans_until ON bans (until);
