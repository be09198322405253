/* SPDX-License-Identifier: ISC */
/*
 * person.c — the placeholder person store (see person.h): one SQLite file,
 * <data_dir>/persons.db, one table.  Replaced by the vault; until then it
 * is the only file holding personal data.  Field contents never reach the
 * operational log: errors are logged by code only.
 */
#include "util/common.h"
#include "util/log.h"
#include "util/str.h"
#include "person/person.h"

#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <sqlite3.h>

struct rp_persons {
	sqlite3 *db;
	sqlite3_stmt *ins, *get;
	bool bulk;
	uint64_t next_id;		/* bulk mode */
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS persons ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL, kana TEXT NOT NULL, email TEXT NOT NULL,"
	" phone TEXT NOT NULL, postal_code TEXT NOT NULL,"
	" address TEXT NOT NULL, company TEXT NOT NULL,"
	" department TEXT NOT NULL, created_at INTEGER NOT NULL)";

static int
exec(struct rp_persons *ps, const char *q)
{
	int rc;

	if ((rc = sqlite3_exec(ps->db, q, NULL, NULL, NULL)) != SQLITE_OK) {
		rp_log_error("person: sqlite exec failed: %s", sqlite3_errstr(rc));
		return RP_E_DB;
	}
	return 0;
}

/*
 * Creates the database file owner-only before SQLite opens it (SQLite
 * would create it 0644 under the usual umask).  Existing files are left
 * as they are.
 */
static int
create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return RP_E_IO;
	close(fd);
	return 0;
}

int
rp_persons_open(const char *data_dir, struct rp_persons **out)
{
	struct rp_persons *ps = NULL;
	char path[1200];
	int r;

	*out = NULL;
	if (data_dir == NULL || data_dir[0] == '\0')
		return RP_E_INVAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/persons.db", data_dir) >=
	    sizeof(path))
		return RP_E_TOOBIG;
	if (mkdir(data_dir, 0700) != 0 && errno != EEXIST)
		return RP_E_IO;
	if (create_private(path) != 0)
		return RP_E_IO;
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return RP_E_NOMEM;
	if (sqlite3_open_v2(path, &ps->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rp_log_error("person: cannot open persons.db");
		r = RP_E_IO;
		goto out;
	}
	sqlite3_busy_timeout(ps->db, 5000);
	if ((r = exec(ps, "PRAGMA journal_mode = WAL")) != 0 ||
	    (r = exec(ps, "PRAGMA synchronous = NORMAL")) != 0 ||
	    (r = exec(ps, schema)) != 0)
		goto out;
	if (sqlite3_prepare_v3(ps->db, "INSERT INTO persons (id, name, kana, "
	    "email, phone, postal_code, address, company, department, "
	    "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", -1,
	    SQLITE_PREPARE_PERSISTENT, &ps->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(ps->db, "SELECT name, kana, email, phone, "
	    "postal_code, address, company, department FROM persons WHERE "
	    "id = ?1", -1, SQLITE_PREPARE_PERSISTENT, &ps->get, NULL) != SQLITE_OK) {
		r = RP_E_DB;
		goto out;
	}
	*out = ps;
	ps = NULL;			/* transferred */
 out:
	rp_persons_free(ps);
	return r;
}

void
rp_persons_free(struct rp_persons *ps)
{
	if (ps == NULL)
		return;
	if (ps->bulk)
		(void)sqlite3_exec(ps->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(ps->ins);
	sqlite3_finalize(ps->get);
	sqlite3_close(ps->db);
	free(ps);
}

static int
field_ok(const char *s, bool required)
{
	size_t n, i;

	if (s == NULL)
		return required ? RP_E_INVAL : 0;
	if ((n = strnlen(s, RP_PERSON_FIELD_MAX + 1)) > RP_PERSON_FIELD_MAX)
		return RP_E_TOOBIG;
	if (n == 0 && required)
		return RP_E_INVAL;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return RP_E_INVAL;
	return rp_utf8_valid((struct rp_str){ s, n }) ? 0 : RP_E_INVAL;
}

static int
max_id(struct rp_persons *ps, uint64_t *id)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*id = 0;
	if (sqlite3_prepare_v2(ps->db, "SELECT coalesce(max(id), 0) FROM persons",
	    -1, &s, NULL) != SQLITE_OK)
		return RP_E_DB;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*id = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : RP_E_DB;
}

int
rp_person_put(struct rp_persons *ps, const struct rp_person *p, uint64_t *id)
{
	const char *f[8];
	sqlite3_stmt *s = ps->ins;
	int i, rc, r;

	*id = 0;
	f[0] = p->name; f[1] = p->kana; f[2] = p->email; f[3] = p->phone;
	f[4] = p->postal_code; f[5] = p->address; f[6] = p->company;
	f[7] = p->department;
	for (i = 0; i < 8; i++)
		if ((r = field_ok(f[i], i == 0 || i == 2)) != 0)
			return r;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (ps->bulk)
		sqlite3_bind_int64(s, 1, (int64_t)ps->next_id);
	for (i = 0; i < 8; i++)
		sqlite3_bind_text(s, 2 + i, f[i] ? f[i] : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 10, (int64_t)time(NULL));
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return RP_E_DB;
	*id = (uint64_t)sqlite3_last_insert_rowid(ps->db);
	if (ps->bulk)
		ps->next_id++;
	return 0;
}

void
rp_person_release(struct rp_person *p)
{
	free(p->name);
	free(p->kana);
	free(p->email);
	free(p->phone);
	free(p->postal_code);
	free(p->address);
	free(p->company);
	free(p->department);
	memset(p, 0, sizeof(*p));
}

int
rp_person_get(struct rp_persons *ps, uint64_t id, struct rp_person *out)
{
	char **f[8];
	sqlite3_stmt *s = ps->get;
	int i, rc, r = 0;

	memset(out, 0, sizeof(*out));
	if (id == 0 || id > INT64_MAX)
		return RP_E_NOTFOUND;
	f[0] = &out->name; f[1] = &out->kana; f[2] = &out->email;
	f[3] = &out->phone; f[4] = &out->postal_code; f[5] = &out->address;
	f[6] = &out->company; f[7] = &out->department;
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, (int64_t)id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		for (i = 0; i < 8 && r == 0; i++) {
			struct rp_str v = {
				(const char *)sqlite3_column_text(s, i),
				(size_t)sqlite3_column_bytes(s, i)
			};

			if ((*f[i] = rp_str_dup(v)) == NULL)
				r = RP_E_NOMEM;
		}
	} else
		r = rc == SQLITE_DONE ? RP_E_NOTFOUND : RP_E_DB;
	sqlite3_reset(s);
	if (r != 0)
		rp_person_release(out);
	return r;
}

int
rp_persons_bulk_begin(struct rp_persons *ps, uint64_t *first_id)
{
	int r;

	*first_id = 0;
	if (ps->bulk)
		return RP_E_STATE;
	if ((r = exec(ps, "PRAGMA synchronous = OFF")) != 0 ||
	    (r = exec(ps, "PRAGMA cache_size = -65536")) != 0 ||
	    (r = exec(ps, "BEGIN IMMEDIATE")) != 0)
		return r;
	if ((r = max_id(ps, &ps->next_id)) != 0) {
		(void)sqlite3_exec(ps->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	ps->next_id++;
	ps->bulk = true;
	*first_id = ps->next_id;
	return 0;
}

int
rp_persons_bulk_end(struct rp_persons *ps, bool commit)
{
	int r = 0;

	if (!ps->bulk)
		return RP_E_STATE;
	ps->bulk = false;
	if (commit)
		r = exec(ps, "COMMIT");
	if (!commit || r != 0)
		(void)sqlite3_exec(ps->db, "ROLLBACK", NULL, NULL, NULL);
	(void)exec(ps, "PRAGMA synchronous = NORMAL");
	(void)exec(ps, "PRAGMA cache_size = -2000");
	(void)exec(ps, "PRAGMA wal_checkpoint(TRUNCATE)");
	return r;
}

int
rp_persons_count(struct rp_persons *ps, uint64_t *n)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(ps->db, "SELECT count(*) FROM persons", -1, &s,
	    NULL) != SQLITE_OK)
		return RP_E_DB;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : RP_E_DB;
}
