/* SPDX-License-Identifier: ISC */
/*
 * child.c — the child side of the parent channel (see child.h).  Runs in
 * every child process; the parent is trusted to be the parent, but its
 * messages are still read with the bounds-checked readers.
 */
#include "util/common.h"
#include "proc/child.h"
#include "util/log.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

static int
send_small(int fd, enum rp_msg_type type, uint32_t a, uint32_t b,
    uint64_t nonce, bool is_pong)
{
	struct rp_msgw *w;
	int r;

	/* A writer holds a whole frame: keep it off small thread stacks. */
	if ((w = malloc(sizeof(*w))) == NULL)
		return RP_E_NOMEM;
	rp_msgw_begin(w, type);
	if (is_pong)
		rp_msgw_put_u64(w, nonce);
	else {
		rp_msgw_put_u32(w, a);
		rp_msgw_put_u32(w, b);
	}
	r = rp_msgw_send(fd, w, MSG_DONTWAIT);
	free(w);
	return r;
}

int
rp_child_recv(int fd, uint8_t *buf, struct rp_msg *m, const char *who)
{
	struct rp_msg local;
	uint64_t nonce;
	int r;

	if (m == NULL)
		m = &local;
	if ((r = rp_msg_recv(fd, buf, m)) == RP_E_AGAIN)
		return RP_CHILD_NONE;
	if (r == RP_E_CLOSED) {
		rp_log_warn("%s: parent went away; exiting", who);
		return r;
	}
	if (r != 0)
		goto bad;
	switch (m->type) {
	case RP_MSG_STOP:
		if (rp_msg_end(m) != 0)
			goto bad;
		return RP_CHILD_STOP;
	case RP_MSG_PING:
		if (rp_msg_get_u64(m, &nonce) != 0 || rp_msg_end(m) != 0)
			goto bad;
		r = send_small(fd, RP_MSG_PONG, 0, 0, nonce, true);
		return r == 0 || r == RP_E_AGAIN ? RP_CHILD_DONE : r;
	default:
		if (m == &local)
			goto bad;
		return RP_CHILD_MSG;
	}
 bad:
	rp_log_error("%s: malformed or unexpected message from the parent; "
	    "exiting", who);
	return RP_E_PROTO;
}

int
rp_child_ready(int fd, uint32_t kind, uint32_t index)
{
	return send_small(fd, RP_MSG_READY, kind, index, 0, false);
}

int
rp_child_signals(const char *who)
{
	sigset_t sigs;
	int sfd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &sigs, NULL) != 0 ||
	    (sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		rp_log_error("%s: signalfd: %s", who, strerror(errno));
		return -1;
	}
	return sfd;
}

int
rp_child_wait(int sfd, int parent_fd, int tick_ms, void (*tick)(void *),
    void *arg, const char *who)
{
	struct pollfd pfd[2];
	uint8_t *rbuf = NULL;
	int status = 1, r;

	if (parent_fd >= 0 && (rbuf = malloc(RP_MSG_MAX_FRAME)) == NULL)
		return 1;
	pfd[0].fd = sfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = parent_fd;
	pfd[1].events = POLLIN;
	pfd[1].revents = 0;
	for (;;) {
		if ((r = poll(pfd, parent_fd >= 0 ? 2 : 1,
		    tick_ms > 0 ? tick_ms : -1)) < 0) {
			if (errno == EINTR)
				continue;
			rp_log_error("%s: poll: %s", who, strerror(errno));
			break;
		}
		if (r == 0) {
			if (tick != NULL)
				tick(arg);
			continue;
		}
		if (pfd[0].revents & POLLIN) {
			rp_log_info("%s: signal received; stopping", who);
			status = 0;
			break;
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			r = rp_child_recv(parent_fd, rbuf, NULL, who);
			if (r == RP_CHILD_STOP) {
				rp_log_info("%s: stopping", who);
				status = 0;
				break;
			}
			if (r < 0)
				break;
		}
	}
	free(rbuf);
	return status;
}
