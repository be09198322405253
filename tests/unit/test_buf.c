/* SPDX-License-Identifier: ISC */
/* test_buf.c — capped buffer: invariants, hard maximum, sticky error. */
#include "util/common.h"
#include "util/buf.h"
#include "tap.h"

static void
check_invariants(const struct rp_buf *b, const char *what)
{
	ok(b->len <= b->max && (b->d == NULL || (b->len < b->cap &&
	    b->d[b->len] == '\0')), what);
}

int
main(void)
{
	struct rp_buf b;
	char *d;
	size_t n;

	rp_buf_init(&b, 10);
	ok(b.d == NULL && b.len == 0, "init allocates nothing");
	is_str(rp_buf_str(&b).p, "", "empty view is a valid string");
	is_int(rp_buf_add_c(&b, "hello"), 0, "append");
	check_invariants(&b, "invariants after append");
	is_int(rp_buf_printf(&b, "%d%s", 12, "345"), 0, "printf to exactly max");
	is_str(b.d, "hello12345", "contents");
	is_int(b.len, 10, "len at max");
	check_invariants(&b, "invariants at max");
	is_int(rp_buf_add_ch(&b, 'x'), RP_E_TOOBIG, "one past max refused");
	is_str(b.d, "hello12345", "contents unchanged after failure");
	is_int(rp_buf_add_c(&b, ""), RP_E_TOOBIG, "error is sticky");
	rp_buf_reset(&b);
	ok(b.err == 0 && b.len == 0 && b.d && b.d[0] == '\0', "reset clears");
	is_int(rp_buf_printf(&b, "%s", "0123456789a"), RP_E_TOOBIG,
	    "printf past max refused");
	is_int(b.len, 0, "nothing written by the failed printf");
	check_invariants(&b, "invariants after failed printf");
	rp_buf_reset(&b);
	is_int(rp_buf_add(&b, "a\0b", 3), 0, "binary bytes");
	d = rp_buf_detach(&b, &n);
	ok(d && n == 3 && memcmp(d, "a\0b", 4) == 0, "detach hands over bytes + NUL");
	ok(b.d == NULL && b.len == 0 && b.max == 10, "detach re-inits");
	free(d);
	d = rp_buf_detach(&b, &n);
	ok(d && n == 0 && d[0] == '\0', "detach of empty gives an empty string");
	free(d);
	rp_buf_release(&b);

	/* Growth across many appends keeps the invariants. */
	rp_buf_init(&b, 100000);
	for (int i = 0; i < 10000; i++)
		if (rp_buf_add_c(&b, "abcdefghij") != 0)
			break;
	is_int(b.len, 100000, "filled to max by appends");
	check_invariants(&b, "invariants after growth");
	is_int(rp_buf_add_ch(&b, 'z'), RP_E_TOOBIG, "max holds after growth");
	rp_buf_release(&b);
	ok(b.d == NULL && b.max == 100000, "release keeps max");
	return tap_done();
}
