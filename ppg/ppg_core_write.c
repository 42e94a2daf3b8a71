/*
 * ppg_core_write.c - what the loop hands the writer (ppg_core_write and its
 * lazy and retried kinds: the queue ppg_core_db.c's writer takes its batches
 * from), and the checkpointer thread. Split from ppg_core_db.c.
 */
#include "ppg/ppg_core_int.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "ppg/ppg_log.h"

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int queue_write(struct ppg_core *c, ppg_core_write_fn fn, ppg_core_after_fn after, void *arg,
    int lazy, int retry)
{
	struct op *o = calloc(1, sizeof *o);
	if (!o)
		return -ENOMEM;
	o->fn = fn;
	o->after = after;
	o->arg = arg;
	o->lazy = lazy;
	o->retry = retry;
	pthread_mutex_lock(&c->lock);
	int first = !c->ops;
	if (c->ops_tail)
		c->ops_tail->next = o;
	else
		c->ops = o;
	c->ops_tail = o;
	/* An outcome (retry) lingers for a request to share its batch; the
	 * writer needs a wake-up only for the first one (it then waits until
	 * linger_until_us) or for a write that does not linger. */
	int wake = 0;
	if (!retry) {
		c->ops_urgent = 1;
		wake = 1;
	} else if (first && c->writer_expecting) {
		/* It wakes at expect_until_us (or for a request) anyway. */
		c->linger_until_us = c->expect_until_us;
	} else if (first) {
		c->linger_until_us = mono_us() + WRITE_LINGER_US;
		wake = 1;
	}
	pthread_mutex_unlock(&c->lock);
	if (wake)   /* after the unlock, as in ppg_core_submit */
		pthread_cond_signal(&c->writer_cond);
	return 0;
}

int ppg_core_write(struct ppg_core *c, ppg_core_write_fn fn, ppg_core_after_fn after, void *arg)
{
	return queue_write(c, fn, after, arg, 0, 0);
}

int ppg_core_write_lazy(struct ppg_core *c, ppg_core_write_fn fn, ppg_core_after_fn after, void *arg)
{
	return queue_write(c, fn, after, arg, 1, 0);
}

int ppg_core_write_retry(struct ppg_core *c, ppg_core_write_fn fn, ppg_core_after_fn after, void *arg)
{
	return queue_write(c, fn, after, arg, 1, 1);
}

void ppg_core_get_retries(struct ppg_core *c, unsigned long long *retries, unsigned long long *giveups)
{
	pthread_mutex_lock(&c->lock);
	if (retries)
		*retries = c->write_retries;
	if (giveups)
		*giveups = c->write_giveups;
	pthread_mutex_unlock(&c->lock);
}

static int64_t ckpt_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * After each checkpoint: while they leave frames behind, a reader's snapshot
 * holds them and the WAL cannot start over; it then grows with every push
 * until that reader ends. Shown by ppgd_wal_behind_seconds; past
 * [database] wal_warn, logged every WAL_WARN_EVERY_MS, and its end once.
 */
static void wal_watch(struct ppg_core *c, int frames, int moved, int64_t *next_warn)
{
	int64_t now = ckpt_mono_ms();
	int behind = frames > 0 && moved >= 0 && moved < frames;
	/* frames of 4 KiB pages (SQLite's default, which ppgd keeps) and their 24-byte headers */
	unsigned long long bytes = (unsigned long long)(frames > 0 ? frames : 0) * (4096 + 24);
	int warn = 0;
	int64_t since;

	pthread_mutex_lock(&c->lock);
	since = c->stats.wal_behind_since;
	if (!behind) {
		c->stats.wal_behind_since = 0;
	} else {
		if (!since)
			c->stats.wal_behind_since = now;
		if (c->cfg->db_wal_warn && bytes > c->cfg->db_wal_warn && now >= *next_warn) {
			warn = 1;
			c->stats.wal_warnings++;
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (!behind) {
		if (*next_warn) {
			LOGP(PPG_LOG_DB, LOG_NOTICE, "the WAL is copied back into the database again: the reader "
			    "that held it for %lld s is gone; it starts over with the next writes",
			    (long long)(since ? (now - since) / 1000 : 0));
			*next_warn = 0;
		}
		return;
	}
	if (warn) {
		LOGP(PPG_LOG_DB, LOG_WARNING, "the WAL is %llu MB (%d frames, past [database] wal_warn) and "
		    "cannot start over: readers' snapshots have kept the checkpoints from copying all of it "
		    "for %lld s (the last copied %d frames); it grows with every push until they end (a long "
		    "query, a backup, an sqlite3 shell left in a transaction: fuser -v %s-wal)", bytes >> 20, frames,
		    (long long)((now - (since ? since : now)) / 1000), moved, c->cfg->db_path ? c->cfg->db_path : "");
		*next_warn = now + WAL_WARN_EVERY_MS;
	}
}

/*
 * The writer is opened with DB_NO_AUTOCHECKPOINT: a commit never stops to
 * copy the WAL into the database file. This thread does it with its own
 * handle, a few times a second, so the core thread only appends and fsyncs.
 * While a reader's snapshot keeps its checkpoints from copying anything more
 * (a long read, a backup), it waits twice as long each time, up to
 * CKPT_PINNED_MAX_MS: every try sorts the page numbers of all the frames not
 * yet copied, however few it may copy.
 */
void *ppg_core_ckpt_main(void *arg)
{
	struct ppg_core *c = arg;
	int frames = 0, moved = 0, last_moved = -1;
	long wait_ms = CKPT_INTERVAL_MS;
	int64_t next_warn = 0;

	db_claim(c->ckpt_db);
	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += wait_ms / 1000;
		ts.tv_nsec += wait_ms % 1000 * 1000000L;
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
		else if (frames >= 0)    /* -1: the writer's own checkpoint was under way */
			wal_watch(c, frames, moved, &next_warn);
		/* Pinned: frames left behind and no more copied than last time. */
		if (frames > 0 && moved >= 0 && moved < frames && moved == last_moved)
			wait_ms = wait_ms * 2 > CKPT_PINNED_MAX_MS ? CKPT_PINNED_MAX_MS : wait_ms * 2;
		else
			wait_ms = CKPT_INTERVAL_MS;
		last_moved = moved;
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

