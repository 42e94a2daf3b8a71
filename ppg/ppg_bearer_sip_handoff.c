/*
 * ppg_bearer_sip_handoff.c - push NOTIFYs on several nodes sharing one
 * PostgreSQL ([sip] notify_push = prefer; README "Pushes as NOTIFY").
 *
 * A ua-profile subscription's dialog lives in the sofia-sip of the node that
 * took the SUBSCRIBE (its Contact, the terminal's next refresh and the CSeq
 * space of its NOTIFYs are that node's), but any node may claim a delivery.
 * The delivery is handed to that node rather than the dialog rebuilt
 * elsewhere: a NOTIFY sent by another node from stored dialog state would
 * share the dialog's CSeq with the holder's nua (which counts on its own
 * and would send a lower CSeq next; RFC 3261 §12.2.2: the terminal answers
 * 500) and its answer (481: the subscription ended) would not reach the
 * holder's notifier.
 *
 * So a node that holds no live dialog fitting the push reads the AoR's
 * stored subscriptions (the writer): one that enrolled the application and
 * takes the content type and is not a live dialog of this node is another
 * node's. Then the delivery parks on the AoR and the node NOTIFYs
 * PPG_CLUSTER_TAKE "NODE AOR CALL-ID TAG [CALL-ID TAG ...]" (those dialogs);
 * a node holding one of them live wakes the parked deliveries of the AoR
 * for itself alone (ppg_bearer_take: no PPG_CLUSTER_DUE) and claims them at
 * once, and its attempt goes as NOTIFY. Only the holder of a dialog that
 * fits takes them: two nodes holding other dialogs of the AoR do not hand
 * a push back and forth.
 * When no stored subscription is another node's, the attempt goes the other
 * ways (a session, MESSAGE; or it waits for a registration). [loop], but
 * for the *_write functions ([writer]).
 */
#include "ppg/ppg_bearer_sip_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ppg/ppg_log.h"

#define HANDOFF_MAX 16   /* stored subscriptions of one AoR looked at */

struct handoff_op {
	struct sip_attempt *t;
	char aor[512];
	char *app, *ctype;
	size_t nrefused;                 /* this node's subscriptions that refused the type */
	size_t n;                        /* candidates: stored dialogs that fit */
	char *call_id[HANDOFF_MAX], *remote_tag[HANDOFF_MAX];
};

static void op_free(struct handoff_op *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->call_id[i]);
		free(o->remote_tag[i]);
	}
	free(o->app);
	free(o->ctype);
	free(o);
}

/* [writer] The stored live subscriptions of the AoR that would take the push. */
static int handoff_write(struct db *db, void *arg, int64_t now)
{
	struct handoff_op *o = arg;
	struct db_subscription *v = NULL;
	size_t n = 0;
	/* With no other node alive, a stored dialog that is not live here died
	 * with an earlier run of this node (nua keeps dialogs in memory only):
	 * nobody would take the push, which goes the other ways at once. */
	int r = db_node_others_live(db);
	if (r <= 0)
		return r;
	r = db_subscription_list(db, o->aor, now, &v, &n);
	for (size_t i = 0; r == 0 && i < n && o->n < HANDOFF_MAX; i++) {
		char *types = NULL;
		if (!ppg_bearer_sip_list_has(v[i].apps, o->app) ||
		    (v[i].accept && ppg_bearer_sip_accept_add(&types, v[i].accept) < 0))
			continue;
		int takes = ppg_bearer_sip_takes_type(v[i].accept ? types : NULL, o->ctype);
		free(types);
		if (!takes)
			continue;
		o->call_id[o->n] = strdup(v[i].call_id);
		o->remote_tag[o->n] = strdup(v[i].remote_tag);
		if (!o->call_id[o->n] || !o->remote_tag[o->n]) {
			free(o->call_id[o->n]);
			free(o->remote_tag[o->n]);
			break;
		}
		o->n++;
	}
	db_subscription_list_free(v, n);
	/* A failed read means no hand-off (handoff_after, not committed: the
	 * other ways). It is returned so that the writer rolls back to this
	 * job's savepoint: on PostgreSQL a failed statement leaves the whole
	 * transaction aborted, and the batch's other jobs with it. */
	return r < 0 ? r : 0;
}

/* [writer] Tells the other nodes (after the park, queued before this):
 * arg is "AOR CALL-ID TAG ...". */
static int take_write(struct db *db, void *arg, int64_t now)
{
	(void)now;
	char *payload = NULL;
	if (asprintf(&payload, "%s %s", db_node(db), (const char *)arg) < 0)
		return -ENOMEM;
	int r = db_notify(db, PPG_CLUSTER_TAKE, payload);
	free(payload);
	return r;
}

static void take_after(void *arg, int committed)
{
	char *what = arg;
	if (!committed)
		LOGP(PPG_LOG_SIP, LOG_WARNING, "cannot hand the push NOTIFYs of %.*s to the node holding "
		    "its subscription: they wait for its next SUBSCRIBE or a registration",
		    (int)strcspn(what, " "), what);
	free(what);
}

static void handoff_after(void *arg, int committed)
{
	struct handoff_op *o = arg;
	struct sip_attempt *t = o->t;
	struct sip_bearer *s = t->s;
	size_t remote = 0, len = strlen(o->aor) + 1;
	char *take = NULL;

	t->outstanding--;
	if (!t->a || s->stopping) {   /* the engine let go of it, or shutdown */
		if (t->outstanding == 0)
			ppg_bearer_sip_attempt_free(t);
		op_free(o);
		return;
	}
	/* a stored dialog that is not live here is another node's */
	for (size_t i = 0; committed && i < o->n; i++)
		if (!sipb_notify_can(s->sip, o->call_id[i], o->remote_tag[i])) {
			len += strlen(o->call_id[i]) + strlen(o->remote_tag[i]) + 2;
			remote++;
		}
	struct ppg_bearer_attempt *a = t->a;
	a->priv = NULL;
	ppg_bearer_sip_attempt_free(t);
	if (!remote) {
		int mode = o->nrefused ? SIP_MODE_NOTIFY_REFUSED : SIP_MODE_NO_NOTIFY;
		op_free(o);
		ppg_bearer_sip_send_mode(s, a, mode);
		return;
	}
	char desc[700];
	snprintf(desc, sizeof desc, "bearer SIP: waiting for the node holding the ua-profile "
	    "subscription of %s (NOTIFY)", o->aor);
	LOGPUSH(PPG_LOG_SIP, LOG_INFO, a->push->pi, a->push->push_id, "delivery %lld: handed to the "
	    "node holding the subscription dialog of %s", (long long)a->delivery, o->aor);
	ppg_bearer_park(&s->base, a, 1, PPG_NEVER, o->aor, desc);
	/* "AOR CALL-ID TAG ...": a Call-ID and a tag hold no white space */
	if ((take = malloc(len))) {
		size_t at = (size_t)snprintf(take, len, "%s", o->aor);
		for (size_t i = 0; i < o->n; i++)
			if (!sipb_notify_can(s->sip, o->call_id[i], o->remote_tag[i]))
				at += (size_t)snprintf(take + at, len - at, " %s %s", o->call_id[i],
				    o->remote_tag[i]);
		if (ppg_core_write(s->core, take_write, take_after, take) < 0)
			take_after(take, 0);
	}
	op_free(o);
}

int ppg_bearer_sip_handoff(struct sip_bearer *s, struct ppg_bearer_attempt *a, const char *aor,
    size_t nrefused)
{
	const struct ppg_push *p = a->push;
	if (s->cfg->db_engine != DB_ENGINE_POSTGRESQL)
		return 0;   /* one node */
	struct handoff_op *o = calloc(1, sizeof *o);
	struct sip_attempt *t = o ? ppg_bearer_sip_attempt_new(s, a) : NULL;
	if (!t) {
		free(o);
		return 0;
	}
	o->t = t;
	o->nrefused = nrefused;
	snprintf(o->aor, sizeof o->aor, "%s", aor);
	o->app = strdup(p->app);
	o->ctype = strdup(p->content_type ? p->content_type : "");
	/* hold t: a forget meanwhile leaves it to handoff_after */
	t->outstanding++;
	if (!o->app || !o->ctype || ppg_core_write(s->core, handoff_write, handoff_after, o) < 0) {
		a->priv = NULL;
		ppg_bearer_sip_attempt_free(t);
		op_free(o);
		return 0;
	}
	return 1;
}
