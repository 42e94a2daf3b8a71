/*
 * sipb_regevent.c - the subscriber side of the reg event package (RFC 3680
 * §3, §4; RFC 6665 §4.1) on nua: SUBSCRIBE Event: reg for one AoR, the
 * NOTIFYs' reginfo documents (sipb_reginfo.c) checked against the version
 * rules of RFC 3680 §4.4, and the end of the subscription. nua refreshes an
 * active subscription before it expires and answers each NOTIFY 200.
 *
 * One struct sipb_regsub per subscription; its handle's magic is its
 * struct sipb_out (rsub set). A subscription the core ends (a refused
 * SUBSCRIBE, a failed refresh, a NOTIFY "terminated") is reported once as
 * ENDED and freed; resubscribing is the caller's choice (it owns the
 * backoff). [loop]
 */
#include "sipbearer/sipb_int.h"
#include "sipbearer/sipb_reginfo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

struct sipb_regsub {
	struct sipb_out o;            /* the handle's magic (o.rsub = this) */
	struct sipb *s;
	char *aor;
	void *cookie;
	unsigned expires;
	int have;                     /* a document was applied */
	unsigned long version;        /* and its version */
	int ending;                   /* un-SUBSCRIBE sent: no more callbacks */
	struct sipb_regsub *next, **prevp;
};

void sipb_set_regevent_handler(struct sipb *s, sipb_regev_fn fn, void *arg)
{
	if (!s)
		return;
	s->regev = fn;
	s->regev_arg = arg;
}

unsigned sipb_regevent_count(const struct sipb *s)
{
	return s ? s->nrsubs : 0;
}

static void rs_unlink_free(struct sipb *s, struct sipb_regsub *rs)
{
	if (rs->prevp) {
		*rs->prevp = rs->next;
		if (rs->next)
			rs->next->prevp = rs->prevp;
		if (!rs->ending)
			s->nrsubs--;
	}
	if (rs->o.nh)
		nua_handle_destroy(rs->o.nh);
	free(rs->aor);
	free(rs);
}

int sipb_regevent_subscribe(struct sipb *s, const char *aor, const char *server,
    unsigned expires, void *cookie, struct sipb_regsub **out)
{
	if (!s || !aor || !out || !s->regev)
		return -EINVAL;
	if (s->closing)
		return -ESHUTDOWN;
	su_home_t home[1] = { SU_HOME_INIT(home) };
	int rc = -EINVAL;
	url_t *u = url_make(home, aor);
	sip_route_t *route = server ? sipb_route(home, server) : NULL;
	sip_to_t *to = sip_to_create(home, (url_string_t const *)aor);
	char exp[16];

	if (!u || (u->url_type != url_sip && u->url_type != url_sips) || !to || (server && !route))
		goto out;
	snprintf(exp, sizeof exp, "%u", expires ? expires : 3600);
	struct sipb_regsub *rs = calloc(1, sizeof *rs);
	if (!rs || !(rs->aor = strdup(aor))) {
		free(rs);
		rc = -ENOMEM;
		goto out;
	}
	rs->s = s;
	rs->cookie = cookie;
	rs->expires = expires ? expires : 3600;
	rs->o.rsub = rs;
	rs->o.nh = nua_handle(s->nua, &rs->o, SIPTAG_TO(to), TAG_END());
	if (!rs->o.nh) {
		free(rs->aor);
		free(rs);
		rc = -ENOMEM;
		goto out;
	}
	rs->next = s->rsubs;
	if (rs->next)
		rs->next->prevp = &rs->next;
	rs->prevp = &s->rsubs;
	s->rsubs = rs;
	s->nrsubs++;
	nua_subscribe(rs->o.nh, NUTAG_URL(u),
	    SIPTAG_EVENT_STR("reg"),
	    SIPTAG_ACCEPT_STR("application/reginfo+xml"),
	    SIPTAG_EXPIRES_STR(exp),
	    TAG_IF(s->cfg.p_asserted_identity, SIPTAG_P_ASSERTED_IDENTITY_STR(s->cfg.p_asserted_identity)),
	    TAG_IF(route, SIPTAG_ROUTE(route)),
	    TAG_END());
	*out = rs;
	rc = 0;
out:
	su_home_deinit(home);
	return rc;
}

void sipb_regevent_unsubscribe(struct sipb *s, struct sipb_regsub *rs)
{
	if (!s || !rs || rs->ending)
		return;
	rs->ending = 1;
	rs->cookie = NULL;
	s->nrsubs--;
	/* The handle lives on until nua_r_unsubscribe (or the stack's shutdown). */
	nua_unsubscribe(rs->o.nh, TAG_END());
}

void sipb_regevent_abort_all(struct sipb *s)
{
	while (s->rsubs)
		rs_unlink_free(s, s->rsubs);
}

static void report(struct sipb_regsub *rs, struct sipb_regev *ev)
{
	ev->aor = rs->aor;
	if (!rs->ending && rs->s->regev)
		rs->s->regev(rs->s->regev_arg, rs, rs->cookie, ev);
}

/* The state is unknown: report it and refresh (a new SUBSCRIBE in the
 * dialog makes the notifier send full state, RFC 6665 §4.2.1.1). */
static void unknown(struct sipb_regsub *rs, const char *why)
{
	struct sipb_regev ev = { .kind = SIPB_REGEV_UNKNOWN, .why = why, .retry_after = -1 };
	char exp[16];

	rs->have = 0;
	report(rs, &ev);
	snprintf(exp, sizeof exp, "%u", rs->expires ? rs->expires : 3600);
	nua_subscribe(rs->o.nh, SIPTAG_EVENT_STR("reg"), SIPTAG_ACCEPT_STR("application/reginfo+xml"),
	    SIPTAG_EXPIRES_STR(exp), TAG_END());
}

/* Ends rs: ENDED to the caller, then the handle and rs are gone. */
static void ended(struct sipb_regsub *rs, int status, const char *why, int retry_after)
{
	struct sipb_regev ev = { .kind = SIPB_REGEV_ENDED, .status = status, .why = why,
		.retry_after = retry_after };

	report(rs, &ev);
	rs_unlink_free(rs->s, rs);
}

static void notify(struct sipb_regsub *rs, sip_t const *sip, tagi_t const *tags)
{
	sip_subscription_state_t const *ss = sip ? sip->sip_subscription_state : NULL;
	tagi_t const *t = tl_find(tags, nutag_substate);
	int terminated = (t && t->t_value == nua_substate_terminated) ||
	    (ss && ss->ss_substate && !strcasecmp(ss->ss_substate, "terminated"));
	unsigned expires = ss && ss->ss_expires ? (unsigned)strtoul(ss->ss_expires, NULL, 10) : 0;

	if (sip && sip->sip_payload && sip->sip_payload->pl_len) {
		char why[160];
		struct sipb_reginfo ri;
		const char *ct = sip->sip_content_type ? sip->sip_content_type->c_type : NULL;
		if (!ct || strcasecmp(ct, "application/reginfo+xml")) {
			snprintf(why, sizeof why, "a NOTIFY body of type %.60s", ct ? ct : "(none)");
			if (!terminated)
				unknown(rs, why);
		} else if (sipb_reginfo_parse(sip->sip_payload->pl_data, sip->sip_payload->pl_len, &ri,
		    why, sizeof why) < 0) {
			if (!terminated)
				unknown(rs, why);
		} else {
			enum sipb_reginfo_verdict v = sipb_reginfo_check(rs->have, rs->version, &ri);
			if (v == SIPB_REGINFO_APPLY) {
				struct sipb_regev ev = { .kind = SIPB_REGEV_STATE, .info = &ri,
					.expires = expires, .retry_after = -1 };
				rs->have = 1;
				rs->version = ri.version;
				report(rs, &ev);
			} else if (v == SIPB_REGINFO_GAP && !terminated) {
				snprintf(why, sizeof why, "partial reginfo version %lu after %s%lu", ri.version,
				    rs->have ? "version " : "no full state, ", rs->have ? rs->version : 0);
				unknown(rs, why);
			}
			sipb_reginfo_free(&ri);
		}
	}
	if (terminated) {
		const char *reason = ss && ss->ss_reason ? ss->ss_reason : "terminated";
		int ra = ss && ss->ss_retry_after ? (int)strtol(ss->ss_retry_after, NULL, 10) : -1;
		ended(rs, 0, reason, ra);
	}
}

void sipb_regevent_event(struct sipb *s, struct sipb_regsub *rs, nua_event_t event, int status,
    char const *phrase, sip_t const *sip, tagi_t const *tags)
{
	(void)s;
	switch (event) {
	case nua_r_subscribe:
		if (status < 200)
			break;
		if (status >= 300) {
			if (!rs->ending)
				ended(rs, status, phrase ? phrase : "", sipb_retry_after(sip));
			break;
		}
		rs->expires = sip && sip->sip_expires ? (unsigned)sip->sip_expires->ex_delta : rs->expires;
		struct sipb_regev ev = { .kind = SIPB_REGEV_ACTIVE, .expires = rs->expires, .retry_after = -1 };
		report(rs, &ev);
		break;
	case nua_i_notify:
		if (!rs->ending)
			notify(rs, sip, tags);
		break;
	case nua_r_unsubscribe:
		if (status >= 200 && rs->ending)
			rs_unlink_free(rs->s, rs);
		break;
	default:
		break;
	}
}
