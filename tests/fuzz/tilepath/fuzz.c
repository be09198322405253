/* SPDX-License-Identifier: ISC */
/*
 * fuzz.c — libFuzzer target for the tile server's request path parser
 * (rp_tile_path_parse, src/alog/tile.c).  Beyond "no crash": every
 * accepted path re-encodes to exactly the same bytes (one name per
 * resource), the parsed fields are in range, and a refused path leaves the
 * result zeroed.
 */
#include "util/common.h"
#include "alog/tile.h"
#include "../fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_tile t;
	char out[RP_TILE_PATH_MAX];
	int n;

	if (rp_tile_path_parse((struct rp_str){ (const char *)data, size },
	    &t) != 0) {
		check(t.level == 0 && t.index == 0 && t.width == 0);
		return 0;
	}
	check(t.level == RP_TILE_ENTRIES ||
	    (t.level >= 0 && t.level <= RP_TILE_MAX_LEVEL));
	check(t.width >= 1 && t.width <= RP_TILE_WIDTH);
	n = rp_tile_path(&t, out, sizeof(out));
	check(n > 0 && (size_t)n == size && memcmp(out, data, size) == 0);
	check(strstr(out, "..") == NULL);
	return 0;
}
