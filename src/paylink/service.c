/* SPDX-License-Identifier: ISC */
/*
 * service.c — paylink as a child of `rentport serve`: works the payment
 * outbox every 100 ms (paylink.c) and receives the agent's webhooks on
 * paylink_addr:paylink_port (loopback by default; only POST
 * /webhooks/paysim, the raw body verified before anything is parsed).
 * The agent's secrets live in this process only.
 */
#include "util/common.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "paylink/paylink.h"
#include "proc/child.h"
#include "util/buf.h"
#include "util/httpd.h"
#include "util/log.h"

#define HOOK_MAX_BODY	(64 * 1024)
#define STEP_MS		100

static volatile sig_atomic_t got_signal;
static pthread_mutex_t pl_mu = PTHREAD_MUTEX_INITIALIZER;
static struct rp_paylink *the_pl;

static void
on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

struct hook_req {
	struct rp_buf body;
	bool too_big;
};

static enum MHD_Result
answer(struct MHD_Connection *c, unsigned status, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text),
	    (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ok;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **ctx)
{
	struct hook_req *hr = *ctx;
	const char *sig;
	int r;

	(void)cls;
	(void)version;
	if (hr == NULL) {
		if (strcmp(method, "POST") != 0 ||
		    strcmp(url, "/webhooks/paysim") != 0)
			return answer(c, 404, "{\"error\":\"not found\"}\n");
		if ((hr = calloc(1, sizeof(*hr))) == NULL)
			return MHD_NO;
		rp_buf_init(&hr->body, HOOK_MAX_BODY);
		*ctx = hr;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (rp_buf_add(&hr->body, upload, *upload_size) != 0)
			hr->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (hr->too_big)
		return answer(c, 413, "{\"error\":\"too large\"}\n");
	sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Paysim-Signature");
	pthread_mutex_lock(&pl_mu);
	r = the_pl == NULL ? RP_E_AGAIN : rp_paylink_webhook(the_pl, rp_str_c(sig), rp_buf_str(&hr->body),
	    (int64_t)time(NULL));
	pthread_mutex_unlock(&pl_mu);
	if (r == RP_E_DENIED) {
		/* a security event: someone posts to the receiver unsigned */
		rp_log_warn("security: paylink webhook with a bad signature "
		    "refused");
		return answer(c, 400, "{\"error\":\"bad signature\"}\n");
	}
	if (r == RP_E_INVAL)
		return answer(c, 400, "{\"error\":\"malformed event\"}\n");
	if (r != 0)
		return answer(c, 503, "{\"error\":\"try again\"}\n");
	return answer(c, 200, "{\"received\":true}\n");
}

static void
on_done(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_RequestTerminationCode code)
{
	struct hook_req *hr = *ctx;

	(void)cls;
	(void)c;
	(void)code;
	if (hr != NULL) {
		rp_buf_release(&hr->body);
		free(hr);
	}
	*ctx = NULL;
}


int
rp_paylink_main(const struct rp_conf *conf, int parent_fd)
{
	struct rp_paylink_conf pc;
	struct rp_httpd *d = NULL;
	struct rp_httpd_opts ho;
	struct rp_buf herr;
	struct sigaction sa;
	char agent[256], secret[1100], hook[1100], hook_url[200];
	uint8_t *rbuf = NULL;
	unsigned hook_tries = 0, open_tries = 0;
	bool hook_done = false;
	int status = 1, r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	rp_pay_agent_url(conf, agent, sizeof(agent));
	snprintf(secret, sizeof(secret), "%s/paysim/api.secret", conf->data_dir);
	snprintf(hook, sizeof(hook), "%s/paysim/webhook.secret", conf->data_dir);
	memset(&pc, 0, sizeof(pc));
	pc.data_dir = conf->data_dir;
	pc.agent_url = agent;
	pc.secret_file = secret;
	pc.webhook_secret_file = hook;
	rp_httpd_opts_init(&ho);
	ho.name = "paylink";
	ho.addr_key = "paylink_addr";
	ho.addr = conf->paylink_addr;
	ho.port = conf->paylink_port;
	ho.handler = on_request;
	ho.completed = on_done;
	rp_buf_init(&herr, 512);
	if ((r = rp_httpd_start(&ho, &d, NULL, &herr)) == RP_E_INVAL ||
	    r == RP_E_RANGE) {
		rp_log_error("%s", herr.len > 0 ? herr.d :
		    "paylink: bad paylink_addr");
		rp_buf_release(&herr);
		goto out;
	}
	if (r != 0)
		/* the outbox still works (3-D Secure is then learnt by asking) */
		rp_log_error("paylink: cannot listen on %s:%u; no webhooks (%s)",
		    conf->paylink_addr, (unsigned)conf->paylink_port,
		    herr.len > 0 ? herr.d : rp_strerror(r));
	rp_buf_release(&herr);
	if ((rbuf = malloc(RP_MSG_MAX_FRAME)) == NULL)
		goto out;
	if (parent_fd >= 0 && (fcntl(parent_fd, F_SETFL, O_NONBLOCK) != 0 ||
	    rp_child_ready(parent_fd, RP_PAYLINK_KIND, 1) != 0))
		goto out;
	rp_log_info("paylink: agent %s, webhooks on http://%s:%u/webhooks/paysim",
	    pc.agent_url, conf->paylink_addr, (unsigned)conf->paylink_port);
	snprintf(hook_url, sizeof(hook_url), "http://%s:%u/webhooks/paysim",
	    conf->paylink_addr, (unsigned)conf->paylink_port);
	while (!got_signal) {
		struct pollfd pfd = { parent_fd, POLLIN, 0 };

		pthread_mutex_lock(&pl_mu);
		/*
		 * The agent's secrets appear when the sandbox first starts (a
		 * real agent's are installed by the operator): until then the
		 * outbox waits, and the sites say card payment is unavailable.
		 */
		if (the_pl == NULL && open_tries++ % 10 == 0 &&
		    (r = rp_paylink_open(&pc, &the_pl)) != 0) {
			if (open_tries == 1 || open_tries % 600 == 1)
				rp_log_warn("paylink: no payment agent secrets in "
				    "%s/paysim yet (%s); waiting", conf->data_dir,
				    rp_strerror(r));
			the_pl = NULL;
		}
		if (the_pl == NULL) {
			pthread_mutex_unlock(&pl_mu);
			goto wait;
		}
		/* a sandbox agent learns our webhook URL (retried until it is up) */
		if (hook_tries < 600 && !hook_done && hook_tries++ % 20 == 0 &&
		    (r = rp_paylink_register_webhook(the_pl, hook_url)) != RP_E_AGAIN)
			hook_done = true;	/* registered, or a real agent */
		if (rp_paylink_step(the_pl, (int64_t)time(NULL), NULL) != 0)
			rp_log_warn("paylink: the outbox could not be read");
		pthread_mutex_unlock(&pl_mu);
 wait:
		if (parent_fd < 0) {
			usleep(STEP_MS * 1000);
			continue;
		}
		if (poll(&pfd, 1, STEP_MS) < 0 && errno != EINTR)
			goto out;
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			for (;;) {
				r = rp_child_recv(parent_fd, rbuf, NULL, "paylink");
				if (r == RP_CHILD_NONE)
					break;
				if (r == RP_CHILD_DONE)
					continue;
				if (r == RP_CHILD_STOP || r == RP_E_CLOSED)
					got_signal = 1;
				else
					goto out;
				break;
			}
		}
	}
	rp_log_info("paylink: stopping");
	status = 0;
 out:
	rp_httpd_stop(d);
	rp_paylink_close(the_pl);
	the_pl = NULL;
	free(rbuf);
	return status;
}
