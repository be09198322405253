/* SPDX-License-Identifier: ISC */
/*
 * nft.c — rentport-nft-helper, the tiny privileged process that puts IPS
 * bans into the kernel (`rentport nft-helper`, or started by serve's
 * parent when ips_nft = 1).  It is a separate binary because it links
 * libnftables (GPL-2.0-or-later) and is the only rentport process that
 * keeps CAP_NET_ADMIN; the web workers stay unprivileged and GPL-free.
 *
 * At start it creates, in one transaction, table inet rentport with sets
 * ban4 / ban6 (flags timeout) and a chain on the input hook whose only
 * rules drop traffic from those sets (ban6 holds /64 prefixes: the rule
 * matches the source address's first 64 bits).  Then it owns one unix socket
 * (argv[1], normally DATA/run/nft.sock, mode 0600) and accepts, from peers
 * whose SO_PEERCRED uid is its parent's (or --peer-uid=N: serve passes
 * its ips child's user), lines "ban ADDR SECONDS",
 * "unban ADDR" or "flush" (src/ips/line.c; anything else is refused and
 * answered "err"), answering "ok" or "err ..." per line.  Addresses reach
 * nft only in the canonical form inet_ntop printed.  With --control-fd=N
 * (serve), N becoming readable or closed means stop.
 *
 * Exit status: 0 stopped, 2 usage, 3 nftables refused the set-up (no
 * CAP_NET_ADMIN, no nf_tables in the kernel) — the message says why.
 * It never logs addresses (personal data).
 */
#include "util/common.h"

#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "ips/line.h"

#define MAX_CLIENTS	8

static const char setup_cmds[] =
	"add table inet rentport\n"
	"add set inet rentport ban4 { type ipv4_addr; flags timeout; }\n"
	"add set inet rentport ban6 { type ipv6_addr; flags timeout; }\n"
	"add chain inet rentport input { type filter hook input priority -10; "
	"policy accept; }\n"
	/* a restart must not stack a second copy of the rules */
	"flush chain inet rentport input\n"
	"add rule inet rentport input ip saddr @ban4 counter drop\n"
	/* an IPv6 client is banned by its /64 (the elements are prefixes) */
	"add rule inet rentport input ip6 saddr & ffff:ffff:ffff:ffff:: @ban6 "
	"counter drop\n";

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct client {
	int fd;
	char buf[RP_NFT_MAX_LINE + 2];
	size_t len;
};

/* Runs cmds; 0 or -1 (nft's message to err when given). */
static int
run(struct nft_ctx *nft, const char *cmds, bool show_err)
{
	int r = nft_run_cmd_from_buffer(nft, cmds);
	const char *e = nft_ctx_get_error_buffer(nft);

	if (r != 0 && show_err && e != NULL)
		fprintf(stderr, "rentport-nft-helper: %s", e);
	return r == 0 ? 0 : -1;
}

static int
apply(struct nft_ctx *nft, const struct rp_nft_cmd *c)
{
	const char *set = c->family == AF_INET6 ? "ban6" : "ban4";
	char cmds[512];

	switch (c->op) {
	case RP_NFT_BAN:
		/* A timeout cannot be changed in place: make sure the element
		 * exists, delete it and add it again, in one transaction. */
		snprintf(cmds, sizeof(cmds),
		    "add element inet rentport %s { %s timeout 1s }\n"
		    "delete element inet rentport %s { %s }\n"
		    "add element inet rentport %s { %s timeout %us }\n",
		    set, c->addr, set, c->addr, set, c->addr, c->seconds);
		break;
	case RP_NFT_UNBAN:
		snprintf(cmds, sizeof(cmds),
		    "add element inet rentport %s { %s timeout 1s }\n"
		    "delete element inet rentport %s { %s }\n",
		    set, c->addr, set, c->addr);
		break;
	case RP_NFT_FLUSH:
		snprintf(cmds, sizeof(cmds), "flush set inet rentport ban4\n"
		    "flush set inet rentport ban6\n");
		break;
	default:
		return -1;
	}
	/* nft's message would echo the address: not shown */
	return run(nft, cmds, false);
}

static void
reply(int fd, const char *s)
{
	(void)send(fd, s, strlen(s), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Handles what a client sent; false when it must be dropped. */
static bool
client_input(struct nft_ctx *nft, struct client *c)
{
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	char *nl;

	if (n <= 0)
		return false;
	c->len += (size_t)n;
	while ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
		size_t l = (size_t)(nl - c->buf);
		struct rp_nft_cmd cmd;

		if (rp_nft_line_parse(c->buf, l, &cmd) != 0)
			reply(c->fd, "err malformed command\n");
		else if (apply(nft, &cmd) != 0) {
			fprintf(stderr, "rentport-nft-helper: nftables refused "
			    "a command\n");
			reply(c->fd, "err nftables refused it\n");
		} else
			reply(c->fd, "ok\n");
		memmove(c->buf, nl + 1, c->len - l - 1);
		c->len -= l + 1;
	}
	if (c->len == sizeof(c->buf)) {
		reply(c->fd, "err line too long\n");
		return false;
	}
	return true;
}

/* The uid a peer must have: our parent's (the process that started us). */
static uid_t
parent_uid(void)
{
	char path[64];
	struct stat sb;

	snprintf(path, sizeof(path), "/proc/%ld", (long)getppid());
	if (stat(path, &sb) == 0)
		return sb.st_uid;
	return getuid();
}

static int
listen_on(const char *path)
{
	struct sockaddr_un sun;
	char dir[sizeof(sun.sun_path)], *slash;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "rentport-nft-helper: socket path too long\n");
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	memcpy(dir, path, strlen(path) + 1);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "rentport-nft-helper: mkdir %s: %s\n",
			    dir, strerror(errno));
			return -1;
		}
	}
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	old = umask(0177);		/* the socket is born 0600 */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    chmod(path, 0660) != 0 || listen(fd, 8) != 0) {
		fprintf(stderr, "rentport-nft-helper: listen on %s: %s\n", path,
		    strerror(errno));
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

int
main(int argc, char **argv)
{
	struct client cl[MAX_CLIENTS];
	struct pollfd pfd[MAX_CLIENTS + 2];
	struct nft_ctx *nft;
	struct sigaction sa;
	const char *path = NULL;
	int lfd, ctl = -1, i, status = 0;
	uid_t allowed;
	long peer_uid = -1;

	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--peer-uid=", 11) == 0) {
			char *end;

			peer_uid = strtol(argv[i] + 11, &end, 10);
			if (*end != '\0' || peer_uid < 0 || peer_uid > 0x7fffffff)
				goto usage;
		} else if (strncmp(argv[i], "--control-fd=", 13) == 0) {
			char *end;
			long v = strtol(argv[i] + 13, &end, 10);

			if (*end != '\0' || v < 0 || v > 1024)
				goto usage;
			ctl = (int)v;
		} else if (strcmp(argv[i], "--help") == 0) {
			goto usage;
		} else if (path == NULL && argv[i][0] != '-') {
			path = argv[i];
		} else
			goto usage;
	}
	if (path == NULL)
		goto usage;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if ((nft = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL) {
		fprintf(stderr, "rentport-nft-helper: nftables not available "
		    "here: cannot create a context\n");
		return 3;
	}
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	if (run(nft, setup_cmds, true) != 0) {
		fprintf(stderr, "rentport-nft-helper: nftables not available "
		    "here: the kernel refused the set-up (CAP_NET_ADMIN? "
		    "nf_tables?)\n");
		nft_ctx_free(nft);
		return 3;
	}
	if ((lfd = listen_on(path)) < 0) {
		nft_ctx_free(nft);
		return 1;
	}
	/* serve names its ips child's user; alone, our parent's uid */
	allowed = peer_uid >= 0 ? (uid_t)peer_uid : parent_uid();
	fprintf(stderr, "rentport-nft-helper: table inet rentport ready; "
	    "listening on %s\n", path);
	for (i = 0; i < MAX_CLIENTS; i++)
		cl[i].fd = -1;
	while (!stop) {
		int n = 0, slot[MAX_CLIENTS + 2];

		pfd[n].fd = lfd;
		pfd[n].events = POLLIN;
		slot[n++] = -1;
		if (ctl >= 0) {
			pfd[n].fd = ctl;
			pfd[n].events = POLLIN;
			slot[n++] = -2;
		}
		for (i = 0; i < MAX_CLIENTS; i++)
			if (cl[i].fd >= 0) {
				pfd[n].fd = cl[i].fd;
				pfd[n].events = POLLIN;
				slot[n++] = i;
			}
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			status = 1;
			break;
		}
		for (int k = 0; k < n; k++) {
			if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (slot[k] == -2) {
				stop = 1;	/* STOP, or the parent is gone */
			} else if (slot[k] == -1) {
				struct ucred uc;
				socklen_t ul = sizeof(uc);
				int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

				if (c < 0)
					continue;
				if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &uc,
				    &ul) != 0 || uc.uid != allowed) {
					fprintf(stderr, "rentport-nft-helper: "
					    "refused a peer with another uid\n");
					close(c);
					continue;
				}
				for (i = 0; i < MAX_CLIENTS && cl[i].fd >= 0; i++)
					;
				if (i == MAX_CLIENTS) {
					close(c);
					continue;
				}
				cl[i].fd = c;
				cl[i].len = 0;
			} else if (!client_input(nft, &cl[slot[k]])) {
				close(cl[slot[k]].fd);
				cl[slot[k]].fd = -1;
			}
		}
	}
	for (i = 0; i < MAX_CLIENTS; i++)
		if (cl[i].fd >= 0)
			close(cl[i].fd);
	close(lfd);
	(void)unlink(path);
	/* The table stays: bans keep expiring in the kernel on their own,
	 * and a restarted helper takes it over. */
	nft_ctx_free(nft);
	return status;
 usage:
	fprintf(stderr, "usage: rentport-nft-helper SOCKET [--control-fd=N]\n"
	    "  (normally run as `rentport nft-helper`, which passes "
	    "DATA/run/nft.sock)\n");
	return 2;
}
