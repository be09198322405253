/* SPDX-License-Identifier: ISC */
/*
 * peers.c — a service's client registry (peers.h).
 */
#include "util/common.h"
#include "proc/peers.h"
#include "util/log.h"

#include <sys/socket.h>

const struct rp_peer *
rp_peers_find(const struct rp_peers *t, pid_t pid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].pid == pid)
			return &t->v[i];
	return NULL;
}

int
rp_peers_apply(struct rp_peers *t, struct rp_msg *m, const char *who,
    pid_t *pid, const struct rp_peer **reg)
{
	uint32_t p, kind, index;
	struct rp_peer *e;

	*pid = 0;
	if (reg != NULL)
		*reg = NULL;
	switch (m->type) {
	case RP_MSG_PEER_REGISTER:
		if (rp_msg_get_u32(m, &p) != 0 || rp_msg_get_u32(m, &kind) != 0 ||
		    rp_msg_get_u32(m, &index) != 0 || rp_msg_end(m) != 0 ||
		    p == 0 || p > INT32_MAX)
			return RP_E_PROTO;
		*pid = (pid_t)p;
		e = (struct rp_peer *)rp_peers_find(t, (pid_t)p);
		if (e == NULL) {
			if (t->n >= RP_PEERS_MAX) {
				rp_log_error("%s: peer table full; pid %u not "
				    "registered", who, p);
				return 0;
			}
			e = &t->v[t->n++];
		}
		e->pid = (pid_t)p;
		e->kind = kind;
		e->index = index;
		if (reg != NULL)
			*reg = e;
		return 0;
	case RP_MSG_PEER_FORGET:
		if (rp_msg_get_u32(m, &p) != 0 || rp_msg_end(m) != 0)
			return RP_E_PROTO;
		*pid = (pid_t)p;
		for (size_t i = 0; i < t->n; i++)
			if (t->v[i].pid == (pid_t)p) {
				t->v[i] = t->v[--t->n];
				break;
			}
		return 0;
	default:
		return RP_E_NOTFOUND;
	}
}

int
rp_peer_pid(int fd, pid_t *pid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	*pid = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0)
		return RP_E_IO;
	*pid = cr.pid;
	return 0;
}
