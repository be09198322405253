/* SPDX-License-Identifier: ISC */
/*
 * assets.h — static files compiled into the binary (src/web/static/),
 * served by the web workers at /static/<name> (and /robots.txt) with a
 * strong ETag computed once at start and a Cache-Control policy.
 */
#ifndef RP_WEB_ASSETS_H
#define RP_WEB_ASSETS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/errors.h"
#include "util/str.h"

struct rp_asset {
	const char *name;	/* URL name: /static/<name> */
	const char *file;	/* embedded path, "src/web/static/..." */
	const char *type;	/* Content-Type */
	const char *data;	/* borrowed from the embedded table */
	size_t len;
	char etag[40];		/* "\"<32 hex>\"", a strong validator */
};

/*
 * Finds the embedded files and computes their ETags.  Call once per
 * process before serving (not thread-safe).  0, or RP_E_NOTFOUND if a
 * file listed in assets.c was not embedded (a build error).
 */
int rp_assets_init(void) RP_WARN_UNUSED;

/* The asset called name, or NULL (also before rp_assets_init). */
const struct rp_asset *rp_asset_find(struct rp_str name);

/*
 * True if the If-None-Match header value inm (a comma-separated list of
 * entity tags, or "*") matches etag; weak tags compare by their opaque
 * part, as RFC 9110 asks for If-None-Match.
 */
bool rp_etag_match(struct rp_str inm, const char *etag);

#endif
