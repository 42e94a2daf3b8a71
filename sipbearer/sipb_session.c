/*
 * sipb_session.c - session-mode push (OMA-TS-SIP_Push §9.3.2; RFC 3261
 * INVITE/ACK/CANCEL/BYE through nua; RFC 4975 MSRP in sipb_msrp_conn.c).
 *
 * One session per sipb_send_session(): an INVITE (Accept-Contact with the
 * Push Resource Identifier, P-Asserted-Identity, Request-URI as for a
 * MESSAGE) with the SDP offer of sipb_sdp.c. Its final answer:
 *   - 2xx: nua ACKs; the answer's a=path gives the MSRP peer; the content
 *     goes as SEND chunks; the MSRP result is the session's result; BYE.
 *     An answer without an accepted MSRP stream ends as a local 488 (no
 *     acceptable media), after a BYE.
 *   - 3xx..6xx: the session's result, like a MESSAGE's.
 *   - none within answer_timeout_ms: CANCEL (§9.3.2.2); the INVITE's final
 *     answer (487) then ends it as a local 408 with cancelled set.
 * A BYE from the terminal before the MSRP result ends the transfer as a
 * local 503 (connection lost). The session lives on after its result until
 * its BYE transaction ends.
 */
#include "sipbearer/sipb_int.h"
#include "sipbearer/sipb_msrp_conn.h"
#include "sipbearer/sipb_msrp_relay.h"
#include "sipbearer/sipb_msrp_rpool.h"
#include "sipbearer/sipb_msrp_tls.h"
#include "sipbearer/sipb_sdp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/url.h>

/* The port of this side's MSRP URI: the active side listens on none
 * (a=setup:active, RFC 6135); 9 is the discard port RFC 4145 uses. */
#define SIPB_MSRP_ACTIVE_PORT 9

struct sipb_sess {
	struct sipb_out out;          /* the handle's magic; out.sess = this */
	struct sipb *s;
	struct sipb_sess *next, **prevp;
	uint64_t tag;
	char *content_type;
	unsigned char *body;
	size_t len;
	char from_path[512];
	size_t chunk;
	int report_required;
	int tls;                      /* msrps offered */
	unsigned transfer_ms;
	char *ca_file;                /* msrps: the CAs when no a=fingerprint (NULL: the system's) */
	char why[300];                /* a result's phrase made here */
	su_timer_t *timer;            /* answer timeout -> CANCEL */
	struct sipb_mconn *mc;
	/* With a relay: the INVITE waits for its AUTH; what it is made of. */
	struct sipb_mrelay *relay;
	char *use_path;
	/* ... or one kept from an earlier session (sipb_msrp_rpool.h), without AUTH */
	int via_relay;
	char *relay_uri, *relay_user;
	int rfd;                      /* the kept connection until the MSRP transfer takes it */
	struct sipb_mtls *rtls;
	int64_t relay_until;          /* the Use-Path's Expires (monotonic ms; 0: none told) */
	su_home_t *home;
	url_t *ruri;
	sip_from_t *from;
	sip_to_t *to;
	sip_accept_contact_t *ac;
	sip_p_asserted_identity_t *pai;
	sip_route_t *route;
	const char *cid;
	struct sipb_sdp_offer off;
	char off_host[128], off_sid[21];
	char *off_file;
	unsigned answer_ms;
	int cancelled, established, reported, bye_sent;
	int soon_status;              /* a relay failure found in sipb_send_session */
	int ending;                   /* sipb_session_end: its result is due */
};

static void sess_unlink_free(struct sipb *s, struct sipb_sess *x)
{
	if (x->prevp) {
		*x->prevp = x->next;
		if (x->next)
			x->next->prevp = x->prevp;
		s->nsessions--;
		x->prevp = NULL;
	}
	su_timer_destroy(x->timer);
	sipb_mconn_free(x->mc);
	/* a relay connection authorized for this session and never used by a
	 * transfer (the INVITE failed, or the session was ended before): kept */
	if (x->relay_until && x->rfd < 0 && x->relay)
		sipb_mrelay_take(x->relay, &x->rfd, &x->rtls);
	if (x->relay_until && x->rfd >= 0) {
		sipb_rpool_put(s, x->relay_uri, x->relay_user, x->rfd, x->rtls, x->use_path, x->relay_until);
		x->rfd = -1;
		x->rtls = NULL;
	}
	sipb_mrelay_free(x->relay);
	sipb_mtls_free(x->rtls);
	if (x->rfd >= 0)
		close(x->rfd);
	free(x->relay_uri);
	free(x->relay_user);
	free(x->use_path);
	free(x->off_file);
	su_home_unref(x->home);
	if (x->out.nh)
		nua_handle_destroy(x->out.nh);
	free(x->content_type);
	free(x->ca_file);
	free(x->body);
	free(x);
}

static void sess_end_report(struct sipb *s, struct sipb_sess *x);

static void sess_report(struct sipb *s, struct sipb_sess *x, struct sipb_session_result *r)
{
	if (x->reported)
		return;
	x->reported = 1;
	r->tag = x->tag;
	if (!r->phrase)
		r->phrase = "";
	s->session_result(s->session_arg, r);
}

static void sess_bye(struct sipb_sess *x)
{
	if (!x->bye_sent) {
		x->bye_sent = 1;
		nua_bye(x->out.nh, TAG_END());
	}
}

static void sess_on_timer(su_root_magic_t *mg, su_timer_t *t, su_timer_arg_t *arg)
{
	struct sipb_sess *x = arg;
	(void)mg;
	(void)t;
	if (!x->established && !x->cancelled) {
		x->cancelled = 1;
		nua_cancel(x->out.nh, TAG_END());
	}
}

static void sess_on_soon(su_root_magic_t *mg, su_timer_t *t, su_timer_arg_t *arg)
{
	struct sipb_sess *x = arg;
	struct sipb_session_result r = { .phase = SIPB_PHASE_RELAY, .status = x->soon_status, .local = 1,
		.phrase = x->why, .retry_after = -1 };
	(void)mg;
	(void)t;
	sess_report(x->s, x, &r);
	sess_unlink_free(x->s, x);
}

static void sess_on_msrp(void *arg, const struct sipb_mconn_result *m)
{
	struct sipb_sess *x = arg;
	struct sipb *s = x->s;
	/* the comment may live in the connection freed below */
	snprintf(x->why, sizeof x->why, "%s", m->comment ? m->comment : "");
	struct sipb_session_result r = { .phase = SIPB_PHASE_MSRP, .status = m->status,
		.phrase = x->why, .local = m->local, .from_report = m->from_report,
		.retry_after = -1, .chunks = m->chunks, .acked = m->acked };

	/* RFC 4976 §5: the relay connection and its Use-Path serve the next
	 * sessions until the Expires */
	int fd = -1;
	struct sipb_mtls *tls = NULL;
	if (m->status == 200 && x->relay_until && sipb_mconn_detach(x->mc, &fd, &tls) == 0)
		sipb_rpool_put(s, x->relay_uri, x->relay_user, fd, tls, x->use_path, x->relay_until);
	sipb_mconn_free(x->mc);
	x->mc = NULL;
	sess_bye(x);
	sess_report(s, x, &r);
}

/* The 2xx of the INVITE: the MSRP transfer starts. */
static void sess_established(struct sipb *s, struct sipb_sess *x, sip_t const *sip)
{
	struct sipb_sdp_answer ans;
	struct sipb_session_result r = { .phase = SIPB_PHASE_INVITE, .status = 488, .local = 1,
		.retry_after = -1 };
	sip_payload_t const *pl = sip ? sip->sip_payload : NULL;
	int rc = pl ? sipb_sdp_answer_parse(pl->pl_data, pl->pl_len, &ans) : -ENOENT;

	x->established = 1;
	su_timer_destroy(x->timer);
	x->timer = NULL;
	/* RFC 3264 §6: the answer's transport is the offer's; an msrps path to
	 * an msrp offer (or the other way round) is no acceptable media. */
	if (rc < 0 || ans.tls != x->tls) {
		r.phrase = rc == -ENOENT ? "Not Acceptable Here (no MSRP stream in the answer)" :
		    rc < 0 ? "Not Acceptable Here (bad SDP answer)" :
		    ans.tls ? "Not Acceptable Here (msrps answer to an msrp offer)" :
		    "Not Acceptable Here (msrp answer to an msrps offer)";
		sess_bye(x);
		sess_report(s, x, &r);
		return;
	}
	if (x->tls && !s->msrp_cred && !x->via_relay) {
		char err[256];
		if (sipb_mtls_cred_new(x->ca_file, &s->msrp_cred, err, sizeof err) < 0) {
			snprintf(x->why, sizeof x->why, "MSRP TLS: %s", err);
			r.phase = SIPB_PHASE_MSRP;
			r.status = 503;
			r.phrase = x->why;
			sess_bye(x);
			sess_report(s, x, &r);
			return;
		}
	}
	int pre_fd = -1;
	struct sipb_mtls *pre_tls = NULL;
	char to_path[2048];
	if (x->via_relay) {
		/* RFC 4976 §6: through the relay's connection, its Use-Path first */
		int n = snprintf(to_path, sizeof to_path, "%s %s", x->use_path, ans.path);
		if (x->rfd >= 0) {   /* a kept one */
			pre_fd = x->rfd;
			pre_tls = x->rtls;
			x->rfd = -1;
			x->rtls = NULL;
		}
		if (n < 0 || (size_t)n >= sizeof to_path ||
		    (pre_fd < 0 && (!x->relay || sipb_mrelay_take(x->relay, &pre_fd, &pre_tls) < 0))) {
			sipb_mtls_free(pre_tls);
			if (pre_fd >= 0)
				close(pre_fd);
			r.phase = SIPB_PHASE_MSRP;
			r.status = 503;
			r.phrase = "MSRP relay: its connection is gone";
			sess_bye(x);
			sess_report(s, x, &r);
			return;
		}
		sipb_mrelay_free(x->relay);
		x->relay = NULL;
	}
	struct sipb_mconn_cfg mc = {
		.host = ans.host, .port = ans.port, .to_path = ans.path, .from_path = x->from_path,
		.content_type = x->content_type, .body = x->body, .len = x->len,
		.chunk_size = x->chunk, .report_required = x->report_required,
		.timeout_ms = x->transfer_ms, .seed = (uint64_t)(uintptr_t)x ^ (uint64_t)su_now().tv_usec << 20 ^ s->seq,
		.tls = x->tls ? s->msrp_cred : NULL, .fingerprint = ans.fingerprint[0] ? ans.fingerprint : NULL,
		.pre_connected = pre_fd >= 0, .pre_fd = pre_fd, .pre_tls = pre_tls,
		.keep = x->via_relay && x->relay_until > 0,
	};
	if (pre_fd >= 0)
		mc.to_path = to_path;
	x->mc = sipb_mconn_start(s->root, &mc, sess_on_msrp, x);
	if (!x->mc) {
		r.phase = SIPB_PHASE_MSRP;
		r.status = 503;
		r.phrase = "cannot start the MSRP transfer";
		sess_bye(x);
		sess_report(s, x, &r);
	}
}

void sipb_session_event(struct sipb *s, struct sipb_sess *x, nua_event_t event, int status,
    char const *phrase, sip_t const *sip, tagi_t const *tags)
{
	(void)tags;
	switch (event) {
	case nua_r_invite:
		if (status < 200 || x->established)
			return;
		if (status < 300 && (x->ending || x->reported)) {
			x->established = 1;   /* a 2xx crossed the CANCEL: end it */
			sess_bye(x);
			return;
		}
		if (status < 300) {
			sess_established(s, x, sip);
			return;
		}
		sess_end_report(s, x);   /* ended here: that result, not the 487's */
		{
			struct sipb_session_result r = { .phase = SIPB_PHASE_INVITE, .status = status,
				.phrase = phrase, .retry_after = -1, .cancelled = x->cancelled };
			r.local = !sip || (sip->sip_flags & SIPB_NTA_INTERNAL_MSG) != 0;
			r.retry_after = sip && sip->sip_retry_after ? (int)sip->sip_retry_after->af_delta : -1;
			if (x->cancelled) {
				r.status = 408;
				r.local = 1;
				r.phrase = "Request Timeout (no answer: CANCELled)";
			} else if (status > 699) {
				r.status = 500;
				r.local = 1;
			}
			sess_report(s, x, &r);
			sess_unlink_free(s, x);
		}
		return;
	case nua_i_bye:
		/* The terminal ended the session (nua answered 200). */
		sess_end_report(s, x);
		if (!x->reported) {
			struct sipb_session_result r = { .phase = SIPB_PHASE_MSRP, .status = 503, .local = 1,
				.phrase = "BYE from the terminal before the MSRP transfer ended",
				.retry_after = -1 };
			sipb_mconn_free(x->mc);
			x->mc = NULL;
			sess_report(s, x, &r);
		}
		sess_unlink_free(s, x);
		return;
	case nua_r_bye:
		if (status >= 200) {
			sess_end_report(s, x);   /* ended by sipb_session_end before its timer */
			sess_unlink_free(s, x);
		}
		return;
	default:
		return;
	}
}

/* ------------------------------------------------------- ended early */

/* The result of a session sipb_session_end ended (once). */
static void sess_end_report(struct sipb *s, struct sipb_sess *x)
{
	if (!x->ending || x->reported)
		return;
	struct sipb_session_result r = { .phase = x->established ? SIPB_PHASE_MSRP :
		x->home ? SIPB_PHASE_RELAY : SIPB_PHASE_INVITE, .status = 503, .local = 1,
		.phrase = x->why, .retry_after = -1 };
	sess_report(s, x, &r);
}

static void sess_on_end(su_root_magic_t *mg, su_timer_t *t, su_timer_arg_t *arg)
{
	struct sipb_sess *x = arg;
	struct sipb *s = x->s;
	(void)mg;
	(void)t;
	sess_end_report(s, x);
	if (x->home)   /* no INVITE went: nothing on the wire to wait for */
		sess_unlink_free(s, x);
}

void sipb_session_end(struct sipb *s, uint64_t tag, const char *why)
{
	struct sipb_sess *x;

	if (!s)
		return;
	for (x = s->sessions; x; x = x->next)
		if (x->tag == tag && !x->reported && !x->ending)
			break;
	if (!x)
		return;
	x->ending = 1;
	snprintf(x->why, sizeof x->why, "%s", why ? why : "ended");
	sipb_mconn_free(x->mc);
	x->mc = NULL;
	sipb_mrelay_free(x->relay);
	x->relay = NULL;
	if (x->established) {
		sess_bye(x);
	} else if (!x->home && !x->cancelled) {
		x->cancelled = 1;
		nua_cancel(x->out.nh, TAG_END());
	}
	if (x->timer)
		su_timer_reset(x->timer);
	else
		x->timer = su_timer_create(su_root_task(s->root), 0);
	/* Without a timer (out of memory) the result goes with the INVITE's
	 * final answer or the BYE's. */
	if (x->timer)
		su_timer_set_interval(x->timer, sess_on_end, x, 0);
}

void sipb_session_abort_all(struct sipb *s, int status, const char *phrase)
{
	while (s->sessions) {
		struct sipb_sess *x = s->sessions;
		struct sipb_session_result r = { .phase = x->established ? SIPB_PHASE_MSRP : SIPB_PHASE_INVITE,
			.status = status, .phrase = phrase, .local = 1, .retry_after = -1 };
		sipb_mconn_free(x->mc);
		x->mc = NULL;
		sess_report(s, x, &r);
		sess_unlink_free(s, x);
	}
	if (s->closing) {
		sipb_rpool_free(s);   /* their TLS sessions use the credentials */
		sipb_mtls_cred_free(s->msrp_cred);
		s->msrp_cred = NULL;
	}
}

/* This agent's host (without the port) for c= and the MSRP URI. */
static void sess_host(struct sipb *s, char *out, size_t len)
{
	const char *h = s->via_host ? s->via_host : "127.0.0.1";
	const char *end = h[0] == '[' ? strchr(h, ']') : strrchr(h, ':');
	if (h[0] == '[' && end)
		snprintf(out, len, "%.*s", (int)(end - h - 1), h + 1);
	else
		snprintf(out, len, "%.*s", end ? (int)(end - h) : (int)strlen(h), h);
}

/* Sends the INVITE (its offer's a=path led by the relay's Use-Path, if
 * any); the SIP pieces prepared by sipb_send_session go with it. */
static void sess_invite(struct sipb *s, struct sipb_sess *x)
{
	char sdp[3072];
	x->off.relay_path = x->use_path;
	if (sipb_sdp_offer_write(sdp, sizeof sdp, &x->off) < 0) {
		struct sipb_session_result r = { .phase = SIPB_PHASE_RELAY, .status = 500, .local = 1,
			.phrase = "MSRP relay: its Use-Path does not fit in the offer", .retry_after = -1 };
		sess_report(s, x, &r);
		sess_unlink_free(s, x);
		return;
	}
	su_timer_set_interval(x->timer, sess_on_timer, x, (su_duration_t)x->answer_ms);
	nua_invite(x->out.nh, NUTAG_URL((url_string_t const *)x->ruri),
	    SIPTAG_FROM(x->from), SIPTAG_TO(x->to), SIPTAG_CALL_ID_STR(x->cid), SIPTAG_ACCEPT_CONTACT(x->ac),
	    TAG_IF(x->pai, SIPTAG_P_ASSERTED_IDENTITY(x->pai)), TAG_IF(x->route, SIPTAG_ROUTE(x->route)),
	    SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	su_home_unref(x->home);
	x->home = NULL;
}

/* The relay's answer to AUTH: the INVITE goes, or the session ends here. */
static void sess_on_relay(void *arg, const struct sipb_mrelay_result *m)
{
	struct sipb_sess *x = arg;
	struct sipb *s = x->s;

	if (m->status == 200 && (x->use_path = strdup(m->use_path)) != NULL) {
		x->relay_until = m->expires ? sipb_rpool_now_ms() + (int64_t)m->expires * 1000 : 0;
		sess_invite(s, x);
		return;
	}
	/* the comment may live in the relay's state freed below */
	snprintf(x->why, sizeof x->why, "%s", m->comment ? m->comment : "");
	struct sipb_session_result r = { .phase = SIPB_PHASE_RELAY, .status = m->status,
		.phrase = x->why, .local = m->local, .retry_after = -1 };
	if (m->status == 200) {
		r.status = 500;
		r.local = 1;
		r.phrase = "out of memory";
	}
	sipb_mrelay_free(x->relay);
	x->relay = NULL;
	sess_report(s, x, &r);
	sess_unlink_free(s, x);
}

int sipb_send_session(struct sipb *s, const struct sipb_session *q)
{
	char callid[21], ftag[13], sid[21], host[128], sdp[2048];
	struct sipb_sess *x;
	int rc = -EINVAL;

	if (!s || !q || !q->request_uri || !q->to || !q->app || !q->content_type ||
	    (!q->body && q->body_len) || !s->session_result)
		return -EINVAL;
	if (s->closing)
		return -ESHUTDOWN;
	if (!sipb_is_event_app_id(q->app, strlen(q->app)) || strpbrk(q->content_type, "\r\n"))
		return -EINVAL;
	su_home_t *home = su_home_new(sizeof *home);
	if (!home)
		return -ENOMEM;
	msg_random_token(callid, 20, NULL, 0);
	msg_random_token(ftag, 12, NULL, 0);
	msg_random_token(sid, 20, NULL, 0);
	sess_host(s, host, sizeof host);
	struct sipb_sdp_offer off = { .host = host, .port = SIPB_MSRP_ACTIVE_PORT, .session_id = sid,
		.content_type = q->content_type, .size = q->body_len, .file_name = q->file_name,
		.sess_id = (unsigned long long)su_now().tv_sec, .tls = q->msrp_tls };
	const char *cid = su_sprintf(home, "%s-%lu@sipb", callid, ++s->seq);
	url_t *ruri = url_make(home, q->request_uri);
	sip_from_t *from = sip_from_make(home, s->cfg.from_uri);
	sip_to_t *to = sip_to_make(home, q->to);
	sip_accept_contact_t *ac = sip_accept_contact_make(home,
	    su_sprintf(home, "*;+g.oma.pusheventapp=\"%s\"", q->app));
	sip_p_asserted_identity_t *pai = s->cfg.p_asserted_identity ?
	    sip_p_asserted_identity_make(home, s->cfg.p_asserted_identity) : NULL;
	sip_route_t *route = q->route ? sipb_route(home, q->route) : NULL;
	int sl = sipb_sdp_offer_write(sdp, sizeof sdp, &off);
	if (!cid || !ruri || ruri->url_type == url_unknown || ruri->url_type == url_invalid || !from ||
	    !to || !ac || (s->cfg.p_asserted_identity && !pai) || (q->route && !route) || sl < 0 ||
	    sip_from_tag(home, from, ftag) < 0)
		goto out;
	rc = -ENOMEM;
	if (!(x = calloc(1, sizeof *x)))
		goto out;
	x->out.sess = x;
	x->s = s;
	x->rfd = -1;
	x->tag = q->tag;
	x->len = q->body_len;
	x->chunk = q->chunk_size ? q->chunk_size : 4096;
	x->report_required = q->report_required;
	x->tls = q->msrp_tls;
	x->ca_file = q->msrp_ca_file && *q->msrp_ca_file ? strdup(q->msrp_ca_file) : NULL;
	x->transfer_ms = q->transfer_timeout_ms ? q->transfer_timeout_ms : 30000;
	x->content_type = strdup(q->content_type);
	x->off_file = q->file_name ? strdup(q->file_name) : NULL;
	x->body = malloc(q->body_len + 1);
	x->timer = su_timer_create(su_root_task(s->root), 0);
	if (!x->content_type || !x->body || !x->timer || (q->file_name && !x->off_file) ||
	    sipb_sdp_offer_path(x->from_path, sizeof x->from_path, &off) < 0 ||
	    !(x->out.nh = nua_handle(s->nua, &x->out, TAG_END()))) {
		sess_unlink_free(s, x);
		goto out;
	}
	if (q->body_len)
		memcpy(x->body, q->body, q->body_len);
	x->next = s->sessions;
	if (x->next)
		x->next->prevp = &x->next;
	x->prevp = &s->sessions;
	s->sessions = x;
	s->nsessions++;
	x->answer_ms = q->answer_timeout_ms ? q->answer_timeout_ms : 30000;
	/* what the INVITE is made of, kept until it goes */
	x->home = home;
	home = NULL;
	x->ruri = ruri;
	x->from = from;
	x->to = to;
	x->ac = ac;
	x->pai = pai;
	x->route = route;
	x->cid = cid;
	x->off = off;
	snprintf(x->off_host, sizeof x->off_host, "%s", host);
	snprintf(x->off_sid, sizeof x->off_sid, "%s", sid);
	x->off.host = x->off_host;
	x->off.session_id = x->off_sid;
	x->off.content_type = x->content_type;
	x->off.file_name = x->off_file;
	rc = 0;
	if (!q->msrp_relay || !*q->msrp_relay) {
		sess_invite(s, x);
		goto out;
	}
	x->via_relay = 1;
	x->relay_uri = strdup(q->msrp_relay);
	x->relay_user = strdup(q->msrp_relay_user ? q->msrp_relay_user : "");
	if (!x->relay_uri || !x->relay_user) {
		snprintf(x->why, sizeof x->why, "out of memory");
		x->soon_status = 500;
		su_timer_set_interval(x->timer, sess_on_soon, x, 0);
		goto out;
	}
	/* RFC 4976 §5, §6: a connection kept from an earlier session whose
	 * Use-Path lasts through this one (answer and transfer) goes at once */
	if (sipb_rpool_take(s, x->relay_uri, x->relay_user, sipb_rpool_now_ms(),
	    (int64_t)x->answer_ms + x->transfer_ms, &x->rfd, &x->rtls, &x->use_path, &x->relay_until) > 0) {
		sess_invite(s, x);
		goto out;
	}
	/* RFC 4976 §5: AUTH at the relay first (msrps: its certificate against
	 * msrp_ca_file and its host) */
	char err[256];
	if (!strncasecmp(q->msrp_relay, "msrps:", 6) && !s->msrp_cred &&
	    sipb_mtls_cred_new(x->ca_file, &s->msrp_cred, err, sizeof err) < 0) {
		snprintf(x->why, sizeof x->why, "MSRP relay: %s", err);
		x->soon_status = 503;
	}
	struct sipb_mrelay_cfg rc_ = { .uri = q->msrp_relay, .user = q->msrp_relay_user,
		.password = q->msrp_relay_password, .from_path = x->from_path, .tls = s->msrp_cred,
		.timeout_ms = x->answer_ms, .expires = 600,
		.seed = (uint64_t)(uintptr_t)x ^ (uint64_t)su_now().tv_usec << 24 ^ s->seq };
	if (!x->soon_status && !(x->relay = sipb_mrelay_start(s->root, &rc_, sess_on_relay, x))) {
		snprintf(x->why, sizeof x->why, "MSRP relay: cannot start (is msrp_relay an MSRP URI?)");
		x->soon_status = 500;
	}
	if (x->soon_status)   /* reported from the loop, not from inside this call */
		su_timer_set_interval(x->timer, sess_on_soon, x, 0);
out:
	su_home_unref(home);
	return rc;
}
