/* SPDX-License-Identifier: ISC */
/*
 * test_store_util.h — scratch data directories for store/person/seed unit tests:
 * tmpdir_make() creates one under $TMPDIR (or /tmp), tmpdir_remove()
 * deletes it and everything in it.
 *
 * The same tests run on PostgreSQL (issue 12): with RENTPORT_TEST_PG (the
 * admin URL of the private server `make test` starts, scripts/pgtmp.sh),
 * every scratch directory's core store is a database of its own, made on
 * first use (rp_store_resolve_with); the tests do not change.  A test
 * registered with RENTPORT_TEST_PG_WANTED but run without a server skips.
 */
#ifndef RP_TEST_STORE_UTIL_H
#define RP_TEST_STORE_UTIL_H

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdint.h>

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdbool.h>

/* store/store.h's (not included: some tests avoid its names) */
void rp_store_resolve_with(const char *(*where)(const char *data_dir));

/* The database of data directory d on the test server: t_<hash of d>. */
static inline const char *
test_pg_where(const char *d)
{
	static struct { char dir[512]; char url[600]; } tab[64];
	static unsigned n;
	const char *admin = getenv("RENTPORT_TEST_PG");
	char q[128];
	uint64_t h = 1469598103934665603ull;
	size_t al;
	PGconn *c;
	PGresult *res;
	unsigned i;

	if (admin == NULL || (al = strlen(admin)) < 9 ||
	    strcmp(admin + al - 9, "/postgres") != 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (strcmp(tab[i].dir, d) == 0)
			return tab[i].url;
	if (n == 64)
		return NULL;
	for (const char *p = d; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	snprintf(tab[n].dir, sizeof(tab[n].dir), "%s", d);
	snprintf(tab[n].url, sizeof(tab[n].url), "%.*s/t_%016llx",
	    (int)(al - 9), admin, (unsigned long long)h);
	snprintf(q, sizeof(q), "CREATE DATABASE t_%016llx",
	    (unsigned long long)h);
	if ((c = PQconnectdb(admin)) != NULL && PQstatus(c) == CONNECTION_OK) {
		res = PQexec(c, q);	/* an existing one (a rerun) is kept */
		PQclear(res);
	}
	PQfinish(c);
	return tab[n++].url;
}

/*
 * The scratch directory's store as the tests reach it beneath the store
 * API (to plant old rows, or to count independently): SQLite's core.db, or
 * the directory's PostgreSQL database.  Queries use $1, $2 (both engines
 * read them), values bound as text.
 */
static inline bool
test_db_is_pg(const char *dir)
{
	return getenv("RENTPORT_TEST_PG") != NULL && test_pg_where(dir) != NULL;
}

/* The first column of the first row as text (owned), "" for a statement
 * without rows; NULL on an error. */
static inline char *
test_db_text(const char *dir, const char *q, const char *a1, const char *a2)
{
	const char *v[2] = { a1, a2 };
	int np = a2 ? 2 : a1 ? 1 : 0;
	char *out = NULL;

	if (test_db_is_pg(dir)) {
		PGconn *c = PQconnectdb(test_pg_where(dir));
		PGresult *res = NULL;

		if (PQstatus(c) == CONNECTION_OK)
			res = PQexecParams(c, q, np, NULL, v, NULL, NULL, 0);
		if (res && PQresultStatus(res) == PGRES_TUPLES_OK)
			out = strdup(PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)
			    ? PQgetvalue(res, 0, 0) : "");
		else if (res && PQresultStatus(res) == PGRES_COMMAND_OK)
			out = strdup("");
		PQclear(res);
		PQfinish(c);
		return out;
	}
	{
		char path[700];
		sqlite3 *db = NULL;
		sqlite3_stmt *st = NULL;
		int rc;

		snprintf(path, sizeof(path), "%s/core.db", dir);
		if (sqlite3_open(path, &db) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK) {
			for (int k = 0; k < np; k++)
				sqlite3_bind_text(st, k + 1, v[k], -1,
				    SQLITE_STATIC);
			rc = sqlite3_step(st);
			if (rc == SQLITE_ROW)
				out = strdup(sqlite3_column_text(st, 0) ?
				    (const char *)sqlite3_column_text(st, 0) : "");
			else if (rc == SQLITE_DONE)
				out = strdup("");
		}
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	return out;
}

/* A statement: 0 or -1. */
static inline int
test_db_exec(const char *dir, const char *q)
{
	char *t = test_db_text(dir, q, NULL, NULL);

	free(t);
	return t != NULL ? 0 : -1;
}

/* An integer query: its value, or -1. */
static inline int64_t
test_db_int(const char *dir, const char *q, const char *a1, const char *a2)
{
	char *t = test_db_text(dir, q, a1, a2), *end = NULL;
	int64_t v = -1;

	if (t != NULL && t[0] != '\0') {
		v = strtoll(t, &end, 10);
		if (*end != '\0')
			v = -1;
	}
	free(t);
	return v;
}

static inline char *
tmpdir_make(char *buf, size_t len)
{
	const char *t = getenv("TMPDIR");

	if (getenv("RENTPORT_TEST_PG_WANTED") != NULL &&
	    getenv("RENTPORT_TEST_PG") == NULL) {
		printf("1..0 # SKIP no private PostgreSQL (make test starts "
		    "one: scripts/pgtmp.sh)\n");
		exit(0);
	}
	if (getenv("RENTPORT_TEST_PG") != NULL)
		rp_store_resolve_with(test_pg_where);

	snprintf(buf, len, "%s/rp-test-XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(buf);
}

static inline int
tmpdir_remove_one(const char *p, const struct stat *sb, int flag,
    struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(p);
}

/* Removes dir and everything under it (keys/ and the like too). */
static inline void
tmpdir_remove(const char *dir)
{
	(void)nftw(dir, tmpdir_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Reads a whole file (owned: caller frees); NULL on failure. */
static inline char *
file_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long n;

	*len = 0;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)n + 1)) != NULL) {
		*len = fread(b, 1, (size_t)n, f);
		b[*len] = '\0';
	}
	fclose(f);
	return b;
}

#endif
