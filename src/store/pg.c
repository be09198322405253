/* SPDX-License-Identifier: ISC */
/*
 * pg.c — the PostgreSQL driver of the core store (sql.h), over libpq.
 * One connection per store handle (a libpq URL: postgresql://…); the
 * backend's statements are prepared on it once (PQprepare, named s<id>)
 * with their ?N parameters sent as $N, values in text (bytea in binary),
 * results in binary.  Write transactions are READ COMMITTED with row
 * locks where two nodes race (an order's status is read FOR UPDATE);
 * order ids come from one sequence, so they stay unique across nodes.
 * Its migrations: src/store/migrations/pg/ (the schema as of version 8,
 * then one file per later version, numbered like SQLite's).
 */
#include "util/common.h"
#include "util/log.h"
#include "store/backend_sql.h"
#include "store/sql.h"

#include <assert.h>
#include <inttypes.h>

#include <libpq-fe.h>

#define MAXP	32		/* parameters per statement */

static const struct rp_sql_migration migrations[] = {
	{ 8, "src/store/migrations/pg/0008_schema.sql" },
	{ 9, "src/store/migrations/pg/0009_stock.sql" },
	{ 10, "src/store/migrations/pg/0010_counter.sql" },
};

struct pgst {
	struct rp_sqlst base;		/* first: the driver */
	struct rp_sqldb *db;
	int id;				/* cached: its statement id; else -1 */
	bool prepared;
	char *sql;			/* with $N */
	int np;				/* parameters it takes */
	const char *val[MAXP];
	int len[MAXP], fmt[MAXP];
	char num[MAXP][24];
	PGresult *res;
	int row, nrows;
	int64_t changes;
};

struct rp_sqldb {
	PGconn *c;
	struct pgst *stmt[S_COUNT];
};

static const struct rp_sql_driver pg_driver;

#define ST(s)	((struct pgst *)(void *)(s))

/* An error result → RP_E_*: by SQLSTATE class, as sql.h says. */
static int
map_err(PGconn *c, const PGresult *res)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (PQstatus(c) != CONNECTION_OK)
		return RP_E_AGAIN;		/* the server went away */
	if (st == NULL)
		return RP_E_DB;
	if (strcmp(st, "23505") == 0)
		return RP_E_EXISTS;		/* unique_violation */
	if (strcmp(st, "23503") == 0)
		return RP_E_NOTFOUND;		/* foreign_key_violation */
	if (strncmp(st, "23", 2) == 0 || strncmp(st, "22", 2) == 0)
		return RP_E_INVAL;		/* check, not null, data */
	if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 ||
	    strcmp(st, "55P03") == 0 || strncmp(st, "08", 2) == 0 ||
	    strncmp(st, "57P", 3) == 0)
		return RP_E_AGAIN;		/* conflicts, shutdown */
	return RP_E_DB;
}

/* ?N → $N (outside quoted strings); *np the highest N. */
static char *
dollars(const char *sql, int *np)
{
	size_t n = strlen(sql);
	char *out = malloc(n + 1), *o = out;
	bool quoted = false;

	*np = 0;
	if (out == NULL)
		return NULL;
	for (const char *p = sql; *p; p++) {
		if (*p == '\'')
			quoted = !quoted;
		if (!quoted && *p == '?' && p[1] >= '0' && p[1] <= '9') {
			int k = 0;

			for (const char *q = p + 1; *q >= '0' && *q <= '9' &&
			    k < 1000; q++)
				k = k * 10 + (*q - '0');
			if (k > *np)
				*np = k;
			*o++ = '$';
			continue;
		}
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

static int
pg_exec(struct rp_sqldb *db, const char *q)
{
	PGresult *res = PQexec(db->c, q);
	ExecStatusType st = PQresultStatus(res);
	int r = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		r = map_err(db->c, res);
		rp_log_error("store: postgresql: %s",
		    PQresultErrorField(res, PG_DIAG_SQLSTATE) ?
		    PQresultErrorField(res, PG_DIAG_SQLSTATE) : "no result");
	}
	PQclear(res);
	return r;
}

static struct pgst *
make(struct rp_sqldb *db, int id, const char *sql)
{
	struct pgst *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->base.d = &pg_driver;
	s->db = db;
	s->id = id;
	if ((s->sql = dollars(sql, &s->np)) == NULL || s->np > MAXP) {
		rp_log_error("store: statement %d: %d parameters", id, s->np);
		free(s->sql);
		free(s);
		return NULL;
	}
	return s;
}

static void
pg_reset(struct rp_sqlst *s)
{
	struct pgst *p = ST(s);

	PQclear(p->res);
	p->res = NULL;
	p->row = -1;
	p->nrows = 0;
}

static void
clear_binds(struct pgst *p)
{
	for (int i = 0; i < MAXP; i++) {
		p->val[i] = NULL;
		p->len[i] = 0;
		p->fmt[i] = 0;
	}
}

static struct rp_sqlst *
pg_cached(struct rp_sqldb *db, int id, const char *sql)
{
	struct pgst *s;

	assert(id >= 0 && id < S_COUNT);
	if ((s = db->stmt[id]) == NULL) {
		if ((s = make(db, id, sql)) == NULL)
			return NULL;
		db->stmt[id] = s;
	}
	pg_reset(&s->base);
	clear_binds(s);
	return &s->base;
}

static struct rp_sqlst *
pg_prepare(struct rp_sqldb *db, const char *sql)
{
	struct pgst *s = make(db, -1, sql);

	if (s == NULL)
		return NULL;
	pg_reset(&s->base);
	return &s->base;
}

static void
pg_finalize(struct rp_sqlst *s)
{
	struct pgst *p = ST(s);

	PQclear(p->res);
	free(p->sql);
	free(p);
}

static bool
slot(struct pgst *p, int i)
{
	return i >= 1 && i <= p->np;
}

/* Parameter i: v[0..n) in format fmt (0 text, 1 binary). */
static void
set_param(struct rp_sqlst *s, int i, const void *v, size_t n, int fmt)
{
	struct pgst *p = ST(s);

	if (!slot(p, i))
		return;
	p->val[i - 1] = v;
	p->len[i - 1] = (int)n;
	p->fmt[i - 1] = fmt;
}

static void
pg_bind_i64(struct rp_sqlst *s, int i, int64_t v)
{
	struct pgst *p = ST(s);

	if (!slot(p, i))
		return;
	snprintf(p->num[i - 1], sizeof(p->num[i - 1]), "%" PRId64, v);
	set_param(s, i, p->num[i - 1], 0, 0);
}

/* Text is bound binary too: its binary form is its bytes, and a
 * length-carrying view needs no terminator. */
static void
pg_bind_text(struct rp_sqlst *s, int i, const char *v, size_t n)
{
	set_param(s, i, v, n, 1);
}

static void
pg_bind_blob(struct rp_sqlst *s, int i, const void *v, size_t n)
{
	set_param(s, i, v, n, 1);
}

static void
pg_bind_null(struct rp_sqlst *s, int i)
{
	struct pgst *p = ST(s);

	if (slot(p, i))
		p->val[i - 1] = NULL;
}

static int
run(struct pgst *p)
{
	PGconn *c = p->db->c;
	ExecStatusType st;
	char name[16];
	int r;

	if (p->id >= 0) {
		snprintf(name, sizeof(name), "s%d", p->id);
		if (!p->prepared) {
			PGresult *pr = PQprepare(c, name, p->sql, p->np, NULL);

			if (PQresultStatus(pr) != PGRES_COMMAND_OK) {
				r = map_err(c, pr);
				rp_log_error("store: postgresql: prepare %d: %s",
				    p->id, PQresultErrorField(pr,
				    PG_DIAG_SQLSTATE) ? PQresultErrorField(pr,
				    PG_DIAG_SQLSTATE) : "no result");
				PQclear(pr);
				return r;
			}
			PQclear(pr);
			p->prepared = true;
		}
		p->res = PQexecPrepared(c, name, p->np, p->val, p->len, p->fmt,
		    1);
	} else
		p->res = PQexecParams(c, p->sql, p->np, NULL, p->val, p->len,
		    p->fmt, 1);
	st = PQresultStatus(p->res);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		const char *ct = PQcmdTuples(p->res);

		p->nrows = st == PGRES_TUPLES_OK ? PQntuples(p->res) : 0;
		p->changes = ct && ct[0] ? strtoll(ct, NULL, 10) : 0;
		return 0;
	}
	r = map_err(c, p->res);
	if (r != RP_E_EXISTS && r != RP_E_NOTFOUND)
		rp_log_error("store: postgresql: statement %d: %s", p->id,
		    PQresultErrorField(p->res, PG_DIAG_SQLSTATE) ?
		    PQresultErrorField(p->res, PG_DIAG_SQLSTATE) : "no result");
	/* a lost connection loses its prepared statements */
	if (PQstatus(c) != CONNECTION_OK)
		for (int i = 0; i < S_COUNT; i++)
			if (p->db->stmt[i] != NULL)
				p->db->stmt[i]->prepared = false;
	return r;
}

static int
pg_step(struct rp_sqlst *s)
{
	struct pgst *p = ST(s);
	int r;

	if (p->res == NULL) {
		if ((r = run(p)) != 0)
			return r;
		p->row = 0;
	} else
		p->row++;
	return p->row < p->nrows ? RP_SQL_ROW : RP_SQL_DONE;
}

static bool
pg_col_null(struct rp_sqlst *s, int i)
{
	struct pgst *p = ST(s);

	return p->res == NULL || p->row >= p->nrows ||
	    PQgetisnull(p->res, p->row, i);
}

static int64_t
pg_col_i64(struct rp_sqlst *s, int i)
{
	struct pgst *p = ST(s);
	const unsigned char *b;
	uint64_t v = 0;
	int n;

	if (pg_col_null(s, i))
		return 0;
	b = (const unsigned char *)PQgetvalue(p->res, p->row, i);
	n = PQgetlength(p->res, p->row, i);
	/* int2, int4, int8 only: a numeric (sum() of bigint is one) would
	 * read as a wrong number, silently — cast such columns in the SQL */
	if ((n != 2 && n != 4 && n != 8) || (PQftype(p->res, i) != 20 &&
	    PQftype(p->res, i) != 21 && PQftype(p->res, i) != 23)) {
		static struct rp_log_limit lim = RP_LOG_LIMIT(10);

		rp_log_limited(&lim, RP_LOG_ERROR, "store: column %d of a "
		    "result is not an integer (type %u): a statement lacks a "
		    "CAST", i, (unsigned)PQftype(p->res, i));
		assert(!"an integer column of another type");
		return 0;
	}
	for (int k = 0; k < n; k++)
		v = v << 8 | b[k];
	/* sign-extend int2 and int4 */
	if (n < 8 && (b[0] & 0x80))
		v |= ~(uint64_t)0 << (8 * n);
	return (int64_t)v;
}

static const char *
pg_col_bytes(struct rp_sqlst *s, int i, size_t *n)
{
	struct pgst *p = ST(s);

	if (n != NULL)
		*n = 0;
	if (pg_col_null(s, i))
		return NULL;
	if (n != NULL)
		*n = (size_t)PQgetlength(p->res, p->row, i);
	return PQgetvalue(p->res, p->row, i);
}

static int64_t
pg_changes(struct rp_sqlst *s)
{
	return ST(s)->changes;
}

static int
pg_bulk(struct rp_sqldb *db, bool on)
{
	if (on)
		return pg_exec(db, "SET synchronous_commit = off");
	(void)pg_exec(db, "SET synchronous_commit = on");
	/* a bulk load numbers orders itself: the sequence catches up (a
	 * load of no orders leaves the next id at 1, not 2) */
	return pg_exec(db, "SELECT setval('order_ids_seq', greatest(1, m), "
	    "m > 0) FROM (SELECT greatest((SELECT coalesce(max(id), 0) FROM "
	    "orders), (SELECT coalesce(max(id), 0) FROM order_ids)) AS m) x");
}

static void
pg_close(struct rp_sqldb *db)
{
	if (db == NULL)
		return;
	for (int i = 0; i < S_COUNT; i++)
		if (db->stmt[i] != NULL)
			pg_finalize(&db->stmt[i]->base);
	PQfinish(db->c);
	free(db);
}

int
rp_sql_pg_open(const char *url, const struct rp_sql_driver **drv,
    struct rp_sqldb **out, const struct rp_sql_migration **mig, size_t *nmig)
{
	struct rp_sqldb *db;

	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return RP_E_NOMEM;
	db->c = PQconnectdb(url);
	if (PQstatus(db->c) != CONNECTION_OK) {
		/* the URL may carry a password: name only the failure */
		rp_log_error("store: cannot connect to PostgreSQL (%s)",
		    PQstatus(db->c) == CONNECTION_BAD ? "connection refused "
		    "or authentication failed" : "not ready");
		pg_close(db);
		return RP_E_AGAIN;
	}
	/* quiet notices ("relation already exists, skipping") */
	if (pg_exec(db, "SET client_min_messages = warning") != 0) {
		pg_close(db);
		return RP_E_DB;
	}
	*drv = &pg_driver;
	*mig = migrations;
	*nmig = RP_ARRAY_LEN(migrations);
	*out = db;
	return 0;
}

/* What PostgreSQL writes differently (backend_sql.h ids). */
static const char *const overrides[S_COUNT] = {
	/* one sequence: ids (and so order numbers) unique across nodes */
	[S_ORDER_MAXID] = "SELECT nextval('order_ids_seq') - 1",
	[S_ORDER_RESERVE] = "INSERT INTO order_ids (id, created_at) VALUES "
	    "(nextval('order_ids_seq'), ?1) RETURNING id",
	/* two nodes changing one order: the second waits for the first */
	[S_ORDER_STATUS] = "SELECT status FROM orders WHERE id = ?1 FOR UPDATE",
	[S_ORDER_LOCK_KIND] = "SELECT o.status, o.qty, p.device FROM orders o "
	    "JOIN plans p ON p.id = o.plan_id WHERE o.id = ?1 FOR UPDATE OF o",
	/* a reservation waits for the pool's row: two nodes serialise */
	[S_POOL_LOCK] = "SELECT counter_id FROM stock_pools WHERE "
	    "counter_id = ?1 AND kind = ?2 FOR UPDATE",
};

static const struct rp_sql_driver pg_driver = {
	.name = "postgresql",
	.begin = "BEGIN",
	.override = overrides,
	.noverride = S_COUNT,
	.close = pg_close,
	.exec = pg_exec,
	.cached = pg_cached,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.bind_i64 = pg_bind_i64,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.col_null = pg_col_null,
	.col_i64 = pg_col_i64,
	.col_bytes = pg_col_bytes,
	.changes = pg_changes,
	.reset = pg_reset,
	.bulk = pg_bulk,
};
