/*
 * ppg_config_sip.c - the SIP transports of a configuration: [sip] listen
 * split into its UDP/TCP URI and its TLS URI, and, when TLS is used, the
 * PEM files of [sip] tls_certificate, tls_key and tls_ca_file checked when
 * the file is read (ppgd -t says what is wrong before a start would).
 * README "SIP over TLS"; OMA-TS-SIP_Push §12 (security is the SIP/IP
 * core's: ppgd's part is a secured hop to it).
 */
#include "ppg/ppg_config_int.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest PEM file read (a certificate chain or a CA bundle). */
#define PEM_MAX (1u << 20)

/* Does the URI's parameter list hold transport=tls? */
static int has_transport_tls(const char *uri)
{
	for (const char *p = strchr(uri, ';'); p; p = strchr(p + 1, ';')) {
		if (!strncasecmp(p + 1, "transport=tls", 13) && (p[14] == '\0' || p[14] == ';' || p[14] == '?'))
			return 1;
	}
	return 0;
}

int ppg_config_uri_is_tls(const char *uri)
{
	return uri && (!strncasecmp(uri, "sips:", 5) || has_transport_tls(uri));
}

/*
 * The TLS listen URI as sofia-sip binds it: sofia-sip binds TLS for a
 * sips: URI only (a sip: URI means UDP and TCP, whatever its transport
 * parameter), so "sip:H:P;transport=tls" becomes "sips:H:P". malloc'ed.
 */
static char *tls_bind_uri(const char *uri)
{
	if (!strncasecmp(uri, "sips:", 5))
		return strdup(uri);
	size_t n = strlen(uri);
	char *out = malloc(n + 2), *o = out;
	if (!out)
		return NULL;
	*o++ = 's';
	*o++ = 'i';
	*o++ = 'p';
	*o++ = 's';
	for (const char *p = uri + 3; *p;) {
		if (*p == ';' && !strncasecmp(p + 1, "transport=tls", 13) && (p[14] == '\0' || p[14] == ';' ||
		    p[14] == '?')) {
			p += 14;
			continue;
		}
		*o++ = *p++;
	}
	*o = '\0';
	return out;
}

struct split {
	struct ppg_config_parse *p;
	char *udp, *tls;
};

static int add_listen_uri(const char *item, void *arg)
{
	struct split *s = arg;
	if (strncasecmp(item, "sip:", 4) && strncasecmp(item, "sips:", 5))
		return ppg_config_err(s->p, "[sip] listen: \"%s\" is not a sip: or sips: URI", item), -EINVAL;
	char **slot = ppg_config_uri_is_tls(item) ? &s->tls : &s->udp;
	if (*slot)
		return ppg_config_err(s->p, "[sip] listen: more than one %s URI (\"%s\")",
		    slot == &s->tls ? "TLS" : "UDP/TCP", item), -EINVAL;
	*slot = slot == &s->tls ? tls_bind_uri(item) : strdup(item);
	return *slot ? 0 : (ppg_config_err(s->p, "out of memory"), -ENOMEM);
}

/* Is there a PEM block whose label is want ("CERTIFICATE"), or, with
 * suffix, ends in " want" or is want ("RSA PRIVATE KEY", "PRIVATE KEY")? */
static int pem_has_block(const char *buf, const char *want, int suffix)
{
	size_t wl = strlen(want);
	for (const char *b = strstr(buf, "-----BEGIN "); b; b = strstr(b + 1, "-----BEGIN ")) {
		const char *label = b + 11, *e = strstr(label, "-----");
		size_t ll = e ? (size_t)(e - label) : 0;
		if (!e || memchr(label, '\n', ll) || ll < wl)
			continue;
		if (ll == wl ? !memcmp(label, want, wl) :
		    suffix && label[ll - wl - 1] == ' ' && !memcmp(e - wl, want, wl))
			return 1;
	}
	return 0;
}

/*
 * 0 when path names a readable PEM file holding a certificate (want_key 0)
 * or an unencrypted private key of any algorithm (want_key 1); else an
 * error recorded for key. The rest (does the key match the certificate, is
 * the chain whole) shows at the first handshake, which logs it.
 */
static int pem_check(struct ppg_config_parse *p, const char *key, const char *path, int want_key)
{
	/* O_NONBLOCK: a FIFO or a device named here must not hang the check */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return ppg_config_err(p, "[sip] %s: cannot open %s: %s", key, path, strerror(errno)), -EINVAL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ppg_config_err(p, "[sip] %s: %s is not a regular file", key, path), -EINVAL;
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return ppg_config_err(p, "out of memory"), -ENOMEM;
	}
	char *buf = malloc(PEM_MAX + 1);
	size_t n = buf ? fread(buf, 1, PEM_MAX, f) : 0;
	int rd = ferror(f);
	fclose(f);
	if (!buf)
		return ppg_config_err(p, "out of memory"), -ENOMEM;
	buf[n] = '\0';
	int r = 0;
	if (rd)
		r = (ppg_config_err(p, "[sip] %s: cannot read %s", key, path), -EINVAL);
	else if (want_key && (pem_has_block(buf, "ENCRYPTED PRIVATE KEY", 0) ||
	    strstr(buf, "Proc-Type: 4,ENCRYPTED")))
		r = (ppg_config_err(p, "[sip] %s: %s holds an encrypted private key; ppgd reads unencrypted "
		    "keys only (openssl pkey -in KEY -out PLAIN, PLAIN readable by ppgd alone)", key, path), -EINVAL);
	else if (want_key ? !pem_has_block(buf, "PRIVATE KEY", 1) : !pem_has_block(buf, "CERTIFICATE", 0))
		r = (ppg_config_err(p, "[sip] %s: %s holds no PEM %s", key, path,
		    want_key ? "private key" : "certificate"), -EINVAL);
	free(buf);
	return r;
}

int ppg_config_sip_transports(struct ppg_config_parse *p)
{
	struct ppg_config *c = p->c;
	struct split s = { .p = p };

	p->err_section = "sip";
	if (!c->sip_listen || !*c->sip_listen)
		return ppg_config_err(p, "[sip] listen is empty"), -EINVAL;
	int r = ppg_config_for_each(c->sip_listen, add_listen_uri, &s);
	free(c->sip_listen_udp);
	free(c->sip_listen_tls);
	c->sip_listen_udp = s.udp;
	c->sip_listen_tls = s.tls;
	if (r < 0)
		return ppg_config_err(p, "[sip] listen: \"%s\" is not a comma-separated list of sip:/sips: URIs",
		    c->sip_listen), -EINVAL;
	if (!c->sip_enabled) {
		p->err_section = NULL;
		return 0;
	}
	if (ppg_config_uri_is_tls(c->sip_outbound_proxy) && !c->sip_listen_tls)
		return ppg_config_err(p, "[sip] outbound_proxy %s is reached over TLS: [sip] listen needs a TLS URI "
		    "too (e.g. sips:127.0.0.1:5061), whose transport carries the requests", c->sip_outbound_proxy),
		    -EINVAL;
	if (c->sip_listen_tls) {
		if (!c->sip_tls_certificate)
			return ppg_config_err(p, "[sip] listen has a TLS URI but tls_certificate is not set"), -EINVAL;
		if (!c->sip_tls_ca_file)
			return ppg_config_err(p, "[sip] listen has a TLS URI but tls_ca_file is not set (the CAs "
			    "that signed the core's certificate)"), -EINVAL;
		if (pem_check(p, "tls_certificate", c->sip_tls_certificate, 0) < 0 ||
		    pem_check(p, c->sip_tls_key ? "tls_key" : "tls_certificate (no tls_key)",
		        c->sip_tls_key ? c->sip_tls_key : c->sip_tls_certificate, 1) < 0 ||
		    pem_check(p, "tls_ca_file", c->sip_tls_ca_file, 0) < 0)
			return -EINVAL;
	}
	/* Session mode's MSRP over TLS and relay (README "Session mode"). */
	if (c->sip_msrp_ca_file && *c->sip_msrp_ca_file && pem_check(p, "msrp_ca_file", c->sip_msrp_ca_file, 0) < 0)
		return -EINVAL;
	if (c->sip_msrp_relay && *c->sip_msrp_relay) {
		const char *u = c->sip_msrp_relay;
		if ((strncasecmp(u, "msrp://", 7) && strncasecmp(u, "msrps://", 8)) || !strstr(u, ";tcp") ||
		    strpbrk(u, " \t\r\n"))
			return ppg_config_err(p, "[sip] msrp_relay \"%s\" is not an MSRP URI "
			    "(msrps://HOST[:PORT];tcp)", u), -EINVAL;
		if (!c->sip_msrp_relay_user || !*c->sip_msrp_relay_user || !c->sip_msrp_relay_password ||
		    !*c->sip_msrp_relay_password)
			return ppg_config_err(p, "[sip] msrp_relay needs msrp_relay_user and msrp_relay_password "
			    "(ppgd's account at the relay)"), -EINVAL;
	}
	p->err_section = NULL;
	return 0;
}
