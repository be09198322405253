/* SPDX-License-Identifier: ISC */
/*
 * test_date.c — civil dates, strict parsing, fixed-offset local time.
 * Expected unix times were computed independently (Python's datetime).
 */
#include "util/common.h"

#include "domain/date.h"
#include "tap.h"

static struct rp_date
D(int y, int m, int d)
{
	struct rp_date x = { y, m, d };

	return x;
}

static int
parse(const char *s, struct rp_date *d)
{
	return rp_date_parse(rp_str_c(s), d);
}

static void
test_parse(void)
{
	static const char *const bad[] = {
		"", "2026-4-01", "2026-04-1", "2026/04/01", "+026-04-01",
		"-026-04-01", " 2026-04-01", "2026-04-01 ", "2026-04-01T00",
		"20260401", "2026-0a-01", "2026--4-01", "2026-04-+1",
		"2026-04- 1", "202６-04-01",
	};
	static const char *const range[] = {
		"2026-02-29", "2026-02-30", "2026-04-31", "2026-13-01",
		"2026-00-10", "2026-01-00", "1899-12-31", "0000-01-01",
		"2100-02-29",
	};
	struct rp_date d;
	char out[RP_DATE_STRLEN];
	size_t i;

	is_int(parse("2026-03-30", &d), 0, "parse 2026-03-30");
	ok(d.y == 2026 && d.m == 3 && d.d == 30, "fields 2026-03-30");
	is_int(rp_date_format(d, out), 0, "format");
	is_str(out, "2026-03-30", "format round trip");
	is_int(parse("2028-02-29", &d), 0, "leap day 2028 accepted");
	is_int(parse("2000-02-29", &d), 0, "leap day 2000 accepted");
	is_int(parse("9999-12-31", &d), 0, "last accepted day");
	is_int(parse("1900-01-01", &d), 0, "first accepted day");
	for (i = 0; i < RP_ARRAY_LEN(bad); i++) {
		int r = parse(bad[i], &d);

		ok(r == RP_E_INVAL && d.y == 0 && d.m == 0 && d.d == 0, bad[i]);
	}
	for (i = 0; i < RP_ARRAY_LEN(range); i++)
		is_int(parse(range[i], &d), RP_E_RANGE, range[i]);
	/* A view need not be NUL-terminated: only its n bytes count. */
	{
		struct rp_str s = { "2026-04-01X", 10 };

		is_int(rp_date_parse(s, &d), 0, "view without NUL");
		s.n = 11;
		is_int(rp_date_parse(s, &d), RP_E_INVAL, "11 bytes refused");
		s.p = NULL;
		s.n = 0;
		is_int(rp_date_parse(s, &d), RP_E_INVAL, "NULL view refused");
	}
	is_int(rp_date_format(D(2026, 2, 30), out), RP_E_RANGE,
	    "format refuses 2026-02-30");
	is_str(out, "", "format leaves empty string");
}

/* Walk every accepted day with a naive calendar; compare both ways. */
static void
test_exhaustive(void)
{
	struct rp_date d = { 1900, 1, 1 }, back;
	int32_t n = -25567;	/* 1900-01-01, from Python */
	long bad = 0, count = 0;
	int wd = 1;		/* 1900-01-01 was a Monday */

	for (;;) {
		if (rp_date_to_days(d) != n || rp_date_from_days(n, &back) != 0 ||
		    back.y != d.y || back.m != d.m || back.d != d.d ||
		    rp_date_weekday(d) != wd)
			bad++;
		count++;
		if (d.y == 9999 && d.m == 12 && d.d == 31)
			break;
		n++;
		wd = (wd + 1) % 7;
		if (++d.d > rp_date_month_days(d.y, d.m)) {
			d.d = 1;
			if (++d.m > 12) {
				d.m = 1;
				d.y++;
			}
		}
	}
	is_int(bad, 0, "every day 1900..9999: days, inverse, weekday agree");
	is_int(count, 2932896 + 25567 + 1, "number of days walked");
	is_int(n, 2932896, "9999-12-31 is day 2932896");
	is_int(rp_date_from_days(n + 1, &back), RP_E_RANGE, "day after 9999");
	is_int(rp_date_from_days(-25568, &back), RP_E_RANGE, "day before 1900");
	is_int(rp_date_from_days(INT32_MIN, &back), RP_E_RANGE, "INT32_MIN");
	is_int(rp_date_from_days(INT32_MAX, &back), RP_E_RANGE, "INT32_MAX");
}

static void
test_arith(void)
{
	struct rp_date d;

	is_int(rp_date_to_days(D(1970, 1, 1)), 0, "epoch is day 0");
	is_int(rp_date_to_days(D(2026, 3, 31)), 20543, "2026-03-31 day");
	is_int(rp_date_to_days(D(2028, 2, 29)), 21243, "2028-02-29 day");
	is_int(rp_date_diff(D(2026, 3, 30), D(2026, 4, 2)), 3,
	    "30 Mar .. 2 Apr: 3 days apart");
	is_int(rp_date_diff(D(2028, 2, 28), D(2028, 3, 1)), 2,
	    "leap year: 28 Feb .. 1 Mar 2 days apart");
	is_int(rp_date_diff(D(2027, 2, 28), D(2027, 3, 1)), 1,
	    "common year: 28 Feb .. 1 Mar 1 day apart");
	is_int(rp_date_diff(D(2026, 12, 31), D(2026, 1, 1)), -364,
	    "negative difference");
	is_int(rp_date_cmp(D(2026, 1, 1), D(2026, 1, 2)), -1, "cmp <");
	is_int(rp_date_cmp(D(2026, 1, 2), D(2026, 1, 2)), 0, "cmp =");
	is_int(rp_date_cmp(D(2026, 2, 1), D(2026, 1, 31)), 1, "cmp >");
	is_int(rp_date_add_days(D(2026, 12, 30), 3, &d), 0, "add over year");
	ok(d.y == 2027 && d.m == 1 && d.d == 2, "2026-12-30 + 3 = 2027-01-02");
	is_int(rp_date_add_days(D(2026, 3, 1), -1, &d), 0, "subtract");
	ok(d.y == 2026 && d.m == 2 && d.d == 28, "2026-03-01 - 1 = 02-28");
	is_int(rp_date_add_days(D(9999, 12, 31), 1, &d), RP_E_RANGE,
	    "add past 9999");
	is_int(rp_date_add_days(D(2026, 1, 1), INT32_MAX, &d), RP_E_RANGE,
	    "add INT32_MAX");
	is_int(rp_date_add_days(D(2026, 1, 1), INT32_MIN, &d), RP_E_RANGE,
	    "add INT32_MIN");
	is_int(rp_date_add_days(D(2026, 2, 30), 1, &d), RP_E_RANGE,
	    "add to invalid date");
	is_int(rp_date_weekday(D(2026, 3, 30)), 1, "2026-03-30 is a Monday");
	is_int(rp_date_weekday(D(2000, 2, 29)), 2, "2000-02-29 is a Tuesday");
	is_int(rp_date_weekday(D(1970, 1, 1)), 4, "1970-01-01 is a Thursday");
	ok(!rp_date_is_leap(1900) && rp_date_is_leap(2000) &&
	    rp_date_is_leap(2028) && !rp_date_is_leap(2026), "leap years");
}

static void
test_local(void)
{
	struct rp_localtime lt;
	int64_t t;

	/* 2026-03-31T15:30Z is 2026-04-01 00:30 in Japan. */
	is_int(rp_time_local(1774971000, RP_UTC_OFFSET_JST, &lt), 0, "JST");
	ok(lt.date.y == 2026 && lt.date.m == 4 && lt.date.d == 1 &&
	    lt.hour == 0 && lt.minute == 30 && lt.second == 0,
	    "2026-03-31T15:30Z = 2026-04-01 00:30 JST");
	is_int(rp_time_local(1774971000, 0, &lt), 0, "UTC");
	ok(lt.date.m == 3 && lt.date.d == 31 && lt.hour == 15 &&
	    lt.minute == 30, "same instant in UTC");
	is_int(rp_time_local(1774971000 - 1801, RP_UTC_OFFSET_JST, &lt), 0,
	    "one second before JST midnight");
	ok(lt.date.d == 31 && lt.hour == 23 && lt.minute == 59 &&
	    lt.second == 59, "2026-03-31 23:59:59 JST");
	is_int(rp_time_local(-1, 0, &lt), 0, "before epoch");
	ok(lt.date.y == 1969 && lt.date.m == 12 && lt.date.d == 31 &&
	    lt.hour == 23 && lt.second == 59, "1969-12-31 23:59:59");
	is_int(rp_time_local(0, -300, &lt), 0, "negative offset");
	ok(lt.date.y == 1969 && lt.hour == 19, "UTC-5 at epoch is 19:00");
	is_int(rp_time_local(0, 841, &lt), RP_E_RANGE, "offset past +14:00");
	is_int(rp_time_local(0, -721, &lt), RP_E_RANGE, "offset past -12:00");
	is_int(rp_time_local(INT64_MAX, 540, &lt), RP_E_RANGE, "INT64_MAX");
	is_int(rp_time_local(INT64_MIN, 540, &lt), RP_E_RANGE, "INT64_MIN");
	ok(lt.date.y == 0 && lt.hour == 0, "cleared on error");

	/* Narita rule, departure 2026-04-10: 2026-04-09 12:00 JST. */
	is_int(rp_date_to_unix(D(2026, 4, 9), 12 * 60, 540, &t), 0, "to unix");
	is_int(t, 1775703600, "2026-04-09 12:00 JST = 03:00Z");
	is_int(rp_date_to_unix(D(2026, 4, 8), 1440, 540, &t), 0, "24:00");
	is_int(t, 1775660400, "2026-04-08 24:00 JST = 04-08T15:00Z");
	is_int(rp_date_to_unix(D(2026, 4, 8), 1441, 540, &t), RP_E_RANGE,
	    "minute 1441 refused");
	is_int(rp_date_to_unix(D(2026, 2, 29), 0, 540, &t), RP_E_RANGE,
	    "invalid date refused");
	/* Round trip through local time for a spread of instants. */
	{
		int64_t s, back;
		long bad = 0;

		for (s = -2208988800LL; s < 253402300799LL - 86400;
		    s += 7777777) {
			if (rp_time_local(s, 540, &lt) != 0 ||
			    rp_date_to_unix(lt.date, lt.hour * 60 + lt.minute,
			    540, &back) != 0 || back + lt.second != s)
				bad++;
		}
		is_int(bad, 0, "local time round trip 1900..9999");
	}
}

/* ISO 8601 instants with an offset (the handheld's returned_at). */
static void
test_iso(void)
{
	static const char *const bad[] = {
		"", "2026-12-07", "2026-12-07T18:30", "2026-12-07 18:30:00+09:00",
		"2026-12-07T24:00:00Z", "2026-12-07T18:60Z", "2026-12-07T18:30:60Z",
		"2026-02-30T10:00:00Z", "2026-12-07T18:30:00.5+09:00",
		"2026-12-07T18:30:00+0900", "2026-12-07T18:30:00+24:00",
		"2026-12-07T1a:30Z", "2026-12-07T18:30:00+09:00 ",
		"+026-12-07T18:30Z", "2026-12-07t18:30Z",
	};
	int64_t t;

	is_int(rp_time_parse_iso(RP_STR_LIT("2026-12-07T18:30:00+09:00"), &t),
	    0, "JST with seconds");
	is_int(t, 1796635800, "… is 09:30 UTC");
	is_int(rp_time_parse_iso(RP_STR_LIT("2026-12-07T09:30Z"), &t), 0,
	    "UTC without seconds");
	is_int(t, 1796635800, "… the same instant");
	is_int(rp_time_parse_iso(RP_STR_LIT("2026-12-06T23:30:00-10:00"), &t),
	    0, "a western offset");
	is_int(t, 1796635800, "… the same instant again");
	for (size_t i = 0; i < RP_ARRAY_LEN(bad); i++) {
		int r = rp_time_parse_iso(rp_str_c(bad[i]), &t);

		ok(r == RP_E_INVAL && t == 0, bad[i]);
	}
	{
		char o[RP_TIME_ISO_STRLEN];

		is_int(rp_time_format_iso(1796635800, 540, o), 0, "format JST");
		is_str(o, "2026-12-07T18:30:00+09:00", "… with its offset");
		is_int(rp_time_format_iso(1796635800, 0, o), 0, "format UTC");
		is_str(o, "2026-12-07T09:30:00Z", "… as Z");
		is_int(rp_time_format_iso(1796635800, -600, o), 0, "format west");
		is_str(o, "2026-12-06T23:30:00-10:00", "… a western offset");
		is_int(rp_time_format_iso(1796635800, 24 * 60, o), RP_E_RANGE,
		    "an offset out of range");
		is_str(o, "", "… leaves \"\"");
	}
}

int
main(void)
{
	test_iso();
	test_parse();
	test_exhaustive();
	test_arith();
	test_local();
	return tap_done();
}
