/* SPDX-License-Identifier: ISC */
/*
 * routes.c — the route table of the web workers and the handlers for the
 * foundation routes: home page, language switch, health, readiness and
 * static assets (/metrics is not here: it is served only on the internal
 * metrics listener, web.c).  Handlers see a request whose target, path,
 * header sizes and body have already passed intake's limits (web.c); what
 * they read from it (query, cookies, form fields) they decode with the
 * checked decoders and answer 400 when it is malformed.
 */
#include "util/common.h"
#include "web/api.h"
#include "web/assets.h"
#include "web/decode.h"
#include "web/pages.h"
#include "web/request.h"
#include "web/site.h"

static int h_lang(struct rp_req *rq);
static int h_healthz(struct rp_req *rq);
static int h_readyz(struct rp_req *rq);
static int h_static(struct rp_req *rq);
static int h_robots(struct rp_req *rq);

/*
 * Every route is reachable before authentication for now; routes marked
 * RP_ROUTE_AUTH later get the larger body cap once sessions exist.
 */
const struct rp_route rp_routes[] = {
	{ "GET", "/", site_home, 0, 0 },
	{ "POST", "/lang", h_lang, RP_ROUTE_BODY, 1024 },
	{ "GET", "/healthz", h_healthz, 0, 0 },
	{ "GET", "/readyz", h_readyz, 0, 0 },
	{ "GET", "/static/{name}", h_static, 0, 0 },
	{ "GET", "/robots.txt", h_robots, 0, 0 },
	{ "GET", "/api/v1/plans", rp_api_plans, 0, 0 },
	{ "GET", "/api/v1/counters", rp_api_counters, 0, 0 },
	{ "GET", "/api/v1/availability", rp_api_availability, 0, 0 },
	{ "POST", "/api/v1/quotes", rp_api_quote, RP_ROUTE_BODY, 16384 },
	{ "POST", "/api/v1/orders", rp_api_order_new, RP_ROUTE_BODY, 16384 },
	{ "GET", "/api/v1/orders/{number}", rp_api_order_get, 0, 0 },
	{ "POST", "/api/v1/orders/{number}/cancel", rp_api_order_cancel,
	  RP_ROUTE_BODY, 1024 },
	/* the ordering sites (site*.c): public, then corporate by path */
	{ "GET", "/brand.css", site_brand_css, 0, 0 },
	{ "POST", "/access", site_access, RP_ROUTE_BODY, 4096 },
	{ "GET", "/plans", site_plans, 0, 0 },
	{ "GET", "/quote", site_quote, 0, 0 },
	{ "GET", "/order", site_order_form, 0, 0 },
	{ "POST", "/order", site_order_post, RP_ROUTE_BODY, 32768 },
	{ "POST", "/order/confirm", site_order_confirm, RP_ROUTE_BODY, 32768 },
	{ "GET", "/order/done", site_order_done, 0, 0 },
	{ "GET", "/my-order", site_my, 0, 0 },
	{ "POST", "/my-order/link", site_my_link, RP_ROUTE_BODY, 4096 },
	{ "GET", "/my-order/open", site_my_open, 0, 0 },
	{ "POST", "/my-order/open", site_my_open_post, RP_ROUTE_BODY, 4096 },
	{ "GET", "/my-order/change", site_my_change, 0, 0 },
	{ "POST", "/my-order/change", site_my_change_post, RP_ROUTE_BODY, 8192 },
	{ "GET", "/my-order/cancel", site_my_cancel, 0, 0 },
	{ "POST", "/my-order/cancel", site_my_cancel_post, RP_ROUTE_BODY, 4096 },
	{ "GET", "/my-order/receipt", site_my_receipt, 0, 0 },
	{ "GET", "/order/paid", site_order_paid, 0, 0 },
	{ "GET", "/my-order/pay", site_my_pay, 0, 0 },
	{ "POST", "/my-order/pay", site_my_pay_post, RP_ROUTE_BODY, 4096 },
	{ "GET", "/c/{slug}/", site_home, 0, 0 },
	{ "GET", "/c/{slug}/brand.css", site_brand_css, 0, 0 },
	{ "POST", "/c/{slug}/access", site_access, RP_ROUTE_BODY, 4096 },
	{ "GET", "/c/{slug}/plans", site_plans, 0, 0 },
	{ "GET", "/c/{slug}/quote", site_quote, 0, 0 },
	{ "GET", "/c/{slug}/order", site_order_form, 0, 0 },
	{ "POST", "/c/{slug}/order", site_order_post, RP_ROUTE_BODY, 32768 },
	{ "POST", "/c/{slug}/order/confirm", site_order_confirm, RP_ROUTE_BODY, 32768 },
	{ "GET", "/c/{slug}/order/done", site_order_done, 0, 0 },
	{ "GET", "/c/{slug}/my-order", site_my, 0, 0 },
	{ "POST", "/c/{slug}/my-order/link", site_my_link, RP_ROUTE_BODY, 4096 },
	{ "GET", "/c/{slug}/my-order/open", site_my_open, 0, 0 },
	{ "POST", "/c/{slug}/my-order/open", site_my_open_post, RP_ROUTE_BODY, 4096 },
	{ "GET", "/c/{slug}/my-order/change", site_my_change, 0, 0 },
	{ "POST", "/c/{slug}/my-order/change", site_my_change_post, RP_ROUTE_BODY, 8192 },
	{ "GET", "/c/{slug}/my-order/cancel", site_my_cancel, 0, 0 },
	{ "POST", "/c/{slug}/my-order/cancel", site_my_cancel_post, RP_ROUTE_BODY, 4096 },
	{ "GET", "/c/{slug}/my-order/receipt", site_my_receipt, 0, 0 },
	{ "GET", "/c/{slug}/order/paid", site_order_paid, 0, 0 },
	{ "GET", "/c/{slug}/my-order/pay", site_my_pay, 0, 0 },
	{ "POST", "/c/{slug}/my-order/pay", site_my_pay_post, RP_ROUTE_BODY, 4096 },
	{ "GET", "/c/{slug}", site_home, 0, 0 },
};
const size_t rp_nroutes = RP_ARRAY_LEN(rp_routes);

struct rp_metrics_label rp_route_labels[RP_METRICS_ROUTES] = {
	[RP_METRICS_ROUTE_REJECTED] = { NULL, "rejected" },
	[RP_METRICS_ROUTE_UNMATCHED] = { NULL, "unmatched" },
};

/* Table sizes are fixed at compile time; check they fit the metrics. */
_Static_assert(RP_ARRAY_LEN(rp_routes) + RP_METRICS_ROUTE_FIRST <=
    RP_METRICS_ROUTES, "too many routes for the metrics table");

static int
bad_request(struct rp_req *rq)
{
	return rp_reply_error(rq, 400);
}

/*
 * POST /lang (form: lang=ja|en, csrf): remembers the choice in a cookie.
 * A POST of the sites like the others: page_begin checks the CSRF token
 * and the Origin (403) before the value is looked at.
 */
static int
h_lang(struct rp_req *rq)
{
	struct rp_str v;
	struct page pg;
	int r;

	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	if (rp_form_get(&pg.form, "lang", &v) != 0 ||
	    (!rp_str_eq_c(v, "ja") && !rp_str_eq_c(v, "en"))) {
		r = bad_request(rq);
		goto out;
	}
	if ((r = page_cookie(&pg, "lang", v, 365L * 24 * 3600)) == 0)
		r = page_redirect(&pg, "");
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

static int
h_healthz(struct rp_req *rq)
{
	return rp_reply_static(rq, 200, "text/plain; charset=utf-8", "ok\n", 3,
	    "no-store", NULL);
}

static int
h_readyz(struct rp_req *rq)
{
	if (rp_worker_store_ping() != 0)
		return rp_reply_static(rq, 503, "text/plain; charset=utf-8",
		    "store unavailable\n", 18, "no-store", NULL);
	return rp_reply_static(rq, 200, "text/plain; charset=utf-8", "ready\n",
	    6, "no-store", NULL);
}

static int
serve_asset(struct rp_req *rq, const struct rp_asset *a)
{
	struct MHD_Response *resp;
	struct rp_str inm;
	const char *cache = "public, max-age=3600";

	if (a == NULL)
		return rp_reply_error(rq, 404);
	inm = rp_req_header(rq, "If-None-Match");
	if (inm.n > 0 && rp_etag_match(inm, a->etag)) {
		resp = MHD_create_response_from_buffer(0, (void *)"",
		    MHD_RESPMEM_PERSISTENT);
		if (resp == NULL)
			return RP_E_NOMEM;
		if (MHD_add_response_header(resp, "ETag", a->etag) != MHD_YES) {
			MHD_destroy_response(resp);
			return RP_E_NOMEM;
		}
		return rp_reply(rq, 304, resp, 0, cache);
	}
	return rp_reply_static(rq, 200, a->type, a->data, a->len, cache,
	    a->etag);
}

static int
h_static(struct rp_req *rq)
{
	struct rp_str name;

	if (rp_route_param(&rq->match, "name", &name) != 0)
		return rp_reply_error(rq, 404);
	return serve_asset(rq, rp_asset_find(name));
}

static int
h_robots(struct rp_req *rq)
{
	return serve_asset(rq, rp_asset_find(RP_STR_LIT("robots.txt")));
}
