/* SPDX-License-Identifier: ISC */
/*
 * sql.h — the SQL drivers under the core store's one backend (private to
 * src/store/).  backend.c holds every query and row mapping once; a driver
 * (sqlite.c, pg.c) runs them on its engine: prepared statements with
 * numbered parameters written ?1 … ?N (the PostgreSQL driver sends them as
 * $1 … $N), bound values only, rows read by column.  A parameter left
 * unbound is NULL.  Errors come back as RP_E_*: a unique violation is
 * RP_E_EXISTS, a foreign-key violation RP_E_NOTFOUND, a lock or
 * serialization conflict or a lost connection RP_E_AGAIN.
 */
#ifndef RP_STORE_SQL_H
#define RP_STORE_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/errors.h"

struct rp_sqlst;
struct rp_sqldb;

#define RP_SQL_DONE	0	/* sql_step: no (more) rows */
#define RP_SQL_ROW	1	/* sql_step: a row to read */

struct rp_sql_driver {
	const char *name;		/* "sqlite", "postgresql" */
	const char *begin;		/* the statement that opens a write tx */
	/* the statements (by id) this dialect writes differently; NULL: the
	 * common text */
	const char *const *override;
	size_t noverride;
	void (*close)(struct rp_sqldb *db);
	int (*exec)(struct rp_sqldb *db, const char *sql);
	/* statement id's cached statement, reset with no bindings */
	struct rp_sqlst *(*cached)(struct rp_sqldb *db, int id,
	    const char *sql);
	/* a one-off statement: sql_finalize it */
	struct rp_sqlst *(*prepare)(struct rp_sqldb *db, const char *sql);
	void (*finalize)(struct rp_sqlst *s);
	void (*bind_i64)(struct rp_sqlst *s, int i, int64_t v);
	void (*bind_text)(struct rp_sqlst *s, int i, const char *v, size_t n);
	void (*bind_blob)(struct rp_sqlst *s, int i, const void *v, size_t n);
	void (*bind_null)(struct rp_sqlst *s, int i);
	/* RP_SQL_ROW, RP_SQL_DONE or an RP_E_* */
	int (*step)(struct rp_sqlst *s);
	bool (*col_null)(struct rp_sqlst *s, int i);
	int64_t (*col_i64)(struct rp_sqlst *s, int i);
	/* text or blob bytes and their length; NULL for a NULL */
	const char *(*col_bytes)(struct rp_sqlst *s, int i, size_t *n);
	/* rows the last step of s changed (before sql_reset) */
	int64_t (*changes)(struct rp_sqlst *s);
	void (*reset)(struct rp_sqlst *s);
	/* bulk load on / off (the engine's own knobs) */
	int (*bulk)(struct rp_sqldb *db, bool on);
};

/* Every driver's statement begins with its driver. */
struct rp_sqlst {
	const struct rp_sql_driver *d;
};

static inline void sql_i64(struct rp_sqlst *s, int i, int64_t v)
{ s->d->bind_i64(s, i, v); }
static inline void sql_text(struct rp_sqlst *s, int i, const char *v)
{ s->d->bind_text(s, i, v, strlen(v)); }
static inline void sql_textn(struct rp_sqlst *s, int i, const char *v,
    size_t n)
{ s->d->bind_text(s, i, v, n); }
static inline void sql_blob(struct rp_sqlst *s, int i, const void *v,
    size_t n)
{ s->d->bind_blob(s, i, v, n); }
static inline void sql_null(struct rp_sqlst *s, int i)
{ s->d->bind_null(s, i); }
static inline int sql_step(struct rp_sqlst *s)
{ return s->d->step(s); }
static inline bool sql_col_null(struct rp_sqlst *s, int i)
{ return s->d->col_null(s, i); }
static inline int64_t sql_col_i64(struct rp_sqlst *s, int i)
{ return s->d->col_i64(s, i); }
static inline const char *sql_col_bytes(struct rp_sqlst *s, int i, size_t *n)
{ return s->d->col_bytes(s, i, n); }
static inline int64_t sql_changes(struct rp_sqlst *s)
{ return s->d->changes(s); }
static inline void sql_reset(struct rp_sqlst *s)
{ s->d->reset(s); }
static inline void sql_finalize(struct rp_sqlst *s)
{ if (s != NULL) s->d->finalize(s); }

/* A connection: its driver, and the migrations it applies. */
struct rp_sql_migration {
	int version;
	const char *path;		/* embedded file name */
};

/*
 * Opens the drivers' connections: 0 and *db, *drv, the dialect's
 * migrations.  SQLite: <data_dir>/core.db; PostgreSQL: a libpq URL.
 */
int rp_sql_sqlite_open(const char *data_dir, const struct rp_sql_driver **drv,
    struct rp_sqldb **db, const struct rp_sql_migration **mig, size_t *nmig)
    RP_WARN_UNUSED;
int rp_sql_pg_open(const char *url, const struct rp_sql_driver **drv,
    struct rp_sqldb **db, const struct rp_sql_migration **mig, size_t *nmig)
    RP_WARN_UNUSED;

#endif
