/* SPDX-License-Identifier: ISC */
/*
 * test_vault_race.c — the vault process pipelines requests: an ERASE and a
 * GET of the same record can both be prepared before either's log entry is
 * durable.  If the ERASE commits first, the GET must release nothing.
 */
#include "util/common.h"
#include "proc/msg.h"
#include "alog/entry.h"
#include "vault/vault_impl.h"
#include "tap.h"

#include <unistd.h>

static void
caller(struct rp_vault_caller *c)
{
	if (rp_vault_caller_init(c, "backoffice", "web/1", "staff:test",
	    "backoffice") != 0)
		abort();
}

int
main(void)
{
	char dir[] = "/tmp/rp-vault-race-XXXXXX", cmd[128];
	struct rp_vault *v = NULL;
	struct rp_vault_req *q = calloc(1, sizeof(*q));
	struct rp_vault_op *op = NULL, *eop = NULL, *gop = NULL;
	static struct rp_msgw w;
	int st;

	ok(q != NULL && mkdtemp(dir) != NULL, "temp dir");
	ok(rp_vault_open(dir, NULL, &v) == 0, "vault opened");
	q->type = RP_MSG_VAULT_PUT;
	caller(&q->caller);
	q->person.f[RP_VF_NAME] = rp_str_c("Taro Secretname");
	ok(rp_vault_prepare(v, q, &op) == 0 && rp_vault_op_commit(v, op) == 0,
	    "put committed");
	rp_vault_op_free(op);

	memset(q, 0, sizeof(*q));
	q->type = RP_MSG_VAULT_ERASE;
	caller(&q->caller);
	q->id = 1;
	ok(rp_vault_prepare(v, q, &eop) == 0, "erase prepared");
	memset(q, 0, sizeof(*q));
	q->type = RP_MSG_VAULT_GET;
	caller(&q->caller);
	q->nids = 1;
	q->ids[0] = 1;
	q->fields = RP_FIELD_NAME;
	ok(rp_vault_prepare(v, q, &gop) == 0, "get prepared before the erase committed");
	is_int(rp_vault_op_commit(v, eop), 0, "erase committed first");
	st = rp_vault_op_commit(v, gop);
	is_int(st, RP_E_NOTFOUND, "get committed after the erase: not found");
	rp_msgw_begin(&w, RP_MSG_VAULT_REPLY);
	rp_msgw_put_u64(&w, 1);
	rp_vault_op_reply(gop, st, &w);
	ok(memmem(w.buf, w.len, "Secretname", 10) == NULL,
	    "the reply carries no plaintext of the erased record");
	rp_vault_op_free(eop);
	rp_vault_op_free(gop);
	rp_vault_free(v);
	free(q);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cleanup failed");
	return tap_done();
}
