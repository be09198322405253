/* SPDX-License-Identifier: ISC */
/*
 * gate.h — the vault, the log writer's client (the vault) and the identity
 * holder on another host: the same typed messages over TCP with mutual TLS.
 *
 * One process kind, the gate (user rentport-gate), holds a node's TLS keys
 * and does all of TLS (OpenSSL); the vault and auth never parse a TLS byte
 * and their clients are unchanged:
 *
 *   role = web   the gate binds DATA/run/vault.sock and DATA/run/auth.sock
 *                in place of the services.  A connecting worker's kind comes
 *                from the parent's registry (SO_PEERCRED pid, as the
 *                services do on one host); the gate opens one TLS
 *                connection to core_addr per local connection, presenting
 *                the certificate of that kind (DATA/tls/web.crt,
 *                console.crt, mailer.crt), and relays frames both ways.
 *   role = core  the gate listens on gate_addr:gate_port, requires a client
 *                certificate from the cluster's CA (DATA/tls/ca.crt), takes
 *                the peer's kind from the certificate (subject OU: web,
 *                console, mailer), connects to the local service named by
 *                ALPN and first tells it, in PEER_ASSERT, what the
 *                certificate said.  The services accept PEER_ASSERT only
 *                from the gate's pid, as the first message of a connection.
 *
 * On the wire each frame (proc/msg.h) travels as a 32-bit big-endian length
 * and the frame; a length outside [RP_MSG_HEADER, RP_MSG_MAX_FRAME] ends the
 * connection.  TLS 1.3 only, P-256 keys, no session tickets.
 * `rentport pki` makes the CA and each node's certificates (pki.c).
 */
#ifndef RP_GATE_H
#define RP_GATE_H

#include "conf/conf.h"
#include "proc/msg.h"

/* ALPN names of the two services reached through the gate. */
#define RP_GATE_ALPN_VAULT	"rentport-vault"
#define RP_GATE_ALPN_AUTH	"rentport-auth"

/* The node's TLS directory, relative to the data directory. */
#define RP_GATE_TLS_DIR		"tls"

/* Bytes on the wire per frame beyond the frame: its length. */
#define RP_GATE_LEN_BYTES	4
#define RP_GATE_BUF		(RP_GATE_LEN_BYTES + RP_MSG_MAX_FRAME)

/*
 * The frames in buf[0..*have) (bytes read from TLS, untrusted): each
 * whole one is handed to emit(arg, frame, n) and removed, a partial one
 * stays at the start of buf.  0; RP_E_PROTO for a length outside
 * [RP_MSG_HEADER, RP_MSG_MAX_FRAME]; emit's error, which stops.  buf
 * holds RP_GATE_BUF bytes, so a partial frame always fits.
 */
int rp_gate_frames(uint8_t *buf, size_t *have,
    int (*emit)(void *arg, const uint8_t *frame, size_t n), void *arg);

/* The gate child of `rentport serve` (role web or core); exit status. */
int rp_gate_run(const struct rp_conf *conf, int parent_fd);

/* `rentport pki …`; exit status. */
int rp_pki_main(const struct rp_conf *conf, int argc, char **argv);

/*
 * The process kind a certificate's OU names: "web", "console", "mailer"
 * (RP_KIND_*), or -1.  "core" is the core node's own (RP_KIND_MAX).
 */
int rp_gate_kind_of_role(const char *ou);

#endif
