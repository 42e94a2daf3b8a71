/*
 * ppg_deliver.h - the delivery engine: bearer selection per delivery
 * (ppg_select), one attempt at a time through the bearer interface
 * (ppg_bearer.h), outcomes to PAP states (ppg_outcome), retries with
 * backoff, the SIP -> SMS fallback (stored with the delivery), deliveries
 * parked until a registration or a receipt, and the scheduler.
 *
 * The engine registers with the core (ppg_core_hooks): the writer-side
 * prepare of an accepted push, the loop-side run, the deliveries a batch
 * made final (their attempts are let go), stop and free.
 *
 * Persistence: a delivery being attempted stays `pending` in the database
 * with next_attempt pushed into the future (a lease), so the scheduler's
 * query does not pick it twice; after a crash, start-up makes every pending
 * delivery due again (at-least-once).
 */
#ifndef PPG_DELIVER_H
#define PPG_DELIVER_H

#include <stddef.h>

#include <sofia-sip/su_wait.h>

#include "ppg/ppg_bearer.h"
#include "ppg/ppg_config.h"
#include "ppg/ppg_content.h"
#include "ppg/ppg_core.h"

struct ppg_deliver;

/*
 * [loop] Creates the engine on the core's root with the bearers the
 * constructors make (a constructor may leave its bearer off), queues the
 * start-up writes (pending deliveries due again after a restart) and
 * registers with the core, which frees it at shutdown. 0, or a negative
 * errno with a reason in err. *out (may be NULL) is for tests.
 */
int ppg_deliver_start(struct ppg_core *core, su_root_t *root, const struct ppg_config *cfg,
    struct ppg_content *content, const ppg_bearer_new_fn *bearers, size_t nbearers,
    struct ppg_deliver **out, char *err, size_t errlen);

/* [loop] Attempts under way (for tests and the log). */
unsigned ppg_deliver_attempts(const struct ppg_deliver *e);

#endif
