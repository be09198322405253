/* SPDX-License-Identifier: ISC */
/*
 * test_pricing.c — quotes and fees, with the worked examples of
 * ../shared/reference/rental-domain.md (k-wifi lines, Global WiFi and
 * Keikaku cancellation, イモト late fees, Genki Mobile loss fees, airport
 * order cut-offs).  Reference prices are tax-inclusive; the policy holds
 * them tax-exclusive (¥220 incl. = ¥200 + 10%).
 */
#include "util/common.h"

#include "domain/pricing.h"
#include "tap.h"

static struct rp_policy pol;	/* the embedded default */

static struct rp_date
D(int y, int m, int d)
{
	struct rp_date x = { y, m, d };

	return x;
}

/* Unix time of a JST wall-clock time. */
static int64_t
jst(int y, int mo, int d, int h, int mi)
{
	int64_t t = 0;

	if (rp_date_to_unix(D(y, mo, d), h * 60 + mi, 540, &t) != 0)
		diag("bad jst()");
	return t;
}

static struct rp_quote_in
kwifi(int days)
{
	struct rp_quote_in in;

	memset(&in, 0, sizeof(in));
	in.plan_code = RP_STR_LIT("kwifi-world");
	in.device = RP_DEVICE_ROUTER;
	in.daily_yen = 200;
	in.quantity = 1;
	in.departure = D(2026, 4, 1);
	if (rp_date_add_days(in.departure, days - 1, &in.return_date) != 0)
		diag("bad kwifi()");
	in.shipping = RP_SHIP_COURIER;
	return in;
}

static void
test_days(void)
{
	int n;

	is_int(rp_rental_days(&pol, D(2026, 3, 30), D(2026, 4, 2), &n), 0,
	    "30 Mar .. 2 Apr");
	is_int(n, 4, "month boundary: 4 days inclusive");
	is_int(rp_rental_days(&pol, D(2026, 4, 2), D(2026, 4, 2), &n), 0,
	    "same day");
	is_int(n, 1, "same day = 1 day");
	is_int(rp_rental_days(&pol, D(2028, 2, 28), D(2028, 3, 1), &n), 0,
	    "over leap day");
	is_int(n, 3, "2028-02-28 .. 03-01 = 3 days");
	is_int(rp_rental_days(&pol, D(2027, 2, 28), D(2027, 3, 1), &n), 0,
	    "common year");
	is_int(n, 2, "2027-02-28 .. 03-01 = 2 days");
	is_int(rp_rental_days(&pol, D(2026, 12, 30), D(2027, 1, 2), &n), 0,
	    "over new year");
	is_int(n, 4, "2026-12-30 .. 2027-01-02 = 4 days");
	is_int(rp_rental_days(&pol, D(2026, 4, 2), D(2026, 4, 1), &n),
	    RP_E_RANGE, "return before departure refused");
	is_int(n, 0, "days cleared");
	is_int(rp_rental_days(&pol, D(2026, 1, 1), D(2026, 6, 29), &n), 0,
	    "180 days allowed");
	is_int(n, 180, "180 days");
	is_int(rp_rental_days(&pol, D(2026, 1, 1), D(2026, 6, 30), &n),
	    RP_E_RANGE, "181 days refused");
	is_int(rp_rental_days(&pol, D(2026, 2, 29), D(2026, 3, 2), &n),
	    RP_E_RANGE, "invalid date refused");
}

static void
test_quote_kwifi(void)
{
	struct rp_quote_option opts[2];
	struct rp_quote_in in;
	struct rp_quote q;

	/* 5 days, full insurance, courier: 220x5 + 330x5 + 1,100 = 3,850. */
	in = kwifi(5);
	in.insurance = RP_STR_LIT("full");
	is_int(rp_quote(&pol, &in, &q), 0, "k-wifi quote");
	is_int(q.days, 5, "5 days");
	is_int(q.n_lines, 3, "rental, insurance, shipping");
	is_int(q.lines[0].kind, RP_LINE_RENTAL, "line 1 rental");
	is_str(q.lines[0].code, "kwifi-world", "line 1 plan code");
	ok(q.lines[0].unit_yen == 200 && q.lines[0].days == 5 &&
	    q.lines[0].quantity == 1 && q.lines[0].amount_yen == 1000,
	    "rental 200 x 5 = 1,000");
	ok(q.lines[1].kind == RP_LINE_INSURANCE &&
	    strcmp(q.lines[1].code, "full") == 0 &&
	    q.lines[1].amount_yen == 1500, "full insurance 300 x 5 = 1,500");
	ok(q.lines[2].kind == RP_LINE_SHIPPING && q.lines[2].days == 1 &&
	    q.lines[2].amount_yen == 1000, "courier round trip 1,000");
	is_int(q.subtotal_yen, 3500, "subtotal 3,500");
	is_int(q.tax_yen, 350, "tax 350");
	is_int(q.total_yen, 3850, "total 3,850");
	is_int(q.total_yen, 220 * 5 + 330 * 5 + 1100, "= 220x5+330x5+1,100");

	/* Light insurance ¥165 incl., counter pick-up + courier back ¥550,
	 * multi-plug ¥110/day and early receipt ¥550 incl. */
	opts[0] = (struct rp_quote_option){ RP_STR_LIT("multiplug"),
	    RP_CHARGE_PER_DAY, 100, 1 };
	opts[1] = (struct rp_quote_option){ RP_STR_LIT("early"),
	    RP_CHARGE_FLAT, 500, 1 };
	in = kwifi(5);
	in.insurance = RP_STR_LIT("light");
	in.shipping = RP_SHIP_COUNTER_COURIER_BACK;
	in.options = opts;
	in.n_options = 2;
	is_int(rp_quote(&pol, &in, &q), 0, "quote with options");
	is_int(q.n_lines, 5, "five lines");
	ok(q.lines[1].amount_yen == 750, "light 150 x 5 = 750");
	ok(q.lines[2].kind == RP_LINE_OPTION && q.lines[2].amount_yen == 500 &&
	    q.lines[2].days == 5, "multi-plug 100 x 5 = 500");
	ok(q.lines[3].kind == RP_LINE_OPTION && q.lines[3].amount_yen == 500 &&
	    q.lines[3].days == 1, "early receipt flat 500");
	ok(q.lines[4].amount_yen == 500, "courier return 500");
	is_int(q.subtotal_yen, 1000 + 750 + 500 + 500 + 500, "subtotal 3,250");
	is_int(q.total_yen, 220 * 5 + 165 * 5 + 110 * 5 + 550 + 550,
	    "total = tax-inclusive reference prices");

	/* Counter both ways, 2 devices: no shipping line, quantities. */
	in = kwifi(3);
	in.shipping = RP_SHIP_COUNTER;
	in.quantity = 2;
	is_int(rp_quote(&pol, &in, &q), 0, "counter quote");
	is_int(q.n_lines, 1, "rental only");
	is_int(q.subtotal_yen, 200 * 3 * 2, "200 x 3 days x 2 devices");
	is_int(q.tax_yen, 120, "tax 120");

	/* A corporate price list replaces the daily line's price. */
	in = kwifi(5);
	in.corporate = true;
	in.corporate_daily_yen = 150;
	is_int(rp_quote(&pol, &in, &q), 0, "corporate quote");
	ok(q.lines[0].unit_yen == 150 && q.lines[0].amount_yen == 750,
	    "corporate 150 x 5 = 750");
	is_int(q.subtotal_yen, 1750, "corporate subtotal");
	is_int(q.total_yen, 1925, "corporate total");
}

static void
test_quote_refused(void)
{
	struct rp_quote_option opts[RP_QUOTE_MAX_OPTIONS + 1];
	struct rp_quote_in in;
	struct rp_quote q;
	size_t i;

	in = kwifi(5);
	in.return_date = D(2026, 3, 31);
	is_int(rp_quote(&pol, &in, &q), RP_E_RANGE, "return before departure");
	ok(q.n_lines == 0 && q.total_yen == 0 && q.days == 0,
	    "quote zeroed on failure");
	in = kwifi(181);
	is_int(rp_quote(&pol, &in, &q), RP_E_RANGE, "181-day rental");
	in = kwifi(180);
	is_int(rp_quote(&pol, &in, &q), 0, "180-day rental");
	in.daily_yen = INT64_MAX / 100;
	is_int(rp_quote(&pol, &in, &q), RP_E_OVERFLOW, "daily x days overflow");
	ok(q.n_lines == 0 && q.subtotal_yen == 0, "zeroed after overflow");
	in.daily_yen = INT64_MAX / 180;
	is_int(rp_quote(&pol, &in, &q), RP_E_OVERFLOW,
	    "line fits, subtotal + shipping overflows");
	in.daily_yen = INT64_MAX / 1000;
	in.shipping = RP_SHIP_COUNTER;
	is_int(rp_quote(&pol, &in, &q), RP_E_OVERFLOW, "tax overflows");
	in = kwifi(5);
	in.daily_yen = -1;
	is_int(rp_quote(&pol, &in, &q), RP_E_INVAL, "negative price");
	in = kwifi(5);
	in.corporate = true;
	in.corporate_daily_yen = -200;
	is_int(rp_quote(&pol, &in, &q), RP_E_INVAL, "negative corporate price");
	in = kwifi(5);
	in.quantity = 0;
	is_int(rp_quote(&pol, &in, &q), RP_E_INVAL, "zero devices");
	in.quantity = RP_QUOTE_MAX_QTY + 1;
	is_int(rp_quote(&pol, &in, &q), RP_E_INVAL, "101 devices");
	in = kwifi(5);
	in.plan_code = RP_STR_LIT("");
	is_int(rp_quote(&pol, &in, &q), RP_E_INVAL, "empty plan code");
	in.plan_code = RP_STR_LIT("eu<script>");
	is_int(rp_quote(&pol, &in, &q), RP_E_INVAL, "bad plan code");
	in = kwifi(5);
	in.insurance = RP_STR_LIT("platinum");
	is_int(rp_quote(&pol, &in, &q), RP_E_NOTFOUND, "unknown insurance");
	in = kwifi(5);
	in.shipping = (enum rp_shipping)0;
	is_int(rp_quote(&pol, &in, &q), RP_E_INVAL, "bad shipping kind");
	in = kwifi(5);
	in.device = RP_DEVICE__COUNT;
	is_int(rp_quote(&pol, &in, &q), RP_E_INVAL, "bad device");
	for (i = 0; i < RP_ARRAY_LEN(opts); i++)
		opts[i] = (struct rp_quote_option){ RP_STR_LIT("plug"),
		    RP_CHARGE_FLAT, 1, 1 };
	in = kwifi(5);
	in.options = opts;
	in.n_options = RP_QUOTE_MAX_OPTIONS;
	is_int(rp_quote(&pol, &in, &q), 0, "8 options accepted");
	is_int(q.n_lines, 10, "10 lines");
	in.n_options = RP_QUOTE_MAX_OPTIONS + 1;
	is_int(rp_quote(&pol, &in, &q), RP_E_INVAL, "9 options refused");
	in.n_options = 1;
	opts[0].charge = (enum rp_charge)7;
	is_int(rp_quote(&pol, &in, &q), RP_E_INVAL, "bad charge kind");
	opts[0].charge = RP_CHARGE_PER_DAY;
	opts[0].quantity = 0;
	is_int(rp_quote(&pol, &in, &q), RP_E_INVAL, "option quantity 0");
	opts[0].quantity = 1;
	opts[0].unit_yen = -5;
	is_int(rp_quote(&pol, &in, &q), RP_E_INVAL, "negative option price");
	in.options = NULL;
	is_int(rp_quote(&pol, &in, &q), RP_E_INVAL, "options NULL with n 1");
}

static void
test_tax(void)
{
	struct rp_policy p = pol;
	int64_t t;

	is_int(rp_tax(&p, 1999, &t), 0, "tax floor");
	is_int(t, 199, "floor(199.9) = 199");
	p.tax_rounding = RP_ROUND_HALF_UP;
	is_int(rp_tax(&p, 1995, &t), 0, "half up");
	is_int(t, 200, "199.5 -> 200");
	is_int(rp_tax(&p, 1994, &t), 0, "half up below");
	is_int(t, 199, "199.4 -> 199");
	p.tax_rounding = RP_ROUND_CEIL;
	is_int(rp_tax(&p, 1991, &t), 0, "ceil");
	is_int(t, 200, "199.1 -> 200");
	is_int(rp_tax(&p, 2000, &t), 0, "ceil exact");
	is_int(t, 200, "200.0 -> 200");
	p.tax_bp = 800;
	p.tax_rounding = RP_ROUND_FLOOR;
	is_int(rp_tax(&p, 1234, &t), 0, "reduced rate 8%");
	is_int(t, 98, "floor(98.72) = 98");
	is_int(rp_tax(&p, -1, &t), RP_E_INVAL, "negative amount");
}

/* Parses the default document with its cancellation list replaced. */
static int
policy_with_cancel(const char *tiers, struct rp_policy *out)
{
	struct rp_str d = rp_policy_default_json();
	const char *a = strstr(d.p, "\"cancellation\": ["), *b;
	char doc[8192], err[RP_POLICY_ERR_MAX];
	int n, r;

	if (a == NULL || (b = strchr(a, ']')) == NULL)
		return RP_E_INVAL;
	n = snprintf(doc, sizeof(doc), "%.*s\"cancellation\": %s%s",
	    (int)(a - d.p), d.p, tiers, b + 1);
	if (n < 0 || (size_t)n >= sizeof(doc))
		return RP_E_TOOBIG;
	r = rp_policy_parse(rp_str_c(doc), out, err, sizeof(err));
	if (r != 0)
		diag("policy: %s", err);
	return r;
}

static void
test_cancel(void)
{
	struct rp_date dep = D(2026, 4, 10);
	struct rp_policy kk, flat;
	int64_t fee;
	int before;

	/* Global WiFi (default): free until 4 days before, 100% from 3. */
	is_int(rp_cancel_fee(&pol, 10000, dep, jst(2026, 4, 6, 23, 59),
	    &before, &fee), 0, "GW 4 days before");
	ok(before == 4 && fee == 0, "4 days before 23:59 JST: free");
	/* 2026-04-06T15:00Z is already the 7th in Japan. */
	is_int(rp_cancel_fee(&pol, 10000, dep, jst(2026, 4, 7, 0, 0),
	    &before, &fee), 0, "GW 3 days before");
	ok(before == 3 && fee == 10000, "3 days before 00:00 JST: 100%");
	is_int(rp_cancel_fee(&pol, 10000, dep, jst(2026, 3, 1, 12, 0),
	    &before, &fee), 0, "GW 40 days before");
	ok(before == 40 && fee == 0, "40 days before: free");
	is_int(rp_cancel_fee(&pol, 10000, dep, jst(2026, 4, 12, 9, 0),
	    &before, &fee), 0, "GW after departure");
	ok(before == -2 && fee == 10000, "after departure: last tier");
	is_int(rp_cancel_fee(&pol, -1, dep, 0, &before, &fee), RP_E_INVAL,
	    "negative subtotal");
	is_int(rp_cancel_fee(&pol, 1, D(2026, 4, 31), 0, NULL, &fee),
	    RP_E_RANGE, "invalid departure");

	/* Keikaku: >30 days 25%, 30..6 days 50%, <=5 days no refund. */
	is_int(policy_with_cancel("[{\"from_days_before\": 31, \"percent\": 25},"
	    "{\"from_days_before\": 6, \"percent\": 50},"
	    "{\"from_days_before\": 0, \"percent\": 100}]", &kk), 0,
	    "Keikaku policy parses");
	is_int(rp_cancel_fee(&kk, 9999, dep, jst(2026, 3, 10, 10, 0),
	    &before, &fee), 0, "KK 31 days");
	ok(before == 31 && fee == 2499, "31 days: 25% (floor 2,499.75)");
	is_int(rp_cancel_fee(&kk, 9999, dep, jst(2026, 3, 11, 10, 0),
	    &before, &fee), 0, "KK 30 days");
	ok(before == 30 && fee == 4999, "30 days: 50%");
	is_int(rp_cancel_fee(&kk, 9999, dep, jst(2026, 4, 4, 10, 0),
	    &before, &fee), 0, "KK 6 days");
	ok(before == 6 && fee == 4999, "6 days: 50%");
	is_int(rp_cancel_fee(&kk, 9999, dep, jst(2026, 4, 5, 10, 0),
	    &before, &fee), 0, "KK 5 days");
	ok(before == 5 && fee == 9999, "5 days: 100%");

	/* Flat handling fees (multilingualcart style) are capped at the
	 * subtotal. */
	is_int(policy_with_cancel("[{\"from_days_before\": 5, \"percent\": 0},"
	    "{\"from_days_before\": 0, \"percent\": 0, \"flat_yen\": 540}]",
	    &flat), 0, "flat-fee policy parses");
	is_int(rp_cancel_fee(&flat, 3000, dep, jst(2026, 4, 8, 10, 0),
	    NULL, &fee), 0, "flat fee");
	is_int(fee, 540, "flat ¥540 handling");
	is_int(rp_cancel_fee(&flat, 300, dep, jst(2026, 4, 8, 10, 0),
	    NULL, &fee), 0, "flat fee capped");
	is_int(fee, 300, "never more than the subtotal");
	is_int(rp_cancel_fee(&flat, INT64_MAX, dep, jst(2026, 4, 8, 10, 0),
	    NULL, &fee), 0, "huge subtotal, 0%");
	is_int(fee, 540, "0% of a huge subtotal + flat");
	is_int(rp_cancel_fee(&pol, INT64_MAX, dep, jst(2026, 4, 8, 10, 0),
	    NULL, &fee), RP_E_OVERFLOW, "100% of INT64_MAX overflows");
}

static void
test_late(void)
{
	struct rp_policy p = pol;
	struct rp_late l;
	int64_t tax;

	/* イモト: ¥2,200/day incl. x 3 days. */
	is_int(rp_late_fee(&pol, RP_DEVICE_ROUTER, 1, D(2026, 4, 5),
	    D(2026, 4, 8), &l), 0, "router 3 days late");
	ok(l.days_late == 3 && l.charged_days == 3 && !l.lost, "3 days");
	is_int(l.fee_yen, 6000, "2,000 x 3 ex-tax");
	is_int(rp_tax(&pol, l.fee_yen, &tax), 0, "late fee tax");
	is_int(l.fee_yen + tax, 2200 * 3, "= ¥2,200 x 3 incl. tax");
	is_int(rp_late_fee(&pol, RP_DEVICE_PHONE, 1, D(2026, 4, 5),
	    D(2026, 4, 8), &l), 0, "phone alone");
	is_int(l.fee_yen, 3000, "phone 1,000 x 3 (¥1,100 incl.)");
	is_int(rp_late_fee(&pol, RP_DEVICE_ROUTER, 2, D(2026, 4, 5),
	    D(2026, 4, 6), &l), 0, "two routers");
	is_int(l.fee_yen, 4000, "2 x 2,000 x 1 day");
	is_int(rp_late_fee(&pol, RP_DEVICE_ROUTER, 1, D(2026, 4, 5),
	    D(2026, 4, 5), &l), 0, "on time");
	ok(l.days_late == 0 && l.fee_yen == 0, "on time: no fee");
	is_int(rp_late_fee(&pol, RP_DEVICE_ROUTER, 1, D(2026, 4, 5),
	    D(2026, 4, 2), &l), 0, "early");
	ok(l.days_late == 0 && l.fee_yen == 0, "early: no fee, no refund");

	/* Genki Mobile: not back within 7 days -> treated as lost. */
	is_int(rp_late_fee(&pol, RP_DEVICE_ROUTER, 1, D(2026, 4, 5),
	    D(2026, 4, 12), &l), 0, "7 days late");
	ok(l.days_late == 7 && !l.lost && l.fee_yen == 14000,
	    "7 days late: still late, 14,000");
	is_int(rp_late_fee(&pol, RP_DEVICE_ROUTER, 1, D(2026, 4, 5),
	    D(2026, 4, 13), &l), 0, "8 days late");
	ok(l.days_late == 8 && l.lost && l.charged_days == 7 &&
	    l.fee_yen == 14000, "8 days late: lost, late fee stops at 7");

	/* イモト also: no late fee unless >= 2 days late; and a cap. */
	p.late[RP_DEVICE_ROUTER].grace_days = 1;
	p.late[RP_DEVICE_ROUTER].cap_yen = 5000;
	is_int(rp_late_fee(&p, RP_DEVICE_ROUTER, 1, D(2026, 4, 5),
	    D(2026, 4, 6), &l), 0, "1 day late, grace 1");
	ok(l.days_late == 1 && l.charged_days == 0 && l.fee_yen == 0,
	    "inside grace: free");
	is_int(rp_late_fee(&p, RP_DEVICE_ROUTER, 1, D(2026, 4, 5),
	    D(2026, 4, 7), &l), 0, "2 days late, grace 1");
	ok(l.charged_days == 2 && l.fee_yen == 4000, "past grace: all days");
	is_int(rp_late_fee(&p, RP_DEVICE_ROUTER, 2, D(2026, 4, 5),
	    D(2026, 4, 8), &l), 0, "capped");
	is_int(l.fee_yen, 10000, "cap 5,000 per device x 2");
	p.late[RP_DEVICE_ROUTER].per_day_yen = INT64_MAX / 2;
	p.late[RP_DEVICE_ROUTER].cap_yen = 0;
	is_int(rp_late_fee(&p, RP_DEVICE_ROUTER, 1, D(2026, 4, 5),
	    D(2026, 4, 8), &l), RP_E_OVERFLOW, "overflow refused");
	ok(l.fee_yen == 0 && l.days_late == 0, "cleared on overflow");
	is_int(rp_late_fee(&pol, RP_DEVICE_ROUTER, 0, D(2026, 4, 5),
	    D(2026, 4, 8), &l), RP_E_INVAL, "quantity 0");
	is_int(rp_late_fee(&pol, RP_DEVICE_ROUTER, 1, D(2026, 4, 31),
	    D(2026, 5, 8), &l), RP_E_RANGE, "invalid due date");
}

static void
test_loss(void)
{
	const struct rp_insurance *full, *light;
	struct rp_insurance ded;
	int64_t c;

	full = rp_policy_insurance(&pol, RP_STR_LIT("full"));
	light = rp_policy_insurance(&pol, RP_STR_LIT("light"));
	if (!ok(full != NULL && light != NULL, "tiers present"))
		return;

	/* Genki Mobile schedule, uninsured. */
	is_int(rp_loss_charge(&pol, RP_DEVICE_ROUTER, RP_ITEM_DEVICE,
	    RP_INCIDENT_LOSS, NULL, true, &c), 0, "router lost");
	is_int(c, 15000, "device ¥15,000");
	is_int(rp_loss_charge(&pol, RP_DEVICE_ROUTER, RP_ITEM_SIM,
	    RP_INCIDENT_LOSS, NULL, true, &c), 0, "SIM lost");
	is_int(c, 3000, "SIM ¥3,000");
	is_int(rp_loss_charge(&pol, RP_DEVICE_ROUTER, RP_ITEM_BATTERY,
	    RP_INCIDENT_LOSS, NULL, true, &c), 0, "battery lost");
	is_int(c, 2000, "battery ¥2,000");
	is_int(rp_loss_charge(&pol, RP_DEVICE_ROUTER, RP_ITEM_CASE,
	    RP_INCIDENT_LOSS, NULL, true, &c), 0, "case lost");
	is_int(c, 1000, "case ¥1,000");
	is_int(rp_loss_charge(&pol, RP_DEVICE_ROUTER, RP_ITEM_DEVICE,
	    RP_INCIDENT_DAMAGE, NULL, true, &c), 0, "router damaged");
	is_int(c, 7500, "damage ¥7,500");

	/* Insurance rewrites the schedule. */
	is_int(rp_loss_charge(&pol, RP_DEVICE_ROUTER, RP_ITEM_DEVICE,
	    RP_INCIDENT_LOSS, full, true, &c), 0, "full, reported");
	is_int(c, 0, "full covers 100%");
	is_int(rp_loss_charge(&pol, RP_DEVICE_ROUTER, RP_ITEM_DEVICE,
	    RP_INCIDENT_LOSS, full, false, &c), 0, "full, no police report");
	is_int(c, 7500, "no report: 50% covered");
	is_int(rp_loss_charge(&pol, RP_DEVICE_ROUTER, RP_ITEM_DEVICE,
	    RP_INCIDENT_LOSS, light, true, &c), 0, "light (mini)");
	is_int(c, 3000, "light covers 80%: pays 3,000");
	is_int(rp_loss_charge(&pol, RP_DEVICE_ROUTER, RP_ITEM_DEVICE,
	    RP_INCIDENT_DAMAGE, light, true, &c), 0, "light damage");
	is_int(c, 1500, "light damage: pays 1,500");
	is_int(rp_loss_charge(&pol, RP_DEVICE_PHONE, RP_ITEM_DEVICE,
	    RP_INCIDENT_LOSS, full, true, &c), 0, "phone, full");
	is_int(c, 28000, "smartphone not insurable");
	is_int(rp_loss_charge(&pol, RP_DEVICE_PHONE, RP_ITEM_SIM,
	    RP_INCIDENT_LOSS, full, true, &c), 0, "phone SIM, full");
	is_int(c, 0, "its SIM is insurable");

	/* Deductible: pays at least min(deductible, base). */
	ded = *full;
	ded.deductible_yen = 5000;
	is_int(rp_loss_charge(&pol, RP_DEVICE_ROUTER, RP_ITEM_DEVICE,
	    RP_INCIDENT_LOSS, &ded, true, &c), 0, "deductible");
	is_int(c, 5000, "deductible 5,000");
	is_int(rp_loss_charge(&pol, RP_DEVICE_ROUTER, RP_ITEM_CABLE,
	    RP_INCIDENT_LOSS, &ded, true, &c), 0, "deductible > base");
	is_int(c, 1000, "never more than the base fee");

	is_int(rp_loss_charge(&pol, RP_DEVICE_SIM, RP_ITEM_CABLE,
	    RP_INCIDENT_LOSS, NULL, true, &c), RP_E_NOTFOUND,
	    "SIM kit has no cable");
	is_int(rp_loss_charge(&pol, RP_DEVICE_ROUTER, RP_ITEM__COUNT,
	    RP_INCIDENT_LOSS, NULL, true, &c), RP_E_INVAL, "bad item");
	is_int(rp_loss_charge(&pol, RP_DEVICE_ROUTER, RP_ITEM_DEVICE,
	    (enum rp_incident)0, NULL, true, &c), RP_E_INVAL, "bad incident");

	is_int(rp_service_fee(&pol, RP_FEE_SUSPENSION, NULL, &c), 0, "susp");
	is_int(c, 1000, "suspension ¥1,000 uninsured");
	is_int(rp_service_fee(&pol, RP_FEE_SUSPENSION, light, &c), 0, "light");
	is_int(c, 0, "light waives suspension");
	is_int(rp_service_fee(&pol, RP_FEE_REPLACEMENT, light, &c), 0, "repl");
	is_int(c, 1000, "light does not waive replacement");
	is_int(rp_service_fee(&pol, RP_FEE_REPLACEMENT, full, &c), 0, "full");
	is_int(c, 0, "full waives replacement");
	is_int(rp_service_fee(&pol, RP_FEE__COUNT, NULL, &c), RP_E_INVAL,
	    "bad fee");
}

static void
test_deadlines(void)
{
	struct rp_counter_rule nrt, cts, fuk, bad = { 1, 25 };
	struct rp_date dep = D(2026, 4, 10);
	int64_t dl;

	if (!ok(rp_policy_counter_rule(&pol, RP_STR_LIT("NRT"), &nrt) == 0 &&
	    rp_policy_counter_rule(&pol, RP_STR_LIT("CTS"), &cts) == 0 &&
	    rp_policy_counter_rule(&pol, RP_STR_LIT("FUK"), &fuk) == 0,
	    "counter rules"))
		return;
	/* Narita: noon, 1 day before. */
	is_int(rp_counter_order_allowed(&nrt, dep, 540,
	    jst(2026, 4, 9, 11, 59), &dl), 0, "NRT 11:59 the day before");
	is_int(dl, 1775703600, "deadline 2026-04-09 12:00 JST");
	is_int(rp_counter_order_allowed(&nrt, dep, 540,
	    jst(2026, 4, 9, 12, 0), &dl), RP_E_DENIED, "NRT 12:00 refused");
	is_int(rp_counter_order_allowed(&nrt, dep, 540, dl - 1, NULL), 0,
	    "one second before");
	/* New Chitose: noon, 3 days before. */
	is_int(rp_counter_order_allowed(&cts, dep, 540,
	    jst(2026, 4, 7, 11, 59), &dl), 0, "CTS 11:59 3 days before");
	is_int(dl, 1775530800, "deadline 2026-04-07 12:00 JST");
	is_int(rp_counter_order_allowed(&cts, dep, 540,
	    jst(2026, 4, 7, 12, 0), NULL), RP_E_DENIED, "CTS 12:00 refused");
	is_int(rp_counter_order_allowed(&cts, dep, 540,
	    jst(2026, 4, 9, 8, 0), NULL), RP_E_DENIED, "CTS the day before");
	/* Fukuoka: 3 days before, end of day. */
	is_int(rp_counter_order_allowed(&fuk, dep, 540,
	    jst(2026, 4, 7, 23, 59), &dl), 0, "FUK 23:59 3 days before");
	is_int(dl, 1775574000, "deadline 2026-04-07 24:00 JST");
	is_int(rp_counter_order_allowed(&fuk, dep, 540,
	    jst(2026, 4, 8, 0, 0), NULL), RP_E_DENIED, "FUK next day refused");
	is_int(rp_counter_order_allowed(&bad, dep, 540, 0, &dl), RP_E_RANGE,
	    "bad rule");
	is_int(rp_counter_order_allowed(&nrt, dep, 900, 0, &dl), RP_E_RANGE,
	    "bad offset");

	/* Self-service changes until 24:00 three days before departure. */
	is_int(rp_change_allowed(&pol, dep, jst(2026, 4, 7, 23, 59), &dl), 0,
	    "change 3 days before 23:59");
	is_int(dl, 1775574000, "change deadline 2026-04-07 24:00 JST");
	is_int(rp_change_allowed(&pol, dep, jst(2026, 4, 8, 0, 0), NULL),
	    RP_E_DENIED, "change 2 days before refused");
}

int
main(void)
{
	char err[RP_POLICY_ERR_MAX];

	if (rp_policy_load_default(&pol, err, sizeof(err)) != 0) {
		ok(0, "default policy");
		diag("%s", err);
		return tap_done();
	}
	test_days();
	test_quote_kwifi();
	test_quote_refused();
	test_tax();
	test_cancel();
	test_late();
	test_loss();
	test_deadlines();
	return tap_done();
}
