/* SPDX-License-Identifier: ISC */
/* fuzz target: the card-number scanner over arbitrary bytes, in two
 * chunks split at the first byte's value (so numbers straddle feeds). */
#include "util/common.h"
#include "pci/scan.h"
#include "../fuzz_util.h"

/* Every hit: a card's length, masked but for the first 6 and last 4. */
static void
check_hit(void *arg, const struct rp_pan_hit *h)
{
	(void)arg;
	check(h->digits >= RP_PAN_MIN && h->digits <= RP_PAN_MAX &&
	    strlen(h->masked) == h->digits);
	for (unsigned i = 6; i + 4 < h->digits; i++)
		check(h->masked[i] == '*');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_pan_scanner s;
	size_t cut = size > 0 ? data[0] % (size + 1) : 0;

	rp_pan_scan_init(&s, check_hit, NULL);
	rp_pan_scan_feed(&s, data, cut);
	rp_pan_scan_feed(&s, data + cut, size - cut);
	(void)rp_pan_scan_end(&s);
	return 0;
}
