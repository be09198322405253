/* SPDX-License-Identifier: ISC */
/*
 * child.c — the IPS child of `rentport serve` (rp_ips_main): every
 * ips_sync_ms it writes the web workers' new automatic bans to the core
 * store and mirrors the store's active bans (other nodes', operators')
 * into the shared area, and with ips_nft = 1 forwards them to the
 * nftables helper over DATA/run/nft.sock.  Also the process-level pieces
 * around the helper: dropping CAP_NET_ADMIN in every other child, and
 * starting the helper binary.  Trusts the store and the parent; the
 * helper's answers are only read as "ok" or not.
 */
#include "util/common.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "ips/ips.h"
#include "proc/child.h"
#include "store/store.h"
#include "util/log.h"

/* Rows expired this long ago leave the store. */
#define PURGE_AFTER_S	86400
/* How long the helper may take to answer a batch. */
#define NFT_TIMEOUT_MS	5000

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
rp_ips_nft_sock_path(const struct rp_conf *conf, char *out, size_t n)
{
	snprintf(out, n, "%s/run/nft.sock", conf->data_dir);
}

/* Connects to the helper's socket; -1 if it is not there (yet). */
static int
nft_connect(const struct rp_conf *conf)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	rp_ips_nft_sock_path(conf, sun.sun_path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Sends the lines in cmds and reads one answer line per command.  0 when
 * every answer was "ok"; RP_E_IO when the connection failed (the caller
 * reconnects and sends everything again); RP_E_DENIED when the helper
 * refused a command (logged; not retried).
 */
static int
nft_send(int fd, const struct rp_buf *cmds)
{
	size_t want = 0, got = 0, off = 0, i;
	char ans[512];
	size_t alen = 0;
	bool refused = false;

	for (i = 0; i < cmds->len; i++)
		want += cmds->d[i] == '\n';
	while (off < cmds->len) {
		ssize_t w = send(fd, cmds->d + off, cmds->len - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return RP_E_IO;
		off += (size_t)w;
	}
	while (got < want) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;
		char *nl;

		if (poll(&pfd, 1, NFT_TIMEOUT_MS) <= 0)
			return RP_E_IO;
		if ((n = recv(fd, ans + alen, sizeof(ans) - alen, 0)) <= 0)
			return RP_E_IO;
		alen += (size_t)n;
		while ((nl = memchr(ans, '\n', alen)) != NULL) {
			size_t l = (size_t)(nl - ans);

			if (!(l == 2 && memcmp(ans, "ok", 2) == 0))
				refused = true;
			memmove(ans, nl + 1, alen - l - 1);
			alen -= l + 1;
			got++;
		}
		if (alen == sizeof(ans))
			return RP_E_IO;	/* an answer line longer than ours */
	}
	if (refused) {
		rp_log_warn("ips: the nftables helper refused a command");
		return RP_E_DENIED;
	}
	return 0;
}

int
rp_ips_main(const struct rp_conf *conf, int parent_fd)
{
	struct rp_ips *ips = rp_ips_global();
	struct rp_store *st = NULL;
	struct sigaction sa;
	struct rp_buf nft;
	uint8_t *rbuf = NULL;
	int64_t next = 0, purge_at = 0, started = wall_ms();
	int status = 1, nfd = -1, r;
	bool nft_all = true, warned = false;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	rp_buf_init(&nft, 1 << 20);
	if (ips == NULL) {
		rp_log_error("ips: no shared area");
		goto out;
	}
	if ((rbuf = malloc(RP_MSG_MAX_FRAME)) == NULL ||
	    (parent_fd >= 0 && fcntl(parent_fd, F_SETFL, O_NONBLOCK) != 0))
		goto out;
	if ((r = rp_store_connect(conf->data_dir, &st)) != 0) {
		rp_log_error("ips: cannot open the core store: %s",
		    rp_strerror(r));
		goto out;
	}
	if (parent_fd >= 0 &&
	    (r = rp_child_ready(parent_fd, RP_IPS_KIND, 1)) != 0) {
		rp_log_error("ips: READY not sent: %s", rp_strerror(r));
		goto out;
	}
	while (!got_signal) {
		int64_t now = wall_ms();
		struct pollfd pfd = { parent_fd, POLLIN, 0 };

		if (now >= next) {
			if (conf->ips_nft && nfd < 0 &&
			    (nfd = nft_connect(conf)) >= 0) {
				nft_all = true;	/* a (new) helper: tell it all */
				warned = false;
			} else if (conf->ips_nft && nfd < 0 && !warned &&
			    now - started > 10000) {
				rp_log_warn("ips: nftables helper not reachable; "
				    "bans are enforced in-process only");
				warned = true;
			}
			rp_buf_reset(&nft);
			if ((r = rp_ips_sync(ips, st, now,
			    nfd >= 0 ? &nft : NULL, nft_all)) != 0)
				rp_log_warn("ips: sync with the store failed: %s",
				    rp_strerror(r));
			if (nfd >= 0 && nft.len > 0 && !nft.err) {
				if (nft_send(nfd, &nft) == RP_E_IO) {
					close(nfd);
					nfd = -1;
				}
			}
			if (nfd >= 0)
				nft_all = false;
			if (now >= purge_at) {
				if (rp_store_ban_purge(st, now / 1000 -
				    PURGE_AFTER_S) != 0)
					rp_log_warn("ips: purge of old bans failed");
				purge_at = now + 3600 * 1000;
			}
			next = now + conf->ips_sync_ms;
		}
		if (poll(&pfd, parent_fd >= 0 ? 1 : 0,
		    (int)(next - now > 0 ? next - now : 0)) < 0) {
			if (errno == EINTR)
				continue;
			rp_log_error("ips: poll: %s", strerror(errno));
			goto out;
		}
		if (parent_fd >= 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
			r = rp_child_recv(parent_fd, rbuf, NULL, "ips");
			if (r == RP_CHILD_STOP)
				break;
			if (r < 0)
				goto out;
		}
	}
	status = 0;
 out:
	if (nfd >= 0)
		close(nfd);
	rp_buf_release(&nft);
	rp_store_free(st);
	free(rbuf);
	return status;
}

/* ---- capabilities ------------------------------------------------------- */

int
rp_ips_drop_net_admin(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	const uint32_t bit = 1u << (CAP_NET_ADMIN % 32);
	const int w = CAP_NET_ADMIN / 32;

	/* The bounding set first (needs CAP_SETPCAP, which root has): then
	 * not even an exec of a file with capabilities brings it back.  An
	 * unprivileged process may not touch it and never had the cap. */
	if (prctl(PR_CAPBSET_READ, CAP_NET_ADMIN, 0, 0, 0) == 1)
		(void)prctl(PR_CAPBSET_DROP, CAP_NET_ADMIN, 0, 0, 0);
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return RP_E_DENIED;
	if (!(d[w].effective & bit) && !(d[w].permitted & bit) &&
	    !(d[w].inheritable & bit))
		return 0;
	d[w].effective &= ~bit;
	d[w].permitted &= ~bit;
	d[w].inheritable &= ~bit;
	if (syscall(SYS_capset, &h, d) != 0)
		return RP_E_DENIED;
	/* check: gone from the permitted set, so it cannot come back */
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0 || (d[w].permitted & bit) ||
	    (d[w].effective & bit))
		return RP_E_DENIED;
	return 0;
}

/* ---- the helper binary -------------------------------------------------- */

/* rentport-nft-helper: $RENTPORT_NFT_HELPER, else next to this binary
 * (installed), else in src/ips/ under it (a build directory). */
static int
helper_path(char *out, size_t n)
{
	const char *env = getenv("RENTPORT_NFT_HELPER");
	char self[1024], *slash;
	ssize_t len;

	if (env != NULL && env[0] != '\0') {
		snprintf(out, n, "%s", env);
		return 0;
	}
	if ((len = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return RP_E_IO;
	self[len] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return RP_E_IO;
	*slash = '\0';
	snprintf(out, n, "%s/rentport-nft-helper", self);
	if (access(out, X_OK) == 0)
		return 0;
	snprintf(out, n, "%s/src/ips/rentport-nft-helper", self);
	return access(out, X_OK) == 0 ? 0 : RP_E_NOTFOUND;
}

int
rp_ips_exec_helper(const struct rp_conf *conf, int control_fd, int argc,
    char **argv)
{
	char path[1200], sock[RP_CONF_PATH_MAX + 32], ctl[32];
	char *args[16];
	int n = 0;

	if (helper_path(path, sizeof(path)) != 0) {
		fprintf(stderr, "rentport nft-helper: rentport-nft-helper not "
		    "found (built without libnftables?)\n");
		rp_log_error("ips: rentport-nft-helper not found (built "
		    "without libnftables?)");
		return 1;
	}
	rp_ips_nft_sock_path(conf, sock, sizeof(sock));
	args[n++] = path;
	args[n++] = sock;
	if (control_fd >= 0) {
		/* the parent's end stays open across exec: its closing (or
		 * any message, STOP) tells the helper to exit */
		if (fcntl(control_fd, F_SETFD, 0) != 0)
			return 1;
		snprintf(ctl, sizeof(ctl), "--control-fd=%d", control_fd);
		args[n++] = ctl;
	}
	for (int i = 0; i < argc && n < (int)RP_ARRAY_LEN(args) - 1; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	execv(path, args);
	fprintf(stderr, "rentport nft-helper: cannot run %s: %s\n", path,
	    strerror(errno));
	return 1;
}
