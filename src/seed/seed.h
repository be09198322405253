/* SPDX-License-Identifier: ISC */
/*
 * seed.h — synthetic data: `rentport seed --demo` and
 * `rentport seed --orders N --since DATE --seed S`.
 *
 * Runs in the parent process only, at the operator's request, before
 * serving.  Everything it writes is made up: persons are combined at random
 * from built-in name and place tables (seed_tables.c) and go to the vault
 * only (vault/vault.h, logged to the access log); the core store gets
 * person ids.  Output is deterministic for
 * the same seed, order count and date range (--until pins "today").
 */
#ifndef RP_SEED_H
#define RP_SEED_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/conf.h"

struct rp_store;
struct rp_vault;

#define RP_SEED_MAX_ORDERS	50000000
#define RP_SEED_DEMO_ORDERS	2000

/*
 * Runs `rentport seed`; argv holds only the subcommand's own arguments
 * (configuration flags are already in conf; argv[0] is the first own
 * argument).  Flags: --demo, --if-empty, --orders N (1..50000000),
 * --since YYYY-MM-DD (default: one year before --until), --until
 * YYYY-MM-DD (default: today in Japan), --seed S (0..2^64-1, default 1),
 * --help.  Returns the exit status: 0, 1 on failure, 2 on bad arguments
 * (with a one-line message naming the flag and its accepted form on
 * stderr).  Prints what it created (and, for --demo, the staff logins) on
 * stdout; a progress bar on stderr when stderr is a terminal.
 */
int rp_seed_cmd(const struct rp_conf *conf, int argc, char **argv);

struct rp_seed_opts {
	uint64_t orders;		/* orders to generate; 0 = none */
	char since[11], until[11];	/* order dates, both inclusive */
	uint64_t seed;
	bool demo;			/* also devices' states, staff logins */
	bool progress;			/* progress bar on stderr */
	FILE *out;			/* report; NULL = silent */
	const char *logins_path;	/* demo logins file (0600), or NULL */
	const char *data_dir;		/* staff accounts (auth/auth.db) for --demo */
	char site_url[256];		/* public site root, for printed URLs */
};

struct rp_seed_result {
	uint64_t orders;		/* orders written */
	uint64_t persons;		/* persons written */
	int64_t first_order_id;		/* 0 if none */
	double seconds;
};

/*
 * Creates the catalogue where missing (3 corporate clients with price
 * lists, plans for 34 destinations, options, 6 airport counters, 500
 * devices, the default policy if src/domain/policy_default.json is
 * embedded), staff logins when o->demo, then o->orders orders spread over
 * [since, until] in one bulk transaction per store.  Persons go through
 * vault (opened with a logger: each batch of up to RP_ALOG_MAX_RECORDS
 * persons is one access-log entry, role seed).  0, or the first store or
 * vault error (nothing of the orders is then kept; entries already logged
 * stay in the access log).
 */
int rp_seed_run(struct rp_store *st, struct rp_vault *vault,
    const struct rp_seed_opts *o, struct rp_seed_result *res) RP_WARN_UNUSED;

#endif
