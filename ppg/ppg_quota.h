/*
 * ppg_quota.h - back-pressure: per-PI quotas (PAP requests a second, pending
 * pushes, bytes of their stored content) and a global limit on pending
 * deliveries. A request over a limit is answered PAP 4001 with an HTTP
 * Retry-After, nothing stored, counted, and logged once a second per PI at
 * most.
 *
 * The rate is checked on the [http worker] before the request goes to the
 * core. The pending limits are checked on the [writer], inside the batch,
 * against counters the writer keeps: loaded from the database once (one
 * grouped scan at the first check), then updated as pushes are stored and
 * deliveries end (ppg_final); a write that is rolled back makes the writer
 * load them again. No count runs per push.
 *
 * One ledger per process (the daemon's; the HTTP front makes it): the
 * [writer] functions do nothing while there is none (unit tests).
 */
#ifndef PPG_QUOTA_H
#define PPG_QUOTA_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "ppg/ppg_config.h"

struct ppg_quota;

/* [main] Makes the ledger and registers it as the process's. NULL on OOM. */
struct ppg_quota *ppg_quota_new(const struct ppg_config *cfg);
/* [main] Unregisters and frees it (accepts NULL); the writer has stopped. */
void ppg_quota_free(struct ppg_quota *q);

/*
 * [http worker] One PAP request of pi: 0 when within its max_rate; else the
 * Retry-After in seconds of a 4001, with desc filled (counted and logged).
 */
unsigned ppg_quota_rate(struct ppg_quota *q, const char *pi, char *desc, size_t len);

/*
 * [writer] Before storing a push of pi with ndeliveries deliveries and bytes
 * of content: 0 when within the limits; else the Retry-After in seconds of a
 * 4001, with desc filled (counted and logged).
 */
unsigned ppg_quota_check_push(struct db *db, const char *pi, size_t ndeliveries, size_t bytes, char *desc,
    size_t len);
/* [writer] The push was stored, in the transaction being built. */
void ppg_quota_stored(const char *pi, size_t ndeliveries, size_t bytes);
/* [writer] A delivery of pi's push ended; push_ended: the push left the
 * pending state with it (bytes: its content). */
void ppg_quota_ended(const char *pi, int push_ended, int64_t bytes);
/* [writer] Something written was rolled back: load the counters again. */
void ppg_quota_resync(void);

/* [any] Counters for the metrics and the tests. */
struct ppg_quota_stats {
	unsigned long long refused_rate;        /* over a PI's max_rate */
	unsigned long long refused_pending;     /* over a PI's max_pending */
	unsigned long long refused_bytes;       /* over a PI's max_pending_bytes */
	unsigned long long refused_deliveries;  /* over max_pending_deliveries */
	long long pending_deliveries;           /* as the writer counts them, -1 before loaded */
};
void ppg_quota_get_stats(struct ppg_quota *q, struct ppg_quota_stats *out);

#endif
