-- SPDX-License-Identifier: ISC
-- 0007_staff_out.sql — staff logins leave the core store (issue 11): they
-- live with the identity holder (DATA/auth/auth.db, src/auth/), out of the
-- web tier's write reach.  The table held only usernames, roles and
-- argon2id hashes; accounts are made again with `rentport staff add` (the
-- demo seed makes its own).

DROP TABLE IF EXISTS staff;
