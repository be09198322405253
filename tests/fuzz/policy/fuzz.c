/* SPDX-License-Identifier: ISC */
/*
 * fuzz target: the policy JSON parser (domain/policy.h).  Policies come
 * from the back office and the store: parsed strictly, never trusted.
 */
#include "util/common.h"
#include "domain/policy.h"
#include "../fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rp_policy p;
	struct rp_str s = { (const char *)data, size };
	char err[256];

	if (rp_policy_parse(s, &p, err, sizeof(err)) != 0)
		return 0;
	/* An accepted policy must satisfy the documented invariants. */
	if (p.n_cancel == 0 || p.n_cancel > RP_POLICY_MAX_CANCEL_TIERS ||
	    p.cancel[p.n_cancel - 1].from_days_before != 0 ||
	    p.tax_bp < 0 || p.tax_bp > RP_POLICY_MAX_TAX_BP ||
	    p.max_rental_days < 1)
		abort();
	for (size_t i = 1; i < p.n_cancel; i++)
		if (p.cancel[i].from_days_before >= p.cancel[i - 1].from_days_before)
			abort();
	return 0;
}
