/* SPDX-License-Identifier: ISC */
/*
 * test_order_quote.c — rp_order_quote on a seeded store gives exactly
 * what the domain's rp_quote gives for the same plan, options, dates,
 * handover and price list (public and corporate, counter and courier).
 * A file of its own because domain/policy.h and store/store.h cannot be
 * included together (both name RP_DEVICE_*): the store is reached only
 * through order.h and the seed command here.
 */
#include "util/common.h"
#include "alog/store.h"
#include "conf/conf.h"
#include "domain/pricing.h"
#include "order/order.h"
#include "seed/seed.h"
#include "vault/vault.h"

#include <ftw.h>
#include <sys/stat.h>

#include "tap.h"
#include "test_store_util.h"

#define S(lit)	((struct rp_str){ (lit), sizeof(lit) - 1 })

/* From store.h (not includable here, see above). */
int rp_store_open(const char *data_dir, struct rp_store **out);
void rp_store_free(struct rp_store *st);

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(p);
}

static int
no_put(void *arg, const struct rp_vault_person *p, uint32_t tenant,
    int channel, struct rp_str number, uint64_t *id)
{
	(void)arg; (void)p; (void)tenant; (void)channel; (void)number;
	*id = 0;
	return RP_E_STATE;
}

static void
same(const struct rp_order_quote *a, const struct rp_quote *b, const char *what)
{
	size_t i;
	bool lines = a->n_lines == b->n_lines;

	for (i = 0; lines && i < a->n_lines; i++)
		lines = a->lines[i].kind == (int)b->lines[i].kind &&
		    strcmp(a->lines[i].code, b->lines[i].code) == 0 &&
		    a->lines[i].unit_yen == b->lines[i].unit_yen &&
		    a->lines[i].quantity == b->lines[i].quantity &&
		    a->lines[i].days == b->lines[i].days &&
		    a->lines[i].amount_yen == b->lines[i].amount_yen;
	is_int(a->total_yen, b->total_yen, what);
	ok(a->subtotal_yen == b->subtotal_yen && a->tax_yen == b->tax_yen &&
	    a->days == b->days && lines, "lines, subtotal, tax and days too");
}

int
main(void)
{
	char dirbuf[256], *dir, err[RP_POLICY_ERR_MAX];
	struct rp_seed_opts so;
	struct rp_seed_result sr;
	struct rp_store *st = NULL;
	struct rp_alog_store *as = NULL;
	struct rp_vault *v = NULL;
	struct rp_vault_logger lg;
	struct rp_conf conf;
	struct rp_order_ctx ctx;
	struct rp_order_req rq;
	struct rp_order_errors e;
	struct rp_order_quote q;
	struct rp_policy pol;
	struct rp_quote want;
	struct rp_quote_in in;
	struct rp_quote_option qo[2];
	int r;

	if ((dir = tmpdir_make(dirbuf, sizeof(dirbuf))) == NULL) {
		ok(0, "mkdtemp");
		return tap_done();
	}
	memset(&so, 0, sizeof(so));
	so.seed = 1;
	snprintf(so.since, sizeof(so.since), "2026-01-01");
	snprintf(so.until, sizeof(so.until), "2026-06-30");
	rp_conf_defaults(&conf);
	if ((r = rp_store_open(dir, &st)) == 0 &&
	    (r = rp_alog_store_open(dir, &conf, &as)) == 0) {
		rp_vault_logger_store(&lg, as);
		if ((r = rp_vault_open(dir, &lg, &v)) == 0)
			r = rp_seed_run(st, v, &so, &sr);
	}
	is_int(r, 0, "seeded catalogue");
	rp_vault_free(v);
	rp_alog_store_close(as);
	if (r != 0)
		goto out;
	is_int(rp_policy_load_default(&pol, err, sizeof(err)), 0, "default policy");

	memset(&ctx, 0, sizeof(ctx));
	ctx.st = st;
	ctx.vault.put = no_put;
	is_int(rp_date_to_unix((struct rp_date){ 2026, 12, 1 }, 600,
	    RP_UTC_OFFSET_JST, &ctx.now), 0, "now: 2026-12-01 10:00 JST");

	/* public: US unlimited router x2, full insurance, 3 batteries, NRT→HND */
	memset(&rq, 0, sizeof(rq));
	rq.plan = S("US-R-UNL");
	rq.qty = 2;
	rq.n_options = 2;
	rq.options[0] = (struct rp_order_req_option){ S("insurance_full"), 2 };
	rq.options[1] = (struct rp_order_req_option){ S("battery"), 3 };
	rq.depart = S("2026-12-24");
	rq.ret = S("2027-01-03");
	rq.pickup = S("counter");
	rq.pickup_counter = S("NRT2");
	rq.return_method = S("counter");
	rq.return_counter = S("HND3");
	rq.name = S("Jane Doe");
	rq.email = S("jane@example.com");
	rq.phone = S("+1 212 555 0100");
	rq.billing = S("card");
	is_int(rp_order_quote(&ctx, 0, &rq, &q, &e), 0, "quote");

	memset(&in, 0, sizeof(in));
	in.plan_code = S("US-R-UNL");
	in.device = RP_DEVICE_ROUTER;
	in.daily_yen = 1680;		/* seed: far destinations, unlimited */
	in.quantity = 2;
	in.insurance = S("full");
	qo[0] = (struct rp_quote_option){ S("battery"), RP_CHARGE_PER_DAY, 200, 3 };
	in.options = qo;
	in.n_options = 1;
	in.departure = (struct rp_date){ 2026, 12, 24 };
	in.return_date = (struct rp_date){ 2027, 1, 3 };
	in.shipping = RP_SHIP_COUNTER;
	is_int(rp_quote(&pol, &in, &want), 0, "rp_quote");
	same(&q, &want, "public counter quote = rp_quote");
	is_int(q.days, 11, "11 days over New Year");

	/* corporate (tenant 1: 15 % off, rounded down to 10 yen), courier */
	rq.pickup = S("courier");
	rq.pickup_counter = (struct rp_str){ "", 0 };
	rq.return_method = S("post");
	rq.return_counter = (struct rp_str){ "", 0 };
	rq.postal_code = S("100-0005");
	rq.address = S("東京都千代田区丸の内１－１－１");
	rq.billing = S("invoice");
	is_int(rp_order_quote(&ctx, 1, &rq, &q, &e), 0, "corporate quote");
	in.corporate = true;
	in.corporate_daily_yen = 1680 * 85 / 100 / 10 * 10;
	in.shipping = RP_SHIP_COURIER;
	is_int(rp_quote(&pol, &in, &want), 0, "rp_quote corporate");
	same(&q, &want, "corporate courier quote = rp_quote");

	/* counter pick-up, courier return */
	rq.pickup = S("counter");
	rq.pickup_counter = S("KIX1");
	rq.return_method = S("courier");
	rq.n_options = 0;
	is_int(rp_order_quote(&ctx, 1, &rq, &q, &e), 0, "KIX, courier back");
	in.shipping = RP_SHIP_COUNTER_COURIER_BACK;
	in.insurance = (struct rp_str){ "", 0 };
	in.n_options = 0;
	is_int(rp_quote(&pol, &in, &want), 0, "rp_quote KIX");
	same(&q, &want, "counter + courier back quote = rp_quote");
 out:
	rp_store_free(st);
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
