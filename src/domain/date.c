/* SPDX-License-Identifier: ISC */
/*
 * date.c — civil dates and fixed-offset local time by pure arithmetic.
 *
 * The day-number conversion counts in 400-year eras (146097 days each) of
 * years that start on 1 March, so that the leap day is the last day of the
 * year and month lengths follow the 153-days-per-5-months pattern; this is
 * the approach Howard Hinnant published, re-derived and written here.  No
 * libc time zone machinery is involved, so results do not depend on TZ.
 */
#include "util/common.h"
#include <assert.h>

#include "domain/date.h"

#define SECS_PER_DAY	86400

bool
rp_date_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
rp_date_month_days(int y, int m)
{
	static const int len[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m < 1 || m > 12)
		return 0;
	if (m == 2 && rp_date_is_leap(y))
		return 29;
	return len[m - 1];
}

bool
rp_date_valid(struct rp_date d)
{
	if (d.y < RP_DATE_MIN_YEAR || d.y > RP_DATE_MAX_YEAR)
		return false;
	if (d.m < 1 || d.m > 12)
		return false;
	return d.d >= 1 && d.d <= rp_date_month_days(d.y, d.m);
}

static int
digits(const char *p, size_t n, int *out)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return RP_E_INVAL;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

int
rp_date_parse(struct rp_str s, struct rp_date *out)
{
	struct rp_date d;

	memset(out, 0, sizeof(*out));
	if (s.n != 10 || s.p == NULL)
		return RP_E_INVAL;
	if (s.p[4] != '-' || s.p[7] != '-')
		return RP_E_INVAL;
	if (digits(s.p, 4, &d.y) != 0 || digits(s.p + 5, 2, &d.m) != 0 ||
	    digits(s.p + 8, 2, &d.d) != 0)
		return RP_E_INVAL;
	if (!rp_date_valid(d))
		return RP_E_RANGE;
	*out = d;
	return 0;
}

int
rp_date_format(struct rp_date d, char out[RP_DATE_STRLEN])
{
	out[0] = '\0';
	if (!rp_date_valid(d))
		return RP_E_RANGE;
	/* By hand: the ranges are known, and snprintf's %d would make the
	 * compiler assume ten digits. */
	out[0] = (char)('0' + d.y / 1000);
	out[1] = (char)('0' + d.y / 100 % 10);
	out[2] = (char)('0' + d.y / 10 % 10);
	out[3] = (char)('0' + d.y % 10);
	out[4] = '-';
	out[5] = (char)('0' + d.m / 10);
	out[6] = (char)('0' + d.m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d.d / 10);
	out[9] = (char)('0' + d.d % 10);
	out[10] = '\0';
	return 0;
}

int32_t
rp_date_to_days(struct rp_date d)
{
	int64_t y = d.y, era, yoe, doy, doe, mp;

	/* Shift so that the year begins in March: Jan and Feb count as
	 * months 10 and 11 of the previous year. */
	if (d.m <= 2)
		y--;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;				/* 0 .. 399 */
	mp = d.m > 2 ? d.m - 3 : d.m + 9;		/* 0 = March */
	doy = (153 * mp + 2) / 5 + d.d - 1;		/* 0 .. 365 */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* 0 .. 146096 */
	/* 719468 = days from 0000-03-01 to 1970-01-01. */
	return (int32_t)(era * 146097 + doe - 719468);
}

int
rp_date_from_days(int32_t days, struct rp_date *out)
{
	int64_t z = (int64_t)days + 719468, era, doe, yoe, doy, mp, y;
	struct rp_date d;

	memset(out, 0, sizeof(*out));
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d.d = (int)(doy - (153 * mp + 2) / 5 + 1);
	d.m = (int)(mp < 10 ? mp + 3 : mp - 9);
	y = yoe + era * 400 + (d.m <= 2);
	if (y < RP_DATE_MIN_YEAR || y > RP_DATE_MAX_YEAR)
		return RP_E_RANGE;
	d.y = (int)y;
	*out = d;
	return 0;
}

int32_t
rp_date_diff(struct rp_date a, struct rp_date b)
{
	return rp_date_to_days(b) - rp_date_to_days(a);
}

int
rp_date_cmp(struct rp_date a, struct rp_date b)
{
	int32_t x = rp_date_to_days(a), y = rp_date_to_days(b);

	return x < y ? -1 : x > y;
}

int
rp_date_add_days(struct rp_date d, int32_t n, struct rp_date *out)
{
	int64_t z;

	if (!rp_date_valid(d)) {
		memset(out, 0, sizeof(*out));
		return RP_E_RANGE;
	}
	z = (int64_t)rp_date_to_days(d) + n;
	/* Valid days lie well inside int32; anything beyond is out of range
	 * before the narrowing below could wrap. */
	if (z < -1000000 || z > 3000000) {
		memset(out, 0, sizeof(*out));
		return RP_E_RANGE;
	}
	return rp_date_from_days((int32_t)z, out);
}

int
rp_date_weekday(struct rp_date d)
{
	/* 1970-01-01 was a Thursday (4). */
	int64_t w = ((int64_t)rp_date_to_days(d) + 4) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

int
rp_time_local(int64_t t, int utc_offset_min, struct rp_localtime *out)
{
	int64_t local, days, sec;
	int r;

	memset(out, 0, sizeof(*out));
	if (utc_offset_min < RP_UTC_OFFSET_MIN ||
	    utc_offset_min > RP_UTC_OFFSET_MAX)
		return RP_E_RANGE;
	/* Years 1900..9999 are within +-2^38 s; refuse before any math can
	 * overflow. */
	if (t < -((int64_t)1 << 40) || t > ((int64_t)1 << 40))
		return RP_E_RANGE;
	local = t + (int64_t)utc_offset_min * 60;
	days = local / SECS_PER_DAY;
	sec = local % SECS_PER_DAY;
	if (sec < 0) {			/* floor division for times before 1970 */
		sec += SECS_PER_DAY;
		days--;
	}
	if ((r = rp_date_from_days((int32_t)days, &out->date)) != 0)
		return r;
	out->hour = (int)(sec / 3600);
	out->minute = (int)(sec / 60 % 60);
	out->second = (int)(sec % 60);
	return 0;
}

int
rp_date_to_unix(struct rp_date d, int minute_of_day, int utc_offset_min,
    int64_t *out)
{
	*out = 0;
	if (!rp_date_valid(d) || minute_of_day < 0 || minute_of_day > 1440 ||
	    utc_offset_min < RP_UTC_OFFSET_MIN ||
	    utc_offset_min > RP_UTC_OFFSET_MAX)
		return RP_E_RANGE;
	*out = (int64_t)rp_date_to_days(d) * SECS_PER_DAY +
	    (int64_t)(minute_of_day - utc_offset_min) * 60;
	return 0;
}

/* n ASCII digits at s as a number; -1 if not all digits. */
static int
digits_at(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
rp_time_parse_iso(struct rp_str s, int64_t *out)
{
	struct rp_date d;
	size_t k;
	int hh, mm, ss = 0, off = 0, oh, om;
	int64_t day;

	*out = 0;
	if (s.n < 17 || s.n > 25 || rp_date_parse((struct rp_str){ s.p, 10 },
	    &d) != 0 || s.p[10] != 'T' || s.p[13] != ':')
		return RP_E_INVAL;
	hh = digits_at(s.p + 11, 2);
	mm = digits_at(s.p + 14, 2);
	k = 16;
	if (s.n > k && s.p[k] == ':') {
		if (s.n < k + 3 || (ss = digits_at(s.p + k + 1, 2)) < 0)
			return RP_E_INVAL;
		k += 3;
	}
	if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss > 59)
		return RP_E_INVAL;
	if (s.n == k + 1 && s.p[k] == 'Z')
		off = 0;
	else if (s.n == k + 6 && (s.p[k] == '+' || s.p[k] == '-') &&
	    s.p[k + 3] == ':') {
		oh = digits_at(s.p + k + 1, 2);
		om = digits_at(s.p + k + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return RP_E_INVAL;
		off = (oh * 60 + om) * (s.p[k] == '-' ? -1 : 1);
	} else
		return RP_E_INVAL;
	if (rp_date_to_unix(d, hh * 60 + mm, off, &day) != 0)
		return RP_E_INVAL;
	*out = day + ss;
	return 0;
}

int
rp_time_format_iso(int64_t t, int utc_offset_min, char out[RP_TIME_ISO_STRLEN])
{
	struct rp_localtime lt;
	char day[RP_DATE_STRLEN], b[64];
	int off = utc_offset_min < 0 ? -utc_offset_min : utc_offset_min, r;

	out[0] = '\0';
	if ((r = rp_time_local(t, utc_offset_min, &lt)) != 0 ||
	    (r = rp_date_format(lt.date, day)) != 0)
		return r;
	if (utc_offset_min == 0)
		snprintf(b, sizeof(b), "%sT%02d:%02d:%02dZ", day, lt.hour,
		    lt.minute, lt.second);
	else
		snprintf(b, sizeof(b), "%sT%02d:%02d:%02d%c%02d:%02d", day,
		    lt.hour, lt.minute, lt.second,
		    utc_offset_min < 0 ? '-' : '+', off / 60, off % 60);
	assert(strlen(b) < RP_TIME_ISO_STRLEN);
	memcpy(out, b, strlen(b) + 1);
	return 0;
}
