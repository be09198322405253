/* SPDX-License-Identifier: ISC */
/*
 * proto.c — the vault's request decoder (the protocol is documented in
 * vault.h).  Runs in the vault process on messages from clients, which it
 * does not trust: every field goes through the bounds-checked readers of
 * proc/msg.h, strings that end up in the access log must be printable
 * ASCII, counts are capped before anything is read, and no byte may be left
 * over.  Any failure is RP_E_PROTO: the server drops the client.
 */
#include "util/common.h"
#include "proc/msg.h"
#include "vault/vault_impl.h"

static int
get_header(struct rp_msg *m, struct rp_vault_req *q)
{
	struct rp_vault_caller *c = &q->caller;
	struct rp_str reqid, cap;
	uint32_t role;

	if (rp_msg_get_u64(m, &q->cookie) != 0 ||
	    rp_msg_get_u32(m, &role) != 0 ||
	    rp_msg_get_cstr(m, c->actor, RP_VAULT_STR_MAX) != 0 ||
	    rp_msg_get_cstr(m, c->purpose, RP_VAULT_STR_MAX) != 0 ||
	    rp_msg_get_str(m, &reqid, sizeof(c->request_id)) != 0 ||
	    (reqid.n != 0 && reqid.n != sizeof(c->request_id)) ||
	    rp_msg_get_u32(m, &c->tenant) != 0 ||
	    rp_msg_get_cstr(m, c->scope_order, RP_VAULT_ORDER_MAX) != 0 ||
	    rp_msg_get_str(m, &cap, RP_VAULT_CAP_MAX) != 0)
		return RP_E_PROTO;
	memcpy(c->cap, cap.p, cap.n);
	c->cap_len = (uint32_t)cap.n;
	c->role = role;
	if (reqid.n)
		memcpy(c->request_id, reqid.p, reqid.n);
	return 0;
}

int
rp_vault_req_decode(struct rp_msg *m, struct rp_vault_req *q)
{
	uint32_t i;

	memset(q, 0, sizeof(*q));
	q->type = m->type;
	switch (m->type) {
	case RP_MSG_VAULT_HELLO:
		if (rp_msg_get_u64(m, &q->cookie) != 0 ||
		    rp_msg_get_str(m, &q->token, RP_VAULT_TOKEN_HEX) != 0)
			goto bad;
		break;
	case RP_MSG_VAULT_PUT:
		if (get_header(m, q) != 0 || rp_msg_get_u64(m, &q->id) != 0 ||
		    rp_msg_get_u32(m, &q->tenant) != 0)
			goto bad;
		for (i = 0; i < RP_VAULT_NFIELDS; i++)
			if (rp_msg_get_str(m, &q->person.f[i],
			    RP_VAULT_FIELD_MAX) != 0)
				goto bad;
		if (rp_msg_get_u32(m, &q->norders) != 0 ||
		    q->norders > RP_VAULT_MAX_ORDERS)
			goto bad;
		for (i = 0; i < q->norders; i++)
			if (rp_msg_get_str(m, &q->orders[i],
			    RP_VAULT_ORDER_MAX) != 0)
				goto bad;
		if (q->id > INT64_MAX)
			goto bad;
		break;
	case RP_MSG_VAULT_GET:
		if (get_header(m, q) != 0 ||
		    rp_msg_get_u32(m, &q->fields) != 0 ||
		    rp_msg_get_u32(m, &q->nids) != 0 || q->nids == 0 ||
		    q->nids > RP_VAULT_MAX_BATCH)
			goto bad;
		for (i = 0; i < q->nids; i++)
			if (rp_msg_get_u64(m, &q->ids[i]) != 0 ||
			    q->ids[i] == 0 || q->ids[i] > INT64_MAX)
				goto bad;
		break;
	case RP_MSG_VAULT_FIND:
		if (get_header(m, q) != 0 ||
		    rp_msg_get_u32(m, &q->find_kind) != 0 ||
		    q->find_kind < RP_VAULT_FIND_EMAIL ||
		    q->find_kind > RP_VAULT_FIND_ORDER ||
		    rp_msg_get_str(m, &q->value, RP_VAULT_FIELD_MAX) != 0)
			goto bad;
		break;
	case RP_MSG_VAULT_ERASE:
		if (get_header(m, q) != 0 || rp_msg_get_u64(m, &q->id) != 0 ||
		    q->id == 0 || q->id > INT64_MAX)
			goto bad;
		break;
	default:
		goto bad;
	}
	if (rp_msg_end(m) != 0)
		goto bad;
	return 0;
 bad:
	memset(q, 0, sizeof(*q));
	return RP_E_PROTO;
}
