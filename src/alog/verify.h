/* SPDX-License-Identifier: ISC */
/*
 * verify.h — an independent verifier of the access log's files
 * (docs/access-log.md, "Files"): it reads DATA/alog/{vkey, origin,
 * checkpoint, wal, tile/...} itself, byte by byte, and never uses the
 * writer's storage library, so a bug in the writer cannot hide itself.
 * Used by `rentport log verify|prove|consistency|show|range` (cli.c).
 *
 * Trust: every file is untrusted.  Lengths are bounded before use, offsets
 * are checked against the file size, and no count read from a file sizes an
 * allocation without first being bounded by a file size.
 */
#ifndef RP_ALOG_VERIFY_H
#define RP_ALOG_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alog/note.h"
#include "util/buf.h"
#include "util/errors.h"
#include "util/str.h"

/* wal record: u16 BE length ‖ entry ‖ 4-byte check. */
#define RP_ALOG_WAL_CHECK_LEN	4
/* rp_alog_vresult.fail_index when the failure is not about one entry. */
#define RP_ALOG_NO_INDEX	UINT64_MAX

/*
 * ---- The wal, mapped read-only ----
 *
 * Opening walks the record lengths once (no hashing) and keeps the offset
 * of every 256th entry, so entry i is found with at most 255 steps.  count
 * is the number of complete records; torn is true if bytes follow the last
 * complete record (an incomplete record: a crash, or a write in progress).
 * Checks are not verified here (rp_alog_verify does that).
 * XXX: the wal is mmap'ed; a writer truncating it while we read it (it only
 * does so when cutting a torn tail at start) would raise SIGBUS.
 */
struct rp_alog_wal {
	const uint8_t *p;	/* the mapping (NULL for an empty file) */
	size_t n;		/* file size */
	uint64_t count;		/* complete records */
	uint64_t ntiles;	/* ceil(count / 256) */
	uint64_t *tile_off;	/* owned: ntiles + 1 offsets; [ntiles] = end */
	bool torn;
};

/*
 * Maps and indexes the wal at path.  0; RP_E_NOTFOUND (no file); RP_E_IO
 * (errno kept); RP_E_NOMEM.  Release with rp_alog_wal_close (NULL-safe
 * fields; also after failure).
 */
int rp_alog_wal_open(struct rp_alog_wal *w, const char *path) RP_WARN_UNUSED;
void rp_alog_wal_close(struct rp_alog_wal *w);

/*
 * Entry i (< w->count) as a view into the mapping, and its 4-byte check.
 * RP_E_RANGE if i >= count.
 */
int rp_alog_wal_entry(const struct rp_alog_wal *w, uint64_t i,
    struct rp_str *entry, const uint8_t **check) RP_WARN_UNUSED;

/*
 * ---- Reading the log's keys and checkpoint ----
 */
struct rp_alog_head {
	struct rp_note_verifier log_key;	/* DATA/alog/vkey */
	bool witness_known;			/* a witness key was given/found */
	struct rp_note_verifier witness_key;
	char *origin;				/* owned: DATA/alog/origin, no "\n" */
	char *cp_text;				/* owned: the checkpoint file */
	size_t cp_len;
	struct rp_note note;			/* borrows cp_text */
	struct rp_checkpoint cp;		/* borrows cp_text */
	bool cosigned;				/* witness cosignature verified */
	uint64_t cosig_time;			/* its timestamp (seconds) */
};

/*
 * Loads vkey, origin (must equal the checkpoint's origin) and checkpoint
 * from alog_dir and checks the checkpoint: the log's signature must verify
 * and every known key's signature must verify.  witness_vkey is a verifier
 * key string, or NULL/"" to read witness_vkey_file (NULL, or a file that
 * may be absent: then no witness key is known).  When a witness key is
 * known and the checkpoint carries no cosignature by it, this fails
 * ("no witness cosignature").  0, or RP_E_INVAL / RP_E_DENIED / RP_E_IO /
 * RP_E_NOTFOUND with a one-line reason appended to msg.  Release h with
 * rp_alog_head_release (also after failure).
 */
int rp_alog_head_load(struct rp_alog_head *h, const char *alog_dir,
    const char *witness_vkey, const char *witness_vkey_file,
    struct rp_buf *msg) RP_WARN_UNUSED;
void rp_alog_head_release(struct rp_alog_head *h);

/*
 * ---- Full verification ----
 */
struct rp_alog_vopts {
	const char *alog_dir;		/* DATA/alog */
	const char *witness_vkey;	/* key string, or NULL/"" */
	const char *witness_vkey_file;	/* DATA/witness/vkey (may not exist) */
	unsigned threads;		/* 0: 2; at most 16 */
};

struct rp_alog_vresult {
	uint64_t size;			/* the checkpoint's tree size */
	uint64_t wal_entries;		/* complete records in the wal */
	uint8_t root[32];		/* the checkpoint's (= recomputed) root */
	char log_name[RP_NOTE_MAX_NAME + 1];
	bool witness_known, cosigned;
	char witness_name[RP_NOTE_MAX_NAME + 1];
	uint64_t cosig_time;		/* seconds */
	bool torn;			/* incomplete record after the last */
	uint64_t fail_index;		/* first bad index, or RP_ALOG_NO_INDEX */
	uint64_t failures;		/* problems found in all */
	double seconds;			/* wall time of the data checks */
};

/*
 * Verifies everything (see docs/access-log.md, "Commands"): checkpoint
 * signatures and origin; every wal record's check, decoding and time order
 * (also past the checkpoint: the unverified tail); every full and partial
 * entry bundle against the wal (same bytes, same count) and every tile at
 * every level (stored bytes equal to the recomputed hashes); required
 * files present for the checkpoint's size; the recomputed root equal to the
 * checkpoint's.  Returns 0 if all holds; otherwise RP_E_INVAL (or the I/O
 * error that stopped it) with the first failure — the lowest index — as one
 * line appended to msg, e.g. "entry 1234 (tile/entries/004): bundle
 * disagrees with wal", and res->fail_index set.  *res is filled as far as
 * the checks got.
 */
int rp_alog_verify(const struct rp_alog_vopts *o, struct rp_alog_vresult *res,
    struct rp_buf *msg) RP_WARN_UNUSED;

/*
 * The data half of rp_alog_verify: checks the wal, bundles and tiles of
 * alog_dir against a tree (size, cp_root) the caller already trusts (a
 * checkpoint verified by rp_alog_head_load, a witness's state, a mirror's
 * record), with threads workers (0: 2).  Fills the data fields of *res
 * (size, wal_entries, torn, fail_index, failures, seconds) and leaves the
 * others alone.  Same returns and message as rp_alog_verify.
 */
int rp_alog_verify_files(const char *alog_dir, unsigned threads,
    uint64_t size, const uint8_t cp_root[32], struct rp_alog_vresult *res,
    struct rp_buf *msg) RP_WARN_UNUSED;

/*
 * ---- Proofs from stored tiles ----
 *
 * A tile loader for tile.h's reader over alog_dir/tile (pass the alog
 * directory path as arg): a full tile, or the exact partial, or any wider
 * partial, prefix copied.  Tile files are untrusted: a wrong size is
 * RP_E_INVAL.
 */
int rp_alog_verify_tile_load(void *alog_dir /* const char * */, int level,
    uint64_t index, unsigned width, uint8_t *out) RP_WARN_UNUSED;

#endif
