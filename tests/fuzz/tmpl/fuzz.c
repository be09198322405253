/* SPDX-License-Identifier: ISC */
/*
 * fuzz.c — libFuzzer target for the template layer (src/web/tmpl.c).
 * The first byte picks a mode:
 *   even: the rest is template source — parse (must never crash; a
 *         failure is RP_E_INVAL or RP_E_TOOBIG), and if it parses, render
 *         it with a few values into a capped buffer: the output must be
 *         valid UTF-8 (the source was, and values are made so);
 *   odd:  the rest is split into four untrusted values rendered into a
 *         fixed template where each value sits between the marker bytes
 *         \x01 and \x02 in text, attribute and URL contexts; between the
 *         markers there must be no < > " ' (nor ` in attributes), no
 *         marker byte, only valid UTF-8, and a URL the layer refuses must
 *         come out as "#".
 */
#include "util/common.h"
#include "web/i18n.h"
#include "web/tmpl.h"
#include "../fuzz_util.h"

static const char fixed[] =
    "<p>\x01{{a}}\x02</p><p title=\"\x01{{b}}\x02\" data-x='\x01{{c}}\x02'>"
    "\x01{{t:site.name}}\x02<a href=\"\x01{{u}}\x02\">"
    "{{#l}}<i class=\"\x01{{a}}\x02\">\x01{{b}}\x02</i>{{/l}}"
    "<a href='\x01{{l.x}}\x02'></a>";

static struct rp_tmpl_set *fixed_set;

static void
setup(void)
{
	if (fixed_set != NULL)
		return;
	check(rp_i18n_init(NULL) == 0);
	fixed_set = rp_tmpl_set_new();
	check(fixed_set != NULL);
	check(rp_tmpl_set_add(fixed_set, "f", RP_STR_LIT(fixed), NULL) == 0);
	check(rp_tmpl_set_check(fixed_set, NULL) == 0);
}

static struct rp_tmpl_vars *
make_vars(struct rp_str v[4])
{
	struct rp_tmpl_vars *vars = rp_tmpl_vars_new(1 << 16);
	struct rp_tmpl_scope *root, *it;

	check(vars != NULL);
	root = rp_tmpl_root(vars);
	(void)rp_tmpl_set(root, "a", v[0]);
	(void)rp_tmpl_set(root, "b", v[1]);
	(void)rp_tmpl_set(root, "c", v[2]);
	(void)rp_tmpl_set(root, "u", v[3]);
	(void)rp_tmpl_set_bool(root, "yes", true);
	if (rp_tmpl_push(root, "l", &it) == 0) {
		(void)rp_tmpl_set(it, "b", v[2]);
		(void)rp_tmpl_set(it, "x", v[3]);
	}
	(void)rp_tmpl_push(root, "l", &it);
	return vars;
}

static void
scan_output(struct rp_str o)
{
	const char *p = o.p, *end = o.p + o.n, *a, *b;
	struct rp_str seg;
	size_t i;
	bool attr;

	while ((a = memchr(p, '\x01', (size_t)(end - p))) != NULL) {
		b = memchr(a + 1, '\x02', (size_t)(end - a - 1));
		check(b != NULL);
		seg = (struct rp_str){ a + 1, (size_t)(b - a - 1) };
		check(memchr(seg.p, '\x01', seg.n) == NULL);
		check(rp_utf8_valid(seg));
		attr = a > o.p && (a[-1] == '"' || a[-1] == '\'');
		for (i = 0; i < seg.n; i++) {
			char c = seg.p[i];

			check(c != '<' && c != '>' && c != '"' && c != '\'' &&
			    c != '\0');
			check(!attr || c != '`');
		}
		p = b + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_tmpl_set *set;
	struct rp_tmpl_vars *vars;
	struct rp_str v[4], src;
	struct rp_buf out;
	size_t i, q;
	int r;

	setup();
	if (size == 0)
		return 0;
	rp_buf_init(&out, 1 << 18);
	src = (struct rp_str){ (const char *)data + 1, size - 1 };
	if ((data[0] & 1) == 0) {
		set = rp_tmpl_set_new();
		check(set != NULL);
		r = rp_tmpl_set_add(set, "t", src, NULL);
		check(r == 0 || r == RP_E_INVAL || r == RP_E_TOOBIG);
		if (r == 0 && rp_tmpl_set_check(set, NULL) == 0) {
			for (i = 0; i < 4; i++)
				v[i] = RP_STR_LIT("<x\"y'&`\xff");
			vars = make_vars(v);
			r = rp_tmpl_render(set, "t", vars, RP_LANG_EN, &out);
			check(r == 0 || r == RP_E_TOOBIG);
			if (r == 0)
				check(rp_utf8_valid(rp_buf_str(&out)));
			rp_tmpl_vars_free(vars);
		}
		rp_tmpl_set_free(set);
	} else {
		q = src.n / 4;
		for (i = 0; i < 4; i++)
			v[i] = (struct rp_str){ src.p + i * q,
			    i == 3 ? src.n - 3 * q : q };
		vars = make_vars(v);
		r = rp_tmpl_render(fixed_set, "f", vars,
		    (data[0] & 2) ? RP_LANG_EN : RP_LANG_JA, &out);
		check(r == 0);
		scan_output(rp_buf_str(&out));
		/* A refused URL comes out as exactly "#". */
		if (!rp_tmpl_url_ok(v[3]))
			check(strstr(out.d, "<a href=\"\x01#\x02\">") != NULL);
		rp_tmpl_vars_free(vars);
	}
	rp_buf_release(&out);
	return 0;
}
