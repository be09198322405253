/* SPDX-License-Identifier: ISC */
/*
 * httpd.c — the small listeners' libmicrohttpd start-up (httpd.h): bind
 * address parsing and the listening socket, the connection table behind
 * the accept policy (pool, reserved slots, cap per /24 or /64), and the
 * sweeper that enforces the per-request deadline.  Runs in the witness,
 * the log writer, paysim and paylink.  Client addresses come from the
 * kernel; nothing a client sends is read here.
 */
#include "util/common.h"
#include "util/httpd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/log.h"

#define SWEEP_MS	250

struct slot {
	bool used, priv, receiving, cut;
	unsigned calls;			/* handler calls in this request */
	int fam;			/* AF_INET or AF_INET6 (after unmapping) */
	uint8_t net[8];			/* /24: 3 bytes; /64: 8 bytes */
	int fd;
	uint64_t deadline_ms;
};

struct priv_addr {
	int fam;
	uint8_t a[16];
};

struct rp_httpd {
	struct rp_httpd_opts o;
	struct MHD_Daemon *d;
	int fd;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t sweeper;
	bool sweeping, quit;
	struct priv_addr priv[RP_HTTPD_MAX_PRIVILEGED];
	size_t npriv;
	struct slot *slots;
	size_t nslots;
	struct rp_httpd_stats st;
	struct rp_log_limit lim_refused, lim_timeout;
};

void
rp_httpd_opts_init(struct rp_httpd_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->name = "http";
	o->addr_key = "addr";
	o->addr = "127.0.0.1";
	o->max_conn = 64;
	o->max_per_prefix = 16;
	o->idle_timeout_s = 10;
	o->request_timeout_s = 10;
	o->mem_limit = 32 * 1024;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * The address as (family, 16 bytes): an IPv4-mapped IPv6 address counts
 * as the IPv4 address it carries.  false for other families.
 */
static bool
addr_of(const struct sockaddr *sa, socklen_t len, int *fam, uint8_t a[16])
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	memset(a, 0, 16);
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(*s4)) {
		*fam = AF_INET;
		memcpy(a, &s4->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(*s6)) {
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			*fam = AF_INET;
			memcpy(a, &s6->sin6_addr.s6_addr[12], 4);
		} else {
			*fam = AF_INET6;
			memcpy(a, &s6->sin6_addr, 16);
		}
		return true;
	}
	return false;
}

static bool
is_priv(const struct rp_httpd *h, int fam, const uint8_t a[16])
{
	for (size_t i = 0; i < h->npriv; i++)
		if (h->priv[i].fam == fam &&
		    memcmp(h->priv[i].a, a, fam == AF_INET ? 4 : 16) == 0)
			return true;
	return false;
}

/* The client's network: /24 for IPv4, /64 for IPv6. */
static void
net_of(int fam, const uint8_t a[16], uint8_t net[8])
{
	memset(net, 0, 8);
	memcpy(net, a, fam == AF_INET ? 3 : 8);
}

static enum MHD_Result
accept_policy(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct rp_httpd *h = cls;
	uint8_t a[16], net[8];
	unsigned open = 0, same = 0, cap;
	bool priv, ok = true;
	const char *why = NULL;
	int fam = 0;

	if (!addr_of(sa, len, &fam, a))
		return MHD_NO;
	net_of(fam, a, net);
	cap = h->o.max_per_prefix > 0 ? h->o.max_per_prefix : h->o.max_conn;
	pthread_mutex_lock(&h->mu);
	priv = is_priv(h, fam, a);
	for (size_t i = 0; i < h->nslots; i++) {
		const struct slot *s = &h->slots[i];

		if (!s->used)
			continue;
		open++;
		if (!s->priv && s->fam == fam && memcmp(s->net, net, 8) == 0)
			same++;
	}
	/*
	 * The reserved slots are what is left above max_conn: only the
	 * privileged addresses may take them, and only they are exempt from
	 * the cap on their network (they are exact addresses, not networks).
	 */
	if (open >= h->nslots || (!priv && open >= h->o.max_conn)) {
		h->st.refused_full++;
		why = "all connections are in use";
		ok = false;
	} else if (!priv && same >= cap) {
		h->st.refused_prefix++;
		why = "its network already holds the most connections allowed";
		ok = false;
	}
	pthread_mutex_unlock(&h->mu);
	if (!ok)
		rp_log_limited(&h->lim_refused, RP_LOG_WARN,
		    "%s: a connection refused: %s", h->o.name, why);
	return ok ? MHD_YES : MHD_NO;
}

static void
notify(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct rp_httpd *h = cls;
	const union MHD_ConnectionInfo *ai, *fi;
	struct slot *s = NULL;
	uint8_t a[16];
	int fam = 0;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		pthread_mutex_lock(&h->mu);
		if ((s = *socket_context) != NULL)
			s->used = false;
		pthread_mutex_unlock(&h->mu);
		*socket_context = NULL;
		return;
	}
	ai = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	fi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < h->nslots; i++)
		if (!h->slots[i].used) {
			s = &h->slots[i];
			break;
		}
	if (s != NULL) {
		memset(s, 0, sizeof(*s));
		s->used = true;
		s->receiving = true;
		s->fd = fi != NULL ? (int)fi->connect_fd : -1;
		s->deadline_ms = mono_ms() + (uint64_t)h->o.request_timeout_s *
		    1000u;
		if (ai != NULL && addr_of(ai->client_addr,
		    ai->client_addr->sa_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
		    &fam, a)) {
			s->fam = fam;
			net_of(fam, a, s->net);
			s->priv = is_priv(h, fam, a);
		}
	} else if (fi != NULL) {
		/* More connections than slots cannot happen (MHD's limit is
		 * the table's size); if it does, do not serve it unaccounted. */
		(void)shutdown((int)fi->connect_fd, SHUT_RDWR);
	}
	*socket_context = s;
	pthread_mutex_unlock(&h->mu);
}

static struct slot *
slot_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

/*
 * MHD calls the handler once the headers are in, once per body chunk, and
 * once more with no data when the body is complete: from then on the
 * request is no longer "being received" and its deadline stops (a handler
 * may take long, e.g. paysim's injected delays).
 */
static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct rp_httpd *h = cls;
	struct slot *s = slot_of(conn);

	if (s != NULL) {
		pthread_mutex_lock(&h->mu);
		if (s->calls++ > 0 && *upload_data_size == 0)
			s->receiving = false;
		pthread_mutex_unlock(&h->mu);
	}
	return h->o.handler(h->o.handler_cls, conn, url, method, version,
	    upload_data, upload_data_size, con_cls);
}

/* A request is over: the next one on a kept-alive connection gets a
 * deadline of its own, counted from now. */
static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct rp_httpd *h = cls;
	struct slot *s = slot_of(conn);

	if (s != NULL) {
		pthread_mutex_lock(&h->mu);
		s->calls = 0;
		s->receiving = true;
		s->deadline_ms = mono_ms() + (uint64_t)h->o.request_timeout_s *
		    1000u;
		pthread_mutex_unlock(&h->mu);
	}
	if (h->o.completed != NULL)
		h->o.completed(h->o.completed_cls, conn, con_cls, toe);
}

/*
 * MHD's own timeout is an idle timeout: a byte every few seconds resets
 * it.  The deadline is for the whole request.  shutdown(2) rather than
 * close: the descriptor stays MHD's, which sees a dead peer and cleans up
 * (and tells notify(), which needs our mutex, before it closes the fd —
 * so a slot's fd is never a reused descriptor while we hold the mutex).
 */
static void *
sweep(void *arg)
{
	struct rp_httpd *h = arg;
	struct timespec until;
	unsigned long cut;
	uint64_t now;

	pthread_mutex_lock(&h->mu);
	while (!h->quit) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += SWEEP_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&h->cv, &h->mu, &until);
		if (h->quit)
			break;
		now = mono_ms();
		cut = 0;
		for (size_t i = 0; i < h->nslots; i++) {
			struct slot *s = &h->slots[i];

			if (!s->used || !s->receiving || s->cut || s->fd < 0 ||
			    now < s->deadline_ms)
				continue;
			(void)shutdown(s->fd, SHUT_RDWR);
			s->cut = true;
			cut++;
		}
		h->st.timed_out += cut;
		if (cut > 0) {
			pthread_mutex_unlock(&h->mu);
			rp_log_limited(&h->lim_timeout, RP_LOG_WARN,
			    "%s: %lu connection(s) closed: request not received "
			    "within %u s", h->o.name, cut,
			    h->o.request_timeout_s);
			pthread_mutex_lock(&h->mu);
		}
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static int
parse_priv(struct rp_httpd *h, const char *list, struct rp_buf *err)
{
	char one[64];
	const char *p = list, *e;
	size_t n;

	while (p != NULL && *p != '\0') {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		while (n > 0 && *p == ' ') {
			p++;
			n--;
		}
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n > 0) {
			struct priv_addr *pa = &h->priv[h->npriv];

			if (h->npriv == RP_HTTPD_MAX_PRIVILEGED ||
			    n >= sizeof(one)) {
				rp_buf_printf(err, "%s: at most %d addresses for "
				    "its reserved connections", h->o.name,
				    RP_HTTPD_MAX_PRIVILEGED);
				return RP_E_INVAL;
			}
			memcpy(one, p, n);
			one[n] = '\0';
			memset(pa, 0, sizeof(*pa));
			if (inet_pton(AF_INET, one, pa->a) == 1) {
				pa->fam = AF_INET;
			} else if (inet_pton(AF_INET6, one, pa->a) == 1) {
				pa->fam = AF_INET6;
				if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)pa->a)) {
					pa->fam = AF_INET;
					memmove(pa->a, pa->a + 12, 4);
					memset(pa->a + 4, 0, 12);
				}
			} else {
				rp_buf_printf(err, "%s: \"%s\" is not an IPv4 or "
				    "IPv6 address literal", h->o.name, one);
				return RP_E_INVAL;
			}
			h->npriv++;
		}
		p = e != NULL ? e + 1 : NULL;
	}
	return 0;
}

int
rp_httpd_listen(const char *addr_key, const char *addr, const char *port_key,
    uint32_t port, bool loopback_only, int backlog, int *fd, uint32_t *bound,
    struct rp_buf *err)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int s = -1, one = 1, r = RP_E_IO;

	*fd = -1;
	memset(&ss, 0, sizeof(ss));
	if (port > 65535) {
		rp_buf_printf(err, "%s: %" PRIu32 " is not in 0..65535",
		    port_key, port);
		return RP_E_RANGE;
	}
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1 &&
	    (!loopback_only || (ntohl(sin->sin_addr.s_addr) >> 24) == 127)) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sl = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1 &&
	    (!loopback_only || IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*sin6);
	} else {
		rp_buf_printf(err, "%s: \"%s\" is not %s address literal",
		    addr_key, addr, loopback_only ? "a loopback" :
		    "an IPv4 or IPv6");
		return RP_E_INVAL;
	}
	if ((s = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0) {
		rp_buf_printf(err, "%s: socket: %s", addr_key, strerror(errno));
		goto out;
	}
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(s, (struct sockaddr *)&ss, sl) != 0 || listen(s, backlog) != 0) {
		rp_buf_printf(err, "listen on %s port %" PRIu32 " (%s): %s",
		    addr, port, port_key, strerror(errno));
		goto out;
	}
	sl = sizeof(ss);
	if (bound != NULL) {
		if (getsockname(s, (struct sockaddr *)&ss, &sl) != 0) {
			rp_buf_printf(err, "%s: getsockname: %s", addr_key,
			    strerror(errno));
			goto out;
		}
		*bound = ntohs(ss.ss_family == AF_INET ? sin->sin_port :
		    sin6->sin6_port);
	}
	*fd = s;
	s = -1;			/* transferred */
	r = 0;
 out:
	if (s >= 0)
		close(s);
	return r;
}

int
rp_httpd_start(const struct rp_httpd_opts *o, struct rp_httpd **out,
    uint32_t *bound, struct rp_buf *err)
{
	struct MHD_OptionItem opt[12];
	struct rp_httpd *h;
	unsigned flags;
	size_t n = 0;
	int r;

	*out = NULL;
	if (o->handler == NULL || o->max_conn == 0)
		return RP_E_INVAL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return RP_E_NOMEM;
	h->o = *o;
	h->fd = -1;
	h->lim_refused.per_min = 10;
	h->lim_timeout.per_min = 10;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	h->nslots = (size_t)o->max_conn + o->reserved;
	if ((h->slots = calloc(h->nslots, sizeof(*h->slots))) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	if ((r = parse_priv(h, o->privileged, err)) != 0 ||
	    (r = rp_httpd_listen(o->addr_key, o->addr, "port", o->port,
	    o->loopback_only, 256, &h->fd, bound, err)) != 0)
		goto out;

	opt[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET,
	    (intptr_t)h->fd, NULL };
	opt[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
	    (intptr_t)h->nslots, NULL };
	opt[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
	    (intptr_t)o->idle_timeout_s, NULL };
	opt[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (intptr_t)o->mem_limit, NULL };
	opt[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
	    (intptr_t)notify, h };
	opt[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
	    (intptr_t)completed, h };
	if (o->strict)
		opt[n++] = (struct MHD_OptionItem){
		    MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL };
	if (o->unescape != NULL)
		opt[n++] = (struct MHD_OptionItem){
		    MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)o->unescape,
		    o->unescape_cls };
	opt[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	/* No MHD_USE_ERROR_LOG: MHD would write a line per refused
	 * connection to stderr, unlimited; ours are rate-limited. */
	flags = o->thread_per_conn ?
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD :
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	h->d = MHD_start_daemon(flags, 0, accept_policy, h, handler, h,
	    MHD_OPTION_ARRAY, opt, MHD_OPTION_END);
	if (h->d == NULL) {
		rp_buf_printf(err, "%s: cannot start the HTTP daemon", o->name);
		r = RP_E_IO;
		goto out;
	}
	h->fd = -1;	/* transferred: MHD_stop_daemon closes it */
	if (o->request_timeout_s > 0) {
		if (pthread_create(&h->sweeper, NULL, sweep, h) != 0) {
			rp_buf_printf(err, "%s: cannot start the sweeper",
			    o->name);
			r = RP_E_IO;
			goto out;
		}
		h->sweeping = true;
	}
	*out = h;
	h = NULL;			/* transferred */
	r = 0;
 out:
	rp_httpd_stop(h);
	return r;
}

void
rp_httpd_stop(struct rp_httpd *h)
{
	if (h == NULL)
		return;
	if (h->d != NULL)
		MHD_stop_daemon(h->d);	/* waits for requests in flight */
	if (h->sweeping) {
		pthread_mutex_lock(&h->mu);
		h->quit = true;
		pthread_cond_signal(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->sweeper, NULL);
	}
	if (h->fd >= 0)
		close(h->fd);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h->slots);
	free(h);
}

void
rp_httpd_stats(struct rp_httpd *h, struct rp_httpd_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	*out = h->st;
	out->open = 0;
	for (size_t i = 0; i < h->nslots; i++)
		if (h->slots[i].used)
			out->open++;
	pthread_mutex_unlock(&h->mu);
}
