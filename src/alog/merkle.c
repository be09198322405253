/* SPDX-License-Identifier: ISC */
/*
 * merkle.c — RFC 6962/9162 Merkle hashing, the incremental tree, proof
 * generation from a subtree-hash reader and proof verification (see
 * merkle.h).  Runs inside the log writer, the witness and the log CLI; it
 * trusts only its hash reader, never proofs or sizes given to verify.
 *
 * SHA-256 comes from OpenSSL's low-level SHA256_Init/Update/Final: the
 * same SHA-NI code as EVP, without EVP's per-hash allocation and provider
 * indirection, which cost about a quarter of the time for 65-byte node
 * hashes (measured by tests/alog/bench_alog_verify).  The API is marked
 * deprecated in OpenSSL 3 but remains supported; it needs no state beyond
 * the stack, so it is thread-safe.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "util/common.h"

#include <openssl/sha.h>

#include "alog/merkle.h"
#include "util/log.h"

#define HLEN RP_MERKLE_HASH_LEN

static void
hash3(uint8_t prefix, const void *a, size_t an, const void *b, size_t bn,
    uint8_t out[HLEN])
{
	SHA256_CTX c;

	if (SHA256_Init(&c) != 1 || SHA256_Update(&c, &prefix, 1) != 1 ||
	    (an > 0 && SHA256_Update(&c, a, an) != 1) ||
	    (bn > 0 && SHA256_Update(&c, b, bn) != 1) ||
	    SHA256_Final(out, &c) != 1)
		rp_fatal("merkle: SHA-256 failed");
}

void
rp_merkle_leaf_hash(const void *data, size_t len, uint8_t out[HLEN])
{
	hash3(0x00, data, len, NULL, 0, out);
}

void
rp_merkle_node_hash(const uint8_t left[HLEN], const uint8_t right[HLEN],
    uint8_t out[HLEN])
{
	uint8_t buf[1 + 2 * HLEN];
	SHA256_CTX c;

	/* One contiguous 65-byte update; the copy lets out alias an input. */
	buf[0] = 0x01;
	memcpy(buf + 1, left, HLEN);
	memcpy(buf + 1 + HLEN, right, HLEN);
	if (SHA256_Init(&c) != 1 || SHA256_Update(&c, buf, sizeof(buf)) != 1 ||
	    SHA256_Final(out, &c) != 1)
		rp_fatal("merkle: SHA-256 failed");
}

void
rp_merkle_empty_root(uint8_t out[HLEN])
{
	SHA256_CTX c;

	if (SHA256_Init(&c) != 1 || SHA256_Final(out, &c) != 1)
		rp_fatal("merkle: SHA-256 failed");
}

int
rp_merkle_selftest(void)
{
	/* RFC 6962 test vectors (transparency-dev/merkle rfc6962_test.go). */
	static const uint8_t want_empty[HLEN] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
		0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
		0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
		0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
	};
	static const uint8_t want_leaf0[HLEN] = {
		0x6e, 0x34, 0x0b, 0x9c, 0xff, 0xb3, 0x7a, 0x98,
		0x9c, 0xa5, 0x44, 0xe6, 0xbb, 0x78, 0x0a, 0x2c,
		0x78, 0x90, 0x1d, 0x3f, 0xb3, 0x37, 0x38, 0x76,
		0x85, 0x11, 0xa3, 0x06, 0x17, 0xaf, 0xa0, 0x1d,
	};
	uint8_t h[HLEN];

	rp_merkle_empty_root(h);
	if (memcmp(h, want_empty, HLEN) != 0)
		return RP_E_STATE;
	rp_merkle_leaf_hash("", 0, h);
	if (memcmp(h, want_leaf0, HLEN) != 0)
		return RP_E_STATE;
	return 0;
}

/* ---- incremental tree ---- */

void
rp_merkle_tree_init(struct rp_merkle_tree *t)
{
	memset(t, 0, sizeof(*t));
}

int
rp_merkle_tree_append(struct rp_merkle_tree *t, const uint8_t leaf[HLEN],
    rp_merkle_sink_fn sink, void *arg)
{
	uint8_t carry[HLEN];
	uint64_t idx = t->size;
	unsigned l;
	int r;

	if (t->size == UINT64_MAX)
		return RP_E_OVERFLOW;
	memcpy(carry, leaf, HLEN);
	/*
	 * Every set low bit of size is a complete subtree that the new leaf
	 * pairs with; the sink sees each completed subtree before the tree
	 * changes, so a failing sink leaves the tree as it was.
	 */
	for (l = 0;; l++) {
		if (sink != NULL && (r = sink(arg, l, idx >> l, carry)) != 0)
			return r;
		if (l >= 63 || (t->size & ((uint64_t)1 << l)) == 0)
			break;
		rp_merkle_node_hash(t->node[l], carry, carry);
	}
	memcpy(t->node[l], carry, HLEN);
	t->size++;
	return 0;
}

void
rp_merkle_tree_root(const struct rp_merkle_tree *t, uint8_t out[HLEN])
{
	uint64_t s = t->size;
	unsigned l;
	bool have = false;

	if (s == 0) {
		rp_merkle_empty_root(out);
		return;
	}
	/* Fold the right-edge subtrees from the smallest (rightmost) up. */
	for (l = 0; l < 64; l++) {
		if ((s & ((uint64_t)1 << l)) == 0)
			continue;
		if (!have) {
			memcpy(out, t->node[l], HLEN);
			have = true;
		} else
			rp_merkle_node_hash(t->node[l], out, out);
	}
}

void
rp_merkle_hash_nodes(const uint8_t *hashes, size_t n, uint8_t out[HLEN])
{
	struct rp_merkle_tree t;
	size_t i;

	/* The compact range's root is exactly MTH over the appended nodes. */
	rp_merkle_tree_init(&t);
	for (i = 0; i < n; i++)
		if (rp_merkle_tree_append(&t, hashes + i * HLEN, NULL, NULL) != 0)
			rp_fatal("merkle: hash_nodes overflow");
	rp_merkle_tree_root(&t, out);
}

int
rp_merkle_tree_load(struct rp_merkle_tree *t, uint64_t size,
    rp_merkle_reader_fn rd, void *arg)
{
	unsigned l;
	int r;

	rp_merkle_tree_init(t);
	for (l = 0; l < 64; l++) {
		if ((size & ((uint64_t)1 << l)) == 0)
			continue;
		/* size >> l is odd here, so this is the subtree just left of
		 * the smaller ones below it. */
		if ((r = rd(arg, l, (size >> l) - 1, t->node[l])) != 0) {
			rp_merkle_tree_init(t);
			return r;
		}
	}
	t->size = size;
	return 0;
}

/* ---- proof generation ---- */

static unsigned
bit_length(uint64_t x)
{
	return x == 0 ? 0 : 64 - (unsigned)__builtin_clzll(x);
}

/* Largest power of two strictly below n (n >= 2). */
static uint64_t
split_point(uint64_t n)
{
	return (uint64_t)1 << (bit_length(n - 1) - 1);
}

/*
 * MTH(D[lo..hi)) for a node of the RFC tree: lo is a multiple of the
 * largest power of two <= hi - lo, so the range splits into complete
 * subtrees by the bits of hi - lo, largest first; they are folded from the
 * right, as the RFC split would.
 */
static int
range_hash(rp_merkle_reader_fn rd, void *arg, uint64_t lo, uint64_t hi,
    uint8_t out[HLEN])
{
	uint8_t piece[64][HLEN];
	uint64_t sz = hi - lo;
	int np = 0, b, r;

	for (b = 63; b >= 0; b--) {
		if ((sz & ((uint64_t)1 << b)) == 0)
			continue;
		if ((r = rd(arg, (unsigned)b, lo >> b, piece[np])) != 0)
			return r;
		np++;
		lo += (uint64_t)1 << b;
	}
	memcpy(out, piece[np - 1], HLEN);
	while (--np > 0)
		rp_merkle_node_hash(piece[np - 1], out, out);
	return 0;
}

/* A sibling range collected top-down, emitted bottom-up. */
struct span {
	uint64_t lo, hi;
};

static int
emit(rp_merkle_reader_fn rd, void *arg, const struct span *sp, size_t ns,
    uint8_t *proof, size_t *proof_len)
{
	size_t i;
	int r;

	for (i = 0; i < ns; i++) {
		const struct span *s = &sp[ns - 1 - i];

		if ((r = range_hash(rd, arg, s->lo, s->hi, proof + i * HLEN)) != 0) {
			*proof_len = 0;
			return r;
		}
	}
	*proof_len = ns;
	return 0;
}

int
rp_merkle_root_at(rp_merkle_reader_fn rd, void *arg, uint64_t n,
    uint8_t out[HLEN])
{
	int r;

	if (n == 0) {
		rp_merkle_empty_root(out);
		return 0;
	}
	if ((r = range_hash(rd, arg, 0, n, out)) != 0)
		memset(out, 0, HLEN);
	return r;
}

int
rp_merkle_prove_inclusion(rp_merkle_reader_fn rd, void *arg, uint64_t i,
    uint64_t n, uint8_t *proof, size_t *proof_len)
{
	struct span sp[RP_MERKLE_MAX_PROOF];
	uint64_t lo = 0, hi = n, k;
	size_t ns = 0;

	*proof_len = 0;
	if (i >= n)
		return RP_E_RANGE;
	while (hi - lo > 1) {
		k = split_point(hi - lo);
		if (i < lo + k) {
			sp[ns++] = (struct span){ lo + k, hi };
			hi = lo + k;
		} else {
			sp[ns++] = (struct span){ lo, lo + k };
			lo += k;
		}
	}
	return emit(rd, arg, sp, ns, proof, proof_len);
}

int
rp_merkle_prove_consistency(rp_merkle_reader_fn rd, void *arg, uint64_t m,
    uint64_t n, uint8_t *proof, size_t *proof_len)
{
	struct span sp[RP_MERKLE_MAX_PROOF];
	uint64_t lo = 0, hi = n, k;
	size_t ns = 0;
	bool whole = true;

	*proof_len = 0;
	if (m > n)
		return RP_E_RANGE;
	if (m == 0 || m == n)
		return 0;
	/* SUBPROOF of RFC 9162 §2.1.4.1, unrolled; m is relative to lo. */
	for (;;) {
		if (m == hi - lo) {
			if (!whole)
				sp[ns++] = (struct span){ lo, hi };
			break;
		}
		k = split_point(hi - lo);
		if (m <= k) {
			sp[ns++] = (struct span){ lo + k, hi };
			hi = lo + k;
		} else {
			sp[ns++] = (struct span){ lo, lo + k };
			m -= k;
			lo += k;
			whole = false;
		}
	}
	return emit(rd, arg, sp, ns, proof, proof_len);
}

/* ---- verification ---- */

static int
hash_eq(const uint8_t a[HLEN], const uint8_t b[HLEN])
{
	/* Roots and proofs are public: a plain compare leaks nothing. */
	return memcmp(a, b, HLEN) == 0;
}

int
rp_merkle_verify_inclusion(uint64_t i, uint64_t n, const uint8_t leaf[HLEN],
    const uint8_t *proof, size_t proof_len, const uint8_t root[HLEN])
{
	uint8_t h[HLEN];
	unsigned inner, border, j;

	if (i >= n)
		return RP_E_INVAL;
	inner = bit_length(i ^ (n - 1));
	border = (unsigned)__builtin_popcountll(inner >= 64 ? 0 : i >> inner);
	if (proof_len != (size_t)inner + border)
		return RP_E_INVAL;
	memcpy(h, leaf, HLEN);
	for (j = 0; j < inner; j++) {
		if ((i >> j) & 1)
			rp_merkle_node_hash(proof + j * HLEN, h, h);
		else
			rp_merkle_node_hash(h, proof + j * HLEN, h);
	}
	for (; j < proof_len; j++)
		rp_merkle_node_hash(proof + j * HLEN, h, h);
	return hash_eq(h, root) ? 0 : RP_E_INVAL;
}

int
rp_merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t old[HLEN],
    const uint8_t new_root[HLEN], const uint8_t *proof, size_t proof_len)
{
	uint8_t a[HLEN], b[HLEN], empty[HLEN];
	const uint8_t *rest;
	size_t nrest;
	uint64_t bits;
	unsigned s, inner, border, j;

	if (m > n)
		return RP_E_INVAL;
	if (m == n)
		return proof_len == 0 && hash_eq(old, new_root) ? 0 : RP_E_INVAL;
	if (m == 0) {
		rp_merkle_empty_root(empty);
		return proof_len == 0 && hash_eq(old, empty) ? 0 : RP_E_INVAL;
	}
	if (proof_len == 0)
		return RP_E_INVAL;
	s = (unsigned)__builtin_ctzll(m);
	inner = bit_length((m - 1) ^ (n - 1)) - s;
	border = inner + s >= 64 ? 0 :
	    (unsigned)__builtin_popcountll((m - 1) >> (inner + s));
	if (m == ((uint64_t)1 << s)) {
		memcpy(a, old, HLEN);
		rest = proof;
		nrest = proof_len;
	} else {
		memcpy(a, proof, HLEN);
		rest = proof + HLEN;
		nrest = proof_len - 1;
	}
	if (nrest != (size_t)inner + border)
		return RP_E_INVAL;
	memcpy(b, a, HLEN);
	bits = (m - 1) >> s;
	for (j = 0; j < inner; j++) {
		if ((bits >> j) & 1) {
			rp_merkle_node_hash(rest + j * HLEN, a, a);
			rp_merkle_node_hash(rest + j * HLEN, b, b);
		} else
			rp_merkle_node_hash(b, rest + j * HLEN, b);
	}
	for (; j < nrest; j++) {
		rp_merkle_node_hash(rest + j * HLEN, a, a);
		rp_merkle_node_hash(rest + j * HLEN, b, b);
	}
	return hash_eq(a, old) && hash_eq(b, new_root) ? 0 : RP_E_INVAL;
}
