/* SPDX-License-Identifier: ISC */
/*
 * fuzz.c — libFuzzer target for capabilities (src/auth/cap.c), which the
 * vault decodes from any worker's request.  For every input: verifying
 * the raw bytes never crashes and never succeeds (they carry no valid
 * MAC for the fuzzer's key); a capability built from the bytes, once
 * encoded, verifies to the same fields, and no single flipped byte of it
 * verifies.
 */
#include "util/common.h"

#include "auth/cap.h"
#include "../fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[RP_CAP_KEY_LEN] = "rentport fuzz capability key 32";
	uint8_t buf[RP_CAP_MAX];
	struct rp_cap c, got;
	size_t len, n;

	check(rp_cap_verify((struct rp_str){ (const char *)data, size }, key,
	    0, &got) != 0);
	if (size < 15)
		return 0;
	memset(&c, 0, sizeof(c));
	c.role = data[0];
	memcpy(&c.tenant, data + 1, 4);
	memcpy(&c.expires_ms, data + 5, 8);
	memcpy(c.session, data + 13, 2);
	n = data[14] % (RP_CAP_PRINCIPAL_MAX + 1);
	if (n > size - 15)
		n = size - 15;
	memcpy(c.principal, data + 15, n);
	if (size - 15 - n > 0) {
		size_t m = (size - 15 - n) % (RP_CAP_SCOPE_MAX + 1);

		memcpy(c.scope_order, data + 15 + n, m);
	}
	if (rp_cap_encode(&c, key, buf, &len) != 0)
		return 0;
	check(len <= RP_CAP_MAX);
	if (c.expires_ms == 0)
		return 0;
	check(rp_cap_verify((struct rp_str){ (const char *)buf, len }, key,
	    c.expires_ms - 1, &got) == 0);
	check(got.role == c.role && got.tenant == c.tenant &&
	    got.expires_ms == c.expires_ms &&
	    strcmp(got.principal, c.principal) == 0 &&
	    strcmp(got.scope_order, c.scope_order) == 0 &&
	    memcmp(got.session, c.session, sizeof(c.session)) == 0);
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 1;
		check(rp_cap_verify((struct rp_str){ (const char *)buf, len },
		    key, c.expires_ms - 1, &got) != 0);
		buf[i] ^= 1;
	}
	return 0;
}
