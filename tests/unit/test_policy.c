/* SPDX-License-Identifier: ISC */
/*
 * test_policy.c — the policy document parser: the embedded default, every
 * kind of refusal (each naming its key), and robustness over truncated and
 * mutated copies of the default document.
 */
#include "util/common.h"

#include "domain/policy.h"
#include "tap.h"

static char errbuf[RP_POLICY_ERR_MAX];

/* The default document with the first `from` replaced by `to`. */
static char *
edit(const char *from, const char *to)
{
	struct rp_str d = rp_policy_default_json();
	const char *at;
	size_t pre, n;
	char *s;

	if (d.p == NULL || (at = strstr(d.p, from)) == NULL)
		return NULL;
	pre = (size_t)(at - d.p);
	n = d.n - strlen(from) + strlen(to);
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(s, d.p, pre);
	memcpy(s + pre, to, strlen(to));
	memcpy(s + pre + strlen(to), at + strlen(from), d.n - pre - strlen(from));
	s[n] = '\0';
	return s;
}

/* Applies an edit, parses, checks the code and that err starts with want. */
static void
refused(const char *from, const char *to, int code, const char *want)
{
	struct rp_policy p;
	char *doc = edit(from, to);
	char what[200];
	int r;

	if (doc == NULL) {
		ok(0, "edit target present");
		diag("missing: %s", from);
		return;
	}
	r = rp_policy_parse(rp_str_c(doc), &p, errbuf, sizeof(errbuf));
	(void)snprintf(what, sizeof(what), "refused with %d: %s", code, want);
	is_int(r, code, what);
	(void)snprintf(what, sizeof(what), "error names %s", want);
	if (!ok(strncmp(errbuf, want, strlen(want)) == 0, what))
		diag("err: %s", errbuf);
	ok(p.version == 0 && p.n_cancel == 0 && p.tax_bp == 0,
	    "policy zeroed on failure");
	free(doc);
}

static void
test_default(void)
{
	const struct rp_insurance *ins;
	struct rp_counter_rule rule;
	struct rp_policy p;
	enum rp_device dev;
	enum rp_item item;

	is_int(rp_policy_load_default(&p, errbuf, sizeof(errbuf)), 0,
	    "default policy loads");
	if (errbuf[0])
		diag("err: %s", errbuf);
	is_int(p.version, 1, "version");
	is_str(p.name, "rentport standard terms 2026", "name");
	is_int(p.day_rule, RP_DAY_RULE_CALENDAR_INCLUSIVE, "day rule");
	is_int(p.utc_offset_min, 540, "Japan time");
	is_int(p.max_rental_days, 180, "max rental days");
	is_int(p.tax_bp, 1000, "tax 10%");
	is_int(p.tax_rounding, RP_ROUND_FLOOR, "tax floor");
	is_int(p.ship_courier_round_trip_yen, 1000, "courier round trip");
	is_int(p.ship_courier_return_yen, 500, "courier return");
	is_int(p.change_deadline_days, 3, "change deadline");
	is_int(p.n_cancel, 2, "two cancellation tiers");
	ok(p.cancel[0].from_days_before == 4 && p.cancel[0].percent == 0 &&
	    p.cancel[1].from_days_before == 0 && p.cancel[1].percent == 100,
	    "free from 4 days, 100% after");
	is_int(p.late[RP_DEVICE_ROUTER].per_day_yen, 2000, "router late/day");
	is_int(p.late[RP_DEVICE_PHONE].per_day_yen, 1000, "phone late/day");
	is_int(p.late[RP_DEVICE_ROUTER].lost_after_days, 7, "lost after 7");
	ok(p.loss[RP_DEVICE_ROUTER][RP_ITEM_DEVICE].present &&
	    p.loss[RP_DEVICE_ROUTER][RP_ITEM_DEVICE].loss_yen == 15000 &&
	    p.loss[RP_DEVICE_ROUTER][RP_ITEM_SIM].loss_yen == 3000 &&
	    p.loss[RP_DEVICE_ROUTER][RP_ITEM_CASE].loss_yen == 1000,
	    "router loss schedule");
	ok(!p.loss[RP_DEVICE_SIM][RP_ITEM_CABLE].present,
	    "SIM kit has no cable");
	ok(!p.loss[RP_DEVICE_PHONE][RP_ITEM_DEVICE].insurable &&
	    p.loss[RP_DEVICE_PHONE][RP_ITEM_SIM].insurable,
	    "phone itself not insurable, its SIM is");
	is_int(p.service_fee_yen[RP_FEE_SUSPENSION], 1000, "suspension fee");
	is_int(p.n_insurance, 2, "two insurance tiers");
	ins = rp_policy_insurance(&p, RP_STR_LIT("full"));
	ok(ins != NULL && ins->daily_yen == 300 &&
	    ins->loss_covers_percent == 100 &&
	    ins->waives[RP_FEE_REPLACEMENT], "full tier");
	ins = rp_policy_insurance(&p, RP_STR_LIT("light"));
	ok(ins != NULL && ins->daily_yen == 150 &&
	    ins->loss_covers_percent == 80 &&
	    !ins->waives[RP_FEE_REPLACEMENT], "light tier");
	ok(rp_policy_insurance(&p, RP_STR_LIT("ful")) == NULL, "no tier ful");
	is_int(p.n_counters, 6, "six counters");
	is_int(rp_policy_counter_rule(&p, RP_STR_LIT("NRT"), &rule), 0, "NRT");
	ok(rule.days_before == 1 && rule.cutoff_hour == 12, "NRT noon -1d");
	is_int(rp_policy_counter_rule(&p, RP_STR_LIT("CTS"), &rule), 0, "CTS");
	ok(rule.days_before == 3 && rule.cutoff_hour == 12, "CTS noon -3d");
	is_int(rp_policy_counter_rule(&p, RP_STR_LIT("FUK"), &rule), 0, "FUK");
	ok(rule.days_before == 3 && rule.cutoff_hour == 24, "FUK -3d eod");
	is_int(rp_policy_counter_rule(&p, RP_STR_LIT("LHR"), &rule),
	    RP_E_NOTFOUND, "no LHR counter");

	is_int(rp_device_from_name(RP_STR_LIT("phone"), &dev), 0, "phone");
	is_int(dev, RP_DEVICE_PHONE, "phone enum");
	is_int(rp_device_from_name(RP_STR_LIT("Phone"), &dev), RP_E_NOTFOUND,
	    "device names are exact");
	is_int(rp_item_from_name(RP_STR_LIT("battery"), &item), 0, "battery");
	is_int(item, RP_ITEM_BATTERY, "battery enum");
	is_str(rp_item_name(RP_ITEM_CASE), "case", "item name");
	is_str(rp_device_name((enum rp_device)99), "?", "bad device name");
	ok(rp_code_valid(RP_STR_LIT("eu-50_1GB")), "code valid");
	ok(!rp_code_valid(RP_STR_LIT("")) && !rp_code_valid(RP_STR_LIT("a b")) &&
	    !rp_code_valid(RP_STR_LIT("123456789012345678901234567890123")),
	    "codes refused: empty, space, 33 bytes");
	rule.days_before = 1;
	rule.cutoff_hour = 25;
	is_int(rp_counter_rule_check(&rule), RP_E_RANGE, "cutoff 25 refused");
	rule.cutoff_hour = 24;
	is_int(rp_counter_rule_check(&rule), 0, "cutoff 24 accepted");
}

static void
test_refusals(void)
{
	struct rp_policy p;
	char *big;

	refused("\"version\": 1,", "\"version\": 1, \"versoin\": 2,",
	    RP_E_INVAL, "versoin: unknown key");
	refused("\"per_day_yen\": 2000,", "\"per_day_yen\": 2000, \"per_diem\": 1,",
	    RP_E_INVAL, "late.router.per_diem: unknown key");
	refused("\"courier_round_trip_yen\": 1000",
	    "\"courier_round_trip_yen\": -1000", RP_E_RANGE,
	    "shipping.courier_round_trip_yen: must be an integer 0..");
	refused("\"loss_yen\": 15000", "\"loss_yen\": -1", RP_E_RANGE,
	    "loss_damage.router.device.loss_yen:");
	refused("\"loss_yen\": 15000", "\"loss_yen\": 10000001", RP_E_RANGE,
	    "loss_damage.router.device.loss_yen:");
	refused("\"inspection_days\": 1", "\"inspection_days\": 15",
	    RP_E_RANGE, "stock.inspection_days: must be an integer 0..14");
	refused("\"courier_days\": 2", "\"courier_days\": 2, \"shelf\": 1",
	    RP_E_INVAL, "stock.shelf: unknown key");
	{
		/* without "stock": one inspection day, two courier days */
		char *doc = edit("\"stock\": { \"inspection_days\": 1, "
		    "\"courier_days\": 2 },", "");

		ok(doc != NULL && rp_policy_parse(rp_str_c(doc), &p, errbuf,
		    sizeof(errbuf)) == 0 && p.stock_inspection_days == 1 &&
		    p.stock_courier_days == 2, "no \"stock\": the defaults 1 and 2");
		free(doc);
		doc = edit("\"inspection_days\": 1", "\"inspection_days\": 3");
		ok(doc != NULL && rp_policy_parse(rp_str_c(doc), &p, errbuf,
		    sizeof(errbuf)) == 0 && p.stock_inspection_days == 3,
		    "stock.inspection_days 3 is read");
		free(doc);
	}
	refused("\"rate_bp\": 1000", "\"rate_bp\": \"1000\"", RP_E_INVAL,
	    "tax.rate_bp: must be an integer");
	refused("\"rate_bp\": 1000", "\"rate_bp\": 1000.0", RP_E_INVAL,
	    "tax.rate_bp: must be an integer");
	refused("\"rate_bp\": 1000", "\"rate_bp\": 5001", RP_E_RANGE,
	    "tax.rate_bp:");
	refused("\"rounding\": \"floor\"", "\"rounding\": \"banker\"",
	    RP_E_INVAL, "tax.rounding:");
	refused("\"percent\": 100", "\"percent\": 101", RP_E_RANGE,
	    "cancellation[1].percent:");
	refused("\"from_days_before\": 4", "\"from_days_before\": 0",
	    RP_E_RANGE, "cancellation[1].from_days_before: must be below");
	refused("{ \"from_days_before\": 0, \"percent\": 100 }",
	    "{ \"from_days_before\": 1, \"percent\": 100 }", RP_E_RANGE,
	    "cancellation[1].from_days_before: the last tier");
	refused("\"cancellation\": [", "\"cancellation\": 3, \"x\": [",
	    RP_E_INVAL, "x: unknown key");
	refused("\"change\": { \"deadline_days_before\": 3 },", "",
	    RP_E_INVAL, "change: missing");
	refused("\"change\": { \"deadline_days_before\": 3 }",
	    "\"change\": [3]", RP_E_INVAL, "change: must be an object");
	refused("\"waives\": [\"suspension\"]", "\"waives\": [\"lunch\"]",
	    RP_E_INVAL, "insurance[0].waives[0]:");
	refused("\"code\": \"full\"", "\"code\": \"light\"", RP_E_INVAL,
	    "insurance[1].code: duplicate");
	refused("\"code\": \"full\"", "\"code\": \"fu ll\"", RP_E_INVAL,
	    "insurance[1].code:");
	refused("\"calendar_inclusive\"", "\"noon_to_noon\"", RP_E_INVAL,
	    "days.rule:");
	refused("\"utc_offset_minutes\": 540", "\"utc_offset_minutes\": 900",
	    RP_E_RANGE, "days.utc_offset_minutes:");
	refused("\"max_rental_days\": 180", "\"max_rental_days\": 0",
	    RP_E_RANGE, "days.max_rental_days:");
	refused("\"days_before\": 3, \"cutoff_hour\": 12",
	    "\"days_before\": 3, \"cutoff_hour\": 25", RP_E_RANGE,
	    "counters.CTS.cutoff_hour:");
	refused("\"CTS\":", "\"C TS\":", RP_E_INVAL, "counters.C TS: counter");
	refused("\"phone\":  { \"per_day_yen\"", "\"tablet\": { \"per_day_yen\"",
	    RP_E_INVAL, "late.tablet: unknown key");
	refused("\"battery\": { \"loss_yen\": 2000", "\"batery\": { \"loss_yen\": 2000",
	    RP_E_INVAL, "loss_damage.router.batery: unknown key");
	refused("\"insurable\": false", "\"insurable\": 0", RP_E_INVAL,
	    "loss_damage.phone.device.insurable:");
	refused("\"device\":  { \"loss_yen\": 3000,  \"damage_yen\": 3000 }",
	    "\"sim\": { \"loss_yen\": 3000,  \"damage_yen\": 3000 }",
	    RP_E_INVAL, "loss_damage.sim.device: missing");
	refused("\"name\": \"rentport standard terms 2026\"", "\"name\": \"a\\u0001b\"",
	    RP_E_INVAL, "name: must not contain control");
	refused("\"name\": \"rentport standard terms 2026\"", "\"name\": \"\"",
	    RP_E_RANGE, "name:");
	refused("\"version\": 1,", "\"version\": 1, \"k\\u0001ey\": 1,",
	    RP_E_INVAL, "k?ey: unknown key");
	refused("\"version\": 1,", "\"version\": 1, \"version\": 2,",
	    RP_E_INVAL, "(document): malformed JSON");
	refused("\"version\": 1,", "\"version\": 1e0,", RP_E_INVAL,
	    "version: must be an integer");
	refused("\"version\": 1,", "\"version\": 99999999999999999999,",
	    RP_E_INVAL, "(document): malformed JSON");

	is_int(rp_policy_parse(RP_STR_LIT("[]"), &p, errbuf, sizeof(errbuf)),
	    RP_E_INVAL, "array refused");
	is_str(errbuf, "(document): must be a JSON object", "array error");
	is_int(rp_policy_parse(RP_STR_LIT(""), &p, errbuf, sizeof(errbuf)),
	    RP_E_INVAL, "empty refused");
	is_int(rp_policy_parse(RP_STR_LIT("{} x"), &p, errbuf, sizeof(errbuf)),
	    RP_E_INVAL, "trailing garbage refused");
	is_int(rp_policy_parse(RP_STR_LIT("{}"), &p, NULL, 0), RP_E_INVAL,
	    "NULL error buffer allowed");
	is_int(rp_policy_parse(RP_STR_LIT("{}"), &p, errbuf, 8), RP_E_INVAL,
	    "short error buffer");
	is_int((int)strlen(errbuf), 7, "error text truncated to its buffer");
	if ((big = calloc(1, RP_POLICY_MAX_BYTES + 1)) != NULL) {
		struct rp_str s = { big, RP_POLICY_MAX_BYTES + 1 };

		memset(big, ' ', RP_POLICY_MAX_BYTES + 1);
		big[0] = '{';
		big[RP_POLICY_MAX_BYTES] = '}';
		is_int(rp_policy_parse(s, &p, errbuf, sizeof(errbuf)),
		    RP_E_TOOBIG, "document over 64 KiB refused");
		free(big);
	}
}

/*
 * Every prefix of the default document, each in an exact-size heap block
 * so that ASan catches a read past its end: no crash, an error with a
 * message, except for the whole document (possibly minus trailing space).
 */
static void
test_truncated(void)
{
	struct rp_str d = rp_policy_default_json();
	struct rp_policy p;
	size_t n, full = d.n, unexpected = 0, accepted = 0;

	while (full > 0 && (d.p[full - 1] == '\n' || d.p[full - 1] == ' '))
		full--;
	for (n = 0; n <= d.n; n++) {
		char *copy = malloc(n ? n : 1);
		int r;

		if (copy == NULL)
			break;
		memcpy(copy, d.p, n);
		errbuf[0] = '\0';
		r = rp_policy_parse((struct rp_str){ copy, n }, &p, errbuf,
		    sizeof(errbuf));
		if (r == 0)
			accepted++;
		if ((n >= full) != (r == 0) || (r != 0 && errbuf[0] == '\0'))
			unexpected++;
		free(copy);
	}
	is_int(unexpected, 0, "every truncation refused with a message");
	is_int(accepted, d.n - full + 1, "only the whole document accepted");
}

/* Each byte replaced by a few troublesome ones: no crash, sane results. */
static void
test_mutated(void)
{
	static const char subst[] = { '"', '}', ']', '-', '9', 'x', '\0',
	    (char)0xff, ',', ' ' };
	struct rp_str d = rp_policy_default_json();
	struct rp_policy p;
	size_t i, j, runs = 0, insane = 0, accepted = 0;
	char *copy;

	if ((copy = malloc(d.n)) == NULL) {
		ok(0, "malloc");
		return;
	}
	for (i = 0; i < d.n; i++) {
		for (j = 0; j < sizeof(subst); j++) {
			int r;

			memcpy(copy, d.p, d.n);
			copy[i] = subst[j];
			errbuf[0] = '\0';
			r = rp_policy_parse((struct rp_str){ copy, d.n }, &p,
			    errbuf, sizeof(errbuf));
			runs++;
			if (r == 0) {
				accepted++;
				if (p.n_cancel < 1 || p.n_cancel >
				    RP_POLICY_MAX_CANCEL_TIERS ||
				    p.cancel[p.n_cancel - 1].from_days_before
				    != 0 || p.tax_bp > RP_POLICY_MAX_TAX_BP ||
				    p.max_rental_days < 1)
					insane++;
			} else if (errbuf[0] == '\0' || r >= 0)
				insane++;
		}
	}
	free(copy);
	ok(runs > 10000, "mutations run");
	is_int(insane, 0, "every mutation: valid policy or error message");
	ok(accepted > 0 && accepted < runs, "some harmless mutations accepted");
	diag("%zu mutations, %zu accepted", runs, accepted);
}

int
main(void)
{
	test_default();
	test_refusals();
	test_truncated();
	test_mutated();
	return tap_done();
}
