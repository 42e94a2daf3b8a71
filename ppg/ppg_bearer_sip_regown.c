/*
 * ppg_bearer_sip_regown.c - who subscribes to an AoR's reg event package
 * ([sip] reg_event = yes), and which AoRs need it after a restart.
 *
 * One subscription per AoR among the nodes sharing a database: a node
 * subscribes only while it holds the AoR's row of regevent_owner (schema
 * 11, db_regevent_own), whose lease ([sip] reg_event_lease) it renews every
 * third of it, AoR by AoR, for those it subscribes to. The others follow: the
 * holder's NOTIFYs become bindings in the shared database, which reach them
 * as ppgd_reg wake-ups. A holder that dies lets its leases run out; the scan
 * below, on each node, then finds the AoRs that parked deliveries still
 * wait on and takes them over. A renewal that finds an AoR held by another
 * node (its lease ran out while this node was cut off from the database)
 * unsubscribes it here. On SQLite the same table serves one node.
 *
 * The scan (db_regevent_wanted): AoRs that pending deliveries parked until
 * a registration wait on, with no live holder. At start (once the stored
 * deliveries are recovered: the scan's writer job runs after the
 * recovery's) it also takes the AoRs this node held before it restarted,
 * and pages through every parked AoR: REGOWN_CHUNK AoRs per job, the next
 * chunk REGOWN_CHUNK_MS later, so a backlog of parked AoRs is subscribed at
 * 200 SUBSCRIBEs a second at most, up to the 65,536 subscriptions of
 * ppg_bearer_sip_regevent.c. Later scans, every lease period, take only
 * AoRs nobody holds (a holder died, or the table was full). [loop], but for
 * the *_write functions ([writer]).
 */
#define SU_ROOT_MAGIC_T struct ppg_core
#define SU_TIMER_ARG_T  void

#include "ppg/ppg_bearer_sip_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppg/ppg_log.h"

#define REGOWN_CHUNK 100          /* AoRs per scan job and per claim job */
#define REGOWN_CHUNK_MS 500       /* between the chunks of one scan */

struct ppg_regown {
	struct sip_bearer *s;
	char node[128];
	int64_t lease_ms;
	su_timer_t *tick;             /* renewal, every lease / 3 */
	su_timer_t *scan_timer;       /* the next scan or chunk */
	int scan_pending;
	int started_scan;             /* the start's scan (mine = 1) is over */
	char after[512];              /* the scan's cursor */
	int64_t last_scan;
};

/* ------------------------------------------------------------ claims */

struct claim_op {
	struct sip_bearer *s;
	char node[128];
	int64_t lease_ms;
	size_t n;
	char *aor[REGOWN_CHUNK];
	int owned[REGOWN_CHUNK];
};

static int claim_write(struct db *db, void *arg, int64_t now)
{
	struct claim_op *o = arg;
	for (size_t i = 0; i < o->n; i++) {
		int r = db_regevent_own(db, o->aor[i], o->node, now, now + o->lease_ms);
		if (r < 0)
			return r;   /* rolled back to the savepoint; claim_after: not known */
		o->owned[i] = r > 0;
	}
	return 0;
}

static void claim_after(void *arg, int committed)
{
	struct claim_op *o = arg;
	for (size_t i = 0; i < o->n; i++) {
		if (!o->s->stopping)
			ppg_bearer_sip_regevent_claimed(o->s, o->aor[i], committed ? o->owned[i] : -1);
		free(o->aor[i]);
	}
	free(o);
}

void ppg_bearer_sip_regown_claim(struct sip_bearer *s, const char *const *aors, size_t n)
{
	struct ppg_regown *w = s->regown;
	for (size_t i = 0; w && i < n;) {
		struct claim_op *o = calloc(1, sizeof *o);
		if (!o)
			break;
		o->s = s;
		memcpy(o->node, w->node, sizeof o->node);
		o->lease_ms = w->lease_ms;
		for (; i < n && o->n < REGOWN_CHUNK; i++)
			if ((o->aor[o->n] = strdup(aors[i])))
				o->n++;
		if (ppg_core_write_lazy(s->core, claim_write, claim_after, o) < 0) {
			for (size_t k = 0; k < o->n; k++)
				o->owned[k] = -1;
			claim_after(o, 0);   /* tells each: not known, tried again later */
		}
	}
}

struct release_op {
	char node[128];
	char aor[];
};

static int release_write(struct db *db, void *arg, int64_t now)
{
	struct release_op *o = arg;
	(void)now;
	int r = db_regevent_release(db, *o->aor ? o->aor : NULL, o->node);
	return r < 0 ? r : 0;
}

static void release_after(void *arg, int committed)
{
	(void)committed;   /* not released: the lease runs out */
	free(arg);
}

void ppg_bearer_sip_regown_release(struct sip_bearer *s, const char *aor)
{
	struct ppg_regown *w = s->regown;
	size_t l = strlen(aor ? aor : "");
	struct release_op *o = w ? calloc(1, sizeof *o + l + 1) : NULL;
	if (!o)
		return;
	memcpy(o->node, w->node, sizeof o->node);
	memcpy(o->aor, aor ? aor : "", l + 1);
	if (ppg_core_write_lazy(s->core, release_write, release_after, o) < 0)
		free(o);
}

/* ------------------------------------------------------------ renewal */

/* Every third of the lease: each AoR this node subscribes to is claimed
 * again (db_regevent_own renews a row the node holds), and pinned ones
 * another node held are tried. Only those: a row of this node that it no
 * longer subscribes to (left by a restart within the lease, or a release
 * that failed) is not renewed and runs out, so that another node takes the
 * AoR when a push waits on it. A claim another node won unsubscribes here
 * (ppg_bearer_sip_regevent_claimed). */
static void on_tick(struct ppg_core *c, su_timer_t *t, void *arg)
{
	struct ppg_regown *w = arg;
	(void)c;
	(void)t;
	if (!w->s->stopping)
		ppg_bearer_sip_regevent_reclaim(w->s, 1);
}

/* ------------------------------------------------------------ the scan */

struct scan_op {
	struct ppg_regown *w;
	int mine;
	char **aor;
	size_t n;
	int ok;
};

static int scan_write(struct db *db, void *arg, int64_t now)
{
	struct scan_op *o = arg;
	int r = 0;
	/* once per scan: rows whose lease ended a lease period ago (their node
	 * is gone, or let go without a release) are deleted, so that the table
	 * holds only live and recent holders */
	if (!o->w->after[0])
		r = db_regevent_forget(db, now - o->w->lease_ms);
	if (r >= 0)
		r = db_regevent_wanted(db, o->w->node, o->mine, now, o->w->after, REGOWN_CHUNK, &o->aor, &o->n);
	o->ok = r == 0;
	return r < 0 ? r : 0;   /* rolled back to the savepoint; scan_after: tried again */
}

static void scan_next(struct ppg_regown *w, unsigned ms);

static void scan_after(void *arg, int committed)
{
	struct scan_op *o = arg;
	struct ppg_regown *w = o->w;
	w->scan_pending = 0;
	if (!w->s->stopping && committed && o->ok) {
		for (size_t i = 0; i < o->n; i++)
			ppg_bearer_sip_regevent_adopt(w->s, o->aor[i]);
		if (o->n && (!w->started_scan || *w->after == '\0'))
			LOGP(PPG_LOG_SIP, LOG_INFO, "reg event: %zu AoR%s that parked pushes wait on and no node "
			    "subscribes to: subscribing", o->n, o->n == 1 ? "" : "s");
		if (o->n == REGOWN_CHUNK) {
			snprintf(w->after, sizeof w->after, "%s", o->aor[o->n - 1]);
			scan_next(w, REGOWN_CHUNK_MS);
		} else {
			w->after[0] = '\0';
			w->started_scan = 1;
			scan_next(w, (unsigned)w->lease_ms);
		}
	} else if (!w->s->stopping) {
		scan_next(w, (unsigned)w->lease_ms);   /* the database was away: again later */
	}
	db_regevent_list_free(o->aor, o->n);
	free(o);
}

static void on_scan(struct ppg_core *c, su_timer_t *t, void *arg)
{
	struct ppg_regown *w = arg;
	(void)c;
	(void)t;
	if (w->scan_pending || w->s->stopping)
		return;
	struct scan_op *o = calloc(1, sizeof *o);
	if (!o) {
		scan_next(w, (unsigned)w->lease_ms);
		return;
	}
	o->w = w;
	o->mine = !w->started_scan;
	if (ppg_core_write_lazy(w->s->core, scan_write, scan_after, o) == 0) {
		w->scan_pending = 1;
	} else {
		free(o);
		scan_next(w, (unsigned)w->lease_ms);
	}
}

static void scan_next(struct ppg_regown *w, unsigned ms)
{
	su_timer_set_interval(w->scan_timer, on_scan, w, ms ? ms : 1);
}

/* ------------------------------------------------------ start and stop */

int ppg_bearer_sip_regown_start(struct sip_bearer *s, char *err, size_t errlen)
{
	struct ppg_regown *w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	w->s = s;
	snprintf(w->node, sizeof w->node, "%s", ppg_config_node(s->cfg));
	w->lease_ms = (int64_t)s->cfg->sip_reg_event_lease * 1000;
	s->regown = w;
	unsigned third = (unsigned)(w->lease_ms / 3);
	w->tick = su_timer_create(su_root_task(s->root), third ? third : 1);
	w->scan_timer = su_timer_create(su_root_task(s->root), REGOWN_CHUNK_MS);
	if (!w->tick || !w->scan_timer || su_timer_run(w->tick, on_tick, w) < 0) {
		snprintf(err, errlen, "cannot start the reg event lease timers");
		return -ENOMEM;
	}
	/* The first scan: its job is queued behind the recovery of the stored
	 * deliveries, which the engine queued at its start. */
	scan_next(w, 1);
	return 0;
}

void ppg_bearer_sip_regown_stop(struct sip_bearer *s)
{
	struct ppg_regown *w = s ? s->regown : NULL;
	if (!w)
		return;
	s->regown = NULL;
	su_timer_destroy(w->tick);
	su_timer_destroy(w->scan_timer);
	free(w);
}
