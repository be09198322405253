/* SPDX-License-Identifier: ISC */
/*
 * paylink.h — the only part of rentport that talks to the payment agent
 * (the PSP; `rentport paysim` in development, docs/paysim.md) and the only
 * process holding its API secret and webhook secret.
 *
 * The sites and the API never call the agent: they record the money
 * operation they want in the payment outbox of the core store
 * (rp_store_payment_new: authorize when an order is placed, capture at
 * settlement, void on cancellation, refunds, charges on a saved card) and
 * wait for paylink to work it (rp_pay_wait).  paylink sends each row with
 * its deterministic Idempotency-Key; a timeout or a 5xx leaves the row
 * "unknown" and it is sent again with the SAME key, so the agent replays
 * its first answer instead of charging twice; it never mints a new key
 * for the same operation.  Webhooks are verified on the raw body
 * (HMAC-SHA256, `t=…,v1=…`), deduplicated by event id, and only make
 * paylink fetch the payment again before it changes any state.
 *
 * No card data passes here: the agent's single-use token id, its payment
 * and refund ids, and brand / last 4 / expiry as the agent returns them.
 */
#ifndef RP_PAYLINK_H
#define RP_PAYLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "store/store.h"
#include "util/str.h"

/* READY kind of the paylink child (the numbering of docs/access-log.md). */
#define RP_PAYLINK_KIND	6

struct rp_paylink;

/*
 * Every id the agent gives us (payments pay_…, refunds re_…, saved cards
 * cus_… / pm_…, events evt_…, and the browser's tok_…) is checked before
 * it is stored or put into a URL: 1 to RP_PAYLINK_ID_MAX of [A-Za-z0-9_]
 * (paysim issues "<prefix>_" + 24 lowercase alphanumerics, docs/paysim.md).
 * An id that does not pass is never cut to fit: the answer carrying it is
 * treated as no answer (the row stays unknown and is asked again).
 */
#define RP_PAYLINK_ID_MAX	64
bool rp_paylink_id_ok(struct rp_str id);

/* Where the agent is and where its secrets are (all borrowed). */
struct rp_paylink_conf {
	const char *data_dir;
	const char *agent_url;		/* "http://127.0.0.1:8093" */
	const char *secret_file;	/* API secret (sk_…) */
	const char *webhook_secret_file;	/* whsec_… */
	long timeout_ms;		/* per agent call; 0 → 10000 */
};

/* Opens the store and reads the secrets.  RP_E_IO / RP_E_INVAL / RP_E_DB. */
int rp_paylink_open(const struct rp_paylink_conf *c, struct rp_paylink **out)
    RP_WARN_UNUSED;
void rp_paylink_close(struct rp_paylink *pl);	/* NULL-safe; wipes secrets */

/*
 * Works the outbox once at now: every queued or unknown row that is due,
 * and rows waiting for the customer's 3-D Secure (asked again every few
 * seconds).  *done (may be NULL) gets how many rows reached an end state.
 * 0 or RP_E_DB.
 */
int rp_paylink_step(struct rp_paylink *pl, int64_t now, unsigned *done)
    RP_WARN_UNUSED;

/*
 * A webhook delivery: header is the agent's signature header
 * ("t=<unix>,v1=<hex>[,v1=…]"), body the raw bytes.  0 (applied, or a
 * duplicate ignored); RP_E_DENIED (bad or stale signature: answer 400 and
 * record a security event); RP_E_INVAL (malformed event).
 */
int rp_paylink_webhook(struct rp_paylink *pl, struct rp_str header,
    struct rp_str body, int64_t now) RP_WARN_UNUSED;

/*
 * Checks a signature header against secret over body at now (tolerance
 * 300 s into the past, 60 s into the future).  0 or RP_E_DENIED.
 */
int rp_paylink_sig_check(struct rp_str header, struct rp_str body,
    const char *secret, int64_t now) RP_WARN_UNUSED;
/* The header value for body at t (tests, paysim's counterpart). */
void rp_paylink_sig_make(struct rp_str body, const char *secret, int64_t t,
    char *out, size_t n);

/*
 * Development only: tells a sandbox agent (paysim) where to deliver
 * webhooks (POST /sandbox/webhook).  0, RP_E_AGAIN (agent not up yet),
 * RP_E_DENIED (a real agent: configure the endpoint there instead), or
 * RP_E_INVAL / RP_E_NOMEM / RP_E_TOOBIG (the request could not be built
 * exactly: nothing was sent).
 */
int rp_paylink_register_webhook(struct rp_paylink *pl, const char *url)
    RP_WARN_UNUSED;

/* `rentport pay show|capture|refund NUMBER ...` (cli.c). */
int rp_pay_cmd(const struct rp_conf *conf, int argc, char **argv);

/* `paylink` as a child of `rentport serve`: the outbox loop and the webhook
 * receiver on paylink_addr:paylink_port.  Returns the exit status. */
int rp_paylink_main(const struct rp_conf *conf, int parent_fd);

/*
 * The payment agent's base URL (pay_agent_url, or the local paysim) and
 * its origin ("http://127.0.0.1:8093": no path) — public values the sites
 * use for the hosted card field, the CSP and the 3-D Secure redirect.
 */
void rp_pay_agent_url(const struct rp_conf *conf, char *out, size_t n);
void rp_pay_agent_origin(const struct rp_conf *conf, char *out, size_t n);

/*
 * For the sites and the API (no secret needed): waits up to timeout_ms for
 * payment row id to leave "queued"/"unknown" and gives its last state in
 * *p.  0 (state reached: done, failed or action); RP_E_AGAIN (still
 * pending: paylink or the agent is slow or down — the order stays awaiting
 * payment and paylink keeps trying).
 */
int rp_pay_wait(struct rp_store *st, int64_t id, long timeout_ms,
    struct rp_payment *p) RP_WARN_UNUSED;

#endif
