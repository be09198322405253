/* SPDX-License-Identifier: ISC */
/*
 * conns.h — the connections a web worker's HTTP thread keeps (folder-
 * internal): the core store, the vault client and the mail outbox, each
 * opened on first use and one per thread (none of them is thread-safe).
 * The thread never exits while the worker serves, so they are not closed.
 */
#ifndef RP_WEB_CONNS_H
#define RP_WEB_CONNS_H

#include <stdint.h>

#include "order/order.h"
#include "vault/client.h"

struct rp_store;
struct rp_mail_outbox;

/* The thread's core store, or NULL if it cannot be opened. */
struct rp_store *rp_web_store(void);
/* The thread's mail outbox, or NULL if it cannot be opened. */
struct rp_mail_outbox *rp_web_outbox(void);

/*
 * The order service's vault hook (struct rp_order_vault.put; arg a
 * struct rp_web_put, or NULL): connects on first use; a lost or timed-out
 * connection is dropped and reported as RP_E_AGAIN, so the next request
 * connects again.
 */
struct rp_web_put {
	const uint8_t *cap;		/* the caller's capability (API key) */
	size_t cap_len;
	struct rp_vault_receipt receipt;	/* out: the vault's receipt */
};
int rp_web_vault_put(void *arg, const struct rp_vault_person *p,
    uint32_t tenant, int channel, struct rp_str number, uint64_t *id);
/* The withdraw hook beside it: record id, under io's receipt. */
int rp_web_vault_withdraw(void *arg, uint64_t id);

/*
 * Reads fields `mask` of vault record id as caller c (rp_vault_client_get
 * with one id): 0 and *rec (release with rp_vault_record_release), or
 * RP_E_AGAIN / RP_E_DENIED / RP_E_NOTFOUND as the vault answers.
 */
int rp_web_vault_get(const struct rp_vault_caller *c, uint64_t id,
    uint32_t mask, struct rp_vault_record *rec) RP_WARN_UNUSED;

/*
 * Ids (up to max) of the records in c's scope whose e-mail / phone matches
 * value (rp_vault_client_find): 0 and *n, or RP_E_AGAIN / RP_E_DENIED.
 */
int rp_web_vault_find(const struct rp_vault_caller *c,
    enum rp_vault_find_kind kind, struct rp_str value, uint64_t *ids,
    size_t max, size_t *n) RP_WARN_UNUSED;

#endif
