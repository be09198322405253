/* SPDX-License-Identifier: ISC */
/*
 * price.c — the order service's pricing side: parses the policy and calls
 * the domain's rp_quote, counter deadline, cancellation fee and change
 * deadline (domain/pricing.h) on plain values that service.c read from the
 * store (order_int.h).  Runs in the web workers; its inputs are store rows
 * and already validated request fields.
 */
#include "util/common.h"
#include "domain/pricing.h"
#include "order/order_int.h"

#define INSURANCE_PREFIX "insurance_"

struct order_policy {
	struct rp_policy p;
};

int
order_policy_load(const char *json, struct order_policy **out)
{
	char err[RP_POLICY_ERR_MAX];
	struct order_policy *pol;
	int r;

	*out = NULL;
	if ((pol = calloc(1, sizeof(*pol))) == NULL)
		return RP_E_NOMEM;
	r = json == NULL ? rp_policy_load_default(&pol->p, err, sizeof(err)) :
	    rp_policy_parse(rp_str_c(json), &pol->p, err, sizeof(err));
	if (r != 0) {
		free(pol);
		return r;
	}
	*out = pol;
	return 0;
}

void
order_policy_free(struct order_policy *p)
{
	free(p);
}

int
order_policy_utc_offset(const struct order_policy *p)
{
	return p->p.utc_offset_min;
}

void
order_policy_stock_days(const struct order_policy *p, int *inspection,
    int *courier)
{
	*inspection = p->p.stock_inspection_days;
	*courier = p->p.stock_courier_days;
}

int
order_price(const struct order_policy *pol, const struct order_price_in *pin,
    struct rp_order_quote *out, struct rp_order_errors *errs)
{
	struct rp_quote_option qo[RP_ORDER_MAX_OPTIONS];
	const struct rp_insurance *ins;
	struct rp_quote_in in;
	struct rp_quote q;
	size_t i, nq = 0, pre = sizeof(INSURANCE_PREFIX) - 1, n;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&in, 0, sizeof(in));
	if (pin->nopt > RP_ORDER_MAX_OPTIONS)
		return RP_E_INVAL;
	in.plan_code = rp_str_c(pin->plan_code);
	in.device = (enum rp_device)pin->device;
	in.daily_yen = pin->daily_yen;
	in.corporate = pin->corporate;
	in.corporate_daily_yen = pin->corporate_daily_yen;
	in.quantity = pin->qty;
	for (i = 0; i < pin->nopt; i++) {
		const struct order_price_opt *o = &pin->opt[i];

		n = strlen(o->code);
		ins = NULL;
		if (o->insurance && n > pre &&
		    strncmp(o->code, INSURANCE_PREFIX, pre) == 0)
			ins = rp_policy_insurance(&pol->p,
			    (struct rp_str){ o->code + pre, n - pre });
		if (ins != NULL) {
			if (in.insurance.n > 0) {
				rp_order_err_add(errs, RP_OF_OPTIONS, "duplicate");
				return RP_E_INVAL;
			}
			in.insurance = rp_str_c(ins->code);
			continue;
		}
		qo[nq].code = rp_str_c(o->code);
		qo[nq].charge = RP_CHARGE_PER_DAY;
		qo[nq].unit_yen = o->daily_yen;
		qo[nq].quantity = o->qty;
		nq++;
	}
	in.options = qo;
	in.n_options = nq;
	in.departure = pin->dep;
	in.return_date = pin->ret;
	in.shipping = pin->ship == ORDER_SHIP_COURIER ? RP_SHIP_COURIER :
	    pin->ship == ORDER_SHIP_COUNTER_COURIER_BACK ?
	    RP_SHIP_COUNTER_COURIER_BACK : RP_SHIP_COUNTER;
	r = rp_quote(&pol->p, &in, &q);
	if (r == RP_E_RANGE) {
		rp_order_err_add(errs, RP_OF_RETURN, "rental_too_long");
		return RP_E_INVAL;
	}
	if (r == RP_E_NOTFOUND) {
		rp_order_err_add(errs, RP_OF_OPTIONS, "unknown_option");
		return RP_E_INVAL;
	}
	if (r != 0)
		return r;
	out->days = q.days;
	out->n_lines = q.n_lines <= RP_ORDER_QUOTE_LINES ? q.n_lines :
	    RP_ORDER_QUOTE_LINES;
	for (i = 0; i < out->n_lines; i++) {
		out->lines[i].kind = (int)q.lines[i].kind;
		snprintf(out->lines[i].code, sizeof(out->lines[i].code), "%s",
		    q.lines[i].code);
		out->lines[i].unit_yen = q.lines[i].unit_yen;
		out->lines[i].quantity = q.lines[i].quantity;
		out->lines[i].days = q.lines[i].days;
		out->lines[i].amount_yen = q.lines[i].amount_yen;
	}
	out->subtotal_yen = q.subtotal_yen;
	out->tax_yen = q.tax_yen;
	out->total_yen = q.total_yen;
	return 0;
}

int
order_counter_deadline(const struct order_policy *pol, int days_before,
    int cutoff_hour, struct rp_date dep, int64_t now)
{
	struct rp_counter_rule rule = { days_before, cutoff_hour };

	return rp_counter_order_allowed(&rule, dep, pol->p.utc_offset_min, now,
	    NULL);
}

int
order_cancel_fee(const struct order_policy *pol, int64_t subtotal_yen,
    struct rp_date dep, int64_t now, int *days_before, int64_t *fee_yen)
{
	return rp_cancel_fee(&pol->p, subtotal_yen, dep, now, days_before,
	    fee_yen);
}

int
order_change_allowed(const struct order_policy *pol, struct rp_date dep,
    int64_t now)
{
	return rp_change_allowed(&pol->p, dep, now, NULL);
}

/* ---- at the counter: what a return costs ---------------------------------- */

static int
fee_line(struct order_fee_line *out, size_t max, size_t *n, const char *kind,
    const char *what, int qty, int64_t yen)
{
	if (*n >= max)
		return RP_E_TOOBIG;
	snprintf(out[*n].code, sizeof(out[*n].code), "%s%s%s", kind,
	    what[0] ? ":" : "", what);
	out[*n].qty = qty;
	out[*n].amount_yen = yen;
	(*n)++;
	return 0;
}

static int
item_fee(const struct rp_policy *p, const struct order_fee_in *in,
    const struct rp_insurance *ins, enum rp_item item, enum rp_incident kind,
    struct order_fee_line *out, size_t max, size_t *n)
{
	int64_t yen;
	int r;

	if ((r = rp_loss_charge(p, (enum rp_device)in->device, item, kind, ins,
	    in->police_report, &yen)) != 0)
		return r;
	return fee_line(out, max, n, kind == RP_INCIDENT_LOSS ? "loss" :
	    "damage", rp_item_name(item), 1, yen);
}

int
order_return_fees(const struct order_policy *pol,
    const struct order_fee_in *in, struct order_fee_line *out, size_t max,
    size_t *n, int *late_days)
{
	const struct rp_policy *p = &pol->p;
	const struct rp_insurance *ins = NULL;
	struct rp_late late;
	int r;

	*n = 0;
	*late_days = 0;
	if (in->device < 0 || in->device >= RP_DEVICE__COUNT)
		return RP_E_INVAL;
	if (in->cover != NULL && in->cover[0] != '\0' &&
	    (ins = rp_policy_insurance(p, rp_str_c(in->cover))) == NULL)
		return RP_E_INVAL;
	if ((r = rp_late_fee(p, (enum rp_device)in->device, 1, in->due,
	    in->returned, &late)) != 0)
		return r;
	*late_days = late.days_late;
	if (late.charged_days > 0 && (r = fee_line(out, max, n, "late", "",
	    late.charged_days, late.fee_yen)) != 0)
		return r;
	switch (in->condition) {
	case 0:		/* ok */
		return 0;
	case 1:		/* damaged */
		return item_fee(p, in, ins, RP_ITEM_DEVICE, RP_INCIDENT_DAMAGE,
		    out, max, n);
	case 2:		/* parts missing */
		if (in->n_missing == 0)
			return RP_E_INVAL;
		for (size_t i = 0; i < in->n_missing; i++) {
			if (in->missing[i] < 0 || in->missing[i] >= RP_ITEM__COUNT)
				return RP_E_INVAL;
			for (size_t j = 0; j < i; j++)
				if (in->missing[j] == in->missing[i])
					return RP_E_INVAL;
			if ((r = item_fee(p, in, ins, (enum rp_item)in->missing[i],
			    RP_INCIDENT_LOSS, out, max, n)) != 0)
				return r;
		}
		return 0;
	case 3:		/* lost: the whole kit */
		for (int i = 0; i < RP_ITEM__COUNT; i++)
			if (p->loss[in->device][i].present &&
			    (r = item_fee(p, in, ins, (enum rp_item)i,
			    RP_INCIDENT_LOSS, out, max, n)) != 0)
				return r;
		return 0;
	}
	return RP_E_INVAL;
}

int
order_item_parse(struct rp_str name, int *item)
{
	enum rp_item it;
	int r;

	if ((r = rp_item_from_name(name, &it)) != 0)
		return r;
	*item = (int)it;
	return 0;
}

int
order_tax(const struct order_policy *pol, int64_t amount, int64_t *tax)
{
	return rp_tax(&pol->p, amount, tax);
}

bool
order_cover_of(const struct order_policy *pol, const char *option_code,
    char *out, size_t n)
{
	size_t pre = sizeof(INSURANCE_PREFIX) - 1, len = strlen(option_code);
	const struct rp_insurance *ins;

	if (len <= pre || strncmp(option_code, INSURANCE_PREFIX, pre) != 0 ||
	    (ins = rp_policy_insurance(&pol->p, (struct rp_str){
	    option_code + pre, len - pre })) == NULL)
		return false;
	snprintf(out, n, "%s", ins->code);
	return true;
}
