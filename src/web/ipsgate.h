/* SPDX-License-Identifier: ISC */
/*
 * ipsgate.h — where the web worker meets the IPS (src/ips), folder-
 * internal: the accept policy that refuses banned addresses before any
 * HTTP is read, the rate limit of a routed request (429 with
 * Retry-After), and the reply-status hook that feeds the detectors.
 * web.c calls each at exactly one place; everything else stays here.
 */
#ifndef RP_WEB_IPSGATE_H
#define RP_WEB_IPSGATE_H

#include <sys/socket.h>

#include <microhttpd.h>

#include "web/request.h"

/* MHD's accept policy callback: MHD_NO (close) for a banned address. */
enum MHD_Result rp_ipsgate_accept(void *cls, const struct sockaddr *addr,
    socklen_t addrlen);

/*
 * After routing: charges the client's buckets for rq's route.  0 to go
 * on; 1 when it answered 429 (with Retry-After); < 0 when it could not
 * answer (the caller drops the connection).
 */
int rp_ipsgate_limit(struct rp_req *rq) RP_WARN_UNUSED;

/* A reply's status was recorded: 404 and 403 count toward the scanner
 * detector, 429 toward the rate-limit one. */
void rp_ipsgate_status(const struct rp_req *rq, unsigned status);

/* The client's address (borrowed from MHD; NULL if unknown). */
const struct sockaddr *rp_req_addr(const struct rp_req *rq);

#endif
