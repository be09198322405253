/* SPDX-License-Identifier: ISC */
/*
 * tmpl.c — the auto-escaping template layer (see tmpl.h).  Runs in the
 * web workers.  Templates are trusted but parsed strictly, once, at
 * start-up; values are untrusted and reach the output only through the
 * escapers below, chosen per tag by an HTML scanner at parse time, so
 * the rendering loop never has to guess where it is.
 */
#include "util/common.h"
#include "util/embed.h"
#include "web/i18n.h"
#include "web/tmpl.h"

/* ---------------------------------------------------------------------
 * Parsed form
 */

enum ntype { N_TEXT, N_VAR, N_TRANS, N_TRANSVAR, N_SECTION, N_INVERTED, N_END, N_PARTIAL };
enum ctx { C_TEXT, C_ATTR, C_URL };

struct node {
	enum ntype type;
	struct rp_str s;	/* text, name, key or partial name (in src) */
	enum ctx ctx;
	bool url_start;		/* C_URL: value starts the attribute value */
	size_t end;		/* sections: index of the matching N_END */
	size_t partial;		/* N_PARTIAL: template index, after check */
};

struct tmpl {
	char name[RP_TMPL_MAX_NAME + 1];
	char *src;		/* owned copy of the source */
	struct node *nodes;	/* owned */
	size_t nn;
};

struct rp_tmpl_set {
	struct tmpl t[RP_TMPL_MAX_TEMPLATES];
	size_t n;
	bool checked;
};

/* HTML scanner states over template text. */
enum hstate {
	H_TEXT, H_TAGOPEN, H_TAGNAME, H_INTAG, H_ATTRNAME, H_AFTERNAME,
	H_BEFOREVAL, H_DQ, H_SQ, H_UNQ, H_BANG, H_COMMENT, H_RAW
};

struct hscan {
	enum hstate st;
	char tag[16];
	size_t tagn;
	char attr[16];
	size_t attrn;
	bool closing;		/* </tag */
	bool val_lit;		/* literal bytes seen in this attribute value */
	int raw;		/* in <script> (1) or <style> (2) */
	int bang;		/* bytes seen after "<!" */
	int dashes;		/* consecutive '-' in a comment */
	bool need_boundary;	/* a section tag stands inside a tag or attribute name */
	bool glued;		/* ... and a name character followed it */
};

static bool
lower_eq(const char *a, size_t an, const char *b)
{
	return an == strlen(b) && memcmp(a, b, an) == 0;
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
url_attr(const struct hscan *h)
{
	static const char *const names[] = { "href", "src", "action",
	    "formaction", "poster", "cite", "data", "srcset", "xlink:href" };
	size_t i;

	for (i = 0; i < RP_ARRAY_LEN(names); i++)
		if (lower_eq(h->attr, h->attrn, names[i]))
			return true;
	return false;
}

static void
end_tag(struct hscan *h)
{
	if (!h->closing && lower_eq(h->tag, h->tagn, "script"))
		h->raw = 1;
	else if (!h->closing && lower_eq(h->tag, h->tagn, "style"))
		h->raw = 2;
	else
		h->raw = 0;
	h->st = h->raw ? H_RAW : H_TEXT;
}

static bool
prefix_ci(const char *p, size_t n, const char *lit)
{
	size_t i, ln = strlen(lit);

	if (n < ln)
		return false;
	for (i = 0; i < ln; i++)
		if (lower(p[i]) != lit[i])
			return false;
	return true;
}

/* Feeds literal template text to the scanner. */
static void
scan(struct hscan *h, const char *p, size_t n)
{
	size_t i, k;
	char c;

	if (n > 0 && h->need_boundary) {
		h->need_boundary = false;
		if (!is_space(p[0]) && p[0] != '/' && p[0] != '>' && p[0] != '=')
			h->glued = true;
	}
	for (i = 0; i < n; i++) {
		c = p[i];
		switch (h->st) {
		case H_TEXT:
			if (c == '<') {
				h->st = H_TAGOPEN;
				h->closing = false;
				h->tagn = 0;
			}
			break;
		case H_TAGOPEN:
			if (c == '/' && !h->closing)
				h->closing = true;
			else if (c == '!' && !h->closing) {
				h->st = H_BANG;
				h->bang = 0;
			} else if (c == '?' && !h->closing) {
				h->st = H_BANG;
				h->bang = 2;
			} else if (is_alpha(c)) {
				h->st = H_TAGNAME;
				h->tag[0] = lower(c);
				h->tagn = 1;
			} else
				h->st = H_TEXT;
			break;
		case H_TAGNAME:
			if (is_space(c) || c == '/')
				h->st = H_INTAG;
			else if (c == '>')
				end_tag(h);
			else if (h->tagn < sizeof(h->tag))
				h->tag[h->tagn++] = lower(c);
			break;
		case H_INTAG:
		case H_AFTERNAME:
			if (c == '>')
				end_tag(h);
			else if (c == '=' && h->st == H_AFTERNAME)
				h->st = H_BEFOREVAL;
			else if (is_space(c) || c == '/') {
				if (c == '/')
					h->st = H_INTAG;
			} else {
				h->st = H_ATTRNAME;
				h->attr[0] = lower(c);
				h->attrn = 1;
			}
			break;
		case H_ATTRNAME:
			if (is_space(c))
				h->st = H_AFTERNAME;
			else if (c == '=')
				h->st = H_BEFOREVAL;
			else if (c == '>')
				end_tag(h);
			else if (c == '/')
				h->st = H_INTAG;
			else if (h->attrn < sizeof(h->attr))
				h->attr[h->attrn++] = lower(c);
			else
				h->attrn = sizeof(h->attr) + 1;	/* too long: matches nothing */
			break;
		case H_BEFOREVAL:
			h->val_lit = false;
			if (c == '"')
				h->st = H_DQ;
			else if (c == '\'')
				h->st = H_SQ;
			else if (c == '>')
				end_tag(h);
			else if (!is_space(c))
				h->st = H_UNQ;
			break;
		case H_DQ:
		case H_SQ:
			if (c == (h->st == H_DQ ? '"' : '\''))
				h->st = H_INTAG;
			else if ((unsigned char)c > 0x20)
				/* Browsers strip leading C0 and spaces from URLs. */
				h->val_lit = true;
			break;
		case H_UNQ:
			if (is_space(c))
				h->st = H_INTAG;
			else if (c == '>')
				end_tag(h);
			break;
		case H_BANG:
			if (h->bang < 2 && c == '-') {
				if (++h->bang == 2) {
					h->st = H_COMMENT;
					h->dashes = 0;
				}
			} else if (c == '>')
				h->st = H_TEXT;
			else
				h->bang = 2;
			break;
		case H_COMMENT:
			if (c == '>' && h->dashes >= 2)
				h->st = H_TEXT;
			h->dashes = c == '-' ? h->dashes + 1 : 0;
			break;
		case H_RAW:
			/* An end tag only if the name ends there (HTML). */
			k = h->raw == 1 ? 8 : 7;
			if (c == '<' && prefix_ci(p + i, n - i,
			    h->raw == 1 ? "</script" : "</style") &&
			    i + k < n && (is_space(p[i + k]) ||
			    p[i + k] == '/' || p[i + k] == '>')) {
				i += h->raw == 1 ? 7 : 6;
				h->st = H_TAGNAME;
				h->closing = true;
				memcpy(h->tag, h->raw == 1 ? "script" : "style",
				    h->raw == 1 ? 6 : 5);
				h->tagn = h->raw == 1 ? 6 : 5;
			}
			break;
		}
	}
}

static bool
in_tag(enum hstate st)
{
	return st == H_TAGNAME || st == H_INTAG || st == H_ATTRNAME ||
	    st == H_AFTERNAME;
}

/*
 * A section must leave the scanner where it found it, so that the text
 * after it is read the same whether or not the section rendered.  Inside
 * a tag, adding or dropping whole attributes is fine ({{#sel}} selected
 * {{/sel}}): the states between attributes count as one, the tag name
 * must not change, and boundary() makes sure no name is glued together.
 */
static bool
same_ctx(const struct hscan *a, const struct hscan *b)
{
	if (in_tag(a->st) && in_tag(b->st))
		return a->raw == b->raw && a->tagn == b->tagn &&
		    memcmp(a->tag, b->tag, a->tagn < sizeof(a->tag) ?
		    a->tagn : sizeof(a->tag)) == 0;
	if (a->st != b->st || a->raw != b->raw)
		return false;
	if (a->st == H_DQ || a->st == H_SQ)
		return a->attrn == b->attrn &&
		    memcmp(a->attr, b->attr, a->attrn < sizeof(a->attr) ?
		    a->attrn : sizeof(a->attr)) == 0 && a->val_lit == b->val_lit;
	return true;
}

/* Where a value may go: 0 and *ctx, or the reason it may not. */
static const char *
value_ctx(const struct hscan *h, enum ctx *ctx, bool *url_start)
{
	*url_start = false;
	switch (h->st) {
	case H_TEXT:
		*ctx = C_TEXT;
		return NULL;
	case H_DQ:
	case H_SQ:
		if (h->attrn > sizeof(h->attr) ||
		    (h->attrn >= 2 && h->attr[0] == 'o' && h->attr[1] == 'n') ||
		    lower_eq(h->attr, h->attrn, "style") ||
		    lower_eq(h->attr, h->attrn, "srcdoc"))
			return "value in an event, style or srcdoc attribute";
		if (url_attr(h)) {
			*ctx = C_URL;
			*url_start = !h->val_lit;
		} else
			*ctx = C_ATTR;
		return NULL;
	case H_UNQ:
	case H_BEFOREVAL:
		return "value in an unquoted attribute";
	case H_RAW:
		return "value inside <script> or <style>";
	case H_BANG:
	case H_COMMENT:
		return "value inside a comment or declaration";
	default:
		return "value inside a tag outside a quoted attribute";
	}
}

static bool
name_ok(struct rp_str s, bool dots, bool lower_only)
{
	size_t i;
	char c;

	if (s.n == 0 || s.n > RP_TMPL_MAX_NAME)
		return false;
	for (i = 0; i < s.n; i++) {
		c = s.p[i];
		if (c == '.' && dots) {
			if (i == 0 || i + 1 == s.n || s.p[i - 1] == '.')
				return false;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || (!lower_only && c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

static void
tmpl_release(struct tmpl *t)
{
	free(t->src);
	free(t->nodes);
	memset(t, 0, sizeof(*t));
}

static int
add_node(struct tmpl *t, size_t *cap, const struct node *nd)
{
	struct node *nn;
	size_t ncap, bytes;

	if (t->nn == RP_TMPL_MAX_NODES)
		return RP_E_TOOBIG;
	if (t->nn == *cap) {
		ncap = *cap ? *cap * 2 : 32;
		if (ncap > RP_TMPL_MAX_NODES)
			ncap = RP_TMPL_MAX_NODES;
		if (rp_size_mul(ncap, sizeof(*nn), &bytes) != 0 ||
		    (nn = realloc(t->nodes, bytes)) == NULL)
			return RP_E_NOMEM;
		t->nodes = nn;
		*cap = ncap;
	}
	t->nodes[t->nn++] = *nd;
	return 0;
}

static int
parse(struct tmpl *t, const char *label, struct rp_buf *err)
{
	struct hscan h, stack_h[RP_TMPL_MAX_DEPTH];
	size_t stack_i[RP_TMPL_MAX_DEPTH], depth = 0, cap = 0, line = 1;
	const char *p = t->src, *end = t->src + strlen(t->src);
	const char *open, *close, *why = NULL;
	struct rp_str in;
	struct node nd;
	int r = 0;

	memset(&h, 0, sizeof(h));
#define FAIL(code, reason) do { r = (code); why = (reason); goto out; } while (0)
	while (p < end) {
		open = memmem(p, (size_t)(end - p), "{{", 2);
		if (open == NULL)
			open = end;
		if (open > p) {
			memset(&nd, 0, sizeof(nd));
			nd.type = N_TEXT;
			nd.s = (struct rp_str){ p, (size_t)(open - p) };
			scan(&h, p, nd.s.n);
			if (h.glued)
				FAIL(RP_E_INVAL, "section glued to a tag or attribute name");
			for (; p < open; p++)
				line += *p == '\n';
			if ((r = add_node(t, &cap, &nd)) != 0)
				FAIL(r, r == RP_E_NOMEM ? "out of memory" :
				    "too many nodes");
		}
		if (open == end)
			break;
		close = memmem(open + 2, (size_t)(end - open - 2), "}}", 2);
		if (close == NULL)
			FAIL(RP_E_INVAL, "unclosed {{");
		in = (struct rp_str){ open + 2, (size_t)(close - open - 2) };
		memset(&nd, 0, sizeof(nd));
		if (in.n > 0 && in.p[0] == '{')
			FAIL(RP_E_INVAL, "raw output {{{...}}} is not supported");
		if (memchr(in.p, '\n', in.n) != NULL && !(in.n && in.p[0] == '!'))
			FAIL(RP_E_INVAL, "newline inside a tag");
		if (in.n > 0 && in.p[0] == '!') {
			for (; p < close; p++)
				line += *p == '\n';
			p = close + 2;
			continue;
		}
		if (in.n > 0 && (in.p[0] == '#' || in.p[0] == '^' ||
		    in.p[0] == '/' || in.p[0] == '>')) {
			char sig = in.p[0];

			if (sig != '>' && (h.st == H_TAGNAME || h.st == H_ATTRNAME))
				h.need_boundary = true;

			in.p++;
			in.n--;
			in = rp_str_trim(in);
			if (sig == '>') {
				if (!name_ok(in, false, true))
					FAIL(RP_E_INVAL, "bad partial name");
				if (h.st != H_TEXT)
					FAIL(RP_E_INVAL, "partial outside text");
				nd.type = N_PARTIAL;
			} else if (!name_ok(in, true, false))
				FAIL(RP_E_INVAL, "bad section name");
			else if (sig == '/') {
				if (depth == 0)
					FAIL(RP_E_INVAL, "{{/...}} without a section");
				depth--;
				if (!rp_str_eq(t->nodes[stack_i[depth]].s, in))
					FAIL(RP_E_INVAL, "section closed by another name");
				if (!same_ctx(&stack_h[depth], &h))
					FAIL(RP_E_INVAL, "section ends in another HTML context");
				t->nodes[stack_i[depth]].end = t->nn;
				nd.type = N_END;
			} else {
				if (depth == RP_TMPL_MAX_DEPTH)
					FAIL(RP_E_TOOBIG, "sections nested too deep");
				stack_h[depth] = h;
				stack_i[depth++] = t->nn;
				nd.type = sig == '#' ? N_SECTION : N_INVERTED;
			}
		} else {
			in = rp_str_trim(in);
			if (in.n >= 2 && in.p[0] == 't' && in.p[1] == '=') {
				in.p += 2;
				in.n -= 2;
				in = rp_str_trim(in);
				if (!name_ok(in, true, false))
					FAIL(RP_E_INVAL, "bad name after t=");
				nd.type = N_TRANSVAR;
			} else if (in.n >= 2 && in.p[0] == 't' && in.p[1] == ':') {
				in.p += 2;
				in.n -= 2;
				in = rp_str_trim(in);
				if (!rp_i18n_has(in))
					FAIL(RP_E_INVAL, "unknown message key");
				nd.type = N_TRANS;
			} else if (!name_ok(in, true, false))
				FAIL(RP_E_INVAL, "unknown tag");
			else
				nd.type = N_VAR;
			if ((why = value_ctx(&h, &nd.ctx, &nd.url_start)) != NULL)
				FAIL(RP_E_INVAL, why);
		}
		nd.s = in;
		if ((r = add_node(t, &cap, &nd)) != 0)
			FAIL(r, r == RP_E_NOMEM ? "out of memory" : "too many nodes");
		p = close + 2;
	}
	if (depth > 0)
		FAIL(RP_E_INVAL, "unclosed section");
	if (h.st != H_TEXT)
		FAIL(RP_E_INVAL, "template ends inside a tag, comment or script");
#undef FAIL
 out:
	if (r != 0 && err != NULL)
		rp_buf_printf(err, "%s:%zu: %s", label, line,
		    why ? why : rp_strerror(r));
	return r;
}

struct rp_tmpl_set *
rp_tmpl_set_new(void)
{
	return calloc(1, sizeof(struct rp_tmpl_set));
}

void
rp_tmpl_set_free(struct rp_tmpl_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		tmpl_release(&set->t[i]);
	free(set);
}

static int
set_add(struct rp_tmpl_set *set, const char *name, struct rp_str src,
    const char *label, struct rp_buf *err)
{
	struct tmpl t;
	size_t i;
	int r;

	memset(&t, 0, sizeof(t));
	if (!name_ok(rp_str_c(name), false, true)) {
		r = RP_E_INVAL;
		if (err)
			rp_buf_printf(err, "%s: bad template name", label);
		goto out;
	}
	for (i = 0; i < set->n; i++)
		if (strcmp(set->t[i].name, name) == 0) {
			r = RP_E_INVAL;
			if (err)
				rp_buf_printf(err, "%s: duplicate template", label);
			goto out;
		}
	if (set->n == RP_TMPL_MAX_TEMPLATES || src.n > RP_TMPL_MAX_SOURCE) {
		r = RP_E_TOOBIG;
		if (err)
			rp_buf_printf(err, "%s: too many or too large", label);
		goto out;
	}
	if (memchr(src.p, '\0', src.n) != NULL || !rp_utf8_valid(src)) {
		r = RP_E_INVAL;
		if (err)
			rp_buf_printf(err, "%s: NUL or invalid UTF-8", label);
		goto out;
	}
	snprintf(t.name, sizeof(t.name), "%s", name);
	if ((t.src = rp_str_dup(src)) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	if ((r = parse(&t, label, err)) != 0)
		goto out;
	set->t[set->n++] = t;
	memset(&t, 0, sizeof(t));	/* transferred */
	set->checked = false;
 out:
	tmpl_release(&t);
	return r;
}

int
rp_tmpl_set_add(struct rp_tmpl_set *set, const char *name, struct rp_str src,
    struct rp_buf *err)
{
	return set_add(set, name, src, name, err);
}

static ssize_t
find_tmpl(const struct rp_tmpl_set *set, struct rp_str name)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (rp_str_eq_c(name, set->t[i].name))
			return (ssize_t)i;
	return -1;
}

/* Depth-first walk over partials: colour 1 = on the path, 2 = done. */
static int
check_tmpl(struct rp_tmpl_set *set, size_t i, unsigned char *colour,
    struct rp_buf *err)
{
	struct tmpl *t = &set->t[i];
	ssize_t j;
	size_t k;
	int r;

	colour[i] = 1;
	for (k = 0; k < t->nn; k++) {
		if (t->nodes[k].type != N_PARTIAL)
			continue;
		if ((j = find_tmpl(set, t->nodes[k].s)) < 0) {
			if (err)
				rp_buf_printf(err, "%s: missing partial %.*s",
				    t->name, (int)t->nodes[k].s.n,
				    t->nodes[k].s.p);
			return RP_E_INVAL;
		}
		if (colour[j] == 1) {
			if (err)
				rp_buf_printf(err, "%s: recursive partial %s",
				    t->name, set->t[j].name);
			return RP_E_INVAL;
		}
		if (colour[j] == 0 && (r = check_tmpl(set, (size_t)j, colour,
		    err)) != 0)
			return r;
		t->nodes[k].partial = (size_t)j;
	}
	colour[i] = 2;
	return 0;
}

int
rp_tmpl_set_check(struct rp_tmpl_set *set, struct rp_buf *err)
{
	unsigned char colour[RP_TMPL_MAX_TEMPLATES] = { 0 };
	size_t i;
	int r;

	set->checked = false;
	for (i = 0; i < set->n; i++)
		if (colour[i] == 0 && (r = check_tmpl(set, i, colour, err)) != 0)
			return r;
	set->checked = true;
	return 0;
}

static struct rp_tmpl_set *default_set;

int
rp_tmpl_init(struct rp_buf *err)
{
	static const char dir[] = "src/web/templates/";
	struct rp_tmpl_set *set = NULL;
	const struct rp_embed *e;
	char name[RP_TMPL_MAX_NAME + 1];
	size_t n;
	int r;

	if (default_set != NULL)
		return 0;
	if ((r = rp_i18n_init(err)) != 0)
		goto out;
	if ((set = rp_tmpl_set_new()) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	for (e = rp_embedded; e->name != NULL; e++) {
		if (strncmp(e->name, dir, sizeof(dir) - 1) != 0)
			continue;
		n = strlen(e->name + sizeof(dir) - 1);
		if (n <= 5 || n - 5 > RP_TMPL_MAX_NAME ||
		    strcmp(e->name + sizeof(dir) - 1 + n - 5, ".html") != 0)
			continue;
		memcpy(name, e->name + sizeof(dir) - 1, n - 5);
		name[n - 5] = '\0';
		if ((r = set_add(set, name, (struct rp_str){ e->data, e->len },
		    e->name, err)) != 0)
			goto out;
	}
	if ((r = rp_tmpl_set_check(set, err)) != 0)
		goto out;
	default_set = set;
	set = NULL;			/* transferred */
 out:
	rp_tmpl_set_free(set);
	return r;
}

const struct rp_tmpl_set *
rp_tmpl_default(void)
{
	return default_set;
}

/* ---------------------------------------------------------------------
 * Values
 */

enum vkind { V_STR, V_BOOL, V_LIST, V_OBJ };

struct rp_tmpl_scope {
	struct rp_tmpl_vars *owner;
	struct rp_str name;
	enum vkind kind;
	struct rp_str s;
	bool b;
	struct rp_tmpl_scope *first, *last, *next;	/* children */
};

struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct rp_tmpl_vars {
	struct chunk *chunks;
	size_t total, max;
	int err;
	struct rp_tmpl_scope root;
};

struct rp_tmpl_vars *
rp_tmpl_vars_new(size_t max_bytes)
{
	struct rp_tmpl_vars *v;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	v->max = max_bytes ? max_bytes : RP_TMPL_VARS_DEFAULT;
	v->root.owner = v;
	v->root.kind = V_OBJ;
	return v;
}

void
rp_tmpl_vars_free(struct rp_tmpl_vars *v)
{
	struct chunk *c, *next;

	if (v == NULL)
		return;
	for (c = v->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(v);
}

struct rp_tmpl_scope *
rp_tmpl_root(struct rp_tmpl_vars *v)
{
	return &v->root;
}

static void *
vars_alloc(struct rp_tmpl_vars *v, size_t n)
{
	struct chunk *c = v->chunks;
	size_t cap, bytes, left;
	void *p;

	if (n > v->max) {
		v->err = RP_E_TOOBIG;
		return NULL;
	}
	n = (n + 15) & ~(size_t)15;
	if (n == 0 || c == NULL || c->cap - c->used < n) {
		/* Chunks of 4 KiB (or n), the last one cut to fit the cap. */
		left = v->max - v->total;
		if (left < sizeof(*c) || left - sizeof(*c) < n) {
			v->err = RP_E_TOOBIG;
			return NULL;
		}
		cap = n < 4096 ? 4096 : n;
		if (cap > left - sizeof(*c))
			cap = left - sizeof(*c);
		bytes = cap + sizeof(*c);
		if ((c = malloc(bytes)) == NULL) {
			v->err = RP_E_NOMEM;
			return NULL;
		}
		c->cap = cap;
		c->used = 0;
		c->next = v->chunks;
		v->chunks = c;
		v->total += bytes;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

static struct rp_str
vcopy(struct rp_tmpl_vars *v, struct rp_str s)
{
	char *p;

	if (s.n == 0)
		return (struct rp_str){ "", 0 };
	if ((p = vars_alloc(v, s.n)) == NULL)
		return RP_STR_NULL;
	memcpy(p, s.p, s.n);
	return (struct rp_str){ p, s.n };
}

static struct rp_tmpl_scope *
child(struct rp_tmpl_scope *s, struct rp_str name)
{
	struct rp_tmpl_scope *c;

	for (c = s->first; c != NULL; c = c->next)
		if (c->name.n != 0 && rp_str_eq(c->name, name))
			return c;
	return NULL;
}

static struct rp_tmpl_scope *
append(struct rp_tmpl_scope *s, struct rp_str name)
{
	struct rp_tmpl_vars *v = s->owner;
	struct rp_tmpl_scope *c;

	if ((c = vars_alloc(v, sizeof(*c))) == NULL)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->owner = v;
	if (name.n > 0 && (c->name = vcopy(v, name)).p == NULL)
		return NULL;
	if (s->last)
		s->last->next = c;
	else
		s->first = c;
	s->last = c;
	return c;
}

/* The named slot of s, emptied (created if new); NULL on error. */
static struct rp_tmpl_scope *
slot(struct rp_tmpl_scope *s, const char *cname)
{
	struct rp_str name = rp_str_c(cname);
	struct rp_tmpl_scope *c;

	if (s == NULL)
		return NULL;
	if (s->owner->err != 0)
		return NULL;
	if (!name_ok(name, false, false) || (s->kind != V_OBJ)) {
		s->owner->err = RP_E_INVAL;
		return NULL;
	}
	if ((c = child(s, name)) == NULL)
		return append(s, name);
	c->first = c->last = NULL;
	c->s = RP_STR_NULL;
	c->b = false;
	return c;
}

int
rp_tmpl_set(struct rp_tmpl_scope *s, const char *name, struct rp_str value)
{
	struct rp_tmpl_scope *c;

	if ((c = slot(s, name)) == NULL)
		return s ? s->owner->err : RP_E_INVAL;
	c->kind = V_STR;
	if ((c->s = vcopy(s->owner, value)).p == NULL)
		return s->owner->err;
	return 0;
}

int
rp_tmpl_set_c(struct rp_tmpl_scope *s, const char *name, const char *value)
{
	return rp_tmpl_set(s, name, rp_str_c(value));
}

int
rp_tmpl_set_u64(struct rp_tmpl_scope *s, const char *name, uint64_t value)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, value);
	return rp_tmpl_set(s, name, rp_str_c(num));
}

int
rp_tmpl_set_bool(struct rp_tmpl_scope *s, const char *name, bool value)
{
	struct rp_tmpl_scope *c;

	if ((c = slot(s, name)) == NULL)
		return s ? s->owner->err : RP_E_INVAL;
	c->kind = V_BOOL;
	c->b = value;
	return 0;
}

int
rp_tmpl_push(struct rp_tmpl_scope *s, const char *name,
    struct rp_tmpl_scope **item)
{
	struct rp_tmpl_scope *c;

	*item = NULL;
	if (s == NULL)
		return RP_E_INVAL;
	if (s->owner->err != 0)
		return s->owner->err;
	c = name_ok(rp_str_c(name), false, false) && s->kind == V_OBJ ?
	    child(s, rp_str_c(name)) : NULL;
	if (c == NULL || c->kind != V_LIST) {
		if ((c = slot(s, name)) == NULL)
			return s->owner->err;
		c->kind = V_LIST;
	}
	if ((*item = append(c, RP_STR_NULL)) == NULL)
		return s->owner->err;
	(*item)->kind = V_OBJ;
	return 0;
}

int
rp_tmpl_object(struct rp_tmpl_scope *s, const char *name,
    struct rp_tmpl_scope **obj)
{
	struct rp_tmpl_scope *c;

	*obj = NULL;
	if ((c = slot(s, name)) == NULL)
		return s ? s->owner->err : RP_E_INVAL;
	c->kind = V_OBJ;
	*obj = c;
	return 0;
}

/* ---------------------------------------------------------------------
 * Escaping
 */

/* Length of the valid UTF-8 sequence at p (n > 0, p[0] >= 0x80), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

int
rp_tmpl_escape(struct rp_buf *out, struct rp_str s, bool attr)
{
	const unsigned char *p = (const unsigned char *)s.p;
	size_t i = 0, len, run;

	while (i < s.n) {
		/* Copy the longest run of bytes that need nothing. */
		for (run = i; run < s.n; run++) {
			unsigned char c = p[run];

			if (c >= 0x80 || c < 0x20 || c == 0x7f || c == '&' ||
			    c == '<' || c == '>' || c == '"' || c == '\'' ||
			    c == '`')
				break;
		}
		if (run > i) {
			rp_buf_add(out, p + i, run - i);
			i = run;
			continue;
		}
		switch (p[i]) {
		case '&': rp_buf_add_c(out, "&amp;"); break;
		case '<': rp_buf_add_c(out, "&lt;"); break;
		case '>': rp_buf_add_c(out, "&gt;"); break;
		case '"': rp_buf_add_c(out, "&quot;"); break;
		case '\'': rp_buf_add_c(out, "&#39;"); break;
		case '`':
			rp_buf_add_c(out, attr ? "&#96;" : "`");
			break;
		case '\t': case '\n': case '\r':
			rp_buf_add_ch(out, (char)p[i]);
			break;
		default:
			if (p[i] >= 0x80 && (len = utf8_seq(p + i, s.n - i)) > 0) {
				rp_buf_add(out, p + i, len);
				i += len;
				continue;
			}
			/* NUL, other controls, DEL, invalid UTF-8. */
			rp_buf_add_c(out, "\xef\xbf\xbd");
			break;
		}
		i++;
	}
	return out->err;
}

bool
rp_tmpl_url_ok(struct rp_str s)
{
	char c, scheme[8];
	size_t i, e = 0, sn = 0;
	bool slash = false;

	for (i = 0; i < s.n; i++) {
		c = s.p[i];
		/* Browsers drop tabs and newlines anywhere, and leading C0/space. */
		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		if (e == 0 && (unsigned char)c <= 0x20)
			continue;
		if (e++ == 0) {
			if (c == '\\')
				return false;
			if (c == '/') {
				slash = true;
				continue;
			}
		} else if (slash)	/* "//host" or "/\\host": another site */
			return c != '/' && c != '\\';
		if (c == '/' || c == '?' || c == '#')
			return true;	/* relative: no scheme before these */
		if (c == ':')
			return (sn == 4 && memcmp(scheme, "http", 4) == 0) ||
			    (sn == 5 && memcmp(scheme, "https", 5) == 0) ||
			    (sn == 6 && memcmp(scheme, "mailto", 6) == 0);
		if (sn < sizeof(scheme))
			scheme[sn] = lower(c);
		sn++;
	}
	return true;
}

/* ---------------------------------------------------------------------
 * Rendering
 */

#define MAX_SCOPES (RP_TMPL_MAX_DEPTH * 4)

struct rctx {
	const struct rp_tmpl_set *set;
	enum rp_lang lang;
	struct rp_buf *out;
	const struct rp_tmpl_scope *scope[MAX_SCOPES];
	size_t nscope;
	int depth;
};

static const struct rp_tmpl_scope *
lookup(const struct rctx *rc, struct rp_str path)
{
	const struct rp_tmpl_scope *v = NULL;
	struct rp_str rest = path, seg;
	size_t i;
	bool more;

	more = rp_str_split(&rest, '.', &seg);
	if (!more) {
		seg = rest;
		rest.n = 0;
	}
	for (i = rc->nscope; i-- > 0;)
		if ((v = child((struct rp_tmpl_scope *)rc->scope[i], seg)) != NULL)
			break;
	while (v != NULL && more) {
		more = rp_str_split(&rest, '.', &seg);
		if (!more) {
			seg = rest;
			rest.n = 0;
		}
		v = v->kind == V_OBJ ? child((struct rp_tmpl_scope *)v, seg) : NULL;
	}
	return v;
}

static bool
truthy(const struct rp_tmpl_scope *v)
{
	if (v == NULL)
		return false;
	switch (v->kind) {
	case V_STR: return v->s.n > 0;
	case V_BOOL: return v->b;
	case V_LIST: return v->first != NULL;
	case V_OBJ: return true;
	}
	return false;
}

static void
emit(struct rctx *rc, const struct node *nd, struct rp_str s)
{
	if (nd->ctx == C_URL && nd->url_start && !rp_tmpl_url_ok(s)) {
		rp_buf_add_ch(rc->out, '#');
		return;
	}
	(void)rp_tmpl_escape(rc->out, s, nd->ctx != C_TEXT);
}

static int render_range(struct rctx *, const struct tmpl *, size_t, size_t);

static int
render_body(struct rctx *rc, const struct tmpl *t, size_t from, size_t to,
    const struct rp_tmpl_scope *scope)
{
	int r;

	if (scope != NULL) {
		if (rc->nscope == MAX_SCOPES)
			return RP_E_TOOBIG;
		rc->scope[rc->nscope++] = scope;
	}
	r = render_range(rc, t, from, to);
	if (scope != NULL)
		rc->nscope--;
	return r;
}

static int
render_range(struct rctx *rc, const struct tmpl *t, size_t from, size_t to)
{
	const struct rp_tmpl_scope *v, *it;
	const struct node *nd;
	struct rp_str msg;
	size_t i;
	int r;

	for (i = from; i < to && rc->out->err == 0; i++) {
		nd = &t->nodes[i];
		switch (nd->type) {
		case N_TEXT:
			rp_buf_add_str(rc->out, nd->s);
			break;
		case N_VAR:
			if ((v = lookup(rc, nd->s)) != NULL && v->kind == V_STR)
				emit(rc, nd, v->s);
			break;
		case N_TRANS:
			if (rp_i18n_get(rc->lang, nd->s, &msg) == 0)
				emit(rc, nd, msg);
			break;
		case N_TRANSVAR:
			/* The value names a message; anything else renders nothing. */
			if ((v = lookup(rc, nd->s)) != NULL && v->kind == V_STR &&
			    rp_i18n_get(rc->lang, v->s, &msg) == 0)
				emit(rc, nd, msg);
			break;
		case N_SECTION:
			v = lookup(rc, nd->s);
			if (v != NULL && v->kind == V_LIST) {
				for (it = v->first; it != NULL; it = it->next)
					if ((r = render_body(rc, t, i + 1,
					    nd->end, it)) != 0)
						return r;
			} else if (truthy(v) && (r = render_body(rc, t, i + 1,
			    nd->end, v->kind == V_OBJ ? v : NULL)) != 0)
				return r;
			i = nd->end;
			break;
		case N_INVERTED:
			if (!truthy(lookup(rc, nd->s)) &&
			    (r = render_body(rc, t, i + 1, nd->end, NULL)) != 0)
				return r;
			i = nd->end;
			break;
		case N_END:
			break;
		case N_PARTIAL:
			if (++rc->depth > RP_TMPL_MAX_DEPTH)
				return RP_E_TOOBIG;
			r = render_range(rc, &rc->set->t[nd->partial], 0,
			    rc->set->t[nd->partial].nn);
			rc->depth--;
			if (r != 0)
				return r;
			break;
		}
	}
	return rc->out->err;
}

int
rp_tmpl_render(const struct rp_tmpl_set *set, const char *name,
    const struct rp_tmpl_vars *v, enum rp_lang lang, struct rp_buf *out)
{
	struct rctx rc;
	ssize_t i;

	if (set == NULL || (i = find_tmpl(set, rp_str_c(name))) < 0)
		return RP_E_NOTFOUND;
	if (!set->checked)
		return RP_E_STATE;
	if (v != NULL && v->err != 0)
		return v->err;
	if (out->err != 0)
		return out->err;
	memset(&rc, 0, sizeof(rc));
	rc.set = set;
	rc.lang = lang;
	rc.out = out;
	if (v != NULL)
		rc.scope[rc.nscope++] = &v->root;
	return render_range(&rc, &set->t[i], 0, set->t[i].nn);
}

int
rp_tmpl_set_lang(struct rp_tmpl_scope *root, enum rp_lang lang)
{
	(void)rp_tmpl_set_c(root, "lang", lang == RP_LANG_EN ? "en" : "ja");
	(void)rp_tmpl_set_bool(root, "is_ja", lang != RP_LANG_EN);
	return rp_tmpl_set_bool(root, "is_en", lang == RP_LANG_EN);
}

int
rp_tmpl_waf_page(enum rp_lang lang, const char *request_id, const char *home,
    struct rp_buf *out)
{
	struct rp_tmpl_vars *v;
	struct rp_tmpl_scope *root;
	int r;

	if ((v = rp_tmpl_vars_new(4096)) == NULL)
		return RP_E_NOMEM;
	root = rp_tmpl_root(v);
	/* The error page's 403 variant: its own text and the request id the
	 * customer can quote to support (the security event carries it). */
	(void)rp_tmpl_set_bool(root, "swaf", true);
	(void)rp_tmpl_set_u64(root, "status", 403);
	(void)rp_tmpl_set_c(root, "request_id", request_id);
	(void)rp_tmpl_set_c(root, "home", home ? home : "/");
	(void)rp_tmpl_set_lang(root, lang);
	r = rp_tmpl_render(default_set, "error", v, lang, out);
	rp_tmpl_vars_free(v);
	return r;
}

int
rp_tmpl_error_page(enum rp_lang lang, unsigned status, const char *home,
    struct rp_buf *out)
{
	static const unsigned known[] = { 400, 403, 404, 410, 413, 429, 500,
	    503 };
	struct rp_tmpl_vars *v;
	struct rp_tmpl_scope *root;
	char flag[8];
	size_t i;
	int r;

	if ((v = rp_tmpl_vars_new(4096)) == NULL)
		return RP_E_NOMEM;
	root = rp_tmpl_root(v);
	for (i = 0; i < RP_ARRAY_LEN(known) && known[i] != status; i++)
		;
	/* Unknown statuses get the generic text of their class. */
	if (i == RP_ARRAY_LEN(known))
		status = status >= 500 ? 500 : status == 403 ? 403 :
		    status >= 400 && status < 500 ? 404 : 500;
	snprintf(flag, sizeof(flag), "s%u", status);
	(void)rp_tmpl_set_bool(root, flag, true);
	(void)rp_tmpl_set_u64(root, "status", status);
	(void)rp_tmpl_set_c(root, "home", home ? home : "/");
	(void)rp_tmpl_set_lang(root, lang);
	r = rp_tmpl_render(default_set, "error", v, lang, out);
	rp_tmpl_vars_free(v);
	return r;
}
