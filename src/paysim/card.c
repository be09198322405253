/* SPDX-License-Identifier: ISC */
/*
 * card.c — paysim's cards and secrets.  The test-card table (payments.md
 * §7) decides what each sandbox card does; the card store keeps every PAN
 * paysim receives encrypted (XChaCha20-Poly1305, the card id as associated
 * data) under DATA/paysim/card.key, so that the processor's database is
 * as unreadable as a real PSP's would be and `rentport scan-pan` finds
 * nothing in DATA/paysim.  The merchant's secrets (api.secret,
 * publishable.key, webhook.secret) are made here at first start.
 */
#include "util/common.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paysim/paysim_int.h"
#include "util/log.h"

static const struct rp_paysim_card cards[] = {
	{ "4242424242424242", "visa", "visa", RP_CARD_OK, NULL, NULL, NULL },
	{ "5555555555554444", "mastercard", "mastercard", RP_CARD_OK, NULL,
	  NULL, NULL },
	{ "3530111333300000", "jcb", "jcb", RP_CARD_OK, NULL, NULL, NULL },
	{ "378282246310005", "amex", "amex", RP_CARD_OK, NULL, NULL, NULL },
	{ "4000000000000002", "generic_decline", "visa", RP_CARD_DECLINE,
	  "card_declined", "generic_decline", "Your card was declined." },
	{ "4000000000009995", "insufficient_funds", "visa", RP_CARD_DECLINE,
	  "card_declined", "insufficient_funds",
	  "Your card has insufficient funds." },
	{ "4000000000009987", "lost_card", "visa", RP_CARD_DECLINE,
	  "card_declined", "lost_card", "Your card was declined." },
	{ "4000000000009979", "stolen_card", "visa", RP_CARD_DECLINE,
	  "card_declined", "stolen_card", "Your card was declined." },
	{ "4000000000000069", "expired_card", "visa", RP_CARD_DECLINE,
	  "expired_card", "expired_card", "Your card has expired." },
	{ "4000000000000127", "incorrect_cvc", "visa", RP_CARD_DECLINE,
	  "incorrect_cvc", "incorrect_cvc",
	  "Your card's security code is incorrect." },
	{ "4000000000000119", "processing_error", "visa", RP_CARD_DECLINE,
	  "processing_error", "processing_error",
	  "An error occurred while processing your card." },
	{ "4000000000000259", "dispute", "visa", RP_CARD_OK, NULL, NULL, NULL },
	{ "4000000000000341", "mit_fail", "visa", RP_CARD_MIT_FAIL,
	  "card_declined", "generic_decline", "Your card was declined." },
	{ "4000000000003220", "3ds", "visa", RP_CARD_3DS_OK, NULL, NULL, NULL },
	{ "4000008400001629", "3ds_decline", "visa", RP_CARD_3DS_DECLINE,
	  "card_declined", "generic_decline", "Your card was declined." },
};

const struct rp_paysim_card *
rp_paysim_card_find(const char *pan)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(cards); i++)
		if (strcmp(cards[i].pan, pan) == 0)
			return &cards[i];
	return NULL;
}

const struct rp_paysim_card *
rp_paysim_cards(size_t *n)
{
	*n = RP_ARRAY_LEN(cards);
	return cards;
}

const char *
rp_paysim_brand(const char *p)
{
	size_t n = strlen(p);
	int p2 = n >= 2 ? (p[0] - '0') * 10 + (p[1] - '0') : -1;
	int p4 = n >= 4 ? p2 * 100 + (p[2] - '0') * 10 + (p[3] - '0') : -1;

	if (p[0] == '4')
		return "visa";
	if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
		return "mastercard";
	if (p2 == 34 || p2 == 37)
		return "amex";
	if (p4 >= 3528 && p4 <= 3589)
		return "jcb";
	if (p2 == 36 || p2 == 38 || p2 == 39 || (p4 >= 3000 && p4 <= 3059))
		return "diners";
	if (p4 == 6011 || p2 == 65 || (p4 >= 6440 && p4 <= 6499))
		return "discover";
	if (p2 == 62)
		return "unionpay";
	return "unknown";
}

/*
 * Ids and fingerprints use lowercase letters and digits: with 36 symbols
 * a 24-character id is practically never a run of 13+ digits that the
 * PAN scanner would have to consider.
 */
static void
alnum(const unsigned char *in, size_t nin, char *out)
{
	static const char a[] = "0123456789abcdefghijklmnopqrstuvwxyz";

	for (size_t i = 0; i < nin; i++)
		out[i] = a[in[i] % 36];	/* slight bias: not a secret */
	out[nin] = '\0';
}

void
rp_paysim_id(const char *prefix, char *out, size_t n)
{
	unsigned char rnd[24];
	char s[25];

	randombytes_buf(rnd, sizeof(rnd));
	alnum(rnd, sizeof(rnd), s);
	snprintf(out, n, "%s_%s", prefix, s);
}

/* ---- secrets ---- */

static int
read_small(const char *path, char *buf, size_t cap, size_t *len,
    mode_t forbid)
{
	struct stat st;
	ssize_t k;
	int fd;

	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? RP_E_NOTFOUND : RP_E_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return RP_E_IO;
	}
	if ((st.st_mode & forbid) != 0) {
		close(fd);
		return RP_E_DENIED;
	}
	while ((k = read(fd, buf + *len, cap - *len)) > 0)
		*len += (size_t)k;
	close(fd);
	if (k < 0)
		return RP_E_IO;
	return *len < cap ? 0 : RP_E_TOOBIG;
}

static int
write_new(const char *path, const void *p, size_t n, mode_t mode)
{
	const char *c = p;
	ssize_t k;
	int fd;

	/* O_EXCL: two paysims starting at once never swap keys under each
	 * other's feet; the loser reads the winner's file. */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0)
		return errno == EEXIST ? RP_E_EXISTS : RP_E_IO;
	if (fchmod(fd, mode) != 0) {
		close(fd);
		unlink(path);
		return RP_E_IO;
	}
	while (n > 0) {
		if ((k = write(fd, c, n)) < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			unlink(path);
			return RP_E_IO;
		}
		c += k;
		n -= (size_t)k;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		unlink(path);
		return RP_E_IO;
	}
	return 0;
}

/* Loads or makes one secret: text "<prefix><48 hex>" (hex != 0) or raw
 * bytes (raw key of n bytes). */
/* mode: the file's; a merchant secret paylink reads is 0640 (its group,
 * under serve), the card key 0600.  A file more open than that is refused. */
static int
load_secret(struct rp_paysim *ps, const char *name, const char *prefix,
    unsigned char *out, size_t outcap, mode_t mode, struct rp_buf *err)
{
	char path[RP_CONF_PATH_MAX + 32];
	unsigned char rnd[24];
	char *buf = NULL;
	size_t len, plen = prefix ? strlen(prefix) : 0;
	size_t want = prefix ? plen + 48 : outcap;
	int r;

	snprintf(path, sizeof(path), "%s/%s", ps->dir, name);
	if ((buf = sodium_malloc(want + 2)) == NULL)
		return RP_E_NOMEM;
	for (int attempt = 0; attempt < 2; attempt++) {
		r = read_small(path, buf, want + 2, &len, 0777 & ~mode);
		if (r == RP_E_NOTFOUND) {
			if (prefix) {
				randombytes_buf(rnd, sizeof(rnd));
				memcpy(buf, prefix, plen);
				sodium_bin2hex(buf + plen, 49, rnd, sizeof(rnd));
				buf[want] = '\n';
				sodium_memzero(rnd, sizeof(rnd));
				r = write_new(path, buf, want + 1, mode);
			} else {
				randombytes_buf(buf, want);
				r = write_new(path, buf, want, mode);
			}
			if (r == RP_E_EXISTS)
				continue;
			if (r != 0)
				break;
			rp_log_info("paysim: made DATA/paysim/%s", name);
			continue;	/* read back what is on disk */
		}
		break;
	}
	if (r == RP_E_DENIED) {
		rp_buf_printf(err, "paysim: %s is open to others "
		    "(chmod %o)", path, (unsigned)mode);
		goto out;
	}
	if (r != 0) {
		rp_buf_printf(err, "paysim: cannot read or create %s: %s", path,
		    rp_strerror(r));
		goto out;
	}
	if (prefix) {
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			len--;
		if (len != want || memcmp(buf, prefix, plen) != 0 ||
		    strspn(buf + plen, "0123456789abcdef") < 48 ||
		    outcap < want + 1) {
			rp_buf_printf(err, "paysim: %s is not %s + 48 hex", path,
			    prefix);
			r = RP_E_INVAL;
			goto out;
		}
		memcpy(out, buf, want);
		out[want] = '\0';
	} else {
		if (len != want) {
			rp_buf_printf(err, "paysim: %s is not a %zu-byte key",
			    path, want);
			r = RP_E_INVAL;
			goto out;
		}
		memcpy(out, buf, want);
	}
 out:
	sodium_free(buf);
	return r;
}

int
rp_paysim_secrets_load(struct rp_paysim *ps, struct rp_buf *err)
{
	int r;

	ps->sk = sodium_malloc(RP_PAYSIM_SECRET_LEN + 8);
	ps->pk = sodium_malloc(RP_PAYSIM_SECRET_LEN + 8);
	ps->whsec = sodium_malloc(RP_PAYSIM_SECRET_LEN + 8);
	ps->card_key = sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
	if (!ps->sk || !ps->pk || !ps->whsec || !ps->card_key)
		return RP_E_NOMEM;
	if ((r = load_secret(ps, "api.secret", "sk_test_",
	    (unsigned char *)ps->sk, RP_PAYSIM_SECRET_LEN + 8, 0640,
	    err)) != 0 ||
	    (r = load_secret(ps, "publishable.key", "pk_test_",
	    (unsigned char *)ps->pk, RP_PAYSIM_SECRET_LEN + 8, 0644,
	    err)) != 0 ||
	    (r = load_secret(ps, "webhook.secret", "whsec_",
	    (unsigned char *)ps->whsec, RP_PAYSIM_SECRET_LEN + 8, 0640,
	    err)) != 0 ||
	    (r = load_secret(ps, "card.key", NULL, ps->card_key,
	    crypto_aead_xchacha20poly1305_ietf_KEYBYTES, 0600, err)) != 0)
		return r;
	return 0;
}

int
rp_paysim_secrets_prepare(const char *data_dir, struct rp_buf *err)
{
	struct rp_paysim *ps;
	int r;

	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return RP_E_NOMEM;
	snprintf(ps->dir, sizeof(ps->dir), "%s/paysim", data_dir);
	if (mkdir(ps->dir, 0700) != 0 && errno != EEXIST) {
		rp_buf_printf(err, "paysim: cannot create %s: %s", ps->dir,
		    strerror(errno));
		free(ps);
		return RP_E_IO;
	}
	r = rp_paysim_secrets_load(ps, err);
	rp_paysim_secrets_free(ps);
	free(ps);
	return r;
}

void
rp_paysim_secrets_free(struct rp_paysim *ps)
{
	sodium_free(ps->sk);		/* wipes */
	sodium_free(ps->pk);
	sodium_free(ps->whsec);
	sodium_free(ps->card_key);
	ps->sk = ps->pk = ps->whsec = NULL;
	ps->card_key = NULL;
}

/* ---- the card store ---- */

int
rp_paysim_card_store(struct rp_paysim *ps, const char *pan,
    const char *brand, int64_t exp_month, int64_t exp_year, char *id,
    size_t n)
{
	unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	unsigned char ct[24 + crypto_aead_xchacha20poly1305_ietf_ABYTES];
	unsigned char fpkey[32], fp[12];
	char fps[sizeof(fp) + 1];
	unsigned long long ctlen;
	size_t pl = strlen(pan);
	sqlite3_stmt *st;
	int r = RP_E_DB;

	if (pl > 24)
		return RP_E_INVAL;
	rp_paysim_id("card", id, n);
	randombytes_buf(nonce, sizeof(nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ctlen,
	    (const unsigned char *)pan, pl, (const unsigned char *)id,
	    strlen(id), NULL, nonce, ps->card_key);
	/* The fingerprint (same card, same value) uses a key derived from
	 * the card key, never the card key itself. */
	crypto_generichash(fpkey, sizeof(fpkey),
	    (const unsigned char *)"paysim fingerprint v1", 21, ps->card_key,
	    crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
	crypto_generichash(fp, sizeof(fp), (const unsigned char *)pan, pl,
	    fpkey, sizeof(fpkey));
	sodium_memzero(fpkey, sizeof(fpkey));
	alnum(fp, sizeof(fp), fps);
	st = rp_paysim_prep(ps, "INSERT INTO cards (id, nonce, pan_enc, brand, "
	    "last4, exp_month, exp_year, fingerprint) VALUES (?,?,?,?,?,?,?,?)");
	if (st == NULL)
		return RP_E_DB;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 2, nonce, sizeof(nonce), SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, ct, (int)ctlen, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, brand, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, pan + pl - 4, 4, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, exp_month);
	sqlite3_bind_int64(st, 7, exp_year);
	sqlite3_bind_text(st, 8, fps, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_DONE)
		r = 0;
	sqlite3_finalize(st);
	return r;
}

int
rp_paysim_card_open(struct rp_paysim *ps, const char *id, char *pan,
    size_t cap)
{
	unsigned long long pl;
	sqlite3_stmt *st;
	const void *nonce, *ct;
	int r = RP_E_NOTFOUND, s;

	pan[0] = '\0';
	st = rp_paysim_prep(ps, "SELECT nonce, pan_enc FROM cards WHERE id = ?");
	if (st == NULL)
		return RP_E_DB;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if ((s = sqlite3_step(st)) == SQLITE_ROW) {
		nonce = sqlite3_column_blob(st, 0);
		ct = sqlite3_column_blob(st, 1);
		size_t cl = (size_t)sqlite3_column_bytes(st, 1);

		r = RP_E_INVAL;
		if (nonce != NULL && ct != NULL &&
		    sqlite3_column_bytes(st, 0) ==
		    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES &&
		    cl >= crypto_aead_xchacha20poly1305_ietf_ABYTES &&
		    cl - crypto_aead_xchacha20poly1305_ietf_ABYTES < cap &&
		    crypto_aead_xchacha20poly1305_ietf_decrypt(
		    (unsigned char *)pan, &pl, NULL, ct, cl,
		    (const unsigned char *)id, strlen(id), nonce,
		    ps->card_key) == 0) {
			pan[pl] = '\0';
			r = 0;
		}
	} else if (s != SQLITE_DONE)
		r = RP_E_DB;
	sqlite3_finalize(st);
	return r;
}
