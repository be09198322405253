/* SPDX-License-Identifier: ISC */
/*
 * test_pwhash.c — the password-hash policy: argon2id at the policy's cost,
 * checked only against strings as strong; fingerprints change with the
 * hash (issue 10: the access code was an unsalted SHA-256).
 */
#include "util/common.h"

#include <sodium.h>

#include "util/pwhash.h"
#include "tap.h"

int
main(void)
{
	char h1[RP_PWHASH_STR_MAX], h2[RP_PWHASH_STR_MAX], weak[RP_PWHASH_STR_MAX];
	char f1[RP_PWHASH_FP_LEN + 1], f2[RP_PWHASH_FP_LEN + 1];
	char big[RP_PWHASH_PW_MAX + 1];

	ok(sodium_init() >= 0, "libsodium");
	is_int(rp_pwhash_str(h1, RP_STR_LIT("K7QX2MP9RT")), 0, "hash");
	ok(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0,
	    "argon2id at m = 19 MiB, t = 2, p = 1");
	ok(rp_pwhash_str_ok(h1), "the policy accepts its own string");
	is_int(rp_pwhash_verify(h1, RP_STR_LIT("K7QX2MP9RT")), 0, "right code");
	is_int(rp_pwhash_verify(h1, RP_STR_LIT("K7QX2MP9RU")), RP_E_DENIED,
	    "wrong code");
	is_int(rp_pwhash_verify(h1, RP_STR_LIT("")), RP_E_DENIED, "empty code");
	memset(big, 'K', sizeof(big));
	is_int(rp_pwhash_verify(h1, (struct rp_str){ big, sizeof(big) }),
	    RP_E_DENIED, "overlong code");
	is_int(rp_pwhash_str(h2, (struct rp_str){ big, sizeof(big) }),
	    RP_E_INVAL, "overlong secret not hashed");

	/* the same secret again: a new salt, so another string and print */
	is_int(rp_pwhash_str(h2, RP_STR_LIT("K7QX2MP9RT")), 0, "hash again");
	ok(strcmp(h1, h2) != 0, "salted: two hashes differ");
	rp_pwhash_fingerprint(h1, f1);
	rp_pwhash_fingerprint(h2, f2);
	ok(strlen(f1) == RP_PWHASH_FP_LEN && strcmp(f1, f2) != 0,
	    "fingerprints differ with the hash");
	rp_pwhash_fingerprint(h1, f2);
	ok(strcmp(f1, f2) == 0, "fingerprint is stable");

	/* nothing weaker is checked, even when the code is right */
	ok(crypto_pwhash_str_alg(weak, "K7QX2MP9RT", 10,
	    crypto_pwhash_argon2id_OPSLIMIT_MIN, 8192,
	    crypto_pwhash_ALG_ARGON2ID13) == 0, "a weak argon2id string");
	ok(!rp_pwhash_str_ok(weak), "weaker argon2id refused");
	is_int(rp_pwhash_verify(weak, RP_STR_LIT("K7QX2MP9RT")), RP_E_DENIED,
	    "weaker argon2id never verifies");
	ok(crypto_pwhash_argon2i_str(weak, "K7QX2MP9RT", 10, 3,
	    RP_PWHASH_MEMLIMIT) == 0, "an argon2i string");
	is_int(rp_pwhash_verify(weak, RP_STR_LIT("K7QX2MP9RT")), RP_E_DENIED,
	    "argon2i refused");
	{
		uint8_t d[crypto_hash_sha256_BYTES];
		char hex[65];

		crypto_hash_sha256(d, (const unsigned char *)"K7QX2MP9RT", 10);
		sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
		is_int(rp_pwhash_verify(hex, RP_STR_LIT("K7QX2MP9RT")),
		    RP_E_DENIED, "a bare SHA-256 (the old setting) refused");
	}
	ok(!rp_pwhash_str_ok("$argon2id$v=19$m=19456,t=2,p=1"), "truncated");
	ok(!rp_pwhash_str_ok("$argon2id$v=19$m=99999999999,t=2,p=1$x$y"),
	    "absurd parameter");
	ok(!rp_pwhash_str_ok(""), "empty string");
	return tap_done();
}
