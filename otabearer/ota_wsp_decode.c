/*
 * ota_wsp_decode.c - WSP connectionless Push PDU: decoding.
 *
 * Implements the decoding side of WAP-230-WSP-20010705-a §8.2.4.1 (Push
 * PDU) and §8.4 (headers): §8.4.1.2 field values (Short-integer, Value-length
 * forms, Text-string) used to walk and skip any header, §8.4.2.6 header code
 * page shifts, §8.4.2.24 Content-Type with Charset/Type and untyped
 * parameters, and the push headers Content-Length, X-Wap-Application-Id,
 * X-Wap-Initiator-URI, Push-Flag and Encoding-Version (Table 39). Every read
 * is bounds-checked; headers outside the push set (Kannel's leaked PI
 * headers) are skipped and counted.
 */
#include "otabearer/ota.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 2616 token characters. */
static int wsp_tchar(int c)
{
	return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?={}", c);
}

/* A growing string arena; offsets stay valid across realloc. */
struct wsp_arena {
	char *s;
	size_t len, cap;
};

static long wsp_arena_add(struct wsp_arena *a, const char *s, size_t n)
{
	long off = (long)a->len;

	if (a->len + n + 1 > a->cap) {
		size_t cap = (a->cap ? a->cap * 2 : 128) + n + 1;
		char *ns = realloc(a->s, cap);
		if (!ns)
			return -1;
		a->s = ns;
		a->cap = cap;
	}
	memcpy(a->s + a->len, s, n);
	a->s[a->len + n] = '\0';
	a->len += n + 1;
	return off;
}

/* Appends to the last string instead of starting a new one. */
static int wsp_arena_cat(struct wsp_arena *a, const char *s)
{
	size_t n = strlen(s);

	if (!a->len)
		return wsp_arena_add(a, s, n) < 0 ? -1 : 0;
	a->len--;    /* drop the NUL */
	return wsp_arena_add(a, s, n) < 0 ? -1 : 0;
}

/* Text-string at p[0..len): *s and *n exclude the Quote and the NUL; *used
 * includes both. */
static int wsp_get_text(const uint8_t *p, size_t len, const char **s, size_t *n, size_t *used)
{
	const uint8_t *nul = memchr(p, 0, len);
	size_t skip = len && p[0] == OTA_WSP_QUOTE ? 1 : 0;

	if (!nul)
		return -EINVAL;
	*s = (const char *)p + skip;
	*n = (size_t)(nul - p) - skip;
	*used = (size_t)(nul - p) + 1;
	return 0;
}

/* Integer-value at p[0..len) fitting 32 bits. */
static int wsp_get_integer(const uint8_t *p, size_t len, uint32_t *v, size_t *used)
{
	if (!len)
		return -EINVAL;
	if (p[0] & 0x80) {
		*v = p[0] & 0x7f;
		*used = 1;
		return 0;
	}
	if (p[0] == 0 || p[0] > 4 || (size_t)p[0] + 1 > len)
		return -EINVAL;    /* Long-integer: 1..30 octets; more than 4 overflow */
	*v = 0;
	for (size_t i = 1; i <= p[0]; i++)
		*v = (*v << 8) | p[i];
	*used = (size_t)p[0] + 1;
	return 0;
}

/* Span of one field value (§8.4.1.2): short, Value-length form or text. */
static int wsp_value_span(const uint8_t *p, size_t len, size_t *used)
{
	uint32_t n;
	size_t u;

	if (!len)
		return -EINVAL;
	if (p[0] >= 0x80) {
		*used = 1;
	} else if (p[0] <= 30) {
		if ((size_t)p[0] + 1 > len)
			return -EINVAL;
		*used = (size_t)p[0] + 1;
	} else if (p[0] == 31) {
		if (ota_uintvar_get(p + 1, len - 1, &n, &u) < 0 || n > len - 1 - u)
			return -EINVAL;
		*used = 1 + u + n;
	} else {
		const uint8_t *nul = memchr(p, 0, len);
		if (!nul)
			return -EINVAL;
		*used = (size_t)(nul - p) + 1;
	}
	return 0;
}

static int wsp_cat_quoted(struct wsp_arena *a, const char *v, size_t n)
{
	char tmp[4] = { 0 };
	int tok = n > 0;

	for (size_t i = 0; i < n; i++)
		if (!wsp_tchar((unsigned char)v[i]) && v[i] != '/')
			tok = 0;
	if (wsp_arena_cat(a, tok ? "" : "\"") < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		tmp[0] = v[i] == '"' || v[i] == '\\' ? '\\' : v[i];
		tmp[1] = tmp[0] == '\\' ? v[i] : '\0';
		if (wsp_arena_cat(a, tmp) < 0)
			return -1;
	}
	return wsp_arena_cat(a, tok ? "" : "\"");
}

/* Media-type parameters in p[0..len) appended as "; name=value". */
static int wsp_get_params(const uint8_t *p, size_t len, struct wsp_arena *a, const char **reason)
{
	char num[16];
	size_t i = 0, u, n;
	const char *s;
	uint32_t v;

	while (i < len) {
		uint32_t tok;
		if (p[i] >= 0x20 && p[i] < 0x80) {    /* Untyped-parameter */
			if (wsp_get_text(p + i, len - i, &s, &n, &u) < 0)
				goto trunc;
			if (wsp_arena_cat(a, "; ") < 0 || wsp_cat_quoted(a, s, n) < 0 ||
			    wsp_arena_cat(a, "=") < 0)
				goto nomem;
			i += u;
			if (i >= len)
				goto trunc;
			if (p[i] == 0) {    /* No-value */
				i++;
				continue;
			}
			if (p[i] >= 0x80 || p[i] <= 30) {
				if (wsp_get_integer(p + i, len - i, &v, &u) < 0)
					goto trunc;
				snprintf(num, sizeof num, "%u", v);
				if (wsp_arena_cat(a, num) < 0)
					goto nomem;
			} else {
				if (wsp_get_text(p + i, len - i, &s, &n, &u) < 0)
					goto trunc;
				if (p[i] == '"') {
					s++;
					n--;
				}
				if (wsp_cat_quoted(a, s, n) < 0)
					goto nomem;
			}
			i += u;
			continue;
		}
		if (wsp_get_integer(p + i, len - i, &tok, &u) < 0)
			goto trunc;
		i += u;
		if (tok == OTA_WSP_PARAM_CHARSET) {
			if (wsp_get_integer(p + i, len - i, &v, &u) < 0)
				goto trunc;
			const char *name = ota_wsp_charset_name(v);
			snprintf(num, sizeof num, "%u", v);
			if (wsp_arena_cat(a, "; charset=") < 0 ||
			    wsp_arena_cat(a, name ? name : v ? num : "*") < 0)
				goto nomem;
			i += u;
		} else if (tok == OTA_WSP_PARAM_TYPE) {
			if (wsp_arena_cat(a, "; type=") < 0)
				goto nomem;
			if (i < len && p[i] >= 0x80) {
				const char *t = ota_wsp_content_type_name(p[i] & 0x7f);
				if (!t) {
					*reason = "unknown well-known content type in type parameter";
					return -ENOTSUP;
				}
				if (wsp_cat_quoted(a, t, strlen(t)) < 0)
					goto nomem;
				i++;
			} else {
				if (i >= len || p[i] < 0x20 ||
				    wsp_get_text(p + i, len - i, &s, &n, &u) < 0)
					goto trunc;
				if (wsp_cat_quoted(a, s, n) < 0)
					goto nomem;
				i += u;
			}
		} else {
			*reason = "content type parameter other than charset and type";
			return -ENOTSUP;
		}
	}
	return 0;
trunc:
	*reason = "truncated content type parameter";
	return -EINVAL;
nomem:
	*reason = "out of memory";
	return -ENOMEM;
}

/* Content-type-value at p[0..len) into the arena as text. */
static int wsp_get_content_type(const uint8_t *p, size_t len, struct wsp_arena *a,
    int *code, size_t *used, const char **reason)
{
	const char *s, *name;
	size_t n, u, vl;
	uint32_t v;

	*code = -1;
	if (!len)
		goto trunc;
	if (p[0] >= 0x80 || p[0] <= 31) {
		const uint8_t *m = p;
		size_t mlen = len;
		if (p[0] < 0x80) {    /* Content-general-form */
			if (wsp_value_span(p, len, used) < 0)
				goto trunc;
			vl = p[0] == 31 ? 0 : 1;
			if (p[0] == 31) {
				uint32_t x;
				ota_uintvar_get(p + 1, len - 1, &x, &vl);
				vl++;
			}
			m = p + vl;
			mlen = *used - vl;
			if (!mlen)
				goto trunc;
		}
		if (m[0] == 31)
			goto trunc;
		if (m[0] >= 0x80 || m[0] <= 30) {
			if (wsp_get_integer(m, mlen, &v, &u) < 0)
				goto trunc;
			if (!(name = ota_wsp_content_type_name(v))) {
				*reason = "unknown well-known content type";
				return -ENOTSUP;
			}
			*code = (int)v;
			if (wsp_arena_add(a, name, strlen(name)) < 0)
				goto nomem;
		} else {
			if (wsp_get_text(m, mlen, &s, &n, &u) < 0)
				goto trunc;
			if (wsp_arena_add(a, s, n) < 0)
				goto nomem;
		}
		if (p[0] >= 0x80) {
			*used = 1;
			return 0;
		}
		return wsp_get_params(m + u, mlen - u, a, reason);
	}
	if (wsp_get_text(p, len, &s, &n, used) < 0)    /* Extension-media */
		goto trunc;
	if (wsp_arena_add(a, s, n) < 0)
		goto nomem;
	return 0;
trunc:
	*reason = "truncated content type";
	return -EINVAL;
nomem:
	*reason = "out of memory";
	return -ENOMEM;
}

/* One push header value (field on code page 1). */
static int wsp_get_push_header(uint8_t field, const uint8_t *v, size_t vlen, struct ota_push *p,
    struct wsp_arena *a, long *app_off, long *uri_off, unsigned *seen, const char **reason)
{
	const char *s;
	size_t n, u;
	uint32_t x;
	unsigned bit = field == OTA_WSP_HDR_APPLICATION_ID ? 1 : field == OTA_WSP_HDR_INITIATOR_URI ? 2 :
	    field == OTA_WSP_HDR_PUSH_FLAG ? 4 : field == OTA_WSP_HDR_CONTENT_LENGTH ? 8 : 16;

	if (*seen & bit) {
		*reason = "duplicate push header";
		return -EINVAL;
	}
	*seen |= bit;
	switch (field) {
	case OTA_WSP_HDR_APPLICATION_ID:
		if (v[0] >= 0x20 && v[0] < 0x80) {
			if (wsp_get_text(v, vlen, &s, &n, &u) < 0 || !n) {
				*reason = "empty or unterminated X-Wap-Application-Id";
				return -EINVAL;
			}
			if ((*app_off = wsp_arena_add(a, s, n)) < 0)
				goto nomem;
			return 0;
		}
		if (wsp_get_integer(v, vlen, &x, &u) < 0 || u != vlen) {
			*reason = "X-Wap-Application-Id is not an integer or URI";
			return -EINVAL;
		}
		p->app_id_code = x;
		const struct ota_appid *e = ota_appid_by_code(x);
		char num[16];
		snprintf(num, sizeof num, "0x%X", x);
		s = e ? e->urn : num;
		if ((*app_off = wsp_arena_add(a, s, strlen(s))) < 0)
			goto nomem;
		return 0;
	case OTA_WSP_HDR_INITIATOR_URI:
		if (v[0] < 0x20 || v[0] >= 0x80) {
			*reason = "X-Wap-Initiator-URI is not a text string";
			return -EINVAL;
		}
		if (wsp_get_text(v, vlen, &s, &n, &u) < 0) {
			*reason = "X-Wap-Initiator-URI without NUL";
			return -EINVAL;
		}
		if ((*uri_off = wsp_arena_add(a, s, n)) < 0)
			goto nomem;
		return 0;
	case OTA_WSP_HDR_PUSH_FLAG:
		if (v[0] < 0x80) {
			*reason = "Push-Flag is not a short integer";
			return -EINVAL;
		}
		p->push_flag = v[0] & 0x7f;
		return 0;
	case OTA_WSP_HDR_CONTENT_LENGTH:
		if (wsp_get_integer(v, vlen, &x, &u) < 0 || u != vlen) {
			*reason = "Content-Length is not an integer of at most 32 bits";
			return -EINVAL;
		}
		p->content_length = true;
		p->content_length_value = x;
		return 0;
	default:    /* Encoding-Version */
		if (v[0] >= 0x80) {
			p->encoding_version = v[0] & 0x7f;
			return 0;
		}
		if (v[0] >= 0x20) {    /* Text-string form: kept as an other header */
			p->other_headers++;
			return 0;
		}
		*reason = "Encoding-Version is neither a short integer nor text";
		return -EINVAL;
	}
nomem:
	*reason = "out of memory";
	return -ENOMEM;
}

/* See ota.h. */
int ota_push_decode(const uint8_t *pdu, size_t len, struct ota_push *p, const char **reason)
{
	struct wsp_arena a = { 0 };
	long ct_off, app_off = -1, uri_off = -1;
	unsigned seen = 0, page = 1;
	const char *dummy;
	uint32_t hlen;
	size_t i, u;
	int rc;

	if (!reason)
		reason = &dummy;
	*reason = NULL;
	memset(p, 0, sizeof *p);
	p->push_flag = -1;
	p->app_id_code = -1;
	p->content_type_code = -1;
	if (!pdu || len < 3) {
		*reason = "PDU shorter than TID, type and header length";
		return -EINVAL;
	}
	p->tid = pdu[0];
	if (pdu[1] != OTA_WSP_PDU_PUSH) {
		*reason = "not a WSP Push PDU (type 0x06)";
		return -EINVAL;
	}
	if (ota_uintvar_get(pdu + 2, len - 2, &hlen, &u) < 0) {
		*reason = "bad HeadersLen uintvar (truncated or overflow)";
		return -EINVAL;
	}
	i = 2 + u;
	if (hlen > len - i) {
		*reason = "HeadersLen runs past the end of the PDU";
		return -EINVAL;
	}
	const size_t hend = i + hlen;
	if (!hlen) {
		*reason = "no Content-Type";
		return -EINVAL;
	}
	ct_off = 0;
	if ((rc = wsp_get_content_type(pdu + i, hend - i, &a, &p->content_type_code, &u,
	    reason)) < 0)
		goto fail;
	i += u;
	while (i < hend) {
		uint8_t c = pdu[i];
		if (c == 0x7f) {    /* Shift-delimiter Page-identity */
			if (i + 1 >= hend)
				goto trunc;
			page = pdu[i + 1];
			i += 2;
			continue;
		}
		if (c >= 0x01 && c <= 0x1f) {    /* Short-cut-shift-delimiter */
			page = c;
			i++;
			continue;
		}
		if (c == 0) {
			*reason = "NUL where a header field name belongs";
			rc = -EINVAL;
			goto fail;
		}
		if (c < 0x80) {    /* Application-header: Token-text Text-string */
			const char *s;
			size_t n;
			if (wsp_get_text(pdu + i, hend - i, &s, &n, &u) < 0)
				goto trunc;
			i += u;
			if (i >= hend || wsp_get_text(pdu + i, hend - i, &s, &n, &u) < 0)
				goto trunc;
			i += u;
			p->other_headers++;
			continue;
		}
		i++;
		if (wsp_value_span(pdu + i, hend - i, &u) < 0)
			goto trunc;
		uint8_t field = c & 0x7f;
		if (page == 1 && (field == OTA_WSP_HDR_APPLICATION_ID || field == OTA_WSP_HDR_INITIATOR_URI ||
		    field == OTA_WSP_HDR_PUSH_FLAG || field == OTA_WSP_HDR_CONTENT_LENGTH ||
		    field == OTA_WSP_HDR_ENCODING_VERSION)) {
			if ((rc = wsp_get_push_header(field, pdu + i, u, p, &a, &app_off, &uri_off,
			    &seen, reason)) < 0)
				goto fail;
		} else {
			p->other_headers++;
		}
		i += u;
	}
	p->body = pdu + hend;
	p->body_len = len - hend;
	p->owned_ = a.s;
	p->content_type = a.s + ct_off;
	p->app_id = app_off >= 0 ? a.s + app_off : NULL;
	p->initiator_uri = uri_off >= 0 ? a.s + uri_off : NULL;
	return 0;
trunc:
	*reason = "header value truncated or runs past HeadersLen";
	rc = -EINVAL;
fail:
	free(a.s);
	memset(p, 0, sizeof *p);
	p->push_flag = -1;
	p->app_id_code = -1;
	p->content_type_code = -1;
	return rc;
}

/* See ota.h. */
void ota_push_release(struct ota_push *p)
{
	if (!p)
		return;
	free(p->owned_);
	p->owned_ = NULL;
	p->content_type = p->app_id = p->initiator_uri = NULL;
}
