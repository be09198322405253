/* SPDX-License-Identifier: ISC */
/*
 * conf.c — configuration keys, the rentport.conf parser, environment and
 * flag overrides.  Runs in the parent (and in each command) at start-up.
 * The file is operator input: trusted in intent, but parsed with bounds
 * checks and a fuzz target like everything else.
 */
#include "util/common.h"
#include "conf/conf.h"
#include "mail/mail.h"
#include "util/log.h"

#include <sys/stat.h>

/* K_ENUM: one of names[] (NULL-terminated), stored as its index (u32). */
enum ktype { K_STR, K_U32, K_U64, K_ENUM };

struct key {
	const char *name;
	enum ktype type;
	size_t off;		/* offset in struct rp_conf */
	size_t size;		/* K_STR: buffer size */
	uint64_t min, max;	/* K_U32/K_U64 */
	const char *def;	/* default, as text */
	const char *help;
};

/*
 * What a few keys need beyond the table above, by key name: K_ENUM's
 * names (NULL-terminated), or a K_STR's further check and the accepted
 * range as its error message states it.
 */
struct extra {
	const char *name;
	const char *const *names;
	bool (*valid)(struct rp_str v);
	const char *range;
};

static const char *const levels[] = { "debug", "info", "warn", "error", NULL };
static const char *const transports[] = { "eml", "smtp", NULL };
/* Indexes are RP_CONF_WAF_OFF / _DETECT / _BLOCK. */
static const char *const waf_modes[] = { "off", "detect", "block", NULL };
/* Indexes are RP_CONF_ROLE_ALL / _WEB / _CORE. */
static const char *const roles[] = { "all", "web", "core", NULL };

/* Empty (EML transport), or an SMTP URL libcurl will take as one: the
 * scheme decides plain or TLS, and nothing that could smuggle a second
 * argument or header (spaces, controls) is accepted. */
static bool
smtp_url_valid(struct rp_str v)
{
	size_t skip;

	if (v.n == 0)
		return true;
	if (rp_str_has_prefix(v, "smtp://"))
		skip = 7;
	else if (rp_str_has_prefix(v, "smtps://"))
		skip = 8;
	else
		return false;
	if (v.n == skip)
		return false;		/* no host */
	for (size_t i = skip; i < v.n; i++)
		if ((unsigned char)v.p[i] < 0x21 || (unsigned char)v.p[i] > 0x7e)
			return false;
	return true;
}

/* The sender refuses anything else, so refuse it at start-up instead of
 * failing every message later. */
static bool
mail_from_valid(struct rp_str v)
{
	return rp_mail_addr_valid(v);
}

/* Goes into a From header: no control character may start a new line. */
static bool
no_controls(struct rp_str v)
{
	for (size_t i = 0; i < v.n; i++)
		if ((unsigned char)v.p[i] < 0x20 || (unsigned char)v.p[i] == 0x7f)
			return false;
	return true;
}

#define S(f) offsetof(struct rp_conf, f), sizeof(((struct rp_conf *)0)->f)
#define N(f) offsetof(struct rp_conf, f), 0

static const struct key keys[] = {
	{ "data_dir", K_STR, S(data_dir), 0, 0, "./var",
	  "directory for databases, keys and logs" },
	{ "listen_addr", K_STR, S(listen_addr), 0, 0, "127.0.0.1",
	  "address the web workers listen on (IPv4 or IPv6 literal)" },
	{ "port", K_U32, N(port), 1, 65535, "8080",
	  "TCP port of the sites" },
	{ "metrics_addr", K_STR, S(metrics_addr), 0, 0, "127.0.0.1",
	  "address of the internal /metrics listener (keep it off the public "
	  "network)" },
	{ "metrics_port", K_U32, N(metrics_port), 1, 65535, "8095",
	  "port of the internal /metrics listener (the sites' port has none)" },
	{ "console_addr", K_STR, S(console_addr), 0, 0, "127.0.0.1",
	  "address of the staff console (counters reach it over the company "
	  "network, never the public site's port)" },
	{ "console_port", K_U32, N(console_port), 1, 65535, "8081",
	  "port of the staff console and its JSON API" },
	{ "console_workers", K_U32, N(console_workers), 1, 16, "1",
	  "staff console worker processes" },
	{ "staff_idle_s", K_U32, N(staff_idle_s), 1, 86400, "900",
	  "a staff session ends after this many seconds without a request" },
	{ "staff_session_s", K_U32, N(staff_session_s), 60, 604800, "43200",
	  "a staff session ends this many seconds after sign-in, however busy" },
	{ "store", K_STR, S(store), 0, 0, "",
	  "the core store: a PostgreSQL URL (postgresql://user@host:port/db), "
	  "or empty for SQLite in DATA/core.db" },
	{ "node_role", K_ENUM, N(role), 0, 2, "all",
	  "what this node runs: all (one host), web (sites, console, mailer, "
	  "IPS; the vault and identity holder at core_addr over mutual TLS) "
	  "or core (vault, log writer, witness, identity holder, payments; "
	  "mutual TLS on gate_addr:gate_port); serve --role=... too" },
	{ "core_addr", K_STR, S(core_addr), 0, 0, "",
	  "role web: host:port of the core node's gate" },
	{ "gate_addr", K_STR, S(gate_addr), 0, 0, "127.0.0.1",
	  "role core: address the gate (mutual TLS) listens on" },
	{ "gate_port", K_U32, N(gate_port), 1, 65535, "8096",
	  "role core: port of the gate" },
	{ "order_idem_stale_s", K_U32, N(order_idem_stale_s), 15, 86400, "120",
	  "seconds (above the vault client's 10 s timeout) after which an "
	  "order placement that never finished (its "
	  "node died) frees its Idempotency-Key for a retry; until then a "
	  "retry answers 503" },
	{ "stock_reserve", K_U32, N(stock_reserve), 0, 1, "1",
	  "1: placing or changing an order holds its units (sold out when "
	  "none are free); 0 holds nothing — only before a company has "
	  "registered its units, and as the benchmark's baseline" },
	{ "public_url", K_STR, S(public_url), 0, 0, "",
	  "base URL printed and used in links (default http://localhost:PORT)" },
	{ "workers", K_U32, N(workers), 1, 64, "2",
	  "web worker processes" },
	{ "http_threads", K_U32, N(http_threads), 1, 256, "4",
	  "HTTP threads in each web worker" },
	{ "max_connections", K_U32, N(max_connections), 1, 100000, "1024",
	  "open connections per web worker" },
	{ "connection_timeout", K_U32, N(connection_timeout), 1, 3600, "30",
	  "seconds an idle connection is kept" },
	{ "max_header_bytes", K_U32, N(max_header_bytes), 1024, 65536, "8192",
	  "total size of request headers (answer 431 above)" },
	{ "max_url_bytes", K_U32, N(max_url_bytes), 256, 16384, "2048",
	  "length of the request target (answer 414 above)" },
	{ "max_body_bytes", K_U64, N(max_body_bytes), 1024, 64u << 20, "1048576",
	  "request body of an authenticated request (answer 413 above)" },
	{ "max_body_preauth_bytes", K_U64, N(max_body_preauth_bytes), 1024,
	  64u << 20, "65536",
	  "request body before authentication (answer 413 above)" },
	{ "log_level", K_ENUM, N(log_level), 0, 3, "info",
	  "operational log level: debug, info, warn or error" },
	{ "restart_backoff_ms", K_U32, N(restart_backoff_ms), 0, 60000, "200",
	  "pause before the parent restarts a crashed child" },
	{ "alog_http_addr", K_STR, S(alog_http_addr), 0, 0, "127.0.0.1",
	  "address of the access log's read-only HTTP (tiles, checkpoint)" },
	{ "alog_http_port", K_U32, N(alog_http_port), 1, 65535, "8091",
	  "port of the access log's read-only HTTP" },
	{ "alog_origin", K_STR, S(alog_origin), 0, 0, "",
	  "checkpoint origin and key name (default: made at first start)" },
	{ "checkpoint_interval_ms", K_U32, N(checkpoint_interval_ms), 50, 60000,
	  "1000", "sign a new checkpoint this often while the log grows" },
	{ "alog_batch_max", K_U32, N(alog_batch_max), 1, 65536, "4096",
	  "access log entries per group commit (one fdatasync)" },
	{ "witness_addr", K_STR, S(witness_addr), 0, 0, "127.0.0.1",
	  "address the witness listens on" },
	{ "witness_port", K_U32, N(witness_port), 1, 65535, "8092",
	  "port the witness listens on" },
	{ "witness_url", K_STR, S(witness_url), 0, 0, "",
	  "witness the log writer sends checkpoints to (default: the local one)" },
	{ "witness_name", K_STR, S(witness_name), 0, 0, "",
	  "the witness's key name (default: made at first start)" },
	{ "witness_vkey", K_STR, S(witness_vkey), 0, 0, "",
	  "witness verifier key checked by log verify (default DATA/witness/vkey)" },
	{ "witness_log_vkey", K_STR, S(witness_log_vkey), 0, 0, "",
	  "log verifier key the witness trusts (default DATA/alog/vkey)" },
	{ "privsep", K_U32, N(privsep), 0, 1, "1",
	  "1: each process kind runs as its own user under seccomp and "
	  "landlock; 0 (benchmark baseline only) runs every child unconfined "
	  "and says so loudly" },
	{ "witness_local", K_U32, N(witness_local), 0, 1, "1",
	  "1: rentport serve also runs a local witness (development)" },
	{ "witness_client_key", K_STR, S(witness_client_key), 0, 0, "",
	  "file with the secret the log writer proves itself to the witness "
	  "with (default DATA/witness/client.key, made by the witness)" },
	{ "witness_writer_addrs", K_STR, S(witness_writer_addrs), 0, 0,
	  "127.0.0.1,::1",
	  "addresses of the log writer, comma-separated: only they may use "
	  "the witness's reserved connections" },
	{ "paysim_local", K_U32, N(paysim_local), 0, 1, "1",
	  "1: rentport serve also runs paysim (development, offline)" },
	{ "pay_agent_url", K_STR, S(pay_agent_url), 0, 0, "",
	  "the payment agent's API and hosted pages (default: the local paysim)" },
	{ "paylink_addr", K_STR, S(paylink_addr), 0, 0, "127.0.0.1",
	  "address of paylink's webhook receiver" },
	{ "paylink_port", K_U32, N(paylink_port), 1, 65535, "8094",
	  "port of paylink's webhook receiver (POST /webhooks/paysim)" },
	{ "mail_transport", K_ENUM, N(mail_transport), 0, 1, "eml",
	  "where the mailer delivers: eml (files in DATA/mail/out) or smtp" },
	{ "smtp_url", K_STR, S(smtp_url), 0, 0, "",
	  "relay for mail_transport = smtp (smtp://host:port, smtps://...)" },
	{ "mail_from", K_STR, S(mail_from), 0, 0, "no-reply@rentport.localhost",
	  "sender address of customer mail (envelope and From header)" },
	{ "mail_from_name", K_STR, S(mail_from_name), 0, 0, "rentport",
	  "display name in the From header of customer mail (may be empty)" },
	{ "mail_max_attempts", K_U32, N(mail_max_attempts), 1, 100, "8",
	  "failed deliveries after which a message is given up (dead)" },
	{ "mail_backoff_base_s", K_U32, N(mail_backoff_base_s), 1, 3600, "60",
	  "seconds before retrying a failed message, doubling each time "
	  "(capped at an hour); lower only for tests" },
	{ "paysim_addr", K_STR, S(paysim_addr), 0, 0, "127.0.0.1",
	  "address `rentport paysim` (payment-agent sandbox) listens on" },
	{ "paysim_port", K_U32, N(paysim_port), 0, 65535, "8093",
	  "port of `rentport paysim` (0: any free port)" },
	{ "paysim_webhook_url", K_STR, S(paysim_webhook_url), 0, 0, "",
	  "where paysim POSTs its signed webhooks (POST /sandbox/webhook "
	  "overrides)" },
	{ "paysim_token_ttl_s", K_U32, N(paysim_token_ttl_s), 60, 86400, "1800",
	  "lifetime of a paysim card token (sandbox clock)" },
	/* IPS (src/ips).  Generous per-address defaults: a corporate client's
	 * whole office may share one address, and the test suites send bursts
	 * from 127.0.0.1 (measured peaks: 393 requests in 1 s, 156 403/404
	 * in 60 s, 27 POSTs on one sensitive route in 60 s; the defaults
	 * leave about 4x).  The strict buckets and the detectors are the
	 * precise tools; tighten per site in rentport.conf. */
	{ "ips_rate_per_s", K_U32, N(ips_rate_per_s), 0, 100000, "200",
	  "requests per second one address may sustain (0: no limit; 429 above)" },
	{ "ips_burst", K_U32, N(ips_burst), 0, 1000000, "4000",
	  "requests one address may send at once before ips_rate_per_s applies" },
	{ "ips_strict_per_min", K_U32, N(ips_strict_per_min), 0, 100000, "60",
	  "per minute, per address, on each sensitive POST route (order "
	  "confirm, my-order link/pay, access, API orders; 0: no limit)" },
	{ "ips_strict_burst", K_U32, N(ips_strict_burst), 0, 100000, "120",
	  "burst on each sensitive POST route, per address" },
	{ "ips_ban_s", K_U32, N(ips_ban_s), 1, 2592000, "600",
	  "seconds an automatic ban lasts" },
	{ "ips_scan_max", K_U32, N(ips_scan_max), 0, 1000000, "600",
	  "404/403 answers to one address within ips_scan_window_s that ban "
	  "it as a scanner (0: off)" },
	{ "ips_scan_window_s", K_U32, N(ips_scan_window_s), 1, 86400, "60",
	  "window of the scanner, WAF and rate-limit detectors" },
	{ "ips_waf_max", K_U32, N(ips_waf_max), 0, 1000000, "100",
	  "WAF interventions within ips_scan_window_s that ban an address as a "
	  "scanner (0: off)" },
	{ "ips_login_max", K_U32, N(ips_login_max), 0, 1000000, "10",
	  "wrong corporate access codes (failed logins) within "
	  "ips_login_window_s that ban an address (brute_force; 0: off)" },
	{ "ips_login_window_s", K_U32, N(ips_login_window_s), 1, 86400, "600",
	  "window of the brute-force detector" },
	{ "ips_card_attempts_max", K_U32, N(ips_card_attempts_max), 0, 1000000,
	  "60", "card payment attempts within ips_card_window_s that ban an "
	  "address (card_testing; 0: off)" },
	{ "ips_card_declines_max", K_U32, N(ips_card_declines_max), 0, 1000000,
	  "20", "declined cards within ips_card_window_s that ban an address "
	  "(card_testing; 0: off)" },
	{ "ips_card_window_s", K_U32, N(ips_card_window_s), 1, 86400, "3600",
	  "window of the card-testing detector" },
	{ "ips_rate_ban_after", K_U32, N(ips_rate_ban_after), 0, 1000000, "1000",
	  "429 answers within ips_scan_window_s that ban an address "
	  "(rate_limit; 0: off)" },
	{ "ips_access_tenant_max", K_U32, N(ips_access_tenant_max), 0, 1000000,
	  "100", "failed access codes on one corporate site, from all "
	  "addresses together, within ips_access_tenant_window_s that close its "
	  "access-code form (429) for that long (0: off)" },
	{ "ips_access_tenant_window_s", K_U32, N(ips_access_tenant_window_s), 1,
	  86400, "600", "window of a corporate site's access-code failure "
	  "budget, and how long the form stays closed once it is spent" },
	{ "ips_sync_ms", K_U32, N(ips_sync_ms), 100, 60000, "2000",
	  "how often bans are synchronised with the core store (other nodes, "
	  "rentport ban)" },
	{ "ips_nft", K_U32, N(ips_nft), 0, 1, "0",
	  "1: also ban in the kernel through the nftables helper (needs "
	  "CAP_NET_ADMIN; see docs/ips.md)" },
	{ "waf_mode", K_ENUM, N(waf_mode), 0, 2, "block",
	  "WAF (OWASP CRS via libmodsecurity) in the web workers: off, detect "
	  "(log only) or block (answer 403)" },
	{ "waf_paranoia", K_U32, N(waf_paranoia), 1, 4, "1",
	  "CRS paranoia level (higher: more rules, more false positives)" },
	{ "waf_inbound_threshold", K_U32, N(waf_inbound_threshold), 1, 10000,
	  "5", "CRS anomaly score at which a request is blocked" },
	{ "waf_outbound_threshold", K_U32, N(waf_outbound_threshold), 1, 10000,
	  "4", "CRS anomaly score at which a response is blocked" },
	{ "waf_response", K_U32, N(waf_response), 0, 1, "0",
	  "1: the WAF also inspects responses (CRS outbound rules)" },
	{ "waf_rules", K_STR, S(waf_rules), 0, 0, "",
	  "WAF rules file (default: the embedded rules, written to "
	  "DATA/waf/main.conf at start)" },
};

static const struct extra extras[] = {
	{ "log_level", levels, NULL, NULL },
	{ "mail_transport", transports, NULL, NULL },
	{ "waf_mode", waf_modes, NULL, NULL },
	{ "node_role", roles, NULL, NULL },
	{ "smtp_url", NULL, smtp_url_valid,
	  "empty, or a URL starting with smtp:// or smtps:// without spaces" },
	{ "mail_from", NULL, mail_from_valid, "a plain address local@domain" },
	{ "mail_from_name", NULL, no_controls,
	  "text of at most 127 bytes without control characters" },
};

static const struct extra *
extra_of(const struct key *k)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(extras); i++)
		if (strcmp(extras[i].name, k->name) == 0)
			return &extras[i];
	return NULL;
}

/* Key names compare with '-' and '_' as the same byte, ASCII case-blind. */
static const struct key *
find_key(struct rp_str name)
{
	size_t i, j;

	for (i = 0; i < RP_ARRAY_LEN(keys); i++) {
		const char *k = keys[i].name;

		if (strlen(k) != name.n)
			continue;
		for (j = 0; j < name.n; j++) {
			char a = name.p[j], b = k[j];

			if (a == '-')
				a = '_';
			if (a >= 'A' && a <= 'Z')
				a = (char)(a + 32);
			if (a != b)
				break;
		}
		if (j == name.n)
			return &keys[i];
	}
	return NULL;
}

static void
range_text(const struct key *k, char *out, size_t n)
{
	const struct extra *x = extra_of(k);
	size_t len, i;

	switch (k->type) {
	case K_STR:
		if (x != NULL && x->range != NULL)
			snprintf(out, n, "%s", x->range);
		else
			snprintf(out, n, "text of at most %zu bytes", k->size - 1);
		break;
	case K_U32:
	case K_U64:
		snprintf(out, n, "an integer from %" PRIu64 " to %" PRIu64,
		    k->min, k->max);
		break;
	case K_ENUM:
		/* "a, b or c" */
		out[0] = '\0';
		for (i = 0, len = 0; x->names[i] != NULL && len < n; i++)
			len += (size_t)snprintf(out + len, n - len, "%s%s",
			    i == 0 ? "" : x->names[i + 1] == NULL ? " or " : ", ",
			    x->names[i]);
		break;
	}
}

static int
set_key(struct rp_conf *c, const struct key *k, struct rp_str v,
    struct rp_buf *err)
{
	const struct extra *x = extra_of(k);
	char *base = (char *)c + k->off;
	char range[96];
	uint64_t u;
	size_t i;

	switch (k->type) {
	case K_STR:
		if (v.n >= k->size || memchr(v.p, '\0', v.n) != NULL ||
		    !rp_utf8_valid(v) ||
		    (x != NULL && x->valid != NULL && !x->valid(v)))
			goto bad;
		memcpy(base, v.p, v.n);
		base[v.n] = '\0';
		return 0;
	case K_U32:
	case K_U64:
		if (rp_str_to_u64(v, k->max, &u) != 0 || u < k->min)
			goto bad;
		if (k->type == K_U32)
			*(uint32_t *)(void *)base = (uint32_t)u;
		else
			*(uint64_t *)(void *)base = u;
		return 0;
	case K_ENUM:
		for (i = 0; x->names[i] != NULL; i++)
			if (rp_str_eq_c(v, x->names[i])) {
				*(uint32_t *)(void *)base = (uint32_t)i;
				return 0;
			}
		goto bad;
	}
 bad:
	range_text(k, range, sizeof(range));
	rp_buf_printf(err, "bad value for %s: expected %s", k->name, range);
	return RP_E_RANGE;
}

void
rp_conf_defaults(struct rp_conf *c)
{
	struct rp_buf err;
	size_t i;

	memset(c, 0, sizeof(*c));
	rp_buf_init(&err, 256);
	for (i = 0; i < RP_ARRAY_LEN(keys); i++)
		if (set_key(c, &keys[i], rp_str_c(keys[i].def), &err) != 0)
			rp_fatal("built-in default of %s is invalid", keys[i].name);
	rp_buf_release(&err);
}

int
rp_conf_set(struct rp_conf *c, struct rp_str key, struct rp_str value,
    struct rp_buf *err)
{
	const struct key *k;

	if ((k = find_key(key)) == NULL) {
		rp_buf_add_c(err, "unknown configuration key \"");
		/* Echo only a bounded, printable prefix of the unknown key. */
		for (size_t i = 0; i < key.n && i < 64; i++) {
			unsigned char ch = (unsigned char)key.p[i];
			rp_buf_add_ch(err, (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?');
		}
		rp_buf_add_c(err, "\" (see rentport --help for the list)");
		return RP_E_NOTFOUND;
	}
	return set_key(c, k, value, err);
}

int
rp_conf_parse(struct rp_conf *c, struct rp_str text, const char *origin,
    struct rp_buf *err)
{
	struct rp_str line, key;
	unsigned lineno = 0;
	int r;

	if (text.n > RP_CONF_MAX_FILE) {
		rp_buf_printf(err, "%s: larger than %d bytes", origin,
		    RP_CONF_MAX_FILE);
		return RP_E_TOOBIG;
	}
	while (text.n > 0) {
		lineno++;
		if (!rp_str_split(&text, '\n', &line)) {
			line = text;
			text.n = 0;
		}
		if (line.n > 0 && line.p[line.n - 1] == '\r')
			line.n--;
		line = rp_str_trim(line);
		if (line.n == 0 || line.p[0] == '#')
			continue;
		if (!rp_str_split(&line, '=', &key)) {
			rp_buf_printf(err, "%s:%u: expected \"key = value\"",
			    origin, lineno);
			return RP_E_INVAL;
		}
		key = rp_str_trim(key);
		line = rp_str_trim(line);
		/* Optional double quotes around a value. */
		if (line.n >= 2 && line.p[0] == '"' && line.p[line.n - 1] == '"') {
			line.p++;
			line.n -= 2;
		}
		rp_buf_printf(err, "%s:%u: ", origin, lineno);
		if ((r = rp_conf_set(c, key, line, err)) != 0)
			return r;
		rp_buf_reset(err);
	}
	return 0;
}

static int
load_file(struct rp_conf *c, const char *path, bool must_exist,
    struct rp_buf *err)
{
	struct rp_buf text;
	char chunk[4096];
	FILE *f;
	size_t n;
	int r;

	if ((f = fopen(path, "r")) == NULL) {
		if (!must_exist && errno == ENOENT)
			return 0;
		rp_buf_printf(err, "cannot open configuration file %s: %s",
		    path, strerror(errno));
		return RP_E_IO;
	}
	rp_buf_init(&text, RP_CONF_MAX_FILE);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (rp_buf_add(&text, chunk, n) != 0)
			break;
	fclose(f);
	if (text.err) {
		rp_buf_printf(err, "%s: larger than %d bytes", path,
		    RP_CONF_MAX_FILE);
		rp_buf_release(&text);
		return RP_E_TOOBIG;
	}
	r = rp_conf_parse(c, rp_buf_str(&text), path, err);
	rp_buf_release(&text);
	return r;
}

static int
load_env(struct rp_conf *c, struct rp_buf *err)
{
	char name[80];
	size_t i, j;
	const char *v;
	int r;

	for (i = 0; i < RP_ARRAY_LEN(keys); i++) {
		snprintf(name, sizeof(name), "RENTPORT_%s", keys[i].name);
		for (j = 9; name[j]; j++)
			if (name[j] >= 'a' && name[j] <= 'z')
				name[j] = (char)(name[j] - 32);
		if ((v = getenv(name)) == NULL)
			continue;
		rp_buf_printf(err, "environment %s: ", name);
		if ((r = set_key(c, &keys[i], rp_str_c(v), err)) != 0)
			return r;
		rp_buf_reset(err);
	}
	return 0;
}

/* Splits "--name=value" / "--name" into its parts; false if not a flag. */
static bool
flag_parts(const char *arg, struct rp_str *name, struct rp_str *value,
    bool *has_value)
{
	struct rp_str s;

	if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
		return false;
	s = rp_str_c(arg + 2);
	*has_value = rp_str_split(&s, '=', name);
	if (*has_value)
		*value = s;
	else {
		*name = s;
		*value = RP_STR_NULL;
	}
	return true;
}

int
rp_conf_load(struct rp_conf *c, int argc, char **argv, char **rest,
    int *nrest, struct rp_buf *err)
{
	const char *path = getenv("RENTPORT_CONFIG");
	bool explicit = path != NULL, hv;
	struct rp_str name, value;
	const struct key *k;
	int i, r;

	*nrest = 0;
	rp_conf_defaults(c);
	/* --config first: the file comes before the environment and flags. */
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			path = argv[i + 1];
			explicit = true;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			path = argv[i] + 9;
			explicit = true;
		}
	}
	if ((r = load_file(c, path ? path : "rentport.conf", explicit, err)) != 0)
		return r;
	if ((r = load_env(c, err)) != 0)
		return r;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--config=", 9) == 0)
			continue;
		if (!flag_parts(argv[i], &name, &value, &hv) ||
		    (k = find_key(name)) == NULL) {
			rest[(*nrest)++] = argv[i];
			continue;
		}
		if (!hv) {
			if (i + 1 >= argc) {
				rp_buf_printf(err, "flag --%.*s needs a value",
				    (int)name.n, name.p);
				return RP_E_INVAL;
			}
			value = rp_str_c(argv[++i]);
		}
		rp_buf_add_c(err, "flag: ");
		if ((r = set_key(c, k, value, err)) != 0)
			return r;
		rp_buf_reset(err);
	}
	return rp_conf_check(c, err);
}

int
rp_conf_check(const struct rp_conf *c, struct rp_buf *err)
{
	if (c->mail_transport == RP_CONF_MAIL_SMTP && c->smtp_url[0] == '\0') {
		rp_buf_printf(err, "bad value for smtp_url: required when "
		    "mail_transport is smtp (smtp://host:port or smtps://...)");
		return RP_E_INVAL;
	}
	return 0;
}

void
rp_conf_usage(FILE *f)
{
	char range[96], flag[64];
	size_t i, j;

	fprintf(f, "Configuration (rentport.conf \"key = value\", environment "
	    "RENTPORT_KEY, or flag --key=value):\n");
	for (i = 0; i < RP_ARRAY_LEN(keys); i++) {
		snprintf(flag, sizeof(flag), "--%s", keys[i].name);
		for (j = 2; flag[j]; j++)
			if (flag[j] == '_')
				flag[j] = '-';
		range_text(&keys[i], range, sizeof(range));
		fprintf(f, "  %-26s %s\n  %-26s default \"%s\"; %s\n", flag,
		    keys[i].help, "", keys[i].def, range);
	}
}

void
rp_conf_public_base(const struct rp_conf *c, char *out, size_t n)
{
	const char *u = c->public_url;
	size_t len;

	if (u[0] != '\0') {
		len = strlen(u);
		while (len > 0 && u[len - 1] == '/')
			len--;
		snprintf(out, n, "%.*s", (int)len, u);
	} else
		snprintf(out, n, "http://localhost:%u", (unsigned)c->port);
}
