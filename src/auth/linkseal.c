/* SPDX-License-Identifier: ISC */
/*
 * linkseal.c — links sealed to the mail sender (linkseal.h).
 */
#include "util/common.h"
#include "auth/linkseal.h"
#include "util/keyfile.h"

#include <sys/stat.h>

#define ORDER_MAX	32
#define PLAIN_MAX	(ORDER_MAX + 1 + RP_LINKSEAL_URL_MAX)

static int
paths(const char *data_dir, char *seed, char *pub, size_t n)
{
	if ((size_t)snprintf(seed, n, "%s/%s", data_dir, RP_LINKSEAL_SEED) >= n ||
	    (size_t)snprintf(pub, n, "%s/%s", data_dir, RP_LINKSEAL_PUB) >= n)
		return RP_E_TOOBIG;
	return 0;
}

static int
keys_from_seed(const char *path, uint8_t *pk, uint8_t *sk, bool make)
{
	uint8_t seed[crypto_box_SEEDBYTES];
	int r;

	r = make ? rp_keyfile_make(path, seed, sizeof(seed), 0600, 0077, NULL) :
	    rp_keyfile_load(path, seed, sizeof(seed), 0077);
	if (r == 0 && crypto_box_seed_keypair(pk, sk, seed) != 0)
		r = RP_E_STATE;
	sodium_memzero(seed, sizeof(seed));
	return r;
}

int
rp_linkseal_prepare(const char *data_dir)
{
	uint8_t pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
	char seed[1200], pub[1200], dir[1200];
	int r;

	if (sodium_init() < 0)
		return RP_E_STATE;
	if ((r = paths(data_dir, seed, pub, sizeof(seed))) != 0)
		return r;
	snprintf(dir, sizeof(dir), "%s/mail", data_dir);
	(void)mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/keys", data_dir);
	(void)mkdir(dir, 0750);
	if ((r = keys_from_seed(seed, pk, sk, true)) == 0)
		r = rp_keyfile_put(pub, pk, sizeof(pk), 0644);
	sodium_memzero(sk, sizeof(sk));
	return r;
}

int
rp_linkseal_pub_load(const char *data_dir,
    uint8_t pk[crypto_box_PUBLICKEYBYTES])
{
	char seed[1200], pub[1200];
	int r;

	if ((r = paths(data_dir, seed, pub, sizeof(seed))) != 0)
		return r;
	return rp_keyfile_load(pub, pk, crypto_box_PUBLICKEYBYTES, 0022);
}

int
rp_linkseal_keys_load(const char *data_dir,
    uint8_t pk[crypto_box_PUBLICKEYBYTES],
    uint8_t sk[crypto_box_SECRETKEYBYTES])
{
	char seed[1200], pub[1200];
	int r;

	if ((r = paths(data_dir, seed, pub, sizeof(seed))) != 0)
		return r;
	return keys_from_seed(seed, pk, sk, false);
}

int
rp_linkseal_seal(const uint8_t pk[crypto_box_PUBLICKEYBYTES],
    const char *order, const char *url, char *out, size_t cap)
{
	uint8_t plain[PLAIN_MAX], box[PLAIN_MAX + crypto_box_SEALBYTES];
	size_t on = strlen(order), un = strlen(url), n = on + 1 + un;
	int r = 0;

	out[0] = '\0';
	if (on == 0 || on > ORDER_MAX || un == 0 || un > RP_LINKSEAL_URL_MAX ||
	    memchr(order, '\n', on) != NULL || memchr(url, '\n', un) != NULL)
		return RP_E_INVAL;
	if (sodium_base64_ENCODED_LEN(n + crypto_box_SEALBYTES,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) > cap)
		return RP_E_TOOBIG;
	memcpy(plain, order, on);
	plain[on] = '\n';
	memcpy(plain + on + 1, url, un);
	if (crypto_box_seal(box, plain, n, pk) != 0)
		r = RP_E_STATE;
	else
		sodium_bin2base64(out, cap, box, n + crypto_box_SEALBYTES,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(plain, sizeof(plain));
	return r;
}

int
rp_linkseal_open(const uint8_t pk[crypto_box_PUBLICKEYBYTES],
    const uint8_t sk[crypto_box_SECRETKEYBYTES], struct rp_str in,
    char *order, char *url)
{
	uint8_t box[PLAIN_MAX + crypto_box_SEALBYTES], plain[PLAIN_MAX];
	size_t bn = 0, n;
	const uint8_t *nl;
	int r = RP_E_DENIED;

	order[0] = url[0] = '\0';
	if (in.n == 0 || in.n > RP_LINKSEAL_MAX ||
	    sodium_base642bin(box, sizeof(box), in.p, in.n, NULL, &bn, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    bn <= crypto_box_SEALBYTES ||
	    crypto_box_seal_open(plain, box, bn, pk, sk) != 0)
		goto out;
	n = bn - crypto_box_SEALBYTES;
	if ((nl = memchr(plain, '\n', n)) == NULL || nl == plain ||
	    (size_t)(nl - plain) > ORDER_MAX ||
	    n - (size_t)(nl - plain) - 1 == 0 ||
	    n - (size_t)(nl - plain) - 1 > RP_LINKSEAL_URL_MAX)
		goto out;
	memcpy(order, plain, (size_t)(nl - plain));
	order[nl - plain] = '\0';
	memcpy(url, nl + 1, n - (size_t)(nl - plain) - 1);
	url[n - (size_t)(nl - plain) - 1] = '\0';
	r = 0;
 out:
	sodium_memzero(plain, sizeof(plain));
	return r;
}
