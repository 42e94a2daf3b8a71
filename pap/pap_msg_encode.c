/*
 * pap_msg_encode.c - struct pap_msg to a PAP XML document.
 *
 * Writes the message elements of WAP-247-PAP-20010429-a §9 (PAP 2.0),
 * OMA-WAP-PAP-V2_1 and WAP-164 (PAP 1.0) with the DOCTYPE of the message's
 * version. libxml2's xmlTextWriter does the escaping of every attribute
 * (including tab, CR and LF, which would otherwise be normalised away), so
 * that pap_msg_decode(pap_msg_encode(m)) gives m back.
 */
#include "pap/pap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/encoding.h>
#include <libxml/xmlstring.h>
#include <libxml/xmlwriter.h>

/* Writer plus the first error: every call below is a no-op once err is set. */
struct pap_enc {
	xmlTextWriterPtr w;
	int err;
};

/* Valid UTF-8 made of characters that XML 1.0 allows (§2.2). */
static int pap_xml_text_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!xmlCheckUTF8(p))
		return 0;
	for (; *p; p++) {
		if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			return 0;
		/* U+FFFE and U+FFFF: EF BF BE / EF BF BF */
		if (p[0] == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF))
			return 0;
	}
	return 1;
}

static void pap_start(struct pap_enc *e, const char *name)
{
	if (!e->err && xmlTextWriterStartElement(e->w, BAD_CAST name) < 0)
		e->err = 1;
}

static void pap_end(struct pap_enc *e)
{
	if (!e->err && xmlTextWriterEndElement(e->w) < 0)
		e->err = 1;
}

/* An attribute; omitted when v is NULL. */
static void pap_str(struct pap_enc *e, const char *name, const char *v)
{
	if (e->err || !v)
		return;
	if (!pap_xml_text_ok(v) ||
	    xmlTextWriterWriteAttribute(e->w, BAD_CAST name, BAD_CAST v) < 0)
		e->err = 1;
}

/* A status code attribute; omitted when 0. */
static void pap_code(struct pap_enc *e, const char *name, int code)
{
	char buf[16];

	if (code) {
		snprintf(buf, sizeof buf, "%d", code);
		pap_str(e, name, buf);
	}
}

/* A datetime attribute; omitted when 0. */
static void pap_time(struct pap_enc *e, const char *name, time_t t)
{
	char buf[21];

	if (t) {
		pap_time_encode(t, buf);
		pap_str(e, name, buf);
	}
}

/* A boolean attribute; written only when true (the DTD default is false). */
static void pap_bool(struct pap_enc *e, const char *name, int b)
{
	if (b)
		pap_str(e, name, "true");
}

/* One <address>: the raw address-value when known, else the canonical one. */
static void pap_address(struct pap_enc *e, const struct pap_msg_addr *a)
{
	char buf[PAP_ADDR_VALUE_MAX * 3 + PAP_ADDR_PPG_MAX + 64];
	const char *v = a->raw;

	if (!v) {
		if (!a->ok || pap_addr_encode(&a->addr, buf, sizeof buf) < 0) {
			e->err = 1;
			return;
		}
		v = buf;
	}
	pap_start(e, "address");
	pap_str(e, "address-value", v);
	pap_end(e);
}

static void pap_addresses(struct pap_enc *e, const struct pap_msg *m)
{
	for (size_t i = 0; i < m->naddrs; i++)
		pap_address(e, &m->addrs[i]);
}

static void pap_raw_addresses(struct pap_enc *e, char **a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!a[i]) {
			e->err = 1;
			return;
		}
		pap_start(e, "address");
		pap_str(e, "address-value", a[i]);
		pap_end(e);
	}
}

/* <quality-of-service> with the attributes that differ from the defaults. */
static void pap_qos(struct pap_enc *e, const struct pap_qos *q)
{
	static const char *const prio[] = { NULL, "high", NULL, "low" };
	static const char *const dm[] = { NULL, "confirmed", "preferconfirmed", "unconfirmed" };

	if (!q->present)
		return;
	if ((unsigned)q->priority > PAP_PRIO_LOW || (unsigned)q->delivery_method > PAP_DM_UNCONFIRMED) {
		e->err = 1;
		return;
	}
	pap_start(e, "quality-of-service");
	pap_str(e, "priority", prio[q->priority]);
	pap_str(e, "delivery-method", dm[q->delivery_method]);
	if (q->network[0])
		pap_str(e, "network", q->network);
	pap_bool(e, "network-required", q->network_required);
	if (q->bearer[0])
		pap_str(e, "bearer", q->bearer);
	pap_bool(e, "bearer-required", q->bearer_required);
	pap_end(e);
}

static void pap_push_message(struct pap_enc *e, const struct pap_msg *m)
{
	pap_start(e, "push-message");
	pap_str(e, "push-id", m->push_id);
	if (m->version != PAP_V1_0) {
		pap_str(e, "replace-push-id", m->replace_push_id);
		if (m->replace_method == PAP_REPLACE_PENDING_ONLY)
			pap_str(e, "replace-method", "pending-only");
	}
	pap_time(e, "deliver-before-timestamp", m->deliver_before);
	pap_time(e, "deliver-after-timestamp", m->deliver_after);
	pap_str(e, "source-reference", m->source_reference);
	pap_str(e, "ppg-notify-requested-to", m->ppg_notify_requested_to);
	pap_bool(e, "progress-notes-requested", m->progress_notes_requested);
	pap_addresses(e, m);
	pap_qos(e, &m->qos);
	pap_end(e);
}

/* cancel-message, statusquery-message: push-id and address*. */
static void pap_pushid_message(struct pap_enc *e, const char *name, const struct pap_msg *m)
{
	pap_start(e, name);
	pap_str(e, "push-id", m->push_id);
	pap_addresses(e, m);
	pap_end(e);
}

static void pap_push_response(struct pap_enc *e, const struct pap_msg *m)
{
	int code = m->code;
	const char *desc = m->desc;

	if (!code && m->nresults) {
		code = m->results[0].code;
		desc = m->results[0].desc;
	}
	pap_start(e, "push-response");
	pap_str(e, "push-id", m->push_id);
	pap_str(e, "sender-address", m->sender_address);
	pap_str(e, "sender-name", m->sender_name);
	pap_time(e, "reply-time", m->reply_time);
	for (size_t i = 0; i < m->nnotes; i++) {
		pap_start(e, "progress-note");
		pap_str(e, "stage", m->notes[i].stage);
		pap_str(e, "note", m->notes[i].note);
		pap_time(e, "time", m->notes[i].time);
		pap_end(e);
	}
	pap_start(e, "response-result");
	pap_code(e, "code", code);
	pap_str(e, "desc", desc);
	pap_end(e);
	pap_end(e);
}

/* cancel-response / statusquery-response with their result elements. */
static void pap_results_response(struct pap_enc *e, const char *name, const char *rname,
    int with_state, const struct pap_msg *m)
{
	pap_start(e, name);
	pap_str(e, "push-id", m->push_id);
	for (size_t i = 0; i < m->nresults; i++) {
		const struct pap_result *r = &m->results[i];
		pap_start(e, rname);
		if (with_state) {
			pap_time(e, "event-time", r->event_time);
			pap_str(e, "message-state", pap_state_str(r->state));
		}
		pap_code(e, "code", r->code);
		pap_str(e, "desc", r->desc);
		pap_raw_addresses(e, r->addrs, r->naddrs);
		pap_end(e);
	}
	pap_end(e);
}

static void pap_message(struct pap_enc *e, const struct pap_msg *m)
{
	switch (m->type) {
	case PAP_MSG_PUSH:
		pap_push_message(e, m);
		break;
	case PAP_MSG_CANCEL:
		pap_pushid_message(e, "cancel-message", m);
		break;
	case PAP_MSG_STATUSQUERY:
		pap_pushid_message(e, "statusquery-message", m);
		break;
	case PAP_MSG_CCQ:
	case PAP_MSG_CCQ_RESPONSE:
		/* PAP 2.x DTD: ccq-message and ccq-response hold ( address ): one. */
		if (m->naddrs != 1) {
			e->err = 1;
			break;
		}
		pap_start(e, m->type == PAP_MSG_CCQ ? "ccq-message" : "ccq-response");
		pap_str(e, "query-id", m->query_id);
		if (m->type == PAP_MSG_CCQ) {
			pap_str(e, "app-id", m->app_id);
		} else {
			pap_code(e, "code", m->code);
			pap_str(e, "desc", m->desc);
		}
		pap_addresses(e, m);
		pap_end(e);
		break;
	case PAP_MSG_RESULTNOTIFICATION_RESPONSE:
		pap_start(e, "resultnotification-response");
		pap_str(e, "push-id", m->push_id);
		pap_code(e, "code", m->code);
		pap_str(e, "desc", m->desc);
		pap_addresses(e, m);
		pap_end(e);
		break;
	case PAP_MSG_PUSH_RESPONSE:
		pap_push_response(e, m);
		break;
	case PAP_MSG_CANCEL_RESPONSE:
		pap_results_response(e, "cancel-response", "cancel-result", 0, m);
		break;
	case PAP_MSG_STATUSQUERY_RESPONSE:
		pap_results_response(e, "statusquery-response", "statusquery-result", 1, m);
		break;
	case PAP_MSG_RESULTNOTIFICATION:
		pap_start(e, "resultnotification-message");
		pap_str(e, "push-id", m->push_id);
		pap_str(e, "sender-address", m->sender_address);
		pap_str(e, "sender-name", m->sender_name);
		pap_time(e, "received-time", m->received_time);
		pap_time(e, "event-time", m->event_time);
		pap_str(e, "message-state", pap_state_str(m->state));
		pap_code(e, "code", m->code);
		pap_str(e, "desc", m->desc);
		pap_addresses(e, m);
		pap_qos(e, &m->qos);
		pap_end(e);
		break;
	case PAP_MSG_BADMESSAGE_RESPONSE:
		pap_start(e, "badmessage-response");
		pap_code(e, "code", m->code);
		pap_str(e, "desc", m->desc);
		pap_str(e, "bad-message-fragment", m->bad_fragment);
		pap_end(e);
		break;
	default:
		e->err = 1;
	}
}

/*
 * Encodes m as '<?xml version="1.0"?>', the DOCTYPE of m->version and <pap>
 * holding the element of m->type. Attributes whose value is NULL or 0 are
 * left out, and so are quality-of-service attributes with their default
 * value; replace-push-id and replace-method are not written in PAP 1.0.
 * Returns a malloc'ed NUL-terminated document and its length in *len (when
 * len is not NULL), or NULL when out of memory or when m is invalid: unknown
 * type or version, a string that is not valid UTF-8 or holds a character XML
 * cannot carry, an address without raw value that does not encode.
 */
char *pap_msg_encode(const struct pap_msg *m, size_t *len)
{
	static const struct {
		enum pap_version v;
		const char *pub, *sys;
	} dtds[] = {
		{ PAP_V1_0, "-//WAPFORUM//DTD PAP 1.0//EN", "http://www.wapforum.org/DTD/pap_1.0.dtd" },
		{ PAP_V2_0, "-//WAPFORUM//DTD PAP 2.0//EN", "http://www.wapforum.org/DTD/pap_2.0.dtd" },
		{ PAP_V2_1, "-//WAPFORUM//DTD PAP 2.1//EN",
		  "http://www.openmobilealliance.org/tech/DTD/pap_2.1.dtd" },
	};
	struct pap_enc e = { NULL, 0 };
	xmlBufferPtr buf;
	char *out = NULL;
	size_t i;

	if (!m)
		return NULL;
	for (i = 0; i < sizeof dtds / sizeof dtds[0]; i++)
		if (dtds[i].v == m->version)
			break;
	if (i == sizeof dtds / sizeof dtds[0])
		return NULL;
	if (!(buf = xmlBufferCreate()))
		return NULL;
	if (!(e.w = xmlNewTextWriterMemory(buf, 0))) {
		xmlBufferFree(buf);
		return NULL;
	}
	if (xmlTextWriterStartDocument(e.w, "1.0", NULL, NULL) < 0 ||
	    xmlTextWriterWriteDTD(e.w, BAD_CAST "pap", BAD_CAST dtds[i].pub,
	    BAD_CAST dtds[i].sys, NULL) < 0 || xmlTextWriterWriteString(e.w, BAD_CAST "\n") < 0)
		e.err = 1;
	pap_start(&e, "pap");
	pap_str(&e, "product-name", m->product_name);
	pap_message(&e, m);
	pap_end(&e);
	if (!e.err && xmlTextWriterEndDocument(e.w) < 0)
		e.err = 1;
	xmlFreeTextWriter(e.w);   /* flushes into buf */
	if (!e.err) {
		size_t n = (size_t)xmlBufferLength(buf);
		if ((out = malloc(n + 1))) {
			memcpy(out, xmlBufferContent(buf), n);
			out[n] = '\0';
			if (len)
				*len = n;
		}
	}
	xmlBufferFree(buf);
	return out;
}
