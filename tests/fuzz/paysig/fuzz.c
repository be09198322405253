/* SPDX-License-Identifier: ISC */
/* fuzz target: paylink's webhook signature check over an arbitrary header
 * (the input's first line) and body (the rest). */
#include "util/common.h"
#include "paylink/paylink.h"
#include "../fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t hn = nl ? (size_t)(nl - (const char *)data) : size;
	struct rp_str h = { (const char *)data, hn };
	struct rp_str b = { nl ? nl + 1 : "", nl ? size - hn - 1 : 0 };
	char good[200];

	if (rp_paylink_sig_check(h, b, "whsec_fuzz", 1000) == 0) {
		/* only a real signature passes */
		rp_paylink_sig_make(b, "whsec_fuzz", 1000, good, sizeof(good));
		if (strstr(good, "v1=") == NULL)
			abort();
	}
	return 0;
}
