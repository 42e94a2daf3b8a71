/*
 * ppg_core_db.c - the core's database threads (see ppg_core.c for the whole
 * pipeline): the writer runs every SQL write in batches, the syncer makes
 * each batch durable and lets its answers go. The queue the writer takes its
 * batches from, and the checkpointer, are in ppg_core_write.c.
 */
#include "ppg/ppg_core_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pap/pap.h"
#include "ppg/ppg_content.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_metrics.h"
#include "ppg/ppg_stats.h"
#include "ppg/ppg_quota.h"
#include "ppg/ppg_ratelimit.h"

/*
 * One transaction for a batch of HTTP requests and the loop's own writes,
 * each under a savepoint; one commit; then the syncer makes it durable,
 * answers, and hands the rest back to the loop. Writer thread.
 */
static void complete(struct ppg_core *c, struct sync_job *jobs);

/* A disk that fails fails every write of every batch: these lines are
 * bounded (20 a second, with the count of the rest). Writer thread. */
static struct ppg_ratelimit write_fail_log = PPG_RATELIMIT_INIT;

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t mono_ms(void)
{
	return mono_us() / 1000;
}

/*
 * Takes the failed retried writes out of ops and keeps them in retry_ops
 * for their backoff; returns what is left (their after() runs with the
 * batch). A write out of tries, or failing at shutdown, stays in ops:
 * given up, its after() gets 0. Under lock, writer thread.
 */
static struct op *retry_put_back(struct ppg_core *c, struct op *ops)
{
	struct op *keep = NULL, **kt = &keep;
	int64_t now = mono_ms();
	for (struct op *o = ops, *next; o; o = next) {
		next = o->next;
		o->next = NULL;
		if (o->failed && o->retry) {
			o->tries++;
			if (o->tries < RETRY_TRIES && !c->retry_flush && !c->writer_stop) {
				unsigned shift = o->tries - 1 < 16 ? o->tries - 1 : 16;
				int64_t d = (int64_t)RETRY_MIN_MS << shift;
				o->due_mono = now + (d < RETRY_MAX_MS ? d : RETRY_MAX_MS);
				o->next = c->retry_ops;
				c->retry_ops = o;
				c->write_retries++;
				continue;
			}
			c->write_giveups++;
			LOGP_RL(&write_fail_log, 20, PPG_LOG_DB, LOG_ERR, "core write given up after %u tries (the lease takes it)",
			    o->tries);
		}
		*kt = o;
		kt = &o->next;
	}
	return keep;
}

/*
 * Moves the retried writes that are due (all of them at shutdown) to the
 * front of the queue, oldest first; returns the ms until the next one is
 * due, or -1 when none waits. Under lock, writer thread.
 */
static int64_t retry_take(struct ppg_core *c)
{
	if (!c->retry_ops)
		return -1;
	int64_t now = mono_ms(), next = -1;
	struct op *due = NULL, **wait = &c->retry_ops;
	for (struct op *o = c->retry_ops, *n; o; o = n) {
		n = o->next;
		if (c->retry_flush || c->writer_stop || o->due_mono <= now) {
			*wait = n;
			o->next = due;     /* retry_ops is newest first: this reverses it */
			due = o;
		} else {
			int64_t d = o->due_mono - now;
			if (next < 0 || d < next)
				next = d;
			wait = &o->next;
		}
	}
	if (due) {
		struct op *last = due;
		while (last->next)
			last = last->next;
		last->next = c->ops;
		if (!c->ops)
			c->ops_tail = last;
		c->ops = due;
		c->ops_urgent = 1;   /* they waited their backoff already */
	}
	return next;
}

/*
 * A PostgreSQL connection that was lost is tried again before a batch, at
 * most every db_backoff_ms (DB_RECONNECT_MIN_MS doubling to
 * DB_RECONNECT_MAX_MS); meanwhile the batch fails at once with -ENOTCONN:
 * its requests are answered 3000 (nothing stored), its writes retried
 * later. Writer thread.
 */
static int db_available(struct ppg_core *c)
{
	if (!atomic_load(&c->db_down))
		return 0;
	int64_t now = mono_ms();
	if (now < c->db_retry_mono)
		return -ENOTCONN;
	if (db_reconnect(c->db) < 0) {
		c->db_backoff_ms = c->db_backoff_ms * 2 > DB_RECONNECT_MAX_MS ? DB_RECONNECT_MAX_MS
		    : c->db_backoff_ms * 2;
		/* From its end: an attempt that waited for the connect timeout
		 * (a server that accepts and never answers) is not followed at
		 * once by another, so a request waits for one at most. */
		c->db_retry_mono = mono_ms() + c->db_backoff_ms;
		return -ENOTCONN;
	}
	atomic_store(&c->db_down, 0);
	LOGP(PPG_LOG_DB, LOG_NOTICE, "node %s has the database again after %.1f s", db_node(c->db),
	    (double)(now - c->db_down_since) / 1000.0);
	return 0;
}

/* Whether a batch gives other nodes work: an accepted push (its deliveries
 * not leased here when the window was full, or due later) or deliveries
 * made final (their result notifications). */
static int batch_made_due(const struct item *batch, const struct sync_job *job)
{
	if (job->finals.n)
		return 1;
	for (const struct item *it = batch; it; it = it->next)
		if (it->req->result_code == PAP_ACCEPTED && it->req->msg && it->req->msg->type == PAP_MSG_PUSH)
			return 1;
	return 0;
}

/* Returns whether the batch handed accepted pushes to the loop. */
static int run_batch(struct ppg_core *c, struct item *batch, struct op *ops,
    const struct ppg_core_hooks *hooks, unsigned nhooks)
{
	int64_t now = ppg_clock_now_ms();
	size_t n = 0;
	int r;

	struct sync_job *job = calloc(1, sizeof *job);
	if (!job) {
		/* Out of memory: nothing runs; the requests are answered, the
		 * loop's writes wait for the next batch. */
		for (struct item *it = batch, *next; it; it = next) {
			next = it->next;
			ppg_request_fail(it->req, PAP_INTERNAL_ERROR, "internal error: out of memory");
			it->done(it->arg);
			free(it);
		}
		pthread_mutex_lock(&c->lock);
		if (ops) {
			struct op *last = ops;
			while (last->next)
				last = last->next;
			last->next = c->ops;
			if (!c->ops)
				c->ops_tail = last;
			c->ops = ops;
			c->ops_urgent = 1;
		}
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	int64_t lease_ms = 0;
	for (unsigned i = 0; i < nhooks; i++)
		if (hooks[i].lease_ms)
			lease_ms = hooks[i].lease_ms(hooks[i].arg);
	ppg_final_collect(&job->finals);
	r = db_available(c);
	if (r == 0)
		r = db_begin(c->db);
	if (r == 0) {
		for (struct item *it = batch; it; it = it->next, n++) {
			if (lease_ms && it->req->msg && it->req->msg->type == PAP_MSG_PUSH)
				it->req->lease_ms = lease_ms;
			ppg_request_execute(it->req, c->db, now);
		}
		for (struct op *o = ops; o; o = o->next) {
			o->failed = 0;
			if (db_savepoint(c->db) < 0) {
				LOGP(PPG_LOG_DB, LOG_ERR, "core write not run (savepoint): %s", db_errmsg(c->db));
				for (struct op *f = o; f; f = f->next)
					f->failed = 1;
				break;
			}
			size_t nfinals = job->finals.n;
			if (o->fn(c->db, o->arg, now) < 0) {
				LOGP_RL(&write_fail_log, 20, PPG_LOG_DB, LOG_ERR, "core write failed%s: %s",
				    o->retry ? " (tried again later)" : "", db_errmsg(c->db));
				db_savepoint_rollback(c->db);
				ppg_quota_resync();
				job->finals.n = nfinals;   /* none of them ended */
				o->failed = 1;
			} else if (db_savepoint_release(c->db) < 0) {
				/* a job that swallowed a failed statement: on PostgreSQL the
				 * transaction is aborted until the rollback to its savepoint */
				LOGP_RL(&write_fail_log, 20, PPG_LOG_DB, LOG_ERR, "core write failed (savepoint): %s",
				    db_errmsg(c->db));
				db_savepoint_rollback(c->db);
				ppg_quota_resync();
				job->finals.n = nfinals;
				o->failed = 1;
			}
		}
		/* Other nodes on the same PostgreSQL wake up for what this batch
		 * made due (pushes not leased here, notifications to send): NOTIFY
		 * is sent with the commit. */
		if (db_engine_of(c->db) == DB_ENGINE_POSTGRESQL && batch_made_due(batch, job))
			db_notify(c->db, PPG_CLUSTER_DUE, db_node(c->db));
		r = db_commit(c->db);
		if (r < 0) {
			LOGP(PPG_LOG_DB, LOG_ERR, "commit of a batch of %zu failed: %s", n, db_errmsg(c->db));
			db_rollback(c->db);
			ppg_quota_resync();
		}
	} else if (r != -ENOTCONN) {
		LOGP(PPG_LOG_DB, LOG_ERR, "cannot begin a transaction: %s", db_errmsg(c->db));
	}
	if (r < 0 && db_lost(c->db) && !atomic_exchange(&c->db_down, 1)) {
		c->db_down_since = mono_ms();
		c->db_retry_mono = c->db_down_since;
		c->db_backoff_ms = DB_RECONNECT_MIN_MS;
		LOGP(PPG_LOG_DB, LOG_ERR, "node %s lost the database (%s); PAP requests are answered 3000 "
		    "until it is back", db_node(c->db), db_errmsg(c->db));
	}
	ppg_final_collect(NULL);
	if (r < 0) {
		for (struct op *o = ops; o; o = o->next)
			o->failed = 1;
		job->finals.n = 0;
		for (struct item *it = batch; it; it = it->next)
			ppg_request_fail(it->req, PAP_INTERNAL_ERROR, "internal error: nothing was stored, try again");
	}
	struct hook_job **jtail = &job->jobs;
	for (struct item *it = batch; r == 0 && it; it = it->next) {
		/* The engine copies what it needs before the answer lets the HTTP
		 * worker free the request. */
		if (it->req->result_code != PAP_ACCEPTED)
			continue;
		for (unsigned i = 0; i < nhooks; i++) {
			if (!hooks[i].prepare)
				continue;
			void *pj = hooks[i].prepare(hooks[i].arg, it->req);
			if (!pj)
				continue;   /* the leases end and the scheduler takes them */
			struct hook_job *hj = calloc(1, sizeof *hj);
			if (!hj) {
				if (hooks[i].job_free)
					hooks[i].job_free(pj);
				continue;
			}
			hj->hook = i;
			hj->job = pj;
			hj->job_free = hooks[i].job_free;
			*jtail = hj;
			jtail = &hj->next;
		}
	}
	int handed = job->jobs != NULL;
	int wal_frames = db_wal_frames(c->db);
	pthread_mutex_lock(&c->lock);
	ops = retry_put_back(c, ops);
	c->stats.batches++;
	c->stats.wal_frames = wal_frames;
	c->stats.requests += n;
	if (r < 0)
		c->stats.commit_failures++;
	ppg_metrics_commit(n, r);
	job->batch = batch;
	job->ops = ops;
	job->committed = r == 0;
	job->durable = batch != NULL;
	for (struct op *o = ops; o && !job->durable; o = o->next)
		job->durable = !o->lazy;
	/* Requests waiting for their answer, nothing else queued and the syncer
	 * idle (a single PI at a time): sync here and save a hand-off. The
	 * loop's lazy writes alone need no fdatasync: with the syncer idle they
	 * go straight back to the loop (in order: nothing is ahead of them).
	 * Otherwise the syncer takes it and the next batch is committed
	 * meanwhile. */
	if (c->sync_started && !c->sync_head && !c->sync_busy &&
	    (!job->durable || (batch && !c->head && !c->ops))) {
		c->sync_busy = 1;
		pthread_mutex_unlock(&c->lock);
		complete(c, job);
	} else {
		if (c->sync_tail)
			c->sync_tail->next = job;
		else
			c->sync_head = job;
		c->sync_tail = job;
		pthread_mutex_unlock(&c->lock);
		pthread_cond_signal(&c->sync_cond);
	}
	/* Passive checkpoints (ppg_core_ckpt_main) keep up with the writer, but the WAL
	 * starts over only when a write begins right after a checkpoint that left
	 * nothing behind. Past WAL_RESTART_FRAMES the core, between two batches,
	 * checkpoints the few frames left itself, and its next batch rewinds.
	 * A reader holding an old snapshot (a long read, a backup) keeps any
	 * checkpoint from passing its frame: each try still sorts the page
	 * numbers of every frame not yet copied (SQLite's walIteratorInit), a
	 * cost that grows with the WAL, so after one that left frames behind
	 * the writer waits before the next instead of paying it after every
	 * batch: CKPT_INTERVAL_MS, doubling up to CKPT_PINNED_MAX_MS while
	 * they still do. */
	if (wal_frames > WAL_RESTART_FRAMES && mono_ms() >= c->wal_ckpt_next_mono) {
		int frames = 0, moved = 0;
		if (db_checkpoint(c->db, 0, &frames, &moved) < 0) {
			LOGP(PPG_LOG_DB, LOG_WARNING, "checkpoint: %s", db_errmsg(c->db));
		} else if (frames < 0) {
			/* ppg-ckpt's checkpoint was running: try again soon. */
			c->wal_ckpt_next_mono = mono_ms() + CKPT_BUSY_RETRY_MS;
		} else {
			pthread_mutex_lock(&c->lock);
			c->stats.wal_checkpoints++;
			pthread_mutex_unlock(&c->lock);
			if (moved < frames) {
				unsigned b = c->wal_ckpt_backoff_ms ? c->wal_ckpt_backoff_ms : CKPT_INTERVAL_MS;
				c->wal_ckpt_next_mono = mono_ms() + b;
				c->wal_ckpt_backoff_ms = b * 2 > CKPT_PINNED_MAX_MS ? CKPT_PINNED_MAX_MS : b * 2;
			} else {
				c->wal_ckpt_backoff_ms = 0;
			}
		}
	}
	return handed;
}

/*
 * The syncer: one fdatasync of the WAL covers every batch committed since
 * the last one (group commit without blocking the loop), then the HTTP
 * answers go out and the rest of each batch goes back to the loop. With
 * [database] synchronous = normal it skips the fdatasync.
 */
/*
 * Makes jobs durable (one fdatasync), answers their requests and hands them
 * back to the loop. Called with sync_busy set, by the syncer or by the
 * writer itself when nothing else waits (see run_batch).
 */
static void complete(struct ppg_core *c, struct sync_job *jobs)
{
	int any = 0, sr = 0;
	/* Lazy writes alone are not synced: they ride on the next fdatasync
	 * (one that answers a request, or the checkpointer's sync of the WAL). */
	for (struct sync_job *j = jobs; j; j = j->next)
		any |= j->committed && j->durable;
	if (any && c->cfg->db_sync_full) {
		int64_t t0 = ppg_stats_mono_us();
		sr = db_sync(c->db);
		ppg_metrics_synced(ppg_stats_mono_us() - t0, sr);
		if (sr < 0)
			LOGP(PPG_LOG_DB, LOG_CRIT, "cannot make commits durable (fdatasync): %s", strerror(-sr));
	}
	/* What the batches made final serves no content from now on, before
	 * their answers go out: once a cancel is answered, a GET of the
	 * cancelled delivery's URL answers 404 (the loop lets the attempt go
	 * later, when the batch comes back to it). */
	for (struct sync_job *j = jobs; c->content && j; j = j->next)
		for (size_t i = 0; j->committed && i < j->finals.n; i++)
			ppg_content_withdraw(c->content, j->finals.v[i]);
	struct sync_job *last = NULL;
	for (struct sync_job *j = jobs; j; last = j, j = j->next) {
		for (struct item *it = j->batch, *next; it; it = next) {
			next = it->next;
			if (sr < 0)
				ppg_request_fail(it->req, PAP_INTERNAL_ERROR, "internal error: the disk failed, try again");
			it->done(it->arg);
			free(it);
		}
		j->batch = NULL;
	}
	pthread_mutex_lock(&c->lock);
	if (c->done_tail)
		c->done_tail->next = jobs;
	else
		c->done_head = jobs;
	c->done_tail = last;
	c->sync_busy = 0;
	pthread_cond_broadcast(&c->sync_idle);
	pthread_mutex_unlock(&c->lock);
	ppg_core_wake(c);
}

void *ppg_core_sync_main(void *arg)
{
	struct ppg_core *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->sync_head && !c->sync_stop)
			pthread_cond_wait(&c->sync_cond, &c->lock);
		if (!c->sync_head)
			break;
		struct sync_job *jobs = c->sync_head;
		c->sync_head = c->sync_tail = NULL;
		c->sync_busy = 1;
		pthread_mutex_unlock(&c->lock);

		complete(c, jobs);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Loop side: durable batches come back for the engine. */
void ppg_core_run_done(struct ppg_core *c)
{
	pthread_mutex_lock(&c->lock);
	struct sync_job *jobs = c->done_head;
	c->done_head = c->done_tail = NULL;
	pthread_mutex_unlock(&c->lock);
	int64_t now = ppg_clock_now_ms();
	pthread_mutex_lock(&c->lock);
	unsigned nhooks = c->nhooks;
	pthread_mutex_unlock(&c->lock);
	while (jobs) {
		struct sync_job *next = jobs->next;
		/* What the batch ended first: an attempt still under way for one of
		 * them is let go before anything else runs. */
		for (unsigned i = 0; jobs->finals.n && i < nhooks; i++)
			if (c->hooks[i].finalized)
				c->hooks[i].finalized(c->hooks[i].arg, jobs->finals.v, jobs->finals.n);
		ppg_final_ids_free(&jobs->finals);
		/* The loop's writes before the new pushes: a read the loop queued
		 * (the registrations at start) is in place when they run. */
		for (struct op *o = jobs->ops, *on; o; o = on) {
			on = o->next;
			if (o->after)
				o->after(o->arg, jobs->committed && !o->failed);
			free(o);
		}
		for (struct hook_job *hj = jobs->jobs, *hn; hj; hj = hn) {
			hn = hj->next;
			if (hj->hook < nhooks && c->hooks[hj->hook].run)
				c->hooks[hj->hook].run(c->hooks[hj->hook].arg, hj->job, now);
			else if (hj->job_free)
				hj->job_free(hj->job);
			free(hj);
		}
		free(jobs);
		jobs = next;
	}
}

/* Waits until the syncer has nothing left, then runs what came back. */
void ppg_core_drain_sync(struct ppg_core *c)
{
	pthread_mutex_lock(&c->lock);
	while (c->sync_started && (c->sync_head || c->sync_busy))
		pthread_cond_wait(&c->sync_idle, &c->lock);
	pthread_mutex_unlock(&c->lock);
	ppg_core_run_done(c);
}

/*
 * The writer: takes the queued HTTP requests (at most batch_max) and every
 * write the loop queued, and runs them as one batch. SQL never runs in the
 * loop, so the SIP stack and the timers keep their pace whatever the load.
 */
void *ppg_core_writer_main(void *arg)
{
	struct ppg_core *c = arg;

	db_claim(c->db);   /* from now on no other thread runs SQL on it */
	pthread_mutex_lock(&c->lock);
	for (;;) {
		for (;;) {
			int64_t next = retry_take(c);
			int64_t wait_us = next < 0 ? -1 : next * 1000;
			if (c->head || c->writer_stop || (c->ops && (c->ops_urgent || c->retry_flush)))
				break;
			int64_t now_us = mono_us();
			if (c->ops) {
				/* Only outcomes queued: they wait for a request to
				 * share its batch, at most until linger_until_us. */
				int64_t left = c->linger_until_us - now_us;
				if (left <= 0)
					break;
				if (wait_us < 0 || left < wait_us)
					wait_us = left;
			} else if (c->expect_until_us > now_us) {
				/* Outcomes of the last batch's pushes are coming:
				 * queue_write does not wake the writer for them. */
				int64_t left = c->expect_until_us - now_us;
				if (wait_us < 0 || left < wait_us)
					wait_us = left;
				c->writer_expecting = 1;
			}
			if (wait_us < 0) {
				pthread_cond_wait(&c->writer_cond, &c->lock);
			} else {
				struct timespec ts;
				clock_gettime(CLOCK_MONOTONIC, &ts);
				ts.tv_sec += wait_us / 1000000;
				ts.tv_nsec += (wait_us % 1000000) * 1000L;
				if (ts.tv_nsec >= 1000000000) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000;
				}
				pthread_cond_timedwait(&c->writer_cond, &c->lock, &ts);
			}
			c->writer_expecting = 0;
		}
		c->writer_expecting = 0;
		if (!c->head && !c->ops)
			break;
		struct item *batch = c->head, *last = batch;
		if (batch) {
			unsigned n = 1;
			while (last->next && n < c->cfg->batch_max) {
				last = last->next;
				n++;
			}
			c->head = last->next;
			if (!c->head)
				c->tail = NULL;
			last->next = NULL;
		}
		struct op *ops = c->ops;
		c->ops = c->ops_tail = NULL;
		c->ops_urgent = 0;
		struct ppg_core_hooks hooks[PPG_CORE_MAX_HOOKS];
		unsigned nhooks = c->nhooks;
		memcpy(hooks, c->hooks, nhooks * sizeof hooks[0]);
		c->writer_busy = 1;
		pthread_mutex_unlock(&c->lock);
		int handed = run_batch(c, batch, ops, hooks, nhooks);
		pthread_mutex_lock(&c->lock);
		if (handed)
			c->expect_until_us = mono_us() + WRITE_LINGER_US;
		c->writer_busy = 0;
		pthread_cond_broadcast(&c->writer_idle);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Waits until the writer has run everything queued (shutdown). */
void ppg_core_drain_writer(struct ppg_core *c)
{
	pthread_mutex_lock(&c->lock);
	c->retry_flush = 1;   /* retried writes: one last run now */
	pthread_cond_signal(&c->writer_cond);
	while (c->writer_started && (c->head || c->ops || c->retry_ops || c->writer_busy))
		pthread_cond_wait(&c->writer_idle, &c->lock);
	pthread_mutex_unlock(&c->lock);
}
