/* SPDX-License-Identifier: ISC */
/*
 * request.h — one HTTP request inside a web worker (folder-internal):
 * the per-request context that intake (web.c) fills and handlers
 * (routes.c) read, and the reply functions every response goes through so
 * that each one carries the security headers and the request id.
 */
#ifndef RP_WEB_REQUEST_H
#define RP_WEB_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

#include "conf/conf.h"
#include "util/buf.h"
#include "util/str.h"
#include "web/metrics.h"
#include "web/router.h"

struct rp_store;
struct rp_waf_tx;

/* Per-process state of a web worker, read-only once serving starts. */
struct rp_worker {
	const struct rp_conf *conf;	/* borrowed */
	struct rp_metrics *m;		/* borrowed; shared with the other workers */
	int parent_fd;
	unsigned index;
	bool secure;			/* public_url is https: Secure cookies, HSTS */
	bool console;			/* a staff console worker (console.c) */
	const struct rp_route *routes;	/* its route table */
	size_t nroutes;
};

extern struct rp_worker rp_worker;

/* Created when the request line has been read, freed when it completes. */
struct rp_req {
	struct MHD_Connection *conn;	/* borrowed */
	char id[33];			/* X-Request-Id: 16 random bytes, hex */
	uint64_t t0_us;			/* monotonic start */
	char *target;			/* owned: raw request target (path?query) */
	size_t target_len;
	const char *method;		/* a known method name, or "OTHER" */
	bool head;			/* HEAD: send headers only */
	struct rp_buf path;		/* decoded path */
	struct rp_str query;		/* raw query, borrowed from target */
	struct rp_route_match match;
	size_t slot;			/* metrics route slot */
	const char *label;		/* route pattern for logs and metrics */
	bool authenticated;		/* XXX: no sessions yet, always false */
	uint64_t body_cap;
	struct rp_buf body;		/* request body, capped at body_cap */
	uint64_t drained;		/* body bytes dropped past the cap */
	bool started, body_too_big, replied;
	unsigned status;		/* sent status, 0 until replied */
	uint64_t bytes;			/* body bytes sent */
	/* WAF (src/waf): this request's transaction (NULL when off), and a
	 * refusal decided at intake that waits for the WAF's body phase. */
	struct rp_waf_tx *waf;
	unsigned refuse;		/* 400, 404, 405, 413, 414 or 0 */
	char allow[64];			/* Allow header of a 405 */
};

/*
 * Queues resp (consumed, even on failure) with status, adding the security
 * headers, X-Request-Id and cache ("no-store" if NULL).  body_len is the
 * size counted in logs and metrics.  0, or RP_E_IO if MHD refused it.
 */
int rp_reply(struct rp_req *rq, unsigned status, struct MHD_Response *resp,
    size_t body_len, const char *cache) RP_WARN_UNUSED;
/* Replies with the contents of body (detached; body is left empty). */
int rp_reply_buf(struct rp_req *rq, unsigned status, const char *type,
    struct rp_buf *body, const char *cache) RP_WARN_UNUSED;
/* The same with a Vary header (vary may be NULL). */
int rp_reply_buf_vary(struct rp_req *rq, unsigned status, const char *type,
    struct rp_buf *body, const char *cache, const char *vary) RP_WARN_UNUSED;
/* Replies with static bytes that outlive the request (embedded files). */
int rp_reply_static(struct rp_req *rq, unsigned status, const char *type,
    const char *data, size_t len, const char *cache, const char *etag)
    RP_WARN_UNUSED;
/* A small HTML error page for status (404, 405, 413, ...). */
int rp_reply_error(struct rp_req *rq, unsigned status) RP_WARN_UNUSED;

/* The value of request header name, or an empty view. */
struct rp_str rp_req_header(const struct rp_req *rq, const char *name);

/* The route tables of the sites (routes.c) and the console (console.c). */
extern const struct rp_route rp_routes[];
extern const size_t rp_nroutes;
extern const struct rp_route rp_console_routes[];
extern const size_t rp_console_nroutes;
/* Metrics labels for every slot: the fixed slots, then the routes. */
extern struct rp_metrics_label rp_route_labels[RP_METRICS_ROUTES];

/* Store access for /readyz: 0 when the core store answers (thread-safe). */
int rp_worker_store_ping(void) RP_WARN_UNUSED;

#endif
