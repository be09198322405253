/* SPDX-License-Identifier: ISC */
/*
 * console.c — the staff console: sign-in (password + TOTP), enrolment with
 * a QR code, the session pages, a home page per role, and the JSON API for
 * handheld devices and scripts (docs/openapi-console.yaml).  Served by the
 * console workers (rentport-console) on their own listener, through the
 * same intake, WAF, IPS and template layer as the sites (web.c, site.c's
 * page_begin in console mode: CSRF and Origin on every POST).
 *
 * The worker holds no identity: every request's session is looked up at
 * the identity holder (auth/client.h), which answers who it is and a
 * capability for the vault.  Identity holder down → 503, nothing done.
 * Every route but sign-in, health and static files needs a session; a
 * role's pages need that role (403), a counter's page one of its counters,
 * a client administrator's page its own tenant.
 */
#include "util/common.h"
#include "auth/auth.h"
#include "auth/client.h"
#include "ips/ips.h"
#include "store/store.h"
#include "web/api.h"
#include "web/assets.h"
#include "web/conns.h"
#include "web/console.h"
#include "web/decode.h"
#include "web/ipsgate.h"
#include "web/request.h"
#include "web/site.h"
#include "web/tmpl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <qrencode.h>
#include <sodium.h>

#define ENROL_COOKIE	"staff_enrol"

static int c_root(struct rp_req *rq);
static int c_signin_form(struct rp_req *rq);
static int c_signin(struct rp_req *rq);
static int c_enrol(struct rp_req *rq);
static int c_signout(struct rp_req *rq);
static int c_sessions(struct rp_req *rq);
static int c_revoke(struct rp_req *rq);
static int c_role_home(struct rp_req *rq);
static int c_client(struct rp_req *rq);
static int c_healthz(struct rp_req *rq);
static int c_static(struct rp_req *rq);
static int c_api_session(struct rp_req *rq);
static int c_api_me(struct rp_req *rq);
static int c_api_signout(struct rp_req *rq);

const struct rp_route rp_console_routes[] = {
	{ "GET", "/", c_root, 0, 0 },
	{ "GET", "/sign-in", c_signin_form, 0, 0 },
	{ "POST", "/sign-in", c_signin, RP_ROUTE_BODY, 4096 },
	{ "POST", "/enrol", c_enrol, RP_ROUTE_BODY, 4096 },
	{ "POST", "/sign-out", c_signout, RP_ROUTE_BODY, 1024 },
	{ "GET", "/sessions", c_sessions, 0, 0 },
	{ "POST", "/sessions/revoke", c_revoke, RP_ROUTE_BODY, 1024 },
	{ "GET", "/backoffice", c_role_home, 0, 0 },
	{ "GET", "/security", c_role_home, 0, 0 },
	{ "GET", "/incident", c_role_home, 0, 0 },
	{ "GET", "/counter/{code}", counter_home, 0, 0 },
	{ "GET", "/counter/{code}/orders/{number}", counter_order_page, 0, 0 },
	{ "POST", "/counter/{code}/orders/{number}/pickup", counter_pickup_post,
	  RP_ROUTE_BODY, 2048 },
	{ "POST", "/counter/{code}/orders/{number}/return", counter_return_post,
	  RP_ROUTE_BODY, 2048 },
	{ "POST", "/counter/{code}/orders/{number}/settle", counter_settle_post,
	  RP_ROUTE_BODY, 2048 },
	{ "GET", "/counter/{code}/walk-in", counter_walkin_form, 0, 0 },
	{ "POST", "/counter/{code}/walk-in", counter_walkin_post, RP_ROUTE_BODY,
	  8192 },
	{ "GET", "/client/{slug}", c_client, 0, 0 },
	{ "GET", "/healthz", c_healthz, 0, 0 },
	{ "GET", "/static/{name}", c_static, 0, 0 },
	{ "POST", "/api/v1/session", c_api_session, RP_ROUTE_BODY, 4096 },
	{ "GET", "/api/v1/me", c_api_me, 0, 0 },
	{ "DELETE", "/api/v1/session", c_api_signout, 0, 0 },
	{ "GET", "/api/v1/counters/{code}/today", counter_api_today, 0, 0 },
	{ "GET", "/api/v1/counters/{code}/units", counter_api_units, 0, 0 },
	{ "POST", "/api/v1/orders/{number}/pickup", counter_api_pickup,
	  RP_ROUTE_BODY, 2048 },
	{ "POST", "/api/v1/orders/{number}/return", counter_api_return,
	  RP_ROUTE_BODY, 2048 },
	{ "POST", "/api/v1/orders/{number}/settle", counter_api_settle,
	  RP_ROUTE_BODY, 2048 },
	{ "POST", "/api/v1/orders/{number}/dispatch", counter_api_dispatch,
	  RP_ROUTE_BODY, 2048 },
	{ "GET", "/api/v1/units/{serial}", counter_api_unit, 0, 0 },
	{ "POST", "/api/v1/units/{serial}/transfer", counter_api_transfer,
	  RP_ROUTE_BODY, 1024 },
};
const size_t rp_console_nroutes = RP_ARRAY_LEN(rp_console_routes);

_Static_assert(RP_ARRAY_LEN(rp_console_routes) + RP_METRICS_ROUTE_FIRST <=
    RP_METRICS_ROUTES, "too many console routes for the metrics table");

static const char *
session_cookie(void)
{
	return rp_worker.secure ? "__Host-staff" : "staff";
}

static const char *
data_dir(void)
{
	return rp_worker.conf->data_dir;
}

/* The client's address as text, for the identity holder's records. */
static void
client_text(const struct rp_req *rq, char out[RP_AUTH_CLIENT_MAX + 1])
{
	const struct sockaddr *sa = rp_req_addr(rq);

	snprintf(out, RP_AUTH_CLIENT_MAX + 1, "?");
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, out, RP_AUTH_CLIENT_MAX + 1);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)
		    sa)->sin6_addr, out, RP_AUTH_CLIENT_MAX + 1);
}

/* The home of a role ("/backoffice", "/counter/NRT1", "/client/slug"). */
static void
role_home(const struct rp_auth_who *w, char *out, size_t n)
{
	switch (w->role) {
	case RP_STAFF_COUNTER:
		snprintf(out, n, "/counter/%.*s", (int)strcspn(w->counters,
		    ","), w->counters);
		break;
	case RP_STAFF_CLIENT_ADMIN: {
		struct rp_store *st = rp_web_store();
		struct rp_tenant t;

		if (st != NULL && rp_store_tenant_get_id(st, w->tenant, &t) == 0)
			snprintf(out, n, "/client/%s", t.slug);
		else
			snprintf(out, n, "/sessions");
		break;
	}
	default:
		snprintf(out, n, "/%s", rp_staff_role_name(w->role));
	}
}

/* ---- pages -------------------------------------------------------------- */

static void
set_who(struct page *pg, const struct rp_auth_who *w)
{
	struct rp_tmpl_scope *me;
	char home[96];

	if (rp_tmpl_object(pg->root, "me", &me) != 0)
		return;
	rp_tmpl_set_c(me, "user", w->user);
	rp_tmpl_set_c(me, "role", rp_staff_role_name(w->role));
	rp_tmpl_set_c(me, "session", w->sid);
	role_home(w, home, sizeof(home));
	rp_tmpl_set_c(me, "home", home);
}

/*
 * The session of this request: 0 and *w; otherwise an answer has been
 * sent (1): the sign-in page for a missing or ended session, 503 when the
 * identity holder is down.
 */
int
console_need_session(struct page *pg, struct rp_auth_who *w,
    struct rp_str *token)
{
	int r;

	if (rp_cookie_get(&pg->ck, session_cookie(), token) != 0)
		*token = RP_STR_NULL;
	r = token->n > 0 ? rp_auth_client_who(data_dir(), *token, "", w) :
	    RP_E_NOTFOUND;
	if (r == 0) {
		set_who(pg, w);
		return 0;
	}
	if (r == RP_E_AGAIN || r == RP_E_PROTO || r == RP_E_NOMEM)
		return page_error(pg, 503) == 0 ? 1 : -1;
	if (token->n > 0)
		(void)page_cookie(pg, session_cookie(), RP_STR_LIT("x"), 0);
	return page_redirect(pg, "sign-in") == 0 ? 1 : -1;
}

static int
signin_page(struct page *pg, unsigned status, bool failed, struct rp_str user)
{
	rp_tmpl_set_bool(pg->root, "failed", failed);
	rp_tmpl_set(pg->root, "user", user);
	return page_render(pg, status, "console_signin");
}

static int
c_signin_form(struct rp_req *rq)
{
	struct page pg;
	int r;

	if ((r = page_begin(&pg, rq)) == 0)
		r = signin_page(&pg, 200, false, RP_STR_NULL);
	page_end(&pg);
	return r < 0 ? r : 0;
}

/*
 * The QR code of text for the template: its size and one SVG path of the
 * dark modules, a rectangle per horizontal run ("M4 4h3v1h-3z…": digits,
 * letters and spaces only, escaped like any attribute).
 */
static void
qr_vars(struct page *pg, const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	struct rp_tmpl_scope *qr;
	struct rp_buf d;

	if (q == NULL)
		return;
	rp_buf_init(&d, 64 * 1024);
	for (int y = 0; y < q->width; y++)
		for (int x = 0; x < q->width; x++) {
			int n = 0;

			while (x + n < q->width &&
			    (q->data[y * q->width + x + n] & 1))
				n++;
			if (n > 0) {
				rp_buf_printf(&d, "M%d %dh%dv1h-%dz", x + 4, y + 4,
				    n, n);
				x += n;
			}
		}
	if (d.err == 0 && rp_tmpl_object(pg->root, "qr", &qr) == 0) {
		rp_tmpl_set_u64(qr, "size", (uint64_t)q->width + 8);
		rp_tmpl_set(qr, "path", rp_buf_str(&d));
	}
	rp_buf_release(&d);
	QRcode_free(q);
}

static void
ips_failed(const struct rp_req *rq)
{
	rp_ips_note(RP_IPS_EV_LOGIN_FAIL, rp_req_addr(rq));
}

static int
c_signin(struct rp_req *rq)
{
	char token[RP_AUTH_TOKEN_LEN + 1], uri[256], client[RP_AUTH_CLIENT_MAX + 1];
	char home[96];
	struct rp_auth_who w;
	struct page pg;
	struct rp_str user, pw, code;
	int r;

	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	user = page_arg(&pg, "user");
	pw = page_arg(&pg, "password");
	code = page_arg(&pg, "code");
	client_text(rq, client);
	r = rp_auth_client_signin(data_dir(), user, pw, code, "console",
	    client, 1, token, &w, uri);
	if (r == 0) {
		role_home(&w, home, sizeof(home));
		if ((r = page_cookie(&pg, session_cookie(), rp_str_c(token),
		    -1)) == 0)
			r = page_redirect(&pg, home + 1);
	} else if (r == RP_E_STATE) {
		/* the password was right, the account has no code yet */
		const char *sec = strstr(uri, "secret=");

		if ((r = page_cookie(&pg, ENROL_COOKIE, rp_str_c(token),
		    RP_AUTH_ENROL_S)) == 0) {
			qr_vars(&pg, uri);
			rp_tmpl_set_c(pg.root, "uri", uri);
			if (sec != NULL)
				rp_tmpl_set(pg.root, "secret", (struct rp_str){
				    sec + 7, strcspn(sec + 7, "&") });
			rp_tmpl_set(pg.root, "user", user);
			r = page_render(&pg, 200, "console_enrol");
		}
	} else if (r == RP_E_DENIED) {
		ips_failed(rq);
		r = signin_page(&pg, 401, true, user);
	} else
		r = page_error(&pg, 503);
	sodium_memzero(token, sizeof(token));
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

static int
c_enrol(struct rp_req *rq)
{
	char token[RP_AUTH_TOKEN_LEN + 1], client[RP_AUTH_CLIENT_MAX + 1];
	char home[96];
	struct rp_auth_who w;
	struct rp_str ticket;
	struct page pg;
	int r;

	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	if (rp_cookie_get(&pg.ck, ENROL_COOKIE, &ticket) != 0)
		ticket = RP_STR_NULL;
	client_text(rq, client);
	r = rp_auth_client_enrol(data_dir(), ticket, page_arg(&pg, "code"),
	    "console", client, token, &w);
	(void)page_cookie(&pg, ENROL_COOKIE, RP_STR_LIT("x"), 0);
	if (r == 0) {
		role_home(&w, home, sizeof(home));
		if ((r = page_cookie(&pg, session_cookie(), rp_str_c(token),
		    -1)) == 0)
			r = page_redirect(&pg, home + 1);
	} else if (r == RP_E_DENIED || r == RP_E_NOTFOUND) {
		ips_failed(rq);
		r = signin_page(&pg, 401, true, RP_STR_NULL);
	} else
		r = page_error(&pg, 503);
	sodium_memzero(token, sizeof(token));
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

static int
c_signout(struct rp_req *rq)
{
	struct rp_auth_who w;
	struct rp_str token;
	struct page pg;
	int r;

	if ((r = page_begin(&pg, rq)) != 0 ||
	    (r = console_need_session(&pg, &w, &token)) != 0)
		goto out;
	if ((r = rp_auth_client_signout(data_dir(), token)) != 0 &&
	    r != RP_E_NOTFOUND) {
		r = page_error(&pg, 503);
		goto out;
	}
	(void)page_cookie(&pg, session_cookie(), RP_STR_LIT("x"), 0);
	r = page_redirect(&pg, "sign-in");
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

void
console_time_text(int64_t t, char out[32])
{
	time_t tt = (time_t)t + 9 * 3600;	/* Japan time */
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M", &tm);
}

static int
c_sessions(struct rp_req *rq)
{
	struct rp_auth_row *rows = NULL;
	struct rp_tmpl_scope *it;
	struct rp_auth_who w;
	struct rp_str token;
	struct page pg;
	char t[32];
	size_t n = 0;
	int r;

	if ((r = page_begin(&pg, rq)) != 0 ||
	    (r = console_need_session(&pg, &w, &token)) != 0)
		goto out;
	if ((rows = calloc(RP_AUTH_MAX_SESSIONS, sizeof(*rows))) == NULL ||
	    rp_auth_client_sessions(data_dir(), token, rows, &n) != 0) {
		r = page_error(&pg, 503);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (rp_tmpl_push(pg.root, "sessions", &it) != 0)
			break;
		rp_tmpl_set_c(it, "sid", rows[i].sid);
		rp_tmpl_set_c(it, "kind", rows[i].kind);
		rp_tmpl_set_c(it, "client", rows[i].client);
		console_time_text(rows[i].created, t);
		rp_tmpl_set_c(it, "created", t);
		console_time_text(rows[i].last_seen, t);
		rp_tmpl_set_c(it, "last_seen", t);
		console_time_text(rows[i].expires, t);
		rp_tmpl_set_c(it, "expires", t);
		rp_tmpl_set_bool(it, "current", rows[i].current);
	}
	r = page_render(&pg, 200, "console_sessions");
 out:
	free(rows);
	page_end(&pg);
	return r < 0 ? r : 0;
}

static bool
sid_ok(struct rp_str s)
{
	if (s.n != RP_AUTH_SID_HEX)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (!((s.p[i] >= '0' && s.p[i] <= '9') ||
		    (s.p[i] >= 'a' && s.p[i] <= 'f')))
			return false;
	return true;
}

static int
c_revoke(struct rp_req *rq)
{
	char sid[RP_AUTH_SID_HEX + 1];
	struct rp_auth_who w;
	struct rp_str token, s;
	struct page pg;
	int r;

	if ((r = page_begin(&pg, rq)) != 0 ||
	    (r = console_need_session(&pg, &w, &token)) != 0)
		goto out;
	s = page_arg(&pg, "sid");
	if (!sid_ok(s)) {
		r = page_error(&pg, 400);
		goto out;
	}
	memcpy(sid, s.p, s.n);
	sid[s.n] = '\0';
	r = rp_auth_client_revoke(data_dir(), token, sid);
	if (r == 0 || r == RP_E_NOTFOUND)
		r = page_redirect(&pg, strcmp(sid, w.sid) == 0 ? "sign-in" :
		    "sessions");
	else
		r = page_error(&pg, 503);
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

static int
c_root(struct rp_req *rq)
{
	struct rp_auth_who w;
	struct rp_str token;
	struct page pg;
	char home[96];
	int r;

	if ((r = page_begin(&pg, rq)) != 0 ||
	    (r = console_need_session(&pg, &w, &token)) != 0)
		goto out;
	role_home(&w, home, sizeof(home));
	r = page_redirect(&pg, home + 1);
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

/* Whether a session may see the page, and its scope (the counter code,
 * the client's slug) into scope. */
typedef bool (*scope_fn)(struct rp_req *rq, const struct rp_auth_who *w,
    char *scope, size_t n);

/* A role's home page; 403 for another role or a scope not its own. */
static int
home_page(struct rp_req *rq, int role, scope_fn mine)
{
	struct rp_auth_who w;
	struct rp_str token;
	struct page pg;
	char scope[RP_AUTH_COUNTERS_MAX + 1] = "";
	int r;

	if ((r = page_begin(&pg, rq)) != 0 ||
	    (r = console_need_session(&pg, &w, &token)) != 0)
		goto out;
	if (w.role != role || (mine != NULL && !mine(rq, &w, scope,
	    sizeof(scope)))) {
		r = page_error(&pg, 403);
		goto out;
	}
	rp_tmpl_set_bool(pg.root, rp_staff_role_name(role), true);
	rp_tmpl_set_c(pg.root, "scope", scope);
	r = page_render(&pg, 200, "console_home");
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

static int
c_role_home(struct rp_req *rq)
{
	const char *p = rq->match.route->pattern + 1;
	int role;

	if (rp_staff_role_parse(p, &role) != 0)
		return rp_reply_error(rq, 404);
	return home_page(rq, role, NULL);
}

/* Whether code is one of the comma-separated list. */
bool
console_in_list(const char *list, struct rp_str code)
{
	struct rp_str l = rp_str_c(list), item;

	while (l.n > 0) {
		if (!rp_str_split(&l, ',', &item)) {
			item = l;
			l.n = 0;
		}
		if (rp_str_eq(item, code))
			return true;
	}
	return false;
}

/* A client's page: that client's administrators only. */
static bool
client_mine(struct rp_req *rq, const struct rp_auth_who *w, char *scope,
    size_t n)
{
	struct rp_str slug;
	struct rp_store *st;
	struct rp_tenant t;
	char s[RP_STORE_CODE_MAX + 1];

	if (rp_route_param(&rq->match, "slug", &slug) != 0 || slug.n == 0 ||
	    slug.n > RP_STORE_CODE_MAX)
		return false;
	snprintf(s, sizeof(s), "%.*s", (int)slug.n, slug.p);
	if ((st = rp_web_store()) == NULL || rp_store_tenant_get(st, s, &t) != 0 ||
	    t.id != (int64_t)w->tenant)
		return false;
	snprintf(scope, n, "%s", s);
	return true;
}

static int
c_client(struct rp_req *rq)
{
	return home_page(rq, RP_STAFF_CLIENT_ADMIN, client_mine);
}

static int
c_healthz(struct rp_req *rq)
{
	return rp_reply_static(rq, 200, "text/plain; charset=utf-8", "ok\n", 3,
	    "no-store", NULL);
}

static int
c_static(struct rp_req *rq)
{
	struct rp_str name;
	const struct rp_asset *a;

	if (rp_route_param(&rq->match, "name", &name) != 0 ||
	    (a = rp_asset_find(name)) == NULL)
		return rp_reply_error(rq, 404);
	return rp_reply_static(rq, 200, a->type, a->data, a->len,
	    "public, max-age=3600", a->etag);
}

/* ---- the JSON API --------------------------------------------------------- */

static int
api_err(struct rp_req *rq, unsigned status, const char *code, const char *ja,
    const char *en)
{
	return rp_api_error_fields(rq, status, code, ja, en, NULL);
}

static int
unavailable(struct rp_req *rq)
{
	return api_err(rq, 503, "unavailable",
	    "認証サービスに接続できません。しばらくしてからお試しください。",
	    "The sign-in service is unavailable; please try again.");
}

static int
c_api_session(struct rp_req *rq)
{
	static const char *const keys[] = { "user", "password", "totp", NULL };
	char token[RP_AUTH_TOKEN_LEN + 1], client[RP_AUTH_CLIENT_MAX + 1];
	struct rp_auth_who w;
	struct rp_str user, pw, code;
	bool bad = false;
	json_t *j;
	int r;

	if ((j = rp_api_body_json(rq)) == NULL || !json_is_object(j) ||
	    !rp_api_known_keys(j, keys)) {
		json_decref(j);
		return api_err(rq, 400, "invalid_request",
		    "リクエストの形式が正しくありません。",
		    "The body must be {\"user\", \"password\", \"totp\"}.");
	}
	user = rp_api_jstr(j, "user", &bad);
	pw = rp_api_jstr(j, "password", &bad);
	code = rp_api_jstr(j, "totp", &bad);
	if (bad || user.n == 0 || pw.n == 0 || code.n == 0) {
		json_decref(j);
		return api_err(rq, 400, "invalid_request",
		    "user・password・totp はすべて文字列で必要です。",
		    "user, password and totp are all required strings.");
	}
	client_text(rq, client);
	r = rp_auth_client_signin(data_dir(), user, pw, code, "api", client, 0,
	    token, &w, NULL);
	json_decref(j);
	if (r == 0) {
		r = rp_api_reply_json(rq, 201, json_pack("{s:s, s:s, s:I, s:s}",
		    "token", token, "role", rp_staff_role_name(w.role),
		    "expires_at", (json_int_t)w.expires_at, "session", w.sid));
		sodium_memzero(token, sizeof(token));
		return r;
	}
	if (r == RP_E_DENIED || r == RP_E_STATE) {
		ips_failed(rq);
		return api_err(rq, 401, "invalid_credentials",
		    "ユーザー名・パスワード・確認コードのいずれかが正しくありません。",
		    "The user name, password or code is wrong.");
	}
	return unavailable(rq);
}

/* Bearer token → who; 0, or an answer sent (1). */
int
console_api_who(struct rp_req *rq, struct rp_auth_who *w,
    struct rp_str *token)
{
	struct rp_str h = rp_req_header(rq, "Authorization");
	int r = RP_E_NOTFOUND;

	*token = RP_STR_NULL;
	if (rp_str_has_prefix(h, "Bearer ")) {
		*token = (struct rp_str){ h.p + 7, h.n - 7 };
		r = rp_auth_client_who(data_dir(), *token, "", w);
	}
	if (r == 0)
		return 0;
	if (r == RP_E_AGAIN || r == RP_E_PROTO || r == RP_E_NOMEM)
		return unavailable(rq) == 0 ? 1 : -1;
	return api_err(rq, 401, r == RP_E_EXPIRED ? "session_expired" :
	    "unauthorized", "セッションが無効です。もう一度サインインしてください。",
	    "No valid session; sign in again.") == 0 ? 1 : -1;
}

static int
c_api_me(struct rp_req *rq)
{
	struct rp_auth_who w;
	struct rp_str token;
	int r;

	if ((r = console_api_who(rq, &w, &token)) != 0)
		return r < 0 ? r : 0;
	return rp_api_reply_json(rq, 200, json_pack("{s:s, s:s, s:I, s:s, s:s, "
	    "s:I, s:I}", "user", w.user, "role", rp_staff_role_name(w.role),
	    "tenant", (json_int_t)w.tenant, "counters", w.counters,
	    "session", w.sid, "expires_at", (json_int_t)w.expires_at,
	    "idle_until", (json_int_t)w.idle_until));
}

static int
c_api_signout(struct rp_req *rq)
{
	struct rp_auth_who w;
	struct rp_str token;
	int r;

	if ((r = console_api_who(rq, &w, &token)) != 0)
		return r < 0 ? r : 0;
	if ((r = rp_auth_client_signout(data_dir(), token)) != 0 &&
	    r != RP_E_NOTFOUND)
		return unavailable(rq);
	return rp_reply_static(rq, 204, "text/plain; charset=utf-8", "", 0,
	    "no-store", NULL);
}
