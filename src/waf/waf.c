/* SPDX-License-Identifier: ISC */
/*
 * waf.c — libmodsecurity 3 + OWASP CRS in a web worker: loading the rules
 * once, one transaction per request, interventions, and the security event
 * of each one.  See waf.h for the lifetime rules and why they are so.
 *
 * Rule ids and severities come from the engine's log callback, which gets
 * one text line per matched rule (the C API offers nothing structured).
 * Those lines also quote the matched value, i.e. attacker-chosen bytes:
 * the parser takes only numbers (rule ids, severity, the anomaly total)
 * from well-formed "[file] [line] [id]" fields (see parse_line for what a
 * request can and cannot do to its own event).  Nothing else of a line is
 * stored or written anywhere.
 */
#include "util/common.h"
#include "waf/waf.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <modsecurity/intervention.h>
#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>

#include "util/embed.h"
#include "util/log.h"

/* The rule files built into the binary (src/waf/meson.build embeds them). */
static const char *const rule_files[] = {
	"main.conf", "modsecurity.conf", "exclusions.conf", "rentport.conf",
};
#define RULES_SRC	"src/waf/rules/"

/* CRS's request and response blocking evaluations (anomaly scoring). */
#define CRS_INBOUND_BLOCK	949110u
#define CRS_OUTBOUND_BLOCK	959100u

static struct {
	ModSecurity *ms;
	RulesSet *rs;
	bool on, detect, response;
	int sec_fd;
	bool rules_written;	/* by rp_waf_write_rules in this process */
	unsigned paranoia, threshold, out_threshold;
} g = { .sec_fd = -1 };

struct rp_waf_tx {
	Transaction *t;
	uint32_t ids[RP_WAF_MAX_RULES];
	size_t nids;		/* distinct ids kept */
	size_t matches;		/* rule messages seen */
	unsigned sev_score;	/* CRS weights of the matches' severities */
	int total;		/* "Total Score" of 949110/959100, -1: none */
	unsigned status;	/* intervention status, 0: none */
	int phase;		/* where it intervened */
};

bool
rp_waf_on(void)
{
	return g.on;
}

bool
rp_waf_tx_response_on(void)
{
	return g.on && g.response;
}

/* ---- rule files ---------------------------------------------------------- */

int
rp_waf_rules_text(const struct rp_conf *c, struct rp_buf *pre,
    struct rp_buf *post)
{
	uint64_t body = c->max_body_bytes > c->max_body_preauth_bytes ?
	    c->max_body_bytes : c->max_body_preauth_bytes;

	/* Before CRS: REQUEST-901 only sets what is still unset. */
	rp_buf_printf(pre,
	    "SecAction \"id:1900001,phase:1,pass,nolog,t:none,"
	    "setvar:tx.paranoia_level=%" PRIu32 "\"\n"
	    "SecAction \"id:1900002,phase:1,pass,nolog,t:none,"
	    "setvar:tx.inbound_anomaly_score_threshold=%" PRIu32 ","
	    "setvar:tx.outbound_anomaly_score_threshold=%" PRIu32 "\"\n",
	    c->waf_paranoia, c->waf_inbound_threshold,
	    c->waf_outbound_threshold);
	/*
	 * After the rules file, so that the configuration wins over it.  The
	 * body limit is the largest body any route accepts: intake answers
	 * 413 for anything larger, so the WAF sees every body whole and its
	 * own limit (Reject) never cuts one that a handler would see.
	 */
	rp_buf_printf(post,
	    "SecRuleEngine %s\n"
	    "SecRequestBodyLimit %" PRIu64 "\n"
	    "SecRequestBodyNoFilesLimit %" PRIu64 "\n"
	    "SecResponseBodyAccess %s\n",
	    c->waf_mode == RP_CONF_WAF_BLOCK ? "On" :
	    c->waf_mode == RP_CONF_WAF_DETECT ? "DetectionOnly" : "Off",
	    body, body, c->waf_response ? "On" : "Off");
	return pre->err != 0 ? pre->err : post->err;
}

static int
write_file(const char *dir, const char *name, const char *data, size_t len,
    struct rp_buf *err)
{
	char path[RP_CONF_PATH_MAX + 64], tmp[RP_CONF_PATH_MAX + 96];
	ssize_t w;
	size_t off = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	/* Per process: workers start together and write the same bytes. */
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0640)) < 0)
		goto fail;
	while (off < len) {
		if ((w = write(fd, data + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			unlink(tmp);
			goto fail;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		goto fail;
	}
	return 0;
 fail:
	rp_buf_printf(err, "cannot write %s: %s", path, strerror(errno));
	return RP_E_IO;
}

int
rp_waf_write_rules(const char *dir, struct rp_buf *err)
{
	const struct rp_embed *e;
	char name[64];
	size_t i;
	int r;

	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		rp_buf_printf(err, "cannot create %s: %s", dir, strerror(errno));
		return RP_E_IO;
	}
	for (i = 0; i < RP_ARRAY_LEN(rule_files); i++) {
		snprintf(name, sizeof(name), RULES_SRC "%s", rule_files[i]);
		if ((e = rp_embed_find(name)) == NULL) {
			rp_buf_printf(err, "embedded %s missing", name);
			return RP_E_NOTFOUND;
		}
		if ((r = write_file(dir, rule_files[i], e->data, e->len,
		    err)) != 0)
			return r;
	}
	g.rules_written = true;
	return 0;
}

/* ---- the engine's log lines ---------------------------------------------- */

static void
add_id(struct rp_waf_tx *tx, uint32_t id)
{
	size_t i;

	for (i = 0; i < tx->nids && tx->ids[i] != id; i++)
		;
	if (i == tx->nids && tx->nids < RP_WAF_MAX_RULES)
		tx->ids[tx->nids++] = id;
}

/* The number right after prefix in s (within n bytes), or -1. */
static long
num_after(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	long v = -1;

	if (n < k || memcmp(s, prefix, k) != 0)
		return -1;
	for (s += k, n -= k; n > 0 && *s >= '0' && *s <= '9'; s++, n--) {
		v = (v < 0 ? 0 : v) * 10 + (*s - '0');
		if (v > 100000000)
			return -1;
	}
	return v;
}

/* Finds needle in [p, p+n). */
static const char *
find(const char *p, size_t n, const char *needle)
{
	return memmem(p, n, needle, strlen(needle));
}

/*
 * One matched rule: " [file \"F\"] [line \"L\"] [id \"N\"] [rev ..."
 * where F is a rules file path.  The value the engine quotes BEFORE these
 * fields ("(Value: `...' )") is attacker text, unescaped, and may imitate
 * them; so may a msg expanded from request data (920450, 921170) and the
 * uri field after them.  There is no way to tell the genuine block from a
 * copy in the text, so every well-formed one counts: a request can add
 * rule ids to its own event, never hide the rule that matched.
 */
static void
parse_line(struct rp_waf_tx *tx, const char *s)
{
	const char *p, *end, *q, *last = NULL;
	long id = -1, sev = -1, v;
	size_t n, found = 0;

	n = strlen(s);
	end = s + n;
	for (p = s; (q = find(p, (size_t)(end - p), " [file \"")) != NULL;
	    p = q + 1) {
		const char *f = q + 8, *t;
		long line, cand;

		if (strncmp(f, "/usr/share/modsecurity-crs/", 27) != 0 &&
		    strncmp(f, "/etc/modsecurity/", 17) != 0 &&
		    strstr(f, "/waf/") == NULL)
			continue;
		if ((t = find(f, (size_t)(end - f), "\"] [line \"")) == NULL)
			continue;
		line = num_after(t, (size_t)(end - t), "\"] [line \"");
		if (line < 0)
			continue;
		t += 10;
		while (t < end && *t >= '0' && *t <= '9')
			t++;
		cand = num_after(t, (size_t)(end - t), "\"] [id \"");
		if (cand <= 0 || cand > 99999999)
			continue;
		id = cand;
		last = t;
		found++;
		if (id == CRS_INBOUND_BLOCK || id == CRS_OUTBOUND_BLOCK) {
			/* "Total Score: N" in the rule's own msg. */
			if ((q = find(t, (size_t)(end - t), "(Total Score: ")) !=
			    NULL && (v = num_after(q, (size_t)(end - q),
			    "(Total Score: ")) >= 0)
				tx->total = (int)v;
		}
		add_id(tx, (uint32_t)id);
	}
	if (found == 0)
		return;
	tx->matches++;
	if (id == CRS_INBOUND_BLOCK || id == CRS_OUTBOUND_BLOCK ||
	    (id >= 980000 && id < 990000))
		return;		/* evaluations and correlation: no score */
	/* Severity: the first " [severity \"D\"]" after the last id (the
	 * data field between them escapes quotes as \x22); weights as CRS
	 * scores them.  Only the fallback score of an event depends on it. */
	if ((q = find(last, (size_t)(end - last), " [severity \"")) != NULL &&
	    (v = num_after(q, (size_t)(end - q), " [severity \"")) >= 0 &&
	    v <= 7)
		sev = v;
	switch (sev) {
	case 2: tx->sev_score += 5; break;	/* critical */
	case 3: tx->sev_score += 4; break;	/* error */
	case 4: tx->sev_score += 3; break;	/* warning */
	case 5: tx->sev_score += 2; break;	/* notice */
	default: break;
	}
}

static void
log_cb(void *data, const void *msg)
{
	if (data != NULL && msg != NULL)
		parse_line(data, msg);
}

/* ---- init ------------------------------------------------------------------ */

static int
add_text(const char *what, const char *text, struct rp_buf *err)
{
	const char *e = NULL;

	if (msc_rules_add(g.rs, text, &e) < 0) {
		rp_buf_printf(err, "WAF %s: %s", what, e ? e : "parse error");
		free((void *)e);
		return RP_E_INVAL;
	}
	return 0;
}

int
rp_waf_security_log_open(const char *data_dir)
{
	char path[RP_CONF_PATH_MAX + 32];

	if (g.sec_fd >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/log", data_dir);
	(void)mkdir(path, 0750);
	snprintf(path, sizeof(path), "%s/log/security.log", data_dir);
	if ((g.sec_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0640)) < 0)
		return RP_E_IO;
	return 0;
}

void
rp_waf_security_log_close(void)
{
	if (g.sec_fd >= 0)
		close(g.sec_fd);
	g.sec_fd = -1;
}

int
rp_waf_init(const struct rp_conf *c, struct rp_buf *err)
{
	char dir[RP_CONF_PATH_MAX + 16], main_conf[RP_CONF_PATH_MAX + 32];
	char path[RP_CONF_PATH_MAX + 32];
	struct rp_buf pre, post;
	const char *e = NULL;
	int r;

	if (c->waf_mode == RP_CONF_WAF_OFF)
		return 0;
	if (g.rs != NULL)
		return 0;	/* loaded already (serve: before the sandbox) */
	if (c->waf_rules[0] != '\0')
		snprintf(main_conf, sizeof(main_conf), "%s", c->waf_rules);
	else {
		snprintf(dir, sizeof(dir), "%s/waf", c->data_dir);
		/* Under serve the parent wrote them (workers may not). */
		if (!g.rules_written && (r = rp_waf_write_rules(dir, err)) != 0)
			return r;
		snprintf(main_conf, sizeof(main_conf), "%s/main.conf", dir);
	}
	if (g.sec_fd < 0 && (r = rp_waf_security_log_open(c->data_dir)) != 0) {
		snprintf(path, sizeof(path), "%s/log/security.log", c->data_dir);
		rp_buf_printf(err, "cannot open %s: %s", path, strerror(errno));
		return RP_E_IO;
	}
	if ((g.ms = msc_init()) == NULL || (g.rs = msc_create_rules_set()) ==
	    NULL) {
		rp_buf_add_c(err, "cannot initialise libmodsecurity");
		rp_waf_fini();
		return RP_E_NOMEM;
	}
	msc_set_connector_info(g.ms, "rentport");
	msc_set_log_cb(g.ms, log_cb);
	rp_buf_init(&pre, 4096);
	rp_buf_init(&post, 4096);
	if ((r = rp_waf_rules_text(c, &pre, &post)) == 0 &&
	    (r = add_text("settings", pre.d, err)) == 0) {
		if (msc_rules_add_file(g.rs, main_conf, &e) < 0) {
			rp_buf_printf(err, "WAF rules %s: %s", main_conf,
			    e ? e : "parse error");
			free((void *)e);
			r = RP_E_INVAL;
		} else
			r = add_text("settings", post.d, err);
	}
	rp_buf_release(&pre);
	rp_buf_release(&post);
	if (r != 0) {
		rp_waf_fini();
		return r;
	}
	g.detect = c->waf_mode == RP_CONF_WAF_DETECT;
	g.response = c->waf_response != 0;
	g.paranoia = c->waf_paranoia;
	g.threshold = c->waf_inbound_threshold;
	g.out_threshold = c->waf_outbound_threshold;
	g.on = true;
	return 0;
}

void
rp_waf_fini(void)
{
	g.on = false;
	if (g.rs != NULL)
		msc_rules_cleanup(g.rs);
	if (g.ms != NULL)
		msc_cleanup(g.ms);
	g.rs = NULL;
	g.ms = NULL;
	if (g.sec_fd >= 0)
		close(g.sec_fd);
	g.sec_fd = -1;
}

/* ---- transactions ------------------------------------------------------ */

struct rp_waf_tx *
rp_waf_tx_new(const char *request_id)
{
	struct rp_waf_tx *tx;

	if (!g.on || (tx = calloc(1, sizeof(*tx))) == NULL)
		return NULL;
	tx->total = -1;
	/* The request id is the engine's unique id too (its log lines). */
	tx->t = msc_new_transaction_with_id(g.ms, g.rs, (char *)request_id,
	    tx);
	if (tx->t == NULL) {
		free(tx);
		return NULL;
	}
	return tx;
}

/*
 * The intervention, if one is pending.  libmodsecurity 3.0.9 fills the
 * struct only when there is one and never initialises it (reference §2):
 * reset it before every call and free what it strdup'ed after.
 */
static int
check(struct rp_waf_tx *tx, int phase)
{
	ModSecurityIntervention it;

	if (tx->status != 0)
		return (int)tx->status;
	it.status = 200;
	it.pause = 0;
	it.url = NULL;
	it.log = NULL;
	it.disruptive = 0;
	if (msc_intervention(tx->t, &it) != 0 || it.disruptive) {
		/* A redirect (url) is not a thing rentport's rules do: fail
		 * closed with 403 rather than send the client elsewhere.  A
		 * bare "deny" leaves the status at 200 in 3.0.9: 403. */
		tx->status = it.url == NULL && it.status >= 400 &&
		    it.status <= 599 ? (unsigned)it.status : 403;
		tx->phase = phase;
		if (it.log != NULL)
			parse_line(tx, it.log);
		/*
		 * 3.0.9 reports the denying match of CRS's blocking rules
		 * neither to the log callback nor in it.log (only their
		 * DetectionOnly warnings).  A 403 in the body phase with the
		 * anomaly score at the threshold is 949110's (the response
		 * phases: 959100's), so the event names it.
		 */
		if (tx->status == 403 && tx->total < 0 && ((phase == 2 &&
		    tx->sev_score >= g.threshold) || (phase == 4 &&
		    tx->sev_score >= g.out_threshold)))
			add_id(tx, phase == 2 ? CRS_INBOUND_BLOCK :
			    CRS_OUTBOUND_BLOCK);
	}
	free(it.url);
	free(it.log);
	return (int)tx->status;
}

int
rp_waf_tx_connection(struct rp_waf_tx *tx, const char *client_ip,
    int client_port, const char *server_ip, int server_port)
{
	msc_process_connection(tx->t, client_ip, client_port, server_ip,
	    server_port);
	return check(tx, 0);
}

int
rp_waf_tx_uri(struct rp_waf_tx *tx, const char *uri, const char *method,
    const char *version)
{
	msc_process_uri(tx->t, uri, method, version);
	return check(tx, 0);
}

void
rp_waf_tx_header(struct rp_waf_tx *tx, struct rp_str name,
    struct rp_str value)
{
	msc_add_n_request_header(tx->t, (const unsigned char *)name.p, name.n,
	    (const unsigned char *)value.p, value.n);
}

int
rp_waf_tx_headers_done(struct rp_waf_tx *tx)
{
	if (tx->status == 0)
		msc_process_request_headers(tx->t);
	return check(tx, 1);
}

int
rp_waf_tx_body(struct rp_waf_tx *tx, struct rp_str body)
{
	if (tx->status != 0)
		return (int)tx->status;
	if (body.n > 0)
		msc_append_request_body(tx->t, (const unsigned char *)body.p,
		    body.n);
	/* Always, even without a body: phase 2 is where CRS checks ARGS. */
	msc_process_request_body(tx->t);
	return check(tx, 2);
}

int
rp_waf_tx_response(struct rp_waf_tx *tx, unsigned status,
    struct rp_str content_type, struct rp_str body)
{
	/* Already refused: the response is the refusal itself. */
	if (tx->status != 0 || !g.response)
		return 0;
	if (content_type.n > 0)
		msc_add_n_response_header(tx->t,
		    (const unsigned char *)"Content-Type", 12,
		    (const unsigned char *)content_type.p, content_type.n);
	msc_process_response_headers(tx->t, (int)status, "HTTP 1.1");
	if (check(tx, 3) != 0)
		return (int)tx->status;
	if (body.n > 0)
		msc_append_response_body(tx->t, (const unsigned char *)body.p,
		    body.n);
	msc_process_response_body(tx->t);
	return check(tx, 4);
}

size_t
rp_waf_tx_rules(const struct rp_waf_tx *tx, const uint32_t **ids)
{
	*ids = tx->ids;
	return tx->nids;
}

unsigned
rp_waf_tx_score(const struct rp_waf_tx *tx)
{
	return tx->total >= 0 ? (unsigned)tx->total : tx->sev_score;
}

/* JSON string of trusted-shape text (route patterns, addresses, ids). */
static void
json_str(struct rp_buf *out, const char *s)
{
	rp_buf_add_ch(out, '"');
	for (; s != NULL && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			rp_buf_printf(out, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			rp_buf_printf(out, "\\u%04x", ch);
		else
			rp_buf_add_ch(out, (char)ch);
	}
	rp_buf_add_ch(out, '"');
}

int
rp_waf_event_line(const struct rp_waf_tx *tx, const struct rp_waf_ev *ev,
    const char *action, struct rp_buf *out)
{
	struct timespec ts;
	struct tm tm;
	bool over = false;
	size_t i;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	rp_buf_printf(out, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\","
	    "\"event\":\"waf\",\"action\":", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    ts.tv_nsec / 1000000);
	json_str(out, action);
	rp_buf_add_c(out, ",\"request_id\":");
	json_str(out, ev->request_id);
	rp_buf_add_c(out, ",\"method\":");
	json_str(out, ev->method);
	rp_buf_add_c(out, ",\"route\":");
	json_str(out, ev->route);
	rp_buf_add_c(out, ",\"client\":");
	json_str(out, ev->client);
	for (i = 0; i < tx->nids; i++)
		if (tx->ids[i] == CRS_INBOUND_BLOCK ||
		    tx->ids[i] == CRS_OUTBOUND_BLOCK)
			over = true;
	rp_buf_printf(out, ",\"status\":%u,\"phase\":%d,\"score\":%u,"
	    "\"threshold\":%u,\"paranoia\":%u,\"over_threshold\":%s,"
	    "\"matches\":%zu,\"rules\":[", ev->status,
	    tx->status != 0 ? tx->phase : -1, rp_waf_tx_score(tx), g.threshold,
	    g.paranoia, over || tx->status != 0 ? "true" : "false",
	    tx->matches);
	for (i = 0; i < tx->nids; i++)
		rp_buf_printf(out, "%s%" PRIu32, i ? "," : "", tx->ids[i]);
	rp_buf_add_c(out, "]}\n");
	return out->err;
}

void
rp_waf_tx_end(struct rp_waf_tx *tx, const struct rp_waf_ev *ev)
{
	const char *action = NULL;
	struct rp_buf line;

	if (tx == NULL)
		return;
	if (ev->status != 0)
		msc_update_status_code(tx->t, (int)ev->status);
	msc_process_logging(tx->t);
	/*
	 * Block mode: one event per intervention.  Detect mode: one per
	 * request on which any rule matched (over_threshold says whether it
	 * would have been blocked) — what tuning needs.
	 */
	if (tx->status != 0)
		action = "block";
	else if (g.detect && tx->nids > 0)
		action = "detect";
	if (action != NULL && g.sec_fd >= 0) {
		rp_buf_init(&line, 4096);
		if (rp_waf_event_line(tx, ev, action, &line) == 0 &&
		    write(g.sec_fd, line.d, line.len) != (ssize_t)line.len)
			rp_log_warn("security event not written: %s",
			    strerror(errno));
		rp_buf_release(&line);
	}
	msc_transaction_cleanup(tx->t);
	free(tx);
}
