/*
 * sipb_reginfo.c - the reginfo+xml decoder: RFC 3680 §5.1-§5.4 (reginfo,
 * registration, contact, uri, unknown-param), RFC 5628 §4 (gruuinfo:
 * pub-gruu, temp-gruu inside a contact), and the version rules of RFC 3680
 * §4.4 (full state replaces, partial state must be the next version).
 *
 * Elements of other namespaces are skipped (RFC 3680 §5.3: the schema is
 * extensible); display-name is ignored. The libxml2 parser runs with
 * XML_PARSE_NONET, without entity substitution, DTD loading or huge nodes
 * (an entity bomb or an external entity is a parse error or stays
 * unexpanded), on a document of bounded size.
 */
#include "sipbearer/sipb_reginfo.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define NS_REGINFO "urn:ietf:params:xml:ns:reginfo"
#define NS_GRUUINFO "urn:ietf:params:xml:ns:gruuinfo"

struct rp {                      /* the parse in progress */
	struct sipb_reginfo *ri;
	char *why;
	size_t whylen;
};

static int fail(struct rp *p, int rc, const char *fmt, ...)
{
	va_list ap;

	if (p->why && p->whylen && !p->why[0]) {
		va_start(ap, fmt);
		vsnprintf(p->why, p->whylen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int in_ns(const xmlNode *n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	    !strcmp((const char *)n->ns->href, ns) && !strcmp((const char *)n->name, name);
}

/* An attribute (no namespace) as a malloc'ed string: 0 (*out NULL when
 * absent), -EBADMSG (too long or holds a control character), -ENOMEM. */
static int attr(struct rp *p, xmlNode *n, const char *name, char **out)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);

	*out = NULL;
	if (!v)
		return 0;
	size_t l = strlen((const char *)v);
	for (size_t i = 0; i < l; i++)
		if (v[i] < 0x20 || v[i] == 0x7f) {
			xmlFree(v);
			return fail(p, -EBADMSG, "%s: attribute %s holds a control character", n->name, name);
		}
	if (l > SIPB_REGINFO_MAX_VALUE) {
		xmlFree(v);
		return fail(p, -EBADMSG, "%s: attribute %s longer than %u", n->name, name, SIPB_REGINFO_MAX_VALUE);
	}
	*out = strdup((const char *)v);
	xmlFree(v);
	return *out ? 0 : -ENOMEM;
}

/* Element text, trimmed of blanks, as attr(). */
static int text(struct rp *p, xmlNode *n, char **out)
{
	xmlChar *v = xmlNodeGetContent(n);
	const char *s = v ? (const char *)v : "";
	size_t l;

	*out = NULL;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	l = strlen(s);
	while (l && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r' || s[l - 1] == '\n'))
		l--;
	for (size_t i = 0; i < l; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			xmlFree(v);
			return fail(p, -EBADMSG, "%s: text holds a control character", n->name);
		}
	if (l > SIPB_REGINFO_MAX_VALUE) {
		xmlFree(v);
		return fail(p, -EBADMSG, "%s: text longer than %u", n->name, SIPB_REGINFO_MAX_VALUE);
	}
	*out = strndup(s, l);
	xmlFree(v);
	return *out ? 0 : -ENOMEM;
}

/* A non-negative decimal number of at most max: 0, or -EBADMSG. */
static int number(const char *s, unsigned long max, unsigned long *out)
{
	char *e;

	if (!s || !*s || *s < '0' || *s > '9')
		return -EBADMSG;
	errno = 0;
	unsigned long v = strtoul(s, &e, 10);
	if (errno || *e || v > max)
		return -EBADMSG;
	*out = v;
	return 0;
}

/* q-value (RFC 3261 §25.1: "0" ["." 0*3DIGIT] / "1" ["." 0*3("0")]) times 1000. */
static int qvalue(const char *s)
{
	int v = 0, k = 0;

	if (s[0] != '0' && s[0] != '1')
		return -1;
	v = (s[0] - '0') * 1000;
	if (s[1] == '\0')
		return v;
	if (s[1] != '.')
		return -1;
	for (const char *d = s + 2; *d; d++, k++) {
		if (k == 3 || *d < '0' || *d > '9')
			return -1;
		v += (*d - '0') * (k == 0 ? 100 : k == 1 ? 10 : 1);
	}
	return v > 1000 ? -1 : v;
}

/* event-app-id characters (OMA-TS-SIP_Push §8.1.1): %x21 / %x23-2B / %x2D-7E. */
static int app_char(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x7e);
}

/* Cuts the value's surrounding quotes (and <> for an instance) in place. */
static char *unquote(char *v, int angle)
{
	size_t l = strlen(v);

	if (l >= 2 && v[0] == '"' && v[l - 1] == '"') {
		v[l - 1] = '\0';
		v++;
		l -= 2;
	}
	if (angle && l >= 2 && v[0] == '<' && v[l - 1] == '>') {
		v[l - 1] = '\0';
		v++;
	}
	return v;
}

/* Splits the +g.oma.pusheventapp list into c->apps (items that are no
 * event-app-id are skipped, as a REGISTER's are). */
static void split_apps(struct sipb_reginfo_contact *c)
{
	char *s = unquote(c->apps_buf, 0), *save = NULL;

	for (char *t = strtok_r(s, ",", &save); t && c->napps < SIPB_REGINFO_MAX_APPS;
	    t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ' || *t == '\t')
			t++;
		size_t l = strlen(t);
		while (l && (t[l - 1] == ' ' || t[l - 1] == '\t'))
			t[--l] = '\0';
		int ok = l > 0;
		for (size_t i = 0; i < l && ok; i++)
			ok = app_char((unsigned char)t[i]);
		if (ok)
			c->apps[c->napps++] = t;
	}
}

/* One unknown-param of a contact (RFC 3680 §5.3: name attribute, the value as text). */
static int unknown_param(struct rp *p, xmlNode *n, struct sipb_reginfo_contact *c)
{
	char *name = NULL, *val = NULL;
	int rc = attr(p, n, "name", &name);

	if (rc == 0 && !name)
		rc = fail(p, -EBADMSG, "unknown-param without a name");
	if (rc == 0)
		rc = text(p, n, &val);
	if (rc == 0 && !strcasecmp(name, "+g.oma.pusheventapp") && !c->apps_buf) {
		c->apps_buf = val;
		val = NULL;
		split_apps(c);
	} else if (rc == 0 && !strcasecmp(name, "+sip.instance") && !c->instance) {
		char *v = unquote(val, 1);
		c->instance = *v ? strdup(v) : NULL;
		if (*v && !c->instance)
			rc = -ENOMEM;
	} else if (rc == 0 && !strcasecmp(name, "+sip.message")) {
		c->sessions = 1;
	} else if (rc == 0 && !strcasecmp(name, "methods")) {
		/* RFC 3840 §9: "methods" lists the methods, quoted, comma-separated */
		char *save = NULL;
		for (char *t = strtok_r(val, "\", \t", &save); t; t = strtok_r(NULL, "\", \t", &save))
			if (!strcasecmp(t, "INVITE"))
				c->sessions = 1;
	}
	free(name);
	free(val);
	return rc;
}

static int contact(struct rp *p, xmlNode *n, struct sipb_reginfo_contact *c)
{
	char *state = NULL, *v = NULL;
	unsigned long u;
	int rc;

	c->expires = -1;
	c->q1000 = -1;
	if ((rc = attr(p, n, "id", &c->id)) < 0 || (rc = attr(p, n, "state", &state)) < 0 ||
	    (rc = attr(p, n, "event", &c->event)) < 0 || (rc = attr(p, n, "callid", &c->call_id)) < 0)
		goto out;
	if (!c->id || !state) {
		rc = fail(p, -EBADMSG, "contact without %s", !c->id ? "id" : "state");
		goto out;
	}
	if (!strcmp(state, "active")) {
		c->active = 1;
	} else if (strcmp(state, "terminated")) {
		rc = fail(p, -EBADMSG, "contact %s: state \"%s\"", c->id, state);
		goto out;
	}
	if ((rc = attr(p, n, "expires", &v)) < 0)
		goto out;
	if (v && number(v, INT_MAX, &u) < 0) {
		rc = fail(p, -EBADMSG, "contact %s: expires \"%s\"", c->id, v);
		goto out;
	}
	if (v)
		c->expires = (long)u;
	free(v);
	v = NULL;
	if ((rc = attr(p, n, "q", &v)) < 0)
		goto out;
	if (v && (c->q1000 = qvalue(v)) < 0) {
		rc = fail(p, -EBADMSG, "contact %s: q \"%s\"", c->id, v);
		goto out;
	}
	free(v);
	v = NULL;
	if ((rc = attr(p, n, "cseq", &v)) < 0)
		goto out;
	if (v && number(v, UINT32_MAX, &u) == 0)   /* informative only: a bad one is dropped */
		c->cseq = (uint32_t)u;
	for (xmlNode *k = n->children; k && rc == 0; k = k->next) {
		if (in_ns(k, NS_REGINFO, "uri")) {
			if (c->uri)
				rc = fail(p, -EBADMSG, "contact %s: more than one uri", c->id);
			else
				rc = text(p, k, &c->uri);
		} else if (in_ns(k, NS_REGINFO, "unknown-param")) {
			rc = unknown_param(p, k, c);
		} else if (in_ns(k, NS_GRUUINFO, "pub-gruu") && !c->pub_gruu) {
			rc = attr(p, k, "uri", &c->pub_gruu);
		} else if (in_ns(k, NS_GRUUINFO, "temp-gruu") && !c->temp_gruu) {
			rc = attr(p, k, "uri", &c->temp_gruu);
		}
	}
	if (rc == 0 && (!c->uri || !*c->uri))
		rc = fail(p, -EBADMSG, "contact %s without a uri", c->id);
out:
	free(state);
	free(v);
	return rc;
}

static int registration(struct rp *p, xmlNode *n, struct sipb_reginfo_reg *r)
{
	struct sipb_reginfo *ri = p->ri;
	char *state = NULL;
	int rc;

	if ((rc = attr(p, n, "aor", &r->aor)) < 0 || (rc = attr(p, n, "id", &r->id)) < 0 ||
	    (rc = attr(p, n, "state", &state)) < 0)
		goto out;
	if (!r->aor || !*r->aor || !r->id || !state) {
		rc = fail(p, -EBADMSG, "registration without %s", !r->aor || !*r->aor ? "aor" : !r->id ? "id" : "state");
		goto out;
	}
	if (!strcmp(state, "init"))
		r->state = SIPB_REG_INIT;
	else if (!strcmp(state, "active"))
		r->state = SIPB_REG_ACTIVE;
	else if (!strcmp(state, "terminated"))
		r->state = SIPB_REG_TERMINATED;
	else {
		rc = fail(p, -EBADMSG, "registration %s: state \"%s\"", r->aor, state);
		goto out;
	}
	r->first = ri->ncontacts;
	for (xmlNode *k = n->children; k && rc == 0; k = k->next) {
		if (!in_ns(k, NS_REGINFO, "contact"))
			continue;
		if (ri->ncontacts == SIPB_REGINFO_MAX_CONTACTS) {
			rc = fail(p, -E2BIG, "more than %u contacts", SIPB_REGINFO_MAX_CONTACTS);
			break;
		}
		rc = contact(p, k, &ri->contacts[ri->ncontacts++]);
		r->n++;
	}
out:
	free(state);
	return rc;
}

static int reginfo(struct rp *p, xmlNode *root)
{
	struct sipb_reginfo *ri = p->ri;
	char *v = NULL;
	int rc;

	if (!root || !in_ns(root, NS_REGINFO, "reginfo"))
		return fail(p, -EBADMSG, "the root is no reginfo of %s", NS_REGINFO);
	if ((rc = attr(p, root, "version", &v)) < 0)
		return rc;
	if (!v || number(v, ULONG_MAX - 1, &ri->version) < 0) {
		rc = fail(p, -EBADMSG, "reginfo: version \"%s\"", v ? v : "(none)");
		free(v);
		return rc;
	}
	free(v);
	if ((rc = attr(p, root, "state", &v)) < 0)
		return rc;
	if (v && !strcmp(v, "full"))
		ri->state = SIPB_REGINFO_FULL;
	else if (v && !strcmp(v, "partial"))
		ri->state = SIPB_REGINFO_PARTIAL;
	else
		rc = fail(p, -EBADMSG, "reginfo: state \"%s\"", v ? v : "(none)");
	free(v);
	if (rc < 0)
		return rc;
	ri->regs = calloc(SIPB_REGINFO_MAX_REGS, sizeof *ri->regs);
	ri->contacts = calloc(SIPB_REGINFO_MAX_CONTACTS, sizeof *ri->contacts);
	if (!ri->regs || !ri->contacts)
		return -ENOMEM;
	for (xmlNode *k = root->children; k && rc == 0; k = k->next) {
		if (!in_ns(k, NS_REGINFO, "registration"))
			continue;
		if (ri->nregs == SIPB_REGINFO_MAX_REGS)
			return fail(p, -E2BIG, "more than %u registrations", SIPB_REGINFO_MAX_REGS);
		rc = registration(p, k, &ri->regs[ri->nregs++]);
	}
	return rc;
}

int sipb_reginfo_parse(const char *doc, size_t len, struct sipb_reginfo *ri, char *why,
    size_t whylen)
{
	struct rp p = { .ri = ri, .why = why, .whylen = whylen };
	int rc;

	if (why && whylen)
		why[0] = '\0';
	if (!ri)
		return -EINVAL;
	memset(ri, 0, sizeof *ri);
	if (!doc || !len)
		return fail(&p, -EINVAL, "no document");
	if (len > SIPB_REGINFO_MAX_DOC)
		return fail(&p, -E2BIG, "document of %zu bytes (at most %u)", len, SIPB_REGINFO_MAX_DOC);
	/* Never XML_PARSE_NOENT, DTDLOAD, DTDATTR, DTDVALID or HUGE. */
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
#ifdef XML_PARSE_NO_XXE
	opts |= XML_PARSE_NO_XXE;
#endif
	xmlDoc *x = xmlReadMemory(doc, (int)len, "reginfo.xml", NULL, opts);
	if (!x)
		return fail(&p, -EBADMSG, "not well-formed XML");
	/* RFC 3680 documents have no DTD; one is refused rather than read
	 * (its entities would be neither fetched nor expanded anyway). */
	if (x->intSubset || x->extSubset)
		rc = fail(&p, -EBADMSG, "a DOCTYPE is not allowed");
	else
		rc = reginfo(&p, xmlDocGetRootElement(x));
	xmlFreeDoc(x);
	if (rc < 0)
		sipb_reginfo_free(ri);
	return rc;
}

static void contact_free(struct sipb_reginfo_contact *c)
{
	free(c->id);
	free(c->event);
	free(c->uri);
	free(c->call_id);
	free(c->instance);
	free(c->apps_buf);
	free(c->pub_gruu);
	free(c->temp_gruu);
}

void sipb_reginfo_free(struct sipb_reginfo *ri)
{
	if (!ri)
		return;
	for (size_t i = 0; ri->regs && i < ri->nregs; i++) {
		free(ri->regs[i].aor);
		free(ri->regs[i].id);
	}
	for (size_t i = 0; ri->contacts && i < ri->ncontacts; i++)
		contact_free(&ri->contacts[i]);
	free(ri->regs);
	free(ri->contacts);
	memset(ri, 0, sizeof *ri);
}

enum sipb_reginfo_verdict sipb_reginfo_check(int have, unsigned long last,
    const struct sipb_reginfo *ri)
{
	if (ri->state == SIPB_REGINFO_FULL)
		return SIPB_REGINFO_APPLY;
	if (!have)
		return SIPB_REGINFO_GAP;
	if (ri->version <= last)
		return SIPB_REGINFO_STALE;
	return ri->version == last + 1 ? SIPB_REGINFO_APPLY : SIPB_REGINFO_GAP;
}
