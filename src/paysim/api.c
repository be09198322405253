/* SPDX-License-Identifier: ISC */
/*
 * api.c — paysim's /v1 API: card tokens, the payment state machine of
 * payments.md §3 (authorise, 3-D Secure, capture, void, refunds, saved
 * cards charged by the merchant later, hold expiry on the sandbox clock)
 * and the airport-terminal collections.  Runs in the paysim process with
 * the sandbox mutex held and inside a transaction opened by http.c, so a
 * call either happens completely or not at all.  Request bodies arrive
 * untrusted and are parsed by req.c; the PAN of a token request is
 * encrypted into the card store at once and wiped from memory.
 */
#include "util/common.h"

#include <jansson.h>
#include <sodium.h>

#include "paysim/paysim_int.h"
#include "pci/scan.h"
#include "util/log.h"

#define ID_CAP	(RP_PAYSIM_MAX_ID + 1)

struct pay {
	char id[ID_CAP], status[32], capture_method[16], card[ID_CAP];
	char customer[ID_CAP], pm[ID_CAP], cancel_reason[32];
	char brand[16], last4[8], fingerprint[32];
	int64_t amount, capturable, received, refunded, authorized_at, created;
	int64_t exp_month, exp_year;
	bool save_card, mit;
	char *metadata;			/* JSON text (owned) */
	char *return_url;		/* owned, may be NULL */
	char *last_error;		/* JSON text (owned), may be NULL */
};

static void
pay_release(struct pay *p)
{
	free(p->metadata);
	free(p->return_url);
	free(p->last_error);
	memset(p, 0, sizeof(*p));
}

static void
col_text(sqlite3_stmt *st, int i, char *out, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(out, n, "%s", t ? (const char *)t : "");
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? strdup((const char *)t) : NULL;
}

static int
pay_load(struct rp_paysim *ps, const char *id, struct pay *p)
{
	sqlite3_stmt *st;
	int s, r = RP_E_NOTFOUND;

	memset(p, 0, sizeof(*p));
	st = rp_paysim_prep(ps, "SELECT p.id, p.status, p.amount, "
	    "p.amount_capturable, p.amount_received, p.amount_refunded, "
	    "p.capture_method, p.card, p.customer, p.payment_method, "
	    "p.save_card, p.mit, p.metadata, p.return_url, p.last_error, "
	    "p.cancellation_reason, p.authorized_at, p.created, c.brand, "
	    "c.last4, c.exp_month, c.exp_year, c.fingerprint FROM payments p "
	    "JOIN cards c ON c.id = p.card WHERE p.id = ?");
	if (st == NULL)
		return RP_E_DB;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if ((s = sqlite3_step(st)) == SQLITE_ROW) {
		col_text(st, 0, p->id, sizeof(p->id));
		col_text(st, 1, p->status, sizeof(p->status));
		p->amount = sqlite3_column_int64(st, 2);
		p->capturable = sqlite3_column_int64(st, 3);
		p->received = sqlite3_column_int64(st, 4);
		p->refunded = sqlite3_column_int64(st, 5);
		col_text(st, 6, p->capture_method, sizeof(p->capture_method));
		col_text(st, 7, p->card, sizeof(p->card));
		col_text(st, 8, p->customer, sizeof(p->customer));
		col_text(st, 9, p->pm, sizeof(p->pm));
		p->save_card = sqlite3_column_int(st, 10) != 0;
		p->mit = sqlite3_column_int(st, 11) != 0;
		p->metadata = col_dup(st, 12);
		p->return_url = col_dup(st, 13);
		p->last_error = col_dup(st, 14);
		col_text(st, 15, p->cancel_reason, sizeof(p->cancel_reason));
		p->authorized_at = sqlite3_column_int64(st, 16);
		p->created = sqlite3_column_int64(st, 17);
		col_text(st, 18, p->brand, sizeof(p->brand));
		col_text(st, 19, p->last4, sizeof(p->last4));
		p->exp_month = sqlite3_column_int64(st, 20);
		p->exp_year = sqlite3_column_int64(st, 21);
		col_text(st, 22, p->fingerprint, sizeof(p->fingerprint));
		r = p->metadata != NULL ? 0 : RP_E_NOMEM;
	} else if (s != SQLITE_DONE)
		r = RP_E_DB;
	sqlite3_finalize(st);
	if (r != 0)
		pay_release(p);
	return r;
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL && s[0] != '\0')
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* Inserts (new) or updates the mutable part of p. */
static int
pay_save(struct rp_paysim *ps, const struct pay *p, bool insert)
{
	sqlite3_stmt *st;
	int r;

	st = rp_paysim_prep(ps, insert ?
	    "INSERT INTO payments (status, amount_capturable, amount_received, "
	    "amount_refunded, customer, payment_method, last_error, "
	    "cancellation_reason, authorized_at, id, amount, capture_method, "
	    "card, save_card, mit, metadata, return_url, created) VALUES "
	    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)" :
	    "UPDATE payments SET status = ?, amount_capturable = ?, "
	    "amount_received = ?, amount_refunded = ?, customer = ?, "
	    "payment_method = ?, last_error = ?, cancellation_reason = ?, "
	    "authorized_at = ? WHERE id = ?");
	if (st == NULL)
		return RP_E_DB;
	sqlite3_bind_text(st, 1, p->status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, p->capturable);
	sqlite3_bind_int64(st, 3, p->received);
	sqlite3_bind_int64(st, 4, p->refunded);
	bind_opt(st, 5, p->customer);
	bind_opt(st, 6, p->pm);
	bind_opt(st, 7, p->last_error);
	bind_opt(st, 8, p->cancel_reason);
	if (p->authorized_at != 0)
		sqlite3_bind_int64(st, 9, p->authorized_at);
	else
		sqlite3_bind_null(st, 9);
	sqlite3_bind_text(st, 10, p->id, -1, SQLITE_TRANSIENT);
	if (insert) {
		sqlite3_bind_int64(st, 11, p->amount);
		sqlite3_bind_text(st, 12, p->capture_method, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 13, p->card, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 14, p->save_card);
		sqlite3_bind_int(st, 15, p->mit);
		sqlite3_bind_text(st, 16, p->metadata, -1, SQLITE_TRANSIENT);
		bind_opt(st, 17, p->return_url);
		sqlite3_bind_int64(st, 18, p->created);
	}
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : RP_E_DB;
	sqlite3_finalize(st);
	return r;
}

/* ---- JSON out ---- */

static int
dump(json_t *o, struct rp_buf *out)
{
	char *s;
	int r;

	if (o == NULL)
		return RP_E_NOMEM;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s == NULL)
		return RP_E_NOMEM;
	r = rp_buf_add_c(out, s);
	free(s);
	return r;
}

static void
set_str(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, v != NULL && v[0] != '\0' ?
	    json_string(v) : json_null());
}

static json_t *
pay_json(struct rp_paysim *ps, const struct pay *p)
{
	json_t *o = json_object(), *x;
	char url[sizeof(ps->origin) + ID_CAP + 16];

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", json_string(p->id));
	json_object_set_new(o, "object", json_string("payment"));
	json_object_set_new(o, "status", json_string(p->status));
	json_object_set_new(o, "amount", json_integer(p->amount));
	json_object_set_new(o, "currency", json_string("jpy"));
	json_object_set_new(o, "amount_capturable", json_integer(p->capturable));
	json_object_set_new(o, "amount_received", json_integer(p->received));
	json_object_set_new(o, "amount_refunded", json_integer(p->refunded));
	json_object_set_new(o, "capture_method", json_string(p->capture_method));
	json_object_set_new(o, "brand", json_string(p->brand));
	json_object_set_new(o, "last4", json_string(p->last4));
	json_object_set_new(o, "exp_month", json_integer(p->exp_month));
	json_object_set_new(o, "exp_year", json_integer(p->exp_year));
	json_object_set_new(o, "fingerprint", json_string(p->fingerprint));
	set_str(o, "customer", p->customer);
	set_str(o, "payment_method", p->pm);
	json_object_set_new(o, "off_session", json_boolean(p->mit));
	x = json_loads(p->metadata ? p->metadata : "{}", 0, NULL);
	json_object_set_new(o, "metadata", x ? x : json_object());
	if (strcmp(p->status, "requires_action") == 0) {
		snprintf(url, sizeof(url), "%s/hosted/3ds/%s", ps->origin, p->id);
		json_object_set_new(o, "next_action", json_pack("{s:s,s:s}",
		    "type", "redirect", "url", url));
	} else
		json_object_set_new(o, "next_action", json_null());
	x = p->last_error ? json_loads(p->last_error, 0, NULL) : NULL;
	json_object_set_new(o, "last_error", x ? x : json_null());
	set_str(o, "cancellation_reason", p->cancel_reason);
	if (strcmp(p->status, "requires_capture") == 0)
		json_object_set_new(o, "capture_before",
		    json_integer(p->authorized_at + RP_PAYSIM_HOLD_S));
	set_str(o, "return_url", p->return_url);
	json_object_set_new(o, "created", json_integer(p->created));
	json_object_set_new(o, "livemode", json_false());
	return o;
}

static int
pay_reply(struct rp_paysim *ps, const struct pay *p, unsigned status,
    struct rp_paysim_reply *rep)
{
	json_t *o = pay_json(ps, p);
	int r;

	rep->status = status;
	r = dump(o, &rep->body);
	json_decref(o);
	return r;
}

static int
pay_event(struct rp_paysim *ps, const struct pay *p, const char *type)
{
	struct rp_buf b;
	json_t *o = pay_json(ps, p);
	int r;

	rp_buf_init(&b, RP_PAYSIM_MAX_RESP);
	if ((r = dump(o, &b)) == 0)
		r = rp_paysim_event(ps, type, b.d);
	json_decref(o);
	rp_buf_release(&b);
	return r;
}

void
rp_paysim_error(struct rp_paysim_reply *rep, unsigned status,
    const char *type, const char *code, const char *decline_code,
    const char *param, const char *message)
{
	json_t *o = json_object(), *e = json_object();

	rep->status = status;
	rp_buf_reset(&rep->body);
	if (o == NULL || e == NULL) {
		json_decref(o);
		json_decref(e);
		rp_buf_add_c(&rep->body, "{\"error\":{\"type\":\"api_error\"}}");
		return;
	}
	json_object_set_new(e, "type", json_string(type));
	set_str(e, "code", code);
	set_str(e, "decline_code", decline_code);
	if (param != NULL && param[0] != '\0')
		json_object_set_new(e, "param", json_string(param));
	json_object_set_new(e, "message", json_string(message));
	json_object_set_new(o, "error", e);
	(void)dump(o, &rep->body);
	json_decref(o);
}

static void
invalid(struct rp_paysim_reply *rep, const char *code, const char *param,
    const char *msg)
{
	rp_paysim_error(rep, 400, "invalid_request_error", code, NULL, param,
	    msg);
}

static void
validation(struct rp_paysim_reply *rep, const char *code, const char *param,
    const char *msg)
{
	invalid(rep, code, param, msg);
	rep->validation = true;
}

static void
missing(struct rp_paysim_reply *rep, unsigned status, const char *param)
{
	rp_paysim_error(rep, status, "invalid_request_error", "resource_missing",
	    NULL, param, "No such object.");
}

/* A declined payment: 402 with the payment inside the error. */
static int
decline_reply(struct rp_paysim *ps, const struct pay *p,
    struct rp_paysim_reply *rep)
{
	json_t *le = json_loads(p->last_error, 0, NULL);
	json_t *o, *e;
	int r;

	rep->status = 402;
	if (le == NULL)
		return RP_E_NOMEM;
	e = json_deep_copy(le);
	json_object_set_new(e, "type", json_string("card_error"));
	json_object_set_new(e, "payment", pay_json(ps, p));
	o = json_pack("{s:o}", "error", e);
	r = dump(o, &rep->body);
	json_decref(o);
	json_decref(le);
	return r;
}

static char *
last_error_json(const char *code, const char *decline_code, const char *msg)
{
	json_t *o = json_object();
	char *s;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "code", json_string(code));
	set_str(o, "decline_code", decline_code);
	json_object_set_new(o, "message", json_string(msg));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

/* ---- tokens ---- */

static bool
digits_only(const char *s, size_t lo, size_t hi)
{
	size_t n = strlen(s);

	return n >= lo && n <= hi && strspn(s, "0123456789") == n;
}

static void
card_error(struct rp_paysim_reply *rep, const char *code, const char *param,
    const char *msg)
{
	rp_paysim_error(rep, 402, "card_error", code, NULL, param, msg);
}

static int
post_token(struct rp_paysim *ps, const struct rp_paysim_req *q,
    struct rp_paysim_reply *rep)
{
	const struct rp_paysim_card *c;
	char card[ID_CAP], tok[ID_CAP];
	const char *brand;
	struct tm tm;
	time_t now = (time_t)rp_paysim_now(ps);
	sqlite3_stmt *st;
	size_t n = strlen(q->number);
	int r;

	if ((q->seen & (RP_PF_NUMBER | RP_PF_EXP_MONTH | RP_PF_EXP_YEAR |
	    RP_PF_CVC)) != (RP_PF_NUMBER | RP_PF_EXP_MONTH | RP_PF_EXP_YEAR |
	    RP_PF_CVC)) {
		validation(rep, "parameter_missing", "",
		    "number, exp_month, exp_year and cvc are required");
		return 0;
	}
	if (!rp_paysim_luhn(q->number, n)) {
		card_error(rep, "incorrect_number", "number",
		    "Your card number is incorrect.");
		return 0;
	}
	if ((c = rp_paysim_card_find(q->number)) == NULL) {
		card_error(rep, "live_card_in_sandbox", "number",
		    "Your card was declined: this is a sandbox, which only "
		    "accepts test card numbers.");
		return 0;
	}
	gmtime_r(&now, &tm);
	if (q->exp_year < tm.tm_year + 1900 || (q->exp_year == tm.tm_year +
	    1900 && q->exp_month < tm.tm_mon + 1)) {
		card_error(rep, "expired_card", "exp_year",
		    "Your card has expired.");
		return 0;
	}
	if (q->exp_year > tm.tm_year + 1900 + 50) {
		card_error(rep, "invalid_expiry_year", "exp_year",
		    "Your card's expiration year is invalid.");
		return 0;
	}
	if (!digits_only(q->cvc, 3, strcmp(c->brand, "amex") == 0 ? 4 : 3)) {
		card_error(rep, "invalid_cvc", "cvc",
		    "Your card's security code is invalid.");
		return 0;
	}
	brand = c->brand;
	/* The CVC is checked for shape only and never stored (SAD). */
	if ((r = rp_paysim_card_store(ps, q->number, brand, q->exp_month,
	    q->exp_year, card, sizeof(card))) != 0)
		return r;
	rp_paysim_id("tok", tok, sizeof(tok));
	st = rp_paysim_prep(ps, "INSERT INTO tokens (id, card, created) "
	    "VALUES (?, ?, ?)");
	if (st == NULL)
		return RP_E_DB;
	sqlite3_bind_text(st, 1, tok, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, card, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (int64_t)now);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : RP_E_DB;
	sqlite3_finalize(st);
	if (r != 0)
		return r;
	rep->status = 200;
	rp_buf_printf(&rep->body, "{\"id\":\"%s\",\"object\":\"token\","
	    "\"brand\":\"%s\",\"last4\":\"%s\",\"exp_month\":%" PRId64
	    ",\"exp_year\":%" PRId64 ",\"created\":%" PRId64
	    ",\"expires_at\":%" PRId64 ",\"used\":false,\"livemode\":false}",
	    tok, brand, q->number + n - 4, q->exp_month, q->exp_year,
	    (int64_t)now, (int64_t)now + ps->conf->paysim_token_ttl_s);
	return 0;
}

/* ---- payments ---- */

static bool
url_ok(const char *u)
{
	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
		return false;
	for (const char *c = u; *c; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f ||
		    *c == '"' || *c == '<' || *c == '>' || *c == '\\')
			return false;
	return true;
}

static char *
meta_json(const struct rp_paysim_req *q)
{
	json_t *o = json_object();
	char *s;

	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < q->nmeta; i++)
		json_object_set_new(o, q->meta[i].key,
		    json_string(q->meta[i].val));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

/* Saves the card for later merchant-initiated charges (cus_ + pm_). */
static int
save_card(struct rp_paysim *ps, struct pay *p)
{
	sqlite3_stmt *st;
	int r;

	rp_paysim_id("cus", p->customer, sizeof(p->customer));
	rp_paysim_id("pm", p->pm, sizeof(p->pm));
	st = rp_paysim_prep(ps, "INSERT INTO customers (id, created) "
	    "VALUES (?, ?)");
	if (st == NULL)
		return RP_E_DB;
	sqlite3_bind_text(st, 1, p->customer, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, rp_paysim_now(ps));
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : RP_E_DB;
	sqlite3_finalize(st);
	if (r != 0)
		return r;
	st = rp_paysim_prep(ps, "INSERT INTO payment_methods (id, customer, "
	    "card, created) VALUES (?, ?, ?, ?)");
	if (st == NULL)
		return RP_E_DB;
	sqlite3_bind_text(st, 1, p->pm, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, p->customer, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, p->card, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, rp_paysim_now(ps));
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : RP_E_DB;
	sqlite3_finalize(st);
	return r;
}

/* Funds held (manual) or taken (automatic); the card saved if asked. */
static int
authorised(struct rp_paysim *ps, struct pay *p, bool insert)
{
	int r;

	free(p->last_error);
	p->last_error = NULL;
	p->authorized_at = rp_paysim_now(ps);
	if (strcmp(p->capture_method, "manual") == 0) {
		snprintf(p->status, sizeof(p->status), "requires_capture");
		p->capturable = p->amount;
	} else {
		snprintf(p->status, sizeof(p->status), "succeeded");
		p->capturable = 0;
		p->received = p->amount;
	}
	if (p->save_card && p->customer[0] == '\0' &&
	    (r = save_card(ps, p)) != 0)
		return r;
	if ((r = pay_save(ps, p, insert)) != 0)
		return r;
	return pay_event(ps, p, p->received > 0 ? "payment.captured" :
	    "payment.authorized");
}

static int
declined(struct rp_paysim *ps, struct pay *p, bool insert, const char *code,
    const char *decline_code, const char *msg)
{
	int r;

	snprintf(p->status, sizeof(p->status), "requires_payment_method");
	p->capturable = 0;
	free(p->last_error);
	if ((p->last_error = last_error_json(code, decline_code, msg)) == NULL)
		return RP_E_NOMEM;
	if ((r = pay_save(ps, p, insert)) != 0)
		return r;
	return pay_event(ps, p, "payment.failed");
}

/*
 * What the issuer says about p's card: the card is decrypted here, as a
 * processor would to send it to the network, and wiped at once.
 * cit: the customer is present (3-D Secure may challenge).
 */
static int
decide(struct rp_paysim *ps, struct pay *p, bool cit, bool insert)
{
	const struct rp_paysim_card *c;
	char pan[24];
	int r;

	r = rp_paysim_card_open(ps, p->card, pan, sizeof(pan));
	c = r == 0 ? rp_paysim_card_find(pan) : NULL;
	sodium_memzero(pan, sizeof(pan));
	if (r != 0)
		return r == RP_E_DB ? r : RP_E_DB;
	if (c == NULL)			/* only test cards get in */
		return declined(ps, p, insert, "card_declined",
		    "generic_decline", "Your card was declined.");
	switch (c->behave) {
	case RP_CARD_DECLINE:
		return declined(ps, p, insert, c->code, c->decline_code,
		    c->message);
	case RP_CARD_MIT_FAIL:
		if (!cit)
			return declined(ps, p, insert, c->code,
			    c->decline_code, c->message);
		return authorised(ps, p, insert);
	case RP_CARD_3DS_OK:
	case RP_CARD_3DS_DECLINE:
		/* Merchant-initiated charges are out of scope for SCA. */
		if (!cit)
			return authorised(ps, p, insert);
		snprintf(p->status, sizeof(p->status), "requires_action");
		if ((r = pay_save(ps, p, insert)) != 0)
			return r;
		return pay_event(ps, p, "payment.requires_action");
	case RP_CARD_OK:
		break;
	}
	return authorised(ps, p, insert);
}

static bool
body_has_pan(struct rp_str body)
{
	struct rp_pan_scanner sc;

	rp_pan_scan_init(&sc, NULL, NULL);
	rp_pan_scan_feed(&sc, (const uint8_t *)body.p, body.n);
	return rp_pan_scan_end(&sc) > 0;
}

/* Looks a token up and uses it: 0 with its card in card, or a reply. */
static int
use_token(struct rp_paysim *ps, const char *tok, char *card, size_t n,
    struct rp_paysim_reply *rep)
{
	sqlite3_stmt *st;
	int64_t created = 0;
	int used = 0, s, r;

	card[0] = '\0';
	st = rp_paysim_prep(ps, "SELECT card, created, used FROM tokens "
	    "WHERE id = ?");
	if (st == NULL)
		return RP_E_DB;
	sqlite3_bind_text(st, 1, tok, -1, SQLITE_TRANSIENT);
	if ((s = sqlite3_step(st)) == SQLITE_ROW) {
		col_text(st, 0, card, n);
		created = sqlite3_column_int64(st, 1);
		used = sqlite3_column_int(st, 2);
	}
	sqlite3_finalize(st);
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		return RP_E_DB;
	if (s == SQLITE_DONE) {
		missing(rep, 400, "token");
		return RP_E_NOTFOUND;
	}
	if (used) {
		invalid(rep, "token_already_used", "token",
		    "This token has already been used: tokens are single-use.");
		return RP_E_STATE;
	}
	if (rp_paysim_now(ps) >= created + ps->conf->paysim_token_ttl_s) {
		invalid(rep, "token_expired", "token", "This token has expired.");
		return RP_E_STATE;
	}
	st = rp_paysim_prep(ps, "UPDATE tokens SET used = 1 WHERE id = ?");
	if (st == NULL)
		return RP_E_DB;
	sqlite3_bind_text(st, 1, tok, -1, SQLITE_TRANSIENT);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : RP_E_DB;
	sqlite3_finalize(st);
	return r;
}

static int
saved_card(struct rp_paysim *ps, const char *cus, const char *pm, char *card,
    size_t n)
{
	sqlite3_stmt *st;
	int s;

	card[0] = '\0';
	st = rp_paysim_prep(ps, "SELECT card FROM payment_methods WHERE id = ? "
	    "AND customer = ?");
	if (st == NULL)
		return RP_E_DB;
	sqlite3_bind_text(st, 1, pm, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, cus, -1, SQLITE_TRANSIENT);
	if ((s = sqlite3_step(st)) == SQLITE_ROW)
		col_text(st, 0, card, n);
	sqlite3_finalize(st);
	return s == SQLITE_ROW ? 0 : s == SQLITE_DONE ? RP_E_NOTFOUND : RP_E_DB;
}

static int
post_payment(struct rp_paysim *ps, const struct rp_paysim_req *q,
    struct rp_paysim_reply *rep)
{
	struct pay p;
	bool has_tok = q->seen & RP_PF_TOKEN;
	bool has_saved = (q->seen & (RP_PF_CUSTOMER | RP_PF_PAYMENT_METHOD)) ==
	    (RP_PF_CUSTOMER | RP_PF_PAYMENT_METHOD);
	int r;

	memset(&p, 0, sizeof(p));
	if (!(q->seen & RP_PF_AMOUNT)) {
		validation(rep, "parameter_missing", "amount",
		    "amount is required (an integer number of yen)");
		return 0;
	}
	if (!(q->seen & RP_PF_CURRENCY) || strcmp(q->currency, "jpy") != 0) {
		validation(rep, "currency_not_supported", "currency",
		    "currency must be \"jpy\"");
		return 0;
	}
	if (has_tok == has_saved || (!has_saved && (q->seen &
	    (RP_PF_CUSTOMER | RP_PF_PAYMENT_METHOD)))) {
		validation(rep, "parameter_invalid", "token",
		    "give either token, or customer and payment_method");
		return 0;
	}
	if ((q->seen & RP_PF_CAPTURE_METHOD) &&
	    strcmp(q->capture_method, "manual") != 0 &&
	    strcmp(q->capture_method, "automatic") != 0) {
		validation(rep, "parameter_invalid", "capture_method",
		    "capture_method is manual or automatic");
		return 0;
	}
	if (has_saved && q->save_card) {
		validation(rep, "parameter_invalid", "save_card",
		    "save_card goes with a token");
		return 0;
	}
	if ((q->seen & RP_PF_RETURN_URL) && !url_ok(q->return_url)) {
		validation(rep, "url_invalid", "return_url",
		    "return_url must be an http(s) URL");
		return 0;
	}
	rp_paysim_id("pay", p.id, sizeof(p.id));
	snprintf(p.capture_method, sizeof(p.capture_method), "%s",
	    (q->seen & RP_PF_CAPTURE_METHOD) ? q->capture_method : "automatic");
	p.amount = q->amount;
	p.save_card = q->save_card;
	p.mit = has_saved;
	p.created = rp_paysim_now(ps);
	if ((p.metadata = meta_json(q)) == NULL)
		return RP_E_NOMEM;
	if ((q->seen & RP_PF_RETURN_URL) &&
	    (p.return_url = strdup(q->return_url)) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	if (has_tok) {
		r = use_token(ps, q->token, p.card, sizeof(p.card), rep);
		if (r == RP_E_NOTFOUND || r == RP_E_STATE) {
			r = 0;
			goto out;
		}
	} else {
		r = saved_card(ps, q->customer, q->payment_method, p.card,
		    sizeof(p.card));
		if (r == RP_E_NOTFOUND) {
			missing(rep, 400, "payment_method");
			r = 0;
			goto out;
		}
		snprintf(p.customer, sizeof(p.customer), "%s", q->customer);
		snprintf(p.pm, sizeof(p.pm), "%s", q->payment_method);
	}
	if (r != 0)
		goto out;
	if ((r = decide(ps, &p, has_tok, true)) != 0)
		goto out;
	/* Reload: the reply shows the card as stored. */
	{
		struct pay back;
		char id[ID_CAP];

		memcpy(id, p.id, sizeof(id));
		if ((r = pay_load(ps, id, &back)) != 0)
			goto out;
		pay_release(&p);
		p = back;
	}
	if (p.last_error != NULL)
		r = decline_reply(ps, &p, rep);
	else
		r = pay_reply(ps, &p, 200, rep);
 out:
	pay_release(&p);
	return r;
}

static int
load_or_404(struct rp_paysim *ps, const char *id, struct pay *p,
    struct rp_paysim_reply *rep)
{
	int r = pay_load(ps, id, p);

	if (r == RP_E_NOTFOUND)
		missing(rep, 404, "id");
	return r;
}

static int
unexpected_state(struct rp_paysim *ps, struct pay *p,
    struct rp_paysim_reply *rep, const char *what)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "This payment's status is %s: %s is not "
	    "allowed.", p->status, what);
	(void)ps;
	invalid(rep, "payment_unexpected_state", "", msg);
	return 0;
}

static int
post_capture(struct rp_paysim *ps, const char *id,
    const struct rp_paysim_req *q, struct rp_paysim_reply *rep)
{
	struct pay p;
	int64_t amt;
	int r;

	if ((r = load_or_404(ps, id, &p, rep)) != 0)
		return r == RP_E_NOTFOUND ? 0 : r;
	if (strcmp(p.status, "requires_capture") != 0) {
		r = unexpected_state(ps, &p, rep, "capture");
		goto out;
	}
	amt = (q->seen & RP_PF_AMOUNT_TO_CAPTURE) ? q->amount_to_capture :
	    p.capturable;
	if (amt > p.capturable) {
		invalid(rep, "amount_too_large", "amount_to_capture",
		    "amount_to_capture is more than amount_capturable");
		r = 0;
		goto out;
	}
	/* One capture; the rest of the hold is released. */
	snprintf(p.status, sizeof(p.status), "succeeded");
	p.received = amt;
	p.capturable = 0;
	if ((r = pay_save(ps, &p, false)) != 0 ||
	    (r = pay_event(ps, &p, "payment.captured")) != 0)
		goto out;
	r = pay_reply(ps, &p, 200, rep);
 out:
	pay_release(&p);
	return r;
}

static int
cancel(struct rp_paysim *ps, struct pay *p, const char *reason)
{
	int r;

	snprintf(p->status, sizeof(p->status), "canceled");
	snprintf(p->cancel_reason, sizeof(p->cancel_reason), "%s", reason);
	p->capturable = 0;
	if ((r = pay_save(ps, p, false)) != 0)
		return r;
	return pay_event(ps, p, "payment.canceled");
}

static int
post_cancel(struct rp_paysim *ps, const char *id,
    const struct rp_paysim_req *q, struct rp_paysim_reply *rep)
{
	static const char *const reasons[] = { "duplicate", "fraudulent",
	    "requested_by_customer", "abandoned" };
	const char *reason = "requested_by_customer";
	struct pay p;
	bool ok = false;
	int r;

	if (q->seen & RP_PF_CANCEL_REASON) {
		for (size_t i = 0; i < RP_ARRAY_LEN(reasons); i++)
			ok |= strcmp(q->cancel_reason, reasons[i]) == 0;
		if (!ok) {
			validation(rep, "parameter_invalid",
			    "cancellation_reason", "cancellation_reason is "
			    "duplicate, fraudulent, requested_by_customer or "
			    "abandoned");
			return 0;
		}
		reason = q->cancel_reason;
	}
	if ((r = load_or_404(ps, id, &p, rep)) != 0)
		return r == RP_E_NOTFOUND ? 0 : r;
	if (strcmp(p.status, "requires_capture") != 0 &&
	    strcmp(p.status, "requires_action") != 0 &&
	    strcmp(p.status, "requires_payment_method") != 0) {
		r = unexpected_state(ps, &p, rep, "cancel");
		goto out;
	}
	if ((r = cancel(ps, &p, reason)) == 0)
		r = pay_reply(ps, &p, 200, rep);
 out:
	pay_release(&p);
	return r;
}

/* ---- refunds ---- */

static int
refund_reply(sqlite3_stmt *st, struct rp_paysim_reply *rep, struct rp_buf *b)
{
	json_t *o = json_object();
	int r;

	if (o == NULL)
		return RP_E_NOMEM;
	json_object_set_new(o, "id", json_string((const char *)
	    sqlite3_column_text(st, 0)));
	json_object_set_new(o, "object", json_string("refund"));
	json_object_set_new(o, "status", json_string((const char *)
	    sqlite3_column_text(st, 4)));
	json_object_set_new(o, "amount", json_integer(sqlite3_column_int64(st,
	    2)));
	json_object_set_new(o, "currency", json_string("jpy"));
	json_object_set_new(o, "payment", json_string((const char *)
	    sqlite3_column_text(st, 1)));
	set_str(o, "reason", (const char *)sqlite3_column_text(st, 3));
	json_object_set_new(o, "created", json_integer(sqlite3_column_int64(st,
	    5)));
	json_object_set_new(o, "livemode", json_false());
	if (rep != NULL)
		rep->status = 200;
	r = dump(o, b);
	json_decref(o);
	return r;
}

static int
refund_get(struct rp_paysim *ps, const char *id, struct rp_paysim_reply *rep,
    struct rp_buf *b)
{
	sqlite3_stmt *st;
	int s, r;

	st = rp_paysim_prep(ps, "SELECT id, payment, amount, reason, status, "
	    "created FROM refunds WHERE id = ?");
	if (st == NULL)
		return RP_E_DB;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if ((s = sqlite3_step(st)) == SQLITE_ROW)
		r = refund_reply(st, rep, b);
	else
		r = s == SQLITE_DONE ? RP_E_NOTFOUND : RP_E_DB;
	sqlite3_finalize(st);
	return r;
}

static int
post_refund(struct rp_paysim *ps, const struct rp_paysim_req *q,
    struct rp_paysim_reply *rep)
{
	static const char *const reasons[] = { "duplicate", "fraudulent",
	    "requested_by_customer" };
	char id[ID_CAP];
	struct rp_buf ev;
	struct pay p;
	sqlite3_stmt *st;
	int64_t amt;
	bool ok = false;
	int r;

	if (!(q->seen & RP_PF_PAYMENT)) {
		validation(rep, "parameter_missing", "payment",
		    "payment is required");
		return 0;
	}
	if (q->seen & RP_PF_REASON) {
		for (size_t i = 0; i < RP_ARRAY_LEN(reasons); i++)
			ok |= strcmp(q->reason, reasons[i]) == 0;
		if (!ok) {
			validation(rep, "parameter_invalid", "reason", "reason is "
			    "duplicate, fraudulent or requested_by_customer");
			return 0;
		}
	}
	if ((r = pay_load(ps, q->payment, &p)) != 0) {
		if (r == RP_E_NOTFOUND)
			missing(rep, 400, "payment");
		return r == RP_E_NOTFOUND ? 0 : r;
	}
	if (strcmp(p.status, "succeeded") != 0) {
		r = unexpected_state(ps, &p, rep, "refund");
		goto out;
	}
	amt = (q->seen & RP_PF_AMOUNT) ? q->amount : p.received - p.refunded;
	if (amt <= 0 || amt > p.received - p.refunded) {
		invalid(rep, amt <= 0 ? "charge_already_refunded" :
		    "amount_too_large", "amount", "the refunds would exceed "
		    "the amount captured");
		r = 0;
		goto out;
	}
	p.refunded += amt;
	if ((r = pay_save(ps, &p, false)) != 0)
		goto out;
	rp_paysim_id("re", id, sizeof(id));
	st = rp_paysim_prep(ps, "INSERT INTO refunds (id, payment, amount, "
	    "reason, status, created) VALUES (?, ?, ?, ?, 'succeeded', ?)");
	if (st == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, p.id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, amt);
	bind_opt(st, 4, (q->seen & RP_PF_REASON) ? q->reason : NULL);
	sqlite3_bind_int64(st, 5, rp_paysim_now(ps));
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : RP_E_DB;
	sqlite3_finalize(st);
	if (r != 0)
		goto out;
	if ((r = refund_get(ps, id, rep, &rep->body)) != 0)
		goto out;
	rp_buf_init(&ev, RP_PAYSIM_MAX_RESP);
	if ((r = refund_get(ps, id, NULL, &ev)) == 0)
		r = rp_paysim_event(ps, "refund.succeeded", ev.d);
	rp_buf_release(&ev);
 out:
	pay_release(&p);
	return r;
}

/* ---- terminal ---- */

static int
term_reply(struct rp_paysim *ps, const char *id, struct rp_paysim_reply *rep)
{
	sqlite3_stmt *st;
	json_t *o, *m;
	char url[ID_CAP + 32];
	int s, r;

	st = rp_paysim_prep(ps, "SELECT id, status, amount, metadata, payment, "
	    "failure_code, created FROM terminal WHERE id = ?");
	if (st == NULL)
		return RP_E_DB;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if ((s = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		if (s != SQLITE_DONE)
			return RP_E_DB;
		missing(rep, 404, "id");
		return 0;
	}
	snprintf(url, sizeof(url), "/hosted/terminal/%s", id);
	o = json_object();
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "object", json_string("terminal_collection"));
	json_object_set_new(o, "status", json_string((const char *)
	    sqlite3_column_text(st, 1)));
	json_object_set_new(o, "amount", json_integer(sqlite3_column_int64(st,
	    2)));
	json_object_set_new(o, "currency", json_string("jpy"));
	m = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
	json_object_set_new(o, "metadata", m ? m : json_object());
	set_str(o, "payment", (const char *)sqlite3_column_text(st, 4));
	set_str(o, "failure_code", (const char *)sqlite3_column_text(st, 5));
	json_object_set_new(o, "url", json_string(url));
	json_object_set_new(o, "created", json_integer(sqlite3_column_int64(st,
	    6)));
	sqlite3_finalize(st);
	rep->status = 200;
	r = dump(o, &rep->body);
	json_decref(o);
	return r;
}

static int
post_terminal(struct rp_paysim *ps, const struct rp_paysim_req *q,
    struct rp_paysim_reply *rep)
{
	char id[ID_CAP], *meta;
	sqlite3_stmt *st;
	int r;

	if (!(q->seen & RP_PF_AMOUNT)) {
		validation(rep, "parameter_missing", "amount",
		    "amount is required");
		return 0;
	}
	if ((q->seen & RP_PF_CURRENCY) && strcmp(q->currency, "jpy") != 0) {
		validation(rep, "currency_not_supported", "currency",
		    "currency must be \"jpy\"");
		return 0;
	}
	if ((meta = meta_json(q)) == NULL)
		return RP_E_NOMEM;
	rp_paysim_id("tc", id, sizeof(id));
	st = rp_paysim_prep(ps, "INSERT INTO terminal (id, status, amount, "
	    "metadata, created) VALUES (?, 'pending', ?, ?, ?)");
	if (st == NULL) {
		free(meta);
		return RP_E_DB;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, q->amount);
	sqlite3_bind_text(st, 3, meta, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, rp_paysim_now(ps));
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : RP_E_DB;
	sqlite3_finalize(st);
	free(meta);
	return r != 0 ? r : term_reply(ps, id, rep);
}

int
rp_paysim_terminal_peek(struct rp_paysim *ps, const char *id, int64_t *amount,
    char *status, size_t n)
{
	sqlite3_stmt *st;
	int s;

	st = rp_paysim_prep(ps, "SELECT amount, status FROM terminal "
	    "WHERE id = ?");
	if (st == NULL)
		return RP_E_DB;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if ((s = sqlite3_step(st)) == SQLITE_ROW) {
		*amount = sqlite3_column_int64(st, 0);
		col_text(st, 1, status, n);
	}
	sqlite3_finalize(st);
	return s == SQLITE_ROW ? 0 : s == SQLITE_DONE ? RP_E_NOTFOUND : RP_E_DB;
}

int
rp_paysim_terminal_tap(struct rp_paysim *ps, const char *id,
    const char *card_name)
{
	const struct rp_paysim_card *cards, *c = NULL;
	char status[32];
	struct pay p;
	sqlite3_stmt *st;
	size_t n;
	int64_t amount;
	int r;

	if ((r = rp_paysim_terminal_peek(ps, id, &amount, status,
	    sizeof(status))) != 0)
		return r;
	if (strcmp(status, "pending") != 0)
		return RP_E_STATE;
	cards = rp_paysim_cards(&n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(cards[i].name, card_name) == 0)
			c = &cards[i];
	if (c == NULL)
		return RP_E_INVAL;
	memset(&p, 0, sizeof(p));
	rp_paysim_id("pay", p.id, sizeof(p.id));
	snprintf(p.capture_method, sizeof(p.capture_method), "automatic");
	p.amount = amount;
	p.created = rp_paysim_now(ps);
	if ((p.metadata = strdup("{\"channel\":\"terminal\"}")) == NULL)
		return RP_E_NOMEM;
	/* Card present: the chip and PIN stand in for 3-D Secure. */
	if ((r = rp_paysim_card_store(ps, c->pan, c->brand, 12, 2030, p.card,
	    sizeof(p.card))) != 0)
		goto out;
	if (c->behave == RP_CARD_DECLINE)
		r = declined(ps, &p, true, c->code, c->decline_code,
		    c->message);
	else
		r = authorised(ps, &p, true);
	if (r != 0)
		goto out;
	st = rp_paysim_prep(ps, "UPDATE terminal SET status = ?, payment = ?, "
	    "failure_code = ? WHERE id = ?");
	if (st == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sqlite3_bind_text(st, 1, c->behave == RP_CARD_DECLINE ? "failed" :
	    "succeeded", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p.id, -1, SQLITE_TRANSIENT);
	bind_opt(st, 3, c->behave == RP_CARD_DECLINE ? c->code : NULL);
	sqlite3_bind_text(st, 4, id, -1, SQLITE_TRANSIENT);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : RP_E_DB;
	sqlite3_finalize(st);
 out:
	pay_release(&p);
	return r;
}

/* ---- 3-D Secure, holds ---- */

int
rp_paysim_payment_peek(struct rp_paysim *ps, const char *id, int64_t *amount,
    char *status, size_t n)
{
	struct pay p;
	int r;

	if ((r = pay_load(ps, id, &p)) != 0)
		return r;
	*amount = p.amount;
	snprintf(status, n, "%s", p.status);
	pay_release(&p);
	return 0;
}

int
rp_paysim_3ds_finish(struct rp_paysim *ps, const char *id, bool complete,
    char *return_url, size_t n)
{
	const struct rp_paysim_card *c;
	char pan[24];
	struct pay p;
	int r;

	return_url[0] = '\0';
	if ((r = pay_load(ps, id, &p)) != 0)
		return r;
	snprintf(return_url, n, "%s", p.return_url ? p.return_url : "");
	if (strcmp(p.status, "requires_action") != 0) {
		r = RP_E_STATE;
		goto out;
	}
	r = rp_paysim_card_open(ps, p.card, pan, sizeof(pan));
	c = r == 0 ? rp_paysim_card_find(pan) : NULL;
	sodium_memzero(pan, sizeof(pan));
	if (r != 0)
		goto out;
	if (!complete)
		r = declined(ps, &p, false, "authentication_failed", NULL,
		    "The cardholder did not complete 3-D Secure.");
	else if (c != NULL && c->behave == RP_CARD_3DS_DECLINE)
		r = declined(ps, &p, false, c->code, c->decline_code,
		    c->message);
	else
		r = authorised(ps, &p, false);
 out:
	pay_release(&p);
	return r;
}

int
rp_paysim_expire_holds(struct rp_paysim *ps)
{
	char ids[32][ID_CAP];
	sqlite3_stmt *st;
	size_t n;
	int r = 0;

	do {
		n = 0;
		st = rp_paysim_prep(ps, "SELECT id FROM payments WHERE status = "
		    "'requires_capture' AND authorized_at <= ? LIMIT 32");
		if (st == NULL)
			return RP_E_DB;
		sqlite3_bind_int64(st, 1, rp_paysim_now(ps) - RP_PAYSIM_HOLD_S);
		while (n < RP_ARRAY_LEN(ids) && sqlite3_step(st) == SQLITE_ROW)
			col_text(st, 0, ids[n++], ID_CAP);
		sqlite3_finalize(st);
		for (size_t i = 0; i < n && r == 0; i++) {
			struct pay p;

			if ((r = pay_load(ps, ids[i], &p)) != 0)
				break;
			rp_log_info("paysim: hold on %s expired", p.id);
			r = cancel(ps, &p, "expired");
			pay_release(&p);
		}
	} while (r == 0 && n == RP_ARRAY_LEN(ids));
	return r;
}

/* ---- dispatch ---- */

static const uint32_t pay_keys = RP_PF_AMOUNT | RP_PF_CURRENCY |
    RP_PF_TOKEN | RP_PF_CUSTOMER | RP_PF_PAYMENT_METHOD |
    RP_PF_CAPTURE_METHOD | RP_PF_SAVE_CARD | RP_PF_METADATA |
    RP_PF_RETURN_URL;

/* Splits "/payments/pay_x/capture" into its segments (pointers into buf,
 * which is modified); 4 means "more than 3", 0 an empty segment. */
static size_t
segments(char *buf, char *seg[3])
{
	char *s = buf;
	size_t n = 0;

	while (*s == '/') {
		if (n == 3)
			return 4;
		*s++ = '\0';
		seg[n++] = s;
		s += strcspn(s, "/");
	}
	if (*s != '\0')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (seg[i][0] == '\0')
			return 0;
	return n;
}

int
rp_paysim_api(struct rp_paysim *ps, const char *method, const char *path,
    struct rp_str body, bool publishable, struct rp_paysim_reply *rep)
{
	struct rp_paysim_req *q = NULL;
	struct rp_paysim_perr pe;
	char pbuf[256], *seg[3] = { NULL, NULL, NULL };
	bool post = strcmp(method, "POST") == 0;
	bool get = strcmp(method, "GET") == 0;
	uint32_t allowed = 0;
	size_t n;
	int r = 0, kind = 0;

	rep->status = 0;
	rep->validation = false;
	if (strlen(path) >= sizeof(pbuf)) {
		missing(rep, 404, "");
		return 0;
	}
	snprintf(pbuf, sizeof(pbuf), "%s", path);
	n = segments(pbuf, seg);
	/* Which route (kind) and which body keys it declares. */
	if (n == 1 && post && strcmp(seg[0], "tokens") == 0) {
		kind = 1;
		allowed = RP_PF_NUMBER | RP_PF_EXP_MONTH | RP_PF_EXP_YEAR |
		    RP_PF_CVC;
	} else if (n == 1 && post && strcmp(seg[0], "payments") == 0) {
		kind = 2;
		allowed = pay_keys;
	} else if (n == 2 && get && strcmp(seg[0], "payments") == 0) {
		kind = 3;
	} else if (n == 3 && post && strcmp(seg[0], "payments") == 0 &&
	    strcmp(seg[2], "capture") == 0) {
		kind = 4;
		allowed = RP_PF_AMOUNT_TO_CAPTURE;
	} else if (n == 3 && post && strcmp(seg[0], "payments") == 0 &&
	    strcmp(seg[2], "cancel") == 0) {
		kind = 5;
		allowed = RP_PF_CANCEL_REASON;
	} else if (n == 1 && post && strcmp(seg[0], "refunds") == 0) {
		kind = 6;
		allowed = RP_PF_PAYMENT | RP_PF_AMOUNT | RP_PF_REASON;
	} else if (n == 2 && get && strcmp(seg[0], "refunds") == 0) {
		kind = 7;
	} else if (n == 2 && post && strcmp(seg[0], "terminal") == 0 &&
	    strcmp(seg[1], "collections") == 0) {
		kind = 8;
		allowed = RP_PF_AMOUNT | RP_PF_CURRENCY | RP_PF_METADATA;
	} else if (n == 3 && get && strcmp(seg[0], "terminal") == 0 &&
	    strcmp(seg[1], "collections") == 0) {
		kind = 9;
	}
	if (kind == 0) {
		rp_paysim_error(rep, 404, "invalid_request_error",
		    "resource_missing", NULL, NULL,
		    "Unrecognized request URL or method.");
		rep->validation = true;
		return 0;
	}
	if (publishable != (kind == 1)) {
		rp_paysim_error(rep, 401, "invalid_request_error",
		    publishable ? "secret_key_required" :
		    "publishable_key_required", NULL, NULL, publishable ?
		    "This call needs the secret key (Bearer sk_test_…)." :
		    "POST /v1/tokens takes the publishable key (pk_test_…).");
		rep->validation = true;
		return 0;
	}
	if (kind != 1 && body_has_pan(body)) {
		/* A PSP refuses card numbers outside the card fields; storing
		 * one in metadata would put it in clear into our database. */
		validation(rep, "card_number_in_parameters", "",
		    "Card numbers may only be sent to POST /v1/tokens.");
		return 0;
	}
	if ((q = malloc(sizeof(*q))) == NULL)
		return RP_E_NOMEM;
	if (allowed != 0 || body.n > 0) {
		if ((r = rp_paysim_req_parse(body, allowed, q, &pe)) != 0) {
			if (r == RP_E_NOMEM)
				goto out;
			validation(rep, pe.code, pe.param, pe.message);
			r = 0;
			goto out;
		}
	} else
		memset(q, 0, sizeof(*q));
	if ((r = rp_paysim_expire_holds(ps)) != 0)
		goto out;
	switch (kind) {
	case 1: r = post_token(ps, q, rep); break;
	case 2: r = post_payment(ps, q, rep); break;
	case 3: {
		struct pay p;

		if ((r = load_or_404(ps, seg[1], &p, rep)) == 0) {
			r = pay_reply(ps, &p, 200, rep);
			pay_release(&p);
		} else if (r == RP_E_NOTFOUND)
			r = 0;
		break;
	}
	case 4: r = post_capture(ps, seg[1], q, rep); break;
	case 5: r = post_cancel(ps, seg[1], q, rep); break;
	case 6: r = post_refund(ps, q, rep); break;
	case 7:
		r = refund_get(ps, seg[1], rep, &rep->body);
		if (r == RP_E_NOTFOUND) {
			missing(rep, 404, "id");
			r = 0;
		}
		break;
	case 8: r = post_terminal(ps, q, rep); break;
	case 9: r = term_reply(ps, seg[2], rep); break;
	}
 out:
	rp_paysim_req_clear(q);
	free(q);
	if (r == 0 && rep->body.err != 0)
		r = rep->body.err;
	return r;
}
