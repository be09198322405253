/* SPDX-License-Identifier: ISC */
/*
 * store.h — the access log's storage (DATA/alog/, docs/access-log.md):
 * the write-ahead `wal` that makes entries durable, the tlog-tiles hash
 * tiles and entry bundles derived from it, signed checkpoints, and the
 * log's Ed25519 key.  A library, not a process: the log writer
 * (writer.c) uses it, and so does `rentport seed` in-process while no
 * writer runs.  One process at a time: open takes the `lock` flock.
 *
 * On disk, each tile or bundle exists once: either full (`tile/0/005`,
 * immutable) or as the one partial file of the current size
 * (`tile/0/005.p/17`, replaced by write-temporary + rename after every
 * append, the previous width's file removed).  A narrower partial — the
 * width some older checkpoint names — is a prefix of the stored one:
 * rp_alog_tile_read serves it by truncation.
 *
 * Threads: one thread drives a store; rp_alog_store_published may be
 * called from any thread (the HTTP server) at the same time.
 */
#ifndef RP_ALOG_STORE_H
#define RP_ALOG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alog/merkle.h"
#include "alog/tile.h"
#include "conf/conf.h"
#include "util/buf.h"
#include "util/errors.h"
#include "util/str.h"

#define RP_ALOG_DIR		"alog"
/* Bytes a wal record adds to its entry: u16 length + 4-byte check. */
#define RP_ALOG_WAL_OVERHEAD	6

struct rp_alog_store;

/*
 * Opens the log in data_dir/alog (created, mode 0700, with the key, vkey
 * and origin files at first start; origin = conf->alog_origin or
 * "rentport.invalid/access-log/<16 hex>").  Takes the `lock` flock:
 * RP_E_STATE if another process (or another open in this one) holds it.
 * Recovers: cuts a torn wal tail, refuses with RP_E_STATE (logging "access
 * log corrupt at index N") when a bad record is followed by valid ones or
 * when the stored checkpoint disagrees with the wal, rebuilds the tree and
 * rewrites missing or short tile and bundle files.  RP_E_STATE also if
 * conf->alog_origin differs from the stored origin.  0, RP_E_IO,
 * RP_E_NOMEM, RP_E_STATE, RP_E_INVAL (bad key/origin files); *out NULL
 * on failure.
 */
int rp_alog_store_open(const char *data_dir, const struct rp_conf *conf,
    struct rp_alog_store **out /* owned: rp_alog_store_close */)
    RP_WARN_UNUSED;

/* Releases memory, wipes the key, drops the lock.  NULL-safe. */
void rp_alog_store_close(struct rp_alog_store *st);

/*
 * Appends n entry bodies (entry.h: everything after version and time)
 * durably: stamps each with time_ms = max(now, last time) (non-decreasing),
 * writes all n wal records with one write and one fdatasync, then updates
 * the tree, tiles and bundles.  time_ms_out[i] and index_out[i] (either may
 * be NULL) receive each entry's time and index.  RP_E_INVAL / RP_E_TOOBIG
 * if any body is bad (nothing written); RP_E_IO if the wal write or fsync
 * failed — then the store is failed for good (every later call returns the
 * same error; close it and reopen to recover) and nothing may be
 * acknowledged.  A failure writing a derived file (tile, bundle) after the
 * fsync still returns 0 — the entries are durable — but sets
 * rp_alog_store_error so the caller can restart (open rebuilds them).
 */
int rp_alog_store_append(struct rp_alog_store *st,
    const struct rp_str *bodies, size_t n, uint64_t *time_ms_out,
    uint64_t *index_out) RP_WARN_UNUSED;

/* 0, or the error that failed the store (append or derived files). */
int rp_alog_store_error(const struct rp_alog_store *st);

/* Entries in the log; the current root; the origin (borrowed). */
uint64_t rp_alog_store_size(const struct rp_alog_store *st);
void rp_alog_store_root(const struct rp_alog_store *st,
    uint8_t root[RP_MERKLE_HASH_LEN]);
const char *rp_alog_store_origin(const struct rp_alog_store *st);
/* Size of the latest signed checkpoint (0 if none yet). */
uint64_t rp_alog_store_checkpoint_size(const struct rp_alog_store *st);
/* The descriptor of DATA/alog (borrowed), for rp_alog_tile_read. */
int rp_alog_store_dirfd(const struct rp_alog_store *st);

/* Appends the verifier key "name+hex+base64" (no newline) to out. */
int rp_alog_store_verifier_key(const struct rp_alog_store *st,
    struct rp_buf *out) RP_WARN_UNUSED;

/*
 * Signs a checkpoint for the current size if it grew since the last one
 * (or always when force): makes the derived files durable (syncfs of the
 * log's file system), signs, and, if publish, writes `checkpoint`
 * atomically (temporary + fsync + rename + fsync dir).  If !publish the
 * signed note waits for rp_alog_store_set_cosignatures.  note_out (may be
 * NULL; cleared first) gets the signed note, *made (may be NULL) whether
 * one was signed.  0, RP_E_IO (the store is then failed), RP_E_NOMEM.
 */
int rp_alog_store_checkpoint(struct rp_alog_store *st, bool force,
    bool publish, struct rp_buf *note_out, bool *made) RP_WARN_UNUSED;

/*
 * Publishes the latest signed checkpoint with extra signature lines
 * appended (the witness's cosignatures: "— name base64\n" lines; may be
 * empty).  The result must parse as a signed note (else RP_E_INVAL,
 * nothing written).  RP_E_STATE if no checkpoint was signed.  0, RP_E_IO.
 */
int rp_alog_store_set_cosignatures(struct rp_alog_store *st,
    struct rp_str lines) RP_WARN_UNUSED;

/*
 * Thread-safe copy of the published checkpoint note into out (cleared
 * first) and its size.  RP_E_NOTFOUND if none was published yet.
 */
int rp_alog_store_published(struct rp_alog_store *st, struct rp_buf *out,
    uint64_t *size) RP_WARN_UNUSED;

/*
 * Consistency proof from size m to n (<= size), read from the stored
 * tiles.  Same contract as rp_merkle_prove_consistency.
 */
int rp_alog_store_prove_consistency(struct rp_alog_store *st, uint64_t m,
    uint64_t n, uint8_t *proof /* RP_MERKLE_MAX_PROOF * 32 */,
    size_t *proof_len) RP_WARN_UNUSED;

/*
 * Reads tile or bundle t (t->width 1..256) from the log directory alog_dirfd
 * (DATA/alog): the full file, or the stored partial file of width >= t->width,
 * cut to exactly t->width hashes / entries.  Does not check any checkpoint
 * size (callers do: never serve past the latest checkpoint).  out is cleared
 * first.  0; RP_E_NOTFOUND (no wide enough file); RP_E_INVAL (a stored file
 * too short or malformed); RP_E_IO; out's error.
 */
int rp_alog_tile_read(int alog_dirfd, const struct rp_tile *t,
    struct rp_buf *out) RP_WARN_UNUSED;

/* An rp_tile_load_fn over DATA/alog: pass (void *)(intptr_t)dirfd as arg. */
int rp_alog_tile_load(void *arg, int level, uint64_t index, unsigned width,
    uint8_t *out);

#endif
