/* SPDX-License-Identifier: ISC */
/*
 * test_tmpl.c — the template layer: syntax, sections, scopes, partials,
 * context-aware escaping (text, attribute, URL), refusals (raw output,
 * values in script/style/comments/tags/event attributes, unbalanced or
 * context-changing sections, unknown keys, recursive partials), invalid
 * UTF-8, caps, and the embedded layout and error pages in ja and en.
 */
#include "util/common.h"
#include "web/i18n.h"
#include "web/tmpl.h"

#include "tap.h"

static struct rp_buf err, out;

/* Parses src as "t" in a fresh set, checks it; returns the add result. */
static int
parse1(const char *src, struct rp_tmpl_set **setp)
{
	struct rp_tmpl_set *set = rp_tmpl_set_new();
	int r;

	rp_buf_reset(&err);
	if ((r = rp_tmpl_set_add(set, "t", rp_str_c(src), &err)) == 0)
		r = rp_tmpl_set_check(set, &err);
	if (setp)
		*setp = set;
	else
		rp_tmpl_set_free(set);
	return r;
}

/* Renders src with v in lang; the output is in out.d. */
static int
render1(const char *src, const struct rp_tmpl_vars *v, enum rp_lang lang)
{
	struct rp_tmpl_set *set;
	int r;

	rp_buf_reset(&out);
	if ((r = parse1(src, &set)) == 0)
		r = rp_tmpl_render(set, "t", v, lang, &out);
	rp_tmpl_set_free(set);
	return r;
}

static void
test_basic(void)
{
	struct rp_tmpl_vars *v = rp_tmpl_vars_new(0);
	struct rp_tmpl_scope *root = rp_tmpl_root(v), *it, *obj;

	is_int(rp_tmpl_set_c(root, "name", "<b>Tom & 'Jerry'</b>\""), 0, "set");
	is_int(rp_tmpl_set_bool(root, "yes", true), 0, "set bool");
	is_int(rp_tmpl_set_bool(root, "no", false), 0, "set bool false");
	is_int(rp_tmpl_set_u64(root, "n", 42), 0, "set u64");
	is_int(render1("<p>{{name}}</p>", v, RP_LANG_JA), 0, "render text");
	is_str(out.d, "<p>&lt;b&gt;Tom &amp; &#39;Jerry&#39;&lt;/b&gt;&quot;</p>",
	    "text escaped");
	is_int(render1("<p title=\"{{ name }}\">`{{n}}</p>", v, RP_LANG_JA), 0,
	    "render attr");
	is_str(out.d, "<p title=\"&lt;b&gt;Tom &amp; &#39;Jerry&#39;&lt;/b&gt;&quot;\">`42</p>",
	    "attribute escaped, spaces in tag allowed");
	rp_tmpl_set_c(root, "bt", "a`b");
	is_int(render1("<i class='{{bt}}'>{{bt}}</i>", v, RP_LANG_JA), 0, "bt");
	is_str(out.d, "<i class='a&#96;b'>a`b</i>", "backtick escaped in attr only");
	is_int(render1("{{#yes}}Y{{/yes}}{{#no}}N{{/no}}{{^no}}n{{/no}}"
	    "{{^yes}}y{{/yes}}{{#missing}}M{{/missing}}{{^missing}}m{{/missing}}",
	    v, RP_LANG_JA), 0, "sections");
	is_str(out.d, "Ynm", "bool and missing sections");
	is_int(render1("{{! a comment with < and \" }}x{{missing}}y", v,
	    RP_LANG_JA), 0, "comment");
	is_str(out.d, "xy", "comment and missing variable render nothing");

	/* Lists, objects, scopes and dotted lookups. */
	rp_tmpl_push(root, "plans", &it);
	rp_tmpl_set_c(it, "code", "US1");
	rp_tmpl_set_bool(it, "sel", true);
	rp_tmpl_push(root, "plans", &it);
	rp_tmpl_set_c(it, "code", "EU<2>");
	rp_tmpl_object(root, "tenant", &obj);
	rp_tmpl_set_c(obj, "slug", "acme");
	is_int(render1("<ul>{{#plans}}<li{{#sel}} class=\"on\"{{/sel}}>"
	    "{{code}}/{{n}}/{{tenant.slug}}</li>{{/plans}}</ul>"
	    "{{#tenant}}[{{slug}}]{{/tenant}}{{tenant.nope}}{{name.x}}",
	    v, RP_LANG_JA), 0, "list");
	is_str(out.d, "<ul><li class=\"on\">US1/42/acme</li>"
	    "<li>EU&lt;2&gt;/42/acme</li></ul>[acme]",
	    "list items, outer scopes, objects, dotted lookups");
	/* Replacing a value, and a list over a scalar. */
	rp_tmpl_set_c(root, "n", "43");
	rp_tmpl_push(root, "name", &it);
	rp_tmpl_set_c(it, "code", "x");
	is_int(render1("{{n}}{{#name}}{{code}}{{/name}}{{name}}", v,
	    RP_LANG_JA), 0, "replace");
	is_str(out.d, "43x", "values replaced; a list renders nothing as a value");
	is_int(rp_tmpl_set_c(root, "bad name", "x"), RP_E_INVAL,
	    "bad value name refused");
	is_int(rp_tmpl_set_c(root, "ok", "x"), RP_E_INVAL, "error is sticky");
	is_int(render1("x", v, RP_LANG_JA), RP_E_INVAL,
	    "rendering with failed vars fails");
	rp_tmpl_vars_free(v);
}

static void
test_escaping(void)
{
	struct rp_tmpl_vars *v = rp_tmpl_vars_new(0);
	struct rp_tmpl_scope *root = rp_tmpl_root(v);
	static const struct { const char *url; const char *want; } urls[] = {
		{ "/plans?x=1&y=2", "/plans?x=1&amp;y=2" },
		{ "https://example.com/a", "https://example.com/a" },
		{ "HTTP://example.com/", "HTTP://example.com/" },
		{ "mailto:a@example.com", "mailto:a@example.com" },
		{ "plans/us", "plans/us" },
		{ "?lang=en", "?lang=en" },
		{ "#top", "#top" },
		{ "", "" },
		{ "javascript:alert(1)", "#" },
		{ "JaVaScRiPt:alert(1)", "#" },
		{ " \tjava\nscript:alert(1)", "#" },
		{ "data:text/html,<x>", "#" },
		{ "vbscript:x", "#" },
		{ "//evil.example/", "#" },
		{ "/\\evil.example/", "#" },
		{ "\\\\evil", "#" },
		{ "a:b", "#" },
		{ "ftp://x/", "#" },
	};
	size_t i;

	for (i = 0; i < RP_ARRAY_LEN(urls); i++) {
		rp_tmpl_set_c(root, "u", urls[i].url);
		is_int(render1("<a href=\"{{u}}\">x</a>", v, RP_LANG_JA), 0,
		    "url render");
		rp_buf_reset(&err);
		rp_buf_printf(&err, "<a href=\"%s\">x</a>", urls[i].want);
		if (strcmp(out.d, err.d) != 0)
			diag("url %zu: got %s", i, out.d);
		ok(strcmp(out.d, err.d) == 0, "URL allowed or replaced by #");
	}
	rp_tmpl_set_c(root, "u", "javascript:alert(1)");
	is_int(render1("<form action='{{u}}'><img SRC=\"{{u}}\">"
	    "<a href=\"/p/{{u}}\">", v, RP_LANG_JA), 0, "url attrs");
	is_str(out.d, "<form action='#'><img SRC=\"#\"><a href=\"/p/javascript:alert(1)\">",
	    "action and src checked; a value after a literal prefix is not a scheme");
	rp_tmpl_set_c(root, "u", "java");
	rp_tmpl_set_c(root, "w", "script:alert(1)");
	is_int(render1("<a href=\"{{u}}{{w}}\">", v, RP_LANG_JA), 0, "split");
	is_str(out.d, "<a href=\"java#\">", "each value at the start is checked");
	is_int(render1("<a href=\" \t{{w}}\">", v, RP_LANG_JA), 0, "lead space");
	is_str(out.d, "<a href=\" \t#\">", "leading spaces are not a literal prefix");

	/* Invalid UTF-8, NUL and controls become U+FFFD. */
	rp_tmpl_set(root, "b", (struct rp_str){ "a\xff" "b\xc0\xaf" "c\0d\x01"
	    "\xed\xa0\x80" "e\xe3\x81\x82\tf", 18 });
	is_int(render1("{{b}}", v, RP_LANG_JA), 0, "bad utf8");
	is_str(out.d, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd" "c\xef\xbf\xbd"
	    "d\xef\xbf\xbd" "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "e\xe3\x81\x82\tf", "invalid sequences replaced, valid kept");
	ok(rp_utf8_valid(rp_buf_str(&out)), "output is valid UTF-8");

	/* Messages are escaped too, in their context. */
	is_int(render1("<p title=\"{{t:order.kana.help}}\">{{t:err.email}}</p>",
	    v, RP_LANG_EN), 0, "t:");
	is_str(out.d, "<p title=\"Full-width katakana, e.g. ヤマダ タロウ.\">"
	    "This e-mail address does not look right, e.g. name@example.com.</p>",
	    "en messages");
	is_int(render1("{{t:order.email.help}}", v, RP_LANG_EN), 0, "t: quotes");
	is_str(out.d, "We send your confirmation and your &quot;my order&quot; link here.",
	    "message quotes escaped");
	is_int(render1("{{t:err.required}}", v, RP_LANG_JA), 0, "t: ja");
	is_str(out.d, "この項目は必須です。", "ja message");
	rp_tmpl_set_c(root, "e1", "err.phone");
	rp_tmpl_set_c(root, "e2", "no.such.key");
	rp_tmpl_set_c(root, "e3", "<script>");
	is_int(render1("<p title=\"{{t=e1}}\">{{t=e2}}{{t=e3}}{{t=nothing}}</p>",
	    v, RP_LANG_EN), 0, "t=");
	is_str(out.d, "<p title=\"This phone number does not look right: use "
	    "digits, + and - only.\"></p>", "t= translates a key held in a value");
	rp_tmpl_vars_free(v);
}

static void
test_refusals(void)
{
	static const struct { const char *src; const char *why; } bad[] = {
		{ "{{{x}}}", "raw output" },
		{ "{{&x}}", "ampersand raw" },
		{ "{{x", "unclosed tag" },
		{ "{{}}", "empty tag" },
		{ "{{a b}}", "space in name" },
		{ "{{a..b}}", "empty segment" },
		{ "{{.a}}", "leading dot" },
		{ "{{#a}}x", "unclosed section" },
		{ "x{{/a}}", "close without open" },
		{ "{{#a}}{{/b}}", "mismatched close" },
		{ "{{#a}}{{#b}}{{/a}}{{/b}}", "crossed sections" },
		{ "{{t:no.such.key}}", "unknown message key" },
		{ "{{t:}}", "empty key" },
		{ "{{> }}", "empty partial" },
		{ "{{> nope}}", "missing partial" },
		{ "{{> t}}", "recursive partial" },
		{ "<script>var a = '{{x}}';</script>", "value in script" },
		{ "<SCRIPT type=x>{{x}}</SCRIPT>", "value in SCRIPT" },
		{ "<style>a{color:{{x}}}</style>", "value in style" },
		{ "<!-- {{x}} -->", "value in comment" },
		{ "<{{x}}>", "value as tag name" },
		{ "<a {{x}}>", "value as attribute" },
		{ "<a href={{x}}>", "value unquoted" },
		{ "<a onclick=\"{{x}}\">", "value in event handler" },
		{ "<a style=\"{{x}}\">", "value in style attribute" },
		{ "<iframe srcdoc=\"{{x}}\">", "value in srcdoc" },
		{ "<a href=\"{{#x}}\">{{/x}}", "section leaves attribute" },
		{ "{{#x}}<a href=\"{{/x}}\">", "section enters attribute" },
		{ "{{#x}}<script>{{/x}}</script>", "section enters script" },
		{ "<a href=\"x", "ends inside attribute" },
		{ "<script>", "ends inside script" },
		{ "<p title=\"{{> t2}}\">", "partial inside attribute" },
		{ "{{x\n}}", "newline inside tag" },
		{ "{{^}}", "empty inverted" },
		{ "{{t=}}", "empty t=" },
		{ "<script>{{t=e}}</script>", "t= in script" },
		{ "<script>{{t:site.name}}</script>", "t: in script" },
		{ "<a x{{#b}}y{{/b}}>", "section glued to an attribute name" },
		{ "<a {{#b}} x{{/b}}onclick=\"{{v}}\">", "glued after a section" },
		{ "<scr{{#b}}ipt{{/b}}>", "section changes the tag name" },
		{ "<a href={{#b}}\"{{/b}}>", "section opens a quote" },
	};
	size_t i;
	int r;

	for (i = 0; i < RP_ARRAY_LEN(bad); i++) {
		r = parse1(bad[i].src, NULL);
		ok(r == RP_E_INVAL, bad[i].why);
		ok(strncmp(err.d ? err.d : "", "t", 1) == 0, "error names the template");
	}
	r = parse1("line1\nline2\n<script>\n{{x}}</script>", NULL);
	is_int(r, RP_E_INVAL, "script error");
	ok(err.d && strstr(err.d, "t:4:") != NULL, "error names the line");
	/* Scripts and styles without values are fine; after them text again. */
	is_int(parse1("<script src=\"/static/a.js\"></script><style>p{}</style>"
	    "<p>{{x}}</p><textarea>{{x}}</textarea><title>{{x}}</title>"
	    "<!-- c --><!doctype html><p title='{{x}}' data-x=\"{{x}}\">", NULL),
	    0, "values after script/style/comment/doctype, in textarea/title");
	if (err.len)
		diag("%s", err.d);
	is_int(parse1("<script>if (a</b) {}</script>{{x}}", NULL), 0,
	    "</b inside script does not end it");
	is_int(parse1("<script>x</scriptx>{{x}}</script>", NULL), RP_E_INVAL,
	    "</scriptx does not end a script");
}

static void
test_partials_and_caps(void)
{
	struct rp_tmpl_set *set = rp_tmpl_set_new();
	struct rp_tmpl_vars *v = rp_tmpl_vars_new(8192);
	struct rp_tmpl_scope *root = rp_tmpl_root(v), *it;
	struct rp_buf small;
	char big[128];
	int r = 0, i;

	rp_buf_reset(&err);
	is_int(rp_tmpl_set_add(set, "outer", RP_STR_LIT("[{{#l}}{{> inner}}{{/l}}]"),
	    &err), 0, "add outer");
	is_int(rp_tmpl_render(set, "outer", NULL, RP_LANG_JA, &out), RP_E_STATE,
	    "unchecked set refuses to render");
	is_int(rp_tmpl_set_check(set, &err), RP_E_INVAL, "missing partial");
	is_int(rp_tmpl_set_add(set, "inner", RP_STR_LIT("<b>{{x}}</b>"), &err),
	    0, "add inner");
	is_int(rp_tmpl_set_add(set, "inner", RP_STR_LIT("y"), &err),
	    RP_E_INVAL, "duplicate name");
	is_int(rp_tmpl_set_add(set, "Bad-Name", RP_STR_LIT("y"), &err),
	    RP_E_INVAL, "bad template name");
	is_int(rp_tmpl_set_add(set, "nul", (struct rp_str){ "a\0b", 3 }, &err),
	    RP_E_INVAL, "NUL in template");
	is_int(rp_tmpl_set_check(set, &err), 0, "checked");
	rp_tmpl_push(root, "l", &it);
	rp_tmpl_set_c(it, "x", "1<");
	rp_tmpl_push(root, "l", &it);
	rp_tmpl_set_c(it, "x", "2");
	rp_buf_reset(&out);
	is_int(rp_tmpl_render(set, "outer", v, RP_LANG_JA, &out), 0, "partials");
	is_str(out.d, "[<b>1&lt;</b><b>2</b>]", "partial sees the item scope");
	is_int(rp_tmpl_render(set, "nope", v, RP_LANG_JA, &out), RP_E_NOTFOUND,
	    "unknown template");

	/* Output cap. */
	rp_buf_init(&small, 10);
	is_int(rp_tmpl_render(set, "outer", v, RP_LANG_JA, &small), RP_E_TOOBIG,
	    "output past the cap");
	rp_buf_release(&small);

	/* Vars cap: 8 KiB arena. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 200 && r == 0; i++)
		r = rp_tmpl_set_c(root, "big", big) == 0 ?
		    rp_tmpl_push(root, "more", &it) : RP_E_TOOBIG;
	is_int(r, RP_E_TOOBIG, "vars arena is capped");
	rp_buf_reset(&out);
	is_int(rp_tmpl_render(set, "outer", v, RP_LANG_JA, &out), RP_E_TOOBIG,
	    "render reports the sticky vars error");
	rp_tmpl_vars_free(v);
	rp_tmpl_set_free(set);

	/* Section nesting cap. */
	rp_buf_reset(&out);
	for (i = 0; i < RP_TMPL_MAX_DEPTH + 1; i++)
		rp_buf_add_c(&out, "{{#a}}");
	for (i = 0; i < RP_TMPL_MAX_DEPTH + 1; i++)
		rp_buf_add_c(&out, "{{/a}}");
	{
		char *src = rp_str_dup(rp_buf_str(&out));

		is_int(parse1(src, NULL), RP_E_TOOBIG, "nesting capped");
		free(src);
	}
}

static void
test_pages(void)
{
	const struct rp_tmpl_set *set;
	struct rp_tmpl_vars *v;
	struct rp_tmpl_scope *root, *it;
	int lang;

	rp_buf_reset(&err);
	is_int(rp_tmpl_init(&err), 0, "embedded templates parse");
	if (err.len)
		diag("%s", err.d);
	ok((set = rp_tmpl_default()) != NULL, "default set");
	is_int(rp_tmpl_init(&err), 0, "init idempotent");

	for (lang = RP_LANG_JA; lang <= RP_LANG_EN; lang++) {
		bool en = lang == RP_LANG_EN;

		v = rp_tmpl_vars_new(0);
		root = rp_tmpl_root(v);
		rp_tmpl_set_c(root, "home", "/");
		rp_tmpl_set_bool(root, en ? "is_en" : "is_ja", true);
		rp_tmpl_set_bool(root, "s404", true);
		rp_tmpl_set_c(root, "status", "404");
		rp_tmpl_set_c(root, "title", "<Not found>");
		rp_buf_reset(&out);
		is_int(rp_tmpl_render(set, "error", v, (enum rp_lang)lang, &out),
		    0, "error page renders");
		ok(strstr(out.d, en ? "<html lang=\"en\">" : "<html lang=\"ja\">")
		    != NULL, "html lang attribute");
		ok(strstr(out.d, en ? "Page not found" : "ページが見つかりません")
		    != NULL, "404 title in the language");
		ok(strstr(out.d, en ? "Skip to main content" : "本文へスキップ")
		    != NULL && strstr(out.d, "href=\"#main\"") != NULL &&
		    strstr(out.d, "<main id=\"main\"") != NULL, "skip link");
		ok(strstr(out.d, en ? "hreflang=\"en\" lang=\"en\" aria-current"
		    : "hreflang=\"ja\" lang=\"ja\" aria-current") != NULL,
		    "language switch marks the current language");
		ok(strstr(out.d, en ? "<title>&lt;Not found&gt; — rentport — Wi-Fi "
		    "rental for travel abroad</title>" : "<title>&lt;Not found&gt; "
		    "— rentport — 海外WiFiレンタル</title>") != NULL, "title escaped");
		ok(strstr(out.d, "HTTP 404") != NULL, "status shown");
		ok(strstr(out.d, "</footer>\n</body>\n</html>") != NULL, "footer");
		ok(strstr(out.d, "{{") == NULL, "no template syntax leaks");
		ok(strstr(out.d, en ? "The page you are looking for" :
		    "お探しのページ") != NULL, "404 text");
		ok(strstr(out.d, "Access denied") == NULL &&
		    strstr(out.d, "アクセスできません") == NULL, "other statuses absent");
		rp_tmpl_vars_free(v);

		/* The demo form: labels, errors tied to fields, CSRF field. */
		v = rp_tmpl_vars_new(0);
		root = rp_tmpl_root(v);
		rp_tmpl_set_c(root, "home", "/");
		rp_tmpl_set_c(root, "action", "/order");
		rp_tmpl_set_c(root, "csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
		rp_tmpl_set_c(root, "name", "\"><script>alert(1)</script>");
		rp_tmpl_set_c(root, "back", "javascript:alert(1)");
		rp_tmpl_set_bool(root, "errors", true);
		rp_tmpl_set_bool(root, "name_err", true);
		rp_tmpl_set_bool(root, "name_chars", true);
		rp_tmpl_set_c(root, "email_err", "err.email");
		rp_tmpl_push(root, "plans", &it);
		rp_tmpl_set_c(it, "code", "US-5G");
		rp_tmpl_set_c(it, "name", "USA 5G");
		rp_tmpl_set_bool(it, "selected", true);
		rp_buf_reset(&out);
		is_int(rp_tmpl_render(set, "demo_form", v, (enum rp_lang)lang,
		    &out), 0, "demo form renders");
		ok(strstr(out.d, "<script>") == NULL, "no injected script");
		ok(strstr(out.d, "value=\"&quot;&gt;&lt;script&gt;alert(1)"
		    "&lt;/script&gt;\"") != NULL, "value re-filled escaped");
		ok(strstr(out.d, "<input type=\"hidden\" name=\"csrf\" value=\"AAAA")
		    != NULL, "csrf field");
		ok(strstr(out.d, "<label for=\"f-name\">") != NULL &&
		    strstr(out.d, "id=\"f-name\"") != NULL, "label tied to input");
		ok(strstr(out.d, "aria-describedby=\"f-name-help f-name-err\" "
		    "aria-invalid=\"true\"") != NULL &&
		    strstr(out.d, "id=\"f-name-err\"") != NULL, "error tied to field");
		ok(strstr(out.d, en ? "does not look right, e.g. name@example.com." :
		    "メールアドレスの形式が正しくありません") != NULL &&
		    strstr(out.d, "id=\"f-email-err\"") != NULL,
		    "error message from a key value");
		ok(strstr(out.d, en ? "characters we cannot accept" :
		    "使用できない文字") != NULL, "error message in language");
		ok(strstr(out.d, "<a href=\"#\">") != NULL, "bad back URL neutralised");
		ok(strstr(out.d, "<option value=\"US-5G\" selected>USA 5G</option>")
		    != NULL, "plan list");
		rp_tmpl_vars_free(v);
	}

	/* The error page helper. */
	{
		static const struct { unsigned st; const char *en; } pages[] = {
			{ 403, "Access denied" }, { 404, "Page not found" },
			{ 413, "Request too large" }, { 500, "Something went wrong" },
			{ 503, "please try again in a few minutes" },
			{ 405, "Page not found" }, { 502, "Something went wrong" },
		};
		size_t i;

		for (i = 0; i < RP_ARRAY_LEN(pages); i++) {
			rp_buf_reset(&out);
			is_int(rp_tmpl_error_page(RP_LANG_EN, pages[i].st, "/c/acme/",
			    &out), 0, "error page");
			ok(strstr(out.d, pages[i].en) != NULL &&
			    strstr(out.d, "<a href=\"/c/acme/\">Back to the home page")
			    != NULL, "error page text and back link");
		}
		rp_buf_reset(&out);
		is_int(rp_tmpl_error_page(RP_LANG_JA, 503, NULL, &out), 0, "ja 503");
		ok(strstr(out.d, "一時的にご利用いただけません") != NULL &&
		    strstr(out.d, "<html lang=\"ja\">") != NULL &&
		    strstr(out.d, "aria-current") != NULL, "ja 503 text");
	}
}

int
main(void)
{
	rp_buf_init(&err, 4096);
	rp_buf_init(&out, 1 << 20);
	if (rp_i18n_init(&err) != 0) {
		diag("%s", err.d);
		return 1;
	}
	test_basic();
	test_escaping();
	test_refusals();
	test_partials_and_caps();
	test_pages();
	rp_buf_release(&err);
	rp_buf_release(&out);
	return tap_done();
}
