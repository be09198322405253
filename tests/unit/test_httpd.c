/* SPDX-License-Identifier: ISC */
/*
 * test_httpd.c — util/httpd against real sockets: a listener on 127.0.0.1
 * with a kernel-chosen port; clients bind to other loopback addresses
 * (Linux routes all of 127/8 to lo) to stand for other hosts and other
 * /24 networks.  Covers the cap per /24, the pool for anyone and the
 * reserved slots of the privileged addresses, the deadline for a whole
 * request (a client trickling header bytes is cut; a handler that takes
 * its time after the request is in is not), the deadline again for a
 * second request on a kept-alive connection, bind address checks, and
 * the address helpers (IPv6 /64, IPv4-mapped) on the .c itself.
 */
#include "util/common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/httpd.h"
#include "util/log.h"

#include "../../src/util/httpd.c"

#include "tap.h"

static unsigned slow_ms;		/* the handler's delay, when asked */

static enum MHD_Result
serve(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	static int first;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)cls; (void)url; (void)method; (void)version; (void)upload_data;
	if (*con_cls == NULL) {
		*con_cls = &first;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/slow") == 0)
		usleep(slow_ms * 1000);
	resp = MHD_create_response_from_buffer(3, (void *)"ok\n",
	    MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static uint32_t port;

/* A TCP connection to the listener from source address src. */
static int
dial(const char *src)
{
	struct sockaddr_in sin;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, src, &sin.sin_addr);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(s);
		return -1;
	}
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(s);
		return -1;
	}
	return s;
}

/* Whether the server closed s within ms (recv gives EOF or an error). */
static bool
closed_within(int s, int ms)
{
	struct pollfd p = { s, POLLIN, 0 };
	char c[512];

	if (poll(&p, 1, ms) != 1)
		return false;
	return recv(s, c, sizeof(c), MSG_DONTWAIT) <= 0;
}

/* Sends a GET and reads the status; 0 if there was no answer. */
static int
get(int s, const char *path, bool keep)
{
	char rq[128], in[1024];
	struct pollfd p = { s, POLLIN, 0 };
	ssize_t k;
	int status = 0;

	snprintf(rq, sizeof(rq), "GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n", path,
	    keep ? "" : "Connection: close\r\n");
	if (send(s, rq, strlen(rq), MSG_NOSIGNAL) != (ssize_t)strlen(rq))
		return 0;
	if (poll(&p, 1, 5000) != 1 || (k = recv(s, in, sizeof(in) - 1, 0)) <= 0)
		return 0;
	in[k] = '\0';
	if (sscanf(in, "HTTP/1.1 %d", &status) != 1)
		return 0;
	return status;
}

static int
get_from(const char *src, const char *path)
{
	int s = dial(src), st;

	if (s < 0)
		return -1;
	st = get(s, path, false);
	close(s);
	return st;
}

int
main(void)
{
	struct rp_httpd_opts o;
	struct rp_httpd *h = NULL;
	struct rp_httpd_stats stats;
	struct rp_buf err;
	int held[16], nheld = 0, s;
	char src[32];

	rp_log_set_level(RP_LOG_ERROR);
	rp_buf_init(&err, 512);

	/* ---- Address helpers ---- */
	{
		struct sockaddr_in6 s6;
		uint8_t a[16], n1[8], n2[8];
		int fam = 0;

		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8:1:2:aaaa::1", &s6.sin6_addr);
		ok(addr_of((struct sockaddr *)&s6, sizeof(s6), &fam, a) &&
		    fam == AF_INET6, "IPv6 address");
		net_of(fam, a, n1);
		inet_pton(AF_INET6, "2001:db8:1:2:bbbb::9", &s6.sin6_addr);
		addr_of((struct sockaddr *)&s6, sizeof(s6), &fam, a);
		net_of(fam, a, n2);
		ok(memcmp(n1, n2, 8) == 0, "same /64: same network");
		inet_pton(AF_INET6, "2001:db8:1:3::1", &s6.sin6_addr);
		addr_of((struct sockaddr *)&s6, sizeof(s6), &fam, a);
		net_of(fam, a, n2);
		ok(memcmp(n1, n2, 8) != 0, "another /64: another network");
		inet_pton(AF_INET6, "::ffff:192.0.2.7", &s6.sin6_addr);
		ok(addr_of((struct sockaddr *)&s6, sizeof(s6), &fam, a) &&
		    fam == AF_INET && a[0] == 192 && a[3] == 7,
		    "IPv4-mapped IPv6 counts as IPv4");
	}

	/* ---- Bind address checks ---- */
	rp_httpd_opts_init(&o);
	o.name = "t";
	o.addr_key = "t_addr";
	o.handler = serve;
	o.addr = "localhost";
	ok(rp_httpd_start(&o, &h, NULL, &err) == RP_E_INVAL && h == NULL &&
	    strstr(err.d, "t_addr") != NULL, "a host name is refused");
	rp_buf_reset(&err);
	o.addr = "0.0.0.0";
	o.loopback_only = true;
	ok(rp_httpd_start(&o, &h, NULL, &err) == RP_E_INVAL,
	    "loopback_only refuses 0.0.0.0");
	rp_buf_reset(&err);
	o.loopback_only = false;
	o.addr = "127.0.0.1";
	o.privileged = "127.0.0.1, not-an-address";
	ok(rp_httpd_start(&o, &h, NULL, &err) == RP_E_INVAL,
	    "a bad privileged list is refused");
	rp_buf_reset(&err);

	/* ---- Pool, reserved slots, cap per /24 ---- */
	o.max_conn = 6;
	o.reserved = 2;
	o.max_per_prefix = 3;
	o.privileged = "127.0.0.1";
	o.idle_timeout_s = 30;
	o.request_timeout_s = 30;
	ok(rp_httpd_start(&o, &h, &port, &err) == 0 && port > 0,
	    "listener started");
	for (int i = 0; i < 3; i++) {
		snprintf(src, sizeof(src), "127.0.5.%d", i + 1);
		held[nheld++] = dial(src);
	}
	usleep(200 * 1000);
	s = dial("127.0.5.9");
	ok(s >= 0 && closed_within(s, 2000),
	    "a 4th connection from the same /24 is closed at once");
	if (s >= 0)
		close(s);
	is_int(get_from("127.0.6.1", "/"), 200, "another /24 is served");
	for (int i = 0; i < 3; i++) {
		snprintf(src, sizeof(src), "127.0.6.%d", i + 1);
		held[nheld++] = dial(src);
	}
	usleep(200 * 1000);
	rp_httpd_stats(h, &stats);
	is_int(stats.open, 6, "6 idle connections: the pool is full");
	ok(stats.refused_prefix >= 1, "the per-network refusal is counted");
	s = dial("127.0.7.1");
	ok(s >= 0 && closed_within(s, 2000),
	    "pool full: a connection from anyone else is closed");
	if (s >= 0)
		close(s);
	is_int(get_from("127.0.0.1", "/"), 200,
	    "pool full: the privileged address is still served");
	held[nheld++] = dial("127.0.0.1");
	held[nheld++] = dial("127.0.0.1");
	usleep(200 * 1000);
	s = dial("127.0.0.1");
	{
		const char *rq = "GET / HTTP/1.1\r\nHost: x\r\n"
		    "Connection: close\r\n\r\n";
		struct pollfd p = { s, POLLIN, 0 };
		char in[256];

		/* MHD stops accepting at its limit: the kernel holds it. */
		ok(s >= 0 && send(s, rq, strlen(rq), MSG_NOSIGNAL) > 0 &&
		    poll(&p, 1, 1000) == 0,
		    "every slot used: even the privileged address waits");
		close(held[--nheld]);
		ok(poll(&p, 1, 3000) == 1 && recv(s, in, sizeof(in), 0) > 12 &&
		    strncmp(in, "HTTP/1.1 200", 12) == 0,
		    "... and is served once a slot is free");
	}
	if (s >= 0)
		close(s);
	while (nheld > 0)
		close(held[--nheld]);
	usleep(300 * 1000);
	is_int(get_from("127.0.7.1", "/"), 200,
	    "slots are given back when connections close");
	rp_httpd_stop(h);
	h = NULL;

	/* ---- Deadline for a whole request ---- */
	o.max_conn = 8;
	o.reserved = 0;
	o.max_per_prefix = 0;
	o.idle_timeout_s = 10;
	o.request_timeout_s = 1;
	ok(rp_httpd_start(&o, &h, &port, &err) == 0, "listener with a 1 s "
	    "request deadline, 10 s idle timeout");
	s = dial("127.0.0.1");
	{
		const char *head = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
		bool cut = false;

		if (s >= 0)
			(void)send(s, head, strlen(head), MSG_NOSIGNAL);
		/* One byte every 200 ms: never idle, never finished. */
		for (int i = 0; i < 20 && s >= 0 && !cut; i++) {
			if (send(s, "a", 1, MSG_NOSIGNAL) != 1)
				cut = true;
			else
				cut = closed_within(s, 200);
		}
		ok(cut, "a client trickling header bytes is cut at the "
		    "deadline, before the idle timeout");
	}
	if (s >= 0)
		close(s);
	rp_httpd_stats(h, &stats);
	is_int(stats.timed_out, 1, "... and counted");
	slow_ms = 1800;
	is_int(get_from("127.0.0.1", "/slow"), 200,
	    "a handler slower than the deadline, once the request is in, "
	    "is not cut");
	slow_ms = 0;
	s = dial("127.0.0.1");
	is_int(get(s, "/", true), 200, "kept-alive: first request");
	usleep(700 * 1000);
	is_int(get(s, "/", true), 200, "kept-alive: second request in time");
	ok(closed_within(s, 2500),
	    "kept-alive: an idle connection is cut a deadline after its "
	    "last request");
	close(s);
	rp_httpd_stop(h);
	h = NULL;
	rp_httpd_stop(NULL);

	rp_buf_release(&err);
	return tap_done();
}
