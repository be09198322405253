/* SPDX-License-Identifier: ISC */
/*
 * main.c — the rentport binary: subcommand dispatch.
 *
 *   rentport serve       the parent and its children (src/proc/proc.c)
 *   rentport seed        synthetic data (src/seed/)
 *   rentport vault       the vault alone, for another host (src/vault/)
 *   rentport log-writer  the access-log writer alone (src/alog/writer.c)
 *   rentport witness     a witness cosigning the access log (src/witness/)
 *   rentport paysim      the payment-agent sandbox (src/paysim/, development)
 *   rentport log ...     verify, prove, show the access log (src/alog/cli.c)
 *   rentport ban ...     list, add, remove IPS bans (src/ips/cli.c)
 *   rentport nft-helper  the nftables helper alone (src/ips/nft.c)
 *   rentport version     prints the version
 *
 * Every subcommand takes the configuration flags (src/conf/conf.h) and
 * --help.  The command line is the operator's: trusted, but still checked.
 */
#include "util/common.h"
#include "alog/cli.h"
#include "alog/writer.h"
#include "auth/auth.h"
#include "conf/conf.h"
#include "ips/cli.h"
#include "gate/gate.h"
#include "ips/ips.h"
#include "proc/proc.h"
#include "paylink/paylink.h"
#include "paysim/paysim.h"
#include "pci/scan.h"
#include "seed/seed.h"
#include "store/store.h"
#include "util/log.h"
#include "util/proctitle.h"
#include "vault/vault.h"
#include "witness/witness.h"

#include <unistd.h>

#ifndef RP_VERSION
#define RP_VERSION "0.0.0"
#endif

struct command {
	const char *name;
	int (*run)(struct rp_conf *, int, char **);
	const char *summary;
	const char *usage;	/* NULL: the command handles --help itself */
};

static void
public_url(const struct rp_conf *c, char *out, size_t n)
{
	if (c->public_url[0])
		snprintf(out, n, "%s", c->public_url);
	else
		snprintf(out, n, "http://localhost:%u", c->port);
}

/* Each corporate client's site, by path and by host name (development). */
static void
print_corporate_sites(const struct rp_conf *conf, const char *url)
{
	struct rp_tenant *t = NULL;
	struct rp_store *st = NULL;
	const char *host = strstr(url, "://");
	size_t n = 0;

	if (rp_store_open(conf->data_dir, &st) != 0 ||
	    rp_store_tenant_list(st, &t, &n) != 0)
		n = 0;
	host = host != NULL ? host + 3 : url;
	for (size_t i = 0; i < n; i++)
		printf("  corporate site    %s/c/%s/  (also %.*s%s.%s/)  %s\n",
		    url, t[i].slug, (int)(host - url), url, t[i].slug, host,
		    t[i].name);
	free(t);
	rp_store_free(st);
}

static int
cmd_serve(struct rp_conf *conf, int argc, char **argv)
{
	char url[sizeof(conf->public_url)];

	/* --role=all|web|core: the node_role key (README, "Several nodes") */
	if (argc > 0 && strncmp(argv[0], "--role=", 7) == 0) {
		struct rp_buf err;
		int r;

		rp_buf_init(&err, 256);
		r = rp_conf_set(conf, rp_str_c("node_role"), rp_str_c(argv[0] + 7),
		    &err);
		if (r != 0) {
			fprintf(stderr, "rentport serve: %s\n", err.d ? err.d :
			    "bad --role");
			rp_buf_release(&err);
			return 2;
		}
		rp_buf_release(&err);
		argc--;
		argv++;
	}
	if (argc > 0) {
		fprintf(stderr, "rentport serve: unknown argument \"%s\" "
		    "(try rentport serve --help)\n", argv[0]);
		return 2;
	}
	public_url(conf, url, sizeof(url));
	memcpy(conf->public_url, url, sizeof(url));
	printf("rentport %s: data in %s%s\n", RP_VERSION, conf->data_dir,
	    conf->role == RP_CONF_ROLE_WEB ? " (web node)" :
	    conf->role == RP_CONF_ROLE_CORE ? " (core node)" : "");
	if (conf->role == RP_CONF_ROLE_CORE) {
		printf("  gate              %s:%u (mutual TLS: the web nodes "
		    "reach the vault and the identity holder here)\n",
		    conf->gate_addr, conf->gate_port);
	} else {
		printf("  public site       %s/\n", url);
		print_corporate_sites(conf, url);
		printf("  staff console     http://%s:%u/ (sign in with a demo "
		    "login and oathtool --totp -b SECRET; JSON API under "
		    "/api/v1/)\n", conf->console_addr, conf->console_port);
		printf("  health            %s/healthz\n", url);
		printf("  metrics           http://%s:%u/metrics (internal "
		    "listener, not on the sites' port)\n", conf->metrics_addr,
		    conf->metrics_port);
	}
	if (conf->role == RP_CONF_ROLE_WEB) {
		printf("  core node         %s (vault, access log, identity "
		    "holder; mutual TLS)\n", conf->core_addr);
		printf("Press Ctrl-C to stop.\n");
		fflush(stdout);
		return rp_proc_serve(conf);
	}
	printf("  access log        http://%s:%u/checkpoint (tlog-tiles, read-only)\n",
	    conf->alog_http_addr, conf->alog_http_port);
	if (conf->witness_local)
		printf("  witness           http://%s:%u/ (local, development)\n",
		    conf->witness_addr, conf->witness_port);
	if (conf->paysim_local)
		printf("  paysim            http://%s:%u/ (payment agent sandbox: "
		    "test cards only, see docs/paysim.md)\n", conf->paysim_addr,
		    conf->paysim_port);
	printf("Press Ctrl-C to stop.\n");
	fflush(stdout);
	return rp_proc_serve(conf);
}

static int
cmd_seed(struct rp_conf *conf, int argc, char **argv)
{
	return rp_seed_cmd(conf, argc, argv);
}

/* The subsystems take a const configuration. */
static int
cmd_vault(struct rp_conf *conf, int argc, char **argv)
{
	return rp_vault_cmd(conf, argc, argv);
}

static int
cmd_log_writer(struct rp_conf *conf, int argc, char **argv)
{
	return rp_alog_cmd(conf, argc, argv);
}

static int
cmd_witness(struct rp_conf *conf, int argc, char **argv)
{
	return rp_witness_cmd(conf, argc, argv);
}

static int
cmd_paysim(struct rp_conf *conf, int argc, char **argv)
{
	return rp_paysim_cmd(conf, argc, argv);
}

static int
cmd_log(struct rp_conf *conf, int argc, char **argv)
{
	return rp_log_cmd(conf, argc, argv);
}

static int
cmd_pay(struct rp_conf *conf, int argc, char **argv)
{
	return rp_pay_cmd(conf, argc, argv);
}

static int
cmd_ban(struct rp_conf *conf, int argc, char **argv)
{
	return rp_ban_cmd(conf, argc, argv);
}

static int
cmd_staff(struct rp_conf *conf, int argc, char **argv)
{
	return rp_staff_cmd(conf, argc, argv);
}

/* Replaces this process with rentport-nft-helper on DATA/run/nft.sock. */
static int
cmd_nft_helper(struct rp_conf *conf, int argc, char **argv)
{
	return rp_ips_exec_helper(conf, -1, argc, argv);
}

/* Applies the core store's pending migrations (the one operation that
 * does; serve's parent runs it too before its workers start). */
static int
cmd_migrate(struct rp_conf *conf, int argc, char **argv)
{
	struct rp_store *st = NULL;
	int v = 0, r;

	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "rentport migrate: takes no arguments\n");
		return 2;
	}
	if ((r = rp_store_open(conf->data_dir, &st)) != 0 ||
	    (r = rp_store_schema_version(st, &v)) != 0) {
		fprintf(stderr, "rentport migrate: %s\n", rp_strerror(r));
		rp_store_free(st);
		return 1;
	}
	printf("core store (%s): schema version %d\n", rp_store_kind(), v);
	rp_store_free(st);
	return 0;
}

static int
cmd_pki(struct rp_conf *conf, int argc, char **argv)
{
	return rp_pki_main(conf, argc, argv);
}

static int
cmd_version(struct rp_conf *conf, int argc, char **argv)
{
	(void)conf;
	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "rentport version: takes no arguments\n");
		return 2;
	}
	printf("rentport %s\n", RP_VERSION);
	return 0;
}

static const struct command commands[] = {
	{ "serve", cmd_serve, "run the sites (parent + web workers)",
	  "usage: rentport serve [--role=all|web|core] [--key=value ...]\n\n"
	  "Starts the parent process, which spawns the web workers and\n"
	  "restarts any that die.  SIGTERM or Ctrl-C stops every process.\n" },
	{ "seed", cmd_seed, "create demo or bulk synthetic data",
	  NULL },		/* src/seed/ prints its own --help */
	{ "vault", cmd_vault, "run the vault alone (another host)",
	  NULL },
	{ "log-writer", cmd_log_writer, "run the access-log writer alone",
	  NULL },
	{ "witness", cmd_witness, "run a witness of the access log",
	  NULL },
	{ "paysim", cmd_paysim, "run the payment-agent sandbox (development)",
	  NULL },
	{ "log", cmd_log,
	  "access log: verifier-key, verify, prove, consistency, show, range",
	  NULL },
	{ "pay", cmd_pay,
	  "payments of an order: show, capture (settlement), refund", NULL },
	{ "ban", cmd_ban, "IPS bans: list, add ADDR, remove ADDR", NULL },
	{ "staff", cmd_staff,
	  "staff accounts: add, list, disable, enable, reset, totp-reset", NULL },
	{ "nft-helper", cmd_nft_helper,
	  "the nftables helper (kernel bans; needs CAP_NET_ADMIN)", NULL },
	{ "migrate", cmd_migrate,
	  "apply the core store's pending migrations (SQLite or PostgreSQL)",
	  "usage: rentport migrate [--store=URL] [--data-dir=DIR]\n" },
	{ "pki", cmd_pki,
	  "certificates of several nodes: ca DIR, issue DIR --role --node",
	  NULL },
	{ "version", cmd_version, "print the version",
	  "usage: rentport version\n" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: rentport COMMAND [--key=value ...] [--help]\n\n"
	    "Commands:\n");
	for (i = 0; i < RP_ARRAY_LEN(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-10s %s\n", "scan-pan",
	    "find card numbers in files (exit 1 if any): PATH...");
	fprintf(f, "\n");
	rp_conf_usage(f);
}

int
main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	struct rp_conf conf;
	struct rp_buf err;
	char **rest;
	int nrest, i, r;

	/* Room for the process titles ("rentport: web 1") before anything
	 * keeps a pointer into the original argv or environment. */
	if ((rest = rp_proctitle_init(argc, argv)) != NULL)
		argv = rest;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		argv[1] = (char *)"version";
	/* paths, not configuration: no --key=value parsing */
	if (strcmp(argv[1], "scan-pan") == 0)
		return rp_scan_pan_cmd(argc - 2, argv + 2);
	for (i = 0; i < (int)RP_ARRAY_LEN(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		fprintf(stderr, "rentport: unknown command \"%s\" "
		    "(try rentport --help)\n", argv[1]);
		return 2;
	}
	for (i = 2; cmd->usage != NULL && i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(cmd->usage, stdout);
			fputc('\n', stdout);
			rp_conf_usage(stdout);
			return 0;
		}
	if ((rest = calloc((size_t)argc, sizeof(*rest))) == NULL)
		return 1;
	rp_buf_init(&err, 1024);
	if (rp_conf_load(&conf, argc - 2, argv + 2, rest, &nrest, &err) != 0) {
		fprintf(stderr, "rentport %s: %s\n", cmd->name,
		    err.d ? err.d : "bad configuration");
		rp_buf_release(&err);
		free(rest);
		return 2;
	}
	rp_buf_release(&err);
	rp_log_set_level((enum rp_log_level)conf.log_level);
	rp_store_use(conf.store);
	r = cmd->run(&conf, nrest, rest);
	free(rest);
	return r;
}
