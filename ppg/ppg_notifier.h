/*
 * ppg_notifier.h - result notifications as the loop sees them (WAP-247 PAP
 * §8.5, §8.6): the rows ppg_final() queued are leased on a timer of their
 * own and handed to the HTTP sender threads (ppg_notify_http.c); each answer is
 * written back: delivered, retried with backoff, or given up after
 * [notify] max_attempts. Pending notifications survive a restart.
 */
#ifndef PPG_NOTIFIER_H
#define PPG_NOTIFIER_H

#include <stddef.h>

#include <sofia-sip/su_wait.h>

#include "ppg/ppg_config.h"
#include "ppg/ppg_core.h"

#define PPG_NOTIFIER_INTERVAL_MS 500   /* due notifications are leased this often */

/* [loop] Starts the notifier and registers it with the core (which stops
 * and frees it). 0, or a negative errno with a reason in err. */
int ppg_notifier_start(struct ppg_core *core, su_root_t *root, const struct ppg_config *cfg,
    char *err, size_t errlen);

#endif
