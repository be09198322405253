/* SPDX-License-Identifier: ISC */
/*
 * site.h — the ordering sites (folder-internal): the public site at "/"
 * and one site per corporate client at "/c/{slug}/" and on its own host
 * name "{slug}.<public host>" ({slug}.localhost in development).
 *
 * Every page handler starts with site_begin(), which decides the site
 * from the route's {slug} and the Host header, never from anything else
 * the client says: a {slug} that does not exist, or that disagrees with
 * the host's, is 404.  Everything a page then reads (plans and prices,
 * orders, sessions, links, access passes) is looked up with the site's
 * tenant id, so one client's site cannot reach another's data (tenant
 * isolation).  Pages are rendered only through the template layer
 * (tmpl.h); every form carries the CSRF token and every POST is checked
 * before its handler runs.
 *
 * Personal data: the sites write it to the vault (order service) and read
 * it back only on "my order" and the receipt, as public_web or
 * corporate_web with purpose "order_view" for the session's own order —
 * each read is an access-log entry.  Nothing personal is logged, put in a
 * URL or kept in a cookie.
 */
#ifndef RP_WEB_SITE_H
#define RP_WEB_SITE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "auth/client.h"
#include "order/order.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/pwhash.h"
#include "web/conns.h"
#include "web/csrf.h"
#include "web/decode.h"
#include "web/pages.h"
#include "web/request.h"
#include "web/tmpl.h"

#define SITE_MAX_DOMAINS	8

struct site {
	int64_t tenant_id;		/* 0: the public site */
	struct rp_tenant t;		/* the tenant (corporate) */
	char home[48];			/* "/" or "/c/<slug>/" */
	char origin[300];		/* this request's own origin */
	char base_url[300];		/* absolute site root for mail links */
	bool invoice;			/* may bill by monthly invoice */
	/* from the tenant's settings */
	char primary[8], accent[8];	/* "#rrggbb" or "" */
	char logo_text[128];
	/* argon2id string of the access code, "" (none) or "!locked" */
	char access_hash[RP_PWHASH_STR_MAX];
	char access_fp[RP_PWHASH_FP_LEN + 1];	/* passes are bound to it */
	size_t ndomains;
	char domains[SITE_MAX_DOMAINS][64];	/* allowed e-mail domains */
};

/* One page being answered. */
struct page {
	struct rp_req *rq;
	struct rp_store *st;
	struct site site;
	enum rp_lang lang;
	struct rp_cookies ck;
	char csrf[RP_CSRF_TOKEN_LEN + 1];
	bool csrf_new;			/* send a Set-Cookie for it */
	struct rp_buf set_cookie[3];	/* extra Set-Cookie values */
	size_t nset;
	struct rp_tmpl_vars *v;
	struct rp_tmpl_scope *root;
	struct rp_form form;		/* the POST body (empty for GET) */
	struct rp_form query;
	unsigned retry_after;		/* > 0: sent as Retry-After (a 429) */
	/* the traveller's session (page_session): its order and the
	 * identity holder's capability on it */
	struct rp_auth_traveller trav;
	bool have_trav;
	struct rp_web_put put;		/* the order service's vault hook */
};

/*
 * Starts a page: resolves the site (404 for an unknown or mismatched one),
 * the language, the CSRF token, the template values common to every page;
 * for POST, decodes the form (400) and checks CSRF (403).  0 to go on; 1
 * when an answer has been sent; < 0 on a failure to answer.  Always pair
 * with page_end().
 */
int page_begin(struct page *pg, struct rp_req *rq);
/* page_begin, then a corporate site's access code: without the pass, a
 * redirect to the site's home (returns 1). */
int page_begin_gated(struct page *pg, struct rp_req *rq);
void page_end(struct page *pg);
/* The order service's context for this page (store, vault hook, actor). */
void page_order_ctx(struct page *pg, struct rp_order_ctx *ctx);

/* Renders template name with the page's values and answers status. */
int page_render(struct page *pg, unsigned status, const char *name);
/* 303 See Other to the site-relative path rel (after home). */
int page_redirect(struct page *pg, const char *rel);
/* 303 See Other to an absolute URL the caller has checked. */
int page_redirect_to(struct page *pg, const char *url);
/* The site's error page for status (404, 403, 503, ...). */
int page_error(struct page *pg, unsigned status);
/* Adds a Set-Cookie value (see rp_cookie_set). */
int page_cookie(struct page *pg, const char *name, struct rp_str value,
    long max_age);

/* The form field (POST) or query parameter (GET) name, or an empty view. */
struct rp_str page_arg(const struct page *pg, const char *name);

/*
 * The corporate site's access pass: true when the site has no access code
 * or the browser has passed it.
 */
bool page_access_ok(struct page *pg);

/*
 * Sold out: errs' alternatives under "alts" (where: the counter's local
 * name or courier delivery; plan; device; available) and "alts_any".
 */
struct rp_order_errors;
void site_alt_vars(struct page *pg, const struct rp_order_errors *errs);

/* "12,345" into out. */
void yen_format(int64_t yen, char out[32]);

/*
 * The "my order" session of this site (the cookie, asked of the identity
 * holder): 0 with the order number in num and pg->trav; RP_E_NOTFOUND
 * (none, expired, another site's), RP_E_AGAIN (the identity holder is
 * down).
 */
int page_session(struct page *pg, char num[RP_CUST_ORDER_MAX + 1]);
/* Sets the session cookie to tok (from the identity holder). */
int page_session_start(struct page *pg, const char *tok);

/*
 * Queues mail kind for ov (params: a JSON object of non-personal values,
 * consumed; NULL fails) with a new one-time "my order" link added as
 * "link".  The link exists only if the mail is queued: when the outbox
 * queues nothing (dedupe already sent: RP_E_EXISTS; an error) the token
 * is revoked again.  A queued link retires the order's older unused links
 * on this site.  0 when a mail with a new link was queued.
 */
int site_mail_link(struct page *pg, const struct rp_order_view *ov,
    const char *kind, json_t *params, const char *dedupe);

/* Handlers (site.c, site_order.c, site_my.c). */
int site_home(struct rp_req *rq);
int site_brand_css(struct rp_req *rq);
int site_access(struct rp_req *rq);
int site_plans(struct rp_req *rq);
int site_quote(struct rp_req *rq);
int site_order_form(struct rp_req *rq);
int site_order_post(struct rp_req *rq);
int site_order_confirm(struct rp_req *rq);
int site_order_done(struct rp_req *rq);
int site_my(struct rp_req *rq);
int site_my_link(struct rp_req *rq);
int site_my_open(struct rp_req *rq);
int site_my_open_post(struct rp_req *rq);
int site_my_change(struct rp_req *rq);
int site_my_change_post(struct rp_req *rq);
int site_my_cancel(struct rp_req *rq);
int site_my_cancel_post(struct rp_req *rq);
int site_my_receipt(struct rp_req *rq);
int site_order_paid(struct rp_req *rq);
int site_my_pay(struct rp_req *rq);
int site_my_pay_post(struct rp_req *rq);

/* The card step (site_pay.c). */
/* Sets the hosted card field's values (pay.frame, pay.origin) or pay_off. */
void site_pay_vars(struct page *pg);
/* Authorizes total for the order with the browser's token and answers the
 * browser (confirmation, 3-D Secure, or the pay page with the decline). */
int site_pay_authorize(struct page *pg, int64_t order_id, const char *number,
    int64_t total, struct rp_str token);
/* After a cancellation: void the authorization, or capture the fee. */
void site_pay_on_cancel(struct page *pg, int64_t order_id, int64_t fee_yen);

#endif
