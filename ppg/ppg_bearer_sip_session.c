/*
 * ppg_bearer_sip_session.c - session-mode push in the SIP bearer
 * (OMA-TS-SIP_Push §9.3): which pushes go in an INVITE + MSRP session, and
 * what the session's end means for the delivery (the table in the README,
 * "Session mode"). The transport is sipbearer/sipb_session.c. [loop]
 */
#include "ppg/ppg_bearer_sip_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pap/pap.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_metrics.h"

/* Is app one of the comma-separated list? */
static int in_list(const char *list, const char *app)
{
	size_t al = strlen(app);
	for (const char *q = list; q && *q;) {
		while (*q == ' ' || *q == '\t' || *q == ',')
			q++;
		size_t l = strcspn(q, ",");
		size_t k = l;
		while (k && (q[k - 1] == ' ' || q[k - 1] == '\t'))
			k--;
		if (k && k == al && !strncasecmp(q, app, al))
			return 1;
		q += l;
	}
	return 0;
}

int ppg_bearer_sip_wants_session(const struct sip_bearer *s, const struct ppg_push *p, char *why,
    size_t len)
{
	const struct ppg_config *c = s->cfg;
	if (c->sip_session_threshold && p->len > c->sip_session_threshold) {
		snprintf(why, len, "%zu bytes, above session_threshold %zu", p->len, c->sip_session_threshold);
		return 1;
	}
	if (c->sip_session_apps && in_list(c->sip_session_apps, p->app)) {
		snprintf(why, len, "application %s in session_apps", p->app);
		return 1;
	}
	if (c->sip_confirmed == PPG_CONFIRMED_SESSION && p->delivery_method == PAP_DM_CONFIRMED) {
		snprintf(why, len, "delivery-method confirmed");
		return 1;
	}
	return 0;
}

/* A file-like content gets a=file-selector (RFC 5547): anything but text
 * and the small push types that are messages rather than files. */
static int file_like(const char *ct)
{
	return strncasecmp(ct, "text/", 5) && strncasecmp(ct, "message/", 8) &&
	    strncasecmp(ct, "application/vnd.wap.si", 22) && strncasecmp(ct, "application/vnd.wap.sl", 22);
}

void ppg_bearer_sip_session_send(struct sip_attempt *t, const char *ruri, const char *to,
    const char *route, const char *why)
{
	struct sip_bearer *s = t->s;
	struct ppg_bearer_attempt *a = t->a;
	const struct ppg_push *p = a->push;
	char name[96];

	snprintf(name, sizeof name, "push-%lld", (long long)p->id);
	struct sipb_session q = {
		.request_uri = ruri, .to = to, .route = route, .app = p->app,
		.content_type = p->content_type, .body = p->body, .body_len = p->len,
		.file_name = file_like(p->content_type) ? name : NULL,
		.chunk_size = s->cfg->sip_msrp_chunk_size, .report_required = s->cfg->sip_msrp_report,
		.answer_timeout_ms = s->cfg->sip_session_timeout * 1000,
		.transfer_timeout_ms = s->cfg->sip_session_timeout * 1000,
		.tag = (uint64_t)(uintptr_t)t,
		.msrp_tls = s->cfg->sip_msrp_tls, .msrp_ca_file = s->cfg->sip_msrp_ca_file,
		.msrp_relay = s->cfg->sip_msrp_relay, .msrp_relay_user = s->cfg->sip_msrp_relay_user,
		.msrp_relay_password = s->cfg->sip_msrp_relay_password,
	};
	LOGPUSH(PPG_LOG_SIP, LOG_DEBUG, p->pi, p->push_id, "delivery %lld: SIP INVITE + MSRP session to %s (%s)",
	    (long long)a->delivery, ruri, why);
	t->session = 1;
	t->outstanding = 1;
	s->messages++;
	if (sipb_send_session(s->sip, &q) < 0) {
		struct sipb_session_result r = { .phase = SIPB_PHASE_INVITE, .status = 503,
			.phrase = "Cannot send", .local = 1, .retry_after = -1, .tag = q.tag };
		ppg_bearer_sip_on_session(s, &r);
	}
}

/*
 * How an MSRP error ends a delivery (README "Session mode"): a retry (the
 * engine's backoff, as for a local SIP status) or a final state. Returns 1
 * with state/code for a final one, 0 with *sip_status for a retry.
 */
static int msrp_final(const struct sipb_session_result *r, int *state, int *code, int *sip_status)
{
	*state = DB_STATE_UNDELIVERABLE;
	if (r->local && r->status == 503) {
		*sip_status = 503;   /* connection failed or lost: a new session later */
		return 0;
	}
	switch (r->status) {
	case 408:               /* no response / REPORT in time */
		*sip_status = 408;
		return 0;
	case 481:               /* the session went away: a new one later */
		*sip_status = 503;
		return 0;
	case 403:
		*code = PAP_FORBIDDEN;
		return 1;
	case 413:               /* the terminal refuses the message's size */
	case 415:               /* or its type */
		*code = PAP_CAPABILITIES_MISMATCH;
		return 1;
	default:                /* 400, 501, 506, others, garbage on the connection */
		*code = PAP_SERVICE_FAILURE;
		return 1;
	}
}

void ppg_bearer_sip_on_session(void *arg, const struct sipb_session_result *r)
{
	struct sip_bearer *s = arg;
	struct sip_attempt *t = (struct sip_attempt *)(uintptr_t)r->tag;
	char desc[192];

	if (s->messages)
		s->messages--;
	if (r->phase == SIPB_PHASE_INVITE) {
		ppg_metrics_sip_response(r->status);
		ppg_bearer_sip_tls_failed(s, "INVITE", r->status, r->local, r->phrase);
	}
	if (!t)
		return;
	t->outstanding = 0;
	struct ppg_bearer_attempt *a = t->a;
	if (s->stopping || !a) {   /* abandoned, or the engine let go of it */
		ppg_bearer_sip_attempt_free(t);
		return;
	}
	ppg_bearer_sip_attempt_free(t);
	a->priv = NULL;
	const struct ppg_push *p = a->push;
	struct ppg_bearer_report rep = { .kind = PPG_REPORT_OUTCOME, .attempt = a, .end = 1,
		.status = r->status, .phrase = r->phrase, .local = r->local, .retry_after = r->retry_after,
		.desc = desc };

	if (r->phase == SIPB_PHASE_INVITE) {
		if (r->status == 488 || r->status == 606) {
			if (s->cfg->sip_session_fallback) {
				LOGPUSH(PPG_LOG_SIP, LOG_INFO, p->pi, p->push_id, "delivery %lld: INVITE %d %s: "
				    "falling back to pager mode", (long long)a->delivery, r->status, r->phrase);
				ppg_bearer_sip_send_mode(s, a, SIP_MODE_PAGER_ONLY);
				return;
			}
			snprintf(desc, sizeof desc, "SIP session: INVITE %d %s%s", r->status, r->phrase,
			    r->local ? " (local)" : "");
			ppg_bearer_final(&s->base, a, DB_STATE_UNDELIVERABLE, PAP_CAPABILITIES_MISMATCH, desc);
			return;
		}
		snprintf(desc, sizeof desc, "SIP session: INVITE %d %s%s", r->status, r->phrase,
		    r->local ? " (local)" : "");
		ppg_bearer_report(&s->base, &rep);
		return;
	}
	if (r->phase == SIPB_PHASE_RELAY) {
		/* README "MSRP relays": unreachable or silent, a retry; refused, final */
		snprintf(desc, sizeof desc, "SIP session: %d %s%s", r->status, r->phrase,
		    r->local ? " (local)" : "");
		LOGPUSH(PPG_LOG_SIP, LOG_NOTICE, p->pi, p->push_id, "delivery %lld: %s",
		    (long long)a->delivery, desc);
		if (r->local && (r->status == 503 || r->status == 408)) {
			ppg_bearer_report(&s->base, &rep);
			return;
		}
		ppg_bearer_final(&s->base, a, DB_STATE_UNDELIVERABLE, PAP_SERVICE_FAILURE, desc);
		return;
	}
	/* The session was up: the MSRP transfer's end. */
	if (r->status == 200) {
		snprintf(desc, sizeof desc, "SIP session: MSRP %s, %zu bytes in %zu chunk%s",
		    r->from_report ? "REPORT 000 200" : "200 to every SEND (no REPORT)", p->len, r->chunks,
		    r->chunks == 1 ? "" : "s");
		rep.status = 200;
		rep.phrase = "OK";
		ppg_bearer_report(&s->base, &rep);
		return;
	}
	int state, code, sip_status = 0;
	snprintf(desc, sizeof desc, "SIP session: MSRP %s%d %s%s (%zu of %zu chunks acknowledged)",
	    r->from_report ? "REPORT 000 " : "", r->status, r->phrase, r->local ? " (local)" : "",
	    r->acked, r->chunks);
	if (msrp_final(r, &state, &code, &sip_status)) {
		ppg_bearer_final(&s->base, a, state, code, desc);
		return;
	}
	rep.status = sip_status;
	rep.local = 1;
	rep.retry_after = -1;
	ppg_bearer_report(&s->base, &rep);
}
