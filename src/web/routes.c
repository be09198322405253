/* SPDX-License-Identifier: ISC */
/*
 * routes.c — the route table of the web workers and the handlers for the
 * foundation routes: home page, language switch, health, readiness,
 * metrics and static assets.  Handlers see a request whose target, path,
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

static int h_home(struct rp_req *rq);
static int h_lang(struct rp_req *rq);
static int h_healthz(struct rp_req *rq);
static int h_readyz(struct rp_req *rq);
static int h_metrics(struct rp_req *rq);
static int h_static(struct rp_req *rq);
static int h_robots(struct rp_req *rq);

/*
 * Every route is reachable before authentication for now; routes marked
 * RP_ROUTE_AUTH later get the larger body cap once sessions exist.
 */
const struct rp_route rp_routes[] = {
	{ "GET", "/", h_home, 0, 0 },
	{ "POST", "/lang", h_lang, RP_ROUTE_BODY, 1024 },
	{ "GET", "/healthz", h_healthz, 0, 0 },
	{ "GET", "/readyz", h_readyz, 0, 0 },
	{ "GET", "/metrics", h_metrics, 0, 0 },
	{ "GET", "/static/{name}", h_static, 0, 0 },
	{ "GET", "/robots.txt", h_robots, 0, 0 },
	{ "GET", "/api/v1/plans", rp_api_plans, 0, 0 },
	{ "POST", "/api/v1/quotes", rp_api_quote, RP_ROUTE_BODY, 16384 },
	{ "POST", "/api/v1/orders", rp_api_order_new, RP_ROUTE_BODY, 16384 },
	{ "GET", "/api/v1/orders/{number}", rp_api_order_get, 0, 0 },
	{ "POST", "/api/v1/orders/{number}/cancel", rp_api_order_cancel,
	  RP_ROUTE_BODY, 1024 },
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

/* The page language from ?lang=, the lang cookie and Accept-Language. */
static int
pick_lang(struct rp_req *rq, enum rp_lang *lang)
{
	struct rp_form q;
	struct rp_str ql = RP_STR_NULL, cl;
	int r;

	rp_form_init(&q);
	*lang = RP_LANG_JA;
	if ((r = rp_form_decode(rq->query, &rp_form_limits_default, &q)) != 0)
		goto out;
	(void)rp_form_get(&q, "lang", &ql);
	cl = rp_str_c(MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND,
	    "lang"));
	*lang = rp_lang_pick(ql, cl, rp_req_header(rq, "Accept-Language"));
 out:
	rp_form_release(&q);
	return r;
}

static int
h_home(struct rp_req *rq)
{
	struct rp_buf page;
	enum rp_lang lang;
	int r;

	if (pick_lang(rq, &lang) != 0)
		return bad_request(rq);
	rp_buf_init(&page, 64 * 1024);
	if ((r = rp_page_home(lang, &page)) == 0)
		r = rp_reply_buf_vary(rq, 200, "text/html; charset=utf-8", &page,
		    "no-store", "Accept-Language, Cookie");
	rp_buf_release(&page);
	return r;
}

/* POST /lang (form: lang=ja|en): remembers the choice in a cookie. */
static int
h_lang(struct rp_req *rq)
{
	struct MHD_Response *resp;
	struct rp_form f;
	struct rp_str v;
	enum rp_lang lang;
	char cookie[128];
	int r;

	rp_form_init(&f);
	if (rp_form_decode(rp_buf_str(&rq->body), &rp_form_limits_default,
	    &f) != 0 || rp_form_get(&f, "lang", &v) != 0 ||
	    (!rp_str_eq_c(v, "ja") && !rp_str_eq_c(v, "en"))) {
		rp_form_release(&f);
		return bad_request(rq);
	}
	lang = rp_str_eq_c(v, "en") ? RP_LANG_EN : RP_LANG_JA;
	rp_form_release(&f);
	snprintf(cookie, sizeof(cookie),
	    "lang=%s; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly%s",
	    rp_lang_tag(lang), rp_worker.secure ? "; Secure" : "");
	resp = MHD_create_response_from_buffer(0, (void *)"",
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return RP_E_NOMEM;
	if (MHD_add_response_header(resp, "Location", "/") != MHD_YES ||
	    MHD_add_response_header(resp, "Set-Cookie", cookie) != MHD_YES) {
		MHD_destroy_response(resp);
		return RP_E_NOMEM;
	}
	r = rp_reply(rq, 303, resp, 0, NULL);
	return r;
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
h_metrics(struct rp_req *rq)
{
	struct rp_buf out;
	int r;

	rp_buf_init(&out, 1024 * 1024);
	if ((r = rp_metrics_render(rp_worker.m, rp_route_labels,
	    RP_METRICS_ROUTE_FIRST + rp_nroutes, &out)) == 0)
		r = rp_reply_buf(rq, 200, "text/plain; version=0.0.4; charset=utf-8",
		    &out, "no-store");
	rp_buf_release(&out);
	return r;
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
