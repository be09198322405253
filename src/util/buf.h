/* SPDX-License-Identifier: ISC */
/*
 * buf.h — growable byte buffer with a hard maximum and a sticky error.
 *
 * Invariants: d is NULL or a heap block of cap bytes; len < cap whenever d
 * is non-NULL and d[len] == '\0' (so d is always a C string as well); len
 * never exceeds max.  Once an append fails, err holds the error, the
 * contents are unchanged and every later append fails the same way until
 * rp_buf_reset() — so a caller may append many times and check once.
 */
#ifndef RP_BUF_H
#define RP_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "util/errors.h"
#include "util/str.h"

struct rp_buf {
	char *d;		/* owned */
	size_t len, cap, max;
	int err;
};

/* No allocation; max is the largest len the buffer will ever hold. */
void rp_buf_init(struct rp_buf *b, size_t max);
/* Frees the storage and re-inits with the same max (git's "clear"). */
void rp_buf_release(struct rp_buf *b);
/* Empties the buffer and the sticky error, keeping storage. */
void rp_buf_reset(struct rp_buf *b);

/* Appends n bytes: 0, or RP_E_TOOBIG past max / RP_E_NOMEM (sticky). */
int rp_buf_add(struct rp_buf *b, const void *p, size_t n);
int rp_buf_add_str(struct rp_buf *b, struct rp_str s);
int rp_buf_add_c(struct rp_buf *b, const char *s);
int rp_buf_add_ch(struct rp_buf *b, char c);
int rp_buf_printf(struct rp_buf *b, const char *fmt, ...) RP_PRINTF(2, 3);
int rp_buf_vprintf(struct rp_buf *b, const char *fmt, va_list ap);

/* View of the contents (valid until the next append or release). */
struct rp_str rp_buf_str(const struct rp_buf *b);

/* Hands the storage to the caller (owned: caller frees) and re-inits. */
char *rp_buf_detach(struct rp_buf *b, size_t *len);

#endif
