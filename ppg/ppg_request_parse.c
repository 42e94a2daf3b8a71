/*
 * ppg_request_parse.c - from a PAP message to a request ready to execute
 * (WAP-247 PAP §5-§9, WAP-249 PPG Service §6): MIME and XML decoding, the
 * checks of addresses and timestamps that need no database, and the answers
 * that need none (ccq-message, badmessage-response). Runs in an HTTP worker.
 */
#include "ppg/ppg_request_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppg/ppg_stats.h"

static const struct pap_limits *limits_of(const struct ppg_config *cfg, struct pap_limits *l)
{
	l->max_doc = cfg->max_body;
	l->max_depth = cfg->max_xml_depth;
	l->max_attr = cfg->max_attribute;
	l->max_addrs = cfg->max_addresses;
	return l;
}

/* A copy of n bytes and a NUL after them: headers become a C string, a
 * binary body keeps its length. NULL when out of memory. */
static char *dupn(const void *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		if (n)
			memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* Checks of a push-message that need no state. Returns 0 when it may go on. */
static int check_push(struct ppg_request *req, int64_t now_ms)
{
	struct pap_msg *m = req->msg;
	char desc[PAP_ADDR_VALUE_MAX + 128];

	if (m->naddrs > 1 && !req->cfg->multiple_addresses) {
		ppg_request_answer_push(req, PAP_MULTIPLE_ADDR_NOT_SUPP, NULL);
		return -1;
	}
	for (size_t i = 0; i < m->naddrs; i++) {
		if (!m->addrs[i].ok) {
			snprintf(desc, sizeof desc, "Address error: %.256s: %s", m->addrs[i].raw,
			    m->addrs[i].reason ? m->addrs[i].reason : "does not parse");
			ppg_request_answer_push(req, PAP_ADDRESS_ERROR, desc);
			return -1;
		}
	}
	if (m->deliver_before && (int64_t)m->deliver_before * 1000 <= now_ms) {
		ppg_request_answer_push(req, PAP_BAD_REQUEST, "deliver-before-timestamp has already passed");
		return -1;
	}
	if (m->deliver_before && m->deliver_after && m->deliver_after >= m->deliver_before) {
		ppg_request_answer_push(req, PAP_BAD_REQUEST, "deliver-after-timestamp is not before deliver-before-timestamp");
		return -1;
	}
	return 0;
}

/* Splits a multipart/related push into control and content entities. */
static int parse_multipart(struct ppg_request *req, const char *ctype, const unsigned char *body,
    size_t len, const struct pap_limits *lim, struct pap_error *perr)
{
	struct pap_mime mime = { 0 };
	const char *reason = NULL;
	int r;

	if (pap_mime_decode(ctype, body, len, &mime, &reason) < 0) {
		ppg_request_answer_bad(req, PAP_BAD_REQUEST, reason ? reason : "malformed multipart body", ctype);
		return -1;
	}
	const struct pap_mime_part *ctl = &mime.parts[0];
	r = pap_msg_decode((const char *)ctl->body, ctl->body_len, lim, &req->msg, perr);
	if (r < 0) {
		pap_mime_free(&mime);
		return r;
	}
	req->version = req->msg->version;
	if (req->msg->type == PAP_MSG_PUSH) {
		if (mime.nparts < 2) {
			pap_mime_free(&mime);
			ppg_request_answer_bad(req, PAP_BAD_REQUEST, "push-message without a content entity", NULL);
			return -1;
		}
		const struct pap_mime_part *c = &mime.parts[1];
		const char *ct = pap_mime_header(c, "Content-Type");
		const char *app = pap_mime_header(c, "X-Wap-Application-Id");
		if (!ct || !*ct) {
			pap_mime_free(&mime);
			ppg_request_answer_bad(req, PAP_BAD_REQUEST, "the content entity has no Content-Type", NULL);
			return -1;
		}
		req->content_type = strdup(ct);
		req->app_id = app ? strdup(app) : NULL;
		req->content_headers = dupn(c->raw_headers, c->raw_headers_len);
		req->content_headers_len = c->raw_headers_len;
		req->content = (unsigned char *)dupn(c->body, c->body_len);
		req->content_len = c->body_len;
		if (!req->content_type || (app && !req->app_id) || !req->content_headers || !req->content) {
			pap_mime_free(&mime);
			ppg_request_answer_bad(req, PAP_INTERNAL_ERROR, "out of memory", NULL);
			return -1;
		}
	}
	pap_mime_free(&mime);
	return 0;
}

struct ppg_request *ppg_request_parse(const struct ppg_config *cfg, const char *pi,
    const char *ctype, const unsigned char *body, size_t len, int64_t now_ms)
{
	struct ppg_request *req = calloc(1, sizeof *req);
	struct pap_limits lim;
	struct pap_error perr = { 0 };
	char mtype[64];
	int r;

	if (!req)
		return NULL;
	req->cfg = cfg;
	req->pi = strdup(pi ? pi : "");
	req->received_ms = now_ms;
	req->received_us = ppg_stats_mono_us();
	req->version = PAP_V2_1;
	limits_of(cfg, &lim);

	if (!ctype || pap_mime_type(ctype, mtype, sizeof mtype) < 0) {
		ppg_request_answer_bad(req, PAP_BAD_REQUEST, "missing or malformed Content-Type", ctype);
		return req;
	}
	if (!strcmp(mtype, "multipart/related")) {
		r = parse_multipart(req, ctype, body, len, &lim, &perr);
		if (r == -1)
			return req;
	} else if (!strcmp(mtype, "application/xml") || !strcmp(mtype, "text/xml")) {
		r = pap_msg_decode((const char *)body, len, &lim, &req->msg, &perr);
		if (r == 0 && req->msg->type == PAP_MSG_PUSH) {
			req->version = req->msg->version;
			ppg_request_answer_bad(req, PAP_BAD_REQUEST,
			    "a push-message must come as multipart/related with a content entity", ctype);
			return req;
		}
	} else {
		ppg_request_answer_bad(req, PAP_BAD_REQUEST,
		    "Content-Type must be multipart/related (push-message) or application/xml", ctype);
		return req;
	}
	if (r < 0) {
		req->version = perr.version ? perr.version : PAP_V2_1;
		ppg_request_answer_bad(req, perr.code ? perr.code : PAP_BAD_REQUEST,
		    perr.desc[0] ? perr.desc : "malformed PAP document", perr.fragment);
		return req;
	}
	req->version = req->msg->version;
	switch (req->msg->type) {
	case PAP_MSG_PUSH:
		if (check_push(req, now_ms) == 0)
			req->need = PPG_REQ_WRITE;
		break;
	case PAP_MSG_CANCEL:
		req->need = PPG_REQ_WRITE;
		break;
	case PAP_MSG_STATUSQUERY:
		req->need = PPG_REQ_READ;
		break;
	case PAP_MSG_CCQ:
		/* answered from what the terminals told (ppg_request_ccq.c) */
		req->need = PPG_REQ_READ;
		break;
	case PAP_MSG_RESULTNOTIFICATION_RESPONSE:
		/* The PI acknowledges a result notification; nothing to answer in PAP. */
		req->need = PPG_REQ_DONE;
		req->http_status = cfg->success_status;
		req->result_code = req->msg->code;
		break;
	default:
		ppg_request_answer_bad(req, PAP_BAD_REQUEST, "not a message a Push Initiator sends to a PPG", NULL);
		break;
	}
	return req;
}
