/*
 * ppg_cluster.h - wake-ups between the ppgd nodes that share one PostgreSQL
 * (LISTEN/NOTIFY on a connection and a thread of their own); see
 * ppg_cluster.c. With SQLite there is one node and nothing to start.
 */
#ifndef PPG_CLUSTER_H
#define PPG_CLUSTER_H

#include "ppg/ppg_config.h"
#include "ppg/ppg_core.h"

struct ppg_cluster;

/* [main] After ppg_core_start: LISTENs for the other nodes and hands their
 * wake-ups to the core's loop (ppg_core_remote). *out stays NULL for SQLite.
 * A server that cannot be reached yet is not an error (the thread tries again).
 * 0, or a negative errno. */
int ppg_cluster_start(struct ppg_core *core, const struct ppg_config *cfg, struct ppg_cluster **out);
/* [main] Before ppg_core_stop: no more wake-ups. */
void ppg_cluster_stop(struct ppg_cluster *cl);
/* [main] Stops (if still running) and frees; accepts NULL. */
void ppg_cluster_free(struct ppg_cluster *cl);
/* [any] Notifications received from other nodes so far. */
unsigned long long ppg_cluster_received(struct ppg_cluster *cl);

#endif
