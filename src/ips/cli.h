/* SPDX-License-Identifier: ISC */
/*
 * cli.h — `rentport ban list|add|remove` (cli.c): operators' management
 * of the IPS bans kept in the core store.
 */
#ifndef RP_IPS_CLI_H
#define RP_IPS_CLI_H

#include "conf/conf.h"

/* Runs `rentport ban` with the arguments after "ban"; the exit status. */
int rp_ban_cmd(const struct rp_conf *conf, int argc, char **argv);

#endif
