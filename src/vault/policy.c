/* SPDX-License-Identifier: ISC */
/*
 * policy.c — who may do what with personal data, as data: one row per
 * (caller role, purpose) with the operations, the fields a GET may release
 * and the scope the records must lie in.  Anything without a row is
 * refused (and the refusal is logged by core.c).  The role comes from the
 * caller's authenticated identity; the purpose is the caller's statement,
 * recorded in the log.
 */
#include "util/common.h"
#include "alog/entry.h"
#include "vault/vault_impl.h"

/* What a page showing an order needs: no company or department. */
#define ORDER_VIEW (RP_FIELD_NAME | RP_FIELD_KANA | RP_FIELD_EMAIL | \
	RP_FIELD_PHONE | RP_FIELD_POSTAL_CODE | RP_FIELD_ADDRESS)
#define COUNTER_VIEW (RP_FIELD_NAME | RP_FIELD_KANA | RP_FIELD_PHONE | \
	RP_FIELD_EMAIL)

static const struct vk_rule rules[] = {
	/* customer's own order, bound to the session */
	{ RP_ROLE_PUBLIC_WEB, "order_view", VK_OP_GET, ORDER_VIEW, VK_SCOPE_ORDER },
	{ RP_ROLE_PUBLIC_WEB, "order_new", VK_OP_PUT, 0, VK_SCOPE_ORDER },
	/* a new order that was not placed after all (sold out in a race,
	 * the store down): its traveller withdrawn, under the put's receipt
	 * only (server.c) */
	{ RP_ROLE_PUBLIC_WEB, "order_withdrawn", VK_OP_ERASE, 0,
	  VK_SCOPE_ORDER },
	/* a corporate client's site: its tenant only */
	{ RP_ROLE_CORPORATE_WEB, "order_view", VK_OP_GET, RP_FIELD_ALL,
	  VK_SCOPE_TENANT },
	{ RP_ROLE_CORPORATE_WEB, "order_new", VK_OP_PUT, 0, VK_SCOPE_TENANT },
	{ RP_ROLE_CORPORATE_WEB, "order_withdrawn", VK_OP_ERASE, 0,
	  VK_SCOPE_ORDER },
	/* airport counter: the order being handled */
	{ RP_ROLE_COUNTER, "counter", VK_OP_GET | VK_OP_FIND | VK_OP_PUT,
	  COUNTER_VIEW, VK_SCOPE_ORDER },
	/* the mail sender */
	{ RP_ROLE_MAILER, "mail", VK_OP_GET, RP_FIELD_EMAIL | RP_FIELD_NAME,
	  VK_SCOPE_ANY },
	/* back office */
	{ RP_ROLE_BACKOFFICE, "support", VK_OP_GET | VK_OP_FIND | VK_OP_PUT,
	  RP_FIELD_ALL, VK_SCOPE_ANY },
	{ RP_ROLE_BACKOFFICE, "backoffice", VK_OP_GET | VK_OP_FIND | VK_OP_PUT |
	  VK_OP_ERASE, RP_FIELD_ALL, VK_SCOPE_ANY },
	/* a corporate client's administrator: its tenant */
	{ RP_ROLE_CLIENT_ADMIN, "client_admin", VK_OP_GET | VK_OP_FIND |
	  VK_OP_PUT, RP_FIELD_ALL, VK_SCOPE_TENANT },
	/* incident response: read everything, say so */
	{ RP_ROLE_INCIDENT, "incident", VK_OP_GET | VK_OP_FIND, RP_FIELD_ALL,
	  VK_SCOPE_ANY },
	/* synthetic data */
	{ RP_ROLE_SEED, "seed", VK_OP_PUT, 0, VK_SCOPE_ANY },
};

const struct vk_rule *
vk_policy(unsigned role, const char *purpose, unsigned op, uint32_t fields)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(rules); i++) {
		const struct vk_rule *r = &rules[i];

		if (r->role != role || strcmp(r->purpose, purpose) != 0 ||
		    (r->ops & op) == 0)
			continue;
		if (op == VK_OP_GET && (fields == 0 || (fields & ~r->fields) != 0))
			return NULL;	/* asks for more than the purpose needs */
		return r;
	}
	return NULL;
}
