/* SPDX-License-Identifier: ISC */
/*
 * conf.h — rentport configuration.
 *
 * Sources, later ones winning: built-in defaults; the file rentport.conf
 * (`key = value` lines, `#` comments; path from --config or
 * RENTPORT_CONFIG, else ./rentport.conf if present); environment variables
 * RENTPORT_<KEY> (key upper-cased); command-line flags --key=value or
 * --key value.  Every key is documented in rentport.conf.example and listed
 * by `rentport <command> --help`.
 *
 * A bad key or value is an error naming the key and the accepted range; the
 * caller prints it and exits non-zero.  The file and flags are read by the
 * parent at start-up (trusted operator input, but parsed with the same
 * bounds checks as anything else: it has a fuzz target).
 */
#ifndef RP_CONF_H
#define RP_CONF_H

#include <stdint.h>
#include <stdio.h>

#include "util/buf.h"
#include "util/str.h"

#define RP_CONF_PATH_MAX	1024
#define RP_CONF_MAX_FILE	(256 * 1024)

struct rp_conf {
	char data_dir[RP_CONF_PATH_MAX];	/* databases, keys, logs */
	char listen_addr[64];			/* IPv4/IPv6 literal */
	uint32_t port;
	uint32_t privsep;			/* 1: sandboxed children (default) */
	char metrics_addr[64];			/* internal /metrics listener */
	uint32_t metrics_port;
	char console_addr[64];			/* the staff console's listener */
	uint32_t console_port;
	uint32_t console_workers;
	uint32_t staff_idle_s;			/* staff session: idle timeout */
	uint32_t staff_session_s;		/* ... and absolute lifetime */
	char public_url[256];			/* printed and used in links */
	char store[512];			/* "" SQLite, or a libpq URL */
	uint32_t role;				/* RP_CONF_ROLE_* */
	char core_addr[256];			/* role web: host:port */
	char gate_addr[64];			/* role core */
	uint32_t gate_port;
	uint32_t order_idem_stale_s;		/* unfinished placement → retry */
	uint32_t stock_reserve;			/* 1: orders hold stock */
	uint32_t workers;			/* web worker processes */
	uint32_t http_threads;			/* threads per web worker */
	uint32_t max_connections;		/* per worker */
	uint32_t connection_timeout;		/* seconds */
	uint32_t max_header_bytes;		/* all request headers → 431 */
	uint32_t max_url_bytes;			/* request target → 414 */
	uint64_t max_body_bytes;		/* authenticated requests → 413 */
	uint64_t max_body_preauth_bytes;	/* before authentication → 413 */
	uint32_t log_level;			/* enum rp_log_level */
	uint32_t restart_backoff_ms;		/* pause before restarting a child */

	/* access log (src/alog) */
	char alog_http_addr[64];		/* read-only tiles over HTTP */
	uint32_t alog_http_port;
	char alog_origin[128];			/* "" → DATA/alog/origin */
	uint32_t checkpoint_interval_ms;
	uint32_t alog_batch_max;		/* entries per group commit */

	/* witness (src/witness) */
	char witness_addr[64];
	uint32_t witness_port;
	char witness_url[256];			/* where the log writer sends checkpoints; "" → local */
	char witness_name[128];			/* "" → DATA/witness/name */
	char witness_vkey[256];			/* witness verifier key; "" → DATA/witness/vkey */
	char witness_log_vkey[256];		/* log key the witness trusts; "" → DATA/alog/vkey */
	uint32_t witness_local;			/* 1: serve starts a local witness */
	char witness_client_key[RP_CONF_PATH_MAX];	/* "" → DATA/witness/client.key */
	char witness_writer_addrs[256];		/* may use the reserved connections */

	/* mail sender (src/mail) */
	uint32_t mail_transport;		/* RP_CONF_MAIL_EML / _SMTP */
	char smtp_url[256];			/* smtp:// or smtps://; required for smtp */
	char mail_from[255];			/* envelope and header From */
	char mail_from_name[128];		/* display name; may be "" */
	uint32_t mail_max_attempts;		/* failures before a message is dead */
	uint32_t mail_backoff_base_s;		/* first retry after a failure */

	/* payment-agent sandbox (src/paysim; development and tests only) */
	char paysim_addr[64];			/* loopback literal */
	uint32_t paysim_port;
	char paysim_webhook_url[256];		/* "" → none until POST /sandbox/webhook */
	uint32_t paysim_token_ttl_s;		/* card token lifetime */

	/* payments: the client of the agent (src/paylink) */
	uint32_t paysim_local;			/* 1: serve also runs paysim */
	char pay_agent_url[256];		/* "" → http://paysim_addr:paysim_port */
	char paylink_addr[64];			/* paylink's webhook receiver */
	uint32_t paylink_port;

	/* IPS (src/ips): rate limits, detectors, bans; 0 turns one off */
	uint32_t ips_rate_per_s, ips_burst;	/* every request, per address */
	uint32_t ips_strict_per_min, ips_strict_burst;	/* sensitive POSTs */
	uint32_t ips_ban_s;			/* automatic ban length */
	uint32_t ips_scan_max, ips_scan_window_s;	/* 404/403 → scanner */
	uint32_t ips_waf_max;			/* WAF hits → scanner */
	uint32_t ips_login_max, ips_login_window_s;	/* → brute_force */
	uint32_t ips_card_attempts_max, ips_card_declines_max;
	uint32_t ips_card_window_s;		/* → card_testing */
	uint32_t ips_rate_ban_after;		/* 429s → rate_limit */
	uint32_t ips_access_tenant_max;		/* failed access codes per tenant */
	uint32_t ips_access_tenant_window_s;	/* … in this window → gate closed */
	uint32_t ips_sync_ms;			/* store ↔ shared table */
	uint32_t ips_nft;			/* 1: kernel bans (nftables helper) */

	/* WAF in the web workers (src/waf) */
	uint32_t waf_mode;			/* RP_CONF_WAF_OFF / _DETECT / _BLOCK */
	uint32_t waf_paranoia;			/* CRS paranoia level 1..4 */
	uint32_t waf_inbound_threshold;		/* anomaly score that blocks a request */
	uint32_t waf_outbound_threshold;	/* ... and a response */
	uint32_t waf_response;			/* 1: run the response phases too */
	char waf_rules[RP_CONF_PATH_MAX];	/* "" → the embedded rules (DATA/waf/main.conf) */
};

/* Values of mail_transport. */
enum { RP_CONF_MAIL_EML = 0, RP_CONF_MAIL_SMTP = 1 };
/* Values of waf_mode. */
enum { RP_CONF_WAF_OFF = 0, RP_CONF_WAF_DETECT = 1, RP_CONF_WAF_BLOCK = 2 };
enum { RP_CONF_ROLE_ALL = 0, RP_CONF_ROLE_WEB = 1, RP_CONF_ROLE_CORE = 2 };

/* Built-in defaults (data_dir "./var", port 8080, ...). */
void rp_conf_defaults(struct rp_conf *c);

/*
 * Sets one key from text.  0, or RP_E_NOTFOUND (unknown key) / RP_E_RANGE /
 * RP_E_INVAL, with a one-line message naming the key and the accepted range
 * appended to err.
 */
int rp_conf_set(struct rp_conf *c, struct rp_str key, struct rp_str value,
    struct rp_buf *err) RP_WARN_UNUSED;

/*
 * Parses a whole configuration file's text (origin names it in messages,
 * with the line number).  Stops at the first error.
 */
int rp_conf_parse(struct rp_conf *c, struct rp_str text, const char *origin,
    struct rp_buf *err) RP_WARN_UNUSED;

/*
 * Checks the rules that tie keys together (smtp_url is required when
 * mail_transport is smtp).  0, or RP_E_INVAL with a message naming the key.
 */
int rp_conf_check(const struct rp_conf *c, struct rp_buf *err) RP_WARN_UNUSED;

/*
 * Loads defaults, the file, the environment, then every flag in argv[0..argc)
 * that names a configuration key (--key=value or --key value; '-' and '_'
 * are the same in key names; --config=PATH picks the file).  Every other
 * argument (the subcommand's own flags, --help, operands) is copied in order
 * to rest[0..*nrest), which must have room for argc pointers (borrowed from
 * argv).  Ends with rp_conf_check.
 */
int rp_conf_load(struct rp_conf *c, int argc, char **argv, char **rest,
    int *nrest, struct rp_buf *err) RP_WARN_UNUSED;

/* Prints every key, its default, range and meaning. */
void rp_conf_usage(FILE *f);

/*
 * The public site's base URL, no trailing slash: public_url, or
 * "http://localhost:<port>" without one.  Links in mail start with it
 * (a corporate site's with "<base>/c/<slug>").
 */
void rp_conf_public_base(const struct rp_conf *c, char *out, size_t n);

#endif
