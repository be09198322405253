/* SPDX-License-Identifier: ISC */
/*
 * proto.h — the identity holder's requests, decoded (the wire format is
 * in client.h).  Every request comes from a worker that may be
 * compromised: the decoder checks every field's length and alphabet, and
 * which kind of worker may send which request (staff requests from the
 * console's workers, travellers' and API-key requests from the sites'),
 * before the identity holder acts on it.  Has a fuzz target.
 */
#ifndef RP_AUTH_PROTO_H
#define RP_AUTH_PROTO_H

#include <stdint.h>

#include "auth/auth.h"
#include "auth/cap.h"
#include "util/errors.h"
#include "util/str.h"

struct rp_msg;

#define RP_AUTH_PASSWORD_MAX	256
#define RP_AUTH_CODE_MAX	8
#define RP_AUTH_BASE_MAX	300	/* a site's base URL */
/* the longest secret a request presents: a capability (a receipt) */
#define RP_AUTH_SECRET_MAX	RP_CAP_MAX

struct rp_auth_req {
	uint32_t type;				/* RP_MSG_AUTH_* */
	uint64_t cookie;
	/* views into the frame (secrets: never logged) */
	struct rp_str user, password, code;
	struct rp_str token;	/* a session, ticket, link, pass, key, receipt */
	struct rp_str nonce;	/* RECEIPT, REPLAY: the review page's
				 * placement nonce ("" none) */
	char kind[8];				/* "console" | "api" */
	char client[RP_AUTH_CLIENT_MAX + 1];
	char scope[RP_CAP_SCOPE_MAX + 1];
	char sid[RP_AUTH_SID_HEX + 1];
	char order[RP_CUST_ORDER_MAX + 1];
	char bind[RP_CUST_BIND_MAX + 1];
	char base[RP_AUTH_BASE_MAX + 1];
	uint32_t tenant;
	uint32_t flag;		/* SIGNIN allow_enrol, LINK_SETTLE sent,
				 * LINK_OPEN use */
};

/*
 * Decodes m, sent by a worker of kind peer_kind (RP_KIND_CONSOLE or
 * RP_KIND_WEB), into q.  0, or RP_E_PROTO (q zeroed): a malformed
 * request, or one that kind of worker may not send.
 */
int rp_auth_req_decode(struct rp_msg *m, uint32_t peer_kind,
    struct rp_auth_req *q) RP_WARN_UNUSED;

#endif
