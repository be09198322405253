/* SPDX-License-Identifier: ISC */
/*
 * i18n.h — the ja/en message catalogue of the ordering sites and the
 * choice of a request's language.  The catalogue is trusted text compiled
 * into the binary (src/web/i18n/ja.txt and en.txt, "key = text" lines);
 * it is parsed once at start-up by rp_i18n_init() and read-only after.
 * Messages are plain text: whoever emits them escapes them (the template
 * layer, tmpl.h, always does).
 *
 * Language choice reads untrusted request data (query, cookie,
 * Accept-Language) and only ever maps it onto the fixed enum rp_lang.
 */
#ifndef RP_WEB_I18N_H
#define RP_WEB_I18N_H

#include <stdbool.h>

#include "util/buf.h"
#include "util/str.h"
#include "web/pages.h"		/* enum rp_lang */

#define RP_I18N_NLANG		2
#define RP_I18N_MAX_KEYS	512
#define RP_I18N_MAX_KEY		64	/* bytes in a key: [a-z0-9_.] */

/*
 * Parses the embedded catalogues (idempotent; not thread-safe: call it
 * before starting threads, e.g. from rp_tmpl_init()).  Fails with
 * RP_E_INVAL and "file:line: reason" in err (err may be NULL) on a
 * malformed line, a bad key, a duplicate key, invalid UTF-8, or a key
 * present in one language and missing in the other; RP_E_TOOBIG past
 * RP_I18N_MAX_KEYS; RP_E_NOTFOUND if a catalogue is not embedded.
 */
int rp_i18n_init(struct rp_buf *err) RP_WARN_UNUSED;

/*
 * The message for key in lang: 0 and *msg (static, valid for the life of
 * the process), or RP_E_NOTFOUND with *msg empty (also before init).
 */
int rp_i18n_get(enum rp_lang lang, struct rp_str key, struct rp_str *msg)
    RP_WARN_UNUSED;
/* The message, or the key itself when missing (never NULL; for logs/tests). */
struct rp_str rp_i18n_str(enum rp_lang lang, const char *key);
/*
 * A localised name of a catalogue entry or a state: the message
 * "prefix.code" (code lower-cased: "dest.us", "counter.nrt1",
 * "option.battery", "status.returned") in lang if the catalogue has it,
 * else fallback (the store's name, or the code itself).
 */
struct rp_str rp_i18n_name(enum rp_lang lang, const char *prefix,
    const char *code, const char *fallback);
/* True if key is in the catalogue. */
bool rp_i18n_has(struct rp_str key);
/* Number of keys, and the i-th key in sorted order (i < count). */
size_t rp_i18n_count(void);
struct rp_str rp_i18n_key(size_t i);

/*
 * The request's language: query_lang ("ja"/"en", from ?lang=) if valid,
 * else cookie_lang (the "lang" cookie) if valid, else the best of ja/en in
 * accept_language by q-value (ties: the earlier entry; "q=0" excludes;
 * "*" counts for ja; at most 32 entries are read, the rest is ignored;
 * malformed entries are skipped), else Japanese.  Any argument may be
 * empty.  Unlike rp_lang_pick() (pages.h) this honours q-values.
 */
enum rp_lang rp_i18n_pick(struct rp_str query_lang, struct rp_str cookie_lang,
    struct rp_str accept_language);

#endif
