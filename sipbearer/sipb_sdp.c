/*
 * sipb_sdp.c - the SDP offer of session-mode push and the MSRP path taken
 * from the answer (OMA-TS-SIP_Push §9.3.2.1; RFC 4975 §8; RFC 4566;
 * RFC 5547 a=file-selector).
 *
 * The offer: one "m=message <port> TCP/MSRP *" (TCP/TLS/MSRP and an msrps
 * URI with TLS, RFC 4975 §8.1) with a=accept-types of the
 * content, a=path with this endpoint's MSRP URI, a=sendonly, and
 * a=setup:active (RFC 6135: this side opens the TCP connection, so the
 * port of the URI is not listened on); for file-like content also
 * a=file-selector with name, type and size (RFC 5547 §6).
 */
#include "sipbearer/sipb_sdp.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

static int ipv6(const char *host)
{
	return strchr(host, ':') != NULL;
}

int sipb_sdp_offer_path(char *out, size_t cap, const struct sipb_sdp_offer *o)
{
	int n = snprintf(out, cap, ipv6(o->host) ? "%s://[%s]:%u/%s;tcp" : "%s://%s:%u/%s;tcp",
	    o->tls ? "msrps" : "msrp", o->host, o->port, o->session_id);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

int sipb_sdp_offer_write(char *out, size_t cap, const struct sipb_sdp_offer *o)
{
	char path[1536], sel[512] = "";
	int n;

	if (!o->host || !o->session_id || !o->content_type || strpbrk(o->content_type, "\r\n \t") ||
	    strpbrk(o->host, "\r\n \t"))
		return -EINVAL;
	char own[512];
	if (o->relay_path && strpbrk(o->relay_path, "\r\n"))
		return -EINVAL;
	if (sipb_sdp_offer_path(own, sizeof own, o) < 0)
		return -ENOSPC;
	n = snprintf(path, sizeof path, "%s%s%s", o->relay_path ? o->relay_path : "", o->relay_path ? " " : "", own);
	if (n < 0 || (size_t)n >= sizeof path)
		return -ENOSPC;
	if (o->file_name) {
		if (strpbrk(o->file_name, "\"\r\n"))
			return -EINVAL;
		n = snprintf(sel, sizeof sel, "a=file-selector:name:\"%s\" type:%s size:%zu\r\n",
		    o->file_name, o->content_type, o->size);
		if (n < 0 || (size_t)n >= sizeof sel)
			return -ENOSPC;
	}
	n = snprintf(out, cap,
	    "v=0\r\n"
	    "o=ppgd %llu %llu IN %s %s\r\n"
	    "s=-\r\n"
	    "c=IN %s %s\r\n"
	    "t=0 0\r\n"
	    "m=message %u %s *\r\n"
	    "a=accept-types:%s\r\n"
	    "a=path:%s\r\n"
	    "a=sendonly\r\n"
	    "a=setup:active\r\n"
	    "%s",
	    o->sess_id, o->sess_id, ipv6(o->host) ? "IP6" : "IP4", o->host,
	    ipv6(o->host) ? "IP6" : "IP4", o->host, o->port, o->tls ? "TCP/TLS/MSRP" : "TCP/MSRP",
	    o->content_type, path, sel);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

int sipb_msrp_uri_parse(const char *uri, size_t len, char *host, size_t hostcap, unsigned *port,
    int *tls)
{
	const char *p = uri, *end = uri + len, *h, *he;
	unsigned long v = 2855;

	if (len > 7 && !strncasecmp(p, "msrp://", 7)) {
		*tls = 0;
		p += 7;
	} else if (len > 8 && !strncasecmp(p, "msrps://", 8)) {
		*tls = 1;
		p += 8;
	} else {
		return -EINVAL;
	}
	/* authority ends at '/' or ';' */
	const char *ae = p;
	while (ae < end && *ae != '/' && *ae != ';')
		ae++;
	if (ae == end)
		return -EINVAL;   /* ";transport" is required */
	for (const char *at = p; at < ae; at++)
		if (*at == '@')
			p = at + 1;
	if (p < ae && *p == '[') {
		h = p + 1;
		he = memchr(h, ']', (size_t)(ae - h));
		if (!he)
			return -EINVAL;
		p = he + 1;
	} else {
		h = p;
		he = p;
		while (he < ae && *he != ':')
			he++;
		p = he;
	}
	if (he == h || (size_t)(he - h) >= hostcap)
		return -EINVAL;
	for (const char *c = h; c < he; c++)
		if (*c <= ' ' || *c == '"' || *c == '\\' || (unsigned char)*c >= 0x7f)
			return -EINVAL;
	if (p < ae) {
		if (*p != ':' || p + 1 == ae)
			return -EINVAL;
		v = 0;
		for (p++; p < ae; p++) {
			if (*p < '0' || *p > '9' || v > 65535)
				return -EINVAL;
			v = v * 10 + (unsigned long)(*p - '0');
		}
		if (v == 0 || v > 65535)
			return -EINVAL;
	}
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	*port = (unsigned)v;
	/* the transport parameter: ";tcp" (RFC 4975 §6) */
	const char *semi = memchr(ae, ';', (size_t)(end - ae));
	if (!semi || (size_t)(end - semi) < 4 || strncasecmp(semi + 1, "tcp", 3) ||
	    (semi + 4 < end && semi[4] != ';'))
		return -EINVAL;
	return 0;
}

static int is_msrp_media(sdp_media_t const *m)
{
	return m->m_type == sdp_media_message && m->m_proto_name &&
	    (!strcasecmp(m->m_proto_name, "TCP/MSRP") || !strcasecmp(m->m_proto_name, "TCP/TLS/MSRP"));
}

/*
 * Each "m=" line must be RFC 4566 §5.14 syntax, checked before sdp_parse
 * sees it: media SP port["/"count] SP proto 1*(SP fmt), the fields made of
 * token characters (and "/" in proto). sofia-sip 1.12.11 asks for half a
 * gigabyte on some malformed media lines (found by fuzz/fuzz_sdp.c: a line
 * without formats, bytes above 0x7e in the format list). 0 or -EINVAL.
 */
static int tokenc(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c && strchr("!#$%&'*+-.^_`{|}~", c));
}

static int media_lines_ok(const char *sdp, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if ((i && sdp[i - 1] != '\n' && sdp[i - 1] != '\r') || sdp[i] != 'm' || sdp[i + 1] != '=')
			continue;
		size_t k = i + 2, field = 0;
		while (k < len && sdp[k] != '\r' && sdp[k] != '\n') {
			size_t st = k;
			int digits = 1;
			while (k < len && (tokenc((unsigned char)sdp[k]) ||
			    (sdp[k] == '/' && (field == 1 || field == 2) && k > st))) {
				if ((sdp[k] < '0' || sdp[k] > '9') && sdp[k] != '/')
					digits = 0;
				k++;
			}
			if (k == st || (field == 1 && !digits))
				return -EINVAL;
			field++;
			if (k < len && sdp[k] == ' ')
				k++;
			else if (k < len && sdp[k] != '\r' && sdp[k] != '\n')
				return -EINVAL;
		}
		if (field < 4)
			return -EINVAL;
	}
	return 0;
}

int sipb_sdp_answer_parse(const char *sdp, size_t len, struct sipb_sdp_answer *a)
{
	su_home_t *home;
	sdp_parser_t *parser;
	sdp_session_t *sess;
	sdp_media_t const *m;
	int rc = -ENOENT;

	memset(a, 0, sizeof *a);
	if (!sdp || !len || len > 65536 || memchr(sdp, '\0', len) || media_lines_ok(sdp, len) < 0)
		return -EINVAL;
	if (!(home = su_home_new(sizeof *home)))
		return -ENOMEM;
	parser = sdp_parse(home, sdp, (issize_t)len, sdp_f_anynet);
	sess = parser ? sdp_session(parser) : NULL;
	if (!sess) {
		rc = -EINVAL;
		goto out;
	}
	for (m = sess->sdp_media; m; m = m->m_next) {
		if (!is_msrp_media(m) || m->m_rejected || m->m_port == 0)
			continue;
		sdp_attribute_t const *path = sdp_attribute_find(m->m_attributes, "path");
		sdp_attribute_t const *ms = sdp_attribute_find(m->m_attributes, "max-size");
		if (!path || !path->a_value || strlen(path->a_value) >= sizeof a->path) {
			rc = -EINVAL;
			goto out;
		}
		/* the first URI of the path: the peer this side connects to */
		const char *v = path->a_value;
		while (*v == ' ' || *v == '\t')
			v++;
		size_t ul = strcspn(v, " \t");
		if (sipb_msrp_uri_parse(v, ul, a->host, sizeof a->host, &a->port, &a->tls) < 0) {
			rc = -EINVAL;
			goto out;
		}
		/* RFC 4975 §8.1: msrps URIs go with TCP/TLS/MSRP, msrp with TCP/MSRP */
		if (a->tls != !strcasecmp(m->m_proto_name, "TCP/TLS/MSRP")) {
			rc = -EINVAL;
			goto out;
		}
		sdp_attribute_t const *fp = sdp_attribute_find(m->m_attributes, "fingerprint");
		if (!fp)
			fp = sdp_attribute_find(sess->sdp_attributes, "fingerprint");
		if (fp && fp->a_value)
			snprintf(a->fingerprint, sizeof a->fingerprint, "%s", fp->a_value);
		snprintf(a->path, sizeof a->path, "%s", v);
		/* trailing blanks off */
		for (size_t l = strlen(a->path); l && (a->path[l - 1] == ' ' || a->path[l - 1] == '\t');)
			a->path[--l] = '\0';
		if (ms && ms->a_value)
			a->max_size = strtoull(ms->a_value, NULL, 10);
		rc = 0;
		goto out;
	}
out:
	if (parser)
		sdp_parser_free(parser);
	su_home_unref(home);
	return rc;
}
