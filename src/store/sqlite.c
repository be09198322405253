/* SPDX-License-Identifier: ISC */
/*
 * sqlite.c — the SQLite driver of the core store (sql.h): <data_dir>/core.db
 * in WAL mode with foreign keys on, a 5 s busy timeout and
 * synchronous=NORMAL; statements cached per connection
 * (SQLITE_PREPARE_PERSISTENT).  Its migrations: src/store/migrations/.
 */
#include "util/common.h"

#include <assert.h>

#include "util/log.h"
#include "store/backend_sql.h"
#include "store/sql.h"

#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <sqlite3.h>

static const struct rp_sql_migration migrations[] = {
	{ 1, "src/store/migrations/0001_init.sql" },
	{ 2, "src/store/migrations/0002_api.sql" },
	{ 3, "src/store/migrations/0003_sites.sql" },
	{ 4, "src/store/migrations/0004_payments.sql" },
	{ 5, "src/store/migrations/0005_bans.sql" },
	{ 6, "src/store/migrations/0006_tokens.sql" },
	{ 7, "src/store/migrations/0007_staff_out.sql" },
	{ 8, "src/store/migrations/0008_tokens_out.sql" },
	{ 9, "src/store/migrations/0009_stock.sql" },
	{ 10, "src/store/migrations/0010_counter.sql" },
};

struct sqst {
	struct rp_sqlst base;		/* first: the driver */
	sqlite3_stmt *st;
	bool cached;
};

struct rp_sqldb {
	sqlite3 *db;
	struct sqst *stmt[S_COUNT];
};

static const struct rp_sql_driver sqlite_driver;

#define ST(s)	((struct sqst *)(void *)(s))

static int
map_rc(sqlite3 *db, int rc)
{
	int ext = sqlite3_extended_errcode(db);

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_CONSTRAINT:
		if (ext == SQLITE_CONSTRAINT_UNIQUE ||
		    ext == SQLITE_CONSTRAINT_PRIMARYKEY)
			return RP_E_EXISTS;
		if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
			return RP_E_NOTFOUND;
		return RP_E_INVAL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return RP_E_AGAIN;
	case SQLITE_NOMEM:
		return RP_E_NOMEM;
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
		return RP_E_IO;
	default:
		return RP_E_DB;
	}
}

static int
sq_exec(struct rp_sqldb *db, const char *q)
{
	int rc;

	if ((rc = sqlite3_exec(db->db, q, NULL, NULL, NULL)) != SQLITE_OK) {
		int r = map_rc(db->db, rc);

		rp_log_error("store: sqlite exec failed: %s", sqlite3_errstr(rc));
		return r ? r : RP_E_DB;
	}
	return 0;
}

static struct sqst *
make(struct rp_sqldb *db, const char *sql, bool cached)
{
	struct sqst *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->base.d = &sqlite_driver;
	s->cached = cached;
	if (sqlite3_prepare_v3(db->db, sql, -1, cached ?
	    SQLITE_PREPARE_PERSISTENT : 0, &s->st, NULL) != SQLITE_OK) {
		rp_log_error("store: sqlite prepare failed: %s",
		    sqlite3_errmsg(db->db));
		free(s);
		return NULL;
	}
	return s;
}

static struct rp_sqlst *
sq_cached(struct rp_sqldb *db, int id, const char *sql)
{
	struct sqst *s;

	assert(id >= 0 && id < S_COUNT);
	if ((s = db->stmt[id]) == NULL) {
		if ((s = make(db, sql, true)) == NULL)
			return NULL;
		db->stmt[id] = s;
		return &s->base;
	}
	sqlite3_reset(s->st);
	sqlite3_clear_bindings(s->st);
	return &s->base;
}

static struct rp_sqlst *
sq_prepare(struct rp_sqldb *db, const char *sql)
{
	struct sqst *s = make(db, sql, false);

	return s ? &s->base : NULL;
}

static void
sq_finalize(struct rp_sqlst *s)
{
	sqlite3_finalize(ST(s)->st);
	free(ST(s));
}

static void
sq_bind_i64(struct rp_sqlst *s, int i, int64_t v)
{
	sqlite3_bind_int64(ST(s)->st, i, v);
}

static void
sq_bind_text(struct rp_sqlst *s, int i, const char *v, size_t n)
{
	sqlite3_bind_text(ST(s)->st, i, v, (int)n, SQLITE_STATIC);
}

static void
sq_bind_blob(struct rp_sqlst *s, int i, const void *v, size_t n)
{
	sqlite3_bind_blob(ST(s)->st, i, v, (int)n, SQLITE_STATIC);
}

static void
sq_bind_null(struct rp_sqlst *s, int i)
{
	sqlite3_bind_null(ST(s)->st, i);
}

static int
sq_step(struct rp_sqlst *s)
{
	int rc = sqlite3_step(ST(s)->st), r;

	if (rc == SQLITE_ROW)
		return RP_SQL_ROW;
	if (rc == SQLITE_DONE)
		return RP_SQL_DONE;
	r = map_rc(sqlite3_db_handle(ST(s)->st), rc);
	if (r != RP_E_EXISTS && r != RP_E_NOTFOUND)
		rp_log_error("store: sqlite step failed: %s",
		    sqlite3_errmsg(sqlite3_db_handle(ST(s)->st)));
	return r ? r : RP_E_DB;
}

static bool
sq_col_null(struct rp_sqlst *s, int i)
{
	return sqlite3_column_type(ST(s)->st, i) == SQLITE_NULL;
}

static int64_t
sq_col_i64(struct rp_sqlst *s, int i)
{
	return sqlite3_column_int64(ST(s)->st, i);
}

static const char *
sq_col_bytes(struct rp_sqlst *s, int i, size_t *n)
{
	sqlite3_stmt *st = ST(s)->st;
	const char *p;

	if (sqlite3_column_type(st, i) == SQLITE_BLOB)
		p = sqlite3_column_blob(st, i);
	else
		p = (const char *)sqlite3_column_text(st, i);
	if (n != NULL)
		*n = p ? (size_t)sqlite3_column_bytes(st, i) : 0;
	return p;
}

static int64_t
sq_changes(struct rp_sqlst *s)
{
	return sqlite3_changes(sqlite3_db_handle(ST(s)->st));
}

static void
sq_reset(struct rp_sqlst *s)
{
	sqlite3_reset(ST(s)->st);
}

static int
sq_bulk(struct rp_sqldb *db, bool on)
{
	int r;

	/*
	 * On: durability relaxed (a crash mid-load loses the load, never the
	 * database, since WAL stays on); a 256 MiB page cache keeps the
	 * random-order index inserts (order numbers) in memory.  Off: back,
	 * and the WAL folded in.
	 */
	if (on)
		return (r = sq_exec(db, "PRAGMA synchronous = OFF")) != 0 ? r :
		    sq_exec(db, "PRAGMA cache_size = -262144");
	(void)sq_exec(db, "PRAGMA synchronous = NORMAL");
	(void)sq_exec(db, "PRAGMA cache_size = -2000");
	(void)sq_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	(void)sq_exec(db, "PRAGMA optimize");
	return 0;
}

static void
sq_close(struct rp_sqldb *db)
{
	if (db == NULL)
		return;
	for (int i = 0; i < S_COUNT; i++)
		if (db->stmt[i] != NULL)
			sq_finalize(&db->stmt[i]->base);
	sqlite3_close(db->db);
	free(db);
}

/*
 * Creates the database file owner-only before SQLite opens it (SQLite
 * would create it 0644 under the usual umask).  Existing files are left
 * as they are.
 */
static int
create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return RP_E_IO;
	close(fd);
	return 0;
}

int
rp_sql_sqlite_open(const char *data_dir, const struct rp_sql_driver **drv,
    struct rp_sqldb **out, const struct rp_sql_migration **mig, size_t *nmig)
{
	struct rp_sqldb *db = NULL;
	sqlite3_stmt *s = NULL;
	char path[1200];
	int rc, r;

	*out = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/core.db", data_dir) >=
	    sizeof(path))
		return RP_E_TOOBIG;
	if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
		rp_log_error("store: cannot create the data directory: %s",
		    strerror(errno));
		return RP_E_IO;
	}
	if (create_private(path) != 0) {
		rp_log_error("store: cannot create core.db: %s", strerror(errno));
		return RP_E_IO;
	}
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return RP_E_NOMEM;
	rc = sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		rp_log_error("store: cannot open core.db: %s", sqlite3_errstr(rc));
		r = rc == SQLITE_CANTOPEN ? RP_E_IO : RP_E_DB;
		goto out;
	}
	sqlite3_extended_result_codes(db->db, 1);
	sqlite3_busy_timeout(db->db, 5000);
	/* The -wal and -shm files stay when the last connection closes:
	 * serve prepares their owner and mode once, before the children
	 * (proc/sandbox.c), who may not create files beside core.db. */
	{
		int one = 1;

		(void)sqlite3_file_control(db->db, "main",
		    SQLITE_FCNTL_PERSIST_WAL, &one);
	}
	/* WAL must really be on: the pragma answers with the mode it got. */
	if (sqlite3_prepare_v2(db->db, "PRAGMA journal_mode = WAL", -1, &s,
	    NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW ||
	    sqlite3_column_text(s, 0) == NULL ||
	    strcmp((const char *)sqlite3_column_text(s, 0), "wal") != 0) {
		rp_log_error("store: core.db: cannot enable WAL");
		r = RP_E_DB;
		goto out;
	}
	sqlite3_finalize(s);		/* no statement may stay active */
	s = NULL;
	/* Temporary tables and sorts in memory: no temporary files. */
	if ((r = sq_exec(db, "PRAGMA temp_store = MEMORY")) != 0 ||
	    (r = sq_exec(db, "PRAGMA foreign_keys = ON")) != 0 ||
	    (r = sq_exec(db, "PRAGMA synchronous = NORMAL")) != 0)
		goto out;
	*drv = &sqlite_driver;
	*mig = migrations;
	*nmig = RP_ARRAY_LEN(migrations);
	*out = db;
	db = NULL;			/* transferred */
 out:
	sqlite3_finalize(s);
	sq_close(db);
	return r;
}

static const struct rp_sql_driver sqlite_driver = {
	.name = "sqlite",
	/* the write lock at once: no upgrade deadlock between writers */
	.begin = "BEGIN IMMEDIATE",
	.override = NULL,
	.noverride = 0,
	.close = sq_close,
	.exec = sq_exec,
	.cached = sq_cached,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.bind_i64 = sq_bind_i64,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.col_null = sq_col_null,
	.col_i64 = sq_col_i64,
	.col_bytes = sq_col_bytes,
	.changes = sq_changes,
	.reset = sq_reset,
	.bulk = sq_bulk,
};
