/* SPDX-License-Identifier: ISC */
/*
 * linkseal.h — "my order" links sealed to the mail sender.  A one-time
 * link opens a session on its order, so the web worker that asks for one
 * (to put it in a mail) must not read it: the identity holder makes the
 * link and seals it (libsodium's sealed box, X25519) to the mail sender's
 * public key; the worker queues the sealed text as the mail's
 * "link_sealed" parameter and only the mail sender opens it, checks that
 * it names the message's order, and writes the link into the mail.
 *
 * Keys: DATA/mail/link.key (the secret seed, rentport-mail 0600) and
 * DATA/keys/mail-link.pub (its public key, 0644), made by serve's parent.
 * Sealed: base64url of the box over "<order number>\n<url>".
 */
#ifndef RP_AUTH_LINKSEAL_H
#define RP_AUTH_LINKSEAL_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "util/errors.h"
#include "util/str.h"

#define RP_LINKSEAL_SEED	"mail/link.key"
#define RP_LINKSEAL_PUB		"keys/mail-link.pub"
#define RP_LINKSEAL_URL_MAX	600
#define RP_LINKSEAL_MAX		1000	/* base64 of the sealed box */

/* serve's parent as root: makes the seed if missing and the public key
 * beside it.  0 or an error. */
int rp_linkseal_prepare(const char *data_dir) RP_WARN_UNUSED;
/* The public key (the identity holder). */
int rp_linkseal_pub_load(const char *data_dir,
    uint8_t pk[crypto_box_PUBLICKEYBYTES]) RP_WARN_UNUSED;
/* The key pair (the mail sender); sk is wiped by the caller. */
int rp_linkseal_keys_load(const char *data_dir,
    uint8_t pk[crypto_box_PUBLICKEYBYTES],
    uint8_t sk[crypto_box_SECRETKEYBYTES]) RP_WARN_UNUSED;

/* Seals (order, url) to pk into out (NUL-terminated base64url).  0,
 * RP_E_INVAL (too long, a newline in either), RP_E_TOOBIG (cap). */
int rp_linkseal_seal(const uint8_t pk[crypto_box_PUBLICKEYBYTES],
    const char *order, const char *url, char *out, size_t cap)
    RP_WARN_UNUSED;
/* Opens in: 0 and order (≥ 33 bytes), url (≥ RP_LINKSEAL_URL_MAX + 1);
 * RP_E_DENIED for anything not sealed to this key. */
int rp_linkseal_open(const uint8_t pk[crypto_box_PUBLICKEYBYTES],
    const uint8_t sk[crypto_box_SECRETKEYBYTES], struct rp_str in,
    char *order, char *url) RP_WARN_UNUSED;

#endif
