/* SPDX-License-Identifier: ISC */
/* fuzz target: the card-number scanner over arbitrary bytes, in two
 * chunks split at the first byte's value (so numbers straddle feeds). */
#include "util/common.h"
#include "pci/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(void *arg, const struct rp_pan_hit *h)
{
	(void)arg;
	if (h->digits < RP_PAN_MIN || h->digits > RP_PAN_MAX ||
	    strlen(h->masked) != h->digits)
		abort();
	for (unsigned i = 6; i + 4 < h->digits; i++)
		if (h->masked[i] != '*')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_pan_scanner s;
	size_t cut = size > 0 ? data[0] % (size + 1) : 0;

	rp_pan_scan_init(&s, check, NULL);
	rp_pan_scan_feed(&s, data, cut);
	rp_pan_scan_feed(&s, data + cut, size - cut);
	(void)rp_pan_scan_end(&s);
	return 0;
}
