/* SPDX-License-Identifier: ISC */
/*
 * assets.c — the static asset table (see assets.h).  The content is
 * trusted (compiled in); request input only selects an entry by exact
 * name, never builds a file path.
 */
#include "util/common.h"

#include <sodium.h>

#include "util/embed.h"
#include "web/assets.h"

static struct rp_asset assets[] = {
	{ "style.css", "src/web/static/style.css", "text/css; charset=utf-8",
	  NULL, 0, "" },
	{ "logo.svg", "src/web/static/logo.svg", "image/svg+xml", NULL, 0, "" },
	{ "checkout.js", "src/web/static/checkout.js",
	  "text/javascript; charset=utf-8", NULL, 0, "" },
	{ "robots.txt", "src/web/static/robots.txt", "text/plain; charset=utf-8",
	  NULL, 0, "" },
};
static bool assets_ready;

int
rp_assets_init(void)
{
	unsigned char h[16];
	char hex[sizeof(h) * 2 + 1];
	size_t i;

	if (assets_ready)
		return 0;
	if (sodium_init() < 0)
		return RP_E_STATE;
	for (i = 0; i < RP_ARRAY_LEN(assets); i++) {
		const struct rp_embed *e = rp_embed_find(assets[i].file);

		if (e == NULL)
			return RP_E_NOTFOUND;
		assets[i].data = e->data;
		assets[i].len = e->len;
		crypto_generichash(h, sizeof(h), (const unsigned char *)e->data,
		    e->len, NULL, 0);
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		snprintf(assets[i].etag, sizeof(assets[i].etag), "\"%s\"", hex);
	}
	assets_ready = true;
	return 0;
}

const struct rp_asset *
rp_asset_find(struct rp_str name)
{
	size_t i;

	if (!assets_ready)
		return NULL;
	for (i = 0; i < RP_ARRAY_LEN(assets); i++)
		if (rp_str_eq_c(name, assets[i].name))
			return &assets[i];
	return NULL;
}

bool
rp_etag_match(struct rp_str inm, const char *etag)
{
	struct rp_str rest = rp_str_trim(inm), tag;

	if (rp_str_eq_c(rest, "*"))
		return true;
	while (rest.n > 0) {
		if (!rp_str_split(&rest, ',', &tag)) {
			tag = rest;
			rest.n = 0;
		}
		tag = rp_str_trim(tag);
		if (rp_str_has_prefix(tag, "W/")) {
			tag.p += 2;
			tag.n -= 2;
		}
		if (rp_str_eq_c(tag, etag))
			return true;
	}
	return false;
}
