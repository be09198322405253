/* SPDX-License-Identifier: ISC */
/*
 * fuzz.c — libFuzzer target for the query/form decoder (rp_form_decode,
 * src/web/decode.c).  Checks, for every accepted input, the limits and
 * the shape of each field (non-empty UTF-8 key without control bytes,
 * UTF-8 value without NUL, NUL-terminated views inside the form's own
 * memory), that lookups find the first field of a key, and that a refused
 * input leaves an empty form.
 */
#include "util/common.h"
#include "web/decode.h"
#include "../fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* half the inputs with bad UTF-8 kept (the sites' forms) */
	const struct rp_form_limits lim = { 16, 32, 256, 4096,
	    size > 0 && (data[0] & 1) };
	struct rp_form f;
	struct rp_str v;
	size_t i, k, total = 0;
	int r;

	rp_form_init(&f);
	r = rp_form_decode((struct rp_str){ (const char *)data, size }, &lim, &f);
	if (r != 0) {
		check(r == RP_E_INVAL || r == RP_E_TOOBIG || r == RP_E_NOMEM);
		check(f.n == 0 && f.mem == NULL);
		return 0;
	}
	check(f.n <= lim.max_fields);
	for (i = 0; i < f.n; i++) {
		struct rp_form_field *fl = &f.f[i];

		check(fl->key.n >= 1 && fl->key.n <= lim.max_key);
		check(fl->value.n <= lim.max_value);
		check(rp_utf8_valid(fl->key) && rp_utf8_valid(fl->value));
		check(fl->key.p[fl->key.n] == '\0' && fl->value.p[fl->value.n] == '\0');
		for (k = 0; k < fl->key.n; k++)
			check((unsigned char)fl->key.p[k] >= 0x20 &&
			    fl->key.p[k] != 0x7f);
		check(memchr(fl->value.p, '\0', fl->value.n) == NULL);
		total += fl->key.n + fl->value.n;
		/* The first field with this key is the one rp_form_get finds. */
		check(rp_form_get(&f, fl->key.p, &v) == 0);
		for (k = 0; k < i; k++)
			if (rp_str_eq(f.f[k].key, fl->key))
				break;
		check(v.p == f.f[k].value.p);
	}
	check(total <= size);
	rp_form_release(&f);
	return 0;
}
