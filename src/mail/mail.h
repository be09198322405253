/* SPDX-License-Identifier: ISC */
/*
 * mail.h — the mail outbox and sender library: customer mail (order
 * confirmed, "my order" link, order changed, order cancelled) in Japanese
 * or English.
 *
 * The outbox is its own SQLite file, DATA/mail/outbox.db (mode 0600).  A
 * queued message names its recipient only by vault record id (person_id)
 * and carries only non-personal template values (order number, dates, plan,
 * totals, the my-order link) as a JSON object: the address and the name
 * are fetched from the vault at send time (role mailer, purpose "mail") and
 * wiped once the message is out.  The operational log names message ids
 * and order numbers only.
 *
 * Runs in the mailer process (mailer.h: a child of `rentport serve`);
 * enqueue is also called by web workers.  Trusts nothing it renders: every
 * header value is checked for control characters, names and subjects go
 * out as RFC 2047 encoded-words, bodies as base64.
 *
 * Not thread-safe: one struct rp_mail_outbox per thread.
 */
#ifndef RP_MAIL_H
#define RP_MAIL_H

#include <stdbool.h>
#include <stdint.h>
#include "util/buf.h"
#include "util/str.h"

struct rp_mail_outbox;
struct rp_vault_client;

#define RP_MAIL_KIND_MAX	32	/* bytes of a template name */
#define RP_MAIL_ORDER_MAX	32	/* bytes of an order number */
#define RP_MAIL_DEDUPE_MAX	64	/* bytes of a caller's dedupe key */
#define RP_MAIL_PARAMS_MAX	4096	/* bytes of the params JSON */
#define RP_MAIL_MSG_MAX		(256 * 1024)	/* bytes of a rendered message */
#define RP_MAIL_ADDR_MAX	254	/* bytes of an e-mail address */
#define RP_MAIL_NAME_MAX	512	/* bytes of a display name */
#define RP_MAIL_BATCH		64	/* messages per rp_mail_deliver_due */
#define RP_MAIL_BACKOFF_BASE	60	/* s: first retry after a failure */
#define RP_MAIL_BACKOFF_CAP	3600	/* s: longest wait between attempts */
#define RP_MAIL_AGAIN_DELAY	60	/* s: wait when the vault is unavailable */
#define RP_MAIL_MAX_ATTEMPTS	8	/* default: dead after this many */

/*
 * Opens (creating it and DATA/mail/, mode 0700, if needed) the outbox at
 * DATA/mail/outbox.db.  0 and *out (owned: rp_mail_outbox_close); RP_E_IO
 * (directory), RP_E_DB.
 */
int rp_mail_outbox_open(const char *data_dir,
    struct rp_mail_outbox **out) RP_WARN_UNUSED;
/* Same, on an explicit database path (tests). */
int rp_mail_outbox_open_path(const char *path,
    struct rp_mail_outbox **out) RP_WARN_UNUSED;
void rp_mail_outbox_close(struct rp_mail_outbox *ob);	/* NULL-safe */

/* True if kind names a template ("order_confirmed", "my_order_link",
 * "order_changed", "order_cancelled"). */
bool rp_mail_kind_valid(const char *kind);

/*
 * Queues one message for person_id (a vault record id, never an address).
 * kind: a template name; lang: "ja" or "en"; order_number: printable ASCII,
 * 1..RP_MAIL_ORDER_MAX; params_json: a JSON object whose values are strings
 * (UTF-8, no control characters) or integers, at most RP_MAIL_PARAMS_MAX
 * bytes — non-personal values only; dedupe: a caller's key (printable
 * ASCII, ≤ RP_MAIL_DEDUPE_MAX, may be "" — e.g. the order's event id or
 * the request's Idempotency-Key).
 *
 * Idempotent: a second call with the same (kind, order_number, dedupe)
 * queues nothing and returns the first message's id.  0 and *id (and
 * *created, may be NULL); RP_E_INVAL (bad argument), RP_E_TOOBIG, RP_E_DB.
 */
int rp_mail_enqueue(struct rp_mail_outbox *ob, const char *kind,
    const char *lang, const char *order_number, uint64_t person_id,
    const char *params_json, const char *dedupe, int64_t now,
    uint64_t *id, bool *created) RP_WARN_UNUSED;

/* A message's state as stored (tests, operator tools). */
enum rp_mail_state {
	RP_MAIL_QUEUED, RP_MAIL_SENT, RP_MAIL_FAILED, RP_MAIL_DEAD
};
struct rp_mail_info {
	uint64_t id;
	enum rp_mail_state state;
	unsigned attempts;
	int64_t next_attempt_at, created_at, sent_at;
	char kind[RP_MAIL_KIND_MAX + 1];
	char lang[3];
	char order_number[RP_MAIL_ORDER_MAX + 1];
	uint64_t person_id;
	char last_error[128];	/* an error name, never personal data */
};
/* Reads message id.  0; RP_E_NOTFOUND; RP_E_DB. */
int rp_mail_get(struct rp_mail_outbox *ob, uint64_t id,
    struct rp_mail_info *out) RP_WARN_UNUSED;
/* Counts messages in state (negative: all).  0 and *n; RP_E_DB. */
int rp_mail_count(struct rp_mail_outbox *ob, int state,
    uint64_t *n) RP_WARN_UNUSED;

/*
 * Renders an RFC 5322 message (CRLF line ends) into out (appended):
 * From (from_name may be empty), To (to_name as an encoded-word, to_addr),
 * Subject (RFC 2047 B encoded-words, folded), Date (now, UTC),
 * Message-ID (<mail-ID.CREATED_AT@domain of from_addr>: the same for
 * every attempt, so a message re-sent after a crash between the relay's
 * "250" and the outbox update can be recognised), MIME-Version,
 * Content-Type text/plain; charset=UTF-8, Content-Transfer-Encoding
 * base64, the body (76-column base64).  The template's {{key}} are taken
 * from params_json, {{name}} from to_name; an unknown key is RP_E_INVAL.
 *
 * RP_E_INVAL: unknown kind or lang, invalid JSON, a header value with a
 * control character (CR, LF, ...) or invalid UTF-8, an address that is not
 * a plain local@domain; RP_E_TOOBIG past RP_MAIL_MSG_MAX; RP_E_NOMEM.
 */
int rp_mail_render(const char *kind, const char *lang, struct rp_str params,
    struct rp_str from_name, struct rp_str from_addr, struct rp_str to_name,
    struct rp_str to_addr, uint64_t id, int64_t created_at, int64_t now,
    struct rp_buf *out) RP_WARN_UNUSED;

/* True if a is a plain address local@domain: printable ASCII without
 * spaces, quotes, angle brackets, parentheses, commas, semicolons or
 * backslashes; one @; 1..RP_MAIL_ADDR_MAX bytes; a dot in the domain. */
bool rp_mail_addr_valid(struct rp_str a);

/*
 * A recipient fetched from the vault.  The fetch function fills name and
 * addr (NUL-terminated) and returns 0; RP_E_AGAIN (vault or access log
 * unavailable: the message is retried later, not counted as an attempt);
 * RP_E_NOTFOUND (record erased: the message is dead); anything else counts
 * as a failed attempt.  rp_mail_deliver_due wipes the struct after use.
 */
struct rp_mail_rcpt {
	char name[RP_MAIL_NAME_MAX + 1];
	char addr[RP_MAIL_ADDR_MAX + 1];
};
typedef int (*rp_mail_fetch_fn)(void *arg, uint64_t person_id,
    const char *order, struct rp_mail_rcpt *out);

/*
 * The real fetch: arg is a connected struct rp_vault_client (borrowed);
 * asks for name and e-mail of person_id with role "mailer", node "mailer",
 * actor "job:mail", purpose "mail", scoped to the message's order (the
 * vault releases only the traveller linked to it).  RP_E_CLOSED from the client comes
 * back as RP_E_AGAIN (the caller reconnects).
 */
int rp_mail_vault_fetch(void *arg, uint64_t person_id, const char *order,
    struct rp_mail_rcpt *out);

enum rp_mail_transport_kind { RP_MAIL_T_EML, RP_MAIL_T_SMTP };

/*
 * Where messages go.  EML (the default): one file per message,
 * out_dir/<order>-<kind>-<id>.eml (out_dir/<kind>-<id>.eml if the order
 * number is not a safe file name), mode 0600, written to a temporary name,
 * fsynced and renamed.  SMTP: libcurl to smtp_url ("smtp://relay:25",
 * "smtps://..."), MAIL FROM from_addr, RCPT TO the recipient, with
 * timeout_ms for connect and the whole transfer.  max_attempts (0:
 * RP_MAIL_MAX_ATTEMPTS) failures make a message dead.  backoff_base_s (0:
 * RP_MAIL_BACKOFF_BASE) is the wait after the first failure.  Strings are
 * borrowed.
 */
struct rp_mail_transport {
	enum rp_mail_transport_kind kind;
	const char *out_dir;		/* EML: DATA/mail/out */
	const char *smtp_url;		/* SMTP */
	long timeout_ms;		/* SMTP: 0 → 30000 */
	const char *from_name;		/* "" or a display name */
	const char *from_addr;		/* envelope and header From */
	unsigned max_attempts;
	unsigned backoff_base_s;	/* 0 → RP_MAIL_BACKOFF_BASE */
	/* the key pair "my order" links are sealed to (auth/linkseal.h);
	 * NULL: a message with a sealed link is dead */
	const uint8_t *link_pk, *link_sk;
};

struct rp_mail_stats {
	unsigned sent, retried, dead, deferred;	/* deferred: vault RP_E_AGAIN */
};

/*
 * Delivers up to RP_MAIL_BATCH messages whose next_attempt_at ≤ now, oldest
 * first: fetch the recipient, render, send.  A sent message is state sent;
 * a failure increments attempts and sets next_attempt_at = now +
 * min(base × 2^(attempts-1), RP_MAIL_BACKOFF_CAP) (base: the transport's
 * backoff_base_s, by default RP_MAIL_BACKOFF_BASE) and
 * state failed, or dead at max_attempts; a vault RP_E_AGAIN defers the
 * message by RP_MAIL_AGAIN_DELAY without counting an attempt and stops the
 * batch.  Log lines name message ids and order numbers only.
 * 0 (st filled, may be NULL) or RP_E_DB / RP_E_INVAL (bad transport).
 */
int rp_mail_deliver_due(struct rp_mail_outbox *ob, rp_mail_fetch_fn fetch,
    void *fetch_arg, const struct rp_mail_transport *t, int64_t now,
    struct rp_mail_stats *st) RP_WARN_UNUSED;

/* The earliest next_attempt_at of a queued or failed message: 0 and *when,
 * or RP_E_NOTFOUND (nothing pending); RP_E_DB. */
int rp_mail_next_due(struct rp_mail_outbox *ob, int64_t *when) RP_WARN_UNUSED;

#endif
