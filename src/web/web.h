/* SPDX-License-Identifier: ISC */
/*
 * web.h — the web worker process: HTTP intake (libmicrohttpd, epoll, a
 * thread pool), routing, limits, metrics, static assets, pages.  Holds no
 * keys and no readable personal data.  This is the interface the parent
 * (src/proc) uses; the folder's own pieces are in decode.h (path and form
 * decoders), router.h, metrics.h, assets.h, pages.h and request.h.
 *
 * What a worker guarantees for every request it answers: the security
 * headers (CSP with frame-ancestors 'none', X-Content-Type-Options,
 * Referrer-Policy, X-Frame-Options, Permissions-Policy, COOP/CORP, HSTS
 * when public_url is https), an X-Request-Id of 16 random bytes in hex,
 * Cache-Control (no-store unless a static asset), one RP_MSG_ACCESS to the
 * parent (method, route pattern — never the raw path or query —, status,
 * body bytes, µs, request id) and a count in the shared metrics.
 *
 * Limits (from conf): target > max_url_bytes → 414; request headers
 * (sum of name + value + 4) > max_header_bytes → 431; bad path → 400; no
 * route → 404, wrong method → 405 + Allow; body > the route's cap (today
 * every route is pre-authentication: max_body_preauth_bytes, or the
 * route's own smaller cap) → 413, from Content-Length or while streaming.
 *
 * Known limit of libmicrohttpd 0.9.75: requests that do not fit its
 * per-connection memory pool (2 × (max_header_bytes + max_url_bytes), at
 * least 32 KiB) and requests broken at the HTTP level (missing Host on
 * HTTP/1.1, bad Content-Length, unknown HTTP version) are answered by MHD
 * itself (414/431/400/505) without our headers and without an access-log
 * line (they are still counted in the metrics, status "other"); a request
 * line without spaces makes MHD close the connection without an answer.
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
 * NULL if the mapping fails (workers then serve without metrics).
 */
struct rp_metrics *rp_metrics_create(void);
/*
 * Counts a restart of a child process of the given kind ("web", "vault",
 * "alog", "paylink"; anything else counts as "other"), exported as
 * rentport_child_restarts_total{kind="..."}.  NULL-safe.
 */
void rp_metrics_child_restart(struct rp_metrics *m, const char *kind);

/*
 * Creates the listening TCP socket (parent, before forking workers, so all
 * workers accept on it): conf->listen_addr (an IPv4 or IPv6 literal) and
 * conf->port (0: the kernel picks one), SO_REUSEADDR, non-blocking,
 * close-on-exec, backlog 1024.  0 and *fd, or RP_E_INVAL / RP_E_RANGE /
 * RP_E_IO with a one-line message in err; *fd is -1 on failure.
 */
int rp_web_listen(const struct rp_conf *conf, int *fd, struct rp_buf *err) RP_WARN_UNUSED;

/*
 * Creates the internal metrics listener's socket, like rp_web_listen but
 * on conf->metrics_addr and conf->metrics_port (parent, before forking the
 * web workers, which all accept on it; the other children must close it).
 * Only GET /metrics is served there (rp_web_serve); the sites' port has
 * no /metrics.  0 and *fd, or RP_E_INVAL / RP_E_RANGE / RP_E_IO with a
 * one-line message in err; *fd is -1 on failure.
 */
int rp_metrics_listen(const struct rp_conf *conf, int *fd, struct rp_buf *err) RP_WARN_UNUSED;

/*
 * Runs one web worker (in the forked child) until the parent sends
 * RP_MSG_STOP, the parent's socket closes, or SIGTERM/SIGINT arrives
 * (taken through a signalfd; the signals are blocked in every thread).
 * Sends RP_MSG_READY (u32 kind 0 = web, u32 index) once serving, then one
 * RP_MSG_ACCESS per answered request to parent_fd, never blocking on it
 * (a full socket drops the line and counts it in the metrics); answers
 * RP_MSG_PING with RP_MSG_PONG.  Any other or malformed message from the
 * parent is logged and ends the worker (fail closed).  parent_fd may be -1
 * (tests).  m may be NULL.  Returns the process exit status: 0 after STOP
 * or a signal, 1 on a start-up failure, a protocol violation or a parent
 * that went away.  The internal metrics listener metrics_fd (from
 * rp_metrics_listen; -1: none) is served too: GET /metrics there reports the shared metrics m and
 * the IPS; nothing else is served on it (404).
 */
int rp_web_serve(const struct rp_conf *conf, int listen_fd, int metrics_fd,
    int parent_fd, unsigned index, struct rp_metrics *m);

/*
 * The staff console (src/web/console.c): its own listener
 * (conf->console_addr:console_port, opened by the parent like
 * rp_web_listen) served by console workers — the same intake, limits,
 * WAF, IPS and template layer as the sites, another route table, another
 * user (rentport-console).  READY kind RP_WEB_CONSOLE_KIND.
 */
#define RP_WEB_CONSOLE_KIND	11
int rp_console_listen(const struct rp_conf *conf, int *fd, struct rp_buf *err)
    RP_WARN_UNUSED;
int rp_console_serve(const struct rp_conf *conf, int listen_fd, int parent_fd,
    unsigned index);

#endif
