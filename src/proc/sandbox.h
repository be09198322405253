/* SPDX-License-Identifier: ISC */
/*
 * sandbox.h — privilege separation that the kernel enforces.
 *
 * Every child of `rentport serve` starts through rp_sandbox_enter() before
 * it reads one untrusted byte: it moves into the data directory, drops to
 * the system user of its kind (rentport-web, rentport-vault, ...: setgroups,
 * setresgid, setresuid, then checks that root cannot come back), sets
 * PR_SET_NO_NEW_PRIVS, RLIMIT_CORE 0 and PR_SET_DUMPABLE 0, restricts the
 * file system (and TCP ports) it may use with a landlock ruleset, and
 * installs a seccomp allowlist (libseccomp).  Any step that fails is an
 * error: the child exits non-zero with the reason, it never runs
 * unconfined silently.  A syscall outside the allowlist is trapped: the
 * child reports the syscall number to the parent (RP_MSG_SANDBOX) and dies
 * of SIGSYS; the parent records the restart with it.
 *
 * The parent (root) prepares the data directory first: each subtree owned
 * by its holder with the tightest mode (rp_sandbox_prepare_data).  Started
 * by another user (a developer's laptop) there is no user to drop to: the
 * children still get landlock, seccomp and non-dumpable, and serve says so.
 *
 * The table of kinds → user → files → syscalls is in ARCHITECTURE.md.
 */
#ifndef RP_PROC_SANDBOX_H
#define RP_PROC_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

#include "conf/conf.h"
#include "util/buf.h"

/* Process kinds; the numbering is shared with READY and PEER_REGISTER. */
enum rp_kind {
	RP_KIND_WEB = 0, RP_KIND_VAULT = 1, RP_KIND_ALOG = 2,
	RP_KIND_WITNESS = 3, RP_KIND_OPERATOR = 4, RP_KIND_MAIL = 5,
	RP_KIND_PAYLINK = 6, RP_KIND_PAYSIM = 7, RP_KIND_IPS = 8,
	RP_KIND_NFT = 9, RP_KIND_AUTH = 10, RP_KIND_CONSOLE = 11,
	RP_KIND_GATE = 12, RP_KIND_MAX
};

/* "web", "vault", "log-writer", ...: the kind's name in process titles. */
const char *rp_kind_title(unsigned kind);

/* The system user of a kind ("rentport-web"); NULL for the operator. */
const char *rp_sandbox_user(unsigned kind);

/*
 * Parent, once, before anything else: looks the users and groups up.  As
 * root every one must exist (RP_E_NOTFOUND naming the first missing one and
 * scripts/install-users.sh); not as root, 0 and rp_sandbox_privileged()
 * stays false.
 */
int rp_sandbox_init(struct rp_buf *err) RP_WARN_UNUSED;

/* Parent, before rp_sandbox_prepare_data: the node's role
 * (RP_CONF_ROLE_*; on a web node the gate owns the services' sockets). */
void rp_sandbox_set_role(unsigned role);

/* True when serve runs as root and children drop to their users. */
bool rp_sandbox_privileged(void);

/* The uid a kind runs as (getuid() when not privileged). */
uid_t rp_sandbox_uid(unsigned kind);

/*
 * Parent, as root, before the first child: owner and mode of every file
 * and directory of the data directory (see the table in ARCHITECTURE.md).
 * Creates the directories each kind needs (when not privileged, only
 * that: mode 0700, the user's).
 */
int rp_sandbox_prepare_data(const char *data_dir, struct rp_buf *err)
    RP_WARN_UNUSED;

/*
 * In a child, first thing after fork: chdir to conf->data_dir (every path
 * the child opens afterwards is relative to it, so the directories above
 * need not be open to the kind's user), drop privileges, confine.
 * report_fd: the parent channel, for a trapped syscall.  0 or an error
 * with the reason in err; the caller exits non-zero.
 */
int rp_sandbox_enter(const struct rp_conf *conf, unsigned kind,
    int report_fd, struct rp_buf *err) RP_WARN_UNUSED;

/* The name of syscall nr on this architecture ("execve"), or "?". */
const char *rp_sandbox_syscall_name(unsigned nr);

/*
 * What rp_sandbox_enter did, for the status line of serve and the tests:
 * the landlock ABI in use (0: none available) — serve refuses to start
 * children without landlock unless the kernel has none at all.
 */
int rp_sandbox_landlock_abi(void);

#endif
