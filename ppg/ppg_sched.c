/*
 * ppg_sched.c - the delivery engine's scheduler: every PPG_TICK_MS (and at
 * once after a full batch, or when another node says deliveries became due:
 * ppg_sched_wake) it leases the due pending deliveries that fit in
 * the window of attempts in flight, high priority first; the writer reads
 * their pushes with the lease, and the loop attempts them once the lease is
 * committed. [loop], but for lease_write ([writer]).
 */
#define SU_ROOT_MAGIC_T struct ppg_core
#define SU_TIMER_ARG_T  void

#include "ppg/ppg_deliver_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppg/ppg_tick.h"

struct lease_op {
	struct ppg_deliver *e;
	size_t max;
	int64_t lease_ms;
	struct db_delivery *v;
	size_t n;
	struct ppg_push **pushes;        /* one per v[i], shared by consecutive rows */
};

static int lease_write(struct db *db, void *arg, int64_t now)
{
	struct lease_op *o = arg;
	/* One claim: with several nodes on one PostgreSQL each due delivery
	 * goes to exactly one of them (db_delivery_claim). */
	int r = db_delivery_claim(db, now, now + o->lease_ms, o->max, &o->v, &o->n);
	if (r < 0 || !o->n)
		return r;
	/* The loop runs no SQL: the pushes come with the lease. A push that
	 * cannot be read leaves its delivery due when the lease ends. */
	o->pushes = calloc(o->n, sizeof *o->pushes);
	for (size_t i = 0; o->pushes && i < o->n; i++) {
		if (i && o->pushes[i - 1] && o->pushes[i - 1]->id == o->v[i].push) {
			o->pushes[i] = o->pushes[i - 1];
			o->pushes[i]->refs++;
			continue;
		}
		struct db_push row = { 0 };
		if (db_push_get(db, o->v[i].push, 1, &row) == 0)
			o->pushes[i] = ppg_push_from_row(o->e->apps_cfg, &row);
		db_push_clear(&row);
	}
	return 0;
}

static void lease_after(void *arg, int committed)
{
	struct lease_op *o = arg;
	struct ppg_deliver *e = o->e;
	int64_t now = ppg_clock_now_ms();

	e->lease_op_pending = 0;
	for (size_t i = 0; committed && !e->stopping && o->pushes && i < o->n; i++) {
		struct db_delivery *d = &o->v[i];
		if (o->pushes[i])
			ppg_deliver_dispatch(e, o->pushes[i], d->id, d->addr_type,
			    d->addr_value ? d->addr_value : "", d->bearer, d->lease_gen, now);
	}
	/* A full batch: there is a backlog; take the next one at once rather
	 * than at the next tick. */
	if (committed && !e->stopping && o->n == o->max)
		ppg_sched_lease(e);
	for (size_t i = 0; o->pushes && i < o->n; i++)
		ppg_push_unref(o->pushes[i]);
	free(o->pushes);
	db_delivery_list_free(o->v, o->n);
	free(o);
}

void ppg_sched_lease(struct ppg_deliver *e)
{
	unsigned inflight = ppg_deliver_inflight(e);
	if (e->lease_op_pending || e->stopping || inflight >= e->cfg->sip_window)
		return;
	struct lease_op *o = calloc(1, sizeof *o);
	if (!o)
		return;
	o->e = e;
	o->max = e->cfg->sip_window - inflight;
	if (o->max > PPG_LEASE_BATCH)
		o->max = PPG_LEASE_BATCH;
	o->lease_ms = ppg_deliver_write_lease_ms(e);
	if (ppg_core_write_lazy(e->core, lease_write, lease_after, o) == 0)
		e->lease_op_pending = 1;
	else
		free(o);
}

static void on_tick(void *arg)
{
	ppg_sched_lease(arg);
	ppg_deliver_renew(arg, ppg_clock_now_ms());
}

int ppg_sched_start(struct ppg_deliver *e)
{
	/* On PostgreSQL other nodes NOTIFY what they made due: the tick is the
	 * fallback, and every node's poll costs the server a query. */
	e->tick = ppg_tick_start(e->root, e->cfg->db_engine ? PPG_TICK_PG_MS : PPG_TICK_MS, on_tick, e);
	if (!e->tick)
		return -1;
	return 0;
}

void ppg_sched_stop(struct ppg_deliver *e)
{
	ppg_tick_stop(e->tick);
	e->tick = NULL;
}
