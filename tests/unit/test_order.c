/* SPDX-License-Identifier: ISC */
/*
 * test_order.c — the order service (src/order/): every validation error
 * code with Japanese and English input; quotes equal rp_quote on a seeded
 * store (corporate price list included); placing puts exactly one person
 * in a fake vault and stores the order as confirmed (invoice) or
 * awaiting_payment (card); idempotency keys replay, conflict and are per
 * tenant; a vault outage saves nothing; cancel and change are scoped to
 * the tenant, with the policy's fee and deadline; API keys are created,
 * found, refused when wrong or revoked, and never stored in clear.
 */
#include "util/common.h"
#include "alog/store.h"
#include "conf/conf.h"
#include "domain/date.h"
#include "order/order.h"
#include "seed/seed.h"
#include "store/store.h"
#include "vault/vault.h"

#include <ftw.h>
#include <sys/stat.h>

#include "tap.h"
#include "test_store_util.h"

#define S(lit)	((struct rp_str){ (lit), sizeof(lit) - 1 })

/* ---- fake vault --------------------------------------------------------- */

struct fake_vault {
	int puts;
	int fail;			/* 0, or the error to return */
	uint64_t next;
	uint32_t last_tenant;
	int last_channel;
	char last_name[256];
	/* a double submit arriving while the first is in the vault call */
	const struct rp_order_ctx *reenter;
	const struct rp_order_req *reenter_rq;
	int reenter_r;
};

static int
fake_put(void *arg, const struct rp_vault_person *p, uint32_t tenant,
    int channel, struct rp_str number, uint64_t *id)
{
	struct fake_vault *fv = arg;

	*id = 0;
	/* the number is reserved before the put, for the vault to bind */
	if (number.n != RP_ORDER_NUMBER_LEN || memcmp(number.p, "RP-", 3) != 0)
		return RP_E_PROTO;
	if (fv->fail)
		return fv->fail;
	if (fv->reenter != NULL) {
		const struct rp_order_ctx *c = fv->reenter;
		struct rp_order_result res;
		struct rp_order_errors e;

		fv->reenter = NULL;
		fv->reenter_r = rp_order_place(c, 0, RP_CHANNEL_PUBLIC, S("dbl"),
		    fv->reenter_rq, &res, &e);
	}
	fv->puts++;
	fv->last_tenant = tenant;
	fv->last_channel = channel;
	snprintf(fv->last_name, sizeof(fv->last_name), "%.*s",
	    (int)p->f[RP_VF_NAME].n, p->f[RP_VF_NAME].p);
	*id = ++fv->next;
	return 0;
}

/* ---- fixtures ------------------------------------------------------------ */

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(p);
}

static int
seed_catalogue(const char *dir)
{
	struct rp_seed_opts o;
	struct rp_seed_result res;
	struct rp_store *st = NULL;
	struct rp_alog_store *as = NULL;
	struct rp_vault *v = NULL;
	struct rp_vault_logger lg;
	struct rp_conf conf;
	int r;

	memset(&o, 0, sizeof(o));
	o.seed = 1;
	snprintf(o.since, sizeof(o.since), "2026-01-01");
	snprintf(o.until, sizeof(o.until), "2026-06-30");
	rp_conf_defaults(&conf);
	if ((r = rp_store_open(dir, &st)) == 0 &&
	    (r = rp_alog_store_open(dir, &conf, &as)) == 0) {
		rp_vault_logger_store(&lg, as);
		if ((r = rp_vault_open(dir, &lg, &v)) == 0)
			r = rp_seed_run(st, v, &o, &res);
	}
	rp_vault_free(v);
	rp_alog_store_close(as);
	rp_store_free(st);
	return r;
}

static int64_t
jst(int y, int m, int d, int hour)
{
	int64_t t = 0;

	if (rp_date_to_unix((struct rp_date){ y, m, d }, hour * 60,
	    RP_UTC_OFFSET_JST, &t) != 0)
		return 0;
	return t;
}

/* A valid Japanese public request: Narita pick-up and return. */
static void
req_ja(struct rp_order_req *rq)
{
	memset(rq, 0, sizeof(*rq));
	rq->plan = S("KR-R-1G");
	rq->qty = 1;
	rq->depart = S("2026-12-10");
	rq->ret = S("2026-12-12");
	rq->pickup = S("counter");
	rq->pickup_counter = S("NRT1");
	rq->return_method = S("counter");
	rq->return_counter = S("NRT1");
	rq->name = S("山田 太郎");
	rq->kana = S("ヤマダ タロウ");
	rq->email = S("taro.yamada@example.co.jp");
	rq->phone = S("090-1234-5678");
	rq->billing = S("card");
	rq->lang = S("ja");
}

static void
req_en(struct rp_order_req *rq)
{
	req_ja(rq);
	rq->name = S("Siobhan O'Brien");
	rq->kana = (struct rp_str){ "", 0 };
	rq->email = S("s.obrien+trip@example.ie");
	rq->phone = S("+353 1 234 5678");
	rq->lang = S("en");
}

static uint64_t
count_orders(struct rp_store *st)
{
	struct rp_order_filter f;
	uint64_t n = 0;

	rp_order_filter_init(&f);
	if (rp_store_order_count(st, &f, &n) != 0)
		return (uint64_t)-1;
	return n;
}

/* ---- validation ---------------------------------------------------------- */

static void
expect_err(const struct rp_order_req *rq, int64_t now, bool corp, int field,
    const char *code, const char *what)
{
	struct rp_order_errors e;
	const char *got;

	is_int(rp_order_validate(rq, now, corp, &e), RP_E_INVAL, what);
	got = rp_order_error_of(&e, field);
	is_str(got ? got : "(none)", code, what);
}

static void
test_validate(int64_t now)
{
	struct rp_order_req rq;
	struct rp_order_errors e;
	char *big, bad[8];

	req_ja(&rq);
	is_int(rp_order_validate(&rq, now, false, &e), 0, "Japanese request valid");
	is_int((int)e.n, 0, "no errors");
	req_en(&rq);
	is_int(rp_order_validate(&rq, now, false, &e), 0,
	    "English request with O'Brien valid");

	req_ja(&rq);
	rq.name = S("株式会社しののめ商事 総務部");
	is_int(rp_order_validate(&rq, now, false, &e), 0, "株式会社 in a name");
	rq.name = S("(株)テスト 花子");
	is_int(rp_order_validate(&rq, now, false, &e), 0, "(株) in a name");
	rq.name = S("ＹＡＭＡＤＡ　Ｔａｒｏ");
	is_int(rp_order_validate(&rq, now, false, &e), 0, "full-width romaji");
	rq.kana = S("やまだ・はなこー");
	is_int(rp_order_validate(&rq, now, false, &e), 0, "hiragana, ・ and ー");
	req_ja(&rq);
	rq.pickup = S("courier");
	rq.pickup_counter = (struct rp_str){ "", 0 };
	rq.postal_code = S("〒１００－０００１");
	rq.address = S("東京都千代田区千代田１－２－３ ハイツ１０１");
	is_int(rp_order_validate(&rq, now, false, &e), 0,
	    "full-width 1-2-3 address and postal code");
	rq.phone = S("０９０－１２３４－５６７８");
	is_int(rp_order_validate(&rq, now, false, &e), 0, "full-width phone");

	/* one error each */
	req_ja(&rq);
	rq.ret = S("2026-12-09");
	expect_err(&rq, now, false, RP_OF_RETURN, "return_before_departure",
	    "return before departure");
	req_ja(&rq);
	rq.depart = S("2026-11-30");
	rq.ret = S("2026-12-03");
	expect_err(&rq, now, false, RP_OF_DEPART, "date_past", "departure in the past");
	req_ja(&rq);
	rq.depart = S("2026-02-30");
	expect_err(&rq, now, false, RP_OF_DEPART, "invalid_date", "2026-02-30");
	req_ja(&rq);
	rq.depart = S("12/10/2026");
	expect_err(&rq, now, false, RP_OF_DEPART, "invalid_date", "US date shape");

	big = malloc(10 * 1024);
	if (big == NULL)
		exit(1);
	memset(big, 'a', 10 * 1024);
	req_ja(&rq);
	rq.name = (struct rp_str){ big, 10 * 1024 };
	expect_err(&rq, now, false, RP_OF_NAME, "too_long", "10 KB name");
	rq.address = (struct rp_str){ big, 10 * 1024 };
	expect_err(&rq, now, false, RP_OF_ADDRESS, "too_long", "10 KB address");
	free(big);

	memcpy(bad, "Ta\xff\xfero", 6);
	req_ja(&rq);
	rq.name = (struct rp_str){ bad, 6 };
	expect_err(&rq, now, false, RP_OF_NAME, "invalid_utf8", "invalid UTF-8 name");
	memcpy(bad, "\xe3\x81", 2);	/* truncated あ */
	rq.name = (struct rp_str){ bad, 2 };
	expect_err(&rq, now, false, RP_OF_NAME, "invalid_utf8", "truncated UTF-8");
	req_ja(&rq);
	rq.name = S("山田\n太郎");
	expect_err(&rq, now, false, RP_OF_NAME, "invalid_char", "newline in a name");
	rq.name = S("Taro\x7f");
	expect_err(&rq, now, false, RP_OF_NAME, "invalid_char", "DEL in a name");
	rq.name = S("Taro\xc2\x85");
	expect_err(&rq, now, false, RP_OF_NAME, "invalid_char", "C1 NEL in a name");
	rq.name = S("   ");
	expect_err(&rq, now, false, RP_OF_NAME, "required", "blank name");
	rq.name = (struct rp_str){ "", 0 };
	expect_err(&rq, now, false, RP_OF_NAME, "required", "missing name");

	req_ja(&rq);
	rq.kana = S("yamada");
	expect_err(&rq, now, false, RP_OF_KANA, "kana_only", "romaji in kana");
	rq.kana = S("山田");
	expect_err(&rq, now, false, RP_OF_KANA, "kana_only", "kanji in kana");

	req_ja(&rq);
	rq.email = S("a@b");
	expect_err(&rq, now, false, RP_OF_EMAIL, "invalid_email", "a@b");
	rq.email = S("taro@@example.jp");
	expect_err(&rq, now, false, RP_OF_EMAIL, "invalid_email", "double @");
	rq.email = S("taro..y@example.jp");
	expect_err(&rq, now, false, RP_OF_EMAIL, "invalid_email", "double dot");
	rq.email = S("taro @example.jp");
	expect_err(&rq, now, false, RP_OF_EMAIL, "invalid_email", "space");
	rq.email = S("たろう@example.jp");
	expect_err(&rq, now, false, RP_OF_EMAIL, "invalid_email", "non-ASCII local");

	req_ja(&rq);
	rq.phone = S("abc");
	expect_err(&rq, now, false, RP_OF_PHONE, "invalid_phone", "phone abc");
	rq.phone = S("12-34");
	expect_err(&rq, now, false, RP_OF_PHONE, "invalid_phone", "too few digits");
	rq.phone = S("090+1234");
	expect_err(&rq, now, false, RP_OF_PHONE, "invalid_phone", "+ in the middle");

	req_ja(&rq);
	rq.pickup = S("courier");
	rq.pickup_counter = (struct rp_str){ "", 0 };
	expect_err(&rq, now, false, RP_OF_ADDRESS, "required",
	    "delivery needs an address");
	ok(rp_order_error_of(&e, RP_OF_POSTAL_CODE) == NULL ||
	    rp_order_validate(&rq, now, false, &e) != 0, "postal checked too");
	rq.postal_code = S("1000-01");
	rq.address = S("東京都千代田区1-2-3");
	expect_err(&rq, now, false, RP_OF_POSTAL_CODE, "invalid_postal_code",
	    "postal 1000-01");

	req_ja(&rq);
	rq.pickup = S("drone");
	expect_err(&rq, now, false, RP_OF_PICKUP, "invalid_choice", "pickup drone");
	req_ja(&rq);
	rq.pickup_counter = (struct rp_str){ "", 0 };
	expect_err(&rq, now, false, RP_OF_PICKUP_COUNTER, "required",
	    "counter pickup needs a counter");
	rq.pickup_counter = S("NRT 1");
	expect_err(&rq, now, false, RP_OF_PICKUP_COUNTER, "unknown_counter",
	    "malformed counter code");
	req_ja(&rq);
	rq.plan = S("KR R 1G<script>");
	expect_err(&rq, now, false, RP_OF_PLAN, "unknown_plan", "malformed plan");
	req_ja(&rq);
	rq.qty = 100;
	expect_err(&rq, now, false, RP_OF_QTY, "out_of_range", "qty 100");
	req_ja(&rq);
	rq.billing = S("invoice");
	expect_err(&rq, now, false, RP_OF_BILLING, "invalid_choice",
	    "invoice on the public site");
	rq.billing = (struct rp_str){ "", 0 };
	expect_err(&rq, now, false, RP_OF_BILLING, "required", "no billing");
	req_ja(&rq);
	rq.lang = S("fr");
	expect_err(&rq, now, false, RP_OF_LANG, "invalid_choice", "lang fr");
	req_ja(&rq);
	rq.n_options = 2;
	rq.options[0] = (struct rp_order_req_option){ S("battery"), 1 };
	rq.options[1] = (struct rp_order_req_option){ S("battery"), 1 };
	expect_err(&rq, now, false, RP_OF_OPTIONS, "duplicate", "option twice");
	rq.options[1] = (struct rp_order_req_option){ S("wifi extender"), 1 };
	expect_err(&rq, now, false, RP_OF_OPTIONS, "unknown_option",
	    "malformed option");
	req_ja(&rq);
	rq.employee_no = S("E-1234");
	expect_err(&rq, now, false, RP_OF_EMPLOYEE_NO, "invalid_choice",
	    "corporate field on the public site");
	is_int(rp_order_validate(&rq, now, true, &e), 0,
	    "employee number on a corporate site");
	rq.cost_centre = S("CC\x01");
	expect_err(&rq, now, true, RP_OF_COST_CENTRE, "invalid_char",
	    "control char in cost centre");

	/* all errors at once */
	req_ja(&rq);
	rq.ret = S("2026-12-01");
	rq.email = S("a@b");
	rq.phone = S("abc");
	rq.kana = S("taro");
	is_int(rp_order_validate(&rq, now, false, &e), RP_E_INVAL, "many errors");
	is_int((int)e.n, 4, "four errors reported, not just the first");
	ok(rp_order_error_of(&e, RP_OF_RETURN) && rp_order_error_of(&e, RP_OF_EMAIL) &&
	    rp_order_error_of(&e, RP_OF_PHONE) && rp_order_error_of(&e, RP_OF_KANA),
	    "each beside its field");
	is_str(rp_order_field_name(RP_OF_RETURN_COUNTER), "return_counter",
	    "field name");
}

/* ---- store-backed checks, quotes ----------------------------------------- */

static void
test_quote(struct rp_order_ctx *ctx, int64_t corp_tenant)
{
	struct rp_order_req rq;
	struct rp_order_errors e;
	struct rp_order_quote q;
	struct rp_plan plan;
	int64_t corp_yen = 0, save = ctx->now;

	req_ja(&rq);
	rq.n_options = 2;
	rq.options[0] = (struct rp_order_req_option){ S("insurance_light"), 1 };
	rq.options[1] = (struct rp_order_req_option){ S("battery"), 2 };
	is_int(rp_order_quote(ctx, 0, &rq, &q, &e), 0, "quote public");
	is_int((int)e.n, 0, "no errors");

	/* (test_order_quote.c compares with rp_quote itself) */
	is_int(rp_store_plan_get(ctx->st, "KR-R-1G", &plan), 0, "plan row");
	is_int(plan.daily_yen, 780, "seeded list price");
	is_int(q.days, 3, "three rental days");
	is_int((int)q.n_lines, 3, "rental, insurance, battery lines");
	is_int(q.lines[1].kind, RP_ORDER_LINE_INSURANCE, "insurance line");
	is_int(q.subtotal_yen, 780 * 3 + 150 * 3 + 200 * 2 * 3,
	    "subtotal = plan + insurance + 2 batteries, 3 days");
	is_int(q.tax_yen, q.subtotal_yen / 10, "10 % tax");

	/* courier round trip adds shipping */
	req_ja(&rq);
	rq.pickup = S("courier");
	rq.pickup_counter = (struct rp_str){ "", 0 };
	rq.return_method = S("courier");
	rq.return_counter = (struct rp_str){ "", 0 };
	rq.postal_code = S("100-0001");
	rq.address = S("東京都千代田区1-2-3");
	is_int(rp_order_quote(ctx, 0, &rq, &q, &e), 0, "quote courier");
	is_int(q.subtotal_yen, 780 * 3 + 1000, "courier round trip 1,000 yen");

	/* corporate price list */
	req_ja(&rq);
	rq.billing = S("invoice");
	is_int(rp_store_price_get(ctx->st, corp_tenant, plan.id, &corp_yen), 0,
	    "tenant price row");
	is_int(rp_order_quote(ctx, corp_tenant, &rq, &q, &e), 0, "quote corporate");
	is_int(q.lines[0].unit_yen, corp_yen, "corporate daily price used");
	ok(corp_yen < plan.daily_yen, "and it is the discounted one");

	/* store-backed errors */
	req_ja(&rq);
	rq.plan = S("XX-R-1G");
	is_int(rp_order_quote(ctx, 0, &rq, &q, &e), RP_E_INVAL, "unknown plan");
	is_str(rp_order_error_of(&e, RP_OF_PLAN), "unknown_plan", "unknown_plan");
	is_int(q.total_yen, 0, "no quote on error");
	req_ja(&rq);
	rq.pickup_counter = S("XXX9");
	rq.n_options = 1;
	rq.options[0] = (struct rp_order_req_option){ S("jetpack"), 1 };
	is_int(rp_order_quote(ctx, 0, &rq, &q, &e), RP_E_INVAL, "unknown counter");
	is_str(rp_order_error_of(&e, RP_OF_PICKUP_COUNTER), "unknown_counter",
	    "unknown_counter");
	is_str(rp_order_error_of(&e, RP_OF_OPTIONS), "unknown_option",
	    "unknown_option at the same time");
	req_ja(&rq);
	rq.billing = S("invoice");
	is_int(rp_order_quote(ctx, corp_tenant + 1, &rq, &q, &e), RP_E_INVAL,
	    "invoice for a card-billed client");
	is_str(rp_order_error_of(&e, RP_OF_BILLING), "invalid_choice",
	    "billing refused");
	is_int(rp_order_quote(ctx, 99999, &rq, &q, &e), RP_E_NOTFOUND,
	    "unknown tenant");
	req_ja(&rq);
	rq.ret = S("2027-12-31");
	is_int(rp_order_quote(ctx, 0, &rq, &q, &e), RP_E_INVAL, "a year's rental");
	is_str(rp_order_error_of(&e, RP_OF_RETURN), "rental_too_long",
	    "rental_too_long");

	/* Narita: orders close at noon the day before departure (JST) */
	req_ja(&rq);
	rq.depart = S("2026-12-10");
	ctx->now = jst(2026, 12, 9, 11);
	is_int(rp_order_quote(ctx, 0, &rq, &q, &e), 0, "Narita, 11:00 the day before");
	ctx->now = jst(2026, 12, 9, 12);
	is_int(rp_order_quote(ctx, 0, &rq, &q, &e), RP_E_INVAL,
	    "Narita, 12:00 the day before");
	is_str(rp_order_error_of(&e, RP_OF_PICKUP_COUNTER), "deadline_passed",
	    "deadline_passed");
	ctx->now = jst(2026, 12, 9, 15);
	rq.pickup_counter = S("HND3");
	is_int(rp_order_quote(ctx, 0, &rq, &q, &e), RP_E_INVAL,
	    "Haneda after noon the day before");
	rq.pickup_counter = S("CTS");
	ctx->now = jst(2026, 12, 7, 11);
	is_int(rp_order_quote(ctx, 0, &rq, &q, &e), 0, "New Chitose 3 days before");
	ctx->now = save;
}

/* The alternatives of a sold-out order are counters that still take it:
 * routers left only at HND3 (orders close at noon the day before) and
 * CTS (three days before); at NRT1 two days before departure, HND3 is
 * offered and CTS is not — four days before, both are. */
static void
test_alternatives(struct rp_order_ctx *ctx)
{
	struct rp_counter hnd, cts;
	struct rp_device *ds = NULL;
	struct rp_order_req rq;
	struct rp_order_quote q;
	struct rp_order_errors e;
	bool at_hnd, at_cts;
	int64_t save = ctx->now;
	size_t n = 0, lost = 0;

	ok(rp_store_counter_get(ctx->st, "HND3", &hnd) == 0 &&
	    rp_store_counter_get(ctx->st, "CTS", &cts) == 0, "HND3 and CTS");
	ok(rp_store_device_list(ctx->st, -1, -1, &ds, &n) == 0 && n > 0,
	    "the units");
	for (size_t i = 0; i < n; i++)
		if (ds[i].kind == RP_DEVICE_ROUTER && ds[i].status ==
		    RP_DEVSTAT_AVAILABLE && ds[i].counter_id != hnd.id &&
		    ds[i].counter_id != cts.id && rp_store_device_update(
		    ctx->st, ds[i].id, RP_DEVSTAT_LOST, ds[i].counter_id) == 0)
			lost++;
	ok(lost > 0, "routers elsewhere lost");
	for (int k = 0; k < 2; k++) {
		req_ja(&rq);
		rq.depart = S("2026-12-10");
		ctx->now = jst(2026, 12, k == 0 ? 8 : 6, 11);
		is_int(rp_order_quote(ctx, 0, &rq, &q, &e), RP_E_FULL,
		    "NRT1 sold out");
		at_hnd = at_cts = false;
		for (size_t i = 0; i < e.n_alt; i++) {
			at_hnd |= strcmp(e.alt[i].counter, "HND3") == 0;
			at_cts |= strcmp(e.alt[i].counter, "CTS") == 0;
		}
		ok(at_hnd, "HND3 offered");
		ok(k == 0 ? !at_cts : at_cts, k == 0 ?
		    "CTS, closed for this departure, not offered" :
		    "CTS offered while it still takes orders");
	}
	for (size_t i = 0; i < n; i++)
		if (ds[i].kind == RP_DEVICE_ROUTER && ds[i].status ==
		    RP_DEVSTAT_AVAILABLE && ds[i].counter_id != hnd.id &&
		    ds[i].counter_id != cts.id && rp_store_device_update(
		    ctx->st, ds[i].id, RP_DEVSTAT_AVAILABLE,
		    ds[i].counter_id) == 0)
			lost--;
	is_int(lost, 0, "and found again");
	free(ds);
	ctx->now = save;
}

/* ---- placing, idempotency -------------------------------------------------- */

static void
test_place(struct rp_order_ctx *ctx, struct fake_vault *fv, int64_t t_inv,
    int64_t t_card)
{
	struct rp_order_req rq;
	struct rp_order_errors e;
	struct rp_order_result res, res2;
	struct rp_order o;
	struct rp_order_event *ev = NULL;
	struct rp_order_quote q;
	uint64_t before;
	size_t nev = 0;
	int puts;

	/* corporate, invoice → confirmed */
	req_ja(&rq);
	rq.billing = S("invoice");
	rq.department = S("海外事業部");
	rq.employee_no = S("E-00123");
	rq.cost_centre = S("CC-410");
	before = count_orders(ctx->st);
	puts = fv->puts;
	is_int(rp_order_place(ctx, t_inv, RP_CHANNEL_CORPORATE, S(""), &rq, &res,
	    &e), 0, "place corporate invoice order");
	is_int(fv->puts, puts + 1, "vault got exactly one put");
	is_int((int)fv->last_tenant, (int)t_inv, "put under the tenant");
	is_str(fv->last_name, "山田 太郎", "the traveller's name went to the vault");
	is_int((int)count_orders(ctx->st), (int)before + 1, "one order row");
	is_int(res.status, RP_ORDER_CONFIRMED, "invoice → confirmed");
	is_int(rp_store_order_get(ctx->st, res.number, &o), 0, "order in store");
	is_int(o.status, RP_ORDER_CONFIRMED, "stored confirmed");
	is_int(o.tenant_id, t_inv, "stored tenant");
	is_int(o.person_id, (long long)fv->next, "person id from the vault");
	is_int(o.total_yen, res.total_yen, "stored total");
	is_int(rp_order_quote(ctx, t_inv, &rq, &q, &e), 0, "requote");
	is_int(o.total_yen, q.total_yen, "total = quote");
	is_str(o.depart_date, "2026-12-10", "departure stored");
	is_int(rp_store_order_events(ctx->st, o.id, &ev, &nev), 0, "events");
	is_int((int)nev, 2, "created + confirmed");
	if (nev == 2)
		is_int(ev[1].to, RP_ORDER_CONFIRMED, "event to confirmed");
	free(ev);

	/* public, card → awaiting_payment */
	req_en(&rq);
	is_int(rp_order_place(ctx, 0, RP_CHANNEL_PUBLIC, S("k-1"), &rq, &res, &e), 0,
	    "place public card order");
	is_int(res.status, RP_ORDER_AWAITING_PAYMENT, "card → awaiting_payment");
	is_int(rp_store_order_get(ctx->st, res.number, &o), 0, "stored");
	is_int(o.status, RP_ORDER_AWAITING_PAYMENT, "stored awaiting_payment");
	is_int(o.tenant_id, 0, "public: no tenant");
	ok(!res.replayed, "first placement is not a replay");

	/* double submit with the same key → one order, same number */
	before = count_orders(ctx->st);
	puts = fv->puts;
	is_int(rp_order_place(ctx, 0, RP_CHANNEL_PUBLIC, S("k-1"), &rq, &res2, &e),
	    0, "same key, same request");
	is_str(res2.number, res.number, "same number");
	is_int(res2.total_yen, res.total_yen, "same total");
	ok(res2.replayed, "marked as replayed");
	is_int((int)count_orders(ctx->st), (int)before, "no second order");
	is_int(fv->puts, puts, "no second vault put");

	/* same key, another body → conflict */
	rq.ret = S("2026-12-13");
	is_int(rp_order_place(ctx, 0, RP_CHANNEL_PUBLIC, S("k-1"), &rq, &res2, &e),
	    RP_E_EXISTS, "same key, different request: conflict");
	is_int((int)count_orders(ctx->st), (int)before, "nothing placed");
	ok(res2.number[0] == '\0', "no number on conflict");

	/* keys are per tenant */
	req_ja(&rq);
	is_int(rp_order_place(ctx, t_card, RP_CHANNEL_CORPORATE, S("k-1"), &rq,
	    &res2, &e), 0, "same key under another tenant");
	ok(strcmp(res2.number, res.number) != 0, "is a different order");
	is_int(res2.status, RP_ORDER_AWAITING_PAYMENT, "card-billed client");

	/* invalid → nothing saved, key not consumed */
	before = count_orders(ctx->st);
	puts = fv->puts;
	req_ja(&rq);
	rq.email = S("a@b");
	is_int(rp_order_place(ctx, 0, RP_CHANNEL_PUBLIC, S("k-2"), &rq, &res2, &e),
	    RP_E_INVAL, "invalid request");
	is_str(rp_order_error_of(&e, RP_OF_EMAIL), "invalid_email", "its error");
	is_int((int)count_orders(ctx->st), (int)before, "nothing saved");
	is_int(fv->puts, puts, "vault untouched");
	req_ja(&rq);
	is_int(rp_order_place(ctx, 0, RP_CHANNEL_PUBLIC, S("k-2"), &rq, &res2, &e),
	    0, "corrected form with the same key goes through");

	/* vault unavailable → RP_E_AGAIN, nothing saved, key released */
	before = count_orders(ctx->st);
	fv->fail = RP_E_AGAIN;
	req_en(&rq);
	rq.depart = S("2026-12-20");
	rq.ret = S("2026-12-22");
	is_int(rp_order_place(ctx, 0, RP_CHANNEL_PUBLIC, S("k-3"), &rq, &res2, &e),
	    RP_E_AGAIN, "vault down → RP_E_AGAIN");
	is_int((int)count_orders(ctx->st), (int)before, "no order row");
	fv->fail = 0;
	is_int(rp_order_place(ctx, 0, RP_CHANNEL_PUBLIC, S("k-3"), &rq, &res2, &e),
	    0, "retry with the same key after the vault is back");
	ok(!res2.replayed, "placed, not replayed");
	is_int((int)count_orders(ctx->st), (int)before + 1, "one order now");

	/* a second submit while the first is still placing → try again */
	before = count_orders(ctx->st);
	req_ja(&rq);
	fv->reenter = ctx;
	fv->reenter_rq = &rq;
	fv->reenter_r = 1;
	is_int(rp_order_place(ctx, 0, RP_CHANNEL_PUBLIC, S("dbl"), &rq, &res, &e),
	    0, "first submit placed");
	is_int(fv->reenter_r, RP_E_AGAIN, "concurrent same-key submit: RP_E_AGAIN");
	is_int((int)count_orders(ctx->st), (int)before + 1, "exactly one order");
	is_int(rp_order_place(ctx, 0, RP_CHANNEL_PUBLIC, S("dbl"), &rq, &res2, &e),
	    0, "and afterwards it replays");
	is_str(res2.number, res.number, "the same number");

	/* old records expire; a purged key places anew */
	{
		uint64_t purged = 0;

		is_int(rp_store_idem_purge(ctx->st, ctx->now + 1, &purged), 0,
		    "purge idempotency records");
		ok(purged >= 5, "every record so far purged");
		before = count_orders(ctx->st);
		is_int(rp_order_place(ctx, 0, RP_CHANNEL_PUBLIC, S("dbl"), &rq,
		    &res2, &e), 0, "same key after the purge");
		ok(!res2.replayed && strcmp(res2.number, res.number) != 0,
		    "is a new order");
		is_int((int)count_orders(ctx->st), (int)before + 1, "one more");
		is_int(rp_store_idem_purge(ctx->st, ctx->now - 1, &purged), 0,
		    "purge older ones only");
		is_int((int)purged, 0, "the new record stays");
	}

	/*
	 * A placement stuck "in progress" (its worker died) is taken over
	 * after RP_ORDER_IDEM_STALE — by one retry only: the takeover deletes
	 * exactly the row it saw, so a second, racing retry finds nothing to
	 * delete and is told to try again.
	 */
	{
		uint8_t h[RP_IDEM_HASH_LEN] = { 1 };
		int64_t t0 = ctx->now - RP_ORDER_IDEM_STALE - 10;

		is_int(rp_store_idem_reserve(ctx->st, 0, "stuck", h, t0), 0,
		    "a reservation left in progress");
		is_int(rp_store_idem_delete(ctx->st, 0, "stuck", t0 + 1),
		    RP_E_NOTFOUND, "takeover of a row not seen: refused");
		is_int(rp_store_idem_delete(ctx->st, 0, "stuck", t0), 0,
		    "takeover of the row seen: done once");
		is_int(rp_store_idem_delete(ctx->st, 0, "stuck", t0),
		    RP_E_NOTFOUND, "a racing second takeover: refused");
		is_int(rp_store_idem_reserve(ctx->st, 0, "stuck", h, t0), 0,
		    "stuck again");
		before = count_orders(ctx->st);
		is_int(rp_order_place(ctx, 0, RP_CHANNEL_PUBLIC, S("stuck"), &rq,
		    &res2, &e), RP_E_EXISTS,
		    "a different request under a stuck key still conflicts");
		is_int((int)count_orders(ctx->st), (int)before, "no order");
	}

	/* bad arguments */
	is_int(rp_order_place(ctx, 0, RP_CHANNEL_CORPORATE, S(""), &rq, &res2, &e),
	    RP_E_INVAL, "corporate channel without tenant");
	is_int(rp_order_place(ctx, 0, RP_CHANNEL_PUBLIC, S("bad key"), &rq, &res2,
	    &e), RP_E_INVAL, "idempotency key with a space");
}

/* ---- cancel and change --------------------------------------------------- */

static void
test_cancel_change(struct rp_order_ctx *ctx, int64_t t_inv, int64_t t_card)
{
	struct rp_order_req rq;
	struct rp_order_errors e;
	struct rp_order_result res, res2;
	struct rp_order_change_req ch;
	struct rp_order o;
	struct rp_order_quote q;
	int64_t fee = -1, save = ctx->now;
	struct rp_str num;

	req_ja(&rq);
	rq.billing = S("invoice");
	is_int(rp_order_place(ctx, t_inv, RP_CHANNEL_CORPORATE, S("c-1"), &rq,
	    &res, &e), 0, "order to change and cancel");
	num = (struct rp_str){ res.number, strlen(res.number) };

	/* another tenant, or the public site, sees nothing */
	memset(&ch, 0, sizeof(ch));
	ch.depart = S("2026-12-20");
	ch.ret = S("2026-12-24");
	is_int(rp_order_change(ctx, t_card, num, &ch, &res2, &e), RP_E_NOTFOUND,
	    "change by another tenant: not found");
	is_int(rp_order_cancel(ctx, t_card, num, &fee), RP_E_NOTFOUND,
	    "cancel by another tenant: not found");
	is_int(rp_order_cancel(ctx, 0, num, &fee), RP_E_NOTFOUND,
	    "cancel from the public site: not found");
	is_int(rp_order_cancel(ctx, t_inv, S("RP-00000000"), &fee), RP_E_NOTFOUND,
	    "unknown number");
	is_int(rp_store_order_get(ctx->st, res.number, &o), 0, "still there");
	is_int(o.status, RP_ORDER_CONFIRMED, "unchanged");

	/* change: new dates, one option, re-priced */
	ch.set_options = true;
	ch.n_options = 1;
	ch.options[0] = (struct rp_order_req_option){ S("battery"), 1 };
	is_int(rp_order_change(ctx, t_inv, num, &ch, &res2, &e), 0, "change");
	is_int(rp_store_order_get(ctx->st, res.number, &o), 0, "reload");
	is_str(o.depart_date, "2026-12-20", "new departure");
	is_str(o.return_date, "2026-12-24", "new return");
	is_int((int)o.noptions, 1, "one option");
	rq.depart = S("2026-12-20");
	rq.ret = S("2026-12-24");
	rq.n_options = 1;
	rq.options[0] = ch.options[0];
	is_int(rp_order_quote(ctx, t_inv, &rq, &q, &e), 0, "quote of the change");
	is_int(o.total_yen, q.total_yen, "re-priced like a new quote");
	is_int(res2.total_yen, q.total_yen, "result total");
	ch.ret = S("2026-12-19");
	is_int(rp_order_change(ctx, t_inv, num, &ch, &res2, &e), RP_E_INVAL,
	    "change with return before departure");
	is_str(rp_order_error_of(&e, RP_OF_RETURN), "return_before_departure",
	    "its error");

	/* after the change deadline (3 days before, 24:00) */
	ctx->now = jst(2026, 12, 18, 10);
	ch.ret = S("2026-12-25");
	is_int(rp_order_change(ctx, t_inv, num, &ch, &res2, &e), RP_E_DENIED,
	    "change after the deadline");

	/* cancel 2 days before: the 100 % tier of the default policy */
	is_int(rp_order_cancel(ctx, t_inv, num, &fee), 0, "cancel");
	is_int(fee, o.subtotal_yen, "fee 100 % of the subtotal (< 4 days)");
	is_int(rp_store_order_get(ctx->st, res.number, &o), 0, "reload");
	is_int(o.status, RP_ORDER_CANCELLED, "cancelled");
	is_int(rp_order_cancel(ctx, t_inv, num, &fee), RP_E_STATE, "twice: state");
	ctx->now = save;

	/* an early cancellation is free */
	req_en(&rq);
	is_int(rp_order_place(ctx, 0, RP_CHANNEL_PUBLIC, S("c-2"), &rq, &res, &e),
	    0, "public order");
	num = (struct rp_str){ res.number, strlen(res.number) };
	is_int(rp_order_cancel(ctx, t_inv, num, &fee), RP_E_NOTFOUND,
	    "a tenant cannot cancel a public order");
	is_int(rp_order_cancel(ctx, 0, num, &fee), 0, "cancel 9 days before");
	is_int(fee, 0, "no fee (>= 4 days)");
}

/* ---- reads ---------------------------------------------------------------- */

static void
test_reads(struct rp_order_ctx *ctx, int64_t t_inv, int64_t t_card)
{
	struct rp_order_req rq;
	struct rp_order_errors e;
	struct rp_order_result res;
	struct rp_order_plan *pl = NULL;
	struct rp_order_view v;
	struct rp_str num;
	size_t n = 0, i;
	bool all_kr = true, disc = true;

	is_int(rp_order_plans(ctx, 0, S("KR"), &pl, &n), 0, "plans for KR");
	is_int((int)n, 5, "five KR plans");
	for (i = 0; i < n; i++)
		all_kr = all_kr && strcmp(pl[i].destination, "KR") == 0 &&
		    !pl[i].corporate_price;
	ok(all_kr, "all KR, list prices");
	ok(n > 1 && strcmp(pl[1].code, "KR-R-1G") == 0 && pl[1].daily_yen == 780,
	    "KR-R-1G at 780 yen");
	free(pl);
	is_int(rp_order_plans(ctx, t_inv, S("KR"), &pl, &n), 0, "tenant plans");
	for (i = 0; i < n; i++)
		disc = disc && pl[i].corporate_price;
	ok(n == 5 && disc && pl[1].daily_yen == 660, "tenant's price list (660)");
	free(pl);
	is_int(rp_order_plans(ctx, 0, (struct rp_str){ "", 0 }, &pl, &n), 0,
	    "all plans");
	ok(n > 100, "over a hundred plans");
	free(pl);
	is_int(rp_order_plans(ctx, 0, S("K R"), &pl, &n), RP_E_INVAL,
	    "bad destination");
	ok(pl == NULL && n == 0, "nothing returned");
	is_int(rp_order_plans(ctx, 0, S("ZZ"), &pl, &n), 0, "no such destination");
	is_int((int)n, 0, "empty");
	free(pl);

	req_ja(&rq);
	rq.billing = S("invoice");
	rq.n_options = 1;
	rq.options[0] = (struct rp_order_req_option){ S("battery"), 2 };
	is_int(rp_order_place(ctx, t_inv, RP_CHANNEL_CORPORATE, S("r-1"), &rq,
	    &res, &e), 0, "order to read");
	num = (struct rp_str){ res.number, strlen(res.number) };
	is_int(rp_order_get(ctx, t_inv, num, &v), 0, "get own order");
	is_str(v.number, res.number, "number");
	is_str(v.status, "confirmed", "status");
	is_str(v.plan, "KR-R-1G", "plan code");
	is_str(v.pickup_counter, "NRT1", "counter code");
	ok(v.n_options == 1 && strcmp(v.options[0].code, "battery") == 0 &&
	    v.options[0].qty == 2, "options by code");
	is_int(v.total_yen, res.total_yen, "total");
	is_int(rp_order_get(ctx, t_card, num, &v), RP_E_NOTFOUND,
	    "another tenant: not found");
	ok(v.number[0] == '\0' && v.total_yen == 0, "and nothing leaks");
	is_int(rp_order_get(ctx, 0, num, &v), RP_E_NOTFOUND, "public: not found");
	is_int(rp_order_get(ctx, t_inv, S("RP-ZZZZZZZZ"), &v), RP_E_NOTFOUND,
	    "unknown number");
	is_int(rp_order_get(ctx, t_inv, S("'; DROP TABLE orders; --"), &v),
	    RP_E_NOTFOUND, "garbage number");
}

/* ---- API keys ------------------------------------------------------------ */

int
main(void)
{
	char dirbuf[256], *dir;
	struct rp_store *st = NULL;
	struct rp_order_ctx ctx;
	struct fake_vault fv;
	struct rp_tenant ti, tc;
	int64_t now = jst(2026, 12, 1, 10);

	test_validate(now);

	if ((dir = tmpdir_make(dirbuf, sizeof(dirbuf))) == NULL) {
		ok(0, "mkdtemp");
		return tap_done();
	}
	is_int(seed_catalogue(dir), 0, "seed the catalogue");
	is_int(rp_store_open(dir, &st), 0, "open store");
	if (st == NULL)
		goto out;
	is_int(rp_store_tenant_get(st, "shinonome-shoji", &ti), 0, "invoice tenant");
	is_int(rp_store_tenant_get(st, "seiso-eng", &tc), 0, "card tenant");
	ok(ti.billing == RP_BILLING_INVOICE && tc.billing == RP_BILLING_CARD &&
	    tc.id == ti.id + 1, "seeded billing kinds");

	memset(&fv, 0, sizeof(fv));
	memset(&ctx, 0, sizeof(ctx));
	ctx.st = st;
	ctx.vault.put = fake_put;
	ctx.vault.arg = &fv;
	ctx.now = now;

	test_quote(&ctx, ti.id);
	test_alternatives(&ctx);
	test_place(&ctx, &fv, ti.id, tc.id);
	test_cancel_change(&ctx, ti.id, tc.id);
	test_reads(&ctx, ti.id, tc.id);
 out:
	rp_store_free(st);
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
