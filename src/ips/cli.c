/* SPDX-License-Identifier: ISC */
/*
 * cli.c — `rentport ban`: the operator's view of the IPS bans in the core
 * store.  A running serve (this node's and every other's) picks changes
 * up within ips_sync_ms through its IPS child; the nftables set follows.
 *
 *   rentport ban list [--all]          active bans (--all: expired too)
 *   rentport ban add ADDR [--for=SECONDS] [--reason=TEXT]
 *   rentport ban remove ADDR
 *
 * The command line is the operator's: trusted, but every argument is
 * still checked (the address strictly, with inet_pton).  An IPv6 address
 * stands for its /64 (ips.h): `ban add 2001:db8::7` bans 2001:db8::/64
 * and is listed as 2001:db8::.
 */
#include "util/common.h"

#include <time.h>

#include "ips/cli.h"
#include "ips/ips.h"
#include "store/store.h"

#define MAX_BAN_S	(366u * 24 * 3600)

static const char usage_text[] =
	"usage: rentport ban list [--all]\n"
	"       rentport ban add ADDR [--for=SECONDS] [--reason=TEXT]\n"
	"       rentport ban remove ADDR\n\n"
	"Bans are kept in the core store and enforced by every running\n"
	"rentport serve within ips_sync_ms (connections from a banned address\n"
	"are closed before HTTP; with ips_nft = 1 also dropped by the kernel).\n"
	"add: --for defaults to ips_ban_s; --reason to \"operator\".\n"
	"An IPv6 ADDR stands for its /64 (listed as the prefix, e.g. 2001:db8::).\n";

static int
usage(FILE *f)
{
	fputs(usage_text, f);
	return f == stdout ? 0 : 2;
}

/* ADDR as the store keeps it (canonical text; an IPv6 address as its
 * /64, which is what the IPS bans), or 2 with a message. */
static int
canonical(const char *arg, char out[RP_IPS_ADDR_TEXT])
{
	struct rp_ips_addr a;

	if (rp_ips_addr_parse(rp_str_c(arg), &a) != 0) {
		fprintf(stderr, "rentport ban: \"%.64s\" is not an IPv4 or IPv6 "
		    "address\n", arg);
		return 2;
	}
	rp_ips_addr_key(&a, &a);
	rp_ips_addr_format(&a, out);
	return 0;
}

static void
when(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
list(struct rp_store *st, bool all)
{
	struct rp_ban *b = NULL;
	int64_t now = (int64_t)time(NULL);
	char until[32];
	size_t n = 0;
	int r;

	if ((r = rp_store_ban_list(st, now, all, &b, &n)) != 0) {
		fprintf(stderr, "rentport ban: cannot list: %s\n", rp_strerror(r));
		return 1;
	}
	if (n == 0)
		printf("no %sbans\n", all ? "" : "active ");
	for (size_t i = 0; i < n; i++) {
		when(b[i].until, until, sizeof(until));
		printf("%-39s until %s (%s)  %-8s %s\n", b[i].addr, until,
		    b[i].until > now ? "active" : "expired", b[i].source,
		    b[i].reason);
	}
	free(b);
	return 0;
}

static int
add(struct rp_store *st, const struct rp_conf *conf, int argc, char **argv)
{
	struct rp_ban b;
	uint64_t secs = conf->ips_ban_s;
	const char *reason = "operator";
	const char *addr = NULL;
	int r;

	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--for=", 6) == 0) {
			if (rp_str_to_u64(rp_str_c(argv[i] + 6), MAX_BAN_S,
			    &secs) != 0 || secs == 0) {
				fprintf(stderr, "rentport ban add: --for takes "
				    "1 to %u seconds\n", MAX_BAN_S);
				return 2;
			}
		} else if (strncmp(argv[i], "--reason=", 9) == 0) {
			reason = argv[i] + 9;
			if (!rp_ips_reason_ok(rp_str_c(reason))) {
				fprintf(stderr, "rentport ban add: --reason takes "
				    "1 to %d printable ASCII characters\n",
				    RP_IPS_MAX_REASON);
				return 2;
			}
		} else if (addr == NULL && argv[i][0] != '-')
			addr = argv[i];
		else
			return usage(stderr);
	}
	if (addr == NULL)
		return usage(stderr);
	memset(&b, 0, sizeof(b));
	if ((r = canonical(addr, b.addr)) != 0)
		return r;
	b.created_at = (int64_t)time(NULL);
	b.until = b.created_at + (int64_t)secs;
	snprintf(b.reason, sizeof(b.reason), "%s", reason);
	memcpy(b.source, "operator", 9);
	if ((r = rp_store_ban_put(st, &b, false)) != 0) {
		fprintf(stderr, "rentport ban add: %s\n", rp_strerror(r));
		return 1;
	}
	printf("banned %s for %" PRIu64 " s (%s)\n", b.addr, secs, b.reason);
	return 0;
}

static int
remove_ban(struct rp_store *st, int argc, char **argv)
{
	char addr[RP_IPS_ADDR_TEXT];
	int r;

	if (argc != 1 || argv[0][0] == '-')
		return usage(stderr);
	if ((r = canonical(argv[0], addr)) != 0)
		return r;
	if ((r = rp_store_ban_delete(st, addr)) == RP_E_NOTFOUND) {
		printf("%s was not banned\n", addr);
		return 0;
	}
	if (r != 0) {
		fprintf(stderr, "rentport ban remove: %s\n", rp_strerror(r));
		return 1;
	}
	printf("unbanned %s\n", addr);
	return 0;
}

int
rp_ban_cmd(const struct rp_conf *conf, int argc, char **argv)
{
	struct rp_store *st = NULL;
	int r;

	if (argc < 1)
		return usage(stderr);
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(stdout);
	if (strcmp(argv[0], "list") != 0 && strcmp(argv[0], "add") != 0 &&
	    strcmp(argv[0], "remove") != 0)
		return usage(stderr);
	if (strcmp(argv[0], "list") == 0 && argc > 1 &&
	    (argc > 2 || strcmp(argv[1], "--all") != 0))
		return usage(stderr);
	if ((r = rp_store_open(conf->data_dir, &st)) != 0) {
		fprintf(stderr, "rentport ban: cannot open the core store in %s: "
		    "%s\n", conf->data_dir, rp_strerror(r));
		return 1;
	}
	if (strcmp(argv[0], "list") == 0)
		r = list(st, argc == 2);
	else if (strcmp(argv[0], "add") == 0)
		r = add(st, conf, argc - 1, argv + 1);
	else
		r = remove_ban(st, argc - 1, argv + 1);
	rp_store_free(st);
	return r;
}
