/* SPDX-License-Identifier: ISC */
/*
 * fuzz.c — libFuzzer target for the access-log entry decoder
 * (rp_alog_entry_decode, src/alog/entry.c): entries come back from files
 * any verifier may be handed, and bodies from the vault.  Beyond "no
 * crash": an accepted entry re-encodes (body, then stamp with the same
 * time) to exactly the input bytes, and a refused one leaves *e zeroed.
 */
#include "util/common.h"
#include "alog/entry.h"
#include "../fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rp_alog_entry zero;
	struct rp_alog_entry e;
	struct rp_buf body, whole;

	if (rp_alog_entry_decode((struct rp_str){ (const char *)data, size },
	    &e) != 0) {
		check(memcmp(&e, &zero, sizeof(e)) == 0);
		return 0;
	}
	rp_buf_init(&body, RP_ALOG_MAX_ENTRY);
	rp_buf_init(&whole, RP_ALOG_MAX_ENTRY);
	check(rp_alog_body_encode(&e, &body) == 0);
	check(rp_alog_entry_stamp(rp_buf_str(&body), e.time_ms, &whole) == 0);
	check(whole.len == size && memcmp(whole.d, data, size) == 0);
	rp_buf_release(&body);
	rp_buf_release(&whole);
	return 0;
}
