/* SPDX-License-Identifier: ISC */
/*
 * log.c — operational log lines, written with one write(2) each so lines
 * from several processes sharing a file never interleave.
 */
#include "util/common.h"
#include "util/log.h"

#include <pthread.h>
#include <sys/time.h>
#include <unistd.h>

static char proc_name[32] = "rentport";
static int log_fd = 2;
static int tee_fd = -1;
static enum rp_log_level log_level = RP_LOG_INFO;

void
rp_log_set_proc(const char *name)
{
	snprintf(proc_name, sizeof(proc_name), "%s", name);
}

void
rp_log_set_fd(int fd)
{
	log_fd = fd;
}

void
rp_log_set_tee(int fd)
{
	tee_fd = fd;
}

void
rp_log_set_level(enum rp_log_level lvl)
{
	log_level = lvl;
}

static void
vlog(enum rp_log_level lvl, const char *fmt, va_list ap)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	char line[1024];
	struct timeval tv;
	struct tm tm;
	int n, m;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
	    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s[%ld]: ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000), names[lvl],
	    proc_name, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line; a short write to a log is not worth retrying. */
	if (write(log_fd, line, (size_t)n) < 0)
		return;
	if (tee_fd >= 0 && write(tee_fd, line, (size_t)n) < 0)
		return;
}

void
rp_log(enum rp_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl < log_level)
		return;
	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

static pthread_mutex_t limit_mu = PTHREAD_MUTEX_INITIALIZER;

void
rp_log_limited(struct rp_log_limit *lim, enum rp_log_level lvl,
    const char *fmt, ...)
{
	struct timespec now;
	unsigned long dropped = 0;
	bool write_line = false;
	char msg[900];
	va_list ap;

	if (lvl < log_level)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&limit_mu);
	if (lim->window == 0 || now.tv_sec - lim->window >= 60) {
		lim->window = now.tv_sec;
		lim->count = 0;
	}
	if (lim->count < lim->per_min) {
		lim->count++;
		dropped = lim->dropped;
		lim->dropped = 0;
		write_line = true;
	} else {
		lim->dropped++;
	}
	pthread_mutex_unlock(&limit_mu);
	if (!write_line)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (dropped > 0)
		rp_log(lvl, "%s (%lu similar lines suppressed before this one)",
		    msg, dropped);
	else
		rp_log(lvl, "%s", msg);
}

void
rp_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(RP_LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

const char *
rp_strerror(int err)
{
	switch (err) {
	case RP_OK: return "ok";
	case RP_E_NOMEM: return "out of memory";
	case RP_E_TOOBIG: return "too big";
	case RP_E_INVAL: return "invalid";
	case RP_E_IO: return "i/o error";
	case RP_E_NOTFOUND: return "not found";
	case RP_E_EXISTS: return "already exists";
	case RP_E_RANGE: return "out of range";
	case RP_E_DB: return "database error";
	case RP_E_PROTO: return "protocol violation";
	case RP_E_STATE: return "wrong state";
	case RP_E_CLOSED: return "closed";
	case RP_E_OVERFLOW: return "arithmetic overflow";
	case RP_E_DENIED: return "denied";
	case RP_E_AGAIN: return "try again";
	case RP_E_EXPIRED: return "expired";
	case RP_E_FULL: return "sold out";
	default: return "unknown error";
	}
}
