/*
 * test_db_retention.c - retention in db/ (db_push_purge_finished, schema
 * 13) on both engines: finished pushes whose state last changed before the
 * cut-off go, oldest first, with every row that hangs off them
 * (deliveries, transitions, notifications, SMS message ids, content
 * tokens); pending pushes and recent finished ones stay; one call deletes
 * at most its bound; a push that an older replaced push still names stays
 * until that one went. On SQLite also the plan: the cut-off is found
 * through the push_finished index, and the cascades through indexes (no
 * scan of a table). The PostgreSQL suite starts its own server
 * (test_db_pg.c) and is skipped with a message when the binaries are absent.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "tests/test_db_engine.h"
#include "tests/test_db_pg.h"
#include "tests/test_util.h"

/* A push with one delivery, both in `state` since time t; the delivery's
 * id into *dv. */
static int64_t add_push(struct db *db, const char *push_id, int state, int64_t t, int64_t *dv)
{
	struct db_push p = { 0 };
	struct db_delivery d = { 0 };

	p.pi = "pi";
	p.push_id = (char *)push_id;
	p.state = state;
	p.received_time = t;
	p.state_time = t;
	d.address = "a0";
	d.addr_type = 1;
	d.state = state;
	d.code = state == DB_STATE_PENDING ? 1001 : 1000;
	d.event_time = t;
	int rc = db_push_insert(db, &p, &d, 1);
	CU_ASSERT_EQUAL(rc, 0);
	if (dv)
		*dv = d.id;
	return rc == 0 ? p.id : -1;
}

static int push_exists(struct db *db, int64_t id)
{
	struct db_push p = { 0 };
	int rc = db_push_get(db, id, 0, &p);
	db_push_clear(&p);
	CU_ASSERT(rc == 0 || rc == -ENOENT);
	return rc == 0;
}

static void test_old_finished_go(void)
{
	struct db *db = NULL;
	int64_t dv[6], tr_dv;
	const int64_t day = 86400000, now = 100 * day, cut = now - 30 * day;

	CU_ASSERT_EQUAL_FATAL(t_open_as("oldgo", NULL, &db), 0);
	CU_ASSERT_EQUAL(db_schema_version(db), DB_SCHEMA_VERSION);
	int64_t delivered = add_push(db, "delivered", DB_STATE_DELIVERED, cut - 5 * day, &dv[0]);
	int64_t undeliv = add_push(db, "undeliverable", DB_STATE_UNDELIVERABLE, cut - 4 * day, &dv[1]);
	int64_t expired = add_push(db, "expired", DB_STATE_EXPIRED, cut - 3 * day, &dv[2]);
	int64_t cancelled = add_push(db, "cancelled", DB_STATE_CANCELLED, cut - 1, &dv[3]);
	int64_t pending = add_push(db, "pending", DB_STATE_PENDING, cut - 50 * day, &dv[4]);
	int64_t recent = add_push(db, "recent", DB_STATE_DELIVERED, cut, &dv[5]);
	/* in flight since long ago: not final, stays */
	int64_t inflight = add_push(db, "inflight", DB_STATE_INFLIGHT, cut - 50 * day, NULL);

	/* what hangs off the delivered one: a transition beyond the first, a
	 * result notification, an SMS message id, a content token */
	CU_ASSERT_EQUAL(db_delivery_set_state(db, dv[0], DB_STATE_DELIVERED, 1000, "again", cut - 5 * day, -1), 0);
	struct db_notification nt = { .push = delivered, .delivery = dv[0], .url = "http://127.0.0.1:1/n",
		.state = DB_STATE_DELIVERED, .created = cut - 5 * day };
	CU_ASSERT_EQUAL(db_notification_insert(db, &nt), 0);
	struct db_notification nt_pending = { .push = pending, .url = "http://127.0.0.1:1/n",
		.state = DB_STATE_PENDING, .created = cut - 50 * day };
	CU_ASSERT_EQUAL(db_notification_insert(db, &nt_pending), 0);
	CU_ASSERT_EQUAL(db_sms_message_add(db, "msg-old", dv[0], cut - 5 * day), 0);
	CU_ASSERT_EQUAL(db_content_token_add(db, "tok-old", dv[1], cut - 4 * day), 0);
	CU_ASSERT_EQUAL(db_content_token_add(db, "tok-pending", dv[4], cut - 50 * day), 0);
	tr_dv = dv[0];

	CU_ASSERT_EQUAL(db_push_purge_finished(db, cut, 100), 4);
	CU_ASSERT_FALSE(push_exists(db, delivered));
	CU_ASSERT_FALSE(push_exists(db, undeliv));
	CU_ASSERT_FALSE(push_exists(db, expired));
	CU_ASSERT_FALSE(push_exists(db, cancelled));
	CU_ASSERT_TRUE(push_exists(db, pending));
	CU_ASSERT_TRUE(push_exists(db, recent));
	CU_ASSERT_TRUE(push_exists(db, inflight));

	/* the rows that hung off them went with them */
	struct db_delivery d = { 0 };
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(db_delivery_get(db, dv[i], &d), -ENOENT);
	for (int i = 4; i < 6; i++) {
		CU_ASSERT_EQUAL(db_delivery_get(db, dv[i], &d), 0);
		db_delivery_clear(&d);
	}
	struct db_transition *tr = NULL;
	size_t ntr = 99;
	CU_ASSERT_EQUAL(db_transition_list(db, tr_dv, &tr, &ntr), 0);
	CU_ASSERT_EQUAL(ntr, 0);
	db_transition_list_free(tr, ntr);
	struct db_notification got = { 0 };
	CU_ASSERT_EQUAL(db_notification_get(db, nt.id, &got), -ENOENT);
	CU_ASSERT_EQUAL(db_notification_get(db, nt_pending.id, &got), 0);
	db_notification_clear(&got);
	int64_t which = 0;
	CU_ASSERT_EQUAL(db_sms_message_find(db, "msg-old", &which), -ENOENT);
	CU_ASSERT_EQUAL(db_content_token_find(db, "tok-old", &which), -ENOENT);
	CU_ASSERT_EQUAL(db_content_token_find(db, "tok-pending", &which), 0);
	CU_ASSERT_EQUAL(which, dv[4]);

	/* a purged push-id is unknown, as one never seen */
	struct db_push p = { 0 };
	CU_ASSERT_EQUAL(db_push_find_latest(db, "pi", "delivered", 0, &p), -ENOENT);
	CU_ASSERT_EQUAL(db_push_find_latest(db, "pi", "recent", 0, &p), 0);
	db_push_clear(&p);

	/* nothing more to delete; a later cut-off takes the recent one */
	CU_ASSERT_EQUAL(db_push_purge_finished(db, cut, 100), 0);
	CU_ASSERT_EQUAL(db_push_purge_finished(db, cut + 1, 100), 1);
	CU_ASSERT_FALSE(push_exists(db, recent));
	CU_ASSERT_TRUE(push_exists(db, pending));
	int64_t n = -1;
	CU_ASSERT_EQUAL(db_count_pushes(db, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	db_close(db);
}

static void test_batch_bound(void)
{
	struct db *db = NULL;
	int64_t id[7];
	char name[16];

	CU_ASSERT_EQUAL_FATAL(t_open_as("bound", NULL, &db), 0);
	/* inserted newest first: the ids do not give the age away */
	for (int i = 0; i < 7; i++) {
		snprintf(name, sizeof name, "b%d", i);
		id[i] = add_push(db, name, DB_STATE_DELIVERED, 1000 - i * 10, NULL);
	}
	CU_ASSERT_EQUAL(db_push_purge_finished(db, 2000, 0), -EINVAL);
	CU_ASSERT_EQUAL(db_push_purge_finished(db, 2000, 3), 3);
	/* the three oldest (b6, b5, b4) went */
	for (int i = 0; i < 7; i++)
		CU_ASSERT_EQUAL(push_exists(db, id[i]), i < 4);
	CU_ASSERT_EQUAL(db_push_purge_finished(db, 2000, 3), 3);
	CU_ASSERT_EQUAL(push_exists(db, id[0]), 1);
	CU_ASSERT_EQUAL(db_push_purge_finished(db, 2000, 3), 1);
	CU_ASSERT_EQUAL(db_push_purge_finished(db, 2000, 3), 0);
	CU_ASSERT_FALSE(push_exists(db, id[0]));
	/* inside a transaction, as the writer runs it */
	add_push(db, "c0", DB_STATE_CANCELLED, 5, NULL);
	add_push(db, "c1", DB_STATE_CANCELLED, 6, NULL);
	CU_ASSERT_EQUAL(db_begin(db), 0);
	CU_ASSERT_EQUAL(db_push_purge_finished(db, 2000, 1), 1);
	CU_ASSERT_EQUAL(db_commit(db), 0);
	int64_t n = -1;
	CU_ASSERT_EQUAL(db_count_pushes(db, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	db_close(db);
}

/* A replaced push names its replacement (replaced_by): the replacement
 * stays while the replaced one does. */
static void test_replaced_order(void)
{
	struct db *db = NULL;

	CU_ASSERT_EQUAL_FATAL(t_open_as("replaced", NULL, &db), 0);
	int64_t old = add_push(db, "r", DB_STATE_CANCELLED, 100, NULL);
	CU_ASSERT_EQUAL(db_push_set_replaced(db, old, -1), -EINVAL);
	int64_t by = add_push(db, "r2", DB_STATE_DELIVERED, 50, NULL);   /* older state_time */
	CU_ASSERT_EQUAL(db_push_set_replaced(db, old, by), 0);
	/* by is the older: it waits for old, which goes first */
	CU_ASSERT_EQUAL(db_push_purge_finished(db, 1000, 10), 1);
	CU_ASSERT_FALSE(push_exists(db, old));
	CU_ASSERT_TRUE(push_exists(db, by));
	CU_ASSERT_EQUAL(db_push_purge_finished(db, 1000, 10), 1);
	CU_ASSERT_FALSE(push_exists(db, by));

	/* a replaced push still pending keeps its finished replacement */
	int64_t p_old = add_push(db, "s", DB_STATE_PENDING, 100, NULL);
	int64_t p_by = add_push(db, "s2", DB_STATE_DELIVERED, 100, NULL);
	CU_ASSERT_EQUAL(db_push_set_replaced(db, p_old, p_by), 0);
	CU_ASSERT_EQUAL(db_push_purge_finished(db, 1000, 10), 0);
	CU_ASSERT_TRUE(push_exists(db, p_by));
	db_close(db);
}

/* A finished push whose result notification has not reached the PI yet
 * (state pending: the notifier retries it with a backoff, up to [notify]
 * max_attempts x retry_max, which can outlast a short retention) stays
 * until the notification is final: deleting the push cascades to the
 * notification, and the PI never gets its resultnotification. */
static void test_pending_notification_stays(void)
{
	struct db *db = NULL;
	int64_t dv = 0;
	const int64_t day = 86400000, now = 100 * day, cut = now - 30 * day;

	CU_ASSERT_EQUAL_FATAL(t_open_as("notifpending", NULL, &db), 0);
	int64_t done = add_push(db, "done-unnotified", DB_STATE_DELIVERED, cut - 5 * day, &dv);
	struct db_notification nt = { .push = done, .delivery = dv, .url = "http://127.0.0.1:1/n",
		.attempts = 3, .next_attempt = now + 60000, .state = DB_STATE_PENDING, .created = cut - 5 * day };
	CU_ASSERT_EQUAL(db_notification_insert(db, &nt), 0);
	CU_ASSERT_EQUAL(db_push_purge_finished(db, cut, 100), 0);
	CU_ASSERT_TRUE(push_exists(db, done));
	struct db_notification got = { 0 };
	CU_ASSERT_EQUAL(db_notification_get(db, nt.id, &got), 0);
	db_notification_clear(&got);
	db_close(db);
}

/* SQLite: the plan of the purge searches indexes, scans no table (the
 * cascades included: they are triggers SQLite plans with the statement). */
static void test_sqlite_plan(void)
{
	struct db *db = NULL;
	CU_ASSERT_EQUAL_FATAL(t_open_as("plan", NULL, &db), 0);
	db_close(db);

	sqlite3 *sq = NULL;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open_v2(db_path("plan"), &sq, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	static const char *const q[] = {
		"EXPLAIN QUERY PLAN SELECT p.id FROM push p INDEXED BY push_finished WHERE p.state BETWEEN 2 AND 8"
		" AND p.state_time < 1 AND NOT EXISTS (SELECT 1 FROM push o WHERE o.replaced_by = p.id)"
		" ORDER BY p.state_time LIMIT 10",
		"EXPLAIN QUERY PLAN SELECT 1 FROM notification WHERE push = 1",
		"EXPLAIN QUERY PLAN SELECT 1 FROM notification WHERE delivery = 1",
		"EXPLAIN QUERY PLAN SELECT 1 FROM delivery WHERE push = 1",
		"EXPLAIN QUERY PLAN SELECT 1 FROM transition WHERE delivery = 1",
		"EXPLAIN QUERY PLAN SELECT 1 FROM sms_message WHERE delivery = 1",
		"EXPLAIN QUERY PLAN SELECT 1 FROM content_token WHERE delivery = 1",
	};
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		sqlite3_stmt *st = NULL;
		char plan[1024] = "";
		CU_ASSERT_EQUAL_FATAL(sqlite3_prepare_v2(sq, q[i], -1, &st, NULL), SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *d = (const char *)sqlite3_column_text(st, 3);
			strncat(plan, d ? d : "", sizeof plan - strlen(plan) - 2);
			strncat(plan, ";", sizeof plan - strlen(plan) - 1);
		}
		sqlite3_finalize(st);
		if (strstr(plan, "SCAN"))
			fprintf(stderr, "plan of %s: %s\n", q[i], plan);
		CU_ASSERT_PTR_NULL(strstr(plan, "SCAN"));
		/* an index, or the key of a WITHOUT ROWID table (transition, schema 12) */
		CU_ASSERT(strstr(plan, "INDEX") != NULL || strstr(plan, "USING PRIMARY KEY") != NULL);
		if (i == 0)
			CU_ASSERT_PTR_NOT_NULL(strstr(plan, "push_finished"));
	}
	sqlite3_close(sq);
}

struct t_case {
	const char *name;
	void (*fn)(void);
	int sqlite_only;
};

static const struct t_case cases[] = {
	{ "old finished pushes go with their rows, pending and recent stay", test_old_finished_go, 0 },
	{ "one call deletes at most its bound, oldest first", test_batch_bound, 0 },
	{ "a replacement waits for the push it replaced", test_replaced_order, 0 },
	{ "a finished push whose result notification is not sent yet stays", test_pending_notification_stays, 0 },
	{ "the purge searches indexes only", test_sqlite_plan, 1 },
};

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("db retention (SQLite)", suite_init, suite_clean);
	if (!s)
		return 1;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CU_add_test(s, cases[i].name, cases[i].fn);
	const char *why = NULL;
	if (tpg_available(&why)) {
		s = CU_add_suite("db retention (PostgreSQL)", suite_init_pg, suite_clean_pg);
		if (!s)
			return 1;
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
			if (!cases[i].sqlite_only)
				CU_add_test(s, cases[i].name, cases[i].fn);
	} else {
		printf("test_db_retention: PostgreSQL suite SKIPPED: %s\n", why);
	}
	return tu_run();
}
