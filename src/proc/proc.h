/* SPDX-License-Identifier: ISC */
/*
 * proc.h — `rentport serve`: the parent process.  It creates the data
 * directory and log files, the listening socket and the shared metrics
 * area, spawns the children over SOCK_SEQPACKET socket pairs (now: web
 * workers), writes the access log lines they send, restarts a child that
 * dies (recording the restart) and shuts everything down on SIGTERM/SIGINT.
 */
#ifndef RP_PROC_H
#define RP_PROC_H

#include "conf/conf.h"

/* Runs the parent until SIGTERM/SIGINT; returns the exit status. */
int rp_proc_serve(const struct rp_conf *conf);

#endif
