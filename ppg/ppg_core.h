/*
 * ppg_core.h - the core: a writer thread alone writes push state, batching
 * HTTP requests and the loop's writes into one transaction each (group
 * commit); a syncer thread makes each batch durable before the requests'
 * completion callbacks run, so that no 1001 leaves before the push is on
 * disk; the su_root loop runs SIP, timers and whatever registered with the
 * core (the delivery engine, the notifier). The core knows nothing of them:
 * they register hooks (struct ppg_core_hooks) from the init function given
 * to ppg_core_start.
 *
 * Threads and what each owns:
 *
 * | thread        | owns                                                   |
 * |---------------|--------------------------------------------------------|
 * | main          | start-up, signals, shutdown order (ppgd.c)              |
 * | HTTP workers  | PAP parsing, authentication, answers (ppg_http.c)       |
 * | [writer]      | the read-write database handle: every SQL statement     |
 * |               | (requests, the loop's writes and reads) in batches      |
 * | [syncer]      | fdatasync of the WAL per batch, then the HTTP answers   |
 * | checkpointer  | its own handle: WAL checkpoints                          |
 * | [loop]        | su_root: SIP (sofia-sip), SMPP, timers, the engine and   |
 * |               | its bearers, the notifier; never runs SQL                |
 * | notify senders| HTTP POSTs of result notifications (libcurl)             |
 *
 * [any] marks functions callable from any thread.
 */
#ifndef PPG_CORE_H
#define PPG_CORE_H

#include <sofia-sip/su_wait.h>

#include "db/db.h"
#include "ppg/ppg_clock.h"
#include "ppg/ppg_config.h"
#include "ppg/ppg_request.h"

struct ppg_core;

/* [syncer] or [writer]: called once the request's answer is final (after the
 * batch holding it is durable). */
typedef void (*ppg_core_done_fn)(void *arg);

/* [main] db is owned by the core from now on (used by the writer thread
 * alone, closed by ppg_core_free). */
struct ppg_core *ppg_core_new(const struct ppg_config *cfg, struct db *db);
/*
 * [loop] Called once on the loop thread before it runs: creates what lives
 * on the loop (engine, bearers, notifier) and registers their hooks. 0, or a
 * negative errno with a reason in err (the start fails).
 */
typedef int (*ppg_core_init_fn)(struct ppg_core *c, su_root_t *root, void *arg, char *err,
    size_t errlen);

/*
 * The content indirection table (ppg_content.h): a delivery that a batch
 * made final has its content withdrawn by the syncer before the batch's
 * answers go out, so that once a cancel (or a replace) is answered, the
 * cancelled delivery's URL answers 404. Before ppg_core_start; content must
 * outlive the core. [main]
 */
struct ppg_content;
void ppg_core_set_content(struct ppg_core *c, struct ppg_content *content);

/* Starts the threads; init (may be NULL) runs on the loop first. [main] */
int ppg_core_start(struct ppg_core *c, ppg_core_init_fn init, void *arg);
/* Finishes every queued request and timer, then stops the thread. */
void ppg_core_stop(struct ppg_core *c);
void ppg_core_free(struct ppg_core *c);

/*
 * What a component on the loop gives the core (all optional). A component
 * that prepares jobs for accepted pushes is the delivery engine.
 */
struct ppg_core_hooks {
	void *arg;
	/* [writer] How far into the future an accepted push's deliveries are
	 * leased when the component attempts them right after the commit. */
	int64_t (*lease_ms)(void *arg);
	/* [writer] Right after the commit of an accepted push, before its
	 * answer lets the HTTP worker free req: copies what run needs. */
	void *(*prepare)(void *arg, const struct ppg_request *req);
	/* [loop] The batch holding the push is durable: runs and frees job. */
	void (*run)(void *arg, void *job, int64_t now);
	/* [any] Drops a job that will not run. */
	void (*job_free)(void *job);
	/* [loop] Deliveries that a durable batch made final (cancel, replace,
	 * expiry, an outcome): whoever holds an attempt of them lets go. */
	void (*finalized)(void *arg, const int64_t *ids, size_t n);
	/* [loop] No new work from now on (shutdown begins). */
	void (*stop)(void *arg);
	/* [loop] The last writes are durable: free everything. */
	void (*free)(void *arg);
	/* [writer] A reload (ppg_core_reload): take the reloadable settings of
	 * cfg (ppg_config_ref it to keep pointers into it). */
	void (*reload)(void *arg, const struct ppg_config *cfg);
	/* [loop] Another node sharing the database said something (ppg_cluster.c):
	 * PPG_CLUSTER_DUE (work became due: lease it now rather than at the next
	 * poll, what is NULL) or PPG_CLUSTER_REG (the registrations of the AoR
	 * `what` changed). */
	void (*remote)(void *arg, const char *channel, const char *what);
};

/* The channels of wake-ups between nodes (PostgreSQL LISTEN/NOTIFY); the
 * payload is "NODE" or "NODE AOR". */
#define PPG_CLUSTER_DUE "ppgd_due"
#define PPG_CLUSTER_REG "ppgd_reg"
/* A terminal fetched the indirect content of the delivery `what` (decimal id)
 * through another node: the node whose attempt waits for it takes it as
 * fetched (ppg_content_fetched). */
#define PPG_CLUSTER_FETCHED "ppgd_fetched"
/* A node parked deliveries of the AoR `what` for a ua-profile subscription
 * dialog it does not hold (a push NOTIFY): the node that holds a live one
 * wakes and claims them (ppg_bearer_ops.take). */
#define PPG_CLUSTER_TAKE "ppgd_take"

/* [loop] Hands a wake-up from another node to every component's remote hook. */
void ppg_core_remote(struct ppg_core *c, const char *channel, const char *what);
/* [any] Whether the database is reachable (0 while the writer has lost its
 * PostgreSQL connection and not got it back). */
int ppg_core_db_up(struct ppg_core *c);

#define PPG_CORE_MAX_HOOKS 4

/* [loop] Registers hooks (copied), from the init function. -ENOSPC. */
int ppg_core_register(struct ppg_core *c, const struct ppg_core_hooks *h);

/* [any] Queues a request for the writer. -ESHUTDOWN once stopping. */
int ppg_core_submit(struct ppg_core *c, struct ppg_request *req, ppg_core_done_fn done, void *arg);

/* [any] Calls fn(arg) on the loop after delay_ms (at shutdown: at once). */
int ppg_core_defer(struct ppg_core *c, unsigned delay_ms, ppg_core_done_fn fn, void *arg);

/*
 * [loop] The loop's writes and reads (delivery outcomes, leases, bindings,
 * the rows a dispatch needs): fn runs on the writer inside the next batch
 * transaction under its own savepoint; after(arg, committed) runs on the
 * loop once that batch is durable (after may be NULL). The after()s of a
 * batch run before the jobs of the pushes it accepted, in queue order.
 */
typedef int (*ppg_core_write_fn)(struct db *db, void *arg, int64_t now);
typedef void (*ppg_core_after_fn)(void *arg, int committed);
int ppg_core_write(struct ppg_core *c, ppg_core_write_fn fn, ppg_core_after_fn after, void *arg);
/*
 * [loop] The same for a write that a crash may lose without breaking a
 * promise (a delivery's outcome: the delivery is then attempted again after
 * the restart, at-least-once; a lease, a park, a notification's state): its
 * batch gets no fdatasync of its own and after() may run before the write
 * is on disk. It becomes durable with the next fdatasync: the next batch
 * that answers a request or holds a durable write, or the checkpointer's
 * sync of the WAL (every CKPT_INTERVAL_MS when there are frames to copy).
 */
int ppg_core_write_lazy(struct ppg_core *c, ppg_core_write_fn fn, ppg_core_after_fn after, void *arg);
/*
 * [loop] A lazy write that the writer does not drop when it fails (fn < 0,
 * or its batch's commit fails: the disk full, the database locked): it is
 * rolled back and put back for a later batch, after 100 ms doubling up to
 * 5 s, at most 36 runs (about 2.5 min); after() runs once, when it is
 * committed (1) or given up (0). fn must redo its work from arg (a
 * rolled-back run leaves nothing in the database). At shutdown a write
 * waiting for its backoff has one last run.
 */
int ppg_core_write_retry(struct ppg_core *c, ppg_core_write_fn fn, ppg_core_after_fn after, void *arg);
/* [any] Retried writes: runs put back, and writes given up. */
void ppg_core_get_retries(struct ppg_core *c, unsigned long long *retries, unsigned long long *giveups);

/*
 * [main or any thread but the loop and the writer] Runs every component's
 * reload hook with cfg on the writer (ppg_core_reload.c) and waits for it, at
 * most timeout_ms. 0, -ESHUTDOWN (stopping), -ETIMEDOUT (the hooks still
 * run later), -ENOMEM.
 */
int ppg_core_reload(struct ppg_core *c, const struct ppg_config *cfg, unsigned timeout_ms);

/* [any] Counters for the log and the benchmarks. */
struct ppg_core_stats {
	unsigned long long requests;
	unsigned long long batches;
	unsigned long long commit_failures;
	/* SQLite: frames in the WAL after the last batch, and the checkpoints
	 * the writer ran itself past WAL_RESTART_FRAMES (not counting those
	 * that found ppg-ckpt's under way; PostgreSQL: 0). */
	long long wal_frames;
	unsigned long long wal_checkpoints;
	/* SQLite: since when (CLOCK_MONOTONIC ms; 0: it is not) the checkpoints
	 * have left frames behind, a reader's snapshot holding them; and the
	 * warnings logged for a WAL past [database] wal_warn meanwhile. */
	int64_t wal_behind_since;
	unsigned long long wal_warnings;
};
void ppg_core_get_stats(struct ppg_core *c, struct ppg_core_stats *out);


/* [any] The loop's root (for components created outside init), the config. */
su_root_t *ppg_core_root(struct ppg_core *c);
const struct ppg_config *ppg_core_config(const struct ppg_core *c);

#endif
