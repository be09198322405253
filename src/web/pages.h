/* SPDX-License-Identifier: ISC */
/*
 * pages.h — HTML pages of the web workers (for now the home page) and the
 * escaping helper every dynamic value goes through.  The full template
 * layer comes later; until then nothing a request sends is reflected,
 * and anything dynamic still passes through rp_html_escape.
 */
#ifndef RP_WEB_PAGES_H
#define RP_WEB_PAGES_H

#include "util/buf.h"
#include "util/str.h"

enum rp_lang { RP_LANG_JA, RP_LANG_EN };

/*
 * Appends s to out with &, <, >, " and ' replaced by character references,
 * safe in element content and quoted attribute values.  0 or out's error.
 */
int rp_html_escape(struct rp_buf *out, struct rp_str s);

/*
 * Picks the page language: the "lang" query parameter (ja|en) if given,
 * else the "lang" cookie value, else the first of ja/en in Accept-Language
 * (by order, ignoring q-values' fine points), else Japanese.  Any argument
 * may be empty.
 */
enum rp_lang rp_lang_pick(struct rp_str query_lang, struct rp_str cookie_lang,
    struct rp_str accept_language);

/* BCP 47 tag of lang ("ja", "en"). */
const char *rp_lang_tag(enum rp_lang lang);

/* Appends the home page in lang to out.  0 or out's error. */
int rp_page_home(enum rp_lang lang, struct rp_buf *out);

/* Appends a small error page (status and a short reason) to out. */
int rp_page_error(enum rp_lang lang, unsigned status, const char *reason,
    struct rp_buf *out);

#endif
