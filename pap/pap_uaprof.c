/*
 * pap_uaprof.c - the capabilities entity of PAP (a UAProf document: CC/PP
 * in RDF/XML, OMA-TS-UAProf): what ppgd reads of a terminal's document and
 * the minimal one it writes of what it learnt itself.
 *
 * Read: the vendor and model, the content types the device accepts
 * (prf:CcppAccept) and those it accepts by push (prf:Push-Accept), and the
 * push application ids it runs (prf:Push-Accept-AppID). Attributes are
 * matched by local name in any namespace (the UAProf schemas of 2001,
 * 2002 and OMA's later ones differ in namespace only); a value is the text
 * of the element or of each rdf:li of its rdf:Bag / rdf:Seq. The document is
 * parsed without the network, external entities or DTDs.
 */
#include "pap/pap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define UAPROF_MAX_VALUE 256

void pap_uaprof_free(struct pap_uaprof *u)
{
	if (!u)
		return;
	free(u->vendor);
	free(u->model);
	for (size_t i = 0; i < u->naccept; i++)
		free(u->accept[i]);
	for (size_t i = 0; i < u->npush_accept; i++)
		free(u->push_accept[i]);
	for (size_t i = 0; i < u->nappids; i++)
		free(u->appids[i]);
	memset(u, 0, sizeof *u);
}

/* The element's own text, trimmed; NULL when empty or too long. */
static char *text_of(xmlNode *n)
{
	xmlChar *c = xmlNodeGetContent(n);
	char *r = NULL;

	if (!c)
		return NULL;
	const char *s = (const char *)c;
	size_t l = strlen(s);
	while (l && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r' || s[l - 1] == '\n'))
		l--;
	while (l && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
		s++;
		l--;
	}
	if (l && l <= UAPROF_MAX_VALUE) {
		r = malloc(l + 1);
		if (r) {
			memcpy(r, s, l);
			r[l] = '\0';
		}
	}
	xmlFree(c);
	return r;
}

/* Adds v (taken over) to the list unless full or already there. */
static int add_value(char **list, size_t *n, char *v)
{
	if (!v)
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (!strcasecmp(list[i], v)) {
			free(v);
			return 0;
		}
	if (*n >= PAP_UAPROF_MAX_LIST) {
		free(v);
		return 0;
	}
	list[(*n)++] = v;
	return 0;
}

/* The values of attribute element e: each rdf:li of a Bag/Seq/Alt inside
 * it, or its text when it has none. */
static void values_of(xmlNode *e, char **list, size_t *n)
{
	int lis = 0;

	for (xmlNode *c = e->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		for (xmlNode *li = c->children; li; li = li->next)
			if (li->type == XML_ELEMENT_NODE && !xmlStrcmp(li->name, BAD_CAST "li")) {
				add_value(list, n, text_of(li));
				lis = 1;
			}
	}
	if (!lis)
		add_value(list, n, text_of(e));
}

static void walk(xmlNode *n, struct pap_uaprof *u, int depth)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		const char *name = (const char *)n->name;
		if (!strcmp(name, "CcppAccept"))
			values_of(n, u->accept, &u->naccept);
		else if (!strcmp(name, "Push-Accept"))
			values_of(n, u->push_accept, &u->npush_accept);
		else if (!strcmp(name, "Push-Accept-AppID"))
			values_of(n, u->appids, &u->nappids);
		else if (!strcmp(name, "Vendor") && !u->vendor)
			u->vendor = text_of(n);
		else if (!strcmp(name, "Model") && !u->model)
			u->model = text_of(n);
		else if (depth < 32)
			walk(n->children, u, depth + 1);
	}
}

int pap_uaprof_parse(const char *doc, size_t len, struct pap_uaprof *u)
{
	xmlDoc *x;
	xmlNode *root;

	memset(u, 0, sizeof *u);
	if (!doc || !len || len > PAP_UAPROF_MAX_DOC)
		return -EINVAL;
	/* Never XML_PARSE_NOENT, DTDLOAD, DTDATTR, DTDVALID or HUGE. */
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
#ifdef XML_PARSE_NO_XXE
	opts |= XML_PARSE_NO_XXE;
#endif
	x = xmlReadMemory(doc, (int)len, "uaprof.rdf", NULL, opts);
	if (!x)
		return -EINVAL;
	root = xmlDocGetRootElement(x);
	/* an RDF document (rdf:RDF), as UAProf documents are */
	if (!root || xmlStrcmp(root->name, BAD_CAST "RDF")) {
		xmlFreeDoc(x);
		return -EINVAL;
	}
	walk(root->children, u, 0);
	xmlFreeDoc(x);
	return 0;
}

int pap_uaprof_accepts(const struct pap_uaprof *u, const char *ctype)
{
	size_t n = strcspn(ctype, "; \t");

	if (!u->npush_accept)
		return -1;   /* the document does not say */
	for (size_t i = 0; i < u->npush_accept; i++) {
		const char *a = u->push_accept[i];
		const char *slash = strchr(a, '/');
		if (!strcmp(a, "*/*") || (strlen(a) == n && !strncasecmp(a, ctype, n)))
			return 1;
		/* "type/ *" wildcard */
		if (slash && !strcmp(slash, "/*") && !strncasecmp(a, ctype, (size_t)(slash - a) + 1))
			return 1;
	}
	return 0;
}

/* Appends the XML text of s (escaped) to the buffer. */
static int put_esc(char **buf, size_t *len, size_t *cap, const char *s)
{
	for (; *s; s++) {
		char tmp[8];
		const char *t = tmp;
		switch (*s) {
		case '&': t = "&amp;"; break;
		case '<': t = "&lt;"; break;
		case '>': t = "&gt;"; break;
		case '"': t = "&quot;"; break;
		case '\r': t = "&#13;"; break;   /* a raw CR would read back as LF */
		default:
			/* other control bytes are no XML 1.0 characters at all (an
			 * rdf:about from a PI's address could hold one): dropped */
			if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n')
				t = "";
			else
				tmp[0] = *s, tmp[1] = '\0';
			break;
		}
		size_t l = strlen(t);
		if (*len + l + 1 > *cap) {
			size_t nc = (*cap ? *cap * 2 : 1024) + l;
			char *nb = realloc(*buf, nc);
			if (!nb)
				return -ENOMEM;
			*buf = nb;
			*cap = nc;
		}
		memcpy(*buf + *len, t, l);
		*len += l;
		(*buf)[*len] = '\0';
	}
	return 0;
}

static int put(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t l = strlen(s);
	if (*len + l + 1 > *cap) {
		size_t nc = (*cap ? *cap * 2 : 1024) + l;
		char *nb = realloc(*buf, nc);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, s, l + 1);
	*len += l;
	return 0;
}

static int put_bag(char **b, size_t *l, size_t *c, const char *name, char *const *v, size_t n)
{
	int r = 0;
	if (!n)
		return 0;
	r |= put(b, l, c, "      <prf:");
	r |= put(b, l, c, name);
	r |= put(b, l, c, "><rdf:Bag>");
	for (size_t i = 0; i < n; i++) {
		r |= put(b, l, c, "<rdf:li>");
		r |= put_esc(b, l, c, v[i]);
		r |= put(b, l, c, "</rdf:li>");
	}
	r |= put(b, l, c, "</rdf:Bag></prf:");
	r |= put(b, l, c, name);
	r |= put(b, l, c, ">\n");
	return r;
}

char *pap_uaprof_write(const char *about, const struct pap_uaprof *u, size_t *out_len)
{
	char *b = NULL;
	size_t l = 0, c = 0;
	int r = 0;

	r |= put(&b, &l, &c, "<?xml version=\"1.0\"?>\n"
	    "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"\n"
	    "         xmlns:prf=\"http://www.openmobilealliance.org/tech/profiles/UAPROF/ccppschema-20021212#\">\n"
	    "  <rdf:Description rdf:about=\"");
	r |= put_esc(&b, &l, &c, about ? about : "");
	r |= put(&b, &l, &c, "\">\n    <prf:component>\n      <rdf:Description rdf:ID=\"PushCharacteristics\">\n"
	    "      <rdf:type rdf:resource=\"http://www.openmobilealliance.org/tech/profiles/UAPROF/"
	    "ccppschema-20021212#PushCharacteristics\"/>\n");
	r |= put_bag(&b, &l, &c, "Push-Accept", u->push_accept, u->npush_accept);
	r |= put_bag(&b, &l, &c, "Push-Accept-AppID", u->appids, u->nappids);
	r |= put(&b, &l, &c, "      </rdf:Description>\n    </prf:component>\n  </rdf:Description>\n</rdf:RDF>\n");
	if (r) {
		free(b);
		return NULL;
	}
	if (out_len)
		*out_len = l;
	return b;
}
