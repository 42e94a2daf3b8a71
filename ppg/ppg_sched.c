/*
 * ppg_sched.c - the delivery engine's scheduler: every 100 ms (and at once
 * after a full batch) it leases the due pending deliveries that fit in the
 * window of outstanding MESSAGEs, high priority first, and attempts them once
 * the lease is committed; deliveries waiting on a SIP registration are made
 * due when it arrives. Runs in the core thread.
 */
#define SU_ROOT_MAGIC_T struct ppg_core
#define SU_TIMER_ARG_T  void

#include "ppg/ppg_deliver_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEASE_BATCH 256

struct lease_op {
	struct ppg_deliver *e;
	size_t max;
	struct db_delivery *v;
	size_t n;
};

static int lease_write(struct db *db, void *arg, int64_t now)
{
	struct lease_op *o = arg;
	int r = db_delivery_due(db, now, o->max, &o->v, &o->n);
	for (size_t i = 0; i < o->n && r == 0; i++)
		r = db_delivery_schedule(db, o->v[i].id, now + ppg_deliver_lease_ms(o->e));
	return r;
}

static void queue_lease(struct ppg_deliver *e);

static void lease_after(void *arg, int committed)
{
	struct lease_op *o = arg;
	struct ppg_deliver *e = o->e;
	struct ppg_pinfo *p = NULL;
	int64_t now = ppg_now_ms();

	e->lease_op_pending = 0;
	for (size_t i = 0; committed && !e->stopping && i < o->n; i++) {
		struct db_delivery *d = &o->v[i];
		if (!p || p->id != d->push) {
			struct db_push row = { 0 };
			ppg_pinfo_unref(p);
			p = NULL;
			if (db_push_get(e->db, d->push, 1, &row) == 0)
				p = ppg_pinfo_from_row(e, &row);
			db_push_clear(&row);
			if (!p)
				continue;   /* due again when its lease ends */
		}
		ppg_dispatch(e, p, d->id, d->addr_type, d->addr_value ? d->addr_value : "", now);
	}
	ppg_pinfo_unref(p);
	/* A full batch: there is a backlog; take the next one at once rather
	 * than at the next tick. */
	if (committed && !e->stopping && o->n == o->max)
		queue_lease(e);
	db_delivery_list_free(o->v, o->n);
	free(o);
}

/* Leases the due deliveries that fit in the window (next batch). */
static void queue_lease(struct ppg_deliver *e)
{
	if (e->lease_op_pending || e->messages >= e->cfg->sip_window)
		return;
	struct lease_op *o = calloc(1, sizeof *o);
	if (!o)
		return;
	o->e = e;
	o->max = e->cfg->sip_window - e->messages;
	if (o->max > LEASE_BATCH)
		o->max = LEASE_BATCH;
	if (ppg_core_write(e->core, lease_write, lease_after, o) == 0)
		e->lease_op_pending = 1;
	else
		free(o);
}

void ppg_sched_tick(struct ppg_core *c, su_timer_t *t, void *arg)
{
	struct ppg_deliver *e = arg;
	int64_t now = ppg_now_ms();
	(void)c;
	(void)t;

	e->ticks++;
	queue_lease(e);
	if (e->ticks % 5 == 0)
		ppg_notifier_tick(e, now);
	if (e->ticks % 600 == 0)
		ppg_sipreg_purge(e, now);
}

/* Deliveries waiting for a registration of aor become due at once. */
struct wake_op {
	char aor[512];
};

static int wake_write(struct db *db, void *arg, int64_t now)
{
	struct wake_op *o = arg;
	struct db_delivery *v = NULL;
	size_t n = 0;
	int r = db_delivery_waiting(db, o->aor, 10000, &v, &n);
	for (size_t i = 0; i < n && r == 0; i++)
		if (v[i].next_attempt > now)
			r = db_delivery_schedule(db, v[i].id, now);
	db_delivery_list_free(v, n);
	return r;
}

void ppg_deliver_wake(struct ppg_deliver *e, const char *aor)
{
	struct wake_op *o = calloc(1, sizeof *o);
	if (!o)
		return;
	snprintf(o->aor, sizeof o->aor, "%s", aor);
	if (ppg_core_write(e->core, wake_write, ppg_free_after, o) < 0)
		free(o);
}

