/* SPDX-License-Identifier: ISC */
/*
 * test_alog_store.c — the access-log storage library (src/alog/store.c) in
 * a temporary data directory: batches, the tlog-tiles files on disk checked
 * against the Merkle functions and the signed checkpoint, reopen, torn-tail
 * recovery, refusal on mid-log corruption, the lock, time order, file modes.
 */
#include "util/common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alog/entry.h"
#include "alog/merkle.h"
#include "alog/note.h"
#include "alog/store.h"
#include "alog/tile.h"
#include "util/log.h"
#include "tap.h"

#define MAXN 2048

static char dir[64];
static uint8_t leaves[MAXN][32];	/* expected leaf hashes by index */

static void
make_body(unsigned i, struct rp_buf *out)
{
	struct rp_alog_entry e;
	uint8_t recs[3][16];
	char actor[40];
	int r;

	memset(&e, 0, sizeof(e));
	for (int k = 0; k < 3; k++)
		memset(recs[k], (int)(i + (unsigned)k), 16);
	snprintf(actor, sizeof(actor), "session:%08x%08x", i, i * 7);
	e.action = RP_ALOG_GET;
	e.role = RP_ROLE_PUBLIC_WEB;
	e.fields = RP_FIELD_NAME;
	e.tenant = i;
	e.node = RP_STR_LIT("web/1");
	e.actor = rp_str_c(actor);
	e.purpose = RP_STR_LIT("order_view");
	e.n_records = 3;
	e.records = &recs[0][0];
	r = rp_alog_body_encode(&e, out);
	if (r != 0)
		abort();
}

/* Appends n entries numbered from first; checks indexes and times. */
static int
append_n(struct rp_alog_store *st, unsigned first, unsigned n,
    uint64_t *last_time)
{
	struct rp_buf *b = calloc(n, sizeof(*b));
	struct rp_str *v = calloc(n, sizeof(*v));
	uint64_t *t = calloc(n, sizeof(*t)), *ix = calloc(n, sizeof(*ix));
	int r, bad = 0;

	for (unsigned i = 0; i < n; i++) {
		rp_buf_init(&b[i], RP_ALOG_MAX_ENTRY);
		make_body(first + i, &b[i]);
		v[i] = rp_buf_str(&b[i]);
	}
	r = rp_alog_store_append(st, v, n, t, ix);
	for (unsigned i = 0; r == 0 && i < n; i++) {
		if (ix[i] != first + i || t[i] < *last_time)
			bad = 1;
		*last_time = t[i];
	}
	for (unsigned i = 0; i < n; i++)
		rp_buf_release(&b[i]);
	free(b);
	free(v);
	free(t);
	free(ix);
	return r != 0 ? r : bad ? -100 : 0;
}

static int
read_path(const char *rel, struct rp_buf *out)
{
	char path[256];
	char chunk[4096];
	ssize_t n;
	int fd;

	rp_buf_reset(out);
	snprintf(path, sizeof(path), "%s/alog/%s", dir, rel);
	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		rp_buf_add(out, chunk, (size_t)n);
	close(fd);
	return 0;
}

static bool
exists(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/alog/%s", dir, rel);
	return access(path, F_OK) == 0;
}

/*
 * Checks every tile and bundle file of size n against the entries: each
 * bundle entry decodes with non-decreasing time, its leaf hash is in the
 * level-0 tile, level-1 hashes are the roots of full level-0 tiles, and
 * the leaf hashes give root.  Records leaf hashes in leaves[].
 */
static bool
check_tiles(uint64_t n, const uint8_t root[32])
{
	struct rp_buf b, t;
	struct rp_str ents[256];
	struct rp_alog_entry e;
	char path[RP_TILE_PATH_MAX];
	uint8_t h[32], got[32];
	uint64_t last = 0;
	bool good = true;

	rp_buf_init(&b, 1 << 24);
	rp_buf_init(&t, 1 << 24);
	for (uint64_t N = 0; N * 256 < n; N++) {
		unsigned w = rp_tile_width_at(n, 0, N);
		struct rp_tile bt = { RP_TILE_ENTRIES, N, w }, lt = { 0, N, w };

		rp_tile_path(&bt, path, sizeof(path));
		if (read_path(path, &b) != 0 ||
		    rp_bundle_parse(rp_buf_str(&b), w, ents) != 0) {
			diag("bundle %s missing or malformed", path);
			good = false;
			break;
		}
		rp_tile_path(&lt, path, sizeof(path));
		if (read_path(path, &t) != 0 || t.len != (size_t)w * 32) {
			diag("tile %s missing or wrong size", path);
			good = false;
			break;
		}
		for (unsigned i = 0; i < w; i++) {
			if (rp_alog_entry_decode(ents[i], &e) != 0 ||
			    e.time_ms < last || e.tenant != N * 256 + i)
				good = false;
			last = e.time_ms;
			rp_merkle_leaf_hash(ents[i].p, ents[i].n, h);
			memcpy(leaves[N * 256 + i], h, 32);
			if (memcmp(t.d + i * 32, h, 32) != 0)
				good = false;
		}
	}
	/* Level 1: one hash per full level-0 tile. */
	if (good && n >= 256) {
		unsigned w = rp_tile_width_at(n, 1, 0);
		struct rp_tile lt = { 1, 0, w };

		rp_tile_path(&lt, path, sizeof(path));
		if (read_path(path, &t) != 0 || t.len != (size_t)w * 32)
			good = false;
		for (unsigned i = 0; good && i < w; i++) {
			rp_merkle_hash_nodes(leaves[i * 256], 256, h);
			if (memcmp(t.d + i * 32, h, 32) != 0)
				good = false;
		}
	}
	rp_merkle_hash_nodes(leaves[0], n, got);
	if (memcmp(got, root, 32) != 0)
		good = false;
	rp_buf_release(&b);
	rp_buf_release(&t);
	return good;
}

/* Offset of wal record i (walks the length prefixes). */
static off_t
record_offset(unsigned i)
{
	struct rp_buf w;
	size_t off = 0;

	rp_buf_init(&w, 1 << 26);
	read_path("wal", &w);
	for (unsigned k = 0; k < i && off + 2 <= w.len; k++)
		off += 6 + ((size_t)(uint8_t)w.d[off] << 8 |
		    (uint8_t)w.d[off + 1]);
	rp_buf_release(&w);
	return (off_t)off;
}

static void
poke(off_t off, uint8_t x)
{
	char path[256];
	uint8_t c;
	int fd;

	snprintf(path, sizeof(path), "%s/alog/wal", dir);
	fd = open(path, O_RDWR);
	if (pread(fd, &c, 1, off) != 1)
		abort();
	c ^= x;
	if (pwrite(fd, &c, 1, off) != 1)
		abort();
	close(fd);
}

static off_t
wal_size(void)
{
	char path[256];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/alog/wal", dir);
	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

static void
wal_truncate(off_t n)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/alog/wal", dir);
	if (truncate(path, n) != 0)
		abort();
}

static void
wal_append(const void *p, size_t n)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/alog/wal", dir);
	fd = open(path, O_WRONLY | O_APPEND);
	if (write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
}

int
main(void)
{
	struct rp_alog_store *st = NULL, *st2 = NULL;
	struct rp_conf conf;
	struct rp_buf b, note;
	struct rp_note_verifier vk;
	struct rp_note *nt = malloc(sizeof(*nt));
	struct rp_checkpoint cp;
	struct stat sb;
	uint8_t root[32], root2[32], h[32];
	uint8_t proof[RP_MERKLE_MAX_PROOF * 32];
	size_t plen;
	uint64_t last = 0, size;
	char path[256];
	bool made;
	pid_t pid;
	int status;

	rp_log_set_level(RP_LOG_ERROR);
	rp_conf_defaults(&conf);
	rp_buf_init(&b, 1 << 24);
	rp_buf_init(&note, RP_NOTE_MAX_LEN);
	snprintf(dir, sizeof(dir), "/tmp/rp-alog-store-XXXXXX");
	ok(mkdtemp(dir) != NULL, "mkdtemp");

	is_int(rp_alog_store_open(dir, &conf, &st), 0, "open a new log");
	if (st == NULL)
		return tap_done();
	is_int(rp_alog_store_size(st), 0, "empty");
	snprintf(path, sizeof(path), "%s/alog/key", dir);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600 &&
	    sb.st_size == 32, "key: 32 bytes, mode 0600");
	snprintf(path, sizeof(path), "%s/alog", dir);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0700,
	    "alog dir mode 0700");
	read_path("origin", &b);
	ok(b.len == strlen("rentport.invalid/access-log/") + 16 + 1 &&
	    rp_str_has_prefix(rp_buf_str(&b), "rentport.invalid/access-log/"),
	    "default origin");
	ok(strlen(rp_alog_store_origin(st)) + 1 == b.len, "origin loaded");
	read_path("vkey", &b);
	ok(b.len > 1 && b.d[b.len - 1] == '\n', "vkey ends in newline");
	is_int(rp_note_verifier_parse((struct rp_str){ b.d, b.len - 1 }, &vk),
	    0, "vkey parses");
	is_str(vk.name, rp_alog_store_origin(st), "vkey named by the origin");

	/* Lock: another open here, or in a child, is refused. */
	is_int(rp_alog_store_open(dir, &conf, &st2), RP_E_STATE,
	    "second open in the same process refused");
	ok(st2 == NULL, "no store on failure");
	if ((pid = fork()) == 0) {
		struct rp_alog_store *c = NULL;
		int r = rp_alog_store_open(dir, &conf, &c);

		_exit(r == RP_E_STATE ? 0 : 1);
	}
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "open in a forked child refused");

	/* Batches across tile boundaries. */
	is_int(append_n(st, 0, 1, &last), 0, "batch of 1");
	is_int(append_n(st, 1, 10, &last), 0, "batch of 10");
	is_int(append_n(st, 11, 300, &last), 0, "batch of 300");
	is_int(rp_alog_store_checkpoint(st, false, true, NULL, &made), 0,
	    "checkpoint at 311");
	ok(made && exists("tile/0/001.p/55") && exists("tile/entries/001.p/55")
	    && exists("tile/0/000") && exists("tile/1/000.p/1"),
	    "partials of 311 written for it");
	is_int(append_n(st, 311, 5, &last), 0, "batch of 5");
	is_int(append_n(st, 316, 700, &last), 0, "batch of 700");
	is_int(rp_alog_store_size(st), 1016, "size 1016");
	{
		struct rp_str bad = RP_STR_LIT("nonsense");

		is_int(rp_alog_store_append(st, &bad, 1, NULL, NULL),
		    RP_E_INVAL, "bad body refused");
		is_int(rp_alog_store_size(st), 1016, "nothing appended");
	}
	/* Checkpoint. */
	rp_alog_store_root(st, root);
	is_int(rp_alog_store_checkpoint(st, false, true, &note, &made), 0,
	    "checkpoint");
	ok(made, "signed (the tree grew)");
	read_path("checkpoint", &b);
	ok(rp_str_eq(rp_buf_str(&b), rp_buf_str(&note)), "checkpoint file");
	is_int(rp_checkpoint_open(rp_buf_str(&b),
	    rp_str_c(rp_alog_store_origin(st)), &vk, 1, nt, &cp, NULL), 0,
	    "checkpoint verifies with vkey");
	ok(cp.size == 1016 && memcmp(cp.root, root, 32) == 0,
	    "checkpoint names size and root");
	/* The files a checkpoint names are there before it is published. */
	ok(check_tiles(1016, root), "tiles and bundles match the root");
	ok(exists("tile/0/003.p/248") && exists("tile/entries/003.p/248") &&
	    exists("tile/1/000.p/3") && exists("tile/0/002") &&
	    exists("tile/entries/000"), "tlog-tiles layout");
	ok(!exists("tile/0/001.p/55") && !exists("tile/0/001.p") &&
	    !exists("tile/entries/001.p") && !exists("tile/1/000.p/1"),
	    "old partials removed");

	is_int(rp_alog_store_checkpoint(st, false, true, &note, &made), 0,
	    "checkpoint again");
	ok(!made && note.len == 0, "not signed without growth");
	is_int(rp_alog_store_checkpoint(st, true, false, &note, &made), 0,
	    "forced, unpublished");
	ok(made, "forced signs");
	is_int(rp_alog_store_set_cosignatures(st, RP_STR_LIT("junk\n")),
	    RP_E_INVAL, "malformed cosignature lines refused");
	{
		static const char line[] = "\xe2\x80\x94 witness.example/w1 "
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";

		is_int(rp_alog_store_set_cosignatures(st, RP_STR_LIT(line)), 0,
		    "cosignature line added");
		is_int(rp_alog_store_published(st, &b, &size), 0, "published");
		ok(size == 1016 && memmem(b.d, b.len, "witness.example/w1",
		    18) != NULL, "published note carries the cosignature");
		is_int(rp_checkpoint_open(rp_buf_str(&b),
		    rp_str_c(rp_alog_store_origin(st)), &vk, 1, nt, &cp, NULL),
		    0, "still verifies (unknown key ignored)");
	}

	/* Reading tiles back, cut to older widths. */
	{
		struct rp_tile t = { 0, 3, 100 }, e = { RP_TILE_ENTRIES, 3, 10 };
		struct rp_str ents[10];

		is_int(rp_alog_tile_read(rp_alog_store_dirfd(st), &t, &b), 0,
		    "read tile/0/003.p/100");
		ok(b.len == 3200 && memcmp(b.d, leaves[768], 3200) == 0,
		    "prefix of the stored partial");
		is_int(rp_alog_tile_read(rp_alog_store_dirfd(st), &e, &b), 0,
		    "read tile/entries/003.p/10");
		ok(rp_bundle_parse(rp_buf_str(&b), 10, ents) == 0,
		    "exactly 10 entries");
		t = (struct rp_tile){ 0, 1, 7 };
		is_int(rp_alog_tile_read(rp_alog_store_dirfd(st), &t, &b), 0,
		    "partial of a now full tile");
		ok(b.len == 224 && memcmp(b.d, leaves[256], 224) == 0,
		    "cut from the full tile");
		t = (struct rp_tile){ 0, 3, 249 };
		is_int(rp_alog_tile_read(rp_alog_store_dirfd(st), &t, &b),
		    RP_E_NOTFOUND, "wider than stored: not found");
		t = (struct rp_tile){ 0, 4, 1 };
		is_int(rp_alog_tile_read(rp_alog_store_dirfd(st), &t, &b),
		    RP_E_NOTFOUND, "missing tile");
	}

	/* Consistency proof from the stored tiles. */
	rp_merkle_hash_nodes(leaves[0], 10, h);
	is_int(rp_alog_store_prove_consistency(st, 10, 1016, proof, &plen), 0,
	    "consistency proof 10 → 1016");
	is_int(rp_merkle_verify_consistency(10, 1016, h, root, proof, plen), 0,
	    "proof verifies");

	/* Reopen: same size and root; checkpoint loaded. */
	rp_alog_store_close(st);
	st = NULL;
	is_int(rp_alog_store_open(dir, &conf, &st), 0, "reopen");
	if (st == NULL)
		return tap_done();
	is_int(rp_alog_store_size(st), 1016, "same size");
	rp_alog_store_root(st, root2);
	ok(memcmp(root, root2, 32) == 0, "same root");
	is_int(rp_alog_store_published(st, &b, &size), 0, "checkpoint loaded");
	ok(size == 1016, "its size");

	/* Appends after reopen keep time order. */
	is_int(append_n(st, 1016, 5, &last), 0, "append after reopen");
	rp_alog_store_close(st);
	st = NULL;

	/* Torn tail: the last record cut short. */
	wal_truncate(wal_size() - 3);
	is_int(rp_alog_store_open(dir, &conf, &st), 0, "open after torn write");
	is_int(st ? rp_alog_store_size(st) : 0, 1020, "last record cut");
	if (st == NULL)
		return tap_done();
	rp_alog_store_root(st, root);
	ok(check_tiles(1020, root), "tiles rebuilt for 1020");
	ok(exists("tile/0/003.p/252") && !exists("tile/0/003.p/253"),
	    "partial rewritten at the cut");
	rp_alog_store_close(st);
	st = NULL;

	/* Garbage after the last whole record. */
	{
		off_t sz = wal_size();
		static const uint8_t g1[] = { 0x30, 0x39, 1, 2, 3, 4, 5, 6, 7 };
		static const uint8_t g2[] = { 0x00, 0x09, 1, 0, 0, 0, 0, 0, 0,
		    0, 0, 0xde, 0xad, 0xbe, 0xef };

		wal_append(g1, sizeof(g1));
		is_int(rp_alog_store_open(dir, &conf, &st), 0,
		    "open with garbage tail");
		is_int(st ? rp_alog_store_size(st) : 0, 1020, "garbage cut");
		ok(wal_size() == sz, "wal back to the last whole record");
		rp_alog_store_close(st);
		st = NULL;
		wal_append(g2, sizeof(g2));
		is_int(rp_alog_store_open(dir, &conf, &st), 0,
		    "open with a whole record failing its check");
		is_int(st ? rp_alog_store_size(st) : 0, 1020, "bad last record cut");
		rp_alog_store_close(st);
		st = NULL;
		/* A long garbage tail (a torn batch) is scanned and cut. */
		{
			size_t gn = 1 << 20;
			uint8_t *g = malloc(gn);
			struct timespec t0, t1;

			srand(7);
			for (size_t i = 0; i < gn; i++)
				g[i] = (uint8_t)rand();
			wal_append(g, gn);
			free(g);
			clock_gettime(CLOCK_MONOTONIC, &t0);
			is_int(rp_alog_store_open(dir, &conf, &st), 0,
			    "open with 1 MiB of garbage after the last record");
			clock_gettime(CLOCK_MONOTONIC, &t1);
			is_int(st ? rp_alog_store_size(st) : 0, 1020,
			    "garbage cut");
			ok(wal_size() == sz, "wal back to size");
			diag("recovery scan of 1 MiB garbage: %ld ms",
			    (long)((t1.tv_sec - t0.tv_sec) * 1000 +
			    (t1.tv_nsec - t0.tv_nsec) / 1000000));
			rp_alog_store_close(st);
			st = NULL;
		}
	}

	/* Corruption in the middle: refused, nothing cut. */
	{
		off_t sz = wal_size(), off = record_offset(500);

		poke(off + 20, 0x40);
		is_int(rp_alog_store_open(dir, &conf, &st), RP_E_STATE,
		    "flipped byte in record 500 refused");
		ok(wal_size() == sz, "wal untouched");
		poke(off + 20, 0x40);
		poke(off + 1, 0x01);
		is_int(rp_alog_store_open(dir, &conf, &st), RP_E_STATE,
		    "damaged length of record 500 refused");
		poke(off + 1, 0x01);
		is_int(rp_alog_store_open(dir, &conf, &st), 0,
		    "repaired: opens again");
		is_int(st ? rp_alog_store_size(st) : 0, 1020, "all there");
		rp_alog_store_close(st);
		st = NULL;
	}

	/* A rewritten checkpoint that does not match the wal is refused. */
	{
		struct rp_buf saved;

		rp_buf_init(&saved, RP_NOTE_MAX_LEN);
		read_path("checkpoint", &saved);
		snprintf(path, sizeof(path), "%s/alog/checkpoint", dir);
		{
			int fd = open(path, O_WRONLY | O_TRUNC);

			ok(write(fd, "x\n", 2) == 2, "clobber checkpoint");
			close(fd);
		}
		is_int(rp_alog_store_open(dir, &conf, &st), RP_E_STATE,
		    "unverifiable checkpoint refused");
		rp_buf_release(&saved);
	}

	/* A configured origin that differs from the stored one. */
	snprintf(conf.alog_origin, sizeof(conf.alog_origin), "other.example/log");
	unlink(path);
	is_int(rp_alog_store_open(dir, &conf, &st), RP_E_STATE,
	    "alog_origin change refused");

	rp_buf_release(&b);
	rp_buf_release(&note);
	free(nt);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("cleanup failed");
	}
	return tap_done();
}
