/* SPDX-License-Identifier: ISC */
/*
 * vault_load.c — a load generator for the vault process, for the crash
 * tests and `make bench`.  Connects to DATA/run/vault.sock with the
 * operator token and asks for records in batches (role incident, purpose
 * "incident"), as fast as it can, from T threads:
 *
 *	vault_load DATA_DIR SECONDS BATCH MAX_ID [THREADS] [ACKED_FILE]
 *
 * Every acknowledged release is appended to ACKED_FILE as
 * "<request id hex> <n records> <unix ms>\n" — the crash tests check that
 * each of them is in the access log.  When the vault or the log is
 * unavailable it counts the refusal and retries (reconnecting if needed).
 * Prints one summary line: requests, records, records/s, p50/p99/max ms,
 * unavailable answers.  With VAULT_LOAD_CAP set, every request also
 * carries a capability (role incident, principal staff:bench) made with
 * DATA/keys/capability.key, which the vault verifies: the bench of its cost.
 */
#include "util/common.h"
#include "alog/entry.h"
#include "auth/cap.h"
#include "vault/client.h"

#include <pthread.h>
#include <sodium.h>
#include <unistd.h>

#define MAX_SAMPLES (1u << 22)

struct worker {
	pthread_t th;
	const char *dir, *token;
	double seconds;
	unsigned batch;
	uint64_t max_id;
	FILE *acked;
	pthread_mutex_t *mu;
	uint64_t requests, records, unavailable, errors;
	double *lat;			/* ms per acknowledged request */
	size_t nlat;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	struct rp_vault_client *vc = NULL;
	struct rp_vault_caller c;
	struct rp_vault_record *out;
	uint64_t ids[RP_VAULT_MAX_BATCH];
	double end = now_s() + w->seconds;
	char hex[33];

	out = calloc(w->batch, sizeof(*out));
	if (out == NULL || rp_vault_caller_init(&c, "incident", "operator",
	    "staff:bench", "incident") != 0) {
		fprintf(stderr, "vault_load: setup failed\n");
		free(out);
		return NULL;
	}
	if (getenv("VAULT_LOAD_CAP") != NULL) {
		/* the identity holder's word, as a console worker passes it
		 * on: the vault verifies it on every get */
		uint8_t key[RP_CAP_KEY_LEN];
		struct rp_cap cap;
		size_t clen = 0;

		memset(&cap, 0, sizeof(cap));
		cap.role = RP_ROLE_INCIDENT;
		cap.expires_ms = rp_cap_now_ms() + (uint64_t)(w->seconds * 1000) +
		    RP_CAP_TTL_MS;
		snprintf(cap.principal, sizeof(cap.principal), "staff:bench");
		randombytes_buf(cap.session, sizeof(cap.session));
		if (rp_cap_key_load(w->dir, key) != 0 ||
		    rp_cap_encode(&cap, key, c.cap, &clen) != 0) {
			fprintf(stderr, "vault_load: no capability key\n");
			free(out);
			return NULL;
		}
		c.cap_len = (uint32_t)clen;
		sodium_memzero(key, sizeof(key));
	}
	while (now_s() < end) {
		double t0;
		int r;

		if (vc == NULL && rp_vault_client_connect(w->dir, w->token, &vc) != 0) {
			w->unavailable++;
			usleep(20000);
			continue;
		}
		for (unsigned i = 0; i < w->batch; i++)
			ids[i] = 1 + randombytes_uniform((uint32_t)w->max_id);
		randombytes_buf(c.request_id, sizeof(c.request_id));
		t0 = now_s();
		r = rp_vault_client_get(vc, &c, ids, w->batch, 0xff, out);
		for (unsigned i = 0; i < w->batch; i++)
			rp_vault_record_release(&out[i]);
		if (r == 0) {
			w->requests++;
			w->records += w->batch;
			if (w->nlat < MAX_SAMPLES)
				w->lat[w->nlat++] = (now_s() - t0) * 1000.0;
			if (w->acked) {
				sodium_bin2hex(hex, sizeof(hex), c.request_id, 16);
				pthread_mutex_lock(w->mu);
				fprintf(w->acked, "%s %u %" PRIu64 "\n", hex,
				    w->batch, unix_ms());
				pthread_mutex_unlock(w->mu);
			}
		} else if (r == RP_E_AGAIN || r == RP_E_CLOSED || r == RP_E_IO) {
			w->unavailable++;
			rp_vault_client_close(vc);
			vc = NULL;
			usleep(20000);
		} else {
			w->errors++;
			if (w->errors < 5)
				fprintf(stderr, "vault_load: get: %s\n", rp_strerror(r));
		}
	}
	rp_vault_client_close(vc);
	free(out);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	static char token[RP_VAULT_TOKEN_HEX + 1];
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct worker *ws;
	unsigned nth = 1, i;
	FILE *acked = NULL;
	double t0, secs, *all;
	size_t nall = 0;
	uint64_t req = 0, rec = 0, unav = 0, err = 0;

	if (argc < 5) {
		fprintf(stderr, "usage: vault_load DATA_DIR SECONDS BATCH MAX_ID "
		    "[THREADS] [ACKED_FILE]\n");
		return 2;
	}
	if (sodium_init() < 0 || rp_vault_token_read(argv[1], token) != 0) {
		fprintf(stderr, "vault_load: cannot read the operator token in %s\n",
		    argv[1]);
		return 1;
	}
	if (argc > 5)
		nth = (unsigned)strtoul(argv[5], NULL, 10);
	if (argc > 6 && (acked = fopen(argv[6], "a")) == NULL) {
		perror(argv[6]);
		return 1;
	}
	if (acked)
		setvbuf(acked, NULL, _IOLBF, 0);
	if (nth < 1 || nth > 64)
		nth = 1;
	ws = calloc(nth, sizeof(*ws));
	for (i = 0; i < nth; i++) {
		ws[i].dir = argv[1];
		ws[i].token = token;
		ws[i].seconds = strtod(argv[2], NULL);
		ws[i].batch = (unsigned)strtoul(argv[3], NULL, 10);
		ws[i].max_id = strtoull(argv[4], NULL, 10);
		ws[i].acked = acked;
		ws[i].mu = &mu;
		ws[i].lat = malloc(MAX_SAMPLES * sizeof(double));
		if (ws[i].batch < 1 || ws[i].batch > RP_VAULT_MAX_BATCH ||
		    ws[i].max_id < 1 || ws[i].lat == NULL) {
			fprintf(stderr, "vault_load: bad arguments\n");
			return 2;
		}
	}
	t0 = now_s();
	for (i = 0; i < nth; i++)
		pthread_create(&ws[i].th, NULL, run, &ws[i]);
	for (i = 0; i < nth; i++)
		pthread_join(ws[i].th, NULL);
	secs = now_s() - t0;
	for (i = 0; i < nth; i++)
		nall += ws[i].nlat;
	all = malloc((nall + 1) * sizeof(double));
	nall = 0;
	for (i = 0; i < nth; i++) {
		memcpy(all + nall, ws[i].lat, ws[i].nlat * sizeof(double));
		nall += ws[i].nlat;
		req += ws[i].requests;
		rec += ws[i].records;
		unav += ws[i].unavailable;
		err += ws[i].errors;
		free(ws[i].lat);
	}
	qsort(all, nall, sizeof(double), cmp_double);
	printf("batch %u threads %u: %" PRIu64 " requests, %" PRIu64
	    " records, %.0f records/s, p50 %.3f ms, p99 %.3f ms, max %.3f ms, "
	    "%" PRIu64 " unavailable, %" PRIu64 " errors\n", ws[0].batch, nth,
	    req, rec, secs > 0 ? (double)rec / secs : 0.0,
	    nall ? all[nall / 2] : 0.0, nall ? all[(nall * 99) / 100] : 0.0,
	    nall ? all[nall - 1] : 0.0, unav, err);
	if (acked)
		fclose(acked);
	free(all);
	free(ws);
	return err ? 1 : 0;
}
