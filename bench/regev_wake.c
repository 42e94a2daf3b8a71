/*
 * regev_wake.c - the writer's work when the cluster listener is back
 * (ppg_bearer_sip_reg_refresh("")): the deliveries parked until a
 * registration of every AoR with a live binding are made due. Measured on a
 * database filled by bench/state_fill.c, the two ways side by side, each as
 * ppgd's writer runs it (one savepoint per job, one transaction in all):
 *
 *   per-aor  before: one job per AoR with a live binding, each reading the
 *            AoR's waiting deliveries (db_delivery_waiting) and scheduling
 *            the parked ones (db_delivery_schedule);
 *   batch    now: jobs of one statement each (db_regevent_wake_registered),
 *            10,000 deliveries a job, until a job wakes fewer.
 *
 *   regev_wake DATABASE per-aor|batch REGISTERED_WAIT_AORS   (a file, or a libpq conninfo)
 *
 * First stores a binding for each of the AoRs sip:waitK@ims.example with
 * K < REGISTERED_WAIT_AORS (state_fill parked pushes on them), so that both
 * ways have deliveries to wake besides the bindings of AoRs nothing waits
 * on. Prints "WAKE mode=M bindings=N jobs=J woken=W seconds=S".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"

#define WAKE_MAX 10000                 /* PPG_WAKE_MAX */
#define NEVER INT64_MAX

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(struct db *db, const char *what, int r)
{
	fprintf(stderr, "regev_wake: %s: %s (%d)\n", what, db ? db_errmsg(db) : "", r);
	return 1;
}

/* One job of the per-AoR way (ppg_deliver_write.c's wake_write before). */
static int wake_aor(struct db *db, const char *aor, int64_t now, long *woken)
{
	struct db_delivery *v = NULL;
	size_t n = 0;
	int r = db_delivery_waiting(db, aor, WAKE_MAX, &v, &n);
	for (size_t i = 0; i < n && r == 0; i++)
		if (v[i].next_attempt == NEVER) {
			r = db_delivery_schedule(db, v[i].id, now);
			(*woken)++;
		}
	db_delivery_list_free(v, n);
	return r;
}

int main(int argc, char **argv)
{
	if (argc != 4 || (strcmp(argv[2], "per-aor") && strcmp(argv[2], "batch"))) {
		fprintf(stderr, "usage: regev_wake DATABASE per-aor|batch REGISTERED_WAIT_AORS\n");
		return 2;
	}
	int per_aor = !strcmp(argv[2], "per-aor");
	long reg_wait = atol(argv[3]);
	struct db *db = NULL;
	/* a libpq conninfo ("dbname=... host=...") fills PostgreSQL instead */
	struct db_conf conf = { .engine = strchr(argv[1], '=') ? DB_ENGINE_POSTGRESQL : DB_ENGINE_SQLITE,
		.path = argv[1], .conninfo = argv[1], .node = "bench" };
	int r = db_open_config(&conf, DB_SYNC_NORMAL, &db);
	if (r < 0)
		return fail(NULL, argv[1], r);
	int64_t now = now_ms();
	if ((r = db_begin(db)) < 0)
		return fail(db, "begin", r);
	for (long k = 0; k < reg_wait && r == 0; k++) {
		char aor[80], contact[80];
		snprintf(aor, sizeof aor, "sip:wait%ld@ims.example", k);
		snprintf(contact, sizeof contact, "sip:wait%ld@127.0.0.1:9", k);
		struct db_binding b = { .aor = aor, .contact = contact, .apps = (char *)"mms.ua",
			.expires = now + 86400000, .updated = now, .call_id = (char *)"wake@bench", .cseq = 1 };
		r = db_binding_upsert(db, &b);
	}
	if (r < 0 || (r = db_commit(db)) < 0)
		return fail(db, "bindings", r);

	/* what the listener's resync reads first in both ways: every binding */
	struct db_binding *bv = NULL;
	size_t bn = 0;
	if ((r = db_binding_list(db, NULL, now, &bv, &bn)) < 0)
		return fail(db, "binding list", r);
	double t0 = mono();
	long jobs = 0, woken = 0;
	if ((r = db_begin(db)) < 0)
		return fail(db, "begin", r);
	if (per_aor) {
		for (size_t i = 0; i < bn && r == 0; i++) {
			if (i && !strcmp(bv[i].aor, bv[i - 1].aor))
				continue;   /* the list is ordered by aor */
			if ((r = db_savepoint(db)) == 0) {
				r = wake_aor(db, bv[i].aor, now, &woken);
				r = r ? r : db_savepoint_release(db);
			}
			jobs++;
		}
	} else {
		for (int w = WAKE_MAX; w == WAKE_MAX && r == 0;) {
			if ((r = db_savepoint(db)) == 0) {
				w = db_regevent_wake_registered(db, now, WAKE_MAX);
				r = w < 0 ? w : db_savepoint_release(db);
				woken += w > 0 ? w : 0;
			}
			jobs++;
		}
	}
	if (r < 0 || (r = db_commit(db)) < 0)
		return fail(db, argv[2], r);
	printf("WAKE mode=%s bindings=%zu jobs=%ld woken=%ld seconds=%.3f\n", argv[2], bn, jobs, woken,
	    mono() - t0);
	db_binding_list_free(bv, bn);
	db_close(db);
	return 0;
}
