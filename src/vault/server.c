/* SPDX-License-Identifier: ISC */
/*
 * server.c — the vault process: listens on DATA/run/vault.sock
 * (SOCK_SEQPACKET), answers put/get/find/erase for its clients and logs
 * every one of them through the log writer (DATA/run/alog.sock) before
 * answering.
 *
 * Who may ask: a web worker the parent registered (PEER_REGISTER kind 0,
 * pid checked with SO_PEERCRED) may use the web roles; the mailer (kind
 * RP_VAULT_PEER_MAILER) the mailer role alone — and no web worker may;
 * any other client must first present the operator token (VAULT_HELLO,
 * constant-time compare) and may then use the operator roles (incident,
 * back office, seed).  A registered peer stays what the parent said it is,
 * token or not.  A request in a role the client may not use is refused —
 * and the refusal is logged.  A message that does not decode drops the
 * client.
 *
 * One thread, one poll loop that pipelines: it reads every request waiting
 * on every client, does the database and crypto work (core.c), sends all
 * their LOG_APPENDs to the writer in one burst (so it group-commits them)
 * and answers each client only when its LOG_DURABLE arrives.  Writer gone
 * or LOG_FAILED: RP_E_AGAIN and nothing released; reconnection with
 * backoff; while it is down every request is answered RP_E_AGAIN.
 */
#include "util/common.h"

#include <assert.h>
#include "proc/child.h"
#include "util/log.h"
#include "alog/entry.h"
#include "alog/writer.h"
#include "auth/cap.h"
#include "conf/conf.h"
#include "proc/msg.h"
#include "proc/peers.h"
#include "proc/sandbox.h"
#include "vault/vault_impl.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CLIENTS	256
#define MAX_PENDING	8192
#define MAX_INFLIGHT	128	/* requests in flight per client */
#define DRAIN_PER_CLIENT 64	/* requests read from one client per round */
#define BACKOFF_MIN_MS	50
#define BACKOFF_MAX_MS	2000

/* CL_GATE: a connection the gate relays from another node, until its
 * first message (PEER_ASSERT) says what the peer's certificate is. */
enum client_class { CL_ANON, CL_WEB, CL_MAILER, CL_OPERATOR, CL_CONSOLE,
    CL_GATE };

struct client {
	int fd;			/* -1: free slot */
	uint32_t gen;
	pid_t pid;
	enum client_class cls;
	unsigned index;		/* web worker (or mailer) index */
	unsigned inflight;
	char node[RP_VAULT_STR_MAX + 1];	/* via the gate: the peer's
						 * certificate CN; "" local */
};

struct pending {
	uint32_t gen;		/* bumped at every use; 0 never used */
	bool used, sent;
	unsigned client;
	uint32_t client_gen;
	uint64_t cookie;	/* the client's */
	struct rp_vault_op *op;
	bool is_put;
	/* a site worker's put of a new traveller: the vault's receipt on
	 * its order (a capability), sent once the put is durable */
	uint8_t receipt[RP_CAP_MAX];
	size_t receipt_len;
};

struct server {
	const struct rp_conf *conf;
	struct rp_vault *v;
	uint8_t cap_key[RP_CAP_KEY_LEN];	/* shared with the identity holder */
	bool have_cap_key;
	int parent_fd, listen_fd, alog_fd;
	uint64_t alog_retry_at;
	unsigned backoff;
	char alog_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct client clients[MAX_CLIENTS];
	struct rp_peers peers;
	struct pending *pend;
	uint32_t *freelist, nfree;
	uint32_t *unsent, nunsent;
	bool stop;
	uint8_t rbuf[RP_MSG_MAX_FRAME];
	struct rp_msgw w;
	struct rp_vault_req req;
};

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
sock_path(const struct rp_conf *conf, const char *name, char *out, size_t n)
{
	if ((size_t)snprintf(out, n, "%s/%s", conf->data_dir, name) >= n)
		return RP_E_TOOBIG;
	return 0;
}

static int
listen_on(struct server *s)
{
	struct sockaddr_un sa;
	char dir[RP_CONF_PATH_MAX + 8];
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(dir, sizeof(dir), "%s/run", s->conf->data_dir);
	/* run/ is serve's (root's, shared by the socket users): made here
	 * only when the vault runs alone. */
	if ((mkdir(s->conf->data_dir, 0750) != 0 && errno != EEXIST) ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST)) {
		rp_log_error("vault: cannot create %s: %s", dir, strerror(errno));
		return RP_E_IO;
	}
	if (sock_path(s->conf, RP_VAULT_SOCK_NAME, sa.sun_path,
	    sizeof(sa.sun_path)) != 0) {
		rp_log_error("vault: socket path too long");
		return RP_E_TOOBIG;
	}
	unlink(sa.sun_path);	/* a stale socket from an earlier run */
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		return RP_E_IO;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(sa.sun_path, 0660) != 0 || listen(fd, 128) != 0) {
		rp_log_error("vault: cannot listen on %s: %s", sa.sun_path,
		    strerror(errno));
		close(fd);
		return RP_E_IO;
	}
	s->listen_fd = fd;
	return 0;
}

/* ---- the log writer ---------------------------------------------------- */

static void send_reply(struct server *s, struct pending *p, int status);
static void pending_free(struct server *s, uint32_t slot);

static void
alog_connect(struct server *s)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->alog_path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		s->backoff = s->backoff ? s->backoff * 2 : BACKOFF_MIN_MS;
		if (s->backoff > BACKOFF_MAX_MS)
			s->backoff = BACKOFF_MAX_MS;
		s->alog_retry_at = now_ms() + s->backoff;
		return;
	}
	s->alog_fd = fd;
	s->backoff = 0;
	rp_log_info("vault: connected to the log writer");
}

/* The writer is gone: everything in flight is answered RP_E_AGAIN. */
static void
alog_down(struct server *s, const char *why)
{
	if (s->alog_fd >= 0) {
		rp_log_warn("vault: log writer unavailable (%s); refusing "
		    "releases until it is back", why);
		close(s->alog_fd);
	}
	s->alog_fd = -1;
	s->nunsent = 0;
	for (uint32_t i = 0; i < MAX_PENDING; i++)
		if (s->pend[i].used) {
			send_reply(s, &s->pend[i], RP_E_AGAIN);
			pending_free(s, i);
		}
	s->backoff = BACKOFF_MIN_MS;
	s->alog_retry_at = now_ms() + s->backoff;
}

static void
alog_flush(struct server *s)
{
	uint32_t k = 0;

	while (k < s->nunsent && s->alog_fd >= 0) {
		uint32_t slot = s->unsent[k];
		struct pending *p = &s->pend[slot];
		int r;

		if (!p->used || p->sent) {
			k++;
			continue;
		}
		rp_msgw_begin(&s->w, RP_MSG_LOG_APPEND);
		rp_msgw_put_u64(&s->w, (uint64_t)p->gen << 32 | slot);
		rp_msgw_put_str(&s->w, rp_vault_op_body(p->op));
		r = rp_msgw_send(s->alog_fd, &s->w, MSG_DONTWAIT);
		if (r == RP_E_AGAIN)
			break;		/* poll for POLLOUT */
		if (r != 0) {
			alog_down(s, "send failed");
			return;
		}
		p->sent = true;
		k++;
	}
	if (k > 0 && s->alog_fd >= 0) {
		memmove(s->unsent, s->unsent + k, (s->nunsent - k) *
		    sizeof(*s->unsent));
		s->nunsent -= k;
	}
}

static void
alog_input(struct server *s)
{
	struct rp_msg m;
	uint64_t cookie, index, t;
	uint32_t err, slot;
	struct pending *p;
	int r;

	while (s->alog_fd >= 0) {
		r = rp_msg_recv(s->alog_fd, s->rbuf, &m);
		if (r == RP_E_AGAIN)
			return;
		if (r != 0) {
			alog_down(s, r == RP_E_CLOSED ? "closed" : "malformed");
			return;
		}
		if (m.type == RP_MSG_LOG_DURABLE) {
			if (rp_msg_get_u64(&m, &cookie) != 0 ||
			    rp_msg_get_u64(&m, &index) != 0 ||
			    rp_msg_get_u64(&m, &t) != 0 || rp_msg_end(&m) != 0)
				goto bad;
			err = 0;
		} else if (m.type == RP_MSG_LOG_FAILED) {
			if (rp_msg_get_u64(&m, &cookie) != 0 ||
			    rp_msg_get_u32(&m, &err) != 0 || rp_msg_end(&m) != 0)
				goto bad;
			err = err ? err : 1;
		} else
			goto bad;
		slot = (uint32_t)cookie;
		if (slot >= MAX_PENDING || !s->pend[slot].used ||
		    s->pend[slot].gen != (uint32_t)(cookie >> 32) ||
		    !s->pend[slot].sent)
			goto bad;
		p = &s->pend[slot];
		if (err != 0)
			send_reply(s, p, RP_E_AGAIN);	/* nothing released */
		else
			send_reply(s, p, rp_vault_op_commit(s->v, p->op));
		pending_free(s, slot);
	}
	return;
 bad:
	rp_log_error("vault: unexpected message from the log writer");
	alog_down(s, "protocol violation");
}

/* ---- clients ----------------------------------------------------------- */

static void
client_drop(struct server *s, unsigned i, const char *why)
{
	struct client *c = &s->clients[i];

	if (why != NULL)
		rp_log_warn("vault: dropping client pid %ld: %s", (long)c->pid,
		    why);
	close(c->fd);
	c->fd = -1;
	c->gen++;
	c->inflight = 0;
}

/* The class a registered peer's connections get (CL_ANON: none). */
static enum client_class
peer_class(uint32_t kind)
{
	switch (kind) {
	case RP_VAULT_PEER_WEB:
		return CL_WEB;
	case RP_VAULT_PEER_MAILER:
		return CL_MAILER;
	case RP_VAULT_PEER_CONSOLE:
		return CL_CONSOLE;
	case RP_KIND_GATE:
		return CL_GATE;
	default:
		return CL_ANON;
	}
}

static void
client_accept(struct server *s)
{
	const struct rp_peer *pe;
	unsigned i;
	pid_t pid;
	int fd;

	while ((fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC |
	    SOCK_NONBLOCK)) >= 0) {
		for (i = 0; i < MAX_CLIENTS && s->clients[i].fd >= 0; i++)
			;
		if (i == MAX_CLIENTS || rp_peer_pid(fd, &pid) != 0) {
			rp_log_warn("vault: refusing a connection (%s)",
			    i == MAX_CLIENTS ? "too many clients" : "no credentials");
			close(fd);
			continue;
		}
		s->clients[i].fd = fd;
		s->clients[i].pid = pid;
		s->clients[i].inflight = 0;
		s->clients[i].cls = CL_ANON;
		s->clients[i].node[0] = '\0';
		if ((pe = rp_peers_find(&s->peers, pid)) != NULL) {
			s->clients[i].cls = peer_class(pe->kind);
			s->clients[i].index = pe->index;
		}
	}
}

/*
 * Who may act in which role.  A verified capability names the role: a
 * site worker may pass on a traveller's (public_web, corporate_web), a
 * console worker a staff member's, the operator any.  Without one: a site
 * worker may only store a new traveller (put, in its site role), the
 * mailer read as mailer, the operator run its jobs; no one else anything.
 */
static bool
role_allowed(enum client_class cls, unsigned role, bool verified)
{
	bool site = role == RP_ROLE_PUBLIC_WEB || role == RP_ROLE_CORPORATE_WEB;

	if (verified) {
		switch (cls) {
		case CL_WEB:
			return site;
		case CL_CONSOLE:
			return !site && role != RP_ROLE_MAILER &&
			    role != RP_ROLE_SEED && role != RP_ROLE_LOG;
		case CL_OPERATOR:
			return true;
		default:
			return false;
		}
	}
	switch (cls) {
	case CL_WEB:
		return site;
	case CL_MAILER:
		return role == RP_ROLE_MAILER;
	case CL_OPERATOR:
		return role == RP_ROLE_INCIDENT || role == RP_ROLE_BACKOFFICE ||
		    role == RP_ROLE_SEED;
	case CL_CONSOLE:	/* a console worker acts only for a session */
	case CL_ANON:
	case CL_GATE:
		break;
	}
	return false;
}

/*
 * The capability of a request, if it has one: verified, it replaces the
 * role, tenant, actor and order scope the worker wrote.  Returns 0 (none,
 * or verified: *verified tells), or RP_E_DENIED / RP_E_EXPIRED with the
 * caller's actor set to say so ("cap:forged", "cap:expired") for the
 * refusal's log entry.
 */
static int
take_capability(struct server *s, struct rp_vault_caller *c, bool *verified)
{
	struct rp_cap cap;
	char hex[2 * RP_CAP_SESSION_LEN + 1];
	int r;

	*verified = false;
	if (c->cap_len == 0)
		return 0;
	r = s->have_cap_key ? rp_cap_verify((struct rp_str){
	    (const char *)c->cap, c->cap_len }, s->cap_key, rp_cap_now_ms(),
	    &cap) : RP_E_DENIED;
	sodium_memzero(c->cap, sizeof(c->cap));
	c->cap_len = 0;
	if (r != 0) {
		snprintf(c->actor, sizeof(c->actor), "%s",
		    r == RP_E_EXPIRED ? "cap:expired" : "cap:forged");
		return r;
	}
	sodium_bin2hex(hex, sizeof(hex), cap.session, sizeof(cap.session));
	c->role = cap.role;
	c->tenant = cap.tenant;
	/* "staff:<user ≤ 32>;session=<16 hex>" fits in 64 */
	snprintf(c->actor, sizeof(c->actor), "%.*s;session=%s",
	    (int)(RP_VAULT_STR_MAX - 9 - 16), cap.principal, hex);
	snprintf(c->scope_order, sizeof(c->scope_order), "%s",
	    cap.scope_order);
	*verified = true;
	return 0;
}

static void
send_status(struct server *s, unsigned ci, uint64_t cookie, int status)
{
	struct client *c = &s->clients[ci];

	rp_msgw_begin(&s->w, RP_MSG_VAULT_REPLY);
	rp_msgw_put_u64(&s->w, cookie);
	rp_msgw_put_u32(&s->w, (uint32_t)-status);
	if (rp_msgw_send(c->fd, &s->w, MSG_DONTWAIT) != 0)
		client_drop(s, ci, "not reading its replies");
}

static void
send_reply(struct server *s, struct pending *p, int status)
{
	struct client *c = &s->clients[p->client];

	if (c->fd < 0 || c->gen != p->client_gen)
		return;		/* gone: nothing to release to */
	if (c->inflight > 0)
		c->inflight--;
	rp_msgw_begin(&s->w, RP_MSG_VAULT_REPLY);
	rp_msgw_put_u64(&s->w, p->cookie);
	rp_vault_op_reply(p->op, status, &s->w);
	if (p->is_put && status == 0)
		rp_msgw_put_str(&s->w, (struct rp_str){
		    (const char *)p->receipt, p->receipt_len });
	if (s->w.err != 0) {
		/* Cannot happen: prepare capped the reply.  Release nothing. */
		rp_msgw_begin(&s->w, RP_MSG_VAULT_REPLY);
		rp_msgw_put_u64(&s->w, p->cookie);
		rp_msgw_put_u32(&s->w, (uint32_t)-RP_E_TOOBIG);
	}
	if (rp_msgw_send(c->fd, &s->w, MSG_DONTWAIT) != 0)
		client_drop(s, p->client, "not reading its replies");
	sodium_memzero(s->w.buf, s->w.len);
}

static void
pending_free(struct server *s, uint32_t slot)
{
	struct pending *p = &s->pend[slot];

	rp_vault_op_free(p->op);
	p->op = NULL;
	sodium_memzero(p->receipt, sizeof(p->receipt));
	p->receipt_len = 0;
	p->used = false;
	p->sent = false;
	s->freelist[s->nfree++] = slot;
}

static void
enqueue(struct server *s, unsigned ci, uint64_t cookie, struct rp_vault_op *op,
    bool is_put, const uint8_t *receipt, size_t receipt_len)
{
	struct client *c = &s->clients[ci];
	struct pending *p;
	uint32_t slot;

	if (s->nfree == 0) {
		rp_vault_op_free(op);
		send_status(s, ci, cookie, RP_E_AGAIN);
		return;
	}
	slot = s->freelist[--s->nfree];
	p = &s->pend[slot];
	p->gen++;
	if (p->gen == 0)
		p->gen = 1;
	p->used = true;
	p->sent = false;
	p->client = ci;
	p->client_gen = c->gen;
	p->cookie = cookie;
	p->op = op;
	p->is_put = is_put;
	assert(receipt_len <= sizeof(p->receipt));
	memcpy(p->receipt, receipt, receipt_len);
	p->receipt_len = receipt_len;
	c->inflight++;
	s->unsent[s->nunsent++] = slot;
}

/*
 * The receipt for a new traveller on one order: a capability of the
 * site role on that order ("put:<order>"), with which the worker reads
 * back what it stored and the identity holder opens the traveller's
 * session (auth/client.h, AUTH_RECEIPT).  Short-lived, like every one.
 */
static int
mint_receipt(struct server *s, const struct rp_vault_req *q,
    const uint8_t sid[RP_CAP_SESSION_LEN], uint8_t out[RP_CAP_MAX],
    size_t *len)
{
	struct rp_cap c;
	int n;

	*len = 0;
	if (!s->have_cap_key || q->orders[0].n == 0 ||
	    q->orders[0].n > RP_CAP_SCOPE_MAX)
		return RP_E_INVAL;
	memset(&c, 0, sizeof(c));
	c.role = q->tenant > 0 ? RP_ROLE_CORPORATE_WEB : RP_ROLE_PUBLIC_WEB;
	c.tenant = q->tenant;
	c.expires_ms = rp_cap_now_ms() + RP_CAP_TTL_MS;
	n = snprintf(c.principal, sizeof(c.principal), "put:%.*s",
	    (int)q->orders[0].n, q->orders[0].p);
	if (n < 0 || (size_t)n >= sizeof(c.principal))
		return RP_E_INVAL;
	memcpy(c.scope_order, q->orders[0].p, q->orders[0].n);
	memcpy(c.session, sid, sizeof(c.session));
	return rp_cap_encode(&c, s->cap_key, out, len);
}

static void
handle_request(struct server *s, unsigned ci)
{
	struct client *c = &s->clients[ci];
	struct rp_vault_req *q = &s->req;
	struct rp_vault_op *op = NULL;
	bool web_ok = true, verified = false;
	uint8_t receipt[RP_CAP_MAX], put_sid[RP_CAP_SESSION_LEN] = { 0 };
	size_t rlen = 0;
	int r, capr;

	if (q->type == RP_MSG_VAULT_HELLO) {
		if (rp_vault_token_ok(s->v, q->token)) {
			/* A registered peer keeps its class: the token must
			 * not widen a worker's (or the mailer's) roles. */
			if (c->cls == CL_ANON)
				c->cls = CL_OPERATOR;
			send_status(s, ci, q->cookie, 0);
		} else {
			rp_log_warn("vault: pid %ld presented a wrong operator "
			    "token", (long)c->pid);
			send_status(s, ci, q->cookie, RP_E_DENIED);
		}
		return;
	}
	if (s->alog_fd < 0) {
		send_status(s, ci, q->cookie, RP_E_AGAIN);
		return;
	}
	if (c->inflight >= MAX_INFLIGHT) {
		send_status(s, ci, q->cookie, RP_E_AGAIN);
		return;
	}
	switch (c->node[0] != '\0' ? CL_GATE : c->cls) {
	case CL_GATE:	/* another node's: what its certificate says */
		snprintf(q->caller.node, sizeof(q->caller.node), "%s", c->node);
		break;
	case CL_WEB:
		snprintf(q->caller.node, sizeof(q->caller.node), "web/%u",
		    c->index);
		break;
	case CL_MAILER:
		snprintf(q->caller.node, sizeof(q->caller.node), "mailer");
		break;
	case CL_OPERATOR:
		snprintf(q->caller.node, sizeof(q->caller.node), "operator");
		break;
	case CL_CONSOLE:
		snprintf(q->caller.node, sizeof(q->caller.node), "console/%u",
		    c->index);
		break;
	case CL_ANON:
		snprintf(q->caller.node, sizeof(q->caller.node), "pid:%ld",
		    (long)c->pid);
		break;
	}
	capr = take_capability(s, &q->caller, &verified);
	/*
	 * The principal of a request without a capability is the vault's
	 * word too, never the caller's: what its peer credentials say.
	 */
	if (!verified && capr == 0 && c->cls == CL_OPERATOR) {
		/* the token proves the operator; the job name is its own */
		char job[sizeof(q->caller.actor)];

		if (strncmp(q->caller.actor, "operator:", 9) != 0) {
			snprintf(job, sizeof(job), "%s", q->caller.actor);
			snprintf(q->caller.actor, sizeof(q->caller.actor),
			    "operator:%.*s", (int)(sizeof(job) - 10), job);
		}
	} else if (!verified && capr == 0 && c->cls == CL_WEB &&
	    q->type == RP_MSG_VAULT_PUT) {
		/* a new order being placed: its session starts here (the
		 * receipt carries the id, and the traveller's session that
		 * auth opens with it keeps it) */
		char hex[2 * RP_CAP_SESSION_LEN + 1];

		randombytes_buf(put_sid, sizeof(put_sid));
		sodium_bin2hex(hex, sizeof(hex), put_sid, sizeof(put_sid));
		snprintf(q->caller.actor, sizeof(q->caller.actor),
		    "anonymous;session=%s", hex);
	} else if (!verified && capr == 0)
		snprintf(q->caller.actor, sizeof(q->caller.actor), "%s",
		    c->cls == CL_MAILER ? "job:mail" : "anonymous");
	if (c->cls == CL_WEB) {
		/* A site worker: one record per get, of the order its
		 * traveller's capability names; no search; a put only of a
		 * new traveller on orders no record has yet (so that it
		 * cannot tie itself to someone else's order); an erasure only
		 * under a put's receipt — the traveller of an order that was
		 * not placed after all, by the flow that stored it. */
		q->caller.order_bound = true;
		q->caller.new_orders_only = true;
		web_ok = (verified && q->type == RP_MSG_VAULT_GET &&
		    q->nids == 1) || (q->type == RP_MSG_VAULT_PUT && q->id == 0) ||
		    (verified && q->type == RP_MSG_VAULT_ERASE &&
		    strncmp(q->caller.actor, "put:", 4) == 0);
	} else if (c->cls == CL_MAILER) {
		/* the mailer writes to the traveller of the message's order */
		q->caller.order_bound = true;
		web_ok = q->type == RP_MSG_VAULT_GET;
	}
	if (capr != 0) {
		rp_log_warn("vault: pid %ld presented a%s capability; refused",
		    (long)c->pid, capr == RP_E_EXPIRED ? "n expired" :
		    " forged or altered");
		web_ok = false;
	}
	if (!role_allowed(c->cls, q->caller.role, verified) || !web_ok) {
		if (capr == 0)
			rp_log_warn("vault: pid %ld may not use role %u (or "
			    "that request); refused", (long)c->pid,
			    q->caller.role);
		if (q->caller.role >= RP_ROLE_MAX)
			q->caller.role = RP_ROLE_NONE;
		if (q->caller.actor[0] == '\0')
			snprintf(q->caller.actor, sizeof(q->caller.actor), "-");
		if (q->caller.purpose[0] == '\0')
			snprintf(q->caller.purpose, sizeof(q->caller.purpose), "-");
		r = rp_vault_prepare_refused(s->v, q, &op);
	} else
		r = rp_vault_prepare(s->v, q, &op);
	if (r != 0) {
		send_status(s, ci, q->cookie, r);
		return;
	}
	/* every site worker's put of a new traveller gets its receipt (an
	 * API key's too: what it may withdraw if the order is not placed) */
	if (c->cls == CL_WEB && q->type == RP_MSG_VAULT_PUT &&
	    q->norders == 1) {
		if (verified)
			randombytes_buf(put_sid, sizeof(put_sid));
		if (mint_receipt(s, q, put_sid, receipt, &rlen) != 0)
			rlen = 0;	/* the put stands; no session of it */
	}
	enqueue(s, ci, q->cookie, op, q->type == RP_MSG_VAULT_PUT, receipt,
	    rlen);
	sodium_memzero(receipt, sizeof(receipt));
}

/*
 * The first message of a connection the gate relays: the kind and name
 * the peer's certificate carries (src/gate/gate.h).  Only a web worker's,
 * the mailer's or a console worker's: never the operator's.
 */
static int
gate_assert(struct client *c, struct rp_msg *m)
{
	struct rp_str cn;
	uint32_t kind;

	if (m->type != RP_MSG_PEER_ASSERT || rp_msg_get_u32(m, &kind) != 0 ||
	    rp_msg_get_str(m, &cn, RP_VAULT_STR_MAX) != 0 ||
	    rp_msg_end(m) != 0 || cn.n == 0 || !rp_str_printable(cn))
		return RP_E_PROTO;
	switch (peer_class(kind)) {
	case CL_WEB: case CL_MAILER: case CL_CONSOLE:
		break;
	default:
		return RP_E_PROTO;
	}
	c->cls = peer_class(kind);
	c->index = 0;
	memcpy(c->node, cn.p, cn.n);
	c->node[cn.n] = '\0';
	return 0;
}

static void
client_input(struct server *s, unsigned ci)
{
	struct client *c = &s->clients[ci];
	struct rp_msg m;
	int r;

	for (int k = 0; k < DRAIN_PER_CLIENT && c->fd >= 0; k++) {
		r = rp_msg_recv(c->fd, s->rbuf, &m);
		if (r == RP_E_AGAIN)
			return;
		if (r == RP_E_CLOSED) {
			client_drop(s, ci, NULL);
			return;
		}
		if (r == 0 && c->cls == CL_GATE) {
			if (gate_assert(c, &m) != 0) {
				client_drop(s, ci, "gate: not a PEER_ASSERT");
				return;
			}
			continue;
		}
		if (r != 0 || rp_vault_req_decode(&m, &s->req) != 0) {
			/* A malformed PUT may still hold personal data. */
			sodium_memzero(s->rbuf, sizeof(s->rbuf));
			client_drop(s, ci, "malformed message");
			return;
		}
		handle_request(s, ci);
		sodium_memzero(s->rbuf, RP_MSG_HEADER + m.n);
	}
}

/* ---- the parent -------------------------------------------------------- */

static void
parent_input(struct server *s)
{
	struct rp_msg m;
	int r;

	/* STOP and PING are handled by rp_child_recv; the registry here. */
	for (;;) {
		r = rp_child_recv(s->parent_fd, s->rbuf, &m, "vault");
		if (r == RP_CHILD_NONE)
			return;
		if (r == RP_CHILD_DONE)
			continue;
		if (r == RP_CHILD_STOP || r == RP_E_CLOSED) {
			s->stop = true;
			return;
		}
		if (r < 0)
			goto bad;
		{
			const struct rp_peer *reg;
			pid_t pid;

			if ((r = rp_peers_apply(&s->peers, &m, "vault", &pid,
			    &reg)) != 0)
				goto bad;
			for (unsigned i = 0; i < MAX_CLIENTS; i++) {
				struct client *cl = &s->clients[i];

				if (cl->fd < 0 || cl->pid != pid)
					continue;
				if (m.type == RP_MSG_PEER_FORGET)
					client_drop(s, i, "forgotten by the parent");
				/* an already connected worker (or mailer) gets
				 * its class now */
				else if (reg != NULL &&
				    peer_class(reg->kind) != CL_ANON) {
					cl->cls = peer_class(reg->kind);
					cl->index = reg->index;
				}
			}
		}
	}
 bad:
	rp_log_error("vault: malformed message from the parent; stopping");
	s->stop = true;
}

/* ---- the loop ---------------------------------------------------------- */

static int
serve(struct server *s)
{
	struct pollfd pfd[MAX_CLIENTS + 3];
	unsigned who[MAX_CLIENTS + 3];
	nfds_t n, i;
	int timeout;

	while (!s->stop && !got_signal) {
		if (s->alog_fd < 0 && now_ms() >= s->alog_retry_at)
			alog_connect(s);
		n = 0;
		pfd[n].fd = s->listen_fd;
		pfd[n++].events = POLLIN;
		if (s->parent_fd >= 0) {
			pfd[n].fd = s->parent_fd;
			pfd[n++].events = POLLIN;
		}
		if (s->alog_fd >= 0) {
			pfd[n].fd = s->alog_fd;
			pfd[n++].events = POLLIN | (s->nunsent ? POLLOUT : 0);
		}
		for (i = 0; i < MAX_CLIENTS; i++)
			if (s->clients[i].fd >= 0) {
				who[n] = (unsigned)i;
				pfd[n].fd = s->clients[i].fd;
				pfd[n++].events = POLLIN;
			}
		timeout = s->alog_fd < 0 ? BACKOFF_MIN_MS : 1000;
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			rp_log_error("vault: poll: %s", strerror(errno));
			return 1;
		}
		i = 0;
		if (pfd[i++].revents & POLLIN)
			client_accept(s);
		if (s->parent_fd >= 0 && pfd[i++].revents)
			parent_input(s);
		/* Replies first: they free slots for the new requests. */
		if (s->alog_fd >= 0 && pfd[i].fd == s->alog_fd) {
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				alog_input(s);
			i++;
		}
		for (; i < n; i++)
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				client_input(s, who[i]);
		alog_flush(s);
	}
	return 0;
}

int
rp_vault_run(const struct rp_conf *conf, int parent_fd)
{
	struct server *s;
	struct sigaction sa;
	int rc = 1;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return 1;
	s->conf = conf;
	s->parent_fd = parent_fd;
	s->listen_fd = s->alog_fd = -1;
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if ((s->pend = calloc(MAX_PENDING, sizeof(*s->pend))) == NULL ||
	    (s->freelist = calloc(MAX_PENDING, sizeof(*s->freelist))) == NULL ||
	    (s->unsent = calloc(MAX_PENDING, sizeof(*s->unsent))) == NULL)
		goto out;
	for (uint32_t k = 0; k < MAX_PENDING; k++)
		s->freelist[s->nfree++] = MAX_PENDING - 1 - k;
	if (sock_path(conf, RP_ALOG_SOCK_NAME, s->alog_path,
	    sizeof(s->alog_path)) != 0)
		goto out;
	if (rp_vault_open(conf->data_dir, NULL, &s->v) != 0) {
		rp_log_error("vault: cannot open the vault in %s", conf->data_dir);
		goto out;
	}
	if (parent_fd >= 0 && fcntl(parent_fd, F_SETFL, O_NONBLOCK) != 0)
		goto out;
	/* Without the capability key no capability verifies: staff roles
	 * are then refused (fail closed), the rest works. */
	s->have_cap_key = rp_cap_key_load(conf->data_dir, s->cap_key) == 0;
	if (!s->have_cap_key)
		rp_log_warn("vault: no capability key (%s): staff sessions "
		    "will be refused", RP_CAP_KEY_NAME);
	if (listen_on(s) != 0)
		goto out;
	alog_connect(s);
	if (parent_fd >= 0) {
		if (rp_child_ready(parent_fd, RP_VAULT_READY_KIND, 1) != 0)
			goto out;
	}
	rp_log_info("vault: listening on %s/%s", conf->data_dir,
	    RP_VAULT_SOCK_NAME);
	rc = serve(s);
 out:
	if (s->pend != NULL) {
		for (uint32_t k = 0; k < MAX_PENDING; k++)
			rp_vault_op_free(s->pend[k].op);	/* unreleased */
	}
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0)
			close(s->clients[i].fd);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->alog_fd >= 0)
		close(s->alog_fd);
	rp_vault_free(s->v);
	free(s->pend);
	free(s->freelist);
	free(s->unsent);
	sodium_memzero(s, sizeof(*s));
	free(s);
	return rc;
}

int
rp_vault_cmd(const struct rp_conf *conf, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: rentport vault\n\n"
			    "Runs the vault alone (normally `rentport serve` starts "
			    "it):\nlistens on <data-dir>/%s and logs through the "
			    "log writer at\n<data-dir>/%s.  Operator tools "
			    "authenticate with\n<data-dir>/vault/operator.token.\n",
			    RP_VAULT_SOCK_NAME, RP_ALOG_SOCK_NAME);
			return 0;
		}
		fprintf(stderr, "rentport vault: unknown argument '%.64s'\n",
		    argv[i]);
		return 2;
	}
	return rp_vault_run(conf, -1);
}
