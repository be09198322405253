/* SPDX-License-Identifier: ISC */
/*
 * writer.h — the log-writer process: the one sequencer of the access log.
 *
 * It holds the log signing key (DATA/alog/key) and the store (store.h).
 * Clients (the vault) connect to the SOCK_SEQPACKET socket DATA/run/alog.sock
 * and send RP_MSG_LOG_APPEND{u64 cookie, str body}; the writer validates
 * each body with the entry decoder, appends every waiting entry in one group
 * commit (one write + one fdatasync of the wal) and answers
 * RP_MSG_LOG_DURABLE{u64 cookie, u64 index, u64 time_ms} for each — or
 * RP_MSG_LOG_FAILED{u64 cookie, u32 -RP_E_*} and exits non-zero if the store
 * failed (the parent restarts it; recovery runs at open).
 *
 * Who may connect: under `rentport serve` only processes whose pid (from
 * SO_PEERCRED) the parent registered with RP_MSG_PEER_REGISTER{pid, kind=1
 * (vault), index}; PEER_FORGET{pid} removes one.  Standalone (`rentport
 * log-writer`, parent_fd -1) there is no parent to vouch for anybody: any
 * peer running under the writer's own uid is accepted (the socket directory
 * DATA/run is mode 0700 as well).  A client that sends a malformed message,
 * a message of another type or a body that does not decode is dropped and
 * the event logged (fail closed).
 *
 * Every checkpoint_interval_ms, if the tree grew, it signs a checkpoint,
 * sends it to the witness (C2SP tlog-witness add-checkpoint over HTTP, 1 s
 * timeout) and publishes it with the witness's cosignature lines — or
 * alone if the witness failed (logged; retried at the next interval).  At
 * start it appends a heartbeat entry (action heartbeat, role log, node
 * "alog") so the log shows when logging resumed.  A read-only HTTP server
 * (alog_http_addr:alog_http_port) serves /checkpoint and the tiles.
 */
#ifndef RP_ALOG_WRITER_H
#define RP_ALOG_WRITER_H

#include "conf/conf.h"

/* The socket clients connect to, relative to data_dir. */
#define RP_ALOG_SOCK_NAME	"run/alog.sock"
/* RP_MSG_READY kind of the log writer; PEER_REGISTER kind of a vault. */
#define RP_ALOG_READY_KIND	2
#define RP_ALOG_PEER_VAULT	1

/*
 * Runs the log writer until RP_MSG_STOP, the parent's socket closing, or
 * SIGTERM/SIGINT (exit 0), or a fatal store error (non-zero: the caller
 * restarts it).  parent_fd is the socket pair to `rentport serve` (sends
 * RP_MSG_READY{2, 1} once listening), or -1 when run standalone.  Returns
 * the process exit status.
 */
int rp_alog_writer_run(const struct rp_conf *conf, int parent_fd);

/*
 * `rentport log-writer`: the writer without a parent (parent_fd -1).
 * `rentport log-writer --bench` instead measures durable appends/s through
 * the storage library at batch sizes 1, 10, 100, 1000 in a scratch log
 * under DATA (removed afterwards) and prints them.  Returns the exit
 * status (2 for an unknown argument).
 */
int rp_alog_cmd(const struct rp_conf *conf, int argc, char **argv);

#endif
