/* SPDX-License-Identifier: ISC */
/*
 * sqlite.c — SQLite backend of the core store: <data_dir>/core.db in WAL
 * mode with foreign keys on, a 5 s busy timeout and synchronous=NORMAL.
 * Applies the embedded migrations (src/store/migrations/NNNN_*.sql) at
 * open, in one transaction, recording each in schema_migrations.
 *
 * Every statement is prepared once and cached (SQLITE_PREPARE_PERSISTENT),
 * with bound parameters only; the one dynamic statement (order counts) is
 * assembled from fixed fragments.  Arguments were checked by store.c.
 * Operational log lines name files and error codes, never row contents.
 */
#include "util/common.h"
#include "util/embed.h"
#include "util/log.h"
#include "util/str.h"
#include "store/store_impl.h"

#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <sqlite3.h>

static const struct {
	int version;
	const char *path;	/* embedded file name */
} migrations[] = {
	{ 1, "src/store/migrations/0001_init.sql" },
	{ 2, "src/store/migrations/0002_api.sql" },
	{ 3, "src/store/migrations/0003_sites.sql" },
	{ 4, "src/store/migrations/0004_payments.sql" },
	{ 5, "src/store/migrations/0005_bans.sql" },
	{ 6, "src/store/migrations/0006_tokens.sql" },
	{ 7, "src/store/migrations/0007_staff_out.sql" },
	{ 8, "src/store/migrations/0008_tokens_out.sql" },
};

static const struct rp_store_ops rp_store_sqlite_ops;

enum {
	S_TENANT_INS, S_TENANT_BY_SLUG, S_TENANT_BY_ID, S_TENANT_LIST,
	S_PRICE_SET, S_PRICE_GET,
	S_PLAN_INS, S_PLAN_GET, S_PLAN_LIST,
	S_OPTION_INS, S_OPTION_GET, S_OPTION_LIST,
	S_COUNTER_INS, S_COUNTER_GET, S_COUNTER_LIST,
	S_DEVICE_INS, S_DEVICE_GET, S_DEVICE_LIST, S_DEVICE_UPD,
	S_POLICY_INS, S_POLICY_LATEST,
	S_ORDER_MAXID, S_ORDER_BY_NUMBER, S_ORDER_INS, S_ORDER_OPT_INS, S_EVENT_INS,
	S_ORDER_GET, S_ORDER_OPTS, S_ORDER_LIST_TENANT, S_ORDER_STATUS,
	S_ORDER_SET_STATUS, S_EVENTS,
	S_IDEM_INS, S_IDEM_GET, S_IDEM_DONE, S_IDEM_DEL, S_IDEM_PURGE,
	S_ORDER_CHANGE, S_ORDER_OPT_DEL,
	S_ORDER_RESERVE, S_ORDER_UNRESERVE, S_PAY_ATTEMPT, S_PAY_INS, S_PAY_GET, S_PAY_LAST, S_PAY_BY_PSP, S_PAY_DUE,
	S_PAY_UPD, S_HOOK_INS, S_ORDER_PAID,
	S_BAN_PUT, S_BAN_EXTEND, S_BAN_DEL, S_BAN_LIST, S_BAN_ALL, S_BAN_PURGE,
	S_COUNT
};

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
	"lang, employee_no, cost_centre"

static const char *const sql[S_COUNT] = {
	[S_TENANT_INS] = "INSERT INTO tenants (slug, name, billing, settings, "
	    "created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
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
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_PLAN_GET] = "SELECT " PLAN_COLS " FROM plans WHERE code = ?1",
	[S_PLAN_LIST] = "SELECT " PLAN_COLS " FROM plans WHERE "
	    "(?1 IS NULL OR destination = ?1) AND (?2 IS NULL OR device = ?2) "
	    "AND (?3 = 0 OR active = 1) ORDER BY id",
	[S_OPTION_INS] = "INSERT INTO options (code, name, kind, daily_yen, "
	    "tax_bp) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_OPTION_GET] = "SELECT " OPTION_COLS " FROM options WHERE code = ?1",
	[S_OPTION_LIST] = "SELECT " OPTION_COLS " FROM options ORDER BY id",
	[S_COUNTER_INS] = "INSERT INTO counters (code, airport, terminal, name, "
	    "opens, closes, deadline_days, deadline_hour) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_COUNTER_GET] = "SELECT " COUNTER_COLS " FROM counters WHERE code = ?1",
	[S_COUNTER_LIST] = "SELECT " COUNTER_COLS " FROM counters ORDER BY id",
	[S_DEVICE_INS] = "INSERT INTO devices (serial, model, kind, status, "
	    "counter_id) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_DEVICE_GET] = "SELECT " DEVICE_COLS " FROM devices WHERE serial = ?1",
	[S_DEVICE_LIST] = "SELECT " DEVICE_COLS " FROM devices WHERE "
	    "(?1 IS NULL OR status = ?1) AND "
	    "(?2 = -1 OR coalesce(counter_id, 0) = ?2) ORDER BY id",
	[S_DEVICE_UPD] = "UPDATE devices SET status = ?2, counter_id = ?3 "
	    "WHERE id = ?1",
	[S_POLICY_INS] = "INSERT INTO policies (name, version, json, created_at) "
	    "VALUES (?1, ?2, ?3, ?4)",
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
	    "coalesce((SELECT max(id) FROM order_ids), 0)) + 1, ?1)",
	[S_ORDER_UNRESERVE] = "DELETE FROM order_ids WHERE id = ?1",
	[S_PAY_ATTEMPT] = "SELECT coalesce(max(attempt), 0) FROM payments "
	    "WHERE order_id = ?1 AND op = ?2",
	[S_PAY_INS] = "INSERT INTO payments (order_id, op, attempt, idem_key, "
	    "amount_yen, token, return_url, state, created_at, updated_at, "
	    "customer, payment_method, psp_id) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?8, ?9, ?10, ?11)",
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

struct sq {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	bool bulk;
	int64_t next_order_id;		/* bulk mode: 0 until first read */
	const struct rp_ordnum *num;	/* borrowed: the front's key */
};

/* ---- helpers ----------------------------------------------------------- */

static int
map_rc(sqlite3 *db, int rc)
{
	int ext = sqlite3_extended_errcode(db);

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_CONSTRAINT:
		if (ext == SQLITE_CONSTRAINT_UNIQUE ||
		    ext == SQLITE_CONSTRAINT_PRIMARYKEY)
			return RP_E_EXISTS;
		if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
			return RP_E_NOTFOUND;
		return RP_E_INVAL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return RP_E_AGAIN;
	case SQLITE_NOMEM:
		return RP_E_NOMEM;
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
		return RP_E_IO;
	default:
		return RP_E_DB;
	}
}

static int
exec(struct sq *be, const char *q)
{
	int rc;

	if ((rc = sqlite3_exec(be->db, q, NULL, NULL, NULL)) != SQLITE_OK) {
		rp_log_error("store: sqlite exec failed: %s",
		    sqlite3_errstr(rc));
		return map_rc(be->db, rc) ? map_rc(be->db, rc) : RP_E_DB;
	}
	return 0;
}

/* The cached statement, reset and with its bindings cleared. */
static sqlite3_stmt *
stmt(struct sq *be, int id)
{
	sqlite3_stmt *s = be->stmt[id];

	if (s == NULL) {
		if (sqlite3_prepare_v3(be->db, sql[id], -1,
		    SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
			rp_log_error("store: prepare %d failed: %s", id,
			    sqlite3_errmsg(be->db));
			return NULL;
		}
		be->stmt[id] = s;
		return s;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static void
bind_ref(sqlite3_stmt *s, int i, int64_t id)
{
	if (id > 0)
		sqlite3_bind_int64(s, i, id);
	else
		sqlite3_bind_null(s, i);
}

/* Steps a statement that returns no row; resets it. */
static int
step_done(struct sq *be, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s), r;

	r = rc == SQLITE_DONE ? 0 : map_rc(be->db, rc);
	if (rc != SQLITE_DONE && r == 0)
		r = RP_E_DB;
	sqlite3_reset(s);
	return r;
}

/* Copies a text column into a fixed field; RP_E_DB if it cannot fit. */
static int
col_copy(sqlite3_stmt *s, int i, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t n = (size_t)sqlite3_column_bytes(s, i);

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
col_enum(sqlite3_stmt *s, int i, int (*parse)(const char *, int *), int *out)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	return parse(t, out) == 0 ? 0 : RP_E_DB;
}

static int
tx_begin(struct sq *be)
{
	return be->bulk ? 0 : exec(be, "BEGIN IMMEDIATE");
}

/* Commits when r is 0, else rolls back; returns the final result. */
static int
tx_end(struct sq *be, int r)
{
	if (be->bulk)
		return r;
	if (r == 0 && (r = exec(be, "COMMIT")) == 0)
		return 0;
	(void)sqlite3_exec(be->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

typedef int (*row_fn)(sqlite3_stmt *s, void *rec);

/* Reads every row of s into a fresh array of size-byte records. */
static int
list_rows(struct sq *be, sqlite3_stmt *s, size_t size, row_fn fn,
    void **out, size_t *n)
{
	char *arr = NULL, *tmp;
	size_t cap = 0, cnt = 0, bytes;
	int rc, r = 0;

	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
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
	if (rc != SQLITE_DONE) {
		r = map_rc(be->db, rc) ? map_rc(be->db, rc) : RP_E_DB;
		goto out;
	}
	*out = arr;
	*n = cnt;
	arr = NULL;			/* transferred */
 out:
	free(arr);
	sqlite3_reset(s);
	return r;
}

/* Steps a single-row lookup into rec; RP_E_NOTFOUND when no row. */
static int
get_row(struct sq *be, sqlite3_stmt *s, row_fn fn, void *rec, size_t size)
{
	int rc, r;

	memset(rec, 0, size);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = fn(s, rec);
	else if (rc == SQLITE_DONE)
		r = RP_E_NOTFOUND;
	else
		r = map_rc(be->db, rc) ? map_rc(be->db, rc) : RP_E_DB;
	sqlite3_reset(s);
	if (r != 0)
		memset(rec, 0, size);
	return r;
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
	struct sq *be = arg;
	sqlite3_stmt *s;

	if ((s = stmt(be, which)) == NULL)
		return RP_E_DB;
	bind_text(s, 1, key);
	return get_row(be, s, fn, rec, size);
}

/* Every row of a statement without parameters. */
static int
list_all(void *arg, int which, size_t size, row_fn fn, void **out, size_t *n)
{
	struct sq *be = arg;
	sqlite3_stmt *s;

	if ((s = stmt(be, which)) == NULL)
		return RP_E_DB;
	return list_rows(be, s, size, fn, out, n);
}

/* ---- row readers ------------------------------------------------------- */

static int
read_tenant(sqlite3_stmt *s, void *rec)
{
	struct rp_tenant *t = rec;
	int r;

	t->id = sqlite3_column_int64(s, 0);
	COPY(1, t->slug);
	COPY(2, t->name);
	if ((r = col_enum(s, 3, rp_billing_parse, &t->billing)) != 0)
		return r;
	COPY(4, t->settings);
	t->created_at = sqlite3_column_int64(s, 5);
	return 0;
}

static int
read_plan(sqlite3_stmt *s, void *rec)
{
	struct rp_plan *p = rec;
	int r;

	p->id = sqlite3_column_int64(s, 0);
	COPY(1, p->code);
	COPY(2, p->destination);
	COPY(3, p->destination_name);
	if ((r = col_enum(s, 4, rp_device_kind_parse, &p->device)) != 0)
		return r;
	COPY(5, p->tier);
	p->daily_yen = sqlite3_column_int64(s, 6);
	p->tax_bp = sqlite3_column_int(s, 7);
	p->active = sqlite3_column_int(s, 8) != 0;
	return 0;
}

static int
read_option(sqlite3_stmt *s, void *rec)
{
	struct rp_option *o = rec;
	int r;

	o->id = sqlite3_column_int64(s, 0);
	COPY(1, o->code);
	COPY(2, o->name);
	if ((r = col_enum(s, 3, rp_option_kind_parse, &o->kind)) != 0)
		return r;
	o->daily_yen = sqlite3_column_int64(s, 4);
	o->tax_bp = sqlite3_column_int(s, 5);
	return 0;
}

static int
read_counter(sqlite3_stmt *s, void *rec)
{
	struct rp_counter *c = rec;
	int r;

	c->id = sqlite3_column_int64(s, 0);
	COPY(1, c->code);
	COPY(2, c->airport);
	COPY(3, c->terminal);
	COPY(4, c->name);
	COPY(5, c->opens);
	COPY(6, c->closes);
	c->deadline_days = sqlite3_column_int(s, 7);
	c->deadline_hour = sqlite3_column_int(s, 8);
	return 0;
}

static int
read_device(sqlite3_stmt *s, void *rec)
{
	struct rp_device *d = rec;
	int r;

	d->id = sqlite3_column_int64(s, 0);
	COPY(1, d->serial);
	COPY(2, d->model);
	if ((r = col_enum(s, 3, rp_device_kind_parse, &d->kind)) != 0 ||
	    (r = col_enum(s, 4, rp_device_status_parse, &d->status)) != 0)
		return r;
	d->counter_id = sqlite3_column_int64(s, 5);
	return 0;
}

static int
read_order(sqlite3_stmt *s, void *rec)
{
	struct rp_order *o = rec;
	int r;

	o->id = sqlite3_column_int64(s, 0);
	COPY(1, o->number);
	o->tenant_id = sqlite3_column_int64(s, 2);
	if ((r = col_enum(s, 3, rp_channel_parse, &o->channel)) != 0)
		return r;
	o->person_id = sqlite3_column_int64(s, 4);
	o->plan_id = sqlite3_column_int64(s, 5);
	o->qty = sqlite3_column_int(s, 6);
	COPY(7, o->order_date);
	COPY(8, o->depart_date);
	COPY(9, o->return_date);
	if ((r = col_enum(s, 10, rp_handover_parse, &o->pickup)) != 0)
		return r;
	o->pickup_counter_id = sqlite3_column_int64(s, 11);
	if ((r = col_enum(s, 12, rp_handover_parse, &o->ret)) != 0)
		return r;
	o->return_counter_id = sqlite3_column_int64(s, 13);
	if ((r = col_enum(s, 14, rp_order_status_parse, &o->status)) != 0)
		return r;
	o->subtotal_yen = sqlite3_column_int64(s, 15);
	o->tax_yen = sqlite3_column_int64(s, 16);
	o->total_yen = sqlite3_column_int64(s, 17);
	o->policy_id = sqlite3_column_int64(s, 18);
	COPY(19, o->pay_token);
	COPY(20, o->pay_brand);
	COPY(21, o->pay_last4);
	COPY(22, o->pay_auth_id);
	o->created_at = sqlite3_column_int64(s, 23);
	o->updated_at = sqlite3_column_int64(s, 24);
	COPY(25, o->lang);
	COPY(26, o->employee_no);
	COPY(27, o->cost_centre);
	return 0;
}

static int
read_event(sqlite3_stmt *s, void *rec)
{
	struct rp_order_event *e = rec;
	int r;

	e->id = sqlite3_column_int64(s, 0);
	e->order_id = sqlite3_column_int64(s, 1);
	if (sqlite3_column_type(s, 2) == SQLITE_NULL)
		e->from = -1;
	else if ((r = col_enum(s, 2, rp_order_status_parse, &e->from)) != 0)
		return r;
	if ((r = col_enum(s, 3, rp_order_status_parse, &e->to)) != 0)
		return r;
	COPY(4, e->actor);
	e->at = sqlite3_column_int64(s, 5);
	COPY(6, e->note);
	return 0;
}

/* ---- lifecycle --------------------------------------------------------- */

static void
sq_close(void *arg)
{
	struct sq *be = arg;
	int i;

	if (be == NULL)
		return;
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(be->stmt[i]);
	sqlite3_close(be->db);
	free(be);
}

static int
sq_ping(void *arg)
{
	struct sq *be = arg;

	return sqlite3_exec(be->db, "SELECT 1", NULL, NULL, NULL) == SQLITE_OK ?
	    0 : RP_E_DB;
}

static int
read_version(struct sq *be, int *version)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*version = 0;
	if (sqlite3_prepare_v2(be->db, "SELECT coalesce(max(version), 0) FROM "
	    "schema_migrations", -1, &s, NULL) != SQLITE_OK)
		return RP_E_DB;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : RP_E_DB;
}

static int
sq_schema_version(void *arg, int *version)
{
	return read_version(arg, version);
}

static int
migrate(struct sq *be)
{
	const struct rp_embed *e;
	sqlite3_stmt *s = NULL;
	int latest = migrations[RP_ARRAY_LEN(migrations) - 1].version;
	int cur, r;
	size_t i;

	if ((r = exec(be, "BEGIN IMMEDIATE")) != 0)
		return r;
	if ((r = exec(be, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")) != 0 ||
	    (r = read_version(be, &cur)) != 0)
		goto out;
	if (cur > latest) {
		rp_log_error("store: core.db schema version %d is newer than "
		    "this binary (%d); refusing to open it", cur, latest);
		r = RP_E_STATE;
		goto out;
	}
	for (i = 0; i < RP_ARRAY_LEN(migrations); i++) {
		if (migrations[i].version <= cur)
			continue;
		if ((e = rp_embed_find(migrations[i].path)) == NULL) {
			rp_log_error("store: migration %s is not embedded",
			    migrations[i].path);
			r = RP_E_STATE;
			goto out;
		}
		if ((r = exec(be, e->data)) != 0)
			goto out;
		if (sqlite3_prepare_v2(be->db, "INSERT INTO schema_migrations "
		    "(version, applied_at) VALUES (?1, ?2)", -1, &s, NULL)
		    != SQLITE_OK) {
			r = RP_E_DB;
			goto out;
		}
		sqlite3_bind_int(s, 1, migrations[i].version);
		sqlite3_bind_int64(s, 2, now());
		r = step_done(be, s);
		sqlite3_finalize(s);
		s = NULL;
		if (r != 0)
			goto out;
		rp_log_info("store: applied migration %d", migrations[i].version);
	}
 out:
	return tx_end(be, r);
}

/*
 * Creates the database file owner-only before SQLite opens it (SQLite
 * would create it 0644 under the usual umask).  Existing files are left
 * as they are.
 */
static int
create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return RP_E_IO;
	close(fd);
	return 0;
}

int
rp_store_sqlite_open(const char *data_dir, const struct rp_ordnum *num,
    const struct rp_store_ops **ops, void **out)
{
	struct sq *be = NULL;
	char path[1200];
	sqlite3_stmt *s = NULL;
	int rc, r;

	*ops = NULL;
	*out = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/core.db", data_dir) >=
	    sizeof(path))
		return RP_E_TOOBIG;
	if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
		rp_log_error("store: cannot create the data directory: %s",
		    strerror(errno));
		return RP_E_IO;
	}
	if (create_private(path) != 0) {
		rp_log_error("store: cannot create core.db: %s", strerror(errno));
		return RP_E_IO;
	}
	if ((be = calloc(1, sizeof(*be))) == NULL)
		return RP_E_NOMEM;
	be->num = num;
	rc = sqlite3_open_v2(path, &be->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		rp_log_error("store: cannot open core.db: %s", sqlite3_errstr(rc));
		r = rc == SQLITE_CANTOPEN ? RP_E_IO : RP_E_DB;
		goto out;
	}
	sqlite3_extended_result_codes(be->db, 1);
	sqlite3_busy_timeout(be->db, 5000);
	/* The -wal and -shm files stay when the last connection closes:
	 * serve prepares their owner and mode once, before the children
	 * (proc/sandbox.c), who may not create files beside core.db. */
	{
		int one = 1;

		(void)sqlite3_file_control(be->db, "main",
		    SQLITE_FCNTL_PERSIST_WAL, &one);
	}
	/* WAL must really be on: the pragma answers with the mode it got. */
	if (sqlite3_prepare_v2(be->db, "PRAGMA journal_mode = WAL", -1, &s,
	    NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW ||
	    sqlite3_column_text(s, 0) == NULL ||
	    strcmp((const char *)sqlite3_column_text(s, 0), "wal") != 0) {
		rp_log_error("store: core.db: cannot enable WAL");
		r = RP_E_DB;
		goto out;
	}
	sqlite3_finalize(s);		/* no statement may stay active */
	s = NULL;
	/* Temporary tables and sorts in memory: no temporary files. */
	if ((r = exec(be, "PRAGMA temp_store = MEMORY")) != 0 ||
	    (r = exec(be, "PRAGMA foreign_keys = ON")) != 0 ||
	    (r = exec(be, "PRAGMA synchronous = NORMAL")) != 0 ||
	    (r = migrate(be)) != 0)
		goto out;
	*ops = &rp_store_sqlite_ops;
	*out = be;
	be = NULL;			/* transferred */
 out:
	sqlite3_finalize(s);
	sq_close(be);
	return r;
}

static int
sq_bulk_begin(void *arg)
{
	struct sq *be = arg;
	int r;

	if (be->bulk)
		return RP_E_STATE;
	/*
	 * One transaction; durability relaxed (a crash mid-load loses the
	 * load, never the database, since WAL stays on); a 256 MiB page cache
	 * keeps the random-order index inserts (order numbers) in memory.
	 */
	if ((r = exec(be, "PRAGMA synchronous = OFF")) != 0 ||
	    (r = exec(be, "PRAGMA cache_size = -262144")) != 0 ||
	    (r = exec(be, "BEGIN IMMEDIATE")) != 0)
		return r;
	be->bulk = true;
	be->next_order_id = 0;
	return 0;
}

static int
sq_bulk_end(void *arg, bool commit)
{
	struct sq *be = arg;
	int r = 0;

	if (!be->bulk)
		return RP_E_STATE;
	be->bulk = false;
	be->next_order_id = 0;
	if (commit)
		r = exec(be, "COMMIT");
	if (!commit || r != 0)
		(void)sqlite3_exec(be->db, "ROLLBACK", NULL, NULL, NULL);
	(void)exec(be, "PRAGMA synchronous = NORMAL");
	(void)exec(be, "PRAGMA cache_size = -2000");
	(void)exec(be, "PRAGMA wal_checkpoint(TRUNCATE)");
	(void)exec(be, "PRAGMA optimize");
	return r;
}

/* ---- catalogue --------------------------------------------------------- */

static int
sq_tenant_insert(void *arg, struct rp_tenant *t)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int r;

	if ((s = stmt(be, S_TENANT_INS)) == NULL)
		return RP_E_DB;
	if (t->created_at == 0)
		t->created_at = now();
	bind_text(s, 1, t->slug);
	bind_text(s, 2, t->name);
	bind_text(s, 3, rp_billing_name(t->billing));
	bind_text(s, 4, t->settings[0] ? t->settings : "{}");
	sqlite3_bind_int64(s, 5, t->created_at);
	if ((r = step_done(be, s)) == 0)
		t->id = sqlite3_last_insert_rowid(be->db);
	return r;
}

static int
sq_tenant_get(void *arg, const char *slug, int64_t id, struct rp_tenant *t)
{
	struct sq *be = arg;
	sqlite3_stmt *s;

	if ((s = stmt(be, slug ? S_TENANT_BY_SLUG : S_TENANT_BY_ID)) == NULL)
		return RP_E_DB;
	if (slug)
		bind_text(s, 1, slug);
	else
		sqlite3_bind_int64(s, 1, id);
	return get_row(be, s, read_tenant, t, sizeof(*t));
}

static int
sq_tenant_list(void *arg, struct rp_tenant **out, size_t *n)
{
	return list_all(arg, S_TENANT_LIST, sizeof(**out), read_tenant,
	    (void **)out, n);
}

static int
sq_price_set(void *arg, int64_t tenant_id, int64_t plan_id, int64_t yen)
{
	struct sq *be = arg;
	sqlite3_stmt *s;

	if ((s = stmt(be, S_PRICE_SET)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, tenant_id);
	sqlite3_bind_int64(s, 2, plan_id);
	sqlite3_bind_int64(s, 3, yen);
	return step_done(be, s);
}

static int
sq_price_get(void *arg, int64_t tenant_id, int64_t plan_id, int64_t *yen)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int rc;

	if ((s = stmt(be, S_PRICE_GET)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, tenant_id);
	sqlite3_bind_int64(s, 2, plan_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*yen = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? RP_E_NOTFOUND : RP_E_DB;
}

static int
sq_plan_insert(void *arg, struct rp_plan *p)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int r;

	if ((s = stmt(be, S_PLAN_INS)) == NULL)
		return RP_E_DB;
	bind_text(s, 1, p->code);
	bind_text(s, 2, p->destination);
	bind_text(s, 3, p->destination_name);
	bind_text(s, 4, rp_device_kind_name(p->device));
	bind_text(s, 5, p->tier);
	sqlite3_bind_int64(s, 6, p->daily_yen);
	sqlite3_bind_int(s, 7, p->tax_bp);
	sqlite3_bind_int(s, 8, p->active ? 1 : 0);
	if ((r = step_done(be, s)) == 0)
		p->id = sqlite3_last_insert_rowid(be->db);
	return r;
}

static int
sq_plan_get(void *arg, const char *code, struct rp_plan *p)
{
	return get_by_text(arg, S_PLAN_GET, code, read_plan, p, sizeof(*p));
}

static int
sq_plan_list(void *arg, const char *dest, int device, bool only_active,
    struct rp_plan **out, size_t *n)
{
	struct sq *be = arg;
	sqlite3_stmt *s;

	if ((s = stmt(be, S_PLAN_LIST)) == NULL)
		return RP_E_DB;
	if (dest != NULL)
		bind_text(s, 1, dest);
	if (device >= 0)
		bind_text(s, 2, rp_device_kind_name(device));
	sqlite3_bind_int(s, 3, only_active ? 1 : 0);
	return list_rows(be, s, sizeof(**out), read_plan, (void **)out, n);
}

static int
sq_option_insert(void *arg, struct rp_option *o)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int r;

	if ((s = stmt(be, S_OPTION_INS)) == NULL)
		return RP_E_DB;
	bind_text(s, 1, o->code);
	bind_text(s, 2, o->name);
	bind_text(s, 3, rp_option_kind_name(o->kind));
	sqlite3_bind_int64(s, 4, o->daily_yen);
	sqlite3_bind_int(s, 5, o->tax_bp);
	if ((r = step_done(be, s)) == 0)
		o->id = sqlite3_last_insert_rowid(be->db);
	return r;
}

static int
sq_option_get(void *arg, const char *code, struct rp_option *o)
{
	return get_by_text(arg, S_OPTION_GET, code, read_option, o, sizeof(*o));
}

static int
sq_option_list(void *arg, struct rp_option **out, size_t *n)
{
	return list_all(arg, S_OPTION_LIST, sizeof(**out), read_option,
	    (void **)out, n);
}

static int
sq_counter_insert(void *arg, struct rp_counter *c)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int r;

	if ((s = stmt(be, S_COUNTER_INS)) == NULL)
		return RP_E_DB;
	bind_text(s, 1, c->code);
	bind_text(s, 2, c->airport);
	bind_text(s, 3, c->terminal);
	bind_text(s, 4, c->name);
	bind_text(s, 5, c->opens);
	bind_text(s, 6, c->closes);
	sqlite3_bind_int(s, 7, c->deadline_days);
	sqlite3_bind_int(s, 8, c->deadline_hour);
	if ((r = step_done(be, s)) == 0)
		c->id = sqlite3_last_insert_rowid(be->db);
	return r;
}

static int
sq_counter_get(void *arg, const char *code, struct rp_counter *c)
{
	return get_by_text(arg, S_COUNTER_GET, code, read_counter, c,
	    sizeof(*c));
}

static int
sq_counter_list(void *arg, struct rp_counter **out, size_t *n)
{
	return list_all(arg, S_COUNTER_LIST, sizeof(**out), read_counter,
	    (void **)out, n);
}

static int
sq_device_insert(void *arg, struct rp_device *d)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int r;

	if ((s = stmt(be, S_DEVICE_INS)) == NULL)
		return RP_E_DB;
	bind_text(s, 1, d->serial);
	bind_text(s, 2, d->model);
	bind_text(s, 3, rp_device_kind_name(d->kind));
	bind_text(s, 4, rp_device_status_name(d->status));
	bind_ref(s, 5, d->counter_id);
	if ((r = step_done(be, s)) == 0)
		d->id = sqlite3_last_insert_rowid(be->db);
	return r;
}

static int
sq_device_get(void *arg, const char *serial, struct rp_device *d)
{
	return get_by_text(arg, S_DEVICE_GET, serial, read_device, d,
	    sizeof(*d));
}

static int
sq_device_list(void *arg, int status, int64_t counter_id,
    struct rp_device **out, size_t *n)
{
	struct sq *be = arg;
	sqlite3_stmt *s;

	if ((s = stmt(be, S_DEVICE_LIST)) == NULL)
		return RP_E_DB;
	if (status >= 0)
		bind_text(s, 1, rp_device_status_name(status));
	sqlite3_bind_int64(s, 2, counter_id);
	return list_rows(be, s, sizeof(**out), read_device, (void **)out, n);
}

static int
sq_device_update(void *arg, int64_t id, int status, int64_t counter_id)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int r;

	if ((s = stmt(be, S_DEVICE_UPD)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, rp_device_status_name(status));
	bind_ref(s, 3, counter_id);
	if ((r = step_done(be, s)) != 0)
		return r;
	return sqlite3_changes(be->db) == 1 ? 0 : RP_E_NOTFOUND;
}

static int
sq_policy_insert(void *arg, const char *name, int32_t version,
    const char *json, size_t len, int64_t *id)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int r;

	if ((s = stmt(be, S_POLICY_INS)) == NULL)
		return RP_E_DB;
	bind_text(s, 1, name);
	sqlite3_bind_int(s, 2, version);
	sqlite3_bind_text(s, 3, json, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now());
	if ((r = step_done(be, s)) == 0)
		*id = sqlite3_last_insert_rowid(be->db);
	return r;
}

static int
sq_policy_latest(void *arg, const char *name, int64_t *id, int32_t *version,
    char **json)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int rc, r = 0;

	if ((s = stmt(be, S_POLICY_LATEST)) == NULL)
		return RP_E_DB;
	bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 2);

		*id = sqlite3_column_int64(s, 0);
		*version = sqlite3_column_int(s, 1);
		if ((*json = rp_str_dup((struct rp_str){ t,
		    (size_t)sqlite3_column_bytes(s, 2) })) == NULL)
			r = RP_E_NOMEM;
	} else
		r = rc == SQLITE_DONE ? RP_E_NOTFOUND : RP_E_DB;
	sqlite3_reset(s);
	if (r != 0) {
		*id = 0;
		*version = 0;
	}
	return r;
}

/* ---- orders ------------------------------------------------------------ */

static int
insert_event(struct sq *be, int64_t order_id, int from, int to,
    const char *actor, int64_t at, const char *note)
{
	sqlite3_stmt *s;

	if ((s = stmt(be, S_EVENT_INS)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, order_id);
	if (from >= 0)
		bind_text(s, 2, rp_order_status_name(from));
	bind_text(s, 3, rp_order_status_name(to));
	bind_text(s, 4, actor);
	sqlite3_bind_int64(s, 5, at);
	bind_text(s, 6, note);
	return step_done(be, s);
}

static int
next_order_id(struct sq *be, int64_t *id)
{
	sqlite3_stmt *s;
	int rc;

	if (be->bulk && be->next_order_id > 0) {
		*id = be->next_order_id;
		return 0;
	}
	if ((s = stmt(be, S_ORDER_MAXID)) == NULL)
		return RP_E_DB;
	rc = sqlite3_step(s);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) + 1 : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : RP_E_DB;
}

static int sq_order_find_number(void *arg, const char *number, int64_t *id);

static int
sq_order_insert(void *arg, struct rp_order *o, const struct rp_order_event *h,
    size_t nh)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
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
		sqlite3_bind_int64(s, 1, id);
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
			if ((r = sq_order_find_number(be, o->number, &other)) ==
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
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, o->number);
	bind_ref(s, 3, o->tenant_id);
	bind_text(s, 4, rp_channel_name(o->channel));
	sqlite3_bind_int64(s, 5, o->person_id);
	sqlite3_bind_int64(s, 6, o->plan_id);
	sqlite3_bind_int(s, 7, o->qty);
	bind_text(s, 8, o->order_date);
	bind_text(s, 9, o->depart_date);
	bind_text(s, 10, o->return_date);
	bind_text(s, 11, rp_handover_name(o->pickup));
	bind_ref(s, 12, o->pickup_counter_id);
	bind_text(s, 13, rp_handover_name(o->ret));
	bind_ref(s, 14, o->return_counter_id);
	bind_text(s, 15, rp_order_status_name(o->status));
	sqlite3_bind_int64(s, 16, o->subtotal_yen);
	sqlite3_bind_int64(s, 17, o->tax_yen);
	sqlite3_bind_int64(s, 18, o->total_yen);
	bind_ref(s, 19, o->policy_id);
	bind_text(s, 20, o->pay_token);
	bind_text(s, 21, o->pay_brand);
	bind_text(s, 22, o->pay_last4);
	bind_text(s, 23, o->pay_auth_id);
	sqlite3_bind_int64(s, 24, o->created_at);
	sqlite3_bind_int64(s, 25, o->updated_at);
	bind_text(s, 26, o->lang[0] != '\0' ? o->lang : "ja");
	bind_text(s, 27, o->employee_no);
	bind_text(s, 28, o->cost_centre);
	if ((r = step_done(be, s)) != 0)
		goto out;
	for (i = 0; i < o->noptions; i++) {
		if ((s = stmt(be, S_ORDER_OPT_INS)) == NULL) {
			r = RP_E_DB;
			goto out;
		}
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, o->options[i].option_id);
		sqlite3_bind_int(s, 3, o->options[i].qty);
		if ((r = step_done(be, s)) != 0)
			goto out;
	}
	for (i = 0; i < nh; i++) {
		at = h[i].at ? h[i].at : t;
		if ((r = insert_event(be, id, h[i].from, h[i].to, h[i].actor,
		    at, h[i].note)) != 0)
			goto out;
	}
	o->id = id;
	if (be->bulk)
		be->next_order_id = id + 1;
 out:
	if (r != 0)
		o->number[0] = '\0';
	return tx_end(be, r);
}

static int
load_options(struct sq *be, struct rp_order *o)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = stmt(be, S_ORDER_OPTS)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, o->id);
	o->noptions = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (o->noptions == RP_ORDER_MAX_OPTIONS) {
			rc = SQLITE_ERROR;
			break;
		}
		o->options[o->noptions].option_id = sqlite3_column_int64(s, 0);
		o->options[o->noptions].qty = sqlite3_column_int(s, 1);
		o->noptions++;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : RP_E_DB;
}

static int
sq_order_find_number(void *arg, const char *number, int64_t *id)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int rc;

	*id = 0;
	if ((s = stmt(be, S_ORDER_BY_NUMBER)) == NULL)
		return RP_E_DB;
	bind_text(s, 1, number);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? RP_E_NOTFOUND :
	    RP_E_DB;
}

static int
sq_order_get(void *arg, int64_t id, struct rp_order *o)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int r;

	if ((s = stmt(be, S_ORDER_GET)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, id);
	if ((r = get_row(be, s, read_order, o, sizeof(*o))) != 0)
		return r;
	if ((r = load_options(be, o)) != 0)
		memset(o, 0, sizeof(*o));
	return r;
}

static int
sq_order_list_tenant(void *arg, int64_t tenant_id, int64_t before_id,
    size_t limit, struct rp_order **out, size_t *n)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	size_t i;
	int r;

	if ((s = stmt(be, S_ORDER_LIST_TENANT)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, tenant_id);
	sqlite3_bind_int64(s, 2, before_id);
	sqlite3_bind_int64(s, 3, (int64_t)limit);
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
sq_order_transition(void *arg, int64_t order_id, int to, const char *actor,
    const char *note, int64_t at)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int from = -1, rc, r;

	if (at == 0)
		at = now();
	if ((r = tx_begin(be)) != 0)
		return r;
	if ((s = stmt(be, S_ORDER_STATUS)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sqlite3_bind_int64(s, 1, order_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = col_enum(s, 0, rp_order_status_parse, &from);
	else
		r = rc == SQLITE_DONE ? RP_E_NOTFOUND : RP_E_DB;
	sqlite3_reset(s);
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
	sqlite3_bind_int64(s, 1, order_id);
	bind_text(s, 2, rp_order_status_name(to));
	sqlite3_bind_int64(s, 3, at);
	if ((r = step_done(be, s)) != 0)
		goto out;
	r = insert_event(be, order_id, from, to, actor, at, note);
 out:
	return tx_end(be, r);
}

static int
sq_order_events(void *arg, int64_t order_id, struct rp_order_event **out,
    size_t *n)
{
	struct sq *be = arg;
	sqlite3_stmt *s;

	if ((s = stmt(be, S_EVENTS)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, order_id);
	return list_rows(be, s, sizeof(**out), read_event, (void **)out, n);
}

static int
sq_order_count(void *arg, const struct rp_order_filter *f, uint64_t *count)
{
	struct sq *be = arg;
	const char *col = f->by == RP_BY_DEPART_DATE ? "depart_date" : "order_date";
	char q[512];
	size_t len = 0;
	sqlite3_stmt *s = NULL;
	int rc, r = 0;

	/* Fixed fragments only; every value is a bound parameter. */
#define ADD(...) do {							\
	int n_ = snprintf(q + len, sizeof(q) - len, __VA_ARGS__);	\
	if (n_ < 0 || (size_t)n_ >= sizeof(q) - len)			\
		return RP_E_TOOBIG;					\
	len += (size_t)n_;						\
} while (0)
	ADD("SELECT count(*) FROM orders WHERE 1");
	if (f->since[0])
		ADD(" AND %s >= ?1", col);
	if (f->until[0])
		ADD(" AND %s < ?2", col);
	if (f->channel >= 0)
		ADD(" AND channel = ?3");
	if (f->status >= 0)
		ADD(" AND status = ?4");
	if (f->tenant_id > 0)
		ADD(" AND tenant_id = ?5");
	else if (f->tenant_id == RP_TENANT_NONE)
		ADD(" AND tenant_id IS NULL");
#undef ADD
	if (sqlite3_prepare_v2(be->db, q, -1, &s, NULL) != SQLITE_OK)
		return RP_E_DB;
	if (f->since[0])
		bind_text(s, 1, f->since);
	if (f->until[0])
		bind_text(s, 2, f->until);
	if (f->channel >= 0)
		bind_text(s, 3, rp_channel_name(f->channel));
	if (f->status >= 0)
		bind_text(s, 4, rp_order_status_name(f->status));
	if (f->tenant_id > 0)
		sqlite3_bind_int64(s, 5, f->tenant_id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*count = (uint64_t)sqlite3_column_int64(s, 0);
	else
		r = map_rc(be->db, rc) ? map_rc(be->db, rc) : RP_E_DB;
	sqlite3_finalize(s);
	return r;
}

/* ---- API keys and idempotency records (migration 0002) ------------------ */




static int
sq_idem_insert(void *arg, int64_t tenant_id, const char *key,
    const uint8_t hash[32], int64_t at)
{
	struct sq *be = arg;
	sqlite3_stmt *s;

	if ((s = stmt(be, S_IDEM_INS)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, tenant_id);
	bind_text(s, 2, key);
	sqlite3_bind_blob(s, 3, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, at);
	return step_done(be, s);
}

static int
sq_idem_get(void *arg, int64_t tenant_id, const char *key,
    struct rp_idem *out)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	const char *st;
	int rc, r = 0;

	memset(out, 0, sizeof(*out));
	if ((s = stmt(be, S_IDEM_GET)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, tenant_id);
	bind_text(s, 2, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->tenant_id = tenant_id;
		snprintf(out->key, sizeof(out->key), "%s", key);
		if (sqlite3_column_bytes(s, 0) != RP_IDEM_HASH_LEN)
			r = RP_E_DB;
		else
			memcpy(out->request_hash, sqlite3_column_blob(s, 0),
			    RP_IDEM_HASH_LEN);
		if (r == 0)
			r = col_copy(s, 1, out->number, sizeof(out->number));
		st = (const char *)sqlite3_column_text(s, 2);
		if (r == 0 && out->number[0] != '\0' &&
		    rp_order_status_parse(st, &out->status) != 0)
			r = RP_E_DB;
		out->total_yen = sqlite3_column_int64(s, 3);
		out->created_at = sqlite3_column_int64(s, 4);
	} else
		r = rc == SQLITE_DONE ? RP_E_NOTFOUND :
		    map_rc(be->db, rc) ? map_rc(be->db, rc) : RP_E_DB;
	sqlite3_reset(s);
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

static int
sq_idem_complete(void *arg, int64_t tenant_id, const char *key,
    const char *number, int status, int64_t total_yen)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int r;

	if ((s = stmt(be, S_IDEM_DONE)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, tenant_id);
	bind_text(s, 2, key);
	bind_text(s, 3, number);
	bind_text(s, 4, rp_order_status_name(status));
	sqlite3_bind_int64(s, 5, total_yen);
	if ((r = step_done(be, s)) != 0)
		return r;
	return sqlite3_changes(be->db) == 1 ? 0 : RP_E_NOTFOUND;
}

static int
sq_idem_delete(void *arg, int64_t tenant_id, const char *key,
    int64_t created_at)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int r;

	if ((s = stmt(be, S_IDEM_DEL)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, tenant_id);
	bind_text(s, 2, key);
	sqlite3_bind_int64(s, 3, created_at);
	if ((r = step_done(be, s)) != 0)
		return r;
	return sqlite3_changes(be->db) == 1 ? 0 : RP_E_NOTFOUND;
}

static int
sq_idem_purge(void *arg, int64_t before, uint64_t *n)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int r;

	*n = 0;
	if ((s = stmt(be, S_IDEM_PURGE)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, before);
	if ((r = step_done(be, s)) == 0)
		*n = (uint64_t)sqlite3_changes(be->db);
	return r;
}

static int
sq_order_change(void *arg, const struct rp_order *o, const char *actor,
    const char *note, int64_t at)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int status = -1, rc, r;
	size_t i;

	if ((r = tx_begin(be)) != 0)
		return r;
	if ((s = stmt(be, S_ORDER_STATUS)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sqlite3_bind_int64(s, 1, o->id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = col_enum(s, 0, rp_order_status_parse, &status);
	else
		r = rc == SQLITE_DONE ? RP_E_NOTFOUND : RP_E_DB;
	sqlite3_reset(s);
	if (r != 0)
		goto out;
	if ((s = stmt(be, S_ORDER_CHANGE)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sqlite3_bind_int64(s, 1, o->id);
	bind_text(s, 2, o->depart_date);
	bind_text(s, 3, o->return_date);
	sqlite3_bind_int64(s, 4, o->subtotal_yen);
	sqlite3_bind_int64(s, 5, o->tax_yen);
	sqlite3_bind_int64(s, 6, o->total_yen);
	sqlite3_bind_int64(s, 7, at);
	if ((r = step_done(be, s)) != 0)
		goto out;
	if ((s = stmt(be, S_ORDER_OPT_DEL)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sqlite3_bind_int64(s, 1, o->id);
	if ((r = step_done(be, s)) != 0)
		goto out;
	for (i = 0; i < o->noptions; i++) {
		if ((s = stmt(be, S_ORDER_OPT_INS)) == NULL) {
			r = RP_E_DB;
			goto out;
		}
		sqlite3_bind_int64(s, 1, o->id);
		sqlite3_bind_int64(s, 2, o->options[i].option_id);
		sqlite3_bind_int(s, 3, o->options[i].qty);
		if ((r = step_done(be, s)) != 0)
			goto out;
	}
	r = insert_event(be, o->id, status, status, actor, at, note);
 out:
	return tx_end(be, r);
}

static int
sq_order_reserve(void *arg, int64_t at, int64_t *id)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int r;

	*id = 0;
	if ((s = stmt(be, S_ORDER_RESERVE)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, at);
	if ((r = step_done(be, s)) != 0)
		return r;
	*id = sqlite3_last_insert_rowid(be->db);
	return 0;
}






/* ---- migration 0004: the payment outbox -------------------------------- */

static const char *const pay_ops[] = { "authorize", "capture", "void",
    "refund", "charge" };
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

static int
read_payment(sqlite3_stmt *s, void *rec)
{
	struct rp_payment *p = rec;
	int r;

	p->id = sqlite3_column_int64(s, 0);
	p->order_id = sqlite3_column_int64(s, 1);
	if ((r = pick(pay_ops, RP_ARRAY_LEN(pay_ops),
	    (const char *)sqlite3_column_text(s, 2), &p->op)) != 0)
		return r;
	p->attempt = sqlite3_column_int(s, 3);
	COPY(4, p->idem_key);
	p->amount_yen = sqlite3_column_int64(s, 5);
	COPY(6, p->token);
	COPY(7, p->return_url);
	if ((r = pick(pay_states, RP_ARRAY_LEN(pay_states),
	    (const char *)sqlite3_column_text(s, 8), &p->state)) != 0)
		return r;
	COPY(9, p->psp_id);
	COPY(10, p->psp_status);
	COPY(11, p->decline_code);
	COPY(12, p->next_url);
	COPY(13, p->brand);
	COPY(14, p->last4);
	p->exp_month = sqlite3_column_int(s, 15);
	p->exp_year = sqlite3_column_int(s, 16);
	p->tries = sqlite3_column_int(s, 17);
	p->next_try_at = sqlite3_column_int64(s, 18);
	p->created_at = sqlite3_column_int64(s, 19);
	p->updated_at = sqlite3_column_int64(s, 20);
	COPY(21, p->customer);
	COPY(22, p->payment_method);
	return 0;
}

static int
sq_payment_new(void *arg, struct rp_payment *p)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int64_t t = now();
	int rc, r;

	if ((r = tx_begin(be)) != 0)
		return r;
	if ((s = stmt(be, S_PAY_ATTEMPT)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sqlite3_bind_int64(s, 1, p->order_id);
	bind_text(s, 2, pay_ops[p->op]);
	rc = sqlite3_step(s);
	p->attempt = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) + 1 : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		r = RP_E_DB;
		goto out;
	}
	snprintf(p->idem_key, sizeof(p->idem_key), "order:%lld:%s:%d",
	    (long long)p->order_id, pay_ops[p->op], p->attempt);
	if ((s = stmt(be, S_PAY_INS)) == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sqlite3_bind_int64(s, 1, p->order_id);
	bind_text(s, 2, pay_ops[p->op]);
	sqlite3_bind_int(s, 3, p->attempt);
	bind_text(s, 4, p->idem_key);
	sqlite3_bind_int64(s, 5, p->amount_yen);
	bind_text(s, 6, p->token);
	bind_text(s, 7, p->return_url);
	sqlite3_bind_int64(s, 8, t);
	bind_text(s, 9, p->customer);
	bind_text(s, 10, p->payment_method);
	bind_text(s, 11, p->psp_id);
	if ((r = step_done(be, s)) != 0)
		goto out;
	p->id = sqlite3_last_insert_rowid(be->db);
	p->state = RP_PAY_QUEUED;
	p->created_at = p->updated_at = t;
 out:
	return tx_end(be, r);
}

static int
sq_payment_get(void *arg, int64_t id, const char *psp_id, int64_t order_id,
    int op, struct rp_payment *p)
{
	struct sq *be = arg;
	sqlite3_stmt *s;

	if (id > 0) {
		if ((s = stmt(be, S_PAY_GET)) == NULL)
			return RP_E_DB;
		sqlite3_bind_int64(s, 1, id);
	} else if (psp_id != NULL) {
		if ((s = stmt(be, S_PAY_BY_PSP)) == NULL)
			return RP_E_DB;
		bind_text(s, 1, psp_id);
		bind_text(s, 2, pay_ops[op]);
	} else {
		if ((s = stmt(be, S_PAY_LAST)) == NULL)
			return RP_E_DB;
		sqlite3_bind_int64(s, 1, order_id);
		bind_text(s, 2, pay_ops[op]);
	}
	return get_row(be, s, read_payment, p, sizeof(*p));
}

static int
sq_payment_due(void *arg, int64_t at, size_t max, struct rp_payment **out,
    size_t *n)
{
	struct sq *be = arg;
	sqlite3_stmt *s;

	if ((s = stmt(be, S_PAY_DUE)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, at);
	sqlite3_bind_int64(s, 2, (int64_t)max);
	return list_rows(be, s, sizeof(**out), read_payment, (void **)out, n);
}

static int
sq_payment_update(void *arg, const struct rp_payment *p)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int r;

	if ((s = stmt(be, S_PAY_UPD)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, p->id);
	bind_text(s, 2, pay_states[p->state]);
	bind_text(s, 3, p->psp_id);
	bind_text(s, 4, p->psp_status);
	bind_text(s, 5, p->decline_code);
	bind_text(s, 6, p->next_url);
	bind_text(s, 7, p->brand);
	bind_text(s, 8, p->last4);
	sqlite3_bind_int(s, 9, p->exp_month);
	sqlite3_bind_int(s, 10, p->exp_year);
	sqlite3_bind_int(s, 11, p->tries);
	sqlite3_bind_int64(s, 12, p->next_try_at);
	sqlite3_bind_int64(s, 13, now());
	bind_text(s, 14, p->token);
	bind_text(s, 15, p->customer);
	bind_text(s, 16, p->payment_method);
	if ((r = step_done(be, s)) != 0)
		return r;
	return sqlite3_changes(be->db) == 1 ? 0 : RP_E_NOTFOUND;
}

static int
sq_webhook_seen(void *arg, const char *id, const char *type, int64_t at)
{
	struct sq *be = arg;
	sqlite3_stmt *s;

	if ((s = stmt(be, S_HOOK_INS)) == NULL)
		return RP_E_DB;
	bind_text(s, 1, id);
	bind_text(s, 2, type);
	sqlite3_bind_int64(s, 3, at);
	return step_done(be, s);	/* RP_E_EXISTS: seen before */
}

static int
sq_order_paid(void *arg, int64_t order_id, const char *token,
    const char *brand, const char *last4, const char *auth_id)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int r;

	if ((s = stmt(be, S_ORDER_PAID)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, order_id);
	bind_text(s, 2, token);
	bind_text(s, 3, brand);
	bind_text(s, 4, last4);
	bind_text(s, 5, auth_id);
	if ((r = step_done(be, s)) != 0)
		return r;
	return sqlite3_changes(be->db) == 1 ? 0 : RP_E_NOTFOUND;
}

/* ---- migration 0005: IPS bans ------------------------------------------ */

static int
sq_ban_put(void *arg, const struct rp_ban *b, bool extend_only)
{
	struct sq *be = arg;
	sqlite3_stmt *s;

	if ((s = stmt(be, extend_only ? S_BAN_EXTEND : S_BAN_PUT)) == NULL)
		return RP_E_DB;
	bind_text(s, 1, b->addr);
	sqlite3_bind_int64(s, 2, b->until);
	bind_text(s, 3, b->reason);
	sqlite3_bind_int64(s, 4, b->created_at);
	bind_text(s, 5, b->source);
	return step_done(be, s);
}

static int
sq_ban_delete(void *arg, const char *addr)
{
	struct sq *be = arg;
	sqlite3_stmt *s;
	int r;

	if ((s = stmt(be, S_BAN_DEL)) == NULL)
		return RP_E_DB;
	bind_text(s, 1, addr);
	if ((r = step_done(be, s)) != 0)
		return r;
	return sqlite3_changes(be->db) >= 1 ? 0 : RP_E_NOTFOUND;
}

static int
read_ban(sqlite3_stmt *s, void *rec)
{
	struct rp_ban *b = rec;
	int r;

	COPY(0, b->addr);
	b->until = sqlite3_column_int64(s, 1);
	COPY(2, b->reason);
	b->created_at = sqlite3_column_int64(s, 3);
	COPY(4, b->source);
	return 0;
}

static int
sq_ban_list(void *arg, int64_t now, bool all, struct rp_ban **out, size_t *n)
{
	struct sq *be = arg;
	sqlite3_stmt *s;

	if ((s = stmt(be, all ? S_BAN_ALL : S_BAN_LIST)) == NULL)
		return RP_E_DB;
	if (!all)
		sqlite3_bind_int64(s, 1, now);
	return list_rows(be, s, sizeof(**out), read_ban, (void **)out, n);
}

static int
sq_ban_purge(void *arg, int64_t before)
{
	struct sq *be = arg;
	sqlite3_stmt *s;

	if ((s = stmt(be, S_BAN_PURGE)) == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(s, 1, before);
	return step_done(be, s);
}

static const struct rp_store_ops rp_store_sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.ping = sq_ping,
	.schema_version = sq_schema_version,
	.bulk_begin = sq_bulk_begin,
	.bulk_end = sq_bulk_end,
	.tenant_insert = sq_tenant_insert,
	.tenant_get = sq_tenant_get,
	.tenant_list = sq_tenant_list,
	.price_set = sq_price_set,
	.price_get = sq_price_get,
	.plan_insert = sq_plan_insert,
	.plan_get = sq_plan_get,
	.plan_list = sq_plan_list,
	.option_insert = sq_option_insert,
	.option_get = sq_option_get,
	.option_list = sq_option_list,
	.counter_insert = sq_counter_insert,
	.counter_get = sq_counter_get,
	.counter_list = sq_counter_list,
	.device_insert = sq_device_insert,
	.device_get = sq_device_get,
	.device_list = sq_device_list,
	.device_update = sq_device_update,
	.policy_insert = sq_policy_insert,
	.policy_latest = sq_policy_latest,
	.order_insert = sq_order_insert,
	.order_get = sq_order_get,
	.order_find_number = sq_order_find_number,
	.order_list_tenant = sq_order_list_tenant,
	.order_transition = sq_order_transition,
	.order_events = sq_order_events,
	.order_count = sq_order_count,
	.idem_insert = sq_idem_insert,
	.idem_get = sq_idem_get,
	.idem_complete = sq_idem_complete,
	.idem_delete = sq_idem_delete,
	.idem_purge = sq_idem_purge,
	.order_change = sq_order_change,
	.order_reserve = sq_order_reserve,
	.payment_new = sq_payment_new,
	.payment_get = sq_payment_get,
	.payment_due = sq_payment_due,
	.payment_update = sq_payment_update,
	.webhook_seen = sq_webhook_seen,
	.order_paid = sq_order_paid,
	.ban_put = sq_ban_put,
	.ban_delete = sq_ban_delete,
	.ban_list = sq_ban_list,
	.ban_purge = sq_ban_purge,
};
