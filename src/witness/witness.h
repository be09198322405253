/* SPDX-License-Identifier: ISC */
/*
 * witness.h — the access log's witness (`rentport witness`): its own
 * process (another host in production; `rentport serve` starts a local one
 * in development when witness_local = 1).  It receives checkpoints with
 * consistency proofs over HTTP (C2SP tlog-witness v1.0.0 `POST
 * /add-checkpoint`), checks them against the (size, root) it last cosigned
 * for that origin, persists the new state atomically, and only then answers
 * with a cosignature line (C2SP tlog-cosignature v1.0.1).  A history that
 * no longer matches (same size with another root, a consistency proof
 * that fails) is refused and raises an ALARM (rp_witness_alarm:
 * DATA/witness/alarms.log + operational log).  An older checkpoint the log
 * did sign is only answered 409 with the size we cosigned (tlog-witness):
 * anyone can replay one, so it is no alarm.
 *
 * Trust.  Request bodies come from the network and are untrusted: they are
 * capped at RP_WITNESS_MAX_BODY and parsed strictly (rp_witness_req_parse
 * has a fuzz target).  Nothing in a checkpoint is believed until the
 * signature of a trusted log key verifies.  Trusted log keys come from
 * conf->witness_log_vkey, else from DATA/alog/vkey (read when a request
 * arrives while none is known yet: the log writer may start after us).
 * The origin of a trusted log is its key name.
 *
 * Files, in DATA/witness/ (mode 0700; one witness per directory, held by
 * an flock on `lock`):
 *   key        32-byte Ed25519 seed, 0600, made at first start
 *   name       the cosigner key name + "\n" (conf->witness_name, or
 *              "rentport.invalid/witness/<16 hex>" made at first start)
 *   vkey       its verifier key "<name>+<hex id>+<base64>" + "\n"
 *   state      "witness-state/v1\n" then "<origin> <size> <base64 root>\n"
 *              per origin; replaced atomically (tmp, fsync, rename, fsync
 *              of the directory) BEFORE any 200 answer
 *   alarms.log one line per alarm, append-only
 *   client.key the log writer's HMAC key (alog/wauth.h), 0600, made at
 *              first start; the log writer reads it (conf
 *              witness_client_key names another path)
 *   cosigned   pull mode: the last checkpoint pulled and cosigned, with
 *              the log's signature and our cosignature line
 * Every file is written with temporary + fsync + rename + directory fsync.
 */
#ifndef RP_WITNESS_H
#define RP_WITNESS_H

#include <stdint.h>

#include "alog/merkle.h"
#include "conf/conf.h"
#include "util/buf.h"
#include "util/errors.h"
#include "util/str.h"

#define RP_WITNESS_MAX_BODY	(16 * 1024)	/* add-checkpoint body cap */
#define RP_WITNESS_MAX_PROOF	63		/* proof lines (tlog-witness) */
#define RP_WITNESS_MAX_LOGS	16		/* trusted logs (origins) */
#define RP_WITNESS_MAX_RESP	4096		/* any response body */
#define RP_WITNESS_MAX_CONN	64		/* connections for anyone */
#define RP_WITNESS_RESERVED	4		/* ... and for the log writer */
#define RP_WITNESS_MAX_PER_NET	8		/* per /24 (IPv4), /64 (IPv6) */
#define RP_WITNESS_IDLE_S	5		/* silence on a connection */
#define RP_WITNESS_REQUEST_S	10		/* to send a whole request */

/* Child kind / index in RP_MSG_READY (docs/access-log.md: 3 = witness). */
#define RP_WITNESS_KIND		3
#define RP_WITNESS_INDEX	1

/*
 * ---- The add-checkpoint request (untrusted) ----
 */
struct rp_witness_req {
	uint64_t old;				/* "old <size>" */
	size_t nproof;				/* 0..RP_WITNESS_MAX_PROOF */
	uint8_t proof[RP_WITNESS_MAX_PROOF][RP_MERKLE_HASH_LEN];
	struct rp_str note;			/* borrowed from the body */
};

/*
 * Parses an add-checkpoint body: "old <decimal>\n" (no leading zeros, fits
 * u64), 0..63 lines each the canonical base64 of one 32-byte hash, one
 * empty line, then the signed note (non-empty; parsed later by
 * rp_note_parse).  At most RP_WITNESS_MAX_BODY bytes.  0; RP_E_TOOBIG
 * (body over the cap); RP_E_INVAL (anything else malformed).  On failure
 * *rq is zeroed.
 */
int rp_witness_req_parse(struct rp_str body, struct rp_witness_req *rq)
    RP_WARN_UNUSED;

/*
 * ---- The witness (state, keys, decisions); no HTTP ----
 */
struct rp_witness;

/*
 * Opens (creating on first start) DATA/witness/: takes the lock, loads or
 * makes the key, the name, the vkey and the state, and the trusted log keys
 * from conf (DATA/alog/vkey is read later if absent now).  conf is
 * borrowed and must outlive *out.  Messages for the operator go to err.
 * 0; RP_E_STATE (another witness holds the lock; key file readable by
 * others); RP_E_INVAL (corrupt key/name/state file, bad witness_log_vkey or
 * witness_name); RP_E_IO; RP_E_NOMEM.  *out is NULL on failure.
 */
int rp_witness_open(const struct rp_conf *conf,
    struct rp_witness **out /* owned: rp_witness_free */,
    struct rp_buf *err) RP_WARN_UNUSED;

/* Stops its HTTP server if running, wipes the key, frees; NULL-safe. */
void rp_witness_free(struct rp_witness *w);

/* Its verifier key string (borrowed: lives as long as w). */
const char *rp_witness_vkey(const struct rp_witness *w);

/*
 * Handles one add-checkpoint body (the HTTP layer calls this; tests may
 * too).  Sets *status to the HTTP status (200, 400, 403, 404, 409, 413,
 * 422, 500), appends the response body to resp and points *ctype at a
 * static Content-Type.  200: one cosignature line, after the new state is
 * durable.  Thread-safe (one mutex: the check-and-persist is a
 * compare-and-swap).  Returns 0 whenever a status was decided; a negative
 * RP_E_* only if resp itself failed (then answer 500).
 */
int rp_witness_add_checkpoint(struct rp_witness *w, struct rp_str body,
    unsigned *status, struct rp_buf *resp, const char **ctype)
    RP_WARN_UNUSED;

/* Appends the status page (name, vkey, per origin size and root). */
int rp_witness_status_page(struct rp_witness *w, struct rp_buf *out);

/*
 * The one place alarms are raised (later issues route them to the
 * on-duty officer): appends "<UTC time> ALARM <kind> origin=<o>
 * stored=<size> <root b64> offered=<size> <root b64>\n" to
 * DATA/witness/alarms.log (fsync'd) and logs it at error level with the
 * word ALARM.  kind is a short token ("fork-same-size", "fork-proof").
 * Never fails (a failure to write is logged too).
 * Over HTTP only the log writer's key reaches the decisions (and a replay
 * of one of its requests raises none), but a log gone bad can send bad
 * proofs without end, so lines are limited to RP_WITNESS_ALARMS_PER_MIN per
 * minute; the next line written says how many were suppressed (the
 * operational log is limited the same way).
 */
#define RP_WITNESS_ALARMS_PER_MIN	30
void rp_witness_alarm(struct rp_witness *w, const char *kind,
    struct rp_str origin, uint64_t stored_size,
    const uint8_t stored_root[RP_MERKLE_HASH_LEN], uint64_t offered_size,
    const uint8_t offered_root[RP_MERKLE_HASH_LEN]);

/*
 * Starts the HTTP server on addr:port (port 0: the kernel picks one; the
 * port in use is stored in *bound if bound is not NULL) through
 * util/httpd.h: RP_WITNESS_MAX_CONN connections for anyone, at most
 * RP_WITNESS_MAX_PER_NET per /24 or /64, RP_WITNESS_RESERVED more that
 * only conf->witness_writer_addrs may use, RP_WITNESS_REQUEST_S to send a
 * whole request.  Serves POST /add-checkpoint — only with the log
 * writer's Authorization header (alog/wauth.h; else 401, body unread) —
 * GET /, /status and /cosigned.  0, RP_E_INVAL (bad address or
 * witness_writer_addrs), RP_E_IO (cannot listen), RP_E_STATE (already
 * started).
 */
int rp_witness_http_start(struct rp_witness *w, const char *addr,
    uint32_t port, uint32_t *bound, struct rp_buf *err) RP_WARN_UNUSED;
/* Stops the HTTP server (waits for requests in flight); idempotent. */
void rp_witness_http_stop(struct rp_witness *w);

/*
 * Pull mode, one round: GETs <url>/checkpoint from the log's read-only
 * HTTP (url "http://host[:port][/prefix]"), fetches the tlog tiles needed
 * for a consistency proof from the last cosigned size, and submits the
 * result to rp_witness_add_checkpoint (same checks, alarms and state).
 * On a 200 the checkpoint with our cosignature line is stored atomically
 * in DATA/witness/cosigned (served at GET /cosigned).  *status gets the
 * add-checkpoint status (0 if it never got that far).  0 when a status was
 * decided (check *status); RP_E_INVAL (bad URL or checkpoint), RP_E_IO /
 * RP_E_NOTFOUND (log unreachable, tiles missing): nothing changed; a
 * one-line reason is appended to err.
 */
int rp_witness_pull_once(struct rp_witness *w, const char *url,
    unsigned *status, struct rp_buf *err) RP_WARN_UNUSED;

/*
 * ---- Processes ----
 */

/*
 * The witness process.  parent_fd is its socket pair to `rentport serve`
 * (or -1 when run alone): RP_MSG_READY{3, 1} is sent once listening;
 * RP_MSG_STOP → return 0; RP_MSG_PING → PONG; the parent gone or a
 * malformed message → return 1.  SIGTERM/SIGINT → return 0.  Start-up
 * failures are logged and return 1.
 */
int rp_witness_run(const struct rp_conf *conf, int parent_fd);

/*
 * `rentport witness [--help] [--pull URL] [vkey]`: argv holds the
 * arguments after the subcommand that are not configuration flags.  No
 * operand: runs the witness in the foreground (rp_witness_run(conf, -1)).
 * `--pull URL` (or --pull=URL): the same, and also pulls the log's
 * checkpoint every checkpoint_interval_ms (at least 1 s).  `vkey`: creates
 * the key if needed and prints the verifier key.  Returns the exit status.
 */
int rp_witness_cmd(const struct rp_conf *conf, int argc, char **argv);

#endif
