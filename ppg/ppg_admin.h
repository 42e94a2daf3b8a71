/*
 * ppg_admin.h - the admin listener ([admin]): a JSON API for operators and
 * ppgctl (pushes, one push with its history, cancel, bindings, PIs, status),
 * GET /metrics in the Prometheus text format, GET /healthz and /readyz.
 *
 * A libmicrohttpd daemon of its own, one thread per connection (a few
 * operators, never the PIs' traffic). Accounts are the [admin NAME]
 * sections (HTTP Basic, crypt(3) hashes, allow ranges, the same failure
 * delays as the PAP listener). Reads run on a read-only database handle of
 * the listener, taken under a mutex and claimed by the thread using it
 * (db_claim); a cancel is a PAP cancel-message handed to the core's writer
 * (ppg_core_submit), like a PI's.
 *
 * Threads: start and stop on main; the handlers on the listener's threads.
 */
#ifndef PPG_ADMIN_H
#define PPG_ADMIN_H

#include "ppg/ppg_config.h"
#include "ppg/ppg_core.h"

struct ppg_admin;

/* NULL when [admin] enabled = no, or on failure (logged; *failed set).
 * tls: ppg_tls_new of [admin] (NULL: plain HTTP), outlives the listener. */
struct ppg_tls;
struct ppg_admin *ppg_admin_start(const struct ppg_config *cfg, struct ppg_core *core, int *failed,
    struct ppg_tls *tls);
/* Stops the listener and frees it (accepts NULL). */
void ppg_admin_stop(struct ppg_admin *a);
/* The port bound (useful with port 0). */
unsigned ppg_admin_port(const struct ppg_admin *a);

/* POST /api/v1/reload runs r (ppg_reload.h) and GET /api/v1/pis lists its
 * current PIs; without it reload answers 501. Before requests come. */
struct ppg_reload;
void ppg_admin_set_reload(struct ppg_admin *a, struct ppg_reload *r);
/* [any] A reload: the [admin NAME] accounts of cfg replace the running ones. 0 or -ENOMEM. */
int ppg_admin_reload(struct ppg_admin *a, const struct ppg_config *cfg);

#endif
