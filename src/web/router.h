/* SPDX-License-Identifier: ISC */
/*
 * router.h — matches a request's method and decoded path against a static
 * route table (web workers).  A pattern is a '/'-separated list of literal
 * segments and named parameters, e.g. "/c/{slug}/orders/{number}"; a
 * parameter matches exactly one non-empty segment.  The pattern itself is
 * the route's label in metrics and access logs, so no raw path (which may
 * carry personal data) ever reaches them.
 */
#ifndef RP_WEB_ROUTER_H
#define RP_WEB_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "util/errors.h"
#include "util/str.h"

#define RP_ROUTE_MAX_PARAMS	8

/* Route flags. */
#define RP_ROUTE_AUTH		0x1	/* needs an authenticated session */
#define RP_ROUTE_BODY		0x2	/* accepts a request body */

struct rp_req;

struct rp_route {
	const char *method;		/* "GET" (also serves HEAD), "POST", ... */
	const char *pattern;		/* "/c/{slug}/orders/{number}" */
	int (*handler)(struct rp_req *req);
	unsigned flags;			/* RP_ROUTE_* */
	uint64_t max_body;		/* 0: the configured cap for the auth state */
};

struct rp_route_match {
	const struct rp_route *route;	/* borrowed from the table */
	size_t index;			/* position in the table */
	size_t nparams;
	struct rp_str name[RP_ROUTE_MAX_PARAMS];	/* borrowed from the pattern */
	struct rp_str value[RP_ROUTE_MAX_PARAMS];	/* borrowed from the path */
};

/*
 * Finds the first route of table[0..n) whose pattern matches path and whose
 * method is method (HEAD also matches GET routes).
 *
 * 0 with *m filled; RP_E_NOTFOUND when no pattern matches the path (→ 404);
 * RP_E_DENIED when some pattern matches but not with this method (→ 405),
 * with the allowed methods, comma-separated, in allow (NUL-terminated,
 * truncated to allowsz).  allow may be NULL when allowsz is 0.
 */
int rp_route_match(const struct rp_route *table, size_t n,
    struct rp_str method, struct rp_str path, struct rp_route_match *m,
    char *allow, size_t allowsz) RP_WARN_UNUSED;

/* The value of parameter name in m: 0 and *value, or RP_E_NOTFOUND. */
int rp_route_param(const struct rp_route_match *m, const char *name,
    struct rp_str *value);

#endif
