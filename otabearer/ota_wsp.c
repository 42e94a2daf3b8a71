/*
 * ota_wsp.c - WSP connectionless Push PDU: encoding, uintvar, code tables.
 *
 * Implements WAP-230-WSP-20010705-a:
 *   §8.1.2   Variable length unsigned integers (uintvar)
 *   §8.2.4.1 Push and ConfirmedPush PDU (only the connectionless Push, 0x06)
 *   §8.4.1   Header format; §8.4.2.1 basic rules (Short-/Long-integer,
 *            Text-string, Value-length); §8.4.2.24 Content-Type with
 *            Table 38 parameters (Charset 0x01, Type 0x09) and Table 42
 *            character sets; §8.4.2.6 header code page shifts (skipped)
 *   Table 39 field names: Content-Length 0x0D, X-Wap-Application-Id 0x2F,
 *            X-Wap-Initiator-URI 0x31, Push-Flag 0x34, Encoding-Version 0x43
 *   Table 40 content types (0x00-0x3F), continued by the OMNA WSP content
 *            type registry (0x40-0x4B)
 * and WAP-235-PushOTA-20010425-a §6 (X-Wap-Application-Id, wml.ua default).
 * Only the push headers above are produced:
 * a Push Initiator's HTTP headers never reach the PDU (the Kannel leak in
 * Kannel's captures in the OTA tests).
 */
#include "otabearer/ota.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WSP_MAX_CTYPE 512    /* longest content type string encoded */

/* ------------------------------------------------------------- cursor */

/* See ota.h. */
void ota_buf_init(struct ota_buf *b, void *mem, size_t cap)
{
	b->data = mem;
	b->cap = mem ? cap : 0;
	b->len = 0;
	b->err = 0;
}

/* See ota.h. */
void ota_buf_put(struct ota_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap || b->len + n < b->len) {
		ota_buf_fail(b, -ENOSPC);
	} else if (n) {
		memcpy(b->data + b->len, p, n);
	}
	b->len += n;
}

/* See ota.h. */
void ota_buf_putc(struct ota_buf *b, uint8_t c)
{
	ota_buf_put(b, &c, 1);
}

/* See ota.h. */
void ota_buf_puts(struct ota_buf *b, const char *s)
{
	ota_buf_put(b, s, strlen(s));
}

/* See ota.h. */
void ota_buf_fail(struct ota_buf *b, int err)
{
	if (!b->err)
		b->err = err;
}

/* ------------------------------------------------------------ uintvar */

/* See ota.h. */
size_t ota_uintvar_put(uint8_t out[OTA_UINTVAR_MAX_LEN], uint32_t v)
{
	uint8_t tmp[OTA_UINTVAR_MAX_LEN];
	size_t n = 0;

	do {
		tmp[n++] = v & 0x7f;
		v >>= 7;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i] | (i + 1 < n ? 0x80 : 0);
	return n;
}

/* See ota.h. */
int ota_uintvar_get(const uint8_t *p, size_t len, uint32_t *v, size_t *used)
{
	uint64_t acc = 0;

	for (size_t i = 0; i < len && i < OTA_UINTVAR_MAX_LEN; i++) {
		acc = (acc << 7) | (p[i] & 0x7f);
		if (!(p[i] & 0x80)) {
			if (acc > UINT32_MAX)
				return -EINVAL;
			*v = (uint32_t)acc;
			*used = i + 1;
			return 0;
		}
	}
	return -EINVAL;    /* truncated or longer than 5 octets */
}

/* ------------------------------------------------------------- tables */

/* WAP-230 Table 40 (0x00-0x3F, the 1.4 additions from 0x35) and the OMNA
 * registry continuation; checked against Wireshark packet-wsp.c
 * vals_content_types. */
static const char *const wsp_ctypes[] = {
	"*/*", "text/*", "text/html", "text/plain", "text/x-hdml", "text/x-ttml",
	"text/x-vCalendar", "text/x-vCard", "text/vnd.wap.wml",
	"text/vnd.wap.wmlscript", "text/vnd.wap.wta-event", "multipart/*",
	"multipart/mixed", "multipart/form-data", "multipart/byterantes",
	"multipart/alternative", "application/*", "application/java-vm",
	"application/x-www-form-urlencoded", "application/x-hdmlc",
	"application/vnd.wap.wmlc", "application/vnd.wap.wmlscriptc",
	"application/vnd.wap.wta-eventc", "application/vnd.wap.uaprof",
	"application/vnd.wap.wtls-ca-certificate",
	"application/vnd.wap.wtls-user-certificate", "application/x-x509-ca-cert",
	"application/x-x509-user-cert", "image/*", "image/gif", "image/jpeg",
	"image/tiff", "image/png", "image/vnd.wap.wbmp",
	"application/vnd.wap.multipart.*", "application/vnd.wap.multipart.mixed",
	"application/vnd.wap.multipart.form-data",
	"application/vnd.wap.multipart.byteranges",
	"application/vnd.wap.multipart.alternative", "application/xml", "text/xml",
	"application/vnd.wap.wbxml", "application/x-x968-cross-cert",
	"application/x-x968-ca-cert", "application/x-x968-user-cert",
	"text/vnd.wap.si", "application/vnd.wap.sic", "text/vnd.wap.sl",
	"application/vnd.wap.slc", "text/vnd.wap.co", "application/vnd.wap.coc",
	"application/vnd.wap.multipart.related", "application/vnd.wap.sia",
	"text/vnd.wap.connectivity-xml", "application/vnd.wap.connectivity-wbxml",
	"application/pkcs7-mime", "application/vnd.wap.hashed-certificate",
	"application/vnd.wap.signed-certificate", "application/vnd.wap.cert-response",
	"application/xhtml+xml", "application/wml+xml", "text/css",
	"application/vnd.wap.mms-message", "application/vnd.wap.rollover-certificate",
	"application/vnd.wap.locc+wbxml", "application/vnd.wap.loc+xml",
	"application/vnd.syncml.dm+wbxml", "application/vnd.syncml.dm+xml",
	"application/vnd.syncml.notification", "application/vnd.wap.xhtml+xml",
	"application/vnd.wv.csp.cir", "application/vnd.oma.dd+xml",
	"application/vnd.oma.drm.message", "application/vnd.oma.drm.content",
	"application/vnd.oma.drm.rights+xml", "application/vnd.oma.drm.rights+wbxml",
};
#define WSP_NCTYPES (sizeof wsp_ctypes / sizeof wsp_ctypes[0])

/* WAP-230 Table 42 (IANA MIBenum), the common ones. */
static const struct {
	const char *name;
	uint32_t mib;
} wsp_charsets[] = {
	{ "us-ascii", 3 }, { "iso-8859-1", 4 }, { "iso-8859-2", 5 },
	{ "iso-8859-3", 6 }, { "iso-8859-4", 7 }, { "iso-8859-5", 8 },
	{ "iso-8859-6", 9 }, { "iso-8859-7", 10 }, { "iso-8859-8", 11 },
	{ "iso-8859-9", 12 }, { "shift_JIS", 17 }, { "euc-jp", 18 },
	{ "utf-8", 106 }, { "iso-10646-ucs-2", 1000 }, { "utf-16", 1015 },
	{ "gb2312", 2025 }, { "big5", 2026 }, { "windows-1252", 2252 },
};
#define WSP_NCHARSETS (sizeof wsp_charsets / sizeof wsp_charsets[0])

/* Encoding version (major << 4 | minor) that assigned a content type code,
 * from the version notes of Table 40 (as in Kannel wsp_strings.def). */
static uint8_t wsp_ctype_version(int code)
{
	return code <= 0x2D ? 0x11 : code <= 0x34 ? 0x12 : code <= 0x36 ? 0x13 :
	    code <= 0x3F ? 0x14 : 0x15;
}

/* See ota.h. */
int ota_wsp_content_type_code(const char *media_type)
{
	for (size_t i = 0; media_type && i < WSP_NCTYPES; i++)
		if (!strcasecmp(wsp_ctypes[i], media_type))
			return (int)i;
	return -1;
}

/* See ota.h. */
const char *ota_wsp_content_type_name(unsigned code)
{
	return code < WSP_NCTYPES ? wsp_ctypes[code] : NULL;
}

/* See ota.h. */
uint32_t ota_wsp_charset_mib(const char *name)
{
	for (size_t i = 0; name && i < WSP_NCHARSETS; i++)
		if (!strcasecmp(wsp_charsets[i].name, name))
			return wsp_charsets[i].mib;
	return 0;
}

/* See ota.h. */
const char *ota_wsp_charset_name(uint32_t mib)
{
	for (size_t i = 0; i < WSP_NCHARSETS; i++)
		if (wsp_charsets[i].mib == mib)
			return wsp_charsets[i].name;
	return NULL;
}

/* ------------------------------------------------------------ encoding */

/* Integer-value (§8.4.2.3): Short-integer below 128, else Long-integer
 * with the fewest octets. */
static void wsp_put_integer(struct ota_buf *b, uint32_t v)
{
	uint8_t o[4];
	size_t n = 0;

	if (v < 0x80) {
		ota_buf_putc(b, 0x80 | (uint8_t)v);
		return;
	}
	for (uint32_t t = v; t; t >>= 8)
		n++;
	for (size_t i = 0; i < n; i++)
		o[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	ota_buf_putc(b, (uint8_t)n);
	ota_buf_put(b, o, n);
}

/* Text-string (§8.4.2.1): a Quote before a first octet >= 128. */
static void wsp_put_text(struct ota_buf *b, const char *s)
{
	if ((unsigned char)s[0] >= 0x80)
		ota_buf_putc(b, OTA_WSP_QUOTE);
	ota_buf_puts(b, s);
	ota_buf_putc(b, 0);
}

/* Value-length (§8.4.2.2). */
static void wsp_put_value_length(struct ota_buf *b, size_t n)
{
	uint8_t u[OTA_UINTVAR_MAX_LEN];

	if (n <= 30) {
		ota_buf_putc(b, (uint8_t)n);
		return;
	}
	ota_buf_putc(b, 31);
	ota_buf_put(b, u, ota_uintvar_put(u, (uint32_t)n));
}

/* RFC 2616 token characters. */
static int wsp_tchar(int c)
{
	return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?={}", c);
}

static int wsp_is_token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!wsp_tchar((unsigned char)*s))
			return 0;
	return 1;
}

static char *wsp_skip_ows(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* One parameter as Typed-parameter (charset, type) or Untyped-parameter. */
static void wsp_put_param(struct ota_buf *b, const char *name, const char *val)
{
	if (!strcasecmp(name, "charset")) {
		uint32_t mib = ota_wsp_charset_mib(val);
		if (mib) {
			ota_buf_putc(b, 0x80 | OTA_WSP_PARAM_CHARSET);
			wsp_put_integer(b, mib);
			return;
		}
		if (!strcmp(val, "*")) {    /* Any-charset */
			ota_buf_putc(b, 0x80 | OTA_WSP_PARAM_CHARSET);
			ota_buf_putc(b, 0x80);
			return;
		}
		if (val[0] >= '1' && val[0] <= '9' && strspn(val, "0123456789") == strlen(val) &&
		    strlen(val) <= 9) {
			ota_buf_putc(b, 0x80 | OTA_WSP_PARAM_CHARSET);
			wsp_put_integer(b, (uint32_t)strtoul(val, NULL, 10));
			return;
		}
	} else if (!strcasecmp(name, "type") && strchr(val, '/')) {
		int code = ota_wsp_content_type_code(val);
		ota_buf_putc(b, 0x80 | OTA_WSP_PARAM_TYPE);
		if (code >= 0)
			ota_buf_putc(b, 0x80 | (uint8_t)code);
		else
			wsp_put_text(b, val);
		return;
	}
	ota_buf_puts(b, name);
	ota_buf_putc(b, 0);
	if (!*val) {
		ota_buf_putc(b, 0);    /* No-value */
	} else if (wsp_is_token(val)) {
		ota_buf_puts(b, val);
		ota_buf_putc(b, 0);
	} else {
		ota_buf_putc(b, '"');  /* Quoted-string */
		ota_buf_puts(b, val);
		ota_buf_putc(b, 0);
	}
}

/* Content-type-value (§8.4.2.24) for "type/subtype *(; name=value)". */
static int wsp_put_content_type(struct ota_buf *b, const char *ct, uint8_t ev,
    const char **reason)
{
	char buf[WSP_MAX_CTYPE], vbuf[WSP_MAX_CTYPE], *p, *media, *slash;
	uint8_t tmp[WSP_MAX_CTYPE * 2];
	struct ota_buf pb;
	int code, nparams = 0;

	if (!ct || strlen(ct) >= sizeof buf) {
		*reason = !ct ? "no content type" : "content type too long";
		return -EINVAL;
	}
	strcpy(buf, ct);
	media = wsp_skip_ows(buf);
	p = media;
	while (wsp_tchar((unsigned char)*p) || *p == '/')
		p++;
	slash = strchr(media, '/');
	char *slash2 = slash ? strchr(slash + 1, '/') : NULL;
	if (!slash || slash == media || slash + 1 >= p || (slash2 && slash2 < p)) {
		*reason = "content type is not type/subtype";
		return -EINVAL;
	}
	ota_buf_init(&pb, tmp, sizeof tmp);
	char mt[WSP_MAX_CTYPE];
	memcpy(mt, media, (size_t)(p - media));
	mt[p - media] = '\0';
	media = mt;
	p = wsp_skip_ows(p);
	while (*p) {
		char *name, *val, *q;
		if (*p != ';') {
			*reason = "content type: junk after media type or parameter";
			return -EINVAL;
		}
		p = wsp_skip_ows(p + 1);
		name = p;
		while (wsp_tchar((unsigned char)*p))
			p++;
		if (p == name) {
			*reason = "content type: empty parameter name";
			return -EINVAL;
		}
		q = p;
		p = wsp_skip_ows(p);
		if (*p != '=') {
			*reason = "content type: parameter without '='";
			return -EINVAL;
		}
		*q = '\0';
		p = wsp_skip_ows(p + 1);
		if (*p == '"') {
			val = q = ++p;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p++;
				*q++ = *p++;
			}
			if (*p != '"') {
				*reason = "content type: unterminated quoted string";
				return -EINVAL;
			}
			p++;
		} else {
			/* copied out: terminating in place would eat the next ';' */
			size_t vl = 0;
			while (wsp_tchar((unsigned char)*p) || *p == '/')
				vbuf[vl++] = *p++;
			vbuf[vl] = '\0';
			q = vbuf + vl;
			val = vbuf;
		}
		char *next = wsp_skip_ows(p);
		*q = '\0';
		for (const char *c = val; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f) {
				*reason = "content type: control character in a parameter";
				return -EINVAL;
			}
		wsp_put_param(&pb, name, val);
		nparams++;
		p = next;
	}
	if (pb.err) {
		*reason = "content type: parameters too long";
		return -EINVAL;
	}
	code = ota_wsp_content_type_code(media);
	/* A code newer than the Encoding-Version we announce goes as text: a
	 * 1.3 client need not know application/vnd.wap.mms-message = 0x3E
	 * (1.4); Kannel, announcing 1.3, does the same (vector C). */
	if (code >= 0 && ev && wsp_ctype_version(code) > ev)
		code = -1;
	if (!nparams) {
		if (code >= 0)
			ota_buf_putc(b, 0x80 | (uint8_t)code);    /* Constrained-media */
		else
			wsp_put_text(b, media);
		return 0;
	}
	/* Content-general-form = Value-length Media-type *(Parameter) */
	wsp_put_value_length(b, (code >= 0 ? 1 : strlen(media) + 1) + pb.len);
	if (code >= 0)
		ota_buf_putc(b, 0x80 | (uint8_t)code);
	else
		wsp_put_text(b, media);
	ota_buf_put(b, tmp, pb.len);
	return 0;
}

static int wsp_printable(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* Content-Type and the push headers; validation errors are returned,
 * write errors stay in b. */
static int wsp_put_headers(struct ota_buf *b, const struct ota_push *p, const char **reason)
{
	struct ota_appid_ref app;
	int rc;

	if ((rc = wsp_put_content_type(b, p->content_type, p->encoding_version, reason)) < 0)
		return rc;
	if (p->initiator_uri) {
		if (!wsp_printable(p->initiator_uri)) {
			*reason = "initiator URI is empty or not printable ASCII";
			return -EINVAL;
		}
		ota_buf_putc(b, 0x80 | OTA_WSP_HDR_INITIATOR_URI);
		wsp_put_text(b, p->initiator_uri);
	}
	if (p->app_id) {
		if ((rc = ota_appid_parse(p->app_id, &app, reason)) < 0)
			return rc;
		if (!(p->omit_wml_ua && app.has_code && app.code == OTA_APPID_WML_UA)) {
			ota_buf_putc(b, 0x80 | OTA_WSP_HDR_APPLICATION_ID);
			if (app.has_code)
				wsp_put_integer(b, app.code);
			else
				wsp_put_text(b, app.urn);    /* never 0x80 "any" */
		}
	}
	if (p->push_flag >= 0) {
		if (p->push_flag > 0x7f) {
			*reason = "push flag above 127";
			return -EINVAL;
		}
		ota_buf_putc(b, 0x80 | OTA_WSP_HDR_PUSH_FLAG);
		ota_buf_putc(b, 0x80 | (uint8_t)p->push_flag);
	}
	if (p->content_length) {
		if (p->body_len > UINT32_MAX) {
			*reason = "body too long";
			return -EINVAL;
		}
		ota_buf_putc(b, 0x80 | OTA_WSP_HDR_CONTENT_LENGTH);
		wsp_put_integer(b, (uint32_t)p->body_len);
	}
	if (p->encoding_version) {
		if (p->encoding_version > 0x7f) {
			*reason = "encoding version is not a short integer";
			return -EINVAL;
		}
		ota_buf_putc(b, 0x80 | OTA_WSP_HDR_ENCODING_VERSION);
		ota_buf_putc(b, 0x80 | p->encoding_version);
	}
	return 0;
}

/* See ota.h. */
int ota_push_encode(struct ota_buf *b, const struct ota_push *p, const char **reason)
{
	struct ota_buf size;
	uint8_t u[OTA_UINTVAR_MAX_LEN];
	const char *dummy;
	int rc;

	if (!reason)
		reason = &dummy;
	*reason = NULL;
	if (!p || (p->body_len && !p->body)) {
		*reason = "no push";
		ota_buf_fail(b, -EINVAL);
		return b->err;
	}
	/* First pass only measures HeadersLen. */
	ota_buf_init(&size, NULL, 0);
	if ((rc = wsp_put_headers(&size, p, reason)) < 0) {
		ota_buf_fail(b, rc);
		return b->err;
	}
	if (size.len > UINT32_MAX) {
		*reason = "headers too long";
		ota_buf_fail(b, -EINVAL);
		return b->err;
	}
	ota_buf_putc(b, p->tid);
	ota_buf_putc(b, OTA_WSP_PDU_PUSH);
	ota_buf_put(b, u, ota_uintvar_put(u, (uint32_t)size.len));
	wsp_put_headers(b, p, reason);
	ota_buf_put(b, p->body, p->body_len);
	if (b->err == -ENOSPC && !*reason)
		*reason = "PDU does not fit the buffer";
	return b->err;
}
