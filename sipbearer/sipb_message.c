/*
 * sipb_message.c - pager-mode push: one SIP MESSAGE per push
 * (OMA-TS-SIP_Push §9.1.2, §8.2.2, Appendix C.2; RFC 3428;
 * content indirection RFC 4483 with RFC 2046 §5.2.3 and RFC 2017).
 *
 * Each MESSAGE in flight has a nua handle of its own; after the final
 * response the handle waits in a pool for the next MESSAGE (see
 * sipb_out_take). The core's result callback runs exactly once per MESSAGE
 * accepted by sipb_send_message().
 */
#include "sipbearer/sipb_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/url.h>

/* Lengths of the random parts this agent puts into every MESSAGE. */
#define SIPB_CALLID_TOKEN 20
#define SIPB_FROMTAG_TOKEN 12

/* Most MESSAGE handles kept idle between two MESSAGEs. */
#define SIPB_IDLE_MAX 256

static void sipb_out_unlink(struct sipb *s, struct sipb_out *o)
{
	if (o->next)
		o->next->prevp = o->prevp;
	*o->prevp = o->next;
	o->next = NULL;
	o->prevp = NULL;
	s->inflight--;
}

static void sipb_out_link(struct sipb *s, struct sipb_out *o)
{
	o->next = s->out;
	if (o->next)
		o->next->prevp = &o->next;
	o->prevp = &s->out;
	s->out = o;
	s->inflight++;
}

/*
 * A handle for the next MESSAGE: an idle one, else a new one. A handle is
 * created by a call to nua and destroyed by a signal to its stack, each
 * with its own home (and lock); a MESSAGE needs no dialog, so a handle
 * whose MESSAGE got its final response can carry the next: nua takes the
 * Call-ID, From, To and CSeq of each request from its tags and its default
 * leg, not from the handle, and sends the requests of one handle one at a
 * time (nua_client_request_queue), which each handle here has.
 */
static struct sipb_out *sipb_out_take(struct sipb *s)
{
	struct sipb_out *o = s->idle;

	if (o) {
		s->idle = o->next;
		s->nidle--;
		o->next = NULL;
		return o;
	}
	if (!(o = calloc(1, sizeof *o)))
		return NULL;
	if (!(o->nh = nua_handle(s->nua, o, TAG_END()))) {
		free(o);
		return NULL;
	}
	return o;
}

/* Puts o's handle back into the pool, or destroys it (closing, pool full). */
static void sipb_out_put(struct sipb *s, struct sipb_out *o)
{
	if (!s->closing && s->nidle < SIPB_IDLE_MAX) {
		o->tag = 0;
		o->next = s->idle;
		s->idle = o;
		s->nidle++;
		return;
	}
	nua_handle_destroy(o->nh);
	free(o);
}

void sipb_token(struct sipb *s, char *token, int tlen)
{
	size_t need = ((size_t)tlen * 5 + 7) / 8;

	if (need > sizeof s->rnd)
		goto fallback;
	if (s->rnd_left < need) {
		ssize_t n = getrandom(s->rnd, sizeof s->rnd, GRND_NONBLOCK);

		if (n < (ssize_t)need)
			goto fallback;
		s->rnd_left = (size_t)n;
	}
	s->rnd_left -= need;
	msg_random_token(token, tlen, s->rnd + s->rnd_left, (isize_t)need);
	return;
fallback:
	msg_random_token(token, tlen, NULL, 0);
}

/* Route <uri;lr>: a bare URI gets the loose-routing flag it needs. */
sip_route_t *sipb_route(su_home_t *home, const char *route)
{
	url_t *u;

	if (strchr(route, '<'))
		return sip_route_make(home, route);
	u = url_make(home, route);
	if (!u || (u->url_type != url_sip && u->url_type != url_sips))
		return NULL;
	if (!url_has_param(u, "lr") && url_param_add(home, u, "lr") < 0)
		return NULL;
	return sip_route_create(home, u, NULL);
}

/*
 * The reference that replaces the content (RFC 4483 §5, RFC 2017): the
 * Content-Type carries access-type, URL and size; the body holds the header
 * of the referenced entity, with the Content-ID RFC 2046 §5.2.3 requires of
 * every external body, and the empty line that ends it.
 */
int sipb_external_body(su_home_t *home, const char *url, const char *content_type, size_t len,
    const char *cid, sip_content_type_t **ct, sip_payload_t **pl)
{
	char *v, *body;

	if (strpbrk(url, "\"\\\r\n"))
		return -EINVAL;
	v = su_sprintf(home, "message/external-body;access-type=\"URL\";URL=\"%s\";size=%zu",
	    url, len);
	body = su_sprintf(home, "Content-Type: %s\r\nContent-ID: <%s>\r\n\r\n", content_type, cid);
	if (!v || !body)
		return -ENOMEM;
	*ct = sip_content_type_make(home, v);
	*pl = sip_payload_create(home, body, strlen(body));
	return *ct && *pl ? 0 : -EINVAL;
}

int sipb_send_message(struct sipb *s, const struct sipb_message *m)
{
	su_home_t area[SU_HOME_AUTO_SIZE(SIPB_MSG_AREA)];
	su_home_t *home;
	char callid[SIPB_CALLID_TOKEN + 1], ftag[SIPB_FROMTAG_TOKEN + 1];
	const char *cid;
	sip_call_id_t *call_id;
	sip_from_t *from;
	sip_to_t *to;
	sip_accept_contact_t *ac;
	sip_p_asserted_identity_t *pai = NULL;
	sip_route_t *route = NULL;
	sip_content_type_t *ct;
	sip_payload_t *pl;
	url_t *ruri;
	struct sipb_out *o;
	size_t size;
	int indirect = 0, rc = -EINVAL;

	if (!s || !m || !m->request_uri || !m->to || !m->app || !m->content_type ||
	    (!m->body && m->body_len))
		return -EINVAL;
	if (s->closing)
		return -ESHUTDOWN;
	if (!sipb_is_event_app_id(m->app, strlen(m->app)) || strpbrk(m->content_type, "\r\n"))
		return -EINVAL;
	if (!(home = su_home_auto(area, sizeof area)))
		return -ENOMEM;

	sipb_token(s, callid, SIPB_CALLID_TOKEN);
	sipb_token(s, ftag, SIPB_FROMTAG_TOKEN);
	cid = su_sprintf(home, "%s-%lu@sipb", callid, ++s->seq);
	call_id = cid ? sip_call_id_make(home, cid) : NULL;
	ruri = url_make(home, m->request_uri);
	from = sip_from_make(home, s->cfg.from_uri);
	to = sip_to_make(home, m->to);
	ac = sip_accept_contact_make(home, su_sprintf(home, "*;+g.oma.pusheventapp=\"%s\"", m->app));
	if (s->cfg.p_asserted_identity)
		pai = sip_p_asserted_identity_make(home, s->cfg.p_asserted_identity);
	if (m->route)
		route = sipb_route(home, m->route);
	ct = sip_content_type_make(home, m->content_type);
	pl = sip_payload_create(home, m->body ? m->body : "", m->body_len);
	if (!cid || !call_id || !ruri || ruri->url_type == url_unknown || ruri->url_type == url_invalid ||
	    !from || !to || !ac || (s->cfg.p_asserted_identity && !pai) ||
	    (m->route && !route) || !ct || !pl)
		goto out;
	if (sip_from_tag(home, from, ftag) < 0)
		goto out;

	{
		/* The headers of this MESSAGE, given the same way to the estimate
		 * and to nua (tag list, nua copies it in nua_message); as
		 * header objects, which sipb_measure sizes without a parse. */
		tagi_t tags[] = {
			{ SIPTAG_FROM(from) },
			{ SIPTAG_TO(to) },
			{ SIPTAG_CALL_ID(call_id) },
			{ SIPTAG_ACCEPT_CONTACT(ac) },
			{ TAG_IF(pai, SIPTAG_P_ASSERTED_IDENTITY(pai)) },
			{ TAG_IF(route, SIPTAG_ROUTE(route)) },
			{ SIPTAG_CONTENT_TYPE(ct) },
			{ SIPTAG_PAYLOAD(pl) },
			{ TAG_END() },
		};
		url_string_t const *us = (url_string_t const *)ruri;

		size = sipb_measure(s, SIP_METHOD_MESSAGE, us, pl, tags);
		if (!size)
			goto out;
		if (size > s->cfg.indirection_threshold && m->external_url) {
			rc = sipb_external_body(home, m->external_url, m->content_type, m->body_len, cid, &ct, &pl);
			if (rc < 0)
				goto out;
			tags[6].t_value = (tag_value_t)ct;
			tags[7].t_value = (tag_value_t)pl;
			size = sipb_measure(s, SIP_METHOD_MESSAGE, us, pl, tags);
			rc = -EINVAL;
			if (!size)
				goto out;
			indirect = 1;
		}

		rc = -ENOMEM;
		if (!(o = sipb_out_take(s)))
			goto out;
		o->tag = m->tag;
		o->indirect = indirect;
		o->request_size = size;
		sipb_out_link(s, o);
		nua_message(o->nh, NUTAG_URL(us), TAG_NEXT(tags));
		rc = 0;
	}
out:
	su_home_deinit(home);
	return rc;
}

/*
 * Ends o: unlinks it, puts its handle back into the pool (or destroys it),
 * reports r. The handle goes first: the result callback may send again, on
 * this very handle; nua_message() and nua_handle_destroy() only queue a
 * signal to the stack (the event being delivered keeps phrase and sip alive).
 */
static void sipb_out_finish(struct sipb *s, struct sipb_out *o, struct sipb_result *r)
{
	sipb_out_unlink(s, o);
	r->indirect = o->indirect;
	r->request_size = o->request_size;
	r->tag = o->tag;
	sipb_out_put(s, o);
	s->result(s->arg, r);
}

void sipb_message_response(struct sipb *s, struct sipb_out *o, int status, char const *phrase,
    sip_t const *sip)
{
	struct sipb_result r = { 0 };

	if (status < 200 || !o->prevp)
		return;         /* provisional, or a handle without a MESSAGE (idle) */
	r.status = status;
	r.phrase = phrase ? phrase : "";
	r.local = !sip || (sip->sip_flags & SIPB_NTA_INTERNAL_MSG) != 0;
	r.retry_after = sipb_retry_after(sip);
	if (status > 699) {
		/* nua's own failures (900 Internal error, 904 ...) */
		r.status = 500;
		r.local = 1;
	}
	sipb_out_finish(s, o, &r);
}

void sipb_message_abort_all(struct sipb *s, int status, const char *phrase)
{
	struct sipb_out *o;

	while ((o = s->out)) {
		struct sipb_result r = { 0 };

		r.status = status;
		r.phrase = phrase;
		r.local = 1;
		r.retry_after = -1;
		sipb_out_finish(s, o, &r);
	}
	while ((o = s->idle)) {
		s->idle = o->next;
		s->nidle--;
		nua_handle_destroy(o->nh);
		free(o);
	}
}
