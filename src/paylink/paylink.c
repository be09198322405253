/* SPDX-License-Identifier: ISC */
/*
 * paylink.c — the payment outbox worker and webhook logic (paylink.h).
 *
 * A row goes: queued → (agent call with its Idempotency-Key) → done |
 * failed | action (3-D Secure: the customer must act) | unknown (timeout,
 * connection error, 5xx, 409 "in use": sent again later with the SAME
 * key, backoff 1 s doubling to 5 min).  An authorization that is done
 * moves its order from awaiting_payment to confirmed and records the
 * agent's references on it; a decline leaves the order awaiting payment
 * (the customer may try another card: a new row, the next attempt).
 *
 * Fails closed: nothing goes to the agent unless the request is built
 * exactly (agent_call_r), and nothing the agent answers is stored cut to
 * fit or pasted into a URL unless it passes rp_paylink_id_ok (take_payment):
 * either way the row stays unknown and is asked again with the same key.
 */
#include "util/common.h"

#include <fcntl.h>
#include <pthread.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "paylink/paylink.h"
#include "util/buf.h"
#include "util/log.h"

#define SECRET_MAX	128
#define AGENT_REPLY_MAX	(256 * 1024)
#define BACKOFF_MAX_S	300
#define ACTION_POLL_S	3

struct rp_paylink {
	struct rp_store *st;
	CURL *curl;
	char agent_url[256];
	char secret[SECRET_MAX + 1];
	char hook_secret[SECRET_MAX + 1];
	long timeout_ms;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

/*
 * The two calls whose failure used to be ignored, behind plain function
 * pointers so tests/unit/test_paylink.c (which includes this file) can make
 * them fail; nothing outside this file can reach them.
 */
static char *(*dumps_fn)(const json_t *, size_t) = json_dumps;
static struct curl_slist *(*slist_append_fn)(struct curl_slist *,
    const char *) = curl_slist_append;

static void
curl_init(void)
{
	(void)curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Reads a one-line secret file (0600, not group/world readable). */
static int
read_secret(const char *path, char *out, size_t n)
{
	char buf[SECRET_MAX + 2];
	ssize_t got;
	int fd;

	out[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return RP_E_IO;
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0) {
		sodium_memzero(buf, sizeof(buf));
		return RP_E_IO;
	}
	buf[got] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0' || strlen(buf) >= n) {
		sodium_memzero(buf, sizeof(buf));
		return RP_E_INVAL;
	}
	snprintf(out, n, "%s", buf);
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

bool
rp_paylink_id_ok(struct rp_str s)
{
	if (s.n == 0 || s.n > RP_PAYLINK_ID_MAX)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		char ch = s.p[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_'))
			return false;
	}
	return true;
}

int
rp_paylink_open(const struct rp_paylink_conf *c, struct rp_paylink **out)
{
	struct rp_paylink *pl;
	int r;

	*out = NULL;
	if ((pl = calloc(1, sizeof(*pl))) == NULL)
		return RP_E_NOMEM;
	pthread_once(&curl_once, curl_init);
	if (c->agent_url == NULL || c->agent_url[0] == '\0' ||
	    (size_t)snprintf(pl->agent_url, sizeof(pl->agent_url), "%s",
	    c->agent_url) >= sizeof(pl->agent_url)) {
		free(pl);
		return RP_E_TOOBIG;	/* a cut URL would be another agent */
	}
	pl->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 10000;
	if ((r = read_secret(c->secret_file, pl->secret,
	    sizeof(pl->secret))) != 0 ||
	    (r = read_secret(c->webhook_secret_file, pl->hook_secret,
	    sizeof(pl->hook_secret))) != 0 ||
	    (r = rp_store_connect(c->data_dir, &pl->st)) != 0) {
		rp_paylink_close(pl);
		return r;
	}
	if ((pl->curl = curl_easy_init()) == NULL) {
		rp_paylink_close(pl);
		return RP_E_NOMEM;
	}
	*out = pl;
	return 0;
}

void
rp_paylink_close(struct rp_paylink *pl)
{
	if (pl == NULL)
		return;
	if (pl->curl != NULL)
		curl_easy_cleanup(pl->curl);
	rp_store_free(pl->st);
	sodium_memzero(pl, sizeof(*pl));
	free(pl);
}

/* ---- the agent's API ------------------------------------------------------ */

/* Notes an "Idempotent-Replayed: true" answer (a stored first outcome). */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	bool *replayed = arg;
	static const char h[] = "idempotent-replayed: true";

	if (size * n >= sizeof(h) - 1 && strncasecmp(p, h, sizeof(h) - 1) == 0)
		*replayed = true;
	return size * n;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct rp_buf *b = arg;

	if (rp_buf_add(b, p, size * n) != 0)
		return 0;
	return size * n;
}

/*
 * One call: method path (body may be NULL: no body), with the key.
 * Nothing is sent unless the whole request — URL, headers, body and every
 * curl option — is built exactly: a body that cannot be encoded must never
 * go out as "{}" (or as nothing) under a real Idempotency-Key, because the
 * agent would remember that empty request as the key's first answer.
 * Returns RP_E_NOMEM / RP_E_TOOBIG / RP_E_INVAL when the request was not
 * built (nothing sent); RP_E_AGAIN when it was sent but no HTTP answer
 * came (connection refused, timeout); 0 when an answer arrived: *status
 * gets its HTTP status, *reply the parsed JSON (NULL if none).
 */
static int
agent_call_r(struct rp_paylink *pl, const char *method, const char *path,
    json_t *body, const char *idem_key, long *status, json_t **reply,
    bool *replayed)
{
	struct curl_slist *h = NULL, *h2;
	char url[512], auth[SECRET_MAX + 32], idem[128];
	struct rp_buf rb;
	char *data = NULL;
	CURLcode cc = CURLE_OK;
	int r = 0, k;

	*status = 0;
	*reply = NULL;
	if (replayed != NULL)
		*replayed = false;
	rp_buf_init(&rb, AGENT_REPLY_MAX);
	k = snprintf(url, sizeof(url), "%s%s", pl->agent_url, path);
	if (k < 0 || (size_t)k >= sizeof(url)) {
		r = RP_E_TOOBIG;
		goto out;
	}
	if (body != NULL && (data = dumps_fn(body, JSON_COMPACT)) == NULL) {
		r = RP_E_INVAL;
		goto out;
	}
	k = snprintf(auth, sizeof(auth), "Authorization: Bearer %s", pl->secret);
	h2 = k < 0 || (size_t)k >= sizeof(auth) ? NULL : slist_append_fn(h, auth);
	sodium_memzero(auth, sizeof(auth));
	if (h2 == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	h = h2;
	if ((h2 = slist_append_fn(h, "Content-Type: application/json")) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	h = h2;
	if (idem_key != NULL) {
		k = snprintf(idem, sizeof(idem), "Idempotency-Key: %s", idem_key);
		if (k < 0 || (size_t)k >= sizeof(idem)) {
			r = RP_E_TOOBIG;
			goto out;
		}
		if ((h2 = slist_append_fn(h, idem)) == NULL) {
			r = RP_E_NOMEM;
			goto out;
		}
		h = h2;
	}
	curl_easy_reset(pl->curl);
	/* the first failing option stops the chain: cc keeps its code */
#define OPT(o, v) do {							\
	if (cc == CURLE_OK)						\
		cc = curl_easy_setopt(pl->curl, (o), (v));		\
} while (0)
	OPT(CURLOPT_URL, url);
	OPT(CURLOPT_PROTOCOLS_STR, "http,https");
	OPT(CURLOPT_HTTPHEADER, h);
	OPT(CURLOPT_CUSTOMREQUEST, method);
	if (data != NULL) {
		OPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(data));
		OPT(CURLOPT_POSTFIELDS, data);
	}
	OPT(CURLOPT_WRITEFUNCTION, on_body);
	OPT(CURLOPT_WRITEDATA, &rb);
	if (replayed != NULL) {
		OPT(CURLOPT_HEADERFUNCTION, on_header);
		OPT(CURLOPT_HEADERDATA, replayed);
	}
	OPT(CURLOPT_CONNECTTIMEOUT_MS, pl->timeout_ms);
	OPT(CURLOPT_TIMEOUT_MS, pl->timeout_ms);
	OPT(CURLOPT_NOSIGNAL, 1L);
#undef OPT
	if (cc != CURLE_OK) {
		r = RP_E_INVAL;
		goto out;
	}
	if (curl_easy_perform(pl->curl) != CURLE_OK ||
	    curl_easy_getinfo(pl->curl, CURLINFO_RESPONSE_CODE, status) !=
	    CURLE_OK) {
		*status = 0;
		r = RP_E_AGAIN;
		goto out;
	}
	if (rb.len > 0 && !rb.err)
		*reply = json_loadb(rb.d, rb.len, JSON_REJECT_DUPLICATES, NULL);
 out:
	if (pl->curl != NULL && r != 0 && r != RP_E_AGAIN)
		curl_easy_reset(pl->curl);	/* no half-set request left */
	curl_slist_free_all(h);
	free(data);
	rp_buf_release(&rb);
	return r;
}

static int
agent_call(struct rp_paylink *pl, const char *method, const char *path,
    json_t *body, const char *idem_key, long *status, json_t **reply)
{
	return agent_call_r(pl, method, path, body, idem_key, status, reply,
	    NULL);
}

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

/*
 * The agent's string k of o, checked and copied whole into out (n bytes):
 * an id must pass rp_paylink_id_ok and fit; other text must be printable
 * ASCII without spaces and fit.  Absent (or "") gives "" and 0.  Never
 * cuts: RP_E_INVAL for anything that does not fit or does not pass, and
 * out is then "".
 */
static int
take_str(json_t *o, const char *k, bool id, char *out, size_t n)
{
	json_t *v = json_object_get(o, k);
	const char *s;
	size_t len;

	out[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return RP_E_INVAL;
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0)
		return 0;
	if (len >= n || strlen(s) != len)
		return RP_E_INVAL;
	if (id && !rp_paylink_id_ok((struct rp_str){ s, len }))
		return RP_E_INVAL;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return RP_E_INVAL;
	memcpy(out, s, len + 1);
	return 0;
}

/*
 * Copies the agent's payment (or refund) object into the row: references
 * only, each checked by take_str.  All or nothing: RP_E_INVAL (p unchanged)
 * when any field is malformed or would not fit — the answer is then
 * treated as no answer, never stored cut or pasted into a later URL.
 */
static int
take_payment(struct rp_payment *p, json_t *obj)
{
	json_t *na = json_object_get(obj, "next_action");
	json_t *le = json_object_get(obj, "last_error");
	struct rp_payment q = *p;
	char id[RP_PAYLINK_ID_MAX + 1], code[sizeof(p->decline_code)];
	json_int_t em, ey;
	int bad = 0;

	if (!json_is_object(obj))
		return RP_E_INVAL;
	bad |= take_str(obj, "id", true, id, sizeof(id));
	if (id[0] != '\0' && p->op != RP_PAY_REFUND) {
		if (strlen(id) >= sizeof(q.psp_id))
			return RP_E_INVAL;
		memcpy(q.psp_id, id, strlen(id) + 1);
	}
	bad |= take_str(obj, "status", true, q.psp_status, sizeof(q.psp_status));
	if (json_string_length(json_object_get(obj, "brand")) > 0) {
		bad |= take_str(obj, "brand", true, q.brand, sizeof(q.brand));
		bad |= take_str(obj, "last4", false, q.last4, sizeof(q.last4));
		if (strlen(q.last4) != 4 || strspn(q.last4, "0123456789") != 4)
			bad = 1;
		em = json_integer_value(json_object_get(obj, "exp_month"));
		ey = json_integer_value(json_object_get(obj, "exp_year"));
		if (em < 0 || em > 12 || ey < 0 || ey > 9999)
			bad = 1;
		q.exp_month = (int)em;
		q.exp_year = (int)ey;
	}
	if (json_string_length(json_object_get(obj, "customer")) > 0)
		bad |= take_str(obj, "customer", true, q.customer,
		    sizeof(q.customer));
	if (json_string_length(json_object_get(obj, "payment_method")) > 0)
		bad |= take_str(obj, "payment_method", true, q.payment_method,
		    sizeof(q.payment_method));
	if (json_is_object(na))
		bad |= take_str(na, "url", false, q.next_url, sizeof(q.next_url));
	if (p->op == RP_PAY_TERMINAL) {
		/* a terminal collection: the terminal's page and its failure */
		bad |= take_str(obj, "url", false, q.next_url, sizeof(q.next_url));
		if (json_string_length(json_object_get(obj, "failure_code")) > 0)
			bad |= take_str(obj, "failure_code", true,
			    q.decline_code, sizeof(q.decline_code));
	}
	if (json_is_object(le)) {
		bad |= take_str(le, "decline_code", true, code, sizeof(code));
		if (code[0] == '\0')
			bad |= take_str(le, "code", true, code, sizeof(code));
		memcpy(q.decline_code, code, sizeof(code));
	}
	if (bad)
		return RP_E_INVAL;
	*p = q;
	return 0;
}

/* The order side of an authorization that has come through. */
static void
order_authorized(struct rp_paylink *pl, const struct rp_payment *p)
{
	struct rp_order o;

	if (rp_store_order_get_id(pl->st, p->order_id, &o) != 0)
		return;
	if (o.pay_auth_id[0] != '\0' && strcmp(o.pay_auth_id, p->psp_id) != 0 &&
	    o.status != RP_ORDER_AWAITING_PAYMENT) {
		/* another attempt already holds the amount: release this one */
		struct rp_payment v;

		memset(&v, 0, sizeof(v));
		v.order_id = p->order_id;
		v.op = RP_PAY_VOID;
		snprintf(v.psp_id, sizeof(v.psp_id), "%s", p->psp_id);
		if (rp_store_payment_new(pl->st, &v) != 0)
			rp_log_error("paylink: order %s: extra authorization not "
			    "voided", o.number);
		else
			rp_log_info("paylink: order %s: a second authorization "
			    "is voided", o.number);
		return;
	}
	if (rp_store_order_paid(pl->st, p->order_id, p->payment_method[0] ?
	    p->payment_method : p->token, p->brand, p->last4, p->psp_id) != 0)
		rp_log_error("paylink: order %s: references not stored", o.number);
	if (o.status == RP_ORDER_AWAITING_PAYMENT &&
	    rp_store_order_transition(pl->st, p->order_id, RP_ORDER_CONFIRMED,
	    "paylink", "card authorized", time(NULL)) != 0)
		rp_log_error("paylink: order %s: not confirmed", o.number);
}

/*
 * An order waiting as settle_pending is settled once its settlement has
 * come through: at the terminal, the terminal's collection; on the card
 * on file, the capture and the extra charge (if any), each latest attempt.
 * done is the row just done (not yet written back).
 */
static bool
op_done(struct rp_paylink *pl, const struct rp_payment *done, int op,
    bool needed)
{
	struct rp_payment q;

	if (done->op == op)
		return true;
	if (rp_store_payment_last(pl->st, done->order_id, op, &q) != 0)
		return !needed;
	return q.state == RP_PAY_DONE;
}

static void
order_settle_check(struct rp_paylink *pl, const struct rp_payment *done)
{
	struct rp_order o;
	bool ok;

	if (rp_store_order_get_id(pl->st, done->order_id, &o) != 0 ||
	    o.status != RP_ORDER_SETTLE_PENDING)
		return;
	if (strcmp(o.settle_method, "terminal") == 0)
		ok = done->op == RP_PAY_TERMINAL;
	else
		ok = op_done(pl, done, RP_PAY_CAPTURE, true) &&
		    op_done(pl, done, RP_PAY_CHARGE, false);
	if (!ok)
		return;
	if (rp_store_order_transition(pl->st, o.id, RP_ORDER_SETTLED, "paylink",
	    "settled", time(NULL)) != 0)
		rp_log_error("paylink: order %s: not settled", o.number);
	else
		rp_log_info("paylink: order %s settled", o.number);
}

/* Applies the agent's answer for row p (already holding its fields). */
static void
settle_row(struct rp_paylink *pl, struct rp_payment *p)
{
	const char *s = p->psp_status;

	switch (p->op) {
	case RP_PAY_AUTHORIZE:
		if (strcmp(s, "requires_capture") == 0 ||
		    strcmp(s, "succeeded") == 0) {
			p->state = RP_PAY_DONE;
			order_authorized(pl, p);
		} else if (strcmp(s, "requires_action") == 0)
			p->state = RP_PAY_ACTION;
		else if (strcmp(s, "canceled") == 0 ||
		    strcmp(s, "requires_payment_method") == 0)
			p->state = RP_PAY_FAILED;
		else
			p->state = RP_PAY_UNKNOWN;
		break;
	case RP_PAY_CAPTURE:
	case RP_PAY_CHARGE:
		p->state = strcmp(s, "succeeded") == 0 ? RP_PAY_DONE :
		    strcmp(s, "requires_payment_method") == 0 ? RP_PAY_FAILED :
		    RP_PAY_UNKNOWN;
		if (p->state == RP_PAY_DONE)
			order_settle_check(pl, p);
		break;
	case RP_PAY_TERMINAL:
		/* pending: the traveller is at the terminal; poll it */
		p->state = strcmp(s, "succeeded") == 0 ? RP_PAY_DONE :
		    strcmp(s, "failed") == 0 ? RP_PAY_FAILED :
		    strcmp(s, "pending") == 0 ? RP_PAY_ACTION : RP_PAY_UNKNOWN;
		if (p->state == RP_PAY_DONE)
			order_settle_check(pl, p);
		break;
	case RP_PAY_VOID:
		p->state = strcmp(s, "canceled") == 0 ? RP_PAY_DONE :
		    RP_PAY_UNKNOWN;
		break;
	case RP_PAY_REFUND:
		p->state = strcmp(s, "succeeded") == 0 ? RP_PAY_DONE :
		    strcmp(s, "failed") == 0 ? RP_PAY_FAILED : RP_PAY_UNKNOWN;
		break;
	}
}

static void
retry_later(struct rp_payment *p, int64_t now)
{
	int64_t d = 1;

	p->state = RP_PAY_UNKNOWN;
	for (int i = 1; i < p->tries && d < BACKOFF_MAX_S; i++)
		d *= 2;
	p->next_try_at = now + (d < BACKOFF_MAX_S ? d : BACKOFF_MAX_S);
}

/* Sends row p once (its key makes a resend harmless). */
static void
send_row(struct rp_paylink *pl, struct rp_payment *p, int64_t now)
{
	json_t *body = NULL, *reply = NULL, *obj;
	char path[160], order_ref[32] = "";
	struct rp_order o;
	bool replayed = false;
	long status = 0;
	int r;

	switch (p->op) {
	case RP_PAY_CAPTURE:
	case RP_PAY_VOID:
	case RP_PAY_REFUND:
		/* the agent's id goes into the path or the body: whole or not at all */
		if (!rp_paylink_id_ok(rp_str_c(p->psp_id))) {
			p->tries++;
			rp_log_error("paylink: row %lld: the agent's payment id is "
			    "malformed; not sent", (long long)p->id);
			retry_later(p, now);
			goto out;
		}
		break;
	case RP_PAY_CHARGE:
		if (!rp_paylink_id_ok(rp_str_c(p->customer)) ||
		    !rp_paylink_id_ok(rp_str_c(p->payment_method))) {
			p->tries++;
			rp_log_error("paylink: row %lld: the saved card's ids are "
			    "malformed; not sent", (long long)p->id);
			retry_later(p, now);
			goto out;
		}
		break;
	}

	if (rp_store_order_get_id(pl->st, p->order_id, &o) == 0)
		snprintf(order_ref, sizeof(order_ref), "%s", o.number);
	switch (p->op) {
	case RP_PAY_AUTHORIZE:
		body = json_pack("{s:I, s:s, s:s, s:s, s:b, s:{s:s}, s:s}",
		    "amount", (json_int_t)p->amount_yen, "currency", "jpy",
		    "token", p->token, "capture_method", "manual", "save_card", 1,
		    "metadata", "order", order_ref, "return_url", p->return_url);
		snprintf(path, sizeof(path), "/v1/payments");
		break;
	case RP_PAY_CHARGE:
		body = json_pack("{s:I, s:s, s:s, s:s, s:s, s:{s:s}}",
		    "amount", (json_int_t)p->amount_yen, "currency", "jpy",
		    "customer", p->customer, "payment_method", p->payment_method,
		    "capture_method", "automatic", "metadata", "order", order_ref);
		snprintf(path, sizeof(path), "/v1/payments");
		break;
	case RP_PAY_TERMINAL:
		body = json_pack("{s:I, s:s, s:{s:s}}", "amount",
		    (json_int_t)p->amount_yen, "currency", "jpy", "metadata",
		    "order", order_ref);
		snprintf(path, sizeof(path), "/v1/terminal/collections");
		break;
	case RP_PAY_CAPTURE:
		body = json_pack("{s:I}", "amount_to_capture",
		    (json_int_t)p->amount_yen);
		snprintf(path, sizeof(path), "/v1/payments/%s/capture", p->psp_id);
		break;
	case RP_PAY_VOID:
		body = json_object();
		snprintf(path, sizeof(path), "/v1/payments/%s/cancel", p->psp_id);
		break;
	case RP_PAY_REFUND:
		body = json_pack("{s:s, s:I, s:s}", "payment", p->psp_id,
		    "amount", (json_int_t)p->amount_yen, "reason",
		    "requested_by_customer");
		snprintf(path, sizeof(path), "/v1/refunds");
		break;
	}
	p->tries++;
	r = body == NULL ? RP_E_NOMEM : agent_call_r(pl, "POST", path, body,
	    p->idem_key, &status, &reply, &replayed);
	json_decref(body);
	if (r != 0 && r != RP_E_AGAIN) {
		/* not built exactly, so not sent: the same key, whole, later */
		rp_log_error("paylink: order %s %s attempt %d: request not built "
		    "(%s); not sent, retrying", order_ref, p->idem_key, p->attempt,
		    rp_strerror(r));
		retry_later(p, now);
		goto out;
	}
	if (r == 0 && status >= 500 && replayed) {
		/*
		 * The agent's stored first answer to this key: it failed and
		 * did nothing.  A known outcome — resending the same key would
		 * replay it for ever; the customer may try again (a new attempt).
		 */
		p->state = RP_PAY_FAILED;
		snprintf(p->decline_code, sizeof(p->decline_code),
		    "processing_error");
		rp_log_info("paylink: order %s %s failed at the agent (%ld, "
		    "replayed)", order_ref, p->idem_key, status);
		goto out;
	}
	if (r != 0 || status == 0 || status >= 500 || status == 409 ||
	    status == 429) {
		/* no answer, or not a final one: the same key again later */
		rp_log_warn("paylink: order %s %s attempt %d: %s (%ld); retrying",
		    order_ref, p->idem_key, p->attempt, r ? "no answer" :
		    "agent busy", status);
		retry_later(p, now);
		goto out;
	}
	obj = reply;
	if (status >= 400) {
		json_t *err = json_object_get(reply, "error");

		obj = json_object_get(err, "payment");
		if (take_str(err, "decline_code", true, p->decline_code,
		    sizeof(p->decline_code)) != 0 || p->decline_code[0] == '\0')
			(void)take_str(err, "code", true, p->decline_code,
			    sizeof(p->decline_code));
		if (!json_is_object(obj)) {
			p->state = RP_PAY_FAILED;	/* refused: bad token, ... */
			rp_log_info("paylink: order %s %s refused (%s)", order_ref,
			    p->idem_key, p->decline_code);
			goto out;
		}
	}
	if (take_payment(p, obj) != 0) {
		/* an id we would have to cut or could not put in a URL */
		rp_log_warn("paylink: order %s %s attempt %d: malformed answer "
		    "(%ld); retrying", order_ref, p->idem_key, p->attempt, status);
		retry_later(p, now);
		goto out;
	}
	settle_row(pl, p);
	if (p->state == RP_PAY_UNKNOWN)
		retry_later(p, now);
	else if (p->state == RP_PAY_ACTION)
		p->next_try_at = now + ACTION_POLL_S;
	rp_log_info("paylink: order %s %s → %s", order_ref, p->idem_key,
	    p->psp_status);
 out:
	json_decref(reply);
	if (rp_store_payment_update(pl->st, p) != 0)
		rp_log_error("paylink: row %lld not updated", (long long)p->id);
}

/* Asks the agent for payment p->psp_id and applies what it says. */
static int
refresh(struct rp_paylink *pl, struct rp_payment *p)
{
	json_t *reply = NULL;
	char path[160];
	long status = 0;
	int prev = p->state, r;

	if (!rp_paylink_id_ok(rp_str_c(p->psp_id)))
		return RP_E_INVAL;	/* never pasted into the path */
	snprintf(path, sizeof(path), p->op == RP_PAY_TERMINAL ?
	    "/v1/terminal/collections/%s" : "/v1/payments/%s", p->psp_id);
	if ((r = agent_call(pl, "GET", path, NULL, NULL, &status, &reply)) != 0 ||
	    status != 200 || !json_is_object(reply) ||
	    take_payment(p, reply) != 0) {
		json_decref(reply);
		return RP_E_AGAIN;
	}
	json_decref(reply);
	settle_row(pl, p);
	if (p->state == RP_PAY_UNKNOWN)
		p->state = prev;	/* nothing new */
	return rp_store_payment_update(pl->st, p);
}

int
rp_paylink_step(struct rp_paylink *pl, int64_t now, unsigned *done)
{
	struct rp_payment *rows = NULL;
	size_t n = 0, i;
	int r;

	if (done != NULL)
		*done = 0;
	if ((r = rp_store_payment_due(pl->st, now, 32, &rows, &n)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if (rows[i].state == RP_PAY_ACTION) {
			/* the customer's 3-D Secure: ask, in case no webhook comes */
			rows[i].next_try_at = now + ACTION_POLL_S;
			(void)refresh(pl, &rows[i]);
		} else
			send_row(pl, &rows[i], now);
		if (done != NULL && rows[i].state != RP_PAY_UNKNOWN &&
		    rows[i].state != RP_PAY_QUEUED)
			(*done)++;
	}
	free(rows);
	return 0;
}

/* ---- webhooks --------------------------------------------------------------- */

void
rp_paylink_sig_make(struct rp_str body, const char *secret, int64_t t,
    char *out, size_t n)
{
	crypto_auth_hmacsha256_state st;
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	char ts[24], hex[2 * sizeof(mac) + 1];

	snprintf(ts, sizeof(ts), "%lld", (long long)t);
	crypto_auth_hmacsha256_init(&st, (const uint8_t *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)body.p, body.n);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(out, n, "t=%s,v1=%s", ts, hex);
}

int
rp_paylink_sig_check(struct rp_str header, struct rp_str body,
    const char *secret, int64_t now)
{
	struct rp_str rest = header, item;
	char want[160], wanthex[65];
	int64_t t = -1;
	uint64_t v;
	bool ok = false;
	const char *comma;

	if (header.n == 0 || header.n > 2048 || secret == NULL || !secret[0])
		return RP_E_DENIED;
	/* the timestamp first: the MAC covers it */
	while (rest.n > 0) {
		if (!rp_str_split(&rest, ',', &item)) {
			item = rest;
			rest.n = 0;
		}
		item = rp_str_trim(item);
		if (rp_str_has_prefix(item, "t=")) {
			item.p += 2;
			item.n -= 2;
			if (t >= 0 || rp_str_to_u64(item, INT64_MAX, &v) != 0)
				return RP_E_DENIED;	/* two t=, or not a number */
			t = (int64_t)v;
		}
	}
	if (t < 0 || t < now - 300 || t > now + 60)
		return RP_E_DENIED;
	rp_paylink_sig_make(body, secret, t, want, sizeof(want));
	if ((comma = strstr(want, ",v1=")) == NULL)
		return RP_E_DENIED;
	snprintf(wanthex, sizeof(wanthex), "%s", comma + 4);
	rest = header;
	while (rest.n > 0) {
		if (!rp_str_split(&rest, ',', &item)) {
			item = rest;
			rest.n = 0;
		}
		item = rp_str_trim(item);
		if (rp_str_has_prefix(item, "v1=") && item.n == 3 + 64 &&
		    sodium_memcmp(item.p + 3, wanthex, 64) == 0)
			ok = true;	/* any v1 (secret rotation) */
	}
	sodium_memzero(want, sizeof(want));
	return ok ? 0 : RP_E_DENIED;
}

int
rp_paylink_webhook(struct rp_paylink *pl, struct rp_str header,
    struct rp_str body, int64_t now)
{
	json_t *ev, *obj;
	const char *id, *type, *pid;
	struct rp_payment p;
	int r, op = RP_PAY_AUTHORIZE;

	if (rp_paylink_sig_check(header, body, pl->hook_secret, now) != 0)
		return RP_E_DENIED;
	if ((ev = json_loadb(body.p, body.n, JSON_REJECT_DUPLICATES, NULL)) ==
	    NULL)
		return RP_E_INVAL;
	id = jstr(ev, "id");
	type = jstr(ev, "type");
	obj = json_object_get(json_object_get(ev, "data"), "object");
	if (!rp_paylink_id_ok(rp_str_c(id)) || type[0] == '\0' ||
	    !json_is_object(obj) || strlen(type) > 64) {
		json_decref(ev);
		return RP_E_INVAL;
	}
	/* A refund event names its payment; others are the payment itself. */
	pid = strncmp(type, "refund.", 7) == 0 ? jstr(obj, "payment") :
	    jstr(obj, "id");
	if (!rp_paylink_id_ok(rp_str_c(pid))) {
		json_decref(ev);
		return RP_E_INVAL;	/* never stored, looked up or fetched */
	}
	r = rp_store_webhook_seen(pl->st, id, type, now);
	if (r == RP_E_EXISTS) {
		json_decref(ev);
		return 0;		/* a duplicate delivery */
	}
	if (r != 0) {
		json_decref(ev);
		return r;
	}
	if (strcmp(type, "payment.captured") == 0)
		op = RP_PAY_CAPTURE;
	else if (strcmp(type, "payment.canceled") == 0)
		op = RP_PAY_VOID;
	/*
	 * Never trust the event's contents for money state: find our row and
	 * ask the agent (events come late, twice and out of order).
	 */
	if (rp_store_payment_by_psp(pl->st, pid, RP_PAY_AUTHORIZE, &p) == 0 &&
	    (p.state == RP_PAY_ACTION || p.state == RP_PAY_UNKNOWN ||
	    op == RP_PAY_AUTHORIZE))
		(void)refresh(pl, &p);
	rp_log_info("paylink: webhook %s applied", type);
	json_decref(ev);
	return 0;
}

int
rp_paylink_register_webhook(struct rp_paylink *pl, const char *url)
{
	json_t *body = json_pack("{s:s}", "url", url), *reply = NULL;
	long status = 0;
	int r;

	if (body == NULL)
		return RP_E_INVAL;	/* never a POST without its body */
	r = agent_call(pl, "POST", "/sandbox/webhook", body, NULL, &status,
	    &reply);
	json_decref(body);
	json_decref(reply);
	if (r != 0)
		return r;
	return status >= 200 && status < 300 ? 0 : RP_E_DENIED;
}

/* ---- for the sites ---------------------------------------------------------- */

int
rp_pay_wait(struct rp_store *st, int64_t id, long timeout_ms,
    struct rp_payment *p)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	long waited = 0;
	int r;

	for (;;) {
		if ((r = rp_store_payment_get(st, id, p)) != 0)
			return r;
		if (p->state == RP_PAY_DONE || p->state == RP_PAY_FAILED ||
		    p->state == RP_PAY_ACTION)
			return 0;
		if (waited >= timeout_ms)
			return RP_E_AGAIN;
		nanosleep(&ts, NULL);
		waited += 50;
	}
}

void
rp_pay_agent_url(const struct rp_conf *conf, char *out, size_t n)
{
	size_t len;

	if (conf->pay_agent_url[0] != '\0')
		snprintf(out, n, "%s", conf->pay_agent_url);
	else
		snprintf(out, n, "http://%s:%u", conf->paysim_addr,
		    (unsigned)conf->paysim_port);
	len = strlen(out);
	while (len > 0 && out[len - 1] == '/')
		out[--len] = '\0';
}

void
rp_pay_agent_origin(const struct rp_conf *conf, char *out, size_t n)
{
	char *p;

	rp_pay_agent_url(conf, out, n);
	/* scheme://authority: cut at the first '/' after "//" */
	if ((p = strstr(out, "//")) != NULL && (p = strchr(p + 2, '/')) != NULL)
		*p = '\0';
}
