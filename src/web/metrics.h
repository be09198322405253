/* SPDX-License-Identifier: ISC */
/*
 * metrics.h — counters shared by all web workers (folder-internal; the
 * parent only uses rp_metrics_create / rp_metrics_child_restart from
 * web.h).  The area is one fixed-size struct in a MAP_SHARED anonymous
 * mapping made before fork; every update is a relaxed atomic add, so
 * workers never lock and a crashed worker cannot leave it inconsistent
 * beyond a half-counted request.  Every function accepts m == NULL and
 * then does nothing (tests, or a parent that could not map the area).
 */
#ifndef RP_WEB_METRICS_H
#define RP_WEB_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct rp_metrics;

/* Route slots: 0 and 1 are fixed, the route table follows from 2. */
#define RP_METRICS_ROUTES	96
#define RP_METRICS_ROUTE_REJECTED	0	/* refused before routing */
#define RP_METRICS_ROUTE_UNMATCHED	1	/* 404 / 405 */
#define RP_METRICS_ROUTE_FIRST		2

/*
 * Records one finished request: route slot, status code, latency in µs and
 * body bytes sent.  A slot out of range is counted as "rejected".
 */
void rp_metrics_observe(struct rp_metrics *m, size_t route, unsigned status,
    uint64_t us, uint64_t bytes);
/* Requests being served now (+1 at start, -1 when complete). */
void rp_metrics_in_flight(struct rp_metrics *m, int delta);
/* An access-log message the parent could not take in time (dropped). */
void rp_metrics_access_dropped(struct rp_metrics *m);

/* Names a route slot: method (NULL for the fixed slots) and pattern. */
struct rp_metrics_label {
	const char *method;
	const char *route;
};

/*
 * Appends the Prometheus text exposition (format 0.0.4) of every counter
 * to out.  labels[i] names route slot i (labels[0] and [1] are the fixed
 * slots); slots with a NULL route are skipped.  0 or out's error.
 */
int rp_metrics_render(const struct rp_metrics *m,
    const struct rp_metrics_label *labels, size_t nlabels,
    struct rp_buf *out);

/* Unmaps the area (NULL-safe); for tests and the parent's exit. */
void rp_metrics_free(struct rp_metrics *m);

#endif
