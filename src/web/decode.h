/* SPDX-License-Identifier: ISC */
/*
 * decode.h — decoders for the untrusted parts of a request target and body,
 * run by the web workers: the path (percent-decoding with strict checks)
 * and application/x-www-form-urlencoded text (query strings and form
 * bodies).  Both take the raw bytes as an rp_str (no NUL needed), never
 * read past them and never allocate more than their caps allow.  Each has
 * a fuzz target (tests/fuzz/path, tests/fuzz/form).
 */
#ifndef RP_WEB_DECODE_H
#define RP_WEB_DECODE_H

#include <stddef.h>

#include "util/buf.h"
#include "util/errors.h"
#include "util/str.h"

/*
 * Decodes the path of a request target (origin-form, the part before '?')
 * into out, which the caller has initialised with its cap (rp_buf_init);
 * out is reset first.
 *
 * Accepted: a leading '/', then segments of RFC 3986 pchars (unreserved,
 * sub-delims, ':', '@') and %XX escapes (two hex digits, either case).
 * Rejected with RP_E_INVAL: anything else raw (space, controls, '\\', '#',
 * '"', '<', '>', raw bytes >= 0x80, ...); a truncated or non-hex escape;
 * an escape decoding to NUL, a control byte, '/' or '\\' (which would
 * change how the path splits into segments); "." or ".." segments, raw or
 * encoded; empty segments ("//"), except that a single trailing '/' is
 * kept; a result that is not valid UTF-8.  RP_E_TOOBIG if the decoded path
 * exceeds out's max; RP_E_NOMEM.  On failure out is left empty.
 */
int rp_path_decode(struct rp_str raw, struct rp_buf *out) RP_WARN_UNUSED;

/* Hard ceiling on the number of fields any form may hold. */
#define RP_FORM_MAX_FIELDS	64

struct rp_form_limits {
	size_t max_fields;	/* <= RP_FORM_MAX_FIELDS */
	size_t max_key;		/* decoded bytes per key */
	size_t max_value;	/* decoded bytes per value */
	size_t max_total;	/* raw input bytes */
	bool keep_bad_utf8;	/* a value that is not UTF-8: kept empty and
				 * flagged bad_utf8 (forms that show errors
				 * beside fields), instead of RP_E_INVAL */
};

/* Limits for query strings and small pre-authentication forms. */
extern const struct rp_form_limits rp_form_limits_default;

struct rp_form_field {
	struct rp_str key;	/* borrowed from the form's memory; NUL-terminated */
	struct rp_str value;	/* likewise */
	bool bad_utf8;		/* the value was not UTF-8 (keep_bad_utf8) */
};

struct rp_form {
	struct rp_form_field f[RP_FORM_MAX_FIELDS];
	size_t n;
	char *mem;		/* owned: the decoded bytes */
};

/* No allocation: an empty form. */
void rp_form_init(struct rp_form *f);
/* Frees the decoded bytes and empties the form (NULL-safe). */
void rp_form_release(struct rp_form *f);

/*
 * Decodes application/x-www-form-urlencoded text ("a=1&b=x+y%21") into
 * form (released first).  Pairs are separated by '&'; empty pairs are
 * skipped; a pair without '=' has an empty value; '+' decodes to a space.
 * Keys must be non-empty, values may be empty; both must be valid UTF-8
 * after decoding and free of NUL and control bytes (values may hold tab,
 * CR and LF, as a textarea sends them).  Raw bytes other than printable
 * ASCII (0x21..0x7e) are rejected: browsers percent-encode them.
 *
 * 0; RP_E_INVAL for malformed input; RP_E_TOOBIG when the input, a key, a
 * value or the field count exceeds lim; RP_E_NOMEM.  On failure the form
 * is empty.
 */
int rp_form_decode(struct rp_str in, const struct rp_form_limits *lim,
    struct rp_form *form) RP_WARN_UNUSED;

/*
 * The value of the first field named key: 0 and *value (borrowed from the
 * form), or RP_E_NOTFOUND with *value empty.
 */
int rp_form_get(const struct rp_form *form, const char *key,
    struct rp_str *value);

#endif
