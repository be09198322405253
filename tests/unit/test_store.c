/* SPDX-License-Identifier: ISC */
/*
 * test_store.c — the core store: migrations (apply, re-apply, newer
 * database refused), order numbers (a keyed permutation, exhaustively on
 * small domains) and their key file, catalogue CRUD, orders with their
 * history, allowed and refused status transitions, counts by filter.
 */
#include "util/common.h"
#include "store/store.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "test_store_util.h"

static struct rp_order
base_order(int64_t plan_id, int64_t counter_id)
{
	struct rp_order o;

	memset(&o, 0, sizeof(o));
	o.channel = RP_CHANNEL_PUBLIC;
	o.person_id = 42;
	o.plan_id = plan_id;
	o.qty = 1;
	snprintf(o.order_date, sizeof(o.order_date), "2024-03-01");
	snprintf(o.depart_date, sizeof(o.depart_date), "2024-03-10");
	snprintf(o.return_date, sizeof(o.return_date), "2024-03-15");
	o.pickup = RP_HANDOVER_COUNTER;
	o.pickup_counter_id = counter_id;
	o.ret = RP_HANDOVER_POST;
	o.status = RP_ORDER_RESERVED;
	o.subtotal_yen = 6000;
	o.tax_yen = 600;
	o.total_yen = 6600;
	snprintf(o.pay_token, sizeof(o.pay_token), "tok_abc123");
	snprintf(o.pay_brand, sizeof(o.pay_brand), "VISA");
	snprintf(o.pay_last4, sizeof(o.pay_last4), "4242");
	return o;
}

static struct rp_order_event
ev(int from, int to, int64_t at)
{
	struct rp_order_event e;

	memset(&e, 0, sizeof(e));
	e.from = from;
	e.to = to;
	e.at = at;
	snprintf(e.actor, sizeof(e.actor), "test");
	return e;
}

/*
 * The unkeyed scramble order numbers used to be (kept here only to show
 * that its inverse no longer recovers the sequence).
 */
#define OLD_MASK	((UINT64_C(1) << 40) - 1)
static uint64_t
old_inv_mul(uint64_t a)
{
	uint64_t x = a;

	for (int i = 0; i < 6; i++)
		x *= 2 - a * x;
	return x & OLD_MASK;
}

static uint64_t
old_scramble(uint64_t x)
{
	x = (x * UINT64_C(0x9E3779B97F)) & OLD_MASK;
	x ^= x >> 21;
	x = (x * UINT64_C(0xC2B2AE3D27)) & OLD_MASK;
	x ^= x >> 20;
	return x;
}

static uint64_t
old_unscramble(uint64_t x)
{
	x ^= x >> 20;
	x = (x * old_inv_mul(UINT64_C(0xC2B2AE3D27))) & OLD_MASK;
	x ^= x >> 21;
	x = (x * old_inv_mul(UINT64_C(0x9E3779B97F))) & OLD_MASK;
	return x;
}

static const char b32c[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static uint64_t
num_value(const char *num)
{
	uint64_t x = 0;

	for (int i = 3; i < 11; i++)
		x = (x << 5) | (uint64_t)(strchr(b32c, num[i]) - b32c);
	return x;
}

static void
old_number(uint64_t id, char out[RP_ORDER_NUMBER_LEN + 1])
{
	uint64_t x = old_scramble(id);

	memcpy(out, "RP-", 3);
	for (int i = 7; i >= 0; i--) {
		out[3 + i] = b32c[x & 31];
		x >>= 5;
	}
	out[11] = '\0';
}

static void
key_of(struct rp_ordnum *k, uint8_t fill)
{
	uint8_t key[RP_ORDNUM_KEY_BYTES];

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(fill + i);
	rp_ordnum_init(k, key);
}

/* Every x in [1, max] maps into [1, max], to a value no other x maps to,
 * and back: a permutation, checked exhaustively. */
static int
perm_check(const struct rp_ordnum *k, unsigned bits, uint64_t max)
{
	uint8_t *seen = calloc(max + 1, 1);
	int bad = 0;

	if (seen == NULL)
		return -1;
	for (uint64_t x = 1; x <= max; x++) {
		uint64_t y = rp_ordnum_permute(k, bits, max, x);

		if (y == 0 || y > max || seen[y]++ ||
		    rp_ordnum_unpermute(k, bits, max, y) != x)
			bad++;
	}
	free(seen);
	return bad;
}

static void
test_numbers(void)
{
	char num[RP_ORDER_NUMBER_LEN + 1], prev[RP_ORDER_NUMBER_LEN + 1] = "";
	char n2[RP_ORDER_NUMBER_LEN + 1];
	struct rp_ordnum k1, k2;
	int64_t id, i;
	int bad = 0, same = 0, old_hits = 0, walks = 0;

	key_of(&k1, 1);
	key_of(&k2, 101);
	is_int(perm_check(&k1, 12, 4095), 0,
	    "permutation of [1, 4095] (12 bits), exhaustively");
	is_int(perm_check(&k1, 12, 3000), 0,
	    "permutation of [1, 3000] (12 bits, cycle-walked), exhaustively");
	is_int(perm_check(&k2, 12, 3000), 0, "the same under another key");
	is_int(perm_check(&k1, 20, 1000003), 0,
	    "permutation of [1, 1000003] (20 bits), exhaustively");
	is_int(perm_check(&k1, 2, 3), 0, "permutation of [1, 3] (2 bits)");
	for (uint64_t x = 1; x <= 3000; x++) {
		if (rp_ordnum_permute(&k1, 12, 3000, x) ==
		    rp_ordnum_permute(&k2, 12, 3000, x))
			same++;
		if (rp_ordnum_permute(&k1, 12, 3000, x) !=
		    rp_ordnum_permute(&k1, 12, 4095, x))
			walks++;
	}
	ok(same < 30, "two keys: different permutations of [1, 3000]");
	diag("%d of 3000 agree under two keys (chance: about 1)", same);
	ok(walks > 0, "the walk changed some values (it is exercised)");
	is_int((long long)rp_ordnum_permute(&k1, 12, 3000, 0), 0, "0 is outside");
	is_int((long long)rp_ordnum_permute(&k1, 12, 3000, 3001), 0,
	    "max+1 is outside");
	is_int((long long)rp_ordnum_permute(&k1, 13, 3000, 5), 0,
	    "odd width refused");

	same = 0;
	for (i = 1; i <= 200000; i++) {
		if (rp_order_number(&k1, i, num) != 0 ||
		    rp_order_number_id(&k1, num, &id) != 0 || id != i ||
		    strcmp(num, prev) == 0)
			bad++;
		if (rp_order_number(&k2, i, n2) != 0 || strcmp(num, n2) == 0)
			same++;
		if (old_unscramble(num_value(num)) == (uint64_t)i)
			old_hits++;
		memcpy(prev, num, sizeof(prev));
	}
	is_int(bad, 0, "order numbers round-trip for ids 1..200000");
	is_int(same, 0, "another key: another number for each of ids 1..200000");
	is_int(old_hits, 0,
	    "the old unkeyed inverse recovers none of ids 1..200000");
	ok(old_unscramble(old_scramble(12345)) == 12345,
	    "(the old inverse did recover ids from old numbers)");
	old_number(12345, n2);
	ok(rp_order_number_id(&k1, n2, &id) == 0 && id != 12345,
	    "an old number does not decode to its old id");
	ok(rp_order_number(&k1, 1, num) == 0 && rp_order_number(&k1, 2, n2) == 0 &&
	    num_value(num) + 1 != num_value(n2), "neighbours are not neighbours");
	ok(rp_order_number(&k1, 1, num) == 0 && strlen(num) == 11 &&
	    strncmp(num, "RP-", 3) == 0 &&
	    strspn(num + 3, b32c) == 8, "number format RP-XXXXXXXX (Crockford)");
	is_int(rp_order_number(&k1, (INT64_C(1) << 40) - 1, num), 0, "max id");
	is_int(rp_order_number_id(&k1, num, &id), 0, "max id parses");
	ok(id == (INT64_C(1) << 40) - 1, "max id round-trips");
	is_int(rp_order_number(&k1, 0, num), RP_E_RANGE, "id 0 refused");
	is_int(rp_order_number(&k1, INT64_C(1) << 40, num), RP_E_RANGE,
	    "id 2^40 refused");
	is_int(rp_order_number_id(&k1, "RP-0000000I", &id), RP_E_INVAL,
	    "I is not base32");
	is_int(rp_order_number_id(&k1, "RP-00000000", &id), RP_E_INVAL,
	    "zero refused");
	is_int(rp_order_number_id(&k1, "XX-12345678", &id), RP_E_INVAL, "prefix");
	is_int(rp_order_number_id(&k1, "RP-1234567", &id), RP_E_INVAL, "short");
	is_int(rp_order_number_id(&k1, "RP-123456789", &id), RP_E_INVAL, "long");
}

/* DATA/keys/order-number.key: made once, 0640, reused, checked. */
static void
test_key_file(void)
{
	struct rp_store *st = NULL, *st2 = NULL;
	char dir[512], dir2[512], path[700], kdir[700], a[12], b[12], c[12];
	struct stat sb;
	FILE *f;

	ok(tmpdir_make(dir, sizeof(dir)) != NULL &&
	    tmpdir_make(dir2, sizeof(dir2)) != NULL, "key: scratch dirs");
	snprintf(path, sizeof(path), "%s/keys/order-number.key", dir);
	is_int(rp_store_open(dir, &st), 0, "first open makes the key");
	ok(stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (sb.st_mode & 0777) == 0640, "keys/order-number.key, mode 0640");
	snprintf(kdir, sizeof(kdir), "%s/keys", dir);
	ok(stat(kdir, &sb) == 0 && (sb.st_mode & 0777) == 0750, "keys/ is 0750");
	ok(st != NULL && rp_store_order_number(st, 7, a) == 0, "number 7");
	rp_store_free(st);
	st = NULL;
	ok(rp_store_open(dir, &st) == 0 && rp_store_order_number(st, 7, b) == 0 &&
	    strcmp(a, b) == 0, "reopened: the same key, the same number");
	rp_store_free(st);
	st = NULL;
	ok(rp_store_open(dir2, &st2) == 0 &&
	    rp_store_order_number(st2, 7, c) == 0 && strcmp(a, c) != 0,
	    "another data directory: another key");
	rp_store_free(st2);

	chmod(path, 0666);
	is_int(rp_store_open(dir, &st), RP_E_DENIED, "a writable key is refused");
	chmod(path, 0644);
	is_int(rp_store_open(dir, &st), RP_E_DENIED,
	    "a key readable by anyone is refused");
	chmod(path, 0600);
	ok(rp_store_open(dir, &st) == 0, "0600 is fine");
	rp_store_free(st);
	st = NULL;
	if ((f = fopen(path, "w")) != NULL) {
		fputs("not a key\n", f);
		fclose(f);
	}
	is_int(rp_store_open(dir, &st), RP_E_INVAL, "garbage refused, not replaced");
	unlink(path);
	ok(symlink("/etc/hostname", path) == 0, "a link in its place");
	ok(rp_store_open(dir, &st) != 0 && st == NULL, "a link is refused");
	tmpdir_remove(dir);
	tmpdir_remove(dir2);
}

static void
test_enums_dates(void)
{
	int v;

	ok(rp_store_date_valid("2024-02-29"), "leap day");
	ok(!rp_store_date_valid("2023-02-29"), "no leap day 2023");
	ok(!rp_store_date_valid("2024-13-01"), "month 13");
	ok(!rp_store_date_valid("2024-1-01"), "short month");
	ok(!rp_store_date_valid("2024-01-01x"), "trailing byte");
	ok(!rp_store_date_valid("1899-12-31"), "before 1900");
	is_int(rp_order_status_parse("picked_up", &v), 0, "parse status");
	is_int(v, RP_ORDER_PICKED_UP, "picked_up value");
	is_int(rp_order_status_parse("lost", &v), RP_E_INVAL, "unknown status");
	ok(rp_order_status_name(RP_ORDER_STATUS_COUNT) == NULL, "name out of range");
	ok(rp_order_transition_ok(RP_ORDER_RESERVED, RP_ORDER_CONFIRMED), "r→c");
	ok(rp_order_transition_ok(RP_ORDER_CONFIRMED, RP_ORDER_CANCELLED), "c→x");
	ok(!rp_order_transition_ok(RP_ORDER_PICKED_UP, RP_ORDER_CANCELLED), "p→x no");
	ok(!rp_order_transition_ok(RP_ORDER_SETTLED, RP_ORDER_RETURNED), "final");
	ok(!rp_order_transition_ok(RP_ORDER_RESERVED, RP_ORDER_PICKED_UP), "skip no");
	ok(!rp_order_transition_ok(RP_ORDER_CANCELLED, RP_ORDER_RESERVED), "undo no");
}

static void
test_migrations(const char *dir)
{
	struct rp_store *st = NULL;
	int v = 0;

	/* a worker's connection applies no migration: a fresh store is
	 * refused until the parent (or `rentport migrate`) has migrated it */
	is_int(rp_store_connect(dir, &st), RP_E_STATE,
	    "a worker's connect refuses an unmigrated store");
	ok(st == NULL, "no store on that failure");
	is_int(rp_store_open(dir, &st), 0, "open fresh store");
	if (st == NULL) {
		tmpdir_remove(dir);
		exit(tap_done());
	}
	is_int(rp_store_schema_version(st, &v), 0, "schema version");
	is_int(v, 10, "migrations 1..10 applied");
	is_int(rp_store_ping(st), 0, "ping");
	rp_store_free(st);
	is_int(rp_store_open(dir, &st), 0, "reopen (migrations idempotent)");
	is_int(rp_store_schema_version(st, &v), 0, "schema version again");
	is_int(v, 10, "still version 10");
	rp_store_free(st);
	st = NULL;
	is_int(rp_store_connect(dir, &st), 0, "once migrated, a worker connects");
	rp_store_free(st);
	st = NULL;

	/* A database from a newer binary is refused, and left alone. */
	ok(test_db_exec(dir, "INSERT INTO schema_migrations VALUES (99, 0)") ==
	    0, "pretend a newer schema");
	st = NULL;
	is_int(rp_store_open(dir, &st), RP_E_STATE, "newer database refused");
	ok(st == NULL, "no store on failure");
	ok(test_db_exec(dir, "DELETE FROM schema_migrations WHERE version = 99")
	    == 0, "undo");
}

int
main(void)
{
	struct rp_store *st = NULL;
	struct rp_tenant t, t2, *tl = NULL;
	struct rp_plan p, p2, *pl = NULL;
	struct rp_option opt, *ol = NULL;
	struct rp_counter c, c2, *cl = NULL;
	struct rp_device d, d2, *dl = NULL;
	struct rp_order o, o2, *orl = NULL;
	struct rp_order_event h[4], *el = NULL;
	struct rp_order_filter f;
	char dir[512], *json = NULL;
	int64_t yen, pol_id, pol2;
	int32_t ver;
	uint64_t cnt;
	size_t n;
	int i;

	test_numbers();
	test_key_file();
	test_enums_dates();
	ok(tmpdir_make(dir, sizeof(dir)) != NULL, "scratch dir");
	test_migrations(dir);
	is_int(rp_store_open(dir, &st), 0, "open");
	if (st == NULL)
		return tap_done();

	/* tenants */
	memset(&t, 0, sizeof(t));
	snprintf(t.slug, sizeof(t.slug), "acme");
	snprintf(t.name, sizeof(t.name), "株式会社アクメ");
	t.billing = RP_BILLING_INVOICE;
	snprintf(t.settings, sizeof(t.settings), "{\"color\":\"#123456\"}");
	is_int(rp_store_tenant_insert(st, &t), 0, "tenant insert");
	ok(t.id > 0 && t.created_at > 0, "tenant id and time set");
	t2 = t;
	is_int(rp_store_tenant_insert(st, &t2), RP_E_EXISTS, "duplicate slug");
	snprintf(t2.slug, sizeof(t2.slug), "Bad Slug");
	is_int(rp_store_tenant_insert(st, &t2), RP_E_INVAL, "bad slug");
	snprintf(t2.slug, sizeof(t2.slug), "other");
	t2.billing = 7;
	is_int(rp_store_tenant_insert(st, &t2), RP_E_INVAL, "bad billing");
	snprintf(t2.slug, sizeof(t2.slug), "pretty");
	t2.billing = RP_BILLING_CARD;
	snprintf(t2.settings, sizeof(t2.settings), "{\n\t\"color\": \"#fff\"\n}");
	is_int(rp_store_tenant_insert(st, &t2), 0, "settings JSON may span lines");
	snprintf(t2.slug, sizeof(t2.slug), "ctl");
	snprintf(t2.settings, sizeof(t2.settings), "{\"a\":\"\x01\"}");
	is_int(rp_store_tenant_insert(st, &t2), RP_E_INVAL, "control byte in settings");
	is_int(rp_store_tenant_get(st, "acme", &t2), 0, "tenant get");
	is_str(t2.name, "株式会社アクメ", "tenant name");
	is_int(t2.billing, RP_BILLING_INVOICE, "tenant billing");
	is_str(t2.settings, "{\"color\":\"#123456\"}", "tenant settings");
	is_int(rp_store_tenant_get(st, "nope", &t2), RP_E_NOTFOUND, "unknown slug");
	is_int(rp_store_tenant_get_id(st, t.id, &t2), 0, "tenant by id");
	is_str(t2.slug, "acme", "tenant by id slug");
	is_int(rp_store_tenant_list(st, &tl, &n), 0, "tenant list");
	is_int(n, 2, "two tenants");
	free(tl);

	/* plans */
	memset(&p, 0, sizeof(p));
	snprintf(p.code, sizeof(p.code), "KR-R-1G");
	snprintf(p.destination, sizeof(p.destination), "KR");
	snprintf(p.destination_name, sizeof(p.destination_name), "韓国");
	p.device = RP_DEVICE_ROUTER;
	snprintf(p.tier, sizeof(p.tier), "1GB/day");
	p.daily_yen = 680;
	p.tax_bp = 1000;
	p.active = true;
	is_int(rp_store_plan_insert(st, &p), 0, "plan insert");
	p2 = p;
	snprintf(p2.code, sizeof(p2.code), "KR-S-3G");
	p2.device = RP_DEVICE_SIM;
	p2.active = false;
	is_int(rp_store_plan_insert(st, &p2), 0, "plan 2 insert");
	p2.daily_yen = -1;
	snprintf(p2.code, sizeof(p2.code), "NEG");
	is_int(rp_store_plan_insert(st, &p2), RP_E_INVAL, "negative price refused");
	is_int(rp_store_plan_get(st, "KR-R-1G", &p2), 0, "plan get");
	is_int(p2.daily_yen, 680, "plan price");
	is_int(p2.device, RP_DEVICE_ROUTER, "plan device");
	ok(p2.active, "plan active");
	is_int(rp_store_plan_list(st, "KR", -1, false, &pl, &n), 0, "plans by destination");
	is_int(n, 2, "two KR plans");
	free(pl);
	is_int(rp_store_plan_list(st, "KR", -1, true, &pl, &n), 0, "active plans");
	is_int(n, 1, "one active");
	free(pl);
	is_int(rp_store_plan_list(st, NULL, RP_DEVICE_SIM, false, &pl, &n), 0, "sim plans");
	ok(n == 1 && pl[0].device == RP_DEVICE_SIM, "one sim plan");
	free(pl);
	is_int(rp_store_plan_list(st, "US", -1, false, &pl, &n), 0, "no US plans");
	ok(n == 0 && pl == NULL, "empty list");

	/* price list */
	is_int(rp_store_price_get(st, t.id, p.id, &yen), RP_E_NOTFOUND, "no override");
	is_int(rp_store_price_set(st, t.id, p.id, 500), 0, "price set");
	is_int(rp_store_price_set(st, t.id, p.id, 450), 0, "price update");
	is_int(rp_store_price_get(st, t.id, p.id, &yen), 0, "price get");
	is_int(yen, 450, "override price");
	is_int(rp_store_price_set(st, t.id, 9999, 450), RP_E_NOTFOUND, "unknown plan");

	/* options */
	memset(&opt, 0, sizeof(opt));
	snprintf(opt.code, sizeof(opt.code), "insurance_full");
	snprintf(opt.name, sizeof(opt.name), "安心補償フル");
	opt.kind = RP_OPTION_INSURANCE;
	opt.daily_yen = 300;
	opt.tax_bp = 1000;
	is_int(rp_store_option_insert(st, &opt), 0, "option insert");
	is_int(rp_store_option_insert(st, &opt), RP_E_EXISTS, "duplicate option");
	is_int(rp_store_option_list(st, &ol, &n), 0, "option list");
	ok(n == 1 && ol[0].daily_yen == 300, "option listed");
	free(ol);

	/* counters */
	memset(&c, 0, sizeof(c));
	snprintf(c.code, sizeof(c.code), "NRT1");
	snprintf(c.airport, sizeof(c.airport), "NRT");
	snprintf(c.terminal, sizeof(c.terminal), "T1");
	snprintf(c.name, sizeof(c.name), "成田空港 第1ターミナル");
	snprintf(c.opens, sizeof(c.opens), "07:00");
	snprintf(c.closes, sizeof(c.closes), "21:30");
	c.deadline_days = 1;
	c.deadline_hour = 12;
	is_int(rp_store_counter_insert(st, &c), 0, "counter insert");
	c2 = c;
	snprintf(c2.code, sizeof(c2.code), "BAD");
	snprintf(c2.opens, sizeof(c2.opens), "25:00");
	is_int(rp_store_counter_insert(st, &c2), RP_E_INVAL, "bad hours");
	is_int(rp_store_counter_get(st, "NRT1", &c2), 0, "counter get");
	ok(c2.deadline_days == 1 && strcmp(c2.closes, "21:30") == 0, "counter fields");
	is_int(rp_store_counter_list(st, &cl, &n), 0, "counter list");
	is_int(n, 1, "one counter");
	free(cl);

	/* devices */
	memset(&d, 0, sizeof(d));
	snprintf(d.serial, sizeof(d.serial), "RT-000001");
	snprintf(d.model, sizeof(d.model), "MR-5G");
	d.kind = RP_DEVICE_ROUTER;
	d.status = RP_DEVSTAT_AVAILABLE;
	d.counter_id = c.id;
	is_int(rp_store_device_insert(st, &d), 0, "device insert");
	d2 = d;
	is_int(rp_store_device_insert(st, &d2), RP_E_EXISTS, "duplicate serial");
	snprintf(d2.serial, sizeof(d2.serial), "RT-000002");
	d2.counter_id = 777;
	is_int(rp_store_device_insert(st, &d2), RP_E_NOTFOUND, "unknown counter");
	d2.counter_id = 0;
	is_int(rp_store_device_insert(st, &d2), 0, "device in warehouse");
	is_int(rp_store_device_list(st, -1, c.id, &dl, &n), 0, "devices at counter");
	ok(n == 1 && strcmp(dl[0].serial, "RT-000001") == 0, "one at NRT1");
	free(dl);
	is_int(rp_store_device_update(st, d2.id, RP_DEVSTAT_OUT, c.id), 0, "move");
	is_int(rp_store_device_get(st, "RT-000002", &d2), 0, "device get");
	ok(d2.status == RP_DEVSTAT_OUT && d2.counter_id == c.id, "moved");
	is_int(rp_store_device_list(st, RP_DEVSTAT_AVAILABLE, -1, &dl, &n), 0, "in stock");
	is_int(n, 1, "one in stock");
	free(dl);
	is_int(rp_store_device_update(st, 9999, RP_DEVSTAT_LOST, 0), RP_E_NOTFOUND,
	    "update unknown device");

	/* policies */
	is_int(rp_store_policy_insert(st, "default", 1, "{\"v\":1}", 7, &pol_id), 0,
	    "policy v1");
	is_int(rp_store_policy_insert(st, "default", 2, "{\"v\":2}", 7, &pol2), 0,
	    "policy v2");
	is_int(rp_store_policy_insert(st, "default", 2, "{}", 2, &pol2), RP_E_EXISTS,
	    "policy version taken");
	is_int(rp_store_policy_latest(st, "default", &pol2, &ver, &json), 0, "latest");
	ok(ver == 2 && json && strcmp(json, "{\"v\":2}") == 0, "latest is v2");
	free(json);

	/* orders */
	o = base_order(p.id, c.id);
	o.policy_id = pol_id;
	o.noptions = 1;
	o.options[0].option_id = opt.id;
	o.options[0].qty = 1;
	h[0] = ev(-1, RP_ORDER_RESERVED, 1700000000);
	is_int(rp_store_order_insert(st, &o, h, 1), 0, "order insert");
	ok(o.id > 0 && strncmp(o.number, "RP-", 3) == 0, "id and number assigned");
	is_int(rp_store_order_get(st, o.number, &o2), 0, "order get by number");
	ok(o2.id == o.id && o2.plan_id == p.id && o2.pickup_counter_id == c.id,
	    "order fields");
	ok(o2.noptions == 1 && o2.options[0].option_id == opt.id, "order options");
	is_str(o2.pay_last4, "4242", "last4");
	is_str(o2.depart_date, "2024-03-10", "depart date");
	is_int(o2.status, RP_ORDER_RESERVED, "status reserved");
	is_int(o2.policy_id, pol_id, "policy snapshot");
	is_int(rp_store_order_get(st, "RP-ZZZZZZZZ", &o2), RP_E_NOTFOUND, "no order");
	is_str(o2.lang, "", "not found: zeroed");

	/* a reserved number: the next id, used by the insert that names it */
	{
		char num[RP_ORDER_NUMBER_LEN + 1], num2[RP_ORDER_NUMBER_LEN + 1];
		int64_t rid = 0, rid2 = 0;
		struct rp_order o3 = base_order(p.id, c.id);

		is_int(rp_store_order_reserve(st, &rid, num), 0, "reserve");
		ok(rid == o.id + 1, "reserved id follows the last order");
		is_int(rp_store_order_reserve(st, &rid2, num2), 0, "reserve again");
		ok(rid2 == rid + 1 && strcmp(num, num2) != 0, "each reservation new");
		o3.reserved_id = rid2;
		snprintf(o3.lang, sizeof(o3.lang), "en");
		snprintf(o3.employee_no, sizeof(o3.employee_no), "E-1234");
		snprintf(o3.cost_centre, sizeof(o3.cost_centre), "CC-9");
		h[0] = ev(-1, RP_ORDER_RESERVED, 1700000000);
		is_int(rp_store_order_insert(st, &o3, h, 1), 0, "insert reserved");
		ok(o3.id == rid2 && strcmp(o3.number, num2) == 0,
		    "insert used the reserved number");
		is_int(rp_store_order_get(st, num2, &o2), 0, "get reserved");
		is_str(o2.lang, "en", "lang kept");
		is_str(o2.employee_no, "E-1234", "employee number kept");
		is_str(o2.cost_centre, "CC-9", "cost centre kept");
		is_int(rp_store_order_reserve(st, &rid, num), 0, "reserve after");
		ok(rid == rid2 + 1, "no reuse of a reserved or used id");
		o3 = base_order(p.id, c.id);
		snprintf(o3.lang, sizeof(o3.lang), "xx");
		is_int(rp_store_order_insert(st, &o3, h, 1), RP_E_INVAL, "bad lang");
	}

	/* numbers stored before the key existed (the old unkeyed scramble) */
	{
		char old[RP_ORDER_NUMBER_LEN + 1], clash[RP_ORDER_NUMBER_LEN + 1];
		char num[RP_ORDER_NUMBER_LEN + 1], q[200];
		int64_t r1 = 0, r2 = 0;

		old_number((uint64_t)o.id, old);
		snprintf(q, sizeof(q), "UPDATE orders SET number = '%s' WHERE "
		    "id = %lld", old, (long long)o.id);
		ok(test_db_exec(dir, q) == 0,
		    "an order keeps a number from before the key");
		ok(rp_store_order_get(st, old, &o2) == 0 && o2.id == o.id,
		    "it is found by that number");
		/* a new id whose keyed number an old order holds is skipped */
		is_int(rp_store_order_reserve(st, &r1, num), 0, "reserve");
		ok(rp_store_order_number(st, r1 + 1, clash) == 0, "next number");
		snprintf(q, sizeof(q), "UPDATE orders SET number = '%s' WHERE "
		    "id = %lld", clash, (long long)o.id);
		ok(test_db_exec(dir, q) == 0,
		    "an old order holds the next id's new number");
		is_int(rp_store_order_reserve(st, &r2, num), 0, "reserve again");
		ok(r2 == r1 + 2 && strcmp(num, clash) != 0,
		    "that id is skipped: no number handed out twice");
		ok(rp_store_order_get(st, clash, &o2) == 0 && o2.id == o.id,
		    "and the number still finds the old order");
		snprintf(q, sizeof(q), "UPDATE orders SET number = '%s' WHERE "
		    "id = %lld", o.number, (long long)o.id);
		ok(test_db_exec(dir, q) == 0, "restored");
	}

	/* the payment outbox */
	{
		struct rp_payment pay, pp2, *due = NULL;
		size_t nd = 0;

		memset(&pay, 0, sizeof(pay));
		pay.order_id = o.id;
		pay.op = RP_PAY_AUTHORIZE;
		pay.amount_yen = 13024;
		snprintf(pay.token, sizeof(pay.token), "tok_abc");
		is_int(rp_store_payment_new(st, &pay), 0, "payment recorded");
		ok(pay.id > 0 && pay.attempt == 1, "first attempt");
		is_str(pay.idem_key, "order:1:authorize:1", "deterministic key");
		memset(&pp2, 0, sizeof(pp2));
		pp2.order_id = o.id;
		pp2.op = RP_PAY_AUTHORIZE;
		is_int(rp_store_payment_new(st, &pp2), 0, "second attempt");
		is_int(pp2.attempt, 2, "attempt 2");
		is_int(rp_store_payment_due(st, 10, 10, &due, &nd), 0, "due");
		ok(nd == 2 && due[0].id == pay.id, "both due, oldest first");
		free(due);
		pay.state = RP_PAY_DONE;
		snprintf(pay.psp_id, sizeof(pay.psp_id), "pay_1");
		snprintf(pay.brand, sizeof(pay.brand), "visa");
		snprintf(pay.last4, sizeof(pay.last4), "4242");
		is_int(rp_store_payment_update(st, &pay), 0, "update");
		is_int(rp_store_payment_by_psp(st, "pay_1", RP_PAY_AUTHORIZE, &pp2),
		    0, "by agent id");
		ok(pp2.id == pay.id && pp2.state == RP_PAY_DONE, "state kept");
		is_int(rp_store_payment_last(st, o.id, RP_PAY_AUTHORIZE, &pp2), 0,
		    "last attempt");
		is_int(pp2.attempt, 2, "the latest");
		snprintf(pay.decline_code, sizeof(pay.decline_code),
		    "4242424242424242");
		is_int(rp_store_payment_update(st, &pay), RP_E_DENIED,
		    "a card number is refused");
		is_int(rp_store_webhook_seen(st, "evt_1", "payment.captured", 5),
		    0, "event first time");
		is_int(rp_store_webhook_seen(st, "evt_1", "payment.captured", 6),
		    RP_E_EXISTS, "event again");
		is_int(rp_store_order_paid(st, o.id, "tok_abc", "visa", "4242",
		    "pay_1"), 0, "order paid references");
		is_int(rp_store_order_paid(st, o.id, "4111111111111111", "visa",
		    "1111", "pay_1"), RP_E_DENIED, "never a card number");
	}

	/* refused inserts */
	o2 = base_order(p.id, c.id);
	snprintf(o2.pay_token, sizeof(o2.pay_token), "4111111111111111");
	is_int(rp_store_order_insert(st, &o2, h, 1), RP_E_DENIED, "PAN refused");
	o2 = base_order(p.id, c.id);
	o2.channel = RP_CHANNEL_CORPORATE;
	is_int(rp_store_order_insert(st, &o2, h, 1), RP_E_INVAL, "corporate needs tenant");
	o2 = base_order(p.id, 0);
	is_int(rp_store_order_insert(st, &o2, h, 1), RP_E_INVAL, "counter pickup needs counter");
	o2 = base_order(p.id, c.id);
	snprintf(o2.return_date, sizeof(o2.return_date), "2024-03-09");
	is_int(rp_store_order_insert(st, &o2, h, 1), RP_E_INVAL, "return before departure");
	o2 = base_order(p.id, c.id);
	o2.total_yen = 1;
	is_int(rp_store_order_insert(st, &o2, h, 1), RP_E_INVAL, "total mismatch");
	o2 = base_order(9999, c.id);
	is_int(rp_store_order_insert(st, &o2, h, 1), RP_E_NOTFOUND, "unknown plan");
	o2 = base_order(p.id, c.id);
	is_int(rp_store_order_insert(st, &o2, h, 0), RP_E_INVAL, "history required");
	o2.status = RP_ORDER_PICKED_UP;
	h[1] = ev(RP_ORDER_RESERVED, RP_ORDER_PICKED_UP, 1700000100);
	is_int(rp_store_order_insert(st, &o2, h, 2), RP_E_STATE, "history skipping a state");
	o2 = base_order(p.id, c.id);
	o2.status = RP_ORDER_SETTLED;
	h[1] = ev(RP_ORDER_RESERVED, RP_ORDER_CONFIRMED, 1700000100);
	h[2] = ev(RP_ORDER_CONFIRMED, RP_ORDER_PICKED_UP, 1700000200);
	h[3] = ev(RP_ORDER_PICKED_UP, RP_ORDER_RETURNED, 1700000300);
	is_int(rp_store_order_insert(st, &o2, h, 4), RP_E_STATE, "history must end at status");
	o2.status = RP_ORDER_RETURNED;
	is_int(rp_store_order_insert(st, &o2, h, 4), 0, "order with full history");
	is_int(rp_store_order_events(st, o2.id, &el, &n), 0, "events");
	ok(n == 4 && el[0].from == -1 && el[3].to == RP_ORDER_RETURNED &&
	    el[3].at == 1700000300, "history stored in order");
	free(el);

	/* transitions */
	is_int(rp_store_order_transition(st, o.id, RP_ORDER_RETURNED, "counter:NRT1",
	    NULL, 0), RP_E_STATE, "reserved → returned refused");
	is_int(rp_store_order_transition(st, o.id, RP_ORDER_CONFIRMED, "web",
	    "paid", 0), 0, "reserved → confirmed");
	is_int(rp_store_order_transition(st, o.id, RP_ORDER_PICKED_UP, "counter:NRT1",
	    NULL, 0), 0, "confirmed → picked_up");
	is_int(rp_store_order_transition(st, o.id, RP_ORDER_CANCELLED, "web",
	    NULL, 0), RP_E_STATE, "picked_up → cancelled refused");
	is_int(rp_store_order_get_id(st, o.id, &o2), 0, "reload");
	is_int(o2.status, RP_ORDER_PICKED_UP, "status unchanged after refusal");
	is_int(rp_store_order_events(st, o.id, &el, &n), 0, "events");
	is_int(n, 3, "three events, none for the refusals");
	ok(n == 3 && el[1].from == RP_ORDER_RESERVED && el[1].to ==
	    RP_ORDER_CONFIRMED && strcmp(el[1].note, "paid") == 0, "event fields");
	free(el);
	is_int(rp_store_order_transition(st, o.id, RP_ORDER_RETURNED, "counter:NRT1",
	    NULL, 0), 0, "picked_up → returned");
	is_int(rp_store_order_transition(st, o.id, RP_ORDER_SETTLED, "counter:NRT1",
	    NULL, 0), 0, "returned → settled");
	is_int(rp_store_order_transition(st, o.id, RP_ORDER_CANCELLED, "web",
	    NULL, 0), RP_E_STATE, "settled is final");
	is_int(rp_store_order_transition(st, 999999, RP_ORDER_CONFIRMED, "web",
	    NULL, 0), RP_E_NOTFOUND, "unknown order");

	/* corporate orders, listing, counts */
	for (i = 0; i < 5; i++) {
		o2 = base_order(p.id, c.id);
		o2.channel = RP_CHANNEL_CORPORATE;
		o2.tenant_id = t.id;
		snprintf(o2.order_date, sizeof(o2.order_date), "2024-04-0%d", i + 1);
		snprintf(o2.depart_date, sizeof(o2.depart_date), "2024-05-0%d", i + 1);
		snprintf(o2.return_date, sizeof(o2.return_date), "2024-05-0%d", i + 5);
		h[0] = ev(-1, RP_ORDER_RESERVED, 0);
		if (rp_store_order_insert(st, &o2, h, 1) != 0)
			break;
	}
	is_int(i, 5, "five corporate orders");
	is_int(rp_store_order_list_tenant(st, t.id, 0, 3, &orl, &n), 0, "list tenant");
	ok(n == 3 && orl[0].id > orl[1].id && orl[0].tenant_id == t.id, "newest first");
	i = n == 3 ? (int)orl[2].id : 0;
	free(orl);
	is_int(rp_store_order_list_tenant(st, t.id, i, 10, &orl, &n), 0, "next page");
	is_int(n, 2, "two older");
	free(orl);

	rp_order_filter_init(&f);
	is_int(rp_store_order_count(st, &f, &cnt), 0, "count all");
	is_int((long long)cnt, 8, "8 orders (one placed on a reserved number)");
	f.channel = RP_CHANNEL_CORPORATE;
	is_int(rp_store_order_count(st, &f, &cnt), 0, "count corporate");
	is_int((long long)cnt, 5, "5 corporate");
	snprintf(f.since, sizeof(f.since), "2024-04-02");
	snprintf(f.until, sizeof(f.until), "2024-04-04");
	is_int(rp_store_order_count(st, &f, &cnt), 0, "count by order date");
	is_int((long long)cnt, 2, "since inclusive, until exclusive");
	f.by = RP_BY_DEPART_DATE;
	is_int(rp_store_order_count(st, &f, &cnt), 0, "count by departure");
	is_int((long long)cnt, 0, "no departures in April");
	rp_order_filter_init(&f);
	f.tenant_id = RP_TENANT_NONE;
	is_int(rp_store_order_count(st, &f, &cnt), 0, "count public");
	is_int((long long)cnt, 3, "3 without tenant");
	rp_order_filter_init(&f);
	f.status = RP_ORDER_SETTLED;
	is_int(rp_store_order_count(st, &f, &cnt), 0, "count settled");
	is_int((long long)cnt, 1, "1 settled");
	snprintf(f.since, sizeof(f.since), "2024-02-30");
	is_int(rp_store_order_count(st, &f, &cnt), RP_E_INVAL, "bad date in filter");

	/* bulk mode: rollback discards, commit keeps, ids continue */
	is_int(rp_store_bulk_begin(st), 0, "bulk begin");
	is_int(rp_store_bulk_begin(st), RP_E_STATE, "bulk not nested");
	o2 = base_order(p.id, c.id);
	h[0] = ev(-1, RP_ORDER_RESERVED, 0);
	is_int(rp_store_order_insert(st, &o2, h, 1), 0, "bulk insert");
	is_int(rp_store_bulk_end(st, false), 0, "bulk rollback");
	rp_order_filter_init(&f);
	is_int(rp_store_order_count(st, &f, &cnt), 0, "count");
	is_int((long long)cnt, 8, "rollback discarded");
	is_int(rp_store_bulk_begin(st), 0, "bulk begin");
	for (i = 0; i < 3; i++)
		if (rp_store_order_insert(st, &o2, h, 1) != 0)
			break;
	is_int(rp_store_bulk_end(st, true), 0, "bulk commit");
	is_int(rp_store_order_count(st, &f, &cnt), 0, "count");
	is_int((long long)cnt, 11, "commit kept 3");
	rp_store_free(st);
	rp_store_free(NULL);
	tmpdir_remove(dir);
	return tap_done();
}
