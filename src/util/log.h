/* SPDX-License-Identifier: ISC */
/*
 * log.h — operational log (not the access log of personal-data releases,
 * which lives in src/alog/).  One line per event: RFC 3339 UTC time, level,
 * process name, message.  Messages must never contain personal data or
 * secrets: log ids, routes, counts and error names, never request bodies.
 */
#ifndef RP_LOG_H
#define RP_LOG_H

#include "util/errors.h"

enum rp_log_level { RP_LOG_DEBUG, RP_LOG_INFO, RP_LOG_WARN, RP_LOG_ERROR };

/* Sets the process name shown on each line ("parent", "web/1", ...). */
void rp_log_set_proc(const char *name);
/* Sends lines to fd (default 2, stderr); the fd is not owned. */
void rp_log_set_fd(int fd);
/* Also copies every line to a second fd (-1: none, the default). */
void rp_log_set_tee(int fd);
void rp_log_set_level(enum rp_log_level lvl);

void rp_log(enum rp_log_level lvl, const char *fmt, ...) RP_PRINTF(2, 3);
#define rp_log_debug(...) rp_log(RP_LOG_DEBUG, __VA_ARGS__)
#define rp_log_info(...) rp_log(RP_LOG_INFO, __VA_ARGS__)
#define rp_log_warn(...) rp_log(RP_LOG_WARN, __VA_ARGS__)
#define rp_log_error(...) rp_log(RP_LOG_ERROR, __VA_ARGS__)

/*
 * A rate limit for lines a remote client can cause (refused requests,
 * alarms): at most per_min lines a minute through one limiter; the first
 * line let through after some were dropped says how many.  Static
 * storage, zero-initialised apart from per_min: RP_LOG_LIMIT(30).
 * Thread-safe (one mutex for all limiters).
 */
struct rp_log_limit {
	unsigned per_min;
	long window;		/* start of the current minute (monotonic s) */
	unsigned count;		/* lines written in it */
	unsigned long dropped;	/* lines dropped since the last one written */
};
#define RP_LOG_LIMIT(n)	{ (n), 0, 0, 0 }

void rp_log_limited(struct rp_log_limit *lim, enum rp_log_level lvl,
    const char *fmt, ...) RP_PRINTF(3, 4);

/* Logs at error level and exits 1: only at start-up or broken invariants. */
RP_NORETURN void rp_fatal(const char *fmt, ...) RP_PRINTF(1, 2);

#endif
