/* SPDX-License-Identifier: ISC */
/*
 * pki.c — `rentport pki`: the cluster's certificate authority and each
 * node's certificates for the gate (gate.h), with OpenSSL's libcrypto.
 *
 *   rentport pki ca DIR
 *       DIR/ca.key (0600) and DIR/ca.crt: a P-256 CA, ten years.  Keep
 *       DIR off the nodes; it signs every node's certificates.
 *   rentport pki issue DIR --role=web|core --node=NAME [--data-dir=D]
 *       D/tls/ca.crt and the certificates of a node of that role, signed
 *       by DIR's CA, two years: role web gets web, console and mailer
 *       (one per kind of process that reaches the core node), role core
 *       gets core.  Subject: O=rentport, OU=<kind>, CN=<kind>.<NAME>.
 *       The OU is what the other end believes.  Re-issuing replaces them.
 */
#include "util/common.h"
#include "gate/gate_int.h"
#include "proc/sandbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define CA_DAYS		3650
#define LEAF_DAYS	730

static const char usage_text[] =
	"usage: rentport pki ca DIR\n"
	"       rentport pki issue DIR --role=web|core --node=NAME "
	"[--data-dir=D]\n\n"
	"ca:    makes the cluster's certificate authority in DIR (ca.key, "
	"ca.crt).\n"
	"issue: signs a node's certificates with DIR's CA into D/tls/:\n"
	"       role web: web, console, mailer; role core: core.\n";

static int
fail(const char *what)
{
	unsigned long e = ERR_get_error();

	fprintf(stderr, "rentport pki: %s%s%s\n", what, e ? ": " : "",
	    e ? ERR_reason_error_string(e) : "");
	return 1;
}

/* Writes a PEM file through a temporary name: whole or not at all. */
static int
write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *crt)
{
	char tmp[RP_CONF_PATH_MAX + 48];
	FILE *f;
	int fd, ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) < 0)
		return -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -1;
	}
	ok = key != NULL ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL,
	    NULL) : PEM_write_X509(f, crt);
	ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || fchmodat(AT_FDCWD, tmp, mode, 0) != 0 ||
	    rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
add_ext(X509 *crt, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ex;
	int ok;

	X509V3_set_ctx(&ctx, issuer, crt, NULL, NULL, 0);
	if ((ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(crt, ex, -1);
	X509_EXTENSION_free(ex);
	return ok;
}

/* A certificate for key: the CA's own (ca == NULL) or one ca signs. */
static X509 *
make_cert(EVP_PKEY *key, const char *ou, const char *cn, X509 *ca,
    EVP_PKEY *ca_key, bool is_ca)
{
	X509 *crt = X509_new();
	X509_NAME *nm;
	uint8_t serial[16];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *sn = NULL;
	int ok = crt != NULL;

	if (ok && RAND_bytes(serial, sizeof(serial)) == 1) {
		serial[0] &= 0x7f;	/* positive */
		bn = BN_bin2bn(serial, sizeof(serial), NULL);
		sn = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	}
	ok = ok && sn != NULL && X509_set_version(crt, 2) &&
	    X509_set_serialNumber(crt, sn) &&
	    X509_gmtime_adj(X509_getm_notBefore(crt), -3600) != NULL &&
	    X509_gmtime_adj(X509_getm_notAfter(crt),
	    (long)(is_ca ? CA_DAYS : LEAF_DAYS) * 86400) != NULL &&
	    X509_set_pubkey(crt, key);
	if (ok) {
		nm = X509_get_subject_name(crt);
		ok = X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC,
		    (const unsigned char *)"rentport", -1, -1, 0) &&
		    X509_NAME_add_entry_by_txt(nm, "OU", MBSTRING_ASC,
		    (const unsigned char *)ou, -1, -1, 0) &&
		    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
		    (const unsigned char *)cn, -1, -1, 0) &&
		    X509_set_issuer_name(crt, ca != NULL ?
		    X509_get_subject_name(ca) : nm);
	}
	if (ok && is_ca)
		ok = add_ext(crt, crt, NID_basic_constraints,
		    "critical,CA:TRUE,pathlen:0") &&
		    add_ext(crt, crt, NID_key_usage, "critical,keyCertSign,cRLSign") &&
		    add_ext(crt, crt, NID_subject_key_identifier, "hash");
	else if (ok) {
		char san[128];

		snprintf(san, sizeof(san), "DNS:%s", cn);
		ok = add_ext(crt, ca, NID_basic_constraints, "critical,CA:FALSE") &&
		    add_ext(crt, ca, NID_key_usage,
		    "critical,digitalSignature") &&
		    add_ext(crt, ca, NID_ext_key_usage, "serverAuth,clientAuth") &&
		    add_ext(crt, ca, NID_subject_alt_name, san) &&
		    add_ext(crt, ca, NID_authority_key_identifier, "keyid");
	}
	ok = ok && X509_sign(crt, ca_key != NULL ? ca_key : key, EVP_sha256()) > 0;
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	if (!ok) {
		X509_free(crt);
		return NULL;
	}
	return crt;
}

static int
cmd_ca(const char *dir)
{
	char kp[RP_CONF_PATH_MAX + 16], cp[RP_CONF_PATH_MAX + 16];
	EVP_PKEY *key;
	X509 *crt;
	int r = 1;

	snprintf(kp, sizeof(kp), "%s/ca.key", dir);
	snprintf(cp, sizeof(cp), "%s/ca.crt", dir);
	if (access(kp, F_OK) == 0) {
		fprintf(stderr, "rentport pki ca: %s exists; not replacing the "
		    "cluster's CA (every node's certificates hang on it)\n", kp);
		return 1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "rentport pki ca: cannot create %s: %s\n", dir,
		    strerror(errno));
		return 1;
	}
	if ((key = EVP_EC_gen("P-256")) == NULL)
		return fail("cannot make a key");
	if ((crt = make_cert(key, "ca", "rentport cluster CA", NULL, NULL,
	    true)) == NULL)
		r = fail("cannot make the CA certificate");
	else if (write_pem(kp, 0600, key, NULL) != 0 ||
	    write_pem(cp, 0644, NULL, crt) != 0)
		fprintf(stderr, "rentport pki ca: cannot write %s: %s\n", dir,
		    strerror(errno));
	else {
		printf("CA made: %s (keep it off the nodes), %s\n", kp, cp);
		r = 0;
	}
	X509_free(crt);
	EVP_PKEY_free(key);
	return r;
}

static int
load_ca(const char *dir, X509 **crt, EVP_PKEY **key)
{
	char p[RP_CONF_PATH_MAX + 16];
	FILE *f;

	*crt = NULL;
	*key = NULL;
	snprintf(p, sizeof(p), "%s/ca.crt", dir);
	if ((f = fopen(p, "r")) != NULL) {
		*crt = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	snprintf(p, sizeof(p), "%s/ca.key", dir);
	if ((f = fopen(p, "r")) != NULL) {
		*key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (*crt != NULL && *key != NULL && X509_check_private_key(*crt, *key))
		return 0;
	fprintf(stderr, "rentport pki issue: no CA in %s (make one with "
	    "`rentport pki ca %s`)\n", dir, dir);
	X509_free(*crt);
	EVP_PKEY_free(*key);
	return 1;
}

static bool
node_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 48)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || (s[i] == '.' && i > 0)))
			return false;
	return true;
}

static int
cmd_issue(const struct rp_conf *conf, const char *cadir, const char *node,
    const char *role)
{
	static const char *const web_kinds[] = { "web", "console", "mailer" };
	static const char *const core_kinds[] = { "core" };
	bool core = role != NULL && strcmp(role, "core") == 0;
	const char *const *kinds = core ? core_kinds : web_kinds;
	size_t nk = core ? 1 : 3;
	char dir[RP_CONF_PATH_MAX + 8], p[RP_CONF_PATH_MAX + 32];
	X509 *ca;
	EVP_PKEY *ca_key;
	int r = 0;

	if (role == NULL || (!core && strcmp(role, "web") != 0)) {
		fprintf(stderr, "rentport pki issue: --role=web or --role=core "
		    "(a single host needs no certificates)\n");
		return 2;
	}
	if (node == NULL || !node_name_ok(node)) {
		fprintf(stderr, "rentport pki issue: --node=NAME: lower-case "
		    "letters, digits, '-' and '.', up to 48\n");
		return 2;
	}
	if (load_ca(cadir, &ca, &ca_key) != 0)
		return 1;
	snprintf(dir, sizeof(dir), "%s/%s", conf->data_dir, RP_GATE_TLS_DIR);
	if ((mkdir(conf->data_dir, 0750) != 0 && errno != EEXIST) ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST)) {
		fprintf(stderr, "rentport pki issue: cannot create %s: %s\n", dir,
		    strerror(errno));
		r = 1;
		goto out;
	}
	snprintf(p, sizeof(p), "%s/ca.crt", dir);
	if (write_pem(p, 0644, NULL, ca) != 0) {
		fprintf(stderr, "rentport pki issue: cannot write %s\n", p);
		r = 1;
		goto out;
	}
	for (size_t i = 0; i < nk && r == 0; i++) {
		char cn[80];
		EVP_PKEY *key = EVP_EC_gen("P-256");
		X509 *crt;

		snprintf(cn, sizeof(cn), "%s.%s", kinds[i], node);
		crt = key != NULL ? make_cert(key, kinds[i], cn, ca, ca_key,
		    false) : NULL;
		if (crt == NULL)
			r = fail("cannot make a certificate");
		snprintf(p, sizeof(p), "%s/%s.key", dir, kinds[i]);
		if (r == 0 && write_pem(p, 0600, key, NULL) != 0)
			r = 1;
		snprintf(p, sizeof(p), "%s/%s.crt", dir, kinds[i]);
		if (r == 0 && write_pem(p, 0644, NULL, crt) != 0)
			r = 1;
		if (r == 0)
			printf("%s/%s.crt: %s\n", dir, kinds[i], cn);
		else if (crt != NULL)
			fprintf(stderr, "rentport pki issue: cannot write %s\n", p);
		X509_free(crt);
		EVP_PKEY_free(key);
	}
 out:
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return r;
}

int
rp_pki_main(const struct rp_conf *conf, int argc, char **argv)
{
	const char *node = NULL, *role = NULL;

	if (argc >= 1 && strcmp(argv[0], "--help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (strcmp(argv[0], "ca") == 0 && argc == 2)
		return cmd_ca(argv[1]);
	if (strcmp(argv[0], "issue") == 0) {
		for (int i = 2; i < argc; i++) {
			if (strncmp(argv[i], "--node=", 7) == 0)
				node = argv[i] + 7;
			else if (strncmp(argv[i], "--role=", 7) == 0)
				role = argv[i] + 7;
			else {
				fprintf(stderr, "rentport pki issue: unknown "
				    "argument \"%.64s\"\n%s", argv[i], usage_text);
				return 2;
			}
		}
		return cmd_issue(conf, argv[1], node, role);
	}
	fputs(usage_text, stderr);
	return 2;
}
