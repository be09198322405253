/* SPDX-License-Identifier: ISC */
/*
 * fuzz target: message frames from a peer process (proc/msg.h), read the
 * way the parent reads an ACCESS message.
 */
#include "util/common.h"
#include "proc/msg.h"
#include "../fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_msg m;
	struct rp_str s;
	uint32_t u;
	uint64_t v;

	if (rp_msg_parse(data, size, &m) != 0)
		return 0;
	if (m.type == 0 || m.type >= RP_MSG_TYPE_MAX || m.n != size - RP_MSG_HEADER)
		abort();	/* the parser let through what it must not */
	while (m.off < m.n) {
		size_t before = m.off;

		switch ((m.off + m.type) % 3) {
		case 0:
			if (rp_msg_get_u32(&m, &u) != 0)
				return 0;
			break;
		case 1:
			if (rp_msg_get_u64(&m, &v) != 0)
				return 0;
			break;
		default:
			if (rp_msg_get_str(&m, &s, 256) != 0)
				return 0;
			if (s.n > 256 || (s.n && (const uint8_t *)s.p < data) ||
			    (const uint8_t *)s.p + s.n > data + size)
				abort();
			break;
		}
		if (m.off <= before || m.off > m.n)
			abort();
	}
	if (rp_msg_end(&m) != 0)
		abort();
	return 0;
}
