/*
 * ota_push.c - the Push OTA message of a push (WAP-235 PushOTA §6.1.1,
 * WAP-230 WSP §8.2.4.1): a content entity as a WSP connectionless Push PDU,
 * with SI, SL and CO sent as text compiled to WBXML (ota_wbxml.c), encoded
 * by ota_push_encode() (ota_wsp.c).
 */
#include "otabearer/ota.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The value of header `name` in a raw MIME header block, copied into buf. */
static const char *find_header(const char *h, size_t len, const char *name, char *buf, size_t cap)
{
	size_t nl = strlen(name);
	const char *end = h + len;
	for (const char *p = h; p && p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;
		if ((size_t)(le - p) > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (v < le && isspace((unsigned char)*v))
				v++;
			const char *ve = le;
			while (ve > v && isspace((unsigned char)ve[-1]))
				ve--;
			size_t l = (size_t)(ve - v);
			if (!l || l >= cap)
				return NULL;
			memcpy(buf, v, l);
			buf[l] = '\0';
			return buf;
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

/* Runs enc(b, arg) into a malloc'ed buffer of first_cap octets, once more
 * into one of the size it asked for when that was too small: one pass in
 * the common case (the encoders count what they would have written past
 * the end, ota_buf_put). */
static int encode_alloc(int (*enc)(struct ota_buf *, const void *, const char **), const void *arg,
    size_t first_cap, uint8_t **out, size_t *out_len, const char **reason)
{
	struct ota_buf b;
	size_t cap = first_cap ? first_cap : 1;
	int r;

	for (int pass = 0; pass < 2; pass++) {
		uint8_t *mem = malloc(cap);
		if (!mem)
			return -ENOMEM;
		ota_buf_init(&b, mem, cap);
		r = enc(&b, arg, reason);
		if (r == 0) {
			*out = mem;
			*out_len = b.len;
			return 0;
		}
		free(mem);
		if (r != -ENOSPC || pass)
			return r;
		cap = b.len ? b.len : 1;
		*reason = NULL;
	}
	return -ENOSPC;
}

struct compile_arg {
	const void *xml;
	size_t len;
};

static int compile_enc(struct ota_buf *b, const void *arg, const char **reason)
{
	const struct compile_arg *c = arg;
	int r = ota_wbxml_compile(b, c->xml, c->len, NULL, reason);
	return r;
}

/* See ota.h. */
int ota_push_compile(const char *content_type, const void *body, size_t len, const char **out_type,
    uint8_t **wbxml, size_t *wbxml_len, const char **reason)
{
	const char *dummy;
	if (!reason)
		reason = &dummy;
	*reason = NULL;
	*wbxml = NULL;
	*wbxml_len = 0;
	*out_type = ota_wbxml_compiled_type(content_type);
	if (!*out_type)
		return 0;
	/* WBXML is shorter than its XML text: one pass almost always. */
	struct compile_arg c = { body, len };
	int r = encode_alloc(compile_enc, &c, len + 64, wbxml, wbxml_len, reason);
	if (r == -ENOSPC)
		r = -EINVAL;
	return r;
}

static int push_enc(struct ota_buf *b, const void *arg, const char **reason)
{
	return ota_push_encode(b, arg, reason);
}

/* See ota.h. */
int ota_push_build_body(uint8_t tid, const char *content_type, const char *app_id, const char *headers,
    size_t headers_len, const void *body, size_t len, uint8_t **pdu, size_t *pdu_len, const char **reason)
{
	char initiator[512];
	const char *dummy;

	if (!reason)
		reason = &dummy;
	*reason = NULL;
	*pdu = NULL;
	*pdu_len = 0;
	struct ota_push p = {
		.tid = tid,
		.content_type = content_type,
		.app_id = app_id,
		.initiator_uri = headers ? find_header(headers, headers_len, "X-Wap-Initiator-URI", initiator,
		    sizeof initiator) : NULL,
		.push_flag = -1,
		.content_length = true,
		.body = body,
		.body_len = len,
	};
	/* the headers take a few hundred octets at most */
	return encode_alloc(push_enc, &p, len + 512, pdu, pdu_len, reason);
}

/* See ota.h. */
int ota_push_build(uint8_t tid, const char *content_type, const char *app_id, const char *headers,
    size_t headers_len, const void *body, size_t len, uint8_t **pdu, size_t *pdu_len, const char **reason)
{
	const char *type = NULL;
	uint8_t *wbxml = NULL;
	size_t wlen = 0;

	*pdu = NULL;
	*pdu_len = 0;
	int r = ota_push_compile(content_type, body, len, &type, &wbxml, &wlen, reason);
	if (r < 0)
		return r;
	if (type)
		r = ota_push_build_body(tid, type, app_id, headers, headers_len, wbxml, wlen, pdu, pdu_len, reason);
	else
		r = ota_push_build_body(tid, content_type, app_id, headers, headers_len, body, len, pdu, pdu_len,
		    reason);
	free(wbxml);
	return r;
}
