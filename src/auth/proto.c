/* SPDX-License-Identifier: ISC */
/*
 * proto.c — decoding the identity holder's requests (proto.h).
 */
#include "util/common.h"
#include "auth/proto.h"
#include "proc/msg.h"
#include "proc/sandbox.h"

static bool
kind_ok(const char *k)
{
	return strcmp(k, "console") == 0 || strcmp(k, "api") == 0;
}

/* The fields of a staff request (from a console worker). */
static int
staff(struct rp_msg *m, struct rp_auth_req *q)
{
	switch (q->type) {
	case RP_MSG_AUTH_SIGNIN:
		if (rp_msg_get_str(m, &q->user, RP_AUTH_USER_MAX) != 0 ||
		    rp_msg_get_str(m, &q->password, RP_AUTH_PASSWORD_MAX) != 0 ||
		    rp_msg_get_str(m, &q->code, RP_AUTH_CODE_MAX) != 0 ||
		    rp_msg_get_cstr(m, q->kind, sizeof(q->kind) - 1) != 0 ||
		    rp_msg_get_cstr(m, q->client, sizeof(q->client) - 1) != 0 ||
		    rp_msg_get_u32(m, &q->flag) != 0 || !kind_ok(q->kind))
			return RP_E_PROTO;
		return 0;
	case RP_MSG_AUTH_ENROL:
		if (rp_msg_get_str(m, &q->token, RP_AUTH_TOKEN_LEN) != 0 ||
		    rp_msg_get_str(m, &q->code, RP_AUTH_CODE_MAX) != 0 ||
		    rp_msg_get_cstr(m, q->kind, sizeof(q->kind) - 1) != 0 ||
		    rp_msg_get_cstr(m, q->client, sizeof(q->client) - 1) != 0 ||
		    !kind_ok(q->kind))
			return RP_E_PROTO;
		return 0;
	case RP_MSG_AUTH_WHO:
		if (rp_msg_get_str(m, &q->token, RP_AUTH_TOKEN_LEN) != 0 ||
		    rp_msg_get_cstr(m, q->scope, sizeof(q->scope) - 1) != 0)
			return RP_E_PROTO;
		return 0;
	case RP_MSG_AUTH_SIGNOUT:
	case RP_MSG_AUTH_SESSIONS:
		return rp_msg_get_str(m, &q->token, RP_AUTH_TOKEN_LEN);
	case RP_MSG_AUTH_REVOKE:
		if (rp_msg_get_str(m, &q->token, RP_AUTH_TOKEN_LEN) != 0 ||
		    rp_msg_get_cstr(m, q->sid, sizeof(q->sid) - 1) != 0)
			return RP_E_PROTO;
		return 0;
	default:
		return RP_E_PROTO;
	}
}

/* The fields of a traveller's or API-key request (from a site worker). */
static int
site(struct rp_msg *m, struct rp_auth_req *q)
{
	if (q->type != RP_MSG_AUTH_APIKEY &&
	    rp_msg_get_u32(m, &q->tenant) != 0)
		return RP_E_PROTO;
	switch (q->type) {
	case RP_MSG_AUTH_LINK_NEW:
		if (rp_msg_get_cstr(m, q->order, sizeof(q->order) - 1) != 0 ||
		    rp_msg_get_cstr(m, q->base, sizeof(q->base) - 1) != 0)
			return RP_E_PROTO;
		return 0;
	case RP_MSG_AUTH_LINK_SETTLE:
		if (rp_msg_get_cstr(m, q->order, sizeof(q->order) - 1) != 0 ||
		    rp_msg_get_cstr(m, q->sid, sizeof(q->sid) - 1) != 0 ||
		    rp_msg_get_u32(m, &q->flag) != 0 || q->flag > 1)
			return RP_E_PROTO;
		return 0;
	case RP_MSG_AUTH_LINK_OPEN:
		if (rp_msg_get_str(m, &q->token, RP_CUST_TOKEN_LEN) != 0 ||
		    rp_msg_get_u32(m, &q->flag) != 0 || q->flag > 1)
			return RP_E_PROTO;
		return 0;
	case RP_MSG_AUTH_RECEIPT:
		if (rp_msg_get_str(m, &q->token, RP_CAP_MAX) != 0 ||
		    rp_msg_get_str(m, &q->nonce, RP_CUST_TOKEN_LEN) != 0)
			return RP_E_PROTO;
		return 0;
	case RP_MSG_AUTH_REPLAY:
		return rp_msg_get_str(m, &q->nonce, RP_CUST_TOKEN_LEN);
	case RP_MSG_AUTH_CUST_WHO:
		return rp_msg_get_str(m, &q->token, RP_CUST_TOKEN_LEN);
	case RP_MSG_AUTH_ACCESS_NEW:
		return rp_msg_get_cstr(m, q->bind, sizeof(q->bind) - 1);
	case RP_MSG_AUTH_ACCESS_CHECK:
		if (rp_msg_get_str(m, &q->token, RP_CUST_TOKEN_LEN) != 0 ||
		    rp_msg_get_cstr(m, q->bind, sizeof(q->bind) - 1) != 0)
			return RP_E_PROTO;
		return 0;
	case RP_MSG_AUTH_APIKEY:
		return rp_msg_get_str(m, &q->token, RP_API_KEY_LEN);
	default:
		return RP_E_PROTO;
	}
}

int
rp_auth_req_decode(struct rp_msg *m, uint32_t peer_kind,
    struct rp_auth_req *q)
{
	int r;

	memset(q, 0, sizeof(*q));
	q->type = m->type;
	if (rp_msg_get_u64(m, &q->cookie) != 0)
		r = RP_E_PROTO;
	else if (peer_kind == RP_KIND_CONSOLE)
		r = staff(m, q);
	else if (peer_kind == RP_KIND_WEB)
		r = site(m, q);
	else
		r = RP_E_PROTO;
	if (r == 0 && rp_msg_end(m) != 0)
		r = RP_E_PROTO;
	if (r != 0)
		memset(q, 0, sizeof(*q));
	return r;
}
