/* SPDX-License-Identifier: ISC */
/*
 * fuzz.c — libFuzzer target for the request path decoder
 * (rp_path_decode, src/web/decode.c).  Besides "no crash", it checks the
 * decoder's promises on every accepted input: the result starts with '/',
 * fits the cap, is valid UTF-8, holds no NUL, control byte or backslash,
 * no empty segment except a trailing one and no "." / ".." segment; and a
 * refused input leaves the output empty.
 */
#include "util/common.h"
#include "web/decode.h"
#include "../fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_buf out;
	struct rp_str p, seg;
	size_t i;
	int r;

	rp_buf_init(&out, 1024);
	r = rp_path_decode((struct rp_str){ (const char *)data, size }, &out);
	if (r != 0) {
		check(r == RP_E_INVAL || r == RP_E_TOOBIG || r == RP_E_NOMEM);
		check(out.len == 0);
		goto out;
	}
	p = rp_buf_str(&out);
	check(p.n >= 1 && p.n <= 1024 && p.p[0] == '/');
	check(p.n <= size);
	check(rp_utf8_valid(p));
	for (i = 0; i < p.n; i++) {
		unsigned char c = (unsigned char)p.p[i];

		check(c >= 0x20 && c != 0x7f && c != '\\');
	}
	p.p++, p.n--;
	while (rp_str_split(&p, '/', &seg)) {
		check(seg.n > 0);
		check(!rp_str_eq_c(seg, ".") && !rp_str_eq_c(seg, ".."));
	}
	check(!rp_str_eq_c(p, ".") && !rp_str_eq_c(p, ".."));
 out:
	rp_buf_release(&out);
	return 0;
}
