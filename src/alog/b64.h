/* SPDX-License-Identifier: ISC */
/*
 * b64.h — standard base64 (RFC 4648 §4, alphabet A–Z a–z 0–9 + /, with
 * '=' padding) for signed notes, checkpoints and verifier keys.  Decoding
 * is strict because its input is untrusted: length a multiple of 4, no
 * whitespace or line breaks, padding only at the end, and the unused low
 * bits of the last symbol must be zero (one canonical text per value).
 */
#ifndef RP_ALOG_B64_H
#define RP_ALOG_B64_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/str.h"

/* Encoded length of n bytes (no NUL); SIZE_MAX if that overflows. */
size_t rp_b64_encoded_len(size_t n);

/* Appends the encoding of n bytes to out: 0 or out's error (sticky). */
int rp_b64_encode(const void *p, size_t n, struct rp_buf *out);

/*
 * Decodes s into out (room for cap bytes); *out_len gets the byte count.
 * 0; RP_E_INVAL if s is not canonical base64; RP_E_TOOBIG if the result
 * would exceed cap.  On failure *out_len is 0 (out may be partly written).
 */
int rp_b64_decode(struct rp_str s, uint8_t *out, size_t cap, size_t *out_len)
    RP_WARN_UNUSED;

#endif
