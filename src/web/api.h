/* SPDX-License-Identifier: ISC */
/*
 * api.h — handlers of the corporate JSON API (docs/openapi.yaml), used by
 * the route table in routes.c.  Each answers the request (0) or returns a
 * negative RP_E_* if even the error answer could not be sent.
 */
#ifndef RP_WEB_API_H
#define RP_WEB_API_H

struct rp_req;

int rp_api_plans(struct rp_req *rq);		/* GET /api/v1/plans */
int rp_api_quote(struct rp_req *rq);		/* POST /api/v1/quotes */
int rp_api_order_new(struct rp_req *rq);	/* POST /api/v1/orders */
int rp_api_order_get(struct rp_req *rq);	/* GET /api/v1/orders/{number} */
int rp_api_order_cancel(struct rp_req *rq);	/* POST /api/v1/orders/{number}/cancel */

#endif
