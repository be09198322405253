/* SPDX-License-Identifier: ISC */
/*
 * str.c — length-carrying string views and checked arithmetic.  Leaf module:
 * used by every process, trusts nothing about its input.
 */
#include "util/common.h"
#include "util/str.h"

struct rp_str
rp_str_c(const char *s)
{
	struct rp_str v = { s, s ? strlen(s) : 0 };
	return v;
}

bool
rp_str_eq(struct rp_str a, struct rp_str b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

bool
rp_str_eq_c(struct rp_str a, const char *c)
{
	return rp_str_eq(a, rp_str_c(c));
}

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

bool
rp_str_case_eq_c(struct rp_str a, const char *c)
{
	size_t n = strlen(c), i;

	if (n != a.n)
		return false;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)a.p[i]) != lower((unsigned char)c[i]))
			return false;
	return true;
}

bool
rp_str_has_prefix(struct rp_str s, const char *prefix)
{
	size_t n = strlen(prefix);

	return s.n >= n && memcmp(s.p, prefix, n) == 0;
}

bool
rp_str_charset_ok(struct rp_str s, const char *set)
{
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] == '\0' || strchr(set, s.p[i]) == NULL)
			return false;
	return true;
}

struct rp_str
rp_str_trim(struct rp_str s)
{
	while (s.n > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
		s.n--;
	return s;
}

bool
rp_str_split(struct rp_str *s, char c, struct rp_str *head)
{
	const char *q;

	if (s->n == 0 || (q = memchr(s->p, c, s->n)) == NULL)
		return false;
	head->p = s->p;
	head->n = (size_t)(q - s->p);
	s->n -= head->n + 1;
	s->p = q + 1;
	return true;
}

int
rp_str_to_u64(struct rp_str s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	*out = 0;
	if (s.n == 0 || s.n > 20)
		return RP_E_INVAL;
	for (i = 0; i < s.n; i++) {
		unsigned d;

		if (s.p[i] < '0' || s.p[i] > '9')
			return RP_E_INVAL;
		d = (unsigned)(s.p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return RP_E_RANGE;
		v = v * 10 + d;
	}
	if (v > max)
		return RP_E_RANGE;
	*out = v;
	return 0;
}

bool
rp_utf8_valid(struct rp_str s)
{
	const unsigned char *p = (const unsigned char *)s.p;
	size_t i = 0, n = s.n;

	while (i < n) {
		unsigned c = p[i];
		size_t len;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2; cp = c & 0x1f; min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3; cp = c & 0x0f; min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4; cp = c & 0x07; min = 0x10000;
		} else
			return false;
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

char *
rp_str_dup(struct rp_str s)
{
	char *d;

	if (s.n == SIZE_MAX || (d = malloc(s.n + 1)) == NULL)
		return NULL;
	if (s.n)
		memcpy(d, s.p, s.n);
	d[s.n] = '\0';
	return d;
}

int
rp_size_add(size_t a, size_t b, size_t *out)
{
	if (a > SIZE_MAX - b)
		return RP_E_OVERFLOW;
	*out = a + b;
	return 0;
}

int
rp_size_mul(size_t a, size_t b, size_t *out)
{
	if (a != 0 && b > SIZE_MAX / a)
		return RP_E_OVERFLOW;
	*out = a * b;
	return 0;
}

int
rp_yen_add(int64_t a, int64_t b, int64_t *out)
{
	if (__builtin_add_overflow(a, b, out))
		return RP_E_OVERFLOW;
	return 0;
}

int
rp_yen_mul(int64_t a, int64_t b, int64_t *out)
{
	if (__builtin_mul_overflow(a, b, out))
		return RP_E_OVERFLOW;
	return 0;
}

bool
rp_str_printable(struct rp_str s)
{
	for (size_t i = 0; i < s.n; i++)
		if ((unsigned char)s.p[i] < 0x21 || (unsigned char)s.p[i] > 0x7e)
			return false;
	return true;
}

void
rp_be_put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

uint64_t
rp_be_get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}
