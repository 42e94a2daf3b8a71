/*
 * ota_wbxml.c - SI, SL and CO documents: XML to WBXML (the compiler), and
 * the token tables shared with ota_wbxml_decode.c.
 *
 * Implements
 *   WAP-192-WBXML-20010725-a §5.4-§5.8 (document structure, mb_u_int32,
 *     global tokens STR_I/STR_T/END/ENTITY/OPAQUE/SWITCH_PAGE, tag and
 *     attribute code spaces) and §7.2.1 public identifiers;
 *   WAP-167-ServiceInd-20010731-a §7 (DTD) and §8 (tokens, §8.2.2 dates as
 *     OPAQUE packed digits with trailing zero octets dropped);
 *   WAP-168-ServiceLoad-20010731-a §7 (DTD) and §8 (tokens);
 *   WAP-175-CacheOp-20010731-a §6 (DTD) and §7 (tokens): tags co 05,
 *     invalidate-object 06, invalidate-service 07; attributes uri 05,
 *     uri=http:// 06, http://www. 07, https:// 08, https://www. 09; values
 *     .com/ 85 .edu/ 86 .net/ 87 .org/ 88. Its public identifier
 *     "-//WAPFORUM//DTD CO 1.0//EN" is 0x07 (WAP-192 §7.2.1 / OMNA WBXML
 *     public ids: 05 SI 1.0, 06 SL 1.0, 07 CO 1.0, 0B is PROV 1.0).
 * Token tables as in ../vectors/wbxml/README.md (Kannel, gnokii) and
 * checked against Wireshark packet-wbxml.c and libwbxml wbxml_tables.c.
 *
 * Output is WBXML 1.2, UTF-8 (MIBenum 106), empty string table. Text content
 * is whitespace-normalised the way Kannel does (runs of blanks become one
 * space, leading and trailing blanks go). URL attributes take the LONGEST
 * prefix token (https://www. before https://); Kannel's SL compiler picks
 * https:// first, which is valid but longer (see test_ota_wbxml.c).
 *
 * Hostile input: libxml2 never substitutes entities, never loads a DTD or
 * anything from the network, and a document declaring an entity is refused.
 */
#include "otabearer/ota_wbxml_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlversion.h>

static const struct wbx_elem si_elems[] = {
	{ "si", 0x05, " ", NULL, " indication info ", 0 },
	{ "indication", 0x06, " href si-id created si-expires action ", NULL, NULL, 1 },
	{ "info", 0x07, " ", NULL, " item ", 0 },
	{ "item", 0x08, " class ", "class", NULL, 1 },
};
static const struct wbx_attr si_attrs[] = {
	{ 0x05, "action", "signal-none" }, { 0x06, "action", "signal-low" },
	{ 0x07, "action", "signal-medium" }, { 0x08, "action", "signal-high" },
	{ 0x09, "action", "delete" }, { 0x0A, "created", "" }, { 0x0B, "href", "" },
	{ 0x0C, "href", "http://" }, { 0x0D, "href", "http://www." },
	{ 0x0E, "href", "https://" }, { 0x0F, "href", "https://www." },
	{ 0x10, "si-expires", "" }, { 0x11, "si-id", "" }, { 0x12, "class", "" },
};
static const struct wbx_elem sl_elems[] = {
	{ "sl", 0x05, " href action ", "href", NULL, 0 },
};
static const struct wbx_attr sl_attrs[] = {
	{ 0x05, "action", "execute-low" }, { 0x06, "action", "execute-high" },
	{ 0x07, "action", "cache" }, { 0x08, "href", "" }, { 0x09, "href", "http://" },
	{ 0x0A, "href", "http://www." }, { 0x0B, "href", "https://" },
	{ 0x0C, "href", "https://www." },
};
static const struct wbx_elem co_elems[] = {
	{ "co", 0x05, " ", NULL, " invalidate-object invalidate-service ", 0 },
	{ "invalidate-object", 0x06, " uri ", "uri", NULL, 0 },
	{ "invalidate-service", 0x07, " uri ", "uri", NULL, 0 },
};
static const struct wbx_attr co_attrs[] = {
	{ 0x05, "uri", "" }, { 0x06, "uri", "http://" }, { 0x07, "uri", "http://www." },
	{ 0x08, "uri", "https://" }, { 0x09, "uri", "https://www." },
};
#define N(a) (sizeof a / sizeof a[0])
const struct wbx_doc ota_wbxml_docs[WBX_NDOCS] = {
	{ OTA_WBXML_SI, "si", "-//WAPFORUM//DTD SI 1.0//EN", "http://www.wapforum.org/DTD/si.dtd",
	  "href", si_elems, N(si_elems), si_attrs, N(si_attrs) },
	{ OTA_WBXML_SL, "sl", "-//WAPFORUM//DTD SL 1.0//EN", "http://www.wapforum.org/DTD/sl.dtd",
	  "href", sl_elems, N(sl_elems), sl_attrs, N(sl_attrs) },
	{ OTA_WBXML_CO, "co", "-//WAPFORUM//DTD CO 1.0//EN", "http://www.wapforum.org/DTD/co.dtd",
	  "uri", co_elems, N(co_elems), co_attrs, N(co_attrs) },
};
/* Attribute value tokens, the same in SI, SL and CO. */
const char *const ota_wbxml_values[WBX_NVALUES] = { ".com/", ".edu/", ".net/", ".org/" };

/* See ota.h. */
const char *ota_wbxml_compiled_type(const char *ct)
{
	static const char *const map[][2] = {
		{ "text/vnd.wap.si", "application/vnd.wap.sic" },
		{ "text/vnd.wap.sl", "application/vnd.wap.slc" },
		{ "text/vnd.wap.co", "application/vnd.wap.coc" },
	};
	size_t n;

	if (!ct)
		return NULL;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	n = strcspn(ct, "; \t");
	for (size_t i = 0; i < N(map); i++)
		if (strlen(map[i][0]) == n && !strncasecmp(ct, map[i][0], n))
			return map[i][1];
	return NULL;
}

static int wbx_in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list ? strstr(list, name) : NULL; p; p = strstr(p + 1, name))
		if (p[-1] == ' ' && p[n] == ' ')
			return 1;
	return 0;
}

/* ============================================================ compile */

struct wbx_comp {
	struct ota_buf *b;
	const struct wbx_doc *doc;
	const char *reason;
	int entity;
};

static int wbx_fail(struct wbx_comp *c, int rc, const char *reason)
{
	if (!c->reason)
		c->reason = reason;
	return rc;
}

static void wbx_str_i(struct ota_buf *b, const char *s, size_t n)
{
	ota_buf_putc(b, WBX_STR_I);
	ota_buf_put(b, s, n);
	ota_buf_putc(b, 0);
}

/* URL remainder: inline strings split around .com/ .edu/ .net/ .org/. */
static void wbx_put_url_value(struct ota_buf *b, const char *v)
{
	while (*v) {
		const char *best = NULL;
		size_t bi = 0;
		for (size_t i = 0; i < WBX_NVALUES; i++) {
			const char *f = strstr(v, ota_wbxml_values[i]);
			if (f && (!best || f < best)) {
				best = f;
				bi = i;
			}
		}
		if (!best) {
			wbx_str_i(b, v, strlen(v));
			return;
		}
		if (best > v)
			wbx_str_i(b, v, (size_t)(best - v));
		ota_buf_putc(b, (uint8_t)(WBX_VALUE_FIRST + bi));
		v = best + strlen(ota_wbxml_values[bi]);
	}
}

/* "YYYY-MM-DDThh:mm:ssZ" as OPAQUE packed digits (WAP-167 §8.2.2). */
static int wbx_put_date(struct wbx_comp *c, const char *v)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	uint8_t o[7];
	char digits[15] = { 0 };
	size_t nd = 0, n = 7;

	if (strlen(v) != sizeof shape - 1)
		return wbx_fail(c, -EINVAL, "date is not YYYY-MM-DDThh:mm:ssZ");
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] == 'd') {
			if (v[i] < '0' || v[i] > '9')
				return wbx_fail(c, -EINVAL, "date is not YYYY-MM-DDThh:mm:ssZ");
			digits[nd++] = v[i];
		} else if (v[i] != shape[i]) {
			return wbx_fail(c, -EINVAL, "date is not YYYY-MM-DDThh:mm:ssZ");
		}
	}
	int mon = (digits[4] - '0') * 10 + digits[5] - '0';
	int day = (digits[6] - '0') * 10 + digits[7] - '0';
	int hh = (digits[8] - '0') * 10 + digits[9] - '0';
	int mm = (digits[10] - '0') * 10 + digits[11] - '0';
	int ss = (digits[12] - '0') * 10 + digits[13] - '0';
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return wbx_fail(c, -EINVAL, "date out of range");
	for (size_t i = 0; i < 7; i++)
		o[i] = (uint8_t)((digits[2 * i] - '0') << 4 | (digits[2 * i + 1] - '0'));
	while (n > 0 && o[n - 1] == 0)
		n--;
	ota_buf_putc(c->b, WBX_OPAQUE);
	ota_buf_putc(c->b, (uint8_t)n);
	ota_buf_put(c->b, o, n);
	return 0;
}

static int wbx_put_attr(struct wbx_comp *c, const char *name, const char *v)
{
	const struct wbx_doc *d = c->doc;
	const struct wbx_attr *best = NULL;

	if (!strcmp(name, "action")) {
		for (size_t i = 0; i < d->nattrs; i++)
			if (!strcmp(d->attrs[i].name, name) && !strcmp(d->attrs[i].prefix, v)) {
				ota_buf_putc(c->b, d->attrs[i].tok);
				return 0;
			}
		return wbx_fail(c, -EINVAL, "action value not in the DTD");
	}
	for (size_t i = 0; i < d->nattrs; i++) {
		const struct wbx_attr *a = &d->attrs[i];
		if (strcmp(a->name, name) || strncmp(a->prefix, v, strlen(a->prefix)))
			continue;
		if (!best || strlen(a->prefix) > strlen(best->prefix))
			best = a;
	}
	if (!best)
		return wbx_fail(c, -EINVAL, "attribute not in the DTD");
	ota_buf_putc(c->b, best->tok);
	v += strlen(best->prefix);
	if (!strcmp(name, "created") || !strcmp(name, "si-expires"))
		return wbx_put_date(c, v);
	if (!strcmp(name, d->url_attr))
		wbx_put_url_value(c->b, v);
	else if (*v)
		wbx_str_i(c->b, v, strlen(v));
	return 0;
}

/* Kannel's octstr_shrink_blanks + octstr_strip_blanks. */
static size_t wbx_normalize(char *s)
{
	size_t o = 0;
	int blank = 0;

	for (size_t i = 0; s[i]; i++) {
		int sp = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ||
		    s[i] == '\f' || s[i] == '\v';
		if (sp) {
			blank = 1;
			continue;
		}
		if (blank && o)
			s[o++] = ' ';
		blank = 0;
		s[o++] = s[i];
	}
	s[o] = '\0';
	return o;
}

static int wbx_blank(const xmlChar *s)
{
	for (; s && *s; s++)
		if (!strchr(" \t\r\n", *s))
			return 0;
	return 1;
}

static int wbx_put_element(struct wbx_comp *c, xmlNodePtr el, int depth)
{
	const struct wbx_elem *e = NULL;
	char *text = NULL;
	size_t tlen = 0;
	int nchild = 0, rc = 0, seen_info = 0;

	if (depth > 3)
		return wbx_fail(c, -EINVAL, "elements nested deeper than the DTD allows");
	for (size_t i = 0; i < c->doc->nelems; i++)
		if (!strcmp((const char *)el->name, c->doc->elems[i].name))
			e = &c->doc->elems[i];
	if (!e || el->ns)
		return wbx_fail(c, -EINVAL, "element not in the DTD");
	if (e->required && !xmlHasProp(el, (const xmlChar *)e->required))
		return wbx_fail(c, -EINVAL, "required attribute missing");

	/* Children first: the tag octet says whether content follows. */
	for (xmlNodePtr n = el->children; n; n = n->next) {
		switch (n->type) {
		case XML_ELEMENT_NODE:
			if (!wbx_in_list(e->children, (const char *)n->name)) {
				rc = wbx_fail(c, -EINVAL, "child element not allowed here");
				goto out;
			}
			/* si = (indication, info?): indication first, info once after */
			if ((!strcmp((const char *)n->name, "indication") && nchild) ||
			    (!strcmp((const char *)n->name, "info") && (seen_info || !nchild))) {
				rc = wbx_fail(c, -EINVAL, "si must hold one indication and at most one info after it");
				goto out;
			}
			seen_info |= !strcmp((const char *)n->name, "info");
			nchild++;
			break;
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (!e->text) {
				if (!wbx_blank(n->content)) {
					rc = wbx_fail(c, -EINVAL, "text where the DTD allows none");
					goto out;
				}
				break;
			}
			size_t l = n->content ? strlen((const char *)n->content) : 0;
			char *t = realloc(text, tlen + l + 1);
			if (!t) {
				rc = wbx_fail(c, -ENOMEM, "out of memory");
				goto out;
			}
			text = t;
			memcpy(text + tlen, n->content ? (const char *)n->content : "", l);
			tlen += l;
			text[tlen] = '\0';
			break;
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			break;
		default:
			rc = wbx_fail(c, -EINVAL, "entity reference or unexpected node");
			goto out;
		}
	}
	if (e->children && !nchild) {
		rc = wbx_fail(c, -EINVAL, "element needs at least one child element");
		goto out;
	}
	if (text)
		tlen = wbx_normalize(text);

	uint8_t tok = e->tok;
	if (el->properties)
		tok |= WBX_HAS_ATTRS;
	if (nchild || tlen)
		tok |= WBX_HAS_CONTENT;
	ota_buf_putc(c->b, tok);
	if (el->properties) {
		for (xmlAttrPtr a = el->properties; a && !rc; a = a->next) {
			xmlChar *v;
			if (a->ns || !wbx_in_list(e->attrs, (const char *)a->name)) {
				rc = wbx_fail(c, -EINVAL, "attribute not allowed on this element");
				break;
			}
			for (xmlNodePtr k = a->children; k; k = k->next)
				if (k->type != XML_TEXT_NODE)
					rc = wbx_fail(c, -EINVAL, "entity reference in an attribute");
			if (rc)
				break;
			if (!(v = xmlNodeGetContent((xmlNodePtr)a))) {
				rc = wbx_fail(c, -ENOMEM, "out of memory");
				break;
			}
			rc = wbx_put_attr(c, (const char *)a->name, (const char *)v);
			xmlFree(v);
		}
		ota_buf_putc(c->b, WBX_END);
	}
	if (!rc && (nchild || tlen)) {
		for (xmlNodePtr n = el->children; n && !rc; n = n->next)
			if (n->type == XML_ELEMENT_NODE)
				rc = wbx_put_element(c, n, depth + 1);
		if (tlen)
			wbx_str_i(c->b, text, tlen);
		ota_buf_putc(c->b, WBX_END);
	}
out:
	free(text);
	return rc;
}

/* ------------------------------------------------ libxml2 SAX hooks */

static void wbx_sax_entity(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
    const xmlChar *sys, xmlChar *content)
{
	xmlParserCtxtPtr x = ctx;

	((struct wbx_comp *)x->_private)->entity = 1;
	xmlStopParser(x);
}

static void wbx_sax_unparsed(void *ctx, const xmlChar *name, const xmlChar *pub,
    const xmlChar *sys, const xmlChar *notation)
{
	wbx_sax_entity(ctx, name, 0, pub, sys, NULL);
}

static xmlParserInputPtr wbx_sax_resolve(void *ctx, const xmlChar *pub, const xmlChar *sys)
{
	return NULL;    /* nothing outside the document is ever read */
}

#if LIBXML_VERSION >= 21200
static void wbx_sax_error(void *ctx, const xmlError *e)
#else
static void wbx_sax_error(void *ctx, xmlErrorPtr e)
#endif
{
	/* silence: the caller gets a reason string instead */
}

/* See ota.h. */
int ota_wbxml_compile(struct ota_buf *b, const char *xml, size_t len,
    enum ota_wbxml_doc *doc, const char **reason)
{
	struct wbx_comp c = { .b = b };
	xmlParserCtxtPtr ctxt;
	xmlDocPtr xd;
	xmlNodePtr root;
	const char *dummy;
	int rc, wf;

	if (!reason)
		reason = &dummy;
	*reason = NULL;
	if (!xml || !len) {
		*reason = "empty document";
		ota_buf_fail(b, -EINVAL);
		return b->err;
	}
	if (len > OTA_WBXML_MAX_XML) {
		*reason = "document too long";
		ota_buf_fail(b, -E2BIG);
		return b->err;
	}
	if (!(ctxt = xmlNewParserCtxt())) {
		*reason = "out of memory";
		ota_buf_fail(b, -ENOMEM);
		return b->err;
	}
	ctxt->_private = &c;
	ctxt->sax->serror = wbx_sax_error;
	ctxt->sax->entityDecl = wbx_sax_entity;
	ctxt->sax->unparsedEntityDecl = wbx_sax_unparsed;
	ctxt->sax->resolveEntity = wbx_sax_resolve;
	/* Never XML_PARSE_NOENT, DTDLOAD, DTDATTR, DTDVALID or HUGE. */
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
#if LIBXML_VERSION >= 21300
	opts |= XML_PARSE_NO_XXE;
#endif
	xd = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL, opts);
	wf = xd && ctxt->wellFormed && !c.entity;
	xmlFreeParserCtxt(ctxt);
	if (!wf) {
		rc = wbx_fail(&c, -EINVAL, c.entity ? "entity declarations are not allowed" :
		    "not well-formed XML");
		goto done;
	}
	if (!(root = xmlDocGetRootElement(xd))) {
		rc = wbx_fail(&c, -EINVAL, "no root element");
		goto done;
	}
	for (size_t i = 0; i < WBX_NDOCS; i++)
		if (!strcmp((const char *)root->name, ota_wbxml_docs[i].root))
			c.doc = &ota_wbxml_docs[i];
	if (!c.doc) {
		rc = wbx_fail(&c, -EINVAL, "root element is not si, sl or co");
		goto done;
	}
	if (xd->intSubset && xd->intSubset->ExternalID &&
	    strcmp((const char *)xd->intSubset->ExternalID, c.doc->pubid)) {
		rc = wbx_fail(&c, -EINVAL, "DOCTYPE public identifier does not match the root");
		goto done;
	}
	ota_buf_putc(b, WBX_VERSION_1_2);
	ota_buf_putc(b, (uint8_t)c.doc->id);
	ota_buf_putc(b, WBX_UTF8);
	ota_buf_putc(b, 0);    /* string table length */
	rc = wbx_put_element(&c, root, 0);
	if (doc && !rc)
		*doc = c.doc->id;
done:
	xmlFreeDoc(xd);
	if (rc)
		ota_buf_fail(b, rc);
	if (b->err == -ENOSPC && !c.reason)
		c.reason = "WBXML does not fit the buffer";
	*reason = c.reason;
	return b->err;
}
