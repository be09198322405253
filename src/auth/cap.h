/* SPDX-License-Identifier: ISC */
/*
 * cap.h — capabilities: the identity holder's word, in a form the vault
 * checks.  A capability binds a verified principal ("staff:alice"), the
 * role (enum rp_alog_role) and tenant it may act in, the order it is
 * scoped to (may be empty), the session it came from and an expiry, under
 * an HMAC-SHA-256 keyed with DATA/keys/capability.key.  Only the identity
 * holder (rentport-auth) and the vault (rentport-vault) can read that key
 * (group rentport-cap, mode 0640, made by serve's parent as root): a web
 * or console worker can pass a capability on, never make or widen one.
 *
 * Encoding (version 1, big-endian), at most RP_CAP_MAX bytes:
 *	u8  version = 1
 *	u8  role
 *	u32 tenant
 *	u64 expires_ms          unix milliseconds
 *	u8  principal_len, principal (1..RP_CAP_PRINCIPAL_MAX, printable ASCII)
 *	u8[8] session id
 *	u8  scope_len, scope_order (0..32, printable ASCII)
 *	u8[32] HMAC-SHA-256(key, all of the above)
 */
#ifndef RP_AUTH_CAP_H
#define RP_AUTH_CAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errors.h"
#include "util/str.h"

#define RP_CAP_KEY_LEN		32
#define RP_CAP_KEY_NAME		"keys/capability.key"
#define RP_CAP_PRINCIPAL_MAX	48
#define RP_CAP_SCOPE_MAX	32
#define RP_CAP_SESSION_LEN	8
#define RP_CAP_MAC_LEN		32
#define RP_CAP_MAX	(1 + 1 + 4 + 8 + 1 + RP_CAP_PRINCIPAL_MAX + \
	RP_CAP_SESSION_LEN + 1 + RP_CAP_SCOPE_MAX + RP_CAP_MAC_LEN)
/* How long a capability lives: long enough for one request's vault
 * calls, short enough that a stolen one is soon worthless. */
#define RP_CAP_TTL_MS		60000

struct rp_cap {
	unsigned role;				/* enum rp_alog_role */
	uint32_t tenant;			/* 0: none */
	uint64_t expires_ms;
	char principal[RP_CAP_PRINCIPAL_MAX + 1];
	uint8_t session[RP_CAP_SESSION_LEN];
	char scope_order[RP_CAP_SCOPE_MAX + 1];	/* "" none */
};

/* Writes c, MAC'd with key, to out[0..RP_CAP_MAX); *len.  RP_E_INVAL for
 * a field out of its range. */
int rp_cap_encode(const struct rp_cap *c, const uint8_t key[RP_CAP_KEY_LEN],
    uint8_t out[RP_CAP_MAX], size_t *len) RP_WARN_UNUSED;

/*
 * Checks in: 0 and *c; RP_E_DENIED when it does not decode or its MAC is
 * wrong (forged or altered); RP_E_EXPIRED when it is genuine but past
 * expires_ms at now_ms.  The MAC is compared in constant time.
 */
int rp_cap_verify(struct rp_str in, const uint8_t key[RP_CAP_KEY_LEN],
    uint64_t now_ms, struct rp_cap *c) RP_WARN_UNUSED;

/* "DATA/keys/capability.key" into out.  0 or RP_E_TOOBIG. */
int rp_cap_key_path(const char *data_dir, char *out, size_t n) RP_WARN_UNUSED;

/* Reads the key (0640 at most: its group reads it).  rp_keyfile_load's
 * errors. */
int rp_cap_key_load(const char *data_dir, uint8_t key[RP_CAP_KEY_LEN])
    RP_WARN_UNUSED;

/* serve's parent (or a tool run alone): makes the key if there is none
 * (keys/ made 0750 if missing).  0 or an error. */
int rp_cap_key_prepare(const char *data_dir) RP_WARN_UNUSED;

/* Unix milliseconds now (CLOCK_REALTIME). */
uint64_t rp_cap_now_ms(void);

#endif
