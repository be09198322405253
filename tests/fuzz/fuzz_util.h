/* SPDX-License-Identifier: ISC */
/*
 * fuzz_util.h — what every fuzz target shares: libFuzzer's entry point,
 * check() (a failed property aborts, which the fuzzer and the corpus
 * replay both report), and what the targets of the services' protocols
 * check of a decoded request: that a view lies inside the input, and that
 * a copied string is terminated and printable (0x21..0x7e, the logs' rule).
 */
#ifndef RP_FUZZ_UTIL_H
#define RP_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void
check(int cond)
{
	if (!cond)
		abort();
}

static inline bool
inside(struct rp_str s, const uint8_t *data, size_t size)
{
	return s.n == 0 || ((const uint8_t *)s.p >= data &&
	    (const uint8_t *)s.p + s.n <= data + size);
}

/* s holds at most max printable bytes before its NUL. */
static inline bool
printable(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	return n <= max && rp_str_printable((struct rp_str){ s, n });
}

#endif
