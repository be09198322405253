/* SPDX-License-Identifier: ISC */
/*
 * render.c — turns a queued message into RFC 5322 text: the embedded ja/en
 * template (src/mail/templates/<kind>.<lang>.txt, first line "Subject: …",
 * a blank line, then the body) with its {{key}} filled from the message's
 * params and {{name}} from the vault record.  Runs in the mail sender.
 *
 * Nothing it is given is trusted to be header-safe: every value that goes
 * into a header is rejected if it holds a control character (so CR/LF can
 * never start a new header), names and the subject go out as RFC 2047
 * encoded-words folded under 78 columns, addresses must be plain
 * local@domain, and the body is base64.
 */
#include "util/common.h"

#include <sodium.h>

#include "mail/mail.h"
#include "mail/mail_int.h"
#include "util/embed.h"

static const char *const kinds[] = {
	"order_confirmed", "my_order_link", "order_changed", "order_cancelled",
};

bool
rp_mail_kind_valid(const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return true;
	return false;
}

bool
rp_mail_addr_valid(struct rp_str a)
{
	size_t at = SIZE_MAX;
	bool dot = false;

	if (a.n < 3 || a.n > RP_MAIL_ADDR_MAX)
		return false;
	for (size_t i = 0; i < a.n; i++) {
		unsigned char c = (unsigned char)a.p[i];

		if (c < 0x21 || c > 0x7e || strchr("\"<>()[],;:\\", c) != NULL)
			return false;
		if (c == '@') {
			if (at != SIZE_MAX)
				return false;
			at = i;
		} else if (c == '.' && at != SIZE_MAX)
			dot = true;
	}
	return at != SIZE_MAX && at > 0 && at + 1 < a.n && dot &&
	    a.p[at + 1] != '.' && a.p[a.n - 1] != '.';
}

/*
 * Appends s as RFC 2047 B encoded-words ("=?UTF-8?B?…?="), each of at most
 * 36 bytes of s cut at a character boundary, folded with CRLF SP between
 * words so that no line passes 78 columns.  Returns the length of the
 * last word (the column after it, less the header name on the first line).
 */
static size_t
add_encoded(struct rp_buf *b, struct rp_str s)
{
	char enc[64];
	size_t off = 0, last = 0;

	while (off < s.n) {
		size_t k = s.n - off > 36 ? 36 : s.n - off;

		/* Never split a UTF-8 sequence: back up over continuation bytes. */
		if (off + k < s.n)
			while (k > 1 && ((unsigned char)s.p[off + k] & 0xc0) == 0x80)
				k--;
		sodium_bin2base64(enc, sizeof(enc), (const unsigned char *)s.p + off,
		    k, sodium_base64_VARIANT_ORIGINAL);
		if (off > 0)
			rp_buf_add_c(b, "\r\n ");
		rp_buf_printf(b, "=?UTF-8?B?%s?=", enc);
		last = 12 + strlen(enc);
		off += k;
	}
	return last;
}

/*
 * "Name <addr>" header value with the name encoded, after a header name
 * of hlen bytes ("To: " is 4); folds before <addr> if it would pass 78.
 */
static void
add_mailbox(struct rp_buf *b, size_t hlen, struct rp_str name,
    struct rp_str addr)
{
	if (name.n > 0) {
		size_t last = add_encoded(b, name);
		size_t col = (name.n <= 36 ? hlen : 1) + last;

		rp_buf_add_c(b, col + 3 + addr.n <= 78 ? " " : "\r\n ");
	}
	rp_buf_add_ch(b, '<');
	rp_buf_add_str(b, addr);
	rp_buf_add_ch(b, '>');
}

/*
 * Copies tpl to out with each {{key}} replaced: "name" by name, others by
 * the params value (string or integer).  An unknown key, an unterminated
 * "{{" or a value of another type is RP_E_INVAL.
 */
static int
subst(struct rp_str tpl, json_t *params, struct rp_str name, struct rp_buf *out)
{
	size_t i = 0;

	while (i < tpl.n) {
		const char *o = memmem(tpl.p + i, tpl.n - i, "{{", 2);
		const char *c;
		char key[40];
		size_t kn;
		json_t *v;

		if (o == NULL) {
			rp_buf_add(out, tpl.p + i, tpl.n - i);
			break;
		}
		rp_buf_add(out, tpl.p + i, (size_t)(o - (tpl.p + i)));
		o += 2;
		c = memmem(o, tpl.n - (size_t)(o - tpl.p), "}}", 2);
		if (c == NULL || (kn = (size_t)(c - o)) == 0 || kn >= sizeof(key))
			return RP_E_INVAL;
		memcpy(key, o, kn);
		key[kn] = '\0';
		if (strcmp(key, "name") == 0)
			rp_buf_add_str(out, name);
		else if ((v = json_object_get(params, key)) == NULL)
			return RP_E_INVAL;
		else if (json_is_string(v))
			rp_buf_add(out, json_string_value(v), json_string_length(v));
		else if (json_is_integer(v))
			rp_buf_printf(out, "%lld", (long long)json_integer_value(v));
		else
			return RP_E_INVAL;
		i = (size_t)(c + 2 - tpl.p);
	}
	return out->err;
}

static void
add_date(struct rp_buf *b, int64_t now)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)now;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	rp_buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    wd[tm.tm_wday % 7], tm.tm_mday, mo[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The body: LF → CRLF, then base64 in 76-column lines. */
static int
add_body(struct rp_buf *out, struct rp_str body)
{
	struct rp_buf crlf;
	char enc[80];
	int r;

	rp_buf_init(&crlf, RP_MAIL_MSG_MAX);
	for (size_t i = 0; i < body.n; i++) {
		if (body.p[i] == '\r')
			continue;
		if (body.p[i] == '\n')
			rp_buf_add_ch(&crlf, '\r');
		rp_buf_add_ch(&crlf, body.p[i]);
	}
	if ((r = crlf.err) != 0)
		goto out;
	for (size_t off = 0; off < crlf.len; off += 57) {
		size_t k = crlf.len - off > 57 ? 57 : crlf.len - off;

		sodium_bin2base64(enc, sizeof(enc),
		    (const unsigned char *)crlf.d + off, k,
		    sodium_base64_VARIANT_ORIGINAL);
		rp_buf_add_c(out, enc);
		rp_buf_add_c(out, "\r\n");
	}
	r = out->err;
 out:
	if (crlf.d != NULL)
		sodium_memzero(crlf.d, crlf.cap);	/* holds the name */
	rp_buf_release(&crlf);
	return r;
}

int
rp_mail_render(const char *kind, const char *lang, struct rp_str params,
    struct rp_str from_name, struct rp_str from_addr, struct rp_str to_name,
    struct rp_str to_addr, uint64_t id, int64_t created_at, int64_t now,
    struct rp_buf *out)
{
	const struct rp_embed *e;
	json_t *pj = NULL;
	struct rp_buf subj, body;
	struct rp_str tpl, line, domain;
	char path[96];
	int r;

	rp_buf_init(&subj, 2048);
	rp_buf_init(&body, RP_MAIL_MSG_MAX / 2);
	if (kind == NULL || !rp_mail_kind_valid(kind) || lang == NULL ||
	    (strcmp(lang, "ja") != 0 && strcmp(lang, "en") != 0) ||
	    !rp_mail_addr_valid(from_addr) || !rp_mail_addr_valid(to_addr) ||
	    from_name.n > RP_MAIL_NAME_MAX || to_name.n > RP_MAIL_NAME_MAX ||
	    !rp_mail_text_valid(from_name) || !rp_mail_text_valid(to_name)) {
		r = RP_E_INVAL;
		goto out;
	}
	if ((r = rp_mail_params_check(params, &pj)) != 0)
		goto out;
	snprintf(path, sizeof(path), "src/mail/templates/%s.%s.txt", kind, lang);
	if ((e = rp_embed_find(path)) == NULL) {
		r = RP_E_NOTFOUND;
		goto out;
	}
	tpl = (struct rp_str){ e->data, e->len };
	if (!rp_str_split(&tpl, '\n', &line) ||
	    !rp_str_has_prefix(line, "Subject: ")) {
		r = RP_E_INVAL;
		goto out;
	}
	line.p += 9;
	line.n -= 9;
	if (tpl.n > 0 && tpl.p[0] == '\n') {	/* the blank line */
		tpl.p++;
		tpl.n--;
	}
	if ((r = subst(line, pj, to_name, &subj)) != 0 ||
	    (r = subst(tpl, pj, to_name, &body)) != 0)
		goto out;
	if (!rp_mail_text_valid(rp_buf_str(&subj))) {
		r = RP_E_INVAL;
		goto out;
	}
	domain = from_addr;
	while (domain.n > 0 && domain.p[0] != '@') {
		domain.p++;
		domain.n--;
	}
	domain.p++;
	domain.n--;

	rp_buf_add_c(out, "From: ");
	add_mailbox(out, 6, from_name, from_addr);
	rp_buf_add_c(out, "\r\nTo: ");
	add_mailbox(out, 4, to_name, to_addr);
	rp_buf_add_c(out, "\r\nSubject: ");
	add_encoded(out, rp_buf_str(&subj));
	rp_buf_add_c(out, "\r\n");
	add_date(out, now);
	rp_buf_printf(out, "Message-ID: <mail-%" PRIu64 ".%" PRId64 "@%.*s>\r\n",
	    id, created_at, (int)domain.n, domain.p);
	rp_buf_add_c(out, "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Auto-Submitted: auto-generated\r\n\r\n");
	if ((r = add_body(out, rp_buf_str(&body))) != 0)
		goto out;
	r = out->err;
 out:
	json_decref(pj);
	if (body.d != NULL)
		sodium_memzero(body.d, body.cap);
	rp_buf_release(&subj);
	rp_buf_release(&body);
	return r;
}
