/* SPDX-License-Identifier: ISC */
/*
 * decode.c — path and form decoders for the web workers (see decode.h).
 * Input is untrusted bytes from the network; every check here fails
 * closed, and the callers turn a failure into a 400 (or 413/414).
 */
#include "util/common.h"
#include "web/decode.h"

const struct rp_form_limits rp_form_limits_default = {
	.max_fields = 32,
	.max_key = 64,
	.max_value = 4096,
	.max_total = 16 * 1024,
};

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads the escape at s[i] ('%' then two hex digits) into *out. */
static int
unescape_at(struct rp_str s, size_t i, unsigned char *out)
{
	int hi, lo;

	if (s.n - i < 3)
		return RP_E_INVAL;
	hi = hexval((unsigned char)s.p[i + 1]);
	lo = hexval((unsigned char)s.p[i + 2]);
	if (hi < 0 || lo < 0)
		return RP_E_INVAL;
	*out = (unsigned char)(hi << 4 | lo);
	return 0;
}

/* RFC 3986 pchar minus '%' (handled separately) and minus '/'. */
static bool
is_pchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return strchr("-._~!$&'()*+,;=:@", c) != NULL && c != '\0';
}

static bool
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/*
 * Checks the segment just decoded at out->d[start..out->len): "." and ".."
 * are refused whether they arrived raw or encoded.
 */
static int
check_segment(const struct rp_buf *out, size_t start)
{
	size_t n = out->len - start;
	const char *p = out->d ? out->d + start : "";

	if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
		return RP_E_INVAL;
	return 0;
}

int
rp_path_decode(struct rp_str raw, struct rp_buf *out)
{
	size_t i, seg;
	int r;

	rp_buf_reset(out);
	if (raw.n == 0 || raw.p[0] != '/') {
		r = RP_E_INVAL;
		goto out;
	}
	if ((r = rp_buf_add_ch(out, '/')) != 0)
		goto out;
	seg = out->len;
	for (i = 1; i < raw.n; i++) {
		unsigned char c = (unsigned char)raw.p[i];

		if (c == '/') {
			/* An empty segment ("//") is a classic traversal or
			 * filter-bypass trick; only a trailing '/' is allowed. */
			if (out->len == seg) {
				r = RP_E_INVAL;
				goto out;
			}
			if ((r = check_segment(out, seg)) != 0)
				goto out;
			if ((r = rp_buf_add_ch(out, '/')) != 0)
				goto out;
			seg = out->len;
			continue;
		}
		if (c == '%') {
			if ((r = unescape_at(raw, i, &c)) != 0)
				goto out;
			if (c == '\0' || is_ctl(c) || c == '/' || c == '\\') {
				r = RP_E_INVAL;
				goto out;
			}
			i += 2;
		} else if (!is_pchar(c)) {
			r = RP_E_INVAL;
			goto out;
		}
		if ((r = rp_buf_add_ch(out, (char)c)) != 0)
			goto out;
	}
	if ((r = check_segment(out, seg)) != 0)
		goto out;
	if (!rp_utf8_valid(rp_buf_str(out)))
		r = RP_E_INVAL;
 out:
	if (r != 0)
		rp_buf_reset(out);
	return r;
}

void
rp_form_init(struct rp_form *f)
{
	f->n = 0;
	f->mem = NULL;
}

void
rp_form_release(struct rp_form *f)
{
	if (f == NULL)
		return;
	free(f->mem);
	rp_form_init(f);
}

/*
 * Decodes one key or value raw[0..n) into dst (which has room: decoding
 * never grows), NUL-terminates it and returns its length in *len.
 */
static int
decode_part(struct rp_str raw, bool is_key, size_t max, char *dst,
    size_t *len, bool keep_bad, bool *bad)
{
	size_t i, o = 0;

	*len = 0;
	for (i = 0; i < raw.n; i++) {
		unsigned char c = (unsigned char)raw.p[i];

		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (unescape_at(raw, i, &c) != 0)
				return RP_E_INVAL;
			i += 2;
			if (c == '\0' || (is_ctl(c) && (is_key ||
			    (c != '\t' && c != '\r' && c != '\n'))))
				return RP_E_INVAL;
		} else if (c < 0x21 || c > 0x7e)
			return RP_E_INVAL;
		if (o >= max)
			return RP_E_TOOBIG;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	if (!rp_utf8_valid((struct rp_str){ dst, o })) {
		if (is_key || !keep_bad)
			return RP_E_INVAL;
		/* kept as an empty value, flagged: the page names the field */
		memset(dst, 0, o);
		*bad = true;
		o = 0;
	}
	*len = o;
	return 0;
}

int
rp_form_decode(struct rp_str in, const struct rp_form_limits *lim,
    struct rp_form *form)
{
	struct rp_str rest = in, pair, key, value;
	size_t need, off = 0, klen, vlen, maxf;
	int r;

	rp_form_release(form);
	maxf = lim->max_fields < RP_FORM_MAX_FIELDS ? lim->max_fields :
	    RP_FORM_MAX_FIELDS;
	if (in.n > lim->max_total)
		return RP_E_TOOBIG;
	if (in.n == 0)
		return 0;
	/* Decoded text is never longer than its input, plus two NULs for
	 * each of at most maxf fields. */
	if ((r = rp_size_mul(maxf, 2, &need)) != 0 ||
	    (r = rp_size_add(need, in.n + 1, &need)) != 0)
		return r;
	if ((form->mem = malloc(need)) == NULL)
		return RP_E_NOMEM;
	while (rest.n > 0) {
		if (!rp_str_split(&rest, '&', &pair)) {
			pair = rest;
			rest.p += rest.n;
			rest.n = 0;
		}
		if (pair.n == 0)
			continue;
		/* "k=v": split leaves the part after '=' in the cursor. */
		value = pair;
		if (!rp_str_split(&value, '=', &key)) {
			key = pair;
			value = RP_STR_NULL;
		}
		if (key.n == 0) {
			r = RP_E_INVAL;
			goto out;
		}
		if (form->n >= maxf) {
			r = RP_E_TOOBIG;
			goto out;
		}
		form->f[form->n].bad_utf8 = false;
		if ((r = decode_part(key, true, lim->max_key, form->mem + off,
		    &klen, false, NULL)) != 0)
			goto out;
		if (klen == 0) {
			r = RP_E_INVAL;
			goto out;
		}
		form->f[form->n].key = (struct rp_str){ form->mem + off, klen };
		off += klen + 1;
		if ((r = decode_part(value, false, lim->max_value,
		    form->mem + off, &vlen, lim->keep_bad_utf8,
		    &form->f[form->n].bad_utf8)) != 0)
			goto out;
		form->f[form->n].value = (struct rp_str){ form->mem + off, vlen };
		off += vlen + 1;
		form->n++;
	}
	r = 0;
 out:
	if (r != 0)
		rp_form_release(form);
	return r;
}

int
rp_form_get(const struct rp_form *form, const char *key, struct rp_str *value)
{
	size_t i;

	*value = RP_STR_NULL;
	for (i = 0; i < form->n; i++) {
		if (rp_str_eq_c(form->f[i].key, key)) {
			*value = form->f[i].value;
			return 0;
		}
	}
	return RP_E_NOTFOUND;
}
