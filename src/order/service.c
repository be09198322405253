/* SPDX-License-Identifier: ISC */
/*
 * service.c — the order service (order.h): resolves a validated request
 * against the store (plan, options, counters, the tenant's price list, the
 * latest policy), prices it with rp_quote, places it (vault first, then
 * the order row and its events) under an idempotency key, and changes or
 * cancels orders within the policy's deadlines, always scoped to the
 * caller's tenant.
 *
 * Runs in the web workers.  The request is untrusted; store rows and the
 * policy are trusted but still pass through the domain's range checks.
 * The operational log gets error codes only, never a field's content.
 */
#include "util/common.h"
#include "util/log.h"
#include "order/order_int.h"
#include "store/store.h"
#include "vault/client.h"

#include <time.h>

#include <sodium.h>

#define POLICY_NAME	"default"

/* Everything a request resolves to in the store. */
struct prep {
	bool quote_only;		/* pricing a trip: who travels is not asked */
	struct order_policy *pol;	/* owned: prep_free */
	int64_t policy_id;
	struct rp_tenant tenant;	/* id 0 = public */
	struct rp_plan plan;
	bool corporate;
	int64_t corp_yen;
	int qty;
	struct rp_option opt[RP_ORDER_REQ_OPTIONS];
	int opt_qty[RP_ORDER_REQ_OPTIONS];
	size_t nopt;
	struct rp_counter pc, rc;	/* id 0 = not a counter */
	int pickup, ret;		/* enum rp_handover */
	int billing;			/* enum rp_billing */
	struct rp_date dep, retd;
	struct rp_order_quote q;
	struct rp_stock_hold hold;	/* qty 0: none (ctx->no_stock) */
};

/* p's trip as stock sees it, ordered at now (0: at the counter itself). */
static struct order_trip
trip_of(const struct prep *p, int64_t now)
{
	struct order_trip t;

	memset(&t, 0, sizeof(t));
	t.qty = p->qty;
	t.pickup = p->pickup;
	t.ret = p->ret;
	t.counter_id = p->pickup == RP_HANDOVER_COUNTER ? p->pc.id : 0;
	t.dep = p->dep;
	t.retd = p->retd;
	t.now = now;
	return t;
}

static void
prep_free(struct prep *p)
{
	if (p != NULL)
		order_policy_free(p->pol);
	free(p);
}

static int64_t
ctx_now(const struct rp_order_ctx *ctx)
{
	return ctx->now ? ctx->now : (int64_t)time(NULL);
}

/* Copies a view into a NUL-terminated buffer; false if it does not fit. */
static bool
cstr(char *dst, size_t cap, struct rp_str s)
{
	if (s.n >= cap || memchr(s.p, '\0', s.n) != NULL) {
		dst[0] = '\0';
		return false;
	}
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
	return true;
}

/* The latest "default" policy in the store, else the embedded one. */
int
order_load_policy(struct rp_store *st, struct order_policy **pol, int64_t *id)
{
	char *json = NULL;
	int32_t ver;
	int r;

	*id = 0;
	*pol = NULL;
	r = rp_store_policy_latest(st, POLICY_NAME, id, &ver, &json);
	if (r == RP_E_NOTFOUND)
		return order_policy_load(NULL, pol);
	if (r != 0)
		return r;
	r = order_policy_load(json, pol);
	free(json);
	if (r != 0)
		rp_log_error("order: stored policy does not parse (%d)", r);
	return r;
}

static int
handover_of(struct rp_str m)
{
	if (rp_str_eq_c(m, "counter"))
		return RP_HANDOVER_COUNTER;
	if (rp_str_eq_c(m, "courier"))
		return RP_HANDOVER_COURIER;
	return RP_HANDOVER_POST;
}

static enum order_ship
shipping_of(int pickup, int ret)
{
	if (pickup == RP_HANDOVER_COUNTER)
		return ret == RP_HANDOVER_COUNTER ? ORDER_SHIP_COUNTER :
		    ORDER_SHIP_COUNTER_COURIER_BACK;
	/* XXX: courier out and counter back is priced as a round trip. */
	return ORDER_SHIP_COURIER;
}

/* Prices p (everything resolved) into p->q. */
static int
price(struct prep *p, struct rp_order_errors *errs)
{
	struct order_price_in in;
	size_t i;

	memset(&in, 0, sizeof(in));
	in.plan_code = p->plan.code;
	in.device = p->plan.device;
	in.daily_yen = p->plan.daily_yen;
	in.corporate = p->corporate;
	in.corporate_daily_yen = p->corp_yen;
	in.qty = p->qty;
	for (i = 0; i < p->nopt; i++) {
		in.opt[i].code = p->opt[i].code;
		in.opt[i].insurance = p->opt[i].kind == RP_OPTION_INSURANCE;
		in.opt[i].daily_yen = p->opt[i].daily_yen;
		in.opt[i].qty = p->opt_qty[i];
	}
	in.nopt = p->nopt;
	in.dep = p->dep;
	in.ret = p->retd;
	in.ship = shipping_of(p->pickup, p->ret);
	return order_price(p->pol, &in, &p->q, errs);
}

/* Counter deadline for pickup at c on departure: the store row's rule. */
static int
deadline(const struct prep *p, const struct rp_counter *c, int64_t now,
    struct rp_order_errors *errs)
{
	int r;

	r = order_counter_deadline(p->pol, c->deadline_days, c->deadline_hour,
	    p->dep, now);
	if (r == RP_E_DENIED) {
		rp_order_err_add(errs, RP_OF_PICKUP_COUNTER, "deadline_passed");
		return 0;
	}
	return r;
}

static int
get_counter(struct rp_store *st, struct rp_str code, struct rp_counter *c,
    int field, struct rp_order_errors *errs)
{
	char buf[RP_STORE_CODE_MAX + 1];
	int r;

	memset(c, 0, sizeof(*c));
	if (!cstr(buf, sizeof(buf), code)) {
		rp_order_err_add(errs, field, "unknown_counter");
		return 0;
	}
	r = rp_store_counter_get(st, buf, c);
	if (r == RP_E_NOTFOUND || r == RP_E_INVAL) {
		rp_order_err_add(errs, field, "unknown_counter");
		return 0;
	}
	return r;
}

static int
get_option(struct rp_store *st, struct rp_str code, struct rp_option *o,
    struct rp_order_errors *errs)
{
	char buf[RP_STORE_CODE_MAX + 1];
	int r;

	memset(o, 0, sizeof(*o));
	if (!cstr(buf, sizeof(buf), code)) {
		rp_order_err_add(errs, RP_OF_OPTIONS, "unknown_option");
		return 0;
	}
	r = rp_store_option_get(st, buf, o);
	if (r == RP_E_NOTFOUND || r == RP_E_INVAL) {
		rp_order_err_add(errs, RP_OF_OPTIONS, "unknown_option");
		return 0;
	}
	return r;
}

/* A quote prices the trip: the traveller and billing fields may be absent. */
static void
drop_person_errors(struct rp_order_errors *errs)
{
	size_t i, k = 0;

	for (i = 0; i < errs->n; i++)
		if (errs->e[i].field < RP_OF_NAME || errs->e[i].field == RP_OF_LANG)
			errs->e[k++] = errs->e[i];
	errs->n = k;
}

/*
 * Validates rq and resolves it into p: every customer-fixable problem in
 * errs (then RP_E_INVAL), else the quote in p->q.
 */
static int
resolve(const struct rp_order_ctx *ctx, int64_t tenant_id,
    const struct rp_order_req *rq, struct prep *p, struct rp_order_errors *errs)
{
	char buf[RP_STORE_CODE_MAX + 1];
	struct order_trip t;
	int64_t now = ctx_now(ctx);
	size_t i;
	int r;

	if (tenant_id < 0)
		return RP_E_INVAL;
	/* Shape errors do not stop here: the store checks add their own. */
	r = rp_order_validate(rq, now, tenant_id > 0, errs);
	if (p->quote_only)
		drop_person_errors(errs);
	if ((r = order_load_policy(ctx->st, &p->pol, &p->policy_id)) != 0)
		return r;
	if (tenant_id > 0 &&
	    (r = rp_store_tenant_get_id(ctx->st, tenant_id, &p->tenant)) != 0)
		return r;
	p->billing = rp_str_eq_c(rq->billing, "invoice") ? RP_BILLING_INVOICE :
	    RP_BILLING_CARD;
	if (p->billing == RP_BILLING_INVOICE && tenant_id > 0 &&
	    p->tenant.billing != RP_BILLING_INVOICE)
		rp_order_err_add(errs, RP_OF_BILLING, "invalid_choice");

	if (rp_order_error_of(errs, RP_OF_PLAN) == NULL) {
		r = cstr(buf, sizeof(buf), rq->plan) ?
		    rp_store_plan_get(ctx->st, buf, &p->plan) : RP_E_NOTFOUND;
		if (r == RP_E_NOTFOUND || r == RP_E_INVAL ||
		    (r == 0 && !p->plan.active))
			rp_order_err_add(errs, RP_OF_PLAN, "unknown_plan");
		else if (r != 0)
			return r;
		else if (tenant_id > 0) {
			r = rp_store_price_get(ctx->st, tenant_id, p->plan.id,
			    &p->corp_yen);
			if (r == 0)
				p->corporate = true;
			else if (r != RP_E_NOTFOUND)
				return r;
		}
	}
	p->qty = rq->qty == 0 ? 1 : rq->qty;
	if (rp_order_error_of(errs, RP_OF_OPTIONS) == NULL) {
		for (i = 0; i < rq->n_options; i++) {
			if ((r = get_option(ctx->st, rq->options[i].code,
			    &p->opt[i], errs)) != 0)
				return r;
			p->opt_qty[i] = rq->options[i].qty;
		}
		p->nopt = rq->n_options;
	}

	p->pickup = handover_of(rq->pickup);
	p->ret = handover_of(rq->return_method);
	if (rp_order_error_of(errs, RP_OF_PICKUP) == NULL &&
	    rp_order_error_of(errs, RP_OF_PICKUP_COUNTER) == NULL &&
	    p->pickup == RP_HANDOVER_COUNTER &&
	    (r = get_counter(ctx->st, rq->pickup_counter, &p->pc,
	    RP_OF_PICKUP_COUNTER, errs)) != 0)
		return r;
	if (rp_order_error_of(errs, RP_OF_RETURN_METHOD) == NULL &&
	    rp_order_error_of(errs, RP_OF_RETURN_COUNTER) == NULL &&
	    p->ret == RP_HANDOVER_COUNTER &&
	    (r = get_counter(ctx->st, rq->return_counter, &p->rc,
	    RP_OF_RETURN_COUNTER, errs)) != 0)
		return r;

	if (rp_order_error_of(errs, RP_OF_DEPART) == NULL &&
	    rp_date_parse(rq->depart, &p->dep) == 0 && p->pc.id > 0 &&
	    !ctx->at_counter && (r = deadline(p, &p->pc, now, errs)) != 0)
		return r;
	if (errs->n > 0)
		return RP_E_INVAL;
	if (rp_date_parse(rq->depart, &p->dep) != 0 ||
	    rp_date_parse(rq->ret, &p->retd) != 0)
		return RP_E_INVAL;		/* validated above */
	if ((r = price(p, errs)) != 0)
		return r;
	if (ctx->no_stock)
		return 0;
	t = trip_of(p, ctx->at_counter ? 0 : now);
	return order_stock_check(ctx->st, p->pol, &p->plan, &t, &p->hold, errs);
}

int
rp_order_quote(const struct rp_order_ctx *ctx, int64_t tenant_id,
    const struct rp_order_req *rq, struct rp_order_quote *q,
    struct rp_order_errors *errs)
{
	struct prep *p;
	int r;

	memset(q, 0, sizeof(*q));
	memset(errs, 0, sizeof(*errs));
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return RP_E_NOMEM;
	p->quote_only = true;
	if ((r = resolve(ctx, tenant_id, rq, p, errs)) == 0)
		*q = p->q;
	prep_free(p);
	return r;
}

/* ---- placement ---------------------------------------------------------- */

static void
hash_str(crypto_hash_sha256_state *h, struct rp_str s)
{
	uint8_t len[4] = { (uint8_t)(s.n >> 24), (uint8_t)(s.n >> 16),
		(uint8_t)(s.n >> 8), (uint8_t)s.n };

	crypto_hash_sha256_update(h, len, sizeof(len));
	if (s.n > 0)
		crypto_hash_sha256_update(h, (const unsigned char *)s.p, s.n);
}

static void
hash_int(crypto_hash_sha256_state *h, int64_t v)
{
	uint8_t b[8];
	size_t i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
	crypto_hash_sha256_update(h, b, sizeof(b));
}

/*
 * The canonical request: every field length-prefixed, in a fixed order,
 * with the tenant and channel, so two requests hash alike exactly when
 * they would place the same order.
 */
static void
request_hash(int64_t tenant_id, int channel, const struct rp_order_req *rq,
    uint8_t out[RP_IDEM_HASH_LEN])
{
	crypto_hash_sha256_state h;
	size_t i;

	crypto_hash_sha256_init(&h);
	hash_str(&h, rp_str_c("rentport order v1"));
	hash_int(&h, tenant_id);
	hash_int(&h, channel);
	hash_str(&h, rq->plan);
	hash_int(&h, rq->qty == 0 ? 1 : rq->qty);
	hash_int(&h, (int64_t)rq->n_options);
	for (i = 0; i < rq->n_options && i < RP_ORDER_REQ_OPTIONS; i++) {
		hash_str(&h, rq->options[i].code);
		hash_int(&h, rq->options[i].qty);
	}
	hash_str(&h, rq->depart);
	hash_str(&h, rq->ret);
	hash_str(&h, rq->pickup);
	hash_str(&h, rq->pickup_counter);
	hash_str(&h, rq->return_method);
	hash_str(&h, rq->return_counter);
	hash_str(&h, rq->name);
	hash_str(&h, rq->kana);
	hash_str(&h, rq->email);
	hash_str(&h, rq->phone);
	hash_str(&h, rq->postal_code);
	hash_str(&h, rq->address);
	hash_str(&h, rq->department);
	hash_str(&h, rq->employee_no);
	hash_str(&h, rq->cost_centre);
	hash_str(&h, rq->billing);
	hash_str(&h, rq->lang);
	crypto_hash_sha256_final(&h, out);
	sodium_memzero(&h, sizeof(h));
}

/*
 * What an existing idempotency record means for this request: 0 (the
 * first result, in res), RP_E_EXISTS (another request used the key),
 * RP_E_AGAIN (still being placed), RP_E_NOTFOUND (no record).  A
 * placement still "in progress" after RP_ORDER_IDEM_STALE seconds died
 * half-way (its vault call times out long before): the record is dropped
 * so that a retry can place the order.
 */
static int
idem_replay(const struct rp_order_ctx *ctx, int64_t tenant_id,
    const char *key, const uint8_t hash[RP_IDEM_HASH_LEN], int64_t now,
    struct rp_order_result *res)
{
	struct rp_store *st = ctx->st;
	int64_t stale = ctx->idem_stale_s > 0 ? ctx->idem_stale_s :
	    RP_ORDER_IDEM_STALE;
	struct rp_idem rec;
	int r;

	if ((r = rp_store_idem_get(st, tenant_id, key, &rec)) != 0)
		return r;
	if (sodium_memcmp(rec.request_hash, hash, RP_IDEM_HASH_LEN) != 0)
		return RP_E_EXISTS;
	if (rec.number[0] == '\0' && now - rec.created_at > stale) {
		/* Take over only the very row seen: another retry may race. */
		r = rp_store_idem_delete(st, tenant_id, key, rec.created_at);
		if (r == RP_E_NOTFOUND)
			return RP_E_AGAIN;
		if (r != 0)
			return r;
		return RP_E_NOTFOUND;
	}
	if (rec.number[0] == '\0')
		return RP_E_AGAIN;
	memcpy(res->number, rec.number, sizeof(res->number));
	res->status = rec.status;
	res->total_yen = rec.total_yen;
	res->replayed = true;
	return 0;
}

static int
key_ok(struct rp_str k, char out[RP_IDEM_KEY_MAX + 1])
{
	size_t i;

	if (k.n == 0 || k.n > RP_IDEM_KEY_MAX)
		return RP_E_INVAL;
	for (i = 0; i < k.n; i++)
		if ((unsigned char)k.p[i] < 0x21 || (unsigned char)k.p[i] > 0x7e)
			return RP_E_INVAL;
	memcpy(out, k.p, k.n);
	out[k.n] = '\0';
	return 0;
}

static const char *
actor_of(const struct rp_order_ctx *ctx, int channel)
{
	if (ctx->actor != NULL)
		return ctx->actor;
	return channel == RP_CHANNEL_CORPORATE ? "web:corporate" :
	    channel == RP_CHANNEL_COUNTER ? "counter" : "web";
}

/* Copies s into out[size] (validated input: fits; else truncated). */
static void
copy_str(struct rp_str s, char *out, size_t size)
{
	size_t n = s.n < size - 1 ? s.n : size - 1;

	if (n > 0)
		memcpy(out, s.p, n);
	out[n] = '\0';
}

/* The vault record of the traveller (views borrowed from rq). */
static void
person_of(const struct rp_order_req *rq, const struct prep *p,
    struct rp_vault_person *vp)
{
	memset(vp, 0, sizeof(*vp));
	vp->f[RP_VF_NAME] = rq->name;
	vp->f[RP_VF_KANA] = rq->kana;
	vp->f[RP_VF_EMAIL] = rq->email;
	vp->f[RP_VF_PHONE] = rq->phone;
	vp->f[RP_VF_POSTAL_CODE] = rq->postal_code;
	vp->f[RP_VF_ADDRESS] = rq->address;
	if (p->tenant.id > 0)
		vp->f[RP_VF_COMPANY] = rp_str_c(p->tenant.name);
	vp->f[RP_VF_DEPARTMENT] = rq->department;
}

static int
today(const struct order_policy *pol, int64_t now, char out[RP_DATE_STRLEN])
{
	struct rp_localtime lt;
	int r;

	if ((r = rp_time_local(now, order_policy_utc_offset(pol), &lt)) != 0)
		return r;
	return rp_date_format(lt.date, out);
}

int
rp_order_place(const struct rp_order_ctx *ctx, int64_t tenant_id,
    int channel, struct rp_str idem_key, const struct rp_order_req *rq,
    struct rp_order_result *res, struct rp_order_errors *errs)
{
	uint8_t hash[RP_IDEM_HASH_LEN];
	char key[RP_IDEM_KEY_MAX + 1] = "";
	struct rp_order_event hist[2];
	struct rp_vault_person vp;
	struct rp_order *o = NULL;
	struct prep *p = NULL;
	int64_t now = ctx_now(ctx);
	uint64_t pid = 0;
	bool reserved = false;
	size_t i;
	int r;

	memset(res, 0, sizeof(*res));
	memset(errs, 0, sizeof(*errs));
	if ((channel == RP_CHANNEL_PUBLIC && tenant_id != 0) ||
	    (channel == RP_CHANNEL_CORPORATE && tenant_id <= 0) ||
	    (channel == RP_CHANNEL_COUNTER && (tenant_id != 0 ||
	    !ctx->at_counter)) || rp_channel_name(channel) == NULL ||
	    ctx->vault.put == NULL)
		return RP_E_INVAL;
	if (sodium_init() < 0)
		return RP_E_STATE;
	if (idem_key.n > 0) {
		if ((r = key_ok(idem_key, key)) != 0)
			return r;
		request_hash(tenant_id, channel, rq, hash);
		if ((r = idem_replay(ctx, tenant_id, key, hash, now, res)) !=
		    RP_E_NOTFOUND)
			return r;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (o = calloc(1, sizeof(*o))) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	if ((r = resolve(ctx, tenant_id, rq, p, errs)) != 0)
		goto out;
	if (key[0] != '\0') {
		r = rp_store_idem_reserve(ctx->st, tenant_id, key, hash, now);
		if (r == RP_E_EXISTS) {
			/* a concurrent request with the same key won */
			r = idem_replay(ctx, tenant_id, key, hash, now, res);
			if (r == RP_E_NOTFOUND)
				r = RP_E_AGAIN;
			goto out;
		}
		if (r != 0)
			goto out;
		reserved = true;
	}

	/*
	 * The number first, so the vault binds the traveller to this order:
	 * the public site may later read the record only for it.
	 */
	if ((r = rp_store_order_reserve(ctx->st, &o->reserved_id,
	    o->number)) != 0)
		goto out;
	person_of(rq, p, &vp);
	if ((r = ctx->vault.put(ctx->vault.arg, &vp, (uint32_t)tenant_id,
	    channel, rp_str_c(o->number), &pid)) != 0)
		goto out;
	if (pid == 0 || pid > INT64_MAX) {
		r = RP_E_PROTO;
		goto out;
	}

	o->tenant_id = tenant_id;
	o->channel = channel;
	o->person_id = (int64_t)pid;
	o->plan_id = p->plan.id;
	o->qty = p->qty;
	if ((r = today(p->pol, now, o->order_date)) != 0 ||
	    (r = rp_date_format(p->dep, o->depart_date)) != 0 ||
	    (r = rp_date_format(p->retd, o->return_date)) != 0)
		goto out;
	o->pickup = p->pickup;
	o->pickup_counter_id = p->pc.id;
	o->ret = p->ret;
	o->return_counter_id = p->rc.id;
	/* a walk-in pays at the counter when it is settled */
	o->status = p->billing == RP_BILLING_INVOICE ||
	    channel == RP_CHANNEL_COUNTER ? RP_ORDER_CONFIRMED :
	    RP_ORDER_AWAITING_PAYMENT;
	o->subtotal_yen = p->q.subtotal_yen;
	o->tax_yen = p->q.tax_yen;
	o->total_yen = p->q.total_yen;
	o->policy_id = p->policy_id;
	o->created_at = now;
	o->updated_at = now;
	snprintf(o->lang, sizeof(o->lang), "%s",
	    rp_str_eq_c(rq->lang, "en") ? "en" : "ja");
	if (channel == RP_CHANNEL_CORPORATE) {
		copy_str(rq->employee_no, o->employee_no,
		    sizeof(o->employee_no));
		copy_str(rq->cost_centre, o->cost_centre,
		    sizeof(o->cost_centre));
	}
	o->noptions = p->nopt;
	for (i = 0; i < p->nopt; i++) {
		o->options[i].option_id = p->opt[i].id;
		o->options[i].qty = p->opt_qty[i];
	}
	memset(hist, 0, sizeof(hist));
	hist[0].from = -1;
	hist[0].to = RP_ORDER_RESERVED;
	hist[0].at = now;
	snprintf(hist[0].actor, sizeof(hist[0].actor), "%s",
	    actor_of(ctx, channel));
	hist[1] = hist[0];
	hist[1].from = RP_ORDER_RESERVED;
	hist[1].to = o->status;
	snprintf(hist[1].note, sizeof(hist[1].note), "%s",
	    p->billing == RP_BILLING_INVOICE ? "billing: invoice" :
	    channel == RP_CHANNEL_COUNTER ? "billing: counter" :
	    "billing: card");
	o->hold = p->hold;
	if ((r = rp_store_order_insert(ctx->st, o, hist, 2)) == RP_E_FULL) {
		/* the last units went to a concurrent order since the count */
		struct order_trip t = trip_of(p, ctx->at_counter ? 0 :
		    ctx_now(ctx));

		r = order_stock_sold_out(ctx->st, p->pol, &p->plan, &t, -1,
		    errs);
	}
	if (r != 0) {
		/* not placed: the traveller just stored goes again (logged),
		 * so that the vault keeps no one without an order */
		if (ctx->vault.withdraw != NULL &&
		    ctx->vault.withdraw(ctx->vault.arg, pid) != 0)
			rp_log_warn("order: a traveller stored for an order "
			    "not placed could not be withdrawn");
		goto out;
	}
	memcpy(res->number, o->number, sizeof(res->number));
	res->status = o->status;
	res->total_yen = o->total_yen;
	if (reserved) {
		if (rp_store_idem_complete(ctx->st, tenant_id, key, o->number,
		    o->status, o->total_yen) != 0)
			rp_log_error("order: idempotency record not completed");
		reserved = false;	/* the order exists: keep the key */
	}
	r = 0;
 out:
	if (reserved && rp_store_idem_delete(ctx->st, tenant_id, key, now) != 0)
		rp_log_error("order: idempotency record not released");
	if (r != 0 && r != RP_E_INVAL && r != RP_E_EXISTS && r != RP_E_FULL)
		rp_log_info("order: place failed (%d)", r);
	free(o);
	prep_free(p);
	return r;
}

int
rp_order_vault_client_put(struct rp_vault_client *vc, const uint8_t *cap,
    size_t cap_len, const struct rp_vault_person *p, uint32_t tenant,
    int channel, struct rp_str number, uint64_t *id,
    struct rp_vault_receipt *rc)
{
	struct rp_vault_caller c;
	int r;

	*id = 0;
	if (cap_len > sizeof(c.cap))
		return RP_E_INVAL;
	if (channel == RP_CHANNEL_COUNTER)
		/* a walk-in: the counter login's capability names the role */
		r = rp_vault_caller_init(&c, "counter", "console", "staff",
		    "counter");
	else
		r = rp_vault_caller_init(&c, channel == RP_CHANNEL_CORPORATE ?
		    "corporate_web" : "public_web", "web", "web", "order_new");
	if (r != 0)
		return r;
	c.tenant = tenant;
	if (cap_len > 0)
		memcpy(c.cap, cap, cap_len);
	c.cap_len = (uint32_t)cap_len;
	r = rp_vault_client_put(vc, &c, p, tenant, &number,
	    number.n > 0 ? 1 : 0, id, rc);
	sodium_memzero(c.cap, sizeof(c.cap));
	return r;
}

int
rp_order_vault_client_withdraw(struct rp_vault_client *vc,
    const struct rp_vault_receipt *rc, uint64_t id)
{
	struct rp_vault_caller c;
	int r;

	if (rc == NULL || rc->n == 0 || rc->n > sizeof(c.cap))
		return RP_E_INVAL;
	/* the receipt names the role, tenant and order; the vault says so */
	if ((r = rp_vault_caller_init(&c, "public_web", "web", "web",
	    "order_withdrawn")) != 0)
		return r;
	memcpy(c.cap, rc->b, rc->n);
	c.cap_len = rc->n;
	r = rp_vault_client_erase(vc, &c, id);
	sodium_memzero(c.cap, sizeof(c.cap));
	return r;
}

/* ---- change and cancel -------------------------------------------------- */

/* The order `number` if it belongs to tenant_id; RP_E_NOTFOUND otherwise. */
static int
own_order(struct rp_store *st, int64_t tenant_id, struct rp_str number,
    struct rp_order *o)
{
	char buf[RP_ORDER_NUMBER_LEN + 1];
	int r;

	memset(o, 0, sizeof(*o));
	if (tenant_id < 0 || !cstr(buf, sizeof(buf), number))
		return RP_E_NOTFOUND;
	if ((r = rp_store_order_get(st, buf, o)) != 0)
		return r;
	if (o->tenant_id != tenant_id) {
		memset(o, 0, sizeof(*o));
		return RP_E_NOTFOUND;
	}
	return 0;
}

static bool
open_status(int s)
{
	return s == RP_ORDER_RESERVED || s == RP_ORDER_CONFIRMED ||
	    s == RP_ORDER_AWAITING_PAYMENT;
}

static int cancel(const struct rp_order_ctx *ctx, int64_t tenant_id,
    struct rp_str number, bool apply, int64_t *fee_yen);

int
rp_order_cancel(const struct rp_order_ctx *ctx, int64_t tenant_id,
    struct rp_str number, int64_t *fee_yen)
{
	return cancel(ctx, tenant_id, number, true, fee_yen);
}

int
rp_order_cancel_fee(const struct rp_order_ctx *ctx, int64_t tenant_id,
    struct rp_str number, int64_t *fee_yen)
{
	return cancel(ctx, tenant_id, number, false, fee_yen);
}

static int
cancel(const struct rp_order_ctx *ctx, int64_t tenant_id,
    struct rp_str number, bool apply, int64_t *fee_yen)
{
	char note[RP_STORE_TEXT_MAX + 1];
	struct order_policy *pol = NULL;
	struct rp_order *o = NULL;
	struct rp_date dep;
	int64_t now = ctx_now(ctx), pid;
	int days = 0, r;

	*fee_yen = 0;
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	if ((r = own_order(ctx->st, tenant_id, number, o)) != 0)
		goto out;
	if (!open_status(o->status)) {
		r = RP_E_STATE;
		goto out;
	}
	/* XXX: the latest policy, not necessarily the one sold under. */
	if ((r = order_load_policy(ctx->st, &pol, &pid)) != 0 ||
	    (r = rp_date_parse(rp_str_c(o->depart_date), &dep)) != 0 ||
	    (r = order_cancel_fee(pol, o->subtotal_yen, dep, now, &days,
	    fee_yen)) != 0)
		goto out;
	if (!apply)
		goto out;
	snprintf(note, sizeof(note), "cancel_fee_yen=%lld days_before=%d",
	    (long long)*fee_yen, days);
	r = rp_store_order_transition(ctx->st, o->id, RP_ORDER_CANCELLED,
	    actor_of(ctx, o->channel), note, now);
 out:
	if (r != 0)
		*fee_yen = 0;
	order_policy_free(pol);
	free(o);
	return r;
}

/* Finds row id in an array of records (first member int64_t id). */
#define FIND_ID(arr, n, want, outp) do {				\
	size_t k_;							\
	(outp) = NULL;							\
	for (k_ = 0; k_ < (n); k_++)					\
		if ((arr)[k_].id == (want)) {				\
			(outp) = &(arr)[k_];				\
			break;						\
		}							\
} while (0)

int
rp_order_change(const struct rp_order_ctx *ctx, int64_t tenant_id,
    struct rp_str number, const struct rp_order_change_req *ch,
    struct rp_order_result *res, struct rp_order_errors *errs)
{
	struct rp_plan *plans = NULL, *pl;
	struct rp_option *opts = NULL, *op;
	struct rp_counter *ctrs = NULL, *ct;
	size_t nplans = 0, nopts = 0, nctrs = 0, i, j;
	struct rp_order *o = NULL;
	struct prep *p = NULL;
	struct rp_localtime lt;
	struct order_trip t;
	int64_t now = ctx_now(ctx);
	int r;

	memset(res, 0, sizeof(*res));
	memset(errs, 0, sizeof(*errs));
	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (p = calloc(1, sizeof(*p))) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	if ((r = own_order(ctx->st, tenant_id, number, o)) != 0)
		goto out;
	if (!open_status(o->status)) {
		r = RP_E_STATE;
		goto out;
	}
	if ((r = order_load_policy(ctx->st, &p->pol, &p->policy_id)) != 0 ||
	    (r = rp_date_parse(rp_str_c(o->depart_date), &p->dep)) != 0)
		goto out;
	if ((r = order_change_allowed(p->pol, p->dep, now)) != 0)
		goto out;

	/* new dates */
	if (ch->depart.n > 0 && rp_date_parse(ch->depart, &p->dep) != 0)
		rp_order_err_add(errs, RP_OF_DEPART, "invalid_date");
	if ((r = rp_date_parse(rp_str_c(o->return_date), &p->retd)) != 0)
		goto out;
	if (ch->ret.n > 0 && rp_date_parse(ch->ret, &p->retd) != 0)
		rp_order_err_add(errs, RP_OF_RETURN, "invalid_date");
	if ((r = rp_time_local(now, order_policy_utc_offset(p->pol), &lt)) != 0)
		goto out;
	if (rp_order_error_of(errs, RP_OF_DEPART) == NULL &&
	    rp_date_cmp(p->dep, lt.date) < 0)
		rp_order_err_add(errs, RP_OF_DEPART, "date_past");
	if (errs->n == 0 && rp_date_cmp(p->retd, p->dep) < 0)
		rp_order_err_add(errs, RP_OF_RETURN, "return_before_departure");

	/* catalogue rows by id */
	if ((r = rp_store_plan_list(ctx->st, NULL, -1, false, &plans,
	    &nplans)) != 0 ||
	    (r = rp_store_option_list(ctx->st, &opts, &nopts)) != 0 ||
	    (r = rp_store_counter_list(ctx->st, &ctrs, &nctrs)) != 0)
		goto out;
	FIND_ID(plans, nplans, o->plan_id, pl);
	if (pl == NULL) {
		r = RP_E_STATE;
		goto out;
	}
	p->plan = *pl;
	p->qty = o->qty;
	if (tenant_id > 0) {
		r = rp_store_price_get(ctx->st, tenant_id, p->plan.id,
		    &p->corp_yen);
		if (r == 0)
			p->corporate = true;
		else if (r != RP_E_NOTFOUND)
			goto out;
	}
	if (ch->set_options) {
		if (ch->n_options > RP_ORDER_REQ_OPTIONS)
			rp_order_err_add(errs, RP_OF_OPTIONS, "too_many");
		for (i = 0; i < ch->n_options && i < RP_ORDER_REQ_OPTIONS; i++) {
			if (ch->options[i].qty < 1 || ch->options[i].qty > 99)
				rp_order_err_add(errs, RP_OF_OPTIONS,
				    "out_of_range");
			for (j = 0; j < i; j++)
				if (rp_str_eq(ch->options[j].code,
				    ch->options[i].code))
					rp_order_err_add(errs, RP_OF_OPTIONS,
					    "duplicate");
			if ((r = get_option(ctx->st, ch->options[i].code,
			    &p->opt[i], errs)) != 0)
				goto out;
			p->opt_qty[i] = ch->options[i].qty;
		}
		p->nopt = i;
	} else {
		for (i = 0; i < o->noptions; i++) {
			FIND_ID(opts, nopts, o->options[i].option_id, op);
			if (op == NULL) {
				r = RP_E_STATE;
				goto out;
			}
			p->opt[i] = *op;
			p->opt_qty[i] = o->options[i].qty;
		}
		p->nopt = o->noptions;
	}
	p->pickup = o->pickup;
	p->ret = o->ret;
	if (o->pickup == RP_HANDOVER_COUNTER && errs->n == 0) {
		FIND_ID(ctrs, nctrs, o->pickup_counter_id, ct);
		if (ct == NULL) {
			r = RP_E_STATE;
			goto out;
		}
		if ((r = deadline(p, ct, now, errs)) != 0)
			goto out;
	}
	if (errs->n > 0) {
		r = RP_E_INVAL;
		goto out;
	}
	if ((r = price(p, errs)) != 0)
		goto out;

	if ((r = rp_date_format(p->dep, o->depart_date)) != 0 ||
	    (r = rp_date_format(p->retd, o->return_date)) != 0)
		goto out;
	if (strcmp(o->order_date, o->depart_date) > 0) {
		rp_order_err_add(errs, RP_OF_DEPART, "date_past");
		r = RP_E_INVAL;
		goto out;
	}
	o->noptions = p->nopt;
	for (i = 0; i < p->nopt; i++) {
		o->options[i].option_id = p->opt[i].id;
		o->options[i].qty = p->opt_qty[i];
	}
	o->subtotal_yen = p->q.subtotal_yen;
	o->tax_yen = p->q.tax_yen;
	o->total_yen = p->q.total_yen;
	/* the new window's stock (the store lets the old hold go first) */
	p->pc.id = o->pickup_counter_id;
	t = trip_of(p, now);
	if (!ctx->no_stock && (r = order_stock_window(p->pol, p->plan.device,
	    p->qty, p->pickup, t.counter_id, p->ret, p->dep, p->retd,
	    &o->hold)) != 0)
		goto out;
	r = rp_store_order_change(ctx->st, o, actor_of(ctx, o->channel),
	    "changed: dates/options", now);
	if (r == RP_E_FULL)	/* the new dates: on the form's dates */
		r = order_stock_sold_out(ctx->st, p->pol, &p->plan, &t,
		    RP_OF_DEPART, errs);
	if (r != 0)
		goto out;
	memcpy(res->number, o->number, sizeof(res->number));
	res->status = o->status;
	res->total_yen = o->total_yen;
 out:
	free(plans);
	free(opts);
	free(ctrs);
	free(o);
	prep_free(p);
	return r;
}

/* ---- reads ------------------------------------------------------------- */

/* A destination code: 1..32 of [A-Za-z0-9_-] (policy.h's rp_code_valid). */
static bool
dest_ok(struct rp_str s)
{
	size_t i;

	if (s.n == 0 || s.n > RP_STORE_CODE_MAX)
		return false;
	for (i = 0; i < s.n; i++)
		if (!((s.p[i] >= 'a' && s.p[i] <= 'z') ||
		    (s.p[i] >= 'A' && s.p[i] <= 'Z') ||
		    (s.p[i] >= '0' && s.p[i] <= '9') || s.p[i] == '_' ||
		    s.p[i] == '-'))
			return false;
	return true;
}

int
rp_order_plans(const struct rp_order_ctx *ctx, int64_t tenant_id,
    struct rp_str destination, struct rp_order_plan **out, size_t *n)
{
	char dest[RP_STORE_CODE_MAX + 1];
	struct rp_plan *pl = NULL;
	struct rp_order_plan *v = NULL;
	struct rp_tenant t;
	size_t np = 0, i;
	int64_t yen;
	int r;

	*out = NULL;
	*n = 0;
	if (tenant_id < 0)
		return RP_E_INVAL;
	if (destination.n > 0 && (!dest_ok(destination) ||
	    !cstr(dest, sizeof(dest), destination)))
		return RP_E_INVAL;
	if (tenant_id > 0 &&
	    (r = rp_store_tenant_get_id(ctx->st, tenant_id, &t)) != 0)
		return r;
	if ((r = rp_store_plan_list(ctx->st, destination.n ? dest : NULL, -1,
	    true, &pl, &np)) != 0)
		return r;
	if (np > 0 && (v = calloc(np, sizeof(*v))) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	for (i = 0; i < np; i++) {
		snprintf(v[i].code, sizeof(v[i].code), "%s", pl[i].code);
		snprintf(v[i].destination, sizeof(v[i].destination), "%s",
		    pl[i].destination);
		snprintf(v[i].destination_name, sizeof(v[i].destination_name),
		    "%s", pl[i].destination_name);
		snprintf(v[i].device, sizeof(v[i].device), "%s",
		    rp_device_kind_name(pl[i].device) ?
		    rp_device_kind_name(pl[i].device) : "");
		snprintf(v[i].tier, sizeof(v[i].tier), "%s", pl[i].tier);
		v[i].daily_yen = pl[i].daily_yen;
		if (tenant_id > 0) {
			r = rp_store_price_get(ctx->st, tenant_id, pl[i].id, &yen);
			if (r == 0) {
				v[i].daily_yen = yen;
				v[i].corporate_price = true;
			} else if (r != RP_E_NOTFOUND)
				goto out;
		}
	}
	*out = v;
	*n = np;
	v = NULL;			/* transferred */
	r = 0;
 out:
	free(v);
	free(pl);
	return r;
}

int
rp_order_availability(const struct rp_order_ctx *ctx, struct rp_str plan,
    struct rp_str counter, struct rp_str from, struct rp_str to,
    struct rp_order_avail *out, struct rp_order_errors *errs)
{
	char buf[RP_STORE_CODE_MAX + 1];
	struct order_policy *pol = NULL;
	struct rp_stock_hold h;
	struct rp_counter c;
	struct rp_plan pl;
	struct rp_date dep, ret, d, u;
	int64_t *held = NULL, max = 0;
	int64_t pid;
	int n = 0, off, r;

	memset(out, 0, sizeof(*out));
	memset(errs, 0, sizeof(*errs));
	memset(&c, 0, sizeof(c));
	r = cstr(buf, sizeof(buf), plan) && plan.n > 0 ?
	    rp_store_plan_get(ctx->st, buf, &pl) : RP_E_NOTFOUND;
	if (r == RP_E_NOTFOUND || r == RP_E_INVAL || (r == 0 && !pl.active))
		rp_order_err_add(errs, RP_OF_PLAN, "unknown_plan");
	else if (r != 0)
		return r;
	if (counter.n > 0) {
		r = cstr(buf, sizeof(buf), counter) ?
		    rp_store_counter_get(ctx->st, buf, &c) : RP_E_NOTFOUND;
		if (r == RP_E_NOTFOUND || r == RP_E_INVAL)
			rp_order_err_add(errs, RP_OF_PICKUP_COUNTER,
			    "unknown_counter");
		else if (r != 0)
			return r;
	}
	if (rp_date_parse(from, &dep) != 0)
		rp_order_err_add(errs, RP_OF_DEPART, from.n ? "invalid_date" :
		    "required");
	if (rp_date_parse(to, &ret) != 0)
		rp_order_err_add(errs, RP_OF_RETURN, to.n ? "invalid_date" :
		    "required");
	if (errs->n == 0 && rp_date_cmp(ret, dep) < 0)
		rp_order_err_add(errs, RP_OF_RETURN, "return_before_departure");
	else if (errs->n == 0 &&
	    rp_date_diff(dep, ret) >= RP_ORDER_AVAIL_MAX_DAYS)
		rp_order_err_add(errs, RP_OF_RETURN, "rental_too_long");
	if (errs->n > 0)
		return RP_E_INVAL;
	if ((r = order_load_policy(ctx->st, &pol, &pid)) != 0)
		return r;
	/* the counter's own return; courier delivery comes back by courier */
	if ((r = order_stock_window(pol, pl.device, 1, counter.n > 0 ?
	    RP_HANDOVER_COUNTER : RP_HANDOVER_COURIER, c.id, counter.n > 0 ?
	    RP_HANDOVER_COUNTER : RP_HANDOVER_COURIER, dep, ret, &h)) != 0)
		goto out;
	if ((r = rp_date_parse(rp_str_c(h.from), &d)) != 0 ||
	    (r = rp_date_parse(rp_str_c(h.until), &u)) != 0)
		goto out;
	n = (int)rp_date_diff(d, u) + 1;
	if (n < 1 || n > RP_STOCK_WINDOW_MAX ||
	    (held = calloc((size_t)n, sizeof(*held))) == NULL) {
		r = n < 1 || n > RP_STOCK_WINDOW_MAX ? RP_E_INVAL : RP_E_NOMEM;
		goto out;
	}
	if ((r = rp_store_stock_days(ctx->st, h.counter_id, h.kind, h.from, n,
	    &out->units, held)) != 0)
		goto out;
	for (int i = 0; i < n; i++)
		if (held[i] > max)
			max = held[i];
	out->available = out->units > max ? out->units - max : 0;
	snprintf(out->plan, sizeof(out->plan), "%s", pl.code);
	snprintf(out->device, sizeof(out->device), "%s",
	    rp_device_kind_name(pl.device));
	snprintf(out->counter, sizeof(out->counter), "%s", c.code);
	snprintf(out->hold_from, sizeof(out->hold_from), "%s", h.from);
	snprintf(out->hold_until, sizeof(out->hold_until), "%s", h.until);
	/* the trip's own dates: where they sit in the window */
	off = (int)rp_date_diff(d, dep);
	for (int i = 0; i <= (int)rp_date_diff(dep, ret) &&
	    out->ndays < RP_ORDER_AVAIL_MAX_DAYS; i++) {
		struct rp_date day;
		int64_t hd = off + i < n ? held[off + i] : 0;

		if ((r = rp_date_add_days(dep, i, &day)) != 0 ||
		    (r = rp_date_format(day, out->days[out->ndays].date)) != 0)
			goto out;
		out->days[out->ndays++].available = out->units > hd ?
		    out->units - hd : 0;
	}
 out:
	free(held);
	order_policy_free(pol);
	return r;
}

int
rp_order_get(const struct rp_order_ctx *ctx, int64_t tenant_id,
    struct rp_str number, struct rp_order_view *out)
{
	struct rp_plan *plans = NULL, *pl;
	struct rp_option *opts = NULL, *op;
	struct rp_counter *ctrs = NULL, *ct;
	size_t nplans = 0, nopts = 0, nctrs = 0, i;
	struct rp_order *o = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return RP_E_NOMEM;
	if ((r = own_order(ctx->st, tenant_id, number, o)) != 0)
		goto out;
	/* XXX: by-id getters in the store would save these list reads. */
	if ((r = rp_store_plan_list(ctx->st, NULL, -1, false, &plans,
	    &nplans)) != 0 ||
	    (r = rp_store_option_list(ctx->st, &opts, &nopts)) != 0 ||
	    (r = rp_store_counter_list(ctx->st, &ctrs, &nctrs)) != 0)
		goto out;
	memcpy(out->number, o->number, sizeof(out->number));
	snprintf(out->status, sizeof(out->status), "%s",
	    rp_order_status_name(o->status));
	FIND_ID(plans, nplans, o->plan_id, pl);
	snprintf(out->plan, sizeof(out->plan), "%s", pl ? pl->code : "");
	out->qty = o->qty;
	snprintf(out->depart, sizeof(out->depart), "%s", o->depart_date);
	snprintf(out->ret, sizeof(out->ret), "%s", o->return_date);
	snprintf(out->pickup, sizeof(out->pickup), "%s",
	    rp_handover_name(o->pickup));
	snprintf(out->return_method, sizeof(out->return_method), "%s",
	    rp_handover_name(o->ret));
	FIND_ID(ctrs, nctrs, o->pickup_counter_id, ct);
	snprintf(out->pickup_counter, sizeof(out->pickup_counter), "%s",
	    ct ? ct->code : "");
	FIND_ID(ctrs, nctrs, o->return_counter_id, ct);
	snprintf(out->return_counter, sizeof(out->return_counter), "%s",
	    ct ? ct->code : "");
	for (i = 0; i < o->noptions && i < RP_ORDER_MAX_OPTIONS; i++) {
		FIND_ID(opts, nopts, o->options[i].option_id, op);
		snprintf(out->options[i].code, sizeof(out->options[i].code),
		    "%s", op ? op->code : "");
		out->options[i].qty = o->options[i].qty;
	}
	out->n_options = i;
	out->subtotal_yen = o->subtotal_yen;
	out->tax_yen = o->tax_yen;
	out->total_yen = o->total_yen;
	out->person_id = o->person_id;
	out->created_at = o->created_at;
	out->updated_at = o->updated_at;
	out->id = o->id;
	snprintf(out->order_date, sizeof(out->order_date), "%s", o->order_date);
	snprintf(out->lang, sizeof(out->lang), "%s", o->lang);
	snprintf(out->employee_no, sizeof(out->employee_no), "%s",
	    o->employee_no);
	snprintf(out->cost_centre, sizeof(out->cost_centre), "%s",
	    o->cost_centre);
	snprintf(out->billing, sizeof(out->billing), "%s",
	    o->status == RP_ORDER_AWAITING_PAYMENT || o->pay_token[0] != '\0' ?
	    "card" : "invoice");
	out->can_cancel = open_status(o->status);
	out->can_change = false;
	if (out->can_cancel) {
		struct order_policy *pol = NULL;
		struct rp_date dep;
		int64_t pid;

		if (order_load_policy(ctx->st, &pol, &pid) == 0 &&
		    rp_date_parse(rp_str_c(o->depart_date), &dep) == 0 &&
		    order_change_allowed(pol, dep, ctx_now(ctx)) == 0)
			out->can_change = true;
		order_policy_free(pol);
	}
 out:
	if (r != 0)
		memset(out, 0, sizeof(*out));
	free(plans);
	free(opts);
	free(ctrs);
	free(o);
	return r;
}
