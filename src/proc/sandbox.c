/* SPDX-License-Identifier: ISC */
/*
 * sandbox.c — privilege drop, landlock and seccomp for every child of
 * `rentport serve` (see sandbox.h).  The parent runs the lookups and the
 * data directory preparation as root; each child runs rp_sandbox_enter()
 * right after fork, before any untrusted byte.  Nothing here trusts the
 * child's later self: once entered, the confinement cannot be undone.
 */
#include "util/common.h"
#include "proc/sandbox.h"
#include "store/store.h"
#include "util/log.h"

#include <fcntl.h>
#include <assert.h>
#include <ftw.h>
#include <sched.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#endif

/* ---- kinds, users, groups ------------------------------------------------ */

static const char *const titles[RP_KIND_MAX] = {
	[RP_KIND_WEB] = "web", [RP_KIND_VAULT] = "vault",
	[RP_KIND_ALOG] = "log-writer", [RP_KIND_WITNESS] = "witness",
	[RP_KIND_OPERATOR] = "operator", [RP_KIND_MAIL] = "mailer",
	[RP_KIND_PAYLINK] = "paylink", [RP_KIND_PAYSIM] = "paysim",
	[RP_KIND_IPS] = "ips", [RP_KIND_NFT] = "nft-helper",
	[RP_KIND_AUTH] = "auth", [RP_KIND_CONSOLE] = "console",
	[RP_KIND_GATE] = "gate",
};

/* The nft helper stays uid 0 with CAP_NET_ADMIN alone: no user. */
static const char *const users[RP_KIND_MAX] = {
	[RP_KIND_WEB] = "rentport-web", [RP_KIND_VAULT] = "rentport-vault",
	[RP_KIND_ALOG] = "rentport-alog", [RP_KIND_WITNESS] = "rentport-witness",
	[RP_KIND_MAIL] = "rentport-mail", [RP_KIND_PAYLINK] = "rentport-pay",
	[RP_KIND_PAYSIM] = "rentport-paysim", [RP_KIND_IPS] = "rentport-ips",
	[RP_KIND_AUTH] = "rentport-auth", [RP_KIND_CONSOLE] = "rentport-console",
	[RP_KIND_GATE] = "rentport-gate",
};

/* Shared groups: the core store's writers, and the run/ sockets' users. */
#define GROUP_CORE	"rentport-core"
#define GROUP_RUN	"rentport-run"
/* ... and the readers of the capability key: the identity holder and the
 * vault. */
#define GROUP_CAP	"rentport-cap"

struct ids {
	uid_t uid;
	gid_t gid;
};

static struct {
	bool privileged;
	struct ids kind[RP_KIND_MAX];
	gid_t core_gid, run_gid, cap_gid;
	int abi;
	unsigned role;		/* RP_CONF_ROLE_* */
} S;

const char *
rp_kind_title(unsigned kind)
{
	return kind < RP_KIND_MAX && titles[kind] ? titles[kind] : "?";
}

const char *
rp_sandbox_user(unsigned kind)
{
	return kind < RP_KIND_MAX ? users[kind] : NULL;
}

bool
rp_sandbox_privileged(void)
{
	return S.privileged;
}

uid_t
rp_sandbox_uid(unsigned kind)
{
	if (!S.privileged || kind >= RP_KIND_MAX || users[kind] == NULL)
		return kind == RP_KIND_NFT && S.privileged ? 0 : getuid();
	return S.kind[kind].uid;
}

/* Supplementary groups of a kind: only the shared files it must reach. */
static size_t
kind_groups(unsigned kind, gid_t *g)
{
	size_t n = 0;

	switch (kind) {
	case RP_KIND_WEB:
	case RP_KIND_IPS:
	case RP_KIND_CONSOLE:
		g[n++] = S.core_gid;
		g[n++] = S.run_gid;
		break;
	case RP_KIND_PAYLINK:
		g[n++] = S.core_gid;
		break;
	case RP_KIND_VAULT:
	case RP_KIND_AUTH:
		g[n++] = S.run_gid;
		g[n++] = S.cap_gid;
		break;
	case RP_KIND_ALOG:
	case RP_KIND_MAIL:
	case RP_KIND_GATE:
		g[n++] = S.run_gid;
		break;
	default:
		break;
	}
	return n;
}

int
rp_sandbox_init(struct rp_buf *err)
{
	struct passwd *pw;
	struct group *gr;
	unsigned k;

	memset(&S, 0, sizeof(S));
	S.abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
	    1U /* LANDLOCK_CREATE_RULESET_VERSION */);
	if (S.abi < 0)
		S.abi = 0;
	if (geteuid() != 0)
		return 0;
	for (k = 0; k < RP_KIND_MAX; k++) {
		if (users[k] == NULL)
			continue;
		if ((pw = getpwnam(users[k])) == NULL || pw->pw_uid == 0) {
			rp_buf_printf(err, "system user %s is missing (as root, "
			    "serve runs each process kind as its own user): run "
			    "scripts/install-users.sh, or `make run`", users[k]);
			return RP_E_NOTFOUND;
		}
		S.kind[k].uid = pw->pw_uid;
		S.kind[k].gid = pw->pw_gid;
	}
	if ((gr = getgrnam(GROUP_CORE)) == NULL) {
		rp_buf_printf(err, "system group %s is missing: run "
		    "scripts/install-users.sh", GROUP_CORE);
		return RP_E_NOTFOUND;
	}
	S.core_gid = gr->gr_gid;
	if ((gr = getgrnam(GROUP_RUN)) == NULL) {
		rp_buf_printf(err, "system group %s is missing: run "
		    "scripts/install-users.sh", GROUP_RUN);
		return RP_E_NOTFOUND;
	}
	S.run_gid = gr->gr_gid;
	if ((gr = getgrnam(GROUP_CAP)) == NULL) {
		rp_buf_printf(err, "system group %s is missing: run "
		    "scripts/install-users.sh", GROUP_CAP);
		return RP_E_NOTFOUND;
	}
	S.cap_gid = gr->gr_gid;
	S.privileged = true;
	return 0;
}

void
rp_sandbox_set_role(unsigned role)
{
	S.role = role;
}

int
rp_sandbox_landlock_abi(void)
{
	return S.abi;
}

/* ---- the data directory (parent, as root) ------------------------------- */

/* Owner and modes of one subtree: dirs and files, plus exceptions. */
static struct {
	uid_t uid;
	gid_t gid;
	mode_t dmode, fmode;
} walk;

static int
walk_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)f;
	/* Never follow or touch links a child may have planted, nor a file
	 * with other names (a hard link to something outside). */
	if (flag == FTW_SL || flag == FTW_SLN || S_ISLNK(sb->st_mode))
		return 0;
	if (flag == FTW_F && (!S_ISREG(sb->st_mode) || sb->st_nlink != 1))
		return 0;
	if (lchown(path, walk.uid, walk.gid) != 0)
		return -1;
	if (flag == FTW_D || flag == FTW_DP)
		return chmod(path, walk.dmode) != 0 ? -1 : 0;
	return chmod(path, walk.fmode) != 0 ? -1 : 0;
}

static int
own_tree(const char *dir, const char *sub, bool create, uid_t uid, gid_t gid,
    mode_t dmode, mode_t fmode, struct rp_buf *err)
{
	char path[RP_CONF_PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (!create && access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	if (mkdir(path, dmode & 0777) != 0 && errno != EEXIST)
		goto fail;
	walk.uid = uid;
	walk.gid = gid;
	walk.dmode = dmode;
	walk.fmode = fmode;
	if (nftw(path, walk_one, 16, FTW_PHYS) != 0)
		goto fail;
	return 0;
 fail:
	rp_buf_printf(err, "cannot prepare %s: %s", path, strerror(errno));
	return RP_E_IO;
}

/* One file, if it exists. */
static int
own_file(const char *dir, const char *name, uid_t uid, gid_t gid,
    mode_t mode, struct rp_buf *err)
{
	char path[RP_CONF_PATH_MAX + 64];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? 0 : RP_E_IO;
	if (!S_ISREG(sb.st_mode) || sb.st_nlink != 1) {
		rp_buf_printf(err, "%s is not a plain file", path);
		return RP_E_STATE;
	}
	if (lchown(path, uid, gid) != 0 || chmod(path, mode) != 0) {
		rp_buf_printf(err, "cannot prepare %s: %s", path,
		    strerror(errno));
		return RP_E_IO;
	}
	return 0;
}

int
rp_sandbox_prepare_data(const char *d, struct rp_buf *err)
{
	const struct ids *k = S.kind;
	char p[RP_CONF_PATH_MAX + 64];
	int r;

	if (!S.privileged) {
		/* One user for all: just the directories the kinds may not
		 * make themselves (landlock lets none of them make one in
		 * the data directory), private. */
		static const char *const dirs[] = { "log", "run", "vault",
		    "alog", "witness", "mail", "mail/out", "auth" };

		for (size_t i = 0; i < RP_ARRAY_LEN(dirs); i++) {
			snprintf(p, sizeof(p), "%s/%s", d, dirs[i]);
			if (mkdir(p, 0700) != 0 && errno != EEXIST) {
				rp_buf_printf(err, "cannot create %s: %s", p,
				    strerror(errno));
				return RP_E_IO;
			}
		}
		return 0;
	}
	/* The top: root's, searchable so that each kind reaches its own. */
	if (chown(d, 0, 0) != 0 || chmod(d, 0711) != 0) {
		rp_buf_printf(err, "cannot prepare %s: %s", d, strerror(errno));
		return RP_E_IO;
	}
	if ((r = own_tree(d, "log", true, 0, 0, 0750, 0640, err)) != 0 ||
	    (r = own_tree(d, "waf", false, 0, 0, 0755, 0644, err)) != 0 ||
	    /* keys/: searchable; each key file's group reads it */
	    (r = own_tree(d, "keys", false, 0, S.core_gid, 0751, 0600, err)) != 0 ||
	    /* run/: setgid (sockets get the group), sticky (nobody
	     * removes another's socket), shared by the socket users */
	    (r = own_tree(d, "run", true, 0, S.run_gid, 03770, 0660, err)) != 0 ||
	    (r = own_tree(d, "vault", true, k[RP_KIND_VAULT].uid,
	    k[RP_KIND_VAULT].gid, 0700, 0600, err)) != 0 ||
	    (r = own_tree(d, "auth", true, k[RP_KIND_AUTH].uid,
	    k[RP_KIND_AUTH].gid, 0700, 0600, err)) != 0 ||
	    /* tls/: the gate's keys and certificates (role web or core) */
	    (r = own_tree(d, "tls", true, k[RP_KIND_GATE].uid,
	    k[RP_KIND_GATE].gid, 0700, 0600, err)) != 0 ||
	    (r = own_tree(d, "alog", true, k[RP_KIND_ALOG].uid,
	    k[RP_KIND_ALOG].gid, 0711, 0600, err)) != 0 ||
	    (r = own_tree(d, "witness", true, k[RP_KIND_WITNESS].uid,
	    k[RP_KIND_ALOG].gid, 0710, 0600, err)) != 0 ||
	    /* mail/: the web workers (group) reach the outbox alone */
	    (r = own_tree(d, "mail", true, k[RP_KIND_MAIL].uid, k[RP_KIND_WEB].gid,
	    02710, 0600, err)) != 0 ||
	    (r = own_tree(d, "mail/out", true, k[RP_KIND_MAIL].uid,
	    k[RP_KIND_MAIL].gid, 0700, 0600, err)) != 0 ||
	    /* paysim/: paylink (group) reads the merchant secrets alone */
	    (r = own_tree(d, "paysim", false, k[RP_KIND_PAYSIM].uid,
	    k[RP_KIND_PAYLINK].gid, 02751, 0600, err)) != 0)
		return r;
	/* A socket an earlier run left (perhaps under another user) goes to
	 * the kind that binds it, who may then replace it in the sticky
	 * run/. */
	{
		static const struct { const char *name; int kind; } socks[] = {
			{ "vault.sock", RP_KIND_VAULT },
			{ "alog.sock", RP_KIND_ALOG },
			{ "nft.sock", RP_KIND_NFT },
			{ "auth.sock", RP_KIND_AUTH },
		};
		struct stat sb;

		for (size_t i = 0; i < RP_ARRAY_LEN(socks); i++) {
			snprintf(p, sizeof(p), "%s/run/%s", d, socks[i].name);
			int kind = socks[i].kind;

			/* on a web node the gate binds the services' sockets */
			if (S.role == RP_CONF_ROLE_WEB && (kind == RP_KIND_VAULT ||
			    kind == RP_KIND_AUTH))
				kind = RP_KIND_GATE;
			if (lstat(p, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
			    lchown(p, kind == RP_KIND_NFT ? 0 :
			    k[kind].uid, S.run_gid) != 0) {
				rp_buf_printf(err, "cannot prepare %s: %s", p,
				    strerror(errno));
				return RP_E_IO;
			}
		}
	}
	/* The exceptions inside those trees. */
	snprintf(p, sizeof(p), "%s/vault", d);
	if ((r = own_file(p, "operator.token", 0, 0, 0600, err)) != 0)
		return r;
	snprintf(p, sizeof(p), "%s/alog", d);
	if ((r = own_file(p, "vkey", k[RP_KIND_ALOG].uid, k[RP_KIND_ALOG].gid,
	    0644, err)) != 0 ||
	    (r = own_file(p, "origin", k[RP_KIND_ALOG].uid,
	    k[RP_KIND_ALOG].gid, 0644, err)) != 0)
		return r;
	snprintf(p, sizeof(p), "%s/witness", d);
	if ((r = own_file(p, "client.key", k[RP_KIND_WITNESS].uid,
	    k[RP_KIND_ALOG].gid, 0640, err)) != 0)
		return r;
	snprintf(p, sizeof(p), "%s/mail", d);
	if ((r = own_file(p, "outbox.db", k[RP_KIND_MAIL].uid,
	    k[RP_KIND_WEB].gid, 0660, err)) != 0 ||
	    (r = own_file(p, "outbox.db-wal", k[RP_KIND_MAIL].uid,
	    k[RP_KIND_WEB].gid, 0660, err)) != 0 ||
	    (r = own_file(p, "outbox.db-shm", k[RP_KIND_MAIL].uid,
	    k[RP_KIND_WEB].gid, 0660, err)) != 0 ||
	    /* opens the links sealed to it: its own */
	    (r = own_file(p, "link.key", k[RP_KIND_MAIL].uid,
	    k[RP_KIND_MAIL].gid, 0600, err)) != 0)
		return r;
	snprintf(p, sizeof(p), "%s/paysim", d);
	if ((r = own_file(p, "api.secret", k[RP_KIND_PAYSIM].uid,
	    k[RP_KIND_PAYLINK].gid, 0640, err)) != 0 ||
	    (r = own_file(p, "webhook.secret", k[RP_KIND_PAYSIM].uid,
	    k[RP_KIND_PAYLINK].gid, 0640, err)) != 0 ||
	    (r = own_file(p, "publishable.key", k[RP_KIND_PAYSIM].uid,
	    k[RP_KIND_PAYLINK].gid, 0644, err)) != 0)
		return r;
	snprintf(p, sizeof(p), "%s/keys", d);
	if ((r = own_file(p, "order-number.key", 0, S.core_gid, 0640,
	    err)) != 0 ||
	    (r = own_file(p, "capability.key", 0, S.cap_gid, 0640, err)) != 0 ||
	    (r = own_file(p, "mail-link.pub", 0, 0, 0644, err)) != 0)
		return r;
	/* The core store: root's, written by its group (web, paylink, ips). */
	if ((r = own_file(d, "core.db", 0, S.core_gid, 0660, err)) != 0 ||
	    (r = own_file(d, "core.db-wal", 0, S.core_gid, 0660, err)) != 0 ||
	    (r = own_file(d, "core.db-shm", 0, S.core_gid, 0660, err)) != 0 ||
	    (r = own_file(d, "demo-logins.txt", 0, 0, 0600, err)) != 0)
		return r;
	return 0;
}

/* ---- dropping privileges ------------------------------------------------- */

static int
cap_keep_only(int keep)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int c;

	for (c = 0; c <= CAP_LAST_CAP; c++)
		if (c != keep && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0)
			return -1;
	memset(d, 0, sizeof(d));
	if (keep >= 0) {
		d[keep / 32].effective = 1u << (keep % 32);
		d[keep / 32].permitted = 1u << (keep % 32);
		d[keep / 32].inheritable = 1u << (keep % 32);
	}
	if (syscall(SYS_capset, &h, d) != 0)
		return -1;
	/* ambient, so that the exec'd helper keeps it without being root */
	if (keep >= 0 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, keep, 0,
	    0) != 0)
		return -1;
	return 0;
}

static int
drop_to(unsigned kind, struct rp_buf *err)
{
	gid_t groups[4];
	size_t ng;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (kind == RP_KIND_NFT) {
		/* uid 0 kept for the netlink socket, but no capability
		 * except CAP_NET_ADMIN, and root's special treatment off */
		if (prctl(PR_SET_SECUREBITS, (1 << 0) | (1 << 1) | (1 << 2) |
		    (1 << 3) /* NOROOT(+LOCKED), NO_SETUID_FIXUP(+LOCKED) */,
		    0, 0, 0) != 0 || setgroups(0, NULL) != 0 ||
		    cap_keep_only(CAP_NET_ADMIN) != 0) {
			rp_buf_printf(err, "cannot limit the nft helper to "
			    "CAP_NET_ADMIN: %s", strerror(errno));
			return RP_E_DENIED;
		}
		return 0;
	}
	ng = kind_groups(kind, groups);
	if (setgroups(ng, groups) != 0 ||
	    setresgid(S.kind[kind].gid, S.kind[kind].gid,
	    S.kind[kind].gid) != 0 ||
	    setresuid(S.kind[kind].uid, S.kind[kind].uid,
	    S.kind[kind].uid) != 0) {
		rp_buf_printf(err, "cannot drop to %s: %s", users[kind],
		    strerror(errno));
		return RP_E_DENIED;
	}
	/* Verify: every id is the user's, and root cannot come back. */
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 ||
	    ru != S.kind[kind].uid || eu != ru || su != ru ||
	    rg != S.kind[kind].gid || eg != rg || sg != rg ||
	    setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0) {
		rp_buf_printf(err, "privilege drop to %s did not hold",
		    users[kind]);
		return RP_E_DENIED;
	}
	return 0;
}

/* ---- landlock ------------------------------------------------------------ */

/* The uapi of landlock up to ABI 6 (Debian's headers stop at ABI 3). */
#define LL_EXECUTE	(1ULL << 0)
#define LL_WRITE_FILE	(1ULL << 1)
#define LL_READ_FILE	(1ULL << 2)
#define LL_READ_DIR	(1ULL << 3)
#define LL_REMOVE_DIR	(1ULL << 4)
#define LL_REMOVE_FILE	(1ULL << 5)
#define LL_MAKE_CHAR	(1ULL << 6)
#define LL_MAKE_DIR	(1ULL << 7)
#define LL_MAKE_REG	(1ULL << 8)
#define LL_MAKE_SOCK	(1ULL << 9)
#define LL_MAKE_FIFO	(1ULL << 10)
#define LL_MAKE_BLOCK	(1ULL << 11)
#define LL_MAKE_SYM	(1ULL << 12)
#define LL_REFER	(1ULL << 13)	/* ABI 2 */
#define LL_TRUNCATE	(1ULL << 14)	/* ABI 3 */
#define LL_IOCTL_DEV	(1ULL << 15)	/* ABI 5 */
#define LL_NET_BIND	(1ULL << 0)	/* ABI 4 */
#define LL_NET_CONNECT	(1ULL << 1)
#define LL_SCOPE_UNIX	(1ULL << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL	(1ULL << 1)

#define LL_FILE_RIGHTS	(LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | \
    LL_TRUNCATE | LL_IOCTL_DEV)
#define LL_RO		(LL_READ_FILE | LL_READ_DIR)
#define LL_RW_FILE	(LL_READ_FILE | LL_WRITE_FILE | LL_TRUNCATE)
#define LL_RW_TREE	(LL_RO | LL_WRITE_FILE | LL_TRUNCATE | LL_REMOVE_DIR | \
    LL_REMOVE_FILE | LL_MAKE_DIR | LL_MAKE_REG | LL_REFER)
#define LL_SOCK_DIR	(LL_READ_DIR | LL_MAKE_SOCK | LL_REMOVE_FILE)

struct ll_ruleset_attr {
	uint64_t fs, net, scoped;
};

struct ll_path_attr {
	uint64_t allowed;
	int32_t parent_fd;
} __attribute__((packed));

struct ll_net_attr {
	uint64_t allowed;
	uint64_t port;
};

struct ll_rule {
	const char *path;	/* relative to the data directory, or absolute */
	uint64_t rights;
};

/* What every kind may read: libraries, configuration, /proc, devices. */
static const struct ll_rule common_rules[] = {
	{ "/usr", LL_RO | LL_EXECUTE }, { "/lib", LL_RO | LL_EXECUTE },
	{ "/lib64", LL_RO | LL_EXECUTE }, { "/etc", LL_RO },
	{ "/proc", LL_RO }, { "/sys/devices/system/cpu", LL_RO },
	{ "/dev/null", LL_RW_FILE }, { "/dev/urandom", LL_READ_FILE },
	{ "/dev/random", LL_READ_FILE },
};

/* The core store and the key of its order numbers (web, paylink, ips). */
static const struct ll_rule core_rules[] = {
	{ "core.db", LL_RW_FILE }, { "core.db-wal", LL_RW_FILE },
	{ "core.db-shm", LL_RW_FILE }, { "keys/order-number.key", LL_READ_FILE },
};

static const struct ll_rule web_rules[] = {
	{ "mail/outbox.db", LL_RW_FILE }, { "mail/outbox.db-wal", LL_RW_FILE },
	{ "mail/outbox.db-shm", LL_RW_FILE },
	{ "paysim/publishable.key", LL_READ_FILE },
};

static const struct ll_rule vault_rules[] = {
	{ "vault", LL_RW_TREE }, { "run", LL_SOCK_DIR },
	{ "keys/capability.key", LL_READ_FILE },
};

static const struct ll_rule auth_rules[] = {
	{ "auth", LL_RW_TREE }, { "run", LL_SOCK_DIR },
	{ "keys/capability.key", LL_READ_FILE },
	{ "keys/mail-link.pub", LL_READ_FILE },	/* seals links (linkseal.h) */
};

static const struct ll_rule alog_rules[] = {
	{ "alog", LL_RW_TREE }, { "run", LL_SOCK_DIR },
	{ "witness/client.key", LL_READ_FILE },	/* its HMAC key */
	{ ".", LL_READ_DIR },	/* fsync of the data directory */
};

static const struct ll_rule witness_rules[] = {
	{ "witness", LL_RW_TREE }, { "alog", LL_READ_FILE },
};

static const struct ll_rule mail_rules[] = {
	{ "mail", LL_RW_TREE },
};

static const struct ll_rule paylink_rules[] = {
	{ "paysim/api.secret", LL_READ_FILE },
	{ "paysim/webhook.secret", LL_READ_FILE },
};

static const struct ll_rule paysim_rules[] = {
	{ "paysim", LL_RW_TREE },
};

static const struct ll_rule gate_rules[] = {
	{ "tls", LL_RO }, { "run", LL_SOCK_DIR },
};

static const struct ll_rule nft_rules[] = {
	{ "run", LL_SOCK_DIR },
};

static int
ll_add_path(int rfd, const char *path, uint64_t rights, uint64_t handled,
    struct rp_buf *err)
{
	struct ll_path_attr pa;
	struct stat sb;
	int fd, r;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;	/* nothing there to allow */
		rp_buf_printf(err, "landlock: open %s: %s", path,
		    strerror(errno));
		return RP_E_IO;
	}
	if (fstat(fd, &sb) == 0 && !S_ISDIR(sb.st_mode))
		rights &= LL_FILE_RIGHTS;
	pa.allowed = rights & handled;
	pa.parent_fd = fd;
	r = pa.allowed == 0 ? 0 : (int)syscall(SYS_landlock_add_rule, rfd,
	    1 /* LANDLOCK_RULE_PATH_BENEATH */, &pa, 0);
	close(fd);
	if (r != 0) {
		rp_buf_printf(err, "landlock: rule for %s: %s", path,
		    strerror(errno));
		return RP_E_IO;
	}
	return 0;
}

static int
ll_add_port(int rfd, uint64_t right, unsigned port, struct rp_buf *err)
{
	struct ll_net_attr na = { right, port };

	if (port == 0 || syscall(SYS_landlock_add_rule, rfd,
	    2 /* LANDLOCK_RULE_NET_PORT */, &na, 0) == 0)
		return 0;
	rp_buf_printf(err, "landlock: port %u: %s", port, strerror(errno));
	return RP_E_IO;
}

static int
ll_add_all(int rfd, const struct ll_rule *rules, size_t n, uint64_t handled,
    struct rp_buf *err)
{
	int r;

	for (size_t i = 0; i < n; i++)
		if ((r = ll_add_path(rfd, rules[i].path, rules[i].rights,
		    handled, err)) != 0)
			return r;
	return 0;
}

#define ADD(rules) ll_add_all(rfd, rules, RP_ARRAY_LEN(rules), attr.fs, err)

/* The port of core_addr ("host:port"), 0 when there is none. */
static unsigned
gate_core_port(const struct rp_conf *conf)
{
	const char *c = strrchr(conf->core_addr, ':');
	unsigned long v;
	char *end;

	if (c == NULL)
		return 0;
	v = strtoul(c + 1, &end, 10);
	return *end == '\0' && v > 0 && v < 65536 ? (unsigned)v : 0;
}

/* The kinds that open the core store (web, console, ips, paylink). */
static bool
store_user(unsigned kind)
{
	return kind == RP_KIND_WEB || kind == RP_KIND_CONSOLE ||
	    kind == RP_KIND_IPS || kind == RP_KIND_PAYLINK;
}

static int
install_landlock(const struct rp_conf *conf, unsigned kind, const char *exe_dir,
    struct rp_buf *err)
{
	struct ll_ruleset_attr attr;
	size_t attr_size = sizeof(attr.fs);
	bool net_limited = false;
	int rfd, r = 0;

	if (S.abi <= 0)
		return 0;	/* no landlock in this kernel: said at start */
	memset(&attr, 0, sizeof(attr));
	attr.fs = LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | LL_READ_DIR |
	    LL_REMOVE_DIR | LL_REMOVE_FILE | LL_MAKE_CHAR | LL_MAKE_DIR |
	    LL_MAKE_REG | LL_MAKE_SOCK | LL_MAKE_FIFO | LL_MAKE_BLOCK |
	    LL_MAKE_SYM;
	if (S.abi >= 2)
		attr.fs |= LL_REFER;
	if (S.abi >= 3)
		attr.fs |= LL_TRUNCATE;
	if (S.abi >= 5)
		attr.fs |= LL_IOCTL_DEV;
	if (S.abi >= 4) {
		attr_size = 2 * sizeof(uint64_t);
		/* Who may bind or connect TCP at all (others: none). */
		switch (kind) {
		case RP_KIND_ALOG:
			/* a remote witness (witness_url) may listen anywhere */
			attr.net = conf->witness_url[0] != '\0' ? LL_NET_BIND :
			    LL_NET_BIND | LL_NET_CONNECT;
			net_limited = true;
			break;
		case RP_KIND_WEB: case RP_KIND_VAULT: case RP_KIND_IPS:
		case RP_KIND_WITNESS: case RP_KIND_NFT: case RP_KIND_AUTH:
		case RP_KIND_CONSOLE:
			attr.net = LL_NET_BIND | LL_NET_CONNECT;
			net_limited = true;
			break;
		case RP_KIND_GATE:
			attr.net = LL_NET_BIND | LL_NET_CONNECT;
			net_limited = true;
			break;
		case RP_KIND_MAIL:
		case RP_KIND_PAYLINK:
		case RP_KIND_PAYSIM:
			/* they reach configured hosts (SMTP relay, the payment
			 * agent, webhooks) on any port; they may bind only
			 * their own */
			attr.net = LL_NET_BIND;
			net_limited = true;
			break;
		}
	}
	if (S.abi >= 6) {
		attr_size = sizeof(attr);
		attr.scoped = LL_SCOPE_UNIX | LL_SCOPE_SIGNAL;
	}
	if ((rfd = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size,
	    0)) < 0) {
		rp_buf_printf(err, "landlock: create ruleset: %s",
		    strerror(errno));
		return RP_E_IO;
	}
	if ((r = ADD(common_rules)) != 0)
		goto out;
	switch (kind) {
	case RP_KIND_WEB:
		/* (the WAF's rules were read before: proc.c child_main) */
		if ((r = ADD(core_rules)) == 0)
			r = ADD(web_rules);
		break;
	case RP_KIND_VAULT:
		r = ADD(vault_rules);
		break;
	case RP_KIND_AUTH:
		r = ADD(auth_rules);
		break;
	case RP_KIND_CONSOLE:
		/* the catalogue (tenants, counters); it asks auth and the
		 * vault over its sockets */
		r = ADD(core_rules);
		break;
	case RP_KIND_ALOG:
		if ((r = ADD(alog_rules)) == 0 &&
		    conf->witness_client_key[0] != '\0')
			r = ll_add_path(rfd, conf->witness_client_key,
			    LL_READ_FILE, attr.fs, err);
		if (r == 0 && net_limited &&
		    (r = ll_add_port(rfd, LL_NET_BIND, conf->alog_http_port,
		    err)) == 0 && (attr.net & LL_NET_CONNECT))
			r = ll_add_port(rfd, LL_NET_CONNECT, conf->witness_port,
			    err);
		break;
	case RP_KIND_WITNESS:
		if ((r = ADD(witness_rules)) == 0 && net_limited)
			r = ll_add_port(rfd, LL_NET_BIND, conf->witness_port,
			    err);
		break;
	case RP_KIND_MAIL:
		r = ADD(mail_rules);
		break;
	case RP_KIND_PAYLINK:
		if ((r = ADD(core_rules)) == 0 && (r = ADD(paylink_rules)) == 0 &&
		    net_limited)
			r = ll_add_port(rfd, LL_NET_BIND, conf->paylink_port,
			    err);
		break;
	case RP_KIND_PAYSIM:
		if ((r = ADD(paysim_rules)) == 0 && net_limited)
			r = ll_add_port(rfd, LL_NET_BIND, conf->paysim_port,
			    err);
		break;
	case RP_KIND_IPS:
		r = ADD(core_rules);
		break;
	case RP_KIND_GATE:
		/* role core: binds its port; role web: reaches the core's */
		if ((r = ADD(gate_rules)) == 0 && net_limited)
			r = ll_add_port(rfd, conf->role == RP_CONF_ROLE_CORE ?
			    LL_NET_BIND : LL_NET_CONNECT,
			    conf->role == RP_CONF_ROLE_CORE ? conf->gate_port :
			    gate_core_port(conf), err);
		break;
	case RP_KIND_NFT:
		if ((r = ADD(nft_rules)) == 0 && exe_dir != NULL)
			r = ll_add_path(rfd, exe_dir, LL_RO | LL_EXECUTE,
			    attr.fs, err);
		break;
	default:
		break;
	}
	/* the core store on PostgreSQL: its port alone, for its users */
	if (r == 0 && net_limited && (attr.net & LL_NET_CONNECT) &&
	    store_user(kind) && rp_store_url_port(conf->store) > 0)
		r = ll_add_port(rfd, LL_NET_CONNECT,
		    (unsigned)rp_store_url_port(conf->store), err);
	if (r != 0)
		goto out;
	if (syscall(SYS_landlock_restrict_self, rfd, 0) != 0) {
		rp_buf_printf(err, "landlock: restrict_self: %s",
		    strerror(errno));
		r = RP_E_IO;
	}
 out:
	close(rfd);
	return r;
}

#undef ADD

/* ---- seccomp ------------------------------------------------------------- */

/* What every kind needs: memory, files, time, threads, polling, signals. */
static const char *const base_calls[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "close",
	"fstat", "newfstatat", "stat", "lstat", "statx", "lseek", "mmap",
	"munmap", "mprotect", "mremap", "madvise", "brk", "mlock", "munlock",
	"mlock2", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
	"sigaltstack", "futex", "set_robust_list", "get_robust_list", "rseq",
	"set_tid_address", "nanosleep", "clock_nanosleep", "clock_gettime",
	"clock_getres", "gettimeofday", "time", "getpid", "gettid", "getppid",
	"getuid", "geteuid", "getgid", "getegid", "getgroups", "getresuid",
	"getresgid", "exit", "exit_group", "open", "openat", "fcntl", "dup",
	"dup2", "dup3", "pipe", "pipe2", "poll", "ppoll", "select",
	"pselect6", "epoll_create", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "eventfd2", "getrandom", "sched_yield",
	"sched_getaffinity", "uname", "sysinfo", "prlimit64", "getrlimit",
	"fsync", "fdatasync", "syncfs", "ftruncate", "fallocate", "unlink", "unlinkat",
	"rename", "renameat", "renameat2", "mkdir", "mkdirat", "rmdir",
	"readlink", "readlinkat", "getdents64", "access", "faccessat",
	"faccessat2", "fchmod", "chmod", "fchmodat", "umask", "flock", "restart_syscall",
	"recvmsg", "sendmsg", "recvfrom", "sendto", "recvmmsg", "sendmmsg",
	"shutdown", "getsockopt", "setsockopt", "getsockname", "getpeername",
	"accept", "accept4", "connect", "bind", "listen", "timerfd_create",
	"timerfd_settime", "timerfd_gettime", "signalfd4", "kill", "tgkill",
	"tkill", "getcwd", "fstatfs", "statfs", "membarrier", "sched_getparam",
	"sched_getscheduler", "sched_setscheduler", "getpriority",
	"setpriority", "utimensat", "fadvise64", "sync_file_range",
	"getitimer", "setitimer", "alarm", "pause", "wait4", "rt_sigtimedwait",
	"rt_sigsuspend", "mincore", "pkey_alloc", "pkey_free", "pkey_mprotect",
	"close_range", "copy_file_range", "sendfile", "splice", "futex_waitv",
};

static int
allow(scmp_filter_ctx ctx, const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0;	/* not on this architecture */
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
}

static int
allow_socket(scmp_filter_ctx ctx, int domain)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)domain));
}

static int
install_seccomp(const struct rp_conf *conf, unsigned kind, struct rp_buf *err)
{
	static const unsigned long ioctls[] = { TCGETS, TIOCGWINSZ, FIONREAD,
	    FIONBIO, FIOCLEX, FIONCLEX };
	static const int prctls[] = { PR_SET_NAME, PR_GET_NAME,
	    PR_GET_DUMPABLE, PR_SET_VMA, PR_CAPBSET_READ, PR_GET_SECUREBITS,
	    PR_GET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, PR_GET_PDEATHSIG };
	scmp_filter_ctx ctx;
	int r = 0;

	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL) {
		rp_buf_add_c(err, "seccomp: cannot initialise libseccomp");
		return RP_E_NOMEM;
	}
	/* Threads spread the filter to every thread there is already; a
	 * binary tree of syscall numbers keeps the check short (the common
	 * set is long). */
	r |= seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	r |= seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (size_t i = 0; i < RP_ARRAY_LEN(base_calls); i++)
		r |= allow(ctx, base_calls[i]);
	/* Threads only (no fork); clone3 cannot be filtered by its flags,
	 * so it says "not here" and the C library falls back to clone. */
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	for (size_t i = 0; i < RP_ARRAY_LEN(ioctls); i++)
		r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
		    SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)ioctls[i]));
	for (size_t i = 0; i < RP_ARRAY_LEN(prctls); i++)
		r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)prctls[i]));
	/* Sockets: unix everywhere; the network only for who needs it. */
	r |= allow_socket(ctx, AF_UNIX);
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	switch (kind) {
	case RP_KIND_WEB: case RP_KIND_IPS: case RP_KIND_CONSOLE:
		/* the core store on PostgreSQL: TCP sockets (landlock lets
		 * them connect to its port alone) */
		if (rp_store_url_port(conf->store) > 0) {
			r |= allow_socket(ctx, AF_INET);
			r |= allow_socket(ctx, AF_INET6);
			break;
		}
		/* FALLTHROUGH */
	case RP_KIND_VAULT: case RP_KIND_AUTH:
		/* No network socket — but libraries that merely probe
		 * (libmodsecurity reads a MAC address for its ids) get an
		 * error instead of a kill. */
		r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_INET));
		r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_INET6));
		break;
	case RP_KIND_ALOG: case RP_KIND_WITNESS: case RP_KIND_MAIL:
	case RP_KIND_PAYLINK: case RP_KIND_PAYSIM: case RP_KIND_GATE:
		r |= allow_socket(ctx, AF_INET);
		r |= allow_socket(ctx, AF_INET6);
		r |= allow_socket(ctx, AF_NETLINK);	/* getaddrinfo */
		break;
	case RP_KIND_NFT:
		r |= allow_socket(ctx, AF_NETLINK);
		r |= allow(ctx, "execve");	/* the helper binary, once */
		r |= allow(ctx, "capget");
		r |= allow(ctx, "arch_prctl");
		break;
	default:
		break;
	}
	if (r != 0) {
		rp_buf_add_c(err, "seccomp: cannot build the allowlist");
		seccomp_release(ctx);
		return RP_E_INVAL;
	}
	if ((r = seccomp_load(ctx)) != 0) {
		rp_buf_printf(err, "seccomp: cannot load the filter: %s",
		    strerror(-r));
		r = RP_E_IO;
	}
	seccomp_release(ctx);
	return r;
}

/* A trapped syscall: tell the parent which, then die of SIGSYS. */
static int report_fd = -1;

static void
on_sigsys(int sig, siginfo_t *si, void *uc)
{
	uint8_t frame[12];
	uint32_t v;

	(void)uc;
	v = 6;	/* RP_MSG_SANDBOX, little-endian frame: type, length, u32 */
	memcpy(frame, &v, 4);
	v = 4;
	memcpy(frame + 4, &v, 4);
	v = (uint32_t)si->si_syscall;
	memcpy(frame + 8, &v, 4);
	if (report_fd >= 0)
		(void)send(report_fd, frame, sizeof(frame), MSG_DONTWAIT);
	/* SA_RESETHAND: this raise, delivered when we return, kills. */
	(void)raise(sig);
}

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
    "the SIGSYS report frame is built little-endian");

const char *
rp_sandbox_syscall_name(unsigned nr)
{
	static char name[64];
	char *s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)nr);

	snprintf(name, sizeof(name), "%s", s ? s : "?");
	free(s);
	return name;
}

/* ---- the one entry ------------------------------------------------------- */

int
rp_sandbox_enter(const struct rp_conf *conf, unsigned kind, int fd,
    struct rp_buf *err)
{
	struct rlimit zero = { 0, 0 };
	struct sigaction sa;
	char exe[RP_CONF_PATH_MAX], *slash;
	ssize_t n;
	int r;

	assert(kind < RP_KIND_MAX && kind != RP_KIND_OPERATOR);
	/* The helper binary's folder, found before the data directory
	 * becomes the only place we see. */
	exe[0] = '\0';
	if (kind == RP_KIND_NFT &&
	    (n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
	}
	if (chdir(conf->data_dir) != 0) {
		rp_buf_printf(err, "cannot enter %s: %s", conf->data_dir,
		    strerror(errno));
		return RP_E_IO;
	}
	if (S.privileged && (r = drop_to(kind, err)) != 0)
		return r;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    setrlimit(RLIMIT_CORE, &zero) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		rp_buf_printf(err, "no_new_privs / core limit / dumpable: %s",
		    strerror(errno));
		return RP_E_DENIED;
	}
	if ((r = install_landlock(conf, kind, exe[0] ? exe : NULL, err)) != 0)
		return r;
	report_fd = fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	if (sigaction(SIGSYS, &sa, NULL) != 0) {
		rp_buf_printf(err, "sigaction SIGSYS: %s", strerror(errno));
		return RP_E_IO;
	}
	return install_seccomp(conf, kind, err);
}
