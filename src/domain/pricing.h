/* SPDX-License-Identifier: ISC */
/*
 * pricing.h — quotes and fees computed from a policy (domain/policy.h):
 * the rental quote (plan, corporate price, options, insurance, shipping,
 * tax), cancellation fees, late fees, loss/damage charges, the change
 * deadline and per-counter order deadlines.
 *
 * Plain structs in, plain structs out: no store, no allocation, no global
 * state, so the same code prices an order on the web tier, re-prices it at
 * the counter and in the seed generator.  All money is int64 yen through
 * checked arithmetic (RP_E_OVERFLOW rather than a wrapped price); amounts
 * are tax-exclusive unless a name says otherwise, and tax is computed once
 * on a subtotal with the policy's rounding (rp_tax()).
 *
 * Inputs come from validated forms and store rows, but every function
 * re-checks its ranges (RP_E_INVAL / RP_E_RANGE) instead of trusting them.
 */
#ifndef RP_DOMAIN_PRICING_H
#define RP_DOMAIN_PRICING_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/date.h"
#include "domain/policy.h"
#include "util/errors.h"
#include "util/str.h"

#define RP_QUOTE_MAX_LINES	16
#define RP_QUOTE_MAX_OPTIONS	8
#define RP_QUOTE_MAX_QTY	100	/* devices or units of one option */

enum rp_charge {
	RP_CHARGE_PER_DAY = 1,	/* unit price x quantity x rental days */
	RP_CHARGE_FLAT,		/* unit price x quantity, once */
};

enum rp_shipping {
	RP_SHIP_COUNTER = 1,		/* counter out and back: no fee */
	RP_SHIP_COURIER,		/* courier both ways */
	RP_SHIP_COUNTER_COURIER_BACK,	/* counter pick-up, courier return */
};

enum rp_line_kind {
	RP_LINE_RENTAL = 1,
	RP_LINE_INSURANCE,
	RP_LINE_OPTION,
	RP_LINE_SHIPPING,
};

struct rp_quote_option {
	struct rp_str code;	/* borrowed; 1..RP_POLICY_CODE_MAX bytes */
	enum rp_charge charge;
	int64_t unit_yen;	/* >= 0, tax-exclusive */
	int quantity;		/* 1 .. RP_QUOTE_MAX_QTY */
};

struct rp_quote_in {
	struct rp_str plan_code;	/* borrowed; 1..RP_POLICY_CODE_MAX */
	enum rp_device device;
	int64_t daily_yen;		/* plan's list price, tax-exclusive */
	bool corporate;			/* a corporate price list applies */
	int64_t corporate_daily_yen;	/* used instead when corporate */
	int quantity;			/* devices, 1 .. RP_QUOTE_MAX_QTY */
	struct rp_str insurance;	/* tier code in the policy, or empty */
	const struct rp_quote_option *options;	/* borrowed, n_options */
	size_t n_options;		/* 0 .. RP_QUOTE_MAX_OPTIONS */
	struct rp_date departure;
	struct rp_date return_date;
	enum rp_shipping shipping;
};

struct rp_quote_line {
	enum rp_line_kind kind;
	char code[RP_POLICY_CODE_MAX + 1];	/* plan/option/tier code, "shipping" */
	int64_t unit_yen;
	int quantity;
	int days;			/* rental days for per-day lines, else 1 */
	int64_t amount_yen;		/* unit x quantity x days */
};

struct rp_quote {
	int days;			/* charged rental days */
	size_t n_lines;
	struct rp_quote_line lines[RP_QUOTE_MAX_LINES];
	int64_t subtotal_yen;		/* tax-exclusive */
	int64_t tax_yen;
	int64_t total_yen;		/* tax-inclusive */
};

/*
 * Charged rental days under the policy's day rule (calendar_inclusive:
 * departure .. return, both counted).  RP_E_RANGE if a date is invalid,
 * the return precedes the departure, or the rental is longer than
 * p->max_rental_days.
 */
int rp_rental_days(const struct rp_policy *p, struct rp_date departure,
    struct rp_date return_date, int *out) RP_WARN_UNUSED;

/* Tax on a tax-exclusive amount (>= 0) with the policy's rate and rounding. */
int rp_tax(const struct rp_policy *p, int64_t amount_yen, int64_t *tax_yen)
    RP_WARN_UNUSED;

/*
 * Prices an order.  *out is zeroed first and filled only on success.
 * Lines, in order: rental (plan code; corporate daily price if set),
 * insurance (tier code) if any, options in input order, shipping if any.
 * Errors: RP_E_INVAL (bad code, negative price, quantity, charge or
 * shipping kind, too many options), RP_E_NOTFOUND (unknown insurance tier),
 * RP_E_RANGE (dates, see rp_rental_days), RP_E_OVERFLOW (money overflow).
 */
int rp_quote(const struct rp_policy *p, const struct rp_quote_in *in,
    struct rp_quote *out) RP_WARN_UNUSED;

/*
 * Cancellation fee (tax-exclusive) for an order whose tax-exclusive
 * subtotal is subtotal_yen, departing on departure, cancelled at unix time
 * now.  Days before departure are counted in the policy's local dates; a
 * cancellation on or after the departure date uses the last tier.  The fee
 * never exceeds the subtotal.  *days_before (if non-NULL) gets the count.
 * RP_E_INVAL on a negative subtotal, RP_E_RANGE on a bad date/time.
 */
int rp_cancel_fee(const struct rp_policy *p, int64_t subtotal_yen,
    struct rp_date departure, int64_t now, int *days_before,
    int64_t *fee_yen) RP_WARN_UNUSED;

struct rp_late {
	int days_late;		/* 0 if returned on time or early */
	int charged_days;	/* 0 inside the grace period */
	int64_t fee_yen;	/* tax-exclusive, after the cap */
	bool lost;		/* late by more than lost_after_days */
};

/*
 * Late fee for quantity devices of one type due back on due and returned
 * (or still out) on returned.  RP_E_RANGE on bad dates, RP_E_INVAL on a bad
 * device or quantity, RP_E_OVERFLOW on overflow.
 */
int rp_late_fee(const struct rp_policy *p, enum rp_device device,
    int quantity, struct rp_date due, struct rp_date returned,
    struct rp_late *out) RP_WARN_UNUSED;

enum rp_incident {
	RP_INCIDENT_LOSS = 1,
	RP_INCIDENT_DAMAGE,
};

/*
 * What the customer pays (tax-exclusive) for a lost or damaged item of a
 * device type's kit, with insurance tier ins (borrowed, NULL = none) and
 * whether a police report was filed (loss only).  RP_E_NOTFOUND if the item
 * is not part of that kit, RP_E_INVAL on bad enums.
 */
int rp_loss_charge(const struct rp_policy *p, enum rp_device device,
    enum rp_item item, enum rp_incident kind, const struct rp_insurance *ins,
    bool police_report, int64_t *charge_yen) RP_WARN_UNUSED;

/* A service fee, or 0 if ins (NULL = none) waives it.  RP_E_INVAL on fee. */
int rp_service_fee(const struct rp_policy *p, enum rp_service_fee fee,
    const struct rp_insurance *ins, int64_t *fee_yen) RP_WARN_UNUSED;

/*
 * Self-service change deadline: 24:00 local, p->change_deadline_days days
 * before departure.  *deadline (if non-NULL) gets its unix time; returns 0
 * if now is before it, RP_E_DENIED if not, RP_E_RANGE on a bad date.
 */
int rp_change_allowed(const struct rp_policy *p, struct rp_date departure,
    int64_t now, int64_t *deadline) RP_WARN_UNUSED;

/*
 * Counter order deadline: local cutoff_hour on the day rule->days_before
 * days before departure, at utc_offset_min.  *deadline (if non-NULL) gets
 * its unix time; returns 0 if now is strictly before it, RP_E_DENIED if
 * not, RP_E_RANGE on a bad rule, date or offset.
 */
int rp_counter_order_allowed(const struct rp_counter_rule *rule,
    struct rp_date departure, int utc_offset_min, int64_t now,
    int64_t *deadline) RP_WARN_UNUSED;

#endif
