/* SPDX-License-Identifier: ISC */
/*
 * auth_int.h — what the files of the identity holder's store share
 * (accounts.c: staff; customers.c: travellers' links, sessions, access
 * passes and the corporate API keys).  Not for use outside src/auth/.
 */
#ifndef RP_AUTH_INT_H
#define RP_AUTH_INT_H

#include <sodium.h>
#include <sqlite3.h>

#include "util/pwhash.h"
#include "util/str.h"

struct rp_auth_db {
	sqlite3 *db;
	/* checked when there is no account to check, so that an unknown
	 * name takes as long as a known one */
	char dummy[RP_PWHASH_STR_MAX];
	uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
};

/*
 * The customers' tables (customers.c), created with the staff tables.
 * cust_tokens: a bearer token (SHA-256 only) of kind link (the one-time
 * "my order" link), session (the browser session it opens) or access (a
 * corporate site's access pass), for one site (tenant_id, 0 = public) and
 * one order (its number; "" for access), bound to bind (an access pass:
 * the fingerprint of the access code's hash), with a public id (sid, 16
 * hex) that names it in capabilities and so in the access log.
 * api_keys: the corporate JSON API's keys (SHA-256 only).
 */
#define RP_AUTH_CUST_SCHEMA \
	"CREATE TABLE IF NOT EXISTS cust_tokens (" \
	" token_hash BLOB PRIMARY KEY," \
	" sid TEXT NOT NULL UNIQUE," \
	" kind TEXT NOT NULL," \
	" tenant_id INTEGER NOT NULL," \
	" order_number TEXT NOT NULL DEFAULT ''," \
	" bind TEXT NOT NULL DEFAULT ''," \
	" created_at INTEGER NOT NULL," \
	" expires_at INTEGER NOT NULL," \
	" used_at INTEGER NOT NULL DEFAULT 0);" \
	"CREATE INDEX IF NOT EXISTS cust_tokens_order ON cust_tokens" \
	" (kind, tenant_id, order_number);" \
	"CREATE INDEX IF NOT EXISTS cust_tokens_expires ON cust_tokens" \
	" (expires_at);" \
	"CREATE TABLE IF NOT EXISTS api_keys (" \
	" id INTEGER PRIMARY KEY," \
	" tenant_id INTEGER NOT NULL," \
	" key_hash BLOB NOT NULL UNIQUE," \
	" created_at INTEGER NOT NULL," \
	" revoked INTEGER NOT NULL DEFAULT 0);"

/* A prepared statement (NULL: logged); one step then finalize: 0,
 * RP_E_EXISTS (a constraint), RP_E_DB. */
sqlite3_stmt *rp_auth_prep(struct rp_auth_db *db, const char *sql);
int rp_auth_done(sqlite3_stmt *s);
void rp_auth_col_text(sqlite3_stmt *s, int i, char *dst, size_t cap);
void rp_auth_token_hash(struct rp_str token,
    uint8_t out[crypto_hash_sha256_BYTES]);

#endif
