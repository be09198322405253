/* SPDX-License-Identifier: ISC */
/*
 * test_note.c — signed notes, verifier keys, checkpoints and cosignatures
 * (src/alog/note.c, b64.c): RFC 4648 and RFC 8032 §7.1 known answers, the
 * reference's worked checkpoint example reproduced byte for byte, every
 * single-byte flip of it refused, key rotation (unknown keys ignored), a
 * failing known key rejected, and the parsers' strictness.
 */
#include "util/common.h"

#include <sodium.h>

#include "alog/b64.h"
#include "alog/merkle.h"
#include "alog/note.h"
#include "tap.h"

static const char log_name[] = "rentport.example/vault-access/v1";
static const char wit_name[] = "witness.example.org/w1";
static const char log_vkey[] = "rentport.example/vault-access/v1+e2a44689+"
    "AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";
static const char wit_vkey[] = "witness.example.org/w1+2ce32234+"
    "BD1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM";
static const char cp_text[] = "rentport.example/vault-access/v1\n8\n"
    "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
static const char log_line[] = "\xe2\x80\x94 rentport.example/vault-access/v1 "
    "4qRGiSTYRv7RTRcbFZpyNfkBP5351HsQQPKMO5mZTFnUiOWxoV2vtIpJ/hGERsujKD3XP0GFRHhWeHUT7TpPvh7QKAc=\n";
static const char wit_line[] = "\xe2\x80\x94 witness.example.org/w1 "
    "LOMiNAAAAABlU/EAEsYqWq6qwiwIXs7A7H/0SAXL6kb5Yq7C1q62ojj8GFpPXvhlSE4NOcF9upK3RZXjpwsafvRLX7Ie3K/qXu1QDw==\n";

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
test_b64(void)
{
	static const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==",
	    "Zm9vYmE=", "Zm9vYmFy" };
	static const char *bad[] = { "Zg=", "Zh==", "Zm9=", "Zg", "Z===",
	    "====", "Zg==Zg==", " Zg=", "Zg==\n", "Zm 9", "Zm9v\r\n", "Zm-_",
	    "Z=g=", "Zm8=\0", "Zm8==" };
	struct rp_buf b;
	uint8_t out[16];
	size_t i, n;
	int fails = 0;

	rp_buf_init(&b, 64);
	for (i = 0; i < RP_ARRAY_LEN(plain); i++) {
		rp_buf_reset(&b);
		if (rp_b64_encode(plain[i], strlen(plain[i]), &b) != 0 ||
		    strcmp(b.d ? b.d : "", enc[i]) != 0)
			fails++;
		if (rp_b64_decode(rp_str_c(enc[i]), out, sizeof(out), &n) != 0 ||
		    n != strlen(plain[i]) || memcmp(out, plain[i], n) != 0)
			fails++;
		if (rp_b64_encoded_len(strlen(plain[i])) != strlen(enc[i]))
			fails++;
	}
	ok(fails == 0, "RFC 4648 §10 vectors encode and decode");
	fails = 0;
	for (i = 0; i < RP_ARRAY_LEN(bad); i++)
		if (rp_b64_decode((struct rp_str){ bad[i], strlen(bad[i]) +
		    (i == 13) }, out, sizeof(out), &n) == 0 || n != 0) {
			diag("accepted \"%s\"", bad[i]);
			fails++;
		}
	ok(fails == 0, "non-canonical base64 refused (padding, bits, spaces)");
	ok(rp_b64_decode(rp_str_c("Zm9vYmFy"), out, 5, &n) == RP_E_TOOBIG &&
	    n == 0, "decode past cap: RP_E_TOOBIG");
	rp_buf_release(&b);
}

/* RFC 8032 §7.1 TEST 1 and TEST 2 through libsodium (the signer's engine). */
static void
test_rfc8032(void)
{
	static const struct {
		const char *sk, *pk, *msg, *sig;
	} v[] = {
		{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		  "",
		  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
		  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
		{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
		  "72",
		  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
		  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	};
	uint8_t seed[32], pk[32], wantpk[32], sk[64], msg[4], sig[64], want[64];
	size_t i, mlen;

	ok(sodium_init() >= 0, "sodium_init");
	for (i = 0; i < RP_ARRAY_LEN(v); i++) {
		unhex(v[i].sk, seed);
		unhex(v[i].pk, wantpk);
		mlen = unhex(v[i].msg, msg);
		unhex(v[i].sig, want);
		ok(crypto_sign_seed_keypair(pk, sk, seed) == 0 &&
		    memcmp(pk, wantpk, 32) == 0, "RFC 8032 public key");
		ok(crypto_sign_detached(sig, NULL, msg, mlen, sk) == 0 &&
		    memcmp(sig, want, 64) == 0, "RFC 8032 signature");
		ok(crypto_sign_verify_detached(want, msg, mlen, pk) == 0,
		    "RFC 8032 signature verifies");
		want[0] ^= 1;
		ok(crypto_sign_verify_detached(want, msg, mlen, pk) != 0,
		    "RFC 8032 flipped signature fails");
		sodium_memzero(sk, sizeof(sk));
	}
}

struct fixture {
	struct rp_note_signer *log, *wit;
	struct rp_note_verifier keys[2];
	char note[1024];	/* the complete worked example */
	size_t note_len;
};

static void
test_worked_example(struct fixture *fx)
{
	static const char *leaves[8] = { "", "00", "10", "2021", "3031",
	    "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f" };
	uint8_t seed[32], root[32], d[16];
	struct rp_merkle_tree t;
	struct rp_buf b, text;
	const struct rp_note_signer *signers[1];
	struct rp_note n;
	struct rp_note_result res[2];
	struct rp_checkpoint cp;
	size_t i;

	rp_merkle_tree_init(&t);
	for (i = 0; i < 8; i++) {
		size_t dl = unhex(leaves[i], d);

		rp_merkle_leaf_hash(d, dl, root);
		ok(rp_merkle_tree_append(&t, root, NULL, NULL) == 0, "append");
	}
	rp_merkle_tree_root(&t, root);

	unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", seed);
	ok(rp_note_signer_new(rp_str_c(log_name), RP_NOTE_ALG_ED25519, seed,
	    &fx->log) == 0, "log signer from RFC 8032 TEST 1");
	unhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", seed);
	ok(rp_note_signer_new(rp_str_c(wit_name), RP_NOTE_ALG_COSIG_V1, seed,
	    &fx->wit) == 0, "witness signer from RFC 8032 TEST 2");
	sodium_memzero(seed, sizeof(seed));
	if (fx->log == NULL || fx->wit == NULL)
		return;

	rp_buf_init(&b, 4096);
	ok(rp_note_verifier_format(rp_note_signer_verifier(fx->log), &b) == 0,
	    "format log vkey");
	is_str(b.d, log_vkey, "log verifier key string");
	rp_buf_reset(&b);
	ok(rp_note_verifier_format(rp_note_signer_verifier(fx->wit), &b) == 0,
	    "format witness vkey");
	is_str(b.d, wit_vkey, "witness verifier key string");
	ok(rp_note_signer_verifier(fx->log)->id == 0xe2a44689u, "log key id");

	rp_buf_init(&text, 4096);
	ok(rp_checkpoint_format(rp_str_c(log_name), 8, root, RP_STR_NULL,
	    &text) == 0, "format checkpoint");
	is_str(text.d, cp_text, "checkpoint text");

	rp_buf_reset(&b);
	signers[0] = fx->log;
	ok(rp_note_sign(rp_buf_str(&text), signers, 1, &b) == 0, "sign note");
	ok(b.len == strlen(cp_text) + 1 + strlen(log_line) &&
	    memcmp(b.d + strlen(cp_text) + 1, log_line, strlen(log_line)) == 0,
	    "log signature line matches the reference byte for byte");
	ok(rp_note_cosign_line(fx->wit, rp_buf_str(&text), 1700000000, &b) == 0,
	    "cosign at 1700000000");
	is_str(b.d + strlen(cp_text) + 1 + strlen(log_line), wit_line,
	    "cosignature line matches the reference byte for byte");
	ok(b.len < sizeof(fx->note), "fits");
	memcpy(fx->note, b.d, b.len);
	fx->note_len = b.len;

	ok(rp_note_sign_line(fx->wit, rp_buf_str(&text), &b) == RP_E_INVAL,
	    "a cosigner key does not sign plain notes");
	ok(rp_note_cosign_line(fx->log, rp_buf_str(&text), 1, &b) == RP_E_INVAL,
	    "a log key does not cosign");
	ok(rp_note_sign(rp_str_c("no newline"), signers, 1, &b) == RP_E_INVAL,
	    "text without final newline is not signed");
	ok(rp_note_sign(rp_str_c("tab\there\n"), signers, 1, &b) == RP_E_INVAL,
	    "text with a control character is not signed");

	/* Parse and verify the whole example. */
	ok(rp_note_verifier_parse(rp_str_c(log_vkey), &fx->keys[0]) == 0,
	    "parse log vkey");
	ok(rp_note_verifier_parse(rp_str_c(wit_vkey), &fx->keys[1]) == 0,
	    "parse witness vkey");
	ok(memcmp(fx->keys[0].pub, rp_note_signer_verifier(fx->log)->pub, 32)
	    == 0 && fx->keys[1].alg == RP_NOTE_ALG_COSIG_V1,
	    "parsed keys equal the signers' keys");
	ok(rp_note_parse((struct rp_str){ fx->note, fx->note_len }, &n) == 0,
	    "parse the worked example");
	ok(n.nsigs == 2 && rp_str_eq_c(n.text, cp_text) &&
	    rp_str_eq_c(n.sigs[1].name, wit_name) && n.sigs[0].id == 0xe2a44689u &&
	    n.sigs[0].sig_len == 64 && n.sigs[1].sig_len == 72,
	    "parsed note fields");
	ok(rp_note_verify(&n, fx->keys, 2, res) == 0 && res[0].verified &&
	    res[1].verified && res[1].time == 1700000000, "both signatures verify");
	ok(rp_checkpoint_open((struct rp_str){ fx->note, fx->note_len },
	    rp_str_c(log_name), fx->keys, 1, &n, &cp, NULL) == 0 &&
	    cp.size == 8 && memcmp(cp.root, root, 32) == 0 &&
	    rp_str_eq_c(cp.origin, log_name) && cp.ext.n == 0,
	    "checkpoint_open with the log key");
	ok(rp_checkpoint_open((struct rp_str){ fx->note, fx->note_len },
	    rp_str_c("other.example/log"), fx->keys, 1, &n, &cp, NULL) ==
	    RP_E_INVAL && cp.size == 0, "checkpoint_open: wrong origin refused");
	rp_buf_release(&b);
	rp_buf_release(&text);
}

static void
test_flips(const struct fixture *fx)
{
	static struct rp_note n;
	struct rp_note_result res[2];
	char m[1024];
	size_t i, text_end = strlen(cp_text) + 1 + strlen(log_line);
	int bit, fails = 0, tried = 0;

	/*
	 * Any single flipped bit: in the text (or the blank line) nothing
	 * verifies; in the log's line the log key no longer verifies (a flipped
	 * name makes the line an unknown key, ignored); in the cosignature line
	 * the witness no longer verifies.
	 */
	for (i = 0; i < fx->note_len; i++)
		for (bit = 0; bit < 8; bit++) {
			int r;
			bool bad;

			memcpy(m, fx->note, fx->note_len);
			m[i] ^= (char)(1 << bit);
			tried++;
			if (rp_note_parse((struct rp_str){ m, fx->note_len }, &n) != 0)
				continue;
			r = rp_note_verify(&n, fx->keys, 2, res);
			if (i <= strlen(cp_text))
				bad = r == 0;
			else if (i < text_end)
				bad = r == 0 && res[0].verified;
			else
				bad = r == 0 && res[1].verified;
			if (bad) {
				diag("flip byte %zu bit %d accepted", i, bit);
				fails++;
			}
		}
	ok(fails == 0, "every single-bit flip of the note is refused");
	diag("%d flipped notes", tried);
}

static void
test_keys_and_rotation(const struct fixture *fx)
{
	static struct rp_note n;
	struct rp_note_signer *other = NULL, *impostor = NULL;
	struct rp_note_verifier v;
	struct rp_note_result res[2];
	const struct rp_note_signer *signers[2];
	struct rp_buf b, t2;
	uint8_t seed[32];
	char cp2[256];

	memset(seed, 7, sizeof(seed));
	ok(rp_note_signer_new(rp_str_c("other.example/key"), RP_NOTE_ALG_ED25519,
	    seed, &other) == 0, "second signer");
	memset(seed, 9, sizeof(seed));
	/* Same name as the log, different key: its id differs. */
	ok(rp_note_signer_new(rp_str_c(log_name), RP_NOTE_ALG_ED25519, seed,
	    &impostor) == 0, "impostor signer with the log's name");
	if (other == NULL || impostor == NULL)
		goto out;
	rp_buf_init(&b, 8192);
	rp_buf_init(&t2, 8192);

	/* Unknown key first, then the known one: unknown ignored. */
	signers[0] = other;
	signers[1] = fx->log;
	ok(rp_note_sign(rp_str_c(cp_text), signers, 2, &b) == 0, "sign by two");
	ok(rp_note_parse(rp_buf_str(&b), &n) == 0 && n.nsigs == 2, "parse");
	ok(rp_note_verify(&n, fx->keys, 2, res) == 0 && res[0].verified &&
	    !res[1].verified, "unknown key ignored, log key verifies");
	ok(rp_note_verify(&n, &fx->keys[1], 1, NULL) == RP_E_NOTFOUND,
	    "no known key signed: RP_E_NOTFOUND");
	/* An impostor with the same name but another id is just unknown. */
	rp_buf_reset(&b);
	signers[0] = impostor;
	ok(rp_note_sign(rp_str_c(cp_text), signers, 2, &b) == 0 &&
	    rp_note_parse(rp_buf_str(&b), &n) == 0 &&
	    rp_note_verify(&n, fx->keys, 1, NULL) == 0,
	    "same name, other id: ignored");

	/* A known key's line carrying another text's signature: rejected. */
	snprintf(cp2, sizeof(cp2), "%s", cp_text);
	cp2[strlen(log_name) + 1] = '9';		/* size 9 */
	signers[0] = fx->log;
	ok(rp_note_sign(rp_str_c(cp2), signers, 1, &t2) == 0, "sign other text");
	rp_buf_reset(&b);
	rp_buf_add_c(&b, cp_text);
	rp_buf_add_c(&b, "\n");
	rp_buf_add_c(&b, t2.d + strlen(cp2) + 1);	/* its log line */
	rp_buf_add_c(&b, wit_line);
	ok(rp_note_parse(rp_buf_str(&b), &n) == 0, "spliced note parses");
	ok(rp_note_verify(&n, fx->keys, 2, res) == RP_E_DENIED &&
	    !res[0].verified && !res[1].verified,
	    "known key failing: RP_E_DENIED even though the witness verifies");
	ok(rp_note_verify(&n, &fx->keys[1], 1, NULL) == 0,
	    "the same note checked only for the witness verifies");
	/* A duplicated good line is ignored after the first. */
	rp_buf_reset(&b);
	rp_buf_add_c(&b, cp_text);
	rp_buf_add_c(&b, "\n");
	rp_buf_add_c(&b, log_line);
	rp_buf_add_c(&b, log_line);
	ok(rp_note_parse(rp_buf_str(&b), &n) == 0 &&
	    rp_note_verify(&n, fx->keys, 1, NULL) == 0, "duplicate line ignored");

	/* Verifier key strings. */
	ok(rp_note_verifier_parse(rp_str_c("example.com/foo+530d903a+"
	    "AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"), &v) == 0 &&
	    v.id == 0x530d903au && v.alg == 1, "spec example verifier key");
	ok(rp_note_verifier_parse(rp_str_c("example.com/foo+530d903b+"
	    "AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"), &v) != 0 &&
	    v.name_len == 0, "wrong key id refused");
	ok(rp_note_verifier_parse(rp_str_c("example.com/foo+530D903A+"
	    "AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"), &v) != 0,
	    "uppercase hex refused");
	ok(rp_note_verifier_parse(rp_str_c("example.com/foo+530d903a+"
	    "AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2"), &v) != 0,
	    "truncated key refused");
	ok(rp_note_verifier_parse(rp_str_c("example.com/foo+530d903a"), &v) != 0,
	    "missing key data refused");
	ok(rp_note_verifier_parse(rp_str_c("exa mple+530d903a+"
	    "AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"), &v) != 0,
	    "name with a space refused");
	{
		/* alg 0x02 with a correct id for it: unknown algorithm. */
		uint8_t pub[32], raw[33];
		char s[200];
		struct rp_buf kb;

		memset(pub, 1, sizeof(pub));
		raw[0] = 2;
		memcpy(raw + 1, pub, 32);
		rp_buf_init(&kb, 200);
		rp_b64_encode(raw, 33, &kb);
		snprintf(s, sizeof(s), "a.example+%08" PRIx32 "+%s",
		    rp_note_key_id(rp_str_c("a.example"), 2, pub), kb.d);
		ok(rp_note_verifier_parse(rp_str_c(s), &v) != 0,
		    "unknown algorithm 0x02 refused");
		rp_buf_release(&kb);
	}
	rp_buf_release(&b);
	rp_buf_release(&t2);
 out:
	rp_note_signer_free(other);
	rp_note_signer_free(impostor);
}

static void
test_parse_strict(void)
{
	static struct rp_note n;
	static const char *bad[] = {
		"",					/* empty */
		"text\n",				/* no blank line */
		"text\n\n",				/* no signatures */
		"text\n\n\xe2\x80\x94 k AAAAAA==\n",	/* sig < 5 bytes */
		"text\n\n\xe2\x80\x94 k AAAAAAB=\n",	/* 5 bytes but non-canonical */
		"text\n\n\xe2\x80\x94 k AAAAAAAA",	/* no final newline */
		"text\n\n- k AAAAAAAAAAAA\n",		/* hyphen, not em dash */
		"text\n\n\xe2\x80\x94k AAAAAAAAAAAA\n",	/* no space after dash */
		"text\n\n\xe2\x80\x94  k AAAAAAAAAAAA\n",	/* empty name */
		"text\n\n\xe2\x80\x94 a+b AAAAAAAAAAAA\n",	/* '+' in name */
		"text\n\n\xe2\x80\x94 a\xe3\x80\x80" "b AAAAAAAAAAAA\n", /* U+3000 */
		"text\n\n\xe2\x80\x94 k AAAAAAAAAAAA \n",	/* trailing space */
		"text\n\n\xe2\x80\x94 k AAAAAAAAAAAA\n\n",	/* blank line at end */
		"te\txt\n\n\xe2\x80\x94 k AAAAAAAAAAAA\n",	/* tab */
		"text\r\n\n\xe2\x80\x94 k AAAAAAAAAAAA\n",	/* CR */
		"te\xc2\x85xt\n\n\xe2\x80\x94 k AAAAAAAAAAAA\n", /* C1 NEL */
		"te\xffxt\n\n\xe2\x80\x94 k AAAAAAAAAAAA\n",	/* bad UTF-8 */
		"text\n\n\xe2\x80\x94 k AAAA AAAAAAAA\n",	/* space in base64 */
		"text\n\nnot a signature\n",
	};
	struct rp_buf b;
	size_t i;
	int fails = 0, r;

	for (i = 0; i < RP_ARRAY_LEN(bad); i++)
		if (rp_note_parse(rp_str_c(bad[i]), &n) == 0) {
			diag("accepted bad note %zu", i);
			fails++;
		} else if (n.nsigs != 0 || n.text.n != 0)
			fails++;
	ok(fails == 0, "malformed notes refused, result zeroed");
	{
		static const char nul[] = "te\0xt\n\n\xe2\x80\x94 k AAAAAAAAAAAA\n";

		ok(rp_note_parse((struct rp_str){ nul, sizeof(nul) - 1 }, &n) != 0,
		    "NUL refused");
	}
	ok(rp_note_parse(rp_str_c("a\n\nb\n\n\xe2\x80\x94 k AAAAAAAAAAAA\n"), &n)
	    == 0 && rp_str_eq_c(n.text, "a\n\nb\n"), "split at the LAST blank line");
	ok(rp_note_parse(rp_str_c("\xe6\x97\xa5\xe6\x9c\xac\n\n\xe2\x80\x94 "
	    "\xe3\x82\xad\xe3\x83\xbc AAAAAAAAAAAA\n"), &n) == 0,
	    "non-ASCII text and key name accepted");

	rp_buf_init(&b, 2 * RP_NOTE_MAX_LEN);
	rp_buf_add_c(&b, "text\n\n");
	for (i = 0; i < RP_NOTE_MAX_SIGS; i++)
		rp_buf_add_c(&b, "\xe2\x80\x94 k AAAAAAAAAAAA\n");
	r = rp_note_parse(rp_buf_str(&b), &n);
	ok(r == 0 && n.nsigs == RP_NOTE_MAX_SIGS, "100 signature lines accepted");
	rp_buf_add_c(&b, "\xe2\x80\x94 k AAAAAAAAAAAA\n");
	ok(rp_note_parse(rp_buf_str(&b), &n) == RP_E_INVAL,
	    "101 signature lines refused");
	rp_buf_reset(&b);
	for (i = 0; i < RP_NOTE_MAX_LEN; i++)
		rp_buf_add_ch(&b, 'a');
	rp_buf_add_c(&b, "\n\n\xe2\x80\x94 k AAAAAAAAAAAA\n");
	ok(rp_note_parse(rp_buf_str(&b), &n) == RP_E_TOOBIG, "oversized note refused");
	rp_buf_release(&b);
}

static void
test_checkpoint(void)
{
	static const char *bad[] = {
		"o\n8\n",					/* 2 lines */
		"o\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"o\n+8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"o\n\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"o\n18446744073709551616\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQy=\n",	/* 31 B */
		"o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n",	/* bits */
		"o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",	/* no \n */
		"o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n",	/* empty ext */
		"o p\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"o+p\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"o\n 8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
	};
	struct rp_checkpoint cp;
	struct rp_buf b;
	uint8_t root[32];
	size_t i;
	int fails = 0;

	for (i = 0; i < RP_ARRAY_LEN(bad); i++)
		if (rp_checkpoint_parse(rp_str_c(bad[i]), &cp) == 0) {
			diag("accepted bad checkpoint %zu", i);
			fails++;
		}
	ok(fails == 0, "malformed checkpoints refused");
	ok(rp_checkpoint_parse(rp_str_c("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"),
	    &cp) == 0 && cp.size == 0, "size 0 with the empty root");
	ok(rp_checkpoint_parse(rp_str_c("o\n18446744073709551615\n"
	    "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\next one\next two\n"),
	    &cp) == 0 && cp.size == UINT64_MAX &&
	    rp_str_eq_c(cp.ext, "ext one\next two\n"), "max size, extension lines");
	memcpy(root, cp.root, 32);
	rp_buf_init(&b, 1024);
	ok(rp_checkpoint_format(rp_str_c("o"), UINT64_MAX, root,
	    rp_str_c("ext one\next two\n"), &b) == 0 &&
	    strcmp(b.d, "o\n18446744073709551615\n"
	    "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\next one\next two\n") == 0,
	    "format round-trips with extensions");
	ok(rp_checkpoint_format(rp_str_c("o"), 1, root, rp_str_c("x"), &b) ==
	    RP_E_INVAL, "extension without newline refused");
	ok(rp_checkpoint_format(rp_str_c("o"), 1, root, rp_str_c("\n"), &b) ==
	    RP_E_INVAL, "empty extension line refused");
	ok(rp_checkpoint_format(rp_str_c("a b"), 1, root, RP_STR_NULL, &b) ==
	    RP_E_INVAL, "origin with space refused");
	rp_buf_release(&b);
}

int
main(void)
{
	static struct fixture fx;

	test_b64();
	test_rfc8032();
	test_worked_example(&fx);
	if (fx.log != NULL && fx.note_len > 0) {
		test_flips(&fx);
		test_keys_and_rotation(&fx);
	}
	test_parse_strict();
	test_checkpoint();
	rp_note_signer_free(fx.log);
	rp_note_signer_free(fx.wit);
	return tap_done();
}
