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
	struct rp_peers peers;
	bool stop;
	uint8_t rbuf[RP_MSG_MAX_FRAME];
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
		    pe->kind != RP_KIND_CONSOLE) {
			rp_log_warn("auth: refusing a connection from pid %ld "
			    "(not a console worker)", (long)pid);
			close(fd);
			continue;
		}
		s->clients[i] = fd;
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

static bool
kind_ok(const char *k)
{
	return strcmp(k, "console") == 0 || strcmp(k, "api") == 0;
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

static int
handle(struct server *s, struct rp_msg *m)
{
	const struct rp_conf *cf = s->conf;
	int64_t now = (int64_t)time(NULL);
	struct rp_str user, pw, code, token, ticket;
	char kind[8], client[RP_AUTH_CLIENT_MAX + 1], scope[RP_CAP_SCOPE_MAX + 1];
	char sid[RP_AUTH_SID_HEX + 1];
	struct rp_auth_login lg;
	struct rp_auth_session ss;
	uint64_t cookie;
	uint32_t enrol;
	int r;

	if (rp_msg_get_u64(m, &cookie) != 0)
		return RP_E_PROTO;
	memset(&lg, 0, sizeof(lg));
	switch (m->type) {
	case RP_MSG_AUTH_SIGNIN:
		if (rp_msg_get_str(m, &user, RP_AUTH_USER_MAX) != 0 ||
		    rp_msg_get_str(m, &pw, 256) != 0 ||
		    rp_msg_get_str(m, &code, 8) != 0 ||
		    rp_msg_get_cstr(m, kind, sizeof(kind) - 1) != 0 ||
		    rp_msg_get_cstr(m, client, sizeof(client) - 1) != 0 ||
		    rp_msg_get_u32(m, &enrol) != 0 || rp_msg_end(m) != 0 ||
		    !kind_ok(kind))
			return RP_E_PROTO;
		r = rp_auth_signin(s->db, user, pw, code, kind, client,
		    enrol != 0, now, cf->staff_idle_s, cf->staff_session_s,
		    &lg);
		rp_msgw_begin(&s->w, RP_MSG_AUTH_REPLY);
		rp_msgw_put_u64(&s->w, cookie);
		rp_msgw_put_u32(&s->w, (uint32_t)-r);
		if (r == 0) {
			rp_msgw_put_str(&s->w, rp_str_c(lg.token));
			put_who(&s->w, &lg.s);
			rp_log_info("auth: %.32s signed in (%s, session %s, "
			    "from %s)", lg.s.who.username, kind, lg.s.sid,
			    client);
		} else if (r == RP_E_STATE) {
			rp_msgw_put_str(&s->w, rp_str_c(lg.token));
			rp_msgw_put_str(&s->w, rp_str_c(lg.uri));
			rp_log_info("auth: %.32s began enrolment (from %s)",
			    lg.s.who.username, client);
		} else if (rp_auth_user_ok(user))
			rp_log_limited(&fail_lim, RP_LOG_WARN, "auth: failed sign-in as "
			    "%.*s from %s", (int)user.n, user.p, client);
		else
			rp_log_limited(&fail_lim, RP_LOG_WARN, "auth: failed sign-in "
			    "(malformed username) from %s", client);
		break;
	case RP_MSG_AUTH_ENROL:
		if (rp_msg_get_str(m, &ticket, RP_AUTH_TOKEN_LEN) != 0 ||
		    rp_msg_get_str(m, &code, 8) != 0 ||
		    rp_msg_get_cstr(m, kind, sizeof(kind) - 1) != 0 ||
		    rp_msg_get_cstr(m, client, sizeof(client) - 1) != 0 ||
		    rp_msg_end(m) != 0 || !kind_ok(kind))
			return RP_E_PROTO;
		r = rp_auth_enrol(s->db, ticket, code, kind, client, now,
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

		if (rp_msg_get_str(m, &token, RP_AUTH_TOKEN_LEN) != 0 ||
		    rp_msg_get_cstr(m, scope, sizeof(scope) - 1) != 0 || rp_msg_end(m) != 0)
			return RP_E_PROTO;
		r = rp_auth_session_get(s->db, token, now, cf->staff_idle_s,
		    &ss);
		if (r == 0)
			r = mint(s, &ss, scope, cap, &clen);
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
		if (rp_msg_get_str(m, &token, RP_AUTH_TOKEN_LEN) != 0 ||
		    rp_msg_end(m) != 0)
			return RP_E_PROTO;
		r = rp_auth_signout(s->db, token);
		rp_msgw_begin(&s->w, RP_MSG_AUTH_REPLY);
		rp_msgw_put_u64(&s->w, cookie);
		rp_msgw_put_u32(&s->w, (uint32_t)-r);
		break;
	case RP_MSG_AUTH_SESSIONS:
	case RP_MSG_AUTH_REVOKE: {
		struct rp_auth_session *v = NULL;
		size_t n = 0;

		if (rp_msg_get_str(m, &token, RP_AUTH_TOKEN_LEN) != 0)
			return RP_E_PROTO;
		if (m->type == RP_MSG_AUTH_REVOKE &&
		    rp_msg_get_cstr(m, sid, sizeof(sid) - 1) != 0)
			return RP_E_PROTO;
		if (rp_msg_end(m) != 0)
			return RP_E_PROTO;
		r = rp_auth_session_get(s->db, token, now, cf->staff_idle_s,
		    &ss);
		if (r == 0 && m->type == RP_MSG_AUTH_REVOKE)
			r = rp_auth_revoke(s->db, ss.who.id, sid);
		else if (r == 0)
			r = rp_auth_sessions(s->db, ss.who.id, now, &v, &n);
		rp_msgw_begin(&s->w, RP_MSG_AUTH_REPLY);
		rp_msgw_put_u64(&s->w, cookie);
		rp_msgw_put_u32(&s->w, (uint32_t)-r);
		if (r == 0 && m->type == RP_MSG_AUTH_SESSIONS) {
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

static void
client_input(struct server *s, unsigned i)
{
	struct rp_msg m;
	int r;

	r = rp_msg_recv(s->clients[i], s->rbuf, &m);
	if (r == RP_E_AGAIN)
		return;
	if (r == 0 && (r = handle(s, &m)) == 0)
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
