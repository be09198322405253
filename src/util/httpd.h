/* SPDX-License-Identifier: ISC */
/*
 * httpd.h — one way to start the small libmicrohttpd listeners (the
 * witness, the log's tiles, paysim, paylink's webhook receiver), so that
 * every one of them gets the same defences: a connection limit, an idle
 * timeout, a deadline for receiving a whole request (headers and body: a
 * client that trickles a byte every few seconds is cut off), a memory
 * limit per connection, a cap per client network (/24 for IPv4, /64 for
 * IPv6: MHD's own per-IP limit is per address, and a client with a prefix
 * has many), and optionally a few slots that only named addresses may use
 * (the witness keeps them for the log writer).  The bind address is an
 * IPv4 or IPv6 literal, parsed here.  Not for the web workers (src/web has
 * its own intake, with the IPS in the accept path).
 *
 * The connection table lives here: the accept policy looks at it to
 * refuse, MHD's connection notifications fill and empty it, and a small
 * sweeper thread shuts down (shutdown(2): MHD then closes and cleans up as
 * for any dead peer) connections whose request is past its deadline.
 * Never with a thread pool: accepts are serialised in MHD's one listening
 * thread (internal polling, or thread per connection).
 */
#ifndef RP_UTIL_HTTPD_H
#define RP_UTIL_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "util/buf.h"
#include "util/errors.h"

#define RP_HTTPD_MAX_PRIVILEGED	8	/* addresses in opts.privileged */

/* MHD_OPTION_UNESCAPE_CALLBACK's function (MHD has no typedef for it). */
typedef size_t (*rp_httpd_unescape_fn)(void *cls, struct MHD_Connection *c,
    char *s);

struct rp_httpd_opts {
	const char *name;		/* in log lines and errors: "witness" */
	const char *addr_key;		/* config key named in errors */
	const char *addr;		/* IPv4 or IPv6 literal */
	uint32_t port;			/* 0: the kernel picks */
	bool loopback_only;		/* refuse a non-loopback addr */
	bool thread_per_conn;		/* else one internal epoll thread */
	bool strict;			/* MHD_OPTION_STRICT_FOR_CLIENT 1 */
	unsigned max_conn;		/* connections anyone may hold */
	unsigned reserved;		/* extra ones only for privileged */
	const char *privileged;		/* "a,b": exact address literals */
	unsigned max_per_prefix;	/* per /24 or /64; 0: max_conn */
	unsigned idle_timeout_s;	/* MHD_OPTION_CONNECTION_TIMEOUT */
	unsigned request_timeout_s;	/* whole request received; 0: none */
	size_t mem_limit;		/* per connection */
	MHD_AccessHandlerCallback handler;
	void *handler_cls;
	MHD_RequestCompletedCallback completed;	/* may be NULL */
	void *completed_cls;
	rp_httpd_unescape_fn unescape;		/* may be NULL */
	void *unescape_cls;
};

/*
 * The shared defaults: 64 connections, none reserved, 16 per prefix, 10 s
 * idle, 10 s to receive a request, 32 KiB per connection, epoll thread.
 * The caller sets name, addr_key, addr, port and handler.
 */
void rp_httpd_opts_init(struct rp_httpd_opts *o);

/*
 * A listening TCP socket (non-blocking, close-on-exec, SO_REUSEADDR) on
 * addr (an IPv4 or IPv6 literal; a loopback one if loopback_only) and port
 * (0: the kernel picks; then *bound, if not NULL, tells which), with
 * backlog.  addr_key and port_key name the settings in messages.  0 and
 * *fd (owned by the caller), or RP_E_INVAL / RP_E_RANGE / RP_E_IO with the
 * reason in err.  The one place rentport binds a TCP listener.
 */
int rp_httpd_listen(const char *addr_key, const char *addr,
    const char *port_key, uint32_t port, bool loopback_only, int backlog,
    int *fd, uint32_t *bound, struct rp_buf *err) RP_WARN_UNUSED;

struct rp_httpd;

/*
 * Listens on o->addr:o->port and starts the daemon.  o is copied (the
 * strings must outlive the server).  *bound gets the port in use if not
 * NULL.  0; RP_E_INVAL (addr not a literal, not loopback when required, a
 * bad privileged list); RP_E_RANGE (port); RP_E_IO (cannot listen or
 * start); RP_E_NOMEM.  A one-line reason goes to err.  *out is NULL on
 * failure.
 */
int rp_httpd_start(const struct rp_httpd_opts *o,
    struct rp_httpd **out /* owned: rp_httpd_stop */, uint32_t *bound,
    struct rp_buf *err) RP_WARN_UNUSED;

/* Stops the daemon (waits for requests in flight), frees; NULL-safe. */
void rp_httpd_stop(struct rp_httpd *h);

/* Connections refused by the per-prefix cap / the pool being full, and
 * requests cut at their deadline, since the start (for tests, status). */
struct rp_httpd_stats {
	unsigned long refused_prefix, refused_full, timed_out;
	unsigned open;
};
void rp_httpd_stats(struct rp_httpd *h, struct rp_httpd_stats *out);

#endif
