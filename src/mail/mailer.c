/* SPDX-License-Identifier: ISC */
/*
 * mailer.c — the mailer process (see mailer.h): one loop that looks at the
 * outbox, delivers what is due through rp_mail_deliver_due with the vault
 * as the source of addresses, and otherwise waits on its parent socket, so
 * STOP and PING are answered within RP_MAILER_POLL_MS even when nothing is
 * due.
 *
 * The vault is a separate process that may restart: the connection is
 * watched (the vault never writes unprompted, so a readable socket means it
 * hung up) and remade with backoff.  While there is no connection nothing
 * is attempted, so messages are not deferred for a vault that is only
 * restarting.
 *
 * The operational log gets counts and message ids only (send.c logs each
 * message by id and order number); addresses and names never leave
 * rp_mail_deliver_due.
 */
#include "util/common.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/linkseal.h"
#include "mail/mail.h"
#include "mail/mailer.h"
#include "proc/child.h"
#include "util/log.h"
#include "vault/client.h"

#define VAULT_BACKOFF_MIN_MS	100
#define VAULT_BACKOFF_MAX_MS	5000
/* The shortest pause between two looks at the outbox that found work. */
#define RECHECK_MS		50
/* The vault starts beside the mailer: not being there yet at start-up is
 * normal and is only worth a warning after this long. */
#define START_GRACE_MS		5000

struct mailer {
	const struct rp_conf *conf;
	int parent_fd;
	struct rp_mail_outbox *ob;
	struct rp_vault_client *vc;
	uint64_t started_at;		/* monotonic ms */
	uint64_t vault_retry_at;	/* monotonic ms */
	unsigned vault_backoff;		/* ms; 0 after a success */
	bool vault_warned;		/* "unavailable" logged since then */
	bool vault_seen;		/* connected at least once */
	int last_err;			/* last delivery error logged */
	struct rp_mail_transport t;
	uint8_t link_pk[crypto_box_PUBLICKEYBYTES];
	uint8_t *link_sk;		/* sodium_malloc'd */
	char out_dir[RP_CONF_PATH_MAX + 16];
	uint8_t *rbuf;			/* RP_MSG_MAX_FRAME */
};

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int64_t
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
vault_backoff(struct mailer *m)
{
	m->vault_backoff = m->vault_backoff == 0 ? VAULT_BACKOFF_MIN_MS :
	    m->vault_backoff * 2;
	if (m->vault_backoff > VAULT_BACKOFF_MAX_MS)
		m->vault_backoff = VAULT_BACKOFF_MAX_MS;
	m->vault_retry_at = mono_ms() + m->vault_backoff;
}

static void
vault_drop(struct mailer *m, const char *why)
{
	rp_vault_client_close(m->vc);
	m->vc = NULL;
	if (!m->vault_warned) {
		rp_log_warn("mailer: %s; reconnecting", why);
		m->vault_warned = true;
	}
	vault_backoff(m);
}

static void
vault_connect(struct mailer *m)
{
	int r;

	/* No token: the vault knows this pid from the parent's PEER_REGISTER
	 * and lets it use role mailer, and nothing else. */
	if ((r = rp_vault_client_connect(m->conf->data_dir, NULL, &m->vc)) != 0) {
		m->vc = NULL;
		if (!m->vault_warned && (m->vault_seen ||
		    mono_ms() - m->started_at >= START_GRACE_MS)) {
			rp_log_warn("mailer: vault unavailable (%s); retrying",
			    rp_strerror(r));
			m->vault_warned = true;
		}
		vault_backoff(m);
		return;
	}
	rp_log_info("mailer: connected to the vault");
	m->vault_seen = true;
	m->vault_warned = false;
	m->vault_backoff = 0;
}

/* ms from now until unix second when (at least RECHECK_MS, at most
 * RP_MAILER_POLL_MS). */
static int
wait_until(int64_t when)
{
	int64_t due_ms, now_ms = real_ms();

	if (when > INT64_MAX / 1000)
		return RP_MAILER_POLL_MS;
	due_ms = when < 0 ? 0 : when * 1000;
	if (due_ms <= now_ms)
		return RECHECK_MS;
	if (due_ms - now_ms >= RP_MAILER_POLL_MS)
		return RP_MAILER_POLL_MS;
	return (int)(due_ms - now_ms);
}

static void
db_error(struct mailer *m, int r)
{
	/* Logged once per kind of failure, not twice a second. */
	if (r != m->last_err)
		rp_log_error("mailer: outbox: %s", rp_strerror(r));
	m->last_err = r;
}

/*
 * Delivers one batch if anything is due; returns how long to wait before
 * the next look, in ms (0: a full batch went out, more may be due).
 */
static int
deliver(struct mailer *m)
{
	struct rp_mail_stats st;
	int64_t now = (int64_t)time(NULL), when;
	int r;

	/* A cheap look first: deliver_due sets up a batch (and locked
	 * memory for the recipient) even when nothing is due. */
	if ((r = rp_mail_next_due(m->ob, &when)) == RP_E_NOTFOUND) {
		m->last_err = 0;
		return RP_MAILER_POLL_MS;
	}
	if (r != 0) {
		db_error(m, r);
		return RP_MAILER_POLL_MS;
	}
	if (when > now)
		return wait_until(when);
	if ((r = rp_mail_deliver_due(m->ob, rp_mail_vault_fetch, m->vc, &m->t,
	    now, &st)) != 0) {
		db_error(m, r);
		return RP_MAILER_POLL_MS;
	}
	m->last_err = 0;
	if (st.sent > 0 || st.retried > 0 || st.dead > 0)
		rp_log_info("mailer: sent %u, retried %u, dead %u", st.sent,
		    st.retried, st.dead);
	if (st.deferred > 0) {
		/* The vault hung up or cannot log: reconnect before trying
		 * the others (send.c deferred the message it was on). */
		vault_drop(m, "vault unavailable");
		return RP_MAILER_POLL_MS;
	}
	if (st.sent + st.retried + st.dead >= RP_MAIL_BATCH)
		return 0;
	/* Whatever is still due was queued meanwhile: look again soon, but
	 * never spin on a message that cannot move. */
	return RECHECK_MS;
}

/* Reads what the parent sent: 1 to go on, 0 to stop cleanly, -1 on error. */
static int
parent_input(struct mailer *m)
{
	int r;

	for (;;) {
		r = rp_child_recv(m->parent_fd, m->rbuf, NULL, "mailer");
		if (r == RP_CHILD_NONE)
			return 1;
		if (r == RP_CHILD_DONE)
			continue;
		if (r == RP_CHILD_STOP || r == RP_E_CLOSED)
			return 0;
		return -1;
	}
}

static int
setup(struct mailer *m)
{
	const struct rp_conf *c = m->conf;
	int r, n;

	if ((r = rp_mail_outbox_open(c->data_dir, &m->ob)) != 0) {
		rp_log_error("mailer: cannot open the outbox in %s/mail: %s",
		    c->data_dir, rp_strerror(r));
		return r;
	}
	n = snprintf(m->out_dir, sizeof(m->out_dir), "%s/mail/out", c->data_dir);
	if (n < 0 || (size_t)n >= sizeof(m->out_dir))
		return RP_E_TOOBIG;
	memset(&m->t, 0, sizeof(m->t));
	if (c->mail_transport == RP_CONF_MAIL_SMTP) {
		m->t.kind = RP_MAIL_T_SMTP;
		m->t.smtp_url = c->smtp_url;
	} else {
		/* Messages hold names and addresses: owner only. */
		if (mkdir(m->out_dir, 0700) != 0 && errno != EEXIST) {
			rp_log_error("mailer: cannot create %s: %s", m->out_dir,
			    strerror(errno));
			return RP_E_IO;
		}
		m->t.kind = RP_MAIL_T_EML;
		m->t.out_dir = m->out_dir;
	}
	m->t.from_name = c->mail_from_name;
	m->t.from_addr = c->mail_from;
	m->t.max_attempts = c->mail_max_attempts;
	m->t.backoff_base_s = c->mail_backoff_base_s;
	/* the links the identity holder seals to this sender */
	if ((m->link_sk = sodium_malloc(crypto_box_SECRETKEYBYTES)) != NULL &&
	    rp_linkseal_keys_load(c->data_dir, m->link_pk, m->link_sk) == 0) {
		m->t.link_pk = m->link_pk;
		m->t.link_sk = m->link_sk;
	} else
		rp_log_warn("mailer: no %s: mails with a \"my order\" link "
		    "cannot be sent", RP_LINKSEAL_SEED);
	return 0;
}

int
rp_mailer_main(const struct rp_conf *conf, int parent_fd)
{
	struct mailer *m;
	struct sigaction sa;
	struct pollfd pfd[2];
	int status = 1, timeout, r;
	nfds_t n;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return 1;
	m->conf = conf;
	m->parent_fd = parent_fd;
	m->started_at = mono_ms();
	/* No SA_RESTART: a signal ends the poll at once. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if ((m->rbuf = malloc(RP_MSG_MAX_FRAME)) == NULL)
		goto out;
	if (parent_fd >= 0 && fcntl(parent_fd, F_SETFL, O_NONBLOCK) != 0)
		goto out;
	if (setup(m) != 0)
		goto out;
	if (parent_fd >= 0 && (r = rp_child_ready(parent_fd, RP_MAILER_KIND,
	    1)) != 0) {
		rp_log_error("mailer: READY not sent: %s", rp_strerror(r));
		goto out;
	}
	rp_log_info("mailer: delivering by %s, at most %u attempts",
	    m->t.kind == RP_MAIL_T_SMTP ? "smtp" : "eml",
	    conf->mail_max_attempts);

	while (!got_signal) {
		if (m->vc == NULL && mono_ms() >= m->vault_retry_at)
			vault_connect(m);
		if (m->vc != NULL)
			timeout = deliver(m);
		else {
			uint64_t now = mono_ms();

			timeout = m->vault_retry_at <= now ? 0 :
			    (int)(m->vault_retry_at - now);
			if (timeout > RP_MAILER_POLL_MS)
				timeout = RP_MAILER_POLL_MS;
		}
		n = 0;
		if (parent_fd >= 0) {
			pfd[n].fd = parent_fd;
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
		}
		if (m->vc != NULL) {
			pfd[n].fd = rp_vault_client_fd(m->vc);
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
		}
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			rp_log_error("mailer: poll: %s", strerror(errno));
			goto out;
		}
		if (parent_fd >= 0 &&
		    (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if ((r = parent_input(m)) == 0)
				break;
			if (r < 0)
				goto out;
		}
		if (m->vc != NULL && n > 0 &&
		    (pfd[n - 1].revents & (POLLIN | POLLHUP | POLLERR)))
			vault_drop(m, "the vault closed the connection");
	}
	rp_log_info("mailer: stopping");
	status = 0;
 out:
	rp_vault_client_close(m->vc);
	rp_mail_outbox_close(m->ob);
	free(m->rbuf);
	if (m->link_sk != NULL)
		sodium_free(m->link_sk);	/* wiped first */
	free(m);
	return status;
}
