/* SPDX-License-Identifier: ISC */
/*
 * counter.c — the airport counter in the staff console: today's pickups
 * and returns, the overdue list and search (pages), pickup by serial,
 * return with its condition and fees, settlement (card on file through
 * paylink, the counter terminal, invoice), walk-in orders; and the same
 * operations as JSON for handheld scanners (docs/openapi-console.yaml).
 *
 * A counter login (role counter) works at its counters only: another
 * counter's page, list or order is a 403.  A return is taken at any of
 * the login's counters (units come back anywhere).  Courier dispatch and
 * courier returns are the warehouse's: role backoffice.  Every change is
 * one store transaction (store.h "the counter"); the traveller's name and
 * phone come from the vault with purpose counter, for the order in hand.
 */
#include "util/common.h"
#include "auth/auth.h"
#include "alog/entry.h"
#include "auth/client.h"
#include "domain/date.h"
#include "order/order.h"
#include "paylink/paylink.h"
#include "store/store.h"
#include "web/api.h"
#include "web/conns.h"
#include "web/console.h"
#include "web/i18n.h"
#include "web/request.h"
#include "web/site.h"
#include "web/tmpl.h"

#include <sodium.h>

#define LIST_MAX	200
#define SETTLE_WAIT_MS	4000

/* An answer: 0 = done; else an HTTP status, a code and its ja/en text. */
struct cres {
	unsigned status;
	const char *code, *ja, *en;
};

static void
fail(struct cres *res, unsigned status, const char *code, const char *ja,
    const char *en)
{
	res->status = status;
	res->code = code;
	res->ja = ja;
	res->en = en;
}

static void
unit_fail(struct cres *res, int why, int r)
{
	switch (why) {
	case RP_UNIT_UNKNOWN_SERIAL:
		fail(res, 422, "unknown_serial", "このシリアル番号の端末はありません。",
		    "No unit has this serial number.");
		return;
	case RP_UNIT_WRONG_KIND:
		fail(res, 422, "wrong_device", "この注文とは別の種類の端末です。",
		    "This unit is another device type than the order's.");
		return;
	case RP_UNIT_WRONG_COUNTER:
		fail(res, 422, "wrong_counter", "この端末は別のカウンターの在庫です。",
		    "This unit belongs to another counter's stock.");
		return;
	case RP_UNIT_UNAVAILABLE:
		fail(res, 409, "unit_unavailable",
		    "この端末は貸出中か、貸し出せない状態です。",
		    "This unit is already out or cannot be rented.");
		return;
	case RP_UNIT_ORDER_STATE:
		fail(res, 409, "order_state",
		    "この注文はいまの状態ではこの操作ができません（取消済み・受渡済みなど）。",
		    "The order's status does not allow this (cancelled, already "
		    "picked up, ...).");
		return;
	case RP_UNIT_OTHER_ORDER:
		fail(res, 422, "other_order", "この端末は別の注文で貸し出されています。",
		    "This unit is out with another order.");
		return;
	case RP_UNIT_NOT_OUT:
		fail(res, 409, "not_out", "この端末はこの注文で貸出中ではありません（返却済み）。",
		    "This unit is not out with this order (already returned).");
		return;
	}
	if (r == RP_E_INVAL)
		fail(res, 422, "invalid_request", "入力内容を確認してください。",
		    "Check the values entered.");
	else
		fail(res, 503, "unavailable",
		    "一時的に処理できません。もう一度お試しください。",
		    "Temporarily unavailable; please try again.");
}

static void
store_fail(struct cres *res)
{
	fail(res, 503, "unavailable", "一時的に処理できません。もう一度お試しください。",
	    "Temporarily unavailable; please try again.");
}

/* The actor of an event: "staff:alice@NRT1". */
static void
actor_of(const struct rp_auth_who *w, const char *where, char *out, size_t n)
{
	snprintf(out, n, "staff:%.32s%s%.16s", w->user, where[0] ? "@" : "",
	    where);
}

/* ---- who may do what -------------------------------------------------- */

/* A counter code in the route: one of the login's (0), else 403/404. */
static int
route_counter(struct rp_req *rq, struct rp_store *st,
    const struct rp_auth_who *w, struct rp_counter *c, struct cres *res)
{
	char code[RP_STORE_CODE_MAX + 1];
	struct rp_str s;

	if (rp_route_param(&rq->match, "code", &s) != 0 || s.n == 0 ||
	    s.n > RP_STORE_CODE_MAX || w->role != RP_STAFF_COUNTER ||
	    !console_in_list(w->counters, s)) {
		fail(res, 403, "forbidden", "このカウンターの操作権限がありません。",
		    "This login does not work at this counter.");
		return -1;
	}
	memcpy(code, s.p, s.n);
	code[s.n] = '\0';
	if (rp_store_counter_get(st, code, c) != 0) {
		fail(res, 404, "not_found", "カウンターが見つかりません。",
		    "No such counter.");
		return -1;
	}
	return 0;
}

/* The counter of id (> 0) into *out: true if there is one. */
static bool
counter_by_id(struct rp_store *st, int64_t id, struct rp_counter *out)
{
	struct rp_counter *cs = NULL;
	size_t n = 0;
	bool found = false;

	if (id <= 0 || rp_store_counter_list(st, &cs, &n) != 0)
		return false;
	for (size_t i = 0; i < n && !found; i++)
		if (cs[i].id == id) {
			*out = cs[i];
			found = true;
		}
	free(cs);
	return found;
}

/* Counter id is one of the login's (*out, if non-NULL, set to it). */
static bool
counter_is_mine(struct rp_store *st, const struct rp_auth_who *w, int64_t id,
    struct rp_counter *out)
{
	struct rp_counter c;

	if (!counter_by_id(st, id, &c) || !console_in_list(w->counters,
	    rp_str_c(c.code)))
		return false;
	if (out != NULL)
		*out = c;
	return true;
}

/* The order in the route; 404 if none. */
static int
route_order(struct rp_req *rq, struct rp_store *st, struct rp_order *o,
    struct cres *res)
{
	char num[RP_ORDER_NUMBER_LEN + 1];
	struct rp_str s;

	if (rp_route_param(&rq->match, "number", &s) != 0 || s.n == 0 ||
	    s.n > RP_ORDER_NUMBER_LEN) {
		fail(res, 404, "not_found", "注文が見つかりません。", "No such order.");
		return -1;
	}
	memcpy(num, s.p, s.n);
	num[s.n] = '\0';
	if (rp_store_order_get(st, num, o) != 0) {
		fail(res, 404, "not_found", "注文が見つかりません。", "No such order.");
		return -1;
	}
	return 0;
}

/* A counter login reaches an order picked up or returned at one of its
 * counters; anything else is 403. */
static int
order_mine(struct rp_store *st, const struct rp_auth_who *w,
    const struct rp_order *o, struct cres *res)
{
	if (w->role == RP_STAFF_COUNTER &&
	    (counter_is_mine(st, w, o->pickup_counter_id, NULL) ||
	    counter_is_mine(st, w, o->return_counter_id, NULL)))
		return 0;
	fail(res, 403, "forbidden", "この注文は別のカウンターの担当です。",
	    "This order belongs to another counter.");
	return -1;
}

/* ---- the operations, shared by the pages and the API -------------------- */

static int
op_pickup(struct rp_store *st, const struct rp_auth_who *w,
    const struct rp_counter *c, const struct rp_order *o, struct rp_str serial,
    const char *tracking, bool *complete, struct cres *res)
{
	char s[RP_STORE_CODE_MAX + 1], actor[64];
	int why = 0, r;

	if (serial.n == 0 || serial.n > RP_STORE_CODE_MAX ||
	    memchr(serial.p, '\0', serial.n) != NULL) {
		unit_fail(res, serial.n == 0 ? RP_UNIT_OK : RP_UNIT_UNKNOWN_SERIAL,
		    RP_E_INVAL);
		return -1;
	}
	memcpy(s, serial.p, serial.n);
	s[serial.n] = '\0';
	if (c != NULL && o->pickup_counter_id != c->id) {
		fail(res, 403, "forbidden", "この注文は別のカウンターで受け渡します。",
		    "This order is picked up at another counter.");
		return -1;
	}
	actor_of(w, c != NULL ? c->code : "courier", actor, sizeof(actor));
	r = rp_store_unit_pickup(st, o->id, s, c != NULL ? c->id : 0, tracking,
	    actor, 0, &why, complete);
	if (r != 0) {
		unit_fail(res, why, r);
		return -1;
	}
	return 0;
}

static int
op_return(struct rp_store *st, const struct rp_auth_who *w,
    const struct rp_counter *c, const struct rp_order *o,
    struct rp_counter_return_req *rr, struct rp_counter_due *due,
    struct cres *res)
{
	char actor[64];
	int why = 0, r;

	rr->counter_id = c != NULL ? c->id : 0;
	actor_of(w, c != NULL ? c->code : "courier", actor, sizeof(actor));
	r = rp_counter_return(st, o->id, rr, actor, due, &why);
	if (r != 0) {
		if (why == RP_UNIT_OK && r == RP_E_INVAL)
			fail(res, 422, "invalid_parts",
			    "不足部品の指定が正しくありません（この端末のセットにない部品です）。",
			    "The missing parts are wrong (not part of this "
			    "device's kit).");
		else
			unit_fail(res, why, r);
		return -1;
	}
	return 0;
}

/* Whether the order is billed by invoice (a client that is). */
static bool
invoice_billed(struct rp_store *st, const struct rp_order *o)
{
	struct rp_tenant t;

	return o->tenant_id > 0 && rp_store_tenant_get_id(st, o->tenant_id,
	    &t) == 0 && t.billing == RP_BILLING_INVOICE;
}

static const char *
billing_of(struct rp_store *st, const struct rp_order *o)
{
	if (o->channel == RP_CHANNEL_COUNTER)
		return "counter";
	return invoice_billed(st, o) ? "invoice" : "card";
}

static int
queue_pay(struct rp_store *st, struct rp_payment *p, struct cres *res)
{
	if (rp_store_payment_new(st, p) != 0) {
		store_fail(res);
		return -1;
	}
	return 0;
}

struct settle_out {
	char status[24];
	int64_t total_due_yen;
	char terminal_url[512];
};

/*
 * Settles a returned order.  The order moves first (returned → settled
 * or settle_pending, once: a second settlement is refused and changes
 * nothing), then the money operations go to the payment outbox, which
 * paylink sends with their idempotency keys until the agent answers — an
 * agent that is down leaves the order settle_pending, never charged twice.
 */
static int
op_settle(struct rp_store *st, const struct rp_auth_who *w,
    const struct rp_order *o, struct rp_str method, struct settle_out *out,
    struct cres *res)
{
	struct rp_payment auth, p;
	struct rp_counter_due due;
	struct rp_order now;
	char actor[64], m[16];
	bool have_auth, invoice;
	int64_t capture, id = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if (!rp_str_eq_c(method, "card_on_file") &&
	    !rp_str_eq_c(method, "terminal") && !rp_str_eq_c(method, "invoice")) {
		fail(res, 422, "invalid_method",
		    "精算方法は card_on_file・terminal・invoice のいずれかです。",
		    "method must be card_on_file, terminal or invoice.");
		return -1;
	}
	snprintf(m, sizeof(m), "%.*s", (int)method.n, method.p);
	if (o->status == RP_ORDER_SETTLED || o->status ==
	    RP_ORDER_SETTLE_PENDING) {
		fail(res, 409, "already_settled", "この注文は精算済みです。",
		    "This order has already been settled.");
		return -1;
	}
	if (o->status != RP_ORDER_RETURNED) {
		fail(res, 409, "not_returned", "返却が済んでいない注文は精算できません。",
		    "The order must be returned before it is settled.");
		return -1;
	}
	if (rp_counter_due(st, o->id, &due) != 0) {
		store_fail(res);
		return -1;
	}
	out->total_due_yen = due.total_due_yen;
	have_auth = rp_store_payment_last(st, o->id, RP_PAY_AUTHORIZE,
	    &auth) == 0 && auth.state == RP_PAY_DONE;
	invoice = strcmp(m, "invoice") == 0;
	if (invoice && !invoice_billed(st, o)) {
		fail(res, 422, "invoice_not_allowed",
		    "請求書払いは請求書払いの法人のお客様だけです。",
		    "Invoice settlement is for invoice-billed corporate clients "
		    "only.");
		return -1;
	}
	if (strcmp(m, "card_on_file") == 0 && !have_auth) {
		fail(res, 422, "no_card_on_file",
		    "この注文には登録済みのカードがありません。端末で精算してください。",
		    "This order has no card on file; settle at the terminal.");
		return -1;
	}
	actor_of(w, "", actor, sizeof(actor));
	r = rp_store_order_settle(st, o->id, m, invoice ? RP_ORDER_SETTLED :
	    RP_ORDER_SETTLE_PENDING, actor, 0);
	if (r == RP_E_STATE) {
		fail(res, 409, "already_settled", "この注文は精算済みです。",
		    "This order has already been settled.");
		return -1;
	}
	if (r != 0) {
		store_fail(res);
		return -1;
	}
	if (!invoice) {
		memset(&p, 0, sizeof(p));
		p.order_id = o->id;
		if (strcmp(m, "card_on_file") == 0) {
			capture = auth.amount_yen < due.total_due_yen ?
			    auth.amount_yen : due.total_due_yen;
			/* the charge beyond the hold first: paylink settles the
			 * order when the capture is done and no charge waits */
			if (due.total_due_yen > capture) {
				p.op = RP_PAY_CHARGE;
				p.amount_yen = due.total_due_yen - capture;
				snprintf(p.customer, sizeof(p.customer), "%s",
				    auth.customer);
				snprintf(p.payment_method, sizeof(p.payment_method),
				    "%s", auth.payment_method);
				if (queue_pay(st, &p, res) != 0)
					return -1;
			}
			memset(&p, 0, sizeof(p));
			p.order_id = o->id;
			p.op = RP_PAY_CAPTURE;
			p.amount_yen = capture;
			snprintf(p.psp_id, sizeof(p.psp_id), "%s", auth.psp_id);
			if (queue_pay(st, &p, res) != 0)
				return -1;
			id = p.id;
		} else {
			if (have_auth) {
				/* the card hold is let go: paid at the terminal */
				p.op = RP_PAY_VOID;
				snprintf(p.psp_id, sizeof(p.psp_id), "%s",
				    auth.psp_id);
				if (queue_pay(st, &p, res) != 0)
					return -1;
				memset(&p, 0, sizeof(p));
				p.order_id = o->id;
			}
			p.op = RP_PAY_TERMINAL;
			p.amount_yen = due.total_due_yen;
			if (queue_pay(st, &p, res) != 0)
				return -1;
			id = p.id;
		}
		/* a short wait for paylink: the terminal's page, or done */
		if (rp_pay_wait(st, id, SETTLE_WAIT_MS, &p) == 0 &&
		    p.op == RP_PAY_TERMINAL && p.next_url[0] != '\0') {
			char base[256];

			rp_pay_agent_origin(rp_worker.conf, base, sizeof(base));
			snprintf(out->terminal_url, sizeof(out->terminal_url),
			    "%s%s", p.next_url[0] == '/' ? base : "", p.next_url);
		}
		for (int i = 0; i < 10; i++) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };

			if (rp_store_order_get_id(st, o->id, &now) == 0 &&
			    now.status == RP_ORDER_SETTLED)
				break;
			if (p.op == RP_PAY_TERMINAL)
				break;	/* the traveller taps the card now */
			nanosleep(&ts, NULL);
		}
	}
	if (rp_store_order_get_id(st, o->id, &now) != 0) {
		store_fail(res);
		return -1;
	}
	snprintf(out->status, sizeof(out->status), "%s",
	    rp_order_status_name(now.status));
	return 0;
}

/* ---- JSON ------------------------------------------------------------- */

static int
api_fail(struct rp_req *rq, const struct cres *res)
{
	return rp_api_error_fields(rq, res->status, res->code, res->ja, res->en,
	    NULL);
}

static int
bad_request(struct rp_req *rq, const char *ja, const char *en)
{
	return rp_api_error_fields(rq, 400, "invalid_request", ja, en, NULL);
}

/* The API's session as a counter login (0), else an answer was sent. */
static int
api_begin(struct rp_req *rq, struct rp_auth_who *w, struct rp_store **st)
{
	struct rp_str token;
	int r;

	if ((r = console_api_who(rq, w, &token)) != 0)
		return r < 0 ? r : 1;
	if ((*st = rp_web_store()) == NULL) {
		struct cres res;

		store_fail(&res);
		return api_fail(rq, &res) == 0 ? 1 : -1;
	}
	return 0;
}

static const char *
plan_code(const struct rp_plan *plans, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (plans[i].id == id)
			return plans[i].code;
	return "";
}

static json_t *
order_rows(struct rp_store *st, const struct rp_order *os, size_t n,
    const struct rp_plan *plans, size_t np)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, "
		    "s:i, s:s, s:s}", "number", os[i].number, "departure",
		    os[i].depart_date, "return", os[i].return_date, "plan",
		    plan_code(plans, np, os[i].plan_id), "billing",
		    billing_of(st, &os[i]), "qty", (int)os[i].qty, "status",
		    rp_order_status_name(os[i].status), "channel",
		    rp_channel_name(os[i].channel)));
	return arr;
}

struct day_lists {
	char date[11];
	struct rp_order *l[3];
	size_t n[3];
	struct rp_plan *plans;
	size_t nplans;
	size_t no_shows;
};

static void
day_free(struct day_lists *d)
{
	for (int i = 0; i < 3; i++)
		free(d->l[i]);
	free(d->plans);
}

/* Today's lists at counter c, after the day's no-shows are let go. */
static int
day_load(struct rp_store *st, const struct rp_auth_who *w,
    const struct rp_counter *c, struct day_lists *d)
{
	static const int which[3] = { RP_COUNTER_PICKUPS, RP_COUNTER_RETURNS,
	    RP_COUNTER_OVERDUE };
	char actor[64];
	int64_t t = time(NULL);
	int r;

	memset(d, 0, sizeof(*d));
	actor_of(w, c->code, actor, sizeof(actor));
	if ((r = rp_counter_today(st, t, d->date)) != 0 ||
	    (r = rp_counter_no_shows(st, c->id, t, actor, &d->no_shows)) != 0)
		return r;
	for (int i = 0; i < 3; i++)
		if ((r = rp_store_counter_orders(st, c->id, which[i], d->date,
		    LIST_MAX, &d->l[i], &d->n[i])) != 0)
			return r;
	return rp_store_plan_list(st, NULL, -1, false, &d->plans, &d->nplans);
}

int
counter_api_today(struct rp_req *rq)
{
	struct rp_auth_who w;
	struct rp_store *st;
	struct rp_counter c;
	struct day_lists d;
	struct cres res;
	int r;

	if ((r = api_begin(rq, &w, &st)) != 0)
		return r < 0 ? r : 0;
	if (route_counter(rq, st, &w, &c, &res) != 0)
		return api_fail(rq, &res);
	if (rq->query.n > 0)
		return bad_request(rq, "このAPIはパラメータを取りません。",
		    "This call takes no parameters.");
	if (day_load(st, &w, &c, &d) != 0) {
		day_free(&d);
		store_fail(&res);
		return api_fail(rq, &res);
	}
	r = rp_api_reply_json(rq, 200, json_pack("{s:s, s:s, s:o, s:o, s:o, "
	    "s:I}", "counter", c.code, "date", d.date, "pickups",
	    order_rows(st, d.l[0], d.n[0], d.plans, d.nplans), "returns",
	    order_rows(st, d.l[1], d.n[1], d.plans, d.nplans), "overdue",
	    order_rows(st, d.l[2], d.n[2], d.plans, d.nplans), "no_shows",
	    (json_int_t)d.no_shows));
	day_free(&d);
	return r;
}

int
counter_api_units(struct rp_req *rq)
{
	struct rp_auth_who w;
	struct rp_store *st;
	struct rp_counter c;
	struct rp_device *ds = NULL;
	struct rp_form form;
	struct rp_str status = RP_STR_NULL;
	struct cres res;
	char buf[24];
	size_t n = 0;
	json_t *arr;
	int want = -1, r;

	if ((r = api_begin(rq, &w, &st)) != 0)
		return r < 0 ? r : 0;
	if (route_counter(rq, st, &w, &c, &res) != 0)
		return api_fail(rq, &res);
	rp_form_init(&form);
	r = rp_form_decode(rq->query, &rp_form_limits_default, &form);
	for (size_t i = 0; r == 0 && i < form.n; i++) {
		if (!rp_str_eq_c(form.f[i].key, "status") || status.p != NULL)
			r = RP_E_INVAL;
		else
			status = form.f[i].value;
	}
	if (r != 0) {
		rp_form_release(&form);
		return bad_request(rq, "使えるパラメータは status だけです。",
		    "The only parameter is status.");
	}
	if (status.p != NULL) {
		snprintf(buf, sizeof(buf), "%.*s", (int)(status.n < 23 ? status.n :
		    23), status.p);
		if (status.n > 23 || rp_device_status_parse(buf, &want) != 0) {
			rp_form_release(&form);
			return rp_api_error_fields(rq, 422, "invalid_status",
			    "status は available・out・inspection・repair・lost・"
			    "retired のいずれかです。",
			    "status must be available, out, inspection, repair, "
			    "lost or retired.", NULL);
		}
	}
	rp_form_release(&form);
	if (rp_store_device_list(st, want, c.id, &ds, &n) != 0) {
		store_fail(&res);
		return api_fail(rq, &res);
	}
	arr = json_array();
	for (size_t i = 0; arr != NULL && i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}",
		    "serial", ds[i].serial, "device",
		    rp_device_kind_name(ds[i].kind), "model", ds[i].model,
		    "status", rp_device_status_name(ds[i].status)));
	free(ds);
	return rp_api_reply_json(rq, 200, json_pack("{s:s, s:o}", "counter",
	    c.code, "units", arr));
}

/* The body of a handheld POST: an object with only keys; else 400 sent. */
static json_t *
api_body(struct rp_req *rq, const char *const *keys)
{
	json_t *j = rp_api_body_json(rq);

	if (j == NULL || !json_is_object(j) || !rp_api_known_keys(j, keys)) {
		json_decref(j);
		(void)bad_request(rq, "リクエストの形式が正しくありません。",
		    "The body is not the JSON object this call takes.");
		return NULL;
	}
	return j;
}

/* Which of the login's counters a scan happens at: the body's "counter"
 * (one of its own), else the order's own counter if it is the login's,
 * else its first counter. */
static int
scan_counter(struct rp_store *st, const struct rp_auth_who *w, json_t *j,
    int64_t prefer, struct rp_counter *c, struct cres *res)
{
	char code[RP_STORE_CODE_MAX + 1];
	bool bad = false;
	struct rp_str s = rp_api_jstr(j, "counter", &bad);

	if (w->role != RP_STAFF_COUNTER) {
		fail(res, 403, "forbidden", "カウンターの担当者だけが操作できます。",
		    "Only a counter login may do this.");
		return -1;
	}
	if (bad || s.n > RP_STORE_CODE_MAX) {
		fail(res, 422, "invalid_counter", "counter が正しくありません。",
		    "counter is not a counter code.");
		return -1;
	}
	if (s.n == 0 && counter_is_mine(st, w, prefer, c))
		return 0;
	if (s.n == 0)
		s = (struct rp_str){ w->counters, strcspn(w->counters, ",") };
	if (!console_in_list(w->counters, s)) {
		fail(res, 403, "forbidden", "このカウンターの操作権限がありません。",
		    "This login does not work at this counter.");
		return -1;
	}
	snprintf(code, sizeof(code), "%.*s", (int)s.n, s.p);
	if (rp_store_counter_get(st, code, c) != 0) {
		store_fail(res);
		return -1;
	}
	return 0;
}

static json_t *
order_state(struct rp_store *st, const struct rp_order *o)
{
	struct rp_order now;
	struct rp_order_unit *u = NULL;
	size_t n = 0;
	json_t *units = json_array();

	if (rp_store_order_get_id(st, o->id, &now) != 0)
		now = *o;
	if (rp_store_order_units(st, o->id, &u, &n) == 0)
		for (size_t i = 0; units != NULL && i < n; i++)
			json_array_append_new(units, json_pack("{s:s, s:s, s:b}",
			    "serial", u[i].serial, "device",
			    rp_device_kind_name(u[i].kind), "out",
			    u[i].back_at == 0));
	free(u);
	return json_pack("{s:s, s:s, s:o}", "number", now.number, "status",
	    rp_order_status_name(now.status), "units", units);
}

int
counter_api_pickup(struct rp_req *rq)
{
	static const char *const keys[] = { "serial", "counter", NULL };
	struct rp_auth_who w;
	struct rp_store *st;
	struct rp_counter c;
	struct rp_order o;
	struct cres res;
	bool bad = false, complete;
	struct rp_str serial;
	json_t *j;
	int r;

	if ((r = api_begin(rq, &w, &st)) != 0)
		return r < 0 ? r : 0;
	if ((j = api_body(rq, keys)) == NULL)
		return 0;
	serial = rp_api_jstr(j, "serial", &bad);
	if (bad || serial.n == 0) {
		json_decref(j);
		return rp_api_error_fields(rq, 422, "invalid_serial",
		    "serial（端末のシリアル番号）が必要です。",
		    "serial (the unit's serial number) is required.", NULL);
	}
	if (route_order(rq, st, &o, &res) != 0 ||
	    order_mine(st, &w, &o, &res) != 0 ||
	    scan_counter(st, &w, j, o.pickup_counter_id, &c, &res) != 0 ||
	    op_pickup(st, &w, &c, &o, serial, "", &complete, &res) != 0) {
		json_decref(j);
		return api_fail(rq, &res);
	}
	json_decref(j);
	return rp_api_reply_json(rq, 200, order_state(st, &o));
}

/* "2026-12-07T18:30:00+09:00" (or Z) → unix time; false if not that. */
static bool
iso_time(struct rp_str s, int64_t *out)
{
	return rp_time_parse_iso(s, out) == 0;
}

static json_t *
fee_rows(const struct rp_counter_fee *f, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:i, s:I}", "code",
		    f[i].code, "qty", f[i].qty, "amount_yen",
		    (json_int_t)f[i].amount_yen));
	return arr;
}

/* The return's request from JSON; 0, or -1 with res. */
static int
return_req(json_t *j, struct rp_counter_return_req *rr, bool courier,
    struct cres *res)
{
	bool bad = false;
	struct rp_str cond, at;
	json_t *miss = json_object_get(j, "missing");
	json_t *pr = json_object_get(j, "police_report");
	char b[24];
	size_t i;

	memset(rr, 0, sizeof(*rr));
	rr->serial = rp_api_jstr(j, "serial", &bad);
	if (bad || rr->serial.n == 0) {
		fail(res, 422, "invalid_serial", "serial（端末のシリアル番号）が必要です。",
		    "serial (the unit's serial number) is required.");
		return -1;
	}
	cond = rp_api_jstr(j, "condition", &bad);
	snprintf(b, sizeof(b), "%.*s", (int)(cond.n < 23 ? cond.n : 23), cond.p);
	if (bad || cond.n == 0 || cond.n > 23 ||
	    rp_unit_condition_parse(b, &rr->condition) != 0) {
		fail(res, 422, "invalid_condition",
		    "condition は ok・damaged・parts_missing・lost のいずれかです。",
		    "condition must be ok, damaged, parts_missing or lost.");
		return -1;
	}
	if (miss != NULL) {
		if (!json_is_array(miss) || json_array_size(miss) >
		    RP_COUNTER_MISSING_MAX || rr->condition != RP_COND_PARTS_MISSING)
			goto parts;
		for (i = 0; i < json_array_size(miss); i++) {
			json_t *e = json_array_get(miss, i);

			if (!json_is_string(e) || rp_counter_item_parse(
			    (struct rp_str){ json_string_value(e),
			    json_string_length(e) }, &rr->missing[i]) != 0)
				goto parts;
		}
		rr->n_missing = i;
	}
	if (rr->condition == RP_COND_PARTS_MISSING && rr->n_missing == 0)
		goto parts;
	if (pr != NULL && !json_is_boolean(pr)) {
		fail(res, 422, "invalid_police_report",
		    "police_report は true か false です。",
		    "police_report must be true or false.");
		return -1;
	}
	rr->police_report = json_is_true(pr);
	at = rp_api_jstr(j, courier ? "postmark" : "returned_at", &bad);
	rr->returned_at = time(NULL);
	if (courier) {
		struct rp_date d;
		int64_t t;

		/* the postmark's day is the return day (noon, Japan) */
		if (bad || rp_date_parse(at, &d) != 0 ||
		    rp_date_to_unix(d, 12 * 60, 9 * 60, &t) != 0) {
			fail(res, 422, "invalid_postmark",
			    "postmark（消印の日付, YYYY-MM-DD）が必要です。",
			    "postmark (the postmark's date, YYYY-MM-DD) is "
			    "required.");
			return -1;
		}
		rr->returned_at = t;
	} else if (bad || (at.n > 0 && !iso_time(at, &rr->returned_at)) ||
	    rr->returned_at > time(NULL) + 300) {
		fail(res, 422, "invalid_returned_at",
		    "returned_at は時差つきの ISO 8601（例 2026-12-07T18:30:00+09:00）"
		    "で、未来でない時刻です。",
		    "returned_at must be ISO 8601 with an offset (e.g. "
		    "2026-12-07T18:30:00+09:00) and not in the future.");
		return -1;
	}
	return 0;
 parts:
	fail(res, 422, "invalid_parts",
	    "parts_missing には missing（不足部品: cable・adapter・battery・case・sim）"
	    "が必要です。",
	    "parts_missing needs missing (the parts: cable, adapter, battery, "
	    "case, sim).");
	return -1;
}

static int
return_reply(struct rp_req *rq, struct rp_store *st, const struct rp_order *o,
    const struct rp_counter_due *due)
{
	json_t *st_j = order_state(st, o);

	json_object_set_new(st_j, "late_days", json_integer(due->late_days));
	json_object_set_new(st_j, "fees", fee_rows(due->fees, due->n_fees));
	json_object_set_new(st_j, "charges", fee_rows(due->all, due->n_all));
	json_object_set_new(st_j, "cover", json_string(due->cover));
	json_object_set_new(st_j, "extra_yen", json_integer(due->extra_yen));
	json_object_set_new(st_j, "extra_tax_yen",
	    json_integer(due->extra_tax_yen));
	json_object_set_new(st_j, "order_total_yen",
	    json_integer(due->order_total_yen));
	json_object_set_new(st_j, "total_due", json_integer(due->total_due_yen));
	return rp_api_reply_json(rq, 200, st_j);
}

int
counter_api_return(struct rp_req *rq)
{
	static const char *const keys[] = { "serial", "condition",
	    "returned_at", "missing", "police_report", "counter", "postmark",
	    NULL };
	struct rp_counter_return_req rr;
	struct rp_counter_due due;
	struct rp_auth_who w;
	struct rp_store *st;
	struct rp_counter c;
	struct rp_order o;
	struct cres res;
	bool courier;
	json_t *j;
	int r;

	if ((r = api_begin(rq, &w, &st)) != 0)
		return r < 0 ? r : 0;
	if ((j = api_body(rq, keys)) == NULL)
		return 0;
	/* by courier: the warehouse (back office) books it with the postmark */
	courier = w.role == RP_STAFF_BACKOFFICE;
	if (route_order(rq, st, &o, &res) != 0 ||
	    return_req(j, &rr, courier, &res) != 0 ||
	    (!courier && scan_counter(st, &w, j, o.return_counter_id, &c,
	    &res) != 0) ||
	    op_return(st, &w, courier ? NULL : &c, &o, &rr, &due, &res) != 0) {
		json_decref(j);
		return api_fail(rq, &res);
	}
	json_decref(j);
	return return_reply(rq, st, &o, &due);
}

int
counter_api_settle(struct rp_req *rq)
{
	static const char *const keys[] = { "method", NULL };
	struct settle_out so;
	struct rp_auth_who w;
	struct rp_store *st;
	struct rp_order o;
	struct cres res;
	bool bad = false;
	json_t *j, *out;
	int r;

	if ((r = api_begin(rq, &w, &st)) != 0)
		return r < 0 ? r : 0;
	if ((j = api_body(rq, keys)) == NULL)
		return 0;
	if (route_order(rq, st, &o, &res) != 0 ||
	    order_mine(st, &w, &o, &res) != 0 ||
	    op_settle(st, &w, &o, rp_api_jstr(j, "method", &bad), &so,
	    &res) != 0) {
		json_decref(j);
		return api_fail(rq, &res);
	}
	out = json_pack("{s:s, s:s, s:s, s:I}", "number", o.number, "status",
	    so.status, "method", json_string_value(json_object_get(j,
	    "method")), "total_due", (json_int_t)so.total_due_yen);
	if (so.terminal_url[0] != '\0')
		json_object_set_new(out, "terminal_url",
		    json_string(so.terminal_url));
	json_decref(j);
	return rp_api_reply_json(rq, 200, out);
}

int
counter_api_dispatch(struct rp_req *rq)
{
	static const char *const keys[] = { "serial", "tracking", NULL };
	struct rp_auth_who w;
	struct rp_store *st;
	struct rp_order o;
	struct rp_date dep, by;
	struct cres res;
	bool bad = false, complete;
	struct rp_str serial, tracking;
	char t[RP_STORE_CODE_MAX + 1], byt[11] = "";
	json_t *j, *out;
	int r;

	memset(&res, 0, sizeof(res));
	if ((r = api_begin(rq, &w, &st)) != 0)
		return r < 0 ? r : 0;
	if ((j = api_body(rq, keys)) == NULL)
		return 0;
	serial = rp_api_jstr(j, "serial", &bad);
	tracking = rp_api_jstr(j, "tracking", &bad);
	if (w.role != RP_STAFF_BACKOFFICE)
		fail(&res, 403, "forbidden", "宅配の発送は倉庫（バックオフィス）の操作です。",
		    "Courier dispatch is the warehouse's (back office).");
	else if (bad || serial.n == 0 || tracking.n == 0 ||
	    tracking.n > RP_STORE_CODE_MAX || !rp_str_charset_ok(tracking,
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-"))
		fail(&res, 422, "invalid_tracking",
		    "serial と tracking（追跡番号: 英数字とハイフン）が必要です。",
		    "serial and tracking (letters, digits and hyphens) are "
		    "required.");
	else if (route_order(rq, st, &o, &res) == 0 &&
	    ((void)memset(&res, 0, sizeof(res)), true)) {
		if (o.pickup != RP_HANDOVER_COURIER)
			fail(&res, 409, "not_courier",
			    "この注文は宅配ではありません。",
			    "This order is not delivered by courier.");
		else {
			snprintf(t, sizeof(t), "%.*s", (int)tracking.n,
			    tracking.p);
			(void)op_pickup(st, &w, NULL, &o, serial, t, &complete,
			    &res);
		}
	}
	json_decref(j);
	if (res.status != 0)
		return api_fail(rq, &res);
	/* delivered by the day before departure */
	if (rp_date_parse(rp_str_c(o.depart_date), &dep) == 0 &&
	    rp_date_add_days(dep, -1, &by) == 0)
		(void)rp_date_format(by, byt);
	out = order_state(st, &o);
	json_object_set_new(out, "tracking", json_string(t));
	json_object_set_new(out, "deliver_by", json_string(byt));
	return rp_api_reply_json(rq, 200, out);
}

/*
 * POST /api/v1/units/{serial}/transfer {"counter": "HND3" | "warehouse"}:
 * an available (or inspected-and-waiting) unit moves to another counter's
 * stock or back to the warehouse, with its history row.  The back office
 * moves any unit; a counter login sends off only units kept at its own
 * counters.
 */
int
counter_api_transfer(struct rp_req *rq)
{
	static const char *const keys[] = { "counter", NULL };
	struct rp_auth_who w;
	struct rp_store *st;
	struct rp_device d;
	struct rp_counter to;
	struct cres res;
	struct rp_str serial, code;
	char sbuf[RP_STORE_CODE_MAX + 1], cbuf[RP_STORE_CODE_MAX + 1];
	char actor[64];
	bool bad = false;
	int64_t to_id = 0;
	int why = RP_UNIT_OK, r;
	json_t *j;

	memset(&res, 0, sizeof(res));
	if ((r = api_begin(rq, &w, &st)) != 0)
		return r < 0 ? r : 0;
	if ((j = api_body(rq, keys)) == NULL)
		return 0;
	code = rp_api_jstr(j, "counter", &bad);
	if (rp_route_param(&rq->match, "serial", &serial) != 0 ||
	    serial.n == 0 || serial.n > RP_STORE_CODE_MAX)
		serial = RP_STR_NULL;
	if (w.role != RP_STAFF_BACKOFFICE && w.role != RP_STAFF_COUNTER)
		fail(&res, 403, "forbidden", "在庫の移動はカウンターかバックオフィスの操作です。",
		    "Moving stock is for counter or back-office logins.");
	else if (serial.p == NULL)
		unit_fail(&res, RP_UNIT_UNKNOWN_SERIAL, RP_E_NOTFOUND);
	else if (bad || code.n == 0 || code.n > RP_STORE_CODE_MAX)
		fail(&res, 422, "invalid_counter",
		    "counter（移動先のカウンターコード、または warehouse）が必要です。",
		    "counter (the destination counter's code, or warehouse) is "
		    "required.");
	if (res.status == 0) {
		memcpy(sbuf, serial.p, serial.n);
		sbuf[serial.n] = '\0';
		memcpy(cbuf, code.p, code.n);
		cbuf[code.n] = '\0';
		if ((r = rp_store_device_get(st, sbuf, &d)) != 0)
			unit_fail(&res, r == RP_E_NOTFOUND ?
			    RP_UNIT_UNKNOWN_SERIAL : RP_UNIT_OK, r);
		else if (w.role == RP_STAFF_COUNTER &&
		    !counter_is_mine(st, &w, d.counter_id, NULL))
			fail(&res, 403, "forbidden",
			    "この端末はあなたのカウンターの在庫ではありません。",
			    "This unit is not kept at your counter.");
		else if (strcmp(cbuf, "warehouse") != 0) {
			if (rp_store_counter_get(st, cbuf, &to) != 0)
				fail(&res, 422, "invalid_counter",
				    "移動先のカウンターがありません。",
				    "No such destination counter.");
			else
				to_id = to.id;
		}
		if (res.status == 0 && to_id == d.counter_id)
			fail(&res, 409, "same_counter",
			    "この端末はすでに移動先の在庫です。",
			    "This unit is already kept there.");
	}
	json_decref(j);
	actor_of(&w, w.role == RP_STAFF_COUNTER ? "counter" : "backoffice",
	    actor, sizeof(actor));
	if (res.status == 0 && (r = rp_store_device_transfer(st, sbuf, to_id,
	    actor, 0, &why)) != 0)
		unit_fail(&res, why, r);
	if (res.status != 0)
		return api_fail(rq, &res);
	return rp_api_reply_json(rq, 200, json_pack("{s:s, s:s, s:s, s:s}",
	    "serial", d.serial, "device", rp_device_kind_name(d.kind),
	    "status", rp_device_status_name(d.status), "counter",
	    to_id == 0 ? "warehouse" : to.code));
}

/*
 * GET /api/v1/units/{serial}: a unit, where it is, and its history newest
 * first (who, when, where, for which order).  The back office sees every
 * unit; a counter login the units kept at its counters.
 */
int
counter_api_unit(struct rp_req *rq)
{
	struct rp_device_event *ev = NULL;
	struct rp_auth_who w;
	struct rp_store *st;
	struct rp_device d;
	struct rp_counter at;
	struct cres res;
	struct rp_str serial;
	char sbuf[RP_STORE_CODE_MAX + 1], t[RP_TIME_ISO_STRLEN];
	size_t n = 0;
	json_t *arr;
	int r;

	memset(&res, 0, sizeof(res));
	memset(&at, 0, sizeof(at));
	if ((r = api_begin(rq, &w, &st)) != 0)
		return r < 0 ? r : 0;
	if (rq->query.n > 0)
		return bad_request(rq, "パラメータはありません。",
		    "This takes no parameters.");
	if (rp_route_param(&rq->match, "serial", &serial) != 0 ||
	    serial.n == 0 || serial.n > RP_STORE_CODE_MAX) {
		unit_fail(&res, RP_UNIT_UNKNOWN_SERIAL, RP_E_NOTFOUND);
		return api_fail(rq, &res);
	}
	memcpy(sbuf, serial.p, serial.n);
	sbuf[serial.n] = '\0';
	if (w.role != RP_STAFF_BACKOFFICE && w.role != RP_STAFF_COUNTER)
		fail(&res, 403, "forbidden", "在庫の閲覧はカウンターかバックオフィスの操作です。",
		    "Stock is for counter or back-office logins.");
	else if ((r = rp_store_device_get(st, sbuf, &d)) != 0)
		unit_fail(&res, r == RP_E_NOTFOUND ? RP_UNIT_UNKNOWN_SERIAL :
		    RP_UNIT_OK, r);
	else if (w.role == RP_STAFF_COUNTER &&
	    !counter_is_mine(st, &w, d.counter_id, NULL))
		fail(&res, 403, "forbidden",
		    "この端末はあなたのカウンターの在庫ではありません。",
		    "This unit is not kept at your counter.");
	else if (rp_store_device_history(st, d.id, RP_STORE_LIST_MAX, &ev,
	    &n) != 0)
		store_fail(&res);
	if (res.status != 0)
		return api_fail(rq, &res);
	if (d.counter_id > 0 && !counter_by_id(st, d.counter_id, &at))
		snprintf(at.code, sizeof(at.code), "?");
	arr = json_array();
	for (size_t i = 0; arr != NULL && i < n; i++) {
		if (rp_time_format_iso(ev[i].at, 9 * 60, t) != 0)
			t[0] = '\0';
		json_array_append_new(arr, json_pack(
		    "{s:s, s:s, s:s?, s:s, s:s?, s:s?, s:s}", "at", t,
		    "actor", ev[i].actor,
		    "from", ev[i].from[0] ? ev[i].from : NULL,
		    "to", ev[i].to,
		    "counter", ev[i].counter[0] ? ev[i].counter : "warehouse",
		    "order", ev[i].order[0] ? ev[i].order : NULL,
		    "note", ev[i].note));
	}
	free(ev);
	return rp_api_reply_json(rq, 200, json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:o}", "serial", d.serial, "device",
	    rp_device_kind_name(d.kind), "model", d.model, "status",
	    rp_device_status_name(d.status), "counter", d.counter_id == 0 ?
	    "warehouse" : at.code, "history", arr));
}

/* ---- pages ------------------------------------------------------------ */

struct cpage {
	struct page pg;
	struct rp_auth_who w;
	struct rp_str token;
	struct rp_store *st;
	struct rp_counter c;
};

/* Begins a counter page: 0, or an answer was sent (1) / -1. */
static int
cpage_begin(struct cpage *cp, struct rp_req *rq)
{
	struct cres res;
	int r;

	memset(cp, 0, sizeof(*cp));
	if ((r = page_begin(&cp->pg, rq)) != 0 ||
	    (r = console_need_session(&cp->pg, &cp->w, &cp->token)) != 0)
		return r;
	if ((cp->st = cp->pg.st) == NULL && (cp->st = rp_web_store()) == NULL)
		return page_error(&cp->pg, 503) == 0 ? 1 : -1;
	if (route_counter(rq, cp->st, &cp->w, &cp->c, &res) != 0)
		return page_error(&cp->pg, res.status) == 0 ? 1 : -1;
	rp_tmpl_set_c(cp->pg.root, "counter", cp->c.code);
	rp_tmpl_set_c(cp->pg.root, "counter_name", cp->c.name);
	return 0;
}

static void
msg_vars(struct cpage *cp, const struct cres *res)
{
	struct rp_tmpl_scope *e;

	if (res->status == 0 || rp_tmpl_object(cp->pg.root, "error", &e) != 0)
		return;
	rp_tmpl_set_c(e, "code", res->code);
	rp_tmpl_set_c(e, "text", cp->pg.lang == RP_LANG_EN ? res->en : res->ja);
}

static void
yen_var(struct rp_tmpl_scope *s, const char *name, int64_t yen)
{
	char b[32];

	yen_format(yen, b);
	rp_tmpl_set_c(s, name, b);
}

/* A state or kind: its code under name (for scripts and tests), and its
 * name in the page's language under name_text ("status.returned"). */
static void
code_vars(struct cpage *cp, struct rp_tmpl_scope *s, const char *name,
    const char *prefix, const char *code)
{
	char key[40];

	rp_tmpl_set_c(s, name, code);
	snprintf(key, sizeof(key), "%s_text", name);
	rp_tmpl_set(s, key, rp_i18n_name(cp->pg.lang, prefix, code, code));
}

static void
list_vars(struct cpage *cp, const char *name, const struct rp_order *os,
    size_t n, const struct day_lists *d)
{
	struct rp_tmpl_scope *it;

	for (size_t i = 0; i < n; i++) {
		if (rp_tmpl_push(cp->pg.root, name, &it) != 0)
			return;
		rp_tmpl_set_c(it, "number", os[i].number);
		rp_tmpl_set_c(it, "depart", os[i].depart_date);
		rp_tmpl_set_c(it, "return", os[i].return_date);
		rp_tmpl_set_c(it, "plan", plan_code(d->plans, d->nplans,
		    os[i].plan_id));
		rp_tmpl_set_u64(it, "qty", (uint64_t)os[i].qty);
		code_vars(cp, it, "billing", "billing", billing_of(cp->st,
		    &os[i]));
		code_vars(cp, it, "status", "status",
		    rp_order_status_name(os[i].status));
	}
	rp_tmpl_set_u64(cp->pg.root, name[0] == 'p' ? "n_pickups" :
	    name[0] == 'r' ? "n_returns" : "n_overdue", n);
}

/* The vault caller for the order in hand: purpose counter, under the
 * capability auth mints for this login and this order alone (the vault
 * checks it; every use is logged).  Wipe c.cap after use. */
static int
order_caller(struct cpage *cp, const char *number, struct rp_vault_caller *c)
{
	struct rp_auth_who w2;
	int r = -1;

	if (rp_auth_client_who(rp_worker.conf->data_dir, cp->token, number,
	    &w2) == 0 && w2.cap_len <= sizeof(c->cap) &&
	    rp_vault_caller_init(c, "counter", "console", "staff",
	    "counter") == 0) {
		snprintf(c->scope_order, sizeof(c->scope_order), "%s", number);
		sodium_hex2bin(c->request_id, sizeof(c->request_id),
		    cp->pg.rq->id, strlen(cp->pg.rq->id), NULL, NULL, NULL);
		memcpy(c->cap, w2.cap, w2.cap_len);
		c->cap_len = (uint32_t)w2.cap_len;
		r = 0;
	}
	sodium_memzero(&w2, sizeof(w2));
	return r;
}

/* The traveller's name and phone for the order in hand: a vault get with
 * purpose counter, under a capability scoped to this order (logged). */
static void
traveller_vars(struct cpage *cp, const struct rp_order *o)
{
	struct rp_vault_caller c;
	struct rp_vault_record rec;

	if (order_caller(cp, o->number, &c) != 0)
		return;
	if (rp_web_vault_get(&c, (uint64_t)o->person_id, RP_FIELD_NAME |
	    RP_FIELD_KANA | RP_FIELD_PHONE, &rec) == 0) {
		rp_tmpl_set(cp->pg.root, "name", rec.f[RP_VF_NAME]);
		rp_tmpl_set(cp->pg.root, "kana", rec.f[RP_VF_KANA]);
		rp_tmpl_set(cp->pg.root, "phone", rec.f[RP_VF_PHONE]);
		rp_vault_record_release(&rec);
	} else
		rp_tmpl_set_bool(cp->pg.root, "no_traveller", true);
	sodium_memzero(c.cap, sizeof(c.cap));
}

/* What the search box holds: an e-mail, a phone number, or else an order
 * number. */
static enum rp_vault_find_kind
query_kind(struct rp_str q)
{
	size_t digits = 0;

	if (memchr(q.p, '@', q.n) != NULL)
		return RP_VAULT_FIND_EMAIL;
	for (size_t i = 0; i < q.n; i++) {
		if (q.p[i] >= '0' && q.p[i] <= '9')
			digits++;
		else if (strchr("+-() ", q.p[i]) == NULL)
			return RP_VAULT_FIND_ORDER;
	}
	return digits >= 8 ? RP_VAULT_FIND_PHONE : RP_VAULT_FIND_ORDER;
}

/*
 * The traveller who gives a phone number or e-mail instead of the order
 * number: looked for among this counter's orders of the day (pickups,
 * returns, overdue) only, one vault find per order under that order's
 * capability — each one logged, none releasing anything but "this order's
 * traveller matches" — never across the customer base.  Puts the matching
 * orders' numbers in the "matches" list; returns how many.
 */
static size_t
find_in_day(struct cpage *cp, const struct day_lists *d,
    enum rp_vault_find_kind kind, struct rp_str q, char *first,
    size_t first_cap)
{
	struct rp_tmpl_scope *it;
	struct rp_vault_caller c;
	uint64_t ids[4];
	size_t found = 0, n;

	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < d->n[l]; i++) {
			const struct rp_order *o = &d->l[l][i];

			if (o->person_id <= 0 || order_caller(cp, o->number,
			    &c) != 0)
				continue;
			n = 0;
			if (rp_web_vault_find(&c, kind, q, ids,
			    RP_ARRAY_LEN(ids), &n) == 0) {
				for (size_t k = 0; k < n; k++)
					if (ids[k] == (uint64_t)o->person_id) {
						if (found++ == 0)
							snprintf(first,
							    first_cap, "%s",
							    o->number);
						if (rp_tmpl_push(cp->pg.root,
						    "matches", &it) == 0)
							rp_tmpl_set_c(it,
							    "number",
							    o->number);
						break;
					}
			}
			sodium_memzero(c.cap, sizeof(c.cap));
		}
	return found;
}

int
counter_home(struct rp_req *rq)
{
	struct cpage cp;
	struct day_lists d;
	struct rp_order o;
	struct rp_str q;
	struct cres res;
	enum rp_vault_find_kind kind;
	char num[RP_ORDER_NUMBER_LEN + 1], url[96];
	size_t found;
	int r;

	memset(&d, 0, sizeof(d));
	memset(&res, 0, sizeof(res));
	if ((r = cpage_begin(&cp, rq)) != 0)
		goto out;
	if (day_load(cp.st, &cp.w, &cp.c, &d) != 0) {
		r = page_error(&cp.pg, 503);
		goto out;
	}
	q = rp_str_trim(page_arg(&cp.pg, "q"));
	kind = q.n > 0 && q.n <= 254 ? query_kind(q) : RP_VAULT_FIND_ORDER;
	if (kind != RP_VAULT_FIND_ORDER) {
		/* search: the traveller's phone or e-mail, today's orders */
		if ((found = find_in_day(&cp, &d, kind, q, num,
		    sizeof(num))) == 1) {
			snprintf(url, sizeof(url), "/counter/%s/orders/%s",
			    cp.c.code, num);
			r = page_redirect_to(&cp.pg, url);
			goto out;
		}
		rp_tmpl_set_bool(cp.pg.root, "has_matches", found > 1);
		if (found == 0)
			fail(&res, 404, "traveller_not_found",
			    "本日のこのカウンターの注文に、この電話番号・メールアドレスのお客様はいません。",
			    "No traveller with this phone number or e-mail "
			    "among today's orders at this counter.");
		rp_tmpl_set(cp.pg.root, "q", q);
	} else if (q.n > 0) {
		/* search: the order number in hand (on its receipt or mail) */
		snprintf(num, sizeof(num), "%.*s", (int)(q.n < sizeof(num) - 1 ?
		    q.n : sizeof(num) - 1), q.p);
		for (char *p = num; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		if (q.n < sizeof(num) && rp_store_order_get(cp.st, num, &o) == 0 &&
		    (order_mine(cp.st, &cp.w, &o, &res) == 0 ||
		    o.status == RP_ORDER_PICKED_UP)) {
			snprintf(url, sizeof(url), "/counter/%s/orders/%s",
			    cp.c.code, o.number);
			r = page_redirect_to(&cp.pg, url);
			goto out;
		}
		fail(&res, 404, "not_found", "この番号の注文はこのカウンターにありません。",
		    "No order with this number at this counter.");
		rp_tmpl_set(cp.pg.root, "q", q);
	}
	rp_tmpl_set_c(cp.pg.root, "date", d.date);
	rp_tmpl_set_u64(cp.pg.root, "no_shows", d.no_shows);
	list_vars(&cp, "pickups", d.l[0], d.n[0], &d);
	list_vars(&cp, "returns", d.l[1], d.n[1], &d);
	list_vars(&cp, "overdue", d.l[2], d.n[2], &d);
	msg_vars(&cp, &res);
	r = page_render(&cp.pg, res.status ? res.status : 200, "console_counter");
 out:
	day_free(&d);
	page_end(&cp.pg);
	return r < 0 ? r : 0;
}

/* "damage:device" → "破損（端末本体）" / "Damage (the device)"; an unknown
 * code stays as it is. */
static void
fee_label(struct cpage *cp, struct rp_tmpl_scope *it, const char *code)
{
	const char *colon = strchr(code, ':');
	char key[80], label[160];
	struct rp_str kind, item = RP_STR_NULL;

	snprintf(key, sizeof(key), "counter.fee.%.*s", colon != NULL ?
	    (int)(colon - code) : (int)strlen(code), code);
	if (!rp_i18n_has(rp_str_c(key))) {
		rp_tmpl_set_c(it, "label", code);
		return;
	}
	kind = rp_i18n_str(cp->pg.lang, key);
	if (colon != NULL) {
		snprintf(key, sizeof(key), "counter.item.%s", colon + 1);
		item = rp_i18n_has(rp_str_c(key)) ?
		    rp_i18n_str(cp->pg.lang, key) : rp_str_c(colon + 1);
	}
	if (item.n == 0)
		rp_tmpl_set(it, "label", kind);
	else {
		snprintf(label, sizeof(label), cp->pg.lang == RP_LANG_EN ?
		    "%.*s (%.*s)" : "%.*s（%.*s）", (int)kind.n, kind.p,
		    (int)item.n, item.p);
		rp_tmpl_set_c(it, "label", label);
	}
}

static void
fees_vars(struct cpage *cp, const char *name, const struct rp_counter_fee *f,
    size_t n)
{
	struct rp_tmpl_scope *it;

	for (size_t i = 0; i < n; i++) {
		if (rp_tmpl_push(cp->pg.root, name, &it) != 0)
			return;
		rp_tmpl_set_c(it, "code", f[i].code);
		fee_label(cp, it, f[i].code);
		rp_tmpl_set_u64(it, "qty", (uint64_t)f[i].qty);
		yen_var(it, "amount", f[i].amount_yen);
	}
}

/* The order page, with the outcome of a scan (res) if any. */
static int
order_page(struct cpage *cp, const struct rp_order *o0, const struct cres *res,
    const struct rp_counter_due *ret, const struct settle_out *so)
{
	struct rp_order_unit *u = NULL;
	struct rp_device *ds = NULL;
	struct rp_counter_due due;
	struct rp_tmpl_scope *it;
	struct rp_plan *plans = NULL;
	struct rp_option cov;
	struct rp_order o;
	size_t n = 0, np = 0, nd = 0;
	char t[32];
	int kind = -1, r;

	if (rp_store_order_get_id(cp->st, o0->id, &o) != 0)
		o = *o0;
	rp_tmpl_set_c(cp->pg.root, "number", o.number);
	code_vars(cp, cp->pg.root, "status", "status",
	    rp_order_status_name(o.status));
	rp_tmpl_set_c(cp->pg.root, "depart", o.depart_date);
	rp_tmpl_set_c(cp->pg.root, "return", o.return_date);
	rp_tmpl_set_u64(cp->pg.root, "qty", (uint64_t)o.qty);
	code_vars(cp, cp->pg.root, "billing", "billing", billing_of(cp->st, &o));
	code_vars(cp, cp->pg.root, "channel", "channel",
	    rp_channel_name(o.channel));
	if (rp_store_plan_list(cp->st, NULL, -1, false, &plans, &np) == 0) {
		rp_tmpl_set_c(cp->pg.root, "plan", plan_code(plans, np,
		    o.plan_id));
		for (size_t i = 0; i < np; i++)
			if (plans[i].id == o.plan_id)
				kind = plans[i].device;
	}
	free(plans);
	if ((o.status == RP_ORDER_RESERVED || o.status == RP_ORDER_CONFIRMED) &&
	    rp_store_device_list(cp->st, RP_DEVSTAT_AVAILABLE, cp->c.id, &ds,
	    &nd) == 0) {
		/* what the scanner may read here: a hand-typed serial's help */
		for (size_t i = 0, k = 0; i < nd && k < 30; i++)
			if (ds[i].kind == kind && rp_tmpl_push(cp->pg.root,
			    "serials", &it) == 0) {
				rp_tmpl_set_c(it, "serial", ds[i].serial);
				k++;
			}
	}
	free(ds);
	traveller_vars(cp, &o);
	rp_tmpl_set_bool(cp->pg.root, "can_pickup", (o.status ==
	    RP_ORDER_RESERVED || o.status == RP_ORDER_CONFIRMED) &&
	    o.pickup_counter_id == cp->c.id);
	rp_tmpl_set_bool(cp->pg.root, "can_return",
	    o.status == RP_ORDER_PICKED_UP);
	rp_tmpl_set_bool(cp->pg.root, "can_settle",
	    o.status == RP_ORDER_RETURNED);
	rp_tmpl_set_bool(cp->pg.root, "invoice", invoice_billed(cp->st, &o));
	if (rp_store_order_units(cp->st, o.id, &u, &n) == 0)
		for (size_t i = 0; i < n; i++) {
			if (rp_tmpl_push(cp->pg.root, "units", &it) != 0)
				break;
			rp_tmpl_set_c(it, "serial", u[i].serial);
			code_vars(cp, it, "device", "device",
			    rp_device_kind_name(u[i].kind));
			console_time_text(u[i].out_at, t);
			rp_tmpl_set_c(it, "out_at", t);
			if (u[i].back_at > 0) {
				console_time_text(u[i].back_at, t);
				rp_tmpl_set_c(it, "back_at", t);
				code_vars(cp, it, "condition", "counter.cond",
				    rp_unit_condition_name(u[i].condition));
			}
			if (u[i].tracking[0] != '\0')
				rp_tmpl_set_c(it, "tracking", u[i].tracking);
		}
	free(u);
	if (rp_counter_due(cp->st, o.id, &due) == 0) {
		fees_vars(cp, "charges", due.all, due.n_all);
		yen_var(cp->pg.root, "order_total", due.order_total_yen);
		yen_var(cp->pg.root, "extra", due.extra_yen);
		yen_var(cp->pg.root, "extra_tax", due.extra_tax_yen);
		yen_var(cp->pg.root, "total_due", due.total_due_yen);
		if (due.cover[0] == '\0')
			rp_tmpl_set(cp->pg.root, "cover_text", rp_i18n_str(
			    cp->pg.lang, "counter.cover_none"));
		else if (rp_store_option_get(cp->st, due.cover, &cov) == 0)
			rp_tmpl_set(cp->pg.root, "cover_text", rp_i18n_name(
			    cp->pg.lang, "option", cov.code, cov.name));
		else
			rp_tmpl_set_c(cp->pg.root, "cover_text", due.cover);
		rp_tmpl_set_c(cp->pg.root, "cover", due.cover);
	}
	if (ret != NULL) {
		struct rp_tmpl_scope *rs;

		if (rp_tmpl_object(cp->pg.root, "returned", &rs) == 0) {
			rp_tmpl_set_u64(rs, "late_days", (uint64_t)ret->late_days);
			yen_var(rs, "total_due", ret->total_due_yen);
		}
		fees_vars(cp, "fees", ret->fees, ret->n_fees);
	}
	if (so != NULL) {
		struct rp_tmpl_scope *ss;

		if (rp_tmpl_object(cp->pg.root, "settled", &ss) == 0) {
			code_vars(cp, ss, "status", "status", so->status);
			yen_var(ss, "total_due", so->total_due_yen);
			if (so->terminal_url[0] != '\0')
				rp_tmpl_set_c(ss, "terminal_url", so->terminal_url);
		}
	}
	msg_vars(cp, res);
	r = page_render(&cp->pg, res->status ? res->status : 200,
	    "console_counter_order");
	return r;
}

/* The order in the route, reachable from this counter: 0, or answered. */
static int
cpage_order(struct cpage *cp, struct rp_order *o)
{
	struct cres res;

	if (route_order(cp->pg.rq, cp->st, o, &res) != 0)
		return page_error(&cp->pg, 404) == 0 ? 1 : -1;
	/* a unit out comes back at any counter; otherwise its own counters */
	if (o->status != RP_ORDER_PICKED_UP &&
	    order_mine(cp->st, &cp->w, o, &res) != 0)
		return page_error(&cp->pg, 403) == 0 ? 1 : -1;
	return 0;
}

/* What a POST on an order does; it renders the order page itself. */
typedef int (*order_op_fn)(struct cpage *cp, struct rp_order *o,
    struct cres *res);

/* The order page's frame: session, counter, order, then op (or a view). */
static int
order_run(struct rp_req *rq, order_op_fn op)
{
	struct cpage cp;
	struct rp_order o;
	struct cres res;
	int r;

	memset(&res, 0, sizeof(res));
	if ((r = cpage_begin(&cp, rq)) == 0 && (r = cpage_order(&cp, &o)) == 0)
		r = op != NULL ? op(&cp, &o, &res) :
		    order_page(&cp, &o, &res, NULL, NULL);
	page_end(&cp.pg);
	return r < 0 ? r : 0;
}

int
counter_order_page(struct rp_req *rq)
{
	return order_run(rq, NULL);
}

static int
pickup_op(struct cpage *cp, struct rp_order *o, struct cres *res)
{
	bool complete;

	(void)op_pickup(cp->st, &cp->w, &cp->c, o,
	    rp_str_trim(page_arg(&cp->pg, "serial")), "", &complete, res);
	if (res->status == 0)
		rp_tmpl_set_bool(cp->pg.root, "picked", true);
	return order_page(cp, o, res, NULL, NULL);
}

int
counter_pickup_post(struct rp_req *rq)
{
	return order_run(rq, pickup_op);
}

/* "2026-12-07T18:30" from a datetime-local field, in Japan time. */
static bool
local_time(struct rp_str s, int64_t *out)
{
	char b[40];

	if (s.n != 16 && s.n != 19)
		return false;
	snprintf(b, sizeof(b), "%.*s+09:00", (int)s.n, s.p);
	return iso_time(rp_str_c(b), out);
}

static int
return_op(struct cpage *cp, struct rp_order *o, struct cres *res)
{
	static const char *const items[] = { "sim", "adapter", "battery",
	    "cable", "case" };
	struct rp_counter_return_req rr;
	struct rp_counter_due due;
	struct rp_str at, cond;
	char b[24];

	memset(&rr, 0, sizeof(rr));
	rr.serial = rp_str_trim(page_arg(&cp->pg, "serial"));
	cond = page_arg(&cp->pg, "condition");
	snprintf(b, sizeof(b), "%.*s", (int)(cond.n < 23 ? cond.n : 23),
	    cond.p);
	for (size_t i = 0; i < RP_ARRAY_LEN(items); i++)
		if (page_arg(&cp->pg, items[i]).n > 0 &&
		    rp_counter_item_parse(rp_str_c(items[i]),
		    &rr.missing[rr.n_missing]) == 0)
			rr.n_missing++;
	rr.police_report = page_arg(&cp->pg, "police_report").n > 0;
	at = page_arg(&cp->pg, "returned_at");
	rr.returned_at = time(NULL);
	if (rr.serial.n == 0)
		fail(res, 422, "invalid_serial", "シリアル番号を入力してください。",
		    "Enter the serial number.");
	else if (rp_unit_condition_parse(b, &rr.condition) != 0)
		fail(res, 422, "invalid_condition", "状態を選んでください。",
		    "Choose the condition.");
	else if (rr.condition != RP_COND_PARTS_MISSING && rr.n_missing > 0)
		rr.n_missing = 0;	/* ticked, then another condition chosen */
	if (res->status == 0 && at.n > 0 && (!local_time(at, &rr.returned_at) ||
	    rr.returned_at > time(NULL) + 300))
		fail(res, 422, "invalid_returned_at",
		    "返却日時が正しくありません（未来の日時は入力できません）。",
		    "The return time is not valid (it cannot be in the future).");
	if (res->status == 0 && op_return(cp->st, &cp->w, &cp->c, o, &rr, &due,
	    res) == 0)
		return order_page(cp, o, res, &due, NULL);
	return order_page(cp, o, res, NULL, NULL);
}

int
counter_return_post(struct rp_req *rq)
{
	return order_run(rq, return_op);
}

static int
settle_op(struct cpage *cp, struct rp_order *o, struct cres *res)
{
	struct settle_out so;

	if (op_settle(cp->st, &cp->w, o, page_arg(&cp->pg, "method"), &so,
	    res) == 0)
		return order_page(cp, o, res, NULL, &so);
	return order_page(cp, o, res, NULL, NULL);
}

int
counter_settle_post(struct rp_req *rq)
{
	return order_run(rq, settle_op);
}

/* ---- walk-in ------------------------------------------------------------ */

static void
walkin_vars(struct cpage *cp)
{
	struct rp_plan *plans = NULL;
	struct rp_counter *cs = NULL;
	struct rp_tmpl_scope *it;
	size_t np = 0, nc = 0;
	char today[11];

	if (rp_store_plan_list(cp->st, NULL, -1, true, &plans, &np) == 0)
		for (size_t i = 0; i < np; i++)
			if (rp_tmpl_push(cp->pg.root, "plans", &it) == 0) {
				rp_tmpl_set_c(it, "code", plans[i].code);
				rp_tmpl_set_c(it, "name", plans[i].destination_name);
				rp_tmpl_set_c(it, "tier", plans[i].tier);
				rp_tmpl_set_c(it, "device",
				    rp_device_kind_name(plans[i].device));
				rp_tmpl_set_bool(it, "selected", rp_str_eq_c(
				    page_arg(&cp->pg, "plan"), plans[i].code));
			}
	free(plans);
	if (rp_store_counter_list(cp->st, &cs, &nc) == 0)
		for (size_t i = 0; i < nc; i++)
			if (rp_tmpl_push(cp->pg.root, "counters", &it) == 0) {
				rp_tmpl_set_c(it, "code", cs[i].code);
				rp_tmpl_set_c(it, "name", cs[i].name);
				rp_tmpl_set_bool(it, "selected",
				    rp_str_eq_c(page_arg(&cp->pg,
				    "return_counter"), cs[i].code) ||
				    (page_arg(&cp->pg, "return_counter").n == 0 &&
				    cs[i].id == cp->c.id));
			}
	free(cs);
	if (rp_counter_today(cp->st, time(NULL), today) == 0)
		rp_tmpl_set_c(cp->pg.root, "today", today);
	rp_tmpl_set(cp->pg.root, "v_name", page_arg(&cp->pg, "name"));
	rp_tmpl_set(cp->pg.root, "v_kana", page_arg(&cp->pg, "kana"));
	rp_tmpl_set(cp->pg.root, "v_email", page_arg(&cp->pg, "email"));
	rp_tmpl_set(cp->pg.root, "v_phone", page_arg(&cp->pg, "phone"));
	rp_tmpl_set(cp->pg.root, "v_return", page_arg(&cp->pg, "return"));
}

int
counter_walkin_form(struct rp_req *rq)
{
	struct cpage cp;
	int r;

	if ((r = cpage_begin(&cp, rq)) == 0) {
		walkin_vars(&cp);
		r = page_render(&cp.pg, 200, "console_walkin");
	}
	page_end(&cp.pg);
	return r < 0 ? r : 0;
}

/* The vault hook of a walk-in: the traveller is stored under the counter
 * login's capability, scoped to the new order's number. */
struct walkin_put {
	const char *data_dir;
	struct rp_str token;
};

static int
walkin_vault_put(void *arg, const struct rp_vault_person *p, uint32_t tenant,
    int channel, struct rp_str number, uint64_t *id)
{
	struct walkin_put *wp = arg;
	struct rp_web_put io;
	struct rp_auth_who w;
	char num[RP_ORDER_NUMBER_LEN + 1];
	int r;

	*id = 0;
	if (number.n == 0 || number.n > RP_ORDER_NUMBER_LEN)
		return RP_E_INVAL;
	memcpy(num, number.p, number.n);
	num[number.n] = '\0';
	if ((r = rp_auth_client_who(wp->data_dir, wp->token, num, &w)) != 0)
		return r == RP_E_NOTFOUND ? RP_E_DENIED : r;
	memset(&io, 0, sizeof(io));
	io.cap = w.cap;
	io.cap_len = w.cap_len;
	r = rp_web_vault_put(&io, p, tenant, channel, number, id);
	sodium_memzero(&w, sizeof(w));
	return r;
}

int
counter_walkin_post(struct rp_req *rq)
{
	struct rp_order_errors errs;
	struct rp_order_result res;
	struct rp_order_req orq;
	struct rp_order_ctx ctx;
	struct walkin_put wp;
	struct cpage cp;
	struct rp_str ins;
	char today[11], url[96];
	int r;

	if ((r = cpage_begin(&cp, rq)) != 0)
		goto out;
	memset(&orq, 0, sizeof(orq));
	orq.plan = page_arg(&cp.pg, "plan");
	orq.qty = 1;
	ins = page_arg(&cp.pg, "cover");
	if (ins.n > 0) {
		orq.options[0].code = ins;
		orq.options[0].qty = 1;
		orq.n_options = 1;
	}
	if (rp_counter_today(cp.st, time(NULL), today) != 0) {
		r = page_error(&cp.pg, 503);
		goto out;
	}
	orq.depart = rp_str_c(today);
	orq.ret = page_arg(&cp.pg, "return");
	orq.pickup = rp_str_c("counter");
	orq.pickup_counter = rp_str_c(cp.c.code);
	orq.return_method = rp_str_c("counter");
	orq.return_counter = page_arg(&cp.pg, "return_counter");
	orq.name = page_arg(&cp.pg, "name");
	orq.kana = page_arg(&cp.pg, "kana");
	orq.email = page_arg(&cp.pg, "email");
	orq.phone = page_arg(&cp.pg, "phone");
	orq.billing = rp_str_c("card");
	orq.lang = rp_str_c(rp_lang_tag(cp.pg.lang));
	memset(&ctx, 0, sizeof(ctx));
	ctx.st = cp.st;
	wp.data_dir = rp_worker.conf->data_dir;
	wp.token = cp.token;
	ctx.vault.put = walkin_vault_put;
	ctx.vault.arg = &wp;
	ctx.actor = "counter";
	ctx.at_counter = true;
	ctx.no_stock = rp_worker.conf->stock_reserve == 0;
	r = rp_order_place(&ctx, 0, RP_CHANNEL_COUNTER, RP_STR_NULL, &orq, &res,
	    &errs);
	if (r == 0) {
		snprintf(url, sizeof(url), "/counter/%s/orders/%s", cp.c.code,
		    res.number);
		r = page_redirect_to(&cp.pg, url);
		goto out;
	}
	if (r == RP_E_INVAL || r == RP_E_FULL) {
		struct rp_tmpl_scope *it;

		for (size_t i = 0; i < errs.n; i++)
			if (rp_tmpl_push(cp.pg.root, "errors", &it) == 0) {
				char key[64];

				rp_tmpl_set_c(it, "field",
				    rp_order_field_name(errs.e[i].field));
				snprintf(key, sizeof(key), "err.code.%s",
				    errs.e[i].code);
				rp_tmpl_set_c(it, "code", errs.e[i].code);
				rp_tmpl_set(it, "text", rp_i18n_str(cp.pg.lang,
				    key));
			}
		site_alt_vars(&cp.pg, &errs);
		walkin_vars(&cp);
		r = page_render(&cp.pg, 422, "console_walkin");
		goto out;
	}
	r = page_error(&cp.pg, 503);
 out:
	page_end(&cp.pg);
	return r < 0 ? r : 0;
}
