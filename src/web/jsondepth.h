/* SPDX-License-Identifier: ISC */
/*
 * jsondepth.h — a nesting limit for JSON request bodies.  jansson (the
 * API's parser) has no depth option and recurses once per level, so a
 * body of 16 KiB of "[" costs 16 000 stack frames; this pre-scan refuses
 * too deep a document before json_loadb sees it.
 */
#ifndef RP_WEB_JSONDEPTH_H
#define RP_WEB_JSONDEPTH_H

#include <stdbool.h>

#include "util/str.h"

/* Depth the API accepts: its documents nest 3 levels; 32 leaves room. */
#define RP_JSON_MAX_DEPTH	32

/*
 * True if no '[' or '{' outside a string is nested deeper than max.
 * Counts brackets only (not whether the JSON is valid: json_loadb
 * decides that); strings are skipped with their backslash escapes, and an
 * unterminated string ends the scan as "not too deep".
 */
bool rp_json_depth_ok(struct rp_str s, unsigned max);

#endif
