/* SPDX-License-Identifier: ISC */
/*
 * site_pay.c — the card step of the ordering sites (issue: payments
 * without card data).  The card is typed into the payment agent's hosted
 * field (an iframe on the agent's origin, static/checkout.js); the browser
 * sends us a single-use token id only.  We record an "authorize" row in
 * the payment outbox and wait briefly for paylink to work it: authorized →
 * the order is confirmed; 3-D Secure → the browser goes to the agent's
 * challenge page and comes back to {home}order/paid; declined → the order
 * stays awaiting payment and the customer may try another card
 * ({home}my-order/pay); no answer in time → the order stays awaiting
 * payment, the customer is told, paylink keeps trying.
 */
#include "util/common.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ips/ips.h"
#include "order/order.h"
#include "paylink/paylink.h"
#include "util/log.h"
#include "web/ipsgate.h"
#include "web/site.h"

#define PAY_WAIT_MS	8000

/* The publishable key (public: it only lets a browser make tokens). */
static int
publishable_key(char *out, size_t n)
{
	char path[1100];
	ssize_t got;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/paysim/publishable.key",
	    rp_worker.conf->data_dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return RP_E_NOTFOUND;
	got = read(fd, out, n - 1);
	close(fd);
	if (got <= 0)
		return RP_E_NOTFOUND;
	out[got] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	for (size_t i = 0; out[i] != '\0'; i++)
		if (!((out[i] >= 'a' && out[i] <= 'z') ||
		    (out[i] >= 'A' && out[i] <= 'Z') ||
		    (out[i] >= '0' && out[i] <= '9') || out[i] == '_')) {
			out[0] = '\0';
			return RP_E_INVAL;
		}
	return out[0] ? 0 : RP_E_NOTFOUND;
}

/* %-encodes s for a query value. */
static void
qenc(const char *s, char *out, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t j = 0;

	for (; *s != '\0' && j + 4 < n; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_')
			out[j++] = (char)c;
		else {
			out[j++] = '%';
			out[j++] = hex[c >> 4];
			out[j++] = hex[c & 15];
		}
	}
	out[j] = '\0';
}

void
site_pay_vars(struct page *pg)
{
	char base[300], origin[300], pk[128], par[700], url[1200];
	struct rp_tmpl_scope *p;

	if (publishable_key(pk, sizeof(pk)) != 0 || pg->site.origin[0] == '\0') {
		rp_tmpl_set_bool(pg->root, "pay_off", true);
		return;
	}
	rp_pay_agent_url(rp_worker.conf, base, sizeof(base));
	rp_pay_agent_origin(rp_worker.conf, origin, sizeof(origin));
	qenc(pg->site.origin, par, sizeof(par));
	snprintf(url, sizeof(url), "%s/hosted/field?parent=%s&pk=%s", base, par,
	    pk);
	if (rp_tmpl_object(pg->root, "pay", &p) == 0) {
		rp_tmpl_set_c(p, "frame", url);
		rp_tmpl_set_c(p, "origin", origin);
	}
}

/* The message key for a decline code (customers see "declined" for
 * lost, stolen or fraud codes: never why). */
static const char *
decline_key(const char *code)
{
	static const char *const known[] = { "insufficient_funds",
	    "expired_card", "incorrect_cvc", "processing_error",
	    "token_expired", "token_already_used", "authentication_failed" };

	for (size_t i = 0; i < RP_ARRAY_LEN(known); i++)
		if (strcmp(code, known[i]) == 0) {
			static _Thread_local char key[64];

			snprintf(key, sizeof(key), "pay.declined.%s", code);
			return key;
		}
	return "pay.declined.generic";
}

/* The pay page for order (number, total) with an error key (may be NULL). */
static int
pay_page(struct page *pg, const char *number, int64_t total, const char *err,
    unsigned status)
{
	struct rp_tmpl_scope *o;
	char y[32];

	if (rp_tmpl_object(pg->root, "o", &o) == 0) {
		rp_tmpl_set_c(o, "number", number);
		yen_format(total, y);
		rp_tmpl_set_c(o, "total", y);
	}
	if (err != NULL)
		rp_tmpl_set_c(pg->root, "pay_err", err);
	site_pay_vars(pg);
	return page_render(pg, status, "pay");
}

/* How an authorization row ended, as the browser's next step. */
static int
answer(struct page *pg, const struct rp_payment *p, const char *number,
    int64_t total, int wait_r)
{
	if (wait_r == RP_E_AGAIN)
		return page_redirect(pg, "order/done");	/* awaiting payment */
	if (wait_r != 0)
		return page_error(pg, 503);
	switch (p->state) {
	case RP_PAY_DONE:
		return page_redirect(pg, "order/done");
	case RP_PAY_ACTION: {
		char agent[300];

		/* only ever to the agent's own origin */
		rp_pay_agent_origin(rp_worker.conf, agent, sizeof(agent));
		if (strncmp(p->next_url, agent, strlen(agent)) != 0 ||
		    p->next_url[strlen(agent)] != '/')
			return page_error(pg, 500);
		return page_redirect_to(pg, p->next_url);
	}
	default:
		rp_ips_note(RP_IPS_EV_PAY_DECLINE, rp_req_addr(pg->rq));	/* card testing */
		return pay_page(pg, number, total, decline_key(p->decline_code),
		    402);
	}
}

/*
 * Authorizes total for the order with the browser's token and answers.
 * No token (no JavaScript, or the field was skipped): the pay page.
 */
int
site_pay_authorize(struct page *pg, int64_t order_id, const char *number,
    int64_t total, struct rp_str token)
{
	struct rp_payment p;
	int r;

	char pk[128];

	/* no agent configured or up: the order waits; the done page says so */
	if (token.n == 0 && publishable_key(pk, sizeof(pk)) != 0)
		return page_redirect(pg, "order/done");
	if (token.n == 0 || token.n >= sizeof(p.token))
		return pay_page(pg, number, total, token.n ? "pay.declined.generic" :
		    NULL, token.n ? 400 : 200);
	for (size_t i = 0; i < token.n; i++)
		if (!((token.p[i] >= 'a' && token.p[i] <= 'z') ||
		    (token.p[i] >= 'A' && token.p[i] <= 'Z') ||
		    (token.p[i] >= '0' && token.p[i] <= '9') || token.p[i] == '_'))
			return pay_page(pg, number, total, "pay.declined.generic",
			    400);
	memset(&p, 0, sizeof(p));
	p.order_id = order_id;
	p.op = RP_PAY_AUTHORIZE;
	p.amount_yen = total;
	memcpy(p.token, token.p, token.n);
	if ((size_t)snprintf(p.return_url, sizeof(p.return_url), "%.240s/order/paid",
	    pg->site.base_url) >= sizeof(p.return_url))
		return page_error(pg, 500);
	rp_ips_note(RP_IPS_EV_PAY_ATTEMPT, rp_req_addr(pg->rq));	/* card testing */
	if ((r = rp_store_payment_new(pg->st, &p)) != 0) {
		rp_log_error("site: order %s: payment not recorded (%d)", number, r);
		return page_error(pg, 503);
	}
	r = rp_pay_wait(pg->st, p.id, PAY_WAIT_MS, &p);
	return answer(pg, &p, number, total, r);
}

/* The session's order if it awaits payment: 0, else RP_E_NOTFOUND / RP_E_STATE. */
static int
awaiting(struct page *pg, struct rp_order_view *ov)
{
	struct rp_order_ctx ctx;
	char num[RP_CUST_ORDER_MAX + 1];
	int r;

	page_order_ctx(pg, &ctx);
	if ((r = page_session(pg, num)) != 0)
		return r == RP_E_AGAIN ? r : RP_E_NOTFOUND;
	if ((r = rp_order_get(&ctx, pg->site.tenant_id, rp_str_c(num), ov)) != 0)
		return r;
	return strcmp(ov->status, "awaiting_payment") == 0 ? 0 : RP_E_STATE;
}

/* GET {home}order/paid: back from the agent's 3-D Secure page. */
int
site_order_paid(struct rp_req *rq)
{
	struct rp_order_view ov;
	struct rp_payment p;
	struct page pg;
	int r;

	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	if ((r = awaiting(&pg, &ov)) != 0) {
		r = page_redirect(&pg, r == RP_E_STATE ? "order/done" : "my-order");
		goto out;
	}
	if (rp_store_payment_last(pg.st, ov.id, RP_PAY_AUTHORIZE, &p) != 0) {
		r = pay_page(&pg, ov.number, ov.total_yen, NULL, 200);
		goto out;
	}
	/*
	 * paylink learns the outcome from the webhook or by asking (every few
	 * seconds): wait for the row to leave "action" too.
	 */
	for (long waited = 0;; waited += 100) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		r = rp_pay_wait(pg.st, p.id, PAY_WAIT_MS, &p);
		if (r != 0 || p.state != RP_PAY_ACTION)
			break;
		if (waited >= PAY_WAIT_MS) {
			r = RP_E_AGAIN;	/* not settled yet: awaiting payment */
			break;
		}
		nanosleep(&ts, NULL);
	}
	r = answer(&pg, &p, ov.number, ov.total_yen, r);
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

/* GET {home}my-order/pay */
int
site_my_pay(struct rp_req *rq)
{
	struct rp_order_view ov;
	struct page pg;
	int r;

	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	if ((r = awaiting(&pg, &ov)) != 0) {
		if (r == RP_E_STATE) {
			rp_tmpl_set_bool(pg.root, "paid", true);
			r = pay_page(&pg, ov.number, ov.total_yen, NULL, 200);
		} else
			r = page_redirect(&pg, "my-order");
		goto out;
	}
	r = pay_page(&pg, ov.number, ov.total_yen, NULL, 200);
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

/* POST {home}my-order/pay (payment_token) */
int
site_my_pay_post(struct rp_req *rq)
{
	struct rp_order_view ov;
	struct page pg;
	int r;

	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	if ((r = awaiting(&pg, &ov)) != 0) {
		r = page_redirect(&pg, "my-order");
		goto out;
	}
	{
		struct rp_payment last;

		/* an attempt still with the agent: wait for it, no second hold */
		if (rp_store_payment_last(pg.st, ov.id, RP_PAY_AUTHORIZE,
		    &last) == 0 && (last.state == RP_PAY_QUEUED ||
		    last.state == RP_PAY_UNKNOWN || last.state == RP_PAY_ACTION)) {
			r = rp_pay_wait(pg.st, last.id, PAY_WAIT_MS, &last);
			if (r != 0 || last.state != RP_PAY_FAILED) {
				r = answer(&pg, &last, ov.number, ov.total_yen, r);
				goto out;
			}
		}
	}
	r = site_pay_authorize(&pg, ov.id, ov.number, ov.total_yen,
	    page_arg(&pg, "payment_token"));
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

void
site_pay_on_cancel(struct page *pg, int64_t order_id, int64_t fee_yen)
{
	struct rp_payment a, p;

	/* an authorization that went through: release it, or take the fee */
	if (rp_store_payment_last(pg->st, order_id, RP_PAY_AUTHORIZE, &a) != 0 ||
	    a.state != RP_PAY_DONE || a.psp_id[0] == '\0')
		return;
	memset(&p, 0, sizeof(p));
	p.order_id = order_id;
	snprintf(p.psp_id, sizeof(p.psp_id), "%s", a.psp_id);
	if (fee_yen > 0 && fee_yen <= a.amount_yen) {
		p.op = RP_PAY_CAPTURE;
		p.amount_yen = fee_yen;
	} else
		p.op = RP_PAY_VOID;
	if (rp_store_payment_new(pg->st, &p) != 0)
		rp_log_error("site: order %lld: cancellation payment not queued",
		    (long long)order_id);
}
