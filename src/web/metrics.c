/* SPDX-License-Identifier: ISC */
/*
 * metrics.c — the shared metrics area (see metrics.h and web.h).  Created
 * by the parent before it forks the web workers; written by every worker
 * thread with relaxed atomics; rendered in Prometheus text format by
 * whichever worker serves /metrics.  Holds counts only, never request
 * data.
 */
#include "util/common.h"

#include <sys/mman.h>

#include "web/metrics.h"
#include "web/web.h"

/* Response status slots; anything else lands in the last ("other"). */
static const unsigned status_codes[] = {
	200, 201, 204, 301, 302, 303, 304, 400, 401, 403, 404, 405, 408,
	409, 413, 414, 415, 422, 429, 431, 500, 501, 503,
};
#define NSTATUS		(RP_ARRAY_LEN(status_codes) + 1)

/* Latency bucket upper bounds in µs (the last bucket is +Inf). */
static const uint64_t bucket_us[] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
	250000, 500000, 1000000, 2500000, 5000000,
};
#define NBUCKETS	(RP_ARRAY_LEN(bucket_us) + 1)

/* Child kinds the parent may restart; unknown names count as "other". */
static const char *const kinds[] = {
	"web", "vault", "alog", "paylink", "other",
};
#define NKINDS		RP_ARRAY_LEN(kinds)

struct rp_metrics {
	uint64_t requests[RP_METRICS_ROUTES][NSTATUS];
	uint64_t bytes[RP_METRICS_ROUTES];
	uint64_t bucket[RP_METRICS_ROUTES][NBUCKETS];
	uint64_t sum_us[RP_METRICS_ROUTES];
	int64_t in_flight;
	uint64_t access_dropped;
	uint64_t restarts[NKINDS];
};

static void
add(uint64_t *p, uint64_t v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static uint64_t
get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

struct rp_metrics *
rp_metrics_create(void)
{
	void *p;

	p = mmap(NULL, sizeof(struct rp_metrics), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* Anonymous mappings start zeroed: every counter is 0. */
	return p;
}

void
rp_metrics_free(struct rp_metrics *m)
{
	if (m != NULL)
		munmap(m, sizeof(*m));
}

void
rp_metrics_child_restart(struct rp_metrics *m, const char *kind)
{
	size_t k;

	if (m == NULL)
		return;
	for (k = 0; k + 1 < NKINDS; k++)
		if (kind != NULL && strcmp(kind, kinds[k]) == 0)
			break;
	add(&m->restarts[k], 1);
}

void
rp_metrics_observe(struct rp_metrics *m, size_t route, unsigned status,
    uint64_t us, uint64_t bytes)
{
	size_t s, b;

	if (m == NULL)
		return;
	if (route >= RP_METRICS_ROUTES)
		route = RP_METRICS_ROUTE_REJECTED;
	for (s = 0; s < RP_ARRAY_LEN(status_codes); s++)
		if (status_codes[s] == status)
			break;
	for (b = 0; b < RP_ARRAY_LEN(bucket_us); b++)
		if (us <= bucket_us[b])
			break;
	add(&m->requests[route][s], 1);
	add(&m->bytes[route], bytes);
	add(&m->bucket[route][b], 1);
	add(&m->sum_us[route], us);
}

void
rp_metrics_in_flight(struct rp_metrics *m, int delta)
{
	if (m != NULL)
		__atomic_fetch_add(&m->in_flight, (int64_t)delta,
		    __ATOMIC_RELAXED);
}

void
rp_metrics_access_dropped(struct rp_metrics *m)
{
	if (m != NULL)
		add(&m->access_dropped, 1);
}

/* Label values are escaped as the exposition format requires. */
static void
add_label(struct rp_buf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			rp_buf_printf(out, "\\%c", *v);
		else if (*v == '\n')
			rp_buf_add_c(out, "\\n");
		else
			rp_buf_add_ch(out, *v);
	}
}

/* Writes route="..." (and method="..." when set), without the closing '"'. */
static void
add_labels(struct rp_buf *out, const struct rp_metrics_label *l)
{
	if (l->method != NULL) {
		rp_buf_add_c(out, "method=\"");
		add_label(out, l->method);
		rp_buf_add_c(out, "\",");
	}
	rp_buf_add_c(out, "route=\"");
	add_label(out, l->route);
}

static void
render_requests(const struct rp_metrics *m, const struct rp_metrics_label *labels,
    size_t nlabels, struct rp_buf *out)
{
	size_t r, s;

	rp_buf_add_c(out,
	    "# HELP rentport_http_requests_total HTTP requests served, by route pattern and status.\n"
	    "# TYPE rentport_http_requests_total counter\n");
	for (r = 0; r < nlabels && r < RP_METRICS_ROUTES; r++) {
		if (labels[r].route == NULL)
			continue;
		for (s = 0; s < NSTATUS; s++) {
			uint64_t v = get(&m->requests[r][s]);

			if (v == 0)
				continue;
			rp_buf_add_c(out, "rentport_http_requests_total{");
			add_labels(out, &labels[r]);
			if (s < RP_ARRAY_LEN(status_codes))
				rp_buf_printf(out, "\",status=\"%u\"} %" PRIu64 "\n",
				    status_codes[s], v);
			else
				rp_buf_printf(out, "\",status=\"other\"} %" PRIu64 "\n",
				    v);
		}
	}
	rp_buf_add_c(out,
	    "# HELP rentport_http_response_bytes_total Response body bytes sent, by route pattern.\n"
	    "# TYPE rentport_http_response_bytes_total counter\n");
	for (r = 0; r < nlabels && r < RP_METRICS_ROUTES; r++) {
		uint64_t v;

		if (labels[r].route == NULL || (v = get(&m->bytes[r])) == 0)
			continue;
		rp_buf_add_c(out, "rentport_http_response_bytes_total{");
		add_labels(out, &labels[r]);
		rp_buf_printf(out, "\"} %" PRIu64 "\n", v);
	}
}

static void
render_latency(const struct rp_metrics *m, const struct rp_metrics_label *labels,
    size_t nlabels, struct rp_buf *out)
{
	size_t r, b;

	rp_buf_add_c(out,
	    "# HELP rentport_http_request_duration_seconds Time from request line to response completion.\n"
	    "# TYPE rentport_http_request_duration_seconds histogram\n");
	for (r = 0; r < nlabels && r < RP_METRICS_ROUTES; r++) {
		uint64_t cum = 0, counts[NBUCKETS], sum;

		if (labels[r].route == NULL)
			continue;
		for (b = 0; b < NBUCKETS; b++) {
			counts[b] = get(&m->bucket[r][b]);
			cum += counts[b];
		}
		if (cum == 0)
			continue;
		cum = 0;
		for (b = 0; b < NBUCKETS; b++) {
			cum += counts[b];
			rp_buf_add_c(out,
			    "rentport_http_request_duration_seconds_bucket{");
			add_labels(out, &labels[r]);
			if (b < RP_ARRAY_LEN(bucket_us))
				rp_buf_printf(out, "\",le=\"%g\"} %" PRIu64 "\n",
				    (double)bucket_us[b] / 1e6, cum);
			else
				rp_buf_printf(out, "\",le=\"+Inf\"} %" PRIu64 "\n",
				    cum);
		}
		sum = get(&m->sum_us[r]);
		rp_buf_add_c(out, "rentport_http_request_duration_seconds_sum{");
		add_labels(out, &labels[r]);
		rp_buf_printf(out, "\"} %" PRIu64 ".%06" PRIu64 "\n",
		    sum / 1000000, sum % 1000000);
		rp_buf_add_c(out, "rentport_http_request_duration_seconds_count{");
		add_labels(out, &labels[r]);
		rp_buf_printf(out, "\"} %" PRIu64 "\n", cum);
	}
}

int
rp_metrics_render(const struct rp_metrics *m, const struct rp_metrics_label *labels,
    size_t nlabels, struct rp_buf *out)
{
	size_t k;

	if (m == NULL)
		return rp_buf_add_c(out, "# no metrics area\n");
	render_requests(m, labels, nlabels, out);
	render_latency(m, labels, nlabels, out);
	rp_buf_printf(out,
	    "# HELP rentport_http_in_flight Requests being served now.\n"
	    "# TYPE rentport_http_in_flight gauge\n"
	    "rentport_http_in_flight %" PRId64 "\n"
	    "# HELP rentport_access_log_dropped_total Access log messages dropped because the parent was busy.\n"
	    "# TYPE rentport_access_log_dropped_total counter\n"
	    "rentport_access_log_dropped_total %" PRIu64 "\n",
	    __atomic_load_n(&m->in_flight, __ATOMIC_RELAXED),
	    get(&m->access_dropped));
	rp_buf_add_c(out,
	    "# HELP rentport_child_restarts_total Child processes restarted by the parent, by kind.\n"
	    "# TYPE rentport_child_restarts_total counter\n");
	for (k = 0; k < NKINDS; k++)
		rp_buf_printf(out, "rentport_child_restarts_total{kind=\"%s\"} %"
		    PRIu64 "\n", kinds[k], get(&m->restarts[k]));
	return out->err;
}
