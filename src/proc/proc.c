/* SPDX-License-Identifier: ISC */
/*
 * proc.c — the parent process of `rentport serve`.
 *
 * The parent holds no request data.  It prepares the data directory and the
 * log files, creates the listening socket and the shared metrics and IPS
 * areas, then forks the children (witness, log writer, vault, mailer, the
 * IPS child and, with ips_nft, the nftables helper, web workers), each
 * with one end of a SOCK_SEQPACKET socket pair.
 * It writes the access log from RP_MSG_ACCESS messages (so workers need no
 * log file of their own), restarts a child that dies — recording the
 * restart in the operational log and in /metrics — and on SIGTERM/SIGINT
 * sends RP_MSG_STOP to every child, waits for them, and exits.
 *
 * Children are peers that may be compromised: every message is checked by
 * the bounds-checked readers of msg.h, and a child that sends a malformed
 * or unexpected message is cut off (SIGKILL) and the event recorded.
 */
#include "util/common.h"
#include "paylink/paylink.h"
#include "paysim/paysim.h"
#include "proc/child.h"
#include "proc/proc.h"
#include "proc/msg.h"
#include "proc/sandbox.h"
#include "util/proctitle.h"
#include "util/sqlvfs.h"
#include "mail/mail.h"
#include "waf/waf.h"
#include "util/log.h"
#include "alog/wauth.h"
#include "auth/auth.h"
#include "auth/linkseal.h"
#include "auth/cap.h"
#include "alog/writer.h"
#include "gate/gate.h"
#include "ips/ips.h"
#include "mail/mailer.h"
#include "store/store.h"
#include "vault/vault.h"
#include "web/web.h"
#include "witness/witness.h"

#include <fcntl.h>
#include <sodium.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#define MAX_CHILDREN		96	/* 64 web, 16 console workers + the services */
#define STOP_GRACE_MS		10000
#define CRASH_WINDOW_MS		10000	/* restarts counted over this window */
#define CRASH_LIMIT		5	/* ... beyond which backoff grows */
#define MAX_BACKOFF_MS		5000

/*
 * Numbering shared with READY and PEER_REGISTER (docs/access-log.md); 4 is
 * the operator's (not a child).
 */
enum child_kind { CHILD_WEB = RP_KIND_WEB, CHILD_VAULT = RP_KIND_VAULT,
    CHILD_ALOG = RP_KIND_ALOG, CHILD_WITNESS = RP_KIND_WITNESS,
    CHILD_MAIL = RP_KIND_MAIL, CHILD_PAYLINK = RP_KIND_PAYLINK,
    CHILD_PAYSIM = RP_KIND_PAYSIM, CHILD_IPS = RP_KIND_IPS,
    CHILD_NFT = RP_KIND_NFT, CHILD_AUTH = RP_KIND_AUTH,
    CHILD_CONSOLE = RP_KIND_CONSOLE, CHILD_GATE = RP_KIND_GATE };
_Static_assert(CHILD_CONSOLE == RP_VAULT_PEER_CONSOLE &&
    CHILD_CONSOLE == RP_WEB_CONSOLE_KIND, "console numbering");

_Static_assert(CHILD_PAYLINK == RP_PAYLINK_KIND, "paylink kind numbering");
_Static_assert(CHILD_PAYSIM == RP_PAYSIM_KIND, "paysim kind numbering");
_Static_assert(CHILD_IPS == RP_IPS_KIND && CHILD_NFT == RP_IPS_NFT_KIND,
    "ips kind numbering");
_Static_assert(CHILD_MAIL == RP_MAILER_KIND &&
    CHILD_MAIL == RP_VAULT_PEER_MAILER, "mailer kind numbering");

static const char *kind_names[] = { "web", "vault", "alog", "witness",
    "operator", "mail", "paylink", "paysim", "ips", "nft", "auth",
    "console", "gate" };

struct child {
	enum child_kind kind;
	unsigned index;
	pid_t pid;		/* 0 when not running */
	int fd;			/* parent end; -1 when closed */
	uint64_t restart_at;	/* monotonic ms; 0 = not pending */
	uint64_t window_start;	/* crash accounting */
	unsigned window_restarts;
	int violation;		/* syscall a seccomp trap reported; -1 none */
	bool ready;		/* sent READY since it was started */
};

struct parent {
	const struct rp_conf *conf;
	struct child children[MAX_CHILDREN];
	unsigned nchildren;
	int listen_fd, metrics_fd, console_fd, sig_fd, access_fd, oplog_fd;
	struct rp_metrics *metrics;
	bool stopping;
	/* the sites (web and console workers) wait for the services they
	 * call until they are READY, or until sites_at at the latest */
	bool sites_held;
	uint64_t sites_at;
	uint8_t rbuf[RP_MSG_MAX_FRAME];
};

/* How long the sites wait for the services at start (then start anyway:
 * they answer 503 for what is missing). */
#define SITES_WAIT_MS		15000

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	return RP_E_IO;
}

static int
open_log(const char *dir, const char *name)
{
	char path[RP_CONF_PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/log/%s", dir, name);
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

/*
 * Child side of a fork, the one start-up path of every kind: keep only our
 * socket, the listening socket and the operational log; restore signals;
 * drop to the kind's user and confine it (proc/sandbox.h) — all before
 * the first untrusted byte — set the title; run the kind; never return.
 * A sandbox step that fails is fatal: exit status 3, reason in the log.
 */
RP_NORETURN static void
child_main(struct parent *pp, struct child *c, int fd)
{
	static struct rp_conf cc;	/* the child's view: paths relative */
	char name[32];
	struct rp_buf err;
	sigset_t all;
	unsigned i;
	int status = 1;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/*
	 * Its own process group: a terminal's Ctrl-C reaches the parent
	 * alone, which stops the children in order (see loop()).
	 */
	setpgid(0, 0);
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	close(pp->sig_fd);
	close(pp->access_fd);
	for (i = 0; i < pp->nchildren; i++)
		if (pp->children[i].fd >= 0)
			close(pp->children[i].fd);
	snprintf(name, sizeof(name), "%s/%u", kind_names[c->kind], c->index);
	rp_log_set_proc(name);
	rp_log_set_tee(-1);
	if (c->kind != CHILD_WEB) {
		close(pp->listen_fd);	/* only web workers accept requests */
		close(pp->metrics_fd);
	}
	if (c->kind != CHILD_CONSOLE)
		close(pp->console_fd);	/* ... and console workers, theirs */
	if (c->kind != CHILD_WEB && c->kind != CHILD_CONSOLE)
		rp_waf_security_log_close();	/* ... and write WAF events */
	/* Only the nftables helper may change the firewall (when serve runs
	 * as root); the web workers above all must not keep CAP_NET_ADMIN. */
	if (c->kind != CHILD_NFT && rp_ips_drop_net_admin() != 0)
		rp_fatal("cannot drop CAP_NET_ADMIN");
	cc = *pp->conf;
	rp_buf_init(&err, 4096);
	/*
	 * The WAF's rules are configuration, not input: a worker parses them
	 * before it drops (they may live anywhere the operator put them),
	 * and its sandbox then needs no access to them at all.
	 */
	if ((c->kind == CHILD_WEB || c->kind == CHILD_CONSOLE) &&
	    rp_waf_init(pp->conf, &err) != 0) {
		rp_log_error("%s: WAF: %s", name, err.d ? err.d : "cannot start");
		_exit(1);
	}
	if (pp->conf->privsep && rp_sandbox_enter(&cc, c->kind, fd, &err) != 0) {
		rp_log_error("%s: sandbox: %s; not starting", name,
		    err.d ? err.d : "failed");
		_exit(3);
	}
	rp_buf_release(&err);
	/* We are in the data directory now: every path is relative to it —
	 * SQLite's too (it would make them absolute, through directories
	 * the kind's user may not search). */
	if (pp->conf->privsep) {
		snprintf(cc.data_dir, sizeof(cc.data_dir), ".");
		if (rp_sqlvfs_relative() != 0) {
			rp_log_error("%s: cannot register the SQLite VFS", name);
			_exit(3);
		}
	}
	if (c->kind == CHILD_WEB || c->kind == CHILD_MAIL ||
	    c->kind == CHILD_CONSOLE)
		rp_proctitle_set("rentport: %s %u", rp_kind_title(c->kind),
		    c->index);
	else
		rp_proctitle_set("rentport: %s", rp_kind_title(c->kind));
	switch (c->kind) {
	case CHILD_WEB:
		status = rp_web_serve(&cc, pp->listen_fd, pp->metrics_fd,
		    fd, c->index, pp->metrics);
		break;
	case CHILD_CONSOLE:
		status = rp_console_serve(&cc, pp->console_fd, fd, c->index);
		break;
	case CHILD_AUTH:
		status = rp_auth_run(&cc, fd);
		break;
	case CHILD_VAULT:
		status = rp_vault_run(&cc, fd);
		break;
	case CHILD_ALOG:
		status = rp_alog_writer_run(&cc, fd);
		break;
	case CHILD_WITNESS:
		status = rp_witness_run(&cc, fd);
		break;
	case CHILD_MAIL:
		status = rp_mailer_main(&cc, fd);
		break;
	case CHILD_PAYLINK:
		status = rp_paylink_main(&cc, fd);
		break;
	case CHILD_PAYSIM:
		status = rp_paysim_run(&cc, fd);
		break;
	case CHILD_IPS:
		status = rp_ips_main(&cc, fd);
		break;
	case CHILD_GATE:
		status = rp_gate_run(&cc, fd);
		break;
	case CHILD_NFT: {
		/* its one client: the ips child, under its own user */
		char arg[40], *args[1] = { arg };

		snprintf(arg, sizeof(arg), "--peer-uid=%ld",
		    (long)rp_sandbox_uid(RP_KIND_IPS));
		status = rp_ips_exec_helper(&cc, fd, 1, args);
		break;
	}
	}
	_exit(status);
}

static struct child *
find_kind(struct parent *pp, enum child_kind kind)
{
	for (unsigned i = 0; i < pp->nchildren; i++)
		if (pp->children[i].kind == kind)
			return &pp->children[i];
	return NULL;
}

/*
 * Tells a service (vault, log writer) that pid is one of its legitimate
 * clients, or no longer is.  Services check a connecting peer's pid with
 * SO_PEERCRED against what the parent told them: a client's role comes
 * from who it is, never from what it says.
 */
static void
tell_peer(struct parent *pp, enum child_kind service, enum rp_msg_type type,
    const struct child *client, pid_t pid)
{
	struct child *svc = find_kind(pp, service);
	struct rp_msgw *w;

	if (svc == NULL || svc->fd < 0 || pid <= 0)
		return;
	if ((w = malloc(sizeof(*w))) == NULL)
		return;
	rp_msgw_begin(w, type);
	rp_msgw_put_u32(w, (uint32_t)pid);
	if (type == RP_MSG_PEER_REGISTER) {
		rp_msgw_put_u32(w, (uint32_t)client->kind);
		rp_msgw_put_u32(w, client->index);
	}
	if (rp_msgw_send(svc->fd, w, MSG_DONTWAIT) != 0)
		rp_log_warn("cannot tell %s about pid %ld", kind_names[service],
		    (long)pid);
	free(w);
}

/* Whether a child of this kind is a client of service. */
static bool
client_of(enum child_kind kind, enum child_kind service)
{
	switch (kind) {
	case CHILD_WEB:		/* travellers and API keys: the identity holder */
	case CHILD_CONSOLE:
		return service == CHILD_VAULT || service == CHILD_AUTH ||
		    service == CHILD_GATE;
	case CHILD_MAIL:
		return service == CHILD_VAULT || service == CHILD_GATE;
	case CHILD_GATE:	/* role core: the other nodes' connections */
		return service == CHILD_VAULT || service == CHILD_AUTH;
	case CHILD_VAULT:
		return service == CHILD_ALOG;
	default:
		return false;
	}
}

static const enum child_kind services[] = { CHILD_VAULT, CHILD_ALOG,
    CHILD_AUTH, CHILD_GATE };

/* Registers (or forgets) a client with every service it uses. */
static void
tell_services(struct parent *pp, struct child *c, enum rp_msg_type type,
    pid_t pid)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(services); i++)
		if (client_of(c->kind, services[i]))
			tell_peer(pp, services[i], type, c, pid);
}

/* After a spawn: register the child with its services, and a new service's clients with it. */
static void
register_child(struct parent *pp, struct child *c)
{
	tell_services(pp, c, RP_MSG_PEER_REGISTER, c->pid);
	for (unsigned i = 0; i < pp->nchildren; i++) {
		struct child *k = &pp->children[i];

		if (k->pid > 0 && k != c && client_of(k->kind, c->kind))
			tell_peer(pp, c->kind, RP_MSG_PEER_REGISTER, k, k->pid);
	}
}

static int
spawn(struct parent *pp, struct child *c)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		rp_log_error("socketpair: %s", strerror(errno));
		return RP_E_IO;
	}
	if ((pid = fork()) < 0) {
		rp_log_error("fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return RP_E_IO;
	}
	if (pid == 0) {
		close(sv[0]);
		child_main(pp, c, sv[1]);
	}
	close(sv[1]);
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) != 0)
		rp_log_warn("fcntl O_NONBLOCK: %s", strerror(errno));
	c->pid = pid;
	c->fd = sv[0];
	c->restart_at = 0;
	c->violation = -1;
	c->ready = false;
	rp_log_info("started %s/%u as pid %ld", kind_names[c->kind], c->index,
	    (long)pid);
	register_child(pp, c);
	return 0;
}

/* Cuts off a child that broke the protocol: it is treated as hostile. */
static void
reject_peer(struct parent *pp, struct child *c, const char *why)
{
	(void)pp;
	rp_log_error("dropping peer %s/%u (pid %ld): %s", kind_names[c->kind],
	    c->index, (long)c->pid, why);
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->pid > 0)
		kill(c->pid, SIGKILL);
}

/* True if every byte is printable ASCII other than space. */
static bool
printable_token(struct rp_str s)
{
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] <= 0x20 || s.p[i] >= 0x7f)
			return false;
	return s.n > 0;
}

static int
handle_access(struct parent *pp, struct rp_msg *m)
{
	struct rp_str method, route, reqid;
	uint32_t status;
	uint64_t bytes, usec;
	char line[512], ts[32];
	struct timespec now;
	struct tm tm;
	int n;

	if (rp_msg_get_str(m, &method, 16) != 0 ||
	    rp_msg_get_str(m, &route, 256) != 0 ||
	    rp_msg_get_u32(m, &status) != 0 ||
	    rp_msg_get_u64(m, &bytes) != 0 ||
	    rp_msg_get_u64(m, &usec) != 0 ||
	    rp_msg_get_str(m, &reqid, 64) != 0 || rp_msg_end(m) != 0)
		return RP_E_PROTO;
	/* The line format must not be forgeable: tokens only, no spaces. */
	if (!printable_token(method) || !printable_token(route) ||
	    !printable_token(reqid) || status < 100 || status > 999)
		return RP_E_PROTO;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line),
	    "%s.%03ldZ %.*s %.*s %u %" PRIu64 " %" PRIu64 " %.*s\n", ts,
	    now.tv_nsec / 1000000, (int)method.n, method.p, (int)route.n,
	    route.p, status, bytes, usec, (int)reqid.n, reqid.p);
	if (n > 0 && (size_t)n < sizeof(line) &&
	    write(pp->access_fd, line, (size_t)n) < 0)
		rp_log_warn("access log write: %s", strerror(errno));
	return 0;
}

static void
handle_child_input(struct parent *pp, struct child *c)
{
	struct rp_msg m;
	uint32_t kind, index;
	int r;

	/* Bounded drain so one chatty child cannot starve the others. */
	for (int k = 0; k < 256 && c->fd >= 0; k++) {
		r = rp_msg_recv(c->fd, pp->rbuf, &m);
		if (r == RP_E_AGAIN)
			return;
		if (r == RP_E_CLOSED) {
			close(c->fd);
			c->fd = -1;
			return;
		}
		if (r != 0) {
			reject_peer(pp, c, "malformed message");
			return;
		}
		switch (m.type) {
		case RP_MSG_ACCESS:
			if ((c->kind != CHILD_WEB && c->kind != CHILD_CONSOLE) ||
			    handle_access(pp, &m) != 0) {
				reject_peer(pp, c, "malformed ACCESS");
				return;
			}
			break;
		case RP_MSG_SANDBOX:
			/* The child's SIGSYS handler: a trapped syscall.  It
			 * dies right after; the restart line names the call. */
			if (rp_msg_get_u32(&m, &kind) != 0 ||
			    rp_msg_end(&m) != 0) {
				reject_peer(pp, c, "malformed SANDBOX");
				return;
			}
			c->violation = (int)(kind & 0xffff);
			rp_log_error("%s/%u (pid %ld): seccomp violation: syscall "
			    "%u (%s)", kind_names[c->kind], c->index,
			    (long)c->pid, kind & 0xffff,
			    rp_sandbox_syscall_name(kind & 0xffff));
			break;
		case RP_MSG_READY:
			if (rp_msg_get_u32(&m, &kind) != 0 ||
			    rp_msg_get_u32(&m, &index) != 0 ||
			    rp_msg_end(&m) != 0 || kind != c->kind ||
			    index != c->index) {
				reject_peer(pp, c, "malformed READY");
				return;
			}
			rp_log_info("%s/%u ready", kind_names[c->kind], c->index);
			c->ready = true;
			break;
		default:
			reject_peer(pp, c, "unexpected message type");
			return;
		}
	}
}

static void
describe_exit(const struct child *c, int status, char *buf, size_t n)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS &&
	    c->violation >= 0)
		snprintf(buf, n, "killed by signal %d (seccomp violation: "
		    "syscall %d %s)", WTERMSIG(status), c->violation,
		    rp_sandbox_syscall_name((unsigned)c->violation));
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "killed by signal %d", WTERMSIG(status));
	else if (WEXITSTATUS(status) == 3)
		snprintf(buf, n, "exited with status 3 (sandbox set-up "
		    "failed: see the line before)");
	else
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
}

static void
reap(struct parent *pp)
{
	char how[160];
	pid_t pid;
	int status;
	unsigned i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < pp->nchildren; i++) {
			struct child *c = &pp->children[i];
			uint64_t now = now_ms(), backoff;

			if (c->pid != pid)
				continue;
			c->pid = 0;
			tell_services(pp, c, RP_MSG_PEER_FORGET, pid);
			if (c->fd >= 0) {
				/* Read what it sent before dying. */
				handle_child_input(pp, c);
				if (c->fd >= 0)
					close(c->fd);
				c->fd = -1;
			}
			describe_exit(c, status, how, sizeof(how));
			c->violation = -1;
			if (pp->stopping) {
				rp_log_info("%s/%u (pid %ld) %s",
				    kind_names[c->kind], c->index, (long)pid, how);
				break;
			}
			if (now - c->window_start > CRASH_WINDOW_MS) {
				c->window_start = now;
				c->window_restarts = 0;
			}
			c->window_restarts++;
			backoff = pp->conf->restart_backoff_ms;
			if (c->window_restarts > CRASH_LIMIT)
				backoff = MAX_BACKOFF_MS;
			c->restart_at = now + backoff;
			rp_metrics_child_restart(pp->metrics, kind_names[c->kind]);
			rp_log_warn("child %s/%u (pid %ld) %s; restarting in %"
			    PRIu64 " ms (restart recorded)", kind_names[c->kind],
			    c->index, (long)pid, how, backoff);
			break;
		}
	}
}

static void
restart_due(struct parent *pp)
{
	uint64_t now = now_ms();

	for (unsigned i = 0; i < pp->nchildren; i++) {
		struct child *c = &pp->children[i];

		if (c->pid == 0 && c->restart_at != 0 && now >= c->restart_at &&
		    spawn(pp, c) != 0)
			c->restart_at = now + MAX_BACKOFF_MS;
	}
}

/* A site worker: started once the services it calls are ready. */
static bool
is_site(enum child_kind k)
{
	return k == CHILD_WEB || k == CHILD_CONSOLE;
}

/* What a site worker calls on this node: the vault, the log writer
 * behind it, the identity holder, or the gate to the core node's. */
static bool
site_needs(enum child_kind k)
{
	return k == CHILD_VAULT || k == CHILD_ALOG || k == CHILD_AUTH ||
	    k == CHILD_GATE;
}

/*
 * Starts the held site workers once every service they call is READY (so
 * that no request is answered 401/503 for a service still starting), or
 * at sites_at whatever the services say.
 */
static void
release_sites(struct parent *pp)
{
	unsigned waiting = 0;
	uint64_t now = now_ms();

	if (!pp->sites_held || pp->stopping)
		return;
	for (unsigned i = 0; i < pp->nchildren; i++)
		if (site_needs(pp->children[i].kind) && !pp->children[i].ready)
			waiting++;
	if (waiting > 0 && now < pp->sites_at)
		return;
	if (waiting > 0)
		rp_log_warn("%u service(s) not ready after %u ms: starting the "
		    "sites anyway", waiting, SITES_WAIT_MS);
	pp->sites_held = false;
	for (unsigned i = 0; i < pp->nchildren; i++) {
		struct child *c = &pp->children[i];

		if (is_site(c->kind) && c->pid == 0 && c->restart_at == 0 &&
		    spawn(pp, c) != 0)
			c->restart_at = now + MAX_BACKOFF_MS;
	}
}

static int
poll_timeout(struct parent *pp)
{
	uint64_t now = now_ms(), soonest = pp->sites_held ? pp->sites_at :
	    UINT64_MAX;

	for (unsigned i = 0; i < pp->nchildren; i++)
		if (pp->children[i].restart_at != 0 &&
		    pp->children[i].restart_at < soonest)
			soonest = pp->children[i].restart_at;
	if (soonest == UINT64_MAX)
		return 1000;
	return soonest <= now ? 0 : (int)(soonest - now);
}

static void
handle_signals(struct parent *pp)
{
	struct signalfd_siginfo si;

	while (read(pp->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(pp);
			break;
		case SIGTERM:
		case SIGINT:
			if (!pp->stopping)
				rp_log_info("signal %u: stopping", si.ssi_signo);
			pp->stopping = true;
			break;
		default:
			break;
		}
	}
}

static unsigned
running(const struct parent *pp)
{
	unsigned n = 0;

	for (unsigned i = 0; i < pp->nchildren; i++)
		if (pp->children[i].pid > 0)
			n++;
	return n;
}

static unsigned
running_kind(const struct parent *pp, enum child_kind kind)
{
	unsigned n = 0;

	for (unsigned i = 0; i < pp->nchildren; i++)
		if (pp->children[i].pid > 0 && pp->children[i].kind == kind)
			n++;
	return n;
}

/* Asks every child of a kind to stop (SIGTERM if its socket is gone). */
static void
stop_kind(struct parent *pp, enum child_kind kind)
{
	struct rp_msgw *w = malloc(sizeof(*w));

	for (unsigned i = 0; i < pp->nchildren; i++) {
		struct child *c = &pp->children[i];

		c->restart_at = 0;
		if (c->kind != kind || c->pid <= 0)
			continue;
		if (w != NULL && c->fd >= 0) {
			rp_msgw_begin(w, RP_MSG_STOP);
			if (rp_msgw_send(c->fd, w, MSG_DONTWAIT) == 0)
				continue;
		}
		kill(c->pid, SIGTERM);
	}
	free(w);
}

static void
kill_kind(struct parent *pp, enum child_kind kind)
{
	for (unsigned i = 0; i < pp->nchildren; i++)
		if (pp->children[i].pid > 0 && pp->children[i].kind == kind) {
			rp_log_warn("%s/%u did not stop; killing",
			    kind_names[kind], pp->children[i].index);
			kill(pp->children[i].pid, SIGKILL);
		}
}

static void
loop(struct parent *pp)
{
	struct pollfd pfd[MAX_CHILDREN + 1];
	struct child *who[MAX_CHILDREN + 1];
	/*
	 * Shutdown in dependency order, each stage after the one before has
	 * exited: web workers (no new releases, no new mail queued), the
	 * mailer (no new releases), the vault (no new entries), the log writer
	 * (signs a last checkpoint, which the witness, still running,
	 * cosigns), then the witness.
	 */
	static const enum child_kind stages[] = { CHILD_WEB, CHILD_CONSOLE,
	    CHILD_AUTH, CHILD_IPS,
	    CHILD_NFT, CHILD_MAIL, CHILD_GATE,
	    CHILD_PAYLINK, CHILD_PAYSIM, CHILD_VAULT, CHILD_ALOG, CHILD_WITNESS };
	uint64_t stop_deadline = 0;
	size_t stage = 0;
	bool stage_sent = false;
	unsigned n, i;

	for (;;) {
		if (pp->stopping && stage < RP_ARRAY_LEN(stages)) {
			if (!stage_sent) {
				stop_kind(pp, stages[stage]);
				stage_sent = true;
				stop_deadline = now_ms() + STOP_GRACE_MS;
			}
			if (running_kind(pp, stages[stage]) == 0) {
				stage++;
				stage_sent = false;
				continue;
			}
			if (now_ms() > stop_deadline) {
				kill_kind(pp, stages[stage]);
				stop_deadline = UINT64_MAX;
			}
		}
		if (pp->stopping && running(pp) == 0)
			return;
		n = 0;
		pfd[n].fd = pp->sig_fd;
		pfd[n].events = POLLIN;
		who[n++] = NULL;
		for (i = 0; i < pp->nchildren; i++)
			if (pp->children[i].fd >= 0) {
				pfd[n].fd = pp->children[i].fd;
				pfd[n].events = POLLIN;
				who[n++] = &pp->children[i];
			}
		if (poll(pfd, n, pp->stopping ? 100 : poll_timeout(pp)) < 0 &&
		    errno != EINTR)
			rp_fatal("poll: %s", strerror(errno));
		for (i = 1; i < n; i++)
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				handle_child_input(pp, who[i]);
		if (pfd[0].revents & POLLIN)
			handle_signals(pp);
		if (!pp->stopping) {
			release_sites(pp);
			restart_due(pp);
		}
	}
}

static void
add_child(struct parent *pp, enum child_kind kind, unsigned index)
{
	struct child *c = &pp->children[pp->nchildren++];

	c->kind = kind;
	c->index = index;
	c->fd = -1;
	c->violation = -1;
}

int
rp_proc_serve(const struct rp_conf *conf)
{
	struct parent *pp;
	char path[RP_CONF_PATH_MAX + 16];
	struct rp_buf err;
	sigset_t set;
	unsigned i;

	bool web = conf->role == RP_CONF_ROLE_WEB;
	bool core = conf->role == RP_CONF_ROLE_CORE;

	if (web && conf->core_addr[0] == '\0')
		rp_fatal("role = web needs core_addr (host:port of the core "
		    "node's gate)");
	if ((pp = calloc(1, sizeof(*pp))) == NULL)
		rp_fatal("out of memory");
	rp_proctitle_set("rentport: parent");
	if (sodium_init() < 0)
		rp_fatal("cannot initialise libsodium");
	pp->conf = conf;
	pp->listen_fd = pp->metrics_fd = pp->console_fd = pp->sig_fd =
	    pp->access_fd = pp->oplog_fd = -1;
	snprintf(path, sizeof(path), "%s/log", conf->data_dir);
	if (make_dir(conf->data_dir, 0750) != 0 || make_dir(path, 0750) != 0)
		rp_fatal("cannot create %s: %s", path, strerror(errno));
	if ((pp->oplog_fd = open_log(conf->data_dir, "rentport.log")) < 0 ||
	    (pp->access_fd = open_log(conf->data_dir, "access.log")) < 0)
		rp_fatal("cannot open logs in %s: %s", path, strerror(errno));
	/* The operational log goes to its file; a person at a terminal sees it too. */
	rp_log_set_fd(pp->oplog_fd);
	rp_log_set_tee(isatty(2) ? 2 : -1);
	rp_log_set_proc("parent");
	rp_log_set_level((enum rp_log_level)conf->log_level);
	{
		struct rp_buf e;

		rp_buf_init(&e, 512);
		if (conf->privsep && rp_sandbox_init(&e) != 0)
			rp_fatal("%s", e.d ? e.d : "privilege separation");
		rp_buf_release(&e);
	}
	if (!conf->privsep)
		rp_log_warn("privilege separation is OFF (privsep = 0): every "
		    "child runs as uid %ld, unconfined, with every key readable "
		    "by every process; for benchmarks only", (long)getuid());
	else if (rp_sandbox_landlock_abi() <= 0)
		rp_log_warn("this kernel has no landlock: children are "
		    "confined by their users and seccomp only");
	if (!conf->privsep)
		;
	else if (rp_sandbox_privileged())
		rp_log_info("privilege separation: each process kind runs as "
		    "its own user (rentport-web, rentport-vault, ...), with "
		    "seccomp, landlock ABI %d and no core dumps",
		    rp_sandbox_landlock_abi());
	else
		rp_log_warn("privilege separation: not started as root, so "
		    "every child runs as uid %ld; each is still confined by "
		    "landlock (ABI %d) and seccomp and is not dumpable",
		    (long)getuid(), rp_sandbox_landlock_abi());

	/*
	 * Open the core store once before forking, so its migrations are
	 * applied here and the workers never race to apply them.
	 */
	{
		struct rp_store *st;
		int r;

		if ((r = rp_store_open(conf->data_dir, &st)) != 0)
			rp_fatal("cannot open the core store in %s: %s",
			    conf->data_dir, rp_strerror(r));
		rp_store_free(st);
	}

	/*
	 * What the children will need and may not make themselves: the
	 * outbox's files (the web workers enqueue), the WAF's rules and the
	 * security log (workers only read and append), the operator token
	 * (root's alone; the vault gets its hash).  Then every subtree of the
	 * data directory goes to its holder (proc/sandbox.c).
	 */
	rp_buf_init(&err, 512);
	{
		struct rp_mail_outbox *ob;
		char waf[RP_CONF_PATH_MAX + 8];

		if (rp_mail_outbox_open(conf->data_dir, &ob) != 0)
			rp_fatal("cannot open the mail outbox in %s",
			    conf->data_dir);
		rp_mail_outbox_close(ob);
		snprintf(waf, sizeof(waf), "%s/waf", conf->data_dir);
		if (conf->waf_mode != RP_CONF_WAF_OFF && conf->waf_rules[0] ==
		    '\0' && rp_waf_write_rules(waf, &err) != 0)
			rp_fatal("%s", err.d ? err.d : "cannot write WAF rules");
		if (rp_waf_security_log_open(conf->data_dir) != 0)
			rp_fatal("cannot open %s/log/security.log: %s",
			    conf->data_dir, strerror(errno));
		if (conf->paysim_local &&
		    rp_paysim_secrets_prepare(conf->data_dir, &err) != 0)
			rp_fatal("%s", err.d ? err.d : "paysim secrets");
		/* the log writer's key for the local witness: both read it */
		if (conf->witness_local) {
			char kp[RP_CONF_PATH_MAX + 32], wd[RP_CONF_PATH_MAX + 16];
			uint8_t key[RP_WAUTH_KEY_LEN];
			bool made;

			snprintf(wd, sizeof(wd), "%s/witness", conf->data_dir);
			(void)mkdir(wd, 0700);
			if (rp_wauth_path(conf, kp, sizeof(kp)) != 0 ||
			    rp_wauth_key_make(kp, key, &made) != 0)
				rp_fatal("cannot make the witness client key");
			sodium_memzero(key, sizeof(key));
		}
		/* the identity holder's word, checked by the vault */
		if (rp_cap_key_prepare(conf->data_dir) != 0)
			rp_fatal("cannot make %s/%s", conf->data_dir,
			    RP_CAP_KEY_NAME);
		if (rp_auth_prepare(conf->data_dir) != 0)
			rp_fatal("cannot prepare %s/auth", conf->data_dir);
		/* "my order" links, sealed by it for the mail sender alone */
		if (rp_linkseal_prepare(conf->data_dir) != 0)
			rp_fatal("cannot make %s/%s", conf->data_dir,
			    RP_LINKSEAL_SEED);
		if (rp_vault_operator_prepare(conf->data_dir) != 0)
			rp_fatal("cannot prepare %s/vault/operator.token",
			    conf->data_dir);
	}
	rp_sandbox_set_role(conf->role);
	if (conf->privsep && rp_sandbox_prepare_data(conf->data_dir, &err) != 0)
		rp_fatal("%s", err.d ? err.d : "cannot prepare the data directory");
	/* (a core node serves no site: the web nodes do) */
	if (!core && rp_web_listen(conf, &pp->listen_fd, &err) != 0)
		rp_fatal("%s", err.d ? err.d : "cannot listen");
	/* /metrics: only on this internal listener, served by the workers */
	if (!core && rp_metrics_listen(conf, &pp->metrics_fd, &err) != 0)
		rp_fatal("%s", err.d ? err.d : "cannot listen for metrics");
	/* the staff console: its own listener, never the sites' port */
	if (!core && rp_console_listen(conf, &pp->console_fd, &err) != 0)
		rp_fatal("%s", err.d ? err.d : "cannot listen for the console");
	rp_buf_release(&err);
	if ((pp->metrics = rp_metrics_create()) == NULL)
		rp_fatal("cannot create the metrics area");
	/* The IPS area (bans, rate limits): shared by the workers like the
	 * metrics, reached through rp_ips_global() after fork. */
	{
		struct rp_ips_limits lim;
		struct rp_ips *ips;

		rp_ips_limits_from_conf(conf, &lim);
		if ((ips = rp_ips_create(&lim)) == NULL)
			rp_fatal("cannot create the IPS area");
		rp_ips_set_global(ips);
	}

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 ||
	    (pp->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		rp_fatal("signalfd: %s", strerror(errno));

	/*
	 * Start order: the local witness (it reads the log's key when the
	 * first checkpoint arrives), the log writer, the vault (a client of
	 * the log writer), the mailer and the web workers (clients of the
	 * vault).
	 */
	/* Role core: the services and the payments; role web: the sites
	 * and what serves them, the services through the gate; role all:
	 * everything, no gate. */
	if (!web) {
		if (conf->witness_local)
			add_child(pp, CHILD_WITNESS, 1);
		add_child(pp, CHILD_ALOG, 1);
		add_child(pp, CHILD_VAULT, 1);
		add_child(pp, CHILD_AUTH, 1);
	}
	if (conf->role != RP_CONF_ROLE_ALL)
		add_child(pp, CHILD_GATE, 1);
	if (!core)
		add_child(pp, CHILD_MAIL, 1);
	if (!web) {
		if (conf->paysim_local)
			add_child(pp, CHILD_PAYSIM, 1);
		add_child(pp, CHILD_PAYLINK, 1);
	}
	if (!core) {
		if (conf->ips_nft)
			add_child(pp, CHILD_NFT, 1);
		add_child(pp, CHILD_IPS, 1);
		for (i = 0; i < conf->workers && pp->nchildren < MAX_CHILDREN;
		    i++)
			add_child(pp, CHILD_WEB, i + 1);
		for (i = 0; i < conf->console_workers &&
		    pp->nchildren < MAX_CHILDREN; i++)
			add_child(pp, CHILD_CONSOLE, i + 1);
	}
	/* the services first; the sites when those are ready (loop) */
	for (i = 0; i < pp->nchildren; i++)
		pp->sites_held |= is_site(pp->children[i].kind);
	pp->sites_at = now_ms() + SITES_WAIT_MS;
	for (i = 0; i < pp->nchildren; i++)
		if (!is_site(pp->children[i].kind) &&
		    spawn(pp, &pp->children[i]) != 0)
			pp->children[i].restart_at = now_ms() + MAX_BACKOFF_MS;
	release_sites(pp);	/* nothing to wait for (a node without them) */
	if (core)
		rp_log_info("core node: the vault, log writer and identity "
		    "holder for the web nodes over mutual TLS on %s port %u, "
		    "with %u children", conf->gate_addr, conf->gate_port,
		    pp->nchildren);
	else
		rp_log_info("serving on %s port %u (metrics on %s port %u, "
		    "staff console on %s port %u) with %u children%s%s",
		    conf->listen_addr, conf->port, conf->metrics_addr,
		    conf->metrics_port, conf->console_addr, conf->console_port,
		    pp->nchildren, web ? "; the core node at " : "",
		    web ? conf->core_addr : "");

	loop(pp);

	rp_log_info("stopped");
	close(pp->listen_fd);
	close(pp->metrics_fd);
	close(pp->console_fd);
	close(pp->sig_fd);
	close(pp->access_fd);
	close(pp->oplog_fd);
	free(pp);
	return 0;
}
