/* SPDX-License-Identifier: ISC */
/*
 * test_router.c — route matching (src/web/router.c): literal and
 * parameter segments, HEAD on GET routes, 404 vs 405 with Allow, and
 * that parameters are views of the path.
 */
#include "util/common.h"
#include "web/router.h"

#include "tap.h"

static int h(struct rp_req *rq) { (void)rq; return 0; }

static const struct rp_route table[] = {
	{ "GET", "/", h, 0, 0 },
	{ "GET", "/healthz", h, 0, 0 },
	{ "GET", "/c/{slug}/orders/{number}", h, RP_ROUTE_AUTH, 0 },
	{ "POST", "/c/{slug}/orders/{number}", h, RP_ROUTE_AUTH | RP_ROUTE_BODY, 0 },
	{ "POST", "/lang", h, RP_ROUTE_BODY, 1024 },
	{ "GET", "/static/{name}", h, 0, 0 },
};

static int
match(const char *method, const char *path, struct rp_route_match *m,
    char *allow, size_t allowsz)
{
	return rp_route_match(table, RP_ARRAY_LEN(table), rp_str_c(method),
	    rp_str_c(path), m, allow, allowsz);
}

int
main(void)
{
	struct rp_route_match m;
	struct rp_str v;
	char allow[64];
	const char *p;

	is_int(match("GET", "/", &m, allow, sizeof(allow)), 0, "GET /");
	is_int(m.index, 0, "first route");
	is_int(match("GET", "/healthz", &m, allow, sizeof(allow)), 0, "GET /healthz");
	is_str(m.route->pattern, "/healthz", "pattern is the label");
	is_int(match("HEAD", "/healthz", &m, allow, sizeof(allow)), 0,
	    "HEAD matches a GET route");
	is_int(m.index, 1, "HEAD → GET route");

	p = "/c/acme/orders/R-0001";
	is_int(match("GET", p, &m, allow, sizeof(allow)), 0, "two parameters");
	is_int(m.index, 2, "GET order route");
	is_int(m.nparams, 2, "two captured");
	ok(rp_route_param(&m, "slug", &v) == 0 && rp_str_eq_c(v, "acme"), "slug");
	ok(rp_route_param(&m, "number", &v) == 0 && rp_str_eq_c(v, "R-0001"),
	    "number");
	ok(v.p >= p && v.p < p + strlen(p), "value is a view of the path");
	ok(rp_route_param(&m, "nope", &v) == RP_E_NOTFOUND && v.n == 0,
	    "undeclared parameter");
	is_int(match("POST", p, &m, allow, sizeof(allow)), 0, "POST same pattern");
	is_int(m.index, 3, "POST order route");
	ok(m.route->flags & RP_ROUTE_AUTH, "flags come with the route");

	is_int(match("GET", "/nope", &m, allow, sizeof(allow)), RP_E_NOTFOUND,
	    "unknown path");
	ok(m.route == NULL, "no route on failure");
	is_int(match("GET", "/healthz/", &m, allow, sizeof(allow)), RP_E_NOTFOUND,
	    "trailing slash is another path");
	is_int(match("GET", "/c/acme/orders", &m, allow, sizeof(allow)),
	    RP_E_NOTFOUND, "too few segments");
	is_int(match("GET", "/c/acme/orders/1/x", &m, allow, sizeof(allow)),
	    RP_E_NOTFOUND, "too many segments");
	is_int(match("GET", "/c//orders/1", &m, allow, sizeof(allow)),
	    RP_E_NOTFOUND, "empty parameter does not match");
	is_int(match("GET", "/static/", &m, allow, sizeof(allow)), RP_E_NOTFOUND,
	    "empty last parameter does not match");
	is_int(match("GET", "", &m, allow, sizeof(allow)), RP_E_NOTFOUND,
	    "empty path");

	is_int(match("DELETE", "/healthz", &m, allow, sizeof(allow)), RP_E_DENIED,
	    "known path, other method");
	is_str(allow, "GET, HEAD", "Allow for a GET route");
	is_int(match("PUT", p, &m, allow, sizeof(allow)), RP_E_DENIED,
	    "PUT on order");
	is_str(allow, "GET, HEAD, POST", "Allow lists every method");
	is_int(match("GET", "/lang", &m, allow, sizeof(allow)), RP_E_DENIED,
	    "GET on POST-only route");
	is_str(allow, "POST", "Allow: POST");
	is_int(match("PUT", p, &m, allow, 4), RP_E_DENIED, "small allow buffer");
	ok(strlen(allow) < 4, "Allow truncated safely");
	is_int(match("get", "/healthz", &m, NULL, 0), RP_E_DENIED,
	    "methods are case-sensitive");
	return tap_done();
}
