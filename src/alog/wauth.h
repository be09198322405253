/* SPDX-License-Identifier: ISC */
/*
 * wauth.h — how the log writer proves to the witness that an
 * add-checkpoint request is its own: a 32-byte secret shared by the two
 * (the witness makes it at its first start; the log writer reads it), and
 * an HMAC-SHA256 of the request body with it, sent as
 *     Authorization: rentport-hmac-sha256 <64 lowercase hex>
 * An HMAC rather than the secret itself, because in production the
 * witness is on another host and plain HTTP may be sniffed: a sniffer can
 * only replay a body the log already sent, and a replayed (older)
 * checkpoint is answered 409 without an alarm.  C2SP tlog-witness leaves
 * client authentication to the deployment.
 *
 * The key file (conf witness_client_key, default DATA/witness/client.key)
 * is 64 hex characters and a newline, mode 0600 (0640 allowed: the log
 * writer may run as another user in the witness's group); never logged.
 */
#ifndef RP_ALOG_WAUTH_H
#define RP_ALOG_WAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "util/buf.h"
#include "util/errors.h"
#include "util/str.h"

#define RP_WAUTH_KEY_LEN	32
#define RP_WAUTH_SCHEME		"rentport-hmac-sha256"
#define RP_WAUTH_HEADER_MAX	(sizeof(RP_WAUTH_SCHEME) + 2 * 32 + 1)

/* The key file's path: conf->witness_client_key, else
 * DATA/witness/client.key.  0 or RP_E_TOOBIG. */
int rp_wauth_path(const struct rp_conf *conf, char *out, size_t n)
    RP_WARN_UNUSED;

/*
 * Reads the key file.  0; RP_E_NOTFOUND (no file yet); RP_E_STATE (the
 * file is readable or writable by others); RP_E_INVAL (not 64 hex and a
 * newline); RP_E_IO.  key is wiped on failure.
 */
int rp_wauth_key_load(const char *path, uint8_t key[RP_WAUTH_KEY_LEN])
    RP_WARN_UNUSED;

/*
 * Loads the key file, or makes it (random, mode 0600, written to a
 * temporary and linked into place, so a concurrent maker or a crash never
 * leaves half a key) when there is none.  *made tells which.  Errors as
 * rp_wauth_key_load.
 */
int rp_wauth_key_make(const char *path, uint8_t key[RP_WAUTH_KEY_LEN],
    bool *made) RP_WARN_UNUSED;

/* Appends "rentport-hmac-sha256 <hex>" for body to out. */
int rp_wauth_header(const uint8_t key[RP_WAUTH_KEY_LEN], struct rp_str body,
    struct rp_buf *out);

/* Whether header (an Authorization value) starts with our scheme. */
bool rp_wauth_scheme_ok(struct rp_str header);

/* 0 if header is our scheme with the right HMAC of body (constant-time
 * compare); RP_E_DENIED otherwise. */
int rp_wauth_check(const uint8_t key[RP_WAUTH_KEY_LEN], struct rp_str header,
    struct rp_str body) RP_WARN_UNUSED;

#endif
