/* SPDX-License-Identifier: ISC */
/*
 * keyfile.h — a secret key in a file of its own: n random bytes written as
 * hex and a newline, made once (whole, under a temporary name, then linked
 * into place: a reader never sees half a key, and of two processes making
 * it at once the first wins and both use its key), read back with checks
 * on the file's type and mode.  The key files of rentport that more than
 * one process reads (the capability key, the witness client key, the
 * order-number key) are made by serve's parent as root and given to their
 * readers by owner and group (proc/sandbox.c).
 */
#ifndef RP_UTIL_KEYFILE_H
#define RP_UTIL_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/errors.h"

#define RP_KEYFILE_MAX	64	/* bytes of key */

/*
 * Reads path into key[0..n): a regular file (not a symbolic link) of 2n
 * hex digits and a newline, whose mode has none of the bits in forbid
 * (e.g. 0077: owner only; 0027: the group may read).  0; RP_E_NOTFOUND (no
 * file); RP_E_STATE (a forbidden mode bit); RP_E_INVAL (contents); RP_E_IO.
 * key is wiped on failure.
 */
int rp_keyfile_load(const char *path, uint8_t *key, size_t n, mode_t forbid)
    RP_WARN_UNUSED;

/*
 * Loads path, or makes it (n random bytes, the file created with mode)
 * when it does not exist.  *made tells which (may be NULL).  Errors as
 * rp_keyfile_load, and RP_E_TOOBIG for a path too long.
 */
int rp_keyfile_make(const char *path, uint8_t *key, size_t n, mode_t mode,
    mode_t forbid, bool *made) RP_WARN_UNUSED;

/*
 * Makes path hold exactly key[0..n) (mode), replacing a file with other
 * contents: for a value derived elsewhere, e.g. a public key beside its
 * secret seed.  0 or an error as above.
 */
int rp_keyfile_put(const char *path, const uint8_t *key, size_t n,
    mode_t mode) RP_WARN_UNUSED;

#endif
