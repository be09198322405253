/* SPDX-License-Identifier: ISC */
/*
 * entry.h — the access-log entry: one versioned binary record per vault
 * operation (or batch of operations), the leaf data of the Merkle tree.
 * Documented for outside verifiers in docs/access-log.md.
 *
 * The log holds no personal data: records are named by a keyed pseudonym
 * (a 16-byte keyed hash of the vault's record id, key known to the vault
 * alone), actors by ids that are not personal data (staff username, a hash
 * of a customer's session, a job name).
 *
 * Wire format, version 1, all integers big-endian:
 *
 *	u8   version            = 1
 *	u64  time_ms            unix milliseconds, stamped by the log writer,
 *	                        non-decreasing along the log
 *	u8   action             enum rp_alog_action
 *	u8   role               enum rp_alog_role (from the caller's
 *	                        authenticated identity, never its request)
 *	u8   outcome            enum rp_alog_outcome
 *	u32  fields             bit set of enum rp_alog_field
 *	u32  tenant             tenant id the records belong to (0: none)
 *	u8   node_len,    node     caller node, e.g. "web/1", "seed" (≤ 64)
 *	u8   actor_len,   actor    e.g. "staff:backoffice", "session:<hex>"
 *	u8   purpose_len, purpose  e.g. "order_view", "mail", "incident"
 *	u8[16] request_id       the HTTP request id (zeros if none)
 *	u16  n_records
 *	u8[16] × n_records      record pseudonyms
 *
 * Strings are printable ASCII (0x21..0x7e), at most RP_ALOG_MAX_STR bytes.
 * An entry is at most RP_ALOG_MAX_ENTRY bytes (the tlog bundle limit).
 * The vault encodes the body (everything after time_ms) and the log writer
 * prepends version and time (rp_alog_entry_stamp).
 */
#ifndef RP_ALOG_ENTRY_H
#define RP_ALOG_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/errors.h"
#include "util/str.h"

#define RP_ALOG_ENTRY_VERSION	1
#define RP_ALOG_MAX_ENTRY	65535
#define RP_ALOG_MAX_STR		64
#define RP_ALOG_PSEUDONYM_LEN	16
#define RP_ALOG_REQID_LEN	16
#define RP_ALOG_HEADER_LEN	9	/* version + time_ms */
/* Records one entry can name: what fits in the 65,535-byte limit. */
#define RP_ALOG_MAX_RECORDS	4000

enum rp_alog_action {
	RP_ALOG_PUT = 1,
	RP_ALOG_GET = 2,
	RP_ALOG_FIND = 3,
	RP_ALOG_ERASE = 4,
	RP_ALOG_REFUSED = 5,	/* any operation the policy refused */
	RP_ALOG_HEARTBEAT = 6,	/* the writer's own "still logging" mark */
};

enum rp_alog_role {
	RP_ROLE_NONE = 0,
	RP_ROLE_PUBLIC_WEB = 1,		/* public site, customer session */
	RP_ROLE_CORPORATE_WEB = 2,	/* a corporate client's site */
	RP_ROLE_COUNTER = 3,		/* airport counter staff */
	RP_ROLE_MAILER = 4,		/* the mail sender */
	RP_ROLE_BACKOFFICE = 5,		/* back-office staff */
	RP_ROLE_CLIENT_ADMIN = 6,	/* a corporate client's administrator */
	RP_ROLE_INCIDENT = 7,		/* incident response */
	RP_ROLE_SEED = 8,		/* synthetic data job */
	RP_ROLE_LOG = 9,		/* the log writer itself */
	RP_ROLE_SECURITY = 10,		/* the security officer */
	RP_ROLE_MAX
};

enum rp_alog_outcome {
	RP_OUTCOME_OK = 0,
	RP_OUTCOME_REFUSED = 1,
	RP_OUTCOME_NOT_FOUND = 2,
	RP_OUTCOME_ERROR = 3,
};

enum rp_alog_field {
	RP_FIELD_NAME = 1u << 0,
	RP_FIELD_KANA = 1u << 1,
	RP_FIELD_EMAIL = 1u << 2,
	RP_FIELD_PHONE = 1u << 3,
	RP_FIELD_POSTAL_CODE = 1u << 4,
	RP_FIELD_ADDRESS = 1u << 5,
	RP_FIELD_COMPANY = 1u << 6,
	RP_FIELD_DEPARTMENT = 1u << 7,
	RP_FIELD_ALL = 0xffu,
};

/* A decoded entry; strings and pseudonyms borrow from the encoded bytes. */
struct rp_alog_entry {
	uint8_t version;
	uint64_t time_ms;
	uint8_t action, role, outcome;
	uint32_t fields, tenant;
	struct rp_str node, actor, purpose;
	uint8_t request_id[RP_ALOG_REQID_LEN];
	uint16_t n_records;
	const uint8_t *records;		/* n_records × 16 bytes */
};

/*
 * Encodes the body (all but version and time_ms) of e into out (cleared
 * first).  RP_E_INVAL for a bad enum, string or count; RP_E_TOOBIG if the
 * entry would exceed RP_ALOG_MAX_ENTRY.
 */
int rp_alog_body_encode(const struct rp_alog_entry *e, struct rp_buf *out)
    RP_WARN_UNUSED;

/*
 * The log writer's step: out = version ‖ time_ms ‖ body, after checking
 * that body decodes.  RP_E_INVAL / RP_E_TOOBIG.
 */
int rp_alog_entry_stamp(struct rp_str body, uint64_t time_ms,
    struct rp_buf *out) RP_WARN_UNUSED;

/*
 * Decodes a whole entry strictly: known version, known enums, printable
 * strings, exact length (no trailing bytes).  0, or RP_E_INVAL with *e
 * zeroed.  Untrusted input: has a fuzz target.
 */
int rp_alog_entry_decode(struct rp_str data, struct rp_alog_entry *e)
    RP_WARN_UNUSED;

/* Names for printing ("get", "public_web", "ok", "email"); "?" if unknown. */
const char *rp_alog_action_name(unsigned a);
const char *rp_alog_role_name(unsigned r);
const char *rp_alog_outcome_name(unsigned o);
const char *rp_alog_field_name(unsigned bit_index);
/* Parses a name back (for `log show --role=...`); -1 if unknown. */
int rp_alog_action_parse(struct rp_str s);
int rp_alog_role_parse(struct rp_str s);

#endif
