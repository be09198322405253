/* SPDX-License-Identifier: ISC */
/*
 * client.c — the vault's client library (see client.h).  Runs in web
 * workers and operator tools.  Treats the vault's replies as untrusted
 * input all the same: bounds-checked readers, cookie must match, counts
 * capped; a bad reply closes the connection (RP_E_PROTO).
 */
#include "util/common.h"
#include "proc/msg.h"
#include "vault/client.h"

#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct rp_vault_client {
	int fd;
	uint64_t next_cookie;
	struct rp_msgw w;
	uint8_t rbuf[RP_MSG_MAX_FRAME];
};

int
rp_vault_client_fd(const struct rp_vault_client *vc)
{
	return vc->fd;
}

void
rp_vault_client_close(struct rp_vault_client *vc)
{
	if (vc == NULL)
		return;
	if (vc->fd >= 0)
		close(vc->fd);
	sodium_memzero(vc, sizeof(*vc));
	free(vc);
}

/* Sends vc->w and reads the reply with the same cookie into *m. */
static int
roundtrip(struct rp_vault_client *vc, uint64_t cookie, struct rp_msg *m)
{
	uint64_t got;
	uint32_t st;
	int r;

	if (vc->fd < 0)
		return RP_E_CLOSED;
	if ((r = rp_msgw_send(vc->fd, &vc->w, 0)) != 0)
		goto fail;
	sodium_memzero(vc->w.buf, vc->w.len);
	for (;;) {
		/* rp_msg_recv never blocks: wait for the reply first. */
		struct pollfd pfd = { .fd = vc->fd, .events = POLLIN };
		int k = poll(&pfd, 1, RP_VAULT_CLIENT_TIMEOUT_MS);

		if (k < 0 && errno != EINTR) {
			r = RP_E_IO;
			goto fail;
		}
		if (k == 0) {
			/* A hung vault: unavailable; a late reply must not be
			 * taken for the next request's, so hang up. */
			r = RP_E_AGAIN;
			goto fail;
		}
		if ((r = rp_msg_recv(vc->fd, vc->rbuf, m)) == RP_E_AGAIN)
			continue;
		if (r != 0)
			goto fail;
		if (m->type != RP_MSG_VAULT_REPLY ||
		    rp_msg_get_u64(m, &got) != 0 || rp_msg_get_u32(m, &st) != 0) {
			r = RP_E_PROTO;
			goto fail;
		}
		if (got == cookie)
			break;
		/* A reply to a request we gave up on: skip it. */
	}
	if (st != 0) {
		if (rp_msg_end(m) != 0) {
			r = RP_E_PROTO;
			goto fail;
		}
		r = -(int)st;
		return r < -100 ? RP_E_PROTO : r;
	}
	return 0;
 fail:
	close(vc->fd);
	vc->fd = -1;
	return r;
}

int
rp_vault_client_connect(const char *data_dir, const char *token,
    struct rp_vault_client **out)
{
	struct rp_vault_client *vc;
	struct sockaddr_un sa;
	struct rp_msg m;
	uint64_t cookie;
	int r;

	*out = NULL;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s",
	    data_dir, RP_VAULT_SOCK_NAME) >= sizeof(sa.sun_path))
		return RP_E_TOOBIG;
	if ((vc = calloc(1, sizeof(*vc))) == NULL)
		return RP_E_NOMEM;
	vc->next_cookie = 1;
	if ((vc->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0) {
		free(vc);
		return RP_E_IO;
	}
	if (connect(vc->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		r = errno == ENOENT || errno == ECONNREFUSED ? RP_E_AGAIN : RP_E_IO;
		goto out;
	}
	if (token != NULL) {
		cookie = vc->next_cookie++;
		rp_msgw_begin(&vc->w, RP_MSG_VAULT_HELLO);
		rp_msgw_put_u64(&vc->w, cookie);
		rp_msgw_put_str(&vc->w, rp_str_c(token));
		if ((r = roundtrip(vc, cookie, &m)) != 0)
			goto out;
		if (rp_msg_end(&m) != 0) {
			r = RP_E_PROTO;
			goto out;
		}
	}
	*out = vc;
	vc = NULL;			/* transferred */
	r = 0;
 out:
	rp_vault_client_close(vc);
	return r;
}

static uint64_t
begin(struct rp_vault_client *vc, enum rp_msg_type type,
    const struct rp_vault_caller *c)
{
	uint64_t cookie = vc->next_cookie++;
	static const uint8_t zero[16];

	rp_msgw_begin(&vc->w, type);
	rp_msgw_put_u64(&vc->w, cookie);
	rp_msgw_put_u32(&vc->w, c->role);
	rp_msgw_put_str(&vc->w, rp_str_c(c->actor));
	rp_msgw_put_str(&vc->w, rp_str_c(c->purpose));
	rp_msgw_put_str(&vc->w, memcmp(c->request_id, zero, 16) == 0 ?
	    RP_STR_NULL : (struct rp_str){ (const char *)c->request_id, 16 });
	rp_msgw_put_u32(&vc->w, c->tenant);
	rp_msgw_put_str(&vc->w, rp_str_c(c->scope_order));
	rp_msgw_put_str(&vc->w, (struct rp_str){ (const char *)c->cap,
	    c->cap_len <= RP_VAULT_CAP_MAX ? c->cap_len : 0 });
	return cookie;
}

int
rp_vault_client_put(struct rp_vault_client *vc,
    const struct rp_vault_caller *c, const struct rp_vault_person *p,
    uint32_t tenant, const struct rp_str *orders, size_t norders,
    uint64_t *id, struct rp_vault_receipt *rc)
{
	struct rp_str receipt;
	struct rp_msg m;
	uint64_t cookie, got;
	int r;

	if (rc != NULL)
		rc->n = 0;
	if (norders > RP_VAULT_MAX_ORDERS)
		return RP_E_TOOBIG;
	cookie = begin(vc, RP_MSG_VAULT_PUT, c);
	rp_msgw_put_u64(&vc->w, *id);
	rp_msgw_put_u32(&vc->w, tenant);
	for (size_t i = 0; i < RP_VAULT_NFIELDS; i++)
		rp_msgw_put_str(&vc->w, p->f[i]);
	rp_msgw_put_u32(&vc->w, (uint32_t)norders);
	for (size_t i = 0; i < norders; i++)
		rp_msgw_put_str(&vc->w, orders[i]);
	if (vc->w.err != 0)
		return RP_E_TOOBIG;
	if ((r = roundtrip(vc, cookie, &m)) != 0)
		return r;
	if (rp_msg_get_u64(&m, &got) != 0 ||
	    rp_msg_get_str(&m, &receipt, RP_VAULT_CAP_MAX) != 0 ||
	    rp_msg_end(&m) != 0)
		return RP_E_PROTO;
	*id = got;
	if (rc != NULL) {
		memcpy(rc->b, receipt.p, receipt.n);
		rc->n = (uint32_t)receipt.n;
	}
	return 0;
}

int
rp_vault_client_get(struct rp_vault_client *vc,
    const struct rp_vault_caller *c, const uint64_t *ids, size_t n,
    uint32_t mask, struct rp_vault_record *out)
{
	struct rp_msg m;
	uint64_t cookie;
	uint32_t fields, cnt, st;
	struct rp_str f[RP_VAULT_NFIELDS];
	size_t i, j, total;
	int r;

	for (i = 0; i < n; i++)
		memset(&out[i], 0, sizeof(out[i]));
	if (n == 0 || n > RP_VAULT_MAX_BATCH)
		return RP_E_INVAL;
	cookie = begin(vc, RP_MSG_VAULT_GET, c);
	rp_msgw_put_u32(&vc->w, mask);
	rp_msgw_put_u32(&vc->w, (uint32_t)n);
	for (i = 0; i < n; i++)
		rp_msgw_put_u64(&vc->w, ids[i]);
	if ((r = roundtrip(vc, cookie, &m)) != 0)
		return r;
	if (rp_msg_get_u32(&m, &fields) != 0 || rp_msg_get_u32(&m, &cnt) != 0 ||
	    cnt != n)
		goto bad;
	for (i = 0; i < n; i++) {
		struct rp_vault_record *rec = &out[i];

		if (rp_msg_get_u64(&m, &rec->id) != 0 ||
		    rp_msg_get_u32(&m, &st) != 0 ||
		    rp_msg_get_u32(&m, &rec->tenant) != 0 || st > 100)
			goto bad;
		rec->status = -(int)st;
		total = 1;
		for (j = 0; j < RP_VAULT_NFIELDS; j++) {
			if (rp_msg_get_str(&m, &f[j], RP_VAULT_FIELD_MAX) != 0)
				goto bad;
			total += f[j].n + 1;
		}
		if ((rec->mem = malloc(total)) == NULL) {
			r = RP_E_NOMEM;
			goto fail;
		}
		rec->memlen = total;
		for (j = 0, total = 0; j < RP_VAULT_NFIELDS; j++) {
			if (f[j].n)
				memcpy(rec->mem + total, f[j].p, f[j].n);
			rec->mem[total + f[j].n] = '\0';
			rec->f[j] = (struct rp_str){ rec->mem + total, f[j].n };
			total += f[j].n + 1;
		}
	}
	if (rp_msg_end(&m) != 0)
		goto bad;
	sodium_memzero(vc->rbuf, sizeof(vc->rbuf));
	return n == 1 ? out[0].status : 0;
 bad:
	r = RP_E_PROTO;
 fail:
	sodium_memzero(vc->rbuf, sizeof(vc->rbuf));
	for (i = 0; i < n; i++)
		rp_vault_record_release(&out[i]);
	return r;
}

int
rp_vault_client_find(struct rp_vault_client *vc,
    const struct rp_vault_caller *c, enum rp_vault_find_kind kind,
    struct rp_str value, uint64_t *ids, size_t max, size_t *n)
{
	struct rp_msg m;
	uint64_t cookie, id;
	uint32_t cnt;
	int r;

	*n = 0;
	cookie = begin(vc, RP_MSG_VAULT_FIND, c);
	rp_msgw_put_u32(&vc->w, (uint32_t)kind);
	rp_msgw_put_str(&vc->w, value);
	if (vc->w.err != 0)
		return RP_E_TOOBIG;
	if ((r = roundtrip(vc, cookie, &m)) != 0)
		return r;
	if (rp_msg_get_u32(&m, &cnt) != 0 || cnt > RP_VAULT_MAX_FOUND)
		return RP_E_PROTO;
	for (uint32_t i = 0; i < cnt; i++) {
		if (rp_msg_get_u64(&m, &id) != 0)
			return RP_E_PROTO;
		if (*n < max)
			ids[(*n)++] = id;
	}
	return rp_msg_end(&m) != 0 ? RP_E_PROTO : 0;
}

int
rp_vault_client_erase(struct rp_vault_client *vc,
    const struct rp_vault_caller *c, uint64_t id)
{
	struct rp_msg m;
	uint64_t cookie;
	int r;

	cookie = begin(vc, RP_MSG_VAULT_ERASE, c);
	rp_msgw_put_u64(&vc->w, id);
	if ((r = roundtrip(vc, cookie, &m)) != 0)
		return r;
	return rp_msg_end(&m) != 0 ? RP_E_PROTO : 0;
}
