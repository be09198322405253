/* SPDX-License-Identifier: ISC */
/*
 * csrf.h — the Cookie header parser and CSRF protection of the web
 * workers.  The web tier holds no keys, so CSRF uses the double-submit
 * cookie pattern: a random 32-byte token (base64url, 43 characters) in a
 * cookie named "__Host-csrf" (TLS: Secure, which the __Host- prefix also
 * requires) or "csrf" (plain HTTP, development), HttpOnly, SameSite=Lax,
 * Path=/, and the same token in a hidden form field "csrf".  A POST is
 * accepted when both are well-formed and equal (constant-time compare)
 * AND its Origin (or, without Origin, its Referer) is our own origin.
 *
 * Everything here reads untrusted request bytes; nothing is logged.
 *
 * Route authors, for a form page:
 *     char tok[RP_CSRF_TOKEN_LEN + 1];
 *     rp_csrf_token_from_cookies(&cookies, secure, tok)  -- reuse, or
 *     rp_csrf_token_new(tok) and add Set-Cookie rp_csrf_set_cookie(...)
 *     rp_tmpl_set_c(root, "csrf", tok); template: {{> csrf_field}}
 * and for the POST:
 *     rp_csrf_check(&cookies, form_token, origin, referer, own_origin,
 *         secure) != 0  →  403 (page text http.403.* / err.csrf)
 */
#ifndef RP_WEB_CSRF_H
#define RP_WEB_CSRF_H

#include <stdbool.h>

#include "util/buf.h"
#include "util/str.h"

/* --- Cookie header ------------------------------------------------------ */

#define RP_COOKIE_MAX_HEADER	4096	/* bytes of one Cookie header */
#define RP_COOKIE_MAX		32	/* cookies kept */
#define RP_COOKIE_MAX_NAME	64
#define RP_COOKIE_MAX_VALUE	1024

struct rp_cookie {
	struct rp_str name;	/* borrowed from the header */
	struct rp_str value;	/* borrowed; quotes removed */
};

struct rp_cookies {
	struct rp_cookie c[RP_COOKIE_MAX];
	size_t n;
	size_t skipped;		/* malformed pairs ignored */
};

/*
 * Parses a Cookie request header (RFC 6265 §4.2.1: "a=1; b=2") into
 * views of header.  Pairs are separated by ';' (spaces around it allowed);
 * a name is a token (RFC 7230 tchar, 1..RP_COOKIE_MAX_NAME bytes); a value
 * is cookie-octets (0x21..0x7e except " , ; \), optionally in double
 * quotes, up to RP_COOKIE_MAX_VALUE bytes.  A malformed pair is skipped
 * (counted in skipped) so another application's odd cookie on the same
 * host does not lock users out; it never yields a value.  0;
 * RP_E_TOOBIG if header exceeds RP_COOKIE_MAX_HEADER or holds more than
 * RP_COOKIE_MAX pairs (out is then empty).  out is always initialised.
 */
int rp_cookie_parse(struct rp_str header, struct rp_cookies *out)
    RP_WARN_UNUSED;

/*
 * The value of cookie name: 0 and *value; RP_E_NOTFOUND (absent) or
 * RP_E_EXISTS (sent more than once: ambiguous, possibly injected by a
 * sibling host — treat as absent).  *value is empty on failure.
 */
int rp_cookie_get(const struct rp_cookies *ck, const char *name,
    struct rp_str *value) RP_WARN_UNUSED;

/*
 * Appends a Set-Cookie header value for a session-style cookie:
 * "name=value; Path=/; HttpOnly; SameSite=Lax[; Secure][; Max-Age=N]".
 * max_age < 0: a session cookie (no Max-Age); 0 deletes it.  name must be
 * a token (<= RP_COOKIE_MAX_NAME) and value cookie-octets (<=
 * RP_COOKIE_MAX_VALUE), else RP_E_INVAL and nothing is appended.  A name
 * starting with "__Host-" requires secure (RP_E_INVAL otherwise).
 * 0 or out's error.
 */
int rp_cookie_set(struct rp_buf *out, const char *name, struct rp_str value,
    bool secure, long max_age) RP_WARN_UNUSED;

/* --- CSRF ---------------------------------------------------------------- */

#define RP_CSRF_TOKEN_BYTES	32
#define RP_CSRF_TOKEN_LEN	43	/* base64url, no padding */
#define RP_CSRF_FIELD		"csrf"	/* hidden form field name */

/* "__Host-csrf" when secure (TLS), else "csrf". */
const char *rp_csrf_cookie_name(bool secure);

/* A fresh random token (libsodium must be initialised), NUL-terminated. */
void rp_csrf_token_new(char out[RP_CSRF_TOKEN_LEN + 1]);

/* True if s has the shape of a token (43 base64url characters). */
bool rp_csrf_token_ok(struct rp_str s);

/*
 * The token of the request's CSRF cookie, if there is exactly one and it
 * is well-formed: 0 and out filled; else RP_E_NOTFOUND (make a new one).
 */
int rp_csrf_token_from_cookies(const struct rp_cookies *ck, bool secure,
    char out[RP_CSRF_TOKEN_LEN + 1]) RP_WARN_UNUSED;

/*
 * Appends the Set-Cookie header value for token to out:
 * "<name>=<token>; Path=/; HttpOnly; SameSite=Lax[; Secure]" (a session
 * cookie).  RP_E_INVAL if token is malformed; else 0 or out's error.
 */
int rp_csrf_set_cookie(struct rp_buf *out, struct rp_str token, bool secure)
    RP_WARN_UNUSED;

/*
 * Appends <input type="hidden" name="csrf" value="TOKEN"> to out (for
 * pages not built with templates; templates use {{> csrf_field}} with a
 * "csrf" value).  RP_E_INVAL if token is malformed; else 0 or out's error.
 */
int rp_csrf_hidden_input(struct rp_buf *out, struct rp_str token)
    RP_WARN_UNUSED;

/*
 * Same-origin check for a state-changing request.  own_origin is our
 * origin as "scheme://host[:port]" (from conf public_url, never from the
 * request).  If Origin is present it must equal own_origin (ASCII case-
 * insensitive); "null" fails.  Otherwise Referer must be own_origin
 * followed by '/', '?', '#' or the end.  Neither present → RP_E_DENIED
 * (browsers send Origin on every cross-site POST and on same-origin POSTs
 * too).  0 or RP_E_DENIED.
 */
int rp_csrf_origin_ok(struct rp_str origin, struct rp_str referer,
    struct rp_str own_origin) RP_WARN_UNUSED;

/*
 * The whole POST check: the CSRF cookie (exactly one, well-formed) equals
 * form_token in constant time, and rp_csrf_origin_ok().  0 or RP_E_DENIED.
 */
int rp_csrf_check(const struct rp_cookies *ck, struct rp_str form_token,
    struct rp_str origin, struct rp_str referer, struct rp_str own_origin,
    bool secure) RP_WARN_UNUSED;

#endif
