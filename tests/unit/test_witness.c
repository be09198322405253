/* SPDX-License-Identifier: ISC */
/*
 * test_witness.c — the witness (src/witness/) against real checkpoints: a
 * test log key made from a fixed seed signs checkpoints of trees built from
 * hashed leaves; the witness runs in-process on a kernel-chosen port with
 * a temporary data directory, and requests go over raw TCP sockets.
 * Covers every tlog-witness status, the cosignature, alarms on a rebuilt
 * history and on rollback, state across restarts, atomic files, the lock,
 * the lazily read DATA/alog/vkey, and the child-process protocol
 * (READY / STOP over a socket pair).
 */
#include "util/common.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alog/b64.h"
#include "alog/merkle.h"
#include "alog/note.h"
#include "alog/tile.h"
#include "alog/wauth.h"
#include "proc/msg.h"
#include "util/log.h"
#include "witness/witness.h"

#include "tap.h"

#define ORIGIN		"rentport.test/access-log"
#define NLEAVES		640

static uint8_t leaves[NLEAVES][32];	/* the genuine log */
static uint8_t forged[NLEAVES][32];	/* entry 3 rewritten */

struct tree {
	uint8_t (*h)[32];
};

static int
reader(void *arg, unsigned level, uint64_t index, uint8_t out[32])
{
	struct tree *t = arg;
	uint64_t w = (uint64_t)1 << level;

	if ((index + 1) * w > NLEAVES)
		return RP_E_RANGE;
	rp_merkle_hash_nodes(&t->h[index * w][0], (size_t)w, out);
	return 0;
}

static void
root_of(uint8_t (*h)[32], uint64_t n, uint8_t out[32])
{
	rp_merkle_hash_nodes(&h[0][0], (size_t)n, out);
}

/* Signed checkpoint note of tree h at size n, by signer s. */
static void
checkpoint(const struct rp_note_signer *s, const char *origin,
    uint8_t (*h)[32], uint64_t n, struct rp_buf *note)
{
	struct rp_buf text;
	uint8_t root[32];

	root_of(h, n, root);
	rp_buf_init(&text, 4096);
	if (rp_checkpoint_format(rp_str_c(origin), n, root, RP_STR_NULL,
	    &text) != 0 || rp_note_sign(rp_buf_str(&text), &s, 1, note) != 0)
		abort();
	rp_buf_release(&text);
}

/* add-checkpoint body: old, the proof of tree h from old to n, the note. */
static void
body_for(uint64_t old, uint8_t (*h)[32], uint64_t pold, uint64_t n,
    struct rp_str note, bool flip, struct rp_buf *b)
{
	uint8_t proof[RP_MERKLE_MAX_PROOF * 32];
	struct tree t = { h };
	size_t np = 0;

	if (h != NULL && rp_merkle_prove_consistency(reader, &t, pold, n, proof,
	    &np) != 0)
		abort();
	if (flip && np > 0)
		proof[5] ^= 0x01;
	rp_buf_printf(b, "old %" PRIu64 "\n", old);
	for (size_t i = 0; i < np; i++) {
		rp_b64_encode(proof + 32 * i, 32, b);
		rp_buf_add_ch(b, '\n');
	}
	rp_buf_add_ch(b, '\n');
	rp_buf_add_str(b, note);
}

struct resp {
	int status;
	char ctype[64];
	char body[4096];
};

static int
http_h(uint32_t port, const char *method, const char *path, struct rp_str body,
    const char *hdr, struct resp *out)
{
	struct sockaddr_in sin;
	struct rp_buf rq, in;
	char chunk[4096], *p, *e, *ct;
	ssize_t k;
	int s, r = -1;

	memset(out, 0, sizeof(*out));
	rp_buf_init(&rq, 1 << 20);
	rp_buf_init(&in, 1 << 20);
	rp_buf_printf(&rq, "%s %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Connection: close\r\n%s%sContent-Length: %zu\r\n\r\n", method,
	    path, hdr != NULL ? hdr : "", hdr != NULL ? "\r\n" : "", body.n);
	rp_buf_add_str(&rq, body);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		goto out;
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		goto out;
	/* A refused upload may be cut short by the server: ignore EPIPE. */
	(void)send(s, rq.d, rq.len, MSG_NOSIGNAL);
	while ((k = recv(s, chunk, sizeof(chunk), 0)) > 0)
		rp_buf_add(&in, chunk, (size_t)k);
	if (in.len < 12 || sscanf(in.d, "HTTP/1.1 %d", &out->status) != 1)
		goto out;
	if ((p = strstr(in.d, "\r\n\r\n")) == NULL)
		goto out;
	*p = '\0';
	if ((ct = strcasestr(in.d, "\r\nContent-Type: ")) != NULL) {
		ct += 16;
		if ((e = strstr(ct, "\r\n")) == NULL)
			e = ct + strlen(ct);
		snprintf(out->ctype, sizeof(out->ctype), "%.*s", (int)(e - ct),
		    ct);
	}
	snprintf(out->body, sizeof(out->body), "%s", p + 4);
	r = 0;
 out:
	if (s >= 0)
		close(s);
	rp_buf_release(&rq);
	rp_buf_release(&in);
	return r;
}

static int
http(uint32_t port, const char *method, const char *path, struct rp_str body,
    struct resp *out)
{
	return http_h(port, method, path, body, NULL, out);
}

static char tmpdir[64];

static char *
path_in(const char *rel)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	return p;
}

/*
 * POSTs add-checkpoint as the log writer does: with the HMAC of the body
 * under DATA/witness/client.key.  auth_key_mode 1: no Authorization; 2: a
 * key the witness does not know.  Returns the status (-1 on transport
 * failure).
 */
static int auth_key_mode;

static int
post(uint32_t port, struct rp_buf *b, struct resp *out)
{
	uint8_t key[RP_WAUTH_KEY_LEN];
	struct rp_buf h;
	int r;

	rp_buf_init(&h, 256);
	if (auth_key_mode != 1) {
		if (rp_wauth_key_load(path_in("witness/client.key"), key) != 0)
			memset(key, 0, sizeof(key));
		if (auth_key_mode == 2)
			key[0] ^= 1;
		rp_buf_add_c(&h, "Authorization: ");
		rp_wauth_header(key, rp_buf_str(b), &h);
	}
	r = http_h(port, "POST", "/add-checkpoint", rp_buf_str(b),
	    h.len > 0 ? h.d : NULL, out);
	rp_buf_release(&h);
	rp_buf_reset(b);
	return r != 0 ? -1 : out->status;
}

static int
count_alarms(const char *kind)
{
	char line[1024];
	FILE *f = fopen(path_in("witness/alarms.log"), "r");
	int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, " ALARM ") != NULL &&
		    (kind == NULL || strstr(line, kind) != NULL))
			n++;
	fclose(f);
	return n;
}

static bool
no_temp_files(void)
{
	struct dirent *de;
	DIR *d = opendir(path_in("witness"));
	bool clean = d != NULL;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (strstr(de->d_name, "tmp") != NULL)
			clean = false;
	if (d != NULL)
		closedir(d);
	return clean;
}

static void
rm_tree(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
}

/* Checks that line is a cosignature of note by the witness key vkey. */
static bool
cosig_verifies(struct rp_str note, const char *line, const char *vkey,
    uint64_t t0)
{
	struct rp_note_verifier v;
	struct rp_note_result res;
	struct rp_note *n = malloc(sizeof(*n));
	struct rp_buf all;
	bool good = false;

	rp_buf_init(&all, 65536);
	rp_buf_add_str(&all, note);
	rp_buf_add_c(&all, line);
	if (n != NULL && rp_note_verifier_parse(rp_str_c(vkey), &v) == 0 &&
	    v.alg == RP_NOTE_ALG_COSIG_V1 &&
	    rp_note_parse(rp_buf_str(&all), n) == 0 && n->nsigs == 2 &&
	    rp_note_verify(n, &v, 1, &res) == 0 && res.verified &&
	    res.time >= t0 && res.time <= (uint64_t)time(NULL) + 1)
		good = true;
	rp_buf_release(&all);
	free(n);
	return good;
}

static uint32_t
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	uint32_t port = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s >= 0 && bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(s, (struct sockaddr *)&sin, &sl) == 0)
		port = ntohs(sin.sin_port);
	if (s >= 0)
		close(s);
	return port;
}

/* ---- A log's read-only tlog-tiles HTTP, from an in-memory tree ---- */

static struct {
	uint8_t (*h)[32];
	uint64_t size;
	struct rp_buf note;
	unsigned tiles;		/* tile requests answered 200 */
} lg;

static enum MHD_Result
log_serve(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	static uint8_t tile[RP_TILE_BYTES];
	struct MHD_Response *resp;
	struct rp_tile t;
	enum MHD_Result ret;
	unsigned status = 404;
	size_t len = 0;
	void *body = (void *)"";

	(void)cls; (void)method; (void)version; (void)upload_data;
	(void)upload_data_size; (void)con_cls;
	if (strcmp(url, "/checkpoint") == 0) {
		status = 200;
		body = lg.note.d;
		len = lg.note.len;
	} else if (url[0] == '/' &&
	    rp_tile_path_parse(rp_str_c(url + 1), &t) == 0 && t.level >= 0 &&
	    rp_tile_width_at(lg.size, t.level, t.index) == t.width) {
		uint64_t span = (uint64_t)1 << (8 * t.level);

		for (unsigned i = 0; i < t.width; i++)
			rp_merkle_hash_nodes(&lg.h[(t.index * 256 + i) * span][0],
			    (size_t)span, tile + 32 * i);
		status = 200;
		body = tile;
		len = (size_t)t.width * 32;
		lg.tiles++;
	}
	resp = MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_COPY);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
log_publish(const struct rp_note_signer *s, uint8_t (*h)[32], uint64_t n)
{
	lg.h = h;
	lg.size = n;
	rp_buf_reset(&lg.note);
	checkpoint(s, ORIGIN, h, n, &lg.note);
}

static bool
cosigned_verifies(const char *vkey, const char *logvkey)
{
	struct rp_note_verifier v[2];
	struct rp_note_result res[2];
	struct rp_note *n = malloc(sizeof(*n));
	char buf[8192];
	FILE *f = fopen(path_in("witness/cosigned"), "r");
	size_t len = f != NULL ? fread(buf, 1, sizeof(buf), f) : 0;
	bool good = n != NULL &&
	    rp_note_verifier_parse(rp_str_c(vkey), &v[0]) == 0 &&
	    rp_note_verifier_parse(rp_str_c(logvkey), &v[1]) == 0 &&
	    rp_note_parse((struct rp_str){ buf, len }, n) == 0 &&
	    n->nsigs == 2 && rp_note_verify(n, v, 2, res) == 0 &&
	    res[0].verified && res[1].verified;

	if (f)
		fclose(f);
	free(n);
	return good;
}

int
main(void)
{
	uint8_t seed[32], root12[32];
	struct rp_note_signer *log = NULL, *evil = NULL, *other = NULL;
	struct rp_witness *w = NULL, *w2 = NULL;
	struct rp_conf conf;
	struct rp_buf b, note, vkb, err;
	struct resp rs;
	struct stat st;
	uint64_t t0 = (uint64_t)time(NULL);
	uint32_t port = 0;
	char entry[32];
	int r;

	rp_log_set_level(RP_LOG_ERROR);
	ok(rp_merkle_selftest() == 0, "SHA-256 works");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rp-witness-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;

	/* The test log: fixed seed; a second key under the same name; a
	 * log nobody configured. */
	memset(seed, 0x42, sizeof(seed));
	ok(rp_note_signer_new(RP_STR_LIT(ORIGIN), RP_NOTE_ALG_ED25519, seed,
	    &log) == 0, "test log key");
	memset(seed, 0x66, sizeof(seed));
	ok(rp_note_signer_new(RP_STR_LIT(ORIGIN), RP_NOTE_ALG_ED25519, seed,
	    &evil) == 0, "untrusted key with the log's name");
	ok(rp_note_signer_new(RP_STR_LIT("other.test/log"),
	    RP_NOTE_ALG_ED25519, seed, &other) == 0, "unknown log key");
	for (int i = 0; i < NLEAVES; i++) {
		snprintf(entry, sizeof(entry), "entry %d", i);
		rp_merkle_leaf_hash(entry, strlen(entry), leaves[i]);
		memcpy(forged[i], leaves[i], 32);
	}
	rp_merkle_leaf_hash("entry 3, rewritten", 18, forged[3]);

	rp_conf_defaults(&conf);
	snprintf(conf.data_dir, sizeof(conf.data_dir), "%s", tmpdir);
	snprintf(conf.witness_name, sizeof(conf.witness_name), "witness.test/w1");
	rp_buf_init(&vkb, 1024);
	ok(rp_note_verifier_format(rp_note_signer_verifier(log), &vkb) == 0,
	    "log vkey formatted");
	snprintf(conf.witness_log_vkey, sizeof(conf.witness_log_vkey), "%s",
	    vkb.d);

	rp_buf_init(&err, 1024);
	rp_buf_init(&b, 1 << 20);
	rp_buf_init(&note, 1 << 16);
	r = rp_witness_open(&conf, &w, &err);
	is_int(r, 0, "witness opens on an empty data dir");
	if (r != 0) {
		diag("%s", err.d ? err.d : "");
		return tap_done();
	}
	ok(rp_witness_http_start(w, "127.0.0.1", 0, &port, &err) == 0 &&
	    port > 0, "HTTP on a kernel-chosen port");
	ok(strncmp(rp_witness_vkey(w), "witness.test/w1+", 16) == 0,
	    "vkey carries the configured name");
	{
		char buf[512] = "";
		FILE *f = fopen(path_in("witness/vkey"), "r");

		ok(f != NULL && fgets(buf, sizeof(buf), f) != NULL &&
		    strncmp(buf, rp_witness_vkey(w), strlen(rp_witness_vkey(w)))
		    == 0 && buf[strlen(rp_witness_vkey(w))] == '\n',
		    "DATA/witness/vkey holds the verifier key and a newline");
		if (f)
			fclose(f);
	}
	ok(stat(path_in("witness/key"), &st) == 0 && st.st_size == 32 &&
	    (st.st_mode & 0777) == 0600, "key: 32 bytes, mode 0600");
	ok(stat(path_in("witness"), &st) == 0 && (st.st_mode & 0777) == 0700,
	    "DATA/witness is mode 0700");
	ok(rp_witness_open(&conf, &w2, &err) == RP_E_STATE && w2 == NULL,
	    "a second witness on the same directory is refused (lock)");

	/* Status page before anything. */
	ok(http(port, "GET", "/status", RP_STR_NULL, &rs) == 0 &&
	    rs.status == 200 && strstr(rs.body, "no checkpoint cosigned") &&
	    strstr(rs.body, "witness.test/w1+"), "GET /status");
	ok(http(port, "GET", "/nope", RP_STR_NULL, &rs) == 0 &&
	    rs.status == 404, "unknown path: 404");
	ok(http(port, "GET", "/add-checkpoint", RP_STR_NULL, &rs) == 0 &&
	    rs.status == 405, "GET /add-checkpoint: 405");

	/* 0. Only the log writer may add checkpoints. */
	{
		char buf[128] = "";
		FILE *f = fopen(path_in("witness/client.key"), "r");
		size_t len = f != NULL ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		ok(len == 65 && buf[64] == '\n' &&
		    strspn(buf, "0123456789abcdef") == 64,
		    "DATA/witness/client.key: 64 hex digits and a newline");
		ok(stat(path_in("witness/client.key"), &st) == 0 &&
		    (st.st_mode & 0777) == 0600, "client.key: mode 0600");
		if (f)
			fclose(f);
	}
	checkpoint(log, ORIGIN, leaves, 5, &note);
	auth_key_mode = 1;
	body_for(0, NULL, 0, 0, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 401, "add-checkpoint without authorization: 401");
	auth_key_mode = 2;
	body_for(0, NULL, 0, 0, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 401, "add-checkpoint with another key: 401");
	auth_key_mode = 0;
	rp_buf_printf(&b, "old 0\n\n%s", note.d);
	ok(http_h(port, "POST", "/add-checkpoint", rp_buf_str(&b),
	    "Authorization: " RP_WAUTH_SCHEME " 00", &rs) == 0 &&
	    rs.status == 401, "a malformed HMAC: 401");
	rp_buf_reset(&b);
	ok(http(port, "GET", "/status", RP_STR_NULL, &rs) == 0 &&
	    strstr(rs.body, "no checkpoint cosigned") != NULL,
	    "... and nothing was cosigned");
	rp_buf_reset(&note);

	/* 1. First checkpoint, old 0. */
	checkpoint(log, ORIGIN, leaves, 5, &note);
	body_for(0, NULL, 0, 0, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 200, "first checkpoint (old 0): 200");
	ok(strncmp(rs.body, "\xe2\x80\x94 witness.test/w1 ", 20) == 0,
	    "answer is one cosignature line");
	ok(cosig_verifies(rp_buf_str(&note), rs.body, rp_witness_vkey(w), t0),
	    "the cosignature verifies with the witness vkey");
	ok(!cosig_verifies(rp_buf_str(&note), rs.body, vkb.d, t0),
	    "... and not with another key");
	ok(no_temp_files(), "no temporary files left after the state write");

	/* 2. Growth with a correct proof. */
	rp_buf_reset(&note);
	checkpoint(log, ORIGIN, leaves, 12, &note);
	body_for(5, leaves, 5, 12, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 200, "growth 5 -> 12 with a proof: 200");
	ok(cosig_verifies(rp_buf_str(&note), rs.body, rp_witness_vkey(w), t0),
	    "cosignature of the grown checkpoint verifies");
	body_for(12, NULL, 0, 0, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 200, "same checkpoint again: 200");

	/* 3. Wrong old size. */
	rp_buf_reset(&note);
	checkpoint(log, ORIGIN, leaves, 20, &note);
	body_for(5, leaves, 5, 20, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 409, "old != stored size: 409");
	is_str(rs.body, "12\n", "409 body is the stored size");
	is_str(rs.ctype, "text/x.tlog.size", "409 Content-Type");

	/* 4. Bad proof (one bit flipped). */
	body_for(12, leaves, 12, 20, rp_buf_str(&note), true, &b);
	is_int(post(port, &b, &rs), 422, "bad consistency proof: 422");
	is_int(count_alarms("fork-proof"), 1, "a failing proof raises an alarm");
	body_for(12, leaves, 0, 20, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 422, "empty proof for 12 -> 20: 422");
	is_int(count_alarms("fork-proof"), 2, "... also an alarm");

	/* 5. Untrusted signatures and unknown origin. */
	rp_buf_reset(&note);
	checkpoint(evil, ORIGIN, leaves, 20, &note);
	body_for(12, leaves, 12, 20, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 403, "signed by an untrusted key: 403");
	rp_buf_reset(&note);
	checkpoint(log, ORIGIN, leaves, 20, &note);
	{
		/* Corrupt one base64 symbol of the log signature itself. */
		char *sig = strstr(note.d, "\xe2\x80\x94 " ORIGIN " ");
		size_t off = (size_t)(sig - note.d) + 4 + strlen(ORIGIN) + 20;

		note.d[off] = note.d[off] == 'A' ? 'B' : 'A';
	}
	body_for(12, leaves, 12, 20, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 403, "trusted key whose signature fails: 403");
	rp_buf_reset(&note);
	checkpoint(other, "other.test/log", leaves, 20, &note);
	body_for(0, NULL, 0, 0, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 404, "unknown origin: 404");

	/* 6. Malformed requests. */
	rp_buf_reset(&note);
	checkpoint(log, ORIGIN, leaves, 20, &note);
	body_for(21, NULL, 0, 0, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 400, "old > size: 400");
	rp_buf_printf(&b, "old 012\n\n%s", note.d);
	is_int(post(port, &b, &rs), 400, "leading zero in old: 400");
	rp_buf_printf(&b, "old 12\nnot-base64\n\n%s", note.d);
	is_int(post(port, &b, &rs), 400, "bad proof line: 400");
	rp_buf_printf(&b, "old 12\n\n%s", "garbage\n");
	is_int(post(port, &b, &rs), 400, "not a note: 400");
	for (int i = 0; i < RP_WITNESS_MAX_BODY / 16 + 1; i++)
		rp_buf_add_c(&b, "0123456789abcdef");
	is_int(post(port, &b, &rs), 413, "body over 16 KiB: 413");

	/* 7. A rebuilt history: entry 3 changed, same size 12. */
	rp_buf_reset(&note);
	checkpoint(log, ORIGIN, forged, 12, &note);
	body_for(12, NULL, 0, 0, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 422,
	    "rebuilt history, same size, other root: 422");
	is_int(count_alarms("fork-same-size"), 1, "... and an ALARM line");
	/* ... and grown to 20: its own proof from 12 cannot match our root. */
	rp_buf_reset(&note);
	checkpoint(log, ORIGIN, forged, 20, &note);
	body_for(12, forged, 12, 20, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 422,
	    "rebuilt history grown to 20 with its own proof: 422");
	is_int(count_alarms("fork-proof"), 3, "... and an ALARM line");

	/* 8. An older checkpoint the log did sign (a replay): 409, no alarm. */
	{
		int before = count_alarms(NULL);

		rp_buf_reset(&note);
		checkpoint(log, ORIGIN, leaves, 8, &note);
		body_for(0, NULL, 0, 0, rp_buf_str(&note), false, &b);
		is_int(post(port, &b, &rs), 409, "older checkpoint (8): 409");
		is_str(rs.body, "12\n", "... telling the stored size");
		is_str(rs.ctype, "text/x.tlog.size", "... as text/x.tlog.size");
		body_for(5, leaves, 5, 8, rp_buf_str(&note), false, &b);
		is_int(post(port, &b, &rs), 409,
		    "older checkpoint with a valid proof from 5: 409");
		is_int(count_alarms(NULL), before,
		    "... and no ALARM line for either");
		is_int(count_alarms("rollback"), 0, "no rollback alarm at all");
	}
	{
		char want[256], line[1024] = "";
		FILE *f = fopen(path_in("witness/alarms.log"), "r");

		root_of(leaves, 12, root12);
		rp_buf_reset(&b);
		rp_b64_encode(root12, 32, &b);
		snprintf(want, sizeof(want), " ALARM fork-same-size origin="
		    ORIGIN " stored=12 %s offered=12 ", b.d);
		while (f != NULL && fgets(line, sizeof(line), f) != NULL &&
		    strstr(line, "fork-same-size") == NULL)
			;
		ok(strstr(line, want) != NULL,
		    "alarm line: time, kind, origin, stored and offered");
		if (f)
			fclose(f);
		rp_buf_reset(&b);
	}
	ok(http(port, "GET", "/", RP_STR_NULL, &rs) == 0 &&
	    strstr(rs.body, ORIGIN " size 12 root ") != NULL,
	    "status page shows size 12");

	/* 9. Restart: the state survives. */
	rp_witness_free(w);
	w = NULL;
	ok(rp_witness_open(&conf, &w, &err) == 0 &&
	    rp_witness_http_start(w, "127.0.0.1", 0, &port, &err) == 0,
	    "witness restarts on the same directory");
	rp_buf_reset(&note);
	checkpoint(log, ORIGIN, leaves, 20, &note);
	body_for(5, leaves, 5, 20, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 409, "after restart: old 5 still refused");
	is_str(rs.body, "12\n", "... stored size 12 remembered");
	body_for(12, leaves, 12, 20, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 200, "after restart: 12 -> 20 accepted");
	ok(cosig_verifies(rp_buf_str(&note), rs.body, rp_witness_vkey(w), t0),
	    "same witness key after restart");
	rp_buf_reset(&note);
	checkpoint(log, ORIGIN, forged, 20, &note);
	body_for(20, NULL, 0, 0, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 422, "after restart: fork still refused");
	ok(no_temp_files(), "no temporary files after restarts");
	rp_witness_free(w);
	w = NULL;

	/* 10. A key file readable by others is refused. */
	ok(chmod(path_in("witness/key"), 0644) == 0 &&
	    rp_witness_open(&conf, &w, &err) == RP_E_STATE && w == NULL,
	    "key file mode 0644: refused");
	ok(chmod(path_in("witness/key"), 0600) == 0, "key mode restored");

	/* 11. A corrupt state file stops the witness from starting. */
	{
		int fd = open(path_in("witness/state"), O_WRONLY | O_APPEND);

		ok(fd >= 0 && write(fd, "junk\n", 5) == 5, "state corrupted");
		if (fd >= 0)
			close(fd);
		rp_buf_reset(&err);
		ok(rp_witness_open(&conf, &w, &err) == RP_E_INVAL && w == NULL,
		    "corrupt state: refuses to start");
	}
	rm_tree(tmpdir);

	/* 12. No log key configured: DATA/alog/vkey is read when it appears. */
	conf.witness_log_vkey[0] = '\0';
	conf.witness_name[0] = '\0';
	ok(rp_witness_open(&conf, &w, &err) == 0 &&
	    rp_witness_http_start(w, "127.0.0.1", 0, &port, &err) == 0,
	    "witness starts before the log writer");
	ok(strncmp(rp_witness_vkey(w), "rentport.invalid/witness/", 25) == 0,
	    "default name rentport.invalid/witness/<hex>");
	rp_buf_reset(&note);
	checkpoint(log, ORIGIN, leaves, 3, &note);
	body_for(0, NULL, 0, 0, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 404, "no log key yet: 404");
	{
		FILE *f;

		mkdir(path_in("alog"), 0700);
		f = fopen(path_in("alog/vkey"), "w");
		ok(f != NULL && fprintf(f, "%s\n", vkb.d) > 0 && fclose(f) == 0,
		    "log writer publishes DATA/alog/vkey");
	}
	body_for(0, NULL, 0, 0, rp_buf_str(&note), false, &b);
	is_int(post(port, &b, &rs), 200, "then the same checkpoint: 200");
	{
		uint8_t z[32] = { 0 };
		int devnull = open("/dev/null", O_WRONLY);

		rp_log_set_fd(devnull);
		for (int i = 0; i < RP_WITNESS_ALARMS_PER_MIN + 10; i++)
			rp_witness_alarm(w, "test-flood", RP_STR_LIT(ORIGIN), 9,
			    z, 1, z);
		rp_log_set_fd(2);
		if (devnull >= 0)
			close(devnull);
		is_int(count_alarms("test-flood"), RP_WITNESS_ALARMS_PER_MIN,
		    "alarm lines are rate-limited per minute");
	}
	rp_witness_free(w);
	w = NULL;
	rm_tree(tmpdir);

	/* 13. As a child process: READY{3, 1}, serve, STOP → exit 0. */
	{
		uint8_t *rbuf = malloc(RP_MSG_MAX_FRAME);
		struct rp_msgw *mw = malloc(sizeof(*mw));
		struct pollfd pfd;
		struct rp_msg m;
		uint32_t kind = 0, index = 0;
		int sv[2], status = -1;
		pid_t pid;

		snprintf(conf.witness_log_vkey, sizeof(conf.witness_log_vkey),
		    "%s", vkb.d);
		conf.witness_port = free_port();
		snprintf(conf.witness_addr, sizeof(conf.witness_addr),
		    "127.0.0.1");
		if (rbuf == NULL || mw == NULL ||
		    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
			return 1;
		fflush(stdout);
		if ((pid = fork()) == 0) {
			close(sv[0]);
			_exit(rp_witness_run(&conf, sv[1]));
		}
		close(sv[1]);
		pfd.fd = sv[0];
		pfd.events = POLLIN;
		ok(poll(&pfd, 1, 10000) == 1 && rp_msg_recv(sv[0], rbuf, &m)
		    == 0 && m.type == RP_MSG_READY &&
		    rp_msg_get_u32(&m, &kind) == 0 &&
		    rp_msg_get_u32(&m, &index) == 0 && rp_msg_end(&m) == 0,
		    "child sends READY");
		ok(kind == 3 && index == 1, "READY{kind 3, index 1}");
		rp_buf_reset(&note);
		checkpoint(log, ORIGIN, leaves, 7, &note);
		body_for(0, NULL, 0, 0, rp_buf_str(&note), false, &b);
		is_int(post(conf.witness_port, &b, &rs), 200,
		    "the child cosigns");
		rp_msgw_begin(mw, RP_MSG_STOP);
		ok(rp_msgw_send(sv[0], mw, 0) == 0, "STOP sent");
		ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0, "child exits 0 on STOP");
		close(sv[0]);
		free(rbuf);
		free(mw);
	}
	rm_tree(tmpdir);

	/* 14. Pull mode against a log's tlog-tiles HTTP. */
	{
		struct MHD_Daemon *d;
		const union MHD_DaemonInfo *di;
		char url[64];
		unsigned st14 = 0;

		rp_buf_init(&lg.note, 1 << 16);
		log_publish(log, leaves, 300);
		d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL,
		    NULL, log_serve, NULL, MHD_OPTION_END);
		di = d != NULL ? MHD_get_daemon_info(d,
		    MHD_DAEMON_INFO_BIND_PORT) : NULL;
		ok(di != NULL && di->port > 0, "test log HTTP started");
		snprintf(url, sizeof(url), "http://127.0.0.1:%u/",
		    di != NULL ? di->port : 0);
		ok(rp_witness_open(&conf, &w, &err) == 0 &&
		    rp_witness_http_start(w, "127.0.0.1", 0, &port, &err) == 0,
		    "witness for pull mode");
		rp_buf_reset(&err);
		ok(rp_witness_pull_once(w, url, &st14, &err) == 0 &&
		    st14 == 200, "pull: first checkpoint (300) cosigned");
		ok(cosigned_verifies(rp_witness_vkey(w), vkb.d),
		    "pull: DATA/witness/cosigned has both signatures");
		log_publish(log, leaves, 520);
		lg.tiles = 0;
		ok(rp_witness_pull_once(w, url, &st14, &err) == 0 &&
		    st14 == 200, "pull: 300 -> 520 proven from tiles");
		ok(lg.tiles > 0, "pull: tiles were fetched");
		ok(http(port, "GET", "/cosigned", RP_STR_NULL, &rs) == 0 &&
		    rs.status == 200 && strstr(rs.body, ORIGIN "\n520\n"),
		    "GET /cosigned serves the cosigned checkpoint");
		log_publish(log, forged, 600);
		ok(rp_witness_pull_once(w, url, &st14, &err) == 0 &&
		    st14 == 422, "pull: rebuilt history refused");
		is_int(count_alarms("fork-proof"), 1, "pull: ALARM on the fork");
		log_publish(log, leaves, 400);
		ok(rp_witness_pull_once(w, url, &st14, &err) == 0 &&
		    st14 == 409, "pull: an older checkpoint refused");
		is_int(count_alarms(NULL), 1, "pull: ... without an ALARM");
		log_publish(log, leaves, 640);
		ok(rp_witness_pull_once(w, url, &st14, &err) == 0 &&
		    st14 == 200, "pull: genuine growth to 640 cosigned");
		ok(rp_witness_pull_once(w, "http://127.0.0.1:1/", &st14, &err)
		    != 0 && st14 == 0, "pull: unreachable log is an error");
		ok(rp_witness_pull_once(w, "ftp://x/", &st14, &err) ==
		    RP_E_INVAL, "pull: bad URL refused");
		rp_witness_free(w);
		w = NULL;
		if (d != NULL)
			MHD_stop_daemon(d);
		rp_buf_release(&lg.note);
	}
	rm_tree(tmpdir);

	rp_note_signer_free(log);
	rp_note_signer_free(evil);
	rp_note_signer_free(other);
	rp_buf_release(&b);
	rp_buf_release(&note);
	rp_buf_release(&vkb);
	rp_buf_release(&err);
	return tap_done();
}
