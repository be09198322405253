/* SPDX-License-Identifier: ISC */
/*
 * scan.h — finding card numbers (PANs) in bytes: the proof that rentport
 * keeps none.  `rentport scan-pan PATH…` runs it over files and
 * directories (the stores, the logs, the mail outbox, core dumps).
 *
 * A candidate is a run of 13..19 digits, optionally grouped by single
 * spaces or dashes as cards are printed — a first group of 4, the others
 * of 3 or more ("4242 4242 4242 4242", "3782-822463-10005"; a hex dump's
 * "42 92 98" or a log's "422 19406 18794" is not a card) — that
 * is not part of a longer run of digits or of a word (the bytes around it
 * are neither digits nor letters) — in a longer grouped run, every stretch
 * of whole groups of 13..19 digits is a candidate (two numbers one space
 * apart) — whose issuer prefix and length are
 * those of a card scheme (Visa, Mastercard, American Express, JCB,
 * Diners, Discover, UnionPay; see scan.c) and that passes the Luhn check.
 * Scheme prefixes keep 13-digit millisecond timestamps and similar
 * numbers out; the Luhn check (one in ten random numbers pass) does the
 * rest.
 *
 * The scanner streams: input arrives in chunks of any size and a number
 * may straddle two chunks.  A report never holds the number in full:
 * only its first 6 and last 4 digits (what PCI DSS allows to be shown).
 */
#ifndef RP_PCI_SCAN_H
#define RP_PCI_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RP_PAN_MIN	13
#define RP_PAN_MAX	19
#define RP_PAN_RUN	64	/* digits of a grouped run looked into */

struct rp_pan_hit {
	uint64_t offset;		/* of the first digit, from the stream start */
	unsigned digits;		/* 13..19 */
	char masked[RP_PAN_MAX + 1];	/* "424242******4242" */
	const char *scheme;		/* "visa", "mastercard", ... */
};

typedef void (*rp_pan_hit_fn)(void *arg, const struct rp_pan_hit *hit);

struct rp_pan_scanner {
	rp_pan_hit_fn fn;
	void *arg;
	uint64_t pos;			/* bytes consumed */
	/* the run being read */
	char d[RP_PAN_RUN];		/* its digits (the first RP_PAN_RUN kept) */
	unsigned nd;			/* digits in the run (saturates) */
	uint8_t group[RP_PAN_RUN];	/* digit index where each group starts */
	uint8_t goff[RP_PAN_RUN];	/* and its byte offset from start */
	unsigned ng;
	uint64_t start;			/* offset of its first digit */
	bool sep;			/* the last byte was a separator */
	bool word;			/* the byte before the run was a letter */
	bool grouped;			/* the run had a separator */
	uint64_t hits;
};

/* Starts a scan; fn (may be NULL) is called for every hit. */
void rp_pan_scan_init(struct rp_pan_scanner *s, rp_pan_hit_fn fn, void *arg);
/* Feeds the next n bytes. */
void rp_pan_scan_feed(struct rp_pan_scanner *s, const uint8_t *p, size_t n);
/* Ends the stream (a number at the very end counts); the number of hits. */
uint64_t rp_pan_scan_end(struct rp_pan_scanner *s);

/* True if the n digits (ASCII) are a card number by the rules above. */
bool rp_pan_check(const char *digits, size_t n, const char **scheme);

/* `rentport scan-pan [PATH…]`: 1 if any card number is found, 0 if none, 2 on errors. */
int rp_scan_pan_cmd(int argc, char **argv);

#endif
