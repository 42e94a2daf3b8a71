/*
 * sipb.c - the SIP Push bearer agent: a sofia-sip nua user agent on the
 * core's su_root (OMA-TS-SIP_Push §7, §9.1.2).
 *
 * The agent listens on UDP and TCP, sends MESSAGEs (sipb_message.c) and
 * takes third-party REGISTERs (sipb_register.c). Everything else a peer may
 * send gets a plain answer: OPTIONS 200 (by nua), methods outside Allow 405
 * and unknown methods 501 (by nua). SUBSCRIBE serves the ua-profile event
 * package with the oma-app profile type (sipb_subscribe.c); other packages
 * get 489 with Allow-Events: ua-profile (RFC 6665 §4.2.1, §8.2.2).
 */
#include "sipbearer/sipb_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/tport_tag.h>

/* Transport tuning for many requests in flight (a sofia-sip pitfall found in testing): the
 * default TCP queue of 64 requests per connection ends in local 503s. */
#define SIPB_QUEUESIZE 4096
#define SIPB_UDP_BUFSIZE (4u << 20)

/*
 * Bytes nta preloads into the home of every message it makes or reads
 * (NTATAG_PRELOAD; added to the datagram's own length for one it reads).
 * sofia-sip's default is 0: each header, parameter list and string of a
 * message is then a malloc of its own, and its free another. A MESSAGE
 * push with its copy and the 200 that answers it fit in such a block.
 */
#define SIPB_PRELOAD 2048

/* The methods this agent takes (its Allow header). */
#define SIPB_ALLOW "OPTIONS, REGISTER, SUBSCRIBE"

/* Longest certificate chain accepted from a TLS peer (OpenSSL's verify
 * depth): the peer's certificate, up to four intermediate CAs, the trust
 * anchor (sofia-sip's default, 2, allows two intermediates). */
#define SIPB_TLS_VERIFY_DEPTH 4

/* How long sipb_new waits for the agent's parameters, sipb_free for the
 * shutdown of the stack (milliseconds). */
#define SIPB_START_WAIT 5000
#define SIPB_SHUTDOWN_WAIT 10000

static void sipb_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * The extended message class (P-Asserted-Identity and the other headers of
 * sip_extra.h) must be the default before the first message is parsed or
 * made; without it nua fails requests with P-Asserted-Identity locally
 * ("900 Internal error"). Done once per process.
 */
static void sipb_extend_mclass(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	sip_update_default_mclass(sip_extend_mclass(NULL));
}

/* A string parameter of nua_r_get_params, copied, or NULL. */
static char *sipb_param_str(su_home_t *home, tagi_t const *tags, tag_type_t tt)
{
	tagi_t const *t = tl_find(tags, tt);

	return t && t->t_value ? su_strdup(home, (char const *)t->t_value) : NULL;
}

/* Takes the bound address from the agent's Contact and the headers nua adds
 * to every request of its own (nua_r_get_params). */
static void sipb_got_params(struct sipb *s, tagi_t const *tags)
{
	tagi_t const *t = tl_find(tags, ntatag_contact);
	sip_contact_t const *m = t ? (sip_contact_t const *)t->t_value : NULL;

	s->got_params = 1;
	s->hdr_user_agent = sipb_param_str(s->home, tags, siptag_user_agent_str);
	s->hdr_allow = sipb_param_str(s->home, tags, siptag_allow_str);
	s->hdr_supported = sipb_param_str(s->home, tags, siptag_supported_str);
	t = tl_find(tags, ntatag_sipflags);
	s->msg_flags = t ? (int)t->t_value : 0;
	if (!m || !m->m_url->url_host)
		return;
	s->port = m->m_url->url_port ? (unsigned)strtoul(m->m_url->url_port, NULL, 10) : 5060;
	s->via_host = su_sprintf(s->home, "%s:%u", m->m_url->url_host, s->port);
}

/*
 * Answers an incoming request the application layer of nua left to us and
 * destroys the handle nua made for it (it is bound to nothing). status is
 * what nua already answered (>= 200), or < 200 when the answer is ours.
 */
static void sipb_answer_other(nua_t *nua, nua_handle_t *nh, int status, int code,
    const char *phrase)
{
	if (status < 200)
		nua_respond(nh, code, phrase, NUTAG_WITH_THIS(nua),
		    TAG_END());
	nua_handle_destroy(nh);
}

static void sipb_event(nua_event_t event, int status, char const *phrase, nua_t *nua,
    struct sipb *s, nua_handle_t *nh, struct sipb_out *o, sip_t const *sip, tagi_t tags[])
{
	if (o && o->sess) {
		sipb_session_event(s, o->sess, event, status, phrase, sip, tags);
		return;
	}
	if (o && o->rsub) {
		sipb_regevent_event(s, o->rsub, event, status, phrase, sip, tags);
		return;
	}
	if (o && o->sub) {
		if (event == nua_i_subscribe)
			sipb_subscribe_request(s, nua, nh, o->sub, sip);
		else if (event == nua_r_method)
			sipb_notify_response(s, o->sub, status, phrase, sip);
		else
			sipb_subscribe_event(s, o->sub, event, status, sip, tags);
		return;
	}
	switch (event) {
	case nua_r_message:
		if (o)
			sipb_message_response(s, o, status, phrase, sip);
		break;
	case nua_i_register:
		if (nh && !o)
			sipb_register_request(s, nua, nh, sip);
		break;
	case nua_i_subscribe:
		if (nh && !o && status < 200)
			sipb_subscribe_request(s, nua, nh, NULL, sip);
		else if (nh && !o)
			nua_handle_destroy(nh);
		break;
	case nua_i_options:
	case nua_i_message:
	case nua_i_invite:
	case nua_i_info:
	case nua_i_refer:
	case nua_i_notify:
	case nua_i_publish:
	case nua_i_method:
		if (nh && !o)
			sipb_answer_other(nua, nh, status, SIP_501_NOT_IMPLEMENTED);
		break;
	case nua_r_get_params:
		sipb_got_params(s, tags);
		break;
	case nua_r_shutdown:
		if (status >= 200)
			s->shutdown_done = 1;
		break;
	default:
		break;
	}
}

/*
 * What sofia-sip's tport verifies (enum tport_tls_verify_policy). Outgoing:
 * the chain to cafile.pem and the dates (TPTAG_TLS_VERIFY_DATE stays on),
 * then (SUBJECTS_OUT) the host the connection was opened to, the host of the
 * outbound proxy's URI, among the certificate's DNS subjectAltNames and its
 * Common Name; a failure closes the connection before anything is written.
 * Incoming: a client certificate is required and chained to cafile.pem.
 */
static unsigned sipb_tls_policy(const struct sipb_config *cfg)
{
	unsigned p = TPTLS_VERIFY_NONE;

	if (cfg->tls_verify_server)
		p |= TPTLS_VERIFY_SUBJECTS_OUT;
	if (cfg->tls_verify_client)
		p |= TPTLS_VERIFY_IN;
	return p;
}

/* Runs the root until *flag is set or ms milliseconds have passed. */
static void sipb_run_until(su_root_t *root, const int *flag, long ms)
{
	su_time_t start = su_now();

	while (!*flag && su_duration(su_now(), start) < ms)
		su_root_step(root, 50);
}

static char *sipb_strdup0(su_home_t *home, const char *s)
{
	return s ? su_strdup(home, s) : NULL;
}

struct sipb *sipb_new(su_root_t *root, const struct sipb_config *cfg, sipb_register_fn reg,
    sipb_result_fn result, void *arg, char *err, size_t errlen)
{
	struct sipb *s;

	if (!root || !cfg || (!cfg->bind_url && !cfg->tls_url) || !cfg->from_uri || !cfg->trusted ||
	    !reg || !result || (cfg->tls_url && !cfg->tls_dir)) {
		sipb_err(err, errlen, "sipb_new: missing root, bind_url, from_uri, trusted, tls_dir or callback");
		return NULL;
	}
	sipb_extend_mclass();

	s = calloc(1, sizeof *s);
	if (!s || !(s->home = su_home_new(sizeof(su_home_t)))) {
		free(s);
		sipb_err(err, errlen, "sipb_new: out of memory");
		return NULL;
	}
	s->root = root;
	s->cfg = *cfg;
	s->cfg.bind_url = sipb_strdup0(s->home, cfg->bind_url);
	s->cfg.tls_url = sipb_strdup0(s->home, cfg->tls_url);
	s->cfg.tls_dir = NULL;   /* read by nua_create only */
	s->cfg.outbound_proxy = sipb_strdup0(s->home, cfg->outbound_proxy);
	s->cfg.from_uri = su_strdup(s->home, cfg->from_uri);
	s->cfg.p_asserted_identity = sipb_strdup0(s->home, cfg->p_asserted_identity);
	s->cfg.user_agent = sipb_strdup0(s->home, cfg->user_agent);
	if (!s->cfg.indirection_threshold)
		s->cfg.indirection_threshold = 1300;
	s->reg = reg;
	s->result = result;
	s->arg = arg;

	s->nua = nua_create(root, sipb_event, s,
	    TAG_IF(s->cfg.bind_url, NUTAG_URL(s->cfg.bind_url)),
	    TAG_IF(s->cfg.tls_url, NUTAG_SIPS_URL(s->cfg.tls_url)),
	    TAG_IF(s->cfg.tls_url, NUTAG_CERTIFICATE_DIR(cfg->tls_dir)),
	    /* 0: OpenSSL's TLS_method, the highest version both ends speak;
	     * sofia-sip's default, 1, is TLSv1_method in its 1.12.11 sources
	     * (TLS 1.0 only), whatever a distribution's patches make of it. */
	    TAG_IF(s->cfg.tls_url, TPTAG_TLS_VERSION(0)),
	    TAG_IF(s->cfg.tls_url, TPTAG_TLS_VERIFY_POLICY(sipb_tls_policy(cfg))),
	    TAG_IF(s->cfg.tls_url, TPTAG_TLS_VERIFY_DEPTH(SIPB_TLS_VERIFY_DEPTH)),
	    /* A connection closed while requests wait on it (a TLS handshake
	     * that failed, a certificate that did not verify) fails them at
	     * once as a local 503, like a refused connection: without it nta
	     * drops them silently and they end 32 s later in timer F (408). */
	    TAG_IF(s->cfg.tls_url, TPTAG_SDWN_ERROR(1)),
	    TAG_IF(s->cfg.outbound_proxy, NUTAG_PROXY(s->cfg.outbound_proxy)),
	    SIPTAG_FROM_STR(s->cfg.from_uri),
	    TAG_IF(s->cfg.user_agent, SIPTAG_USER_AGENT_STR(s->cfg.user_agent)),
	    SIPTAG_ALLOW_STR(cfg->reg_event ? SIPB_ALLOW ", NOTIFY" : SIPB_ALLOW),
	    /* A third-party REGISTER may carry the receiver's "Require: pref"
	     * (OMA-TS-SIP_Push §7.2 item 3, RFC 3840): without "pref" here nua answers
	     * 420 Bad Extension. timer and 100rel (nua's default) serve INVITE
	     * sessions only, which this agent does not take. */
	    SIPTAG_SUPPORTED_STR("pref"),
	    NUTAG_APPL_METHOD("REGISTER"),
	    NUTAG_APPL_METHOD("SUBSCRIBE"),
	    SIPTAG_ALLOW_EVENTS_STR("ua-profile"),
	    NUTAG_ENABLEMESSAGE(0),
	    /* nua would resend a request answered 5xx with Retry-After < 32 s
	     * (and some 4xx) by itself, reporting only "100 Retry After": every
	     * final response must reach the core, which owns retries, attempt
	     * counts and the PAP outcome. */
	    NUTAG_RETRY_COUNT(0),
	    /* Incoming INVITEs are refused; outgoing ones (session-mode push,
	     * sipb_session.c) carry an SDP of their own: no media engine. */
	    NUTAG_ENABLEINVITE(0),
	    NUTAG_MEDIA_ENABLE(0),
	    TPTAG_QUEUESIZE(SIPB_QUEUESIZE),
	    TPTAG_UDP_RMEM(SIPB_UDP_BUFSIZE),
	    TPTAG_UDP_WMEM(SIPB_UDP_BUFSIZE),
	    TAG_IF(cfg->t1x64_ms, NTATAG_SIP_T1X64(cfg->t1x64_ms)),
	    NTATAG_PRELOAD(SIPB_PRELOAD),
	    TAG_END());
	if (!s->nua) {
		sipb_err(err, errlen, "sipb_new: cannot start the SIP agent on %s%s%s%s",
		    cfg->bind_url ? cfg->bind_url : "", cfg->bind_url && cfg->tls_url ? " and " : "",
		    cfg->tls_url ? cfg->tls_url : "", cfg->tls_url ? " (TLS: see the sofia-sip lines above)" : "");
		su_home_unref(s->home);
		free(s);
		return NULL;
	}

	/* The bound port (bind_url may say 0) and the address nta writes into
	 * the Via come back in nua_r_get_params. */
	nua_get_params(s->nua, TAG_ANY(), TAG_END());
	sipb_run_until(root, &s->got_params, SIPB_START_WAIT);
	if (!s->via_host) {
		sipb_err(err, errlen, "sipb_new: the SIP agent on %s has no contact",
		    cfg->bind_url ? cfg->bind_url : cfg->tls_url);
		sipb_free(s);
		return NULL;
	}
	return s;
}

void sipb_free(struct sipb *s)
{
	if (!s)
		return;
	s->closing = 1;
	sipb_message_abort_all(s, 503, "Service Unavailable");
	sipb_session_abort_all(s, 503, "Service Unavailable");
	sipb_register_abort_all(s, 503);
	sipb_subscribe_abort_all(s);
	sipb_regevent_abort_all(s);
	if (s->nua) {
		/* nua_destroy() frees only a stack whose shutdown has completed
		 * (otherwise it logs and leaves it): run the root until then. */
		nua_shutdown(s->nua);
		sipb_run_until(s->root, &s->shutdown_done, SIPB_SHUTDOWN_WAIT);
		nua_destroy(s->nua);
	}
	su_home_unref(s->home);
	free(s);
}

unsigned sipb_local_port(const struct sipb *s)
{
	return s ? s->port : 0;
}

void sipb_set_session_handler(struct sipb *s, sipb_session_fn fn, void *arg)
{
	if (!s)
		return;
	s->session_result = fn;
	s->session_arg = arg;
}

unsigned sipb_sessions(const struct sipb *s)
{
	return s ? s->nsessions : 0;
}

unsigned sipb_inflight(const struct sipb *s)
{
	return s ? s->inflight : 0;
}
