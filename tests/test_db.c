/*
 * test_db.c - db/ against real SQLite files in a temporary directory: the
 * schema from the binary, upgrades from an old file, every row field read
 * back, the push-id uniqueness rules, state transitions and the summary,
 * savepoints inside a batch, durability across reopen, WAL readers.
 *
 * The same suite runs a second time on PostgreSQL, on a server the test
 * starts itself (test_db_pg.c: one database per test name), without the tests
 * that are about SQLite files (WAL header bytes, a schema-1 file); its own
 * upgrade test starts from the previous schema version. Skipped with a
 * message when the PostgreSQL binaries are absent.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/db.h"
#include "tests/test_util.h"
#include "tests/test_db_pg.h"

static char *tmpdir;
static int engine = DB_ENGINE_SQLITE;   /* of the suite running */
static struct tpg *pg;                  /* the PostgreSQL suite's server */

/* A fresh database per test name: a file, or a PostgreSQL database (its
 * conninfo). */
static const char *db_path(const char *name)
{
	static char buf[1024];
	if (engine == DB_ENGINE_POSTGRESQL) {
		const char *ci = tpg_conninfo(pg, name);
		snprintf(buf, sizeof buf, "%s", ci ? ci : "host=/nonexistent");
		return buf;
	}
	snprintf(buf, sizeof buf, "%s/%s.db", tmpdir, name);
	return buf;
}

/* db_open on the suite's engine: where is what db_path gave. */
static int t_open(const char *where, int flags, struct db **out)
{
	if (engine == DB_ENGINE_POSTGRESQL) {
		struct db_conf c = { .engine = DB_ENGINE_POSTGRESQL, .conninfo = where };
		return db_open_config(&c, flags, out);
	}
	return db_open(where, flags, out);
}

static int suite_init(void)
{
	engine = DB_ENGINE_SQLITE;
	tmpdir = tu_tmpdir("db");
	return tmpdir ? 0 : -1;
}

static int suite_clean(void)
{
	tu_rmtree(tmpdir);
	free(tmpdir);
	return 0;
}

static int suite_init_pg(void)
{
	engine = DB_ENGINE_POSTGRESQL;
	tmpdir = tu_tmpdir("dbpg");
	pg = tmpdir ? tpg_start() : NULL;
	return pg ? 0 : -1;
}

static int suite_clean_pg(void)
{
	tpg_stop(pg);
	pg = NULL;
	engine = DB_ENGINE_SQLITE;
	return suite_clean();
}

static const unsigned char body_nul[] = { 'a', 0, 'b', 0, 0, 0xff, 'c', 0 };
static const char headers_nul[] = "X-Wap-Application-Id: x-wap-application:mms.ua\r\nX-A: \0b\r\n";

/* A push with every field set to a distinct value. */
static void fill_push(struct db_push *p, const char *pi, const char *push_id)
{
	memset(p, 0, sizeof *p);
	p->pi = (char *)pi;
	p->push_id = (char *)push_id;
	p->pap_version = 2;
	p->state = DB_STATE_PENDING;
	p->received_time = 1700000000123;
	p->deliver_before = 1700000900000;
	p->deliver_after = 1700000001000;
	p->replace_push_id = "old-id@pi";
	p->replace_method = 3;
	p->source_reference = "mmsc-1";
	p->notify_to = "http://pi.example/notify";
	p->progress_notes = 1;
	p->qos_present = 1;
	p->priority = 2;
	p->delivery_method = 4;
	p->network = "GSM";
	p->network_required = 1;
	p->bearer = "SMS";
	p->bearer_required = 0;
	p->content_type = "application/vnd.wap.mms-message";
	p->app_id = "x-wap-application:mms.ua";
	p->content_headers = (char *)headers_nul;
	p->content_headers_len = sizeof headers_nul - 1;
	p->content_body = (unsigned char *)body_nul;
	p->content_len = sizeof body_nul;
}

static void fill_delivery(struct db_delivery *d, const char *address, const char *canon,
    int64_t t)
{
	memset(d, 0, sizeof *d);
	d->address = (char *)address;
	d->addr_canon = (char *)canon;
	d->addr_type = 1;
	d->addr_value = (char *)canon;
	d->state = DB_STATE_PENDING;
	d->code = 1001;
	d->desc = "accepted";
	d->event_time = t;
}

/* Inserts a minimal push with one delivery per address. */
static int64_t add_push(struct db *db, const char *pi, const char *push_id, size_t n,
    const char *const *addr, int64_t t)
{
	struct db_push p;
	struct db_delivery d[8];

	memset(&p, 0, sizeof p);
	p.pi = (char *)pi;
	p.push_id = (char *)push_id;
	p.state = DB_STATE_PENDING;
	p.received_time = t;
	for (size_t i = 0; i < n; i++)
		fill_delivery(&d[i], addr[i], NULL, t);
	int rc = db_push_insert(db, &p, d, n);
	CU_ASSERT_EQUAL(rc, 0);
	return rc == 0 ? p.id : -1;
}

static const char *const one_addr[] = { "WAPPUSH=+15550001/TYPE=PLMN@ppg.example" };

static void check_str(const char *got, const char *want)
{
	if (!want) {
		CU_ASSERT_PTR_NULL(got);
		return;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, want);
}

/* Every field of a push read back with its content. */
static void check_push(const struct db_push *got, const struct db_push *want)
{
	CU_ASSERT_EQUAL(got->id, want->id);
	check_str(got->pi, want->pi);
	check_str(got->push_id, want->push_id);
	CU_ASSERT_EQUAL(got->pap_version, want->pap_version);
	CU_ASSERT_EQUAL(got->state, want->state);
	CU_ASSERT_EQUAL(got->state_time, want->received_time);
	CU_ASSERT_EQUAL(got->received_time, want->received_time);
	CU_ASSERT_EQUAL(got->deliver_before, want->deliver_before);
	CU_ASSERT_EQUAL(got->deliver_after, want->deliver_after);
	check_str(got->replace_push_id, want->replace_push_id);
	CU_ASSERT_EQUAL(got->replace_method, want->replace_method);
	CU_ASSERT_EQUAL(got->replaced_by, 0);
	check_str(got->source_reference, want->source_reference);
	check_str(got->notify_to, want->notify_to);
	CU_ASSERT_EQUAL(got->progress_notes, want->progress_notes);
	CU_ASSERT_EQUAL(got->qos_present, want->qos_present);
	CU_ASSERT_EQUAL(got->priority, want->priority);
	CU_ASSERT_EQUAL(got->delivery_method, want->delivery_method);
	check_str(got->network, want->network);
	CU_ASSERT_EQUAL(got->network_required, want->network_required);
	check_str(got->bearer, want->bearer);
	CU_ASSERT_EQUAL(got->bearer_required, want->bearer_required);
	check_str(got->content_type, want->content_type);
	check_str(got->app_id, want->app_id);
	CU_ASSERT_EQUAL_FATAL(got->content_headers_len, want->content_headers_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got->content_headers);
	CU_ASSERT_EQUAL(memcmp(got->content_headers, want->content_headers,
	    want->content_headers_len), 0);
	CU_ASSERT_EQUAL(got->content_headers[got->content_headers_len], '\0');
	CU_ASSERT_EQUAL_FATAL(got->content_len, sizeof body_nul);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got->content_body);
	CU_ASSERT_EQUAL(memcmp(got->content_body, body_nul, sizeof body_nul), 0);
}

static const char *const three_addr[] = {
	"WAPPUSH=+15550003/TYPE=PLMN@ppg.example",
	"WAPPUSH=+15550001/TYPE=PLMN@ppg.example",
	"WAPPUSH=sip:bob%40ims.example/TYPE=USER@ppg.example",
};
static const char *const three_canon[] = { "+15550003", "+15550001", "sip:bob@ims.example" };

/* Inserts the full push with three deliveries; fills p and d. */
static void insert_full(struct db *db, struct db_push *p, struct db_delivery d[3])
{
	fill_push(p, "mmsc", "push-1@mmsc.example");
	for (int i = 0; i < 3; i++) {
		fill_delivery(&d[i], three_addr[i], three_canon[i], 1700000000123 + i);
		d[i].next_attempt = 1700000001000;
	}
	d[2].addr_type = 5;
	d[2].desc = NULL;
	CU_ASSERT_EQUAL_FATAL(db_push_insert(db, p, d, 3), 0);
	CU_ASSERT(p->id > 0);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT(d[i].id > 0);
		CU_ASSERT_EQUAL(d[i].push, p->id);
	}
}

/* Checks everything insert_full stored, through a (possibly other) handle. */
static void check_full(struct db *db, const struct db_push *p, const struct db_delivery d[3])
{
	struct db_push got;
	struct db_delivery *dv = NULL;
	struct db_transition *tv = NULL;
	size_t n = 0, nt = 0;

	CU_ASSERT_EQUAL_FATAL(db_push_get(db, p->id, 1, &got), 0);
	check_push(&got, p);
	db_push_clear(&got);
	CU_ASSERT_EQUAL_FATAL(db_push_find(db, "mmsc", "push-1@mmsc.example", 1, &got), 0);
	check_push(&got, p);
	db_push_clear(&got);

	/* without content: headers yes, body no */
	CU_ASSERT_EQUAL_FATAL(db_push_get(db, p->id, 0, &got), 0);
	CU_ASSERT_PTR_NULL(got.content_body);
	CU_ASSERT_EQUAL(got.content_len, 0);
	CU_ASSERT_EQUAL(got.content_headers_len, sizeof headers_nul - 1);
	check_str(got.app_id, "x-wap-application:mms.ua");
	db_push_clear(&got);

	/* address order: +15550001, +15550003, sip:bob */
	static const int order[3] = { 1, 0, 2 };
	CU_ASSERT_EQUAL_FATAL(db_delivery_list(db, p->id, &dv, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (int i = 0; i < 3; i++) {
		const struct db_delivery *w = &d[order[i]];
		CU_ASSERT_EQUAL(dv[i].id, w->id);
		CU_ASSERT_EQUAL(dv[i].push, p->id);
		check_str(dv[i].address, w->address);
		check_str(dv[i].addr_canon, w->addr_canon);
		CU_ASSERT_EQUAL(dv[i].addr_type, w->addr_type);
		check_str(dv[i].addr_value, w->addr_value);
		CU_ASSERT_EQUAL(dv[i].state, DB_STATE_PENDING);
		CU_ASSERT_EQUAL(dv[i].code, 1001);
		check_str(dv[i].desc, w->desc);
		CU_ASSERT_EQUAL(dv[i].event_time, w->event_time);
		CU_ASSERT_EQUAL(dv[i].attempts, 0);
		CU_ASSERT_EQUAL(dv[i].next_attempt, 1700000001000);

		/* the first transition was recorded by the insert */
		CU_ASSERT_EQUAL_FATAL(db_transition_list(db, w->id, &tv, &nt), 0);
		CU_ASSERT_EQUAL_FATAL(nt, 1);
		CU_ASSERT_EQUAL(tv[0].delivery, w->id);
		CU_ASSERT_EQUAL(tv[0].time, w->event_time);
		CU_ASSERT_EQUAL(tv[0].state, DB_STATE_PENDING);
		CU_ASSERT_EQUAL(tv[0].code, 1001);
		check_str(tv[0].note, w->desc);
		db_transition_list_free(tv, nt);
	}
	db_delivery_list_free(dv, n);
}

static int file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Reads bytes of the SQLite file header (https://sqlite.org/fileformat.html). */
static int read_header(const char *path, unsigned char hdr[100])
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t r = fread(hdr, 1, 100, f);
	fclose(f);
	return r == 100 ? 0 : -1;
}

static uint32_t be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Writes user_version (header offset 60) as a newer ppgd would have. */
static int patch_user_version(const char *path, uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };
	FILE *f = fopen(path, "r+b");
	if (!f)
		return -1;
	int ok = fseek(f, 60, SEEK_SET) == 0 && fwrite(b, 1, 4, f) == 4;
	return fclose(f) == 0 && ok ? 0 : -1;
}

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

/* ua-profile subscriptions (schema 7): upsert by dialog, list by AoR and
 * all, expiry, delete, survive a close and reopen. */
static void test_subscriptions(void)
{
	struct db *db = NULL;
	const char *path = db_path("subs");
	CU_ASSERT_EQUAL_FATAL(t_open(path, 0, &db), 0);
	struct db_subscription a = { .aor = "sip:bob@example.com", .call_id = "c1", .remote_tag = "t1",
		.contact = "sip:bob@192.0.2.4", .apps = "mms.ua,x-oma-application:push.syncml",
		.model = "http://uaprof.example.com/x.rdf", .accept = "application/vnd.syncml.ds.notification",
		.expires = 5000, .updated = 100 };
	CU_ASSERT_EQUAL(db_subscription_upsert(db, &a), 0);
	CU_ASSERT(a.id > 0);
	int64_t id = a.id;
	struct db_subscription b = { .aor = "sip:bob@example.com", .call_id = "c2", .remote_tag = "t2",
		.expires = 900, .updated = 200 };
	CU_ASSERT_EQUAL(db_subscription_upsert(db, &b), 0);
	struct db_subscription c = { .aor = "tel:+15550001", .call_id = "c3", .remote_tag = "t3",
		.expires = 5000, .updated = 300 };
	CU_ASSERT_EQUAL(db_subscription_upsert(db, &c), 0);
	/* a refresh of dialog (c1, t1): same row, new expiry and applications */
	a.expires = 6000;
	a.apps = "mms.ua";
	a.updated = 400;
	CU_ASSERT_EQUAL(db_subscription_upsert(db, &a), 0);
	CU_ASSERT_EQUAL(a.id, id);

	struct db_subscription *v = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL(db_subscription_list(db, "sip:bob@example.com", 1000, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);           /* c2 ended at 900 */
	CU_ASSERT_STRING_EQUAL(v[0].apps, "mms.ua");
	CU_ASSERT_STRING_EQUAL(v[0].model, "http://uaprof.example.com/x.rdf");
	CU_ASSERT_STRING_EQUAL(v[0].accept, "application/vnd.syncml.ds.notification");
	CU_ASSERT_STRING_EQUAL(v[0].contact, "sip:bob@192.0.2.4");
	CU_ASSERT_EQUAL(v[0].expires, 6000);
	db_subscription_list_free(v, n);
	CU_ASSERT_EQUAL(db_subscription_list(db, NULL, 0, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 3);
	if (n == 3)
		CU_ASSERT_PTR_NULL(v[1].model);
	db_subscription_list_free(v, n);
	CU_ASSERT_EQUAL(db_subscription_purge(db, 1000), 1);
	CU_ASSERT_EQUAL(db_subscription_delete(db, "c3", "t3"), 1);
	CU_ASSERT_EQUAL(db_subscription_delete(db, "c3", "t3"), 0);
	/* the UAProf documents they name, fetched or not */
	CU_ASSERT_EQUAL(db_uaprof_put(db, "http://u.example/x.rdf", 111, 200, "<rdf:RDF/>", 10), 0);
	CU_ASSERT_EQUAL(db_uaprof_put(db, "http://u.example/gone.rdf", 112, 404, NULL, 0), 0);
	int64_t fetched = 0;
	int status = 0;
	char *doc = NULL;
	size_t dl = 0;
	CU_ASSERT_EQUAL(db_uaprof_get(db, "http://u.example/x.rdf", &fetched, &status, &doc, &dl), 0);
	CU_ASSERT_EQUAL(fetched, 111);
	CU_ASSERT_EQUAL(status, 200);
	CU_ASSERT_EQUAL(dl, 10);
	CU_ASSERT(doc && !memcmp(doc, "<rdf:RDF/>", 10));
	free(doc);
	CU_ASSERT_EQUAL(db_uaprof_get(db, "http://u.example/gone.rdf", &fetched, &status, &doc, &dl), 0);
	CU_ASSERT_EQUAL(status, 404);
	CU_ASSERT_PTR_NULL(doc);
	CU_ASSERT_EQUAL(db_uaprof_put(db, "http://u.example/gone.rdf", 113, 200, "<a/>", 4), 0);   /* refetched */
	CU_ASSERT_EQUAL(db_uaprof_get(db, "http://u.example/gone.rdf", &fetched, &status, &doc, &dl), 0);
	CU_ASSERT_EQUAL(fetched, 113);
	CU_ASSERT_EQUAL(dl, 4);
	free(doc);
	/* the vendor's server fails later: the last good document stays */
	CU_ASSERT_EQUAL(db_uaprof_put(db, "http://u.example/gone.rdf", 114, 503, NULL, 0), 0);
	CU_ASSERT_EQUAL(db_uaprof_get(db, "http://u.example/gone.rdf", &fetched, &status, &doc, &dl), 0);
	CU_ASSERT_EQUAL(fetched, 114);
	CU_ASSERT_EQUAL(status, 200);
	CU_ASSERT(doc && dl == 4 && !memcmp(doc, "<a/>", 4));
	free(doc);
	CU_ASSERT_EQUAL(db_uaprof_get(db, "http://u.example/none.rdf", &fetched, &status, &doc, &dl), -ENOENT);
	/* the purge keeps what a live subscription names, and what is recent */
	a.model = "http://u.example/gone.rdf";
	CU_ASSERT_EQUAL(db_subscription_upsert(db, &a), 0);
	CU_ASSERT_EQUAL(db_uaprof_put(db, "http://u.example/new.rdf", 500, 200, "<b/>", 4), 0);
	CU_ASSERT_EQUAL(db_uaprof_purge(db, 200), 1);   /* x.rdf (111), named by nobody */
	CU_ASSERT_EQUAL(db_uaprof_get(db, "http://u.example/x.rdf", &fetched, &status, &doc, &dl), -ENOENT);
	CU_ASSERT_EQUAL(db_uaprof_get(db, "http://u.example/gone.rdf", &fetched, &status, &doc, &dl), 0);
	free(doc);
	CU_ASSERT_EQUAL(db_uaprof_get(db, "http://u.example/new.rdf", &fetched, &status, &doc, &dl), 0);
	free(doc);
	struct db_subscription bad = { .aor = "", .call_id = "x", .remote_tag = "y" };
	CU_ASSERT_EQUAL(db_subscription_upsert(db, &bad), -EINVAL);
	db_close(db);
	/* what is stored survives a reopen */
	CU_ASSERT_EQUAL_FATAL(t_open(path, 0, &db), 0);
	CU_ASSERT_EQUAL(db_subscription_list(db, NULL, 0, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	if (n == 1)
		CU_ASSERT_STRING_EQUAL(v[0].call_id, "c1");
	db_subscription_list_free(v, n);
	db_close(db);
}

static void test_bindings(void)
{
	struct db *db = NULL;
	CU_ASSERT_EQUAL_FATAL(t_open(db_path("bindings"), 0, &db), 0);
	struct db_binding b = { .aor = "sip:bob@example.com", .contact = "sip:bob@192.0.2.4",
		.instance = "urn:uuid:1", .apps = "mms.ua,push.sia", .expires = 10000, .updated = 100,
		.call_id = "c1", .cseq = 1 };
	CU_ASSERT_EQUAL(db_binding_upsert(db, &b), 0);
	int64_t first = b.id;
	CU_ASSERT(first > 0);
	struct db_binding b2 = { .aor = "sip:bob@example.com", .contact = "sip:bob@192.0.2.5",
		.apps = "mms.ua", .gruu = "sip:bob@example.com;gr=x", .expires = 20000, .updated = 200 };
	CU_ASSERT_EQUAL(db_binding_upsert(db, &b2), 0);
	struct db_binding b3 = { .aor = "tel:+15550001", .contact = "sip:+15550001@192.0.2.6",
		.expires = 500, .updated = 50 };
	CU_ASSERT_EQUAL(db_binding_upsert(db, &b3), 0);
	/* refresh: same (aor, contact) keeps its id, takes the new values */
	b.expires = 30000;
	b.updated = 300;
	b.apps = "emn.ua";
	b.cseq = 2;
	b.caps = DB_CAP_SESSION;
	b.q = 700;
	CU_ASSERT_EQUAL(db_binding_upsert(db, &b), 0);
	CU_ASSERT_EQUAL(b.id, first);

	struct db_binding *v = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL(db_binding_list(db, "sip:bob@example.com", 1000, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(v[0].contact, "sip:bob@192.0.2.4");   /* newest first */
	CU_ASSERT_STRING_EQUAL(v[0].apps, "emn.ua");
	CU_ASSERT_EQUAL(v[0].cseq, 2);
	CU_ASSERT_EQUAL(v[0].caps, DB_CAP_SESSION);   /* schema 5 */
	CU_ASSERT_EQUAL(v[1].caps, 0);
	CU_ASSERT_EQUAL(v[0].q, 700);   /* schema 8 */
	CU_ASSERT_EQUAL(v[1].q, 0);
	CU_ASSERT_STRING_EQUAL(v[0].instance, "urn:uuid:1");
	CU_ASSERT_PTR_NULL(v[0].gruu);
	CU_ASSERT_STRING_EQUAL(v[1].gruu, "sip:bob@example.com;gr=x");
	db_binding_list_free(v, n);
	CU_ASSERT_EQUAL(db_binding_list(db, NULL, 1000, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 2);   /* tel: one ended at 500 */
	db_binding_list_free(v, n);
	CU_ASSERT_EQUAL(db_binding_list(db, NULL, 0, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 3);
	db_binding_list_free(v, n);
	CU_ASSERT_EQUAL(db_binding_purge(db, 1000), 1);
	CU_ASSERT_EQUAL(db_binding_delete(db, "sip:bob@example.com", "sip:bob@192.0.2.5"), 1);
	CU_ASSERT_EQUAL(db_binding_delete(db, "sip:bob@example.com", "sip:nobody@x"), 0);
	CU_ASSERT_EQUAL(db_binding_list(db, "sip:bob@example.com", 0, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	db_binding_list_free(v, n);
	CU_ASSERT_EQUAL(db_binding_delete(db, "sip:bob@example.com", NULL), 1);
	CU_ASSERT_EQUAL(db_binding_list(db, NULL, 0, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	db_binding_list_free(v, n);
	struct db_binding bad = { .aor = "", .contact = "x" };
	CU_ASSERT_EQUAL(db_binding_upsert(db, &bad), -EINVAL);
	db_close(db);
	/* bindings survive a restart */
	CU_ASSERT_EQUAL_FATAL(t_open(db_path("bindings2"), 0, &db), 0);
	CU_ASSERT_EQUAL(db_binding_upsert(db, &b2), 0);
	db_close(db);
	CU_ASSERT_EQUAL_FATAL(t_open(db_path("bindings2"), 0, &db), 0);
	CU_ASSERT_EQUAL(db_binding_list(db, "sip:bob@example.com", 0, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	db_binding_list_free(v, n);
	db_close(db);
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

static void test_waiting_target(void)
{
	struct db *db = NULL;
	CU_ASSERT_EQUAL_FATAL(t_open(db_path("target"), 0, &db), 0);
	struct db_push p;
	struct db_delivery d[2];
	fill_push(&p, "pi", "tgt");
	fill_delivery(&d[0], "WAPPUSH=sip%3Abob%40example.com/TYPE=USER", NULL, 1000);
	fill_delivery(&d[1], "WAPPUSH=+15550001/TYPE=PLMN", NULL, 1000);
	CU_ASSERT_EQUAL_FATAL(db_push_insert(db, &p, d, 2), 0);
	CU_ASSERT_EQUAL(db_delivery_set_target(db, d[0].id, "sip:bob@example.com"), 0);
	CU_ASSERT_EQUAL(db_delivery_set_target(db, d[1].id, "tel:+15550001"), 0);
	struct db_delivery *v = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL(db_delivery_waiting(db, "sip:bob@example.com", 10, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(v[0].id, d[0].id);
	db_delivery_list_free(v, n);
	/* a final delivery no longer waits */
	CU_ASSERT_EQUAL(db_delivery_set_state(db, d[0].id, DB_STATE_CANCELLED, 1000, "c", 2000, -1), 0);
	CU_ASSERT_EQUAL(db_delivery_waiting(db, "sip:bob@example.com", 10, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	db_delivery_list_free(v, n);
	CU_ASSERT_EQUAL(db_delivery_set_target(db, 999999, "x"), -ENOENT);
	db_close(db);
}

/* Schema 14: the node holding each subscription's dialog is the handle's
 * node at its upsert; a node's start releases the rows of its previous run
 * (node NULL, what the terminal enrolled stays); whether a node is live. */
static void test_subscription_holder(void)
{
	struct db *db = NULL;
	CU_ASSERT_EQUAL_FATAL(t_open(db_path("subholder"), 0, &db), 0);
	CU_ASSERT_EQUAL(db_set_node(db, "node-x"), 0);
	struct db_subscription a = { .aor = "sip:bob@example.com", .call_id = "h1", .remote_tag = "t1",
		.apps = "mms.ua", .expires = 5000, .updated = 100, .node = "ignored" };
	CU_ASSERT_EQUAL(db_subscription_upsert(db, &a), 0);
	CU_ASSERT_EQUAL(db_set_node(db, "node-y"), 0);
	struct db_subscription b = { .aor = "sip:bob@example.com", .call_id = "h2", .remote_tag = "t2",
		.apps = "mms.ua", .expires = 5000, .updated = 200 };
	CU_ASSERT_EQUAL(db_subscription_upsert(db, &b), 0);
	struct db_subscription *v = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(db_subscription_list(db, "sip:bob@example.com", 1000, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	check_str(v[0].node, "node-y");   /* newest first */
	check_str(v[1].node, "node-x");
	db_subscription_list_free(v, n);
	/* node-x starts again: its dialog is gone; node-y's stays */
	CU_ASSERT_EQUAL(db_set_node(db, "node-x"), 0);
	CU_ASSERT_EQUAL(db_subscription_release_node(db), 1);
	CU_ASSERT_EQUAL(db_subscription_release_node(db), 0);
	CU_ASSERT_EQUAL_FATAL(db_subscription_list(db, NULL, 1000, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	check_str(v[0].node, "node-y");
	CU_ASSERT_PTR_NULL(v[1].node);
	check_str(v[1].apps, "mms.ua");   /* what it enrolled stays */
	db_subscription_list_free(v, n);
	/* a refresh in a new dialog of this run names this node again */
	CU_ASSERT_EQUAL(db_subscription_upsert(db, &a), 0);
	CU_ASSERT_EQUAL_FATAL(db_subscription_list(db, "sip:bob@example.com", 1000, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(v[1].id, a.id);
	check_str(v[1].node, "node-x");
	db_subscription_list_free(v, n);
	/* liveness: on PostgreSQL the node lock, on SQLite the handle's own id */
	CU_ASSERT_EQUAL(db_node_live(db, NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_node_live(db, ""), 0);
	CU_ASSERT_EQUAL(db_node_live(db, "node-y"), 0);
	if (db_engine_of(db) == DB_ENGINE_POSTGRESQL) {
		CU_ASSERT_EQUAL(db_node_live(db, "node-x"), 0);   /* no lock yet */
		CU_ASSERT_EQUAL(db_node_lock(db), 0);
	}
	CU_ASSERT_EQUAL(db_node_live(db, "node-x"), 1);
	db_close(db);
}

/* The deliveries parked on the temp-gruus a resync finds (their target is
 * no AoR): woken by target, only those parked until a registration. */
static void test_wake_targets(void)
{
	struct db *db = NULL;
	CU_ASSERT_EQUAL_FATAL(t_open(db_path("waketargets"), 0, &db), 0);
	struct db_push p;
	struct db_delivery d[3];
	fill_push(&p, "pi", "wt");
	fill_delivery(&d[0], "WAPPUSH=sip%3Atg1%40example.com%3Bgr/TYPE=USER", NULL, 1000);
	fill_delivery(&d[1], "WAPPUSH=sip%3Atg2%40example.com%3Bgr/TYPE=USER", NULL, 1000);
	fill_delivery(&d[2], "WAPPUSH=sip%3Atg1%40example.com%3Bgr/TYPE=USER", NULL, 1000);
	CU_ASSERT_EQUAL_FATAL(db_push_insert(db, &p, d, 3), 0);
	CU_ASSERT_EQUAL(db_delivery_set_target(db, d[0].id, "sip:tg1@example.com"), 0);
	CU_ASSERT_EQUAL(db_delivery_set_target(db, d[1].id, "sip:tg2@example.com"), 0);
	CU_ASSERT_EQUAL(db_delivery_set_target(db, d[2].id, "sip:tg1@example.com"), 0);
	CU_ASSERT_EQUAL(db_delivery_schedule(db, d[0].id, INT64_MAX), 0);   /* parked */
	CU_ASSERT_EQUAL(db_delivery_schedule(db, d[1].id, INT64_MAX), 0);   /* parked, not named */
	CU_ASSERT_EQUAL(db_delivery_schedule(db, d[2].id, 3000), 0);        /* a retry, not parked */
	const char *t[] = { "sip:tg1@example.com", "sip:bad\n@example.com", "sip:none@example.com" };
	CU_ASSERT_EQUAL(db_regevent_wake_targets(db, t, 0, 2000), 0);
	CU_ASSERT_EQUAL(db_regevent_wake_targets(db, NULL, 1, 2000), -EINVAL);
	CU_ASSERT_EQUAL(db_regevent_wake_targets(db, t, 3, 2000), 1);
	CU_ASSERT_EQUAL(db_regevent_wake_targets(db, t, 3, 2000), 0);   /* not parked any more */
	struct db_delivery *v = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(db_delivery_due(db, 2000, 10, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(v[0].id, d[0].id);
	db_delivery_list_free(v, n);
	db_close(db);
}

/* Schema 11: the holder of each AoR's reg event subscription, the AoRs that
 * parked deliveries wait on, and the wake-up of every registered AoR's. */
static void test_regevent_owner(void)
{
	struct db *db = NULL;
	CU_ASSERT_EQUAL_FATAL(t_open(db_path("regev"), 0, &db), 0);
	struct db_push p;
	struct db_delivery d[3];
	fill_push(&p, "pi", "regev");
	fill_delivery(&d[0], "WAPPUSH=sip%3Abob%40example.com/TYPE=USER", NULL, 1000);
	fill_delivery(&d[1], "WAPPUSH=+15550001/TYPE=PLMN", NULL, 1000);
	fill_delivery(&d[2], "WAPPUSH=sip%3Acarol%40example.com/TYPE=USER", NULL, 1000);
	CU_ASSERT_EQUAL_FATAL(db_push_insert(db, &p, d, 3), 0);
	CU_ASSERT_EQUAL(db_delivery_set_target(db, d[0].id, "sip:bob@example.com"), 0);
	CU_ASSERT_EQUAL(db_delivery_set_target(db, d[1].id, "tel:+15550001"), 0);
	CU_ASSERT_EQUAL(db_delivery_set_target(db, d[2].id, "sip:carol@example.com"), 0);
	CU_ASSERT_EQUAL(db_delivery_schedule(db, d[0].id, INT64_MAX), 0);   /* parked */
	CU_ASSERT_EQUAL(db_delivery_schedule(db, d[1].id, INT64_MAX), 0);   /* parked, tel: */
	CU_ASSERT_EQUAL(db_delivery_schedule(db, d[2].id, 3000), 0);        /* a retry, not parked */

	char **v = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL(db_regevent_wanted(db, "n1", 0, 5000, "", 10, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(v[0], "sip:bob@example.com");
	db_regevent_list_free(v, n);
	CU_ASSERT_EQUAL(db_regevent_wanted(db, "n1", 0, 5000, "sip:bob@example.com", 10, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 0);   /* past the cursor */
	db_regevent_list_free(v, n);

	/* n1 takes it; n2 cannot while n1's lease runs */
	CU_ASSERT_EQUAL(db_regevent_own(db, "sip:bob@example.com", "n1", 5000, 8000), 1);
	CU_ASSERT_EQUAL(db_regevent_own(db, "sip:bob@example.com", "n2", 6000, 9000), 0);
	CU_ASSERT_EQUAL(db_regevent_own(db, "sip:bob@example.com", "n1", 6000, 9000), 1);   /* its own */
	CU_ASSERT_EQUAL(db_regevent_wanted(db, "n2", 0, 6000, "", 10, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 0);   /* held */
	db_regevent_list_free(v, n);
	CU_ASSERT_EQUAL(db_regevent_wanted(db, "n1", 1, 6000, "", 10, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 1);   /* n1's own, at its start */
	db_regevent_list_free(v, n);
	CU_ASSERT_EQUAL(db_regevent_wanted(db, "n1", 0, 6000, "", 10, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	db_regevent_list_free(v, n);

	/* renewed, then run out: n2 takes over; n1's renewal finds nothing */
	CU_ASSERT_EQUAL(db_regevent_own(db, "sip:bob@example.com", "n1", 7000, 12000), 1);   /* its own: renewed */
	CU_ASSERT_EQUAL(db_regevent_own(db, "sip:bob@example.com", "n2", 11000, 14000), 0);
	CU_ASSERT_EQUAL(db_regevent_wanted(db, "n2", 0, 12000, "", 10, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 1);   /* the lease ran out at 12000 */
	db_regevent_list_free(v, n);
	CU_ASSERT_EQUAL(db_regevent_own(db, "sip:bob@example.com", "n2", 12000, 15000), 1);
	CU_ASSERT_EQUAL(db_regevent_own(db, "sip:bob@example.com", "n1", 12500, 16000), 0);   /* n2's, live */
	CU_ASSERT_EQUAL(db_regevent_release(db, "sip:bob@example.com", "n1"), 0);
	CU_ASSERT_EQUAL(db_regevent_release(db, NULL, "n2"), 1);
	CU_ASSERT_EQUAL(db_regevent_own(db, "sip:bob@example.com", "n1", 13000, 16000), 1);   /* free again */
	/* rows whose lease ended before a time are forgotten; live ones stay */
	CU_ASSERT_EQUAL(db_regevent_forget(db, 16000), 0);
	CU_ASSERT_EQUAL(db_regevent_forget(db, 16001), 1);
	CU_ASSERT_EQUAL(db_regevent_own(db, "sip:bob@example.com", "n2", 16001, 19000), 1);   /* nobody holds it */

	/* the wake-up of every registered AoR: bob only once he has a live binding */
	CU_ASSERT_EQUAL(db_regevent_wake_registered(db, 20000, 10), 0);
	struct db_binding b = { .aor = "sip:bob@example.com", .contact = "sip:bob@192.0.2.4", .apps = "mms.ua",
		.expires = 30000, .updated = 20000, .call_id = "c1", .cseq = 1 };
	CU_ASSERT_EQUAL(db_binding_upsert(db, &b), 0);
	struct db_binding c = { .aor = "sip:carol@example.com", .contact = "sip:carol@192.0.2.5", .apps = "mms.ua",
		.expires = 30000, .updated = 20000, .call_id = "c2", .cseq = 1 };
	CU_ASSERT_EQUAL(db_binding_upsert(db, &c), 0);
	CU_ASSERT_EQUAL(db_regevent_wake_registered(db, 40000, 10), 0);   /* the binding expired by then */
	CU_ASSERT_EQUAL(db_regevent_wake_registered(db, 20000, 10), 1);   /* bob's; carol's is a retry */
	struct db_delivery got;
	CU_ASSERT_EQUAL_FATAL(db_delivery_get(db, d[0].id, &got), 0);
	CU_ASSERT_EQUAL(got.next_attempt, 20000);
	db_delivery_clear(&got);
	CU_ASSERT_EQUAL_FATAL(db_delivery_get(db, d[2].id, &got), 0);
	CU_ASSERT_EQUAL(got.next_attempt, 3000);
	db_delivery_clear(&got);
	CU_ASSERT_EQUAL(db_regevent_wake_registered(db, 20000, 10), 0);   /* not parked any more */
	CU_ASSERT_EQUAL(db_regevent_wanted(db, "n1", 1, 20000, "", 10, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	db_regevent_list_free(v, n);
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

/* Schema 10: the temp-gruus learnt since a binding's Call-ID began (RFC 5627
 * §3.2) and its origin; a full reginfo document takes off only the reginfo
 * bit, and only bindings no one tells of any more go. */
static void test_binding_temp_gruu_origin(void)
{
	struct db *db = NULL;
	struct db_binding *v = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(t_open(db_path("tgruu"), 0, &db), 0);
	struct db_binding b = { .aor = "sip:ann@example.com", .contact = "sip:ann@192.0.2.4",
		.expires = 10000, .updated = 100, .call_id = "c1", .cseq = 1,
		.temp_gruu = "sip:tgruu.1@example.com;gr" };
	CU_ASSERT_EQUAL(db_binding_upsert(db, &b), 0);
	b.temp_gruu = "sip:tgruu.2@example.com;gr";   /* a refresh: a new one, the old stays valid */
	b.cseq = 2;
	CU_ASSERT_EQUAL(db_binding_upsert(db, &b), 0);
	b.cseq = 3;   /* the same one again: not listed twice */
	CU_ASSERT_EQUAL(db_binding_upsert(db, &b), 0);
	b.temp_gruu = NULL;   /* a refresh that told none keeps the set */
	CU_ASSERT_EQUAL(db_binding_upsert(db, &b), 0);
	CU_ASSERT_EQUAL_FATAL(db_binding_list(db, "sip:ann@example.com", 0, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	check_str(v[0].temp_gruu, "sip:tgruu.1@example.com;gr sip:tgruu.2@example.com;gr");
	CU_ASSERT_EQUAL(v[0].origin, DB_ORIGIN_REGISTER);   /* 0 given: a REGISTER */
	db_binding_list_free(v, n);
	/* who holds a temp-gruu: found by a part of it while the binding lives */
	CU_ASSERT_EQUAL_FATAL(db_binding_list_temp(db, "tgruu.2", 0, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	check_str(v[0].aor, "sip:ann@example.com");
	db_binding_list_free(v, n);
	CU_ASSERT_EQUAL(db_binding_list_temp(db, "tgruu.9", 0, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	db_binding_list_free(v, n);
	CU_ASSERT_EQUAL(db_binding_list_temp(db, "tgruu.2", 10000, &v, &n), 0);   /* ended */
	CU_ASSERT_EQUAL(n, 0);
	db_binding_list_free(v, n);
	CU_ASSERT_EQUAL(db_binding_list_temp(db, "", 0, &v, &n), -EINVAL);
	/* a new Call-ID: the earlier temp-gruus are no longer valid */
	b.call_id = "c2";
	b.temp_gruu = "sip:tgruu.3@example.com;gr";
	CU_ASSERT_EQUAL(db_binding_upsert(db, &b), 0);
	CU_ASSERT_EQUAL_FATAL(db_binding_list(db, "sip:ann@example.com", 0, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	check_str(v[0].temp_gruu, "sip:tgruu.3@example.com;gr");
	db_binding_list_free(v, n);
	CU_ASSERT_EQUAL(db_binding_list_temp(db, "tgruu.1", 0, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	db_binding_list_free(v, n);

	/* origin: the same contact told by reginfo too holds both bits */
	b.origin = DB_ORIGIN_REGINFO;
	CU_ASSERT_EQUAL(db_binding_upsert(db, &b), 0);
	struct db_binding r = { .aor = "sip:ann@example.com", .contact = "sip:ann@192.0.2.9",
		.expires = 10000, .updated = 150, .call_id = "reg-event", .origin = DB_ORIGIN_REGINFO };
	CU_ASSERT_EQUAL(db_binding_upsert(db, &r), 0);
	CU_ASSERT_EQUAL_FATAL(db_binding_list(db, "sip:ann@example.com", 0, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(v[0].origin, DB_ORIGIN_REGINFO);   /* updated 150: newest first */
	CU_ASSERT_EQUAL(v[1].origin, DB_ORIGIN_REGISTER | DB_ORIGIN_REGINFO);
	db_binding_list_free(v, n);
	/* a full reginfo document that lists neither: the reginfo-only one goes,
	 * the one a REGISTER told stays, as the REGISTER told it */
	CU_ASSERT_EQUAL(db_binding_drop_origin(db, "sip:ann@example.com", DB_ORIGIN_REGINFO), 2);
	CU_ASSERT_EQUAL(db_binding_delete_unowned(db, "sip:ann@example.com"), 1);
	CU_ASSERT_EQUAL_FATAL(db_binding_list(db, "sip:ann@example.com", 0, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	check_str(v[0].contact, "sip:ann@192.0.2.4");
	CU_ASSERT_EQUAL(v[0].origin, DB_ORIGIN_REGISTER);
	check_str(v[0].temp_gruu, "sip:tgruu.3@example.com;gr");
	db_binding_list_free(v, n);
	/* one the document lists again gets its bit back and keeps its temp-gruus */
	b.origin = DB_ORIGIN_REGINFO;
	b.temp_gruu = NULL;
	CU_ASSERT_EQUAL(db_binding_drop_origin(db, "sip:ann@example.com", DB_ORIGIN_REGINFO), 0);
	CU_ASSERT_EQUAL(db_binding_upsert(db, &b), 0);
	CU_ASSERT_EQUAL(db_binding_delete_unowned(db, "sip:ann@example.com"), 0);
	CU_ASSERT_EQUAL_FATAL(db_binding_list(db, "sip:ann@example.com", 0, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(v[0].origin, DB_ORIGIN_REGISTER | DB_ORIGIN_REGINFO);
	check_str(v[0].temp_gruu, "sip:tgruu.3@example.com;gr");
	db_binding_list_free(v, n);
	/* a binding that had ended starts afresh: origin and temp-gruus */
	b.expires = 20000;
	b.updated = 15000;
	b.origin = DB_ORIGIN_REGINFO;
	b.temp_gruu = "sip:tgruu.4@example.com;gr";
	CU_ASSERT_EQUAL(db_binding_upsert(db, &b), 0);
	CU_ASSERT_EQUAL_FATAL(db_binding_list(db, "sip:ann@example.com", 0, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(v[0].origin, DB_ORIGIN_REGINFO);
	check_str(v[0].temp_gruu, "sip:tgruu.4@example.com;gr");
	db_binding_list_free(v, n);
	CU_ASSERT_EQUAL(db_binding_drop_origin(db, "sip:ann@example.com", 0), -EINVAL);
	CU_ASSERT_EQUAL(db_binding_delete_unowned(db, NULL), -EINVAL);
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

struct t_case {
	const char *name;
	void (*fn)(void);
	int sqlite_only;
};

static const struct t_case cases[] = {
	{ "fresh file: the current schema, WAL", test_fresh_schema_wal, 1 },
	{ "a delivery's stored bearer", test_delivery_bearer, 0 },
	{ "a handle used from a thread that does not own it", test_owner_thread, 0 },
	{ "insert and read back every field", test_insert_read_back, 0 },
	{ "push-id unique per PI", test_duplicate_push_id, 0 },
	{ "replaced pushes free their push-id", test_replaced, 0 },
	{ "transitions and the summary state", test_transitions_and_summary, 0 },
	{ "savepoints inside a batch", test_savepoints_in_batch, 0 },
	{ "close and reopen keeps rows", test_reopen_persists, 0 },
	{ "upgrade from schema 1", test_upgrade_from_v1, 1 },
	{ "upgrade from schema 9: transitions keyed by delivery", test_upgrade_transitions_v9, 1 },
	{ "newer file refused", test_newer_file_refused, 1 },
	{ "read-only handle beside the writer", test_readonly_sees_committed, 0 },
	{ "due deliveries in order", test_due_order, 0 },
	{ "delivery by raw or canonical address", test_find_by_address, 0 },
	{ "bad arguments", test_bad_arguments, 0 },
	{ "deliveries past deliver-before", test_expired, 0 },
	{ "SIP registration bindings", test_bindings, 0 },
	{ "bindings' temp-gruus and origin (schema 10)", test_binding_temp_gruu_origin, 0 },
	{ "upgrade from schema 9: bindings' origin", test_upgrade_from_v9, 1 },
	{ "ua-profile subscriptions", test_subscriptions, 0 },
	{ "deliveries waiting on a target", test_waiting_target, 0 },
	{ "reg event subscription holders (schema 11)", test_regevent_owner, 0 },
	{ "subscriptions' dialog holders (schema 14)", test_subscription_holder, 0 },
	{ "deliveries parked on temp-gruus woken by target", test_wake_targets, 0 },
	{ "a replaced push-id is still found", test_find_latest, 0 },
	{ "due deliveries by priority", test_due_priority, 0 },
	{ "commits made durable by db_sync", test_external_sync, 0 },
	{ "pushes searched and paged for the operator", test_push_search, 0 },
};

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("db (SQLite)", suite_init, suite_clean);
	if (!s)
		return 1;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CU_add_test(s, cases[i].name, cases[i].fn);

	const char *why = NULL;
	if (tpg_available(&why)) {
		s = CU_add_suite("db (PostgreSQL)", suite_init_pg, suite_clean_pg);
		if (!s)
			return 1;
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
			if (!cases[i].sqlite_only)
				CU_add_test(s, cases[i].name, cases[i].fn);
		CU_add_test(s, "upgrade from the previous schema version", test_pg_upgrade);
		CU_add_test(s, "unreachable and lost server", test_pg_connection);
	} else {
		printf("test_db: PostgreSQL suite SKIPPED: %s\n", why);
	}
	return tu_run();
}
