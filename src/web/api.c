/* SPDX-License-Identifier: ISC */
/*
 * api.c — the JSON API for corporate clients' travel systems
 * (docs/openapi.yaml), in the web workers.
 *
 * Every call carries a tenant's API key (`Authorization: Bearer rpk_…`);
 * the tenant comes from the key alone and scopes everything: another
 * tenant's order answers 404 exactly like a missing one.  Bodies are JSON
 * (jansson, duplicate keys refused, unknown fields refused) within the
 * route's body cap; orders go through the order service (src/order/),
 * whose vault client puts the traveller into the vault — this process
 * keeps no personal data.  Errors are JSON with a code, ja/en messages,
 * per-field codes and the request id.
 */
#include "util/common.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>

#include "auth/client.h"
#include "order/order.h"
#include "paylink/paylink.h"
#include "store/store.h"
#include "vault/client.h"
#include "web/decode.h"
#include "web/jsondepth.h"
#include "web/api.h"
#include "web/conns.h"
#include "web/request.h"

#define API_MAX_BODY	16384

int
rp_api_reply_json(struct rp_req *rq, unsigned status, json_t *j)
{
	struct rp_buf out;
	char *s = json_dumps(j, JSON_COMPACT);
	int r;

	json_decref(j);
	rp_buf_init(&out, 1u << 20);
	if (s == NULL || rp_buf_add_c(&out, s) != 0) {
		free(s);
		rp_buf_release(&out);
		return rp_reply_error(rq, 500);
	}
	free(s);
	rp_buf_add_ch(&out, '\n');
	r = rp_reply_buf(rq, status, "application/json", &out, "no-store");
	rp_buf_release(&out);
	return r;
}

int
rp_api_error_fields(struct rp_req *rq, unsigned status, const char *code,
    const char *ja, const char *en, const struct rp_order_errors *errs)
{
	json_t *fields = json_object(), *e;

	for (size_t i = 0; errs != NULL && i < errs->n; i++)
		json_object_set_new(fields, rp_order_field_name(errs->e[i].field),
		    json_string(errs->e[i].code));
	e = json_pack("{s:{s:s, s:{s:s, s:s}, s:o, s:s}}", "error", "code", code,
	    "message", "ja", ja, "en", en, "fields", fields, "request_id", rq->id);
	if (e != NULL && errs != NULL && errs->n_alt > 0) {
		json_t *alts = json_array();

		for (size_t i = 0; i < errs->n_alt && i < RP_ORDER_MAX_ALTS; i++) {
			const struct rp_order_alt *a = &errs->alt[i];

			json_array_append_new(alts, json_pack("{s:s*, s:s*, s:s, "
			    "s:s, s:s, s:I}", "counter", a->counter[0] ?
			    a->counter : NULL, "airport", a->airport[0] ?
			    a->airport : NULL, "pickup", a->counter[0] ?
			    "counter" : "courier", "plan", a->plan, "device",
			    a->device, "available", (json_int_t)a->available));
		}
		json_object_set_new(json_object_get(e, "error"), "alternatives",
		    alts);
	}
	return rp_api_reply_json(rq, status, e);
}

/*
 * The request's API key and the capability the identity holder vouches
 * for it with (the vault names "apikey:<id>" as the principal of what
 * it stores): one per request, per thread.
 */
static _Thread_local uint8_t tl_cap[RP_CAP_MAX];
static _Thread_local struct rp_web_put tl_put;

/* Bearer key → tenant; 0 or an answer already sent (returns 1). */
static int
authenticate(struct rp_req *rq, int64_t *tenant)
{
	struct rp_str h = rp_req_header(rq, "Authorization");
	uint32_t t = 0;
	size_t n = 0;
	int r = RP_E_NOTFOUND;

	*tenant = 0;
	sodium_memzero(&tl_put, sizeof(tl_put));
	if (rp_str_has_prefix(h, "Bearer ")) {
		h.p += 7;
		h.n -= 7;
		r = rp_auth_client_apikey(rp_worker.conf->data_dir, h, &t,
		    tl_cap, &n);
		if (r == 0 && t > 0) {
			*tenant = t;
			tl_put.cap = tl_cap;
			tl_put.cap_len = n;
			return 0;
		}
	}
	if (r == RP_E_AGAIN)
		return rp_api_error_fields(rq, 503, "unavailable",
		    "ただいま混み合っています。しばらくしてからお試しください。",
		    "Temporarily unavailable; please try again.", NULL) == 0 ?
		    1 : -1;
	return rp_api_error_fields(rq, 401, "unauthorized", "APIキーが正しくありません。",
	    "Missing or invalid API key.", NULL) == 0 ? 1 : -1;
}

/* Common start of every API handler: store and tenant. */
static int
begin(struct rp_req *rq, struct rp_order_ctx *ctx, int64_t *tenant)
{
	int r;

	memset(ctx, 0, sizeof(*ctx));
	if ((ctx->st = rp_web_store()) == NULL)
		return rp_api_error_fields(rq, 503, "unavailable",
		    "ただいま混み合っています。しばらくしてからお試しください。",
		    "Temporarily unavailable; please try again.", NULL) == 0 ? 1 : -1;
	if ((r = authenticate(rq, tenant)) != 0)
		return r;
	ctx->vault.put = rp_web_vault_put;
	ctx->vault.withdraw = rp_web_vault_withdraw;
	ctx->vault.arg = &tl_put;
	ctx->actor = "api";
	ctx->idem_stale_s = rp_worker.conf->order_idem_stale_s;
	ctx->no_stock = rp_worker.conf->stock_reserve == 0;
	return 0;
}

struct rp_str
rp_api_jstr(json_t *o, const char *key, bool *bad)
{
	json_t *v = json_object_get(o, key);
	struct rp_str s = RP_STR_NULL;

	if (v == NULL)
		return s;
	if (!json_is_string(v)) {
		*bad = true;
		return s;
	}
	s.p = json_string_value(v);
	s.n = json_string_length(v);
	return s;
}

bool
rp_api_known_keys(json_t *o, const char *const *keys)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		const char *const *p;

		(void)v;
		for (p = keys; *p != NULL && strcmp(*p, k) != 0; p++)
			;
		if (*p == NULL)
			return false;
	}
	return true;
}

/*
 * JSON request → order request (views borrow from the json_t, which the
 * caller keeps alive).  false for a shape error (→ 400).
 */
static bool
parse_req(json_t *o, struct rp_order_req *rq, bool order)
{
	static const char *const qkeys[] = { "plan", "qty", "options",
	    "departure", "return", "pickup", "dropoff", NULL };
	static const char *const okeys[] = { "plan", "qty", "options",
	    "departure", "return", "pickup", "dropoff", "traveller", "billing",
	    "lang", "payment_token", NULL };
	static const char *const tkeys[] = { "name", "kana", "email", "phone",
	    "postal_code", "address", "department", "employee_number",
	    "cost_centre", NULL };
	static const char *const hkeys[] = { "method", "counter", NULL };
	json_t *v, *opts, *t;
	bool bad = false;
	size_t i;

	memset(rq, 0, sizeof(*rq));
	if (!json_is_object(o) || !rp_api_known_keys(o, order ? okeys : qkeys))
		return false;
	rq->plan = rp_api_jstr(o, "plan", &bad);
	rq->depart = rp_api_jstr(o, "departure", &bad);
	rq->ret = rp_api_jstr(o, "return", &bad);
	if ((v = json_object_get(o, "qty")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 99)
			return false;
		rq->qty = (int)json_integer_value(v);
	}
	if ((opts = json_object_get(o, "options")) != NULL) {
		if (!json_is_array(opts) ||
		    json_array_size(opts) > RP_ORDER_REQ_OPTIONS)
			return false;
		json_array_foreach(opts, i, v) {
			json_t *q;

			if (!json_is_object(v) ||
			    !json_is_string(json_object_get(v, "code")))
				return false;
			rq->options[i].code = rp_api_jstr(v, "code", &bad);
			rq->options[i].qty = 1;
			if ((q = json_object_get(v, "qty")) != NULL) {
				/* Range-check before narrowing: 2^32+1 is not 1. */
				if (!json_is_integer(q) || json_integer_value(q) < 1 ||
				    json_integer_value(q) > 99)
					return false;
				rq->options[i].qty = (int)json_integer_value(q);
			}
			rq->n_options++;
		}
	}
	if ((v = json_object_get(o, "pickup")) != NULL) {
		if (!json_is_object(v) || !rp_api_known_keys(v, hkeys))
			return false;
		rq->pickup = rp_api_jstr(v, "method", &bad);
		rq->pickup_counter = rp_api_jstr(v, "counter", &bad);
	}
	if ((v = json_object_get(o, "dropoff")) != NULL) {
		if (!json_is_object(v) || !rp_api_known_keys(v, hkeys))
			return false;
		rq->return_method = rp_api_jstr(v, "method", &bad);
		rq->return_counter = rp_api_jstr(v, "counter", &bad);
	}
	if (order) {
		if ((t = json_object_get(o, "traveller")) != NULL) {
			if (!json_is_object(t) || !rp_api_known_keys(t, tkeys))
				return false;
			rq->name = rp_api_jstr(t, "name", &bad);
			rq->kana = rp_api_jstr(t, "kana", &bad);
			rq->email = rp_api_jstr(t, "email", &bad);
			rq->phone = rp_api_jstr(t, "phone", &bad);
			rq->postal_code = rp_api_jstr(t, "postal_code", &bad);
			rq->address = rp_api_jstr(t, "address", &bad);
			rq->department = rp_api_jstr(t, "department", &bad);
			rq->employee_no = rp_api_jstr(t, "employee_number", &bad);
			rq->cost_centre = rp_api_jstr(t, "cost_centre", &bad);
		}
		rq->billing = rp_api_jstr(o, "billing", &bad);
		rq->lang = rp_api_jstr(o, "lang", &bad);
	}
	return !bad;
}

json_t *
rp_api_body_json(struct rp_req *rq)
{
	json_error_t err;
	struct rp_str b = rp_buf_str(&rq->body);

	if (b.n == 0)
		return NULL;
	/* jansson recurses per level and has no limit of its own. */
	if (!rp_json_depth_ok(b, RP_JSON_MAX_DEPTH))
		return NULL;
	return json_loadb(b.p, b.n, JSON_REJECT_DUPLICATES, &err);
}

static int
bad_json(struct rp_req *rq)
{
	return rp_api_error_fields(rq, 400, "invalid_request",
	    "リクエストの形式が正しくありません。",
	    "The request body is not valid JSON of the documented shape.", NULL);
}

static int
service_error(struct rp_req *rq, int r, const struct rp_order_errors *errs)
{
	switch (r) {
	case RP_E_INVAL:
		if (errs != NULL && errs->n > 0)
			return rp_api_error_fields(rq, 422, "invalid_fields",
			    "入力内容をご確認ください。",
			    "Some fields are invalid.", errs);
		return bad_json(rq);
	case RP_E_FULL:
		return rp_api_error_fields(rq, 409, "sold_out",
		    "この日程は在庫切れです。別のカウンター・端末・日程をお選びください。",
		    "Sold out for these dates. Choose another counter, device or "
		    "dates (alternatives below).", errs);
	case RP_E_EXISTS:
		return rp_api_error_fields(rq, 409, "idempotency_conflict",
		    "同じIdempotency-Keyが別の内容で使われています。",
		    "This Idempotency-Key was used with another request.", NULL);
	case RP_E_NOTFOUND:
		return rp_api_error_fields(rq, 404, "not_found",
		    "注文が見つかりません。", "No such order.", NULL);
	case RP_E_STATE:
	case RP_E_DENIED:
		return rp_api_error_fields(rq, 409, "not_allowed",
		    "この注文は変更・キャンセルできません。",
		    "This order can no longer be changed or cancelled.", NULL);
	case RP_E_AGAIN:
		return rp_api_error_fields(rq, 503, "unavailable",
		    "ただいま一時的にご利用いただけません。しばらくしてからお試しください。",
		    "Temporarily unavailable; nothing was saved. Please try again.",
		    NULL);
	default:
		return rp_api_error_fields(rq, 500, "internal",
		    "エラーが発生しました。", "Internal error.", NULL);
	}
}

static json_t *
quote_json(const struct rp_order_quote *q)
{
	json_t *lines = json_array();

	for (size_t i = 0; i < q->n_lines; i++)
		json_array_append_new(lines, json_pack("{s:s, s:I, s:i, s:i, s:I}",
		    "code", q->lines[i].code, "unit_price", (json_int_t)q->lines[i].unit_yen,
		    "quantity", q->lines[i].quantity, "days", q->lines[i].days,
		    "amount", (json_int_t)q->lines[i].amount_yen));
	return json_pack("{s:i, s:o, s:I, s:I, s:I}", "days", q->days,
	    "lines", lines, "subtotal", (json_int_t)q->subtotal_yen,
	    "tax", (json_int_t)q->tax_yen, "total", (json_int_t)q->total_yen);
}

int
rp_api_plans(struct rp_req *rq)
{
	struct rp_order_ctx ctx;
	struct rp_order_plan *plans = NULL;
	struct rp_str dest = RP_STR_NULL, q = rq->query, kv, k;
	json_t *arr;
	int64_t tenant;
	size_t n = 0;
	int r;

	if ((r = begin(rq, &ctx, &tenant)) != 0)
		return r < 0 ? r : 0;
	/* destination=XX is the only parameter; anything else is refused. */
	while (q.n > 0) {
		if (!rp_str_split(&q, '&', &kv)) {
			kv = q;
			q.n = 0;
		}
		if (!rp_str_split(&kv, '=', &k) || !rp_str_eq_c(k, "destination"))
			return bad_json(rq);
		dest = kv;
	}
	if ((r = rp_order_plans(&ctx, tenant, dest, &plans, &n)) != 0)
		return service_error(rq, r, NULL);
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:b}",
		    "code", plans[i].code, "name", plans[i].destination_name,
		    "destination", plans[i].destination, "device", plans[i].device,
		    "tier", plans[i].tier, "daily_price", (json_int_t)plans[i].daily_yen,
		    "corporate_price", plans[i].corporate_price));
	free(plans);
	return rp_api_reply_json(rq, 200, json_pack("{s:o}", "plans", arr));
}

/*
 * The query's parameters: each of names (NULL-ended) at most once, into
 * vals[] (borrowed from form); anything else → false (400).
 */
static bool
query_params(struct rp_req *rq, struct rp_form *form,
    const char *const *names, struct rp_str *vals)
{
	size_t i, k;

	rp_form_init(form);
	if (rp_form_decode(rq->query, &rp_form_limits_default, form) != 0)
		return false;
	for (k = 0; names[k] != NULL; k++)
		vals[k] = RP_STR_NULL;
	for (i = 0; i < form->n; i++) {
		for (k = 0; names[k] != NULL; k++)
			if (rp_str_eq_c(form->f[i].key, names[k]))
				break;
		if (names[k] == NULL || vals[k].p != NULL)
			return false;
		vals[k] = form->f[i].value;
	}
	return true;
}

/* GET /api/v1/counters: where travellers pick up and return. */
int
rp_api_counters(struct rp_req *rq)
{
	struct rp_order_ctx ctx;
	struct rp_counter *c = NULL;
	json_t *arr;
	int64_t tenant;
	size_t n = 0;
	int r;

	if ((r = begin(rq, &ctx, &tenant)) != 0)
		return r < 0 ? r : 0;
	if (rq->query.n > 0)
		return bad_json(rq);
	if ((r = rp_store_counter_list(ctx.st, &c, &n)) != 0)
		return service_error(rq, r, NULL);
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:{s:s, s:s}, s:{s:i, s:i}}", "code", c[i].code, "name",
		    c[i].name, "airport", c[i].airport, "terminal",
		    c[i].terminal, "hours", "opens", c[i].opens, "closes",
		    c[i].closes, "pickup_deadline", "days_before",
		    (int)c[i].deadline_days, "hour", (int)c[i].deadline_hour));
	free(c);
	return rp_api_reply_json(rq, 200, json_pack("{s:o}", "counters", arr));
}

/* GET /api/v1/availability?plan=&counter=&from=&to= */
int
rp_api_availability(struct rp_req *rq)
{
	static const char *const names[] = { "plan", "counter", "from", "to",
	    NULL };
	/* the order service's fields as this query names them */
	static const char *const qname[RP_OF__COUNT] = {
		[RP_OF_PLAN] = "plan", [RP_OF_PICKUP_COUNTER] = "counter",
		[RP_OF_DEPART] = "from", [RP_OF_RETURN] = "to",
	};
	struct rp_order_ctx ctx;
	struct rp_order_errors errs;
	struct rp_order_avail *a = NULL;
	struct rp_str v[4];
	struct rp_form form;
	json_t *days, *fields, *j;
	int64_t tenant;
	int r;

	if ((r = begin(rq, &ctx, &tenant)) != 0)
		return r < 0 ? r : 0;
	if (!query_params(rq, &form, names, v)) {
		rp_form_release(&form);
		return bad_json(rq);
	}
	if ((a = malloc(sizeof(*a))) == NULL) {
		rp_form_release(&form);
		return service_error(rq, RP_E_NOMEM, NULL);
	}
	r = rp_order_availability(&ctx, v[0], v[1], v[2], v[3], a, &errs);
	rp_form_release(&form);
	if (r == RP_E_INVAL) {
		free(a);
		fields = json_object();
		for (size_t i = 0; i < errs.n; i++)
			if (errs.e[i].field >= 0 && errs.e[i].field < RP_OF__COUNT &&
			    qname[errs.e[i].field] != NULL)
				json_object_set_new(fields, qname[errs.e[i].field],
				    json_string(errs.e[i].code));
		j = json_pack("{s:{s:s, s:{s:s, s:s}, s:o, s:s}}", "error",
		    "code", "invalid_fields", "message", "ja",
		    "入力内容をご確認ください。", "en", "Some parameters are invalid.",
		    "fields", fields, "request_id", rq->id);
		return rp_api_reply_json(rq, 422, j);
	}
	if (r != 0) {
		free(a);
		return service_error(rq, r, NULL);
	}
	days = json_array();
	for (size_t i = 0; i < a->ndays; i++)
		json_array_append_new(days, json_pack("{s:s, s:I}", "date",
		    a->days[i].date, "available",
		    (json_int_t)a->days[i].available));
	j = json_pack("{s:s, s:s, s:s*, s:s, s:s, s:s, s:s, s:I, s:I, s:o}",
	    "plan", a->plan, "device", a->device, "counter",
	    a->counter[0] ? a->counter : NULL, "pickup", a->counter[0] ?
	    "counter" : "courier", "from", a->days[0].date, "to",
	    a->days[a->ndays - 1].date, "held_from", a->hold_from, "units",
	    (json_int_t)a->units, "available", (json_int_t)a->available,
	    "days", days);
	json_object_set_new(j, "held_until", json_string(a->hold_until));
	free(a);
	return rp_api_reply_json(rq, 200, j);
}

int
rp_api_quote(struct rp_req *rq)
{
	struct rp_order_ctx ctx;
	struct rp_order_req req;
	struct rp_order_quote qt;
	struct rp_order_errors errs;
	int64_t tenant;
	json_t *j;
	int r;

	if ((r = begin(rq, &ctx, &tenant)) != 0)
		return r < 0 ? r : 0;
	if ((j = rp_api_body_json(rq)) == NULL || !parse_req(j, &req, false)) {
		json_decref(j);
		return bad_json(rq);
	}
	memset(&errs, 0, sizeof(errs));
	r = rp_order_quote(&ctx, tenant, &req, &qt, &errs);
	json_decref(j);
	if (r != 0)
		return service_error(rq, r, &errs);
	return rp_api_reply_json(rq, 200, quote_json(&qt));
}

static bool
token_ok(struct rp_str t)
{
	if (t.n == 0 || t.n > 64)
		return false;
	for (size_t i = 0; i < t.n; i++)
		if (!((t.p[i] >= 'a' && t.p[i] <= 'z') ||
		    (t.p[i] >= 'A' && t.p[i] <= 'Z') ||
		    (t.p[i] >= '0' && t.p[i] <= '9') || t.p[i] == '_'))
			return false;
	return true;
}

/*
 * Authorizes a card order's total through the payment outbox (paylink
 * works it) and waits briefly; the answer reports whatever state it is in.
 */
static void
authorize(struct rp_req *rq, struct rp_order_ctx *ctx, int64_t tenant,
    struct rp_order_result *res, const char *tok)
{
	struct rp_tenant t;
	struct rp_payment p;
	int64_t oid;
	char base[300];

	(void)rq;
	if (rp_store_order_number_id(ctx->st, res->number, &oid) != 0 ||
	    rp_store_tenant_get_id(ctx->st, tenant, &t) != 0)
		return;
	memset(&p, 0, sizeof(p));
	p.order_id = oid;
	p.op = RP_PAY_AUTHORIZE;
	p.amount_yen = res->total_yen;
	snprintf(p.token, sizeof(p.token), "%s", tok);
	if (rp_worker.conf->public_url[0] != '\0')
		snprintf(base, sizeof(base), "%.200s", rp_worker.conf->public_url);
	else
		snprintf(base, sizeof(base), "http://localhost:%u",
		    (unsigned)rp_worker.conf->port);
	snprintf(p.return_url, sizeof(p.return_url), "%.200s/c/%s/order/paid",
	    base, t.slug);
	if (rp_store_payment_new(ctx->st, &p) != 0)
		return;
	if (rp_pay_wait(ctx->st, p.id, 8000, &p) != 0)
		return;		/* pending: paylink keeps trying */
}

/* The order's answer: number, status and total, and its payment if any. */
static json_t *
order_json(struct rp_order_ctx *ctx, int64_t tenant,
    const struct rp_order_result *res)
{
	struct rp_order_view v;
	struct rp_payment p;
	const char *st = rp_order_status_name(res->status);
	json_t *o;

	if (rp_order_get(ctx, tenant, rp_str_c(res->number), &v) == 0)
		st = v.status;
	o = json_pack("{s:s, s:s, s:I}", "number", res->number, "status", st,
	    "total", (json_int_t)res->total_yen);
	if (o != NULL && v.id > 0 &&
	    rp_store_payment_last(ctx->st, v.id, RP_PAY_AUTHORIZE, &p) == 0) {
		static const char *const states[] = { "pending", "requires_action",
		    "authorized", "declined", "pending" };
		json_t *pay = json_pack("{s:s}", "status", states[p.state]);

		if (p.brand[0] != '\0') {
			json_object_set_new(o, "card", json_pack("{s:s, s:s, s:i, "
			    "s:i}", "brand", p.brand, "last4", p.last4,
			    "exp_month", p.exp_month, "exp_year", p.exp_year));
		}
		if (p.state == RP_PAY_FAILED)
			json_object_set_new(pay, "decline_code",
			    json_string(p.decline_code));
		if (p.state == RP_PAY_ACTION)
			json_object_set_new(pay, "next_action_url",
			    json_string(p.next_url));
		json_object_set_new(o, "payment", pay);
	}
	return o;
}

int
rp_api_order_new(struct rp_req *rq)
{
	struct rp_order_ctx ctx;
	struct rp_order_req req;
	struct rp_order_result res;
	struct rp_order_errors errs;
	struct rp_str key = rp_req_header(rq, "Idempotency-Key"), token;
	char tok[65];
	bool bad = false;
	int64_t tenant;
	json_t *j;
	int r;

	if ((r = begin(rq, &ctx, &tenant)) != 0)
		return r < 0 ? r : 0;
	if ((j = rp_api_body_json(rq)) == NULL || !parse_req(j, &req, true)) {
		json_decref(j);
		return bad_json(rq);
	}
	token = rp_api_jstr(j, "payment_token", &bad);
	if (bad || (token.n > 0 && !token_ok(token)) ||
	    (token.n > 0 && rp_str_eq_c(req.billing, "invoice"))) {
		json_decref(j);
		return bad_json(rq);
	}
	if (token.n > 0)
		memcpy(tok, token.p, token.n);
	tok[token.n] = '\0';
	memset(&errs, 0, sizeof(errs));
	r = rp_order_place(&ctx, tenant, RP_CHANNEL_CORPORATE, key, &req, &res,
	    &errs);
	json_decref(j);
	if (r != 0)
		return service_error(rq, r, &errs);
	if (!res.replayed && res.status == RP_ORDER_AWAITING_PAYMENT &&
	    tok[0] != '\0')
		authorize(rq, &ctx, tenant, &res, tok);
	return rp_api_reply_json(rq, 201, order_json(&ctx, tenant, &res));
}

int
rp_api_order_get(struct rp_req *rq)
{
	struct rp_order_ctx ctx;
	struct rp_order_view v;
	struct rp_str number;
	int64_t tenant;
	int r;

	if ((r = begin(rq, &ctx, &tenant)) != 0)
		return r < 0 ? r : 0;
	if (rp_route_param(&rq->match, "number", &number) != 0)
		return service_error(rq, RP_E_NOTFOUND, NULL);
	if ((r = rp_order_get(&ctx, tenant, number, &v)) != 0)
		return service_error(rq, r, NULL);
	return rp_api_reply_json(rq, 200, json_pack(
	    "{s:s, s:s, s:s, s:i, s:s, s:s, s:I, s:I, s:I}",
	    "number", v.number, "status", v.status, "plan", v.plan, "qty", v.qty,
	    "departure", v.depart, "return", v.ret,
	    "subtotal", (json_int_t)v.subtotal_yen, "tax", (json_int_t)v.tax_yen,
	    "total", (json_int_t)v.total_yen));
}

int
rp_api_order_cancel(struct rp_req *rq)
{
	struct rp_order_ctx ctx;
	struct rp_order_view v;
	struct rp_str number;
	int64_t tenant, fee = 0;
	int r;

	if ((r = begin(rq, &ctx, &tenant)) != 0)
		return r < 0 ? r : 0;
	if (rp_route_param(&rq->match, "number", &number) != 0)
		return service_error(rq, RP_E_NOTFOUND, NULL);
	if ((r = rp_order_cancel(&ctx, tenant, number, &fee)) != 0 ||
	    (r = rp_order_get(&ctx, tenant, number, &v)) != 0)
		return service_error(rq, r, NULL);
	return rp_api_reply_json(rq, 200, json_pack("{s:s, s:s, s:I, s:I}",
	    "number", v.number, "status", v.status,
	    "total", (json_int_t)v.total_yen, "cancellation_fee", (json_int_t)fee));
}
