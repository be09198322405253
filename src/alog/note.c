/* SPDX-License-Identifier: ISC */
/*
 * note.c — C2SP signed notes, checkpoints and tlog-cosignature/v1 (see
 * note.h).  Signing runs in the log writer (alg 0x01) and the witness
 * (alg 0x04); parsing and verification run wherever a note arrives and
 * treat every byte as hostile until a configured key has verified it.
 * Ed25519 comes from libsodium; the secret key never leaves sodium_malloc
 * memory.
 */
#include "util/common.h"

#include <sodium.h>
#include <openssl/evp.h>

#include "alog/b64.h"
#include "alog/note.h"

#define SIG_LEN		crypto_sign_BYTES	/* 64 */
#define COSIG_LEN	(8 + SIG_LEN)
#define EMDASH		"\xe2\x80\x94"		/* U+2014 */
#define SIG_PREFIX	EMDASH " "

struct rp_note_signer {
	struct rp_note_verifier v;
	unsigned char *sk;		/* sodium_malloc, crypto_sign_SECRETKEYBYTES */
};

/* ---- UTF-8 helpers (input already known to be valid UTF-8) ---- */

static uint32_t
next_rune(const unsigned char *p, size_t n, size_t *len)
{
	if (p[0] < 0x80 || n < 2) {
		*len = 1;
		return p[0];
	}
	if (p[0] < 0xe0) {
		*len = 2;
		return (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
	}
	if (p[0] < 0xf0 && n >= 3) {
		*len = 3;
		return (uint32_t)(p[0] & 0x0f) << 12 |
		    (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	}
	if (n >= 4) {
		*len = 4;
		return (uint32_t)(p[0] & 0x07) << 18 |
		    (uint32_t)(p[1] & 0x3f) << 12 |
		    (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
	}
	*len = 1;
	return 0xfffd;
}

static bool
is_control(uint32_t r)
{
	return r < 0x20 || (r >= 0x7f && r <= 0x9f);
}

/* Unicode White_Space (what Go's unicode.IsSpace reports). */
static bool
is_space(uint32_t r)
{
	return (r >= 0x09 && r <= 0x0d) || r == 0x20 || r == 0x85 ||
	    r == 0xa0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200a) ||
	    r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f ||
	    r == 0x3000;
}

/* Valid UTF-8 with no control characters except '\n'. */
static bool
text_chars_ok(struct rp_str s)
{
	const unsigned char *p = (const unsigned char *)s.p;
	size_t i, len;
	uint32_t r;

	if (!rp_utf8_valid(s))
		return false;
	for (i = 0; i < s.n; i += len) {
		r = next_rune(p + i, s.n - i, &len);
		if (r != '\n' && is_control(r))
			return false;
	}
	return true;
}

/* A note text: non-empty, ends in "\n", clean characters. */
static bool
text_ok(struct rp_str t)
{
	return t.n > 0 && t.p[t.n - 1] == '\n' && text_chars_ok(t);
}

bool
rp_note_name_valid(struct rp_str name)
{
	const unsigned char *p = (const unsigned char *)name.p;
	size_t i, len;
	uint32_t r;

	if (name.n == 0 || name.n > RP_NOTE_MAX_NAME || !rp_utf8_valid(name))
		return false;
	for (i = 0; i < name.n; i += len) {
		r = next_rune(p + i, name.n - i, &len);
		if (r == '+' || is_control(r) || is_space(r))
			return false;
	}
	return true;
}

/* ---- keys ---- */

uint32_t
rp_note_key_id(struct rp_str name, uint8_t alg, const uint8_t pub[32])
{
	uint8_t h[EVP_MAX_MD_SIZE], nl = 0x0a;
	EVP_MD_CTX *c;
	unsigned int hl = 0;

	/* Not hot: one-shot contexts keep this free of shared state. */
	if ((c = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, name.p, name.n) != 1 ||
	    EVP_DigestUpdate(c, &nl, 1) != 1 ||
	    EVP_DigestUpdate(c, &alg, 1) != 1 ||
	    EVP_DigestUpdate(c, pub, RP_NOTE_PUB_LEN) != 1 ||
	    EVP_DigestFinal_ex(c, h, &hl) != 1 || hl != 32) {
		EVP_MD_CTX_free(c);
		abort();	/* SHA-256 missing: broken invariant */
	}
	EVP_MD_CTX_free(c);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];
}

int
rp_note_verifier_init(struct rp_note_verifier *v, struct rp_str name,
    uint8_t alg, const uint8_t pub[32])
{
	memset(v, 0, sizeof(*v));
	if (!rp_note_name_valid(name) ||
	    (alg != RP_NOTE_ALG_ED25519 && alg != RP_NOTE_ALG_COSIG_V1))
		return RP_E_INVAL;
	memcpy(v->name, name.p, name.n);
	v->name[name.n] = '\0';
	v->name_len = name.n;
	v->alg = alg;
	memcpy(v->pub, pub, RP_NOTE_PUB_LEN);
	v->id = rp_note_key_id(name, alg, pub);
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
rp_note_verifier_parse(struct rp_str s, struct rp_note_verifier *v)
{
	struct rp_str name, hex, rest = s;
	uint8_t key[1 + RP_NOTE_PUB_LEN + 3];
	size_t klen, i;
	uint32_t id = 0;
	int d, r;

	memset(v, 0, sizeof(*v));
	if (!rp_str_split(&rest, '+', &name) || !rp_str_split(&rest, '+', &hex))
		return RP_E_INVAL;
	if (hex.n != 8)
		return RP_E_INVAL;
	for (i = 0; i < 8; i++) {
		if ((d = hexval(hex.p[i])) < 0)
			return RP_E_INVAL;
		id = id << 4 | (uint32_t)d;
	}
	if (rp_b64_decode(rest, key, sizeof(key), &klen) != 0 ||
	    klen != 1 + RP_NOTE_PUB_LEN)
		return RP_E_INVAL;
	if ((r = rp_note_verifier_init(v, name, key[0], key + 1)) != 0)
		return r;
	if (v->id != id) {
		memset(v, 0, sizeof(*v));
		return RP_E_INVAL;
	}
	return 0;
}

int
rp_note_verifier_format(const struct rp_note_verifier *v, struct rp_buf *out)
{
	uint8_t key[1 + RP_NOTE_PUB_LEN];

	key[0] = v->alg;
	memcpy(key + 1, v->pub, RP_NOTE_PUB_LEN);
	rp_buf_add(out, v->name, v->name_len);
	rp_buf_printf(out, "+%08" PRIx32 "+", v->id);
	return rp_b64_encode(key, sizeof(key), out);
}

/* ---- signing ---- */

int
rp_note_signer_new(struct rp_str name, uint8_t alg, const uint8_t seed[32],
    struct rp_note_signer **out)
{
	struct rp_note_signer *s = NULL;
	uint8_t pub[crypto_sign_PUBLICKEYBYTES];
	int r;

	*out = NULL;
	if (sodium_init() < 0)
		return RP_E_STATE;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return RP_E_NOMEM;
	if ((s->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	if (crypto_sign_seed_keypair(pub, s->sk, seed) != 0) {
		r = RP_E_STATE;
		goto out;
	}
	if ((r = rp_note_verifier_init(&s->v, name, alg, pub)) != 0)
		goto out;
	*out = s;
	s = NULL;			/* transferred */
 out:
	rp_note_signer_free(s);
	return r;
}

void
rp_note_signer_free(struct rp_note_signer *s)
{
	if (s == NULL)
		return;
	sodium_free(s->sk);		/* wipes before freeing; NULL-safe */
	free(s);
}

const struct rp_note_verifier *
rp_note_signer_verifier(const struct rp_note_signer *s)
{
	return &s->v;
}

/* Appends "— name base64(id ‖ body)\n". */
static int
add_sig_line(const struct rp_note_verifier *v, const uint8_t *body,
    size_t blen, struct rp_buf *out)
{
	uint8_t raw[4 + COSIG_LEN];

	raw[0] = (uint8_t)(v->id >> 24);
	raw[1] = (uint8_t)(v->id >> 16);
	raw[2] = (uint8_t)(v->id >> 8);
	raw[3] = (uint8_t)v->id;
	memcpy(raw + 4, body, blen);
	rp_buf_add_c(out, SIG_PREFIX);
	rp_buf_add(out, v->name, v->name_len);
	rp_buf_add_ch(out, ' ');
	rp_b64_encode(raw, 4 + blen, out);
	return rp_buf_add_ch(out, '\n');
}

int
rp_note_sign_line(const struct rp_note_signer *s, struct rp_str text,
    struct rp_buf *out)
{
	uint8_t sig[SIG_LEN];

	if (s->v.alg != RP_NOTE_ALG_ED25519 || !text_ok(text))
		return RP_E_INVAL;
	if (crypto_sign_detached(sig, NULL, (const unsigned char *)text.p,
	    text.n, s->sk) != 0)
		return RP_E_STATE;
	return add_sig_line(&s->v, sig, SIG_LEN, out);
}

int
rp_note_sign(struct rp_str text, const struct rp_note_signer *const *signers,
    size_t nsigners, struct rp_buf *out)
{
	size_t i;
	int r;

	if (!text_ok(text) || nsigners == 0 || nsigners > RP_NOTE_MAX_SIGS)
		return RP_E_INVAL;
	for (i = 0; i < nsigners; i++)
		if (signers[i]->v.alg != RP_NOTE_ALG_ED25519)
			return RP_E_INVAL;
	rp_buf_add_str(out, text);
	if ((r = rp_buf_add_ch(out, '\n')) != 0)
		return r;
	for (i = 0; i < nsigners; i++)
		if ((r = rp_note_sign_line(signers[i], text, out)) != 0)
			return r;
	return 0;
}

/* "cosignature/v1\ntime <t>\n" ‖ text, into a fresh buffer. */
static int
cosig_message(struct rp_str text, uint64_t time, struct rp_buf *m)
{
	rp_buf_init(m, RP_NOTE_MAX_LEN + 64);
	rp_buf_printf(m, "cosignature/v1\ntime %" PRIu64 "\n", time);
	return rp_buf_add_str(m, text);
}

int
rp_note_cosign_line(const struct rp_note_signer *s, struct rp_str text,
    uint64_t time, struct rp_buf *out)
{
	struct rp_buf m;
	uint8_t body[COSIG_LEN];
	int i, r;

	if (s->v.alg != RP_NOTE_ALG_COSIG_V1 || !text_ok(text))
		return RP_E_INVAL;
	if ((r = cosig_message(text, time, &m)) != 0)
		goto out;
	for (i = 0; i < 8; i++)
		body[i] = (uint8_t)(time >> (56 - 8 * i));
	if (crypto_sign_detached(body + 8, NULL, (const unsigned char *)m.d,
	    m.len, s->sk) != 0) {
		r = RP_E_STATE;
		goto out;
	}
	r = add_sig_line(&s->v, body, COSIG_LEN, out);
 out:
	rp_buf_release(&m);
	return r;
}

/* ---- parsing ---- */

/* One "— name base64\n" line (without its "\n"). */
static int
parse_sig_line(struct rp_str line, struct rp_note_sig *sig)
{
	uint8_t raw[RP_NOTE_MAX_SIG_B64 / 4 * 3];
	struct rp_str rest, name;
	size_t rlen;

	if (!rp_str_has_prefix(line, SIG_PREFIX))
		return RP_E_INVAL;
	rest = (struct rp_str){ line.p + 4, line.n - 4 };
	if (!rp_str_split(&rest, ' ', &name) || !rp_note_name_valid(name))
		return RP_E_INVAL;
	if (rest.n > RP_NOTE_MAX_SIG_B64 ||
	    rp_b64_decode(rest, raw, sizeof(raw), &rlen) != 0 || rlen < 5)
		return RP_E_INVAL;
	sig->name = name;
	sig->id = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
	    (uint32_t)raw[2] << 8 | raw[3];
	sig->sig_len = rlen - 4;
	sig->b64 = rest;
	return 0;
}

int
rp_note_parse(struct rp_str msg, struct rp_note *n)
{
	struct rp_str sigs, line;
	size_t i;

	memset(n, 0, sizeof(*n));
	if (msg.n > RP_NOTE_MAX_LEN)
		return RP_E_TOOBIG;
	if (msg.n < 2 || msg.p[msg.n - 1] != '\n' || !text_chars_ok(msg))
		return RP_E_INVAL;
	/* Split at the LAST blank line: text keeps its final "\n". */
	for (i = msg.n - 1; i > 0; i--)
		if (msg.p[i] == '\n' && msg.p[i - 1] == '\n')
			break;
	if (i == 0)
		return RP_E_INVAL;
	n->text = (struct rp_str){ msg.p, i };
	sigs = (struct rp_str){ msg.p + i + 1, msg.n - i - 1 };
	if (sigs.n == 0)
		goto fail;
	while (sigs.n > 0) {
		if (n->nsigs == RP_NOTE_MAX_SIGS)
			goto fail;
		if (!rp_str_split(&sigs, '\n', &line) ||
		    parse_sig_line(line, &n->sigs[n->nsigs]) != 0)
			goto fail;
		n->nsigs++;
	}
	return 0;
 fail:
	memset(n, 0, sizeof(*n));
	return RP_E_INVAL;
}

/* ---- verification ---- */

static int
verify_one(const struct rp_note *n, const struct rp_note_verifier *k,
    const struct rp_note_sig *sig, uint64_t *time)
{
	uint8_t raw[4 + COSIG_LEN];
	struct rp_buf m;
	size_t rlen;
	uint64_t t = 0;
	int i, r;

	if (rp_b64_decode(sig->b64, raw, sizeof(raw), &rlen) != 0)
		return RP_E_DENIED;
	if (k->alg == RP_NOTE_ALG_ED25519) {
		if (rlen != 4 + SIG_LEN ||
		    crypto_sign_verify_detached(raw + 4,
		    (const unsigned char *)n->text.p, n->text.n, k->pub) != 0)
			return RP_E_DENIED;
		return 0;
	}
	if (k->alg != RP_NOTE_ALG_COSIG_V1 || rlen != 4 + COSIG_LEN)
		return RP_E_DENIED;
	for (i = 0; i < 8; i++)
		t = t << 8 | raw[4 + i];
	if (cosig_message(n->text, t, &m) != 0) {
		rp_buf_release(&m);
		return RP_E_NOMEM;
	}
	r = crypto_sign_verify_detached(raw + 12, (const unsigned char *)m.d,
	    m.len, k->pub) == 0 ? 0 : RP_E_DENIED;
	rp_buf_release(&m);
	if (r == 0)
		*time = t;
	return r;
}

int
rp_note_verify(const struct rp_note *n, const struct rp_note_verifier *keys,
    size_t nkeys, struct rp_note_result *res)
{
	bool seen[64], *seenp = seen;
	size_t i, j, good = 0;
	uint64_t t;
	int r = 0;

	if (res != NULL)
		memset(res, 0, nkeys * sizeof(*res));
	if (sodium_init() < 0)
		return RP_E_STATE;
	if (nkeys > RP_ARRAY_LEN(seen) &&
	    (seenp = calloc(nkeys, sizeof(*seenp))) == NULL)
		return RP_E_NOMEM;
	if (nkeys <= RP_ARRAY_LEN(seen))
		memset(seen, 0, sizeof(seen));
	for (i = 0; i < n->nsigs; i++) {
		const struct rp_note_sig *sig = &n->sigs[i];

		for (j = 0; j < nkeys; j++)
			if (keys[j].id == sig->id &&
			    rp_str_eq((struct rp_str){ keys[j].name,
			    keys[j].name_len }, sig->name))
				break;
		if (j == nkeys || seenp[j])
			continue;	/* unknown key, or a repeat */
		seenp[j] = true;
		t = 0;
		if ((r = verify_one(n, &keys[j], sig, &t)) != 0)
			goto out;
		good++;
		if (res != NULL) {
			res[j].verified = true;
			res[j].time = t;
		}
	}
	r = good > 0 ? 0 : RP_E_NOTFOUND;
 out:
	if (r != 0 && res != NULL)
		memset(res, 0, nkeys * sizeof(*res));
	if (seenp != seen)
		free(seenp);
	return r;
}

/* ---- checkpoints ---- */

int
rp_checkpoint_parse(struct rp_str text, struct rp_checkpoint *cp)
{
	struct rp_str rest = text, origin, size, root, line;
	size_t rlen;

	memset(cp, 0, sizeof(*cp));
	if (text.n == 0 || text.p[text.n - 1] != '\n' || !text_chars_ok(text))
		goto fail;
	if (!rp_str_split(&rest, '\n', &origin) ||
	    !rp_str_split(&rest, '\n', &size) ||
	    !rp_str_split(&rest, '\n', &root))
		goto fail;
	if (!rp_note_name_valid(origin))
		goto fail;
	if (size.n == 0 || (size.n > 1 && size.p[0] == '0') ||
	    rp_str_to_u64(size, UINT64_MAX, &cp->size) != 0)
		goto fail;
	if (root.n != 44 || rp_b64_decode(root, cp->root, sizeof(cp->root),
	    &rlen) != 0 || rlen != 32)
		goto fail;
	cp->ext = rest;
	while (rest.n > 0)
		if (!rp_str_split(&rest, '\n', &line) || line.n == 0)
			goto fail;
	cp->origin = origin;
	return 0;
 fail:
	memset(cp, 0, sizeof(*cp));
	return RP_E_INVAL;
}

int
rp_checkpoint_format(struct rp_str origin, uint64_t size,
    const uint8_t root[32], struct rp_str ext, struct rp_buf *out)
{
	struct rp_str rest = ext, line;

	if (!rp_note_name_valid(origin))
		return RP_E_INVAL;
	if (ext.n > 0) {
		if (ext.p[ext.n - 1] != '\n' || !text_chars_ok(ext))
			return RP_E_INVAL;
		while (rest.n > 0)
			if (!rp_str_split(&rest, '\n', &line) || line.n == 0)
				return RP_E_INVAL;
	}
	rp_buf_add_str(out, origin);
	rp_buf_printf(out, "\n%" PRIu64 "\n", size);
	rp_b64_encode(root, 32, out);
	rp_buf_add_ch(out, '\n');
	return rp_buf_add_str(out, ext);
}

int
rp_checkpoint_open(struct rp_str msg, struct rp_str expect_origin,
    const struct rp_note_verifier *keys, size_t nkeys, struct rp_note *n,
    struct rp_checkpoint *cp, struct rp_note_result *res)
{
	int r;

	memset(cp, 0, sizeof(*cp));
	if ((r = rp_note_parse(msg, n)) != 0)
		return r;
	if ((r = rp_checkpoint_parse(n->text, cp)) != 0)
		return r;
	if (expect_origin.p != NULL && !rp_str_eq(cp->origin, expect_origin)) {
		memset(cp, 0, sizeof(*cp));
		return RP_E_INVAL;
	}
	if ((r = rp_note_verify(n, keys, nkeys, res)) != 0) {
		memset(cp, 0, sizeof(*cp));
		return r;
	}
	return 0;
}
