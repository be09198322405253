/* SPDX-License-Identifier: ISC */
/*
 * conns.c — per-thread connections of a web worker (see conns.h).
 */
#include "util/common.h"

#include <sodium.h>

#include "mail/mail.h"
#include "store/store.h"
#include "web/conns.h"
#include "web/request.h"

static _Thread_local struct rp_store *tl_store;
static _Thread_local struct rp_vault_client *tl_vault;
static _Thread_local struct rp_mail_outbox *tl_outbox;

struct rp_store *
rp_web_store(void)
{
	if (tl_store == NULL &&
	    rp_store_connect(rp_worker.conf->data_dir, &tl_store) != 0)
		tl_store = NULL;
	return tl_store;
}

struct rp_mail_outbox *
rp_web_outbox(void)
{
	if (tl_outbox == NULL &&
	    rp_mail_outbox_open(rp_worker.conf->data_dir, &tl_outbox) != 0)
		tl_outbox = NULL;
	return tl_outbox;
}

static struct rp_vault_client *
vault(void)
{
	if (tl_vault == NULL && rp_vault_client_connect(rp_worker.conf->data_dir,
	    NULL, &tl_vault) != 0)
		tl_vault = NULL;
	return tl_vault;
}

/* After a call: a broken connection is dropped and reads as "try again". */
static int
settle(int r)
{
	if (r == RP_E_AGAIN || r == RP_E_CLOSED || r == RP_E_IO) {
		rp_vault_client_close(tl_vault);
		tl_vault = NULL;
		r = RP_E_AGAIN;
	}
	return r;
}

int
rp_web_vault_put(void *arg, const struct rp_vault_person *p, uint32_t tenant,
    int channel, struct rp_str number, uint64_t *id)
{
	struct rp_web_put *io = arg;

	*id = 0;
	if (io != NULL)
		io->receipt.n = 0;
	if (vault() == NULL)
		return RP_E_AGAIN;
	return settle(rp_order_vault_client_put(tl_vault, io ? io->cap : NULL,
	    io ? io->cap_len : 0, p, tenant, channel, number, id,
	    io ? &io->receipt : NULL));
}

int
rp_web_vault_withdraw(void *arg, uint64_t id)
{
	struct rp_web_put *io = arg;
	int r;

	if (io == NULL || io->receipt.n == 0)
		return RP_E_INVAL;
	if (vault() == NULL)
		return RP_E_AGAIN;
	r = settle(rp_order_vault_client_withdraw(tl_vault, &io->receipt, id));
	sodium_memzero(&io->receipt, sizeof(io->receipt));
	return r;
}

int
rp_web_vault_get(const struct rp_vault_caller *c, uint64_t id, uint32_t mask,
    struct rp_vault_record *rec)
{
	int r;

	memset(rec, 0, sizeof(*rec));
	if (vault() == NULL)
		return RP_E_AGAIN;
	r = settle(rp_vault_client_get(tl_vault, c, &id, 1, mask, rec));
	if (r == 0 && rec->status != 0) {
		r = rec->status;
		rp_vault_record_release(rec);
	}
	return r;
}

int
rp_web_vault_find(const struct rp_vault_caller *c,
    enum rp_vault_find_kind kind, struct rp_str value, uint64_t *ids,
    size_t max, size_t *n)
{
	*n = 0;
	if (vault() == NULL)
		return RP_E_AGAIN;
	return settle(rp_vault_client_find(tl_vault, c, kind, value, ids, max,
	    n));
}
