/* SPDX-License-Identifier: ISC */
/*
 * pwhash.c — argon2id hashing and checking of typed secrets (see pwhash.h).
 * Runs in `seed` (hashing) and the web workers (checking); the stored
 * string comes from the core store and is checked for its algorithm and
 * cost before libsodium sees it.
 */
#include "util/common.h"

#include <sodium.h>

#include "util/pwhash.h"

#define PREFIX	"$argon2id$v=19$"

int
rp_pwhash_str(char out[RP_PWHASH_STR_MAX], struct rp_str pw)
{
	_Static_assert(RP_PWHASH_STR_MAX == crypto_pwhash_STRBYTES,
	    "RP_PWHASH_STR_MAX is libsodium's crypto_pwhash_STRBYTES");
	out[0] = '\0';
	if (pw.n == 0 || pw.n > RP_PWHASH_PW_MAX)
		return RP_E_INVAL;
	if (sodium_init() < 0)
		return RP_E_STATE;
	if (crypto_pwhash_str_alg(out, pw.p, pw.n, RP_PWHASH_OPSLIMIT,
	    RP_PWHASH_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		out[0] = '\0';
		return RP_E_NOMEM;
	}
	return 0;
}

/* "name=<digits>" at *p, then sep; advances *p.  false if not. */
static bool
param(const char **p, char name, char sep, unsigned long *v)
{
	const char *s = *p;
	unsigned long n = 0;

	if (s[0] != name || s[1] != '=' || s[2] < '0' || s[2] > '9')
		return false;
	for (s += 2; *s >= '0' && *s <= '9'; s++) {
		if (n > 100000000ul)
			return false;
		n = n * 10 + (unsigned long)(*s - '0');
	}
	if (*s != sep)
		return false;
	*v = n;
	*p = s + 1;
	return true;
}

bool
rp_pwhash_str_ok(const char *str)
{
	const char *p = str;
	unsigned long m, t, par;

	if (str == NULL || strlen(str) >= RP_PWHASH_STR_MAX ||
	    strncmp(str, PREFIX, strlen(PREFIX)) != 0)
		return false;
	p += strlen(PREFIX);
	/* m is in KiB in the string */
	if (!param(&p, 'm', ',', &m) || !param(&p, 't', ',', &t) ||
	    !param(&p, 'p', '$', &par))
		return false;
	return m >= RP_PWHASH_MEMLIMIT / 1024 && t >= RP_PWHASH_OPSLIMIT &&
	    par == 1;
}

int
rp_pwhash_verify(const char *str, struct rp_str pw)
{
	if (!rp_pwhash_str_ok(str) || pw.n == 0 || pw.n > RP_PWHASH_PW_MAX ||
	    sodium_init() < 0)
		return RP_E_DENIED;
	/* libsodium takes the length: pw need not be NUL-terminated */
	return crypto_pwhash_str_verify(str, pw.p, pw.n) == 0 ? 0 :
	    RP_E_DENIED;
}

void
rp_pwhash_fingerprint(const char *str, char out[RP_PWHASH_FP_LEN + 1])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)str, strlen(str));
	sodium_bin2hex(out, RP_PWHASH_FP_LEN + 1, h, RP_PWHASH_FP_LEN / 2);
}
