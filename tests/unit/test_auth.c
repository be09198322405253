/* SPDX-License-Identifier: ISC */
/*
 * test_auth.c — the identity holder's library: TOTP against RFC 6238's
 * vectors, capabilities (forged, altered, expired), staff accounts and
 * sign-in (wrong password and wrong code answered alike, replayed code,
 * disabled account, slow-down after failures, enrolment), sessions (idle
 * and absolute expiry, sign-out, revoke, reset ends them).
 */
#include "util/common.h"
#include "alog/entry.h"
#include "auth/auth.h"
#include "auth/cap.h"

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

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_totp();
	test_cap();
	test_accounts();
	return tap_done();
}
