/* SPDX-License-Identifier: ISC */
/*
 * cli.c — `rentport log verifier-key|verify|prove|consistency|show|range`
 * (see cli.h).  An operator tool run outside the services: it reads the
 * files of DATA/alog/ with verify.h's readers, treats them as untrusted,
 * and prints what it found.  Entries hold no personal data (pseudonyms
 * only), so printing them is safe.
 */
#include "util/common.h"

#include <jansson.h>

#include "alog/b64.h"
#include "alog/cli.h"
#include "alog/entry.h"
#include "alog/merkle.h"
#include "alog/tile.h"
#include "alog/verify.h"

#define HLEN RP_MERKLE_HASH_LEN

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct ctx {
	const struct rp_conf *conf;
	FILE *out, *err;
	char alog_dir[PATH_MAX];
	char witness_file[PATH_MAX];
};

/* ---- time ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool
digits(const char *p, size_t n, unsigned *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (unsigned)(p[i] - '0');
	}
	return true;
}

int
rp_log_parse_time(struct rp_str s, uint64_t *ms)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	unsigned y, mo, d, h = 0, mi = 0, se = 0, frac = 0, oh, om;
	int64_t t, off = 0;
	size_t i = 19, nd;

	*ms = 0;
	if (s.n > 0 && s.n <= 16 && s.p[0] >= '0' && s.p[0] <= '9' &&
	    memchr(s.p, '-', s.n) == NULL)
		return rp_str_to_u64(s, UINT64_MAX / 2, ms) == 0 ? 0 :
		    RP_E_INVAL;
	if (s.n < 10 || s.n > 40 || !digits(s.p, 4, &y) || s.p[4] != '-' ||
	    !digits(s.p + 5, 2, &mo) || s.p[7] != '-' ||
	    !digits(s.p + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] || y < 1970)
		return RP_E_INVAL;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))
		return RP_E_INVAL;
	if (s.n > 10) {
		if (s.n < 20 || (s.p[10] != 'T' && s.p[10] != 't' &&
		    s.p[10] != ' ') || !digits(s.p + 11, 2, &h) ||
		    s.p[13] != ':' || !digits(s.p + 14, 2, &mi) ||
		    s.p[16] != ':' || !digits(s.p + 17, 2, &se) || h > 23 ||
		    mi > 59 || se > 60)
			return RP_E_INVAL;
		if (se == 60)
			se = 59;	/* a leap second: clamp */
		if (s.p[i] == '.') {
			for (nd = 0, i++; i < s.n && s.p[i] >= '0' &&
			    s.p[i] <= '9'; i++, nd++)
				if (nd < 3)
					frac = frac * 10 +
					    (unsigned)(s.p[i] - '0');
			if (nd == 0)
				return RP_E_INVAL;
			for (; nd < 3; nd++)
				frac *= 10;
		}
		if (i == s.n - 1 && (s.p[i] == 'Z' || s.p[i] == 'z')) {
			off = 0;
		} else if (i + 6 == s.n && (s.p[i] == '+' || s.p[i] == '-') &&
		    digits(s.p + i + 1, 2, &oh) && s.p[i + 3] == ':' &&
		    digits(s.p + i + 4, 2, &om) && oh <= 23 && om <= 59) {
			off = ((int64_t)oh * 60 + om) * 60;
			if (s.p[i] == '-')
				off = -off;
		} else {
			return RP_E_INVAL;
		}
	}
	t = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 +
	    (int64_t)mi * 60 + se - off;
	if (t < 0)
		return RP_E_INVAL;
	*ms = (uint64_t)t * 1000 + frac;
	return 0;
}

void
rp_log_format_time(uint64_t ms, char *out, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms / 1000 > (uint64_t)INT64_MAX / 2 || gmtime_r(&t, &tm) == NULL) {
		snprintf(out, cap, "@%" PRIu64, ms);
		return;
	}
	snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
}

/* ---- small helpers ---- */

static void
b64_print(FILE *f, const uint8_t *p, size_t n)
{
	struct rp_buf b;

	rp_buf_init(&b, 1024);
	if (rp_b64_encode(p, n, &b) == 0)
		fputs(b.d, f);
	rp_buf_release(&b);
}

static bool
is_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") ==
		    0)
			return true;
	return false;
}

/*
 * Matches "--name=value" or "--name value" at argv[*i]; *i advances past
 * the value.  -1 if the flag is given without a value.
 */
static int
opt_val(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != 0)
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

static bool
parse_u64(const char *s, uint64_t *v)
{
	return rp_str_to_u64(rp_str_c(s), UINT64_MAX, v) == 0;
}

static int
usage_err(struct ctx *c, const char *cmd, const char *what)
{
	fprintf(c->err, "log %s: %s (try: rentport log %s --help)\n", cmd,
	    what, cmd);
	return EXIT_USAGE;
}

/* Reads and verifies the checkpoint; prints the reason on failure. */
static int
load_head(struct ctx *c, const char *cmd, struct rp_alog_head *h)
{
	struct rp_buf msg;
	int r;

	rp_buf_init(&msg, 1024);
	r = rp_alog_head_load(h, c->alog_dir, c->conf->witness_vkey,
	    c->witness_file, &msg);
	if (r != 0)
		fprintf(c->err, "log %s: %s\n", cmd, msg.d ? msg.d : "failed");
	rp_buf_release(&msg);
	return r;
}

/* ---- verifier-key ---- */

static int
cmd_vkey(struct ctx *c, int argc, char **argv)
{
	struct rp_note_verifier v;
	char path[PATH_MAX + 8];
	char line[RP_NOTE_VKEY_MAX + 8];
	size_t n;
	FILE *f;

	if (is_help(argc, argv)) {
		fprintf(c->out, "usage: rentport log verifier-key\n"
		    "Prints the access log's signed-note verifier key "
		    "(DATA/alog/vkey: name+hex id+base64).\n");
		return EXIT_OK;
	}
	if (argc > 1)
		return usage_err(c, "verifier-key", "no arguments expected");
	snprintf(path, sizeof(path), "%s/vkey", c->alog_dir);
	if ((f = fopen(path, "re")) == NULL) {
		fprintf(c->err, "log verifier-key: cannot read %s\n", path);
		return EXIT_FAIL;
	}
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = 0;
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = 0;
	if (rp_note_verifier_parse((struct rp_str){ line, n }, &v) != 0 ||
	    v.alg != RP_NOTE_ALG_ED25519) {
		fprintf(c->err, "log verifier-key: %s is not a valid "
		    "Ed25519 verifier key\n", path);
		return EXIT_FAIL;
	}
	fprintf(c->out, "%s\n", line);
	return EXIT_OK;
}

/* ---- verify ---- */

static int
cmd_verify(struct ctx *c, int argc, char **argv)
{
	struct rp_alog_vopts o;
	struct rp_alog_vresult res;
	struct rp_buf msg;
	const char *v;
	bool stats = false;
	uint64_t th = 0;
	char tbuf[40];
	int i, r, k;

	if (is_help(argc, argv)) {
		fprintf(c->out, "usage: rentport log verify [--stats] "
		    "[--threads N]\n"
		    "Checks the checkpoint's log signature (DATA/alog/vkey, "
		    "origin DATA/alog/origin) and\nwitness cosignature "
		    "(witness_vkey or DATA/witness/vkey when known), every "
		    "wal\nrecord, entry bundle and tile, and the root.  Exit "
		    "0 if all holds, 1 naming\nthe first bad index and file "
		    "otherwise.  --stats prints entries/s.\n");
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--stats") == 0) {
			stats = true;
		} else if ((k = opt_val(argc, argv, &i, "--threads", &v))
		    != 0) {
			if (k < 0 || !parse_u64(v, &th) || th < 1 || th > 16)
				return usage_err(c, "verify",
				    "--threads takes 1..16");
		} else {
			return usage_err(c, "verify", "unknown argument");
		}
	}
	memset(&o, 0, sizeof(o));
	o.alog_dir = c->alog_dir;
	o.witness_vkey = c->conf->witness_vkey;
	o.witness_vkey_file = c->witness_file;
	o.threads = (unsigned)th;
	rp_buf_init(&msg, 1024);
	r = rp_alog_verify(&o, &res, &msg);
	if (r != 0) {
		fprintf(c->err, "log verify: %s\n", msg.d ? msg.d :
		    rp_strerror(r));
		if (res.failures > 1)
			fprintf(c->err, "log verify: FAILED (%" PRIu64
			    " problems found; the first is shown)\n",
			    res.failures);
		else
			fprintf(c->err, "log verify: FAILED\n");
		rp_buf_release(&msg);
		return EXIT_FAIL;
	}
	rp_buf_release(&msg);
	fprintf(c->out, "log verify: OK, %" PRIu64 " entries, root ",
	    res.size);
	b64_print(c->out, res.root, HLEN);
	fprintf(c->out, ", checkpoint signed by %s", res.log_name);
	if (res.cosigned) {
		rp_log_format_time(res.cosig_time * 1000, tbuf, sizeof(tbuf));
		fprintf(c->out, ", cosigned by %s at %s\n", res.witness_name,
		    tbuf);
	} else {
		fprintf(c->out, ", no witness key known: cosignature not "
		    "checked\n");
	}
	if (res.wal_entries > res.size)
		fprintf(c->out, "log verify: unverified tail: %" PRIu64
		    " entries after the checkpoint (structure checked)\n",
		    res.wal_entries - res.size);
	if (res.torn)
		fprintf(c->out, "log verify: torn tail: an incomplete record "
		    "after entry %" PRIu64 " (a crash or a write in "
		    "progress; the writer cuts it at start)\n",
		    res.wal_entries);
	if (stats)
		fprintf(c->out, "log verify: %" PRIu64 " wal entries in %.3f "
		    "s: %.0f entries/s\n", res.wal_entries, res.seconds,
		    res.seconds > 0 ? (double)res.wal_entries / res.seconds :
		    0.0);
	return EXIT_OK;
}

/* ---- prove, consistency ---- */

/* Root at n from the stored tiles (reader at the checkpoint's size). */
static int
tiles_root(struct rp_tile_reader *rd, uint64_t n, uint8_t out[HLEN])
{
	return rp_merkle_root_at(rp_tile_reader_hash, rd, n, out);
}

static void
print_proof(FILE *f, const uint8_t *proof, size_t n)
{
	size_t i;

	fputc('\n', f);
	for (i = 0; i < n; i++) {
		b64_print(f, proof + i * HLEN, HLEN);
		fputc('\n', f);
	}
}

static int
cmd_prove(struct ctx *c, int argc, char **argv)
{
	struct rp_alog_head h;
	struct rp_tile_reader rd;
	struct rp_alog_wal wal;
	struct rp_str e;
	uint8_t proof[RP_MERKLE_MAX_PROOF * HLEN], leaf[HLEN], root[HLEN];
	char walpath[PATH_MAX + 8];
	uint64_t idx = 0, size = 0;
	bool have_idx = false, have_size = false;
	const char *v;
	size_t plen = 0;
	int i, k, r, ex = EXIT_FAIL;

	if (is_help(argc, argv)) {
		fprintf(c->out, "usage: rentport log prove INDEX [--size N]\n"
		    "Prints the inclusion proof of entry INDEX in the tree of "
		    "the checkpoint's size\n(or N <= it): a header (index, "
		    "size, leaf hash, root), a blank line, then the\naudit "
		    "path, one base64 hash per line, nearest sibling first.  "
		    "The proof is built\nfrom the stored tiles and checked "
		    "before it is printed.\n");
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		if ((k = opt_val(argc, argv, &i, "--size", &v)) != 0) {
			if (k < 0 || !parse_u64(v, &size))
				return usage_err(c, "prove", "bad --size");
			have_size = true;
		} else if (!have_idx && parse_u64(argv[i], &idx)) {
			have_idx = true;
		} else {
			return usage_err(c, "prove", "unexpected argument");
		}
	}
	if (!have_idx)
		return usage_err(c, "prove", "INDEX required");
	memset(&wal, 0, sizeof(wal));
	if (load_head(c, "prove", &h) != 0) {
		rp_alog_head_release(&h);
		return EXIT_FAIL;
	}
	if (!have_size)
		size = h.cp.size;
	if (size > h.cp.size || idx >= size) {
		fprintf(c->err, "log prove: need INDEX < size <= %" PRIu64
		    " (the checkpoint's size)\n", h.cp.size);
		rp_alog_head_release(&h);
		return EXIT_USAGE;
	}
	if (rp_tile_reader_init(&rd, h.cp.size, rp_alog_verify_tile_load,
	    c->alog_dir) != 0) {
		fprintf(c->err, "log prove: out of memory\n");
		goto out;
	}
	snprintf(walpath, sizeof(walpath), "%s/wal", c->alog_dir);
	if ((r = rp_alog_wal_open(&wal, walpath)) != 0 ||
	    rp_alog_wal_entry(&wal, idx, &e, NULL) != 0) {
		fprintf(c->err, "log prove: entry %" PRIu64 " (wal): cannot "
		    "read it\n", idx);
		goto out;
	}
	rp_merkle_leaf_hash(e.p, e.n, leaf);
	if ((r = tiles_root(&rd, size, root)) != 0) {
		fprintf(c->err, "log prove: cannot compute the root at size %"
		    PRIu64 " from the tiles (%s)\n", size, rp_strerror(r));
		goto out;
	}
	if (size == h.cp.size && memcmp(root, h.cp.root, HLEN) != 0) {
		fprintf(c->err, "log prove: the tiles' root differs from the "
		    "checkpoint's\n");
		goto out;
	}
	if ((r = rp_merkle_prove_inclusion(rp_tile_reader_hash, &rd, idx,
	    size, proof, &plen)) != 0) {
		fprintf(c->err, "log prove: cannot build the proof from the "
		    "tiles (%s)\n", rp_strerror(r));
		goto out;
	}
	if (rp_merkle_verify_inclusion(idx, size, leaf, proof, plen, root)
	    != 0) {
		fprintf(c->err, "log prove: entry %" PRIu64 ": the proof "
		    "built from the tiles does not verify\n", idx);
		goto out;
	}
	fprintf(c->out, "index %" PRIu64 "\nsize %" PRIu64 "\nleaf ", idx,
	    size);
	b64_print(c->out, leaf, HLEN);
	fputs("\nroot ", c->out);
	b64_print(c->out, root, HLEN);
	fputc('\n', c->out);
	print_proof(c->out, proof, plen);
	ex = EXIT_OK;
 out:
	rp_tile_reader_release(&rd);
	rp_alog_wal_close(&wal);
	rp_alog_head_release(&h);
	return ex;
}

static int
cmd_consistency(struct ctx *c, int argc, char **argv)
{
	struct rp_alog_head h;
	struct rp_tile_reader rd;
	uint8_t proof[RP_MERKLE_MAX_PROOF * HLEN], oroot[HLEN], nroot[HLEN];
	uint64_t m, n;
	size_t plen = 0;
	int r, ex = EXIT_FAIL;

	if (is_help(argc, argv)) {
		fprintf(c->out, "usage: rentport log consistency OLD NEW\n"
		    "Prints the consistency proof from tree size OLD to NEW "
		    "(NEW <= the checkpoint's\nsize): a header (old, new, "
		    "both roots from the stored tiles), a blank line, then\n"
		    "the proof, one base64 hash per line.  Checked before it "
		    "is printed.\n");
		return EXIT_OK;
	}
	if (argc != 3 || !parse_u64(argv[1], &m) || !parse_u64(argv[2], &n) ||
	    m > n)
		return usage_err(c, "consistency", "need OLD NEW with OLD <= "
		    "NEW");
	if (load_head(c, "consistency", &h) != 0) {
		rp_alog_head_release(&h);
		return EXIT_FAIL;
	}
	if (n > h.cp.size) {
		fprintf(c->err, "log consistency: NEW must be <= %" PRIu64
		    " (the checkpoint's size)\n", h.cp.size);
		rp_alog_head_release(&h);
		return EXIT_USAGE;
	}
	if (rp_tile_reader_init(&rd, h.cp.size, rp_alog_verify_tile_load,
	    c->alog_dir) != 0) {
		fprintf(c->err, "log consistency: out of memory\n");
		goto out;
	}
	if ((r = tiles_root(&rd, m, oroot)) != 0 ||
	    (r = tiles_root(&rd, n, nroot)) != 0) {
		fprintf(c->err, "log consistency: cannot compute the roots "
		    "from the tiles (%s)\n", rp_strerror(r));
		goto out;
	}
	if (n == h.cp.size && memcmp(nroot, h.cp.root, HLEN) != 0) {
		fprintf(c->err, "log consistency: the tiles' root differs "
		    "from the checkpoint's\n");
		goto out;
	}
	if ((r = rp_merkle_prove_consistency(rp_tile_reader_hash, &rd, m, n,
	    proof, &plen)) != 0) {
		fprintf(c->err, "log consistency: cannot build the proof "
		    "(%s)\n", rp_strerror(r));
		goto out;
	}
	if (rp_merkle_verify_consistency(m, n, oroot, nroot, proof, plen)
	    != 0) {
		fprintf(c->err, "log consistency: the proof from %" PRIu64
		    " to %" PRIu64 " does not verify\n", m, n);
		goto out;
	}
	fprintf(c->out, "old %" PRIu64 "\nnew %" PRIu64 "\nold-root ", m, n);
	b64_print(c->out, oroot, HLEN);
	fputs("\nnew-root ", c->out);
	b64_print(c->out, nroot, HLEN);
	fputc('\n', c->out);
	print_proof(c->out, proof, plen);
	ex = EXIT_OK;
 out:
	rp_tile_reader_release(&rd);
	rp_alog_head_release(&h);
	return ex;
}

/* ---- show, range ---- */

struct filter {
	bool since_set, until_set, json;
	uint64_t since, until, limit;
	int role, action;		/* -1: any */
};

static void
hex(char *out, const uint8_t *p, size_t n)
{
	static const char x[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = x[p[i] >> 4];
		out[2 * i + 1] = x[p[i] & 15];
	}
	out[2 * n] = 0;
}

static void
print_entry(FILE *f, uint64_t idx, const struct rp_alog_entry *e, bool json)
{
	char tbuf[40], h[2 * RP_ALOG_PSEUDONYM_LEN + 1];
	unsigned b, k;
	bool first = true;

	rp_log_format_time(e->time_ms, tbuf, sizeof(tbuf));
	if (json) {
		json_t *o = json_object(), *fl = json_array(),
		    *rec = json_array();
		char *s;

		if (o == NULL || fl == NULL || rec == NULL) {
			json_decref(o);
			json_decref(fl);
			json_decref(rec);
			return;
		}
		for (b = 0; b < 32; b++)
			if (e->fields & (1u << b))
				json_array_append_new(fl,
				    json_string(rp_alog_field_name(b)));
		for (k = 0; k < e->n_records; k++) {
			hex(h, e->records + (size_t)k * RP_ALOG_PSEUDONYM_LEN,
			    RP_ALOG_PSEUDONYM_LEN);
			json_array_append_new(rec, json_string(h));
		}
		json_object_set_new(o, "index", json_integer((json_int_t)idx));
		json_object_set_new(o, "time", json_string(tbuf));
		json_object_set_new(o, "time_ms",
		    json_integer((json_int_t)e->time_ms));
		json_object_set_new(o, "action",
		    json_string(rp_alog_action_name(e->action)));
		json_object_set_new(o, "role",
		    json_string(rp_alog_role_name(e->role)));
		json_object_set_new(o, "outcome",
		    json_string(rp_alog_outcome_name(e->outcome)));
		json_object_set_new(o, "tenant", json_integer(e->tenant));
		json_object_set_new(o, "node", json_stringn(e->node.p,
		    e->node.n));
		json_object_set_new(o, "actor", json_stringn(e->actor.p,
		    e->actor.n));
		json_object_set_new(o, "purpose", json_stringn(e->purpose.p,
		    e->purpose.n));
		json_object_set_new(o, "fields", fl);
		hex(h, e->request_id, RP_ALOG_REQID_LEN);
		json_object_set_new(o, "request_id", json_string(h));
		json_object_set_new(o, "n_records",
		    json_integer(e->n_records));
		json_object_set_new(o, "records", rec);
		if ((s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) !=
		    NULL) {
			fprintf(f, "%s\n", s);
			free(s);
		}
		json_decref(o);
		return;
	}
	fprintf(f, "%" PRIu64 " %s %s %s %s tenant=%" PRIu32 " node=%.*s "
	    "actor=%.*s purpose=%.*s fields=", idx, tbuf,
	    rp_alog_action_name(e->action), rp_alog_role_name(e->role),
	    rp_alog_outcome_name(e->outcome), e->tenant, (int)e->node.n,
	    e->node.p, (int)e->actor.n, e->actor.p, (int)e->purpose.n,
	    e->purpose.p);
	for (b = 0; b < 32; b++)
		if (e->fields & (1u << b)) {
			fprintf(f, "%s%s", first ? "" : ",",
			    rp_alog_field_name(b));
			first = false;
		}
	if (first)
		fputc('-', f);
	hex(h, e->request_id, RP_ALOG_REQID_LEN);
	fprintf(f, " request=%s records=%u", h, e->n_records);
	for (k = 0; k < e->n_records; k++) {
		hex(h, e->records + (size_t)k * RP_ALOG_PSEUDONYM_LEN,
		    RP_ALOG_PSEUDONYM_LEN);
		fprintf(f, "%c%s", k == 0 ? ' ' : ',', h);
	}
	fputc('\n', f);
}

/* Prints entries [lo, hi) that pass the filter; EXIT_FAIL on bad ones. */
static int
print_range(struct ctx *c, const char *cmd, const struct rp_alog_wal *w,
    uint64_t lo, uint64_t hi, const struct filter *flt)
{
	struct rp_alog_entry e;
	struct rp_str s;
	uint64_t i, shown = 0;
	int ex = EXIT_OK;

	for (i = lo; i < hi; i++) {
		if (rp_alog_wal_entry(w, i, &s, NULL) != 0 ||
		    rp_alog_entry_decode(s, &e) != 0) {
			fprintf(c->err, "log %s: entry %" PRIu64 " (wal): "
			    "malformed entry\n", cmd, i);
			ex = EXIT_FAIL;
			continue;
		}
		if ((flt->since_set && e.time_ms < flt->since) ||
		    (flt->until_set && e.time_ms >= flt->until) ||
		    (flt->role >= 0 && e.role != flt->role) ||
		    (flt->action >= 0 && e.action != flt->action))
			continue;
		if (flt->limit > 0 && shown >= flt->limit)
			break;
		print_entry(c->out, i, &e, flt->json);
		shown++;
	}
	return ex;
}

static int
open_wal(struct ctx *c, const char *cmd, struct rp_alog_wal *w)
{
	char path[PATH_MAX + 8];
	int r;

	snprintf(path, sizeof(path), "%s/wal", c->alog_dir);
	if ((r = rp_alog_wal_open(w, path)) != 0) {
		fprintf(c->err, "log %s: cannot read %s (%s)\n", cmd, path,
		    rp_strerror(r));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Time of entry i straight from its header bytes. */
static int
entry_time(const struct rp_alog_wal *w, uint64_t i, uint64_t *t)
{
	struct rp_str s;
	uint64_t v = 0;
	int k;

	if (rp_alog_wal_entry(w, i, &s, NULL) != 0 ||
	    s.n < RP_ALOG_HEADER_LEN)
		return RP_E_INVAL;
	for (k = 1; k < RP_ALOG_HEADER_LEN; k++)
		v = v << 8 | (uint8_t)s.p[k];
	*t = v;
	return 0;
}

/* First index in [0, count) whose time is >= t (count if none). */
static int
lower_bound(const struct rp_alog_wal *w, uint64_t t, uint64_t *out)
{
	uint64_t lo = 0, hi = w->count, mid, tm;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (entry_time(w, mid, &tm) != 0)
			return RP_E_INVAL;
		if (tm < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	*out = lo;
	return 0;
}

int
rp_log_range_find(const struct rp_alog_wal *w, uint64_t t1, uint64_t t2,
    uint64_t *lo, uint64_t *hi)
{
	int r;

	*lo = *hi = 0;
	if ((r = lower_bound(w, t1, lo)) != 0)
		return r;
	if (t2 <= t1) {
		*hi = *lo;
		return 0;
	}
	if ((r = lower_bound(w, t2, hi)) != 0)
		*lo = *hi = 0;
	return r;
}

static int
parse_filter(struct ctx *c, const char *cmd, int argc, char **argv,
    struct filter *f, char **pos, int *npos)
{
	const char *v;
	int i, k;

	memset(f, 0, sizeof(*f));
	f->role = f->action = -1;
	*npos = 0;
	for (i = 1; i < argc; i++) {
		if ((k = opt_val(argc, argv, &i, "--since", &v)) != 0) {
			if (k < 0 || rp_log_parse_time(rp_str_c(v), &f->since)
			    != 0)
				return usage_err(c, cmd, "bad --since time "
				    "(RFC 3339 or unix ms)");
			f->since_set = true;
		} else if ((k = opt_val(argc, argv, &i, "--until", &v)) != 0) {
			if (k < 0 || rp_log_parse_time(rp_str_c(v), &f->until)
			    != 0)
				return usage_err(c, cmd, "bad --until time "
				    "(RFC 3339 or unix ms)");
			f->until_set = true;
		} else if ((k = opt_val(argc, argv, &i, "--role", &v)) != 0) {
			if (k < 0 || (f->role = rp_alog_role_parse(
			    rp_str_c(v))) < 0)
				return usage_err(c, cmd, "unknown --role");
		} else if ((k = opt_val(argc, argv, &i, "--action", &v))
		    != 0) {
			if (k < 0 || (f->action = rp_alog_action_parse(
			    rp_str_c(v))) < 0)
				return usage_err(c, cmd, "unknown --action");
		} else if ((k = opt_val(argc, argv, &i, "--limit", &v)) != 0) {
			if (k < 0 || !parse_u64(v, &f->limit))
				return usage_err(c, cmd, "bad --limit");
		} else if (strcmp(argv[i], "--json") == 0) {
			f->json = true;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			return usage_err(c, cmd, "unknown flag");
		} else {
			pos[(*npos)++] = argv[i];
		}
	}
	return EXIT_OK;
}

static const char filter_help[] =
    "  --since T      entries with time >= T\n"
    "  --until T      entries with time < T\n"
    "  --role R       public_web, corporate_web, counter, mailer, "
    "backoffice,\n"
    "                 client_admin, incident, seed, log, none\n"
    "  --action A     put, get, find, erase, refused, heartbeat\n"
    "  --limit N      at most N entries\n"
    "  --json         one JSON object per line\n"
    "T is RFC 3339 (2026-11-25T10:00:00Z, 2026-11-25T19:00:00.5+09:00) "
    "or unix ms.\nOne line per entry: index, time (UTC, ms), action, "
    "role, outcome, tenant, node,\nactor, purpose, fields, request id "
    "(hex), record count and pseudonyms (hex).\n";

static int
cmd_show(struct ctx *c, int argc, char **argv)
{
	struct rp_alog_wal w;
	struct filter f;
	char **pos;
	int npos = 0, ex;
	uint64_t lo = 0, hi;

	if (is_help(argc, argv)) {
		fprintf(c->out, "usage: rentport log show [--since T] "
		    "[--until T] [--role R] [--action A]\n"
		    "                         [--limit N] [--json]\n"
		    "Decodes the wal's entries and prints those that match.\n"
		    "%s", filter_help);
		return EXIT_OK;
	}
	if ((pos = calloc((size_t)argc + 1, sizeof(*pos))) == NULL)
		return EXIT_FAIL;
	ex = parse_filter(c, "show", argc, argv, &f, pos, &npos);
	free(pos);
	if (ex != EXIT_OK)
		return ex;
	if (npos > 0)
		return usage_err(c, "show", "unexpected argument");
	if ((ex = open_wal(c, "show", &w)) != EXIT_OK)
		return ex;
	hi = w.count;
	/* Times are non-decreasing: narrow by binary search first. */
	if (f.since_set && lower_bound(&w, f.since, &lo) != 0)
		lo = 0;
	if (f.until_set && lower_bound(&w, f.until, &hi) != 0)
		hi = w.count;
	if (hi < lo)
		hi = lo;
	ex = print_range(c, "show", &w, lo, hi, &f);
	rp_alog_wal_close(&w);
	return ex;
}

static int
cmd_range(struct ctx *c, int argc, char **argv)
{
	struct rp_alog_wal w;
	struct filter f;
	char **pos;
	int npos = 0, ex;
	uint64_t t1, t2, lo, hi;

	if (is_help(argc, argv)) {
		fprintf(c->out, "usage: rentport log range T1 T2 [--role R] "
		    "[--action A] [--limit N] [--json]\n"
		    "Finds the entries with T1 <= time < T2 by binary search "
		    "over the non-decreasing\ntimes, prints \"entries [LO, "
		    "HI): N\" and then the entries as `log show` does.\n%s",
		    filter_help);
		return EXIT_OK;
	}
	if ((pos = calloc((size_t)argc + 1, sizeof(*pos))) == NULL)
		return EXIT_FAIL;
	ex = parse_filter(c, "range", argc, argv, &f, pos, &npos);
	if (ex == EXIT_OK && (npos != 2 ||
	    rp_log_parse_time(rp_str_c(pos[0]), &t1) != 0 ||
	    rp_log_parse_time(rp_str_c(pos[1]), &t2) != 0))
		ex = usage_err(c, "range", "need T1 T2 (RFC 3339 or unix ms)");
	free(pos);
	if (ex != EXIT_OK)
		return ex;
	if ((ex = open_wal(c, "range", &w)) != EXIT_OK)
		return ex;
	if (rp_log_range_find(&w, t1, t2, &lo, &hi) != 0) {
		fprintf(c->err, "log range: an entry too short to hold a "
		    "time (run log verify)\n");
		rp_alog_wal_close(&w);
		return EXIT_FAIL;
	}
	fprintf(c->out, "entries [%" PRIu64 ", %" PRIu64 "): %" PRIu64 "\n",
	    lo, hi, hi - lo);
	ex = print_range(c, "range", &w, lo, hi, &f);
	rp_alog_wal_close(&w);
	return ex;
}

/* ---- dispatch ---- */

static const struct {
	const char *name;
	int (*run)(struct ctx *, int, char **);
	const char *help;
} cmds[] = {
	{ "verifier-key", cmd_vkey, "print the log's verifier key" },
	{ "verify", cmd_verify, "verify signatures, wal, bundles, tiles, "
	    "root" },
	{ "prove", cmd_prove, "inclusion proof of entry INDEX" },
	{ "consistency", cmd_consistency, "consistency proof OLD → NEW" },
	{ "show", cmd_show, "decode and filter entries" },
	{ "range", cmd_range, "entries with T1 <= time < T2" },
};

int
rp_log_cmd_io(const struct rp_conf *conf, int argc, char **argv, FILE *out,
    FILE *err)
{
	struct ctx c;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.conf = conf;
	c.out = out;
	c.err = err;
	if (argc < 1 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "help") == 0) {
		fprintf(argc < 1 ? err : out, "usage: rentport log COMMAND "
		    "[--help] ...\n");
		for (i = 0; i < RP_ARRAY_LEN(cmds); i++)
			fprintf(argc < 1 ? err : out, "  %-13s %s\n",
			    cmds[i].name, cmds[i].help);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	if (snprintf(c.alog_dir, sizeof(c.alog_dir), "%s/alog",
	    conf->data_dir) >= (int)sizeof(c.alog_dir) ||
	    snprintf(c.witness_file, sizeof(c.witness_file), "%s/witness/vkey",
	    conf->data_dir) >= (int)sizeof(c.witness_file)) {
		fprintf(err, "log: data_dir too long\n");
		return EXIT_USAGE;
	}
	for (i = 0; i < RP_ARRAY_LEN(cmds); i++)
		if (strcmp(argv[0], cmds[i].name) == 0) {
			int r = cmds[i].run(&c, argc, argv);

			fflush(out);
			return r;
		}
	fprintf(err, "log: unknown command \"%s\" (try: rentport log "
	    "--help)\n", argv[0]);
	return EXIT_USAGE;
}

int
rp_log_cmd(const struct rp_conf *conf, int argc, char **argv)
{
	return rp_log_cmd_io(conf, argc, argv, stdout, stderr);
}
