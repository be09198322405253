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
 * Only the console workers the parent registered may ask (SO_PEERCRED);
 * anyone else is hung up on.  Errors: RP_E_AGAIN (the identity holder is
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

#endif
