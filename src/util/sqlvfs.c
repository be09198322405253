/* SPDX-License-Identifier: ISC */
/*
 * sqlvfs.c — the default VFS with relative names kept relative (see
 * sqlvfs.h).  Every method but xFullPathname is SQLite's own unix VFS; the
 * copy keeps its pAppData and sizes, which those methods read.
 */
#include "util/common.h"
#include "util/sqlvfs.h"

#include <sqlite3.h>

static sqlite3_vfs rel_vfs;
static int (*base_fullpathname)(sqlite3_vfs *, const char *, int, char *);

static int
rel_fullpathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	size_t len;

	if (name[0] == '/')
		return base_fullpathname(vfs, name, n, out);
	len = strlen(name);
	if (n <= 0 || len >= (size_t)n)
		return SQLITE_CANTOPEN;
	memcpy(out, name, len + 1);
	return SQLITE_OK;
}

int
rp_sqlvfs_relative(void)
{
	sqlite3_vfs *base;

	if (rel_vfs.zName != NULL)
		return 0;
	if (sqlite3_initialize() != SQLITE_OK ||
	    (base = sqlite3_vfs_find(NULL)) == NULL)
		return RP_E_STATE;
	rel_vfs = *base;
	rel_vfs.zName = "rentport-relative";
	rel_vfs.pNext = NULL;
	base_fullpathname = base->xFullPathname;
	rel_vfs.xFullPathname = rel_fullpathname;
	if (sqlite3_vfs_register(&rel_vfs, 1) != SQLITE_OK) {
		memset(&rel_vfs, 0, sizeof(rel_vfs));
		return RP_E_STATE;
	}
	return 0;
}
