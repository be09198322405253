/* SPDX-License-Identifier: ISC */
/*
 * jsondepth.c — the JSON nesting pre-scan (see jsondepth.h): one pass,
 * no allocation, over untrusted bytes (fuzzed: tests/fuzz/jsondepth).
 */
#include "util/common.h"
#include "web/jsondepth.h"

bool
rp_json_depth_ok(struct rp_str s, unsigned max)
{
	unsigned depth = 0;
	bool in_str = false;
	size_t i;

	for (i = 0; i < s.n; i++) {
		char c = s.p[i];

		if (in_str) {
			if (c == '\\')
				i++;	/* the escaped byte cannot end the string */
			else if (c == '"')
				in_str = false;
			continue;
		}
		switch (c) {
		case '"':
			in_str = true;
			break;
		case '[':
		case '{':
			if (++depth > max)
				return false;
			break;
		case ']':
		case '}':
			/* Unbalanced closers: invalid JSON, json_loadb says so. */
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
	}
	return true;
}
