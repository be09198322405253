/* SPDX-License-Identifier: ISC */
/*
 * order_int.h — private to src/order/: the pricing side (price.c, which
 * includes domain/policy.h and domain/pricing.h) seen from the store side
 * (service.c, which includes store/store.h).  The two headers cannot meet
 * in one file (both define RP_DEVICE_*), so plain types cross here.
 */
#ifndef RP_ORDER_INT_H
#define RP_ORDER_INT_H

#include "domain/date.h"
#include "order/order.h"

struct order_policy;		/* a parsed policy (domain/policy.h) */

/*
 * Parses policy text json (NUL-terminated; NULL = the embedded default).
 * 0 and *out (owned: order_policy_free), RP_E_NOMEM or the parser's error.
 */
int order_policy_load(const char *json, struct order_policy **out)
    RP_WARN_UNUSED;
void order_policy_free(struct order_policy *p);		/* NULL-safe */
int order_policy_utc_offset(const struct order_policy *p);

enum order_ship {
	ORDER_SHIP_COUNTER = 1,		/* counter out and back */
	ORDER_SHIP_COURIER,		/* courier both ways */
	ORDER_SHIP_COUNTER_COURIER_BACK,
};

struct order_price_opt {
	const char *code;		/* borrowed, NUL-terminated */
	bool insurance;			/* store kind "insurance" */
	int64_t daily_yen;
	int qty;
};

struct order_price_in {
	const char *plan_code;		/* borrowed */
	int device;			/* store's enum rp_device_kind: same values
					 * as the domain's enum rp_device */
	int64_t daily_yen;
	bool corporate;
	int64_t corporate_daily_yen;
	int qty;
	struct order_price_opt opt[RP_ORDER_MAX_OPTIONS];
	size_t nopt;
	struct rp_date dep, ret;
	enum order_ship ship;
};

/*
 * Prices in under pol with rp_quote.  An insurance option
 * "insurance_<tier>" whose tier the policy has becomes the quote's
 * insurance (one at most); other options are per-day lines.  Errors the
 * customer can fix go to errs with RP_E_INVAL ("rental_too_long",
 * "duplicate", "unknown_option"); others are returned as they are.
 */
int order_price(const struct order_policy *pol, const struct order_price_in *in,
    struct rp_order_quote *out, struct rp_order_errors *errs) RP_WARN_UNUSED;

/* Counter order deadline: 0 while open, RP_E_DENIED after, RP_E_RANGE. */
int order_counter_deadline(const struct order_policy *pol, int days_before,
    int cutoff_hour, struct rp_date dep, int64_t now) RP_WARN_UNUSED;
/* rp_cancel_fee and rp_change_allowed under pol. */
int order_cancel_fee(const struct order_policy *pol, int64_t subtotal_yen,
    struct rp_date dep, int64_t now, int *days_before, int64_t *fee_yen)
    RP_WARN_UNUSED;
int order_change_allowed(const struct order_policy *pol, struct rp_date dep,
    int64_t now) RP_WARN_UNUSED;

/* ---- stock (stock.c) ------------------------------------------------------ */

/* The policy's "stock" buffers, in days. */
void order_policy_stock_days(const struct order_policy *p, int *inspection,
    int *courier);

struct rp_store;
struct rp_plan;
struct rp_stock_hold;

/* A trip as stock sees it (handovers: store.h's enum rp_handover). */
struct order_trip {
	int qty;
	int pickup, ret;
	int64_t counter_id;		/* the pickup counter; 0 = courier */
	struct rp_date dep, retd;
	int64_t now;			/* for the counters' order deadlines
					 * (alternatives); 0 = at the desk */
};

/* The hold of qty units of device kind for a trip: the pool and window
 * (the file's comment). */
int order_stock_window(const struct order_policy *pol, int kind, int qty,
    int pickup, int64_t counter_id, int ret, struct rp_date dep,
    struct rp_date retd, struct rp_stock_hold *h) RP_WARN_UNUSED;

/*
 * Fills *h for plan's trip t and counts it: 0 while t->qty are free;
 * else "sold_out" in errs with the alternatives and RP_E_FULL (or a
 * store error).
 */
int order_stock_check(struct rp_store *st, const struct order_policy *pol,
    const struct rp_plan *plan, const struct order_trip *t,
    struct rp_stock_hold *h, struct rp_order_errors *errs) RP_WARN_UNUSED;

/* "sold_out" on field (< 0: pickup_counter, or depart for courier
 * delivery) and the alternatives to t in errs: RP_E_FULL (or a store
 * error). */
int order_stock_sold_out(struct rp_store *st, const struct order_policy *pol,
    const struct rp_plan *plan, const struct order_trip *t, int field,
    struct rp_order_errors *errs) RP_WARN_UNUSED;


/*
 * What a unit's return costs beyond the order's price (the counter, order
 * /counter.c): late days per the policy's late rule and grace, then by
 * condition — damaged: the device's damage fee; parts_missing: the loss
 * fee of each missing item; lost: the loss fee of every item of the kit
 * (police_report lowers it under a cover that says so) — each under the
 * order's cover (insurance tier code, "" none).  Lines into out (at most
 * max): code "late" (qty = charged days), "damage:device", "loss:ITEM".
 * *late_days = days late (0 on time).  RP_E_NOTFOUND: a missing item not
 * in that device's kit; RP_E_RANGE bad dates; RP_E_INVAL otherwise.
 */
#define ORDER_FEE_LINES_MAX	12
struct order_fee_in {
	int device;			/* enum rp_device_kind == enum rp_device */
	const char *cover;		/* insurance tier code, "" none */
	struct rp_date due, returned;
	int condition;			/* enum rp_unit_condition */
	const int *missing;		/* enum rp_item, for parts_missing */
	size_t n_missing;
	bool police_report;
};
struct order_fee_line {
	char code[33];
	int qty;
	int64_t amount_yen;		/* tax-exclusive */
};
int order_return_fees(const struct order_policy *pol,
    const struct order_fee_in *in, struct order_fee_line *out, size_t max,
    size_t *n, int *late_days) RP_WARN_UNUSED;
/* An item's number from its name ("cable"): 0 or RP_E_NOTFOUND. */
int order_item_parse(struct rp_str name, int *item) RP_WARN_UNUSED;
/* Tax on a tax-exclusive amount under the policy. */
int order_tax(const struct order_policy *pol, int64_t amount, int64_t *tax)
    RP_WARN_UNUSED;
/* The insurance tier an option code stands for ("insurance_full" →
 * "full"), copied into out; false if none. */
bool order_cover_of(const struct order_policy *pol, const char *option_code,
    char *out, size_t n);
/* The latest policy in the store (the embedded one if none): service.c. */
struct rp_store;
int order_load_policy(struct rp_store *st, struct order_policy **pol,
    int64_t *id) RP_WARN_UNUSED;

#endif
