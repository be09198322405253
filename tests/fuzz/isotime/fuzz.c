/* SPDX-License-Identifier: ISC */
/*
 * fuzz.c — libFuzzer target for the ISO 8601 instant parser
 * (src/domain/date.c: a handheld's returned_at).  For every input: a
 * failure leaves 0; a success is only of a well-formed length, and the
 * instant written back (rp_time_format_iso) in UTC ("…Z") and in Japan
 * time ("…+09:00") parses to the same second.
 */
#include "util/common.h"

#include "domain/date.h"
#include "../fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_str in = { (const char *)data, size };
	char back[RP_TIME_ISO_STRLEN], local[RP_TIME_ISO_STRLEN];
	int64_t t, t2;

	if (rp_time_parse_iso(in, &t) != 0) {
		check(t == 0);
		return 0;
	}
	check(size >= 17 && size <= 25 && data[10] == 'T');
	check(rp_time_format_iso(t, 0, back) == 0 && strlen(back) == 20);
	check(rp_time_parse_iso(rp_str_c(back), &t2) == 0 && t2 == t);
	/* and in Japan time, as the handheld API writes it */
	check(rp_time_format_iso(t, 540, local) == 0 && strlen(local) == 25);
	check(rp_time_parse_iso(rp_str_c(local), &t2) == 0 && t2 == t);
	return 0;
}
