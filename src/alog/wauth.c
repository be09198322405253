/* SPDX-License-Identifier: ISC */
/*
 * wauth.c — the log writer's authentication to the witness (wauth.h):
 * the shared key file and the HMAC header.  Runs in the witness (makes
 * the key, checks headers) and in the log writer (reads the key, signs
 * bodies).  The header is untrusted input on the witness side: it is only
 * compared, in constant time, never parsed further.
 */
#include "util/common.h"
#include "alog/wauth.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_LEN	(2 * RP_WAUTH_KEY_LEN + 1)

int
rp_wauth_path(const struct rp_conf *conf, char *out, size_t n)
{
	int k;

	if (conf->witness_client_key[0] != '\0')
		k = snprintf(out, n, "%s", conf->witness_client_key);
	else
		k = snprintf(out, n, "%s/witness/client.key", conf->data_dir);
	return k < 0 || (size_t)k >= n ? RP_E_TOOBIG : 0;
}

int
rp_wauth_key_load(const char *path, uint8_t key[RP_WAUTH_KEY_LEN])
{
	char text[FILE_LEN + 1];
	struct stat st;
	size_t bin = 0;
	ssize_t k;
	int fd, r = RP_E_INVAL;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? RP_E_NOTFOUND : RP_E_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = RP_E_IO;
		goto out;
	}
	if ((st.st_mode & 007) != 0) {
		r = RP_E_STATE;
		goto out;
	}
	do
		k = read(fd, text, sizeof(text));
	while (k < 0 && errno == EINTR);
	if (k < 0) {
		r = RP_E_IO;
		goto out;
	}
	if (k == FILE_LEN && text[FILE_LEN - 1] == '\n' &&
	    sodium_hex2bin(key, RP_WAUTH_KEY_LEN, text, FILE_LEN - 1, NULL,
	    &bin, NULL) == 0 && bin == RP_WAUTH_KEY_LEN)
		r = 0;
 out:
	close(fd);
	sodium_memzero(text, sizeof(text));
	if (r != 0)
		sodium_memzero(key, RP_WAUTH_KEY_LEN);
	return r;
}

int
rp_wauth_key_make(const char *path, uint8_t key[RP_WAUTH_KEY_LEN], bool *made)
{
	char tmp[RP_CONF_PATH_MAX + 32], text[FILE_LEN + 1];
	int fd = -1, r;

	*made = false;
	if ((r = rp_wauth_key_load(path, key)) != RP_E_NOTFOUND)
		return r;
	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return RP_E_TOOBIG;
	randombytes_buf(key, RP_WAUTH_KEY_LEN);
	sodium_bin2hex(text, sizeof(text), key, RP_WAUTH_KEY_LEN);
	text[FILE_LEN - 1] = '\n';
	(void)unlink(tmp);
	r = RP_E_IO;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0 || write(fd, text, FILE_LEN) != FILE_LEN || fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	/* link(2), unlike rename(2), never replaces a key someone made
	 * meanwhile: then that one is the key. */
	if (link(tmp, path) != 0) {
		if (errno == EEXIST)
			r = rp_wauth_key_load(path, key);
		goto out;
	}
	*made = true;
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
	sodium_memzero(text, sizeof(text));
	if (r != 0)
		sodium_memzero(key, RP_WAUTH_KEY_LEN);
	return r;
}

static void
mac_hex(const uint8_t key[RP_WAUTH_KEY_LEN], struct rp_str body,
    char hex[2 * crypto_auth_hmacsha256_BYTES + 1])
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state stt;

	crypto_auth_hmacsha256_init(&stt, key, RP_WAUTH_KEY_LEN);
	crypto_auth_hmacsha256_update(&stt, (const uint8_t *)body.p, body.n);
	crypto_auth_hmacsha256_final(&stt, mac);
	sodium_bin2hex(hex, 2 * sizeof(mac) + 1, mac, sizeof(mac));
	sodium_memzero(&stt, sizeof(stt));
	sodium_memzero(mac, sizeof(mac));
}

int
rp_wauth_header(const uint8_t key[RP_WAUTH_KEY_LEN], struct rp_str body,
    struct rp_buf *out)
{
	char hex[2 * crypto_auth_hmacsha256_BYTES + 1];

	mac_hex(key, body, hex);
	return rp_buf_printf(out, RP_WAUTH_SCHEME " %s", hex);
}

bool
rp_wauth_scheme_ok(struct rp_str header)
{
	return rp_str_has_prefix(header, RP_WAUTH_SCHEME " ");
}

int
rp_wauth_check(const uint8_t key[RP_WAUTH_KEY_LEN], struct rp_str header,
    struct rp_str body)
{
	char hex[2 * crypto_auth_hmacsha256_BYTES + 1];
	const size_t skip = sizeof(RP_WAUTH_SCHEME);	/* scheme and space */

	if (!rp_wauth_scheme_ok(header) || header.n != skip + sizeof(hex) - 1)
		return RP_E_DENIED;
	mac_hex(key, body, hex);
	return sodium_memcmp(header.p + skip, hex, sizeof(hex) - 1) == 0 ? 0 :
	    RP_E_DENIED;
}
