/* SPDX-License-Identifier: ISC */
/*
 * writer.c — the log-writer process (writer.h): the single sequencer of
 * the access log.  One poll loop serves the parent's socket, the clients
 * on DATA/run/alog.sock and a checkpoint timer; a second thread talks to
 * the witness (so a slow or dead witness never delays an append); the
 * read-only HTTP server runs on its own libmicrohttpd thread (http.c).
 *
 * Trust: clients are authenticated by SO_PEERCRED against the pids the
 * parent registered; whatever they send is untrusted — every message is
 * read with the bounds-checked getters and every entry body decoded
 * before it is logged, and any violation drops the client.  The witness's
 * answers are untrusted too: its cosignature lines are only published if
 * the note still parses with them.  We prove ourselves to the witness with
 * an HMAC of each request body (alog/wauth.h; the key file is the
 * witness's, read here).
 */
#include "util/common.h"
#include "proc/child.h"

#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "alog/b64.h"
#include "alog/entry.h"
#include "alog/http.h"
#include "alog/merkle.h"
#include "alog/note.h"
#include "alog/store.h"
#include "alog/tile.h"
#include "alog/wauth.h"
#include "alog/writer.h"
#include "proc/msg.h"
#include "util/log.h"

#define MAX_CLIENTS		64
#define MAX_PEERS		256
#define MAX_QUEUED		65536	/* unsent replies per client */
#define WITNESS_TIMEOUT_MS	1000
#define WITNESS_MAX_REPLY	16384

struct reply {
	uint32_t type;			/* LOG_DURABLE or LOG_FAILED */
	uint64_t cookie, a, b;
};

struct client {
	int fd;				/* -1: free slot */
	pid_t pid;
	uint32_t gen;
	struct reply *q;		/* replies not yet sent */
	size_t qn, qhead, qcap;
};

struct peer {
	pid_t pid;
	uint32_t kind, index;
};

struct pending {			/* one LOG_APPEND of the batch */
	unsigned client;
	uint32_t gen;
	uint64_t cookie;
	size_t off, len;
};

struct witness {
	pthread_t th;
	bool inited, started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int wake[2];			/* thread → loop */
	char url[600];
	int dirfd;
	bool quit, have_req, have_res, busy;
	struct rp_buf note;		/* request: the signed checkpoint */
	uint64_t size;			/* its tree size */
	uint64_t known;			/* the witness's last size we know */
	struct rp_buf lines;		/* result: cosignature lines */
	bool ok;
	char key_path[RP_CONF_PATH_MAX + 32];	/* wauth.h key file */
	uint8_t *key;			/* sodium_malloc; valid if have_key */
	bool have_key;
};

static struct rp_log_limit lim_key = RP_LOG_LIMIT(2);

struct writer {
	const struct rp_conf *conf;
	int parent_fd, listen_fd, sig_fd;
	struct rp_alog_store *st;
	struct rp_alog_http *http;
	struct client clients[MAX_CLIENTS];
	struct peer peers[MAX_PEERS];
	size_t npeers;
	uint8_t rbuf[RP_MSG_MAX_FRAME];
	struct rp_msgw w;
	struct rp_buf bodies, scratch;
	struct pending *batch;
	struct rp_str *views;
	uint64_t *times, *idx;
	size_t batch_max;
	struct witness wit;
	bool cosigned;		/* the published checkpoint carries a cosignature */
	bool stop;
	int status;
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- Peers registered by the parent ---- */

static struct peer *
find_peer(struct writer *wr, pid_t pid)
{
	for (size_t i = 0; i < wr->npeers; i++)
		if (wr->peers[i].pid == pid)
			return &wr->peers[i];
	return NULL;
}

static void
drop_client(struct writer *wr, struct client *c, const char *why)
{
	if (c->fd < 0)
		return;
	if (why != NULL)
		rp_log_warn("alog: dropping client pid %ld: %s", (long)c->pid,
		    why);
	close(c->fd);
	c->fd = -1;
	c->gen++;
	free(c->q);
	c->q = NULL;
	c->qn = c->qhead = c->qcap = 0;
	(void)wr;
}

/* A message from the parent; false if it broke the protocol. */
static bool
parent_msg(struct writer *wr, struct rp_msg *m)
{
	uint32_t pid, kind, index;
	struct peer *p;

	switch (m->type) {
	case RP_MSG_PEER_REGISTER:
		if (rp_msg_get_u32(m, &pid) != 0 ||
		    rp_msg_get_u32(m, &kind) != 0 ||
		    rp_msg_get_u32(m, &index) != 0 || rp_msg_end(m) != 0 ||
		    pid == 0 || pid > INT32_MAX)
			return false;
		if ((p = find_peer(wr, (pid_t)pid)) == NULL) {
			if (wr->npeers == MAX_PEERS) {
				rp_log_warn("alog: peer table full");
				return true;
			}
			p = &wr->peers[wr->npeers++];
		}
		*p = (struct peer){ (pid_t)pid, kind, index };
		return true;
	case RP_MSG_PEER_FORGET:
		if (rp_msg_get_u32(m, &pid) != 0 || rp_msg_end(m) != 0)
			return false;
		if ((p = find_peer(wr, (pid_t)pid)) != NULL)
			*p = wr->peers[--wr->npeers];
		for (unsigned i = 0; i < MAX_CLIENTS; i++)
			if (wr->clients[i].fd >= 0 &&
			    wr->clients[i].pid == (pid_t)pid)
				drop_client(wr, &wr->clients[i], NULL);
		return true;
	default:
		return false;
	}
}

static void
parent_input(struct writer *wr)
{
	struct rp_msg m;
	int r;

	if (wr->parent_fd < 0)
		return;
	/* STOP and PING are handled by rp_child_recv; the registry here. */
	while ((r = rp_child_recv(wr->parent_fd, wr->rbuf, &m, "alog")) > 0) {
		if (r == RP_CHILD_STOP) {
			wr->stop = true;
			return;
		}
		if (r == RP_CHILD_MSG && !parent_msg(wr, &m)) {
			rp_log_error("alog: malformed message from the parent");
			r = RP_E_PROTO;
			break;
		}
	}
	if (r == RP_E_CLOSED)
		wr->stop = true;
	else if (r < 0) {
		wr->stop = true;
		wr->status = 1;
	}
}

/* ---- Clients ---- */

static bool
peer_allowed(struct writer *wr, const struct ucred *cr)
{
	struct peer *p;

	if (wr->parent_fd < 0)		/* standalone: same uid only */
		return cr->uid == getuid();
	/* The parent may not have told us yet: read what it sent. */
	if ((p = find_peer(wr, cr->pid)) == NULL) {
		parent_input(wr);
		p = find_peer(wr, cr->pid);
	}
	return p != NULL && p->kind == RP_ALOG_PEER_VAULT;
}

static void
accept_clients(struct writer *wr)
{
	struct ucred cr;
	socklen_t crl;
	unsigned i;
	int fd;

	for (;;) {
		fd = accept4(wr->listen_fd, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC);
		if (fd < 0)
			return;
		crl = sizeof(cr);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crl) != 0 ||
		    !peer_allowed(wr, &cr)) {
			rp_log_warn("alog: refused a connection from "
			    "unregistered pid %ld", (long)cr.pid);
			close(fd);
			continue;
		}
		for (i = 0; i < MAX_CLIENTS && wr->clients[i].fd >= 0; i++)
			;
		if (i == MAX_CLIENTS) {
			rp_log_warn("alog: too many clients; refused pid %ld",
			    (long)cr.pid);
			close(fd);
			continue;
		}
		wr->clients[i].fd = fd;
		wr->clients[i].pid = cr.pid;
	}
}

static int
queue_reply(struct client *c, const struct reply *rp)
{
	struct reply *nq;
	size_t ncap;

	if (c->qhead > 0 && c->qhead == c->qn)
		c->qhead = c->qn = 0;
	if (c->qn == c->qcap) {
		if (c->qn - c->qhead >= MAX_QUEUED)
			return RP_E_TOOBIG;
		if (c->qhead > 0) {
			memmove(c->q, c->q + c->qhead,
			    (c->qn - c->qhead) * sizeof(*c->q));
			c->qn -= c->qhead;
			c->qhead = 0;
		} else {
			ncap = c->qcap ? c->qcap * 2 : 64;
			if ((nq = realloc(c->q, ncap * sizeof(*nq))) == NULL)
				return RP_E_NOMEM;
			c->q = nq;
			c->qcap = ncap;
		}
	}
	c->q[c->qn++] = *rp;
	return 0;
}

/* Sends what it can without blocking; drops a client that went away. */
static void
flush_client(struct writer *wr, struct client *c)
{
	struct reply *rp;
	int r;

	while (c->fd >= 0 && c->qhead < c->qn) {
		rp = &c->q[c->qhead];
		rp_msgw_begin(&wr->w, rp->type);
		rp_msgw_put_u64(&wr->w, rp->cookie);
		if (rp->type == RP_MSG_LOG_DURABLE) {
			rp_msgw_put_u64(&wr->w, rp->a);
			rp_msgw_put_u64(&wr->w, rp->b);
		} else
			rp_msgw_put_u32(&wr->w, (uint32_t)rp->a);
		r = rp_msgw_send(c->fd, &wr->w, MSG_DONTWAIT);
		if (r == RP_E_AGAIN)
			return;
		if (r != 0) {
			drop_client(wr, c, "reply failed");
			return;
		}
		c->qhead++;
	}
}

/* Reads the LOG_APPENDs waiting on c into the batch (up to batch_max). */
static void
client_input(struct writer *wr, unsigned ci, size_t *n)
{
	struct client *c = &wr->clients[ci];
	struct rp_str body;
	struct rp_msg m;
	uint64_t cookie;
	int r;

	while (c->fd >= 0 && *n < wr->batch_max) {
		r = rp_msg_recv(c->fd, wr->rbuf, &m);
		if (r == RP_E_AGAIN)
			return;
		if (r == RP_E_CLOSED) {
			drop_client(wr, c, NULL);
			return;
		}
		if (r != 0 || m.type != RP_MSG_LOG_APPEND ||
		    rp_msg_get_u64(&m, &cookie) != 0 ||
		    rp_msg_get_str(&m, &body, RP_ALOG_MAX_ENTRY -
		    RP_ALOG_HEADER_LEN) != 0 || rp_msg_end(&m) != 0) {
			drop_client(wr, c, "malformed message");
			return;
		}
		if (rp_alog_entry_stamp(body, 0, &wr->scratch) != 0) {
			drop_client(wr, c, "entry body does not decode");
			return;
		}
		wr->batch[*n] = (struct pending){ ci, c->gen, cookie,
		    wr->bodies.len, body.n };
		if (rp_buf_add_str(&wr->bodies, body) != 0) {
			drop_client(wr, c, "batch buffer full");
			return;
		}
		(*n)++;
	}
}

/* One group commit for the batch, then the replies. */
static void
commit(struct writer *wr, size_t n)
{
	struct reply rp;
	struct client *c;
	int r;

	for (size_t i = 0; i < n; i++)
		wr->views[i] = (struct rp_str){ wr->bodies.d + wr->batch[i].off,
		    wr->batch[i].len };
	r = rp_alog_store_append(wr->st, wr->views, n, wr->times, wr->idx);
	for (size_t i = 0; i < n; i++) {
		c = &wr->clients[wr->batch[i].client];
		if (c->fd < 0 || c->gen != wr->batch[i].gen)
			continue;
		if (r == 0)
			rp = (struct reply){ RP_MSG_LOG_DURABLE,
			    wr->batch[i].cookie, wr->idx[i], wr->times[i] };
		else
			rp = (struct reply){ RP_MSG_LOG_FAILED,
			    wr->batch[i].cookie, (uint64_t)(uint32_t)-r, 0 };
		if (queue_reply(c, &rp) != 0)
			drop_client(wr, c, "too many unread replies");
	}
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		flush_client(wr, &wr->clients[i]);
	rp_buf_reset(&wr->bodies);
	if (r != 0 || (r = rp_alog_store_error(wr->st)) != 0) {
		rp_log_error("alog: store failed (%s); exiting so that "
		    "recovery runs", rp_strerror(r));
		wr->stop = true;
		wr->status = 1;
	}
}

/* ---- Witness (its own thread) ---- */

static size_t
curl_sink(char *p, size_t sz, size_t nm, void *arg)
{
	struct rp_buf *b = arg;

	if (rp_buf_add(b, p, sz * nm) != 0)
		return 0;	/* too big: abort the transfer */
	return sz * nm;
}

/*
 * The key the witness knows us by (wauth.h), read when first needed and
 * again after a 401: the witness makes it at its first start, which may
 * come after ours.
 */
static void
witness_key(struct witness *wt)
{
	int r;

	if (wt->have_key || wt->key == NULL)
		return;
	if ((r = rp_wauth_key_load(wt->key_path, wt->key)) == 0) {
		wt->have_key = true;
		return;
	}
	rp_log_limited(&lim_key, RP_LOG_WARN, "alog: no usable witness client "
	    "key in %s (%s); the witness will refuse our checkpoints",
	    wt->key_path, rp_strerror(r));
}

/*
 * One add-checkpoint request from old size m.  Returns the HTTP status
 * (0 if there was none) with the body in resp.
 */
static long
witness_post(struct witness *wt, uint64_t m, struct rp_buf *resp)
{
	uint8_t proof[RP_MERKLE_MAX_PROOF * RP_MERKLE_HASH_LEN];
	struct curl_slist *hdrs = NULL;
	struct rp_tile_reader rd;
	struct rp_buf body, auth;
	size_t plen = 0;
	long status = 0;
	CURL *cu = NULL;
	int r;

	rp_buf_reset(resp);
	rp_buf_init(&body, RP_NOTE_MAX_LEN * 2);
	rp_buf_init(&auth, 256);
	if ((r = rp_tile_reader_init(&rd, wt->size, rp_alog_tile_load,
	    (void *)(intptr_t)wt->dirfd)) == 0)
		r = rp_merkle_prove_consistency(rp_tile_reader_hash, &rd, m,
		    wt->size, proof, &plen);
	rp_tile_reader_release(&rd);
	if (r != 0) {
		rp_log_error("alog: no consistency proof from %" PRIu64
		    " to %" PRIu64 " for the witness: %s", m, wt->size,
		    rp_strerror(r));
		goto out;
	}
	rp_buf_printf(&body, "old %" PRIu64 "\n", m);
	for (size_t i = 0; i < plen; i++) {
		rp_b64_encode(proof + i * RP_MERKLE_HASH_LEN,
		    RP_MERKLE_HASH_LEN, &body);
		rp_buf_add_ch(&body, '\n');
	}
	rp_buf_add_ch(&body, '\n');
	if (rp_buf_add_str(&body, rp_buf_str(&wt->note)) != 0 ||
	    (cu = curl_easy_init()) == NULL)
		goto out;
	witness_key(wt);
	if (wt->have_key) {
		rp_buf_add_c(&auth, "Authorization: ");
		if (rp_wauth_header(wt->key, rp_buf_str(&body), &auth) != 0 ||
		    (hdrs = curl_slist_append(NULL, auth.d)) == NULL)
			goto out;
		curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hdrs);
	}
	curl_easy_setopt(cu, CURLOPT_URL, wt->url);
	curl_easy_setopt(cu, CURLOPT_POST, 1L);
	curl_easy_setopt(cu, CURLOPT_POSTFIELDS, body.d);
	curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE, (long)body.len);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT_MS, (long)WITNESS_TIMEOUT_MS);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)WITNESS_TIMEOUT_MS);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, curl_sink);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
	if (curl_easy_perform(cu) != CURLE_OK) {
		rp_log_warn("alog: witness unreachable; checkpoint %" PRIu64
		    " published without its cosignature", wt->size);
		goto out;
	}
	curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &status);
	if (status == 401)
		wt->have_key = false;	/* replaced? read it again next time */
 out:
	curl_easy_cleanup(cu);
	curl_slist_free_all(hdrs);
	rp_buf_release(&body);
	rp_buf_release(&auth);
	return status;
}

/* Sends wt->note; on success wt->lines holds the cosignature lines. */
static bool
witness_exchange(struct witness *wt)
{
	struct rp_buf resp;
	struct rp_str s;
	uint64_t size;
	long status;
	bool ok = false;

	rp_buf_init(&resp, WITNESS_MAX_REPLY);
	rp_buf_reset(&wt->lines);
	if (wt->known > wt->size)
		wt->known = 0;
	status = witness_post(wt, wt->known, &resp);
	if (status == 409) {
		/* The witness is at another size: body "<size>\n". */
		s = rp_buf_str(&resp);
		if (s.n < 2 || s.p[s.n - 1] != '\n' ||
		    rp_str_to_u64((struct rp_str){ s.p, s.n - 1 }, UINT64_MAX,
		    &size) != 0) {
			rp_log_warn("alog: witness answered 409 without a size");
			goto out;
		}
		if (size > wt->size) {
			rp_log_error("alog: the witness has seen a larger tree "
			    "(%" PRIu64 ") than this log (%" PRIu64 ")", size,
			    wt->size);
			goto out;
		}
		wt->known = size;
		status = witness_post(wt, size, &resp);
	}
	if (status == 200 && resp.err == 0) {
		wt->known = wt->size;
		ok = rp_buf_add_str(&wt->lines, rp_buf_str(&resp)) == 0;
	} else if (status != 0)
		rp_log_warn("alog: witness refused checkpoint %" PRIu64
		    " with status %ld", wt->size, status);
 out:
	rp_buf_release(&resp);
	return ok;
}

static void *
witness_main(void *arg)
{
	struct witness *wt = arg;
	char one = 1;
	bool ok;

	pthread_mutex_lock(&wt->mu);
	for (;;) {
		while (!wt->quit && !wt->have_req)
			pthread_cond_wait(&wt->cv, &wt->mu);
		if (wt->quit)
			break;
		wt->have_req = false;
		pthread_mutex_unlock(&wt->mu);
		ok = witness_exchange(wt);
		pthread_mutex_lock(&wt->mu);
		wt->ok = ok;
		wt->have_res = true;
		if (write(wt->wake[1], &one, 1) < 0)
			rp_log_warn("alog: witness wake-up: %s",
			    strerror(errno));
	}
	pthread_mutex_unlock(&wt->mu);
	return NULL;
}

static void
witness_url(const struct rp_conf *conf, char *out, size_t cap)
{
	const char *u = conf->witness_url;
	size_t n = strlen(u);
	static const char suffix[] = "/add-checkpoint";

	out[0] = '\0';
	if (n == 0) {
		if (conf->witness_local)
			snprintf(out, cap, "http://%s%s%s:%" PRIu32 "%s",
			    strchr(conf->witness_addr, ':') ? "[" : "",
			    conf->witness_addr,
			    strchr(conf->witness_addr, ':') ? "]" : "",
			    conf->witness_port, suffix);
		return;
	}
	while (n > 0 && u[n - 1] == '/')
		n--;
	if (n >= sizeof(suffix) - 1 &&
	    memcmp(u + n - (sizeof(suffix) - 1), suffix,
	    sizeof(suffix) - 1) == 0)
		snprintf(out, cap, "%.*s", (int)n, u);
	else
		snprintf(out, cap, "%.*s%s", (int)n, u, suffix);
}

static int
witness_start(struct writer *wr)
{
	struct witness *wt = &wr->wit;

	pthread_mutex_init(&wt->mu, NULL);
	pthread_cond_init(&wt->cv, NULL);
	wt->inited = true;
	rp_buf_init(&wt->note, RP_NOTE_MAX_LEN);
	rp_buf_init(&wt->lines, WITNESS_MAX_REPLY);
	wt->dirfd = rp_alog_store_dirfd(wr->st);
	witness_url(wr->conf, wt->url, sizeof(wt->url));
	if (wt->url[0] == '\0')
		return 0;
	if (sodium_init() < 0 ||
	    rp_wauth_path(wr->conf, wt->key_path, sizeof(wt->key_path)) != 0 ||
	    (wt->key = sodium_malloc(RP_WAUTH_KEY_LEN)) == NULL)
		return RP_E_NOMEM;
	if (pipe2(wt->wake, O_CLOEXEC | O_NONBLOCK) != 0)
		return RP_E_IO;
	if (pthread_create(&wt->th, NULL, witness_main, wt) != 0)
		return RP_E_IO;
	wt->started = true;
	rp_log_info("alog: sending checkpoints to the witness at %s", wt->url);
	return 0;
}

static void
witness_stop(struct witness *wt)
{
	if (!wt->inited)
		return;
	if (wt->started) {
		pthread_mutex_lock(&wt->mu);
		wt->quit = true;
		pthread_cond_signal(&wt->cv);
		pthread_mutex_unlock(&wt->mu);
		pthread_join(wt->th, NULL);
	}
	if (wt->wake[0] >= 0)
		close(wt->wake[0]);
	if (wt->wake[1] >= 0)
		close(wt->wake[1]);
	rp_buf_release(&wt->note);
	rp_buf_release(&wt->lines);
	sodium_free(wt->key);		/* wipes it */
	wt->key = NULL;
	pthread_cond_destroy(&wt->cv);
	pthread_mutex_destroy(&wt->mu);
}

/* The witness thread finished: publish with whatever it brought back. */
static void
witness_done(struct writer *wr)
{
	struct witness *wt = &wr->wit;
	char drain[16];
	int r;

	while (read(wt->wake[0], drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&wt->mu);
	if (!wt->have_res) {
		pthread_mutex_unlock(&wt->mu);
		return;
	}
	wt->have_res = false;
	wt->busy = false;
	wr->cosigned = wt->ok;
	r = rp_alog_store_set_cosignatures(wr->st,
	    wt->ok ? rp_buf_str(&wt->lines) : RP_STR_NULL);
	if (r == RP_E_INVAL) {
		rp_log_warn("alog: the witness's cosignature lines are "
		    "malformed; published without them");
		r = rp_alog_store_set_cosignatures(wr->st, RP_STR_NULL);
	}
	pthread_mutex_unlock(&wt->mu);
	if (r != 0) {
		rp_log_error("alog: cannot publish the checkpoint: %s",
		    rp_strerror(r));
		wr->stop = true;
		wr->status = 1;
	}
}

/*
 * Timer: sign a checkpoint if the tree grew — or again, if the published
 * one still lacks a cosignature (the witness was down or not yet up), so
 * that every checkpoint is eventually witnessed; witness, then publish.
 */
static void
checkpoint_tick(struct writer *wr)
{
	struct witness *wt = &wr->wit;
	bool made, force;
	int r;

	if (wt->busy)
		return;			/* the previous one is still out */
	force = wt->started && !wr->cosigned &&
	    rp_alog_store_size(wr->st) > 0;
	if ((r = rp_alog_store_checkpoint(wr->st, force, !wt->started,
	    wt->started ? &wt->note : NULL, &made)) != 0) {
		rp_log_error("alog: checkpoint failed: %s", rp_strerror(r));
		wr->stop = true;
		wr->status = 1;
		return;
	}
	if (!made || !wt->started)
		return;
	pthread_mutex_lock(&wt->mu);
	wt->size = rp_alog_store_checkpoint_size(wr->st);
	wt->have_req = true;
	wt->busy = true;
	pthread_cond_signal(&wt->cv);
	pthread_mutex_unlock(&wt->mu);
}

/*
 * The last checkpoint before a clean stop: waits (bounded) for an exchange
 * in flight, then signs what is new (or re-signs an uncosigned one) and
 * asks the witness in this thread — the witness thread is idle by then.
 */
static int
final_checkpoint(struct writer *wr)
{
	struct witness *wt = &wr->wit;
	struct pollfd pfd;
	bool made = false, ok;

	if (wt->started && wt->busy) {
		pfd.fd = wt->wake[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 3 * WITNESS_TIMEOUT_MS) > 0)
			witness_done(wr);
		if (wt->busy) {
			/*
			 * The witness thread is still inside its exchange and
			 * owns wt's buffers: publish without a cosignature
			 * and do not touch them (witness_stop joins it).
			 */
			if (rp_alog_store_set_cosignatures(wr->st,
			    RP_STR_NULL) != 0)
				return RP_E_IO;
			return rp_alog_store_checkpoint(wr->st, false, true,
			    NULL, &made);
		}
	}
	if (!wt->started)
		return rp_alog_store_checkpoint(wr->st, false, true, NULL, &made);
	if (rp_alog_store_checkpoint(wr->st, !wr->cosigned &&
	    rp_alog_store_size(wr->st) > 0, false, &wt->note, &made) != 0)
		return RP_E_IO;
	if (!made)
		return 0;
	pthread_mutex_lock(&wt->mu);
	wt->size = rp_alog_store_checkpoint_size(wr->st);
	ok = witness_exchange(wt);
	pthread_mutex_unlock(&wt->mu);
	if (ok && rp_alog_store_set_cosignatures(wr->st,
	    rp_buf_str(&wt->lines)) == 0)
		return 0;
	return rp_alog_store_set_cosignatures(wr->st, RP_STR_NULL);
}

/* ---- Set-up and the loop ---- */

static int
make_socket(struct writer *wr)
{
	struct sockaddr_un sa;
	char dir[RP_CONF_PATH_MAX + 8];
	int fd;

	snprintf(dir, sizeof(dir), "%s/run", wr->conf->data_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return RP_E_IO;
	(void)chmod(dir, 0700);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s",
	    wr->conf->data_dir, RP_ALOG_SOCK_NAME) >= sizeof(sa.sun_path)) {
		rp_log_error("alog: socket path too long");
		return RP_E_TOOBIG;
	}
	memcpy(wr->sock_path, sa.sun_path, sizeof(sa.sun_path));
	(void)unlink(sa.sun_path);	/* a stale socket: we hold the lock */
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		return RP_E_IO;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(sa.sun_path, 0660) != 0 || listen(fd, 64) != 0) {
		rp_log_error("alog: cannot listen on %s: %s", sa.sun_path,
		    strerror(errno));
		close(fd);
		return RP_E_IO;
	}
	wr->listen_fd = fd;
	return 0;
}

static int
heartbeat(struct writer *wr)
{
	struct rp_alog_entry e;
	struct rp_buf b;
	struct rp_str body;
	int r;

	memset(&e, 0, sizeof(e));
	e.action = RP_ALOG_HEARTBEAT;
	e.role = RP_ROLE_LOG;
	e.outcome = RP_OUTCOME_OK;
	e.node = RP_STR_LIT("alog");
	e.actor = RP_STR_LIT("log-writer");
	e.purpose = RP_STR_LIT("start");
	rp_buf_init(&b, RP_ALOG_MAX_ENTRY);
	if ((r = rp_alog_body_encode(&e, &b)) == 0) {
		body = rp_buf_str(&b);
		r = rp_alog_store_append(wr->st, &body, 1, NULL, NULL);
	}
	rp_buf_release(&b);
	return r;
}

static int
alloc_batch(struct writer *wr)
{
	size_t n = wr->batch_max;

	rp_buf_init(&wr->bodies, n * RP_ALOG_MAX_ENTRY);
	rp_buf_init(&wr->scratch, RP_ALOG_MAX_ENTRY);
	wr->batch = calloc(n, sizeof(*wr->batch));
	wr->views = calloc(n, sizeof(*wr->views));
	wr->times = calloc(n, sizeof(*wr->times));
	wr->idx = calloc(n, sizeof(*wr->idx));
	if (!wr->batch || !wr->views || !wr->times || !wr->idx)
		return RP_E_NOMEM;
	return 0;
}

static void
loop(struct writer *wr)
{
	struct pollfd pfd[MAX_CLIENTS + 4];
	int cmap[MAX_CLIENTS + 4];
	uint64_t next = mono_ms(), now;
	unsigned np, i, start = 0;
	size_t n;
	int timeout;

	while (!wr->stop) {
		np = 0;
		pfd[np++] = (struct pollfd){ wr->sig_fd, POLLIN, 0 };
		pfd[np++] = (struct pollfd){ wr->listen_fd, POLLIN, 0 };
		pfd[np++] = (struct pollfd){ wr->parent_fd, POLLIN, 0 };
		pfd[np++] = (struct pollfd){ wr->wit.wake[0], POLLIN, 0 };
		for (i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &wr->clients[i];

			if (c->fd < 0)
				continue;
			cmap[np] = (int)i;
			/* Backpressure: no new work while replies wait. */
			pfd[np++] = (struct pollfd){ c->fd,
			    c->qhead < c->qn ? POLLOUT : POLLIN, 0 };
		}
		now = mono_ms();
		timeout = next > now ? (int)(next - now) : 0;
		if (poll(pfd, np, timeout) < 0 && errno != EINTR) {
			rp_log_error("alog: poll: %s", strerror(errno));
			wr->status = 1;
			break;
		}
		if (pfd[0].revents) {
			rp_log_info("alog: signal; stopping");
			wr->stop = true;
			break;
		}
		if (pfd[2].revents)
			parent_input(wr);
		if (pfd[3].revents)
			witness_done(wr);
		if (pfd[1].revents)
			accept_clients(wr);
		for (i = 4; i < np; i++)
			if (pfd[i].revents & POLLOUT)
				flush_client(wr, &wr->clients[cmap[i]]);
		/* Drain every client, starting at a rotating one (fairness). */
		n = 0;
		for (i = 0; i < MAX_CLIENTS && n < wr->batch_max; i++) {
			unsigned ci = (start + i) % MAX_CLIENTS;
			struct client *c = &wr->clients[ci];

			if (c->fd >= 0 && c->qhead == c->qn)
				client_input(wr, ci, &n);
		}
		start++;
		if (n > 0)
			commit(wr, n);
		if (!wr->stop && mono_ms() >= next) {
			checkpoint_tick(wr);
			next = mono_ms() + wr->conf->checkpoint_interval_ms;
		}
	}
}

int
rp_alog_writer_run(const struct rp_conf *conf, int parent_fd)
{
	struct writer *wr;
	int r, status = 1;

	if ((wr = calloc(1, sizeof(*wr))) == NULL) {
		rp_log_error("alog: out of memory");
		return 1;
	}
	wr->conf = conf;
	wr->parent_fd = parent_fd;
	wr->listen_fd = wr->sig_fd = -1;
	wr->wit.wake[0] = wr->wit.wake[1] = -1;
	wr->batch_max = conf->alog_batch_max ? conf->alog_batch_max : 4096;
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		wr->clients[i].fd = -1;
	if (parent_fd >= 0 && fcntl(parent_fd, F_SETFL, O_NONBLOCK) != 0)
		goto out;
	if ((wr->sig_fd = rp_child_signals("alog")) < 0)
		goto out;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		rp_log_error("alog: libcurl initialisation failed");
		goto out;
	}
	if ((r = rp_alog_store_open(conf->data_dir, conf, &wr->st)) != 0) {
		rp_log_error("alog: cannot open the access log: %s",
		    rp_strerror(r));
		goto out_curl;
	}
	if (make_socket(wr) != 0 || witness_start(wr) != 0 ||
	    rp_alog_http_start(conf, wr->st, &wr->http) != 0)
		goto out_curl;
	/* Logging resumes now: say so in the log itself (PCI 10.2.1.6). */
	if ((r = alloc_batch(wr)) != 0 || (r = heartbeat(wr)) != 0) {
		rp_log_error("alog: start-up failed: %s", rp_strerror(r));
		goto out_curl;
	}
	rp_log_info("alog: logging (size %" PRIu64 ") on %s",
	    rp_alog_store_size(wr->st), wr->sock_path);
	if (parent_fd >= 0) {
		if (rp_child_ready(parent_fd, RP_ALOG_READY_KIND, 1) != 0)
			rp_log_warn("alog: cannot send READY");
	}
	wr->status = 0;
	loop(wr);
	status = wr->status;
	/*
	 * A clean stop publishes what was appended since the last tick,
	 * cosigned: the parent stops the witness after the log writer.
	 */
	if (status == 0 && rp_alog_store_error(wr->st) == 0 &&
	    final_checkpoint(wr) != 0)
		status = 1;
 out_curl:
	rp_alog_http_stop(wr->http);
	witness_stop(&wr->wit);
	curl_global_cleanup();
 out:
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		drop_client(wr, &wr->clients[i], NULL);
	if (wr->listen_fd >= 0) {
		close(wr->listen_fd);
		(void)unlink(wr->sock_path);
	}
	if (wr->sig_fd >= 0)
		close(wr->sig_fd);
	rp_alog_store_close(wr->st);
	rp_buf_release(&wr->bodies);
	rp_buf_release(&wr->scratch);
	free(wr->batch);
	free(wr->views);
	free(wr->times);
	free(wr->idx);
	free(wr);
	return status;
}

/* ---- `rentport log-writer --bench` ---- */

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Durable appends per second through the storage library at batch sizes
 * 1, 10, 100 and 1000 (entries of ~130 bytes), in a scratch log under
 * DATA (so on the disk the log will use), removed afterwards.
 */
static int
bench(const struct rp_conf *conf, double secs)
{
	static const size_t sizes[] = { 1, 10, 100, 1000 };
	struct rp_alog_store *st = NULL;
	struct rp_alog_entry e;
	struct rp_buf b;
	struct rp_str *v = NULL;
	uint8_t recs[3][RP_ALOG_PSEUDONYM_LEN];
	char dir[RP_CONF_PATH_MAX + 32];
	double *lat = NULL;
	size_t maxlat = 1 << 20;
	int r = 0;

	memset(&e, 0, sizeof(e));
	memset(recs, 0x5a, sizeof(recs));
	e.action = RP_ALOG_GET;
	e.role = RP_ROLE_COUNTER;
	e.fields = RP_FIELD_NAME | RP_FIELD_PHONE;
	e.node = RP_STR_LIT("web/1");
	e.actor = RP_STR_LIT("session:00112233445566778899aabb");
	e.purpose = RP_STR_LIT("order_view");
	e.n_records = 3;
	e.records = &recs[0][0];
	rp_buf_init(&b, RP_ALOG_MAX_ENTRY);
	if ((r = rp_alog_body_encode(&e, &b)) != 0)
		goto out;
	if ((v = calloc(1000, sizeof(*v))) == NULL ||
	    (lat = calloc(maxlat, sizeof(*lat))) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < 1000; i++)
		v[i] = rp_buf_str(&b);
	if (mkdir(conf->data_dir, 0700) != 0 && errno != EEXIST) {
		r = RP_E_IO;
		goto out;
	}
	printf("access log appends (entry %zu bytes, wal record %zu), "
	    "durable (one fdatasync per batch), under %s:\n",
	    b.len + RP_ALOG_HEADER_LEN,
	    b.len + RP_ALOG_HEADER_LEN + RP_ALOG_WAL_OVERHEAD, conf->data_dir);
	for (size_t k = 0; k < RP_ARRAY_LEN(sizes) && r == 0; k++) {
		size_t n = sizes[k], nb = 0;
		double t0, t1, a;
		bool made;

		snprintf(dir, sizeof(dir), "%s/alog-bench-XXXXXX",
		    conf->data_dir);
		if (mkdtemp(dir) == NULL) {
			r = RP_E_IO;
			break;
		}
		if ((r = rp_alog_store_open(dir, NULL, &st)) != 0)
			break;
		t0 = t1 = now_s();
		while (t1 - t0 < secs && nb < maxlat) {
			a = now_s();
			if ((r = rp_alog_store_append(st, v, n, NULL,
			    NULL)) != 0)
				break;
			t1 = now_s();
			lat[nb++] = t1 - a;
		}
		a = now_s();
		if (r == 0)
			r = rp_alog_store_checkpoint(st, false, true, NULL,
			    &made);
		if (r == 0 && nb > 0) {
			double rate = (double)(nb * n) / (t1 - t0);

			qsort(lat, nb, sizeof(*lat), cmp_double);
			printf("  batch %4zu: %9.0f entries/s  %7.0f batches/s"
			    "  batch p50 %.3f ms  p99 %.3f ms  (checkpoint "
			    "%.1f ms)\n", n, rate, (double)nb / (t1 - t0),
			    lat[nb / 2] * 1e3, lat[nb * 99 / 100] * 1e3,
			    (now_s() - a) * 1e3);
		}
		rp_alog_store_close(st);
		st = NULL;
		(void)nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
 out:
	if (r != 0)
		fprintf(stderr, "rentport log-writer --bench: %s\n",
		    rp_strerror(r));
	rp_buf_release(&b);
	free(v);
	free(lat);
	return r == 0 ? 0 : 1;
}

int
rp_alog_cmd(const struct rp_conf *conf, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: rentport log-writer [--bench] "
			    "[--key=value ...]\n"
			    "Runs the access-log writer alone (no parent): "
			    "clients must run\nunder the same uid.  Listens "
			    "on DATA/%s and serves the log\nread-only over "
			    "HTTP on alog_http_addr:alog_http_port.\n"
			    "--bench: measure durable appends/s at batch "
			    "sizes 1, 10, 100, 1000\nin a scratch log under "
			    "DATA (removed afterwards), then exit.\n",
			    RP_ALOG_SOCK_NAME);
			return 0;
		}
		if (strcmp(argv[i], "--bench") == 0)
			return bench(conf, 2.0);
		fprintf(stderr, "rentport log-writer: unknown argument\n");
		return 2;
	}
	rp_log_set_proc("alog");
	return rp_alog_writer_run(conf, -1);
}
