/* SPDX-License-Identifier: ISC */
/*
 * site.c — what every page of the ordering sites shares (see site.h):
 * deciding the site, language, CSRF, rendering, redirects, cookies and
 * the "my order" session; and the home page, the corporate brand style
 * sheet and the corporate access code.
 */
#include "util/common.h"

#include <ctype.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "util/log.h"
#include "util/pwhash.h"
#include "web/conns.h"
#include "web/decode.h"
#include "web/i18n.h"
#include "web/ipsgate.h"
#include "web/site.h"

#define SESSION_COOKIE	"rp_my"		/* "my order" session */
#define ACCESS_COOKIE	"rp_pass"	/* passed corporate access code */

/* Limits for the sites' forms: more fields than a query, still small. */
static const struct rp_form_limits form_limits = {
	.max_fields = RP_FORM_MAX_FIELDS,
	.max_key = 64,
	.max_value = 2048,
	.max_total = 32 * 1024,
	.keep_bad_utf8 = true,
};

/* ---- the site ----------------------------------------------------------- */

static bool
hex_colour(const char *s)
{
	if (strlen(s) != 7 || s[0] != '#')
		return false;
	for (int i = 1; i < 7; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Reads the tenant's site settings; bad or missing entries are ignored. */
static void
settings_parse(struct site *s)
{
	json_error_t je;
	json_t *j = json_loads(s->t.settings[0] ? s->t.settings : "{}", 0, &je);
	json_t *d;
	const char *v;
	size_t i;

	if (j == NULL)
		return;
	if ((v = json_string_value(json_object_get(j, "primary"))) != NULL &&
	    hex_colour(v))
		snprintf(s->primary, sizeof(s->primary), "%s", v);
	if ((v = json_string_value(json_object_get(j, "accent"))) != NULL &&
	    hex_colour(v))
		snprintf(s->accent, sizeof(s->accent), "%s", v);
	if ((v = json_string_value(json_object_get(j, "logo_text"))) != NULL)
		snprintf(s->logo_text, sizeof(s->logo_text), "%s", v);
	/* The access code: its argon2id string.  A site that still has only
	 * the old unsalted SHA-256 stays locked (no code opens it) until the
	 * code is set again: failing open would lift the restriction. */
	if ((v = json_string_value(json_object_get(j,
	    "access_code_hash"))) != NULL && v[0] != '\0' &&
	    strlen(v) < sizeof(s->access_hash)) {
		snprintf(s->access_hash, sizeof(s->access_hash), "%s", v);
		rp_pwhash_fingerprint(v, s->access_fp);
	} else if (json_object_get(j, "access_code_hash") != NULL ||
	    json_object_get(j, "access_code_sha256") != NULL)
		snprintf(s->access_hash, sizeof(s->access_hash), "!locked");
	d = json_object_get(j, "allowed_email_domains");
	for (i = 0; json_is_array(d) && i < json_array_size(d) &&
	    s->ndomains < SITE_MAX_DOMAINS; i++)
		if ((v = json_string_value(json_array_get(d, i))) != NULL &&
		    strlen(v) < sizeof(s->domains[0]))
			snprintf(s->domains[s->ndomains++], sizeof(s->domains[0]),
			    "%s", v);
	json_decref(j);
}

/* The host part of a Host header ("a.localhost:8080" → "a.localhost"). */
static struct rp_str
host_name(struct rp_str h)
{
	size_t i;

	for (i = 0; i < h.n && h.p[i] != ':'; i++)
		;
	h.n = i;
	return h;
}

static bool
slug_ok(struct rp_str s)
{
	if (s.n == 0 || s.n > RP_STORE_CODE_MAX)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (!((s.p[i] >= 'a' && s.p[i] <= 'z') ||
		    (s.p[i] >= '0' && s.p[i] <= '9') || s.p[i] == '-'))
			return false;
	return true;
}

/* A Host header we can put in an origin: [A-Za-z0-9.-] and a port. */
static bool
host_ok(struct rp_str h)
{
	if (h.n == 0 || h.n > 253)
		return false;
	for (size_t i = 0; i < h.n; i++)
		if (!(isalnum((unsigned char)h.p[i]) || h.p[i] == '.' ||
		    h.p[i] == '-' || h.p[i] == ':' || h.p[i] == '[' ||
		    h.p[i] == ']'))
			return false;
	return true;
}


/*
 * The site of this request.  Host "{slug}.<anything>" whose first label
 * is a tenant's slug selects that tenant's site; a "/c/{slug}/" path
 * selects its site on any host, and must agree with the host's.
 */
static int
site_resolve(struct rp_req *rq, struct rp_store *st, struct site *s)
{
	struct rp_str slug = RP_STR_NULL, host, label;
	struct rp_tenant ht;
	char buf[RP_STORE_CODE_MAX + 1];
	bool by_host = false;
	int r;

	memset(s, 0, sizeof(*s));
	memset(&ht, 0, sizeof(ht));
	host = host_name(rp_req_header(rq, "Host"));
	label = host;
	for (size_t i = 0; i < host.n; i++)
		if (host.p[i] == '.') {
			label.n = i;
			break;
		}
	/* Only a first label in front of another is a candidate. */
	if (label.n < host.n && slug_ok(label)) {
		snprintf(buf, sizeof(buf), "%.*s", (int)label.n, label.p);
		if ((r = rp_store_tenant_get(st, buf, &ht)) == 0)
			by_host = true;
		else if (r != RP_E_NOTFOUND)
			return r;
	}
	(void)rp_route_param(&rq->match, "slug", &slug);
	if (slug.n > 0) {
		if (!slug_ok(slug))
			return RP_E_NOTFOUND;
		snprintf(buf, sizeof(buf), "%.*s", (int)slug.n, slug.p);
		if ((r = rp_store_tenant_get(st, buf, &s->t)) != 0)
			return r;
		if (by_host && ht.id != s->t.id)
			return RP_E_NOTFOUND;	/* b's path on a's host */
		snprintf(s->home, sizeof(s->home), "/c/%s/", s->t.slug);
	} else if (by_host) {
		s->t = ht;
		snprintf(s->home, sizeof(s->home), "/");
	} else
		snprintf(s->home, sizeof(s->home), "/");
	s->tenant_id = s->t.id;
	if (s->tenant_id > 0) {
		s->invoice = s->t.billing == RP_BILLING_INVOICE;
		settings_parse(s);
	}
	host = rp_req_header(rq, "Host");
	if (host_ok(host))
		snprintf(s->origin, sizeof(s->origin), "%s://%.*s",
		    rp_worker.secure ? "https" : "http", (int)host.n, host.p);
	rp_conf_public_base(rp_worker.conf, s->base_url, sizeof(s->base_url));
	if (s->tenant_id > 0) {
		size_t n = strlen(s->base_url);

		snprintf(s->base_url + n, sizeof(s->base_url) - n, "/c/%s",
		    s->t.slug);
	}
	return 0;
}

/* ---- pages -------------------------------------------------------------- */

struct rp_str
page_arg(const struct page *pg, const char *name)
{
	struct rp_str v = RP_STR_NULL;

	if (rp_form_get(&pg->form, name, &v) != 0)
		(void)rp_form_get(&pg->query, name, &v);
	return v;
}

int
page_error(struct page *pg, unsigned status)
{
	struct rp_buf out;
	int r;

	rp_buf_init(&out, 64 * 1024);
	if ((r = rp_tmpl_error_page(pg->lang, status, pg->site.home, &out)) == 0)
		r = rp_reply_buf(pg->rq, status, "text/html; charset=utf-8", &out,
		    "no-store");
	rp_buf_release(&out);
	return r;
}

static int
add_cookies(struct page *pg, struct MHD_Response *resp)
{
	struct rp_buf c;
	int r = 0;

	if (pg->csrf_new) {
		rp_buf_init(&c, 512);
		if ((r = rp_csrf_set_cookie(&c, rp_str_c(pg->csrf),
		    rp_worker.secure)) == 0 && (r = rp_buf_add_ch(&c, '\0')) == 0 &&
		    MHD_add_response_header(resp, "Set-Cookie", c.d) != MHD_YES)
			r = RP_E_NOMEM;
		rp_buf_release(&c);
	}
	for (size_t i = 0; r == 0 && i < pg->nset; i++)
		if (MHD_add_response_header(resp, "Set-Cookie",
		    pg->set_cookie[i].d) != MHD_YES)
			r = RP_E_NOMEM;
	return r;
}

int
page_cookie(struct page *pg, const char *name, struct rp_str value,
    long max_age)
{
	struct rp_buf *c;
	int r;

	if (pg->nset == RP_ARRAY_LEN(pg->set_cookie))
		return RP_E_TOOBIG;
	c = &pg->set_cookie[pg->nset];
	rp_buf_init(c, 512);
	if ((r = rp_cookie_set(c, name, value, rp_worker.secure, max_age)) != 0 ||
	    (r = rp_buf_add_ch(c, '\0')) != 0) {
		rp_buf_release(c);
		return r;
	}
	pg->nset++;
	return 0;
}

static int
reply_with_cookies(struct page *pg, unsigned status, struct rp_buf *body,
    const char *location)
{
	struct MHD_Response *resp;
	char ra[16];
	size_t len;
	char *d;

	if (body->err != 0)
		return body->err;
	snprintf(ra, sizeof(ra), "%u", pg->retry_after);
	if ((d = rp_buf_detach(body, &len)) == NULL)
		len = 0;
	resp = MHD_create_response_from_buffer(len, d != NULL ? d : (void *)"",
	    d != NULL ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(d);
		return RP_E_NOMEM;
	}
	if (MHD_add_response_header(resp, "Content-Type",
	    "text/html; charset=utf-8") != MHD_YES ||
	    MHD_add_response_header(resp, "Vary",
	    "Accept-Language, Cookie, Host") != MHD_YES ||
	    (location != NULL &&
	    MHD_add_response_header(resp, "Location", location) != MHD_YES) ||
	    (pg->retry_after > 0 &&
	    MHD_add_response_header(resp, "Retry-After", ra) != MHD_YES) ||
	    add_cookies(pg, resp) != 0) {
		MHD_destroy_response(resp);
		return RP_E_NOMEM;
	}
	return rp_reply(pg->rq, status, resp, len, "no-store");
}

int
page_render(struct page *pg, unsigned status, const char *name)
{
	struct rp_buf out;
	int r;

	rp_buf_init(&out, 512 * 1024);
	r = rp_tmpl_render(rp_tmpl_default(), name, pg->v, pg->lang, &out);
	if (r == 0)
		r = reply_with_cookies(pg, status, &out, NULL);
	else {
		rp_log_error("site: cannot render %s (%d)", name, r);
		r = page_error(pg, 500);
	}
	rp_buf_release(&out);
	return r;
}

int
page_redirect_to(struct page *pg, const char *url)
{
	struct rp_buf body;
	int r;

	rp_buf_init(&body, 1024);
	r = reply_with_cookies(pg, 303, &body, url);
	rp_buf_release(&body);
	return r;
}

int
page_redirect(struct page *pg, const char *rel)
{
	struct rp_buf body;
	char loc[512];
	int r;

	snprintf(loc, sizeof(loc), "%s%s", pg->site.home, rel);
	rp_buf_init(&body, 1024);
	r = reply_with_cookies(pg, 303, &body, loc);
	rp_buf_release(&body);
	return r;
}

/* The values every page's layout reads. */
static void
common_vars(struct page *pg)
{
	struct rp_tmpl_scope *b;
	const struct site *s = &pg->site;

	rp_tmpl_set_lang(pg->root, pg->lang);
	rp_tmpl_set_c(pg->root, "home", s->home);
	rp_tmpl_set_c(pg->root, "csrf", pg->csrf);
	if (s->tenant_id > 0 &&
	    rp_tmpl_object(pg->root, "corp", &b) == 0) {
		rp_tmpl_set_c(b, "name", s->t.name);
		rp_tmpl_set_c(b, "logo", s->logo_text[0] ? s->logo_text :
		    s->t.name);
		rp_tmpl_set_bool(b, "invoice", s->invoice);
		rp_tmpl_set_bool(b, "restricted", s->access_hash[0] != '\0');
		rp_tmpl_set_bool(b, "branded", s->primary[0] != '\0');
	}
}

int
page_begin(struct page *pg, struct rp_req *rq)
{
	struct rp_str ql = RP_STR_NULL, cl = RP_STR_NULL, ft;
	bool post = strcmp(rq->method, "POST") == 0;
	int r;

	memset(pg, 0, sizeof(*pg));
	pg->rq = rq;
	rp_form_init(&pg->form);
	rp_form_init(&pg->query);
	pg->lang = RP_LANG_JA;
	snprintf(pg->site.home, sizeof(pg->site.home), "/");
	if ((r = rp_cookie_parse(rp_req_header(rq, "Cookie"), &pg->ck)) != 0)
		memset(&pg->ck, 0, sizeof(pg->ck));
	if (rp_form_decode(rq->query, &rp_form_limits_default, &pg->query) != 0)
		return rp_reply_error(rq, 400) == 0 ? 1 : -1;
	(void)rp_form_get(&pg->query, "lang", &ql);
	if (rp_cookie_get(&pg->ck, "lang", &cl) != 0)
		cl = RP_STR_NULL;
	pg->lang = rp_lang_pick(ql, cl, rp_req_header(rq, "Accept-Language"));
	if (rp_worker.console) {
		/* the staff console: no site, its own origin */
		struct rp_str host = rp_req_header(rq, "Host");

		if (host_ok(host))
			snprintf(pg->site.origin, sizeof(pg->site.origin),
			    "%s://%.*s", rp_worker.secure ? "https" : "http",
			    (int)host.n, host.p);
	} else if ((pg->st = rp_web_store()) == NULL)
		return page_error(pg, 503) == 0 ? 1 : -1;
	else if ((r = site_resolve(rq, pg->st, &pg->site)) != 0)
		return page_error(pg, r == RP_E_NOTFOUND ? 404 : 503) == 0 ?
		    1 : -1;
	if (rp_csrf_token_from_cookies(&pg->ck, rp_worker.secure,
	    pg->csrf) != 0) {
		rp_csrf_token_new(pg->csrf);
		pg->csrf_new = true;
	}
	if ((pg->v = rp_tmpl_vars_new(0)) == NULL)
		return page_error(pg, 500) == 0 ? 1 : -1;
	pg->root = rp_tmpl_root(pg->v);
	common_vars(pg);
	/* ?lang= also sticks for the next pages (the switch is a link) */
	if (rp_str_eq_c(ql, "ja") || rp_str_eq_c(ql, "en"))
		(void)page_cookie(pg, "lang", ql, 365L * 24 * 3600);
	if (!post)
		return 0;
	if (rp_form_decode(rp_buf_str(&rq->body), &form_limits, &pg->form) != 0)
		return page_error(pg, 400) == 0 ? 1 : -1;
	(void)rp_form_get(&pg->form, RP_CSRF_FIELD, &ft);
	if (pg->site.origin[0] == '\0' ||
	    rp_csrf_check(&pg->ck, ft, rp_req_header(rq, "Origin"),
	    rp_req_header(rq, "Referer"), rp_str_c(pg->site.origin),
	    rp_worker.secure) != 0)
		return page_error(pg, 403) == 0 ? 1 : -1;
	return 0;
}

int
page_begin_gated(struct page *pg, struct rp_req *rq)
{
	int r;

	if ((r = page_begin(pg, rq)) != 0)
		return r;
	if (page_access_ok(pg))
		return 0;
	return page_redirect(pg, "") == 0 ? 1 : -1;
}

void
page_order_ctx(struct page *pg, struct rp_order_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->st = pg->st;
	ctx->vault.put = rp_web_vault_put;
	ctx->vault.withdraw = rp_web_vault_withdraw;
	ctx->vault.arg = &pg->put;	/* the receipt of a new traveller */
	ctx->actor = pg->site.tenant_id > 0 ? "web:corporate" : "web";
	ctx->idem_stale_s = rp_worker.conf->order_idem_stale_s;
	ctx->no_stock = rp_worker.conf->stock_reserve == 0;
}

void
page_end(struct page *pg)
{
	rp_form_release(&pg->form);
	rp_form_release(&pg->query);
	rp_tmpl_vars_free(pg->v);
	for (size_t i = 0; i < pg->nset; i++)
		rp_buf_release(&pg->set_cookie[i]);
	sodium_memzero(pg->csrf, sizeof(pg->csrf));
	sodium_memzero(&pg->trav, sizeof(pg->trav));
	sodium_memzero(&pg->put, sizeof(pg->put));
}

void
yen_format(int64_t yen, char out[32])
{
	char d[24];
	int n, i, j = 0;
	bool neg = yen < 0;
	uint64_t u = neg ? (uint64_t)0 - (uint64_t)yen : (uint64_t)yen;

	n = snprintf(d, sizeof(d), "%llu", (unsigned long long)u);
	if (neg)
		out[j++] = '-';
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[j++] = ',';
		out[j++] = d[i];
	}
	out[j] = '\0';
}

/* ---- sessions and access passes ---------------------------------------- */

int
page_session(struct page *pg, char num[RP_CUST_ORDER_MAX + 1])
{
	struct rp_str tok;
	int r;

	num[0] = '\0';
	if (pg->have_trav) {
		snprintf(num, RP_CUST_ORDER_MAX + 1, "%s", pg->trav.order);
		return 0;
	}
	if (rp_cookie_get(&pg->ck, SESSION_COOKIE, &tok) != 0)
		return RP_E_NOTFOUND;
	/* another site's session reads as none */
	if ((r = rp_auth_client_traveller(rp_worker.conf->data_dir,
	    (uint32_t)pg->site.tenant_id, tok, &pg->trav)) != 0) {
		if (r == RP_E_AGAIN)
			rp_log_warn("site: the identity holder is unavailable");
		return r == RP_E_AGAIN ? r : RP_E_NOTFOUND;
	}
	pg->have_trav = true;
	snprintf(num, RP_CUST_ORDER_MAX + 1, "%s", pg->trav.order);
	return 0;
}

int
page_session_start(struct page *pg, const char *tok)
{
	return page_cookie(pg, SESSION_COOKIE, rp_str_c(tok),
	    RP_CUST_SESSION_TTL);
}

bool
page_access_ok(struct page *pg)
{
	struct rp_str tok;

	if (pg->site.tenant_id == 0 || pg->site.access_hash[0] == '\0')
		return true;
	if (rp_cookie_get(&pg->ck, ACCESS_COOKIE, &tok) != 0 ||
	    pg->site.access_fp[0] == '\0')
		return false;
	/* bound to the code's hash: a new code ends the passes of the old */
	return rp_auth_client_access_check(rp_worker.conf->data_dir,
	    (uint32_t)pg->site.tenant_id, tok, pg->site.access_fp) == 0;
}

/* ---- home, brand, access ------------------------------------------------ */

int
site_home(struct rp_req *rq)
{
	struct page pg;
	int r;

	if ((r = page_begin(&pg, rq)) == 0) {
		rp_tmpl_set_bool(pg.root, "locked", !page_access_ok(&pg));
		r = page_render(&pg, 200, "home");
	}
	page_end(&pg);
	return r < 0 ? r : 0;
}

/*
 * POST {home}access (code): a corporate site's access code.  The code is
 * checked against its argon2id string in the settings (util/pwhash.h:
 * nothing weaker is accepted); a pass is a store token in a cookie, valid
 * for this tenant only and bound to the fingerprint of that string.  A
 * wrong code counts toward the IPS (the address's brute-force ban and the
 * tenant's failure budget); a tenant whose budget is spent gets 429.
 */
int
site_access(struct rp_req *rq)
{
	char tok[RP_CUST_TOKEN_LEN + 1];
	struct rp_str code;
	struct page pg;
	int r;

	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	if (pg.site.tenant_id == 0 || pg.site.access_hash[0] == '\0') {
		r = page_error(&pg, 404);
		goto out;
	}
	/* IPS: once the tenant's failure budget is spent, no try is judged
	 * (a right code would confirm a guess) until the gate reopens. */
	if ((pg.retry_after = rp_ipsgate_access_closed(pg.site.tenant_id)) != 0) {
		rp_tmpl_set_bool(pg.root, "locked", true);
		rp_tmpl_set_c(pg.root, "code_err", "err.code.access_closed");
		r = page_render(&pg, 429, "home");
		goto out;
	}
	if (!rp_pwhash_str_ok(pg.site.access_hash))
		rp_log_warn("site %s: access_code_hash is not an argon2id string "
		    "of the required cost; the site stays locked until the code "
		    "is set again", pg.site.t.slug);
	code = page_arg(&pg, "code");
	if (code.n == 0 || rp_pwhash_verify(pg.site.access_hash, code) != 0) {
		if (code.n > 0)		/* a guess (an empty form is none) */
			rp_ipsgate_access_failed(rq, pg.site.tenant_id);
		rp_tmpl_set_bool(pg.root, "locked", true);
		rp_tmpl_set_c(pg.root, "code_err", code.n == 0 ?
		    "err.code.required" : "err.code.access_code");
		r = page_render(&pg, 403, "home");
		goto out;
	}
	if ((r = rp_auth_client_access_new(rp_worker.conf->data_dir,
	    (uint32_t)pg.site.tenant_id, pg.site.access_fp, tok)) != 0 ||
	    (r = page_cookie(&pg, ACCESS_COOKIE, rp_str_c(tok),
	    RP_CUST_ACCESS_TTL)) != 0) {
		r = page_error(&pg, 503);
		goto out;
	}
	sodium_memzero(tok, sizeof(tok));
	r = page_redirect(&pg, "plans");
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

/* GET {home}brand.css: the tenant's colours (validated #rrggbb only). */
int
site_brand_css(struct rp_req *rq)
{
	struct rp_buf css;
	struct page pg;
	int r;

	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	rp_buf_init(&css, 4096);
	if (pg.site.primary[0] != '\0')
		rp_buf_printf(&css, ".corp header.site,.corp .button,.corp button"
		    "{background:%s;color:#fff;border-color:%s}\n"
		    ".corp header.site a{color:#fff}\n", pg.site.primary,
		    pg.site.primary);
	if (pg.site.accent[0] != '\0')
		rp_buf_printf(&css, ".corp .hero{background:%s;color:#1d2733}\n"
		    ".corp .hero .button{background:%s;color:#fff}\n",
		    pg.site.accent, pg.site.primary[0] ? pg.site.primary :
		    "#0b6bcb");
	r = rp_reply_buf(rq, 200, "text/css; charset=utf-8", &css,
	    "public, max-age=300");
	rp_buf_release(&css);
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

void
site_alt_vars(struct page *pg, const struct rp_order_errors *errs)
{
	struct rp_tmpl_scope *it;
	struct rp_counter c;
	struct rp_str where;

	rp_tmpl_set_bool(pg->root, "alts_any", errs->n_alt > 0);
	for (size_t i = 0; i < errs->n_alt && i < RP_ORDER_MAX_ALTS; i++) {
		const struct rp_order_alt *a = &errs->alt[i];

		if (rp_tmpl_push(pg->root, "alts", &it) != 0)
			return;
		if (a->counter[0] == '\0') {
			if (rp_i18n_get(pg->lang, rp_str_c("order.pickup.courier"),
			    &where) != 0)
				where = rp_str_c("courier");
		} else if (rp_store_counter_get(pg->st, a->counter, &c) == 0)
			where = rp_i18n_name(pg->lang, "counter", c.code,
			    c.name);
		else
			where = rp_str_c(a->counter);
		rp_tmpl_set(it, "where", where);
		rp_tmpl_set_c(it, "counter", a->counter);
		rp_tmpl_set_c(it, "plan", a->plan);
		rp_tmpl_set(it, "device", rp_i18n_name(pg->lang, "device",
		    a->device, a->device));
		rp_tmpl_set_u64(it, "available", (uint64_t)a->available);
	}
}

