/* SPDX-License-Identifier: ISC */
/*
 * store.h — the core store: tenants (corporate clients) and their price
 * lists, plans, options, airport counters, devices, policies,
 * orders and order events.  No readable personal data: orders hold a person
 * id (personal data lives in the vault: vault/vault.h); card data never
 * exists here, only the payment agent's token id, brand, last 4 digits and
 * authorization id.
 *
 * One interface, several backends: SQLite (embedded default, sqlite.c) now,
 * PostgreSQL later; callers never see which (store_impl.h is the backend
 * contract).  Used by the parent (migrations at start), web workers and the
 * seed command.  Callers pass values they have already validated for their
 * meaning; the store still checks every text field's length, every enum and
 * every date, and refuses what does not fit (RP_E_TOOBIG / RP_E_INVAL).
 *
 * Conventions:
 *   - money is integer yen (int64_t, never negative here);
 *   - tax rates are basis points (1000 = 10 %);
 *   - dates are Japan calendar dates as 'YYYY-MM-DD' text;
 *   - timestamps are unix seconds;
 *   - ids are positive int64; 0 means "none" in optional references;
 *   - records are plain structs with fixed-size, NUL-terminated text fields
 *     (so they can be copied and freed with free() when returned as arrays).
 *
 * Order numbers are "RP-" followed by 8 Crockford base32 characters
 * (0-9, A-Z without I, L, O, U), a keyed permutation of the order id over
 * [1, 2^40-1] (ordnum.c; key in DATA/keys/order-number.key): unique, short
 * enough to read over the phone, and without the key they reveal neither
 * the order's sequence nor how many orders there are.  (They are not
 * secret: never use one as an authenticator.)
 */
#ifndef RP_STORE_H
#define RP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errors.h"
#include "util/str.h"

struct rp_store;

#define RP_STORE_CODE_MAX	32	/* slugs, codes, serials, usernames */
#define RP_STORE_NAME_MAX	160	/* display names (UTF-8 bytes) */
#define RP_STORE_TEXT_MAX	255	/* notes, tiers, models, actors */
#define RP_STORE_JSON_MAX	4096	/* tenant site settings (JSON text) */
#define RP_STORE_DATE_LEN	10	/* YYYY-MM-DD */
#define RP_STORE_LIST_MAX	100000	/* most rows one list call returns */
#define RP_ORDER_MAX_OPTIONS	8
#define RP_ORDER_NUMBER_LEN	11	/* "RP-" + 8 */
#define RP_POLICY_MAX		(256 * 1024)	/* policy JSON document */

typedef char rp_code_t[RP_STORE_CODE_MAX + 1];
typedef char rp_date_t[RP_STORE_DATE_LEN + 1];

/* ---- enumerations (stored as text so the set can grow) ---------------- */

enum rp_billing { RP_BILLING_CARD, RP_BILLING_INVOICE, RP_BILLING_COUNT };
enum rp_device_kind {
	RP_DEVICE_ROUTER, RP_DEVICE_SIM, RP_DEVICE_PHONE, RP_DEVICE_KIND_COUNT
};
/* A unit's state (migration 0010): available at its counter, out with an
 * order, back and awaiting inspection and charging, in repair, lost,
 * retired.  Reservations hold a pool's units, not a unit: the unit is
 * chosen when it is scanned at pickup. */
enum rp_device_status {
	RP_DEVSTAT_AVAILABLE, RP_DEVSTAT_OUT, RP_DEVSTAT_REPAIR,
	RP_DEVSTAT_LOST, RP_DEVSTAT_RETIRED, RP_DEVSTAT_INSPECTION,
	RP_DEVSTAT_COUNT
};
enum rp_channel {
	RP_CHANNEL_PUBLIC, RP_CHANNEL_CORPORATE, RP_CHANNEL_COUNTER,
	RP_CHANNEL_COUNT
};
/* Handover: how the device goes out and comes back. */
enum rp_handover {
	RP_HANDOVER_COUNTER, RP_HANDOVER_COURIER, RP_HANDOVER_POST,
	RP_HANDOVER_COUNT
};
/*
 * Order lifecycle.  Allowed transitions (rp_order_transition_ok):
 *   reserved → confirmed → picked_up → returned → settled
 *   returned → settle_pending → settled   (the payment agent's answer)
 *   reserved | confirmed → cancelled | no_show
 *   reserved → awaiting_payment → confirmed | cancelled   (payment agent)
 */
enum rp_order_status {
	RP_ORDER_RESERVED, RP_ORDER_CONFIRMED, RP_ORDER_PICKED_UP,
	RP_ORDER_RETURNED, RP_ORDER_SETTLED, RP_ORDER_CANCELLED,
	RP_ORDER_AWAITING_PAYMENT, RP_ORDER_NO_SHOW, RP_ORDER_SETTLE_PENDING,
	RP_ORDER_STATUS_COUNT
};
enum rp_option_kind {
	RP_OPTION_INSURANCE, RP_OPTION_ACCESSORY, RP_OPTION_DEVICE,
	RP_OPTION_KIND_COUNT
};

/*
 * Names of enum values as stored ("router", "picked_up", ...); NULL for a
 * value out of range.  rp_*_parse: 0 and *out, or RP_E_INVAL.
 */
const char *rp_billing_name(int v);
const char *rp_device_kind_name(int v);
const char *rp_device_status_name(int v);
const char *rp_channel_name(int v);
const char *rp_handover_name(int v);
const char *rp_order_status_name(int v);
const char *rp_option_kind_name(int v);
int rp_billing_parse(const char *s, int *out) RP_WARN_UNUSED;
int rp_device_kind_parse(const char *s, int *out) RP_WARN_UNUSED;
int rp_device_status_parse(const char *s, int *out) RP_WARN_UNUSED;
int rp_channel_parse(const char *s, int *out) RP_WARN_UNUSED;
int rp_handover_parse(const char *s, int *out) RP_WARN_UNUSED;
int rp_order_status_parse(const char *s, int *out) RP_WARN_UNUSED;
int rp_option_kind_parse(const char *s, int *out) RP_WARN_UNUSED;

/* True if an order may move from `from` to `to` (see enum rp_order_status). */
bool rp_order_transition_ok(int from, int to);

/* True if s is exactly YYYY-MM-DD and a real Gregorian date (1900..9999). */
bool rp_store_date_valid(const char *s);

/*
 * The order-number permutation's key: a 256-bit key (RP_ORDNUM_KEY_BYTES)
 * reduced by rp_ordnum_init to the round key it uses.  Secret-ish (it
 * hides the sequence); wipe with sodium_memzero.
 */
#define RP_ORDNUM_KEY_BYTES	32
struct rp_ordnum {
	uint8_t sub[16];		/* SipHash-2-4 round key */
};
void rp_ordnum_init(struct rp_ordnum *k, const uint8_t key[RP_ORDNUM_KEY_BYTES]);

/*
 * Reads <data_dir>/keys/order-number.key (64 hex digits, mode 0640 or
 * stricter, not a link) into *k; if it does not exist yet, makes it first
 * (keys/ 0750, the file 0640, written whole then linked into place, so
 * concurrent first runs agree).  RP_E_DENIED (group-writable or readable
 * by others), RP_E_INVAL (not a key), RP_E_IO (cannot read or write).
 */
int rp_ordnum_key_load(const char *data_dir, struct rp_ordnum *k)
    RP_WARN_UNUSED;

/*
 * The permutation itself, on [1, max] with max < 2^bits (bits even, 2..48):
 * a Feistel network on bits, cycle-walked into the domain.  0 for an
 * argument outside the domain.  Exposed for tests over small domains; the
 * order numbers use bits 40, max 2^40-1.
 */
uint64_t rp_ordnum_permute(const struct rp_ordnum *k, unsigned bits,
    uint64_t max, uint64_t x);
uint64_t rp_ordnum_unpermute(const struct rp_ordnum *k, unsigned bits,
    uint64_t max, uint64_t y);

/*
 * Order number of an order id (1 .. 2^40-1) under k: writes
 * RP_ORDER_NUMBER_LEN characters and a NUL to out.  RP_E_RANGE outside
 * that range.  rp_order_number_id inverts it (RP_E_INVAL for anything
 * malformed).  The store's key: rp_store_order_number[_id].
 */
int rp_order_number(const struct rp_ordnum *k, int64_t id,
    char out[RP_ORDER_NUMBER_LEN + 1]) RP_WARN_UNUSED;
int rp_order_number_id(const struct rp_ordnum *k, const char *number,
    int64_t *id) RP_WARN_UNUSED;

/* ---- records ----------------------------------------------------------- */

struct rp_tenant {
	int64_t id;			/* set by insert */
	rp_code_t slug;			/* [a-z0-9-], URL of the client's site */
	char name[RP_STORE_NAME_MAX + 1];
	int billing;			/* enum rp_billing */
	char settings[RP_STORE_JSON_MAX + 1];	/* site settings JSON ("" = {}) */
	int64_t created_at;		/* 0 on insert = now */
};

struct rp_plan {
	int64_t id;
	rp_code_t code;			/* e.g. "KR-R-1G" */
	rp_code_t destination;		/* ISO 3166 alpha-2 or region ("EU") */
	char destination_name[RP_STORE_NAME_MAX + 1];
	int device;			/* enum rp_device_kind */
	char tier[RP_STORE_CODE_MAX + 1];	/* "500MB/day", "unlimited" */
	int64_t daily_yen;		/* tax exclusive */
	int32_t tax_bp;			/* basis points */
	bool active;
};

struct rp_option {
	int64_t id;
	rp_code_t code;			/* "insurance_light", "battery" */
	char name[RP_STORE_NAME_MAX + 1];
	int kind;			/* enum rp_option_kind */
	int64_t daily_yen;		/* tax exclusive */
	int32_t tax_bp;
};

struct rp_counter {
	int64_t id;
	rp_code_t code;			/* "NRT1" */
	char airport[4];		/* IATA "NRT" */
	char terminal[9];		/* "T1", "" if one terminal */
	char name[RP_STORE_NAME_MAX + 1];
	char opens[6], closes[6];	/* "HH:MM" */
	/* Orders for pickup here close at deadline_hour:00 JST,
	 * deadline_days days before departure. */
	int32_t deadline_days;		/* 0..30 */
	int32_t deadline_hour;		/* 0..23 */
};

struct rp_device {
	int64_t id;
	rp_code_t serial;
	char model[RP_STORE_CODE_MAX * 2 + 1];
	int kind;			/* enum rp_device_kind */
	int status;			/* enum rp_device_status */
	int64_t counter_id;		/* where it is; 0 = warehouse */
};

struct rp_order_option {
	int64_t option_id;
	int32_t qty;			/* 1..99 */
};

/*
 * Stock an order holds (migration 0009): qty units of one device kind at
 * one pool — a counter, or the warehouse (counter_id 0) for courier
 * delivery — on every day of [from, until] (JST dates, the rental days
 * widened by the caller: shipping before, inspection and charging after;
 * src/order/stock.c).  See "stock" at the end of this header.
 */
#define RP_STOCK_WINDOW_MAX	400	/* days in one window */
struct rp_stock_hold {
	int64_t counter_id;		/* 0 = the warehouse */
	int kind;			/* enum rp_device_kind */
	int32_t qty;			/* 1..99; 0 = the order holds nothing */
	rp_date_t from, until;		/* inclusive */
	int64_t free;			/* out: left free (0) / free (RP_E_FULL) */
};

struct rp_order {
	int64_t id;				/* set by insert */
	char number[RP_ORDER_NUMBER_LEN + 1];	/* set by insert */
	int64_t reserved_id;		/* insert: 0, or rp_store_order_reserve's */
	int64_t tenant_id;			/* 0 = public site / counter */
	int channel;				/* enum rp_channel */
	int64_t person_id;		/* vault record id (vault/vault.h); > 0 */
	int64_t plan_id;
	int32_t qty;				/* devices, 1..99 */
	rp_date_t order_date;			/* when it was ordered (JST) */
	rp_date_t depart_date;			/* rental days: depart..return */
	rp_date_t return_date;			/*   inclusive, return >= depart */
	int pickup;				/* enum rp_handover */
	int64_t pickup_counter_id;		/* required when pickup = counter */
	int ret;				/* enum rp_handover */
	int64_t return_counter_id;		/* required when ret = counter */
	int status;				/* enum rp_order_status */
	int64_t subtotal_yen, tax_yen, total_yen;	/* total = sub + tax */
	int64_t policy_id;			/* policy priced under; 0 = none */
	/* Payment agent references; never a card number (last4 is 4 digits
	 * or empty, brand a short word). */
	char pay_token[65];
	char pay_brand[17];
	char pay_last4[5];
	char pay_auth_id[65];
	int64_t created_at, updated_at;		/* 0 on insert = now */
	char lang[3];				/* "ja" / "en"; "" on insert = ja */
	char employee_no[RP_STORE_CODE_MAX * 2 + 1];	/* corporate reference */
	char cost_centre[RP_STORE_CODE_MAX * 2 + 1];	/* corporate reference */
	char settle_method[16];		/* "" until settled (rp_store_order_settle) */
	size_t noptions;
	struct rp_order_option options[RP_ORDER_MAX_OPTIONS];
	/* insert and change: the stock to hold (hold.qty 0: none).  Not
	 * read back by get. */
	struct rp_stock_hold hold;
};

struct rp_order_event {
	int64_t id;
	int64_t order_id;
	int from;			/* enum rp_order_status, -1 = created */
	int to;
	char actor[RP_STORE_CODE_MAX * 2 + 1];	/* "web", "counter:NRT1" ... */
	int64_t at;			/* unix seconds; 0 on insert = now */
	char note[RP_STORE_TEXT_MAX + 1];
};

/*
 * Which orders rp_store_order_count counts.  Dates compare the order date
 * (when the customer ordered) or the departure date, per `by`; since is
 * inclusive, until exclusive, "" means unbounded.  -1 / 0 mean "any" for
 * the other fields; tenant_id RP_TENANT_NONE selects orders with no tenant.
 */
enum rp_order_date_field { RP_BY_ORDER_DATE, RP_BY_DEPART_DATE };
#define RP_TENANT_NONE	(-1)
struct rp_order_filter {
	int by;				/* enum rp_order_date_field */
	rp_date_t since, until;
	int channel;			/* -1 = any */
	int status;			/* -1 = any */
	int64_t tenant_id;		/* 0 = any */
};
void rp_order_filter_init(struct rp_order_filter *f);	/* everything */

/* ---- lifecycle ----------------------------------------------------------- */

/*
 * Which core store the process uses: a PostgreSQL URL (libpq,
 * "postgresql://…", the `store` setting) or NULL / "" for SQLite; without a
 * call, RENTPORT_STORE decides, else SQLite.  Call once at start-up.
 * rp_store_kind: "postgresql" or "sqlite", what rp_store_open will open.
 */
void rp_store_use(const char *url);
const char *rp_store_kind(void);
/* A function that names each data directory's store (a URL, or NULL for
 * its SQLite file), in place of the one URL: for test suites that give
 * every scratch directory a database of its own.  NULL: none. */
void rp_store_resolve_with(const char *(*where)(const char *data_dir));
/* The TCP port a PostgreSQL URL names (5432 if none), or -1: not a URL,
 * or no host (a unix socket, which the sandbox does not open). */
int rp_store_url_port(const char *url);
/* Whether s names a PostgreSQL database (a libpq URL). */
bool rp_store_url_is_pg(const char *s);

/*
 * Opens the core store — PostgreSQL (rp_store_use), or, creating it if
 * needed, <data_dir>/core.db (WAL, foreign keys, busy timeout 5 s,
 * synchronous NORMAL) — and applies the dialect's pending migrations in
 * one transaction, recorded in schema_migrations.  RP_E_AGAIN: the
 * PostgreSQL server cannot be reached.
 * 0 and *out (owned: rp_store_free), or RP_E_DB / RP_E_IO / RP_E_NOMEM,
 * RP_E_STATE when the database is newer than this binary (logged).  Also
 * loads the order-number key (rp_ordnum_key_load: made on first run; its
 * errors too).
 */
int rp_store_open(const char *data_dir, struct rp_store **out) RP_WARN_UNUSED;
/*
 * rp_store_open for the workers: applies no migration (serve's parent or
 * `rentport migrate` does, once), and refuses a schema that is not this
 * binary's latest (RP_E_STATE, logged).
 */
int rp_store_connect(const char *data_dir, struct rp_store **out)
    RP_WARN_UNUSED;
void rp_store_free(struct rp_store *st);	/* NULL-safe; wipes the key */
/* rp_order_number[_id] under the store's key. */
int rp_store_order_number(struct rp_store *st, int64_t id,
    char out[RP_ORDER_NUMBER_LEN + 1]) RP_WARN_UNUSED;
int rp_store_order_number_id(struct rp_store *st, const char *number,
    int64_t *id) RP_WARN_UNUSED;
/* Cheap liveness check for /readyz: 0 when the store answers. */
int rp_store_ping(struct rp_store *st) RP_WARN_UNUSED;
/* Highest migration applied (for `rentport version` and tests). */
int rp_store_schema_version(struct rp_store *st, int *version) RP_WARN_UNUSED;

/*
 * Bulk-load mode for the seed command: one write transaction around every
 * later call, relaxed durability, bigger cache.  rp_store_bulk_end commits
 * (commit true) or rolls back, and restores normal settings.  Nothing else
 * may write to the store meanwhile (it holds the write lock).  A failed
 * call inside bulk mode may leave part of its rows in the transaction: the
 * caller must then end with commit false.
 */
int rp_store_bulk_begin(struct rp_store *st) RP_WARN_UNUSED;
int rp_store_bulk_end(struct rp_store *st, bool commit) RP_WARN_UNUSED;

/* ---- catalogue ----------------------------------------------------------- */

/*
 * Inserts set ->id (and created_at when 0).  RP_E_EXISTS if the slug,
 * code, serial or username is taken; RP_E_INVAL / RP_E_TOOBIG for a bad
 * field; RP_E_NOTFOUND for a reference to a missing row.
 * Gets: 0, or RP_E_NOTFOUND (the record is then zeroed).
 * Lists: *out (owned: caller frees with free()) holding *n records, ordered
 * by id; at most RP_STORE_LIST_MAX (RP_E_TOOBIG past that); *out may be
 * NULL when *n is 0.
 */
int rp_store_tenant_insert(struct rp_store *st, struct rp_tenant *t) RP_WARN_UNUSED;
int rp_store_tenant_get(struct rp_store *st, const char *slug,
    struct rp_tenant *t) RP_WARN_UNUSED;
int rp_store_tenant_get_id(struct rp_store *st, int64_t id,
    struct rp_tenant *t) RP_WARN_UNUSED;
int rp_store_tenant_list(struct rp_store *st, struct rp_tenant **out,
    size_t *n) RP_WARN_UNUSED;

/* Tenant price list: a daily price overriding plan->daily_yen. */
int rp_store_price_set(struct rp_store *st, int64_t tenant_id,
    int64_t plan_id, int64_t daily_yen) RP_WARN_UNUSED;
/* 0 and *daily_yen, or RP_E_NOTFOUND when the tenant has no override. */
int rp_store_price_get(struct rp_store *st, int64_t tenant_id,
    int64_t plan_id, int64_t *daily_yen) RP_WARN_UNUSED;

int rp_store_plan_insert(struct rp_store *st, struct rp_plan *p) RP_WARN_UNUSED;
int rp_store_plan_get(struct rp_store *st, const char *code,
    struct rp_plan *p) RP_WARN_UNUSED;
/* destination NULL = any, device -1 = any; active plans only if only_active. */
int rp_store_plan_list(struct rp_store *st, const char *destination,
    int device, bool only_active, struct rp_plan **out, size_t *n) RP_WARN_UNUSED;

int rp_store_option_insert(struct rp_store *st, struct rp_option *o) RP_WARN_UNUSED;
int rp_store_option_get(struct rp_store *st, const char *code,
    struct rp_option *o) RP_WARN_UNUSED;
int rp_store_option_list(struct rp_store *st, struct rp_option **out,
    size_t *n) RP_WARN_UNUSED;

int rp_store_counter_insert(struct rp_store *st, struct rp_counter *c) RP_WARN_UNUSED;
int rp_store_counter_get(struct rp_store *st, const char *code,
    struct rp_counter *c) RP_WARN_UNUSED;
int rp_store_counter_list(struct rp_store *st, struct rp_counter **out,
    size_t *n) RP_WARN_UNUSED;

int rp_store_device_insert(struct rp_store *st, struct rp_device *d) RP_WARN_UNUSED;
int rp_store_device_get(struct rp_store *st, const char *serial,
    struct rp_device *d) RP_WARN_UNUSED;
/* status -1 = any, counter_id -1 = any (0 = warehouse). */
int rp_store_device_list(struct rp_store *st, int status, int64_t counter_id,
    struct rp_device **out, size_t *n) RP_WARN_UNUSED;
/* Moves a device: new status and location.  RP_E_NOTFOUND if unknown. */
int rp_store_device_update(struct rp_store *st, int64_t id, int status,
    int64_t counter_id) RP_WARN_UNUSED;

/*
 * Policies (pricing/cancellation/late-fee documents, src/domain/): a JSON
 * text under (name, version).  Insert sets *id; RP_E_EXISTS if that name
 * and version exist.  Latest: the highest version of a name.
 */
int rp_store_policy_insert(struct rp_store *st, const char *name,
    int32_t version, const char *json, size_t json_len, int64_t *id) RP_WARN_UNUSED;
/* *json (owned: caller frees) NUL-terminated. */
int rp_store_policy_latest(struct rp_store *st, const char *name,
    int64_t *id, int32_t *version, char **json) RP_WARN_UNUSED;


/* ---- orders -------------------------------------------------------------- */

/*
 * Inserts an order with its status history, atomically.  The store assigns
 * o->id and o->number.  hist[0] must be the creation event (from -1, to
 * reserved) and each later event a transition allowed by
 * rp_order_transition_ok from the previous one; the last event's `to` must
 * equal o->status; times must not go backwards.  (Most callers pass one
 * event; the seed passes whole histories.)  Event ids and order ids in
 * hist are ignored.  RP_E_INVAL / RP_E_STATE for a bad order or history,
 * RP_E_NOTFOUND for a missing tenant, plan, counter or option.
 */
int rp_store_order_insert(struct rp_store *st, struct rp_order *o,
    const struct rp_order_event *hist, size_t nhist) RP_WARN_UNUSED;
/* By number ("RP-...") or id; options included.  RP_E_NOTFOUND. */
int rp_store_order_get(struct rp_store *st, const char *number,
    struct rp_order *o) RP_WARN_UNUSED;
int rp_store_order_get_id(struct rp_store *st, int64_t id,
    struct rp_order *o) RP_WARN_UNUSED;
/*
 * A tenant's orders, newest id first, ids below before_id (0 = from the
 * newest), at most limit (1..1000).  *out owned: caller frees.
 */
int rp_store_order_list_tenant(struct rp_store *st, int64_t tenant_id,
    int64_t before_id, size_t limit, struct rp_order **out, size_t *n) RP_WARN_UNUSED;
/*
 * Moves an order to status `to`, recording an event with actor, note and
 * time `at` (0 = now), atomically.  RP_E_NOTFOUND for an unknown order,
 * RP_E_STATE if the transition is not allowed from its current status
 * (nothing changes then).
 */
int rp_store_order_transition(struct rp_store *st, int64_t order_id, int to,
    const char *actor, const char *note, int64_t at) RP_WARN_UNUSED;
/* The order's events, oldest first.  *out owned: caller frees. */
int rp_store_order_events(struct rp_store *st, int64_t order_id,
    struct rp_order_event **out, size_t *n) RP_WARN_UNUSED;
/* Number of orders matching f (see struct rp_order_filter). */
int rp_store_order_count(struct rp_store *st, const struct rp_order_filter *f,
    uint64_t *count) RP_WARN_UNUSED;

/* ---- idempotency records (migration 0002) ------------------------------ */

/*
 * Idempotency records: the first result of a request under (tenant,
 * Idempotency-Key).  tenant_id 0 = the public site.  A key is 1..
 * RP_IDEM_KEY_MAX printable ASCII bytes.
 */
#define RP_IDEM_KEY_MAX		64
#define RP_IDEM_HASH_LEN	32	/* SHA-256 of the canonical request */

struct rp_idem {
	int64_t tenant_id;
	char key[RP_IDEM_KEY_MAX + 1];
	uint8_t request_hash[RP_IDEM_HASH_LEN];
	char number[RP_ORDER_NUMBER_LEN + 1];	/* "" = still in progress */
	int status;				/* enum rp_order_status */
	int64_t total_yen;
	int64_t created_at;
};

/*
 * Reserves (tenant, key) for a request with request_hash at time now (0 =
 * now).  0 if this caller now owns the key; RP_E_EXISTS if a record exists
 * (read it with rp_store_idem_get); RP_E_INVAL for a bad key.
 */
int rp_store_idem_reserve(struct rp_store *st, int64_t tenant_id,
    const char *key, const uint8_t hash[RP_IDEM_HASH_LEN], int64_t now)
    RP_WARN_UNUSED;
/* 0 and *out, or RP_E_NOTFOUND (out zeroed). */
int rp_store_idem_get(struct rp_store *st, int64_t tenant_id, const char *key,
    struct rp_idem *out) RP_WARN_UNUSED;
/* Records the result of a reserved key.  RP_E_NOTFOUND if not reserved. */
int rp_store_idem_complete(struct rp_store *st, int64_t tenant_id,
    const char *key, const char *number, int status, int64_t total_yen)
    RP_WARN_UNUSED;
/*
 * Forgets the in-progress reservation of (tenant, key) made at created_at
 * (after a failed placement, or to take over a stale one): a compare-and-
 * swap, so of two requests taking over the same stale reservation only one
 * succeeds.  0 if that row was deleted; RP_E_NOTFOUND if it was not there
 * (completed, taken over, or reserved anew).
 */
int rp_store_idem_delete(struct rp_store *st, int64_t tenant_id,
    const char *key, int64_t created_at) RP_WARN_UNUSED;
/*
 * Deletes every record created before `before` (unix time; e.g. now - 24 h,
 * the retention the API documents); *n (may be NULL) gets how many.
 */
int rp_store_idem_purge(struct rp_store *st, int64_t before, uint64_t *n)
    RP_WARN_UNUSED;

/*
 * Self-service change of an order's dates, options and price: writes
 * o->depart_date, return_date, options and subtotal/tax/total (and
 * updated_at = at) of order o->id, and records an event from its current
 * status to the same status with actor and note, atomically.  Status,
 * tenant, person and plan are not changed.  The caller checks deadlines
 * and prices.  RP_E_NOTFOUND, RP_E_INVAL.
 */
int rp_store_order_change(struct rp_store *st, struct rp_order *o,
    const char *actor, const char *note, int64_t at) RP_WARN_UNUSED;

/*
 * Reserves the next order id and its number (before the traveller goes to
 * the vault, which binds the record to the number).  rp_store_order_insert
 * with o->id set to a reserved id uses it; a reservation never inserted
 * (the vault refused) leaves a gap in the numbers, nothing else.
 */
int rp_store_order_reserve(struct rp_store *st, int64_t *id,
    char number[RP_ORDER_NUMBER_LEN + 1]) RP_WARN_UNUSED;

/*
 * (The sites' tokens of migration 0003 and the API keys of 0002 moved to
 * the identity holder's store in 0008: auth/auth.h.)
 */

/*
 * The payment outbox (migration 0004; src/paylink/ works it).  A row is a
 * money operation on an order, recorded before the payment agent is
 * called, with the deterministic Idempotency-Key "order:<id>:<op>:<n>".
 * Only agent references and the agent's brand / last4 / expiry: never
 * card data (every text field is refused if it holds a run of 12 digits).
 */
enum rp_pay_op { RP_PAY_AUTHORIZE, RP_PAY_CAPTURE, RP_PAY_VOID, RP_PAY_REFUND,
	RP_PAY_CHARGE, RP_PAY_TERMINAL };
#define RP_PAY_OP_LAST	RP_PAY_TERMINAL
enum rp_pay_state {
	RP_PAY_QUEUED,		/* to send (again: same key) */
	RP_PAY_ACTION,		/* the customer must act (3-D Secure): next_url */
	RP_PAY_DONE,		/* the agent did it */
	RP_PAY_FAILED,		/* the agent refused it (decline_code) */
	RP_PAY_UNKNOWN		/* sent, no answer: ask the agent, same key */
};
struct rp_payment {
	int64_t id, order_id;
	int op;				/* enum rp_pay_op */
	int attempt;			/* 1, 2, ... per (order, op) */
	char idem_key[96];
	int64_t amount_yen;
	char token[65];			/* the agent's single-use token id */
	char return_url[256];		/* where 3-D Secure sends the customer */
	int state;			/* enum rp_pay_state */
	char psp_id[65];		/* pay_… / re_… */
	char psp_status[33];
	char decline_code[49];
	char next_url[256];
	char brand[17], last4[5];
	int exp_month, exp_year;
	char customer[65], payment_method[65];	/* the agent's saved card */
	int tries;
	int64_t next_try_at, created_at, updated_at;
};
/*
 * Records a new operation (order_id, op, amount_yen, token, return_url,
 * psp_id (the payment a capture, void or refund is about), customer and
 * payment_method (a charge's saved card) from p): sets id, attempt,
 * idem_key, state queued.  RP_E_NOTFOUND for an
 * unknown order; RP_E_DENIED if a field looks like a card number.
 */
int rp_store_payment_new(struct rp_store *st, struct rp_payment *p)
    RP_WARN_UNUSED;
int rp_store_payment_get(struct rp_store *st, int64_t id,
    struct rp_payment *p) RP_WARN_UNUSED;
/* The latest attempt of op on order_id. */
int rp_store_payment_last(struct rp_store *st, int64_t order_id, int op,
    struct rp_payment *p) RP_WARN_UNUSED;
/* The latest row of op with the agent's id psp_id. */
int rp_store_payment_by_psp(struct rp_store *st, const char *psp_id, int op,
    struct rp_payment *p) RP_WARN_UNUSED;
/* Queued, unknown and action rows due at now (next_try_at <= now), oldest first. */
int rp_store_payment_due(struct rp_store *st, int64_t now, size_t max,
    struct rp_payment **out, size_t *n) RP_WARN_UNUSED;
/* Writes state, psp_*, decline_code, next_url, brand, last4, expiry,
 * tries, next_try_at and token of row p->id. */
int rp_store_payment_update(struct rp_store *st, const struct rp_payment *p)
    RP_WARN_UNUSED;
/* Records webhook event id: 0 the first time, RP_E_EXISTS after. */
int rp_store_webhook_seen(struct rp_store *st, const char *id,
    const char *type, int64_t at) RP_WARN_UNUSED;
/* Sets an order's payment references (the agent's answer only). */
int rp_store_order_paid(struct rp_store *st, int64_t order_id,
    const char *token, const char *brand, const char *last4,
    const char *auth_id) RP_WARN_UNUSED;

/*
 * IPS bans (migration 0005; src/ips/ mirrors them into the web workers):
 * one row per address — canonical IPv4 dotted or IPv6 text — with its
 * expiry (seconds since the epoch), reason (printable ASCII), creation
 * time and source ("auto" or "operator").
 */
struct rp_ban {
	char addr[46];
	int64_t until, created_at;
	char reason[65];
	char source[17];
};
/*
 * Records a ban.  extend_only (automatic bans): an existing row for the
 * address is replaced only by a later expiry; otherwise (an operator's)
 * it is replaced.  RP_E_INVAL for a malformed row.
 */
int rp_store_ban_put(struct rp_store *st, const struct rp_ban *b,
    bool extend_only) RP_WARN_UNUSED;
/* Removes the address's ban; RP_E_NOTFOUND if it had none. */
int rp_store_ban_delete(struct rp_store *st, const char *addr) RP_WARN_UNUSED;
/* Bans active at now (until > now), or every row with all; by address. */
int rp_store_ban_list(struct rp_store *st, int64_t now, bool all,
    struct rp_ban **out, size_t *n) RP_WARN_UNUSED;
/* Deletes rows that expired before before. */
int rp_store_ban_purge(struct rp_store *st, int64_t before) RP_WARN_UNUSED;

/* ---- stock (migration 0009): never oversold ------------------------------
 *
 * A pool is the units of one device kind at one counter; a unit counts
 * while it is in_stock or rented (not in maintenance, lost or retired).  A
 * reservation holds qty units of a pool on every day of [from, until]
 * (JST dates, the rental days widened by the caller: shipping before,
 * inspection and charging after — src/order/stock.c).  Free on a window =
 * units less the most held on any one day of it.
 */

/* The pool's usable units and the most held on one day of [from, until]. */
int rp_store_stock_count(struct rp_store *st, int64_t counter_id, int kind,
    const char *from, const char *until, int64_t *units, int64_t *held)
    RP_WARN_UNUSED;

/*
 * Holds qty units of the pool for order_id over [from, until], atomically
 * on both backends (the pool's row is locked before counting): 0 and
 * *avail what is left free; RP_E_FULL and *avail what was free when fewer
 * than qty are; RP_E_EXISTS if the order holds this kind already.  Under
 * any number of concurrent callers the pool is never held beyond its
 * units on any day.
 */
int rp_store_stock_reserve(struct rp_store *st, int64_t order_id,
    int64_t counter_id, int kind, int32_t qty, const char *from,
    const char *until, int64_t at, int64_t *avail) RP_WARN_UNUSED;

/*
 * Day by day: *units the pool's usable units, held[i] what reservations
 * hold on day from + i, for i in [0, ndays) (1..RP_STOCK_WINDOW_MAX).
 */
int rp_store_stock_days(struct rp_store *st, int64_t counter_id, int kind,
    const char *from, int ndays, int64_t *units, int64_t *held)
    RP_WARN_UNUSED;

/*
 * Orders hold stock through rp_order.hold: rp_store_order_insert and
 * rp_store_order_change reserve it in the same transaction as the order's
 * row (RP_E_FULL: sold out, nothing saved, hold.free what was free), a
 * change lets the old hold go first, and a transition to cancelled lets
 * it go.
 */

/* Lets an order's reservations go (cancelled, no-show): 0, or
 * RP_E_NOTFOUND when it held none. */
int rp_store_stock_release(struct rp_store *st, int64_t order_id)
    RP_WARN_UNUSED;

/* ---- the counter (migration 0010) ---------------------------------------
 *
 * A unit goes out with an order when its serial is scanned at pickup (or
 * dispatched by courier, counter 0) and comes back at any counter (or by
 * courier) in a condition; every change of its state is a device event.
 * Each call is one transaction; on an error nothing changed and *why says
 * which rule refused it.
 */
enum rp_unit_why {
	RP_UNIT_OK,
	RP_UNIT_UNKNOWN_SERIAL,		/* no such unit (RP_E_NOTFOUND) */
	RP_UNIT_WRONG_KIND,		/* another device type (RP_E_INVAL) */
	RP_UNIT_WRONG_COUNTER,		/* kept at another counter (RP_E_INVAL) */
	RP_UNIT_UNAVAILABLE,		/* out, in repair, ... (RP_E_EXISTS) */
	RP_UNIT_ORDER_STATE,		/* the order cannot (RP_E_STATE) */
	RP_UNIT_OTHER_ORDER,		/* out with another order (RP_E_INVAL) */
	RP_UNIT_NOT_OUT,		/* not out (any more) (RP_E_STATE) */
};

enum rp_unit_condition {
	RP_COND_OK, RP_COND_DAMAGED, RP_COND_PARTS_MISSING, RP_COND_LOST,
	RP_COND_COUNT
};
const char *rp_unit_condition_name(int v);
int rp_unit_condition_parse(const char *s, int *out) RP_WARN_UNUSED;

/* A charge added after pricing: "late", "damage:device", "loss:cable",
 * "no_show"; tax-exclusive. */
struct rp_order_charge {
	rp_code_t code;
	int32_t qty;			/* 1..999 (days, items) */
	int64_t amount_yen;		/* >= 0 */
	int64_t at;			/* set by the store */
};

struct rp_order_unit {
	int64_t device_id;
	rp_code_t serial;
	int kind;			/* enum rp_device_kind */
	int64_t out_at, out_counter_id;		/* 0: by courier */
	rp_code_t tracking;
	int64_t back_at, back_counter_id;	/* back_at 0: still out */
	int condition;			/* enum rp_unit_condition; -1 while out */
};

/*
 * Pickup (or courier dispatch, counter_id 0, with a tracking number): the
 * unit with serial — of the order's device type, available at counter_id
 * — goes out with order_id (reserved or confirmed).  When the order has
 * all its units, it becomes picked_up (*complete).
 */
int rp_store_unit_pickup(struct rp_store *st, int64_t order_id,
    const char *serial, int64_t counter_id, const char *tracking,
    const char *actor, int64_t at, int *why, bool *complete) RP_WARN_UNUSED;

/*
 * Return at counter_id (0: by courier) at time at: the unit out with
 * order_id (picked_up) comes back in condition (ok → inspection, damaged
 * or parts missing → repair, lost → lost) and the charges are recorded;
 * the last unit back makes the order returned (*complete).
 */
int rp_store_unit_return(struct rp_store *st, int64_t order_id,
    const char *serial, int64_t counter_id, int condition,
    const struct rp_order_charge *charges, size_t ncharges,
    const char *actor, int64_t at, int *why, bool *complete) RP_WARN_UNUSED;

/*
 * History (seed): binds unit device_id to order_id as out at out_at from
 * out_counter_id and, when back_at > 0, back then at back_counter_id in
 * condition; a unit still out (back_at 0) becomes out.  No state checks:
 * for importing what happened, never for the counter.
 */
int rp_store_unit_history(struct rp_store *st, int64_t order_id,
    int64_t device_id, int64_t out_at, int64_t out_counter_id,
    int64_t back_at, int64_t back_counter_id, int condition) RP_WARN_UNUSED;

/* The units an order took, in order; the charges added to it. */
int rp_store_order_units(struct rp_store *st, int64_t order_id,
    struct rp_order_unit **out, size_t *n) RP_WARN_UNUSED;
int rp_store_order_charges(struct rp_store *st, int64_t order_id,
    struct rp_order_charge **out, size_t *n) RP_WARN_UNUSED;

/*
 * A counter's lists on JST date: pickups due (reserved or confirmed,
 * departing that day), returns due (picked up, back that day), overdue
 * (picked up, due back before), no-shows (reserved or confirmed, departed
 * before).  Options are not loaded.  At most max (1..RP_STORE_LIST_MAX).
 */
enum rp_counter_list {
	RP_COUNTER_PICKUPS, RP_COUNTER_RETURNS, RP_COUNTER_OVERDUE,
	RP_COUNTER_NO_SHOWS
};
int rp_store_counter_orders(struct rp_store *st, int64_t counter_id,
    int which, const char *date, size_t max, struct rp_order **out,
    size_t *n) RP_WARN_UNUSED;

/* A traveller's orders (vault record id), newest first, at most max;
 * options not loaded. */
int rp_store_order_list_person(struct rp_store *st, int64_t person_id,
    size_t max, struct rp_order **out, size_t *n) RP_WARN_UNUSED;

/*
 * Settlement of a returned order by method ("card_on_file", "terminal",
 * "invoice"): to is settled, or settle_pending while the payment agent
 * has yet to answer.  RP_E_STATE unless the order is returned (a second
 * settlement changes nothing).
 */
int rp_store_order_settle(struct rp_store *st, int64_t order_id,
    const char *method, int to, const char *actor, int64_t at)
    RP_WARN_UNUSED;

/* A reserved or confirmed order not picked up: no_show, its stock let go,
 * fee (if non-NULL, amount > 0) recorded.  RP_E_STATE otherwise. */
int rp_store_order_no_show(struct rp_store *st, int64_t order_id,
    const struct rp_order_charge *fee, const char *actor, int64_t at)
    RP_WARN_UNUSED;

/* Moves an available unit to counter to_counter_id (0 = warehouse), with
 * its event. */
int rp_store_device_transfer(struct rp_store *st, const char *serial,
    int64_t to_counter_id, const char *actor, int64_t at, int *why)
    RP_WARN_UNUSED;

/* One change of a unit's state: who, when, where, for which order. */
struct rp_device_event {
	int64_t at;
	char actor[RP_STORE_CODE_MAX * 2 + 1];
	rp_code_t from;			/* status name ("" for the first) */
	rp_code_t to;
	rp_code_t counter;		/* counter code ("" = warehouse/none) */
	char order[RP_ORDER_NUMBER_LEN + 1];	/* "" if none */
	char note[64];
};

/* A unit's history, newest first, up to max (<= RP_STORE_LIST_MAX). */
int rp_store_device_history(struct rp_store *st, int64_t device_id,
    size_t max, struct rp_device_event **out, size_t *n) RP_WARN_UNUSED;

#endif
