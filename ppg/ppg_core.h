/*
 * ppg_core.h - the core: a writer thread alone writes push state, batching
 * HTTP requests and the loop's writes into one transaction each (group
 * commit); a syncer thread makes each batch durable before the requests'
 * completion callbacks run, so that no 1001 leaves before the push is on
 * disk; the su_root loop runs SIP, timers and the delivery engine.
 */
#ifndef PPG_CORE_H
#define PPG_CORE_H

#include <sofia-sip/su_wait.h>

#include "db/db.h"
#include "ppg/ppg_config.h"
#include "ppg/ppg_request.h"

struct ppg_core;

/* Called in the core thread once the request's answer is final. */
typedef void (*ppg_core_done_fn)(void *arg);

struct ppg_content;

/* db is owned by the core from now on (closed by ppg_core_free). content
 * (shared with the HTTP front) serves content indirection. */
struct ppg_core *ppg_core_new(const struct ppg_config *cfg, struct db *db, struct ppg_content *content);
int ppg_core_start(struct ppg_core *c);
/* Finishes every queued request and timer, then stops the thread. */
void ppg_core_stop(struct ppg_core *c);
void ppg_core_free(struct ppg_core *c);

/* Queues a PPG_REQ_WRITE request. Thread-safe. -ESHUTDOWN once stopping. */
int ppg_core_submit(struct ppg_core *c, struct ppg_request *req, ppg_core_done_fn done, void *arg);

/* Calls fn(arg) in the core thread after delay_ms (at shutdown: at once). Thread-safe. */
int ppg_core_defer(struct ppg_core *c, unsigned delay_ms, ppg_core_done_fn fn, void *arg);

/*
 * Writes of the core thread itself (delivery outcomes, leases, registrations'
 * wake-ups): fn runs inside the next batch transaction under its own
 * savepoint; after(arg, committed) runs once that transaction ended (after
 * may be NULL). Core thread only.
 */
typedef int (*ppg_core_write_fn)(struct db *db, void *arg, int64_t now);
typedef void (*ppg_core_after_fn)(void *arg, int committed);
int ppg_core_write(struct ppg_core *c, ppg_core_write_fn fn, ppg_core_after_fn after, void *arg);

/* The terminal fetched the indirect content of a delivery. Thread-safe. */
void ppg_core_fetched(struct ppg_core *c, int64_t delivery);

/* Counters for the log and the benchmarks. */
struct ppg_core_stats {
	unsigned long long requests;
	unsigned long long batches;
	unsigned long long commit_failures;
};
void ppg_core_get_stats(struct ppg_core *c, struct ppg_core_stats *out);

/* Unix time in milliseconds. */
int64_t ppg_now_ms(void);

#endif
