/* SPDX-License-Identifier: ISC */
/*
 * mail_int.h — shared between the files of src/mail/ only: the outbox
 * handle and the validators outbox.c, render.c and send.c all use.
 */
#ifndef RP_MAIL_INT_H
#define RP_MAIL_INT_H

#include <jansson.h>
#include <sqlite3.h>

#include "mail/mail.h"

struct rp_mail_outbox {
	sqlite3 *db;		/* owned */
};

const char *rp_mail_state_name(enum rp_mail_state s);
/* Printable ASCII 0x21..0x7e, length in [min, max]; NULL is invalid. */
bool rp_mail_token_valid(const char *s, size_t min, size_t max);
/* Valid UTF-8 without C0 controls or DEL (so no CR, LF, TAB). */
bool rp_mail_text_valid(struct rp_str s);
/* 0 (and *out, owned: json_decref, if out is not NULL) if params is a
 * JSON object of template values; RP_E_INVAL / RP_E_TOOBIG. */
int rp_mail_params_check(struct rp_str params, json_t **out);

#endif
