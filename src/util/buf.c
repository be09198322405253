/* SPDX-License-Identifier: ISC */
/*
 * buf.c — capped growable buffer (see buf.h for the invariants).  Leaf
 * module used by every process.
 */
#include "util/common.h"
#include "util/buf.h"

void
rp_buf_init(struct rp_buf *b, size_t max)
{
	b->d = NULL;
	b->len = b->cap = 0;
	b->max = max;
	b->err = 0;
}

void
rp_buf_release(struct rp_buf *b)
{
	size_t max = b->max;

	free(b->d);
	rp_buf_init(b, max);
}

void
rp_buf_reset(struct rp_buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->d)
		b->d[0] = '\0';
}

static int
grow(struct rp_buf *b, size_t need)
{
	size_t want, ncap;
	char *nd;

	if (rp_size_add(b->len, need, &want) != 0 || want > b->max)
		return b->err = RP_E_TOOBIG;
	if (want < b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap <= want) {
		if (ncap > SIZE_MAX / 2) {
			ncap = want + 1;
			break;
		}
		ncap *= 2;
	}
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	if ((nd = realloc(b->d, ncap)) == NULL)
		return b->err = RP_E_NOMEM;
	b->d = nd;
	b->cap = ncap;
	return 0;
}

int
rp_buf_add(struct rp_buf *b, const void *p, size_t n)
{
	int r;

	if (b->err)
		return b->err;
	if ((r = grow(b, n)) != 0)
		return r;
	if (n)
		memcpy(b->d + b->len, p, n);
	b->len += n;
	b->d[b->len] = '\0';
	return 0;
}

int
rp_buf_add_str(struct rp_buf *b, struct rp_str s)
{
	return rp_buf_add(b, s.p, s.n);
}

int
rp_buf_add_c(struct rp_buf *b, const char *s)
{
	return rp_buf_add(b, s, strlen(s));
}

int
rp_buf_add_ch(struct rp_buf *b, char c)
{
	return rp_buf_add(b, &c, 1);
}

int
rp_buf_vprintf(struct rp_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, r;

	if (b->err)
		return b->err;
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return b->err = RP_E_INVAL;
	if ((r = grow(b, (size_t)n)) != 0)
		return r;
	vsnprintf(b->d + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
rp_buf_printf(struct rp_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = rp_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

struct rp_str
rp_buf_str(const struct rp_buf *b)
{
	struct rp_str s = { b->d ? b->d : "", b->len };
	return s;
}

char *
rp_buf_detach(struct rp_buf *b, size_t *len)
{
	char *d = b->d;

	if (len)
		*len = b->len;
	if (d == NULL)
		d = calloc(1, 1);
	rp_buf_init(b, b->max);
	return d;
}
