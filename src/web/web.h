/* SPDX-License-Identifier: ISC */
/*
 * web.h — the web worker process: HTTP intake (libmicrohttpd), routing,
 * limits, metrics, static assets, pages.  Holds no keys and no readable
 * personal data.  (Skeleton — the web owner extends this header.)
 */
#ifndef RP_WEB_H
#define RP_WEB_H

#include "conf/conf.h"
#include "util/buf.h"

struct rp_metrics;

/*
 * Creates the metrics area in shared memory (MAP_SHARED|MAP_ANONYMOUS) so
 * every web worker forked after it adds to the same counters and /metrics
 * on any worker reports them all.  Called by the parent before forking.
 */
struct rp_metrics *rp_metrics_create(void);
/* Counts a restart of a child process of the given kind ("web"). */
void rp_metrics_child_restart(struct rp_metrics *m, const char *kind);

/*
 * Creates the listening TCP socket (parent, before forking workers, so all
 * workers accept on it).  0 and *fd, or RP_E_IO with a message in err.
 */
int rp_web_listen(const struct rp_conf *conf, int *fd, struct rp_buf *err) RP_WARN_UNUSED;

/*
 * Runs one web worker until the parent sends RP_MSG_STOP, the parent's
 * socket closes, or SIGTERM/SIGINT arrives.  Sends one RP_MSG_ACCESS per
 * request to parent_fd.  Returns the process exit status.
 */
int rp_web_run(const struct rp_conf *conf, int listen_fd, int parent_fd,
    unsigned index, struct rp_metrics *m);

#endif
