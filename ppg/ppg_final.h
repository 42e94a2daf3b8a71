/*
 * ppg_final.h - a delivery's last transition: the final state and PAP code,
 * the push's summary, and the result notification when the Push Initiator
 * asked for one (ppg-notify-requested-to). Every path that ends a delivery
 * (SIP outcome, cancel, replace, expiry, no registration) goes through here,
 * inside the caller's transaction.
 *
 * Threads: ppg_final, ppg_final_id, ppg_final_progress and the collection run on
 * [writer] (inside its transaction); ppg_final_sender_address on [any].
 */
#ifndef PPG_FINAL_H
#define PPG_FINAL_H

#include <stdint.h>

#include "db/db.h"
#include "ppg/ppg_config.h"

/*
 * Moves delivery d of push p to the final state with code and desc at now,
 * updates the push's summary and queues the notification (due at once).
 * p needs no content. attempted: this ends an attempt (counted). Returns 0
 * or a negative errno from db/.
 */
int ppg_final(struct db *db, const struct ppg_config *cfg, const struct db_push *p,
    const struct db_delivery *d, int state, int code, const char *desc, int64_t now, int attempted);

/* Same, loading the push and the delivery by id; a delivery already final is
 * left alone (returns 0 and *changed = 0). */
int ppg_final_id(struct db *db, const struct ppg_config *cfg, int64_t delivery, int state,
    int code, const char *desc, int64_t now, int *changed);

/*
 * A progress note (PAP progress-notes-requested): when the push asked for
 * them and has a ppg-notify-requested-to, queues a resultnotification-message
 * with message-state pending, code 1001 and the note as desc.
 */
int ppg_final_progress(struct db *db, const struct ppg_config *cfg, int64_t delivery, const char *note,
    int64_t now);

/*
 * [writer] The ids of the deliveries ppg_final ended while collecting: the
 * core collects a batch's (cancel, replace, expiry, outcomes), withdraws
 * their indirect content before the batch's answers go out (a cancelled
 * push's content URL answers 404 once the cancel is answered) and hands
 * them to the loop, where the bearer still holding an attempt of one lets
 * it go. Per thread.
 */
struct ppg_final_ids {
	int64_t *v;
	size_t n, cap;
};
/* Starts collecting into ids on this thread (NULL: stops). */
void ppg_final_collect(struct ppg_final_ids *ids);
void ppg_final_ids_free(struct ppg_final_ids *ids);

/* The sender-address of PAP messages (configured, or http://<listen><pap_path>). */
const char *ppg_final_sender_address(const struct ppg_config *cfg, char *buf, size_t len);

#endif
