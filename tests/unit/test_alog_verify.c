/* SPDX-License-Identifier: ISC */
/*
 * test_alog_verify.c — `rentport log ...` and the independent verifier
 * (src/alog/verify.c, cli.c).  Logs are made in mkdtemp data directories
 * two ways: by a small fixture writer here (wal, bundles, tiles and a
 * cosigned checkpoint from the merkle/tile/note primitives, per
 * docs/access-log.md) and by the storage library (store.h).  Then: verify
 * passes on intact logs; flipping any byte of the wal, of every bundle and
 * tile file and of the checkpoint fails it, naming the right index;
 * truncations, an extra bundle entry and missing files fail; proofs
 * verify; show filters and range agrees with a linear scan.
 */
#include "util/common.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alog/b64.h"
#include "alog/cli.h"
#include "alog/entry.h"
#include "alog/merkle.h"
#include "alog/note.h"
#include "alog/store.h"
#include "alog/tile.h"
#include "alog/verify.h"
#include "conf/conf.h"
#include "tap.h"

#define HLEN 32
#define T0 1795600000000ull	/* 2026-11-25T... in ms */

/* ---- fixture ---- */

struct fx {
	char data[256], alog[300], wkey_file[300];
	uint64_t n;
	uint64_t *times;		/* per entry */
	uint8_t *roles, *actions;
	char origin[128];
	struct rp_note_signer *log, *wit;
	uint64_t cp_size;		/* from the first full verify */
	uint8_t cp_root[HLEN];
};

static void
mkdirs(const char *path)
{
	char tmp[512];
	size_t i, n = strlen(path);

	memcpy(tmp, path, n + 1);
	for (i = 1; i < n; i++)
		if (tmp[i] == '/') {
			tmp[i] = 0;
			(void)mkdir(tmp, 0700);
			tmp[i] = '/';
		}
	(void)mkdir(tmp, 0700);
}

static int
write_file(const char *path, const void *p, size_t n)
{
	char dir[512];
	char *slash;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = 0;
		mkdirs(dir);
	}
	if ((f = fopen(path, "we")) == NULL)
		return -1;
	if (n > 0 && fwrite(p, 1, n, f) != n) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

static int
read_file(const char *path, uint8_t **p, size_t *n)
{
	FILE *f = fopen(path, "re");
	long sz;

	*p = NULL;
	*n = 0;
	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	*p = malloc((size_t)sz + 1);
	if (*p == NULL || fread(*p, 1, (size_t)sz, f) != (size_t)sz) {
		fclose(f);
		return -1;
	}
	fclose(f);
	*n = (size_t)sz;
	return 0;
}

static const uint8_t roles_cycle[] = { RP_ROLE_PUBLIC_WEB, RP_ROLE_COUNTER,
	RP_ROLE_MAILER, RP_ROLE_BACKOFFICE, RP_ROLE_CORPORATE_WEB };
static const uint8_t actions_cycle[] = { RP_ALOG_GET, RP_ALOG_PUT,
	RP_ALOG_FIND, RP_ALOG_GET, RP_ALOG_REFUSED, RP_ALOG_ERASE, RP_ALOG_GET };

/* The body of entry i (deterministic). */
static int
make_body(uint64_t i, struct rp_buf *body, uint8_t *role, uint8_t *action)
{
	struct rp_alog_entry e;
	uint8_t recs[3 * RP_ALOG_PSEUDONYM_LEN];
	char actor[32];
	unsigned k;

	memset(&e, 0, sizeof(e));
	e.action = actions_cycle[i % RP_ARRAY_LEN(actions_cycle)];
	e.role = roles_cycle[i % RP_ARRAY_LEN(roles_cycle)];
	e.outcome = e.action == RP_ALOG_REFUSED ? RP_OUTCOME_REFUSED :
	    RP_OUTCOME_OK;
	e.fields = (uint32_t)(i % 3 == 0 ? RP_FIELD_NAME | RP_FIELD_EMAIL :
	    RP_FIELD_PHONE);
	e.tenant = (uint32_t)(i % 4);
	e.node = RP_STR_LIT("web/1");
	snprintf(actor, sizeof(actor), "staff:u%" PRIu64, i % 10);
	e.actor = rp_str_c(actor);
	e.purpose = RP_STR_LIT("order_view");
	memset(e.request_id, (int)(i & 0xff), RP_ALOG_REQID_LEN);
	e.n_records = (uint16_t)(i % 3);
	for (k = 0; k < sizeof(recs); k++)
		recs[k] = (uint8_t)(i * 7 + k);
	e.records = recs;
	*role = e.role;
	*action = e.action;
	return rp_alog_body_encode(&e, body);
}

/* Fixture faults: time goes back at, entry malformed at, checkpoint size. */
static uint64_t g_back_at = UINT64_MAX, g_bad_at = UINT64_MAX,
    g_cp_at = UINT64_MAX;

/* Time of entry i: non-decreasing with repeats. */
static uint64_t
time_of(uint64_t i)
{
	if (i == g_back_at)
		return T0 + (i / 3) * 1000 - 5000;
	return T0 + (i / 3) * 1000 + (i % 3 == 2 ? 500 : 0);
}

struct sinkst {
	uint8_t *lv[8];			/* hashes at Merkle level 8L */
	uint64_t nlv[8];
};

static int
sink(void *arg, unsigned level, uint64_t index, const uint8_t *hash)
{
	struct sinkst *s = arg;

	if (level % 8 != 0 || level / 8 >= 8)
		return 0;
	if (index != s->nlv[level / 8])
		return RP_E_STATE;
	memcpy(s->lv[level / 8] + index * HLEN, hash, HLEN);
	s->nlv[level / 8]++;
	return 0;
}

static void
fx_paths(struct fx *f)
{
	snprintf(f->alog, sizeof(f->alog), "%s/alog", f->data);
	snprintf(f->wkey_file, sizeof(f->wkey_file), "%s/witness/vkey",
	    f->data);
}

static int
fx_signers(struct fx *f)
{
	uint8_t seed[32];
	struct rp_buf b;
	char path[400];
	int r;

	memset(seed, 0x11, sizeof(seed));
	snprintf(f->origin, sizeof(f->origin),
	    "rentport.invalid/access-log/test");
	if ((r = rp_note_signer_new(rp_str_c(f->origin), RP_NOTE_ALG_ED25519,
	    seed, &f->log)) != 0)
		return r;
	memset(seed, 0x22, sizeof(seed));
	if ((r = rp_note_signer_new(RP_STR_LIT("witness.invalid/w1"),
	    RP_NOTE_ALG_COSIG_V1, seed, &f->wit)) != 0)
		return r;
	rp_buf_init(&b, 4096);
	if (rp_note_verifier_format(rp_note_signer_verifier(f->wit), &b) != 0 ||
	    rp_buf_add_c(&b, "\n") != 0)
		return -1;
	snprintf(path, sizeof(path), "%s", f->wkey_file);
	r = write_file(path, b.d, b.len);
	rp_buf_release(&b);
	return r;
}

static int
write_tile(struct fx *f, int level, uint64_t index, unsigned width,
    const void *p, size_t n)
{
	struct rp_tile t = { level, index, width };
	char rel[RP_TILE_PATH_MAX], path[512];

	if (rp_tile_path(&t, rel, sizeof(rel)) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", f->alog, rel);
	return write_file(path, p, n);
}

/* Fixture writer: n entries, all files, a checkpoint cosigned at size n. */
static int
fx_make(struct fx *f, uint64_t n)
{
	struct rp_buf body, ent, wal, bundle, text, note;
	struct rp_merkle_tree tree;
	struct sinkst ss;
	uint8_t leaf[HLEN], root[HLEN], cp_root[HLEN], hdr[2];
	char path[400];
	uint64_t i, L, k;
	int r = -1;

	memset(&ss, 0, sizeof(ss));
	f->n = n;
	f->times = calloc(n + 1, sizeof(*f->times));
	f->roles = calloc(n + 1, 1);
	f->actions = calloc(n + 1, 1);
	for (L = 0; L < 8; L++)
		ss.lv[L] = calloc((n >> (8 * L)) + 1, HLEN);
	rp_buf_init(&body, 1 << 16);
	rp_buf_init(&ent, 1 << 17);
	rp_buf_init(&wal, (size_t)1 << 34);
	rp_buf_init(&bundle, 1 << 24);
	rp_buf_init(&text, 4096);
	rp_buf_init(&note, 8192);
	fx_paths(f);
	mkdirs(f->alog);
	if (fx_signers(f) != 0)
		goto out;
	rp_merkle_tree_init(&tree);
	for (i = 0; i < n; i++) {
		f->times[i] = time_of(i);
		if (make_body(i, &body, &f->roles[i], &f->actions[i]) != 0 ||
		    rp_alog_entry_stamp(rp_buf_str(&body), f->times[i], &ent)
		    != 0)
			goto out;
		if (i == g_bad_at)
			ent.d[0] = 2;			/* unknown version */
		rp_merkle_leaf_hash(ent.d, ent.len, leaf);
		hdr[0] = (uint8_t)(ent.len >> 8);
		hdr[1] = (uint8_t)ent.len;
		rp_buf_add(&wal, hdr, 2);
		rp_buf_add(&wal, ent.d, ent.len);
		rp_buf_add(&wal, leaf, 4);
		if (rp_bundle_add(&bundle, ent.d, ent.len) != 0)
			goto out;
		if (rp_merkle_tree_append(&tree, leaf, sink, &ss) != 0)
			goto out;
		if (tree.size == g_cp_at)
			rp_merkle_tree_root(&tree, cp_root);
		if ((i + 1) % 256 == 0 || i + 1 == n) {
			unsigned w = (unsigned)(i % 256) + 1;

			if (write_tile(f, RP_TILE_ENTRIES, i / 256, w, bundle.d,
			    bundle.len) != 0)
				goto out;
			rp_buf_reset(&bundle);
		}
	}
	if (wal.err != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/wal", f->alog);
	if (write_file(path, wal.d, wal.len) != 0)
		goto out;
	for (L = 0; L < 8 && ss.nlv[L] > 0; L++)
		for (k = 0; k * 256 < ss.nlv[L]; k++) {
			unsigned w = ss.nlv[L] - k * 256 >= 256 ? 256 :
			    (unsigned)(ss.nlv[L] - k * 256);

			if (write_tile(f, (int)L, k, w, ss.lv[L] + k * 256 *
			    HLEN, (size_t)w * HLEN) != 0)
				goto out;
		}
	rp_merkle_tree_root(&tree, root);
	if (g_cp_at < n)
		memcpy(root, cp_root, HLEN);
	if (rp_checkpoint_format(rp_str_c(f->origin), g_cp_at < n ? g_cp_at :
	    n, root, RP_STR_NULL, &text) != 0)
		goto out;
	{
		const struct rp_note_signer *s[1] = { f->log };

		if (rp_note_sign(rp_buf_str(&text), s, 1, &note) != 0 ||
		    rp_note_cosign_line(f->wit, rp_buf_str(&text), 1800000000,
		    &note) != 0)
			goto out;
	}
	snprintf(path, sizeof(path), "%s/checkpoint", f->alog);
	if (write_file(path, note.d, note.len) != 0)
		goto out;
	rp_buf_reset(&text);
	if (rp_note_verifier_format(rp_note_signer_verifier(f->log), &text)
	    != 0 || rp_buf_add_c(&text, "\n") != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/vkey", f->alog);
	if (write_file(path, text.d, text.len) != 0)
		goto out;
	rp_buf_reset(&text);
	rp_buf_printf(&text, "%s\n", f->origin);
	snprintf(path, sizeof(path), "%s/origin", f->alog);
	if (write_file(path, text.d, text.len) != 0)
		goto out;
	r = 0;
 out:
	for (L = 0; L < 8; L++)
		free(ss.lv[L]);
	rp_buf_release(&body);
	rp_buf_release(&ent);
	rp_buf_release(&wal);
	rp_buf_release(&bundle);
	rp_buf_release(&text);
	rp_buf_release(&note);
	return r;
}

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void
fx_free(struct fx *f)
{
	if (f->data[0])
		nftw(f->data, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(f->times);
	free(f->roles);
	free(f->actions);
	rp_note_signer_free(f->log);
	rp_note_signer_free(f->wit);
	memset(f, 0, sizeof(*f));
}

static void
fx_dir(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->data, sizeof(f->data), "/tmp/rp-alogv-XXXXXX");
	if (mkdtemp(f->data) == NULL)
		f->data[0] = 0;
	fx_paths(f);
}

/* ---- running the verifier ---- */

static int
verify(struct fx *f, uint64_t *fail_index, char *msg, size_t cap)
{
	struct rp_alog_vopts o;
	struct rp_alog_vresult res;
	struct rp_buf m;
	int r;

	memset(&o, 0, sizeof(o));
	o.alog_dir = f->alog;
	o.witness_vkey_file = f->wkey_file;
	o.threads = 2;
	rp_buf_init(&m, 1024);
	r = rp_alog_verify(&o, &res, &m);
	if (r == 0) {
		f->cp_size = res.size;
		memcpy(f->cp_root, res.root, HLEN);
	}
	if (fail_index)
		*fail_index = res.fail_index;
	if (msg)
		snprintf(msg, cap, "%s", m.d ? m.d : "");
	rp_buf_release(&m);
	return r;
}

/* The data checks only, against the tree the last full verify saw. */
static int
verify_data(struct fx *f, uint64_t *fail_index, char *msg, size_t cap)
{
	struct rp_alog_vresult res;
	struct rp_buf m;
	int r;

	memset(&res, 0, sizeof(res));
	rp_buf_init(&m, 1024);
	r = rp_alog_verify_files(f->alog, 1, f->cp_size, f->cp_root, &res, &m);
	if (fail_index)
		*fail_index = res.fail_index;
	if (msg)
		snprintf(msg, cap, "%s", m.d ? m.d : "");
	rp_buf_release(&m);
	return r;
}

/* witness_vkey setting for run_cli ("" = none). */
static const char *g_wkey = "";

/* Runs `rentport log argv...`; out gets stdout (owned: caller frees). */
static int
run_cli(struct fx *f, char **out, char **err, int argc, ...)
{
	struct rp_conf conf;
	char *argv[16];
	size_t on = 0, en = 0;
	FILE *fo, *fe;
	va_list ap;
	int i, r;

	rp_conf_defaults(&conf);
	snprintf(conf.data_dir, sizeof(conf.data_dir), "%s", f->data);
	snprintf(conf.witness_vkey, sizeof(conf.witness_vkey), "%s", g_wkey);
	va_start(ap, argc);
	for (i = 0; i < argc && i < 15; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[i] = NULL;
	fo = open_memstream(out, &on);
	fe = open_memstream(err, &en);
	r = rp_log_cmd_io(&conf, argc, argv, fo, fe);
	fclose(fo);
	fclose(fe);
	return r;
}

/* ---- byte flips ---- */

struct flipres {
	size_t flips, failed, right_index;
	size_t first_bad_pos;
	bool any_bad;
};

/*
 * Flips bytes of file rel — every byte if npos is 0, else about npos
 * positions spread over the file — and runs the data checks (or the full
 * verify if full); expect(pos) gives the index that must be named
 * (UINT64_MAX: any).
 */
static void
flip_file(struct fx *f, const char *rel, size_t npos, bool full,
    uint64_t (*expect)(void *, size_t), void *arg, struct flipres *fr)
{
	size_t step;
	char path[512], msg[512];
	uint8_t *p;
	size_t n, pos;
	uint64_t idx;
	int fd;

	memset(fr, 0, sizeof(*fr));
	snprintf(path, sizeof(path), "%s/%s", f->alog, rel);
	if (read_file(path, &p, &n) != 0)
		return;
	if ((fd = open(path, O_WRONLY)) < 0) {
		free(p);
		return;
	}
	step = npos == 0 || n <= npos ? 1 : n / npos;
	for (pos = 0; pos < n; pos += step) {
		uint8_t b = p[pos] ^ 0x01;
		uint64_t want;

		if (pwrite(fd, &b, 1, (off_t)pos) != 1)
			break;
		fr->flips++;
		if ((full ? verify(f, &idx, msg, sizeof(msg)) :
		    verify_data(f, &idx, msg, sizeof(msg))) != 0)
			fr->failed++;
		want = expect ? expect(arg, pos) : UINT64_MAX;
		if (want == UINT64_MAX || want == idx)
			fr->right_index++;
		else if (!fr->any_bad) {
			fr->any_bad = true;
			fr->first_bad_pos = pos;
			diag("%s byte %zu: named %" PRIu64 ", want %" PRIu64
			    ": %s", rel, pos, idx, want, msg);
		}
		if (pwrite(fd, p + pos, 1, (off_t)pos) != 1)
			break;
	}
	close(fd);
	free(p);
}

/* wal: the entry whose record holds byte pos. */
struct walmap {
	uint64_t *start;	/* record start offsets, n + 1 */
	uint64_t n;
};

static uint64_t
wal_expect(void *arg, size_t pos)
{
	struct walmap *m = arg;
	uint64_t lo = 0, hi = m->n;

	while (hi - lo > 1) {
		uint64_t mid = (lo + hi) / 2;

		if (m->start[mid] <= pos)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

struct bmap {
	uint64_t base;
	uint64_t *start;
	uint64_t n;
};

static uint64_t
bundle_expect(void *arg, size_t pos)
{
	struct bmap *m = arg;
	struct walmap wm = { m->start, m->n };

	return m->base + wal_expect(&wm, pos);
}

struct tmap {
	int level;
	uint64_t index;
};

static uint64_t
tile_expect(void *arg, size_t pos)
{
	struct tmap *m = arg;

	return (m->index * 256 + pos / HLEN) << (8 * m->level);
}

static void
map_records(const uint8_t *p, size_t n, size_t extra, uint64_t **start,
    uint64_t *count)
{
	size_t off = 0, cap = 1024, k = 0;

	*start = malloc(cap * sizeof(**start));
	while (off + 2 <= n) {
		if (k + 2 >= cap)
			*start = realloc(*start, (cap *= 2) * sizeof(**start));
		(*start)[k++] = off;
		off += 2 + ((size_t)p[off] << 8 | p[off + 1]) + extra;
	}
	(*start)[k] = off;
	*count = k;
}

/* Flips in the wal, every bundle, every tile, the checkpoint. */
static void
flip_all(struct fx *f, const char *label, size_t npos, uint64_t fstride)
{
	struct flipres fr;
	char path[512], rel[RP_TILE_PATH_MAX], what[160];
	uint8_t *p;
	size_t n;
	uint64_t k, L;
	struct walmap wm;

	snprintf(path, sizeof(path), "%s/wal", f->alog);
	if (read_file(path, &p, &n) == 0) {
		map_records(p, n, 4, &wm.start, &wm.n);
		flip_file(f, "wal", npos, false, wal_expect, &wm, &fr);
		snprintf(what, sizeof(what), "%s: %zu wal flips all fail", label,
		    fr.flips);
		ok(fr.flips > 0 && fr.failed == fr.flips, what);
		snprintf(what, sizeof(what), "%s: wal flips name the entry",
		    label);
		ok(fr.right_index == fr.flips, what);
		free(wm.start);
		free(p);
	}
	/* Bundles: the full ones and the partial. */
	for (k = 0; k * 256 < f->n; k += (k * 256 + 256 * fstride < f->n ?
	    fstride : 1)) {
		unsigned w = f->n - k * 256 >= 256 ? 256 :
		    (unsigned)(f->n - k * 256);
		struct rp_tile t = { RP_TILE_ENTRIES, k, w };
		struct bmap bm;

		if (rp_tile_path(&t, rel, sizeof(rel)) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", f->alog, rel);
		if (read_file(path, &p, &n) != 0) {
			ok(0, "bundle readable");
			continue;
		}
		bm.base = k * 256;
		map_records(p, n, 0, &bm.start, &bm.n);
		flip_file(f, rel, npos, false, bundle_expect, &bm, &fr);
		snprintf(what, sizeof(what), "%s: %s: %zu flips fail, name "
		    "the entry", label, rel, fr.flips);
		ok(fr.flips > 0 && fr.failed == fr.flips &&
		    fr.right_index == fr.flips, what);
		free(bm.start);
		free(p);
	}
	/* Tiles at every level. */
	for (L = 0; (f->n >> (8 * L)) > 0; L++) {
		uint64_t cnt = f->n >> (8 * L);

		for (k = 0; k * 256 < cnt; k += (k * 256 + 256 * fstride <
		    cnt ? fstride : 1)) {
			unsigned w = cnt - k * 256 >= 256 ? 256 :
			    (unsigned)(cnt - k * 256);
			struct rp_tile t = { (int)L, k, w };
			struct tmap tm = { (int)L, k };

			if (rp_tile_path(&t, rel, sizeof(rel)) < 0)
				continue;
			flip_file(f, rel, npos, false, tile_expect, &tm, &fr);
			snprintf(what, sizeof(what), "%s: %s: %zu flips fail, "
			    "name the index", label, rel, fr.flips);
			ok(fr.flips > 0 && fr.failed == fr.flips &&
			    fr.right_index == fr.flips, what);
		}
	}
	flip_file(f, "checkpoint", npos, true, NULL, NULL, &fr);
	snprintf(what, sizeof(what), "%s: %zu checkpoint flips all fail",
	    label, fr.flips);
	ok(fr.flips > 0 && fr.failed == fr.flips, what);
	ok(verify(f, NULL, NULL, 0) == 0, "log intact again after flips");
}

/* ---- tests ---- */

static void
test_time(void)
{
	uint64_t ms;
	char buf[40];

	ok(rp_log_parse_time(RP_STR_LIT("1970-01-01T00:00:01Z"), &ms) == 0 &&
	    ms == 1000, "RFC 3339 epoch + 1 s");
	ok(rp_log_parse_time(RP_STR_LIT("2026-11-25T10:00:00.123Z"), &ms) ==
	    0 && ms == 1795600800123ull, "RFC 3339 with ms");
	ok(rp_log_parse_time(RP_STR_LIT("2026-11-25T19:00:00+09:00"), &ms) ==
	    0 && ms == 1795600800000ull, "RFC 3339 with an offset");
	ok(rp_log_parse_time(RP_STR_LIT("2026-11-25"), &ms) == 0 &&
	    ms == 1795564800000ull, "a date is midnight UTC");
	ok(rp_log_parse_time(RP_STR_LIT("1795600800123"), &ms) == 0 &&
	    ms == 1795600800123ull, "unix ms");
	ok(rp_log_parse_time(RP_STR_LIT("2026-02-29T00:00:00Z"), &ms) != 0,
	    "no 29 February in 2026");
	ok(rp_log_parse_time(RP_STR_LIT("2026-11-25T10:00:00"), &ms) != 0,
	    "zone required");
	ok(rp_log_parse_time(RP_STR_LIT("2026-11-25T10:00Z"), &ms) != 0,
	    "seconds required");
	ok(rp_log_parse_time(RP_STR_LIT(""), &ms) != 0, "empty refused");
	rp_log_format_time(1795600800123ull, buf, sizeof(buf));
	is_str(buf, "2026-11-25T10:00:00.123Z", "format with ms");
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

static void
test_cli(struct fx *f)
{
	char *out = NULL, *err = NULL, nbuf[32], tb1[40], tb2[40];
	uint64_t i, want, a, b, lo, hi, wlo, whi;
	struct rp_alog_wal w;
	char path[512];
	int r;

	r = run_cli(f, &out, &err, 1, "verify");
	is_int(r, 0, "cli verify exit 0");
	snprintf(nbuf, sizeof(nbuf), "OK, %" PRIu64 " entries", f->n);
	ok(out && strstr(out, nbuf) && strstr(out, "cosigned by "
	    "witness.invalid/w1 at 2027-01-15T08:00:00.000Z"),
	    "verify prints OK, count and cosigner");
	free(out);
	free(err);

	r = run_cli(f, &out, &err, 1, "verifier-key");
	ok(r == 0 && out && strncmp(out, f->origin, strlen(f->origin)) == 0,
	    "verifier-key prints the key");
	free(out);
	free(err);

	/* prove: parse the output and check it independently. */
	r = run_cli(f, &out, &err, 2, "prove", "7");
	is_int(r, 0, "prove 7 exit 0");
	if (r == 0 && out) {
		uint8_t leaf[HLEN], root[HLEN], proof[70 * HLEN];
		size_t n = 0, got;
		char *line, *save = NULL;
		int stage = 0;
		bool good = true;

		for (line = strtok_r(out, "\n", &save); line;
		    line = strtok_r(NULL, "\n", &save)) {
			struct rp_str s = rp_str_c(line);

			if (strncmp(line, "leaf ", 5) == 0)
				good &= rp_b64_decode((struct rp_str){ line + 5,
				    s.n - 5 }, leaf, HLEN, &got) == 0;
			else if (strncmp(line, "root ", 5) == 0) {
				good &= rp_b64_decode((struct rp_str){ line + 5,
				    s.n - 5 }, root, HLEN, &got) == 0;
				stage = 1;
			} else if (stage == 1 && n < 70) {
				good &= rp_b64_decode(s, proof + n * HLEN, HLEN,
				    &got) == 0 && got == HLEN;
				n++;
			}
		}
		ok(good && rp_merkle_verify_inclusion(7, f->n, leaf, proof, n,
		    root) == 0, "prove output verifies");
		ok(n > 0 && rp_merkle_verify_inclusion(8, f->n, leaf, proof, n,
		    root) != 0, "and not for another index");
	}
	free(out);
	free(err);
	r = run_cli(f, &out, &err, 4, "prove", "3", "--size", "100");
	ok(r == 0 && out && strstr(out, "size 100\n"), "prove --size");
	free(out);
	free(err);
	snprintf(nbuf, sizeof(nbuf), "%" PRIu64, f->n);
	r = run_cli(f, &out, &err, 2, "prove", nbuf);
	is_int(r, 2, "prove past the size is bad usage");
	free(out);
	free(err);

	r = run_cli(f, &out, &err, 3, "consistency", "10", nbuf);
	is_int(r, 0, "consistency 10 N exit 0");
	if (r == 0 && out) {
		uint8_t oroot[HLEN], nroot[HLEN], proof[70 * HLEN];
		size_t n = 0, got;
		char *line, *save = NULL;
		bool good = true, body = false;

		for (line = strtok_r(out, "\n", &save); line;
		    line = strtok_r(NULL, "\n", &save)) {
			struct rp_str s = rp_str_c(line);

			if (strncmp(line, "old-root ", 9) == 0)
				good &= rp_b64_decode((struct rp_str){ line + 9,
				    s.n - 9 }, oroot, HLEN, &got) == 0;
			else if (strncmp(line, "new-root ", 9) == 0) {
				good &= rp_b64_decode((struct rp_str){ line + 9,
				    s.n - 9 }, nroot, HLEN, &got) == 0;
				body = true;
			} else if (body && n < 70) {
				good &= rp_b64_decode(s, proof + n * HLEN, HLEN,
				    &got) == 0;
				n++;
			}
		}
		ok(good && rp_merkle_verify_consistency(10, f->n, oroot, nroot,
		    proof, n) == 0, "consistency output verifies");
	}
	free(out);
	free(err);

	/* show: filters against a linear scan of what was written. */
	r = run_cli(f, &out, &err, 3, "show", "--role", "counter");
	for (want = 0, i = 0; i < f->n; i++)
		want += f->roles[i] == RP_ROLE_COUNTER;
	ok(r == 0 && count_lines(out) == want && strstr(out, " counter ") &&
	    !strstr(out, " mailer "), "show --role counter");
	free(out);
	free(err);
	r = run_cli(f, &out, &err, 5, "show", "--action", "refused",
	    "--role", "mailer");
	for (want = 0, i = 0; i < f->n; i++)
		want += f->roles[i] == RP_ROLE_MAILER &&
		    f->actions[i] == RP_ALOG_REFUSED;
	ok(r == 0 && count_lines(out) == want && want > 0,
	    "show --action refused --role mailer");
	free(out);
	free(err);
	rp_log_format_time(f->times[20], tb1, sizeof(tb1));
	rp_log_format_time(f->times[50], tb2, sizeof(tb2));
	r = run_cli(f, &out, &err, 6, "show", "--since", tb1, "--until", tb2,
	    "--json");
	for (want = 0, i = 0; i < f->n; i++)
		want += f->times[i] >= f->times[20] && f->times[i] <
		    f->times[50];
	for (i = 0; i < f->n && f->times[i] < f->times[20]; i++)
		;
	snprintf(nbuf, sizeof(nbuf), "{\"index\":%" PRIu64 ",", i);
	ok(r == 0 && count_lines(out) == want && (want == 0 ||
	    (strncmp(out, nbuf, strlen(nbuf)) == 0 &&
	    strstr(out, "\"role\":"))),
	    "show --since --until --json");
	free(out);
	free(err);
	r = run_cli(f, &out, &err, 3, "show", "--limit", "5");
	rp_log_format_time(f->times[0], tb1, sizeof(tb1));
	ok(r == 0 && count_lines(out) == 5 && strncmp(out, "0 ", 2) == 0 &&
	    strncmp(out + 2, tb1, strlen(tb1)) == 0,
	    "show --limit 5, RFC 3339 times");
	free(out);
	free(err);
	r = run_cli(f, &out, &err, 3, "show", "--role", "nobody");
	is_int(r, 2, "unknown role is bad usage");
	free(out);
	free(err);

	/* range: binary search equals a linear scan, many windows. */
	snprintf(path, sizeof(path), "%s/wal", f->alog);
	if (rp_alog_wal_open(&w, path) == 0) {
		bool same = true;

		for (a = 0; a < 40; a++) {
			uint64_t span = f->times[f->n - 1] - f->times[0];
			uint64_t t1 = f->times[0] - 1000 + a * (span / 36 + 77);
			uint64_t t2 = t1 + (a % 5) * 1300 + (a % 2);

			if (rp_log_range_find(&w, t1, t2, &lo, &hi) != 0) {
				same = false;
				break;
			}
			wlo = whi = UINT64_MAX;
			for (b = 0; b < f->n; b++)
				if (f->times[b] >= t1 && f->times[b] < t2) {
					if (wlo == UINT64_MAX)
						wlo = b;
					whi = b + 1;
				}
			if (wlo == UINT64_MAX) {
				if (hi != lo)
					same = false;
			} else if (lo != wlo || hi != whi) {
				same = false;
			}
		}
		ok(same, "range agrees with a linear scan (40 windows)");
		rp_alog_wal_close(&w);
	}
	rp_log_format_time(f->times[30], tb1, sizeof(tb1));
	rp_log_format_time(f->times[33], tb2, sizeof(tb2));
	r = run_cli(f, &out, &err, 3, "range", tb1, tb2);
	for (wlo = 0; wlo < f->n && f->times[wlo] < f->times[30]; wlo++)
		;
	for (whi = wlo; whi < f->n && f->times[whi] < f->times[33]; whi++)
		;
	snprintf(path, sizeof(path), "entries [%" PRIu64 ", %" PRIu64 "): %"
	    PRIu64 "\n", wlo, whi, whi - wlo);
	ok(r == 0 && out && strncmp(out, path, strlen(path)) == 0 &&
	    count_lines(out) == 1 + whi - wlo, "range T1 T2 prints the index "
	    "range and the entries");
	free(out);
	free(err);
}

static void
test_damage(struct fx *f)
{
	char path[512], msg[512];
	uint8_t *p;
	size_t n;
	uint64_t idx;

	/* Truncations. */
	snprintf(path, sizeof(path), "%s/wal", f->alog);
	if (read_file(path, &p, &n) == 0) {
		if (truncate(path, (off_t)n - 1) == 0) {
			ok(verify(f, &idx, msg, sizeof(msg)) != 0 &&
			    idx == f->n - 1, "wal cut by one byte fails at the "
			    "last entry");
			diag("%s", msg);
		}
		/* A torn tail after the checkpoint is not damage. */
		write_file(path, p, n);
		{
			FILE *a = fopen(path, "ae");

			fwrite("\x00\x30\x01", 1, 3, a);
			fclose(a);
		}
		ok(verify(f, NULL, NULL, 0) == 0, "torn tail past the "
		    "checkpoint passes");
		write_file(path, p, n);
		free(p);
	}
	snprintf(path, sizeof(path), "%s/tile/entries/000", f->alog);
	if (read_file(path, &p, &n) == 0) {
		ok(truncate(path, (off_t)n - 1) == 0 && verify(f, &idx, msg,
		    sizeof(msg)) != 0 && idx == 255, "bundle cut fails at "
		    "entry 255");
		diag("%s", msg);
		write_file(path, p, n);
		/* An extra entry appended to a bundle. */
		{
			FILE *a = fopen(path, "ae");

			fwrite("\x00\x02hi", 1, 4, a);
			fclose(a);
		}
		ok(verify(f, &idx, msg, sizeof(msg)) != 0 && idx == 256 &&
		    strstr(msg, "tile/entries/000"), "an extra bundle entry "
		    "fails");
		diag("%s", msg);
		write_file(path, p, n);
		unlink(path);
		ok(verify(f, &idx, msg, sizeof(msg)) != 0 && idx == 0 &&
		    strstr(msg, "missing"), "a missing bundle fails");
		write_file(path, p, n);
		free(p);
	}
	snprintf(path, sizeof(path), "%s/tile/0/001", f->alog);
	if (read_file(path, &p, &n) == 0) {
		ok(truncate(path, (off_t)n - 32) == 0 && verify(f, &idx, msg,
		    sizeof(msg)) != 0 && idx == 511, "tile cut fails at its "
		    "last hash");
		diag("%s", msg);
		write_file(path, p, n);
		free(p);
	}
	snprintf(path, sizeof(path), "%s/checkpoint", f->alog);
	if (read_file(path, &p, &n) == 0) {
		/* Without the cosignature line while the witness is known. */
		const char *last = (const char *)p + n - 1;

		while (last > (const char *)p && last[-1] != '\n')
			last--;
		write_file(path, p, (size_t)(last - (const char *)p));
		ok(verify(f, NULL, msg, sizeof(msg)) != 0 &&
		    strstr(msg, "no witness cosignature"),
		    "missing cosignature fails when the witness is known");
		diag("%s", msg);
		write_file(path, p, n);
		ok(truncate(path, (off_t)n - 1) == 0 && verify(f, NULL, NULL, 0)
		    != 0, "checkpoint cut fails");
		write_file(path, p, n);
		free(p);
	}
	/* A full tile and a bundle past the end of the wal. */
	{
		uint8_t z[8192];

		memset(z, 0, sizeof(z));
		write_tile(f, 0, 5, 256, z, sizeof(z));
		ok(verify(f, &idx, msg, sizeof(msg)) != 0 && idx == 5 * 256 &&
		    strstr(msg, "tile/0/005"), "a tile past the wal fails");
		diag("%s", msg);
		snprintf(path, sizeof(path), "%s/tile/0/005", f->alog);
		unlink(path);
		write_tile(f, RP_TILE_ENTRIES, 1000, 3, "\0\1a\0\1b\0\1c", 9);
		ok(verify(f, &idx, msg, sizeof(msg)) != 0 && idx == 256000 &&
		    strstr(msg, "tile/entries/x001/000.p/3"), "a bundle past "
		    "the wal fails");
		diag("%s", msg);
		snprintf(path, sizeof(path), "%s/tile/entries/x001/000.p/3",
		    f->alog);
		unlink(path);
		/* A hostile name: the top level and the largest index. */
		write_tile(f, 63, UINT64_MAX, 1, z, 32);
		ok(verify(f, &idx, msg, sizeof(msg)) != 0 &&
		    idx == RP_ALOG_NO_INDEX - 1, "a tile at level 63, index "
		    "2^64-1 fails without overflow");
		diag("%s", msg);
		{
			struct rp_tile t = { 63, UINT64_MAX, 1 };
			char rel[RP_TILE_PATH_MAX];

			if (rp_tile_path(&t, rel, sizeof(rel)) > 0) {
				snprintf(path, sizeof(path), "%s/%s", f->alog,
				    rel);
				unlink(path);
			}
		}
	}
	ok(verify(f, NULL, NULL, 0) == 0, "intact after damage tests");
}

/* A log made by the storage library (helper-5's store.c). */
static int
store_make(struct fx *f, uint64_t n)
{
	struct rp_conf conf;
	struct rp_alog_store *st = NULL;
	struct rp_buf body, note, cos;
	struct rp_note nn;
	struct rp_str *bodies = NULL;
	struct rp_buf *bufs = NULL;
	uint64_t i, k, batch = 1000;
	uint8_t role, action;
	bool made = false;
	int r;

	rp_conf_defaults(&conf);
	snprintf(conf.data_dir, sizeof(conf.data_dir), "%s", f->data);
	rp_buf_init(&body, 1 << 16);
	rp_buf_init(&note, 1 << 16);
	rp_buf_init(&cos, 4096);
	bufs = calloc(batch, sizeof(*bufs));
	bodies = calloc(batch, sizeof(*bodies));
	f->n = n;
	f->times = calloc(n + 1, sizeof(*f->times));
	f->roles = calloc(n + 1, 1);
	f->actions = calloc(n + 1, 1);
	if ((r = fx_signers(f)) != 0)
		goto out;
	if ((r = rp_alog_store_open(f->data, &conf, &st)) != 0)
		goto out;
	for (i = 0; i < n; i += k) {
		for (k = 0; k < batch && i + k < n; k++) {
			rp_buf_init(&bufs[k], 1 << 16);
			if ((r = make_body(i + k, &bufs[k], &role, &action)) != 0)
				goto out;
			f->roles[i + k] = role;
			f->actions[i + k] = action;
			bodies[k] = rp_buf_str(&bufs[k]);
		}
		r = rp_alog_store_append(st, bodies, k, f->times + i, NULL);
		for (uint64_t j = 0; j < k; j++)
			rp_buf_release(&bufs[j]);
		if (r != 0)
			goto out;
		/* A checkpoint now and then leaves older partial widths. */
		if ((i / batch) % 7 == 3 && (r = rp_alog_store_checkpoint(st,
		    false, true, NULL, NULL)) != 0)
			goto out;
	}
	if ((r = rp_alog_store_checkpoint(st, true, false, &note, &made)) != 0)
		goto out;
	if ((r = rp_note_parse(rp_buf_str(&note), &nn)) != 0 ||
	    (r = rp_note_cosign_line(f->wit, nn.text, 1800000000, &cos)) != 0 ||
	    (r = rp_alog_store_set_cosignatures(st, rp_buf_str(&cos))) != 0)
		goto out;
	snprintf(f->origin, sizeof(f->origin), "%s",
	    rp_alog_store_origin(st));
 out:
	rp_alog_store_close(st);
	free(bufs);
	free(bodies);
	rp_buf_release(&body);
	rp_buf_release(&note);
	rp_buf_release(&cos);
	return r;
}

int
main(void)
{
	struct fx f;
	char msg[512];
	uint64_t idx;
	time_t t0;
	int r;

	if (rp_merkle_selftest() != 0)
		return 1;
	test_time();

	/* Small fixture log: every byte of every file. */
	fx_dir(&f);
	ok(f.data[0] && fx_make(&f, 300) == 0, "fixture log of 300 entries");
	r = verify(&f, &idx, msg, sizeof(msg));
	ok(r == 0, "verify passes on the intact fixture log");
	if (r != 0)
		diag("%s", msg);
	test_cli(&f);
	test_damage(&f);
	t0 = time(NULL);
	flip_all(&f, "fixture 300", 0, 1);
	diag("fixture flips: %lld s", (long long)(time(NULL) - t0));
	fx_free(&f);

	/* Faults the fixture writer builds in consistently everywhere. */
	fx_dir(&f);
	g_back_at = 100;
	ok(fx_make(&f, 300) == 0 && verify(&f, &idx, msg, sizeof(msg)) != 0 &&
	    idx == 100 && strstr(msg, "goes back"), "time going back fails at "
	    "its index");
	diag("%s", msg);
	g_back_at = UINT64_MAX;
	fx_free(&f);
	fx_dir(&f);
	g_bad_at = 77;
	ok(fx_make(&f, 300) == 0 && verify(&f, &idx, msg, sizeof(msg)) != 0 &&
	    idx == 77 && strstr(msg, "malformed"), "a malformed entry fails "
	    "at its index");
	diag("%s", msg);
	g_bad_at = UINT64_MAX;
	fx_free(&f);
	fx_dir(&f);
	g_cp_at = 200;
	ok(fx_make(&f, 300) == 0 && verify(&f, &idx, msg, sizeof(msg)) == 0,
	    "checkpoint at 200 of 300: verify passes");
	{
		char *out = NULL, *err = NULL;

		ok(run_cli(&f, &out, &err, 1, "verify") == 0 && out &&
		    strstr(out, "OK, 200 entries") &&
		    strstr(out, "unverified tail: 100 entries"),
		    "and reports the unverified tail");
		free(out);
		free(err);
		ok(run_cli(&f, &out, &err, 2, "prove", "150") == 0 && out &&
		    strstr(out, "size 200\n"), "prove at the checkpoint's "
		    "size reads the wider tiles");
		free(out);
		free(err);
		/* A witness_vkey setting of another witness: no cosignature. */
		g_wkey = "witness.example.org/w1+2ce32234+"
		    "BD1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM";
		r = run_cli(&f, &out, &err, 1, "verify");
		ok(r == 1 && err && strstr(err, "no witness cosignature"),
		    "the witness_vkey setting is used");
		free(out);
		free(err);
		g_wkey = "";
	}
	{
		struct flipres fr;
		struct walmap wm;
		char path[512];
		uint8_t *p;
		size_t n;

		snprintf(path, sizeof(path), "%s/wal", f.alog);
		if (read_file(path, &p, &n) == 0) {
			map_records(p, n, 4, &wm.start, &wm.n);
			flip_file(&f, "wal", 500, false, wal_expect, &wm, &fr);
			ok(fr.flips > 0 && fr.failed == fr.flips &&
			    fr.right_index == fr.flips, "wal flips in the tail "
			    "fail too, naming the entry");
			free(wm.start);
			free(p);
		}
	}
	g_cp_at = UINT64_MAX;
	fx_free(&f);

	/* The storage library's logs. */
	fx_dir(&f);
	r = store_make(&f, 1000);
	ok(r == 0, "store log of 1000 entries");
	if (r == 0) {
		r = verify(&f, &idx, msg, sizeof(msg));
		ok(r == 0, "verify passes on the store's 1000-entry log");
		if (r != 0)
			diag("%s", msg);
		test_cli(&f);
		t0 = time(NULL);
		flip_all(&f, "store 1000", 300, 1);
		diag("store 1000 flips: %lld s", (long long)(time(NULL) - t0));
	}
	fx_free(&f);

	fx_dir(&f);
	r = store_make(&f, 70000);
	ok(r == 0, "store log of 70000 entries");
	if (r == 0) {
		r = verify(&f, &idx, msg, sizeof(msg));
		ok(r == 0, "verify passes on the store's 70000-entry log");
		if (r != 0)
			diag("%s", msg);
		t0 = time(NULL);
		flip_all(&f, "store 70000", 8, 53);
		diag("store 70000 flips: %lld s", (long long)(time(NULL) - t0));
	}
	fx_free(&f);
	return tap_done();
}
