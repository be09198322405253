/* SPDX-License-Identifier: ISC */
/*
 * pricing.c — quotes and fees from a parsed policy.
 *
 * Every amount is built with rp_yen_add/rp_yen_mul so that a hostile or
 * mistaken price can only produce RP_E_OVERFLOW, never a wrapped (possibly
 * negative) total.  Percentages and tax round once, at the end of each
 * calculation, in the customer's favour unless the policy says otherwise
 * (floor is the default: Japanese retailers drop the fraction of a yen).
 */
#include "util/common.h"

#include "domain/pricing.h"

/* floor(amount * num / den) for amount >= 0, 0 <= num, den > 0. */
static int
scale_floor(int64_t amount, int64_t num, int64_t den, int64_t *out)
{
	int64_t x;
	int r;

	*out = 0;
	if ((r = rp_yen_mul(amount, num, &x)) != 0)
		return r;
	*out = x / den;
	return 0;
}

int
rp_tax(const struct rp_policy *p, int64_t amount_yen, int64_t *tax_yen)
{
	int64_t x, bias;
	int r;

	*tax_yen = 0;
	if (amount_yen < 0)
		return RP_E_INVAL;
	switch (p->tax_rounding) {
	case RP_ROUND_FLOOR:
		bias = 0;
		break;
	case RP_ROUND_HALF_UP:
		bias = 5000;
		break;
	case RP_ROUND_CEIL:
		bias = 9999;
		break;
	default:
		return RP_E_INVAL;
	}
	if ((r = rp_yen_mul(amount_yen, p->tax_bp, &x)) != 0 ||
	    (r = rp_yen_add(x, bias, &x)) != 0)
		return r;
	*tax_yen = x / 10000;
	return 0;
}

int
rp_rental_days(const struct rp_policy *p, struct rp_date departure,
    struct rp_date return_date, int *out)
{
	int32_t n;

	*out = 0;
	if (!rp_date_valid(departure) || !rp_date_valid(return_date))
		return RP_E_RANGE;
	switch (p->day_rule) {
	case RP_DAY_RULE_CALENDAR_INCLUSIVE:
		n = rp_date_diff(departure, return_date);
		if (n < 0)
			return RP_E_RANGE;
		n++;
		break;
	default:
		return RP_E_INVAL;
	}
	if (n > p->max_rental_days)
		return RP_E_RANGE;
	*out = (int)n;
	return 0;
}

/* Appends a line, computing unit x quantity x days with checked math. */
static int
add_line(struct rp_quote *q, enum rp_line_kind kind, struct rp_str code,
    int64_t unit, int quantity, int days)
{
	struct rp_quote_line *l;
	int64_t a;
	int r;

	if (q->n_lines >= RP_QUOTE_MAX_LINES)
		return RP_E_TOOBIG;
	if (!rp_code_valid(code))
		return RP_E_INVAL;
	if (unit < 0 || quantity < 1 || quantity > RP_QUOTE_MAX_QTY)
		return RP_E_INVAL;
	if ((r = rp_yen_mul(unit, quantity, &a)) != 0 ||
	    (r = rp_yen_mul(a, days, &a)) != 0 ||
	    (r = rp_yen_add(q->subtotal_yen, a, &q->subtotal_yen)) != 0)
		return r;
	l = &q->lines[q->n_lines++];
	l->kind = kind;
	memcpy(l->code, code.p, code.n);
	l->code[code.n] = '\0';
	l->unit_yen = unit;
	l->quantity = quantity;
	l->days = days;
	l->amount_yen = a;
	return 0;
}

static int
build_quote(const struct rp_policy *p, const struct rp_quote_in *in,
    struct rp_quote *q)
{
	const struct rp_insurance *ins;
	int64_t daily, ship;
	size_t i;
	int r;

	if ((unsigned)in->device >= RP_DEVICE__COUNT ||
	    in->n_options > RP_QUOTE_MAX_OPTIONS ||
	    (in->n_options > 0 && in->options == NULL) || in->daily_yen < 0 ||
	    (in->corporate && in->corporate_daily_yen < 0))
		return RP_E_INVAL;
	if ((r = rp_rental_days(p, in->departure, in->return_date,
	    &q->days)) != 0)
		return r;

	daily = in->corporate ? in->corporate_daily_yen : in->daily_yen;
	if ((r = add_line(q, RP_LINE_RENTAL, in->plan_code, daily,
	    in->quantity, q->days)) != 0)
		return r;

	if (in->insurance.n > 0) {
		if ((ins = rp_policy_insurance(p, in->insurance)) == NULL)
			return RP_E_NOTFOUND;
		if ((r = add_line(q, RP_LINE_INSURANCE, in->insurance,
		    ins->daily_yen, in->quantity, q->days)) != 0)
			return r;
	}

	for (i = 0; i < in->n_options; i++) {
		const struct rp_quote_option *o = &in->options[i];

		if (o->charge != RP_CHARGE_PER_DAY && o->charge != RP_CHARGE_FLAT)
			return RP_E_INVAL;
		if ((r = add_line(q, RP_LINE_OPTION, o->code, o->unit_yen,
		    o->quantity, o->charge == RP_CHARGE_PER_DAY ? q->days : 1))
		    != 0)
			return r;
	}

	switch (in->shipping) {
	case RP_SHIP_COUNTER:
		ship = -1;
		break;
	case RP_SHIP_COURIER:
		ship = p->ship_courier_round_trip_yen;
		break;
	case RP_SHIP_COUNTER_COURIER_BACK:
		ship = p->ship_courier_return_yen;
		break;
	default:
		return RP_E_INVAL;
	}
	/* One parcel each way whatever the device count. */
	if (ship >= 0 && (r = add_line(q, RP_LINE_SHIPPING,
	    RP_STR_LIT("shipping"), ship, 1, 1)) != 0)
		return r;

	if ((r = rp_tax(p, q->subtotal_yen, &q->tax_yen)) != 0 ||
	    (r = rp_yen_add(q->subtotal_yen, q->tax_yen, &q->total_yen)) != 0)
		return r;
	return 0;
}

int
rp_quote(const struct rp_policy *p, const struct rp_quote_in *in,
    struct rp_quote *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = build_quote(p, in, out)) != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

int
rp_cancel_fee(const struct rp_policy *p, int64_t subtotal_yen,
    struct rp_date departure, int64_t now, int *days_before,
    int64_t *fee_yen)
{
	const struct rp_cancel_tier *t;
	struct rp_localtime lt;
	int64_t fee;
	int32_t before;
	size_t i;
	int r;

	*fee_yen = 0;
	if (days_before != NULL)
		*days_before = 0;
	if (subtotal_yen < 0)
		return RP_E_INVAL;
	if (!rp_date_valid(departure) || p->n_cancel == 0)
		return RP_E_RANGE;
	if ((r = rp_time_local(now, p->utc_offset_min, &lt)) != 0)
		return r;
	before = rp_date_diff(lt.date, departure);
	/* Tiers are sorted by from_days_before, descending, and the last
	 * starts at 0: the first one we reach is the one that applies, and
	 * a cancellation after departure day falls through to the last. */
	t = &p->cancel[p->n_cancel - 1];
	for (i = 0; i < p->n_cancel; i++)
		if (before >= p->cancel[i].from_days_before) {
			t = &p->cancel[i];
			break;
		}
	if ((r = scale_floor(subtotal_yen, t->percent, 100, &fee)) != 0 ||
	    (r = rp_yen_add(fee, t->flat_yen, &fee)) != 0)
		return r;
	if (fee > subtotal_yen)
		fee = subtotal_yen;
	*fee_yen = fee;
	if (days_before != NULL)
		*days_before = (int)before;
	return 0;
}

int
rp_late_fee(const struct rp_policy *p, enum rp_device device, int quantity,
    struct rp_date due, struct rp_date returned, struct rp_late *out)
{
	const struct rp_late_rule *l;
	int64_t fee;
	int32_t late;
	int r;

	memset(out, 0, sizeof(*out));
	if ((unsigned)device >= RP_DEVICE__COUNT || quantity < 1 ||
	    quantity > RP_QUOTE_MAX_QTY)
		return RP_E_INVAL;
	if (!rp_date_valid(due) || !rp_date_valid(returned))
		return RP_E_RANGE;
	l = &p->late[device];
	late = rp_date_diff(due, returned);
	if (late <= 0)
		return 0;
	out->days_late = (int)late;
	out->charged_days = late <= l->grace_days ? 0 : (int)late;
	if (l->lost_after_days > 0 && late > l->lost_after_days) {
		/* From then on the loss fee replaces the late fee. */
		out->lost = true;
		out->charged_days = l->lost_after_days;
		if (out->charged_days <= l->grace_days)
			out->charged_days = 0;
	}
	if ((r = rp_yen_mul(l->per_day_yen, out->charged_days, &fee)) != 0)
		goto out;
	/* The cap is per device. */
	if (l->cap_yen > 0 && fee > l->cap_yen)
		fee = l->cap_yen;
	if ((r = rp_yen_mul(fee, quantity, &fee)) != 0)
		goto out;
	out->fee_yen = fee;
	return 0;
 out:
	memset(out, 0, sizeof(*out));
	return r;
}

int
rp_loss_charge(const struct rp_policy *p, enum rp_device device,
    enum rp_item item, enum rp_incident kind, const struct rp_insurance *ins,
    bool police_report, int64_t *charge_yen)
{
	const struct rp_loss_item *it;
	int64_t base, covered, pay, ded;
	int covers;
	int r;

	*charge_yen = 0;
	if ((unsigned)device >= RP_DEVICE__COUNT ||
	    (unsigned)item >= RP_ITEM__COUNT ||
	    (kind != RP_INCIDENT_LOSS && kind != RP_INCIDENT_DAMAGE))
		return RP_E_INVAL;
	it = &p->loss[device][item];
	if (!it->present)
		return RP_E_NOTFOUND;
	base = kind == RP_INCIDENT_LOSS ? it->loss_yen : it->damage_yen;
	if (ins == NULL || !it->insurable) {
		*charge_yen = base;
		return 0;
	}
	if (kind == RP_INCIDENT_DAMAGE)
		covers = ins->damage_covers_percent;
	else if (police_report)
		covers = ins->loss_covers_percent;
	else
		covers = ins->loss_no_report_covers_percent;
	if ((r = scale_floor(base, covers, 100, &covered)) != 0)
		return r;
	pay = base - covered;
	ded = ins->deductible_yen < base ? ins->deductible_yen : base;
	*charge_yen = pay > ded ? pay : ded;
	return 0;
}

int
rp_service_fee(const struct rp_policy *p, enum rp_service_fee fee,
    const struct rp_insurance *ins, int64_t *fee_yen)
{
	*fee_yen = 0;
	if ((unsigned)fee >= RP_FEE__COUNT)
		return RP_E_INVAL;
	if (ins == NULL || !ins->waives[fee])
		*fee_yen = p->service_fee_yen[fee];
	return 0;
}

int
rp_change_allowed(const struct rp_policy *p, struct rp_date departure,
    int64_t now, int64_t *deadline)
{
	struct rp_date day;
	int64_t t;
	int r;

	if (deadline != NULL)
		*deadline = 0;
	if ((r = rp_date_add_days(departure, -p->change_deadline_days,
	    &day)) != 0 ||
	    (r = rp_date_to_unix(day, 1440, p->utc_offset_min, &t)) != 0)
		return r;
	if (deadline != NULL)
		*deadline = t;
	return now < t ? 0 : RP_E_DENIED;
}

int
rp_counter_order_allowed(const struct rp_counter_rule *rule,
    struct rp_date departure, int utc_offset_min, int64_t now,
    int64_t *deadline)
{
	struct rp_date day;
	int64_t t;
	int r;

	if (deadline != NULL)
		*deadline = 0;
	if ((r = rp_counter_rule_check(rule)) != 0 ||
	    (r = rp_date_add_days(departure, -rule->days_before, &day)) != 0 ||
	    (r = rp_date_to_unix(day, rule->cutoff_hour * 60, utc_offset_min,
	    &t)) != 0)
		return r;
	if (deadline != NULL)
		*deadline = t;
	return now < t ? 0 : RP_E_DENIED;
}
