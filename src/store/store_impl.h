/* SPDX-License-Identifier: ISC */
/*
 * store_impl.h — the contract between the store front (store.c) and its
 * backend (backend.c, over the SQLite or the PostgreSQL driver: sql.h).
 * Private to src/store/.
 *
 * store.c checks every argument (lengths, enums, dates, order histories)
 * before calling a backend, so a backend only maps records to its tables.
 * A backend must: run every write atomically (its own transaction unless
 * bulk mode is on), use prepared statements with bound parameters only,
 * map unique violations to RP_E_EXISTS and foreign-key violations to
 * RP_E_NOTFOUND, and zero a record it does not find.
 */
#ifndef RP_STORE_IMPL_H
#define RP_STORE_IMPL_H

#include "store/store.h"

struct rp_store_ops {
	const char *name;
	void (*close)(void *be);
	int (*ping)(void *be);
	int (*schema_version)(void *be, int *version);
	int (*bulk_begin)(void *be);
	int (*bulk_end)(void *be, bool commit);

	int (*tenant_insert)(void *be, struct rp_tenant *t);
	/* by slug when slug != NULL, else by id */
	int (*tenant_get)(void *be, const char *slug, int64_t id, struct rp_tenant *t);
	int (*tenant_list)(void *be, struct rp_tenant **out, size_t *n);
	int (*price_set)(void *be, int64_t tenant_id, int64_t plan_id, int64_t yen);
	int (*price_get)(void *be, int64_t tenant_id, int64_t plan_id, int64_t *yen);

	int (*plan_insert)(void *be, struct rp_plan *p);
	int (*plan_get)(void *be, const char *code, struct rp_plan *p);
	int (*plan_list)(void *be, const char *dest, int device, bool only_active,
	    struct rp_plan **out, size_t *n);
	int (*option_insert)(void *be, struct rp_option *o);
	int (*option_get)(void *be, const char *code, struct rp_option *o);
	int (*option_list)(void *be, struct rp_option **out, size_t *n);
	int (*counter_insert)(void *be, struct rp_counter *c);
	int (*counter_get)(void *be, const char *code, struct rp_counter *c);
	int (*counter_list)(void *be, struct rp_counter **out, size_t *n);
	int (*device_insert)(void *be, struct rp_device *d);
	int (*device_get)(void *be, const char *serial, struct rp_device *d);
	int (*device_list)(void *be, int status, int64_t counter_id,
	    struct rp_device **out, size_t *n);
	int (*device_update)(void *be, int64_t id, int status, int64_t counter_id);
	int (*policy_insert)(void *be, const char *name, int32_t version,
	    const char *json, size_t len, int64_t *id);
	int (*policy_latest)(void *be, const char *name, int64_t *id,
	    int32_t *version, char **json);

	/* Assigns o->id and o->number (rp_order_number of the id). */
	int (*order_insert)(void *be, struct rp_order *o,
	    const struct rp_order_event *hist, size_t nhist);
	int (*order_get)(void *be, int64_t id, struct rp_order *o);
	/* The id of the order stored with this number: RP_E_NOTFOUND. */
	int (*order_find_number)(void *be, const char *number, int64_t *id);
	int (*order_list_tenant)(void *be, int64_t tenant_id, int64_t before_id,
	    size_t limit, struct rp_order **out, size_t *n);
	/* Reads the status, checks rp_order_transition_ok, updates, records. */
	int (*order_transition)(void *be, int64_t order_id, int to,
	    const char *actor, const char *note, int64_t at);
	int (*order_events)(void *be, int64_t order_id,
	    struct rp_order_event **out, size_t *n);
	int (*order_count)(void *be, const struct rp_order_filter *f,
	    uint64_t *count);

	/* migration 0002 */
	int (*idem_insert)(void *be, int64_t tenant_id, const char *key,
	    const uint8_t hash[32], int64_t at);
	int (*idem_get)(void *be, int64_t tenant_id, const char *key,
	    struct rp_idem *out);
	int (*idem_complete)(void *be, int64_t tenant_id, const char *key,
	    const char *number, int status, int64_t total_yen);
	int (*idem_delete)(void *be, int64_t tenant_id, const char *key,
	    int64_t created_at);
	int (*idem_purge)(void *be, int64_t before, uint64_t *n);
	/* dates, options, money, updated_at; an event status -> status */
	int (*order_change)(void *be, struct rp_order *o,
	    const char *actor, const char *note, int64_t at);

	/* migration 0003: reserves the next order id */
	int (*order_reserve)(void *be, int64_t at, int64_t *id);

	/* migration 0004: the payment outbox */
	int (*payment_new)(void *be, struct rp_payment *p);
	/* by id if > 0, else by psp_id and op if psp_id, else the last of (order, op) */
	int (*payment_get)(void *be, int64_t id, const char *psp_id,
	    int64_t order_id, int op, struct rp_payment *p);
	int (*payment_due)(void *be, int64_t now, size_t max,
	    struct rp_payment **out, size_t *n);
	int (*payment_update)(void *be, const struct rp_payment *p);
	int (*webhook_seen)(void *be, const char *id, const char *type,
	    int64_t at);
	int (*order_paid)(void *be, int64_t order_id, const char *token,
	    const char *brand, const char *last4, const char *auth_id);

	/* migration 0005: IPS bans */
	int (*ban_put)(void *be, const struct rp_ban *b, bool extend_only);
	int (*ban_delete)(void *be, const char *addr);
	int (*ban_list)(void *be, int64_t now, bool all, struct rp_ban **out,
	    size_t *n);
	int (*ban_purge)(void *be, int64_t before);
	/* migration 0009: stock */
	int (*stock_count)(void *be, int64_t counter_id, int kind,
	    const char *from, const char *until, int64_t *units, int64_t *held);
	int (*stock_days)(void *be, int64_t counter_id, int kind,
	    const char *from, int ndays, int64_t *units, int64_t *held);
	int (*stock_reserve)(void *be, int64_t order_id,
	    struct rp_stock_hold *h, int64_t at);
	int (*stock_release)(void *be, int64_t order_id);
	/* migration 0010: the counter */
	int (*unit_pickup)(void *be, int64_t order_id, const char *serial,
	    int64_t counter_id, const char *tracking, const char *actor,
	    int64_t at, int *why, bool *complete);
	int (*unit_return)(void *be, int64_t order_id, const char *serial,
	    int64_t counter_id, int condition,
	    const struct rp_order_charge *charges, size_t ncharges,
	    const char *actor, int64_t at, int *why, bool *complete);
	int (*unit_history)(void *be, int64_t order_id, int64_t device_id,
	    int64_t out_at, int64_t out_counter_id, int64_t back_at,
	    int64_t back_counter_id, int condition);
	int (*order_units)(void *be, int64_t order_id,
	    struct rp_order_unit **out, size_t *n);
	int (*order_charges)(void *be, int64_t order_id,
	    struct rp_order_charge **out, size_t *n);
	int (*counter_orders)(void *be, int64_t counter_id, int which,
	    const char *date, size_t max, struct rp_order **out, size_t *n);
	int (*order_list_person)(void *be, int64_t person_id, size_t max,
	    struct rp_order **out, size_t *n);
	int (*order_settle)(void *be, int64_t order_id, const char *method,
	    int to, const char *actor, int64_t at);
	int (*order_no_show)(void *be, int64_t order_id,
	    const struct rp_order_charge *fee, const char *actor, int64_t at);
	int (*device_transfer)(void *be, const char *serial,
	    int64_t to_counter_id, const char *actor, int64_t at, int *why);
	int (*device_history)(void *be, int64_t device_id, size_t max,
	    struct rp_device_event **out, size_t *n);
};

struct rp_store {
	const struct rp_store_ops *ops;
	void *be;			/* owned by the backend: ops->close */
	struct rp_ordnum num;		/* order-number key (wiped at free) */
};

/*
 * The backend: where is a PostgreSQL URL ("postgresql://…", "postgres://…")
 * or a data directory (SQLite: <where>/core.db); opens it and, with apply,
 * applies the dialect's migrations (else refuses a schema that is not the
 * latest: RP_E_STATE); num (borrowed, outlives the backend) numbers the
 * orders it inserts.
 */
int rp_store_backend_open(const char *where, const struct rp_ordnum *num,
    bool apply, const struct rp_store_ops **ops, void **be) RP_WARN_UNUSED;


#endif
