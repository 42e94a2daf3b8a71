/*
 * ota_wbxml_decode.c - SI, SL and CO WBXML back to XML text.
 *
 * Implements the decoding side of WAP-192-WBXML-20010725-a §5.4-§5.8
 * (header with version, public id, charset, string table; tag octets with
 * the attribute and content bits; STR_I, STR_T, ENTITY, OPAQUE, END,
 * SWITCH_PAGE to page 0) with the token tables of WAP-167 §8 (SI), WAP-168
 * §8 (SL) and WAP-175 §7 (CO) from ota_wbxml.c, and the SI date OPAQUE of
 * WAP-167 §8.2.2. Every read is bounds-checked; the output is escaped XML.
 * Used by the tests and to check captured pushes; the gateway only compiles.
 */
#include "otabearer/ota_wbxml_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define N(a) (sizeof a / sizeof a[0])

struct wbx_dec {
	struct ota_buf *b;
	const struct wbx_doc *doc;
	const uint8_t *p, *end, *strtbl;
	uint32_t strtbl_len;
	const char *reason;
};

static int wbx_derr(struct wbx_dec *d, int rc, const char *reason)
{
	if (!d->reason)
		d->reason = reason;
	return rc;
}

static int wbx_mb(struct wbx_dec *d, uint32_t *v)
{
	size_t used;

	if (ota_uintvar_get(d->p, (size_t)(d->end - d->p), v, &used) < 0)
		return wbx_derr(d, -EINVAL, "bad mb_u_int32 (truncated or overflow)");
	d->p += used;
	return 0;
}

/* XML-escaped copy of s[0..n). */
static int wbx_escape(struct wbx_dec *d, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = s[i];
		if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
			return wbx_derr(d, -EINVAL, "control character in a string");
		switch (ch) {
		case '&': ota_buf_puts(d->b, "&amp;"); break;
		case '<': ota_buf_puts(d->b, "&lt;"); break;
		case '>': ota_buf_puts(d->b, "&gt;"); break;
		case '"': ota_buf_puts(d->b, "&quot;"); break;
		default: ota_buf_putc(d->b, ch);
		}
	}
	return 0;
}

/* STR_I, STR_T or ENTITY after its token. */
static int wbx_string(struct wbx_dec *d, uint8_t tok)
{
	const uint8_t *s, *nul;
	uint32_t v;
	char ent[16];

	if (tok == WBX_STR_I) {
		if (!(nul = memchr(d->p, 0, (size_t)(d->end - d->p))))
			return wbx_derr(d, -EINVAL, "unterminated inline string");
		s = d->p;
		d->p = nul + 1;
		return wbx_escape(d, s, (size_t)(nul - s));
	}
	if (wbx_mb(d, &v) < 0)
		return -EINVAL;
	if (tok == WBX_ENTITY) {
		if (!(v == 9 || v == 10 || v == 13 || (v >= 0x20 && v <= 0xD7FF) ||
		    (v >= 0xE000 && v <= 0xFFFD) || (v >= 0x10000 && v <= 0x10FFFF)))
			return wbx_derr(d, -EINVAL, "entity is not an XML character");
		snprintf(ent, sizeof ent, "&#%u;", v);
		ota_buf_puts(d->b, ent);
		return 0;
	}
	if (v >= d->strtbl_len ||
	    !(nul = memchr(d->strtbl + v, 0, d->strtbl_len - v)))
		return wbx_derr(d, -EINVAL, "string table reference out of range");
	return wbx_escape(d, d->strtbl + v, (size_t)(nul - (d->strtbl + v)));
}

static int wbx_unsupported(struct wbx_dec *d, uint8_t tok)
{
	if (tok == WBX_SWITCH_PAGE) {
		if (d->p >= d->end)
			return wbx_derr(d, -EINVAL, "truncated SWITCH_PAGE");
		if (*d->p++ != 0)
			return wbx_derr(d, -ENOTSUP, "code page other than 0");
		return 0;
	}
	return wbx_derr(d, -ENOTSUP, "WBXML extension, PI, LITERAL or OPAQUE not supported here");
}

/* OPAQUE date back to "YYYY-MM-DDThh:mm:ssZ". */
static int wbx_date(struct wbx_dec *d)
{
	uint32_t n;
	uint8_t o[7] = { 0 };
	char s[24];

	if (wbx_mb(d, &n) < 0)
		return -EINVAL;
	if (n < 4 || n > 7 || n > (size_t)(d->end - d->p))
		return wbx_derr(d, -EINVAL, "date OPAQUE is not 4..7 octets");
	memcpy(o, d->p, n);
	d->p += n;
	for (size_t i = 0; i < 7; i++)
		if ((o[i] >> 4) > 9 || (o[i] & 15) > 9)
			return wbx_derr(d, -EINVAL, "date OPAQUE holds a non-digit");
	snprintf(s, sizeof s, "%02x%02x-%02x-%02xT%02x:%02x:%02xZ", o[0], o[1], o[2], o[3],
	    o[4], o[5], o[6]);
	ota_buf_puts(d->b, s);
	return 0;
}

static int wbx_attrs(struct wbx_dec *d)
{
	const struct wbx_attr *cur = NULL;
	int rc, dated = 0;

	for (;;) {
		if (d->p >= d->end)
			return wbx_derr(d, -EINVAL, "truncated attribute list");
		uint8_t t = *d->p++;
		if (t == WBX_END)
			break;
		if (t == WBX_STR_I || t == WBX_STR_T || t == WBX_ENTITY || t == WBX_OPAQUE ||
		    (t >= 0x80 && (t & 0x3f) >= 5)) {
			if (!cur)
				return wbx_derr(d, -EINVAL, "attribute value before any attribute start");
			if (t == WBX_OPAQUE) {
				if (dated || (strcmp(cur->name, "created") && strcmp(cur->name, "si-expires")))
					return wbx_derr(d, -EINVAL, "OPAQUE outside a date attribute");
				dated = 1;
				rc = wbx_date(d);
			} else if (t >= 0x80 && t != WBX_STR_T) {
				if (t < WBX_VALUE_FIRST || t >= WBX_VALUE_FIRST + WBX_NVALUES)
					return wbx_derr(d, -EINVAL, "unknown attribute value token");
				rc = wbx_escape(d, (const uint8_t *)ota_wbxml_values[t - WBX_VALUE_FIRST],
				    strlen(ota_wbxml_values[t - WBX_VALUE_FIRST]));
			} else {
				rc = wbx_string(d, t);
			}
			if (rc < 0)
				return rc;
			continue;
		}
		if ((t & 0x3f) < 5) {
			if ((rc = wbx_unsupported(d, t)) < 0)
				return rc;
			continue;
		}
		/* attribute start */
		if (cur)
			ota_buf_putc(d->b, '"');
		cur = NULL;
		for (size_t i = 0; i < d->doc->nattrs; i++)
			if (d->doc->attrs[i].tok == t)
				cur = &d->doc->attrs[i];
		if (!cur)
			return wbx_derr(d, -EINVAL, "unknown attribute start token");
		dated = 0;
		ota_buf_putc(d->b, ' ');
		ota_buf_puts(d->b, cur->name);
		ota_buf_puts(d->b, "=\"");
		ota_buf_puts(d->b, cur->prefix);
	}
	if (cur)
		ota_buf_putc(d->b, '"');
	return 0;
}

static int wbx_body(struct wbx_dec *d)
{
	const char *stack[WBX_MAX_DEPTH];
	int depth = 0, done = 0, rc;

	while (!done) {
		if (d->p >= d->end)
			return wbx_derr(d, -EINVAL, depth ? "truncated document (missing END)" :
			    "no root element");
		uint8_t t = *d->p++;
		if (depth && t == WBX_END) {
			ota_buf_puts(d->b, "</");
			ota_buf_puts(d->b, stack[--depth]);
			ota_buf_putc(d->b, '>');
			done = !depth;
			continue;
		}
		if (depth && (t == WBX_STR_I || t == WBX_STR_T || t == WBX_ENTITY)) {
			if ((rc = wbx_string(d, t)) < 0)
				return rc;
			continue;
		}
		if ((t & 0x3f) < 5) {
			if (t == WBX_END)
				return wbx_derr(d, -EINVAL, "END outside an element");
			if (!depth && t != WBX_SWITCH_PAGE)
				return wbx_derr(d, -EINVAL, "document does not start with an element");
			if ((rc = wbx_unsupported(d, t)) < 0)
				return rc;
			continue;
		}
		const char *name = NULL;
		for (size_t i = 0; i < d->doc->nelems; i++)
			if (d->doc->elems[i].tok == (t & 0x3f))
				name = d->doc->elems[i].name;
		if (!name)
			return wbx_derr(d, -EINVAL, "unknown tag token");
		ota_buf_putc(d->b, '<');
		ota_buf_puts(d->b, name);
		if ((t & WBX_HAS_ATTRS) && (rc = wbx_attrs(d)) < 0)
			return rc;
		if (t & WBX_HAS_CONTENT) {
			if (depth >= WBX_MAX_DEPTH)
				return wbx_derr(d, -EINVAL, "elements nested too deep");
			ota_buf_putc(d->b, '>');
			stack[depth++] = name;
		} else {
			ota_buf_puts(d->b, "/>");
			done = !depth;
		}
	}
	if (d->p != d->end)
		return wbx_derr(d, -EINVAL, "bytes after the root element");
	return 0;
}

/* See ota.h. */
int ota_wbxml_decode(struct ota_buf *b, const uint8_t *wb, size_t len,
    enum ota_wbxml_doc *doc, const char **reason)
{
	struct wbx_dec d = { .b = b, .p = wb, .end = wb ? wb + len : NULL };
	uint32_t pub, cs, pubidx = 0;
	const char *dummy;
	int rc = 0;

	if (!reason)
		reason = &dummy;
	if (!wb || len < 4) {
		rc = wbx_derr(&d, -EINVAL, "shorter than a WBXML header");
		goto done;
	}
	if (*d.p < 0x01 || *d.p > 0x03) {
		rc = wbx_derr(&d, *d.p ? -EINVAL : -ENOTSUP, "WBXML version not 1.1..1.3");
		goto done;
	}
	d.p++;
	if ((rc = wbx_mb(&d, &pub)) < 0)
		goto done;
	if (!pub && (rc = wbx_mb(&d, &pubidx)) < 0)
		goto done;
	if ((rc = wbx_mb(&d, &cs)) < 0 || (rc = wbx_mb(&d, &d.strtbl_len)) < 0)
		goto done;
	if (cs != WBX_UTF8 && cs != 3) {
		rc = wbx_derr(&d, -ENOTSUP, "charset other than UTF-8 or US-ASCII");
		goto done;
	}
	if (d.strtbl_len > (size_t)(d.end - d.p)) {
		rc = wbx_derr(&d, -EINVAL, "string table runs past the end");
		goto done;
	}
	d.strtbl = d.p;
	d.p += d.strtbl_len;
	if (!pub && (pubidx >= d.strtbl_len ||
	    !memchr(d.strtbl + pubidx, 0, d.strtbl_len - pubidx))) {
		rc = wbx_derr(&d, -EINVAL, "public id index outside the string table");
		goto done;
	}
	for (size_t i = 0; i < WBX_NDOCS; i++) {
		if (pub && pub == (uint32_t)ota_wbxml_docs[i].id)
			d.doc = &ota_wbxml_docs[i];
		if (!pub && !strcmp((const char *)d.strtbl + pubidx, ota_wbxml_docs[i].pubid))
			d.doc = &ota_wbxml_docs[i];
	}
	if (!d.doc) {
		rc = wbx_derr(&d, -ENOTSUP, "public identifier is not SI, SL or CO 1.0");
		goto done;
	}
	ota_buf_puts(b, "<?xml version=\"1.0\"?>\n<!DOCTYPE ");
	ota_buf_puts(b, d.doc->root);
	ota_buf_puts(b, " PUBLIC \"");
	ota_buf_puts(b, d.doc->pubid);
	ota_buf_puts(b, "\" \"");
	ota_buf_puts(b, d.doc->sysid);
	ota_buf_puts(b, "\">\n");
	rc = wbx_body(&d);
	if (doc && !rc)
		*doc = d.doc->id;
done:
	if (rc)
		ota_buf_fail(b, rc);
	if (b->err == -ENOSPC && !d.reason)
		d.reason = "XML does not fit the buffer";
	*reason = d.reason;
	return b->err;
}
