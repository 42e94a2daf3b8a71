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

#include "pap/pap.h"
#include "ppg/ppg_log.h"

#define MAX_TIMERS 4096
#define SWEEP_INTERVAL_MS 1000
#define SWEEP_MAX 512
#define WAL_RESTART_FRAMES 8192

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
	int64_t next_sweep;
	struct ppg_core_stats stats;
	/* WAL checkpoints run here, off the core thread (see ckpt_main). */
	pthread_t ckpt_thread;
	pthread_cond_t ckpt_cond;
	struct db *ckpt_db;
	int ckpt_started;
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
	pthread_cond_init(&c->ckpt_cond, &ca);
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
		for (struct item *it = batch; it; it = it->next)
			ppg_request_fail(it->req, 3000, "internal error: nothing was stored, try again");
	}
	pthread_mutex_lock(&c->lock);
	c->stats.batches++;
	c->stats.requests += n;
	if (r < 0)
		c->stats.commit_failures++;
	pthread_mutex_unlock(&c->lock);
	while (batch) {
		struct item *next = batch->next;
		batch->done(batch->arg);
		free(batch);
		batch = next;
	}
	/* Passive checkpoints in ckpt_main keep up with the writer, but the WAL
	 * starts over only when a write begins right after a checkpoint that left
	 * nothing behind. Past WAL_RESTART_FRAMES the core, between two batches,
	 * checkpoints the few frames left itself, and its next batch rewinds. */
	if (db_wal_frames(c->db) > WAL_RESTART_FRAMES && db_checkpoint(c->db, 0, NULL, NULL) < 0)
		LOGP(PPG_LOG_DB, LOG_WARNING, "checkpoint: %s", db_errmsg(c->db));
}

/*
 * Deliveries whose deliver-before time has passed become expired (PAP code
 * 4000: the PI may try again with a new push). One transaction per sweep.
 */
static void sweep_expired(struct ppg_core *c)
{
	int64_t now = ppg_now_ms();
	struct db_delivery *dv = NULL;
	size_t n = 0;

	if (db_begin(c->db) < 0)
		return;
	int r = db_delivery_expired(c->db, now, SWEEP_MAX, &dv, &n);
	for (size_t i = 0; i < n && r == 0; i++) {
		r = db_delivery_set_state(c->db, dv[i].id, DB_STATE_EXPIRED, PAP_SERVICE_FAILURE,
		    "deliver-before-timestamp passed before delivery", now, 0);
		if (r == 0 && (i + 1 == n || dv[i + 1].push != dv[i].push))
			r = db_push_update_state(c->db, dv[i].push);
	}
	if (r == 0)
		r = db_commit(c->db);
	if (r < 0) {
		LOGP(PPG_LOG_DB, LOG_ERR, "expiry sweep failed: %s", db_errmsg(c->db));
		db_rollback(c->db);
	} else if (n) {
		LOGP(PPG_LOG_CORE, LOG_INFO, "%zu deliver%s expired (deliver-before passed)", n,
		    n == 1 ? "y" : "ies");
	}
	db_delivery_list_free(dv, n);
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
		if (now >= c->next_sweep) {
			pthread_mutex_unlock(&c->lock);
			sweep_expired(c);
			pthread_mutex_lock(&c->lock);
			c->next_sweep = ppg_now_ms() + SWEEP_INTERVAL_MS;
			continue;
		}
		{
			struct timespec ts;
			int64_t until = c->next_sweep;
			if (c->timers && c->timers->when < until)
				until = c->timers->when;
			int64_t wait = until - ppg_now_ms();
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
		}
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/*
 * The writer is opened with DB_NO_AUTOCHECKPOINT: a commit never stops to
 * copy the WAL into the database file. This thread does it with its own
 * handle, a few times a second, so the core thread only appends and fsyncs.
 */
static void *ckpt_main(void *arg)
{
	struct ppg_core *c = arg;
	int frames = 0, moved = 0;

	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 100 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&c->ckpt_cond, &c->lock, &ts);
		if (c->stopping)
			break;
		pthread_mutex_unlock(&c->lock);
		if (db_checkpoint(c->ckpt_db, 0, &frames, &moved) < 0)
			LOGP(PPG_LOG_DB, LOG_WARNING, "checkpoint: %s", db_errmsg(c->ckpt_db));
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int ppg_core_start(struct ppg_core *c)
{
	int r = db_open(c->cfg->db_path, c->cfg->db_sync_full ? 0 : DB_SYNC_NORMAL, &c->ckpt_db);
	if (r < 0) {
		LOGP(PPG_LOG_DB, LOG_ERR, "cannot open the checkpoint handle: %s", strerror(-r));
		return r;
	}
	r = pthread_create(&c->ckpt_thread, NULL, ckpt_main, c);
	if (r)
		return -r;
	c->ckpt_started = 1;
	r = pthread_create(&c->thread, NULL, core_main, c);
	if (r)
		return -r;
	c->started = 1;
	return 0;
}

void ppg_core_stop(struct ppg_core *c)
{
	if (!c || (!c->started && !c->ckpt_started))
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_signal(&c->cond);
	pthread_cond_signal(&c->ckpt_cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	c->started = 0;
	if (c->ckpt_started)
		pthread_join(c->ckpt_thread, NULL);
	c->ckpt_started = 0;
}

void ppg_core_free(struct ppg_core *c)
{
	if (!c)
		return;
	ppg_core_stop(c);
	db_close(c->ckpt_db);
	db_close(c->db);
	pthread_cond_destroy(&c->cond);
	pthread_cond_destroy(&c->ckpt_cond);
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
