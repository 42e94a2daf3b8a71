/*
 * ppg_retention.h - database retention: finished pushes (a final state:
 * delivered, undeliverable, expired, cancelled, ...) whose state last
 * changed more than [database] retention ago are deleted with their
 * deliveries, transitions, notifications, SMS message ids and content
 * tokens, by the writer, in bounded batches (db_push_purge_finished), when
 * PAP is quiet (or once a minute under steady load). Pending pushes are
 * never deleted. A statusquery or cancel of a purged push is then answered
 * as for a push-id never seen: 2004 push-id not found, state unknown.
 */
#ifndef PPG_RETENTION_H
#define PPG_RETENTION_H

#include <stddef.h>

#include <sofia-sip/su_wait.h>

#include "ppg/ppg_config.h"
#include "ppg/ppg_core.h"

#define PPG_RETENTION_BATCH 500          /* pushes deleted by one write at most */
#define PPG_RETENTION_IDLE_MS 60000      /* nothing (more) to delete: look again then
                                          * (or after half the retention, if shorter) */
#define PPG_RETENTION_NEXT_MS 200        /* a full batch went: the next one (when quiet) */
#define PPG_RETENTION_QUIET_RATE 50      /* PAP requests/s under which PAP is quiet */
#define PPG_RETENTION_STARVE_MS 60000    /* busy this long: one batch anyway */

/* [loop] Starts retention when cfg->db_retention is not 0 (else does
 * nothing) and registers it with the core (which stops and frees it). 0, or
 * a negative errno with a reason in err. */
int ppg_retention_start(struct ppg_core *core, su_root_t *root, const struct ppg_config *cfg,
    char *err, size_t errlen);

#endif
