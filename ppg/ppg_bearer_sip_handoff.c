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
 * takes the content type and whose row names another node as the holder of
 * its dialog (schema 14, db_subscription_upsert), while that node is alive
 * (db_node_live: its node lock), is that node's. Then the delivery parks on
 * the AoR and the node NOTIFYs PPG_CLUSTER_TAKE
 * "NODE AOR HOLDER CALL-ID TAG [CALL-ID TAG ...]" (the holder's dialogs); the
 * holder, when one of them is live there, wakes the parked deliveries of
 * the AoR for itself alone (ppg_bearer_take: no PPG_CLUSTER_DUE) and claims
 * them at once, and its attempt goes as NOTIFY. Only the holder of a dialog
 * that fits takes them: two nodes holding other dialogs of the AoR do not
 * hand a push back and forth. A NOTIFY payload is shorter than 8,000 bytes
 * (PostgreSQL): the dialogs of one holder that do not fit go in further
 * NOTIFYs (TAKE_PAYLOAD_MAX); a dialog too long for any names none, which
 * tells the holder to take the push if it holds any live dialog of the AoR.
 * When no stored subscription is a live node's (its holder died or
 * restarted: a node's start releases the rows of its previous run,
 * db_subscription_release_node), the attempt goes the other ways (a
 * session, MESSAGE; or it waits for a registration). [loop], but for the
 * *_write functions ([writer]).
 */
#include "ppg/ppg_bearer_sip_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ppg/ppg_log.h"

#define HANDOFF_MAX 16   /* stored subscriptions of one AoR looked at */
/* PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more; the sender's
 * node id and a space go before each of ours */
#define TAKE_PAYLOAD_MAX 7900

struct handoff_op {
	struct sip_attempt *t;
	char aor[512];
	char *app, *ctype;
	size_t nrefused;                 /* this node's subscriptions that refused the type */
	size_t n;                        /* candidates: stored dialogs that fit, held by a live node */
	char *call_id[HANDOFF_MAX], *remote_tag[HANDOFF_MAX], *node[HANDOFF_MAX];
};

static void op_free(struct handoff_op *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->call_id[i]);
		free(o->remote_tag[i]);
		free(o->node[i]);
	}
	free(o->app);
	free(o->ctype);
	free(o);
}

/* [writer] Is node alive? Each holder is asked once per hand-off (live[]
 * caches the answers of the holders seen[]); -errno when it cannot be told. */
static int holder_live(struct db *db, const char *node, const char **seen, int *live, size_t *nseen)
{
	for (size_t i = 0; i < *nseen; i++)
		if (!strcmp(seen[i], node))
			return live[i];
	int r = db_node_live(db, node);
	if (r >= 0 && *nseen < HANDOFF_MAX) {
		seen[*nseen] = node;
		live[(*nseen)++] = r;
	}
	return r;
}

/* [writer] The stored live subscriptions of the AoR that would take the
 * push and whose dialog a live other node holds. A row that names no
 * holder (from before schema 14, or its holder restarted since) or this
 * node (which holds no live dialog that fits: it ended) has no dialog. */
static int handoff_write(struct db *db, void *arg, int64_t now)
{
	struct handoff_op *o = arg;
	struct db_subscription *v = NULL;
	const char *seen[HANDOFF_MAX], *me = db_node(db);
	int live[HANDOFF_MAX];
	size_t n = 0, nseen = 0;
	int r = db_subscription_list(db, o->aor, now, &v, &n);
	for (size_t i = 0; r == 0 && i < n && o->n < HANDOFF_MAX; i++) {
		char *types = NULL;
		if (!v[i].node || !strcmp(v[i].node, me) || !ppg_bearer_sip_list_has(v[i].apps, o->app) ||
		    (v[i].accept && ppg_bearer_sip_accept_add(&types, v[i].accept) < 0))
			continue;
		int takes = ppg_bearer_sip_takes_type(v[i].accept ? types : NULL, o->ctype);
		free(types);
		if (!takes)
			continue;
		int alive = holder_live(db, v[i].node, seen, live, &nseen);
		if (alive < 0) {
			r = alive;
			break;
		}
		if (!alive)
			continue;   /* its holder died: so did the dialog */
		o->call_id[o->n] = strdup(v[i].call_id);
		o->remote_tag[o->n] = strdup(v[i].remote_tag);
		o->node[o->n] = strdup(v[i].node);
		if (!o->call_id[o->n] || !o->remote_tag[o->n] || !o->node[o->n]) {
			free(o->call_id[o->n]);
			free(o->remote_tag[o->n]);
			free(o->node[o->n]);
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

/* [writer] Tells the other nodes (after the park, queued before this): arg
 * holds payloads "AOR HOLDER CALL-ID TAG ...", each ended by a NUL, the
 * list by an empty one. */
static int take_write(struct db *db, void *arg, int64_t now)
{
	(void)now;
	int r = 0;
	for (const char *p = arg; r == 0 && *p; p += strlen(p) + 1) {
		char *payload = NULL;
		if (asprintf(&payload, "%s %s", db_node(db), p) < 0)
			return -ENOMEM;
		r = db_notify(db, PPG_CLUSTER_TAKE, payload);
		free(payload);
	}
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

/* Appends payload (len bytes, NUL added) to the list *buf of *used bytes. */
static int list_add(char **buf, size_t *used, const char *payload, size_t len)
{
	char *m = realloc(*buf, *used + len + 2);
	if (!m)
		return -ENOMEM;
	memcpy(m + *used, payload, len);
	m[*used + len] = '\0';
	m[*used + len + 1] = '\0';   /* the list's end, overwritten by the next */
	*buf = m;
	*used += len + 1;
	return 0;
}

char *ppg_bearer_sip_take_payloads(const char *aor, const char *const *node, const char *const *call_id,
    const char *const *tag, size_t n, size_t max)
{
	char *list = NULL, *cur = malloc(max + 1);
	size_t used = 0;
	unsigned char *done = calloc(n ? n : 1, 1);
	if (!cur || !done) {
		free(cur);
		free(done);
		return NULL;
	}
	for (size_t h = 0; h < n; h++) {
		if (done[h])
			continue;
		int head = snprintf(cur, max + 1, "%s %s", aor, node[h]);
		if (head < 0 || (size_t)head >= max)
			continue;   /* cannot be: an AoR key and a node id are short */
		size_t len = (size_t)head;
		int bare = 0, pairs = 0;
		for (size_t i = h; i < n; i++) {
			if (done[i] || strcmp(node[i], node[h]))
				continue;
			done[i] = 1;
			size_t pl = strlen(call_id[i]) + strlen(tag[i]) + 2;
			/* the holder splits on spaces: a Call-ID with one (sofia-sip
			 * takes "Call-ID: a b") cannot be named, as one too long */
			if ((size_t)head + pl > max || strchr(call_id[i], ' ') || strchr(tag[i], ' ')) {
				bare = 1;
				continue;
			}
			if (len + pl > max) {   /* full: this one starts the next */
				if (list_add(&list, &used, cur, len) < 0)
					goto oom;
				len = (size_t)head;
			}
			len += (size_t)snprintf(cur + len, max + 1 - len, " %s %s", call_id[i], tag[i]);
			pairs = 1;
		}
		if (pairs && list_add(&list, &used, cur, len) < 0)
			goto oom;
		if (bare && list_add(&list, &used, cur, (size_t)head) < 0)
			goto oom;
	}
	free(cur);
	free(done);
	return list;
oom:
	free(cur);
	free(done);
	free(list);
	return NULL;
}

static void handoff_after(void *arg, int committed)
{
	struct handoff_op *o = arg;
	struct sip_attempt *t = o->t;
	struct sip_bearer *s = t->s;
	size_t nremote = 0;
	const char *rnode[HANDOFF_MAX], *rcid[HANDOFF_MAX], *rtag[HANDOFF_MAX];

	t->outstanding--;
	if (!t->a || s->stopping) {   /* the engine let go of it, or shutdown */
		if (t->outstanding == 0)
			ppg_bearer_sip_attempt_free(t);
		op_free(o);
		return;
	}
	/* a stored dialog that is not live here is its holder's */
	for (size_t i = 0; committed && i < o->n; i++)
		if (!sipb_notify_can(s->sip, o->call_id[i], o->remote_tag[i])) {
			rnode[nremote] = o->node[i];
			rcid[nremote] = o->call_id[i];
			rtag[nremote++] = o->remote_tag[i];
		}
	struct ppg_bearer_attempt *a = t->a;
	a->priv = NULL;
	ppg_bearer_sip_attempt_free(t);
	if (!nremote) {
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
	size_t sl = strlen(ppg_config_node(s->cfg)) + 1;
	char *take = ppg_bearer_sip_take_payloads(o->aor, rnode, rcid, rtag, nremote, TAKE_PAYLOAD_MAX - sl);
	if (!take)
		LOGP(PPG_LOG_SIP, LOG_WARNING, "out of memory: the push NOTIFYs of %s wait for its next "
		    "SUBSCRIBE or a registration", o->aor);
	else if (ppg_core_write(s->core, take_write, take_after, take) < 0)
		take_after(take, 0);
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
