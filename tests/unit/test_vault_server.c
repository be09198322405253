/* SPDX-License-Identifier: ISC */
/*
 * test_vault_server.c — the vault process, forked with a temporary data
 * directory beside a fake log writer (a thread of this test listening on
 * DATA/run/alog.sock, answering LOG_DURABLE or LOG_FAILED): READY, the
 * test registered as a web worker with PEER_REGISTER, put/get/find/erase
 * through the client library, every operation logged before its answer;
 * a role the peer may not use is refused and logged (a web worker may not
 * use the mailer role; the mailer, registered with its own kind, may use
 * that role alone, token or not); an unregistered client
 * without the token is refused, with the token it may use operator roles;
 * a wrong token is refused; a malformed message drops the client; log
 * writer down or failing → RP_E_AGAIN, and the vault reconnects when it is
 * back; STOP → exit 0.  Also measures get throughput and p99 latency at
 * batch sizes 1, 10, 100 (RP_VAULT_BENCH=N sets the records per size).
 */
#include "util/common.h"
#include "alog/entry.h"
#include "auth/cap.h"
#include "conf/conf.h"
#include "proc/msg.h"
#include "vault/client.h"
#include "vault/vault.h"

#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "test_store_util.h"

/* ---- the fake log writer (a thread) ---- */

#define FW_MAX_CONN 8

struct fw {
	char path[108];
	int ctl[2];			/* commands: 'd' down, 'u' up, 'q' quit */
	pthread_mutex_t mu;
	bool fail;			/* answer LOG_FAILED */
	uint64_t entries, bad;
	uint8_t last_action, last_role;
	uint16_t last_records;
	char last_node[65], last_actor[65];
};

static int
fw_listen(struct fw *f)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	unlink(f->path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 16) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void
fw_serve_conn(struct fw *f, int fd, uint8_t *buf, struct rp_msgw *w,
    struct rp_buf *eb, bool *closed)
{
	struct rp_msgw *out = w;
	struct rp_msg m;
	struct rp_alog_entry e;
	struct rp_str body;
	uint64_t cookie;
	int r;

	*closed = false;
	for (;;) {
		r = rp_msg_recv(fd, buf, &m);
		if (r == RP_E_AGAIN)
			return;
		if (r != 0) {
			*closed = true;
			return;
		}
		if (m.type != RP_MSG_LOG_APPEND || rp_msg_get_u64(&m, &cookie) != 0 ||
		    rp_msg_get_str(&m, &body, RP_ALOG_MAX_ENTRY) != 0 ||
		    rp_msg_end(&m) != 0) {
			pthread_mutex_lock(&f->mu);
			f->bad++;
			pthread_mutex_unlock(&f->mu);
			*closed = true;
			return;
		}
		rp_buf_reset(eb);
		pthread_mutex_lock(&f->mu);
		if (rp_alog_entry_stamp(body, 1, eb) != 0 ||
		    rp_alog_entry_decode(rp_buf_str(eb), &e) != 0)
			f->bad++;
		else {
			f->last_action = e.action;
			f->last_role = e.role;
			f->last_records = e.n_records;
			snprintf(f->last_node, sizeof(f->last_node), "%.*s",
			    (int)e.node.n, e.node.p);
			snprintf(f->last_actor, sizeof(f->last_actor), "%.*s",
			    (int)e.actor.n, e.actor.p);
		}
		if (f->fail) {
			rp_msgw_begin(out, RP_MSG_LOG_FAILED);
			rp_msgw_put_u64(out, cookie);
			rp_msgw_put_u32(out, (uint32_t)-RP_E_IO);
		} else {
			rp_msgw_begin(out, RP_MSG_LOG_DURABLE);
			rp_msgw_put_u64(out, cookie);
			rp_msgw_put_u64(out, f->entries++);
			rp_msgw_put_u64(out, (uint64_t)time(NULL) * 1000);
		}
		pthread_mutex_unlock(&f->mu);
		if (rp_msgw_send(fd, out, 0) != 0) {
			*closed = true;
			return;
		}
	}
}

static void *
fw_main(void *arg)
{
	struct fw *f = arg;
	struct pollfd pfd[FW_MAX_CONN + 2];
	int conn[FW_MAX_CONN], lfd, i, n;
	uint8_t *buf = malloc(RP_MSG_MAX_FRAME);
	struct rp_msgw *w = malloc(sizeof(*w));
	struct rp_buf eb;
	char cmd;
	bool closed;

	rp_buf_init(&eb, RP_ALOG_MAX_ENTRY + 16);
	for (i = 0; i < FW_MAX_CONN; i++)
		conn[i] = -1;
	lfd = fw_listen(f);
	for (;;) {
		n = 0;
		pfd[n].fd = f->ctl[0];
		pfd[n++].events = POLLIN;
		pfd[n].fd = lfd;
		pfd[n++].events = POLLIN;
		for (i = 0; i < FW_MAX_CONN; i++) {
			pfd[n].fd = conn[i];
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, 1000) < 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			if (read(f->ctl[0], &cmd, 1) != 1 || cmd == 'q')
				break;
			if (cmd == 'd') {
				for (i = 0; i < FW_MAX_CONN; i++)
					if (conn[i] >= 0) {
						close(conn[i]);
						conn[i] = -1;
					}
				if (lfd >= 0)
					close(lfd);
				lfd = -1;
				unlink(f->path);
			} else if (cmd == 'u' && lfd < 0)
				lfd = fw_listen(f);
			continue;
		}
		if (lfd >= 0 && (pfd[1].revents & POLLIN)) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

			for (i = 0; c >= 0 && i < FW_MAX_CONN; i++)
				if (conn[i] < 0) {
					conn[i] = c;
					c = -1;
				}
			if (c >= 0)
				close(c);
		}
		for (i = 0; i < FW_MAX_CONN; i++)
			if (conn[i] >= 0 && pfd[2 + i].revents) {
				fw_serve_conn(f, conn[i], buf, w, &eb, &closed);
				if (closed) {
					close(conn[i]);
					conn[i] = -1;
				}
			}
	}
	for (i = 0; i < FW_MAX_CONN; i++)
		if (conn[i] >= 0)
			close(conn[i]);
	if (lfd >= 0)
		close(lfd);
	rp_buf_release(&eb);
	free(buf);
	free(w);
	return NULL;
}

static void
fw_cmd(struct fw *f, char c)
{
	if (write(f->ctl[1], &c, 1) != 1)
		diag("fake writer command lost");
	usleep(20000);
}

static uint64_t
fw_entries(struct fw *f, uint8_t *action, char *node)
{
	uint64_t n;

	pthread_mutex_lock(&f->mu);
	n = f->entries;
	if (action)
		*action = f->last_action;
	if (node)
		snprintf(node, 65, "%s", f->last_node);
	pthread_mutex_unlock(&f->mu);
	return n;
}

/* ---- helpers ---- */

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

/* The purpose again, keeping the capability and the claimed fields. */
static void
caller_keep_cap(struct rp_vault_caller *c, const char *purpose)
{
	snprintf(c->purpose, sizeof(c->purpose), "%s", purpose);
}

static void
caller(struct rp_vault_caller *c, unsigned role, const char *purpose)
{
	memset(c, 0, sizeof(*c));
	c->role = role;
	snprintf(c->actor, sizeof(c->actor), "staff:test");
	snprintf(c->purpose, sizeof(c->purpose), "%s", purpose);
}

/* A traveller's capability on order (minted with key, as auth would) into
 * *cap and c's cap field; rp_cap_encode's result. */
static int
traveller_cap(const uint8_t *key, const char *order, struct rp_cap *cap,
    struct rp_vault_caller *c)
{
	size_t len = 0;
	int r;

	memset(cap, 0, sizeof(*cap));
	cap->role = RP_ROLE_PUBLIC_WEB;
	cap->expires_ms = rp_cap_now_ms() + 60000;
	snprintf(cap->principal, sizeof(cap->principal), "traveller:%s", order);
	snprintf(cap->scope_order, sizeof(cap->scope_order), "%s", order);
	r = rp_cap_encode(cap, key, c->cap, &len);
	c->cap_len = (uint32_t)len;
	return r;
}

static int
send_parent(int fd, uint32_t type, uint32_t a, uint32_t b, uint32_t c,
    int nargs)
{
	static struct rp_msgw w;

	rp_msgw_begin(&w, (enum rp_msg_type)type);
	if (nargs > 0)
		rp_msgw_put_u32(&w, a);
	if (nargs > 1)
		rp_msgw_put_u32(&w, b);
	if (nargs > 2)
		rp_msgw_put_u32(&w, c);
	return rp_msgw_send(fd, &w, 0);
}

/* rp_msg_recv never blocks: wait up to 5 s for a frame. */
static int
recv_wait(int fd, uint8_t *buf, struct rp_msg *m)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, 5000) <= 0)
		return RP_E_AGAIN;
	return rp_msg_recv(fd, buf, m);
}

static double
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Gets `total` records in batches of `batch`; reports records/s and p99. */
static bool
bench(struct rp_vault_client *vc, const uint64_t *ids, size_t nids,
    size_t batch, size_t total)
{
	struct rp_vault_caller c;
	struct rp_vault_record *rec = calloc(batch, sizeof(*rec));
	size_t rounds = total / batch, k, i;
	double *lat = calloc(rounds ? rounds : 1, sizeof(double)), t0, t1;
	uint64_t want[RP_VAULT_MAX_BATCH];
	bool good = rec != NULL && lat != NULL;

	caller(&c, RP_ROLE_BACKOFFICE, "support");
	t0 = mono_us();
	for (k = 0; good && k < rounds; k++) {
		double a = mono_us();

		for (i = 0; i < batch; i++)
			want[i] = ids[(k * batch + i) % nids];
		if (rp_vault_client_get(vc, &c, want, batch, RP_FIELD_NAME |
		    RP_FIELD_EMAIL, rec) != 0)
			good = false;
		for (i = 0; i < batch; i++)
			rp_vault_record_release(&rec[i]);
		lat[k] = mono_us() - a;
	}
	t1 = mono_us();
	if (good && rounds > 0) {
		qsort(lat, rounds, sizeof(double), cmp_double);
		diag("vault get, batch %3zu: %9.0f records/s, p50 %.3f ms, p99 "
		    "%.3f ms (%zu requests, fake log writer)", batch,
		    (double)(rounds * batch) / ((t1 - t0) / 1e6),
		    lat[rounds / 2] / 1000, lat[rounds * 99 / 100] / 1000, rounds);
	}
	free(rec);
	free(lat);
	return good;
}

int
main(void)
{
	struct rp_conf conf;
	struct fw f;
	pthread_t th;
	struct rp_vault_client *vc = NULL, *op = NULL, *anon = NULL;
	struct rp_vault_caller c;
	struct rp_vault_person p;
	struct rp_vault_record rec[4];
	struct rp_msg m;
	char dir[512], path[700], tok[RP_VAULT_TOKEN_HEX + 1], node[65];
	uint8_t capkey[RP_CAP_KEY_LEN];
	uint8_t *buf = malloc(RP_MSG_MAX_FRAME), action = 0;
	uint64_t id = 0, id2 = 0, ids[8], before;
	struct rp_vault_receipt rcpt;
	uint32_t kind, index;
	struct rp_str ord = RP_STR_LIT("RP-SRV00001");
	size_t n;
	pid_t pid;
	int sv[2], status = -1, r;

	signal(SIGPIPE, SIG_IGN);
	memset(&f, 0, sizeof(f));
	pthread_mutex_init(&f.mu, NULL);
	ok(tmpdir_make(dir, sizeof(dir)) != NULL, "scratch dir");
	rp_conf_defaults(&conf);
	snprintf(conf.data_dir, sizeof(conf.data_dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/run", dir);
	ok(mkdir(path, 0700) == 0, "run dir");
	is_int(rp_cap_key_prepare(dir), 0, "the capability key");
	is_int(rp_cap_key_load(dir, capkey), 0, "read it (the identity holder)");
	if ((size_t)snprintf(path, sizeof(path), "%s/run/alog.sock", dir) <
	    sizeof(f.path))
		memcpy(f.path, path, strlen(path) + 1);
	ok(pipe(f.ctl) == 0 && pthread_create(&th, NULL, fw_main, &f) == 0,
	    "fake log writer");
	usleep(20000);

	ok(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0,
	    "parent socket pair");
	if ((pid = fork()) == 0) {
		close(sv[0]);
		_exit(rp_vault_run(&conf, sv[1]));
	}
	close(sv[1]);
	r = recv_wait(sv[0], buf, &m);
	if (r != 0 || m.type != RP_MSG_READY)
		diag("recv %d type %u", r, r == 0 ? m.type : 0);
	ok(r == 0 && m.type == RP_MSG_READY && rp_msg_get_u32(&m, &kind) == 0 &&
	    rp_msg_get_u32(&m, &index) == 0 && kind == 1 && index == 1,
	    "READY{1, 1}");
	snprintf(path, sizeof(path), "%s/run", dir);
	{
		struct stat sb;

		ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0700,
		    "DATA/run is 0700");
	}
	is_int(send_parent(sv[0], RP_MSG_PEER_REGISTER, (uint32_t)getpid(),
	    RP_VAULT_PEER_WEB, 3, 3), 0, "register the test as web worker 3");
	usleep(20000);

	/* a registered web worker: the web tier's roles, one record per get,
	 * bound to the order in hand — and nothing else */
	is_int(rp_vault_client_connect(dir, NULL, &vc), 0, "connect");
	caller(&c, RP_ROLE_PUBLIC_WEB, "order_new");
	snprintf(c.scope_order, sizeof(c.scope_order), "RP-SRV00001");
	p.f[RP_VF_NAME] = rp_str_c("伊藤 美咲");
	p.f[RP_VF_KANA] = rp_str_c("イトウ ミサキ");
	p.f[RP_VF_EMAIL] = rp_str_c("misaki.ito@example.org");
	p.f[RP_VF_PHONE] = rp_str_c("080-5555-6666");
	p.f[RP_VF_POSTAL_CODE] = rp_str_c("060-0001");
	p.f[RP_VF_ADDRESS] = rp_str_c("北海道札幌市中央区北1条西2丁目");
	p.f[RP_VF_COMPANY] = RP_STR_NULL;
	p.f[RP_VF_DEPARTMENT] = RP_STR_NULL;
	before = fw_entries(&f, NULL, NULL);
	is_int(rp_vault_client_put(vc, &c, &p, 0, &ord, 1, &id, &rcpt), 0,
	    "put");
	ok(id > 0, "an id");
	ok(fw_entries(&f, &action, node) == before + 1 && action == RP_ALOG_PUT,
	    "put logged before the answer");
	is_str(node, "web/3", "node from the registry, not the request");
	{
		struct rp_cap rc;

		ok(rcpt.n > 0 && rp_cap_verify((struct rp_str){
		    (const char *)rcpt.b, rcpt.n }, capkey, rp_cap_now_ms(),
		    &rc) == 0 && strcmp(rc.principal, "put:RP-SRV00001") == 0 &&
		    strcmp(rc.scope_order, "RP-SRV00001") == 0 &&
		    rc.role == RP_ROLE_PUBLIC_WEB && rc.tenant == 0,
		    "the put's receipt: a capability on that order alone");
		{
			char want[64], hex[17];

			sodium_bin2hex(hex, sizeof(hex), rc.session,
			    sizeof(rc.session));
			snprintf(want, sizeof(want), "anonymous;session=%s", hex);
			is_str(f.last_actor, want, "the put names the vault's "
			    "principal (anonymous) and the session the receipt "
			    "carries on");
		}
	}
	/* the same order again: a worker may not tie a second traveller to
	 * an order that has one (and so read the first) */
	before = fw_entries(&f, NULL, NULL);
	is_int(rp_vault_client_put(vc, &c, &p, 0, &ord, 1, &id2, NULL),
	    RP_E_DENIED, "a put on an order that has a traveller is refused");
	ok(fw_entries(&f, &action, node) == before + 1 &&
	    action == RP_ALOG_REFUSED, "... and logged");
	caller(&c, RP_ROLE_PUBLIC_WEB, "order_view");
	snprintf(c.scope_order, sizeof(c.scope_order), "RP-SRV00001");
	is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_NAME, rec),
	    RP_E_DENIED, "a web worker's get without a capability is refused");
	ok(rec[0].mem == NULL, "nothing released");
	memcpy(c.cap, rcpt.b, rcpt.n);
	c.cap_len = rcpt.n;
	is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_NAME |
	    RP_FIELD_ADDRESS | RP_FIELD_PHONE, rec), 0,
	    "get with the receipt (the same flow reads back what it stored)");
	ok(rp_str_eq_c(rec[0].f[RP_VF_NAME], "伊藤 美咲") &&
	    rp_str_eq_c(rec[0].f[RP_VF_ADDRESS], "北海道札幌市中央区北1条西2丁目") &&
	    rp_str_eq_c(rec[0].f[RP_VF_PHONE], "080-5555-6666"), "round trip");
	rp_vault_record_release(&rec[0]);
	ok(fw_entries(&f, &action, NULL) == before + 3 && action == RP_ALOG_GET,
	    "get logged");
	ok(strcmp(f.last_actor, "put:RP-SRV00001") == 0 ||
	    strncmp(f.last_actor, "put:RP-SRV00001;session=", 24) == 0,
	    "the get names the receipt's principal and session");
	ids[0] = id; ids[1] = id;
	before = fw_entries(&f, NULL, NULL);
	is_int(rp_vault_client_get(vc, &c, ids, 2, RP_FIELD_NAME, rec),
	    RP_E_DENIED, "a web worker gets one record per request");
	ok(fw_entries(&f, &action, node) == before + 1 &&
	    action == RP_ALOG_REFUSED && strcmp(node, "web/3") == 0,
	    "the batch refusal is logged with the worker's node");
	{
		/* a genuine capability, but on another order */
		struct rp_cap oc;
		size_t olen;

		is_int(traveller_cap(capkey, "RP-SRV00009", &oc, &c), 0,
		    "a traveller's capability on another order");
		snprintf(c.scope_order, sizeof(c.scope_order), "RP-SRV00001");
		is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_NAME, rec),
		    RP_E_DENIED, "it reads nothing of this order (the "
		    "capability's order wins over the request's)");
		oc.role = RP_ROLE_BACKOFFICE;
		snprintf(oc.principal, sizeof(oc.principal), "staff:x");
		oc.scope_order[0] = '\0';
		is_int(rp_cap_encode(&oc, capkey, c.cap, &olen), 0,
		    "a staff capability");
		c.cap_len = (uint32_t)olen;
		is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_NAME, rec),
		    RP_E_DENIED, "a site worker may not pass on a staff "
		    "capability");
		memset(c.cap, 0, sizeof(c.cap));
		c.cap_len = 0;
	}
	caller(&c, RP_ROLE_CORPORATE_WEB, "order_view");
	c.tenant = 1;
	snprintf(c.scope_order, sizeof(c.scope_order), "RP-SRV00002");
	is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_NAME, rec),
	    RP_E_DENIED, "... and only a traveller linked to that order");
	caller(&c, RP_ROLE_BACKOFFICE, "support");
	before = fw_entries(&f, NULL, NULL);
	is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_ALL, rec),
	    RP_E_DENIED, "a web worker may not claim the back office's role");
	ok(rec[0].mem == NULL, "nothing released");
	ok(fw_entries(&f, &action, node) == before + 1 &&
	    action == RP_ALOG_REFUSED && strcmp(node, "web/3") == 0,
	    "the back-office refusal is logged with the worker's node");
	is_int(rp_vault_client_find(vc, &c, RP_VAULT_FIND_PHONE,
	    rp_str_c("+81 80 5555 6666"), ids, 8, &n), RP_E_DENIED,
	    "a web worker may not search");
	caller(&c, RP_ROLE_COUNTER, "counter");
	snprintf(c.scope_order, sizeof(c.scope_order), "RP-SRV00001");
	is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_ADDRESS, rec),
	    RP_E_DENIED, "a web worker may not claim the counter's role");
	ok(fw_entries(&f, &action, NULL) > 0 && action == RP_ALOG_REFUSED,
	    "refusal logged");
	caller(&c, RP_ROLE_MAILER, "mail");
	before = fw_entries(&f, NULL, NULL);
	is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_NAME |
	    RP_FIELD_EMAIL, rec), RP_E_DENIED,
	    "a web worker may not use the mailer role");
	ok(rec[0].mem == NULL, "nothing released");
	ok(fw_entries(&f, &action, node) == before + 1 &&
	    action == RP_ALOG_REFUSED && strcmp(node, "web/3") == 0,
	    "the refusal is logged with the worker's node");
	caller(&c, RP_ROLE_INCIDENT, "incident");
	is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_NAME, rec),
	    RP_E_DENIED, "a web worker may not use the incident role");
	ok(fw_entries(&f, &action, NULL) > 0 && action == RP_ALOG_REFUSED,
	    "logged");
	caller(&c, RP_ROLE_BACKOFFICE, "backoffice");
	is_int(rp_vault_client_erase(vc, &c, id), RP_E_DENIED,
	    "a web worker may not erase");
	{
		/* an order not placed after all (sold out in a race): the
		 * traveller just stored is withdrawn under the put's receipt,
		 * and under nothing else */
		struct rp_str ord3 = RP_STR_LIT("RP-SRV00003");
		struct rp_vault_receipt r3;
		uint64_t id3 = 0;

		struct rp_cap tc;

		/* a traveller's own capability erases nothing */
		caller(&c, RP_ROLE_PUBLIC_WEB, "order_withdrawn");
		is_int(traveller_cap(capkey, "RP-SRV00001", &tc, &c), 0,
		    "a traveller's capability");
		is_int(rp_vault_client_erase(vc, &c, id), RP_E_DENIED,
		    "a traveller's capability withdraws nothing");
		caller(&c, RP_ROLE_PUBLIC_WEB, "order_new");
		snprintf(c.scope_order, sizeof(c.scope_order), "RP-SRV00003");
		is_int(rp_vault_client_put(vc, &c, &p, 0, &ord3, 1, &id3, &r3),
		    0, "a put for an order that will not be placed");
		caller(&c, RP_ROLE_PUBLIC_WEB, "order_withdrawn");
		snprintf(c.scope_order, sizeof(c.scope_order), "RP-SRV00003");
		is_int(rp_vault_client_erase(vc, &c, id3), RP_E_DENIED,
		    "withdrawal without a capability: refused");
		memcpy(c.cap, rcpt.b, rcpt.n);
		c.cap_len = rcpt.n;
		is_int(rp_vault_client_erase(vc, &c, id3), RP_E_DENIED,
		    "another order's receipt withdraws nothing");
		before = fw_entries(&f, NULL, NULL);
		memcpy(c.cap, r3.b, r3.n);
		c.cap_len = r3.n;
		is_int(rp_vault_client_erase(vc, &c, id3), 0,
		    "withdrawn under its own receipt");
		ok(fw_entries(&f, &action, node) == before + 1 &&
		    action == RP_ALOG_ERASE && strcmp(node, "web/3") == 0 &&
		    strncmp(f.last_actor, "put:RP-SRV00003;session=", 24) == 0,
		    "logged as an erasure by the receipt's principal");
		caller(&c, RP_ROLE_PUBLIC_WEB, "order_view");
		memcpy(c.cap, r3.b, r3.n);
		c.cap_len = r3.n;
		ok(rp_vault_client_get(vc, &c, &id3, 1, RP_FIELD_NAME, rec) != 0
		    && rec[0].mem == NULL, "nothing left to read");
		memset(c.cap, 0, sizeof(c.cap));
		c.cap_len = 0;
	}

	/* a malformed message drops the client */
	{
		struct rp_msgw *w = malloc(sizeof(*w));

		rp_msgw_begin(w, RP_MSG_VAULT_GET);
		rp_msgw_put_u64(w, 77);
		rp_msgw_put_u32(w, RP_ROLE_BACKOFFICE);	/* then nothing */
		is_int(rp_msgw_send(rp_vault_client_fd(vc), w, 0), 0,
		    "send a truncated GET");
		free(w);
		r = recv_wait(rp_vault_client_fd(vc), buf, &m);
		is_int(r, RP_E_CLOSED, "the vault hung up");
		rp_vault_client_close(vc);
		vc = NULL;
	}

	/* a console worker: nothing without a capability; what a verified
	 * capability says, with the principal and session in the log */
	is_int(send_parent(sv[0], RP_MSG_PEER_REGISTER, (uint32_t)getpid(),
	    RP_VAULT_PEER_CONSOLE, 2, 3), 0, "register the test as console 2");
	usleep(20000);
	is_int(rp_vault_client_connect(dir, NULL, &vc), 0, "console connects");
	caller(&c, RP_ROLE_BACKOFFICE, "support");
	is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_NAME, rec),
	    RP_E_DENIED, "console, no capability: back office refused");
	ok(fw_entries(&f, &action, node) > 0 && action == RP_ALOG_REFUSED &&
	    strcmp(node, "console/2") == 0, "refusal logged, node console/2");
	{
		struct rp_cap cap;
		size_t clen;

		memset(&cap, 0, sizeof(cap));
		cap.role = RP_ROLE_BACKOFFICE;
		cap.expires_ms = rp_cap_now_ms() + 60000;
		snprintf(cap.principal, sizeof(cap.principal), "staff:hanako");
		memcpy(cap.session, "\xa1\xb2\xc3\xd4\xe5\xf6\x07\x18", 8);
		is_int(rp_cap_encode(&cap, capkey, c.cap, &clen), 0, "a capability");
		c.cap_len = (uint32_t)clen;
		/* the request's own fields claim more: ignored */
		c.role = RP_ROLE_INCIDENT;
		snprintf(c.actor, sizeof(c.actor), "staff:someone-else");
		caller_keep_cap(&c, "support");
		before = fw_entries(&f, NULL, NULL);
		is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_NAME, rec), 0,
		    "console + a verified back-office capability: released");
		rp_vault_record_release(&rec[0]);
		ok(fw_entries(&f, &action, node) == before + 1 &&
		    action == RP_ALOG_GET && strcmp(node, "console/2") == 0 &&
		    strcmp(f.last_actor, "staff:hanako;session=a1b2c3d4e5f60718")
		    == 0 && f.last_role == RP_ROLE_BACKOFFICE,
		    "logged with the verified principal and session, role from "
		    "the capability");
		c.cap[3] ^= 1;		/* altered: tenant */
		is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_NAME, rec),
		    RP_E_DENIED, "an altered capability: refused");
		ok(fw_entries(&f, &action, node) > 0 && action == RP_ALOG_REFUSED
		    && strcmp(f.last_actor, "cap:forged") == 0,
		    "logged as forged");
		cap.expires_ms = rp_cap_now_ms() - 1;
		is_int(rp_cap_encode(&cap, capkey, c.cap, &clen), 0, "expired one");
		is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_NAME, rec),
		    RP_E_DENIED, "an expired capability: refused");
		ok(strcmp(f.last_actor, "cap:expired") == 0, "logged as expired");
	}
	rp_vault_client_close(vc);
	vc = NULL;

	/* the mailer: its own kind, the mailer role and nothing else */
	is_int(rp_vault_token_read(dir, tok), 0, "read the operator token");
	is_int(send_parent(sv[0], RP_MSG_PEER_REGISTER, (uint32_t)getpid(),
	    RP_VAULT_PEER_MAILER, 1, 3), 0, "register the test as the mailer");
	usleep(20000);
	is_int(rp_vault_client_connect(dir, NULL, &vc), 0, "mailer connects");
	caller(&c, RP_ROLE_MAILER, "mail");
	is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_NAME |
	    RP_FIELD_EMAIL, rec), RP_E_DENIED,
	    "mailer: a get names the message's order");
	snprintf(c.scope_order, sizeof(c.scope_order), "RP-SRV00002");
	is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_NAME |
	    RP_FIELD_EMAIL, rec), RP_E_DENIED,
	    "mailer: only the traveller of that order (a queued message "
	    "cannot be re-addressed)");
	snprintf(c.scope_order, sizeof(c.scope_order), "RP-SRV00001");
	before = fw_entries(&f, NULL, NULL);
	is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_NAME |
	    RP_FIELD_EMAIL, rec), 0, "mailer: name and e-mail");
	ok(rp_str_eq_c(rec[0].f[RP_VF_EMAIL], "misaki.ito@example.org") &&
	    rp_str_eq_c(rec[0].f[RP_VF_NAME], "伊藤 美咲") &&
	    rec[0].f[RP_VF_PHONE].n == 0, "released: name and e-mail only");
	rp_vault_record_release(&rec[0]);
	ok(fw_entries(&f, &action, node) == before + 1 &&
	    action == RP_ALOG_GET && strcmp(node, "mailer") == 0,
	    "logged with node mailer");
	is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_PHONE, rec),
	    RP_E_DENIED, "mailer: phone refused by the policy");
	caller(&c, RP_ROLE_BACKOFFICE, "support");
	is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_NAME, rec),
	    RP_E_DENIED, "the mailer may not use a web role");
	ok(fw_entries(&f, &action, NULL) > 0 && action == RP_ALOG_REFUSED,
	    "logged");
	rp_vault_client_close(vc);
	vc = NULL;
	is_int(rp_vault_client_connect(dir, tok, &vc), 0,
	    "mailer connects with the operator token");
	caller(&c, RP_ROLE_INCIDENT, "incident");
	is_int(rp_vault_client_get(vc, &c, &id, 1, RP_FIELD_NAME, rec),
	    RP_E_DENIED, "the token does not widen the mailer's roles");

	/* unregistered: refused without the token, operator roles with it */
	is_int(send_parent(sv[0], RP_MSG_PEER_FORGET, (uint32_t)getpid(), 0, 0,
	    1), 0, "forget the test's pid");
	ok(recv_wait(rp_vault_client_fd(vc), buf, &m) == RP_E_CLOSED,
	    "the forgotten pid's connection is closed");
	rp_vault_client_close(vc);
	vc = NULL;
	usleep(20000);
	is_int(rp_vault_client_connect(dir, NULL, &anon), 0, "connect unregistered");
	caller(&c, RP_ROLE_BACKOFFICE, "support");
	before = fw_entries(&f, NULL, NULL);
	is_int(rp_vault_client_get(vc = anon, &c, &id, 1, RP_FIELD_NAME, rec),
	    RP_E_DENIED, "unregistered, no token: refused");
	ok(fw_entries(&f, &action, node) == before + 1 &&
	    action == RP_ALOG_REFUSED && strncmp(node, "pid:", 4) == 0,
	    "the refusal is logged with the peer's pid");
	rp_vault_client_close(anon);
	vc = anon = NULL;
	{
		char badtok[RP_VAULT_TOKEN_HEX + 1];

		memcpy(badtok, tok, sizeof(badtok));
		badtok[5] = badtok[5] == '0' ? '1' : '0';
		is_int(rp_vault_client_connect(dir, badtok, &anon), RP_E_DENIED,
		    "wrong token refused");
	}
	is_int(rp_vault_client_connect(dir, tok, &op), 0, "connect with token");
	caller(&c, RP_ROLE_INCIDENT, "incident");
	is_int(rp_vault_client_get(op, &c, &id, 1, RP_FIELD_ALL, rec), 0,
	    "operator: incident get");
	ok(rp_str_eq_c(rec[0].f[RP_VF_KANA], "イトウ ミサキ"), "released");
	rp_vault_record_release(&rec[0]);
	caller(&c, RP_ROLE_PUBLIC_WEB, "order_view");
	snprintf(c.scope_order, sizeof(c.scope_order), "RP-SRV00001");
	is_int(rp_vault_client_get(op, &c, &id, 1, RP_FIELD_NAME, rec),
	    RP_E_DENIED, "operator may not use a web role");

	/* the operator (token): batches, searches, erasure */
	caller(&c, RP_ROLE_BACKOFFICE, "support");
	is_int(rp_vault_client_put(op, &c, &p, 0, NULL, 0, &id2, NULL), 0, "put 2");
	ids[0] = id; ids[1] = id2; ids[2] = 424242;
	is_int(rp_vault_client_get(op, &c, ids, 3, RP_FIELD_EMAIL, rec), 0,
	    "batch get");
	ok(rec[0].status == 0 && rec[1].status == 0 &&
	    rec[2].status == RP_E_NOTFOUND &&
	    rp_str_eq_c(rec[1].f[RP_VF_EMAIL], "misaki.ito@example.org") &&
	    rec[1].f[RP_VF_NAME].n == 0, "batch contents and statuses");
	for (int i = 0; i < 3; i++)
		rp_vault_record_release(&rec[i]);
	is_int(rp_vault_client_find(op, &c, RP_VAULT_FIND_PHONE,
	    rp_str_c("+81 80 5555 6666"), ids, 8, &n), 0, "find");
	ok(n == 2 && ids[0] == id && ids[1] == id2, "both found");
	is_int(rp_vault_client_find(op, &c, RP_VAULT_FIND_ORDER,
	    rp_str_c("rp-srv00001"), ids, 8, &n), 0, "find by order");
	ok(n == 1 && ids[0] == id, "by order number");
	caller(&c, RP_ROLE_BACKOFFICE, "backoffice");
	is_int(rp_vault_client_erase(op, &c, id2), 0, "erase");
	is_int(rp_vault_client_get(op, &c, &id2, 1, RP_FIELD_NAME, rec),
	    RP_E_NOTFOUND, "erased");

	/* performance (fake log writer: the vault's own cost) */
	{
		const char *e = getenv("RP_VAULT_BENCH");
		size_t total = e ? (size_t)strtoul(e, NULL, 10) : 3000;
		uint64_t bid[200];

		caller(&c, RP_ROLE_BACKOFFICE, "support");
		for (n = 0; n < 200; n++) {
			bid[n] = 0;
			if (rp_vault_client_put(op, &c, &p, 0, NULL, 0, &bid[n], NULL) != 0)
				break;
		}
		is_int((long long)n, 200, "200 records for the benchmark");
		ok(bench(op, bid, 200, 1, total / 10 > 100 ? total / 10 : 100),
		    "bench batch 1");
		ok(bench(op, bid, 200, 10, total), "bench batch 10");
		ok(bench(op, bid, 200, 100, total * 10), "bench batch 100");
	}

	/* the log writer fails, then goes away, then comes back */
	caller(&c, RP_ROLE_INCIDENT, "incident");
	pthread_mutex_lock(&f.mu);
	f.fail = true;
	pthread_mutex_unlock(&f.mu);
	is_int(rp_vault_client_get(op, &c, &id, 1, RP_FIELD_ALL, rec), RP_E_AGAIN,
	    "LOG_FAILED → temporarily unavailable");
	ok(rec[0].mem == NULL, "nothing released");
	pthread_mutex_lock(&f.mu);
	f.fail = false;
	pthread_mutex_unlock(&f.mu);
	fw_cmd(&f, 'd');
	is_int(rp_vault_client_get(op, &c, &id, 1, RP_FIELD_ALL, rec), RP_E_AGAIN,
	    "log writer down → temporarily unavailable");
	ok(rec[0].mem == NULL, "nothing released");
	is_int(rp_vault_client_find(op, &c, RP_VAULT_FIND_ORDER, ord, ids, 8, &n),
	    RP_E_AGAIN, "find refused too");
	fw_cmd(&f, 'u');
	r = RP_E_AGAIN;
	for (int k = 0; k < 100 && r == RP_E_AGAIN; k++) {
		r = rp_vault_client_get(op, &c, &id, 1, RP_FIELD_NAME, rec);
		rp_vault_record_release(&rec[0]);
		if (r == RP_E_AGAIN)
			usleep(50000);
	}
	is_int(r, 0, "the vault reconnected to the log writer");

	/* stop */
	rp_vault_client_close(op);
	is_int(send_parent(sv[0], RP_MSG_STOP, 0, 0, 0, 0), 0, "send STOP");
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "the vault exits 0");
	is_int((long long)f.bad, 0, "every logged body decodes");
	fw_cmd(&f, 'q');
	pthread_join(th, NULL);
	close(sv[0]);
	free(buf);
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
