/* SPDX-License-Identifier: ISC */
/* sqlite.c — SQLite backend of the core store (skeleton). */
#include "util/common.h"
#include "store/store.h"

#include <sqlite3.h>

struct rp_store {
	sqlite3 *db;
};

int
rp_store_open(const char *data_dir, struct rp_store **out)
{
	char path[1200];
	struct rp_store *st;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/core.db", data_dir);
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return RP_E_NOMEM;
	if (sqlite3_open(path, &st->db) != SQLITE_OK) {
		rp_store_free(st);
		return RP_E_DB;
	}
	*out = st;
	return 0;
}

void
rp_store_free(struct rp_store *st)
{
	if (st == NULL)
		return;
	sqlite3_close(st->db);
	free(st);
}

int
rp_store_ping(struct rp_store *st)
{
	return sqlite3_exec(st->db, "SELECT 1", NULL, NULL, NULL) == SQLITE_OK ? 0 : RP_E_DB;
}
