/*
 * test_core_retry.c - the writer puts a failed retried write back
 * (ppg_core_write_retry): a real core (writer, syncer, loop) on a temporary
 * SQLite file, and fake write functions that write a real row and then fail
 * the first runs (the disk-full case seen from the writer: the write's
 * savepoint is rolled back). Asserts that the write is run again with a
 * growing backoff (no spin), that a failed run leaves nothing behind, that
 * after() runs once, committed, when a run succeeds; that a plain lazy
 * write that fails is dropped with after(0); that a retried write waiting
 * for its backoff at shutdown gets one last run; that a retried write (a
 * delivery's outcome) queued alone lingers about 1 ms for a request to
 * share its batch, no longer. And that while a reader holds a snapshot
 * (the WAL cannot start over) the writer's own checkpoints past
 * WAL_RESTART_FRAMES back off instead of running after every batch, and that
 * the WAL starts over once the reader is gone.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <sofia-sip/su.h>
#include <sqlite3.h>

#include "db/db.h"
#include "ppg/ppg_config.h"
#include "ppg/ppg_core.h"
#include "ppg/ppg_log.h"
#include "tests/test_util.h"

#define WAIT_MS 5000
#define WAL_RESTART_FRAMES 8192   /* as in ppg/ppg_core_int.h */
#define MAX_RUNS 64

static struct ppg_config *cfg;
static struct ppg_core *core;
static struct db *rodb;
static char *tmpdir;
static char dbpath[512];

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t mono_ms(void)
{
	return mono_us() / 1000;
}

/* A fake write: fails its first `fail` runs after writing a row of its own
 * (rolled back with its savepoint), then writes the row `aor`. */
struct fake {
	const char *aor;
	int fail;
	int retry;                /* queued with ppg_core_write_retry */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int runs;
	int64_t run_at[MAX_RUNS]; /* monotonic ms of each run */
	int64_t queued_us;        /* monotonic µs when the loop queued it */
	int64_t first_run_us;     /* monotonic µs of its first run */
	int afters, committed;
};

static int put_binding(struct db *db, const char *aor, int64_t now)
{
	struct db_binding b = { 0 };
	b.aor = (char *)aor;
	b.contact = (char *)"sip:fake@127.0.0.1";
	b.apps = (char *)"";
	b.expires = now + 3600 * 1000;
	b.updated = now;
	b.call_id = (char *)"retry-test";
	b.cseq = 1;
	return db_binding_upsert(db, &b);
}

/* [writer] */
static int fake_write(struct db *db, void *arg, int64_t now)
{
	struct fake *f = arg;
	pthread_mutex_lock(&f->lock);
	int run = f->runs, fail = f->fail;
	if (f->runs < MAX_RUNS)
		f->run_at[f->runs] = mono_ms();
	if (!f->runs)
		f->first_run_us = mono_us();
	f->runs++;
	pthread_mutex_unlock(&f->lock);
	if (run < fail) {
		char aor[64];
		snprintf(aor, sizeof aor, "sip:failed-run-%d@example.com", run);
		put_binding(db, aor, now);   /* undone by the rollback */
		return -EIO;
	}
	return put_binding(db, f->aor, now);
}

/* [loop] */
static void fake_after(void *arg, int committed)
{
	struct fake *f = arg;
	pthread_mutex_lock(&f->lock);
	f->afters++;
	f->committed = committed;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

/* [loop] queues the fake (the loop's API) */
static void queue_fake(void *arg)
{
	struct fake *f = arg;
	f->queued_us = mono_us();
	int r = f->retry ? ppg_core_write_retry(core, fake_write, fake_after, f) :
	    ppg_core_write_lazy(core, fake_write, fake_after, f);
	CU_ASSERT_EQUAL(r, 0);
}

static void fake_init(struct fake *f, const char *aor, int fail, int retry)
{
	memset(f, 0, sizeof *f);
	f->aor = aor;
	f->fail = fail;
	f->retry = retry;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
}

static void fake_destroy(struct fake *f)
{
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
}

/* Waits until after() ran; 0, or -1 past WAIT_MS. */
static int wait_after(struct fake *f)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WAIT_MS / 1000;
	int r = 0;
	pthread_mutex_lock(&f->lock);
	while (!f->afters && r == 0)
		r = pthread_cond_timedwait(&f->cond, &f->lock, &ts);
	pthread_mutex_unlock(&f->lock);
	return f->afters ? 0 : -1;
}

static int binding_count(const char *aor)
{
	struct db_binding *v = NULL;
	size_t n = 0;
	int64_t now = (int64_t)time(NULL) * 1000;
	if (db_binding_list(rodb, aor, now, &v, &n) < 0)
		return -1;
	db_binding_list_free(v, n);
	return (int)n;
}

static int init_loop(struct ppg_core *c, su_root_t *root, void *arg, char *err, size_t errlen)
{
	(void)c, (void)root, (void)arg, (void)err, (void)errlen;
	return 0;
}

static int start_with(const char *database_keys)
{
	char text[1024], err[512];
	tmpdir = tu_tmpdir("core-retry");
	if (!tmpdir)
		return -1;
	snprintf(dbpath, sizeof dbpath, "%s/ppgd.db", tmpdir);
	snprintf(text, sizeof text, "[database]\npath = %s\n%s", dbpath, database_keys);
	if (ppg_config_load_string(text, &cfg, err, sizeof err) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	struct db *db = NULL;
	if (db_open(dbpath, DB_NO_AUTOCHECKPOINT | DB_SYNC_EXTERNAL, &db) < 0) {
		db_close(db);
		return -1;
	}
	core = ppg_core_new(cfg, db);
	if (!core) {
		db_close(db);
		return -1;
	}
	if (ppg_core_start(core, init_loop, NULL) < 0)
		return -1;
	if (db_open(dbpath, DB_OPEN_READONLY, &rodb) < 0)
		return -1;
	return 0;
}

static int start(void)
{
	return start_with("");
}

static void stop(void)
{
	ppg_core_stop(core);
	ppg_core_free(core);
	core = NULL;
	db_close(rodb);
	rodb = NULL;
	ppg_config_free(cfg);
	cfg = NULL;
	if (tmpdir)
		tu_rmtree(tmpdir);
	free(tmpdir);
	tmpdir = NULL;
}

/* Fails twice, then succeeds: three runs, 100 ms then 200 ms apart at least,
 * after() once and committed, the row written, none of the failed runs'. */
static void test_fails_twice(void)
{
	struct fake f;
	fake_init(&f, "sip:outcome@example.com", 2, 1);
	CU_ASSERT_FATAL(start() == 0);
	int64_t t0 = mono_ms();
	CU_ASSERT_EQUAL_FATAL(ppg_core_defer(core, 0, queue_fake, &f), 0);
	CU_ASSERT_EQUAL_FATAL(wait_after(&f), 0);
	int64_t t1 = mono_ms();
	pthread_mutex_lock(&f.lock);
	CU_ASSERT_EQUAL(f.runs, 3);
	CU_ASSERT_EQUAL(f.afters, 1);
	CU_ASSERT_EQUAL(f.committed, 1);
	int64_t gap1 = f.run_at[1] - f.run_at[0], gap2 = f.run_at[2] - f.run_at[1];
	pthread_mutex_unlock(&f.lock);
	CU_ASSERT(gap1 >= 100 && gap1 < 1000);
	CU_ASSERT(gap2 >= 200 && gap2 < 1000);
	unsigned long long retries = 0, giveups = 0;
	ppg_core_get_retries(core, &retries, &giveups);
	CU_ASSERT_EQUAL(retries, 2);
	CU_ASSERT_EQUAL(giveups, 0);
	/* after() runs once the batch is committed (lazy: not yet synced);
	 * the read-only handle sees the row */
	CU_ASSERT_EQUAL(binding_count("sip:outcome@example.com"), 1);
	CU_ASSERT_EQUAL(binding_count("sip:failed-run-0@example.com"), 0);
	CU_ASSERT_EQUAL(binding_count("sip:failed-run-1@example.com"), 0);
	printf("\n    write failing twice: 3 runs, %lld ms then %lld ms apart, committed %lld ms after "
	    "it was queued (retries %llu, given up %llu)\n", (long long)gap1, (long long)gap2,
	    (long long)(t1 - t0), retries, giveups);
	stop();
	fake_destroy(&f);
}

/* A plain lazy write that fails is not retried, and its after() is told
 * it was not committed even though its batch was. */
static void test_lazy_dropped(void)
{
	struct fake f;
	fake_init(&f, "sip:lazy@example.com", 1, 0);
	CU_ASSERT_FATAL(start() == 0);
	CU_ASSERT_EQUAL_FATAL(ppg_core_defer(core, 0, queue_fake, &f), 0);
	CU_ASSERT_EQUAL_FATAL(wait_after(&f), 0);
	usleep(400 * 1000);   /* past two backoffs: no second run */
	pthread_mutex_lock(&f.lock);
	CU_ASSERT_EQUAL(f.runs, 1);
	CU_ASSERT_EQUAL(f.afters, 1);
	CU_ASSERT_EQUAL(f.committed, 0);
	pthread_mutex_unlock(&f.lock);
	CU_ASSERT_EQUAL(binding_count("sip:lazy@example.com"), 0);
	stop();
	fake_destroy(&f);
}

/* A write that keeps failing does not spin: over 1.6 s, runs at 0, 0.1,
 * 0.3, 0.7, 1.5 s (5 runs, not thousands); the other writes of the loop
 * are not held up by it; at shutdown it has one last run (which succeeds
 * here) and after() once. */
static void test_no_spin_and_shutdown(void)
{
	struct fake f, g;
	fake_init(&f, "sip:late@example.com", 1000, 1);
	fake_init(&g, "sip:other@example.com", 0, 1);
	CU_ASSERT_FATAL(start() == 0);
	CU_ASSERT_EQUAL_FATAL(ppg_core_defer(core, 0, queue_fake, &f), 0);
	usleep(150 * 1000);
	int64_t t0 = mono_ms();
	CU_ASSERT_EQUAL_FATAL(ppg_core_defer(core, 0, queue_fake, &g), 0);
	CU_ASSERT_EQUAL_FATAL(wait_after(&g), 0);
	int64_t other_ms = mono_ms() - t0;
	CU_ASSERT(other_ms < 100);
	usleep(1450 * 1000);
	pthread_mutex_lock(&f.lock);
	int runs = f.runs, afters = f.afters;
	pthread_mutex_unlock(&f.lock);
	CU_ASSERT(runs >= 4 && runs <= 5);   /* 5 on time; a loaded machine may be late */
	CU_ASSERT_EQUAL(afters, 0);
	pthread_mutex_lock(&f.lock);
	f.fail = 0;                          /* the disk has room again */
	pthread_mutex_unlock(&f.lock);
	int64_t t1 = mono_ms();
	ppg_core_stop(core);   /* the next run comes at once, not after its backoff */
	int64_t stop_ms = mono_ms() - t1;
	pthread_mutex_lock(&f.lock);
	CU_ASSERT_EQUAL(f.runs, runs + 1);
	CU_ASSERT_EQUAL(f.afters, 1);
	CU_ASSERT_EQUAL(f.committed, 1);
	pthread_mutex_unlock(&f.lock);
	CU_ASSERT(stop_ms < 1000);
	CU_ASSERT_EQUAL(binding_count("sip:late@example.com"), 1);
	printf("\n    write failing until the stop: %d runs in 1.6 s (no spin), another write committed in "
	    "%lld ms meanwhile, last run at shutdown (stop took %lld ms)\n", runs,
	    (long long)other_ms, (long long)stop_ms);
	stop();
	fake_destroy(&f);
	fake_destroy(&g);
}

/* A retried write queued alone (an outcome with no PAP request coming)
 * waits about 1 ms (WRITE_LINGER_US) for a request to share its batch,
 * then runs: not at once, not later than that (a loaded machine gets
 * 200 ms). Three tries: the core's expiry sweep (1 s) may end one early. */
static void test_outcome_lingers(void)
{
	CU_ASSERT_FATAL(start() == 0);
	int lingered = 0;
	int64_t gaps[3] = { 0 };
	for (int i = 0; i < 3; i++) {
		struct fake f;
		char aor[64];
		snprintf(aor, sizeof aor, "sip:linger-%d@example.com", i);
		fake_init(&f, aor, 0, 1);
		CU_ASSERT_EQUAL_FATAL(ppg_core_defer(core, 0, queue_fake, &f), 0);
		CU_ASSERT_EQUAL_FATAL(wait_after(&f), 0);
		pthread_mutex_lock(&f.lock);
		CU_ASSERT_EQUAL(f.runs, 1);
		CU_ASSERT_EQUAL(f.committed, 1);
		gaps[i] = f.first_run_us - f.queued_us;
		pthread_mutex_unlock(&f.lock);
		CU_ASSERT(gaps[i] < 200 * 1000);
		lingered += gaps[i] >= 1000;
		CU_ASSERT_EQUAL(binding_count(aor), 1);
		fake_destroy(&f);
		usleep(20 * 1000);
	}
	CU_ASSERT(lingered >= 1);
	printf("\n    retried write queued alone: run %lld, %lld, %lld us after it was queued\n",
	    (long long)gaps[0], (long long)gaps[1], (long long)gaps[2]);
	stop();
}

/* [writer] A wide write: WIDE_ROWS bindings of 3 KB each, about one WAL
 * frame (page) per row, so that the WAL passes WAL_RESTART_FRAMES quickly. */
#define WIDE_ROWS 16
static int wide_write(struct db *db, void *arg, int64_t now)
{
	struct fake *f = arg;
	char contact[3072], aor[96];
	memset(contact, 'c', sizeof contact - 1);
	memcpy(contact, "sip:", 4);
	contact[sizeof contact - 1] = '\0';
	for (int i = 0; i < WIDE_ROWS; i++) {
		struct db_binding b = { 0 };
		snprintf(aor, sizeof aor, "%s-%d", f->aor, i);
		b.aor = aor;
		b.contact = contact;
		b.apps = (char *)"";
		b.expires = now + 3600 * 1000;
		b.updated = now;
		b.call_id = (char *)"wal-test";
		b.cseq = 1;
		if (db_binding_upsert(db, &b) < 0)
			return -1;
	}
	return 0;
}

/* [loop] */
static void queue_wide(void *arg)
{
	CU_ASSERT_EQUAL(ppg_core_write_lazy(core, wide_write, fake_after, arg), 0);
}

/* One wide write, a batch of its own; 0 when committed. */
static int one_wide(int k)
{
	struct fake f;
	char aor[64];
	snprintf(aor, sizeof aor, "sip:wide-%d@example.com", k);
	fake_init(&f, aor, 0, 0);
	int r = ppg_core_defer(core, 0, queue_wide, &f) == 0 && wait_after(&f) == 0 && f.committed ? 0 : -1;
	fake_destroy(&f);
	return r;
}

/* A reader holds a read transaction from the start: no checkpoint can copy
 * the frames written since, nor can the WAL start over. Past
 * WAL_RESTART_FRAMES, 150 more batches: the writer's own checkpoints (each
 * sorting every frame not yet copied) back off, 100 ms doubling up to 1 s,
 * instead of running after each of them. Once the reader is gone the WAL
 * starts over within a few seconds of writes. */
static void test_wal_pinned_backoff(void)
{
	/* 8,192 frames are ~33 MB: past 16 MB the WAL held back is logged */
	CU_ASSERT_FATAL(start_with("wal_warn = 16M\n") == 0);
	sqlite3 *rd = NULL;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open_v2(dbpath, &rd, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	CU_ASSERT_EQUAL_FATAL(sqlite3_exec(rd, "BEGIN; SELECT count(*) FROM binding", NULL, NULL, NULL), SQLITE_OK);
	struct ppg_core_stats st;
	int k = 0;
	do {
		CU_ASSERT_EQUAL_FATAL(one_wide(k++), 0);
		ppg_core_get_stats(core, &st);
	} while (st.wal_frames <= WAL_RESTART_FRAMES && k < 5000);
	CU_ASSERT_FATAL(st.wal_frames > WAL_RESTART_FRAMES);
	int to_pass = k;
	unsigned long long ck0 = st.wal_checkpoints;
	int64_t t0 = mono_ms();
	for (int i = 0; i < 150; i++)
		CU_ASSERT_EQUAL_FATAL(one_wide(k++), 0);
	int64_t pinned_ms = mono_ms() - t0;
	ppg_core_get_stats(core, &st);
	unsigned long long ckpts = st.wal_checkpoints - ck0;
	long long pinned_frames = st.wal_frames;
	/* 0, 100, 300, 700, 1500 ms, then every second: one per 150 batches
	 * would be a checkpoint after every batch. */
	CU_ASSERT(ckpts >= 1);
	CU_ASSERT(ckpts <= 5 + (unsigned long long)pinned_ms / 1000);
	CU_ASSERT(pinned_frames > WAL_RESTART_FRAMES + 150 * WIDE_ROWS / 2);
	/* the checkpointer saw it held back, for as long as the reader, and warned once */
	int64_t behind_ms = st.wal_behind_since ? mono_ms() - st.wal_behind_since : -1;
	CU_ASSERT(behind_ms >= pinned_ms);
	CU_ASSERT_EQUAL(st.wal_warnings, 1);
	CU_ASSERT_EQUAL(sqlite3_exec(rd, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(rd);
	/* The reader is gone: within 5 s of writes the WAL starts over. */
	int64_t t1 = mono_ms();
	do {
		CU_ASSERT_EQUAL_FATAL(one_wide(k++), 0);
		ppg_core_get_stats(core, &st);
	} while (st.wal_frames > WAL_RESTART_FRAMES && mono_ms() - t1 < 5000);
	int64_t restart_ms = mono_ms() - t1;
	CU_ASSERT(st.wal_frames <= WAL_RESTART_FRAMES);
	/* within the checkpointer's longest wait (1 s) it is no longer behind */
	for (int i = 0; i < 30 && st.wal_behind_since; i++) {
		usleep(100000);
		ppg_core_get_stats(core, &st);
	}
	CU_ASSERT_EQUAL(st.wal_behind_since, 0);
	CU_ASSERT_EQUAL(st.wal_warnings, 1);
	printf("\n    reader holding the WAL: %d batches to pass %d frames, then 150 batches in %lld ms "
	    "with %llu checkpoints of the writer (WAL %lld frames); reader gone: the WAL started over "
	    "in %lld ms (%lld frames); held back %lld ms, warned %llu time(s)\n", to_pass, WAL_RESTART_FRAMES,
	    (long long)pinned_ms, ckpts, pinned_frames, (long long)restart_ms, st.wal_frames,
	    (long long)behind_ms, st.wal_warnings);
	stop();
}

int main(void)
{
	xmlInitParser();
	ppg_log_init(LOG_CRIT, 0);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("core_retry", NULL, NULL);
	CU_add_test(s, "a retried write failing twice then succeeding", test_fails_twice);
	CU_add_test(s, "a plain lazy write that fails: dropped, after(0)", test_lazy_dropped);
	CU_add_test(s, "no spin; other writes go on; last run at shutdown", test_no_spin_and_shutdown);
	CU_add_test(s, "an outcome queued alone lingers about 1 ms, no longer", test_outcome_lingers);
	CU_add_test(s, "a reader holding the WAL: the writer's checkpoints back off; then it restarts",
	    test_wal_pinned_backoff);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	ppg_log_close();
	xmlCleanupParser();
	return failures ? 1 : 0;
}
