/*
 * ppg_bearer_sip_notify.c - pushes delivered as NOTIFY within ua-profile
 * subscriptions (seed 003 §9.1.4, Appendix D.3 step 9), when
 * `[sip] notify_push = prefer` (README "ua-profile subscriptions").
 *
 * The bearer remembers the subscription dialogs that are live in this
 * process (a table by AoR, filled when a subscription's 200 goes out,
 * emptied at its end): the stored subscriptions of an earlier run have no
 * dialog, so after a restart a push goes as NOTIFY only once the terminal
 * subscribed again. A push for an application a live subscription of its
 * AoR enrolled (event-app-id; and listed in notify_apps when that is set)
 * goes as one NOTIFY per such subscription; the best answer wins as for
 * forked MESSAGEs (RFC 3261 §16.7) and maps like a MESSAGE's answer
 * (ppg_outcome.c); a 200 is the delivery confirmation. An answer that ends
 * the subscription (481, RFC 5057) deletes it (sipbearer tells the
 * subscription handler, which deletes the row) and, when every NOTIFY of
 * the attempt met a gone subscription, the same attempt goes the other
 * ways (another subscription, a session, MESSAGE; or it waits for a
 * registration). Large content goes by reference as in pager mode. [loop]
 */
#include "ppg/ppg_bearer_sip_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ppg/ppg_hash.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_metrics.h"
#include "ppg/ppg_select.h"

/* NOTIFYs of one attempt: at most this many subscriptions of one AoR. */
#define SIP_NOTIFY_MAX 16

struct sip_nsub {                    /* one live subscription dialog */
	struct sip_nsub *next;
	char *aor, *call_id, *remote_tag, *apps;
	char *contact;                   /* the subscriber's Contact URI, or NULL */
	char *accept;                    /* its Accept's media types, or NULL: it did not say */
	int64_t expires;                 /* ms, ppg_clock */
	int64_t updated;                 /* ms: its SUBSCRIBE or last refresh (policy last) */
};

static struct sip_nsub **nsub_bucket(struct sip_bearer *s, const char *aor)
{
	return &s->nsubs[ppg_hash_str(aor) % SIP_NSUB_BUCKETS];
}

static void nsub_free(struct sip_nsub *n)
{
	free(n->aor);
	free(n->call_id);
	free(n->remote_tag);
	free(n->apps);
	free(n->contact);
	free(n->accept);
	free(n);
}

/* Does the comma-separated list hold app (exactly, case-insensitive)? */
static int apps_hold(const char *list, const char *app)
{
	size_t al = strlen(app);
	for (const char *q = list; q && *q;) {
		const char *e = strchr(q, ',');
		size_t l = e ? (size_t)(e - q) : strlen(q);
		if (l == al && !strncasecmp(q, app, al))
			return 1;
		q = e ? e + 1 : q + l;
	}
	return 0;
}

void ppg_bearer_sip_notify_track(struct sip_bearer *s, const char *aor, const char *call_id,
    const char *remote_tag, const char *apps, const char *contact, const char *accept, int expires)
{
	struct sip_nsub **pp = nsub_bucket(s, aor), *n;

	for (; (n = *pp); pp = &n->next)
		if (!strcmp(n->call_id, call_id) && !strcmp(n->remote_tag, remote_tag))
			break;
	if (expires <= 0) {
		if (n) {
			*pp = n->next;
			nsub_free(n);
		}
		return;
	}
	if (!n) {
		if (!(n = calloc(1, sizeof *n)))
			return;
		n->aor = strdup(aor);
		n->call_id = strdup(call_id);
		n->remote_tag = strdup(remote_tag);
		if (!n->aor || !n->call_id || !n->remote_tag) {
			nsub_free(n);
			return;
		}
		n->next = *nsub_bucket(s, aor);
		*nsub_bucket(s, aor) = n;
	}
	char *a = strdup(apps ? apps : "");
	if (a) {
		free(n->apps);
		n->apps = a;
	}
	/* a refresh may change its Contact (the remote target) and Accept */
	char *c = contact ? strdup(contact) : NULL, *t = NULL;
	if (!contact || c) {
		free(n->contact);
		n->contact = c;
	}
	if (!accept || ppg_bearer_sip_accept_add(&t, accept) == 0) {
		free(n->accept);
		n->accept = t;
	} else {
		free(t);
	}
	n->updated = ppg_clock_now_ms();
	n->expires = n->updated + (int64_t)expires * 1000;
}

void ppg_bearer_sip_notify_free(struct sip_bearer *s)
{
	for (unsigned i = 0; i < SIP_NSUB_BUCKETS; i++)
		while (s->nsubs[i]) {
			struct sip_nsub *n = s->nsubs[i];
			s->nsubs[i] = n->next;
			nsub_free(n);
		}
}

/* Does n take push p now (the application enrolled, the dialog live)? */
static int nsub_fits(struct sip_bearer *s, const struct sip_nsub *n, const char *aor,
    const struct ppg_push *p, int64_t now)
{
	return !strcmp(n->aor, aor) && n->expires > now && n->apps && apps_hold(n->apps, p->app) &&
	    sipb_notify_can(s->sip, n->call_id, n->remote_tag);
}

/* May push p go as NOTIFY at all ([sip] notify_push, notify_apps)? */
static int notify_wanted(const struct sip_bearer *s, const struct ppg_push *p)
{
	const struct ppg_config *c = s->cfg;
	if (c->sip_notify_push != PPG_NOTIFY_PUSH_PREFER || !s->sip || p->app_error)
		return 0;
	return !c->sip_notify_apps || !*c->sip_notify_apps ||
	    ppg_select_name_in_list(c->sip_notify_apps, p->app);
}

/* The live registration of be whose contact the subscription shows, or -1. */
static long nsub_binding(const struct sip_bentry *be, const struct sip_nsub *n, int64_t now)
{
	for (size_t i = 0; be && n->contact && i < be->n; i++)
		if (be->v[i].expires > now && ppg_bearer_sip_same_contact(n->contact, be->v[i].contact))
			return (long)i;
	return -1;
}

/* What the subscription's terminal takes: the capabilities of its
 * registration (its subscriptions' Accept and its UAProf Push-Accept) when
 * it has one that told them, else the subscription's own Accept. */
static const char *nsub_accept(const struct sip_bentry *be, const struct sip_nsub *n, long bi)
{
	if (bi >= 0 && be->caps && be->caps[bi].accept)
		return be->caps[bi].accept;
	return n->accept;
}

/*
 * The subscriptions push p goes to (README "Pushes as NOTIFY"), into fit:
 * live dialogs of aor that enrolled its application and take its content
 * type (*nrefused counts those that do not); then the terminal the address
 * names (gruu: the subscription of that registration, by its Contact), or
 * the application's policy: all; last, the latest SUBSCRIBE or refresh; q,
 * the highest q of the registrations the subscriptions belong to (none
 * counts as 1.0, a tie goes to the latest); gruu, the subscription of the
 * newest registration with a pub-gruu (none: all).
 */
static size_t nsub_pick(struct sip_bearer *s, const char *aor, const char *gruu,
    const struct ppg_push *p, int64_t now, struct sip_nsub **fit, size_t *nrefused)
{
	const struct sip_bentry *be = ppg_bearer_sip_reg_lookup(s, aor, now);
	long bidx[SIP_NOTIFY_MAX];
	size_t nfit = 0, nref = 0;

	for (struct sip_nsub *n = *nsub_bucket(s, aor); n && nfit < SIP_NOTIFY_MAX; n = n->next) {
		if (!nsub_fits(s, n, aor, p, now))
			continue;
		long bi = nsub_binding(be, n, now);
		if (gruu && (bi < 0 || !ppg_bearer_sip_names(&be->v[bi], gruu)))
			continue;
		if (!ppg_bearer_sip_takes_type(nsub_accept(be, n, bi), p->content_type)) {
			nref++;
			continue;
		}
		bidx[nfit] = bi;
		fit[nfit++] = n;
	}
	if (nrefused)
		*nrefused = nref;
	int policy = ppg_config_terminal_for(s->cfg, p->app);
	if (nfit <= 1 || gruu || policy == PPG_TERMINAL_ALL)
		return nfit;
	size_t best = 0;
	int found = 0;
	for (size_t k = 0; k < nfit; k++) {
		if (policy == PPG_TERMINAL_LAST) {
			if (fit[k]->updated > fit[best]->updated)
				best = k;
		} else if (policy == PPG_TERMINAL_Q) {
			int qk = bidx[k] >= 0 && be->v[bidx[k]].q >= 0 ? be->v[bidx[k]].q : 1000;
			int qb = bidx[best] >= 0 && be->v[bidx[best]].q >= 0 ? be->v[bidx[best]].q : 1000;
			if (qk > qb || (qk == qb && fit[k]->updated > fit[best]->updated))
				best = k;
		} else if (policy == PPG_TERMINAL_GRUU && bidx[k] >= 0 && be->v[bidx[k]].gruu &&
		    (!found || bidx[k] < bidx[best])) {   /* bindings are newest first */
			best = k;
			found = 1;
		}
	}
	if (policy == PPG_TERMINAL_GRUU && !found)
		return nfit;   /* no terminal with a GRUU: every one, as for MESSAGE */
	fit[0] = fit[best];
	return 1;
}

int ppg_bearer_sip_notify_live(struct sip_bearer *s, const char *aor, const char *gruu,
    const struct ppg_push *p)
{
	struct sip_nsub *fit[SIP_NOTIFY_MAX];
	if (!notify_wanted(s, p))
		return 0;
	return nsub_pick(s, aor, gruu, p, ppg_clock_now_ms(), fit, NULL) > 0;
}

int ppg_bearer_sip_notify_send(struct sip_bearer *s, struct ppg_bearer_attempt *a, const char *aor,
    const char *gruu, size_t *nrefused)
{
	const struct ppg_push *p = a->push;
	struct sip_nsub *fit[SIP_NOTIFY_MAX];

	*nrefused = 0;
	if (!notify_wanted(s, p))
		return 0;
	/* none here: another node may hold one (ppg_bearer_sip_handoff.c) */
	if (!nsub_pick(s, aor, gruu, p, ppg_clock_now_ms(), fit, nrefused))
		return ppg_bearer_sip_handoff(s, a, aor, *nrefused);
	struct sip_attempt *t = ppg_bearer_sip_attempt_new(s, a);
	if (!t)
		return 0;
	t->notify = 1;
	/* Content that may not fit goes by reference, as a MESSAGE's does; the
	 * token is stored first so that every node serves the URL
	 * (ppg_bearer_sip_content.c), which then calls ppg_bearer_sip_notify_go. */
	if (p->len + 200 > s->cfg->sip_indirection_threshold / 2 &&
	    ppg_content_add(s->content, a->delivery, p->content_type, p->body, p->len, t->token) == 0)
		ppg_bearer_sip_content_store(t);
	else
		ppg_bearer_sip_notify_go(t);
	return 1;
}

/* The attempt takes the other ways (a session, MESSAGE; or it waits). */
static void notify_other_ways(struct sip_attempt *t)
{
	struct sip_bearer *s = t->s;
	struct ppg_bearer_attempt *a = t->a;
	a->priv = NULL;
	ppg_bearer_sip_attempt_free(t);
	ppg_bearer_sip_send_mode(s, a, SIP_MODE_NO_NOTIFY);
}

void ppg_bearer_sip_notify_go(struct sip_attempt *t)
{
	struct sip_bearer *s = t->s;
	struct ppg_bearer_attempt *a = t->a;
	const struct ppg_push *p = a->push;
	char aor[512];
	struct sip_nsub *fit[SIP_NOTIFY_MAX];
	size_t nref = 0;
	int64_t now = ppg_clock_now_ms();
	/* the AoR as the send chose it: a temp-gruu's is its holder's, not the
	 * text before its ";gr" */
	const char *gruu = ppg_bearer_sip_target_split(s, a->target, aor, sizeof aor, now);

	/* chosen again: a subscription may have ended while the token was stored */
	size_t nfit = nsub_pick(s, aor, gruu, p, now, fit, &nref);
	char url[sizeof s->content_base + PPG_TOKEN_LEN];
	const char *urlp = NULL;
	if (t->token[0]) {
		snprintf(url, sizeof url, "%s%s", s->content_base, t->token);
		urlp = url;
	}
	/* keep t across synchronous results */
	t->outstanding++;
	size_t sent = 0;
	for (size_t i = 0; i < nfit; i++) {
		struct sipb_notify q = {
			.call_id = fit[i]->call_id, .remote_tag = fit[i]->remote_tag, .app = p->app,
			.content_type = p->content_type, .body = p->body, .body_len = p->len,
			.external_url = urlp, .tag = (uint64_t)(uintptr_t)t,
		};
		t->outstanding++;
		s->messages++;
		int rc = sipb_send_notify(s->sip, &q);
		if (rc == 0) {
			sent++;
			continue;
		}
		t->outstanding--;
		s->messages--;
		LOGPUSH(PPG_LOG_SIP, LOG_NOTICE, p->pi, p->push_id, "delivery %lld: NOTIFY in the "
		    "subscription of %s not sent (%s)", (long long)a->delivery, aor, strerror(-rc));
	}
	t->outstanding--;
	if (!sent) {
		/* nothing went: the attempt takes the other ways */
		notify_other_ways(t);
		return;
	}
	LOGPUSH(PPG_LOG_SIP, LOG_DEBUG, p->pi, p->push_id, "delivery %lld: SIP NOTIFY to %s (%zu "
	    "subscription%s, policy %s, %s)", (long long)a->delivery, gruu ? gruu : aor, sent,
	    sent == 1 ? "" : "s", gruu ? "the named one" :
	    ppg_config_terminal_name(ppg_config_terminal_for(s->cfg, p->app)), p->app);
	/* sipb reports later, never from within sipb_send_notify */
}

void ppg_bearer_sip_take(struct ppg_bearer *b, const char *what)
{
	struct sip_bearer *s = (struct sip_bearer *)b;
	int64_t now = ppg_clock_now_ms();
	char aor[512];
	size_t al = strcspn(what, " ");
	if (s->stopping || s->cfg->sip_notify_push != PPG_NOTIFY_PUSH_PREFER || !al || al >= sizeof aor)
		return;
	memcpy(aor, what, al);
	aor[al] = '\0';
	/* "AOR HOLDER CALL-ID TAG ...": only the holder named looks */
	const char *holder = what + al + (what[al] == ' '), *me = ppg_config_node(s->cfg);
	size_t hl = strcspn(holder, " ");
	if (!hl || hl != strlen(me) || strncmp(holder, me, hl))
		return;
	const char *pairs = holder + hl;
	/* is one of those dialogs live here (none named: any of the AoR's)? */
	for (struct sip_nsub *n = *nsub_bucket(s, aor); n; n = n->next) {
		if (strcmp(n->aor, aor) || n->expires <= now || !sipb_notify_can(s->sip, n->call_id, n->remote_tag))
			continue;
		if (!*pairs) {
			LOGP(PPG_LOG_SIP, LOG_INFO, "another node handed over the push NOTIFYs of %s: "
			    "this node holds a subscription dialog of it", aor);
			ppg_bearer_take(b, aor);
			return;
		}
		size_t cl = strlen(n->call_id), tl = strlen(n->remote_tag);
		for (const char *q = pairs; *q == ' ';) {
			const char *c = q + 1, *t = c + strcspn(c, " ");
			if (*t != ' ')
				break;
			t++;
			size_t tlen = strcspn(t, " ");
			if ((size_t)(t - 1 - c) == cl && !strncmp(c, n->call_id, cl) && tlen == tl &&
			    !strncmp(t, n->remote_tag, tl)) {
				LOGP(PPG_LOG_SIP, LOG_INFO, "another node handed over the push NOTIFYs of %s: "
				    "this node holds its subscription dialog", aor);
				ppg_bearer_take(b, aor);
				return;
			}
			q = t + tlen;
		}
	}
}

/* RFC 3261 §16.7: 2xx beats everything, then 6xx, then the lowest class. */
static int rank(int st)
{
	if (st >= 200 && st < 300) return 0;
	if (st >= 600) return 1;
	if (st >= 400 && st < 500) return 2;
	if (st >= 500) return 3;
	return 4;
}

void ppg_bearer_sip_on_notify(void *arg, const struct sipb_notify_result *r)
{
	struct sip_bearer *s = arg;
	struct sip_attempt *t = (struct sip_attempt *)(uintptr_t)r->tag;

	if (s->messages)
		s->messages--;
	ppg_metrics_sip_response(r->status);
	if (!t)
		return;
	if (r->gone)
		t->notify_gone++;
	else if (!t->best || rank(r->status) < rank(t->best)) {
		t->best = r->status;
		snprintf(t->phrase, sizeof t->phrase, "%s", r->phrase ? r->phrase : "");
		t->local = r->local;
		t->retry_after = r->retry_after;
	}
	if (r->indirect && !r->gone)
		t->indirect = 1;
	if (--t->outstanding > 0)
		return;
	struct ppg_bearer_attempt *a = t->a;
	if (s->stopping || !a) {   /* abandoned, or the engine let go of it */
		ppg_bearer_sip_attempt_free(t);
		return;
	}
	if (!t->best) {
		/* every subscription was gone (481 ...): they are forgotten now;
		 * the push takes the other ways in the same attempt */
		LOGPUSH(PPG_LOG_SIP, LOG_INFO, a->push->pi, a->push->push_id, "delivery %lld: the "
		    "subscription was gone (NOTIFY %d %s): other ways", (long long)a->delivery, r->status,
		    r->phrase ? r->phrase : "");
		notify_other_ways(t);
		return;
	}
	ppg_bearer_sip_finish(t);
}
