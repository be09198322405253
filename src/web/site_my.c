/* SPDX-License-Identifier: ISC */
/*
 * site_my.c — "my order": travellers have no passwords.  A one-time link
 * e-mailed to the address on the order (on placing it, or on request by
 * order number) opens a browser session bound to that one order on that
 * one site; in it the traveller sees the order (the only page that reads
 * personal data back from the vault: public_web / corporate_web, purpose
 * "order_view", scoped to the session's order number — an access-log
 * entry per view), changes dates or options until the deadline, cancels
 * (the fee by policy, shown first) and prints a receipt.
 *
 * Opening a link is a POST from a page the GET shows, so a mail scanner
 * that fetches every link does not use the traveller's one-time link.
 */
#include "util/common.h"

#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "mail/mail.h"
#include "order/order.h"
#include "util/log.h"
#include "vault/vault.h"
#include "web/conns.h"
#include "web/i18n.h"
#include "web/site.h"

#define FIELD(i)	(1u << (i))

/* The session's order on this site: 0 and *ov; RP_E_NOTFOUND if none. */
static int
session_view(struct page *pg, struct rp_order_view *ov)
{
	struct rp_order_ctx ctx;
	char num[RP_CUST_ORDER_MAX + 1];
	int r;

	memset(ov, 0, sizeof(*ov));
	page_order_ctx(pg, &ctx);
	if ((r = page_session(pg, num)) != 0)
		return r;
	return rp_order_get(&ctx, pg->site.tenant_id, rp_str_c(num), ov);
}

/*
 * Reads the traveller of ov from the vault for this page (logged), under
 * the session's capability: the vault takes role, tenant, order and the
 * principal from it, not from the fields written here.
 */
static int
read_person(struct page *pg, const struct rp_order_view *ov, uint32_t mask,
    struct rp_vault_record *rec)
{
	struct rp_vault_caller c;
	int r;

	if (!pg->have_trav || pg->trav.cap_len > sizeof(c.cap))
		return RP_E_DENIED;
	if ((r = rp_vault_caller_init(&c, pg->site.tenant_id > 0 ?
	    "corporate_web" : "public_web", "web", "traveller",
	    "order_view")) != 0)
		return r;
	c.tenant = (uint32_t)pg->site.tenant_id;
	snprintf(c.scope_order, sizeof(c.scope_order), "%s", ov->number);
	sodium_hex2bin(c.request_id, sizeof(c.request_id), pg->rq->id,
	    strlen(pg->rq->id), NULL, NULL, NULL);
	memcpy(c.cap, pg->trav.cap, pg->trav.cap_len);
	c.cap_len = (uint32_t)pg->trav.cap_len;
	r = rp_web_vault_get(&c, (uint64_t)ov->person_id, mask, rec);
	sodium_memzero(c.cap, sizeof(c.cap));
	return r;
}

/* Order values (no personal data) under "o". */
static void
order_vars(struct page *pg, const struct rp_order_view *ov)
{
	struct rp_tmpl_scope *o, *it;
	struct rp_option opt;
	struct rp_counter c;
	struct rp_plan p;
	char y[32], key[64];

	if (rp_tmpl_object(pg->root, "o", &o) != 0)
		return;
	rp_tmpl_set_c(o, "number", ov->number);
	snprintf(key, sizeof(key), "status.%s", ov->status);
	rp_tmpl_set_c(o, "status_key", key);
	rp_tmpl_set_c(o, "order_date", ov->order_date);
	rp_tmpl_set_c(o, "depart", ov->depart);
	rp_tmpl_set_c(o, "return", ov->ret);
	rp_tmpl_set_u64(o, "qty", (uint64_t)ov->qty);
	if (rp_store_plan_get(pg->st, ov->plan, &p) == 0) {
		struct rp_str dn = rp_i18n_name(pg->lang, "dest",
		    p.destination, p.destination_name);
		char lab[300];

		struct rp_str dev = rp_i18n_name(pg->lang, "device",
		    rp_device_kind_name(p.device), rp_device_kind_name(p.device));

		snprintf(lab, sizeof(lab), "%.*s — %.*s %s", (int)dn.n, dn.p,
		    (int)dev.n, dev.p, p.tier);
		rp_tmpl_set_c(o, "plan", lab);
	}
	rp_tmpl_set_bool(o, "courier", strcmp(ov->pickup, "courier") == 0);
	if (ov->pickup_counter[0] &&
	    rp_store_counter_get(pg->st, ov->pickup_counter, &c) == 0) {
		rp_tmpl_set(o, "pickup_counter", rp_i18n_name(pg->lang,
		    "counter", c.code, c.name));
	}
	snprintf(key, sizeof(key), "return.%s", ov->return_method);
	rp_tmpl_set_c(o, "return_key", key);
	for (size_t i = 0; i < ov->n_options; i++) {
		if (rp_tmpl_push(o, "options", &it) != 0)
			break;
		if (rp_store_option_get(pg->st, ov->options[i].code, &opt) == 0)
			rp_tmpl_set(it, "name", rp_i18n_name(pg->lang,
			    "option", opt.code, opt.name));
	}
	yen_format(ov->subtotal_yen, y);
	rp_tmpl_set_c(o, "subtotal", y);
	yen_format(ov->tax_yen, y);
	rp_tmpl_set_c(o, "tax", y);
	yen_format(ov->total_yen, y);
	rp_tmpl_set_c(o, "total", y);
	rp_tmpl_set_c(o, "employee_no", ov->employee_no);
	rp_tmpl_set_c(o, "cost_centre", ov->cost_centre);
	rp_tmpl_set_bool(o, "invoice", strcmp(ov->billing, "invoice") == 0);
	rp_tmpl_set_bool(o, "can_change", ov->can_change);
	rp_tmpl_set_bool(o, "can_cancel", ov->can_cancel);
	rp_tmpl_set_bool(o, "cancelled", strcmp(ov->status, "cancelled") == 0);
	rp_tmpl_set_bool(o, "awaiting", strcmp(ov->status, "awaiting_payment") == 0);
}

static void
person_vars(struct page *pg, const struct rp_vault_record *rec)
{
	static const char *const names[] = { "name", "kana", "email", "phone",
	    "postal_code", "address", "company", "department" };
	struct rp_tmpl_scope *p;

	if (rp_tmpl_object(pg->root, "p", &p) != 0)
		return;
	for (size_t i = 0; i < RP_ARRAY_LEN(names); i++)
		if (rec->f[i].n > 0)
			rp_tmpl_set(p, names[i], rec->f[i]);
}

static uint32_t
view_mask(const struct page *pg)
{
	/* bit i is field i (vault.h; entry.h's RP_FIELD_* clash with store.h) */
	uint32_t m = FIELD(RP_VF_NAME) | FIELD(RP_VF_KANA) | FIELD(RP_VF_EMAIL) |
	    FIELD(RP_VF_PHONE) | FIELD(RP_VF_POSTAL_CODE) | FIELD(RP_VF_ADDRESS);

	if (pg->site.tenant_id > 0)
		m |= FIELD(RP_VF_COMPANY) | FIELD(RP_VF_DEPARTMENT);
	return m;
}

/* Queues mail kind for ov (params: non-personal values; link optional). */
static void
queue_mail(struct page *pg, const struct rp_order_view *ov, const char *kind,
    json_t *params, const char *dedupe)
{
	struct rp_mail_outbox *ob = rp_web_outbox();
	char *s = json_dumps(params, JSON_COMPACT);
	const char *lang = ov->lang[0] ? ov->lang : rp_lang_tag(pg->lang);
	uint64_t id;

	if (ob == NULL || s == NULL || rp_mail_enqueue(ob, kind, lang,
	    ov->number, (uint64_t)ov->person_id, s, dedupe, time(NULL), &id,
	    NULL) != 0)
		rp_log_error("site: order %s: %s mail not queued", ov->number,
		    kind);
	if (s != NULL) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
	json_decref(params);
}

int
site_mail_link(struct page *pg, const struct rp_order_view *ov,
    const char *kind, json_t *params, const char *dedupe)
{
	struct rp_mail_outbox *ob = rp_web_outbox();
	const char *lang = ov->lang[0] ? ov->lang : rp_lang_tag(pg->lang);
	const char *dir = rp_worker.conf->data_dir;
	char sealed[RP_LINKSEAL_MAX + 1], sid[RP_AUTH_SID_HEX + 1];
	int64_t now = time(NULL);
	bool created = false, have = false;
	char *s = NULL;
	uint64_t id;
	int r;

	if (ob == NULL || params == NULL) {
		r = RP_E_STATE;
		goto out;
	}
	/* The link is made and sealed by the identity holder for the mail
	 * sender: this worker never holds it in the clear. */
	if ((r = rp_auth_client_link_new(dir, (uint32_t)pg->site.tenant_id,
	    ov->number, pg->site.base_url, sealed, sid)) != 0)
		goto out;
	have = true;
	if (json_object_set_new(params, "link_sealed", json_string(sealed)) != 0 ||
	    (s = json_dumps(params, JSON_COMPACT)) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	r = rp_mail_enqueue(ob, kind, lang, ov->number, (uint64_t)ov->person_id,
	    s, dedupe, now, &id, &created);
	if (r == 0 && !created)
		r = RP_E_EXISTS;	/* already sent (dedupe): no new link */
 out:
	/* queued: the new link supersedes the older ones; not: it is void */
	if (have && rp_auth_client_link_settle(dir,
	    (uint32_t)pg->site.tenant_id, ov->number, sid, r == 0) != 0)
		rp_log_error("site: order %s: a link not settled", ov->number);
	if (r != 0 && r != RP_E_EXISTS)
		rp_log_error("site: order %s: %s mail not queued (%s)",
		    ov->number, kind, rp_strerror(r));
	if (s != NULL) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
	json_decref(params);
	return r;
}

/* ---- handlers ----------------------------------------------------------- */

/* GET {home}my-order */
int
site_my(struct rp_req *rq)
{
	struct rp_vault_record rec;
	struct rp_order_view ov;
	struct page pg;
	int r;

	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	rp_tmpl_set_bool(pg.root, "sent", page_arg(&pg, "sent").n > 0);
	rp_tmpl_set_bool(pg.root, "changed", page_arg(&pg, "changed").n > 0);
	rp_tmpl_set_bool(pg.root, "was_cancelled",
	    page_arg(&pg, "cancelled").n > 0);
	if ((r = session_view(&pg, &ov)) != 0) {
		if (r == RP_E_AGAIN) {	/* the identity holder is down */
			r = page_error(&pg, 503);
			goto out;
		}
		r = page_render(&pg, 200, "my_order");
		goto out;
	}
	if ((r = read_person(&pg, &ov, view_mask(&pg), &rec)) != 0) {
		r = page_error(&pg, r == RP_E_AGAIN ? 503 : 403);
		goto out;
	}
	order_vars(&pg, &ov);
	person_vars(&pg, &rec);
	rp_vault_record_release(&rec);
	r = page_render(&pg, 200, "my_order");
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

/*
 * POST {home}my-order/link (number): e-mails a new link to the address on
 * the order, if this site has such an order.  The answer is the same
 * either way (no way to probe for order numbers), and at most one link
 * per order per hour is sent (the outbox's dedupe key).
 */
int
site_my_link(struct rp_req *rq)
{
	struct rp_order_ctx ctx;
	struct rp_order_view ov;
	char exp[32], hour[32];
	struct rp_str num;
	struct page pg;
	int64_t now = time(NULL);
	struct tm tm;
	time_t t;
	int r;

	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	page_order_ctx(&pg, &ctx);
	num = rp_str_trim(page_arg(&pg, "number"));
	if (num.n > 0 && rp_order_get(&ctx, pg.site.tenant_id, num, &ov) == 0) {
		snprintf(hour, sizeof(hour), "link-%lld", (long long)(now / 3600));
		t = (time_t)(now + RP_CUST_LINK_TTL);
		gmtime_r(&t, &tm);
		strftime(exp, sizeof(exp), "%Y-%m-%d %H:%M UTC", &tm);
		/* a token only if this request queues a mail (the answer is
		 * the same either way) */
		(void)site_mail_link(&pg, &ov, "my_order_link", json_pack(
		    "{s:s, s:s}", "order_number", ov.number, "expires", exp),
		    hour);
	}
	r = page_redirect(&pg, "my-order?sent=1");
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

/* GET {home}my-order/open?t=: a button that opens the order (POST). */
int
site_my_open(struct rp_req *rq)
{
	struct rp_str t;
	struct page pg;
	int r;

	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	t = page_arg(&pg, "t");
	if (t.n != RP_CUST_TOKEN_LEN) {
		r = page_redirect(&pg, "my-order");
		goto out;
	}
	rp_tmpl_set(pg.root, "token", t);
	r = page_render(&pg, 200, "my_open");
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

/* POST {home}my-order/open (t): uses the one-time link, starts the session. */
int
site_my_open_post(struct rp_req *rq)
{
	char tok[RP_CUST_TOKEN_LEN + 1], num[RP_CUST_ORDER_MAX + 1];
	struct page pg;
	int r;

	tok[0] = '\0';
	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	/* another site's link is not used up here; of two racing uses of
	 * one link one wins; the order's other links end with it */
	r = rp_auth_client_link_open(rp_worker.conf->data_dir,
	    (uint32_t)pg.site.tenant_id, page_arg(&pg, "t"), 1, tok, num);
	if (r == RP_E_AGAIN) {
		r = page_error(&pg, 503);
		goto out;
	}
	if (r != 0) {
		rp_tmpl_set_bool(pg.root, "link_invalid", true);
		r = page_render(&pg, 410, "my_order");
		goto out;
	}
	if (page_session_start(&pg, tok) != 0) {
		r = page_error(&pg, 503);
		goto out;
	}
	r = page_redirect(&pg, "my-order");
 out:
	sodium_memzero(tok, sizeof(tok));
	page_end(&pg);
	return r < 0 ? r : 0;
}

/* The change form with ch's values (or the order's) and errors. */
static int
change_form(struct page *pg, const struct rp_order_view *ov,
    const struct rp_order_errors *errs, bool from_form, unsigned status)
{
	struct rp_option *opts = NULL;
	struct rp_tmpl_scope *it, *v, *e;
	size_t n = 0, i, j;
	const char *code;
	char key[64], y[32];
	int r;

	order_vars(pg, ov);
	if ((r = rp_store_option_list(pg->st, &opts, &n)) != 0)
		return page_error(pg, 503);
	if (rp_tmpl_object(pg->root, "v", &v) != 0 ||
	    rp_tmpl_object(pg->root, "e", &e) != 0) {
		free(opts);
		return page_error(pg, 500);
	}
	rp_tmpl_set(v, "depart", from_form ? page_arg(pg, "depart") :
	    rp_str_c(ov->depart));
	rp_tmpl_set(v, "return", from_form ? page_arg(pg, "return") :
	    rp_str_c(ov->ret));
	for (i = 0; errs != NULL && i < errs->n; i++) {
		code = errs->e[i].code;
		snprintf(key, sizeof(key), "err.code.%s", code);
		rp_tmpl_set_c(e, rp_order_field_name(errs->e[i].field), key);
	}
	rp_tmpl_set_bool(pg->root, "errors", errs != NULL && errs->n > 0);
	if (errs != NULL)
		site_alt_vars(pg, errs);
	for (i = 0; i < n; i++) {
		bool on = false;

		if (from_form) {
			for (j = 0; j < pg->form.n; j++)
				on |= rp_str_eq_c(pg->form.f[j].key, "opt") &&
				    rp_str_eq_c(pg->form.f[j].value, opts[i].code);
		} else
			for (j = 0; j < ov->n_options; j++)
				on |= strcmp(ov->options[j].code, opts[i].code) == 0;
		if (rp_tmpl_push(pg->root, "options", &it) != 0)
			break;
		rp_tmpl_set_c(it, "code", opts[i].code);
		rp_tmpl_set(it, "name", rp_i18n_name(pg->lang, "option",
		    opts[i].code, opts[i].name));
		yen_format(opts[i].daily_yen, y);
		rp_tmpl_set_c(it, "price", y);
		rp_tmpl_set_bool(it, "checked", on);
	}
	free(opts);
	return page_render(pg, status, "change");
}

/* GET {home}my-order/change */
int
site_my_change(struct rp_req *rq)
{
	struct rp_order_view ov;
	struct page pg;
	int r;

	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	if ((r = session_view(&pg, &ov)) != 0) {
		if (r == RP_E_AGAIN) {	/* the identity holder is down */
			r = page_error(&pg, 503);
			goto out;
		}
		r = page_redirect(&pg, "my-order");
		goto out;
	}
	if (!ov.can_change)
		rp_tmpl_set_bool(pg.root, "closed", true);
	r = change_form(&pg, &ov, NULL, false, 200);
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

/* POST {home}my-order/change (depart, return, opt...) */
int
site_my_change_post(struct rp_req *rq)
{
	struct rp_order_change_req ch;
	struct rp_order_errors errs;
	struct rp_order_result res;
	struct rp_order_view ov, nv;
	struct rp_order_ctx ctx;
	struct page pg;
	char total[32], dedupe[48];
	size_t i;
	int r;

	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	if ((r = session_view(&pg, &ov)) != 0) {
		if (r == RP_E_AGAIN) {	/* the identity holder is down */
			r = page_error(&pg, 503);
			goto out;
		}
		r = page_redirect(&pg, "my-order");
		goto out;
	}
	page_order_ctx(&pg, &ctx);
	memset(&ch, 0, sizeof(ch));
	memset(&errs, 0, sizeof(errs));
	ch.depart = page_arg(&pg, "depart");
	ch.ret = page_arg(&pg, "return");
	ch.set_options = true;
	for (i = 0; i < pg.form.n; i++)
		if (rp_str_eq_c(pg.form.f[i].key, "opt")) {
			if (ch.n_options == RP_ORDER_REQ_OPTIONS) {
				rp_order_err_add(&errs, RP_OF_OPTIONS, "too_many");
				break;
			}
			ch.options[ch.n_options].code = pg.form.f[i].value;
			ch.options[ch.n_options++].qty = 1;
		}
	if (errs.n == 0)
		r = rp_order_change(&ctx, pg.site.tenant_id, rp_str_c(ov.number),
		    &ch, &res, &errs);
	else
		r = RP_E_INVAL;
	if (r == RP_E_INVAL || r == RP_E_FULL) {
		r = change_form(&pg, &ov, &errs, true, 422);
		goto out;
	}
	if (r == RP_E_DENIED || r == RP_E_STATE) {
		rp_tmpl_set_bool(pg.root, "closed", true);
		r = change_form(&pg, &ov, NULL, true, 409);
		goto out;
	}
	if (r != 0 || rp_order_get(&ctx, pg.site.tenant_id,
	    rp_str_c(ov.number), &nv) != 0) {
		r = page_error(&pg, 503);
		goto out;
	}
	yen_format(nv.total_yen, total);
	snprintf(dedupe, sizeof(dedupe), "change-%lld", (long long)nv.updated_at);
	(void)site_mail_link(&pg, &nv, "order_changed", json_pack("{s:s, s:s, "
	    "s:s, s:s, s:s}", "order_number", nv.number, "plan", nv.plan,
	    "start_date", nv.depart, "end_date", nv.ret, "total", total),
	    dedupe);
	r = page_redirect(&pg, "my-order?changed=1");
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

/* GET {home}my-order/cancel: the fee, then a confirm button. */
int
site_my_cancel(struct rp_req *rq)
{
	struct rp_order_view ov;
	struct rp_order_ctx ctx;
	struct page pg;
	int64_t fee = 0;
	char y[32];
	int r;

	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	if ((r = session_view(&pg, &ov)) != 0) {
		if (r == RP_E_AGAIN) {	/* the identity holder is down */
			r = page_error(&pg, 503);
			goto out;
		}
		r = page_redirect(&pg, "my-order");
		goto out;
	}
	page_order_ctx(&pg, &ctx);
	order_vars(&pg, &ov);
	if (rp_order_cancel_fee(&ctx, pg.site.tenant_id, rp_str_c(ov.number),
	    &fee) != 0)
		rp_tmpl_set_bool(pg.root, "closed", true);
	yen_format(fee, y);
	rp_tmpl_set_c(pg.root, "fee", y);
	rp_tmpl_set_bool(pg.root, "free", fee == 0);
	r = page_render(&pg, 200, "cancel");
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

/* POST {home}my-order/cancel */
int
site_my_cancel_post(struct rp_req *rq)
{
	struct rp_order_view ov;
	struct rp_order_ctx ctx;
	struct page pg;
	int64_t fee = 0;
	char y[32];
	int r;

	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	if ((r = session_view(&pg, &ov)) != 0) {
		if (r == RP_E_AGAIN) {	/* the identity holder is down */
			r = page_error(&pg, 503);
			goto out;
		}
		r = page_redirect(&pg, "my-order");
		goto out;
	}
	page_order_ctx(&pg, &ctx);
	r = rp_order_cancel(&ctx, pg.site.tenant_id, rp_str_c(ov.number), &fee);
	if (r == RP_E_STATE) {
		order_vars(&pg, &ov);
		rp_tmpl_set_bool(pg.root, "closed", true);
		r = page_render(&pg, 409, "cancel");
		goto out;
	}
	if (r != 0) {
		r = page_error(&pg, 503);
		goto out;
	}
	site_pay_on_cancel(&pg, ov.id, fee);
	yen_format(fee, y);
	queue_mail(&pg, &ov, "order_cancelled", json_pack("{s:s, s:s}",
	    "order_number", ov.number, "fee", y), "cancel");
	r = page_redirect(&pg, "my-order?cancelled=1");
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}

/* GET {home}my-order/receipt */
int
site_my_receipt(struct rp_req *rq)
{
	struct rp_vault_record rec;
	struct rp_order_view ov;
	struct page pg;
	int r;

	if ((r = page_begin(&pg, rq)) != 0)
		goto out;
	if ((r = session_view(&pg, &ov)) != 0) {
		if (r == RP_E_AGAIN) {	/* the identity holder is down */
			r = page_error(&pg, 503);
			goto out;
		}
		r = page_redirect(&pg, "my-order");
		goto out;
	}
	if ((r = read_person(&pg, &ov, FIELD(RP_VF_NAME), &rec)) != 0) {
		r = page_error(&pg, r == RP_E_AGAIN ? 503 : 403);
		goto out;
	}
	order_vars(&pg, &ov);
	person_vars(&pg, &rec);
	rp_vault_record_release(&rec);
	r = page_render(&pg, 200, "receipt");
 out:
	page_end(&pg);
	return r < 0 ? r : 0;
}
