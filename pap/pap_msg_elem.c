/*
 * pap_msg_elem.c - the PAP message elements and their attributes.
 *
 * Implements the element and attribute lists of WAP-247-PAP-20010429-a §9
 * (PAP 2.0), OMA-WAP-PAP-V2_1 and WAP-164 (PAP 1.0) as digested in
 * the PAP 2.x DTD. Content models are
 * checked with some tolerance: children may come in any order, white space,
 * comments and processing instructions are allowed everywhere (also in
 * elements declared EMPTY), and 2.0-only attributes are accepted in a 1.0
 * document. Everything else that the DTD does not allow is a 2000.
 */
#include "pap/pap_msg_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


enum pap_ak { AK_STR, AK_BUF32, AK_TIME, AK_BOOL, AK_CODE, AK_STATE, AK_PRIO, AK_DM, AK_RM };

struct pap_attr_spec {
	const char *name;
	enum pap_ak kind;
	size_t off;          /* into the target struct */
	int required;
};

#define M(f) offsetof(struct pap_msg, f)
#define R(f) offsetof(struct pap_result, f)
#define N(f) offsetof(struct pap_progress_note, f)
#define Q(f) offsetof(struct pap_qos, f)
#define SPEC(a) a, sizeof a / sizeof a[0]

static const struct pap_attr_spec at_pap[] = { { "product-name", AK_STR, M(product_name), 0 } };
static const struct pap_attr_spec at_push[] = {
	{ "push-id", AK_STR, M(push_id), 1 },
	{ "replace-push-id", AK_STR, M(replace_push_id), 0 },
	{ "replace-method", AK_RM, M(replace_method), 0 },
	{ "deliver-before-timestamp", AK_TIME, M(deliver_before), 0 },
	{ "deliver-after-timestamp", AK_TIME, M(deliver_after), 0 },
	{ "source-reference", AK_STR, M(source_reference), 0 },
	{ "ppg-notify-requested-to", AK_STR, M(ppg_notify_requested_to), 0 },
	{ "progress-notes-requested", AK_BOOL, M(progress_notes_requested), 0 },
};
static const struct pap_attr_spec at_pushid[] = { { "push-id", AK_STR, M(push_id), 1 } };
static const struct pap_attr_spec at_ccq[] = {
	{ "query-id", AK_STR, M(query_id), 1 },
	{ "app-id", AK_STR, M(app_id), 0 },
};
static const struct pap_attr_spec at_rnresp[] = {
	{ "push-id", AK_STR, M(push_id), 1 },
	{ "code", AK_CODE, M(code), 1 },
	{ "desc", AK_STR, M(desc), 0 },
};
static const struct pap_attr_spec at_pushresp[] = {
	{ "push-id", AK_STR, M(push_id), 1 },
	{ "sender-address", AK_STR, M(sender_address), 0 },
	{ "sender-name", AK_STR, M(sender_name), 0 },
	{ "reply-time", AK_TIME, M(reply_time), 0 },
};
static const struct pap_attr_spec at_ccqresp[] = {
	{ "query-id", AK_STR, M(query_id), 1 },
	{ "code", AK_CODE, M(code), 1 },
	{ "desc", AK_STR, M(desc), 0 },
};
static const struct pap_attr_spec at_rn[] = {
	{ "push-id", AK_STR, M(push_id), 1 },
	{ "sender-address", AK_STR, M(sender_address), 0 },
	{ "sender-name", AK_STR, M(sender_name), 0 },
	{ "received-time", AK_TIME, M(received_time), 0 },
	{ "event-time", AK_TIME, M(event_time), 0 },
	{ "message-state", AK_STATE, M(state), 1 },
	{ "code", AK_CODE, M(code), 1 },
	{ "desc", AK_STR, M(desc), 0 },
};
static const struct pap_attr_spec at_badmsg[] = {
	{ "code", AK_CODE, M(code), 1 },
	{ "desc", AK_STR, M(desc), 0 },
	{ "bad-message-fragment", AK_STR, M(bad_fragment), 0 },
};
static const struct pap_attr_spec at_result[] = {
	{ "code", AK_CODE, R(code), 1 },
	{ "desc", AK_STR, R(desc), 0 },
};
static const struct pap_attr_spec at_sqresult[] = {
	{ "event-time", AK_TIME, R(event_time), 0 },
	{ "message-state", AK_STATE, R(state), 1 },
	{ "code", AK_CODE, R(code), 1 },
	{ "desc", AK_STR, R(desc), 0 },
};
static const struct pap_attr_spec at_note[] = {
	{ "stage", AK_STR, N(stage), 1 },
	{ "note", AK_STR, N(note), 0 },
	{ "time", AK_TIME, N(time), 0 },
};
static const struct pap_attr_spec at_qos[] = {
	{ "priority", AK_PRIO, Q(priority), 0 },
	{ "delivery-method", AK_DM, Q(delivery_method), 0 },
	{ "network", AK_BUF32, Q(network), 0 },
	{ "network-required", AK_BOOL, Q(network_required), 0 },
	{ "bearer", AK_BUF32, Q(bearer), 0 },
	{ "bearer-required", AK_BOOL, Q(bearer_required), 0 },
};
static const struct pap_attr_spec at_addr[] = { { "address-value", AK_STR, 0, 1 } };

/* Keyword lookup, case-insensitive (real PIs are not consistent). */
static int pap_kw(const char *v, const char *const *kw, size_t n, int *out)
{
	for (size_t i = 0; i < n; i++) {
		if (kw[i] && !strcasecmp(v, kw[i])) {
			*out = (int)i;
			return 0;
		}
	}
	return -1;
}

/* Converts one attribute value into the target field. */
static int pap_attr_set(const struct pap_attr_spec *s, const char *v, void *target)
{
	static const char *const prio[] = { NULL, "high", "medium", "low" };
	static const char *const dm[] = { "notspecified", "confirmed", "preferconfirmed",
		"unconfirmed" };
	static const char *const rm[] = { "all", "pending-only" };
	static const char *const bools[] = { "false", "true" };
	char *field = (char *)target + s->off;
	int k;

	switch (s->kind) {
	case AK_STR:
		free(*(char **)field);
		if (!(*(char **)field = strdup(v)))
			return -ENOMEM;
		return 0;
	case AK_BUF32:
		if (strlen(v) >= 32)
			return -EINVAL;
		strcpy(field, v);
		return 0;
	case AK_TIME:
		return pap_time_decode(v, (time_t *)field);
	case AK_STATE:
		return pap_state_decode(v, (enum pap_state *)field);
	case AK_CODE:
		if (strlen(v) != 4 || strspn(v, "0123456789") != 4 || v[0] < '1' || v[0] > '5')
			return -EINVAL;
		*(int *)field = atoi(v);
		return 0;
	case AK_BOOL:
		if (pap_kw(v, bools, 2, &k) < 0)
			return -EINVAL;
		*(int *)field = k;
		return 0;
	case AK_PRIO:
		if (pap_kw(v, prio, 4, &k) < 0)
			return -EINVAL;
		*(enum pap_priority *)field = (enum pap_priority)k;
		return 0;
	case AK_DM:
		if (pap_kw(v, dm, 4, &k) < 0)
			return -EINVAL;
		*(enum pap_delivery_method *)field = (enum pap_delivery_method)k;
		return 0;
	case AK_RM:
		if (pap_kw(v, rm, 2, &k) < 0)
			return -EINVAL;
		*(enum pap_replace_method *)field = (enum pap_replace_method)k;
		return 0;
	}
	return -EINVAL;
}

/*
 * Decodes the attributes of el into target according to spec. An attribute
 * not in spec, a value that does not convert and a missing required
 * attribute are errors (2000). For the single-attribute <address>, the value
 * is returned in *addr_value (malloc'ed) instead.
 */
static int pap_attrs(struct pap_dec *d, xmlNodePtr el, const struct pap_attr_spec *spec,
    size_t n, void *target, char **addr_value)
{
	unsigned seen = 0;

	for (xmlAttrPtr a = el->properties; a; a = a->next) {
		const char *name = (const char *)a->name;
		size_t i;
		int rc;

		for (i = 0; i < n; i++)
			if (!a->ns && !strcmp(name, spec[i].name))
				break;
		if (i == n)
			return pap_dec_fail(d, -EINVAL, PAP_BAD_REQUEST, el,
			    "unknown attribute '%s' on <%s>", name, (const char *)el->name);
		xmlChar *xv = xmlNodeListGetString(d->doc, a->children, 1);
		const char *v = xv ? (const char *)xv : "";
		if (addr_value) {
			free(*addr_value);
			rc = (*addr_value = strdup(v)) ? 0 : -ENOMEM;
		} else {
			rc = pap_attr_set(&spec[i], v, target);
		}
		if (rc == -ENOMEM) {
			xmlFree(xv);
			return pap_dec_fail(d, -ENOMEM, PAP_INTERNAL_ERROR, NULL, "out of memory");
		}
		if (rc < 0) {
			rc = pap_dec_fail(d, -EINVAL, PAP_BAD_REQUEST, el,
			    "invalid value '%.64s' of attribute '%s' on <%s>", v, name,
			    (const char *)el->name);
			xmlFree(xv);
			return rc;
		}
		xmlFree(xv);
		seen |= 1u << i;
	}
	for (size_t i = 0; i < n; i++)
		if (spec[i].required && !(seen & (1u << i)))
			return pap_dec_fail(d, -EINVAL, PAP_BAD_REQUEST, el,
			    "required attribute '%s' missing on <%s>", spec[i].name,
			    (const char *)el->name);
	return 0;
}

/* See pap_msg_int.h. */
int pap_dec_attr_sizes(struct pap_dec *d, xmlNodePtr el)
{
	for (; el; el = el->next) {
		if (el->type != XML_ELEMENT_NODE)
			continue;
		for (xmlAttrPtr a = el->properties; a; a = a->next) {
			xmlChar *v = xmlNodeListGetString(d->doc, a->children, 1);
			size_t len = v ? strlen((const char *)v) : 0;
			xmlFree(v);
			if (len > d->lim->max_attr)
				return pap_dec_fail(d, -E2BIG, PAP_BAD_REQUEST, NULL,
				    "attribute '%s' is longer than %zu bytes",
				    (const char *)a->name, d->lim->max_attr);
		}
		int rc = pap_dec_attr_sizes(d, el->children);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* -------------------------------------------------------- elements */

typedef int (*pap_child_fn)(struct pap_dec *d, xmlNodePtr parent, xmlNodePtr c, void *ctx);

static const char *const pap_known_elems[] = {
	"pap", "push-message", "cancel-message", "statusquery-message", "ccq-message",
	"resultnotification-message", "resultnotification-response", "push-response",
	"cancel-response", "statusquery-response", "ccq-response", "badmessage-response",
	"response-result", "progress-note", "cancel-result", "statusquery-result", "address",
	"quality-of-service",
};

static int pap_blank(const xmlChar *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 0;
	return 1;
}

/* An element that has no place where it was found. */
static int pap_unexpected(struct pap_dec *d, xmlNodePtr parent, xmlNodePtr c)
{
	const char *name = (const char *)c->name;

	for (size_t i = 0; i < sizeof pap_known_elems / sizeof pap_known_elems[0]; i++)
		if (!strcmp(name, pap_known_elems[i]))
			return pap_dec_fail(d, -EINVAL, PAP_BAD_REQUEST, c,
			    "element <%s> is not allowed in <%s>", name,
			    (const char *)parent->name);
	return pap_dec_fail(d, -EINVAL, PAP_BAD_REQUEST, c, "unknown element <%s> in <%s>", name,
	    (const char *)parent->name);
}

/* Walks the children of el: elements go to fn (NULL: el must be empty),
 * text must be white space, comments and PIs are skipped. */
static int pap_children(struct pap_dec *d, xmlNodePtr el, pap_child_fn fn, void *ctx)
{
	for (xmlNodePtr c = el->children; c; c = c->next) {
		int rc = 0;

		switch (c->type) {
		case XML_ELEMENT_NODE:
			rc = fn ? fn(d, el, c, ctx) : pap_unexpected(d, el, c);
			break;
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (!pap_blank(c->content))
				rc = pap_dec_fail(d, -EINVAL, PAP_BAD_REQUEST, el,
				    "text is not allowed in <%s>", (const char *)el->name);
			break;
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			break;
		default:
			rc = pap_dec_fail(d, -EINVAL, PAP_BAD_REQUEST, el,
			    "unexpected content in <%s>", (const char *)el->name);
			break;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int pap_is(xmlNodePtr c, const char *name)
{
	return !strcmp((const char *)c->name, name);   /* any namespace */
}

/* Makes room for one more element in *arr (doubling). */
static int pap_grow(void *arr, size_t n, size_t size)
{
	void **p = arr;

	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return 0;       /* capacity is 4, 8, 16, ...: room left */
	size_t cap = n ? n * 2 : 4;
	void *r = realloc(*p, cap * size);
	if (!r)
		return -ENOMEM;
	*p = r;
	return 0;
}

static int pap_nomem(struct pap_dec *d)
{
	return pap_dec_fail(d, -ENOMEM, PAP_INTERNAL_ERROR, NULL, "out of memory");
}

/* Reads one <address>: its address-value (malloc'ed into *v), content checked. */
static int pap_address(struct pap_dec *d, xmlNodePtr c, char **v)
{
	int rc;

	*v = NULL;
	if (++d->total_addrs > d->lim->max_addrs)
		return pap_dec_fail(d, -E2BIG, PAP_BAD_REQUEST, c,
		    "more than %zu addresses", d->lim->max_addrs);
	rc = pap_attrs(d, c, SPEC(at_addr), NULL, v);
	if (rc == 0)
		rc = pap_children(d, c, NULL, NULL);
	if (rc < 0) {
		free(*v);
		*v = NULL;
	}
	return rc;
}

/* An <address> of the message itself: kept raw and parsed. */
static int pap_msg_address(struct pap_dec *d, xmlNodePtr c)
{
	struct pap_msg *m = d->m;
	struct pap_msg_addr *a;
	char *v;
	int rc = pap_address(d, c, &v);

	if (rc < 0)
		return rc;
	if (pap_grow(&m->addrs, m->naddrs, sizeof *m->addrs) < 0) {
		free(v);
		return pap_nomem(d);
	}
	a = &m->addrs[m->naddrs++];
	memset(a, 0, sizeof *a);
	a->raw = v;
	a->ok = pap_addr_decode(v, &a->addr, &a->reason) == 0;
	return 0;
}

static int pap_qos(struct pap_dec *d, xmlNodePtr c, struct pap_qos *q)
{
	int rc;

	if (q->present)
		return pap_dec_fail(d, -EINVAL, PAP_BAD_REQUEST, c,
		    "more than one <quality-of-service>");
	q->present = 1;
	q->priority = PAP_PRIO_MEDIUM;
	rc = pap_attrs(d, c, SPEC(at_qos), q, NULL);
	return rc < 0 ? rc : pap_children(d, c, NULL, NULL);
}

/* address* */
static int pap_ch_addrs(struct pap_dec *d, xmlNodePtr parent, xmlNodePtr c, void *ctx)
{
	if (pap_is(c, "address"))
		return pap_msg_address(d, c);
	return pap_unexpected(d, parent, c);
}

/* address+, quality-of-service? (push-message, resultnotification-message) */
static int pap_ch_push(struct pap_dec *d, xmlNodePtr parent, xmlNodePtr c, void *ctx)
{
	if (pap_is(c, "quality-of-service"))
		return pap_qos(d, c, &d->m->qos);
	return pap_ch_addrs(d, parent, c, ctx);
}

/* Children of a cancel-result / statusquery-result: address* (and for the
 * latter a quality-of-service, validated into ctx and dropped). */
static int pap_ch_result(struct pap_dec *d, xmlNodePtr parent, xmlNodePtr c, void *ctx)
{
	struct pap_result *r = &d->m->results[d->m->nresults - 1];
	char *v;
	int rc;

	if (ctx && pap_is(c, "quality-of-service"))
		return pap_qos(d, c, ctx);
	if (!pap_is(c, "address"))
		return pap_unexpected(d, parent, c);
	rc = pap_address(d, c, &v);
	if (rc < 0)
		return rc;
	if (pap_grow(&r->addrs, r->naddrs, sizeof *r->addrs) < 0) {
		free(v);
		return pap_nomem(d);
	}
	r->addrs[r->naddrs++] = v;
	return 0;
}

/* Appends a result decoded from c with the attribute list spec. */
static int pap_result(struct pap_dec *d, xmlNodePtr c, const struct pap_attr_spec *spec,
    size_t n, void *child_ctx)
{
	struct pap_msg *m = d->m;
	int rc;

	if (pap_grow(&m->results, m->nresults, sizeof *m->results) < 0)
		return pap_nomem(d);
	memset(&m->results[m->nresults++], 0, sizeof *m->results);
	rc = pap_attrs(d, c, spec, n, &m->results[m->nresults - 1], NULL);
	return rc < 0 ? rc : pap_children(d, c, pap_ch_result, child_ctx);
}

/* progress-note*, response-result */
static int pap_ch_pushresp(struct pap_dec *d, xmlNodePtr parent, xmlNodePtr c, void *ctx)
{
	struct pap_msg *m = d->m;
	int rc;

	if (pap_is(c, "progress-note")) {
		if (pap_grow(&m->notes, m->nnotes, sizeof *m->notes) < 0)
			return pap_nomem(d);
		memset(&m->notes[m->nnotes++], 0, sizeof *m->notes);
		rc = pap_attrs(d, c, SPEC(at_note), &m->notes[m->nnotes - 1], NULL);
		return rc < 0 ? rc : pap_children(d, c, NULL, NULL);
	}
	if (!pap_is(c, "response-result"))
		return pap_unexpected(d, parent, c);
	if (m->nresults)
		return pap_dec_fail(d, -EINVAL, PAP_BAD_REQUEST, c,
		    "more than one <response-result>");
	if (pap_grow(&m->results, 0, sizeof *m->results) < 0)
		return pap_nomem(d);
	memset(&m->results[m->nresults++], 0, sizeof *m->results);
	rc = pap_attrs(d, c, SPEC(at_result), m->results, NULL);
	if (rc == 0)
		rc = pap_children(d, c, NULL, NULL);
	if (rc == 0) {
		/* the push-response's own result, also on the message */
		m->code = m->results[0].code;
		if (m->results[0].desc && !(m->desc = strdup(m->results[0].desc)))
			return pap_nomem(d);
	}
	return rc;
}

/* cancel-result+ */
static int pap_ch_cancelresp(struct pap_dec *d, xmlNodePtr parent, xmlNodePtr c, void *ctx)
{
	if (pap_is(c, "cancel-result"))
		return pap_result(d, c, SPEC(at_result), NULL);
	return pap_unexpected(d, parent, c);
}

/* statusquery-result+ */
static int pap_ch_sqresp(struct pap_dec *d, xmlNodePtr parent, xmlNodePtr c, void *ctx)
{
	struct pap_qos q = { 0 };

	if (pap_is(c, "statusquery-result"))
		return pap_result(d, c, SPEC(at_sqresult), &q);
	return pap_unexpected(d, parent, c);
}

static const struct pap_msg_spec {
	const char *name;
	enum pap_msg_type type;
	const struct pap_attr_spec *attrs;
	size_t nattrs;
	pap_child_fn child;
} pap_msgs[] = {
	{ "push-message", PAP_MSG_PUSH, SPEC(at_push), pap_ch_push },
	{ "cancel-message", PAP_MSG_CANCEL, SPEC(at_pushid), pap_ch_addrs },
	{ "statusquery-message", PAP_MSG_STATUSQUERY, SPEC(at_pushid), pap_ch_addrs },
	{ "ccq-message", PAP_MSG_CCQ, SPEC(at_ccq), pap_ch_addrs },
	{ "resultnotification-response", PAP_MSG_RESULTNOTIFICATION_RESPONSE, SPEC(at_rnresp),
	  pap_ch_addrs },
	{ "push-response", PAP_MSG_PUSH_RESPONSE, SPEC(at_pushresp), pap_ch_pushresp },
	{ "cancel-response", PAP_MSG_CANCEL_RESPONSE, SPEC(at_pushid), pap_ch_cancelresp },
	{ "statusquery-response", PAP_MSG_STATUSQUERY_RESPONSE, SPEC(at_pushid), pap_ch_sqresp },
	{ "ccq-response", PAP_MSG_CCQ_RESPONSE, SPEC(at_ccqresp), pap_ch_addrs },
	{ "resultnotification-message", PAP_MSG_RESULTNOTIFICATION, SPEC(at_rn), pap_ch_push },
	{ "badmessage-response", PAP_MSG_BADMESSAGE_RESPONSE, SPEC(at_badmsg), NULL },
};

/* Children of <pap>: remembers the one message element. */
static int pap_ch_root(struct pap_dec *d, xmlNodePtr parent, xmlNodePtr c, void *ctx)
{
	xmlNodePtr *msg = ctx;

	if (*msg)
		return pap_dec_fail(d, -EINVAL, PAP_BAD_REQUEST, c,
		    "<pap> holds more than one message element");
	*msg = c;
	return 0;
}

/* See pap_msg_int.h. */
int pap_dec_root(struct pap_dec *d, xmlNodePtr root)
{
	struct pap_msg *m = d->m;
	const struct pap_msg_spec *s = NULL;
	xmlNodePtr el = NULL;
	int rc;

	if (!pap_is(root, "pap"))
		return pap_dec_fail(d, -EINVAL, PAP_BAD_REQUEST, root,
		    "root element is <%s>, not <pap>", (const char *)root->name);
	if ((rc = pap_attrs(d, root, SPEC(at_pap), m, NULL)) < 0 ||
	    (rc = pap_children(d, root, pap_ch_root, &el)) < 0)
		return rc;
	if (!el)
		return pap_dec_fail(d, -EINVAL, PAP_BAD_REQUEST, root,
		    "<pap> holds no message element");
	for (size_t i = 0; i < sizeof pap_msgs / sizeof pap_msgs[0]; i++)
		if (pap_is(el, pap_msgs[i].name))
			s = &pap_msgs[i];
	if (!s)
		return pap_unexpected(d, root, el);
	m->type = s->type;
	m->qos.priority = PAP_PRIO_MEDIUM;
	if ((rc = pap_attrs(d, el, s->attrs, s->nattrs, m, NULL)) < 0 ||
	    (rc = pap_children(d, el, s->child, NULL)) < 0)
		return rc;
	if (m->type == PAP_MSG_PUSH && m->naddrs == 0)
		return pap_dec_fail(d, -EINVAL, PAP_BAD_REQUEST, el,
		    "<push-message> has no <address>");
	/* PAP 2.x DTD: <!ELEMENT ccq-message ( address ) >, and the same for
	 * ccq-response: exactly one address, the one queried. */
	if ((m->type == PAP_MSG_CCQ || m->type == PAP_MSG_CCQ_RESPONSE) && m->naddrs != 1)
		return pap_dec_fail(d, -EINVAL, PAP_BAD_REQUEST, el,
		    "<%s> must hold exactly one <address> (it holds %zu)", s->name, m->naddrs);
	if (m->type == PAP_MSG_PUSH_RESPONSE && m->nresults == 0)
		return pap_dec_fail(d, -EINVAL, PAP_BAD_REQUEST, el,
		    "<push-response> has no <response-result>");
	if ((m->type == PAP_MSG_CANCEL_RESPONSE || m->type == PAP_MSG_STATUSQUERY_RESPONSE) &&
	    m->nresults == 0)
		return pap_dec_fail(d, -EINVAL, PAP_BAD_REQUEST, el, "<%s> has no result",
		    s->name);
	return 0;
}
