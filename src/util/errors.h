/* SPDX-License-Identifier: ISC */
/*
 * errors.h — the single list of rentport error codes.  Fallible functions
 * return 0 on success or one of these (negative).  rp_strerror() names them
 * for operational logs (never containing the data that caused them).
 */
#ifndef RP_ERRORS_H
#define RP_ERRORS_H

#define RP_OK		  0
#define RP_E_NOMEM	 -1	/* allocation failed */
#define RP_E_TOOBIG	 -2	/* input or buffer past its fixed cap */
#define RP_E_INVAL	 -3	/* malformed input */
#define RP_E_IO		 -4	/* read/write/fsync failed (errno kept by caller) */
#define RP_E_NOTFOUND	 -5	/* no such record / route / key */
#define RP_E_EXISTS	 -6	/* unique key already present */
#define RP_E_RANGE	 -7	/* number or date out of the accepted range */
#define RP_E_DB		 -8	/* store backend error */
#define RP_E_PROTO	 -9	/* peer violated the message protocol */
#define RP_E_STATE	-10	/* operation not allowed in the current state */
#define RP_E_CLOSED	-11	/* peer or resource went away */
#define RP_E_OVERFLOW	-12	/* size or money arithmetic overflowed */
#define RP_E_DENIED	-13	/* policy refused the operation */
#define RP_E_AGAIN	-14	/* transient: try again later */
#define RP_E_EXPIRED	-15	/* genuine, but past its time (session, capability) */
#define RP_E_FULL	-16	/* no capacity left (stock sold out for the dates) */

const char *rp_strerror(int err);

#if defined(__GNUC__)
#define RP_WARN_UNUSED __attribute__((warn_unused_result))
#define RP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define RP_NORETURN __attribute__((noreturn))
#else
#define RP_WARN_UNUSED
#define RP_PRINTF(f, a)
#define RP_NORETURN
#endif

#endif
