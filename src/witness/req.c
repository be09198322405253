/* SPDX-License-Identifier: ISC */
/*
 * req.c — parser for the body of a C2SP tlog-witness `POST
 * /add-checkpoint` request, run by the witness process on bytes straight
 * from the network.  Strict by design: one canonical spelling of the old
 * size, each proof line exactly one canonical base64 hash, a hard cap on
 * the body and on the number of lines.  It only splits the body; the note
 * itself is checked by rp_note_parse and its signature by rp_note_verify.
 * Fuzzed by tests/fuzz/witness/.
 */
#include "util/common.h"

#include "alog/b64.h"
#include "witness/witness.h"

/* Base64 of 32 bytes: 43 symbols and one '='. */
#define HASH_B64_LEN	44

/* Takes the next line (without its "\n") off *s; false if no "\n" left. */
static bool
next_line(struct rp_str *s, struct rp_str *line)
{
	return rp_str_split(s, '\n', line);
}

int
rp_witness_req_parse(struct rp_str body, struct rp_witness_req *rq)
{
	struct rp_str s = body, line, num;
	size_t n;
	int r = RP_E_INVAL;

	memset(rq, 0, sizeof(*rq));
	if (body.n > RP_WITNESS_MAX_BODY)
		return RP_E_TOOBIG;
	if (body.n > 0 && body.p == NULL)
		return RP_E_INVAL;

	/* "old <size>": decimal, no sign, no leading zeros. */
	if (!next_line(&s, &line) || !rp_str_has_prefix(line, "old "))
		goto out;
	num.p = line.p + 4;
	num.n = line.n - 4;
	if (num.n == 0 || (num.n > 1 && num.p[0] == '0') ||
	    rp_str_to_u64(num, UINT64_MAX, &rq->old) != 0)
		goto out;

	/* Proof lines up to the empty line. */
	for (;;) {
		if (!next_line(&s, &line))
			goto out;
		if (line.n == 0)
			break;
		if (rq->nproof == RP_WITNESS_MAX_PROOF ||
		    line.n != HASH_B64_LEN ||
		    rp_b64_decode(line, rq->proof[rq->nproof],
		    RP_MERKLE_HASH_LEN, &n) != 0 || n != RP_MERKLE_HASH_LEN)
			goto out;
		rq->nproof++;
	}

	/* The rest is the signed note (checked by the note parser). */
	if (s.n == 0)
		goto out;
	rq->note = s;
	r = 0;
 out:
	if (r != 0)
		memset(rq, 0, sizeof(*rq));
	return r;
}
