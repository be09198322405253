/* SPDX-License-Identifier: ISC */
/*
 * pwhash.h — the one password-hash policy: argon2id (libsodium
 * crypto_pwhash_str) for short secrets a person types and we must check,
 * today a corporate site's access code (hashed by `seed`, checked by the
 * web workers).  The cost is RP_PWHASH_OPSLIMIT passes over
 * RP_PWHASH_MEMLIMIT bytes (t = 2, m = 19 MiB, p = 1: OWASP's minimum for
 * argon2id, about 17 ms a check on one core of the development machine;
 * less memory than libsodium's "interactive" 64 MiB, since every web
 * thread may verify at once); a stored string weaker than that, or of another algorithm
 * (argon2i, a bare SHA-256), is refused, never verified.
 */
#ifndef RP_PWHASH_H
#define RP_PWHASH_H

#include <stdbool.h>
#include <stddef.h>

#include "util/str.h"

#define RP_PWHASH_STR_MAX	128	/* crypto_pwhash_STRBYTES, with NUL */
#define RP_PWHASH_OPSLIMIT	2u
#define RP_PWHASH_MEMLIMIT	(19u * 1024 * 1024)
#define RP_PWHASH_PW_MAX	256	/* longer secrets never match */
#define RP_PWHASH_FP_LEN	32	/* hex characters of a fingerprint */

/*
 * Hashes pw (1..RP_PWHASH_PW_MAX bytes) into out: "$argon2id$v=19$m=...".
 * 0; RP_E_INVAL (bad length); RP_E_NOMEM (libsodium could not get the
 * memory).
 */
int rp_pwhash_str(char out[RP_PWHASH_STR_MAX], struct rp_str pw) RP_WARN_UNUSED;

/* True if str is an argon2id string at least as costly as the policy. */
bool rp_pwhash_str_ok(const char *str);

/*
 * Checks pw (untrusted bytes) against str (constant time in libsodium).
 * 0 on a match; RP_E_DENIED for a wrong pw, an empty or overlong one,
 * and for a str that rp_pwhash_str_ok refuses.
 */
int rp_pwhash_verify(const char *str, struct rp_str pw) RP_WARN_UNUSED;

/*
 * A fingerprint of str (hex of the first 16 bytes of its SHA-256, NUL
 * terminated): a new hash — even of the same secret, with a new salt —
 * has another one, so what is bound to it (an access pass) ends.
 */
void rp_pwhash_fingerprint(const char *str, char out[RP_PWHASH_FP_LEN + 1]);

#endif
