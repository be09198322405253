/* SPDX-License-Identifier: ISC */
/*
 * http.c — the witness's HTTP server (libmicrohttpd, one internal polling
 * thread) and its process: `rentport witness` alone, or a child of
 * `rentport serve` talking to the parent over a SOCK_SEQPACKET pair.
 * Serves POST /add-checkpoint (C2SP tlog-witness v1.0.0) and a small
 * status page.  Request bodies come from the network: they are capped at
 * RP_WITNESS_MAX_BODY while they arrive (a client that keeps sending past
 * a bounded drain is cut off) and handed to witness.c as views.  Only the
 * log writer may add checkpoints (alog/wauth.h: an HMAC of the body with
 * the key in DATA/witness/client.key); the listener's limits, timeouts
 * and the slots kept for the log writer are util/httpd.h's.  Every line a
 * client can cause here is rate-limited.
 */
#include "util/common.h"
#include "proc/child.h"

#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alog/wauth.h"
#include "proc/msg.h"
#include "util/httpd.h"
#include "util/log.h"
#include "witness/witness.h"
#include "witness/witness_int.h"

#define MAX_DRAIN	(256 * 1024)	/* body bytes read past the cap */

static struct rp_log_limit lim_refused = RP_LOG_LIMIT(10);

enum route { R_NONE, R_ADD, R_STATUS };

struct wreq {
	enum route route;
	bool replied;			/* answered at intake; drop the body */
	bool too_big;
	size_t drained;
	char auth[RP_WAUTH_HEADER_MAX + 1];	/* Authorization, as sent */
	struct rp_buf body;
};

static int
reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
    struct rp_buf *b)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;
	size_t len = 0;
	char *d;

	d = rp_buf_detach(b, &len);
	resp = MHD_create_response_from_buffer(len, d != NULL ? d : (void *)"",
	    d != NULL ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(d);
		return RP_E_NOMEM;
	}
	ok = MHD_add_response_header(resp, "Content-Type", ctype);
	if (ok == MHD_YES)
		ok = MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (ok == MHD_YES)
		ok = MHD_add_response_header(resp, "X-Content-Type-Options",
		    "nosniff");
	if (ok == MHD_YES)
		ok = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ok == MHD_YES ? 0 : RP_E_IO;
}

static int
reply_text(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	struct rp_buf b;
	int r;

	rp_buf_init(&b, RP_WITNESS_MAX_RESP);
	rp_buf_add_c(&b, msg);
	r = reply(conn, status, "text/plain; charset=utf-8", &b);
	rp_buf_release(&b);
	return r;
}

/* Routes a new request; answers at once unless it is an add-checkpoint. */
static int
intake(struct rp_witness *w, struct wreq *rq, struct MHD_Connection *conn,
    const char *url, const char *method)
{
	struct rp_buf b;
	int r;

	if (strcmp(url, "/add-checkpoint") == 0) {
		const char *a;

		rq->replied = true;
		if (strcmp(method, "POST") != 0)
			return reply_text(conn, 405, "use POST\n");
		/* Refused before the body is read: the HMAC is checked
		 * once the body is in. */
		a = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_AUTHORIZATION);
		if (a == NULL || strlen(a) >= sizeof(rq->auth) ||
		    !rp_wauth_scheme_ok(rp_str_c(a))) {
			rp_log_limited(&lim_refused, RP_LOG_INFO, "witness: "
			    "add-checkpoint without the log writer's "
			    "authorization refused (401)");
			return reply_text(conn, 401,
			    "only the log writer may add checkpoints\n");
		}
		snprintf(rq->auth, sizeof(rq->auth), "%s", a);
		rq->replied = false;
		rq->route = R_ADD;
		return 0;
	}
	rq->replied = true;
	if (strcmp(url, "/") != 0 && strcmp(url, "/status") != 0 &&
	    strcmp(url, "/cosigned") != 0)
		return reply_text(conn, 404, "not found\n");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply_text(conn, 405, "use GET\n");
	rq->route = R_STATUS;
	rp_buf_init(&b, RP_NOTE_MAX_LEN + RP_WITNESS_MAX_RESP);
	if (strcmp(url, "/cosigned") == 0) {
		/* Pull mode's latest cosigned checkpoint (public). */
		pthread_mutex_lock(&w->mu);
		r = rp_witness_read_file(w, "cosigned", &b);
		pthread_mutex_unlock(&w->mu);
		if (r == RP_E_NOTFOUND)
			r = reply_text(conn, 404, "nothing cosigned by pull\n");
		else if (r == 0)
			r = reply(conn, 200, "text/plain; charset=utf-8", &b);
	} else if ((r = rp_witness_status_page(w, &b)) == 0) {
		r = reply(conn, 200, "text/plain; charset=utf-8", &b);
	}
	rp_buf_release(&b);
	return r;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct rp_witness *w = cls;
	struct wreq *rq = *con_cls;
	struct rp_buf resp;
	const char *ctype;
	unsigned status;
	int r;

	(void)version;
	if (rq == NULL) {
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		rp_buf_init(&rq->body, RP_WITNESS_MAX_BODY);
		*con_cls = rq;
		return intake(w, rq, conn, url, method) == 0 ? MHD_YES : MHD_NO;
	}
	if (*upload_data_size > 0) {
		if (!rq->replied && !rq->too_big &&
		    rp_buf_add(&rq->body, upload_data, *upload_data_size) != 0)
			rq->too_big = true;
		if (rq->replied || rq->too_big) {
			rq->drained += *upload_data_size;
			if (rq->drained > MAX_DRAIN)
				return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rq->replied)
		return MHD_YES;
	rq->replied = true;
	if (rq->too_big)
		return reply_text(conn, 413, "request too large\n") == 0 ?
		    MHD_YES : MHD_NO;
	if (rp_wauth_check(w->client_key, rp_str_c(rq->auth),
	    rp_buf_str(&rq->body)) != 0) {
		rp_log_limited(&lim_refused, RP_LOG_INFO, "witness: "
		    "add-checkpoint with a wrong authorization refused (401)");
		return reply_text(conn, 401,
		    "only the log writer may add checkpoints\n") == 0 ?
		    MHD_YES : MHD_NO;
	}
	rp_buf_init(&resp, RP_WITNESS_MAX_RESP);
	r = rp_witness_add_checkpoint(w, rp_buf_str(&rq->body), &status, &resp,
	    &ctype);
	if (r != 0) {
		rp_buf_release(&resp);
		return reply_text(conn, 500, "internal error\n") == 0 ?
		    MHD_YES : MHD_NO;
	}
	if (status != 200)
		rp_log_limited(&lim_refused, RP_LOG_INFO,
		    "witness: add-checkpoint refused with %u", status);
	r = reply(conn, status, ctype, &resp);
	rp_buf_release(&resp);
	return r == 0 ? MHD_YES : MHD_NO;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct wreq *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq == NULL)
		return;
	*con_cls = NULL;
	rp_buf_release(&rq->body);
	free(rq);
}

int
rp_witness_http_start(struct rp_witness *w, const char *addr, uint32_t port,
    uint32_t *bound, struct rp_buf *err)
{
	struct rp_httpd_opts o;

	if (w->httpd != NULL)
		return RP_E_STATE;
	rp_httpd_opts_init(&o);
	o.name = "witness";
	o.addr_key = "witness_addr";
	o.addr = addr;
	o.port = port;
	o.strict = true;
	o.max_conn = RP_WITNESS_MAX_CONN;
	o.reserved = RP_WITNESS_RESERVED;
	o.privileged = w->conf->witness_writer_addrs;
	o.max_per_prefix = RP_WITNESS_MAX_PER_NET;
	o.idle_timeout_s = RP_WITNESS_IDLE_S;
	o.request_timeout_s = RP_WITNESS_REQUEST_S;
	o.mem_limit = 32 * 1024;
	o.handler = handle;
	o.handler_cls = w;
	o.completed = completed;
	return rp_httpd_start(&o, &w->httpd, bound, err);
}

void
rp_witness_http_stop(struct rp_witness *w)
{
	rp_httpd_stop(w->httpd);
	w->httpd = NULL;
}

/* ---- The process ---- */

static void
send_ready(int parent_fd)
{
	int r;

	if ((r = rp_child_ready(parent_fd, RP_WITNESS_KIND,
	    RP_WITNESS_INDEX)) != 0)
		rp_log_warn("witness: READY not sent: %s", rp_strerror(r));
}

/* --pull: one fetch and cosignature of the log, every tick. */
struct pull {
	struct rp_witness *w;
	const char *url;
	struct rp_buf *err;
};

static void
pull_tick(void *arg)
{
	struct pull *p = arg;
	unsigned pstatus;

	rp_buf_reset(p->err);
	if (rp_witness_pull_once(p->w, p->url, &pstatus, p->err) != 0 ||
	    pstatus != 200)
		rp_log_warn("witness: %s", p->err->len > 0 ? p->err->d :
		    "pull failed");
}

static int
run(const struct rp_conf *conf, int parent_fd, const char *pull_url)
{
	struct rp_witness *w = NULL;
	struct pull pull = { NULL, NULL, NULL };
	struct rp_buf err;
	uint32_t port = 0;
	int sfd = -1, status = 1, timeout = -1, r;

	rp_log_set_proc("witness");
	rp_buf_init(&err, 1024);
	/* Stop signals go through a signalfd; MHD's thread inherits the
	 * blocked mask. */
	if ((sfd = rp_child_signals("witness")) < 0)
		goto out;
	if (rp_merkle_selftest() != 0) {
		rp_log_error("witness: SHA-256 self-test failed");
		goto out;
	}
	if ((r = rp_witness_open(conf, &w, &err)) != 0 ||
	    (r = rp_witness_http_start(w, conf->witness_addr,
	    conf->witness_port, &port, &err)) != 0) {
		rp_log_error("%s", err.len > 0 ? err.d : rp_strerror(r));
		goto out;
	}
	rp_log_info("witness: listening on %s port %" PRIu32,
	    conf->witness_addr, port);
	if (parent_fd >= 0)
		send_ready(parent_fd);

	if (pull_url != NULL) {
		pull.w = w;
		pull.url = pull_url;
		pull.err = &err;
		timeout = conf->checkpoint_interval_ms < 1000 ? 1000 :
		    (int)conf->checkpoint_interval_ms;
		rp_log_info("witness: pulling %s every %d ms", pull_url,
		    timeout);
	}
	status = rp_child_wait(sfd, parent_fd, timeout, pull_url != NULL ?
	    pull_tick : NULL, &pull, "witness");
 out:
	rp_witness_free(w);	/* stops HTTP first: no request in flight */
	rp_buf_release(&err);
	if (sfd >= 0)
		close(sfd);
	return status;
}

int
rp_witness_run(const struct rp_conf *conf, int parent_fd)
{
	return run(conf, parent_fd, NULL);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: rentport witness [--key=value ...] [--pull URL] [vkey]\n"
	    "\n"
	    "Runs the access log's witness: POST /add-checkpoint (C2SP\n"
	    "tlog-witness) on witness_addr:witness_port, cosigning checkpoints\n"
	    "of the trusted log (witness_log_vkey, else DATA/alog/vkey) that\n"
	    "extend what it cosigned before; rewritten histories are refused\n"
	    "and recorded in DATA/witness/alarms.log, older checkpoints get\n"
	    "409.  Only the log writer may add checkpoints (an HMAC with the\n"
	    "key in witness_client_key, default DATA/witness/client.key, made\n"
	    "here).  State and keys live in DATA/witness/.  SIGTERM or SIGINT\n"
	    "stops it.\n"
	    "\n"
	    "  --pull URL  also fetch URL/checkpoint and its tiles from the\n"
	    "              log (http://host[:port][/prefix]) every\n"
	    "              checkpoint_interval_ms and cosign it; the result is\n"
	    "              at GET /cosigned\n"
	    "  vkey     print the witness's verifier key (made if needed)\n"
	    "  --help   this text; see `rentport --help` for the keys\n");
}

int
rp_witness_cmd(const struct rp_conf *conf, int argc, char **argv)
{
	struct rp_witness *w = NULL;
	struct rp_buf err;
	int r;

	if (argc >= 1 && (strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc == 0)
		return rp_witness_run(conf, -1);
	if (argc == 2 && strcmp(argv[0], "--pull") == 0)
		return run(conf, -1, argv[1]);
	if (argc == 1 && strncmp(argv[0], "--pull=", 7) == 0)
		return run(conf, -1, argv[0] + 7);
	if (argc == 1 && strcmp(argv[0], "vkey") == 0) {
		rp_buf_init(&err, 1024);
		if ((r = rp_witness_open(conf, &w, &err)) != 0) {
			fprintf(stderr, "rentport witness: %s\n",
			    err.len > 0 ? err.d : rp_strerror(r));
			rp_buf_release(&err);
			return 1;
		}
		printf("%s\n", rp_witness_vkey(w));
		rp_witness_free(w);
		rp_buf_release(&err);
		return 0;
	}
	fprintf(stderr, "rentport witness: unexpected argument \"%s\"\n",
	    argv[0]);
	usage(stderr);
	return 2;
}
