/* SPDX-License-Identifier: ISC */
/*
 * client.h — asking the identity holder (DATA/run/auth.sock) from a
 * console worker.  Each call connects, sends one request, waits at most
 * RP_AUTH_CLIENT_TIMEOUT_MS for the reply and hangs up: thread-safe, no
 * state.  The wire format (proc/msg.h framing):
 *
 *	AUTH_SIGNIN   u64 cookie, str user (≤32), str password (≤256),
 *	              str code (≤8), str kind ("console"|"api"), str client
 *	              (≤64), u32 allow_enrol
 *	AUTH_ENROL    u64 cookie, str ticket, str code, str kind, str client
 *	AUTH_WHO      u64 cookie, str token, str scope_order (≤32)
 *	AUTH_SIGNOUT  u64 cookie, str token
 *	AUTH_SESSIONS u64 cookie, str token
 *	AUTH_REVOKE   u64 cookie, str token, str sid (16 hex)
 *	AUTH_REPLY    u64 cookie, u32 -status, and when status is 0:
 *	   SIGNIN, ENROL  str token, who
 *	   WHO            who, str capability (≤ RP_CAP_MAX)
 *	   SESSIONS       u32 n (≤ 100), n × { str sid, str kind, str client,
 *	                  u64 created, u64 last_seen, u64 expires, u32 current }
 *	   SIGNOUT, REVOKE nothing
 *	 and for SIGNIN with status RP_E_STATE (enrolment): str ticket, str uri
 *	who = str sid, str user, u32 role, u32 tenant, str counters,
 *	      u64 expires_at, u64 idle_until
 *
 * The site workers (public and corporate) ask for travellers and API keys:
 *
 *	AUTH_LINK_NEW     u64 cookie, u32 tenant, str order, str base_url
 *	                  → str sealed (auth/linkseal.h), str sid
 *	AUTH_LINK_SETTLE  u64 cookie, u32 tenant, str order, str sid, u32 sent
 *	AUTH_LINK_OPEN    u64 cookie, u32 tenant, str token, u32 use
 *	                  → (use) str session token, str order
 *	AUTH_RECEIPT      u64 cookie, u32 tenant, str receipt, str nonce (the
 *	                  review page's placement nonce, "" none)
 *	                  → str session token
 *	AUTH_REPLAY       u64 cookie, u32 tenant, str nonce → str session token
 *	                  (a double submit: the order the nonce's first placed)
 *	AUTH_CUST_WHO     u64 cookie, u32 tenant, str session token
 *	                  → str order, str sid, str capability
 *	AUTH_ACCESS_NEW   u64 cookie, u32 tenant, str bind → str pass token
 *	AUTH_ACCESS_CHECK u64 cookie, u32 tenant, str pass token, str bind
 *	AUTH_APIKEY       u64 cookie, str key → u32 tenant, str capability
 *
 * A site worker never sees a link in the clear (it is sealed to the mail
 * sender) and gets a session only for a link the traveller opened or for
 * the vault's receipt of a traveller it just stored; so it holds the
 * capability of an order only while that order's traveller uses it.
 *
 * Only the workers the parent registered may ask (SO_PEERCRED), console
 * workers for staff and site workers for travellers; anyone else, or a
 * request of the other kind, is hung up on.  Errors: RP_E_AGAIN (the identity holder is
 * down or did not answer: fail closed, 503), RP_E_DENIED (wrong password
 * or code, unknown, disabled or slowed-down account: the same for all),
 * RP_E_EXPIRED (session ended: sign in again), RP_E_NOTFOUND, RP_E_STATE
 * (enrolment needed).
 */
#ifndef RP_AUTH_CLIENT_H
#define RP_AUTH_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "auth/cap.h"
#include "util/str.h"

#define RP_AUTH_CLIENT_TIMEOUT_MS	5000
#define RP_AUTH_MAX_SESSIONS		100

/* What the identity holder says about a session (and a capability). */
struct rp_auth_who {
	char sid[RP_AUTH_SID_HEX + 1];
	char user[RP_AUTH_USER_MAX + 1];
	int role;				/* enum rp_staff_role */
	uint32_t tenant;
	char counters[RP_AUTH_COUNTERS_MAX + 1];
	int64_t expires_at, idle_until;		/* unix s */
	uint8_t cap[RP_CAP_MAX];		/* WHO only */
	size_t cap_len;
};

struct rp_auth_row {
	char sid[RP_AUTH_SID_HEX + 1];
	char kind[8];
	char client[RP_AUTH_CLIENT_MAX + 1];
	int64_t created, last_seen, expires;
	int current;
};

/* token: RP_AUTH_TOKEN_LEN + 1 bytes; uri (enrolment): 256 bytes. */
int rp_auth_client_signin(const char *data_dir, struct rp_str user,
    struct rp_str password, struct rp_str code, const char *kind,
    const char *client, int allow_enrol, char *token, struct rp_auth_who *w,
    char *uri) RP_WARN_UNUSED;
int rp_auth_client_enrol(const char *data_dir, struct rp_str ticket,
    struct rp_str code, const char *kind, const char *client, char *token,
    struct rp_auth_who *w) RP_WARN_UNUSED;
int rp_auth_client_who(const char *data_dir, struct rp_str token,
    const char *scope_order, struct rp_auth_who *w) RP_WARN_UNUSED;
int rp_auth_client_signout(const char *data_dir, struct rp_str token)
    RP_WARN_UNUSED;
/* rows: RP_AUTH_MAX_SESSIONS entries. */
int rp_auth_client_sessions(const char *data_dir, struct rp_str token,
    struct rp_auth_row *rows, size_t *n) RP_WARN_UNUSED;
int rp_auth_client_revoke(const char *data_dir, struct rp_str token,
    const char *sid) RP_WARN_UNUSED;

/* ---- the site workers ---------------------------------------------------- */

#include "auth/linkseal.h"

/* A link for order's mail on tenant's site at base_url (its public root):
 * sealed for the mail sender, and its public id.  Settle it once the mail
 * is queued (sent 1: it ends the order's older links) or not (0: void). */
int rp_auth_client_link_new(const char *data_dir, uint32_t tenant,
    const char *order, const char *base_url, char sealed[RP_LINKSEAL_MAX + 1],
    char sid[RP_AUTH_SID_HEX + 1]) RP_WARN_UNUSED;
int rp_auth_client_link_settle(const char *data_dir, uint32_t tenant,
    const char *order, const char *sid, int sent) RP_WARN_UNUSED;
/* use 0: 0 if the link is good on this site; 1: uses it and starts a
 * session (its token into tok, the order into order).  RP_E_NOTFOUND. */
int rp_auth_client_link_open(const char *data_dir, uint32_t tenant,
    struct rp_str link, int use, char tok[RP_CUST_TOKEN_LEN + 1],
    char order[RP_CUST_ORDER_MAX + 1]) RP_WARN_UNUSED;
/* A session on the order of the vault's put receipt, remembered under the
 * review page's placement nonce (RP_CUST_TOKEN_LEN base64url; empty:
 * none) for a double submit.  RP_E_DENIED. */
int rp_auth_client_receipt(const char *data_dir, uint32_t tenant,
    const uint8_t *receipt, size_t n, struct rp_str nonce,
    char tok[RP_CUST_TOKEN_LEN + 1]) RP_WARN_UNUSED;
/* A double submit of the form with that nonce: a session on the order
 * the first submit placed.  RP_E_NOTFOUND (none, or not yet). */
int rp_auth_client_replay(const char *data_dir, uint32_t tenant,
    struct rp_str nonce, char tok[RP_CUST_TOKEN_LEN + 1]) RP_WARN_UNUSED;

struct rp_auth_traveller {
	char order[RP_CUST_ORDER_MAX + 1];
	char sid[RP_AUTH_SID_HEX + 1];
	uint8_t cap[RP_CAP_MAX];
	size_t cap_len;
};
/* The session's order and a capability on it.  RP_E_NOTFOUND. */
int rp_auth_client_traveller(const char *data_dir, uint32_t tenant,
    struct rp_str session, struct rp_auth_traveller *t) RP_WARN_UNUSED;
int rp_auth_client_access_new(const char *data_dir, uint32_t tenant,
    const char *bind, char tok[RP_CUST_TOKEN_LEN + 1]) RP_WARN_UNUSED;
int rp_auth_client_access_check(const char *data_dir, uint32_t tenant,
    struct rp_str pass, const char *bind) RP_WARN_UNUSED;
/* An API key's tenant and capability (cap: RP_CAP_MAX bytes). */
int rp_auth_client_apikey(const char *data_dir, struct rp_str key,
    uint32_t *tenant, uint8_t *cap, size_t *cap_len) RP_WARN_UNUSED;

#endif
