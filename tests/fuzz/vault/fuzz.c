/* SPDX-License-Identifier: ISC */
/*
 * fuzz target: a frame from a vault client, parsed and decoded as the
 * vault process does (rp_msg_parse, then rp_vault_req_decode).  Checks that
 * whatever decodes obeys the caps the rest of the vault relies on.
 */
#include "util/common.h"
#include "proc/msg.h"
#include "../fuzz_util.h"
#include "vault/vault.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rp_vault_req q;
	struct rp_msg m;

	if (rp_msg_parse(data, size, &m) != 0)
		return 0;
	if (rp_vault_req_decode(&m, &q) != 0) {
		if (q.type != 0 || q.nids != 0 || q.cookie != 0)
			abort();	/* a failed decode leaves nothing behind */
		return 0;
	}
	if (q.type < RP_MSG_VAULT_HELLO || q.type > RP_MSG_VAULT_ERASE ||
	    q.nids > RP_VAULT_MAX_BATCH || q.norders > RP_VAULT_MAX_ORDERS ||
	    q.token.n > RP_VAULT_TOKEN_HEX || q.value.n > RP_VAULT_FIELD_MAX ||
	    !inside(q.token, data, size) || !inside(q.value, data, size) ||
	    !printable(q.caller.actor, RP_VAULT_STR_MAX) ||
	    !printable(q.caller.purpose, RP_VAULT_STR_MAX) ||
	    !printable(q.caller.scope_order, RP_VAULT_ORDER_MAX) ||
	    q.id > INT64_MAX)
		abort();
	for (size_t i = 0; i < RP_VAULT_NFIELDS; i++)
		if (q.person.f[i].n > RP_VAULT_FIELD_MAX ||
		    !inside(q.person.f[i], data, size))
			abort();
	for (size_t i = 0; i < q.norders; i++)
		if (q.orders[i].n > RP_VAULT_ORDER_MAX ||
		    !inside(q.orders[i], data, size))
			abort();
	for (size_t i = 0; i < q.nids; i++)
		if (q.ids[i] == 0 || q.ids[i] > INT64_MAX)
			abort();
	if (q.type == RP_MSG_VAULT_GET && q.nids == 0)
		abort();
	return 0;
}
