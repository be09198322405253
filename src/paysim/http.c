/* SPDX-License-Identifier: ISC */
/*
 * http.c — paysim's HTTP server (libmicrohttpd, a thread per connection
 * so that a deliberately slowed call never holds up the others) and its
 * process, `rentport paysim`.  Routes by prefix: /v1 (the API, bearer
 * keys), /hosted (card-capture pages), /sandbox (the unauthenticated
 * control plane — which is why paysim only listens on loopback).  Here
 * live the cross-cutting parts of the API: key checks, Idempotency-Key
 * (first answer stored and replayed, 409 on reuse with other parameters
 * or while in flight; Stripe's semantics, payments.md §5), the injected
 * faults, and the request log (card numbers masked, CVCs dropped).
 * Bodies are untrusted and capped at RP_PAYSIM_MAX_BODY while they
 * arrive.
 */
#include "util/common.h"

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paysim/paysim.h"
#include "paysim/paysim_int.h"
#include "proc/child.h"
#include "pci/scan.h"
#include "util/httpd.h"
#include "util/log.h"

#define MAX_DRAIN	(256 * 1024)
#define MAX_CONN	512
#define CONN_TIMEOUT	30
#define MAX_SUMMARY	2000
#define MAX_LOG_ROWS	5000

struct preq {
	bool too_big;
	size_t drained;
	struct rp_buf body;
};

struct hdr {
	const char *name, *value;
};

static int
reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
    struct rp_buf *b, const struct hdr *extra, size_t nextra)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;
	size_t len = 0;
	char *d;

	d = rp_buf_detach(b, &len);
	resp = MHD_create_response_from_buffer(len, d != NULL ? d : (void *)"",
	    d != NULL ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(d);
		return RP_E_NOMEM;
	}
	ok = MHD_add_response_header(resp, "Content-Type", ctype);
	if (ok == MHD_YES)
		ok = MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (ok == MHD_YES)
		ok = MHD_add_response_header(resp, "X-Content-Type-Options",
		    "nosniff");
	if (ok == MHD_YES)
		ok = MHD_add_response_header(resp, "Referrer-Policy",
		    "no-referrer");
	for (size_t i = 0; ok == MHD_YES && i < nextra; i++)
		if (extra[i].value != NULL && extra[i].value[0] != '\0')
			ok = MHD_add_response_header(resp, extra[i].name,
			    extra[i].value);
	if (ok == MHD_YES)
		ok = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ok == MHD_YES ? 0 : RP_E_IO;
}

static int
reply_json(struct MHD_Connection *conn, unsigned status, struct rp_buf *b,
    const struct hdr *extra, size_t nextra)
{
	return reply(conn, status, "application/json", b, extra, nextra);
}

static int
reply_error(struct MHD_Connection *conn, unsigned status, const char *type,
    const char *code, const char *msg, const struct hdr *extra, size_t n)
{
	struct rp_paysim_reply rep;
	int r;

	rp_buf_init(&rep.body, 4096);
	rp_paysim_error(&rep, status, type, code, NULL, NULL, msg);
	r = reply_json(conn, status, &rep.body, extra, n);
	rp_buf_release(&rep.body);
	return r;
}

/* ---- the request log ---- */

/*
 * What the request log keeps of a body: the JSON with "number" masked to
 * its first 6 and last 4 digits and "cvc" replaced, or only its size when
 * it is not JSON; and if the PAN scanner still finds anything (a card
 * number sent in some other field), nothing at all.
 */
static char *
summarize(struct rp_str body)
{
	struct rp_pan_scanner sc;
	json_t *o, *v;
	char *s = NULL, m[32];

	if (body.n == 0)
		return strdup("");
	o = json_loadb(body.p, body.n, 0, NULL);
	if (o != NULL && json_is_object(o)) {
		if ((v = json_object_get(o, "number")) != NULL) {
			const char *raw = json_is_string(v) ?
			    json_string_value(v) : "";
			char n[24];
			size_t k = 0;

			/* digits only: "4242 4242 …" is masked the same way */
			for (; *raw && k < sizeof(n) - 1; raw++)
				if (*raw >= '0' && *raw <= '9')
					n[k++] = *raw;
			n[k] = '\0';
			if (k >= 12 && k <= 19)
				snprintf(m, sizeof(m), "%.6s…%s", n, n + k - 4);
			else
				snprintf(m, sizeof(m), "***");
			sodium_memzero(n, sizeof(n));
			json_object_set_new(o, "number", json_string(m));
		}
		if (json_object_get(o, "cvc") != NULL)
			json_object_set_new(o, "cvc", json_string("***"));
		s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	}
	json_decref(o);
	if (s == NULL) {
		char t[64];

		snprintf(t, sizeof(t), "(%zu bytes, not a JSON object)", body.n);
		return strdup(t);
	}
	if (strlen(s) > MAX_SUMMARY)
		s[MAX_SUMMARY] = '\0';
	rp_pan_scan_init(&sc, NULL, NULL);
	rp_pan_scan_feed(&sc, (const uint8_t *)s, strlen(s));
	if (rp_pan_scan_end(&sc) > 0) {
		free(s);
		return strdup("(withheld: it looked like it held a card number)");
	}
	return s;
}

/* With mu held. */
static void
log_request(struct rp_paysim *ps, const char *method, const char *path,
    unsigned status, const char *key, bool replayed, struct rp_str body)
{
	sqlite3_stmt *st;
	char *sum = summarize(body);

	st = rp_paysim_prep(ps, "INSERT INTO requests (t, method, path, status, "
	    "idem_key, replayed, summary) VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, rp_paysim_now(ps));
		sqlite3_bind_text(st, 2, method, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, path, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 4, (int)status);
		if (key != NULL)
			sqlite3_bind_text(st, 5, key, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, 5);
		sqlite3_bind_int(st, 6, replayed);
		sqlite3_bind_text(st, 7, sum ? sum : "", -1, SQLITE_TRANSIENT);
		(void)sqlite3_step(st);
		sqlite3_finalize(st);
	}
	free(sum);
	(void)rp_paysim_exec(ps, "DELETE FROM requests WHERE seq <= "
	    "(SELECT max(seq) FROM requests) - 5000");
}

/* ---- /v1 ---- */

static bool
key_ok(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (k[i] < 0x20 || k[i] > 0x7e)
			return false;
	return true;
}

static bool
secret_eq(const char *given, size_t n, const char *secret)
{
	return n == strlen(secret) && sodium_memcmp(given, secret, n) == 0;
}

static void
req_hash(const char *method, const char *path, struct rp_str body,
    unsigned char out[crypto_hash_sha256_BYTES])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)method,
	    strlen(method) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)path,
	    strlen(path) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)body.p, body.n);
	crypto_hash_sha256_final(&st, out);
}

enum idem { I_NEW, I_REPLAY, I_REUSED, I_IN_USE, I_ERR };

/* With mu held: looks the key up; for I_NEW the key is now "in flight". */
static enum idem
idem_begin(struct rp_paysim *ps, const char *scope, const char *key,
    const unsigned char *hash, unsigned *status, struct rp_buf *body)
{
	sqlite3_stmt *st;
	enum idem res = I_ERR;
	int s;

	st = rp_paysim_prep(ps, "SELECT hash, done, status, body FROM idem "
	    "WHERE scope = ? AND key = ?");
	if (st == NULL)
		return I_ERR;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	if ((s = sqlite3_step(st)) == SQLITE_ROW) {
		const void *h = sqlite3_column_blob(st, 0);

		if (h == NULL || sqlite3_column_bytes(st, 0) !=
		    crypto_hash_sha256_BYTES ||
		    sodium_memcmp(h, hash, crypto_hash_sha256_BYTES) != 0)
			res = I_REUSED;
		else if (sqlite3_column_int(st, 1) == 0)
			res = I_IN_USE;
		else {
			*status = (unsigned)sqlite3_column_int(st, 2);
			rp_buf_add_c(body, (const char *)sqlite3_column_text(st,
			    3));
			res = I_REPLAY;
		}
	} else if (s == SQLITE_DONE)
		res = I_NEW;
	sqlite3_finalize(st);
	if (res != I_NEW)
		return res;
	st = rp_paysim_prep(ps, "INSERT INTO idem (scope, key, hash, created) "
	    "VALUES (?, ?, ?, ?)");
	if (st == NULL)
		return I_ERR;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, hash, crypto_hash_sha256_BYTES,
	    SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, rp_paysim_now(ps));
	if (sqlite3_step(st) != SQLITE_DONE)
		res = I_ERR;
	sqlite3_finalize(st);
	return res;
}

/* With mu held: stores the answer, or frees the key (validation error). */
static void
idem_end(struct rp_paysim *ps, const char *scope, const char *key,
    const struct rp_paysim_reply *rep, bool keep)
{
	sqlite3_stmt *st;

	st = rp_paysim_prep(ps, keep ?
	    "UPDATE idem SET done = 1, status = ?, body = ? WHERE scope = ? "
	    "AND key = ?" :
	    "DELETE FROM idem WHERE scope = ?3 AND key = ?4");
	if (st == NULL)
		return;
	sqlite3_bind_int(st, 1, (int)rep->status);
	sqlite3_bind_text(st, 2, rep->body.d ? rep->body.d : "", -1,
	    SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, key, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		rp_log_error("paysim: idempotency record: %s",
		    sqlite3_errmsg(ps->db));
	sqlite3_finalize(st);
}

static enum MHD_Result
api(struct rp_paysim *ps, struct MHD_Connection *conn, const char *url,
    const char *method, struct preq *rq)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	struct rp_paysim_reply rep;
	struct rp_str body = rp_buf_str(&rq->body);
	const char *auth, *key, *origin, *scope, *path = url + 3;
	struct hdr ex[2] = { { NULL, NULL }, { NULL, NULL } };
	bool publishable, post = strcmp(method, "POST") == 0, drop = false;
	int64_t slow = 0;
	unsigned fault = 0;
	enum idem id = I_NEW;
	int r;

	if (strcmp(method, "OPTIONS") == 0) {
		/* CORS: only the hosted pages' own origin may call us from a
		 * browser (they are same-origin anyway). */
		struct hdr h[] = {
			{ "Access-Control-Allow-Origin", ps->origin },
			{ "Access-Control-Allow-Methods", "POST" },
			{ "Access-Control-Allow-Headers",
			  "Authorization, Content-Type, Idempotency-Key" },
			{ "Vary", "Origin" },
		};
		struct rp_buf b;

		rp_buf_init(&b, 16);
		r = reply(conn, 204, "text/plain", &b, h, RP_ARRAY_LEN(h));
		rp_buf_release(&b);
		return r == 0 ? MHD_YES : MHD_NO;
	}
	auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Authorization");
	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0)
		return reply_error(conn, 401, "invalid_request_error",
		    "api_key_missing", "Send your API key as Authorization: "
		    "Bearer <key>.", NULL, 0) == 0 ? MHD_YES : MHD_NO;
	auth += 7;
	if (secret_eq(auth, strlen(auth), ps->sk))
		publishable = false;
	else if (secret_eq(auth, strlen(auth), ps->pk))
		publishable = true;
	else
		return reply_error(conn, 401, "invalid_request_error",
		    "invalid_api_key", "Invalid API key.", NULL, 0) == 0 ?
		    MHD_YES : MHD_NO;
	origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	if (origin != NULL && strcmp(origin, ps->origin) != 0)
		return reply_error(conn, 403, "invalid_request_error",
		    "origin_not_allowed", "Browsers may call this API only "
		    "from paysim's hosted pages.", NULL, 0) == 0 ? MHD_YES :
		    MHD_NO;
	if (rq->too_big)
		return reply_error(conn, 413, "invalid_request_error",
		    "body_too_large", "The request body is too large.", NULL,
		    0) == 0 ? MHD_YES : MHD_NO;
	scope = publishable ? "pk" : "sk";
	key = post ? MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Idempotency-Key") : NULL;
	if (key != NULL && !key_ok(key))
		return reply_error(conn, 400, "invalid_request_error",
		    "idempotency_key_invalid", "Idempotency-Key is 1..255 "
		    "printable ASCII characters.", NULL, 0) == 0 ? MHD_YES :
		    MHD_NO;

	rp_buf_init(&rep.body, RP_PAYSIM_MAX_RESP);
	rep.status = 0;
	rep.validation = false;
	pthread_mutex_lock(&ps->mu);
	/* Front-door faults (429, 503): nothing is executed or stored. */
	if (ps->f_status > 0 && ps->f_status_code != 500) {
		fault = (unsigned)ps->f_status_code;
		ps->f_status--;
		(void)rp_paysim_kv_save(ps);
		log_request(ps, method, url, fault, key, false, body);
		pthread_mutex_unlock(&ps->mu);
		if (fault == 429) {
			ex[0] = (struct hdr){ "Retry-After", "1" };
			r = reply_error(conn, 429, "rate_limit_error",
			    "rate_limited", "Too many requests (sandbox fault).",
			    ex, 1);
		} else
			r = reply_error(conn, fault, "api_error",
			    "service_unavailable", "The service is unavailable "
			    "(sandbox fault).", NULL, 0);
		goto out;
	}
	if (key != NULL) {
		req_hash(method, path, body, hash);
		id = idem_begin(ps, scope, key, hash, &rep.status, &rep.body);
	}
	if (id == I_NEW && ps->f_slow > 0) {
		slow = ps->f_slow_ms;
		ps->f_slow--;
		(void)rp_paysim_kv_save(ps);
	}
	if (id != I_NEW)
		log_request(ps, method, url, id == I_REPLAY ? rep.status : 409,
		    key, id == I_REPLAY, body);
	pthread_mutex_unlock(&ps->mu);
	switch (id) {
	case I_NEW:
		break;
	case I_REPLAY:
		ex[0] = (struct hdr){ "Idempotent-Replayed", "true" };
		r = reply_json(conn, rep.status, &rep.body, ex, 1);
		goto out;
	case I_REUSED:
		r = reply_error(conn, 409, "idempotency_error",
		    "idempotency_key_reused", "This Idempotency-Key was used "
		    "with other parameters.", NULL, 0);
		goto out;
	case I_IN_USE:
		r = reply_error(conn, 409, "idempotency_error",
		    "idempotency_key_in_use", "A request with this "
		    "Idempotency-Key is still being processed.", NULL, 0);
		goto out;
	case I_ERR:
		r = reply_error(conn, 500, "api_error", "internal_error",
		    "The sandbox failed.", NULL, 0);
		goto out;
	}
	if (slow > 0)
		usleep((useconds_t)slow * 1000);

	pthread_mutex_lock(&ps->mu);
	if ((r = rp_paysim_exec(ps, "BEGIN IMMEDIATE")) == 0) {
		if (ps->f_status > 0 && ps->f_status_code == 500) {
			/* An internal error while executing: like Stripe, the
			 * 500 is what the key replays from now on. */
			ps->f_status--;
			rp_paysim_error(&rep, 500, "api_error", "internal_error",
			    NULL, NULL, "Internal error (sandbox fault).");
		} else if ((r = rp_paysim_api(ps, method, path, body,
		    publishable, &rep)) != 0) {
			(void)rp_paysim_exec(ps, "ROLLBACK");
			rp_log_error("paysim: %s %s: %s", method, url,
			    rp_strerror(r));
			rp_paysim_error(&rep, 500, "api_error", "internal_error",
			    NULL, NULL, "The sandbox failed.");
			r = rp_paysim_exec(ps, "BEGIN IMMEDIATE");
		}
		if (key != NULL)
			idem_end(ps, scope, key, &rep, !rep.validation);
		log_request(ps, method, url, rep.status, key, false, body);
		if (ps->f_drop > 0) {
			ps->f_drop--;
			drop = true;
		}
		(void)rp_paysim_kv_save(ps);
		if (r == 0)
			r = rp_paysim_exec(ps, "COMMIT");
		if (r != 0)
			(void)rp_paysim_exec(ps, "ROLLBACK");
	}
	pthread_cond_signal(&ps->hook_cv);
	pthread_mutex_unlock(&ps->mu);
	if (r != 0) {
		r = reply_error(conn, 500, "api_error", "internal_error",
		    "The sandbox failed.", NULL, 0);
		goto out;
	}
	if (drop) {
		/* Committed, then the connection goes: the client cannot know
		 * the outcome and must ask (GET) or retry with the same key. */
		rp_buf_release(&rep.body);
		return MHD_NO;
	}
	r = reply_json(conn, rep.status, &rep.body, NULL, 0);
 out:
	rp_buf_release(&rep.body);
	return r == 0 ? MHD_YES : MHD_NO;
}

/* ---- /sandbox ---- */

static void
state_json(struct rp_paysim *ps, struct rp_buf *b)
{
	rp_buf_printf(b, "{\"now\":%" PRId64 ",\"clock_offset_s\":%" PRId64
	    ",\"webhook_url\":", rp_paysim_now(ps), ps->clock_offset);
	{
		json_t *s = json_string(ps->hook_url);
		char *t = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;

		rp_buf_add_c(b, t ? t : "\"\"");
		free(t);
		json_decref(s);
	}
	rp_buf_printf(b, ",\"chaos\":{\"duplicate\":%.3f,\"delay_ms\":[%" PRId64
	    ",%" PRId64 "],\"reorder\":%s},\"faults\":{\"drop_after_commit\":%"
	    PRId64 ",\"slow\":%" PRId64 ",\"slow_ms\":%" PRId64 ",\"status\":%"
	    PRId64 ",\"status_count\":%" PRId64 "}}", ps->c_dup,
	    ps->c_delay_min, ps->c_delay_max, ps->c_reorder ? "true" : "false",
	    ps->f_drop, ps->f_slow, ps->f_slow_ms, ps->f_status_code,
	    ps->f_status);
}

static int
list_json(struct rp_paysim *ps, const char *sql, struct rp_buf *b)
{
	sqlite3_stmt *st = rp_paysim_prep(ps, sql);
	json_t *arr = json_array();
	char *s;
	int n;

	if (st == NULL || arr == NULL) {
		sqlite3_finalize(st);
		json_decref(arr);
		return RP_E_DB;
	}
	n = sqlite3_column_count(st);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *o = json_object();

		for (int i = 0; i < n; i++) {
			json_t *v;

			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				v = json_integer(sqlite3_column_int64(st, i));
				break;
			case SQLITE_NULL:
				v = json_null();
				break;
			default:
				v = json_string((const char *)
				    sqlite3_column_text(st, i));
			}
			json_object_set_new(o, sqlite3_column_name(st, i),
			    v ? v : json_null());
		}
		json_array_append_new(arr, o);
	}
	sqlite3_finalize(st);
	s = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(arr);
	if (s == NULL)
		return RP_E_NOMEM;
	rp_buf_printf(b, "{\"data\":%s}", s);
	free(s);
	return 0;
}

static bool
hook_url_ok(const char *u)
{
	if (u[0] == '\0')
		return true;
	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
		return false;
	for (; *u; u++)
		if ((unsigned char)*u <= 0x20 || (unsigned char)*u >= 0x7f)
			return false;
	return true;
}

static enum MHD_Result
sandbox(struct rp_paysim *ps, struct MHD_Connection *conn, const char *url,
    const char *method, struct preq *rq)
{
	struct rp_paysim_req *q;
	struct rp_paysim_perr pe;
	struct rp_buf b;
	const char *p = url + 8;
	bool post = strcmp(method, "POST") == 0;
	bool get = strcmp(method, "GET") == 0;
	uint32_t allowed = 0;
	unsigned status = 200;
	int r = 0;

	if (post && strcmp(p, "/clock") == 0)
		allowed = RP_PF_ADVANCE_S;
	else if (post && strcmp(p, "/webhook") == 0)
		allowed = RP_PF_URL;
	else if (post && strcmp(p, "/chaos") == 0)
		allowed = RP_PF_DUPLICATE | RP_PF_DELAY_MS | RP_PF_REORDER;
	else if (post && strcmp(p, "/faults") == 0)
		allowed = RP_PF_DROP_AFTER_COMMIT | RP_PF_SLOW_MS | RP_PF_STATUS |
		    RP_PF_COUNT;
	else if (!(post && strcmp(p, "/reset") == 0) &&
	    !(get && (strcmp(p, "/requests") == 0 ||
	    strcmp(p, "/events") == 0 || strcmp(p, "/clock") == 0 ||
	    strcmp(p, "/state") == 0)))
		return reply_error(conn, 404, "invalid_request_error",
		    "resource_missing", "Unknown sandbox call.", NULL, 0) == 0 ?
		    MHD_YES : MHD_NO;
	if (rq->too_big)
		return reply_error(conn, 413, "invalid_request_error",
		    "body_too_large", "The request body is too large.", NULL,
		    0) == 0 ? MHD_YES : MHD_NO;
	if ((q = malloc(sizeof(*q))) == NULL)
		return MHD_NO;
	if (rp_paysim_req_parse(rp_buf_str(&rq->body), allowed, q, &pe) != 0) {
		free(q);
		return reply_error(conn, 400, "invalid_request_error", pe.code,
		    pe.message, NULL, 0) == 0 ? MHD_YES : MHD_NO;
	}
	rp_buf_init(&b, 4 * 1024 * 1024);
	pthread_mutex_lock(&ps->mu);
	if (strcmp(p, "/reset") == 0) {
		if ((r = rp_paysim_db_reset(ps)) == 0) {
			rp_paysim_kv_load(ps);
			rp_log_info("paysim: state reset");
		}
	} else if (strcmp(p, "/clock") == 0 && post) {
		if (!(q->seen & RP_PF_ADVANCE_S))
			status = 400;
		else {
			ps->clock_offset += q->advance_s;
			if ((r = rp_paysim_exec(ps, "BEGIN IMMEDIATE")) == 0) {
				r = rp_paysim_kv_save(ps);
				if (r == 0)
					r = rp_paysim_expire_holds(ps);
				(void)rp_paysim_exec(ps, r == 0 ? "COMMIT" :
				    "ROLLBACK");
			}
		}
	} else if (strcmp(p, "/webhook") == 0) {
		if (!(q->seen & RP_PF_URL) || !hook_url_ok(q->url))
			status = 400;
		else {
			snprintf(ps->hook_url, sizeof(ps->hook_url), "%s", q->url);
			r = rp_paysim_kv_save(ps);
		}
	} else if (strcmp(p, "/chaos") == 0) {
		/* The body replaces the whole chaos setting; {} turns it off. */
		ps->c_dup = q->duplicate;
		ps->c_delay_min = q->delay_min;
		ps->c_delay_max = q->delay_max;
		ps->c_reorder = q->reorder;
		r = rp_paysim_kv_save(ps);
	} else if (strcmp(p, "/faults") == 0) {
		int64_t count = (q->seen & RP_PF_COUNT) ? q->count : 1;

		if ((q->seen & RP_PF_STATUS) && q->status != 0 &&
		    q->status != 429 && q->status != 500 && q->status != 503)
			status = 400;
		else {
			ps->f_drop = q->drop_after_commit;
			ps->f_slow_ms = q->slow_ms;
			ps->f_slow = q->slow_ms > 0 ? count : 0;
			ps->f_status_code = q->status;
			ps->f_status = q->status > 0 ? count : 0;
			r = rp_paysim_kv_save(ps);
		}
	} else if (strcmp(p, "/requests") == 0) {
		r = list_json(ps, "SELECT seq, t, method, path, status, "
		    "idem_key AS idempotency_key, replayed, summary AS body "
		    "FROM requests ORDER BY seq DESC LIMIT 1000", &b);
	} else if (strcmp(p, "/events") == 0) {
		r = list_json(ps, "SELECT seq, id, type, created, state, "
		    "attempts, deliveries, last_status FROM events ORDER BY "
		    "seq", &b);
	}
	if (r == 0 && b.len == 0 && status == 200)
		state_json(ps, &b);
	pthread_cond_signal(&ps->hook_cv);
	pthread_mutex_unlock(&ps->mu);
	rp_paysim_req_clear(q);
	free(q);
	if (status == 400)
		r = reply_error(conn, 400, "invalid_request_error",
		    "parameter_invalid", "Missing or invalid parameter.", NULL,
		    0);
	else if (r != 0)
		r = reply_error(conn, 500, "api_error", "internal_error",
		    "The sandbox failed.", NULL, 0);
	else
		r = reply_json(conn, 200, &b, NULL, 0);
	rp_buf_release(&b);
	return r == 0 ? MHD_YES : MHD_NO;
}

/* ---- routing ---- */

static enum MHD_Result
hosted(struct rp_paysim *ps, struct MHD_Connection *conn, const char *url,
    const char *method, struct preq *rq)
{
	struct rp_paysim_page pg;
	struct hdr h[3];
	size_t nh = 0;
	int r;

	rp_buf_init(&pg.body, 256 * 1024);
	pg.status = 500;
	rp_paysim_hosted(ps, method, url + 7,
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "parent"),
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "pk"),
	    rp_buf_str(&rq->body), &pg);
	h[nh++] = (struct hdr){ "Content-Security-Policy", pg.csp[0] ? pg.csp :
	    "default-src 'none'; style-src 'self'; frame-ancestors 'none'; "
	    "base-uri 'none'; form-action 'none'" };
	if (pg.location[0])
		h[nh++] = (struct hdr){ "Location", pg.location };
	r = reply(conn, pg.status, pg.ctype, &pg.body, h, nh);
	rp_buf_release(&pg.body);
	return r == 0 ? MHD_YES : MHD_NO;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct rp_paysim *ps = cls;
	struct preq *rq = *con_cls;
	struct rp_buf b;
	int r;

	(void)version;
	if (rq == NULL) {
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		rp_buf_init(&rq->body, RP_PAYSIM_MAX_BODY);
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!rq->too_big &&
		    rp_buf_add(&rq->body, upload_data, *upload_data_size) != 0)
			rq->too_big = true;
		if (rq->too_big) {
			rq->drained += *upload_data_size;
			if (rq->drained > MAX_DRAIN)
				return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strncmp(url, "/v1/", 4) == 0)
		return api(ps, conn, url, method, rq);
	if (strncmp(url, "/hosted/", 8) == 0)
		return hosted(ps, conn, url, method, rq);
	if (strncmp(url, "/sandbox/", 9) == 0)
		return sandbox(ps, conn, url, method, rq);
	rp_buf_init(&b, 256);
	if (strcmp(url, "/") == 0 || strcmp(url, "/healthz") == 0) {
		rp_buf_add_c(&b, "paysim: payment-agent sandbox (docs/paysim.md)\n");
		r = reply(conn, 200, "text/plain; charset=utf-8", &b, NULL, 0);
	} else {
		rp_buf_add_c(&b, "not found\n");
		r = reply(conn, 404, "text/plain; charset=utf-8", &b, NULL, 0);
	}
	rp_buf_release(&b);
	return r == 0 ? MHD_YES : MHD_NO;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct preq *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq == NULL)
		return;
	*con_cls = NULL;
	rp_buf_release(&rq->body);
	free(rq);
}

/* "http://addr:port" (brackets for IPv6), the origin of the hosted pages. */
static void
set_origin(struct rp_paysim *ps, const char *addr, uint32_t port)
{
	if (strchr(addr, ':') != NULL)
		snprintf(ps->origin, sizeof(ps->origin), "http://[%s]:%u", addr,
		    (unsigned)port);
	else
		snprintf(ps->origin, sizeof(ps->origin), "http://%s:%u", addr,
		    (unsigned)port);
}

/*
 * Loopback only: /sandbox has no authentication.  A thread per connection
 * (a deliberately slowed call must not hold up the others); no cap per
 * network, since every client is on this host.
 */
static int
start_http(struct rp_paysim *ps, const struct rp_conf *conf,
    struct rp_buf *err)
{
	struct rp_httpd_opts o;
	uint32_t bound = 0;
	int r;

	rp_httpd_opts_init(&o);
	o.name = "paysim";
	o.addr_key = "paysim_addr";
	o.addr = conf->paysim_addr;
	o.port = conf->paysim_port;
	o.loopback_only = true;
	o.thread_per_conn = true;
	o.max_conn = MAX_CONN;
	o.max_per_prefix = 0;
	o.idle_timeout_s = CONN_TIMEOUT;
	o.request_timeout_s = CONN_TIMEOUT;
	o.mem_limit = 64 * 1024;
	o.handler = handle;
	o.handler_cls = ps;
	o.completed = completed;
	/* With a fixed port the origin is known before the first request. */
	if (conf->paysim_port != 0)
		set_origin(ps, conf->paysim_addr, conf->paysim_port);
	if ((r = rp_httpd_start(&o, &ps->httpd, &bound, err)) != 0)
		return r;
	if (conf->paysim_port == 0)
		set_origin(ps, conf->paysim_addr, bound);
	return 0;
}

static int
mkdir_private(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return RP_E_IO;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return RP_E_IO;
	return 0;
}

static void
paysim_free(struct rp_paysim *ps)
{
	rp_httpd_stop(ps->httpd);	/* waits for connections */
	ps->httpd = NULL;
	rp_paysim_hook_stop(ps);
	rp_paysim_db_close(ps);
	rp_paysim_secrets_free(ps);
	pthread_cond_destroy(&ps->hook_cv);
	pthread_mutex_destroy(&ps->mu);
}

static int
run(const struct rp_conf *conf, int parent_fd)
{
	struct rp_paysim ps;
	struct rp_buf err;
	int sfd = -1, status = 1;

	memset(&ps, 0, sizeof(ps));
	ps.conf = conf;
	pthread_mutex_init(&ps.mu, NULL);
	pthread_cond_init(&ps.hook_cv, NULL);
	rp_log_set_proc("paysim");
	rp_buf_init(&err, 1024);
	if ((sfd = rp_child_signals("paysim")) < 0)
		goto out;
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		rp_log_error("paysim: cannot initialise libsodium or libcurl");
		goto out;
	}
	snprintf(ps.dir, sizeof(ps.dir), "%s/paysim", conf->data_dir);
	if (mkdir_private(conf->data_dir) != 0 || mkdir_private(ps.dir) != 0) {
		rp_log_error("paysim: cannot create %s: %s", ps.dir,
		    strerror(errno));
		goto out;
	}
	if (rp_paysim_secrets_load(&ps, &err) != 0 ||
	    rp_paysim_db_open(&ps, &err) != 0) {
		rp_log_error("%s", err.len ? err.d : "paysim: start-up failed");
		goto out;
	}
	rp_paysim_kv_load(&ps);
	if (rp_paysim_hook_start(&ps) != 0) {
		rp_log_error("paysim: cannot start the webhook thread");
		goto out;
	}
	if (start_http(&ps, conf, &err) != 0) {
		rp_log_error("%s", err.len ? err.d : "paysim: cannot start HTTP");
		goto out;
	}
	rp_log_info("paysim: listening on %s, state in %s", ps.origin, ps.dir);
	printf("paysim listening on %s\n", ps.origin);
	fflush(stdout);
	if (parent_fd >= 0 && (fcntl(parent_fd, F_SETFL, O_NONBLOCK) != 0 ||
	    rp_child_ready(parent_fd, RP_PAYSIM_KIND, 1) != 0))
		goto out;
	status = rp_child_wait(sfd, parent_fd, 0, NULL, NULL, "paysim");
 out:
	paysim_free(&ps);
	curl_global_cleanup();
	rp_buf_release(&err);
	if (sfd >= 0)
		close(sfd);
	return status;
}

int
rp_paysim_cmd(const struct rp_conf *conf, int argc, char **argv)
{
	if (argc >= 1 && (strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "-h") == 0)) {
		printf("usage: rentport paysim [--key=value ...]\n"
		    "\n"
		    "Runs the payment-agent sandbox (docs/paysim.md) on\n"
		    "paysim_addr:paysim_port (loopback only): the /v1 API,\n"
		    "the /hosted card field, 3-D Secure and terminal pages, and\n"
		    "the /sandbox control plane.  State and secrets live in\n"
		    "DATA/paysim/.  SIGTERM or SIGINT stops it.\n");
		return 0;
	}
	if (argc > 0) {
		fprintf(stderr, "rentport paysim: unexpected argument \"%s\"\n",
		    argv[0]);
		return 2;
	}
	return run(conf, -1);
}

int
rp_paysim_run(const struct rp_conf *conf, int parent_fd)
{
	return run(conf, parent_fd);
}
