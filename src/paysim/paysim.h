/* SPDX-License-Identifier: ISC */
/*
 * paysim.h — `rentport paysim`, the payment-agent sandbox: a separate
 * process on its own loopback port that plays the card processor (a
 * Stripe-like PSP) so that development and tests run offline.  The API it
 * serves is the contract paylink is built against; docs/paysim.md is its
 * reference.  It is development tooling, never part of `rentport serve`.
 *
 * Trust.  Everything arriving over HTTP is untrusted: bodies are capped
 * at RP_PAYSIM_MAX_BODY and parsed by rp_paysim_req_parse (strict JSON
 * object of declared keys only, fixed-size fields; fuzz target
 * tests/fuzz/paysim).  Card numbers are the processor's business here:
 * they are kept only encrypted (XChaCha20-Poly1305 under DATA/paysim/
 * card.key) and never logged; CVCs are checked for shape and dropped.
 */
#ifndef RP_PAYSIM_H
#define RP_PAYSIM_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "util/buf.h"
#include "util/errors.h"
#include "util/str.h"

#define RP_PAYSIM_MAX_BODY	(64 * 1024)	/* request body cap */
#define RP_PAYSIM_MAX_ID	64		/* "pay_…", tokens, keys */
#define RP_PAYSIM_MAX_URL	1024		/* return_url, webhook url */
#define RP_PAYSIM_MAX_META	20		/* metadata keys */
#define RP_PAYSIM_MAX_META_KEY	40
#define RP_PAYSIM_MAX_META_VAL	500
#define RP_PAYSIM_MAX_AMOUNT	99999999	/* JPY, as Stripe */

/*
 * The keys a request body may carry; a route declares which it accepts
 * (anything else is 400 parameter_unknown).
 */
enum {
	RP_PF_NUMBER		= 1u << 0,
	RP_PF_EXP_MONTH		= 1u << 1,
	RP_PF_EXP_YEAR		= 1u << 2,
	RP_PF_CVC		= 1u << 3,
	RP_PF_AMOUNT		= 1u << 4,
	RP_PF_CURRENCY		= 1u << 5,
	RP_PF_TOKEN		= 1u << 6,
	RP_PF_CUSTOMER		= 1u << 7,
	RP_PF_PAYMENT_METHOD	= 1u << 8,
	RP_PF_CAPTURE_METHOD	= 1u << 9,
	RP_PF_SAVE_CARD		= 1u << 10,
	RP_PF_METADATA		= 1u << 11,
	RP_PF_RETURN_URL	= 1u << 12,
	RP_PF_AMOUNT_TO_CAPTURE	= 1u << 13,
	RP_PF_PAYMENT		= 1u << 14,
	RP_PF_REASON		= 1u << 15,
	RP_PF_URL		= 1u << 16,
	RP_PF_ADVANCE_S		= 1u << 17,
	RP_PF_DUPLICATE		= 1u << 18,
	RP_PF_DELAY_MS		= 1u << 19,
	RP_PF_REORDER		= 1u << 20,
	RP_PF_DROP_AFTER_COMMIT	= 1u << 21,
	RP_PF_SLOW_MS		= 1u << 22,
	RP_PF_STATUS		= 1u << 23,
	RP_PF_COUNT		= 1u << 24,
	RP_PF_CANCEL_REASON	= 1u << 25,
	RP_PF_ALL		= (1u << 26) - 1,
};

struct rp_paysim_meta {
	char key[RP_PAYSIM_MAX_META_KEY + 1];
	char val[RP_PAYSIM_MAX_META_VAL + 1];
};

/*
 * A parsed request.  Strings are NUL-terminated copies (no control
 * characters, valid UTF-8); seen has a RP_PF_* bit for every key present.
 * number and cvc hold card data: rp_paysim_req_clear wipes them.
 */
struct rp_paysim_req {
	uint32_t seen;
	char number[24];		/* digits only (spaces removed), 12..19 */
	char cvc[5];			/* 3..4 digits */
	int64_t exp_month, exp_year;	/* 1..12; 4-digit year (2-digit + 2000) */
	int64_t amount, amount_to_capture, advance_s;
	char currency[8];
	char token[RP_PAYSIM_MAX_ID + 1];
	char customer[RP_PAYSIM_MAX_ID + 1];
	char payment_method[RP_PAYSIM_MAX_ID + 1];
	char payment[RP_PAYSIM_MAX_ID + 1];
	char capture_method[16];	/* "manual" | "automatic" */
	char reason[32];
	char cancel_reason[32];
	bool save_card, reorder;
	size_t nmeta;
	struct rp_paysim_meta meta[RP_PAYSIM_MAX_META];
	char return_url[RP_PAYSIM_MAX_URL + 1];
	char url[RP_PAYSIM_MAX_URL + 1];
	double duplicate;		/* 0..1 */
	int64_t delay_min, delay_max;	/* ms, 0..60000 */
	int64_t drop_after_commit, slow_ms, status, count;
};

/* What a parse failure says to the client (a Stripe invalid_request_error). */
struct rp_paysim_perr {
	const char *code;		/* "parameter_unknown", ... (static) */
	char param[48];			/* the key at fault, or "" */
	char message[160];
};

/*
 * Parses a request body: empty (= {}), or one JSON object whose keys are
 * among allowed (RP_PF_* bits) with the types and ranges docs/paysim.md
 * gives.  At most RP_PAYSIM_MAX_BODY bytes; duplicate keys refused.
 * 0; RP_E_INVAL (malformed; *e says why); RP_E_TOOBIG; RP_E_NOMEM.
 * *out is cleared first and wiped again on failure.
 */
int rp_paysim_req_parse(struct rp_str body, uint32_t allowed,
    struct rp_paysim_req *out, struct rp_paysim_perr *e) RP_WARN_UNUSED;

/* Wipes the card data and everything else in r. */
void rp_paysim_req_clear(struct rp_paysim_req *r);

/* Luhn check over n ASCII digits (12..19). */
bool rp_paysim_luhn(const char *digits, size_t n);

/*
 * `rentport paysim [--help]`: runs the sandbox in the foreground on
 * paysim_addr:paysim_port with its state in DATA/paysim/ until SIGTERM or
 * SIGINT.  Prints "paysim listening on http://ADDR:PORT" once ready.
 * Returns the exit status.
 */
int rp_paysim_cmd(const struct rp_conf *conf, int argc, char **argv);

/* The same server as a child of `rentport serve`: READY{7, 1} once
 * listening, then until STOP, a stop signal or the parent going away. */
#define RP_PAYSIM_KIND	7
int rp_paysim_run(const struct rp_conf *conf, int parent_fd);

/*
 * Makes the sandbox's secrets in DATA/paysim if missing (api.secret and
 * webhook.secret 0640, publishable.key 0644, card.key 0600), so that serve's
 * parent can give each file to its reader before any child starts.
 */
int rp_paysim_secrets_prepare(const char *data_dir, struct rp_buf *err)
    RP_WARN_UNUSED;

#endif
