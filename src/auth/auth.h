/* SPDX-License-Identifier: ISC */
/*
 * auth.h — the identity holder: staff accounts and their sessions, in
 * DATA/auth/auth.db (rentport-auth 0700), out of every worker's reach.
 *
 * An account: username (a handle, not personal data), role, the tenant a
 * client_admin is bound to or the counters a counter login works at, an
 * argon2id password hash (util/pwhash.h), a TOTP secret (RFC 6238,
 * SHA-1, 30 s, 6 digits: what every authenticator app reads) sealed with
 * DATA/auth/totp.key (XChaCha20-Poly1305, the username as associated
 * data), whether it is enrolled or disabled, and its failure count.
 *
 * Signing in takes the password and the current code, checked together
 * and answered alike when either is wrong, the account is unknown,
 * disabled or slowed down (RP_E_DENIED): no hint which.  A code is good
 * once: its time step must be later than the last one used.  Failures
 * slow the account down: from the 3rd in a row, each further try waits
 * 2^(n−3) s (at most RP_AUTH_LOCK_MAX_S); a success resets it.  An account
 * that never proved its code (not enrolled) may sign in with the password
 * alone into an enrolment: RP_E_STATE and a ticket; the console then shows
 * the otpauth URI as a QR code and the first good code completes it.
 *
 * A session: a secret token (RP_AUTH_TOKEN_PREFIX + 64 hex; only its
 * SHA-256 is stored) for the console's cookie or the API's Bearer, a
 * public id (16 hex: shown in the sessions list, carried in capabilities
 * and so named in the access log), idle and absolute expiry, revocable.
 *
 * The library is used by the auth process (server.c), by `rentport staff`
 * and by `seed --demo` (as root, before serve).  Not thread-safe.
 */
#ifndef RP_AUTH_H
#define RP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errors.h"
#include "util/str.h"

struct rp_conf;

enum rp_staff_role {
	RP_STAFF_BACKOFFICE, RP_STAFF_COUNTER, RP_STAFF_SECURITY,
	RP_STAFF_INCIDENT, RP_STAFF_CLIENT_ADMIN, RP_STAFF_COUNT
};

/* "backoffice", "counter", ...; NULL out of range.  parse: 0 or RP_E_INVAL. */
const char *rp_staff_role_name(int v);
int rp_staff_role_parse(const char *s, int *out) RP_WARN_UNUSED;
/* The access-log role (enum rp_alog_role) a staff role acts in. */
unsigned rp_staff_alog_role(int role);

#define RP_AUTH_USER_MAX	32	/* [a-z0-9._-], 1..32 */
#define RP_AUTH_COUNTERS_MAX	128	/* "NRT1,HND3": counter codes */
#define RP_AUTH_TOTP_B32_MAX	40	/* base32 of the 20-byte secret */
#define RP_AUTH_TOKEN_PREFIX	"rps_"
#define RP_AUTH_TOKEN_LEN	(4 + 64)
#define RP_AUTH_SID_HEX		16	/* public session id, hex */
#define RP_AUTH_CLIENT_MAX	64	/* the client's address, as text */
#define RP_AUTH_LOCK_FREE	3	/* failures before the slow-down */
#define RP_AUTH_LOCK_MAX_S	300
#define RP_AUTH_ENROL_S		600	/* an enrolment ticket's life */

struct rp_staff_account {
	int64_t id;
	char username[RP_AUTH_USER_MAX + 1];
	int role;				/* enum rp_staff_role */
	int64_t tenant_id;			/* client_admin: > 0; else 0 */
	char counters[RP_AUTH_COUNTERS_MAX + 1];	/* counter: "NRT1,..." */
	bool disabled, enrolled;
	int failures;
	int64_t locked_until;			/* unix s */
	int64_t created_at;
};

struct rp_auth_session {
	char sid[RP_AUTH_SID_HEX + 1];
	struct rp_staff_account who;
	int64_t created_at, last_seen, expires_at;	/* unix s; absolute end */
	int64_t idle_until;				/* unix s */
	char client[RP_AUTH_CLIENT_MAX + 1];
	char kind[8];					/* "console" | "api" */
	bool revoked;
};

struct rp_auth_db;

/* Valid username: 1..32 of [a-z0-9._-], starting with a letter or digit. */
bool rp_auth_user_ok(struct rp_str u);

/*
 * Opens (creating on first use) DATA/auth/ (0700), auth.db and totp.key.
 * 0 and *out, or RP_E_IO / RP_E_DB / RP_E_STATE (a key file of the wrong
 * mode).
 */
int rp_auth_db_open(const char *data_dir, struct rp_auth_db **out)
    RP_WARN_UNUSED;
void rp_auth_db_close(struct rp_auth_db *db);	/* NULL-safe; wipes keys */

/*
 * Adds an account.  password: NULL → a random one is made and written to
 * pw_out (≥ 24 bytes); the TOTP secret is always new, its base32 in
 * b32_out.  tenant_id > 0 exactly for client_admin; counters only for
 * counter.  0; RP_E_EXISTS; RP_E_INVAL (a field).
 */
int rp_auth_staff_add(struct rp_auth_db *db, const char *username, int role,
    int64_t tenant_id, const char *counters, const char *password,
    char *pw_out, size_t pw_cap, char b32_out[RP_AUTH_TOTP_B32_MAX + 1])
    RP_WARN_UNUSED;
int rp_auth_staff_get(struct rp_auth_db *db, const char *username,
    struct rp_staff_account *a) RP_WARN_UNUSED;
/* Every account, by username (owned array: free()).  0 or an error. */
int rp_auth_staff_list(struct rp_auth_db *db, struct rp_staff_account **out,
    size_t *n) RP_WARN_UNUSED;
/* Disables (every session of it ends) or enables an account. */
int rp_auth_staff_disable(struct rp_auth_db *db, const char *username,
    bool disabled) RP_WARN_UNUSED;
/* A new password (NULL: random, into pw_out); ends every session and
 * clears the failure count. */
int rp_auth_staff_reset(struct rp_auth_db *db, const char *username,
    const char *password, char *pw_out, size_t pw_cap) RP_WARN_UNUSED;
/* A new TOTP secret (base32 into b32_out), not enrolled; ends every
 * session. */
int rp_auth_staff_totp_reset(struct rp_auth_db *db, const char *username,
    char b32_out[RP_AUTH_TOTP_B32_MAX + 1]) RP_WARN_UNUSED;

/* What a sign-in gives: the token (secret, once) and the session. */
struct rp_auth_login {
	char token[RP_AUTH_TOKEN_LEN + 1];
	struct rp_auth_session s;
	/* RP_E_STATE (enrolment): the ticket and the otpauth URI */
	char uri[256];
};

/*
 * Signs in (see the top).  kind "console" or "api"; client the address.
 * allow_enrol: an unenrolled account with the right password and no
 * code gets RP_E_STATE with out->token an enrolment ticket and out->uri.
 * 0 (a session), RP_E_DENIED (anything wrong), RP_E_STATE, RP_E_DB.
 */
int rp_auth_signin(struct rp_auth_db *db, struct rp_str user,
    struct rp_str password, struct rp_str code, const char *kind,
    const char *client, bool allow_enrol, int64_t now, int64_t idle_s,
    int64_t life_s, struct rp_auth_login *out) RP_WARN_UNUSED;

/* Completes an enrolment: the ticket from rp_auth_signin and the first
 * code.  0 and a session in out, or RP_E_DENIED. */
int rp_auth_enrol(struct rp_auth_db *db, struct rp_str ticket,
    struct rp_str code, const char *kind, const char *client, int64_t now,
    int64_t idle_s, int64_t life_s, struct rp_auth_login *out) RP_WARN_UNUSED;

/*
 * The session of token at now (touching its idle time): 0 and *s;
 * RP_E_EXPIRED (idle or absolute end passed, revoked, account disabled);
 * RP_E_NOTFOUND (no such token).
 */
int rp_auth_session_get(struct rp_auth_db *db, struct rp_str token,
    int64_t now, int64_t idle_s, struct rp_auth_session *s) RP_WARN_UNUSED;
/* Ends the session of token (sign-out).  0 or RP_E_NOTFOUND. */
int rp_auth_signout(struct rp_auth_db *db, struct rp_str token)
    RP_WARN_UNUSED;
/* The open sessions of an account (owned array), newest first. */
int rp_auth_sessions(struct rp_auth_db *db, int64_t staff_id, int64_t now,
    struct rp_auth_session **out, size_t *n) RP_WARN_UNUSED;
/* Revokes session sid of staff_id.  0 or RP_E_NOTFOUND. */
int rp_auth_revoke(struct rp_auth_db *db, int64_t staff_id, const char *sid)
    RP_WARN_UNUSED;

/* ---- travellers and corporate clients (customers.c) --------------------- */

/*
 * Travellers have no passwords: a one-time link (kind link) e-mailed to
 * the address on the order opens a browser session (kind session) bound
 * to that one order on that one site; a corporate site's access code,
 * once checked, gives an access pass (kind access) bound to the code's
 * fingerprint.  A token is RP_CUST_TOKEN_LEN base64url characters (32
 * random bytes); only its SHA-256 is stored, with a public id (sid, 16
 * hex) that names it in capabilities and so in the access log.
 */
enum rp_cust_kind { RP_CUST_LINK, RP_CUST_SESSION, RP_CUST_ACCESS,
	RP_CUST_PLACEMENT };
#define RP_CUST_TOKEN_LEN	43
#define RP_CUST_ORDER_MAX	32
#define RP_CUST_BIND_MAX	64
#define RP_CUST_LINK_TTL	(30 * 24 * 3600)	/* a mailed link */
#define RP_CUST_SESSION_TTL	(24 * 3600)		/* "my order" */
#define RP_CUST_ACCESS_TTL	(30 * 24 * 3600)	/* an access pass */
/* a placement: the review page's nonce, with which a double submit of one
 * order form gets a session on the order the first submit placed */
#define RP_CUST_PLACEMENT_TTL	600

struct rp_cust_token {
	int kind;				/* enum rp_cust_kind */
	int64_t tenant_id;			/* 0: the public site */
	char order[RP_CUST_ORDER_MAX + 1];	/* "" for access */
	char sid[RP_AUTH_SID_HEX + 1];
	int64_t expires_at;
};

/* rp_auth_cust_new (no bind) with the public id sid (16 hex) the caller
 * names: a session that keeps the id its placement began with.
 * RP_E_EXISTS if that id is taken. */
int rp_auth_cust_new_sid(struct rp_auth_db *db, int kind, int64_t tenant_id,
    const char *order, const char *sid, int64_t now, int64_t ttl_s,
    char out[RP_CUST_TOKEN_LEN + 1]) RP_WARN_UNUSED;

/*
 * rp_auth_cust_new with a token the caller made (RP_CUST_TOKEN_LEN
 * base64url characters; a placement nonce from the review page): 0,
 * RP_E_INVAL, RP_E_EXISTS (that token is taken), RP_E_DB.
 */
int rp_auth_cust_add(struct rp_auth_db *db, int kind, int64_t tenant_id,
    const char *order, struct rp_str token, int64_t now, int64_t ttl_s)
    RP_WARN_UNUSED;

/* Printable ASCII, 1..RP_CUST_ORDER_MAX (the order numbers' alphabet). */
bool rp_auth_order_ok(const char *s);

/*
 * A new token of kind for (tenant_id, order; "" for access) bound to bind
 * ("" none; printable, ≤ RP_CUST_BIND_MAX) valid for ttl_s from now: its
 * text into out (the caller hands it on once and wipes it), its sid into
 * sid (may be NULL).  0, RP_E_INVAL, RP_E_DB.
 */
int rp_auth_cust_new(struct rp_auth_db *db, int kind, int64_t tenant_id,
    const char *order, const char *bind, int64_t now, int64_t ttl_s,
    char out[RP_CUST_TOKEN_LEN + 1], char sid[RP_AUTH_SID_HEX + 1])
    RP_WARN_UNUSED;
/*
 * The token presented (untrusted bytes) of kind with this bind, unexpired
 * at now and unused: 0 and *t; consume marks it used (of two requests
 * racing with one link only one gets it).  RP_E_NOTFOUND for malformed,
 * unknown, expired, used or otherwise bound alike.
 */
int rp_auth_cust_take(struct rp_auth_db *db, int kind, struct rp_str token,
    const char *bind, int64_t now, bool consume, struct rp_cust_token *t)
    RP_WARN_UNUSED;
/*
 * Retires (marks used at now) the live tokens of kind for order on
 * tenant_id but keep_sid ("" none): a newer link, or a link used, ends
 * the older ones.  *n (may be NULL) how many.
 */
int rp_auth_cust_retire(struct rp_auth_db *db, int kind, int64_t tenant_id,
    const char *order, const char *keep_sid, int64_t now, uint64_t *n)
    RP_WARN_UNUSED;
/* Deletes the token of kind with public id sid (a link whose mail was
 * not queued; a session signed out).  0 also when there was none. */
int rp_auth_cust_revoke(struct rp_auth_db *db, int kind, const char *sid)
    RP_WARN_UNUSED;
/* Deletes the tokens expired at now. */
int rp_auth_cust_purge(struct rp_auth_db *db, int64_t now) RP_WARN_UNUSED;

/*
 * The corporate JSON API's keys: "rpk_" + 64 lowercase hex (32 random
 * bytes); only the SHA-256 is kept, the text is shown once by the caller
 * of create.
 */
#define RP_API_KEY_PREFIX	"rpk_"
#define RP_API_KEY_LEN		68	/* "rpk_" + 64 hex */

/* A key for tenant_id (> 0): its text into out, its id into *id (may be
 * NULL).  0, RP_E_INVAL, RP_E_DB. */
int rp_auth_apikey_create(struct rp_auth_db *db, int64_t tenant_id,
    char out[RP_API_KEY_LEN + 1], int64_t *id) RP_WARN_UNUSED;
/* The tenant and id of a presented key (untrusted bytes): 0, or
 * RP_E_NOTFOUND for malformed, unknown or revoked alike. */
int rp_auth_apikey_lookup(struct rp_auth_db *db, struct rp_str key,
    int64_t *tenant_id, int64_t *id) RP_WARN_UNUSED;
/* Revokes key id: 0, or RP_E_NOTFOUND. */
int rp_auth_apikey_revoke(struct rp_auth_db *db, int64_t id) RP_WARN_UNUSED;

/* ---- TOTP (totp.c; liboath) ---------------------------------------------- */

#define RP_TOTP_STEP_S	30
#define RP_TOTP_WINDOW	1	/* steps before and after now */

/*
 * Checks code (6 digits) against secret at unix time now within
 * RP_TOTP_WINDOW steps; a step ≤ last_step is refused (replay).  0 and
 * *step (the matched step), RP_E_DENIED.
 */
int rp_totp_check(const uint8_t *secret, size_t n, struct rp_str code,
    int64_t now, int64_t last_step, int64_t *step) RP_WARN_UNUSED;
/* The code for secret at now (tests, the demo). */
int rp_totp_code(const uint8_t *secret, size_t n, int64_t now, char out[7])
    RP_WARN_UNUSED;
/* Base32 (RFC 4648, no padding) of secret into out (≥ 8n/5+2). */
int rp_totp_b32(const uint8_t *secret, size_t n, char *out, size_t cap)
    RP_WARN_UNUSED;
/* "otpauth://totp/rentport:USER?secret=…&issuer=rentport&…" */
int rp_totp_uri(const char *user, const char *b32, char *out, size_t cap)
    RP_WARN_UNUSED;

/* ---- the process and the CLI ------------------------------------------- */

#define RP_AUTH_SOCK_NAME	"run/auth.sock"

/*
 * serve's parent, as root, before the children: DATA/auth/ and its TOTP
 * sealing key (the auth process may not link files into place).  0 or
 * an error.
 */
int rp_auth_prepare(const char *data_dir) RP_WARN_UNUSED;

/* The auth process (a child of serve): see server.c.  Exit status. */
int rp_auth_run(const struct rp_conf *conf, int parent_fd);

/* `rentport staff add|list|disable|enable|reset|totp-reset`. */
int rp_staff_cmd(const struct rp_conf *conf, int argc, char **argv);

#endif
