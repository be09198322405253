/* SPDX-License-Identifier: ISC */
/* test_conf.c — configuration: file syntax, ranges, precedence, messages. */
#include "util/common.h"
#include "conf/conf.h"
#include "tap.h"

#include <unistd.h>

static int
parse(struct rp_conf *c, const char *text, struct rp_buf *err)
{
	rp_buf_reset(err);
	return rp_conf_parse(c, rp_str_c(text), "test.conf", err);
}

int
main(void)
{
	struct rp_conf c;
	struct rp_buf err;
	char *rest[8];
	int nrest;

	rp_buf_init(&err, 1024);
	rp_conf_defaults(&c);
	is_str(c.data_dir, "./var", "default data_dir");
	is_int(c.port, 8080, "default port");
	ok(c.max_body_preauth_bytes < c.max_body_bytes,
	    "pre-auth body cap is smaller");

	is_int(parse(&c, "# comment\n\n  port = 9090 \r\nworkers=3\n"
	    "data-dir = \"/tmp/x y\"\nlog_level = debug", &err), 0, "valid file");
	is_int(c.port, 9090, "port set");
	is_int(c.workers, 3, "workers set");
	is_str(c.data_dir, "/tmp/x y", "quoted value, dash in key");
	is_int(c.log_level, 0, "log level debug");

	is_int(parse(&c, "port = 70000\n", &err), RP_E_RANGE, "port out of range");
	ok(err.d && strstr(err.d, "port") && strstr(err.d, "1 to 65535") &&
	    strstr(err.d, "test.conf:1"), "message names key, range and line");
	is_int(c.port, 9090, "bad value leaves the old one");
	is_int(parse(&c, "\n\nnope = 1\n", &err), RP_E_NOTFOUND, "unknown key");
	ok(err.d && strstr(err.d, "nope") && strstr(err.d, "test.conf:3"),
	    "unknown key named with line");
	is_int(parse(&c, "port 80\n", &err), RP_E_INVAL, "missing =");
	is_int(parse(&c, "workers = -1\n", &err), RP_E_RANGE, "negative");
	is_int(parse(&c, "workers = 0\n", &err), RP_E_RANGE, "below minimum");
	is_int(parse(&c, "workers = 99999999999999999999999\n", &err), RP_E_RANGE,
	    "overflowing number");
	is_int(parse(&c, "log_level = loud\n", &err), RP_E_RANGE, "bad level");
	ok(err.d && strstr(err.d, "debug, info, warn or error"), "levels listed");
	{
		char big[1200];
		memset(big, 'a', sizeof(big));
		memcpy(big, "data_dir=", 9);
		big[sizeof(big) - 1] = '\0';
		is_int(parse(&c, big, &err), RP_E_RANGE, "over-long path refused");
	}
	is_int(parse(&c, "listen_addr = \xff\xfe\n", &err), RP_E_RANGE,
	    "invalid UTF-8 refused");

	/* Mail: transport names, URL scheme, sender address, the cross-key
	 * rule checked once every source is loaded. */
	rp_conf_defaults(&c);
	is_int(c.mail_transport, RP_CONF_MAIL_EML, "default transport eml");
	is_str(c.mail_from, "no-reply@rentport.localhost", "default mail_from");
	is_str(c.mail_from_name, "rentport", "default mail_from_name");
	is_int(c.mail_max_attempts, 8, "default mail_max_attempts");
	is_int(c.mail_backoff_base_s, 60, "default mail_backoff_base_s");
	is_int(parse(&c, "mail_transport = smtp\nsmtp_url = smtps://relay:465\n",
	    &err), 0, "smtp with an smtps URL");
	is_int(c.mail_transport, RP_CONF_MAIL_SMTP, "transport smtp");
	is_int(parse(&c, "mail_transport = pigeon\n", &err), RP_E_RANGE,
	    "unknown transport");
	ok(err.d && strstr(err.d, "mail_transport") &&
	    strstr(err.d, "eml or smtp"), "transports listed");
	is_int(parse(&c, "smtp_url = http://relay/\n", &err), RP_E_RANGE,
	    "smtp_url must be smtp:// or smtps://");
	ok(err.d && strstr(err.d, "smtp_url"), "names smtp_url");
	is_int(parse(&c, "smtp_url = smtp://\n", &err), RP_E_RANGE,
	    "smtp_url needs a host");
	is_int(parse(&c, "smtp_url = \"smtp://a b\"\n", &err), RP_E_RANGE,
	    "smtp_url without spaces");
	is_int(parse(&c, "mail_from = not-an-address\n", &err), RP_E_RANGE,
	    "mail_from must be an address");
	ok(err.d && strstr(err.d, "mail_from"), "names mail_from");
	is_int(parse(&c, "mail_from_name = \"a\tb\"\n", &err), RP_E_RANGE,
	    "mail_from_name without control characters");
	is_int(parse(&c, "mail_from_name = \n", &err), 0,
	    "mail_from_name may be empty");
	is_int(parse(&c, "mail_max_attempts = 0\n", &err), RP_E_RANGE,
	    "mail_max_attempts at least 1");
	is_int(parse(&c, "mail_max_attempts = 101\n", &err), RP_E_RANGE,
	    "mail_max_attempts at most 100");
	is_int(parse(&c, "mail_backoff_base_s = 0\n", &err), RP_E_RANGE,
	    "mail_backoff_base_s at least 1");
	{
		char *argv[1] = { (char *)"--mail-transport=smtp" };

		rp_buf_reset(&err);
		is_int(rp_conf_load(&c, 1, argv, rest, &nrest, &err), RP_E_INVAL,
		    "smtp without smtp_url refused");
		ok(err.d && strstr(err.d, "smtp_url"), "names smtp_url");
	}

	/* Precedence: file < environment < flags; other args pass through. */
	{
		char tmpl[] = "/tmp/rpconfXXXXXX";
		int fd = mkstemp(tmpl);
		char flag_cfg[64], *argv[6];

		ok(fd >= 0 && write(fd, "port = 1111\nworkers = 5\n", 24) == 24,
		    "wrote a config file");
		close(fd);
		snprintf(flag_cfg, sizeof(flag_cfg), "--config=%s", tmpl);
		setenv("RENTPORT_PORT", "2222", 1);
		argv[0] = (char *)"--demo";
		argv[1] = flag_cfg;
		argv[2] = (char *)"--http-threads";
		argv[3] = (char *)"7";
		argv[4] = (char *)"--workers=6";
		argv[5] = (char *)"operand";
		rp_buf_reset(&err);
		is_int(rp_conf_load(&c, 6, argv, rest, &nrest, &err), 0, "load");
		is_int(c.port, 2222, "environment beats file");
		is_int(c.workers, 6, "flag beats file");
		is_int(c.http_threads, 7, "flag with separate value");
		is_int(nrest, 2, "two args passed through");
		ok(nrest == 2 && strcmp(rest[0], "--demo") == 0 &&
		    strcmp(rest[1], "operand") == 0, "in order");
		argv[0] = (char *)"--port=0";
		rp_buf_reset(&err);
		is_int(rp_conf_load(&c, 1, argv, rest, &nrest, &err), RP_E_RANGE,
		    "bad flag value");
		setenv("RENTPORT_PORT", "x", 1);
		rp_buf_reset(&err);
		is_int(rp_conf_load(&c, 0, argv, rest, &nrest, &err), RP_E_RANGE,
		    "bad environment value");
		ok(err.d && strstr(err.d, "RENTPORT_PORT"), "names the variable");
		unsetenv("RENTPORT_PORT");
		argv[0] = (char *)"--config=/nonexistent/rentport.conf";
		rp_buf_reset(&err);
		is_int(rp_conf_load(&c, 1, argv, rest, &nrest, &err), RP_E_IO,
		    "explicit missing config file is an error");
		unlink(tmpl);
	}
	/* The documented example must load as it is (tests run in the source root). */
	{
		char *argv[1] = { (char *)"--config=rentport.conf.example" };
		rp_buf_reset(&err);
		is_int(rp_conf_load(&c, 1, argv, rest, &nrest, &err), 0,
		    "rentport.conf.example loads");
		is_int(c.port, 8080, "example keeps the default port");
	}
	rp_buf_release(&err);
	return tap_done();
}
