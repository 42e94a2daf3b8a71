/*
 * ppg_quota.c - per-PI quotas and the global pending limit (see
 * ppg_quota.h): a token bucket per PI for the rate, counters kept by the
 * writer for what is pending.
 */
#include "ppg/ppg_quota.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ppg/ppg_log.h"
#include "ppg/ppg_ratelimit.h"

struct qpi {
	const struct ppg_pi *pi;       /* name and limits, from the config */
	/* [http worker]: the rate bucket, under lock */
	pthread_mutex_t lock;
	double tokens;
	int64_t last_us;
	/* [writer] */
	int64_t pending, bytes;
	struct ppg_ratelimit log;      /* one refusal line a second */
};

struct ppg_quota {
	const struct ppg_config *cfg;
	struct qpi *v;                 /* sorted by name */
	size_t n;
	/* [writer] */
	int counting;                  /* some pending limit is set */
	int loaded;
	int64_t deliveries;
	struct ppg_ratelimit glog;
	/* [any] */
	atomic_ullong refused_rate, refused_pending, refused_bytes, refused_deliveries;
	atomic_llong pub_deliveries;
};

static _Atomic(struct ppg_quota *) ledger;

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct qpi *)a)->pi->name, ((const struct qpi *)b)->pi->name);
}

static struct qpi *find(struct ppg_quota *q, const char *pi)
{
	size_t lo = 0, hi = q->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(pi, q->v[mid].pi->name);
		if (!c)
			return &q->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

struct ppg_quota *ppg_quota_new(const struct ppg_config *cfg)
{
	struct ppg_quota *q = calloc(1, sizeof *q);
	size_t n = 0;
	if (!q)
		return NULL;
	for (const struct ppg_pi *pi = cfg->pis; pi; pi = pi->next)
		n++;
	q->v = calloc(n ? n : 1, sizeof *q->v);
	if (!q->v) {
		free(q);
		return NULL;
	}
	q->cfg = cfg;
	for (const struct ppg_pi *pi = cfg->pis; pi; pi = pi->next)
		q->v[q->n++].pi = pi;
	qsort(q->v, q->n, sizeof *q->v, by_name);
	q->counting = cfg->max_pending_deliveries != 0;
	for (size_t i = 0; i < q->n; i++)
		q->counting |= q->v[i].pi->max_pending || q->v[i].pi->max_pending_bytes;
	for (size_t i = 0; i < q->n; i++) {
		pthread_mutex_init(&q->v[i].lock, NULL);
		q->v[i].tokens = q->v[i].pi->max_rate;
		q->v[i].last_us = mono_us();
		ppg_ratelimit_init(&q->v[i].log);
	}
	ppg_ratelimit_init(&q->glog);
	atomic_store(&q->pub_deliveries, -1);
	atomic_store(&ledger, q);
	return q;
}

void ppg_quota_free(struct ppg_quota *q)
{
	if (!q)
		return;
	struct ppg_quota *cur = q;
	atomic_compare_exchange_strong(&ledger, &cur, NULL);
	for (size_t i = 0; i < q->n; i++) {
		pthread_mutex_destroy(&q->v[i].lock);
		ppg_ratelimit_destroy(&q->v[i].log);
	}
	ppg_ratelimit_destroy(&q->glog);
	free(q->v);
	free(q);
}

unsigned ppg_quota_rate(struct ppg_quota *q, const char *pi, char *desc, size_t len)
{
	struct qpi *e = q ? find(q, pi) : NULL;
	if (!e || !e->pi->max_rate)
		return 0;
	/* A bucket of max_rate tokens, max_rate more every second. */
	int64_t now = mono_us();
	int ok;
	pthread_mutex_lock(&e->lock);
	e->tokens += (double)(now - e->last_us) * e->pi->max_rate / 1e6;
	if (e->tokens > e->pi->max_rate)
		e->tokens = e->pi->max_rate;
	e->last_us = now;
	ok = e->tokens >= 1.0;
	if (ok)
		e->tokens -= 1.0;
	pthread_mutex_unlock(&e->lock);
	if (ok)
		return 0;
	unsigned long long n = atomic_fetch_add(&q->refused_rate, 1) + 1;
	snprintf(desc, len, "service unavailable: more than %u requests a second from this Push Initiator, "
	    "try again later", e->pi->max_rate);
	LOGP_RL(&e->log, 1, PPG_LOG_HTTP, LOG_WARNING, "pi=%s: over max_rate %u/s: answered 4001 "
	    "(%llu refused over a rate since start)", pi, e->pi->max_rate, n);
	return 1;
}

static int load_pi(void *arg, const char *pi, int64_t pushes, int64_t bytes)
{
	struct qpi *e = find(arg, pi);
	if (e) {
		e->pending = pushes;
		e->bytes = bytes;
	}
	return 0;
}

/* [writer] The counters from the database (inside the writer's transaction). */
static int load(struct ppg_quota *q, struct db *db)
{
	int64_t pend = 0, infl = 0;
	for (size_t i = 0; i < q->n; i++)
		q->v[i].pending = q->v[i].bytes = 0;
	int r = db_count_deliveries_in_state(db, DB_STATE_PENDING, &pend);
	if (r == 0)
		r = db_count_deliveries_in_state(db, DB_STATE_INFLIGHT, &infl);
	if (r == 0)
		r = db_push_pending_by_pi(db, load_pi, q);
	if (r < 0) {
		LOGP(PPG_LOG_DB, LOG_ERR, "quotas: cannot count what is pending: %s", db_errmsg(db));
		return r;
	}
	q->deliveries = pend + infl;
	q->loaded = 1;
	atomic_store(&q->pub_deliveries, q->deliveries);
	LOGP(PPG_LOG_CORE, LOG_DEBUG, "quotas: %lld deliveries pending", (long long)q->deliveries);
	return 0;
}

unsigned ppg_quota_check_push(struct db *db, const char *pi, size_t ndeliveries, size_t bytes, char *desc,
    size_t len)
{
	struct ppg_quota *q = atomic_load(&ledger);
	const struct ppg_config *cfg;
	if (!q)
		return 0;
	cfg = q->cfg;
	if (!q->counting)
		return 0;      /* no pending limit: nothing is counted */
	if (!q->loaded && load(q, db) < 0)
		return 0;      /* counted again at the next push; the database decides meanwhile */
	struct qpi *e = find(q, pi);
	/* A limit never refuses a push when nothing is pending. */
	if (cfg->max_pending_deliveries && q->deliveries > 0 &&
	    (uint64_t)q->deliveries + ndeliveries > cfg->max_pending_deliveries) {
		unsigned long long n = atomic_fetch_add(&q->refused_deliveries, 1) + 1;
		snprintf(desc, len, "service unavailable: %lld deliveries pending (limit %zu), try again later",
		    (long long)q->deliveries, cfg->max_pending_deliveries);
		LOGP_RL(&q->glog, 1, PPG_LOG_CORE, LOG_WARNING, "pi=%s: %lld deliveries pending, over "
		    "max_pending_deliveries %zu: answered 4001 (%llu refused so since start)", pi,
		    (long long)q->deliveries, cfg->max_pending_deliveries, n);
		return cfg->retry_after;
	}
	if (e && e->pi->max_pending && (uint64_t)e->pending >= e->pi->max_pending) {
		unsigned long long n = atomic_fetch_add(&q->refused_pending, 1) + 1;
		snprintf(desc, len, "service unavailable: %lld pushes of this Push Initiator pending (limit %zu), "
		    "try again later", (long long)e->pending, e->pi->max_pending);
		LOGP_RL(&e->log, 1, PPG_LOG_CORE, LOG_WARNING, "pi=%s: %lld pushes pending, over max_pending %zu: "
		    "answered 4001 (%llu refused so since start)", pi, (long long)e->pending, e->pi->max_pending, n);
		return cfg->retry_after;
	}
	if (e && e->pi->max_pending_bytes && e->bytes > 0 &&
	    (uint64_t)e->bytes + bytes > e->pi->max_pending_bytes) {
		unsigned long long n = atomic_fetch_add(&q->refused_bytes, 1) + 1;
		snprintf(desc, len, "service unavailable: %lld bytes of content of this Push Initiator pending "
		    "(limit %zu), try again later", (long long)e->bytes, e->pi->max_pending_bytes);
		LOGP_RL(&e->log, 1, PPG_LOG_CORE, LOG_WARNING, "pi=%s: %lld bytes pending, over max_pending_bytes "
		    "%zu: answered 4001 (%llu refused so since start)", pi, (long long)e->bytes,
		    e->pi->max_pending_bytes, n);
		return cfg->retry_after;
	}
	return 0;
}

void ppg_quota_stored(const char *pi, size_t ndeliveries, size_t bytes)
{
	struct ppg_quota *q = atomic_load(&ledger);
	if (!q || !q->loaded)
		return;
	struct qpi *e = find(q, pi);
	q->deliveries += (int64_t)ndeliveries;
	atomic_store(&q->pub_deliveries, q->deliveries);
	if (e) {
		e->pending++;
		e->bytes += (int64_t)bytes;
	}
}

void ppg_quota_ended(const char *pi, int push_ended, int64_t bytes)
{
	struct ppg_quota *q = atomic_load(&ledger);
	if (!q || !q->loaded)
		return;
	if (q->deliveries > 0)
		q->deliveries--;
	atomic_store(&q->pub_deliveries, q->deliveries);
	struct qpi *e = push_ended && pi ? find(q, pi) : NULL;
	if (e) {
		e->pending = e->pending > 0 ? e->pending - 1 : 0;
		e->bytes = e->bytes > bytes ? e->bytes - bytes : 0;
	}
}

void ppg_quota_resync(void)
{
	struct ppg_quota *q = atomic_load(&ledger);
	if (q)
		q->loaded = 0;
}

void ppg_quota_get_stats(struct ppg_quota *q, struct ppg_quota_stats *out)
{
	memset(out, 0, sizeof *out);
	if (!q) {
		out->pending_deliveries = -1;
		return;
	}
	out->refused_rate = atomic_load(&q->refused_rate);
	out->refused_pending = atomic_load(&q->refused_pending);
	out->refused_bytes = atomic_load(&q->refused_bytes);
	out->refused_deliveries = atomic_load(&q->refused_deliveries);
	out->pending_deliveries = atomic_load(&q->pub_deliveries);
}
