/* SPDX-License-Identifier: ISC */
/*
 * entry.c — encoder, stamper and strict decoder of access-log entries
 * (format in entry.h).  The vault encodes bodies; the log writer stamps
 * them (after decoding them: a body from the vault is untrusted input) and
 * `rentport log show|verify` decodes whole entries read back from files.
 * Decoding accepts exactly what encoding produces: one byte string per
 * entry, so a re-encoded entry is byte-identical (the fuzz target checks).
 */
#include "util/common.h"
#include "alog/entry.h"

static const char *const action_names[] = {
	[RP_ALOG_PUT] = "put",
	[RP_ALOG_GET] = "get",
	[RP_ALOG_FIND] = "find",
	[RP_ALOG_ERASE] = "erase",
	[RP_ALOG_REFUSED] = "refused",
	[RP_ALOG_HEARTBEAT] = "heartbeat",
};

static const char *const role_names[] = {
	[RP_ROLE_NONE] = "none",
	[RP_ROLE_PUBLIC_WEB] = "public_web",
	[RP_ROLE_CORPORATE_WEB] = "corporate_web",
	[RP_ROLE_COUNTER] = "counter",
	[RP_ROLE_MAILER] = "mailer",
	[RP_ROLE_BACKOFFICE] = "backoffice",
	[RP_ROLE_CLIENT_ADMIN] = "client_admin",
	[RP_ROLE_INCIDENT] = "incident",
	[RP_ROLE_SEED] = "seed",
	[RP_ROLE_LOG] = "log",
	[RP_ROLE_SECURITY] = "security",
};

static const char *const outcome_names[] = {
	[RP_OUTCOME_OK] = "ok",
	[RP_OUTCOME_REFUSED] = "refused",
	[RP_OUTCOME_NOT_FOUND] = "not_found",
	[RP_OUTCOME_ERROR] = "error",
};

static const char *const field_names[] = {
	"name", "kana", "email", "phone", "postal_code", "address", "company",
	"department",
};

static bool
action_valid(unsigned a)
{
	return a >= RP_ALOG_PUT && a <= RP_ALOG_HEARTBEAT;
}

static bool
role_valid(unsigned r)
{
	return r < RP_ROLE_MAX;
}

static bool
outcome_valid(unsigned o)
{
	return o <= RP_OUTCOME_ERROR;
}

/* Printable ASCII without space, at most RP_ALOG_MAX_STR bytes. */
static bool
str_valid(struct rp_str s)
{
	if (s.n > RP_ALOG_MAX_STR || (s.n > 0 && s.p == NULL))
		return false;
	return rp_str_printable(s);
}

/* Bytes the body of e takes (e already validated). */
static size_t
body_len(const struct rp_alog_entry *e)
{
	return 3 + 4 + 4 + 3 + e->node.n + e->actor.n + e->purpose.n +
	    RP_ALOG_REQID_LEN + 2 + (size_t)e->n_records * RP_ALOG_PSEUDONYM_LEN;
}

int
rp_alog_body_encode(const struct rp_alog_entry *e, struct rp_buf *out)
{
	uint8_t fixed[11], u16[2];
	uint8_t len;
	int r;

	rp_buf_reset(out);
	if (!action_valid(e->action) || !role_valid(e->role) ||
	    !outcome_valid(e->outcome) || (e->fields & ~RP_FIELD_ALL) != 0 ||
	    !str_valid(e->node) || !str_valid(e->actor) ||
	    !str_valid(e->purpose) || e->n_records > RP_ALOG_MAX_RECORDS ||
	    (e->n_records > 0 && e->records == NULL))
		return RP_E_INVAL;
	if (RP_ALOG_HEADER_LEN + body_len(e) > RP_ALOG_MAX_ENTRY)
		return RP_E_TOOBIG;
	fixed[0] = e->action;
	fixed[1] = e->role;
	fixed[2] = e->outcome;
	rp_be_put(fixed + 3, e->fields, 4);
	rp_be_put(fixed + 7, e->tenant, 4);
	rp_buf_add(out, fixed, sizeof(fixed));
	len = (uint8_t)e->node.n;
	rp_buf_add(out, &len, 1);
	rp_buf_add_str(out, e->node);
	len = (uint8_t)e->actor.n;
	rp_buf_add(out, &len, 1);
	rp_buf_add_str(out, e->actor);
	len = (uint8_t)e->purpose.n;
	rp_buf_add(out, &len, 1);
	rp_buf_add_str(out, e->purpose);
	rp_buf_add(out, e->request_id, RP_ALOG_REQID_LEN);
	rp_be_put(u16, e->n_records, 2);
	rp_buf_add(out, u16, 2);
	r = rp_buf_add(out, e->records,
	    (size_t)e->n_records * RP_ALOG_PSEUDONYM_LEN);
	if (r != 0)
		rp_buf_reset(out);
	return r;
}

/* Cursor over untrusted bytes: takes n bytes or fails. */
static bool
take(struct rp_str *cur, size_t n, const uint8_t **p)
{
	if (cur->n < n)
		return false;
	*p = (const uint8_t *)cur->p;
	cur->p += n;
	cur->n -= n;
	return true;
}

static bool
take_str(struct rp_str *cur, struct rp_str *s)
{
	const uint8_t *p, *q;

	if (!take(cur, 1, &p) || !take(cur, *p, &q))
		return false;
	s->p = (const char *)q;
	s->n = *p;
	return str_valid(*s);
}

/* Decodes a body (everything after time_ms) into e; e's header untouched. */
static int
decode_body(struct rp_str cur, struct rp_alog_entry *e)
{
	const uint8_t *p;

	if (!take(&cur, 11, &p))
		return RP_E_INVAL;
	e->action = p[0];
	e->role = p[1];
	e->outcome = p[2];
	e->fields = (uint32_t)rp_be_get(p + 3, 4);
	e->tenant = (uint32_t)rp_be_get(p + 7, 4);
	if (!action_valid(e->action) || !role_valid(e->role) ||
	    !outcome_valid(e->outcome) || (e->fields & ~RP_FIELD_ALL) != 0)
		return RP_E_INVAL;
	if (!take_str(&cur, &e->node) || !take_str(&cur, &e->actor) ||
	    !take_str(&cur, &e->purpose))
		return RP_E_INVAL;
	if (!take(&cur, RP_ALOG_REQID_LEN, &p))
		return RP_E_INVAL;
	memcpy(e->request_id, p, RP_ALOG_REQID_LEN);
	if (!take(&cur, 2, &p))
		return RP_E_INVAL;
	e->n_records = (uint16_t)rp_be_get(p, 2);
	if (e->n_records > RP_ALOG_MAX_RECORDS ||
	    cur.n != (size_t)e->n_records * RP_ALOG_PSEUDONYM_LEN)
		return RP_E_INVAL;
	e->records = e->n_records > 0 ? (const uint8_t *)cur.p : NULL;
	return 0;
}

int
rp_alog_entry_decode(struct rp_str data, struct rp_alog_entry *e)
{
	const uint8_t *p;
	int r;

	memset(e, 0, sizeof(*e));
	if (data.n > RP_ALOG_MAX_ENTRY || (data.n > 0 && data.p == NULL) ||
	    !take(&data, RP_ALOG_HEADER_LEN, &p) ||
	    p[0] != RP_ALOG_ENTRY_VERSION) {
		r = RP_E_INVAL;
		goto out;
	}
	e->version = p[0];
	e->time_ms = rp_be_get(p + 1, 8);
	r = decode_body(data, e);
 out:
	if (r != 0)
		memset(e, 0, sizeof(*e));
	return r;
}

int
rp_alog_entry_stamp(struct rp_str body, uint64_t time_ms, struct rp_buf *out)
{
	struct rp_alog_entry e;
	uint8_t hdr[RP_ALOG_HEADER_LEN];
	int r;

	rp_buf_reset(out);
	if (body.n > RP_ALOG_MAX_ENTRY - RP_ALOG_HEADER_LEN)
		return RP_E_TOOBIG;
	memset(&e, 0, sizeof(e));
	if ((body.n > 0 && body.p == NULL) || decode_body(body, &e) != 0)
		return RP_E_INVAL;
	hdr[0] = RP_ALOG_ENTRY_VERSION;
	rp_be_put(hdr + 1, time_ms, 8);
	rp_buf_add(out, hdr, sizeof(hdr));
	if ((r = rp_buf_add_str(out, body)) != 0)
		rp_buf_reset(out);
	return r;
}

const char *
rp_alog_action_name(unsigned a)
{
	return action_valid(a) ? action_names[a] : "?";
}

const char *
rp_alog_role_name(unsigned r)
{
	return role_valid(r) ? role_names[r] : "?";
}

const char *
rp_alog_outcome_name(unsigned o)
{
	return outcome_valid(o) ? outcome_names[o] : "?";
}

const char *
rp_alog_field_name(unsigned bit_index)
{
	return bit_index < RP_ARRAY_LEN(field_names) ? field_names[bit_index] :
	    "?";
}

int
rp_alog_action_parse(struct rp_str s)
{
	for (unsigned a = RP_ALOG_PUT; a <= RP_ALOG_HEARTBEAT; a++)
		if (rp_str_eq_c(s, action_names[a]))
			return (int)a;
	return -1;
}

int
rp_alog_role_parse(struct rp_str s)
{
	for (unsigned r = 0; r < RP_ROLE_MAX; r++)
		if (rp_str_eq_c(s, role_names[r]))
			return (int)r;
	return -1;
}
