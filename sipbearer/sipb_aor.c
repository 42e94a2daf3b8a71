/*
 * sipb_aor.c - the key under which a SIP/IP core's registrations and a
 * push's target meet: an address-of-record normalized as RFC 3261 §10.3
 * step 5 compares them (scheme and host case-insensitive, no URI parameters
 * or headers), and tel: URIs (RFC 3966) as global numbers without visual
 * separators.
 */
#include "sipbearer/sipb.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

int sipb_aor_normalize(const char *uri, char *out, size_t len)
{
	size_t n = 0;
	const char *p = uri;

#define PUT(ch) do { if (n + 1 >= len) return -EINVAL; out[n++] = (char)(ch); } while (0)
	if (!strncasecmp(p, "tel:", 4)) {
		/* RFC 3966: global number; visual separators go, parameters go. */
		for (const char *s = "tel:"; *s; s++)
			PUT(*s);
		p += 4;
		if (*p != '+')
			return -EINVAL;
		PUT('+');
		p++;
		int digits = 0;
		for (; *p && *p != ';'; p++) {
			if (isdigit((unsigned char)*p)) {
				PUT(*p);
				digits++;
			} else if (!strchr("-.()", *p)) {
				return -EINVAL;
			}
		}
		if (!digits)
			return -EINVAL;
		out[n] = '\0';
		return 0;
	}
	size_t slen;
	if (!strncasecmp(p, "sip:", 4))
		slen = 4;
	else if (!strncasecmp(p, "sips:", 5))
		slen = 5;
	else
		return -EINVAL;
	for (size_t i = 0; i < slen; i++)
		PUT(tolower((unsigned char)p[i]));
	p += slen;
	const char *at = NULL;
	for (const char *q = p; *q && *q != ';' && *q != '?'; q++)
		if (*q == '@')
			at = q;
	if (at) {   /* user part as given */
		for (; p <= at; p++)
			PUT(*p);
	}
	const char *host = p;
	for (; *p && *p != ';' && *p != '?'; p++) {
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"')
			return -EINVAL;
		PUT(tolower((unsigned char)*p));
	}
	if (p == host)
		return -EINVAL;
	out[n] = '\0';
	return 0;
#undef PUT
}

/*
 * A GRUU (RFC 5627 §3.1: a sip:/sips: URI with a "gr" parameter; a
 * pub-gruu carries gr=<instance id>, a temp-gruu a bare gr) as a key:
 * the AoR key of sipb_aor_normalize, then ";gr" and, when it has one,
 * "=" and the value in lower case (URI parameters compare case-insensitively,
 * RFC 3261 §19.1.4). Other parameters and headers go.
 */
int sipb_gruu_normalize(const char *uri, char *out, size_t len)
{
	const char *p, *gr = NULL, *grend = NULL;
	size_t n;

	if (strncasecmp(uri, "sip:", 4) && strncasecmp(uri, "sips:", 5))
		return -EINVAL;
	p = strchr(uri, ';');
	while (p && *p == ';') {
		const char *name = p + 1, *e = name;
		while (*e && *e != ';' && *e != '?' && *e != '=')
			e++;
		const char *vend = e;
		if (*vend == '=')
			while (*vend && *vend != ';' && *vend != '?')
				vend++;
		if (e - name == 2 && !strncasecmp(name, "gr", 2)) {
			gr = e;
			grend = vend;
		}
		p = vend;
	}
	if (!gr)
		return -ENOENT;
	int r = sipb_aor_normalize(uri, out, len);
	if (r < 0)
		return r;
	n = strlen(out);
	if (n + 3 >= len)
		return -EINVAL;
	memcpy(out + n, ";gr", 3);
	n += 3;
	if (gr < grend && *gr == '=') {
		if (grend - gr < 2)
			return -EINVAL;   /* "gr=" with no value */
		for (const char *q = gr; q < grend; q++) {
			if (n + 1 >= len || (unsigned char)*q <= ' ' || *q == '<' || *q == '>' || *q == '"')
				return -EINVAL;
			out[n++] = (char)tolower((unsigned char)*q);
		}
	}
	out[n] = '\0';
	return 0;
}

int sipb_gruu_set_has(const char *set, const char *key)
{
	char uri[600], k[600];
	for (const char *p = set; p && *p;) {
		size_t n = strcspn(p, " ");
		const char *u = p + (*p == '<');   /* a name-addr's brackets, if any */
		size_t un = (size_t)(p + n - u) - (n && p[n - 1] == '>');
		if (un && un < sizeof uri) {
			memcpy(uri, u, un);
			uri[un] = '\0';
			if (sipb_gruu_normalize(uri, k, sizeof k) == 0 && !strcmp(k, key))
				return 1;
		}
		p += n + (p[n] == ' ');
	}
	return 0;
}
