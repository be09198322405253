/* SPDX-License-Identifier: ISC */
/*
 * verify.c — the independent verifier of the access log's files (see
 * verify.h).  Run by `rentport log ...` as an operator tool, never by a
 * service; every file it reads is untrusted.
 *
 * Shape of `verify`: one sequential walk over the wal's record lengths
 * (offset of every 256th record), then worker threads, each over a
 * contiguous range of level-0 tiles: per tile, recompute the 256 leaf
 * hashes (whose first 4 bytes are the wal checks), decode every entry,
 * compare the entry bundle(s) and the level-0 tile file(s), and hash the
 * tile's 256 leaves into the level-1 hash array.  The main thread then
 * checks the higher tile levels from those arrays, looks for tile files
 * past the end of the wal, and checks the root.  Each
 * problem is recorded with the first entry index it concerns; the lowest
 * one is reported.
 */
#include "util/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alog/entry.h"
#include "alog/merkle.h"
#include "alog/tile.h"
#include "alog/verify.h"

#define HLEN		RP_MERKLE_HASH_LEN
#define TW		RP_TILE_WIDTH
#define MAX_THREADS	16
/* A bundle of 256 entries of the largest size. */
#define BUNDLE_MAX	((size_t)TW * (2 + RP_BUNDLE_MAX_ENTRY))
#define SMALL_FILE_MAX	4096
#define FAIL_KEEP	1024

/* ---- files ---- */

/*
 * Reads the whole file path (relative to dirfd) into *buf (grown, owned by
 * the caller), at most max bytes.  0; RP_E_NOTFOUND; RP_E_TOOBIG (larger
 * than max); RP_E_IO; RP_E_NOMEM.
 */
static int
read_at(int dirfd, const char *path, size_t max, uint8_t **buf, size_t *cap,
    size_t *len)
{
	struct stat sb;
	size_t got = 0;
	ssize_t k;
	int fd, r = 0;

	*len = 0;
	if ((fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? RP_E_NOTFOUND : RP_E_IO;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		r = RP_E_IO;
		goto out;
	}
	if ((uint64_t)sb.st_size > max) {
		r = RP_E_TOOBIG;
		goto out;
	}
	if (*cap < (size_t)sb.st_size + 1) {
		uint8_t *nb = realloc(*buf, (size_t)sb.st_size + 1);

		if (nb == NULL) {
			r = RP_E_NOMEM;
			goto out;
		}
		*buf = nb;
		*cap = (size_t)sb.st_size + 1;
	}
	/* Read to the size seen; a file that grew meanwhile is cut there. */
	while (got < (size_t)sb.st_size) {
		k = read(fd, *buf + got, (size_t)sb.st_size - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = RP_E_IO;
			goto out;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	(*buf)[got] = 0;
	*len = got;
 out:
	close(fd);
	return r;
}

/* A small text file as an owned C string, one trailing "\n" removed. */
static int
read_text(const char *dir, const char *name, size_t max, char **out,
    size_t *outlen)
{
	uint8_t *buf = NULL;
	size_t cap = 0, len = 0;
	int dfd, r;

	*out = NULL;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? RP_E_NOTFOUND : RP_E_IO;
	r = read_at(dfd, name, max, &buf, &cap, &len);
	close(dfd);
	if (r != 0) {
		free(buf);
		return r;
	}
	if (buf == NULL && (buf = calloc(1, 1)) == NULL)
		return RP_E_NOMEM;
	*out = (char *)buf;
	*outlen = len;
	return 0;
}

static void
chomp(char *s, size_t *len)
{
	if (*len > 0 && s[*len - 1] == '\n')
		s[--*len] = 0;
}

/* ---- the wal ---- */

static uint64_t
be16(const uint8_t *p)
{
	return (uint64_t)p[0] << 8 | p[1];
}

int
rp_alog_wal_open(struct rp_alog_wal *w, const char *path)
{
	struct stat sb;
	uint64_t *offs = NULL, ncap = 0, count = 0, len;
	size_t off = 0;
	void *m;
	int fd, r = 0;

	memset(w, 0, sizeof(*w));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? RP_E_NOTFOUND : RP_E_IO;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		r = RP_E_IO;
		goto out;
	}
	w->n = (size_t)sb.st_size;
	if (w->n > 0) {
		m = mmap(NULL, w->n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd,
		    0);
		if (m == MAP_FAILED) {
			r = RP_E_IO;
			goto out;
		}
		w->p = m;
		(void)madvise(m, w->n, MADV_SEQUENTIAL | MADV_WILLNEED);
	}
	/*
	 * One walk over the lengths.  Every record takes at least 6 bytes, so
	 * count and the offset table are bounded by the file size.
	 */
	for (;;) {
		if (count % TW == 0) {
			if (count / TW >= ncap) {
				uint64_t nc = ncap ? ncap * 2 : 64;
				uint64_t *no = realloc(offs, (size_t)(nc + 1) *
				    sizeof(*offs));

				if (no == NULL) {
					r = RP_E_NOMEM;
					goto out;
				}
				offs = no;
				ncap = nc;
			}
			offs[count / TW] = off;
		}
		if (w->n - off < 2)
			break;
		len = be16(w->p + off);
		if (w->n - off - 2 < len + RP_ALOG_WAL_CHECK_LEN)
			break;
		off += 2 + (size_t)len + RP_ALOG_WAL_CHECK_LEN;
		count++;
	}
	w->count = count;
	w->ntiles = (count + TW - 1) / TW;
	offs[w->ntiles] = off;	/* the end (slot exists: see above) */
	w->tile_off = offs;
	offs = NULL;		/* transferred */
	w->torn = off != w->n;
 out:
	free(offs);
	close(fd);
	if (r != 0)
		rp_alog_wal_close(w);
	return r;
}

void
rp_alog_wal_close(struct rp_alog_wal *w)
{
	if (w->p != NULL)
		munmap((void *)w->p, w->n);
	free(w->tile_off);
	memset(w, 0, sizeof(*w));
}

int
rp_alog_wal_entry(const struct rp_alog_wal *w, uint64_t i,
    struct rp_str *entry, const uint8_t **check)
{
	size_t off;
	uint64_t k, len = 0;

	if (i >= w->count) {
		*entry = RP_STR_NULL;
		return RP_E_RANGE;
	}
	off = w->tile_off[i / TW];
	for (k = i % TW;; k--) {
		len = be16(w->p + off);
		if (k == 0)
			break;
		off += 2 + (size_t)len + RP_ALOG_WAL_CHECK_LEN;
	}
	entry->p = (const char *)w->p + off + 2;
	entry->n = (size_t)len;
	if (check != NULL)
		*check = w->p + off + 2 + len;
	return 0;
}

/* ---- keys and checkpoint ---- */

static int
parse_vkey(struct rp_str s, struct rp_note_verifier *v)
{
	return rp_note_verifier_parse(rp_str_trim(s), v);
}

int
rp_alog_head_load(struct rp_alog_head *h, const char *alog_dir,
    const char *witness_vkey, const char *witness_vkey_file,
    struct rp_buf *msg)
{
	struct rp_note_verifier keys[2];
	struct rp_note_result res[2];
	char *vk = NULL, *wk = NULL;
	size_t vklen = 0, wklen = 0, olen = 0;
	int r;

	memset(h, 0, sizeof(*h));
	if ((r = read_text(alog_dir, "vkey", SMALL_FILE_MAX, &vk, &vklen))
	    != 0) {
		rp_buf_printf(msg, "vkey: cannot read the log's verifier key "
		    "(%s)", rp_strerror(r));
		goto out;
	}
	chomp(vk, &vklen);
	if (parse_vkey((struct rp_str){ vk, vklen }, &h->log_key) != 0 ||
	    h->log_key.alg != RP_NOTE_ALG_ED25519) {
		r = RP_E_INVAL;
		rp_buf_add_c(msg, "vkey: not a valid Ed25519 verifier key");
		goto out;
	}
	if (witness_vkey != NULL && witness_vkey[0] != 0) {
		if (parse_vkey(rp_str_c(witness_vkey), &h->witness_key) != 0) {
			r = RP_E_INVAL;
			rp_buf_add_c(msg, "witness_vkey: not a valid verifier "
			    "key");
			goto out;
		}
		h->witness_known = true;
	} else if (witness_vkey_file != NULL) {
		char *d = rp_str_dup(rp_str_c(witness_vkey_file));
		char *slash = d ? strrchr(d, '/') : NULL;

		if (d == NULL) {
			r = RP_E_NOMEM;
			goto out;
		}
		if (slash != NULL)
			*slash = 0;
		r = read_text(slash ? d : ".", slash ? slash + 1 : d,
		    SMALL_FILE_MAX, &wk, &wklen);
		free(d);
		if (r == 0) {
			chomp(wk, &wklen);
			if (parse_vkey((struct rp_str){ wk, wklen },
			    &h->witness_key) != 0) {
				r = RP_E_INVAL;
				rp_buf_printf(msg, "%s: not a valid verifier "
				    "key", witness_vkey_file);
				goto out;
			}
			h->witness_known = true;
		} else if (r != RP_E_NOTFOUND) {
			rp_buf_printf(msg, "%s: cannot read (%s)",
			    witness_vkey_file, rp_strerror(r));
			goto out;
		}
		r = 0;
	}
	if ((r = read_text(alog_dir, "origin", SMALL_FILE_MAX, &h->origin,
	    &olen)) != 0) {
		rp_buf_printf(msg, "origin: cannot read (%s)",
		    rp_strerror(r));
		goto out;
	}
	chomp(h->origin, &olen);
	if ((r = read_text(alog_dir, "checkpoint", RP_NOTE_MAX_LEN,
	    &h->cp_text, &h->cp_len)) != 0) {
		rp_buf_printf(msg, "checkpoint: cannot read (%s)",
		    rp_strerror(r));
		goto out;
	}
	if (rp_note_parse((struct rp_str){ h->cp_text, h->cp_len }, &h->note)
	    != 0) {
		r = RP_E_INVAL;
		rp_buf_add_c(msg, "checkpoint: not a well-formed signed note");
		goto out;
	}
	if (rp_checkpoint_parse(h->note.text, &h->cp) != 0) {
		r = RP_E_INVAL;
		rp_buf_add_c(msg, "checkpoint: malformed checkpoint text");
		goto out;
	}
	if (!rp_str_eq(h->cp.origin, (struct rp_str){ h->origin, olen })) {
		r = RP_E_INVAL;
		rp_buf_printf(msg, "checkpoint: origin \"%.*s\" is not the "
		    "log's origin \"%s\"", (int)h->cp.origin.n,
		    h->cp.origin.p, h->origin);
		goto out;
	}
	keys[0] = h->log_key;
	if (h->witness_known)
		keys[1] = h->witness_key;
	r = rp_note_verify(&h->note, keys, h->witness_known ? 2 : 1, res);
	if (r == RP_E_DENIED) {
		rp_buf_add_c(msg, "checkpoint: a signature by a known key "
		    "does not verify");
		goto out;
	}
	if (r != 0 || !res[0].verified) {
		r = RP_E_DENIED;
		rp_buf_printf(msg, "checkpoint: no valid signature by the log "
		    "key %s", h->log_key.name);
		goto out;
	}
	if (h->witness_known) {
		if (!res[1].verified) {
			r = RP_E_DENIED;
			rp_buf_printf(msg, "checkpoint: no witness cosignature "
			    "(witness key %s is known)", h->witness_key.name);
			goto out;
		}
		h->cosigned = true;
		h->cosig_time = res[1].time;
	}
	r = 0;
 out:
	free(vk);
	free(wk);
	return r;
}

void
rp_alog_head_release(struct rp_alog_head *h)
{
	free(h->origin);
	free(h->cp_text);
	memset(h, 0, sizeof(*h));
}

/* ---- tile loader for proofs ---- */

static int
tile_path(int level, uint64_t index, unsigned width, char *out, size_t cap)
{
	struct rp_tile t = { level, index, width };

	return rp_tile_path(&t, out, cap) < 0 ? RP_E_INVAL : 0;
}

/* Reads tile version (level, index, w) into *buf if it has w hashes. */
static int
try_tile(int dfd, int level, uint64_t index, unsigned w, uint8_t **buf,
    size_t *cap)
{
	char path[RP_TILE_PATH_MAX];
	size_t len = 0;
	int r;

	if ((r = tile_path(level, index, w, path, sizeof(path))) != 0)
		return r;
	if ((r = read_at(dfd, path, RP_TILE_BYTES, buf, cap, &len)) != 0)
		return r;
	return len == (size_t)w * HLEN ? 0 : RP_E_INVAL;
}

int
rp_alog_verify_tile_load(void *arg, int level, uint64_t index, unsigned width,
    uint8_t *out)
{
	const char *dir = arg;
	uint8_t *buf = NULL;
	size_t cap = 0;
	unsigned w;
	int dfd, r = RP_E_NOTFOUND;

	if (width < 1 || width > TW || level < 0 ||
	    level > RP_TILE_MAX_LEVEL)
		return RP_E_INVAL;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return RP_E_IO;
	/* The exact width first, then the full tile, then wider partials. */
	if (width < TW)
		r = try_tile(dfd, level, index, width, &buf, &cap);
	if (r == RP_E_NOTFOUND)
		r = try_tile(dfd, level, index, TW, &buf, &cap);
	for (w = width + 1; w < TW && r == RP_E_NOTFOUND; w++)
		r = try_tile(dfd, level, index, w, &buf, &cap);
	if (r == 0)
		memcpy(out, buf, (size_t)width * HLEN);
	free(buf);
	close(dfd);
	return r;
}

/* ---- verification state ---- */

struct vstate {
	int dirfd;
	struct rp_alog_wal wal;
	uint64_t size;			/* the checkpoint's (or 0) */
	uint8_t *lv[RP_TILE_MAX_LEVEL + 2];	/* hashes at Merkle level 8L */
	uint64_t lvn[RP_TILE_MAX_LEVEL + 2];
	uint8_t stile[TW * HLEN];	/* leaf hashes of tile size/256 */
	bool stile_set;

	pthread_mutex_t mu;
	bool have_fail;
	uint64_t fail_index, failures;
	char fail_msg[512];
	uint64_t fidx[FAIL_KEEP];	/* indexes of the failures so far */
	size_t nfidx;
	bool fidx_lost;			/* more than FAIL_KEEP */
};

/*
 * A hash at tile level >= 1 that disagrees is a consequence, not a cause,
 * when something inside the range it covers already failed (a changed wal
 * entry changes every hash above it): it then never becomes "the first
 * failure", so the report names the entry itself.
 */
static bool
covered(struct vstate *st, uint64_t a, uint64_t b)
{
	size_t i;

	if (st->fidx_lost)
		return true;
	for (i = 0; i < st->nfidx; i++)
		if (st->fidx[i] >= a && st->fidx[i] < b)
			return true;
	return false;
}

static void RP_PRINTF(4, 5)
fail2(struct vstate *st, bool secondary, uint64_t index, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&st->mu);
	st->failures++;
	if (st->nfidx < FAIL_KEEP)
		st->fidx[st->nfidx++] = index;
	else
		st->fidx_lost = true;
	if (!st->have_fail || (!secondary && index < st->fail_index)) {
		st->have_fail = true;
		st->fail_index = index;
		va_start(ap, fmt);
		vsnprintf(st->fail_msg, sizeof(st->fail_msg), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&st->mu);
}

#define fail(st, ...) fail2((st), false, __VA_ARGS__)

/*
 * The first entry index that hash k of tile (level, n) covers, saturated
 * below RP_ALOG_NO_INDEX: tile names found on disk are untrusted and may
 * name any level 0..63 and index.
 */
static uint64_t
first_index(int level, uint64_t n, uint64_t k)
{
	const uint64_t cap = RP_ALOG_NO_INDEX - 1;
	unsigned sh = RP_TILE_HEIGHT * (unsigned)level;
	uint64_t h;

	if (n > (cap - k) / TW)
		return cap;
	h = n * TW + k;
	if (h == 0)
		return 0;
	if (sh >= 64 || h > (cap >> sh))
		return cap;
	return h << sh;
}

struct worker {
	struct vstate *st;
	uint64_t t0, t1;		/* level-0 tiles [t0, t1) */
	uint8_t *buf;			/* file buffer, owned */
	size_t cap;
	bool any_time;			/* a decoded entry was seen */
	uint64_t first_i, first_t, last_t;
	pthread_t tid;
};

/*
 * Parses the digits of a partial tile's file name: W in 1..255 written
 * canonically.  Anything else (temporary files) is skipped.
 */
static bool
partial_name(const char *name, unsigned *w)
{
	uint64_t v;
	struct rp_str s = rp_str_c(name);

	if (s.n == 0 || s.n > 3 || s.p[0] == '0' ||
	    rp_str_to_u64(s, 255, &v) != 0 || v == 0)
		return false;
	*w = (unsigned)v;
	return true;
}

/*
 * Checks one stored hash tile (full or partial version `path`) of `have`
 * bytes against the first `w` recomputed hashes (w = what the wal holds).
 */
static void
cmp_tile(struct vstate *st, int level, uint64_t n, const char *path,
    const uint8_t *data, size_t have, unsigned want_w, const uint8_t *hashes,
    unsigned w)
{
	unsigned k, lim;

	lim = want_w < w ? want_w : w;
	for (k = 0; k < lim; k++) {
		if ((size_t)(k + 1) * HLEN > have) {
			fail(st, first_index(level, n, k), "entry %" PRIu64
			    " (%s): tile truncated (%zu bytes)",
			    first_index(level, n, k), path, have);
			return;
		}
		if (memcmp(data + (size_t)k * HLEN, hashes + (size_t)k * HLEN,
		    HLEN) != 0) {
			uint64_t a = first_index(level, n, k);
			uint64_t b = level == 0 ? a + 1 :
			    first_index(level, n, k + 1);

			fail2(st, level > 0 && covered(st, a, b), a, "entry %" PRIu64
			    " (%s): tile hash %u disagrees with the wal",
			    first_index(level, n, k), path, k);
			return;
		}
	}
	if (want_w > w) {
		/* Name the first entry the wal lacks. */
		uint64_t i = first_index(level, n, w);

		if (i < st->wal.count)
			i = st->wal.count;
		fail(st, i, "entry %" PRIu64 " (%s): tile covers entries "
		    "beyond the wal (%" PRIu64 " entries)", i, path,
		    st->wal.count);
		return;
	}
	if (have != (size_t)want_w * HLEN)
		fail(st, first_index(level, n, lim), "entry %" PRIu64 " (%s): "
		    "tile has %zu bytes, want %zu", first_index(level, n, lim),
		    path, have, (size_t)want_w * HLEN);
}

/* Checks one stored bundle version against the first w wal entries. */
static void
cmp_bundle(struct vstate *st, uint64_t n, const char *path,
    const uint8_t *data, size_t have, unsigned want_w,
    const struct rp_str *ents, unsigned w)
{
	struct rp_str cur = { (const char *)data, have }, e;
	unsigned k;

	for (k = 0; k < want_w; k++) {
		uint64_t i = n * TW + k;

		if (k >= w) {
			fail(st, i, "entry %" PRIu64 " (%s): bundle covers "
			    "entries beyond the wal", i, path);
			return;
		}
		if (rp_bundle_next(&cur, &e) != 0) {
			fail(st, i, "entry %" PRIu64 " (%s): bundle truncated "
			    "(%u of %u entries)", i, path, k, want_w);
			return;
		}
		if (!rp_str_eq(e, ents[k])) {
			fail(st, i, "entry %" PRIu64 " (%s): bundle disagrees "
			    "with wal", i, path);
			return;
		}
	}
	if (cur.n != 0)
		fail(st, n * TW + want_w, "entry %" PRIu64 " (%s): extra data "
		    "after the bundle's %u entries", n * TW + want_w, path,
		    want_w);
}

/*
 * Checks every stored version of tile (level, n) — level RP_TILE_ENTRIES
 * for the bundle — against what the wal gives: hashes (hash tiles) or ents
 * (bundles), w of them (1..256).
 */
static void
check_files(struct vstate *st, uint8_t **buf, size_t *cap, int level,
    uint64_t n, const uint8_t *hashes, const struct rp_str *ents, unsigned w)
{
	char path[RP_TILE_PATH_MAX], pdir[RP_TILE_PATH_MAX + 8];
	int hl = level == RP_TILE_ENTRIES ? 0 : level;
	uint64_t full_req = rp_tile_full_count(st->size, hl);
	unsigned pw_req = 0, pw;
	bool pw_seen = false;
	size_t len, max = level == RP_TILE_ENTRIES ? BUNDLE_MAX :
	    RP_TILE_BYTES;
	const char *what = level == RP_TILE_ENTRIES ? "bundle" : "tile";
	struct dirent *de;
	DIR *d;
	int r, fd;

	if (n == full_req)
		pw_req = rp_tile_partial_width(st->size, hl);
	if (tile_path(level, n, TW, path, sizeof(path)) != 0)
		return;
	r = read_at(st->dirfd, path, max, buf, cap, &len);
	if (r == RP_E_NOTFOUND) {
		if (n < full_req)
			fail(st, first_index(hl, n, 0), "entry %" PRIu64
			    " (%s): %s missing", first_index(hl, n, 0), path,
			    what);
	} else if (r != 0) {
		fail(st, first_index(hl, n, 0), "entry %" PRIu64 " (%s): "
		    "cannot read %s (%s)", first_index(hl, n, 0), path, what,
		    r == RP_E_TOOBIG ? "too large" : rp_strerror(r));
	} else {
		pw_seen = true;	/* the full tile serves any width */
		if (level == RP_TILE_ENTRIES)
			cmp_bundle(st, n, path, *buf, len, TW, ents, w);
		else
			cmp_tile(st, hl, n, path, *buf, len, TW, hashes, w);
	}

	/* Partial versions: every N.p/W present. */
	memcpy(pdir, path, strlen(path));
	memcpy(pdir + strlen(path), ".p", 3);
	if ((fd = openat(st->dirfd, pdir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) >= 0 && (d = fdopendir(fd)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (!partial_name(de->d_name, &pw))
				continue;
			if (tile_path(level, n, pw, path, sizeof(path)) != 0)
				continue;
			/* A wider partial serves the width by truncation. */
			if (pw >= pw_req)
				pw_seen = true;
			r = read_at(st->dirfd, path, max, buf, cap, &len);
			if (r != 0) {
				fail(st, first_index(hl, n, 0), "entry %"
				    PRIu64 " (%s): cannot read %s (%s)",
				    first_index(hl, n, 0), path, what,
				    r == RP_E_TOOBIG ? "too large" :
				    rp_strerror(r));
			} else if (level == RP_TILE_ENTRIES) {
				cmp_bundle(st, n, path, *buf, len, pw, ents, w);
			} else {
				cmp_tile(st, hl, n, path, *buf, len, pw,
				    hashes, w);
			}
		}
		closedir(d);
	} else if (fd >= 0) {
		close(fd);
	}
	if (pw_req > 0 && !pw_seen) {
		if (tile_path(level, n, pw_req, path, sizeof(path)) == 0)
			fail(st, first_index(hl, n, 0), "entry %" PRIu64
			    " (%s): no %s of the checkpoint's width "
			    "or wider", first_index(hl, n, 0), path, what);
	}
}

/*
 * Files under tile/ past the last tile the wal reaches (check_files only
 * visits tiles the wal reaches): each is a failure.  Names that are not
 * tile paths (temporary files) are skipped.  d_type avoids a stat per file.
 */
static void
walk_extra(struct vstate *st, const char *rel, int depth)
{
	char path[RP_TILE_PATH_MAX];
	struct dirent *de;
	struct rp_tile t;
	DIR *d;
	int fd;

	if (depth > 8 || (fd = openat(st->dirfd, rel, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC | O_NOFOLLOW)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		uint64_t cnt, first;
		int hl;

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", rel, de->d_name) >=
		    (int)sizeof(path))
			continue;
		if (de->d_type == DT_DIR) {
			walk_extra(st, path, depth + 1);
			continue;
		}
		if (rp_tile_path_parse(rp_str_c(path), &t) != 0)
			continue;
		hl = t.level == RP_TILE_ENTRIES ? 0 : t.level;
		cnt = RP_TILE_HEIGHT * hl >= 64 ? 0 :
		    st->wal.count >> (RP_TILE_HEIGHT * hl);
		if (t.index < (cnt + TW - 1) / TW)
			continue;	/* check_files saw it */
		first = first_index(hl, t.index, 0);
		if (first < st->wal.count)
			first = st->wal.count;
		fail(st, first, "entry %" PRIu64 " (%s): file covers entries "
		    "beyond the wal (%" PRIu64 " entries)", first, path,
		    st->wal.count);
	}
	closedir(d);
}

/* Level-0 tile n: wal records, leaf hashes, bundles, tile files. */
static void
do_tile0(struct worker *wk, uint64_t n)
{
	struct vstate *st = wk->st;
	const struct rp_alog_wal *wal = &st->wal;
	uint8_t h[TW * HLEN];
	struct rp_str ents[TW] = { 0 };
	struct rp_alog_entry e;
	size_t off = wal->tile_off[n];
	uint64_t i, len;
	unsigned k, w;

	w = wal->count - n * TW >= TW ? TW : (unsigned)(wal->count - n * TW);
	for (k = 0; k < w; k++) {
		const uint8_t *p;

		i = n * TW + k;
		/* In bounds: rp_alog_wal_open walked these records. */
		len = be16(wal->p + off);
		p = wal->p + off + 2;
		off += 2 + (size_t)len + RP_ALOG_WAL_CHECK_LEN;
		ents[k].p = (const char *)p;
		ents[k].n = (size_t)len;
		rp_merkle_leaf_hash(p, (size_t)len, h + (size_t)k * HLEN);
		if (memcmp(h + (size_t)k * HLEN, p + len,
		    RP_ALOG_WAL_CHECK_LEN) != 0)
			fail(st, i, "entry %" PRIu64 " (wal): check does not "
			    "match the entry", i);
		if (rp_alog_entry_decode(ents[k], &e) != 0) {
			fail(st, i, "entry %" PRIu64 " (wal): malformed entry",
			    i);
			continue;
		}
		if (!wk->any_time) {
			wk->any_time = true;
			wk->first_i = i;
			wk->first_t = e.time_ms;
		} else if (e.time_ms < wk->last_t) {
			fail(st, i, "entry %" PRIu64 " (wal): time %" PRIu64
			    " goes back from %" PRIu64, i, e.time_ms,
			    wk->last_t);
		}
		wk->last_t = e.time_ms;
	}
	if (st->size % TW != 0 && n == st->size / TW) {
		memcpy(st->stile, h, (size_t)w * HLEN);
		st->stile_set = true;
	}
	check_files(st, &wk->buf, &wk->cap, RP_TILE_ENTRIES, n, NULL, ents, w);
	check_files(st, &wk->buf, &wk->cap, 0, n, h, NULL, w);
	if (w == TW)
		rp_merkle_hash_nodes(h, TW, st->lv[1] + n * HLEN);
}

static void *
worker_main(void *arg)
{
	struct worker *wk = arg;
	uint64_t n;

	for (n = wk->t0; n < wk->t1; n++)
		do_tile0(wk, n);
	return NULL;
}

/* Reader over the recomputed hashes, for the root at the checkpoint size. */
static int
computed_hash(void *arg, unsigned level, uint64_t index, uint8_t out[HLEN])
{
	struct vstate *st = arg;
	unsigned tl = level / RP_TILE_HEIGHT, rem = level % RP_TILE_HEIGHT;
	uint64_t first = index << rem, cnt = (uint64_t)1 << rem;

	if (tl == 0) {
		if (!st->stile_set || first / TW != st->size / TW)
			return RP_E_STATE;
		rp_merkle_hash_nodes(st->stile + (first % TW) * HLEN,
		    (size_t)cnt, out);
		return 0;
	}
	if (st->lv[tl] == NULL || first + cnt > st->lvn[tl])
		return RP_E_STATE;
	rp_merkle_hash_nodes(st->lv[tl] + first * HLEN, (size_t)cnt, out);
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
rp_alog_verify_files(const char *alog_dir, unsigned threads, uint64_t size,
    const uint8_t cp_root[32], struct rp_alog_vresult *res,
    struct rp_buf *msg)
{
	struct vstate *st;
	struct worker wk[MAX_THREADS];
	char walpath[PATH_MAX];
	unsigned nth, t, started = 0;
	uint64_t per, L, n;
	uint8_t root[HLEN];
	uint8_t *buf = NULL;
	size_t cap = 0;
	double t_start;
	int r;

	res->size = size;
	res->fail_index = RP_ALOG_NO_INDEX;
	memset(wk, 0, sizeof(wk));
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return RP_E_NOMEM;
	st->dirfd = -1;
	pthread_mutex_init(&st->mu, NULL);

	st->size = size;

	/* 2. The wal's records. */
	if (snprintf(walpath, sizeof(walpath), "%s/wal", alog_dir) >=
	    (int)sizeof(walpath)) {
		r = RP_E_TOOBIG;
		rp_buf_add_c(msg, "wal: path too long");
		goto out_head;
	}
	if ((st->dirfd = open(alog_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		r = RP_E_IO;
		rp_buf_printf(msg, "%s: cannot open", alog_dir);
		goto out_head;
	}
	t_start = now_s();
	if ((r = rp_alog_wal_open(&st->wal, walpath)) != 0) {
		rp_buf_printf(msg, "wal: cannot read (%s)", rp_strerror(r));
		goto out_head;
	}
	res->wal_entries = st->wal.count;
	res->torn = st->wal.torn;
	if (st->wal.torn) {
		/* An incomplete record inside the checkpoint is damage. */
		if (st->wal.count < st->size)
			fail(st, st->wal.count, "entry %" PRIu64 " (wal): "
			    "record truncated (the wal ends inside it)",
			    st->wal.count);
	}
	if (st->size > st->wal.count)
		fail(st, st->wal.count, "entry %" PRIu64 " (wal): the "
		    "checkpoint has %" PRIu64 " entries, the wal only %" PRIu64,
		    st->wal.count, st->size, st->wal.count);

	/* 3. Level-0 tiles in parallel. */
	st->lvn[1] = st->wal.count / TW;
	if ((st->lv[1] = calloc((size_t)st->lvn[1] + 1, HLEN)) == NULL) {
		r = RP_E_NOMEM;
		goto out_head;
	}
	nth = threads == 0 ? 2 : threads > MAX_THREADS ? MAX_THREADS :
	    threads;
	if (st->wal.ntiles < 8 * (uint64_t)nth)
		nth = 1;
	per = (st->wal.ntiles + nth - 1) / nth;
	for (t = 0; t < nth; t++) {
		wk[t].st = st;
		wk[t].t0 = per * t < st->wal.ntiles ? per * t : st->wal.ntiles;
		wk[t].t1 = per * (t + 1) < st->wal.ntiles ? per * (t + 1) :
		    st->wal.ntiles;
	}
	for (t = 1; t < nth; t++) {
		if (pthread_create(&wk[t].tid, NULL, worker_main, &wk[t]) != 0)
			break;
		started++;
	}
	/* Whatever could not get a thread runs here. */
	worker_main(&wk[0]);
	for (t = started + 1; t < nth; t++)
		worker_main(&wk[t]);
	for (t = 1; t <= started; t++)
		pthread_join(wk[t].tid, NULL);
	for (t = 1; t < nth; t++) {
		unsigned p;

		if (!wk[t].any_time)
			continue;
		for (p = t; p-- > 0;)
			if (wk[p].any_time)
				break;
		if (p < t && wk[p].any_time && wk[t].first_t < wk[p].last_t)
			fail(st, wk[t].first_i, "entry %" PRIu64 " (wal): time "
			    "%" PRIu64 " goes back from %" PRIu64,
			    wk[t].first_i, wk[t].first_t, wk[p].last_t);
	}

	/* 4. Higher tile levels from the recomputed hashes. */
	for (L = 1; L <= RP_TILE_MAX_LEVEL && st->lvn[L] > 0; L++) {
		uint64_t cnt = st->lvn[L], ntl = (cnt + TW - 1) / TW;

		st->lvn[L + 1] = cnt / TW;
		if ((st->lv[L + 1] = calloc((size_t)st->lvn[L + 1] + 1, HLEN))
		    == NULL) {
			r = RP_E_NOMEM;
			goto out_head;
		}
		for (n = 0; n < ntl; n++) {
			unsigned w = cnt - n * TW >= TW ? TW :
			    (unsigned)(cnt - n * TW);
			const uint8_t *h = st->lv[L] + n * TW * HLEN;

			check_files(st, &buf, &cap, (int)L, n, h, NULL, w);
			if (w == TW)
				rp_merkle_hash_nodes(h, TW,
				    st->lv[L + 1] + n * HLEN);
		}
	}

	walk_extra(st, "tile", 0);

	/* 5. The root at the checkpoint's size. */
	if (st->size <= st->wal.count) {
		if (rp_merkle_root_at(computed_hash, st, st->size, root) != 0)
			fail(st, RP_ALOG_NO_INDEX, "checkpoint: cannot "
			    "recompute the root at size %" PRIu64, st->size);
		else if (memcmp(root, cp_root, HLEN) != 0)
			fail(st, RP_ALOG_NO_INDEX, "checkpoint: root at size %"
			    PRIu64 " differs from the root recomputed from the "
			    "wal", st->size);
	}
	res->seconds = now_s() - t_start;
	r = 0;
	if (st->have_fail) {
		r = RP_E_INVAL;
		res->fail_index = st->fail_index;
		res->failures = st->failures;
		rp_buf_add_c(msg, st->fail_msg);
	}
 out_head:
	for (t = 0; t < MAX_THREADS; t++)
		free(wk[t].buf);
	free(buf);
	for (L = 0; L < RP_ARRAY_LEN(st->lv); L++)
		free(st->lv[L]);
	rp_alog_wal_close(&st->wal);
	if (st->dirfd >= 0)
		close(st->dirfd);
	pthread_mutex_destroy(&st->mu);
	free(st);
	return r;
}

int
rp_alog_verify(const struct rp_alog_vopts *o, struct rp_alog_vresult *res,
    struct rp_buf *msg)
{
	struct rp_alog_head head;
	int r;

	memset(res, 0, sizeof(*res));
	res->fail_index = RP_ALOG_NO_INDEX;
	if ((r = rp_alog_head_load(&head, o->alog_dir, o->witness_vkey,
	    o->witness_vkey_file, msg)) != 0)
		goto out;
	snprintf(res->log_name, sizeof(res->log_name), "%s",
	    head.log_key.name);
	memcpy(res->root, head.cp.root, HLEN);
	res->witness_known = head.witness_known;
	res->cosigned = head.cosigned;
	res->cosig_time = head.cosig_time;
	if (head.witness_known)
		snprintf(res->witness_name, sizeof(res->witness_name), "%s",
		    head.witness_key.name);
	r = rp_alog_verify_files(o->alog_dir, o->threads, head.cp.size,
	    head.cp.root, res, msg);
 out:
	rp_alog_head_release(&head);
	return r;
}
