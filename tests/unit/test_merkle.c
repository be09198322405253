/* SPDX-License-Identifier: ISC */
/*
 * test_merkle.c — RFC 6962/9162 hashing, the incremental tree, proof
 * generation from a subtree reader and proof verification (src/alog/
 * merkle.c): the transparency-dev known answers, all 152 shared proof
 * vectors (../shared/testdata/merkle-vectors, or $RENTPORT_SHARED/
 * testdata/merkle-vectors; missing vectors FAIL), and generate-then-verify
 * against an independent recursive model for every 0 <= m <= n < 70 with
 * flipped bits, wrong indexes and wrong sizes.
 */
#include "util/common.h"

#include <dirent.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "alog/b64.h"
#include "alog/merkle.h"
#include "tap.h"

#define H RP_MERKLE_HASH_LEN

static const char *kat_leaves[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

static size_t
unhex(const char *s, uint8_t *out)
{
	size_t i, n = strlen(s) / 2;

	for (i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return 0;
		out[i] = (uint8_t)v;
	}
	return n;
}

static void
tohex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void
sha256_raw(const void *a, size_t an, uint8_t out[H])
{
	unsigned int ol = 0;

	EVP_Digest(a, an, out, &ol, EVP_sha256(), NULL);
}

static void
kat_leaf_hash(int i, uint8_t out[H])
{
	uint8_t d[32];
	size_t n = unhex(kat_leaves[i], d);

	rp_merkle_leaf_hash(d, n, out);
}

/* ---- known answers ---- */

static void
test_kat(void)
{
	static const struct {
		int size;
		const char *root;
	} roots[] = {
		{ 1, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d" },
		{ 7, "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c" },
		{ 8, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328" },
	};
	struct rp_merkle_tree t;
	uint8_t h[H], leaves[8 * H], buf[1 + 8];
	char hex[2 * H + 1];
	size_t i, k;

	ok(rp_merkle_selftest() == 0, "selftest");
	rp_merkle_empty_root(h);
	tohex(h, H, hex);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "empty root");
	rp_merkle_tree_init(&t);
	rp_merkle_tree_root(&t, h);
	tohex(h, H, hex);
	ok(strncmp(hex, "e3b0c442", 8) == 0, "empty tree root is the empty root");

	rp_merkle_leaf_hash("L123456", 7, h);
	tohex(h, H, hex);
	ok(strncmp(hex, "395aa064", 8) == 0 && strcmp(hex + 60, "4d56") == 0,
	    "leaf(\"L123456\") = 395aa064…4d56");
	/* node("N123","N456") is over 4-byte children: check the prefix
	 * scheme independently, then our node hash against it. */
	buf[0] = 0x01;
	memcpy(buf + 1, "N123N456", 8);
	sha256_raw(buf, 9, h);
	tohex(h, H, hex);
	ok(strncmp(hex, "aa217fe8", 8) == 0 && strcmp(hex + 60, "6bbb") == 0,
	    "node(\"N123\",\"N456\") = aa217fe8…6bbb (0x01 prefix)");
	{
		uint8_t l[H], r[H], cat[1 + 2 * H], want[H];

		for (i = 0; i < H; i++)
			l[i] = (uint8_t)i, r[i] = (uint8_t)(0xff - i);
		cat[0] = 1;
		memcpy(cat + 1, l, H);
		memcpy(cat + 1 + H, r, H);
		sha256_raw(cat, sizeof(cat), want);
		rp_merkle_node_hash(l, r, h);
		ok(memcmp(h, want, H) == 0, "node hash = SHA-256(01 ‖ l ‖ r)");
		rp_merkle_node_hash(l, r, l);
		ok(memcmp(l, want, H) == 0, "node hash may alias its input");
		cat[0] = 0;
		sha256_raw(cat, 1 + H, want);
		rp_merkle_leaf_hash(cat + 1, H, h);
		ok(memcmp(h, want, H) == 0, "leaf hash = SHA-256(00 ‖ d)");
	}

	rp_merkle_tree_init(&t);
	for (i = 0; i < 8; i++) {
		kat_leaf_hash((int)i, leaves + i * H);
		ok(rp_merkle_tree_append(&t, leaves + i * H, NULL, NULL) == 0,
		    "append KAT leaf");
		for (k = 0; k < RP_ARRAY_LEN(roots); k++) {
			if ((size_t)roots[k].size != i + 1)
				continue;
			rp_merkle_tree_root(&t, h);
			tohex(h, H, hex);
			is_str(hex, roots[k].root, "KAT root (incremental)");
			rp_merkle_hash_nodes(leaves, i + 1, h);
			tohex(h, H, hex);
			is_str(hex, roots[k].root, "KAT root (hash_nodes)");
		}
	}
}

/* ---- in-memory store of every complete subtree ---- */

#define NMAX 70

struct store {
	uint64_t size;			/* leaves present */
	uint8_t h[8][NMAX][H];		/* [level][index] */
	int reads;
};

static int
store_sink(void *arg, unsigned level, uint64_t index, const uint8_t hash[H])
{
	struct store *s = arg;

	if (level >= 8 || index >= NMAX)
		return RP_E_RANGE;
	memcpy(s->h[level][index], hash, H);
	return 0;
}

/* Reader that also insists on being asked only for complete subtrees. */
static int
store_read(void *arg, unsigned level, uint64_t index, uint8_t out[H])
{
	struct store *s = arg;

	s->reads++;
	if (level >= 8 || index >= (s->size >> level))
		return RP_E_RANGE;
	memcpy(out, s->h[level][index], H);
	return 0;
}

static int
fail_sink(void *arg, unsigned level, uint64_t index, const uint8_t hash[H])
{
	(void)arg;
	(void)index;
	(void)hash;
	return level == 2 ? RP_E_IO : 0;
}

/* ---- independent model: the RFC recursions over leaf hashes ---- */

static uint64_t
kpow(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

static void
mth(const uint8_t (*lv)[H], uint64_t n, uint8_t out[H])
{
	uint8_t a[H], b[H];
	uint64_t k;

	if (n == 0) {
		rp_merkle_empty_root(out);
		return;
	}
	if (n == 1) {
		memcpy(out, lv[0], H);
		return;
	}
	k = kpow(n);
	mth(lv, k, a);
	mth(lv + k, n - k, b);
	rp_merkle_node_hash(a, b, out);
}

static size_t
model_path(uint64_t m, const uint8_t (*lv)[H], uint64_t n, uint8_t *p)
{
	uint64_t k;
	size_t c;

	if (n == 1)
		return 0;
	k = kpow(n);
	if (m < k) {
		c = model_path(m, lv, k, p);
		mth(lv + k, n - k, p + c * H);
	} else {
		c = model_path(m - k, lv + k, n - k, p);
		mth(lv, k, p + c * H);
	}
	return c + 1;
}

static size_t
model_sub(uint64_t m, const uint8_t (*lv)[H], uint64_t n, bool whole,
    uint8_t *p)
{
	uint64_t k;
	size_t c;

	if (m == n) {
		if (whole)
			return 0;
		mth(lv, n, p);
		return 1;
	}
	k = kpow(n);
	if (m <= k) {
		c = model_sub(m, lv, k, whole, p);
		mth(lv + k, n - k, p + c * H);
	} else {
		c = model_sub(m - k, lv + k, n - k, false, p);
		mth(lv, k, p + c * H);
	}
	return c + 1;
}

#define NEG(what) do {						\
	fails++;							\
	diag("%s accepted: m/i=%" PRIu64 " n=%" PRIu64, (what),	\
	    (uint64_t)(m + i), (uint64_t)n);				\
} while (0)

static void
test_generate_verify(void)
{
	static struct store st;
	static uint8_t lv[NMAX][H];
	uint8_t proof[RP_MERKLE_MAX_PROOF * H], want[RP_MERKLE_MAX_PROOF * H];
	uint8_t root[NMAX + 1][H], r2[H], bad[RP_MERKLE_MAX_PROOF * H];
	struct rp_merkle_tree t, t2;
	size_t plen, wlen, j;
	uint64_t m = 0, n, i = 0;
	int bit;
	int fails = 0, checks = 0, neg = 0;
	char data[16];

	memset(&st, 0, sizeof(st));
	rp_merkle_tree_init(&t);
	for (i = 0; i < NMAX; i++) {
		int dl = snprintf(data, sizeof(data), "entry %" PRIu64, i);

		rp_merkle_leaf_hash(data, (size_t)dl, lv[i]);
		if (rp_merkle_tree_append(&t, lv[i], store_sink, &st) != 0)
			fails++;
		st.size = t.size;
		rp_merkle_tree_root(&t, root[i + 1]);
		mth((const uint8_t (*)[H])lv, i + 1, r2);
		if (memcmp(r2, root[i + 1], H) != 0)
			fails++;
		/* Resuming from stored hashes gives the same state. */
		if (rp_merkle_tree_load(&t2, t.size, store_read, &st) != 0 ||
		    t2.size != t.size)
			fails++;
		rp_merkle_tree_root(&t2, r2);
		if (memcmp(r2, root[i + 1], H) != 0)
			fails++;
	}
	rp_merkle_empty_root(root[0]);
	ok(fails == 0, "incremental roots = recursive MTH; load resumes, sizes 1..69");

	/* Sink reports are the real subtree hashes. */
	fails = 0;
	for (j = 0; j < 7; j++)
		for (i = 0; i < (uint64_t)(NMAX >> j); i++) {
			mth((const uint8_t (*)[H])lv + (i << j), (uint64_t)1 << j, r2);
			if (memcmp(r2, st.h[j][i], H) != 0)
				fails++;
		}
	ok(fails == 0, "sink reports every completed subtree with its hash");

	fails = 0;
	for (n = 0; n < NMAX; n++) {
		st.size = n;
		if (rp_merkle_root_at(store_read, &st, n, r2) != 0 ||
		    memcmp(r2, root[n], H) != 0)
			fails++;
	}
	ok(fails == 0, "root_at(n) from the reader, n = 0..69");
	st.size = NMAX;

	/* Inclusion, every leaf of every size. */
	fails = 0;
	for (n = 1; n < NMAX; n++) {
		st.size = n;
		for (i = 0; i < n; i++) {
			checks++;
			if (rp_merkle_prove_inclusion(store_read, &st, i, n, proof,
			    &plen) != 0) {
				fails++;
				continue;
			}
			wlen = model_path(i, (const uint8_t (*)[H])lv, n, want);
			if (plen != wlen || memcmp(proof, want, plen * H) != 0)
				fails++;
			if (rp_merkle_verify_inclusion(i, n, lv[i], proof, plen,
			    root[n]) != 0)
				fails++;
			/* Negative: every bit of every element... sampled per byte. */
			for (j = 0; j < plen * H; j++) {
				bit = (int)(j % 8);
				memcpy(bad, proof, plen * H);
				bad[j] ^= (uint8_t)(1 << bit);
				neg++;
				if (rp_merkle_verify_inclusion(i, n, lv[i], bad,
				    plen, root[n]) == 0)
					fails++;
			}
			if (plen > 0 && rp_merkle_verify_inclusion(i, n, lv[i],
			    proof, plen - 1, root[n]) == 0)
				fails++;
			memcpy(bad, proof, plen * H);
			memcpy(bad + plen * H, lv[i], H);
			if (rp_merkle_verify_inclusion(i, n, lv[i], bad,
			    plen + 1, root[n]) == 0)
				fails++;
			/* Wrong index, wrong size (paired with that size's own
			 * root), wrong root, wrong leaf. */
			if (n > 1 && rp_merkle_verify_inclusion((i ^ 1) < n ?
			    i ^ 1 : i - 1, n, lv[i], proof, plen, root[n]) == 0)
				NEG("inclusion wrong index");
			if (n + 1 < NMAX && rp_merkle_verify_inclusion(i, n + 1,
			    lv[i], proof, plen, root[n + 1]) == 0)
				NEG("inclusion size n+1");
			if (i < n - 1 && rp_merkle_verify_inclusion(i, n - 1,
			    lv[i], proof, plen, root[n - 1]) == 0)
				NEG("inclusion size n-1");
			if (rp_merkle_verify_inclusion(i, n, lv[i], proof, plen,
			    root[n - 1]) == 0)
				NEG("inclusion wrong root");
			if (n > 1 && rp_merkle_verify_inclusion(i, n,
			    lv[(i + 1) % n], proof, plen, root[n]) == 0)
				NEG("inclusion wrong leaf");
			if (rp_merkle_verify_inclusion(n, n, lv[i], proof, plen,
			    root[n]) == 0)
				NEG("inclusion i == n");
		}
	}
	ok(fails == 0, "inclusion: generate = model, verifies, every mutation fails");
	diag("%d inclusion proofs, %d flipped-bit mutations", checks, neg);

	/* Consistency, every 0 <= m <= n < 70. */
	fails = 0;
	checks = neg = 0;
	i = 0;
	for (n = 0; n < NMAX; n++) {
		st.size = n;
		for (m = 0; m <= n; m++) {
			checks++;
			if (rp_merkle_prove_consistency(store_read, &st, m, n,
			    proof, &plen) != 0) {
				fails++;
				continue;
			}
			wlen = m == 0 || m == n ? 0 :
			    model_sub(m, (const uint8_t (*)[H])lv, n, true, want);
			if (plen != wlen || memcmp(proof, want, plen * H) != 0)
				fails++;
			if (rp_merkle_verify_consistency(m, n, root[m], root[n],
			    proof, plen) != 0)
				fails++;
			for (j = 0; j < plen * H; j++) {
				memcpy(bad, proof, plen * H);
				bad[j] ^= (uint8_t)(1 << (j % 8));
				neg++;
				if (rp_merkle_verify_consistency(m, n, root[m],
				    root[n], bad, plen) == 0)
					fails++;
			}
			if (plen > 0 && rp_merkle_verify_consistency(m, n,
			    root[m], root[n], proof, plen - 1) == 0)
				fails++;
			memcpy(bad, proof, plen * H);
			memcpy(bad + plen * H, root[m], H);
			if (rp_merkle_verify_consistency(m, n, root[m], root[n],
			    bad, plen + 1) == 0)
				fails++;
			if (m != n && rp_merkle_verify_consistency(m, n,
			    root[n], root[m], proof, plen) == 0)
				NEG("consistency swapped roots");
			if (m > 1 && rp_merkle_verify_consistency(m - 1, n,
			    root[m - 1], root[n], proof, plen) == 0)
				NEG("consistency m-1");
			if (m > 0 && n + 1 < NMAX &&
			    rp_merkle_verify_consistency(m, n + 1,
			    root[m], root[n + 1], proof, plen) == 0)
				NEG("consistency n+1");
			if (m + 1 < n && rp_merkle_verify_consistency(m + 1, n,
			    root[m + 1], root[n], proof, plen) == 0)
				NEG("consistency m+1");
			if (m < n && rp_merkle_verify_consistency(n, m,
			    root[n], root[m], proof, plen) == 0)
				NEG("consistency m > n");
			if (m > 0 && m < n && rp_merkle_verify_consistency(m,
			    n, root[m - 1], root[n], proof, plen) == 0)
				NEG("consistency wrong old root");
			/* (Any root extends the empty tree: m > 0.) */
			if (m > 0 && m < n && rp_merkle_verify_consistency(m,
			    n, root[m], root[n - 1], proof, plen) == 0)
				NEG("consistency wrong new root");
		}
	}
	ok(fails == 0, "consistency: generate = model, verifies, every mutation fails");
	diag("%d consistency proofs, %d flipped-bit mutations", checks, neg);

	ok(rp_merkle_prove_inclusion(store_read, &st, 5, 5, proof, &plen) ==
	    RP_E_RANGE && plen == 0, "prove_inclusion i == n: RP_E_RANGE");
	ok(rp_merkle_prove_consistency(store_read, &st, 6, 5, proof, &plen) ==
	    RP_E_RANGE, "prove_consistency m > n: RP_E_RANGE");
	st.size = 4;	/* the reader now refuses subtrees past leaf 4 */
	ok(rp_merkle_prove_inclusion(store_read, &st, 1, 9, proof, &plen) ==
	    RP_E_RANGE && plen == 0, "reader error passes through");
	ok(rp_merkle_tree_load(&t2, 9, store_read, &st) == RP_E_RANGE &&
	    t2.size == 0, "failed load leaves the empty tree");
}

static void
test_edges(void)
{
	struct rp_merkle_tree t;
	uint8_t h[H], z[H], p[3 * H];
	int r;

	memset(z, 0, H);
	memset(p, 0, sizeof(p));
	rp_merkle_empty_root(h);
	ok(rp_merkle_verify_consistency(0, 0, h, h, NULL, 0) == 0,
	    "0 -> 0 with empty roots");
	ok(rp_merkle_verify_consistency(0, 5, h, z, NULL, 0) == 0,
	    "0 -> n with the empty root and no proof");
	ok(rp_merkle_verify_consistency(0, 5, z, z, NULL, 0) != 0,
	    "0 -> n with a non-empty old root fails");
	ok(rp_merkle_verify_consistency(0, 5, h, z, p, 1) != 0,
	    "0 -> n with a proof fails");
	ok(rp_merkle_verify_consistency(7, 7, z, z, NULL, 0) == 0,
	    "n -> n equal roots");
	ok(rp_merkle_verify_consistency(7, 7, z, h, NULL, 0) != 0,
	    "n -> n different roots");
	ok(rp_merkle_verify_consistency(7, 7, z, z, p, 1) != 0,
	    "n -> n with a proof");
	ok(rp_merkle_verify_consistency(3, 7, z, z, NULL, 0) != 0,
	    "m < n with an empty proof");
	ok(rp_merkle_verify_inclusion(0, 0, z, NULL, 0, z) != 0, "i = n = 0");
	ok(rp_merkle_verify_inclusion(0, 1, z, NULL, 0, z) == 0,
	    "size 1: leaf is the root");
	/* Extreme sizes: no shift past 63, no overflow, just a failure. */
	ok(rp_merkle_verify_inclusion(UINT64_MAX - 1, UINT64_MAX, z, p, 3, z)
	    != 0, "i near 2^64 with a short proof fails");
	ok(rp_merkle_verify_inclusion(0, UINT64_MAX, z, p, 3, z) != 0,
	    "n = 2^64-1 fails cleanly");
	ok(rp_merkle_verify_consistency((uint64_t)1 << 63, UINT64_MAX, z, z,
	    p, 3) != 0, "m = 2^63, n = 2^64-1 fails cleanly");
	ok(rp_merkle_verify_consistency(UINT64_MAX - 1, UINT64_MAX, z, z, p, 3)
	    != 0, "m = 2^64-2 fails cleanly");

	/* Full tree refuses more; a failing sink leaves the tree unchanged. */
	rp_merkle_tree_init(&t);
	t.size = UINT64_MAX;
	ok(rp_merkle_tree_append(&t, z, NULL, NULL) == RP_E_OVERFLOW,
	    "append to a full tree: RP_E_OVERFLOW");
	rp_merkle_tree_init(&t);
	for (r = 0; r < 3; r++)
		if (rp_merkle_tree_append(&t, z, fail_sink, NULL) != 0)
			break;
	ok(r == 3 && t.size == 3, "sink that passes keeps appending");
	{
		struct rp_merkle_tree before = t;

		ok(rp_merkle_tree_append(&t, h, fail_sink, NULL) == RP_E_IO,
		    "sink error is returned (4th leaf completes a level-2 subtree)");
		ok(memcmp(&before, &t, sizeof(t)) == 0,
		    "failed append leaves the tree unchanged");
	}
}

/* ---- shared vectors ---- */

static int
b64(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	return rp_b64_decode(rp_str_c(s), out, cap, n);
}

/* Decodes a JSON base64 hash; false unless exactly 32 bytes. */
static bool
jhash(json_t *o, const char *key, uint8_t out[H])
{
	json_t *v = json_object_get(o, key);
	uint8_t tmp[64];
	size_t n;

	if (!json_is_string(v) || b64(json_string_value(v), tmp, sizeof(tmp),
	    &n) != 0 || n != H)
		return false;
	memcpy(out, tmp, H);
	return true;
}

/* The proof array, flattened; false if any element is not 32 bytes. */
static bool
jproof(json_t *o, uint8_t *out, size_t *n)
{
	json_t *a = json_object_get(o, "proof"), *e;
	size_t i;

	*n = 0;
	if (a == NULL || json_is_null(a))
		return true;
	if (!json_is_array(a) || json_array_size(a) > RP_MERKLE_MAX_PROOF)
		return false;
	json_array_foreach(a, i, e) {
		uint8_t tmp[64];
		size_t l;

		if (!json_is_string(e) || b64(json_string_value(e), tmp,
		    sizeof(tmp), &l) != 0 || l != H)
			return false;
		memcpy(out + i * H, tmp, H);
	}
	*n = json_array_size(a);
	return true;
}

/*
 * jansson stops at INT64_MAX, but the vectors hold sizes up to 2^64-1: the
 * file is loaded with every bare number turned into a string first.
 */
static json_t *
load_json(const char *path, json_error_t *jerr)
{
	FILE *f = fopen(path, "rb");
	char *in = NULL, *out = NULL;
	size_t n = 0, i, o = 0;
	bool instr = false;
	long len;
	json_t *j = NULL;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto out;
	n = (size_t)len;
	if ((in = malloc(n + 1)) == NULL || (out = malloc(3 * n + 1)) == NULL ||
	    fread(in, 1, n, f) != n)
		goto out;
	for (i = 0; i < n; i++) {
		if (in[i] == '"' && (i == 0 || in[i - 1] != '\\'))
			instr = !instr;
		if (!instr && (in[i] == '-' || (in[i] >= '0' && in[i] <= '9'))) {
			out[o++] = '"';
			while (i < n && (in[i] == '-' || (in[i] >= '0' &&
			    in[i] <= '9')))
				out[o++] = in[i++];
			out[o++] = '"';
			i--;
			continue;
		}
		out[o++] = in[i];
	}
	j = json_loadb(out, o, 0, jerr);
 out:
	if (f != NULL)
		fclose(f);
	free(in);
	free(out);
	return j;
}

/* A number field (quoted by load_json) as uint64; false if negative/bad. */
static bool
ju64(json_t *o, const char *key, uint64_t *v)
{
	json_t *j = json_object_get(o, key);

	*v = 0;
	return json_is_string(j) && rp_str_to_u64(rp_str_c(json_string_value(j)),
	    UINT64_MAX, v) == 0;
}

static int
run_vector(const char *path, bool incl, int *happy)
{
	uint8_t proof[RP_MERKLE_MAX_PROOF * H], a[H], b[H];
	json_error_t jerr;
	json_t *o, *we;
	size_t plen;
	bool want_err, okv;
	int bad = 0;

	if ((o = load_json(path, &jerr)) == NULL) {
		diag("%s: %s", path, jerr.text);
		return 1;
	}
	we = json_object_get(o, "wantErr");
	if (!json_is_boolean(we)) {
		diag("%s: no wantErr", path);
		json_decref(o);
		return 1;
	}
	want_err = json_is_true(we);
	if (incl) {
		uint64_t vi, vn;

		okv = ju64(o, "leafIdx", &vi) && ju64(o, "treeSize", &vn) &&
		    jhash(o, "leafHash", a) && jhash(o, "root", b) &&
		    jproof(o, proof, &plen) &&
		    rp_merkle_verify_inclusion(vi, vn, a, proof, plen, b) == 0;
		if (!want_err) {
			/* Rebuild the happy path's root from the leaf data. */
			uint8_t lh[8 * H], r[H];
			int k, n = (int)vn;

			for (k = 0; k < 8; k++)
				kat_leaf_hash(k, lh + k * H);
			rp_merkle_hash_nodes(lh, (size_t)(n > 8 ? 8 : n), r);
			if (n < 1 || n > 8 || memcmp(r, b, H) != 0 ||
			    vi >= 8 || memcmp(lh + vi * H, a, H) != 0)
				bad = 1;
			(*happy)++;
		}
	} else {
		uint64_t v1, v2;

		okv = ju64(o, "size1", &v1) && ju64(o, "size2", &v2) &&
		    jhash(o, "root1", a) && jhash(o, "root2", b) &&
		    jproof(o, proof, &plen) &&
		    rp_merkle_verify_consistency(v1, v2, a, b, proof, plen) == 0;
		if (!want_err) {
			uint8_t lh[8 * H], r[H];
			int k, n1 = (int)v1, n2 = (int)v2;

			for (k = 0; k < 8; k++)
				kat_leaf_hash(k, lh + k * H);
			if (n1 > 8 || n2 > 8)
				bad = 1;
			rp_merkle_hash_nodes(lh, (size_t)(n1 > 8 ? 8 : n1), r);
			if (memcmp(r, a, H) != 0)
				bad = 1;
			rp_merkle_hash_nodes(lh, (size_t)(n2 > 8 ? 8 : n2), r);
			if (memcmp(r, b, H) != 0)
				bad = 1;
			(*happy)++;
		}
	}
	if (okv == want_err) {
		json_t *d = json_object_get(o, "desc");

		diag("%s (%s): verified=%d wantErr=%d", path,
		    json_is_string(d) ? json_string_value(d) : "?", okv, want_err);
		bad = 1;
	}
	json_decref(o);
	return bad;
}

static void
walk(const char *dir, bool incl, int *count, int *bad, int *happy)
{
	DIR *d;
	struct dirent *de;
	char p[4096];
	struct stat st;

	if ((d = opendir(dir)) == NULL) {
		diag("cannot open %s", dir);
		(*bad)++;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (stat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			walk(p, incl, count, bad, happy);
		else if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0) {
			(*count)++;
			*bad += run_vector(p, incl, happy);
		}
	}
	closedir(d);
}

static void
test_vectors(void)
{
	const char *env = getenv("RENTPORT_SHARED");
	char base[2048], sub[2100];
	int count = 0, bad = 0, happy = 0, ci, cc;

	if (env != NULL && *env != '\0')
		snprintf(base, sizeof(base), "%s/testdata/merkle-vectors", env);
	else
		snprintf(base, sizeof(base), "../shared/testdata/merkle-vectors");
	diag("vectors from %s", base);
	snprintf(sub, sizeof(sub), "%s/inclusion", base);
	walk(sub, true, &count, &bad, &happy);
	ci = count;
	snprintf(sub, sizeof(sub), "%s/consistency", base);
	walk(sub, false, &count, &bad, &happy);
	cc = count - ci;
	is_int(ci, 69, "69 inclusion vector files");
	is_int(cc, 83, "83 consistency vector files");
	is_int(count, 152, "152 vector files in all (missing directory fails)");
	is_int(happy, 8, "8 happy paths, their roots rebuilt from leaf data");
	is_int(bad, 0, "every vector: verified == !wantErr");
}

int
main(void)
{
	test_kat();
	test_edges();
	test_generate_verify();
	test_vectors();
	return tap_done();
}
