/* SPDX-License-Identifier: ISC */
/*
 * tmpl.h — the auto-escaping HTML template layer of the web workers.
 *
 * Templates are trusted code (src/web/templates/NAME.html, compiled into the
 * binary) parsed once at start-up; the values rendered into them are
 * untrusted.  There is no way to emit raw markup from a value: markup
 * comes only from template text.
 *
 * Syntax (a small Mustache):
 *   {{name}}           the value, escaped for where it stands
 *   {{a.b.c}}          dotted lookup: "a" in the current item, then in
 *                      each outer scope; then "b" inside it, ...
 *   {{#name}}…{{/name}} section: once per item of a list, once with an
 *                      object as scope, once if a scalar is true (bool
 *                      true or a non-empty string); else not at all
 *   {{^name}}…{{/name}} inverted: once if the section would not render
 *   {{t:key}}          the message key in the render's language (i18n.h),
 *                      escaped; the key must exist at parse time
 *   {{t=name}}         the message whose key is the value of name (e.g.
 *                      a field's error set by the route: "err.required");
 *                      a value that is no key renders nothing
 *   {{> name}}         another template of the same set ("layout" means
 *                      templates/layout.html); only in text context
 *   {{! comment }}     nothing (the comment ends at the first }})
 * Names are [A-Za-z0-9_] segments joined by '.'.  Anything else between
 * {{ and }} (including {{{raw}}}) is a parse error.
 *
 * Context-aware escaping, decided at parse time by an HTML scanner:
 *   text               & < > " ' as character references
 *   quoted attribute   the same plus `
 *   URL attribute      (href, src, action, formaction, poster, cite, data)
 *                      as an attribute, and a value at the start of the
 *                      attribute value that has a scheme other than http,
 *                      https or mailto, or starts with // or a backslash,
 *                      is replaced by "#"
 *   anywhere else      (tag name, between attributes, unquoted attribute,
 *                      comment, <script>, <style>, <textarea>/<title> are
 *                      fine as text) → parse error
 * A section must end in the context it started in.  Values are UTF-8:
 * invalid sequences and NUL become U+FFFD, never passed through.
 */
#ifndef RP_WEB_TMPL_H
#define RP_WEB_TMPL_H

#include <stdbool.h>

#include "util/buf.h"
#include "util/str.h"
#include "web/pages.h"		/* enum rp_lang */

#define RP_TMPL_MAX_TEMPLATES	64
#define RP_TMPL_MAX_SOURCE	(256 * 1024)	/* bytes per template */
#define RP_TMPL_MAX_NODES	4096		/* tags + text runs per template */
#define RP_TMPL_MAX_DEPTH	16		/* nested sections and partials */
#define RP_TMPL_MAX_NAME	64		/* bytes in a tag name or key */
#define RP_TMPL_VARS_DEFAULT	(256 * 1024)	/* default vars arena cap */

struct rp_tmpl_set;
struct rp_tmpl_vars;
struct rp_tmpl_scope;

/* --- template sets ---------------------------------------------------- */

/* An empty set (owned: caller frees with rp_tmpl_set_free), NULL on ENOMEM. */
struct rp_tmpl_set *rp_tmpl_set_new(void);
void rp_tmpl_set_free(struct rp_tmpl_set *set);	/* NULL-safe */

/*
 * Parses src (copied) as template name (e.g. "layout"; <= RP_TMPL_MAX_NAME
 * bytes of [a-z0-9_]).  0; RP_E_INVAL with "name:line: reason" appended to
 * err (may be NULL) for a syntax or context error, a duplicate name or a
 * {{t:key}} missing from the catalogue (so rp_i18n_init() must run first);
 * RP_E_TOOBIG past the RP_TMPL_MAX_* caps; RP_E_NOMEM.  The set is
 * unchanged on failure.
 */
int rp_tmpl_set_add(struct rp_tmpl_set *set, const char *name,
    struct rp_str src, struct rp_buf *err) RP_WARN_UNUSED;

/*
 * Resolves every {{> partial}} of the set: RP_E_INVAL with the first
 * missing or recursive partial named in err.  Rendering a set that has
 * not been checked fails with RP_E_STATE.
 */
int rp_tmpl_set_check(struct rp_tmpl_set *set, struct rp_buf *err)
    RP_WARN_UNUSED;

/*
 * Start-up (before threads): rp_i18n_init(), then parses every embedded
 * src/web/templates/<name>.html into the process-wide set and checks it.
 * Idempotent.  Errors as above (err names file and line).
 */
int rp_tmpl_init(struct rp_buf *err) RP_WARN_UNUSED;
/* The process-wide set (NULL before a successful rp_tmpl_init). */
const struct rp_tmpl_set *rp_tmpl_default(void);

/* --- values ----------------------------------------------------------- */

/*
 * A tree of values in one arena capped at max_bytes (0: the default).
 * Every setter copies its arguments.  Errors are sticky: the first
 * failure (RP_E_TOOBIG past the cap, RP_E_INVAL for a bad name, RP_E_NOMEM)
 * is returned by it and every later call, and rendering fails with it.
 * Owned: caller frees.  NULL on allocation failure.
 */
struct rp_tmpl_vars *rp_tmpl_vars_new(size_t max_bytes);
void rp_tmpl_vars_free(struct rp_tmpl_vars *v);	/* NULL-safe */
/* The top-level scope (borrowed from v). */
struct rp_tmpl_scope *rp_tmpl_root(struct rp_tmpl_vars *v);

/* Sets name (one segment) in scope to a string / bool, replacing it. */
int rp_tmpl_set(struct rp_tmpl_scope *s, const char *name, struct rp_str value);
int rp_tmpl_set_c(struct rp_tmpl_scope *s, const char *name, const char *value);
int rp_tmpl_set_bool(struct rp_tmpl_scope *s, const char *name, bool value);
int rp_tmpl_set_u64(struct rp_tmpl_scope *s, const char *name, uint64_t value);
/*
 * Appends an item to the list name (created, or replacing a scalar) and
 * gives its scope in *item (borrowed from the vars); *item is NULL on error.
 */
int rp_tmpl_push(struct rp_tmpl_scope *s, const char *name,
    struct rp_tmpl_scope **item);
/* Sets name to a (new, empty) object and gives its scope in *obj. */
int rp_tmpl_object(struct rp_tmpl_scope *s, const char *name,
    struct rp_tmpl_scope **obj);

/* --- rendering -------------------------------------------------------- */

/*
 * Renders template name of set with vars v (may be NULL: all missing) in
 * lang, appending to out.  A missing variable renders as nothing.  0, or
 * RP_E_NOTFOUND (no such template), RP_E_STATE (set not checked), v's
 * sticky error, or out's error (RP_E_TOOBIG past its max).  On failure
 * out may hold a partial page: discard it.
 */
int rp_tmpl_render(const struct rp_tmpl_set *set, const char *name,
    const struct rp_tmpl_vars *v, enum rp_lang lang, struct rp_buf *out)
    RP_WARN_UNUSED;

/*
 * Appends s to out escaped for element content (attr false) or a quoted
 * attribute (attr true, also escapes `), with invalid UTF-8 and NUL
 * replaced by U+FFFD.  0 or out's error.
 */
int rp_tmpl_escape(struct rp_buf *out, struct rp_str s, bool attr);
/* True if s is a URL the layer lets into an href/src/action (see above). */
bool rp_tmpl_url_ok(struct rp_str s);

/*
 * Sets the values the layout reads for lang: "lang" ("ja"/"en"), "is_ja",
 * "is_en".  0 or the vars' sticky error.
 */
int rp_tmpl_set_lang(struct rp_tmpl_scope *root, enum rp_lang lang);

/*
 * Renders the embedded error page (templates/error.html) for status in
 * lang into out, with home as the "back" link ("/" if NULL).  400, 403,
 * 404, 410, 413, 500 and 503 have their own texts; another 4xx reads as 404, 5xx
 * as 500.  Needs rp_tmpl_init().  0 or an error of rp_tmpl_render().
 */
int rp_tmpl_error_page(enum rp_lang lang, unsigned status, const char *home,
    struct rp_buf *out) RP_WARN_UNUSED;

/*
 * The same page for a request the WAF blocked (403): its own ja/en text
 * and request_id (the X-Request-Id) to quote to support.
 */
int rp_tmpl_waf_page(enum rp_lang lang, const char *request_id,
    const char *home, struct rp_buf *out) RP_WARN_UNUSED;

#endif
