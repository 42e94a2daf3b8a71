/*
 * ppg_core.h - the core thread: it alone writes push state. HTTP workers hand
 * it requests; it runs each batch of them in one transaction (group commit)
 * and only after the commit calls their completion callbacks, so that no
 * 1001 leaves before the push is on disk.
 */
#ifndef PPG_CORE_H
#define PPG_CORE_H

#include "db/db.h"
#include "ppg/ppg_config.h"
#include "ppg/ppg_request.h"

struct ppg_core;

/* Called in the core thread once the request's answer is final. */
typedef void (*ppg_core_done_fn)(void *arg);

/* db is owned by the core from now on (closed by ppg_core_free). */
struct ppg_core *ppg_core_new(const struct ppg_config *cfg, struct db *db);
int ppg_core_start(struct ppg_core *c);
/* Finishes every queued request and timer, then stops the thread. */
void ppg_core_stop(struct ppg_core *c);
void ppg_core_free(struct ppg_core *c);

/* Queues a PPG_REQ_WRITE request. Thread-safe. -ESHUTDOWN once stopping. */
int ppg_core_submit(struct ppg_core *c, struct ppg_request *req, ppg_core_done_fn done, void *arg);

/* Calls fn(arg) in the core thread after delay_ms (at shutdown: at once). Thread-safe. */
int ppg_core_defer(struct ppg_core *c, unsigned delay_ms, ppg_core_done_fn fn, void *arg);

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
