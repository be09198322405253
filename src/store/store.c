/* SPDX-License-Identifier: ISC */
/*
 * store.c — the backend-independent front of the core store: enum names,
 * order numbers, argument checks, then a call through the backend's ops
 * table (store_impl.h).  Runs in whichever process opened the store; its
 * inputs come from our own code but may carry user-typed text, so every
 * field is checked for length, encoding and range before it reaches SQL.
 */
#include "util/common.h"
#include "util/log.h"
#include "util/str.h"
#include "store/store_impl.h"

#include <time.h>

#include <sodium.h>

/* ---- enum names -------------------------------------------------------- */

static const char *const billing_names[] = { "card", "invoice" };
static const char *const device_kind_names[] = { "router", "sim", "phone" };
static const char *const device_status_names[] = {
	"available", "out", "repair", "lost", "retired", "inspection"
};
static const char *const channel_names[] = { "public", "corporate", "counter" };
static const char *const handover_names[] = { "counter", "courier", "post" };
static const char *const order_status_names[] = {
	"reserved", "confirmed", "picked_up", "returned", "settled",
	"cancelled", "awaiting_payment", "no_show", "settle_pending"
};
static const char *const unit_condition_names[] = {
	"ok", "damaged", "parts_missing", "lost"
};
static const char *const option_kind_names[] = {
	"insurance", "accessory", "device"
};

static const char *
name_of(const char *const *names, int n, int v)
{
	return v >= 0 && v < n ? names[v] : NULL;
}

static int
parse_of(const char *const *names, int n, const char *s, int *out)
{
	int i;

	*out = -1;
	if (s == NULL)
		return RP_E_INVAL;
	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0) {
			*out = i;
			return 0;
		}
	return RP_E_INVAL;
}

#define ENUM_FUNCS(fn, arr, count)					\
const char *								\
rp_##fn##_name(int v)							\
{									\
	return name_of(arr, (int)RP_ARRAY_LEN(arr), v);			\
}									\
int									\
rp_##fn##_parse(const char *s, int *out)				\
{									\
	return parse_of(arr, (int)RP_ARRAY_LEN(arr), s, out);		\
}									\
_Static_assert(RP_ARRAY_LEN(arr) == count, #arr " matches its enum");

ENUM_FUNCS(billing, billing_names, RP_BILLING_COUNT)
ENUM_FUNCS(device_kind, device_kind_names, RP_DEVICE_KIND_COUNT)
ENUM_FUNCS(device_status, device_status_names, RP_DEVSTAT_COUNT)
ENUM_FUNCS(channel, channel_names, RP_CHANNEL_COUNT)
ENUM_FUNCS(handover, handover_names, RP_HANDOVER_COUNT)
ENUM_FUNCS(order_status, order_status_names, RP_ORDER_STATUS_COUNT)
ENUM_FUNCS(option_kind, option_kind_names, RP_OPTION_KIND_COUNT)
ENUM_FUNCS(unit_condition, unit_condition_names, RP_COND_COUNT)

bool
rp_order_transition_ok(int from, int to)
{
	switch (from) {
	case RP_ORDER_RESERVED:
		return to == RP_ORDER_CONFIRMED || to == RP_ORDER_CANCELLED ||
		    to == RP_ORDER_AWAITING_PAYMENT || to == RP_ORDER_NO_SHOW;
	case RP_ORDER_AWAITING_PAYMENT:
		return to == RP_ORDER_CONFIRMED || to == RP_ORDER_CANCELLED;
	case RP_ORDER_CONFIRMED:
		return to == RP_ORDER_PICKED_UP || to == RP_ORDER_CANCELLED ||
		    to == RP_ORDER_NO_SHOW;
	case RP_ORDER_PICKED_UP:
		return to == RP_ORDER_RETURNED;
	case RP_ORDER_RETURNED:
		return to == RP_ORDER_SETTLED || to == RP_ORDER_SETTLE_PENDING;
	case RP_ORDER_SETTLE_PENDING:
		return to == RP_ORDER_SETTLED;
	default:
		return false;	/* settled, cancelled and no_show are final */
	}
}

/* ---- dates and order numbers ------------------------------------------- */

static int
digits(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

bool
rp_store_date_valid(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, dim;

	if (s == NULL || strnlen(s, RP_STORE_DATE_LEN + 1) != RP_STORE_DATE_LEN ||
	    s[4] != '-' || s[7] != '-')
		return false;
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 1900 || m < 1 || m > 12 || d < 1)
		return false;
	dim = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		dim = 29;
	return d <= dim;
}

void
rp_order_filter_init(struct rp_order_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->by = RP_BY_ORDER_DATE;
	f->channel = -1;
	f->status = -1;
}

/* ---- field checks ------------------------------------------------------ */

/* NUL within max+1 bytes, valid UTF-8, no control characters. */
static int
text_ok(const char *s, size_t max, bool may_be_empty)
{
	size_t n, i;

	if (s == NULL)
		return RP_E_INVAL;
	if ((n = strnlen(s, max + 1)) > max)
		return RP_E_TOOBIG;
	if (n == 0 && !may_be_empty)
		return RP_E_INVAL;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return RP_E_INVAL;
	return rp_utf8_valid((struct rp_str){ s, n }) ? 0 : RP_E_INVAL;
}

/* JSON text: like text_ok, but tab, CR and LF are allowed (whitespace). */
static int
json_ok(const char *s, size_t max)
{
	size_t n, i;

	if (s == NULL)
		return RP_E_INVAL;
	if ((n = strnlen(s, max + 1)) > max)
		return RP_E_TOOBIG;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			return RP_E_INVAL;
	}
	return rp_utf8_valid((struct rp_str){ s, n }) ? 0 : RP_E_INVAL;
}

/* Codes, serials, usernames: [A-Za-z0-9._:/-], 1..max bytes. */
static int
code_ok(const char *s, size_t max)
{
	size_t n, i;

	if (s == NULL)
		return RP_E_INVAL;
	if ((n = strnlen(s, max + 1)) > max)
		return RP_E_TOOBIG;
	if (n == 0)
		return RP_E_INVAL;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-' || c == ':' || c == '/'))
			return RP_E_INVAL;
	}
	return 0;
}

static int
slug_ok(const char *s)
{
	size_t n, i;
	int r;

	if ((r = code_ok(s, RP_STORE_CODE_MAX)) != 0)
		return r;
	n = strlen(s);
	if (s[0] == '-' || s[n - 1] == '-')
		return RP_E_INVAL;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return RP_E_INVAL;
	return 0;
}

static int
hhmm_ok(const char *s)
{
	if (strnlen(s, 6) != 5 || s[2] != ':')
		return RP_E_INVAL;
	if (digits(s, 2) < 0 || digits(s, 2) > 23 || digits(s + 3, 2) < 0 ||
	    digits(s + 3, 2) > 59)
		return RP_E_INVAL;
	return 0;
}

static bool
money_ok(int64_t yen)
{
	return yen >= 0 && yen <= INT64_C(1000000000000);	/* ¥1T cap */
}

/*
 * A payment reference must never be able to hold a card number: refuse
 * any run of 12 or more digits (PANs are 12..19).
 */
static int
no_pan(const char *s)
{
	int run = 0;

	for (; *s != '\0'; s++) {
		run = (*s >= '0' && *s <= '9') ? run + 1 : 0;
		if (run >= 12)
			return RP_E_DENIED;
	}
	return 0;
}

#define CHECK(expr) do { if ((r = (expr)) != 0) return r; } while (0)
#define REQUIRE(cond) do { if (!(cond)) return RP_E_INVAL; } while (0)

/* A hold's fields in range (the window's length is the backend's check). */
static bool
hold_ok(const struct rp_stock_hold *h)
{
	return h->counter_id >= 0 && h->qty >= 1 && h->qty <= 99 &&
	    rp_device_kind_name(h->kind) != NULL &&
	    rp_store_date_valid(h->from) && rp_store_date_valid(h->until) &&
	    strcmp(h->from, h->until) <= 0;
}

static int
order_ok(const struct rp_order *o)
{
	int64_t sum;
	size_t i, j;
	int r;

	REQUIRE(rp_channel_name(o->channel) != NULL);
	REQUIRE(rp_handover_name(o->pickup) != NULL);
	REQUIRE(rp_handover_name(o->ret) != NULL);
	REQUIRE(rp_order_status_name(o->status) != NULL);
	REQUIRE(o->tenant_id >= 0 && o->person_id > 0 && o->plan_id > 0);
	REQUIRE(o->channel != RP_CHANNEL_CORPORATE || o->tenant_id > 0);
	REQUIRE(o->qty >= 1 && o->qty <= 99);
	REQUIRE(rp_store_date_valid(o->order_date) &&
	    rp_store_date_valid(o->depart_date) &&
	    rp_store_date_valid(o->return_date));
	REQUIRE(strcmp(o->order_date, o->depart_date) <= 0);
	REQUIRE(strcmp(o->depart_date, o->return_date) <= 0);
	REQUIRE((o->pickup == RP_HANDOVER_COUNTER) == (o->pickup_counter_id > 0));
	REQUIRE((o->ret == RP_HANDOVER_COUNTER) == (o->return_counter_id > 0));
	REQUIRE(o->pickup_counter_id >= 0 && o->return_counter_id >= 0);
	REQUIRE(o->policy_id >= 0);
	REQUIRE(money_ok(o->subtotal_yen) && money_ok(o->tax_yen) &&
	    money_ok(o->total_yen));
	CHECK(rp_yen_add(o->subtotal_yen, o->tax_yen, &sum));
	REQUIRE(sum == o->total_yen);
	CHECK(text_ok(o->pay_token, sizeof(o->pay_token) - 1, true));
	CHECK(text_ok(o->pay_brand, sizeof(o->pay_brand) - 1, true));
	CHECK(text_ok(o->pay_auth_id, sizeof(o->pay_auth_id) - 1, true));
	CHECK(no_pan(o->pay_token));
	CHECK(no_pan(o->pay_brand));
	CHECK(no_pan(o->pay_auth_id));
	if (o->pay_last4[0] != '\0')
		REQUIRE(strnlen(o->pay_last4, 5) == 4 && digits(o->pay_last4, 4) >= 0);
	REQUIRE(o->noptions <= RP_ORDER_MAX_OPTIONS);
	for (i = 0; i < o->noptions; i++) {
		REQUIRE(o->options[i].option_id > 0);
		REQUIRE(o->options[i].qty >= 1 && o->options[i].qty <= 99);
		for (j = 0; j < i; j++)
			REQUIRE(o->options[j].option_id != o->options[i].option_id);
	}
	REQUIRE(o->created_at >= 0 && o->updated_at >= 0);
	return 0;
}

static int
event_text_ok(const struct rp_order_event *e)
{
	int r;

	CHECK(text_ok(e->actor, sizeof(e->actor) - 1, false));
	CHECK(text_ok(e->note, sizeof(e->note) - 1, true));
	return e->at >= 0 ? 0 : RP_E_INVAL;
}

static int
history_ok(const struct rp_order *o, const struct rp_order_event *h, size_t n)
{
	size_t i;
	int r;

	if (h == NULL || n == 0 || n > 16)
		return RP_E_INVAL;
	if (h[0].from != -1 || h[0].to != RP_ORDER_RESERVED)
		return RP_E_STATE;
	for (i = 0; i < n; i++) {
		CHECK(event_text_ok(&h[i]));
		if (i > 0 && (h[i].from != h[i - 1].to ||
		    !rp_order_transition_ok(h[i].from, h[i].to)))
			return RP_E_STATE;
		if (i > 0 && h[i].at != 0 && h[i].at < h[i - 1].at)
			return RP_E_INVAL;
	}
	return h[n - 1].to == o->status ? 0 : RP_E_STATE;
}

/* ---- lifecycle --------------------------------------------------------- */

/* The process's store URL (rp_store_use); NULL: RENTPORT_STORE, else the
 * data directory's SQLite file. */
static const char *store_url;

void
rp_store_use(const char *url)
{
	store_url = url != NULL && url[0] != '\0' ? url : NULL;
}

bool
rp_store_url_is_pg(const char *s)
{
	return s != NULL && (strncmp(s, "postgresql://", 13) == 0 ||
	    strncmp(s, "postgres://", 11) == 0);
}

static const char *(*store_resolver)(const char *data_dir);

void
rp_store_resolve_with(const char *(*where)(const char *data_dir))
{
	store_resolver = where;
}

int
rp_store_url_port(const char *url)
{
	const char *p, *end, *at, *c;
	long port = 5432;

	if (!rp_store_url_is_pg(url))
		return -1;
	p = strstr(url, "://") + 3;
	end = p + strcspn(p, "/?");
	/* the host part after any user[:password]@ */
	for (at = p; (c = memchr(at, '@', (size_t)(end - at))) != NULL;
	    at = c + 1)
		;
	if (at == end || *at == ':')
		return -1;		/* no host: a unix socket */
	if (*at == '[') {		/* [v6]:port */
		if ((c = memchr(at, ']', (size_t)(end - at))) == NULL)
			return -1;
		c = c + 1 < end && c[1] == ':' ? c + 1 : NULL;
	} else
		c = memchr(at, ':', (size_t)(end - at));
	if (c != NULL) {
		port = 0;
		for (c++; c < end; c++) {
			if (*c < '0' || *c > '9' || port > 65535)
				return -1;
			port = port * 10 + (*c - '0');
		}
		if (port < 1 || port > 65535)
			return -1;
	}
	return (int)port;
}

/* Where the core store is: a PostgreSQL URL, or the data directory. */
static const char *
rp_store_where(const char *data_dir)
{
	const char *u = store_url != NULL ? store_url :
	    getenv("RENTPORT_STORE");

	if (store_resolver != NULL && data_dir[0] != '\0')
		u = store_resolver(data_dir);
	return rp_store_url_is_pg(u) ? u : data_dir;
}

const char *
rp_store_kind(void)
{
	return rp_store_url_is_pg(rp_store_where("")) ? "postgresql" :
	    "sqlite";
}

static int
store_open(const char *data_dir, bool apply, struct rp_store **out)
{
	struct rp_store *st = NULL;
	int r;

	*out = NULL;
	if (data_dir == NULL || data_dir[0] == '\0')
		return RP_E_INVAL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return RP_E_NOMEM;
	if ((r = rp_store_backend_open(rp_store_where(data_dir), &st->num,
	    apply, &st->ops, &st->be)) != 0)
		goto out;
	if ((r = rp_ordnum_key_load(data_dir, &st->num)) != 0) {
		st->ops->close(st->be);
		goto out;
	}
	*out = st;
	st = NULL;			/* transferred */
 out:
	free(st);
	return r;
}

int
rp_store_open(const char *data_dir, struct rp_store **out)
{
	return store_open(data_dir, true, out);
}

int
rp_store_connect(const char *data_dir, struct rp_store **out)
{
	return store_open(data_dir, false, out);
}

void
rp_store_free(struct rp_store *st)
{
	if (st == NULL)
		return;
	if (st->ops != NULL)
		st->ops->close(st->be);
	sodium_memzero(st, sizeof(*st));
	free(st);
}

int
rp_store_order_number(struct rp_store *st, int64_t id,
    char out[RP_ORDER_NUMBER_LEN + 1])
{
	return rp_order_number(&st->num, id, out);
}

int
rp_store_order_number_id(struct rp_store *st, const char *number,
    int64_t *id)
{
	return rp_order_number_id(&st->num, number, id);
}

int
rp_store_ping(struct rp_store *st)
{
	return st->ops->ping(st->be);
}

int
rp_store_schema_version(struct rp_store *st, int *version)
{
	return st->ops->schema_version(st->be, version);
}

int
rp_store_bulk_begin(struct rp_store *st)
{
	return st->ops->bulk_begin(st->be);
}

int
rp_store_bulk_end(struct rp_store *st, bool commit)
{
	return st->ops->bulk_end(st->be, commit);
}

/* ---- catalogue --------------------------------------------------------- */

int
rp_store_tenant_insert(struct rp_store *st, struct rp_tenant *t)
{
	int r;

	CHECK(slug_ok(t->slug));
	CHECK(text_ok(t->name, RP_STORE_NAME_MAX, false));
	CHECK(json_ok(t->settings, RP_STORE_JSON_MAX));
	REQUIRE(rp_billing_name(t->billing) != NULL && t->created_at >= 0);
	return st->ops->tenant_insert(st->be, t);
}

int
rp_store_tenant_get(struct rp_store *st, const char *slug, struct rp_tenant *t)
{
	memset(t, 0, sizeof(*t));
	if (slug_ok(slug) != 0)
		return RP_E_NOTFOUND;
	return st->ops->tenant_get(st->be, slug, 0, t);
}

int
rp_store_tenant_get_id(struct rp_store *st, int64_t id, struct rp_tenant *t)
{
	memset(t, 0, sizeof(*t));
	if (id <= 0)
		return RP_E_NOTFOUND;
	return st->ops->tenant_get(st->be, NULL, id, t);
}

int
rp_store_tenant_list(struct rp_store *st, struct rp_tenant **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	return st->ops->tenant_list(st->be, out, n);
}

int
rp_store_price_set(struct rp_store *st, int64_t tenant_id, int64_t plan_id,
    int64_t daily_yen)
{
	REQUIRE(tenant_id > 0 && plan_id > 0 && money_ok(daily_yen));
	return st->ops->price_set(st->be, tenant_id, plan_id, daily_yen);
}

int
rp_store_price_get(struct rp_store *st, int64_t tenant_id, int64_t plan_id,
    int64_t *daily_yen)
{
	*daily_yen = 0;
	if (tenant_id <= 0 || plan_id <= 0)
		return RP_E_NOTFOUND;
	return st->ops->price_get(st->be, tenant_id, plan_id, daily_yen);
}

int
rp_store_plan_insert(struct rp_store *st, struct rp_plan *p)
{
	int r;

	CHECK(code_ok(p->code, RP_STORE_CODE_MAX));
	CHECK(code_ok(p->destination, RP_STORE_CODE_MAX));
	CHECK(text_ok(p->destination_name, RP_STORE_NAME_MAX, false));
	CHECK(text_ok(p->tier, RP_STORE_CODE_MAX, false));
	REQUIRE(rp_device_kind_name(p->device) != NULL);
	REQUIRE(money_ok(p->daily_yen) && p->tax_bp >= 0 && p->tax_bp <= 10000);
	return st->ops->plan_insert(st->be, p);
}

int
rp_store_plan_get(struct rp_store *st, const char *code, struct rp_plan *p)
{
	memset(p, 0, sizeof(*p));
	if (code_ok(code, RP_STORE_CODE_MAX) != 0)
		return RP_E_NOTFOUND;
	return st->ops->plan_get(st->be, code, p);
}

int
rp_store_plan_list(struct rp_store *st, const char *destination, int device,
    bool only_active, struct rp_plan **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (destination != NULL && code_ok(destination, RP_STORE_CODE_MAX) != 0)
		return RP_E_INVAL;
	REQUIRE(device == -1 || rp_device_kind_name(device) != NULL);
	return st->ops->plan_list(st->be, destination, device, only_active, out, n);
}

int
rp_store_option_insert(struct rp_store *st, struct rp_option *o)
{
	int r;

	CHECK(code_ok(o->code, RP_STORE_CODE_MAX));
	CHECK(text_ok(o->name, RP_STORE_NAME_MAX, false));
	REQUIRE(rp_option_kind_name(o->kind) != NULL);
	REQUIRE(money_ok(o->daily_yen) && o->tax_bp >= 0 && o->tax_bp <= 10000);
	return st->ops->option_insert(st->be, o);
}

int
rp_store_option_get(struct rp_store *st, const char *code, struct rp_option *o)
{
	memset(o, 0, sizeof(*o));
	if (code_ok(code, RP_STORE_CODE_MAX) != 0)
		return RP_E_NOTFOUND;
	return st->ops->option_get(st->be, code, o);
}

int
rp_store_option_list(struct rp_store *st, struct rp_option **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	return st->ops->option_list(st->be, out, n);
}

int
rp_store_counter_insert(struct rp_store *st, struct rp_counter *c)
{
	size_t n;
	int r;

	CHECK(code_ok(c->code, RP_STORE_CODE_MAX));
	n = strnlen(c->airport, sizeof(c->airport));
	REQUIRE(n == 3 && c->airport[0] >= 'A' && c->airport[0] <= 'Z' &&
	    c->airport[1] >= 'A' && c->airport[1] <= 'Z' &&
	    c->airport[2] >= 'A' && c->airport[2] <= 'Z');
	CHECK(text_ok(c->terminal, sizeof(c->terminal) - 1, true));
	CHECK(text_ok(c->name, RP_STORE_NAME_MAX, false));
	CHECK(hhmm_ok(c->opens));
	CHECK(hhmm_ok(c->closes));
	REQUIRE(c->deadline_days >= 0 && c->deadline_days <= 30);
	REQUIRE(c->deadline_hour >= 0 && c->deadline_hour <= 23);
	return st->ops->counter_insert(st->be, c);
}

int
rp_store_counter_get(struct rp_store *st, const char *code, struct rp_counter *c)
{
	memset(c, 0, sizeof(*c));
	if (code_ok(code, RP_STORE_CODE_MAX) != 0)
		return RP_E_NOTFOUND;
	return st->ops->counter_get(st->be, code, c);
}

int
rp_store_counter_list(struct rp_store *st, struct rp_counter **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	return st->ops->counter_list(st->be, out, n);
}

int
rp_store_device_insert(struct rp_store *st, struct rp_device *d)
{
	int r;

	CHECK(code_ok(d->serial, RP_STORE_CODE_MAX));
	CHECK(text_ok(d->model, sizeof(d->model) - 1, false));
	REQUIRE(rp_device_kind_name(d->kind) != NULL);
	REQUIRE(rp_device_status_name(d->status) != NULL && d->counter_id >= 0);
	return st->ops->device_insert(st->be, d);
}

int
rp_store_device_get(struct rp_store *st, const char *serial, struct rp_device *d)
{
	memset(d, 0, sizeof(*d));
	if (code_ok(serial, RP_STORE_CODE_MAX) != 0)
		return RP_E_NOTFOUND;
	return st->ops->device_get(st->be, serial, d);
}

int
rp_store_device_list(struct rp_store *st, int status, int64_t counter_id,
    struct rp_device **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	REQUIRE(status == -1 || rp_device_status_name(status) != NULL);
	REQUIRE(counter_id >= -1);
	return st->ops->device_list(st->be, status, counter_id, out, n);
}

int
rp_store_device_update(struct rp_store *st, int64_t id, int status,
    int64_t counter_id)
{
	REQUIRE(id > 0 && rp_device_status_name(status) != NULL && counter_id >= 0);
	return st->ops->device_update(st->be, id, status, counter_id);
}

int
rp_store_policy_insert(struct rp_store *st, const char *name, int32_t version,
    const char *json, size_t json_len, int64_t *id)
{
	int r;

	*id = 0;
	CHECK(code_ok(name, RP_STORE_CODE_MAX));
	REQUIRE(version > 0 && json != NULL);
	if (json_len == 0 || json_len > RP_POLICY_MAX)
		return json_len == 0 ? RP_E_INVAL : RP_E_TOOBIG;
	REQUIRE(memchr(json, '\0', json_len) == NULL &&
	    rp_utf8_valid((struct rp_str){ json, json_len }));
	return st->ops->policy_insert(st->be, name, version, json, json_len, id);
}

int
rp_store_policy_latest(struct rp_store *st, const char *name, int64_t *id,
    int32_t *version, char **json)
{
	*id = 0;
	*version = 0;
	*json = NULL;
	if (code_ok(name, RP_STORE_CODE_MAX) != 0)
		return RP_E_NOTFOUND;
	return st->ops->policy_latest(st->be, name, id, version, json);
}

/* ---- orders ------------------------------------------------------------ */

int
rp_store_order_insert(struct rp_store *st, struct rp_order *o,
    const struct rp_order_event *hist, size_t nhist)
{
	int r;

	o->id = 0;
	o->number[0] = '\0';
	REQUIRE(o->reserved_id >= 0);
	REQUIRE(o->lang[0] == '\0' || strcmp(o->lang, "ja") == 0 ||
	    strcmp(o->lang, "en") == 0);
	CHECK(order_ok(o));
	CHECK(history_ok(o, hist, nhist));
	return st->ops->order_insert(st->be, o, hist, nhist);
}

int
rp_store_order_get(struct rp_store *st, const char *number, struct rp_order *o)
{
	int64_t id;
	int r;

	memset(o, 0, sizeof(*o));
	/*
	 * By the stored number, not by inverting it: a number made before the
	 * key existed (or under another key) is still found, and never turns
	 * into some other order's id.
	 */
	if (number == NULL ||
	    strnlen(number, RP_ORDER_NUMBER_LEN + 1) != RP_ORDER_NUMBER_LEN ||
	    memcmp(number, "RP-", 3) != 0)
		return RP_E_NOTFOUND;
	if ((r = st->ops->order_find_number(st->be, number, &id)) != 0)
		return r;
	return st->ops->order_get(st->be, id, o);
}

int
rp_store_order_get_id(struct rp_store *st, int64_t id, struct rp_order *o)
{
	memset(o, 0, sizeof(*o));
	if (id <= 0)
		return RP_E_NOTFOUND;
	return st->ops->order_get(st->be, id, o);
}

int
rp_store_order_list_tenant(struct rp_store *st, int64_t tenant_id,
    int64_t before_id, size_t limit, struct rp_order **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	REQUIRE(tenant_id > 0 && before_id >= 0 && limit >= 1 && limit <= 1000);
	return st->ops->order_list_tenant(st->be, tenant_id, before_id, limit,
	    out, n);
}

int
rp_store_order_transition(struct rp_store *st, int64_t order_id, int to,
    const char *actor, const char *note, int64_t at)
{
	int r;

	REQUIRE(order_id > 0 && rp_order_status_name(to) != NULL && at >= 0);
	CHECK(text_ok(actor, RP_STORE_CODE_MAX * 2, false));
	CHECK(text_ok(note == NULL ? "" : note, RP_STORE_TEXT_MAX, true));
	return st->ops->order_transition(st->be, order_id, to, actor,
	    note == NULL ? "" : note, at);
}

int
rp_store_order_events(struct rp_store *st, int64_t order_id,
    struct rp_order_event **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	REQUIRE(order_id > 0);
	return st->ops->order_events(st->be, order_id, out, n);
}

int
rp_store_order_count(struct rp_store *st, const struct rp_order_filter *f,
    uint64_t *count)
{
	*count = 0;
	REQUIRE(f->by == RP_BY_ORDER_DATE || f->by == RP_BY_DEPART_DATE);
	REQUIRE(f->since[0] == '\0' || rp_store_date_valid(f->since));
	REQUIRE(f->until[0] == '\0' || rp_store_date_valid(f->until));
	REQUIRE(f->channel == -1 || rp_channel_name(f->channel) != NULL);
	REQUIRE(f->status == -1 || rp_order_status_name(f->status) != NULL);
	REQUIRE(f->tenant_id >= 0 || f->tenant_id == RP_TENANT_NONE);
	return st->ops->order_count(st->be, f, count);
}

/* ---- idempotency records (migration 0002) ----------------------------- */

/* Idempotency keys: 1..RP_IDEM_KEY_MAX printable ASCII bytes. */
static int
idem_key_ok(const char *key)
{
	size_t n, i;

	if (key == NULL)
		return RP_E_INVAL;
	if ((n = strnlen(key, RP_IDEM_KEY_MAX + 1)) > RP_IDEM_KEY_MAX)
		return RP_E_TOOBIG;
	if (n == 0)
		return RP_E_INVAL;
	for (i = 0; i < n; i++)
		if ((unsigned char)key[i] < 0x21 || (unsigned char)key[i] > 0x7e)
			return RP_E_INVAL;
	return 0;
}

int
rp_store_idem_reserve(struct rp_store *st, int64_t tenant_id,
    const char *key, const uint8_t hash[RP_IDEM_HASH_LEN], int64_t now)
{
	int r;

	REQUIRE(tenant_id >= 0 && now >= 0 && hash != NULL);
	CHECK(idem_key_ok(key));
	return st->ops->idem_insert(st->be, tenant_id, key, hash,
	    now ? now : (int64_t)time(NULL));
}

int
rp_store_idem_get(struct rp_store *st, int64_t tenant_id, const char *key,
    struct rp_idem *out)
{
	memset(out, 0, sizeof(*out));
	if (tenant_id < 0 || idem_key_ok(key) != 0)
		return RP_E_NOTFOUND;
	return st->ops->idem_get(st->be, tenant_id, key, out);
}

int
rp_store_idem_complete(struct rp_store *st, int64_t tenant_id,
    const char *key, const char *number, int status, int64_t total_yen)
{
	int64_t id;
	int r;

	REQUIRE(tenant_id >= 0 && money_ok(total_yen));
	REQUIRE(rp_order_status_name(status) != NULL);
	REQUIRE(number != NULL && rp_order_number_id(&st->num, number, &id) == 0);
	CHECK(idem_key_ok(key));
	return st->ops->idem_complete(st->be, tenant_id, key, number, status,
	    total_yen);
}

int
rp_store_idem_delete(struct rp_store *st, int64_t tenant_id, const char *key,
    int64_t created_at)
{
	int r;

	REQUIRE(tenant_id >= 0);
	CHECK(idem_key_ok(key));
	return st->ops->idem_delete(st->be, tenant_id, key, created_at);
}

int
rp_store_idem_purge(struct rp_store *st, int64_t before, uint64_t *n)
{
	uint64_t k = 0;
	int r;

	if (n != NULL)
		*n = 0;
	REQUIRE(before >= 0);
	if ((r = st->ops->idem_purge(st->be, before, &k)) == 0 && n != NULL)
		*n = k;
	return r;
}

int
rp_store_order_change(struct rp_store *st, struct rp_order *o,
    const char *actor, const char *note, int64_t at)
{
	int r;

	REQUIRE(o->id > 0 && at >= 0);
	CHECK(order_ok(o));
	CHECK(text_ok(actor, RP_STORE_CODE_MAX * 2, false));
	CHECK(text_ok(note == NULL ? "" : note, RP_STORE_TEXT_MAX, true));
	return st->ops->order_change(st->be, o, actor, note == NULL ? "" : note,
	    at ? at : (int64_t)time(NULL));
}

/* ---- migration 0003: reserved order ids ------------------------------- */

int
rp_store_order_reserve(struct rp_store *st, int64_t *id,
    char number[RP_ORDER_NUMBER_LEN + 1])
{
	int r;

	number[0] = '\0';
	/*
	 * An order stored before the key existed keeps its old number; in the
	 * unlikely case that a new id's number is one of those, skip the id
	 * (its reservation just expires) rather than hand out a number twice.
	 */
	for (int i = 0; i < 16; i++) {
		int64_t other;

		if ((r = st->ops->order_reserve(st->be, (int64_t)time(NULL),
		    id)) != 0 || (r = rp_order_number(&st->num, *id, number)) != 0)
			return r;
		if ((r = st->ops->order_find_number(st->be, number, &other)) ==
		    RP_E_NOTFOUND)
			return 0;
		number[0] = '\0';
		if (r != 0)
			return r;
	}
	return RP_E_EXISTS;
}

/* ---- migration 0004: the payment outbox --------------------------------- */

static int
payment_ok(const struct rp_payment *p)
{
	int r;

	REQUIRE(p->op >= RP_PAY_AUTHORIZE && p->op <= RP_PAY_OP_LAST);
	REQUIRE(p->state >= RP_PAY_QUEUED && p->state <= RP_PAY_UNKNOWN);
	REQUIRE(p->amount_yen >= 0);
	CHECK(text_ok(p->token, sizeof(p->token) - 1, true));
	CHECK(text_ok(p->return_url, sizeof(p->return_url) - 1, true));
	CHECK(text_ok(p->psp_id, sizeof(p->psp_id) - 1, true));
	CHECK(text_ok(p->psp_status, sizeof(p->psp_status) - 1, true));
	CHECK(text_ok(p->decline_code, sizeof(p->decline_code) - 1, true));
	CHECK(text_ok(p->next_url, sizeof(p->next_url) - 1, true));
	CHECK(text_ok(p->brand, sizeof(p->brand) - 1, true));
	CHECK(text_ok(p->last4, sizeof(p->last4) - 1, true));
	CHECK(text_ok(p->customer, sizeof(p->customer) - 1, true));
	CHECK(text_ok(p->payment_method, sizeof(p->payment_method) - 1, true));
	CHECK(no_pan(p->customer));
	CHECK(no_pan(p->payment_method));
	CHECK(no_pan(p->token));
	CHECK(no_pan(p->return_url));
	CHECK(no_pan(p->psp_id));
	CHECK(no_pan(p->decline_code));
	CHECK(no_pan(p->next_url));
	return 0;
}

int
rp_store_payment_new(struct rp_store *st, struct rp_payment *p)
{
	int r;

	p->state = RP_PAY_QUEUED;
	REQUIRE(p->order_id > 0);
	CHECK(payment_ok(p));
	return st->ops->payment_new(st->be, p);
}

int
rp_store_payment_get(struct rp_store *st, int64_t id, struct rp_payment *p)
{
	memset(p, 0, sizeof(*p));
	if (id <= 0)
		return RP_E_NOTFOUND;
	return st->ops->payment_get(st->be, id, NULL, 0, 0, p);
}

int
rp_store_payment_last(struct rp_store *st, int64_t order_id, int op,
    struct rp_payment *p)
{
	memset(p, 0, sizeof(*p));
	if (order_id <= 0 || op < RP_PAY_AUTHORIZE || op > RP_PAY_OP_LAST)
		return RP_E_NOTFOUND;
	return st->ops->payment_get(st->be, 0, NULL, order_id, op, p);
}

int
rp_store_payment_by_psp(struct rp_store *st, const char *psp_id, int op,
    struct rp_payment *p)
{
	memset(p, 0, sizeof(*p));
	if (psp_id == NULL || psp_id[0] == '\0' || op < RP_PAY_AUTHORIZE ||
	    op > RP_PAY_OP_LAST)
		return RP_E_NOTFOUND;
	return st->ops->payment_get(st->be, 0, psp_id, 0, op, p);
}

int
rp_store_payment_due(struct rp_store *st, int64_t now, size_t max,
    struct rp_payment **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	REQUIRE(max >= 1 && max <= 1000);
	return st->ops->payment_due(st->be, now, max, out, n);
}

int
rp_store_payment_update(struct rp_store *st, const struct rp_payment *p)
{
	int r;

	REQUIRE(p->id > 0);
	CHECK(payment_ok(p));
	return st->ops->payment_update(st->be, p);
}

int
rp_store_webhook_seen(struct rp_store *st, const char *id, const char *type,
    int64_t at)
{
	int r;

	REQUIRE(id != NULL && id[0] != '\0' && type != NULL);
	CHECK(text_ok(id, 128, false));
	CHECK(text_ok(type, 64, false));
	return st->ops->webhook_seen(st->be, id, type, at);
}

int
rp_store_order_paid(struct rp_store *st, int64_t order_id, const char *token,
    const char *brand, const char *last4, const char *auth_id)
{
	struct rp_order o;
	int r;

	memset(&o, 0, sizeof(o));
	REQUIRE(order_id > 0);
	snprintf(o.pay_token, sizeof(o.pay_token), "%s", token);
	snprintf(o.pay_brand, sizeof(o.pay_brand), "%s", brand);
	snprintf(o.pay_last4, sizeof(o.pay_last4), "%s", last4);
	snprintf(o.pay_auth_id, sizeof(o.pay_auth_id), "%s", auth_id);
	CHECK(text_ok(o.pay_token, sizeof(o.pay_token) - 1, true));
	CHECK(text_ok(o.pay_brand, sizeof(o.pay_brand) - 1, true));
	CHECK(text_ok(o.pay_last4, sizeof(o.pay_last4) - 1, true));
	CHECK(text_ok(o.pay_auth_id, sizeof(o.pay_auth_id) - 1, true));
	CHECK(no_pan(o.pay_token));
	CHECK(no_pan(o.pay_auth_id));
	return st->ops->order_paid(st->be, order_id, o.pay_token, o.pay_brand,
	    o.pay_last4, o.pay_auth_id);
}

/* ---- migration 0005: IPS bans ------------------------------------------- */

/* Address text as src/ips writes it: hex digits, '.', ':' only. */
static int
ban_addr_ok(const char *a)
{
	size_t n;

	if (a == NULL || (n = strnlen(a, 46)) == 0 || n > 45)
		return RP_E_INVAL;
	for (size_t i = 0; i < n; i++)
		if (!((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f') ||
		    (a[i] >= 'A' && a[i] <= 'F') || a[i] == '.' || a[i] == ':'))
			return RP_E_INVAL;
	return 0;
}

int
rp_store_ban_put(struct rp_store *st, const struct rp_ban *b, bool extend_only)
{
	int r;

	CHECK(ban_addr_ok(b->addr));
	CHECK(text_ok(b->reason, sizeof(b->reason) - 1, false));
	REQUIRE(strcmp(b->source, "auto") == 0 ||
	    strcmp(b->source, "operator") == 0);
	REQUIRE(b->until > 0 && b->created_at >= 0);
	return st->ops->ban_put(st->be, b, extend_only);
}

int
rp_store_ban_delete(struct rp_store *st, const char *addr)
{
	int r;

	CHECK(ban_addr_ok(addr));
	return st->ops->ban_delete(st->be, addr);
}

int
rp_store_ban_list(struct rp_store *st, int64_t now, bool all,
    struct rp_ban **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	return st->ops->ban_list(st->be, now, all, out, n);
}

int
rp_store_ban_purge(struct rp_store *st, int64_t before)
{
	return st->ops->ban_purge(st->be, before);
}

int
rp_store_stock_count(struct rp_store *st, int64_t counter_id, int kind,
    const char *from, const char *until, int64_t *units, int64_t *held)
{
	*units = *held = 0;
	REQUIRE(counter_id >= 0 && rp_device_kind_name(kind) != NULL);
	REQUIRE(rp_store_date_valid(from) && rp_store_date_valid(until) &&
	    strcmp(from, until) <= 0);
	return st->ops->stock_count(st->be, counter_id, kind, from, until,
	    units, held);
}

int
rp_store_stock_days(struct rp_store *st, int64_t counter_id, int kind,
    const char *from, int ndays, int64_t *units, int64_t *held)
{
	*units = 0;
	REQUIRE(counter_id >= 0 && rp_device_kind_name(kind) != NULL);
	REQUIRE(rp_store_date_valid(from));
	REQUIRE(ndays >= 1 && ndays <= RP_STOCK_WINDOW_MAX);
	return st->ops->stock_days(st->be, counter_id, kind, from, ndays,
	    units, held);
}

int
rp_store_stock_reserve(struct rp_store *st, int64_t order_id,
    int64_t counter_id, int kind, int32_t qty, const char *from,
    const char *until, int64_t at, int64_t *avail)
{
	struct rp_stock_hold h;
	int r;

	*avail = 0;
	memset(&h, 0, sizeof(h));
	h.counter_id = counter_id;
	h.kind = kind;
	h.qty = qty;
	REQUIRE(order_id > 0 && from != NULL && until != NULL &&
	    strlen(from) < sizeof(h.from) && strlen(until) < sizeof(h.until));
	snprintf(h.from, sizeof(h.from), "%s", from);
	snprintf(h.until, sizeof(h.until), "%s", until);
	REQUIRE(hold_ok(&h));
	r = st->ops->stock_reserve(st->be, order_id, &h, at);
	*avail = h.free;
	return r;
}

int
rp_store_stock_release(struct rp_store *st, int64_t order_id)
{
	REQUIRE(order_id > 0);
	return st->ops->stock_release(st->be, order_id);
}

/* ---- the counter (migration 0010) --------------------------------------- */

static bool
serial_ok(const char *s)
{
	return s != NULL && s[0] != '\0' && text_ok(s, RP_STORE_CODE_MAX, false) == 0;
}

static bool
charges_ok(const struct rp_order_charge *c, size_t n)
{
	if (n > 0 && c == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (c[i].code[0] == '\0' || text_ok(c[i].code,
		    RP_STORE_CODE_MAX, false) != 0 || c[i].qty < 1 || c[i].qty > 999 ||
		    c[i].amount_yen < 0 || c[i].amount_yen > 100000000)
			return false;
	return true;
}

int
rp_store_unit_pickup(struct rp_store *st, int64_t order_id,
    const char *serial, int64_t counter_id, const char *tracking,
    const char *actor, int64_t at, int *why, bool *complete)
{
	int r;

	*why = RP_UNIT_OK;
	*complete = false;
	REQUIRE(order_id > 0 && counter_id >= 0 && at >= 0 && serial_ok(serial));
	CHECK(text_ok(tracking == NULL ? "" : tracking, RP_STORE_CODE_MAX, true));
	CHECK(text_ok(actor, RP_STORE_CODE_MAX * 2, false));
	return st->ops->unit_pickup(st->be, order_id, serial, counter_id,
	    tracking == NULL ? "" : tracking, actor, at, why, complete);
}

int
rp_store_unit_return(struct rp_store *st, int64_t order_id,
    const char *serial, int64_t counter_id, int condition,
    const struct rp_order_charge *charges, size_t ncharges,
    const char *actor, int64_t at, int *why, bool *complete)
{
	int r;

	*why = RP_UNIT_OK;
	*complete = false;
	REQUIRE(order_id > 0 && counter_id >= 0 && at >= 0 && serial_ok(serial));
	REQUIRE(rp_unit_condition_name(condition) != NULL);
	REQUIRE(ncharges <= 64 && charges_ok(charges, ncharges));
	CHECK(text_ok(actor, RP_STORE_CODE_MAX * 2, false));
	return st->ops->unit_return(st->be, order_id, serial, counter_id,
	    condition, charges, ncharges, actor, at, why, complete);
}

int
rp_store_unit_history(struct rp_store *st, int64_t order_id,
    int64_t device_id, int64_t out_at, int64_t out_counter_id,
    int64_t back_at, int64_t back_counter_id, int condition)
{
	REQUIRE(order_id > 0 && device_id > 0 && out_at > 0 && back_at >= 0 &&
	    (back_at == 0 || back_at >= out_at) && out_counter_id >= 0 &&
	    back_counter_id >= 0);
	REQUIRE(back_at == 0 || rp_unit_condition_name(condition) != NULL);
	return st->ops->unit_history(st->be, order_id, device_id, out_at,
	    out_counter_id, back_at, back_counter_id, condition);
}

int
rp_store_order_units(struct rp_store *st, int64_t order_id,
    struct rp_order_unit **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	REQUIRE(order_id > 0);
	return st->ops->order_units(st->be, order_id, out, n);
}

int
rp_store_order_charges(struct rp_store *st, int64_t order_id,
    struct rp_order_charge **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	REQUIRE(order_id > 0);
	return st->ops->order_charges(st->be, order_id, out, n);
}

int
rp_store_counter_orders(struct rp_store *st, int64_t counter_id, int which,
    const char *date, size_t max, struct rp_order **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	REQUIRE(counter_id > 0 && which >= RP_COUNTER_PICKUPS &&
	    which <= RP_COUNTER_NO_SHOWS && rp_store_date_valid(date));
	REQUIRE(max >= 1 && max <= RP_STORE_LIST_MAX);
	return st->ops->counter_orders(st->be, counter_id, which, date, max,
	    out, n);
}

int
rp_store_order_list_person(struct rp_store *st, int64_t person_id,
    size_t max, struct rp_order **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	REQUIRE(person_id > 0 && max >= 1 && max <= RP_STORE_LIST_MAX);
	return st->ops->order_list_person(st->be, person_id, max, out, n);
}

int
rp_store_order_settle(struct rp_store *st, int64_t order_id,
    const char *method, int to, const char *actor, int64_t at)
{
	int r;

	REQUIRE(order_id > 0 && at >= 0 && method != NULL &&
	    (strcmp(method, "card_on_file") == 0 ||
	    strcmp(method, "terminal") == 0 || strcmp(method, "invoice") == 0));
	REQUIRE(to == RP_ORDER_SETTLED || to == RP_ORDER_SETTLE_PENDING);
	CHECK(text_ok(actor, RP_STORE_CODE_MAX * 2, false));
	return st->ops->order_settle(st->be, order_id, method, to, actor, at);
}

int
rp_store_order_no_show(struct rp_store *st, int64_t order_id,
    const struct rp_order_charge *fee, const char *actor, int64_t at)
{
	int r;

	REQUIRE(order_id > 0 && at >= 0);
	REQUIRE(fee == NULL || charges_ok(fee, 1));
	CHECK(text_ok(actor, RP_STORE_CODE_MAX * 2, false));
	return st->ops->order_no_show(st->be, order_id, fee, actor, at);
}

int
rp_store_device_transfer(struct rp_store *st, const char *serial,
    int64_t to_counter_id, const char *actor, int64_t at, int *why)
{
	int r;

	*why = RP_UNIT_OK;
	REQUIRE(serial_ok(serial) && to_counter_id >= 0 && at >= 0);
	CHECK(text_ok(actor, RP_STORE_CODE_MAX * 2, false));
	return st->ops->device_transfer(st->be, serial, to_counter_id, actor,
	    at, why);
}

int
rp_store_device_history(struct rp_store *st, int64_t device_id, size_t max,
    struct rp_device_event **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	REQUIRE(device_id > 0 && max >= 1 && max <= RP_STORE_LIST_MAX);
	return st->ops->device_history(st->be, device_id, max, out, n);
}
