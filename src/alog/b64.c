/* SPDX-License-Identifier: ISC */
/*
 * b64.c — strict standard base64 for notes, checkpoints and keys (b64.h).
 * Decoding faces untrusted input (HTTP bodies, files): it accepts exactly
 * one spelling per byte string, so that a signed text cannot be re-encoded
 * into a different but "equal" one.
 */
#include "util/common.h"

#include "alog/b64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
rp_b64_encoded_len(size_t n)
{
	if (n > (SIZE_MAX / 4) * 3 - 3)
		return SIZE_MAX;
	return (n + 2) / 3 * 4;
}

int
rp_b64_encode(const void *p, size_t n, struct rp_buf *out)
{
	const uint8_t *s = p;
	char q[4];
	size_t i;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		q[0] = alphabet[v >> 18];
		q[1] = alphabet[(v >> 12) & 63];
		q[2] = alphabet[(v >> 6) & 63];
		q[3] = alphabet[v & 63];
		rp_buf_add(out, q, 4);
	}
	if (n - i == 1) {
		v = (uint32_t)s[i] << 16;
		q[0] = alphabet[v >> 18];
		q[1] = alphabet[(v >> 12) & 63];
		q[2] = q[3] = '=';
		rp_buf_add(out, q, 4);
	} else if (n - i == 2) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		q[0] = alphabet[v >> 18];
		q[1] = alphabet[(v >> 12) & 63];
		q[2] = alphabet[(v >> 6) & 63];
		q[3] = '=';
		rp_buf_add(out, q, 4);
	}
	return out->err;
}

static int
val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
rp_b64_decode(struct rp_str s, uint8_t *out, size_t cap, size_t *out_len)
{
	const unsigned char *p = (const unsigned char *)s.p;
	size_t i, o = 0, pad = 0, need;
	int a, b, c, d;

	*out_len = 0;
	if (s.n % 4 != 0)
		return RP_E_INVAL;
	if (s.n > 0 && p[s.n - 1] == '=')
		pad = p[s.n - 2] == '=' ? 2 : 1;
	need = s.n / 4 * 3 - pad;
	if (need > cap)
		return RP_E_TOOBIG;
	for (i = 0; i < s.n; i += 4) {
		bool last = i + 4 == s.n;

		a = val(p[i]);
		b = val(p[i + 1]);
		if (a < 0 || b < 0)
			return RP_E_INVAL;
		if (last && pad == 2) {
			/* "xx==": the low 4 bits of the second symbol are unused. */
			if ((b & 15) != 0)
				return RP_E_INVAL;
			out[o++] = (uint8_t)(a << 2 | b >> 4);
			break;
		}
		c = val(p[i + 2]);
		if (c < 0)
			return RP_E_INVAL;
		if (last && pad == 1) {
			if ((c & 3) != 0)
				return RP_E_INVAL;
			out[o++] = (uint8_t)(a << 2 | b >> 4);
			out[o++] = (uint8_t)((b & 15) << 4 | c >> 2);
			break;
		}
		d = val(p[i + 3]);
		if (d < 0)
			return RP_E_INVAL;
		out[o++] = (uint8_t)(a << 2 | b >> 4);
		out[o++] = (uint8_t)((b & 15) << 4 | c >> 2);
		out[o++] = (uint8_t)((c & 3) << 6 | d);
	}
	*out_len = o;
	return 0;
}
