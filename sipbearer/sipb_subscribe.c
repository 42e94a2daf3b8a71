/*
 * sipb_subscribe.c - ua-profile subscriptions with the oma-app profile type
 * (the OMA-CD-PUSH CR on ARI §9.2.2.1, seed 003 §9.1.3, Appendix A, D.3;
 * RFC 6665 subscriptions, RFC 6080 the ua-profile package).
 *
 * nua gives every SUBSCRIBE to this file (NUTAG_APPL_METHOD): it answers
 * another event package 489 with Allow-Events itself (NUTAG_ALLOW_EVENTS),
 * the rest is decided here, in the order of §9.2.2.1:
 *   1. not ua-profile with the oma-app profile type: 489;
 *   3. not from a trusted core, or no P-Asserted-Identity: 403;
 *   an Expires below the minimum: 423 with Min-Expires (RFC 6665 §4.2.1.1);
 *   6/7. the core stores the subscription (the handler), then 200 with the
 *   granted Expires, and for a new subscription at once the initial NOTIFY
 *   (active;expires=N, empty body as in D.3 step 5).
 * A refresh within the dialog is answered the same way and nua sends its
 * NOTIFY; an Expires of 0 ends it with a NOTIFY "terminated"; at its expiry
 * nua sends NOTIFY terminated;reason=timeout. When nua reports the
 * subscription terminated, the handler hears it once (ended = 1).
 *
 * Dialog state lives in nua only: after a restart the stored subscriptions
 * keep what the terminals told (applications, UAProf link) until they
 * expire, and a refresh in an old dialog is refused by nua (481), after
 * which the terminal subscribes again (RFC 6665 §4.1.2.2).
 */
#include "sipbearer/sipb_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/url.h>

#define SIPB_SUB_PACKAGE "ua-profile"
#define SIPB_SUB_PROFILE "oma-app"
#define SIPB_SUB_DEFAULT_EXPIRES 3600   /* RFC 6665 §4.2.1.1: the package's default */
#define SIPB_SUB_MIN 60
#define SIPB_SUB_MAX 3600

struct sipb_subreq;

struct sipb_subreq {
	struct sipb_subreq *next;
	struct sipb_sub *sub;
	nua_handle_t *nh;
	nua_saved_event_t saved[1];
	su_home_t *home;
	struct sipb_subscription info;
};

void sipb_set_subscribe_handler(struct sipb *s, sipb_subscribe_fn fn, void *arg)
{
	if (!s)
		return;
	s->subscribe = fn;
	s->subscribe_arg = arg;
}

unsigned sipb_subscriptions(const struct sipb *s)
{
	return s ? s->nsubs : 0;
}

/* ------------------------------------------------------------ parsing */

/* A parameter's value without quotes (backslash escapes resolved), or NULL. */
static char *sub_unquote(su_home_t *home, const char *v)
{
	if (!v)
		return NULL;
	return v[0] == '"' ? msg_unquote_dup(home, v) : su_strdup(home, v);
}

/* The Event header: 0 with the event-app-id values and the model link when it
 * is ua-profile with the profile type oma-app (among others: the seed's D.3
 * names "device" too), -489 otherwise (another package, none, or no oma-app). */
static int sub_parse_event(su_home_t *home, sip_event_t const *o, const char **apps,
    size_t maxapps, size_t *napps, const char **model)
{
	int oma = 0;

	*napps = 0;
	*model = NULL;
	if (!o || !o->o_type)
		return -489;   /* no package named: none this notifier serves */
	if (strcasecmp(o->o_type, SIPB_SUB_PACKAGE))
		return -489;
	for (msg_param_t const *p = o->o_params; p && *p; p++) {
		const char *eq = strchr(*p, '=');
		size_t nl = eq ? (size_t)(eq - *p) : strlen(*p);
		char *v;

		if (!eq)
			continue;
		if (nl == 12 && !strncasecmp(*p, "profile-type", nl)) {
			v = sub_unquote(home, eq + 1);
			if (v && !strcasecmp(v, SIPB_SUB_PROFILE))
				oma = 1;
		} else if (nl == 12 && !strncasecmp(*p, "event-app-id", nl)) {
			v = sub_unquote(home, eq + 1);
			if (v)
				sipb_split_apps(v, apps, maxapps, napps);
		} else if (nl == 5 && !strncasecmp(*p, "model", nl) && !*model) {
			v = sub_unquote(home, eq + 1);
			if (v && *v)
				*model = v;
		}
	}
	return oma ? 0 : -489;
}

/* ----------------------------------------------------------- dialogs */

static void sub_unlink(struct sipb *s, struct sipb_sub *x)
{
	if (!x->linked)
		return;
	*x->prevp = x->next;
	if (x->next)
		x->next->prevp = x->prevp;
	x->linked = 0;
	s->nsubs--;
}

static void sub_link(struct sipb *s, struct sipb_sub *x)
{
	if (x->linked)
		return;
	x->next = s->subs;
	if (x->next)
		x->next->prevp = &x->next;
	x->prevp = &s->subs;
	s->subs = x;
	x->linked = 1;
	s->nsubs++;
}

/* Frees x and its handle (no request of it may be open). */
static void sub_free(struct sipb *s, struct sipb_sub *x)
{
	struct sipb_npush *pending = x->pushes;

	sub_unlink(s, x);
	x->pushes = NULL;
	if (x->out.nh) {
		nua_handle_bind(x->out.nh, NULL);
		nua_handle_destroy(x->out.nh);
	}
	free(x->aor);
	free(x->call_id);
	free(x->remote_tag);
	free(x->contact);
	free(x);
	/* push NOTIFYs still waiting for their answer: the subscription is gone */
	sipb_notify_abort(s, pending);
}

static void subreq_free(struct sipb_subreq *r)
{
	if (!r)
		return;
	nua_destroy_event(r->saved);
	su_home_unref(r->home);
	free(r);
}

/* Takes r off its dialog's list. */
static void subreq_unlink(struct sipb_subreq *r)
{
	struct sipb_subreq **pp;

	for (pp = &r->sub->reqs; *pp && *pp != r; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = r->next;
}

void sipb_subscribe_end(struct sipb *s, struct sipb_sub *x)
{
	x->gone = 1;
	if (!x->ended && s->subscribe) {
		struct sipb_subscription info = {
			.aor = x->aor, .call_id = x->call_id, .remote_tag = x->remote_tag,
			.expires = 0, .ended = 1,
		};

		x->ended = 1;
		s->subscribe(s->subscribe_arg, &info, NULL);
	}
	x->ended = 1;
	if (!x->reqs)
		sub_free(s, x);
}

void sipb_subscribe_answer(struct sipb *s, struct sipb_subreq *r, int status)
{
	struct sipb_sub *x;
	int initial;
	char ex[16];

	if (!s || !r)
		return;
	x = r->sub;
	subreq_unlink(r);
	initial = !x->linked && !x->ended;
	if (status < 200 || status > 699)
		status = 500;
	snprintf(ex, sizeof ex, "%d", r->info.expires > 0 ? r->info.expires : 0);
	const char *phrase = sip_status_phrase(status);
	nua_respond(r->nh, status, phrase ? phrase : "Unknown", NUTAG_WITH_SAVED(r->saved),
	    TAG_IF(status / 100 == 2, SIPTAG_EXPIRES_STR(ex)), TAG_END());
	if (status / 100 != 2) {
		/* A refused new SUBSCRIBE leaves no dialog: its handle goes. A
		 * refused refresh leaves the subscription as nua keeps it. x is
		 * freed only once no other SUBSCRIBE of it is waiting. */
		subreq_free(r);
		if ((initial || x->gone) && !x->reqs)
			sub_free(s, x);
		return;
	}
	if (x->gone) {
		/* nua ended the dialog while this refresh waited for the core:
		 * there is nothing left to NOTIFY */
		subreq_free(r);
		if (!x->reqs)
			sub_free(s, x);
		return;
	}
	x->expires_at = sipb_mono_s() + (r->info.expires > 0 ? r->info.expires : 0);
	if (initial) {
		sub_link(s, x);
		/* The initial NOTIFY at once (RFC 6665 §4.2.1.2): nua writes the
		 * Event of the SUBSCRIBE and Subscription-State active;expires=N. */
		nua_notify(x->out.nh, NUTAG_SUBSTATE(nua_substate_active),
		    SIPTAG_CONTENT_LENGTH_STR("0"), TAG_END());
	}
	if (r->info.expires <= 0 && !x->ended) {
		/* Un-SUBSCRIBE: the core forgot it already; nua sends the NOTIFY
		 * terminated, whose report frees the dialog. */
		x->ended = 1;
	}
	subreq_free(r);
}

void sipb_subscribe_abort_all(struct sipb *s)
{
	while (s->subs) {
		struct sipb_sub *x = s->subs;

		while (x->reqs) {
			struct sipb_subreq *r = x->reqs;

			x->reqs = r->next;
			r->next = NULL;
			nua_respond(r->nh, SIP_503_SERVICE_UNAVAILABLE, NUTAG_WITH_SAVED(r->saved), TAG_END());
			subreq_free(r);
		}
		/* No NOTIFY terminated on the way out: the stored subscription
		 * outlives a restart (see the head of this file). */
		sub_free(s, x);
	}
}

/* ----------------------------------------------------------- requests */

static void sub_reply(nua_t *nua, nua_handle_t *nh, int status, const char *phrase,
    unsigned min_expires)
{
	char me[16];

	snprintf(me, sizeof me, "%u", min_expires);
	nua_respond(nh, status, phrase, NUTAG_WITH_THIS(nua),
	    TAG_IF(status == 489, SIPTAG_ALLOW_EVENTS_STR(SIPB_SUB_PACKAGE)),
	    TAG_IF(status == 423, SIPTAG_MIN_EXPIRES_STR(me)), TAG_END());
}

/* The identity asserted by the core (RFC 3325): the first sip:/sips:/tel:
 * URI of P-Asserted-Identity, as text in home; NULL when there is none. */
static char *sub_asserted(su_home_t *home, sip_t const *sip)
{
	sip_p_asserted_identity_t const *pai = sip_p_asserted_identity(sip);

	for (; pai; pai = pai->paid_next) {
		url_t const *u = pai->paid_url;

		if (u->url_type == url_sip || u->url_type == url_sips || u->url_type == url_tel)
			return url_as_string(home, u);
	}
	return NULL;
}

/* The media types of the Accept header(s), comma-separated, or NULL. */
static char *sub_accept(su_home_t *home, sip_accept_t const *ac)
{
	char *list = NULL;

	for (; ac; ac = ac->ac_next) {
		if (!ac->ac_type)
			continue;
		list = list ? su_sprintf(home, "%s, %s", list, ac->ac_type) : su_strdup(home, ac->ac_type);
		if (!list)
			return NULL;
	}
	return list;
}

/* Seconds asked for (Expires, or the package default), capped to INT_MAX. */
static long sub_expires(sip_t const *sip)
{
	sip_expires_t const *ex = sip->sip_expires;

	if (!ex)
		return SIPB_SUB_DEFAULT_EXPIRES;
	return ex->ex_delta > INT_MAX ? INT_MAX : (long)ex->ex_delta;
}

int sipb_subscribe_fill(su_home_t *home, sip_t const *sip, unsigned min, unsigned max,
    struct sipb_subscription *i)
{
	long want;
	int rc;

	memset(i, 0, sizeof *i);
	/* from the parsed header: sofia-sip 1.12's text encoding of an Event
	 * with many parameters drops the last ones */
	rc = sub_parse_event(home, sip->sip_event, i->apps, sizeof i->apps / sizeof i->apps[0],
	    &i->napps, &i->model);
	if (rc < 0)
		return -rc;
	if (!(i->aor = sub_asserted(home, sip)))
		return 403;
	want = sub_expires(sip);
	if (want > 0 && (unsigned long)want < min)
		return 423;
	i->expires = want > (long)max ? (int)max : (int)want;
	i->call_id = sip->sip_call_id ? su_strdup(home, sip->sip_call_id->i_id) : "";
	i->remote_tag = sip->sip_from && sip->sip_from->a_tag ? su_strdup(home, sip->sip_from->a_tag) : "";
	i->contact = sip->sip_contact ? url_as_string(home, sip->sip_contact->m_url) : NULL;
	i->accept = sub_accept(home, sip->sip_accept);
	if (!i->call_id || !i->remote_tag)
		return 500;
	return 0;
}

void sipb_subscribe_request(struct sipb *s, nua_t *nua, nua_handle_t *nh, struct sipb_sub *x,
    sip_t const *sip)
{
	msg_t *msg = nua_current_request(nua);
	su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;
	const struct sockaddr *from = ai ? ai->ai_addr : NULL;
	unsigned min = s->cfg.sub_min_expires ? s->cfg.sub_min_expires : SIPB_SUB_MIN;
	struct sipb_subreq *r;
	int status, initial = x == NULL;

	if (!s->subscribe || s->closing) {
		sub_reply(nua, nh, SIP_503_SERVICE_UNAVAILABLE, min);
		if (initial)
			nua_handle_destroy(nh);
		return;
	}
	if (!from || !s->cfg.trusted(s->cfg.trusted_arg, "SUBSCRIBE", from)) {
		sub_reply(nua, nh, SIP_403_FORBIDDEN, min);
		if (initial)
			nua_handle_destroy(nh);
		return;
	}
	r = calloc(1, sizeof *r);
	if (initial && r) {
		x = calloc(1, sizeof *x);
		if (x) {
			x->out.sub = x;
			x->out.nh = nh;
			x->s = s;
		}
	}
	if (!r || !x || !(r->home = su_home_new(sizeof *r->home))) {
		free(r);
		if (initial)
			free(x);
		sub_reply(nua, nh, SIP_500_INTERNAL_SERVER_ERROR, min);
		if (initial)
			nua_handle_destroy(nh);
		return;
	}
	r->sub = x;
	r->nh = nh;
	status = sipb_subscribe_fill(r->home, sip, min,
	    s->cfg.sub_max_expires ? s->cfg.sub_max_expires : SIPB_SUB_MAX, &r->info);
	r->info.refresh = !initial;
	if (status) {
		const char *phrase = sip_status_phrase(status);

		sub_reply(nua, nh, status, phrase ? phrase : "Forbidden", min);
		subreq_free(r);
		if (initial) {
			free(x);
			nua_handle_destroy(nh);
		}
		return;
	}
	if (nua_save_event(nua, r->saved) == 0) {
		subreq_free(r);
		sub_reply(nua, nh, SIP_500_INTERNAL_SERVER_ERROR, min);
		if (initial) {
			free(x);
			nua_handle_destroy(nh);
		}
		return;
	}
	if (initial) {
		x->aor = strdup(r->info.aor);
		x->call_id = strdup(r->info.call_id);
		x->remote_tag = strdup(r->info.remote_tag);
		x->contact = r->info.contact ? strdup(r->info.contact) : NULL;
		for (sip_record_route_t const *rr = sip->sip_record_route; rr; rr = rr->r_next) {
			char *t = sip_header_as_string(r->home, (sip_header_t const *)rr);
			x->route_len += t ? strlen(t) + 9 : 0;   /* "Route: " and CRLF */
		}
		if (!x->aor || !x->call_id || !x->remote_tag || (r->info.contact && !x->contact)) {
			nua_respond(nh, SIP_500_INTERNAL_SERVER_ERROR, NUTAG_WITH_SAVED(r->saved), TAG_END());
			subreq_free(r);
			sub_free(s, x);
			return;
		}
		nua_handle_bind(nh, &x->out);
	}
	r->next = x->reqs;
	x->reqs = r;
	/* An un-SUBSCRIBE tells the handler the end itself: nua may report the
	 * dialog terminated before the answer goes out, and that report must
	 * not tell it a second time (as an expiry). */
	if (!initial && r->info.expires <= 0)
		x->ended = 1;
	status = s->subscribe(s->subscribe_arg, &r->info, r);
	if (status != SIPB_REGISTER_LATER)
		sipb_subscribe_answer(s, r, status);
}

void sipb_subscribe_event(struct sipb *s, struct sipb_sub *x, nua_event_t event, int status,
    sip_t const *sip, tagi_t const *tags)
{
	tagi_t const *t;

	(void)status;
	(void)sip;
	if (event != nua_r_notify && event != nua_i_terminated)
		return;
	t = tl_find(tags, nutag_substate);
	if (event == nua_r_notify && (!t || t->t_value != nua_substate_terminated))
		return;
	/* The NOTIFY terminated went out (un-SUBSCRIBE, expiry) or the dialog
	 * failed (a NOTIFY answered 481 or timed out). */
	sipb_subscribe_end(s, x);
}
