/* SPDX-License-Identifier: ISC */
/*
 * backend.c — the core store's one backend, over either SQL driver
 * (sql.h: sqlite.c for <data_dir>/core.db, pg.c for PostgreSQL): every
 * query, written once with numbered parameters, and every row mapping.
 * The few statements a dialect writes differently are the driver's
 * overrides (order ids: SQLite's max + 1 under its write lock,
 * PostgreSQL's sequence).  Opening applies the dialect's migrations
 * (src/store/migrations/ and migrations/pg/), in one transaction.
 *
 * Every statement is prepared once per connection and cached, with bound
 * parameters only; the one dynamic statement (order counts) is assembled
 * from fixed fragments.  Arguments were checked by store.c.  Operational
 * log lines name statements and error codes, never row contents.
 */
#include "util/common.h"
#include <assert.h>
#include "domain/date.h"
#include "util/embed.h"
#include "util/log.h"
#include "util/str.h"
#include "store/sql.h"
#include "store/store_impl.h"
#include "store/backend_sql.h"

static const struct rp_store_ops backend_ops;


#define PAY_COLS "id, order_id, op, attempt, idem_key, amount_yen, token, " \
	"return_url, state, psp_id, psp_status, decline_code, next_url, brand, " \
	"last4, exp_month, exp_year, tries, next_try_at, created_at, " \
	"updated_at, customer, payment_method"
#define TENANT_COLS "id, slug, name, billing, settings, created_at"
#define PLAN_COLS "id, code, destination, destination_name, device, tier, " \
	"daily_yen, tax_bp, active"
#define OPTION_COLS "id, code, name, kind, daily_yen, tax_bp"
#define COUNTER_COLS "id, code, airport, terminal, name, opens, closes, " \
	"deadline_days, deadline_hour"
#define DEVICE_COLS "id, serial, model, kind, status, coalesce(counter_id, 0)"
#define ORDER_COLS "id, number, coalesce(tenant_id, 0), channel, person_id, " \
	"plan_id, qty, order_date, depart_date, return_date, pickup, " \
	"coalesce(pickup_counter_id, 0), ret, coalesce(return_counter_id, 0), " \
	"status, subtotal_yen, tax_yen, total_yen, coalesce(policy_id, 0), " \
	"pay_token, pay_brand, pay_last4, pay_auth_id, created_at, updated_at, " \
	"lang, employee_no, cost_centre, settle_method"

static const char *const sql[S_COUNT] = {
	[S_TENANT_INS] = "INSERT INTO tenants (slug, name, billing, settings, "
	    "created_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
	[S_TENANT_BY_SLUG] = "SELECT " TENANT_COLS " FROM tenants WHERE slug = ?1",
	[S_TENANT_BY_ID] = "SELECT " TENANT_COLS " FROM tenants WHERE id = ?1",
	[S_TENANT_LIST] = "SELECT " TENANT_COLS " FROM tenants ORDER BY id",
	[S_PRICE_SET] = "INSERT INTO price_list (tenant_id, plan_id, daily_yen) "
	    "VALUES (?1, ?2, ?3) ON CONFLICT (tenant_id, plan_id) "
	    "DO UPDATE SET daily_yen = excluded.daily_yen",
	[S_PRICE_GET] = "SELECT daily_yen FROM price_list WHERE tenant_id = ?1 "
	    "AND plan_id = ?2",
	[S_PLAN_INS] = "INSERT INTO plans (code, destination, destination_name, "
	    "device, tier, daily_yen, tax_bp, active) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
	[S_PLAN_GET] = "SELECT " PLAN_COLS " FROM plans WHERE code = ?1",
	[S_PLAN_LIST] = "SELECT " PLAN_COLS " FROM plans WHERE "
	    "(CAST(?1 AS TEXT) IS NULL OR destination = ?1) AND "
	    "(CAST(?2 AS TEXT) IS NULL OR device = ?2) "
	    "AND (?3 = 0 OR active = 1) ORDER BY id",
	[S_OPTION_INS] = "INSERT INTO options (code, name, kind, daily_yen, "
	    "tax_bp) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
	[S_OPTION_GET] = "SELECT " OPTION_COLS " FROM options WHERE code = ?1",
	[S_OPTION_LIST] = "SELECT " OPTION_COLS " FROM options ORDER BY id",
	[S_COUNTER_INS] = "INSERT INTO counters (code, airport, terminal, name, "
	    "opens, closes, deadline_days, deadline_hour) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
	[S_COUNTER_GET] = "SELECT " COUNTER_COLS " FROM counters WHERE code = ?1",
	[S_COUNTER_LIST] = "SELECT " COUNTER_COLS " FROM counters ORDER BY id",
	[S_DEVICE_INS] = "INSERT INTO devices (serial, model, kind, status, "
	    "counter_id) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
	[S_DEVICE_GET] = "SELECT " DEVICE_COLS " FROM devices WHERE serial = ?1",
	[S_DEVICE_LIST] = "SELECT " DEVICE_COLS " FROM devices WHERE "
	    "(CAST(?1 AS TEXT) IS NULL OR status = ?1) AND "
	    "(?2 = -1 OR coalesce(counter_id, 0) = ?2) ORDER BY id",
	[S_DEVICE_UPD] = "UPDATE devices SET status = ?2, counter_id = ?3 "
	    "WHERE id = ?1",
	[S_POLICY_INS] = "INSERT INTO policies (name, version, json, created_at) "
	    "VALUES (?1, ?2, ?3, ?4) RETURNING id",
	[S_POLICY_LATEST] = "SELECT id, version, json FROM policies WHERE "
	    "name = ?1 ORDER BY version DESC LIMIT 1",
	[S_ORDER_MAXID] = "SELECT max(coalesce((SELECT max(id) FROM orders), 0), "
	    "coalesce((SELECT max(id) FROM order_ids), 0))",
	[S_ORDER_BY_NUMBER] = "SELECT id FROM orders WHERE number = ?1",
	[S_ORDER_INS] = "INSERT INTO orders (id, number, tenant_id, channel, "
	    "person_id, plan_id, qty, order_date, depart_date, return_date, "
	    "pickup, pickup_counter_id, ret, return_counter_id, status, "
	    "subtotal_yen, tax_yen, total_yen, policy_id, pay_token, pay_brand, "
	    "pay_last4, pay_auth_id, created_at, updated_at, lang, employee_no, "
	    "cost_centre) VALUES (?1, ?2, "
	    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
	    "?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)",
	[S_ORDER_OPT_INS] = "INSERT INTO order_options (order_id, option_id, "
	    "qty) VALUES (?1, ?2, ?3)",
	[S_EVENT_INS] = "INSERT INTO order_events (order_id, from_status, "
	    "to_status, actor, at, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_ORDER_GET] = "SELECT " ORDER_COLS " FROM orders WHERE id = ?1",
	[S_ORDER_OPTS] = "SELECT option_id, qty FROM order_options WHERE "
	    "order_id = ?1 ORDER BY option_id",
	[S_ORDER_LIST_TENANT] = "SELECT " ORDER_COLS " FROM orders WHERE "
	    "tenant_id = ?1 AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3",
	[S_ORDER_STATUS] = "SELECT status FROM orders WHERE id = ?1",
	[S_ORDER_SET_STATUS] = "UPDATE orders SET status = ?2, updated_at = ?3 "
	    "WHERE id = ?1",
	[S_EVENTS] = "SELECT id, order_id, from_status, to_status, actor, at, "
	    "note FROM order_events WHERE order_id = ?1 ORDER BY id",
	[S_IDEM_INS] = "INSERT INTO idempotency_keys (tenant_id, key, "
	    "request_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
	[S_IDEM_GET] = "SELECT request_hash, number, status, total_yen, "
	    "created_at FROM idempotency_keys WHERE tenant_id = ?1 AND key = ?2",
	[S_IDEM_DONE] = "UPDATE idempotency_keys SET number = ?3, status = ?4, "
	    "total_yen = ?5 WHERE tenant_id = ?1 AND key = ?2",
	[S_IDEM_DEL] = "DELETE FROM idempotency_keys WHERE tenant_id = ?1 "
	    "AND key = ?2 AND number = '' AND created_at = ?3",
	[S_IDEM_PURGE] = "DELETE FROM idempotency_keys WHERE created_at < ?1",
	[S_ORDER_CHANGE] = "UPDATE orders SET depart_date = ?2, return_date = ?3, "
	    "subtotal_yen = ?4, tax_yen = ?5, total_yen = ?6, updated_at = ?7 "
	    "WHERE id = ?1",
	[S_ORDER_OPT_DEL] = "DELETE FROM order_options WHERE order_id = ?1",
	/* one statement: SQLite's write lock makes max + 1 race-free */
	[S_ORDER_RESERVE] = "INSERT INTO order_ids (id, created_at) VALUES "
	    "(max(coalesce((SELECT max(id) FROM orders), 0), "
	    "coalesce((SELECT max(id) FROM order_ids), 0)) + 1, ?1) RETURNING id",
	[S_ORDER_UNRESERVE] = "DELETE FROM order_ids WHERE id = ?1",
	[S_PAY_ATTEMPT] = "SELECT coalesce(max(attempt), 0) FROM payments "
	    "WHERE order_id = ?1 AND op = ?2",
	[S_PAY_INS] = "INSERT INTO payments (order_id, op, attempt, idem_key, "
	    "amount_yen, token, return_url, state, created_at, updated_at, "
	    "customer, payment_method, psp_id) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?8, ?9, ?10, ?11) "
	    "RETURNING id",
	[S_PAY_GET] = "SELECT " PAY_COLS " FROM payments WHERE id = ?1",
	[S_PAY_LAST] = "SELECT " PAY_COLS " FROM payments WHERE order_id = ?1 "
	    "AND op = ?2 ORDER BY attempt DESC LIMIT 1",
	[S_PAY_BY_PSP] = "SELECT " PAY_COLS " FROM payments WHERE psp_id = ?1 "
	    "AND op = ?2 ORDER BY id DESC LIMIT 1",
	[S_PAY_DUE] = "SELECT " PAY_COLS " FROM payments WHERE state IN "
	    "('queued', 'unknown', 'action') AND next_try_at <= ?1 ORDER BY id "
	    "LIMIT ?2",
	[S_PAY_UPD] = "UPDATE payments SET state = ?2, psp_id = ?3, "
	    "psp_status = ?4, decline_code = ?5, next_url = ?6, brand = ?7, "
	    "last4 = ?8, exp_month = ?9, exp_year = ?10, tries = ?11, "
	    "next_try_at = ?12, updated_at = ?13, token = ?14, customer = ?15, "
	    "payment_method = ?16 WHERE id = ?1",
	[S_HOOK_INS] = "INSERT INTO webhook_events (id, type, received_at) "
	    "VALUES (?1, ?2, ?3)",
	[S_ORDER_PAID] = "UPDATE orders SET pay_token = ?2, pay_brand = ?3, "
	    "pay_last4 = ?4, pay_auth_id = ?5 WHERE id = ?1",
	/* stock (0009): SQLite's BEGIN IMMEDIATE already serialises writers;
	 * PostgreSQL locks the pool row (pg.c) */
	[S_POOL_ENSURE] = "INSERT INTO stock_pools (counter_id, kind) VALUES "
	    "(?1, ?2) ON CONFLICT DO NOTHING",
	[S_POOL_LOCK] = "SELECT counter_id FROM stock_pools WHERE "
	    "counter_id = ?1 AND kind = ?2",
	/* a pool's usable units (not in repair, lost or retired);
	 * counter 0 is the warehouse, a NULL counter_id */
	[S_STOCK_UNITS] = "SELECT count(*) FROM devices WHERE (counter_id = ?1 "
	    "OR (?1 = 0 AND counter_id IS NULL)) AND kind = ?2 AND "
	    "status IN ('available', 'out', 'inspection')",
	/* the reservations of a pool that overlap the window [?3, ?4] */
	[S_STOCK_WINDOW] = "SELECT from_date, until_date, qty FROM "
	    "stock_reservations WHERE counter_id = ?1 AND kind = ?2 AND "
	    "until_date >= ?3 AND from_date <= ?4",
	[S_STOCK_RES_INS] = "INSERT INTO stock_reservations (order_id, "
	    "counter_id, kind, qty, from_date, until_date, created_at) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_STOCK_RELEASE] = "DELETE FROM stock_reservations WHERE order_id = ?1",
	/* the counter (0010) */
	[S_ORDER_LOCK_KIND] = "SELECT o.status, o.qty, p.device FROM orders o "
	    "JOIN plans p ON p.id = o.plan_id WHERE o.id = ?1",
	/* a unit's state changes only from the state it was read in */
	[S_DEVICE_STATE] = "UPDATE devices SET status = ?3, counter_id = ?4 "
	    "WHERE id = ?1 AND status = ?2",
	[S_UNITS_TAKEN] = "SELECT count(*) FROM order_units WHERE order_id = ?1",
	[S_UNIT_INS] = "INSERT INTO order_units (order_id, device_id, out_at, "
	    "out_counter_id, tracking) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_UNIT_OPEN] = "SELECT id, order_id FROM order_units WHERE "
	    "device_id = ?1 AND back_at IS NULL",
	[S_UNIT_BACK] = "UPDATE order_units SET back_at = ?2, "
	    "back_counter_id = ?3, condition = ?4 WHERE id = ?1 AND "
	    "back_at IS NULL",
	[S_UNITS_STILL_OUT] = "SELECT count(*) FROM order_units WHERE "
	    "order_id = ?1 AND back_at IS NULL",
	[S_DEVEV_INS] = "INSERT INTO device_events (device_id, at, actor, "
	    "from_status, to_status, counter_id, order_id, note) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_CHARGE_INS] = "INSERT INTO order_charges (order_id, code, qty, "
	    "amount_yen, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_DEVEV_LIST] = "SELECT e.at, e.actor, COALESCE(e.from_status, ''), "
	    "e.to_status, COALESCE(c.code, ''), COALESCE(o.number, ''), "
	    "e.note FROM device_events e LEFT JOIN counters c ON c.id = "
	    "e.counter_id LEFT JOIN orders o ON o.id = e.order_id WHERE "
	    "e.device_id = ?1 ORDER BY e.id DESC LIMIT ?2",
	[S_CHARGES] = "SELECT code, qty, amount_yen, created_at FROM "
	    "order_charges WHERE order_id = ?1 ORDER BY id",
	[S_UNITS] = "SELECT u.device_id, d.serial, d.kind, u.out_at, "
	    "coalesce(u.out_counter_id, 0), u.tracking, coalesce(u.back_at, 0), "
	    "coalesce(u.back_counter_id, 0), u.condition FROM order_units u "
	    "JOIN devices d ON d.id = u.device_id WHERE u.order_id = ?1 "
	    "ORDER BY u.id",
	[S_COUNTER_PICKUPS] = "SELECT " ORDER_COLS " FROM orders WHERE "
	    "pickup_counter_id = ?1 AND depart_date = ?2 AND status IN "
	    "('reserved', 'confirmed') ORDER BY id LIMIT ?3",
	[S_COUNTER_RETURNS] = "SELECT " ORDER_COLS " FROM orders WHERE "
	    "return_counter_id = ?1 AND return_date = ?2 AND "
	    "status = 'picked_up' ORDER BY id LIMIT ?3",
	[S_COUNTER_OVERDUE] = "SELECT " ORDER_COLS " FROM orders WHERE "
	    "return_counter_id = ?1 AND return_date < ?2 AND "
	    "status = 'picked_up' ORDER BY return_date, id LIMIT ?3",
	[S_COUNTER_NOSHOWS] = "SELECT " ORDER_COLS " FROM orders WHERE "
	    "pickup_counter_id = ?1 AND depart_date < ?2 AND status IN "
	    "('reserved', 'confirmed') ORDER BY depart_date, id LIMIT ?3",
	[S_ORDER_SETTLE] = "UPDATE orders SET settle_method = ?2 WHERE id = ?1",
	[S_UNIT_HIST] = "INSERT INTO order_units (order_id, device_id, out_at, "
	    "out_counter_id, back_at, back_counter_id, condition) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_DEVICE_OUT] = "UPDATE devices SET status = 'out' WHERE id = ?1",
	[S_ORDER_LIST_PERSON] = "SELECT " ORDER_COLS " FROM orders WHERE "
	    "person_id = ?1 ORDER BY id DESC LIMIT ?2",
	[S_BAN_PUT] = "INSERT INTO bans (addr, until, reason, created_at, "
	    "source) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (addr) DO UPDATE "
	    "SET until = excluded.until, reason = excluded.reason, "
	    "created_at = excluded.created_at, source = excluded.source",
	[S_BAN_EXTEND] = "INSERT INTO bans (addr, until, reason, created_at, "
	    "source) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (addr) DO UPDATE "
	    "SET until = excluded.until, reason = excluded.reason, "
	    "created_at = excluded.created_at, source = excluded.source "
	    "WHERE excluded.until > bans.until",
	[S_BAN_DEL] = "DELETE FROM bans WHERE addr = ?1",
	[S_BAN_LIST] = "SELECT addr, until, reason, created_at, source FROM bans "
	    "WHERE until > ?1 ORDER BY addr",
	[S_BAN_ALL] = "SELECT addr, until, reason, created_at, source FROM bans "
	    "ORDER BY addr",
	[S_BAN_PURGE] = "DELETE FROM bans WHERE until < ?1",
};

struct be {
	const struct rp_sql_driver *d;
	struct rp_sqldb *c;
	bool bulk;
	int64_t next_order_id;		/* bulk mode: 0 until first read */
	int64_t changes;		/* rows the last step_done changed */
	const struct rp_ordnum *num;	/* borrowed: the front's key */
	const struct rp_sql_migration *mig;
	size_t nmig;
};

/* ---- helpers ----------------------------------------------------------- */

static int
exec(struct be *be, const char *q)
{
	return be->d->exec(be->c, q);
}

/* The SQL of statement id in this driver's dialect. */
static const char *
sql_of(struct be *be, int id)
{
	if ((size_t)id < be->d->noverride && be->d->override[id] != NULL)
		return be->d->override[id];
	return sql[id];
}

/* The cached statement, reset and with its bindings cleared. */
static struct rp_sqlst *
stmt(struct be *be, int id)
{
	return be->d->cached(be->c, id, sql_of(be, id));
}

static void
bind_ref(struct rp_sqlst *s, int i, int64_t id)
{
	if (id > 0)
		sql_i64(s, i, id);
	else
		sql_null(s, i);
}

/* Steps a statement that returns no row (be->changes: the rows it
 * changed); resets it. */
static int
step_done(struct be *be, struct rp_sqlst *s)
{
	int rc = sql_step(s), r;

	r = rc == RP_SQL_DONE ? 0 : rc < 0 ? rc : RP_E_DB;
	be->changes = r == 0 ? sql_changes(s) : 0;
	sql_reset(s);
	return r;
}

/* Steps an INSERT … RETURNING id: 0 and *id (left alone on an error);
 * resets it. */
static int
step_id(struct be *be, struct rp_sqlst *s, int64_t *id)
{
	int rc = sql_step(s), r;

	(void)be;
	r = rc == RP_SQL_ROW ? 0 : rc < 0 ? rc : RP_E_DB;
	if (r == 0)
		*id = sql_col_i64(s, 0);
	sql_reset(s);
	return r;
}

/* Copies a text column into a fixed field; RP_E_DB if it cannot fit. */
static int
col_copy(struct rp_sqlst *s, int i, char *dst, size_t cap)
{
	size_t n = 0;
	const char *t = sql_col_bytes(s, i, &n);

	dst[0] = '\0';
	if (t == NULL)
		return 0;
	if (n >= cap)
		return RP_E_DB;
	memcpy(dst, t, n);
	dst[n] = '\0';
	return 0;
}

#define COPY(i, field) do {						\
	if ((r = col_copy(s, (i), (field), sizeof(field))) != 0)	\
		return r;						\
} while (0)

static int
col_enum(struct rp_sqlst *s, int i, int (*parse)(const char *, int *),
    int *out)
{
	char t[64];

	if (col_copy(s, i, t, sizeof(t)) != 0)
		return RP_E_DB;
	return parse(t, out) == 0 ? 0 : RP_E_DB;
}

static int
tx_begin(struct be *be)
{
	return be->bulk ? 0 : exec(be, be->d->begin);
}

/* Commits when r is 0, else rolls back; returns the final result. */
static int
tx_end(struct be *be, int r)
{
	if (be->bulk)
		return r;
	if (r == 0 && (r = exec(be, "COMMIT")) == 0)
		return 0;
	(void)exec(be, "ROLLBACK");
	return r;
}

typedef int (*row_fn)(struct rp_sqlst *s, void *rec);

/* Reads every row of s into a fresh array of size-byte records. */
static int
list_rows(struct be *be, struct rp_sqlst *s, size_t size, row_fn fn,
    void **out, size_t *n)
{
	char *arr = NULL, *tmp;
	size_t cap = 0, cnt = 0, bytes;
	int rc, r = 0;

	(void)be;
	*out = NULL;
	*n = 0;
	while ((rc = sql_step(s)) == RP_SQL_ROW) {
		if (cnt == RP_STORE_LIST_MAX) {
			r = RP_E_TOOBIG;
			goto out;
		}
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;

			if ((r = rp_size_mul(ncap, size, &bytes)) != 0)
				goto out;
			if ((tmp = realloc(arr, bytes)) == NULL) {
				r = RP_E_NOMEM;
				goto out;
			}
			arr = tmp;
			cap = ncap;
		}
		memset(arr + cnt * size, 0, size);
		if ((r = fn(s, arr + cnt * size)) != 0)
			goto out;
		cnt++;
	}
	if (rc != RP_SQL_DONE) {
		r = rc < 0 ? rc : RP_E_DB;
		goto out;
	}
	*out = arr;
	*n = cnt;
	arr = NULL;			/* transferred */
 out:
	free(arr);
	sql_reset(s);
	return r;
}

/* Steps a single-row lookup into rec; RP_E_NOTFOUND when no row. */
static int
get_row(struct be *be, struct rp_sqlst *s, row_fn fn, void *rec, size_t size)
{
	int rc, r;

	(void)be;
	memset(rec, 0, size);
	rc = sql_step(s);
	if (rc == RP_SQL_ROW)
		r = fn(s, rec);
	else if (rc == RP_SQL_DONE)
		r = RP_E_NOTFOUND;
	else
		r = rc < 0 ? rc : RP_E_DB;
	sql_reset(s);
	if (r != 0)
		memset(rec, 0, size);
	return r;
}

/* One integer from the first row of s (reset after): 0, RP_E_NOTFOUND. */
static int
get_i64(struct rp_sqlst *s, int64_t *v)
{
	int rc = sql_step(s);

	*v = rc == RP_SQL_ROW ? sql_col_i64(s, 0) : 0;
	sql_reset(s);
	return rc == RP_SQL_ROW ? 0 : rc == RP_SQL_DONE ? RP_E_NOTFOUND :
	    rc < 0 ? rc : RP_E_DB;
}

static int64_t
now(void)
{
	return (int64_t)time(NULL);
}

/* One row by a text key (statement with one parameter). */
static int
get_by_text(void *arg, int which, const char *key, row_fn fn, void *rec,
    size_t size)
{
	struct be *be = arg;
	struct rp_sqlst *s;

	if ((s = stmt(be, which)) == NULL)
		return RP_E_DB;
	sql_text(s, 1, key);
	return get_row(be, s, fn, rec, size);
}

/* Every row of a statement without parameters. */
static int
list_all(void *arg, int which, size_t size, row_fn fn, void **out, size_t *n)
{
	struct be *be = arg;
	struct rp_sqlst *s;

	if ((s = stmt(be, which)) == NULL)
		return RP_E_DB;
	return list_rows(be, s, size, fn, out, n);
}

/* Every row of a statement whose one parameter is an id. */
static int
list_by_id(struct be *be, int which, int64_t id, size_t size, row_fn fn,
    void **out, size_t *n)
{
	struct rp_sqlst *s;

	if ((s = stmt(be, which)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, id);
	return list_rows(be, s, size, fn, out, n);
}

/* ---- row readers ------------------------------------------------------- */

static int
read_tenant(struct rp_sqlst *s, void *rec)
{
	struct rp_tenant *t = rec;
	int r;

	t->id = sql_col_i64(s, 0);
	COPY(1, t->slug);
	COPY(2, t->name);
	if ((r = col_enum(s, 3, rp_billing_parse, &t->billing)) != 0)
		return r;
	COPY(4, t->settings);
	t->created_at = sql_col_i64(s, 5);
	return 0;
}

static int
read_plan(struct rp_sqlst *s, void *rec)
{
	struct rp_plan *p = rec;
	int r;

	p->id = sql_col_i64(s, 0);
	COPY(1, p->code);
	COPY(2, p->destination);
	COPY(3, p->destination_name);
	if ((r = col_enum(s, 4, rp_device_kind_parse, &p->device)) != 0)
		return r;
	COPY(5, p->tier);
	p->daily_yen = sql_col_i64(s, 6);
	p->tax_bp = (int)sql_col_i64(s, 7);
	p->active = (int)sql_col_i64(s, 8) != 0;
	return 0;
}

static int
read_option(struct rp_sqlst *s, void *rec)
{
	struct rp_option *o = rec;
	int r;

	o->id = sql_col_i64(s, 0);
	COPY(1, o->code);
	COPY(2, o->name);
	if ((r = col_enum(s, 3, rp_option_kind_parse, &o->kind)) != 0)
		return r;
	o->daily_yen = sql_col_i64(s, 4);
	o->tax_bp = (int)sql_col_i64(s, 5);
	return 0;
}

static int
read_counter(struct rp_sqlst *s, void *rec)
{
	struct rp_counter *c = rec;
	int r;

	c->id = sql_col_i64(s, 0);
	COPY(1, c->code);
	COPY(2, c->airport);
	COPY(3, c->terminal);
	COPY(4, c->name);
	COPY(5, c->opens);
	COPY(6, c->closes);
	c->deadline_days = (int)sql_col_i64(s, 7);
	c->deadline_hour = (int)sql_col_i64(s, 8);
	return 0;
}

static int
read_device(struct rp_sqlst *s, void *rec)
{
	struct rp_device *d = rec;
	int r;

	d->id = sql_col_i64(s, 0);
	COPY(1, d->serial);
	COPY(2, d->model);
	if ((r = col_enum(s, 3, rp_device_kind_parse, &d->kind)) != 0 ||
	    (r = col_enum(s, 4, rp_device_status_parse, &d->status)) != 0)
		return r;
	d->counter_id = sql_col_i64(s, 5);
	return 0;
}

static int
read_order(struct rp_sqlst *s, void *rec)
{
	struct rp_order *o = rec;
	int r;

	o->id = sql_col_i64(s, 0);
	COPY(1, o->number);
	o->tenant_id = sql_col_i64(s, 2);
	if ((r = col_enum(s, 3, rp_channel_parse, &o->channel)) != 0)
		return r;
	o->person_id = sql_col_i64(s, 4);
	o->plan_id = sql_col_i64(s, 5);
	o->qty = (int)sql_col_i64(s, 6);
	COPY(7, o->order_date);
	COPY(8, o->depart_date);
	COPY(9, o->return_date);
	if ((r = col_enum(s, 10, rp_handover_parse, &o->pickup)) != 0)
		return r;
	o->pickup_counter_id = sql_col_i64(s, 11);
	if ((r = col_enum(s, 12, rp_handover_parse, &o->ret)) != 0)
		return r;
	o->return_counter_id = sql_col_i64(s, 13);
	if ((r = col_enum(s, 14, rp_order_status_parse, &o->status)) != 0)
		return r;
	o->subtotal_yen = sql_col_i64(s, 15);
	o->tax_yen = sql_col_i64(s, 16);
	o->total_yen = sql_col_i64(s, 17);
	o->policy_id = sql_col_i64(s, 18);
	COPY(19, o->pay_token);
	COPY(20, o->pay_brand);
	COPY(21, o->pay_last4);
	COPY(22, o->pay_auth_id);
	o->created_at = sql_col_i64(s, 23);
	o->updated_at = sql_col_i64(s, 24);
	COPY(25, o->lang);
	COPY(26, o->employee_no);
	COPY(27, o->cost_centre);
	COPY(28, o->settle_method);
	return 0;
}

static int
read_event(struct rp_sqlst *s, void *rec)
{
	struct rp_order_event *e = rec;
	int r;

	e->id = sql_col_i64(s, 0);
	e->order_id = sql_col_i64(s, 1);
	if (sql_col_null(s, 2))
		e->from = -1;
	else if ((r = col_enum(s, 2, rp_order_status_parse, &e->from)) != 0)
		return r;
	if ((r = col_enum(s, 3, rp_order_status_parse, &e->to)) != 0)
		return r;
	COPY(4, e->actor);
	e->at = sql_col_i64(s, 5);
	COPY(6, e->note);
	return 0;
}

/* ---- lifecycle --------------------------------------------------------- */

static void
be_close(void *arg)
{
	struct be *be = arg;

	if (be == NULL)
		return;
	if (be->c != NULL)
		be->d->close(be->c);
	free(be);
}

static int
be_ping(void *arg)
{
	struct be *be = arg;

	return exec(be, "SELECT 1");
}

static int
read_version(struct be *be, int *version)
{
	struct rp_sqlst *s;
	int64_t v = 0;
	int r;

	*version = 0;
	if ((s = be->d->prepare(be->c, "SELECT coalesce(max(version), 0) FROM "
	    "schema_migrations")) == NULL)
		return RP_E_DB;
	r = get_i64(s, &v);
	sql_finalize(s);
	*version = (int)v;
	return r;
}

static int
be_schema_version(void *arg, int *version)
{
	return read_version(arg, version);
}

/*
 * Applies the dialect's migrations not applied yet, in one transaction
 * (the schema_migrations row lock keeps two openers from both applying
 * one).
 */
static int
migrate(struct be *be)
{
	const struct rp_embed *e;
	struct rp_sqlst *s = NULL;
	int latest = be->mig[be->nmig - 1].version;
	int cur, r;
	size_t i;

	if ((r = exec(be, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)")) != 0)
		return r;
	if ((r = exec(be, be->d->begin)) != 0)
		return r;
	if ((r = read_version(be, &cur)) != 0)
		goto out;
	if (cur > latest) {
		rp_log_error("store: the core store's schema version %d is newer "
		    "than this binary (%d); refusing to open it", cur, latest);
		r = RP_E_STATE;
		goto out;
	}
	for (i = 0; i < be->nmig; i++) {
		if (be->mig[i].version <= cur)
			continue;
		if ((e = rp_embed_find(be->mig[i].path)) == NULL) {
			rp_log_error("store: migration %s is not embedded",
			    be->mig[i].path);
			r = RP_E_STATE;
			goto out;
		}
		if ((r = exec(be, e->data)) != 0)
			goto out;
		if ((s = be->d->prepare(be->c, "INSERT INTO schema_migrations "
		    "(version, applied_at) VALUES (?1, ?2)")) == NULL) {
			r = RP_E_DB;
			goto out;
		}
		sql_i64(s, 1, be->mig[i].version);
		sql_i64(s, 2, now());
		r = step_done(be, s);
		sql_finalize(s);
		s = NULL;
		if (r != 0)
			goto out;
		rp_log_info("store: applied migration %d (%s)", be->mig[i].version,
		    be->d->name);
	}
 out:
	return tx_end(be, r);
}

/* Without migrating: the schema must be the dialect's latest. */
static int
check_version(struct be *be)
{
	int latest = be->mig[be->nmig - 1].version, cur = 0;

	if (read_version(be, &cur) != 0 || cur != latest) {
		rp_log_error("store: the core store is at schema version %d, this "
		    "binary wants %d: migrations are applied by serve's parent "
		    "or `rentport migrate`, not by its workers", cur, latest);
		return RP_E_STATE;
	}
	return 0;
}

int
rp_store_backend_open(const char *where, const struct rp_ordnum *num,
    bool apply, const struct rp_store_ops **ops, void **out)
{
	struct be *be;
	int r;

	*ops = NULL;
	*out = NULL;
	if ((be = calloc(1, sizeof(*be))) == NULL)
		return RP_E_NOMEM;
	be->num = num;
	r = rp_store_url_is_pg(where) ?
	    rp_sql_pg_open(where, &be->d, &be->c, &be->mig, &be->nmig) :
	    rp_sql_sqlite_open(where, &be->d, &be->c, &be->mig, &be->nmig);
	if (r == 0)
		r = apply ? migrate(be) : check_version(be);
	if (r != 0) {
		be_close(be);
		return r;
	}
	*ops = &backend_ops;
	*out = be;
	return 0;
}

static int
be_bulk_begin(void *arg)
{
	struct be *be = arg;
	int r;

	if (be->bulk)
		return RP_E_STATE;
	if ((r = be->d->bulk(be->c, true)) != 0 ||
	    (r = exec(be, be->d->begin)) != 0)
		return r;
	be->bulk = true;
	be->next_order_id = 0;
	return 0;
}

static int
be_bulk_end(void *arg, bool commit)
{
	struct be *be = arg;
	int r = 0;

	if (!be->bulk)
		return RP_E_STATE;
	be->bulk = false;
	be->next_order_id = 0;
	if (commit)
		r = exec(be, "COMMIT");
	if (!commit || r != 0)
		(void)exec(be, "ROLLBACK");
	(void)be->d->bulk(be->c, false);
	return r;
}

/* ---- catalogue --------------------------------------------------------- */

static int
be_tenant_insert(void *arg, struct rp_tenant *t)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int r;

	if ((s = stmt(be, S_TENANT_INS)) == NULL)
		return RP_E_DB;
	if (t->created_at == 0)
		t->created_at = now();
	sql_text(s, 1, t->slug);
	sql_text(s, 2, t->name);
	sql_text(s, 3, rp_billing_name(t->billing));
	sql_text(s, 4, t->settings[0] ? t->settings : "{}");
	sql_i64(s, 5, t->created_at);
	r = step_id(be, s, &t->id);
	return r;
}

static int
be_tenant_get(void *arg, const char *slug, int64_t id, struct rp_tenant *t)
{
	struct be *be = arg;
	struct rp_sqlst *s;

	if ((s = stmt(be, slug ? S_TENANT_BY_SLUG : S_TENANT_BY_ID)) == NULL)
		return RP_E_DB;
	if (slug)
		sql_text(s, 1, slug);
	else
		sql_i64(s, 1, id);
	return get_row(be, s, read_tenant, t, sizeof(*t));
}

static int
be_tenant_list(void *arg, struct rp_tenant **out, size_t *n)
{
	return list_all(arg, S_TENANT_LIST, sizeof(**out), read_tenant,
	    (void **)out, n);
}

static int
be_price_set(void *arg, int64_t tenant_id, int64_t plan_id, int64_t yen)
{
	struct be *be = arg;
	struct rp_sqlst *s;

	if ((s = stmt(be, S_PRICE_SET)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, tenant_id);
	sql_i64(s, 2, plan_id);
	sql_i64(s, 3, yen);
	return step_done(be, s);
}

static int
be_price_get(void *arg, int64_t tenant_id, int64_t plan_id, int64_t *yen)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int rc;

	if ((s = stmt(be, S_PRICE_GET)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, tenant_id);
	sql_i64(s, 2, plan_id);
	rc = sql_step(s);
	if (rc == RP_SQL_ROW)
		*yen = sql_col_i64(s, 0);
	sql_reset(s);
	if (rc == RP_SQL_ROW)
		return 0;
	return rc == RP_SQL_DONE ? RP_E_NOTFOUND : RP_E_DB;
}

static int
be_plan_insert(void *arg, struct rp_plan *p)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int r;

	if ((s = stmt(be, S_PLAN_INS)) == NULL)
		return RP_E_DB;
	sql_text(s, 1, p->code);
	sql_text(s, 2, p->destination);
	sql_text(s, 3, p->destination_name);
	sql_text(s, 4, rp_device_kind_name(p->device));
	sql_text(s, 5, p->tier);
	sql_i64(s, 6, p->daily_yen);
	sql_i64(s, 7, p->tax_bp);
	sql_i64(s, 8, p->active ? 1 : 0);
	r = step_id(be, s, &p->id);
	return r;
}

static int
be_plan_get(void *arg, const char *code, struct rp_plan *p)
{
	return get_by_text(arg, S_PLAN_GET, code, read_plan, p, sizeof(*p));
}

static int
be_plan_list(void *arg, const char *dest, int device, bool only_active,
    struct rp_plan **out, size_t *n)
{
	struct be *be = arg;
	struct rp_sqlst *s;

	if ((s = stmt(be, S_PLAN_LIST)) == NULL)
		return RP_E_DB;
	if (dest != NULL)
		sql_text(s, 1, dest);
	if (device >= 0)
		sql_text(s, 2, rp_device_kind_name(device));
	sql_i64(s, 3, only_active ? 1 : 0);
	return list_rows(be, s, sizeof(**out), read_plan, (void **)out, n);
}

static int
be_option_insert(void *arg, struct rp_option *o)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int r;

	if ((s = stmt(be, S_OPTION_INS)) == NULL)
		return RP_E_DB;
	sql_text(s, 1, o->code);
	sql_text(s, 2, o->name);
	sql_text(s, 3, rp_option_kind_name(o->kind));
	sql_i64(s, 4, o->daily_yen);
	sql_i64(s, 5, o->tax_bp);
	r = step_id(be, s, &o->id);
	return r;
}

static int
be_option_get(void *arg, const char *code, struct rp_option *o)
{
	return get_by_text(arg, S_OPTION_GET, code, read_option, o, sizeof(*o));
}

static int
be_option_list(void *arg, struct rp_option **out, size_t *n)
{
	return list_all(arg, S_OPTION_LIST, sizeof(**out), read_option,
	    (void **)out, n);
}

static int
be_counter_insert(void *arg, struct rp_counter *c)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int r;

	if ((s = stmt(be, S_COUNTER_INS)) == NULL)
		return RP_E_DB;
	sql_text(s, 1, c->code);
	sql_text(s, 2, c->airport);
	sql_text(s, 3, c->terminal);
	sql_text(s, 4, c->name);
	sql_text(s, 5, c->opens);
	sql_text(s, 6, c->closes);
	sql_i64(s, 7, c->deadline_days);
	sql_i64(s, 8, c->deadline_hour);
	r = step_id(be, s, &c->id);
	return r;
}

static int
be_counter_get(void *arg, const char *code, struct rp_counter *c)
{
	return get_by_text(arg, S_COUNTER_GET, code, read_counter, c,
	    sizeof(*c));
}

static int
be_counter_list(void *arg, struct rp_counter **out, size_t *n)
{
	return list_all(arg, S_COUNTER_LIST, sizeof(**out), read_counter,
	    (void **)out, n);
}

static int
be_device_insert(void *arg, struct rp_device *d)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int r;

	if ((s = stmt(be, S_DEVICE_INS)) == NULL)
		return RP_E_DB;
	sql_text(s, 1, d->serial);
	sql_text(s, 2, d->model);
	sql_text(s, 3, rp_device_kind_name(d->kind));
	sql_text(s, 4, rp_device_status_name(d->status));
	bind_ref(s, 5, d->counter_id);
	r = step_id(be, s, &d->id);
	return r;
}

static int
be_device_get(void *arg, const char *serial, struct rp_device *d)
{
	return get_by_text(arg, S_DEVICE_GET, serial, read_device, d,
	    sizeof(*d));
}

static int
be_device_list(void *arg, int status, int64_t counter_id,
    struct rp_device **out, size_t *n)
{
	struct be *be = arg;
	struct rp_sqlst *s;

	if ((s = stmt(be, S_DEVICE_LIST)) == NULL)
		return RP_E_DB;
	if (status >= 0)
		sql_text(s, 1, rp_device_status_name(status));
	sql_i64(s, 2, counter_id);
	return list_rows(be, s, sizeof(**out), read_device, (void **)out, n);
}

static int
be_device_update(void *arg, int64_t id, int status, int64_t counter_id)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int r;

	if ((s = stmt(be, S_DEVICE_UPD)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, id);
	sql_text(s, 2, rp_device_status_name(status));
	bind_ref(s, 3, counter_id);
	if ((r = step_done(be, s)) != 0)
		return r;
	return be->changes == 1 ? 0 : RP_E_NOTFOUND;
}

static int
be_policy_insert(void *arg, const char *name, int32_t version,
    const char *json, size_t len, int64_t *id)
{
	struct be *be = arg;
	struct rp_sqlst *s;

	if ((s = stmt(be, S_POLICY_INS)) == NULL)
		return RP_E_DB;
	sql_text(s, 1, name);
	sql_i64(s, 2, version);
	sql_textn(s, 3, json, len);
	sql_i64(s, 4, now());
	return step_id(be, s, id);
}

static int
be_policy_latest(void *arg, const char *name, int64_t *id, int32_t *version,
    char **json)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int rc, r = 0;

	if ((s = stmt(be, S_POLICY_LATEST)) == NULL)
		return RP_E_DB;
	sql_text(s, 1, name);
	rc = sql_step(s);
	if (rc == RP_SQL_ROW) {
		size_t tn = 0;
		const char *t = sql_col_bytes(s, 2, &tn);

		*id = sql_col_i64(s, 0);
		*version = (int)sql_col_i64(s, 1);
		if ((*json = rp_str_dup((struct rp_str){ t ? t : "", tn })) ==
		    NULL)
			r = RP_E_NOMEM;
	} else
		r = rc == RP_SQL_DONE ? RP_E_NOTFOUND : RP_E_DB;
	sql_reset(s);
	if (r != 0) {
		*id = 0;
		*version = 0;
	}
	return r;
}

/* ---- orders ------------------------------------------------------------ */

static int
insert_event(struct be *be, int64_t order_id, int from, int to,
    const char *actor, int64_t at, const char *note)
{
	struct rp_sqlst *s;

	if ((s = stmt(be, S_EVENT_INS)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, order_id);
	if (from >= 0)
		sql_text(s, 2, rp_order_status_name(from));
	sql_text(s, 3, rp_order_status_name(to));
	sql_text(s, 4, actor);
	sql_i64(s, 5, at);
	sql_text(s, 6, note);
	return step_done(be, s);
}

static int
next_order_id(struct be *be, int64_t *id)
{
	struct rp_sqlst *s;
	int rc;

	if (be->bulk && be->next_order_id > 0) {
		*id = be->next_order_id;
		return 0;
	}
	if ((s = stmt(be, S_ORDER_MAXID)) == NULL)
		return RP_E_DB;
	rc = sql_step(s);
	*id = rc == RP_SQL_ROW ? sql_col_i64(s, 0) + 1 : 0;
	sql_reset(s);
	return rc == RP_SQL_ROW ? 0 : RP_E_DB;
}

static int be_order_find_number(void *arg, const char *number, int64_t *id);

/* stock (0009), in the order's own transaction */
struct rp_stock_hold;
static int stock_hold(struct be *be, int64_t order_id,
    struct rp_stock_hold *h, int64_t at);
static int stock_drop(struct be *be, int64_t order_id, int64_t *n);

static int
be_order_insert(void *arg, struct rp_order *o, const struct rp_order_event *h,
    size_t nh)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int64_t id, t = now(), at;
	size_t i;
	int r;

	if ((r = tx_begin(be)) != 0)
		return r;
	if (o->reserved_id > 0) {
		/* reserved by rp_store_order_reserve: release the reservation */
		id = o->reserved_id;
		if ((s = stmt(be, S_ORDER_UNRESERVE)) == NULL) {
			r = RP_E_DB;
			goto out;
		}
		sql_i64(s, 1, id);
		if ((r = step_done(be, s)) != 0)
			goto out;
		if ((r = rp_order_number(be->num, id, o->number)) != 0)
			goto out;
	} else {
		int64_t other;
		int k;

		if ((r = next_order_id(be, &id)) != 0)
			goto out;
		/*
		 * Orders stored before the key existed keep their old numbers:
		 * skip an id whose new number is one of them (rare) rather than
		 * fail this insert, and every later one, on the UNIQUE number.
		 */
		for (k = 0; k < 16; k++, id++) {
			if ((r = rp_order_number(be->num, id, o->number)) != 0)
				goto out;
			if ((r = be_order_find_number(be, o->number, &other)) ==
			    RP_E_NOTFOUND)
				break;
			if (r != 0)
				goto out;
		}
		if (k == 16) {
			r = RP_E_EXISTS;
			goto out;
		}
		r = 0;
	}
	if (o->created_at == 0)
		o->created_at = t;
	if (o->updated_at == 0)
		o->updated_at = o->created_at;
	if ((s = stmt(be, S_ORDER_INS)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sql_i64(s, 1, id);
	sql_text(s, 2, o->number);
	bind_ref(s, 3, o->tenant_id);
	sql_text(s, 4, rp_channel_name(o->channel));
	sql_i64(s, 5, o->person_id);
	sql_i64(s, 6, o->plan_id);
	sql_i64(s, 7, o->qty);
	sql_text(s, 8, o->order_date);
	sql_text(s, 9, o->depart_date);
	sql_text(s, 10, o->return_date);
	sql_text(s, 11, rp_handover_name(o->pickup));
	bind_ref(s, 12, o->pickup_counter_id);
	sql_text(s, 13, rp_handover_name(o->ret));
	bind_ref(s, 14, o->return_counter_id);
	sql_text(s, 15, rp_order_status_name(o->status));
	sql_i64(s, 16, o->subtotal_yen);
	sql_i64(s, 17, o->tax_yen);
	sql_i64(s, 18, o->total_yen);
	bind_ref(s, 19, o->policy_id);
	sql_text(s, 20, o->pay_token);
	sql_text(s, 21, o->pay_brand);
	sql_text(s, 22, o->pay_last4);
	sql_text(s, 23, o->pay_auth_id);
	sql_i64(s, 24, o->created_at);
	sql_i64(s, 25, o->updated_at);
	sql_text(s, 26, o->lang[0] != '\0' ? o->lang : "ja");
	sql_text(s, 27, o->employee_no);
	sql_text(s, 28, o->cost_centre);
	if ((r = step_done(be, s)) != 0)
		goto out;
	for (i = 0; i < o->noptions; i++) {
		if ((s = stmt(be, S_ORDER_OPT_INS)) == NULL) {
			r = RP_E_DB;
			goto out;
		}
		sql_i64(s, 1, id);
		sql_i64(s, 2, o->options[i].option_id);
		sql_i64(s, 3, o->options[i].qty);
		if ((r = step_done(be, s)) != 0)
			goto out;
	}
	for (i = 0; i < nh; i++) {
		at = h[i].at ? h[i].at : t;
		if ((r = insert_event(be, id, h[i].from, h[i].to, h[i].actor,
		    at, h[i].note)) != 0)
			goto out;
	}
	if (o->hold.qty > 0 && (r = stock_hold(be, id, &o->hold, t)) != 0)
		goto out;
	o->id = id;
	if (be->bulk)
		be->next_order_id = id + 1;
 out:
	if (r != 0)
		o->number[0] = '\0';
	return tx_end(be, r);
}

static int
load_options(struct be *be, struct rp_order *o)
{
	struct rp_sqlst *s;
	int rc;

	if ((s = stmt(be, S_ORDER_OPTS)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, o->id);
	o->noptions = 0;
	while ((rc = sql_step(s)) == RP_SQL_ROW) {
		if (o->noptions == RP_ORDER_MAX_OPTIONS) {
			rc = RP_E_DB;
			break;
		}
		o->options[o->noptions].option_id = sql_col_i64(s, 0);
		o->options[o->noptions].qty = (int)sql_col_i64(s, 1);
		o->noptions++;
	}
	sql_reset(s);
	return rc == RP_SQL_DONE ? 0 : RP_E_DB;
}

static int
be_order_find_number(void *arg, const char *number, int64_t *id)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int rc;

	*id = 0;
	if ((s = stmt(be, S_ORDER_BY_NUMBER)) == NULL)
		return RP_E_DB;
	sql_text(s, 1, number);
	rc = sql_step(s);
	if (rc == RP_SQL_ROW)
		*id = sql_col_i64(s, 0);
	sql_reset(s);
	return rc == RP_SQL_ROW ? 0 : rc == RP_SQL_DONE ? RP_E_NOTFOUND :
	    RP_E_DB;
}

static int
be_order_get(void *arg, int64_t id, struct rp_order *o)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int r;

	if ((s = stmt(be, S_ORDER_GET)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, id);
	if ((r = get_row(be, s, read_order, o, sizeof(*o))) != 0)
		return r;
	if ((r = load_options(be, o)) != 0)
		memset(o, 0, sizeof(*o));
	return r;
}

static int
be_order_list_tenant(void *arg, int64_t tenant_id, int64_t before_id,
    size_t limit, struct rp_order **out, size_t *n)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	size_t i;
	int r;

	if ((s = stmt(be, S_ORDER_LIST_TENANT)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, tenant_id);
	sql_i64(s, 2, before_id);
	sql_i64(s, 3, (int64_t)limit);
	if ((r = list_rows(be, s, sizeof(**out), read_order, (void **)out, n)) != 0)
		return r;
	for (i = 0; i < *n; i++)
		if ((r = load_options(be, &(*out)[i])) != 0) {
			free(*out);
			*out = NULL;
			*n = 0;
			return r;
		}
	return 0;
}

static int
be_order_transition(void *arg, int64_t order_id, int to, const char *actor,
    const char *note, int64_t at)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int from = -1, rc, r;

	if (at == 0)
		at = now();
	if ((r = tx_begin(be)) != 0)
		return r;
	if ((s = stmt(be, S_ORDER_STATUS)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sql_i64(s, 1, order_id);
	rc = sql_step(s);
	if (rc == RP_SQL_ROW)
		r = col_enum(s, 0, rp_order_status_parse, &from);
	else
		r = rc == RP_SQL_DONE ? RP_E_NOTFOUND : RP_E_DB;
	sql_reset(s);
	if (r != 0)
		goto out;
	if (!rp_order_transition_ok(from, to)) {
		r = RP_E_STATE;
		goto out;
	}
	if ((s = stmt(be, S_ORDER_SET_STATUS)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sql_i64(s, 1, order_id);
	sql_text(s, 2, rp_order_status_name(to));
	sql_i64(s, 3, at);
	if ((r = step_done(be, s)) != 0)
		goto out;
	/* a cancelled order holds no stock */
	if (to == RP_ORDER_CANCELLED && (r = stock_drop(be, order_id, NULL)) != 0)
		goto out;
	r = insert_event(be, order_id, from, to, actor, at, note);
 out:
	return tx_end(be, r);
}

static int
be_order_events(void *arg, int64_t order_id, struct rp_order_event **out,
    size_t *n)
{
	return list_by_id(arg, S_EVENTS, order_id, sizeof(**out), read_event,
	    (void **)out, n);
}

static int
be_order_count(void *arg, const struct rp_order_filter *f, uint64_t *count)
{
	struct be *be = arg;
	const char *col = f->by == RP_BY_DEPART_DATE ? "depart_date" : "order_date";
	char q[512];
	size_t len = 0;
	struct rp_sqlst *s = NULL;
	int rc, r = 0, k = 0;

	/* Fixed fragments only; every value is a bound parameter. */
#define ADD(...) do {							\
	int n_ = snprintf(q + len, sizeof(q) - len, __VA_ARGS__);	\
	if (n_ < 0 || (size_t)n_ >= sizeof(q) - len)			\
		return RP_E_TOOBIG;					\
	len += (size_t)n_;						\
} while (0)
	ADD("SELECT count(*) FROM orders WHERE 1 = 1");
	/* parameters numbered 1, 2, … as they appear (PostgreSQL types
	 * each from its use: none may be left out) */
	if (f->since[0])
		ADD(" AND %s >= ?%d", col, ++k);
	if (f->until[0])
		ADD(" AND %s < ?%d", col, ++k);
	if (f->channel >= 0)
		ADD(" AND channel = ?%d", ++k);
	if (f->status >= 0)
		ADD(" AND status = ?%d", ++k);
	if (f->tenant_id > 0)
		ADD(" AND tenant_id = ?%d", ++k);
	else if (f->tenant_id == RP_TENANT_NONE)
		ADD(" AND tenant_id IS NULL");
#undef ADD
	if ((s = be->d->prepare(be->c, q)) == NULL)
		return RP_E_DB;
	k = 0;
	if (f->since[0])
		sql_text(s, ++k, f->since);
	if (f->until[0])
		sql_text(s, ++k, f->until);
	if (f->channel >= 0)
		sql_text(s, ++k, rp_channel_name(f->channel));
	if (f->status >= 0)
		sql_text(s, ++k, rp_order_status_name(f->status));
	if (f->tenant_id > 0)
		sql_i64(s, ++k, f->tenant_id);
	if ((rc = sql_step(s)) == RP_SQL_ROW)
		*count = (uint64_t)sql_col_i64(s, 0);
	else
		r = rc < 0 ? rc : RP_E_DB;
	sql_finalize(s);
	return r;
}

/* ---- API keys and idempotency records (migration 0002) ------------------ */




static int
be_idem_insert(void *arg, int64_t tenant_id, const char *key,
    const uint8_t hash[32], int64_t at)
{
	struct be *be = arg;
	struct rp_sqlst *s;

	if ((s = stmt(be, S_IDEM_INS)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, tenant_id);
	sql_text(s, 2, key);
	sql_blob(s, 3, hash, 32);
	sql_i64(s, 4, at);
	return step_done(be, s);
}

static int
be_idem_get(void *arg, int64_t tenant_id, const char *key,
    struct rp_idem *out)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	const char *st;
	int rc, r = 0;

	memset(out, 0, sizeof(*out));
	if ((s = stmt(be, S_IDEM_GET)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, tenant_id);
	sql_text(s, 2, key);
	rc = sql_step(s);
	if (rc == RP_SQL_ROW) {
		out->tenant_id = tenant_id;
		snprintf(out->key, sizeof(out->key), "%s", key);
		size_t hn = 0;
		const char *h = sql_col_bytes(s, 0, &hn);
		char stn[32];

		if (h == NULL || hn != RP_IDEM_HASH_LEN)
			r = RP_E_DB;
		else
			memcpy(out->request_hash, h, RP_IDEM_HASH_LEN);
		if (r == 0)
			r = col_copy(s, 1, out->number, sizeof(out->number));
		st = col_copy(s, 2, stn, sizeof(stn)) == 0 ? stn : "";
		if (r == 0 && out->number[0] != '\0' &&
		    rp_order_status_parse(st, &out->status) != 0)
			r = RP_E_DB;
		out->total_yen = sql_col_i64(s, 3);
		out->created_at = sql_col_i64(s, 4);
	} else
		r = rc == RP_SQL_DONE ? RP_E_NOTFOUND : rc < 0 ? rc : RP_E_DB;
	sql_reset(s);
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

static int
be_idem_complete(void *arg, int64_t tenant_id, const char *key,
    const char *number, int status, int64_t total_yen)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int r;

	if ((s = stmt(be, S_IDEM_DONE)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, tenant_id);
	sql_text(s, 2, key);
	sql_text(s, 3, number);
	sql_text(s, 4, rp_order_status_name(status));
	sql_i64(s, 5, total_yen);
	if ((r = step_done(be, s)) != 0)
		return r;
	return be->changes == 1 ? 0 : RP_E_NOTFOUND;
}

static int
be_idem_delete(void *arg, int64_t tenant_id, const char *key,
    int64_t created_at)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int r;

	if ((s = stmt(be, S_IDEM_DEL)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, tenant_id);
	sql_text(s, 2, key);
	sql_i64(s, 3, created_at);
	if ((r = step_done(be, s)) != 0)
		return r;
	return be->changes == 1 ? 0 : RP_E_NOTFOUND;
}

static int
be_idem_purge(void *arg, int64_t before, uint64_t *n)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int r;

	*n = 0;
	if ((s = stmt(be, S_IDEM_PURGE)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, before);
	if ((r = step_done(be, s)) == 0)
		*n = (uint64_t)be->changes;
	return r;
}

static int
be_order_change(void *arg, struct rp_order *o, const char *actor,
    const char *note, int64_t at)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int status = -1, rc, r;
	size_t i;

	if ((r = tx_begin(be)) != 0)
		return r;
	if ((s = stmt(be, S_ORDER_STATUS)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sql_i64(s, 1, o->id);
	rc = sql_step(s);
	if (rc == RP_SQL_ROW)
		r = col_enum(s, 0, rp_order_status_parse, &status);
	else
		r = rc == RP_SQL_DONE ? RP_E_NOTFOUND : RP_E_DB;
	sql_reset(s);
	if (r != 0)
		goto out;
	if ((s = stmt(be, S_ORDER_CHANGE)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sql_i64(s, 1, o->id);
	sql_text(s, 2, o->depart_date);
	sql_text(s, 3, o->return_date);
	sql_i64(s, 4, o->subtotal_yen);
	sql_i64(s, 5, o->tax_yen);
	sql_i64(s, 6, o->total_yen);
	sql_i64(s, 7, at);
	if ((r = step_done(be, s)) != 0)
		goto out;
	if ((s = stmt(be, S_ORDER_OPT_DEL)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sql_i64(s, 1, o->id);
	if ((r = step_done(be, s)) != 0)
		goto out;
	for (i = 0; i < o->noptions; i++) {
		if ((s = stmt(be, S_ORDER_OPT_INS)) == NULL) {
			r = RP_E_DB;
			goto out;
		}
		sql_i64(s, 1, o->id);
		sql_i64(s, 2, o->options[i].option_id);
		sql_i64(s, 3, o->options[i].qty);
		if ((r = step_done(be, s)) != 0)
			goto out;
	}
	/* a new hold: the old one goes first, so it is not counted */
	if (o->hold.qty > 0 && ((r = stock_drop(be, o->id, NULL)) != 0 ||
	    (r = stock_hold(be, o->id, &o->hold, at)) != 0))
		goto out;
	r = insert_event(be, o->id, status, status, actor, at, note);
 out:
	return tx_end(be, r);
}

static int
be_order_reserve(void *arg, int64_t at, int64_t *id)
{
	struct be *be = arg;
	struct rp_sqlst *s;

	*id = 0;
	if ((s = stmt(be, S_ORDER_RESERVE)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, at);
	return step_id(be, s, id);
}






/* ---- migration 0004: the payment outbox -------------------------------- */

static const char *const pay_ops[] = { "authorize", "capture", "void",
    "refund", "charge", "terminal" };
static const char *const pay_states[] = { "queued", "action", "done",
    "failed", "unknown" };

static int
pick(const char *const *names, size_t n, const char *s, int *out)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (strcmp(names[i], s) == 0) {
			*out = (int)i;
			return 0;
		}
	return RP_E_DB;
}

/* A column naming one of names[0..n): its index. */
static int
col_pick(struct rp_sqlst *s, int i, const char *const *names, size_t n,
    int *out)
{
	char t[32];

	if (col_copy(s, i, t, sizeof(t)) != 0)
		return RP_E_DB;
	return pick(names, n, t, out);
}

static int
read_payment(struct rp_sqlst *s, void *rec)
{
	struct rp_payment *p = rec;
	int r;

	p->id = sql_col_i64(s, 0);
	p->order_id = sql_col_i64(s, 1);
	if ((r = col_pick(s, 2, pay_ops, RP_ARRAY_LEN(pay_ops), &p->op)) != 0)
		return r;
	p->attempt = (int)sql_col_i64(s, 3);
	COPY(4, p->idem_key);
	p->amount_yen = sql_col_i64(s, 5);
	COPY(6, p->token);
	COPY(7, p->return_url);
	if ((r = col_pick(s, 8, pay_states, RP_ARRAY_LEN(pay_states),
	    &p->state)) != 0)
		return r;
	COPY(9, p->psp_id);
	COPY(10, p->psp_status);
	COPY(11, p->decline_code);
	COPY(12, p->next_url);
	COPY(13, p->brand);
	COPY(14, p->last4);
	p->exp_month = (int)sql_col_i64(s, 15);
	p->exp_year = (int)sql_col_i64(s, 16);
	p->tries = (int)sql_col_i64(s, 17);
	p->next_try_at = sql_col_i64(s, 18);
	p->created_at = sql_col_i64(s, 19);
	p->updated_at = sql_col_i64(s, 20);
	COPY(21, p->customer);
	COPY(22, p->payment_method);
	return 0;
}

static int
be_payment_new(void *arg, struct rp_payment *p)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int64_t t = now();
	int rc, r;

	if ((r = tx_begin(be)) != 0)
		return r;
	if ((s = stmt(be, S_PAY_ATTEMPT)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sql_i64(s, 1, p->order_id);
	sql_text(s, 2, pay_ops[p->op]);
	rc = sql_step(s);
	p->attempt = rc == RP_SQL_ROW ? (int)sql_col_i64(s, 0) + 1 : 0;
	sql_reset(s);
	if (rc != RP_SQL_ROW) {
		r = RP_E_DB;
		goto out;
	}
	snprintf(p->idem_key, sizeof(p->idem_key), "order:%lld:%s:%d",
	    (long long)p->order_id, pay_ops[p->op], p->attempt);
	if ((s = stmt(be, S_PAY_INS)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sql_i64(s, 1, p->order_id);
	sql_text(s, 2, pay_ops[p->op]);
	sql_i64(s, 3, p->attempt);
	sql_text(s, 4, p->idem_key);
	sql_i64(s, 5, p->amount_yen);
	sql_text(s, 6, p->token);
	sql_text(s, 7, p->return_url);
	sql_i64(s, 8, t);
	sql_text(s, 9, p->customer);
	sql_text(s, 10, p->payment_method);
	sql_text(s, 11, p->psp_id);
	if ((r = step_id(be, s, &p->id)) != 0)
		goto out;
	p->state = RP_PAY_QUEUED;
	p->created_at = p->updated_at = t;
 out:
	return tx_end(be, r);
}

static int
be_payment_get(void *arg, int64_t id, const char *psp_id, int64_t order_id,
    int op, struct rp_payment *p)
{
	struct be *be = arg;
	struct rp_sqlst *s;

	if (id > 0) {
		if ((s = stmt(be, S_PAY_GET)) == NULL)
			return RP_E_DB;
		sql_i64(s, 1, id);
	} else if (psp_id != NULL) {
		if ((s = stmt(be, S_PAY_BY_PSP)) == NULL)
			return RP_E_DB;
		sql_text(s, 1, psp_id);
		sql_text(s, 2, pay_ops[op]);
	} else {
		if ((s = stmt(be, S_PAY_LAST)) == NULL)
			return RP_E_DB;
		sql_i64(s, 1, order_id);
		sql_text(s, 2, pay_ops[op]);
	}
	return get_row(be, s, read_payment, p, sizeof(*p));
}

static int
be_payment_due(void *arg, int64_t at, size_t max, struct rp_payment **out,
    size_t *n)
{
	struct be *be = arg;
	struct rp_sqlst *s;

	if ((s = stmt(be, S_PAY_DUE)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, at);
	sql_i64(s, 2, (int64_t)max);
	return list_rows(be, s, sizeof(**out), read_payment, (void **)out, n);
}

static int
be_payment_update(void *arg, const struct rp_payment *p)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int r;

	if ((s = stmt(be, S_PAY_UPD)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, p->id);
	sql_text(s, 2, pay_states[p->state]);
	sql_text(s, 3, p->psp_id);
	sql_text(s, 4, p->psp_status);
	sql_text(s, 5, p->decline_code);
	sql_text(s, 6, p->next_url);
	sql_text(s, 7, p->brand);
	sql_text(s, 8, p->last4);
	sql_i64(s, 9, p->exp_month);
	sql_i64(s, 10, p->exp_year);
	sql_i64(s, 11, p->tries);
	sql_i64(s, 12, p->next_try_at);
	sql_i64(s, 13, now());
	sql_text(s, 14, p->token);
	sql_text(s, 15, p->customer);
	sql_text(s, 16, p->payment_method);
	if ((r = step_done(be, s)) != 0)
		return r;
	return be->changes == 1 ? 0 : RP_E_NOTFOUND;
}

static int
be_webhook_seen(void *arg, const char *id, const char *type, int64_t at)
{
	struct be *be = arg;
	struct rp_sqlst *s;

	if ((s = stmt(be, S_HOOK_INS)) == NULL)
		return RP_E_DB;
	sql_text(s, 1, id);
	sql_text(s, 2, type);
	sql_i64(s, 3, at);
	return step_done(be, s);	/* RP_E_EXISTS: seen before */
}

static int
be_order_paid(void *arg, int64_t order_id, const char *token,
    const char *brand, const char *last4, const char *auth_id)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int r;

	if ((s = stmt(be, S_ORDER_PAID)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, order_id);
	sql_text(s, 2, token);
	sql_text(s, 3, brand);
	sql_text(s, 4, last4);
	sql_text(s, 5, auth_id);
	if ((r = step_done(be, s)) != 0)
		return r;
	return be->changes == 1 ? 0 : RP_E_NOTFOUND;
}

/* ---- migration 0005: IPS bans ------------------------------------------ */

/* ---- stock (0009) -------------------------------------------------------- */

/* A single count of s, bound by the caller; resets it. */
static int
step_count(struct rp_sqlst *s, int64_t *v)
{
	int rc = sql_step(s);

	*v = rc == RP_SQL_ROW ? sql_col_i64(s, 0) : 0;
	sql_reset(s);
	return rc == RP_SQL_ROW ? 0 : rc < 0 ? rc : RP_E_DB;
}

static int
stock_units(struct be *be, int64_t counter_id, int kind, int64_t *units)
{
	struct rp_sqlst *s;

	if ((s = stmt(be, S_STOCK_UNITS)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, counter_id);
	sql_text(s, 2, rp_device_kind_name(kind));
	return step_count(s, units);
}

/* A stored or given YYYY-MM-DD as a day number; false if it is not one. */
static bool
day_of_str(struct rp_str text, int32_t *day)
{
	struct rp_date d;

	if (text.p == NULL || rp_date_parse(text, &d) != 0)
		return false;
	*day = rp_date_to_days(d);
	return true;
}

static bool
day_of(const char *text, int32_t *day)
{
	return text != NULL && day_of_str(rp_str_c(text), day);
}

static bool
day_of_col(struct rp_sqlst *s, int i, int32_t *day)
{
	struct rp_str t;

	t.p = sql_col_bytes(s, i, &t.n);
	return day_of_str(t, day);
}

/*
 * held[0..ndays): units the pool's reservations hold on each day from
 * `from` on (a reservation row is [from_date, until_date], inclusive).
 */
static int
stock_days(struct be *be, int64_t counter_id, int kind, const char *from,
    int ndays, int64_t *held)
{
	char until[RP_DATE_STRLEN];
	struct rp_sqlst *s;
	struct rp_date d;
	int32_t d0, a, z;
	int rc, i;

	assert(ndays > 0 && ndays <= RP_STOCK_WINDOW_MAX);
	if (rp_date_parse(rp_str_c(from), &d) != 0)
		return RP_E_INVAL;
	d0 = rp_date_to_days(d);
	if (rp_date_from_days(d0 + ndays - 1, &d) != 0 ||
	    rp_date_format(d, until) != 0)
		return RP_E_INVAL;
	/* a difference array: +qty where a row starts, -qty after it ends */
	int64_t diff[RP_STOCK_WINDOW_MAX + 1];

	memset(diff, 0, sizeof(diff[0]) * (size_t)(ndays + 1));
	if ((s = stmt(be, S_STOCK_WINDOW)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, counter_id);
	sql_text(s, 2, rp_device_kind_name(kind));
	sql_text(s, 3, from);
	sql_text(s, 4, until);
	while ((rc = sql_step(s)) == RP_SQL_ROW) {
		if (!day_of_col(s, 0, &a) || !day_of_col(s, 1, &z)) {
			sql_reset(s);
			return RP_E_DB;
		}
		a = a < d0 ? 0 : a - d0;
		z = z - d0 >= ndays ? ndays - 1 : z - d0;
		if (a > z)
			continue;
		diff[a] += sql_col_i64(s, 2);
		diff[z + 1] -= sql_col_i64(s, 2);
	}
	sql_reset(s);
	if (rc != RP_SQL_DONE)
		return rc < 0 ? rc : RP_E_DB;
	for (i = 0; i < ndays; i++)
		held[i] = (i ? held[i - 1] : 0) + diff[i];
	return 0;
}

/* Days in [from, until] (1.. RP_STOCK_WINDOW_MAX), or 0 if not a window. */
static int
window_days(const char *from, const char *until)
{
	int32_t a, z;

	if (!day_of(from, &a) || !day_of(until, &z) || z < a ||
	    z - a >= RP_STOCK_WINDOW_MAX)
		return 0;
	return (int)(z - a + 1);
}

/* The most held on one day of [from, until]. */
static int
stock_held(struct be *be, int64_t counter_id, int kind, const char *from,
    const char *until, int64_t *max)
{
	int64_t held[RP_STOCK_WINDOW_MAX];
	int n = window_days(from, until), r;

	*max = 0;
	if (n == 0)
		return RP_E_INVAL;
	if ((r = stock_days(be, counter_id, kind, from, n, held)) != 0)
		return r;
	for (int i = 0; i < n; i++)
		if (held[i] > *max)
			*max = held[i];
	return 0;
}

/*
 * Holds h for order_id inside the caller's transaction: the pool's row,
 * made once, is locked first (PostgreSQL: FOR UPDATE; SQLite's write
 * transaction is the lock), so the count cannot go stale before the
 * insert.  RP_E_FULL with h->free when fewer than h->qty are free.
 */
static int
stock_hold(struct be *be, int64_t order_id, struct rp_stock_hold *h,
    int64_t at)
{
	struct rp_sqlst *s;
	int64_t units = 0, held = 0;
	int r, rc;

	h->free = 0;
	if (h->qty < 1 || h->qty > 99 || h->counter_id < 0 ||
	    rp_device_kind_name(h->kind) == NULL ||
	    window_days(h->from, h->until) == 0)
		return RP_E_INVAL;
	if ((s = stmt(be, S_POOL_ENSURE)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, h->counter_id);
	sql_text(s, 2, rp_device_kind_name(h->kind));
	if ((r = step_done(be, s)) != 0)
		return r;
	if ((s = stmt(be, S_POOL_LOCK)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, h->counter_id);
	sql_text(s, 2, rp_device_kind_name(h->kind));
	rc = sql_step(s);
	sql_reset(s);
	if (rc != RP_SQL_ROW)
		return rc < 0 ? rc : RP_E_DB;
	if ((r = stock_units(be, h->counter_id, h->kind, &units)) != 0 ||
	    (r = stock_held(be, h->counter_id, h->kind, h->from, h->until,
	    &held)) != 0)
		return r;
	h->free = units > held ? units - held : 0;
	if (h->free < h->qty)
		return RP_E_FULL;
	if ((s = stmt(be, S_STOCK_RES_INS)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, order_id);
	sql_i64(s, 2, h->counter_id);
	sql_text(s, 3, rp_device_kind_name(h->kind));
	sql_i64(s, 4, h->qty);
	sql_text(s, 5, h->from);
	sql_text(s, 6, h->until);
	sql_i64(s, 7, at);
	if ((r = step_done(be, s)) != 0)
		return r;
	h->free -= h->qty;
	return 0;
}

/* Lets order_id's holds go, inside the caller's transaction; *n how many. */
static int
stock_drop(struct be *be, int64_t order_id, int64_t *n)
{
	struct rp_sqlst *s;
	int r;

	if ((s = stmt(be, S_STOCK_RELEASE)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, order_id);
	if ((r = step_done(be, s)) != 0)
		return r;
	if (n != NULL)
		*n = be->changes;
	return 0;
}

static int
be_stock_count(void *arg, int64_t counter_id, int kind, const char *from,
    const char *until, int64_t *units, int64_t *held)
{
	struct be *be = arg;
	int r;

	if ((r = stock_units(be, counter_id, kind, units)) != 0)
		return r;
	return stock_held(be, counter_id, kind, from, until, held);
}

static int
be_stock_days(void *arg, int64_t counter_id, int kind, const char *from,
    int ndays, int64_t *units, int64_t *held)
{
	struct be *be = arg;
	int r;

	if (ndays < 1 || ndays > RP_STOCK_WINDOW_MAX)
		return RP_E_INVAL;
	if ((r = stock_units(be, counter_id, kind, units)) != 0)
		return r;
	return stock_days(be, counter_id, kind, from, ndays, held);
}

static int
be_stock_reserve(void *arg, int64_t order_id, struct rp_stock_hold *h,
    int64_t at)
{
	struct be *be = arg;
	int r;

	if ((r = tx_begin(be)) != 0)
		return r;
	r = stock_hold(be, order_id, h, at);
	return tx_end(be, r);
}

static int
be_stock_release(void *arg, int64_t order_id)
{
	struct be *be = arg;
	int64_t n = 0;
	int r;

	if ((r = stock_drop(be, order_id, &n)) != 0)
		return r;
	return n > 0 ? 0 : RP_E_NOTFOUND;
}

static int
be_ban_put(void *arg, const struct rp_ban *b, bool extend_only)
{
	struct be *be = arg;
	struct rp_sqlst *s;

	if ((s = stmt(be, extend_only ? S_BAN_EXTEND : S_BAN_PUT)) == NULL)
		return RP_E_DB;
	sql_text(s, 1, b->addr);
	sql_i64(s, 2, b->until);
	sql_text(s, 3, b->reason);
	sql_i64(s, 4, b->created_at);
	sql_text(s, 5, b->source);
	return step_done(be, s);
}

static int
be_ban_delete(void *arg, const char *addr)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int r;

	if ((s = stmt(be, S_BAN_DEL)) == NULL)
		return RP_E_DB;
	sql_text(s, 1, addr);
	if ((r = step_done(be, s)) != 0)
		return r;
	return be->changes >= 1 ? 0 : RP_E_NOTFOUND;
}

static int
read_ban(struct rp_sqlst *s, void *rec)
{
	struct rp_ban *b = rec;
	int r;

	COPY(0, b->addr);
	b->until = sql_col_i64(s, 1);
	COPY(2, b->reason);
	b->created_at = sql_col_i64(s, 3);
	COPY(4, b->source);
	return 0;
}

static int
be_ban_list(void *arg, int64_t now, bool all, struct rp_ban **out, size_t *n)
{
	struct be *be = arg;
	struct rp_sqlst *s;

	if ((s = stmt(be, all ? S_BAN_ALL : S_BAN_LIST)) == NULL)
		return RP_E_DB;
	if (!all)
		sql_i64(s, 1, now);
	return list_rows(be, s, sizeof(**out), read_ban, (void **)out, n);
}

static int
be_ban_purge(void *arg, int64_t before)
{
	struct be *be = arg;
	struct rp_sqlst *s;

	if ((s = stmt(be, S_BAN_PURGE)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, before);
	return step_done(be, s);
}

/* ---- the counter (0010) ------------------------------------------------- */

/* One integer from a one-row query with order_id as ?1. */
static int
count_of(struct be *be, int id, int64_t key, int64_t *out)
{
	struct rp_sqlst *s;
	int rc;

	if ((s = stmt(be, id)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, key);
	rc = sql_step(s);
	*out = rc == RP_SQL_ROW ? sql_col_i64(s, 0) : 0;
	sql_reset(s);
	return rc == RP_SQL_ROW ? 0 : rc < 0 ? rc : RP_E_DB;
}

/* The order's status, devices and device kind, its row locked. */
static int
order_lock_kind(struct be *be, int64_t order_id, int *status, int64_t *qty,
    int *kind)
{
	struct rp_sqlst *s;
	int rc, r;

	if ((s = stmt(be, S_ORDER_LOCK_KIND)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, order_id);
	rc = sql_step(s);
	if (rc == RP_SQL_ROW) {
		*qty = sql_col_i64(s, 1);
		if ((r = col_enum(s, 0, rp_order_status_parse, status)) == 0)
			r = col_enum(s, 2, rp_device_kind_parse, kind);
	} else
		r = rc == RP_SQL_DONE ? RP_E_NOTFOUND : rc < 0 ? rc : RP_E_DB;
	sql_reset(s);
	return r;
}

/* Moves unit d from its read state to `to` at counter_id (0: none);
 * RP_E_EXISTS when another writer moved it first. */
static int
device_move(struct be *be, const struct rp_device *d, int to,
    int64_t counter_id)
{
	struct rp_sqlst *s;
	int r;

	if ((s = stmt(be, S_DEVICE_STATE)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, d->id);
	sql_text(s, 2, rp_device_status_name(d->status));
	sql_text(s, 3, rp_device_status_name(to));
	bind_ref(s, 4, counter_id);
	if ((r = step_done(be, s)) != 0)
		return r;
	return be->changes == 1 ? 0 : RP_E_EXISTS;
}

static int
device_event(struct be *be, const struct rp_device *d, int to,
    int64_t counter_id, int64_t order_id, const char *actor, int64_t at,
    const char *note)
{
	struct rp_sqlst *s;

	if ((s = stmt(be, S_DEVEV_INS)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, d->id);
	sql_i64(s, 2, at);
	sql_text(s, 3, actor);
	sql_text(s, 4, rp_device_status_name(d->status));
	sql_text(s, 5, rp_device_status_name(to));
	bind_ref(s, 6, counter_id);
	bind_ref(s, 7, order_id);
	sql_text(s, 8, note);
	return step_done(be, s);
}

static int
charge_insert(struct be *be, int64_t order_id, const struct rp_order_charge *c,
    int64_t at)
{
	struct rp_sqlst *s;

	if ((s = stmt(be, S_CHARGE_INS)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, order_id);
	sql_text(s, 2, c->code);
	sql_i64(s, 3, c->qty);
	sql_i64(s, 4, c->amount_yen);
	sql_i64(s, 5, at);
	return step_done(be, s);
}

/* Moves the locked order from `from` to `to` with its event. */
static int
order_move(struct be *be, int64_t order_id, int from, int to,
    const char *actor, int64_t at, const char *note)
{
	struct rp_sqlst *s;
	int r;

	if (!rp_order_transition_ok(from, to))
		return RP_E_STATE;
	if ((s = stmt(be, S_ORDER_SET_STATUS)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, order_id);
	sql_text(s, 2, rp_order_status_name(to));
	sql_i64(s, 3, at);
	if ((r = step_done(be, s)) != 0)
		return r;
	return insert_event(be, order_id, from, to, actor, at, note);
}

static int
be_unit_pickup(void *arg, int64_t order_id, const char *serial,
    int64_t counter_id, const char *tracking, const char *actor, int64_t at,
    int *why, bool *complete)
{
	struct be *be = arg;
	struct rp_device d;
	struct rp_sqlst *s;
	int64_t qty = 0, taken = 0;
	int status = -1, kind = -1, r;

	if (at == 0)
		at = now();
	if ((r = tx_begin(be)) != 0)
		return r;
	if ((r = order_lock_kind(be, order_id, &status, &qty, &kind)) != 0)
		goto out;
	if (status != RP_ORDER_RESERVED && status != RP_ORDER_CONFIRMED) {
		*why = RP_UNIT_ORDER_STATE;
		r = RP_E_STATE;
		goto out;
	}
	if ((r = be_device_get(be, serial, &d)) != 0) {
		if (r == RP_E_NOTFOUND)
			*why = RP_UNIT_UNKNOWN_SERIAL;
		goto out;
	}
	if (d.kind != kind) {
		*why = RP_UNIT_WRONG_KIND;
		r = RP_E_INVAL;
		goto out;
	}
	if (d.counter_id != counter_id) {
		*why = RP_UNIT_WRONG_COUNTER;
		r = RP_E_INVAL;
		goto out;
	}
	if (d.status != RP_DEVSTAT_AVAILABLE) {
		*why = RP_UNIT_UNAVAILABLE;
		r = RP_E_EXISTS;
		goto out;
	}
	if ((r = count_of(be, S_UNITS_TAKEN, order_id, &taken)) != 0)
		goto out;
	if (taken >= qty) {
		*why = RP_UNIT_ORDER_STATE;
		r = RP_E_STATE;
		goto out;
	}
	/* two counters scanning one unit: the state check in the UPDATE
	 * (and the unique index on units out) lets one win */
	if ((r = device_move(be, &d, RP_DEVSTAT_OUT, counter_id)) != 0) {
		if (r == RP_E_EXISTS)
			*why = RP_UNIT_UNAVAILABLE;
		goto out;
	}
	if ((s = stmt(be, S_UNIT_INS)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sql_i64(s, 1, order_id);
	sql_i64(s, 2, d.id);
	sql_i64(s, 3, at);
	bind_ref(s, 4, counter_id);
	sql_text(s, 5, tracking);
	if ((r = step_done(be, s)) != 0) {
		if (r == RP_E_EXISTS)
			*why = RP_UNIT_UNAVAILABLE;
		goto out;
	}
	if ((r = device_event(be, &d, RP_DEVSTAT_OUT, counter_id, order_id,
	    actor, at, counter_id == 0 ? "dispatched" : "picked up")) != 0)
		goto out;
	if (taken + 1 == qty) {
		r = order_move(be, order_id, status, RP_ORDER_PICKED_UP, actor, at,
		    counter_id == 0 ? tracking : "");
		*complete = r == 0;
	}
 out:
	return tx_end(be, r);
}

static int
be_unit_return(void *arg, int64_t order_id, const char *serial,
    int64_t counter_id, int condition, const struct rp_order_charge *charges,
    size_t ncharges, const char *actor, int64_t at, int *why, bool *complete)
{
	static const int next[RP_COND_COUNT] = {
		[RP_COND_OK] = RP_DEVSTAT_INSPECTION,
		[RP_COND_DAMAGED] = RP_DEVSTAT_REPAIR,
		[RP_COND_PARTS_MISSING] = RP_DEVSTAT_REPAIR,
		[RP_COND_LOST] = RP_DEVSTAT_LOST,
	};
	struct be *be = arg;
	struct rp_device d;
	struct rp_sqlst *s;
	int64_t qty = 0, unit_id = 0, unit_order = 0, still = 0;
	int status = -1, kind = -1, rc, r;

	if (at == 0)
		at = now();
	if ((r = tx_begin(be)) != 0)
		return r;
	if ((r = order_lock_kind(be, order_id, &status, &qty, &kind)) != 0)
		goto out;
	if ((r = be_device_get(be, serial, &d)) != 0) {
		if (r == RP_E_NOTFOUND)
			*why = RP_UNIT_UNKNOWN_SERIAL;
		goto out;
	}
	if ((s = stmt(be, S_UNIT_OPEN)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sql_i64(s, 1, d.id);
	rc = sql_step(s);
	if (rc == RP_SQL_ROW) {
		unit_id = sql_col_i64(s, 0);
		unit_order = sql_col_i64(s, 1);
	}
	sql_reset(s);
	if (rc < 0) {
		r = rc;
		goto out;
	}
	if (unit_id != 0 && unit_order != order_id) {
		*why = RP_UNIT_OTHER_ORDER;
		r = RP_E_INVAL;
		goto out;
	}
	if (status != RP_ORDER_PICKED_UP) {
		*why = RP_UNIT_ORDER_STATE;
		r = RP_E_STATE;
		goto out;
	}
	if (unit_id == 0 || d.status != RP_DEVSTAT_OUT) {
		*why = RP_UNIT_NOT_OUT;
		r = RP_E_STATE;
		goto out;
	}
	if ((s = stmt(be, S_UNIT_BACK)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sql_i64(s, 1, unit_id);
	sql_i64(s, 2, at);
	bind_ref(s, 3, counter_id);
	sql_text(s, 4, rp_unit_condition_name(condition));
	if ((r = step_done(be, s)) != 0)
		goto out;
	if (be->changes != 1 ||
	    (r = device_move(be, &d, next[condition], counter_id)) != 0) {
		*why = RP_UNIT_NOT_OUT;	/* returned by another counter first */
		r = RP_E_STATE;
		goto out;
	}
	if ((r = device_event(be, &d, next[condition], counter_id, order_id,
	    actor, at, rp_unit_condition_name(condition))) != 0)
		goto out;
	for (size_t i = 0; i < ncharges; i++)
		if ((r = charge_insert(be, order_id, &charges[i], at)) != 0)
			goto out;
	if ((r = count_of(be, S_UNITS_STILL_OUT, order_id, &still)) != 0)
		goto out;
	if (still == 0) {
		r = order_move(be, order_id, status, RP_ORDER_RETURNED, actor, at,
		    rp_unit_condition_name(condition));
		*complete = r == 0;
	}
 out:
	return tx_end(be, r);
}

static int
be_unit_history(void *arg, int64_t order_id, int64_t device_id,
    int64_t out_at, int64_t out_counter_id, int64_t back_at,
    int64_t back_counter_id, int condition)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int r;

	if ((r = tx_begin(be)) != 0)
		return r;
	if ((s = stmt(be, S_UNIT_HIST)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sql_i64(s, 1, order_id);
	sql_i64(s, 2, device_id);
	sql_i64(s, 3, out_at);
	bind_ref(s, 4, out_counter_id);
	if (back_at > 0) {
		sql_i64(s, 5, back_at);
		bind_ref(s, 6, back_counter_id);
		sql_text(s, 7, rp_unit_condition_name(condition));
	} else
		sql_text(s, 7, "");
	if ((r = step_done(be, s)) != 0 || back_at > 0)
		goto out;
	if ((s = stmt(be, S_DEVICE_OUT)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sql_i64(s, 1, device_id);
	r = step_done(be, s);
 out:
	return tx_end(be, r);
}

static int
read_unit(struct rp_sqlst *s, void *rec)
{
	struct rp_order_unit *u = rec;
	char cond[24];
	int r;

	u->device_id = sql_col_i64(s, 0);
	COPY(1, u->serial);
	if ((r = col_enum(s, 2, rp_device_kind_parse, &u->kind)) != 0)
		return r;
	u->out_at = sql_col_i64(s, 3);
	u->out_counter_id = sql_col_i64(s, 4);
	COPY(5, u->tracking);
	u->back_at = sql_col_i64(s, 6);
	u->back_counter_id = sql_col_i64(s, 7);
	COPY(8, cond);
	u->condition = -1;
	if (cond[0] != '\0' && rp_unit_condition_parse(cond, &u->condition) != 0)
		return RP_E_DB;
	return 0;
}

static int
read_charge(struct rp_sqlst *s, void *rec)
{
	struct rp_order_charge *c = rec;
	int r;

	COPY(0, c->code);
	c->qty = (int32_t)sql_col_i64(s, 1);
	c->amount_yen = sql_col_i64(s, 2);
	c->at = sql_col_i64(s, 3);
	return 0;
}

static int
read_device_event(struct rp_sqlst *s, void *rec)
{
	struct rp_device_event *e = rec;
	int r;

	e->at = sql_col_i64(s, 0);
	COPY(1, e->actor);
	COPY(2, e->from);
	COPY(3, e->to);
	COPY(4, e->counter);
	COPY(5, e->order);
	COPY(6, e->note);
	return 0;
}

static int
be_device_history(void *arg, int64_t device_id, size_t max,
    struct rp_device_event **out, size_t *n)
{
	struct be *be = arg;
	struct rp_sqlst *s;

	if ((s = stmt(be, S_DEVEV_LIST)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, device_id);
	sql_i64(s, 2, (int64_t)max);
	return list_rows(be, s, sizeof(**out), read_device_event, (void **)out,
	    n);
}

static int
be_order_units(void *arg, int64_t order_id, struct rp_order_unit **out,
    size_t *n)
{
	return list_by_id(arg, S_UNITS, order_id, sizeof(**out), read_unit,
	    (void **)out, n);
}

static int
be_order_charges(void *arg, int64_t order_id, struct rp_order_charge **out,
    size_t *n)
{
	return list_by_id(arg, S_CHARGES, order_id, sizeof(**out), read_charge,
	    (void **)out, n);
}

static int
be_counter_orders(void *arg, int64_t counter_id, int which, const char *date,
    size_t max, struct rp_order **out, size_t *n)
{
	static const int ids[] = {
		[RP_COUNTER_PICKUPS] = S_COUNTER_PICKUPS,
		[RP_COUNTER_RETURNS] = S_COUNTER_RETURNS,
		[RP_COUNTER_OVERDUE] = S_COUNTER_OVERDUE,
		[RP_COUNTER_NO_SHOWS] = S_COUNTER_NOSHOWS,
	};
	struct be *be = arg;
	struct rp_sqlst *s;

	if ((s = stmt(be, ids[which])) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, counter_id);
	sql_text(s, 2, date);
	sql_i64(s, 3, (int64_t)max);
	return list_rows(be, s, sizeof(**out), read_order, (void **)out, n);
}

static int
be_order_list_person(void *arg, int64_t person_id, size_t max,
    struct rp_order **out, size_t *n)
{
	struct be *be = arg;
	struct rp_sqlst *s;

	if ((s = stmt(be, S_ORDER_LIST_PERSON)) == NULL)
		return RP_E_DB;
	sql_i64(s, 1, person_id);
	sql_i64(s, 2, (int64_t)max);
	return list_rows(be, s, sizeof(**out), read_order, (void **)out, n);
}

static int
be_order_settle(void *arg, int64_t order_id, const char *method, int to,
    const char *actor, int64_t at)
{
	struct be *be = arg;
	struct rp_sqlst *s;
	int64_t qty;
	int status = -1, kind, r;

	if (at == 0)
		at = now();
	if ((r = tx_begin(be)) != 0)
		return r;
	if ((r = order_lock_kind(be, order_id, &status, &qty, &kind)) != 0)
		goto out;
	if (status != RP_ORDER_RETURNED) {
		r = RP_E_STATE;
		goto out;
	}
	if ((s = stmt(be, S_ORDER_SETTLE)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sql_i64(s, 1, order_id);
	sql_text(s, 2, method);
	if ((r = step_done(be, s)) != 0)
		goto out;
	r = order_move(be, order_id, status, to, actor, at, method);
 out:
	return tx_end(be, r);
}

static int
be_order_no_show(void *arg, int64_t order_id, const struct rp_order_charge *fee,
    const char *actor, int64_t at)
{
	struct be *be = arg;
	int64_t qty;
	int status = -1, kind, r;

	if (at == 0)
		at = now();
	if ((r = tx_begin(be)) != 0)
		return r;
	if ((r = order_lock_kind(be, order_id, &status, &qty, &kind)) != 0)
		goto out;
	if ((r = order_move(be, order_id, status, RP_ORDER_NO_SHOW, actor, at,
	    "not picked up")) != 0 || (r = stock_drop(be, order_id, NULL)) != 0)
		goto out;
	if (fee != NULL && fee->amount_yen > 0)
		r = charge_insert(be, order_id, fee, at);
 out:
	return tx_end(be, r);
}

static int
be_device_transfer(void *arg, const char *serial, int64_t to_counter_id,
    const char *actor, int64_t at, int *why)
{
	struct be *be = arg;
	struct rp_device d;
	int r;

	if (at == 0)
		at = now();
	if ((r = tx_begin(be)) != 0)
		return r;
	if ((r = be_device_get(be, serial, &d)) != 0) {
		if (r == RP_E_NOTFOUND)
			*why = RP_UNIT_UNKNOWN_SERIAL;
		goto out;
	}
	if (d.status != RP_DEVSTAT_AVAILABLE && d.status !=
	    RP_DEVSTAT_INSPECTION) {
		*why = RP_UNIT_UNAVAILABLE;
		r = RP_E_EXISTS;
		goto out;
	}
	if ((r = device_move(be, &d, d.status, to_counter_id)) != 0) {
		if (r == RP_E_EXISTS)
			*why = RP_UNIT_UNAVAILABLE;
		goto out;
	}
	r = device_event(be, &d, d.status, to_counter_id, 0, actor, at,
	    "transfer");
 out:
	return tx_end(be, r);
}

static const struct rp_store_ops backend_ops = {
	.name = "sql",
	.close = be_close,
	.ping = be_ping,
	.schema_version = be_schema_version,
	.bulk_begin = be_bulk_begin,
	.bulk_end = be_bulk_end,
	.tenant_insert = be_tenant_insert,
	.tenant_get = be_tenant_get,
	.tenant_list = be_tenant_list,
	.price_set = be_price_set,
	.price_get = be_price_get,
	.plan_insert = be_plan_insert,
	.plan_get = be_plan_get,
	.plan_list = be_plan_list,
	.option_insert = be_option_insert,
	.option_get = be_option_get,
	.option_list = be_option_list,
	.counter_insert = be_counter_insert,
	.counter_get = be_counter_get,
	.counter_list = be_counter_list,
	.device_insert = be_device_insert,
	.device_get = be_device_get,
	.device_list = be_device_list,
	.device_update = be_device_update,
	.policy_insert = be_policy_insert,
	.policy_latest = be_policy_latest,
	.order_insert = be_order_insert,
	.order_get = be_order_get,
	.order_find_number = be_order_find_number,
	.order_list_tenant = be_order_list_tenant,
	.order_transition = be_order_transition,
	.order_events = be_order_events,
	.order_count = be_order_count,
	.idem_insert = be_idem_insert,
	.idem_get = be_idem_get,
	.idem_complete = be_idem_complete,
	.idem_delete = be_idem_delete,
	.idem_purge = be_idem_purge,
	.order_change = be_order_change,
	.order_reserve = be_order_reserve,
	.payment_new = be_payment_new,
	.payment_get = be_payment_get,
	.payment_due = be_payment_due,
	.payment_update = be_payment_update,
	.webhook_seen = be_webhook_seen,
	.order_paid = be_order_paid,
	.ban_put = be_ban_put,
	.stock_count = be_stock_count,
	.stock_days = be_stock_days,
	.stock_reserve = be_stock_reserve,
	.stock_release = be_stock_release,
	.ban_delete = be_ban_delete,
	.ban_list = be_ban_list,
	.ban_purge = be_ban_purge,
	.unit_pickup = be_unit_pickup,
	.unit_return = be_unit_return,
	.unit_history = be_unit_history,
	.order_units = be_order_units,
	.order_charges = be_order_charges,
	.counter_orders = be_counter_orders,
	.order_list_person = be_order_list_person,
	.order_settle = be_order_settle,
	.order_no_show = be_order_no_show,
	.device_transfer = be_device_transfer,
	.device_history = be_device_history,
};
