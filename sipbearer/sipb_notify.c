/*
 * sipb_notify.c - push content delivered as a NOTIFY within a ua-profile
 * subscription (seed 003 §9.1.4 and Appendix D.3 step 9; RFC 6665 §4.2.2,
 * RFC 5057 for what a NOTIFY's answer does to the subscription; content
 * indirection as for a MESSAGE, RFC 4483).
 *
 * The NOTIFY is made with nua_method() on the subscription's handle: nua
 * sends a request of a handle with a dialog within that dialog (its Route
 * set, the remote target, the dialog's CSeq), so the push NOTIFY shares
 * the CSeq space of the state NOTIFYs nua's notifier sends, but it is not
 * the notifier's request. That matters: nua's notifier keeps its last
 * NOTIFY and sends it again, body included, after each refresh SUBSCRIBE
 * (nua_notifier.c, nua_notify_usage_refresh: nua_client_resend_request of
 * the usage's client request). A push made with nua_notify() would be
 * delivered again at every refresh; made this way, a refresh's NOTIFY is
 * the body-less state NOTIFY of the subscription.
 *
 * nua answers the client requests of one handle in order, one at a time,
 * so the push NOTIFYs of a subscription wait in its list, oldest first,
 * and each nua_r_method ends the oldest.
 */
#include "sipbearer/sipb_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_util.h>
#include <sofia-sip/url.h>

/* One push NOTIFY waiting for its final answer. */
struct sipb_npush {
	struct sipb_npush *next;
	uint64_t tag;
	int indirect;
};

long long sipb_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

void sipb_set_notify_handler(struct sipb *s, sipb_notify_fn fn, void *arg)
{
	if (!s)
		return;
	s->notify_result = fn;
	s->notify_arg = arg;
}

unsigned sipb_notify_inflight(const struct sipb *s)
{
	return s ? s->nnotify : 0;
}

/* The live subscription (call_id, remote_tag): its 200 went out, nua has
 * not ended it, it was not un-SUBSCRIBEd and has not run out. Linear in the
 * agent's subscriptions. */
static struct sipb_sub *notify_find(struct sipb *s, const char *call_id, const char *remote_tag)
{
	long long now = sipb_mono_s();

	for (struct sipb_sub *x = s->subs; x; x = x->next)
		if (!strcmp(x->call_id, call_id) && !strcmp(x->remote_tag, remote_tag))
			return x->linked && !x->ended && !x->gone && x->expires_at > now ? x : NULL;
	return NULL;
}

int sipb_notify_can(struct sipb *s, const char *call_id, const char *remote_tag)
{
	return s && call_id && remote_tag && !s->closing && notify_find(s, call_id, remote_tag) != NULL;
}

static void notify_report(struct sipb *s, struct sipb_npush *p, struct sipb_notify_result *r)
{
	if (s->nnotify)
		s->nnotify--;
	r->tag = p->tag;
	r->indirect = p->indirect;
	free(p);
	s->notify_result(s->notify_arg, r);
}

void sipb_notify_abort(struct sipb *s, struct sipb_npush *list)
{
	while (list) {
		struct sipb_npush *p = list;
		struct sipb_notify_result r = { .status = 481, .phrase = "Subscription ended",
			.local = 1, .retry_after = -1, .gone = 1 };

		list = p->next;
		notify_report(s, p, &r);
	}
}

void sipb_notify_response(struct sipb *s, struct sipb_sub *x, int status, char const *phrase,
    sip_t const *sip)
{
	struct sipb_npush *p = x->pushes;
	struct sipb_notify_result r = { 0 };
	int graceful = 0;

	if (status < 200 || !p)
		return;
	x->pushes = p->next;
	r.status = status;
	r.phrase = phrase ? phrase : "";
	r.local = !sip || (sip->sip_flags & SIPB_NTA_INTERNAL_MSG) != 0;
	r.retry_after = sipb_retry_after(sip);
	if (status > 699) {   /* nua's own failures (900 Internal error, ...) */
		r.status = 500;
		r.local = 1;
	}
	/* RFC 6665 §4.2.2 (481: the subscription is gone) and RFC 5057: an
	 * answer that ends the usage or the dialog ends the subscription. A
	 * local 503 (no transport) does not: the dialog may serve later. */
	if (r.status == 481 || sip_response_terminates_dialog(r.status, sip_method_notify, &graceful) != 0) {
		r.gone = 1;
		/* the handler forgets the subscription before the push's result
		 * comes (the result may choose another way for the push) */
		p->next = NULL;
		sipb_subscribe_end(s, x);
	}
	notify_report(s, p, &r);
}

/* Subscription-State of a push NOTIFY: the subscription stays active. */
static char *notify_substate(su_home_t *home, const struct sipb_sub *x)
{
	long long left = x->expires_at - sipb_mono_s();

	return su_sprintf(home, "active;expires=%lld", left > 0 ? left : 0);
}

int sipb_send_notify(struct sipb *s, const struct sipb_notify *n)
{
	struct sipb_sub *x;
	struct sipb_npush *p, **pp;
	su_home_t area[SU_HOME_AUTO_SIZE(SIPB_MSG_AREA)];
	su_home_t *home;
	sip_accept_contact_t *ac;
	sip_p_asserted_identity_t *pai = NULL;
	sip_content_type_t *ct;
	sip_payload_t *pl;
	sip_event_t *ev;
	sip_subscription_state_t *ss;
	url_t *ruri = NULL;
	const char *cid;
	char tok[21];
	size_t size;
	int indirect = 0, rc = -EINVAL;

	if (!s || !n || !n->call_id || !n->remote_tag || !n->app || !n->content_type ||
	    (!n->body && n->body_len))
		return -EINVAL;
	if (s->closing)
		return -ESHUTDOWN;
	if (!s->notify_result || !sipb_is_event_app_id(n->app, strlen(n->app)) ||
	    strpbrk(n->content_type, "\r\n"))
		return -EINVAL;
	if (!(x = notify_find(s, n->call_id, n->remote_tag)))
		return -ENOENT;
	if (!(home = su_home_auto(area, sizeof area)))
		return -ENOMEM;
	ev = sip_event_make(home, su_sprintf(home, "ua-profile;profile-type=oma-app;event-app-id=\"%s\"",
	    n->app));
	ac = sip_accept_contact_make(home, su_sprintf(home, "*;+g.oma.pusheventapp=\"%s\"", n->app));
	if (s->cfg.p_asserted_identity)
		pai = sip_p_asserted_identity_make(home, s->cfg.p_asserted_identity);
	ct = sip_content_type_make(home, n->content_type);
	pl = sip_payload_create(home, n->body ? n->body : "", n->body_len);
	if (x->contact)
		ruri = url_make(home, x->contact);
	if (!ruri)
		ruri = url_make(home, "sip:subscriber.invalid");
	sipb_token(s, tok, 20);
	cid = su_sprintf(home, "%s-%lu@sipb", tok, ++s->seq);
	ss = sip_subscription_state_make(home, notify_substate(home, x));
	if (!ev || !ss || !ac || (s->cfg.p_asserted_identity && !pai) || !ct || !pl || !ruri || !cid)
		goto out;
	{
		tagi_t tags[] = {
			{ NUTAG_METHOD("NOTIFY") },
			{ SIPTAG_EVENT(ev) },
			{ SIPTAG_SUBSCRIPTION_STATE(ss) },
			{ SIPTAG_ACCEPT_CONTACT(ac) },
			{ TAG_IF(pai, SIPTAG_P_ASSERTED_IDENTITY(pai)) },
			{ SIPTAG_CONTENT_TYPE(ct) },
			{ SIPTAG_PAYLOAD(pl) },
			{ TAG_END() },
		};
		url_string_t const *us = (url_string_t const *)ruri;

		/* measured as a MESSAGE is (sipb_measure), to the subscriber's
		 * Contact, plus the Route set its Record-Route made */
		size = sipb_measure(s, SIP_METHOD_NOTIFY, us, pl, tags + 1);
		if (!size)
			goto out;
		size += x->route_len;
		if (size > s->cfg.indirection_threshold && n->external_url) {
			rc = sipb_external_body(home, n->external_url, n->content_type, n->body_len, cid,
			    &ct, &pl);
			if (rc < 0)
				goto out;
			tags[5].t_value = (tag_value_t)ct;
			tags[6].t_value = (tag_value_t)pl;
			indirect = 1;
		}
		rc = -ENOMEM;
		if (!(p = calloc(1, sizeof *p)))
			goto out;
		p->tag = n->tag;
		p->indirect = indirect;
		for (pp = &x->pushes; *pp; pp = &(*pp)->next)
			;
		*pp = p;
		s->nnotify++;
		nua_method(x->out.nh, TAG_NEXT(tags));
		rc = 0;
	}
out:
	su_home_deinit(home);
	return rc;
}
