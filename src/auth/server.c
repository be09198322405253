/* SPDX-License-Identifier: ISC */
/*
 * server.c — the identity holder's process (`rentport: auth`, user
 * rentport-auth): listens on DATA/run/auth.sock, answers the console
 * workers the parent registered (PEER_REGISTER, checked by SO_PEERCRED
 * pid), and vouches for a session with a capability the vault checks
 * (cap.h).  It alone holds auth.db, the TOTP sealing key and — with the
 * vault — the capability key.  One thread, one request at a time (a
 * sign-in costs an argon2id check, ~20 ms); protocol in client.h.
 *
 * A failed sign-in is logged with the username and the client's address
 * (staff handles are not personal data; no password, code or token ever
 * reaches a log).
 */
#include "util/common.h"
#include "auth/auth.h"
#include "auth/cap.h"
#include "auth/client.h"
#include "auth/linkseal.h"
#include "auth/proto.h"
#include "alog/entry.h"
#include "conf/conf.h"
#include "proc/child.h"
#include "proc/msg.h"
#include "proc/peers.h"
#include "proc/sandbox.h"
#include "util/log.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CLIENTS	64

/* failed sign-ins come from anyone: at most 30 lines a minute */
static struct rp_log_limit fail_lim = RP_LOG_LIMIT(30);

struct server {
	const struct rp_conf *conf;
	struct rp_auth_db *db;
	uint8_t cap_key[RP_CAP_KEY_LEN];
	int parent_fd, listen_fd, sig_fd;
	int clients[MAX_CLIENTS];
	uint32_t client_kind[MAX_CLIENTS];	/* RP_KIND_CONSOLE | _WEB */
	uint8_t link_pk[crypto_box_PUBLICKEYBYTES];
	bool have_link_pk;
	struct rp_peers peers;
	bool stop;
	uint8_t rbuf[RP_MSG_MAX_FRAME];
	struct rp_auth_req q;
	struct rp_msgw w;
};

static void
client_accept(struct server *s)
{
	const struct rp_peer *pe;
	unsigned i;
	pid_t pid = 0;
	int fd;

	while ((fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC |
	    SOCK_NONBLOCK)) >= 0) {
		for (i = 0; i < MAX_CLIENTS && s->clients[i] >= 0; i++)
			;
		if (i == MAX_CLIENTS || rp_peer_pid(fd, &pid) != 0 ||
		    (pe = rp_peers_find(&s->peers, pid)) == NULL ||
		    (pe->kind != RP_KIND_CONSOLE && pe->kind != RP_KIND_WEB &&
		    pe->kind != RP_KIND_GATE)) {
			rp_log_warn("auth: refusing a connection from pid %ld "
			    "(not a web or console worker)", (long)pid);
			close(fd);
			continue;
		}
		s->clients[i] = fd;
		s->client_kind[i] = pe->kind;
	}
}

static void
put_who(struct rp_msgw *w, const struct rp_auth_session *ss)
{
	rp_msgw_put_str(w, rp_str_c(ss->sid));
	rp_msgw_put_str(w, rp_str_c(ss->who.username));
	rp_msgw_put_u32(w, (uint32_t)ss->who.role);
	rp_msgw_put_u32(w, (uint32_t)ss->who.tenant_id);
	rp_msgw_put_str(w, rp_str_c(ss->who.counters));
	rp_msgw_put_u64(w, (uint64_t)ss->expires_at);
	rp_msgw_put_u64(w, (uint64_t)ss->idle_until);
}

/* The capability for a session: its principal, role, tenant, order. */
static int
mint(struct server *s, const struct rp_auth_session *ss, const char *scope,
    uint8_t *out, size_t *len)
{
	struct rp_cap c;
	uint64_t now = rp_cap_now_ms(), end;

	memset(&c, 0, sizeof(c));
	c.role = rp_staff_alog_role(ss->who.role);
	c.tenant = (uint32_t)ss->who.tenant_id;
	end = (uint64_t)ss->expires_at * 1000;
	c.expires_ms = now + RP_CAP_TTL_MS < end ? now + RP_CAP_TTL_MS : end;
	snprintf(c.principal, sizeof(c.principal), "staff:%s",
	    ss->who.username);
	if (sodium_hex2bin(c.session, sizeof(c.session), ss->sid,
	    strlen(ss->sid), NULL, NULL, NULL) != 0)
		return RP_E_STATE;
	snprintf(c.scope_order, sizeof(c.scope_order), "%s", scope);
	return rp_cap_encode(&c, s->cap_key, out, len);
}

static int handle_web(struct server *, const struct rp_auth_req *);

static int
handle(struct server *s, struct rp_msg *m, uint32_t peer_kind)
{
	const struct rp_conf *cf = s->conf;
	struct rp_auth_req *q = &s->q;
	int64_t now = (int64_t)time(NULL);
	struct rp_auth_login lg;
	struct rp_auth_session ss;
	uint64_t cookie;
	int r;

	/* the public and corporate sites' workers: travellers and API keys
	 * alone; the console's: staff alone (proto.c) */
	if (rp_auth_req_decode(m, peer_kind, q) != 0)
		return RP_E_PROTO;
	cookie = q->cookie;
	if (peer_kind == RP_KIND_WEB)
		return handle_web(s, q);
	memset(&lg, 0, sizeof(lg));
	switch (q->type) {
	case RP_MSG_AUTH_SIGNIN:
		r = rp_auth_signin(s->db, q->user, q->password, q->code,
		    q->kind, q->client, q->flag != 0, now, cf->staff_idle_s,
		    cf->staff_session_s, &lg);
		rp_msgw_begin(&s->w, RP_MSG_AUTH_REPLY);
		rp_msgw_put_u64(&s->w, cookie);
		rp_msgw_put_u32(&s->w, (uint32_t)-r);
		if (r == 0) {
			rp_msgw_put_str(&s->w, rp_str_c(lg.token));
			put_who(&s->w, &lg.s);
			rp_log_info("auth: %.32s signed in (%s, session %s, "
			    "from %s)", lg.s.who.username, q->kind, lg.s.sid,
			    q->client);
		} else if (r == RP_E_STATE) {
			rp_msgw_put_str(&s->w, rp_str_c(lg.token));
			rp_msgw_put_str(&s->w, rp_str_c(lg.uri));
			rp_log_info("auth: %.32s began enrolment (from %s)",
			    lg.s.who.username, q->client);
		} else if (rp_auth_user_ok(q->user))
			rp_log_limited(&fail_lim, RP_LOG_WARN, "auth: failed sign-in as "
			    "%.*s from %s", (int)q->user.n, q->user.p, q->client);
		else
			rp_log_limited(&fail_lim, RP_LOG_WARN, "auth: failed sign-in "
			    "(malformed username) from %s", q->client);
		break;
	case RP_MSG_AUTH_ENROL:
		r = rp_auth_enrol(s->db, q->token, q->code, q->kind, q->client,
		    now,
		    cf->staff_idle_s, cf->staff_session_s, &lg);
		rp_msgw_begin(&s->w, RP_MSG_AUTH_REPLY);
		rp_msgw_put_u64(&s->w, cookie);
		rp_msgw_put_u32(&s->w, (uint32_t)-r);
		if (r == 0) {
			rp_msgw_put_str(&s->w, rp_str_c(lg.token));
			put_who(&s->w, &lg.s);
			rp_log_info("auth: %.32s enrolled and signed in "
			    "(session %s)", lg.s.who.username, lg.s.sid);
		}
		break;
	case RP_MSG_AUTH_WHO: {
		uint8_t cap[RP_CAP_MAX];
		size_t clen = 0;

		r = rp_auth_session_get(s->db, q->token, now, cf->staff_idle_s,
		    &ss);
		if (r == 0)
			r = mint(s, &ss, q->scope, cap, &clen);
		rp_msgw_begin(&s->w, RP_MSG_AUTH_REPLY);
		rp_msgw_put_u64(&s->w, cookie);
		rp_msgw_put_u32(&s->w, (uint32_t)-r);
		if (r == 0) {
			put_who(&s->w, &ss);
			rp_msgw_put_str(&s->w, (struct rp_str){
			    (const char *)cap, clen });
		}
		sodium_memzero(cap, sizeof(cap));
		break;
	}
	case RP_MSG_AUTH_SIGNOUT:
		r = rp_auth_signout(s->db, q->token);
		rp_msgw_begin(&s->w, RP_MSG_AUTH_REPLY);
		rp_msgw_put_u64(&s->w, cookie);
		rp_msgw_put_u32(&s->w, (uint32_t)-r);
		break;
	case RP_MSG_AUTH_SESSIONS:
	case RP_MSG_AUTH_REVOKE: {
		struct rp_auth_session *v = NULL;
		size_t n = 0;

		r = rp_auth_session_get(s->db, q->token, now, cf->staff_idle_s,
		    &ss);
		if (r == 0 && q->type == RP_MSG_AUTH_REVOKE)
			r = rp_auth_revoke(s->db, ss.who.id, q->sid);
		else if (r == 0)
			r = rp_auth_sessions(s->db, ss.who.id, now, &v, &n);
		rp_msgw_begin(&s->w, RP_MSG_AUTH_REPLY);
		rp_msgw_put_u64(&s->w, cookie);
		rp_msgw_put_u32(&s->w, (uint32_t)-r);
		if (r == 0 && q->type == RP_MSG_AUTH_SESSIONS) {
			if (n > RP_AUTH_MAX_SESSIONS)
				n = RP_AUTH_MAX_SESSIONS;
			rp_msgw_put_u32(&s->w, (uint32_t)n);
			for (size_t i = 0; i < n; i++) {
				rp_msgw_put_str(&s->w, rp_str_c(v[i].sid));
				rp_msgw_put_str(&s->w, rp_str_c(v[i].kind));
				rp_msgw_put_str(&s->w, rp_str_c(v[i].client));
				rp_msgw_put_u64(&s->w, (uint64_t)v[i].created_at);
				rp_msgw_put_u64(&s->w, (uint64_t)v[i].last_seen);
				rp_msgw_put_u64(&s->w, (uint64_t)v[i].expires_at);
				rp_msgw_put_u32(&s->w,
				    strcmp(v[i].sid, ss.sid) == 0);
			}
		}
		free(v);
		break;
	}
	default:
		return RP_E_PROTO;
	}
	sodium_memzero(&lg, sizeof(lg));
	return 0;
}

/* ---- travellers and API keys (the web workers) -------------------------- */

static void
reply_begin(struct server *s, uint64_t cookie, int r)
{
	rp_msgw_begin(&s->w, RP_MSG_AUTH_REPLY);
	rp_msgw_put_u64(&s->w, cookie);
	rp_msgw_put_u32(&s->w, (uint32_t)-r);
}

/* A site's base URL as the configuration makes it: the public base, or
 * it and "/c/<slug>"; nothing else may receive a link. */
static bool
base_ok(const struct rp_conf *cf, const char *u)
{
	char base[300];
	size_t n;

	rp_conf_public_base(cf, base, sizeof(base));
	n = strlen(base);
	if (strncmp(u, base, n) != 0)
		return false;
	u += n;
	if (*u == '\0')
		return true;
	if (strncmp(u, "/c/", 3) != 0 || u[3] == '\0')
		return false;
	for (u += 3; *u; u++)
		if (!((*u >= 'a' && *u <= 'z') || (*u >= '0' && *u <= '9') ||
		    *u == '-'))
			return false;
	return true;
}

static unsigned
site_role(uint32_t tenant)
{
	return tenant > 0 ? RP_ROLE_CORPORATE_WEB : RP_ROLE_PUBLIC_WEB;
}

/* The capability of a traveller's session on one order. */
static int
mint_traveller(struct server *s, const struct rp_cust_token *t,
    uint8_t *out, size_t *len)
{
	struct rp_cap c;
	uint64_t now = rp_cap_now_ms(), end = (uint64_t)t->expires_at * 1000;

	memset(&c, 0, sizeof(c));
	c.role = site_role((uint32_t)t->tenant_id);
	c.tenant = (uint32_t)t->tenant_id;
	c.expires_ms = now + RP_CAP_TTL_MS < end ? now + RP_CAP_TTL_MS : end;
	snprintf(c.principal, sizeof(c.principal), "traveller:%s", t->order);
	if (sodium_hex2bin(c.session, sizeof(c.session), t->sid,
	    strlen(t->sid), NULL, NULL, NULL) != 0)
		return RP_E_STATE;
	snprintf(c.scope_order, sizeof(c.scope_order), "%s", t->order);
	return rp_cap_encode(&c, s->cap_key, out, len);
}

/* A new session on (tenant, order): its token into tok; its public id
 * sid when given (the placement's, from the vault's receipt) and free,
 * else a new one. */
static int
open_session(struct server *s, int64_t tenant, const char *order,
    const char *sid, int64_t now, char tok[RP_CUST_TOKEN_LEN + 1])
{
	int r = RP_E_EXISTS;

	if (sid != NULL)
		r = rp_auth_cust_new_sid(s->db, RP_CUST_SESSION, tenant, order,
		    sid, now, RP_CUST_SESSION_TTL, tok);
	if (r == RP_E_EXISTS)
		r = rp_auth_cust_new(s->db, RP_CUST_SESSION, tenant, order, "",
		    now, RP_CUST_SESSION_TTL, tok, NULL);
	return r;
}

static int
handle_web(struct server *s, const struct rp_auth_req *q)
{
	int64_t now = (int64_t)time(NULL);
	const uint32_t tenant = q->tenant;
	const uint64_t cookie = q->cookie;
	char order[RP_CUST_ORDER_MAX + 1], sid[RP_AUTH_SID_HEX + 1];
	char tok[RP_CUST_TOKEN_LEN + 1], url[RP_LINKSEAL_URL_MAX + 1];
	char sealed[RP_LINKSEAL_MAX + 1];
	uint8_t cap[RP_CAP_MAX];
	size_t clen = 0;
	struct rp_cust_token t;
	int r;

	tok[0] = '\0';
	switch (q->type) {
	case RP_MSG_AUTH_LINK_NEW:
		/* a link for the order's mail, readable by the mailer alone */
		r = !s->have_link_pk ? RP_E_AGAIN : !base_ok(s->conf, q->base) ||
		    !rp_auth_order_ok(q->order) ? RP_E_INVAL :
		    rp_auth_cust_new(s->db, RP_CUST_LINK, tenant, q->order, "", now,
		    RP_CUST_LINK_TTL, tok, sid);
		if (r == 0) {
			if ((size_t)snprintf(url, sizeof(url),
			    "%.300s/my-order/open?t=%s", q->base, tok) >= sizeof(url))
				r = RP_E_TOOBIG;
			else
				r = rp_linkseal_seal(s->link_pk, q->order, url,
				    sealed, sizeof(sealed));
			if (r != 0 && rp_auth_cust_revoke(s->db, RP_CUST_LINK,
			    sid) != 0)
				rp_log_error("auth: an unsealed link not revoked");
			sodium_memzero(url, sizeof(url));
		}
		reply_begin(s, cookie, r);
		if (r == 0) {
			rp_msgw_put_str(&s->w, rp_str_c(sealed));
			rp_msgw_put_str(&s->w, rp_str_c(sid));
		}
		break;
	case RP_MSG_AUTH_LINK_SETTLE:
		/* sent: the new link supersedes the older; not: it is void */
		r = q->flag ? rp_auth_cust_retire(s->db, RP_CUST_LINK, tenant,
		    q->order, q->sid, now, NULL) :
		    rp_auth_cust_revoke(s->db, RP_CUST_LINK, q->sid);
		reply_begin(s, cookie, r);
		break;
	case RP_MSG_AUTH_LINK_OPEN:
		/* flag 0: is it good here (a peek); 1: use it, start the
		 * session, end the order's other links */
		r = rp_auth_cust_take(s->db, RP_CUST_LINK, q->token, "", now, false,
		    &t);
		if (r == 0 && t.tenant_id != (int64_t)tenant)
			r = RP_E_NOTFOUND;	/* another site's link */
		if (r == 0 && q->flag)
			r = rp_auth_cust_take(s->db, RP_CUST_LINK, q->token, "",
			    now, true, &t);
		if (r == 0 && q->flag) {
			if (rp_auth_cust_retire(s->db, RP_CUST_LINK, tenant,
			    t.order, "", now, NULL) != 0)
				rp_log_error("auth: the other links of an order "
				    "not retired");
			r = open_session(s, tenant, t.order, NULL, now, tok);
		}
		reply_begin(s, cookie, r);
		if (r == 0 && q->flag) {
			rp_msgw_put_str(&s->w, rp_str_c(tok));
			rp_msgw_put_str(&s->w, rp_str_c(t.order));
		}
		break;
	case RP_MSG_AUTH_RECEIPT: {
		/* the vault's receipt for a traveller it just stored: a
		 * session on that new order, for the browser that placed it */
		struct rp_cap rc;

		r = rp_cap_verify(q->token, s->cap_key, rp_cap_now_ms(), &rc);
		if (r == 0) {
			snprintf(order, sizeof(order), "%s", rc.scope_order);
			if (strncmp(rc.principal, "put:", 4) != 0 ||
			    strcmp(rc.principal + 4, order) != 0 ||
			    rc.tenant != tenant || rc.role != site_role(tenant) ||
			    !rp_auth_order_ok(order))
				r = RP_E_DENIED;
		}
		if (r != 0)
			rp_log_warn("auth: a%s receipt refused", r == RP_E_EXPIRED ?
			    "n expired" : " forged or altered");
		else {
			sodium_bin2hex(sid, sizeof(sid), rc.session,
			    sizeof(rc.session));
			r = open_session(s, tenant, order, sid, now, tok);
		}
		/* the review page's nonce: a double submit of that form (the
		 * same browser, its first answer lost) finds this order */
		if (r == 0 && q->nonce.n > 0 && rp_auth_cust_add(s->db,
		    RP_CUST_PLACEMENT, tenant, order, q->nonce, now,
		    RP_CUST_PLACEMENT_TTL) != 0)
			rp_log_warn("auth: a placement nonce not kept");
		reply_begin(s, cookie, r);
		if (r == 0)
			rp_msgw_put_str(&s->w, rp_str_c(tok));
		break;
	}
	case RP_MSG_AUTH_REPLAY:
		/* a double submit: a session on the order its first placed */
		r = rp_auth_cust_take(s->db, RP_CUST_PLACEMENT, q->nonce, "", now,
		    false, &t);
		if (r == 0 && t.tenant_id != (int64_t)tenant)
			r = RP_E_NOTFOUND;
		if (r == 0)
			r = open_session(s, tenant, t.order, NULL, now, tok);
		reply_begin(s, cookie, r);
		if (r == 0)
			rp_msgw_put_str(&s->w, rp_str_c(tok));
		break;
	case RP_MSG_AUTH_CUST_WHO:
		/* a session's order and the capability to read it */
		r = rp_auth_cust_take(s->db, RP_CUST_SESSION, q->token, "", now,
		    false, &t);
		if (r == 0 && t.tenant_id != (int64_t)tenant)
			r = RP_E_NOTFOUND;	/* another site's session */
		if (r == 0)
			r = mint_traveller(s, &t, cap, &clen);
		reply_begin(s, cookie, r);
		if (r == 0) {
			rp_msgw_put_str(&s->w, rp_str_c(t.order));
			rp_msgw_put_str(&s->w, rp_str_c(t.sid));
			rp_msgw_put_str(&s->w, (struct rp_str){
			    (const char *)cap, clen });
		}
		break;
	case RP_MSG_AUTH_ACCESS_NEW:
		/* the worker checked the access code (its hash is the
		 * tenant's setting): a pass bound to that hash's fingerprint */
		r = tenant == 0 || q->bind[0] == '\0' ? RP_E_INVAL :
		    rp_auth_cust_new(s->db, RP_CUST_ACCESS, tenant, "", q->bind, now,
		    RP_CUST_ACCESS_TTL, tok, NULL);
		reply_begin(s, cookie, r);
		if (r == 0)
			rp_msgw_put_str(&s->w, rp_str_c(tok));
		break;
	case RP_MSG_AUTH_ACCESS_CHECK:
		r = rp_auth_cust_take(s->db, RP_CUST_ACCESS, q->token, q->bind,
		    now,
		    false, &t);
		if (r == 0 && t.tenant_id != (int64_t)tenant)
			r = RP_E_NOTFOUND;
		reply_begin(s, cookie, r);
		break;
	case RP_MSG_AUTH_APIKEY: {
		/* a corporate client's API key: its tenant, and the
		 * capability its requests act under */
		struct rp_cap c;
		int64_t tid, kid;

		r = rp_auth_apikey_lookup(s->db, q->token, &tid, &kid);
		if (r == 0 && (tid <= 0 || tid > UINT32_MAX))
			r = RP_E_NOTFOUND;
		if (r == 0) {
			memset(&c, 0, sizeof(c));
			c.role = RP_ROLE_CORPORATE_WEB;
			c.tenant = (uint32_t)tid;
			c.expires_ms = rp_cap_now_ms() + RP_CAP_TTL_MS;
			snprintf(c.principal, sizeof(c.principal),
			    "apikey:%lld", (long long)kid);
			rp_be_put(c.session, (uint64_t)kid, sizeof(c.session));
			r = rp_cap_encode(&c, s->cap_key, cap, &clen);
		}
		reply_begin(s, cookie, r);
		if (r == 0) {
			rp_msgw_put_u32(&s->w, (uint32_t)tid);
			rp_msgw_put_str(&s->w, (struct rp_str){
			    (const char *)cap, clen });
		}
		break;
	}
	default:
		return RP_E_PROTO;	/* a staff request from a site worker */
	}
	sodium_memzero(tok, sizeof(tok));
	sodium_memzero(cap, sizeof(cap));
	return 0;
}

static void
client_input(struct server *s, unsigned i)
{
	struct rp_msg m;
	int r;

	r = rp_msg_recv(s->clients[i], s->rbuf, &m);
	if (r == RP_E_AGAIN)
		return;
	/* Relayed from another node: first what its certificate says
	 * (src/gate/gate.h), a web or console worker's kind. */
	if (r == 0 && s->client_kind[i] == RP_KIND_GATE) {
		struct rp_str cn;
		uint32_t kind;

		if (m.type == RP_MSG_PEER_ASSERT &&
		    rp_msg_get_u32(&m, &kind) == 0 &&
		    rp_msg_get_str(&m, &cn, 64) == 0 && rp_msg_end(&m) == 0 &&
		    (kind == RP_KIND_WEB || kind == RP_KIND_CONSOLE)) {
			s->client_kind[i] = kind;
			return;
		}
		r = RP_E_PROTO;
	}
	if (r == 0 && (r = handle(s, &m, s->client_kind[i])) == 0)
		r = rp_msgw_send(s->clients[i], &s->w, MSG_DONTWAIT);
	sodium_memzero(s->rbuf, sizeof(s->rbuf));
	sodium_memzero(s->w.buf, s->w.len);
	if (r != 0) {
		if (r == RP_E_PROTO)
			rp_log_warn("auth: malformed request; dropping the "
			    "client");
		close(s->clients[i]);
		s->clients[i] = -1;
	}
}

static void
parent_input(struct server *s)
{
	struct rp_msg m;
	pid_t pid;
	int r;

	for (;;) {
		r = rp_child_recv(s->parent_fd, s->rbuf, &m, "auth");
		if (r == RP_CHILD_NONE)
			return;
		if (r == RP_CHILD_DONE)
			continue;
		if (r == RP_CHILD_STOP || r == RP_E_CLOSED || r < 0) {
			s->stop = true;
			return;
		}
		if (rp_peers_apply(&s->peers, &m, "auth", &pid, NULL) != 0) {
			rp_log_error("auth: unexpected message from the parent");
			s->stop = true;
			return;
		}
	}
}

static int
serve(struct server *s)
{
	struct pollfd pfd[3 + MAX_CLIENTS];
	unsigned who[3 + MAX_CLIENTS];
	nfds_t n, i;

	while (!s->stop) {
		n = 0;
		pfd[n].fd = s->listen_fd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = s->sig_fd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = s->parent_fd;
		pfd[n++].events = POLLIN;
		for (unsigned k = 0; k < MAX_CLIENTS; k++)
			if (s->clients[k] >= 0) {
				who[n] = k;
				pfd[n].fd = s->clients[k];
				pfd[n++].events = POLLIN;
			}
		if (poll(pfd, n, 1000) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (pfd[1].revents) {
			rp_log_info("auth: stopping on a signal");
			return 0;
		}
		if (pfd[2].revents)
			parent_input(s);
		if (pfd[0].revents & POLLIN)
			client_accept(s);
		for (i = 3; i < n; i++)
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				client_input(s, who[i]);
	}
	return 0;
}

int
rp_auth_run(const struct rp_conf *conf, int parent_fd)
{
	struct server *s;
	char path[RP_CONF_PATH_MAX + 32];
	int rc = 1, r;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return 1;
	s->conf = conf;
	s->parent_fd = parent_fd;
	s->listen_fd = s->sig_fd = -1;
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		s->clients[i] = -1;
	if ((s->sig_fd = rp_child_signals("auth")) < 0)
		goto out;
	if ((r = rp_cap_key_load(conf->data_dir, s->cap_key)) != 0) {
		rp_log_error("auth: cannot read the capability key (%s)",
		    rp_strerror(r));
		goto out;
	}
	/* without it no link can be mailed; everything else works */
	s->have_link_pk = rp_linkseal_pub_load(conf->data_dir, s->link_pk) == 0;
	if (!s->have_link_pk)
		rp_log_warn("auth: no %s: \"my order\" links cannot be "
		    "mailed", RP_LINKSEAL_PUB);
	if ((r = rp_auth_db_open(conf->data_dir, &s->db)) != 0) {
		rp_log_error("auth: cannot open %s/auth/auth.db (%s)",
		    conf->data_dir, rp_strerror(r));
		goto out;
	}
	if (fcntl(parent_fd, F_SETFL, O_NONBLOCK) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s", conf->data_dir,
	    RP_AUTH_SOCK_NAME);
	if ((r = rp_msg_unix_listen(path, &s->listen_fd)) != 0) {
		rp_log_error("auth: cannot listen on %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (rp_child_ready(parent_fd, RP_KIND_AUTH, 1) != 0)
		goto out;
	rp_log_info("auth: listening on %s", RP_AUTH_SOCK_NAME);
	rc = serve(s);
 out:
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (s->clients[i] >= 0)
			close(s->clients[i]);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->sig_fd >= 0)
		close(s->sig_fd);
	rp_auth_db_close(s->db);
	sodium_memzero(s, sizeof(*s));
	free(s);
	return rc;
}
