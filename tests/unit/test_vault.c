/* SPDX-License-Identifier: ISC */
/*
 * test_vault.c — the vault core library with a fake logger: key files and
 * modes; round trips of every field (Japanese text included); AEAD tamper
 * and row swap are detected and release nothing; erase shreds (not found,
 * ciphertext gone from the file); blind-index finds by e-mail, phone and
 * order number; the policy table, allowed and refused (refusals logged as
 * REFUSED); log first, then release (a failing logger releases nothing);
 * batch put/get write one entry naming every record; a reply that would
 * not fit in one message is refused before anything is logged or released.
 */
#include "util/common.h"
#include "alog/entry.h"
#include "vault/vault.h"

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tap.h"
#include "test_store_util.h"

/* ---- the fake logger: keeps every body, can be told to fail ---- */

struct fake_log {
	bool fail;
	size_t n;			/* entries appended */
	uint8_t last[RP_ALOG_MAX_ENTRY];
	size_t last_len;
	size_t last_batch;		/* bodies in the last append */
};

static int
fake_append(void *ctx, const struct rp_str *bodies, size_t n, uint64_t *idx)
{
	struct fake_log *fl = ctx;

	if (fl->fail)
		return RP_E_IO;
	for (size_t i = 0; i < n; i++) {
		idx[i] = fl->n++;
		memcpy(fl->last, bodies[i].p, bodies[i].n);
		fl->last_len = bodies[i].n;
	}
	fl->last_batch = n;
	return 0;
}

/* Decodes the last logged body (stamped with a time) into e. */
static bool
last_entry(struct fake_log *fl, struct rp_alog_entry *e, struct rp_buf *b)
{
	rp_buf_reset(b);
	if (rp_alog_entry_stamp((struct rp_str){ (const char *)fl->last,
	    fl->last_len }, 1, b) != 0)
		return false;
	return rp_alog_entry_decode(rp_buf_str(b), e) == 0;
}

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(p);
}

static void
rm_rf(const char *dir)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void
caller(struct rp_vault_caller *c, unsigned role, const char *purpose)
{
	memset(c, 0, sizeof(*c));
	c->role = role;
	snprintf(c->node, sizeof(c->node), "test");
	snprintf(c->actor, sizeof(c->actor), "staff:test");
	snprintf(c->purpose, sizeof(c->purpose), "%s", purpose);
	memset(c->request_id, 0xab, sizeof(c->request_id));
}

static struct rp_vault_person
person(const char *name, const char *kana, const char *email,
    const char *phone, const char *postal, const char *addr,
    const char *company, const char *dept)
{
	struct rp_vault_person p;

	p.f[RP_VF_NAME] = rp_str_c(name);
	p.f[RP_VF_KANA] = rp_str_c(kana);
	p.f[RP_VF_EMAIL] = rp_str_c(email);
	p.f[RP_VF_PHONE] = rp_str_c(phone);
	p.f[RP_VF_POSTAL_CODE] = rp_str_c(postal);
	p.f[RP_VF_ADDRESS] = rp_str_c(addr);
	p.f[RP_VF_COMPANY] = rp_str_c(company);
	p.f[RP_VF_DEPARTMENT] = rp_str_c(dept);
	return p;
}

static bool
file_has(const char *path, const void *needle, size_t n)
{
	size_t len = 0;
	char *d = file_slurp(path, &len);
	bool found = d != NULL && memmem(d, len, needle, n) != NULL;

	free(d);
	return found;
}

static bool
db_has(const char *dir, const void *needle, size_t n)
{
	char p[700];

	snprintf(p, sizeof(p), "%s/vault/vault.db", dir);
	if (file_has(p, needle, n))
		return true;
	snprintf(p, sizeof(p), "%s/vault/vault.db-wal", dir);
	return file_has(p, needle, n);
}

/* Runs SQL on vault.db directly (the vault closed): tamper helpers. */
static int
sql(const char *dir, const char *q)
{
	char p[700];
	sqlite3 *db = NULL;
	int rc;

	snprintf(p, sizeof(p), "%s/vault/vault.db", dir);
	if (sqlite3_open(p, &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, q, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* Flips one byte in the middle of record id's ciphertext. */
static int
flip_ct(const char *dir, uint64_t id)
{
	char p[700];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	unsigned char buf[8192];
	int n = 0, rc = -1;

	snprintf(p, sizeof(p), "%s/vault/vault.db", dir);
	if (sqlite3_open(p, &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT ct FROM records WHERE id = ?1", -1,
	    &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(s, 1, (int64_t)id);
	if (sqlite3_step(s) != SQLITE_ROW ||
	    (n = sqlite3_column_bytes(s, 0)) < 20 || n > (int)sizeof(buf))
		goto out;
	memcpy(buf, sqlite3_column_blob(s, 0), (size_t)n);
	sqlite3_finalize(s);
	s = NULL;
	buf[n / 2] ^= 0x01;
	if (sqlite3_prepare_v2(db, "UPDATE records SET ct = ?2 WHERE id = ?1",
	    -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(s, 1, (int64_t)id);
	sqlite3_bind_blob(s, 2, buf, n, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE && sqlite3_changes(db) == 1 ? 0 : -1;
 out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

/* Copies record from's nonce and ciphertext onto record to. */
static int
copy_ct(const char *dir, uint64_t from, uint64_t to)
{
	char q[256];

	snprintf(q, sizeof(q), "UPDATE records SET nonce = (SELECT nonce FROM "
	    "records WHERE id = %" PRIu64 "), ct = (SELECT ct FROM records WHERE"
	    " id = %" PRIu64 ") WHERE id = %" PRIu64, from, from, to);
	return sql(dir, q);
}

static const char *const NAME = "山田 太郎";
static const char *const KANA = "ヤマダ タロウ";
static const char *const EMAIL = "Taro.Yamada@Example.com";
static const char *const PHONE = "090-1234-5678";
static const char *const POSTAL = "150-0001";
static const char *const ADDR = "東京都渋谷区神宮前1丁目2-3 メゾン神宮 101号室";

int
main(void)
{
	struct fake_log fl;
	struct rp_vault_logger lg = { fake_append, &fl };
	struct rp_vault *v = NULL;
	struct rp_vault_caller bo, c;
	struct rp_vault_record rec[4], rec_big[20];
	struct rp_alog_entry e;
	struct rp_vault_person p1, p2, p3;
	struct rp_str ord1 = rp_str_c("RP-AAAA1111"), ord2 = rp_str_c("RP-BBBB2222");
	struct rp_buf eb;
	char dir[512], path[700];
	struct stat sb;
	uint64_t id1 = 0, id2 = 0, id3 = 0, id4 = 0, ids[8], cnt, pseud_id;
	uint8_t pn[16];
	size_t n;
	int r;

	memset(&fl, 0, sizeof(fl));
	rp_buf_init(&eb, RP_ALOG_MAX_ENTRY + 16);
	ok(tmpdir_make(dir, sizeof(dir)) != NULL, "scratch dir");
	is_int(rp_vault_open(dir, &lg, &v), 0, "open creates the vault");

	/* key files */
	snprintf(path, sizeof(path), "%s/vault", dir);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0700, "vault dir 0700");
	snprintf(path, sizeof(path), "%s/vault/master.key", dir);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600 &&
	    sb.st_size == 32, "master.key: 32 bytes, 0600");
	snprintf(path, sizeof(path), "%s/vault/operator.token", dir);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600 &&
	    sb.st_size == 64, "operator.token: 64 hex, 0600");
	{
		char tok[RP_VAULT_TOKEN_HEX + 1];

		is_int(rp_vault_token_read(dir, tok), 0, "token read");
		ok(rp_vault_token_ok(v, rp_str_c(tok)), "token accepted");
		tok[0] = tok[0] == 'a' ? 'b' : 'a';
		ok(!rp_vault_token_ok(v, rp_str_c(tok)), "changed token refused");
		ok(!rp_vault_token_ok(v, RP_STR_LIT("abcd")), "short token refused");
	}

	/* round trip, every field */
	caller(&bo, RP_ROLE_BACKOFFICE, "backoffice");
	p1 = person(NAME, KANA, EMAIL, PHONE, POSTAL, ADDR, "", "");
	is_int(rp_vault_put(v, &bo, &p1, 0, &ord1, 1, &id1), 0, "put individual");
	ok(id1 > 0, "id given");
	ok(last_entry(&fl, &e, &eb) && e.action == RP_ALOG_PUT &&
	    e.role == RP_ROLE_BACKOFFICE && e.n_records == 1, "put logged");
	rp_vault_pseudonym(v, id1, pn);
	ok(e.records && memcmp(e.records, pn, 16) == 0, "entry names the pseudonym");
	ok(memmem(fl.last, fl.last_len, &id1, sizeof(id1)) == NULL,
	    "entry does not carry the raw id");
	p2 = person("佐藤 花子", "サトウ ハナコ", "h.sato12@shinonome.example",
	    "+81 80 2222 3333", "530-0001", "大阪府大阪市北区梅田1丁目1-1",
	    "株式会社しののめ商事", "営業部");
	is_int(rp_vault_put(v, &bo, &p2, 5, &ord2, 1, &id2), 0, "put corporate");
	p3 = person("鈴木 一郎", "スズキ イチロウ", "ichiro@example.net",
	    "03-1111-2222", "", "", "株式会社しののめ商事", "経理部");
	is_int(rp_vault_put(v, &bo, &p3, 5, NULL, 0, &id3), 0, "put corporate 2");
	ok(id1 != id2 && id2 != id3, "distinct ids");
	{
		struct rp_vault_person p4 = person("高橋 次郎", "タカハシ ジロウ",
		    "j.takahashi@shinonome.example", "", "", "",
		    "株式会社しののめ商事", "総務部");

		is_int(rp_vault_put(v, &bo, &p4, 5, NULL, 0, &id4), 0,
		    "put corporate 3");
	}

	is_int(rp_vault_get(v, &bo, &id1, 1, RP_FIELD_ALL, rec), 0, "get all");
	ok(rp_str_eq_c(rec[0].f[RP_VF_NAME], NAME), "name");
	ok(rp_str_eq_c(rec[0].f[RP_VF_KANA], KANA), "kana");
	ok(rp_str_eq_c(rec[0].f[RP_VF_EMAIL], EMAIL), "email");
	ok(rp_str_eq_c(rec[0].f[RP_VF_PHONE], PHONE), "phone");
	ok(rp_str_eq_c(rec[0].f[RP_VF_POSTAL_CODE], POSTAL), "postal code");
	ok(rp_str_eq_c(rec[0].f[RP_VF_ADDRESS], ADDR), "address");
	ok(rec[0].f[RP_VF_COMPANY].n == 0, "no company");
	ok(last_entry(&fl, &e, &eb) && e.action == RP_ALOG_GET &&
	    e.fields == RP_FIELD_ALL && e.outcome == RP_OUTCOME_OK, "get logged");
	rp_vault_record_release(&rec[0]);
	is_int(rp_vault_get(v, &bo, &id2, 1, RP_FIELD_COMPANY | RP_FIELD_DEPARTMENT,
	    rec), 0, "get corporate company fields");
	ok(rp_str_eq_c(rec[0].f[RP_VF_COMPANY], "株式会社しののめ商事") &&
	    rp_str_eq_c(rec[0].f[RP_VF_DEPARTMENT], "営業部") &&
	    rec[0].f[RP_VF_NAME].n == 0, "only the asked fields");
	rp_vault_record_release(&rec[0]);

	/* change a record */
	p1.f[RP_VF_PHONE] = rp_str_c("070-9999-0000");
	pseud_id = id1;
	is_int(rp_vault_put(v, &bo, &p1, 0, NULL, 0, &pseud_id), 0, "update");
	is_int((long long)pseud_id, (long long)id1, "same id");
	is_int(rp_vault_get(v, &bo, &id1, 1, RP_FIELD_PHONE, rec), 0, "get updated");
	ok(rp_str_eq_c(rec[0].f[RP_VF_PHONE], "070-9999-0000"), "phone changed");
	rp_vault_record_release(&rec[0]);
	pseud_id = id1;
	is_int(rp_vault_put(v, &bo, &p1, 5, NULL, 0, &pseud_id), RP_E_INVAL,
	    "a record cannot change tenant");
	{
		struct rp_vault_person bad = p1;

		bad.f[RP_VF_NAME] = RP_STR_LIT("\xff\xfe");
		pseud_id = 0;
		is_int(rp_vault_put(v, &bo, &bad, 0, NULL, 0, &pseud_id),
		    RP_E_INVAL, "invalid UTF-8 refused");
		bad.f[RP_VF_NAME] = RP_STR_NULL;
		is_int(rp_vault_put(v, &bo, &bad, 0, NULL, 0, &pseud_id),
		    RP_E_INVAL, "name required");
	}

	/* find */
	is_int(rp_vault_find(v, &bo, RP_VAULT_FIND_EMAIL,
	    rp_str_c("  taro.yamada@EXAMPLE.COM "), ids, 8, &n), 0, "find e-mail");
	ok(n == 1 && ids[0] == id1, "e-mail: case and space insensitive");
	ok(last_entry(&fl, &e, &eb) && e.action == RP_ALOG_FIND &&
	    e.n_records == 1, "find logged, naming what it found");
	is_int(rp_vault_find(v, &bo, RP_VAULT_FIND_PHONE,
	    rp_str_c("+81 70 9999 0000"), ids, 8, &n), 0, "find phone");
	ok(n == 1 && ids[0] == id1, "phone: 070... = +81 70...");
	is_int(rp_vault_find(v, &bo, RP_VAULT_FIND_PHONE,
	    rp_str_c("080-2222-3333"), ids, 8, &n), 0, "find phone 2");
	ok(n == 1 && ids[0] == id2, "phone: +81 80... = 080...");
	is_int(rp_vault_find(v, &bo, RP_VAULT_FIND_PHONE,
	    rp_str_c("090-1234-5678"), ids, 8, &n), 0, "old phone");
	is_int((long long)n, 0, "the old phone no longer matches");
	is_int(rp_vault_find(v, &bo, RP_VAULT_FIND_ORDER, rp_str_c("rp-aaaa1111"),
	    ids, 8, &n), 0, "find order");
	ok(n == 1 && ids[0] == id1, "order number");
	ok(last_entry(&fl, &e, &eb) && e.action == RP_ALOG_FIND, "logged");
	is_int(rp_vault_find(v, &bo, RP_VAULT_FIND_EMAIL,
	    rp_str_c("nobody@example.com"), ids, 8, &n), 0, "find nothing");
	ok(n == 0 && last_entry(&fl, &e, &eb) && e.outcome ==
	    RP_OUTCOME_NOT_FOUND, "not found, logged");

	/* batch get: one entry naming every record */
	ids[0] = id1; ids[1] = id2; ids[2] = id3; ids[3] = 999999;
	cnt = fl.n;
	is_int(rp_vault_get(v, &bo, ids, 4, RP_FIELD_NAME, rec), 0, "batch get");
	is_int((long long)(fl.n - cnt), 1, "one log entry");
	ok(last_entry(&fl, &e, &eb) && e.n_records == 4, "naming four records");
	ok(rp_str_eq_c(rec[0].f[RP_VF_NAME], NAME) &&
	    rp_str_eq_c(rec[2].f[RP_VF_NAME], "鈴木 一郎"), "batch contents");
	ok(rec[3].status == RP_E_NOTFOUND && rec[3].mem == NULL, "missing one");
	for (int i = 0; i < 4; i++)
		rp_vault_record_release(&rec[i]);

	/* a reply that would not fit in one message: refused before logging */
	{
		static char big[501];
		struct rp_vault_person pb;
		uint64_t bigid = 0, many[20];

		memset(big, 'x', 500);
		for (int i = 0; i < RP_VAULT_NFIELDS; i++)
			pb.f[i] = rp_str_c(big);
		pb.f[RP_VF_EMAIL] = rp_str_c("big@example.com");
		is_int(rp_vault_put(v, &bo, &pb, 0, NULL, 0, &bigid), 0,
		    "put a record with 500-byte fields");
		for (int i = 0; i < 20; i++)
			many[i] = bigid;
		cnt = fl.n;
		is_int(rp_vault_get(v, &bo, many, 20, RP_FIELD_ALL, rec_big),
		    RP_E_TOOBIG, "a 80 KB reply is refused");
		is_int((long long)(fl.n - cnt), 0, "not logged: nothing released");
		ok(rec_big[0].mem == NULL, "no plaintext out");
		is_int(rp_vault_get(v, &bo, many, 10, RP_FIELD_ALL, rec_big), 0,
		    "a 40 KB reply is fine");
		for (int i = 0; i < 10; i++)
			rp_vault_record_release(&rec_big[i]);
		caller(&c, RP_ROLE_BACKOFFICE, "backoffice");
		is_int(rp_vault_erase(v, &c, bigid), 0, "erase it again");
	}

	/* policy: allowed and refused, refusals logged */
	caller(&c, RP_ROLE_PUBLIC_WEB, "order_view");
	snprintf(c.scope_order, sizeof(c.scope_order), "RP-AAAA1111");
	is_int(rp_vault_get(v, &c, &id1, 1, RP_FIELD_NAME | RP_FIELD_EMAIL, rec),
	    0, "public web: its order's customer");
	rp_vault_record_release(&rec[0]);
	is_int(rp_vault_get(v, &c, &id2, 1, RP_FIELD_NAME, rec), RP_E_DENIED,
	    "public web: another order's customer refused");
	ok(rec[0].mem == NULL, "nothing released");
	ok(last_entry(&fl, &e, &eb) && e.action == RP_ALOG_REFUSED &&
	    e.outcome == RP_OUTCOME_REFUSED && e.role == RP_ROLE_PUBLIC_WEB,
	    "refusal logged");
	is_int(rp_vault_get(v, &c, &id1, 1, RP_FIELD_COMPANY, rec), RP_E_DENIED,
	    "public web: company not needed to show an order");
	c.scope_order[0] = '\0';
	is_int(rp_vault_get(v, &c, &id1, 1, RP_FIELD_NAME, rec), RP_E_DENIED,
	    "public web without a session order");
	is_int(rp_vault_find(v, &c, RP_VAULT_FIND_EMAIL, rp_str_c(EMAIL), ids, 8,
	    &n), RP_E_DENIED, "public web may not search");
	ok(last_entry(&fl, &e, &eb) && e.action == RP_ALOG_REFUSED, "logged");

	caller(&c, RP_ROLE_CORPORATE_WEB, "order_view");
	c.tenant = 5;
	ids[0] = id2; ids[1] = id3;
	is_int(rp_vault_get(v, &c, ids, 2, RP_FIELD_ALL, rec), 0,
	    "corporate web: its tenant");
	for (int i = 0; i < 2; i++)
		rp_vault_record_release(&rec[i]);
	ids[2] = id1;
	is_int(rp_vault_get(v, &c, ids, 3, RP_FIELD_NAME, rec), RP_E_DENIED,
	    "corporate web: a batch with another tenant's record");
	ok(rec[0].mem == NULL && rec[1].mem == NULL, "nothing of the batch");
	c.tenant = 6;
	is_int(rp_vault_get(v, &c, &id2, 1, RP_FIELD_NAME, rec), RP_E_DENIED,
	    "corporate web: other tenant");

	caller(&c, RP_ROLE_COUNTER, "counter");
	snprintf(c.scope_order, sizeof(c.scope_order), "RP-BBBB2222");
	is_int(rp_vault_get(v, &c, &id2, 1, RP_FIELD_NAME | RP_FIELD_PHONE, rec),
	    0, "counter: the order being handled");
	rp_vault_record_release(&rec[0]);
	is_int(rp_vault_get(v, &c, &id1, 1, RP_FIELD_NAME, rec), RP_E_DENIED,
	    "counter: another order");
	is_int(rp_vault_find(v, &c, RP_VAULT_FIND_ORDER, rp_str_c("RP-BBBB2222"),
	    ids, 8, &n), 0, "counter: find by its order");
	ok(n == 1 && ids[0] == id2, "found");
	is_int(rp_vault_find(v, &c, RP_VAULT_FIND_ORDER, rp_str_c("RP-AAAA1111"),
	    ids, 8, &n), 0, "counter: find another order");
	is_int((long long)n, 0, "out of scope: nothing");

	caller(&c, RP_ROLE_MAILER, "mail");
	is_int(rp_vault_get(v, &c, &id1, 1, RP_FIELD_NAME | RP_FIELD_EMAIL, rec),
	    0, "mailer: name and e-mail");
	rp_vault_record_release(&rec[0]);
	is_int(rp_vault_get(v, &c, &id1, 1, RP_FIELD_PHONE, rec), RP_E_DENIED,
	    "mailer: phone refused");
	snprintf(c.purpose, sizeof(c.purpose), "support");
	is_int(rp_vault_get(v, &c, &id1, 1, RP_FIELD_EMAIL, rec), RP_E_DENIED,
	    "mailer: other purpose refused");

	caller(&c, RP_ROLE_BACKOFFICE, "marketing");
	is_int(rp_vault_get(v, &c, &id1, 1, RP_FIELD_EMAIL, rec), RP_E_DENIED,
	    "back office: unknown purpose refused");
	caller(&c, RP_ROLE_BACKOFFICE, "support");
	is_int(rp_vault_get(v, &c, &id1, 1, RP_FIELD_ALL, rec), 0,
	    "back office: support");
	rp_vault_record_release(&rec[0]);
	is_int(rp_vault_erase(v, &c, id1), RP_E_DENIED,
	    "back office support may not erase");

	caller(&c, RP_ROLE_CLIENT_ADMIN, "client_admin");
	c.tenant = 5;
	is_int(rp_vault_get(v, &c, &id3, 1, RP_FIELD_ALL, rec), 0,
	    "client admin: its tenant");
	rp_vault_record_release(&rec[0]);
	is_int(rp_vault_get(v, &c, &id1, 1, RP_FIELD_NAME, rec), RP_E_DENIED,
	    "client admin: not an individual customer");
	is_int(rp_vault_find(v, &c, RP_VAULT_FIND_EMAIL, rp_str_c(EMAIL), ids, 8,
	    &n), 0, "client admin: find outside its tenant");
	is_int((long long)n, 0, "finds nothing");

	caller(&c, RP_ROLE_INCIDENT, "incident");
	is_int(rp_vault_get(v, &c, &id1, 1, RP_FIELD_ALL, rec), 0, "incident");
	rp_vault_record_release(&rec[0]);
	caller(&c, RP_ROLE_INCIDENT, "support");
	is_int(rp_vault_get(v, &c, &id1, 1, RP_FIELD_ALL, rec), RP_E_DENIED,
	    "incident role, other purpose");

	rp_vault_caller_seed(&c);
	is_int(rp_vault_get(v, &c, &id1, 1, RP_FIELD_NAME, rec), RP_E_DENIED,
	    "seed may not read");
	ok(last_entry(&fl, &e, &eb) && e.action == RP_ALOG_REFUSED &&
	    e.role == RP_ROLE_SEED, "seed refusal logged");
	caller(&c, RP_ROLE_LOG, "backoffice");
	is_int(rp_vault_get(v, &c, &id1, 1, RP_FIELD_NAME, rec), RP_E_DENIED,
	    "log role has no row");
	caller(&c, RP_ROLE_NONE, "backoffice");
	is_int(rp_vault_get(v, &c, &id1, 1, RP_FIELD_NAME, rec), RP_E_DENIED,
	    "no role");
	caller(&c, RP_ROLE_PUBLIC_WEB, "order_new");
	pseud_id = 0;
	is_int(rp_vault_put(v, &c, &p3, 5, NULL, 0, &pseud_id), RP_E_DENIED,
	    "public web cannot create a corporate record");
	is_int(rp_vault_put(v, &c, &p3, 0, &ord1, 1, &pseud_id), 0,
	    "public web creates a customer");
	caller(&c, RP_ROLE_CORPORATE_WEB, "order_new");
	c.tenant = 6;
	pseud_id = 0;
	is_int(rp_vault_put(v, &c, &p3, 5, NULL, 0, &pseud_id), RP_E_DENIED,
	    "corporate web puts into its tenant only");
	ok(last_entry(&fl, &e, &eb) && e.action == RP_ALOG_REFUSED, "logged");

	/* log first, then release */
	fl.fail = true;
	is_int(rp_vault_get(v, &bo, &id1, 1, RP_FIELD_ALL, rec), RP_E_AGAIN,
	    "logger down: get refused");
	ok(rec[0].mem == NULL && rec[0].f[RP_VF_NAME].n == 0, "nothing released");
	ids[0] = id1; ids[1] = id2;
	is_int(rp_vault_get(v, &bo, ids, 2, RP_FIELD_ALL, rec), RP_E_AGAIN,
	    "logger down: batch refused");
	ok(rec[0].mem == NULL && rec[1].mem == NULL, "nothing of the batch");
	is_int(rp_vault_count(v, &cnt), 0, "count");
	pseud_id = 0;
	is_int(rp_vault_put(v, &bo, &p1, 0, NULL, 0, &pseud_id), RP_E_AGAIN,
	    "logger down: put refused");
	ok(rp_vault_count(v, &ids[7]) == 0 && ids[7] == cnt, "nothing written");
	is_int(rp_vault_find(v, &bo, RP_VAULT_FIND_EMAIL, rp_str_c(EMAIL), ids, 8,
	    &n), RP_E_AGAIN, "logger down: find refused");
	is_int(rp_vault_erase(v, &bo, id1), RP_E_AGAIN, "logger down: erase refused");
	fl.fail = false;
	is_int(rp_vault_get(v, &bo, &id1, 1, RP_FIELD_NAME, rec), 0,
	    "not erased while the log was down");
	rp_vault_record_release(&rec[0]);

	/* batch put (seed) in bulk mode: one entry per batch */
	{
		const struct rp_vault_person *pp[3] = { &p1, &p2, NULL };
		uint32_t tn[3] = { 0, 5, 0 };
		struct rp_str on[3] = { RP_STR_LIT("RP-CCCC0001"),
			RP_STR_LIT("RP-CCCC0002"), RP_STR_LIT("RP-CCCC0003") };
		uint64_t bid[3] = { 0, 0, id1 }, first = 0;

		rp_vault_caller_seed(&c);
		is_int(rp_vault_bulk_begin(v, &first), 0, "bulk begin");
		cnt = fl.n;
		is_int(rp_vault_put_batch(v, &c, pp, tn, on, bid, 3), 0, "put batch");
		is_int((long long)(fl.n - cnt), 1, "one entry for the batch");
		ok(last_entry(&fl, &e, &eb) && e.n_records == 3 &&
		    e.role == RP_ROLE_SEED, "naming all three");
		ok(bid[0] == first && bid[1] == first + 1 && bid[2] == id1,
		    "consecutive ids from first");
		is_int(rp_vault_bulk_end(v, true), 0, "bulk end");
		is_int(rp_vault_find(v, &bo, RP_VAULT_FIND_ORDER,
		    rp_str_c("RP-CCCC0003"), ids, 8, &n), 0, "linked order");
		ok(n == 1 && ids[0] == id1, "link to an existing record");
		caller(&c, RP_ROLE_PUBLIC_WEB, "order_new");
		is_int(rp_vault_put_batch(v, &c, pp, tn, on, bid, 2), RP_E_DENIED,
		    "batch put: seed (and unscoped) roles only");
	}

	/* erase: crypto-shred */
	{
		sqlite3 *db = NULL;
		sqlite3_stmt *s = NULL;
		unsigned char ct[64], key[48];
		size_t ctn = 0, keyn = 0;

		snprintf(path, sizeof(path), "%s/vault/vault.db", dir);
		if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
		    SQLITE_OK && sqlite3_prepare_v2(db, "SELECT substr(ct, 1, 64),"
		    " key_wrapped FROM records WHERE id = ?1", -1, &s, NULL) ==
		    SQLITE_OK) {
			sqlite3_bind_int64(s, 1, (int64_t)id1);
			if (sqlite3_step(s) == SQLITE_ROW) {
				ctn = (size_t)sqlite3_column_bytes(s, 0);
				memcpy(ct, sqlite3_column_blob(s, 0), ctn);
				keyn = (size_t)sqlite3_column_bytes(s, 1);
				memcpy(key, sqlite3_column_blob(s, 1), keyn);
			}
		}
		sqlite3_finalize(s);
		sqlite3_close(db);
		ok(ctn == 64 && keyn == 48, "ciphertext and wrapped key read");
		ok(db_has(dir, ct, ctn), "ciphertext in the file before erase");
		ok(!db_has(dir, NAME, strlen(NAME)) &&
		    !db_has(dir, EMAIL, strlen(EMAIL)) &&
		    !db_has(dir, "営業部", strlen("営業部")) &&
		    !db_has(dir, "h.sato12", 8) &&
		    !db_has(dir, "070-9999-0000", 13), "no plaintext in vault.db");
		is_int(rp_vault_erase(v, &bo, id1), 0, "erase");
		ok(last_entry(&fl, &e, &eb) && e.action == RP_ALOG_ERASE, "logged");
		is_int(rp_vault_get(v, &bo, &id1, 1, RP_FIELD_NAME, rec),
		    RP_E_NOTFOUND, "erased: not found");
		ok(last_entry(&fl, &e, &eb) && e.action == RP_ALOG_GET &&
		    e.outcome == RP_OUTCOME_NOT_FOUND, "the attempt is logged");
		is_int(rp_vault_erase(v, &bo, id1), RP_E_NOTFOUND, "erase twice");
		ok(!db_has(dir, ct, ctn), "ciphertext gone from the file");
		ok(!db_has(dir, key, keyn), "wrapped key gone from the file");
		is_int(rp_vault_find(v, &bo, RP_VAULT_FIND_ORDER,
		    rp_str_c("RP-AAAA1111"), ids, 8, &n), 0, "find after erase");
		ok(n == 1 && ids[0] != id1, "the erased record is not found");
		pseud_id = id1;
		is_int(rp_vault_put(v, &bo, &p1, 0, NULL, 0, &pseud_id),
		    RP_E_NOTFOUND, "an erased record cannot be rewritten");
	}
	rp_vault_free(v);
	v = NULL;

	/* tamper and swap (vault closed, file edited directly) */
	is_int(flip_ct(dir, id2), 0, "flip a ciphertext byte of a record");
	is_int(copy_ct(dir, id4, id3), 0, "move a valid ciphertext to another row");
	is_int(rp_vault_open(dir, &lg, &v), 0, "reopen");
	r = rp_vault_get(v, &bo, &id2, 1, RP_FIELD_ALL, rec);
	ok(r == RP_E_STATE && rec[0].mem == NULL,
	    "tampered record: fails, no plaintext");
	rp_vault_record_release(&rec[0]);
	r = rp_vault_get(v, &bo, &id3, 1, RP_FIELD_ALL, rec);
	ok(r != 0 && rec[0].mem == NULL, "swapped ciphertext: fails, no plaintext");
	rp_vault_record_release(&rec[0]);
	is_int(rp_vault_get(v, &bo, &id4, 1, RP_FIELD_NAME, rec), 0,
	    "the original row still reads");
	ok(rp_str_eq_c(rec[0].f[RP_VF_NAME], "高橋 次郎"), "its own content");
	rp_vault_record_release(&rec[0]);
	rp_vault_free(v);
	rp_buf_release(&eb);
	rm_rf(dir);
	return tap_done();
}
