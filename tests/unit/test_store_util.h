/* SPDX-License-Identifier: ISC */
/*
 * test_store_util.h — scratch data directories for store/person/seed unit tests:
 * tmpdir_make() creates one under $TMPDIR (or /tmp), tmpdir_remove()
 * deletes the files in it (flat: databases and their WAL files) and it.
 */
#ifndef RP_TEST_STORE_UTIL_H
#define RP_TEST_STORE_UTIL_H

#include <dirent.h>
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

static inline void
tmpdir_remove(const char *dir)
{
	struct dirent *e;
	char p[4096];
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
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
