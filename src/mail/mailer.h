/* SPDX-License-Identifier: ISC */
/*
 * mailer.h — the mailer process: a child of `rentport serve` that delivers
 * what the web workers queue in DATA/mail/outbox.db (mail.h).
 *
 * It holds no key and no personal data at rest: for each due message it
 * asks the vault for the recipient's name and address (role mailer,
 * purpose "mail" — the only role the vault lets this process use; the
 * vault knows it by the pid the parent registered, so it needs no token),
 * renders, delivers (.eml files or SMTP, conf mail_transport) and wipes.
 */
#ifndef RP_MAILER_H
#define RP_MAILER_H

#include "conf/conf.h"

/* RP_MSG_READY and PEER_REGISTER kind of the mailer (the numbering of
 * docs/access-log.md; = RP_VAULT_PEER_MAILER). */
#define RP_MAILER_KIND	5

/* Longest sleep between two looks at the outbox, in ms: what a message
 * queued by a web worker waits at most before the mailer sees it. */
#define RP_MAILER_POLL_MS	500

/*
 * The mailer's main loop.  parent_fd: its end of the socket pair (READY
 * {RP_MAILER_KIND, 1} once the outbox is open; STOP, SIGTERM or the
 * parent going away → exit 0; PING → PONG; anything else → exit 1), or -1
 * to run without a parent (stops on SIGTERM/SIGINT).  Opens the outbox,
 * connects to the vault (reconnecting with backoff when it is unavailable)
 * and delivers due messages, sleeping until the next is due but at most
 * RP_MAILER_POLL_MS.  Returns the exit status.
 */
int rp_mailer_main(const struct rp_conf *conf, int parent_fd);

#endif
