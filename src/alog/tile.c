/* SPDX-License-Identifier: ISC */
/*
 * tile.c — C2SP tlog-tiles paths, geometry, entry bundles and the tile
 * hash reader (see tile.h).  rp_tile_path_parse faces HTTP requests to the
 * log writer's tile server: it accepts only the canonical spelling, so one
 * resource has exactly one name (and a fuzz target holds it to that).
 */
#include "util/common.h"

#include "alog/merkle.h"
#include "alog/tile.h"

#define MAX_GROUPS 7		/* UINT64_MAX has 20 digits */

int
rp_tile_path(const struct rp_tile *t, char *out, size_t cap)
{
	unsigned g[MAX_GROUPS];
	uint64_t n = t->index;
	int ng = 0, len, k, w;
	char buf[RP_TILE_PATH_MAX];

	if (cap > 0)
		out[0] = '\0';
	if ((t->level != RP_TILE_ENTRIES &&
	    (t->level < 0 || t->level > RP_TILE_MAX_LEVEL)) ||
	    t->width < 1 || t->width > RP_TILE_WIDTH)
		return RP_E_INVAL;
	do {
		g[ng++] = (unsigned)(n % 1000);
		n /= 1000;
	} while (n > 0);
	if (t->level == RP_TILE_ENTRIES)
		len = snprintf(buf, sizeof(buf), "tile/entries/");
	else
		len = snprintf(buf, sizeof(buf), "tile/%d/", t->level);
	for (k = ng - 1; k >= 0; k--) {
		w = snprintf(buf + len, sizeof(buf) - (size_t)len,
		    k > 0 ? "x%03u/" : "%03u", g[k]);
		len += w;
	}
	if (t->width < RP_TILE_WIDTH)
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, ".p/%u",
		    t->width);
	if ((size_t)len >= cap)
		return RP_E_TOOBIG;
	memcpy(out, buf, (size_t)len + 1);
	return len;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * A decimal without leading zeros in [lo, hi] taken off the front of *s up
 * to the first non-digit; the cursor advances only on success.
 */
static bool
take_dec(struct rp_str *s, unsigned lo, unsigned hi, unsigned *out)
{
	size_t i = 0;
	unsigned v = 0;

	while (i < s->n && is_digit(s->p[i]) && i < 4)
		v = v * 10 + (unsigned)(s->p[i++] - '0');
	if (i == 0 || (i < s->n && is_digit(s->p[i])) ||
	    (i > 1 && s->p[0] == '0') || v < lo || v > hi)
		return false;
	s->p += i;
	s->n -= i;
	*out = v;
	return true;
}

static bool
take_lit(struct rp_str *s, const char *lit)
{
	size_t n = strlen(lit);

	if (s->n < n || memcmp(s->p, lit, n) != 0)
		return false;
	s->p += n;
	s->n -= n;
	return true;
}

static bool
take_group(struct rp_str *s, unsigned *out)
{
	if (s->n < 3 || !is_digit(s->p[0]) || !is_digit(s->p[1]) ||
	    !is_digit(s->p[2]))
		return false;
	*out = (unsigned)(s->p[0] - '0') * 100 +
	    (unsigned)(s->p[1] - '0') * 10 + (unsigned)(s->p[2] - '0');
	s->p += 3;
	s->n -= 3;
	return true;
}

int
rp_tile_path_parse(struct rp_str path, struct rp_tile *t)
{
	struct rp_str s = path;
	unsigned lv, g, w;
	uint64_t n = 0;
	int ng = 0;

	memset(t, 0, sizeof(*t));
	if (path.n >= RP_TILE_PATH_MAX || !take_lit(&s, "tile/"))
		goto fail;
	if (take_lit(&s, "entries/"))
		t->level = RP_TILE_ENTRIES;
	else if (take_dec(&s, 0, RP_TILE_MAX_LEVEL, &lv) && take_lit(&s, "/"))
		t->level = (int)lv;
	else
		goto fail;
	for (;;) {
		bool more = take_lit(&s, "x");

		if (++ng > MAX_GROUPS || !take_group(&s, &g))
			goto fail;
		/* The leading group of a multi-group N is never 000. */
		if (ng == 1 && more && g == 0)
			goto fail;
		if (n > (UINT64_MAX - g) / 1000)
			goto fail;
		n = n * 1000 + g;
		if (!more)
			break;
		if (!take_lit(&s, "/"))
			goto fail;
	}
	t->index = n;
	t->width = RP_TILE_WIDTH;
	if (s.n > 0) {
		if (!take_lit(&s, ".p/") || !take_dec(&s, 1, RP_TILE_WIDTH - 1, &w)
		    || s.n != 0)
			goto fail;
		t->width = w;
	}
	return 0;
 fail:
	memset(t, 0, sizeof(*t));
	return RP_E_INVAL;
}

/* ---- geometry ---- */

unsigned
rp_tile_partial_width(uint64_t s, int level)
{
	if (level < 0)
		level = 0;
	if (level >= 8)
		return 0;
	return (unsigned)((s >> (8 * level)) & 0xff);
}

uint64_t
rp_tile_full_count(uint64_t s, int level)
{
	if (level < 0)
		level = 0;
	if (level >= 7)
		return 0;
	return s >> (8 * (level + 1));
}

unsigned
rp_tile_width_at(uint64_t s, int level, uint64_t index)
{
	uint64_t full = rp_tile_full_count(s, level);

	if (index < full)
		return RP_TILE_WIDTH;
	if (index == full)
		return rp_tile_partial_width(s, level);
	return 0;
}

int
rp_tile_levels(uint64_t s)
{
	int l = 0;

	while (l < 8 && (s >> (8 * l)) != 0)
		l++;
	return l;
}

/* ---- entry bundles ---- */

int
rp_bundle_add(struct rp_buf *out, const void *entry, size_t len)
{
	uint8_t hdr[2];

	if (len > RP_BUNDLE_MAX_ENTRY)
		return RP_E_TOOBIG;
	hdr[0] = (uint8_t)(len >> 8);
	hdr[1] = (uint8_t)len;
	rp_buf_add(out, hdr, 2);
	return rp_buf_add(out, entry, len);
}

int
rp_bundle_next(struct rp_str *cur, struct rp_str *entry)
{
	size_t len;

	*entry = RP_STR_NULL;
	if (cur->n == 0)
		return RP_E_NOTFOUND;
	if (cur->n < 2)
		return RP_E_INVAL;
	len = (size_t)(unsigned char)cur->p[0] << 8 | (unsigned char)cur->p[1];
	if (cur->n - 2 < len)
		return RP_E_INVAL;
	*entry = (struct rp_str){ cur->p + 2, len };
	cur->p += 2 + len;
	cur->n -= 2 + len;
	return 0;
}

int
rp_bundle_parse(struct rp_str data, unsigned count, struct rp_str *entries)
{
	struct rp_str cur = data;
	unsigned i;

	if (count < 1 || count > RP_TILE_WIDTH)
		return RP_E_INVAL;
	for (i = 0; i < count; i++)
		if (rp_bundle_next(&cur, &entries[i]) != 0)
			goto fail;
	if (cur.n != 0)
		goto fail;
	return 0;
 fail:
	for (i = 0; i < count; i++)
		entries[i] = RP_STR_NULL;
	return RP_E_INVAL;
}

/* ---- hash reader over tiles ---- */

int
rp_tile_reader_init(struct rp_tile_reader *r, uint64_t size,
    rp_tile_load_fn load, void *arg)
{
	unsigned i;

	memset(r, 0, sizeof(*r));
	r->load = load;
	r->arg = arg;
	r->size = size;
	for (i = 0; i < RP_TILE_READER_CACHE; i++) {
		r->cache[i].level = -1;
		if ((r->cache[i].hashes = malloc(RP_TILE_BYTES)) == NULL)
			return RP_E_NOMEM;
	}
	return 0;
}

void
rp_tile_reader_release(struct rp_tile_reader *r)
{
	unsigned i;

	for (i = 0; i < RP_TILE_READER_CACHE; i++) {
		free(r->cache[i].hashes);
		r->cache[i].hashes = NULL;
		r->cache[i].level = -1;
	}
}

/* Tile (level, index) with at least `need` hashes, via the cache. */
static int
get_tile(struct rp_tile_reader *r, int level, uint64_t index, unsigned need,
    const uint8_t **hashes)
{
	unsigned i, w;
	int e;

	for (i = 0; i < RP_TILE_READER_CACHE; i++)
		if (r->cache[i].level == level && r->cache[i].index == index &&
		    r->cache[i].width >= need) {
			*hashes = r->cache[i].hashes;
			return 0;
		}
	w = rp_tile_width_at(r->size, level, index);
	if (w < need)
		return RP_E_RANGE;
	i = r->next;
	r->next = (r->next + 1) % RP_TILE_READER_CACHE;
	r->cache[i].level = -1;
	if ((e = r->load(r->arg, level, index, w, r->cache[i].hashes)) != 0)
		return e;
	r->cache[i].level = level;
	r->cache[i].index = index;
	r->cache[i].width = w;
	*hashes = r->cache[i].hashes;
	return 0;
}

int
rp_tile_reader_hash(void *arg, unsigned level, uint64_t index,
    uint8_t out[RP_TILE_HASH_LEN])
{
	struct rp_tile_reader *r = arg;
	const uint8_t *h;
	unsigned tl, rem, off, count;
	uint64_t first;
	int e;

	memset(out, 0, RP_TILE_HASH_LEN);
	if (level > RP_MERKLE_MAX_LEVEL || index >= (r->size >> level))
		return RP_E_RANGE;
	/*
	 * The subtree is 2^rem consecutive hashes at Merkle level 8*tl, all in
	 * one tile (2^rem <= 128 and aligned), combined by rem rounds.
	 */
	tl = level / RP_TILE_HEIGHT;
	rem = level % RP_TILE_HEIGHT;
	first = index << rem;
	off = (unsigned)(first % RP_TILE_WIDTH);
	count = 1u << rem;
	if ((e = get_tile(r, (int)tl, first / RP_TILE_WIDTH, off + count, &h))
	    != 0)
		return e;
	rp_merkle_hash_nodes(h + (size_t)off * RP_TILE_HASH_LEN, count, out);
	return 0;
}
