/* SPDX-License-Identifier: ISC */
/*
 * outbox.c — the mail outbox: its own SQLite file DATA/mail/outbox.db
 * (mode 0600), so the core store's migrations never need to know about
 * mail.  Rows name the recipient by vault record id and carry only
 * non-personal template values.  Enqueue is called by web workers (input
 * already validated by them, checked again here); the state columns are
 * written by the sender (send.c).
 */
#include "util/common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "mail/mail.h"
#include "mail/mail_int.h"
#include "util/log.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS outbox ("
    " id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL,"
    " lang TEXT NOT NULL CHECK (lang IN ('ja', 'en')),"
    " order_number TEXT NOT NULL,"
    " person_id INTEGER NOT NULL,"
    " params TEXT NOT NULL,"
    " dedupe TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'queued'"
    "  CHECK (state IN ('queued', 'sent', 'failed', 'dead')),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt_at INTEGER NOT NULL,"
    " last_error TEXT,"
    " created_at INTEGER NOT NULL,"
    " sent_at INTEGER,"
    " UNIQUE (kind, order_number, dedupe));"
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at)"
    " WHERE state IN ('queued', 'failed');";

static const char *const state_names[] = { "queued", "sent", "failed", "dead" };

const char *
rp_mail_state_name(enum rp_mail_state s)
{
	return (unsigned)s < 4 ? state_names[s] : "?";
}

static int
state_parse(const unsigned char *s)
{
	for (int i = 0; i < 4; i++)
		if (s != NULL && strcmp((const char *)s, state_names[i]) == 0)
			return i;
	return -1;
}

/* Printable ASCII, 0x21..0x7e, length within [min, max]. */
bool
rp_mail_token_valid(const char *s, size_t min, size_t max)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strlen(s);
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* No C0 control characters and no DEL, valid UTF-8. */
bool
rp_mail_text_valid(struct rp_str s)
{
	for (size_t i = 0; i < s.n; i++)
		if ((unsigned char)s.p[i] < 0x20 || (unsigned char)s.p[i] == 0x7f)
			return false;
	return rp_utf8_valid(s);
}

static bool
key_valid(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') ||
		    k[i] == '_'))
			return false;
	return true;
}

/*
 * Params: a JSON object of template values; strings without control
 * characters or integers.  "name" is reserved for the vault's name.
 */
int
rp_mail_params_check(struct rp_str params, json_t **out)
{
	json_t *o, *v;
	const char *k;
	json_error_t e;

	if (out != NULL)
		*out = NULL;
	if (params.n == 0 || params.n > RP_MAIL_PARAMS_MAX)
		return params.n == 0 ? RP_E_INVAL : RP_E_TOOBIG;
	if ((o = json_loadb(params.p, params.n, JSON_REJECT_DUPLICATES, &e)) == NULL)
		return RP_E_INVAL;
	if (!json_is_object(o))
		goto bad;
	json_object_foreach(o, k, v) {
		if (!key_valid(k) || strcmp(k, "name") == 0)
			goto bad;
		if (json_is_string(v)) {
			struct rp_str s = { json_string_value(v),
			    json_string_length(v) };
			if (!rp_mail_text_valid(s))
				goto bad;
		} else if (!json_is_integer(v))
			goto bad;
	}
	if (out != NULL)
		*out = o;
	else
		json_decref(o);
	return 0;
 bad:
	json_decref(o);
	return RP_E_INVAL;
}

int
rp_mail_outbox_open_path(const char *path, struct rp_mail_outbox **out)
{
	struct rp_mail_outbox *ob;
	char *err = NULL;
	int fd, r = RP_E_DB;

	*out = NULL;
	/* Create the file ourselves so that it (and SQLite's -wal and -shm,
	 * which copy its mode) is 0600 from the first byte.  An existing
	 * one keeps the mode serve gave it (the web workers' group may
	 * write it: proc/sandbox.c). */
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) >= 0)
		(void)fchmod(fd, 0600);
	else if (errno != EEXIST || (fd = open(path, O_RDWR | O_CLOEXEC |
	    O_NOFOLLOW)) < 0)
		return RP_E_IO;
	close(fd);
	if ((ob = calloc(1, sizeof(*ob))) == NULL)
		return RP_E_NOMEM;
	if (sqlite3_open_v2(path, &ob->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(ob->db, 5000);
	{
		int one = 1;	/* -wal and -shm stay: see the store's open */

		(void)sqlite3_file_control(ob->db, "main",
		    SQLITE_FCNTL_PERSIST_WAL, &one);
	}
	if (sqlite3_exec(ob->db, "PRAGMA journal_mode=WAL;PRAGMA temp_store=MEMORY;"
	    "PRAGMA synchronous=NORMAL;PRAGMA secure_delete=ON;", NULL, NULL,
	    &err) != SQLITE_OK)
		goto out;
	if (sqlite3_exec(ob->db, schema, NULL, NULL, &err) != SQLITE_OK)
		goto out;
	*out = ob;
	ob = NULL;			/* transferred */
	r = 0;
 out:
	if (err != NULL) {
		rp_log_error("mail: outbox schema: %s", err);
		sqlite3_free(err);
	}
	rp_mail_outbox_close(ob);
	return r;
}

int
rp_mail_outbox_open(const char *data_dir, struct rp_mail_outbox **out)
{
	char path[4096];
	int n;

	*out = NULL;
	n = snprintf(path, sizeof(path), "%s/mail", data_dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return RP_E_TOOBIG;
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return RP_E_IO;
	n = snprintf(path, sizeof(path), "%s/mail/outbox.db", data_dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return RP_E_TOOBIG;
	return rp_mail_outbox_open_path(path, out);
}

void
rp_mail_outbox_close(struct rp_mail_outbox *ob)
{
	if (ob == NULL)
		return;
	sqlite3_close(ob->db);
	free(ob);
}

int
rp_mail_enqueue(struct rp_mail_outbox *ob, const char *kind,
    const char *lang, const char *order_number, uint64_t person_id,
    const char *params_json, const char *dedupe, int64_t now,
    uint64_t *id, bool *created)
{
	sqlite3_stmt *st = NULL;
	int r;

	*id = 0;
	if (created != NULL)
		*created = false;
	if (kind == NULL || !rp_mail_kind_valid(kind) || lang == NULL ||
	    (strcmp(lang, "ja") != 0 && strcmp(lang, "en") != 0) ||
	    !rp_mail_token_valid(order_number, 1, RP_MAIL_ORDER_MAX) ||
	    !rp_mail_token_valid(dedupe, 0, RP_MAIL_DEDUPE_MAX) ||
	    person_id == 0 || person_id > INT64_MAX || params_json == NULL)
		return RP_E_INVAL;
	if ((r = rp_mail_params_check(rp_str_c(params_json), NULL)) != 0)
		return r;

	r = RP_E_DB;
	if (sqlite3_prepare_v2(ob->db, "INSERT OR IGNORE INTO outbox (kind, lang,"
	    " order_number, person_id, params, dedupe, next_attempt_at,"
	    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &st,
	    NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, lang, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, order_number, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)person_id);
	sqlite3_bind_text(st, 5, params_json, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, dedupe, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, now);
	sqlite3_bind_int64(st, 8, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	if (sqlite3_changes(ob->db) == 1) {
		*id = (uint64_t)sqlite3_last_insert_rowid(ob->db);
		if (created != NULL)
			*created = true;
		r = 0;
		goto out;
	}
	/* Already queued by an earlier (retried) request: its id. */
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(ob->db, "SELECT id FROM outbox WHERE kind = ?"
	    " AND order_number = ? AND dedupe = ?", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, order_number, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, dedupe, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	*id = (uint64_t)sqlite3_column_int64(st, 0);
	r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}

static void
copy_col(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	size_t n = s != NULL ? strlen((const char *)s) : 0;

	if (n >= cap)
		n = cap - 1;
	if (n > 0)
		memcpy(dst, s, n);
	dst[n] = '\0';
}

int
rp_mail_get(struct rp_mail_outbox *ob, uint64_t id, struct rp_mail_info *out)
{
	sqlite3_stmt *st = NULL;
	int r = RP_E_DB, s, rc;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(ob->db, "SELECT id, state, attempts,"
	    " next_attempt_at, created_at, sent_at, kind, lang, order_number,"
	    " person_id, last_error FROM outbox WHERE id = ?", -1, &st,
	    NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		r = RP_E_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW || (s = state_parse(sqlite3_column_text(st, 1))) < 0)
		goto out;
	out->id = (uint64_t)sqlite3_column_int64(st, 0);
	out->state = (enum rp_mail_state)s;
	out->attempts = (unsigned)sqlite3_column_int(st, 2);
	out->next_attempt_at = sqlite3_column_int64(st, 3);
	out->created_at = sqlite3_column_int64(st, 4);
	out->sent_at = sqlite3_column_int64(st, 5);
	copy_col(out->kind, sizeof(out->kind), st, 6);
	copy_col(out->lang, sizeof(out->lang), st, 7);
	copy_col(out->order_number, sizeof(out->order_number), st, 8);
	out->person_id = (uint64_t)sqlite3_column_int64(st, 9);
	copy_col(out->last_error, sizeof(out->last_error), st, 10);
	r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}

int
rp_mail_count(struct rp_mail_outbox *ob, int state, uint64_t *n)
{
	sqlite3_stmt *st = NULL;
	int r = RP_E_DB;

	*n = 0;
	if (sqlite3_prepare_v2(ob->db, state < 0 ?
	    "SELECT count(*) FROM outbox" :
	    "SELECT count(*) FROM outbox WHERE state = ?", -1, &st,
	    NULL) != SQLITE_OK)
		goto out;
	if (state >= 0)
		sqlite3_bind_text(st, 1, rp_mail_state_name(
		    (enum rp_mail_state)state), -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	*n = (uint64_t)sqlite3_column_int64(st, 0);
	r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}

int
rp_mail_next_due(struct rp_mail_outbox *ob, int64_t *when)
{
	sqlite3_stmt *st = NULL;
	int r = RP_E_DB;

	*when = 0;
	if (sqlite3_prepare_v2(ob->db, "SELECT min(next_attempt_at) FROM outbox"
	    " WHERE state IN ('queued', 'failed')", -1, &st, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		r = RP_E_NOTFOUND;
		goto out;
	}
	*when = sqlite3_column_int64(st, 0);
	r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}
