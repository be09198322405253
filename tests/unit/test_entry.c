/* SPDX-License-Identifier: ISC */
/*
 * test_entry.c — access-log entry codec (src/alog/entry.c): round trip,
 * byte layout, every rejection of the encoder, stamper and decoder, names.
 */
#include "util/common.h"
#include "alog/entry.h"
#include "tap.h"

static uint8_t recs[RP_ALOG_MAX_RECORDS + 1][RP_ALOG_PSEUDONYM_LEN];

static void
sample(struct rp_alog_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->action = RP_ALOG_GET;
	e->role = RP_ROLE_COUNTER;
	e->outcome = RP_OUTCOME_OK;
	e->fields = RP_FIELD_NAME | RP_FIELD_EMAIL;
	e->tenant = 0x01020304;
	e->node = RP_STR_LIT("web/1");
	e->actor = RP_STR_LIT("staff:counter1");
	e->purpose = RP_STR_LIT("order_view");
	for (int i = 0; i < RP_ALOG_REQID_LEN; i++)
		e->request_id[i] = (uint8_t)(0xa0 + i);
	e->n_records = 3;
	e->records = &recs[0][0];
}

/* Encodes e, stamps at t, decodes into d: 0 or the first error. */
static int
roundtrip(const struct rp_alog_entry *e, uint64_t t, struct rp_buf *body,
    struct rp_buf *whole, struct rp_alog_entry *d)
{
	int r;

	if ((r = rp_alog_body_encode(e, body)) != 0)
		return r;
	if ((r = rp_alog_entry_stamp(rp_buf_str(body), t, whole)) != 0)
		return r;
	return rp_alog_entry_decode(rp_buf_str(whole), d);
}

static int
decode_bytes(const uint8_t *p, size_t n, struct rp_alog_entry *d)
{
	return rp_alog_entry_decode((struct rp_str){ (const char *)p, n }, d);
}

static bool
zeroed(const struct rp_alog_entry *d)
{
	static const struct rp_alog_entry z;

	return memcmp(d, &z, sizeof(z)) == 0;
}

int
main(void)
{
	struct rp_alog_entry e, d;
	struct rp_buf body, whole;
	uint8_t *w;
	size_t n;
	char longs[RP_ALOG_MAX_STR + 2];

	for (size_t i = 0; i < RP_ARRAY_LEN(recs); i++)
		for (size_t j = 0; j < RP_ALOG_PSEUDONYM_LEN; j++)
			recs[i][j] = (uint8_t)(i * 31 + j);
	rp_buf_init(&body, RP_ALOG_MAX_ENTRY);
	rp_buf_init(&whole, RP_ALOG_MAX_ENTRY);

	/* Round trip. */
	sample(&e);
	is_int(roundtrip(&e, 1700000000123ull, &body, &whole, &d), 0,
	    "round trip");
	is_int(d.version, 1, "version");
	ok(d.time_ms == 1700000000123ull, "time_ms");
	is_int(d.action, RP_ALOG_GET, "action");
	is_int(d.role, RP_ROLE_COUNTER, "role");
	is_int(d.outcome, RP_OUTCOME_OK, "outcome");
	is_int(d.fields, RP_FIELD_NAME | RP_FIELD_EMAIL, "fields");
	ok(d.tenant == 0x01020304, "tenant");
	ok(rp_str_eq_c(d.node, "web/1"), "node");
	ok(rp_str_eq_c(d.actor, "staff:counter1"), "actor");
	ok(rp_str_eq_c(d.purpose, "order_view"), "purpose");
	ok(memcmp(d.request_id, e.request_id, 16) == 0, "request id");
	is_int(d.n_records, 3, "n_records");
	ok(memcmp(d.records, recs, 48) == 0, "records");

	/* Exact layout. */
	n = 11 + 1 + 5 + 1 + 14 + 1 + 10 + 16 + 2 + 48;
	is_int(body.len, n, "body length");
	is_int(whole.len, n + 9, "entry length");
	w = (uint8_t *)whole.d;
	ok(w[0] == 1 && w[1] == 0 && w[2] == 0 && w[3] == 0x01 &&
	    w[4] == 0x8b && w[8] == 0x7b, "version, big-endian time");
	ok(w[9] == RP_ALOG_GET && w[10] == RP_ROLE_COUNTER && w[11] == 0,
	    "action role outcome");
	ok(w[12] == 0 && w[15] == 5 && w[16] == 1 && w[19] == 4,
	    "fields, tenant big-endian");
	ok(w[20] == 5 && memcmp(w + 21, "web/1", 5) == 0, "node prefix");
	ok(w[n + 9 - 48 - 2] == 0 && w[n + 9 - 48 - 1] == 3, "n_records u16");

	/* Empty strings, no records, every enum edge. */
	sample(&e);
	e.node = e.actor = e.purpose = RP_STR_NULL;
	e.n_records = 0;
	e.records = NULL;
	e.action = RP_ALOG_HEARTBEAT;
	e.role = RP_ROLE_LOG;
	e.outcome = RP_OUTCOME_ERROR;
	e.fields = RP_FIELD_ALL;
	is_int(roundtrip(&e, UINT64_MAX, &body, &whole, &d), 0,
	    "minimal entry round trip");
	ok(d.records == NULL && d.n_records == 0 && d.node.n == 0,
	    "minimal entry fields");
	ok(d.time_ms == UINT64_MAX, "max time");

	/* Largest entry. */
	sample(&e);
	memset(longs, 'x', sizeof(longs));
	e.node = e.actor = e.purpose = (struct rp_str){ longs, RP_ALOG_MAX_STR };
	e.n_records = RP_ALOG_MAX_RECORDS;
	is_int(roundtrip(&e, 5, &body, &whole, &d), 0, "largest entry");
	is_int(d.n_records, RP_ALOG_MAX_RECORDS, "4000 records");
	ok(whole.len <= RP_ALOG_MAX_ENTRY, "fits the bundle limit");

	/* Encoder rejections. */
#define ENC_BAD(mut, what) do {						\
	sample(&e);							\
	mut;								\
	is_int(rp_alog_body_encode(&e, &body), RP_E_INVAL, what);	\
	is_int(body.len, 0, what " leaves out empty");			\
} while (0)
	ENC_BAD(e.action = 0, "action 0");
	ENC_BAD(e.action = 7, "action 7");
	ENC_BAD(e.role = RP_ROLE_MAX, "role max");
	ENC_BAD(e.outcome = 4, "outcome 4");
	ENC_BAD(e.fields = 0x100, "unknown field bit");
	ENC_BAD(e.node = RP_STR_LIT("web 1"), "space in node");
	ENC_BAD(e.actor = RP_STR_LIT("a\x7f"), "DEL in actor");
	ENC_BAD(e.purpose = RP_STR_LIT("\xc3\xa9"), "non-ASCII purpose");
	ENC_BAD(e.node = ((struct rp_str){ longs, RP_ALOG_MAX_STR + 1 }),
	    "string too long");
	ENC_BAD(e.n_records = RP_ALOG_MAX_RECORDS + 1, "too many records");
	ENC_BAD(e.records = NULL, "records NULL");
	{
		struct rp_buf small;

		rp_buf_init(&small, 10);
		sample(&e);
		is_int(rp_alog_body_encode(&e, &small), RP_E_TOOBIG,
		    "buffer cap");
		rp_buf_release(&small);
	}

	/* Stamp rejects bad bodies. */
	sample(&e);
	is_int(rp_alog_body_encode(&e, &body), 0, "encode for stamp");
	is_int(rp_alog_entry_stamp((struct rp_str){ body.d, body.len - 1 }, 1,
	    &whole), RP_E_INVAL, "stamp: short body");
	is_int(whole.len, 0, "stamp failure leaves out empty");
	rp_buf_add_ch(&body, 0);
	is_int(rp_alog_entry_stamp(rp_buf_str(&body), 1, &whole), RP_E_INVAL,
	    "stamp: trailing byte");
	is_int(rp_alog_entry_stamp(RP_STR_NULL, 1, &whole), RP_E_INVAL,
	    "stamp: empty body");
	body.d[0] = 9;
	is_int(rp_alog_entry_stamp((struct rp_str){ body.d, body.len - 1 }, 1,
	    &whole), RP_E_INVAL, "stamp: bad action");

	/* Decoder rejections, each from a valid entry with one change. */
	sample(&e);
	is_int(roundtrip(&e, 77, &body, &whole, &d), 0, "base entry");
	w = malloc(whole.len + 1);
	n = whole.len;
#define DEC_BAD(off, val, what) do {					\
	memcpy(w, whole.d, n);						\
	w[off] = (uint8_t)(val);					\
	is_int(decode_bytes(w, n, &d), RP_E_INVAL, what);		\
	ok(zeroed(&d), what " zeroes the entry");			\
} while (0)
	memcpy(w, whole.d, n);
	is_int(decode_bytes(w, n, &d), 0, "copy decodes");
	DEC_BAD(0, 0, "version 0");
	DEC_BAD(0, 2, "version 2");
	DEC_BAD(9, 0, "decode action 0");
	DEC_BAD(9, 7, "decode action 7");
	DEC_BAD(10, RP_ROLE_MAX, "decode role");
	DEC_BAD(11, 4, "decode outcome");
	DEC_BAD(14, 1, "decode unknown field bit");
	DEC_BAD(21, ' ', "decode space in node");
	DEC_BAD(21, 0, "decode NUL in node");
	DEC_BAD(20, 6, "node length runs into actor length");
	DEC_BAD(20, 200, "node length past the end");
	DEC_BAD(n - 49, 4, "n_records too big for the data");
	DEC_BAD(n - 49, 2, "n_records too small for the data");
	DEC_BAD(n - 50, 0xff, "n_records over 4000");
	memcpy(w, whole.d, n);
	for (size_t k = 0; k < n; k++)
		if (decode_bytes(w, k, &d) != RP_E_INVAL) {
			ok(0, "every truncation is refused");
			break;
		} else if (k == n - 1)
			ok(1, "every truncation is refused");
	w[n] = 0;
	is_int(decode_bytes(w, n + 1, &d), RP_E_INVAL, "trailing byte");
	is_int(decode_bytes(NULL, 0, &d), RP_E_INVAL, "empty input");
	free(w);

	/* Names. */
	is_str(rp_alog_action_name(RP_ALOG_GET), "get", "action name");
	is_str(rp_alog_action_name(0), "?", "unknown action name");
	is_str(rp_alog_role_name(RP_ROLE_PUBLIC_WEB), "public_web", "role name");
	is_str(rp_alog_role_name(99), "?", "unknown role name");
	is_str(rp_alog_outcome_name(RP_OUTCOME_NOT_FOUND), "not_found",
	    "outcome name");
	is_str(rp_alog_outcome_name(4), "?", "unknown outcome");
	is_str(rp_alog_field_name(2), "email", "field name");
	is_str(rp_alog_field_name(8), "?", "unknown field");
	is_int(rp_alog_action_parse(RP_STR_LIT("heartbeat")), RP_ALOG_HEARTBEAT,
	    "action parse");
	is_int(rp_alog_action_parse(RP_STR_LIT("GET")), -1, "action parse case");
	is_int(rp_alog_role_parse(RP_STR_LIT("incident")), RP_ROLE_INCIDENT,
	    "role parse");
	is_int(rp_alog_role_parse(RP_STR_LIT("")), -1, "role parse empty");
	for (unsigned r = 0; r < RP_ROLE_MAX; r++)
		if (rp_alog_role_parse(rp_str_c(rp_alog_role_name(r))) != (int)r)
			ok(0, "role names round trip");
	ok(1, "role names round trip");

	rp_buf_release(&body);
	rp_buf_release(&whole);
	return tap_done();
}
