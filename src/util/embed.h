/* SPDX-License-Identifier: ISC */
/*
 * embed.h — files compiled into the binary at build time (tools/embed.c):
 * static web assets and SQL migrations, named by their path in the source
 * tree, e.g. "src/store/migrations/0001_init.sql".
 */
#ifndef RP_EMBED_H
#define RP_EMBED_H

#include <stddef.h>

struct rp_embed {
	const char *name;	/* path relative to the source root */
	const char *data;	/* NUL-terminated for convenience */
	size_t len;
};

/* The table, ending with a NULL name. */
extern const struct rp_embed rp_embedded[];

/* Finds a file by exact name, or NULL. */
const struct rp_embed *rp_embed_find(const char *name);

#endif
