/* SPDX-License-Identifier: ISC */
/*
 * validate.c — field-by-field validation of an order request (order.h).
 * Runs in the web workers on bytes straight from a form or a JSON body,
 * so it reads only inside each view, checks lengths before anything else,
 * and reports every error with a stable code rather than stopping at the
 * first: the page shows each message beside its field.
 *
 * Names are free text (kanji, kana, romaji, "O'Brien", "株式会社", "(株)")
 * but never control characters or invalid UTF-8; kana fields take kana,
 * the long-vowel mark, the middle dot and spaces only; addresses may use
 * full-width digits and hyphens.  Nothing here looks at the store.
 */
#include "util/common.h"
#include "domain/date.h"
#include "domain/policy.h"
#include "order/order.h"

static const char *const field_names[RP_OF__COUNT] = {
	[RP_OF_PLAN] = "plan",
	[RP_OF_QTY] = "qty",
	[RP_OF_OPTIONS] = "options",
	[RP_OF_DEPART] = "depart",
	[RP_OF_RETURN] = "return",
	[RP_OF_PICKUP] = "pickup",
	[RP_OF_PICKUP_COUNTER] = "pickup_counter",
	[RP_OF_RETURN_METHOD] = "return_method",
	[RP_OF_RETURN_COUNTER] = "return_counter",
	[RP_OF_NAME] = "name",
	[RP_OF_KANA] = "kana",
	[RP_OF_EMAIL] = "email",
	[RP_OF_PHONE] = "phone",
	[RP_OF_POSTAL_CODE] = "postal_code",
	[RP_OF_ADDRESS] = "address",
	[RP_OF_DEPARTMENT] = "department",
	[RP_OF_EMPLOYEE_NO] = "employee_no",
	[RP_OF_COST_CENTRE] = "cost_centre",
	[RP_OF_BILLING] = "billing",
	[RP_OF_LANG] = "lang",
};

const char *
rp_order_field_name(int field)
{
	return field >= 0 && field < RP_OF__COUNT ? field_names[field] : NULL;
}

const char *
rp_order_error_of(const struct rp_order_errors *errs, int field)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		if (errs->e[i].field == field)
			return errs->e[i].code;
	return NULL;
}

void
rp_order_err_add(struct rp_order_errors *errs, int field, const char *code)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		if (errs->e[i].field == field && strcmp(errs->e[i].code, code) == 0)
			return;
	if (errs->n < RP_ORDER_MAX_ERRORS) {
		errs->e[errs->n].field = field;
		errs->e[errs->n].code = code;
		errs->n++;
	}
}

/*
 * Decodes one UTF-8 sequence at s->p[*i] (already known valid) into *cp
 * and advances *i.
 */
static uint32_t
next_cp(struct rp_str s, size_t *i)
{
	const unsigned char *p = (const unsigned char *)s.p + *i;
	uint32_t c = p[0];

	if (c < 0x80) {
		*i += 1;
		return c;
	}
	if (c < 0xe0) {
		*i += 2;
		return ((c & 0x1f) << 6) | (p[1] & 0x3f);
	}
	if (c < 0xf0) {
		*i += 3;
		return ((c & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) |
		    (p[2] & 0x3f);
	}
	*i += 4;
	return ((c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) |
	    ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
}

/*
 * Common text rules: size cap first (a 10 KB name is "too_long" without
 * being scanned), then UTF-8, then no control characters (C0, DEL, C1,
 * and the line/paragraph separators).  0 or the error code added.
 */
static int
text(struct rp_order_errors *errs, int field, struct rp_str s, size_t max,
    bool required)
{
	size_t i = 0;
	uint32_t c;

	if (s.n == 0) {
		if (required) {
			rp_order_err_add(errs, field, "required");
			return -1;
		}
		return 0;
	}
	if (s.n > max) {
		rp_order_err_add(errs, field, "too_long");
		return -1;
	}
	if (!rp_utf8_valid(s)) {
		rp_order_err_add(errs, field, "invalid_utf8");
		return -1;
	}
	while (i < s.n) {
		c = next_cp(s, &i);
		if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 ||
		    c == 0x2029 || (c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069)) {
			rp_order_err_add(errs, field, "invalid_char");
			return -1;
		}
	}
	if (rp_str_trim(s).n == 0) {
		if (required) {
			rp_order_err_add(errs, field, "required");
			return -1;
		}
	}
	return 0;
}

/* Hiragana, katakana (full and half width), ー, ・, spaces. */
static bool
kana_only(struct rp_str s)
{
	size_t i = 0;
	uint32_t c;

	while (i < s.n) {
		c = next_cp(s, &i);
		if ((c >= 0x3041 && c <= 0x3096) || (c >= 0x309b && c <= 0x309e) ||
		    (c >= 0x30a1 && c <= 0x30fe) || (c >= 0xff66 && c <= 0xff9f) ||
		    c == 0x3000 || c == ' ')
			continue;
		return false;
	}
	return true;
}

/*
 * A deliverable address: ASCII local part of [A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]
 * (no leading, trailing or double dot), '@', a domain of at least two
 * labels of [A-Za-z0-9-] (not starting or ending with '-'), a TLD of
 * letters.  Stricter than RFC 5322 on purpose: what we can mail to.
 */
static bool
email_ok(struct rp_str s)
{
	static const char local_extra[] = ".!#$%&'*+/=?^_`{|}~-";
	size_t at = s.n, i, labels = 0, lstart;
	char c;

	for (i = 0; i < s.n; i++)
		if (s.p[i] == '@') {
			if (at != s.n)
				return false;
			at = i;
		}
	if (at == 0 || at == s.n || at > 64 || s.n - at - 1 < 3)
		return false;
	if (s.p[0] == '.' || s.p[at - 1] == '.')
		return false;
	for (i = 0; i < at; i++) {
		c = s.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') ||
		    (c != '\0' && strchr(local_extra, c) != NULL)))
			return false;
		if (c == '.' && s.p[i + 1] == '.')
			return false;
	}
	lstart = at + 1;
	for (i = at + 1; i <= s.n; i++) {
		if (i < s.n && s.p[i] != '.') {
			c = s.p[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-'))
				return false;
			continue;
		}
		/* a label ends at i */
		if (i == lstart || i - lstart > 63 || s.p[lstart] == '-' ||
		    s.p[i - 1] == '-')
			return false;
		labels++;
		if (i == s.n) {
			size_t k;

			for (k = lstart; k < i; k++)
				if (!((s.p[k] >= 'a' && s.p[k] <= 'z') ||
				    (s.p[k] >= 'A' && s.p[k] <= 'Z')))
					return false;
			if (i - lstart < 2)
				return false;
		}
		lstart = i + 1;
	}
	return labels >= 2;
}

/*
 * Digits (ASCII or full-width), '+' first only, hyphens (ASCII, full-width,
 * ー), spaces and parentheses; 7..15 digits.
 */
static bool
phone_ok(struct rp_str s)
{
	size_t i = 0, digits = 0, pos = 0;
	uint32_t c;

	while (i < s.n) {
		c = next_cp(s, &i);
		if ((c >= '0' && c <= '9') || (c >= 0xff10 && c <= 0xff19))
			digits++;
		else if (c == '+' && pos == 0)
			;
		else if (c == '-' || c == 0xff0d || c == 0x30fc || c == 0x2010 ||
		    c == 0x2212 || c == ' ' || c == 0x3000 || c == '(' || c == ')')
			;
		else
			return false;
		pos++;
	}
	return digits >= 7 && digits <= 15;
}

/* Japanese postal code: 7 digits, optionally 3-4 with a hyphen; ASCII or
 * full-width; an optional leading 〒. */
static bool
postal_ok(struct rp_str s)
{
	size_t i = 0, digits = 0, hyph = 0;
	uint32_t c;
	bool first = true;

	while (i < s.n) {
		c = next_cp(s, &i);
		if (first && c == 0x3012) {
			first = false;
			continue;
		}
		first = false;
		if ((c >= '0' && c <= '9') || (c >= 0xff10 && c <= 0xff19))
			digits++;
		else if ((c == '-' || c == 0xff0d || c == 0x30fc) && digits == 3 &&
		    hyph == 0)
			hyph++;
		else
			return false;
	}
	return digits == 7;
}

static bool
choice(struct rp_str s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (rp_str_eq_c(s, *set))
			return true;
	return false;
}

static const char *const pickups[] = { "counter", "courier", NULL };
static const char *const returns[] = { "counter", "courier", "post", NULL };
static const char *const billings[] = { "card", "invoice", NULL };
static const char *const langs[] = { "ja", "en", NULL };

/* A method and its counter: the counter code is required for "counter". */
static void
method(struct rp_order_errors *errs, int mf, int cf, struct rp_str m,
    struct rp_str counter, const char *const *set)
{
	if (m.n == 0) {
		rp_order_err_add(errs, mf, "required");
		return;
	}
	if (!choice(m, set)) {
		rp_order_err_add(errs, mf, "invalid_choice");
		return;
	}
	if (rp_str_eq_c(m, "counter")) {
		if (counter.n == 0)
			rp_order_err_add(errs, cf, "required");
		else if (!rp_code_valid(counter))
			rp_order_err_add(errs, cf, "unknown_counter");
	}
}

int
rp_order_validate(const struct rp_order_req *rq, int64_t now, bool corporate,
    struct rp_order_errors *errs)
{
	struct rp_localtime lt;
	struct rp_date dep, ret;
	bool dep_ok = false, ret_ok = false;
	size_t i, j;

	memset(errs, 0, sizeof(*errs));

	/* plan, quantity, options */
	if (rq->plan.n == 0)
		rp_order_err_add(errs, RP_OF_PLAN, "required");
	else if (!rp_code_valid(rq->plan))
		rp_order_err_add(errs, RP_OF_PLAN, "unknown_plan");
	if (rq->qty < 0 || rq->qty > 99)
		rp_order_err_add(errs, RP_OF_QTY, "out_of_range");
	if (rq->n_options > RP_ORDER_REQ_OPTIONS)
		rp_order_err_add(errs, RP_OF_OPTIONS, "too_many");
	for (i = 0; i < rq->n_options && i < RP_ORDER_REQ_OPTIONS; i++) {
		if (!rp_code_valid(rq->options[i].code))
			rp_order_err_add(errs, RP_OF_OPTIONS, "unknown_option");
		if (rq->options[i].qty < 1 || rq->options[i].qty > 99)
			rp_order_err_add(errs, RP_OF_OPTIONS, "out_of_range");
		for (j = 0; j < i; j++)
			if (rp_str_eq(rq->options[j].code, rq->options[i].code))
				rp_order_err_add(errs, RP_OF_OPTIONS, "duplicate");
	}

	/* dates, in Japan time */
	if (rq->depart.n == 0)
		rp_order_err_add(errs, RP_OF_DEPART, "required");
	else if (rp_date_parse(rq->depart, &dep) != 0)
		rp_order_err_add(errs, RP_OF_DEPART, "invalid_date");
	else
		dep_ok = true;
	if (rq->ret.n == 0)
		rp_order_err_add(errs, RP_OF_RETURN, "required");
	else if (rp_date_parse(rq->ret, &ret) != 0)
		rp_order_err_add(errs, RP_OF_RETURN, "invalid_date");
	else
		ret_ok = true;
	if (rp_time_local(now, RP_UTC_OFFSET_JST, &lt) != 0) {
		rp_order_err_add(errs, RP_OF_DEPART, "invalid_date");
	} else {
		if (dep_ok && rp_date_cmp(dep, lt.date) < 0)
			rp_order_err_add(errs, RP_OF_DEPART, "date_past");
		else if (!dep_ok && ret_ok && rp_date_cmp(ret, lt.date) < 0)
			rp_order_err_add(errs, RP_OF_RETURN, "date_past");
	}
	if (dep_ok && ret_ok && rp_date_cmp(ret, dep) < 0)
		rp_order_err_add(errs, RP_OF_RETURN, "return_before_departure");

	/* handover */
	method(errs, RP_OF_PICKUP, RP_OF_PICKUP_COUNTER, rq->pickup,
	    rq->pickup_counter, pickups);
	method(errs, RP_OF_RETURN_METHOD, RP_OF_RETURN_COUNTER,
	    rq->return_method, rq->return_counter, returns);

	/* traveller */
	(void)text(errs, RP_OF_NAME, rq->name, RP_ORDER_NAME_MAX, true);
	if (text(errs, RP_OF_KANA, rq->kana, RP_ORDER_KANA_MAX, false) == 0 &&
	    rq->kana.n > 0 && !kana_only(rq->kana))
		rp_order_err_add(errs, RP_OF_KANA, "kana_only");
	if (text(errs, RP_OF_EMAIL, rq->email, RP_ORDER_EMAIL_MAX, true) == 0 &&
	    !email_ok(rq->email))
		rp_order_err_add(errs, RP_OF_EMAIL, "invalid_email");
	if (text(errs, RP_OF_PHONE, rq->phone, RP_ORDER_PHONE_MAX, true) == 0 &&
	    !phone_ok(rq->phone))
		rp_order_err_add(errs, RP_OF_PHONE, "invalid_phone");
	{
		bool delivered = rp_str_eq_c(rq->pickup, "courier");

		if (text(errs, RP_OF_POSTAL_CODE, rq->postal_code,
		    RP_ORDER_POSTAL_MAX, delivered) == 0 &&
		    rq->postal_code.n > 0 && !postal_ok(rq->postal_code))
			rp_order_err_add(errs, RP_OF_POSTAL_CODE,
			    "invalid_postal_code");
		(void)text(errs, RP_OF_ADDRESS, rq->address,
		    RP_ORDER_ADDRESS_MAX, delivered);
	}

	/* corporate extras: free text, only on a corporate site */
	if (corporate) {
		(void)text(errs, RP_OF_DEPARTMENT, rq->department,
		    RP_ORDER_EXTRA_MAX, false);
		(void)text(errs, RP_OF_EMPLOYEE_NO, rq->employee_no,
		    RP_ORDER_EXTRA_MAX, false);
		(void)text(errs, RP_OF_COST_CENTRE, rq->cost_centre,
		    RP_ORDER_EXTRA_MAX, false);
	} else {
		if (rq->department.n || rq->employee_no.n || rq->cost_centre.n) {
			if (rq->department.n)
				rp_order_err_add(errs, RP_OF_DEPARTMENT,
				    "invalid_choice");
			if (rq->employee_no.n)
				rp_order_err_add(errs, RP_OF_EMPLOYEE_NO,
				    "invalid_choice");
			if (rq->cost_centre.n)
				rp_order_err_add(errs, RP_OF_COST_CENTRE,
				    "invalid_choice");
		}
	}

	/* billing and language */
	if (rq->billing.n == 0)
		rp_order_err_add(errs, RP_OF_BILLING, "required");
	else if (!choice(rq->billing, billings) ||
	    (!corporate && rp_str_eq_c(rq->billing, "invoice")))
		rp_order_err_add(errs, RP_OF_BILLING, "invalid_choice");
	if (rq->lang.n > 0 && !choice(rq->lang, langs))
		rp_order_err_add(errs, RP_OF_LANG, "invalid_choice");

	return errs->n == 0 ? 0 : RP_E_INVAL;
}
