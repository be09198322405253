/* SPDX-License-Identifier: ISC */
/*
 * customers.c — travellers' links, sessions and access passes, and the
 * corporate API keys, in auth.db (auth.h).  Only hashes of the secrets
 * are stored; SQL only through prepared statements.
 */
#include "util/common.h"
#include "auth/auth.h"
#include "auth/auth_int.h"

static const char *const kinds[] = { "link", "session", "access",
    "placement" };

static bool
printable(const char *s, size_t max, bool empty_ok)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) > max || (n == 0 && !empty_ok))
		return false;
	return rp_str_printable((struct rp_str){ s, n });
}

bool
rp_auth_order_ok(const char *s)
{
	return printable(s, RP_CUST_ORDER_MAX, false);
}

static bool
kind_ok(int kind)
{
	return kind >= RP_CUST_LINK && kind <= RP_CUST_PLACEMENT;
}

/* A token's shape: RP_CUST_TOKEN_LEN base64url characters. */
static bool
token_ok(struct rp_str t)
{
	if (t.n != RP_CUST_TOKEN_LEN)
		return false;
	for (size_t i = 0; i < t.n; i++) {
		char c = t.p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

static bool
sid_ok(const char *s)
{
	size_t n = strlen(s);

	if (n != RP_AUTH_SID_HEX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * One row: the token's hash and a public id — given (want, 16 hex) or
 * fresh — into sid (may be NULL).
 */
static int
insert(struct rp_auth_db *db, int kind, int64_t tenant_id, const char *order,
    const char *bind, struct rp_str token, const char *want, int64_t now,
    int64_t ttl_s, char sid[RP_AUTH_SID_HEX + 1])
{
	uint8_t id[8], h[crypto_hash_sha256_BYTES];
	char hex[RP_AUTH_SID_HEX + 1];
	sqlite3_stmt *s;
	int r;

	if (!kind_ok(kind) || tenant_id < 0 || ttl_s <= 0 || !token_ok(token) ||
	    !printable(order, RP_CUST_ORDER_MAX, kind == RP_CUST_ACCESS) ||
	    (kind == RP_CUST_ACCESS && order[0] != '\0') ||
	    !printable(bind, RP_CUST_BIND_MAX, true) ||
	    (want != NULL && !sid_ok(want)))
		return RP_E_INVAL;
	if (want != NULL)
		memcpy(hex, want, sizeof(hex));
	else {
		randombytes_buf(id, sizeof(id));
		sodium_bin2hex(hex, sizeof(hex), id, sizeof(id));
	}
	rp_auth_token_hash(token, h);
	if ((s = rp_auth_prep(db, "INSERT INTO cust_tokens (token_hash, sid, "
	    "kind, tenant_id, order_number, bind, created_at, expires_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")) == NULL)
		return RP_E_DB;
	sqlite3_bind_blob(s, 1, h, sizeof(h), SQLITE_STATIC);
	sqlite3_bind_text(s, 2, hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, kinds[kind], -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, tenant_id);
	sqlite3_bind_text(s, 5, order, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, bind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, now);
	sqlite3_bind_int64(s, 8, now + ttl_s);
	if ((r = rp_auth_done(s)) == 0 && sid != NULL)
		memcpy(sid, hex, sizeof(hex));
	return r;
}

int
rp_auth_cust_add(struct rp_auth_db *db, int kind, int64_t tenant_id,
    const char *order, struct rp_str token, int64_t now, int64_t ttl_s)
{
	return insert(db, kind, tenant_id, order, "", token, NULL, now, ttl_s,
	    NULL);
}

/* A random token into out, stored by insert. */
static int
insert_new(struct rp_auth_db *db, int kind, int64_t tenant_id,
    const char *order, const char *bind, const char *want, int64_t now,
    int64_t ttl_s, char out[RP_CUST_TOKEN_LEN + 1],
    char sid[RP_AUTH_SID_HEX + 1])
{
	uint8_t raw[32];
	int r;

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, RP_CUST_TOKEN_LEN + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	r = insert(db, kind, tenant_id, order, bind,
	    (struct rp_str){ out, RP_CUST_TOKEN_LEN }, want, now, ttl_s, sid);
	if (r != 0)
		sodium_memzero(out, RP_CUST_TOKEN_LEN + 1);
	return r;
}

int
rp_auth_cust_new_sid(struct rp_auth_db *db, int kind, int64_t tenant_id,
    const char *order, const char *sid, int64_t now, int64_t ttl_s,
    char out[RP_CUST_TOKEN_LEN + 1])
{
	if (sid == NULL)
		return RP_E_INVAL;
	return insert_new(db, kind, tenant_id, order, "", sid, now, ttl_s, out,
	    NULL);
}

int
rp_auth_cust_new(struct rp_auth_db *db, int kind, int64_t tenant_id,
    const char *order, const char *bind, int64_t now, int64_t ttl_s,
    char out[RP_CUST_TOKEN_LEN + 1], char sid[RP_AUTH_SID_HEX + 1])
{
	return insert_new(db, kind, tenant_id, order, bind, NULL, now, ttl_s,
	    out, sid);
}

int
rp_auth_cust_take(struct rp_auth_db *db, int kind, struct rp_str token,
    const char *bind, int64_t now, bool consume, struct rp_cust_token *t)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	sqlite3_stmt *s;
	int rc;

	memset(t, 0, sizeof(*t));
	if (!kind_ok(kind) || !token_ok(token) ||
	    !printable(bind, RP_CUST_BIND_MAX, true))
		return RP_E_NOTFOUND;
	rp_auth_token_hash(token, h);
	/* consume: one UPDATE … RETURNING, so of two racing takes one wins */
	s = rp_auth_prep(db, consume ?
	    "UPDATE cust_tokens SET used_at = ?4 WHERE token_hash = ?1 AND "
	    "kind = ?2 AND bind = ?3 AND expires_at > ?4 AND used_at = 0 "
	    "RETURNING tenant_id, order_number, sid, expires_at" :
	    "SELECT tenant_id, order_number, sid, expires_at FROM cust_tokens "
	    "WHERE token_hash = ?1 AND kind = ?2 AND bind = ?3 AND "
	    "expires_at > ?4 AND used_at = 0");
	if (s == NULL)
		return RP_E_DB;
	sqlite3_bind_blob(s, 1, h, sizeof(h), SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kinds[kind], -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, bind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		t->kind = kind;
		t->tenant_id = sqlite3_column_int64(s, 0);
		rp_auth_col_text(s, 1, t->order, sizeof(t->order));
		rp_auth_col_text(s, 2, t->sid, sizeof(t->sid));
		t->expires_at = sqlite3_column_int64(s, 3);
		rc = sqlite3_step(s);	/* finish the UPDATE */
		sqlite3_finalize(s);
		return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : RP_E_DB;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? RP_E_NOTFOUND : RP_E_DB;
}

int
rp_auth_cust_retire(struct rp_auth_db *db, int kind, int64_t tenant_id,
    const char *order, const char *keep_sid, int64_t now, uint64_t *n)
{
	sqlite3_stmt *s;
	int r;

	if (n != NULL)
		*n = 0;
	if (!kind_ok(kind) || !printable(order, RP_CUST_ORDER_MAX, false) ||
	    keep_sid == NULL)
		return RP_E_INVAL;
	if ((s = rp_auth_prep(db, "UPDATE cust_tokens SET used_at = ?4 WHERE "
	    "kind = ?1 AND tenant_id = ?2 AND order_number = ?3 AND "
	    "used_at = 0 AND expires_at > ?4 AND sid <> ?5")) == NULL)
		return RP_E_DB;
	sqlite3_bind_text(s, 1, kinds[kind], -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, tenant_id);
	sqlite3_bind_text(s, 3, order, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_text(s, 5, keep_sid, -1, SQLITE_STATIC);
	r = rp_auth_done(s);
	if (r == 0 && n != NULL)
		*n = (uint64_t)sqlite3_changes(db->db);
	return r;
}

int
rp_auth_cust_revoke(struct rp_auth_db *db, int kind, const char *sid)
{
	sqlite3_stmt *s;

	if (!kind_ok(kind) || sid == NULL)
		return RP_E_INVAL;
	if ((s = rp_auth_prep(db, "DELETE FROM cust_tokens WHERE kind = ?1 "
	    "AND sid = ?2")) == NULL)
		return RP_E_DB;
	sqlite3_bind_text(s, 1, kinds[kind], -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, sid, -1, SQLITE_STATIC);
	return rp_auth_done(s);
}

int
rp_auth_cust_purge(struct rp_auth_db *db, int64_t now)
{
	sqlite3_stmt *s;

	if ((s = rp_auth_prep(db, "DELETE FROM cust_tokens WHERE "
	    "expires_at <= ?1")) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, now);
	return rp_auth_done(s);
}

/* ---- API keys ---------------------------------------------------------- */

int
rp_auth_apikey_create(struct rp_auth_db *db, int64_t tenant_id,
    char out[RP_API_KEY_LEN + 1], int64_t *id)
{
	uint8_t raw[32], h[crypto_hash_sha256_BYTES];
	sqlite3_stmt *s;
	int r;

	out[0] = '\0';
	if (tenant_id <= 0)
		return RP_E_INVAL;
	randombytes_buf(raw, sizeof(raw));
	memcpy(out, RP_API_KEY_PREFIX, 4);
	sodium_bin2hex(out + 4, RP_API_KEY_LEN + 1 - 4, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	rp_auth_token_hash((struct rp_str){ out, RP_API_KEY_LEN }, h);
	if ((s = rp_auth_prep(db, "INSERT INTO api_keys (tenant_id, key_hash, "
	    "created_at) VALUES (?1, ?2, ?3)")) == NULL)
		r = RP_E_DB;
	else {
		sqlite3_bind_int64(s, 1, tenant_id);
		sqlite3_bind_blob(s, 2, h, sizeof(h), SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, (int64_t)time(NULL));
		r = rp_auth_done(s);
	}
	if (r != 0)
		sodium_memzero(out, RP_API_KEY_LEN + 1);
	else if (id != NULL)
		*id = sqlite3_last_insert_rowid(db->db);
	return r;
}

int
rp_auth_apikey_lookup(struct rp_auth_db *db, struct rp_str key,
    int64_t *tenant_id, int64_t *id)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	sqlite3_stmt *s;
	int rc;

	*tenant_id = *id = 0;
	if (key.n != RP_API_KEY_LEN || !rp_str_has_prefix(key,
	    RP_API_KEY_PREFIX))
		return RP_E_NOTFOUND;
	for (size_t i = 4; i < key.n; i++)
		if (!((key.p[i] >= '0' && key.p[i] <= '9') ||
		    (key.p[i] >= 'a' && key.p[i] <= 'f')))
			return RP_E_NOTFOUND;
	/* found by its hash: the lookup learns nothing of a near miss */
	rp_auth_token_hash(key, h);
	if ((s = rp_auth_prep(db, "SELECT tenant_id, id FROM api_keys WHERE "
	    "key_hash = ?1 AND revoked = 0")) == NULL)
		return RP_E_DB;
	sqlite3_bind_blob(s, 1, h, sizeof(h), SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*tenant_id = sqlite3_column_int64(s, 0);
		*id = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? RP_E_NOTFOUND :
	    RP_E_DB;
}

int
rp_auth_apikey_revoke(struct rp_auth_db *db, int64_t id)
{
	sqlite3_stmt *s;
	int r;

	if ((s = rp_auth_prep(db, "UPDATE api_keys SET revoked = 1 WHERE "
	    "id = ?1 AND revoked = 0")) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, id);
	if ((r = rp_auth_done(s)) == 0 && sqlite3_changes(db->db) != 1)
		r = RP_E_NOTFOUND;
	return r;
}
