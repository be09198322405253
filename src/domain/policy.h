/* SPDX-License-Identifier: ISC */
/*
 * policy.h — the company's commercial terms as data: day counting, tax,
 * shipping, change and cancellation windows, late fees, the loss/damage
 * schedule, insurance tiers and per-counter order deadlines.
 *
 * A policy is a JSON document (schema in docs/policy.md).  The store keeps
 * each version's text, and every order keeps the text it was sold under,
 * since those are the terms the customer accepted; rp_policy_parse() turns
 * the text into a plain, fixed-size struct (no heap, nothing to free) that
 * the fee functions in domain/pricing.h read.  The parser is strict — an
 * unknown key, a wrong type, a negative amount or a value past its cap is
 * an error naming the key — because a typo in a policy is a wrong price.
 *
 * All money is integer yen, tax-exclusive.  Rates are basis points
 * (1000 = 10%) for tax, whole percent (0..100) for cancellation and
 * insurance coverage.
 *
 * Trusted input: policy documents come from back-office staff and the
 * store, but are still parsed as if hostile (fuzz-tested).
 */
#ifndef RP_DOMAIN_POLICY_H
#define RP_DOMAIN_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errors.h"
#include "util/str.h"

/* Caps (a document past them is refused). */
#define RP_POLICY_MAX_BYTES		65536
#define RP_POLICY_MAX_CANCEL_TIERS	8
#define RP_POLICY_MAX_INSURANCE		8
#define RP_POLICY_MAX_COUNTERS		64
#define RP_POLICY_CODE_MAX		32	/* bytes of a code, no NUL */
#define RP_POLICY_NAME_MAX		128
#define RP_POLICY_MAX_YEN		10000000	/* any single amount */
#define RP_POLICY_MAX_DAYS		366	/* any count of days */
#define RP_POLICY_MAX_TAX_BP		5000	/* 50% */
#define RP_POLICY_ERR_MAX		160	/* error text incl. NUL */

/* Name of the embedded default policy document. */
#define RP_POLICY_DEFAULT_NAME	"src/domain/policy_default.json"

/* How charged rental days are counted. */
enum rp_day_rule {
	/* Departure date .. return date inclusive, both in local time. */
	RP_DAY_RULE_CALENDAR_INCLUSIVE = 1,
};

enum rp_rounding {
	RP_ROUND_FLOOR = 1,	/* Japanese retail habit: drop fractions */
	RP_ROUND_HALF_UP,
	RP_ROUND_CEIL,
};

enum rp_device {
	RP_DEVICE_ROUTER = 0,
	RP_DEVICE_SIM,
	RP_DEVICE_PHONE,
	RP_DEVICE__COUNT
};

/* Parts of a kit that can be lost or damaged. */
enum rp_item {
	RP_ITEM_DEVICE = 0,
	RP_ITEM_SIM,
	RP_ITEM_ADAPTER,
	RP_ITEM_BATTERY,
	RP_ITEM_CABLE,
	RP_ITEM_CASE,
	RP_ITEM__COUNT
};

/* Fixed service fees that insurance may waive. */
enum rp_service_fee {
	RP_FEE_SUSPENSION = 0,	/* SIM line suspension after a loss */
	RP_FEE_REPLACEMENT,	/* replacement unit sent abroad */
	RP_FEE__COUNT
};

/*
 * Cancellation tier: applies when the cancel date is at least
 * from_days_before days before the departure date (and no tier with a
 * larger from_days_before applies).  fee = percent of the order subtotal
 * (floor) + flat_yen, never more than the subtotal.
 */
struct rp_cancel_tier {
	int from_days_before;	/* 0 .. RP_POLICY_MAX_DAYS */
	int percent;		/* 0 .. 100 */
	int64_t flat_yen;
};

/* Late return, per device type. */
struct rp_late_rule {
	int64_t per_day_yen;
	int64_t cap_yen;	/* 0 = no cap */
	int grace_days;		/* late by <= grace_days: no fee */
	int lost_after_days;	/* late by more: treated as lost; 0 = never */
};

struct rp_loss_item {
	bool present;		/* part of this device type's kit */
	bool insurable;		/* insurance may lower its fees */
	int64_t loss_yen;
	int64_t damage_yen;
};

/*
 * Insurance tier: a daily price and a rewrite of the loss/damage schedule.
 * For an insurable item the customer pays base - floor(base * covers / 100),
 * but at least min(deductible_yen, base); a loss without a police report
 * uses loss_no_report_covers_percent instead of loss_covers_percent.
 */
struct rp_insurance {
	char code[RP_POLICY_CODE_MAX + 1];
	int64_t daily_yen;
	int loss_covers_percent;
	int loss_no_report_covers_percent;
	int damage_covers_percent;
	int64_t deductible_yen;
	bool waives[RP_FEE__COUNT];
};

/*
 * Counter order deadline: orders for pick-up at the counter close at local
 * cutoff_hour (0..24; 24 = end of day) days_before days before departure.
 */
struct rp_counter_rule {
	int days_before;	/* 0 .. RP_POLICY_MAX_DAYS */
	int cutoff_hour;	/* 0 .. 24 */
};

struct rp_counter_default {
	char code[RP_POLICY_CODE_MAX + 1];	/* airport code, e.g. "NRT" */
	struct rp_counter_rule rule;
};

struct rp_policy {
	int version;
	char name[RP_POLICY_NAME_MAX + 1];
	enum rp_day_rule day_rule;
	int utc_offset_min;
	int max_rental_days;		/* 1 .. RP_POLICY_MAX_DAYS */
	int tax_bp;			/* 0 .. RP_POLICY_MAX_TAX_BP */
	enum rp_rounding tax_rounding;
	int64_t ship_courier_round_trip_yen;
	int64_t ship_courier_return_yen;	/* counter pick-up, courier back */
	int change_deadline_days;	/* changes until 24:00 local, N days before */
	size_t n_cancel;
	struct rp_cancel_tier cancel[RP_POLICY_MAX_CANCEL_TIERS]; /* from_days desc */
	struct rp_late_rule late[RP_DEVICE__COUNT];
	struct rp_loss_item loss[RP_DEVICE__COUNT][RP_ITEM__COUNT];
	int64_t service_fee_yen[RP_FEE__COUNT];
	size_t n_insurance;
	struct rp_insurance insurance[RP_POLICY_MAX_INSURANCE];
	size_t n_counters;
	struct rp_counter_default counters[RP_POLICY_MAX_COUNTERS];
	/* "stock" (optional): a rental holds its unit from departure less
	 * courier_days (delivered by courier) to return plus
	 * inspection_days (inspection and charging), plus courier_days when
	 * it comes back by courier or post.  Defaults 1 and 2; 0..14. */
	int stock_inspection_days;
	int stock_courier_days;
};

/*
 * Parses and validates a policy document.  On success fills *out and
 * returns 0.  On failure *out is zeroed, err (if non-NULL, errlen > 0)
 * holds a NUL-terminated message naming the key path, e.g.
 * "cancellation[1].percent: must be an integer 0..100", and the return is
 * RP_E_TOOBIG (over RP_POLICY_MAX_BYTES), RP_E_INVAL (malformed JSON,
 * unknown or missing key, wrong type) or RP_E_RANGE (value past its
 * limits).  Never reads outside json.p[0..json.n).
 */
int rp_policy_parse(struct rp_str json, struct rp_policy *out, char *err,
    size_t errlen) RP_WARN_UNUSED;

/* The embedded default document's text (borrowed, static). */
struct rp_str rp_policy_default_json(void);
/* Parses the embedded default policy (0, or an error as above). */
int rp_policy_load_default(struct rp_policy *out, char *err, size_t errlen)
    RP_WARN_UNUSED;

/* Names used in documents and messages ("router", "sim", "phone"...). */
const char *rp_device_name(enum rp_device d);
const char *rp_item_name(enum rp_item i);
/* Reverse look-ups: 0, or RP_E_NOTFOUND with *out unchanged. */
int rp_device_from_name(struct rp_str s, enum rp_device *out) RP_WARN_UNUSED;
int rp_item_from_name(struct rp_str s, enum rp_item *out) RP_WARN_UNUSED;

/* True if s is a valid plan/option/tier/counter code: 1..32 of [A-Za-z0-9_-]. */
bool rp_code_valid(struct rp_str s);

/* The insurance tier with this code (borrowed from p), or NULL. */
const struct rp_insurance *rp_policy_insurance(const struct rp_policy *p,
    struct rp_str code);
/* The default deadline rule of a counter code: 0 or RP_E_NOTFOUND. */
int rp_policy_counter_rule(const struct rp_policy *p, struct rp_str code,
    struct rp_counter_rule *out) RP_WARN_UNUSED;
/* Validates a counter rule held elsewhere (e.g. a store row): 0/RP_E_RANGE. */
int rp_counter_rule_check(const struct rp_counter_rule *rule) RP_WARN_UNUSED;

#endif
