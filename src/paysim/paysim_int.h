/* SPDX-License-Identifier: ISC */
/*
 * paysim_int.h — internals shared by paysim's own files: the sandbox
 * state (one SQLite connection behind one mutex), the card vault, the
 * webhook sender and the HTTP layer.  Other folders use paysim.h.
 *
 *   card.c    test cards, secrets and the encrypted card store
 *   db.c      SQLite schema and small helpers
 *   api.c     /v1: tokens, payments, captures, cancels, refunds, terminal
 *   hosted.c  /hosted: 3-D Secure page, card field, terminal page
 *   hook.c    signed webhooks: the delivery thread, retries, chaos
 *   http.c    the HTTP server, routing, idempotency, faults, /sandbox,
 *             the process
 */
#ifndef RP_PAYSIM_INT_H
#define RP_PAYSIM_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "paysim/paysim.h"

struct MHD_Daemon;
struct rp_httpd;

#define RP_PAYSIM_HOLD_S	(7 * 86400)	/* authorisation hold */
#define RP_PAYSIM_HOOK_TRIES	8		/* deliveries per event */
#define RP_PAYSIM_MAX_RESP	(256 * 1024)
#define RP_PAYSIM_SECRET_LEN	56		/* longest secret string */

/* What a test card does (payments.md §7). */
enum rp_paysim_behave {
	RP_CARD_OK,
	RP_CARD_DECLINE,		/* decline with code/decline_code */
	RP_CARD_3DS_OK,			/* challenge, then authorised */
	RP_CARD_3DS_DECLINE,		/* challenge, then card_declined */
	RP_CARD_MIT_FAIL,		/* attaches; merchant-initiated fails */
};

struct rp_paysim_card {
	const char *pan;
	const char *name;		/* terminal page choice */
	const char *brand;
	enum rp_paysim_behave behave;
	const char *code;		/* RP_CARD_DECLINE */
	const char *decline_code;
	const char *message;
};

/* The test card with this PAN, or NULL (not a sandbox card). */
const struct rp_paysim_card *rp_paysim_card_find(const char *pan);
/* The test card table (for the terminal page). */
const struct rp_paysim_card *rp_paysim_cards(size_t *n);

struct rp_paysim {
	const struct rp_conf *conf;	/* borrowed */
	char dir[RP_CONF_PATH_MAX + 16];	/* DATA/paysim */
	char origin[128];		/* http://ADDR:PORT (after bind) */
	pthread_mutex_t mu;		/* guards db and everything below */
	sqlite3 *db;
	int64_t clock_offset;		/* sandbox clock − real clock, s */
	/* faults: counts of the next /v1 calls affected */
	int64_t f_drop, f_slow, f_slow_ms, f_status, f_status_code;
	/* chaos */
	double c_dup;
	int64_t c_delay_min, c_delay_max;
	bool c_reorder;
	char hook_url[RP_PAYSIM_MAX_URL + 1];
	/* secrets (sodium_malloc'd, NUL-terminated strings) */
	char *sk, *pk, *whsec;
	unsigned char *card_key;	/* crypto_aead_xchacha20poly1305 key */
	/* webhook thread */
	pthread_t hook_thread;
	bool hook_running, stopping;
	pthread_cond_t hook_cv;		/* with mu: new events, stop */
	struct rp_httpd *httpd;		/* util/httpd.h */
};

/* ---- card.c ---- */

/*
 * Creates or loads DATA/paysim/{api.secret,publishable.key,
 * webhook.secret,card.key} (0600, directory 0700).  0, RP_E_IO, RP_E_INVAL
 * (a file of the wrong shape or readable by others), RP_E_NOMEM.
 */
int rp_paysim_secrets_load(struct rp_paysim *ps, struct rp_buf *err)
    RP_WARN_UNUSED;
void rp_paysim_secrets_free(struct rp_paysim *ps);

/* A fresh id "<prefix>_" + 24 lowercase alphanumerics into out. */
void rp_paysim_id(const char *prefix, char *out, size_t n);

/*
 * Stores a card (encrypted PAN, brand, last4, expiry, fingerprint) as a
 * "card_…" row; its id goes to id.  Call with mu held.  0 or RP_E_DB.
 */
int rp_paysim_card_store(struct rp_paysim *ps, const char *pan,
    const char *brand, int64_t exp_month, int64_t exp_year, char *id,
    size_t n) RP_WARN_UNUSED;

/*
 * Decrypts card row id into pan (cap ≥ 20) — the "send it to the issuer"
 * step — and wipes nothing: the caller wipes pan.  Call with mu held.
 * 0, RP_E_NOTFOUND, RP_E_DB, RP_E_INVAL (does not decrypt).
 */
int rp_paysim_card_open(struct rp_paysim *ps, const char *id, char *pan,
    size_t cap) RP_WARN_UNUSED;

/* Brand from the PAN's prefix ("visa", "mastercard", "jcb", "amex", …). */
const char *rp_paysim_brand(const char *pan);

/* ---- db.c ---- */

/* Opens DATA/paysim/paysim.db (0600), creates the schema. */
int rp_paysim_db_open(struct rp_paysim *ps, struct rp_buf *err)
    RP_WARN_UNUSED;
void rp_paysim_db_close(struct rp_paysim *ps);
/* Drops every row of every table (POST /sandbox/reset). Call with mu. */
int rp_paysim_db_reset(struct rp_paysim *ps) RP_WARN_UNUSED;
/* One statement without results (no parameters). */
int rp_paysim_exec(struct rp_paysim *ps, const char *sql);
/* Prepared statement or NULL (logged). */
sqlite3_stmt *rp_paysim_prep(struct rp_paysim *ps, const char *sql);
/* kv settings: value into out ("" if absent); set replaces. */
void rp_paysim_kv_get(struct rp_paysim *ps, const char *k, char *out,
    size_t n);
int rp_paysim_kv_set(struct rp_paysim *ps, const char *k, const char *v)
    RP_WARN_UNUSED;
/* Loads clock, chaos, faults and webhook url from kv into ps. */
void rp_paysim_kv_load(struct rp_paysim *ps);
/* Persists them. */
int rp_paysim_kv_save(struct rp_paysim *ps);

/* The sandbox clock (real time + offset), unix seconds. */
int64_t rp_paysim_now(struct rp_paysim *ps);
/* Real monotonic-ish wall clock in ms (webhook scheduling). */
int64_t rp_paysim_real_ms(void);

/* ---- api.c ---- */

/* The answer to one call: HTTP status and JSON body. */
struct rp_paysim_reply {
	unsigned status;
	struct rp_buf body;
	bool validation;		/* refused before executing: not stored
					 * under an idempotency key */
};

/*
 * Runs one /v1 call (path below /v1, e.g. "/payments/pay_x/capture") with
 * mu held and inside a transaction.  Fills rep.  Returns 0, or RP_E_DB
 * (the caller rolls back and answers 500).
 */
int rp_paysim_api(struct rp_paysim *ps, const char *method, const char *path,
    struct rp_str body, bool publishable, struct rp_paysim_reply *rep)
    RP_WARN_UNUSED;

/* Appends a Stripe-style error object to rep with status. */
void rp_paysim_error(struct rp_paysim_reply *rep, unsigned status,
    const char *type, const char *code, const char *decline_code,
    const char *param, const char *message);

/* Cancels holds older than 7 days (sandbox clock). Call with mu. */
int rp_paysim_expire_holds(struct rp_paysim *ps) RP_WARN_UNUSED;

/*
 * The 3-D Secure decision for payment id: complete (the cardholder
 * passed) or not.  With mu held.  *return_url gets the payment's
 * return_url ("" if none).  0; RP_E_NOTFOUND; RP_E_STATE (not waiting
 * for 3DS); RP_E_DB.
 */
int rp_paysim_3ds_finish(struct rp_paysim *ps, const char *id,
    bool complete, char *return_url, size_t n) RP_WARN_UNUSED;
/* Amount and status of a payment for the 3DS page. With mu held. */
int rp_paysim_payment_peek(struct rp_paysim *ps, const char *id,
    int64_t *amount, char *status, size_t n) RP_WARN_UNUSED;

/* Terminal tap: card by test-card name.  With mu held. */
int rp_paysim_terminal_tap(struct rp_paysim *ps, const char *id,
    const char *card_name) RP_WARN_UNUSED;
int rp_paysim_terminal_peek(struct rp_paysim *ps, const char *id,
    int64_t *amount, char *status, size_t n) RP_WARN_UNUSED;

/* ---- hook.c ---- */

/*
 * Queues event type about object (JSON text) for delivery to the current
 * endpoint.  With mu held, inside the caller's transaction.  0 or RP_E_DB.
 */
int rp_paysim_event(struct rp_paysim *ps, const char *type,
    const char *object_json) RP_WARN_UNUSED;
/* "t=<t>,v1=<hex>" for body at t under the webhook secret. */
void rp_paysim_sign(const char *secret, int64_t t, struct rp_str body,
    char *out, size_t n);
int rp_paysim_hook_start(struct rp_paysim *ps) RP_WARN_UNUSED;
void rp_paysim_hook_stop(struct rp_paysim *ps);

/* ---- hosted.c ---- */

/*
 * Serves a /hosted page (path below /hosted).  Fills status, body, the
 * content type and the Content-Security-Policy (static or in csp).  For a
 * 303, location holds the target.  Takes mu itself.
 */
struct rp_paysim_page {
	unsigned status;
	struct rp_buf body;
	const char *ctype;
	char csp[1200];
	char location[RP_PAYSIM_MAX_URL + 64];
};
void rp_paysim_hosted(struct rp_paysim *ps, const char *method,
    const char *path, const char *query_parent, const char *query_pk,
    struct rp_str body, struct rp_paysim_page *pg);

#endif
