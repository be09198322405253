/* SPDX-License-Identifier: ISC */
/* test_scan.c — the card-number scanner (src/pci/scan.h). */
#include "util/common.h"
#include "pci/scan.h"
#include "tap.h"

struct got {
	unsigned n;
	struct rp_pan_hit h[8];
};

static void
collect(void *arg, const struct rp_pan_hit *h)
{
	struct got *g = arg;

	if (g->n < 8)
		g->h[g->n] = *h;
	g->n++;
}

/* Scans s in chunks of `chunk` bytes (0: all at once). */
static struct got
scan(const char *s, size_t chunk)
{
	struct rp_pan_scanner sc;
	struct got g;
	size_t n = strlen(s), i;

	memset(&g, 0, sizeof(g));
	rp_pan_scan_init(&sc, collect, &g);
	if (chunk == 0)
		chunk = n ? n : 1;
	for (i = 0; i < n; i += chunk)
		rp_pan_scan_feed(&sc, (const uint8_t *)s + i,
		    n - i < chunk ? n - i : chunk);
	(void)rp_pan_scan_end(&sc);
	return g;
}

static void
finds(const char *s, unsigned want, const char *what)
{
	for (size_t chunk = 0; chunk <= 3; chunk++) {
		struct got g = scan(s, chunk);

		if (g.n != want) {
			is_int(g.n, want, what);
			return;
		}
	}
	ok(1, what);
}

int
main(void)
{
	struct got g;
	const char *sch = NULL;

	/* the checker */
	ok(rp_pan_check("4242424242424242", 16, &sch) &&
	    strcmp(sch, "visa") == 0, "visa test card");
	ok(!rp_pan_check("4242424242424241", 16, NULL), "bad check digit");
	ok(rp_pan_check("5555555555554444", 16, &sch) &&
	    strcmp(sch, "mastercard") == 0, "mastercard");
	ok(rp_pan_check("2223003122003222", 16, &sch) &&
	    strcmp(sch, "mastercard") == 0, "mastercard 2-series");
	ok(rp_pan_check("378282246310005", 15, &sch) &&
	    strcmp(sch, "amex") == 0, "amex 15 digits");
	ok(rp_pan_check("3530111333300000", 16, &sch) &&
	    strcmp(sch, "jcb") == 0, "jcb");
	ok(rp_pan_check("6011111111111117", 16, &sch) &&
	    strcmp(sch, "discover") == 0, "discover");
	ok(rp_pan_check("36227206271667", 14, &sch) &&
	    strcmp(sch, "diners") == 0, "diners 14");
	ok(rp_pan_check("6200000000000005", 16, &sch) &&
	    strcmp(sch, "unionpay") == 0, "unionpay");
	ok(rp_pan_check("4222222222222", 13, NULL), "visa 13 digits");
	ok(!rp_pan_check("1764000000005", 13, NULL),
	    "a millisecond timestamp is no card (prefix 1)");
	ok(!rp_pan_check("4242424242424242424", 19, NULL) ||
	    rp_pan_check("4242424242424242424", 19, NULL), "19 digits decided");
	ok(!rp_pan_check("424242424242", 12, NULL), "12 digits: too short");
	ok(!rp_pan_check("37828224631000", 14, NULL), "amex must be 15");

	/* the stream */
	finds("card 4242424242424242 end", 1, "plain");
	finds("4242 4242 4242 4242", 1, "grouped by spaces");
	finds("4242-4242-4242-4242", 1, "grouped by dashes");
	finds("3782-822463-10005", 1, "amex grouping");
	finds("\"number\":\"4242424242424242\"", 1, "in JSON");
	finds("number=4242424242424242&cvc=123", 1, "in a form body");
	finds("\x02\x01" "4242424242424242" "\x03\xff", 1, "in binary");
	finds("4242424242424242", 1, "the whole input");
	finds("14242424242424242", 0, "inside a longer number (17 digits, prefix 1)");
	finds("42424242424242424242", 0, "20 digits: no card");
	finds("x4242424242424242", 0, "glued to a word");
	finds("4242424242424242y", 0, "word after");
	finds("4242  4242 4242 4242", 0, "two spaces break the run");
	finds("4242424242424242 5555555555554444", 2, "two numbers one space apart");
	finds("4242 4242 4242 4242 5555 5555 5555 4444", 2,
	    "two grouped numbers one space apart");
	finds("tel 090-1234-5678, 2026-11-25T10:00:00Z, 1764000000000", 0,
	    "phones, dates and timestamps");
	finds("4242424242424241", 0, "Luhn fails");
	finds("42 42 42 42 42 42 42 42", 0, "a hex dump's byte pairs");
	finds("4 2 4 2 4 2 4 2 4 2 4 2 4 2 4 2", 0, "single digits");
	finds("GET /plans 422 19406 18794 0123456789abcdef", 0,
	    "status, bytes, microseconds: first group not 4 digits");
	finds("42224 2222 2222 2", 0, "first group of 5");
	finds("4242424242424242-", 1, "trailing dash");

	g = scan("abc 4242 4242 4242 4242 def", 0);
	ok(g.n == 1 && g.h[0].offset == 4, "offset of the first digit");
	is_str(g.h[0].masked, "424242******4242", "masked: first 6 and last 4");
	is_int(g.h[0].digits, 16, "digits");
	g = scan("1 5555555555554444", 2);
	ok(g.n == 1 && g.h[0].offset == 2, "offset across chunks");
	g = scan("4242424242424242 5555555555554444", 1);
	ok(g.n == 2 && g.h[1].offset == 17, "offset of the second number");
	return tap_done();
}
