/* SPDX-License-Identifier: ISC */
/*
 * fuzz.c — libFuzzer target for the signed-note and checkpoint parsers
 * (rp_note_parse, rp_checkpoint_parse, rp_note_verify; src/alog/note.c),
 * which read notes from witnesses, logs and files.  Beyond "no crash": an
 * accepted note's text is a prefix of the input ending in "\n", every
 * signature line names a valid key, an accepted checkpoint re-formats to
 * its text byte for byte, and verification against the worked example's
 * log key gives one of the documented results.
 */
#include "util/common.h"
#include "alog/note.h"
#include "../fuzz_util.h"

/* rentport.example/vault-access/v1, RFC 8032 TEST 1 public key. */
static const char log_vkey[] = "rentport.example/vault-access/v1+e2a44689+"
    "AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";
static const char wit_vkey[] = "witness.example.org/w1+2ce32234+"
    "BD1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rp_note n;
	struct rp_note_verifier keys[2];
	struct rp_note_result res[2];
	struct rp_checkpoint cp;
	struct rp_str msg = { (const char *)data, size };
	struct rp_buf b;
	size_t i;
	int r;

	check(rp_note_verifier_parse(rp_str_c(log_vkey), &keys[0]) == 0);
	check(rp_note_verifier_parse(rp_str_c(wit_vkey), &keys[1]) == 0);
	/* The verifier-key parser sees the input too. */
	if (rp_note_verifier_parse(msg, &keys[1]) != 0)
		check(keys[1].name_len == 0);
	check(rp_note_verifier_parse(rp_str_c(wit_vkey), &keys[1]) == 0);

	r = rp_note_parse(msg, &n);
	if (r != 0) {
		check(r == RP_E_INVAL || r == RP_E_TOOBIG);
		check(n.nsigs == 0 && n.text.n == 0);
	} else {
		check(n.text.p == msg.p && n.text.n < size);
		check(n.text.p[n.text.n - 1] == '\n');
		check(n.nsigs >= 1 && n.nsigs <= RP_NOTE_MAX_SIGS);
		for (i = 0; i < n.nsigs; i++)
			check(rp_note_name_valid(n.sigs[i].name));
		r = rp_note_verify(&n, keys, 2, res);
		check(r == 0 || r == RP_E_DENIED || r == RP_E_NOTFOUND);
		if (r == 0)
			check(res[0].verified || res[1].verified);
	}
	/* The checkpoint parser on the raw input and on the note text. */
	for (i = 0; i < 2; i++) {
		struct rp_str t = i == 0 ? msg : n.text;

		if (i == 1 && n.nsigs == 0)
			break;
		if (rp_checkpoint_parse(t, &cp) != 0) {
			check(cp.size == 0 && cp.origin.n == 0);
			continue;
		}
		rp_buf_init(&b, RP_NOTE_MAX_LEN + 128);
		check(rp_checkpoint_format(cp.origin, cp.size, cp.root, cp.ext,
		    &b) == 0);
		check(b.len == t.n && memcmp(b.d, t.p, t.n) == 0);
		rp_buf_release(&b);
	}
	return 0;
}
