/* SPDX-License-Identifier: ISC */
/* test_msg.c — message framing: round trips and fail-closed readers. */
#include "util/common.h"
#include "proc/msg.h"
#include "tap.h"

#include <sys/socket.h>
#include <unistd.h>

static uint8_t rbuf[RP_MSG_MAX_FRAME];
static struct rp_msgw w;

static void
test_roundtrip(void)
{
	int sv[2];
	struct rp_msg m;
	struct rp_str s;
	uint32_t u;
	uint64_t v;

	ok(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	rp_msgw_begin(&w, RP_MSG_ACCESS);
	rp_msgw_put_str(&w, RP_STR_LIT("GET"));
	rp_msgw_put_u32(&w, 404);
	rp_msgw_put_u64(&w, UINT64_C(0x0102030405060708));
	rp_msgw_put_str(&w, RP_STR_NULL);
	is_int(rp_msgw_send(sv[0], &w, 0), 0, "send");
	is_int(rp_msg_recv(sv[1], rbuf, &m), 0, "recv");
	is_int(m.type, RP_MSG_ACCESS, "type");
	ok(rp_msg_get_str(&m, &s, 16) == 0 && rp_str_eq_c(s, "GET"), "str");
	ok(rp_msg_get_u32(&m, &u) == 0 && u == 404, "u32");
	ok(rp_msg_get_u64(&m, &v) == 0 && v == UINT64_C(0x0102030405060708), "u64");
	ok(rp_msg_get_str(&m, &s, 16) == 0 && s.n == 0, "empty str");
	is_int(rp_msg_end(&m), 0, "end: nothing left");
	is_int(rp_msg_get_u32(&m, &u), RP_E_PROTO, "read past end refused");
	is_int(u, 0, "out-param cleared on failure");

	/* Non-blocking receive with nothing waiting. */
	is_int(rp_msg_recv(sv[1], rbuf, &m), RP_E_AGAIN, "nothing waiting");

	/* A peer sending an oversized packet is a protocol violation. */
	{
		static uint8_t big[RP_MSG_MAX_FRAME + 100];
		memset(big, 0, sizeof(big));
		big[0] = RP_MSG_PING;
		ok(send(sv[0], big, sizeof(big), 0) == (ssize_t)sizeof(big), "send big");
		is_int(rp_msg_recv(sv[1], rbuf, &m), RP_E_PROTO, "oversized frame refused");
	}
	close(sv[0]);
	is_int(rp_msg_recv(sv[1], rbuf, &m), RP_E_CLOSED, "closed peer");
	close(sv[1]);
}

static void
test_malformed(void)
{
	struct rp_msg m;
	struct rp_str s;
	uint8_t f[32] = { 0 };

	is_int(rp_msg_parse(f, 7, &m), RP_E_PROTO, "short header");
	f[0] = RP_MSG_PING; f[4] = 8;
	is_int(rp_msg_parse(f, 16, &m), 0, "well-formed ping frame");
	is_int(rp_msg_parse(f, 15, &m), RP_E_PROTO, "length disagrees (short)");
	is_int(rp_msg_parse(f, 17, &m), RP_E_PROTO, "length disagrees (long)");
	f[0] = 0;
	is_int(rp_msg_parse(f, 16, &m), RP_E_PROTO, "type 0 unknown");
	f[0] = RP_MSG_TYPE_MAX;
	is_int(rp_msg_parse(f, 16, &m), RP_E_PROTO, "type past the last unknown");
	f[0] = 7;
	is_int(rp_msg_parse(f, 16, &m), RP_E_PROTO, "type in a gap of the enum unknown");
	f[0] = 0xff; f[1] = 0xff; f[2] = 0xff; f[3] = 0xff;
	is_int(rp_msg_parse(f, 16, &m), RP_E_PROTO, "huge type unknown");
	/* A string whose length runs past the payload. */
	memset(f, 0, sizeof(f));
	f[0] = RP_MSG_ACCESS; f[4] = 6; f[8] = 10;	/* claims 10 bytes, has 2 */
	is_int(rp_msg_parse(f, 14, &m), 0, "frame ok");
	is_int(rp_msg_get_str(&m, &s, 64), RP_E_PROTO, "string past end refused");
	ok(s.p == NULL && s.n == 0, "string out-param cleared");
	/* A string over the caller's limit. */
	f[8] = 2;
	is_int(rp_msg_parse(f, 14, &m), 0, "frame ok");
	is_int(rp_msg_get_str(&m, &s, 1), RP_E_PROTO, "string over max refused");
	is_int(rp_msg_parse(f, 14, &m), 0, "frame ok");
	ok(rp_msg_get_str(&m, &s, 2) == 0 && s.n == 2, "string at max accepted");
	/* Leftover bytes. */
	f[4] = 7;
	is_int(rp_msg_parse(f, 15, &m), 0, "frame with a trailing byte");
	ok(rp_msg_get_str(&m, &s, 2) == 0, "read the string");
	is_int(rp_msg_end(&m), RP_E_PROTO, "leftover bytes refused");
}

static void
test_writer_cap(void)
{
	static char big[RP_MSG_MAX_PAYLOAD];
	struct rp_str s = { big, sizeof(big) };

	rp_msgw_begin(&w, RP_MSG_ACCESS);
	rp_msgw_put_str(&w, s);			/* 4 + max > max payload */
	is_int(w.err, RP_E_TOOBIG, "writer refuses an oversized field");
	rp_msgw_put_u32(&w, 1);
	is_int(w.err, RP_E_TOOBIG, "writer error is sticky");
	is_int(rp_msgw_send(-1, &w, 0), RP_E_TOOBIG, "send reports the sticky error");
}

int
main(void)
{
	test_roundtrip();
	test_malformed();
	test_writer_cap();
	return tap_done();
}
