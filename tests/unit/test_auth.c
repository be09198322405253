/* SPDX-License-Identifier: ISC */
/*
 * test_auth.c — the identity holder's library: TOTP against RFC 6238's
 * vectors, capabilities (forged, altered, expired), staff accounts and
 * sign-in (wrong password and wrong code answered alike, replayed code,
 * disabled account, slow-down after failures, enrolment), sessions (idle
 * and absolute expiry, sign-out, revoke, reset ends them); travellers'
 * links, sessions and access passes (one-time use, another site's, bound
 * passes, retiring older links, expiry), corporate API keys, and links
 * sealed to the mail sender.
 */
#include "util/common.h"
#include "alog/entry.h"
#include "auth/auth.h"
#include "auth/cap.h"
#include "auth/linkseal.h"

#include <liboath/oath.h>
#include <sodium.h>

#include "tap.h"
#include "test_store_util.h"

/* The code of the account's secret (base32) at now. */
static void
code_at(const char *b32, int64_t now, char out[7])
{
	char *bin = NULL;
	size_t n = 0;

	out[0] = '\0';
	if (oath_base32_decode(b32, strlen(b32), &bin, &n) == OATH_OK &&
	    rp_totp_code((const uint8_t *)bin, n, now, out) != 0)
		out[0] = '\0';
	free(bin);
}

static void
test_totp(void)
{
	static const uint8_t key[] = "12345678901234567890";
	static const struct { int64_t t; const char *code; } v[] = {
		/* RFC 6238 appendix B (SHA-1), last six digits */
		{ 59, "287082" }, { 1111111109, "081804" },
		{ 1111111111, "050471" }, { 1234567890, "005924" },
		{ 2000000000, "279037" },
	};
	char c[7], b32[64];
	int64_t step;

	for (size_t i = 0; i < RP_ARRAY_LEN(v); i++) {
		is_int(rp_totp_code(key, 20, v[i].t, c), 0, "totp code");
		is_str(c, v[i].code, "RFC 6238 vector");
	}
	is_int(rp_totp_check(key, 20, rp_str_c("081804"), 1111111109, 0, &step),
	    0, "check: the code of now");
	ok(step == 1111111109 / 30, "matched step");
	is_int(rp_totp_check(key, 20, rp_str_c("081804"), 1111111109 + 30, 0,
	    &step), 0, "a step late: still good (window 1)");
	is_int(rp_totp_check(key, 20, rp_str_c("081804"), 1111111109 + 90, 0,
	    &step), RP_E_DENIED, "three steps late: refused");
	is_int(rp_totp_check(key, 20, rp_str_c("081804"), 1111111109,
	    1111111109 / 30, &step), RP_E_DENIED, "replay of a used step");
	is_int(rp_totp_check(key, 20, rp_str_c("08180"), 1111111109, 0, &step),
	    RP_E_DENIED, "five digits");
	is_int(rp_totp_check(key, 20, rp_str_c("08180x"), 1111111109, 0, &step),
	    RP_E_DENIED, "not digits");
	is_int(rp_totp_b32(key, 20, b32, sizeof(b32)), 0, "base32");
	is_str(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "base32 of the RFC key");
}

static void
test_cap(void)
{
	uint8_t key[RP_CAP_KEY_LEN], other[RP_CAP_KEY_LEN], buf[RP_CAP_MAX];
	struct rp_cap c, got;
	size_t len;
	uint64_t now = 1700000000000ULL;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(other, sizeof(other));
	memset(&c, 0, sizeof(c));
	c.role = RP_ROLE_BACKOFFICE;
	c.tenant = 0;
	c.expires_ms = now + 60000;
	snprintf(c.principal, sizeof(c.principal), "staff:alice");
	memcpy(c.session, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	snprintf(c.scope_order, sizeof(c.scope_order), "RP-ABCD2345");
	is_int(rp_cap_encode(&c, key, buf, &len), 0, "encode");
	is_int(rp_cap_verify((struct rp_str){ (char *)buf, len }, key, now,
	    &got), 0, "verify");
	ok(got.role == RP_ROLE_BACKOFFICE && strcmp(got.principal,
	    "staff:alice") == 0 && strcmp(got.scope_order, "RP-ABCD2345") == 0 &&
	    memcmp(got.session, c.session, 8) == 0, "fields come back");
	is_int(rp_cap_verify((struct rp_str){ (char *)buf, len }, other, now,
	    &got), RP_E_DENIED, "another key: forged");
	buf[1] = RP_ROLE_INCIDENT;	/* widen the role */
	is_int(rp_cap_verify((struct rp_str){ (char *)buf, len }, key, now,
	    &got), RP_E_DENIED, "altered role: refused");
	buf[1] = RP_ROLE_BACKOFFICE;
	is_int(rp_cap_verify((struct rp_str){ (char *)buf, len - 1 }, key, now,
	    &got), RP_E_DENIED, "truncated");
	is_int(rp_cap_verify((struct rp_str){ (char *)buf, len }, key,
	    now + 60000, &got), RP_E_EXPIRED, "expired");
	for (size_t i = 0; i < len; i++) {
		int fails;

		buf[i] ^= 0x20;
		fails = rp_cap_verify((struct rp_str){ (char *)buf, len }, key,
		    now, &got) != 0;
		buf[i] ^= 0x20;
		if (!fails) {
			ok(0, "a flipped bit verified");
			break;
		}
		if (i == len - 1)
			ok(1, "every flipped byte is refused");
	}
	snprintf(c.principal, sizeof(c.principal), "staff alice");
	is_int(rp_cap_encode(&c, key, buf, &len), RP_E_INVAL,
	    "principal with a space: refused");
}

static void
test_accounts(void)
{
	char dir[256], pw[64], b32[RP_AUTH_TOTP_B32_MAX + 1], b2[64], code[7];
	char uri[256];
	struct rp_auth_db *db = NULL;
	struct rp_auth_login lg, lg2;
	struct rp_auth_session s, *v = NULL;
	struct rp_staff_account a;
	int64_t now = 1800000000;
	size_t n = 0;

	ok(tmpdir_make(dir, sizeof(dir)) != NULL, "scratch dir");
	is_int(rp_auth_db_open(dir, &db), 0, "open auth.db");
	if (db == NULL)
		return;
	is_int(rp_auth_staff_add(db, "alice", RP_STAFF_BACKOFFICE, 0, "", NULL,
	    pw, sizeof(pw), b32), 0, "add backoffice");
	ok(strlen(b32) == 32, "a 160-bit secret in base32");
	is_int(rp_auth_staff_add(db, "alice", RP_STAFF_BACKOFFICE, 0, "", NULL,
	    pw, sizeof(pw), b2), RP_E_EXISTS, "username taken");
	is_int(rp_auth_staff_add(db, "Bob!", RP_STAFF_COUNTER, 0, "NRT1", NULL,
	    b2, sizeof(b2), b2), RP_E_INVAL, "bad username");
	is_int(rp_auth_staff_add(db, "adm", RP_STAFF_CLIENT_ADMIN, 0, "", NULL,
	    b2, sizeof(b2), b2), RP_E_INVAL, "client_admin needs a tenant");
	is_int(rp_auth_staff_add(db, "cnt", RP_STAFF_COUNTER, 0, "nrt1", NULL,
	    b2, sizeof(b2), b2), RP_E_INVAL, "counter codes are upper case");
	is_int(rp_auth_staff_get(db, "alice", &a), 0, "get");
	ok(!a.enrolled && !a.disabled && a.failures == 0, "fresh account");

	code_at(b32, now, code);
	is_int(rp_auth_signin(db, rp_str_c("alice"), rp_str_c("wrong"),
	    rp_str_c(code), "api", "192.0.2.1", false, now, 900, 43200, &lg),
	    RP_E_DENIED, "wrong password");
	is_int(rp_auth_signin(db, rp_str_c("alice"), rp_str_c(pw),
	    rp_str_c("000000"), "api", "192.0.2.1", false, now, 900, 43200,
	    &lg), RP_E_DENIED, "wrong code: the same answer");
	is_int(rp_auth_signin(db, rp_str_c("nobody"), rp_str_c(pw),
	    rp_str_c(code), "api", "192.0.2.1", false, now, 900, 43200, &lg),
	    RP_E_DENIED, "unknown user: the same answer");
	is_int(rp_auth_signin(db, rp_str_c("alice"), rp_str_c(pw),
	    rp_str_c(code), "api", "192.0.2.1", false, now, 900, 43200, &lg),
	    0, "password + code: signed in");
	ok(strncmp(lg.token, RP_AUTH_TOKEN_PREFIX, 4) == 0 &&
	    strlen(lg.token) == RP_AUTH_TOKEN_LEN && strlen(lg.s.sid) == 16,
	    "a token and a session id");
	is_int(rp_auth_staff_get(db, "alice", &a), 0, "get again");
	ok(a.enrolled && a.failures == 0, "enrolled by a good code; failures reset");
	is_int(rp_auth_signin(db, rp_str_c("alice"), rp_str_c(pw),
	    rp_str_c(code), "api", "192.0.2.1", false, now + 5, 900, 43200,
	    &lg2), RP_E_DENIED, "the same code again: replay refused");

	is_int(rp_auth_session_get(db, rp_str_c(lg.token), now + 60, 900, &s),
	    0, "session of the token");
	ok(s.who.role == RP_STAFF_BACKOFFICE && strcmp(s.sid, lg.s.sid) == 0,
	    "who it is");
	is_int(rp_auth_session_get(db, rp_str_c(lg.token), now + 60 + 901, 900,
	    &s), RP_E_EXPIRED, "idle past the timeout: expired");
	is_int(rp_auth_session_get(db, rp_str_c("rps_00"), now, 900, &s),
	    RP_E_NOTFOUND, "unknown token");

	/* a second session: revoke it from the first? (new sign-in first) */
	code_at(b32, now + 60, code);
	is_int(rp_auth_signin(db, rp_str_c("alice"), rp_str_c(pw),
	    rp_str_c(code), "console", "192.0.2.2", false, now + 60, 900,
	    43200, &lg2), 0, "a second session");
	is_int(rp_auth_sessions(db, a.id, now + 61, &v, &n), 0, "list sessions");
	ok(n == 2, "two open sessions");
	free(v);
	is_int(rp_auth_revoke(db, a.id, lg.s.sid), 0, "revoke the first");
	is_int(rp_auth_session_get(db, rp_str_c(lg.token), now + 62, 900, &s),
	    RP_E_EXPIRED, "revoked: ended");
	is_int(rp_auth_session_get(db, rp_str_c(lg2.token), now + 62, 900, &s),
	    0, "the other goes on");
	is_int(rp_auth_session_get(db, rp_str_c(lg2.token), now + 60 + 43200,
	    1000000, &s), RP_E_EXPIRED, "past the absolute end: expired");
	is_int(rp_auth_staff_disable(db, "alice", true), 0, "disable");
	is_int(rp_auth_session_get(db, rp_str_c(lg2.token), now + 63, 900, &s),
	    RP_E_EXPIRED, "disabled: its sessions end");
	code_at(b32, now + 120, code);
	is_int(rp_auth_signin(db, rp_str_c("alice"), rp_str_c(pw),
	    rp_str_c(code), "api", "192.0.2.1", false, now + 120, 900, 43200,
	    &lg), RP_E_DENIED, "disabled: the same answer");
	is_int(rp_auth_staff_disable(db, "alice", false), 0, "enable");

	/* slow-down: after 3 failures the right answer waits too */
	for (int i = 0; i < 4; i++)
		is_int(rp_auth_signin(db, rp_str_c("alice"), rp_str_c("bad"),
		    rp_str_c("000000"), "api", "192.0.2.9", false, now + 150,
		    900, 43200, &lg), RP_E_DENIED, "a failure");
	is_int(rp_auth_staff_get(db, "alice", &a), 0, "get after failures");
	ok(a.failures >= 3 && a.locked_until > now + 150, "slowed down");
	code_at(b32, now + 150, code);
	is_int(rp_auth_signin(db, rp_str_c("alice"), rp_str_c(pw),
	    rp_str_c(code), "api", "192.0.2.1", false, now + 150, 900, 43200,
	    &lg), RP_E_DENIED, "while slowed down, even the right answer fails");
	code_at(b32, now + 300, code);
	is_int(rp_auth_signin(db, rp_str_c("alice"), rp_str_c(pw),
	    rp_str_c(code), "api", "192.0.2.1", false, now + 300, 900, 43200,
	    &lg), 0, "after the wait: signed in");

	/* enrolment: password alone → a ticket and the URI; then a code */
	is_int(rp_auth_staff_add(db, "carol", RP_STAFF_COUNTER, 0, "NRT1,HND3",
	    NULL, pw, sizeof(pw), b32), 0, "add counter");
	is_int(rp_auth_signin(db, rp_str_c("carol"), rp_str_c(pw), RP_STR_NULL,
	    "console", "192.0.2.1", false, now, 900, 43200, &lg), RP_E_DENIED,
	    "no code, enrolment not offered (API): refused");
	is_int(rp_auth_signin(db, rp_str_c("carol"), rp_str_c(pw), RP_STR_NULL,
	    "console", "192.0.2.1", true, now, 900, 43200, &lg), RP_E_STATE,
	    "no code, not enrolled: enrolment");
	snprintf(uri, sizeof(uri), "%s", lg.uri);
	ok(strncmp(uri, "otpauth://totp/rentport:carol?secret=", 37) == 0 &&
	    strstr(uri, b32) != NULL, "the otpauth URI carries the secret");
	is_int(rp_auth_session_get(db, rp_str_c(lg.token), now, 900, &s),
	    RP_E_NOTFOUND, "an enrolment ticket is no session");
	code_at(b32, now + 30, code);
	is_int(rp_auth_enrol(db, rp_str_c(lg.token), rp_str_c("123456"),
	    "console", "192.0.2.1", now + 30, 900, 43200, &lg2), RP_E_DENIED,
	    "enrol with a wrong code");
	is_int(rp_auth_enrol(db, rp_str_c(lg.token), rp_str_c(code), "console",
	    "192.0.2.1", now + 30, 900, 43200, &lg2), 0, "enrol with the code");
	ok(strcmp(lg2.s.who.counters, "NRT1,HND3") == 0, "bound to its counters");
	is_int(rp_auth_signin(db, rp_str_c("carol"), rp_str_c(pw), RP_STR_NULL,
	    "console", "192.0.2.1", true, now + 60, 900, 43200, &lg), RP_E_DENIED,
	    "enrolled: the password alone no longer opens anything");
	is_int(rp_auth_staff_reset(db, "carol", NULL, pw, sizeof(pw)), 0,
	    "reset the password");
	is_int(rp_auth_session_get(db, rp_str_c(lg2.token), now + 61, 900, &s),
	    RP_E_EXPIRED, "a reset ends the sessions");
	is_int(rp_auth_staff_totp_reset(db, "carol", b2), 0, "totp reset");
	ok(strcmp(b2, b32) != 0, "a new secret");
	is_int(rp_auth_staff_get(db, "carol", &a), 0, "get carol");
	ok(!a.enrolled, "must enrol again");
	rp_auth_db_close(db);
	tmpdir_remove(dir);
}

static void
test_customers(void)
{
	char dir[256], l1[RP_CUST_TOKEN_LEN + 1], l2[RP_CUST_TOKEN_LEN + 1];
	char lo[RP_CUST_TOKEN_LEN + 1], ss[RP_CUST_TOKEN_LEN + 1];
	char pass[RP_CUST_TOKEN_LEN + 1], sid2[RP_AUTH_SID_HEX + 1];
	char k1[RP_API_KEY_LEN + 1], k2[RP_API_KEY_LEN + 1], bad[RP_API_KEY_LEN + 1];
	struct rp_auth_db *db = NULL;
	struct rp_cust_token t;
	int64_t now = 1800000000, tid, kid, id1, id2;
	uint64_t nr = 99;

	ok(tmpdir_make(dir, sizeof(dir)) != NULL, "scratch dir");
	is_int(rp_auth_db_open(dir, &db), 0, "open auth.db");
	if (db == NULL)
		return;
	/* links: one order on site 3, the same order on site 4 */
	is_int(rp_auth_cust_new(db, RP_CUST_LINK, 3, "RP-A0000001", "", now,
	    3600, l1, NULL), 0, "link 1");
	is_int((int)strlen(l1), RP_CUST_TOKEN_LEN, "token length");
	is_int(rp_auth_cust_new(db, RP_CUST_LINK, 3, "RP-A0000001", "", now + 1,
	    3600, l2, sid2), 0, "link 2");
	is_int((int)strlen(sid2), RP_AUTH_SID_HEX, "a public id");
	is_int(rp_auth_cust_new(db, RP_CUST_LINK, 4, "RP-A0000001", "", now,
	    3600, lo, NULL), 0, "link on another site");
	is_int(rp_auth_cust_new(db, RP_CUST_LINK, 3, "", "", now, 3600, ss,
	    NULL), RP_E_INVAL, "a link names its order");
	is_int(rp_auth_cust_new(db, RP_CUST_ACCESS, 3, "", "bad bind", now,
	    3600, ss, NULL), RP_E_INVAL, "binds are printable words");
	is_int(rp_auth_cust_take(db, RP_CUST_SESSION, rp_str_c(l1), "", now,
	    false, &t), RP_E_NOTFOUND, "a link is not a session");
	is_int(rp_auth_cust_take(db, RP_CUST_LINK, rp_str_c(l1), "", now,
	    false, &t), 0, "peek at link 1");
	ok(t.tenant_id == 3 && strcmp(t.order, "RP-A0000001") == 0 &&
	    strlen(t.sid) == RP_AUTH_SID_HEX, "its site, order and id");
	is_int(rp_auth_cust_take(db, RP_CUST_LINK, rp_str_c(l1), "", now + 3600,
	    false, &t), RP_E_NOTFOUND, "expired at its end");
	is_int(rp_auth_cust_take(db, RP_CUST_LINK, rp_str_c(l1), "", now + 2,
	    true, &t), 0, "use link 1");
	is_int(rp_auth_cust_take(db, RP_CUST_LINK, rp_str_c(l1), "", now + 2,
	    true, &t), RP_E_NOTFOUND, "a used link does not open twice");
	is_int(rp_auth_cust_take(db, RP_CUST_LINK, rp_str_c("x'--"), "", now,
	    false, &t), RP_E_NOTFOUND, "malformed");
	/* a newer link mailed: the older ones of that order on that site end */
	is_int(rp_auth_cust_new(db, RP_CUST_LINK, 3, "RP-A0000001", "", now + 3,
	    3600, l1, NULL), 0, "link 3");
	is_int(rp_auth_cust_retire(db, RP_CUST_LINK, 3, "RP-A0000001", sid2,
	    now + 4, &nr), 0, "retire all but link 2");
	ok(nr == 1, "one retired");
	is_int(rp_auth_cust_take(db, RP_CUST_LINK, rp_str_c(l1), "", now + 5,
	    false, &t), RP_E_NOTFOUND, "the retired link no longer opens");
	is_int(rp_auth_cust_take(db, RP_CUST_LINK, rp_str_c(l2), "", now + 5,
	    false, &t), 0, "the kept one does");
	is_int(rp_auth_cust_take(db, RP_CUST_LINK, rp_str_c(lo), "", now + 5,
	    false, &t), 0, "another site's link of the order is untouched");
	is_int(rp_auth_cust_revoke(db, RP_CUST_LINK, sid2), 0, "revoke link 2");
	is_int(rp_auth_cust_take(db, RP_CUST_LINK, rp_str_c(l2), "", now + 5,
	    false, &t), RP_E_NOTFOUND, "a revoked link no longer opens");
	/* sessions */
	is_int(rp_auth_cust_new(db, RP_CUST_SESSION, 3, "RP-A0000001", "", now,
	    RP_CUST_SESSION_TTL, ss, NULL), 0, "a session");
	is_int(rp_auth_cust_take(db, RP_CUST_SESSION, rp_str_c(ss), "", now +
	    RP_CUST_SESSION_TTL - 1, false, &t), 0, "open until its end");
	ok(t.expires_at == now + RP_CUST_SESSION_TTL, "its end");
	is_int(rp_auth_cust_take(db, RP_CUST_SESSION, rp_str_c(ss), "", now +
	    RP_CUST_SESSION_TTL, false, &t), RP_E_NOTFOUND, "then closed");
	/* a session that keeps the id its placement began with */
	is_int(rp_auth_cust_new_sid(db, RP_CUST_SESSION, 3, "RP-A0000002",
	    "00112233aabbccdd", now, 3600, ss), 0, "a session with a given id");
	is_int(rp_auth_cust_take(db, RP_CUST_SESSION, rp_str_c(ss), "", now,
	    false, &t), 0, "it opens");
	is_str(t.sid, "00112233aabbccdd", "with that id");
	is_int(rp_auth_cust_new_sid(db, RP_CUST_SESSION, 3, "RP-A0000002",
	    "00112233aabbccdd", now, 3600, ss), RP_E_EXISTS, "an id is used once");
	is_int(rp_auth_cust_new_sid(db, RP_CUST_SESSION, 3, "RP-A0000002",
	    "XYZ", now, 3600, ss), RP_E_INVAL, "an id is 16 hex");
	/* access passes, bound to the code's fingerprint */
	is_int(rp_auth_cust_new(db, RP_CUST_ACCESS, 7, "", "fp1", now, 3600,
	    pass, NULL), 0, "a pass");
	is_int(rp_auth_cust_take(db, RP_CUST_ACCESS, rp_str_c(pass), "fp1", now,
	    false, &t), 0, "good with its bind");
	is_int(rp_auth_cust_take(db, RP_CUST_ACCESS, rp_str_c(pass), "fp2", now,
	    false, &t), RP_E_NOTFOUND, "a new code ends the old passes");
	is_int(rp_auth_cust_take(db, RP_CUST_ACCESS, rp_str_c(pass), "", now,
	    false, &t), RP_E_NOTFOUND, "unbound asks find no bound pass");
	is_int(rp_auth_cust_purge(db, now + 1000000000), 0, "purge");
	is_int(rp_auth_cust_take(db, RP_CUST_LINK, rp_str_c(lo), "", now,
	    false, &t), RP_E_NOTFOUND, "purged");
	/* API keys */
	is_int(rp_auth_apikey_create(db, 1, k1, &id1), 0, "API key 1");
	is_int(rp_auth_apikey_create(db, 2, k2, &id2), 0, "API key 2");
	is_int((int)strlen(k1), RP_API_KEY_LEN, "key length");
	ok(strncmp(k1, RP_API_KEY_PREFIX, 4) == 0, "key prefix");
	is_int(rp_auth_apikey_lookup(db, rp_str_c(k1), &tid, &kid), 0, "lookup 1");
	ok(tid == 1 && kid == id1, "its tenant and id");
	is_int(rp_auth_apikey_lookup(db, rp_str_c(k2), &tid, &kid), 0, "lookup 2");
	ok(tid == 2 && kid == id2, "the other's");
	memcpy(bad, k1, sizeof(bad));
	bad[10] = bad[10] == 'a' ? 'b' : 'a';
	is_int(rp_auth_apikey_lookup(db, rp_str_c(bad), &tid, &kid),
	    RP_E_NOTFOUND, "one digit off");
	is_int(rp_auth_apikey_lookup(db, (struct rp_str){ k1, RP_API_KEY_LEN - 1 },
	    &tid, &kid), RP_E_NOTFOUND, "truncated");
	is_int(rp_auth_apikey_lookup(db, rp_str_c("Bearer x"), &tid, &kid),
	    RP_E_NOTFOUND, "not a key");
	is_int(rp_auth_apikey_create(db, 0, bad, NULL), RP_E_INVAL,
	    "a key belongs to a client");
	is_int(rp_auth_apikey_revoke(db, id1), 0, "revoke key 1");
	is_int(rp_auth_apikey_lookup(db, rp_str_c(k1), &tid, &kid),
	    RP_E_NOTFOUND, "a revoked key");
	is_int(rp_auth_apikey_lookup(db, rp_str_c(k2), &tid, &kid), 0,
	    "the other still works");
	is_int(rp_auth_apikey_revoke(db, 987654), RP_E_NOTFOUND, "unknown id");
	rp_auth_db_close(db);

	/* links sealed to the mail sender: only its key opens them */
	{
		uint8_t pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
		uint8_t pk2[crypto_box_PUBLICKEYBYTES];
		uint8_t sk2[crypto_box_SECRETKEYBYTES];
		char sealed[RP_LINKSEAL_MAX + 1], order[40];
		char url[RP_LINKSEAL_URL_MAX + 1];

		is_int(rp_linkseal_prepare(dir), 0, "make the key pair");
		is_int(rp_linkseal_pub_load(dir, pk2), 0, "the public key");
		is_int(rp_linkseal_keys_load(dir, pk, sk), 0, "the pair");
		ok(sodium_memcmp(pk, pk2, sizeof(pk)) == 0, "the same public key");
		is_int(rp_linkseal_prepare(dir), 0, "prepare again");
		is_int(rp_linkseal_pub_load(dir, pk2), 0, "reload");
		ok(sodium_memcmp(pk, pk2, sizeof(pk)) == 0, "the pair is kept");
		is_int(rp_linkseal_seal(pk, "RP-A0000001",
		    "http://x/my-order/open?t=abc", sealed, sizeof(sealed)), 0,
		    "seal");
		is_int(rp_linkseal_open(pk, sk, rp_str_c(sealed), order, url), 0,
		    "open");
		ok(strcmp(order, "RP-A0000001") == 0 &&
		    strcmp(url, "http://x/my-order/open?t=abc") == 0, "its contents");
		crypto_box_keypair(pk2, sk2);
		is_int(rp_linkseal_open(pk2, sk2, rp_str_c(sealed), order, url),
		    RP_E_DENIED, "another key opens nothing");
		sealed[10] = sealed[10] == 'A' ? 'B' : 'A';
		is_int(rp_linkseal_open(pk, sk, rp_str_c(sealed), order, url),
		    RP_E_DENIED, "an altered seal opens nothing");
		is_int(rp_linkseal_seal(pk, "RP\nA", "u", sealed, sizeof(sealed)),
		    RP_E_INVAL, "no newline in the order");
		sodium_memzero(sk, sizeof(sk));
	}
	tmpdir_remove(dir);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_totp();
	test_cap();
	test_accounts();
	test_customers();
	return tap_done();
}
