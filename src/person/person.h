/* SPDX-License-Identifier: ISC */
/*
 * person.h — PLACEHOLDER person records, until the vault issue lands.
 *
 * This module is the ONLY place in rentport that may store personal data
 * (names, kana, e-mail addresses, phone numbers, postal addresses,
 * companies, departments).  No other module may store any of it: the core
 * store (store/store.h) keeps only the person id returned here.  The vault
 * (a separate process that encrypts every record and logs every release to
 * the tamper-evident access log) replaces this module behind the same small
 * interface, so that callers do not change.
 *
 * Today it is a plain SQLite file, <data_dir>/persons.db, separate from
 * core.db, read and written by whichever process opens it.  Records are
 * never written to operational logs.
 */
#ifndef RP_PERSON_H
#define RP_PERSON_H

#include <stdbool.h>
#include <stdint.h>

#include "util/errors.h"

#define RP_PERSON_FIELD_MAX	512	/* bytes of UTF-8 per field */

struct rp_persons;

/*
 * One person.  From rp_person_get every field is an owned, NUL-terminated
 * heap string ("" when empty; released by rp_person_release).  For
 * rp_person_put the fields are borrowed and NULL means "".  name and email
 * are required; every field is valid UTF-8 without control characters and
 * at most RP_PERSON_FIELD_MAX bytes.
 */
struct rp_person {
	char *name;		/* 山田 太郎 */
	char *kana;		/* ヤマダ タロウ */
	char *email;
	char *phone;
	char *postal_code;	/* 123-4567 */
	char *address;		/* prefecture, city, town, chome-banchi */
	char *company;		/* "" for private customers */
	char *department;
};

/*
 * Opens (creating if needed) <data_dir>/persons.db.  0 and *out (owned:
 * rp_persons_free), or RP_E_IO / RP_E_DB / RP_E_NOMEM.
 */
int rp_persons_open(const char *data_dir, struct rp_persons **out) RP_WARN_UNUSED;
void rp_persons_free(struct rp_persons *ps);	/* NULL-safe */

/*
 * Stores a new person.  0 and *id (> 0), or RP_E_INVAL / RP_E_TOOBIG for a
 * bad field, RP_E_DB.
 */
int rp_person_put(struct rp_persons *ps, const struct rp_person *p,
    uint64_t *id) RP_WARN_UNUSED;

/*
 * Reads a person into *out (fields owned: rp_person_release).  0, or
 * RP_E_NOTFOUND (out is then all NULL), RP_E_NOMEM, RP_E_DB.
 */
int rp_person_get(struct rp_persons *ps, uint64_t id,
    struct rp_person *out) RP_WARN_UNUSED;

/* Frees the fields of a record from rp_person_get and NULLs them. */
void rp_person_release(struct rp_person *p);

/*
 * Bulk load (seed): one transaction, relaxed durability.  While it is on,
 * rp_person_put hands out consecutive ids starting at *first_id, so a
 * loader can know ids before the rows are written (e.g. from another
 * thread).  rp_persons_bulk_end commits (commit true) or rolls back.
 */
int rp_persons_bulk_begin(struct rp_persons *ps, uint64_t *first_id) RP_WARN_UNUSED;
int rp_persons_bulk_end(struct rp_persons *ps, bool commit) RP_WARN_UNUSED;

/* Number of stored persons (tests, seed). */
int rp_persons_count(struct rp_persons *ps, uint64_t *n) RP_WARN_UNUSED;

#endif
