/* SPDX-License-Identifier: ISC */
/*
 * hosted.c — paysim's card-capture origin: the pages a PSP would host so
 * that the merchant never touches card data.  /hosted/field is the card
 * field a merchant page embeds in an iframe (its script, /hosted/
 * field.js, talks to the parent only by postMessage with the parent's
 * exact origin); /hosted/3ds/{pay} is the simulated 3-D Secure challenge;
 * /hosted/terminal/{tc} the simulated airport terminal.  Query strings
 * and form bodies are untrusted: each value is checked against a narrow
 * shape and HTML-escaped on output; every page carries a strict
 * Content-Security-Policy (no inline script anywhere).
 */
#include "util/common.h"

#include <sodium.h>

#include "paysim/paysim_int.h"
#include "util/log.h"

static const char field_js[] =
"// paysim hosted card field (served as /hosted/field.js; no inline script).\n"
"// Talks to exactly one window: the parent whose origin the page was\n"
"// opened for.  Card data goes from these inputs to POST /v1/tokens on\n"
"// this origin, never to the parent; the parent gets the token only.\n"
"(function () {\n"
"  'use strict';\n"
"  var parent = document.body.getAttribute('data-parent');\n"
"  var pk = document.body.getAttribute('data-pk');\n"
"  function $(id) { return document.getElementById(id); }\n"
"  function reply(msg) { window.parent.postMessage(msg, parent); }\n"
"  function fail(code, message) {\n"
"    reply({ type: 'paysim:error', code: code, message: message });\n"
"  }\n"
"  window.addEventListener('message', function (ev) {\n"
"    if (ev.origin !== parent || ev.source !== window.parent) return;\n"
"    if (!ev.data || ev.data.type !== 'paysim:tokenize') return;\n"
"    var exp = $('exp').value.split('/');\n"
"    var mm = parseInt(exp[0], 10), yy = parseInt(exp[1], 10);\n"
"    if (!(mm >= 1 && mm <= 12) || !(yy >= 0)) {\n"
"      fail('invalid_expiry', 'Expiry must be MM/YY.');\n"
"      return;\n"
"    }\n"
"    fetch('/v1/tokens', {\n"
"      method: 'POST', credentials: 'omit', cache: 'no-store',\n"
"      headers: { 'Authorization': 'Bearer ' + pk,\n"
"                 'Content-Type': 'application/json' },\n"
"      body: JSON.stringify({\n"
"        number: $('number').value.replace(/[\\s-]/g, ''),\n"
"        exp_month: mm, exp_year: yy < 100 ? 2000 + yy : yy,\n"
"        cvc: $('cvc').value.trim() })\n"
"    }).then(function (r) {\n"
"      return r.json().then(function (j) { return { ok: r.ok, j: j }; });\n"
"    }).then(function (x) {\n"
"      if (x.ok) {\n"
"        $('number').value = ''; $('cvc').value = '';\n"
"        reply({ type: 'paysim:token', token: { id: x.j.id,\n"
"          brand: x.j.brand, last4: x.j.last4, exp_month: x.j.exp_month,\n"
"          exp_year: x.j.exp_year } });\n"
"      } else {\n"
"        var e = (x.j && x.j.error) || {};\n"
"        fail(e.code || 'error', e.message || 'The card was not accepted.');\n"
"      }\n"
"    }).catch(function () {\n"
"      fail('network_error', 'The payment service did not answer.');\n"
"    });\n"
"  });\n"
"  reply({ type: 'paysim:ready' });\n"
"})();\n";

static const char css[] =
"body{font:16px system-ui,sans-serif;margin:12px;color:#222}"
"label{display:block;margin:6px 0 2px}input,select{font:inherit;padding:4px}"
"button{font:inherit;padding:6px 14px;margin:8px 8px 0 0}"
".box{border:1px solid #999;padding:12px;max-width:420px}"
".sandbox{color:#a00;font-size:13px}";

static void
esc(struct rp_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': rp_buf_add_c(b, "&amp;"); break;
		case '<': rp_buf_add_c(b, "&lt;"); break;
		case '>': rp_buf_add_c(b, "&gt;"); break;
		case '"': rp_buf_add_c(b, "&quot;"); break;
		case '\'': rp_buf_add_c(b, "&#39;"); break;
		default: rp_buf_add_ch(b, *s);
		}
	}
}

static void
head(struct rp_buf *b, const char *title)
{
	rp_buf_add_c(b, "<!doctype html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><title>");
	esc(b, title);
	rp_buf_add_c(b, "</title><link rel=\"stylesheet\" "
	    "href=\"/hosted/paysim.css\"></head>\n");
}

static void
text_page(struct rp_paysim_page *pg, unsigned status, const char *msg)
{
	pg->status = status;
	rp_buf_reset(&pg->body);
	head(&pg->body, "paysim");
	rp_buf_add_c(&pg->body, "<body><p>");
	esc(&pg->body, msg);
	rp_buf_add_c(&pg->body, "</p></body></html>\n");
}

/* An origin "http(s)://host[:port]" with nothing after it. */
static bool
origin_ok(const char *o)
{
	const char *h;
	size_t n;

	if (strncmp(o, "http://", 7) == 0)
		h = o + 7;
	else if (strncmp(o, "https://", 8) == 0)
		h = o + 8;
	else
		return false;
	if ((n = strlen(h)) == 0 || n > 255)
		return false;
	if (h[0] == '[') {
		size_t k = strspn(h + 1, "0123456789abcdefABCDEF:.");

		if (h[1 + k] != ']')
			return false;
		h += k + 2;
	} else {
		size_t k = strspn(h, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");

		if (k == 0)
			return false;
		h += k;
	}
	if (*h == ':') {
		size_t k = strspn(h + 1, "0123456789");

		if (k == 0 || k > 5)
			return false;
		h += 1 + k;
	}
	return *h == '\0';
}

/* The origin of an http(s) URL already checked by api.c's url_ok. */
static void
url_origin(const char *url, char *out, size_t n)
{
	const char *h = strstr(url, "://");
	size_t k;

	out[0] = '\0';
	if (h == NULL)
		return;
	k = (size_t)(h + 3 - url) + strcspn(h + 3, "/?#");
	if (k < n) {
		memcpy(out, url, k);
		out[k] = '\0';
	}
}

/* A form value name=value in an urlencoded body, as long as it is a
 * plain token ([a-z0-9_]); anything else is treated as absent. */
static bool
form_value(struct rp_str body, const char *name, char *out, size_t n)
{
	struct rp_str s = body, part;
	size_t nl = strlen(name);

	out[0] = '\0';
	while (s.n > 0) {
		if (!rp_str_split(&s, '&', &part)) {
			part = s;
			s.n = 0;
		}
		if (part.n > nl && memcmp(part.p, name, nl) == 0 &&
		    part.p[nl] == '=') {
			size_t vl = part.n - nl - 1;
			const char *v = part.p + nl + 1;

			if (vl == 0 || vl >= n)
				return false;
			for (size_t i = 0; i < vl; i++)
				if (!((v[i] >= 'a' && v[i] <= 'z') ||
				    (v[i] >= '0' && v[i] <= '9') || v[i] == '_'))
					return false;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return true;
		}
	}
	return false;
}

static bool
id_ok(const char *id, const char *prefix)
{
	size_t pl = strlen(prefix), n = strlen(id);

	return n > pl && n <= RP_PAYSIM_MAX_ID &&
	    strncmp(id, prefix, pl) == 0 &&
	    strspn(id + pl, "abcdefghijklmnopqrstuvwxyz0123456789") == n - pl;
}

static void
page_3ds(struct rp_paysim *ps, const char *method, const char *id,
    struct rp_str body, struct rp_paysim_page *pg)
{
	char status[32], result[16], ret[RP_PAYSIM_MAX_URL + 1], origin[300];
	struct rp_buf *b = &pg->body;
	int64_t amount;
	int r;

	if (!id_ok(id, "pay_")) {
		text_page(pg, 404, "No such payment.");
		return;
	}
	if (strcmp(method, "POST") == 0) {
		if (!form_value(body, "result", result, sizeof(result)) ||
		    (strcmp(result, "complete") != 0 &&
		    strcmp(result, "fail") != 0)) {
			text_page(pg, 400, "Choose Complete or Fail.");
			return;
		}
		pthread_mutex_lock(&ps->mu);
		if ((r = rp_paysim_exec(ps, "BEGIN IMMEDIATE")) == 0) {
			r = rp_paysim_3ds_finish(ps, id,
			    strcmp(result, "complete") == 0, ret, sizeof(ret));
			if (rp_paysim_exec(ps, r == 0 ? "COMMIT" : "ROLLBACK") != 0)
				r = RP_E_DB;
		}
		if (r == 0)
			pthread_cond_signal(&ps->hook_cv);
		pthread_mutex_unlock(&ps->mu);
		if (r == RP_E_NOTFOUND) {
			text_page(pg, 404, "No such payment.");
			return;
		}
		if (r != 0 && r != RP_E_STATE) {
			text_page(pg, 500, "The simulated ACS failed.");
			return;
		}
		if (ret[0] == '\0') {
			text_page(pg, 200, r == 0 ? "Authentication finished; "
			    "you may close this window." : "This payment is not "
			    "waiting for authentication.");
			return;
		}
		snprintf(pg->location, sizeof(pg->location), "%s%cpayment=%s",
		    ret, strchr(ret, '?') ? '&' : '?', id);
		text_page(pg, 303, "Returning to the merchant.");
		return;
	}
	pthread_mutex_lock(&ps->mu);
	r = rp_paysim_payment_peek(ps, id, &amount, status, sizeof(status));
	pthread_mutex_unlock(&ps->mu);
	if (r != 0) {
		text_page(pg, r == RP_E_NOTFOUND ? 404 : 500, "No such payment.");
		return;
	}
	pg->status = 200;
	head(b, "Simulated 3-D Secure");
	rp_buf_add_c(b, "<body><div class=\"box\"><h1>Simulated 3-D Secure</h1>"
	    "<p class=\"sandbox\">paysim sandbox — no real bank is involved.</p>");
	rp_buf_printf(b, "<p>Payment <code>%s</code>: ¥%" PRId64 "</p>", id,
	    amount);
	if (strcmp(status, "requires_action") != 0) {
		rp_buf_add_c(b, "<p>This payment is not waiting for "
		    "authentication (status ");
		esc(b, status);
		rp_buf_add_c(b, ").</p>");
	}
	rp_buf_printf(b, "<form method=\"post\" action=\"/hosted/3ds/%s\">"
	    "<input type=\"hidden\" name=\"result\" value=\"complete\">"
	    "<button type=\"submit\" id=\"complete\">Complete</button></form>"
	    "<form method=\"post\" action=\"/hosted/3ds/%s\">"
	    "<input type=\"hidden\" name=\"result\" value=\"fail\">"
	    "<button type=\"submit\" id=\"fail\">Fail</button></form>"
	    "</div></body></html>\n", id, id);
	/* Chrome applies form-action to the redirect that follows the
	 * POST as well: allow the return_url's origin. */
	origin[0] = '\0';
	pthread_mutex_lock(&ps->mu);
	{
		sqlite3_stmt *st = rp_paysim_prep(ps, "SELECT return_url FROM "
		    "payments WHERE id = ?");

		if (st != NULL) {
			sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(st) == SQLITE_ROW &&
			    sqlite3_column_text(st, 0) != NULL)
				url_origin((const char *)sqlite3_column_text(st,
				    0), origin, sizeof(origin));
			sqlite3_finalize(st);
		}
	}
	pthread_mutex_unlock(&ps->mu);
	snprintf(pg->csp, sizeof(pg->csp), "default-src 'none'; style-src "
	    "'self'; form-action 'self'%s%s; frame-ancestors 'none'; "
	    "base-uri 'none'", origin[0] ? " " : "", origin);
}

static void
page_field(struct rp_paysim *ps, const char *parent, const char *pk,
    struct rp_paysim_page *pg)
{
	struct rp_buf *b = &pg->body;

	if (parent == NULL || !origin_ok(parent)) {
		text_page(pg, 400, "parent must be the embedding page's origin "
		    "(http(s)://host[:port]).");
		return;
	}
	if (pk == NULL || strlen(pk) != strlen(ps->pk) ||
	    sodium_memcmp(pk, ps->pk, strlen(pk)) != 0) {
		text_page(pg, 401, "Unknown publishable key.");
		return;
	}
	pg->status = 200;
	head(b, "Card");
	rp_buf_add_c(b, "<body data-parent=\"");
	esc(b, parent);
	rp_buf_add_c(b, "\" data-pk=\"");
	esc(b, pk);
	rp_buf_add_c(b, "\"><div class=\"box\">"
	    "<label for=\"number\">Card number</label>"
	    "<input id=\"number\" inputmode=\"numeric\" autocomplete=\"cc-number\" "
	    "maxlength=\"23\" size=\"23\">"
	    "<label for=\"exp\">Expiry (MM/YY)</label>"
	    "<input id=\"exp\" autocomplete=\"cc-exp\" maxlength=\"7\" size=\"7\" "
	    "placeholder=\"MM/YY\">"
	    "<label for=\"cvc\">CVC</label>"
	    "<input id=\"cvc\" inputmode=\"numeric\" autocomplete=\"cc-csc\" "
	    "maxlength=\"4\" size=\"4\">"
	    "<p class=\"sandbox\">paysim sandbox: test cards only</p></div>"
	    "<script src=\"/hosted/field.js\"></script></body></html>\n");
	snprintf(pg->csp, sizeof(pg->csp), "default-src 'none'; script-src "
	    "'self'; connect-src 'self'; style-src 'self'; form-action 'none'; "
	    "base-uri 'none'; frame-ancestors %s", parent);
}

static void
page_terminal(struct rp_paysim *ps, const char *method, const char *id,
    struct rp_str body, struct rp_paysim_page *pg)
{
	const struct rp_paysim_card *cards;
	char status[32], card[32];
	struct rp_buf *b = &pg->body;
	int64_t amount;
	size_t n;
	int r;

	if (!id_ok(id, "tc_")) {
		text_page(pg, 404, "No such collection.");
		return;
	}
	if (strcmp(method, "POST") == 0) {
		if (!form_value(body, "card", card, sizeof(card))) {
			text_page(pg, 400, "Pick a test card.");
			return;
		}
		pthread_mutex_lock(&ps->mu);
		if ((r = rp_paysim_exec(ps, "BEGIN IMMEDIATE")) == 0) {
			r = rp_paysim_terminal_tap(ps, id, card);
			if (rp_paysim_exec(ps, r == 0 ? "COMMIT" : "ROLLBACK") != 0)
				r = RP_E_DB;
		}
		if (r == 0)
			pthread_cond_signal(&ps->hook_cv);
		pthread_mutex_unlock(&ps->mu);
		if (r == RP_E_NOTFOUND || r == RP_E_INVAL) {
			text_page(pg, r == RP_E_INVAL ? 400 : 404,
			    r == RP_E_INVAL ? "Unknown test card." :
			    "No such collection.");
			return;
		}
		if (r != 0 && r != RP_E_STATE) {
			text_page(pg, 500, "The simulated terminal failed.");
			return;
		}
		snprintf(pg->location, sizeof(pg->location),
		    "/hosted/terminal/%s", id);
		text_page(pg, 303, "Done.");
		return;
	}
	pthread_mutex_lock(&ps->mu);
	r = rp_paysim_terminal_peek(ps, id, &amount, status, sizeof(status));
	pthread_mutex_unlock(&ps->mu);
	if (r != 0) {
		text_page(pg, r == RP_E_NOTFOUND ? 404 : 500,
		    "No such collection.");
		return;
	}
	pg->status = 200;
	head(b, "Simulated terminal");
	rp_buf_add_c(b, "<body><div class=\"box\"><h1>Simulated terminal</h1>"
	    "<p class=\"sandbox\">paysim sandbox — card present</p>");
	rp_buf_printf(b, "<p>Amount: ¥%" PRId64 "</p><p>Status: <b id=\"status\">",
	    amount);
	esc(b, status);
	rp_buf_add_c(b, "</b></p>");
	if (strcmp(status, "pending") == 0) {
		rp_buf_printf(b, "<form method=\"post\" "
		    "action=\"/hosted/terminal/%s\"><label for=\"card\">Test "
		    "card</label><select id=\"card\" name=\"card\">", id);
		cards = rp_paysim_cards(&n);
		for (size_t i = 0; i < n; i++) {
			/* Show only the last 4 digits even of test cards. */
			rp_buf_printf(b, "<option value=\"%s\">%s •••• %s "
			    "(%s)</option>", cards[i].name, cards[i].brand,
			    cards[i].pan + strlen(cards[i].pan) - 4,
			    cards[i].name);
		}
		rp_buf_add_c(b, "</select><br><button type=\"submit\" "
		    "id=\"tap\">Tap</button></form>");
	}
	rp_buf_add_c(b, "</div></body></html>\n");
	snprintf(pg->csp, sizeof(pg->csp), "default-src 'none'; style-src "
	    "'self'; form-action 'self'; frame-ancestors 'none'; "
	    "base-uri 'none'");
}

void
rp_paysim_hosted(struct rp_paysim *ps, const char *method, const char *path,
    const char *parent, const char *pk, struct rp_str body,
    struct rp_paysim_page *pg)
{
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool post = strcmp(method, "POST") == 0;

	pg->ctype = "text/html; charset=utf-8";
	pg->csp[0] = '\0';
	pg->location[0] = '\0';
	if (get && strcmp(path, "/field.js") == 0) {
		pg->status = 200;
		pg->ctype = "text/javascript; charset=utf-8";
		rp_buf_add(&pg->body, field_js, sizeof(field_js) - 1);
		return;
	}
	if (get && strcmp(path, "/paysim.css") == 0) {
		pg->status = 200;
		pg->ctype = "text/css; charset=utf-8";
		rp_buf_add(&pg->body, css, sizeof(css) - 1);
		return;
	}
	if (get && strcmp(path, "/field") == 0) {
		page_field(ps, parent, pk, pg);
		return;
	}
	if ((get || post) && strncmp(path, "/3ds/", 5) == 0) {
		page_3ds(ps, method, path + 5, body, pg);
		return;
	}
	if ((get || post) && strncmp(path, "/terminal/", 10) == 0) {
		page_terminal(ps, method, path + 10, body, pg);
		return;
	}
	text_page(pg, 404, "Not found.");
}
