/* SPDX-License-Identifier: ISC */
/*
 * vault.h — the vault: the one holder of personal data.
 *
 * A person is eight fields (name, kana, e-mail, phone, postal code, address,
 * company, department) and nothing more.  They live in DATA/vault/vault.db
 * (SQLite, WAL, secure_delete), each record sealed with XChaCha20-Poly1305
 * under its tenant's data key, AD = record id ‖ tenant id (big-endian u64,
 * u32) so a ciphertext cannot be moved to another row.  Data keys are
 * random, wrapped by the master key (DATA/vault/master.key, 32 bytes, 0600)
 * with AD = "rpvk1" ‖ tenant ‖ record id (0 for a corporate tenant's key):
 * corporate records share their tenant's key; an individual customer
 * (tenant 0) has a data key of its own, stored on its row.  Erase is a
 * crypto-shred: the record's key material (individual: its data key;
 * corporate: its ciphertext and nonce) is overwritten under secure_delete;
 * the id stays as a tombstone.  Keyed blind indexes (BLAKE2b keyed by a
 * sub-key of the master key) over the normalised e-mail, phone and linked
 * order numbers allow `find` without decryption; the access log names
 * records by a 16-byte keyed pseudonym of the id (another sub-key).
 *
 * Every operation is checked against the policy table (policy.c: role ×
 * purpose → operations, fields, scope) and produces exactly one access-log
 * entry body (alog/entry.h), refusals included.  LOG FIRST, THEN RELEASE:
 * nothing leaves the vault (plaintext, ids, effects) until the entry is
 * durable.  Two ways to drive that:
 *
 *  - synchronous (seed, tests, tools): rp_vault_open with a logger; the
 *    rp_vault_put/get/find/erase calls log through it and return only after
 *    it reported the entry durable (logger failure → RP_E_AGAIN, nothing
 *    released, nothing written).
 *  - two-phase (the vault process, which pipelines many clients into one
 *    group commit): rp_vault_prepare_* builds an operation and its entry
 *    body; the caller makes the body durable however it likes, then calls
 *    rp_vault_op_commit, and only then reads the result.
 *
 * Not thread-safe: one struct rp_vault per thread.  Personal data never
 * reaches the operational log.
 *
 * ---- The wire protocol (DATA/run/vault.sock, SOCK_SEQPACKET, proc/msg.h
 * framing; see client.h for the client side) ----
 *
 * Every request begins with the common header:
 *	u64 cookie          echoed in the reply
 *	u32 role            enum rp_alog_role
 *	str actor           ≤ 64, printable ASCII (entry.h)
 *	str purpose         ≤ 64, printable ASCII
 *	str request_id      exactly 0 or 16 bytes
 *	u32 tenant          caller's tenant (corporate web, client admin)
 *	str scope_order     ≤ 32, the order bound to the session / being handled
 *	str capability      0..RP_VAULT_CAP_MAX bytes (auth/cap.h): the
 *	                    identity holder's word for a staff session; when
 *	                    it verifies, role, tenant, actor and scope_order
 *	                    come from it and the fields above are ignored
 * then, by type:
 *	VAULT_HELLO  (no common header) u64 cookie, str token (64 hex)
 *	VAULT_PUT    header, u64 id (0: new), u32 record tenant,
 *	             8 × str field (≤ RP_VAULT_FIELD_MAX, UTF-8),
 *	             u32 n_orders (≤ RP_VAULT_MAX_ORDERS), n × str order (≤ 32)
 *	VAULT_GET    header, u32 fields (RP_FIELD_* mask), u32 n (1..
 *	             RP_VAULT_MAX_BATCH), n × u64 id
 *	VAULT_FIND   header, u32 kind (enum rp_vault_find_kind), str value
 *	             (≤ RP_VAULT_FIELD_MAX)
 *	VAULT_ERASE  header, u64 id
 * Reply (VAULT_REPLY): u64 cookie, u32 status (0 or -RP_E_*), and if the
 * status is 0:
 *	to PUT       u64 id
 *	to GET       u32 fields released, u32 n, n × { u64 id, u32 status
 *	             (0 / -RP_E_NOTFOUND), u32 tenant, 8 × str field }
 *	             (fields outside the mask are empty)
 *	to FIND      u32 n, n × u64 id
 *	to ERASE     nothing
 *	to HELLO     nothing
 * A GET whose reply would not fit in RP_MSG_MAX_PAYLOAD is answered
 * RP_E_TOOBIG and nothing is logged or released.  A request that does not
 * decode drops the connection (logged).
 */
#ifndef RP_VAULT_H
#define RP_VAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errors.h"
#include "util/str.h"

struct rp_conf;
struct rp_msg;

#define RP_VAULT_NFIELDS	8
#define RP_VAULT_FIELD_MAX	512	/* bytes of UTF-8 per field */
#define RP_VAULT_MAX_BATCH	256	/* ids per GET */
#define RP_VAULT_MAX_ORDERS	16	/* order numbers per PUT */
#define RP_VAULT_MAX_FOUND	256	/* ids per FIND reply */
/* Persons per rp_vault_put_batch: what one log entry can name
 * (RP_ALOG_MAX_RECORDS; vault.h does not include alog/entry.h because its
 * role names clash with store.h's staff roles). */
#define RP_VAULT_MAX_PUT_BATCH	4000
#define RP_VAULT_ORDER_MAX	32	/* bytes of an order number */
#define RP_VAULT_STR_MAX	64	/* actor, purpose (= RP_ALOG_MAX_STR) */
#define RP_VAULT_TOKEN_HEX	64	/* operator token: 32 bytes in hex */
#define RP_VAULT_CAP_MAX	160	/* a capability (= RP_CAP_MAX, auth/cap.h) */
#define RP_VAULT_SOCK_NAME	"run/vault.sock"
#define RP_VAULT_READY_KIND	1	/* RP_MSG_READY kind of the vault */
#define RP_VAULT_PEER_WEB	0	/* PEER_REGISTER kind of a web worker */
/* PEER_REGISTER kind of the mailer (the shared numbering of
 * docs/access-log.md: 1..4 are vault, log writer, witness, operator). */
#define RP_VAULT_PEER_MAILER	5
/* PEER_REGISTER kind of a staff console worker (RP_KIND_CONSOLE). */
#define RP_VAULT_PEER_CONSOLE	11

/* Field order on the wire and in records; bit i is RP_FIELD_* (entry.h). */
enum rp_vault_field {
	RP_VF_NAME, RP_VF_KANA, RP_VF_EMAIL, RP_VF_PHONE, RP_VF_POSTAL_CODE,
	RP_VF_ADDRESS, RP_VF_COMPANY, RP_VF_DEPARTMENT
};

enum rp_vault_find_kind {
	RP_VAULT_FIND_EMAIL = 1,
	RP_VAULT_FIND_PHONE = 2,
	RP_VAULT_FIND_ORDER = 3,
};

struct rp_vault;
struct rp_vault_op;

/*
 * Who asks, and why.  role comes from the caller's authenticated identity
 * (the vault process sets node from SO_PEERCRED + the parent's registry;
 * it accepts the role field only if the peer class may use that role).
 * Strings are printable ASCII (the log entry's rule); node, actor and
 * purpose are required.
 */
struct rp_vault_caller {
	unsigned role;				/* enum rp_alog_role */
	char node[RP_VAULT_STR_MAX + 1];	/* "web/1", "seed", "operator" */
	char actor[RP_VAULT_STR_MAX + 1];	/* "job:seed", "staff:alice" */
	char purpose[RP_VAULT_STR_MAX + 1];	/* "order_view", "mail", ... */
	uint8_t request_id[16];			/* zeros if none */
	uint32_t tenant;			/* caller's tenant; 0 none */
	char scope_order[RP_VAULT_ORDER_MAX + 1]; /* "" none */
	/* Set by the vault server for a web worker peer (never decoded from
	 * a request): every record must be linked to scope_order. */
	bool order_bound;
	/* Set likewise for a site worker: a put stores a new record only,
	 * on order numbers no record is linked to yet. */
	bool new_orders_only;
	/* The identity holder's capability (auth/cap.h), passed on as it
	 * came; empty: none.  The vault server takes role, tenant, actor and
	 * scope from it once it verifies, never from the fields above. */
	uint8_t cap[RP_VAULT_CAP_MAX];
	uint32_t cap_len;
};

/*
 * Fills c (zeroed first) by role name ("public_web", "incident", ...: the
 * names of alog/entry.h, so that files including store.h, whose staff role
 * names clash with entry.h's, need not include entry.h).  0, or RP_E_INVAL
 * for an unknown role or a string that is empty, too long or not printable.
 */
int rp_vault_caller_init(struct rp_vault_caller *c, const char *role,
    const char *node, const char *actor, const char *purpose) RP_WARN_UNUSED;

/* Fills c for the seed job: role seed, node "seed", actor "job:seed". */
void rp_vault_caller_seed(struct rp_vault_caller *c);

/* A person to store: borrowed views, empty = absent. name is required. */
struct rp_vault_person {
	struct rp_str f[RP_VAULT_NFIELDS];
};

/*
 * A released record.  status 0 (fields filled for the released mask) or
 * RP_E_NOTFOUND (never existed, erased, or outside the caller's scope for
 * a batch).  f[] views point into mem (owned); rp_vault_record_release
 * wipes and frees it.
 */
struct rp_vault_record {
	uint64_t id;
	int status;
	uint32_t tenant;
	struct rp_str f[RP_VAULT_NFIELDS];
	char *mem;
	size_t memlen;
};
void rp_vault_record_release(struct rp_vault_record *r);	/* NULL-safe */

/*
 * A logger: makes n entry bodies (alog/entry.h body encoding) durable, in
 * order, and writes their log indexes to idx[0..n).  Returns only when they
 * are durable: 0, or a negative RP_E_* (nothing may then be assumed
 * logged).  The vault process uses the log writer's socket; `rentport
 * seed` the in-process store (alog/store.h).
 */
struct rp_vault_logger {
	int (*append)(void *ctx, const struct rp_str *bodies, size_t n,
	    uint64_t *idx);
	void *ctx;
};

/*
 * A logger over an in-process access-log store (alog/store.h), for
 * `rentport seed` and tools that run while no log writer does.  st is
 * borrowed and must outlive every use of lg.
 */
struct rp_alog_store;
void rp_vault_logger_store(struct rp_vault_logger *lg, struct rp_alog_store *st);

/*
 * Opens (creating on first use) DATA/vault/ (0700) with master.key,
 * operator.token and vault.db.  logger may be NULL for two-phase use only
 * (the synchronous calls then answer RP_E_STATE).  0 and *out (owned:
 * rp_vault_free), or RP_E_IO / RP_E_DB / RP_E_NOMEM / RP_E_STATE (libsodium
 * failed to start, or a key file of the wrong size or mode).
 */
int rp_vault_open(const char *data_dir, const struct rp_vault_logger *logger,
    struct rp_vault **out) RP_WARN_UNUSED;
void rp_vault_free(struct rp_vault *v);		/* NULL-safe; wipes keys */

/* Constant-time check of a presented operator token (hex text). */
bool rp_vault_token_ok(const struct rp_vault *v, struct rp_str token);

/*
 * Makes DATA/vault/operator.token (if missing: 32 random bytes, hex, 0600)
 * and DATA/vault/operator.hash (the vault keeps only the hash).  serve's
 * parent calls it as root before the vault starts, so the token stays
 * root's.  0 or RP_E_IO / RP_E_STATE (a file of the wrong mode or size).
 */
int rp_vault_operator_prepare(const char *data_dir) RP_WARN_UNUSED;

/*
 * Reads DATA/vault/operator.token into out (NUL-terminated hex) for
 * operator tools.  0, RP_E_IO / RP_E_NOTFOUND.  The caller wipes out.
 */
int rp_vault_token_read(const char *data_dir,
    char out[RP_VAULT_TOKEN_HEX + 1]) RP_WARN_UNUSED;

/* ---- synchronous operations (log through the logger, then release) ---- */

/*
 * Stores a new person (id 0) or replaces person *id, of tenant (0: an
 * individual customer), linking the order numbers orders[0..norders).  One
 * log entry (action put).  0 and *id; RP_E_DENIED (refused, logged);
 * RP_E_NOTFOUND (id unknown or erased); RP_E_INVAL (bad field, missing
 * name, tenant change); RP_E_AGAIN (not logged: nothing written).
 */
int rp_vault_put(struct rp_vault *v, const struct rp_vault_caller *c,
    const struct rp_vault_person *p, uint32_t tenant,
    const struct rp_str *orders, size_t norders, uint64_t *id) RP_WARN_UNUSED;

/*
 * Bulk put for the seed: n new persons (tenants[i], one order number each,
 * orders[i] may be empty) or links (persons[i] NULL: link orders[i] to the
 * existing ids[i]); ONE log entry naming every record (n ≤
 * RP_VAULT_MAX_PUT_BATCH).  Only for roles whose policy scope is
 * unrestricted (seed); others get RP_E_DENIED (logged).  New ids are written to ids[i].
 */
int rp_vault_put_batch(struct rp_vault *v, const struct rp_vault_caller *c,
    const struct rp_vault_person *const *persons, const uint32_t *tenants,
    const struct rp_str *orders, uint64_t *ids, size_t n) RP_WARN_UNUSED;

/*
 * Releases the fields in mask (RP_FIELD_*) of records ids[0..n) (n ≤
 * RP_VAULT_MAX_BATCH) into out[0..n) (each released with
 * rp_vault_record_release, also on failure).  ONE log entry names every
 * record.  0 (per-record status in out[i].status); RP_E_DENIED (refused
 * — role, purpose, fields or any record outside the scope; logged);
 * RP_E_NOTFOUND (n == 1 and that record is missing); RP_E_STATE (n == 1
 * and the record fails authentication: tampered or moved; in a batch, that
 * record's status); RP_E_AGAIN (logger failed: nothing released);
 * RP_E_INVAL / RP_E_TOOBIG.
 */
int rp_vault_get(struct rp_vault *v, const struct rp_vault_caller *c,
    const uint64_t *ids, size_t n, uint32_t mask,
    struct rp_vault_record *out) RP_WARN_UNUSED;

/*
 * Ids of live records whose normalised e-mail / phone / linked order number
 * equals value's, within the caller's scope, up to max (≤
 * RP_VAULT_MAX_FOUND).  0 and *n (possibly 0); RP_E_DENIED; RP_E_AGAIN.
 */
int rp_vault_find(struct rp_vault *v, const struct rp_vault_caller *c,
    enum rp_vault_find_kind kind, struct rp_str value, uint64_t *ids,
    size_t max, size_t *n) RP_WARN_UNUSED;

/* Crypto-shreds record id.  0; RP_E_NOTFOUND; RP_E_DENIED; RP_E_AGAIN. */
int rp_vault_erase(struct rp_vault *v, const struct rp_vault_caller *c,
    uint64_t id) RP_WARN_UNUSED;

/*
 * Bulk mode (seed): one transaction, relaxed durability until
 * rp_vault_bulk_end (commit true) — which also makes the file durable.
 * While on, new records get consecutive ids from *first_id, so a loader
 * knows ids before the rows are written.
 */
int rp_vault_bulk_begin(struct rp_vault *v, uint64_t *first_id) RP_WARN_UNUSED;
int rp_vault_bulk_end(struct rp_vault *v, bool commit) RP_WARN_UNUSED;

/* Live (not erased) records (tests, seed). */
int rp_vault_count(struct rp_vault *v, uint64_t *n) RP_WARN_UNUSED;

/* The log pseudonym of a record id (tests, incident tooling). */
void rp_vault_pseudonym(const struct rp_vault *v, uint64_t id, uint8_t out[16]);

/* ---- two-phase operations (the vault process) ---- */

/*
 * A decoded request (proto.c).  Views borrow from the message.
 */
struct rp_vault_req {
	uint32_t type;				/* RP_MSG_VAULT_* */
	uint64_t cookie;
	struct rp_vault_caller caller;		/* node left empty */
	struct rp_str token;			/* HELLO */
	uint64_t id;				/* PUT (0 new), ERASE */
	uint32_t tenant;			/* PUT: record tenant */
	struct rp_vault_person person;		/* PUT */
	struct rp_str orders[RP_VAULT_MAX_ORDERS];
	uint32_t norders;
	uint32_t fields;			/* GET */
	uint32_t nids;
	uint64_t ids[RP_VAULT_MAX_BATCH];	/* GET */
	uint32_t find_kind;			/* FIND */
	struct rp_str value;			/* FIND */
};

/*
 * Decodes a request message strictly (every field bounds-checked, strings
 * printable where the log needs them, no trailing bytes).  0, or
 * RP_E_PROTO: the sender is to be dropped.  Untrusted: has a fuzz target.
 */
int rp_vault_req_decode(struct rp_msg *m, struct rp_vault_req *req)
    RP_WARN_UNUSED;

/*
 * Prepares a request (PUT/GET/FIND/ERASE) for caller req->caller: policy,
 * database reads and crypto; no effect and no release yet.  0 and *op
 * (owned: rp_vault_op_free) whose body must be logged — even a refusal
 * yields an op (its result will be RP_E_DENIED).  A negative return means
 * nothing to log (RP_E_TOOBIG: reply would not fit; RP_E_INVAL; RP_E_DB).
 */
int rp_vault_prepare(struct rp_vault *v, const struct rp_vault_req *req,
    struct rp_vault_op **op) RP_WARN_UNUSED;

/*
 * An op that only records a refusal of req (a caller not allowed to use the
 * vault or that role at all): its result is RP_E_DENIED once logged.
 */
int rp_vault_prepare_refused(struct rp_vault *v, const struct rp_vault_req *req,
    struct rp_vault_op **op) RP_WARN_UNUSED;

/* The entry body to make durable (borrowed from op). */
struct rp_str rp_vault_op_body(const struct rp_vault_op *op);

/*
 * After the body is durable: applies the effect (put, erase) and returns
 * the operation's result (0, RP_E_DENIED, RP_E_NOTFOUND, RP_E_DB).
 */
int rp_vault_op_commit(struct rp_vault *v, struct rp_vault_op *op)
    RP_WARN_UNUSED;

/*
 * Writes the reply payload for a committed op (status and data, per the
 * protocol above) into the message writer w (begun by the caller).
 */
struct rp_msgw;
void rp_vault_op_reply(const struct rp_vault_op *op, int status,
    struct rp_msgw *w);

/* Wipes and frees (NULL-safe); never releases anything. */
void rp_vault_op_free(struct rp_vault_op *op);

/* ---- the process ---- */

/*
 * The vault process: child of `rentport serve` (parent_fd: its socket
 * pair; RP_MSG_STOP or the socket closing → exit 0; READY{1, 1} once
 * listening; PEER_REGISTER / PEER_FORGET name the web workers and the
 * mailer) or standalone (parent_fd -1).  Listens on DATA/run/vault.sock,
 * logs through DATA/run/alog.sock (reconnecting; while it is down every
 * request is answered RP_E_AGAIN).  Returns the exit status.
 */
int rp_vault_run(const struct rp_conf *conf, int parent_fd);

/* `rentport vault`: rp_vault_run without a parent.  argv: own arguments. */
int rp_vault_cmd(const struct rp_conf *conf, int argc, char **argv);

#endif
