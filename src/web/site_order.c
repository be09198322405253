/* SPDX-License-Identifier: ISC */
/*
 * site_order.c — ordering on the sites: the catalog, the quote, the order
 * form, the review page, placing the order and the confirmation page.
 *
 * Flow: plans → order (GET: the form) → order (POST: validated; errors
 * come back beside the fields, filled in; else the review page with the
 * price) → order/confirm (POST: placed with the review's one-time
 * Idempotency-Key, so a double submit places one order) → 303 to
 * order/done.  Nothing is saved before order/confirm.  Placing starts the
 * browser's "my order" session and queues the confirmation mail.
 */
#include "util/common.h"

#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "mail/mail.h"
#include "order/order.h"
#include "util/log.h"
#include "web/conns.h"
#include "web/i18n.h"
#include "web/site.h"


/* Text fields of the form, in order, with their enum rp_order_field. */
static const struct {
	const char *name;
	int field;
} text_fields[] = {
	{ "plan", RP_OF_PLAN }, { "depart", RP_OF_DEPART },
	{ "return", RP_OF_RETURN }, { "pickup", RP_OF_PICKUP },
	{ "pickup_counter", RP_OF_PICKUP_COUNTER },
	{ "return_method", RP_OF_RETURN_METHOD },
	{ "return_counter", RP_OF_RETURN_COUNTER }, { "name", RP_OF_NAME },
	{ "kana", RP_OF_KANA }, { "email", RP_OF_EMAIL },
	{ "phone", RP_OF_PHONE }, { "postal_code", RP_OF_POSTAL_CODE },
	{ "address", RP_OF_ADDRESS }, { "department", RP_OF_DEPARTMENT },
	{ "employee_no", RP_OF_EMPLOYEE_NO },
	{ "cost_centre", RP_OF_COST_CENTRE }, { "billing", RP_OF_BILLING },
};

/* The request as the form (POST) or query (GET) gives it; views borrowed. */
static void
req_from_page(const struct page *pg, struct rp_order_req *rq)
{
	const struct rp_form *f = pg->form.n > 0 ? &pg->form : &pg->query;
	struct rp_str q;
	uint64_t n;

	memset(rq, 0, sizeof(*rq));
	rq->plan = page_arg(pg, "plan");
	q = page_arg(pg, "qty");
	rq->qty = q.n == 0 ? 1 : rp_str_to_u64(q, 99, &n) == 0 && n > 0 ?
	    (int)n : 100;			/* 100: out_of_range */
	for (size_t i = 0; i < f->n; i++)
		if (rp_str_eq_c(f->f[i].key, "opt") && f->f[i].value.n > 0) {
			if (rq->n_options == RP_ORDER_REQ_OPTIONS) {
				rq->n_options++;	/* too_many below */
				break;
			}
			rq->options[rq->n_options].code = f->f[i].value;
			rq->options[rq->n_options++].qty = 1;
		}
	if (rq->n_options > RP_ORDER_REQ_OPTIONS)
		rq->n_options = RP_ORDER_REQ_OPTIONS;
	rq->depart = page_arg(pg, "depart");
	rq->ret = page_arg(pg, "return");
	rq->pickup = page_arg(pg, "pickup");
	rq->pickup_counter = page_arg(pg, "pickup_counter");
	rq->return_method = page_arg(pg, "return_method");
	rq->return_counter = page_arg(pg, "return_counter");
	rq->name = page_arg(pg, "name");
	rq->kana = page_arg(pg, "kana");
	rq->email = page_arg(pg, "email");
	rq->phone = page_arg(pg, "phone");
	rq->postal_code = page_arg(pg, "postal_code");
	rq->address = page_arg(pg, "address");
	if (pg->site.tenant_id > 0) {
		rq->department = page_arg(pg, "department");
		rq->employee_no = page_arg(pg, "employee_no");
		rq->cost_centre = page_arg(pg, "cost_centre");
		rq->billing = page_arg(pg, "billing");
		if (rq->billing.n == 0)
			rq->billing = rp_str_c(pg->site.invoice ? "invoice" :
			    "card");
	} else
		rq->billing = rp_str_c("card");
	rq->lang = rp_str_c(rp_lang_tag(pg->lang));
	if (rq->pickup.n == 0)
		rq->pickup = rp_str_c("counter");
	if (rq->return_method.n == 0)
		rq->return_method = rp_str_c("counter");
}

/* A corporate site's allowed e-mail domains (when it has a list). */
static void
check_domain(const struct page *pg, const struct rp_order_req *rq,
    struct rp_order_errors *errs)
{
	struct rp_str dom = RP_STR_NULL;
	size_t i;

	if (pg->site.ndomains == 0 || rq->email.n == 0 ||
	    rp_order_error_of(errs, RP_OF_EMAIL) != NULL)
		return;
	for (i = rq->email.n; i > 0; i--)
		if (rq->email.p[i - 1] == '@') {
			dom.p = rq->email.p + i;
			dom.n = rq->email.n - i;
			break;
		}
	for (i = 0; i < pg->site.ndomains; i++)
		if (rp_str_case_eq_c(dom, pg->site.domains[i]))
			return;
	rp_order_err_add(errs, RP_OF_EMAIL, "email_domain");
}

/*
 * Fields whose bytes were not UTF-8 (kept empty by the decoder) get
 * "invalid_utf8" before any other error of theirs ("required" would
 * mislead: the person did type something).
 */
static void
utf8_errors(const struct page *pg, struct rp_order_errors *errs)
{
	struct rp_order_errors all;

	memset(&all, 0, sizeof(all));
	for (size_t i = 0; i < pg->form.n; i++) {
		if (!pg->form.f[i].bad_utf8)
			continue;
		for (size_t k = 0; k < RP_ARRAY_LEN(text_fields); k++)
			if (rp_str_eq_c(pg->form.f[i].key, text_fields[k].name))
				rp_order_err_add(&all, text_fields[k].field,
				    "invalid_utf8");
	}
	if (all.n == 0)
		return;
	for (size_t i = 0; i < errs->n; i++)
		rp_order_err_add(&all, errs->e[i].field, errs->e[i].code);
	*errs = all;
}

/* Values and errors of the form, for re-rendering it. */
static void
form_vars(struct page *pg, const struct rp_order_req *rq,
    const struct rp_order_errors *errs)
{
	struct rp_tmpl_scope *v, *e;
	char key[64];
	const char *code;

	if (rp_tmpl_object(pg->root, "v", &v) != 0 ||
	    rp_tmpl_object(pg->root, "e", &e) != 0)
		return;
	for (size_t i = 0; i < RP_ARRAY_LEN(text_fields); i++) {
		rp_tmpl_set(v, text_fields[i].name,
		    page_arg(pg, text_fields[i].name));
		if (errs != NULL && (code = rp_order_error_of(errs,
		    text_fields[i].field)) != NULL) {
			snprintf(key, sizeof(key), "err.code.%s", code);
			rp_tmpl_set_c(e, text_fields[i].name, key);
		}
	}
	rp_tmpl_set_u64(v, "qty", (uint64_t)(rq->qty > 0 && rq->qty < 100 ?
	    rq->qty : 1));
	if (errs != NULL && (code = rp_order_error_of(errs, RP_OF_QTY)) != NULL) {
		snprintf(key, sizeof(key), "err.code.%s", code);
		rp_tmpl_set_c(e, "qty", key);
	}
	if (errs != NULL && (code = rp_order_error_of(errs,
	    RP_OF_OPTIONS)) != NULL) {
		snprintf(key, sizeof(key), "err.code.%s", code);
		rp_tmpl_set_c(e, "options", key);
	}
	rp_tmpl_set_bool(v, "courier", rp_str_eq_c(rq->pickup, "courier"));
	rp_tmpl_set_bool(v, "ret_post", rp_str_eq_c(rq->return_method, "post"));
	rp_tmpl_set_bool(v, "ret_courier", rp_str_eq_c(rq->return_method,
	    "courier"));
	rp_tmpl_set_bool(v, "card", !rp_str_eq_c(rq->billing, "invoice"));
	rp_tmpl_set_bool(pg->root, "errors", errs != NULL && errs->n > 0);
	if (errs != NULL)
		site_alt_vars(pg, errs);
}

/* Lists the site sees: plans (select), options (checkboxes), counters. */
static int
choice_vars(struct page *pg, const struct rp_order_req *rq)
{
	struct rp_order_ctx ctx;
	struct rp_order_plan *plans = NULL;
	struct rp_option *opts = NULL;
	struct rp_counter *ctrs = NULL;
	struct rp_tmpl_scope *it;
	size_t np = 0, no = 0, nc = 0, i, j;
	char price[32], label[400];
	int r;

	page_order_ctx(pg, &ctx);
	if ((r = rp_order_plans(&ctx, pg->site.tenant_id, RP_STR_NULL, &plans,
	    &np)) != 0 || (r = rp_store_option_list(pg->st, &opts, &no)) != 0 ||
	    (r = rp_store_counter_list(pg->st, &ctrs, &nc)) != 0)
		goto out;
	for (i = 0; i < np; i++) {
		struct rp_str dn = rp_i18n_name(pg->lang, "dest",
		    plans[i].destination, plans[i].destination_name);
		struct rp_str dev = rp_i18n_name(pg->lang, "device",
		    plans[i].device, plans[i].device);

		if (rp_tmpl_push(pg->root, "plans", &it) != 0)
			break;
		yen_format(plans[i].daily_yen, price);
		snprintf(label, sizeof(label), "%.*s — %.*s %s (¥%s)",
		    (int)dn.n, dn.p, (int)dev.n, dev.p, plans[i].tier, price);
		rp_tmpl_set_c(it, "code", plans[i].code);
		rp_tmpl_set_c(it, "label", label);
		rp_tmpl_set_bool(it, "selected", rp_str_eq_c(rq->plan,
		    plans[i].code));
	}
	for (i = 0; i < no; i++) {
		bool on = false;

		for (j = 0; j < rq->n_options; j++)
			on |= rp_str_eq_c(rq->options[j].code, opts[i].code);
		if (rp_tmpl_push(pg->root, "options", &it) != 0)
			break;
		yen_format(opts[i].daily_yen, price);
		rp_tmpl_set_c(it, "code", opts[i].code);
		rp_tmpl_set(it, "name", rp_i18n_name(pg->lang, "option",
		    opts[i].code, opts[i].name));
		rp_tmpl_set_c(it, "price", price);
		rp_tmpl_set_bool(it, "checked", on);
	}
	for (i = 0; i < nc; i++) {
		if (rp_tmpl_push(pg->root, "counters", &it) != 0)
			break;
		rp_tmpl_set_c(it, "code", ctrs[i].code);
		rp_tmpl_set(it, "name", rp_i18n_name(pg->lang, "counter",
		    ctrs[i].code, ctrs[i].name));
		rp_tmpl_set_u64(it, "days", (uint64_t)ctrs[i].deadline_days);
		rp_tmpl_set_u64(it, "hour", (uint64_t)ctrs[i].deadline_hour);
		rp_tmpl_set_bool(it, "pick", rp_str_eq_c(rq->pickup_counter,
		    ctrs[i].code));
		rp_tmpl_set_bool(it, "ret", rp_str_eq_c(rq->return_counter,
		    ctrs[i].code));
	}
 out:
	free(plans);
	free(opts);
	free(ctrs);
	return r;
}

/* The quote's lines and totals as template values under "quote". */
static void
quote_vars(struct page *pg, const struct rp_order_quote *q)
{
	struct rp_tmpl_scope *qs, *it;
	struct rp_option o;
	struct rp_plan p;
	char y[32];

	if (rp_tmpl_object(pg->root, "quote", &qs) != 0)
		return;
	rp_tmpl_set_u64(qs, "days", (uint64_t)q->days);
	for (size_t i = 0; i < q->n_lines; i++) {
		const struct rp_order_quote_line *l = &q->lines[i];

		if (rp_tmpl_push(qs, "lines", &it) != 0)
			return;
		switch (l->kind) {
		case RP_ORDER_LINE_RENTAL:
			if (rp_store_plan_get(pg->st, l->code, &p) == 0) {
				struct rp_str dn = rp_i18n_name(pg->lang, "dest",
				    p.destination, p.destination_name);
				const char *dk = rp_device_kind_name(p.device);
				struct rp_str dv = rp_i18n_name(pg->lang,
				    "device", dk, dk);
				char lab[300];

				snprintf(lab, sizeof(lab), "%.*s — %.*s %s",
				    (int)dn.n, dn.p, (int)dv.n, dv.p, p.tier);
				rp_tmpl_set_c(it, "name", lab);
			} else
				rp_tmpl_set_c(it, "name", l->code);
			break;
		case RP_ORDER_LINE_SHIPPING:
			rp_tmpl_set(it, "name", rp_i18n_str(pg->lang,
			    "quote.shipping"));
			break;
		default:
			if (rp_store_option_get(pg->st, l->code, &o) == 0)
				rp_tmpl_set(it, "name", rp_i18n_name(pg->lang,
				    "option", o.code, o.name));
			else
				rp_tmpl_set(it, "name", rp_i18n_name(pg->lang,
				    "option", l->code, l->code));
		}
		yen_format(l->unit_yen, y);
		rp_tmpl_set_c(it, "unit", y);
		rp_tmpl_set_u64(it, "qty", (uint64_t)l->quantity);
		rp_tmpl_set_u64(it, "days", (uint64_t)l->days);
		yen_format(l->amount_yen, y);
		rp_tmpl_set_c(it, "amount", y);
	}
	yen_format(q->subtotal_yen, y);
	rp_tmpl_set_c(qs, "subtotal", y);
	yen_format(q->tax_yen, y);
	rp_tmpl_set_c(qs, "tax", y);
	yen_format(q->total_yen, y);
	rp_tmpl_set_c(qs, "total", y);
}

/* Renders the order form with rq's values and errs (may be NULL). */
static int
order_form(struct page *pg, const struct rp_order_req *rq,
    const struct rp_order_errors *errs, unsigned status)
{
	if (choice_vars(pg, rq) != 0)
		return page_error(pg, 503);
	form_vars(pg, rq, errs);
	return page_render(pg, status, "order");
}

/* Answers 503 "temporarily unavailable" for RP_E_AGAIN, else 500. */
static int
unavailable(struct page *pg, int r)
{
	return page_error(pg, r == RP_E_AGAIN || r == RP_E_DB ? 503 : 500);
}

/* ---- handlers ----------------------------------------------------------- */

/* GET {home}plans?destination=&device=&tier= */
int
site_plans(struct rp_req *rq)
{
	struct rp_order_ctx ctx;
	struct rp_order_plan *plans = NULL;
	struct rp_tmpl_scope *it;
	struct rp_str dest, dev, tier;
	size_t n = 0, shown = 0, i, j;
	char price[32], seen[64][33];
	size_t nseen = 0;
	struct page pg;
	int r;

	if ((r = page_begin_gated(&pg, rq)) != 0)
		goto out;
	page_order_ctx(&pg, &ctx);
	dest = page_arg(&pg, "destination");
	dev = page_arg(&pg, "device");
	tier = page_arg(&pg, "tier");
	if ((r = rp_order_plans(&ctx, pg.site.tenant_id, RP_STR_NULL, &plans,
	    &n)) != 0) {
		r = unavailable(&pg, r);
		goto out;
	}
	for (i = 0; i < n; i++) {
		bool dup = false;

		for (j = 0; j < nseen; j++)
			dup |= strcmp(seen[j], plans[i].destination) == 0;
		if (!dup && nseen < RP_ARRAY_LEN(seen) &&
		    rp_tmpl_push(pg.root, "destinations", &it) == 0) {
			snprintf(seen[nseen++], sizeof(seen[0]), "%s",
			    plans[i].destination);
			rp_tmpl_set_c(it, "code", plans[i].destination);
			rp_tmpl_set(it, "name", rp_i18n_name(pg.lang, "dest",
			    plans[i].destination, plans[i].destination_name));
			rp_tmpl_set_bool(it, "selected", rp_str_eq_c(dest,
			    plans[i].destination));
		}
		if ((dest.n > 0 && !rp_str_eq_c(dest, plans[i].destination)) ||
		    (dev.n > 0 && !rp_str_eq_c(dev, plans[i].device)) ||
		    (tier.n > 0 && !rp_str_eq_c(tier, plans[i].tier)))
			continue;
		if (rp_tmpl_push(pg.root, "plans", &it) != 0)
			break;
		shown++;
		yen_format(plans[i].daily_yen, price);
		rp_tmpl_set_c(it, "code", plans[i].code);
		rp_tmpl_set(it, "dest", rp_i18n_name(pg.lang, "dest",
		    plans[i].destination, plans[i].destination_name));
		rp_tmpl_set(it, "device", rp_i18n_name(pg.lang, "device",
		    plans[i].device, plans[i].device));
		rp_tmpl_set_c(it, "tier", plans[i].tier);
		rp_tmpl_set_c(it, "price", price);
		rp_tmpl_set_bool(it, "corporate_price", plans[i].corporate_price);
	}
	rp_tmpl_set_bool(pg.root, "none", shown == 0);
	rp_tmpl_set_bool(pg.root, "dev_router", rp_str_eq_c(dev, "router"));
	rp_tmpl_set_bool(pg.root, "dev_sim", rp_str_eq_c(dev, "sim"));
	rp_tmpl_set_bool(pg.root, "dev_phone", rp_str_eq_c(dev, "phone"));
	rp_tmpl_set_bool(pg.root, "tier_500", rp_str_eq_c(tier, "500MB/day"));
	rp_tmpl_set_bool(pg.root, "tier_1g", rp_str_eq_c(tier, "1GB/day"));
	rp_tmpl_set_bool(pg.root, "tier_unl", rp_str_eq_c(tier, "unlimited"));
	r = page_render(&pg, 200, "plans");
 out:
	free(plans);
	page_end(&pg);
	return r < 0 ? r : 0;
}

/*
 * GET {home}quote?plan=&depart=&return=&opt=&pickup=...: the price of a
 * trip without the traveller; a form until the trip is complete.
 */
int
site_quote(struct rp_req *rq)
{
	struct rp_order_ctx ctx;
	struct rp_order_req orq;
	struct rp_order_errors errs;
	struct rp_order_quote q;
	struct page pg;
	int r;

	if ((r = page_begin_gated(&pg, rq)) != 0)
		goto out;
	page_order_ctx(&pg, &ctx);
	req_from_page(&pg, &orq);
	memset(&errs, 0, sizeof(errs));
	if (orq.depart.n > 0 || orq.ret.n > 0) {
		r = rp_order_quote(&ctx, pg.site.tenant_id, &orq, &q, &errs);
		if (r == 0)
			quote_vars(&pg, &q);
		else if (r != RP_E_INVAL && r != RP_E_FULL) {
			r = unavailable(&pg, r);
			goto out;
		}
	}
	if (choice_vars(&pg, &orq) != 0) {
		r = page_error(&pg, 503);
		goto out;
	}
	form_vars(&pg, &orq, &errs);
	r = page_render(&pg, 200, "quote");
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

/* GET {home}order?plan=...: the order form (prefilled from a quote). */
int
site_order_form(struct rp_req *rq)
{
	struct rp_order_req orq;
	struct page pg;
	int r;

	if ((r = page_begin_gated(&pg, rq)) != 0)
		goto out;
	req_from_page(&pg, &orq);
	r = order_form(&pg, &orq, NULL, 200);
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

/* Hidden fields repeating the validated request on the review page. */
static void
hidden_vars(struct page *pg, const struct rp_order_req *rq)
{
	struct rp_tmpl_scope *it;
	struct rp_str v;

	for (size_t i = 0; i < RP_ARRAY_LEN(text_fields); i++) {
		v = page_arg(pg, text_fields[i].name);
		if (v.n == 0 || rp_tmpl_push(pg->root, "hidden", &it) != 0)
			continue;
		rp_tmpl_set_c(it, "name", text_fields[i].name);
		rp_tmpl_set(it, "value", v);
	}
	if (rp_tmpl_push(pg->root, "hidden", &it) == 0) {
		rp_tmpl_set_c(it, "name", "qty");
		rp_tmpl_set_u64(it, "value", (uint64_t)rq->qty);
	}
	for (size_t i = 0; i < rq->n_options; i++)
		if (rp_tmpl_push(pg->root, "hidden", &it) == 0) {
			rp_tmpl_set_c(it, "name", "opt");
			rp_tmpl_set(it, "value", rq->options[i].code);
		}
}

/* What the review and confirmation pages show of the trip (no vault read:
 * the traveller's own input, echoed back to the browser that sent it). */
static void
review_vars(struct page *pg, const struct rp_order_req *rq)
{
	struct rp_tmpl_scope *r, *it;
	struct rp_counter c;
	char code[RP_STORE_CODE_MAX + 1];

	if (rp_tmpl_object(pg->root, "r", &r) != 0)
		return;
	rp_tmpl_set(r, "depart", rq->depart);
	rp_tmpl_set(r, "return", rq->ret);
	rp_tmpl_set(r, "name", rq->name);
	rp_tmpl_set(r, "kana", rq->kana);
	rp_tmpl_set(r, "email", rq->email);
	rp_tmpl_set(r, "phone", rq->phone);
	rp_tmpl_set(r, "postal_code", rq->postal_code);
	rp_tmpl_set(r, "address", rq->address);
	rp_tmpl_set(r, "department", rq->department);
	rp_tmpl_set(r, "employee_no", rq->employee_no);
	rp_tmpl_set(r, "cost_centre", rq->cost_centre);
	rp_tmpl_set_bool(r, "invoice", rp_str_eq_c(rq->billing, "invoice"));
	rp_tmpl_set_bool(r, "courier", rp_str_eq_c(rq->pickup, "courier"));
	rp_tmpl_set_bool(r, "ret_counter", rp_str_eq_c(rq->return_method,
	    "counter"));
	snprintf(code, sizeof(code), "%.*s", (int)(rq->pickup_counter.n <
	    sizeof(code) ? rq->pickup_counter.n : 0), rq->pickup_counter.p);
	if (code[0] && rp_store_counter_get(pg->st, code, &c) == 0)
		rp_tmpl_set(r, "pickup_counter", rp_i18n_name(pg->lang, "counter",
		    c.code, c.name));
	snprintf(code, sizeof(code), "%.*s", (int)(rq->return_counter.n <
	    sizeof(code) ? rq->return_counter.n : 0), rq->return_counter.p);
	if (code[0] && rp_store_counter_get(pg->st, code, &c) == 0)
		rp_tmpl_set(r, "return_counter", rp_i18n_name(pg->lang, "counter",
		    c.code, c.name));
	(void)it;
}

/* POST {home}order: validate; the form again with errors, or the review. */
int
site_order_post(struct rp_req *rq)
{
	struct rp_order_ctx ctx;
	struct rp_order_req orq;
	struct rp_order_errors errs, e2;
	struct rp_order_quote q;
	uint8_t raw[16];
	char idem[33];
	struct page pg;
	int r, v;

	if ((r = page_begin_gated(&pg, rq)) != 0)
		goto out;
	page_order_ctx(&pg, &ctx);
	req_from_page(&pg, &orq);
	if (page_arg(&pg, "edit").n > 0) {	/* "Edit" on the review page */
		r = order_form(&pg, &orq, NULL, 200);
		goto out;
	}
	v = rp_order_validate(&orq, time(NULL), pg.site.tenant_id > 0, &errs);
	r = rp_order_quote(&ctx, pg.site.tenant_id, &orq, &q, &e2);
	if (r != 0 && r != RP_E_INVAL && r != RP_E_FULL) {
		r = unavailable(&pg, r);
		goto out;
	}
	for (size_t i = 0; r != 0 && i < e2.n; i++)
		rp_order_err_add(&errs, e2.e[i].field, e2.e[i].code);
	if (r == RP_E_FULL) {		/* sold out: what is not */
		errs.n_alt = e2.n_alt;
		memcpy(errs.alt, e2.alt, sizeof(errs.alt));
	}
	check_domain(&pg, &orq, &errs);
	utf8_errors(&pg, &errs);
	if (v != 0 || r != 0 || errs.n > 0) {
		r = order_form(&pg, &orq, &errs, 422);
		goto out;
	}
	quote_vars(&pg, &q);
	review_vars(&pg, &orq);
	hidden_vars(&pg, &orq);
	if (!rp_str_eq_c(orq.billing, "invoice"))
		site_pay_vars(&pg);
	/* one key per review page: a double submit replays the first order */
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(idem, sizeof(idem), raw, sizeof(raw));
	rp_tmpl_set_c(pg.root, "idem", idem);
	/* and a nonce the identity holder keeps (never the core store): a
	 * double submit of this page gets a session on the order it placed */
	{
		uint8_t pr[32];
		char pn[RP_CUST_TOKEN_LEN + 1];

		randombytes_buf(pr, sizeof(pr));
		sodium_bin2base64(pn, sizeof(pn), pr, sizeof(pr),
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		rp_tmpl_set_c(pg.root, "placement", pn);
	}
	r = page_render(&pg, 200, "review");
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

/* Mail params (non-personal) and the queued message for a new order. */
static void
queue_confirmation(struct page *pg, const struct rp_order_view *ov)
{
	char total[32];

	yen_format(ov->total_yen, total);
	(void)site_mail_link(pg, ov, "order_confirmed", json_pack("{s:s, s:s, "
	    "s:s, s:s, s:s}", "order_number", ov->number, "plan", ov->plan,
	    "start_date", ov->depart, "end_date", ov->ret, "total", total), "");
}

/* POST {home}order/confirm: place the reviewed order. */
int
site_order_confirm(struct rp_req *rq)
{
	struct rp_order_ctx ctx;
	struct rp_order_req orq;
	struct rp_order_errors errs;
	struct rp_order_result res;
	struct rp_order_view ov;
	struct rp_str idem;
	struct page pg;
	int r;

	if ((r = page_begin_gated(&pg, rq)) != 0)
		goto out;
	page_order_ctx(&pg, &ctx);
	req_from_page(&pg, &orq);
	idem = page_arg(&pg, "idem");
	memset(&errs, 0, sizeof(errs));
	check_domain(&pg, &orq, &errs);
	if (errs.n > 0) {
		r = order_form(&pg, &orq, &errs, 422);
		goto out;
	}
	utf8_errors(&pg, &errs);
	if (errs.n > 0) {
		r = order_form(&pg, &orq, &errs, 422);
		goto out;
	}
	/*
	 * A double click sends two confirms at once: the second finds the
	 * first still placing (RP_E_AGAIN) and, a moment later, its result.
	 */
	for (int i = 0; i < 40; i++) {
		r = rp_order_place(&ctx, pg.site.tenant_id, pg.site.tenant_id > 0 ?
		    RP_CHANNEL_CORPORATE : RP_CHANNEL_PUBLIC, idem, &orq, &res,
		    &errs);
		if (r != RP_E_AGAIN || idem.n == 0)
			break;
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if ((r == RP_E_INVAL || r == RP_E_FULL) && errs.n > 0) {
		/* e.g. the counter's deadline passed while on the review page,
		 * or another traveller took the last unit */
		r = order_form(&pg, &orq, &errs, 422);
		goto out;
	}
	if (r == RP_E_EXISTS || r == RP_E_INVAL) {
		r = page_error(&pg, 400);
		goto out;
	}
	if (r != 0) {
		r = unavailable(&pg, r);
		goto out;
	}
	if ((r = rp_order_get(&ctx, pg.site.tenant_id, rp_str_c(res.number),
	    &ov)) != 0) {
		r = unavailable(&pg, r);
		goto out;
	}
	if (!res.replayed)
		queue_confirmation(&pg, &ov);
	/*
	 * The vault's receipt for the traveller it just stored opens the
	 * session on this order.  A replay (a double submit whose first
	 * answer the browser dropped) has none: the review page's nonce
	 * finds the order the first placed, once that one has its session.
	 */
	{
		struct rp_str pn = page_arg(&pg, "placement");
		const char *dir = rp_worker.conf->data_dir;
		char tok[RP_CUST_TOKEN_LEN + 1];

		if (pg.put.receipt.n > 0)
			r = rp_auth_client_receipt(dir,
			    (uint32_t)pg.site.tenant_id, pg.put.receipt.b,
			    pg.put.receipt.n, pn, tok);
		else
			for (int i = 0; i < 40; i++) {
				r = rp_auth_client_replay(dir,
				    (uint32_t)pg.site.tenant_id, pn, tok);
				if (r != RP_E_NOTFOUND || pn.n == 0)
					break;
				struct timespec ts = { 0, 50 * 1000 * 1000 };
				nanosleep(&ts, NULL);
			}
		if (r == 0)
			r = page_session_start(&pg, tok);
		sodium_memzero(tok, sizeof(tok));
		if (r == RP_E_AGAIN) {
			r = page_error(&pg, 503);
			goto out;
		}
		/* no session (an old form): the confirmation mail's link
		 * opens the order */
	}
	if (!res.replayed && strcmp(ov.status, "awaiting_payment") == 0)
		r = site_pay_authorize(&pg, ov.id, ov.number, ov.total_yen,
		    page_arg(&pg, "payment_token"));
	else
		r = page_redirect(&pg, "order/done");
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

/* GET {home}order/done: the session's order, no personal data. */
int
site_order_done(struct rp_req *rq)
{
	struct rp_order_ctx ctx;
	struct rp_order_view ov;
	char num[RP_CUST_ORDER_MAX + 1], total[32];
	struct page pg;
	int r;

	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	page_order_ctx(&pg, &ctx);
	if ((r = page_session(&pg, num)) == RP_E_AGAIN) {
		r = page_error(&pg, 503);	/* the identity holder is down */
		goto out;
	}
	if (r != 0 ||
	    rp_order_get(&ctx, pg.site.tenant_id, rp_str_c(num), &ov) != 0) {
		r = page_redirect(&pg, "my-order");
		goto out;
	}
	rp_tmpl_set_c(pg.root, "number", ov.number);
	{
		char sk[48];

		snprintf(sk, sizeof(sk), "status.%s", ov.status);
		rp_tmpl_set_c(pg.root, "status_key", sk);
	}
	yen_format(ov.total_yen, total);
	rp_tmpl_set_c(pg.root, "total", total);
	rp_tmpl_set_bool(pg.root, "awaiting", strcmp(ov.status,
	    "awaiting_payment") == 0);
	{
		struct rp_payment p;

		if (rp_store_payment_last(pg.st, ov.id, RP_PAY_AUTHORIZE, &p) == 0 &&
		    p.state == RP_PAY_DONE && p.brand[0] != '\0') {
			rp_tmpl_set_c(pg.root, "brand", p.brand);
			rp_tmpl_set_c(pg.root, "last4", p.last4);
		}
	}
	r = page_render(&pg, 200, "done");
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}
