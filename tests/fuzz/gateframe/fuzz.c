/* SPDX-License-Identifier: ISC */
/*
 * fuzz.c — the gate's reassembly of frames from the TLS byte stream
 * (rp_gate_frames, src/gate/gate.h): the input's first byte picks the size
 * of the reads the stream arrives in, the rest is the stream.  Every
 * frame handed on must have a length in bounds and be a contiguous part of
 * the input, in order; a bad length stops the stream.
 */
#include "util/common.h"
#include "gate/gate.h"

#include <assert.h>
#include "../fuzz_util.h"

struct seen {
	const uint8_t *in;
	size_t in_n, pos;	/* where the next frame's length must start */
	unsigned frames;
};

static int
emit(void *arg, const uint8_t *frame, size_t n)
{
	struct seen *s = arg;

	assert(n >= RP_MSG_HEADER && n <= RP_MSG_MAX_FRAME);
	assert(s->pos + RP_GATE_LEN_BYTES + n <= s->in_n);
	assert(rp_be_get(s->in + s->pos, RP_GATE_LEN_BYTES) == n);
	assert(memcmp(frame, s->in + s->pos + RP_GATE_LEN_BYTES, n) == 0);
	s->pos += RP_GATE_LEN_BYTES + n;
	s->frames++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[RP_GATE_BUF];
	struct seen s;
	size_t have = 0, off, chunk;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] * 97 + 1;
	s = (struct seen){ .in = data + 1, .in_n = size - 1 };
	for (off = 0; off < s.in_n; ) {
		size_t n = s.in_n - off < chunk ? s.in_n - off : chunk;

		if (n > sizeof(buf) - have)
			n = sizeof(buf) - have;
		memcpy(buf + have, s.in + off, n);
		have += n;
		off += n;
		if (rp_gate_frames(buf, &have, emit, &s) != 0)
			return 0;	/* a bad length: the connection ends */
		/* what stays is the start of the next frame */
		assert(have == off - s.pos);
		assert(have == 0 || memcmp(buf, s.in + s.pos, have) == 0);
		if (have == sizeof(buf))
			return 0;	/* cannot happen: a frame fits */
	}
	return 0;
}
