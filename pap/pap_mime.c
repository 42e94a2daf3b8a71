/*
 * pap_mime.c - multipart framing of PAP push submissions.
 *
 * Implements RFC 2046 §5.1 (multipart media type: boundary delimiters,
 * preamble, transport padding, close delimiter, epilogue), RFC 2387
 * (multipart/related, as used by WAP-247 PAP §8.1) and the header syntax of
 * RFC 2045 §5.1 / RFC 5322 §2.2 (parameters, folded lines).
 *
 * Real Push Initiators bend the rules (captured PAP clients: Kannel test_ppg, blackberry-push): LF-only line ends,
 * a CRLF preamble, no line end after the close delimiter, unquoted and
 * reordered parameters, trailing white space on delimiter lines. All of that
 * is accepted here. A body without a close delimiter is refused: it is the
 * usual sign of a truncated request.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* strndup */
#endif
#include "pap/pap.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PAP_MIME_MAX_PARTS    16
#define PAP_MIME_MAX_HEADERS  64
#define PAP_MIME_BOUNDARY_MAX 70

static int pap_ws(int c)
{
	return c == ' ' || c == '\t';
}

/* RFC 2045 token character: printable US-ASCII except tspecials. */
static int pap_tchar(int c)
{
	return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?=", c);
}

/*
 * Copies the media type of a Content-Type value ("multipart/related") into
 * buf in lower case. Returns 0, -EINVAL when value is not "type/subtype"
 * made of token characters, or -ENOSPC when buf is too small.
 */
int pap_mime_type(const char *value, char *buf, size_t len)
{
	const char *p, *s, *slash = NULL;
	size_t n;

	if (!value || !buf)
		return -EINVAL;
	for (p = value; pap_ws(*p); p++)
		;
	for (s = p; *p && *p != ';' && !pap_ws(*p) && *p != '\r' && *p != '\n'; p++) {
		if (*p == '/' && !slash)
			slash = p;
		else if (!pap_tchar((unsigned char)*p))
			return -EINVAL;
	}
	n = (size_t)(p - s);
	if (!slash || slash == s || slash == p - 1)
		return -EINVAL;
	while (pap_ws(*p))
		p++;
	if (*p && *p != ';')
		return -EINVAL;
	if (n + 1 > len)
		return -ENOSPC;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
	buf[n] = '\0';
	return 0;
}

/*
 * Finds parameter name (case-insensitive) in a header value such as
 * 'multipart/related; type="application/xml"; boundary=abc' and copies its
 * value, quotes and quoted-pair backslashes removed, into buf.
 * Returns 0, -ENOENT when the parameter is absent, -ENOSPC when buf is too
 * small, -EINVAL on NULL arguments.
 */
int pap_mime_param(const char *value, const char *name, char *buf, size_t len)
{
	const char *p;
	size_t nlen;

	if (!value || !name || !buf || len == 0)
		return -EINVAL;
	nlen = strlen(name);
	/* skip the media type, which contains no quotes */
	p = strchr(value, ';');
	while (p && *p == ';') {
		const char *n;
		size_t o = 0;
		int match, full = 0;

		for (p++; pap_ws(*p); p++)
			;
		for (n = p; *p && *p != '=' && *p != ';' && !pap_ws(*p); p++)
			;
		match = (size_t)(p - n) == nlen && !strncasecmp(n, name, nlen);
		while (pap_ws(*p))
			p++;
		if (*p != '=')
			continue;        /* valueless parameter: ignore */
		for (p++; pap_ws(*p); p++)
			;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				if (o + 1 < len)
					buf[o++] = *p;
				else
					full = 1;
			}
			if (*p == '"')
				p++;
		} else {
			for (; *p && *p != ';' && !pap_ws(*p); p++) {
				if (o + 1 < len)
					buf[o++] = *p;
				else
					full = 1;
			}
		}
		if (match) {
			buf[o] = '\0';
			return full ? -ENOSPC : 0;
		}
		p = strchr(p, ';');
	}
	buf[0] = '\0';
	return -ENOENT;
}

/* Case-insensitive header lookup in a part; the first match, or NULL. */
const char *pap_mime_header(const struct pap_mime_part *p, const char *name)
{
	if (!p || !name)
		return NULL;
	for (size_t i = 0; i < p->nheaders; i++)
		if (!strcasecmp(p->headers[i].name, name))
			return p->headers[i].value;
	return NULL;
}

static void pap_part_clear(struct pap_mime_part *p)
{
	for (size_t i = 0; i < p->nheaders; i++) {
		free(p->headers[i].name);
		free(p->headers[i].value);
	}
	free(p->headers);
	p->headers = NULL;
	p->nheaders = 0;
}

/* Releases the parts and headers of m (not m itself). Accepts NULL. */
void pap_mime_free(struct pap_mime *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nparts; i++)
		pap_part_clear(&m->parts[i]);
	free(m->parts);
	m->parts = NULL;
	m->nparts = 0;
}

/* Appends s[0..n) to the malloc'ed string *dst (joined by a space). */
static int pap_append(char **dst, const char *s, size_t n)
{
	size_t old = *dst ? strlen(*dst) : 0;
	char *r = realloc(*dst, old + n + 2);

	if (!r)
		return -ENOMEM;
	if (old && n)
		r[old++] = ' ';
	memcpy(r + old, s, n);
	r[old + n] = '\0';
	*dst = r;
	return 0;
}

/*
 * Parses the header block h[0..n) (each line ended by LF or CRLF, the last
 * one possibly not) into part->headers. Continuation lines (starting with
 * SP or HT) are unfolded into the previous value.
 */
static int pap_headers(const char *h, size_t n, struct pap_mime_part *part, const char **reason)
{
	const char *end = h + n;
	struct pap_mime_header *cur = NULL;

	if (memchr(h, '\0', n)) {
		*reason = "MIME part header contains a NUL byte";
		return -EINVAL;
	}
	part->headers = calloc(PAP_MIME_MAX_HEADERS, sizeof *part->headers);
	if (!part->headers) {
		*reason = "out of memory";
		return -ENOMEM;
	}
	for (const char *l = h; l < end;) {
		const char *eol = memchr(l, '\n', (size_t)(end - l));
		const char *next = eol ? eol + 1 : end;
		const char *le = eol ? eol : end;

		if (le > l && le[-1] == '\r')
			le--;
		if (pap_ws(*l)) {
			if (!cur) {
				*reason = "MIME part starts with a continuation line";
				return -EINVAL;
			}
			while (l < le && pap_ws(*l))
				l++;
			while (le > l && pap_ws(le[-1]))
				le--;
			if (pap_append(&cur->value, l, (size_t)(le - l)) < 0) {
				*reason = "out of memory";
				return -ENOMEM;
			}
		} else {
			const char *colon = memchr(l, ':', (size_t)(le - l));
			const char *ne, *v;

			if (!colon) {
				*reason = "MIME header line has no ':'";
				return -EINVAL;
			}
			for (ne = colon; ne > l && pap_ws(ne[-1]); ne--)
				;
			if (ne == l) {
				*reason = "MIME header has an empty name";
				return -EINVAL;
			}
			for (const char *c = l; c < ne; c++) {
				if ((unsigned char)*c <= 32 || (unsigned char)*c >= 127) {
					*reason = "MIME header name contains an invalid character";
					return -EINVAL;
				}
			}
			if (part->nheaders == PAP_MIME_MAX_HEADERS) {
				*reason = "MIME part has too many headers";
				return -EINVAL;
			}
			cur = &part->headers[part->nheaders++];
			cur->name = strndup(l, (size_t)(ne - l));
			for (v = colon + 1; v < le && pap_ws(*v); v++)
				;
			while (le > v && pap_ws(le[-1]))
				le--;
			cur->value = strndup(v, (size_t)(le - v));
			if (!cur->name || !cur->value) {
				*reason = "out of memory";
				return -ENOMEM;
			}
		}
		l = next;
	}
	return 0;
}

/* Splits the content of one part (between delimiters) into headers and body. */
static int pap_part(const unsigned char *b, size_t n, struct pap_mime_part *part,
    const char **reason)
{
	const char *s = (const char *)b;
	size_t hlen = n, boff = n;

	if (n >= 1 && s[0] == '\n') {
		hlen = 0; boff = 1;
	} else if (n >= 2 && s[0] == '\r' && s[1] == '\n') {
		hlen = 0; boff = 2;
	} else {
		for (size_t i = 0; i + 1 < n; i++) {
			if (s[i] != '\n')
				continue;
			if (s[i + 1] == '\n') {
				hlen = i + 1; boff = i + 2;
				break;
			}
			if (i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n') {
				hlen = i + 1; boff = i + 3;
				break;
			}
		}
	}
	part->raw_headers = s;
	part->raw_headers_len = hlen;
	part->body = b + boff;
	part->body_len = n - boff;
	return pap_headers(s, hlen, part, reason);
}

/*
 * Whether a delimiter line for boundary bd starts at b[pos] (a line start).
 * Sets *close for the close delimiter and *next to the first byte after the
 * delimiter line. "--bd" followed by anything but padding and a line end is
 * not a delimiter (the boundary is only a prefix of that line).
 */
static int pap_delim(const unsigned char *b, size_t len, size_t pos, const char *bd, size_t bl,
    int *close, size_t *next)
{
	size_t q = pos + 2 + bl;

	if (q > len || b[pos] != '-' || b[pos + 1] != '-' || memcmp(b + pos + 2, bd, bl))
		return 0;
	*close = 0;
	if (q + 2 <= len && b[q] == '-' && b[q + 1] == '-') {
		*close = 1;
		*next = len;     /* the epilogue is ignored */
		return 1;
	}
	while (q < len && pap_ws(b[q]))
		q++;
	if (q < len && b[q] == '\r')
		q++;
	if (q < len && b[q] == '\n')
		q++;
	else if (q < len)
		return 0;
	*next = q;
	return 1;
}

/* Finds the next delimiter line at or after the line start pos. */
static int pap_find_delim(const unsigned char *b, size_t len, size_t pos, const char *bd,
    size_t bl, size_t *at, int *close, size_t *next)
{
	while (pos < len) {
		if (pap_delim(b, len, pos, bd, bl, close, next)) {
			*at = pos;
			return 1;
		}
		const unsigned char *nl = memchr(b + pos, '\n', len - pos);
		if (!nl)
			return 0;
		pos = (size_t)(nl - b) + 1;
	}
	return 0;
}

/*
 * Splits a multipart body given the HTTP Content-Type value (any
 * multipart/ subtype; the boundary parameter is required, 1..70 characters).
 * Each part's body excludes the line end that precedes the next delimiter.
 * At most 16 parts. On success *out holds the parts, which point into body;
 * release with pap_mime_free. Returns 0, -EINVAL (with *reason set) for
 * malformed input, or -ENOMEM; *out is empty on failure.
 */
int pap_mime_decode(const char *content_type, const unsigned char *body, size_t len,
    struct pap_mime *out, const char **reason)
{
	const char *dummy;
	char type[128], bd[PAP_MIME_BOUNDARY_MAX + 2];
	size_t bl, at, next, pos;
	int close, rc;

	if (!reason)
		reason = &dummy;
	*reason = NULL;
	if (!out) {
		*reason = "no output";
		return -EINVAL;
	}
	memset(out, 0, sizeof *out);
	if (!content_type || (!body && len)) {
		*reason = "no Content-Type or body";
		return -EINVAL;
	}
	if (pap_mime_type(content_type, type, sizeof type) < 0 || strncmp(type, "multipart/", 10)) {
		*reason = "Content-Type is not multipart";
		return -EINVAL;
	}
	rc = pap_mime_param(content_type, "boundary", bd, sizeof bd);
	if (rc == -ENOENT) {
		*reason = "multipart Content-Type has no boundary parameter";
		return -EINVAL;
	}
	bl = strlen(bd);
	if (rc == -ENOSPC || bl > PAP_MIME_BOUNDARY_MAX) {
		*reason = "multipart boundary is longer than 70 characters";
		return -EINVAL;
	}
	if (bl == 0) {
		*reason = "multipart boundary is empty";
		return -EINVAL;
	}
	for (size_t i = 0; i < bl; i++) {
		if ((unsigned char)bd[i] < 32 || (unsigned char)bd[i] >= 127) {
			*reason = "multipart boundary contains an invalid character";
			return -EINVAL;
		}
	}
	if (!pap_find_delim(body, len, 0, bd, bl, &at, &close, &next) || close) {
		*reason = "multipart body has no delimiter line";
		return -EINVAL;
	}
	out->parts = calloc(PAP_MIME_MAX_PARTS, sizeof *out->parts);
	if (!out->parts) {
		*reason = "out of memory";
		return -ENOMEM;
	}
	for (;;) {
		size_t start = next, end;

		pos = start;
		if (!pap_find_delim(body, len, pos, bd, bl, &at, &close, &next)) {
			*reason = "multipart body has no closing delimiter";
			rc = -EINVAL;
			goto fail;
		}
		if (out->nparts == PAP_MIME_MAX_PARTS) {
			*reason = "multipart body has more than 16 parts";
			rc = -EINVAL;
			goto fail;
		}
		end = at;
		if (end > start && body[end - 1] == '\n')
			end--;
		if (end > start && body[end - 1] == '\r')
			end--;
		rc = pap_part(body + start, end - start, &out->parts[out->nparts++], reason);
		if (rc < 0)
			goto fail;
		if (close)
			break;
	}
	return 0;
fail:
	pap_mime_free(out);
	return rc;
}
