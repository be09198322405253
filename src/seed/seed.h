/* SPDX-License-Identifier: ISC */
/*
 * seed.h — synthetic data: `rentport seed --demo` and
 * `rentport seed --orders N --since DATE --seed S`.
 */
#ifndef RP_SEED_H
#define RP_SEED_H

#include "conf/conf.h"

/*
 * Runs `rentport seed`; argv holds only the subcommand's own arguments
 * (configuration flags are already in conf).  Returns the exit status:
 * 0, 1 on failure, 2 on bad arguments (with a message on stderr).
 */
int rp_seed_cmd(const struct rp_conf *conf, int argc, char **argv);

#endif
