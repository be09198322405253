/* SPDX-License-Identifier: ISC */
/*
 * ips.h — the IPS layer (issue 6): token-bucket rate limits per client
 * address and per (address, sensitive route), detectors (scanner bursts of
 * 404/403 or WAF interventions, login brute force, card testing) that turn
 * into temporary bans, and the ban table every web worker consults before
 * HTTP parsing.
 *
 * Everything lives in one fixed-size MAP_SHARED area that the parent of
 * `rentport serve` creates before it forks (like the metrics area), so a
 * ban or a bucket is the same in every web worker.  Access is serialised
 * by one robust, process-shared mutex held for a few hundred nanoseconds:
 * a worker that dies holding it leaves it usable (EOWNERDEAD → consistent).
 * Tables are bounded open-addressing hashes keyed with SipHash under a
 * random key, probed over a small window; when a window is full the
 * entry that matters least is evicted (the bucket touched longest ago,
 * the ban that expires first), so an attacker can neither grow the area
 * nor aim collisions at someone else's entries.
 *
 * Bans also live in the core store (migration 0005, table bans) so that
 * every node enforces them and operators can manage them (`rentport ban`):
 * the IPS child of serve (rp_ips_main) writes new automatic bans to the
 * store and mirrors the store's active bans into the area every
 * ips_sync_ms, and forwards them to the nftables helper when ips_nft = 1.
 *
 * An IPv6 client is known by its /64 (rp_ips_addr_key): buckets,
 * detector counters and bans all key on the prefix, since the host half
 * is the client's to change at will; IPv4 stays per address.  Every
 * function taking an address applies the key itself.
 *
 * Each corporate tenant's access gate (POST {home}access) also has a
 * failure budget shared by all addresses (rp_ips_gate_*), so guessing
 * its access code from many addresses stays bounded too.
 *
 * Addresses are personal data: they are kept in the area and the store
 * for enforcement, never written to the operational log.
 *
 * Functions ending in _at take the time (wall clock, ms) from the caller,
 * for tests; the others read CLOCK_REALTIME and use the area installed
 * with rp_ips_set_global (NULL: every check allows, every note is dropped).
 */
#ifndef RP_IPS_H
#define RP_IPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "util/buf.h"
#include "util/str.h"

struct rp_ips;
struct rp_store;

/* Events the rest of rentport reports (rp_ips_note). */
enum rp_ips_event {
	RP_IPS_EV_NOTFOUND,	/* a 404 or 403 answered (scanner) */
	RP_IPS_EV_WAF,		/* a WAF intervention (scanner) */
	RP_IPS_EV_LOGIN_FAIL,	/* a failed login or access code (brute force) */
	RP_IPS_EV_PAY_ATTEMPT,	/* a card authorization started (card testing) */
	RP_IPS_EV_PAY_DECLINE,	/* a card declined (card testing) */
	RP_IPS_EV_RATE_LIMITED,	/* a request refused with 429 (rate_limit) */
	RP_IPS_EV_COUNT
};

/* An address, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d). */
struct rp_ips_addr {
	uint8_t b[16];
};

/* The longest address text (INET6_ADDRSTRLEN) and ban reason. */
#define RP_IPS_ADDR_TEXT	46
#define RP_IPS_MAX_REASON	64

/* Limits and thresholds (from the ips_* configuration keys). */
struct rp_ips_limits {
	uint32_t rate_per_s, burst;		/* every request, per address */
	uint32_t strict_per_min, strict_burst;	/* sensitive POST routes */
	uint32_t ban_s;				/* automatic ban length */
	uint32_t scan_max, scan_window_s;	/* 404/403 → scanner */
	uint32_t waf_max;			/* WAF hits in scan_window_s */
	uint32_t login_max, login_window_s;	/* → brute_force */
	uint32_t card_attempts_max, card_declines_max, card_window_s;
	uint32_t rate_ban_after;		/* 429s in scan_window_s → rate_limit */
	uint32_t access_tenant_max;		/* failed access codes per tenant */
	uint32_t access_tenant_window_s;	/* in this window → gate closed */
};

/* The limits the configuration asks for. */
void rp_ips_limits_from_conf(const struct rp_conf *c, struct rp_ips_limits *l);

/*
 * Maps a new shared area (zeroed tables, a fresh hash key) with limits
 * lim; NULL if mmap or the mutex set-up fails.  Free with rp_ips_free
 * (NULL-safe) in the process that made it.
 */
struct rp_ips *rp_ips_create(const struct rp_ips_limits *lim);
void rp_ips_free(struct rp_ips *ips);

/* The area of this process (set by serve's parent before fork). */
void rp_ips_set_global(struct rp_ips *ips);
struct rp_ips *rp_ips_global(void);

/* ---- addresses ------------------------------------------------------ */

/* From a socket address (AF_INET / AF_INET6); RP_E_INVAL for others. */
int rp_ips_addr_from_sa(const struct sockaddr *sa, struct rp_ips_addr *out)
    RP_WARN_UNUSED;
/*
 * Parses an address literal strictly (inet_pton: IPv4 dotted quad or
 * IPv6; no port, no brackets, no zone, nothing around it).  0 or
 * RP_E_INVAL with *out zeroed.
 */
int rp_ips_addr_parse(struct rp_str s, struct rp_ips_addr *out)
    RP_WARN_UNUSED;
/* Canonical text (IPv4 dotted for mapped addresses); NUL-terminated. */
void rp_ips_addr_format(const struct rp_ips_addr *a,
    char out[RP_IPS_ADDR_TEXT]);
bool rp_ips_addr_is_v4(const struct rp_ips_addr *a);
/*
 * The key the IPS knows a by: IPv4 itself, IPv6 its /64 (the low 64
 * bits zeroed).  out may be a.
 */
void rp_ips_addr_key(const struct rp_ips_addr *a, struct rp_ips_addr *out);

/* True if reason is 1..RP_IPS_MAX_REASON printable ASCII bytes. */
bool rp_ips_reason_ok(struct rp_str reason);

/* ---- enforcement (web workers) --------------------------------------- */

/* True if addr is banned now (the accept policy: refuse the connection). */
bool rp_ips_banned_at(struct rp_ips *ips, const struct rp_ips_addr *a,
    int64_t now_ms);
bool rp_ips_refuse(const struct sockaddr *sa);

/*
 * Takes one token for a request from addr to route (an index; strict:
 * the route is a sensitive one with its own, stricter bucket).  0 when
 * allowed, else the seconds after which a retry would be allowed (for
 * Retry-After, >= 1).  The per-address bucket is always charged; the
 * strict bucket only for strict routes.
 */
unsigned rp_ips_take_at(struct rp_ips *ips, const struct rp_ips_addr *a,
    unsigned route, bool strict, int64_t now_ms);
unsigned rp_ips_take(const struct sockaddr *sa, unsigned route, bool strict);

/*
 * Counts event (enum rp_ips_event) for addr; crossing a threshold bans
 * the address for ban_s with the detector's reason ("scanner",
 * "brute_force", "card_testing", "rate_limit") and resets its counters.
 * Returns true if this call banned it.  Unknown events are ignored.
 */
bool rp_ips_note_at(struct rp_ips *ips, int event, const struct rp_ips_addr *a,
    int64_t now_ms);
void rp_ips_note(int event, const struct sockaddr *addr);

/* ---- corporate access gates (a tenant's failure budget) ---------------- */

/*
 * Seconds the access gate of tenant (> 0) stays closed because its
 * failure budget is spent (Retry-After, >= 1), or 0 when it is open (also
 * for tenant <= 0 and with access_tenant_max 0).  A closed gate refuses
 * every try, right or wrong, so that a guess cannot be confirmed.
 */
unsigned rp_ips_gate_closed_at(struct rp_ips *ips, int64_t tenant,
    int64_t now_ms);
unsigned rp_ips_gate_closed(int64_t tenant);

/*
 * Counts one failed access-code try on tenant's gate, from any address:
 * access_tenant_max failures within access_tenant_window_s close it for
 * access_tenant_window_s.  Returns the seconds it stays closed (>= 1) if
 * it is closed after this call, else 0.  The address's own count is
 * rp_ips_note(RP_IPS_EV_LOGIN_FAIL, …).
 */
unsigned rp_ips_gate_fail_at(struct rp_ips *ips, int64_t tenant,
    int64_t now_ms);
unsigned rp_ips_gate_fail(int64_t tenant);

/* ---- the ban table --------------------------------------------------- */

struct rp_ips_ban {
	struct rp_ips_addr addr;
	int64_t until;			/* wall clock, seconds */
	char reason[RP_IPS_MAX_REASON + 1];
};

/*
 * Bans addr until (seconds) with reason, as an automatic ban: it is
 * written to the store by the next sync.  Evicts the ban expiring first
 * in its probe window when full.  0, or RP_E_INVAL for a bad reason.
 */
int rp_ips_ban_at(struct rp_ips *ips, const struct rp_ips_addr *a,
    int64_t until, const char *reason, int64_t now_ms) RP_WARN_UNUSED;
/* Lifts a ban in this area only (the store is the CLI's: rp_ips_sync). */
void rp_ips_unban(struct rp_ips *ips, const struct rp_ips_addr *a);
/* Active bans at now (at most max), in table order.  Returns the count. */
size_t rp_ips_bans_at(struct rp_ips *ips, int64_t now_ms,
    struct rp_ips_ban *out, size_t max);

/* ---- the IPS child ----------------------------------------------------- */

/*
 * One synchronisation with the store at now: writes the area's new
 * automatic bans to it, then makes the area's bans those of the store
 * (adding, changing and lifting; a lifted address's counters restart),
 * and appends to nft (may be NULL) the helper commands ("ban ADDR SECS" /
 * "unban ADDR" lines) that bring the kernel set in line; with nft_all,
 * every active ban is sent again (a new helper connection).  0 or the
 * store's error (the area keeps what it could not write, for next time).
 */
int rp_ips_sync(struct rp_ips *ips, struct rp_store *st, int64_t now_ms,
    struct rp_buf *nft, bool nft_all) RP_WARN_UNUSED;

/*
 * The IPS child of serve: READY {RP_IPS_KIND, 1}, then rp_ips_sync every
 * conf->ips_sync_ms, forwarding bans to DATA/run/nft.sock when
 * conf->ips_nft; STOP, SIGTERM or the parent going away → 0.
 */
#define RP_IPS_KIND	8
#define RP_IPS_NFT_KIND	9
int rp_ips_main(const struct rp_conf *conf, int parent_fd);

/*
 * Removes CAP_NET_ADMIN from this process (effective, permitted,
 * inheritable, and the bounding set when allowed): every child of serve
 * but the nftables helper calls it.  0 when the capability is gone (or
 * was never held), else RP_E_DENIED.
 */
int rp_ips_drop_net_admin(void) RP_WARN_UNUSED;

/*
 * Starts the nftables helper (rentport-nft-helper, next to this binary)
 * in place of this process with args; returns only on failure (status).
 */
int rp_ips_exec_helper(const struct rp_conf *conf, int control_fd, int argc,
    char **argv);

/* The helper's socket path: DATA/run/nft.sock. */
void rp_ips_nft_sock_path(const struct rp_conf *conf, char *out, size_t n);

/* Appends the IPS counters in Prometheus text format to out. */
int rp_ips_metrics_render(struct rp_ips *ips, struct rp_buf *out);
/* A connection refused by the accept policy (counted). */
void rp_ips_count_refused(struct rp_ips *ips);

#endif
