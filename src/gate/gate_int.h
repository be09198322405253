/* SPDX-License-Identifier: ISC */
/*
 * gate_int.h — inside src/gate: the TLS contexts (tls.c) for the gate
 * process (gate.c).
 */
#ifndef RP_GATE_INT_H
#define RP_GATE_INT_H

#include <stdbool.h>
#include <openssl/ssl.h>

#include "gate/gate.h"
#include "util/buf.h"

/* "web", "console", "mailer", "core" (RP_KIND_MAX), or NULL. */
const char *rp_gate_role_of_kind(unsigned kind);

/*
 * A context presenting DIR/NAME.crt and NAME.key, trusting DIR/ca.crt
 * alone, TLS 1.3, requiring the peer's certificate; the server's selects
 * one of the ALPN names of gate.h.  NULL with the reason in err.
 */
SSL_CTX *rp_gate_tls_ctx(bool server, const char *dir, const char *name,
    struct rp_buf *err);

/* The verified peer certificate's OU and CN (printable); RP_E_INVAL when
 * there is none, it did not verify, or a field is missing. */
int rp_gate_peer(SSL *ssl, char *ou, size_t oun, char *cn, size_t cnn);

/* Appends OpenSSL's first queued error (or errno) to err after what. */
void rp_gate_tls_error(struct rp_buf *err, const char *what);

#endif
