/* SPDX-License-Identifier: ISC */
/*
 * req.c — paysim's parser of JSON request bodies (untrusted, from the
 * network; fuzz target tests/fuzz/paysim).  jansson does the JSON; this
 * file keeps only the keys a route declares, each checked for type,
 * range and length and copied into a fixed-size field, so that the
 * handlers never see a jansson value or an unbounded string.  Card
 * numbers and CVCs pass through here: they are wiped from the request on
 * every path (rp_paysim_req_clear) and never named in an error message.
 */
#include "util/common.h"

#include <jansson.h>
#include <math.h>
#include <sodium.h>

#include "paysim/paysim.h"

enum vtype { V_STR, V_INT, V_BOOL, V_META, V_REAL, V_RANGE };

struct field {
	const char *name;
	uint32_t bit;
	enum vtype type;
	size_t off, size;		/* V_STR: char array; V_INT/…: member */
	int64_t min, max;		/* V_INT; V_STR: min/max length */
};

#define STR(m, lo) offsetof(struct rp_paysim_req, m), \
	sizeof(((struct rp_paysim_req *)0)->m), (lo), \
	(int64_t)sizeof(((struct rp_paysim_req *)0)->m) - 1
#define INT(m, lo, hi) offsetof(struct rp_paysim_req, m), 0, (lo), (hi)

static const struct field fields[] = {
	{ "number", RP_PF_NUMBER, V_STR, STR(number, 1) },
	{ "exp_month", RP_PF_EXP_MONTH, V_INT, INT(exp_month, 1, 12) },
	{ "exp_year", RP_PF_EXP_YEAR, V_INT, INT(exp_year, 0, 9999) },
	{ "cvc", RP_PF_CVC, V_STR, STR(cvc, 1) },
	{ "amount", RP_PF_AMOUNT, V_INT, INT(amount, 1, RP_PAYSIM_MAX_AMOUNT) },
	{ "currency", RP_PF_CURRENCY, V_STR, STR(currency, 1) },
	{ "token", RP_PF_TOKEN, V_STR, STR(token, 1) },
	{ "customer", RP_PF_CUSTOMER, V_STR, STR(customer, 1) },
	{ "payment_method", RP_PF_PAYMENT_METHOD, V_STR, STR(payment_method, 1) },
	{ "capture_method", RP_PF_CAPTURE_METHOD, V_STR, STR(capture_method, 1) },
	{ "save_card", RP_PF_SAVE_CARD, V_BOOL,
	  offsetof(struct rp_paysim_req, save_card), 0, 0, 1 },
	{ "metadata", RP_PF_METADATA, V_META, 0, 0, 0, 0 },
	{ "return_url", RP_PF_RETURN_URL, V_STR, STR(return_url, 1) },
	{ "amount_to_capture", RP_PF_AMOUNT_TO_CAPTURE, V_INT,
	  INT(amount_to_capture, 1, RP_PAYSIM_MAX_AMOUNT) },
	{ "payment", RP_PF_PAYMENT, V_STR, STR(payment, 1) },
	{ "reason", RP_PF_REASON, V_STR, STR(reason, 1) },
	{ "url", RP_PF_URL, V_STR, STR(url, 0) },
	{ "advance_s", RP_PF_ADVANCE_S, V_INT, INT(advance_s, 0, 10 * 365 * 86400) },
	{ "duplicate", RP_PF_DUPLICATE, V_REAL, 0, 0, 0, 0 },
	{ "delay_ms", RP_PF_DELAY_MS, V_RANGE, 0, 0, 0, 60000 },
	{ "reorder", RP_PF_REORDER, V_BOOL,
	  offsetof(struct rp_paysim_req, reorder), 0, 0, 1 },
	{ "drop_after_commit", RP_PF_DROP_AFTER_COMMIT, V_INT,
	  INT(drop_after_commit, 0, 1000) },
	{ "slow_ms", RP_PF_SLOW_MS, V_INT, INT(slow_ms, 0, 60000) },
	{ "status", RP_PF_STATUS, V_INT, INT(status, 0, 599) },
	{ "count", RP_PF_COUNT, V_INT, INT(count, 0, 1000) },
	{ "cancellation_reason", RP_PF_CANCEL_REASON, V_STR, STR(cancel_reason, 1) },
};

static void
perr(struct rp_paysim_perr *e, const char *code, const char *param,
    const char *msg)
{
	e->code = code;
	snprintf(e->param, sizeof(e->param), "%s", param);
	snprintf(e->message, sizeof(e->message), "%s", msg);
}

/* Text fields: valid UTF-8 without control characters (they end up in
 * JSON, HTML and the request log). */
static bool
text_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return rp_utf8_valid((struct rp_str){ s, n });
}

/* The card number: digits, optionally grouped by spaces or dashes; the
 * separators are dropped.  Length checks come later (incorrect_number is
 * a card error, not a parse error). */
static int
copy_number(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '-')
			continue;
		if (s[i] < '0' || s[i] > '9' || k + 1 >= cap)
			return RP_E_INVAL;
		out[k++] = s[i];
	}
	out[k] = '\0';
	return k > 0 ? 0 : RP_E_INVAL;
}

static int
get_meta(json_t *v, struct rp_paysim_req *r, struct rp_paysim_perr *e)
{
	const char *k;
	json_t *x;

	if (!json_is_object(v)) {
		perr(e, "parameter_invalid_type", "metadata",
		    "metadata must be an object of strings");
		return RP_E_INVAL;
	}
	json_object_foreach(v, k, x) {
		size_t kl = strlen(k), vl;
		const char *s;

		if (r->nmeta == RP_PAYSIM_MAX_META) {
			perr(e, "parameter_invalid_metadata", "metadata",
			    "at most 20 metadata keys");
			return RP_E_INVAL;
		}
		if (!json_is_string(x)) {
			perr(e, "parameter_invalid_metadata", "metadata",
			    "metadata values must be strings");
			return RP_E_INVAL;
		}
		s = json_string_value(x);
		vl = json_string_length(x);
		if (kl == 0 || kl > RP_PAYSIM_MAX_META_KEY ||
		    vl > RP_PAYSIM_MAX_META_VAL || !text_ok(k, kl) ||
		    !text_ok(s, vl)) {
			perr(e, "parameter_invalid_metadata", "metadata",
			    "metadata keys are 1..40 and values 0..500 "
			    "characters, no control characters");
			return RP_E_INVAL;
		}
		memcpy(r->meta[r->nmeta].key, k, kl);
		memcpy(r->meta[r->nmeta].val, s, vl);
		r->nmeta++;
	}
	return 0;
}

static int
get_field(const struct field *f, json_t *v, struct rp_paysim_req *r,
    struct rp_paysim_perr *e)
{
	char *base = (char *)r;
	const char *s;
	json_int_t i;
	size_t n;

	switch (f->type) {
	case V_STR:
		if (!json_is_string(v))
			break;
		s = json_string_value(v);
		n = json_string_length(v);
		if (f->bit == RP_PF_NUMBER) {
			if (copy_number(s, n, base + f->off, f->size) != 0) {
				/* never echo the value */
				perr(e, "incorrect_number", "number",
				    "the card number is not a number");
				return RP_E_INVAL;
			}
			return 0;
		}
		if ((int64_t)n < f->min || (int64_t)n > f->max ||
		    !text_ok(s, n)) {
			perr(e, "parameter_invalid_string", f->name,
			    "a string parameter is empty, too long or holds "
			    "control characters");
			return RP_E_INVAL;
		}
		memcpy(base + f->off, s, n);
		base[f->off + n] = '\0';
		return 0;
	case V_INT:
		if (!json_is_integer(v))
			break;
		i = json_integer_value(v);
		if (i < f->min || i > f->max) {
			perr(e, "parameter_out_of_range", f->name,
			    "an integer parameter is out of range");
			return RP_E_INVAL;
		}
		memcpy(base + f->off, &(int64_t){ (int64_t)i }, sizeof(int64_t));
		return 0;
	case V_BOOL:
		if (!json_is_boolean(v))
			break;
		memcpy(base + f->off, &(bool){ json_is_true(v) }, sizeof(bool));
		return 0;
	case V_META:
		return get_meta(v, r, e);
	case V_REAL:
		if (!json_is_number(v))
			break;
		r->duplicate = json_number_value(v);
		if (!(r->duplicate >= 0.0 && r->duplicate <= 1.0)) {
			perr(e, "parameter_out_of_range", f->name,
			    "duplicate is a probability 0..1");
			return RP_E_INVAL;
		}
		return 0;
	case V_RANGE:
		if (!json_is_array(v) || json_array_size(v) != 2 ||
		    !json_is_integer(json_array_get(v, 0)) ||
		    !json_is_integer(json_array_get(v, 1)))
			break;
		r->delay_min = json_integer_value(json_array_get(v, 0));
		r->delay_max = json_integer_value(json_array_get(v, 1));
		if (r->delay_min < 0 || r->delay_max > f->max ||
		    r->delay_min > r->delay_max) {
			perr(e, "parameter_out_of_range", f->name,
			    "delay_ms is [min, max] with 0 <= min <= max <= 60000");
			return RP_E_INVAL;
		}
		return 0;
	}
	perr(e, "parameter_invalid_type", f->name,
	    "a parameter has the wrong type");
	return RP_E_INVAL;
}

int
rp_paysim_req_parse(struct rp_str body, uint32_t allowed,
    struct rp_paysim_req *out, struct rp_paysim_perr *e)
{
	json_error_t jerr;
	json_t *root = NULL, *v;
	const char *k;
	size_t i;
	int r = 0;

	memset(out, 0, sizeof(*out));
	memset(e, 0, sizeof(*e));
	e->code = "";
	if (body.n > RP_PAYSIM_MAX_BODY) {
		perr(e, "body_too_large", "", "the request body is too large");
		return RP_E_TOOBIG;
	}
	/* An empty body is an empty object (capture, cancel, reset …). */
	for (i = 0; i < body.n; i++)
		if (body.p[i] != ' ' && body.p[i] != '\t' &&
		    body.p[i] != '\r' && body.p[i] != '\n')
			break;
	if (i == body.n)
		return 0;
	root = json_loadb(body.p, body.n, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* jerr.text may quote input: not used in the reply */
		perr(e, "parse_error", "", "the body is not valid JSON");
		return RP_E_INVAL;
	}
	if (!json_is_object(root)) {
		perr(e, "parse_error", "", "the body must be a JSON object");
		r = RP_E_INVAL;
		goto out;
	}
	json_object_foreach(root, k, v) {
		const struct field *f = NULL;

		for (i = 0; i < RP_ARRAY_LEN(fields); i++)
			if (strcmp(fields[i].name, k) == 0)
				f = &fields[i];
		if (f == NULL || (f->bit & allowed) == 0) {
			char name[48];
			size_t kl = strlen(k);

			/* Name the key only if it is short, printable text. */
			snprintf(name, sizeof(name), "%s",
			    kl < sizeof(name) && text_ok(k, kl) ? k : "");
			perr(e, "parameter_unknown", name,
			    "received an unknown parameter");
			r = RP_E_INVAL;
			goto out;
		}
		if ((r = get_field(f, v, out, e)) != 0)
			goto out;
		out->seen |= f->bit;
	}
	/* Two-digit years are this century's (what the card shows). */
	if ((out->seen & RP_PF_EXP_YEAR) && out->exp_year < 100)
		out->exp_year += 2000;
	else if ((out->seen & RP_PF_EXP_YEAR) && out->exp_year < 1000) {
		perr(e, "invalid_expiry_year", "exp_year",
		    "the expiry year is not valid");
		r = RP_E_INVAL;
	}
 out:
	json_decref(root);
	if (r != 0) {
		const char *code = e->code;
		char param[sizeof(e->param)], msg[sizeof(e->message)];

		memcpy(param, e->param, sizeof(param));
		memcpy(msg, e->message, sizeof(msg));
		rp_paysim_req_clear(out);
		e->code = code;
		memcpy(e->param, param, sizeof(param));
		memcpy(e->message, msg, sizeof(msg));
	}
	return r;
}

void
rp_paysim_req_clear(struct rp_paysim_req *r)
{
	sodium_memzero(r, sizeof(*r));
}

bool
rp_paysim_luhn(const char *d, size_t n)
{
	unsigned sum = 0;
	bool dbl = false;

	if (n < 12 || n > 19)
		return false;
	for (size_t i = n; i-- > 0;) {
		unsigned x;

		if (d[i] < '0' || d[i] > '9')
			return false;
		x = (unsigned)(d[i] - '0');
		if (dbl && (x *= 2) > 9)
			x -= 9;
		sum += x;
		dbl = !dbl;
	}
	return sum % 10 == 0;
}
