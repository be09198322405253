/* SPDX-License-Identifier: ISC */
/*
 * date.h — civil (proleptic Gregorian) dates and local wall-clock time at a
 * fixed UTC offset, by pure arithmetic.
 *
 * Rental days, cancellation windows and counter deadlines are all counted
 * in calendar dates of one time zone (Japan: +540 minutes, no DST).  The C
 * library's localtime/gmtime are banned (global state, TZ environment), so
 * these functions convert between a civil date and a day number (days since
 * 1970-01-01) with the days-from-civil / civil-from-days algorithm, written
 * here from the published description (Howard Hinnant, "chrono-compatible
 * low-level date algorithms").
 *
 * Used by every process (web quotes, counter settlement, seed).  Date text
 * comes from untrusted forms: rp_date_parse() is strict.
 */
#ifndef RP_DOMAIN_DATE_H
#define RP_DOMAIN_DATE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/errors.h"
#include "util/str.h"

/* Years accepted anywhere (a date outside is RP_E_RANGE / invalid). */
#define RP_DATE_MIN_YEAR	1900
#define RP_DATE_MAX_YEAR	9999
/* "YYYY-MM-DD" plus NUL. */
#define RP_DATE_STRLEN		11
/* Accepted UTC offsets, in minutes (UTC-12:00 .. UTC+14:00). */
#define RP_UTC_OFFSET_MIN	(-720)
#define RP_UTC_OFFSET_MAX	840
/* Japan Standard Time. */
#define RP_UTC_OFFSET_JST	540

struct rp_date {
	int y;			/* RP_DATE_MIN_YEAR .. RP_DATE_MAX_YEAR */
	int m;			/* 1 .. 12 */
	int d;			/* 1 .. days in month */
};

/* A wall-clock instant at some UTC offset. */
struct rp_localtime {
	struct rp_date date;
	int hour;		/* 0 .. 23 */
	int minute;		/* 0 .. 59 */
	int second;		/* 0 .. 59 */
};

/* True for a leap year of the Gregorian calendar. */
bool rp_date_is_leap(int y);
/* Days in month m (1..12) of year y; 0 if m is out of range. */
int rp_date_month_days(int y, int m);
/* True if d names a real day inside the accepted year range. */
bool rp_date_valid(struct rp_date d);

/*
 * Parses exactly "YYYY-MM-DD" (10 bytes, ASCII digits, '-' separators; no
 * sign, space, time part or other length) naming a real day.  On failure
 * *out is zeroed and RP_E_INVAL (shape) or RP_E_RANGE (e.g. 2026-02-30,
 * month 13, year outside RP_DATE_MIN_YEAR..MAX) is returned.
 */
int rp_date_parse(struct rp_str s, struct rp_date *out) RP_WARN_UNUSED;

/*
 * Writes "YYYY-MM-DD" and a NUL into out (RP_DATE_STRLEN bytes).  RP_E_RANGE
 * (and out = "") if d is not valid.
 */
int rp_date_format(struct rp_date d, char out[RP_DATE_STRLEN]);

/*
 * Day number: days since 1970-01-01 (negative before).  d must be valid
 * (an invalid date gives an unspecified but defined number).
 */
int32_t rp_date_to_days(struct rp_date d);
/*
 * Inverse of rp_date_to_days.  RP_E_RANGE (and *out zeroed) if the day
 * falls outside the accepted year range.
 */
int rp_date_from_days(int32_t days, struct rp_date *out) RP_WARN_UNUSED;

/* b - a in days (positive if b is later).  Both must be valid. */
int32_t rp_date_diff(struct rp_date a, struct rp_date b);
/* -1, 0 or 1 as a is before, equal to or after b. */
int rp_date_cmp(struct rp_date a, struct rp_date b);
/* *out = d + n days; RP_E_RANGE if d is invalid or the result out of range. */
int rp_date_add_days(struct rp_date d, int32_t n, struct rp_date *out)
    RP_WARN_UNUSED;
/* Day of week: 0 = Sunday .. 6 = Saturday.  d must be valid. */
int rp_date_weekday(struct rp_date d);

/*
 * Converts unix time t (seconds since 1970-01-01T00:00Z) to the wall clock
 * at utc_offset_min minutes east of UTC.  RP_E_RANGE (and *out zeroed) if
 * the offset is outside RP_UTC_OFFSET_MIN..MAX or the local date outside
 * the accepted year range.
 */
int rp_time_local(int64_t t, int utc_offset_min, struct rp_localtime *out)
    RP_WARN_UNUSED;

/*
 * The unix time of local wall-clock minute_of_day (0..1440; 1440 is the
 * midnight ending the day) on date d at utc_offset_min.  RP_E_RANGE (and
 * *out = 0) on an invalid date, minute or offset.
 */
int rp_date_to_unix(struct rp_date d, int minute_of_day, int utc_offset_min,
    int64_t *out) RP_WARN_UNUSED;

/*
 * Parses an ISO 8601 / RFC 3339 instant with its offset, exactly
 * "YYYY-MM-DDTHH:MM[:SS](Z|+HH:MM|-HH:MM)" (ASCII digits, a real day,
 * hour 0..23, minute 0..59, second 0..59, offset within the limits of
 * rp_date_to_unix), into unix seconds.  RP_E_INVAL (and *out = 0) for
 * anything else: another length, spaces, signs, fractions, a bare date.
 */
int rp_time_parse_iso(struct rp_str s, int64_t *out) RP_WARN_UNUSED;

/* "YYYY-MM-DDTHH:MM:SS+HH:MM" (or "Z" at offset 0): the instant t at
 * utc_offset_min, which rp_time_parse_iso reads back.  RP_E_RANGE (and out
 * "") as rp_time_local. */
#define RP_TIME_ISO_STRLEN 26
int rp_time_format_iso(int64_t t, int utc_offset_min,
    char out[RP_TIME_ISO_STRLEN]) RP_WARN_UNUSED;

#endif
