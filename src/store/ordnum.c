/* SPDX-License-Identifier: ISC */
/*
 * ordnum.c — order numbers: "RP-" + 8 Crockford base32 characters, a keyed
 * permutation of the order id over [1, 2^40-1] (store.h), and the key's
 * file DATA/keys/order-number.key.  Runs in every process that opens the
 * core store; the first to open it (the parent of `rentport serve`, or
 * `rentport seed`) makes the key, the others only read it.
 *
 * The permutation is a balanced Feistel network on 40 bits (two 20-bit
 * halves, ORDNUM_ROUNDS rounds) whose round function is SipHash-2-4
 * (crypto_shorthash) under a 128-bit subkey derived from the file's 256-bit
 * key with keyed BLAKE2b; cycle-walking (apply it again while the value is
 * outside the domain) keeps 0 out, so every id maps to exactly one number
 * of the unchanged format and back.  Without the key, neighbouring orders'
 * numbers say nothing about each other or about how many orders there are;
 * with it they are still only references, never authenticators.
 */
#include "util/common.h"
#include "util/log.h"
#include "store/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define ORDNUM_ROUNDS	10
#define NUM_BITS	40
#define NUM_MAX		((UINT64_C(1) << NUM_BITS) - 1)
#define KEY_HEX		(2 * RP_ORDNUM_KEY_BYTES)

static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static const char kdf_ctx[] = "rentport order-number v1";

void
rp_ordnum_init(struct rp_ordnum *k, const uint8_t key[RP_ORDNUM_KEY_BYTES])
{
	/* keyed BLAKE2b of a fixed label: the round key, bound to its use */
	(void)crypto_generichash(k->sub, sizeof(k->sub),
	    (const uint8_t *)kdf_ctx, sizeof(kdf_ctx) - 1, key,
	    RP_ORDNUM_KEY_BYTES);
}

/* Round function: SipHash of (width, round, half), cut to a half. */
static uint64_t
round_f(const struct rp_ordnum *k, unsigned bits, unsigned i, uint64_t x,
    uint64_t mask)
{
	uint8_t in[8], out[crypto_shorthash_BYTES];
	uint64_t v = 0;

	in[0] = (uint8_t)bits;
	in[1] = (uint8_t)i;
	for (int j = 0; j < 6; j++)
		in[2 + j] = (uint8_t)(x >> (8 * j));
	(void)crypto_shorthash(out, in, sizeof(in), k->sub);
	for (int j = 0; j < 8; j++)
		v |= (uint64_t)out[j] << (8 * j);
	return v & mask;
}

static uint64_t
feistel(const struct rp_ordnum *k, unsigned bits, uint64_t x, bool inverse)
{
	unsigned h = bits / 2;
	uint64_t mask = (UINT64_C(1) << h) - 1, l = x >> h, r = x & mask, t;

	if (!inverse) {
		for (unsigned i = 0; i < ORDNUM_ROUNDS; i++) {
			t = l ^ round_f(k, bits, i, r, mask);
			l = r;
			r = t;
		}
	} else {
		for (unsigned i = ORDNUM_ROUNDS; i-- > 0;) {
			t = r ^ round_f(k, bits, i, l, mask);
			r = l;
			l = t;
		}
	}
	return (l << h) | r;
}

uint64_t
rp_ordnum_permute(const struct rp_ordnum *k, unsigned bits, uint64_t max,
    uint64_t x)
{
	if (bits < 2 || bits > 48 || bits % 2 != 0 || max == 0 ||
	    max > (UINT64_C(1) << bits) - 1 || x == 0 || x > max)
		return 0;
	/* cycle-walk: x's cycle under the Feistel permutation returns to the
	 * domain, and the walk from each domain point stops at a distinct one */
	do
		x = feistel(k, bits, x, false);
	while (x == 0 || x > max);
	return x;
}

uint64_t
rp_ordnum_unpermute(const struct rp_ordnum *k, unsigned bits, uint64_t max,
    uint64_t y)
{
	if (bits < 2 || bits > 48 || bits % 2 != 0 || max == 0 ||
	    max > (UINT64_C(1) << bits) - 1 || y == 0 || y > max)
		return 0;
	do
		y = feistel(k, bits, y, true);
	while (y == 0 || y > max);
	return y;
}

int
rp_order_number(const struct rp_ordnum *k, int64_t id,
    char out[RP_ORDER_NUMBER_LEN + 1])
{
	uint64_t x;
	int i;

	out[0] = '\0';
	if (id <= 0 || (uint64_t)id > NUM_MAX)
		return RP_E_RANGE;
	x = rp_ordnum_permute(k, NUM_BITS, NUM_MAX, (uint64_t)id);
	out[0] = 'R';
	out[1] = 'P';
	out[2] = '-';
	for (i = 7; i >= 0; i--) {
		out[3 + i] = b32[x & 31];
		x >>= 5;
	}
	out[RP_ORDER_NUMBER_LEN] = '\0';
	return 0;
}

int
rp_order_number_id(const struct rp_ordnum *k, const char *number, int64_t *id)
{
	uint64_t x = 0;
	const char *p;
	int i;

	*id = 0;
	if (number == NULL ||
	    strnlen(number, RP_ORDER_NUMBER_LEN + 1) != RP_ORDER_NUMBER_LEN ||
	    memcmp(number, "RP-", 3) != 0)
		return RP_E_INVAL;
	for (i = 3; i < RP_ORDER_NUMBER_LEN; i++) {
		if (number[i] == '\0' || (p = strchr(b32, number[i])) == NULL)
			return RP_E_INVAL;
		x = (x << 5) | (uint64_t)(p - b32);
	}
	if ((x = rp_ordnum_unpermute(k, NUM_BITS, NUM_MAX, x)) == 0)
		return RP_E_INVAL;	/* "RP-00000000": no order's number */
	*id = (int64_t)x;
	return 0;
}

/* ---- the key file ------------------------------------------------------- */

/*
 * Reads path: a regular file (not a link) of 64 hex digits and an optional
 * newline, writable by nobody but its owner and not readable by others
 * (0640: the web workers' group reads it; once it belongs to root they
 * cannot change it).  RP_E_NOTFOUND if absent, RP_E_DENIED for loose
 * modes, RP_E_INVAL for bad contents, RP_E_IO.
 */
static int
key_read(const char *path, uint8_t key[RP_ORDNUM_KEY_BYTES])
{
	char buf[KEY_HEX + 2];
	struct stat sb;
	size_t bin = 0;
	ssize_t got;
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? RP_E_NOTFOUND : RP_E_IO;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		r = RP_E_IO;
		goto out;
	}
	if ((sb.st_mode & 0027) != 0) {
		r = RP_E_DENIED;
		goto out;
	}
	got = read(fd, buf, sizeof(buf));
	if (got == KEY_HEX + 1 && buf[KEY_HEX] == '\n')
		got--;
	if (got != KEY_HEX ||
	    sodium_hex2bin(key, RP_ORDNUM_KEY_BYTES, buf, KEY_HEX, NULL, &bin,
	    NULL) != 0 || bin != RP_ORDNUM_KEY_BYTES)
		r = RP_E_INVAL;
 out:
	close(fd);
	sodium_memzero(buf, sizeof(buf));
	return r;
}

/* Makes the key at path once: written whole under a temporary name, then
 * linked into place, so a reader never sees half a key and two processes
 * starting together keep the same one (link fails for the later). */
static int
key_make(const char *dir, const char *path)
{
	uint8_t key[RP_ORDNUM_KEY_BYTES];
	char hex[KEY_HEX + 2], tmp[1200];
	int fd = -1, dfd, r = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.order-number.key.%ld", dir,
	    (long)getpid()) >= sizeof(tmp))
		return RP_E_TOOBIG;
	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	hex[KEY_HEX] = '\n';
	(void)unlink(tmp);	/* a leftover of a crash of this pid */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0640)) < 0 || fchmod(fd, 0640) != 0 ||
	    write(fd, hex, KEY_HEX + 1) != KEY_HEX + 1 || fsync(fd) != 0) {
		r = RP_E_IO;
		goto out;
	}
	if (link(tmp, path) != 0 && errno != EEXIST)
		r = RP_E_IO;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
 out:
	if (fd >= 0) {
		close(fd);
		(void)unlink(tmp);
	}
	sodium_memzero(hex, sizeof(hex));
	return r;
}

int
rp_ordnum_key_load(const char *data_dir, struct rp_ordnum *k)
{
	uint8_t key[RP_ORDNUM_KEY_BYTES];
	char dir[1100], path[1200];
	int r;

	sodium_memzero(k, sizeof(*k));
	if ((size_t)snprintf(dir, sizeof(dir), "%s/keys", data_dir) >=
	    sizeof(dir) || (size_t)snprintf(path, sizeof(path),
	    "%s/order-number.key", dir) >= sizeof(path))
		return RP_E_TOOBIG;
	if (sodium_init() < 0)
		return RP_E_IO;
	if ((r = key_read(path, key)) == RP_E_NOTFOUND) {
		/* first run: the process opening the store first makes it
		 * (on PostgreSQL nothing else has made the data directory) */
		if ((mkdir(data_dir, 0750) != 0 && errno != EEXIST) ||
		    (mkdir(dir, 0750) != 0 && errno != EEXIST)) {
			rp_log_error("store: cannot create %s: %s", dir,
			    strerror(errno));
			return RP_E_IO;
		}
		if ((r = key_make(dir, path)) != 0) {
			rp_log_error("store: cannot write the order-number key "
			    "in %s", dir);
			return r;
		}
		rp_log_info("store: made the order-number key %s", path);
		r = key_read(path, key);
	}
	if (r != 0) {
		rp_log_error("store: the order-number key %s is unusable (%s)",
		    path, rp_strerror(r));
		sodium_memzero(key, sizeof(key));
		return r;
	}
	rp_ordnum_init(k, key);
	sodium_memzero(key, sizeof(key));
	return 0;
}
