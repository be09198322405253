/* SPDX-License-Identifier: ISC */
/*
 * ipsgate.h — where the web worker meets the IPS (src/ips), folder-
 * internal: the accept policy that refuses banned addresses before any
 * HTTP is read, the rate limit of a routed request (429 with
 * Retry-After), and the hooks that feed the detectors: reply statuses,
 * WAF interventions (waf_web.c) and the corporate access gate (site.c).
 * Each is called at exactly one place; everything else stays here.
 */
#ifndef RP_WEB_IPSGATE_H
#define RP_WEB_IPSGATE_H

#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "web/request.h"

/* MHD's accept policy callback: MHD_NO (close) for a banned address. */
enum MHD_Result rp_ipsgate_accept(void *cls, const struct sockaddr *addr,
    socklen_t addrlen);

/*
 * After routing: charges the client's buckets for rq's route.  0 to go
 * on; 1 when it answered 429 (with Retry-After); < 0 when the address is
 * banned (RP_E_DENIED: a kept-alive connection opened before the ban) or
 * it could not answer — the caller drops the connection.
 */
int rp_ipsgate_limit(struct rp_req *rq) RP_WARN_UNUSED;

/* A reply's status was recorded: 404 and 403 count toward the scanner
 * detector, 429 toward the rate-limit one. */
void rp_ipsgate_status(const struct rp_req *rq, unsigned status);

/* A WAF intervention answered rq: counts toward ips_waf_max. */
void rp_ipsgate_waf(const struct rp_req *rq);

/*
 * The corporate access gate of tenant (POST {home}access): the seconds
 * its form stays closed (the tenant's failure budget spent; answer 429
 * with Retry-After), or 0 when it is open.
 */
unsigned rp_ipsgate_access_closed(int64_t tenant);
/* A wrong access code from rq's client on tenant's gate: counts toward
 * the address's ips_login_max and the tenant's ips_access_tenant_max. */
void rp_ipsgate_access_failed(const struct rp_req *rq, int64_t tenant);

/* The client's address (borrowed from MHD; NULL if unknown). */
const struct sockaddr *rp_req_addr(const struct rp_req *rq);

#endif
