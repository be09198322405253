/* SPDX-License-Identifier: ISC */
/*
 * store.h — the core store: orders, plans, options, tenants, counters,
 * devices, order events.  No readable personal data: orders hold a person
 * id (see person/person.h).
 *
 * One interface, several backends: SQLite (embedded default, sqlite.c) now,
 * PostgreSQL later; callers never see which.  (Skeleton — the store owner
 * extends this header.)
 */
#ifndef RP_STORE_H
#define RP_STORE_H

#include "util/errors.h"

struct rp_store;

/*
 * Opens (creating if needed) the core store in data_dir and applies pending
 * migrations.  0 and *out (owned: rp_store_free), or RP_E_DB / RP_E_IO.
 */
int rp_store_open(const char *data_dir, struct rp_store **out) RP_WARN_UNUSED;
void rp_store_free(struct rp_store *st);	/* NULL-safe */
/* Cheap liveness check for /readyz: 0 when the store answers. */
int rp_store_ping(struct rp_store *st) RP_WARN_UNUSED;

#endif
