/*
 * ppg_deliver.h - the delivery engine, in the core thread: bearer selection
 * per delivery, SIP Push attempts through sipbearer/, outcomes to PAP states,
 * retries with backoff, deliveries waiting for a registration, content
 * indirection, and the sending of result notifications.
 *
 * Persistence: a delivery being attempted stays `pending` in the database
 * with next_attempt pushed into the future (a lease), so the scheduler's
 * query does not pick it twice; after a crash, start-up makes every pending
 * delivery due again (at-least-once).
 */
#ifndef PPG_DELIVER_H
#define PPG_DELIVER_H

#include <stdint.h>

#include <sofia-sip/su_wait.h>

#include "db/db.h"
#include "ppg/ppg_config.h"
#include "ppg/ppg_request.h"

struct ppg_core;
struct ppg_content;
struct ppg_deliver;

/* Creates the engine on the core's root (starts the SIP agent, the
 * notifier, the scheduler tick). NULL with err filled on failure. */
struct ppg_deliver *ppg_deliver_new(struct ppg_core *core, su_root_t *root,
    const struct ppg_config *cfg, struct db *db, struct ppg_content *content, char *err, size_t errlen);
/* Stops everything; attempts under way are abandoned (their deliveries stay
 * pending and are due again after the next start). Accepts NULL. */
void ppg_deliver_free(struct ppg_deliver *e);

/* How far into the future an accepted push's deliveries are leased when the
 * engine will attempt them right after the commit. */
int64_t ppg_deliver_lease_ms(const struct ppg_deliver *e);

/*
 * A push was committed with 1001. prepare (right after the commit, before the
 * answer frees req) copies what its leased deliveries need; run (once the
 * commit is durable) attempts them and frees the job; job_free drops one.
 */
struct ppg_deliver_job;
struct ppg_deliver_job *ppg_deliver_prepare(struct ppg_deliver *e, const struct ppg_request *req);
void ppg_deliver_run(struct ppg_deliver *e, struct ppg_deliver_job *j, int64_t now);
void ppg_deliver_job_free(struct ppg_deliver_job *j);
/* Jobs chain into a list (the core keeps one per batch). */
void ppg_deliver_job_link(struct ppg_deliver_job *j, struct ppg_deliver_job *next);
struct ppg_deliver_job *ppg_deliver_job_next(const struct ppg_deliver_job *j);

/* No new attempts from now on (shutdown): the tick stops, jobs are dropped. */
void ppg_deliver_stop(struct ppg_deliver *e);

/* The receiver fetched the indirect content of this delivery. */
void ppg_deliver_fetched(struct ppg_deliver *e, int64_t delivery);

#endif
