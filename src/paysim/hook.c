/* SPDX-License-Identifier: ISC */
/*
 * hook.c — paysim's webhooks: events are written to the events table in
 * the same transaction as the state change they describe, and one
 * background thread POSTs them (libcurl) to the registered endpoint,
 * signed as payments.md §6 ("Paysim-Signature: t=<unix>,v1=<hex
 * HMAC-SHA256(webhook secret, t.raw_body)>"), retrying after 1, 2, 4 …
 * seconds up to 8 tries until a 2xx.  API replies never wait for a
 * delivery.  Chaos mode delays, duplicates and reorders deliveries so
 * that receivers prove they dedupe and re-fetch.  The endpoint URL is
 * the tester's (loopback in practice); only http and https are allowed.
 */
#include "util/common.h"

#include <curl/curl.h>
#include <sodium.h>

#include "paysim/paysim_int.h"
#include "util/log.h"

void
rp_paysim_sign(const char *secret, int64_t t, struct rp_str body, char *out,
    size_t n)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char ts[24], hex[2 * sizeof(mac) + 1];

	snprintf(ts, sizeof(ts), "%" PRId64, t);
	/* The whole secret string is the key, as Stripe's whsec_ is. */
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret,
	    strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts,
	    strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body.p,
	    body.n);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(out, n, "t=%s,v1=%s", ts, hex);
	sodium_memzero(&st, sizeof(st));
}

static int64_t
chaos_delay(struct rp_paysim *ps)
{
	int64_t lo = ps->c_delay_min, hi = ps->c_delay_max;

	/* Reordering needs something to reorder: spread events a little. */
	if (ps->c_reorder && hi == 0)
		hi = 300;
	if (hi <= lo)
		return lo;
	return lo + (int64_t)randombytes_uniform((uint32_t)(hi - lo + 1));
}

int
rp_paysim_event(struct rp_paysim *ps, const char *type,
    const char *object_json)
{
	char id[RP_PAYSIM_MAX_ID + 1];
	struct rp_buf b;
	sqlite3_stmt *st;
	int64_t now = rp_paysim_now(ps);
	int r;

	rp_paysim_id("evt", id, sizeof(id));
	rp_buf_init(&b, RP_PAYSIM_MAX_RESP);
	/* object_json was produced by jansson: valid JSON to embed. */
	rp_buf_printf(&b, "{\"id\":\"%s\",\"object\":\"event\",\"type\":\"%s\","
	    "\"created\":%" PRId64 ",\"livemode\":false,\"data\":{\"object\":",
	    id, type, now);
	rp_buf_add_c(&b, object_json);
	rp_buf_add_c(&b, "}}");
	if (b.err != 0) {
		r = b.err;
		goto out;
	}
	st = rp_paysim_prep(ps, "INSERT INTO events (id, type, created, body, "
	    "url, state, next_ms) VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL) {
		r = RP_E_DB;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_text(st, 4, b.d, (int)b.len, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, ps->hook_url, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, ps->hook_url[0] ? "pending" : "no_endpoint",
	    -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, rp_paysim_real_ms() + chaos_delay(ps));
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : RP_E_DB;
	sqlite3_finalize(st);
	pthread_cond_signal(&ps->hook_cv);
 out:
	rp_buf_release(&b);
	return r;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* One POST; the HTTP status, or 0 if none came back. */
static long
deliver(struct rp_paysim *ps, const char *url, const char *body)
{
	struct curl_slist *h = NULL;
	char sig[160], hdr[200];
	long code = 0;
	CURL *c;

	if ((c = curl_easy_init()) == NULL)
		return 0;
	rp_paysim_sign(ps->whsec, (int64_t)time(NULL), rp_str_c(body), sig,
	    sizeof(sig));
	snprintf(hdr, sizeof(hdr), "Paysim-Signature: %s", sig);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, hdr);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "paysim-webhooks/1");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return code;
}

struct due {
	int64_t seq;
	int attempts;
	char *url, *body;
};

/* With mu held: the next due event (0), none due (RP_E_NOTFOUND, *wait_ms
 * says how long until one is), or RP_E_DB. */
static int
next_due(struct rp_paysim *ps, struct due *d, int64_t *wait_ms)
{
	sqlite3_stmt *st;
	int64_t now = rp_paysim_real_ms();
	int s, r = RP_E_NOTFOUND;

	memset(d, 0, sizeof(*d));
	*wait_ms = 1000;
	st = rp_paysim_prep(ps, ps->c_reorder ?
	    "SELECT seq, attempts, url, body FROM events WHERE state = "
	    "'pending' AND next_ms <= ? ORDER BY random() LIMIT 1" :
	    "SELECT seq, attempts, url, body FROM events WHERE state = "
	    "'pending' AND next_ms <= ? ORDER BY next_ms, seq LIMIT 1");
	if (st == NULL)
		return RP_E_DB;
	sqlite3_bind_int64(st, 1, now);
	if ((s = sqlite3_step(st)) == SQLITE_ROW) {
		d->seq = sqlite3_column_int64(st, 0);
		d->attempts = sqlite3_column_int(st, 1);
		d->url = strdup((const char *)sqlite3_column_text(st, 2));
		d->body = strdup((const char *)sqlite3_column_text(st, 3));
		r = d->url && d->body ? 0 : RP_E_NOMEM;
	} else if (s != SQLITE_DONE)
		r = RP_E_DB;
	sqlite3_finalize(st);
	if (r != RP_E_NOTFOUND)
		return r;
	st = rp_paysim_prep(ps, "SELECT min(next_ms) FROM events WHERE state "
	    "= 'pending'");
	if (st == NULL)
		return RP_E_DB;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		int64_t w = sqlite3_column_int64(st, 0) - now;

		*wait_ms = w < 1 ? 1 : w > 1000 ? 1000 : w;
	}
	sqlite3_finalize(st);
	return RP_E_NOTFOUND;
}

static void
record(struct rp_paysim *ps, const struct due *d, long code, int deliveries)
{
	sqlite3_stmt *st;
	int attempts = d->attempts + 1;
	bool ok = code >= 200 && code < 300;
	const char *state = ok ? "delivered" :
	    attempts >= RP_PAYSIM_HOOK_TRIES ? "failed" : "pending";
	/* 1 s after the first failure, then 2, 4, … */
	int64_t next = rp_paysim_real_ms() + 1000 * ((int64_t)1 << (attempts - 1));

	st = rp_paysim_prep(ps, "UPDATE events SET state = ?, attempts = ?, "
	    "deliveries = deliveries + ?, next_ms = ?, last_status = ? "
	    "WHERE seq = ?");
	if (st == NULL)
		return;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, attempts);
	sqlite3_bind_int(st, 3, deliveries);
	sqlite3_bind_int64(st, 4, next);
	sqlite3_bind_int64(st, 5, code);
	sqlite3_bind_int64(st, 6, d->seq);
	if (sqlite3_step(st) != SQLITE_DONE)
		rp_log_error("paysim: cannot record a delivery: %s",
		    sqlite3_errmsg(ps->db));
	sqlite3_finalize(st);
	if (!ok)
		rp_log_info("paysim: webhook event %" PRId64 " attempt %d got "
		    "%ld%s", d->seq, attempts, code,
		    attempts >= RP_PAYSIM_HOOK_TRIES ? "; giving up" : "");
}

static void *
hook_main(void *arg)
{
	struct rp_paysim *ps = arg;
	struct timespec ts;
	struct due d;
	int64_t wait_ms, last_sweep = 0;
	long code;
	int r, deliveries;

	pthread_mutex_lock(&ps->mu);
	while (!ps->stopping) {
		/* Holds also expire while nobody calls the API. */
		if (rp_paysim_real_ms() - last_sweep >= 1000) {
			last_sweep = rp_paysim_real_ms();
			if (rp_paysim_exec(ps, "BEGIN IMMEDIATE") == 0) {
				if (rp_paysim_expire_holds(ps) == 0)
					(void)rp_paysim_exec(ps, "COMMIT");
				else
					(void)rp_paysim_exec(ps, "ROLLBACK");
			}
		}
		r = next_due(ps, &d, &wait_ms);
		if (r == RP_E_NOTFOUND || r != 0) {
			free(d.url);
			free(d.body);
			if (r != RP_E_NOTFOUND)
				wait_ms = 1000;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
			ts.tv_sec += (time_t)(wait_ms / 1000) +
			    ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&ps->hook_cv, &ps->mu, &ts);
			continue;
		}
		pthread_mutex_unlock(&ps->mu);
		code = deliver(ps, d.url, d.body);
		deliveries = code >= 200 && code < 300 ? 1 : 0;
		pthread_mutex_lock(&ps->mu);
		/* Chaos: the same event again (receivers must dedupe). */
		if (deliveries && ps->c_dup > 0.0 &&
		    randombytes_uniform(1000000) < (uint32_t)(ps->c_dup * 1e6)) {
			pthread_mutex_unlock(&ps->mu);
			if (deliver(ps, d.url, d.body) / 100 == 2)
				deliveries++;
			pthread_mutex_lock(&ps->mu);
		}
		record(ps, &d, code, deliveries);
		free(d.url);
		free(d.body);
	}
	pthread_mutex_unlock(&ps->mu);
	return NULL;
}

int
rp_paysim_hook_start(struct rp_paysim *ps)
{
	if (pthread_create(&ps->hook_thread, NULL, hook_main, ps) != 0)
		return RP_E_NOMEM;
	ps->hook_running = true;
	return 0;
}

void
rp_paysim_hook_stop(struct rp_paysim *ps)
{
	if (!ps->hook_running)
		return;
	pthread_mutex_lock(&ps->mu);
	ps->stopping = true;
	pthread_cond_signal(&ps->hook_cv);
	pthread_mutex_unlock(&ps->mu);
	pthread_join(ps->hook_thread, NULL);
	ps->hook_running = false;
}
