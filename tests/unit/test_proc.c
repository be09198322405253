/* SPDX-License-Identifier: ISC */
/*
 * test_proc.c — the parent's handling of its children's messages: access
 * lines written faithfully, forged or malformed messages cut the peer off
 * (SIGKILL) and are recorded.  Includes proc.c to reach its static parts.
 */
#include "../../src/proc/proc.c"
#include "tap.h"

static struct parent pp;
static struct rp_conf conf;

static char *
slurp(int fd)
{
	static char buf[8192];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* A child stand-in: a sleeping process and a socket pair to it. */
static int
fake_child(struct child *c)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
		return -1;
	if ((pid = fork()) == 0) {
		close(sv[0]);
		for (;;)
			pause();
	}
	c->kind = CHILD_WEB;
	c->index = 1;
	c->pid = pid;
	c->fd = sv[0];
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	return sv[1];
}

static bool
killed_by_9(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) &&
	    WTERMSIG(st) == SIGKILL;
}

static void
send_access(int fd, const char *method, const char *route, uint32_t status)
{
	static struct rp_msgw w;

	rp_msgw_begin(&w, RP_MSG_ACCESS);
	rp_msgw_put_str(&w, rp_str_c(method));
	rp_msgw_put_str(&w, rp_str_c(route));
	rp_msgw_put_u32(&w, status);
	rp_msgw_put_u64(&w, 1234);
	rp_msgw_put_u64(&w, 56);
	rp_msgw_put_str(&w, RP_STR_LIT("00112233445566778899aabbccddeeff"));
	if (rp_msgw_send(fd, &w, 0) != 0)
		diag("send failed");
}

int
main(void)
{
	char alog[] = "/tmp/rp-access-XXXXXX", olog[] = "/tmp/rp-op-XXXXXX";
	struct child *c = &pp.children[0];
	pid_t pid;
	int peer;

	rp_conf_defaults(&conf);
	pp.conf = &conf;
	pp.nchildren = 1;
	pp.access_fd = mkstemp(alog);
	pp.oplog_fd = mkstemp(olog);
	rp_log_set_fd(pp.oplog_fd);

	/* A well-formed access message becomes one line. */
	peer = fake_child(c);
	pid = c->pid;
	send_access(peer, "GET", "/c/{slug}/orders/{number}", 200);
	handle_child_input(&pp, c);
	ok(strstr(slurp(pp.access_fd),
	    " GET /c/{slug}/orders/{number} 200 1234 56 00112233445566778899aabbccddeeff\n")
	    != NULL, "access line written with route pattern, status, bytes, µs, id");
	ok(c->fd >= 0 && c->pid == pid, "well-behaved peer kept");

	/* A route with a newline would forge a second line: peer dropped. */
	send_access(peer, "GET", "/x\n2026-01-01T00:00:00Z GET /admin 200", 200);
	handle_child_input(&pp, c);
	is_int(c->fd, -1, "forging peer's socket closed");
	ok(killed_by_9(pid), "forging peer killed with SIGKILL");
	ok(strstr(slurp(pp.oplog_fd), "dropping peer web/1") != NULL &&
	    strstr(slurp(pp.oplog_fd), "malformed ACCESS") != NULL,
	    "drop recorded in the operational log");
	ok(strstr(slurp(pp.access_fd), "/admin") == NULL, "no forged line");
	close(peer);

	/* A truncated frame (length field lies): peer dropped. */
	peer = fake_child(c);
	pid = c->pid;
	{
		uint8_t f[12] = { RP_MSG_ACCESS, 0, 0, 0, 200, 0, 0, 0, 1, 2, 3, 4 };
		ok(send(peer, f, sizeof(f), 0) == (ssize_t)sizeof(f), "sent short frame");
	}
	handle_child_input(&pp, c);
	is_int(c->fd, -1, "short frame: socket closed");
	ok(killed_by_9(pid), "short frame: peer killed");
	close(peer);

	/* An unknown type: peer dropped. */
	peer = fake_child(c);
	pid = c->pid;
	{
		uint8_t f[8] = { 200, 0, 0, 0, 0, 0, 0, 0 };
		ok(send(peer, f, sizeof(f), 0) == 8, "sent unknown type");
	}
	handle_child_input(&pp, c);
	ok(c->fd == -1 && killed_by_9(pid), "unknown type: peer dropped");
	close(peer);

	/* A type valid in general but not from a child (STOP): dropped. */
	peer = fake_child(c);
	pid = c->pid;
	{
		static struct rp_msgw w;
		rp_msgw_begin(&w, RP_MSG_STOP);
		is_int(rp_msgw_send(peer, &w, 0), 0, "sent STOP upstream");
	}
	handle_child_input(&pp, c);
	ok(c->fd == -1 && killed_by_9(pid), "unexpected type: peer dropped");
	close(peer);

	/* An oversized packet: dropped. */
	peer = fake_child(c);
	pid = c->pid;
	{
		static uint8_t big[RP_MSG_MAX_FRAME + 1];
		big[0] = RP_MSG_ACCESS;
		ok(send(peer, big, sizeof(big), 0) == (ssize_t)sizeof(big), "sent oversized");
	}
	handle_child_input(&pp, c);
	ok(c->fd == -1 && killed_by_9(pid), "oversized: peer dropped");
	close(peer);

	/* A peer whose end closes (it exited) is not "hostile": no kill. */
	peer = fake_child(c);
	pid = c->pid;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	close(peer);
	handle_child_input(&pp, c);
	is_int(c->fd, -1, "closed peer: socket closed");

	unlink(alog);
	unlink(olog);
	return tap_done();
}
