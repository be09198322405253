/* SPDX-License-Identifier: ISC */
/*
 * waf_web.c — feeds a web worker's requests to the WAF (waf.c): what MHD
 * received, as it received it (the raw target, every header, the body the
 * handler will see), and answers its interventions.  Runs in the MHD
 * threads; each request has its own transaction (rq->waf).
 */
#include "util/common.h"
#include "waf/waf_web.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "waf/waf.h"
#include "web/ipsgate.h"
#include "web/pages.h"
#include "web/tmpl.h"

/* Numeric host and port of a socket address ("" and 0 if unknown). */
static void
addr_text(const struct sockaddr *sa, char *host, size_t n, int *port)
{
	host[0] = '\0';
	*port = 0;
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, (socklen_t)n);
		*port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, (socklen_t)n);
		*port = ntohs(in6->sin6_port);
	}
}

static void
client_of(const struct rp_req *rq, char *host, size_t n, int *port)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(rq->conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	addr_text(ci != NULL ? ci->client_addr : NULL, host, n, port);
}

static enum MHD_Result
add_header(void *cls, enum MHD_ValueKind kind, const char *key,
    size_t key_size, const char *value, size_t value_size)
{
	(void)kind;
	rp_waf_tx_header(cls, (struct rp_str){ key, key_size },
	    (struct rp_str){ value, value_size });
	return MHD_YES;
}

int
rp_waf_req_headers(struct rp_req *rq, const char *method,
    const char *version)
{
	const union MHD_ConnectionInfo *ci;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char cip[INET6_ADDRSTRLEN], sip[INET6_ADDRSTRLEN];
	int cport, sport, r;

	if (!rp_waf_on())
		return 0;
	if ((rq->waf = rp_waf_tx_new(rq->id)) == NULL)
		return RP_E_NOMEM;
	client_of(rq, cip, sizeof(cip), &cport);
	sip[0] = '\0';
	sport = 0;
	ci = MHD_get_connection_info(rq->conn,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci != NULL && getsockname(ci->connect_fd, (struct sockaddr *)&ss,
	    &sl) == 0)
		addr_text((struct sockaddr *)&ss, sip, sizeof(sip), &sport);
	if ((r = rp_waf_tx_connection(rq->waf, cip, cport, sip, sport)) != 0)
		return r;
	/* The method as received (911100 checks it), the raw target as
	 * received (intake already refused one over
	 * max_url_bytes, so rq->target is whole); "HTTP/1.1" → "1.1". */
	if (version != NULL && strncmp(version, "HTTP/", 5) == 0)
		version += 5;
	if ((r = rp_waf_tx_uri(rq->waf, rq->target, method,
	    version != NULL ? version : "1.1")) != 0)
		return r;
	MHD_get_connection_values_n(rq->conn, MHD_HEADER_KIND, add_header,
	    rq->waf);
	return rp_waf_tx_headers_done(rq->waf);
}

int
rp_waf_req_body(struct rp_req *rq)
{
	if (rq->waf == NULL)
		return 0;
	/* The body exactly as the handler gets it (intake's buffer). */
	return rp_waf_tx_body(rq->waf, rp_buf_str(&rq->body));
}

int
rp_waf_req_response(struct rp_req *rq, unsigned status, const char *type,
    struct rp_str body)
{
	if (rq->waf == NULL || !rp_waf_tx_response_on())
		return 0;
	return rp_waf_tx_response(rq->waf, status, rp_str_c(type),
	    rq->head ? RP_STR_NULL : body);
}

/* The API's error shape (docs/openapi.yaml) for an intervention. */
static int
refuse_api(struct rp_req *rq, unsigned status)
{
	struct rp_buf b;
	int e;

	rp_buf_init(&b, 4096);
	if (status == 403)
		rp_buf_printf(&b, "{\"error\":{\"code\":\"blocked\","
		    "\"message\":{\"ja\":\"%s\",\"en\":\"%s\"},",
		    "セキュリティ上の理由により、このリクエストはお受けできません。",
		    "The request was blocked for security reasons.");
	else	/* 400: a body the WAF's parsers cannot read (200002) */
		rp_buf_printf(&b, "{\"error\":{\"code\":\"invalid_request\","
		    "\"message\":{\"ja\":\"%s\",\"en\":\"%s\"},",
		    "リクエストの形式が正しくありません。",
		    "The request body could not be read.");
	rp_buf_printf(&b, "\"fields\":{},\"request_id\":\"%s\"}}\n", rq->id);
	e = rp_reply_buf(rq, status, "application/json", &b, "no-store");
	rp_buf_release(&b);
	return e;
}

int
rp_waf_req_refuse(struct rp_req *rq, int r)
{
	struct rp_buf page;
	int e;

	if (r < 0)
		return rp_reply_error(rq, 503);
	/* IPS: an intervention counts toward the WAF-hits detector (once:
	 * a request is refused at most once, the reply ends it). */
	rp_ipsgate_waf(rq);
	/* API clients get the API's error shape, the sites' visitors pages. */
	if (rq->target_len >= 5 && memcmp(rq->target, "/api/", 5) == 0)
		return refuse_api(rq, (unsigned)r);
	if (r != 403)
		return rp_reply_error(rq, (unsigned)r);
	rp_buf_init(&page, 64 * 1024);
	if ((e = rp_tmpl_waf_page(rp_lang_pick(RP_STR_NULL, RP_STR_NULL,
	    rp_req_header(rq, "Accept-Language")), rq->id, "/", &page)) == 0)
		e = rp_reply_buf(rq, 403, "text/html; charset=utf-8", &page,
		    "no-store");
	rp_buf_release(&page);
	return e;
}

void
rp_waf_req_end(struct rp_req *rq)
{
	char cip[INET6_ADDRSTRLEN];
	int cport;
	struct rp_waf_ev ev;

	if (rq->waf == NULL)
		return;
	client_of(rq, cip, sizeof(cip), &cport);
	ev.request_id = rq->id;
	ev.method = rq->method;
	ev.route = rq->label;
	ev.client = cip;
	ev.status = rq->status;
	rp_waf_tx_end(rq->waf, &ev);
	rq->waf = NULL;
}
