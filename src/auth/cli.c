/* SPDX-License-Identifier: ISC */
/*
 * cli.c — `rentport staff`: the staff accounts in DATA/auth/auth.db, for
 * the operator (root, beside serve or before it).  A new account, or a
 * new TOTP secret, is printed once — the password, the base32 secret,
 * the otpauth URI and its QR code for an authenticator app — and never
 * again: only the hash and the sealed secret are kept.
 */
#include "util/common.h"
#include "auth/auth.h"
#include "conf/conf.h"
#include "store/store.h"

#include <qrencode.h>
#include <sodium.h>

static const char usage[] =
    "usage: rentport staff add USER --role=ROLE [--tenant=SLUG] "
    "[--counters=NRT1,HND3]\n"
    "       rentport staff list\n"
    "       rentport staff disable|enable USER\n"
    "       rentport staff reset USER          (a new password)\n"
    "       rentport staff totp-reset USER     (a new TOTP secret: enrol again)\n"
    "\n"
    "Roles: backoffice, counter (with --counters), security, incident,\n"
    "client_admin (with --tenant, a corporate client's slug).  Disabling,\n"
    "a reset or a TOTP reset ends the account's sessions at once.\n";

/* The QR code of text on a terminal: two modules per character cell. */
void
rp_staff_print_qr(FILE *f, const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int w, x, y;

	if (q == NULL)
		return;
	w = q->width;
	for (y = -2; y < w + 2; y += 2) {
		for (x = -2; x < w + 2; x++) {
			bool top = y >= 0 && y < w && x >= 0 && x < w &&
			    (q->data[y * w + x] & 1);
			bool bot = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w &&
			    (q->data[(y + 1) * w + x] & 1);

			/* dark modules as spaces on a light field */
			fputs(top && bot ? " " : top ? "\u2584" : bot ?
			    "\u2580" : "\u2588", f);
		}
		fputc('\n', f);
	}
	QRcode_free(q);
}

static void
print_secret(const char *user, const char *b32)
{
	char uri[256];

	printf("TOTP secret (base32): %s\n", b32);
	if (rp_totp_uri(user, b32, uri, sizeof(uri)) == 0) {
		printf("otpauth URI: %s\n", uri);
		printf("scan it with an authenticator app:\n");
		rp_staff_print_qr(stdout, uri);
	}
	printf("(the console also shows this code at the first sign-in, "
	    "until a code is used)\n");
}

static int
add(const struct rp_conf *conf, struct rp_auth_db *db, int argc, char **argv)
{
	const char *user = NULL, *role_s = NULL, *slug = NULL, *counters = "";
	char pw[64], b32[RP_AUTH_TOTP_B32_MAX + 1];
	int64_t tenant = 0;
	int role, r;

	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--role=", 7) == 0)
			role_s = argv[i] + 7;
		else if (strncmp(argv[i], "--tenant=", 9) == 0)
			slug = argv[i] + 9;
		else if (strncmp(argv[i], "--counters=", 11) == 0)
			counters = argv[i] + 11;
		else if (argv[i][0] != '-' && user == NULL)
			user = argv[i];
		else {
			fprintf(stderr, "rentport staff add: unknown argument "
			    "'%.64s'\n%s", argv[i], usage);
			return 2;
		}
	}
	if (user == NULL || role_s == NULL ||
	    rp_staff_role_parse(role_s, &role) != 0) {
		fprintf(stderr, "rentport staff add: a USER and a --role "
		    "(backoffice, counter, security, incident, client_admin) "
		    "are needed\n");
		return 2;
	}
	if (!rp_auth_user_ok(rp_str_c(user))) {
		fprintf(stderr, "rentport staff add: a username is 1-32 of "
		    "a-z 0-9 . _ - (starting with a letter or digit)\n");
		return 2;
	}
	if ((role == RP_STAFF_CLIENT_ADMIN) != (slug != NULL)) {
		fprintf(stderr, "rentport staff add: --tenant=SLUG goes with "
		    "--role=client_admin, and only with it\n");
		return 2;
	}
	if (slug != NULL) {
		struct rp_store *st;
		struct rp_tenant t;

		if ((r = rp_store_open(conf->data_dir, &st)) != 0) {
			fprintf(stderr, "rentport staff add: cannot open the "
			    "core store: %s\n", rp_strerror(r));
			return 1;
		}
		r = rp_store_tenant_get(st, slug, &t);
		rp_store_free(st);
		if (r != 0) {
			fprintf(stderr, "rentport staff add: no corporate "
			    "client '%.64s'\n", slug);
			return 1;
		}
		tenant = t.id;
	}
	r = rp_auth_staff_add(db, user, role, tenant, counters, NULL, pw,
	    sizeof(pw), b32);
	if (r == RP_E_EXISTS) {
		fprintf(stderr, "rentport staff add: %s exists\n", user);
		return 1;
	}
	if (r != 0) {
		fprintf(stderr, "rentport staff add: %s (counters are codes "
		    "like NRT1,HND3, and only for a counter)\n", rp_strerror(r));
		return 1;
	}
	printf("added %s (%s)\npassword: %s\n", user, role_s, pw);
	print_secret(user, b32);
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(b32, sizeof(b32));
	return 0;
}

static int
list(struct rp_auth_db *db)
{
	struct rp_staff_account *v;
	size_t n;
	int r;

	if ((r = rp_auth_staff_list(db, &v, &n)) != 0) {
		fprintf(stderr, "rentport staff list: %s\n", rp_strerror(r));
		return 1;
	}
	printf("%-32s %-12s %-6s %-16s %-8s %s\n", "username", "role",
	    "tenant", "counters", "enrolled", "state");
	for (size_t i = 0; i < n; i++)
		printf("%-32s %-12s %-6" PRId64 " %-16s %-8s %s\n",
		    v[i].username, rp_staff_role_name(v[i].role),
		    v[i].tenant_id, v[i].counters[0] ? v[i].counters : "-",
		    v[i].enrolled ? "yes" : "no",
		    v[i].disabled ? "disabled" : "active");
	free(v);
	return 0;
}

int
rp_staff_cmd(const struct rp_conf *conf, int argc, char **argv)
{
	struct rp_auth_db *db = NULL;
	const char *verb = argc > 0 ? argv[0] : NULL;
	int r, rc = 1;

	if (verb == NULL || strcmp(verb, "--help") == 0 ||
	    strcmp(verb, "-h") == 0) {
		fputs(usage, verb == NULL ? stderr : stdout);
		return verb == NULL ? 2 : 0;
	}
	if (strcmp(verb, "add") != 0 && strcmp(verb, "list") != 0 &&
	    strcmp(verb, "disable") != 0 && strcmp(verb, "enable") != 0 &&
	    strcmp(verb, "reset") != 0 && strcmp(verb, "totp-reset") != 0) {
		fprintf(stderr, "rentport staff: unknown command '%.32s'\n%s",
		    verb, usage);
		return 2;
	}
	if (strcmp(verb, "add") != 0 && strcmp(verb, "list") != 0 &&
	    argc != 2) {
		fprintf(stderr, "rentport staff %s: one USER\n", verb);
		return 2;
	}
	if ((r = rp_auth_db_open(conf->data_dir, &db)) != 0) {
		fprintf(stderr, "rentport staff: cannot open %s/auth/auth.db: "
		    "%s (run as root, or as the data directory's owner)\n",
		    conf->data_dir, rp_strerror(r));
		return 1;
	}
	if (strcmp(verb, "add") == 0)
		rc = add(conf, db, argc - 1, argv + 1);
	else if (strcmp(verb, "list") == 0)
		rc = argc == 1 ? list(db) : 2;
	else {
		char pw[64], b32[RP_AUTH_TOTP_B32_MAX + 1];

		if (strcmp(verb, "disable") == 0 || strcmp(verb, "enable") == 0)
			r = rp_auth_staff_disable(db, argv[1],
			    strcmp(verb, "disable") == 0);
		else if (strcmp(verb, "reset") == 0)
			r = rp_auth_staff_reset(db, argv[1], NULL, pw,
			    sizeof(pw));
		else
			r = rp_auth_staff_totp_reset(db, argv[1], b32);
		if (r == RP_E_NOTFOUND)
			fprintf(stderr, "rentport staff %s: no account "
			    "'%.32s'\n", verb, argv[1]);
		else if (r != 0)
			fprintf(stderr, "rentport staff %s: %s\n", verb,
			    rp_strerror(r));
		else {
			rc = 0;
			if (strcmp(verb, "reset") == 0)
				printf("%s: new password: %s (its sessions "
				    "ended)\n", argv[1], pw);
			else if (strcmp(verb, "totp-reset") == 0) {
				printf("%s: new TOTP secret (its sessions "
				    "ended; enrol again)\n", argv[1]);
				print_secret(argv[1], b32);
			} else
				printf("%s: %sd%s\n", argv[1], verb,
				    strcmp(verb, "disable") == 0 ?
				    " (its sessions ended)" : "");
		}
		sodium_memzero(pw, sizeof(pw));
		sodium_memzero(b32, sizeof(b32));
	}
	rp_auth_db_close(db);
	return rc;
}
