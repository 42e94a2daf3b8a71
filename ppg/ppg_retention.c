/*
 * ppg_retention.c - deletes finished pushes older than [database] retention
 * (ppg_retention.h). The loop decides when: a timer looks at the PAP
 * request count; when PAP is quiet it hands the writer one bounded batch
 * (db_push_purge_finished, PPG_RETENTION_BATCH pushes), and while batches
 * come back full it asks for the next one soon, else it sleeps a minute.
 * Under steady PAP load one batch still goes each PPG_RETENTION_STARVE_MS,
 * so that the database cannot grow without end; a batch costs the writer a
 * few milliseconds (the indexes of schema 13), never a scan of a table.
 */
#define SU_ROOT_MAGIC_T struct ppg_core
#define SU_TIMER_ARG_T  void

#include "ppg/ppg_retention.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "db/db.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_metrics.h"

struct ppg_retention {
	struct ppg_core *core;
	int64_t keep_ms;               /* [database] retention, ms */
	unsigned idle_ms;              /* nothing to delete: the next look (a short
	                                * retention is looked at twice per period) */
	su_timer_t *timer;
	int stopping;
	int op_pending;                /* a batch is queued or running on the writer */
	int freed_pending;             /* on_free came while a batch was out: its after() frees */
	unsigned long long last_requests;
	int64_t last_mono_ms;          /* of last_requests */
	int64_t last_run_mono_ms;      /* the last batch handed to the writer */
	unsigned long long run_total;  /* pushes deleted by this run of full batches */
	int deleted;                   /* [writer] of the batch out; read by after() */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void arm(struct ppg_retention *rt, unsigned ms);

/* [writer] One batch. */
static int purge_write(struct db *db, void *arg, int64_t now)
{
	struct ppg_retention *rt = arg;
	int n = db_push_purge_finished(db, now - rt->keep_ms, PPG_RETENTION_BATCH);
	if (n < 0) {
		LOGP(PPG_LOG_DB, LOG_ERR, "retention: deleting finished pushes failed: %s", db_errmsg(db));
		rt->deleted = 0;
		return n;
	}
	rt->deleted = n;
	return 0;
}

/* [loop] The batch is committed (or failed): the next one soon while they
 * come back full, else in a minute. */
static void purge_after(void *arg, int committed)
{
	struct ppg_retention *rt = arg;
	rt->op_pending = 0;
	if (rt->freed_pending) {
		free(rt);
		return;
	}
	int n = committed ? rt->deleted : 0;
	if (n > 0) {
		for (int i = 0; i < n; i++)
			ppg_metrics_inc(PPG_M_PUSHES_PURGED);
		rt->run_total += (unsigned long long)n;
		LOGP(PPG_LOG_DB, LOG_DEBUG, "retention: %d finished pushes deleted", n);
	}
	if (n == PPG_RETENTION_BATCH) {
		arm(rt, PPG_RETENTION_NEXT_MS);
		return;
	}
	if (rt->run_total)
		LOGP(PPG_LOG_DB, LOG_INFO, "retention: %llu finished pushes older than %" PRId64
		    " s deleted", rt->run_total, rt->keep_ms / 1000);
	rt->run_total = 0;
	arm(rt, rt->idle_ms);
}

/* [loop] PAP is quiet when fewer than PPG_RETENTION_QUIET_RATE requests a
 * second came since the last look (at least 100 ms ago). */
static int quiet(struct ppg_retention *rt, int64_t now)
{
	struct ppg_core_stats st;
	ppg_core_get_stats(rt->core, &st);
	int64_t dt = now - rt->last_mono_ms;
	unsigned long long dn = st.requests - rt->last_requests;
	rt->last_requests = st.requests;
	rt->last_mono_ms = now;
	if (dt < 100)
		return 0;
	return dn * 1000 < (unsigned long long)PPG_RETENTION_QUIET_RATE * (unsigned long long)dt;
}

static void on_timer(struct ppg_core *c, su_timer_t *t, void *arg)
{
	struct ppg_retention *rt = arg;
	(void)c;
	(void)t;
	if (rt->stopping || rt->op_pending)
		return;
	int64_t now = mono_ms();
	if (!quiet(rt, now) && now - rt->last_run_mono_ms < PPG_RETENTION_STARVE_MS) {
		arm(rt, 1000);   /* look again in a second */
		return;
	}
	rt->last_run_mono_ms = now;
	if (ppg_core_write(rt->core, purge_write, purge_after, rt) == 0)
		rt->op_pending = 1;
	else
		arm(rt, rt->idle_ms);
}

static void arm(struct ppg_retention *rt, unsigned ms)
{
	if (rt->stopping || !rt->timer)
		return;
	su_timer_set_interval(rt->timer, on_timer, rt, ms);
}

static void on_stop(void *arg)
{
	struct ppg_retention *rt = arg;
	rt->stopping = 1;
	su_timer_destroy(rt->timer);
	rt->timer = NULL;
}

static void on_free(void *arg)
{
	struct ppg_retention *rt = arg;
	if (!rt)
		return;
	su_timer_destroy(rt->timer);
	rt->timer = NULL;
	if (rt->op_pending) {   /* never after the writer drained; kept for safety */
		rt->freed_pending = 1;
		return;
	}
	free(rt);
}

int ppg_retention_start(struct ppg_core *core, su_root_t *root, const struct ppg_config *cfg,
    char *err, size_t errlen)
{
	if (!cfg->db_retention)
		return 0;
	struct ppg_retention *rt = calloc(1, sizeof *rt);
	if (!rt) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rt->core = core;
	rt->keep_ms = (int64_t)cfg->db_retention * 1000;
	rt->idle_ms = rt->keep_ms / 2 < PPG_RETENTION_IDLE_MS ? (unsigned)(rt->keep_ms / 2) : PPG_RETENTION_IDLE_MS;
	rt->last_mono_ms = rt->last_run_mono_ms = mono_ms();
	rt->timer = su_timer_create(su_root_task(root), 0);
	struct ppg_core_hooks h = { .arg = rt, .stop = on_stop, .free = on_free };
	if (!rt->timer || ppg_core_register(core, &h) < 0) {
		snprintf(err, errlen, "cannot start retention");
		on_free(rt);
		return -ENOMEM;
	}
	/* The first look soon after the start: a backlog goes while it is quiet. */
	arm(rt, 1000);
	LOGP(PPG_LOG_DB, LOG_INFO, "retention: finished pushes are deleted %u s after their last change",
	    cfg->db_retention);
	return 0;
}
