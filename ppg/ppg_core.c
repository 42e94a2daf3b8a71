/*
 * ppg_core.c - the single thread that owns push state.
 *
 * Workers append to a queue under a mutex and signal a condition variable.
 * The core takes everything queued (up to batch_max), opens one transaction,
 * runs each request under its own savepoint, commits once, and then completes
 * the requests. With synchronous=FULL the commit is one fsync for the whole
 * batch: under load the batch grows by itself, which is how durable
 * acceptance keeps up with a PPG that stores nothing.
 */
#include "ppg/ppg_core.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ppg/ppg_log.h"

#define MAX_TIMERS 4096

struct item {
	struct ppg_request *req;
	ppg_core_done_fn done;
	void *arg;
	struct item *next;
};

struct timer {
	int64_t when;
	ppg_core_done_fn fn;
	void *arg;
	struct timer *next;
};

struct ppg_core {
	const struct ppg_config *cfg;
	struct db *db;
	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct item *head, *tail;
	struct timer *timers;          /* sorted by when */
	unsigned ntimers;
	int stopping;
	struct ppg_core_stats stats;
};

int64_t ppg_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct ppg_core *ppg_core_new(const struct ppg_config *cfg, struct db *db)
{
	struct ppg_core *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->cfg = cfg;
	c->db = db;
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	return c;
}

static void run_batch(struct ppg_core *c, struct item *batch)
{
	int64_t now = ppg_now_ms();
	int r = db_begin(c->db);
	size_t n = 0;

	if (r == 0) {
		for (struct item *it = batch; it; it = it->next, n++)
			ppg_request_execute(it->req, c->db, now);
		r = db_commit(c->db);
		if (r < 0) {
			LOGP(PPG_LOG_DB, LOG_ERR, "commit of a batch of %zu failed: %s", n, db_errmsg(c->db));
			db_rollback(c->db);
		}
	} else {
		LOGP(PPG_LOG_DB, LOG_ERR, "cannot begin a transaction: %s", db_errmsg(c->db));
	}
	if (r < 0) {
		c->stats.commit_failures++;
		for (struct item *it = batch; it; it = it->next)
			ppg_request_fail(it->req, 3000, "internal error: nothing was stored, try again");
	}
	c->stats.batches++;
	c->stats.requests += n;
	while (batch) {
		struct item *next = batch->next;
		batch->done(batch->arg);
		free(batch);
		batch = next;
	}
}

static void *core_main(void *arg)
{
	struct ppg_core *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		/* Due timers first. */
		int64_t now = ppg_now_ms();
		while (c->timers && (c->timers->when <= now || c->stopping)) {
			struct timer *t = c->timers;
			c->timers = t->next;
			c->ntimers--;
			pthread_mutex_unlock(&c->lock);
			t->fn(t->arg);
			free(t);
			pthread_mutex_lock(&c->lock);
		}
		if (c->head) {
			struct item *batch = c->head, *last = batch;
			unsigned n = 1;
			while (last->next && n < c->cfg->batch_max) {
				last = last->next;
				n++;
			}
			c->head = last->next;
			if (!c->head)
				c->tail = NULL;
			last->next = NULL;
			pthread_mutex_unlock(&c->lock);
			run_batch(c, batch);
			pthread_mutex_lock(&c->lock);
			continue;
		}
		if (c->stopping && !c->timers)
			break;
		if (c->timers) {
			struct timespec ts;
			int64_t wait = c->timers->when - ppg_now_ms();
			clock_gettime(CLOCK_MONOTONIC, &ts);
			if (wait < 0)
				wait = 0;
			ts.tv_sec += wait / 1000;
			ts.tv_nsec += (wait % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&c->cond, &c->lock, &ts);
		} else {
			pthread_cond_wait(&c->cond, &c->lock);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int ppg_core_start(struct ppg_core *c)
{
	int r = pthread_create(&c->thread, NULL, core_main, c);
	if (r)
		return -r;
	c->started = 1;
	return 0;
}

void ppg_core_stop(struct ppg_core *c)
{
	if (!c || !c->started)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	c->started = 0;
}

void ppg_core_free(struct ppg_core *c)
{
	if (!c)
		return;
	ppg_core_stop(c);
	db_close(c->db);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int ppg_core_submit(struct ppg_core *c, struct ppg_request *req, ppg_core_done_fn done, void *arg)
{
	struct item *it = calloc(1, sizeof *it);
	if (!it)
		return -ENOMEM;
	it->req = req;
	it->done = done;
	it->arg = arg;
	pthread_mutex_lock(&c->lock);
	if (c->stopping) {
		pthread_mutex_unlock(&c->lock);
		free(it);
		return -ESHUTDOWN;
	}
	if (c->tail)
		c->tail->next = it;
	else
		c->head = it;
	c->tail = it;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int ppg_core_defer(struct ppg_core *c, unsigned delay_ms, ppg_core_done_fn fn, void *arg)
{
	struct timer *t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	t->when = ppg_now_ms() + delay_ms;
	t->fn = fn;
	t->arg = arg;
	pthread_mutex_lock(&c->lock);
	if (c->stopping || c->ntimers >= MAX_TIMERS) {
		pthread_mutex_unlock(&c->lock);
		free(t);
		return c->stopping ? -ESHUTDOWN : -EAGAIN;
	}
	struct timer **pp = &c->timers;
	while (*pp && (*pp)->when <= t->when)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	c->ntimers++;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void ppg_core_get_stats(struct ppg_core *c, struct ppg_core_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}
