/* SPDX-License-Identifier: ISC */
/*
 * fuzz.c — libFuzzer target for the Cookie header parser and the CSRF
 * check (src/web/csrf.c).  For every input: the parse fails only with
 * RP_E_TOOBIG (and an empty result), every kept cookie is a view inside
 * the input with a token name and cookie-octet value within the caps,
 * lookups agree with the list, and the CSRF check (with the input's
 * first value as the form token) never crashes and accepts only a
 * well-formed token equal to the single CSRF cookie.
 */
#include "util/common.h"

#include <sodium.h>

#include "web/csrf.h"
#include "../fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_str in = { (const char *)data, size }, v, form;
	struct rp_cookies ck;
	size_t i, k, count;
	int r;

	r = rp_cookie_parse(in, &ck);
	if (r != 0) {
		check(r == RP_E_TOOBIG && ck.n == 0);
		return 0;
	}
	check(ck.n <= RP_COOKIE_MAX);
	for (i = 0; i < ck.n; i++) {
		const struct rp_cookie *c = &ck.c[i];

		check(c->name.n >= 1 && c->name.n <= RP_COOKIE_MAX_NAME);
		check(c->value.n <= RP_COOKIE_MAX_VALUE);
		check(c->name.p >= in.p && c->name.p + c->name.n <= in.p + in.n);
		check(c->value.n == 0 || (c->value.p >= in.p &&
		    c->value.p + c->value.n <= in.p + in.n));
		for (k = 0; k < c->value.n; k++)
			check((unsigned char)c->value.p[k] > 0x20 &&
			    (unsigned char)c->value.p[k] < 0x7f &&
			    c->value.p[k] != ';' && c->value.p[k] != '"');
		for (k = 0; k < c->name.n; k++)
			check((unsigned char)c->name.p[k] > 0x20 &&
			    (unsigned char)c->name.p[k] < 0x7f &&
			    c->name.p[k] != '=' && c->name.p[k] != ';');
	}
	count = 0;
	for (i = 0; i < ck.n; i++)
		count += rp_str_eq_c(ck.c[i].name, "csrf");
	r = rp_cookie_get(&ck, "csrf", &v);
	check(count == 0 ? r == RP_E_NOTFOUND : count == 1 ? r == 0 :
	    r == RP_E_EXISTS);
	form = ck.n > 0 ? ck.c[0].value : RP_STR_NULL;
	r = rp_csrf_check(&ck, form, RP_STR_LIT("http://localhost:8080"),
	    RP_STR_NULL, RP_STR_LIT("http://localhost:8080"), false);
	if (r == 0)
		check(count == 1 && rp_csrf_token_ok(form) &&
		    rp_str_eq(v, form));
	else
		check(r == RP_E_DENIED);
	return 0;
}
