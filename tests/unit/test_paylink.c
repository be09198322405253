/* SPDX-License-Identifier: ISC */
/*
 * test_paylink.c — src/paylink/: webhook signatures (payments.md §6), the
 * agent's origin, and failing closed towards the agent: this file includes
 * paylink.c, runs a one-connection-at-a-time fake agent on 127.0.0.1 and
 * counts what reaches it.  An id the agent gives that is too long or holds
 * '/', '?' … is refused (never cut, never put in a URL); a request that
 * cannot be built exactly (body not encodable, a header list not made) is
 * not sent at all and its row stays unknown for a later retry.
 */
#include "../../src/paylink/paylink.c"

#include <poll.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sqlite3.h>

#include "tap.h"
#include "test_store_util.h"

#define SECRET	"sk_test_paylink_unit_0123456789"
#define HOOKSEC	"whsec_paylink_unit"

/* ---- a fake agent: one canned answer, a count of requests ------------- */

static struct fake {
	int fd, port;
	pthread_t th;
	volatile int stop;
	pthread_mutex_t mu;
	int hits;
	char last[4096];		/* request line .. body of the last request */
	int status;
	char reply[2048];
} fk = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void *
fake_run(void *arg)
{
	(void)arg;
	while (!fk.stop) {
		struct pollfd pfd = { fk.fd, POLLIN, 0 };
		char req[4096], out[3072];
		size_t got = 0;
		long clen = 0;
		char *end = NULL, *cl;
		int c, k;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if ((c = accept(fk.fd, NULL, NULL)) < 0)
			continue;
		for (;;) {
			ssize_t n = read(c, req + got, sizeof(req) - 1 - got);

			if (n <= 0)
				break;
			got += (size_t)n;
			req[got] = '\0';
			if (end == NULL && (end = strstr(req, "\r\n\r\n")) != NULL) {
				if ((cl = strcasestr(req, "\r\ncontent-length:")) != NULL &&
				    cl < end)
					clen = strtol(cl + 17, NULL, 10);
			}
			if (end != NULL && got >= (size_t)(end + 4 - req) + (size_t)clen)
				break;
			if (got == sizeof(req) - 1)
				break;
		}
		req[got] = '\0';
		pthread_mutex_lock(&fk.mu);
		fk.hits++;
		snprintf(fk.last, sizeof(fk.last), "%s", req);
		k = snprintf(out, sizeof(out), "HTTP/1.1 %d X\r\nContent-Type: "
		    "application/json\r\nContent-Length: %zu\r\nConnection: close"
		    "\r\n\r\n%s", fk.status, strlen(fk.reply), fk.reply);
		pthread_mutex_unlock(&fk.mu);
		if (write(c, out, (size_t)k) < 0)
			diag("fake agent: write failed");
		close(c);
	}
	return NULL;
}

static int
fake_start(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fk.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fk.fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fk.fd, 8) != 0 ||
	    getsockname(fk.fd, (struct sockaddr *)&sa, &sl) != 0)
		return -1;
	fk.port = ntohs(sa.sin_port);
	return pthread_create(&fk.th, NULL, fake_run, NULL);
}

static void
fake_answer(int status, const char *reply)
{
	pthread_mutex_lock(&fk.mu);
	fk.status = status;
	snprintf(fk.reply, sizeof(fk.reply), "%s", reply);
	pthread_mutex_unlock(&fk.mu);
}

static int
fake_hits(void)
{
	int n;

	pthread_mutex_lock(&fk.mu);
	n = fk.hits;
	pthread_mutex_unlock(&fk.mu);
	return n;
}

/* ---- fixtures ---------------------------------------------------------- */

static char dir[512];

static void
write_file(const char *name, const char *text)
{
	char p[700];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
	chmod(p, 0600);
}

/* Orders 1..n awaiting payment, written straight into core.db. */
static int
orders_make(int n)
{
	char q[600];
	int r;

	/* the plan they name (PostgreSQL checks foreign keys on every
	 * connection) */
	r = test_db_exec(dir, "INSERT INTO plans (id, code, destination, "
	    "destination_name, device, tier, daily_yen, tax_bp) VALUES (1, "
	    "'T-1', 'US', 'USA', 'router', 'std', 1000, 1000)");
	for (int i = 1; i <= n && r == 0; i++) {
		snprintf(q, sizeof(q), "INSERT INTO orders (id, number, channel, "
		    "person_id, plan_id, qty, order_date, depart_date, return_date, "
		    "pickup, ret, status, subtotal_yen, tax_yen, total_yen, "
		    "created_at, updated_at) VALUES (%d, 'RP-TEST%04d', 'public', 1, "
		    "1, 1, '2026-01-01', '2026-01-02', '2026-01-03', 'courier', "
		    "'courier', 'awaiting_payment', 1000, 100, 1100, 1, 1)", i, i);
		r = test_db_exec(dir, q);
	}
	return r;
}

/* A new row of op for order oid (psp_id for capture/void/refund). */
static int64_t
row_new(struct rp_paylink *pl, int64_t oid, int op, const char *psp_id)
{
	struct rp_payment p;

	memset(&p, 0, sizeof(p));
	p.order_id = oid;
	p.op = op;
	p.amount_yen = 1100;
	snprintf(p.token, sizeof(p.token), "tok_abc");
	snprintf(p.return_url, sizeof(p.return_url), "http://x.test/order/paid");
	snprintf(p.psp_id, sizeof(p.psp_id), "%s", psp_id ? psp_id : "");
	if (op == RP_PAY_CHARGE) {
		snprintf(p.customer, sizeof(p.customer), "cus_1");
		snprintf(p.payment_method, sizeof(p.payment_method), "pm_1");
	}
	return rp_store_payment_new(pl->st, &p) == 0 ? p.id : -1;
}

/* Sends row id once and reads it back into *p. */
static void
send_once(struct rp_paylink *pl, int64_t id, int64_t now, struct rp_payment *p)
{
	struct rp_payment q;

	memset(p, 0, sizeof(*p));
	if (rp_store_payment_get(pl->st, id, &q) != 0)
		return;
	send_row(pl, &q, now);
	if (rp_store_payment_get(pl->st, id, p) != 0)
		diag("row %lld not read back", (long long)id);
}

static char *
fail_dumps(const json_t *j, size_t flags)
{
	(void)j;
	(void)flags;
	return NULL;
}

static int slist_calls, slist_fail_at;

static struct curl_slist *
fail_slist(struct curl_slist *l, const char *s)
{
	if (++slist_calls == slist_fail_at)
		return NULL;
	return curl_slist_append(l, s);
}

/* An authorization answer with the given id and customer. */
static void
auth_answer(const char *id, const char *customer)
{
	char j[1500];

	snprintf(j, sizeof(j), "{\"id\":\"%s\",\"object\":\"payment\","
	    "\"status\":\"requires_capture\",\"amount\":1100,\"brand\":\"visa\","
	    "\"last4\":\"4242\",\"exp_month\":12,\"exp_year\":2030,"
	    "\"customer\":\"%s\",\"payment_method\":\"pm_1\"}", id, customer);
	fake_answer(200, j);
}

static void
test_id_ok(void)
{
	char s65[66];

	memset(s65, 'a', 65);
	s65[65] = '\0';
	ok(rp_paylink_id_ok(rp_str_c("pay_0123456789abcdefghijklmn")),
	    "paysim's id shape passes");
	ok(rp_paylink_id_ok(rp_str_c("pi_3MtwBwLkdIwHu7ix28a3tqPa")),
	    "mixed case passes");
	ok(rp_paylink_id_ok((struct rp_str){ s65, 64 }), "64 characters pass");
	ok(!rp_paylink_id_ok(rp_str_c(s65)), "65 characters refused");
	ok(!rp_paylink_id_ok(rp_str_c("")), "empty refused");
	ok(!rp_paylink_id_ok(rp_str_c("pay_a/b")), "'/' refused");
	ok(!rp_paylink_id_ok(rp_str_c("pay_a?b=1")), "'?' refused");
	ok(!rp_paylink_id_ok(rp_str_c("pay_a%2F")), "'%' refused");
	ok(!rp_paylink_id_ok(rp_str_c("pay_a..b-c")), "'.' and '-' refused");
	ok(!rp_paylink_id_ok(rp_str_c("pay_\xc3\xa9")), "non-ASCII refused");
	ok(!rp_paylink_id_ok((struct rp_str){ "pay_a\0b", 7 }), "NUL refused");
}

static void
test_agent(void)
{
	struct rp_paylink_conf pc;
	struct rp_paylink *pl = NULL;
	struct rp_payment p;
	struct rp_order o;
	struct rp_store *st = NULL;
	char url[64], longid[200], sec[700], hsec[700], hdr[200], ev[600],
	    huge[400];
	int64_t id, now = time(NULL) + 100;
	int h0, logfd;
	char *logtext;
	size_t loglen;

	ok(tmpdir_make(dir, sizeof(dir)) != NULL, "scratch dir");
	write_file("api.secret", SECRET "\n");
	write_file("webhook.secret", HOOKSEC "\n");
	ok(rp_store_open(dir, &st) == 0, "store made");
	rp_store_free(st);
	ok(orders_make(12) == 0, "orders");
	snprintf(sec, sizeof(sec), "%s/api.secret", dir);
	snprintf(hsec, sizeof(hsec), "%s/webhook.secret", dir);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", fk.port);
	memset(&pc, 0, sizeof(pc));
	pc.data_dir = dir;
	pc.secret_file = sec;
	pc.webhook_secret_file = hsec;
	pc.timeout_ms = 3000;
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	memcpy(huge, "http://", 7);
	pc.agent_url = huge;
	is_int(rp_paylink_open(&pc, &pl), RP_E_TOOBIG,
	    "an agent URL that does not fit is refused, not cut");
	pc.agent_url = url;
	if (rp_paylink_open(&pc, &pl) != 0) {
		ok(0, "paylink open");
		return;
	}
	{
		char lp[700];

		snprintf(lp, sizeof(lp), "%s/paylink.log", dir);
		logfd = open(lp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		rp_log_set_fd(logfd);
	}

	/* a well-formed answer: sent once, stored whole */
	auth_answer("pay_0123456789abcdefghijklmn", "cus_1");
	h0 = fake_hits();
	id = row_new(pl, 1, RP_PAY_AUTHORIZE, NULL);
	send_once(pl, id, now, &p);
	is_int(fake_hits(), h0 + 1, "authorize sent");
	ok(strstr(fk.last, "POST /v1/payments ") != NULL &&
	    strstr(fk.last, "\"amount\":1100") != NULL &&
	    strstr(fk.last, "Idempotency-Key: order:1:") != NULL,
	    "with its body and key");
	is_int(p.state, RP_PAY_DONE, "authorized");
	is_str(p.psp_id, "pay_0123456789abcdefghijklmn", "the agent's id kept");
	ok(rp_store_order_get_id(pl->st, 1, &o) == 0 &&
	    o.status == RP_ORDER_CONFIRMED &&
	    strcmp(o.pay_auth_id, "pay_0123456789abcdefghijklmn") == 0,
	    "order confirmed with the id");

	/* too long: the old code cut it to 64 and confirmed the order */
	memset(longid, 'a', sizeof(longid));
	memcpy(longid, "pay_", 4);
	longid[70] = '\0';
	auth_answer(longid, "cus_1");
	id = row_new(pl, 2, RP_PAY_AUTHORIZE, NULL);
	send_once(pl, id, now, &p);
	is_int(p.state, RP_PAY_UNKNOWN, "a 70-character id: unknown, not done");
	is_str(p.psp_id, "", "no cut id stored");
	ok(p.next_try_at > now, "asked again later");
	ok(rp_store_order_get_id(pl->st, 2, &o) == 0 &&
	    o.status == RP_ORDER_AWAITING_PAYMENT && o.pay_auth_id[0] == '\0',
	    "order still awaiting payment, no reference");

	auth_answer("pay_ab/../../v1/refunds", "cus_1");
	id = row_new(pl, 3, RP_PAY_AUTHORIZE, NULL);
	send_once(pl, id, now, &p);
	is_int(p.state, RP_PAY_UNKNOWN, "an id with '/': unknown");
	is_str(p.psp_id, "", "not stored");

	auth_answer("pay_ab?expand=1", "cus_1");
	id = row_new(pl, 4, RP_PAY_AUTHORIZE, NULL);
	send_once(pl, id, now, &p);
	is_int(p.state, RP_PAY_UNKNOWN, "an id with '?': unknown");
	is_str(p.psp_id, "", "not stored");

	auth_answer("pay_fine", "cus_1&x=2");
	id = row_new(pl, 5, RP_PAY_AUTHORIZE, NULL);
	send_once(pl, id, now, &p);
	is_int(p.state, RP_PAY_UNKNOWN, "a malformed saved-card id: unknown");
	ok(p.customer[0] == '\0' && p.psp_id[0] == '\0',
	    "nothing of that answer stored");

	/* stored ids that would change the URL: nothing is sent */
	fake_answer(200, "{\"id\":\"pay_x\",\"status\":\"canceled\"}");
	h0 = fake_hits();
	id = row_new(pl, 6, RP_PAY_VOID, "pay_a/../../v1/refunds");
	send_once(pl, id, now, &p);
	is_int(fake_hits(), h0, "void of 'pay_a/../../v1/refunds': nothing sent");
	is_int(p.state, RP_PAY_UNKNOWN, "row unknown");
	ok(p.next_try_at > now && p.tries == 1, "due again later");
	id = row_new(pl, 7, RP_PAY_CAPTURE, "pay_a?amount_to_capture=1");
	send_once(pl, id, now, &p);
	is_int(fake_hits(), h0, "capture of an id with '?': nothing sent");
	is_int(p.state, RP_PAY_UNKNOWN, "row unknown");
	id = row_new(pl, 8, RP_PAY_REFUND, "pay_a b");
	send_once(pl, id, now, &p);
	is_int(fake_hits(), h0, "refund of an id with a space: nothing sent");
	if (rp_store_payment_get(pl->st, id, &p) == 0) {
		snprintf(p.psp_id, sizeof(p.psp_id), "pay_x?y=1");
		p.state = RP_PAY_ACTION;
		is_int(refresh(pl, &p), RP_E_INVAL,
		    "inquiry about a malformed id refused");
		is_int(fake_hits(), h0, "and not sent");
	}

	/* the body cannot be encoded: the old code sent "{}" under the key */
	auth_answer("pay_shouldnotbeasked", "cus_1");
	dumps_fn = fail_dumps;
	id = row_new(pl, 9, RP_PAY_AUTHORIZE, NULL);
	send_once(pl, id, now, &p);
	dumps_fn = json_dumps;
	is_int(fake_hits(), h0, "body not encoded: nothing sent");
	is_int(p.state, RP_PAY_UNKNOWN, "row unknown");
	ok(p.tries == 1 && p.next_try_at > now && p.psp_id[0] == '\0',
	    "due again later, same row");
	send_once(pl, id, p.next_try_at, &p);
	is_int(fake_hits(), h0 + 1, "the retry is sent");
	is_int(p.state, RP_PAY_DONE, "and lands");
	ok(strstr(fk.last, "Idempotency-Key: order:9:") != NULL &&
	    strstr(fk.last, "\"token\":\"tok_abc\"") != NULL,
	    "whole, with the same key");

	/* a header that cannot be added: the old code sent without it */
	h0 = fake_hits();
	for (int at = 1; at <= 3; at++) {
		char what[80];

		slist_calls = 0;
		slist_fail_at = at;
		slist_append_fn = fail_slist;
		id = row_new(pl, 9 + at, RP_PAY_AUTHORIZE, NULL);
		send_once(pl, id, now, &p);
		slist_append_fn = curl_slist_append;
		snprintf(what, sizeof(what), "header %d not added: nothing sent", at);
		is_int(fake_hits(), h0, what);
		is_int(p.state, RP_PAY_UNKNOWN, "row unknown");
	}

	/* webhooks: malformed ids are refused before anything is stored */
	snprintf(ev, sizeof(ev), "{\"id\":\"evt_a/b\",\"type\":\"payment."
	    "authorized\",\"data\":{\"object\":{\"id\":\"pay_x\"}}}");
	rp_paylink_sig_make(rp_str_c(ev), HOOKSEC, now, hdr, sizeof(hdr));
	is_int(rp_paylink_webhook(pl, rp_str_c(hdr), rp_str_c(ev), now),
	    RP_E_INVAL, "event id with '/' refused");
	snprintf(ev, sizeof(ev), "{\"id\":\"evt_1\",\"type\":\"payment."
	    "authorized\",\"data\":{\"object\":{\"id\":\"%s\"}}}", longid);
	rp_paylink_sig_make(rp_str_c(ev), HOOKSEC, now, hdr, sizeof(hdr));
	is_int(rp_paylink_webhook(pl, rp_str_c(hdr), rp_str_c(ev), now),
	    RP_E_INVAL, "event naming a 70-character payment id refused");
	snprintf(ev, sizeof(ev), "{\"id\":\"evt_1\",\"type\":\"payment."
	    "authorized\",\"data\":{\"object\":{\"id\":\"pay_unknown\"}}}");
	rp_paylink_sig_make(rp_str_c(ev), HOOKSEC, now, hdr, sizeof(hdr));
	is_int(rp_paylink_webhook(pl, rp_str_c(hdr), rp_str_c(ev), now), 0,
	    "a well-formed event (same id) is then taken: the refused one was "
	    "never recorded");
	is_int(fake_hits(), h0, "no fetch for a payment that is not ours");

	rp_log_set_fd(-1);
	close(logfd);
	{
		char lp[700];

		snprintf(lp, sizeof(lp), "%s/paylink.log", dir);
		logtext = file_slurp(lp, &loglen);
	}
	ok(logtext != NULL && strstr(logtext, "not built") != NULL,
	    "refusals are logged");
	ok(logtext != NULL && strstr(logtext, SECRET) == NULL &&
	    strstr(logtext, HOOKSEC) == NULL, "without secrets");
	free(logtext);
	rp_paylink_close(pl);
	tmpdir_remove(dir);
}

int
main(void)
{
	const char *sec = "whsec_test", *body = "{\"id\":\"evt_1\"}";
	char h[200], h2[400];
	struct rp_str b = rp_str_c(body);
	struct rp_conf c;

	rp_paylink_sig_make(b, sec, 1000, h, sizeof(h));
	ok(strncmp(h, "t=1000,v1=", 10) == 0 && strlen(h) == 10 + 64,
	    "header shape t=…,v1=<64 hex>");
	is_int(rp_paylink_sig_check(rp_str_c(h), b, sec, 1000), 0, "valid");
	is_int(rp_paylink_sig_check(rp_str_c(h), b, sec, 1300), 0,
	    "valid 300 s later");
	is_int(rp_paylink_sig_check(rp_str_c(h), b, sec, 1301), RP_E_DENIED,
	    "stale after 300 s (replay window)");
	is_int(rp_paylink_sig_check(rp_str_c(h), b, sec, 939), RP_E_DENIED,
	    "from the future beyond 60 s");
	is_int(rp_paylink_sig_check(rp_str_c(h), rp_str_c("{\"id\":\"evt_2\"}"),
	    sec, 1000), RP_E_DENIED, "another body");
	is_int(rp_paylink_sig_check(rp_str_c(h), b, "whsec_other", 1000),
	    RP_E_DENIED, "another secret");
	/* rotation: any v1 may match */
	snprintf(h2, sizeof(h2), "t=1000,v1=%064d,%s", 0, h + 7);
	is_int(rp_paylink_sig_check(rp_str_c(h2), b, sec, 1000), 0,
	    "one of two v1 matches (rotation)");
	snprintf(h2, sizeof(h2), "t=1000,v0=%s", h + 10);
	is_int(rp_paylink_sig_check(rp_str_c(h2), b, sec, 1000), RP_E_DENIED,
	    "other schemes ignored");
	snprintf(h2, sizeof(h2), "t=1000,t=1000,%s", h + 7);
	is_int(rp_paylink_sig_check(rp_str_c(h2), b, sec, 1000), RP_E_DENIED,
	    "two timestamps refused");
	is_int(rp_paylink_sig_check(rp_str_c(""), b, sec, 1000), RP_E_DENIED,
	    "no header");
	is_int(rp_paylink_sig_check(rp_str_c("t=abc,v1=00"), b, sec, 1000),
	    RP_E_DENIED, "garbage");

	memset(&c, 0, sizeof(c));
	snprintf(c.paysim_addr, sizeof(c.paysim_addr), "127.0.0.1");
	c.paysim_port = 8093;
	rp_pay_agent_origin(&c, h, sizeof(h));
	is_str(h, "http://127.0.0.1:8093", "local paysim origin");
	snprintf(c.pay_agent_url, sizeof(c.pay_agent_url),
	    "https://psp.example/api/");
	rp_pay_agent_url(&c, h, sizeof(h));
	is_str(h, "https://psp.example/api", "configured agent URL");
	rp_pay_agent_origin(&c, h, sizeof(h));
	is_str(h, "https://psp.example", "its origin");

	test_id_ok();
	if (fake_start() != 0)
		ok(0, "fake agent listening");
	else {
		test_agent();
		fk.stop = 1;
		pthread_join(fk.th, NULL);
		close(fk.fd);
	}
	return tap_done();
}
