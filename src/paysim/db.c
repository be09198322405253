/* SPDX-License-Identifier: ISC */
/*
 * db.c — paysim's SQLite database, DATA/paysim/paysim.db (0600, WAL): the
 * schema, prepared-statement helpers and the small settings table (the
 * sandbox clock, chaos, faults, webhook endpoint), so that a restarted
 * sandbox carries on where it stopped.  One connection, used only with
 * the sandbox mutex held.  Card numbers are stored only as ciphertext
 * (card.c); everything else here is what a PSP returns to merchants.
 */
#include "util/common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "paysim/paysim_int.h"
#include "util/log.h"

static const char schema[] =
	"PRAGMA journal_mode = WAL;"
	"PRAGMA synchronous = NORMAL;"
	"PRAGMA secure_delete = ON;"
	"CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS cards (id TEXT PRIMARY KEY, nonce BLOB "
	"  NOT NULL, pan_enc BLOB NOT NULL, brand TEXT NOT NULL, last4 TEXT "
	"  NOT NULL, exp_month INTEGER NOT NULL, exp_year INTEGER NOT NULL, "
	"  fingerprint TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS tokens (id TEXT PRIMARY KEY, card TEXT "
	"  NOT NULL, created INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS customers (id TEXT PRIMARY KEY, created "
	"  INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS payment_methods (id TEXT PRIMARY KEY, "
	"  customer TEXT NOT NULL, card TEXT NOT NULL, created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS payments (id TEXT PRIMARY KEY, status TEXT "
	"  NOT NULL, amount INTEGER NOT NULL, amount_capturable INTEGER NOT NULL "
	"  DEFAULT 0, amount_received INTEGER NOT NULL DEFAULT 0, "
	"  amount_refunded INTEGER NOT NULL DEFAULT 0, capture_method TEXT NOT "
	"  NULL, card TEXT NOT NULL, customer TEXT, payment_method TEXT, "
	"  save_card INTEGER NOT NULL DEFAULT 0, mit INTEGER NOT NULL DEFAULT 0,"
	"  metadata TEXT NOT NULL DEFAULT '{}', return_url TEXT, last_error "
	"  TEXT, cancellation_reason TEXT, authorized_at INTEGER, created "
	"  INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS refunds (id TEXT PRIMARY KEY, payment TEXT "
	"  NOT NULL, amount INTEGER NOT NULL, reason TEXT, status TEXT NOT NULL,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS terminal (id TEXT PRIMARY KEY, status TEXT "
	"  NOT NULL, amount INTEGER NOT NULL, metadata TEXT NOT NULL DEFAULT "
	"  '{}', payment TEXT, failure_code TEXT, created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, id TEXT "
	"  NOT NULL UNIQUE, type TEXT NOT NULL, created INTEGER NOT NULL, body "
	"  TEXT NOT NULL, url TEXT NOT NULL, state TEXT NOT NULL, attempts "
	"  INTEGER NOT NULL DEFAULT 0, deliveries INTEGER NOT NULL DEFAULT 0, "
	"  next_ms INTEGER NOT NULL, last_status INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS events_due ON events (state, next_ms);"
	"CREATE TABLE IF NOT EXISTS idem (scope TEXT NOT NULL, key TEXT NOT "
	"  NULL, hash BLOB NOT NULL, done INTEGER NOT NULL DEFAULT 0, status "
	"  INTEGER NOT NULL DEFAULT 0, body TEXT, created INTEGER NOT NULL, "
	"  PRIMARY KEY (scope, key));"
	"CREATE TABLE IF NOT EXISTS requests (seq INTEGER PRIMARY KEY, t "
	"  INTEGER NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, status "
	"  INTEGER NOT NULL, idem_key TEXT, replayed INTEGER NOT NULL DEFAULT 0,"
	"  summary TEXT);"
	/* A request that was in flight when the process stopped never got
	 * an answer: nothing to replay, so the key is free again. */
	"DELETE FROM idem WHERE done = 0;";

static const char *const tables[] = {
	"kv", "cards", "tokens", "customers", "payment_methods", "payments",
	"refunds", "terminal", "events", "idem", "requests",
};

int
rp_paysim_exec(struct rp_paysim *ps, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(ps->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		rp_log_error("paysim: sqlite: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return RP_E_DB;
	}
	return 0;
}

sqlite3_stmt *
rp_paysim_prep(struct rp_paysim *ps, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(ps->db, sql, -1, &st, NULL) != SQLITE_OK) {
		rp_log_error("paysim: sqlite prepare: %s", sqlite3_errmsg(ps->db));
		return NULL;
	}
	return st;
}

int
rp_paysim_db_open(struct rp_paysim *ps, struct rp_buf *err)
{
	char path[RP_CONF_PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/paysim.db", ps->dir);
	/* Create it 0600 ourselves: SQLite would honour the umask. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0 || fchmod(fd, 0600) != 0) {
		rp_buf_printf(err, "paysim: %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return RP_E_IO;
	}
	close(fd);
	if (sqlite3_open_v2(path, &ps->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		rp_buf_printf(err, "paysim: sqlite open %s: %s", path,
		    ps->db ? sqlite3_errmsg(ps->db) : "out of memory");
		return RP_E_DB;
	}
	sqlite3_busy_timeout(ps->db, 5000);
	if (rp_paysim_exec(ps, schema) != 0) {
		rp_buf_printf(err, "paysim: cannot create the schema in %s", path);
		return RP_E_DB;
	}
	return 0;
}

void
rp_paysim_db_close(struct rp_paysim *ps)
{
	if (ps->db != NULL)
		sqlite3_close(ps->db);
	ps->db = NULL;
}

int
rp_paysim_db_reset(struct rp_paysim *ps)
{
	char sql[64];

	for (size_t i = 0; i < RP_ARRAY_LEN(tables); i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s;", tables[i]);
		if (rp_paysim_exec(ps, sql) != 0)
			return RP_E_DB;
	}
	return 0;
}

void
rp_paysim_kv_get(struct rp_paysim *ps, const char *k, char *out, size_t n)
{
	sqlite3_stmt *st = rp_paysim_prep(ps, "SELECT v FROM kv WHERE k = ?");

	out[0] = '\0';
	if (st == NULL)
		return;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

int
rp_paysim_kv_set(struct rp_paysim *ps, const char *k, const char *v)
{
	sqlite3_stmt *st = rp_paysim_prep(ps,
	    "INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)");
	int r;

	if (st == NULL)
		return RP_E_DB;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, v, -1, SQLITE_TRANSIENT);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : RP_E_DB;
	sqlite3_finalize(st);
	return r;
}

static int64_t
kv_int(struct rp_paysim *ps, const char *k, int64_t def)
{
	char v[32];
	char *end;
	long long x;

	rp_paysim_kv_get(ps, k, v, sizeof(v));
	if (v[0] == '\0')
		return def;
	errno = 0;
	x = strtoll(v, &end, 10);
	return errno == 0 && *end == '\0' ? (int64_t)x : def;
}

void
rp_paysim_kv_load(struct rp_paysim *ps)
{
	char v[32];

	ps->clock_offset = kv_int(ps, "clock_offset", 0);
	ps->f_drop = kv_int(ps, "f_drop", 0);
	ps->f_slow = kv_int(ps, "f_slow", 0);
	ps->f_slow_ms = kv_int(ps, "f_slow_ms", 0);
	ps->f_status = kv_int(ps, "f_status", 0);
	ps->f_status_code = kv_int(ps, "f_status_code", 0);
	ps->c_delay_min = kv_int(ps, "c_delay_min", 0);
	ps->c_delay_max = kv_int(ps, "c_delay_max", 0);
	ps->c_reorder = kv_int(ps, "c_reorder", 0) != 0;
	rp_paysim_kv_get(ps, "c_dup", v, sizeof(v));
	ps->c_dup = v[0] ? strtod(v, NULL) : 0.0;
	if (!(ps->c_dup >= 0.0 && ps->c_dup <= 1.0))
		ps->c_dup = 0.0;
	rp_paysim_kv_get(ps, "hook_url", ps->hook_url, sizeof(ps->hook_url));
	if (ps->hook_url[0] == '\0')
		snprintf(ps->hook_url, sizeof(ps->hook_url), "%s",
		    ps->conf->paysim_webhook_url);
}

int
rp_paysim_kv_save(struct rp_paysim *ps)
{
	struct { const char *k; int64_t v; } ints[] = {
		{ "clock_offset", ps->clock_offset },
		{ "f_drop", ps->f_drop }, { "f_slow", ps->f_slow },
		{ "f_slow_ms", ps->f_slow_ms }, { "f_status", ps->f_status },
		{ "f_status_code", ps->f_status_code },
		{ "c_delay_min", ps->c_delay_min },
		{ "c_delay_max", ps->c_delay_max },
		{ "c_reorder", ps->c_reorder },
	};
	char v[32];

	for (size_t i = 0; i < RP_ARRAY_LEN(ints); i++) {
		snprintf(v, sizeof(v), "%" PRId64, ints[i].v);
		if (rp_paysim_kv_set(ps, ints[i].k, v) != 0)
			return RP_E_DB;
	}
	snprintf(v, sizeof(v), "%.6f", ps->c_dup);
	if (rp_paysim_kv_set(ps, "c_dup", v) != 0 ||
	    rp_paysim_kv_set(ps, "hook_url", ps->hook_url) != 0)
		return RP_E_DB;
	return 0;
}

int64_t
rp_paysim_now(struct rp_paysim *ps)
{
	return (int64_t)time(NULL) + ps->clock_offset;
}

int64_t
rp_paysim_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
