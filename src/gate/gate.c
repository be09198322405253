/* SPDX-License-Identifier: ISC */
/*
 * gate.c — the gate process (gate.h): role web relays the local workers'
 * connections to the core node, role core receives them.  The main thread
 * accepts and decides who a connection is; one thread per connection then
 * relays frames (a few dozen connections per node: each worker thread's
 * vault connection, one per auth request).
 */
#include "util/common.h"
#include "gate/gate_int.h"
#include "proc/child.h"
#include "proc/msg.h"
#include "proc/peers.h"
#include "proc/sandbox.h"
#include "util/log.h"

#include <assert.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#define MAX_CONNS		512
#define HANDSHAKE_MS		10000
#define CONNECT_MS		3000
#define LEN_BYTES		RP_GATE_LEN_BYTES

enum svc { SVC_VAULT, SVC_AUTH, SVC_N };

static const char *const svc_sock[SVC_N] = { "run/vault.sock",
    "run/auth.sock" };
static const char *const svc_alpn[SVC_N] = { RP_GATE_ALPN_VAULT,
    RP_GATE_ALPN_AUTH };

struct gate {
	const struct rp_conf *conf;
	bool server;			/* role core */
	SSL_CTX *srv;			/* role core: "core" */
	SSL_CTX *cli[RP_KIND_MAX];	/* role web: by the local peer's kind */
	char host[256], port[8];	/* role web: core_addr */
	int listen_fd[SVC_N];		/* role web: the two sockets */
	int tcp_fd;			/* role core */
	struct rp_peers peers;		/* role web: the parent's registry */
	atomic_uint nconns;
};

struct conn {
	struct gate *g;
	int ufd, tfd;
	unsigned kind;			/* the worker's (role web) or the
					 * certificate's (role core) */
	enum svc svc;
	char peer[300];			/* for the log: address */
	SSL *ssl;
	/* TLS → unix: a partial frame with its length */
	uint8_t in[RP_GATE_BUF];
	size_t have;
	/* unix → TLS */
	uint8_t out[LEN_BYTES + RP_MSG_MAX_FRAME];
};

static struct rp_log_limit refuse_limit = RP_LOG_LIMIT(60);

/* ---- relaying -------------------------------------------------------- */

/* Waits until fd is ready for what SSL wants (err), up to ms. */
static bool
ssl_wait(int fd, int err, int ms)
{
	struct pollfd p = { .fd = fd, .events = err == SSL_ERROR_WANT_WRITE ?
	    POLLOUT : POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* Writes n bytes through TLS, waiting as long as the peer needs. */
static int
tls_write_all(struct conn *c, const uint8_t *p, size_t n)
{
	while (n > 0) {
		int k = SSL_write(c->ssl, p, (int)n);

		if (k > 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		k = SSL_get_error(c->ssl, k);
		if ((k != SSL_ERROR_WANT_READ && k != SSL_ERROR_WANT_WRITE) ||
		    !ssl_wait(c->tfd, k, 30000))
			return RP_E_IO;
	}
	return 0;
}

/* One frame from the unix side → [len][frame] through TLS. */
static int
unix_to_tls(struct conn *c)
{
	ssize_t n = recv(c->ufd, c->out + LEN_BYTES, RP_MSG_MAX_FRAME,
	    MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return RP_E_CLOSED;
	rp_be_put(c->out, (uint64_t)n, LEN_BYTES);
	return tls_write_all(c, c->out, LEN_BYTES + (size_t)n);
}

int
rp_gate_frames(uint8_t *buf, size_t *have,
    int (*emit)(void *arg, const uint8_t *frame, size_t n), void *arg)
{
	size_t off = 0;
	int r = 0;

	assert(*have <= RP_GATE_BUF);
	while (*have - off >= LEN_BYTES) {
		uint64_t len = rp_be_get(buf + off, LEN_BYTES);

		if (len < RP_MSG_HEADER || len > RP_MSG_MAX_FRAME) {
			r = RP_E_PROTO;
			break;
		}
		if (*have - off < LEN_BYTES + len)
			break;
		if ((r = emit(arg, buf + off + LEN_BYTES, (size_t)len)) != 0)
			break;
		off += LEN_BYTES + (size_t)len;
	}
	memmove(buf, buf + off, *have - off);
	*have -= off;
	return r;
}

static int
send_frame(void *arg, const uint8_t *frame, size_t n)
{
	struct conn *c = arg;

	return send(c->ufd, frame, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 :
	    RP_E_CLOSED;
}

/* What TLS has → whole frames to the unix side; RP_E_AGAIN: wait. */
static int
tls_to_unix(struct conn *c)
{
	for (;;) {
		int k = SSL_read(c->ssl, c->in + c->have, (int)(sizeof(c->in) -
		    c->have));

		if (k <= 0) {
			k = SSL_get_error(c->ssl, k);
			return k == SSL_ERROR_WANT_READ ||
			    k == SSL_ERROR_WANT_WRITE ? RP_E_AGAIN : RP_E_CLOSED;
		}
		c->have += (size_t)k;
		if ((k = rp_gate_frames(c->in, &c->have, send_frame, c)) != 0)
			return k;
	}
}

/* Both ways until either side ends. */
static void
relay(struct conn *c)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = c->ufd, .events = POLLIN },
		    { .fd = c->tfd, .events = POLLIN } };
		int r;

		if (SSL_pending(c->ssl) == 0 && poll(p, 2, -1) < 0 &&
		    errno != EINTR)
			return;
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    unix_to_tls(c) != 0)
			return;
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR) ||
		    SSL_pending(c->ssl) > 0) {
			r = tls_to_unix(c);
			if (r == RP_E_PROTO)
				rp_log_limited(&refuse_limit, RP_LOG_WARN,
				    "gate: %s sent a frame out of bounds; "
				    "closing", c->peer);
			if (r != RP_E_AGAIN)
				return;
		}
	}
}

/* Runs the handshake on a non-blocking socket, up to HANDSHAKE_MS. */
static int
handshake(struct conn *c, bool server)
{
	for (int waited = 0; waited < HANDSHAKE_MS; waited += 100) {
		int k = server ? SSL_accept(c->ssl) : SSL_connect(c->ssl);

		if (k == 1)
			return 0;
		k = SSL_get_error(c->ssl, k);
		if (k != SSL_ERROR_WANT_READ && k != SSL_ERROR_WANT_WRITE)
			return RP_E_INVAL;
		(void)ssl_wait(c->tfd, k, 100);
	}
	return RP_E_AGAIN;
}

static void
conn_free(struct conn *c)
{
	if (c->ssl != NULL) {
		(void)SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->ufd >= 0)
		close(c->ufd);
	if (c->tfd >= 0)
		close(c->tfd);
	atomic_fetch_sub(&c->g->nconns, 1);
	free(c);
}

/* ---- role web: local worker → the core node ------------------------- */

/* A TCP connection to host:port within CONNECT_MS (non-blocking after). */
static int
tcp_connect(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct pollfd p;
		int e = 0, one = 1;
		socklen_t el = sizeof(e);

		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0)) < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			goto ok;
		p.fd = fd;
		p.events = POLLOUT;
		if (errno == EINPROGRESS && poll(&p, 1, CONNECT_MS) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0) {
 ok:
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
			break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static void *
client_conn(void *arg)
{
	struct conn *c = arg;
	struct gate *g = c->g;
	uint8_t alpn[32];
	char ou[32], cn[64];
	size_t an = strlen(svc_alpn[c->svc]);

	snprintf(c->peer, sizeof(c->peer), "core %s:%s", g->host, g->port);
	if ((c->tfd = tcp_connect(g->host, g->port)) < 0) {
		rp_log_limited(&refuse_limit, RP_LOG_WARN, "gate: cannot reach "
		    "the core node at %s:%s: %s", g->host, g->port,
		    strerror(errno));
		goto out;
	}
	alpn[0] = (uint8_t)an;
	memcpy(alpn + 1, svc_alpn[c->svc], an);
	if ((c->ssl = SSL_new(g->cli[c->kind])) == NULL ||
	    SSL_set_fd(c->ssl, c->tfd) != 1 ||
	    SSL_set_alpn_protos(c->ssl, alpn, (unsigned)an + 1) != 0)
		goto out;
	if (handshake(c, false) != 0 ||
	    rp_gate_peer(c->ssl, ou, sizeof(ou), cn, sizeof(cn)) != 0 ||
	    strcmp(ou, "core") != 0) {
		rp_log_limited(&refuse_limit, RP_LOG_WARN, "gate: refused the "
		    "core node at %s:%s (TLS: %s; certificate %s)", g->host,
		    g->port, X509_verify_cert_error_string(
		    SSL_get_verify_result(c->ssl)), ou[0] ? ou : "none");
		goto out;
	}
	relay(c);
 out:
	conn_free(c);
	return NULL;
}

/* ---- role core: a remote node → the local service ------------------- */

static void *
server_conn(void *arg)
{
	struct conn *c = arg;
	const unsigned char *sel = NULL;
	unsigned sel_n = 0;
	char ou[32], cn[64];
	struct rp_msgw *w = NULL;
	int kind, r;

	if ((c->ssl = SSL_new(c->g->srv)) == NULL ||
	    SSL_set_fd(c->ssl, c->tfd) != 1)
		goto out;
	if ((r = handshake(c, true)) != 0 ||
	    rp_gate_peer(c->ssl, ou, sizeof(ou), cn, sizeof(cn)) != 0) {
		long v = SSL_get_verify_result(c->ssl);

		rp_log_limited(&refuse_limit, RP_LOG_WARN, "gate: refused %s: "
		    "%s", c->peer, r == RP_E_AGAIN ? "handshake timed out" :
		    v != X509_V_OK ? X509_verify_cert_error_string(v) :
		    "no client certificate from the cluster's CA");
		goto out;
	}
	SSL_get0_alpn_selected(c->ssl, &sel, &sel_n);
	for (c->svc = 0; c->svc < SVC_N; c->svc++)
		if (sel_n == strlen(svc_alpn[c->svc]) &&
		    memcmp(sel, svc_alpn[c->svc], sel_n) == 0)
			break;
	kind = rp_gate_kind_of_role(ou);
	if (c->svc == SVC_N || kind < 0 || kind == RP_KIND_MAX ||
	    (c->svc == SVC_AUTH && kind == RP_KIND_MAIL)) {
		rp_log_limited(&refuse_limit, RP_LOG_WARN, "gate: refused %s "
		    "(certificate %s, OU %s): not a client of %s", c->peer, cn,
		    ou, c->svc == SVC_N ? "any service" : svc_alpn[c->svc]);
		goto out;
	}
	c->kind = (unsigned)kind;
	if ((r = rp_msg_unix_connect(svc_sock[c->svc], &c->ufd)) != 0) {
		rp_log_limited(&refuse_limit, RP_LOG_WARN, "gate: %s is not "
		    "running (%s)", svc_sock[c->svc], rp_strerror(r));
		goto out;
	}
	/* First the certificate's word, then the peer's own frames. */
	if ((w = malloc(sizeof(*w))) == NULL)
		goto out;
	rp_msgw_begin(w, RP_MSG_PEER_ASSERT);
	rp_msgw_put_u32(w, c->kind);
	rp_msgw_put_str(w, rp_str_c(cn));
	if (rp_msgw_send(c->ufd, w, MSG_NOSIGNAL) != 0)
		goto out;
	rp_log_debug("gate: %s is %s (%s) for %s", c->peer, cn, ou,
	    svc_alpn[c->svc]);
	relay(c);
 out:
	free(w);
	conn_free(c);
	return NULL;
}

/* ---- the main thread ------------------------------------------------ */

static void
start(struct gate *g, int ufd, int tfd, unsigned kind, enum svc svc,
    const char *peer, void *(*fn)(void *))
{
	pthread_attr_t at;
	pthread_t t;
	struct conn *c;

	if (atomic_fetch_add(&g->nconns, 1) >= MAX_CONNS ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		atomic_fetch_sub(&g->nconns, 1);
		rp_log_limited(&refuse_limit, RP_LOG_WARN, "gate: too many "
		    "connections; refusing %s", peer);
		if (ufd >= 0)
			close(ufd);
		if (tfd >= 0)
			close(tfd);
		return;
	}
	c->g = g;
	c->ufd = ufd;
	c->tfd = tfd;
	c->kind = kind;
	c->svc = svc;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 * 1024);
	if (pthread_create(&t, &at, fn, c) != 0)
		conn_free(c);
	pthread_attr_destroy(&at);
}

/* Role web: a worker on vault.sock or auth.sock; its kind from the
 * parent's registry, as the services would have checked it. */
static void
accept_local(struct gate *g, enum svc svc)
{
	const struct rp_peer *pe;
	pid_t pid;
	int fd;

	while ((fd = accept4(g->listen_fd[svc], NULL, NULL, SOCK_CLOEXEC |
	    SOCK_NONBLOCK)) >= 0) {
		if (rp_peer_pid(fd, &pid) != 0 ||
		    (pe = rp_peers_find(&g->peers, pid)) == NULL ||
		    pe->kind >= RP_KIND_MAX || g->cli[pe->kind] == NULL ||
		    (svc == SVC_AUTH && pe->kind == RP_KIND_MAIL)) {
			rp_log_limited(&refuse_limit, RP_LOG_WARN, "gate: "
			    "refusing a connection to %s from pid %ld (not "
			    "a registered client)", svc_sock[svc], (long)pid);
			close(fd);
			continue;
		}
		/* replies are sent whole: block rather than drop one */
		(void)fcntl(fd, F_SETFL, 0);
		start(g, fd, -1, pe->kind, svc, "", client_conn);
	}
}

static void
accept_remote(struct gate *g)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[64], port[8], peer[96];
	int fd, one = 1;

	while ((fd = accept4(g->tcp_fd, (struct sockaddr *)&ss, &sl,
	    SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host),
		    port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
			snprintf(host, sizeof(host), "?");
		snprintf(peer, sizeof(peer), "%s port %s", host, port);
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		start(g, -1, fd, 0, SVC_N, peer, server_conn);
		sl = sizeof(ss);
	}
}

static int
listen_tcp(struct gate *g)
{
	struct addrinfo hints, *res;
	char port[8];
	int fd, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
	snprintf(port, sizeof(port), "%u", g->conf->gate_port);
	if (getaddrinfo(g->conf->gate_addr, port, &hints, &res) != 0)
		return RP_E_INVAL;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) != 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, 128) != 0) {
		rp_log_error("gate: cannot listen on %s port %u: %s",
		    g->conf->gate_addr, g->conf->gate_port, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return RP_E_IO;
	}
	freeaddrinfo(res);
	g->tcp_fd = fd;
	return 0;
}

/* "host:port" or "[v6]:port" → g->host, g->port. */
static int
split_addr(struct gate *g, const char *a)
{
	const char *colon = strrchr(a, ':');
	const char *h = a, *he;

	if (colon == NULL || colon[1] == '\0' || strlen(colon + 1) >= 6)
		return RP_E_INVAL;
	he = colon;
	if (*h == '[') {
		h++;
		if (he[-1] != ']')
			return RP_E_INVAL;
		he--;
	}
	if (he <= h || (size_t)(he - h) >= sizeof(g->host))
		return RP_E_INVAL;
	memcpy(g->host, h, (size_t)(he - h));
	g->host[he - h] = '\0';
	snprintf(g->port, sizeof(g->port), "%s", colon + 1);
	return 0;
}

static int
setup(struct gate *g, struct rp_buf *err)
{
	char dir[RP_CONF_PATH_MAX + 8];

	snprintf(dir, sizeof(dir), "%s/%s", g->conf->data_dir, RP_GATE_TLS_DIR);
	if (g->server) {
		if ((g->srv = rp_gate_tls_ctx(true, dir, "core", err)) == NULL)
			return RP_E_INVAL;
		return listen_tcp(g);
	}
	if (split_addr(g, g->conf->core_addr) != 0) {
		rp_buf_printf(err, "core_addr \"%s\" is not host:port",
		    g->conf->core_addr);
		return RP_E_INVAL;
	}
	{
		static const unsigned kinds[] = { RP_KIND_WEB, RP_KIND_CONSOLE,
		    RP_KIND_MAIL };

		for (size_t i = 0; i < RP_ARRAY_LEN(kinds); i++)
			if ((g->cli[kinds[i]] = rp_gate_tls_ctx(false, dir,
			    rp_gate_role_of_kind(kinds[i]), err)) == NULL)
				return RP_E_INVAL;
	}
	for (unsigned s = 0; s < SVC_N; s++)
		if (rp_msg_unix_listen(svc_sock[s], &g->listen_fd[s]) != 0) {
			rp_buf_printf(err, "cannot listen on %s: %s",
			    svc_sock[s], strerror(errno));
			return RP_E_IO;
		}
	return 0;
}

static int
parent_input(struct gate *g, int parent_fd, uint8_t *rbuf)
{
	struct rp_msg m;
	pid_t pid;
	int r;

	for (;;) {
		r = rp_child_recv(parent_fd, rbuf, &m, "gate");
		if (r == RP_CHILD_NONE)
			return 0;
		if (r == RP_CHILD_DONE)
			continue;
		if (r == RP_CHILD_STOP || r == RP_E_CLOSED)
			return 1;
		if (r < 0 || rp_peers_apply(&g->peers, &m, "gate", &pid,
		    NULL) != 0) {
			rp_log_error("gate: malformed message from the parent; "
			    "stopping");
			return 1;
		}
	}
}

int
rp_gate_run(const struct rp_conf *conf, int parent_fd)
{
	static struct gate g;
	static uint8_t rbuf[RP_MSG_MAX_FRAME];
	struct rp_buf err;
	int sfd, status = 1;

	g.conf = conf;
	g.server = conf->role == RP_CONF_ROLE_CORE;
	g.tcp_fd = g.listen_fd[0] = g.listen_fd[1] = -1;
	rp_buf_init(&err, 512);
	if ((sfd = rp_child_signals("gate")) < 0)
		goto out;
	if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1 ||
	    setup(&g, &err) != 0) {
		rp_log_error("gate: %s", err.d ? err.d : "cannot start TLS");
		goto out;
	}
	if (rp_child_ready(parent_fd, RP_KIND_GATE, 1) != 0)
		goto out;
	if (g.server)
		rp_log_info("gate: mutual TLS on %s port %u for the vault and "
		    "the identity holder", conf->gate_addr, conf->gate_port);
	else
		rp_log_info("gate: the vault and the identity holder are at %s "
		    "(mutual TLS)", conf->core_addr);
	for (;;) {
		struct pollfd p[4];
		nfds_t n = 0;

		p[n++] = (struct pollfd){ .fd = parent_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		if (g.server)
			p[n++] = (struct pollfd){ .fd = g.tcp_fd, .events = POLLIN };
		else
			for (unsigned s = 0; s < SVC_N; s++)
				p[n++] = (struct pollfd){ .fd = g.listen_fd[s],
				    .events = POLLIN };
		if (poll(p, n, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents && parent_input(&g, parent_fd, rbuf) != 0)
			break;
		if (p[1].revents) {
			rp_log_info("gate: stopping on a signal");
			break;
		}
		if (g.server && p[2].revents)
			accept_remote(&g);
		else if (!g.server)
			for (unsigned s = 0; s < SVC_N; s++)
				if (p[2 + s].revents)
					accept_local(&g, s);
	}
	status = 0;
 out:
	rp_buf_release(&err);
	/* the relaying threads end with the process */
	return status;
}
