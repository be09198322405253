/* SPDX-License-Identifier: ISC */
/*
 * merkle.h — RFC 6962 / RFC 9162 Merkle tree primitives for the access log:
 * leaf and node hashing (SHA-256 through OpenSSL EVP, one fetched EVP_MD
 * and one reused EVP_MD_CTX per thread), the incremental tree the log
 * writer appends to, proof generation from stored subtree hashes, and
 * proof verification.  Pure functions: no I/O, no processes.  Used by the
 * log writer, the witness and `rentport log verify|prove|consistency`.
 *
 * Vocabulary.  A "subtree (level, index)" is the complete subtree over
 * leaves [index * 2^level, (index + 1) * 2^level); level 0 is a leaf hash.
 * Hashes are 32 raw bytes.  A proof is a flat array of proof_len hashes
 * (proof_len * 32 bytes), in RFC 9162 order (nearest sibling first).
 *
 * Trust.  Verification inputs (indexes, sizes, proofs, roots) may come from
 * anyone; every verifier checks lengths and ranges itself.  Proof generation
 * trusts its hash reader.
 *
 * Threads.  Hashing uses a per-thread SHA-256 context created on first use
 * (freed at thread exit), so every function here is thread-safe.  If
 * OpenSSL cannot provide SHA-256 at all the process is broken: hashing
 * calls rp_fatal() (call rp_merkle_selftest() at start-up to find out
 * early instead).
 */
#ifndef RP_ALOG_MERKLE_H
#define RP_ALOG_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "util/errors.h"

#define RP_MERKLE_HASH_LEN	32
/* Longest inclusion or consistency proof for any 64-bit tree size. */
#define RP_MERKLE_MAX_PROOF	65
/* Subtree levels run 0..63 (a 2^64-leaf subtree cannot exist). */
#define RP_MERKLE_MAX_LEVEL	63

/*
 * Start-up check: hashes the RFC 6962 known answers with the per-thread
 * context.  0, or RP_E_STATE if SHA-256 is unavailable or wrong.
 */
int rp_merkle_selftest(void) RP_WARN_UNUSED;

/* SHA-256(0x00 ‖ data): the RFC 6962 leaf hash of len bytes. */
void rp_merkle_leaf_hash(const void *data, size_t len,
    uint8_t out[RP_MERKLE_HASH_LEN]);
/* SHA-256(0x01 ‖ left ‖ right).  out may alias left or right. */
void rp_merkle_node_hash(const uint8_t left[RP_MERKLE_HASH_LEN],
    const uint8_t right[RP_MERKLE_HASH_LEN], uint8_t out[RP_MERKLE_HASH_LEN]);
/* SHA-256(""): the root of the empty tree (e3b0c442…b855). */
void rp_merkle_empty_root(uint8_t out[RP_MERKLE_HASH_LEN]);

/*
 * MTH over n already-hashed nodes taken as the leaves of a tree (RFC split
 * rule, no further leaf prefix): for n a power of two and hashes the 2^k
 * level-L subtree hashes of one aligned block, this is the level-(L+k)
 * subtree hash — e.g. the 256 hashes of a full tile give the hash one tile
 * level up.  n == 0 gives the empty root.  Needs no allocation (O(log n)
 * stack).
 */
void rp_merkle_hash_nodes(const uint8_t *hashes /* n * 32 bytes */, size_t n,
    uint8_t out[RP_MERKLE_HASH_LEN]);

/*
 * ---- Incremental tree (the log writer's compact range) ----
 *
 * Holds the roots of the complete subtrees on the right edge: node[l] is
 * valid iff bit l of size is set.  Appending costs one node hash per
 * subtree it completes (amortised < 1); the root costs popcount(size) - 1.
 * No allocation; the struct may be copied (that snapshots it).
 */
struct rp_merkle_tree {
	uint64_t size;
	uint8_t node[64][RP_MERKLE_HASH_LEN];
};

/*
 * Called for every subtree an append completes, lowest level first: first
 * (0, i, leaf) for the appended leaf i itself, then (1, i/2, ...) if that
 * closed a pair, and so on.  A level-l tlog tile (tile.h) stores the
 * hashes reported at Merkle level 8*l.  The hash pointer is valid only for
 * the call.  Return 0; a non-zero return stops the append, which then
 * fails with that value and leaves the tree unchanged.
 */
typedef int (*rp_merkle_sink_fn)(void *arg, unsigned level, uint64_t index,
    const uint8_t hash[RP_MERKLE_HASH_LEN]);

/* The empty tree. */
void rp_merkle_tree_init(struct rp_merkle_tree *t);

/*
 * Appends one leaf HASH (use rp_merkle_leaf_hash on the entry bytes first).
 * sink may be NULL.  0; RP_E_OVERFLOW when the tree is full (size 2^64-1);
 * or the sink's non-zero return (tree unchanged).
 */
int rp_merkle_tree_append(struct rp_merkle_tree *t,
    const uint8_t leaf_hash[RP_MERKLE_HASH_LEN], rp_merkle_sink_fn sink,
    void *arg) RP_WARN_UNUSED;

/* Root hash at the current size (empty root for size 0). */
void rp_merkle_tree_root(const struct rp_merkle_tree *t,
    uint8_t out[RP_MERKLE_HASH_LEN]);

/*
 * ---- Hash reader and proof generation ----
 *
 * A reader returns the hash of the complete subtree (level, index) of the
 * log, i.e. of leaves [index * 2^level, (index + 1) * 2^level); generation
 * only asks for subtrees that lie wholly inside the tree size it was given.
 * Return 0 and fill out, or a negative RP_E_* which is passed through.
 * tile.h provides a reader over stored tlog tiles (rp_tile_reader_hash).
 */
typedef int (*rp_merkle_reader_fn)(void *arg, unsigned level, uint64_t index,
    uint8_t out[RP_MERKLE_HASH_LEN]);

/*
 * Resumes an incremental tree at size from stored hashes (after a
 * restart): reads the popcount(size) right-edge subtrees.  On failure *t is
 * the empty tree and the reader's error is returned.
 */
int rp_merkle_tree_load(struct rp_merkle_tree *t, uint64_t size,
    rp_merkle_reader_fn rd, void *arg) RP_WARN_UNUSED;

/*
 * Root of the tree of the first n leaves (n == 0: empty root, no reads).
 * 0 or the reader's error (out zeroed).
 */
int rp_merkle_root_at(rp_merkle_reader_fn rd, void *arg, uint64_t n,
    uint8_t out[RP_MERKLE_HASH_LEN]) RP_WARN_UNUSED;

/*
 * Inclusion proof (audit path) of leaf i in the tree of size n, nearest
 * sibling first, written to proof (room for RP_MERKLE_MAX_PROOF hashes);
 * *proof_len gets the count.  RP_E_RANGE unless i < n; or the reader's
 * error.  On failure *proof_len is 0.
 */
int rp_merkle_prove_inclusion(rp_merkle_reader_fn rd, void *arg, uint64_t i,
    uint64_t n, uint8_t *proof /* RP_MERKLE_MAX_PROOF * 32 bytes */,
    size_t *proof_len) RP_WARN_UNUSED;

/*
 * Consistency proof from size m to size n (RFC 9162 §2.1.4).  0 < m < n
 * gives the RFC proof; m == n and m == 0 give the empty proof (which is
 * what the verifier expects).  RP_E_RANGE if m > n; or the reader's error.
 * On failure *proof_len is 0.
 */
int rp_merkle_prove_consistency(rp_merkle_reader_fn rd, void *arg,
    uint64_t m, uint64_t n,
    uint8_t *proof /* RP_MERKLE_MAX_PROOF * 32 bytes */,
    size_t *proof_len) RP_WARN_UNUSED;

/*
 * ---- Verification (untrusted input) ----
 *
 * 0 if leaf_hash is leaf i of the tree of size n with root `root`, given
 * the audit path; RP_E_INVAL otherwise (i >= n, wrong proof length, any
 * mismatch).  proof may be NULL when proof_len is 0.
 */
int rp_merkle_verify_inclusion(uint64_t i, uint64_t n,
    const uint8_t leaf_hash[RP_MERKLE_HASH_LEN], const uint8_t *proof,
    size_t proof_len, const uint8_t root[RP_MERKLE_HASH_LEN]) RP_WARN_UNUSED;

/*
 * 0 if the tree of size n with root new_root extends the tree of size m
 * with root old_root, per the proof; RP_E_INVAL otherwise.  m > n fails;
 * m == n needs an empty proof and equal roots; m == 0 needs an empty proof
 * and old_root == the empty root.
 */
int rp_merkle_verify_consistency(uint64_t m, uint64_t n,
    const uint8_t old_root[RP_MERKLE_HASH_LEN],
    const uint8_t new_root[RP_MERKLE_HASH_LEN], const uint8_t *proof,
    size_t proof_len) RP_WARN_UNUSED;

#endif
