/* SPDX-License-Identifier: ISC */
/*
 * web.c — a web worker process: HTTP intake on libmicrohttpd (epoll, a
 * thread pool, on the listening socket the parent made), request limits,
 * the request id, security headers on every response, metrics and one
 * access-log message per request to the parent.  Runs in each web worker
 * forked by the parent (src/proc); trusts nothing that arrives on the
 * socket, and treats a malformed message from the parent as fatal.
 *
 * Order of checks for a request (first failure answers):
 *   target longer than max_url_bytes → 414; request headers (name + value
 *   + 4 per header) over max_header_bytes → 431; the WAF's connection,
 *   URI and header phases → 403; path not decodable → 400; no route →
 *   404, other method → 405 with Allow; bad Content-Length → 400; body
 *   over the route's cap (smaller before authentication) → 413, checked
 *   against Content-Length first and again while streaming; the WAF's
 *   body phase → 403; then the handler.  With the WAF on, the 400/404/405
 *   refusals and a body sent to a route that takes none (a GET's), within
 *   the pre-authentication cap, wait for the body so that
 *   the WAF's body phase runs before ANY answer but the size limits: no
 *   request is answered by rentport without the WAF having seen all of it
 *   (reference waf-ips.md §2, "handler answers before the body phase").
 * Requests too large for MHD's per-connection memory pool, or malformed
 * at the HTTP level (garbage request line, bad header syntax), are
 * answered by MHD itself, without our headers — see README/ARCHITECTURE.
 */
#include "util/common.h"
#include "proc/child.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "ips/ips.h"
#include "proc/msg.h"
#include "store/store.h"
#include "util/httpd.h"
#include "util/log.h"
#include "web/assets.h"
#include "paylink/paylink.h"
#include "web/decode.h"
#include "web/ipsgate.h"
#include "web/pages.h"
#include "web/request.h"
#include "web/tmpl.h"
#include "web/web.h"
#include "waf/waf.h"
#include "waf/waf_web.h"

/*
 * The payment agent's origin is the only other one a page may frame (its
 * hosted card field) or send the browser to (its 3-D Secure page, after
 * the order form's POST): set at start from the configuration.
 */
#define CSP "default-src 'self'; img-src 'self' data:; style-src 'self'; " \
	"script-src 'self'; object-src 'none'; base-uri 'none'; " \
	"frame-src %s; form-action 'self' %s; frame-ancestors 'none'"
static char csp[1024];

static const struct {
	const char *name, *value;
} security_headers[] = {
	{ "Content-Security-Policy", csp },
	{ "X-Content-Type-Options", "nosniff" },
	{ "Referrer-Policy", "strict-origin-when-cross-origin" },
	{ "X-Frame-Options", "DENY" },
	{ "Permissions-Policy", "camera=(), microphone=(), geolocation=(), "
	  "interest-cohort=()" },
	{ "Cross-Origin-Opener-Policy", "same-origin" },
	{ "Cross-Origin-Resource-Policy", "same-origin" },
};

/* Body bytes read and dropped after a body went over its cap. */
#define RP_WEB_MAX_DRAIN	(1024 * 1024)

/* Methods logged by name; anything else is logged as "OTHER". */
static const char *const methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
};

struct rp_worker rp_worker;

static pthread_mutex_t store_mu = PTHREAD_MUTEX_INITIALIZER;
static struct rp_store *store;

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int
rp_worker_store_ping(void)
{
	int r;

	pthread_mutex_lock(&store_mu);
	if (store == NULL &&
	    (r = rp_store_connect(rp_worker.conf->data_dir, &store)) != 0)
		goto out;
	if ((r = rp_store_ping(store)) != 0) {
		/* Reopen on the next probe: the file may have been replaced. */
		rp_store_free(store);
		store = NULL;
	}
 out:
	pthread_mutex_unlock(&store_mu);
	return r;
}

struct rp_str
rp_req_header(const struct rp_req *rq, const char *name)
{
	return rp_str_c(MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
	    name));
}

int
rp_reply(struct rp_req *rq, unsigned status, struct MHD_Response *resp,
    size_t body_len, const char *cache)
{
	enum MHD_Result ok = MHD_YES;
	size_t i;

	for (i = 0; i < RP_ARRAY_LEN(security_headers); i++)
		ok &= MHD_add_response_header(resp, security_headers[i].name,
		    security_headers[i].value);
	if (rp_worker.secure)
		ok &= MHD_add_response_header(resp, "Strict-Transport-Security",
		    "max-age=31536000");
	ok &= MHD_add_response_header(resp, "X-Request-Id", rq->id);
	ok &= MHD_add_response_header(resp, "Cache-Control",
	    cache != NULL ? cache : "no-store");
	if (ok == MHD_YES)
		ok = MHD_queue_response(rq->conn, status, resp);
	MHD_destroy_response(resp);
	if (ok != MHD_YES)
		return RP_E_IO;
	rq->replied = true;
	rq->status = status;
	rp_ipsgate_status(rq, status);	/* IPS: 404/403/429 feed the detectors */
	rq->bytes = rq->head ? 0 : body_len;
	return 0;
}

int
rp_reply_buf(struct rp_req *rq, unsigned status, const char *type,
    struct rp_buf *body, const char *cache)
{
	return rp_reply_buf_vary(rq, status, type, body, cache, NULL);
}

int
rp_reply_buf_vary(struct rp_req *rq, unsigned status, const char *type,
    struct rp_buf *body, const char *cache, const char *vary)
{
	struct MHD_Response *resp;
	size_t len;
	char *d;
	int r;

	if (body->err != 0)
		return body->err;
	/* WAF response phases (waf_response = 1): may answer 403 instead. */
	if ((r = rp_waf_req_response(rq, status, type, rp_buf_str(body))) != 0)
		return rp_waf_req_refuse(rq, r);
	if ((d = rp_buf_detach(body, &len)) == NULL)
		len = 0;		/* empty body: nothing was allocated */
	resp = MHD_create_response_from_buffer(len, d != NULL ? d : (void *)"",
	    d != NULL ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(d);
		return RP_E_NOMEM;
	}
	if (MHD_add_response_header(resp, "Content-Type", type) != MHD_YES ||
	    (vary != NULL &&
	    MHD_add_response_header(resp, "Vary", vary) != MHD_YES)) {
		MHD_destroy_response(resp);
		return RP_E_NOMEM;
	}
	return rp_reply(rq, status, resp, len, cache);
}

int
rp_reply_static(struct rp_req *rq, unsigned status, const char *type,
    const char *data, size_t len, const char *cache, const char *etag)
{
	struct MHD_Response *resp;
	int r;

	/* WAF response phases (waf_response = 1): may answer 403 instead. */
	if ((r = rp_waf_req_response(rq, status, type,
	    (struct rp_str){ data, len })) != 0)
		return rp_waf_req_refuse(rq, r);
	resp = MHD_create_response_from_buffer(len, (void *)data,
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return RP_E_NOMEM;
	if (MHD_add_response_header(resp, "Content-Type", type) != MHD_YES ||
	    (etag != NULL &&
	    MHD_add_response_header(resp, "ETag", etag) != MHD_YES)) {
		MHD_destroy_response(resp);
		return RP_E_NOMEM;
	}
	return rp_reply(rq, status, resp, len, cache);
}

static const char *
reason(unsigned status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

int
rp_reply_error(struct rp_req *rq, unsigned status)
{
	struct rp_buf page;
	int r;

	rp_buf_init(&page, 16 * 1024);
	/* The error page is in Japanese unless the client asks for English;
	 * the query is not consulted (it may be what was malformed). */
	if ((r = rp_page_error(rp_lang_pick(RP_STR_NULL, RP_STR_NULL,
	    rp_req_header(rq, "Accept-Language")), status, reason(status),
	    &page)) == 0)
		r = rp_reply_buf(rq, status, "text/html; charset=utf-8", &page,
		    "no-store");
	rp_buf_release(&page);
	return r;
}

static int
reply_405(struct rp_req *rq, const char *allow)
{
	struct rp_buf page;
	struct MHD_Response *resp;
	size_t len;
	char *d;

	rp_buf_init(&page, 16 * 1024);
	if (rp_page_error(rp_lang_pick(RP_STR_NULL, RP_STR_NULL,
	    rp_req_header(rq, "Accept-Language")), 405, reason(405),
	    &page) != 0 ||
	    (d = rp_buf_detach(&page, &len)) == NULL) {
		rp_buf_release(&page);
		return RP_E_NOMEM;
	}
	resp = MHD_create_response_from_buffer(len, d, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(d);
		return RP_E_NOMEM;
	}
	if (MHD_add_response_header(resp, "Content-Type",
	    "text/html; charset=utf-8") != MHD_YES ||
	    MHD_add_response_header(resp, "Allow", allow) != MHD_YES) {
		MHD_destroy_response(resp);
		return RP_E_NOMEM;
	}
	return rp_reply(rq, 405, resp, len, NULL);
}

/* MHD's uri_log callback: the request line is in; start the context. */
static void *
req_begin(void *cls, const char *uri, struct MHD_Connection *conn)
{
	unsigned char rnd[16];
	struct rp_req *rq;

	(void)cls;
	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return NULL;
	rq->conn = conn;
	rq->t0_us = now_us();
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(rq->id, sizeof(rq->id), rnd, sizeof(rnd));
	rq->target_len = uri != NULL ? strlen(uri) : 0;
	/* Keep at most one byte more than the limit: enough to know it is
	 * too long without holding an attacker's whole line. */
	if (rq->target_len > (size_t)rp_worker.conf->max_url_bytes + 1)
		rq->target_len = (size_t)rp_worker.conf->max_url_bytes + 1;
	if ((rq->target = malloc(rq->target_len + 1)) == NULL) {
		free(rq);
		return NULL;
	}
	memcpy(rq->target, uri != NULL ? uri : "", rq->target_len);
	rq->target[rq->target_len] = '\0';
	rq->method = "OTHER";
	rq->slot = RP_METRICS_ROUTE_REJECTED;
	rq->label = rp_route_labels[RP_METRICS_ROUTE_REJECTED].route;
	rp_buf_init(&rq->path, rp_worker.conf->max_url_bytes);
	rp_buf_init(&rq->body, 0);
	rp_metrics_in_flight(rp_worker.m, +1);
	return rq;
}

/* Sends the access-log message; never blocks a request on the parent. */
static void
access_log(const struct rp_req *rq, uint64_t us)
{
	struct rp_msgw w;	/* 64 KiB: MHD threads have default 8 MiB stacks */
	int r;

	/* Status 0: MHD answered on its own (we do not know with what) or
	 * the client left first; the parent accepts only real statuses, so
	 * such requests are counted in the metrics but not logged. */
	if (rp_worker.parent_fd < 0 || rq->status == 0)
		return;
	rp_msgw_begin(&w, RP_MSG_ACCESS);
	rp_msgw_put_str(&w, rp_str_c(rq->method));
	rp_msgw_put_str(&w, rp_str_c(rq->label));
	rp_msgw_put_u32(&w, rq->status);
	rp_msgw_put_u64(&w, rq->bytes);
	rp_msgw_put_u64(&w, us);
	rp_msgw_put_str(&w, rp_str_c(rq->id));
	if ((r = rp_msgw_send(rp_worker.parent_fd, &w, MSG_DONTWAIT)) != 0) {
		rp_metrics_access_dropped(rp_worker.m);
		if (r != RP_E_AGAIN)
			rp_log_warn("access log message not sent: %s",
			    rp_strerror(r));
	}
}

static void
req_end(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct rp_req *rq = *con_cls;
	uint64_t us;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq == NULL)
		return;
	*con_cls = NULL;
	us = now_us() - rq->t0_us;
	/* Status 0: MHD answered (or the client left) before we did. */
	rp_metrics_observe(rp_worker.m, rq->slot, rq->status, us, rq->bytes);
	rp_metrics_in_flight(rp_worker.m, -1);
	access_log(rq, us);
	/* WAF: the sent status, the logging phase, the security event and
	 * the end of the transaction. */
	rp_waf_req_end(rq);
	rp_buf_release(&rq->path);
	rp_buf_release(&rq->body);
	free(rq->target);
	free(rq);
}

/* Identity unescape: intake decodes the raw target itself (decode.c). */
static size_t
no_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	return strlen(s);
}

static enum MHD_Result
sum_header(void *cls, enum MHD_ValueKind kind, const char *key,
    size_t key_size, const char *value, size_t value_size)
{
	size_t *sum = cls;

	(void)kind;
	(void)key;
	(void)value;
	/* "Name: value\r\n" */
	*sum += key_size + value_size + 4;
	return MHD_YES;
}

/*
 * A refusal decided at intake (bad path, no route, wrong method).  With
 * the WAF on it is answered after the WAF's body phase (see the top of
 * this file); without, at once.
 */
static int
refuse(struct rp_req *rq, unsigned status)
{
	if (rp_waf_on()) {
		rq->refuse = status;
		return 0;
	}
	return status == 405 ? reply_405(rq, rq->allow) :
	    rp_reply_error(rq, status);
}

/* Answers status (a refusal of the request's length) after the WAF's
 * body phase, which may answer 403 instead. */
static int
refuse_now(struct rp_req *rq, unsigned status)
{
	int w;

	if ((w = rp_waf_req_body(rq)) != 0)
		return rp_waf_req_refuse(rq, w);
	return rp_reply_error(rq, status);
}

/* First callback of a request: limits, WAF headers, path, route, body cap. */
static int
intake(struct rp_req *rq, const char *method, const char *version)
{
	const struct rp_conf *c = rp_worker.conf;
	char allow[64];
	struct rp_str target, path, cl, te;
	uint64_t clen = 0;
	size_t i, hdr = 0;
	int r;

	for (i = 0; i < RP_ARRAY_LEN(methods); i++)
		if (strcmp(method, methods[i]) == 0)
			rq->method = methods[i];
	rq->head = strcmp(rq->method, "HEAD") == 0;
	if (rq->target_len > c->max_url_bytes)
		return rp_reply_error(rq, 414);
	MHD_get_connection_values_n(rq->conn, MHD_HEADER_KIND, sum_header,
	    &hdr);
	if (hdr > c->max_header_bytes)
		return rp_reply_error(rq, 431);
	/* WAF: connection, URI and request-header phases. */
	if ((r = rp_waf_req_headers(rq, method, version)) != 0)
		return rp_waf_req_refuse(rq, r);

	/* path?query: split leaves the query in the cursor. */
	target = (struct rp_str){ rq->target, rq->target_len };
	if (rp_str_split(&target, '?', &path))
		rq->query = target;
	else
		path = target;
	if ((r = rp_path_decode(path, &rq->path)) != 0) {
		if ((r = refuse(rq, r == RP_E_TOOBIG ? 414 : 400)) != 0 ||
		    rq->replied)
			return r;
		goto cap;
	}

	rq->slot = RP_METRICS_ROUTE_UNMATCHED;
	rq->label = rp_route_labels[RP_METRICS_ROUTE_UNMATCHED].route;
	r = rp_route_match(rp_worker.routes, rp_worker.nroutes, rp_str_c(method),
	    rp_buf_str(&rq->path), &rq->match, allow, sizeof(allow));
	if (r != 0) {
		snprintf(rq->allow, sizeof(rq->allow), "%s", allow);
		if ((r = refuse(rq, r == RP_E_DENIED ? 405 : 404)) != 0 ||
		    rq->replied)
			return r;
		goto cap;
	}
	rq->slot = RP_METRICS_ROUTE_FIRST + rq->match.index;
	rq->label = rq->match.route->pattern;
	/* IPS: the client's token buckets, per address and per sensitive
	 * route (needs the route): 429 with Retry-After when empty. */
	if ((r = rp_ipsgate_limit(rq)) != 0)
		return r < 0 ? r : 0;

 cap:
	/* Body cap: the route's own, bounded by the auth state's; a refused
	 * request's body is read (up to the smaller cap) for the WAF only. */
	if (rq->refuse != 0)
		rq->body_cap = c->max_body_preauth_bytes;
	else if (rq->match.route->flags & RP_ROUTE_BODY) {
		rq->body_cap = rq->authenticated ? c->max_body_bytes :
		    c->max_body_preauth_bytes;
		if (rq->match.route->max_body != 0 &&
		    rq->match.route->max_body < rq->body_cap)
			rq->body_cap = rq->match.route->max_body;
	}
	cl = rp_req_header(rq, "Content-Length");
	te = rp_req_header(rq, "Transfer-Encoding");
	if (cl.p != NULL && rp_str_to_u64(cl, UINT64_MAX / 2, &clen) != 0)
		return refuse_now(rq, 400);
	if (clen > rq->body_cap || (te.p != NULL && rq->body_cap == 0)) {
		/* Over the route's cap: 413 at once (a size limit), except a
		 * body sent to a route that takes none (GET): with the WAF on,
		 * that one is read up to the pre-authentication cap first, so
		 * that the WAF inspects it too. */
		if (!rp_waf_on() || rq->body_cap != 0 ||
		    clen > c->max_body_preauth_bytes)
			return refuse_now(rq, 413);
		if (rq->refuse == 0)
			rq->refuse = 413;
		rq->body_cap = c->max_body_preauth_bytes;
	}
	rp_buf_init(&rq->body, (size_t)rq->body_cap);
	return 0;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct rp_req *rq = *con_cls;
	int r;

	(void)cls;
	(void)conn;		/* rq->conn is the same connection */
	(void)url;		/* unescaped by MHD: intake uses the raw target */
	if (rq == NULL)
		return MHD_NO;		/* out of memory in req_begin */
	if (!rq->started) {
		rq->started = true;
		if ((r = intake(rq, method, version)) != 0)
			return MHD_NO;
		return MHD_YES;		/* MHD calls again, with any body */
	}
	if (rq->replied) {
		/* Refused at intake: drop whatever body follows. */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!rq->body_too_big &&
		    rp_buf_add(&rq->body, upload_data, *upload_data_size) != 0)
			rq->body_too_big = true;
		if (rq->body_too_big) {
			/* MHD cannot queue a response in the middle of an
			 * upload: drain a bounded amount, then answer 413 at
			 * the end; a client that keeps sending is cut off. */
			rq->drained += *upload_data_size;
			if (rq->drained > RP_WEB_MAX_DRAIN)
				return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	/* WAF: the body phase, for every request (with or without a body),
	 * before any refusal or handler answers. */
	if ((r = rp_waf_req_body(rq)) != 0)
		r = rp_waf_req_refuse(rq, r);
	else if (rq->body_too_big)
		r = rp_reply_error(rq, 413);
	else if (rq->refuse == 405)
		r = reply_405(rq, rq->allow);
	else if (rq->refuse != 0)
		r = rp_reply_error(rq, rq->refuse);
	else if ((r = rq->match.route->handler(rq)) != 0 && !rq->replied) {
		rp_log_warn("route %s failed: %s", rq->label, rp_strerror(r));
		r = rp_reply_error(rq, 500);
	}
	return r == 0 || rq->replied ? MHD_YES : MHD_NO;
}

int
rp_web_listen(const struct rp_conf *conf, int *fd, struct rp_buf *err)
{
	return rp_httpd_listen("listen_addr", conf->listen_addr, "port",
	    conf->port, false, 1024, fd, NULL, err);
}

int
rp_metrics_listen(const struct rp_conf *conf, int *fd, struct rp_buf *err)
{
	return rp_httpd_listen("metrics_addr", conf->metrics_addr,
	    "metrics_port", conf->metrics_port, false, 1024, fd, NULL, err);
}

/* ---- the internal metrics listener --------------------------------------- */

/* The Prometheus text of the shared metrics and the IPS into out. */
static int
metrics_text(struct rp_buf *out)
{
	int r;

	if ((r = rp_metrics_render(rp_worker.m, rp_route_labels,
	    RP_METRICS_ROUTE_FIRST + rp_worker.nroutes, out)) == 0)
		r = rp_ips_metrics_render(rp_ips_global(), out);
	return r;
}

/*
 * The metrics listener's only handler: GET (or HEAD) /metrics → 200, any
 * other method or path → 404, a request with a body → connection closed.
 * No WAF, no IPS, no access-log line: the listener is internal, and what
 * it serves is counters only (no personal data, no request values).
 */
static enum MHD_Result
metrics_handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	static int started;
	struct MHD_Response *resp;
	struct rp_buf out;
	const char *type = "text/plain; charset=utf-8";
	unsigned status = 404;
	enum MHD_Result ok;
	size_t len = 0;
	char *d = NULL;

	(void)cls;
	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) {
		*con_cls = &started;	/* headers in; a body would follow */
		return MHD_YES;
	}
	if (*upload_data_size > 0)
		return MHD_NO;		/* nothing here takes a body */
	rp_buf_init(&out, 1024 * 1024);
	if (strcmp(url, "/metrics") == 0 && (strcmp(method, "GET") == 0 ||
	    strcmp(method, "HEAD") == 0)) {
		if (metrics_text(&out) == 0 && out.err == 0 &&
		    (d = rp_buf_detach(&out, &len)) != NULL) {
			status = 200;
			type = "text/plain; version=0.0.4; charset=utf-8";
		} else
			status = 500;
	}
	rp_buf_release(&out);
	if (d != NULL)
		resp = MHD_create_response_from_buffer(len, d,
		    MHD_RESPMEM_MUST_FREE);
	else {
		const char *msg = status == 404 ? "not found\n" :
		    "internal server error\n";

		resp = MHD_create_response_from_buffer(strlen(msg),
		    (void *)msg, MHD_RESPMEM_PERSISTENT);
	}
	if (resp == NULL) {
		free(d);
		return MHD_NO;
	}
	ok = MHD_add_response_header(resp, "Content-Type", type);
	ok &= MHD_add_response_header(resp, "Cache-Control", "no-store");
	ok &= MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (ok == MHD_YES)
		ok = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* Starts the metrics listener's daemon on fd (one thread, few clients). */
static struct MHD_Daemon *
metrics_start(const struct rp_conf *conf, int fd)
{
	return MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD, 0, NULL, NULL,
	    metrics_handle, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)32,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)(conf->connection_timeout
	    < 10 ? conf->connection_timeout : 10),
	    MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
	    MHD_OPTION_END);
}

int
rp_console_listen(const struct rp_conf *conf, int *fd, struct rp_buf *err)
{
	return rp_httpd_listen("console_addr", conf->console_addr,
	    "console_port", conf->console_port, false, 1024, fd, NULL, err);
}

static int serve(const struct rp_conf *conf, int listen_fd, int metrics_fd,
    int parent_fd, unsigned index, struct rp_metrics *m);

int
rp_web_serve(const struct rp_conf *conf, int listen_fd, int metrics_fd,
    int parent_fd, unsigned index, struct rp_metrics *m)
{
	rp_worker.console = false;
	rp_worker.routes = rp_routes;
	rp_worker.nroutes = rp_nroutes;
	return serve(conf, listen_fd, metrics_fd, parent_fd, index, m);
}

int
rp_console_serve(const struct rp_conf *conf, int listen_fd, int parent_fd,
    unsigned index)
{
	rp_worker.console = true;
	rp_worker.routes = rp_console_routes;
	rp_worker.nroutes = rp_console_nroutes;
	return serve(conf, listen_fd, -1, parent_fd, index, NULL);
}

static int
serve(const struct rp_conf *conf, int listen_fd, int metrics_fd,
    int parent_fd, unsigned index, struct rp_metrics *m)
{
	struct MHD_Daemon *d = NULL, *md = NULL;
	const char *kind = rp_worker.console ? "console" : "web";
	char name[32];
	size_t i, pool;
	int sfd = -1, status = 1, r;

	snprintf(name, sizeof(name), "%s/%u", kind, index);
	rp_log_set_proc(name);
	rp_worker.conf = conf;
	rp_worker.m = m;
	rp_worker.parent_fd = parent_fd;
	rp_worker.index = index;
	rp_worker.secure = strncmp(conf->public_url, "https://", 8) == 0;
	for (i = 0; i < rp_worker.nroutes; i++) {
		rp_route_labels[RP_METRICS_ROUTE_FIRST + i].method =
		    rp_worker.routes[i].method;
		rp_route_labels[RP_METRICS_ROUTE_FIRST + i].route =
		    rp_worker.routes[i].pattern;
	}
	if (sodium_init() < 0 || rp_assets_init() != 0) {
		rp_log_error("cannot initialise libsodium or static assets");
		goto out;
	}
	{
		char po[300];

		rp_pay_agent_origin(conf, po, sizeof(po));
		snprintf(csp, sizeof(csp), CSP, po, po);
	}
	/* The WAF's rules, once per worker, before any thread (rule parsing
	 * in libmodsecurity 3.0.9 is not thread-safe; src/waf/waf.h). */
	{
		struct rp_buf werr;

		rp_buf_init(&werr, 4096);
		if (rp_waf_init(conf, &werr) != 0) {
			rp_log_error("WAF: %s", werr.d ? werr.d : "cannot start");
			rp_buf_release(&werr);
			goto out;
		}
		rp_buf_release(&werr);
	}
	/* Parse and check every template and message once, before threads. */
	{
		struct rp_buf terr;

		rp_buf_init(&terr, 512);
		if (rp_tmpl_init(&terr) != 0) {
			rp_log_error("templates: %s", terr.d ? terr.d : "invalid");
			rp_buf_release(&terr);
			goto out;
		}
		rp_buf_release(&terr);
	}

	/* The stop signals, blocked in every thread (MHD's inherit the
	 * mask), taken through a signalfd in rp_child_wait below. */
	if ((sfd = rp_child_signals(kind)) < 0)
		goto out;

	/* Big enough that requests within our limits always reach intake
	 * (which then answers 414/431 itself, with our headers). */
	pool = 2 * ((size_t)conf->max_header_bytes + conf->max_url_bytes);
	if (pool < 32 * 1024)
		pool = 32 * 1024;
	/* rp_ipsgate_accept: banned addresses are closed before any HTTP. */
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD,
	    0, rp_ipsgate_accept, NULL, handle, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)conf->http_threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)conf->max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)conf->connection_timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
	    MHD_OPTION_URI_LOG_CALLBACK, req_begin, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, req_end, NULL,
	    MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
	    MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
	    MHD_OPTION_END);
	if (d == NULL) {
		rp_log_error("cannot start the HTTP daemon");
		goto out;
	}
	if (metrics_fd >= 0 && (md = metrics_start(conf, metrics_fd)) == NULL) {
		rp_log_error("cannot start the metrics listener");
		goto out;
	}
	rp_log_info("serving with %" PRIu32 " threads", conf->http_threads);
	/* READY: kind 0 (web) and our index, as the parent expects. */
	if (parent_fd >= 0) {
		if ((r = rp_child_ready(parent_fd, rp_worker.console ?
		    RP_WEB_CONSOLE_KIND : 0, index)) != 0)
			rp_log_warn("READY not sent: %s", rp_strerror(r));
	}

	status = rp_child_wait(sfd, parent_fd, 0, NULL, NULL, kind);
 out:
	if (md != NULL)
		MHD_stop_daemon(md);
	if (d != NULL)
		MHD_stop_daemon(d);
	rp_waf_fini();
	pthread_mutex_lock(&store_mu);
	rp_store_free(store);
	store = NULL;
	pthread_mutex_unlock(&store_mu);
	if (sfd >= 0)
		close(sfd);
	return status;
}
