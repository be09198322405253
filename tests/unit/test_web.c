/* SPDX-License-Identifier: ISC */
/*
 * test_web.c — the web worker without the parent: metrics in shared
 * memory across fork, Prometheus rendering, HTML escaping, language
 * choice, assets and ETags, the listening socket, and a forked worker
 * (rp_web_serve) answering real HTTP requests over loopback, sending one
 * well-formed access message per request, stopping on RP_MSG_STOP and
 * exiting non-zero on a malformed message from its parent.
 */
#include "util/common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc/msg.h"
#include "web/assets.h"
#include "web/metrics.h"
#include "web/pages.h"
#include "web/web.h"

#include "tap.h"

static void
test_metrics(void)
{
	static const struct rp_metrics_label labels[] = {
		{ NULL, "rejected" }, { NULL, "unmatched" }, { "GET", "/healthz" },
	};
	struct rp_metrics *m = rp_metrics_create();
	struct rp_buf out;
	pid_t pid;
	int st;

	ok(m != NULL, "metrics area mapped");
	pid = fork();
	if (pid == 0) {
		/* A "worker": its counts must show in the parent. */
		rp_metrics_observe(m, 2, 200, 150, 3);
		rp_metrics_observe(m, 2, 200, 2000000, 3);
		rp_metrics_observe(m, 1, 404, 50, 10);
		rp_metrics_observe(m, 99, 999, 1, 0);
		rp_metrics_child_restart(m, "web");
		_exit(0);
	}
	waitpid(pid, &st, 0);
	rp_metrics_child_restart(m, "mystery");
	rp_metrics_in_flight(m, +1);
	rp_metrics_access_dropped(m);
	rp_buf_init(&out, 1 << 20);
	is_int(rp_metrics_render(m, labels, 3, &out), 0, "render");
	ok(strstr(out.d, "# TYPE rentport_http_requests_total counter\n") != NULL,
	    "TYPE line");
	ok(strstr(out.d, "rentport_http_requests_total{method=\"GET\","
	    "route=\"/healthz\",status=\"200\"} 2\n") != NULL,
	    "counts from the forked child, by route and status");
	ok(strstr(out.d, "rentport_http_requests_total{route=\"unmatched\","
	    "status=\"404\"} 1\n") != NULL, "unmatched 404");
	ok(strstr(out.d, "rentport_http_requests_total{route=\"rejected\","
	    "status=\"other\"} 1\n") != NULL, "bad slot and status → rejected/other");
	ok(strstr(out.d, "rentport_http_request_duration_seconds_bucket{method="
	    "\"GET\",route=\"/healthz\",le=\"0.0001\"} 0\n") != NULL,
	    "first bucket empty");
	ok(strstr(out.d, "rentport_http_request_duration_seconds_bucket{method="
	    "\"GET\",route=\"/healthz\",le=\"0.00025\"} 1\n") != NULL,
	    "150 µs in the 250 µs bucket");
	ok(strstr(out.d, "route=\"/healthz\",le=\"2.5\"} 2\n") != NULL,
	    "buckets are cumulative");
	ok(strstr(out.d, "route=\"/healthz\",le=\"+Inf\"} 2\n") != NULL, "+Inf");
	ok(strstr(out.d, "rentport_http_request_duration_seconds_sum{method="
	    "\"GET\",route=\"/healthz\"} 2.000150\n") != NULL, "sum in seconds");
	ok(strstr(out.d, "rentport_http_request_duration_seconds_count{method="
	    "\"GET\",route=\"/healthz\"} 2\n") != NULL, "count");
	ok(strstr(out.d, "rentport_http_response_bytes_total{method=\"GET\","
	    "route=\"/healthz\"} 6\n") != NULL, "bytes");
	ok(strstr(out.d, "rentport_child_restarts_total{kind=\"web\"} 1\n") != NULL,
	    "restart recorded by kind");
	ok(strstr(out.d, "rentport_child_restarts_total{kind=\"other\"} 1\n") != NULL,
	    "unknown kind → other");
	ok(strstr(out.d, "rentport_http_in_flight 1\n") != NULL, "in flight");
	ok(strstr(out.d, "rentport_access_log_dropped_total 1\n") != NULL, "dropped");
	rp_buf_release(&out);
	rp_metrics_free(m);
	rp_metrics_observe(NULL, 0, 200, 1, 1);		/* NULL-safe */
}

static void
test_pages(void)
{
	struct rp_buf b;

	rp_buf_init(&b, 1 << 16);
	is_int(rp_html_escape(&b, RP_STR_LIT("<a href=\"x\">'&'</a>")), 0, "escape");
	is_str(b.d, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
	    "HTML escaped");
	rp_buf_reset(&b);
	is_int(rp_page_home(RP_LANG_JA, &b), 0, "home ja");
	ok(strstr(b.d, "<html lang=\"ja\">") && strstr(b.d, "海外WiFiレンタル") &&
	    strstr(b.d, "/static/style.css"), "Japanese home links the stylesheet");
	rp_buf_reset(&b);
	is_int(rp_page_home(RP_LANG_EN, &b), 0, "home en");
	ok(strstr(b.d, "<html lang=\"en\">") && strstr(b.d, "Wi-Fi rental"),
	    "English home");
	rp_buf_release(&b);

	is_int(rp_lang_pick(RP_STR_NULL, RP_STR_NULL, RP_STR_NULL), RP_LANG_JA,
	    "Japanese by default");
	is_int(rp_lang_pick(RP_STR_LIT("en"), RP_STR_LIT("ja"), RP_STR_NULL),
	    RP_LANG_EN, "query wins over cookie");
	is_int(rp_lang_pick(RP_STR_LIT("xx"), RP_STR_LIT("en"), RP_STR_NULL),
	    RP_LANG_EN, "bad query value falls back to the cookie");
	is_int(rp_lang_pick(RP_STR_NULL, RP_STR_NULL,
	    RP_STR_LIT("fr-FR, en-US;q=0.8, ja;q=0.5")), RP_LANG_EN,
	    "first of ja/en in Accept-Language");
	is_int(rp_lang_pick(RP_STR_NULL, RP_STR_NULL, RP_STR_LIT("ja-JP,en")),
	    RP_LANG_JA, "ja-JP");
}

static void
test_assets(void)
{
	const struct rp_asset *a;

	ok(rp_asset_find(RP_STR_LIT("style.css")) == NULL, "nothing before init");
	is_int(rp_assets_init(), 0, "assets init");
	a = rp_asset_find(RP_STR_LIT("style.css"));
	ok(a != NULL && a->len > 100 && strncmp(a->type, "text/css", 8) == 0,
	    "style.css embedded");
	ok(a != NULL && strlen(a->etag) == 34 && a->etag[0] == '"',
	    "strong ETag");
	ok(rp_asset_find(RP_STR_LIT("../web.c")) == NULL, "no path lookup");
	ok(rp_asset_find(RP_STR_LIT("robots.txt")) != NULL, "robots.txt");
	ok(rp_etag_match(RP_STR_LIT("\"abc\""), "\"abc\""), "exact");
	ok(rp_etag_match(RP_STR_LIT("\"x\", W/\"abc\""), "\"abc\""), "list, weak");
	ok(rp_etag_match(RP_STR_LIT(" * "), "\"abc\""), "star");
	ok(!rp_etag_match(RP_STR_LIT("\"abcd\""), "\"abc\""), "different tag");
	ok(!rp_etag_match(RP_STR_LIT("abc"), "\"abc\""), "unquoted is not equal");
}

/* A raw HTTP exchange over loopback (reqlen 0: strlen); returns the
 * response (owned). */
static char *
http(int port, const char *req, size_t reqlen)
{
	struct sockaddr_in sin;
	struct rp_buf b;
	char tmp[4096];
	ssize_t n;
	int s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(s, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		return NULL;
	if (reqlen == 0)
		reqlen = strlen(req);
	if (write(s, req, reqlen) != (ssize_t)reqlen) {
		close(s);
		return NULL;
	}
	rp_buf_init(&b, 1 << 20);
	while ((n = read(s, tmp, sizeof(tmp))) > 0)
		rp_buf_add(&b, tmp, (size_t)n);
	close(s);
	if (b.d == NULL)
		rp_buf_add_c(&b, "");
	return rp_buf_detach(&b, NULL);
}

static int
status_of(const char *resp)
{
	int st = 0;

	if (resp == NULL || sscanf(resp, "HTTP/1.%*d %d", &st) != 1)
		return -1;
	return st;
}

static bool
has_security_headers(const char *resp)
{
	return resp != NULL &&
	    strstr(resp, "\r\nContent-Security-Policy: default-src 'self';") &&
	    strstr(resp, "frame-ancestors 'none'") &&
	    strstr(resp, "\r\nX-Content-Type-Options: nosniff\r\n") &&
	    strstr(resp, "\r\nReferrer-Policy: ") &&
	    strstr(resp, "\r\nX-Frame-Options: DENY\r\n") &&
	    strstr(resp, "\r\nX-Request-Id: ");
}

/* Reads one access message; 0 and its fields, or an error. */
static int
read_access(int fd, char *route, size_t routesz, uint32_t *status)
{
	static uint8_t buf[RP_MSG_MAX_FRAME];
	struct rp_msg m;
	struct rp_str method, rt, id;
	uint64_t bytes, us;
	struct pollfd p = { fd, POLLIN, 0 };
	int r;

	uint32_t kind, index;

 again:
	if (poll(&p, 1, 5000) != 1)
		return RP_E_AGAIN;
	if ((r = rp_msg_recv(fd, buf, &m)) != 0)
		return r;
	if (m.type == RP_MSG_READY) {
		/* Sent once at start: kind 0 (web), index 1. */
		if (rp_msg_get_u32(&m, &kind) != 0 ||
		    rp_msg_get_u32(&m, &index) != 0 || rp_msg_end(&m) != 0 ||
		    kind != 0 || index != 1)
			return RP_E_PROTO;
		goto again;
	}
	if (m.type != RP_MSG_ACCESS || rp_msg_get_str(&m, &method, 16) != 0 ||
	    rp_msg_get_str(&m, &rt, 256) != 0 ||
	    rp_msg_get_u32(&m, status) != 0 ||
	    rp_msg_get_u64(&m, &bytes) != 0 || rp_msg_get_u64(&m, &us) != 0 ||
	    rp_msg_get_str(&m, &id, 64) != 0 || rp_msg_end(&m) != 0 ||
	    id.n != 32)
		return RP_E_PROTO;
	snprintf(route, routesz, "%.*s", (int)rt.n, rt.p);
	return 0;
}

static void
test_worker(void)
{
	struct rp_conf conf;
	struct rp_buf err;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct rp_metrics *m;
	struct rp_msgw w;
	char route[256], req[8192], *resp;
	uint32_t status;
	int lfd, sp[2], port, st;
	pid_t pid;

	rp_conf_defaults(&conf);
	snprintf(conf.listen_addr, sizeof(conf.listen_addr), "127.0.0.1");
	conf.port = 0;
	conf.http_threads = 2;
	snprintf(conf.data_dir, sizeof(conf.data_dir), "/nonexistent/rentport");
	/* No data dir for the WAF's rules (tests/waf tests the WAF). */
	conf.waf_mode = RP_CONF_WAF_OFF;
	rp_buf_init(&err, 256);
	snprintf(conf.listen_addr, sizeof(conf.listen_addr), "localhost");
	is_int(rp_web_listen(&conf, &lfd, &err), RP_E_INVAL, "names refused");
	ok(lfd == -1 && err.len > 0, "message names the problem");
	snprintf(conf.listen_addr, sizeof(conf.listen_addr), "127.0.0.1");
	if (!ok(rp_web_listen(&conf, &lfd, &err) == 0, "listen on loopback"))
		diag("%s", err.d ? err.d : "");
	rp_buf_release(&err);
	getsockname(lfd, (struct sockaddr *)&sin, &sl);
	port = ntohs(sin.sin_port);
	m = rp_metrics_create();
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);

	if ((pid = fork()) == 0) {
		close(sp[0]);
		_exit(rp_web_serve(&conf, lfd, -1, sp[1], 1, m));
	}
	close(sp[1]);

	resp = http(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0);
	is_int(status_of(resp), 200, "GET /healthz → 200");
	ok(resp && strstr(resp, "\r\n\r\nok\n"), "body ok");
	ok(has_security_headers(resp), "security headers on 200");
	free(resp);
	is_int(read_access(sp[0], route, sizeof(route), &status), 0,
	    "access message well-formed");
	is_str(route, "/healthz", "access message names the route");
	is_int(status, 200, "access message status");

	resp = http(port, "GET /no/such?email=a@b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0);
	is_int(status_of(resp), 404, "unknown route → 404");
	ok(has_security_headers(resp), "security headers on 404");
	free(resp);
	is_int(read_access(sp[0], route, sizeof(route), &status), 0, "access 404");
	is_str(route, "unmatched", "404 logged as unmatched, no raw path");

	resp = http(port, "GET /a/../etc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0);
	is_int(status_of(resp), 400, "dot-segment → 400");
	ok(has_security_headers(resp), "security headers on 400");
	free(resp);
	(void)read_access(sp[0], route, sizeof(route), &status);

	snprintf(req, sizeof(req), "GET /%04000d HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n", 1);
	resp = http(port, req, strlen(req));
	is_int(status_of(resp), 414, "long URL → 414");
	ok(has_security_headers(resp), "security headers on 414");
	free(resp);
	(void)read_access(sp[0], route, sizeof(route), &status);

	resp = http(port, "DELETE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0);
	is_int(status_of(resp), 405, "DELETE /healthz → 405");
	ok(resp && strstr(resp, "\r\nAllow: GET, HEAD\r\n"), "Allow header");
	free(resp);
	(void)read_access(sp[0], route, sizeof(route), &status);

	resp = http(port, "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0);
	is_int(status_of(resp), 503, "readyz without a store → 503");
	free(resp);
	(void)read_access(sp[0], route, sizeof(route), &status);

	/* Stop cleanly on RP_MSG_STOP. */
	rp_msgw_begin(&w, RP_MSG_STOP);
	is_int(rp_msgw_send(sp[0], &w, 0), 0, "STOP sent");
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "worker exits 0 on STOP");
	close(sp[0]);

	/* A malformed message from the parent: fail closed. */
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
	if ((pid = fork()) == 0) {
		close(sp[0]);
		_exit(rp_web_serve(&conf, lfd, -1, sp[1], 2, m));
	}
	close(sp[1]);
	is_int(send(sp[0], "\x03\x00\x00\x00\xff\x00", 6, 0), 6, "garbage sent");
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) != 0,
	    "worker exits non-zero on a malformed message");
	close(sp[0]);

	/* The parent going away ends the worker too. */
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
	if ((pid = fork()) == 0) {
		close(sp[0]);
		_exit(rp_web_serve(&conf, lfd, -1, sp[1], 3, m));
	}
	close(sp[1]);
	close(sp[0]);
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st), "worker exits when the parent's socket closes");
	close(lfd);
	rp_metrics_free(m);
}

/*
 * Issue 10: /metrics is served only on the internal listener (its own
 * socket, loopback by default), never on the sites' port.
 */
static void
test_metrics_listener(void)
{
	struct rp_conf conf;
	struct rp_buf err;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct rp_metrics *m;
	struct rp_msgw w;
	char *resp;
	int lfd, mfd, sp[2], port, mport, st;
	pid_t pid;

	rp_conf_defaults(&conf);
	ok(strcmp(conf.metrics_addr, "127.0.0.1") == 0,
	    "metrics_addr is loopback by default");
	conf.port = conf.metrics_port = 0;
	conf.http_threads = 2;
	snprintf(conf.data_dir, sizeof(conf.data_dir), "/nonexistent/rentport");
	conf.waf_mode = RP_CONF_WAF_OFF;
	rp_buf_init(&err, 256);
	snprintf(conf.metrics_addr, sizeof(conf.metrics_addr), "localhost");
	is_int(rp_metrics_listen(&conf, &mfd, &err), RP_E_INVAL,
	    "metrics_addr: names refused");
	ok(mfd == -1 && err.d && strstr(err.d, "metrics_addr"),
	    "the message names metrics_addr");
	snprintf(conf.metrics_addr, sizeof(conf.metrics_addr), "127.0.0.1");
	ok(rp_web_listen(&conf, &lfd, &err) == 0 &&
	    rp_metrics_listen(&conf, &mfd, &err) == 0, "both listeners");
	rp_buf_release(&err);
	getsockname(lfd, (struct sockaddr *)&sin, &sl);
	port = ntohs(sin.sin_port);
	sl = sizeof(sin);
	getsockname(mfd, (struct sockaddr *)&sin, &sl);
	mport = ntohs(sin.sin_port);
	ok(mport != port && sin.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	    "the metrics listener is its own loopback socket");
	m = rp_metrics_create();
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
	if ((pid = fork()) == 0) {
		close(sp[0]);
		_exit(rp_web_serve(&conf, lfd, mfd, sp[1], 1, m));
	}
	close(sp[1]);

	resp = http(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n", 0);
	is_int(status_of(resp), 200, "site port: /healthz → 200");
	free(resp);
	resp = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n", 0);
	is_int(status_of(resp), 404, "site port: GET /metrics → 404");
	ok(resp && !strstr(resp, "rentport_http_requests_total"),
	    "site port: no metrics in the answer");
	free(resp);
	resp = http(mport, "GET /metrics HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n", 0);
	is_int(status_of(resp), 200, "metrics port: GET /metrics → 200");
	ok(resp && strstr(resp, "\r\nContent-Type: text/plain; version=0.0.4") &&
	    strstr(resp, "rentport_http_requests_total{method=\"GET\","
	    "route=\"/healthz\",status=\"200\"} 1\n") &&
	    strstr(resp, "route=\"unmatched\",status=\"404\"} 1\n"),
	    "metrics port: the site port's requests counted");
	ok(resp && !strstr(resp, "route=\"/metrics\""),
	    "no /metrics route among the site routes");
	free(resp);
	resp = http(mport, "GET / HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n", 0);
	is_int(status_of(resp), 404, "metrics port: GET / → 404 (nothing else)");
	free(resp);
	resp = http(mport, "GET /healthz HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n", 0);
	is_int(status_of(resp), 404, "metrics port: no site routes");
	free(resp);
	resp = http(mport, "POST /metrics HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n", 0);
	is_int(status_of(resp), 404, "metrics port: POST /metrics → 404");
	free(resp);

	rp_msgw_begin(&w, RP_MSG_STOP);
	is_int(rp_msgw_send(sp[0], &w, 0), 0, "STOP sent");
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "worker exits 0 on STOP");
	close(sp[0]);
	close(lfd);
	close(mfd);
	rp_metrics_free(m);
}

int
main(void)
{
	test_metrics();
	test_pages();
	test_assets();
	test_worker();
	test_metrics_listener();
	return tap_done();
}
