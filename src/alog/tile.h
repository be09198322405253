/* SPDX-License-Identifier: ISC */
/*
 * tile.h — C2SP tlog-tiles v0.1.0: tile and entry-bundle paths, tile
 * geometry for a tree size, entry-bundle encoding, and a Merkle hash
 * reader over stored tiles so proofs (merkle.h) are computed from tiles
 * alone.  Pure functions; the log writer owns the files, its HTTP server
 * parses request paths with rp_tile_path_parse (untrusted input).
 *
 * Geometry.  Tile height 8, width 256.  Hash i of tile N at tile level l
 * (0..63) is the Merkle subtree hash at Merkle level 8*l, index N*256 + i,
 * i.e. the root of leaves [(N*256 + i) * 256^l, (N*256 + i + 1) * 256^l).
 * A full tile holds 256 hashes (8192 bytes); a partial tile of width W
 * (1..255) holds the first W.  Entry bundle N holds entries N*256 ..
 * N*256 + W - 1, each as big-endian uint16 length ‖ bytes.
 *
 * Paths (no leading '/', no prefix):
 *   tile/<L>/<N>[.p/<W>]        L decimal 0..63 without leading zeros
 *   tile/entries/<N>[.p/<W>]    W decimal 1..255 without leading zeros
 * N in 3-digit zero-padded groups, all but the last prefixed 'x', and no
 * all-zero leading group: 5 "005", 1234 "x001/234", 1234067 "x001/x234/067".
 */
#ifndef RP_ALOG_TILE_H
#define RP_ALOG_TILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/errors.h"
#include "util/str.h"

#define RP_TILE_HEIGHT		8
#define RP_TILE_WIDTH		256
#define RP_TILE_HASH_LEN	32
#define RP_TILE_BYTES		(RP_TILE_WIDTH * RP_TILE_HASH_LEN)	/* 8192 */
#define RP_TILE_MAX_LEVEL	63
#define RP_TILE_ENTRIES		(-1)	/* rp_tile.level of an entry bundle */
#define RP_TILE_PATH_MAX	80	/* any path, plus NUL */
#define RP_BUNDLE_MAX_ENTRY	65535	/* uint16 length prefix */

struct rp_tile {
	int level;		/* 0..63, or RP_TILE_ENTRIES */
	uint64_t index;		/* N */
	unsigned width;		/* 1..256; 256 = full (no ".p/W") */
};

/*
 * Writes the path of t to out (cap bytes incl. NUL; RP_TILE_PATH_MAX is
 * always enough) and returns its length, or a negative RP_E_INVAL (bad
 * level or width) / RP_E_TOOBIG (cap too small; out then holds "").
 */
int rp_tile_path(const struct rp_tile *t, char *out, size_t cap);

/*
 * Parses a request path (e.g. the URL path after "<prefix>/"; no query,
 * no leading '/', no percent-decoding).  Accepts exactly the strings
 * rp_tile_path produces: rp_tile_path(parse(p)) == p byte for byte.
 * Rejects leading zeros, group count or N overflow past uint64, W outside
 * 1..255 (".p/256" too), L > 63, "..", empty segments, junk, anything
 * longer than RP_TILE_PATH_MAX - 1.  0 or RP_E_INVAL (*t zeroed).
 */
int rp_tile_path_parse(struct rp_str path, struct rp_tile *t) RP_WARN_UNUSED;

/*
 * ---- Geometry for a tree of size s ----
 * Levels past the top simply have no tiles (full count 0, width 0).
 */

/* Width of the partial tile at level l: floor(s / 256^l) mod 256 (0: none). */
unsigned rp_tile_partial_width(uint64_t s, int level);
/* Number of full tiles at level l: floor(s / 256^(l+1)). */
uint64_t rp_tile_full_count(uint64_t s, int level);
/*
 * Width of tile (level, index) in the tree of size s: 256 if full, 1..255
 * if it is the partial tile, 0 if it does not exist at that size.
 * RP_TILE_ENTRIES is treated as level 0.
 */
unsigned rp_tile_width_at(uint64_t s, int level, uint64_t index);
/* Number of tile levels that hold any tile at size s (0 for s == 0). */
int rp_tile_levels(uint64_t s);

/*
 * ---- Entry bundles ----
 */

/*
 * Appends one entry (len <= RP_BUNDLE_MAX_ENTRY) to a bundle being built.
 * 0, RP_E_TOOBIG (entry too long; nothing appended), or out's error.
 */
int rp_bundle_add(struct rp_buf *out, const void *entry, size_t len)
    RP_WARN_UNUSED;

/*
 * Takes the next entry off a bundle cursor; *cur advances only on success.
 * 0; RP_E_NOTFOUND at the end (cur empty); RP_E_INVAL if truncated.
 */
int rp_bundle_next(struct rp_str *cur, struct rp_str *entry) RP_WARN_UNUSED;

/*
 * Splits a whole bundle that must hold exactly count entries (1..256)
 * and nothing after them; entries[] gets count views borrowing data.
 * 0 or RP_E_INVAL.
 */
int rp_bundle_parse(struct rp_str data, unsigned count,
    struct rp_str *entries /* count */) RP_WARN_UNUSED;

/*
 * ---- Hash reader over stored tiles ----
 *
 * load fills out with the first `width` hashes (width * 32 bytes) of tile
 * (level, index) — a tile level 0..63, never entries.  Tiles only grow, so
 * the loader may copy the prefix of any wider stored version (a full tile
 * or a wider partial).  Return 0, or a negative RP_E_* (RP_E_NOTFOUND if
 * missing) that is passed through to the caller.
 */
typedef int (*rp_tile_load_fn)(void *arg, int level, uint64_t index,
    unsigned width, uint8_t *out);

#define RP_TILE_READER_CACHE	4

struct rp_tile_reader {
	rp_tile_load_fn load;
	void *arg;
	uint64_t size;			/* tree size the reader serves */
	struct {			/* small cache of loaded tiles */
		int level;		/* -1: empty slot */
		uint64_t index;
		unsigned width;
		uint8_t *hashes;	/* owned, RP_TILE_BYTES */
	} cache[RP_TILE_READER_CACHE];
	unsigned next;			/* round-robin victim */
};

/*
 * Sets up a reader for tree size `size` with loader (load, arg).  0 or
 * RP_E_NOMEM; release with rp_tile_reader_release (also after failure).
 */
int rp_tile_reader_init(struct rp_tile_reader *r, uint64_t size,
    rp_tile_load_fn load, void *arg) RP_WARN_UNUSED;
void rp_tile_reader_release(struct rp_tile_reader *r);

/*
 * An rp_merkle_reader_fn (pass the struct rp_tile_reader * as arg): the hash
 * of complete subtree (level, index) at Merkle level 0..63 in the tree of
 * r->size, read from tile level level/8 and combined with level%8 rounds
 * of node hashing when level is not a multiple of 8.  RP_E_RANGE if the
 * subtree is not complete inside r->size; or the loader's error.
 */
int rp_tile_reader_hash(void *r /* struct rp_tile_reader * */,
    unsigned level, uint64_t index, uint8_t out[RP_TILE_HASH_LEN])
    RP_WARN_UNUSED;

#endif
