/* SPDX-License-Identifier: ISC */
/*
 * cli.h — `rentport log ...`: the operator's commands over the access
 * log's files (verifier-key, verify, prove, consistency, show, range).
 * They read DATA/alog/ directly (verify.h), never through the writer, and
 * may run while the writer runs.  Documented in docs/access-log.md.
 */
#ifndef RP_ALOG_CLI_H
#define RP_ALOG_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "alog/verify.h"
#include "conf/conf.h"
#include "util/errors.h"
#include "util/str.h"

/*
 * Runs `rentport log <argv[0]> argv[1..]` (configuration flags already
 * consumed into conf: data_dir, witness_vkey).  Exit status: 0 success,
 * 1 verification failure (the first failure on stderr, naming the index
 * and the file), 2 bad usage.  `--help` after any subcommand prints its
 * usage.
 */
int rp_log_cmd(const struct rp_conf *conf, int argc, char **argv);

/* The same, printing to out and err instead of stdout and stderr. */
int rp_log_cmd_io(const struct rp_conf *conf, int argc, char **argv,
    FILE *out, FILE *err);

/*
 * Parses a time argument: unix milliseconds (digits only), or RFC 3339
 * "YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)" (also 't'/'z'/' '), or a date
 * "YYYY-MM-DD" (midnight UTC).  0 or RP_E_INVAL (*ms 0).
 */
int rp_log_parse_time(struct rp_str s, uint64_t *ms) RP_WARN_UNUSED;

/* Formats ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (>= 32 bytes). */
void rp_log_format_time(uint64_t ms, char *out, size_t cap);

/*
 * The index range [*lo, *hi) of the wal entries with t1 <= time < t2, by
 * binary search over the (non-decreasing) times.  0; RP_E_INVAL if an entry
 * probed is too short to hold a time.  Unordered times give an unspecified
 * (but in-bounds) range: `log verify` checks the order.
 */
int rp_log_range_find(const struct rp_alog_wal *w, uint64_t t1, uint64_t t2,
    uint64_t *lo, uint64_t *hi) RP_WARN_UNUSED;

#endif
