/* SPDX-License-Identifier: ISC */
/* test_paylink.c — webhook signatures (payments.md §6) and the agent's
 * origin, in src/paylink/. */
#include "util/common.h"
#include "paylink/paylink.h"
#include "tap.h"

int
main(void)
{
	const char *sec = "whsec_test", *body = "{\"id\":\"evt_1\"}";
	char h[200], h2[400];
	struct rp_str b = rp_str_c(body);
	struct rp_conf c;

	rp_paylink_sig_make(b, sec, 1000, h, sizeof(h));
	ok(strncmp(h, "t=1000,v1=", 10) == 0 && strlen(h) == 10 + 64,
	    "header shape t=…,v1=<64 hex>");
	is_int(rp_paylink_sig_check(rp_str_c(h), b, sec, 1000), 0, "valid");
	is_int(rp_paylink_sig_check(rp_str_c(h), b, sec, 1300), 0,
	    "valid 300 s later");
	is_int(rp_paylink_sig_check(rp_str_c(h), b, sec, 1301), RP_E_DENIED,
	    "stale after 300 s (replay window)");
	is_int(rp_paylink_sig_check(rp_str_c(h), b, sec, 939), RP_E_DENIED,
	    "from the future beyond 60 s");
	is_int(rp_paylink_sig_check(rp_str_c(h), rp_str_c("{\"id\":\"evt_2\"}"),
	    sec, 1000), RP_E_DENIED, "another body");
	is_int(rp_paylink_sig_check(rp_str_c(h), b, "whsec_other", 1000),
	    RP_E_DENIED, "another secret");
	/* rotation: any v1 may match */
	snprintf(h2, sizeof(h2), "t=1000,v1=%064d,%s", 0, h + 7);
	is_int(rp_paylink_sig_check(rp_str_c(h2), b, sec, 1000), 0,
	    "one of two v1 matches (rotation)");
	snprintf(h2, sizeof(h2), "t=1000,v0=%s", h + 10);
	is_int(rp_paylink_sig_check(rp_str_c(h2), b, sec, 1000), RP_E_DENIED,
	    "other schemes ignored");
	snprintf(h2, sizeof(h2), "t=1000,t=1000,%s", h + 7);
	is_int(rp_paylink_sig_check(rp_str_c(h2), b, sec, 1000), RP_E_DENIED,
	    "two timestamps refused");
	is_int(rp_paylink_sig_check(rp_str_c(""), b, sec, 1000), RP_E_DENIED,
	    "no header");
	is_int(rp_paylink_sig_check(rp_str_c("t=abc,v1=00"), b, sec, 1000),
	    RP_E_DENIED, "garbage");

	memset(&c, 0, sizeof(c));
	snprintf(c.paysim_addr, sizeof(c.paysim_addr), "127.0.0.1");
	c.paysim_port = 8093;
	rp_pay_agent_origin(&c, h, sizeof(h));
	is_str(h, "http://127.0.0.1:8093", "local paysim origin");
	snprintf(c.pay_agent_url, sizeof(c.pay_agent_url),
	    "https://psp.example/api/");
	rp_pay_agent_url(&c, h, sizeof(h));
	is_str(h, "https://psp.example/api", "configured agent URL");
	rp_pay_agent_origin(&c, h, sizeof(h));
	is_str(h, "https://psp.example", "its origin");
	return tap_done();
}
