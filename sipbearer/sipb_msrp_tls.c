/*
 * sipb_msrp_tls.c - msrps: TLS on the active side's MSRP connection
 * (RFC 4975 §14.2 transport security, §14.3 and §14.4 the certificate
 * checked by fingerprint or by CA; RFC 4572 a=fingerprint), on GnuTLS,
 * the gateway's TLS library (libmicrohttpd's, ppg/ppg_tls.c). See
 * sipb_msrp_tls.h for what is checked.
 */
#include "sipbearer/sipb_msrp_tls.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

struct sipb_mtls_cred {
	gnutls_certificate_credentials_t x;
};

struct sipb_mtls {
	gnutls_session_t s;
	int fd;
	gnutls_digest_algorithm_t dig;   /* GNUTLS_DIG_UNKNOWN: verified by CA */
	unsigned char fp[64];
	size_t fplen;
	char why[256];
};

int sipb_mtls_cred_new(const char *ca_file, struct sipb_mtls_cred **out, char *err, size_t errlen)
{
	struct sipb_mtls_cred *c = calloc(1, sizeof *c);
	int r;

	*out = NULL;
	if (!c || gnutls_certificate_allocate_credentials(&c->x) < 0) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return -EIO;
	}
	if (ca_file && *ca_file)
		r = gnutls_certificate_set_x509_trust_file(c->x, ca_file, GNUTLS_X509_FMT_PEM);
	else
		r = gnutls_certificate_set_x509_system_trust(c->x);
	if (r <= 0) {
		snprintf(err, errlen, "no CA certificate read from %s%s%s", ca_file && *ca_file ? ca_file :
		    "the system's trust store", r < 0 ? ": " : "", r < 0 ? gnutls_strerror(r) : "");
		sipb_mtls_cred_free(c);
		return -EIO;
	}
	*out = c;
	return 0;
}

void sipb_mtls_cred_free(struct sipb_mtls_cred *c)
{
	if (!c)
		return;
	gnutls_certificate_free_credentials(c->x);
	free(c);
}

/* "sha-256 AB:CD:..." (RFC 4572 §5: hash-func SP fingerprint, upper-case
 * hex pairs separated by colons; compared case-insensitively). 0 or -1. */
static int fingerprint_parse(struct sipb_mtls *t, const char *v)
{
	static const struct { const char *name; gnutls_digest_algorithm_t dig; size_t len; } h[] = {
		{ "sha-1", GNUTLS_DIG_SHA1, 20 }, { "sha-224", GNUTLS_DIG_SHA224, 28 },
		{ "sha-256", GNUTLS_DIG_SHA256, 32 }, { "sha-384", GNUTLS_DIG_SHA384, 48 },
		{ "sha-512", GNUTLS_DIG_SHA512, 64 },
	};
	size_t nl = strcspn(v, " \t");
	size_t i;
	for (i = 0; i < sizeof h / sizeof h[0]; i++)
		if (strlen(h[i].name) == nl && !strncasecmp(v, h[i].name, nl))
			break;
	if (i == sizeof h / sizeof h[0])
		return -1;
	const char *p = v + nl;
	while (*p == ' ' || *p == '\t')
		p++;
	t->fplen = 0;
	while (*p && t->fplen < sizeof t->fp) {
		unsigned b;
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
		    sscanf(p, "%2x", &b) != 1)
			return -1;
		t->fp[t->fplen++] = (unsigned char)b;
		p += 2;
		if (*p == ':')
			p++;
		else
			break;
	}
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p || t->fplen != h[i].len)
		return -1;
	t->dig = h[i].dig;
	return 0;
}

static int is_address(const char *host)
{
	unsigned char b[16];
	return inet_pton(AF_INET, host, b) == 1 || inet_pton(AF_INET6, host, b) == 1;
}

struct sipb_mtls *sipb_mtls_new(struct sipb_mtls_cred *cred, int fd, const char *host,
    const char *fingerprint, const char **why)
{
	struct sipb_mtls *t = calloc(1, sizeof *t);

	*why = "out of memory";
	if (!t)
		return NULL;
	t->fd = fd;
	t->dig = GNUTLS_DIG_UNKNOWN;
	if (fingerprint && *fingerprint && fingerprint_parse(t, fingerprint) < 0) {
		*why = "MSRP TLS: unusable a=fingerprint in the SDP answer";
		free(t);
		return NULL;
	}
	if (gnutls_init(&t->s, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0) {
		free(t);
		return NULL;
	}
	if (gnutls_set_default_priority(t->s) < 0 ||
	    gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE, cred->x) < 0 ||
	    (!is_address(host) && gnutls_server_name_set(t->s, GNUTLS_NAME_DNS, host, strlen(host)) < 0)) {
		sipb_mtls_free(t);
		return NULL;
	}
	/* Without a fingerprint the chain and the name are checked during the
	 * handshake, which fails when they do not hold. */
	if (t->dig == GNUTLS_DIG_UNKNOWN)
		gnutls_session_set_verify_cert(t->s, host, 0);
	gnutls_transport_set_int(t->s, fd);
	gnutls_handshake_set_timeout(t->s, 0);
	return t;
}

void sipb_mtls_free(struct sipb_mtls *t)
{
	if (!t)
		return;
	if (t->s)
		gnutls_deinit(t->s);
	free(t);
}

/* After the handshake: the certificate's hash against the fingerprint. */
static int fingerprint_check(struct sipb_mtls *t, const char **why)
{
	unsigned n = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(t->s, &n);
	unsigned char h[64];
	size_t hl = sizeof h;

	if (!certs || !n) {
		*why = "MSRP TLS: the receiver presented no certificate";
		return -1;
	}
	if (gnutls_fingerprint(t->dig, &certs[0], h, &hl) < 0 || hl != t->fplen ||
	    memcmp(h, t->fp, hl)) {
		*why = "MSRP TLS: the receiver's certificate does not match the SDP a=fingerprint";
		return -1;
	}
	return 0;
}

int sipb_mtls_handshake(struct sipb_mtls *t, int *want_out, const char **why)
{
	int r = gnutls_handshake(t->s);

	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
		*want_out = gnutls_record_get_direction(t->s) == 1;
		return 0;
	}
	if (r < 0) {
		if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
			gnutls_datum_t out = { 0 };
			unsigned st = gnutls_session_get_verify_cert_status(t->s);
			if (gnutls_certificate_verification_status_print(st, GNUTLS_CRT_X509, &out, 0) == 0) {
				snprintf(t->why, sizeof t->why, "MSRP TLS: the receiver's certificate is not "
				    "verified (%s)", (const char *)out.data);
				gnutls_free(out.data);
			} else {
				snprintf(t->why, sizeof t->why, "MSRP TLS: the receiver's certificate is not verified");
			}
		} else {
			snprintf(t->why, sizeof t->why, "MSRP TLS handshake failed: %s", gnutls_strerror(r));
		}
		*why = t->why;
		return -1;
	}
	if (t->dig != GNUTLS_DIG_UNKNOWN && fingerprint_check(t, why) < 0)
		return -1;
	return 1;
}

ssize_t sipb_mtls_send(struct sipb_mtls *t, const void *buf, size_t len)
{
	ssize_t r = gnutls_record_send(t->s, buf, len);
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
		return -EAGAIN;
	return r < 0 ? -EIO : r;
}

ssize_t sipb_mtls_recv(struct sipb_mtls *t, void *buf, size_t len)
{
	ssize_t r = gnutls_record_recv(t->s, buf, len);
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
		return -EAGAIN;
	if (r == GNUTLS_E_PREMATURE_TERMINATION)
		return 0;
	return r < 0 ? -EIO : r;
}
