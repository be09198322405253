/* SPDX-License-Identifier: ISC */
/*
 * counter.c — the order side of the airport counter: what a return costs
 * (late days, damage and loss under the order's cover option, from the
 * policy: price.c's order_return_fees), what an order owes at settlement,
 * and no-shows.  The units themselves move in the store (store.h "the
 * counter"), one transaction per scan.
 */
#include "util/common.h"
#include "util/log.h"
#include "order/order_int.h"
#include "store/store.h"

int
rp_counter_item_parse(struct rp_str name, int *item)
{
	return order_item_parse(name, item);
}

/* The cover (insurance tier) the order bought, "" if none. */
static int
cover_of(struct rp_store *st, const struct order_policy *pol,
    const struct rp_order *o, char *out, size_t n)
{
	struct rp_option *opts = NULL;
	size_t nopts = 0;
	int r;

	out[0] = '\0';
	if (o->noptions == 0)
		return 0;
	if ((r = rp_store_option_list(st, &opts, &nopts)) != 0)
		return r;
	for (size_t i = 0; i < o->noptions; i++)
		for (size_t j = 0; j < nopts; j++)
			if (opts[j].id == o->options[i].option_id &&
			    opts[j].kind == RP_OPTION_INSURANCE &&
			    order_cover_of(pol, opts[j].code, out, n))
				goto out;
 out:
	free(opts);
	return 0;
}

static int
plan_device(struct rp_store *st, int64_t plan_id, int *device)
{
	struct rp_plan *plans = NULL;
	size_t n = 0;
	int r;

	if ((r = rp_store_plan_list(st, NULL, -1, false, &plans, &n)) != 0)
		return r;
	r = RP_E_NOTFOUND;
	for (size_t i = 0; i < n; i++)
		if (plans[i].id == plan_id) {
			*device = plans[i].device;
			r = 0;
		}
	free(plans);
	return r;
}

/* The order's charges and what it owes, into out (fees left alone). */
static int
due_of(struct rp_store *st, const struct order_policy *pol,
    const struct rp_order *o, struct rp_counter_due *out)
{
	struct rp_order_charge *ch = NULL;
	size_t n = 0;
	int r;

	if ((r = rp_store_order_charges(st, o->id, &ch, &n)) != 0)
		return r;
	out->n_all = 0;
	out->extra_yen = 0;
	for (size_t i = 0; i < n; i++) {
		if (out->n_all < RP_COUNTER_FEES_MAX) {
			struct rp_counter_fee *f = &out->all[out->n_all++];

			snprintf(f->code, sizeof(f->code), "%s", ch[i].code);
			f->qty = ch[i].qty;
			f->amount_yen = ch[i].amount_yen;
		}
		out->extra_yen += ch[i].amount_yen;
	}
	free(ch);
	if ((r = order_tax(pol, out->extra_yen, &out->extra_tax_yen)) != 0)
		return r;
	out->order_total_yen = o->total_yen;
	out->total_due_yen = o->total_yen + out->extra_yen + out->extra_tax_yen;
	return 0;
}

int
rp_counter_return(struct rp_store *st, int64_t order_id,
    const struct rp_counter_return_req *rq, const char *actor,
    struct rp_counter_due *out, int *why)
{
	struct order_fee_line lines[ORDER_FEE_LINES_MAX];
	struct rp_order_charge ch[ORDER_FEE_LINES_MAX];
	struct order_policy *pol = NULL;
	struct order_fee_in in;
	struct rp_localtime lt;
	struct rp_order o;
	char serial[RP_STORE_CODE_MAX + 1];
	int64_t pid;
	size_t n = 0;
	int r;

	memset(out, 0, sizeof(*out));
	*why = RP_UNIT_OK;
	if (rq->serial.n == 0 || rq->serial.n > RP_STORE_CODE_MAX ||
	    memchr(rq->serial.p, '\0', rq->serial.n) != NULL) {
		*why = RP_UNIT_UNKNOWN_SERIAL;
		return RP_E_NOTFOUND;
	}
	memcpy(serial, rq->serial.p, rq->serial.n);
	serial[rq->serial.n] = '\0';
	if ((r = rp_store_order_get_id(st, order_id, &o)) != 0)
		return r;
	if ((r = order_load_policy(st, &pol, &pid)) != 0)
		return r;
	memset(&in, 0, sizeof(in));
	if ((r = plan_device(st, o.plan_id, &in.device)) != 0 ||
	    (r = cover_of(st, pol, &o, out->cover, sizeof(out->cover))) != 0)
		goto out;
	in.cover = out->cover;
	in.condition = rq->condition;
	in.missing = rq->missing;
	in.n_missing = rq->n_missing;
	in.police_report = rq->police_report;
	if ((r = rp_date_parse(rp_str_c(o.return_date), &in.due)) != 0 ||
	    (r = rp_time_local(rq->returned_at, order_policy_utc_offset(pol),
	    &lt)) != 0)
		goto out;
	in.returned = lt.date;
	if ((r = order_return_fees(pol, &in, lines, ORDER_FEE_LINES_MAX, &n,
	    &out->late_days)) != 0) {
		if (r == RP_E_NOTFOUND)
			r = RP_E_INVAL;		/* an item not in this kit */
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		memset(&ch[i], 0, sizeof(ch[i]));
		snprintf(ch[i].code, sizeof(ch[i].code), "%.32s", lines[i].code);
		ch[i].qty = lines[i].qty;
		ch[i].amount_yen = lines[i].amount_yen;
		snprintf(out->fees[i].code, sizeof(out->fees[i].code), "%.32s",
		    lines[i].code);
		out->fees[i].qty = lines[i].qty;
		out->fees[i].amount_yen = lines[i].amount_yen;
	}
	out->n_fees = n;
	if ((r = rp_store_unit_return(st, order_id, serial, rq->counter_id,
	    rq->condition, ch, n, actor, rq->returned_at, why,
	    &out->complete)) != 0)
		goto out;
	r = due_of(st, pol, &o, out);
 out:
	order_policy_free(pol);
	return r;
}

int
rp_counter_due(struct rp_store *st, int64_t order_id,
    struct rp_counter_due *out)
{
	struct order_policy *pol = NULL;
	struct rp_order o;
	int64_t pid;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = rp_store_order_get_id(st, order_id, &o)) != 0 ||
	    (r = order_load_policy(st, &pol, &pid)) != 0)
		return r;
	if ((r = cover_of(st, pol, &o, out->cover, sizeof(out->cover))) == 0)
		r = due_of(st, pol, &o, out);
	order_policy_free(pol);
	return r;
}

int
rp_counter_today(struct rp_store *st, int64_t now, char out[11])
{
	struct order_policy *pol = NULL;
	struct rp_localtime lt;
	int64_t pid;
	int r;

	if ((r = order_load_policy(st, &pol, &pid)) != 0)
		return r;
	r = rp_time_local(now, order_policy_utc_offset(pol), &lt);
	order_policy_free(pol);
	return r != 0 ? r : rp_date_format(lt.date, out);
}

int
rp_counter_no_shows(struct rp_store *st, int64_t counter_id, int64_t now,
    const char *actor, size_t *n)
{
	struct order_policy *pol = NULL;
	struct rp_order *os = NULL;
	struct rp_order_charge fee;
	struct rp_date dep;
	char today[11];
	size_t k = 0;
	int64_t pid;
	int days, r;

	*n = 0;
	if ((r = rp_counter_today(st, now, today)) != 0 ||
	    (r = rp_store_counter_orders(st, counter_id, RP_COUNTER_NO_SHOWS,
	    today, 100, &os, &k)) != 0 || k == 0)
		goto out;
	if ((r = order_load_policy(st, &pol, &pid)) != 0)
		goto out;
	for (size_t i = 0; i < k; i++) {
		memset(&fee, 0, sizeof(fee));
		snprintf(fee.code, sizeof(fee.code), "no_show");
		fee.qty = 1;
		if (rp_date_parse(rp_str_c(os[i].depart_date), &dep) != 0 ||
		    order_cancel_fee(pol, os[i].subtotal_yen, dep, now, &days,
		    &fee.amount_yen) != 0)
			fee.amount_yen = 0;
		r = rp_store_order_no_show(st, os[i].id, &fee, actor, now);
		if (r == 0)
			(*n)++;
		else if (r != RP_E_STATE)	/* a concurrent pickup won */
			goto out;
		r = 0;
	}
 out:
	free(os);
	order_policy_free(pol);
	return r;
}
