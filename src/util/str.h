/* SPDX-License-Identifier: ISC */
/*
 * str.h — length-carrying strings and checked size arithmetic.
 *
 * struct rp_str is a borrowed view: it never owns p and never needs a NUL.
 * Untrusted bytes cross module boundaries only as rp_str (or rp_buf).
 * Cursor parsers (rp_str_*) advance the view only on success.
 */
#ifndef RP_STR_H
#define RP_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errors.h"

struct rp_str {
	const char *p;		/* borrowed; may be NULL when n == 0 */
	size_t n;
};

#define RP_STR_LIT(s) ((struct rp_str){ (s), sizeof(s) - 1 })
#define RP_STR_NULL ((struct rp_str){ NULL, 0 })

/* View of a NUL-terminated C string (NULL gives the empty view). */
struct rp_str rp_str_c(const char *s);

/* Byte equality; rp_str_eq_c compares with a C string. */
bool rp_str_eq(struct rp_str a, struct rp_str b);
bool rp_str_eq_c(struct rp_str a, const char *c);
/* ASCII case-insensitive equality. */
bool rp_str_case_eq_c(struct rp_str a, const char *c);
bool rp_str_has_prefix(struct rp_str s, const char *prefix);
/* True if every byte of s is one of the bytes of set (NUL-terminated). */
bool rp_str_charset_ok(struct rp_str s, const char *set);

/* Trims ASCII space and tab on both sides. */
struct rp_str rp_str_trim(struct rp_str s);

/*
 * Splits *s at the first byte c: *head gets the part before it and *s is
 * advanced past c.  Returns false (and leaves *s untouched) if c is absent.
 */
bool rp_str_split(struct rp_str *s, char c, struct rp_str *head);

/*
 * Parses an unsigned decimal number (digits only, no sign, no spaces) that
 * fits in [0, max].  The whole of s must be digits.  0 or RP_E_INVAL /
 * RP_E_RANGE; *out is 0 on failure.
 */
int rp_str_to_u64(struct rp_str s, uint64_t max, uint64_t *out) RP_WARN_UNUSED;

/* True if s is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool rp_utf8_valid(struct rp_str s);

/*
 * Copies s into a fresh NUL-terminated heap string (owned: caller frees).
 * NULL on allocation failure.
 */
char *rp_str_dup(struct rp_str s);

/* True if every byte of s is printable ASCII without space (0x21..0x7e):
 * the rule of the access log's strings and of capabilities. */
bool rp_str_printable(struct rp_str s);

/* Big-endian integers of n (1..8) bytes: the log's and capabilities'. */
void rp_be_put(uint8_t *p, uint64_t v, unsigned n);
uint64_t rp_be_get(const uint8_t *p, unsigned n);

/* Checked size arithmetic: 0 and *out set, or RP_E_OVERFLOW. */
int rp_size_add(size_t a, size_t b, size_t *out) RP_WARN_UNUSED;
int rp_size_mul(size_t a, size_t b, size_t *out) RP_WARN_UNUSED;
/* Checked money arithmetic on integer yen (int64). */
int rp_yen_add(int64_t a, int64_t b, int64_t *out) RP_WARN_UNUSED;
int rp_yen_mul(int64_t a, int64_t b, int64_t *out) RP_WARN_UNUSED;

#endif
