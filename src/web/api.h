/* SPDX-License-Identifier: ISC */
/*
 * api.h — handlers of the corporate JSON API (docs/openapi.yaml), used by
 * the route table in routes.c.  Each answers the request (0) or returns a
 * negative RP_E_* if even the error answer could not be sent.
 */
#ifndef RP_WEB_API_H
#define RP_WEB_API_H

#include <jansson.h>
#include <stdbool.h>

#include "util/str.h"

struct rp_req;
struct rp_order_errors;

int rp_api_plans(struct rp_req *rq);		/* GET /api/v1/plans */
int rp_api_counters(struct rp_req *rq);		/* GET /api/v1/counters */
int rp_api_availability(struct rp_req *rq);	/* GET /api/v1/availability */
int rp_api_quote(struct rp_req *rq);		/* POST /api/v1/quotes */
int rp_api_order_new(struct rp_req *rq);	/* POST /api/v1/orders */
int rp_api_order_get(struct rp_req *rq);	/* GET /api/v1/orders/{number} */
int rp_api_order_cancel(struct rp_req *rq);	/* POST /api/v1/orders/{number}/cancel */

/* The JSON helpers of every API (the corporate one, the console's). */
/* Answers j (consumed) as application/json with status. */
int rp_api_reply_json(struct rp_req *rq, unsigned status, json_t *j);
/* {"error":{"code","message":{"ja","en"},"fields","request_id"}} */
int rp_api_error_fields(struct rp_req *rq, unsigned status, const char *code,
    const char *ja, const char *en, const struct rp_order_errors *errs);
/* The request body as JSON (depth-checked, no duplicate keys), or NULL. */
json_t *rp_api_body_json(struct rp_req *rq);
/* A string member (empty if absent; *bad if of another type). */
struct rp_str rp_api_jstr(json_t *o, const char *key, bool *bad);
/* True if every key of o is in the NULL-terminated keys. */
bool rp_api_known_keys(json_t *o, const char *const *keys);

#endif
