/*
 * ppg_bearer_sip_sub.c - what ua-profile subscriptions tell the Push Sender
 * Agent (the OMA-CD-PUSH CR on ARI §9.2.2.1 steps 4-7; seed 003 Appendix A):
 * a terminal enrols its push applications (event-app-id) and may name its
 * UAProf document. Each subscription is stored by the core's writer (it
 * survives a restart, until its expiry) and the SUBSCRIBE is answered once
 * that batch is durable, as a REGISTER is. An un-SUBSCRIBE and the end of a
 * subscription (expiry, a failed NOTIFY) delete the row. [loop], but for the
 * *_write functions ([writer]).
 */
#include "ppg/ppg_bearer_sip_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppg/ppg_log.h"
#include "ppg/ppg_ratelimit.h"
#include "ppg/ppg_uaprof.h"

/* Refused SUBSCRIBEs come per packet: at most 20 lines a second. [loop] */
static struct ppg_ratelimit refused_log = PPG_RATELIMIT_INIT;

struct sub_op {
	struct sip_bearer *s;
	struct sipb_subreq *pending;    /* NULL: the end of a subscription */
	char aor[512];
	char apps[1024];
	char *call_id, *remote_tag, *contact, *model, *accept;
	int expires;
	int ok;
};

static void sub_op_free(struct sub_op *o)
{
	free(o->call_id);
	free(o->remote_tag);
	free(o->contact);
	free(o->model);
	free(o->accept);
	free(o);
}

static char *dup0(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int sub_write(struct db *db, void *arg, int64_t now)
{
	struct sub_op *o = arg;
	int r;

	if (o->expires <= 0) {
		r = db_subscription_delete(db, o->call_id, o->remote_tag);
		if (r >= 0)
			LOGP(PPG_LOG_SIP, LOG_INFO, "ua-profile subscription of %s ended (%s)", o->aor,
			    o->pending ? "un-SUBSCRIBE" : "expired or NOTIFY failed");
	} else {
		struct db_subscription row = {
			.aor = o->aor, .call_id = o->call_id, .remote_tag = o->remote_tag,
			.contact = o->contact, .apps = o->apps, .model = o->model, .accept = o->accept,
			.expires = now + (int64_t)o->expires * 1000, .updated = now,
		};
		r = db_subscription_upsert(db, &row);
		if (r >= 0)
			LOGP(PPG_LOG_SIP, LOG_INFO,
			    "ua-profile subscription of %s for %d s, applications \"%s\"%s%s", o->aor,
			    o->expires, o->apps, o->model ? ", UAProf " : "", o->model ? o->model : "");
	}
	if (r < 0)
		LOGP(PPG_LOG_DB, LOG_ERR, "cannot store a ua-profile subscription: %s", db_errmsg(db));
	o->ok = r >= 0;
	return r < 0 ? r : 0;
}

static void sub_after(void *arg, int committed)
{
	struct sub_op *o = arg;

	if (o->pending)
		sipb_subscribe_answer(o->s->sip, o->pending, committed && o->ok ? 200 : 500);
	/* what the terminal told is read again with its AoR's bindings */
	if (committed && o->ok)
		ppg_bearer_sip_reg_refresh(o->s, o->aor);
	/* the dialog is live now (its 200 went out; not when nua ended it while
	 * the write was under way): pushes may go as NOTIFY in it; deliveries
	 * waiting for the AoR try again */
	if (o->pending && committed && o->ok && o->expires > 0 && !o->s->stopping &&
	    sipb_notify_can(o->s->sip, o->call_id, o->remote_tag)) {
		ppg_bearer_sip_notify_track(o->s, o->aor, o->call_id, o->remote_tag, o->apps, o->contact,
		    o->accept, o->expires);
		if (o->s->cfg->sip_notify_push == PPG_NOTIFY_PUSH_PREFER)
			ppg_bearer_wake(&o->s->base, o->aor);
	}
	/* §9.2.2.1 step 4: retrieve the device capabilities the link names */
	if (committed && o->ok && o->expires > 0 && o->model && o->s->uaprof &&
	    ppg_uaprof_want(o->s->uaprof, o->model) < 0)
		LOGP_RL(&refused_log, 20, PPG_LOG_SIP, LOG_NOTICE,
		    "UAProf link of %s not fetched: not an http(s) URL, or too many waiting", o->aor);
	sub_op_free(o);
}

int ppg_bearer_sip_sub_on_subscribe(void *arg, struct sipb_subscription *sub,
    struct sipb_subreq *pending)
{
	struct sip_bearer *s = arg;
	struct sub_op *o;
	char key[512];

	/* an ended or un-SUBSCRIBEd dialog takes no push NOTIFY from now on */
	if ((sub->ended || sub->expires <= 0) && sub->call_id && sub->remote_tag &&
	    sipb_aor_normalize(sub->aor, key, sizeof key) == 0)
		ppg_bearer_sip_notify_track(s, key, sub->call_id, sub->remote_tag, NULL, NULL, NULL, 0);
	if (s->stopping)
		return 503;
	o = calloc(1, sizeof *o);
	if (!o)
		return 500;
	o->s = s;
	o->pending = pending;
	o->expires = sub->ended ? 0 : sub->expires;
	if (sipb_aor_normalize(sub->aor, o->aor, sizeof o->aor) < 0) {
		LOGP_RL(&refused_log, 20, PPG_LOG_SIP, LOG_NOTICE,
		    "SUBSCRIBE asserting \"%s\" refused: not a sip:, sips: or tel: identity", sub->aor);
		free(o);
		return 403;
	}
	for (size_t k = 0; k < sub->napps; k++) {
		size_t l = strlen(o->apps);
		snprintf(o->apps + l, sizeof o->apps - l, "%s%s", l ? "," : "", sub->apps[k]);
	}
	o->call_id = dup0(sub->call_id);
	o->remote_tag = dup0(sub->remote_tag);
	o->contact = dup0(sub->contact);
	o->model = dup0(sub->model);
	o->accept = dup0(sub->accept);
	if (!o->call_id || !o->remote_tag || (sub->contact && !o->contact) ||
	    (sub->model && !o->model) || (sub->accept && !o->accept) ||
	    ppg_core_write(s->core, sub_write, sub_after, o) < 0) {
		sub_op_free(o);
		return 500;
	}
	return SIPB_REGISTER_LATER;
}
