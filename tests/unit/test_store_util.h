/* SPDX-License-Identifier: ISC */
/*
 * test_store_util.h — scratch data directories for store/person/seed unit tests:
 * tmpdir_make() creates one under $TMPDIR (or /tmp), tmpdir_remove()
 * deletes it and everything in it.
 */
#ifndef RP_TEST_STORE_UTIL_H
#define RP_TEST_STORE_UTIL_H

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline char *
tmpdir_make(char *buf, size_t len)
{
	const char *t = getenv("TMPDIR");

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
