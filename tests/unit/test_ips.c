/* SPDX-License-Identifier: ISC */
/*
 * test_ips.c — unit tests of the IPS area (src/ips/ips.c): token buckets
 * (per address, per strict route, Retry-After), the detectors and their
 * windows (scanner, WAF, brute force, card testing, rate limit), bans and
 * their expiry, bounded tables under floods of addresses, the strict
 * address parser, the nftables helper's line parser, and the sync with
 * the core store (both directions, operator removal, nft lines), IPv6
 * keyed by its /64, and the corporate access gates' failure budgets.  Time is
 * passed in: no sleeps, no timed assertions.
 */
#include "util/common.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include "ips/ips.h"
#include "ips/line.h"
#include "store/store.h"
#include "tap.h"
#include "test_store_util.h"

#define T0	((int64_t)1700000000 * 1000)	/* a wall-clock ms */

static struct rp_ips_limits
limits(void)
{
	struct rp_ips_limits l;

	memset(&l, 0, sizeof(l));
	l.rate_per_s = 2;
	l.burst = 3;
	l.strict_per_min = 6;
	l.strict_burst = 2;
	l.ban_s = 10;
	l.scan_max = 5;
	l.scan_window_s = 10;
	l.waf_max = 3;
	l.login_max = 4;
	l.login_window_s = 60;
	l.card_attempts_max = 6;
	l.card_declines_max = 3;
	l.card_window_s = 3600;
	l.rate_ban_after = 4;
	l.access_tenant_max = 5;
	l.access_tenant_window_s = 60;
	return l;
}

static struct rp_ips_addr
A(const char *s)
{
	struct rp_ips_addr a;

	if (rp_ips_addr_parse(rp_str_c(s), &a) != 0)
		abort();
	return a;
}

/* The reason of a's active ban at now (IPv6: its /64's), or "" if none. */
static const char *
reason_of(struct rp_ips *ips, const struct rp_ips_addr *addr, int64_t now)
{
	static struct rp_ips_ban bans[64];
	static char r[RP_IPS_MAX_REASON + 1];
	size_t n = rp_ips_bans_at(ips, now, bans, 64);
	struct rp_ips_addr a;

	rp_ips_addr_key(addr, &a);
	r[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (memcmp(bans[i].addr.b, a.b, 16) == 0)
			memcpy(r, bans[i].reason, sizeof(r));
	return r;
}

static void
test_addr(void)
{
	struct rp_ips_addr a;
	char t[RP_IPS_ADDR_TEXT];
	struct sockaddr_in sin;

	is_int(rp_ips_addr_parse(rp_str_c("192.0.2.7"), &a), 0, "IPv4 parses");
	rp_ips_addr_format(&a, t);
	is_str(t, "192.0.2.7", "IPv4 formats back");
	ok(rp_ips_addr_is_v4(&a), "IPv4 is mapped");
	is_int(rp_ips_addr_parse(rp_str_c("::ffff:192.0.2.7"), &a), 0,
	    "mapped IPv6 parses");
	rp_ips_addr_format(&a, t);
	is_str(t, "192.0.2.7", "mapped IPv6 is the IPv4 address");
	is_int(rp_ips_addr_parse(rp_str_c("2001:DB8::1"), &a), 0, "IPv6 parses");
	rp_ips_addr_format(&a, t);
	is_str(t, "2001:db8::1", "IPv6 in canonical form");
	ok(rp_ips_addr_parse(rp_str_c("192.0.2.7 "), &a) != 0, "trailing space refused");
	ok(rp_ips_addr_parse(rp_str_c("[::1]"), &a) != 0, "brackets refused");
	ok(rp_ips_addr_parse(rp_str_c("fe80::1%lo"), &a) != 0, "zone refused");
	ok(rp_ips_addr_parse(rp_str_c("192.0.2.7:80"), &a) != 0, "port refused");
	ok(rp_ips_addr_parse(rp_str_c("1.2.3"), &a) != 0, "short IPv4 refused");
	ok(rp_ips_addr_parse(rp_str_c(""), &a) != 0, "empty refused");
	ok(rp_ips_addr_parse((struct rp_str){ "1.2.3.4\0", 8 }, &a) != 0,
	    "embedded NUL refused");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	is_int(rp_ips_addr_from_sa((struct sockaddr *)&sin, &a), 0, "from sockaddr_in");
	ok(memcmp(a.b, A("192.0.2.7").b, 16) == 0, "same as the parsed text");
	ok(rp_ips_reason_ok(rp_str_c("scanner")), "reason ok");
	ok(!rp_ips_reason_ok(rp_str_c("bad\nreason")), "newline in a reason refused");
	ok(!rp_ips_reason_ok(RP_STR_NULL), "empty reason refused");
}

static void
test_buckets(void)
{
	struct rp_ips_limits l = limits();
	struct rp_ips *ips = rp_ips_create(&l);
	struct rp_ips_addr a = A("192.0.2.1"), b = A("192.0.2.2"),
	    c = A("2001:db8::2");

	ok(ips != NULL, "area created");
	is_int(rp_ips_take_at(ips, &a, 0, false, T0), 0, "1st of burst 3");
	is_int(rp_ips_take_at(ips, &a, 0, false, T0), 0, "2nd");
	is_int(rp_ips_take_at(ips, &a, 0, false, T0), 0, "3rd");
	is_int(rp_ips_take_at(ips, &a, 0, false, T0), 1, "4th refused: retry in 1 s");
	is_int(rp_ips_take_at(ips, &b, 0, false, T0), 0, "another address has its own bucket");
	is_int(rp_ips_take_at(ips, &c, 0, false, T0), 0, "an IPv6 address too");
	is_int(rp_ips_take_at(ips, &a, 0, false, T0 + 499), 1, "499 ms: not yet");
	is_int(rp_ips_take_at(ips, &a, 0, false, T0 + 500), 0, "500 ms at 2/s: one token back");
	is_int(rp_ips_take_at(ips, &a, 0, false, T0 + 500), 1, "and spent");
	is_int(rp_ips_take_at(ips, &a, 0, false, T0 + 60000), 0, "a minute later: refilled");
	is_int(rp_ips_take_at(ips, &a, 0, false, T0 + 60000), 0, "2nd");
	is_int(rp_ips_take_at(ips, &a, 0, false, T0 + 60000), 0, "3rd");
	is_int(rp_ips_take_at(ips, &a, 0, false, T0 + 60000), 1,
	    "never more than the burst");
	/* clock going backwards: no refill, no crash */
	is_int(rp_ips_take_at(ips, &a, 0, false, T0), 1, "clock stepped back: still empty");

	/* strict routes: 6/min, burst 2, on top of the address's bucket */
	is_int(rp_ips_take_at(ips, &b, 7, true, T0 + 10000), 0, "strict 1st");
	is_int(rp_ips_take_at(ips, &b, 7, true, T0 + 10000), 0, "strict 2nd");
	is_int(rp_ips_take_at(ips, &b, 7, true, T0 + 10000), 10,
	    "strict 3rd refused: a token per 10 s");
	/* (the address's own bucket, 3 deep, is empty now: refill it) */
	is_int(rp_ips_take_at(ips, &b, 8, true, T0 + 12000), 0,
	    "another strict route has its own bucket");
	is_int(rp_ips_take_at(ips, &b, 7, true, T0 + 20000), 0,
	    "10 s later: one strict token back");
	rp_ips_free(ips);

	/* limits of 0 switch a bucket off */
	l.rate_per_s = 0;
	l.strict_per_min = 0;
	ips = rp_ips_create(&l);
	for (int i = 0; i < 1000; i++)
		if (rp_ips_take_at(ips, &a, 3, true, T0) != 0)
			break;
	is_int(rp_ips_take_at(ips, &a, 3, true, T0), 0, "rate 0: no limit");
	rp_ips_free(ips);
}

static void
test_detectors(void)
{
	struct rp_ips_limits l = limits();
	struct rp_ips *ips = rp_ips_create(&l);
	struct rp_ips_addr s = A("198.51.100.1"), w = A("198.51.100.2"),
	    lg = A("2001:db8::10"), cd = A("198.51.100.4"),
	    ca = A("198.51.100.5"), rl = A("198.51.100.6"),
	    slow = A("198.51.100.7");
	int i;
	bool banned = false;

	for (i = 0; i < 4; i++)
		banned |= rp_ips_note_at(ips, RP_IPS_EV_NOTFOUND, &s, T0 + i);
	ok(!banned && !rp_ips_banned_at(ips, &s, T0 + 10), "4 × 404: not banned");
	ok(rp_ips_note_at(ips, RP_IPS_EV_NOTFOUND, &s, T0 + 10), "5th 404 bans");
	ok(rp_ips_banned_at(ips, &s, T0 + 11), "banned");
	is_str(reason_of(ips, &s, T0 + 11), "scanner", "reason scanner");
	ok(rp_ips_banned_at(ips, &s, T0 + 9000), "still banned after 9 s");
	ok(!rp_ips_banned_at(ips, &s, T0 + 10 + 10000), "expired after ips_ban_s (10 s)");
	ok(!rp_ips_banned_at(ips, &w, T0), "others never banned");

	/* a window resets the count */
	for (i = 0; i < 4; i++)
		(void)rp_ips_note_at(ips, RP_IPS_EV_NOTFOUND, &slow, T0 + i);
	ok(!rp_ips_note_at(ips, RP_IPS_EV_NOTFOUND, &slow, T0 + 10000),
	    "the 5th 404 in a new window does not ban");

	for (i = 0; i < 2; i++)
		(void)rp_ips_note_at(ips, RP_IPS_EV_WAF, &w, T0);
	ok(rp_ips_note_at(ips, RP_IPS_EV_WAF, &w, T0), "3 WAF interventions ban");
	is_str(reason_of(ips, &w, T0), "scanner", "WAF → scanner");

	for (i = 0; i < 3; i++)
		(void)rp_ips_note_at(ips, RP_IPS_EV_LOGIN_FAIL, &lg, T0 + i * 1000);
	ok(!rp_ips_banned_at(ips, &lg, T0 + 3000), "3 failed logins: not banned");
	ok(rp_ips_note_at(ips, RP_IPS_EV_LOGIN_FAIL, &lg, T0 + 50000),
	    "4th failed login within 60 s bans");
	is_str(reason_of(ips, &lg, T0 + 50000), "brute_force", "reason brute_force");

	for (i = 0; i < 2; i++)
		(void)rp_ips_note_at(ips, RP_IPS_EV_PAY_DECLINE, &cd, T0 + i * 60000);
	ok(rp_ips_note_at(ips, RP_IPS_EV_PAY_DECLINE, &cd, T0 + 1800000),
	    "3rd decline within the hour bans");
	is_str(reason_of(ips, &cd, T0 + 1800000), "card_testing", "reason card_testing");

	for (i = 0; i < 5; i++)
		(void)rp_ips_note_at(ips, RP_IPS_EV_PAY_ATTEMPT, &ca, T0 + i);
	ok(!rp_ips_banned_at(ips, &ca, T0 + 10), "5 attempts: not banned");
	ok(rp_ips_note_at(ips, RP_IPS_EV_PAY_ATTEMPT, &ca, T0 + 10),
	    "6th payment attempt bans");
	is_str(reason_of(ips, &ca, T0 + 10), "card_testing", "attempts → card_testing");

	for (i = 0; i < 3; i++)
		(void)rp_ips_note_at(ips, RP_IPS_EV_RATE_LIMITED, &rl, T0);
	ok(rp_ips_note_at(ips, RP_IPS_EV_RATE_LIMITED, &rl, T0),
	    "4 × 429 bans");
	is_str(reason_of(ips, &rl, T0), "rate_limit", "reason rate_limit");

	ok(!rp_ips_note_at(ips, 99, &rl, T0), "an unknown event is ignored");
	ok(!rp_ips_note_at(ips, -1, &rl, T0), "a negative event is ignored");

	/* unban: lifted, and counting starts again from zero */
	rp_ips_unban(ips, &s);
	ok(!rp_ips_banned_at(ips, &s, T0 + 20), "unbanned");
	ok(!rp_ips_note_at(ips, RP_IPS_EV_NOTFOUND, &s, T0 + 21),
	    "one 404 after the unban does not ban again");
	rp_ips_free(ips);

	/* a detector with max 0 is off */
	l.scan_max = 0;
	ips = rp_ips_create(&l);
	for (i = 0; i < 100; i++)
		banned = rp_ips_note_at(ips, RP_IPS_EV_NOTFOUND, &s, T0);
	ok(!banned && !rp_ips_banned_at(ips, &s, T0), "scan_max 0: never bans");
	rp_ips_free(ips);
}

static void
test_bounds(void)
{
	struct rp_ips_limits l = limits();
	struct rp_ips *ips = rp_ips_create(&l);
	static struct rp_ips_ban bans[8192];
	struct rp_ips_addr a, last;
	char t[RP_IPS_ADDR_TEXT];
	size_t n;
	int i, refused = 0;

	/* a flood of addresses: the tables stay bounded, the newest counts */
	for (i = 0; i < 20000; i++) {
		snprintf(t, sizeof(t), "10.%d.%d.%d", (i >> 16) & 255,
		    (i >> 8) & 255, i & 255);
		a = A(t);
		refused += rp_ips_ban_at(ips, &a, T0 / 1000 + 100 + i, "flood",
		    T0) != 0;
		last = a;
	}
	is_int(refused, 0, "20 000 bans accepted");
	refused = 0;
	n = rp_ips_bans_at(ips, T0, bans, RP_ARRAY_LEN(bans));
	ok(n > 0 && n <= 4096, "ban table bounded (4096)");
	ok(rp_ips_banned_at(ips, &last, T0), "the newest ban is kept");
	is_int(rp_ips_ban_at(ips, &last, T0 / 1000 + 10, "bad\x01", T0),
	    RP_E_INVAL, "control character in a reason refused");

	for (i = 0; i < 50000; i++) {
		snprintf(t, sizeof(t), "2001:db8:%x:%x::1", i >> 16, i & 0xffff);
		a = A(t);
		refused += rp_ips_take_at(ips, &a, 0, false, T0) != 0;
	}
	is_int(refused, 0, "50 000 new /64s: each gets a fresh bucket");
	rp_ips_free(ips);
}

/* Issue 10: an IPv6 client is its /64 everywhere; IPv4 per address. */
static void
test_v6_prefix(void)
{
	struct rp_ips_limits l = limits();
	struct rp_ips *ips = rp_ips_create(&l);
	struct rp_ips_addr a = A("2001:db8:1:2::1"), b = A("2001:db8:1:2:ffff:1:2:3"),
	    other = A("2001:db8:1:3::1"), k, v4a = A("192.0.2.10"),
	    v4b = A("192.0.2.11");
	char t[RP_IPS_ADDR_TEXT];
	int i;

	rp_ips_addr_key(&b, &k);
	rp_ips_addr_format(&k, t);
	is_str(t, "2001:db8:1:2::", "the key of an IPv6 address is its /64");
	rp_ips_addr_key(&v4a, &k);
	ok(memcmp(k.b, v4a.b, 16) == 0, "an IPv4 address is its own key");

	/* one bucket for the /64: burst 3 spent from two addresses */
	is_int(rp_ips_take_at(ips, &a, 0, false, T0), 0, "::1 1st");
	is_int(rp_ips_take_at(ips, &b, 0, false, T0), 0, "another host, same /64: 2nd");
	is_int(rp_ips_take_at(ips, &a, 0, false, T0), 0, "3rd");
	ok(rp_ips_take_at(ips, &b, 0, false, T0) != 0,
	    "4th from the other host of the /64: refused (a shared bucket)");
	is_int(rp_ips_take_at(ips, &other, 0, false, T0), 0,
	    "the neighbouring /64 has its own bucket");
	for (i = 0; i < 3; i++)
		(void)rp_ips_take_at(ips, &v4a, 0, false, T0);
	is_int(rp_ips_take_at(ips, &v4b, 0, false, T0), 0,
	    "IPv4 neighbours stay apart");

	/* the strict bucket too */
	is_int(rp_ips_take_at(ips, &a, 4, true, T0 + 30000), 0, "strict 1st");
	is_int(rp_ips_take_at(ips, &b, 4, true, T0 + 30000), 0, "strict 2nd (other host)");
	ok(rp_ips_take_at(ips, &a, 4, true, T0 + 30000) != 0,
	    "strict 3rd refused across the /64");

	/* detectors count the /64, the ban covers it, accept checks it */
	for (i = 0; i < 2; i++)
		(void)rp_ips_note_at(ips, RP_IPS_EV_LOGIN_FAIL, i ? &a : &b, T0);
	ok(!rp_ips_banned_at(ips, &a, T0), "2 failed logins: not banned");
	(void)rp_ips_note_at(ips, RP_IPS_EV_LOGIN_FAIL, &a, T0);
	ok(rp_ips_note_at(ips, RP_IPS_EV_LOGIN_FAIL, &b, T0),
	    "4th failed login from the /64, over two hosts, bans");
	ok(rp_ips_banned_at(ips, &a, T0 + 1) && rp_ips_banned_at(ips, &b, T0 + 1),
	    "both hosts banned");
	ok(rp_ips_banned_at(ips, &(struct rp_ips_addr){ .b = { 0x20, 0x01, 0x0d,
	    0xb8, 0, 1, 0, 2, 9, 9, 9, 9, 9, 9, 9, 9 } }, T0 + 1),
	    "any host of the /64 is banned");
	ok(!rp_ips_banned_at(ips, &other, T0 + 1), "the neighbouring /64 is not");
	k = A("2001:db8:1:2::");
	is_str(reason_of(ips, &k, T0 + 1), "brute_force",
	    "the ban table holds the prefix");

	/* an operator's ban of one address covers its /64; unban lifts it */
	is_int(rp_ips_ban_at(ips, &(struct rp_ips_addr){ .b = { 0x20, 0x01, 0x0d,
	    0xb8, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 } }, T0 / 1000 + 60,
	    "manual", T0), 0, "ban 2001:db8:9::7");
	ok(rp_ips_banned_at(ips, &(struct rp_ips_addr){ .b = { 0x20, 0x01, 0x0d,
	    0xb8, 0, 9, 0, 0, 0xaa, 0, 0, 0, 0, 0, 0, 1 } }, T0),
	    "2001:db8:9::aa00:0:0:1 (same /64) refused at accept");
	rp_ips_unban(ips, &(struct rp_ips_addr){ .b = { 0x20, 0x01, 0x0d, 0xb8,
	    0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42 } });
	ok(!rp_ips_banned_at(ips, &(struct rp_ips_addr){ .b = { 0x20, 0x01, 0x0d,
	    0xb8, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 } }, T0),
	    "unban of another host of the /64 lifts it");
	rp_ips_free(ips);
}

/* Issue 10: a corporate tenant's access-code failure budget. */
static void
test_gate(void)
{
	struct rp_ips_limits l = limits();
	struct rp_ips *ips = rp_ips_create(&l);
	unsigned r = 0;
	int i, closed = 0;

	is_int(rp_ips_gate_closed_at(ips, 7, T0), 0, "a fresh gate is open");
	for (i = 0; i < 4; i++)
		r |= rp_ips_gate_fail_at(ips, 7, T0 + i * 1000);
	is_int(r, 0, "4 failures: still open");
	is_int(rp_ips_gate_closed_at(ips, 7, T0 + 4000), 0, "open");
	is_int(rp_ips_gate_fail_at(ips, 7, T0 + 4000), 60,
	    "the 5th failure within 60 s closes it for 60 s");
	is_int(rp_ips_gate_closed_at(ips, 7, T0 + 4000), 60, "closed: Retry-After 60");
	is_int(rp_ips_gate_closed_at(ips, 7, T0 + 63500), 1, "0.5 s left: 1");
	is_int(rp_ips_gate_fail_at(ips, 7, T0 + 30000), 34,
	    "a failure while closed does not extend it");
	is_int(rp_ips_gate_closed_at(ips, 8, T0 + 4000), 0, "another tenant's gate is open");
	is_int(rp_ips_gate_closed_at(ips, 7, T0 + 64000), 0, "reopened after the window");
	is_int(rp_ips_gate_fail_at(ips, 7, T0 + 64000), 0,
	    "and the budget starts afresh");

	/* a slow guesser: 4 a window never closes it */
	for (i = 0; i < 40; i++)
		r |= rp_ips_gate_fail_at(ips, 9, T0 + (i / 4) * 61000 + i % 4);
	is_int(r, 0, "4 failures per window for 10 windows: open");

	/* a closed gate survives a flood of other tenants */
	for (i = 0; i < 5; i++)
		(void)rp_ips_gate_fail_at(ips, 11, T0);
	for (i = 0; i < 20000; i++)
		(void)rp_ips_gate_fail_at(ips, 100 + i, T0 + 1);
	ok(rp_ips_gate_closed_at(ips, 11, T0 + 2) > 0,
	    "closed gate kept through 20 000 other tenants");
	for (i = 0; i < 20000; i++)
		closed += rp_ips_gate_closed_at(ips, 100 + i, T0 + 2) != 0;
	is_int(closed, 0, "none of them closed (one failure each)");
	is_int(rp_ips_gate_fail_at(ips, 0, T0), 0, "tenant 0 (public site): no gate");
	rp_ips_free(ips);

	/* max 0: no budget */
	l.access_tenant_max = 0;
	ips = rp_ips_create(&l);
	for (i = 0; i < 100; i++)
		r |= rp_ips_gate_fail_at(ips, 7, T0);
	ok(r == 0 && rp_ips_gate_closed_at(ips, 7, T0) == 0,
	    "access_tenant_max 0: never closed");
	rp_ips_free(ips);
}

static void
test_line(void)
{
	struct rp_nft_cmd c;

	is_int(rp_nft_line_parse("ban 10.0.0.2 5", 14, &c), 0, "ban line");
	ok(c.op == RP_NFT_BAN && c.family == AF_INET && c.seconds == 5 &&
	    strcmp(c.addr, "10.0.0.2") == 0, "ban fields");
	is_int(rp_nft_line_parse("unban 2001:DB8::1", 17, &c), 0, "unban IPv6");
	ok(c.op == RP_NFT_UNBAN && c.family == AF_INET6 &&
	    strcmp(c.addr, "2001:db8::") == 0, "canonical IPv6, its /64");
	is_int(rp_nft_line_parse("ban 2001:db8:1:2:3:4:5:6 9", 26, &c), 0,
	    "a full IPv6 address");
	is_str(c.addr, "2001:db8:1:2::", "→ its /64 prefix (the rule masks the source)");
	is_int(rp_nft_line_parse("ban ::ffff:10.0.0.9 60", 22, &c), 0, "mapped");
	ok(c.family == AF_INET && strcmp(c.addr, "10.0.0.9") == 0,
	    "mapped → IPv4 set");
	is_int(rp_nft_line_parse("flush", 5, &c), 0, "flush");
	ok(rp_nft_line_parse("flush ", 6, &c) != 0, "trailing space refused");
	ok(rp_nft_line_parse("ban 10.0.0.2 0", 14, &c) != 0, "0 s refused");
	ok(rp_nft_line_parse("ban 10.0.0.2 05", 15, &c) != 0, "leading zero refused");
	ok(rp_nft_line_parse("ban 10.0.0.2 99999999999", 24, &c) != 0,
	    "too long refused");
	ok(rp_nft_line_parse("ban  10.0.0.2 5", 15, &c) != 0, "two spaces refused");
	ok(rp_nft_line_parse("ban 10.0.0.2 5\r", 15, &c) != 0, "CR refused");
	ok(rp_nft_line_parse("ban 10.0.0.2", 12, &c) != 0, "ban needs seconds");
	ok(rp_nft_line_parse("unban 10.0.0.2 5", 16, &c) != 0,
	    "unban takes no seconds");
	ok(rp_nft_line_parse("ban 10.0.0.2;flush 5", 20, &c) != 0,
	    "nft syntax in the address refused");
	ok(rp_nft_line_parse("BAN 10.0.0.2 5", 14, &c) != 0, "verbs are lower case");
	ok(rp_nft_line_parse("", 0, &c) != 0 && c.op == 0, "empty refused, cleared");
}

static void
test_sync(void)
{
	struct rp_ips_limits l = limits();
	struct rp_ips *ips = rp_ips_create(&l);
	struct rp_store *st = NULL;
	struct rp_ban *rows = NULL, op;
	struct rp_buf nft;
	struct rp_ips_addr s = A("203.0.113.9"), o = A("2001:db8::99"),
	    o2 = A("2001:db8::ab:cd");
	char dir[256];
	size_t n = 0;
	int i;

	tmpdir_make(dir, sizeof(dir));
	is_int(rp_store_open(dir, &st), 0, "store opened");
	rp_buf_init(&nft, 65536);
	for (i = 0; i < 5; i++)
		(void)rp_ips_note_at(ips, RP_IPS_EV_NOTFOUND, &s, T0);
	ok(rp_ips_banned_at(ips, &s, T0), "auto ban in the area");
	is_int(rp_ips_sync(ips, st, T0, &nft, false), 0, "sync");
	is_int(rp_store_ban_list(st, T0 / 1000, false, &rows, &n), 0, "list");
	ok(n == 1 && strcmp(rows[0].addr, "203.0.113.9") == 0 &&
	    strcmp(rows[0].reason, "scanner") == 0 &&
	    strcmp(rows[0].source, "auto") == 0 &&
	    rows[0].until == T0 / 1000 + 10, "the auto ban is in the store");
	free(rows);
	is_str(nft.d, "ban 203.0.113.9 10\n", "and sent to nft");
	rp_buf_reset(&nft);
	is_int(rp_ips_sync(ips, st, T0 + 1000, &nft, false), 0, "sync again");
	ok(nft.len == 0, "nothing new for nft");
	ok(rp_ips_banned_at(ips, &s, T0 + 1000), "still banned after a sync");

	/* an operator's ban (another node, the CLI) reaches the area */
	memset(&op, 0, sizeof(op));
	snprintf(op.addr, sizeof(op.addr), "2001:db8::99");
	op.until = T0 / 1000 + 3600;
	op.created_at = T0 / 1000;
	snprintf(op.reason, sizeof(op.reason), "manual");
	snprintf(op.source, sizeof(op.source), "operator");
	is_int(rp_store_ban_put(st, &op, false), 0, "operator ban stored");
	ok(!rp_ips_banned_at(ips, &o, T0 + 2000), "not yet in the area");
	rp_buf_reset(&nft);
	is_int(rp_ips_sync(ips, st, T0 + 2000, &nft, false), 0, "sync");
	ok(rp_ips_banned_at(ips, &o, T0 + 2000), "the operator's ban applies");
	is_str(reason_of(ips, &o, T0 + 2000), "manual", "with its reason");
	is_str(nft.d, "ban 2001:db8:: 3598\n",
	    "nft told (the /64), with the time left");
	ok(rp_ips_banned_at(ips, &o2, T0 + 2000),
	    "the ban covers the address's /64");

	/* a removal in the store lifts it everywhere, nft included */
	is_int(rp_store_ban_delete(st, "2001:db8::99"), 0, "removed from the store");
	is_int(rp_store_ban_delete(st, "2001:db8::99"), RP_E_NOTFOUND,
	    "removing twice: not found");
	rp_buf_reset(&nft);
	is_int(rp_ips_sync(ips, st, T0 + 3000, &nft, false), 0, "sync");
	ok(!rp_ips_banned_at(ips, &o, T0 + 3000), "lifted in the area");
	is_str(nft.d, "unban 2001:db8::\n", "and in nft");

	/* an auto ban is never shortened by an older row */
	memset(&op, 0, sizeof(op));
	snprintf(op.addr, sizeof(op.addr), "203.0.113.9");
	op.until = T0 / 1000 + 5;
	snprintf(op.reason, sizeof(op.reason), "scanner");
	snprintf(op.source, sizeof(op.source), "auto");
	is_int(rp_store_ban_put(st, &op, true), 0, "shorter auto row");
	is_int(rp_store_ban_list(st, T0 / 1000, false, &rows, &n), 0, "list");
	ok(n == 1 && rows[0].until == T0 / 1000 + 10, "extend_only kept the later expiry");
	free(rows);

	/* a new helper connection: everything active is sent again */
	rp_buf_reset(&nft);
	is_int(rp_ips_sync(ips, st, T0 + 4000, &nft, true), 0, "sync, nft_all");
	is_str(nft.d, "ban 203.0.113.9 6\n", "all active bans resent");

	/* expiry: the store no longer lists it, the area forgets it */
	rp_buf_reset(&nft);
	is_int(rp_ips_sync(ips, st, T0 + 11000, &nft, false), 0, "sync after expiry");
	ok(!rp_ips_banned_at(ips, &s, T0 + 11000), "expired");
	ok(nft.len == 0, "no unban for an expired ban (the kernel times out)");
	is_int(rp_store_ban_purge(st, T0 / 1000 + 100), 0, "purge");
	is_int(rp_store_ban_list(st, 0, true, &rows, &n), 0, "list all");
	is_int(n, 0, "purged");
	free(rows);

	/* the store front refuses malformed rows */
	memset(&op, 0, sizeof(op));
	snprintf(op.addr, sizeof(op.addr), "1.2.3.4'--");
	op.until = 1;
	snprintf(op.reason, sizeof(op.reason), "x");
	snprintf(op.source, sizeof(op.source), "auto");
	is_int(rp_store_ban_put(st, &op, false), RP_E_INVAL, "bad address text refused");
	snprintf(op.addr, sizeof(op.addr), "1.2.3.4");
	snprintf(op.source, sizeof(op.source), "nobody");
	is_int(rp_store_ban_put(st, &op, false), RP_E_INVAL, "bad source refused");

	rp_buf_release(&nft);
	rp_store_free(st);
	rp_ips_free(ips);
	tmpdir_remove(dir);
}

int
main(void)
{
	test_addr();
	test_buckets();
	test_detectors();
	test_bounds();
	test_v6_prefix();
	test_gate();
	test_line();
	test_sync();
	return tap_done();
}
