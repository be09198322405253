/* SPDX-License-Identifier: ISC */
/*
 * core.c — the vault's records: DATA/vault/vault.db, the operations put,
 * get, find and erase in two phases (prepare: policy, reads, crypto and the
 * access-log entry body; commit: after the entry is durable, the effect and
 * the result), and the synchronous wrappers that run both around a logger.
 *
 * Runs in the vault process and in `rentport seed`.  Trusts its caller for
 * the caller identity (the vault process sets it from SO_PEERCRED and the
 * parent's registry) and nothing else: fields, ids and order numbers are
 * checked here.  Plaintext exists only in memory that is wiped before it
 * is freed, and leaves only through a committed op.
 */
#include "util/common.h"
#include "util/log.h"
#include "alog/entry.h"
#include "alog/store.h"
#include "proc/msg.h"
#include "vault/vault_impl.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(RP_VAULT_MAX_PUT_BATCH == RP_ALOG_MAX_RECORDS,
    "a put batch is one log entry");

/* A sealed record, ready to write. */
struct row {
	uint64_t id;
	uint32_t tenant;
	bool own_key;			/* tenant 0: its own wrapped data key */
	unsigned char key_nonce[VK_NONCE], key_wrapped[VK_WRAPPED];
	unsigned char nonce[VK_NONCE];
	unsigned char ct[VK_PT_MAX + VK_TAG];
	size_t ctlen;
	bool has_email, has_phone;
	unsigned char email_bi[VK_BI], phone_bi[VK_BI];
	size_t norders;
	unsigned char order_bi[RP_VAULT_MAX_ORDERS][VK_BI];
};

struct rp_vault_op {
	uint32_t type;			/* RP_MSG_VAULT_* */
	int result;			/* once committed */
	bool committed;
	struct rp_buf body;
	/* PUT, ERASE */
	uint64_t id;
	bool is_new;
	struct row row;
	/* GET */
	uint32_t fields;
	size_t n;
	struct rp_vault_record *recs;
	/* FIND */
	size_t nfound;
	uint64_t found[RP_VAULT_MAX_FOUND];
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS tenant_keys ("
	" tenant INTEGER PRIMARY KEY, nonce BLOB NOT NULL,"
	" wrapped BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS records ("
	" id INTEGER PRIMARY KEY, tenant INTEGER NOT NULL,"
	" erased INTEGER NOT NULL DEFAULT 0,"
	" key_nonce BLOB, key_wrapped BLOB, nonce BLOB, ct BLOB,"
	" email_bi BLOB, phone_bi BLOB,"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS order_links ("
	" bi BLOB NOT NULL,"
	" id INTEGER NOT NULL REFERENCES records(id));";

/*
 * The blind-index indexes.  A bulk load (seed) drops them inside its
 * transaction and builds them again before committing: one sort instead of
 * a million random B-tree inserts.
 */
static const char indexes[] =
	"CREATE INDEX IF NOT EXISTS records_email ON records(email_bi)"
	" WHERE email_bi IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS records_phone ON records(phone_bi)"
	" WHERE phone_bi IS NOT NULL;"
	"CREATE UNIQUE INDEX IF NOT EXISTS order_links_bi ON order_links(bi, id);"
	"CREATE INDEX IF NOT EXISTS order_links_id ON order_links(id);";
static const char drop_indexes[] =
	"DROP INDEX IF EXISTS records_email; DROP INDEX IF EXISTS records_phone;"
	"DROP INDEX IF EXISTS order_links_bi; DROP INDEX IF EXISTS order_links_id;";

static int
exec(struct rp_vault *v, const char *q)
{
	int rc;

	if ((rc = sqlite3_exec(v->db, q, NULL, NULL, NULL)) != SQLITE_OK) {
		rp_log_error("vault: sqlite: %s", sqlite3_errstr(rc));
		return RP_E_DB;
	}
	return 0;
}

static int
prep(struct rp_vault *v, sqlite3_stmt **s, const char *q)
{
	if (sqlite3_prepare_v3(v->db, q, -1, SQLITE_PREPARE_PERSISTENT, s,
	    NULL) != SQLITE_OK) {
		rp_log_error("vault: prepare: %s", sqlite3_errmsg(v->db));
		return RP_E_DB;
	}
	return 0;
}

int
rp_vault_caller_init(struct rp_vault_caller *c, const char *role,
    const char *node, const char *actor, const char *purpose)
{
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = rp_alog_role_parse(rp_str_c(role))) < 0)
		return RP_E_INVAL;
	c->role = (unsigned)r;
	if ((size_t)snprintf(c->node, sizeof(c->node), "%s", node) >=
	    sizeof(c->node) ||
	    (size_t)snprintf(c->actor, sizeof(c->actor), "%s", actor) >=
	    sizeof(c->actor) ||
	    (size_t)snprintf(c->purpose, sizeof(c->purpose), "%s", purpose) >=
	    sizeof(c->purpose) || !vk_caller_valid(c)) {
		memset(c, 0, sizeof(*c));
		return RP_E_INVAL;
	}
	return 0;
}

void
rp_vault_caller_seed(struct rp_vault_caller *c)
{
	memset(c, 0, sizeof(*c));
	c->role = RP_ROLE_SEED;
	snprintf(c->node, sizeof(c->node), "seed");
	snprintf(c->actor, sizeof(c->actor), "job:seed");
	snprintf(c->purpose, sizeof(c->purpose), "seed");
}

static bool
printable(const char *s, size_t max, bool required)
{
	size_t n = strnlen(s, max + 1);

	if (n > max || (required && n == 0))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

bool
vk_caller_valid(const struct rp_vault_caller *c)
{
	return c->role < RP_ROLE_MAX &&
	    printable(c->node, RP_VAULT_STR_MAX, true) &&
	    printable(c->actor, RP_VAULT_STR_MAX, true) &&
	    printable(c->purpose, RP_VAULT_STR_MAX, true) &&
	    printable(c->scope_order, RP_VAULT_ORDER_MAX, false);
}

int
rp_vault_open(const char *data_dir, const struct rp_vault_logger *logger,
    struct rp_vault **out)
{
	struct rp_vault *v = NULL;
	char path[1200];
	sqlite3_stmt *s;
	int fd, r;

	*out = NULL;
	if (data_dir == NULL || data_dir[0] == '\0')
		return RP_E_INVAL;
	if (sodium_init() < 0)
		return RP_E_STATE;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return RP_E_NOMEM;
	if ((v->sec = sodium_malloc(sizeof(*v->sec))) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	sodium_memzero(v->sec, sizeof(*v->sec));
	if (logger != NULL) {
		v->logger = *logger;
		v->has_logger = true;
	}
	r = RP_E_IO;
	if ((size_t)snprintf(v->dir, sizeof(v->dir), "%s/vault", data_dir) >=
	    sizeof(v->dir))
		goto out;
	if ((mkdir(data_dir, 0750) != 0 && errno != EEXIST) ||
	    (mkdir(v->dir, 0700) != 0 && errno != EEXIST) ||
	    chmod(v->dir, 0700) != 0)
		goto out;
	if ((r = vk_keys_load(v)) != 0)
		goto out;
	/* Owner-only before SQLite creates it under the usual umask. */
	snprintf(path, sizeof(path), "%s/vault.db", v->dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		r = RP_E_IO;
		goto out;
	}
	close(fd);
	r = RP_E_DB;
	if (sqlite3_open_v2(path, &v->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(v->db, 5000);
	if ((r = exec(v, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON;"
	    "PRAGMA cache_size=-65536;")) != 0 ||
	    (r = exec(v, schema)) != 0 || (r = exec(v, indexes)) != 0)
		goto out;
	if ((r = prep(v, &v->st_ins, "INSERT INTO records (id, tenant, "
	    "key_nonce, key_wrapped, nonce, ct, email_bi, phone_bi, created_at,"
	    " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)")) ||
	    (r = prep(v, &v->st_upd, "UPDATE records SET key_nonce = ?2, "
	    "key_wrapped = ?3, nonce = ?4, ct = ?5, email_bi = ?6, phone_bi = "
	    "?7, updated_at = ?8 WHERE id = ?1 AND erased = 0")) ||
	    (r = prep(v, &v->st_get, "SELECT tenant, erased, key_nonce, "
	    "key_wrapped, nonce, ct FROM records WHERE id = ?1")) ||
	    (r = prep(v, &v->st_link, "INSERT OR IGNORE INTO order_links (bi, "
	    "id) VALUES (?1, ?2)")) ||
	    (r = prep(v, &v->st_any_link, "SELECT 1 FROM order_links WHERE "
	    "bi = ?1 LIMIT 1")) ||
	    (r = prep(v, &v->st_linked, "SELECT 1 FROM order_links WHERE bi = "
	    "?1 AND id = ?2")) ||
	    (r = prep(v, &v->st_by_email, "SELECT id, tenant FROM records "
	    "WHERE email_bi = ?1 AND erased = 0 ORDER BY id LIMIT ?2")) ||
	    (r = prep(v, &v->st_by_phone, "SELECT id, tenant FROM records "
	    "WHERE phone_bi = ?1 AND erased = 0 ORDER BY id LIMIT ?2")) ||
	    (r = prep(v, &v->st_by_order, "SELECT l.id, r.tenant FROM "
	    "order_links l JOIN records r ON r.id = l.id WHERE l.bi = ?1 AND "
	    "r.erased = 0 ORDER BY l.id LIMIT ?2")) ||
	    (r = prep(v, &v->st_erase, "UPDATE records SET erased = 1, "
	    "key_nonce = NULL, key_wrapped = NULL, nonce = NULL, ct = NULL, "
	    "email_bi = NULL, phone_bi = NULL, updated_at = ?2 WHERE id = ?1")) ||
	    (r = prep(v, &v->st_unlink, "DELETE FROM order_links WHERE id = ?1")) ||
	    (r = prep(v, &v->st_tkey_get, "SELECT nonce, wrapped FROM "
	    "tenant_keys WHERE tenant = ?1")) ||
	    (r = prep(v, &v->st_tkey_put, "INSERT INTO tenant_keys (tenant, "
	    "nonce, wrapped) VALUES (?1, ?2, ?3)")) ||
	    (r = prep(v, &v->st_maxid, "SELECT coalesce(max(id), 0) FROM "
	    "records")) ||
	    (r = prep(v, &v->st_begin, "BEGIN")) ||
	    (r = prep(v, &v->st_commit, "COMMIT")))
		goto out;
	s = v->st_maxid;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		r = RP_E_DB;
		goto out;
	}
	v->next_id = (uint64_t)sqlite3_column_int64(s, 0) + 1;
	sqlite3_reset(s);
	*out = v;
	v = NULL;			/* transferred */
	r = 0;
 out:
	rp_vault_free(v);
	return r;
}

void
rp_vault_free(struct rp_vault *v)
{
	if (v == NULL)
		return;
	sqlite3_finalize(v->st_ins);
	sqlite3_finalize(v->st_upd);
	sqlite3_finalize(v->st_get);
	sqlite3_finalize(v->st_link);
	sqlite3_finalize(v->st_linked);
	sqlite3_finalize(v->st_any_link);
	sqlite3_finalize(v->st_by_email);
	sqlite3_finalize(v->st_by_phone);
	sqlite3_finalize(v->st_by_order);
	sqlite3_finalize(v->st_erase);
	sqlite3_finalize(v->st_unlink);
	sqlite3_finalize(v->st_tkey_get);
	sqlite3_finalize(v->st_tkey_put);
	sqlite3_finalize(v->st_maxid);
	sqlite3_finalize(v->st_begin);
	sqlite3_finalize(v->st_commit);
	if (v->db != NULL && v->bulk)
		(void)exec(v, "ROLLBACK");
	sqlite3_close(v->db);
	sodium_free(v->sec);		/* wipes */
	free(v);
}

void
rp_vault_record_release(struct rp_vault_record *r)
{
	if (r == NULL)
		return;
	if (r->mem != NULL) {
		sodium_memzero(r->mem, r->memlen);
		free(r->mem);
	}
	memset(r, 0, sizeof(*r));
}

/* ---- records ------------------------------------------------------------ */

/* A field: UTF-8, no control characters, at most RP_VAULT_FIELD_MAX. */
static bool
field_ok(struct rp_str s)
{
	if (s.n > RP_VAULT_FIELD_MAX || (s.n > 0 && s.p == NULL) ||
	    !rp_utf8_valid(s))
		return false;
	for (size_t i = 0; i < s.n; i++)
		if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7f)
			return false;
	return true;
}

static int
person_ok(const struct rp_vault_person *p)
{
	if (p->f[RP_VF_NAME].n == 0)
		return RP_E_INVAL;
	for (size_t i = 0; i < RP_VAULT_NFIELDS; i++)
		if (!field_ok(p->f[i]))
			return RP_E_INVAL;
	return 0;
}

static uint32_t
person_mask(const struct rp_vault_person *p)
{
	uint32_t m = 0;

	for (size_t i = 0; i < RP_VAULT_NFIELDS; i++)
		if (p->f[i].n > 0)
			m |= 1u << i;
	return m;
}

/* Serialises p: version 1, then 8 × (u16 BE length, bytes). */
static size_t
person_encode(const struct rp_vault_person *p, unsigned char *out)
{
	size_t k = 0;

	out[k++] = 1;
	for (size_t i = 0; i < RP_VAULT_NFIELDS; i++) {
		out[k++] = (unsigned char)(p->f[i].n >> 8);
		out[k++] = (unsigned char)p->f[i].n;
		if (p->f[i].n > 0)
			memcpy(out + k, p->f[i].p, p->f[i].n);
		k += p->f[i].n;
	}
	return k;
}

/*
 * Copies the fields in mask out of a decrypted plaintext into rec (its own
 * wiped-on-free memory).  RP_E_STATE for a malformed plaintext.
 */
static int
person_decode(const unsigned char *pt, size_t n, uint32_t mask,
    struct rp_vault_record *rec)
{
	size_t off = 1, len[RP_VAULT_NFIELDS], at[RP_VAULT_NFIELDS], total = 0;
	size_t i, k = 0;

	if (n < 1 || pt[0] != 1)
		return RP_E_STATE;
	for (i = 0; i < RP_VAULT_NFIELDS; i++) {
		if (n - off < 2)
			return RP_E_STATE;
		len[i] = (size_t)pt[off] << 8 | pt[off + 1];
		off += 2;
		if (n - off < len[i])
			return RP_E_STATE;
		at[i] = off;
		off += len[i];
		if (mask & (1u << i))
			total += len[i] + 1;
	}
	if (off != n)
		return RP_E_STATE;
	if ((rec->mem = malloc(total + 1)) == NULL)
		return RP_E_NOMEM;
	rec->memlen = total + 1;
	for (i = 0; i < RP_VAULT_NFIELDS; i++) {
		if (!(mask & (1u << i))) {
			rec->f[i] = (struct rp_str){ "", 0 };
			continue;
		}
		memcpy(rec->mem + k, pt + at[i], len[i]);
		rec->mem[k + len[i]] = '\0';
		rec->f[i] = (struct rp_str){ rec->mem + k, len[i] };
		k += len[i] + 1;
	}
	return 0;
}

/* Seals p as record id of tenant into row (crypto only, no writes but a
 * corporate tenant's first key). */
static int
row_seal(struct rp_vault *v, uint64_t id, uint32_t tenant,
    const struct rp_vault_person *p, struct row *row)
{
	unsigned char *pt = v->sec->pt, *key = v->sec->key;
	const unsigned char *tkey;
	char norm[RP_VAULT_FIELD_MAX * 2];
	size_t ptlen = 0, nn;
	int r;

	row->id = id;
	row->tenant = tenant;
	row->own_key = tenant == 0;
	if (tenant == 0) {
		vk_random(v, key, VK_KEY);
		vk_wrap(v, 0, id, key, row->key_nonce, row->key_wrapped);
	} else {
		if ((r = vk_tenant_key(v, tenant, true, &tkey)) != 0)
			goto out;
		memcpy(key, tkey, VK_KEY);
	}
	ptlen = person_encode(p, pt);
	vk_seal(v, key, id, tenant, pt, ptlen, row->nonce, row->ct);
	row->ctlen = ptlen + VK_TAG;
	row->has_email = vk_norm_email(p->f[RP_VF_EMAIL], norm, sizeof(norm),
	    &nn) == 0;
	if (row->has_email)
		vk_blind(v, 'e', (struct rp_str){ norm, nn }, row->email_bi);
	row->has_phone = vk_norm_phone(p->f[RP_VF_PHONE], norm, sizeof(norm),
	    &nn) == 0;
	if (row->has_phone)
		vk_blind(v, 'p', (struct rp_str){ norm, nn }, row->phone_bi);
	sodium_memzero(norm, sizeof(norm));
	r = 0;
 out:
	sodium_memzero(pt, ptlen);
	sodium_memzero(key, VK_KEY);
	return r;
}

static int
add_order_bi(struct rp_vault *v, struct row *row, struct rp_str order)
{
	char norm[RP_VAULT_ORDER_MAX];
	size_t nn;

	if (order.n == 0)
		return 0;
	if (row->norders == RP_VAULT_MAX_ORDERS)
		return RP_E_TOOBIG;
	if (vk_norm_order(order, norm, sizeof(norm), &nn) != 0)
		return RP_E_INVAL;
	vk_blind(v, 'o', (struct rp_str){ norm, nn }, row->order_bi[row->norders++]);
	return 0;
}

static int
step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : RP_E_DB;
}

static int
link_orders(struct rp_vault *v, uint64_t id, const struct row *row)
{
	int r;

	for (size_t i = 0; i < row->norders; i++) {
		sqlite3_bind_blob(v->st_link, 1, row->order_bi[i], VK_BI,
		    SQLITE_STATIC);
		sqlite3_bind_int64(v->st_link, 2, (int64_t)id);
		if ((r = step_done(v->st_link)) != 0)
			return r;
	}
	return 0;
}

static void
bind_opt(sqlite3_stmt *s, int i, bool have, const void *p, int n)
{
	if (have)
		sqlite3_bind_blob(s, i, p, n, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static int
row_write(struct rp_vault *v, const struct row *row, bool is_new)
{
	sqlite3_stmt *s = is_new ? v->st_ins : v->st_upd;
	int64_t now = (int64_t)time(NULL);
	int r;

	sqlite3_bind_int64(s, 1, (int64_t)row->id);
	if (is_new) {
		sqlite3_bind_int64(s, 2, row->tenant);
		bind_opt(s, 3, row->own_key, row->key_nonce, VK_NONCE);
		bind_opt(s, 4, row->own_key, row->key_wrapped, VK_WRAPPED);
		sqlite3_bind_blob(s, 5, row->nonce, VK_NONCE, SQLITE_STATIC);
		sqlite3_bind_blob(s, 6, row->ct, (int)row->ctlen, SQLITE_STATIC);
		bind_opt(s, 7, row->has_email, row->email_bi, VK_BI);
		bind_opt(s, 8, row->has_phone, row->phone_bi, VK_BI);
		sqlite3_bind_int64(s, 9, now);
	} else {
		bind_opt(s, 2, row->own_key, row->key_nonce, VK_NONCE);
		bind_opt(s, 3, row->own_key, row->key_wrapped, VK_WRAPPED);
		sqlite3_bind_blob(s, 4, row->nonce, VK_NONCE, SQLITE_STATIC);
		sqlite3_bind_blob(s, 5, row->ct, (int)row->ctlen, SQLITE_STATIC);
		bind_opt(s, 6, row->has_email, row->email_bi, VK_BI);
		bind_opt(s, 7, row->has_phone, row->phone_bi, VK_BI);
		sqlite3_bind_int64(s, 8, now);
	}
	if ((r = step_done(s)) != 0)
		return r;
	if (!is_new && sqlite3_changes(v->db) != 1)
		return RP_E_NOTFOUND;
	return link_orders(v, row->id, row);
}

/* Row facts: 0 and tenant/erased, RP_E_NOTFOUND, RP_E_DB. */
static int
row_meta(struct rp_vault *v, uint64_t id, uint32_t *tenant, bool *erased)
{
	sqlite3_stmt *s = v->st_get;
	int rc;

	sqlite3_bind_int64(s, 1, (int64_t)id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*tenant = (uint32_t)sqlite3_column_int64(s, 0);
		*erased = sqlite3_column_int(s, 1) != 0;
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? RP_E_NOTFOUND : RP_E_DB;
}

static bool
linked(struct rp_vault *v, const char *order, uint64_t id)
{
	unsigned char bi[VK_BI];
	char norm[RP_VAULT_ORDER_MAX];
	size_t nn;
	bool yes;

	if (vk_norm_order(rp_str_c(order), norm, sizeof(norm), &nn) != 0)
		return false;
	vk_blind(v, 'o', (struct rp_str){ norm, nn }, bi);
	sqlite3_bind_blob(v->st_linked, 1, bi, VK_BI, SQLITE_STATIC);
	sqlite3_bind_int64(v->st_linked, 2, (int64_t)id);
	yes = sqlite3_step(v->st_linked) == SQLITE_ROW;
	sqlite3_reset(v->st_linked);
	return yes;
}

/* True if no record is linked to any of row's orders yet. */
static bool
orders_unlinked(struct rp_vault *v, const struct row *row)
{
	bool none = true;

	for (size_t i = 0; i < row->norders && none; i++) {
		sqlite3_bind_blob(v->st_any_link, 1, row->order_bi[i], VK_BI,
		    SQLITE_STATIC);
		none = sqlite3_step(v->st_any_link) == SQLITE_DONE;
		sqlite3_reset(v->st_any_link);
	}
	return none;
}

/* True if record (id, tenant) lies in the rule's scope for caller c. */
static bool
in_scope(struct rp_vault *v, const struct vk_rule *rule,
    const struct rp_vault_caller *c, uint64_t id, uint32_t tenant)
{
	/* A web worker reads only the traveller of the order in hand. */
	if (c->order_bound && (c->scope_order[0] == '\0' ||
	    !linked(v, c->scope_order, id)))
		return false;
	switch (rule->scope) {
	case VK_SCOPE_ANY:
		return true;
	case VK_SCOPE_TENANT:
		return c->tenant != 0 && tenant == c->tenant;
	case VK_SCOPE_ORDER:
		return c->scope_order[0] != '\0' && linked(v, c->scope_order, id);
	}
	return false;
}

/* Decrypts record id into rec (fields in mask). */
static int
row_read(struct rp_vault *v, uint64_t id, uint32_t mask,
    struct rp_vault_record *rec)
{
	sqlite3_stmt *s = v->st_get;
	unsigned char *pt = v->sec->pt, *key = v->sec->key;
	const unsigned char *tkey;
	size_t ptlen = 0;
	uint32_t tenant;
	int rc, r;

	rec->id = id;
	sqlite3_bind_int64(s, 1, (int64_t)id);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? RP_E_NOTFOUND : RP_E_DB;
		goto out;
	}
	tenant = (uint32_t)sqlite3_column_int64(s, 0);
	rec->tenant = tenant;
	if (sqlite3_column_int(s, 1) != 0) {
		r = RP_E_NOTFOUND;	/* a tombstone */
		goto out;
	}
	if (tenant == 0)
		r = vk_unwrap(v, 0, id, sqlite3_column_blob(s, 2),
		    (size_t)sqlite3_column_bytes(s, 2), sqlite3_column_blob(s, 3),
		    (size_t)sqlite3_column_bytes(s, 3), key);
	else if ((r = vk_tenant_key(v, tenant, false, &tkey)) == 0)
		memcpy(key, tkey, VK_KEY);
	if (r == 0)
		r = vk_open(key, id, tenant, sqlite3_column_blob(s, 4),
		    (size_t)sqlite3_column_bytes(s, 4), sqlite3_column_blob(s, 5),
		    (size_t)sqlite3_column_bytes(s, 5), pt, &ptlen);
	if (r == 0)
		r = person_decode(pt, ptlen, mask, rec);
	if (r == RP_E_STATE)
		rp_log_error("vault: record %" PRIu64 " fails authentication "
		    "(tampered or moved)", id);
 out:
	sqlite3_reset(s);
	sodium_memzero(pt, VK_PT_MAX);
	sodium_memzero(key, VK_KEY);
	return r;
}

/* ---- operations ---------------------------------------------------------- */

static int
op_body(struct rp_vault *v, struct rp_vault_op *op,
    const struct rp_vault_caller *c, unsigned action, unsigned outcome,
    uint32_t fields, uint32_t tenant, const uint64_t *ids, size_t n)
{
	struct rp_alog_entry e;
	uint8_t *pn = NULL;
	int r;

	if (n > RP_ALOG_MAX_RECORDS)
		return RP_E_TOOBIG;
	if (n > 0 && (pn = malloc(n * RP_ALOG_PSEUDONYM_LEN)) == NULL)
		return RP_E_NOMEM;
	for (size_t i = 0; i < n; i++)
		rp_vault_pseudonym(v, ids[i], pn + i * RP_ALOG_PSEUDONYM_LEN);
	memset(&e, 0, sizeof(e));
	e.action = (uint8_t)action;
	e.role = (uint8_t)c->role;
	e.outcome = (uint8_t)outcome;
	e.fields = fields;
	e.tenant = tenant;
	e.node = rp_str_c(c->node);
	e.actor = rp_str_c(c->actor);
	e.purpose = rp_str_c(c->purpose);
	memcpy(e.request_id, c->request_id, RP_ALOG_REQID_LEN);
	e.n_records = (uint16_t)n;
	e.records = pn;
	r = rp_alog_body_encode(&e, &op->body);
	free(pn);
	return r;
}

static struct rp_vault_op *
op_new(uint32_t type)
{
	struct rp_vault_op *op = calloc(1, sizeof(*op));

	if (op == NULL)
		return NULL;
	op->type = type;
	rp_buf_init(&op->body, RP_ALOG_MAX_ENTRY);
	return op;
}

void
rp_vault_op_free(struct rp_vault_op *op)
{
	if (op == NULL)
		return;
	for (size_t i = 0; op->recs != NULL && i < op->n; i++)
		rp_vault_record_release(&op->recs[i]);
	free(op->recs);
	rp_buf_release(&op->body);
	sodium_memzero(op, sizeof(*op));
	free(op);
}

struct rp_str
rp_vault_op_body(const struct rp_vault_op *op)
{
	return rp_buf_str(&op->body);
}

static int
prepare_put(struct rp_vault *v, const struct rp_vault_req *q,
    struct rp_vault_op *op)
{
	const struct rp_vault_caller *c = &q->caller;
	const struct vk_rule *rule;
	uint32_t tenant = 0;
	uint64_t id = q->id;
	bool erased = false;
	int r;

	if ((r = person_ok(&q->person)) != 0)
		return r;
	for (size_t i = 0; i < q->norders; i++)
		if ((r = add_order_bi(v, &op->row, q->orders[i])) != 0)
			return r;
	rule = vk_policy(c->role, c->purpose, VK_OP_PUT, 0);
	if (rule != NULL && c->new_orders_only && (id != 0 ||
	    !orders_unlinked(v, &op->row)))
		rule = NULL;
	if (rule != NULL && id != 0) {
		if ((r = row_meta(v, id, &tenant, &erased)) == RP_E_NOTFOUND ||
		    (r == 0 && erased)) {
			op->result = RP_E_NOTFOUND;
			return op_body(v, op, c, RP_ALOG_PUT,
			    RP_OUTCOME_NOT_FOUND, 0, q->tenant, &id, 1);
		}
		if (r != 0)
			return r;
		if (tenant != q->tenant)
			return RP_E_INVAL;	/* records never change tenant */
		if (!in_scope(v, rule, c, id, tenant))
			rule = NULL;
	} else if (rule != NULL) {
		if ((rule->scope == VK_SCOPE_TENANT &&
		    (c->tenant == 0 || q->tenant != c->tenant)) ||
		    (rule->scope == VK_SCOPE_ORDER && q->tenant != 0))
			rule = NULL;
	}
	if (rule == NULL) {
		op->result = RP_E_DENIED;
		return op_body(v, op, c, RP_ALOG_REFUSED, RP_OUTCOME_REFUSED,
		    person_mask(&q->person), q->tenant, &id, id != 0);
	}
	if (id == 0) {
		id = v->next_id++;
		op->is_new = true;
	}
	op->id = id;
	if ((r = row_seal(v, id, q->tenant, &q->person, &op->row)) != 0)
		return r;
	return op_body(v, op, c, RP_ALOG_PUT, RP_OUTCOME_OK,
	    person_mask(&q->person), q->tenant, &id, 1);
}

/* Upper bound of the GET reply for the records in op. */
static size_t
get_reply_size(const struct rp_vault_op *op)
{
	size_t n = 8 + 4 + 4 + 4;

	for (size_t i = 0; i < op->n; i++) {
		n += 8 + 4 + 4;
		for (size_t j = 0; j < RP_VAULT_NFIELDS; j++)
			n += 4 + op->recs[i].f[j].n;
	}
	return n;
}

static int
prepare_get(struct rp_vault *v, const struct rp_vault_req *q,
    struct rp_vault_op *op)
{
	const struct rp_vault_caller *c = &q->caller;
	const struct vk_rule *rule;
	uint32_t tenant = 0, common = 0;
	size_t missing = 0, i;
	bool erased, refused = false;
	int r;

	if (q->nids == 0 || q->nids > RP_VAULT_MAX_BATCH ||
	    (q->fields & ~(uint32_t)RP_FIELD_ALL) != 0 || q->fields == 0)
		return RP_E_INVAL;
	for (i = 0; i < q->nids; i++)
		if (q->ids[i] == 0 || q->ids[i] > INT64_MAX)
			return RP_E_INVAL;
	op->fields = q->fields;
	if ((op->recs = calloc(q->nids, sizeof(*op->recs))) == NULL)
		return RP_E_NOMEM;
	op->n = q->nids;
	rule = vk_policy(c->role, c->purpose, VK_OP_GET, q->fields);
	/* Scope first, over every record: a batch is all or nothing. */
	for (i = 0; rule != NULL && (rule->scope != VK_SCOPE_ANY ||
	    c->order_bound) && i < q->nids; i++) {
		r = row_meta(v, q->ids[i], &tenant, &erased);
		if (r == RP_E_DB)
			return r;
		if (r == RP_E_NOTFOUND)
			continue;
		if (!in_scope(v, rule, c, q->ids[i], tenant))
			refused = true;
		common = i == 0 || common == tenant ? tenant : 0;
	}
	if (rule == NULL || refused) {
		op->result = RP_E_DENIED;
		for (i = 0; i < op->n; i++)
			op->recs[i].status = RP_E_DENIED;
		return op_body(v, op, c, RP_ALOG_REFUSED, RP_OUTCOME_REFUSED,
		    q->fields, c->tenant, q->ids, q->nids);
	}
	for (i = 0; i < q->nids; i++) {
		r = row_read(v, q->ids[i], q->fields, &op->recs[i]);
		if (r == RP_E_NOMEM || r == RP_E_DB)
			return r;
		op->recs[i].status = r;
		if (r != 0)
			missing++;
		tenant = op->recs[i].tenant;
		common = i == 0 || common == tenant ? tenant : 0;
	}
	if (get_reply_size(op) > RP_MSG_MAX_PAYLOAD)
		return RP_E_TOOBIG;	/* nothing logged, nothing released */
	op->result = q->nids == 1 ? op->recs[0].status : 0;
	return op_body(v, op, c, RP_ALOG_GET, missing ? RP_OUTCOME_NOT_FOUND :
	    RP_OUTCOME_OK, q->fields, common, q->ids, q->nids);
}

static int
prepare_find(struct rp_vault *v, const struct rp_vault_req *q,
    struct rp_vault_op *op)
{
	const struct rp_vault_caller *c = &q->caller;
	const struct vk_rule *rule;
	unsigned char bi[VK_BI];
	char norm[RP_VAULT_FIELD_MAX * 2];
	sqlite3_stmt *s;
	size_t nn;
	char kind;
	int r, rc;

	switch (q->find_kind) {
	case RP_VAULT_FIND_EMAIL:
		r = vk_norm_email(q->value, norm, sizeof(norm), &nn);
		s = v->st_by_email;
		kind = 'e';
		break;
	case RP_VAULT_FIND_PHONE:
		r = vk_norm_phone(q->value, norm, sizeof(norm), &nn);
		s = v->st_by_phone;
		kind = 'p';
		break;
	case RP_VAULT_FIND_ORDER:
		r = vk_norm_order(q->value, norm, sizeof(norm), &nn);
		s = v->st_by_order;
		kind = 'o';
		break;
	default:
		return RP_E_INVAL;
	}
	if (r != 0)
		return r;
	rule = vk_policy(c->role, c->purpose, VK_OP_FIND, 0);
	if (rule == NULL) {
		sodium_memzero(norm, sizeof(norm));
		op->result = RP_E_DENIED;
		return op_body(v, op, c, RP_ALOG_REFUSED, RP_OUTCOME_REFUSED, 0,
		    c->tenant, NULL, 0);
	}
	vk_blind(v, kind, (struct rp_str){ norm, nn }, bi);
	sodium_memzero(norm, sizeof(norm));
	sqlite3_bind_blob(s, 1, bi, VK_BI, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, RP_VAULT_MAX_FOUND * 4);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW &&
	    op->nfound < RP_VAULT_MAX_FOUND) {
		uint64_t id = (uint64_t)sqlite3_column_int64(s, 0);
		uint32_t tenant = (uint32_t)sqlite3_column_int64(s, 1);

		if (in_scope(v, rule, c, id, tenant))
			op->found[op->nfound++] = id;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return RP_E_DB;
	op->result = 0;
	return op_body(v, op, c, RP_ALOG_FIND, op->nfound ? RP_OUTCOME_OK :
	    RP_OUTCOME_NOT_FOUND, 0, c->tenant, op->found, op->nfound);
}

static int
prepare_erase(struct rp_vault *v, const struct rp_vault_req *q,
    struct rp_vault_op *op)
{
	const struct rp_vault_caller *c = &q->caller;
	const struct vk_rule *rule;
	uint32_t tenant = 0;
	bool erased = false;
	int r;

	if (q->id == 0 || q->id > INT64_MAX)
		return RP_E_INVAL;
	op->id = q->id;
	rule = vk_policy(c->role, c->purpose, VK_OP_ERASE, 0);
	r = row_meta(v, q->id, &tenant, &erased);
	if (r == RP_E_DB)
		return r;
	if (rule != NULL && r == 0 && !erased &&
	    !in_scope(v, rule, c, q->id, tenant))
		rule = NULL;
	if (rule == NULL) {
		op->result = RP_E_DENIED;
		return op_body(v, op, c, RP_ALOG_REFUSED, RP_OUTCOME_REFUSED, 0,
		    tenant, &q->id, 1);
	}
	if (r == RP_E_NOTFOUND || erased) {
		op->result = RP_E_NOTFOUND;
		return op_body(v, op, c, RP_ALOG_ERASE, RP_OUTCOME_NOT_FOUND,
		    RP_FIELD_ALL, tenant, &q->id, 1);
	}
	op->is_new = true;	/* an effect to apply at commit */
	return op_body(v, op, c, RP_ALOG_ERASE, RP_OUTCOME_OK, RP_FIELD_ALL,
	    tenant, &q->id, 1);
}

int
rp_vault_prepare(struct rp_vault *v, const struct rp_vault_req *req,
    struct rp_vault_op **out)
{
	struct rp_vault_op *op;
	int r;

	*out = NULL;
	if (!vk_caller_valid(&req->caller))
		return RP_E_INVAL;
	if ((op = op_new(req->type)) == NULL)
		return RP_E_NOMEM;
	/*
	 * One read transaction for the whole request: one lock instead of
	 * one per record of a batch.
	 */
	if (!v->bulk && step_done(v->st_begin) != 0) {
		rp_vault_op_free(op);
		return RP_E_DB;
	}
	switch (req->type) {
	case RP_MSG_VAULT_PUT:
		r = prepare_put(v, req, op);
		break;
	case RP_MSG_VAULT_GET:
		r = prepare_get(v, req, op);
		break;
	case RP_MSG_VAULT_FIND:
		r = prepare_find(v, req, op);
		break;
	case RP_MSG_VAULT_ERASE:
		r = prepare_erase(v, req, op);
		break;
	default:
		r = RP_E_INVAL;
		break;
	}
	if (!v->bulk && step_done(v->st_commit) != 0) {
		(void)exec(v, "ROLLBACK");
		if (r == 0)
			r = RP_E_DB;
	}
	if (r != 0) {
		rp_vault_op_free(op);
		return r;
	}
	*out = op;
	return 0;
}

int
rp_vault_prepare_refused(struct rp_vault *v, const struct rp_vault_req *req,
    struct rp_vault_op **out)
{
	struct rp_vault_op *op;
	uint64_t one = req->id;
	int r;

	*out = NULL;
	if (!vk_caller_valid(&req->caller))
		return RP_E_INVAL;
	if ((op = op_new(req->type)) == NULL)
		return RP_E_NOMEM;
	op->result = RP_E_DENIED;
	op->committed = true;
	if (req->type == RP_MSG_VAULT_GET)
		r = op_body(v, op, &req->caller, RP_ALOG_REFUSED,
		    RP_OUTCOME_REFUSED, req->fields & RP_FIELD_ALL,
		    req->caller.tenant, req->ids, req->nids);
	else
		r = op_body(v, op, &req->caller, RP_ALOG_REFUSED,
		    RP_OUTCOME_REFUSED, 0, req->caller.tenant, &one, one != 0);
	if (r != 0) {
		rp_vault_op_free(op);
		return r;
	}
	*out = op;
	return 0;
}

static int
erase_row(struct rp_vault *v, uint64_t id)
{
	int r;

	if (!v->bulk && (r = exec(v, "BEGIN IMMEDIATE")) != 0)
		return r;
	sqlite3_bind_int64(v->st_unlink, 1, (int64_t)id);
	if ((r = step_done(v->st_unlink)) == 0) {
		sqlite3_bind_int64(v->st_erase, 1, (int64_t)id);
		sqlite3_bind_int64(v->st_erase, 2, (int64_t)time(NULL));
		r = step_done(v->st_erase);
	}
	if (!v->bulk) {
		if (r == 0)
			r = exec(v, "COMMIT");
		else
			(void)exec(v, "ROLLBACK");
		/* Move the shredded pages out of the WAL into the (zeroed) file. */
		if (r == 0)
			(void)exec(v, "PRAGMA wal_checkpoint(TRUNCATE)");
	}
	return r;
}

int
rp_vault_op_commit(struct rp_vault *v, struct rp_vault_op *op)
{
	int r = 0;

	if (op->committed)
		return op->result;
	op->committed = true;
	if (op->result != 0 && !(op->type == RP_MSG_VAULT_GET && op->n > 1))
		return op->result;
	switch (op->type) {
	case RP_MSG_VAULT_PUT:
		if (!v->bulk && (r = exec(v, "BEGIN IMMEDIATE")) != 0)
			break;
		r = row_write(v, &op->row, op->is_new);
		if (!v->bulk) {
			if (r == 0)
				r = exec(v, "COMMIT");
			else
				(void)exec(v, "ROLLBACK");
		}
		break;
	case RP_MSG_VAULT_ERASE:
		r = erase_row(v, op->id);
		break;
	case RP_MSG_VAULT_GET:
		/*
		 * The records were decrypted when the request was prepared;
		 * an ERASE prepared after it may have committed first.  Release
		 * nothing that is no longer there: re-check and wipe.
		 */
		for (size_t i = 0; i < op->n; i++) {
			uint32_t tenant;
			bool erased = false;

			if (op->recs[i].status != 0)
				continue;
			if (row_meta(v, op->recs[i].id, &tenant, &erased) != 0 ||
			    erased) {
				uint64_t id = op->recs[i].id;

				rp_vault_record_release(&op->recs[i]);
				op->recs[i].id = id;
				op->recs[i].status = RP_E_NOTFOUND;
			}
		}
		if (op->n == 1)
			op->result = op->recs[0].status;
		break;
	default:
		break;
	}
	if (r != 0)
		op->result = r;
	return op->result;
}

static void
put_field(struct rp_msgw *w, struct rp_str s)
{
	rp_msgw_put_str(w, s.n ? s : (struct rp_str){ "", 0 });
}

void
rp_vault_op_reply(const struct rp_vault_op *op, int status, struct rp_msgw *w)
{
	rp_msgw_put_u32(w, (uint32_t)-status);
	if (status != 0)
		return;
	switch (op->type) {
	case RP_MSG_VAULT_PUT:
		rp_msgw_put_u64(w, op->id);
		break;
	case RP_MSG_VAULT_GET:
		rp_msgw_put_u32(w, op->fields);
		rp_msgw_put_u32(w, (uint32_t)op->n);
		for (size_t i = 0; i < op->n; i++) {
			const struct rp_vault_record *rec = &op->recs[i];

			rp_msgw_put_u64(w, rec->id);
			rp_msgw_put_u32(w, (uint32_t)-rec->status);
			rp_msgw_put_u32(w, rec->tenant);
			for (size_t j = 0; j < RP_VAULT_NFIELDS; j++)
				put_field(w, rec->status == 0 ? rec->f[j] :
				    RP_STR_NULL);
		}
		break;
	case RP_MSG_VAULT_FIND:
		rp_msgw_put_u32(w, (uint32_t)op->nfound);
		for (size_t i = 0; i < op->nfound; i++)
			rp_msgw_put_u64(w, op->found[i]);
		break;
	default:
		break;
	}
}

/* ---- synchronous wrappers ------------------------------------------------ */

/* Logs op's body through the logger; RP_E_AGAIN if it failed. */
static int
log_sync(struct rp_vault *v, struct rp_vault_op *op)
{
	struct rp_str body = rp_vault_op_body(op);
	uint64_t idx = 0;

	if (!v->has_logger)
		return RP_E_STATE;
	if (v->logger.append(v->logger.ctx, &body, 1, &idx) != 0)
		return RP_E_AGAIN;
	return 0;
}

static int
run_sync(struct rp_vault *v, const struct rp_vault_req *q,
    struct rp_vault_op **out)
{
	struct rp_vault_op *op = NULL;
	int r;

	*out = NULL;
	if (!v->has_logger)
		return RP_E_STATE;
	if ((r = rp_vault_prepare(v, q, &op)) != 0)
		return r;
	if ((r = log_sync(v, op)) != 0) {
		rp_vault_op_free(op);	/* wipes: nothing released */
		return r;
	}
	r = rp_vault_op_commit(v, op);
	*out = op;
	return r;
}

static struct rp_vault_req *
req_new(const struct rp_vault_caller *c, uint32_t type)
{
	struct rp_vault_req *q = calloc(1, sizeof(*q));

	if (q != NULL) {
		q->type = type;
		q->caller = *c;
	}
	return q;
}

int
rp_vault_put(struct rp_vault *v, const struct rp_vault_caller *c,
    const struct rp_vault_person *p, uint32_t tenant,
    const struct rp_str *orders, size_t norders, uint64_t *id)
{
	struct rp_vault_req *q;
	struct rp_vault_op *op = NULL;
	int r;

	if (norders > RP_VAULT_MAX_ORDERS)
		return RP_E_TOOBIG;
	if ((q = req_new(c, RP_MSG_VAULT_PUT)) == NULL)
		return RP_E_NOMEM;
	q->id = *id;
	q->tenant = tenant;
	q->person = *p;
	for (size_t i = 0; i < norders; i++)
		q->orders[i] = orders[i];
	q->norders = (uint32_t)norders;
	r = run_sync(v, q, &op);
	if (r == 0)
		*id = op->id;
	rp_vault_op_free(op);
	free(q);
	return r;
}

int
rp_vault_get(struct rp_vault *v, const struct rp_vault_caller *c,
    const uint64_t *ids, size_t n, uint32_t mask, struct rp_vault_record *out)
{
	struct rp_vault_req *q;
	struct rp_vault_op *op = NULL;
	int r;

	for (size_t i = 0; i < n; i++)
		memset(&out[i], 0, sizeof(out[i]));
	if (n == 0 || n > RP_VAULT_MAX_BATCH)
		return RP_E_INVAL;
	if ((q = req_new(c, RP_MSG_VAULT_GET)) == NULL)
		return RP_E_NOMEM;
	memcpy(q->ids, ids, n * sizeof(*ids));
	q->nids = (uint32_t)n;
	q->fields = mask;
	r = run_sync(v, q, &op);
	if (op != NULL && (r == 0 || (n > 1 && r != RP_E_DENIED))) {
		for (size_t i = 0; i < n; i++) {
			out[i] = op->recs[i];
			memset(&op->recs[i], 0, sizeof(op->recs[i]));
		}		/* transferred */
	}
	rp_vault_op_free(op);
	free(q);
	return r;
}

int
rp_vault_find(struct rp_vault *v, const struct rp_vault_caller *c,
    enum rp_vault_find_kind kind, struct rp_str value, uint64_t *ids,
    size_t max, size_t *n)
{
	struct rp_vault_req *q;
	struct rp_vault_op *op = NULL;
	int r;

	*n = 0;
	if ((q = req_new(c, RP_MSG_VAULT_FIND)) == NULL)
		return RP_E_NOMEM;
	q->find_kind = kind;
	q->value = value;
	r = run_sync(v, q, &op);
	if (r == 0)
		for (size_t i = 0; i < op->nfound && i < max; i++)
			ids[(*n)++] = op->found[i];
	rp_vault_op_free(op);
	free(q);
	return r;
}

int
rp_vault_erase(struct rp_vault *v, const struct rp_vault_caller *c,
    uint64_t id)
{
	struct rp_vault_req *q;
	struct rp_vault_op *op = NULL;
	int r;

	if ((q = req_new(c, RP_MSG_VAULT_ERASE)) == NULL)
		return RP_E_NOMEM;
	q->id = id;
	r = run_sync(v, q, &op);
	rp_vault_op_free(op);
	free(q);
	return r;
}

int
rp_vault_put_batch(struct rp_vault *v, const struct rp_vault_caller *c,
    const struct rp_vault_person *const *persons, const uint32_t *tenants,
    const struct rp_str *orders, uint64_t *ids, size_t n)
{
	struct rp_vault_op *op = NULL;
	struct row *row = NULL;
	uint64_t next = v->next_id;
	size_t i;
	int r;

	if (!v->has_logger)
		return RP_E_STATE;
	if (!vk_caller_valid(c) || n == 0)
		return RP_E_INVAL;
	if (n > RP_ALOG_MAX_RECORDS)
		return RP_E_TOOBIG;
	for (i = 0; i < n; i++) {
		if (persons[i] != NULL) {
			if ((r = person_ok(persons[i])) != 0)
				return r;
			ids[i] = next++;
		} else if (ids[i] == 0 || ids[i] > INT64_MAX)
			return RP_E_INVAL;
	}
	if ((op = op_new(RP_MSG_VAULT_PUT)) == NULL ||
	    (row = malloc(sizeof(*row))) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	if (vk_policy(c->role, c->purpose, VK_OP_PUT, 0) == NULL ||
	    vk_policy(c->role, c->purpose, VK_OP_PUT, 0)->scope != VK_SCOPE_ANY) {
		if ((r = op_body(v, op, c, RP_ALOG_REFUSED, RP_OUTCOME_REFUSED,
		    0, 0, NULL, 0)) == 0 && (r = log_sync(v, op)) == 0)
			r = RP_E_DENIED;
		goto out;
	}
	/* Log first: the entry names every record before any is written. */
	if ((r = op_body(v, op, c, RP_ALOG_PUT, RP_OUTCOME_OK, RP_FIELD_ALL, 0,
	    ids, n)) != 0 || (r = log_sync(v, op)) != 0)
		goto out;
	v->next_id = next;
	if (!v->bulk && (r = exec(v, "BEGIN IMMEDIATE")) != 0)
		goto out;
	for (i = 0; i < n && r == 0; i++) {
		row->norders = 0;
		if ((r = add_order_bi(v, row, orders[i])) != 0)
			break;
		if (persons[i] == NULL)
			r = link_orders(v, ids[i], row);
		else if ((r = row_seal(v, ids[i], tenants[i], persons[i],
		    row)) == 0)
			r = row_write(v, row, true);
	}
	if (!v->bulk) {
		if (r == 0)
			r = exec(v, "COMMIT");
		else
			(void)exec(v, "ROLLBACK");
	}
 out:
	if (row != NULL) {
		sodium_memzero(row, sizeof(*row));
		free(row);
	}
	rp_vault_op_free(op);
	return r;
}

static int
fsync_db(struct rp_vault *v)
{
	char path[1200];
	int fd, r = -1;

	snprintf(path, sizeof(path), "%s/vault.db", v->dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		r = fsync(fd);
		close(fd);
	}
	return r;
}

int
rp_vault_bulk_begin(struct rp_vault *v, uint64_t *first_id)
{
	int r;

	*first_id = 0;
	if (v->bulk)
		return RP_E_STATE;
	/*
	 * A rollback journal while loading: pages appended to the file need
	 * no journal copy, where WAL would write every page twice.
	 */
	if ((r = exec(v, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF;"
	    "PRAGMA cache_size=-262144")) != 0 ||
	    (r = exec(v, "BEGIN IMMEDIATE")) != 0)
		return r;
	if ((r = exec(v, drop_indexes)) != 0) {
		(void)exec(v, "ROLLBACK");
		return r;
	}
	v->bulk = true;
	*first_id = v->next_id;
	return 0;
}

int
rp_vault_bulk_end(struct rp_vault *v, bool commit)
{
	int r, rix = 0;

	if (!v->bulk)
		return RP_E_STATE;
	v->bulk = false;
	if (commit && (rix = exec(v, indexes)) != 0)
		commit = false;		/* e.g. a duplicate link: keep nothing */
	r = exec(v, commit ? "COMMIT" : "ROLLBACK");
	if (r != 0)
		(void)exec(v, "ROLLBACK");
	if (r == 0)
		r = rix;
	/* Durable now: the file synced before we return, then WAL again. */
	if (r == 0 && commit && fsync_db(v) != 0)
		r = RP_E_IO;
	(void)exec(v, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "PRAGMA cache_size=-65536");
	if (!commit || r != 0) {
		sqlite3_stmt *s = v->st_maxid;

		if (sqlite3_step(s) == SQLITE_ROW)
			v->next_id = (uint64_t)sqlite3_column_int64(s, 0) + 1;
		sqlite3_reset(s);
		v->ntenant = 0;		/* rolled-back tenant keys */
	}
	return r;
}

int
rp_vault_count(struct rp_vault *v, uint64_t *n)
{
	sqlite3_stmt *s = NULL;
	int r = RP_E_DB;

	*n = 0;
	if (sqlite3_prepare_v2(v->db, "SELECT count(*) FROM records WHERE "
	    "erased = 0", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		*n = (uint64_t)sqlite3_column_int64(s, 0);
		r = 0;
	}
	sqlite3_finalize(s);
	return r;
}

static int
store_append(void *ctx, const struct rp_str *bodies, size_t n, uint64_t *idx)
{
	return rp_alog_store_append(ctx, bodies, n, NULL, idx);
}

void
rp_vault_logger_store(struct rp_vault_logger *lg, struct rp_alog_store *st)
{
	lg->append = store_append;
	lg->ctx = st;
}
