/* SPDX-License-Identifier: ISC */
/*
 * test_tile.c — tlog-tiles paths, geometry, entry bundles and the tile
 * hash reader (src/alog/tile.c): the spec's path and 70,000-leaf examples,
 * strict path parsing, and proofs computed from tiles alone equal to
 * proofs computed from every stored subtree, for many tree sizes.
 */
#include "util/common.h"

#include "alog/merkle.h"
#include "alog/tile.h"
#include "tap.h"

#define H 32

static void
test_paths(void)
{
	static const struct {
		int level;
		uint64_t index;
		unsigned width;
		const char *path;
	} good[] = {
		{ 0, 5, 256, "tile/0/005" },
		{ 0, 1234, 256, "tile/0/x001/234" },
		{ 1, 1234067, 256, "tile/1/x001/x234/067" },
		{ 0, 0, 1, "tile/0/000.p/1" },
		{ 2, 1000, 17, "tile/2/x001/000.p/17" },
		{ 63, 999, 255, "tile/63/999.p/255" },
		{ RP_TILE_ENTRIES, 273, 112, "tile/entries/273.p/112" },
		{ RP_TILE_ENTRIES, UINT64_MAX, 255,
		  "tile/entries/x018/x446/x744/x073/x709/x551/615.p/255" },
		{ 10, 1000000, 256, "tile/10/x001/x000/000" },
	};
	static const char *bad[] = {
		"", "tile", "tile/", "tile/0", "tile/0/", "tile/0/5", "tile/0/05",
		"tile/0/0005", "tile/00/005", "tile/01/005", "tile/64/005",
		"tile/-1/005", "tile/0/x000/005", "tile/0/x005", "tile/0/x005/",
		"tile/0/005/", "/tile/0/005", "tile/0/005.p/", "tile/0/005.p/0",
		"tile/0/005.p/256", "tile/0/005.p/007", "tile/0/005.p/1x",
		"tile/0/005.p/1/", "tile/0/005.q/1", "tile/0/005.p/-1",
		"tile/0/../005", "tile/../0/005", "tile/entries/..",
		"tile/entries", "tile/entries/", "tile/entry/005", "Tile/0/005",
		"tile/0/x001/x234/67", "tile/0/X001/234", "tile/0/x01/234",
		"tile/0/x018/x446/x744/x073/x709/x551/616",
		"tile/0/x001/x000/x000/x000/x000/x000/x000/000",
		"tile/0/00a", "tile/0/005?x=1", "tile/0/005%2e", "tile/0//005",
		"tile/1000/005", "tile/0/005.p/1000",
	};
	struct rp_tile t;
	char out[RP_TILE_PATH_MAX];
	size_t i;
	int fails = 0, n;

	for (i = 0; i < RP_ARRAY_LEN(good); i++) {
		t = (struct rp_tile){ good[i].level, good[i].index, good[i].width };
		n = rp_tile_path(&t, out, sizeof(out));
		if (n != (int)strlen(good[i].path) || strcmp(out, good[i].path) != 0) {
			diag("encode %s: got %s", good[i].path, out);
			fails++;
		}
		if (rp_tile_path_parse(rp_str_c(good[i].path), &t) != 0 ||
		    t.level != good[i].level || t.index != good[i].index ||
		    t.width != good[i].width) {
			diag("parse %s", good[i].path);
			fails++;
		}
	}
	ok(fails == 0, "spec paths encode and parse (5, 1234, 1234067, partial, entries, max)");
	fails = 0;
	for (i = 0; i < RP_ARRAY_LEN(bad); i++)
		if (rp_tile_path_parse(rp_str_c(bad[i]), &t) == 0) {
			diag("accepted \"%s\"", bad[i]);
			fails++;
		} else if (t.level != 0 || t.index != 0 || t.width != 0)
			fails++;
	ok(fails == 0, "non-canonical and junk paths refused, result zeroed");
	ok(rp_tile_path_parse((struct rp_str){ "tile/0/005\0", 11 }, &t) != 0,
	    "embedded NUL refused");

	t = (struct rp_tile){ 64, 0, 256 };
	ok(rp_tile_path(&t, out, sizeof(out)) == RP_E_INVAL, "encode level 64 refused");
	t = (struct rp_tile){ 0, 0, 0 };
	ok(rp_tile_path(&t, out, sizeof(out)) == RP_E_INVAL, "encode width 0 refused");
	t = (struct rp_tile){ 0, 1234, 256 };
	ok(rp_tile_path(&t, out, 10) == RP_E_TOOBIG && out[0] == '\0',
	    "encode into a short buffer: RP_E_TOOBIG, empty");
	/* Every index in a range round-trips. */
	fails = 0;
	for (i = 0; i < 1200000; i += 997) {
		struct rp_tile u;

		t = (struct rp_tile){ (int)(i % 64), i, (unsigned)(i % 256) + 1 };
		if (rp_tile_path(&t, out, sizeof(out)) < 0 ||
		    rp_tile_path_parse(rp_str_c(out), &u) != 0 ||
		    u.level != t.level || u.index != t.index || u.width != t.width)
			fails++;
	}
	ok(fails == 0, "encode/parse round trip over 1200 indexes");
}

static void
test_geometry(void)
{
	ok(rp_tile_full_count(70000, 0) == 273 && rp_tile_partial_width(70000, 0) == 112,
	    "70,000: 273 full level-0 tiles + .p/112");
	ok(rp_tile_full_count(70000, 1) == 1 && rp_tile_partial_width(70000, 1) == 17,
	    "70,000: 1 full level-1 tile + .p/17");
	ok(rp_tile_full_count(70000, 2) == 0 && rp_tile_partial_width(70000, 2) == 1,
	    "70,000: level-2 .p/1");
	ok(rp_tile_full_count(70000, 3) == 0 && rp_tile_partial_width(70000, 3) == 0,
	    "70,000: nothing at level 3");
	is_int(rp_tile_levels(70000), 3, "70,000: 3 tile levels");
	is_int(rp_tile_levels(0), 0, "empty tree: no tiles");
	is_int(rp_tile_levels(256), 2, "256: full level-0 tile + level-1 .p/1");
	is_int(rp_tile_levels(UINT64_MAX), 8, "2^64-1: 8 levels");
	ok(rp_tile_width_at(70000, 0, 272) == 256 && rp_tile_width_at(70000, 0, 273) == 112 &&
	    rp_tile_width_at(70000, 0, 274) == 0, "width_at level 0");
	ok(rp_tile_width_at(70000, 1, 0) == 256 && rp_tile_width_at(70000, 1, 1) == 17,
	    "width_at level 1");
	ok(rp_tile_width_at(70000, RP_TILE_ENTRIES, 273) == 112, "entries use level 0");
	ok(rp_tile_width_at(512, 0, 2) == 0, "no empty partial tile");
	ok(rp_tile_partial_width(UINT64_MAX, 7) == 255 &&
	    rp_tile_full_count(UINT64_MAX, 7) == 0 &&
	    rp_tile_partial_width(UINT64_MAX, 8) == 0, "top of the 64-bit range");
}

static void
test_bundles(void)
{
	struct rp_buf b;
	struct rp_str e[4], cur;
	static char big[70000];
	int fails = 0;

	rp_buf_init(&b, 1 << 20);
	ok(rp_bundle_add(&b, "abc", 3) == 0 && rp_bundle_add(&b, "", 0) == 0 &&
	    rp_bundle_add(&b, big, 65535) == 0, "add entries (incl. empty, 65535)");
	ok(b.len == 2 + 3 + 2 + 2 + 65535 && (unsigned char)b.d[0] == 0 &&
	    b.d[1] == 3 && (unsigned char)b.d[7] == 0xff, "big-endian uint16 lengths");
	ok(rp_bundle_add(&b, big, 65536) == RP_E_TOOBIG && b.len == 65544,
	    "65536-byte entry refused, nothing appended");
	ok(rp_bundle_parse(rp_buf_str(&b), 3, e) == 0 && rp_str_eq_c(e[0], "abc") &&
	    e[1].n == 0 && e[2].n == 65535, "parse 3");
	ok(rp_bundle_parse(rp_buf_str(&b), 2, e) == RP_E_INVAL && e[0].n == 0,
	    "count 2 with 3 present: trailing data refused");
	ok(rp_bundle_parse(rp_buf_str(&b), 4, e) == RP_E_INVAL, "count 4: short");
	ok(rp_bundle_parse((struct rp_str){ b.d, b.len - 1 }, 3, e) == RP_E_INVAL,
	    "truncated last entry refused");
	ok(rp_bundle_parse((struct rp_str){ b.d, 1 }, 1, e) == RP_E_INVAL,
	    "half a length prefix refused");
	ok(rp_bundle_parse(rp_buf_str(&b), 0, e) == RP_E_INVAL, "count 0 refused");
	cur = rp_buf_str(&b);
	while (rp_bundle_next(&cur, &e[3]) == 0)
		fails++;
	ok(fails == 3 && cur.n == 0 && rp_bundle_next(&cur, &e[3]) == RP_E_NOTFOUND,
	    "iterate 3 then RP_E_NOTFOUND");
	rp_buf_release(&b);
}

/* ---- tiles from a real tree ---- */

#define NLEAVES 70000

struct log {
	uint64_t size;
	uint8_t (*lv[17])[H];		/* every Merkle level 0..16 */
	uint64_t loads, bad_loads;
};

static int
log_sink(void *arg, unsigned level, uint64_t index, const uint8_t hash[H])
{
	struct log *l = arg;

	if (level <= 16)
		memcpy(l->lv[level][index], hash, H);
	return 0;
}

/* Reference reader: every complete subtree straight from memory. */
static int
log_read(void *arg, unsigned level, uint64_t index, uint8_t out[H])
{
	struct log *l = arg;

	if (level > 16 || index >= (l->size >> level))
		return RP_E_RANGE;
	memcpy(out, l->lv[level][index], H);
	return 0;
}

/*
 * Tile loader: serves only what tlog-tiles stores (Merkle levels 0, 8, 16)
 * and insists on the width the tree size implies.
 */
static int
tile_load(void *arg, int level, uint64_t index, unsigned width, uint8_t *out)
{
	struct log *l = arg;
	uint64_t first = index * 256;

	l->loads++;
	if (level < 0 || level > 2 || width < 1 || width > 256 ||
	    width != rp_tile_width_at(l->size, level, index) ||
	    first + width > (l->size >> (8 * level))) {
		l->bad_loads++;
		return RP_E_NOTFOUND;
	}
	memcpy(out, l->lv[8 * level][first], (size_t)width * H);
	return 0;
}

static void
test_reader(void)
{
	static struct log lg;
	struct rp_merkle_tree t;
	struct rp_tile_reader rd;
	uint8_t a[RP_MERKLE_MAX_PROOF * H], b[RP_MERKLE_MAX_PROOF * H];
	uint8_t h1[H], h2[H], root[H];
	static const uint64_t sizes[] = { 1, 2, 255, 256, 257, 511, 512, 1000,
	    65535, 65536, 65537, 69999, 70000 };
	size_t i, la, lb, k;
	uint64_t n, j, m;
	int fails = 0, lvl;
	char d[32];

	for (k = 0; k <= 16; k++)
		if ((lg.lv[k] = calloc((NLEAVES >> k) + 1, H)) == NULL)
			return;
	rp_merkle_tree_init(&t);
	for (j = 0; j < NLEAVES; j++) {
		int dl = snprintf(d, sizeof(d), "entry-%" PRIu64, j);

		rp_merkle_leaf_hash(d, (size_t)dl, h1);
		if (rp_merkle_tree_append(&t, h1, log_sink, &lg) != 0)
			fails++;
	}
	ok(fails == 0, "70,000 appends");

	for (i = 0; i < RP_ARRAY_LEN(sizes); i++) {
		n = sizes[i];
		lg.size = n;
		if (rp_tile_reader_init(&rd, n, tile_load, &lg) != 0) {
			fails++;
			rp_tile_reader_release(&rd);
			continue;
		}
		/* Every level, a spread of indexes. */
		for (lvl = 0; lvl <= 16; lvl++)
			for (j = 0; j < (n >> lvl); j += 1 + (n >> lvl) / 50) {
				if (rp_tile_reader_hash(&rd, (unsigned)lvl, j, h1) != 0 ||
				    log_read(&lg, (unsigned)lvl, j, h2) != 0 ||
				    memcmp(h1, h2, H) != 0)
					fails++;
			}
		if (rp_tile_reader_hash(&rd, 0, n, h1) != RP_E_RANGE)
			fails++;
		if (rp_merkle_root_at(rp_tile_reader_hash, &rd, n, root) != 0 ||
		    rp_merkle_root_at(log_read, &lg, n, h2) != 0 ||
		    memcmp(root, h2, H) != 0)
			fails++;
		/* Inclusion and consistency proofs from tiles = from memory. */
		for (j = 0; j < n; j += 1 + n / 40) {
			if (rp_merkle_prove_inclusion(rp_tile_reader_hash, &rd, j,
			    n, a, &la) != 0 ||
			    rp_merkle_prove_inclusion(log_read, &lg, j, n, b, &lb)
			    != 0 || la != lb || memcmp(a, b, la * H) != 0 ||
			    rp_merkle_verify_inclusion(j, n, lg.lv[0][j], a, la,
			    root) != 0)
				fails++;
		}
		for (m = 1; m <= n; m += 1 + n / 30) {
			uint8_t old[H];

			if (rp_merkle_root_at(log_read, &lg, m, old) != 0 ||
			    rp_merkle_prove_consistency(rp_tile_reader_hash, &rd,
			    m, n, a, &la) != 0 ||
			    rp_merkle_verify_consistency(m, n, old, root, a, la) != 0)
				fails++;
		}
		rp_tile_reader_release(&rd);
	}
	ok(fails == 0, "subtree hashes, roots and proofs from tiles alone match, 13 sizes");
	ok(lg.loads > 0 && lg.bad_loads == 0,
	    "reader asked only for tiles that exist, at the width the size implies");

	/* The loader's error passes through, and a failed load is not cached. */
	{
		struct log empty = lg;

		empty.size = 70000;
		if (rp_tile_reader_init(&rd, 70000, tile_load, &empty) == 0) {
			empty.size = 10;	/* the loader now refuses most tiles */
			ok(rp_tile_reader_hash(&rd, 0, 500, h1) == RP_E_NOTFOUND,
			    "loader error passes through");
			empty.size = 70000;
			ok(rp_tile_reader_hash(&rd, 0, 500, h1) == 0 &&
			    memcmp(h1, lg.lv[0][500], H) == 0,
			    "failed load not cached");
		} else
			ok(0, "reader init");
		rp_tile_reader_release(&rd);
	}
	for (k = 0; k <= 16; k++)
		free(lg.lv[k]);
}

int
main(void)
{
	test_paths();
	test_geometry();
	test_bundles();
	test_reader();
	return tap_done();
}
