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

int ota_push_build(uint8_t tid, const char *content_type, const char *app_id, const char *headers,
    size_t headers_len, const void *body, size_t len, uint8_t **pdu, size_t *pdu_len, const char **reason)
{
	struct ota_buf b;
	uint8_t *wbxml = NULL;
	char initiator[512];
	int r;

	*pdu = NULL;
	*pdu_len = 0;
	/* SI, SL and CO come from PIs as XML text; handsets take WBXML. */
	const char *compiled = ota_wbxml_compiled_type(content_type);
	if (compiled) {
		ota_buf_init(&b, NULL, 0);
		r = ota_wbxml_compile(&b, body, len, NULL, reason);
		if (r != -ENOSPC)
			return r < 0 ? r : -EINVAL;
		size_t need = b.len;
		wbxml = malloc(need ? need : 1);
		if (!wbxml)
			return -ENOMEM;
		ota_buf_init(&b, wbxml, need);
		r = ota_wbxml_compile(&b, body, len, NULL, reason);
		if (r < 0) {
			free(wbxml);
			return r;
		}
		body = wbxml;
		len = b.len;
		content_type = compiled;
	}
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
	ota_buf_init(&b, NULL, 0);
	r = ota_push_encode(&b, &p, reason);
	if (r == 0 || r == -ENOSPC) {
		size_t need = b.len;
		*pdu = malloc(need ? need : 1);
		if (!*pdu) {
			r = -ENOMEM;
		} else {
			ota_buf_init(&b, *pdu, need);
			r = ota_push_encode(&b, &p, reason);
			if (r == 0) {
				*pdu_len = b.len;
			} else {
				free(*pdu);
				*pdu = NULL;
			}
		}
	}
	free(wbxml);
	return r;
}
