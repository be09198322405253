/* SPDX-License-Identifier: ISC */
/*
 * order.h — the order service: what the public site, the corporate sites
 * and the JSON API all call to validate, quote, place, change and cancel
 * an order.  Runs in the web workers.
 *
 * Input is untrusted: every field of struct rp_order_req is a borrowed
 * length-carrying view straight from a form or a JSON body.  Validation
 * returns EVERY field error (a field id and a stable error code such as
 * "date_past"), so a page can show each message beside its field and the
 * API can list them; nothing is saved when there is one.
 *
 * Personal data (name, kana, e-mail, phone, address, department) goes
 * only to the vault, through the caller-supplied put callback (the real
 * one, rp_order_vault_client_put, talks to the vault process as
 * public_web / corporate_web with purpose "order_new"); the core store
 * gets the vault's person id.  Nothing personal reaches the operational
 * log.
 *
 * Prices come from the store's plan, option, counter and tenant price-list
 * rows and the latest "default" policy (domain/policy.h), through
 * rp_quote (domain/pricing.h); struct rp_order_quote mirrors its result.
 * Times are unix seconds; dates and deadlines are Japan calendar dates
 * (the policy's UTC offset).
 */
#ifndef RP_ORDER_H
#define RP_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errors.h"
#include "util/str.h"
#include "vault/vault.h"

/*
 * This header includes neither store/store.h nor domain/policy.h (their
 * device enums clash), so pages may include it beside either.  These two
 * repeat store.h's values exactly (an identical redefinition is allowed).
 */
#define RP_ORDER_MAX_OPTIONS	8
#define RP_ORDER_NUMBER_LEN	11	/* "RP-" + 8 */

struct rp_store;

/* Caps, in bytes of UTF-8 (a longer field is "too_long"). */
#define RP_ORDER_NAME_MAX	200
#define RP_ORDER_KANA_MAX	200
#define RP_ORDER_EMAIL_MAX	254
#define RP_ORDER_PHONE_MAX	64	/* full-width digits take 3 bytes */
#define RP_ORDER_POSTAL_MAX	32
#define RP_ORDER_ADDRESS_MAX	400
#define RP_ORDER_EXTRA_MAX	64	/* department, employee no., cost centre */
#define RP_ORDER_REQ_OPTIONS	RP_ORDER_MAX_OPTIONS
#define RP_ORDER_MAX_ERRORS	32
/* An idempotency key still "in progress" after this long is taken over. */
#define RP_ORDER_IDEM_STALE	120	/* seconds: far above the vault client timeout */

/* The fields of a request, for error reports ("plan", "depart", ...). */
enum rp_order_field {
	RP_OF_PLAN, RP_OF_QTY, RP_OF_OPTIONS, RP_OF_DEPART, RP_OF_RETURN,
	RP_OF_PICKUP, RP_OF_PICKUP_COUNTER, RP_OF_RETURN_METHOD,
	RP_OF_RETURN_COUNTER, RP_OF_NAME, RP_OF_KANA, RP_OF_EMAIL,
	RP_OF_PHONE, RP_OF_POSTAL_CODE, RP_OF_ADDRESS, RP_OF_DEPARTMENT,
	RP_OF_EMPLOYEE_NO, RP_OF_COST_CENTRE, RP_OF_BILLING, RP_OF_LANG,
	RP_OF__COUNT
};
/* Form/JSON name of a field ("plan", "return_counter", ...); NULL if out of range. */
const char *rp_order_field_name(int field);

struct rp_order_req_option {
	struct rp_str code;		/* borrowed: an option code */
	int qty;			/* 1..99 */
};

/*
 * An order request.  Every view is borrowed and may hold any bytes; empty
 * (n == 0) means "not given".  Methods: pickup "counter" | "courier",
 * return "counter" | "courier" | "post"; billing "card" | "invoice"
 * (invoice only on a corporate site whose tenant is invoice-billed); lang
 * "" | "ja" | "en".  Postal code and address are required when the device
 * is delivered (pickup "courier").
 */
struct rp_order_req {
	struct rp_str plan;
	int qty;				/* devices, 1..99 (0 = 1) */
	struct rp_order_req_option options[RP_ORDER_REQ_OPTIONS];
	size_t n_options;
	struct rp_str depart, ret;		/* YYYY-MM-DD */
	struct rp_str pickup, pickup_counter;
	struct rp_str return_method, return_counter;
	struct rp_str name, kana, email, phone, postal_code, address;
	struct rp_str department, employee_no, cost_centre;	/* corporate */
	struct rp_str billing;
	struct rp_str lang;
};

/*
 * Field errors.  code is a static string: "required", "too_long",
 * "invalid_utf8", "invalid_char" (control characters), "kana_only",
 * "invalid_email", "invalid_phone", "invalid_postal_code", "invalid_date",
 * "date_past", "return_before_departure", "rental_too_long",
 * "deadline_passed", "unknown_plan", "unknown_option", "unknown_counter",
 * "duplicate", "out_of_range", "invalid_choice", "too_many", "sold_out"
 * (on pickup_counter, or on depart for courier delivery; see below).
 */
struct rp_order_error {
	int field;			/* enum rp_order_field */
	const char *code;
};
/*
 * Sold out ("sold_out", RP_E_FULL from rp_order_place / rp_order_change /
 * rp_order_quote): the nearest trips that are not — the same plan at
 * another counter (its airport first), or another device for the same
 * destination at the same counter — each with the units free over its
 * whole window.
 */
#define RP_ORDER_MAX_ALTS	6
struct rp_order_alt {
	char counter[33];		/* counter code; "" = courier delivery */
	char airport[4];		/* the counter's IATA code; "" */
	char plan[33];			/* plan code */
	char device[8];			/* "router", "sim", "phone" */
	int64_t available;		/* units free on every day of the window */
};

struct rp_order_errors {
	size_t n;
	struct rp_order_error e[RP_ORDER_MAX_ERRORS];
	size_t n_alt;			/* with "sold_out": alternatives */
	struct rp_order_alt alt[RP_ORDER_MAX_ALTS];
};
/* The first error code of field, or NULL. */
const char *rp_order_error_of(const struct rp_order_errors *errs, int field);
/*
 * Adds an error (code: a static string) unless that field already has that
 * code; past RP_ORDER_MAX_ERRORS errors the rest are dropped.  Pages may add
 * their own (e.g. an access code).
 */
void rp_order_err_add(struct rp_order_errors *errs, int field,
    const char *code);

/*
 * Checks the shape of every field (no store): lengths, UTF-8, control
 * characters, e-mail, phone, kana, postal code, dates against today at
 * `now` (Japan time), choices, required fields (corporate: whether the
 * request comes from a corporate site).  errs is cleared first and gets
 * every error.  0 if none, else RP_E_INVAL.
 */
int rp_order_validate(const struct rp_order_req *rq, int64_t now,
    bool corporate, struct rp_order_errors *errs) RP_WARN_UNUSED;

/*
 * Stores a person in the vault for a new order `number` (reserved before
 * the put, so the vault binds the record to it): 0 and *id (> 0), or an
 * RP_E_* (RP_E_AGAIN: the vault or its access log is unavailable).
 * channel is enum rp_channel; tenant 0 for the public site.
 */
struct rp_order_vault {
	int (*put)(void *arg, const struct rp_vault_person *p, uint32_t tenant,
	    int channel, struct rp_str number, uint64_t *id);
	/* optional: erases record id that put stored, when the order is not
	 * placed after all (sold out in a race, the store failing) */
	int (*withdraw)(void *arg, uint64_t id);
	void *arg;
};

/*
 * The real put, for a hook: over vc (borrowed, one per thread), role
 * public_web (channel public) or corporate_web (corporate), purpose
 * "order_new", with the capability cap[0..cap_len) when the caller has
 * one (an API key's; none for a traveller on a site: the vault then names
 * the principal "anonymous").  The vault's receipt on the new order into
 * rc (may be NULL).
 */
struct rp_vault_client;
struct rp_vault_receipt;
int rp_order_vault_client_put(struct rp_vault_client *vc, const uint8_t *cap,
    size_t cap_len, const struct rp_vault_person *p, uint32_t tenant,
    int channel, struct rp_str number, uint64_t *id,
    struct rp_vault_receipt *rc);
/* The real withdraw: erases record id under the put's receipt rc
 * (purpose "order_withdrawn"; the vault allows it for that order only). */
int rp_order_vault_client_withdraw(struct rp_vault_client *vc,
    const struct rp_vault_receipt *rc, uint64_t id);

/* A priced order: rp_quote's result (domain/pricing.h), field for field. */
#define RP_ORDER_QUOTE_LINES	16
enum rp_order_line_kind {
	RP_ORDER_LINE_RENTAL = 1, RP_ORDER_LINE_INSURANCE, RP_ORDER_LINE_OPTION,
	RP_ORDER_LINE_SHIPPING
};
struct rp_order_quote_line {
	int kind;			/* enum rp_order_line_kind */
	char code[33];			/* plan, option or tier code; "shipping" */
	int64_t unit_yen;
	int quantity;
	int days;			/* rental days for per-day lines, else 1 */
	int64_t amount_yen;
};
struct rp_order_quote {
	int days;			/* charged rental days */
	size_t n_lines;
	struct rp_order_quote_line lines[RP_ORDER_QUOTE_LINES];
	int64_t subtotal_yen;		/* tax-exclusive */
	int64_t tax_yen;
	int64_t total_yen;		/* tax-inclusive */
};

struct rp_order_ctx {
	struct rp_store *st;		/* borrowed */
	struct rp_order_vault vault;
	int64_t now;			/* unix time; 0 = the clock */
	const char *actor;		/* event actor; NULL = "web" / "web:corporate" */
	int64_t idem_stale_s;		/* 0 = RP_ORDER_IDEM_STALE */
	bool no_stock;			/* conf stock_reserve = off: hold nothing */
	/* a walk-in at the counter (channel counter): no order deadline;
	 * confirmed, paid when it is settled there */
	bool at_counter;
};

/*
 * Validates the trip in rq (as rp_order_validate, less the traveller and
 * billing fields, which a quote does not need; plus the store: unknown
 * plan, option or counter, counter order deadline, billing allowed for the
 * tenant) and
 * prices it for tenant_id (0 = public list prices; > 0 = that client's
 * price list).  *q is zeroed first.  0; RP_E_INVAL with errs filled;
 * RP_E_NOTFOUND for an unknown tenant; RP_E_DB / RP_E_NOMEM.
 */
int rp_order_quote(const struct rp_order_ctx *ctx, int64_t tenant_id,
    const struct rp_order_req *rq, struct rp_order_quote *q,
    struct rp_order_errors *errs) RP_WARN_UNUSED;

struct rp_order_result {
	char number[RP_ORDER_NUMBER_LEN + 1];
	int status;			/* enum rp_order_status */
	int64_t total_yen;
	bool replayed;			/* the first result of this key */
};

/*
 * Places an order: validates and quotes as rp_order_quote, puts the
 * traveller in the vault, inserts the order (invoice-billed → confirmed;
 * card → awaiting_payment) with its events, and fills *res.  channel is
 * RP_CHANNEL_PUBLIC (tenant_id 0), RP_CHANNEL_CORPORATE (tenant_id > 0)
 * or RP_CHANNEL_COUNTER (tenant_id 0, ctx->at_counter: a walk-in).
 *
 * idem_key (may be empty; ≤ RP_IDEM_KEY_MAX printable ASCII) is the
 * Idempotency-Key, per tenant: the same key with the same request gives
 * the first result again (res->replayed); with a different request →
 * RP_E_EXISTS (conflict, nothing done); while the first is still being
 * placed → RP_E_AGAIN (after RP_ORDER_IDEM_STALE seconds an unfinished
 * placement is presumed dead and the key is taken over).
 *
 * Errors: RP_E_INVAL (errs filled; nothing saved), RP_E_EXISTS (above),
 * RP_E_AGAIN (vault temporarily unavailable: nothing saved), RP_E_DENIED
 * (vault refused), RP_E_NOTFOUND (tenant), RP_E_DB.
 */
int rp_order_place(const struct rp_order_ctx *ctx, int64_t tenant_id,
    int channel, struct rp_str idem_key, const struct rp_order_req *rq,
    struct rp_order_result *res, struct rp_order_errors *errs) RP_WARN_UNUSED;

/*
 * Cancels order `number` of tenant_id (0 = a public order) at ctx->now,
 * with the policy's cancellation fee on its subtotal (tax-exclusive) in
 * *fee_yen (recorded in the event note).  RP_E_NOTFOUND for an unknown
 * number or another tenant's order (no hint that it exists); RP_E_STATE if
 * it can no longer be cancelled (picked up, returned, cancelled).
 */
int rp_order_cancel(const struct rp_order_ctx *ctx, int64_t tenant_id,
    struct rp_str number, int64_t *fee_yen) RP_WARN_UNUSED;
/* The fee rp_order_cancel would charge now, cancelling nothing (same errors). */
int rp_order_cancel_fee(const struct rp_order_ctx *ctx, int64_t tenant_id,
    struct rp_str number, int64_t *fee_yen) RP_WARN_UNUSED;

/*
 * New dates and options for an order (the plan, quantity and traveller
 * stay).  Empty dates keep the current ones; options replace the current
 * set when set_options.
 */
struct rp_order_change_req {
	struct rp_str depart, ret;
	bool set_options;
	struct rp_order_req_option options[RP_ORDER_REQ_OPTIONS];
	size_t n_options;
};

/*
 * Changes order `number` of tenant_id until the policy's change deadline
 * (rp_change_allowed on the CURRENT departure), re-pricing it under the
 * latest policy; *res gets the new status and total.  RP_E_NOTFOUND (as
 * rp_order_cancel); RP_E_DENIED (deadline passed); RP_E_STATE (status not
 * reserved, awaiting_payment or confirmed); RP_E_INVAL with errs filled.
 */
int rp_order_change(const struct rp_order_ctx *ctx, int64_t tenant_id,
    struct rp_str number, const struct rp_order_change_req *ch,
    struct rp_order_result *res, struct rp_order_errors *errs) RP_WARN_UNUSED;

/* ---- reads for the API and "my order" ------------------------------------ */

/* A plan as a tenant sees it (GET /api/v1/plans). */
struct rp_order_plan {
	char code[33];
	char destination[33];		/* ISO 3166 alpha-2 or region */
	char destination_name[161];
	char device[8];			/* "router", "sim", "phone" */
	char tier[33];
	int64_t daily_yen;		/* tax-exclusive; the tenant's price if any */
	bool corporate_price;		/* daily_yen comes from the price list */
};

/*
 * Active plans for destination (empty = all; else 1..32 of [A-Za-z0-9_-],
 * anything else → RP_E_INVAL) at tenant_id's prices (0 = list prices).
 * *out (owned: free()) holds *n plans ordered by id; NULL when *n is 0.
 * RP_E_NOTFOUND for an unknown tenant.
 */
int rp_order_plans(const struct rp_order_ctx *ctx, int64_t tenant_id,
    struct rp_str destination, struct rp_order_plan **out, size_t *n)
    RP_WARN_UNUSED;

/*
 * Availability (GET /api/v1/availability): plan's units at counter (empty:
 * courier delivery, from the warehouse) for a trip departing `from` and
 * returning `to`.  available = units free for that whole trip, with the
 * policy's buffers (what an order would hold); days[] = units free on
 * each date of [from, to] alone.
 */
#define RP_ORDER_AVAIL_MAX_DAYS	186	/* a rental's longest, and some */
struct rp_order_avail {
	char plan[33], device[8], counter[33];
	char hold_from[11], hold_until[11];	/* the trip's window */
	int64_t units;				/* usable units of the pool */
	int64_t available;
	size_t ndays;
	struct { char date[11]; int64_t available; } days[RP_ORDER_AVAIL_MAX_DAYS];
};

/*
 * 0 and *out; RP_E_INVAL with errs ("unknown_plan" on plan,
 * "unknown_counter" on pickup_counter, "invalid_date" /
 * "return_before_departure" / "rental_too_long" on depart / return);
 * RP_E_DB.
 */
int rp_order_availability(const struct rp_order_ctx *ctx, struct rp_str plan,
    struct rp_str counter, struct rp_str from, struct rp_str to,
    struct rp_order_avail *out, struct rp_order_errors *errs) RP_WARN_UNUSED;

/* An order as its owner sees it (GET /api/v1/orders/{number}); no person data. */
struct rp_order_view {
	char number[RP_ORDER_NUMBER_LEN + 1];
	char status[24];		/* "confirmed", "awaiting_payment", ... */
	char plan[33];			/* plan code */
	int qty;
	char depart[11], ret[11];	/* YYYY-MM-DD */
	char pickup[8], return_method[8];	/* "counter", "courier", "post" */
	char pickup_counter[33], return_counter[33];	/* codes or "" */
	size_t n_options;
	struct { char code[33]; int qty; } options[RP_ORDER_MAX_OPTIONS];
	int64_t subtotal_yen, tax_yen, total_yen;
	int64_t person_id;		/* vault record id (for the vault, never shown) */
	int64_t id;			/* core store id */
	char order_date[11];		/* YYYY-MM-DD, Japan */
	char lang[3];			/* "ja" / "en": the customer's language */
	char employee_no[65], cost_centre[65];	/* corporate references */
	char billing[8];		/* "invoice" / "card" (from the status history) */
	bool can_change;		/* status open and change deadline not passed */
	bool can_cancel;		/* status open */
	int64_t created_at, updated_at;
};

/*
 * Order `number` of tenant_id (0 = a public order).  RP_E_NOTFOUND for an
 * unknown number and for another tenant's order alike.
 */
int rp_order_get(const struct rp_order_ctx *ctx, int64_t tenant_id,
    struct rp_str number, struct rp_order_view *out) RP_WARN_UNUSED;


/* ---- the airport counter (order/counter.c) --------------------------------
 *
 * What the counter console and the handheld API do with an order in hand;
 * the store keeps it atomic (store.h "the counter").  Fees follow the
 * policy the store holds (late rule and grace, the loss and damage
 * schedule under the order's cover option), tax-exclusive per line.
 */
#define RP_COUNTER_FEES_MAX	24
#define RP_COUNTER_MISSING_MAX	6
struct rp_counter_fee {
	char code[33];			/* "late", "damage:device", "loss:cable" */
	int qty;			/* charged days, items */
	int64_t amount_yen;		/* tax-exclusive */
};
struct rp_counter_return_req {
	struct rp_str serial;
	int condition;			/* enum rp_unit_condition (store.h) */
	int missing[RP_COUNTER_MISSING_MAX];	/* items, parts_missing */
	size_t n_missing;
	bool police_report;
	int64_t returned_at;		/* unix time (courier: the postmark) */
	int64_t counter_id;		/* where it came back; 0 = by courier */
};
struct rp_counter_due {
	int late_days;			/* this return */
	size_t n_fees;			/* this return's fees */
	struct rp_counter_fee fees[RP_COUNTER_FEES_MAX];
	size_t n_all;			/* every charge of the order so far */
	struct rp_counter_fee all[RP_COUNTER_FEES_MAX];
	int64_t extra_yen, extra_tax_yen;	/* all charges, their tax */
	int64_t order_total_yen;		/* the order's price, with tax */
	int64_t total_due_yen;			/* both, with tax */
	char cover[33];			/* the cover (insurance tier), "" none */
	bool complete;			/* the last unit is back */
};
/* An item's number by name ("cable"): 0 or RP_E_NOTFOUND. */
int rp_counter_item_parse(struct rp_str name, int *item) RP_WARN_UNUSED;

/*
 * A unit comes back for order_id: fees computed and recorded with the
 * return, in one transaction (*why: enum rp_unit_why on a refusal; the
 * store's errors; RP_E_INVAL with *why RP_UNIT_OK for a missing-parts list
 * that is empty or names an item not in the kit).
 */
int rp_counter_return(struct rp_store *st, int64_t order_id,
    const struct rp_counter_return_req *rq, const char *actor,
    struct rp_counter_due *out, int *why) RP_WARN_UNUSED;

/* What order_id owes now: its price and every charge, with tax. */
int rp_counter_due(struct rp_store *st, int64_t order_id,
    struct rp_counter_due *out) RP_WARN_UNUSED;

/*
 * Orders at counter_id not picked up by the end of their departure day
 * (before today, JST, at now) become no_show: their stock is let go and
 * the policy's cancellation fee on the day is charged.  *n how many.
 */
int rp_counter_no_shows(struct rp_store *st, int64_t counter_id,
    int64_t now, const char *actor, size_t *n) RP_WARN_UNUSED;

/* Today's date in Japan (the policy's offset) at now into out. */
int rp_counter_today(struct rp_store *st, int64_t now, char out[11])
    RP_WARN_UNUSED;

#endif
