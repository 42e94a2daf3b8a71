/*
 * ppg_push.c - the push as the engine and its bearers see it while attempts
 * of it are under way (struct ppg_push in ppg_bearer.h): content, quality of
 * service and the +g.oma.pusheventapp value of its application id. Built on
 * the writer from an accepted request or a database row; read on the loop.
 */
#include "ppg/ppg_deliver_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otabearer/ota.h"

/* See ppg_bearer.h (struct ppg_push.ota). */
struct ppg_push_ota {
	int rc;                /* 1: not compiled yet; 0: compiled; < 0: the compile's error */
	const char *type;      /* the compiled content type (static) */
	const char *reason;    /* the compile's reason (static), or NULL */
	uint8_t *wbxml;
	size_t len;
};

void ppg_push_unref(struct ppg_push *p)
{
	if (!p || --p->refs > 0)
		return;
	if (p->ota)
		free(p->ota->wbxml);
	free(p->ota);
	free(p->pi);
	free(p->push_id);
	free(p->content_type);
	free(p->body);
	free(p->headers);
	free(p->app_id);
	free(p);
}

/* The +g.oma.pusheventapp value of the content's X-Wap-Application-Id (CR
 * the OMA-CD-PUSH CR on ARI §9.6); absent means the Push OTA default, wml.ua. */
static void resolve_app(const struct ppg_config *cfg, struct ppg_push *p, const char *app_id)
{
	const char *reason = NULL;
	int r = ota_appid_pusheventapp(app_id && *app_id ? app_id : "x-wap-application:wml.ua",
	    p->app, sizeof p->app, &reason);
	if (r == -ENOENT && app_id) {
		/* A number the OMNA table lacks: the operator's [apps] may know it. */
		char *end;
		unsigned long code = strtoul(app_id, &end, 0);
		const char *urn = *end ? NULL : ppg_config_app_urn(cfg, code);
		if (urn)
			r = ota_appid_pusheventapp(urn, p->app, sizeof p->app, &reason);
		else
			reason = "an application id number neither the OMNA table nor [apps] knows";
	}
	if (r < 0)
		p->app_error = reason ? reason : "unusable application id";
}

char *ppg_push_dup0(const void *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		if (n)
			memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

struct ppg_push *ppg_push_new(const struct ppg_config *cfg, const struct ppg_push_src *src)
{
	struct ppg_push *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->refs = 1;
	p->id = src->id;
	p->pi = strdup(src->pi ? src->pi : "");
	p->push_id = strdup(src->push_id ? src->push_id : "");
	p->deliver_before = src->deliver_before;
	p->content_type = strdup(src->content_type ? src->content_type : "application/octet-stream");
	p->body = (unsigned char *)ppg_push_dup0(src->body, src->len);
	p->headers = ppg_push_dup0(src->headers, src->headers ? src->headers_len : 0);
	p->headers_len = src->headers ? src->headers_len : 0;
	p->app_id = src->app_id ? strdup(src->app_id) : NULL;
	if (!p->pi || !p->push_id || !p->content_type || !p->body || !p->headers ||
	    (src->app_id && !p->app_id)) {
		ppg_push_unref(p);
		return NULL;
	}
	p->len = src->len;
	p->delivery_method = src->delivery_method;
	p->network_required = src->network_required;
	p->bearer_required = src->bearer_required;
	snprintf(p->network, sizeof p->network, "%s", src->network ? src->network : "");
	snprintf(p->bearer, sizeof p->bearer, "%s", src->bearer ? src->bearer : "");
	resolve_app(cfg, p, src->app_id);
	if (ota_wbxml_compiled_type(p->content_type)) {
		p->ota = calloc(1, sizeof *p->ota);
		if (!p->ota) {
			ppg_push_unref(p);
			return NULL;
		}
		p->ota->rc = 1;
	}
	return p;
}

int ppg_push_ota_pdu(const struct ppg_push *p, uint8_t tid, uint8_t **pdu, size_t *len,
    const char **reason)
{
	struct ppg_push_ota *o = p->ota;

	if (!o)   /* content that goes as it is (or a push not made by ppg_push_new) */
		return ota_push_build(tid, p->content_type, p->app_id, p->headers, p->headers_len, p->body,
		    p->len, pdu, len, reason);
	if (o->rc == 1) {
		o->rc = ota_push_compile(p->content_type, p->body, p->len, &o->type, &o->wbxml, &o->len,
		    &o->reason);
		/* out of memory is not the content's fault: try again next time */
		int rc = o->rc;
		if (rc == -ENOMEM)
			o->rc = 1;
		if (rc < 0) {
			*pdu = NULL;
			*len = 0;
			if (reason)
				*reason = o->reason;
			return rc;
		}
	}
	if (o->rc < 0) {
		*pdu = NULL;
		*len = 0;
		if (reason)
			*reason = o->reason;
		return o->rc;
	}
	return ota_push_build_body(tid, o->type, p->app_id, p->headers, p->headers_len, o->wbxml, o->len,
	    pdu, len, reason);
}

struct ppg_push *ppg_push_from_row(const struct ppg_config *cfg, const struct db_push *row)
{
	struct ppg_push_src src = {
		.id = row->id, .pi = row->pi, .push_id = row->push_id,
		.deliver_before = row->deliver_before, .content_type = row->content_type,
		.body = row->content_body, .len = row->content_len,
		.headers = row->content_headers, .headers_len = row->content_headers_len,
		.app_id = row->app_id, .delivery_method = row->delivery_method,
		.network_required = row->network_required, .bearer_required = row->bearer_required,
		.network = row->network, .bearer = row->bearer,
	};
	return ppg_push_new(cfg, &src);
}
