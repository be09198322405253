/* SPDX-License-Identifier: ISC */
/*
 * crypto.c — the vault's keys and primitives: the master key and operator
 * token files (created at first open, written atomically, mode 0600), the
 * sub-keys derived from the master key (blind indexes, log pseudonyms),
 * data-key wrapping, record sealing (XChaCha20-Poly1305 with the record id
 * and tenant as AD), blind indexes and their normalisers.  Runs in the
 * vault process (or `rentport seed`); every secret lives in sodium_malloc
 * memory and every temporary copy is wiped before return.
 */
#include "util/common.h"
#include "util/log.h"
#include "vault/vault_impl.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define KDF_CTX		"rpvault1"
#define KDF_BLIND	1
#define KDF_PSEUDONYM	2

static void
be64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (56 - 8 * i));
}

static void
be32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (24 - 8 * i));
}

int
vk_write_atomic(const char *dir, const char *name, const void *p, size_t n)
{
	char tmp[1200], path[1200];
	int fd = -1, dfd = -1, r = RP_E_IO;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >=
	    sizeof(tmp) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return RP_E_TOOBIG;
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		goto out;
	if (write(fd, p, n) != (ssize_t)n || fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(dfd) != 0)
		goto out;
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (r != 0)
		unlink(tmp);
	return r;
}

/*
 * Loads exactly n bytes from dir/name into out, creating the file with
 * fresh random bytes (or their hex, when hex) if it does not exist.  A
 * file of the wrong size or readable by others is refused: a key must not
 * be silently replaced or used when exposed.
 */
static int
load_secret(const char *dir, const char *name, unsigned char *out, size_t n,
    bool hex)
{
	char path[1200], text[2 * 64 + 2];
	struct stat sb;
	size_t want = hex ? 2 * n : n, got = 0;
	ssize_t k;
	int fd, r;

	if (n > 64)
		return RP_E_INVAL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno != ENOENT)
			return RP_E_IO;
		randombytes_buf(out, n);
		if (hex) {
			sodium_bin2hex(text, sizeof(text), out, n);
			r = vk_write_atomic(dir, name, text, want);
		} else
			r = vk_write_atomic(dir, name, out, n);
		sodium_memzero(text, sizeof(text));
		return r;
	}
	r = RP_E_STATE;
	if (fstat(fd, &sb) != 0 || (sb.st_mode & 077) != 0 ||
	    (size_t)sb.st_size != want) {
		rp_log_error("vault: %s has the wrong size or mode (want %zu "
		    "bytes, 0600)", name, want);
		goto out;
	}
	while (got < want && (k = read(fd, text + got, want - got)) > 0)
		got += (size_t)k;
	if (got != want) {
		r = RP_E_IO;
		goto out;
	}
	if (!hex)
		memcpy(out, text, n);
	else if (sodium_hex2bin(out, n, text, want, NULL, NULL, NULL) != 0)
		goto out;
	r = 0;
 out:
	sodium_memzero(text, sizeof(text));
	close(fd);
	return r;
}

/*
 * The operator token is the operator's (root's, under serve): the vault
 * keeps only its hash, operator.hash, and compares hashes.  Makes the token
 * (if missing) and the hash (if missing) from it; where the token cannot be
 * read (a vault dropped to its user), the hash must be there already.
 */
static void
token_hash(const unsigned char raw[32], unsigned char out[32])
{
	crypto_generichash(out, 32, raw, 32, (const unsigned char *)
	    "rentport operator token", 23);
}

static int
operator_hash_load(const char *dir, unsigned char hash[32])
{
	unsigned char raw[32];
	char hex[65];
	int r;

	/* the hash as stored: hex of 32 bytes, never created at random */
	{
		char path[1200];
		struct stat sb;

		snprintf(path, sizeof(path), "%s/operator.hash", dir);
		if (stat(path, &sb) == 0)
			return load_secret(dir, "operator.hash", hash, 32, true);
	}
	if ((r = load_secret(dir, "operator.token", raw, sizeof(raw),
	    true)) != 0)
		return r;
	token_hash(raw, hash);
	sodium_memzero(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), hash, 32);
	r = vk_write_atomic(dir, "operator.hash", hex, 64);
	sodium_memzero(hex, sizeof(hex));
	return r;
}

int
rp_vault_operator_prepare(const char *data_dir)
{
	unsigned char hash[32];
	char dir[1200];
	int r;

	snprintf(dir, sizeof(dir), "%s/vault", data_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return RP_E_IO;
	r = operator_hash_load(dir, hash);
	sodium_memzero(hash, sizeof(hash));
	return r;
}

int
vk_keys_load(struct rp_vault *v)
{
	int r;

	if ((r = load_secret(v->dir, "master.key", v->sec->master, VK_KEY,
	    false)) != 0 ||
	    (r = operator_hash_load(v->dir, v->sec->token)) != 0)
		return r;
	crypto_kdf_derive_from_key(v->sec->bi_key, VK_KEY, KDF_BLIND, KDF_CTX,
	    v->sec->master);
	crypto_kdf_derive_from_key(v->sec->pn_key, VK_KEY, KDF_PSEUDONYM,
	    KDF_CTX, v->sec->master);
	return 0;
}

bool
rp_vault_token_ok(const struct rp_vault *v, struct rp_str token)
{
	unsigned char raw[32];
	size_t n = 0;
	bool ok;

	if (token.n != RP_VAULT_TOKEN_HEX ||
	    sodium_hex2bin(raw, sizeof(raw), token.p, token.n, NULL, &n,
	    NULL) != 0 || n != sizeof(raw)) {
		sodium_memzero(raw, sizeof(raw));
		return false;
	}
	{
		unsigned char h[32];

		token_hash(raw, h);
		ok = sodium_memcmp(h, v->sec->token, sizeof(h)) == 0;
		sodium_memzero(h, sizeof(h));
	}
	sodium_memzero(raw, sizeof(raw));
	return ok;
}

int
rp_vault_token_read(const char *data_dir, char out[RP_VAULT_TOKEN_HEX + 1])
{
	char path[1200];
	ssize_t k;
	size_t got = 0;
	int fd;

	memset(out, 0, RP_VAULT_TOKEN_HEX + 1);
	snprintf(path, sizeof(path), "%s/vault/operator.token", data_dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? RP_E_NOTFOUND : RP_E_IO;
	while (got < RP_VAULT_TOKEN_HEX &&
	    (k = read(fd, out + got, RP_VAULT_TOKEN_HEX - got)) > 0)
		got += (size_t)k;
	close(fd);
	if (got != RP_VAULT_TOKEN_HEX) {
		sodium_memzero(out, RP_VAULT_TOKEN_HEX + 1);
		return RP_E_IO;
	}
	return 0;
}

void
vk_random(struct rp_vault *v, void *out, size_t n)
{
	size_t cap = sizeof(v->sec->rnd);

	if (n > cap / 4) {
		randombytes_buf(out, n);
		return;
	}
	/* One getrandom per 4 KiB instead of one per nonce and key. */
	if (v->rnd_pos == 0 || cap - v->rnd_pos < n) {
		randombytes_buf(v->sec->rnd, cap);
		v->rnd_pos = 0;
	}
	memcpy(out, v->sec->rnd + v->rnd_pos, n);
	sodium_memzero(v->sec->rnd + v->rnd_pos, n);
	v->rnd_pos += n;
	if (v->rnd_pos == cap)
		v->rnd_pos = 0;
}

static void
wrap_ad(unsigned char ad[17], uint32_t tenant, uint64_t id)
{
	memcpy(ad, "rpvk1", 5);
	be32(ad + 5, tenant);
	be64(ad + 9, id);
}

void
vk_wrap(struct rp_vault *v, uint32_t tenant, uint64_t id,
    const unsigned char key[VK_KEY], unsigned char nonce[VK_NONCE],
    unsigned char wrapped[VK_WRAPPED])
{
	unsigned char ad[17];

	wrap_ad(ad, tenant, id);
	vk_random(v, nonce, VK_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(wrapped, NULL, key, VK_KEY,
	    ad, sizeof(ad), NULL, nonce, v->sec->master);
}

int
vk_unwrap(const struct rp_vault *v, uint32_t tenant, uint64_t id,
    const unsigned char *nonce, size_t nn, const unsigned char *wrapped,
    size_t wn, unsigned char key[VK_KEY])
{
	unsigned char ad[17];

	if (nonce == NULL || wrapped == NULL || nn != VK_NONCE ||
	    wn != VK_WRAPPED)
		return RP_E_NOTFOUND;
	wrap_ad(ad, tenant, id);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(key, NULL, NULL, wrapped,
	    wn, ad, sizeof(ad), nonce, v->sec->master) != 0) {
		sodium_memzero(key, VK_KEY);
		return RP_E_STATE;
	}
	return 0;
}

int
vk_tenant_key(struct rp_vault *v, uint32_t tenant, bool create,
    const unsigned char **key)
{
	unsigned char nonce[VK_NONCE], wrapped[VK_WRAPPED];
	sqlite3_stmt *s;
	size_t i;
	int r, rc;

	*key = NULL;
	for (i = 0; i < v->ntenant; i++)
		if (v->tenant_id[i] == tenant) {
			*key = v->sec->tenant_key[i];
			return 0;
		}
	if (v->ntenant == VK_MAX_TENANT_CACHE)
		return RP_E_TOOBIG;	/* XXX: evict instead of refusing */
	i = v->ntenant;
	s = v->st_tkey_get;
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, tenant);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		r = vk_unwrap(v, tenant, 0, sqlite3_column_blob(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0), sqlite3_column_blob(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1), v->sec->tenant_key[i]);
		sqlite3_reset(s);
		if (r != 0) {
			rp_log_error("vault: tenant %u key does not unwrap", tenant);
			return RP_E_STATE;
		}
	} else if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		if (!create)
			return RP_E_NOTFOUND;
		randombytes_buf(v->sec->tenant_key[i], VK_KEY);
		vk_wrap(v, tenant, 0, v->sec->tenant_key[i], nonce, wrapped);
		s = v->st_tkey_put;
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, tenant);
		sqlite3_bind_blob(s, 2, nonce, VK_NONCE, SQLITE_TRANSIENT);
		sqlite3_bind_blob(s, 3, wrapped, VK_WRAPPED, SQLITE_TRANSIENT);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE) {
			sodium_memzero(v->sec->tenant_key[i], VK_KEY);
			return RP_E_DB;
		}
	} else {
		sqlite3_reset(s);
		return RP_E_DB;
	}
	v->tenant_id[i] = tenant;
	v->ntenant++;
	*key = v->sec->tenant_key[i];
	return 0;
}

static void
rec_ad(unsigned char ad[12], uint64_t id, uint32_t tenant)
{
	be64(ad, id);
	be32(ad + 8, tenant);
}

void
vk_seal(struct rp_vault *v, const unsigned char key[VK_KEY], uint64_t id,
    uint32_t tenant,
    const unsigned char *pt, size_t ptlen, unsigned char nonce[VK_NONCE],
    unsigned char *ct)
{
	unsigned char ad[12];

	rec_ad(ad, id, tenant);
	vk_random(v, nonce, VK_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, pt, ptlen, ad,
	    sizeof(ad), NULL, nonce, key);
}

int
vk_open(const unsigned char key[VK_KEY], uint64_t id, uint32_t tenant,
    const unsigned char *nonce, size_t nn, const unsigned char *ct,
    size_t ctlen, unsigned char *pt, size_t *ptlen)
{
	unsigned long long n = 0;
	unsigned char ad[12];

	*ptlen = 0;
	if (nonce == NULL || ct == NULL || nn != VK_NONCE || ctlen < VK_TAG ||
	    ctlen - VK_TAG > VK_PT_MAX)
		return RP_E_NOTFOUND;
	rec_ad(ad, id, tenant);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &n, NULL, ct, ctlen,
	    ad, sizeof(ad), nonce, key) != 0)
		return RP_E_STATE;
	*ptlen = (size_t)n;
	return 0;
}

void
vk_blind(const struct rp_vault *v, char kind, struct rp_str norm,
    unsigned char out[VK_BI])
{
	crypto_generichash_state st;
	unsigned char k = (unsigned char)kind;

	crypto_generichash_init(&st, v->sec->bi_key, VK_KEY, VK_BI);
	crypto_generichash_update(&st, &k, 1);
	crypto_generichash_update(&st, (const unsigned char *)norm.p, norm.n);
	crypto_generichash_final(&st, out, VK_BI);
	sodium_memzero(&st, sizeof(st));
}

void
rp_vault_pseudonym(const struct rp_vault *v, uint64_t id, uint8_t out[16])
{
	unsigned char b[8];

	be64(b, id);
	crypto_generichash(out, 16, b, sizeof(b), v->sec->pn_key, VK_KEY);
}

/* E-mail: trimmed (ASCII space/tab), ASCII lower-cased. */
int
vk_norm_email(struct rp_str in, char *out, size_t cap, size_t *n)
{
	struct rp_str s = rp_str_trim(in);

	*n = 0;
	if (s.n == 0 || s.n > cap)
		return RP_E_INVAL;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];

		out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	*n = s.n;
	return 0;
}

/*
 * Phone: digits only; "+81..." keeps its 81, a national "0..." becomes
 * "81...", so 090-1234-5678 and +81 90 1234 5678 agree.
 */
int
vk_norm_phone(struct rp_str in, char *out, size_t cap, size_t *n)
{
	size_t k = 0;
	bool intl = false, first = true;

	*n = 0;
	for (size_t i = 0; i < in.n; i++) {
		char c = in.p[i];

		if (c == '+' && first)
			intl = true;
		if (c < '0' || c > '9')
			continue;
		if (first && !intl && c == '0') {
			if (k + 2 > cap)
				return RP_E_INVAL;
			out[k++] = '8';
			out[k++] = '1';
			first = false;
			continue;
		}
		first = false;
		if (k + 1 > cap)
			return RP_E_INVAL;
		out[k++] = c;
	}
	if (k < 4)
		return RP_E_INVAL;
	*n = k;
	return 0;
}

/* Order numbers: trimmed, ASCII upper-cased ("rp-..." = "RP-..."). */
int
vk_norm_order(struct rp_str in, char *out, size_t cap, size_t *n)
{
	struct rp_str s = rp_str_trim(in);

	*n = 0;
	if (s.n == 0 || s.n > cap || s.n > RP_VAULT_ORDER_MAX)
		return RP_E_INVAL;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];

		if ((unsigned char)c <= 0x20 || (unsigned char)c >= 0x7f)
			return RP_E_INVAL;
		out[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
	}
	*n = s.n;
	return 0;
}
