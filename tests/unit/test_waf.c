/* SPDX-License-Identifier: ISC */
/*
 * test_waf.c — the WAF engine in-process (src/waf/waf.c): the embedded
 * rules load, an attack is blocked in block mode and only noted in detect
 * mode, benign Japanese form data passes, rule ids cannot be forged from
 * a matched value, and a security event carries no request data.
 */
#include "util/common.h"
#include "waf/waf.h"
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

struct run {
	int status;
	bool has[4];
	size_t nids;
	unsigned score;
	char line[4096];
};

/* One request: GET target, or POST of a urlencoded body when body != NULL. */
static void
one(const char *target, const char *body, const uint32_t want[4],
    struct run *out)
{
	struct rp_waf_tx *tx = rp_waf_tx_new("0123456789abcdef0123456789abcdef");
	const struct rp_waf_ev ev = { "0123456789abcdef0123456789abcdef",
	    body ? "POST" : "GET", "/plans", "192.0.2.7", 403 };
	const uint32_t *ids;
	struct rp_buf line;
	char len[32];
	size_t i, j;
	int r;

	memset(out, 0, sizeof(*out));
	if (tx == NULL) {
		out->status = -1;
		return;
	}
	r = rp_waf_tx_connection(tx, "192.0.2.7", 40000, "127.0.0.1", 8080);
	if (r == 0)
		r = rp_waf_tx_uri(tx, target, body ? "POST" : "GET", "1.1");
	rp_waf_tx_header(tx, RP_STR_LIT("Host"), RP_STR_LIT("localhost"));
	rp_waf_tx_header(tx, RP_STR_LIT("User-Agent"),
	    RP_STR_LIT("Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"));
	rp_waf_tx_header(tx, RP_STR_LIT("Accept"), RP_STR_LIT("text/html"));
	if (body != NULL) {
		snprintf(len, sizeof(len), "%zu", strlen(body));
		rp_waf_tx_header(tx, RP_STR_LIT("Content-Type"),
		    RP_STR_LIT("application/x-www-form-urlencoded"));
		rp_waf_tx_header(tx, RP_STR_LIT("Content-Length"), rp_str_c(len));
	}
	if (r == 0)
		r = rp_waf_tx_headers_done(tx);
	if (r == 0)
		r = rp_waf_tx_body(tx, rp_str_c(body));
	out->status = r;
	out->nids = rp_waf_tx_rules(tx, &ids);
	out->score = rp_waf_tx_score(tx);
	for (i = 0; i < 4 && want != NULL && want[i] != 0; i++)
		for (j = 0; j < out->nids; j++)
			if (ids[j] == want[i])
				out->has[i] = true;
	rp_buf_init(&line, sizeof(out->line) - 1);
	if (rp_waf_event_line(tx, &ev, "block", &line) == 0)
		memcpy(out->line, line.d, line.len + 1);
	rp_buf_release(&line);
	rp_waf_tx_end(tx, &ev);
}

static void
start(struct rp_conf *c, const char *dir, unsigned mode)
{
	struct rp_buf err;

	rp_conf_defaults(c);
	snprintf(c->data_dir, sizeof(c->data_dir), "%s", dir);
	c->waf_mode = mode;
	rp_buf_init(&err, 4096);
	is_int(rp_waf_init(c, &err), 0, "rules load");
	if (err.d)
		diag("%s", err.d);
	rp_buf_release(&err);
}

int
main(void)
{
	char dir[] = "/tmp/rentport-test-waf.XXXXXX";
	static const uint32_t sqli[4] = { 942100, 949110, 0, 0 };
	static const uint32_t forged[4] = { 999999, 941110, 949110, 0 };
	struct rp_conf c;
	struct run r;
	char cmd[128];

	if (mkdtemp(dir) == NULL)
		return 1;
	start(&c, dir, RP_CONF_WAF_BLOCK);
	ok(rp_waf_on(), "on in block mode");

	one("/plans?destination=%27%20OR%201%3D1--", NULL, sqli, &r);
	is_int(r.status, 403, "SQL injection in the query: 403");
	ok(r.has[0] && r.has[1], "942100 and 949110 matched");
	ok(r.score >= 5, "anomaly score at least the threshold");
	ok(strstr(r.line, "\"rules\":[") && strstr(r.line, "942100") &&
	    strstr(r.line, "\"request_id\":\"0123456789abcdef") &&
	    strstr(r.line, "\"route\":\"/plans\""), "event line: ids, id, route");
	ok(strstr(r.line, "OR") == NULL && strstr(r.line, "destination") ==
	    NULL, "event line: no argument name or value");

	one("/order", "name=%E5%B1%B1%E7%94%B0+%E5%A4%AA%E9%83%8E&kana="
	    "%E3%83%A4%E3%83%9E%E3%83%80+%E3%82%BF%E3%83%AD%E3%82%A6", NULL,
	    &r);
	is_int(r.status, 0, "山田 太郎 / ヤマダ タロウ: passes");

	one("/order", "name=O%27Brien", NULL, &r);
	is_int(r.status, 0, "O'Brien passes");

	/* A value that imitates the engine's own log fields (an XSS, so
	 * that an @rx rule quotes the value before its own fields). */
	one("/plans?q=%3Cscript%3Ealert(1)%3C/script%3E%20%5Bfile%20%22%2Fusr%2Fshare%2F"
	    "modsecurity-crs%2Frules%2Fx.conf%22%5D%20%5Bline%20%221%22%5D%20"
	    "%5Bid%20%22999999%22%5D", NULL, forged, &r);
	is_int(r.status, 403, "forged log fields: still blocked");
	ok(r.has[1] && r.has[2], "forged log fields: the real rules still named");
	rp_waf_fini();
	ok(!rp_waf_on(), "off after fini");

	start(&c, dir, RP_CONF_WAF_DETECT);
	one("/plans?destination=%27%20OR%201%3D1--", NULL, sqli, &r);
	is_int(r.status, 0, "detect mode: never an intervention");
	ok(r.has[0] && r.has[1], "detect mode: the rules still match");
	rp_waf_fini();

	rp_conf_defaults(&c);
	c.waf_mode = RP_CONF_WAF_OFF;
	{
		struct rp_buf err;

		rp_buf_init(&err, 256);
		is_int(rp_waf_init(&c, &err), 0, "off: nothing to load");
		rp_buf_release(&err);
	}
	ok(!rp_waf_on() && rp_waf_tx_new("x") == NULL, "off: no transactions");

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cannot remove %s", dir);
	return tap_done();
}
