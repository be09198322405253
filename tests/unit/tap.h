/* SPDX-License-Identifier: ISC */
/*
 * tap.h — a tiny Test Anything Protocol harness for unit tests.
 *
 *	ok(cond, "what");  is_int(got, want, "what");  is_str(got, want, "what");
 *	return tap_done();
 *
 * Every check prints one TAP line; tap_done() prints the plan and returns
 * the exit status (non-zero if any check failed).
 */
#ifndef RP_TAP_H
#define RP_TAP_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int
tap_ok(int cond, const char *file, int line, const char *what)
{
	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, what);
	if (!cond)
		printf("#   failed at %s:%d\n", file, line);
	fflush(stdout);
	return cond;
}

#define ok(cond, what) tap_ok(!!(cond), __FILE__, __LINE__, (what))
#define is_int(got, want, what) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (!tap_ok(g_ == w_, __FILE__, __LINE__, (what)))		\
		printf("#   got %lld, want %lld\n", g_, w_);		\
} while (0)
#define is_str(got, want, what) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int c_ = g_ && w_ && strcmp(g_, w_) == 0;			\
	if (!tap_ok(c_, __FILE__, __LINE__, (what)))			\
		printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)
#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
