/* SPDX-License-Identifier: ISC */
/*
 * msg.h — typed, length-prefixed messages between rentport processes.
 *
 * Transport: SOCK_SEQPACKET socket pairs made by the parent, so one send is
 * one message.  Frame: u32 type, u32 payload length (both little-endian),
 * then the payload: a sequence of fields written with rp_msgw_put_* and read
 * back in the same order with rp_msg_get_*.  Strings are u32 length + bytes
 * (no NUL).
 *
 * Readers fail closed: a frame shorter than its header, whose length field
 * disagrees with what arrived, longer than RP_MSG_MAX_PAYLOAD, of an unknown
 * type, with a field running past the end or with bytes left over, is a
 * protocol violation (RP_E_PROTO); the receiver then drops the peer and
 * records it (see proc.h).
 */
#ifndef RP_MSG_H
#define RP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "util/errors.h"
#include "util/str.h"

#define RP_MSG_HEADER		8
#define RP_MSG_MAX_PAYLOAD	(64 * 1024)
#define RP_MSG_MAX_FRAME	(RP_MSG_HEADER + RP_MSG_MAX_PAYLOAD)

enum rp_msg_type {
	RP_MSG_READY = 1,	/* child → parent: u32 kind, u32 index */
	RP_MSG_ACCESS = 2,	/* web → parent: access log line fields */
	RP_MSG_STOP = 3,	/* parent → child: shut down cleanly */
	RP_MSG_PING = 4,	/* either way: u64 nonce */
	RP_MSG_PONG = 5,	/* reply: the same u64 nonce */
	RP_MSG_SANDBOX = 6,	/* child → parent: u32 syscall a seccomp
				 * violation trapped (then it dies) */

	/* parent → a service (vault, log writer): who its clients are */
	RP_MSG_PEER_REGISTER = 10,	/* u32 pid, u32 kind, u32 index */
	RP_MSG_PEER_FORGET = 11,	/* u32 pid */
	/* the gate → a service, first on a connection from another node:
	 * what the peer's certificate says (src/gate/gate.h) */
	RP_MSG_PEER_ASSERT = 12,	/* u32 kind, str certificate CN */

	/* vault → log writer, and back (src/alog/writer.h) */
	RP_MSG_LOG_APPEND = 16,		/* u64 cookie, str entry body */
	RP_MSG_LOG_DURABLE = 17,	/* u64 cookie, u64 index, u64 time_ms */
	RP_MSG_LOG_FAILED = 18,		/* u64 cookie, u32 -RP_E_* */

	/* clients → vault, and back (src/vault/vault.h defines the fields) */
	RP_MSG_VAULT_HELLO = 24,
	RP_MSG_VAULT_PUT = 25,
	RP_MSG_VAULT_GET = 26,
	RP_MSG_VAULT_FIND = 27,
	RP_MSG_VAULT_ERASE = 28,
	RP_MSG_VAULT_REPLY = 29,

	/* console and site workers → the identity holder (src/auth/client.h) */
	RP_MSG_AUTH_SIGNIN = 32,
	RP_MSG_AUTH_ENROL = 33,
	RP_MSG_AUTH_WHO = 34,
	RP_MSG_AUTH_SIGNOUT = 35,
	RP_MSG_AUTH_SESSIONS = 36,
	RP_MSG_AUTH_REVOKE = 37,
	RP_MSG_AUTH_REPLY = 38,
	RP_MSG_AUTH_LINK_NEW = 39,	/* web workers: auth/client.h */
	RP_MSG_AUTH_LINK_SETTLE = 40,
	RP_MSG_AUTH_LINK_OPEN = 41,
	RP_MSG_AUTH_RECEIPT = 42,
	RP_MSG_AUTH_CUST_WHO = 43,
	RP_MSG_AUTH_ACCESS_NEW = 44,
	RP_MSG_AUTH_ACCESS_CHECK = 45,
	RP_MSG_AUTH_APIKEY = 46,
	RP_MSG_AUTH_REPLAY = 47,

	RP_MSG_TYPE_MAX		/* one past the last valid type */
};

/* Writer: a fixed frame buffer, so building a message never allocates. */
struct rp_msgw {
	uint8_t buf[RP_MSG_MAX_FRAME];
	size_t len;
	int err;		/* sticky: RP_E_TOOBIG once a put overflowed */
};

void rp_msgw_begin(struct rp_msgw *w, enum rp_msg_type type);
void rp_msgw_put_u32(struct rp_msgw *w, uint32_t v);
void rp_msgw_put_u64(struct rp_msgw *w, uint64_t v);
void rp_msgw_put_str(struct rp_msgw *w, struct rp_str s);
/*
 * Sends the frame as one packet.  flags are send(2) flags (MSG_DONTWAIT to
 * never block).  0, or the writer's sticky error, RP_E_AGAIN when the
 * socket is full under MSG_DONTWAIT, RP_E_CLOSED when the peer is gone,
 * RP_E_IO otherwise.
 */
int rp_msgw_send(int fd, struct rp_msgw *w, int flags) RP_WARN_UNUSED;

/* Reader: a view of one received frame (borrowed from the receive buffer). */
struct rp_msg {
	uint32_t type;
	const uint8_t *p;	/* payload */
	size_t n, off;
};

/*
 * Receives one frame into buf (which must hold RP_MSG_MAX_FRAME bytes) and
 * validates its header.  0 with *m filled; RP_E_AGAIN if nothing is waiting
 * on a non-blocking fd; RP_E_CLOSED on end of stream; RP_E_PROTO for a
 * short, oversized, inconsistent or unknown frame.
 */
int rp_msg_recv(int fd, uint8_t *buf, struct rp_msg *m) RP_WARN_UNUSED;
/* Parses a frame already in memory (used by rp_msg_recv and the fuzzer). */
int rp_msg_parse(const uint8_t *buf, size_t n, struct rp_msg *m) RP_WARN_UNUSED;

int rp_msg_get_u32(struct rp_msg *m, uint32_t *v) RP_WARN_UNUSED;
int rp_msg_get_u64(struct rp_msg *m, uint64_t *v) RP_WARN_UNUSED;
/* A string of at most max bytes; *s borrows from the frame. */
int rp_msg_get_str(struct rp_msg *m, struct rp_str *s, size_t max) RP_WARN_UNUSED;
/*
 * A string of at most max printable ASCII bytes without space (0x21..
 * 0x7e; the access log's rule), copied NUL-terminated into out (max + 1
 * bytes).  0 or RP_E_PROTO.
 */
int rp_msg_get_cstr(struct rp_msg *m, char *out, size_t max) RP_WARN_UNUSED;
/* RP_E_PROTO if any payload bytes are left unread. */
int rp_msg_end(const struct rp_msg *m) RP_WARN_UNUSED;

/*
 * The services' unix sockets (SOCK_SEQPACKET: one send is one message).
 * listen: replaces a stale socket at path, mode 0660 (run/'s group reaches
 * it), backlog 128, non-blocking; 0 and *fd or RP_E_TOOBIG / RP_E_IO.
 * connect: blocking; 0 and *fd, RP_E_AGAIN (nobody listening), RP_E_IO.
 */
int rp_msg_unix_listen(const char *path, int *fd) RP_WARN_UNUSED;
int rp_msg_unix_connect(const char *path, int *fd) RP_WARN_UNUSED;

/*
 * Waits up to timeout_ms for one message on a blocking fd: 0 and *m,
 * RP_E_AGAIN on timeout, or rp_msg_recv's errors.
 */
int rp_msg_recv_timeout(int fd, uint8_t *buf, struct rp_msg *m,
    int timeout_ms) RP_WARN_UNUSED;

#endif
