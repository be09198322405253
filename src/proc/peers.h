/* SPDX-License-Identifier: ISC */
/*
 * peers.h — a service's registry of its legitimate clients (the vault's,
 * the identity holder's): the parent says who they are (PEER_REGISTER
 * {pid, kind, index}, PEER_FORGET{pid}), a connecting client is looked up
 * by the pid the kernel gives (SO_PEERCRED).  A client's role comes from
 * this entry, never from what it says.
 */
#ifndef RP_PROC_PEERS_H
#define RP_PROC_PEERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proc/msg.h"

#define RP_PEERS_MAX	256

struct rp_peer {
	pid_t pid;
	uint32_t kind, index;
};

struct rp_peers {
	struct rp_peer v[RP_PEERS_MAX];
	size_t n;
};

/* The entry of pid, or NULL. */
const struct rp_peer *rp_peers_find(const struct rp_peers *t, pid_t pid);

/*
 * Applies a PEER_REGISTER or PEER_FORGET message m: 0 and *pid (for a
 * registration *reg is the new entry, or NULL when the table is full — a
 * legitimate client is never evicted; logged naming who); RP_E_PROTO for
 * a malformed one; RP_E_NOTFOUND when m is another type (left unread).
 */
int rp_peers_apply(struct rp_peers *t, struct rp_msg *m, const char *who,
    pid_t *pid, const struct rp_peer **reg) RP_WARN_UNUSED;

/* The pid at the other end of a unix socket (SO_PEERCRED): 0 or RP_E_IO. */
int rp_peer_pid(int fd, pid_t *pid) RP_WARN_UNUSED;

#endif
