/* SPDX-License-Identifier: ISC */
/* test_str.c — string views, number parsing, UTF-8, checked arithmetic. */
#include "util/common.h"
#include "util/str.h"
#include "tap.h"

static void
test_views(void)
{
	struct rp_str s = RP_STR_LIT("a=1&b=2"), head;

	ok(rp_str_eq_c(rp_str_c("abc"), "abc"), "eq");
	ok(!rp_str_eq_c(rp_str_c("abc"), "abcd"), "length matters");
	ok(rp_str_eq(RP_STR_NULL, rp_str_c("")), "NULL view equals empty");
	ok(rp_str_case_eq_c(rp_str_c("Content-Length"), "content-length"), "case-blind");
	ok(!rp_str_case_eq_c(rp_str_c("Content-Lengt"), "content-length"), "case-blind length");
	ok(rp_str_has_prefix(rp_str_c("/static/x"), "/static/"), "prefix");
	ok(!rp_str_has_prefix(rp_str_c("/st"), "/static/"), "short prefix");
	ok(rp_str_eq_c(rp_str_trim(rp_str_c(" \t x y \t")), "x y"), "trim");
	ok(rp_str_trim(rp_str_c("   ")).n == 0, "trim to empty");
	ok(rp_str_split(&s, '&', &head) && rp_str_eq_c(head, "a=1") &&
	    rp_str_eq_c(s, "b=2"), "split advances");
	ok(!rp_str_split(&s, '&', &head) && rp_str_eq_c(s, "b=2"),
	    "split without separator leaves the cursor");
	{
		char *d = rp_str_dup(RP_STR_LIT("x\0y"));
		ok(d && d[0] == 'x' && d[1] == '\0' && d[2] == 'y' && d[3] == '\0',
		    "dup copies embedded NUL and terminates");
		free(d);
	}
}

static void
test_numbers(void)
{
	uint64_t v = 7;

	ok(rp_str_to_u64(rp_str_c("0"), 10, &v) == 0 && v == 0, "zero");
	ok(rp_str_to_u64(rp_str_c("18446744073709551615"), UINT64_MAX, &v) == 0 &&
	    v == UINT64_MAX, "u64 max");
	is_int(rp_str_to_u64(rp_str_c("18446744073709551616"), UINT64_MAX, &v),
	    RP_E_RANGE, "u64 max + 1");
	is_int(v, 0, "out cleared on failure");
	is_int(rp_str_to_u64(rp_str_c("11"), 10, &v), RP_E_RANGE, "above max");
	is_int(rp_str_to_u64(rp_str_c(""), 10, &v), RP_E_INVAL, "empty");
	is_int(rp_str_to_u64(rp_str_c("-1"), 10, &v), RP_E_INVAL, "sign");
	is_int(rp_str_to_u64(rp_str_c(" 1"), 10, &v), RP_E_INVAL, "space");
	is_int(rp_str_to_u64(rp_str_c("1x"), 10, &v), RP_E_INVAL, "trailing junk");
	is_int(rp_str_to_u64(rp_str_c("000000000000000000001"), 10, &v),
	    RP_E_INVAL, "over 20 digits");
}

static void
test_utf8(void)
{
	ok(rp_utf8_valid(rp_str_c("株式会社アクメ ｶﾌﾞｼｷ 𠮷")), "kanji, kana, astral");
	ok(rp_utf8_valid(RP_STR_NULL), "empty");
	ok(!rp_utf8_valid(rp_str_c("\xc0\xaf")), "overlong '/'");
	ok(!rp_utf8_valid(rp_str_c("\xe0\x80\xaf")), "overlong 3-byte");
	ok(!rp_utf8_valid(rp_str_c("\xed\xa0\x80")), "surrogate");
	ok(!rp_utf8_valid(rp_str_c("\xf4\x90\x80\x80")), "above U+10FFFF");
	ok(!rp_utf8_valid(rp_str_c("\xe6\xa0")), "truncated");
	ok(!rp_utf8_valid(rp_str_c("\x80")), "lone continuation");
	ok(!rp_utf8_valid(rp_str_c("\xff")), "0xff");
}

static void
test_checked(void)
{
	size_t z = 1;
	int64_t y = 1;

	ok(rp_size_add(1, 2, &z) == 0 && z == 3, "size add");
	is_int(rp_size_add(SIZE_MAX, 1, &z), RP_E_OVERFLOW, "size add overflow");
	ok(rp_size_mul(SIZE_MAX / 2, 2, &z) == 0, "size mul at limit");
	is_int(rp_size_mul(SIZE_MAX / 2 + 1, 2, &z), RP_E_OVERFLOW, "size mul overflow");
	ok(rp_size_mul(0, SIZE_MAX, &z) == 0 && z == 0, "size mul by zero");
	ok(rp_yen_add(-5, 3, &y) == 0 && y == -2, "yen add");
	is_int(rp_yen_add(INT64_MAX, 1, &y), RP_E_OVERFLOW, "yen add overflow");
	is_int(rp_yen_mul(INT64_MAX / 2 + 1, 2, &y), RP_E_OVERFLOW, "yen mul overflow");
	ok(rp_yen_mul(-3300, 3, &y) == 0 && y == -9900, "yen mul");
}

int
main(void)
{
	test_views();
	test_numbers();
	test_utf8();
	test_checked();
	return tap_done();
}
