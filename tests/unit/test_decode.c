/* SPDX-License-Identifier: ISC */
/*
 * test_decode.c — path and form decoders (src/web/decode.c): accepted
 * inputs decode to the expected bytes, every class of bad input is
 * refused with the right error, caps hold, and failures leave no output.
 */
#include "util/common.h"
#include "web/decode.h"

#include "tap.h"

static void
path_ok(const char *raw, const char *want)
{
	struct rp_buf out;
	char what[256];
	int r;

	rp_buf_init(&out, 256);
	r = rp_path_decode(rp_str_c(raw), &out);
	snprintf(what, sizeof(what), "path %s decodes", raw);
	is_int(r, 0, what);
	snprintf(what, sizeof(what), "path %s → %s", raw, want);
	is_str(out.d ? out.d : "", want, what);
	rp_buf_release(&out);
}

static void
path_bad(const char *raw, size_t n, int want)
{
	struct rp_buf out;
	char what[256];
	int r;

	rp_buf_init(&out, 64);
	r = rp_path_decode((struct rp_str){ raw, n }, &out);
	snprintf(what, sizeof(what), "path %.*s refused (%d)", (int)n, raw, want);
	is_int(r, want, what);
	ok(out.len == 0, "refused path leaves the output empty");
	rp_buf_release(&out);
}

#define PATH_BAD(s, e) path_bad((s), sizeof(s) - 1, (e))

static void
test_path(void)
{
	path_ok("/", "/");
	path_ok("/healthz", "/healthz");
	path_ok("/static/style.css", "/static/style.css");
	path_ok("/c/acme/orders/R-12", "/c/acme/orders/R-12");
	path_ok("/a%20b", "/a b");
	path_ok("/%E6%97%A5%e6%9c%ac", "/日本");
	path_ok("/trailing/", "/trailing/");
	path_ok("/a.b/..c/...", "/a.b/..c/...");
	path_ok("/~user/@x:y;z=1,2!$&'()*+", "/~user/@x:y;z=1,2!$&'()*+");

	PATH_BAD("", RP_E_INVAL);
	PATH_BAD("healthz", RP_E_INVAL);
	PATH_BAD("http://x/", RP_E_INVAL);
	PATH_BAD("//etc/passwd", RP_E_INVAL);
	PATH_BAD("/a//b", RP_E_INVAL);
	PATH_BAD("/..", RP_E_INVAL);
	PATH_BAD("/a/../b", RP_E_INVAL);
	PATH_BAD("/a/./b", RP_E_INVAL);
	PATH_BAD("/a/.", RP_E_INVAL);
	PATH_BAD("/%2e%2e/x", RP_E_INVAL);
	PATH_BAD("/.%2E/x", RP_E_INVAL);
	PATH_BAD("/a%2Fb", RP_E_INVAL);
	PATH_BAD("/a%5cb", RP_E_INVAL);
	PATH_BAD("/a\\b", RP_E_INVAL);
	PATH_BAD("/a%00b", RP_E_INVAL);
	PATH_BAD("/a\0b", RP_E_INVAL);
	PATH_BAD("/a%0d%0aSet-Cookie:x", RP_E_INVAL);
	PATH_BAD("/a%7f", RP_E_INVAL);
	PATH_BAD("/a%", RP_E_INVAL);
	PATH_BAD("/a%4", RP_E_INVAL);
	PATH_BAD("/a%zz", RP_E_INVAL);
	PATH_BAD("/a b", RP_E_INVAL);
	PATH_BAD("/a#b", RP_E_INVAL);
	PATH_BAD("/<script>", RP_E_INVAL);
	PATH_BAD("/\xe6\x97\xa5", RP_E_INVAL);		/* raw UTF-8 */
	PATH_BAD("/%C0%AF", RP_E_INVAL);		/* overlong '/' */
	PATH_BAD("/%ED%A0%80", RP_E_INVAL);		/* surrogate */
	PATH_BAD("/%E6%97", RP_E_INVAL);		/* truncated */
	PATH_BAD("/%FF", RP_E_INVAL);
	PATH_BAD("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    RP_E_TOOBIG);
}

static void
test_form(void)
{
	struct rp_form f;
	struct rp_str v;
	struct rp_form_limits small = { 2, 4, 8, 64, false };
	struct rp_form_limits keep = { 8, 16, 64, 256, true };
	int r;

	rp_form_init(&f);
	is_int(rp_form_decode(RP_STR_LIT("name=%FF%FE&ok=%E6%97%A5"),
	    &rp_form_limits_default, &f), RP_E_INVAL, "bad UTF-8 refused");
	is_int(rp_form_decode(RP_STR_LIT("name=%FF%FE&ok=%E6%97%A5"), &keep, &f),
	    0, "kept with keep_bad_utf8");
	ok(f.n == 2 && f.f[0].bad_utf8 && f.f[0].value.n == 0 &&
	    !f.f[1].bad_utf8 && rp_str_eq_c(f.f[1].value, "日"),
	    "the bad value is empty and flagged, the good one intact");
	is_int(rp_form_decode(RP_STR_LIT("%FF=1"), &keep, &f), RP_E_INVAL,
	    "a bad key is still refused");
	rp_form_release(&f);

	rp_form_init(&f);
	r = rp_form_decode(RP_STR_LIT("a=1&b=x+y%21&empty=&flag&&c=%E6%97%A5"),
	    &rp_form_limits_default, &f);
	is_int(r, 0, "form decodes");
	is_int(f.n, 5, "five fields (empty pair skipped)");
	ok(rp_form_get(&f, "b", &v) == 0 && rp_str_eq_c(v, "x y!"),
	    "'+' is a space, %21 is '!'");
	ok(rp_form_get(&f, "empty", &v) == 0 && v.n == 0, "empty value");
	ok(rp_form_get(&f, "flag", &v) == 0 && v.n == 0, "key without '='");
	ok(rp_form_get(&f, "c", &v) == 0 && rp_str_eq_c(v, "日"), "UTF-8 value");
	ok(rp_form_get(&f, "missing", &v) == RP_E_NOTFOUND && v.n == 0,
	    "missing key is NOTFOUND");
	ok(f.f[0].key.p[f.f[0].key.n] == '\0', "keys are NUL-terminated");

	r = rp_form_decode(RP_STR_LIT("a=1&a=2"), &rp_form_limits_default, &f);
	ok(r == 0 && rp_form_get(&f, "a", &v) == 0 && rp_str_eq_c(v, "1"),
	    "first of duplicate keys wins");
	r = rp_form_decode(RP_STR_LIT("note=l1%0D%0Al2%09x"),
	    &rp_form_limits_default, &f);
	ok(r == 0 && rp_form_get(&f, "note", &v) == 0 &&
	    rp_str_eq_c(v, "l1\r\nl2\tx"), "CR, LF, tab allowed in values");
	r = rp_form_decode(RP_STR_NULL, &rp_form_limits_default, &f);
	ok(r == 0 && f.n == 0, "empty input is an empty form");

	is_int(rp_form_decode(RP_STR_LIT("=1"), &rp_form_limits_default, &f),
	    RP_E_INVAL, "empty key refused");
	ok(f.n == 0 && f.mem == NULL, "failure leaves an empty form");
	is_int(rp_form_decode(RP_STR_LIT("a=%"), &rp_form_limits_default, &f),
	    RP_E_INVAL, "truncated escape refused");
	is_int(rp_form_decode(RP_STR_LIT("a=%G1"), &rp_form_limits_default, &f),
	    RP_E_INVAL, "non-hex escape refused");
	is_int(rp_form_decode(RP_STR_LIT("a=%00"), &rp_form_limits_default, &f),
	    RP_E_INVAL, "NUL refused");
	is_int(rp_form_decode(RP_STR_LIT("a=%01"), &rp_form_limits_default, &f),
	    RP_E_INVAL, "control byte refused");
	is_int(rp_form_decode(RP_STR_LIT("a%0A=1"), &rp_form_limits_default, &f),
	    RP_E_INVAL, "LF refused in a key");
	is_int(rp_form_decode(RP_STR_LIT("a=%C3"), &rp_form_limits_default, &f),
	    RP_E_INVAL, "invalid UTF-8 refused");
	is_int(rp_form_decode(RP_STR_LIT("a=\xc3\xa9"), &rp_form_limits_default,
	    &f), RP_E_INVAL, "raw non-ASCII refused");
	is_int(rp_form_decode(RP_STR_LIT("a=b c"), &rp_form_limits_default, &f),
	    RP_E_INVAL, "raw space refused");

	is_int(rp_form_decode(RP_STR_LIT("a=1&b=2&c=3"), &small, &f),
	    RP_E_TOOBIG, "too many fields");
	is_int(rp_form_decode(RP_STR_LIT("abcde=1"), &small, &f), RP_E_TOOBIG,
	    "key too long");
	is_int(rp_form_decode(RP_STR_LIT("a=123456789"), &small, &f),
	    RP_E_TOOBIG, "value too long");
	ok(rp_form_decode(RP_STR_LIT("a=%31%32%33%34%35%36%37%38"), &small,
	    &f) == 0 && rp_form_get(&f, "a", &v) == 0 && v.n == 8,
	    "value cap counts decoded bytes");
	is_int(rp_form_decode(RP_STR_LIT("a=12345678&bbbb=12345678&cccccccccccc"
	    "ccccccccccccccccccccccccccccccccccc"), &small, &f), RP_E_TOOBIG,
	    "input over max_total");
	rp_form_release(&f);
	rp_form_release(NULL);
}

int
main(void)
{
	test_path();
	test_form();
	return tap_done();
}
