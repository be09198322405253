/* SPDX-License-Identifier: ISC */
/*
 * fuzz.c — libFuzzer target for the ISO 8601 instant parser
 * (src/domain/date.c: a handheld's returned_at).  For every input: a
 * failure leaves 0; a success is only of a well-formed length, and the
 * instant written back in UTC ("YYYY-MM-DDTHH:MM:SSZ") parses to the same
 * second.
 */
#include "util/common.h"

#include "domain/date.h"
#include "../fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_str in = { (const char *)data, size };
	struct rp_localtime lt;
	char back[RP_DATE_STRLEN + 16], day[RP_DATE_STRLEN];
	int64_t t, t2;

	if (rp_time_parse_iso(in, &t) != 0) {
		check(t == 0);
		return 0;
	}
	check(size >= 17 && size <= 25 && data[10] == 'T');
	check(rp_time_local(t, 0, &lt) == 0);
	check(rp_date_format(lt.date, day) == 0);
	snprintf(back, sizeof(back), "%sT%02d:%02d:%02dZ", day, lt.hour,
	    lt.minute, lt.second);
	check(rp_time_parse_iso(rp_str_c(back), &t2) == 0 && t2 == t);
	return 0;
}
