/* SPDX-License-Identifier: ISC */
/* test_person.c — the placeholder person store (person/person.h). */
#include "util/common.h"
#include "person/person.h"

#include "tap.h"
#include "test_store_util.h"

int
main(void)
{
	struct rp_persons *ps = NULL;
	struct rp_person in, got;
	char dir[512], path[600], big[RP_PERSON_FIELD_MAX + 2];
	uint64_t id = 0, id2 = 0, first = 0, n = 0;
	size_t len;
	char *bytes;
	int i;

	ok(tmpdir_make(dir, sizeof(dir)) != NULL, "scratch dir");
	is_int(rp_persons_open(dir, &ps), 0, "open persons.db");

	memset(&in, 0, sizeof(in));
	in.name = "山田 花子";
	in.kana = "ヤマダ ハナコ";
	in.email = "hanako.yamada@example.jp";
	in.phone = "090-0000-1234";
	in.postal_code = "100-0001";
	in.address = "東京都千代田区千代田1-1";
	in.department = "営業部";
	is_int(rp_person_put(ps, &in, &id), 0, "put");
	ok(id > 0, "id assigned");
	is_int(rp_person_get(ps, id, &got), 0, "get");
	is_str(got.name, in.name, "name round-trips");
	is_str(got.kana, in.kana, "kana round-trips");
	is_str(got.email, in.email, "email round-trips");
	is_str(got.address, in.address, "address round-trips");
	is_str(got.company, "", "NULL field reads back empty");
	is_str(got.department, "営業部", "department round-trips");
	rp_person_release(&got);
	ok(got.name == NULL && got.email == NULL, "release clears fields");

	is_int(rp_person_get(ps, id + 100, &got), RP_E_NOTFOUND, "unknown id");
	ok(got.name == NULL, "not found leaves fields NULL");
	is_int(rp_person_get(ps, 0, &got), RP_E_NOTFOUND, "id 0");

	in.name = "bad \xc3\x28 utf8";
	is_int(rp_person_put(ps, &in, &id2), RP_E_INVAL, "invalid UTF-8 refused");
	ok(id2 == 0, "no id on failure");
	in.name = "tab\tinside";
	is_int(rp_person_put(ps, &in, &id2), RP_E_INVAL, "control char refused");
	in.name = NULL;
	is_int(rp_person_put(ps, &in, &id2), RP_E_INVAL, "name required");
	in.name = "";
	is_int(rp_person_put(ps, &in, &id2), RP_E_INVAL, "empty name refused");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	in.name = big;
	is_int(rp_person_put(ps, &in, &id2), RP_E_TOOBIG, "oversized field");
	in.name = "佐藤 一郎";
	in.email = NULL;
	is_int(rp_person_put(ps, &in, &id2), RP_E_INVAL, "email required");
	in.email = "ichiro.sato@example.com";

	/* Bulk mode hands out consecutive ids starting at first_id. */
	is_int(rp_persons_bulk_begin(ps, &first), 0, "bulk begin");
	is_int((long long)first, (long long)id + 1, "first bulk id follows max");
	is_int(rp_persons_bulk_begin(ps, &n), RP_E_STATE, "bulk is not nested");
	for (i = 0; i < 100; i++) {
		if (rp_person_put(ps, &in, &id2) != 0 || id2 != first + (uint64_t)i)
			break;
	}
	is_int(i, 100, "bulk ids are consecutive");
	is_int(rp_persons_bulk_end(ps, true), 0, "bulk commit");
	is_int(rp_persons_count(ps, &n), 0, "count");
	is_int((long long)n, 101, "101 persons stored");

	/* A rolled-back bulk load leaves nothing behind. */
	is_int(rp_persons_bulk_begin(ps, &first), 0, "bulk begin again");
	is_int(rp_person_put(ps, &in, &id2), 0, "put in bulk");
	is_int(rp_persons_bulk_end(ps, false), 0, "bulk rollback");
	is_int(rp_persons_count(ps, &n), 0, "count after rollback");
	is_int((long long)n, 101, "rollback discarded the row");
	rp_persons_free(ps);
	ps = NULL;

	/* Reopen: data persisted, and the bytes are in persons.db. */
	is_int(rp_persons_open(dir, &ps), 0, "reopen");
	is_int(rp_person_get(ps, id, &got), 0, "get after reopen");
	is_str(got.name, "山田 花子", "persisted");
	rp_person_release(&got);
	rp_persons_free(ps);
	snprintf(path, sizeof(path), "%s/persons.db", dir);
	bytes = file_slurp(path, &len);
	ok(bytes != NULL && memmem(bytes, len, "hanako.yamada@example.jp", 24)
	    != NULL, "persons.db holds the e-mail");
	free(bytes);
	rp_persons_free(NULL);
	tmpdir_remove(dir);
	return tap_done();
}
