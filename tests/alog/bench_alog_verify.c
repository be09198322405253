/* SPDX-License-Identifier: ISC */
/*
 * bench_alog_verify.c — `log verify` throughput beside its limit.
 *
 *	bench_alog_verify DATA_DIR [ENTRIES [--make-only]]
 *
 * Makes a log of ENTRIES (default 1,000,000) typical entries in
 * DATA_DIR/alog with the storage library (store.h) unless one is there,
 * signs a checkpoint, then times rp_alog_verify with 1 and 2 threads and
 * prints entries/s next to the single-thread SHA-256 rates measured in the
 * same run: 65-byte node hashes/s and leaf hashes/s of the same entries
 * (best of 3 verify runs per thread count)
 * (a verified entry costs one leaf hash plus about one node hash).
 */
#include "util/common.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "alog/entry.h"
#include "alog/merkle.h"
#include "alog/store.h"
#include "alog/verify.h"
#include "conf/conf.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) this process used so far. */
static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int
make_log(const char *data, uint64_t n)
{
	enum { BATCH = 4096 };
	struct rp_conf conf;
	struct rp_alog_store *st = NULL;
	struct rp_alog_entry e;
	static struct rp_buf bufs[BATCH];
	static struct rp_str bodies[BATCH];
	uint8_t recs[32];
	char actor[32];
	uint64_t i, k;
	int r;

	rp_conf_defaults(&conf);
	snprintf(conf.data_dir, sizeof(conf.data_dir), "%s", data);
	if ((r = rp_alog_store_open(data, &conf, &st)) != 0)
		return r;
	memset(&e, 0, sizeof(e));
	e.node = RP_STR_LIT("web/1");
	e.purpose = RP_STR_LIT("order_view");
	e.outcome = RP_OUTCOME_OK;
	e.records = recs;
	for (k = 0; k < BATCH; k++)
		rp_buf_init(&bufs[k], 1 << 16);
	for (i = rp_alog_store_size(st); i < n; i += k) {
		for (k = 0; k < BATCH && i + k < n; k++) {
			e.action = RP_ALOG_GET;
			e.role = (uint8_t)(1 + (i + k) % 5);
			e.fields = RP_FIELD_NAME | RP_FIELD_EMAIL;
			e.tenant = (uint32_t)((i + k) % 100);
			snprintf(actor, sizeof(actor), "session:%08" PRIx64,
			    (i + k) * 2654435761u);
			e.actor = rp_str_c(actor);
			e.n_records = 1 + (i + k) % 2;
			memset(recs, (int)(i + k), sizeof(recs));
			if ((r = rp_alog_body_encode(&e, &bufs[k])) != 0)
				goto out;
			bodies[k] = rp_buf_str(&bufs[k]);
		}
		if ((r = rp_alog_store_append(st, bodies, k, NULL, NULL)) != 0)
			goto out;
	}
	r = rp_alog_store_checkpoint(st, true, true, NULL, NULL);
 out:
	for (k = 0; k < BATCH; k++)
		rp_buf_release(&bufs[k]);
	rp_alog_store_close(st);
	return r;
}

int
main(int argc, char **argv)
{
	struct rp_alog_vopts o;
	struct rp_alog_vresult res;
	struct rp_alog_wal w;
	struct rp_buf msg;
	char alog[1024], wal[1100];
	uint8_t h[32], a[32], b[32];
	uint64_t n = 1000000, i, cnt;
	unsigned th;
	double t0, t, node_rate, leaf_rate;
	struct stat sb;
	size_t off;
	int r;

	if (argc < 2 || argc > 4 || (argc == 4 &&
	    strcmp(argv[3], "--make-only") != 0)) {
		fprintf(stderr, "usage: bench_alog_verify DATA_DIR "
		    "[ENTRIES [--make-only]]\n");
		return 2;
	}
	if (argc >= 3)
		n = strtoull(argv[2], NULL, 10);
	snprintf(alog, sizeof(alog), "%s/alog", argv[1]);
	snprintf(wal, sizeof(wal), "%s/wal", alog);
	if (stat(wal, &sb) != 0) {
		t0 = now_s();
		if ((r = make_log(argv[1], n)) != 0) {
			fprintf(stderr, "make log: %s\n", rp_strerror(r));
			return 1;
		}
		printf("made %" PRIu64 " entries in %.2f s\n", n,
		    now_s() - t0);
	}
	if (argc == 4)
		return 0;

	/* The limit: SHA-256 through merkle.h, one thread. */
	memset(a, 1, sizeof(a));
	memset(b, 2, sizeof(b));
	t0 = now_s();
	for (cnt = 0; (t = now_s()) - t0 < 1.0; )
		for (i = 0; i < 100000; i++, cnt++)
			rp_merkle_node_hash(a, b, a);
	node_rate = (double)cnt / (t - t0);
	if (rp_alog_wal_open(&w, wal) != 0)
		return 1;
	/* Sequential walk over the records (pages already touched once). */
	for (i = 0, off = 0; i < w.count; i++)
		off += 6 + ((size_t)w.p[off] << 8 | w.p[off + 1]);
	t0 = now_s();
	for (i = 0, off = 0; i < w.count; i++) {
		size_t len = (size_t)w.p[off] << 8 | w.p[off + 1];

		rp_merkle_leaf_hash(w.p + off + 2, len, h);
		off += 6 + len;
	}
	leaf_rate = (double)w.count / (now_s() - t0);
	printf("SHA-256 node hashes/s (1 thread): %.0f\n", node_rate);
	printf("SHA-256 leaf hashes/s (1 thread, %.0f-byte entries): %.0f\n",
	    (double)(w.tile_off[w.ntiles] - 6 * w.count) / (double)w.count,
	    leaf_rate);
	printf("limit for one thread (1 leaf + 1 node per entry): %.0f "
	    "entries/s\n", 1.0 / (1.0 / node_rate + 1.0 / leaf_rate));
	rp_alog_wal_close(&w);

	/* Best of 3 runs per thread count: the machine may be shared. */
	for (th = 1; th <= 2; th++) {
		double best = 0, cpu0 = cpu_s();
		unsigned rep;

		for (rep = 0; rep < 3; rep++) {
			memset(&o, 0, sizeof(o));
			o.alog_dir = alog;
			o.threads = th;
			rp_buf_init(&msg, 1024);
			r = rp_alog_verify(&o, &res, &msg);
			if (r != 0) {
				printf("log verify: %s\n", msg.d);
				rp_buf_release(&msg);
				return 1;
			}
			rp_buf_release(&msg);
			if (best == 0 || res.seconds < best)
				best = res.seconds;
		}
		printf("log verify, %u thread%s: OK, %" PRIu64 " entries in "
		    "%.3f s: %.0f entries/s (best of 3); %.0f entries per CPU "
		    "second\n", th, th > 1 ? "s" : "", res.wal_entries, best,
		    (double)res.wal_entries / best, 3.0 *
		    (double)res.wal_entries / (cpu_s() - cpu0));
	}
	return 0;
}
