/* SPDX-License-Identifier: ISC */
/*
 * child.h — the child side of the socket pair to the parent, shared by
 * every child process (web workers, vault, log writer, witness): READY at
 * start, STOP, PING → PONG, and the fail-closed handling of anything else;
 * the stop signals and the idle wait of the children whose work runs on
 * other threads.
 */
#ifndef RP_PROC_CHILD_H
#define RP_PROC_CHILD_H

#include <stdint.h>

#include "proc/msg.h"

enum {
	RP_CHILD_NONE = 0,	/* nothing waiting */
	RP_CHILD_DONE = 1,	/* a PING, answered */
	RP_CHILD_STOP = 2,	/* the parent asks us to stop */
	RP_CHILD_MSG = 3,	/* another message, in *m, for the caller */
};

/*
 * Reads one message from the parent (non-blocking; buf holds
 * RP_MSG_MAX_FRAME bytes).  STOP and PING are handled here.  With m NULL
 * every other type is a protocol violation; otherwise it is returned as
 * RP_CHILD_MSG for the caller to read.  Negative: RP_E_CLOSED when the
 * parent went away, RP_E_PROTO for a malformed or unexpected message (both
 * logged, naming `who`): the caller exits.
 */
int rp_child_recv(int fd, uint8_t *buf, struct rp_msg *m, const char *who);

/* Sends READY{kind, index} to the parent.  0 or the send error. */
int rp_child_ready(int fd, uint32_t kind, uint32_t index);

/*
 * The stop signals of every child and standalone server (SIGTERM,
 * SIGINT): blocked in the calling thread and so in every thread it starts
 * afterwards (libmicrohttpd's inherit the mask), and read through the
 * returned signalfd (non-blocking, close-on-exec); SIGPIPE is ignored.
 * -1 on failure (logged, naming `who`).
 */
int rp_child_signals(const char *who);

/*
 * The wait of a child whose work runs on other threads (web workers, the
 * witness, paysim): until a stop signal on sfd, STOP from the parent on
 * parent_fd (-1: standalone, signals only) or the parent going away;
 * answers PING.  With tick_ms > 0, tick(arg) runs whenever tick_ms pass
 * with nothing else to do.  0 after a stop signal or STOP (logged), 1 when
 * the parent went away or broke the protocol, or poll failed.
 */
int rp_child_wait(int sfd, int parent_fd, int tick_ms, void (*tick)(void *),
    void *arg, const char *who);

#endif
