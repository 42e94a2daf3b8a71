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
