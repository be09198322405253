/* SPDX-License-Identifier: ISC */
/*
 * note.h — C2SP signed-note v1.0.0, tlog-checkpoint v1.0.0 and
 * tlog-cosignature v1.0.1 (Ed25519 via libsodium).  The log writer signs
 * checkpoints; the witness verifies them and adds cosignatures; `rentport
 * log verify` and independent tools (Go's sumdb/note) check both.
 *
 * Formats (byte exact):
 *   key id        first 4 bytes, big-endian, of SHA-256(name ‖ 0x0A ‖ type ‖ pubkey)
 *   verifier key  "<name>+<8 lowercase hex key id>+<base64(type ‖ pubkey)>"
 *   note          <text: lines ending "\n"> "\n" then one line per signature:
 *                 "— <name> <base64(key id[4] ‖ signature)>\n"  ("—" = U+2014)
 *   checkpoint    text = "<origin>\n<decimal size>\n<base64 root>\n[extension lines]"
 *   cosignature   type 0x04; signed message "cosignature/v1\ntime <t>\n" ‖
 *                 checkpoint text; line value base64(key id ‖ u64 BE t ‖ sig[64])
 *
 * Trust: rp_note_parse / rp_checkpoint_parse / rp_note_verifier_parse take
 * untrusted bytes (HTTP bodies, files) and are strict; nothing is trusted
 * until rp_note_verify returns 0 against keys the caller configured.
 * Secret keys live only inside struct rp_note_signer, in sodium_malloc
 * memory that is wiped and freed by rp_note_signer_free.
 */
#ifndef RP_ALOG_NOTE_H
#define RP_ALOG_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/errors.h"
#include "util/str.h"

#define RP_NOTE_ALG_ED25519	0x01	/* note signature over the text */
#define RP_NOTE_ALG_COSIG_V1	0x04	/* timestamped Ed25519 cosignature */

#define RP_NOTE_MAX_LEN		65536	/* whole note, bytes (parse cap) */
#define RP_NOTE_MAX_SIGS	100	/* signature lines per note */
#define RP_NOTE_MAX_NAME	255	/* key name, bytes */
#define RP_NOTE_MAX_SIG_B64	4096	/* one signature's base64, bytes */
#define RP_NOTE_SEED_LEN	32
#define RP_NOTE_PUB_LEN		32
/* Buffer size that holds any verifier key string produced here (+ NUL). */
#define RP_NOTE_VKEY_MAX	(RP_NOTE_MAX_NAME + 64)

/* A public key as named in notes: type 0x01 (log) or 0x04 (cosigner). */
struct rp_note_verifier {
	char name[RP_NOTE_MAX_NAME + 1];	/* NUL-terminated copy */
	size_t name_len;
	uint32_t id;				/* key id (big-endian on the wire) */
	uint8_t alg;				/* RP_NOTE_ALG_* */
	uint8_t pub[RP_NOTE_PUB_LEN];
};

/*
 * True if name is a valid key name: non-empty, at most RP_NOTE_MAX_NAME
 * bytes, valid UTF-8, no control characters, no Unicode white space, no
 * '+'.  Checkpoint origins follow the same rule.
 */
bool rp_note_name_valid(struct rp_str name);

/* Key id of (name, alg, pub); computes, never fails. */
uint32_t rp_note_key_id(struct rp_str name, uint8_t alg,
    const uint8_t pub[RP_NOTE_PUB_LEN]);

/*
 * Fills *v from its parts (computes the id).  RP_E_INVAL for an invalid
 * name or an alg other than 0x01 / 0x04.
 */
int rp_note_verifier_init(struct rp_note_verifier *v, struct rp_str name,
    uint8_t alg, const uint8_t pub[RP_NOTE_PUB_LEN]) RP_WARN_UNUSED;

/*
 * Parses a verifier key string "<name>+<hex8>+<base64>" (untrusted).  The
 * hex must be 8 lowercase digits equal to the computed id; the key data
 * must decode to exactly 33 bytes with alg 0x01 or 0x04.  0, or RP_E_INVAL
 * (*v zeroed).
 */
int rp_note_verifier_parse(struct rp_str s, struct rp_note_verifier *v)
    RP_WARN_UNUSED;

/* Appends the verifier key string of v to out: 0 or out's error. */
int rp_note_verifier_format(const struct rp_note_verifier *v,
    struct rp_buf *out);

/*
 * ---- Signing ----
 * Opaque; holds the Ed25519 secret key in sodium_malloc memory.
 */
struct rp_note_signer;

/*
 * New signer for key name `name` and algorithm alg (0x01 to sign notes,
 * 0x04 to cosign checkpoints) from a 32-byte Ed25519 seed (RFC 8032
 * secret key).  The caller should wipe its copy of the seed.  0, RP_E_INVAL
 * (bad name/alg), RP_E_NOMEM.  *out is NULL on failure.
 */
int rp_note_signer_new(struct rp_str name, uint8_t alg,
    const uint8_t seed[RP_NOTE_SEED_LEN],
    struct rp_note_signer **out /* owned: rp_note_signer_free */)
    RP_WARN_UNUSED;
/* Wipes and frees; NULL-safe. */
void rp_note_signer_free(struct rp_note_signer *s);
/* The signer's public key (borrowed: lives as long as s). */
const struct rp_note_verifier *rp_note_signer_verifier(
    const struct rp_note_signer *s);

/*
 * Appends one signature line "— <name> <base64>\n" for text to out.  s must
 * be an alg 0x01 signer; text must be a valid note text (non-empty, ends in
 * "\n", UTF-8, no control characters but "\n").  0, RP_E_INVAL, or out's
 * error.
 */
int rp_note_sign_line(const struct rp_note_signer *s, struct rp_str text,
    struct rp_buf *out) RP_WARN_UNUSED;

/*
 * Appends the complete note: text, "\n", then one signature line per
 * signer (alg 0x01 each), in the order given.  0, RP_E_INVAL, or out's
 * error.
 */
int rp_note_sign(struct rp_str text,
    const struct rp_note_signer *const *signers, size_t nsigners,
    struct rp_buf *out) RP_WARN_UNUSED;

/*
 * Appends a tlog-cosignature/v1 line for checkpoint text `text` at `time`
 * (seconds since the epoch): "— <name> base64(id ‖ u64be time ‖ sig)\n".
 * s must be an alg 0x04 signer.  The caller is responsible for having
 * verified the checkpoint first.  0, RP_E_INVAL, or out's error.
 */
int rp_note_cosign_line(const struct rp_note_signer *s, struct rp_str text,
    uint64_t time, struct rp_buf *out) RP_WARN_UNUSED;

/*
 * ---- Parsing and verification (untrusted input) ----
 */
struct rp_note_sig {
	struct rp_str name;	/* borrowed from the parsed message */
	uint32_t id;
	struct rp_str b64;	/* the signature after the key id, still base64 */
	size_t sig_len;		/* decoded length of the signature (no key id) */
};

struct rp_note {
	struct rp_str text;	/* borrowed; includes the final "\n" */
	size_t nsigs;		/* 1..RP_NOTE_MAX_SIGS */
	struct rp_note_sig sigs[RP_NOTE_MAX_SIGS];
};

/*
 * Parses a signed note (the whole message; no NUL needed).  Strict: at most
 * RP_NOTE_MAX_LEN bytes, valid UTF-8, no control characters but "\n", ends
 * in "\n"; split at the LAST "\n\n"; text non-empty; every signature line
 * is exactly "— <valid name> <canonical base64 of >= 5 bytes>"; 1 to
 * RP_NOTE_MAX_SIGS lines.  Views in *n borrow msg.  0, RP_E_INVAL or
 * RP_E_TOOBIG (*n zeroed).
 */
int rp_note_parse(struct rp_str msg, struct rp_note *n) RP_WARN_UNUSED;

/* Per known key: did a signature by it verify (and at what cosig time). */
struct rp_note_result {
	bool verified;
	uint64_t time;		/* alg 0x04 only: the cosignature timestamp */
};

/*
 * Verifies the signatures of n against the known keys (alg 0x01: Ed25519
 * over the text; alg 0x04: cosignature/v1 over the text as a checkpoint).
 * Signature lines whose (name, id) match no known key are ignored, and so
 * are repeats of one (name, id) after the first.  res, if not NULL, has
 * nkeys entries and says which keys verified.
 *   0            at least one known key verified and none failed
 *   RP_E_DENIED  a signature by a known key did not verify
 *   RP_E_NOTFOUND no signature by any known key
 */
int rp_note_verify(const struct rp_note *n,
    const struct rp_note_verifier *keys, size_t nkeys,
    struct rp_note_result *res /* nkeys entries, or NULL */) RP_WARN_UNUSED;

/*
 * ---- Checkpoints ----
 */
struct rp_checkpoint {
	struct rp_str origin;	/* borrowed from the text */
	uint64_t size;
	uint8_t root[32];
	struct rp_str ext;	/* extension lines incl. their "\n"; may be empty */
};

/*
 * Parses checkpoint note text (rp_note.text).  Strict: origin a valid key
 * name; size decimal without leading zeros (just "0" for zero) that fits
 * uint64; root canonical base64 of exactly 32 bytes; every extension line
 * non-empty.  0 or RP_E_INVAL (*cp zeroed).
 */
int rp_checkpoint_parse(struct rp_str text, struct rp_checkpoint *cp)
    RP_WARN_UNUSED;

/*
 * Appends checkpoint text for (origin, size, root) plus the extension
 * lines ext (empty, or lines each ending "\n").  0, RP_E_INVAL (bad origin
 * or ext), or out's error.
 */
int rp_checkpoint_format(struct rp_str origin, uint64_t size,
    const uint8_t root[32], struct rp_str ext, struct rp_buf *out)
    RP_WARN_UNUSED;

/*
 * Convenience for witnesses and verifiers: parses msg as a note, verifies
 * it against keys (rp_note_verify rules), parses its text as a checkpoint
 * and requires cp->origin to equal expect_origin (unless expect_origin.p
 * is NULL).  *n and *cp borrow msg.  0; RP_E_INVAL (malformed or wrong
 * origin); RP_E_DENIED; RP_E_NOTFOUND.
 */
int rp_checkpoint_open(struct rp_str msg, struct rp_str expect_origin,
    const struct rp_note_verifier *keys, size_t nkeys, struct rp_note *n,
    struct rp_checkpoint *cp, struct rp_note_result *res) RP_WARN_UNUSED;

#endif
