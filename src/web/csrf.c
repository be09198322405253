/* SPDX-License-Identifier: ISC */
/*
 * csrf.c — Cookie header parsing and double-submit CSRF tokens (see
 * csrf.h).  Runs in the web workers on untrusted request headers: every
 * loop is bounded by the header caps, and results are views into the
 * header, never copies.
 */
#include "util/common.h"

#include <sodium.h>

#include "web/csrf.h"

static bool
tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
cookie_octet(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' &&
	    c != '\\';
}

static bool
pair_parse(struct rp_str pair, struct rp_cookie *out)
{
	struct rp_str name, value = pair;
	size_t i;

	if (!rp_str_split(&value, '=', &name))
		return false;
	name = rp_str_trim(name);
	value = rp_str_trim(value);
	if (name.n == 0 || name.n > RP_COOKIE_MAX_NAME)
		return false;
	for (i = 0; i < name.n; i++)
		if (!tchar((unsigned char)name.p[i]))
			return false;
	if (value.n >= 2 && value.p[0] == '"' && value.p[value.n - 1] == '"') {
		value.p++;
		value.n -= 2;
	}
	if (value.n > RP_COOKIE_MAX_VALUE)
		return false;
	for (i = 0; i < value.n; i++)
		if (!cookie_octet((unsigned char)value.p[i]))
			return false;
	out->name = name;
	out->value = value;
	return true;
}

int
rp_cookie_parse(struct rp_str header, struct rp_cookies *out)
{
	struct rp_str rest = header, pair;
	bool last = false;

	memset(out, 0, sizeof(*out));
	if (header.n > RP_COOKIE_MAX_HEADER)
		return RP_E_TOOBIG;
	while (!last) {
		if (!rp_str_split(&rest, ';', &pair)) {
			pair = rest;
			last = true;
		}
		if (rp_str_trim(pair).n == 0)
			continue;
		if (out->n == RP_COOKIE_MAX) {
			memset(out, 0, sizeof(*out));
			return RP_E_TOOBIG;
		}
		if (pair_parse(pair, &out->c[out->n]))
			out->n++;
		else
			out->skipped++;
	}
	return 0;
}

int
rp_cookie_get(const struct rp_cookies *ck, const char *name,
    struct rp_str *value)
{
	size_t i;
	int r = RP_E_NOTFOUND;

	*value = RP_STR_NULL;
	for (i = 0; i < ck->n; i++) {
		if (!rp_str_eq_c(ck->c[i].name, name))
			continue;
		if (r == 0) {
			*value = RP_STR_NULL;
			return RP_E_EXISTS;
		}
		*value = ck->c[i].value;
		r = 0;
	}
	return r;
}

int
rp_cookie_set(struct rp_buf *out, const char *name, struct rp_str value,
    bool secure, long max_age)
{
	struct rp_str n = rp_str_c(name);
	size_t i;

	if (n.n == 0 || n.n > RP_COOKIE_MAX_NAME ||
	    value.n > RP_COOKIE_MAX_VALUE ||
	    (rp_str_has_prefix(n, "__Host-") && !secure) ||
	    (rp_str_has_prefix(n, "__Secure-") && !secure))
		return RP_E_INVAL;
	for (i = 0; i < n.n; i++)
		if (!tchar((unsigned char)n.p[i]))
			return RP_E_INVAL;
	for (i = 0; i < value.n; i++)
		if (!cookie_octet((unsigned char)value.p[i]))
			return RP_E_INVAL;
	rp_buf_printf(out, "%s=%.*s; Path=/; HttpOnly; SameSite=Lax%s", name,
	    (int)value.n, value.p, secure ? "; Secure" : "");
	if (max_age >= 0)
		rp_buf_printf(out, "; Max-Age=%ld", max_age);
	return out->err;
}

const char *
rp_csrf_cookie_name(bool secure)
{
	return secure ? "__Host-csrf" : "csrf";
}

void
rp_csrf_token_new(char out[RP_CSRF_TOKEN_LEN + 1])
{
	unsigned char raw[RP_CSRF_TOKEN_BYTES];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, RP_CSRF_TOKEN_LEN + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

bool
rp_csrf_token_ok(struct rp_str s)
{
	size_t i;
	char c;

	if (s.n != RP_CSRF_TOKEN_LEN)
		return false;
	for (i = 0; i < s.n; i++) {
		c = s.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	/* 32 bytes leave 2 unused bits in the last character: must be 0. */
	return strchr("AEIMQUYcgkosw048", s.p[s.n - 1]) != NULL;
}

int
rp_csrf_token_from_cookies(const struct rp_cookies *ck, bool secure,
    char out[RP_CSRF_TOKEN_LEN + 1])
{
	struct rp_str v;

	out[0] = '\0';
	if (rp_cookie_get(ck, rp_csrf_cookie_name(secure), &v) != 0 ||
	    !rp_csrf_token_ok(v))
		return RP_E_NOTFOUND;
	memcpy(out, v.p, v.n);
	out[v.n] = '\0';
	return 0;
}

int
rp_csrf_set_cookie(struct rp_buf *out, struct rp_str token, bool secure)
{
	if (!rp_csrf_token_ok(token))
		return RP_E_INVAL;
	return rp_cookie_set(out, rp_csrf_cookie_name(secure), token, secure, -1);
}

int
rp_csrf_hidden_input(struct rp_buf *out, struct rp_str token)
{
	/* A well-formed token is base64url: nothing in it needs escaping. */
	if (!rp_csrf_token_ok(token))
		return RP_E_INVAL;
	rp_buf_printf(out, "<input type=\"hidden\" name=\"" RP_CSRF_FIELD
	    "\" value=\"%.*s\">", (int)token.n, token.p);
	return out->err;
}

static bool
case_eq(struct rp_str a, struct rp_str b)
{
	size_t i;
	char x, y;

	if (a.n != b.n)
		return false;
	for (i = 0; i < a.n; i++) {
		x = a.p[i];
		y = b.p[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

int
rp_csrf_origin_ok(struct rp_str origin, struct rp_str referer,
    struct rp_str own_origin)
{
	struct rp_str head;

	if (own_origin.n == 0)
		return RP_E_DENIED;
	origin = rp_str_trim(origin);
	referer = rp_str_trim(referer);
	if (origin.n > 0)
		return case_eq(origin, own_origin) ? 0 : RP_E_DENIED;
	if (referer.n < own_origin.n)
		return RP_E_DENIED;
	head = (struct rp_str){ referer.p, own_origin.n };
	if (!case_eq(head, own_origin))
		return RP_E_DENIED;
	if (referer.n == own_origin.n)
		return 0;
	switch (referer.p[own_origin.n]) {
	case '/': case '?': case '#':
		return 0;
	default:
		return RP_E_DENIED;	/* e.g. https://shop.example.evil */
	}
}

int
rp_csrf_check(const struct rp_cookies *ck, struct rp_str form_token,
    struct rp_str origin, struct rp_str referer, struct rp_str own_origin,
    bool secure)
{
	struct rp_str c;

	if (rp_cookie_get(ck, rp_csrf_cookie_name(secure), &c) != 0 ||
	    !rp_csrf_token_ok(c) || !rp_csrf_token_ok(form_token))
		return RP_E_DENIED;
	if (sodium_memcmp(c.p, form_token.p, RP_CSRF_TOKEN_LEN) != 0)
		return RP_E_DENIED;
	return rp_csrf_origin_ok(origin, referer, own_origin);
}
