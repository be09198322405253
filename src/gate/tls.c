/* SPDX-License-Identifier: ISC */
/*
 * tls.c — the gate's TLS contexts (OpenSSL): TLS 1.3 only, the cluster's
 * CA (DATA/tls/ca.crt) as the one trust anchor, a certificate required of
 * both ends, no session tickets; and what a verified peer certificate says
 * (its OU names the peer's kind, gate.h).
 */
#include "util/common.h"
#include "gate/gate_int.h"
#include "proc/sandbox.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

int
rp_gate_kind_of_role(const char *ou)
{
	if (strcmp(ou, "web") == 0)
		return RP_KIND_WEB;
	if (strcmp(ou, "console") == 0)
		return RP_KIND_CONSOLE;
	if (strcmp(ou, "mailer") == 0)
		return RP_KIND_MAIL;
	if (strcmp(ou, "core") == 0)
		return RP_KIND_MAX;
	return -1;
}

const char *
rp_gate_role_of_kind(unsigned kind)
{
	switch (kind) {
	case RP_KIND_WEB:
		return "web";
	case RP_KIND_CONSOLE:
		return "console";
	case RP_KIND_MAIL:
		return "mailer";
	case RP_KIND_MAX:
		return "core";
	default:
		return NULL;
	}
}

void
rp_gate_tls_error(struct rp_buf *err, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%s", strerror(errno));
	rp_buf_printf(err, "%s: %s", what, buf);
	ERR_clear_error();
}

/* The server's ALPN choice: exactly one of ours, or no handshake. */
static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const char *const names[] = { RP_GATE_ALPN_VAULT,
	    RP_GATE_ALPN_AUTH };
	unsigned i = 0;

	(void)ssl;
	(void)arg;
	while (i < inlen) {
		unsigned n = in[i];

		if (i + 1 + n > inlen)
			break;
		for (size_t k = 0; k < RP_ARRAY_LEN(names); k++)
			if (n == strlen(names[k]) &&
			    memcmp(in + i + 1, names[k], n) == 0) {
				*out = in + i + 1;
				*outlen = (unsigned char)n;
				return SSL_TLSEXT_ERR_OK;
			}
		i += 1 + n;
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

SSL_CTX *
rp_gate_tls_ctx(bool server, const char *dir, const char *name,
    struct rp_buf *err)
{
	char ca[RP_CONF_PATH_MAX + 32], crt[RP_CONF_PATH_MAX + 32],
	    key[RP_CONF_PATH_MAX + 32];
	SSL_CTX *ctx;

	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	snprintf(crt, sizeof(crt), "%s/%s.crt", dir, name);
	snprintf(key, sizeof(key), "%s/%s.key", dir, name);
	if ((ctx = SSL_CTX_new(server ? TLS_server_method() :
	    TLS_client_method())) == NULL) {
		rp_gate_tls_error(err, "TLS context");
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		rp_gate_tls_error(err, ca);
		goto fail;
	}
	if (SSL_CTX_use_certificate_file(ctx, crt, SSL_FILETYPE_PEM) != 1) {
		rp_gate_tls_error(err, crt);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		rp_gate_tls_error(err, key);
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, 2);
	/* Nothing after the handshake but our frames. */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (server)
		SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	return ctx;
 fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int
rp_gate_peer(SSL *ssl, char *ou, size_t oun, char *cn, size_t cnn)
{
	X509 *x;
	X509_NAME *nm;
	int r = RP_E_INVAL;

	ou[0] = cn[0] = '\0';
	if (SSL_get_verify_result(ssl) != X509_V_OK ||
	    (x = SSL_get1_peer_certificate(ssl)) == NULL)
		return RP_E_INVAL;
	nm = X509_get_subject_name(x);
	if (X509_NAME_get_text_by_NID(nm, NID_organizationalUnitName, ou,
	    (int)oun) > 0 &&
	    X509_NAME_get_text_by_NID(nm, NID_commonName, cn, (int)cnn) > 0 &&
	    rp_str_printable(rp_str_c(ou)) && rp_str_printable(rp_str_c(cn)))
		r = 0;
	X509_free(x);
	return r;
}
