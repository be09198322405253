/* SPDX-License-Identifier: ISC */
/*
 * test_alog_writer.c — the log-writer process (src/alog/writer.c, http.c)
 * forked with a socket pair as its parent: READY, a registered client's
 * LOG_APPEND bursts answered with consecutive unique indexes, a malformed
 * client dropped, an unregistered one refused, checkpoints and tiles over
 * HTTP matching the entries, a dead witness not blocking appends, STOP →
 * exit 0, and a restart that recovers and exits when the parent goes away.
 */
#include "util/common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "alog/entry.h"
#include "alog/merkle.h"
#include "alog/note.h"
#include "alog/tile.h"
#include "alog/writer.h"
#include "proc/msg.h"
#include "witness/witness.h"
#include "util/log.h"
#include "tap.h"

static struct rp_conf conf;
static struct rp_msgw w;
static uint8_t rbuf[RP_MSG_MAX_FRAME];

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * A loopback port free right now.  Only right now: once closed, anything
 * (a test beside this one, our own witness on port 0) may take it, so
 * every start of the writer takes a fresh one rather than the last one
 * again (a CI run lost the cosigning checks to a taken port).
 */
static unsigned
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
		abort();
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* Receives one message within ms; 0, RP_E_CLOSED, RP_E_AGAIN (timeout). */
static int
recv_wait(int fd, struct rp_msg *m, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int r;

	for (;;) {
		r = rp_msg_recv(fd, rbuf, m);
		if (r != RP_E_AGAIN)
			return r;
		if (poll(&p, 1, ms) <= 0)
			return RP_E_AGAIN;
	}
}

static pid_t
spawn_writer(int *parent_fd)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	if ((pid = fork()) == 0) {
		close(sv[0]);
		rp_log_set_proc("alog");
		_exit(rp_alog_writer_run(&conf, sv[1]));
	}
	close(sv[1]);
	*parent_fd = sv[0];
	return pid;
}

static int
send_register(int fd, pid_t pid, uint32_t kind)
{
	rp_msgw_begin(&w, RP_MSG_PEER_REGISTER);
	rp_msgw_put_u32(&w, (uint32_t)pid);
	rp_msgw_put_u32(&w, kind);
	rp_msgw_put_u32(&w, 0);
	return rp_msgw_send(fd, &w, 0);
}

static bool
wait_ready(int fd)
{
	struct rp_msg m;
	uint32_t kind, index;

	return recv_wait(fd, &m, 5000) == 0 && m.type == RP_MSG_READY &&
	    rp_msg_get_u32(&m, &kind) == 0 && rp_msg_get_u32(&m, &index) == 0 &&
	    rp_msg_end(&m) == 0 && kind == 2 && index == 1;
}

static int
connect_log(void)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s",
	    conf.data_dir, RP_ALOG_SOCK_NAME) >= sizeof(sa.sun_path))
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
body(unsigned i, struct rp_buf *out)
{
	struct rp_alog_entry e;
	uint8_t recs[2][16];
	char actor[32];

	memset(&e, 0, sizeof(e));
	memset(recs, (int)i, sizeof(recs));
	snprintf(actor, sizeof(actor), "staff:s%u", i);
	e.action = RP_ALOG_GET;
	e.role = RP_ROLE_BACKOFFICE;
	e.fields = RP_FIELD_EMAIL;
	e.tenant = i;
	e.node = RP_STR_LIT("vault");
	e.actor = rp_str_c(actor);
	e.purpose = RP_STR_LIT("support");
	e.n_records = 2;
	e.records = &recs[0][0];
	if (rp_alog_body_encode(&e, out) != 0)
		abort();
}

static int
send_append(int fd, uint64_t cookie, struct rp_str b)
{
	rp_msgw_begin(&w, RP_MSG_LOG_APPEND);
	rp_msgw_put_u64(&w, cookie);
	rp_msgw_put_str(&w, b);
	return rp_msgw_send(fd, &w, 0);
}

/*
 * Sends n appends (cookies base..base+n-1) and reads the n answers: true
 * if all are DURABLE for our cookies, with unique consecutive indexes
 * starting at *next and non-decreasing times.
 */
static bool
burst(int fd, unsigned n, uint64_t base, uint64_t *next)
{
	struct rp_buf b;
	struct rp_msg m;
	uint64_t cookie, index, t, last_t = 0;
	bool *seen = calloc(n, sizeof(*seen)), good = true;
	bool *seen_ix = calloc(n, sizeof(*seen_ix));
	unsigned got = 0, sent = 0;

	rp_buf_init(&b, RP_ALOG_MAX_ENTRY);
	/* Keep at most 64 in flight: a well-behaved client reads as it goes. */
	while (got < n && good) {
		while (sent < n && sent - got < 64) {
			body(sent, &b);
			if (send_append(fd, base + sent, rp_buf_str(&b)) != 0)
				good = false;
			sent++;
		}
		if (recv_wait(fd, &m, 5000) != 0 ||
		    m.type != RP_MSG_LOG_DURABLE ||
		    rp_msg_get_u64(&m, &cookie) != 0 ||
		    rp_msg_get_u64(&m, &index) != 0 ||
		    rp_msg_get_u64(&m, &t) != 0 || rp_msg_end(&m) != 0 ||
		    cookie < base || cookie >= base + n || seen[cookie - base] ||
		    index < *next || index >= *next + n ||
		    seen_ix[index - *next] || t < last_t) {
			good = false;
			break;
		}
		seen[cookie - base] = true;
		seen_ix[index - *next] = true;
		last_t = t;
		got++;
	}
	/* n distinct indexes within [next, next+n): consecutive. */
	*next += n;
	rp_buf_release(&b);
	free(seen);
	free(seen_ix);
	return good && got == n;
}

static size_t
sink(char *p, size_t sz, size_t nm, void *arg)
{
	rp_buf_add(arg, p, sz * nm);
	return sz * nm;
}

static long
http_get(const char *path, struct rp_buf *out, char *ctype, size_t ccap)
{
	char url[256];
	long status = 0;
	char *ct = NULL;
	CURL *c = curl_easy_init();

	rp_buf_reset(out);
	snprintf(url, sizeof(url), "http://127.0.0.1:%" PRIu32 "%s",
	    conf.alog_http_port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
	if (curl_easy_perform(c) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
		if (ctype != NULL)
			snprintf(ctype, ccap, "%s", ct ? ct : "");
	}
	curl_easy_cleanup(c);
	return status;
}

static bool
read_file(const char *rel, struct rp_buf *out)
{
	char path[1200], chunk[4096];
	ssize_t n;
	int fd;

	rp_buf_reset(out);
	snprintf(path, sizeof(path), "%s/%s", conf.data_dir, rel);
	if ((fd = open(path, O_RDONLY)) < 0)
		return false;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		rp_buf_add(out, chunk, (size_t)n);
	close(fd);
	return true;
}

/* True when EOF arrives on fd within ms (the writer dropped us). */
static bool
dropped(int fd, int ms)
{
	struct rp_msg m;

	return recv_wait(fd, &m, ms) == RP_E_CLOSED;
}

/* How long a test waits for the writer to publish (a bound, not a speed). */
#define WAIT_MS 30000

/* Polls /checkpoint until it is cosigned by keys[1] and covers min. */
static bool
wait_cosigned(uint64_t min, struct rp_buf *note, struct rp_checkpoint *cp,
    struct rp_note *nt, const struct rp_note_verifier *keys, uint64_t *ms)
{
	struct rp_note_result res[2];
	uint64_t t0 = mono_ms();

	int status = 0, r = -1;

	/* Generous: under a loaded CI (sanitizers, parallel suites, fsync
	 * behind a busy disk) one exchange can take seconds; the wait ends
	 * as soon as the cosigned checkpoint is there. */
	while (mono_ms() - t0 < WAIT_MS) {
		memset(res, 0, sizeof(res));
		if ((status = http_get("/checkpoint", note, NULL, 0)) == 200 &&
		    (r = rp_checkpoint_open(rp_buf_str(note), RP_STR_NULL, keys,
		    2, nt, cp, res)) == 0 && res[0].verified &&
		    res[1].verified && cp->size >= min) {
			*ms = mono_ms() - t0;
			return true;
		}
		usleep(50000);
	}
	diag("no cosigned checkpoint of >= %" PRIu64 " entries in %d ms: "
	    "last GET %d, open %d, size %" PRIu64 ", log key %d, witness %d",
	    min, WAIT_MS, status, r, r == 0 ? cp->size : 0, res[0].verified,
	    res[1].verified);
	return false;
}

/* Polls /checkpoint until it names at least min entries. */
static bool
wait_checkpoint(uint64_t min, struct rp_buf *note, struct rp_checkpoint *cp,
    struct rp_note *nt, const struct rp_note_verifier *vk, uint64_t *ms)
{
	uint64_t t0 = mono_ms();

	int status = 0, r = -1;

	while (mono_ms() - t0 < WAIT_MS) {
		if ((status = http_get("/checkpoint", note, NULL, 0)) == 200 &&
		    (r = rp_checkpoint_open(rp_buf_str(note), RP_STR_NULL, vk,
		    1, nt, cp, NULL)) == 0 && cp->size >= min) {
			*ms = mono_ms() - t0;
			return true;
		}
		usleep(50000);
	}
	diag("no checkpoint of >= %" PRIu64 " entries in %d ms: last GET %d, "
	    "open %d, size %" PRIu64, min, WAIT_MS, status, r,
	    r == 0 ? cp->size : 0);
	return false;
}

int
main(void)
{
	char dir[] = "/tmp/rp-alog-writer-XXXXXX", ct[128], tpath[64];
	struct rp_buf b, note, file;
	struct rp_note *nt = malloc(sizeof(*nt));
	struct rp_note_verifier vk;
	struct rp_checkpoint cp;
	struct rp_msg m;
	uint64_t next = 1, ms, t0;
	int pfd, cfd, c2, status;
	pid_t pid, kid;

	rp_log_set_level(RP_LOG_ERROR);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rp_buf_init(&b, 1 << 24);
	rp_buf_init(&note, RP_NOTE_MAX_LEN);
	rp_buf_init(&file, 1 << 24);
	ok(mkdtemp(dir) != NULL, "mkdtemp");
	rp_conf_defaults(&conf);
	snprintf(conf.data_dir, sizeof(conf.data_dir), "%s", dir);
	snprintf(conf.alog_http_addr, sizeof(conf.alog_http_addr), "127.0.0.1");
	conf.alog_http_port = free_port();
	conf.checkpoint_interval_ms = 100;
	/* A witness that is not there: connection refused. */
	snprintf(conf.witness_url, sizeof(conf.witness_url),
	    "http://127.0.0.1:%u/", free_port());

	pid = spawn_writer(&pfd);
	is_int(send_register(pfd, getpid(), RP_ALOG_PEER_VAULT), 0,
	    "register ourselves as the vault");
	ok(wait_ready(pfd), "READY{2, 1}");
	cfd = connect_log();
	ok(cfd >= 0, "connect to alog.sock");

	/* Bursts: index 0 is the writer's start heartbeat. */
	ok(burst(cfd, 200, 1000, &next), "burst of 200: durable, unique, "
	    "consecutive");
	ok(burst(cfd, 1000, 5000, &next), "burst of 1000");
	ok(burst(cfd, 1, 9000, &next), "single append");

	/* A malformed message drops that client, not the others. */
	c2 = connect_log();
	rp_msgw_begin(&w, RP_MSG_LOG_APPEND);
	rp_msgw_put_u32(&w, 7);		/* truncated: no body */
	ok(c2 >= 0 && rp_msgw_send(c2, &w, 0) == 0, "send a malformed frame");
	ok(dropped(c2, 3000), "malformed client dropped");
	close(c2);
	c2 = connect_log();
	ok(c2 >= 0 && send_append(c2, 1, RP_STR_LIT("not an entry body")) == 0,
	    "send a body that does not decode");
	ok(dropped(c2, 3000), "bad body: client dropped");
	close(c2);
	c2 = connect_log();
	rp_msgw_begin(&w, RP_MSG_PING);
	rp_msgw_put_u64(&w, 1);
	ok(c2 >= 0 && rp_msgw_send(c2, &w, 0) == 0, "send another type");
	ok(dropped(c2, 3000), "wrong type: client dropped");
	close(c2);
	ok(burst(cfd, 10, 9100, &next), "the good client still served");

	/* An unregistered process is refused. */
	if ((kid = fork()) == 0) {
		int fd = connect_log();
		struct rp_buf kb;

		rp_buf_init(&kb, RP_ALOG_MAX_ENTRY);
		body(1, &kb);
		if (fd >= 0)
			(void)send_append(fd, 1, rp_buf_str(&kb));
		_exit(fd >= 0 && dropped(fd, 3000) ? 0 : 1);
	}
	ok(waitpid(kid, &status, 0) == kid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "unregistered client refused");

	/* Checkpoints over HTTP (the witness is down: log signature only). */
	ok(read_file("alog/vkey", &b) && b.len > 1, "vkey file");
	is_int(rp_note_verifier_parse((struct rp_str){ b.d, b.len - 1 }, &vk),
	    0, "vkey parses");
	ok(wait_checkpoint(next, &note, &cp, nt, &vk, &ms),
	    "checkpoint covering every entry within the interval");
	diag("checkpoint at size %" PRIu64 " seen after %" PRIu64 " ms",
	    cp.size, ms);
	ok(read_file("alog/checkpoint", &file) &&
	    rp_str_eq(rp_buf_str(&file), rp_buf_str(&note)),
	    "GET /checkpoint == DATA/alog/checkpoint");
	is_int(http_get("/checkpoint", &b, ct, sizeof(ct)), 200, "200");
	is_str(ct, "text/plain; charset=utf-8", "checkpoint content type");
	{
		/* Every entry via bundles, hashed: the checkpoint's root. */
		uint64_t n = cp.size;
		uint8_t *leaves = malloc((size_t)n * 32), root[32];
		struct rp_str ents[256];
		bool good = true;

		for (uint64_t N = 0; N * 256 < n && good; N++) {
			struct rp_tile t = { RP_TILE_ENTRIES, N,
			    rp_tile_width_at(n, 0, N) };

			rp_tile_path(&t, tpath, sizeof(tpath));
			snprintf(ct, sizeof(ct), "/%s", tpath);
			if (http_get(ct, &b, NULL, 0) != 200 ||
			    rp_bundle_parse(rp_buf_str(&b), t.width, ents) != 0)
				good = false;
			for (unsigned i = 0; good && i < t.width; i++)
				rp_merkle_leaf_hash(ents[i].p, ents[i].n,
				    leaves + (N * 256 + i) * 32);
		}
		ok(good, "every bundle over HTTP");
		rp_merkle_hash_nodes(leaves, n, root);
		ok(good && memcmp(root, cp.root, 32) == 0,
		    "bundles hash to the checkpoint root");
		is_int(http_get("/tile/0/000", &b, ct, sizeof(ct)), 200,
		    "GET /tile/0/000");
		ok(b.len == 8192 && memcmp(b.d, leaves, 8192) == 0,
		    "full tile = leaf hashes");
		is_str(ct, "application/octet-stream", "tile content type");
		ok(read_file("alog/tile/0/000", &file) &&
		    rp_str_eq(rp_buf_str(&file), rp_buf_str(&b)),
		    "same bytes as on disk");
		is_int(http_get("/tile/0/001.p/5", &b, NULL, 0), 200,
		    "older partial width served");
		ok(b.len == 160 && memcmp(b.d, leaves + 256 * 32, 160) == 0,
		    "cut from the stored tile");
		free(leaves);
	}
	is_int(http_get("/tile/0/009", &b, NULL, 0), 404, "beyond size: 404");
	snprintf(tpath, sizeof(tpath), "/tile/entries/x001/000");
	is_int(http_get(tpath, &b, NULL, 0), 404, "far beyond: 404");
	is_int(http_get("/tile/0/00", &b, NULL, 0), 404, "bad path: 404");
	is_int(http_get("/tile/0/../key", &b, NULL, 0), 404, "dotdot: 404");
	is_int(http_get("/key", &b, NULL, 0), 404, "key: 404");

	/* The dead witness does not slow appends. */
	t0 = mono_ms();
	ok(burst(cfd, 50, 20000, &next), "appends while the witness is down");
	ms = mono_ms() - t0;
	diag("50 appends in %" PRIu64 " ms with the witness down", ms);

	/* PEER_FORGET: the parent says we are gone; our connection goes. */
	rp_msgw_begin(&w, RP_MSG_PEER_FORGET);
	rp_msgw_put_u32(&w, (uint32_t)getpid());
	is_int(rp_msgw_send(pfd, &w, 0), 0, "send PEER_FORGET");
	ok(dropped(cfd, 3000), "forgotten client dropped");
	c2 = connect_log();
	ok(c2 >= 0 && dropped(c2, 3000), "and refused when reconnecting");
	if (c2 >= 0)
		close(c2);

	/* STOP → exit 0, final checkpoint covers everything. */
	rp_msgw_begin(&w, RP_MSG_STOP);
	is_int(rp_msgw_send(pfd, &w, 0), 0, "send STOP");
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "STOP: exit 0");
	close(cfd);
	close(pfd);

	/* Restart: recovery, a new heartbeat, exit when the parent goes. */
	conf.alog_http_port = free_port();
	pid = spawn_writer(&pfd);
	ok(wait_ready(pfd), "restarted: READY");
	ok(read_file("alog/checkpoint", &file) &&
	    rp_checkpoint_open(rp_buf_str(&file), RP_STR_NULL, &vk, 1, nt, &cp,
	    NULL) == 0 && cp.size >= next - 1, "checkpoint kept");
	ok(wait_checkpoint(next + 1, &note, &cp, nt, &vk, &ms),
	    "new checkpoint includes the restart heartbeat");
	next++;
	close(pfd);
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "parent gone: exit 0");

	/* The HTTP address in use: the writer says so and exits non-zero. */
	{
		struct sockaddr_in sa;
		int busy = socket(AF_INET, SOCK_STREAM, 0);
		uint32_t saved = conf.alog_http_port;

		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		conf.alog_http_port = free_port();
		sa.sin_port = htons((uint16_t)conf.alog_http_port);
		ok(bind(busy, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    listen(busy, 1) == 0, "occupy a port");
		pid = spawn_writer(&pfd);
		ok(!wait_ready(pfd), "no READY when the port is taken");
		ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) != 0, "address in use: exit non-zero");
		close(pfd);
		close(busy);
		conf.alog_http_port = saved;
	}

	/* A live witness: cosignatures, consistency proofs, 409 on restart. */
	{
		struct rp_witness *wit = NULL;
		struct rp_note_verifier keys[2];
		struct rp_buf err;
		uint32_t bound = 0;

		rp_buf_init(&err, 4096);
		keys[0] = vk;
		is_int(rp_witness_open(&conf, &wit, &err), 0, "witness opens");
		is_int(wit ? rp_witness_http_start(wit, "127.0.0.1", 0, &bound,
		    &err) : -1, 0, "witness listens");
		is_int(wit ? rp_note_verifier_parse(rp_str_c(rp_witness_vkey(
		    wit)), &keys[1]) : -1, 0, "witness vkey");
		snprintf(conf.witness_url, sizeof(conf.witness_url),
		    "http://127.0.0.1:%" PRIu32, bound);
		conf.alog_http_port = free_port();
		pid = spawn_writer(&pfd);
		is_int(send_register(pfd, getpid(), RP_ALOG_PEER_VAULT), 0,
		    "register again");
		ok(wait_ready(pfd), "writer with a witness: READY");
		ok(wait_cosigned(next + 1, &note, &cp, nt, keys, &ms),
		    "first checkpoint cosigned (old 0)");
		next++;
		cfd = connect_log();
		ok(cfd >= 0 && burst(cfd, 300, 30000, &next),
		    "burst with the witness up");
		ok(wait_cosigned(next, &note, &cp, nt, keys, &ms),
		    "next checkpoint cosigned (consistency proof)");
		ok(read_file("alog/checkpoint", &file) &&
		    rp_str_eq(rp_buf_str(&file), rp_buf_str(&note)),
		    "the file carries the cosignature");
		rp_msgw_begin(&w, RP_MSG_STOP);
		is_int(rp_msgw_send(pfd, &w, 0), 0, "send STOP");
		ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0, "STOP: exit 0");
		close(cfd);
		close(pfd);
		/* A fresh writer believes the witness at 0: 409, then a proof. */
		conf.alog_http_port = free_port();
		pid = spawn_writer(&pfd);
		ok(wait_ready(pfd), "restarted with a witness: READY");
		ok(wait_cosigned(next + 1, &note, &cp, nt, keys, &ms),
		    "cosigned after a 409 from the witness");
		close(pfd);
		ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0, "exit 0");
		rp_witness_free(wit);
		rp_buf_release(&err);
	}
	(void)m;

	rp_buf_release(&b);
	rp_buf_release(&note);
	rp_buf_release(&file);
	free(nt);
	curl_global_cleanup();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("cleanup failed");
	}
	return tap_done();
}
