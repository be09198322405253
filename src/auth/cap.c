/* SPDX-License-Identifier: ISC */
/*
 * cap.c — capabilities: encode, verify, the key file.  See cap.h.
 */
#include "util/common.h"
#include "auth/cap.h"
#include "util/keyfile.h"

#include <assert.h>

#include <sodium.h>
#include <sys/stat.h>

int
rp_cap_encode(const struct rp_cap *c, const uint8_t key[RP_CAP_KEY_LEN],
    uint8_t out[RP_CAP_MAX], size_t *len)
{
	size_t pl = strnlen(c->principal, sizeof(c->principal));
	size_t sl = strnlen(c->scope_order, sizeof(c->scope_order));
	size_t k = 0;

	if (c->role == 0 || c->role > 255 || pl == 0 ||
	    pl > RP_CAP_PRINCIPAL_MAX || sl > RP_CAP_SCOPE_MAX ||
	    !rp_str_printable((struct rp_str){ c->principal, pl }) ||
	    !rp_str_printable((struct rp_str){ c->scope_order, sl }))
		return RP_E_INVAL;
	out[k++] = 1;
	out[k++] = (uint8_t)c->role;
	rp_be_put(out + k, c->tenant, 4);
	k += 4;
	rp_be_put(out + k, c->expires_ms, 8);
	k += 8;
	out[k++] = (uint8_t)pl;
	memcpy(out + k, c->principal, pl);
	k += pl;
	memcpy(out + k, c->session, RP_CAP_SESSION_LEN);
	k += RP_CAP_SESSION_LEN;
	out[k++] = (uint8_t)sl;
	memcpy(out + k, c->scope_order, sl);
	k += sl;
	crypto_auth_hmacsha256(out + k, out, k, key);
	k += RP_CAP_MAC_LEN;
	assert(k <= RP_CAP_MAX);
	*len = k;
	return 0;
}

int
rp_cap_verify(struct rp_str in, const uint8_t key[RP_CAP_KEY_LEN],
    uint64_t now_ms, struct rp_cap *c)
{
	const uint8_t *p = (const uint8_t *)in.p;
	uint8_t mac[RP_CAP_MAC_LEN];
	size_t k = 0, pl, sl, body;

	memset(c, 0, sizeof(*c));
	if (in.n < 1 + 1 + 4 + 8 + 1 + 1 + RP_CAP_SESSION_LEN + 1 +
	    RP_CAP_MAC_LEN || in.n > RP_CAP_MAX || p[0] != 1)
		return RP_E_DENIED;
	k = 14;
	pl = p[k++];
	if (pl == 0 || pl > RP_CAP_PRINCIPAL_MAX ||
	    k + pl + RP_CAP_SESSION_LEN + 1 > in.n)
		return RP_E_DENIED;
	k += pl + RP_CAP_SESSION_LEN;
	sl = p[k++];
	if (sl > RP_CAP_SCOPE_MAX || k + sl + RP_CAP_MAC_LEN != in.n)
		return RP_E_DENIED;
	body = k + sl;
	crypto_auth_hmacsha256(mac, p, body, key);
	if (sodium_memcmp(mac, p + body, RP_CAP_MAC_LEN) != 0) {
		sodium_memzero(mac, sizeof(mac));
		return RP_E_DENIED;
	}
	sodium_memzero(mac, sizeof(mac));
	/* genuine from here: our own encoder wrote it */
	c->role = p[1];
	c->tenant = (uint32_t)rp_be_get(p + 2, 4);
	c->expires_ms = rp_be_get(p + 6, 8);
	memcpy(c->principal, p + 15, pl);
	memcpy(c->session, p + 15 + pl, RP_CAP_SESSION_LEN);
	memcpy(c->scope_order, p + 15 + pl + RP_CAP_SESSION_LEN + 1, sl);
	if (!rp_str_printable((struct rp_str){ c->principal, pl }) ||
	    !rp_str_printable((struct rp_str){ c->scope_order, sl }) ||
	    c->role == 0)
		return RP_E_DENIED;
	if (now_ms >= c->expires_ms)
		return RP_E_EXPIRED;
	return 0;
}

int
rp_cap_key_path(const char *data_dir, char *out, size_t n)
{
	int k = snprintf(out, n, "%s/%s", data_dir, RP_CAP_KEY_NAME);

	return k < 0 || (size_t)k >= n ? RP_E_TOOBIG : 0;
}

int
rp_cap_key_load(const char *data_dir, uint8_t key[RP_CAP_KEY_LEN])
{
	char path[1200];

	if (rp_cap_key_path(data_dir, path, sizeof(path)) != 0)
		return RP_E_TOOBIG;
	return rp_keyfile_load(path, key, RP_CAP_KEY_LEN, 0027);
}

int
rp_cap_key_prepare(const char *data_dir)
{
	uint8_t key[RP_CAP_KEY_LEN];
	char dir[1100], path[1200];
	int r;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/keys", data_dir) >=
	    sizeof(dir) || rp_cap_key_path(data_dir, path, sizeof(path)) != 0)
		return RP_E_TOOBIG;
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return RP_E_IO;
	r = rp_keyfile_make(path, key, RP_CAP_KEY_LEN, 0600, 0027, NULL);
	sodium_memzero(key, sizeof(key));
	return r;
}

uint64_t
rp_cap_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
