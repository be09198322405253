/* SPDX-License-Identifier: ISC */
/*
 * test_mail.c — the mail outbox and sender: enqueue and its idempotency,
 * ja/en rendering (headers, RFC 2047 subject decoded back, body, no header
 * injection from params, names or addresses, folding), the .eml transport
 * (files parsed by Python's email package), the SMTP transport against an
 * in-process sink on a free port (delivery, sink down → backoff, dead after
 * N attempts), vault unavailable → deferred, and an operational log free
 * of addresses and names.
 */
#include "util/common.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "auth/linkseal.h"
#include "mail/mail.h"
#include "util/log.h"
#include "tap.h"

#define NOW	1795000000	/* Wed, 18 Nov 2026 11:06:40 UTC */

static const char *PARAMS =
    "{\"order_number\":\"R-0001\",\"plan\":\"USA 4G 1GB/day\","
    "\"start_date\":\"2026-12-01\",\"end_date\":\"2026-12-08\","
    "\"total\":12800,\"link\":\"https://rentport.example/my/abc123\"}";
static const char *TO_NAME = "山田 太郎";
static const char *TO_ADDR = "taro.yamada@example.jp";
static const char *SUBJ_JA = "【rentport】ご注文を承りました（注文番号 R-0001）";
static const char *SUBJ_EN = "[rentport] Your order R-0001 is confirmed";

static char tmpdir[64];

/* --- helpers: header lookup with unfolding, RFC 2047 and base64 decoding */

static int
header(const char *msg, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name), o = 0;
	const char *p = msg;

	out[0] = '\0';
	while (*p != '\0' && !(p[0] == '\r' && p[1] == '\n')) {
		const char *eol = strstr(p, "\r\n");

		if (eol == NULL)
			return -1;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;

			for (;;) {
				while (*v == ' ')
					v++;
				if (o + (size_t)(eol - v) + 2 > cap)
					return -1;
				memcpy(out + o, v, (size_t)(eol - v));
				o += (size_t)(eol - v);
				if (eol[2] != ' ' && eol[2] != '\t')
					break;
				out[o++] = ' ';	/* unfolded */
				v = eol + 2;
				eol = strstr(v, "\r\n");
			}
			out[o] = '\0';
			return 0;
		}
		p = eol + 2;
	}
	return -1;
}

/* Decodes a sequence of =?UTF-8?B?...?= words (whitespace between them
 * ignored, as RFC 2047 says); text after the last word is appended. */
static int
decode_words(const char *v, char *out, size_t cap)
{
	size_t o = 0, bl;

	while (*v == ' ')
		v++;
	while (strncmp(v, "=?UTF-8?B?", 10) == 0) {
		const char *e = strstr(v + 10, "?=");

		if (e == NULL || sodium_base642bin((unsigned char *)out + o,
		    cap - o - 1, v + 10, (size_t)(e - v - 10), NULL, &bl, NULL,
		    sodium_base64_VARIANT_ORIGINAL) != 0)
			return -1;
		o += bl;
		v = e + 2;
		while (*v == ' ')
			v++;
	}
	if (o + strlen(v) + 1 > cap)
		return -1;
	memcpy(out + o, v, strlen(v) + 1);
	return 0;
}

static int
decode_body(const char *msg, char *out, size_t cap)
{
	const char *b = strstr(msg, "\r\n\r\n");
	char *flat;
	size_t n = 0, bl;
	int r;

	if (b == NULL || (flat = malloc(strlen(b) + 1)) == NULL)
		return -1;
	for (b += 4; *b != '\0'; b++)
		if (*b != '\r' && *b != '\n')
			flat[n++] = *b;
	r = sodium_base642bin((unsigned char *)out, cap - 1, flat, n, NULL, &bl,
	    NULL, sodium_base64_VARIANT_ORIGINAL);
	free(flat);
	if (r != 0)
		return -1;
	out[bl] = '\0';
	return 0;
}

static bool
lines_ok(const char *msg, size_t max)
{
	size_t col = 0;

	for (const char *p = msg; *p != '\0'; p++) {
		if ((unsigned char)*p > 0x7e)
			return false;		/* 7-bit only */
		if (*p == '\n') {
			if (p == msg || p[-1] != '\r')
				return false;	/* bare LF */
			col = 0;
			continue;
		}
		if (*p == '\r' && p[1] != '\n')
			return false;		/* bare CR */
		if (*p != '\r' && ++col > max)
			return false;
	}
	return true;
}

static int
render(const char *kind, const char *lang, const char *params,
    const char *name, const char *addr, struct rp_buf *out)
{
	rp_buf_reset(out);
	return rp_mail_render(kind, lang, rp_str_c(params), RP_STR_LIT("rentport"),
	    RP_STR_LIT("noreply@rentport.example"), rp_str_c(name),
	    rp_str_c(addr), 1, NOW - 3600, NOW, out);
}

/* --- fake vault */

struct fake_vault {
	int mode;		/* 0 answer, else the error to return */
	unsigned calls;
};

static int
fake_fetch(void *arg, uint64_t person_id, const char *order,
    struct rp_mail_rcpt *out)
{
	struct fake_vault *fv = arg;

	(void)order;
	fv->calls++;
	if (fv->mode != 0)
		return fv->mode;
	if (person_id == 7) {
		snprintf(out->name, sizeof(out->name), "%s", TO_NAME);
		snprintf(out->addr, sizeof(out->addr), "%s", TO_ADDR);
	} else if (person_id == 8) {
		snprintf(out->name, sizeof(out->name), "Jane Doe");
		snprintf(out->addr, sizeof(out->addr), "jane@example.com");
	} else if (person_id == 9) {	/* a name trying header injection */
		snprintf(out->name, sizeof(out->name), "X\r\nBcc: evil@example.net");
		snprintf(out->addr, sizeof(out->addr), "x@example.com");
	} else
		return RP_E_NOTFOUND;
	return 0;
}

/* --- SMTP sink: one thread, serves connections until told to stop */

struct sink {
	int lfd;
	int port;
	pthread_t th;
	pthread_mutex_t mu;
	unsigned delivered;
	char rcpt[300];
	char from[300];
	char *data;
	volatile int stop;
};

static int
sink_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap) {
		char c;
		ssize_t r = read(fd, &c, 1);

		if (r <= 0)
			return -1;
		buf[n++] = c;
		if (c == '\n')
			break;
	}
	buf[n] = '\0';
	return (int)n;
}

static void
sink_say(int fd, const char *s)
{
	size_t n = strlen(s);

	if (write(fd, s, n) != (ssize_t)n)
		return;
}

static void *
sink_run(void *arg)
{
	struct sink *sk = arg;
	char line[2048];

	while (!sk->stop) {
		int fd = accept(sk->lfd, NULL, NULL);

		if (fd < 0)
			break;
		sink_say(fd, "220 sink ESMTP\r\n");
		while (sink_line(fd, line, sizeof(line)) > 0) {
			if (strncasecmp(line, "EHLO", 4) == 0 ||
			    strncasecmp(line, "HELO", 4) == 0)
				sink_say(fd, "250 sink\r\n");
			else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
				pthread_mutex_lock(&sk->mu);
				snprintf(sk->from, sizeof(sk->from), "%.*s",
				    (int)strcspn(line + 10, "\r\n"), line + 10);
				pthread_mutex_unlock(&sk->mu);
				sink_say(fd, "250 ok\r\n");
			} else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
				pthread_mutex_lock(&sk->mu);
				snprintf(sk->rcpt, sizeof(sk->rcpt), "%.*s",
				    (int)strcspn(line + 8, "\r\n"), line + 8);
				pthread_mutex_unlock(&sk->mu);
				sink_say(fd, "250 ok\r\n");
			} else if (strncasecmp(line, "DATA", 4) == 0) {
				struct rp_buf d;

				rp_buf_init(&d, 1 << 20);
				sink_say(fd, "354 go ahead\r\n");
				while (sink_line(fd, line, sizeof(line)) > 0 &&
				    strcmp(line, ".\r\n") != 0)
					rp_buf_add_c(&d, line);
				pthread_mutex_lock(&sk->mu);
				free(sk->data);
				sk->data = rp_buf_detach(&d, NULL);
				sk->delivered++;
				pthread_mutex_unlock(&sk->mu);
				sink_say(fd, "250 queued\r\n");
			} else if (strncasecmp(line, "QUIT", 4) == 0) {
				sink_say(fd, "221 bye\r\n");
				break;
			} else
				sink_say(fd, "250 ok\r\n");
		}
		close(fd);
	}
	return NULL;
}

static int
sink_start(struct sink *sk)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	memset(sk, 0, sizeof(*sk));
	pthread_mutex_init(&sk->mu, NULL);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((sk->lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(sk->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(sk->lfd, 8) != 0 ||
	    getsockname(sk->lfd, (struct sockaddr *)&a, &al) != 0)
		return -1;
	sk->port = ntohs(a.sin_port);
	return pthread_create(&sk->th, NULL, sink_run, sk);
}

static void
sink_stop(struct sink *sk)
{
	sk->stop = 1;
	shutdown(sk->lfd, SHUT_RDWR);
	close(sk->lfd);
	pthread_join(sk->th, NULL);
	free(sk->data);
	sk->data = NULL;
	pthread_mutex_destroy(&sk->mu);
}

/* --- python3's email package as an independent parser */

static int
py_check(const char *file, const char *subject, const char *addr,
    const char *name, const char *needle)
{
	static const char *prog =
	    "import sys, email\n"
	    "from email import policy\n"
	    "f, subj, addr, name, needle = sys.argv[1:6]\n"
	    "m = email.message_from_bytes(open(f, 'rb').read(), policy=policy.default)\n"
	    "assert m['subject'] == subj, repr(m['subject'])\n"
	    "to = m['to'].addresses\n"
	    "assert len(to) == 1 and to[0].addr_spec == addr, repr(to)\n"
	    "assert to[0].display_name == name, repr(to[0].display_name)\n"
	    "assert m['bcc'] is None and m['cc'] is None\n"
	    "assert m.get_content_type() == 'text/plain'\n"
	    "assert m.get_content_charset() == 'utf-8'\n"
	    "assert m['message-id'].startswith('<mail-')\n"
	    "assert needle in m.get_content(), 'needle'\n"
	    "assert not m.defects, m.defects\n";
	pid_t pid;
	int st;

	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		execlp("python3", "python3", "-c", prog, file, subject, addr,
		    name, needle, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool
file_contains(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	static char big[1 << 20];
	size_t n;

	if (f == NULL)
		return false;
	n = fread(big, 1, sizeof(big) - 1, f);
	fclose(f);
	big[n] = '\0';
	return memmem(big, n, needle, strlen(needle)) != NULL;
}

/* --- tests */

static void
test_enqueue(struct rp_mail_outbox *ob)
{
	uint64_t id1, id2, id3, n;
	bool created;
	struct rp_mail_info mi;
	struct stat sb;
	char path[128];

	snprintf(path, sizeof(path), "%s/mail/outbox.db", tmpdir);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	    "outbox.db exists with mode 0600");

	is_int(rp_mail_enqueue(ob, "order_confirmed", "ja", "R-0001", 7, PARAMS,
	    "ev-1", NOW, &id1, &created), 0, "enqueue");
	ok(id1 > 0 && created, "new message id, created");
	is_int(rp_mail_enqueue(ob, "order_confirmed", "ja", "R-0001", 7, PARAMS,
	    "ev-1", NOW + 5, &id2, &created), 0, "enqueue again (retried request)");
	ok(id2 == id1 && !created, "same id, nothing queued");
	is_int(rp_mail_enqueue(ob, "order_confirmed", "ja", "R-0001", 7, PARAMS,
	    "ev-2", NOW, &id3, &created), 0, "another dedupe key");
	ok(id3 != id1 && created, "a second message");
	ok(rp_mail_count(ob, -1, &n) == 0 && n == 2, "two messages in all");
	ok(rp_mail_count(ob, RP_MAIL_QUEUED, &n) == 0 && n == 2, "both queued");
	ok(rp_mail_get(ob, id1, &mi) == 0 && mi.state == RP_MAIL_QUEUED &&
	    mi.attempts == 0 && mi.person_id == 7 && mi.next_attempt_at == NOW &&
	    strcmp(mi.order_number, "R-0001") == 0 &&
	    strcmp(mi.kind, "order_confirmed") == 0, "stored fields");
	is_int(rp_mail_get(ob, 99999, &mi), RP_E_NOTFOUND, "unknown id");

	is_int(rp_mail_enqueue(ob, "spam", "ja", "R-1", 7, PARAMS, "", NOW,
	    &id1, NULL), RP_E_INVAL, "unknown kind");
	is_int(rp_mail_enqueue(ob, "order_confirmed", "fr", "R-1", 7, PARAMS, "",
	    NOW, &id1, NULL), RP_E_INVAL, "unknown lang");
	is_int(rp_mail_enqueue(ob, "order_confirmed", "ja", "R 1", 7, PARAMS, "",
	    NOW, &id1, NULL), RP_E_INVAL, "order number with a space");
	is_int(rp_mail_enqueue(ob, "order_confirmed", "ja", "R-1", 0, PARAMS, "",
	    NOW, &id1, NULL), RP_E_INVAL, "person 0");
	is_int(rp_mail_enqueue(ob, "order_confirmed", "ja", "R-1", 7, "[1]", "",
	    NOW, &id1, NULL), RP_E_INVAL, "params not an object");
	is_int(rp_mail_enqueue(ob, "order_confirmed", "ja", "R-1", 7,
	    "{\"plan\":\"a\\r\\nBcc: x@y.z\"}", "", NOW, &id1, NULL), RP_E_INVAL,
	    "params value with CR LF");
	is_int(rp_mail_enqueue(ob, "order_confirmed", "ja", "R-1", 7,
	    "{\"name\":\"x\"}", "", NOW, &id1, NULL), RP_E_INVAL,
	    "params may not carry a name");
	is_int(rp_mail_enqueue(ob, "order_confirmed", "ja", "R-1", 7,
	    "{\"plan\":{\"a\":1}}", "", NOW, &id1, NULL), RP_E_INVAL,
	    "params value that is an object");
	ok(id1 == 0, "id cleared on failure");
	ok(rp_mail_count(ob, -1, &n) == 0 && n == 2, "still two messages");
}

static void
test_render(void)
{
	struct rp_buf b;
	char v[4096], dec[4096];
	static char body[65536];
	char longname[400];

	rp_buf_init(&b, RP_MAIL_MSG_MAX);

	is_int(render("order_confirmed", "ja", PARAMS, TO_NAME, TO_ADDR, &b), 0,
	    "render ja");
	ok(strncmp(b.d, "From: ", 6) == 0, "starts with From");
	diag("rendered headers:");
	for (const char *l = b.d, *e; (e = strstr(l, "\r\n")) != NULL && e > l;
	    l = e + 2)
		diag("  %.*s", (int)(e - l), l);
	ok(lines_ok(b.d, 78), "7-bit, CRLF only, lines <= 78");
	ok(header(b.d, "Subject", v, sizeof(v)) == 0 &&
	    strncmp(v, "=?UTF-8?B?", 10) == 0, "subject is an encoded-word");
	ok(decode_words(v, dec, sizeof(dec)) == 0, "subject decodes");
	is_str(dec, SUBJ_JA, "ja subject round-trips");
	ok(header(b.d, "To", v, sizeof(v)) == 0 &&
	    strstr(v, "<taro.yamada@example.jp>") != NULL, "To has the address");
	ok(decode_words(v, dec, sizeof(dec)) == 0 &&
	    strncmp(dec, TO_NAME, strlen(TO_NAME)) == 0, "To name decodes");
	ok(header(b.d, "From", v, sizeof(v)) == 0 &&
	    strstr(v, "<noreply@rentport.example>") != NULL, "From address");
	ok(header(b.d, "Date", v, sizeof(v)) == 0 &&
	    strcmp(v, "Wed, 18 Nov 2026 11:06:40 +0000") == 0, "Date RFC 5322");
	ok(header(b.d, "Message-ID", v, sizeof(v)) == 0 &&
	    strcmp(v, "<mail-1.1794996400@rentport.example>") == 0,
	    "Message-ID from id and creation time");
	ok(header(b.d, "MIME-Version", v, sizeof(v)) == 0 &&
	    strcmp(v, "1.0") == 0, "MIME-Version");
	ok(header(b.d, "Content-Type", v, sizeof(v)) == 0 &&
	    strcmp(v, "text/plain; charset=UTF-8") == 0, "Content-Type");
	ok(header(b.d, "Content-Transfer-Encoding", v, sizeof(v)) == 0 &&
	    strcmp(v, "base64") == 0, "Content-Transfer-Encoding");
	ok(decode_body(b.d, body, sizeof(body)) == 0, "body decodes");
	ok(strstr(body, "R-0001") != NULL, "body has the order number");
	ok(strstr(body, "山田 太郎 様") != NULL, "body has the name");
	ok(strstr(body, "https://rentport.example/my/abc123") != NULL,
	    "body has the link");
	ok(strstr(body, "12800 円") != NULL, "body has the total");
	ok(strstr(body, "{{") == NULL, "no placeholder left");
	ok(strstr(body, "\r\n") != NULL && strstr(body, "Subject") == NULL,
	    "body in CRLF lines, without the template's subject line");

	is_int(render("order_confirmed", "en", PARAMS, "Jane Doe",
	    "jane@example.com", &b), 0, "render en");
	ok(header(b.d, "Subject", v, sizeof(v)) == 0 &&
	    decode_words(v, dec, sizeof(dec)) == 0, "en subject decodes");
	is_str(dec, SUBJ_EN, "en subject round-trips");
	ok(decode_body(b.d, body, sizeof(body)) == 0 &&
	    strstr(body, "Order number: R-0001") != NULL &&
	    strstr(body, "Dear Jane Doe,") != NULL, "en body");

	for (const char *const *k = (const char *const[]){ "my_order_link",
	    "order_changed", "order_cancelled", NULL }; *k != NULL; k++)
		for (int l = 0; l < 2; l++) {
			const char *p = "{\"order_number\":\"R-9\",\"plan\":\"P\","
			    "\"start_date\":\"d1\",\"end_date\":\"d2\",\"total\":1,"
			    "\"fee\":500,\"link\":\"https://x/y\","
			    "\"expires\":\"2026-12-01 10:00\"}";

			rp_buf_reset(&b);
			ok(render(*k, l ? "en" : "ja", p, "N", "a@b.cd", &b) == 0 &&
			    decode_body(b.d, body, sizeof(body)) == 0 &&
			    strstr(body, "R-9") != NULL && lines_ok(b.d, 78),
			    *k);
		}

	/* Header injection: every way in is refused. */
	is_int(render("order_confirmed", "ja", PARAMS, "X\r\nBcc: e@vil.net",
	    TO_ADDR, &b), RP_E_INVAL, "name with CR LF refused");
	is_int(render("order_confirmed", "ja", PARAMS, "X\nBcc: e@vil.net",
	    TO_ADDR, &b), RP_E_INVAL, "name with LF refused");
	is_int(render("order_confirmed", "ja", PARAMS, TO_NAME,
	    "a@b.cd\r\nBcc: e@vil.net", &b), RP_E_INVAL, "address with CR LF");
	is_int(render("order_confirmed", "ja", PARAMS, TO_NAME,
	    "a@b.cd>, <e@vil.net", &b), RP_E_INVAL, "address list smuggled");
	is_int(render("order_confirmed", "ja", PARAMS, TO_NAME, "no-at.example",
	    &b), RP_E_INVAL, "address without @");
	is_int(render("order_confirmed", "ja",
	    "{\"order_number\":\"R\\r\\nBcc: e@vil.net\",\"plan\":\"p\","
	    "\"start_date\":\"a\",\"end_date\":\"b\",\"total\":1,\"link\":\"l\"}",
	    TO_NAME, TO_ADDR, &b), RP_E_INVAL, "params with CR LF (subject)");
	is_int(render("order_confirmed", "ja", "{\"order_number\":\"R\"}",
	    TO_NAME, TO_ADDR, &b), RP_E_INVAL, "missing template value");
	is_int(render("order_confirmed", "ja", PARAMS, "\xff\xfe", TO_ADDR, &b),
	    RP_E_INVAL, "name not UTF-8");
	rp_buf_reset(&b);
	is_int(rp_mail_render("order_confirmed", "ja", rp_str_c(PARAMS),
	    RP_STR_LIT("a\r\nBcc: e@vil.net"), RP_STR_LIT("noreply@r.example"),
	    rp_str_c(TO_NAME), rp_str_c(TO_ADDR), 1, NOW, NOW, &b), RP_E_INVAL,
	    "from name with CR LF");

	/* A long name is folded and still decodes to itself. */
	longname[0] = '\0';
	for (int i = 0; i < 40; i++)
		snprintf(longname + strlen(longname),
		    sizeof(longname) - strlen(longname), "あい");
	is_int(render("order_confirmed", "ja", PARAMS, longname, TO_ADDR, &b), 0,
	    "render with a 240-byte name");
	ok(lines_ok(b.d, 78), "long name folded under 78 columns");
	ok(header(b.d, "To", v, sizeof(v)) == 0 &&
	    decode_words(v, dec, sizeof(dec)) == 0 &&
	    strncmp(dec, longname, strlen(longname)) == 0,
	    "long name decodes back whole (no split character)");
	rp_buf_release(&b);
}

static const struct rp_mail_transport *
eml_transport(char *dir, size_t cap)
{
	static struct rp_mail_transport t;

	snprintf(dir, cap, "%s/mail/out", tmpdir);
	memset(&t, 0, sizeof(t));
	t.kind = RP_MAIL_T_EML;
	t.out_dir = dir;
	t.from_name = "rentport";
	t.from_addr = "noreply@rentport.example";
	return &t;
}

static void
test_eml(struct rp_mail_outbox *ob)
{
	struct fake_vault fv = { 0, 0 };
	struct rp_mail_stats st;
	struct rp_mail_info mi;
	char dir[128], path[256];
	uint64_t id_ja, id_en, id_inj, id_gone, n;
	const struct rp_mail_transport *t = eml_transport(dir, sizeof(dir));
	struct stat sb;
	DIR *d;
	struct dirent *de;
	int tmpfiles = 0;

	/* id 1 and 2 (person 7, ja) came from test_enqueue. */
	ok(rp_mail_enqueue(ob, "order_confirmed", "en", "R-0001", 8, PARAMS,
	    "ev-3", NOW, &id_en, NULL) == 0, "enqueue en");
	ok(rp_mail_enqueue(ob, "order_confirmed", "ja", "R-0002", 9, PARAMS,
	    "ev-4", NOW, &id_inj, NULL) == 0, "enqueue for an injecting name");
	ok(rp_mail_enqueue(ob, "order_cancelled", "ja", "R-0003", 404,
	    "{\"order_number\":\"R-0003\",\"fee\":0}", "", NOW, &id_gone,
	    NULL) == 0, "enqueue for an erased person");
	id_ja = 1;
	is_int(rp_mail_deliver_due(ob, fake_fetch, &fv, t, NOW - 1, &st), 0,
	    "deliver before due");
	ok(st.sent == 0 && fv.calls == 0, "nothing due yet");
	is_int(rp_mail_deliver_due(ob, fake_fetch, &fv, t, NOW, &st), 0,
	    "deliver due");
	is_int(st.sent, 3, "three sent");
	is_int(st.dead, 2, "two dead (injection, erased)");
	ok(rp_mail_get(ob, id_ja, &mi) == 0 && mi.state == RP_MAIL_SENT &&
	    mi.sent_at == NOW && mi.attempts == 1, "state sent");
	ok(rp_mail_get(ob, id_inj, &mi) == 0 && mi.state == RP_MAIL_DEAD &&
	    strstr(mi.last_error, "render") != NULL, "injecting name: dead");
	ok(rp_mail_get(ob, id_gone, &mi) == 0 && mi.state == RP_MAIL_DEAD &&
	    strstr(mi.last_error, "recipient") != NULL, "erased person: dead");

	snprintf(path, sizeof(path), "%s/R-0001-order_confirmed-%" PRIu64 ".eml",
	    dir, id_ja);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600 &&
	    S_ISREG(sb.st_mode), ".eml written with mode 0600");
	is_int(py_check(path, SUBJ_JA, TO_ADDR, TO_NAME, "山田 太郎 様"), 0,
	    "python email parses the ja .eml");
	snprintf(path, sizeof(path), "%s/R-0001-order_confirmed-%" PRIu64 ".eml",
	    dir, id_en);
	is_int(py_check(path, SUBJ_EN, "jane@example.com", "Jane Doe",
	    "Order number: R-0001"), 0, "python email parses the en .eml");
	ok(stat(dir, &sb) == 0 && (sb.st_mode & 0777) == 0700, "out dir 0700");
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strncmp(de->d_name, ".tmp", 4) == 0)
				tmpfiles++;
		closedir(d);
	}
	is_int(tmpfiles, 0, "no temporary file left");

	fv.calls = 0;
	is_int(rp_mail_deliver_due(ob, fake_fetch, &fv, t, NOW + 100000, &st), 0,
	    "deliver again");
	ok(st.sent == 0 && st.dead == 0 && fv.calls == 0, "nothing sent twice");
	ok(rp_mail_count(ob, RP_MAIL_SENT, &n) == 0 && n == 3, "three sent in all");
}

/*
 * "my order" links sealed to the sender (auth/linkseal.h): opened into the
 * mail when they name the message's order; dead when sealed for another
 * order or to another key (a site worker cannot re-address a link).
 */
static void
test_sealed_link(struct rp_mail_outbox *ob)
{
	struct fake_vault fv = { 0, 0 };
	struct rp_mail_stats st;
	struct rp_mail_info mi;
	struct rp_mail_transport t;
	uint8_t pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
	uint8_t pk2[crypto_box_PUBLICKEYBYTES], sk2[crypto_box_SECRETKEYBYTES];
	const char *url = "https://rent.example/my-order/open?t=abcdefg";
	char dir[128], sealed[RP_LINKSEAL_MAX + 1], params[2048], path[300];
	uint64_t good, other, stranger, plain;
	int64_t when = NOW + 500000;

	t = *eml_transport(dir, sizeof(dir));
	crypto_box_keypair(pk, sk);
	crypto_box_keypair(pk2, sk2);
	t.link_pk = pk;
	t.link_sk = sk;
	is_int(rp_linkseal_seal(pk, "R-0020", url, sealed, sizeof(sealed)), 0,
	    "seal a link");
	ok(strstr(sealed, "abcdefg") == NULL, "the sealed text hides the link");
	snprintf(params, sizeof(params), "{\"order_number\":\"R-0020\","
	    "\"link_sealed\":\"%s\",\"expires\":\"e\"}", sealed);
	ok(rp_mail_enqueue(ob, "my_order_link", "en", "R-0020", 8, params, "",
	    when, &good, NULL) == 0, "enqueue a sealed link");
	/* the same sealed link queued for another order (another person) */
	ok(rp_mail_enqueue(ob, "my_order_link", "en", "R-0021", 7, params, "",
	    when, &other, NULL) == 0, "enqueue it for another order");
	is_int(rp_linkseal_seal(pk2, "R-0022", url, sealed, sizeof(sealed)), 0,
	    "seal to another key");
	snprintf(params, sizeof(params), "{\"order_number\":\"R-0022\","
	    "\"link_sealed\":\"%s\",\"expires\":\"e\"}", sealed);
	ok(rp_mail_enqueue(ob, "my_order_link", "en", "R-0022", 8, params, "",
	    when, &stranger, NULL) == 0, "enqueue a stranger's sealed link");
	snprintf(params, sizeof(params), "{\"order_number\":\"R-0023\","
	    "\"link_sealed\":\"AAAA\",\"expires\":\"e\"}");
	ok(rp_mail_enqueue(ob, "my_order_link", "en", "R-0023", 8, params, "",
	    when, &plain, NULL) == 0, "enqueue garbage as a sealed link");
	is_int(rp_mail_deliver_due(ob, fake_fetch, &fv, &t, when, &st), 0,
	    "deliver");
	ok(rp_mail_get(ob, good, &mi) == 0 && mi.state == RP_MAIL_SENT,
	    "the order's own sealed link: sent");
	snprintf(path, sizeof(path), "%s/R-0020-my_order_link-%" PRIu64 ".eml",
	    dir, good);
	is_int(py_check(path, "[rentport] Your link to order R-0020",
	    "jane@example.com", "Jane Doe", url), 0,
	    "the mail carries the opened link");
	ok(rp_mail_get(ob, other, &mi) == 0 && mi.state == RP_MAIL_DEAD &&
	    strstr(mi.last_error, "link") != NULL,
	    "another order's sealed link: dead");
	ok(rp_mail_get(ob, stranger, &mi) == 0 && mi.state == RP_MAIL_DEAD,
	    "a link sealed to another key: dead");
	ok(rp_mail_get(ob, plain, &mi) == 0 && mi.state == RP_MAIL_DEAD,
	    "garbage: dead");
	t.link_pk = t.link_sk = NULL;
	snprintf(params, sizeof(params), "{\"order_number\":\"R-0024\","
	    "\"link_sealed\":\"AAAA\",\"expires\":\"e\"}");
	ok(rp_mail_enqueue(ob, "my_order_link", "en", "R-0024", 8, params, "",
	    when + 1, &plain, NULL) == 0 && rp_mail_deliver_due(ob, fake_fetch,
	    &fv, &t, when + 1, &st) == 0 && rp_mail_get(ob, plain, &mi) == 0 &&
	    mi.state == RP_MAIL_DEAD, "no key pair: a sealed link is dead");
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(sk2, sizeof(sk2));
}

static void
test_vault_down(struct rp_mail_outbox *ob)
{
	struct fake_vault fv = { RP_E_AGAIN, 0 };
	struct rp_mail_stats st;
	struct rp_mail_info mi;
	char dir[128];
	const struct rp_mail_transport *t = eml_transport(dir, sizeof(dir));
	uint64_t id1, id2;
	int64_t when;

	ok(rp_mail_enqueue(ob, "my_order_link", "ja", "R-0010", 7,
	    "{\"order_number\":\"R-0010\",\"link\":\"https://x/\","
	    "\"expires\":\"e\"}", "", NOW, &id1, NULL) == 0, "enqueue link");
	ok(rp_mail_enqueue(ob, "my_order_link", "en", "R-0011", 8,
	    "{\"order_number\":\"R-0011\",\"link\":\"https://x/\","
	    "\"expires\":\"e\"}", "", NOW, &id2, NULL) == 0, "enqueue link 2");
	{
		struct rp_mail_rcpt rc;

		is_int(rp_mail_vault_fetch(NULL, 7, "X", &rc), RP_E_AGAIN,
		    "vault fetch without a connection: try later");
	}
	is_int(rp_mail_deliver_due(ob, fake_fetch, &fv, t, NOW, &st), 0,
	    "deliver with the vault down");
	ok(st.deferred == 1 && st.sent == 0 && st.retried == 0 && fv.calls == 1,
	    "deferred once, batch stopped");
	ok(rp_mail_get(ob, id1, &mi) == 0 && mi.state == RP_MAIL_QUEUED &&
	    mi.attempts == 0 && mi.next_attempt_at == NOW + RP_MAIL_AGAIN_DELAY,
	    "not an attempt; retried later");
	ok(rp_mail_next_due(ob, &when) == 0 && when == NOW, "next due: the other");
	fv.mode = 0;
	is_int(rp_mail_deliver_due(ob, fake_fetch, &fv, t,
	    NOW + RP_MAIL_AGAIN_DELAY, &st), 0, "deliver when the vault is back");
	is_int(st.sent, 2, "both sent");
	is_int(rp_mail_next_due(ob, &when), RP_E_NOTFOUND, "nothing pending");
}

static void
test_smtp(struct rp_mail_outbox *ob)
{
	struct sink sk;
	struct fake_vault fv = { 0, 0 };
	struct rp_mail_stats st;
	struct rp_mail_info mi;
	struct rp_mail_transport t;
	char url[64], dec[4096], v[4096];
	uint64_t id;
	int64_t now = NOW + 10000, expect;
	unsigned a;

	if (sink_start(&sk) != 0) {
		ok(0, "sink starts");
		return;
	}
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", sk.port);
	memset(&t, 0, sizeof(t));
	t.kind = RP_MAIL_T_SMTP;
	t.smtp_url = url;
	t.timeout_ms = 5000;
	t.from_name = "rentport";
	t.from_addr = "noreply@rentport.example";
	t.max_attempts = 4;

	ok(rp_mail_enqueue(ob, "order_changed", "ja", "R-0100", 7,
	    "{\"order_number\":\"R-0100\",\"plan\":\"P\",\"start_date\":\"a\","
	    "\"end_date\":\"b\",\"total\":3,\"link\":\"https://x/\"}", "e1", now,
	    &id, NULL) == 0, "enqueue for SMTP");
	is_int(rp_mail_deliver_due(ob, fake_fetch, &fv, &t, now, &st), 0,
	    "deliver over SMTP");
	is_int(st.sent, 1, "sent");
	pthread_mutex_lock(&sk.mu);
	is_int(sk.delivered, 1, "sink received one message");
	is_str(sk.rcpt, "<taro.yamada@example.jp>", "RCPT TO the vault's address");
	is_str(sk.from, "<noreply@rentport.example>", "MAIL FROM");
	ok(sk.data != NULL && header(sk.data, "Subject", v, sizeof(v)) == 0 &&
	    decode_words(v, dec, sizeof(dec)) == 0 &&
	    strcmp(dec, "【rentport】ご注文内容を変更しました（注文番号 R-0100）")
	    == 0, "sink's message has the subject");
	pthread_mutex_unlock(&sk.mu);
	ok(rp_mail_get(ob, id, &mi) == 0 && mi.state == RP_MAIL_SENT,
	    "state sent");

	/* The relay goes away: retries with backoff, then dead. */
	sink_stop(&sk);
	ok(rp_mail_enqueue(ob, "order_cancelled", "en", "R-0101", 8,
	    "{\"order_number\":\"R-0101\",\"fee\":1000}", "e2", now, &id,
	    NULL) == 0, "enqueue with the relay down");
	expect = now;
	for (a = 1; a <= 4; a++) {
		is_int(rp_mail_deliver_due(ob, fake_fetch, &fv, &t, expect - 1,
		    &st), 0, "deliver just before due");
		ok(st.retried == 0 && st.dead == 0 && st.sent == 0,
		    "not due: untouched");
		is_int(rp_mail_deliver_due(ob, fake_fetch, &fv, &t, expect, &st),
		    0, "deliver with the relay down");
		ok(rp_mail_get(ob, id, &mi) == 0 && mi.attempts == a,
		    "attempts counted");
		if (a < 4) {
			int64_t d = 60LL << (a - 1);

			ok(st.retried == 1 && mi.state == RP_MAIL_FAILED &&
			    mi.next_attempt_at == expect + d,
			    "failed; backoff 60 s x 2^(n-1)");
			expect += d;
		} else
			ok(st.dead == 1 && mi.state == RP_MAIL_DEAD,
			    "dead after max attempts");
		ok(strncmp(mi.last_error, "smtp: ", 6) == 0 &&
		    strchr(mi.last_error, '@') == NULL, "last_error names no address");
	}

	/* The cap: with many attempts allowed, the wait stops at an hour. */
	t.max_attempts = 20;
	ok(rp_mail_enqueue(ob, "order_cancelled", "en", "R-0102", 8,
	    "{\"order_number\":\"R-0102\",\"fee\":1000}", "e3", now, &id,
	    NULL) == 0, "enqueue for the cap");
	expect = now;
	{
		int64_t delta[9] = { 0 };

		for (a = 1; a <= 8; a++) {
			if (rp_mail_deliver_due(ob, fake_fetch, &fv, &t, expect,
			    &st) != 0 || rp_mail_get(ob, id, &mi) != 0)
				break;
			delta[a] = mi.next_attempt_at - expect;
			expect = mi.next_attempt_at;
		}
		ok(mi.attempts == 8 && mi.state == RP_MAIL_FAILED,
		    "eight attempts");
		is_int(delta[6], 1920, "attempt 6: 60 s x 32");
		is_int(delta[7], RP_MAIL_BACKOFF_CAP, "attempt 7: capped at an hour");
		is_int(delta[8], RP_MAIL_BACKOFF_CAP, "attempt 8: capped at an hour");
	}

	/* A transport's own base (conf mail_backoff_base_s) replaces 60 s. */
	t.backoff_base_s = 5;
	ok(rp_mail_enqueue(ob, "order_cancelled", "en", "R-0103", 8,
	    "{\"order_number\":\"R-0103\",\"fee\":1000}", "e4", now, &id,
	    NULL) == 0, "enqueue for a short base");
	is_int(rp_mail_deliver_due(ob, fake_fetch, &fv, &t, now, &st), 0,
	    "deliver with the relay down");
	ok(rp_mail_get(ob, id, &mi) == 0 && mi.state == RP_MAIL_FAILED &&
	    mi.next_attempt_at == now + 5, "first retry after the base");
	is_int(rp_mail_deliver_due(ob, fake_fetch, &fv, &t, now + 5, &st), 0,
	    "deliver again");
	ok(rp_mail_get(ob, id, &mi) == 0 && mi.attempts == 2 &&
	    mi.next_attempt_at == now + 5 + 10, "then twice the base");
}

int
main(void)
{
	struct rp_mail_outbox *ob = NULL;
	char logpath[128];
	int logfd;

	if (sodium_init() < 0)
		return 1;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rp-mail-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	snprintf(logpath, sizeof(logpath), "%s/rentport.log", tmpdir);
	if ((logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600)) < 0)
		return 1;
	rp_log_set_fd(logfd);
	rp_log_set_level(RP_LOG_DEBUG);

	is_int(rp_mail_outbox_open(tmpdir, &ob), 0, "open outbox");
	if (ob == NULL)
		return tap_done();
	test_enqueue(ob);
	test_render();
	test_eml(ob);
	test_sealed_link(ob);
	test_vault_down(ob);
	test_smtp(ob);
	rp_mail_outbox_close(ob);

	/* The operational log: ids and order numbers, never a person. */
	ok(file_contains(logpath, "order R-0001 sent"), "log names the order");
	ok(!file_contains(logpath, "@example"), "log holds no address");
	ok(!file_contains(logpath, "山田") && !file_contains(logpath, "Jane"),
	    "log holds no name");
	ok(!file_contains(logpath, "evil"), "log holds no injected text");
	{
		char db[160], wal[170];

		snprintf(db, sizeof(db), "%s/mail/outbox.db", tmpdir);
		snprintf(wal, sizeof(wal), "%s-wal", db);
		ok(file_contains(db, "R-0001") || file_contains(wal, "R-0001"),
		    "outbox holds the order number (the scan works)");
		ok(!file_contains(db, "taro.yamada") &&
		    !file_contains(wal, "taro.yamada") &&
		    !file_contains(db, "山田") && !file_contains(wal, "山田"),
		    "outbox holds no address and no name");
	}
	rp_log_set_fd(2);
	close(logfd);
	{
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmpdir);
		if (system(cmd) != 0)
			diag("could not remove %s", tmpdir);
	}
	return tap_done();
}
