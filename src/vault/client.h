/* SPDX-License-Identifier: ISC */
/*
 * client.h — talking to the vault process (DATA/run/vault.sock) from web
 * workers, operator tools, tests and benchmarks.  Blocking calls: each
 * sends one request (protocol in vault.h) and waits for its reply.
 *
 * ONE CONNECTION PER THREAD: a struct rp_vault_client is not thread-safe;
 * a multi-threaded process (the web worker's HTTP threads) opens one per
 * thread.  A registered web worker needs no token; any other process
 * passes the operator token (DATA/vault/operator.token, see
 * rp_vault_token_read) to use the operator roles.
 *
 * Errors common to every call: RP_E_AGAIN (the vault or the access log is
 * unavailable: "temporarily unavailable"; nothing was released), RP_E_DENIED
 * (the policy refused; the refusal is in the access log), RP_E_NOTFOUND,
 * RP_E_INVAL / RP_E_TOOBIG (bad or oversized request), RP_E_CLOSED (the
 * vault hung up: reconnect).  Released plaintext is in owned memory that
 * rp_vault_record_release wipes.
 */
#ifndef RP_VAULT_CLIENT_H
#define RP_VAULT_CLIENT_H

#include "vault/vault.h"

struct rp_vault_client;

/*
 * A reply that takes longer than this is RP_E_AGAIN and the connection is
 * closed (the next call answers RP_E_CLOSED: connect again).
 */
#define RP_VAULT_CLIENT_TIMEOUT_MS	10000

/*
 * Connects to DATA/run/vault.sock; with token (64 hex, may be NULL for a
 * registered web worker) sends VAULT_HELLO first.  0 and *out (owned:
 * rp_vault_client_close); RP_E_AGAIN (no vault listening), RP_E_DENIED
 * (wrong token), RP_E_IO, RP_E_NOMEM.
 */
int rp_vault_client_connect(const char *data_dir, const char *token,
    struct rp_vault_client **out) RP_WARN_UNUSED;
void rp_vault_client_close(struct rp_vault_client *vc);	/* NULL-safe */

/* The caller fields sent with every request (node is set by the vault). */
/*
 * put: as rp_vault_put (vault.h).  rc (may be NULL) gets the vault's
 * receipt when a site worker stored a new traveller on one order (a
 * capability on that order: read it back, open its session at the
 * identity holder); otherwise rc->n is 0.
 */
struct rp_vault_receipt {
	uint8_t b[RP_VAULT_CAP_MAX];
	uint32_t n;
};
int rp_vault_client_put(struct rp_vault_client *vc,
    const struct rp_vault_caller *c, const struct rp_vault_person *p,
    uint32_t tenant, const struct rp_str *orders, size_t norders,
    uint64_t *id, struct rp_vault_receipt *rc) RP_WARN_UNUSED;

/*
 * get: as rp_vault_get — n ≤ RP_VAULT_MAX_BATCH, out[0..n) released with
 * rp_vault_record_release (also on failure).  RP_E_TOOBIG if the reply
 * would not fit in one message (ask for fewer records).
 */
int rp_vault_client_get(struct rp_vault_client *vc,
    const struct rp_vault_caller *c, const uint64_t *ids, size_t n,
    uint32_t mask, struct rp_vault_record *out) RP_WARN_UNUSED;

/* find: ids (up to max) whose e-mail / phone / order number matches. */
int rp_vault_client_find(struct rp_vault_client *vc,
    const struct rp_vault_caller *c, enum rp_vault_find_kind kind,
    struct rp_str value, uint64_t *ids, size_t max, size_t *n) RP_WARN_UNUSED;

/* erase: crypto-shred record id. */
int rp_vault_client_erase(struct rp_vault_client *vc,
    const struct rp_vault_caller *c, uint64_t id) RP_WARN_UNUSED;

/* The socket (tests: to send raw frames). */
int rp_vault_client_fd(const struct rp_vault_client *vc);

#endif
