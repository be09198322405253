/* SPDX-License-Identifier: ISC */
/*
 * test_csrf.c — the Cookie header parser (shapes, quotes, skipped
 * malformed pairs, caps, duplicates) and the double-submit CSRF check:
 * token shape and randomness, Set-Cookie attributes with and without TLS,
 * the hidden input, the constant-time compare and the Origin/Referer
 * same-origin rules.
 */
#include "util/common.h"

#include <sodium.h>

#include "web/csrf.h"

#include "tap.h"

static void
test_cookies(void)
{
	struct rp_cookies ck;
	struct rp_str v;
	struct rp_buf b;
	size_t i;

	is_int(rp_cookie_parse(RP_STR_LIT("lang=en; csrf=abc;x=\"q v\";"
	    " sp = 1 ;bad name=2; e=; n\x01=3;=4; ok=\"quoted\"; semi=a;"),
	    &ck), 0, "parse");
	is_int((int)ck.n, 6, "well-formed pairs kept");
	is_int((int)ck.skipped, 4, "malformed pairs skipped");
	ok(rp_cookie_get(&ck, "lang", &v) == 0 && rp_str_eq_c(v, "en"), "lang");
	ok(rp_cookie_get(&ck, "csrf", &v) == 0 && rp_str_eq_c(v, "abc"), "csrf");
	ok(rp_cookie_get(&ck, "ok", &v) == 0 && rp_str_eq_c(v, "quoted"),
	    "quotes removed");
	ok(rp_cookie_get(&ck, "e", &v) == 0 && v.n == 0, "empty value");
	ok(rp_cookie_get(&ck, "semi", &v) == 0 && rp_str_eq_c(v, "a"), "last");
	is_int(rp_cookie_get(&ck, "x", &v), RP_E_NOTFOUND,
	    "value with a space inside quotes refused");
	ok(rp_cookie_get(&ck, "sp", &v) == 0 && rp_str_eq_c(v, "1"),
	    "spaces around name and value trimmed");
	is_int(rp_cookie_get(&ck, "LANG", &v), RP_E_NOTFOUND,
	    "names are case-sensitive");
	is_int(rp_cookie_parse(RP_STR_LIT("a=1; b=2; a=3"), &ck), 0, "dups");
	ok(rp_cookie_get(&ck, "a", &v) == RP_E_EXISTS && v.n == 0,
	    "duplicate cookie is ambiguous");
	is_int(rp_cookie_parse(RP_STR_NULL, &ck), 0, "empty header");
	is_int((int)ck.n, 0, "no cookies");

	rp_buf_init(&b, 1 << 16);
	for (i = 0; i < RP_COOKIE_MAX; i++)
		rp_buf_printf(&b, "c%zu=v; ", i);
	is_int(rp_cookie_parse(rp_buf_str(&b), &ck), 0, "at the cookie cap");
	is_int((int)ck.n, RP_COOKIE_MAX, "all kept");
	rp_buf_add_c(&b, "one=more");
	is_int(rp_cookie_parse(rp_buf_str(&b), &ck), RP_E_TOOBIG, "past the cap");
	is_int((int)ck.n, 0, "emptied on failure");
	rp_buf_reset(&b);
	rp_buf_add_c(&b, "a=");
	for (i = 0; i < RP_COOKIE_MAX_HEADER; i++)
		rp_buf_add_ch(&b, 'x');
	is_int(rp_cookie_parse(rp_buf_str(&b), &ck), RP_E_TOOBIG,
	    "header past its cap");
	rp_buf_reset(&b);
	rp_buf_add_c(&b, "a=");
	for (i = 0; i < RP_COOKIE_MAX_VALUE + 1; i++)
		rp_buf_add_ch(&b, 'x');
	is_int(rp_cookie_parse(rp_buf_str(&b), &ck), 0, "long value");
	ok(ck.n == 0 && ck.skipped == 1, "value past its cap skipped");
	rp_buf_reset(&b);
	is_int(rp_cookie_set(&b, "sid", RP_STR_LIT("abc"), false, 3600), 0, "set");
	is_str(b.d, "sid=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600",
	    "session cookie, plain");
	rp_buf_reset(&b);
	is_int(rp_cookie_set(&b, "__Host-sid", RP_STR_LIT("abc"), true, -1), 0,
	    "set tls");
	is_str(b.d, "__Host-sid=abc; Path=/; HttpOnly; SameSite=Lax; Secure",
	    "session cookie, TLS, no Max-Age");
	rp_buf_reset(&b);
	is_int(rp_cookie_set(&b, "__Host-sid", RP_STR_LIT("abc"), false, -1),
	    RP_E_INVAL, "__Host- without TLS refused");
	is_int(rp_cookie_set(&b, "sid", RP_STR_LIT("a;Domain=evil"), false, 0),
	    RP_E_INVAL, "value with ; refused");
	is_int(rp_cookie_set(&b, "s id", RP_STR_LIT("a"), false, 0),
	    RP_E_INVAL, "name with space refused");
	is_int((int)b.len, 0, "nothing appended on refusal");
	rp_buf_release(&b);
}

static void
test_csrf(void)
{
	char t1[RP_CSRF_TOKEN_LEN + 1], t2[RP_CSRF_TOKEN_LEN + 1], got[RP_CSRF_TOKEN_LEN + 1];
	struct rp_str own = RP_STR_LIT("https://rent.example"), z = RP_STR_NULL;
	struct rp_str o = RP_STR_LIT("https://rent.example");
	struct rp_cookies ck;
	struct rp_buf b, hdr;

	rp_csrf_token_new(t1);
	rp_csrf_token_new(t2);
	is_int((int)strlen(t1), RP_CSRF_TOKEN_LEN, "token length");
	ok(rp_csrf_token_ok(rp_str_c(t1)) && rp_csrf_token_ok(rp_str_c(t2)),
	    "tokens well-formed");
	ok(strcmp(t1, t2) != 0, "tokens differ");
	ok(!rp_csrf_token_ok(RP_STR_LIT("short")), "short refused");
	t2[5] = '+';
	ok(!rp_csrf_token_ok(rp_str_c(t2)), "non-base64url refused");
	rp_csrf_token_new(t2);
	memcpy(got, t1, sizeof(got));
	got[RP_CSRF_TOKEN_LEN - 1] = 'B';
	ok(!rp_csrf_token_ok(rp_str_c(got)), "non-canonical last char refused");

	rp_buf_init(&b, 512);
	is_int(rp_csrf_set_cookie(&b, rp_str_c(t1), true), 0, "cookie tls");
	ok(strncmp(b.d, "__Host-csrf=", 12) == 0 && strstr(b.d, t1) &&
	    strstr(b.d, "; Path=/") && strstr(b.d, "; HttpOnly") &&
	    strstr(b.d, "; SameSite=Lax") && strstr(b.d, "; Secure") &&
	    !strstr(b.d, "Domain"), "TLS cookie attributes");
	rp_buf_reset(&b);
	is_int(rp_csrf_set_cookie(&b, rp_str_c(t1), false), 0, "cookie plain");
	ok(strncmp(b.d, "csrf=", 5) == 0 && !strstr(b.d, "Secure") &&
	    strstr(b.d, "HttpOnly"), "plain cookie attributes");
	rp_buf_reset(&b);
	is_int(rp_csrf_set_cookie(&b, RP_STR_LIT("x;Domain=evil"), false),
	    RP_E_INVAL, "bad token never reaches Set-Cookie");
	is_int(rp_csrf_hidden_input(&b, rp_str_c(t1)), 0, "hidden input");
	rp_buf_init(&hdr, 512);
	rp_buf_printf(&hdr, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", t1);
	is_str(b.d, hdr.d, "hidden input markup");
	is_int(rp_csrf_hidden_input(&b, RP_STR_LIT("\"><script>")), RP_E_INVAL,
	    "bad token refused for the hidden input");

	/* Cookie header → token → check. */
	rp_buf_reset(&hdr);
	rp_buf_printf(&hdr, "lang=ja; __Host-csrf=%s", t1);
	is_int(rp_cookie_parse(rp_buf_str(&hdr), &ck), 0, "parse");
	is_int(rp_csrf_token_from_cookies(&ck, true, got), 0, "token found");
	is_str(got, t1, "same token");
	is_int(rp_csrf_token_from_cookies(&ck, false, got), RP_E_NOTFOUND,
	    "plain name not used under TLS");
	is_int(rp_csrf_check(&ck, rp_str_c(t1), o, z, own, true), 0,
	    "matching token and origin");
	is_int(rp_csrf_check(&ck, rp_str_c(t2), o, z, own, true), RP_E_DENIED,
	    "other token");
	is_int(rp_csrf_check(&ck, z, o, z, own, true), RP_E_DENIED, "no token");
	is_int(rp_csrf_check(&ck, rp_str_c(t1), RP_STR_LIT("https://evil.example"),
	    z, own, true), RP_E_DENIED, "cross-origin");
	is_int(rp_csrf_check(&ck, rp_str_c(t1), o, z, own, false), RP_E_DENIED,
	    "cookie name must match the transport");
	rp_buf_add_c(&hdr, "; __Host-csrf=");
	rp_buf_add_c(&hdr, t2);
	is_int(rp_cookie_parse(rp_buf_str(&hdr), &ck), 0, "parse dup");
	is_int(rp_csrf_check(&ck, rp_str_c(t1), o, z, own, true), RP_E_DENIED,
	    "two CSRF cookies refused");

	/* Origin and Referer. */
	is_int(rp_csrf_origin_ok(RP_STR_LIT("HTTPS://Rent.Example"), z, own), 0,
	    "origin case-insensitive");
	is_int(rp_csrf_origin_ok(RP_STR_LIT("null"), RP_STR_LIT("https://rent.example/"),
	    own), RP_E_DENIED, "null origin");
	is_int(rp_csrf_origin_ok(RP_STR_LIT("https://rent.example:444"), z, own),
	    RP_E_DENIED, "other port");
	is_int(rp_csrf_origin_ok(RP_STR_LIT("http://rent.example"), z, own),
	    RP_E_DENIED, "other scheme");
	is_int(rp_csrf_origin_ok(z, RP_STR_LIT("https://rent.example/order?x"),
	    own), 0, "referer same origin");
	is_int(rp_csrf_origin_ok(z, RP_STR_LIT("https://rent.example"), own), 0,
	    "referer exactly the origin");
	is_int(rp_csrf_origin_ok(z, RP_STR_LIT("https://rent.example.evil/"),
	    own), RP_E_DENIED, "referer on a look-alike host");
	is_int(rp_csrf_origin_ok(z, RP_STR_LIT("https://rent.example@evil/"),
	    own), RP_E_DENIED, "referer with userinfo trick");
	is_int(rp_csrf_origin_ok(z, z, own), RP_E_DENIED, "neither header");
	is_int(rp_csrf_origin_ok(o, z, z), RP_E_DENIED, "no own origin configured");
	rp_buf_release(&b);
	rp_buf_release(&hdr);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_cookies();
	test_csrf();
	return tap_done();
}
