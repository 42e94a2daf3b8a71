/*
 * ppg_notifier.c - result notifications (WAP-247 PAP §8.5, §8.6) on the
 * loop: every PPG_NOTIFIER_INTERVAL_MS the rows queued by ppg_final() that
 * are due are leased (a write of the next batch) and handed to the sender
 * threads (ppg_notify_http.c); each answer comes back to the loop and is written:
 * delivered when the PI answered, retried with backoff otherwise, given up
 * after [notify] max_attempts.
 *
 * Order per endpoint (URL): its notifications go out one at a time, oldest
 * (the order of the events) first; one that failed holds back the later
 * ones of its endpoint until it goes through or is given up, so a PI whose
 * endpoint was down gets them in order when it comes back. Kept in memory:
 * after a restart the due ones go out oldest first again, but one still
 * waiting for its retry is not waited for.
 *
 * Leases while held: a claimed notification may wait in its endpoint's
 * queue far longer than its lease (timeout + 5 s), behind one that keeps
 * failing. Were the lease left to run out, another node sharing the
 * database would claim it and send it, and this node too once its turn
 * came: twice, and out of order. So a node keeps what it claimed until it
 * is final or given up: held notifications, the failed one waiting for its
 * retry included, are renewed while they wait (renew_write, fenced by the
 * claim's lease generation: a renewal that finds the lease taken drops the
 * notification from this node's queue), and one is posted only while its
 * lease still covers the whole POST (the HTTP timeout and a second);
 * otherwise it waits for its renewal. A node that dies lets go of them when
 * their lease runs out.
 */
#define SU_ROOT_MAGIC_T struct ppg_core
#define SU_TIMER_ARG_T  void

#include "ppg/ppg_notifier.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "ppg/ppg_clock.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_metrics.h"
#include "ppg/ppg_ratelimit.h"
#include "ppg/ppg_notify_http.h"
#include "ppg/ppg_outcome.h"
#include "ppg/ppg_tick.h"

#define NOTIFY_BATCH 64               /* notifications leased per write */
#define NOTIFY_LEASE_MARGIN_S 5       /* a lease outlives the HTTP timeout by this */

#define NOTIFY_EP_QUEUE_MAX 1024       /* leased ones held per endpoint; more stay in the database */

/* A leased notification held for its turn. */
struct nq_item {
	int64_t id;
	int64_t lease_gen;                   /* of its claim: the fence of its renewals */
	int64_t lease_until;                 /* ms; renewed while it waits */
	int64_t retry_at;                    /* ms; after a failure: not posted before */
	unsigned char *body;
	size_t len;
	struct nq_item *next;
};

/* A PI endpoint: what waits for it, oldest first. */
struct endpoint {
	char *url;
	struct nq_item *q;                   /* sorted by id; a failed one stays first */
	unsigned nq;
	struct nq_item *inflight;            /* posted, answer awaited; NULL = none */
	struct endpoint *next;
};

struct ppg_notifier {
	struct ppg_core *core;
	const struct ppg_config *cfg;
	struct ppg_retry_policy pol;          /* [writer] [notify] retries, reloadable */
	struct ppg_notify_http *notify;       /* the sender threads */
	struct ppg_tick *timer;    /* the lease of due notifications (ppg_tick.h) */
	int op_pending;                  /* a lease is queued: don't queue another */
	int renew_pending;               /* a renewal is queued: don't queue another */
	int stopping;
	struct endpoint *eps;
};

static struct endpoint *ep_get(struct ppg_notifier *n, const char *url, int create)
{
	for (struct endpoint *e = n->eps; e; e = e->next)
		if (!strcmp(e->url, url))
			return e;
	if (!create)
		return NULL;
	struct endpoint *e = calloc(1, sizeof *e);
	if (!e || !(e->url = strdup(url))) {
		free(e);
		return NULL;
	}
	e->next = n->eps;
	n->eps = e;
	return e;
}

static struct endpoint *ep_of_inflight(struct ppg_notifier *n, int64_t id)
{
	for (struct endpoint *e = n->eps; e; e = e->next)
		if (e->inflight && e->inflight->id == id)
			return e;
	return NULL;
}

static void item_free(struct nq_item *it)
{
	if (it)
		free(it->body);
	free(it);
}

/* Puts an item back in its place (by id). */
static void ep_insert(struct endpoint *e, struct nq_item *it)
{
	struct nq_item **pp = &e->q;
	while (*pp && (*pp)->id < it->id)
		pp = &(*pp)->next;
	it->next = *pp;
	*pp = it;
	e->nq++;
}

/* Holds a leased notification for its endpoint (once: a lease that ran
 * out while it waited brings it again). */
static void ep_add(struct endpoint *e, const struct db_notification *nt)
{
	if ((e->inflight && e->inflight->id == nt->id) || e->nq >= NOTIFY_EP_QUEUE_MAX)
		return;
	struct nq_item **pp = &e->q;
	while (*pp && (*pp)->id < nt->id)
		pp = &(*pp)->next;
	if (*pp && (*pp)->id == nt->id) {
		/* claimed again by this node (its renewal came too late): the
		 * newer claim's lease is the one to renew */
		if (nt->lease_gen > (*pp)->lease_gen) {
			(*pp)->lease_gen = nt->lease_gen;
			(*pp)->lease_until = nt->next_attempt;
		}
		return;
	}
	struct nq_item *it = calloc(1, sizeof *it);
	if (!it || !(it->body = malloc(nt->body_len ? nt->body_len : 1))) {
		free(it);
		return;   /* its lease ends and it is leased again */
	}
	memcpy(it->body, nt->body, nt->body_len);
	it->len = nt->body_len;
	it->id = nt->id;
	it->lease_gen = nt->lease_gen;
	it->lease_until = nt->next_attempt;
	it->next = *pp;
	*pp = it;
	e->nq++;
}

/* The lease a held notification needs left to be posted: the whole POST. */
static int64_t post_need_ms(const struct ppg_notifier *n)
{
	return ((int64_t)n->cfg->notify_timeout + 1) * 1000;
}

/* Posts the endpoint's oldest held notification when none is in flight:
 * the oldest waits for its retry after a failure, the later ones behind it. */
static void ep_pump(struct ppg_notifier *n, struct endpoint *e)
{
	int64_t now = ppg_clock_now_ms();
	while (!e->inflight && e->q && !n->stopping) {
		struct nq_item *it = e->q;
		if (it->retry_at > now)
			return;   /* the failed one goes first, when it is due */
		if (it->lease_until - now < post_need_ms(n))
			return;   /* its lease would run out during the POST: after its renewal */
		e->q = it->next;
		e->nq--;
		if (ppg_notify_http_post(n->notify, it->id, e->url, it->body, it->len) < 0) {
			LOGP(PPG_LOG_NOTIFY, LOG_WARNING, "notification %lld not queued; trying again in 1 s",
			    (long long)it->id);
			it->retry_at = now + 1000;
			ep_insert(e, it);
			return;
		}
		e->inflight = it;
	}
}

static void eps_free(struct ppg_notifier *n)
{
	while (n->eps) {
		struct endpoint *e = n->eps;
		n->eps = e->next;
		while (e->q) {
			struct nq_item *it = e->q;
			e->q = it->next;
			item_free(it);
		}
		item_free(e->inflight);
		free(e->url);
		free(e);
	}
}

struct lease_op {
	struct ppg_notifier *n;
	struct db_notification *v;
	size_t count;
};

/* [writer] */
static int lease_write(struct db *db, void *arg, int64_t now)
{
	struct lease_op *o = arg;
	int64_t until = now + ((int64_t)o->n->cfg->notify_timeout + NOTIFY_LEASE_MARGIN_S) * 1000;
	/* One claim: of several nodes on one PostgreSQL, one sends it. */
	return db_notification_claim(db, now, until, NOTIFY_BATCH, &o->v, &o->count);
}

static void lease_after(void *arg, int committed)
{
	struct lease_op *o = arg;
	struct ppg_notifier *n = o->n;

	n->op_pending = 0;
	for (size_t i = 0; committed && !n->stopping && i < o->count; i++) {
		struct endpoint *e = o->v[i].url ? ep_get(n, o->v[i].url, 1) : NULL;
		if (e)
			ep_add(e, &o->v[i]);
	}
	for (struct endpoint *e = n->eps; committed && e; e = e->next)
		ep_pump(n, e);
	db_notification_list_free(o->v, o->count);
	free(o);
}

static void lease(struct ppg_notifier *n);

/* ------------------------------------------------ renewals of held leases */

struct renew_op {
	struct ppg_notifier *n;
	size_t count;
	int64_t until;                   /* set by renew_write */
	struct renew_item {
		int64_t id, gen;
		int held;                /* 1 renewed, 0 taken by another claim, -1 not known */
	} v[];
};

/* [writer] */
static int renew_write(struct db *db, void *arg, int64_t now)
{
	struct renew_op *o = arg;
	o->until = now + ((int64_t)o->n->cfg->notify_timeout + NOTIFY_LEASE_MARGIN_S) * 1000;
	for (size_t i = 0; i < o->count; i++) {
		int r = db_notification_renew(db, o->v[i].id, o->v[i].gen, o->until);
		if (r < 0)
			return r;   /* the batch's savepoint is rolled back: none renewed */
		o->v[i].held = r;
	}
	return 0;
}

/* Drops a held notification whose lease another claim took: not ours to send. */
static void ep_drop(struct endpoint *e, int64_t id)
{
	for (struct nq_item **pp = &e->q; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id) {
			struct nq_item *it = *pp;
			*pp = it->next;
			e->nq--;
			item_free(it);
			return;
		}
}

static void renew_after(void *arg, int committed)
{
	struct renew_op *o = arg;
	struct ppg_notifier *n = o->n;
	n->renew_pending = 0;
	for (struct endpoint *e = n->eps; committed && !n->stopping && e; e = e->next) {
		for (size_t i = 0; i < o->count; i++) {
			for (struct nq_item *it = e->q; it; it = it->next) {
				if (it->id != o->v[i].id)
					continue;
				if (o->v[i].held > 0) {
					it->lease_until = o->until;
				} else if (o->v[i].held == 0) {
					LOGP(PPG_LOG_NOTIFY, LOG_NOTICE, "notification %lld: its lease ran out while it "
					    "waited and another claim took it; not sent by this node", (long long)it->id);
					ep_drop(e, it->id);
				}
				break;
			}
		}
		ep_pump(n, e);
	}
	free(o);
}

/* [loop] Renews the held notifications whose lease gets short. */
static void renew(struct ppg_notifier *n)
{
	if (n->renew_pending || n->stopping)
		return;
	int64_t now = ppg_clock_now_ms(), need = post_need_ms(n) + 2000;
	size_t count = 0;
	for (struct endpoint *e = n->eps; e; e = e->next)
		for (struct nq_item *it = e->q; it; it = it->next)
			count += it->lease_until - now < need;
	if (!count)
		return;
	struct renew_op *o = calloc(1, sizeof *o + count * sizeof o->v[0]);
	if (!o)
		return;
	o->n = n;
	for (struct endpoint *e = n->eps; e; e = e->next)
		for (struct nq_item *it = e->q; it && o->count < count; it = it->next)
			if (it->lease_until - now < need)
				o->v[o->count++] = (struct renew_item){ it->id, it->lease_gen, -1 };
	if (ppg_core_write_lazy(n->core, renew_write, renew_after, o) == 0)
		n->renew_pending = 1;
	else
		free(o);
}

static void on_timer(void *arg)
{
	renew(arg);
	lease(arg);
}

/* [loop] Another node made notifications due: lease them now. */
static void on_remote(void *arg, const char *channel, const char *what)
{
	(void)what;
	if (!strcmp(channel, PPG_CLUSTER_DUE))
		lease(arg);
}

static void lease(struct ppg_notifier *n)
{
	if (n->op_pending || n->stopping)
		return;
	struct lease_op *o = calloc(1, sizeof *o);
	if (!o)
		return;
	o->n = n;
	if (ppg_core_write_lazy(n->core, lease_write, lease_after, o) == 0)
		n->op_pending = 1;
	else
		free(o);
}

/* The answer of one POST. */
struct done_op {
	struct ppg_notifier *n;
	struct ppg_notify_http_result r;
	int64_t lease_gen;               /* of the claim it was posted under */
	int given_up;                    /* set by done_write: */
	int lost;                        /* another claim took it: not this node's to retry */
	int64_t retry_at, lease_until;   /* a failure: when to post again, the lease kept till */
};

/* [writer] */
/* A PI's endpoint down fails every notification: at most 20 lines a
 * second of them, with the count of the rest. [writer] */
static struct ppg_ratelimit fail_log = PPG_RATELIMIT_INIT;

static int done_write(struct db *db, void *arg, int64_t now)
{
	struct done_op *o = arg;
	const struct ppg_retry_policy *pol = &o->n->pol;
	struct db_notification nt = { 0 };

	/* -ENOENT: no longer pending (another node's attempt ended it, or its
	 * lease ran out and a later attempt did): nothing to record */
	if (o->r.ok) {
		int r = db_notification_attempted(db, o->r.id, DB_STATE_DELIVERED, -1);
		return r == -ENOENT ? 0 : r;
	}
	int r = db_notification_get(db, o->r.id, &nt);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	int attempts = nt.attempts + 1;
	db_notification_clear(&nt);
	/* The fence: still this node's? (its lease covered the POST, but the
	 * batch that writes its answer may come late) */
	int64_t keep = now + ((int64_t)o->n->cfg->notify_timeout + NOTIFY_LEASE_MARGIN_S) * 1000;
	if ((r = db_notification_renew(db, o->r.id, o->lease_gen, keep)) <= 0) {
		o->lost = r == 0;
		return r;
	}
	if ((unsigned)attempts >= pol->max_attempts) {
		o->given_up = 1;
		ppg_metrics_inc(PPG_M_NOTIFY_GIVEN_UP);
		LOGP_RL(&fail_log, 20, PPG_LOG_NOTIFY, LOG_WARNING, "notification %lld given up after %d attempts: %s",
		    (long long)o->r.id, attempts, o->r.reason);
		int r2 = db_notification_attempted(db, o->r.id, DB_STATE_UNDELIVERABLE, -1);
		return r2 == -ENOENT ? 0 : r2;
	}
	int64_t next = now + ppg_outcome_backoff_ms(pol, attempts);
	LOGP_RL(&fail_log, 20, PPG_LOG_NOTIFY, LOG_INFO, "notification %lld failed (%s); attempt %d, next in %lld s",
	    (long long)o->r.id, o->r.reason, attempts, (long long)(next - now) / 1000);
	/* This node retries it itself (it holds the endpoint's later ones):
	 * the lease outlives the retry time, and is renewed while it waits. */
	o->retry_at = next;
	o->lease_until = next > keep ? next : keep;
	r = db_notification_attempted(db, o->r.id, DB_STATE_PENDING, o->lease_until);
	return r == -ENOENT ? 0 : r;
}

/* The next of its endpoint goes now; after a failure the failed one stays
 * first, held (and renewed) until its retry. Not committed: tried again in
 * a second (its lease is renewed meanwhile, or found taken). */
static void done_after(void *arg, int committed)
{
	struct done_op *o = arg;
	struct ppg_notifier *n = o->n;
	struct endpoint *e = n->stopping ? NULL : ep_of_inflight(n, o->r.id);
	if (e) {
		struct nq_item *it = e->inflight;
		e->inflight = NULL;
		if (committed && (o->r.ok || o->given_up || o->lost)) {
			if (o->lost)
				LOGP(PPG_LOG_NOTIFY, LOG_NOTICE, "notification %lld: another claim took it; not "
				    "retried by this node", (long long)o->r.id);
			item_free(it);
		} else {
			it->retry_at = committed ? o->retry_at : ppg_clock_now_ms() + 1000;
			if (committed)
				it->lease_until = o->lease_until;
			ep_insert(e, it);
		}
		ep_pump(n, e);
	}
	free(o);
}

/* [loop] */
static void done_loop(void *arg)
{
	struct done_op *o = arg;
	if (o->n->stopping) {
		free(o);
		return;
	}
	ppg_metrics_inc(o->r.ok ? PPG_M_NOTIFY_SENT : PPG_M_NOTIFY_FAILED);
	if (o->r.ok)
		LOGP(PPG_LOG_NOTIFY, LOG_DEBUG, "notification %lld answered: %s", (long long)o->r.id, o->r.reason);
	struct endpoint *e = ep_of_inflight(o->n, o->r.id);
	o->lease_gen = e ? e->inflight->lease_gen : 0;
	if (ppg_core_write_retry(o->n->core, done_write, done_after, o) < 0)
		free(o);
}

/* [notify sender] */
static void on_done(void *arg, const struct ppg_notify_http_result *r)
{
	struct ppg_notifier *n = arg;
	struct done_op *o = calloc(1, sizeof *o);
	if (!o)
		return;   /* the lease ends and it is sent again */
	o->n = n;
	o->r = *r;
	if (ppg_core_defer(n->core, 0, done_loop, o) < 0)
		free(o);
}

static void on_stop(void *arg)
{
	struct ppg_notifier *n = arg;
	n->stopping = 1;
	ppg_tick_stop(n->timer);
	n->timer = NULL;
}

static void on_free(void *arg)
{
	struct ppg_notifier *n = arg;
	if (!n)
		return;
	ppg_tick_stop(n->timer);
	/* The senders stop; answers that raced with it are dropped (the lease
	 * ends and they are sent again after the next start). */
	ppg_notify_http_free(n->notify);
	eps_free(n);
	free(n);
}

/* [writer] A reload: the retry policy, read by done_write on the writer. */
static void on_reload(void *arg, const struct ppg_config *cfg)
{
	struct ppg_notifier *n = arg;
	n->pol = (struct ppg_retry_policy){ cfg->notify_retry_min, cfg->notify_retry_max, cfg->notify_max_attempts };
}

int ppg_notifier_start(struct ppg_core *core, su_root_t *root, const struct ppg_config *cfg,
    char *err, size_t errlen)
{
	struct ppg_notifier *n = calloc(1, sizeof *n);
	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	n->core = core;
	n->cfg = cfg;
	n->notify = ppg_notify_http_new(cfg->notify_threads, cfg->notify_timeout, "ppgd/" PACKAGE_VERSION,
	    cfg->notify_ca_file, on_done, n);
	n->timer = ppg_tick_start(root, PPG_NOTIFIER_INTERVAL_MS, on_timer, n);
	n->pol = (struct ppg_retry_policy){ cfg->notify_retry_min, cfg->notify_retry_max, cfg->notify_max_attempts };
	struct ppg_core_hooks h = { .arg = n, .stop = on_stop, .free = on_free, .reload = on_reload,
		.remote = on_remote };
	if (!n->notify || !n->timer ||
	    ppg_core_register(core, &h) < 0) {
		snprintf(err, errlen, "cannot start the notifier");
		on_free(n);
		return -ENOMEM;
	}
	return 0;
}
