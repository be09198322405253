/* SPDX-License-Identifier: ISC */
/*
 * fuzz.c — libFuzzer target for paysim's JSON request parser
 * (rp_paysim_req_parse, src/paysim/req.c), which reads request bodies
 * straight from the network.  The first byte picks the set of declared
 * keys (so both "everything allowed" and narrow routes are exercised);
 * the rest is the body.  Beyond "no crash": a rejected body leaves the
 * request wiped and names a code; an accepted one only has declared keys
 * and every value within its documented range, NUL-terminated.
 */
#include "util/common.h"
#include "paysim/paysim.h"
#include "../fuzz_util.h"

static void
check_str(const char *s, size_t cap)
{
	check(memchr(s, '\0', cap) != NULL);
	for (; *s; s++)
		check((unsigned char)*s >= 0x20 && *s != 0x7f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t sets[] = {
		RP_PF_ALL,
		RP_PF_NUMBER | RP_PF_EXP_MONTH | RP_PF_EXP_YEAR | RP_PF_CVC,
		RP_PF_AMOUNT | RP_PF_CURRENCY | RP_PF_TOKEN | RP_PF_METADATA |
		    RP_PF_CAPTURE_METHOD | RP_PF_SAVE_CARD | RP_PF_RETURN_URL,
		RP_PF_DUPLICATE | RP_PF_DELAY_MS | RP_PF_REORDER,
		0,
	};
	static struct rp_paysim_req rq;
	struct rp_paysim_perr e;
	uint32_t allowed;
	struct rp_str body;
	int r;

	if (size == 0)
		return 0;
	allowed = sets[data[0] % RP_ARRAY_LEN(sets)];
	body = (struct rp_str){ (const char *)data + 1, size - 1 };
	r = rp_paysim_req_parse(body, allowed, &rq, &e);
	if (r != 0) {
		check(r == RP_E_INVAL || r == RP_E_TOOBIG);
		check(e.code != NULL && e.code[0] != '\0');
		check(rq.seen == 0 && rq.number[0] == '\0' && rq.cvc[0] == '\0');
		return 0;
	}
	check((rq.seen & ~allowed) == 0);
	check(strspn(rq.number, "0123456789") == strlen(rq.number));
	check_str(rq.cvc, sizeof(rq.cvc));
	check_str(rq.currency, sizeof(rq.currency));
	check_str(rq.token, sizeof(rq.token));
	check_str(rq.return_url, sizeof(rq.return_url));
	check_str(rq.url, sizeof(rq.url));
	if (rq.seen & RP_PF_EXP_MONTH)
		check(rq.exp_month >= 1 && rq.exp_month <= 12);
	if (rq.seen & RP_PF_EXP_YEAR)
		check(rq.exp_year >= 1000 && rq.exp_year <= 9999);
	if (rq.seen & RP_PF_AMOUNT)
		check(rq.amount >= 1 && rq.amount <= RP_PAYSIM_MAX_AMOUNT);
	if (rq.seen & RP_PF_DUPLICATE)
		check(rq.duplicate >= 0.0 && rq.duplicate <= 1.0);
	if (rq.seen & RP_PF_DELAY_MS)
		check(rq.delay_min >= 0 && rq.delay_min <= rq.delay_max &&
		    rq.delay_max <= 60000);
	check(rq.nmeta <= RP_PAYSIM_MAX_META);
	for (size_t i = 0; i < rq.nmeta; i++) {
		check(rq.meta[i].key[0] != '\0');
		check_str(rq.meta[i].key, sizeof(rq.meta[i].key));
		check_str(rq.meta[i].val, sizeof(rq.meta[i].val));
	}
	rp_paysim_req_clear(&rq);
	check(rq.seen == 0 && rq.number[0] == '\0');
	return 0;
}
