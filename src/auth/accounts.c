/* SPDX-License-Identifier: ISC */
/*
 * accounts.c — DATA/auth/auth.db: staff accounts, sessions, enrolment
 * tickets.  See auth.h.  SQL only through prepared statements.
 */
#include "util/common.h"
#include "auth/auth.h"
#include "auth/auth_int.h"
#include "alog/entry.h"
#include "util/keyfile.h"
#include "util/log.h"
#include "util/pwhash.h"

#include <assert.h>

#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOTP_LEN	20	/* RFC 4226's recommended 160-bit secret */
#define SEAL_LEN	(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + \
	TOTP_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES)

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS staff ("
	" id INTEGER PRIMARY KEY,"
	" username TEXT NOT NULL UNIQUE,"
	" role TEXT NOT NULL,"
	" tenant_id INTEGER NOT NULL DEFAULT 0,"
	" counters TEXT NOT NULL DEFAULT '',"
	" pw_hash TEXT NOT NULL,"
	" totp_sealed BLOB NOT NULL,"
	" totp_enrolled INTEGER NOT NULL DEFAULT 0,"
	" totp_last_step INTEGER NOT NULL DEFAULT 0,"
	" disabled INTEGER NOT NULL DEFAULT 0,"
	" failures INTEGER NOT NULL DEFAULT 0,"
	" locked_until INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS sessions ("
	" sid TEXT PRIMARY KEY,"
	" token_hash BLOB NOT NULL UNIQUE,"
	" staff_id INTEGER NOT NULL REFERENCES staff (id),"
	" kind TEXT NOT NULL,"		/* console | api | enrol */
	" client TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS sessions_staff ON sessions (staff_id);"
	RP_AUTH_CUST_SCHEMA;

static const char *const role_names[RP_STAFF_COUNT] = {
	"backoffice", "counter", "security", "incident", "client_admin"
};

const char *
rp_staff_role_name(int v)
{
	return v >= 0 && v < RP_STAFF_COUNT ? role_names[v] : NULL;
}

int
rp_staff_role_parse(const char *s, int *out)
{
	for (int i = 0; i < RP_STAFF_COUNT; i++)
		if (strcmp(s, role_names[i]) == 0) {
			*out = i;
			return 0;
		}
	return RP_E_INVAL;
}

unsigned
rp_staff_alog_role(int role)
{
	switch (role) {
	case RP_STAFF_BACKOFFICE: return RP_ROLE_BACKOFFICE;
	case RP_STAFF_COUNTER: return RP_ROLE_COUNTER;
	case RP_STAFF_SECURITY: return RP_ROLE_SECURITY;
	case RP_STAFF_INCIDENT: return RP_ROLE_INCIDENT;
	case RP_STAFF_CLIENT_ADMIN: return RP_ROLE_CLIENT_ADMIN;
	}
	return RP_ROLE_NONE;
}

bool
rp_auth_user_ok(struct rp_str u)
{
	if (u.n == 0 || u.n > RP_AUTH_USER_MAX)
		return false;
	for (size_t i = 0; i < u.n; i++) {
		char c = u.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (i > 0 && (c == '.' || c == '_' || c == '-'))))
			return false;
	}
	return true;
}

static bool
counters_ok(const char *s)
{
	size_t n = strlen(s);

	if (n > RP_AUTH_COUNTERS_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' &&
		    s[i] <= '9') || (s[i] == ',' && i > 0 && i + 1 < n &&
		    s[i + 1] != ',')))
			return false;
	return true;
}

int
rp_auth_db_open(const char *data_dir, struct rp_auth_db **out)
{
	struct rp_auth_db *db;
	char path[1200];
	char *err = NULL;
	int fd, r = RP_E_DB;

	*out = NULL;
	if (sodium_init() < 0)
		return RP_E_STATE;
	snprintf(path, sizeof(path), "%s/auth", data_dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return RP_E_IO;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return RP_E_NOMEM;
	snprintf(path, sizeof(path), "%s/auth/totp.key", data_dir);
	if ((r = rp_keyfile_make(path, db->key, sizeof(db->key), 0600, 0077,
	    NULL)) != 0) {
		rp_log_error("auth: the TOTP sealing key %s is unusable (%s)",
		    path, rp_strerror(r));
		free(db);
		return r;
	}
	{
		uint8_t raw[16];
		char hex[33];

		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
		r = rp_pwhash_str(db->dummy, rp_str_c(hex));
		sodium_memzero(hex, sizeof(hex));
		if (r != 0)
			goto fail;
	}
	r = RP_E_DB;
	snprintf(path, sizeof(path), "%s/auth/auth.db", data_dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0) {
		r = RP_E_IO;
		goto fail;
	}
	close(fd);
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(db->db, 5000);
	{
		int one = 1;	/* -wal and -shm stay (their owner is set once) */

		(void)sqlite3_file_control(db->db, "main",
		    SQLITE_FCNTL_PERSIST_WAL, &one);
	}
	if (sqlite3_exec(db->db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA temp_store=MEMORY;PRAGMA synchronous=NORMAL;"
	    "PRAGMA secure_delete=ON;PRAGMA foreign_keys=ON;", NULL, NULL,
	    &err) != SQLITE_OK || sqlite3_exec(db->db, schema, NULL, NULL,
	    &err) != SQLITE_OK) {
		rp_log_error("auth: auth.db: %s", err ? err : "cannot open");
		sqlite3_free(err);
		goto fail;
	}
	*out = db;
	return 0;
 fail:
	rp_auth_db_close(db);
	return r;
}

int
rp_auth_prepare(const char *data_dir)
{
	uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	char path[1200];
	int r;

	snprintf(path, sizeof(path), "%s/auth", data_dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return RP_E_IO;
	snprintf(path, sizeof(path), "%s/auth/totp.key", data_dir);
	r = rp_keyfile_make(path, key, sizeof(key), 0600, 0077, NULL);
	sodium_memzero(key, sizeof(key));
	return r;
}

void
rp_auth_db_close(struct rp_auth_db *db)
{
	if (db == NULL)
		return;
	sqlite3_close(db->db);
	sodium_memzero(db->key, sizeof(db->key));
	free(db);
}

/* ---- helpers ----------------------------------------------------------- */

sqlite3_stmt *
rp_auth_prep(struct rp_auth_db *db, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db->db, sql, -1, &s, NULL) != SQLITE_OK) {
		rp_log_error("auth: %s", sqlite3_errmsg(db->db));
		return NULL;
	}
	return s;
}

int
rp_auth_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 0;
	return rc == SQLITE_CONSTRAINT ? RP_E_EXISTS : RP_E_DB;
}

void
rp_auth_col_text(sqlite3_stmt *s, int i, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

#define ACCT_COLS "id, username, role, tenant_id, counters, disabled, " \
	"totp_enrolled, failures, locked_until, created_at"

static int
read_acct(sqlite3_stmt *s, int base, struct rp_staff_account *a)
{
	char role[32];

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, base);
	rp_auth_col_text(s, base + 1, a->username, sizeof(a->username));
	rp_auth_col_text(s, base + 2, role, sizeof(role));
	if (rp_staff_role_parse(role, &a->role) != 0)
		return RP_E_DB;
	a->tenant_id = sqlite3_column_int64(s, base + 3);
	rp_auth_col_text(s, base + 4, a->counters, sizeof(a->counters));
	a->disabled = sqlite3_column_int(s, base + 5) != 0;
	a->enrolled = sqlite3_column_int(s, base + 6) != 0;
	a->failures = sqlite3_column_int(s, base + 7);
	a->locked_until = sqlite3_column_int64(s, base + 8);
	a->created_at = sqlite3_column_int64(s, base + 9);
	return 0;
}

static int64_t
wall(void)
{
	return (int64_t)time(NULL);
}

static void
random_password(char *out, size_t cap)
{
	static const char a[] = "abcdefghjkmnpqrstuvwxyz23456789";
	unsigned char raw[16];
	size_t j = 0;

	assert(cap >= 20);
	randombytes_buf(raw, sizeof(raw));
	for (size_t i = 0; i < 16; i++) {
		if (i && i % 4 == 0)
			out[j++] = '-';
		out[j++] = a[raw[i] % (sizeof(a) - 1)];
	}
	out[j] = '\0';
	sodium_memzero(raw, sizeof(raw));
}

static int
seal_totp(struct rp_auth_db *db, const char *user, const uint8_t *secret,
    uint8_t out[SEAL_LEN])
{
	uint8_t *nonce = out;

	randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out +
	    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, NULL, secret,
	    TOTP_LEN, (const uint8_t *)user, strlen(user), NULL, nonce,
	    db->key);
	return 0;
}

static int
open_totp(struct rp_auth_db *db, const char *user, const void *blob,
    size_t n, uint8_t secret[TOTP_LEN])
{
	const uint8_t *b = blob;

	if (b == NULL || n != SEAL_LEN ||
	    crypto_aead_xchacha20poly1305_ietf_decrypt(secret, NULL, NULL,
	    b + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	    n - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	    (const uint8_t *)user, strlen(user), b, db->key) != 0)
		return RP_E_STATE;
	return 0;
}

/* A new secret, sealed into blob, its base32 into b32. */
static int
new_totp(struct rp_auth_db *db, const char *user, uint8_t blob[SEAL_LEN],
    char b32[RP_AUTH_TOTP_B32_MAX + 1])
{
	uint8_t secret[TOTP_LEN];
	int r;

	randombytes_buf(secret, sizeof(secret));
	r = rp_totp_b32(secret, sizeof(secret), b32, RP_AUTH_TOTP_B32_MAX + 1);
	if (r == 0)
		r = seal_totp(db, user, secret, blob);
	sodium_memzero(secret, sizeof(secret));
	return r;
}

/* Room for item k of an array growing by doubling: 0 or RP_E_NOMEM. */
static int
grow(void **v, size_t *cap, size_t k, size_t size, size_t first)
{
	void *nv;

	if (k < *cap)
		return 0;
	if ((nv = realloc(*v, (*cap ? *cap * 2 : first) * size)) == NULL)
		return RP_E_NOMEM;
	*v = nv;
	*cap = *cap ? *cap * 2 : first;
	return 0;
}

/* ---- accounts ---------------------------------------------------------- */

int
rp_auth_staff_add(struct rp_auth_db *db, const char *username, int role,
    int64_t tenant_id, const char *counters, const char *password,
    char *pw_out, size_t pw_cap, char b32_out[RP_AUTH_TOTP_B32_MAX + 1])
{
	char hash[RP_PWHASH_STR_MAX], pw[64];
	uint8_t blob[SEAL_LEN];
	sqlite3_stmt *s;
	int r;

	if (counters == NULL)
		counters = "";
	if (!rp_auth_user_ok(rp_str_c(username)) ||
	    rp_staff_role_name(role) == NULL ||
	    (role == RP_STAFF_CLIENT_ADMIN) != (tenant_id > 0) ||
	    tenant_id < 0 || (role != RP_STAFF_COUNTER && counters[0] != '\0') ||
	    !counters_ok(counters))
		return RP_E_INVAL;
	if (password == NULL) {
		if (pw_out == NULL || pw_cap < 20)
			return RP_E_INVAL;
		random_password(pw, sizeof(pw));
		password = pw;
	}
	if ((r = rp_pwhash_str(hash, rp_str_c(password))) != 0)
		goto out;
	if ((r = new_totp(db, username, blob, b32_out)) != 0)
		goto out;
	if ((s = rp_auth_prep(db, "INSERT INTO staff (username, role, tenant_id, "
	    "counters, pw_hash, totp_sealed, created_at) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7)")) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sqlite3_bind_text(s, 1, username, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, rp_staff_role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, tenant_id);
	sqlite3_bind_text(s, 4, counters, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, hash, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, blob, sizeof(blob), SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, wall());
	r = rp_auth_done(s);
	if (r == 0 && password == pw)
		snprintf(pw_out, pw_cap, "%s", pw);
 out:
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(hash, sizeof(hash));
	return r;
}

int
rp_auth_staff_get(struct rp_auth_db *db, const char *username,
    struct rp_staff_account *a)
{
	sqlite3_stmt *s;
	int r = RP_E_NOTFOUND, rc;

	if ((s = rp_auth_prep(db, "SELECT " ACCT_COLS " FROM staff WHERE "
	    "username = ?1")) == NULL)
		return RP_E_DB;
	sqlite3_bind_text(s, 1, username, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		r = read_acct(s, 0, a);
	else if (rc != SQLITE_DONE)
		r = RP_E_DB;
	sqlite3_finalize(s);
	return r;
}

int
rp_auth_staff_list(struct rp_auth_db *db, struct rp_staff_account **out,
    size_t *n)
{
	struct rp_staff_account *v = NULL;
	size_t cap = 0, k = 0;
	sqlite3_stmt *s;
	int rc, r = 0;

	*out = NULL;
	*n = 0;
	if ((s = rp_auth_prep(db, "SELECT " ACCT_COLS " FROM staff ORDER BY "
	    "username")) == NULL)
		return RP_E_DB;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((r = grow((void **)&v, &cap, k, sizeof(*v), 16)) != 0 ||
		    (r = read_acct(s, 0, &v[k++])) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = RP_E_DB;
	sqlite3_finalize(s);
	if (r != 0) {
		free(v);
		return r;
	}
	*out = v;
	*n = k;
	return 0;
}

static int
end_sessions(struct rp_auth_db *db, int64_t staff_id)
{
	sqlite3_stmt *s;

	if ((s = rp_auth_prep(db, "UPDATE sessions SET revoked = 1 WHERE "
	    "staff_id = ?1")) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, staff_id);
	return rp_auth_done(s);
}

/* Runs an UPDATE of one account by username; RP_E_NOTFOUND if none. */
static int
update_acct(struct rp_auth_db *db, const char *username, const char *sql,
    const char *text, const void *blob, size_t bloblen, int64_t num)
{
	struct rp_staff_account a;
	sqlite3_stmt *s;
	int r;

	if ((r = rp_auth_staff_get(db, username, &a)) != 0)
		return r;
	if ((s = rp_auth_prep(db, sql)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, a.id);
	if (text != NULL)
		sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
	else if (blob != NULL)
		sqlite3_bind_blob(s, 2, blob, (int)bloblen, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 2, num);
	if ((r = rp_auth_done(s)) != 0)
		return r;
	return end_sessions(db, a.id);
}

int
rp_auth_staff_disable(struct rp_auth_db *db, const char *username,
    bool disabled)
{
	return update_acct(db, username, "UPDATE staff SET disabled = ?2 "
	    "WHERE id = ?1", NULL, NULL, 0, disabled ? 1 : 0);
}

int
rp_auth_staff_reset(struct rp_auth_db *db, const char *username,
    const char *password, char *pw_out, size_t pw_cap)
{
	char hash[RP_PWHASH_STR_MAX], pw[64];
	int r;

	if (password == NULL) {
		if (pw_out == NULL || pw_cap < 20)
			return RP_E_INVAL;
		random_password(pw, sizeof(pw));
	} else
		snprintf(pw, sizeof(pw), "%s", password);
	if ((r = rp_pwhash_str(hash, rp_str_c(pw))) == 0)
		r = update_acct(db, username, "UPDATE staff SET pw_hash = ?2, "
		    "failures = 0, locked_until = 0 WHERE id = ?1", hash, NULL,
		    0, 0);
	if (r == 0 && password == NULL)
		snprintf(pw_out, pw_cap, "%s", pw);
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(hash, sizeof(hash));
	return r;
}

int
rp_auth_staff_totp_reset(struct rp_auth_db *db, const char *username,
    char b32_out[RP_AUTH_TOTP_B32_MAX + 1])
{
	uint8_t blob[SEAL_LEN];
	int r;

	if (!rp_auth_user_ok(rp_str_c(username)))
		return RP_E_NOTFOUND;
	if ((r = new_totp(db, username, blob, b32_out)) != 0)
		return r;
	return update_acct(db, username, "UPDATE staff SET totp_sealed = ?2, "
	    "totp_enrolled = 0, totp_last_step = 0 WHERE id = ?1", NULL, blob,
	    sizeof(blob), 0);
}

/* ---- sign-in ------------------------------------------------------------ */

/* The secrets of an account, for the check. */
struct secrets {
	struct rp_staff_account a;
	char pw_hash[RP_PWHASH_STR_MAX];
	uint8_t totp[TOTP_LEN];
	bool have_totp;
	int64_t last_step;
};

static int
load_secrets(struct rp_auth_db *db, const char *user, struct secrets *sc)
{
	sqlite3_stmt *s;
	int rc, r = RP_E_NOTFOUND;

	memset(sc, 0, sizeof(*sc));
	if ((s = rp_auth_prep(db, "SELECT " ACCT_COLS ", pw_hash, totp_sealed, "
	    "totp_last_step FROM staff WHERE username = ?1")) == NULL)
		return RP_E_DB;
	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r = read_acct(s, 0, &sc->a);
		rp_auth_col_text(s, 10, sc->pw_hash, sizeof(sc->pw_hash));
		if (r == 0 && open_totp(db, user, sqlite3_column_blob(s, 11),
		    (size_t)sqlite3_column_bytes(s, 11), sc->totp) == 0)
			sc->have_totp = true;
		sc->last_step = sqlite3_column_int64(s, 12);
	} else if (rc != SQLITE_DONE)
		r = RP_E_DB;
	sqlite3_finalize(s);
	return r;
}

static void
secrets_wipe(struct secrets *sc)
{
	sodium_memzero(sc, sizeof(*sc));
}

static void
note_failure(struct rp_auth_db *db, const struct rp_staff_account *a,
    int64_t now)
{
	sqlite3_stmt *s;
	int f = a->failures + 1;
	int64_t until = 0;

	if (f >= RP_AUTH_LOCK_FREE) {
		int sh = f - RP_AUTH_LOCK_FREE;

		until = now + (sh >= 9 ? RP_AUTH_LOCK_MAX_S :
		    (1 << sh) < RP_AUTH_LOCK_MAX_S ? (1 << sh) :
		    RP_AUTH_LOCK_MAX_S);
	}
	if ((s = rp_auth_prep(db, "UPDATE staff SET failures = ?2, locked_until = ?3 "
	    "WHERE id = ?1")) == NULL)
		return;
	sqlite3_bind_int64(s, 1, a->id);
	sqlite3_bind_int(s, 2, f);
	sqlite3_bind_int64(s, 3, until);
	(void)rp_auth_done(s);
}

void
rp_auth_token_hash(struct rp_str token, uint8_t out[crypto_hash_sha256_BYTES])
{
	crypto_hash_sha256(out, (const uint8_t *)token.p, token.n);
}

/* A new session (or enrolment ticket) row; the token into out. */
static int
new_session(struct rp_auth_db *db, const struct rp_staff_account *a,
    const char *kind, const char *client, int64_t now, int64_t idle_s,
    int64_t life_s, struct rp_auth_login *out)
{
	uint8_t raw[32], sid[8], h[crypto_hash_sha256_BYTES];
	char hex[65];
	sqlite3_stmt *s;
	int r;

	randombytes_buf(raw, sizeof(raw));
	randombytes_buf(sid, sizeof(sid));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	snprintf(out->token, sizeof(out->token), RP_AUTH_TOKEN_PREFIX "%s",
	    hex);
	sodium_bin2hex(out->s.sid, sizeof(out->s.sid), sid, sizeof(sid));
	rp_auth_token_hash(rp_str_c(out->token), h);
	out->s.who = *a;
	out->s.created_at = out->s.last_seen = now;
	out->s.expires_at = now + life_s;
	out->s.idle_until = now + (idle_s < life_s ? idle_s : life_s);
	snprintf(out->s.client, sizeof(out->s.client), "%s", client);
	snprintf(out->s.kind, sizeof(out->s.kind), "%s", kind);
	if ((s = rp_auth_prep(db, "INSERT INTO sessions (sid, token_hash, staff_id, "
	    "kind, client, created_at, last_seen, expires_at) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)")) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sqlite3_bind_text(s, 1, out->s.sid, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, h, sizeof(h), SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, a->id);
	sqlite3_bind_text(s, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, client, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, now);
	sqlite3_bind_int64(s, 7, out->s.expires_at);
	r = rp_auth_done(s);
 out:
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(hex, sizeof(hex));
	return r;
}

/* Success: failures cleared, the code's step remembered, enrolled. */
static int
note_success(struct rp_auth_db *db, int64_t id, int64_t step)
{
	sqlite3_stmt *s;

	if ((s = rp_auth_prep(db, "UPDATE staff SET failures = 0, locked_until = 0, "
	    "totp_last_step = ?2, totp_enrolled = 1 WHERE id = ?1")) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, step);
	return rp_auth_done(s);
}

/* The time of a password check, spent when there is nothing to check. */
static void
burn(struct rp_auth_db *db, struct rp_str password)
{
	if (rp_pwhash_verify(db->dummy, password) == 0)
		rp_log_debug("auth: the dummy hash matched");
}

int
rp_auth_signin(struct rp_auth_db *db, struct rp_str user,
    struct rp_str password, struct rp_str code, const char *kind,
    const char *client, bool allow_enrol, int64_t now, int64_t idle_s,
    int64_t life_s, struct rp_auth_login *out)
{
	char name[RP_AUTH_USER_MAX + 1];
	struct secrets sc;
	int64_t step = 0;
	bool pw_ok, code_ok = false;
	int r;

	memset(out, 0, sizeof(*out));
	if (!rp_auth_user_ok(user)) {
		burn(db, password);	/* same time */
		return RP_E_DENIED;
	}
	memcpy(name, user.p, user.n);
	name[user.n] = '\0';
	if ((r = load_secrets(db, name, &sc)) != 0) {
		burn(db, password);
		secrets_wipe(&sc);
		return r == RP_E_NOTFOUND ? RP_E_DENIED : r;
	}
	if (sc.a.disabled || now < sc.a.locked_until) {
		burn(db, password);
		secrets_wipe(&sc);
		return RP_E_DENIED;
	}
	pw_ok = rp_pwhash_verify(sc.pw_hash, password) == 0;
	if (sc.have_totp && code.n > 0)
		code_ok = rp_totp_check(sc.totp, TOTP_LEN, code, now,
		    sc.last_step, &step) == 0;
	if (pw_ok && code_ok) {
		r = note_success(db, sc.a.id, step);
		if (r == 0)
			r = new_session(db, &sc.a, kind, client, now, idle_s,
			    life_s, out);
	} else if (pw_ok && code.n == 0 && !sc.a.enrolled && allow_enrol &&
	    sc.have_totp) {
		/* the password alone opens an enrolment, nothing more */
		char b32[RP_AUTH_TOTP_B32_MAX + 1];

		r = new_session(db, &sc.a, "enrol", client, now,
		    RP_AUTH_ENROL_S, RP_AUTH_ENROL_S, out);
		if (r == 0 && (r = rp_totp_b32(sc.totp, TOTP_LEN, b32,
		    sizeof(b32))) == 0)
			r = rp_totp_uri(name, b32, out->uri, sizeof(out->uri));
		sodium_memzero(b32, sizeof(b32));
		if (r == 0)
			r = RP_E_STATE;
	} else {
		note_failure(db, &sc.a, now);
		r = RP_E_DENIED;
	}
	secrets_wipe(&sc);
	if (r != 0 && r != RP_E_STATE)
		sodium_memzero(out, sizeof(*out));
	return r;
}

/* The session row of token (any kind); the account with it. */
static int
find_session(struct rp_auth_db *db, struct rp_str token,
    struct rp_auth_session *ss, int64_t *idle_base)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	sqlite3_stmt *s;
	int rc, r = RP_E_NOTFOUND;

	memset(ss, 0, sizeof(*ss));
	if (token.n != RP_AUTH_TOKEN_LEN ||
	    memcmp(token.p, RP_AUTH_TOKEN_PREFIX, 4) != 0)
		return RP_E_NOTFOUND;
	rp_auth_token_hash(token, h);
	if ((s = rp_auth_prep(db, "SELECT s.sid, s.kind, s.client, s.created_at, "
	    "s.last_seen, s.expires_at, s.revoked, " "st.id, st.username, "
	    "st.role, st.tenant_id, st.counters, st.disabled, "
	    "st.totp_enrolled, st.failures, st.locked_until, st.created_at "
	    "FROM sessions s JOIN staff st ON st.id = s.staff_id "
	    "WHERE s.token_hash = ?1")) == NULL)
		return RP_E_DB;
	sqlite3_bind_blob(s, 1, h, sizeof(h), SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		rp_auth_col_text(s, 0, ss->sid, sizeof(ss->sid));
		rp_auth_col_text(s, 1, ss->kind, sizeof(ss->kind));
		rp_auth_col_text(s, 2, ss->client, sizeof(ss->client));
		ss->created_at = sqlite3_column_int64(s, 3);
		ss->last_seen = sqlite3_column_int64(s, 4);
		ss->expires_at = sqlite3_column_int64(s, 5);
		ss->revoked = sqlite3_column_int(s, 6) != 0;
		r = read_acct(s, 7, &ss->who);
		*idle_base = ss->last_seen;
	} else if (rc != SQLITE_DONE)
		r = RP_E_DB;
	sqlite3_finalize(s);
	return r;
}

int
rp_auth_enrol(struct rp_auth_db *db, struct rp_str ticket,
    struct rp_str code, const char *kind, const char *client, int64_t now,
    int64_t idle_s, int64_t life_s, struct rp_auth_login *out)
{
	struct rp_auth_session t;
	struct secrets sc;
	int64_t base, step;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = find_session(db, ticket, &t, &base)) != 0)
		return r == RP_E_NOTFOUND ? RP_E_DENIED : r;
	if (strcmp(t.kind, "enrol") != 0 || t.revoked || now >= t.expires_at ||
	    t.who.disabled)
		return RP_E_DENIED;
	if ((r = load_secrets(db, t.who.username, &sc)) != 0) {
		secrets_wipe(&sc);
		return RP_E_DENIED;
	}
	if (!sc.have_totp || rp_totp_check(sc.totp, TOTP_LEN, code, now,
	    sc.last_step, &step) != 0) {
		note_failure(db, &sc.a, now);
		secrets_wipe(&sc);
		return RP_E_DENIED;
	}
	if ((r = note_success(db, sc.a.id, step)) == 0)
		r = rp_auth_signout(db, ticket);
	if (r == 0)
		r = new_session(db, &sc.a, kind, client, now, idle_s, life_s,
		    out);
	secrets_wipe(&sc);
	return r;
}

int
rp_auth_session_get(struct rp_auth_db *db, struct rp_str token,
    int64_t now, int64_t idle_s, struct rp_auth_session *s)
{
	int64_t base = 0;
	sqlite3_stmt *st;
	int r;

	if ((r = find_session(db, token, s, &base)) != 0)
		return r;
	if (strcmp(s->kind, "enrol") == 0)
		return RP_E_NOTFOUND;
	if (s->revoked || s->who.disabled || now >= s->expires_at ||
	    now >= base + idle_s)
		return RP_E_EXPIRED;
	s->last_seen = now;
	s->idle_until = now + idle_s < s->expires_at ? now + idle_s :
	    s->expires_at;
	if ((st = rp_auth_prep(db, "UPDATE sessions SET last_seen = ?2 WHERE "
	    "sid = ?1")) == NULL)
		return RP_E_DB;
	sqlite3_bind_text(st, 1, s->sid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	return rp_auth_done(st);
}

int
rp_auth_signout(struct rp_auth_db *db, struct rp_str token)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	sqlite3_stmt *s;
	int r;

	if (token.n != RP_AUTH_TOKEN_LEN)
		return RP_E_NOTFOUND;
	rp_auth_token_hash(token, h);
	if ((s = rp_auth_prep(db, "UPDATE sessions SET revoked = 1 WHERE "
	    "token_hash = ?1 AND revoked = 0")) == NULL)
		return RP_E_DB;
	sqlite3_bind_blob(s, 1, h, sizeof(h), SQLITE_STATIC);
	if ((r = rp_auth_done(s)) != 0)
		return r;
	return sqlite3_changes(db->db) > 0 ? 0 : RP_E_NOTFOUND;
}

int
rp_auth_sessions(struct rp_auth_db *db, int64_t staff_id, int64_t now,
    struct rp_auth_session **out, size_t *n)
{
	struct rp_auth_session *v = NULL;
	size_t k = 0, cap = 0;
	sqlite3_stmt *s;
	int rc, r = 0;

	*out = NULL;
	*n = 0;
	if ((s = rp_auth_prep(db, "SELECT sid, kind, client, created_at, last_seen, "
	    "expires_at FROM sessions WHERE staff_id = ?1 AND revoked = 0 "
	    "AND kind <> 'enrol' AND expires_at > ?2 ORDER BY created_at DESC, "
	    "sid LIMIT 100")) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, staff_id);
	sqlite3_bind_int64(s, 2, now);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((r = grow((void **)&v, &cap, k, sizeof(*v), 8)) != 0)
			break;
		memset(&v[k], 0, sizeof(v[k]));
		rp_auth_col_text(s, 0, v[k].sid, sizeof(v[k].sid));
		rp_auth_col_text(s, 1, v[k].kind, sizeof(v[k].kind));
		rp_auth_col_text(s, 2, v[k].client, sizeof(v[k].client));
		v[k].created_at = sqlite3_column_int64(s, 3);
		v[k].last_seen = sqlite3_column_int64(s, 4);
		v[k].expires_at = sqlite3_column_int64(s, 5);
		k++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = RP_E_DB;
	sqlite3_finalize(s);
	if (r != 0) {
		free(v);
		return r;
	}
	*out = v;
	*n = k;
	return 0;
}

int
rp_auth_revoke(struct rp_auth_db *db, int64_t staff_id, const char *sid)
{
	sqlite3_stmt *s;
	int r;

	if ((s = rp_auth_prep(db, "UPDATE sessions SET revoked = 1 WHERE sid = ?1 "
	    "AND staff_id = ?2 AND revoked = 0")) == NULL)
		return RP_E_DB;
	sqlite3_bind_text(s, 1, sid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, staff_id);
	if ((r = rp_auth_done(s)) != 0)
		return r;
	return sqlite3_changes(db->db) > 0 ? 0 : RP_E_NOTFOUND;
}
