/* SPDX-License-Identifier: ISC */
/*
 * test_i18n.c — the ja/en catalogue: it loads, every key has both
 * languages, every {{t:key}} in the embedded templates exists, the
 * required message families are present, and the language choice from
 * query, cookie and Accept-Language with q-values.
 */
#include "util/common.h"
#include "util/embed.h"
#include "web/i18n.h"

#include "tap.h"

static void
test_catalogue(void)
{
	struct rp_buf err;
	struct rp_str k, ja, en;
	size_t i, n, missing = 0, same = 0;
	static const char *const need[] = {
		"site.name", "nav.home", "nav.catalog", "nav.quote",
		"nav.my_order", "home.title", "catalog.title", "plans.title",
		"quote.title", "order.name", "order.name.help", "order.kana",
		"order.kana.help", "order.email", "order.email.help",
		"order.phone", "order.phone.help", "order.address",
		"order.address.help", "order.depart", "order.return",
		"order.plan", "order.options", "order.pickup",
		"order.return_method", "review.title", "confirm.title",
		"myorder.title", "change.title", "cancel.title",
		"receipt.title", "err.date_past", "err.return_before_depart",
		"err.deadline_passed", "err.unknown_plan", "err.too_long",
		"err.invalid_chars", "err.email", "err.phone", "err.required",
		"err.double_submit", "http.403.text", "http.404.text",
		"http.413.text", "http.500.text", "http.503.text",
	};

	rp_buf_init(&err, 1024);
	is_int(rp_i18n_init(&err), 0, "catalogue loads");
	if (err.len)
		diag("%s", err.d);
	is_int(rp_i18n_init(&err), 0, "init is idempotent");
	n = rp_i18n_count();
	ok(n >= 80, "catalogue has the ordering-site messages");
	for (i = 0; i < n; i++) {
		k = rp_i18n_key(i);
		if (rp_i18n_get(RP_LANG_JA, k, &ja) != 0 ||
		    rp_i18n_get(RP_LANG_EN, k, &en) != 0 || ja.n == 0 ||
		    en.n == 0 || !rp_utf8_valid(ja) || !rp_utf8_valid(en)) {
			diag("key %.*s lacks a language", (int)k.n, k.p);
			missing++;
		}
		if (rp_str_eq(ja, en))
			same++;
		if (i > 0) {
			struct rp_str prev = rp_i18n_key(i - 1);
			size_t m = prev.n < k.n ? prev.n : k.n;
			int c = memcmp(prev.p, k.p, m);

			ok(c < 0 || (c == 0 && prev.n < k.n), "keys sorted") ;
		}
	}
	is_int((int)missing, 0, "every key has ja and en");
	ok(same < 8, "ja and en differ (only names like rentport agree)");
	for (i = 0; i < RP_ARRAY_LEN(need); i++)
		ok(rp_i18n_has(rp_str_c(need[i])), need[i]);
	ok(!rp_i18n_has(RP_STR_LIT("no.such.key")), "unknown key absent");
	ok(rp_i18n_get(RP_LANG_EN, RP_STR_LIT("nope"), &en) == RP_E_NOTFOUND &&
	    en.n == 0, "get of unknown key fails with empty view");
	is_int(rp_i18n_get(RP_LANG_EN, RP_STR_LIT("err.required"), &en), 0,
	    "get");
	ok(rp_str_eq_c(en, "This field is required."), "en text");
	ok(rp_str_eq_c(rp_i18n_str(RP_LANG_JA, "err.required"),
	    "この項目は必須です。"), "ja text");
	ok(rp_str_eq_c(rp_i18n_str(RP_LANG_JA, "zz.none"), "zz.none"),
	    "rp_i18n_str falls back to the key");
	rp_buf_release(&err);
}

/* Every {{t:key}} in every embedded template names a catalogue key. */
static void
test_template_keys(void)
{
	const struct rp_embed *e;
	const char *p, *q, *end;
	size_t used = 0, bad = 0, files = 0;
	struct rp_str key;

	for (e = rp_embedded; e->name != NULL; e++) {
		if (strncmp(e->name, "src/web/templates/", 18) != 0)
			continue;
		files++;
		p = e->data;
		end = e->data + e->len;
		while ((p = memmem(p, (size_t)(end - p), "{{t:", 4)) != NULL) {
			p += 4;
			if ((q = memmem(p, (size_t)(end - p), "}}", 2)) == NULL)
				break;
			key = rp_str_trim((struct rp_str){ p, (size_t)(q - p) });
			used++;
			if (!rp_i18n_has(key)) {
				diag("%s: unknown key %.*s", e->name,
				    (int)key.n, key.p);
				bad++;
			}
			p = q;
		}
	}
	ok(files >= 4, "templates are embedded");
	ok(used >= 20, "templates use the catalogue");
	is_int((int)bad, 0, "every {{t:key}} exists");
}

static void
test_pick(void)
{
	struct rp_str z = RP_STR_NULL;

	is_int(rp_i18n_pick(z, z, z), RP_LANG_JA, "default ja");
	is_int(rp_i18n_pick(RP_STR_LIT("en"), RP_STR_LIT("ja"),
	    RP_STR_LIT("ja")), RP_LANG_EN, "query wins");
	is_int(rp_i18n_pick(RP_STR_LIT("fr"), RP_STR_LIT("en"),
	    RP_STR_LIT("ja")), RP_LANG_EN, "bad query → cookie");
	is_int(rp_i18n_pick(z, RP_STR_LIT("xx"), RP_STR_LIT("en-US,en;q=0.9")),
	    RP_LANG_EN, "bad cookie → Accept-Language");
	is_int(rp_i18n_pick(z, z, RP_STR_LIT("ja;q=0.3, en-GB;q=0.8")),
	    RP_LANG_EN, "q-values order, not position");
	is_int(rp_i18n_pick(z, z, RP_STR_LIT("en;q=0.5, ja;q=0.9")),
	    RP_LANG_JA, "higher q for ja");
	is_int(rp_i18n_pick(z, z, RP_STR_LIT("fr, de;q=0.9, en;q=0.1")),
	    RP_LANG_EN, "only en acceptable");
	is_int(rp_i18n_pick(z, z, RP_STR_LIT("en;q=0")), RP_LANG_JA,
	    "q=0 excludes");
	is_int(rp_i18n_pick(z, z, RP_STR_LIT("en;q=1.5")), RP_LANG_JA,
	    "malformed q skipped");
	is_int(rp_i18n_pick(z, z, RP_STR_LIT("en;q=0.5,*;q=0.6")), RP_LANG_JA,
	    "* counts for ja");
	is_int(rp_i18n_pick(z, z, RP_STR_LIT("EN-us")), RP_LANG_EN,
	    "case-insensitive");
	is_int(rp_i18n_pick(z, z, RP_STR_LIT("en;foo=1")), RP_LANG_JA,
	    "unknown parameter skipped");
	is_int(rp_i18n_pick(z, z, RP_STR_LIT(",,,;,=,en;q=0.001")), RP_LANG_EN,
	    "junk tolerated");
}

int
main(void)
{
	test_catalogue();
	test_template_keys();
	test_pick();
	return tap_done();
}
