/*
 * ppg_deliver_renew.c - attempts under way keep their leases. A delivery is
 * leased for the longest pager-mode attempt (ppg_deliver_write_lease_ms); a
 * session-mode push (INVITE, then an MSRP transfer of any size) can run
 * longer. Past half its lease, an attempt still under way has its lease
 * extended by one lease time (db_delivery_renew, fenced by the attempt's
 * lease generation), again and again until it ends, so that no other claim
 * (another node on the same PostgreSQL, or this one's scheduler) takes the
 * delivery and sends it a second time while the first transfer runs. A
 * renewal that finds the lease gone (another claim took it, or the delivery
 * became final) cuts the attempt: the bearer forgets it and its result is
 * never written. A batch that fails leaves the lease as it was: the next
 * tick tries again within a second. [loop], but for renew_write ([writer]).
 */
#include "ppg/ppg_deliver_int.h"

#include <stdlib.h>

#include "ppg/ppg_clock.h"
#include "ppg/ppg_log.h"

#define RENEW_MAX 1024              /* renewals per write */
#define RENEW_RETRY_MS 1000         /* after a batch that failed */

struct renew_op {
	struct ppg_deliver *e;
	int64_t lease_ms;
	size_t n;
	struct renew_item {
		int64_t id, gen;
		int held;                /* 1 renewed, 0 lease gone, -1 not written */
	} v[];
};

static int renew_write(struct db *db, void *arg, int64_t now)
{
	struct renew_op *o = arg;
	for (size_t i = 0; i < o->n; i++) {
		int r = db_delivery_renew(db, o->v[i].id, o->v[i].gen, now + o->lease_ms);
		if (r < 0)
			return r;   /* the savepoint is rolled back: none renewed */
		o->v[i].held = r;
	}
	return 0;
}

static void renew_after(void *arg, int committed)
{
	struct renew_op *o = arg;
	struct ppg_deliver *e = o->e;
	int64_t now = ppg_clock_now_ms();

	e->renew_pending = 0;
	for (size_t i = 0; !e->stopping && i < o->n; i++) {
		struct ppg_attempt *a = ppg_deliver_attempt_find(e, o->v[i].id);
		if (!a || a->lease_gen != o->v[i].gen)
			continue;   /* ended meanwhile, or claimed again here: a newer lease */
		if (!committed || o->v[i].held < 0) {
			a->renew_at = now + RENEW_RETRY_MS;
			continue;
		}
		if (o->v[i].held) {
			a->renew_at = now + o->lease_ms / 2;
			LOGPUSH(PPG_LOG_CORE, LOG_DEBUG, a->p->pi, a->p->push_id,
			    "delivery %lld: attempt under way, lease renewed for %lld ms",
			    (long long)a->a.delivery, (long long)o->lease_ms);
			continue;
		}
		LOGPUSH(PPG_LOG_CORE, LOG_WARNING, a->p->pi, a->p->push_id,
		    "delivery %lld: lease lost while its attempt ran (another claim took it, or it "
		    "ended): attempt cut, its result will not be written", (long long)a->a.delivery);
		ppg_deliver_attempt_cut(a);
	}
	free(o);
}

void ppg_deliver_renew(struct ppg_deliver *e, int64_t now)
{
	if (e->renew_pending || e->stopping || !e->nattempts)
		return;
	size_t n = 0;
	struct renew_op *o = NULL;
	for (int pass = 0; pass < 2; pass++) {
		n = 0;
		for (size_t h = 0; h < PPG_ATTEMPT_BUCKETS && n < RENEW_MAX; h++)
			for (struct ppg_attempt *a = e->attempts[h]; a && n < RENEW_MAX; a = a->next) {
				if (a->renew_at > now)
					continue;
				if (o)
					o->v[n] = (struct renew_item){ a->a.delivery, a->lease_gen, -1 };
				n++;
			}
		if (!n)
			return;
		if (!o && !(o = calloc(1, sizeof *o + n * sizeof o->v[0])))
			return;
	}
	o->e = e;
	o->n = n;
	o->lease_ms = ppg_deliver_write_lease_ms(e);
	if (o->lease_ms < 2 * RENEW_RETRY_MS)
		o->lease_ms = 2 * RENEW_RETRY_MS;
	if (ppg_core_write_lazy(e->core, renew_write, renew_after, o) == 0)
		e->renew_pending = 1;
	else
		free(o);
}
