/* SPDX-License-Identifier: ISC */
/*
 * witness_int.h — internals shared by the witness's own files (witness.c:
 * state and decisions; http.c: the HTTP server and the process).  Not for
 * other folders: they use witness.h.
 */
#ifndef RP_WITNESS_INT_H
#define RP_WITNESS_INT_H

#include <pthread.h>
#include <sys/types.h>
#include <time.h>

#include "alog/note.h"
#include "alog/wauth.h"
#include "witness/witness.h"

struct rp_httpd;

/* What was last cosigned for one origin. */
struct rp_witness_state {
	char origin[RP_NOTE_MAX_NAME + 1];
	uint64_t size;
	uint8_t root[RP_MERKLE_HASH_LEN];
};

struct rp_witness {
	const struct rp_conf *conf;		/* borrowed */
	pthread_mutex_t mu;			/* guards logs and state */
	int dirfd, lockfd;			/* DATA/witness, its lock */
	struct rp_note_signer *signer;		/* alg 0x04 cosigner */
	char vkey[RP_NOTE_VKEY_MAX];
	struct rp_note_verifier logs[RP_WITNESS_MAX_LOGS];
	size_t nlogs;
	struct rp_witness_state state[RP_WITNESS_MAX_LOGS];
	size_t nstate;
	pthread_mutex_t alarm_mu;		/* guards the alarm limiter */
	time_t alarm_window;			/* start of the current minute */
	unsigned alarm_count;			/* lines written in it */
	unsigned alarm_dropped;			/* lines suppressed so far */
	struct rp_httpd *httpd;			/* NULL when not serving */
	uint8_t *client_key;			/* sodium_malloc: the log
						 * writer's HMAC key (wauth.h) */
};

/*
 * Replaces dirfd/name with n bytes atomically: ".<name>.tmp" written with
 * mode, fsync'd, renamed over name, then the directory fsync'd.  0 or
 * RP_E_IO (logged; the temporary is removed).
 */
int rp_witness_write_atomic(int dirfd, const char *name, const void *p,
    size_t n, mode_t mode) RP_WARN_UNUSED;

/* Reads DATA/witness/<name> into out: 0, RP_E_NOTFOUND, RP_E_TOOBIG, RP_E_IO. */
int rp_witness_read_file(struct rp_witness *w, const char *name,
    struct rp_buf *out) RP_WARN_UNUSED;

#endif
