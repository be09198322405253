/* SPDX-License-Identifier: ISC */
/*
 * waf.h — the web application firewall of the web workers: OWASP CRS 3.3
 * (Debian's modsecurity-crs) run by libmodsecurity 3 on every request
 * before any route handler answers.  Why in-process: a WAF in front (nginx
 * + ModSecurity) lets a location that answers early skip the body phase
 * (reference waf-ips.md §2); here every request goes through all request
 * phases first.
 *
 * Lifetime (libmodsecurity 3.0.9 constraints, reference §3):
 *   rp_waf_init()  once per web worker process, before any HTTP thread
 *                  starts (rule parsing is not thread-safe); the rules are
 *                  then shared read-only by all threads;
 *   rp_waf_tx_*()  one transaction per request, never reused;
 *   rp_waf_fini()  after the threads have stopped.
 *
 * Every rp_waf_tx_ check returns 0 (go on) or the HTTP status of an
 * intervention (403 from CRS's anomaly scoring, 400 from an unreadable
 * body); in detect mode it never intervenes.  Security events (one JSON
 * line per intervention, or per request with rule matches in detect mode)
 * go to DATA/log/security.log: rule ids, anomaly score, route pattern,
 * client address, request id — never a body, an argument or a header's
 * value.  The web glue for struct rp_req is in waf_web.h.
 */
#ifndef RP_WAF_H
#define RP_WAF_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "util/buf.h"
#include "util/str.h"

/* Distinct rule ids remembered per transaction (more are counted only). */
#define RP_WAF_MAX_RULES	32

struct rp_waf_tx;

/*
 * Opens DATA/log/security.log for the WAF's event lines (once; serve's
 * parent does it before fork, so workers need not open files in log/).
 * 0 or RP_E_IO (errno set).  _close: in children that write no events.
 */
int rp_waf_security_log_open(const char *data_dir) RP_WARN_UNUSED;
void rp_waf_security_log_close(void);

/*
 * Loads the rules (no-op when waf_mode is off): writes the embedded rules
 * to DATA/waf/ (unless waf_rules names a file), parses them, opens
 * DATA/log/security.log.  0, or an error with a message in err.
 */
int rp_waf_init(const struct rp_conf *c, struct rp_buf *err) RP_WARN_UNUSED;
void rp_waf_fini(void);
/* True between a successful rp_waf_init in mode detect or block and fini. */
bool rp_waf_on(void);

/*
 * The rules rentport adds around the main rules file for configuration c:
 * prelude (before it: paranoia level, thresholds as SecActions) and
 * postlude (after it: engine mode, body limits, response inspection).
 * Shared with tests/waf/crs_inproc.c so both load the very same rules.
 */
int rp_waf_rules_text(const struct rp_conf *c, struct rp_buf *prelude,
    struct rp_buf *postlude) RP_WARN_UNUSED;
/* Writes the embedded rules into dir (tmp file + rename per file). */
int rp_waf_write_rules(const char *dir, struct rp_buf *err) RP_WARN_UNUSED;

/* A new transaction (request_id: the X-Request-Id), or NULL (off, OOM). */
struct rp_waf_tx *rp_waf_tx_new(const char *request_id);
int rp_waf_tx_connection(struct rp_waf_tx *tx, const char *client_ip,
    int client_port, const char *server_ip, int server_port);
/* uri: the raw request target; version: "1.1". */
int rp_waf_tx_uri(struct rp_waf_tx *tx, const char *uri, const char *method,
    const char *version);
void rp_waf_tx_header(struct rp_waf_tx *tx, struct rp_str name,
    struct rp_str value);
int rp_waf_tx_headers_done(struct rp_waf_tx *tx);
/* Appends the whole body (may be empty) and runs the body phase. */
int rp_waf_tx_body(struct rp_waf_tx *tx, struct rp_str body);
/* Response phases (waf_response = 1): status, Content-Type, body. */
int rp_waf_tx_response(struct rp_waf_tx *tx, unsigned status,
    struct rp_str content_type, struct rp_str body);
bool rp_waf_tx_response_on(void);

/* What a security event says about the request besides the WAF's part. */
struct rp_waf_ev {
	const char *request_id;
	const char *method;	/* a known method name or "OTHER" */
	const char *route;	/* route pattern, never the path itself */
	const char *client;	/* client address */
	unsigned status;	/* status sent (0: none) */
};

/* Reports the sent status, runs the logging phase, writes the security
 * event if any, and frees tx.  NULL is a no-op. */
void rp_waf_tx_end(struct rp_waf_tx *tx, const struct rp_waf_ev *ev);

/* What tx saw so far (for tests and the event): rule ids and count. */
size_t rp_waf_tx_rules(const struct rp_waf_tx *tx, const uint32_t **ids);
unsigned rp_waf_tx_score(const struct rp_waf_tx *tx);

/*
 * Writes one security event line for ev and tx to fd (exposed for tests).
 * action: "block" or "detect".
 */
int rp_waf_event_line(const struct rp_waf_tx *tx, const struct rp_waf_ev *ev,
    const char *action, struct rp_buf *out) RP_WARN_UNUSED;

#endif
