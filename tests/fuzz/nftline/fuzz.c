/* SPDX-License-Identifier: ISC */
/*
 * fuzz.c — libFuzzer target for the IPS command parsers: the nftables
 * helper's line parser (src/ips/line.c, run as root-equivalent on bytes
 * from its socket) and the address / reason checks of `rentport ban` and
 * the ban sync (src/ips/ips.c).  For every input: a parsed line has a
 * known verb, an address that inet_pton takes back and prints the same,
 * seconds in range for a ban, and nothing but [0-9a-f.:] in the address
 * (so nothing else can reach the nft syntax); a failed parse leaves the
 * command zeroed.  The address parser agrees with the line parser.
 */
#include "util/common.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include "ips/ips.h"
#include "ips/line.h"
#include "../fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rp_nft_cmd zero;
	struct rp_nft_cmd cmd;
	struct rp_ips_addr a;
	char t[RP_IPS_ADDR_TEXT];
	unsigned char bin[16];

	if (rp_nft_line_parse((const char *)data, size, &cmd) != 0) {
		check(memcmp(&cmd, &zero, sizeof(cmd)) == 0);
	} else {
		check(cmd.op == RP_NFT_BAN || cmd.op == RP_NFT_UNBAN ||
		    cmd.op == RP_NFT_FLUSH);
		check(size <= RP_NFT_MAX_LINE && memchr(data, '\n', size) == NULL);
		if (cmd.op != RP_NFT_FLUSH) {
			check(cmd.family == AF_INET || cmd.family == AF_INET6);
			check(strnlen(cmd.addr, sizeof(cmd.addr)) < sizeof(cmd.addr));
			for (size_t i = 0; cmd.addr[i]; i++)
				check(strchr("0123456789abcdef.:", cmd.addr[i]) != NULL);
			check(inet_pton(cmd.family, cmd.addr, bin) == 1);
			/* the same address through the CLI's parser */
			check(rp_ips_addr_parse(rp_str_c(cmd.addr), &a) == 0);
			rp_ips_addr_format(&a, t);
			check(strcmp(t, cmd.addr) == 0);
		}
		if (cmd.op == RP_NFT_BAN)
			check(cmd.seconds >= 1 && cmd.seconds <= RP_NFT_MAX_SECONDS);
		else
			check(cmd.seconds == 0);
	}
	/* the whole input as an operator's ADDR and --reason */
	if (rp_ips_addr_parse((struct rp_str){ (const char *)data, size }, &a) == 0) {
		rp_ips_addr_format(&a, t);
		check(rp_ips_addr_parse(rp_str_c(t), &a) == 0);
	} else {
		static const struct rp_ips_addr z;

		check(memcmp(&a, &z, sizeof(a)) == 0);
	}
	if (rp_ips_reason_ok((struct rp_str){ (const char *)data, size }))
		check(size >= 1 && size <= RP_IPS_MAX_REASON &&
		    memchr(data, '\n', size) == NULL);
	return 0;
}
