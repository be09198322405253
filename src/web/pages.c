/* SPDX-License-Identifier: ISC */
/*
 * pages.c — the home page and error pages (see pages.h), rendered by the
 * web workers.  Text is ours (trusted); the only request-derived choice is
 * the language, picked from a fixed set.
 */
#include "util/common.h"
#include "web/pages.h"

int
rp_html_escape(struct rp_buf *out, struct rp_str s)
{
	size_t i;

	for (i = 0; i < s.n; i++) {
		switch (s.p[i]) {
		case '&': rp_buf_add_c(out, "&amp;"); break;
		case '<': rp_buf_add_c(out, "&lt;"); break;
		case '>': rp_buf_add_c(out, "&gt;"); break;
		case '"': rp_buf_add_c(out, "&quot;"); break;
		case '\'': rp_buf_add_c(out, "&#39;"); break;
		default: rp_buf_add_ch(out, s.p[i]); break;
		}
	}
	return out->err;
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

enum rp_lang
rp_lang_pick(struct rp_str query_lang, struct rp_str cookie_lang,
    struct rp_str accept_language)
{
	struct rp_str rest = accept_language, item, tag;
	enum rp_lang lang = RP_LANG_JA;

	if (lang_of(query_lang, &lang) || lang_of(cookie_lang, &lang))
		return lang;
	while (rest.n > 0) {
		if (!rp_str_split(&rest, ',', &item)) {
			item = rest;
			rest.n = 0;
		}
		tag = item;
		/* "en-US;q=0.8" → "en-US" → primary subtag "en". */
		if (!rp_str_split(&tag, ';', &item))
			item = tag;
		item = rp_str_trim(item);
		tag = item;
		if (!rp_str_split(&tag, '-', &item))
			item = tag;
		if (lang_of(item, &lang))
			return lang;
	}
	return RP_LANG_JA;
}

const char *
rp_lang_tag(enum rp_lang lang)
{
	return lang == RP_LANG_EN ? "en" : "ja";
}

struct text {
	const char *title, *lead, *cta;
	const char *c1h, *c1p, *c2h, *c2p, *c3h, *c3p;
	const char *footer;
};

static const struct text texts[] = {
	[RP_LANG_JA] = {
		"rentport — 海外WiFiレンタル",
		"海外旅行・出張に、ポケットWiFi・SIM・スマートフォンを。"
		"空港カウンターで受け取り、帰国したらそのまま返却。",
		"料金プランを見る",
		"30以上の国と地域", "渡航先に合わせたデータプランを、1日単位の料金で。",
		"空港で受け取り・返却", "成田・羽田・関西など6つの空港カウンター、または宅配で。",
		"法人のお客様", "会社専用の申込サイト、請求書払い、月次の利用明細。",
		"カード情報は当社に保存しません。個人情報は暗号化して保管し、"
		"閲覧はすべて改ざん防止ログに記録されます。",
	},
	[RP_LANG_EN] = {
		"rentport — Wi-Fi rental for travel abroad",
		"Pocket Wi-Fi routers, SIM cards and phones for your trip. "
		"Pick up at the airport counter, return it when you land.",
		"See plans and prices",
		"30+ countries and regions", "Data plans for your destination, priced per day.",
		"Airport pick-up and return", "Six counters including Narita, Haneda and Kansai, or by courier.",
		"For companies", "A dedicated ordering site, invoice billing and monthly statements.",
		"We never store card numbers. Personal data is kept encrypted, and "
		"every access to it is recorded in a tamper-evident log.",
	},
};

static void
head(struct rp_buf *out, enum rp_lang lang, const char *title)
{
	rp_buf_printf(out, "<!doctype html>\n<html lang=\"%s\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<title>", rp_lang_tag(lang));
	rp_html_escape(out, rp_str_c(title));
	rp_buf_add_c(out, "</title>\n"
	    "<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
	    "<link rel=\"icon\" href=\"/static/logo.svg\" type=\"image/svg+xml\">\n"
	    "</head>\n<body>\n"
	    "<header class=\"site\"><div class=\"wrap\">"
	    "<a class=\"brand\" href=\"/\"><img src=\"/static/logo.svg\" alt=\"\">rentport</a>"
	    "<nav class=\"lang\">");
	rp_buf_printf(out, "<a href=\"/?lang=ja\" hreflang=\"ja\"%s>日本語</a>"
	    "<a href=\"/?lang=en\" hreflang=\"en\"%s>English</a>",
	    lang == RP_LANG_JA ? " aria-current=\"true\"" : "",
	    lang == RP_LANG_EN ? " aria-current=\"true\"" : "");
	rp_buf_add_c(out, "</nav></div></header>\n");
}

static void
card(struct rp_buf *out, const char *h, const char *p)
{
	rp_buf_add_c(out, "<section class=\"card\"><h2>");
	rp_html_escape(out, rp_str_c(h));
	rp_buf_add_c(out, "</h2><p>");
	rp_html_escape(out, rp_str_c(p));
	rp_buf_add_c(out, "</p></section>\n");
}

int
rp_page_home(enum rp_lang lang, struct rp_buf *out)
{
	const struct text *t = &texts[lang == RP_LANG_EN ? RP_LANG_EN : RP_LANG_JA];

	head(out, lang, t->title);
	rp_buf_add_c(out, "<main>\n<div class=\"hero\"><div class=\"wrap\"><h1>");
	rp_html_escape(out, rp_str_c(t->title));
	rp_buf_add_c(out, "</h1><p>");
	rp_html_escape(out, rp_str_c(t->lead));
	rp_buf_add_c(out, "</p><a class=\"button\" href=\"#plans\">");
	rp_html_escape(out, rp_str_c(t->cta));
	rp_buf_add_c(out, "</a></div></div>\n<div class=\"wrap\" id=\"plans\">"
	    "<div class=\"cards\">\n");
	card(out, t->c1h, t->c1p);
	card(out, t->c2h, t->c2p);
	card(out, t->c3h, t->c3p);
	rp_buf_add_c(out, "</div></div>\n</main>\n"
	    "<footer class=\"site\"><div class=\"wrap\">");
	rp_html_escape(out, rp_str_c(t->footer));
	rp_buf_add_c(out, "</div></footer>\n</body>\n</html>\n");
	return out->err;
}

int
rp_page_error(enum rp_lang lang, unsigned status, const char *reason,
    struct rp_buf *out)
{
	char title[96];

	snprintf(title, sizeof(title), "%u %s", status, reason);
	head(out, lang, title);
	rp_buf_add_c(out, "<main><div class=\"wrap\"><h1>");
	rp_html_escape(out, rp_str_c(title));
	rp_buf_printf(out, "</h1><p><a href=\"/\">%s</a></p></div></main>\n"
	    "</body>\n</html>\n",
	    lang == RP_LANG_EN ? "Back to the home page" : "トップページへ戻る");
	return out->err;
}
