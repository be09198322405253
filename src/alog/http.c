/* SPDX-License-Identifier: ISC */
/*
 * http.c — the access log's read-only HTTP server, run by the log writer
 * on an internal libmicrohttpd thread: GET /checkpoint and the C2SP
 * tlog-tiles resources /tile/<L>/<N>[.p/<W>] and /tile/entries/<N>[.p/<W>].
 * Request paths are untrusted: they are parsed by rp_tile_path_parse
 * (one spelling per resource, no "..") and mapped to files by rp_tile_path,
 * never used as file names themselves.  Nothing past the latest published
 * checkpoint is served, so readers only ever see checkpointed (durable,
 * synced) data.  A partial tile of an older checkpoint is served by cutting
 * the stored wider tile (store.h).
 */
#include "util/common.h"

#include <microhttpd.h>

#include "alog/http.h"
#include "alog/note.h"
#include "alog/store.h"
#include "alog/tile.h"
#include "util/httpd.h"
#include "util/log.h"

#define CACHE_IMMUTABLE	"public, max-age=31536000, immutable"

struct rp_alog_http {
	struct rp_httpd *d;
	struct rp_alog_store *st;
};

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *type,
    struct rp_buf *body, const char *cache)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;
	size_t len = 0;
	char *d = NULL;

	if (body != NULL && body->err == 0)
		d = rp_buf_detach(body, &len);
	resp = MHD_create_response_from_buffer(len, d != NULL ? d : (void *)"",
	    d != NULL ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(d);
		return MHD_NO;
	}
	ok = MHD_add_response_header(resp, "Content-Type", type);
	ok &= MHD_add_response_header(resp, "Cache-Control", cache);
	ok &= MHD_add_response_header(resp, "X-Content-Type-Options",
	    "nosniff");
	ok &= MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
	if (ok == MHD_YES)
		ok = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static enum MHD_Result
not_found(struct MHD_Connection *c)
{
	struct rp_buf b;

	rp_buf_init(&b, 64);
	rp_buf_add_c(&b, "not found\n");
	return reply(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", &b,
	    "no-store");
}

/* The tile t if it exists in the tree of the published checkpoint. */
static enum MHD_Result
serve_tile(struct rp_alog_http *h, struct MHD_Connection *c,
    const struct rp_tile *t, uint64_t size)
{
	int level = t->level == RP_TILE_ENTRIES ? 0 : t->level;
	unsigned have = rp_tile_width_at(size, level, t->index);
	struct rp_buf b;
	enum MHD_Result ok;
	int r;

	/* A full tile only once full; a partial up to the stored width. */
	if (have == 0 || t->width > have)
		return not_found(c);
	rp_buf_init(&b, (size_t)RP_TILE_WIDTH * (RP_BUNDLE_MAX_ENTRY + 2));
	if ((r = rp_alog_tile_read(rp_alog_store_dirfd(h->st), t, &b)) != 0) {
		rp_log_warn("alog http: tile level %d index %" PRIu64
		    " width %u unreadable: %s", t->level, t->index, t->width,
		    rp_strerror(r));
		rp_buf_release(&b);
		return not_found(c);
	}
	/* Every tile name, partial or full, always denotes the same bytes. */
	ok = reply(c, MHD_HTTP_OK, "application/octet-stream", &b,
	    CACHE_IMMUTABLE);
	rp_buf_release(&b);
	return ok;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **state)
{
	struct rp_alog_http *h = cls;
	struct rp_tile t;
	struct rp_buf b;
	uint64_t size;
	enum MHD_Result ok;

	(void)version;
	(void)upload_data;
	if (*state == NULL) {		/* headers only so far */
		*state = h;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0;	/* bodies are ignored (and refused) */
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		rp_buf_init(&b, 64);
		rp_buf_add_c(&b, "read-only\n");
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "text/plain; charset=utf-8", &b, "no-store");
	}
	rp_buf_init(&b, RP_NOTE_MAX_LEN);
	if (rp_alog_store_published(h->st, &b, &size) != 0) {
		rp_buf_release(&b);
		return not_found(c);
	}
	if (strcmp(url, "/checkpoint") == 0) {
		ok = reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8", &b,
		    "no-cache");
		rp_buf_release(&b);
		return ok;
	}
	rp_buf_release(&b);
	if (url[0] != '/' ||
	    rp_tile_path_parse(rp_str_c(url + 1), &t) != 0)
		return not_found(c);
	return serve_tile(h, c, &t, size);
}

/* Paths are taken byte for byte: "%2e" is not ".". */
static size_t
no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

int
rp_alog_http_start(const struct rp_conf *conf, struct rp_alog_store *st,
    struct rp_alog_http **out)
{
	struct rp_httpd_opts o;
	struct rp_alog_http *h;
	struct rp_buf err;
	int r;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return RP_E_NOMEM;
	h->st = st;
	rp_httpd_opts_init(&o);
	o.name = "alog http";
	o.addr_key = "alog_http_addr";
	o.addr = conf->alog_http_addr;
	o.port = conf->alog_http_port;
	o.handler = handle;
	o.handler_cls = h;
	o.unescape = no_unescape;
	rp_buf_init(&err, 512);
	if ((r = rp_httpd_start(&o, &h->d, NULL, &err)) != 0) {
		rp_log_error("%s", err.len > 0 ? err.d : rp_strerror(r));
		rp_buf_release(&err);
		free(h);
		return r;
	}
	rp_buf_release(&err);
	rp_log_info("alog http: serving the log on %s port %" PRIu32,
	    conf->alog_http_addr, conf->alog_http_port);
	*out = h;
	return 0;
}

void
rp_alog_http_stop(struct rp_alog_http *h)
{
	if (h == NULL)
		return;
	rp_httpd_stop(h->d);
	free(h);
}
