/* SPDX-License-Identifier: ISC */
/*
 * crs_inproc.c — runs OWASP CRS regression requests through libmodsecurity
 * in-process, with the very rules rentport loads (rp_waf_init with the
 * same configuration), to get the reference verdicts that
 * crs_regression.py compares with the ones through rentport's HTTP server.
 * Why not a copy of the engine calls: sharing src/waf means a difference
 * between the two runs can only come from the HTTP path.
 *
 *   crs_inproc DATA_DIR RULES PARANOIA < requests > verdicts
 *
 * Input: records of "T n\n", then "M len\n", "U len\n", "V len\n" (method,
 * target, version) and "H klen vlen\n" (per header), "B len\n" each
 * followed by that many bytes and "\n" (a header: name "\n" value "\n"),
 * then "E\n".  Output: one line per
 * record, "n status id id ...".  Test tool: input from the test script.
 */
#include "util/common.h"
#include "waf/waf.h"

#include <stdio.h>
#include <stdlib.h>

static char *
field(FILE *f, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL || fread(p, 1, n, f) != n || fgetc(f) != '\n') {
		fprintf(stderr, "crs_inproc: truncated input\n");
		exit(2);
	}
	p[n] = '\0';
	return p;
}

int
main(int argc, char **argv)
{
	struct rp_conf c;
	struct rp_buf err;
	char line[128];
	long n = -1;

	if (argc != 4) {
		fprintf(stderr, "usage: crs_inproc DATA_DIR RULES PARANOIA\n");
		return 2;
	}
	rp_conf_defaults(&c);
	snprintf(c.data_dir, sizeof(c.data_dir), "%s", argv[1]);
	snprintf(c.waf_rules, sizeof(c.waf_rules), "%s", argv[2]);
	c.waf_paranoia = (uint32_t)strtoul(argv[3], NULL, 10);
	c.waf_mode = RP_CONF_WAF_DETECT;
	rp_buf_init(&err, 4096);
	if (rp_waf_init(&c, &err) != 0) {
		fprintf(stderr, "crs_inproc: %s\n", err.d ? err.d : "init");
		return 1;
	}
	rp_buf_release(&err);

	struct rp_waf_tx *tx = NULL;
	char *method = NULL, *uri = NULL, *version = NULL, *body = NULL;
	size_t blen = 0;
	int st = 0;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		size_t a = 0, b = 0;

		switch (line[0]) {
		case 'T':
			n = strtol(line + 2, NULL, 10);
			tx = rp_waf_tx_new("crs");
			st = rp_waf_tx_connection(tx, "127.0.0.1", 40000,
			    "127.0.0.1", 80);
			break;
		case 'M':
			method = field(stdin, strtoul(line + 2, NULL, 10));
			break;
		case 'U':
			uri = field(stdin, strtoul(line + 2, NULL, 10));
			break;
		case 'V':
			version = field(stdin, strtoul(line + 2, NULL, 10));
			if (st == 0)
				st = rp_waf_tx_uri(tx, uri, method, version);
			break;
		case 'H': {
			char *k, *v;

			if (sscanf(line + 2, "%zu %zu", &a, &b) != 2)
				return 2;
			k = field(stdin, a);
			v = field(stdin, b);
			rp_waf_tx_header(tx, (struct rp_str){ k, a },
			    (struct rp_str){ v, b });
			free(k);
			free(v);
			break;
		}
		case 'B':
			blen = strtoul(line + 2, NULL, 10);
			body = field(stdin, blen);
			break;
		case 'E': {
			const uint32_t *ids;
			size_t i, k;
			struct rp_waf_ev ev = { "crs", method, "/", "127.0.0.1",
			    200 };

			if (st == 0)
				st = rp_waf_tx_headers_done(tx);
			if (st == 0)
				st = rp_waf_tx_body(tx, (struct rp_str){ body,
				    blen });
			/* The logging phase may add matches (e.g. 980130). */
			k = rp_waf_tx_rules(tx, &ids);
			printf("%ld %d", n, st);
			for (i = 0; i < k; i++)
				printf(" %" PRIu32, ids[i]);
			printf("\n");
			rp_waf_tx_end(tx, &ev);
			tx = NULL;
			free(method);
			free(uri);
			free(version);
			free(body);
			method = uri = version = body = NULL;
			blen = 0;
			break;
		}
		default:
			fprintf(stderr, "crs_inproc: bad record %c\n", line[0]);
			return 2;
		}
	}
	rp_waf_fini();
	return 0;
}
