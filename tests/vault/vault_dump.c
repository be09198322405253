/* SPDX-License-Identifier: ISC */
/*
 * vault_dump.c — test tool: asks a running vault (operator token, role
 * incident) for records FIRST..LAST and prints every non-empty field, one
 * per line, as "<id> <field index> <value>".  The plaintext test searches
 * every file rentport wrote for these values.
 *
 *	vault_dump DATA_DIR FIRST LAST
 */
#include "util/common.h"
#include "vault/client.h"

#include <sodium.h>

int
main(int argc, char **argv)
{
	static char token[RP_VAULT_TOKEN_HEX + 1];
	struct rp_vault_client *vc = NULL;
	struct rp_vault_caller c;
	struct rp_vault_record rec[16];
	uint64_t first, last, id, ids[16];
	int r, rc = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: vault_dump DATA_DIR FIRST LAST\n");
		return 2;
	}
	first = strtoull(argv[2], NULL, 10);
	last = strtoull(argv[3], NULL, 10);
	if (sodium_init() < 0 || rp_vault_token_read(argv[1], token) != 0 ||
	    rp_vault_client_connect(argv[1], token, &vc) != 0 ||
	    rp_vault_caller_init(&c, "incident", "operator", "staff:test",
	    "incident") != 0) {
		fprintf(stderr, "vault_dump: cannot reach the vault in %s\n", argv[1]);
		goto out;
	}
	for (id = first; id <= last; id += 16) {
		size_t n = 0;

		while (n < 16 && id + n <= last) {
			ids[n] = id + n;
			n++;
		}
		r = rp_vault_client_get(vc, &c, ids, n, 0xff, rec);
		if (r != 0) {
			fprintf(stderr, "vault_dump: get: %s\n", rp_strerror(r));
			for (size_t i = 0; i < n; i++)
				rp_vault_record_release(&rec[i]);
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			for (int f = 0; f < RP_VAULT_NFIELDS; f++)
				if (rec[i].status == 0 && rec[i].f[f].n > 0)
					printf("%" PRIu64 " %d %.*s\n", ids[i], f,
					    (int)rec[i].f[f].n, rec[i].f[f].p);
			rp_vault_record_release(&rec[i]);
		}
	}
	rc = 0;
 out:
	rp_vault_client_close(vc);
	return rc;
}
