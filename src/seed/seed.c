/* SPDX-License-Identifier: ISC */
/*
 * seed.c — `rentport seed`: the demo catalogue and synthetic orders.
 *
 * Runs in the parent process, before serving, on the operator's command
 * line (parsed here with the same strictness as any input).  Generation is
 * deterministic: one xoshiro256** stream seeded from --seed through
 * splitmix64 drives every choice, orders are laid out chronologically over
 * [since, until] (until pins "now", so statuses are reproducible), and
 * order ids, hence order numbers, follow.  Persons are generated from the
 * tables in seed_tables.c and stored by a second thread through the vault
 * library (role seed, actor "job:seed", purpose "seed"; consecutive ids, see
 * rp_vault_bulk_begin), one access-log entry per batch naming every record,
 * while this thread writes the core store; nothing personal goes to the
 * core store or logs.  The access log is appended in-process through the
 * alog store library (no processes may be running: its lock says so).
 */
#include "util/common.h"
#include "util/embed.h"
#include "util/log.h"
#include "util/pwhash.h"
#include "util/str.h"
#include "alog/store.h"
#include "auth/auth.h"
#include "seed/seed.h"
#include "seed/seed_tables.h"
#include "store/store.h"
#include "vault/vault.h"

#include <math.h>
#include <pthread.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <sodium.h>

/* ---- PRNG: splitmix64 to seed xoshiro256** ------------------------------ */

struct rng {
	uint64_t s[4];
};

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static void
rng_init(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

/* Uniform in [0, n), n > 0 (Lemire's multiply; bias < 2^-32 for our n). */
static uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [0, 1). */
static double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Picks an index with probability weight[i] / sum. */
static size_t
rng_pick(struct rng *r, const int *weight, size_t n)
{
	uint32_t sum = 0, x;
	size_t i;

	for (i = 0; i < n; i++)
		sum += (uint32_t)weight[i];
	x = rng_below(r, sum);
	for (i = 0; i < n; i++) {
		if (x < (uint32_t)weight[i])
			return i;
		x -= (uint32_t)weight[i];
	}
	return n - 1;
}

/* ---- civil dates (proleptic Gregorian, days since 1970-01-01) ----------- */

static int32_t
days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int32_t z, int *y, int *m, int *d)
{
	int era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

static void
fmt_day(int32_t z, char out[11])
{
	int y, m, d;

	civil_from_days(z, &y, &m, &d);
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u,
	    (unsigned)m % 100u, (unsigned)d % 100u);
}

/* Parses a valid YYYY-MM-DD into days; the caller checked validity. */
static int32_t
parse_day(const char *s)
{
	return days_from_civil((s[0] - '0') * 1000 + (s[1] - '0') * 100 +
	    (s[2] - '0') * 10 + (s[3] - '0'), (s[5] - '0') * 10 + (s[6] - '0'),
	    (s[8] - '0') * 10 + (s[9] - '0'));
}

#define JST_OFFSET	(9 * 3600)

/* Unix time of 00:00 JST on day z. */
static int64_t
jst_start(int32_t z)
{
	return (int64_t)z * 86400 - JST_OFFSET;
}

static int32_t
today_jst(void)
{
	return (int32_t)(((int64_t)time(NULL) + JST_OFFSET) / 86400);
}

/* ---- the catalogue ------------------------------------------------------ */

enum { CLS_NEAR, CLS_ASIA, CLS_FAR, CLS_REGION, CLS_WORLD, CLS_COUNT };

/* Daily prices, tax exclusive: router 500MB, 1GB, unlimited; SIM; phone. */
static const int64_t class_price[CLS_COUNT][5] = {
	[CLS_NEAR] = { 580, 780, 1180, 480, 1580 },
	[CLS_ASIA] = { 680, 880, 1280, 580, 1680 },
	[CLS_FAR] = { 980, 1280, 1680, 780, 2080 },
	[CLS_REGION] = { 1180, 1480, 1880, 980, 2280 },
	[CLS_WORLD] = { 1580, 1980, 2580, 1380, 2780 },
};

static const struct dest {
	const char *code, *name;
	int cls, weight;
	bool sim, phone;
} dests[] = {
	{ "KR", "韓国", CLS_NEAR, 140, true, true },
	{ "TW", "台湾", CLS_NEAR, 100, true, true },
	{ "HK", "香港", CLS_NEAR, 40, true, false },
	{ "CN", "中国", CLS_NEAR, 50, true, true },
	{ "GU", "グアム", CLS_NEAR, 30, true, false },
	{ "TH", "タイ", CLS_ASIA, 60, true, false },
	{ "VN", "ベトナム", CLS_ASIA, 50, true, false },
	{ "SG", "シンガポール", CLS_ASIA, 40, true, false },
	{ "MY", "マレーシア", CLS_ASIA, 20, true, false },
	{ "ID", "インドネシア", CLS_ASIA, 30, true, false },
	{ "PH", "フィリピン", CLS_ASIA, 30, true, false },
	{ "IN", "インド", CLS_ASIA, 15, true, false },
	{ "AE", "アラブ首長国連邦", CLS_ASIA, 10, false, false },
	{ "US", "アメリカ", CLS_FAR, 90, true, true },
	{ "CA", "カナダ", CLS_FAR, 20, true, false },
	{ "MX", "メキシコ", CLS_FAR, 5, false, false },
	{ "BR", "ブラジル", CLS_FAR, 5, false, false },
	{ "GB", "イギリス", CLS_FAR, 30, true, true },
	{ "FR", "フランス", CLS_FAR, 30, true, true },
	{ "DE", "ドイツ", CLS_FAR, 30, true, false },
	{ "IT", "イタリア", CLS_FAR, 30, true, false },
	{ "ES", "スペイン", CLS_FAR, 20, true, false },
	{ "NL", "オランダ", CLS_FAR, 10, false, false },
	{ "CH", "スイス", CLS_FAR, 10, false, false },
	{ "AT", "オーストリア", CLS_FAR, 8, false, false },
	{ "TR", "トルコ", CLS_FAR, 8, false, false },
	{ "EG", "エジプト", CLS_FAR, 4, false, false },
	{ "ZA", "南アフリカ", CLS_FAR, 3, false, false },
	{ "AU", "オーストラリア", CLS_FAR, 30, true, true },
	{ "NZ", "ニュージーランド", CLS_FAR, 10, true, false },
	{ "EU", "ヨーロッパ周遊", CLS_REGION, 50, true, false },
	{ "ASIA", "アジア周遊", CLS_REGION, 20, true, false },
	{ "NAM", "北米周遊 (アメリカ・カナダ)", CLS_REGION, 10, false, false },
	{ "WORLD", "世界周遊", CLS_WORLD, 8, false, false },
};
#define NDEST RP_ARRAY_LEN(dests)

/* Plan variants per destination. */
enum { V_R500, V_R1G, V_RUNL, V_SIM, V_PHONE, V_COUNT };
static const char *const variant_code[V_COUNT] = { "R-500M", "R-1G", "R-UNL",
	"S-1G", "P-1G" };
static const char *const variant_tier[V_COUNT] = { "500MB/day", "1GB/day",
	"unlimited", "1GB/day", "1GB/day" };
static const int variant_device[V_COUNT] = { RP_DEVICE_ROUTER, RP_DEVICE_ROUTER,
	RP_DEVICE_ROUTER, RP_DEVICE_SIM, RP_DEVICE_PHONE };

static const struct tenant_def {
	const char *slug, *name, *domain, *settings;
	int billing, weight, discount_pct;
} tenant_defs[] = {
	{ "shinonome-shoji", "株式会社しののめ商事", "shinonome-shoji.example",
	  "{\"primary\":\"#b0413e\",\"accent\":\"#f4d6cc\",\"logo_text\":"
	  "\"しののめ商事\",\"lang\":\"ja\",\"fictional\":true}",
	  RP_BILLING_INVOICE, 50, 15 },
	{ "seiso-eng", "星霜エンジニアリング株式会社", "seiso-eng.example",
	  "{\"primary\":\"#1f3a68\",\"accent\":\"#cfd8ea\",\"logo_text\":"
	  "\"SEISO ENGINEERING\",\"lang\":\"ja\",\"fictional\":true,"
	  "\"allowed_email_domains\":[\"seiso-eng.example\"]}",
	  RP_BILLING_CARD, 30, 10 },
	{ "mizunagi-pharma", "株式会社みずなぎ製薬", "mizunagi-pharma.example",
	  "{\"primary\":\"#1d6b57\",\"accent\":\"#d3ece4\",\"logo_text\":"
	  "\"みずなぎ製薬\",\"lang\":\"ja\",\"fictional\":true}",
	  RP_BILLING_INVOICE, 20, 20 },
};
#define NTENANT RP_ARRAY_LEN(tenant_defs)

static const struct counter_def {
	const char *code, *airport, *terminal, *name, *opens, *closes;
	int days, weight;
} counter_defs[] = {
	{ "NRT1", "NRT", "T1", "成田空港 第1ターミナル", "07:00", "21:30", 1, 25 },
	{ "NRT2", "NRT", "T2", "成田空港 第2ターミナル", "07:00", "21:30", 1, 20 },
	{ "HND3", "HND", "T3", "羽田空港 第3ターミナル", "00:00", "23:59", 1, 25 },
	{ "KIX1", "KIX", "T1", "関西国際空港 第1ターミナル", "06:30", "22:00", 2, 15 },
	{ "NGO", "NGO", "", "中部国際空港", "07:00", "21:00", 2, 8 },
	{ "CTS", "CTS", "", "新千歳空港 国際線ターミナル", "07:30", "20:30", 3, 7 },
};
#define NCOUNTER RP_ARRAY_LEN(counter_defs)

enum { O_INS_LIGHT, O_INS_FULL, O_BATTERY, O_EXTRA, O_COUNT };
static const struct option_def {
	const char *code, *name;
	int kind;
	int64_t yen;
} option_defs[O_COUNT] = {
	{ "insurance_light", "安心補償ライト", RP_OPTION_INSURANCE, 150 },
	{ "insurance_full", "安心補償フル", RP_OPTION_INSURANCE, 300 },
	{ "battery", "モバイルバッテリー", RP_OPTION_ACCESSORY, 200 },
	{ "extra_device", "追加端末", RP_OPTION_DEVICE, 500 },
};

#define TAX_BP		1000	/* 10 % consumption tax */
#define NDEVICES	500
#define NDEVICES_MAX	400000

/* Ids and prices of the catalogue, as the generator needs them. */
struct catalogue {
	int64_t plan_id[NDEST][V_COUNT];	/* 0: not offered */
	int64_t plan_yen[NDEST][V_COUNT];
	int64_t tenant_id[NTENANT];
	int64_t counter_id[NCOUNTER];
	int64_t option_id[O_COUNT];
	int64_t policy_id;
	/* a demo access code (random, printed once) for the last client */
	char access_code[16];
	int dest_weight[NDEST], tenant_weight[NTENANT], counter_weight[NCOUNTER];
	size_t nplans, ndevices_new;
};

static void
say(const struct rp_seed_opts *o, const char *fmt, ...) RP_PRINTF(2, 3);

static void
say(const struct rp_seed_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (o->out == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(o->out, fmt, ap);
	va_end(ap);
}

/* Shows the demo logins saved by an earlier --demo, for `make run`. */
static void
print_saved_logins(const char *path)
{
	char line[512];
	FILE *f;

	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return;
	printf("demo staff logins (saved in %s):\n", path);
	while (fgets(line, sizeof(line), f) != NULL)
		fputs(line, stdout);
	fclose(f);
}

/*
 * Gives t's site an access code: a random one (digits and letters without
 * look-alikes) into code, its argon2id string into the settings
 * ("access_code_hash"; util/pwhash.h), so the code itself is kept nowhere
 * but the demo logins file.
 */
static int
access_settings(struct rp_tenant *t, char *code, size_t n)
{
	static const char alpha[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	char h[RP_PWHASH_STR_MAX];
	size_t len = strlen(t->settings), i;
	int r;

	if (n < 11 || len < 2 || t->settings[len - 1] != '}')
		return RP_E_INVAL;
	for (i = 0; i < 10; i++)
		code[i] = alpha[randombytes_uniform(sizeof(alpha) - 1)];
	code[10] = '\0';
	if ((r = rp_pwhash_str(h, (struct rp_str){ code, 10 })) != 0)
		return r;
	/* the string is [$A-Za-z0-9+/=,] only: nothing to escape in JSON */
	if ((size_t)snprintf(t->settings + len - 1, sizeof(t->settings) - len + 1,
	    ",\"access_code_hash\":\"%s\"}", h) >= sizeof(t->settings) -
	    len + 1)
		return RP_E_TOOBIG;
	return 0;
}

/* The counter where x in [0, span) falls by the counters' weights. */
static size_t
pick_counter(const struct catalogue *cat, int x, int span)
{
	int total = 0, acc = 0;
	size_t i;

	(void)cat;
	for (i = 0; i < NCOUNTER; i++)
		total += counter_defs[i].weight;
	for (i = 0; i < NCOUNTER; i++) {
		acc += counter_defs[i].weight;
		if ((int64_t)x * total < (int64_t)acc * span)
			return i;
	}
	return NCOUNTER - 1;
}

static int
ensure_catalogue(struct rp_store *st, const struct rp_seed_opts *o,
    struct catalogue *cat)
{
	const struct rp_embed *pe;
	struct rp_tenant t;
	struct rp_plan p;
	char code[sizeof(p.code)];
	struct rp_counter c;
	struct rp_option op;
	struct rp_device d;
	char *json = NULL;
	int32_t ver;
	size_t i, v, ndev;
	int r, r2, w;

	memset(cat, 0, sizeof(*cat));
	for (i = 0; i < NTENANT; i++) {
		const struct tenant_def *td = &tenant_defs[i];

		cat->tenant_weight[i] = td->weight;
		if ((r = rp_store_tenant_get(st, td->slug, &t)) == RP_E_NOTFOUND) {
			memset(&t, 0, sizeof(t));
			snprintf(t.slug, sizeof(t.slug), "%s", td->slug);
			snprintf(t.name, sizeof(t.name), "%s", td->name);
			snprintf(t.settings, sizeof(t.settings), "%s", td->settings);
			if (i == NTENANT - 1 && (r = access_settings(&t,
			    cat->access_code, sizeof(cat->access_code))) != 0)
				return r;
			t.billing = td->billing;
			r = rp_store_tenant_insert(st, &t);
		}
		if (r != 0)
			return r;
		cat->tenant_id[i] = t.id;
	}
	for (i = 0; i < NDEST; i++) {
		cat->dest_weight[i] = dests[i].weight;
		for (v = 0; v < V_COUNT; v++) {
			if ((v == V_SIM && !dests[i].sim) ||
			    (v == V_PHONE && !dests[i].phone))
				continue;
			/* Not p.code: the getter clears p before reading the key. */
			snprintf(code, sizeof(code), "%s-%s", dests[i].code,
			    variant_code[v]);
			if ((r = rp_store_plan_get(st, code, &p)) == RP_E_NOTFOUND) {
				snprintf(p.code, sizeof(p.code), "%s-%s",
				    dests[i].code, variant_code[v]);
				snprintf(p.destination, sizeof(p.destination), "%s",
				    dests[i].code);
				snprintf(p.destination_name,
				    sizeof(p.destination_name), "%s", dests[i].name);
				snprintf(p.tier, sizeof(p.tier), "%s", variant_tier[v]);
				p.device = variant_device[v];
				p.daily_yen = class_price[dests[i].cls][v];
				p.tax_bp = TAX_BP;
				p.active = true;
				r = rp_store_plan_insert(st, &p);
			}
			if (r != 0)
				return r;
			cat->plan_id[i][v] = p.id;
			cat->plan_yen[i][v] = p.daily_yen;
			cat->nplans++;
		}
	}
	/* Negotiated prices: each client's discount on every plan. */
	for (i = 0; i < NTENANT; i++)
		for (v = 0; v < NDEST * V_COUNT; v++) {
			int64_t id = cat->plan_id[v / V_COUNT][v % V_COUNT];
			int64_t yen = cat->plan_yen[v / V_COUNT][v % V_COUNT];

			if (id == 0)
				continue;
			yen = yen * (100 - tenant_defs[i].discount_pct) / 100;
			if ((r = rp_store_price_set(st, cat->tenant_id[i], id,
			    yen / 10 * 10)) != 0)
				return r;
		}
	for (i = 0; i < O_COUNT; i++) {
		if ((r = rp_store_option_get(st, option_defs[i].code, &op)) ==
		    RP_E_NOTFOUND) {
			memset(&op, 0, sizeof(op));
			snprintf(op.code, sizeof(op.code), "%s", option_defs[i].code);
			snprintf(op.name, sizeof(op.name), "%s", option_defs[i].name);
			op.kind = option_defs[i].kind;
			op.daily_yen = option_defs[i].yen;
			op.tax_bp = TAX_BP;
			r = rp_store_option_insert(st, &op);
		}
		if (r != 0)
			return r;
		cat->option_id[i] = op.id;
	}
	for (i = 0; i < NCOUNTER; i++) {
		const struct counter_def *cd = &counter_defs[i];

		cat->counter_weight[i] = cd->weight;
		if ((r = rp_store_counter_get(st, cd->code, &c)) == RP_E_NOTFOUND) {
			memset(&c, 0, sizeof(c));
			snprintf(c.code, sizeof(c.code), "%s", cd->code);
			snprintf(c.airport, sizeof(c.airport), "%s", cd->airport);
			snprintf(c.terminal, sizeof(c.terminal), "%s", cd->terminal);
			snprintf(c.name, sizeof(c.name), "%s", cd->name);
			snprintf(c.opens, sizeof(c.opens), "%s", cd->opens);
			snprintf(c.closes, sizeof(c.closes), "%s", cd->closes);
			c.deadline_days = cd->days;
			c.deadline_hour = 12;
			r = rp_store_counter_insert(st, &c);
		}
		if (r != 0)
			return r;
		cat->counter_id[i] = c.id;
	}
	/*
	 * Units: 500, or one per 8 orders for a large history (enough for
	 * the orders open at any one time), 70% routers, 20% SIMs, 10%
	 * phones; 30% at the warehouse (courier delivery), the rest over the
	 * counters by their weight.  All available but 1 in 25 in repair:
	 * a unit goes out only with an order (gen_orders, demo_today).
	 */
	ndev = o->orders / 8 > NDEVICES ? o->orders / 8 : NDEVICES;
	if (ndev > NDEVICES_MAX)
		ndev = NDEVICES_MAX;
	if ((r = rp_store_bulk_begin(st)) != 0)
		return r;
	for (i = 0; r == 0 && i < ndev; i++) {
		size_t m = i % 10;

		memset(&d, 0, sizeof(d));
		if (m < 7) {
			snprintf(d.serial, sizeof(d.serial), "RT-%06zu", i + 1);
			snprintf(d.model, sizeof(d.model), "%s",
			    i % 2 ? "Aterm MP02LN (demo)" : "GlocalMe U3 (demo)");
			d.kind = RP_DEVICE_ROUTER;
		} else if (m < 9) {
			snprintf(d.serial, sizeof(d.serial), "SIM-%06zu", i + 1);
			snprintf(d.model, sizeof(d.model), "eSIM/nanoSIM (demo)");
			d.kind = RP_DEVICE_SIM;
		} else {
			snprintf(d.serial, sizeof(d.serial), "PH-%06zu", i + 1);
			snprintf(d.model, sizeof(d.model), "Android 5G (demo)");
			d.kind = RP_DEVICE_PHONE;
		}
		d.status = i % 25 == 7 ? RP_DEVSTAT_REPAIR : RP_DEVSTAT_AVAILABLE;
		/* stride 10 ≠ the kind's cycle: every kind at every pool */
		w = (int)((i / 10 * 7 + i) % 100);
		d.counter_id = w < 30 ? 0 : cat->counter_id[pick_counter(cat,
		    w - 30, 70)];
		r = rp_store_device_insert(st, &d);
		if (r == RP_E_EXISTS) {
			r = 0;
			continue;
		}
		if (r == 0)
			cat->ndevices_new++;
	}
	if ((r2 = rp_store_bulk_end(st, r == 0)) != 0 && r == 0)
		r = r2;
	if (r != 0)
		return r;
	r = rp_store_policy_latest(st, "default", &cat->policy_id, &ver, &json);
	free(json);
	if (r == RP_E_NOTFOUND &&
	    (pe = rp_embed_find("src/domain/policy_default.json")) != NULL)
		r = rp_store_policy_insert(st, "default", 1, pe->data, pe->len,
		    &cat->policy_id);
	else if (r == RP_E_NOTFOUND)
		r = 0;		/* the domain policy is not built in: skip */
	if (r != 0)
		return r;
	say(o, "catalogue: %zu corporate clients, %zu plans for %zu "
	    "destinations, %d options, %zu airport counters, %zu new devices "
	    "(of %zu), policy %s\n", NTENANT, cat->nplans, NDEST, O_COUNT,
	    NCOUNTER, cat->ndevices_new, ndev,
	    cat->policy_id ? "default" : "(none built in)");
	return 0;
}

/* ---- demo staff logins ------------------------------------------------- */

/*
 * The demo's staff accounts, in the identity holder's store (auth.db):
 * each with a random password and a new TOTP secret, printed and kept in
 * the logins file as "username password totp-secret role" so that a
 * newcomer can sign in with `oathtool --totp -b SECRET`.  The accounts are
 * not enrolled: the first sign-in (password and a code, or the password
 * alone and then the QR code the console shows) enrols them.
 */
static int
demo_staff(const struct rp_seed_opts *o,
    const struct catalogue *cat)
{
	struct {
		char user[RP_STORE_CODE_MAX + 1];
		int role;
		int64_t tenant;
		const char *counters;
	} want[5 + NTENANT];
	struct rp_auth_db *adb = NULL;
	char pw[64], b32[RP_AUTH_TOTP_B32_MAX + 1];
	FILE *f = NULL;
	size_t i, n = 0;
	int fd, r = 0;

	snprintf(want[n].user, sizeof(want[n].user), "backoffice");
	want[n].role = RP_STAFF_BACKOFFICE; want[n].counters = "";
	want[n++].tenant = 0;
	snprintf(want[n].user, sizeof(want[n].user), "counter-nrt1");
	want[n].role = RP_STAFF_COUNTER; want[n].counters = "NRT1";
	want[n++].tenant = 0;
	snprintf(want[n].user, sizeof(want[n].user), "counter-hnd3");
	want[n].role = RP_STAFF_COUNTER; want[n].counters = "HND3";
	want[n++].tenant = 0;
	snprintf(want[n].user, sizeof(want[n].user), "security");
	want[n].role = RP_STAFF_SECURITY; want[n].counters = "";
	want[n++].tenant = 0;
	snprintf(want[n].user, sizeof(want[n].user), "incident");
	want[n].role = RP_STAFF_INCIDENT; want[n].counters = "";
	want[n++].tenant = 0;
	for (i = 0; i < NTENANT; i++) {
		snprintf(want[n].user, sizeof(want[n].user), "admin-%s",
		    tenant_defs[i].slug);
		want[n].role = RP_STAFF_CLIENT_ADMIN; want[n].counters = "";
		want[n++].tenant = cat->tenant_id[i];
	}
	if (o->data_dir == NULL)
		return RP_E_INVAL;
	if ((r = rp_auth_db_open(o->data_dir, &adb)) != 0) {
		rp_log_error("seed: cannot open the staff accounts (%s)",
		    rp_strerror(r));
		return r;
	}
	if (o->logins_path != NULL) {
		fd = open(o->logins_path, O_WRONLY | O_CREAT | O_APPEND |
		    O_CLOEXEC, 0600);
		if (fd < 0 || (f = fdopen(fd, "a")) == NULL) {
			if (fd >= 0)
				close(fd);
			rp_log_warn("seed: cannot write the demo logins file: %s",
			    strerror(errno));
		}
	}
	say(o, "demo staff logins (username / password / TOTP secret / role; "
	    "a code: oathtool --totp -b SECRET):\n");
	if (f != NULL)
		fprintf(f, "# staff: username password totp-secret role "
		    "(a code: oathtool --totp -b SECRET)\n");
	for (i = 0; i < n; i++) {
		r = rp_auth_staff_add(adb, want[i].user, want[i].role,
		    want[i].tenant, want[i].counters, NULL, pw, sizeof(pw), b32);
		if (r == RP_E_EXISTS) {
			say(o, "  %-26s (exists; password and secret unchanged)"
			    "  %s\n", want[i].user,
			    rp_staff_role_name(want[i].role));
			r = 0;
			continue;
		}
		if (r != 0)
			break;
		say(o, "  %-26s %s  %s  %s\n", want[i].user, pw, b32,
		    rp_staff_role_name(want[i].role));
		if (f != NULL)
			fprintf(f, "%s %s %s %s\n", want[i].user, pw, b32,
			    rp_staff_role_name(want[i].role));
	}
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(b32, sizeof(b32));
	/*
	 * One API key per corporate client for the JSON API.  Only its hash
	 * is stored, so the key text is printed now and kept in the demo
	 * logins file for `make run` to print again.
	 */
	for (i = 0; r == 0 && i < NTENANT; i++) {
		char key[RP_API_KEY_LEN + 1];
		int64_t kid;

		if ((r = rp_auth_apikey_create(adb, cat->tenant_id[i], key,
		    &kid)) != 0)
			break;
		say(o, "  API key for %s: %s  site %s/c/%s/\n",
		    tenant_defs[i].slug, key, o->site_url, tenant_defs[i].slug);
		if (f != NULL)
			fprintf(f, "API key for %s: %s  site %s/c/%s/\n",
			    tenant_defs[i].slug, key, o->site_url,
			    tenant_defs[i].slug);
		sodium_memzero(key, sizeof(key));
	}
	rp_auth_db_close(adb);
	if (cat->access_code[0] != '\0') {
		say(o, "  access code for %s: %s\n", tenant_defs[NTENANT - 1].slug,
		    cat->access_code);
		if (f != NULL)
			fprintf(f, "access code for %s: %s\n",
			    tenant_defs[NTENANT - 1].slug, cat->access_code);
	}
	if (f != NULL && fclose(f) != 0)
		rp_log_warn("seed: demo logins file: %s", strerror(errno));
	else if (f != NULL)
		say(o, "  (also written to %s)\n", o->logins_path);
	for (i = 0; i < NTENANT; i++)
		say(o, "corporate client: %s  %s  billing=%s\n",
		    tenant_defs[i].slug, tenant_defs[i].name,
		    rp_billing_name(tenant_defs[i].billing));
	return r;
}

/* ---- persons, generated here and written by a second thread ------------- */

struct pgen {
	char name[64], kana[96], email[128], phone[16], postal[12];
	char address[256], company[128], dept[64];
};

/* One order's person: a new one (p) or a link to an existing id. */
struct pitem {
	bool is_new;
	uint32_t tenant;
	uint64_t id;			/* predicted (new) or linked */
	char order[RP_ORDER_NUMBER_LEN + 1];
	struct pgen p;
};

/* One batch = one vault put_batch = one access-log entry. */
#define PBATCH	RP_VAULT_MAX_PUT_BATCH
#define PQUEUE	4

struct pbatch {
	size_t n;
	struct pitem p[PBATCH];
};

struct pwriter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pbatch *full[PQUEUE], *spare[PQUEUE];
	size_t nfull, nspare, head;	/* full is a ring from head */
	bool done;
	int err;
	uint64_t written;		/* new persons stored */
	struct rp_vault *v;
	/* the writer thread's put_batch arguments */
	struct rp_vault_person *persons;
	const struct rp_vault_person **pp;
	uint32_t *tenants;
	struct rp_str *orders;
	uint64_t *ids;
};

static int
pwriter_put(struct pwriter *w, struct pbatch *b, uint64_t *nnew)
{
	struct rp_vault_caller c;
	size_t i;
	int r;

	rp_vault_caller_seed(&c);
	*nnew = 0;
	for (i = 0; i < b->n; i++) {
		struct pitem *it = &b->p[i];
		struct rp_vault_person *vp = &w->persons[i];

		w->tenants[i] = it->tenant;
		w->orders[i] = rp_str_c(it->order);
		w->ids[i] = it->is_new ? 0 : it->id;
		w->pp[i] = NULL;
		if (!it->is_new)
			continue;
		vp->f[RP_VF_NAME] = rp_str_c(it->p.name);
		vp->f[RP_VF_KANA] = rp_str_c(it->p.kana);
		vp->f[RP_VF_EMAIL] = rp_str_c(it->p.email);
		vp->f[RP_VF_PHONE] = rp_str_c(it->p.phone);
		vp->f[RP_VF_POSTAL_CODE] = rp_str_c(it->p.postal);
		vp->f[RP_VF_ADDRESS] = rp_str_c(it->p.address);
		vp->f[RP_VF_COMPANY] = rp_str_c(it->p.company);
		vp->f[RP_VF_DEPARTMENT] = rp_str_c(it->p.dept);
		w->pp[i] = vp;
	}
	if ((r = rp_vault_put_batch(w->v, &c, w->pp, w->tenants, w->orders,
	    w->ids, b->n)) != 0)
		return r;
	/* The orders already point at the predicted ids: they must agree. */
	for (i = 0; i < b->n; i++)
		if (b->p[i].is_new) {
			if (w->ids[i] != b->p[i].id)
				return RP_E_STATE;
			(*nnew)++;
		}
	return 0;
}

static void *
pwriter_main(void *arg)
{
	struct pwriter *w = arg;
	struct pbatch *b;
	uint64_t nnew = 0;
	int r = 0;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->nfull == 0 && !w->done)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->nfull == 0) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		b = w->full[w->head];
		w->head = (w->head + 1) % PQUEUE;
		w->nfull--;
		pthread_mutex_unlock(&w->mu);
		if (r == 0)
			r = pwriter_put(w, b, &nnew);
		sodium_memzero(b->p, b->n * sizeof(b->p[0]));
		pthread_mutex_lock(&w->mu);
		if (r != 0 && w->err == 0)
			w->err = r;
		if (r == 0)
			w->written += nnew;
		b->n = 0;
		w->spare[w->nspare++] = b;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

/* A batch to fill (blocks while the writer is behind); NULL on error. */
static struct pbatch *
pwriter_take(struct pwriter *w)
{
	struct pbatch *b = NULL;

	pthread_mutex_lock(&w->mu);
	while (w->nspare == 0 && w->err == 0)
		pthread_cond_wait(&w->cv, &w->mu);
	if (w->err == 0)
		b = w->spare[--w->nspare];
	pthread_mutex_unlock(&w->mu);
	return b;
}

static void
pwriter_submit(struct pwriter *w, struct pbatch *b)
{
	pthread_mutex_lock(&w->mu);
	w->full[(w->head + w->nfull) % PQUEUE] = b;
	w->nfull++;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void
gen_person(struct rng *g, struct pgen *p, const struct tenant_def *td)
{
	static const char *const mail[] = { "example.com", "example.net",
		"example.org", "mail.example", "mobile.example" };
	const struct seed_name *fam = &seed_family[rng_below(g, (uint32_t)seed_nfamily)];
	const struct seed_name *giv;
	const struct seed_place *pl;
	bool female = rng_below(g, 2) == 0;
	char bld[96] = "";

	giv = female ? &seed_given_f[rng_below(g, (uint32_t)seed_ngiven_f)] :
	    &seed_given_m[rng_below(g, (uint32_t)seed_ngiven_m)];
	snprintf(p->name, sizeof(p->name), "%s %s", fam->kanji, giv->kanji);
	snprintf(p->kana, sizeof(p->kana), "%s %s", fam->kana, giv->kana);
	if (td != NULL) {
		snprintf(p->email, sizeof(p->email), "%c.%s%u@%s", giv->romaji[0],
		    fam->romaji, rng_below(g, 100), td->domain);
		snprintf(p->company, sizeof(p->company), "%s", td->name);
		snprintf(p->dept, sizeof(p->dept), "%s",
		    seed_departments[rng_below(g, (uint32_t)seed_ndepartments)]);
	} else {
		snprintf(p->email, sizeof(p->email), "%s.%s%u@%s", giv->romaji,
		    fam->romaji, rng_below(g, 1000),
		    mail[rng_below(g, (uint32_t)RP_ARRAY_LEN(mail))]);
		p->company[0] = '\0';
		p->dept[0] = '\0';
	}
	snprintf(p->phone, sizeof(p->phone), "0%c0-%04u-%04u",
	    "987"[rng_below(g, 3)], rng_below(g, 10000), rng_below(g, 10000));
	pl = &seed_places[rng_below(g, (uint32_t)seed_nplaces)];
	snprintf(p->postal, sizeof(p->postal), "%03d-%04u", pl->postal % 1000,
	    rng_below(g, 10000));
	if (rng_below(g, 10) < 4)
		snprintf(bld, sizeof(bld), " %s%s %u%02u号室",
		    seed_buildings[rng_below(g, (uint32_t)seed_nbuildings)],
		    seed_towns[rng_below(g, (uint32_t)seed_ntowns)],
		    1 + rng_below(g, 12), 1 + rng_below(g, 12));
	snprintf(p->address, sizeof(p->address), "%s%s%s%u丁目%u-%u%s",
	    pl->prefecture, pl->city,
	    seed_towns[rng_below(g, (uint32_t)seed_ntowns)],
	    1 + rng_below(g, 5), 1 + rng_below(g, 30), 1 + rng_below(g, 20), bld);
}

/* ---- orders ------------------------------------------------------------ */

/* Relative order volume by month (Golden Week, summer, year end). */
static const int month_weight[12] = { 8, 9, 12, 9, 11, 8, 11, 14, 11, 10, 9, 12 };

static int
month_of(int32_t z)
{
	int y, m, d;

	civil_from_days(z, &y, &m, &d);
	return m;
}

static int32_t
rental_days(struct rng *g, int cls)
{
	static const int base[CLS_COUNT] = { 2, 3, 5, 7, 14 };
	static const int span[CLS_COUNT] = { 4, 5, 9, 12, 20 };

	if (rng_below(g, 10) == 0)		/* long stays */
		return base[cls] + span[cls] + (int32_t)rng_below(g, 20);
	return base[cls] + (int32_t)rng_below(g, (uint32_t)span[cls]);
}

static void
gen_token(struct rng *g, char *out, size_t len, const char *prefix, size_t n)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t i, j;

	j = (size_t)snprintf(out, len, "%s", prefix);
	/* every fourth character a letter: never a long digit run */
	for (i = 0; i < n && j + 1 < len; i++, j++)
		out[j] = i % 4 == 3 ? al[rng_below(g, 26)] :
		    al[rng_below(g, (uint32_t)(sizeof(al) - 1))];
	out[j] = '\0';
}

static void
add_event(struct rp_order_event *h, size_t *n, int to, int64_t at,
    const char *actor)
{
	struct rp_order_event *e = &h[*n];

	memset(e, 0, sizeof(*e));
	e->from = *n == 0 ? -1 : h[*n - 1].to;
	e->to = to;
	e->at = at;
	snprintf(e->actor, sizeof(e->actor), "%s", actor);
	(*n)++;
}

struct gen {
	struct rng g;
	const struct catalogue *cat;
	int (*kind_of)(struct gen *G, int64_t plan_id);
	uint64_t held, unheld;		/* open orders holding stock, or not */
	/* the units of each pool (0: the warehouse, 1 + counter index) */
	struct pool {
		int64_t *id;
		bool *out;
		size_t n, next;
	} pool[NCOUNTER + 1][RP_DEVICE_KIND_COUNT];
	uint64_t bound, unbound;
	int32_t since, until;
	int64_t now;			/* end of the until day */
	uint64_t person_first, person_next;
};

/*
 * Generates order k of n: fills *o and its history, and *pp when a new
 * person is needed (returns true then).
 */
static bool
gen_order(struct gen *G, uint64_t k, uint64_t n, const int32_t *day_of,
    struct rp_order *o, struct rp_order_event *h, size_t *nh, struct pgen *pp)
{
	static const int channel_w[RP_CHANNEL_COUNT] = { 62, 23, 15 };
	static const int brand_w[] = { 45, 25, 20, 7, 3 };
	static const char *const brand[] = { "VISA", "Mastercard", "JCB",
		"AMEX", "Diners" };
	static const int variant_w[V_COUNT] = { 22, 36, 14, 20, 8 };
	struct rng *g = &G->g;
	const struct catalogue *cat = G->cat;
	size_t dest, v, ti = 0, pc = 0, rc;
	int32_t day, lead, days, depart, ret;
	int64_t created, t, daily, sub, opt_daily = 0;
	bool new_person, card, walk_in;
	char actor[40];
	int ins;

	(void)n;
	memset(o, 0, sizeof(*o));
	*nh = 0;
	day = day_of[k];
	o->channel = (int)rng_pick(g, channel_w, RP_CHANNEL_COUNT);
	walk_in = o->channel == RP_CHANNEL_COUNTER;
	if (o->channel == RP_CHANNEL_CORPORATE) {
		ti = rng_pick(g, cat->tenant_weight, NTENANT);
		o->tenant_id = cat->tenant_id[ti];
	}
	dest = rng_pick(g, cat->dest_weight, NDEST);
	do
		v = rng_pick(g, variant_w, V_COUNT);
	while (cat->plan_id[dest][v] == 0);
	o->plan_id = cat->plan_id[dest][v];
	daily = cat->plan_yen[dest][v];
	if (o->tenant_id != 0)
		daily = daily * (100 - tenant_defs[ti].discount_pct) / 100 / 10 * 10;

	/* handover */
	if (walk_in || rng_below(g, 100) < 70) {
		o->pickup = RP_HANDOVER_COUNTER;
		pc = rng_pick(g, cat->counter_weight, NCOUNTER);
		o->pickup_counter_id = cat->counter_id[pc];
	} else
		o->pickup = RP_HANDOVER_COURIER;
	t = rng_below(g, 100);
	if (t < 55) {
		o->ret = RP_HANDOVER_COUNTER;
		rc = o->pickup == RP_HANDOVER_COUNTER && rng_below(g, 100) < 85 ?
		    pc : rng_pick(g, cat->counter_weight, NCOUNTER);
		o->return_counter_id = cat->counter_id[rc];
	} else
		o->ret = t < 95 ? RP_HANDOVER_POST : RP_HANDOVER_COURIER;

	/* dates: lead time respects the counter's order deadline */
	if (walk_in)
		lead = 0;
	else {
		lead = 1 + (int32_t)(-log(1.0 - rng_unit(g)) * 14.0);
		if (lead > 120)
			lead = 120;
		if (o->pickup == RP_HANDOVER_COUNTER && lead < counter_defs[pc].days)
			lead = counter_defs[pc].days;
		if (o->pickup == RP_HANDOVER_COURIER && lead < 3)
			lead = 3;
	}
	days = rental_days(g, dests[dest].cls);
	depart = day + lead;
	ret = depart + days - 1;
	fmt_day(day, o->order_date);
	fmt_day(depart, o->depart_date);
	fmt_day(ret, o->return_date);
	o->qty = rng_below(g, 100) < 90 ? 1 : rng_below(g, 100) < 80 ? 2 : 3;

	/* options and price */
	ins = (int)rng_below(g, 100);
	if (ins < 35) {
		o->options[o->noptions].option_id = cat->option_id[O_INS_LIGHT];
		o->options[o->noptions++].qty = o->qty;
		opt_daily += option_defs[O_INS_LIGHT].yen * o->qty;
	} else if (ins < 60) {
		o->options[o->noptions].option_id = cat->option_id[O_INS_FULL];
		o->options[o->noptions++].qty = o->qty;
		opt_daily += option_defs[O_INS_FULL].yen * o->qty;
	}
	if (variant_device[v] == RP_DEVICE_ROUTER && rng_below(g, 100) < 15) {
		o->options[o->noptions].option_id = cat->option_id[O_BATTERY];
		o->options[o->noptions++].qty = 1;
		opt_daily += option_defs[O_BATTERY].yen;
	}
	if (rng_below(g, 100) < 3) {
		o->options[o->noptions].option_id = cat->option_id[O_EXTRA];
		o->options[o->noptions++].qty = 1;
		opt_daily += option_defs[O_EXTRA].yen;
	}
	/* XXX: a seed approximation of the domain quote (no shipping fees). */
	sub = (daily * o->qty + opt_daily) * days;
	o->subtotal_yen = sub;
	o->tax_yen = sub * TAX_BP / 10000;
	o->total_yen = o->subtotal_yen + o->tax_yen;
	o->policy_id = cat->policy_id;

	/* payment reference (invoice-billed clients pay monthly, no card) */
	card = !(o->channel == RP_CHANNEL_CORPORATE &&
	    tenant_defs[ti].billing == RP_BILLING_INVOICE);
	if (card) {
		gen_token(g, o->pay_token, sizeof(o->pay_token), "tok_", 24);
		snprintf(o->pay_brand, sizeof(o->pay_brand), "%s",
		    brand[rng_pick(g, brand_w, RP_ARRAY_LEN(brand_w))]);
		snprintf(o->pay_last4, sizeof(o->pay_last4), "%04u",
		    rng_below(g, 10000));
	}

	/* history, up to "now" (the end of the until day) */
	if (walk_in) {
		created = jst_start(day) + 7 * 3600 + rng_below(g, 13 * 3600);
		snprintf(actor, sizeof(actor), "counter:%s", counter_defs[pc].code);
	} else {
		int64_t lo = 8 * 3600, span = 15 * 3600;

		if (o->pickup == RP_HANDOVER_COUNTER && lead == counter_defs[pc].days)
			span = 4 * 3600;	/* before the noon deadline */
		created = jst_start(day) + lo + rng_below(g, (uint32_t)span);
		snprintf(actor, sizeof(actor), "%s",
		    o->channel == RP_CHANNEL_CORPORATE ? "web:corporate" : "web");
	}
	if (created > G->now)
		created = G->now;
	add_event(h, nh, RP_ORDER_RESERVED, created, actor);
	t = created + (walk_in ? 120 : rng_below(g, 100) < 85 ?
	    60 + rng_below(g, 3600) : 86400 + rng_below(g, 2 * 86400));
	/* a slow confirmation still comes before departure morning */
	if (!walk_in && t >= jst_start(depart) + 5 * 3600)
		t = created + 60 + rng_below(g, 600);
	if (!walk_in && rng_below(g, 1000) < 60) {
		/* cancellation, before departure */
		int64_t dep = jst_start(depart);
		int64_t at = created + (int64_t)(rng_unit(g) * (double)(dep - created));

		if (t < at && t <= G->now)
			add_event(h, nh, RP_ORDER_CONFIRMED, t, "payment");
		if (at <= G->now) {
			add_event(h, nh, RP_ORDER_CANCELLED, at, "web");
			goto done;
		}
		if (*nh > 1)
			goto done;
	}
	if (t > G->now)
		goto done;
	add_event(h, nh, RP_ORDER_CONFIRMED, t, "payment");
	t = walk_in ? t + 300 : jst_start(depart) + 6 * 3600 +
	    rng_below(g, 6 * 3600);
	if (t > G->now)
		goto done;
	snprintf(actor, sizeof(actor), o->pickup == RP_HANDOVER_COUNTER ?
	    "counter:%s" : "courier", counter_defs[pc].code);
	add_event(h, nh, RP_ORDER_PICKED_UP, t, actor);
	t = jst_start(ret + (o->ret == RP_HANDOVER_POST ? 2 : 0)) + 14 * 3600 +
	    rng_below(g, 8 * 3600);
	if (t > G->now)
		goto done;
	add_event(h, nh, RP_ORDER_RETURNED, t, o->ret == RP_HANDOVER_COUNTER ?
	    "counter" : "warehouse");
	t += 600 + rng_below(g, 3 * 86400);
	if (t > G->now)
		goto done;
	add_event(h, nh, RP_ORDER_SETTLED, t, "backoffice");
 done:
	o->status = h[*nh - 1].to;
	o->created_at = h[0].at;
	o->updated_at = h[*nh - 1].at;
	if (o->status != RP_ORDER_RESERVED && card)
		gen_token(g, o->pay_auth_id, sizeof(o->pay_auth_id), "au_", 16);

	/* person: repeat customers on the public site, else a new one */
	new_person = !(o->channel == RP_CHANNEL_PUBLIC &&
	    G->person_next > G->person_first && rng_below(g, 100) < 12);
	if (new_person) {
		gen_person(g, pp, o->channel == RP_CHANNEL_CORPORATE ?
		    &tenant_defs[ti] : NULL);
		o->person_id = (int64_t)G->person_next++;
	} else
		o->person_id = (int64_t)(G->person_first +
		    rng_below(g, (uint32_t)(G->person_next - G->person_first)));
	return new_person;
}

/*
 * The stock an open order holds (reserved, confirmed or out at "now"),
 * as the order service would have: its pool — the pickup counter, or the
 * warehouse for courier delivery, shipped two days ahead — from departure
 * to the day after return (two more when it comes back by courier or
 * post).  A pool that is full leaves the order without a hold (the
 * history oversold it; counted).
 */
/* The units of every pool, for binding the history's rentals. */
static int
pools_load(struct rp_store *st, struct gen *G)
{
	struct rp_device *ds = NULL;
	size_t n = 0;
	int r;

	for (size_t p = 0; p <= NCOUNTER; p++) {
		if ((r = rp_store_device_list(st, RP_DEVSTAT_AVAILABLE, p == 0 ? 0 :
		    G->cat->counter_id[p - 1], &ds, &n)) != 0)
			return r;
		for (int k = 0; k < RP_DEVICE_KIND_COUNT; k++) {
			struct pool *pl = &G->pool[p][k];

			if ((pl->id = calloc(n + 1, sizeof(*pl->id))) == NULL ||
			    (pl->out = calloc(n + 1, sizeof(*pl->out))) == NULL) {
				free(ds);
				return RP_E_NOMEM;
			}
			for (size_t i = 0; i < n; i++)
				if (ds[i].kind == k)
					pl->id[pl->n++] = ds[i].id;
		}
		free(ds);
		ds = NULL;
	}
	return 0;
}

static void
pools_free(struct gen *G)
{
	for (size_t p = 0; p <= NCOUNTER; p++)
		for (int k = 0; k < RP_DEVICE_KIND_COUNT; k++) {
			free(G->pool[p][k].id);
			free(G->pool[p][k].out);
		}
}

static size_t
pool_of(const struct gen *G, int64_t counter_id)
{
	for (size_t i = 0; i < NCOUNTER; i++)
		if (G->cat->counter_id[i] == counter_id)
			return i + 1;
	return 0;
}

/*
 * The units a picked-up or returned order of the history took: a unit of
 * its pool, still out (a free one, marked out) or back (any, in turn),
 * with the times of its pickup and return events.
 */
static int
bind_units(struct rp_store *st, struct gen *G, const struct rp_order *o,
    const struct rp_order_event *h, size_t nh)
{
	int64_t out_at = 0, back_at = 0;
	struct pool *pl;
	size_t i, q;
	int r;

	for (i = 0; i < nh; i++) {
		if (h[i].to == RP_ORDER_PICKED_UP)
			out_at = h[i].at;
		else if (h[i].to == RP_ORDER_RETURNED)
			back_at = h[i].at;
	}
	if (out_at == 0)
		return 0;
	pl = &G->pool[o->pickup == RP_HANDOVER_COUNTER ?
	    pool_of(G, o->pickup_counter_id) : 0][G->kind_of(G, o->plan_id)];
	for (q = 0; q < (size_t)o->qty; q++) {
		size_t k = 0;

		if (pl->n == 0) {
			G->unbound++;
			continue;
		}
		if (back_at == 0) {
			/* a free unit: the next not out */
			while (k < pl->n && pl->out[(pl->next + k) % pl->n])
				k++;
			if (k == pl->n) {
				G->unbound++;
				continue;
			}
			k = (pl->next + k) % pl->n;
			pl->out[k] = true;
		} else
			k = pl->next % pl->n;
		pl->next = (k + 1) % pl->n;
		if ((r = rp_store_unit_history(st, o->id, pl->id[k], out_at,
		    o->pickup == RP_HANDOVER_COUNTER ? o->pickup_counter_id : 0,
		    back_at, o->ret == RP_HANDOVER_COUNTER ? o->return_counter_id :
		    0, RP_COND_OK)) != 0)
			return r;
		G->bound++;
	}
	return 0;
}

/* The device kind of a catalogue plan. */
static int
plan_kind(struct gen *G, int64_t plan_id)
{
	for (size_t d = 0; d < NDEST; d++)
		for (size_t v = 0; v < V_COUNT; v++)
			if (G->cat->plan_id[d][v] == plan_id)
				return variant_device[v];
	return RP_DEVICE_ROUTER;
}

static int
open_hold(struct rp_store *st, struct gen *G, struct rp_order *o)
{
	struct rp_stock_hold *hd = &o->hold;
	int32_t dep, ret;
	int64_t units = 0, held = 0;
	int r;

	memset(hd, 0, sizeof(*hd));
	if (o->status != RP_ORDER_RESERVED && o->status != RP_ORDER_CONFIRMED &&
	    o->status != RP_ORDER_AWAITING_PAYMENT &&
	    o->status != RP_ORDER_PICKED_UP)
		return 0;
	dep = parse_day(o->depart_date);
	ret = parse_day(o->return_date) + 1 +
	    (o->ret != RP_HANDOVER_COUNTER ? 2 : 0);
	if (o->pickup == RP_HANDOVER_COURIER)
		dep -= 2;
	hd->counter_id = o->pickup == RP_HANDOVER_COUNTER ?
	    o->pickup_counter_id : 0;
	hd->kind = G->kind_of(G, o->plan_id);
	hd->qty = o->qty;
	fmt_day(dep, hd->from);
	fmt_day(ret, hd->until);
	if ((r = rp_store_stock_count(st, hd->counter_id, hd->kind, hd->from,
	    hd->until, &units, &held)) != 0)
		return r;
	if (units - held < hd->qty) {
		hd->qty = 0;
		G->unheld++;
	} else
		G->held++;
	return 0;
}

/*
 * Lays n orders out over [since, until] by month weight, in date order:
 * order k falls on the day where the cumulative weight passes (k + ½)/n.
 */
static int32_t *
layout_days(int32_t since, int32_t until, uint64_t n)
{
	int32_t *day_of, z;
	double total = 0, acc = 0, target;
	uint64_t k = 0;

	if ((day_of = calloc(n, sizeof(*day_of))) == NULL)
		return NULL;
	for (z = since; z <= until; z++)
		total += month_weight[month_of(z) - 1];
	for (z = since; z <= until && k < n; z++) {
		acc += month_weight[month_of(z) - 1];
		while (k < n) {
			target = ((double)k + 0.5) / (double)n * total;
			if (target > acc && z < until)
				break;
			day_of[k++] = z;
		}
	}
	while (k < n)
		day_of[k++] = until;
	return day_of;
}

static void
progress(uint64_t k, uint64_t n, bool done)
{
	char bar[41];
	int fill = (int)(k * 40 / (n ? n : 1)), i;

	for (i = 0; i < 40; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[40] = '\0';
	fprintf(stderr, "\rseeding orders [%s] %3d%% %" PRIu64 "/%" PRIu64 "%s",
	    bar, (int)(k * 100 / (n ? n : 1)), k, n, done ? "\n" : "");
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
gen_orders(struct rp_store *st, struct rp_vault *vault,
    const struct rp_seed_opts *o, const struct catalogue *cat,
    struct rp_seed_result *res)
{
	struct pwriter w;
	struct pbatch *batches = NULL, *cur = NULL;
	struct pitem *it;
	struct rp_order ord;
	struct rp_order_event h[8];
	struct gen G;
	int32_t *day_of = NULL;
	pthread_t th;
	bool store_bulk = false, persons_bulk = false, thread = false;
	uint64_t k, step;
	size_t nh, i;
	int r;

	memset(&w, 0, sizeof(w));
	memset(&G, 0, sizeof(G));
	rng_init(&G.g, o->seed);
	G.cat = cat;
	G.kind_of = plan_kind;
	G.since = parse_day(o->since);
	G.until = parse_day(o->until);
	G.now = jst_start(G.until + 1) - 1;
	if ((day_of = layout_days(G.since, G.until, o->orders)) == NULL ||
	    (batches = calloc(PQUEUE, sizeof(*batches))) == NULL ||
	    (w.persons = calloc(PBATCH, sizeof(*w.persons))) == NULL ||
	    (w.pp = calloc(PBATCH, sizeof(*w.pp))) == NULL ||
	    (w.tenants = calloc(PBATCH, sizeof(*w.tenants))) == NULL ||
	    (w.orders = calloc(PBATCH, sizeof(*w.orders))) == NULL ||
	    (w.ids = calloc(PBATCH, sizeof(*w.ids))) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	if ((r = pools_load(st, &G)) != 0)
		goto out;
	if ((r = rp_vault_bulk_begin(vault, &G.person_first)) != 0)
		goto out;
	persons_bulk = true;
	G.person_next = G.person_first;
	if ((r = rp_store_bulk_begin(st)) != 0)
		goto out;
	store_bulk = true;
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	w.v = vault;
	for (i = 0; i < PQUEUE; i++)
		w.spare[w.nspare++] = &batches[i];
	if (pthread_create(&th, NULL, pwriter_main, &w) != 0) {
		r = RP_E_NOMEM;
		goto out;
	}
	thread = true;
	step = o->orders / 200 ? o->orders / 200 : 1;
	for (k = 0; k < o->orders; k++) {
		if (cur == NULL && (cur = pwriter_take(&w)) == NULL) {
			r = w.err;
			goto out;
		}
		it = &cur->p[cur->n];
		it->is_new = gen_order(&G, k, o->orders, day_of, &ord, h, &nh,
		    &it->p);
		if ((r = open_hold(st, &G, &ord)) != 0)
			goto out;
		if ((r = rp_store_order_insert(st, &ord, h, nh)) != 0) {
			rp_log_error("seed: order %" PRIu64 " refused: %s", k,
			    rp_strerror(r));
			goto out;
		}
		if ((r = bind_units(st, &G, &ord, h, nh)) != 0)
			goto out;
		/* Every order's number is linked to its person in the vault. */
		it->id = (uint64_t)ord.person_id;
		it->tenant = (uint32_t)ord.tenant_id;
		memcpy(it->order, ord.number, sizeof(it->order));
		cur->n++;
		if (k == 0)
			res->first_order_id = ord.id;
		if (cur->n == PBATCH) {
			pwriter_submit(&w, cur);
			cur = NULL;
		}
		if (o->progress && k % step == 0)
			progress(k, o->orders, false);
	}
	if (cur != NULL && cur->n > 0) {
		pwriter_submit(&w, cur);
		cur = NULL;
	}
	res->orders = o->orders;
	say(o, "stock: %" PRIu64 " open orders hold their units, %" PRIu64
	    " over a full pool hold none; %" PRIu64 " units bound to the "
	    "rentals picked up and returned (%" PRIu64 " with none free)\n",
	    G.held, G.unheld, G.bound, G.unbound);
 out:
	if (thread) {
		pthread_mutex_lock(&w.mu);
		w.done = true;
		pthread_cond_broadcast(&w.cv);
		pthread_mutex_unlock(&w.mu);
		pthread_join(th, NULL);
		if (r == 0 && w.err != 0)
			r = w.err;
		if (r == 0 && w.written != G.person_next - G.person_first)
			r = RP_E_STATE;
		res->persons = w.written;
		pthread_cond_destroy(&w.cv);
		pthread_mutex_destroy(&w.mu);
	}
	if (o->progress && r == 0)
		progress(o->orders, o->orders, true);
	/* Persons first: an order must never point at a missing person. */
	if (persons_bulk) {
		int r2 = rp_vault_bulk_end(vault, r == 0);

		if (r == 0)
			r = r2;
	}
	if (store_bulk) {
		int r2 = rp_store_bulk_end(st, r == 0);

		if (r == 0)
			r = r2;
	}
	if (r != 0) {
		res->orders = 0;
		res->persons = 0;
		res->first_order_id = 0;
	}
	if (batches != NULL)
		sodium_memzero(batches, PQUEUE * sizeof(*batches));
	free(batches);
	free(w.persons);
	free(w.pp);
	free(w.tenants);
	free(w.orders);
	free(w.ids);
	free(day_of);
	pools_free(&G);
	return r;
}

/* ---- the demo's counter day --------------------------------------------- */

/*
 * What the counter console shows on a first run: at every counter, two
 * pickups departing today, a return due today (an invoice-billed
 * client's), three overdue rentals (due back two days ago, one per cover:
 * none, light, full) and one returned yesterday — their units bound to
 * them through the store's own pickup and return.  Dates are relative to
 * the seed's "now" (--until, today by default).
 */
enum { DT_PICKUP, DT_DUE_TODAY, DT_OVERDUE, DT_RETURNED };
static const struct demo_day {
	int what, dep, ret, cover;	/* cover: -1 none, else an O_INS_* */
} demo_days[] = {
	{ DT_PICKUP, 0, 3, -1 }, { DT_PICKUP, 0, 5, O_INS_LIGHT },
	{ DT_DUE_TODAY, -3, 0, O_INS_FULL },
	{ DT_OVERDUE, -6, -2, -1 }, { DT_OVERDUE, -6, -2, O_INS_LIGHT },
	{ DT_OVERDUE, -6, -2, O_INS_FULL },
	{ DT_RETURNED, -5, -1, -1 },
};

static int
demo_today(struct rp_store *st, struct rp_vault *vault,
    const struct rp_seed_opts *o, const struct catalogue *cat)
{
	struct rp_vault_caller vc;
	struct rp_order_event h[2];
	struct rp_device *ds = NULL;
	struct rp_order ord;
	struct pgen pp;
	struct rng g;
	int32_t today = parse_day(o->until);
	size_t nd = 0, next, made = 0, ti = 0, i, k;
	int64_t plan = 0, yen = 0, t;
	char actor[40], serial[RP_STORE_CODE_MAX + 1];
	bool complete;
	int why, r = 0;

	rng_init(&g, o->seed ^ 0x636f756e746572ULL);
	rp_vault_caller_seed(&vc);
	for (i = 0; i < NDEST && plan == 0; i++)
		if (cat->plan_id[i][V_R1G] != 0) {
			plan = cat->plan_id[i][V_R1G];
			yen = cat->plan_yen[i][V_R1G];
		}
	for (i = 0; i < NTENANT; i++)
		if (tenant_defs[i].billing == RP_BILLING_INVOICE)
			ti = i;
	if (plan == 0)
		return 0;
	for (size_t c = 0; r == 0 && c < NCOUNTER; c++) {
		free(ds);
		ds = NULL;
		if ((r = rp_store_device_list(st, RP_DEVSTAT_AVAILABLE,
		    cat->counter_id[c], &ds, &nd)) != 0)
			break;
		next = 0;
		snprintf(actor, sizeof(actor), "counter:%s", counter_defs[c].code);
		for (k = 0; r == 0 && k < RP_ARRAY_LEN(demo_days); k++) {
			const struct demo_day *dd = &demo_days[k];
			const struct rp_vault_person *pv[1];
			struct rp_vault_person vp;
			struct rp_str num;
			uint32_t tenant;
			uint64_t pid = 0;
			int days = dd->ret - dd->dep + 1;

			memset(&ord, 0, sizeof(ord));
			if ((r = rp_store_order_reserve(st, &ord.reserved_id,
			    ord.number)) != 0)
				break;
			ord.channel = dd->what == DT_DUE_TODAY ?
			    RP_CHANNEL_CORPORATE : RP_CHANNEL_PUBLIC;
			ord.tenant_id = dd->what == DT_DUE_TODAY ?
			    cat->tenant_id[ti] : 0;
			gen_person(&g, &pp, ord.tenant_id ? &tenant_defs[ti] : NULL);
			memset(&vp, 0, sizeof(vp));
			vp.f[RP_VF_NAME] = rp_str_c(pp.name);
			vp.f[RP_VF_KANA] = rp_str_c(pp.kana);
			vp.f[RP_VF_EMAIL] = rp_str_c(pp.email);
			vp.f[RP_VF_PHONE] = rp_str_c(pp.phone);
			vp.f[RP_VF_COMPANY] = rp_str_c(pp.company);
			pv[0] = &vp;
			tenant = (uint32_t)ord.tenant_id;
			num = rp_str_c(ord.number);
			if ((r = rp_vault_put_batch(vault, &vc, pv, &tenant, &num,
			    &pid, 1)) != 0)
				break;
			ord.person_id = (int64_t)pid;
			ord.plan_id = plan;
			ord.qty = 1;
			fmt_day(today + dd->dep - 10, ord.order_date);
			fmt_day(today + dd->dep, ord.depart_date);
			fmt_day(today + dd->ret, ord.return_date);
			ord.pickup = RP_HANDOVER_COUNTER;
			ord.pickup_counter_id = cat->counter_id[c];
			ord.ret = RP_HANDOVER_COUNTER;
			ord.return_counter_id = cat->counter_id[c];
			ord.status = RP_ORDER_CONFIRMED;
			ord.subtotal_yen = yen * days;
			if (dd->cover >= 0) {
				ord.options[0].option_id = cat->option_id[dd->cover];
				ord.options[0].qty = 1;
				ord.noptions = 1;
				ord.subtotal_yen += option_defs[dd->cover].yen * days;
			}
			ord.tax_yen = ord.subtotal_yen * TAX_BP / 10000;
			ord.total_yen = ord.subtotal_yen + ord.tax_yen;
			ord.policy_id = cat->policy_id;
			t = jst_start(today + dd->dep - 10) + 10 * 3600;
			memset(h, 0, sizeof(h));
			add_event(h, &(size_t){ 0 }, RP_ORDER_RESERVED, t, "web");
			h[1] = h[0];
			h[1].from = RP_ORDER_RESERVED;
			h[1].to = RP_ORDER_CONFIRMED;
			h[1].at = t + 60;
			snprintf(h[1].note, sizeof(h[1].note), "%s",
			    ord.tenant_id ? "billing: invoice" : "billing: card");
			/* the unit held from departure to the day after return */
			ord.hold.counter_id = cat->counter_id[c];
			ord.hold.kind = RP_DEVICE_ROUTER;
			ord.hold.qty = 1;
			fmt_day(today + dd->dep, ord.hold.from);
			fmt_day(today + dd->ret + 1, ord.hold.until);
			if ((r = rp_store_order_insert(st, &ord, h, 2)) ==
			    RP_E_FULL) {
				ord.hold.qty = 0;	/* a busy pool: no hold */
				r = rp_store_order_insert(st, &ord, h, 2);
			}
			if (r != 0)
				break;
			made++;
			if (dd->what == DT_PICKUP)
				continue;
			/* out with a unit of this counter, back if returned */
			for (why = -1; next < nd && why != RP_UNIT_OK; next++) {
				if (ds[next].kind != RP_DEVICE_ROUTER)
					continue;
				snprintf(serial, sizeof(serial), "%s",
				    ds[next].serial);
				r = rp_store_unit_pickup(st, ord.id, serial,
				    cat->counter_id[c], "", actor,
				    jst_start(today + dd->dep) + 9 * 3600, &why,
				    &complete);
				if (r != 0 && why == RP_UNIT_OK)
					break;
				r = 0;
			}
			if (r != 0 || why != RP_UNIT_OK)
				break;
			if (dd->what == DT_RETURNED)
				r = rp_store_unit_return(st, ord.id, serial,
				    cat->counter_id[c], RP_COND_OK, NULL, 0, actor,
				    jst_start(today + dd->ret) + 15 * 3600, &why,
				    &complete);
		}
	}
	free(ds);
	if (r == 0)
		say(o, "demo counter day: %zu orders at %zu counters (pickups "
		    "and returns due today, overdue, returned)\n", made,
		    (size_t)NCOUNTER);
	return r;
}

int
rp_seed_run(struct rp_store *st, struct rp_vault *vault,
    const struct rp_seed_opts *o, struct rp_seed_result *res)
{
	struct catalogue cat;
	double t0 = mono();
	int r;

	memset(res, 0, sizeof(*res));
	if (!rp_store_date_valid(o->since) || !rp_store_date_valid(o->until) ||
	    strcmp(o->since, o->until) > 0 || o->orders > RP_SEED_MAX_ORDERS)
		return RP_E_INVAL;
	if (sodium_init() < 0)
		return RP_E_STATE;
	if ((r = ensure_catalogue(st, o, &cat)) != 0)
		return r;
	if (o->demo && (r = demo_staff(o, &cat)) != 0)
		return r;
	if (o->orders > 0 && (r = gen_orders(st, vault, o, &cat, res)) != 0)
		return r;
	if (o->demo && (r = demo_today(st, vault, o, &cat)) != 0)
		return r;
	res->seconds = mono() - t0;
	return 0;
}

/* ---- the command ------------------------------------------------------- */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: rentport seed [--demo] [--orders N] [--since YYYY-MM-DD]\n"
	    "                     [--until YYYY-MM-DD] [--seed S] [--if-empty]\n"
	    "\n"
	    "Fills the data directory with synthetic data (never real people).\n"
	    "  --demo         catalogue, devices, demo staff logins and %d orders\n"
	    "                 (unless --orders is given); logins are printed and\n"
	    "                 appended to <data-dir>/demo-logins.txt (mode 0600)\n"
	    "  --orders N     generate N orders (1..%d)\n"
	    "  --since DATE   first order date (default: one year before --until)\n"
	    "  --until DATE   last order date and \"now\" for statuses (default:\n"
	    "                 today in Japan); fix it for reproducible data\n"
	    "  --seed S       random seed, 0..18446744073709551615 (default 1)\n"
	    "  --if-empty     do nothing if the store already has orders\n"
	    "Same --seed, --orders, --since and --until: same data.\n"
	    "Configuration flags apply too, e.g. --data-dir=DIR (default ./var);\n"
	    "rentport serve --help lists them all.\n",
	    RP_SEED_DEMO_ORDERS, RP_SEED_MAX_ORDERS);
}

/* Value of flag argv[*i] ("--f=V" or "--f V"), or NULL if missing. */
static const char *
flag_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n) == 0 && a[n] == '=')
		return a + n + 1;
	if (strcmp(a, name) == 0 && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static bool
is_flag(const char *a, const char *name)
{
	size_t n = strlen(name);

	return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

static int
bad(const char *flag, const char *form)
{
	fprintf(stderr, "rentport seed: %s expects %s (see rentport seed --help)\n",
	    flag, form);
	return 2;
}

int
rp_seed_cmd(const struct rp_conf *conf, int argc, char **argv)
{
	struct rp_seed_opts o;
	struct rp_seed_result res;
	struct rp_store *st = NULL;
	struct rp_vault *vault = NULL;
	struct rp_alog_store *alog = NULL;
	struct rp_vault_logger lg;
	struct rp_order_filter f;
	char logins[RP_CONF_PATH_MAX + 32];
	const char *v;
	bool if_empty = false, have_orders = false, have_since = false;
	uint64_t n;
	int i, r, rc = 1;

	memset(&o, 0, sizeof(o));
	o.seed = 1;
	o.out = stdout;
	fmt_day(today_jst(), o.until);
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--demo") == 0)
			o.demo = true;
		else if (strcmp(a, "--if-empty") == 0)
			if_empty = true;
		else if (is_flag(a, "--orders")) {
			if ((v = flag_value(argc, argv, &i, "--orders")) == NULL ||
			    rp_str_to_u64(rp_str_c(v), RP_SEED_MAX_ORDERS, &n) != 0 ||
			    n == 0)
				return bad("--orders", "a whole number from 1 to 50000000");
			o.orders = n;
			have_orders = true;
		} else if (is_flag(a, "--since") || is_flag(a, "--until")) {
			bool since = is_flag(a, "--since");

			if ((v = flag_value(argc, argv, &i, since ? "--since" :
			    "--until")) == NULL || !rp_store_date_valid(v) ||
			    strcmp(v, "2000-01-01") < 0 || strcmp(v, "2099-12-31") > 0)
				return bad(since ? "--since" : "--until",
				    "a date YYYY-MM-DD between 2000-01-01 and 2099-12-31");
			snprintf(since ? o.since : o.until, 11, "%s", v);
			if (since)
				have_since = true;
		} else if (is_flag(a, "--seed")) {
			if ((v = flag_value(argc, argv, &i, "--seed")) == NULL ||
			    rp_str_to_u64(rp_str_c(v), UINT64_MAX, &o.seed) != 0)
				return bad("--seed", "a whole number from 0 to "
				    "18446744073709551615");
		} else {
			fprintf(stderr, "rentport seed: unknown argument '%.64s' "
			    "(see rentport seed --help)\n", a);
			return 2;
		}
	}
	if (!o.demo && !have_orders) {
		fprintf(stderr, "rentport seed: nothing to do: give --demo and/or "
		    "--orders N (see rentport seed --help)\n");
		return 2;
	}
	if (!have_since)
		fmt_day(parse_day(o.until) - 365, o.since);
	if (strcmp(o.since, o.until) > 0) {
		fprintf(stderr, "rentport seed: --since (%s) is after --until "
		    "(%s)\n", o.since, o.until);
		return 2;
	}
	if (o.demo && !have_orders)
		o.orders = RP_SEED_DEMO_ORDERS;
	o.progress = isatty(2) == 1;
	if (conf->public_url[0] != '\0')
		snprintf(o.site_url, sizeof(o.site_url), "%.*s",
		    (int)strcspn(conf->public_url, "?#"), conf->public_url);
	else
		snprintf(o.site_url, sizeof(o.site_url), "http://localhost:%u",
		    (unsigned)conf->port);
	while (strlen(o.site_url) > 0 && o.site_url[strlen(o.site_url) - 1] == '/')
		o.site_url[strlen(o.site_url) - 1] = '\0';
	if ((size_t)snprintf(logins, sizeof(logins), "%s/demo-logins.txt",
	    conf->data_dir) < sizeof(logins))
		o.logins_path = logins;
	o.data_dir = conf->data_dir;

	if ((r = rp_store_open(conf->data_dir, &st)) != 0) {
		fprintf(stderr, "rentport seed: cannot open the core store in "
		    "%s: %s\n", conf->data_dir, rp_strerror(r));
		goto out;
	}
	rp_order_filter_init(&f);
	if (if_empty) {
		if ((r = rp_store_order_count(st, &f, &n)) != 0)
			goto fail;
		if (n > 0) {
			printf("seed: the store already has %" PRIu64 " orders; "
			    "nothing to do (--if-empty)\n", n);
			print_saved_logins(o.logins_path);
			rc = 0;
			goto out;
		}
	}
	/* The access log first: its lock tells whether serve is running. */
	if ((r = rp_alog_store_open(conf->data_dir, conf, &alog)) != 0) {
		fprintf(stderr, "rentport seed: cannot open the access log in "
		    "%s: %s%s\n", conf->data_dir, rp_strerror(r),
		    r == RP_E_STATE ? " (it is locked while rentport serve "
		    "runs: stop rentport serve first)" : "");
		goto out;
	}
	rp_vault_logger_store(&lg, alog);
	if ((r = rp_vault_open(conf->data_dir, &lg, &vault)) != 0) {
		fprintf(stderr, "rentport seed: cannot open the vault in %s: "
		    "%s\n", conf->data_dir, rp_strerror(r));
		goto out;
	}
	if ((r = rp_seed_run(st, vault, &o, &res)) != 0)
		goto fail;
	printf("seeded %" PRIu64 " orders and %" PRIu64 " persons, order "
	    "dates %s .. %s, seed %" PRIu64 ", in %.1f s\n", res.orders,
	    res.persons, o.since, o.until, o.seed, res.seconds);
	for (i = 0; i < RP_CHANNEL_COUNT; i++) {
		f.channel = i;
		if (rp_store_order_count(st, &f, &n) == 0)
			printf("  %-10s %10" PRIu64 " orders in the store\n",
			    rp_channel_name(i), n);
	}
	rc = 0;
	goto out;
 fail:
	fprintf(stderr, "rentport seed: failed: %s\n", rp_strerror(r));
 out:
	rp_vault_free(vault);
	rp_alog_store_close(alog);
	rp_store_free(st);
	return rc;
}
