/* SPDX-License-Identifier: ISC */
/*
 * i18n.c — the message catalogue (see i18n.h).  Runs in the web workers.
 * The catalogue files are ours (embedded at build time) but are still
 * parsed strictly so that a typo fails at start-up, not on a page.
 *
 * Format, one message per line:   key = text
 * '#' starts a comment line; blank lines are skipped; the key is
 * [a-z0-9_.]+; the text is everything after "= " up to the end of line
 * (may not be empty).  Entries are kept sorted by key for binary search.
 */
#include "util/common.h"
#include <ctype.h>
#include "util/embed.h"
#include "web/i18n.h"

struct entry {
	struct rp_str key;
	struct rp_str msg[RP_I18N_NLANG];
};

static struct entry cat[RP_I18N_MAX_KEYS];
static size_t ncat;
static bool loaded;

static const char *const files[RP_I18N_NLANG] = {
	[RP_LANG_JA] = "src/web/i18n/ja.txt",
	[RP_LANG_EN] = "src/web/i18n/en.txt",
};

static int
key_cmp(struct rp_str a, struct rp_str b)
{
	size_t n = a.n < b.n ? a.n : b.n;
	int c = n ? memcmp(a.p, b.p, n) : 0;

	if (c != 0)
		return c;
	return a.n < b.n ? -1 : a.n > b.n;
}

static bool
key_ok(struct rp_str k)
{
	size_t i;

	if (k.n == 0 || k.n > RP_I18N_MAX_KEY)
		return false;
	for (i = 0; i < k.n; i++) {
		char c = k.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* Index of key, or where it would go (with *found false). */
static size_t
find(struct rp_str key, bool *found)
{
	size_t lo = 0, hi = ncat, mid;
	int c;

	*found = false;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = key_cmp(key, cat[mid].key);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int
load(enum rp_lang lang, struct rp_buf *err)
{
	const struct rp_embed *e = rp_embed_find(files[lang]);
	struct rp_str rest, line, key, msg;
	size_t lineno = 0, at;
	bool found;

	if (e == NULL) {
		if (err)
			rp_buf_printf(err, "%s: not embedded", files[lang]);
		return RP_E_NOTFOUND;
	}
	rest = (struct rp_str){ e->data, e->len };
#define FAIL(why) do {							\
		if (err)						\
			rp_buf_printf(err, "%s:%zu: %s", files[lang],	\
			    lineno, (why));				\
		return RP_E_INVAL;					\
	} while (0)
	if (!rp_utf8_valid(rest))
		FAIL("invalid UTF-8");
	while (rest.n > 0) {
		lineno++;
		if (!rp_str_split(&rest, '\n', &line)) {
			line = rest;
			rest.n = 0;
		}
		if (line.n > 0 && line.p[line.n - 1] == '\r')
			FAIL("CR in line");
		if (rp_str_trim(line).n == 0 || line.p[0] == '#')
			continue;
		msg = line;
		if (!rp_str_split(&msg, '=', &key))
			FAIL("expected \"key = text\"");
		key = rp_str_trim(key);
		msg = rp_str_trim(msg);
		if (!key_ok(key))
			FAIL("bad key");
		if (msg.n == 0)
			FAIL("empty text");
		for (at = 0; at < msg.n; at++)
			if ((unsigned char)msg.p[at] < 0x20 ||
			    msg.p[at] == 0x7f)
				FAIL("control byte in text");
		at = find(key, &found);
		if (found) {
			if (cat[at].msg[lang].n != 0)
				FAIL("duplicate key");
			cat[at].msg[lang] = msg;
			continue;
		}
		if (ncat == RP_I18N_MAX_KEYS) {
			if (err)
				rp_buf_printf(err, "%s:%zu: too many keys",
				    files[lang], lineno);
			return RP_E_TOOBIG;
		}
		memmove(&cat[at + 1], &cat[at], (ncat - at) * sizeof(cat[0]));
		memset(&cat[at], 0, sizeof(cat[0]));
		cat[at].key = key;
		cat[at].msg[lang] = msg;
		ncat++;
	}
#undef FAIL
	return 0;
}

int
rp_i18n_init(struct rp_buf *err)
{
	size_t i;
	int l, r;

	if (loaded)
		return 0;
	ncat = 0;
	for (l = 0; l < RP_I18N_NLANG; l++)
		if ((r = load((enum rp_lang)l, err)) != 0)
			goto out;
	for (i = 0; i < ncat; i++)
		for (l = 0; l < RP_I18N_NLANG; l++)
			if (cat[i].msg[l].n == 0) {
				if (err)
					rp_buf_printf(err, "%s: missing key %.*s",
					    files[l], (int)cat[i].key.n,
					    cat[i].key.p);
				r = RP_E_INVAL;
				goto out;
			}
	loaded = true;
	r = 0;
 out:
	if (r != 0)
		ncat = 0;
	return r;
}

int
rp_i18n_get(enum rp_lang lang, struct rp_str key, struct rp_str *msg)
{
	bool found;
	size_t i;

	*msg = RP_STR_NULL;
	if (!loaded || (unsigned)lang >= RP_I18N_NLANG)
		return RP_E_NOTFOUND;
	i = find(key, &found);
	if (!found)
		return RP_E_NOTFOUND;
	*msg = cat[i].msg[lang];
	return 0;
}

struct rp_str
rp_i18n_str(enum rp_lang lang, const char *key)
{
	struct rp_str m;

	if (rp_i18n_get(lang, rp_str_c(key), &m) != 0)
		return rp_str_c(key);
	return m;
}

bool
rp_i18n_has(struct rp_str key)
{
	bool found;

	if (!loaded)
		return false;
	(void)find(key, &found);
	return found;
}

size_t
rp_i18n_count(void)
{
	return loaded ? ncat : 0;
}

struct rp_str
rp_i18n_key(size_t i)
{
	return loaded && i < ncat ? cat[i].key : RP_STR_NULL;
}

static bool
lang_of(struct rp_str s, enum rp_lang *lang)
{
	if (rp_str_case_eq_c(s, "ja")) {
		*lang = RP_LANG_JA;
		return true;
	}
	if (rp_str_case_eq_c(s, "en")) {
		*lang = RP_LANG_EN;
		return true;
	}
	return false;
}

/* "q=0.8" → 800; -1 if malformed.  Only 0, 1 and up to three decimals. */
static int
qvalue(struct rp_str s)
{
	int v, scale = 100;
	size_t i;

	if (s.n < 1 || (s.p[0] != '0' && s.p[0] != '1'))
		return -1;
	v = (s.p[0] - '0') * 1000;
	if (s.n == 1)
		return v;
	if (s.p[1] != '.' || s.n > 5)
		return -1;
	for (i = 2; i < s.n; i++, scale /= 10) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		v += (s.p[i] - '0') * scale;
	}
	return v > 1000 ? -1 : v;
}

enum rp_lang
rp_i18n_pick(struct rp_str query_lang, struct rp_str cookie_lang,
    struct rp_str accept_language)
{
	struct rp_str rest = accept_language, item, tag, param, name;
	enum rp_lang lang = RP_LANG_JA, best = RP_LANG_JA, l;
	int bestq = 0, q, count = 0;

	if (lang_of(query_lang, &lang) || lang_of(cookie_lang, &lang))
		return lang;
	while (rest.n > 0 && count++ < 32) {
		if (!rp_str_split(&rest, ',', &item)) {
			item = rest;
			rest.n = 0;
		}
		/* "en-US;q=0.8" → tag "en-US", params "q=0.8". */
		param = item;
		if (!rp_str_split(&param, ';', &tag)) {
			tag = item;
			param.n = 0;
		}
		tag = rp_str_trim(tag);
		q = 1000;
		if (param.n > 0) {
			param = rp_str_trim(param);
			if (!rp_str_split(&param, '=', &name) ||
			    !rp_str_case_eq_c(rp_str_trim(name), "q"))
				continue;
			if ((q = qvalue(rp_str_trim(param))) < 0)
				continue;
		}
		if (rp_str_eq_c(tag, "*"))
			l = RP_LANG_JA;
		else {
			name = tag;
			if (rp_str_split(&name, '-', &item))
				name = item;
			if (!lang_of(name, &l))
				continue;
		}
		if (q > bestq) {
			bestq = q;
			best = l;
		}
	}
	return bestq > 0 ? best : RP_LANG_JA;
}

struct rp_str
rp_i18n_name(enum rp_lang lang, const char *prefix, const char *code,
    const char *fallback)
{
	char key[96];
	struct rp_str m;
	size_t i, n;

	n = (size_t)snprintf(key, sizeof(key), "%s.%s", prefix, code);
	for (i = strlen(prefix); i < n && i < sizeof(key); i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	if (rp_i18n_get(lang, rp_str_c(key), &m) == 0)
		return m;
	return rp_str_c(fallback);
}
