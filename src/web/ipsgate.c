/* SPDX-License-Identifier: ISC */
/*
 * ipsgate.c — the IPS at the web worker's door (ipsgate.h).  Runs on MHD's
 * threads in every web worker; the decisions are made in the shared area
 * of src/ips, so a ban or an empty bucket is the same in every worker.
 * The client address comes from the kernel (accept), never from a header:
 * rentport is not behind a proxy it could trust for X-Forwarded-For.
 * XXX: behind a trusted reverse proxy the address would have to come from
 * it; not needed while the web workers face the Internet themselves.
 */
#include "util/common.h"

#include "ips/ips.h"
#include "web/ipsgate.h"
#include "web/pages.h"
#include "web/tmpl.h"

enum MHD_Result
rp_ipsgate_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	(void)cls;
	(void)addrlen;
	/* Closed before a byte of HTTP is read: a banned client costs an
	 * accept and a close (and, with ips_nft, not even that). */
	return rp_ips_refuse(addr) ? MHD_NO : MHD_YES;
}

const struct sockaddr *
rp_req_addr(const struct rp_req *rq)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(rq->conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	return ci != NULL ? ci->client_addr : NULL;
}

/* The routes card testers, link and access-code guessers aim at: every
 * POST that places, pays for or unlocks something (public and corporate
 * sites alike, and the API's order creation). */
static bool
strict_route(const struct rp_route *rt)
{
	static const char *const suffixes[] = { "/order/confirm",
	    "/my-order/link", "/my-order/pay", "/access" };
	size_t n = strlen(rt->pattern);

	if (strcmp(rt->method, "POST") != 0)
		return false;
	if (strcmp(rt->pattern, "/api/v1/orders") == 0)
		return true;
	for (size_t i = 0; i < RP_ARRAY_LEN(suffixes); i++) {
		size_t k = strlen(suffixes[i]);

		if (n >= k && strcmp(rt->pattern + n - k, suffixes[i]) == 0)
			return true;
	}
	return false;
}

int
rp_ipsgate_limit(struct rp_req *rq)
{
	struct MHD_Response *resp;
	struct rp_buf page;
	unsigned retry;
	char ra[16];
	size_t len;
	char *d;

	/* Banned since this (kept-alive) connection was accepted: the accept
	 * policy never sees it again, so close it here. */
	if (rp_ips_refuse(rp_req_addr(rq)))
		return RP_E_DENIED;
	retry = rp_ips_take(rp_req_addr(rq), (unsigned)rq->match.index,
	    strict_route(rq->match.route));
	if (retry == 0)
		return 0;
	rp_buf_init(&page, 16 * 1024);
	if (rp_tmpl_error_page(rp_lang_pick(RP_STR_NULL, RP_STR_NULL,
	    rp_req_header(rq, "Accept-Language")), 429, "/", &page) != 0 ||
	    (d = rp_buf_detach(&page, &len)) == NULL) {
		rp_buf_release(&page);
		return RP_E_NOMEM;
	}
	resp = MHD_create_response_from_buffer(len, d, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(d);
		return RP_E_NOMEM;
	}
	snprintf(ra, sizeof(ra), "%u", retry);
	if (MHD_add_response_header(resp, "Content-Type",
	    "text/html; charset=utf-8") != MHD_YES ||
	    MHD_add_response_header(resp, "Retry-After", ra) != MHD_YES) {
		MHD_destroy_response(resp);
		return RP_E_NOMEM;
	}
	return rp_reply(rq, 429, resp, len, NULL) == 0 ? 1 : RP_E_IO;
}

void
rp_ipsgate_status(const struct rp_req *rq, unsigned status)
{
	if (status == 404 || status == 403)
		rp_ips_note(RP_IPS_EV_NOTFOUND, rp_req_addr(rq));
	else if (status == 429)
		rp_ips_note(RP_IPS_EV_RATE_LIMITED, rp_req_addr(rq));
}

void
rp_ipsgate_waf(const struct rp_req *rq)
{
	rp_ips_note(RP_IPS_EV_WAF, rp_req_addr(rq));
}

unsigned
rp_ipsgate_access_closed(int64_t tenant)
{
	return rp_ips_gate_closed(tenant);
}

void
rp_ipsgate_access_failed(const struct rp_req *rq, int64_t tenant)
{
	/* Both budgets: the address's (brute_force ban at ips_login_max)
	 * and the tenant's, which many addresses share. */
	rp_ips_note(RP_IPS_EV_LOGIN_FAIL, rp_req_addr(rq));
	(void)rp_ips_gate_fail(tenant);
}
