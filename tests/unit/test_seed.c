/* SPDX-License-Identifier: ISC */
/*
 * test_seed.c — synthetic data: a seeded store (20,000 orders, fixed seed
 * and dates) gives counts by date range, channel and status that add up
 * and match independent SQL; distributions are plausible; the same seed
 * gives the same data; generated persons are in the vault (readable
 * through it) and no seeded name, e-mail, phone or address appears in
 * plaintext in core.db, vault.db or the access-log files; the access log
 * holds one entry per batch of persons; seeding while the access log is
 * locked (serve running) fails; bad `rentport seed` arguments exit 2.
 */
#include "util/common.h"
#include "alog/store.h"
#include "auth/auth.h"
#include "seed/seed.h"
#include "store/store.h"
#include "vault/vault.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tap.h"
#include "test_store_util.h"

#define NORDERS	20000
#define SINCE	"2023-07-01"
#define UNTIL	"2024-06-30"

/* ?N → $N: one query text for both engines (test_store_util.h). */
static const char *
dollars(const char *q, char *buf, size_t cap)
{
	size_t j = 0;

	for (size_t i = 0; q[i] && j + 1 < cap; i++)
		buf[j++] = q[i] == '?' ? '$' : q[i];
	buf[j] = '\0';
	return buf;
}

/* An integer query on dir's store (SQLite's text, or PostgreSQL's). */
static int64_t
sql_int2(const char *dir, const char *q_sqlite, const char *q_pg,
    const char *a1, const char *a2)
{
	char buf[1024];
	int64_t v = test_db_int(dir, dollars(test_db_is_pg(dir) ? q_pg :
	    q_sqlite, buf, sizeof(buf)), a1, a2);

	if (v < 0)
		diag("query failed: %s", buf);
	return v;
}

static int64_t
sql_int(const char *dir, const char *q, const char *a1, const char *a2)
{
	return sql_int2(dir, q, q, a1, a2);
}

/* A digest of every order row and event, to compare two seeded stores. */
static char *
sql_digest(const char *dir)
{
	return test_db_text(dir, test_db_is_pg(dir) ?
	    "SELECT string_agg(x, '|' ORDER BY id) FROM (SELECT o.id, "
	    "number || ',' || channel || ',' || status || ',' || order_date || "
	    "',' || depart_date || ',' || total_yen || ',' || person_id || ',' "
	    "|| pay_token || ',' || (SELECT string_agg(to_status || at, ',' "
	    "ORDER BY e.id) FROM order_events e WHERE e.order_id = o.id) AS x "
	    "FROM orders o) t" :
	    "SELECT group_concat(x, '|') FROM (SELECT number || ',' "
	    "|| channel || ',' || status || ',' || order_date || ',' || "
	    "depart_date || ',' || total_yen || ',' || person_id || ',' || "
	    "pay_token || ',' || (SELECT group_concat(to_status || at) FROM "
	    "order_events e WHERE e.order_id = o.id) AS x FROM orders o "
	    "ORDER BY id)", NULL, NULL);
}

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(p);
}

/* The data directory has subdirectories now (vault/, alog/). */
static void
rm_rf(const char *dir)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Opens the access-log store and the vault logging to it. */
static int
open_vault(const char *dir, struct rp_alog_store **as, struct rp_vault **v,
    struct rp_vault_logger *lg)
{
	struct rp_conf conf;
	int r;

	*v = NULL;
	rp_conf_defaults(&conf);
	if ((r = rp_alog_store_open(dir, &conf, as)) != 0)
		return r;
	rp_vault_logger_store(lg, *as);
	return rp_vault_open(dir, lg, v);
}

static int
seed_into(const char *dir, uint64_t seed, uint64_t n, bool demo,
    struct rp_seed_result *res)
{
	struct rp_seed_opts o;
	struct rp_store *st = NULL;
	struct rp_alog_store *as = NULL;
	struct rp_vault *v = NULL;
	struct rp_vault_logger lg;
	int r;

	memset(&o, 0, sizeof(o));
	o.orders = n;
	o.seed = seed;
	o.demo = demo;
	o.data_dir = dir;
	snprintf(o.since, sizeof(o.since), SINCE);
	snprintf(o.until, sizeof(o.until), UNTIL);
	if ((r = rp_store_open(dir, &st)) == 0 &&
	    (r = open_vault(dir, &as, &v, &lg)) == 0)
		r = rp_seed_run(st, v, &o, res);
	rp_vault_free(v);
	rp_alog_store_close(as);
	rp_store_free(st);
	return r;
}

/*
 * Copies the order-number key of from into to (as an operator restoring a
 * backup would): the same seed gives the same numbers only under the same
 * key.
 */
static int
key_copy(const char *from, const char *to)
{
	char src[700], dst[700], buf[128];
	size_t n;
	FILE *in, *out;

	snprintf(src, sizeof(src), "%s/keys/order-number.key", from);
	snprintf(dst, sizeof(dst), "%s/keys", to);
	if (mkdir(dst, 0750) != 0 && errno != EEXIST)
		return -1;
	snprintf(dst, sizeof(dst), "%s/keys/order-number.key", to);
	if ((in = fopen(src, "rb")) == NULL)
		return -1;
	if ((out = fopen(dst, "wb")) == NULL) {
		fclose(in);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), in);
	fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
	return chmod(dst, 0640);
}

/* Runs rp_seed_cmd with stdout silenced; returns its exit status. */
static int
run_cmd(const char *dir, int argc, char **argv)
{
	struct rp_conf conf;
	int saved, null, rc;

	rp_conf_defaults(&conf);
	snprintf(conf.data_dir, sizeof(conf.data_dir), "%s", dir);
	fflush(stdout);
	saved = dup(1);
	null = open("/dev/null", O_WRONLY);
	dup2(null, 1);
	rc = rp_seed_cmd(&conf, argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(null);
	return rc;
}

static void
test_store_counts(const char *dir)
{
	static const char *const months[][2] = {
		{ "2023-07-01", "2023-08-01" }, { "2023-08-01", "2023-09-01" },
		{ "2023-12-01", "2024-01-01" }, { "2024-02-01", "2024-03-01" },
		{ "2024-06-01", "2024-07-01" },
	};
	struct rp_store *st = NULL;
	struct rp_order_filter f;
	uint64_t total = 0, sum, c, cancelled = 0, ch[RP_CHANNEL_COUNT];
	size_t i;
	int s, bad = 0;

	if (rp_store_open(dir, &st) != 0) {
		ok(0, "open seeded store");
		goto out;
	}
	rp_order_filter_init(&f);
	is_int(rp_store_order_count(st, &f, &total), 0, "count all");
	is_int((long long)total, NORDERS, "20000 orders");
	is_int(sql_int(dir, "SELECT count(*) FROM orders", NULL, NULL), NORDERS,
	    "independent count");

	/* by channel */
	sum = 0;
	for (i = 0; i < RP_CHANNEL_COUNT; i++) {
		rp_order_filter_init(&f);
		f.channel = (int)i;
		if (rp_store_order_count(st, &f, &ch[i]) != 0 ||
		    (int64_t)ch[i] != sql_int(dir, "SELECT count(*) FROM orders "
		    "WHERE channel = ?1", rp_channel_name((int)i), NULL))
			bad++;
		sum += ch[i];
		ok(ch[i] > NORDERS / 20, rp_channel_name((int)i));
	}
	is_int(bad, 0, "channel counts match SQL");
	is_int((long long)sum, NORDERS, "channels add up");
	ok(ch[RP_CHANNEL_PUBLIC] > ch[RP_CHANNEL_CORPORATE] &&
	    ch[RP_CHANNEL_CORPORATE] > ch[RP_CHANNEL_COUNTER],
	    "public > corporate > counter");

	/* by status */
	sum = 0;
	bad = 0;
	for (s = 0; s < RP_ORDER_STATUS_COUNT; s++) {
		rp_order_filter_init(&f);
		f.status = s;
		if (rp_store_order_count(st, &f, &c) != 0 ||
		    (int64_t)c != sql_int(dir, "SELECT count(*) FROM orders WHERE "
		    "status = ?1", rp_order_status_name(s), NULL))
			bad++;
		if (s == RP_ORDER_CANCELLED)
			cancelled = c;
		if (s == RP_ORDER_SETTLED)
			ok(c > NORDERS / 2, "most orders are settled");
		if (s == RP_ORDER_CONFIRMED || s == RP_ORDER_PICKED_UP ||
		    s == RP_ORDER_RESERVED)
			ok(c > 0, rp_order_status_name(s));
		sum += c;
	}
	is_int(bad, 0, "status counts match SQL");
	is_int((long long)sum, NORDERS, "statuses add up");
	diag("cancelled %" PRIu64 " of %d", cancelled, NORDERS);
	ok(cancelled > NORDERS * 2 / 100 && cancelled < NORDERS * 12 / 100,
	    "cancellations are 2..12 %");

	/* by date range, both date fields, plus combined filters */
	bad = 0;
	sum = 0;
	for (i = 0; i < RP_ARRAY_LEN(months); i++) {
		rp_order_filter_init(&f);
		snprintf(f.since, sizeof(f.since), "%s", months[i][0]);
		snprintf(f.until, sizeof(f.until), "%s", months[i][1]);
		if (rp_store_order_count(st, &f, &c) != 0 || c == 0 ||
		    (int64_t)c != sql_int(dir, "SELECT count(*) FROM orders WHERE "
		    "order_date >= ?1 AND order_date < ?2", months[i][0],
		    months[i][1]))
			bad++;
		f.by = RP_BY_DEPART_DATE;
		if (rp_store_order_count(st, &f, &c) != 0 ||
		    (int64_t)c != sql_int(dir, "SELECT count(*) FROM orders WHERE "
		    "depart_date >= ?1 AND depart_date < ?2", months[i][0],
		    months[i][1]))
			bad++;
	}
	is_int(bad, 0, "monthly counts by order and departure date match SQL");
	rp_order_filter_init(&f);
	snprintf(f.until, sizeof(f.until), "2024-01-01");
	is_int(rp_store_order_count(st, &f, &c), 0, "count before 2024");
	sum = c;
	f.until[0] = '\0';
	snprintf(f.since, sizeof(f.since), "2024-01-01");
	is_int(rp_store_order_count(st, &f, &c), 0, "count from 2024");
	is_int((long long)(sum + c), NORDERS, "date ranges add up");
	snprintf(f.since, sizeof(f.since), "2024-07-01");
	is_int(rp_store_order_count(st, &f, &c), 0, "count after until");
	is_int((long long)c, 0, "no order after --until");
	is_int(sql_int(dir, "SELECT count(*) FROM orders WHERE order_date < ?1",
	    SINCE, NULL), 0, "no order before --since");
	ok(sql_int(dir, "SELECT count(*) FROM orders WHERE substr(order_date, 1, 7)"
	    " = '2023-08'", NULL, NULL) > sql_int(dir, "SELECT count(*) FROM "
	    "orders WHERE substr(order_date, 1, 7) = '2024-06'", NULL, NULL),
	    "August busier than June");
	rp_order_filter_init(&f);
	f.channel = RP_CHANNEL_CORPORATE;
	f.status = RP_ORDER_SETTLED;
	snprintf(f.since, sizeof(f.since), "2023-10-01");
	snprintf(f.until, sizeof(f.until), "2024-04-01");
	is_int(rp_store_order_count(st, &f, &c), 0, "combined filter");
	is_int((long long)c, sql_int(dir, "SELECT count(*) FROM orders WHERE "
	    "channel = 'corporate' AND status = 'settled' AND order_date >= "
	    "'2023-10-01' AND order_date < '2024-04-01'", NULL, NULL),
	    "combined filter matches SQL");

	/* consistency of what was generated */
	is_int(sql_int(dir, "SELECT count(*) FROM orders o WHERE status != (SELECT "
	    "to_status FROM order_events e WHERE e.order_id = o.id ORDER BY id "
	    "DESC LIMIT 1)", NULL, NULL), 0, "status = last event");
	is_int(sql_int2(dir, "SELECT count(*) FROM orders o JOIN counters c ON "
	    "c.id = o.pickup_counter_id WHERE o.channel != 'counter' AND "
	    "julianday(o.depart_date) - julianday(o.order_date) < c.deadline_days",
	    "SELECT count(*) FROM orders o JOIN counters c ON c.id = "
	    "o.pickup_counter_id WHERE o.channel != 'counter' AND "
	    "o.depart_date::date - o.order_date::date < c.deadline_days",
	    NULL, NULL), 0, "web orders respect counter deadlines");
	is_int(sql_int(dir, "SELECT count(*) FROM orders WHERE channel = 'corporate'"
	    " AND tenant_id IS NULL", NULL, NULL), 0, "corporate orders have a tenant");
	is_int(sql_int2(dir, "SELECT count(*) FROM orders WHERE pay_token GLOB "
	    "'*[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]*'",
	    "SELECT count(*) FROM orders WHERE pay_token ~ '[0-9]{12}'",
	    NULL, NULL), 0, "no digit run that could be a card number");
	is_int(sql_int(dir, "SELECT count(*) FROM orders o JOIN tenants t ON "
	    "t.id = o.tenant_id WHERE t.billing = 'invoice' AND o.pay_token != ''",
	    NULL, NULL), 0, "invoice-billed clients carry no card reference");
	ok(sql_int(dir, "SELECT count(DISTINCT plan_id) FROM orders", NULL, NULL)
	    > 60, "many plans used");
	ok(sql_int2(dir, "SELECT count(DISTINCT substr(p.code, 1, instr(p.code, "
	    "'-'))) FROM orders o JOIN plans p ON p.id = o.plan_id",
	    "SELECT count(DISTINCT substr(p.code, 1, strpos(p.code, '-'))) FROM "
	    "orders o JOIN plans p ON p.id = o.plan_id", NULL, NULL) >= 30,
	    "30+ destinations ordered");
	is_int(sql_int(dir, "SELECT count(*) FROM counters", NULL, NULL), 6,
	    "6 airport counters");
	is_int(sql_int(dir, "SELECT count(*) FROM devices", NULL, NULL), 2500,
	    "2,500 devices: one per 8 orders");
	/* a stock history: open orders hold units, every unit out is bound */
	ok(sql_int(dir, "SELECT count(*) FROM stock_reservations r JOIN orders "
	    "o ON o.id = r.order_id WHERE o.status IN ('confirmed', "
	    "'picked_up')", NULL, NULL) > 100, "open orders hold their units");
	is_int(sql_int(dir, "SELECT count(*) FROM stock_reservations r JOIN "
	    "orders o ON o.id = r.order_id WHERE o.status IN ('cancelled', "
	    "'returned', 'settled')", NULL, NULL), 0,
	    "closed orders hold nothing");
	is_int(sql_int(dir, "SELECT count(*) FROM devices d WHERE status = "
	    "'out' AND NOT EXISTS (SELECT 1 FROM order_units u WHERE "
	    "u.device_id = d.id AND u.back_at IS NULL)", NULL, NULL), 0,
	    "no unit is out without its order");
	ok(sql_int(dir, "SELECT count(DISTINCT destination) FROM plans", NULL,
	    NULL) >= 30, "plans for 30+ destinations");
	ok(sql_int2(dir, "SELECT CAST(avg(julianday(return_date) - "
	    "julianday(depart_date) + 1) AS INTEGER) FROM orders",
	    "SELECT floor(avg(return_date::date - depart_date::date + 1))::bigint "
	    "FROM orders", NULL, NULL) >= 3, "average rental >= 3 days");
 out:
	rp_store_free(st);
}

/* True if needle occurs in any regular file under dir (recursively). */
static const char *scan_needle;
static size_t scan_len;
static int scan_hits;

static int
scan_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	size_t len = 0;
	char *d;

	(void)f;
	if (flag != FTW_F || !S_ISREG(sb->st_mode))
		return 0;
	if ((d = file_slurp(p, &len)) != NULL &&
	    memmem(d, len, scan_needle, scan_len) != NULL) {
		diag("found in %s", p);
		scan_hits++;
	}
	free(d);
	return 0;
}

static int
scan_dir(const char *dir, const char *needle)
{
	scan_needle = needle;
	scan_len = strlen(needle);
	scan_hits = 0;
	nftw(dir, scan_cb, 16, FTW_PHYS);
	return scan_hits;
}

static void
test_personal_data_split(const char *dir, uint64_t npersons)
{
	struct rp_alog_store *as = NULL;
	struct rp_vault *v = NULL;
	struct rp_vault_logger lg;
	struct rp_vault_caller c;
	struct rp_vault_record rec[5];
	uint64_t ids[] = { 1, 2, 777, 5000, 12345 }, count = 0, logsize;
	size_t i, j;
	int hits = 0, checked = 0, corp = 0;

	is_int(open_vault(dir, &as, &v, &lg), 0, "open the vault");
	if (v == NULL)
		goto out;
	is_int(rp_vault_count(v, &count), 0, "count persons");
	is_int((long long)count, (long long)npersons, "every person stored");
	ok(count > NORDERS / 2 && count <= NORDERS, "about one person per order");
	logsize = rp_alog_store_size(as);
	ok(logsize >= (npersons + 3999) / 4000 && logsize < NORDERS / 1000,
	    "one access-log entry per batch of persons");
	is_int(rp_vault_caller_init(&c, "incident", "test", "test:seed",
	    "incident"), 0, "incident caller");
	is_int(rp_vault_get(v, &c, ids, RP_ARRAY_LEN(ids), 0xff, rec), 0,
	    "read five seeded persons through the vault");
	is_int(rp_alog_store_size(as), (long long)logsize + 1, "the read is logged");
	for (i = 0; i < RP_ARRAY_LEN(ids); i++) {
		const int fields[] = { RP_VF_NAME, RP_VF_KANA, RP_VF_EMAIL,
			RP_VF_PHONE, RP_VF_ADDRESS };

		if (rec[i].status != 0)
			continue;
		if (rec[i].f[RP_VF_COMPANY].n > 0)
			corp++;
		for (j = 0; j < RP_ARRAY_LEN(fields); j++) {
			char *val = rp_str_dup(rec[i].f[fields[j]]);

			checked++;
			if (val != NULL)
				hits += scan_dir(dir, val);
			free(val);
		}
		rp_vault_record_release(&rec[i]);
	}
	is_int(checked, 25, "25 seeded values checked");
	is_int(hits, 0, "no seeded name, kana, e-mail, phone or address in "
	    "core.db, vault.db, the access log or any other file");
	is_int(scan_dir(dir, "@example"), 0, "no e-mail domain anywhere at rest");
	is_int(scan_dir(dir, "丁目"), 0, "no address text anywhere at rest");
	diag("%d of the five are corporate", corp);
 out:
	rp_vault_free(v);
	rp_alog_store_close(as);
}

int
main(void)
{
	struct rp_seed_result res, res2;
	char dir[512], dir2[512], dir3[512];
	char *d1 = NULL, *d2 = NULL;
	char path[600];
	int rc;

	ok(tmpdir_make(dir, sizeof(dir)) && tmpdir_make(dir2, sizeof(dir2)) &&
	    tmpdir_make(dir3, sizeof(dir3)), "scratch dirs");
	is_int(seed_into(dir, 42, NORDERS, false, &res), 0, "seed 20000 orders");
	is_int((long long)res.orders, NORDERS, "orders reported");
	ok(res.persons > 0 && res.first_order_id == 1, "persons and first id");
	diag("seeded %d orders in %.2f s", NORDERS, res.seconds);
	test_store_counts(dir);
	test_personal_data_split(dir, res.persons);

	/* determinism: same seed (and key) into a fresh store → identical rows */
	is_int(key_copy(dir, dir2), 0, "the same order-number key");
	is_int(seed_into(dir2, 42, NORDERS, false, &res2), 0, "seed again");
	is_int((long long)res2.persons, (long long)res.persons, "same persons");
	d1 = sql_digest(dir);
	d2 = sql_digest(dir2);
	ok(d1 != NULL && d2 != NULL && strlen(d1) > NORDERS * 40, "digests");
	ok(d1 && d2 && strcmp(d1, d2) == 0, "same seed, same orders, numbers, events");
	free(d2);
	d2 = NULL;
	/* a different seed gives different data */
	rm_rf(dir2);
	ok(tmpdir_make(dir2, sizeof(dir2)) != NULL, "scratch dir again");
	is_int(seed_into(dir2, 43, NORDERS, false, &res2), 0, "seed 43");
	d2 = sql_digest(dir2);
	ok(d1 && d2 && strcmp(d1, d2) != 0, "another seed, other data");
	free(d1);
	free(d2);

	/* the command: arguments */
	{
		char *a1[] = { "--orders", "0" };
		char *a2[] = { "--orders", "abc" };
		char *a3[] = { "--orders=50000001" };
		char *a4[] = { "--demo", "--since", "2024-02-30" };
		char *a5[] = { "--demo", "--seed", "-1" };
		char *a6[] = { "--demo", "--frobnicate" };
		char *a7[] = { "--orders" };
		char *a8[] = { "--orders", "10", "--since", "2024-05-01",
			"--until", "2024-04-01" };
		char *ok1[] = { "--orders", "300", "--since=2024-01-01",
			"--until", "2024-03-31", "--seed", "7" };
		char *ok2[] = { "--demo", "--if-empty" };
		char *help[] = { "--help" };
		struct rp_store *st = NULL;
		struct rp_order_filter f;
		uint64_t n = 0;

		is_int(run_cmd(dir3, 2, a1), 2, "--orders 0 → exit 2");
		is_int(run_cmd(dir3, 2, a2), 2, "--orders abc → exit 2");
		is_int(run_cmd(dir3, 1, a3), 2, "--orders too many → exit 2");
		is_int(run_cmd(dir3, 3, a4), 2, "bad date → exit 2");
		is_int(run_cmd(dir3, 3, a5), 2, "negative seed → exit 2");
		is_int(run_cmd(dir3, 2, a6), 2, "unknown flag → exit 2");
		is_int(run_cmd(dir3, 1, a7), 2, "missing value → exit 2");
		is_int(run_cmd(dir3, 6, a8), 2, "since after until → exit 2");
		is_int(run_cmd(dir3, 0, NULL), 2, "nothing to do → exit 2");
		is_int(run_cmd(dir3, 1, help), 0, "--help → exit 0");
		{
			struct rp_alog_store *held = NULL;
			struct rp_conf cf;

			rp_conf_defaults(&cf);
			is_int(rp_alog_store_open(dir3, &cf, &held), 0,
			    "hold the access log (as a running serve does)");
			is_int(run_cmd(dir3, 7, ok1), 1,
			    "seed while the log is locked → fails");
			rp_alog_store_close(held);
		}
		is_int(run_cmd(dir3, 7, ok1), 0, "seed --orders 300");
		is_int(run_cmd(dir3, 2, ok2), 0, "--demo --if-empty on a full store");
		if (rp_store_open(dir3, &st) == 0) {
			rp_order_filter_init(&f);
			if (rp_store_order_count(st, &f, &n) != 0)
				n = 0;
		}
		is_int((long long)n, 300, "--if-empty added nothing");
		rp_store_free(st);
	}
	rm_rf(dir);
	rm_rf(dir2);
	rm_rf(dir3);

	/* demo: staff logins are created and hashed */
	ok(tmpdir_make(dir, sizeof(dir)) != NULL, "scratch dir for demo");
	{
		char *demo[] = { "--demo", "--until", "2024-06-30" };
		struct rp_auth_db *adb = NULL;
		struct rp_staff_account s;
		size_t len = 0;
		char *logins;

		is_int(run_cmd(dir, 3, demo), 0, "seed --demo");
		if (rp_auth_db_open(dir, &adb) == 0) {
			is_int(rp_auth_staff_get(adb, "backoffice", &s), 0,
			    "backoffice login (in auth.db)");
			ok(s.role == RP_STAFF_BACKOFFICE && !s.enrolled,
			    "backoffice role, not yet enrolled");
			is_int(rp_auth_staff_get(adb, "admin-shinonome-shoji", &s), 0,
			    "client admin login");
			ok(s.tenant_id > 0 && s.role == RP_STAFF_CLIENT_ADMIN, "bound to tenant");
			is_int(rp_auth_staff_get(adb, "counter-nrt1", &s), 0,
			    "counter login");
			ok(strcmp(s.counters, "NRT1") == 0, "bound to its counter");
		}
		rp_auth_db_close(adb);
		snprintf(path, sizeof(path), "%s/demo-logins.txt", dir);
		logins = file_slurp(path, &len);
		ok(logins && strstr(logins, "backoffice ") != NULL, "logins file written");
		/* the TOTP secret beside the password: base32, 32 characters */
		{
			const char *l = logins ? strstr(logins, "\nbackoffice ") : NULL;
			char user[64], pw[64], secret[64], role[64];

			ok(l && sscanf(l + 1, "%63s %63s %63s %63s", user, pw,
			    secret, role) == 4 && strlen(secret) == 32 &&
			    strspn(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == 32 &&
			    strcmp(role, "backoffice") == 0,
			    "logins line: user password totp-secret role");
		}
		free(logins);
	}
	rm_rf(dir);
	rc = tap_done();
	return rc;
}
