/* SPDX-License-Identifier: ISC */
/*
 * pull.c — the witness's pull mode (`rentport witness --pull URL`): instead
 * of waiting for the log to POST checkpoints, the witness fetches the log's
 * `<URL>/checkpoint` and the tlog-tiles hash tiles it needs over plain
 * HTTP, computes the consistency proof from what it last cosigned itself,
 * and runs the very same checks as add-checkpoint (the request is built
 * and handed to rp_witness_add_checkpoint), so alarms, state and
 * cosignatures behave identically.  The cosigned checkpoint (note plus our
 * cosignature line) is kept in DATA/witness/cosigned for the log or
 * anyone to fetch at GET /cosigned.
 *
 * Everything fetched is untrusted: responses are capped (a checkpoint at
 * RP_NOTE_MAX_LEN, a tile at 8 KiB), must be a 200 with a body of the
 * announced length, and nothing is believed before the log signature and
 * the proof verify.  Only http:// (the log is on a trusted network or
 * loopback; checkpoints are signed and proofs checked, so transport
 * integrity is not what the witness relies on).
 */
#include "util/common.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "alog/b64.h"
#include "alog/note.h"
#include "alog/tile.h"
#include "util/log.h"
#include "witness/witness.h"
#include "witness/witness_int.h"

#define IO_TIMEOUT_S	5
#define MAX_HEAD	8192

struct url {
	char host[256];
	char port[8];
	char prefix[512];	/* path without the trailing '/', may be "" */
};

static int
parse_url(const char *s, struct url *u)
{
	const char *h, *slash, *colon;
	size_t hn;

	memset(u, 0, sizeof(*u));
	if (strncmp(s, "http://", 7) != 0)
		return RP_E_INVAL;
	h = s + 7;
	slash = strchr(h, '/');
	if (slash == NULL)
		slash = h + strlen(h);
	colon = memchr(h, ':', (size_t)(slash - h));
	hn = (size_t)((colon != NULL ? colon : slash) - h);
	if (hn == 0 || hn >= sizeof(u->host))
		return RP_E_INVAL;
	memcpy(u->host, h, hn);
	if (colon != NULL) {
		size_t pn = (size_t)(slash - colon - 1);

		if (pn == 0 || pn >= sizeof(u->port) ||
		    strspn(colon + 1, "0123456789") < pn)
			return RP_E_INVAL;
		memcpy(u->port, colon + 1, pn);
	} else {
		memcpy(u->port, "80", 3);
	}
	if (strlen(slash) >= sizeof(u->prefix))
		return RP_E_INVAL;
	snprintf(u->prefix, sizeof(u->prefix), "%s", slash);
	while (strlen(u->prefix) > 0 && u->prefix[strlen(u->prefix) - 1] == '/')
		u->prefix[strlen(u->prefix) - 1] = '\0';
	/* No spaces or control bytes may reach the request line. */
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return RP_E_INVAL;
	return 0;
}

/*
 * GET <prefix>/<path>: 0 and the body in out (at most max bytes);
 * RP_E_NOTFOUND for a 404; RP_E_IO for transport errors or any other
 * status; RP_E_TOOBIG past max.
 */
static int
http_get(const struct url *u, const char *path, size_t max, struct rp_buf *out)
{
	struct addrinfo hints, *ai = NULL, *a;
	struct timeval tv = { IO_TIMEOUT_S, 0 };
	struct rp_buf in, rq;
	char chunk[4096];
	const char *end, *cl;
	int s = -1, status = 0, r = RP_E_IO;
	unsigned long long len;
	ssize_t k;

	rp_buf_init(&in, max + MAX_HEAD);
	rp_buf_init(&rq, 2048);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(u->host, u->port, &hints, &ai) != 0)
		goto out;
	for (a = ai; a != NULL; a = a->ai_next) {
		if ((s = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
		    a->ai_protocol)) < 0)
			continue;
		(void)setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(s, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(s);
		s = -1;
	}
	if (s < 0)
		goto out;
	/* HTTP/1.0: no chunked encoding, the server closes after the body. */
	rp_buf_printf(&rq, "GET %s/%s HTTP/1.0\r\nHost: %s\r\n"
	    "User-Agent: rentport-witness\r\n\r\n", u->prefix, path, u->host);
	if (rq.err != 0 || send(s, rq.d, rq.len, MSG_NOSIGNAL) !=
	    (ssize_t)rq.len)
		goto out;
	while ((k = recv(s, chunk, sizeof(chunk), 0)) > 0)
		if ((r = rp_buf_add(&in, chunk, (size_t)k)) != 0)
			goto out;
	r = RP_E_IO;
	if (k < 0 || in.len < 12 || sscanf(in.d, "HTTP/1.%*1[01] %3d",
	    &status) != 1 || (end = strstr(in.d, "\r\n\r\n")) == NULL)
		goto out;
	if (status == 404) {
		r = RP_E_NOTFOUND;
		goto out;
	}
	if (status != 200)
		goto out;
	end += 4;
	len = in.len - (size_t)(end - in.d);
	cl = strcasestr(in.d, "\r\nContent-Length:");
	if (cl != NULL && cl < end &&
	    strtoull(cl + 17, NULL, 10) != len)
		goto out;		/* truncated or padded */
	if (len > max) {
		r = RP_E_TOOBIG;
		goto out;
	}
	r = rp_buf_add(out, end, (size_t)len);
 out:
	if (s >= 0)
		close(s);
	if (ai != NULL)
		freeaddrinfo(ai);
	rp_buf_release(&in);
	rp_buf_release(&rq);
	return r;
}

/* Tile loader over HTTP: the partial of this width, else the full tile. */
struct loader {
	const struct url *u;
	unsigned fetched;
};

static int
load_tile(void *arg, int level, uint64_t index, unsigned width, uint8_t *out)
{
	struct loader *l = arg;
	struct rp_tile t = { level, index, width };
	char path[RP_TILE_PATH_MAX];
	struct rp_buf b;
	int r;

	rp_buf_init(&b, RP_TILE_BYTES);
	if (rp_tile_path(&t, path, sizeof(path)) < 0)
		return RP_E_INVAL;
	r = http_get(l->u, path, RP_TILE_BYTES, &b);
	if (r == RP_E_NOTFOUND && width < RP_TILE_WIDTH) {
		/* Tiles only grow: the log may have replaced the partial. */
		t.width = RP_TILE_WIDTH;
		if (rp_tile_path(&t, path, sizeof(path)) < 0)
			return RP_E_INVAL;
		rp_buf_reset(&b);
		r = http_get(l->u, path, RP_TILE_BYTES, &b);
	}
	if (r == 0 && b.len != (size_t)t.width * RP_TILE_HASH_LEN)
		r = RP_E_INVAL;
	if (r == 0) {
		memcpy(out, b.d, (size_t)width * RP_TILE_HASH_LEN);
		l->fetched++;
	}
	rp_buf_release(&b);
	return r;
}

int
rp_witness_pull_once(struct rp_witness *w, const char *url,
    unsigned *status, struct rp_buf *err)
{
	uint8_t proof[RP_MERKLE_MAX_PROOF * RP_MERKLE_HASH_LEN];
	struct rp_tile_reader rd;
	struct rp_checkpoint cp;
	struct rp_note *n = NULL;
	struct rp_buf note, body, resp;
	struct loader ld;
	struct url u;
	const char *ctype;
	uint64_t stored = 0, old;
	size_t np = 0, i;
	bool known = false;
	int r;

	*status = 0;
	rp_buf_init(&note, RP_NOTE_MAX_LEN);
	rp_buf_init(&body, RP_WITNESS_MAX_BODY);
	rp_buf_init(&resp, RP_WITNESS_MAX_RESP);
	memset(&rd, 0, sizeof(rd));
	if ((r = parse_url(url, &u)) != 0) {
		rp_buf_printf(err, "pull: not an http://host[:port][/prefix] URL");
		goto out;
	}
	if ((r = http_get(&u, "checkpoint", RP_NOTE_MAX_LEN, &note)) != 0) {
		rp_buf_printf(err, "pull: GET checkpoint: %s", rp_strerror(r));
		goto out;
	}
	if ((n = malloc(sizeof(*n))) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	/* A published checkpoint may carry other cosignatures: only the
	 * text and the log's signature matter to the add-checkpoint checks. */
	if ((r = rp_note_parse(rp_buf_str(&note), n)) != 0 ||
	    (r = rp_checkpoint_parse(n->text, &cp)) != 0) {
		rp_buf_printf(err, "pull: malformed checkpoint");
		goto out;
	}

	/* Where we stand for that origin (read under the lock). */
	pthread_mutex_lock(&w->mu);
	for (i = 0; i < w->nstate; i++)
		if (rp_str_eq_c(cp.origin, w->state[i].origin)) {
			stored = w->state[i].size;
			known = true;
		}
	pthread_mutex_unlock(&w->mu);

	/* Behind or equal: an empty proof lets add-checkpoint see it. */
	old = stored;
	if (known && cp.size < stored)
		old = cp.size;
	if (known && cp.size > stored && stored > 0) {
		ld.u = &u;
		ld.fetched = 0;
		if ((r = rp_tile_reader_init(&rd, cp.size, load_tile, &ld)) != 0 ||
		    (r = rp_merkle_prove_consistency(rp_tile_reader_hash, &rd,
		    stored, cp.size, proof, &np)) != 0) {
			rp_buf_printf(err, "pull: tiles for %" PRIu64 " -> %"
			    PRIu64 " unavailable: %s", stored, cp.size,
			    rp_strerror(r));
			goto out;
		}
	}
	if (!known)
		old = 0;
	rp_buf_printf(&body, "old %" PRIu64 "\n", old);
	for (i = 0; i < np; i++) {
		rp_b64_encode(proof + i * RP_MERKLE_HASH_LEN, RP_MERKLE_HASH_LEN,
		    &body);
		rp_buf_add_ch(&body, '\n');
	}
	rp_buf_add_ch(&body, '\n');
	rp_buf_add_str(&body, rp_buf_str(&note));
	if ((r = body.err) != 0) {
		rp_buf_printf(err, "pull: request too large");
		goto out;
	}
	if ((r = rp_witness_add_checkpoint(w, rp_buf_str(&body), status, &resp,
	    &ctype)) != 0)
		goto out;
	if (*status != 200) {
		rp_buf_printf(err, "pull: checkpoint %" PRIu64 " refused (%u)",
		    cp.size, *status);
		goto out;
	}
	/* Keep the cosigned checkpoint: the log's note with our line. */
	rp_buf_reset(&body);
	rp_buf_add_str(&body, n->text);
	rp_buf_add_ch(&body, '\n');
	for (i = 0; i < n->nsigs; i++) {
		struct rp_str line;

		/* Re-emit the log's signature lines, drop older cosignatures. */
		if (!rp_str_eq(n->sigs[i].name, cp.origin))
			continue;
		line.p = n->sigs[i].name.p - 4;		/* "— " */
		line.n = (size_t)(n->sigs[i].b64.p + n->sigs[i].b64.n -
		    line.p) + 1;
		rp_buf_add_str(&body, line);
	}
	rp_buf_add_str(&body, rp_buf_str(&resp));
	if ((r = body.err) == 0)
		r = rp_witness_write_atomic(w->dirfd, "cosigned", body.d,
		    body.len, 0644);
 out:
	rp_tile_reader_release(&rd);
	free(n);
	rp_buf_release(&note);
	rp_buf_release(&body);
	rp_buf_release(&resp);
	return r;
}
