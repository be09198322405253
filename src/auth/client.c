/* SPDX-License-Identifier: ISC */
/*
 * client.c — one request to the identity holder per call (client.h).
 */
#include "util/common.h"
#include "auth/client.h"
#include "proc/msg.h"

#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

struct call {
	struct rp_msgw w;
	uint8_t rbuf[RP_MSG_MAX_FRAME];
	struct rp_msg m;
	int fd;
};

static struct call *
call_begin(enum rp_msg_type type)
{
	struct call *c = malloc(sizeof(*c));

	if (c == NULL)
		return NULL;
	c->fd = -1;
	rp_msgw_begin(&c->w, type);
	rp_msgw_put_u64(&c->w, 1);	/* one request per connection */
	return c;
}

static void
call_end(struct call *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

/* A call that begins with a session token: 0 and *out, RP_E_NOTFOUND for
 * a token that cannot be one, RP_E_NOMEM. */
static int
call_token(enum rp_msg_type type, struct rp_str token, struct call **out)
{
	*out = NULL;
	if (token.n > RP_AUTH_TOKEN_LEN)
		return RP_E_NOTFOUND;
	if ((*out = call_begin(type)) == NULL)
		return RP_E_NOMEM;
	rp_msgw_put_str(&(*out)->w, token);
	return 0;
}

/* Sends, waits, reads cookie and status: 0 with the rest in c->m. */
static int
roundtrip(struct call *c, const char *data_dir)
{
	char path[1200];
	uint64_t cookie;
	uint32_t st;
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", data_dir,
	    RP_AUTH_SOCK_NAME) >= sizeof(path))
		return RP_E_TOOBIG;
	if ((r = rp_msg_unix_connect(path, &c->fd)) != 0)
		return RP_E_AGAIN;
	if ((r = rp_msgw_send(c->fd, &c->w, MSG_NOSIGNAL)) != 0)
		return RP_E_AGAIN;
	r = rp_msg_recv_timeout(c->fd, c->rbuf, &c->m,
	    RP_AUTH_CLIENT_TIMEOUT_MS);
	if (r != 0)
		return RP_E_AGAIN;
	if (c->m.type != RP_MSG_AUTH_REPLY ||
	    rp_msg_get_u64(&c->m, &cookie) != 0 || cookie != 1 ||
	    rp_msg_get_u32(&c->m, &st) != 0)
		return RP_E_PROTO;
	return -(int)st;
}

static int
get_who(struct rp_msg *m, struct rp_auth_who *w)
{
	uint32_t role, tenant;
	uint64_t exp, idle;

	if (rp_msg_get_cstr(m, w->sid, sizeof(w->sid) - 1) != 0 ||
	    rp_msg_get_cstr(m, w->user, sizeof(w->user) - 1) != 0 ||
	    rp_msg_get_u32(m, &role) != 0 || rp_msg_get_u32(m, &tenant) != 0 ||
	    rp_msg_get_cstr(m, w->counters, sizeof(w->counters) - 1) != 0 ||
	    rp_msg_get_u64(m, &exp) != 0 || rp_msg_get_u64(m, &idle) != 0 ||
	    role >= RP_STAFF_COUNT || exp > INT64_MAX || idle > INT64_MAX)
		return RP_E_PROTO;
	w->role = (int)role;
	w->tenant = tenant;
	w->expires_at = (int64_t)exp;
	w->idle_until = (int64_t)idle;
	return 0;
}

int
rp_auth_client_signin(const char *data_dir, struct rp_str user,
    struct rp_str password, struct rp_str code, const char *kind,
    const char *client, int allow_enrol, char *token, struct rp_auth_who *w,
    char *uri)
{
	struct call *c = call_begin(RP_MSG_AUTH_SIGNIN);
	int r;

	memset(w, 0, sizeof(*w));
	token[0] = '\0';
	if (uri != NULL)
		uri[0] = '\0';
	if (c == NULL)
		return RP_E_NOMEM;
	rp_msgw_put_str(&c->w, user);
	rp_msgw_put_str(&c->w, password);
	rp_msgw_put_str(&c->w, code);
	rp_msgw_put_str(&c->w, rp_str_c(kind));
	rp_msgw_put_str(&c->w, rp_str_c(client));
	rp_msgw_put_u32(&c->w, allow_enrol ? 1 : 0);
	r = roundtrip(c, data_dir);
	if (r == 0) {
		if (rp_msg_get_cstr(&c->m, token, RP_AUTH_TOKEN_LEN) != 0 ||
		    get_who(&c->m, w) != 0 || rp_msg_end(&c->m) != 0)
			r = RP_E_PROTO;
	} else if (r == RP_E_STATE) {
		if (rp_msg_get_cstr(&c->m, token, RP_AUTH_TOKEN_LEN) != 0 ||
		    uri == NULL || rp_msg_get_cstr(&c->m, uri, 255) != 0 ||
		    rp_msg_end(&c->m) != 0)
			r = RP_E_PROTO;
	}
	call_end(c);
	return r;
}

int
rp_auth_client_enrol(const char *data_dir, struct rp_str ticket,
    struct rp_str code, const char *kind, const char *client, char *token,
    struct rp_auth_who *w)
{
	struct call *c = call_begin(RP_MSG_AUTH_ENROL);
	int r;

	memset(w, 0, sizeof(*w));
	token[0] = '\0';
	if (c == NULL)
		return RP_E_NOMEM;
	rp_msgw_put_str(&c->w, ticket);
	rp_msgw_put_str(&c->w, code);
	rp_msgw_put_str(&c->w, rp_str_c(kind));
	rp_msgw_put_str(&c->w, rp_str_c(client));
	r = roundtrip(c, data_dir);
	if (r == 0 && (rp_msg_get_cstr(&c->m, token, RP_AUTH_TOKEN_LEN) != 0 ||
	    get_who(&c->m, w) != 0 || rp_msg_end(&c->m) != 0))
		r = RP_E_PROTO;
	call_end(c);
	return r;
}

int
rp_auth_client_who(const char *data_dir, struct rp_str token,
    const char *scope_order, struct rp_auth_who *w)
{
	struct call *c;
	struct rp_str cap;
	int r;

	memset(w, 0, sizeof(*w));
	if ((r = call_token(RP_MSG_AUTH_WHO, token, &c)) != 0)
		return r;
	rp_msgw_put_str(&c->w, rp_str_c(scope_order ? scope_order : ""));
	r = roundtrip(c, data_dir);
	if (r == 0) {
		if (get_who(&c->m, w) != 0 ||
		    rp_msg_get_str(&c->m, &cap, RP_CAP_MAX) != 0 ||
		    rp_msg_end(&c->m) != 0)
			r = RP_E_PROTO;
		else {
			memcpy(w->cap, cap.p, cap.n);
			w->cap_len = cap.n;
		}
	}
	call_end(c);
	return r;
}

int
rp_auth_client_signout(const char *data_dir, struct rp_str token)
{
	struct call *c;
	int r;

	if ((r = call_token(RP_MSG_AUTH_SIGNOUT, token, &c)) != 0)
		return r;
	r = roundtrip(c, data_dir);
	if (r == 0 && rp_msg_end(&c->m) != 0)
		r = RP_E_PROTO;
	call_end(c);
	return r;
}

int
rp_auth_client_sessions(const char *data_dir, struct rp_str token,
    struct rp_auth_row *rows, size_t *n)
{
	struct call *c;
	uint32_t k, cur;
	int r;

	*n = 0;
	if ((r = call_token(RP_MSG_AUTH_SESSIONS, token, &c)) != 0)
		return r;
	r = roundtrip(c, data_dir);
	if (r == 0 && (rp_msg_get_u32(&c->m, &k) != 0 ||
	    k > RP_AUTH_MAX_SESSIONS))
		r = RP_E_PROTO;
	for (uint32_t i = 0; r == 0 && i < k; i++) {
		struct rp_auth_row *w = &rows[i];
		uint64_t a, b, e;

		if (rp_msg_get_cstr(&c->m, w->sid, sizeof(w->sid) - 1) != 0 ||
		    rp_msg_get_cstr(&c->m, w->kind, sizeof(w->kind) - 1) != 0 ||
		    rp_msg_get_cstr(&c->m, w->client, sizeof(w->client) - 1) != 0 ||
		    rp_msg_get_u64(&c->m, &a) != 0 ||
		    rp_msg_get_u64(&c->m, &b) != 0 ||
		    rp_msg_get_u64(&c->m, &e) != 0 ||
		    rp_msg_get_u32(&c->m, &cur) != 0) {
			r = RP_E_PROTO;
			break;
		}
		w->created = (int64_t)a;
		w->last_seen = (int64_t)b;
		w->expires = (int64_t)e;
		w->current = cur != 0;
		*n = i + 1;
	}
	if (r == 0 && rp_msg_end(&c->m) != 0)
		r = RP_E_PROTO;
	call_end(c);
	return r;
}

int
rp_auth_client_revoke(const char *data_dir, struct rp_str token,
    const char *sid)
{
	struct call *c;
	int r;

	if ((r = call_token(RP_MSG_AUTH_REVOKE, token, &c)) != 0)
		return r;
	rp_msgw_put_str(&c->w, rp_str_c(sid));
	r = roundtrip(c, data_dir);
	if (r == 0 && rp_msg_end(&c->m) != 0)
		r = RP_E_PROTO;
	call_end(c);
	return r;
}

/* ---- the site workers ------------------------------------------------- */

/* A call that begins with a tenant. */
static struct call *
call_site(enum rp_msg_type type, uint32_t tenant)
{
	struct call *c = call_begin(type);

	if (c != NULL)
		rp_msgw_put_u32(&c->w, tenant);
	return c;
}

/* The reply's end, for calls that return nothing more. */
static int
finish(struct call *c, const char *data_dir)
{
	int r = roundtrip(c, data_dir);

	if (r == 0 && rp_msg_end(&c->m) != 0)
		r = RP_E_PROTO;
	call_end(c);
	return r;
}

/* The reply's token (a session, a pass). */
static int
token_reply(struct call *c, const char *data_dir,
    char tok[RP_CUST_TOKEN_LEN + 1])
{
	int r;

	if ((r = roundtrip(c, data_dir)) == 0 &&
	    (rp_msg_get_cstr(&c->m, tok, RP_CUST_TOKEN_LEN) != 0 ||
	    rp_msg_end(&c->m) != 0))
		r = RP_E_PROTO;
	call_end(c);
	return r;
}

int
rp_auth_client_link_new(const char *data_dir, uint32_t tenant,
    const char *order, const char *base_url, char sealed[RP_LINKSEAL_MAX + 1],
    char sid[RP_AUTH_SID_HEX + 1])
{
	struct call *c;
	int r;

	sealed[0] = sid[0] = '\0';
	if ((c = call_site(RP_MSG_AUTH_LINK_NEW, tenant)) == NULL)
		return RP_E_NOMEM;
	rp_msgw_put_str(&c->w, rp_str_c(order));
	rp_msgw_put_str(&c->w, rp_str_c(base_url));
	if ((r = roundtrip(c, data_dir)) == 0 &&
	    (rp_msg_get_cstr(&c->m, sealed, RP_LINKSEAL_MAX) != 0 ||
	    rp_msg_get_cstr(&c->m, sid, RP_AUTH_SID_HEX) != 0 ||
	    rp_msg_end(&c->m) != 0))
		r = RP_E_PROTO;
	call_end(c);
	return r;
}

int
rp_auth_client_link_settle(const char *data_dir, uint32_t tenant,
    const char *order, const char *sid, int sent)
{
	struct call *c;

	if ((c = call_site(RP_MSG_AUTH_LINK_SETTLE, tenant)) == NULL)
		return RP_E_NOMEM;
	rp_msgw_put_str(&c->w, rp_str_c(order));
	rp_msgw_put_str(&c->w, rp_str_c(sid));
	rp_msgw_put_u32(&c->w, sent != 0);
	return finish(c, data_dir);
}

int
rp_auth_client_link_open(const char *data_dir, uint32_t tenant,
    struct rp_str link, int use, char tok[RP_CUST_TOKEN_LEN + 1],
    char order[RP_CUST_ORDER_MAX + 1])
{
	struct call *c;
	int r;

	tok[0] = order[0] = '\0';
	if (link.n != RP_CUST_TOKEN_LEN)
		return RP_E_NOTFOUND;
	if ((c = call_site(RP_MSG_AUTH_LINK_OPEN, tenant)) == NULL)
		return RP_E_NOMEM;
	rp_msgw_put_str(&c->w, link);
	rp_msgw_put_u32(&c->w, use != 0);
	if (!use)
		return finish(c, data_dir);
	if ((r = roundtrip(c, data_dir)) == 0 &&
	    (rp_msg_get_cstr(&c->m, tok, RP_CUST_TOKEN_LEN) != 0 ||
	    rp_msg_get_cstr(&c->m, order, RP_CUST_ORDER_MAX) != 0 ||
	    rp_msg_end(&c->m) != 0))
		r = RP_E_PROTO;
	call_end(c);
	return r;
}


int
rp_auth_client_replay(const char *data_dir, uint32_t tenant,
    struct rp_str nonce, char tok[RP_CUST_TOKEN_LEN + 1])
{
	struct call *c;

	tok[0] = '\0';
	if (nonce.n != RP_CUST_TOKEN_LEN)
		return RP_E_NOTFOUND;
	if ((c = call_site(RP_MSG_AUTH_REPLAY, tenant)) == NULL)
		return RP_E_NOMEM;
	rp_msgw_put_str(&c->w, nonce);
	return token_reply(c, data_dir, tok);
}

int
rp_auth_client_receipt(const char *data_dir, uint32_t tenant,
    const uint8_t *receipt, size_t n, struct rp_str nonce,
    char tok[RP_CUST_TOKEN_LEN + 1])
{
	struct call *c;

	tok[0] = '\0';
	if (n == 0 || n > RP_CAP_MAX)
		return RP_E_DENIED;
	if (nonce.n != RP_CUST_TOKEN_LEN)
		nonce = RP_STR_NULL;	/* not one: none */
	if ((c = call_site(RP_MSG_AUTH_RECEIPT, tenant)) == NULL)
		return RP_E_NOMEM;
	rp_msgw_put_str(&c->w, (struct rp_str){ (const char *)receipt, n });
	rp_msgw_put_str(&c->w, nonce);
	return token_reply(c, data_dir, tok);
}

int
rp_auth_client_traveller(const char *data_dir, uint32_t tenant,
    struct rp_str session, struct rp_auth_traveller *t)
{
	struct rp_str cap;
	struct call *c;
	int r;

	memset(t, 0, sizeof(*t));
	if (session.n != RP_CUST_TOKEN_LEN)
		return RP_E_NOTFOUND;
	if ((c = call_site(RP_MSG_AUTH_CUST_WHO, tenant)) == NULL)
		return RP_E_NOMEM;
	rp_msgw_put_str(&c->w, session);
	if ((r = roundtrip(c, data_dir)) == 0) {
		if (rp_msg_get_cstr(&c->m, t->order, RP_CUST_ORDER_MAX) != 0 ||
		    rp_msg_get_cstr(&c->m, t->sid, RP_AUTH_SID_HEX) != 0 ||
		    rp_msg_get_str(&c->m, &cap, RP_CAP_MAX) != 0 ||
		    rp_msg_end(&c->m) != 0)
			r = RP_E_PROTO;
		else {
			memcpy(t->cap, cap.p, cap.n);
			t->cap_len = cap.n;
		}
	}
	call_end(c);
	return r;
}

int
rp_auth_client_access_new(const char *data_dir, uint32_t tenant,
    const char *bind, char tok[RP_CUST_TOKEN_LEN + 1])
{
	struct call *c;

	tok[0] = '\0';
	if ((c = call_site(RP_MSG_AUTH_ACCESS_NEW, tenant)) == NULL)
		return RP_E_NOMEM;
	rp_msgw_put_str(&c->w, rp_str_c(bind));
	return token_reply(c, data_dir, tok);
}

int
rp_auth_client_access_check(const char *data_dir, uint32_t tenant,
    struct rp_str pass, const char *bind)
{
	struct call *c;

	if (pass.n != RP_CUST_TOKEN_LEN)
		return RP_E_NOTFOUND;
	if ((c = call_site(RP_MSG_AUTH_ACCESS_CHECK, tenant)) == NULL)
		return RP_E_NOMEM;
	rp_msgw_put_str(&c->w, pass);
	rp_msgw_put_str(&c->w, rp_str_c(bind));
	return finish(c, data_dir);
}

int
rp_auth_client_apikey(const char *data_dir, struct rp_str key,
    uint32_t *tenant, uint8_t *cap, size_t *cap_len)
{
	struct rp_str cs;
	struct call *c;
	int r;

	*tenant = 0;
	*cap_len = 0;
	if (key.n != RP_API_KEY_LEN)
		return RP_E_NOTFOUND;
	if ((c = call_begin(RP_MSG_AUTH_APIKEY)) == NULL)
		return RP_E_NOMEM;
	rp_msgw_put_str(&c->w, key);
	if ((r = roundtrip(c, data_dir)) == 0) {
		if (rp_msg_get_u32(&c->m, tenant) != 0 ||
		    rp_msg_get_str(&c->m, &cs, RP_CAP_MAX) != 0 ||
		    rp_msg_end(&c->m) != 0)
			r = RP_E_PROTO;
		else {
			memcpy(cap, cs.p, cs.n);
			*cap_len = cs.n;
		}
	}
	call_end(c);
	return r;
}
