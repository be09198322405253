/* SPDX-License-Identifier: ISC */
/*
 * line.c — parser of the nftables helper's command lines (line.h).  Runs
 * in the privileged helper on bytes from its socket, so it is strict and
 * small: fixed words, one space between them, addresses through inet_pton
 * only (never handed to nft as typed: the helper prints the canonical form
 * inet_ntop gives back, so nothing but an address reaches the nft syntax).
 * Self-contained (libc only) because the helper links nothing else.
 */
#include "util/common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "ips/line.h"

/* Splits off the next word (up to one space or the end). */
static int
word(const char **p, const char *end, const char **w, size_t *wn)
{
	const char *s = *p, *e;

	if (s >= end)
		return -1;
	for (e = s; e < end && *e != ' '; e++)
		;
	if (e == s)
		return -1;		/* empty word: two spaces, or a leading one */
	*w = s;
	*wn = (size_t)(e - s);
	*p = e < end ? e + 1 : e;
	if (e < end && e + 1 == end)
		return -1;		/* trailing space */
	return 0;
}

static int
eq(const char *w, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(w, lit, n) == 0;
}

static int
parse_addr(const char *w, size_t n, struct rp_nft_cmd *cmd)
{
	char tmp[64];
	struct in6_addr a6;
	struct in_addr a4;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, w, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, &a4) == 1) {
		cmd->family = AF_INET;
	} else if (inet_pton(AF_INET6, tmp, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			memcpy(&a4, &a6.s6_addr[12], 4);
			cmd->family = AF_INET;
		} else {
			/* The IPS bans an IPv6 client by its /64, and the
			 * rule matches the source's /64 (nft.c): keep the
			 * prefix only, so an element is always a prefix. */
			memset(&a6.s6_addr[8], 0, 8);
			cmd->family = AF_INET6;
		}
	} else
		return -1;
	if (inet_ntop(cmd->family, cmd->family == AF_INET ? (void *)&a4 :
	    (void *)&a6, cmd->addr, sizeof(cmd->addr)) == NULL)
		return -1;
	return 0;
}

static int
parse_seconds(const char *w, size_t n, uint32_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 10 || (w[0] == '0'))
		return -1;		/* 0 and leading zeros refused */
	for (size_t i = 0; i < n; i++) {
		if (w[i] < '0' || w[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(w[i] - '0');
	}
	if (v > RP_NFT_MAX_SECONDS)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
rp_nft_line_parse(const char *p, size_t n, struct rp_nft_cmd *cmd)
{
	const char *end = p + n, *w;
	size_t wn;

	memset(cmd, 0, sizeof(*cmd));
	if (p == NULL || n == 0 || n > RP_NFT_MAX_LINE)
		goto bad;
	if (word(&p, end, &w, &wn) != 0)
		goto bad;
	if (eq(w, wn, "flush")) {
		cmd->op = RP_NFT_FLUSH;
	} else if (eq(w, wn, "ban") || eq(w, wn, "unban")) {
		cmd->op = eq(w, wn, "ban") ? RP_NFT_BAN : RP_NFT_UNBAN;
		if (word(&p, end, &w, &wn) != 0 || parse_addr(w, wn, cmd) != 0)
			goto bad;
		if (cmd->op == RP_NFT_BAN &&
		    (word(&p, end, &w, &wn) != 0 ||
		    parse_seconds(w, wn, &cmd->seconds) != 0))
			goto bad;
	} else
		goto bad;
	if (p != end)
		goto bad;		/* words left over */
	return 0;
 bad:
	memset(cmd, 0, sizeof(*cmd));
	return -1;
}
