/* SPDX-License-Identifier: ISC */
/*
 * fuzz target: a frame from a worker to the identity holder, parsed and
 * decoded as the auth process does (rp_msg_parse, then rp_auth_req_decode)
 * for each kind of worker.  Checks that whatever decodes obeys the limits
 * the identity holder relies on, that a worker of one kind never gets a
 * request of the other kind through, and that a failed decode leaves
 * nothing behind.  The first byte of the input picks the worker's kind.
 */
#include "util/common.h"
#include "auth/proto.h"
#include "proc/msg.h"
#include "../fuzz_util.h"
#include "proc/sandbox.h"

static bool
staff_type(uint32_t t)
{
	return t >= RP_MSG_AUTH_SIGNIN && t <= RP_MSG_AUTH_REVOKE;
}

static bool
site_type(uint32_t t)
{
	return t >= RP_MSG_AUTH_LINK_NEW && t <= RP_MSG_AUTH_REPLAY;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rp_auth_req zero;
	static struct rp_auth_req q;
	struct rp_msg m;
	uint32_t kind;

	if (size < 1)
		return 0;
	kind = data[0] & 1 ? RP_KIND_WEB : RP_KIND_CONSOLE;
	if (rp_msg_parse(data + 1, size - 1, &m) != 0)
		return 0;
	if (rp_auth_req_decode(&m, kind, &q) != 0) {
		if (memcmp(&q, &zero, sizeof(q)) != 0)
			abort();	/* a failed decode leaves nothing behind */
		return 0;
	}
	if ((kind == RP_KIND_CONSOLE && !staff_type(q.type)) ||
	    (kind == RP_KIND_WEB && !site_type(q.type)))
		abort();	/* the other kind's request got through */
	if (q.user.n > RP_AUTH_USER_MAX || q.password.n > RP_AUTH_PASSWORD_MAX ||
	    q.code.n > RP_AUTH_CODE_MAX || q.token.n > RP_AUTH_SECRET_MAX ||
	    q.nonce.n > RP_CUST_TOKEN_LEN || !inside(q.nonce, data, size) ||
	    !inside(q.user, data, size) || !inside(q.password, data, size) ||
	    !inside(q.code, data, size) || !inside(q.token, data, size) ||
	    !printable(q.kind, sizeof(q.kind) - 1) ||
	    !printable(q.client, sizeof(q.client) - 1) ||
	    !printable(q.scope, sizeof(q.scope) - 1) ||
	    !printable(q.sid, sizeof(q.sid) - 1) ||
	    !printable(q.order, sizeof(q.order) - 1) ||
	    !printable(q.bind, sizeof(q.bind) - 1) ||
	    !printable(q.base, sizeof(q.base) - 1) || q.flag > 1)
		abort();
	if ((q.type == RP_MSG_AUTH_SIGNIN || q.type == RP_MSG_AUTH_ENROL) &&
	    strcmp(q.kind, "console") != 0 && strcmp(q.kind, "api") != 0)
		abort();
	return 0;
}
