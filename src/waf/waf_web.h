/* SPDX-License-Identifier: ISC */
/*
 * waf_web.h — the WAF's integration points in the web worker's request
 * lifecycle (src/web/web.c calls these, and only these): the request
 * phases at intake and before any answer, the response phases in the
 * reply functions, the 403 page, and the transaction's end in MHD's
 * completion callback.  Kept here so that web.c stays a thin caller.
 * All are no-ops returning 0 when the WAF is off.
 */
#ifndef RP_WAF_WEB_H
#define RP_WAF_WEB_H

#include "web/request.h"

/*
 * Starts rq's transaction and runs the connection, URI and request-header
 * phases (method and version as MHD read them: "PUT", "HTTP/1.1").  0, an intervention status, or a
 * negative error (no transaction: the request is refused with 503, the
 * WAF failing closed).
 */
int rp_waf_req_headers(struct rp_req *rq, const char *method,
    const char *version);
/* Runs the body phase on rq->body, once (later calls repeat its answer). */
int rp_waf_req_body(struct rp_req *rq);
/* Response phases for a reply about to be queued (waf_response = 1). */
int rp_waf_req_response(struct rp_req *rq, unsigned status, const char *type,
    struct rp_str body);
/*
 * Answers an intervention: 403 → the ja/en "blocked" page with the
 * request id (under /api/: the API's JSON error, code "blocked"); another
 * 4xx → the plain error page; r < 0 → 503.
 */
int rp_waf_req_refuse(struct rp_req *rq, int r) RP_WARN_UNUSED;
/* Completion: status, logging phase, security event, cleanup. */
void rp_waf_req_end(struct rp_req *rq);

#endif
