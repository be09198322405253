/* SPDX-License-Identifier: ISC */
/*
 * store.c — storage of the access log in DATA/alog (docs/access-log.md):
 * the durable `wal`, the tlog-tiles tiles and bundles derived from it,
 * checkpoints signed with the log key, and recovery at open.  Used by the
 * log-writer process and in-process by `rentport seed`; the `lock` flock
 * keeps it to one process.  Trusts its own files only after checking
 * them: every wal record carries a check, a stored checkpoint must verify
 * and match the root recomputed from the wal.
 *
 * Durability: an entry counts once the fdatasync of the wal record that
 * holds it returned.  Tiles, bundles and checkpoints are derived; they are
 * written after the fsync (temporary + rename so readers never see half a
 * file) and made durable (syncfs) only before a checkpoint naming them is
 * published.  Any wal write or fsync error fails the store for good: Linux
 * may drop dirty pages after a write-back error, so the only safe state is
 * the one recovery reads back from the file at the next open.
 */
#include "util/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "alog/entry.h"
#include "alog/merkle.h"
#include "alog/note.h"
#include "alog/store.h"
#include "alog/tile.h"
#include "util/log.h"

#define WAL_READ_CHUNK		(1u << 20)
#define WAL_MAX_RECORD		(RP_ALOG_MAX_ENTRY + RP_ALOG_WAL_OVERHEAD)
#define BUNDLE_MAX		((size_t)RP_TILE_WIDTH * (RP_BUNDLE_MAX_ENTRY + 2))
#define WAL_BATCH_MAX		((size_t)1 << 30)
#define TMP_NAME		".tmp"

struct rp_alog_store {
	int dirfd, lockfd, walfd;
	uint64_t wal_bytes;
	uint64_t last_time;
	struct rp_merkle_tree tree;
	struct rp_note_signer *signer;
	char origin[RP_NOTE_MAX_NAME + 1];
	/* Hashes of the current (partial) tile at each tile level. */
	uint8_t *ptile[RP_TILE_MAX_LEVEL + 1];
	uint64_t dirty;			/* tile levels changed by this batch */
	struct rp_buf bundle;		/* the current partial entry bundle */
	unsigned bundle_n;
	bool recovering;		/* rewrite only missing/short files */
	uint64_t psize;			/* size the partial files are at */
	int err;			/* sticky: the store failed */
	int derr;			/* a derived file could not be written */
	bool ckpt_signed;		/* ckpt_note holds a checkpoint */
	uint64_t ckpt_size;
	struct rp_buf ckpt_note;
	pthread_mutex_t mu;		/* guards published* */
	struct rp_buf published;
	uint64_t published_size;
	bool have_published;
	struct rp_buf wal_buf, scratch;
	uint8_t *leaves;
	size_t leaves_cap;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) < 0) {
			if (errno == EINTR)
				continue;
			return RP_E_IO;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = pwrite(fd, c, n, (off_t)off)) < 0) {
			if (errno == EINTR)
				continue;
			return RP_E_IO;
		}
		c += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* Reads a whole small file below dirfd into out (at most max bytes). */
static int
read_file_at(int dirfd, const char *path, size_t max, struct rp_buf *out)
{
	char chunk[8192];
	ssize_t n;
	int fd, r = 0;

	rp_buf_reset(out);
	if ((fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? RP_E_NOTFOUND : RP_E_IO;
	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) < 0) {
			if (errno == EINTR)
				continue;
			r = RP_E_IO;
			break;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > max) {
			r = RP_E_TOOBIG;
			break;
		}
		if ((r = rp_buf_add(out, chunk, (size_t)n)) != 0)
			break;
	}
	close(fd);
	return r;
}

/* Creates every missing parent directory of path below dirfd. */
static int
make_parents(int dirfd, const char *path)
{
	char tmp[RP_TILE_PATH_MAX + 16];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return RP_E_TOOBIG;
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i < n; i++) {
		if (tmp[i] != '/')
			continue;
		tmp[i] = '\0';
		if (mkdirat(dirfd, tmp, 0755) != 0 && errno != EEXIST)
			return RP_E_IO;
		tmp[i] = '/';
	}
	return 0;
}

/*
 * Replaces path (below dirfd) with data: write a temporary, optionally
 * fsync it, rename over path, optionally fsync the directory.  Readers
 * see the old file or the new one, never a mix.
 */
static int
write_atomic(int dirfd, const char *path, const void *data, size_t len,
    mode_t mode, bool sync)
{
	int fd, r;

	fd = openat(dirfd, TMP_NAME, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, mode);
	if (fd < 0)
		return RP_E_IO;
	r = write_all(fd, data, len);
	if (r == 0 && fchmod(fd, mode) != 0)
		r = RP_E_IO;
	if (r == 0 && sync && fsync(fd) != 0)
		r = RP_E_IO;
	if (close(fd) != 0 && r == 0)
		r = RP_E_IO;
	if (r != 0)
		return r;
	if (renameat(dirfd, TMP_NAME, dirfd, path) != 0) {
		if (errno != ENOENT || make_parents(dirfd, path) != 0 ||
		    renameat(dirfd, TMP_NAME, dirfd, path) != 0)
			return RP_E_IO;
	}
	if (sync && fsync(dirfd) != 0)
		return RP_E_IO;
	return 0;
}

/* ---- Tiles and bundles ---- */

static void
derived_failed(struct rp_alog_store *st, const char *what, const char *path)
{
	if (st->derr == 0)
		rp_log_error("access log: cannot write %s %s: %s", what, path,
		    strerror(errno));
	st->derr = RP_E_IO;
}

/* Writes tile/bundle t; full ones are skipped in recovery if intact. */
static void
write_tile(struct rp_alog_store *st, const struct rp_tile *t,
    const void *data, size_t len)
{
	char path[RP_TILE_PATH_MAX];
	struct stat sb;

	if (rp_tile_path(t, path, sizeof(path)) < 0) {
		st->derr = RP_E_INVAL;
		return;
	}
	if (st->recovering && t->width == RP_TILE_WIDTH &&
	    fstatat(st->dirfd, path, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(sb.st_mode) && (size_t)sb.st_size == len)
		return;
	if (write_atomic(st->dirfd, path, data, len, 0644, false) != 0)
		derived_failed(st, "tile", path);
}

/* Removes the stored partial t; if gone_dir, also its now empty N.p dir. */
static void
remove_partial(struct rp_alog_store *st, const struct rp_tile *t,
    bool gone_dir)
{
	char path[RP_TILE_PATH_MAX];
	char *slash;

	if (rp_tile_path(t, path, sizeof(path)) < 0)
		return;
	if (unlinkat(st->dirfd, path, 0) != 0 && errno != ENOENT)
		derived_failed(st, "(unlink) tile", path);
	if (gone_dir && (slash = strrchr(path, '/')) != NULL) {
		*slash = '\0';
		(void)unlinkat(st->dirfd, path, AT_REMOVEDIR);
	}
}

/* Merkle sink: keeps every level-8k hash in its tile; writes full tiles. */
static int
tree_sink(void *arg, unsigned level, uint64_t index,
    const uint8_t hash[RP_MERKLE_HASH_LEN])
{
	struct rp_alog_store *st = arg;
	unsigned l = level / RP_TILE_HEIGHT, slot = (unsigned)(index % 256);
	struct rp_tile t;

	if (level % RP_TILE_HEIGHT != 0)
		return 0;
	if (st->ptile[l] == NULL &&
	    (st->ptile[l] = calloc(1, RP_TILE_BYTES)) == NULL) {
		/* Cannot happen after open (levels 0..7 preallocated). */
		st->derr = RP_E_NOMEM;
		return 0;
	}
	memcpy(st->ptile[l] + (size_t)slot * RP_TILE_HASH_LEN, hash,
	    RP_TILE_HASH_LEN);
	st->dirty |= (uint64_t)1 << l;
	if (slot == RP_TILE_WIDTH - 1) {
		t = (struct rp_tile){ (int)l, index / 256, RP_TILE_WIDTH };
		write_tile(st, &t, st->ptile[l], RP_TILE_BYTES);
	}
	return 0;
}

/* Adds one entry to the tree and to its bundle. */
static int
add_entry(struct rp_alog_store *st, const uint8_t *entry, size_t len,
    const uint8_t leaf[RP_MERKLE_HASH_LEN])
{
	uint64_t index = st->tree.size;
	struct rp_tile t;
	int r;

	if ((r = rp_merkle_tree_append(&st->tree, leaf, tree_sink, st)) != 0)
		return r;
	if (rp_bundle_add(&st->bundle, entry, len) != 0)
		st->derr = st->bundle.err ? st->bundle.err : RP_E_TOOBIG;
	if (++st->bundle_n == RP_TILE_WIDTH) {
		t = (struct rp_tile){ RP_TILE_ENTRIES, index / 256,
		    RP_TILE_WIDTH };
		write_tile(st, &t, st->bundle.d, st->bundle.len);
		rp_buf_reset(&st->bundle);
		st->bundle_n = 0;
	}
	return 0;
}

/* Rewrites the partial tile (or bundle: level -1) of the current size. */
static void
update_partial(struct rp_alog_store *st, int level, uint64_t old_size)
{
	uint64_t size = st->tree.size;
	int gl = level < 0 ? 0 : level;
	unsigned w_new = rp_tile_partial_width(size, gl);
	unsigned w_old = rp_tile_partial_width(old_size, gl);
	uint64_t n_new = rp_tile_full_count(size, gl);
	uint64_t n_old = rp_tile_full_count(old_size, gl);
	struct rp_tile t;

	if (w_new > 0) {
		t = (struct rp_tile){ level, n_new, w_new };
		if (level < 0)
			write_tile(st, &t, st->bundle.d, st->bundle.len);
		else
			write_tile(st, &t, st->ptile[level],
			    (size_t)w_new * RP_TILE_HASH_LEN);
	}
	if (w_old > 0 && (n_old != n_new || w_old != w_new)) {
		t = (struct rp_tile){ level, n_old, w_old };
		remove_partial(st, &t, n_old != n_new);
	}
}

/*
 * Brings the partial files from size st->psize to the current size.  Done
 * before a checkpoint (readers never get past the published one), at
 * close and at recovery — not after every batch: rewriting up to 40 KB of
 * partial tile and bundle per append would cost more than the append.
 */
static void
update_partials(struct rp_alog_store *st)
{
	for (int l = 0; l <= RP_TILE_MAX_LEVEL; l++)
		if (st->dirty & ((uint64_t)1 << l))
			update_partial(st, l, st->psize);
	if (st->tree.size != st->psize)
		update_partial(st, RP_TILE_ENTRIES, st->psize);
	st->dirty = 0;
	st->psize = st->tree.size;
}

/* After recovery: the current partials alone remain in their N.p dirs. */
static void
clean_partial_dir(struct rp_alog_store *st, int level)
{
	uint64_t size = st->tree.size;
	int gl = level < 0 ? 0 : level;
	struct rp_tile t = { level, rp_tile_full_count(size, gl), RP_TILE_WIDTH };
	char path[RP_TILE_PATH_MAX + 4], keep[8];
	struct dirent *de;
	DIR *d;
	int fd, n;

	if ((n = rp_tile_path(&t, path, RP_TILE_PATH_MAX)) < 0)
		return;
	memcpy(path + n, ".p", 3);
	snprintf(keep, sizeof(keep), "%u", rp_tile_partial_width(size, gl));
	if ((fd = openat(st->dirfd, path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && strcmp(de->d_name, keep) != 0)
			(void)unlinkat(fd, de->d_name, 0);
	closedir(d);
}

/* ---- Reading tiles back ---- */

/* Parses a partial width file name "1".."255". */
static unsigned
width_name(const char *s)
{
	uint64_t w;

	if (rp_str_to_u64(rp_str_c(s), 255, &w) != 0 || w == 0 ||
	    (s[0] == '0'))
		return 0;
	return (unsigned)w;
}

/* Finds the width of a stored partial >= want in dir; 0 if none. */
static unsigned
find_partial(int dirfd, const char *dir, unsigned want)
{
	struct dirent *de;
	unsigned best = 0, w;
	DIR *d;
	int fd;

	if ((fd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		w = width_name(de->d_name);
		if (w >= want && (best == 0 || w < best))
			best = w;
	}
	closedir(d);
	return best;
}

int
rp_alog_tile_read(int dirfd, const struct rp_tile *t, struct rp_buf *out)
{
	struct rp_tile full = *t, part;
	char path[RP_TILE_PATH_MAX + 4];
	struct rp_str cur, e;
	size_t max;
	unsigned w;
	int r = RP_E_NOTFOUND, n;

	rp_buf_reset(out);
	if (t->width < 1 || t->width > RP_TILE_WIDTH)
		return RP_E_INVAL;
	full.width = RP_TILE_WIDTH;
	max = t->level == RP_TILE_ENTRIES ? BUNDLE_MAX : RP_TILE_BYTES;
	/* A partial may be replaced (renamed away) while we look: retry. */
	for (int tries = 0; tries < 4 && r == RP_E_NOTFOUND; tries++) {
		if ((n = rp_tile_path(&full, path, RP_TILE_PATH_MAX)) < 0)
			return RP_E_INVAL;
		r = read_file_at(dirfd, path, max, out);
		if (r != RP_E_NOTFOUND)
			break;
		if (t->width == RP_TILE_WIDTH)
			return RP_E_NOTFOUND;
		memcpy(path + n, ".p", 3);
		if ((w = find_partial(dirfd, path, t->width)) == 0)
			return RP_E_NOTFOUND;
		part = *t;
		part.width = w;
		if (rp_tile_path(&part, path, RP_TILE_PATH_MAX) < 0)
			return RP_E_INVAL;
		r = read_file_at(dirfd, path, max, out);
	}
	if (r != 0)
		goto out;
	if (t->level != RP_TILE_ENTRIES) {
		if (out->len < (size_t)t->width * RP_TILE_HASH_LEN) {
			r = RP_E_INVAL;
			goto out;
		}
		out->len = (size_t)t->width * RP_TILE_HASH_LEN;
		out->d[out->len] = '\0';
		return 0;
	}
	cur = rp_buf_str(out);
	for (unsigned i = 0; i < t->width; i++)
		if (rp_bundle_next(&cur, &e) != 0) {
			r = RP_E_INVAL;
			goto out;
		}
	out->len -= cur.n;
	out->d[out->len] = '\0';
	return 0;
 out:
	rp_buf_reset(out);
	return r;
}

int
rp_alog_tile_load(void *arg, int level, uint64_t index, unsigned width,
    uint8_t *out)
{
	struct rp_tile t = { level, index, width };
	struct rp_buf b;
	int r;

	rp_buf_init(&b, RP_TILE_BYTES);
	if ((r = rp_alog_tile_read((int)(intptr_t)arg, &t, &b)) == 0)
		memcpy(out, b.d, (size_t)width * RP_TILE_HASH_LEN);
	rp_buf_release(&b);
	return r;
}

/* Root of the first n leaves, from the stored tiles. */
static int
stored_root(struct rp_alog_store *st, uint64_t n,
    uint8_t root[RP_MERKLE_HASH_LEN])
{
	struct rp_tile_reader rd;
	int r;

	if ((r = rp_tile_reader_init(&rd, n, rp_alog_tile_load,
	    (void *)(intptr_t)st->dirfd)) == 0)
		r = rp_merkle_root_at(rp_tile_reader_hash, &rd, n, root);
	rp_tile_reader_release(&rd);
	return r;
}

int
rp_alog_store_prove_consistency(struct rp_alog_store *st, uint64_t m,
    uint64_t n, uint8_t *proof, size_t *proof_len)
{
	struct rp_tile_reader rd;
	int r;

	*proof_len = 0;
	if (n > st->tree.size)
		return RP_E_RANGE;
	if ((r = rp_tile_reader_init(&rd, n, rp_alog_tile_load,
	    (void *)(intptr_t)st->dirfd)) == 0)
		r = rp_merkle_prove_consistency(rp_tile_reader_hash, &rd, m, n,
		    proof, proof_len);
	rp_tile_reader_release(&rd);
	return r;
}

/* ---- Identity: origin, key, vkey ---- */

static int
setup_identity(struct rp_alog_store *st, const struct rp_conf *conf)
{
	uint8_t *seed = NULL, rnd[8];
	struct rp_buf b;
	struct rp_str name;
	int r;

	rp_buf_init(&b, 4096);
	r = read_file_at(st->dirfd, "origin", RP_NOTE_MAX_NAME + 1, &b);
	if (r == RP_E_NOTFOUND) {
		rp_buf_reset(&b);
		if (conf != NULL && conf->alog_origin[0] != '\0')
			rp_buf_add_c(&b, conf->alog_origin);
		else {
			randombytes_buf(rnd, sizeof(rnd));
			rp_buf_add_c(&b, "rentport.invalid/access-log/");
			for (size_t i = 0; i < sizeof(rnd); i++)
				rp_buf_printf(&b, "%02x", rnd[i]);
		}
		if (!rp_note_name_valid(rp_buf_str(&b))) {
			rp_log_error("access log: alog_origin is not a valid "
			    "key name");
			r = RP_E_INVAL;
			goto out;
		}
		rp_buf_add_ch(&b, '\n');
		if ((r = b.err) != 0 || (r = write_atomic(st->dirfd, "origin",
		    b.d, b.len, 0644, true)) != 0)
			goto out;
	} else if (r != 0)
		goto out;
	name = rp_buf_str(&b);
	if (name.n < 2 || name.p[name.n - 1] != '\n' ||
	    !rp_note_name_valid((struct rp_str){ name.p, name.n - 1 })) {
		rp_log_error("access log: DATA/alog/origin is malformed");
		r = RP_E_INVAL;
		goto out;
	}
	name.n--;
	if (conf != NULL && conf->alog_origin[0] != '\0' &&
	    !rp_str_eq_c(name, conf->alog_origin)) {
		rp_log_error("access log: alog_origin differs from "
		    "DATA/alog/origin (a log cannot be renamed)");
		r = RP_E_STATE;
		goto out;
	}
	memcpy(st->origin, name.p, name.n);
	st->origin[name.n] = '\0';

	if ((seed = sodium_malloc(RP_NOTE_SEED_LEN)) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	rp_buf_reset(&b);
	r = read_file_at(st->dirfd, "key", RP_NOTE_SEED_LEN, &b);
	if (r == RP_E_NOTFOUND) {
		randombytes_buf(seed, RP_NOTE_SEED_LEN);
		if ((r = write_atomic(st->dirfd, "key", seed, RP_NOTE_SEED_LEN,
		    0600, true)) != 0)
			goto out;
		rp_log_info("access log: created a new signing key");
	} else if (r != 0 || b.len != RP_NOTE_SEED_LEN) {
		rp_log_error("access log: DATA/alog/key is unreadable or not "
		    "32 bytes");
		r = r != 0 ? r : RP_E_INVAL;
		goto out;
	} else
		memcpy(seed, b.d, RP_NOTE_SEED_LEN);
	sodium_memzero(b.d, b.len);
	if ((r = rp_note_signer_new(rp_str_c(st->origin), RP_NOTE_ALG_ED25519,
	    seed, &st->signer)) != 0)
		goto out;
	rp_buf_reset(&b);
	if ((r = rp_note_verifier_format(rp_note_signer_verifier(st->signer),
	    &b)) != 0 || (r = rp_buf_add_ch(&b, '\n')) != 0)
		goto out;
	{
		struct rp_buf old;

		rp_buf_init(&old, 4096);
		if (read_file_at(st->dirfd, "vkey", 4096, &old) != 0 ||
		    !rp_str_eq(rp_buf_str(&old), rp_buf_str(&b)))
			r = write_atomic(st->dirfd, "vkey", b.d, b.len, 0644,
			    true);
		rp_buf_release(&old);
	}
 out:
	sodium_free(seed);
	rp_buf_release(&b);
	return r;
}

/* ---- Recovery ---- */

static int
record_at(const uint8_t *p, size_t avail, size_t *rec_len,
    uint8_t leaf[RP_MERKLE_HASH_LEN], struct rp_alog_entry *e)
{
	size_t len;

	if (avail < 2)
		return RP_E_AGAIN;
	len = (size_t)p[0] << 8 | p[1];
	if (avail < len + RP_ALOG_WAL_OVERHEAD)
		return RP_E_AGAIN;
	*rec_len = len + RP_ALOG_WAL_OVERHEAD;
	/* Decoding first: it rejects garbage long before hashing it would. */
	if (len < RP_ALOG_HEADER_LEN || p[2] != RP_ALOG_ENTRY_VERSION ||
	    rp_alog_entry_decode((struct rp_str){ (const char *)p + 2, len },
	    e) != 0)
		return RP_E_INVAL;
	rp_merkle_leaf_hash(p + 2, len, leaf);
	if (memcmp(leaf, p + 2 + len, 4) != 0)
		return RP_E_INVAL;
	return 0;
}

/*
 * True if any whole, valid record starts after offset bad in the wal: the
 * bad record is then corruption, not a torn tail.  Looks at every offset
 * (the bad record's length may itself be the damage); only runs on the
 * error path, and stops at the first valid record.
 */
static bool
valid_after(int fd, uint64_t bad, uint64_t end)
{
	const size_t win = 4u << 20;
	uint8_t *buf, leaf[RP_MERKLE_HASH_LEN];
	struct rp_alog_entry e;
	uint64_t off;
	size_t rl, n;
	ssize_t got;
	bool found = false;

	if ((buf = malloc(win + WAL_MAX_RECORD)) == NULL)
		return true;	/* cannot tell: refuse rather than cut */
	for (off = bad + 1; off < end && !found; off += win) {
		n = (size_t)(end - off < win + WAL_MAX_RECORD ?
		    end - off : win + WAL_MAX_RECORD);
		if ((got = pread(fd, buf, n, (off_t)off)) != (ssize_t)n) {
			found = true;
			break;
		}
		for (size_t i = 0; i < n && i < win; i++)
			if (record_at(buf + i, n - i, &rl, leaf, &e) == 0) {
				found = true;
				break;
			}
	}
	free(buf);
	return found;
}

/*
 * The tree size the published checkpoint claims (its second line), read
 * without checking the signature: only used to refuse cutting the wal.
 * 0 when there is no checkpoint or it cannot be read.
 */
static uint64_t
published_size_hint(struct rp_alog_store *st)
{
	char buf[512];
	struct rp_str s, line;
	uint64_t size = 0;
	ssize_t n;
	int fd;

	if ((fd = openat(st->dirfd, "checkpoint", O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return 0;
	s = (struct rp_str){ buf, (size_t)n };
	if (!rp_str_split(&s, '\n', &line) || !rp_str_split(&s, '\n', &line) ||
	    rp_str_to_u64(line, UINT64_MAX, &size) != 0)
		return 0;
	return size;
}

static int
recover_wal(struct rp_alog_store *st)
{
	uint8_t *buf, leaf[RP_MERKLE_HASH_LEN];
	size_t cap = WAL_READ_CHUNK + WAL_MAX_RECORD, have = 0, pos = 0, rl;
	uint64_t base = 0, end;
	struct rp_alog_entry e;
	struct stat sb;
	bool eof = false;
	ssize_t n;
	int r = 0, rr;

	if (fstat(st->walfd, &sb) != 0)
		return RP_E_IO;
	end = (uint64_t)sb.st_size;
	if ((buf = malloc(cap)) == NULL)
		return RP_E_NOMEM;
	st->recovering = true;
	for (;;) {
		rr = record_at(buf + pos, have - pos, &rl, leaf, &e);
		if (rr == RP_E_AGAIN && !eof) {
			memmove(buf, buf + pos, have - pos);
			base += pos;
			have -= pos;
			pos = 0;
			while (have < cap) {
				n = pread(st->walfd, buf + have, cap - have,
				    (off_t)(base + have));
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0) {
					r = RP_E_IO;
					goto out;
				}
				if (n == 0) {
					eof = true;
					break;
				}
				have += (size_t)n;
			}
			continue;
		}
		if (rr == RP_E_AGAIN && pos == have)
			break;			/* clean end */
		if (rr != 0) {
			/*
			 * Torn tail, or corruption if valid records follow
			 * (a damaged length may also run past the end).
			 */
			if (valid_after(st->walfd, base + pos, end)) {
				rp_log_error("access log corrupt at index %"
				    PRIu64, st->tree.size);
				r = RP_E_STATE;
				goto out;
			}
			/*
			 * Never cut what a signed checkpoint already covers:
			 * those entries were acknowledged.  Refuse, and keep
			 * the bytes as evidence.
			 */
			if (published_size_hint(st) > st->tree.size) {
				rp_log_error("access log: damaged record at index %"
				    PRIu64 " inside the signed checkpoint; "
				    "refusing to cut the wal", st->tree.size);
				r = RP_E_STATE;
				goto out;
			}
			rp_log_warn("access log: cut a torn wal tail at index %"
			    PRIu64 " (%" PRIu64 " bytes)", st->tree.size,
			    end - (base + pos));
			if (ftruncate(st->walfd, (off_t)(base + pos)) != 0 ||
			    fsync(st->walfd) != 0) {
				r = RP_E_IO;
				goto out;
			}
			break;
		}
		if ((r = add_entry(st, buf + pos + 2, rl - RP_ALOG_WAL_OVERHEAD,
		    leaf)) != 0)
			goto out;
		if (e.time_ms > st->last_time)
			st->last_time = e.time_ms;
		pos += rl;
	}
	st->wal_bytes = base + pos;
	st->psize = 0;
	update_partials(st);
	for (int l = 0; l < rp_tile_levels(st->tree.size); l++)
		clean_partial_dir(st, l);
	clean_partial_dir(st, RP_TILE_ENTRIES);
	if (st->derr != 0)
		r = st->derr;
 out:
	st->recovering = false;
	free(buf);
	return r;
}

/* Loads DATA/alog/checkpoint, which must verify and match the wal. */
static int
load_checkpoint(struct rp_alog_store *st)
{
	struct rp_buf b;
	struct rp_note *note = NULL;
	struct rp_checkpoint cp;
	uint8_t root[RP_MERKLE_HASH_LEN];
	int r;

	rp_buf_init(&b, RP_NOTE_MAX_LEN);
	if ((r = read_file_at(st->dirfd, "checkpoint", RP_NOTE_MAX_LEN,
	    &b)) == RP_E_NOTFOUND) {
		r = 0;
		goto out;
	}
	if (r != 0)
		goto out;
	if ((note = malloc(sizeof(*note))) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	if (rp_checkpoint_open(rp_buf_str(&b), rp_str_c(st->origin),
	    rp_note_signer_verifier(st->signer), 1, note, &cp, NULL) != 0) {
		rp_log_error("access log: DATA/alog/checkpoint does not verify "
		    "with the log key");
		r = RP_E_STATE;
		goto out;
	}
	if (cp.size > st->tree.size) {
		rp_log_error("access log corrupt at index %" PRIu64
		    ": the checkpoint covers %" PRIu64 " entries",
		    st->tree.size, cp.size);
		r = RP_E_STATE;
		goto out;
	}
	if ((r = stored_root(st, cp.size, root)) != 0 ||
	    memcmp(root, cp.root, sizeof(root)) != 0) {
		rp_log_error("access log: the checkpoint at size %" PRIu64
		    " does not match the wal", cp.size);
		r = RP_E_STATE;
		goto out;
	}
	st->ckpt_size = cp.size;
	pthread_mutex_lock(&st->mu);
	rp_buf_reset(&st->published);
	r = rp_buf_add_str(&st->published, rp_buf_str(&b));
	st->published_size = cp.size;
	st->have_published = r == 0;
	pthread_mutex_unlock(&st->mu);
 out:
	free(note);
	rp_buf_release(&b);
	return r;
}

int
rp_alog_store_open(const char *data_dir, const struct rp_conf *conf,
    struct rp_alog_store **out)
{
	struct rp_alog_store *st;
	int dfd = -1, r;
	bool made = false;

	*out = NULL;
	if (sodium_init() < 0 || rp_merkle_selftest() != 0)
		return RP_E_STATE;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return RP_E_NOMEM;
	st->dirfd = st->lockfd = st->walfd = -1;
	pthread_mutex_init(&st->mu, NULL);
	rp_merkle_tree_init(&st->tree);
	rp_buf_init(&st->bundle, BUNDLE_MAX);
	rp_buf_init(&st->ckpt_note, RP_NOTE_MAX_LEN);
	rp_buf_init(&st->published, RP_NOTE_MAX_LEN);
	rp_buf_init(&st->wal_buf, WAL_BATCH_MAX);
	rp_buf_init(&st->scratch, RP_ALOG_MAX_ENTRY);
	for (int l = 0; l < 8; l++)
		if ((st->ptile[l] = calloc(1, RP_TILE_BYTES)) == NULL) {
			r = RP_E_NOMEM;
			goto out;
		}

	/* O_PATH: under serve the log writer may search the data directory
	 * but not list it; its entry for alog/ is synced only when made. */
	r = 0;
	if ((mkdir(data_dir, 0700) != 0 && errno != EEXIST) ||
	    (dfd = open(data_dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		r = RP_E_IO;
	else if (mkdirat(dfd, RP_ALOG_DIR, 0700) == 0)
		made = true;
	else if (errno != EEXIST)
		r = RP_E_IO;
	if (r == RP_E_IO ||
	    (st->dirfd = openat(dfd, RP_ALOG_DIR, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC | O_NOFOLLOW)) < 0) {
		rp_log_error("access log: cannot create %s/%s: %s", data_dir,
		    RP_ALOG_DIR, strerror(errno));
		r = RP_E_IO;
		goto out;
	}
	if ((st->lockfd = openat(st->dirfd, "lock", O_RDWR | O_CREAT |
	    O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		r = RP_E_IO;
		goto out;
	}
	if (flock(st->lockfd, LOCK_EX | LOCK_NB) != 0) {
		rp_log_error("access log: %s/%s is in use by another process "
		    "(lock held)", data_dir, RP_ALOG_DIR);
		r = errno == EWOULDBLOCK ? RP_E_STATE : RP_E_IO;
		goto out;
	}
	if ((r = setup_identity(st, conf)) != 0)
		goto out;
	if ((st->walfd = openat(st->dirfd, "wal", O_RDWR | O_CREAT |
	    O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		r = RP_E_IO;
		goto out;
	}
	/* The wal's and the log directory's own entries must be durable too. */
	if (fsync(st->dirfd) != 0) {
		r = RP_E_IO;
		goto out;
	}
	if (made) {
		int pfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (pfd < 0 || fsync(pfd) != 0) {
			if (pfd >= 0)
				close(pfd);
			r = RP_E_IO;
			goto out;
		}
		close(pfd);
	}
	if ((r = recover_wal(st)) != 0 || (r = load_checkpoint(st)) != 0)
		goto out;
	*out = st;
	st = NULL;		/* transferred */
 out:
	if (dfd >= 0)
		close(dfd);
	rp_alog_store_close(st);
	return r;
}

void
rp_alog_store_close(struct rp_alog_store *st)
{
	if (st == NULL)
		return;
	/* Leave the files at the size of the wal (open would anyway). */
	if (st->err == 0 && st->walfd >= 0 && st->psize != st->tree.size)
		update_partials(st);
	if (st->walfd >= 0)
		close(st->walfd);
	if (st->lockfd >= 0)
		close(st->lockfd);
	if (st->dirfd >= 0)
		close(st->dirfd);
	rp_note_signer_free(st->signer);
	for (int l = 0; l <= RP_TILE_MAX_LEVEL; l++)
		free(st->ptile[l]);
	rp_buf_release(&st->bundle);
	rp_buf_release(&st->ckpt_note);
	rp_buf_release(&st->published);
	rp_buf_release(&st->wal_buf);
	rp_buf_release(&st->scratch);
	free(st->leaves);
	pthread_mutex_destroy(&st->mu);
	free(st);
}

/* ---- Appending ---- */

int
rp_alog_store_append(struct rp_alog_store *st, const struct rp_str *bodies,
    size_t n, uint64_t *time_ms_out, uint64_t *index_out)
{
	uint64_t t;
	uint8_t hdr[2];
	size_t off;
	int r;

	if (st->err != 0)
		return st->err;
	if (n == 0)
		return 0;
	if (n > st->leaves_cap) {
		uint8_t *nl;

		if (n > SIZE_MAX / RP_MERKLE_HASH_LEN ||
		    (nl = realloc(st->leaves, n * RP_MERKLE_HASH_LEN)) == NULL)
			return RP_E_NOMEM;
		st->leaves = nl;
		st->leaves_cap = n;
	}
	if (st->tree.size > UINT64_MAX - n)
		return RP_E_OVERFLOW;
	t = now_ms();
	if (t < st->last_time)
		t = st->last_time;
	rp_buf_reset(&st->wal_buf);
	for (size_t i = 0; i < n; i++) {
		uint8_t *leaf = st->leaves + i * RP_MERKLE_HASH_LEN;

		if ((r = rp_alog_entry_stamp(bodies[i], t, &st->scratch)) != 0)
			return r;
		rp_merkle_leaf_hash(st->scratch.d, st->scratch.len, leaf);
		hdr[0] = (uint8_t)(st->scratch.len >> 8);
		hdr[1] = (uint8_t)st->scratch.len;
		rp_buf_add(&st->wal_buf, hdr, 2);
		rp_buf_add(&st->wal_buf, st->scratch.d, st->scratch.len);
		rp_buf_add(&st->wal_buf, leaf, 4);
	}
	if (st->wal_buf.err != 0)
		return st->wal_buf.err;
	if (pwrite_all(st->walfd, st->wal_buf.d, st->wal_buf.len,
	    st->wal_bytes) != 0 || fdatasync(st->walfd) != 0) {
		rp_log_error("access log: wal write/fsync failed: %s; nothing "
		    "more is acknowledged until a restart recovers",
		    strerror(errno));
		st->err = RP_E_IO;
		return st->err;
	}
	st->wal_bytes += st->wal_buf.len;
	st->last_time = t;
	off = 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *rec = (const uint8_t *)st->wal_buf.d + off;
		size_t len = (size_t)rec[0] << 8 | rec[1];

		if (index_out != NULL)
			index_out[i] = st->tree.size;
		if (time_ms_out != NULL)
			time_ms_out[i] = t;
		if ((r = add_entry(st, rec + 2, len,
		    st->leaves + i * RP_MERKLE_HASH_LEN)) != 0) {
			st->err = r;	/* the tree is full: cannot go on */
			return r;
		}
		off += len + RP_ALOG_WAL_OVERHEAD;
	}
	return 0;
}

int
rp_alog_store_error(const struct rp_alog_store *st)
{
	return st->err != 0 ? st->err : st->derr;
}

uint64_t
rp_alog_store_size(const struct rp_alog_store *st)
{
	return st->tree.size;
}

void
rp_alog_store_root(const struct rp_alog_store *st,
    uint8_t root[RP_MERKLE_HASH_LEN])
{
	rp_merkle_tree_root(&st->tree, root);
}

const char *
rp_alog_store_origin(const struct rp_alog_store *st)
{
	return st->origin;
}

uint64_t
rp_alog_store_checkpoint_size(const struct rp_alog_store *st)
{
	return st->ckpt_size;
}

int
rp_alog_store_dirfd(const struct rp_alog_store *st)
{
	return st->dirfd;
}

int
rp_alog_store_verifier_key(const struct rp_alog_store *st,
    struct rp_buf *out)
{
	return rp_note_verifier_format(rp_note_signer_verifier(st->signer),
	    out);
}

/* ---- Checkpoints ---- */

static int
publish(struct rp_alog_store *st, struct rp_str note, uint64_t size)
{
	int r;

	if ((r = write_atomic(st->dirfd, "checkpoint", note.p, note.n, 0644,
	    true)) != 0) {
		rp_log_error("access log: cannot write the checkpoint: %s",
		    strerror(errno));
		return r;
	}
	pthread_mutex_lock(&st->mu);
	rp_buf_reset(&st->published);
	r = rp_buf_add_str(&st->published, note);
	st->published_size = size;
	st->have_published = r == 0;
	pthread_mutex_unlock(&st->mu);
	return r;
}

int
rp_alog_store_checkpoint(struct rp_alog_store *st, bool force, bool publish_now,
    struct rp_buf *note_out, bool *made)
{
	const struct rp_note_signer *signers[1] = { st->signer };
	uint8_t root[RP_MERKLE_HASH_LEN];
	struct rp_buf text;
	int r;

	if (note_out != NULL)
		rp_buf_reset(note_out);
	if (made != NULL)
		*made = false;
	if (st->err != 0)
		return st->err;
	if (!force && st->tree.size == st->ckpt_size &&
	    (st->ckpt_signed || st->have_published))
		return 0;
	/* The tiles and bundles the checkpoint names must survive a crash. */
	update_partials(st);
	if (st->derr != 0)
		return st->derr;
	if (syncfs(st->dirfd) != 0) {
		rp_log_error("access log: syncfs: %s", strerror(errno));
		return st->err = RP_E_IO;
	}
	rp_buf_init(&text, RP_NOTE_MAX_LEN);
	rp_merkle_tree_root(&st->tree, root);
	rp_buf_reset(&st->ckpt_note);
	if ((r = rp_checkpoint_format(rp_str_c(st->origin), st->tree.size, root,
	    RP_STR_NULL, &text)) != 0 ||
	    (r = rp_note_sign(rp_buf_str(&text), signers, 1,
	    &st->ckpt_note)) != 0) {
		st->ckpt_signed = false;
		goto out;
	}
	st->ckpt_signed = true;
	st->ckpt_size = st->tree.size;
	if (made != NULL)
		*made = true;
	if (publish_now && (r = publish(st, rp_buf_str(&st->ckpt_note),
	    st->ckpt_size)) != 0)
		goto out;
	if (note_out != NULL)
		r = rp_buf_add_str(note_out, rp_buf_str(&st->ckpt_note));
 out:
	rp_buf_release(&text);
	return r;
}

int
rp_alog_store_set_cosignatures(struct rp_alog_store *st, struct rp_str lines)
{
	struct rp_note *note = NULL;
	struct rp_buf b;
	int r;

	if (!st->ckpt_signed)
		return RP_E_STATE;
	rp_buf_init(&b, RP_NOTE_MAX_LEN);
	rp_buf_add_str(&b, rp_buf_str(&st->ckpt_note));
	if ((r = rp_buf_add_str(&b, lines)) != 0)
		goto out;
	if ((note = malloc(sizeof(*note))) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	if (rp_note_parse(rp_buf_str(&b), note) != 0) {
		r = RP_E_INVAL;
		goto out;
	}
	r = publish(st, rp_buf_str(&b), st->ckpt_size);
 out:
	free(note);
	rp_buf_release(&b);
	return r;
}

int
rp_alog_store_published(struct rp_alog_store *st, struct rp_buf *out,
    uint64_t *size)
{
	int r = RP_E_NOTFOUND;

	rp_buf_reset(out);
	*size = 0;
	pthread_mutex_lock(&st->mu);
	if (st->have_published) {
		r = rp_buf_add_str(out, rp_buf_str(&st->published));
		*size = st->published_size;
	}
	pthread_mutex_unlock(&st->mu);
	return r;
}
