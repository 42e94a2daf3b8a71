/*
 * sipb_register.c - third-party REGISTER from the SIP/IP core
 * (OMA-TS-SIP_Push §7, §8.1.1, §8.2.1, Appendix C.1, F.1.2;
 * RFC 3261 §10.3; RFC 3840 feature tags; RFC 5627 GRUU).
 *
 * Only a trusted core may register (the source address decides: 403
 * otherwise). Each Contact becomes a struct sipb_binding for the core's
 * callback, whose status is the answer; a 200 lists the contacts kept with
 * the expiry the core granted.
 */
#include "sipbearer/sipb_int.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_util.h>
#include <sofia-sip/url.h>

#define SIPB_MAX_CONTACTS SIPB_MAX_BINDINGS
/* Expiry when neither the Contact nor the request says (RFC 3261 §10.2.1.1). */
#define SIPB_DEFAULT_EXPIRES 3600

#define SIPB_FEATURE_APP "+g.oma.pusheventapp"

int sipb_is_event_app_id(const char *s, size_t len)
{
	size_t i;

	if (!len)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		/* 1*(%x21 / %x23-2B / %x2D-7E): no blank, quote or comma */
		if (c < 0x21 || c > 0x7e || c == '"' || c == ',')
			return 0;
	}
	return 1;
}

/* A parameter value without its surrounding quotes (and, for +sip.instance,
 * angle brackets), backslash escapes resolved; NULL when absent. */
static char *sipb_param_value(su_home_t *home, msg_param_t const *params, const char *name,
    int brackets)
{
	msg_param_t v = msg_params_find(params, name);
	char *r;
	size_t n;

	if (!v)
		return NULL;
	r = v[0] == '"' ? msg_unquote_dup(home, v) : su_strdup(home, v);
	if (!r)
		return NULL;
	n = strlen(r);
	if (brackets && n >= 2 && r[0] == '<' && r[n - 1] == '>') {
		memmove(r, r + 1, n - 2);
		r[n - 2] = '\0';
	}
	return r;
}

void sipb_split_apps(char *list, const char **apps, size_t max, size_t *n)
{
	char *p, *item;

	for (p = list; p && *n < max;) {
		char *end;

		item = p;
		p = strchr(p, ',');
		if (p)
			*p++ = '\0';
		while (*item == ' ' || *item == '\t')
			item++;
		end = item + strlen(item);
		while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (sipb_is_event_app_id(item, (size_t)(end - item)))
			apps[(*n)++] = item;
	}
}

/* Splits the +g.oma.pusheventapp list (OMA-TS-SIP_Push §8.1.1) into b->apps. */
static void sipb_parse_apps(su_home_t *home, msg_param_t const *params, struct sipb_binding *b)
{
	char *list = sipb_param_value(home, params, SIPB_FEATURE_APP, 0);

	if (list)
		sipb_split_apps(list, b->apps, sizeof b->apps / sizeof b->apps[0], &b->napps);
}

/* Does the contact take INVITE sessions (session-mode push, OMA-TS-SIP_Push
 * §9.3)? RFC 3840 §9: the "methods" feature parameter lists the methods it
 * takes (a quoted, comma-separated list); "+sip.message" says it takes
 * messaging as a media type (MSRP) unless its value is "FALSE". */
static int sipb_takes_sessions(su_home_t *home, msg_param_t const *params)
{
	char *methods = sipb_param_value(home, params, "methods", 0);
	char *msg = sipb_param_value(home, params, "+sip.message", 0);

	/* a bare flag ("+sip.message") has the value "" */
	if (msg && strcasecmp(msg, "FALSE") && strcasecmp(msg, "!TRUE"))
		return 1;
	for (char *p = methods; p && *p;) {
		size_t n = strcspn(p, ",");
		char *t = p;
		while (*t == ' ' || *t == '\t')
			t++;
		size_t l = n - (size_t)(t - p);
		while (l && (t[l - 1] == ' ' || t[l - 1] == '\t'))
			l--;
		if (l == 6 && !strncmp(t, "INVITE", 6))
			return 1;
		p += n + (p[n] == ',');
	}
	return 0;
}

/* The address of record: the To URI without parameters and headers; for
 * sip: and sips: with the scheme and host in lower case (RFC 3261 §10.3
 * step 5, §19.1.4). Other schemes (tel:) are kept as they came. */
static char *sipb_aor(su_home_t *home, url_t const *to)
{
	url_t *u;
	char *h;

	if (to->url_type != url_sip && to->url_type != url_sips)
		return url_as_string(home, to);
	u = url_hdup(home, to);
	if (!u)
		return NULL;
	u->url_scheme = to->url_type == url_sip ? "sip" : "sips";
	u->url_params = NULL;
	u->url_headers = NULL;
	if (u->url_host) {
		h = su_strdup(home, u->url_host);
		if (!h)
			return NULL;
		for (char *c = h; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		u->url_host = h;
	}
	return url_as_string(home, u);
}

/* Seconds from the Expires header of the request, or -1. */
static long sipb_expires_header(sip_t const *sip)
{
	sip_expires_t const *ex = sip->sip_expires;

	if (!ex)
		return -1;
	if (ex->ex_date && !ex->ex_delta) {
		sip_time_t now = sip_now();
		return ex->ex_date > now ? (long)(ex->ex_date - now) : 0;
	}
	return ex->ex_delta > INT_MAX ? INT_MAX : (long)ex->ex_delta;
}

/* A qvalue (RFC 3261 §25.1: "0" ["." 0*3DIGIT] / "1" ["." 0*3("0")]) in
 * thousandths, or -1 when q is NULL or no qvalue. */
static int sipb_qvalue(const char *q)
{
	if (!q || (q[0] != '0' && q[0] != '1'))
		return -1;
	int v = (q[0] - '0') * 1000, scale = 100;
	const char *p = q + 1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9' && scale; p++, scale /= 10)
			v += (*p - '0') * scale;
	return *p || v > 1000 ? -1 : v;
}

/* Fills b from Contact m (not the wildcard). */
static int sipb_binding_fill(su_home_t *home, sip_contact_t const *m, long hdr_expires,
    struct sipb_binding *b)
{
	b->contact = url_as_string(home, m->m_url);
	if (!b->contact)
		return -ENOMEM;
	b->expires = hdr_expires >= 0 ? (int)hdr_expires : SIPB_DEFAULT_EXPIRES;
	if (m->m_expires) {
		char *end;
		unsigned long e = strtoul(m->m_expires, &end, 10);

		if (end != m->m_expires && !*end)
			b->expires = e > INT_MAX ? INT_MAX : (int)e;
	}
	b->q = sipb_qvalue(m->m_q);
	b->instance = sipb_param_value(home, m->m_params, "+sip.instance", 1);
	b->gruu = sipb_param_value(home, m->m_params, "pub-gruu", 0);
	b->temp_gruu = sipb_param_value(home, m->m_params, "temp-gruu", 0);
	sipb_parse_apps(home, m->m_params, b);
	b->sessions = sipb_takes_sessions(home, m->m_params);
	return 0;
}

/* The 200 lists each contact still bound with ;expires=granted. */
static sip_contact_t *sipb_ok_contacts(su_home_t *home, struct sipb_binding const *b, size_t n)
{
	sip_contact_t *list = NULL, **tail = &list;
	size_t i;

	for (i = 0; i < n; i++) {
		sip_contact_t *m;

		if (b[i].wildcard || b[i].expires <= 0)
			continue;
		m = sip_contact_make(home, su_sprintf(home, "<%s>;expires=%d", b[i].contact,
		    b[i].expires));
		if (!m)
			continue;
		*tail = m;
		tail = &m->m_next;
	}
	return list;
}

static void sipb_reply(nua_t *nua, nua_handle_t *nh, int status, const char *phrase,
    sip_contact_t const *contacts)
{
	nua_respond(nh, status, phrase, NUTAG_WITH_THIS(nua),
	    TAG_IF(contacts, SIPTAG_CONTACT(contacts)), TAG_END());
}

/*
 * Builds the bindings of sip into b (at most SIPB_MAX_CONTACTS). Returns
 * their number or a negative SIP status to answer with. Pure: no socket, no
 * nua (sipb_register_parse drives it from bytes).
 */
int sipb_register_bindings(su_home_t *home, sip_t const *sip, struct sipb_binding *b)
{
	sip_contact_t const *m;
	long hdr_expires = sipb_expires_header(sip);
	const char *aor = sipb_aor(home, sip->sip_to->a_url);
	int n = 0, wildcard = 0;

	if (!aor)
		return -500;
	for (m = sip->sip_contact; m; m = m->m_next) {
		if (n == SIPB_MAX_CONTACTS)
			return -400;
		memset(&b[n], 0, sizeof b[n]);
		b[n].aor = aor;
		b[n].call_id = su_strdup(home, sip->sip_call_id ? sip->sip_call_id->i_id : "");
		b[n].cseq = sip->sip_cseq ? sip->sip_cseq->cs_seq : 0;
		if (m->m_url->url_type == url_any) {
			/* "Contact: *" only alone and with Expires: 0 (RFC 3261 §10.3 step 6) */
			wildcard = 1;
			b[n].contact = "*";
			b[n].wildcard = 1;
			b[n].expires = 0;
		} else if (sipb_binding_fill(home, m, hdr_expires, &b[n]) < 0) {
			return -500;
		}
		n++;
	}
	if (wildcard && (n != 1 || hdr_expires != 0))
		return -400;
	return n;
}

/* A REGISTER left open for the core (sipb_register_fn returned LATER). */
struct sipb_reg {
	struct sipb_reg *next, **prevp;
	nua_handle_t *nh;
	nua_saved_event_t saved[1];
	su_home_t *home;                  /* the bindings' strings */
	struct sipb_binding b[SIPB_MAX_CONTACTS];
	size_t n;
};

static void sipb_reg_free(struct sipb *s, struct sipb_reg *r)
{
	if (r->prevp) {
		*r->prevp = r->next;
		if (r->next)
			r->next->prevp = r->prevp;
		s->nregs--;
	}
	nua_destroy_event(r->saved);
	nua_handle_destroy(r->nh);
	su_home_unref(r->home);
	free(r);
}

void sipb_register_answer(struct sipb *s, struct sipb_reg *r, int status)
{
	if (!s || !r)
		return;
	if (status < 200 || status > 699)
		status = 500;
	const char *phrase = sip_status_phrase(status);
	sip_contact_t const *contacts = status / 100 == 2 ? sipb_ok_contacts(r->home, r->b, r->n) : NULL;
	nua_respond(r->nh, status, phrase ? phrase : "Unknown", NUTAG_WITH_SAVED(r->saved),
	    TAG_IF(contacts, SIPTAG_CONTACT(contacts)), TAG_END());
	sipb_reg_free(s, r);
}

unsigned sipb_register_pending(const struct sipb *s)
{
	return s ? s->nregs : 0;
}

void sipb_register_abort_all(struct sipb *s, int status)
{
	while (s->regs)
		sipb_register_answer(s, s->regs, status);
}

void sipb_register_request(struct sipb *s, nua_t *nua, nua_handle_t *nh, sip_t const *sip)
{
	msg_t *msg = nua_current_request(nua);
	su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;
	const struct sockaddr *from = ai ? ai->ai_addr : NULL;
	struct sipb_reg *r;
	int n, status;

	if (!from || !s->cfg.trusted(s->cfg.trusted_arg, "REGISTER", from)) {
		sipb_reply(nua, nh, SIP_403_FORBIDDEN, NULL);
		nua_handle_destroy(nh);
		return;
	}
	r = sip && sip->sip_to ? calloc(1, sizeof *r) : NULL;
	if (!r || !(r->home = su_home_new(sizeof *r->home))) {
		free(r);
		sipb_reply(nua, nh, SIP_500_INTERNAL_SERVER_ERROR, NULL);
		nua_handle_destroy(nh);
		return;
	}
	r->nh = nh;
	n = sipb_register_bindings(r->home, sip, r->b);
	if (n <= 0) {
		/* n == 0: a query; nothing to change, and the bindings live in the core. */
		status = n < 0 ? -n : 200;
		sipb_reply(nua, nh, status, sip_status_phrase(status), NULL);
		r->nh = NULL;
		su_home_unref(r->home);
		free(r);
		nua_handle_destroy(nh);
		return;
	}
	r->n = (size_t)n;
	/* The request stays open while the core stores the bindings on another
	 * thread: nua keeps it as a saved event, answered with NUTAG_WITH_SAVED. */
	if (nua_save_event(nua, r->saved) == 0) {
		su_home_unref(r->home);
		free(r);
		sipb_reply(nua, nh, SIP_500_INTERNAL_SERVER_ERROR, NULL);
		nua_handle_destroy(nh);
		return;
	}
	r->next = s->regs;
	if (r->next)
		r->next->prevp = &r->next;
	r->prevp = &s->regs;
	s->regs = r;
	s->nregs++;
	status = s->reg(s->arg, r->b, r->n, from, r);
	if (status != SIPB_REGISTER_LATER)
		sipb_register_answer(s, r, status);
}
