/*
 * test_db_schema.c - db/ against real SQLite files and PostgreSQL: the schema from
 * the binary, upgrades from old files and schema versions, a newer file
 * refused, durability across reopen, WAL readers, db_sync, the owner thread
 * of a handle, a lost PostgreSQL server.
 *
 * The same suite runs a second time on PostgreSQL, on a server the test
 * starts itself (test_db_pg.c: one database per test name), without the tests
 * that are about SQLite files. Skipped with a message when the PostgreSQL
 * binaries are absent. Shared rows and checks: tests/db_common.c (split from
 * test_db.c).
 */
#include "tests/db_common.h"

/* ---------------------------------------------------------------- tests */

/* ---------------------------------------------------------------- tests */

static void test_fresh_schema_wal(void)
{
	const char *path = db_path("fresh");
	char wal[1100];
	unsigned char hdr[100];
	struct db *db = NULL;
	int64_t n = -1;

	CU_ASSERT_EQUAL_FATAL(t_open(path, 0, &db), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(db_schema_version(db), DB_SCHEMA_VERSION);
	CU_ASSERT_EQUAL(DB_SCHEMA_VERSION, 14);
	CU_ASSERT_EQUAL(db_count_pushes(db, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	add_push(db, "pi", "w1", 1, one_addr, 1000);
	snprintf(wal, sizeof wal, "%s-wal", path);
	CU_ASSERT_TRUE(file_exists(wal));   /* WAL: the commit went to the log */
	db_close(db);

	CU_ASSERT_EQUAL_FATAL(read_header(path, hdr), 0);
	CU_ASSERT_EQUAL(memcmp(hdr, "SQLite format 3", 16), 0);
	CU_ASSERT_EQUAL(hdr[18], 2);        /* file format write version: WAL */
	CU_ASSERT_EQUAL(hdr[19], 2);        /* read version: WAL */
	CU_ASSERT_EQUAL(be32(hdr + 60), 14); /* user_version */

	/* open again (no schema step runs), still version 14 */
	CU_ASSERT_EQUAL_FATAL(t_open(path, DB_SYNC_NORMAL, &db), 0);
	CU_ASSERT_EQUAL(db_schema_version(db), 14);
	db_close(db);
}

static void test_reopen_persists(void)
{
	const char *path = db_path("reopen");
	struct db *db = NULL;
	struct db_push p, got;
	struct db_delivery d[3];
	int64_t n = -1;

	CU_ASSERT_EQUAL_FATAL(t_open(path, 0, &db), 0);
	insert_full(db, &p, d);
	CU_ASSERT_EQUAL(db_begin(db), 0);
	add_push(db, "pi", "committed", 1, one_addr, 1);
	CU_ASSERT_EQUAL(db_commit(db), 0);
	CU_ASSERT_EQUAL(db_begin(db), 0);
	add_push(db, "pi", "never-committed", 1, one_addr, 2);
	db_close(db);   /* with the transaction open: rolled back */

	CU_ASSERT_EQUAL_FATAL(t_open(path, 0, &db), 0);
	check_full(db, &p, d);
	CU_ASSERT_EQUAL(db_push_find(db, "pi", "committed", 0, &got), 0);
	db_push_clear(&got);
	CU_ASSERT_EQUAL(db_push_find(db, "pi", "never-committed", 0, &got), -ENOENT);
	CU_ASSERT_EQUAL(db_count_pushes(db, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	db_close(db);
}

static void test_upgrade_from_v1(void)
{
	const char *path = db_path("upgrade");
	struct db *db = NULL;
	struct db_push p, got;
	struct db_delivery d[3];
	struct db_notification nt, ng, *nv = NULL;
	struct db_transition *tv = NULL;
	size_t n = 0;

	CU_ASSERT_EQUAL(db_open_at_version(path, 0, &db), -EINVAL);
	CU_ASSERT_EQUAL(db_open_at_version(path, DB_SCHEMA_VERSION + 1, &db), -EINVAL);
	CU_ASSERT_PTR_NULL(db);

	/* an old file with rows, written through the schema-1 statements */
	CU_ASSERT_EQUAL_FATAL(db_open_at_version(path, 1, &db), 0);
	CU_ASSERT_EQUAL(db_schema_version(db), 1);
	insert_full(db, &p, d);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, d[0].id, DB_STATE_DELIVERED, 1000, NULL,
	    1700000005000, -1), 0);
	CU_ASSERT_EQUAL(db_push_update_state(db, p.id), 0);   /* still pending */
	int64_t bare = add_push(db, "pi", "no-deliveries", 0, NULL, 4242);
	memset(&nt, 0, sizeof nt);
	nt.push = p.id;
	nt.url = "http://pi.example/notify";
	nt.state = DB_STATE_PENDING;
	CU_ASSERT(db_notification_insert(db, &nt) < 0);   /* no such table yet */
	db_close(db);

	CU_ASSERT_EQUAL_FATAL(t_open(path, 0, &db), 0);
	CU_ASSERT_EQUAL(db_schema_version(db), DB_SCHEMA_VERSION);
	CU_ASSERT_EQUAL_FATAL(db_push_get(db, p.id, 1, &got), 0);
	CU_ASSERT_EQUAL(got.state, DB_STATE_PENDING);
	/* state_time filled in from the latest delivery transition */
	CU_ASSERT_EQUAL(got.state_time, 1700000005000);
	CU_ASSERT_EQUAL(got.content_len, sizeof body_nul);
	CU_ASSERT_EQUAL(memcmp(got.content_body, body_nul, sizeof body_nul), 0);
	check_str(got.notify_to, "http://pi.example/notify");
	db_push_clear(&got);
	CU_ASSERT_EQUAL_FATAL(db_push_get(db, bare, 0, &got), 0);
	CU_ASSERT_EQUAL(got.state_time, 4242);   /* no delivery: reception time */
	db_push_clear(&got);
	CU_ASSERT_EQUAL_FATAL(db_transition_list(db, d[0].id, &tv, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	if (n == 2) {
		CU_ASSERT_EQUAL(tv[1].state, DB_STATE_DELIVERED);
		CU_ASSERT_EQUAL(tv[1].time, 1700000005000);
	}
	db_transition_list_free(tv, n);

	/* the notification table works */
	nt.delivery = d[0].id;
	nt.body = (unsigned char *)"<pap>\0x";
	nt.body_len = 7;
	nt.next_attempt = 2000;
	nt.created = 1500;
	CU_ASSERT_EQUAL_FATAL(db_notification_insert(db, &nt), 0);
	CU_ASSERT(nt.id > 0);
	CU_ASSERT_EQUAL_FATAL(db_notification_get(db, nt.id, &ng), 0);
	CU_ASSERT_EQUAL(ng.push, p.id);
	CU_ASSERT_EQUAL(ng.delivery, d[0].id);
	check_str(ng.url, "http://pi.example/notify");
	CU_ASSERT_EQUAL(ng.body_len, 7);
	CU_ASSERT_EQUAL(memcmp(ng.body, "<pap>\0x", 7), 0);
	CU_ASSERT_EQUAL(ng.attempts, 0);
	CU_ASSERT_EQUAL(ng.next_attempt, 2000);
	CU_ASSERT_EQUAL(ng.state, DB_STATE_PENDING);
	CU_ASSERT_EQUAL(ng.created, 1500);
	db_notification_clear(&ng);
	CU_ASSERT_EQUAL(db_notification_due(db, 1999, 10, &nv, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL_FATAL(db_notification_due(db, 2000, 10, &nv, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(nv[0].id, nt.id);
	db_notification_list_free(nv, n);
	CU_ASSERT_EQUAL(db_notification_attempted(db, nt.id, DB_STATE_PENDING, 9000), 0);
	CU_ASSERT_EQUAL(db_notification_attempted(db, nt.id, DB_STATE_DELIVERED, -1), 0);
	CU_ASSERT_EQUAL_FATAL(db_notification_get(db, nt.id, &ng), 0);
	CU_ASSERT_EQUAL(ng.attempts, 2);
	CU_ASSERT_EQUAL(ng.next_attempt, 9000);
	CU_ASSERT_EQUAL(ng.state, DB_STATE_DELIVERED);
	db_notification_clear(&ng);
	/* a late result (another node's attempt, a lease that ran out) never
	 * overwrites the final one */
	CU_ASSERT_EQUAL(db_notification_attempted(db, nt.id, DB_STATE_PENDING, 12000), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(db_notification_get(db, nt.id, &ng), 0);
	CU_ASSERT_EQUAL(ng.state, DB_STATE_DELIVERED);
	CU_ASSERT_EQUAL(ng.attempts, 2);
	db_notification_clear(&ng);
	CU_ASSERT_EQUAL(db_notification_due(db, 100000, 10, &nv, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(db_notification_attempted(db, 999999, DB_STATE_DELIVERED, -1), -ENOENT);
	nt.push = 999999;
	nt.delivery = 0;
	CU_ASSERT_EQUAL(db_notification_insert(db, &nt), -ENOENT);
	db_close(db);

	/* asking for version 1 again does not downgrade */
	CU_ASSERT_EQUAL_FATAL(db_open_at_version(path, 1, &db), 0);
	CU_ASSERT_EQUAL(db_schema_version(db), DB_SCHEMA_VERSION);
	db_close(db);
}

/* The last column of every row of sql (EXPLAIN QUERY PLAN: its detail) on
 * the file at path (a fresh connection), joined by "|" into out; "" when
 * there is no row. */
static void sql_text(const char *path, const char *sql, char *out, size_t cap)
{
	sqlite3 *sq = NULL;
	sqlite3_stmt *st = NULL;
	out[0] = '\0';
	CU_ASSERT_EQUAL_FATAL(sqlite3_open_v2(path, &sq, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	CU_ASSERT_EQUAL_FATAL(sqlite3_prepare_v2(sq, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, sqlite3_column_count(st) - 1);
		size_t l = strlen(out);
		snprintf(out + l, cap - l, "%s%s", l ? "|" : "", t ? t : "");
	}
	sqlite3_finalize(st);
	sqlite3_close(sq);
}

/* Schema 12 from a version-9 file: the transitions stay, in their order;
 * the index transition_delivery is gone and the list of a delivery's
 * transitions reads a range of the table's key; a new transition comes
 * after the old ones; deleting a push still deletes its transitions. */
static void test_upgrade_transitions_v9(void)
{
	const char *path = db_path("upgrade9-transition");
	struct db *db = NULL;
	struct db_delivery *dv = NULL;
	struct db_transition *tv = NULL;
	size_t n = 0, nd = 0;
	char out[1024];

	CU_ASSERT_EQUAL_FATAL(db_open_at_version(path, 9, &db), 0);
	CU_ASSERT_EQUAL(db_schema_version(db), 9);
	int64_t p1 = add_push(db, "pi", "u9-1", 1, one_addr, 1000);
	add_push(db, "pi", "u9-2", 1, one_addr, 1001);
	CU_ASSERT_EQUAL_FATAL(db_delivery_list(db, p1, &dv, &nd), 0);
	CU_ASSERT_EQUAL_FATAL(nd, 1);
	int64_t d1 = dv[0].id;
	CU_ASSERT_EQUAL(d1, 1);   /* the queries below name it */
	db_delivery_list_free(dv, nd);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, d1, DB_STATE_PENDING, 0, "retry", 2000, 2500), 0);
	db_close(db);
	sql_text(path, "SELECT name FROM sqlite_master WHERE tbl_name = 'transition' ORDER BY name", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "transition|transition_delivery");

	CU_ASSERT_EQUAL_FATAL(t_open(path, 0, &db), 0);
	CU_ASSERT_EQUAL(db_schema_version(db), DB_SCHEMA_VERSION);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, d1, DB_STATE_DELIVERED, 1000, NULL, 3000, -1), 0);
	CU_ASSERT_EQUAL_FATAL(db_transition_list(db, d1, &tv, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT(tv[0].time == 1000 && tv[0].state == DB_STATE_PENDING);
	CU_ASSERT(tv[1].time == 2000 && tv[1].state == DB_STATE_PENDING);
	check_str(tv[1].note, "retry");
	CU_ASSERT(tv[2].time == 3000 && tv[2].state == DB_STATE_DELIVERED && tv[2].code == 1000);
	db_transition_list_free(tv, n);
	db_close(db);

	sql_text(path, "SELECT name FROM sqlite_master WHERE tbl_name = 'transition' ORDER BY name", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "transition");
	/* a delivery's transitions: one range of the key, no index beside it */
	sql_text(path, "EXPLAIN QUERY PLAN SELECT delivery, time, state, code, note FROM transition"
	    " WHERE delivery = 1 ORDER BY time, id", out, sizeof out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "USING PRIMARY KEY (delivery=?)"));
	/* ids in the order of insertion, per delivery: the old ones kept */
	sql_text(path, "SELECT group_concat(id || ':' || time) FROM (SELECT id, time FROM transition"
	    " WHERE delivery = 1 ORDER BY delivery, id)", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "1:1000,3:2000,4:3000");
	/* delivery_due holds the deliveries not final only, and the due query,
	 * the count of pending ones and the start-up recovery (the statements
	 * of db_sql.c) still read it */
	sql_text(path, "SELECT sql FROM sqlite_master WHERE name = 'delivery_due'", out, sizeof out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "WHERE state IN (1, 9)"));
	sql_text(path, "SELECT count(*) FROM delivery INDEXED BY delivery_due WHERE state IN (1, 9)", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "1");   /* the delivery of u9-2; u9-1's was delivered */
	sql_text(path, "EXPLAIN QUERY PLAN SELECT id FROM delivery WHERE state = 1 AND state IN (1, 9)"
	    " AND priority = 2 AND next_attempt <= 5 ORDER BY next_attempt, id LIMIT 10", out, sizeof out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "delivery_due (state=? AND priority=? AND next_attempt<?)"));
	CU_ASSERT_PTR_NULL(strstr(out, "TEMP B-TREE"));
	sql_text(path, "EXPLAIN QUERY PLAN SELECT count(*) FROM delivery WHERE state = 1 AND state IN (1, 9)",
	    out, sizeof out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "COVERING INDEX delivery_due (state=?)"));
	sql_text(path, "EXPLAIN QUERY PLAN UPDATE delivery SET next_attempt = 0 WHERE state = 1"
	    " AND state IN (1, 9) AND next_attempt > 5", out, sizeof out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "INDEX delivery_due (state=?)"));
}

static void test_newer_file_refused(void)
{
	const char *path = db_path("newer");
	struct db *db = NULL;

	CU_ASSERT_EQUAL_FATAL(t_open(path, 0, &db), 0);
	add_push(db, "pi", "x", 1, one_addr, 1);
	db_close(db);
	CU_ASSERT_EQUAL_FATAL(patch_user_version(path, 99), 0);

	db = (struct db *)1;
	CU_ASSERT_EQUAL(t_open(path, 0, &db), -EPROTO);
	CU_ASSERT_PTR_NULL(db);
	CU_ASSERT_PTR_NOT_NULL(strstr(db_errmsg(NULL), "99"));
	CU_ASSERT_EQUAL(t_open(path, DB_OPEN_READONLY, &db), -EPROTO);
	CU_ASSERT_EQUAL(db_open_at_version(path, 1, &db), -EPROTO);
	CU_ASSERT_PTR_NULL(db);
}

static void test_readonly_sees_committed(void)
{
	const char *path = db_path("wal");
	struct db *w = NULL, *r = NULL;
	struct db_push got;
	int64_t n = -1;

	/* no file yet; on PostgreSQL a database without the schema */
	CU_ASSERT_EQUAL(t_open(path, DB_OPEN_READONLY, &r),
	    engine == DB_ENGINE_SQLITE ? -EIO : -EPROTO);
	CU_ASSERT_PTR_NULL(r);
	CU_ASSERT_EQUAL_FATAL(t_open(path, 0, &w), 0);
	int64_t a = add_push(w, "pi", "a", 1, one_addr, 1);
	CU_ASSERT_EQUAL_FATAL(db_begin(w), 0);
	add_push(w, "pi", "b", 1, one_addr, 2);

	/* the writer holds its transaction open; the reader is not blocked */
	CU_ASSERT_EQUAL_FATAL(t_open(path, DB_OPEN_READONLY, &r), 0);
	CU_ASSERT_EQUAL(db_schema_version(r), DB_SCHEMA_VERSION);
	CU_ASSERT_EQUAL_FATAL(db_push_find(r, "pi", "a", 0, &got), 0);
	CU_ASSERT_EQUAL(got.id, a);
	db_push_clear(&got);
	CU_ASSERT_EQUAL(db_push_find(r, "pi", "b", 0, &got), -ENOENT);
	CU_ASSERT_EQUAL(db_count_pushes(r, &n), 0);
	CU_ASSERT_EQUAL(n, 1);

	/* a reader cannot write */
	struct db_push p;
	memset(&p, 0, sizeof p);
	p.pi = "pi";
	p.push_id = "c";
	p.state = DB_STATE_PENDING;
	CU_ASSERT_EQUAL(db_push_insert(r, &p, NULL, 0), -EIO);
	CU_ASSERT(strlen(db_errmsg(r)) > 0);
	CU_ASSERT_EQUAL(p.id, 0);

	CU_ASSERT_EQUAL_FATAL(db_commit(w), 0);
	CU_ASSERT_EQUAL(db_push_find(r, "pi", "b", 0, &got), 0);
	db_push_clear(&got);
	CU_ASSERT_EQUAL(db_count_pushes(r, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	db_close(r);
	db_close(w);
}

/* DB_SYNC_EXTERNAL: commits without fsync, db_sync() makes them durable. */
static void test_external_sync(void)
{
	struct db *db = NULL;
	CU_ASSERT_EQUAL_FATAL(t_open(db_path("xsync"), DB_SYNC_EXTERNAL, &db), 0);
	CU_ASSERT_EQUAL(db_sync(db), 0);
	CU_ASSERT_EQUAL(db_begin(db), 0);
	add_push(db, "pi", "x1", 1, one_addr, 1000);
	CU_ASSERT_EQUAL(db_commit(db), 0);
	CU_ASSERT_EQUAL(db_sync(db), 0);
	CU_ASSERT_EQUAL(db_sync(db), 0);
	CU_ASSERT_EQUAL(db_sync(NULL), -EINVAL);
	db_close(db);
	CU_ASSERT_EQUAL_FATAL(t_open(db_path("xsync"), 0, &db), 0);
	struct db_push p = { 0 };
	CU_ASSERT_EQUAL(db_push_find(db, "pi", "x1", 0, &p), 0);
	db_push_clear(&p);
	db_close(db);
}

static void *count_on_thread(void *arg)
{
	int64_t n = -1;
	int claim = ((intptr_t *)arg)[1] != 0;
	struct db *db = (struct db *)((intptr_t *)arg)[0];
	if (claim)
		db_claim(db);
	((intptr_t *)arg)[2] = db_count_pushes(db, &n) == 0 ? 1 : 0;
	return NULL;
}

/* Runs db_count_pushes on a second thread (which claims the handle first
 * when claim is set) in a child process; returns the child's wait status. */
static int use_from_thread(const char *path, int claim)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct db *db = NULL;
		if (t_open(path, 0, &db) < 0)
			_exit(3);
		intptr_t arg[3] = { (intptr_t)db, claim, 0 };
		pthread_t t;
		if (pthread_create(&t, NULL, count_on_thread, arg))
			_exit(4);
		pthread_join(t, NULL);
		_exit(arg[2] ? 0 : 5);   /* no db_close: the thread owns it now */
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return st;
}

/* One thread owns a handle: another that runs a statement on it stops the
 * process (debug builds), unless it claimed the handle first. */
static void test_owner_thread(void)
{
	const char *path = db_path("owner");
	struct db *db = NULL;
	CU_ASSERT_EQUAL_FATAL(t_open(path, 0, &db), 0);
	db_close(db);
	int st = use_from_thread(path, 1);
	CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
#ifndef NDEBUG
	st = use_from_thread(path, 0);
	CU_ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
#endif
}

/* PostgreSQL: a database at an older schema version (9) with rows is
 * brought to the current one on open; rows and every function still work. */
static void test_pg_upgrade(void)
{
	const char *ci = db_path("pgupgrade");
	struct db_conf c = { .engine = DB_ENGINE_POSTGRESQL, .conninfo = ci };
	struct db *db = NULL;
	struct db_push p;
	struct db_delivery d[3];

	CU_ASSERT_EQUAL(db_open_config_at_version(&c, 0, &db), -EINVAL);
	/* version 9: before the bindings' origin (schema 10), so that its
	 * step's UPDATE of the older rows runs here */
	CU_ASSERT_EQUAL_FATAL(db_open_config_at_version(&c, 9, &db), 0);
	CU_ASSERT_EQUAL(db_schema_version(db), 9);
	insert_full(db, &p, d);
	db_close(db);
	CU_ASSERT_EQUAL_FATAL(tpg_sql(pg, "pgupgrade", "INSERT INTO binding (aor, contact, apps, expires,"
	    " updated, call_id, cseq) VALUES ('sip:a@x', 'sip:a@1', '', 9000, 1, 'c1', 1),"
	    " ('sip:a@x', 'sip:a@2', '', 9000, 2, 'reg-event', 0)"), 0);
	CU_ASSERT_EQUAL_FATAL(tpg_sql(pg, "pgupgrade", "INSERT INTO subscription (aor, call_id, remote_tag,"
	    " apps, expires, updated) VALUES ('sip:a@x', 'sc1', 'st1', 'mms.ua', 9000, 1)"), 0);

	CU_ASSERT_EQUAL_FATAL(db_open_config(&c, 0, &db), 0);
	CU_ASSERT_EQUAL(db_schema_version(db), DB_SCHEMA_VERSION);
	CU_ASSERT_EQUAL(db_engine_of(db), DB_ENGINE_POSTGRESQL);
	check_full(db, &p, d);
	/* schema 10: the bindings' origin */
	struct db_binding *bv10 = NULL;
	size_t n10 = 0;
	CU_ASSERT_EQUAL_FATAL(db_binding_list(db, "sip:a@x", 0, &bv10, &n10), 0);
	CU_ASSERT_EQUAL_FATAL(n10, 2);
	CU_ASSERT_EQUAL(bv10[0].origin, DB_ORIGIN_REGINFO);
	CU_ASSERT_EQUAL(bv10[1].origin, DB_ORIGIN_REGISTER);
	CU_ASSERT_PTR_NULL(bv10[1].temp_gruu);
	db_binding_list_free(bv10, n10);
	/* schema 14: a subscription from before names no holder of its dialog */
	struct db_subscription *sv = NULL;
	size_t sn = 0;
	CU_ASSERT_EQUAL_FATAL(db_subscription_list(db, "sip:a@x", 0, &sv, &sn), 0);
	CU_ASSERT_EQUAL_FATAL(sn, 1);
	check_str(sv[0].apps, "mms.ua");
	CU_ASSERT_PTR_NULL(sv[0].node);
	db_subscription_list_free(sv, sn);
	struct db_push_filter f = { .state = -1, .limit = 10, .pi = p.pi };
	struct db_push_brief *bv = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL(db_push_search(db, &f, &bv, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	db_push_brief_list_free(bv, n);
	db_close(db);

	/* a database newer than this binary is refused */
	CU_ASSERT_EQUAL_FATAL(tpg_sql(pg, "pgupgrade", "UPDATE ppgd_schema SET version = 99"), 0);
	CU_ASSERT_EQUAL(db_open_config(&c, 0, &db), -EPROTO);
	CU_ASSERT_PTR_NULL(db);
	CU_ASSERT(strstr(db_errmsg(NULL), "newer") != NULL);
	CU_ASSERT_EQUAL(db_open_config(&c, DB_OPEN_READONLY, &db), -EPROTO);
}

/* PostgreSQL: a server that cannot be reached, and one that goes away under
 * an open handle: -EIO with the reason. */
static void test_pg_connection(void)
{
	struct db_conf c = { .engine = DB_ENGINE_POSTGRESQL,
		.conninfo = "host=/nonexistent-dir dbname=x connect_timeout=2" };
	struct db *db = NULL;

	CU_ASSERT_EQUAL(db_open_config(&c, 0, &db), -EIO);
	CU_ASSERT_PTR_NULL(db);
	CU_ASSERT(strstr(db_errmsg(NULL), "connect") != NULL);
	c.conninfo = NULL;
	CU_ASSERT_EQUAL(db_open_config(&c, 0, &db), -EINVAL);
	CU_ASSERT_EQUAL(db_open_config(NULL, 0, &db), -EINVAL);
	CU_ASSERT_EQUAL(db_open_config(&c, 0, NULL), -EINVAL);

	c.conninfo = db_path("pgconn");
	CU_ASSERT_EQUAL_FATAL(db_open_config(&c, 0, &db), 0);
	CU_ASSERT_EQUAL(db_sync(db), 0);            /* synchronous_commit: a no-op */
	int frames = -1, moved = -1;
	CU_ASSERT_EQUAL(db_checkpoint(db, 1, &frames, &moved), 0);
	CU_ASSERT_EQUAL(frames, 0);
	CU_ASSERT_EQUAL(db_wal_frames(db), 0);
	/* the server ends this connection */
	CU_ASSERT_EQUAL_FATAL(tpg_sql(pg, "pgconn", "SELECT pg_terminate_backend(pid) FROM"
	    " pg_stat_activity WHERE datname = 'pgconn' AND pid <> pg_backend_pid()"), 0);
	int64_t n = -1;
	CU_ASSERT_EQUAL(db_count_pushes(db, &n), -EIO);
	CU_ASSERT(strlen(db_errmsg(db)) > 0);
	CU_ASSERT_EQUAL(db_begin(db), -EIO);
	db_close(db);
}

/* SQLite: a schema-9 file with bindings gets step 10: origin REGISTER, but
 * REGISTER for the reg event's placeholder Call-ID; no temp-gruus. */
static void test_upgrade_from_v9(void)
{
	const char *path = db_path("upgrade9-origin");
	struct db *db = NULL;
	sqlite3 *sq = NULL;
	CU_ASSERT_EQUAL_FATAL(db_open_at_version(path, 9, &db), 0);
	CU_ASSERT_EQUAL(db_schema_version(db), 9);
	db_close(db);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &sq), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(sq, "INSERT INTO binding (aor, contact, apps, expires, updated, call_id,"
	    " cseq) VALUES ('sip:a@x', 'sip:a@1', '', 9000, 1, 'c1', 1),"
	    " ('sip:a@x', 'sip:a@2', '', 9000, 2, 'reg-event', 0)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(sq);
	CU_ASSERT_EQUAL_FATAL(t_open(path, 0, &db), 0);
	CU_ASSERT_EQUAL(db_schema_version(db), DB_SCHEMA_VERSION);
	struct db_binding *v = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(db_binding_list(db, "sip:a@x", 0, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	check_str(v[0].contact, "sip:a@2");
	CU_ASSERT_EQUAL(v[0].origin, DB_ORIGIN_REGINFO);
	CU_ASSERT_EQUAL(v[1].origin, DB_ORIGIN_REGISTER);
	CU_ASSERT_PTR_NULL(v[1].temp_gruu);
	db_binding_list_free(v, n);
	CU_ASSERT_EQUAL(db_binding_drop_origin(db, "sip:a@x", DB_ORIGIN_REGINFO), 1);
	CU_ASSERT_EQUAL(db_binding_delete_unowned(db, "sip:a@x"), 1);
	db_close(db);
}

/* SQLite: a schema-13 file with a subscription gets step 14: the row names
 * no holder of its dialog (node NULL), keeps what it enrolled, and is
 * listed, refreshed (then naming this handle's node) and released on the
 * upgraded file; a handle at 13 reads and writes it without the column. */
static void test_upgrade_from_v13(void)
{
	const char *path = db_path("upgrade13-sub");
	struct db *db = NULL;
	struct db_subscription *v = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(db_open_at_version(path, 13, &db), 0);
	CU_ASSERT_EQUAL(db_schema_version(db), 13);
	CU_ASSERT_EQUAL(db_set_node(db, "node-x"), 0);
	struct db_subscription a = { .aor = "sip:a@x", .call_id = "sc1", .remote_tag = "st1",
		.apps = "mms.ua", .expires = 9000, .updated = 1 };
	CU_ASSERT_EQUAL(db_subscription_upsert(db, &a), 0);
	CU_ASSERT_EQUAL_FATAL(db_subscription_list(db, "sip:a@x", 0, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_PTR_NULL(v[0].node);
	db_subscription_list_free(v, n);
	CU_ASSERT_EQUAL(db_subscription_release_node(db), 0);   /* no column yet */
	db_close(db);

	CU_ASSERT_EQUAL_FATAL(t_open(path, 0, &db), 0);
	CU_ASSERT_EQUAL(db_schema_version(db), DB_SCHEMA_VERSION);
	CU_ASSERT_EQUAL(db_set_node(db, "node-x"), 0);
	CU_ASSERT_EQUAL_FATAL(db_subscription_list(db, NULL, 0, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_PTR_NULL(v[0].node);
	check_str(v[0].apps, "mms.ua");
	check_str(v[0].call_id, "sc1");
	db_subscription_list_free(v, n);
	CU_ASSERT_EQUAL(db_subscription_release_node(db), 0);   /* it names nobody */
	a.updated = 2;
	CU_ASSERT_EQUAL(db_subscription_upsert(db, &a), 0);     /* a refresh in this run */
	CU_ASSERT_EQUAL_FATAL(db_subscription_list(db, "sip:a@x", 0, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	check_str(v[0].node, "node-x");
	CU_ASSERT_EQUAL(v[0].updated, 2);
	db_subscription_list_free(v, n);
	CU_ASSERT_EQUAL(db_subscription_release_node(db), 1);
	db_close(db);
}

static const struct t_case cases[] = {
	{ "fresh file: the current schema, WAL", test_fresh_schema_wal, 1 },
	{ "a handle used from a thread that does not own it", test_owner_thread, 0 },
	{ "close and reopen keeps rows", test_reopen_persists, 0 },
	{ "upgrade from schema 1", test_upgrade_from_v1, 1 },
	{ "upgrade from schema 9: transitions keyed by delivery", test_upgrade_transitions_v9, 1 },
	{ "newer file refused", test_newer_file_refused, 1 },
	{ "read-only handle beside the writer", test_readonly_sees_committed, 0 },
	{ "upgrade from schema 9: bindings' origin", test_upgrade_from_v9, 1 },
	{ "upgrade from schema 13: subscriptions name no holder", test_upgrade_from_v13, 1 },
	{ "commits made durable by db_sync", test_external_sync, 0 },
};

/* Run on PostgreSQL only. */
static const struct t_case pg_cases[] = {
	{ "upgrade from the previous schema version", test_pg_upgrade, 0 },
	{ "unreachable and lost server", test_pg_connection, 0 },
};

int main(void)
{
	return db_common_run("test_db_schema", cases, sizeof cases / sizeof cases[0], pg_cases,
	    sizeof pg_cases / sizeof pg_cases[0]);
}
