/*
 * ppg_notifier.c - result notifications (WAP-247 PAP §8.5, §8.6) as the
 * core sees them: rows queued by ppg_final() are leased and handed to the
 * sender threads (ppg_notify.c); each answer comes back to the core thread
 * and is written: delivered when the PI answered, retried with backoff
 * otherwise, given up after [notify] max_attempts. Pending notifications are
 * in the database, so they survive a restart.
 */
#include "ppg/ppg_deliver_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ppg/ppg_log.h"

#define NOTIFY_BATCH 64

struct notify_lease_op {
	struct ppg_deliver *e;
	struct db_notification *v;
	size_t n;
};

static int notify_lease_write(struct db *db, void *arg, int64_t now)
{
	struct notify_lease_op *o = arg;
	int64_t until = now + ((int64_t)o->e->cfg->notify_timeout + 5) * 1000;
	int r = db_notification_due(db, now, NOTIFY_BATCH, &o->v, &o->n);
	for (size_t i = 0; i < o->n && r == 0; i++)
		r = db_notification_lease(db, o->v[i].id, until);
	return r;
}

static void notify_lease_after(void *arg, int committed)
{
	struct notify_lease_op *o = arg;
	struct ppg_deliver *e = o->e;

	e->notify_op_pending = 0;
	for (size_t i = 0; committed && !e->stopping && i < o->n; i++)
		if (ppg_notify_http_post(e->notify, o->v[i].id, o->v[i].url, o->v[i].body, o->v[i].body_len) < 0)
			LOGP(PPG_LOG_CORE, LOG_WARNING, "notification %lld not queued; due again later",
			    (long long)o->v[i].id);
	db_notification_list_free(o->v, o->n);
	free(o);
}

void ppg_notifier_tick(struct ppg_deliver *e, int64_t now)
{
	(void)now;
	if (e->notify_op_pending)
		return;
	struct notify_lease_op *o = calloc(1, sizeof *o);
	if (!o)
		return;
	o->e = e;
	if (ppg_core_write(e->core, notify_lease_write, notify_lease_after, o) == 0)
		e->notify_op_pending = 1;
	else
		free(o);
}

/* The answer of one POST, in the core thread. */
struct notify_done {
	struct ppg_deliver *e;
	struct ppg_notify_http_result r;
};

static int notify_done_write(struct db *db, void *arg, int64_t now)
{
	struct notify_done *o = arg;
	const struct ppg_config *cfg = o->e->cfg;
	struct db_notification nt = { 0 };

	if (o->r.ok)
		return db_notification_attempted(db, o->r.id, DB_STATE_DELIVERED, -1);
	int r = db_notification_get(db, o->r.id, &nt);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	int attempts = nt.attempts + 1;
	db_notification_clear(&nt);
	if ((unsigned)attempts >= cfg->notify_max_attempts) {
		LOGP(PPG_LOG_CORE, LOG_WARNING, "notification %lld given up after %d attempts: %s",
		    (long long)o->r.id, attempts, o->r.reason);
		return db_notification_attempted(db, o->r.id, DB_STATE_UNDELIVERABLE, -1);
	}
	struct ppg_retry_policy pol = { cfg->notify_retry_min, cfg->notify_retry_max, cfg->notify_max_attempts };
	int64_t next = now + ppg_outcome_backoff_ms(&pol, attempts);
	LOGP(PPG_LOG_CORE, LOG_INFO, "notification %lld failed (%s); attempt %d, next in %lld s",
	    (long long)o->r.id, o->r.reason, attempts, (long long)(next - now) / 1000);
	return db_notification_attempted(db, o->r.id, DB_STATE_PENDING, next);
}

static void notify_done_after(void *arg, int committed)
{
	(void)committed;
	free(arg);
}

static void notify_done_core(void *arg)
{
	struct notify_done *o = arg;
	if (o->e->stopping) {
		free(o);
		return;
	}
	if (o->r.ok)
		LOGP(PPG_LOG_CORE, LOG_DEBUG, "notification %lld answered: %s", (long long)o->r.id, o->r.reason);
	if (ppg_core_write(o->e->core, notify_done_write, notify_done_after, o) < 0)
		free(o);
}

void ppg_notifier_done(void *arg, const struct ppg_notify_http_result *r)
{
	struct ppg_deliver *e = arg;
	struct notify_done *o = calloc(1, sizeof *o);
	if (!o)
		return;   /* the lease ends and it is sent again */
	o->e = e;
	o->r = *r;
	if (ppg_core_defer(e->core, 0, notify_done_core, o) < 0)
		free(o);
}
