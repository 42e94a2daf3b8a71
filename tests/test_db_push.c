/*
 * test_db_push.c - db/ on both engines: pushes and deliveries. Every row
 * field read back, the push-id uniqueness rules, replaced pushes, state
 * transitions and the summary, savepoints inside a batch, due deliveries
 * and their order, bad arguments, expiry, the operator's search.
 *
 * The same suite runs a second time on PostgreSQL, on a server the test
 * starts itself (test_db_pg.c: one database per test name), without the tests
 * that are about SQLite files. Skipped with a message when the PostgreSQL
 * binaries are absent. Shared rows and checks: tests/db_common.c (split from
 * test_db.c).
 */
#include "tests/db_common.h"

/* ---------------------------------------------------------------- tests */

static void test_insert_read_back(void)
{
	struct db *db = NULL;
	struct db_push p;
	struct db_delivery d[3];
	int64_t n = -1;

	CU_ASSERT_EQUAL_FATAL(t_open(db_path("readback"), 0, &db), 0);
	insert_full(db, &p, d);
	check_full(db, &p, d);
	CU_ASSERT_EQUAL(db_count_pushes(db, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(db_count_deliveries_in_state(db, DB_STATE_PENDING, &n), 0);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(db_count_deliveries_in_state(db, DB_STATE_DELIVERED, &n), 0);
	CU_ASSERT_EQUAL(n, 0);

	/* a push without content, optional strings NULL, and an empty body */
	struct db_push q, got;
	memset(&q, 0, sizeof q);
	q.pi = "mmsc";
	q.push_id = "bare";
	q.state = DB_STATE_REJECTED;
	q.received_time = 5;
	q.state_time = 7;
	q.content_body = (unsigned char *)"";
	CU_ASSERT_EQUAL_FATAL(db_push_insert(db, &q, NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(db_push_get(db, q.id, 1, &got), 0);
	CU_ASSERT_EQUAL(got.state, DB_STATE_REJECTED);
	CU_ASSERT_EQUAL(got.state_time, 7);
	CU_ASSERT_PTR_NULL(got.replace_push_id);
	CU_ASSERT_PTR_NULL(got.notify_to);
	CU_ASSERT_PTR_NULL(got.content_headers);
	CU_ASSERT_EQUAL(got.content_headers_len, 0);
	CU_ASSERT_PTR_NOT_NULL(got.content_body);   /* empty, not absent */
	CU_ASSERT_EQUAL(got.content_len, 0);
	db_push_clear(&got);
	db_close(db);
}

static void test_duplicate_push_id(void)
{
	struct db *db = NULL;
	struct db_push p, got;
	struct db_delivery d[3];
	int64_t n = -1;

	CU_ASSERT_EQUAL_FATAL(t_open(db_path("dup"), 0, &db), 0);
	int64_t a = add_push(db, "pi-a", "same", 1, one_addr, 10);

	/* same (pi, push_id): refused, and nothing of it stays */
	memset(&p, 0, sizeof p);
	p.pi = "pi-a";
	p.push_id = "same";
	p.state = DB_STATE_PENDING;
	for (int i = 0; i < 3; i++)
		fill_delivery(&d[i], three_addr[i], NULL, 20);
	CU_ASSERT_EQUAL(db_push_insert(db, &p, d, 3), -EEXIST);
	CU_ASSERT_EQUAL(p.id, 0);
	CU_ASSERT_EQUAL(d[0].id, 0);
	CU_ASSERT_EQUAL(d[2].push, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(db_errmsg(db), "already exists"));
	CU_ASSERT_EQUAL(db_count_pushes(db, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(db_count_deliveries_in_state(db, DB_STATE_PENDING, &n), 0);
	CU_ASSERT_EQUAL(n, 1);

	/* the same push-id under another PI is another push */
	p.pi = "pi-b";
	CU_ASSERT_EQUAL(db_push_insert(db, &p, d, 3), 0);
	CU_ASSERT(p.id > a);
	CU_ASSERT_EQUAL(db_push_find(db, "pi-a", "same", 0, &got), 0);
	CU_ASSERT_EQUAL(got.id, a);
	db_push_clear(&got);
	CU_ASSERT_EQUAL(db_push_find(db, "pi-b", "same", 0, &got), 0);
	CU_ASSERT_EQUAL(got.id, p.id);
	db_push_clear(&got);
	CU_ASSERT_EQUAL(db_push_find(db, "pi-c", "same", 0, &got), -ENOENT);
	CU_ASSERT_EQUAL(db_count_deliveries_in_state(db, DB_STATE_PENDING, &n), 0);
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_EQUAL(db_push_count_for_pi(db, "pi-a", &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(db_push_count_for_pi(db, "pi-b", &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(db_push_count_for_pi(db, "nobody", &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	db_close(db);
}

static void test_replaced(void)
{
	struct db *db = NULL;
	struct db_push got, p;
	struct db_delivery d;
	int64_t n = -1;

	CU_ASSERT_EQUAL_FATAL(t_open(db_path("replaced"), 0, &db), 0);
	int64_t a = add_push(db, "pi", "r1", 1, one_addr, 10);
	int64_t b = add_push(db, "pi", "r2", 1, one_addr, 20);
	CU_ASSERT_EQUAL(db_push_set_replaced(db, a, b), 0);
	CU_ASSERT_EQUAL(db_push_find(db, "pi", "r1", 0, &got), -ENOENT);
	int64_t c = add_push(db, "pi", "r1", 1, one_addr, 30);
	CU_ASSERT(c > b);
	CU_ASSERT_EQUAL_FATAL(db_push_find(db, "pi", "r1", 0, &got), 0);
	CU_ASSERT_EQUAL(got.id, c);
	CU_ASSERT_EQUAL(got.replaced_by, 0);
	db_push_clear(&got);
	CU_ASSERT_EQUAL_FATAL(db_push_get(db, a, 0, &got), 0);
	CU_ASSERT_EQUAL(got.replaced_by, b);
	check_str(got.push_id, "r1");
	db_push_clear(&got);
	CU_ASSERT_EQUAL(db_push_count_for_pi(db, "pi", &n), 0);
	CU_ASSERT_EQUAL(n, 3);  /* replaced ones count */

	CU_ASSERT_EQUAL(db_push_set_replaced(db, a, 999999), -ENOENT);
	CU_ASSERT_EQUAL(db_push_set_replaced(db, 999999, b), -ENOENT);
	CU_ASSERT_EQUAL(db_push_set_replaced(db, b, b), -EINVAL);

	/* db_push_replace: the new push takes over the very same push-id */
	memset(&p, 0, sizeof p);
	p.pi = "pi";
	p.push_id = "r1";
	p.state = DB_STATE_PENDING;
	p.received_time = 40;
	fill_delivery(&d, one_addr[0], "+15550001", 40);
	CU_ASSERT_EQUAL_FATAL(db_push_replace(db, c, &p, &d, 1), 0);
	CU_ASSERT(p.id > c);
	CU_ASSERT_EQUAL(d.push, p.id);
	CU_ASSERT_EQUAL_FATAL(db_push_find(db, "pi", "r1", 0, &got), 0);
	CU_ASSERT_EQUAL(got.id, p.id);
	db_push_clear(&got);
	CU_ASSERT_EQUAL_FATAL(db_push_get(db, c, 0, &got), 0);
	CU_ASSERT_EQUAL(got.replaced_by, p.id);
	db_push_clear(&got);
	int64_t e = p.id;
	/* c is no longer current; unknown old */
	CU_ASSERT_EQUAL(db_push_replace(db, c, &p, &d, 1), -EEXIST);
	CU_ASSERT_EQUAL(db_push_replace(db, 999999, &p, &d, 1), -ENOENT);

	/* a replace whose insert fails undoes the mark on the old push too */
	p.push_id = "r2";   /* taken by b */
	CU_ASSERT_EQUAL(db_push_replace(db, e, &p, &d, 1), -EEXIST);
	CU_ASSERT_EQUAL(p.id, 0);
	CU_ASSERT_EQUAL_FATAL(db_push_get(db, e, 0, &got), 0);
	CU_ASSERT_EQUAL(got.replaced_by, 0);
	db_push_clear(&got);
	CU_ASSERT_EQUAL_FATAL(db_push_find(db, "pi", "r1", 0, &got), 0);
	CU_ASSERT_EQUAL(got.id, e);
	db_push_clear(&got);
	CU_ASSERT_EQUAL(db_count_pushes(db, &n), 0);
	CU_ASSERT_EQUAL(n, 4);
	db_close(db);
}

/* The push's stored summary state and state_time. */
static void check_summary(struct db *db, int64_t id, int state, int64_t t)
{
	struct db_push got;
	CU_ASSERT_EQUAL_FATAL(db_push_update_state(db, id), 0);
	CU_ASSERT_EQUAL_FATAL(db_push_get(db, id, 0, &got), 0);
	CU_ASSERT_EQUAL(got.state, state);
	CU_ASSERT_EQUAL(got.state_time, t);
	db_push_clear(&got);
}

static void test_transitions_and_summary(void)
{
	struct db *db = NULL;
	struct db_delivery *dv = NULL;
	struct db_transition *tv = NULL;
	size_t n = 0, nt = 0;
	int64_t cnt = -1;

	CU_ASSERT_EQUAL_FATAL(t_open(db_path("trans"), 0, &db), 0);
	int64_t p = add_push(db, "pi", "t1", 3, three_addr, 100);
	CU_ASSERT_EQUAL_FATAL(db_delivery_list(db, p, &dv, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	int64_t d0 = dv[0].id, d1 = dv[1].id, d2 = dv[2].id;
	db_delivery_list_free(dv, n);

	check_summary(db, p, DB_STATE_PENDING, 100);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, d0, DB_STATE_INFLIGHT, 0, "sip MESSAGE", 200, -1), 0);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, d0, DB_STATE_PENDING, 4001, "503", 250, 1250), 0);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, d0, DB_STATE_INFLIGHT, 0, NULL, 1250, -1), 0);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, d0, DB_STATE_DELIVERED, 1000, "200 OK", 1300, -1), 0);
	check_summary(db, p, DB_STATE_PENDING, 100);   /* d1, d2 still pending */
	CU_ASSERT_EQUAL(db_count_deliveries_in_state(db, DB_STATE_DELIVERED, &cnt), 0);
	CU_ASSERT_EQUAL(cnt, 1);

	CU_ASSERT_EQUAL_FATAL(db_transition_list(db, d0, &tv, &nt), 0);
	CU_ASSERT_EQUAL_FATAL(nt, 5);
	static const int64_t times[5] = { 100, 200, 250, 1250, 1300 };
	static const int states[5] = { DB_STATE_PENDING, DB_STATE_INFLIGHT, DB_STATE_PENDING,
		DB_STATE_INFLIGHT, DB_STATE_DELIVERED };
	static const int codes[5] = { 1001, 0, 4001, 0, 1000 };
	for (int i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(tv[i].delivery, d0);
		CU_ASSERT_EQUAL(tv[i].time, times[i]);
		CU_ASSERT_EQUAL(tv[i].state, states[i]);
		CU_ASSERT_EQUAL(tv[i].code, codes[i]);
	}
	check_str(tv[0].note, "accepted");
	check_str(tv[2].note, "503");
	check_str(tv[3].note, NULL);
	check_str(tv[4].note, "200 OK");
	db_transition_list_free(tv, nt);

	/* the delivery row: last transition, two attempts, next_attempt kept */
	struct db_delivery d;
	CU_ASSERT_EQUAL_FATAL(db_delivery_find_by_address(db, p, three_addr[1], &d), 0);
	CU_ASSERT_EQUAL(d.id, d0);  /* three_addr[1] sorts first */
	CU_ASSERT_EQUAL(d.state, DB_STATE_DELIVERED);
	CU_ASSERT_EQUAL(d.code, 1000);
	check_str(d.desc, "200 OK");
	CU_ASSERT_EQUAL(d.event_time, 1300);
	CU_ASSERT_EQUAL(d.attempts, 2);
	CU_ASSERT_EQUAL(d.next_attempt, 1250);
	db_delivery_clear(&d);

	/* all final and equal -> that state; time of the latest transition */
	CU_ASSERT_EQUAL(db_delivery_set_state(db, d1, DB_STATE_DELIVERED, 1000, NULL, 1500, -1), 0);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, d2, DB_STATE_DELIVERED, 1000, NULL, 1400, -1), 0);
	check_summary(db, p, DB_STATE_DELIVERED, 1500);
	check_summary(db, p, DB_STATE_DELIVERED, 1500);   /* idempotent */

	/* mixed finals with one delivered -> delivered */
	int64_t q = add_push(db, "pi", "t2", 2, three_addr, 100);
	CU_ASSERT_EQUAL_FATAL(db_delivery_list(db, q, &dv, &n), 0);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, dv[0].id, DB_STATE_DELIVERED, 1000, NULL, 300, -1), 0);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, dv[1].id, DB_STATE_UNDELIVERABLE, 2003, NULL, 900, -1), 0);
	check_summary(db, q, DB_STATE_DELIVERED, 900);
	db_delivery_list_free(dv, n);

	/* mixed finals without delivered -> the latest transition's state */
	int64_t r = add_push(db, "pi", "t3", 3, three_addr, 100);
	CU_ASSERT_EQUAL_FATAL(db_delivery_list(db, r, &dv, &n), 0);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, dv[0].id, DB_STATE_UNDELIVERABLE, 2003, NULL, 300, -1), 0);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, dv[1].id, DB_STATE_EXPIRED, 2004, NULL, 600, -1), 0);
	check_summary(db, r, DB_STATE_PENDING, 100);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, dv[2].id, DB_STATE_TIMEOUT, 4000, NULL, 400, -1), 0);
	check_summary(db, r, DB_STATE_EXPIRED, 600);
	db_delivery_list_free(dv, n);

	/* all undeliverable -> undeliverable */
	int64_t s = add_push(db, "pi", "t4", 2, three_addr, 100);
	CU_ASSERT_EQUAL_FATAL(db_delivery_list(db, s, &dv, &n), 0);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, dv[0].id, DB_STATE_UNDELIVERABLE, 2001, NULL, 700, -1), 0);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, dv[1].id, DB_STATE_UNDELIVERABLE, 2001, NULL, 800, -1), 0);
	check_summary(db, s, DB_STATE_UNDELIVERABLE, 800);
	db_delivery_list_free(dv, n);

	/* refused moves record nothing */
	CU_ASSERT_EQUAL(db_delivery_set_state(db, d1, DB_STATE_UNKNOWN, 0, NULL, 9, -1), -EINVAL);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, d1, DB_STATE_INFLIGHT + 1, 0, NULL, 9, -1), -EINVAL);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, 999999, DB_STATE_PENDING, 0, NULL, 9, -1), -ENOENT);
	CU_ASSERT_EQUAL(db_transition_list(db, 999999, &tv, &nt), 0);
	CU_ASSERT_EQUAL(nt, 0);
	CU_ASSERT_PTR_NULL(tv);
	CU_ASSERT_EQUAL_FATAL(db_transition_list(db, d1, &tv, &nt), 0);
	CU_ASSERT_EQUAL(nt, 2);
	db_transition_list_free(tv, nt);
	CU_ASSERT_EQUAL(db_push_update_state(db, 999999), -ENOENT);

	CU_ASSERT_EQUAL(db_state_is_final(DB_STATE_PENDING), 0);
	CU_ASSERT_EQUAL(db_state_is_final(DB_STATE_INFLIGHT), 0);
	CU_ASSERT_EQUAL(db_state_is_final(DB_STATE_UNKNOWN), 0);
	for (int st = DB_STATE_DELIVERED; st <= DB_STATE_REJECTED; st++)
		CU_ASSERT_EQUAL(db_state_is_final(st), 1);
	CU_ASSERT_EQUAL(db_state_is_final(-1), 0);
	CU_ASSERT_EQUAL(db_state_is_final(42), 0);
	db_close(db);
}

static void test_savepoints_in_batch(void)
{
	struct db *db = NULL;
	struct db_push got;
	int64_t n = -1;

	CU_ASSERT_EQUAL_FATAL(t_open(db_path("batch"), 0, &db), 0);
	CU_ASSERT_EQUAL(db_savepoint_release(db), -EINVAL);
	CU_ASSERT_EQUAL(db_savepoint_rollback(db), -EINVAL);
	CU_ASSERT_EQUAL(db_commit(db), -EINVAL);

	CU_ASSERT_EQUAL_FATAL(db_begin(db), 0);
	CU_ASSERT_EQUAL(db_begin(db), -EINVAL);
	CU_ASSERT_EQUAL(db_savepoint(db), 0);
	add_push(db, "pi", "b1", 1, one_addr, 1);
	CU_ASSERT_EQUAL(db_savepoint_release(db), 0);
	CU_ASSERT_EQUAL(db_savepoint(db), 0);
	int64_t b2 = add_push(db, "pi", "b2", 3, three_addr, 2);
	CU_ASSERT_EQUAL(db_savepoint_rollback(db), 0);
	CU_ASSERT_EQUAL(db_savepoint(db), 0);
	add_push(db, "pi", "b3", 1, one_addr, 3);
	CU_ASSERT_EQUAL(db_savepoint_release(db), 0);
	/* a request that fails in the middle of the batch */
	CU_ASSERT_EQUAL(db_savepoint(db), 0);
	struct db_push p;
	memset(&p, 0, sizeof p);
	p.pi = "pi";
	p.push_id = "b1";
	p.state = DB_STATE_PENDING;
	CU_ASSERT_EQUAL(db_push_insert(db, &p, NULL, 0), -EEXIST);
	CU_ASSERT_EQUAL(db_savepoint_rollback(db), 0);
	CU_ASSERT_EQUAL(db_savepoint_rollback(db), -EINVAL);  /* none open */
	CU_ASSERT_EQUAL_FATAL(db_commit(db), 0);

	CU_ASSERT_EQUAL(db_push_find(db, "pi", "b1", 0, &got), 0);
	db_push_clear(&got);
	CU_ASSERT_EQUAL(db_push_find(db, "pi", "b2", 0, &got), -ENOENT);
	/* the row id b2 had inside its rolled-back savepoint went to b3: ids from
	 * a rolled-back request must be forgotten */
	CU_ASSERT_EQUAL_FATAL(db_push_find(db, "pi", "b3", 0, &got), 0);
	if (engine == DB_ENGINE_SQLITE)   /* PostgreSQL's identity never reuses one */
		CU_ASSERT_EQUAL(got.id, b2);
	db_push_clear(&got);
	CU_ASSERT_EQUAL(db_count_pushes(db, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(db_count_deliveries_in_state(db, DB_STATE_PENDING, &n), 0);
	CU_ASSERT_EQUAL(n, 2);

	/* a whole batch rolled back */
	CU_ASSERT_EQUAL_FATAL(db_begin(db), 0);
	CU_ASSERT_EQUAL(db_savepoint(db), 0);
	add_push(db, "pi", "b4", 1, one_addr, 4);
	CU_ASSERT_EQUAL(db_rollback(db), 0);
	CU_ASSERT_EQUAL(db_push_find(db, "pi", "b4", 0, &got), -ENOENT);
	CU_ASSERT_EQUAL(db_rollback(db), 0);   /* no transaction: no-op */

	/* a big batch, one savepoint per request, as the core does it */
	char id[32];
	CU_ASSERT_EQUAL_FATAL(db_begin(db), 0);
	for (int i = 0; i < 2000; i++) {
		snprintf(id, sizeof id, "bulk-%d", i);
		CU_ASSERT_EQUAL(db_savepoint(db), 0);
		add_push(db, "bulk", id, 1, one_addr, 10 + i);
		if (i % 100 == 7) {
			CU_ASSERT_EQUAL(db_savepoint_rollback(db), 0);
		} else {
			CU_ASSERT_EQUAL(db_savepoint_release(db), 0);
		}
	}
	CU_ASSERT_EQUAL_FATAL(db_commit(db), 0);
	CU_ASSERT_EQUAL(db_push_count_for_pi(db, "bulk", &n), 0);
	CU_ASSERT_EQUAL(n, 1980);
	CU_ASSERT_EQUAL(db_push_find(db, "bulk", "bulk-107", 0, &got), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(db_push_find(db, "bulk", "bulk-1999", 0, &got), 0);
	CU_ASSERT_EQUAL(got.received_time, 2009);
	db_push_clear(&got);
	db_close(db);
}

static void test_due_order(void)
{
	struct db *db = NULL;
	struct db_delivery *dv = NULL, *due = NULL;
	size_t n = 0, nd = 0;
	static const char *const addrs[5] = { "a0", "a1", "a2", "a3", "a4" };
	static const int64_t next[5] = { 0, 3000, 1000, 5000, 500 };

	CU_ASSERT_EQUAL_FATAL(t_open(db_path("due"), 0, &db), 0);
	CU_ASSERT_EQUAL(db_delivery_due(db, 1000000, 10, &due, &nd), 0);
	CU_ASSERT_EQUAL(nd, 0);
	CU_ASSERT_PTR_NULL(due);

	int64_t p = add_push(db, "pi", "due", 5, addrs, 1);
	CU_ASSERT_EQUAL_FATAL(db_delivery_list(db, p, &dv, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 5);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(db_delivery_set_state(db, dv[i].id, DB_STATE_PENDING, 0, NULL, 2,
		    next[i]), 0);
	/* a4 is done: never due, whatever its next_attempt */
	CU_ASSERT_EQUAL(db_delivery_set_state(db, dv[4].id, DB_STATE_DELIVERED, 1000, NULL, 3, -1), 0);

	CU_ASSERT_EQUAL_FATAL(db_delivery_due(db, 3000, 10, &due, &nd), 0);
	CU_ASSERT_EQUAL_FATAL(nd, 3);
	CU_ASSERT_EQUAL(due[0].id, dv[0].id);
	CU_ASSERT_EQUAL(due[1].id, dv[2].id);
	CU_ASSERT_EQUAL(due[2].id, dv[1].id);
	check_str(due[1].address, "a2");
	CU_ASSERT_EQUAL(due[1].next_attempt, 1000);
	CU_ASSERT_EQUAL(due[2].next_attempt, 3000);
	db_delivery_list_free(due, nd);

	CU_ASSERT_EQUAL_FATAL(db_delivery_due(db, 3000, 2, &due, &nd), 0);
	CU_ASSERT_EQUAL_FATAL(nd, 2);
	CU_ASSERT_EQUAL(due[0].id, dv[0].id);
	CU_ASSERT_EQUAL(due[1].id, dv[2].id);
	db_delivery_list_free(due, nd);

	CU_ASSERT_EQUAL(db_delivery_due(db, 3000, 0, &due, &nd), 0);
	CU_ASSERT_EQUAL(nd, 0);

	/* in flight: no longer due */
	CU_ASSERT_EQUAL(db_delivery_set_state(db, dv[0].id, DB_STATE_INFLIGHT, 0, NULL, 4, -1), 0);
	CU_ASSERT_EQUAL_FATAL(db_delivery_due(db, 999, 10, &due, &nd), 0);
	CU_ASSERT_EQUAL(nd, 0);
	CU_ASSERT_EQUAL_FATAL(db_delivery_due(db, INT64_MAX, SIZE_MAX, &due, &nd), 0);
	CU_ASSERT_EQUAL_FATAL(nd, 3);
	CU_ASSERT_EQUAL(due[0].id, dv[2].id);
	CU_ASSERT_EQUAL(due[1].id, dv[1].id);
	CU_ASSERT_EQUAL(due[2].id, dv[3].id);
	db_delivery_list_free(due, nd);
	db_delivery_list_free(dv, n);
	db_close(db);
}

static void test_find_by_address(void)
{
	struct db *db = NULL;
	struct db_push p;
	struct db_delivery d[3], got;

	CU_ASSERT_EQUAL_FATAL(t_open(db_path("addr"), 0, &db), 0);
	insert_full(db, &p, d);
	int64_t other = add_push(db, "pi", "other", 1, one_addr, 1);

	CU_ASSERT_EQUAL_FATAL(db_delivery_find_by_address(db, p.id, three_addr[2], &got), 0);
	CU_ASSERT_EQUAL(got.id, d[2].id);
	check_str(got.addr_canon, "sip:bob@ims.example");
	db_delivery_clear(&got);
	CU_ASSERT_EQUAL_FATAL(db_delivery_find_by_address(db, p.id, "sip:bob@ims.example", &got), 0);
	CU_ASSERT_EQUAL(got.id, d[2].id);
	check_str(got.address, three_addr[2]);
	db_delivery_clear(&got);
	CU_ASSERT_EQUAL_FATAL(db_delivery_find_by_address(db, p.id, "+15550003", &got), 0);
	CU_ASSERT_EQUAL(got.id, d[0].id);
	db_delivery_clear(&got);
	CU_ASSERT_EQUAL(db_delivery_find_by_address(db, p.id, "+15559999", &got), -ENOENT);
	/* the address of another push's delivery */
	CU_ASSERT_EQUAL(db_delivery_find_by_address(db, other, "+15550003", &got), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(db_delivery_find_by_address(db, other, one_addr[0], &got), 0);
	CU_ASSERT_EQUAL(got.push, other);
	CU_ASSERT_PTR_NULL(got.addr_canon);
	db_delivery_clear(&got);
	db_close(db);
}

static void test_bad_arguments(void)
{
	struct db *db = NULL;
	struct db_push p, got;
	struct db_delivery d, *dv = NULL;
	struct db_transition *tv = NULL;
	struct db_notification nt, *nv = NULL;
	size_t n = 0;
	int64_t c = 0;

	/* no handle */
	CU_ASSERT_EQUAL(db_open(NULL, 0, &db), -EINVAL);
	CU_ASSERT_EQUAL(db_open("", 0, &db), -EINVAL);
	CU_ASSERT_EQUAL(t_open(db_path("x"), 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_open_at_version(NULL, 1, &db), -EINVAL);
	CU_ASSERT_EQUAL(db_open(tmpdir, 0, &db), -EIO);   /* a directory */
	CU_ASSERT(strlen(db_errmsg(NULL)) > 0);
	CU_ASSERT_EQUAL(db_open("/nonexistent-dir/x/y.db", 0, &db), -EIO);
	CU_ASSERT_PTR_NULL(db);
	db_close(NULL);
	CU_ASSERT_PTR_NOT_NULL(db_errmsg(NULL));
	CU_ASSERT_EQUAL(db_schema_version(NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_begin(NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_commit(NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_rollback(NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_savepoint(NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_savepoint_release(NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_savepoint_rollback(NULL), -EINVAL);
	fill_push(&p, "pi", "id");
	CU_ASSERT_EQUAL(db_push_insert(NULL, &p, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(db_push_replace(NULL, 1, &p, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(db_push_find(NULL, "pi", "id", 0, &got), -EINVAL);
	CU_ASSERT_EQUAL(db_push_get(NULL, 1, 0, &got), -EINVAL);
	CU_ASSERT_EQUAL(db_push_set_replaced(NULL, 1, 2), -EINVAL);
	CU_ASSERT_EQUAL(db_push_update_state(NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(db_delivery_list(NULL, 1, &dv, &n), -EINVAL);
	CU_ASSERT_EQUAL(db_delivery_set_state(NULL, 1, DB_STATE_PENDING, 0, NULL, 0, -1), -EINVAL);
	CU_ASSERT_EQUAL(db_delivery_find_by_address(NULL, 1, "a", &d), -EINVAL);
	CU_ASSERT_EQUAL(db_delivery_due(NULL, 0, 1, &dv, &n), -EINVAL);
	CU_ASSERT_EQUAL(db_transition_list(NULL, 1, &tv, &n), -EINVAL);
	CU_ASSERT_EQUAL(db_count_pushes(NULL, &c), -EINVAL);
	CU_ASSERT_EQUAL(db_count_deliveries_in_state(NULL, 1, &c), -EINVAL);
	CU_ASSERT_EQUAL(db_push_count_for_pi(NULL, "pi", &c), -EINVAL);
	CU_ASSERT_EQUAL(db_notification_insert(NULL, &nt), -EINVAL);
	CU_ASSERT_EQUAL(db_notification_get(NULL, 1, &nt), -EINVAL);
	CU_ASSERT_EQUAL(db_notification_due(NULL, 0, 1, &nv, &n), -EINVAL);
	CU_ASSERT_EQUAL(db_notification_attempted(NULL, 1, DB_STATE_DELIVERED, -1), -EINVAL);
	db_push_clear(NULL);
	db_delivery_clear(NULL);
	db_transition_clear(NULL);
	db_notification_clear(NULL);
	db_delivery_list_free(NULL, 3);
	db_transition_list_free(NULL, 3);
	db_notification_list_free(NULL, 3);

	/* a handle, bad rows and outputs */
	CU_ASSERT_EQUAL_FATAL(t_open(db_path("badargs"), 0, &db), 0);
	CU_ASSERT_EQUAL(db_push_insert(db, NULL, NULL, 0), -EINVAL);
	p.pi = NULL;
	CU_ASSERT_EQUAL(db_push_insert(db, &p, NULL, 0), -EINVAL);
	p.pi = "";
	CU_ASSERT_EQUAL(db_push_insert(db, &p, NULL, 0), -EINVAL);
	fill_push(&p, "pi", NULL);
	CU_ASSERT_EQUAL(db_push_insert(db, &p, NULL, 0), -EINVAL);
	fill_push(&p, "pi", "id");
	p.state = 77;
	CU_ASSERT_EQUAL(db_push_insert(db, &p, NULL, 0), -EINVAL);
	fill_push(&p, "pi", "id");
	p.content_body = NULL;
	CU_ASSERT_EQUAL(db_push_insert(db, &p, NULL, 0), -EINVAL);
	fill_push(&p, "pi", "id");
	CU_ASSERT_EQUAL(db_push_insert(db, &p, NULL, 2), -EINVAL);
	fill_delivery(&d, NULL, NULL, 1);
	CU_ASSERT_EQUAL(db_push_insert(db, &p, &d, 1), -EINVAL);
	fill_delivery(&d, "a", NULL, 1);
	d.state = -3;
	CU_ASSERT_EQUAL(db_push_insert(db, &p, &d, 1), -EINVAL);
	CU_ASSERT_EQUAL(db_count_pushes(db, &c), 0);
	CU_ASSERT_EQUAL(c, 0);
	CU_ASSERT_EQUAL(db_push_replace(db, 0, &p, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(db_push_replace(db, 1, NULL, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(db_push_find(db, NULL, "id", 0, &got), -EINVAL);
	CU_ASSERT_EQUAL(db_push_find(db, "pi", NULL, 0, &got), -EINVAL);
	CU_ASSERT_EQUAL(db_push_find(db, "pi", "id", 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_push_find(db, "pi", "id", 0, &got), -ENOENT);
	CU_ASSERT_EQUAL(db_push_get(db, 0, 0, &got), -EINVAL);
	CU_ASSERT_EQUAL(db_push_get(db, -5, 0, &got), -EINVAL);
	CU_ASSERT_EQUAL(db_push_get(db, 1, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_push_get(db, 1, 0, &got), -ENOENT);
	CU_ASSERT_EQUAL(db_push_set_replaced(db, 0, 1), -EINVAL);
	CU_ASSERT_EQUAL(db_push_set_replaced(db, 1, 0), -EINVAL);
	CU_ASSERT_EQUAL(db_push_update_state(db, 0), -EINVAL);
	CU_ASSERT_EQUAL(db_delivery_list(db, 0, &dv, &n), -EINVAL);
	CU_ASSERT_EQUAL(db_delivery_list(db, 1, NULL, &n), -EINVAL);
	CU_ASSERT_EQUAL(db_delivery_list(db, 1, &dv, NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, 0, DB_STATE_PENDING, 0, NULL, 0, -1), -EINVAL);
	CU_ASSERT_EQUAL(db_delivery_find_by_address(db, 1, NULL, &d), -EINVAL);
	CU_ASSERT_EQUAL(db_delivery_find_by_address(db, 1, "a", NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_delivery_find_by_address(db, 0, "a", &d), -EINVAL);
	CU_ASSERT_EQUAL(db_delivery_due(db, 0, 1, NULL, &n), -EINVAL);
	CU_ASSERT_EQUAL(db_delivery_due(db, 0, 1, &dv, NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_transition_list(db, 0, &tv, &n), -EINVAL);
	CU_ASSERT_EQUAL(db_transition_list(db, 1, NULL, &n), -EINVAL);
	CU_ASSERT_EQUAL(db_count_pushes(db, NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_count_deliveries_in_state(db, 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_count_deliveries_in_state(db, 99, &c), -EINVAL);
	CU_ASSERT_EQUAL(db_push_count_for_pi(db, NULL, &c), -EINVAL);
	CU_ASSERT_EQUAL(db_push_count_for_pi(db, "pi", NULL), -EINVAL);
	memset(&nt, 0, sizeof nt);
	CU_ASSERT_EQUAL(db_notification_insert(db, NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_notification_insert(db, &nt), -EINVAL);   /* no url, no push */
	nt.url = "http://x/";
	CU_ASSERT_EQUAL(db_notification_insert(db, &nt), -EINVAL);   /* no push */
	nt.push = 1;
	nt.body_len = 4;
	CU_ASSERT_EQUAL(db_notification_insert(db, &nt), -EINVAL);   /* no body */
	CU_ASSERT_EQUAL(db_notification_get(db, 0, &nt), -EINVAL);
	CU_ASSERT_EQUAL(db_notification_get(db, 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_notification_get(db, 1, &nt), -ENOENT);
	CU_ASSERT_EQUAL(db_notification_due(db, 0, 1, NULL, &n), -EINVAL);
	CU_ASSERT_EQUAL(db_notification_attempted(db, 0, DB_STATE_DELIVERED, -1), -EINVAL);
	CU_ASSERT_EQUAL(db_notification_attempted(db, 1, 1234, -1), -EINVAL);
	CU_ASSERT(strlen(db_errmsg(db)) > 0);
	db_close(db);
}

/* deliver-before passed: only not-final deliveries of pending pushes, soonest first. */
static void test_expired(void)
{
	struct db *db = NULL;
	CU_ASSERT_EQUAL_FATAL(t_open(db_path("expired"), 0, &db), 0);
	struct db_push p;
	struct db_delivery d[2];
	int64_t ids[3];
	for (int i = 0; i < 3; i++) {
		char pid[16];
		snprintf(pid, sizeof pid, "e%d", i);
		memset(&p, 0, sizeof p);
		p.pi = (char *)"pi";
		p.push_id = pid;
		p.state = DB_STATE_PENDING;
		p.received_time = 1000;
		p.deliver_before = i == 0 ? 0 : 5000 - i * 1000;   /* none, 4000, 3000 */
		fill_delivery(&d[0], "WAPPUSH=+1/TYPE=PLMN", NULL, 1000);
		fill_delivery(&d[1], "WAPPUSH=+2/TYPE=PLMN", NULL, 1000);
		CU_ASSERT_EQUAL_FATAL(db_push_insert(db, &p, d, 2), 0);
		ids[i] = p.id;
		if (i == 1) {   /* one delivery of e1 already final */
			CU_ASSERT_EQUAL(db_delivery_set_state(db, d[0].id, DB_STATE_DELIVERED, 1000, "ok", 1500, -1), 0);
		}
	}
	struct db_delivery *v = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL(db_delivery_expired(db, 2999, 10, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	db_delivery_list_free(v, n);
	CU_ASSERT_EQUAL(db_delivery_expired(db, 4000, 10, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(v[0].push, ids[2]);
	CU_ASSERT_EQUAL(v[1].push, ids[2]);
	CU_ASSERT_EQUAL(v[2].push, ids[1]);
	CU_ASSERT_STRING_EQUAL(v[2].address, "WAPPUSH=+2/TYPE=PLMN");
	db_delivery_list_free(v, n);
	CU_ASSERT_EQUAL(db_delivery_expired(db, 4000, 1, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	db_delivery_list_free(v, n);
	db_close(db);
}

/* Due deliveries come high priority first, then the earliest. */
static void test_due_priority(void)
{
	struct db *db = NULL;
	CU_ASSERT_EQUAL_FATAL(t_open(db_path("prio"), 0, &db), 0);
	static const int prio[4] = { 3, 1, 0, 2 };   /* low, high, none (= medium), medium */
	int64_t ids[4];
	for (int i = 0; i < 4; i++) {
		char pid[16];
		struct db_push p;
		struct db_delivery d[1];
		snprintf(pid, sizeof pid, "p%d", i);
		memset(&p, 0, sizeof p);
		p.pi = (char *)"pi";
		p.push_id = pid;
		p.state = DB_STATE_PENDING;
		p.received_time = 1000;
		p.priority = prio[i];
		fill_delivery(&d[0], "WAPPUSH=+1/TYPE=PLMN", NULL, 1000);
		d[0].next_attempt = 100 - i;   /* later pushes are due earlier */
		CU_ASSERT_EQUAL_FATAL(db_push_insert(db, &p, d, 1), 0);
		ids[i] = d[0].id;
	}
	struct db_delivery *v = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL(db_delivery_due(db, 1000, 10, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(v[0].id, ids[1]);   /* high */
	CU_ASSERT_EQUAL(v[1].id, ids[3]);   /* medium, due at 97 */
	CU_ASSERT_EQUAL(v[2].id, ids[2]);   /* medium (none), due at 98 */
	CU_ASSERT_EQUAL(v[3].id, ids[0]);   /* low */
	db_delivery_list_free(v, n);
	CU_ASSERT_EQUAL(db_delivery_due(db, 1000, 2, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	db_delivery_list_free(v, n);
	db_close(db);
}

/* A replaced push-id still answers through db_push_find_latest. */
static void test_find_latest(void)
{
	struct db *db = NULL;
	CU_ASSERT_EQUAL_FATAL(t_open(db_path("latest"), 0, &db), 0);
	int64_t a = add_push(db, "pi", "old", 1, one_addr, 1000);
	int64_t b = add_push(db, "pi", "new", 1, one_addr, 2000);
	CU_ASSERT_EQUAL(db_push_set_replaced(db, a, b), 0);
	struct db_push p = { 0 };
	CU_ASSERT_EQUAL(db_push_find(db, "pi", "old", 0, &p), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(db_push_find_latest(db, "pi", "old", 0, &p), 0);
	CU_ASSERT_EQUAL(p.id, a);
	CU_ASSERT_EQUAL(p.replaced_by, b);
	db_push_clear(&p);
	CU_ASSERT_EQUAL_FATAL(db_push_find_latest(db, "pi", "new", 0, &p), 0);
	CU_ASSERT_EQUAL(p.id, b);
	db_push_clear(&p);
	CU_ASSERT_EQUAL(db_push_find_latest(db, "other", "old", 0, &p), -ENOENT);
	CU_ASSERT_EQUAL(db_push_find_latest(db, "pi", "none", 0, &p), -ENOENT);
	db_close(db);
}

/* Schema 3: the bearer the engine falls back to is stored with the delivery
 * and comes back with every read of it (get, due, list). */
static void test_delivery_bearer(void)
{
	struct db *db = NULL;
	CU_ASSERT_EQUAL_FATAL(t_open(db_path("bearer"), 0, &db), 0);
	struct db_push p;
	struct db_delivery d[1];
	fill_push(&p, "pi", "brr");
	fill_delivery(&d[0], "WAPPUSH=+15550002/TYPE=PLMN", NULL, 1000);
	CU_ASSERT_EQUAL_FATAL(db_push_insert(db, &p, d, 1), 0);
	struct db_delivery g = { 0 };
	CU_ASSERT_EQUAL(db_delivery_get(db, d[0].id, &g), 0);
	CU_ASSERT_EQUAL(g.bearer, 0);   /* select anew */
	db_delivery_clear(&g);
	CU_ASSERT_EQUAL(db_delivery_set_bearer(db, d[0].id, 3), 0);
	CU_ASSERT_EQUAL(db_delivery_get(db, d[0].id, &g), 0);
	CU_ASSERT_EQUAL(g.bearer, 3);
	db_delivery_clear(&g);
	struct db_delivery *v = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL(db_delivery_due(db, INT64_MAX / 2, 10, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(v[0].bearer, 3);
	db_delivery_list_free(v, n);
	CU_ASSERT_EQUAL(db_delivery_set_bearer(db, 999999, 3), -ENOENT);
	CU_ASSERT_EQUAL(db_delivery_set_bearer(db, d[0].id, -1), -EINVAL);
	db_close(db);
}

/* The operator's search: filters, pages by row id, counts per state and reason. */
static void test_push_search(void)
{
	struct db *db = NULL;
	char id[32];
	int64_t first = 0;

	CU_ASSERT_EQUAL_FATAL(t_open(db_path("search"), 0, &db), 0);
	for (int i = 0; i < 25; i++) {
		snprintf(id, sizeof id, "a-%02d", i);
		int64_t row = add_push(db, "alice", id, 1, one_addr, 1000 + i);
		if (i == 0)
			first = row;
	}
	for (int i = 0; i < 5; i++) {
		snprintf(id, sizeof id, "b-%02d", i);
		add_push(db, "bob", id, 1, one_addr, 2000 + i);
	}
	/* alice's pushes by pages of 10, newest first, each seen once */
	int seen[25] = { 0 }, pages = 0;
	struct db_push_filter f = { .pi = "alice", .state = -1, .limit = 10 };
	for (;;) {
		struct db_push_brief *v = NULL;
		size_t n = 0;
		CU_ASSERT_EQUAL_FATAL(db_push_search(db, &f, &v, &n), 0);
		if (n == 0)
			break;
		pages++;
		for (size_t i = 0; i < n; i++) {
			int k = atoi(v[i].push_id + 2);
			CU_ASSERT_STRING_EQUAL(v[i].pi, "alice");
			CU_ASSERT_EQUAL(v[i].ndeliveries, 1);
			CU_ASSERT_EQUAL(v[i].state, DB_STATE_PENDING);
			if (i)
				CU_ASSERT(v[i].id < v[i - 1].id);
			if (k >= 0 && k < 25)
				seen[k]++;
		}
		f.before_id = v[n - 1].id;
		db_push_brief_list_free(v, n);
	}
	CU_ASSERT_EQUAL(pages, 3);
	for (int i = 0; i < 25; i++)
		CU_ASSERT_EQUAL(seen[i], 1);

	/* state, push-id and time filters */
	struct db_delivery *dv = NULL;
	size_t dn = 0;
	CU_ASSERT_EQUAL_FATAL(db_delivery_list(db, first, &dv, &dn), 0);
	CU_ASSERT_EQUAL_FATAL(dn, 1);
	CU_ASSERT_EQUAL(db_delivery_set_state(db, dv[0].id, DB_STATE_DELIVERED, 1000, "ok", 5000, 0), 0);
	CU_ASSERT_EQUAL(db_push_update_state(db, first), 0);
	db_delivery_list_free(dv, dn);
	struct db_push_brief *v = NULL;
	size_t n = 0;
	struct db_push_filter g = { .state = DB_STATE_DELIVERED, .limit = 100 };
	CU_ASSERT_EQUAL(db_push_search(db, &g, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(v[0].push_id, "a-00");
	db_push_brief_list_free(v, n);
	struct db_push_filter h = { .push_id = "b-03", .state = -1, .limit = 100 };
	CU_ASSERT_EQUAL(db_push_search(db, &h, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(v[0].pi, "bob");
	db_push_brief_list_free(v, n);
	struct db_push_filter t = { .state = -1, .since = 1010, .until = 1020, .limit = 100 };
	CU_ASSERT_EQUAL(db_push_search(db, &t, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 10);
	db_push_brief_list_free(v, n);
	struct db_push_filter bad = { .state = -1, .limit = 0 };
	CU_ASSERT_EQUAL(db_push_search(db, &bad, &v, &n), -EINVAL);
	bad.limit = DB_PUSH_SEARCH_MAX + 1;
	CU_ASSERT_EQUAL(db_push_search(db, &bad, &v, &n), -EINVAL);

	int64_t counts[DB_NSTATES];
	CU_ASSERT_EQUAL(db_push_count_by_state(db, counts), 0);
	CU_ASSERT_EQUAL(counts[DB_STATE_PENDING], 29);
	CU_ASSERT_EQUAL(counts[DB_STATE_DELIVERED], 1);

	/* pending deliveries by reason: all 29 are due (next_attempt as inserted) or scheduled */
	struct db_pending_reasons pr;
	CU_ASSERT_EQUAL(db_delivery_pending_reasons(db, 1 << 30, &pr), 0);
	CU_ASSERT_EQUAL(pr.inflight + pr.registration + pr.scheduled + pr.due, 29);
	CU_ASSERT_EQUAL(pr.registration, 0);
	int64_t nn = -1;
	CU_ASSERT_EQUAL(db_notification_count_state(db, DB_STATE_PENDING, &nn), 0);
	CU_ASSERT_EQUAL(nn, 0);
	db_close(db);
}

/* The summary rule as it was before the aggregate (55df6c9, the sorted
 * scan): any delivery not final -> pending; all in one state -> it; one
 * delivered -> delivered; else the state of the latest transition (time,
 * then id). Its time is the latest event time. */
static int model_summary(const int *st, const int64_t *t, size_t n, int64_t *latest_time)
{
	size_t last = 0;
	int open = 0, same = 1, delivered = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i] >= t[last])   /* ids grow with i: a tie goes to the later one */
			last = i;
		open |= !db_state_is_final(st[i]);
		same &= st[i] == st[0];
		delivered |= st[i] == DB_STATE_DELIVERED;
	}
	*latest_time = t[last];
	return open ? DB_STATE_PENDING : same ? st[0] : delivered ? DB_STATE_DELIVERED : st[last];
}

/* db_push_update_state against that rule for every mix of the nine states
 * over one to three deliveries (in flight, 9, included), with event times
 * that tie and that run against the ids; then every push moved once more
 * from the state so found (a final push state, not only pending). */
static void test_summary_every_mix(void)
{
	struct db *db = NULL;
	CU_ASSERT_EQUAL_FATAL(t_open(db_path("summix"), 0, &db), 0);
	CU_ASSERT_EQUAL_FATAL(db_begin(db), 0);
	int bad = 0;
	long cases = 0;
	for (size_t n = 1; n <= 3; n++) {
		long combos = 1;
		for (size_t i = 0; i < n; i++)
			combos *= 9;
		for (long c = 0; c < combos; c++) {
			char id[48];
			snprintf(id, sizeof id, "mix-%zu-%ld", n, c);
			int64_t p = add_push(db, "pi", id, n, three_addr, 100);
			struct db_delivery *dv = NULL;
			size_t nd = 0;
			CU_ASSERT_EQUAL_FATAL(db_delivery_list(db, p, &dv, &nd), 0);
			CU_ASSERT_EQUAL_FATAL(nd, n);
			/* db_delivery_list is in address order: sort by id for the model */
			int64_t ids[3];
			for (size_t i = 0; i < n; i++)
				ids[i] = dv[i].id;
			db_delivery_list_free(dv, nd);
			for (size_t i = 0; i < n; i++)
				for (size_t j = i + 1; j < n; j++)
					if (ids[j] < ids[i]) {
						int64_t x = ids[i];
						ids[i] = ids[j];
						ids[j] = x;
					}
			int64_t cur_time = 100;
			int cur = DB_STATE_PENDING;
			for (int round = 0; round < 2; round++) {
				int st[3];
				int64_t t[3];
				long k = round ? (c * 7 + 1) % combos : c;   /* a permutation: every mix after every state */
				for (size_t i = 0; i < n; i++, k /= 9) {
					st[i] = (int)(k % 9) + 1;
					/* ties (c % 3 == 0), later ids older (c % 3 == 1), or in order */
					t[i] = 1000 * (round + 1) + (c % 3 == 0 ? 500 : c % 3 == 1 ? 900 - 100 * (int64_t)i
					    : 100 * (int64_t)i);
					CU_ASSERT_EQUAL_FATAL(db_delivery_set_state(db, ids[i], st[i], 0, NULL, t[i], -1), 0);
				}
				int64_t want_time = 0;
				int want = model_summary(st, t, n, &want_time);
				if (want != cur)
					cur_time = want_time;   /* else the push is left as it was */
				struct db_push got;
				CU_ASSERT_EQUAL_FATAL(db_push_update_state(db, p), 0);
				CU_ASSERT_EQUAL_FATAL(db_push_get(db, p, 0, &got), 0);
				if (got.state != want || got.state_time != cur_time) {
					if (bad++ < 10)
						fprintf(stderr, "\n  states %d %d %d times %lld %lld %lld (round %d): state %d at "
						    "%lld, want %d at %lld", st[0], n > 1 ? st[1] : 0, n > 2 ? st[2] : 0,
						    (long long)t[0], (long long)(n > 1 ? t[1] : 0), (long long)(n > 2 ? t[2] : 0),
						    round, got.state, (long long)got.state_time, want, (long long)cur_time);
				}
				cur = want;
				db_push_clear(&got);
				cases++;
			}
		}
	}
	CU_ASSERT_EQUAL(db_commit(db), 0);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(cases, 2 * (9 + 81 + 729));
	db_close(db);
}

static const struct t_case cases[] = {
	{ "a delivery's stored bearer", test_delivery_bearer, 0 },
	{ "insert and read back every field", test_insert_read_back, 0 },
	{ "push-id unique per PI", test_duplicate_push_id, 0 },
	{ "replaced pushes free their push-id", test_replaced, 0 },
	{ "transitions and the summary state", test_transitions_and_summary, 0 },
	{ "the summary state of every mix of delivery states", test_summary_every_mix, 0 },
	{ "savepoints inside a batch", test_savepoints_in_batch, 0 },
	{ "due deliveries in order", test_due_order, 0 },
	{ "delivery by raw or canonical address", test_find_by_address, 0 },
	{ "bad arguments", test_bad_arguments, 0 },
	{ "deliveries past deliver-before", test_expired, 0 },
	{ "a replaced push-id is still found", test_find_latest, 0 },
	{ "due deliveries by priority", test_due_priority, 0 },
	{ "pushes searched and paged for the operator", test_push_search, 0 },
};

int main(void)
{
	return db_common_run("test_db_push", cases, sizeof cases / sizeof cases[0], NULL, 0);
}
