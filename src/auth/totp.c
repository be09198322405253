/* SPDX-License-Identifier: ISC */
/*
 * totp.c — RFC 6238 time-based one-time codes (SHA-1, 30 s steps, 6
 * digits) through liboath, with our own replay rule: a code is good once,
 * its step must be later than the last one the account used.
 */
#include "util/common.h"
#include "auth/auth.h"

#include <liboath/oath.h>
#include <pthread.h>
#include <sodium.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_rc;

static void
init(void)
{
	init_rc = oath_init();
}

static int
started(void)
{
	pthread_once(&once, init);
	return init_rc == OATH_OK ? 0 : RP_E_STATE;
}

int
rp_totp_code(const uint8_t *secret, size_t n, int64_t now, char out[7])
{
	if (started() != 0 || now < 0)
		return RP_E_STATE;
	if (oath_totp_generate((const char *)secret, n, (time_t)now,
	    RP_TOTP_STEP_S, 0, 6, out) != OATH_OK)
		return RP_E_STATE;
	return 0;
}

int
rp_totp_check(const uint8_t *secret, size_t n, struct rp_str code,
    int64_t now, int64_t last_step, int64_t *step)
{
	char want[7];
	int64_t s0 = now / RP_TOTP_STEP_S, found = -1;

	*step = 0;
	if (code.n != 6)
		return RP_E_DENIED;
	for (size_t i = 0; i < 6; i++)
		if (code.p[i] < '0' || code.p[i] > '9')
			return RP_E_DENIED;
	/* every step of the window is computed, so the time taken does not
	 * say which one matched */
	for (int64_t d = -RP_TOTP_WINDOW; d <= RP_TOTP_WINDOW; d++) {
		int64_t s = s0 + d;

		if (s < 0 || rp_totp_code(secret, n, s * RP_TOTP_STEP_S,
		    want) != 0)
			continue;
		if (sodium_memcmp(want, code.p, 6) == 0 && s > last_step &&
		    found < 0)
			found = s;
	}
	sodium_memzero(want, sizeof(want));
	if (found < 0)
		return RP_E_DENIED;
	*step = found;
	return 0;
}

int
rp_totp_b32(const uint8_t *secret, size_t n, char *out, size_t cap)
{
	char *b = NULL;
	size_t bl = 0, o = 0;

	if (started() != 0 || oath_base32_encode((const char *)secret, n, &b,
	    &bl) != OATH_OK)
		return RP_E_STATE;
	for (size_t i = 0; i < bl && b[i] != '='; i++) {
		if (o + 1 >= cap) {
			sodium_memzero(b, bl);
			free(b);
			return RP_E_TOOBIG;
		}
		out[o++] = b[i];
	}
	out[o] = '\0';
	sodium_memzero(b, bl);
	free(b);
	return 0;
}

int
rp_totp_uri(const char *user, const char *b32, char *out, size_t cap)
{
	int k = snprintf(out, cap, "otpauth://totp/rentport:%s?secret=%s"
	    "&issuer=rentport&algorithm=SHA1&digits=6&period=%d", user, b32,
	    RP_TOTP_STEP_S);

	return k < 0 || (size_t)k >= cap ? RP_E_TOOBIG : 0;
}
