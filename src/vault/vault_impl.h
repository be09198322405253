/* SPDX-License-Identifier: ISC */
/*
 * vault_impl.h — internals shared by the vault's files (crypto.c, policy.c,
 * core.c, proto.c, server.c).  Not for use outside src/vault/.
 */
#ifndef RP_VAULT_IMPL_H
#define RP_VAULT_IMPL_H

#include <sqlite3.h>
#include <sodium.h>

#include "vault/vault.h"
#include "util/buf.h"

#define VK_KEY		32
#define VK_NONCE	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES	/* 24 */
#define VK_TAG		crypto_aead_xchacha20poly1305_ietf_ABYTES	/* 16 */
#define VK_BI		16	/* blind index bytes */
#define VK_WRAPPED	(VK_KEY + VK_TAG)
#define VK_MAX_TENANT_CACHE 64
/* A record's plaintext: version byte, then 8 × (u16 BE length, bytes). */
#define VK_PT_MAX	(1 + RP_VAULT_NFIELDS * (2 + RP_VAULT_FIELD_MAX))

/* Secrets, in one sodium_malloc block (guarded, locked, wiped on free). */
struct vk_secrets {
	unsigned char master[VK_KEY];
	unsigned char bi_key[VK_KEY];		/* blind indexes */
	unsigned char pn_key[VK_KEY];		/* log pseudonyms */
	unsigned char token[32];		/* hash of the operator token */
	unsigned char tenant_key[VK_MAX_TENANT_CACHE][VK_KEY];
	/* scratch for one record's plaintext and data key; wiped after use */
	unsigned char pt[VK_PT_MAX];
	unsigned char key[VK_KEY];
	/* random bytes from the OS, fetched 4 KiB at a time (keys, nonces) */
	unsigned char rnd[4096];
};

struct rp_vault {
	sqlite3 *db;
	sqlite3_stmt *st_ins, *st_upd, *st_get, *st_link, *st_linked, *st_any_link,
	    *st_by_email, *st_by_phone, *st_by_order, *st_erase, *st_unlink,
	    *st_tkey_get, *st_tkey_put, *st_maxid, *st_begin, *st_commit;
	struct vk_secrets *sec;
	uint32_t tenant_id[VK_MAX_TENANT_CACHE];
	size_t ntenant;
	struct rp_vault_logger logger;
	bool has_logger, bulk;
	size_t rnd_pos;			/* consumed bytes of sec->rnd */
	uint64_t next_id;		/* next record id (this process is the writer) */
	char dir[1100];			/* DATA/vault */
};

/* ---- crypto.c ---- */
int vk_keys_load(struct rp_vault *v) RP_WARN_UNUSED;
/* Data key of a corporate tenant (created when create); borrowed, in sec. */
int vk_tenant_key(struct rp_vault *v, uint32_t tenant, bool create,
    const unsigned char **key) RP_WARN_UNUSED;
/* n random bytes (from the OS, buffered; consumed bytes wiped). */
void vk_random(struct rp_vault *v, void *out, size_t n);
void vk_wrap(struct rp_vault *v, uint32_t tenant, uint64_t id,
    const unsigned char key[VK_KEY], unsigned char nonce[VK_NONCE],
    unsigned char wrapped[VK_WRAPPED]);
int vk_unwrap(const struct rp_vault *v, uint32_t tenant, uint64_t id,
    const unsigned char *nonce, size_t nn, const unsigned char *wrapped,
    size_t wn, unsigned char key[VK_KEY]) RP_WARN_UNUSED;
/* ct must hold ptlen + VK_TAG bytes. */
void vk_seal(struct rp_vault *v, const unsigned char key[VK_KEY], uint64_t id,
    uint32_t tenant,
    const unsigned char *pt, size_t ptlen, unsigned char nonce[VK_NONCE],
    unsigned char *ct);
int vk_open(const unsigned char key[VK_KEY], uint64_t id, uint32_t tenant,
    const unsigned char *nonce, size_t nn, const unsigned char *ct,
    size_t ctlen, unsigned char *pt, size_t *ptlen) RP_WARN_UNUSED;
/* Blind index of an already normalised value; kind 'e', 'p' or 'o'. */
void vk_blind(const struct rp_vault *v, char kind, struct rp_str norm,
    unsigned char out[VK_BI]);
/* Normalisers: 0 and the normalised value in out (cap bytes), or RP_E_INVAL. */
int vk_norm_email(struct rp_str in, char *out, size_t cap, size_t *n);
int vk_norm_phone(struct rp_str in, char *out, size_t cap, size_t *n);
int vk_norm_order(struct rp_str in, char *out, size_t cap, size_t *n);
/* Writes a file atomically (tmp + fsync + rename + fsync dir), mode 0600. */
int vk_write_atomic(const char *dir, const char *name, const void *p,
    size_t n) RP_WARN_UNUSED;

/* ---- policy.c ---- */
enum { VK_OP_PUT = 1, VK_OP_GET = 2, VK_OP_FIND = 4, VK_OP_ERASE = 8 };
enum vk_scope { VK_SCOPE_ANY, VK_SCOPE_TENANT, VK_SCOPE_ORDER };
struct vk_rule {
	unsigned role;
	const char *purpose;
	unsigned ops;
	uint32_t fields;
	enum vk_scope scope;
};
/*
 * The rule allowing role to do op for purpose with the fields (GET), or
 * NULL: refused.
 */
const struct vk_rule *vk_policy(unsigned role, const char *purpose,
    unsigned op, uint32_t fields);

/* ---- core.c (used by server.c) ---- */
bool vk_caller_valid(const struct rp_vault_caller *c);

#endif
