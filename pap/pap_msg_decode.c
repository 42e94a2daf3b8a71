/*
 * pap_msg_decode.c - PAP XML documents to struct pap_msg.
 *
 * Implements the message elements of WAP-247-PAP-20010429-a §9 (PAP 2.0),
 * OMA-WAP-PAP-V2_1 and WAP-164 (PAP 1.0), and
 * spec/pap_2.x_reconstructed.dtd: one message element under <pap>, its
 * attributes, enumerations and children, checked by hand (the DTD is never
 * loaded; only its public identifier selects the version).
 *
 * Hostile input: the parser never substitutes entities, never loads a DTD or
 * anything from the network, and a document that declares an entity at all
 * is refused (PAP needs none; this shuts out external entities and
 * expansion bombs whatever the libxml2 version). Nesting depth, document and
 * attribute sizes are bounded by struct pap_limits. libxml2 reports through
 * a structured handler on this parser context only; no global state is set.
 */
#include "pap/pap_msg_int.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlversion.h>

#define PAP_DOC_FRAGMENT 200    /* bytes of a malformed document quoted back */

/* ------------------------------------------------------------ errors */

/* Appends s to the fragment buffer, never splitting a UTF-8 sequence. */
static void pap_frag_put(char *buf, size_t cap, size_t *pos, const char *s, size_t n)
{
	if (*pos + n + 1 > cap) {
		n = cap - 1 - *pos;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(buf + *pos, s, n);
	*pos += n;
	buf[*pos] = '\0';
}

/* The start tag of el ("<address address-value="x">"), for bad-message-fragment. */
static void pap_frag_elem(struct pap_dec *d, xmlNodePtr el)
{
	char *f = d->err->fragment;
	size_t cap = sizeof d->err->fragment, pos = 0;

	f[0] = '\0';
	pap_frag_put(f, cap, &pos, "<", 1);
	pap_frag_put(f, cap, &pos, (const char *)el->name, strlen((const char *)el->name));
	for (xmlAttrPtr a = el->properties; a; a = a->next) {
		xmlChar *v = xmlNodeListGetString(d->doc, a->children, 1);
		const char *vs = v ? (const char *)v : "";
		pap_frag_put(f, cap, &pos, " ", 1);
		pap_frag_put(f, cap, &pos, (const char *)a->name, strlen((const char *)a->name));
		pap_frag_put(f, cap, &pos, "=\"", 2);
		pap_frag_put(f, cap, &pos, vs, strlen(vs));
		pap_frag_put(f, cap, &pos, "\"", 1);
		xmlFree(v);
	}
	pap_frag_put(f, cap, &pos, ">", 1);
}

/* The first bytes of a document that did not parse: invalid UTF-8 and
 * control characters become '?', so the fragment can be sent back in XML. */
static void pap_frag_raw(struct pap_error *err, const char *s, size_t len)
{
	size_t o = 0, i = 0;

	if (len > PAP_DOC_FRAGMENT)
		len = PAP_DOC_FRAGMENT;
	while (i < len && o + 5 < sizeof err->fragment) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 :
		    c >= 0xF0 && c <= 0xF4 ? 3 : 9;
		int ok = k != 9 && i + k < len;
		for (size_t j = 1; ok && j <= k; j++)
			ok = ((unsigned char)s[i + j] & 0xC0) == 0x80;
		if (ok && k == 2 && ((c == 0xE0 && (unsigned char)s[i + 1] < 0xA0) ||
		    (c == 0xED && (unsigned char)s[i + 1] >= 0xA0)))
			ok = 0;
		if (ok && k == 3 && ((c == 0xF0 && (unsigned char)s[i + 1] < 0x90) ||
		    (c == 0xF4 && (unsigned char)s[i + 1] >= 0x90)))
			ok = 0;
		if (!ok || (k == 0 && ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    c == 0x7F))) {
			err->fragment[o++] = '?';
			i++;
			continue;
		}
		memcpy(err->fragment + o, s + i, k + 1);
		o += k + 1;
		i += k + 1;
	}
	err->fragment[o] = '\0';
}

/* See pap_msg_int.h. */
int pap_dec_fail(struct pap_dec *d, int rc, int code, xmlNodePtr el, const char *fmt, ...)
{
	va_list ap;

	d->err->code = code;
	va_start(ap, fmt);
	vsnprintf(d->err->desc, sizeof d->err->desc, fmt, ap);
	va_end(ap);
	if (el)
		pap_frag_elem(d, el);
	return rc;
}

/* -------------------------------------------------------- SAX hooks */

#if LIBXML_VERSION >= 21200
static void pap_sax_error(void *ctx, const xmlError *e)
#else
static void pap_sax_error(void *ctx, xmlErrorPtr e)
#endif
{
	struct pap_dec *d = ((xmlParserCtxtPtr)ctx)->_private;

	if (d && !d->xmlerr[0] && e && e->message && e->level >= XML_ERR_ERROR) {
		snprintf(d->xmlerr, sizeof d->xmlerr, "%s", e->message);
		d->xmlerr[strcspn(d->xmlerr, "\r\n")] = '\0';
	}
}

static void pap_sax_entity(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
    const xmlChar *sys, xmlChar *content)
{
	xmlParserCtxtPtr c = ctx;

	((struct pap_dec *)c->_private)->entity = 1;
	xmlStopParser(c);
}

static void pap_sax_unparsed(void *ctx, const xmlChar *name, const xmlChar *pub,
    const xmlChar *sys, const xmlChar *notation)
{
	pap_sax_entity(ctx, name, 0, pub, sys, NULL);
}

static xmlParserInputPtr pap_sax_resolve(void *ctx, const xmlChar *pub, const xmlChar *sys)
{
	return NULL;    /* nothing outside the document is ever read */
}

static void pap_sax_start(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **ns, int nattr, int ndef, const xmlChar **attrs)
{
	xmlParserCtxtPtr c = ctx;
	struct pap_dec *d = c->_private;

	if (++d->depth > d->lim->max_depth) {
		d->too_deep = 1;
		xmlStopParser(c);
		return;
	}
	xmlSAX2StartElementNs(ctx, local, prefix, uri, nns, ns, nattr, ndef, attrs);
}

static void pap_sax_end(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri)
{
	struct pap_dec *d = ((xmlParserCtxtPtr)ctx)->_private;

	d->depth--;
	xmlSAX2EndElementNs(ctx, local, prefix, uri);
}

/* ------------------------------------------------------------ version */

/* Maps "2.0", "1.*", ... (first entry of a wap-pap-ver list) to a version. */
static int pap_ver_token(const char *s, enum pap_version *v)
{
	if (!strncmp(s, "1.", 2) || !strcmp(s, "1"))
		*v = PAP_V1_0;
	else if (!strncmp(s, "2.0", 3))
		*v = PAP_V2_0;
	else if (!strncmp(s, "2.1", 3) || !strncmp(s, "2.*", 3))
		*v = PAP_V2_1;
	else
		return -1;
	return 0;
}

/* Looks for <?wap-pap-ver supported-versions="..."?> among the children of n. */
static int pap_ver_pi(xmlNodePtr n, enum pap_version *v)
{
	for (; n; n = n->next) {
		if (n->type != XML_PI_NODE || strcmp((const char *)n->name, "wap-pap-ver") ||
		    !n->content)
			continue;
		const char *q = strstr((const char *)n->content, "supported-versions");
		if (!q || !(q = strpbrk(q, "\"'")))
			continue;
		char tok[16];
		size_t k = strcspn(q + 1, ",\"' ");
		if (k >= sizeof tok)
			return -1;
		memcpy(tok, q + 1, k);
		tok[k] = '\0';
		return pap_ver_token(tok, v) < 0 ? -1 : 1;
	}
	return 0;
}

/*
 * The PAP version of doc: the DOCTYPE public identifier, else its system
 * identifier (pap_X.Y.dtd), else a wap-pap-ver processing instruction, else
 * 2.1. Returns 0, or -1 for a PAP version that is not 1.0, 2.0 or 2.1.
 */
static int pap_version_of(xmlDocPtr doc, enum pap_version *v)
{
	static const struct {
		const char *pub;
		enum pap_version v;
	} ids[] = {
		{ "-//WAPFORUM//DTD PAP//EN", PAP_V1_0 },
		{ "-//WAPFORUM//DTD PAP 1.0//EN", PAP_V1_0 },
		{ "-//WAPFORUM//DTD PAP 2.0//EN", PAP_V2_0 },
		{ "-//WAPFORUM//DTD PAP 2.1//EN", PAP_V2_1 },
		{ "-//OMA//DTD PAP 2.1//EN", PAP_V2_1 },
	};
	xmlDtdPtr dtd = doc->intSubset;
	int rc;

	*v = PAP_V2_1;
	if (dtd && dtd->ExternalID) {
		const char *pub = (const char *)dtd->ExternalID;
		for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
			if (!strcasecmp(pub, ids[i].pub)) {
				*v = ids[i].v;
				return 0;
			}
		}
		if (strstr(pub, "DTD PAP"))
			return -1;
	}
	if (dtd && dtd->SystemID) {
		const char *sys = (const char *)dtd->SystemID;
		const char *base = strrchr(sys, '/') ? strrchr(sys, '/') + 1 : sys;
		if (!strcasecmp(base, "pap_1.0.dtd")) {
			*v = PAP_V1_0;
			return 0;
		} else if (!strcasecmp(base, "pap_2.0.dtd")) {
			*v = PAP_V2_0;
			return 0;
		} else if (!strcasecmp(base, "pap_2.1.dtd")) {
			*v = PAP_V2_1;
			return 0;
		} else if (!strncasecmp(base, "pap_", 4)) {
			return -1;
		}
	}
	rc = pap_ver_pi(doc->children, v);
	if (rc == 0 && dtd)
		rc = pap_ver_pi(dtd->children, v);
	return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------ decode */

/*
 * Decodes one PAP XML document of len bytes (see pap.h). lim may be NULL for
 * PAP_LIMITS_DEFAULT; err may be NULL.
 *
 * Returns 0 and *out (free with pap_msg_free), or:
 *   -EINVAL  err->code 2000: not well-formed, an entity declaration, no <pap>
 *            root, an unknown or misplaced element, an unknown attribute, a
 *            bad enumerated value, timestamp or status code, a missing
 *            required attribute or child; 3002: a PAP version other than
 *            1.0, 2.0 and 2.1;
 *   -E2BIG   err->code 2000: longer than lim->max_doc, nested deeper than
 *            lim->max_depth, an attribute longer than lim->max_attr, more
 *            than lim->max_addrs <address> elements;
 *   -ENOMEM  err->code 3000.
 * err->fragment holds the offending start tag, or the first 200 bytes of a
 * document that is not well-formed; err->version the version to answer in.
 */
int pap_msg_decode(const char *xml, size_t len, const struct pap_limits *lim,
    struct pap_msg **out, struct pap_error *err)
{
	static const struct pap_limits deflim = PAP_LIMITS_DEFAULT;
	struct pap_error dummy;
	struct pap_dec d;
	xmlParserCtxtPtr ctxt;
	xmlNodePtr root;
	enum pap_version v;
	int rc;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof *err);
	err->version = PAP_V2_1;
	memset(&d, 0, sizeof d);
	d.lim = lim ? lim : &deflim;
	d.err = err;
	if (!out || (!xml && len))
		return pap_dec_fail(&d, -EINVAL, PAP_BAD_REQUEST, NULL, "no document");
	*out = NULL;
	if (len > d.lim->max_doc || len > INT_MAX)
		return pap_dec_fail(&d, -E2BIG, PAP_BAD_REQUEST, NULL,
		    "document is longer than %zu bytes", d.lim->max_doc);
	if (len == 0)
		return pap_dec_fail(&d, -EINVAL, PAP_BAD_REQUEST, NULL, "empty document");

	if (!(ctxt = xmlNewParserCtxt()))
		return pap_dec_fail(&d, -ENOMEM, PAP_INTERNAL_ERROR, NULL, "out of memory");
	ctxt->_private = &d;
	ctxt->sax->serror = pap_sax_error;
	ctxt->sax->entityDecl = pap_sax_entity;
	ctxt->sax->unparsedEntityDecl = pap_sax_unparsed;
	ctxt->sax->resolveEntity = pap_sax_resolve;
	ctxt->sax->startElementNs = pap_sax_start;
	ctxt->sax->endElementNs = pap_sax_end;
	/* Never XML_PARSE_NOENT, DTDLOAD, DTDATTR, DTDVALID or HUGE: the
	 * built-in entity amplification limits stay on. */
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
#if LIBXML_VERSION >= 21300
	opts |= XML_PARSE_NO_XXE;    /* absent from 2.9.14 (Debian 12) */
#endif
	d.doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL, opts);
	int wf = d.doc && ctxt->wellFormed && !d.entity && !d.too_deep;
	xmlFreeParserCtxt(ctxt);

	if (d.too_deep) {
		rc = pap_dec_fail(&d, -E2BIG, PAP_BAD_REQUEST, NULL,
		    "elements are nested deeper than %d", d.lim->max_depth);
		goto done;
	}
	if (!wf) {
		if (d.entity)
			rc = pap_dec_fail(&d, -EINVAL, PAP_BAD_REQUEST, NULL,
			    "entity declarations are not allowed in a PAP document");
		else
			rc = pap_dec_fail(&d, -EINVAL, PAP_BAD_REQUEST, NULL,
			    "not well-formed XML: %s", d.xmlerr[0] ? d.xmlerr : "parse error");
		pap_frag_raw(err, xml, len);
		goto done;
	}
	if (!(root = xmlDocGetRootElement(d.doc))) {
		rc = pap_dec_fail(&d, -EINVAL, PAP_BAD_REQUEST, NULL, "document has no root element");
		goto done;
	}
	if (pap_version_of(d.doc, &v) < 0) {
		const char *id = d.doc->intSubset && d.doc->intSubset->ExternalID ?
		    (const char *)d.doc->intSubset->ExternalID : "";
		rc = pap_dec_fail(&d, -EINVAL, PAP_VERSION_NOT_SUPPORTED, root,
		    "PAP version not supported: %.120s", id);
		goto done;
	}
	err->version = v;
	if ((rc = pap_dec_attr_sizes(&d, root)) < 0)
		goto done;
	if (!(d.m = calloc(1, sizeof *d.m))) {
		rc = pap_dec_fail(&d, -ENOMEM, PAP_INTERNAL_ERROR, NULL, "out of memory");
		goto done;
	}
	d.m->version = v;
	rc = pap_dec_root(&d, root);
	if (rc < 0)
		pap_msg_free(d.m);
	else
		*out = d.m;
done:
	xmlFreeDoc(d.doc);
	return rc;
}

static void pap_result_clear(struct pap_result *r)
{
	free(r->desc);
	for (size_t i = 0; i < r->naddrs; i++)
		free(r->addrs[i]);
	free(r->addrs);
}

/* Releases m and everything it owns. Accepts NULL. */
void pap_msg_free(struct pap_msg *m)
{
	if (!m)
		return;
	free(m->product_name);
	free(m->push_id);
	free(m->replace_push_id);
	free(m->source_reference);
	free(m->ppg_notify_requested_to);
	for (size_t i = 0; i < m->naddrs; i++)
		free(m->addrs[i].raw);
	free(m->addrs);
	free(m->query_id);
	free(m->app_id);
	free(m->sender_address);
	free(m->sender_name);
	free(m->desc);
	free(m->bad_fragment);
	for (size_t i = 0; i < m->nresults; i++)
		pap_result_clear(&m->results[i]);
	free(m->results);
	for (size_t i = 0; i < m->nnotes; i++) {
		free(m->notes[i].stage);
		free(m->notes[i].note);
	}
	free(m->notes);
	free(m);
}
