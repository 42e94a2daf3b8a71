/*
 * ppg_core_int.h - the core's private state, shared by ppg_core.c (the
 * su_root loop, timers, start and stop) and ppg_core_db.c (the writer,
 * syncer and checkpoint threads).
 */
#ifndef PPG_CORE_INT_H
#define PPG_CORE_INT_H

#define SU_ROOT_MAGIC_T  struct ppg_core
#define SU_WAKEUP_ARG_T  void
#define SU_TIMER_ARG_T   void

#include "ppg/ppg_core.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#include "ppg/ppg_final.h"

#define MAX_TIMERS 4096
#define SWEEP_INTERVAL_MS 1000      /* the expiry sweep */
#define SWEEP_MAX 512               /* deliveries expired per sweep */
#define WAL_RESTART_FRAMES 8192
#define CKPT_INTERVAL_MS 100
/* A checkpoint that left frames behind (a reader's snapshot holds them):
 * the next one waits twice as long, up to this (each sorts the page numbers
 * of every frame not yet copied, a cost that grows with the WAL). */
#define CKPT_PINNED_MAX_MS 1000
/* A WAL past [database] wal_warn behind a reader: logged again after this. */
#define WAL_WARN_EVERY_MS (5 * 60 * 1000)
/* The writer's checkpoint found ppg-ckpt's under way: tried again after. */
#define CKPT_BUSY_RETRY_MS 10
/* A failed ppg_core_write_retry: run again after RETRY_MIN_MS, doubling up
 * to RETRY_MAX_MS, at most RETRY_TRIES runs in all (about 2.5 min, within
 * the lease of a delivery), then given up: the lease takes it. */
/* The outcomes of deliveries (ppg_core_write_retry) wait up to
 * WRITE_LINGER_US for a PAP request to share its batch: one transaction and
 * one hand-back to the loop per push instead of two when pushes come one at
 * a time; they need no fdatasync of their own either way. */
#define WRITE_LINGER_US 1000
#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 5000
#define RETRY_TRIES 36
/* A lost PostgreSQL connection: tried again after this, doubling. */
#define DB_RECONNECT_MIN_MS 250
#define DB_RECONNECT_MAX_MS 4000

struct item {
	struct ppg_request *req;
	ppg_core_done_fn done;
	void *arg;
	struct item *next;
};

struct op {
	ppg_core_write_fn fn;
	ppg_core_after_fn after;
	void *arg;
	int lazy;                      /* ppg_core_write_lazy: needs no fdatasync of its own */
	int retry;                     /* ppg_core_write_retry: put back when it fails */
	unsigned tries;                /* failed runs so far */
	int64_t due_mono;              /* put back: not run again before (monotonic ms) */
	int failed;                    /* this batch: rolled back (after() gets 0) */
	struct op *next;
};

/* A job a component prepared for an accepted push (hooks[hook].run). */
struct hook_job {
	unsigned hook;
	void *job;
	void (*job_free)(void *job);
	struct hook_job *next;
};

/*
 * A committed (or failed) batch on its way: the syncer makes it durable,
 * answers its HTTP requests, and hands the rest back to the loop.
 */
struct sync_job {
	struct item *batch;            /* HTTP requests: done() after the sync */
	struct op *ops;                /* the loop's writes: after() in the loop */
	struct hook_job *jobs;         /* accepted pushes to attempt, in the loop */
	struct ppg_final_ids finals;   /* deliveries the batch made final */
	int committed;
	int durable;                   /* answers requests or holds a durable write: fdatasync */
	struct sync_job *next;
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
	struct ppg_content *content;   /* withdrawn for final deliveries (may be NULL) */
	pthread_t thread;
	int started;
	int start_rc;
	pthread_mutex_t lock;
	pthread_cond_t started_cond;
	struct item *head, *tail;
	struct timer *timers;          /* sorted by when; set from any thread */
	unsigned ntimers;
	int stopping;
	int efd;                       /* wakes the loop: work queued or stopping */
	struct ppg_core_stats stats;
	struct op *ops, *ops_tail;     /* the loop's own writes for the next batch */
	struct op *retry_ops;          /* failed retried writes waiting for their backoff */
	int ops_urgent;                /* ops holds a write that does not linger */
	int64_t linger_until_us;       /* ops lingers until then (monotonic µs) */
	/* The writer handed accepted pushes to the loop: their outcomes come
	 * soon, so it waits until expect_until_us without being woken for them
	 * (writer_expecting: in that wait). */
	int64_t expect_until_us;
	int writer_expecting;
	int retry_flush;               /* shutdown: one last try now, then give up */
	unsigned long long write_retries, write_giveups;
	/* The writer thread: every SQL write (requests, the loop's writes) in
	 * batches, one transaction each (see writer_main). */
	pthread_t writer_thread;
	int writer_started, writer_busy, writer_stop;
	pthread_cond_t writer_cond, writer_idle;
	/* Components on the loop; set under lock, read by the writer under lock. */
	struct ppg_core_hooks hooks[PPG_CORE_MAX_HOOKS];
	unsigned nhooks;
	ppg_core_init_fn init;
	void *init_arg;
	/* owned by the loop */
	int sweep_pending;
	su_root_t *root;
	su_wait_t wait;
	struct ppg_tick *sweep_timer;   /* the expiry sweep (ppg_tick.h) */
	su_timer_t *defer_timer;
	/* The syncer thread: fdatasync of the WAL for committed batches, then
	 * their answers (see sync_main). Queue in, completions back out. */
	pthread_t sync_thread;
	int sync_started;
	pthread_cond_t sync_cond, sync_idle;
	struct sync_job *sync_head, *sync_tail;   /* to make durable */
	struct sync_job *done_head, *done_tail;   /* durable: back to the loop */
	int sync_busy;
	int sync_stop;
	/* WAL checkpoints run here, off the core thread (see ckpt_main). */
	pthread_t ckpt_thread;
	pthread_cond_t ckpt_cond;
	struct db *ckpt_db;
	int ckpt_started;
	/* [writer] Its own checkpoint past WAL_RESTART_FRAMES is not tried
	 * again before wal_ckpt_next_mono when the last one left frames
	 * behind; wal_ckpt_backoff_ms doubles while they do (see run_batch). */
	int64_t wal_ckpt_next_mono;
	unsigned wal_ckpt_backoff_ms;
	/* [writer] The PostgreSQL connection was lost: reconnected with a
	 * backoff before each batch (db_reconnect), requests answered 3000
	 * meanwhile. db_down is read by any thread (ppg_core_db_up). */
	atomic_int db_down;
	int64_t db_retry_mono, db_down_since;
	unsigned db_backoff_ms;
};

/* ppg_core.c */
void ppg_core_wake(struct ppg_core *c);             /* [any] */

/* ppg_core_db.c: the threads, and what the loop asks of them */
void *ppg_core_writer_main(void *arg);
void *ppg_core_sync_main(void *arg);
void *ppg_core_ckpt_main(void *arg);
/* Runs in the loop the batches the syncer made durable. */
void ppg_core_run_done(struct ppg_core *c);
/* Wait until the writer / the syncer has nothing left (shutdown). */
void ppg_core_drain_writer(struct ppg_core *c);
void ppg_core_drain_sync(struct ppg_core *c);

#endif
