/* SPDX-License-Identifier: ISC */
/*
 * line.h — the command lines the nftables helper accepts on its unix
 * socket (src/ips/nft.c): "ban ADDR SECONDS", "unban ADDR", "flush", one
 * per line.  The parser is shared by the helper (which links nothing else
 * of rentport) and the fuzz target tests/fuzz/nftline; the IPS child
 * writes these lines.  Input is untrusted: the helper holds CAP_NET_ADMIN.
 */
#ifndef RP_IPS_LINE_H
#define RP_IPS_LINE_H

#include <stddef.h>
#include <stdint.h>

enum rp_nft_op { RP_NFT_BAN = 1, RP_NFT_UNBAN, RP_NFT_FLUSH };

/* Longest accepted line without its '\n', and the longest ban. */
#define RP_NFT_MAX_LINE		128
#define RP_NFT_MAX_SECONDS	(366u * 24 * 3600)

struct rp_nft_cmd {
	int op;			/* enum rp_nft_op */
	int family;		/* AF_INET or AF_INET6 (ban, unban) */
	char addr[46];		/* canonical text from inet_ntop (IPv6: the /64) */
	uint32_t seconds;	/* ban: 1..RP_NFT_MAX_SECONDS */
};

/*
 * Parses one line (p, n), without its '\n'; a trailing '\r' is refused
 * like any other stray byte.  Words are separated by exactly one space;
 * the address must be an IPv4 dotted quad or an IPv6 literal that
 * inet_pton takes (IPv4-mapped IPv6 is turned into IPv4; other IPv6 into
 * its /64, the low 64 bits zeroed, as the IPS bans it); SECONDS is
 * decimal without sign or leading zeros.  0, or -1 with *cmd zeroed.
 */
int rp_nft_line_parse(const char *p, size_t n, struct rp_nft_cmd *cmd);

#endif
