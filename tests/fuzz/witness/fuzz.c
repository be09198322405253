/* SPDX-License-Identifier: ISC */
/*
 * fuzz.c — libFuzzer target for the witness's add-checkpoint body parser
 * (rp_witness_req_parse, src/witness/req.c), which reads bytes straight
 * from the network, followed by the note and checkpoint parsers the
 * witness runs next.  Beyond "no crash": an accepted body starts with
 * "old ", its note is a non-empty suffix of the input, the proof count is
 * within 0..63 and the note starts right after "\n\n" or the proof lines;
 * a rejected body leaves the request zeroed.
 */
#include "util/common.h"
#include "alog/b64.h"
#include "alog/note.h"
#include "witness/witness.h"
#include "../fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rp_witness_req rq;
	static struct rp_note n;
	struct rp_checkpoint cp;
	struct rp_str body = { (const char *)data, size };
	struct rp_buf b;
	size_t i;
	int r;

	r = rp_witness_req_parse(body, &rq);
	if (r != 0) {
		check(r == RP_E_INVAL || r == RP_E_TOOBIG);
		check(rq.old == 0 && rq.nproof == 0 && rq.note.n == 0 &&
		    rq.note.p == NULL);
		return 0;
	}
	check(size <= RP_WITNESS_MAX_BODY);
	check(size >= 6 && memcmp(data, "old ", 4) == 0);
	check(rq.nproof <= RP_WITNESS_MAX_PROOF);
	check(rq.note.n > 0 && rq.note.p + rq.note.n == body.p + body.n);
	check(rq.note.p - body.p >= 2 && rq.note.p[-1] == '\n' &&
	    rq.note.p[-2] == '\n');
	/* Re-encoding the parsed request gives back the bytes before the note. */
	rp_buf_init(&b, RP_WITNESS_MAX_BODY);
	rp_buf_printf(&b, "old %" PRIu64 "\n", rq.old);
	for (i = 0; i < rq.nproof; i++) {
		check(rp_b64_encode(rq.proof[i], 32, &b) == 0);
		rp_buf_add_ch(&b, '\n');
	}
	rp_buf_add_ch(&b, '\n');
	check(b.err == 0 && b.len == (size_t)(rq.note.p - body.p) &&
	    memcmp(b.d, data, b.len) == 0);
	rp_buf_release(&b);
	/* What the witness does next with the note. */
	if (rp_note_parse(rq.note, &n) == 0 &&
	    rp_checkpoint_parse(n.text, &cp) == 0)
		check(rp_note_name_valid(cp.origin));
	return 0;
}
