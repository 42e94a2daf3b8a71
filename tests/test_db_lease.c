/*
 * test_db_lease.c - what several gateways on one database need from db/
 * (schema 6), on both engines: claims of due deliveries and notifications
 * by two nodes (handles with different node ids), the lease owner, the
 * recovery of a node's own leases, SMSC message ids and content tokens;
 * on PostgreSQL also two claims in concurrent transactions (SKIP LOCKED),
 * NOTIFY through a listener, and the reconnection of a lost handle. The
 * PostgreSQL suite starts its own server (test_db_pg.c) and is skipped with
 * a message when the binaries are absent.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#ifdef PPG_HAVE_LIBPQ
#include "db/db_pg_int.h"   /* white-box: the claim's SQL text, for its plan */
#endif
#include "tests/test_db_engine.h"
#include "tests/test_db_pg.h"
#include "tests/test_util.h"

/* A push of pi/push_id with n deliveries due at `due`; the ids into ids. */
static int64_t add_push(struct db *db, const char *push_id, size_t n, int64_t due, int64_t *ids)
{
	struct db_push p = { 0 };
	struct db_delivery d[16];
	char addr[16][32];

	p.pi = "pi";
	p.push_id = (char *)push_id;
	p.state = DB_STATE_PENDING;
	p.received_time = 1;
	for (size_t i = 0; i < n; i++) {
		memset(&d[i], 0, sizeof d[i]);
		snprintf(addr[i], sizeof addr[i], "a%zu", i);
		d[i].address = addr[i];
		d[i].addr_type = 1;
		d[i].state = DB_STATE_PENDING;
		d[i].code = 1001;
		d[i].event_time = 1;
		d[i].next_attempt = due;
	}
	int rc = db_push_insert(db, &p, d, n);
	CU_ASSERT_EQUAL(rc, 0);
	for (size_t i = 0; ids && i < n; i++)
		ids[i] = d[i].id;
	return rc == 0 ? p.id : -1;
}

static void check_owner(struct db *db, int64_t id, const char *want)
{
	char owner[DB_NODE_MAX];
	CU_ASSERT_EQUAL_FATAL(db_delivery_lease_owner(db, id, owner, sizeof owner), 0);
	CU_ASSERT_STRING_EQUAL(owner, want);
}

/* Two nodes claim from one store: disjoint sets, each row owned by its
 * claimer, nothing claimed twice until the lease runs out. */
static void test_claim_two_nodes(void)
{
	struct db *a = NULL, *b = NULL;
	struct db_delivery *v = NULL, *w = NULL;
	size_t nv = 0, nw = 0;
	int64_t ids[10];

	CU_ASSERT_EQUAL_FATAL(t_open_as("claim", "node-a", &a), 0);
	CU_ASSERT_EQUAL_FATAL(t_open_as("claim", "node-b", &b), 0);
	CU_ASSERT_STRING_EQUAL(db_node(a), "node-a");
	add_push(a, "p1", 10, 100, ids);
	check_owner(b, ids[0], "node-a");   /* inserted by node-a */

	CU_ASSERT_EQUAL_FATAL(db_delivery_claim(b, 100, 5000, 4, &v, &nv), 0);
	CU_ASSERT_EQUAL_FATAL(nv, 4);
	CU_ASSERT_EQUAL_FATAL(db_delivery_claim(a, 100, 5000, 100, &w, &nw), 0);
	CU_ASSERT_EQUAL_FATAL(nw, 6);
	for (size_t i = 0; i < nv; i++) {
		CU_ASSERT_EQUAL(v[i].next_attempt, 5000);
		check_owner(a, v[i].id, "node-b");
		for (size_t k = 0; k < nw; k++)
			CU_ASSERT_NOT_EQUAL(v[i].id, w[k].id);
	}
	for (size_t k = 0; k < nw; k++)
		check_owner(b, w[k].id, "node-a");
	db_delivery_list_free(v, nv);
	db_delivery_list_free(w, nw);

	/* leased: nobody gets them before 5000 */
	CU_ASSERT_EQUAL(db_delivery_claim(b, 4999, 5000, 100, &v, &nv), 0);
	CU_ASSERT_EQUAL(nv, 0);
	/* node-b died: at 5000 node-a takes its four over (and its own six) */
	CU_ASSERT_EQUAL_FATAL(db_delivery_claim(a, 5000, 9000, 100, &v, &nv), 0);
	CU_ASSERT_EQUAL(nv, 10);
	for (size_t i = 0; i < nv; i++)
		check_owner(b, v[i].id, "node-a");
	db_delivery_list_free(v, nv);

	/* a final delivery is never claimed */
	CU_ASSERT_EQUAL(db_delivery_set_state(a, ids[0], DB_STATE_DELIVERED, 1000, "ok", 2, -1), 0);
	CU_ASSERT_EQUAL_FATAL(db_delivery_claim(b, 9000, 10000, 100, &v, &nv), 0);
	CU_ASSERT_EQUAL(nv, 9);
	db_delivery_list_free(v, nv);

	char owner[8];
	CU_ASSERT_EQUAL(db_delivery_lease_owner(a, 999999, owner, sizeof owner), -ENOENT);
	CU_ASSERT_EQUAL(db_delivery_claim(a, 0, 1, 0, &v, &nv), 0);
	CU_ASSERT_EQUAL(nv, 0);
	db_close(a);
	db_close(b);
}

/* At a restart a node takes back its own leases at once; on PostgreSQL
 * other nodes' leases stay theirs (SQLite has one node: all of them). */
static void test_recover_own(void)
{
	struct db *a = NULL, *b = NULL;
	struct db_delivery *v = NULL;
	size_t nv = 0;
	int64_t ids[4];

	CU_ASSERT_EQUAL_FATAL(t_open_as("recover", "node-a", &a), 0);
	CU_ASSERT_EQUAL_FATAL(t_open_as("recover", "node-b", &b), 0);
	add_push(a, "r1", 4, 100, ids);
	CU_ASSERT_EQUAL_FATAL(db_delivery_claim(a, 100, 50000, 2, &v, &nv), 0);
	CU_ASSERT_EQUAL(nv, 2);
	db_delivery_list_free(v, nv);
	CU_ASSERT_EQUAL_FATAL(db_delivery_claim(b, 100, 50000, 2, &v, &nv), 0);
	CU_ASSERT_EQUAL(nv, 2);
	db_delivery_list_free(v, nv);

	int n = db_delivery_recover_own(a, 200);
	CU_ASSERT_EQUAL(n, engine == DB_ENGINE_POSTGRESQL ? 2 : 4);
	CU_ASSERT_EQUAL_FATAL(db_delivery_claim(a, 200, 50000, 10, &v, &nv), 0);
	CU_ASSERT_EQUAL(nv, (size_t)n);
	for (size_t i = 0; i < nv; i++)
		check_owner(a, v[i].id, "node-a");
	db_delivery_list_free(v, nv);
	db_close(a);
	db_close(b);
}

/* A restart leaves a delivery parked until a registration (next_attempt
 * never, a target) parked, unless its AoR has a live binding now (a GRUU
 * target by its AoR part); leased and scheduled ones become due. */
static void test_recover_parked(void)
{
	struct db *a = NULL;
	struct db_delivery d = { 0 };
	int64_t ids[5];
	static const char *const target[5] = { "sip:nobody@x.example", "sip:bob@x.example",
		"sip:bob@x.example;gr=urn:uuid:1", "sip:gone@x.example", NULL };

	CU_ASSERT_EQUAL_FATAL(t_open_as("parked", "node-a", &a), 0);
	add_push(a, "p1", 5, 100, ids);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(db_delivery_set_target(a, ids[i], target[i]), 0);
		CU_ASSERT_EQUAL(db_delivery_schedule(a, ids[i], INT64_MAX), 0);
	}
	CU_ASSERT_EQUAL(db_delivery_schedule(a, ids[4], 50000), 0);   /* a lease */
	struct db_binding live = { .aor = "sip:bob@x.example", .contact = "sip:bob@192.0.2.1",
		.apps = "mms.ua", .expires = 10000, .updated = 1, .call_id = "c1", .cseq = 1 };
	struct db_binding dead = { .aor = "sip:gone@x.example", .contact = "sip:gone@192.0.2.2",
		.apps = "mms.ua", .expires = 150, .updated = 1, .call_id = "c2", .cseq = 1 };
	CU_ASSERT_EQUAL_FATAL(db_binding_upsert(a, &live), 0);
	CU_ASSERT_EQUAL_FATAL(db_binding_upsert(a, &dead), 0);

	CU_ASSERT_EQUAL(db_delivery_recover_own(a, 200), 3);
	static const int64_t want[5] = { INT64_MAX, 200, 200, INT64_MAX, 200 };
	for (int i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL_FATAL(db_delivery_get(a, ids[i], &d), 0);
		CU_ASSERT_EQUAL(d.next_attempt, want[i]);
		db_delivery_clear(&d);
	}
	db_close(a);
}

/* Notifications are claimed the same way: each by one node. */
static void test_notification_claim(void)
{
	struct db *a = NULL, *b = NULL;
	struct db_notification *v = NULL, *w = NULL;
	size_t nv = 0, nw = 0;

	CU_ASSERT_EQUAL_FATAL(t_open_as("nclaim", "node-a", &a), 0);
	CU_ASSERT_EQUAL_FATAL(t_open_as("nclaim", "node-b", &b), 0);
	int64_t p = add_push(a, "n1", 1, 100, NULL);
	for (int i = 0; i < 5; i++) {
		struct db_notification nt = { .push = p, .url = "http://127.0.0.1:1/n",
			.body = (unsigned char *)"x", .body_len = 1, .state = DB_STATE_PENDING,
			.next_attempt = 10, .created = 1 };
		CU_ASSERT_EQUAL(db_notification_insert(a, &nt), 0);
	}
	CU_ASSERT_EQUAL_FATAL(db_notification_claim(a, 10, 1000, 3, &v, &nv), 0);
	CU_ASSERT_EQUAL_FATAL(nv, 3);
	CU_ASSERT_EQUAL_FATAL(db_notification_claim(b, 10, 1000, 10, &w, &nw), 0);
	CU_ASSERT_EQUAL_FATAL(nw, 2);
	for (size_t i = 0; i < nv; i++) {
		CU_ASSERT_EQUAL(v[i].next_attempt, 1000);
		for (size_t k = 0; k < nw; k++)
			CU_ASSERT_NOT_EQUAL(v[i].id, w[k].id);
	}
	db_notification_list_free(v, nv);
	db_notification_list_free(w, nw);
	CU_ASSERT_EQUAL(db_notification_claim(b, 999, 2000, 10, &w, &nw), 0);
	CU_ASSERT_EQUAL(nw, 0);
	CU_ASSERT_EQUAL(db_notification_claim(b, 1000, 2000, 10, &w, &nw), 0);
	CU_ASSERT_EQUAL(nw, 5);
	db_notification_list_free(w, nw);
	db_close(a);
	db_close(b);
}

/* The fence of an attempt's writes is owner and lease generation: node A
 * claims, its lease runs out, node B claims, B's runs out, A claims again.
 * A's first attempt no longer holds the lease although the owner is A again
 * (the owner name alone said it did); only the newest claim holds it. */
static void test_lease_generation(void)
{
	struct db *a = NULL, *b = NULL;
	struct db_delivery *v = NULL;
	size_t nv = 0;
	int64_t ids[1];

	CU_ASSERT_EQUAL_FATAL(t_open_as("fence", "node-a", &a), 0);
	CU_ASSERT_EQUAL_FATAL(t_open_as("fence", "node-b", &b), 0);
	add_push(a, "f1", 1, 100, ids);
	/* inserted leased by an accepted push: generation 0, node-a's */
	CU_ASSERT_EQUAL(db_delivery_lease_held(a, ids[0], 0), 1);
	CU_ASSERT_EQUAL(db_delivery_lease_held(b, ids[0], 0), 0);

	CU_ASSERT_EQUAL_FATAL(db_delivery_claim(a, 100, 1000, 10, &v, &nv), 0);
	CU_ASSERT_EQUAL_FATAL(nv, 1);
	int64_t g1 = v[0].lease_gen;
	CU_ASSERT(g1 > 0);
	db_delivery_list_free(v, nv);
	CU_ASSERT_EQUAL(db_delivery_lease_held(a, ids[0], g1), 1);
	CU_ASSERT_EQUAL(db_delivery_lease_held(a, ids[0], 0), 0);   /* the insert's attempt */

	CU_ASSERT_EQUAL_FATAL(db_delivery_claim(b, 1000, 2000, 10, &v, &nv), 0);
	CU_ASSERT_EQUAL_FATAL(nv, 1);
	int64_t g2 = v[0].lease_gen;
	db_delivery_list_free(v, nv);
	CU_ASSERT(g2 > g1);
	CU_ASSERT_EQUAL(db_delivery_lease_held(a, ids[0], g1), 0);
	CU_ASSERT_EQUAL(db_delivery_lease_held(b, ids[0], g2), 1);

	CU_ASSERT_EQUAL_FATAL(db_delivery_claim(a, 2000, 3000, 10, &v, &nv), 0);
	CU_ASSERT_EQUAL_FATAL(nv, 1);
	int64_t g3 = v[0].lease_gen;
	db_delivery_list_free(v, nv);
	CU_ASSERT(g3 > g2);
	check_owner(b, ids[0], "node-a");
	CU_ASSERT_EQUAL(db_delivery_lease_held(a, ids[0], g1), 0);   /* stale, though owner is node-a */
	CU_ASSERT_EQUAL(db_delivery_lease_held(b, ids[0], g2), 0);
	CU_ASSERT_EQUAL(db_delivery_lease_held(a, ids[0], g3), 1);
	CU_ASSERT_EQUAL(db_delivery_lease_held(a, 999999, 1), -ENOENT);
	if (engine == DB_ENGINE_POSTGRESQL) {
		/* the check locks the row: a concurrent claim skips it until commit */
		CU_ASSERT_EQUAL_FATAL(db_begin(a), 0);
		CU_ASSERT_EQUAL(db_delivery_lease_held(a, ids[0], g3), 1);
		CU_ASSERT_EQUAL(db_delivery_claim(b, 5000, 6000, 10, &v, &nv), 0);
		CU_ASSERT_EQUAL(nv, 0);
		db_delivery_list_free(v, nv);
		CU_ASSERT_EQUAL(db_commit(a), 0);
	}
	db_close(a);
	db_close(b);
}

/* A notification held in memory keeps its lease by renewing it, fenced the
 * same way: once another node claimed it, the renewal fails and the holder
 * knows not to send it. */
static void test_notification_renew(void)
{
	struct db *a = NULL, *b = NULL;
	struct db_notification *v = NULL;
	size_t nv = 0;

	CU_ASSERT_EQUAL_FATAL(t_open_as("nrenew", "node-a", &a), 0);
	CU_ASSERT_EQUAL_FATAL(t_open_as("nrenew", "node-b", &b), 0);
	int64_t p = add_push(a, "r1", 1, 100, NULL);
	struct db_notification nt = { .push = p, .url = "http://127.0.0.1:1/n",
		.body = (unsigned char *)"x", .body_len = 1, .state = DB_STATE_PENDING,
		.next_attempt = 10, .created = 1 };
	CU_ASSERT_EQUAL_FATAL(db_notification_insert(a, &nt), 0);
	CU_ASSERT_EQUAL_FATAL(db_notification_claim(a, 10, 1000, 10, &v, &nv), 0);
	CU_ASSERT_EQUAL_FATAL(nv, 1);
	int64_t g = v[0].lease_gen;
	CU_ASSERT(g > 0);
	db_notification_list_free(v, nv);
	/* renewed before it runs out: node-b finds nothing due at 1000 */
	CU_ASSERT_EQUAL(db_notification_renew(a, nt.id, g, 5000), 1);
	CU_ASSERT_EQUAL(db_notification_renew(b, nt.id, g, 5000), 0);   /* not node-b's */
	CU_ASSERT_EQUAL(db_notification_claim(b, 1000, 2000, 10, &v, &nv), 0);
	CU_ASSERT_EQUAL(nv, 0);
	/* not renewed in time: node-b claims it, node-a's renewal fails */
	CU_ASSERT_EQUAL_FATAL(db_notification_claim(b, 5000, 9000, 10, &v, &nv), 0);
	CU_ASSERT_EQUAL_FATAL(nv, 1);
	CU_ASSERT(v[0].lease_gen > g);
	int64_t gb = v[0].lease_gen;
	db_notification_list_free(v, nv);
	CU_ASSERT_EQUAL(db_notification_renew(a, nt.id, g, 20000), 0);
	CU_ASSERT_EQUAL(db_notification_renew(b, nt.id, gb, 20000), 1);
	/* a final one is renewed by nobody */
	CU_ASSERT_EQUAL(db_notification_attempted(b, nt.id, DB_STATE_DELIVERED, -1), 0);
	CU_ASSERT_EQUAL(db_notification_renew(b, nt.id, gb, 30000), 0);
	db_close(a);
	db_close(b);
}

/* An attempt that runs longer than its lease (a session-mode transfer)
 * renews it, fenced by its lease generation: renewed, nobody claims it;
 * not renewed in time, another node claims it and the old holder's renewal
 * fails (the engine then cuts its attempt); a final one is renewed by nobody. */
static void test_delivery_renew(void)
{
	struct db *a = NULL, *b = NULL;
	struct db_delivery *v = NULL;
	size_t nv = 0;
	int64_t ids[1];

	CU_ASSERT_EQUAL_FATAL(t_open_as("drenew", "node-a", &a), 0);
	CU_ASSERT_EQUAL_FATAL(t_open_as("drenew", "node-b", &b), 0);
	add_push(a, "d1", 1, 100, ids);
	CU_ASSERT_EQUAL_FATAL(db_delivery_claim(a, 100, 1000, 10, &v, &nv), 0);
	CU_ASSERT_EQUAL_FATAL(nv, 1);
	int64_t g = v[0].lease_gen;
	db_delivery_list_free(v, nv);
	CU_ASSERT_EQUAL(db_delivery_renew(a, ids[0], g, 5000), 1);
	CU_ASSERT_EQUAL(db_delivery_renew(a, ids[0], g, 3000), 1);      /* held, but not shortened: */
	CU_ASSERT_EQUAL(db_delivery_claim(b, 4000, 6000, 10, &v, &nv), 0);
	CU_ASSERT_EQUAL(nv, 0);   /* still leased until 5000 */
	db_delivery_list_free(v, nv);
	CU_ASSERT_EQUAL(db_delivery_renew(b, ids[0], g, 5000), 0);      /* not node-b's */
	CU_ASSERT_EQUAL(db_delivery_renew(a, ids[0], g - 1, 5000), 0);  /* an older attempt's */
	CU_ASSERT_EQUAL(db_delivery_claim(b, 1000, 2000, 10, &v, &nv), 0);
	CU_ASSERT_EQUAL(nv, 0);   /* renewed past 1000: not due */
	db_delivery_list_free(v, nv);
	CU_ASSERT_EQUAL(db_delivery_claim(b, 4999, 6000, 10, &v, &nv), 0);
	CU_ASSERT_EQUAL(nv, 0);
	db_delivery_list_free(v, nv);
	/* not renewed in time: node-b claims it, node-a's renewal fails */
	CU_ASSERT_EQUAL_FATAL(db_delivery_claim(b, 5000, 9000, 10, &v, &nv), 0);
	CU_ASSERT_EQUAL_FATAL(nv, 1);
	int64_t gb = v[0].lease_gen;
	CU_ASSERT(gb > g);
	db_delivery_list_free(v, nv);
	CU_ASSERT_EQUAL(db_delivery_renew(a, ids[0], g, 20000), 0);
	CU_ASSERT_EQUAL(db_delivery_renew(b, ids[0], gb, 20000), 1);
	/* a final one is renewed by nobody */
	CU_ASSERT_EQUAL(db_delivery_attempted(b, ids[0], DB_STATE_DELIVERED, 1000, "ok", 9000, 0), 0);
	CU_ASSERT_EQUAL(db_delivery_renew(b, ids[0], gb, 30000), 0);
	CU_ASSERT_EQUAL(db_delivery_renew(a, 999999, 1, 30000), 0);
	db_close(a);
	db_close(b);
}

/* SMSC message ids and content tokens: found from any handle, unique, gone
 * with their delivery's tokens. */
static void test_message_ids_and_tokens(void)
{
	struct db *a = NULL, *b = NULL;
	int64_t ids[2], d = 0;

	CU_ASSERT_EQUAL_FATAL(t_open_as("keys", "node-a", &a), 0);
	CU_ASSERT_EQUAL_FATAL(t_open_as("keys", "node-b", &b), 0);
	add_push(a, "k1", 2, 100, ids);
	CU_ASSERT_EQUAL(db_sms_message_add(a, "smsc-1", ids[0], 5), 0);
	CU_ASSERT_EQUAL(db_sms_message_add(a, "smsc-2", ids[0], 5), 0);
	CU_ASSERT_EQUAL(db_sms_message_add(a, "smsc-1", ids[1], 5), -EEXIST);
	CU_ASSERT_EQUAL(db_sms_message_find(b, "smsc-2", &d), 0);
	CU_ASSERT_EQUAL(d, ids[0]);
	CU_ASSERT_EQUAL(db_sms_message_find(b, "smsc-3", &d), -ENOENT);
	CU_ASSERT_EQUAL(db_sms_message_add(a, "", ids[0], 5), -EINVAL);

	CU_ASSERT_EQUAL(db_content_token_add(a, "tok0", ids[0], 5), 0);
	CU_ASSERT_EQUAL(db_content_token_add(a, "tok1", ids[1], 5), 0);
	CU_ASSERT_EQUAL(db_content_token_add(b, "tok1", ids[0], 5), -EEXIST);
	CU_ASSERT_EQUAL(db_content_token_find(b, "tok1", &d), 0);
	CU_ASSERT_EQUAL(d, ids[1]);
	CU_ASSERT_EQUAL(db_content_token_delete(b, ids[1]), 1);
	CU_ASSERT_EQUAL(db_content_token_find(a, "tok1", &d), -ENOENT);
	CU_ASSERT_EQUAL(db_content_token_find(a, "tok0", &d), 0);

	/* a failed insert inside a batch leaves the batch usable */
	CU_ASSERT_EQUAL_FATAL(db_begin(a), 0);
	CU_ASSERT_EQUAL(db_sms_message_add(a, "smsc-1", ids[1], 6), -EEXIST);
	CU_ASSERT_EQUAL(db_sms_message_add(a, "smsc-9", ids[1], 6), 0);
	CU_ASSERT_EQUAL(db_commit(a), 0);
	CU_ASSERT_EQUAL(db_sms_message_find(b, "smsc-9", &d), 0);
	CU_ASSERT_EQUAL(d, ids[1]);
	db_close(a);
	db_close(b);
}

/* A fetch on any node reads the token's content from the store: the push's
 * content while the delivery is not final and the token not older than
 * not_before; a receipt taken on any node removes its message id and tells
 * how many segments of the delivery still wait. */
static void test_token_content_and_take(void)
{
	struct db *a = NULL, *b = NULL;
	struct db_push p = { 0 };
	struct db_delivery d[2];
	char *ct = NULL;
	void *body = NULL;
	size_t len = 0;
	int64_t dv = 0, left = -1;

	CU_ASSERT_EQUAL_FATAL(t_open_as("tokget", "node-a", &a), 0);
	CU_ASSERT_EQUAL_FATAL(t_open_as("tokget", "node-b", &b), 0);
	p.pi = "pi";
	p.push_id = "c1";
	p.state = DB_STATE_PENDING;
	p.received_time = 1;
	p.content_type = "application/vnd.wap.sic";
	p.content_body = (unsigned char *)"\x02\x05\x6a\x00\x45";
	p.content_len = 5;
	for (size_t i = 0; i < 2; i++) {
		memset(&d[i], 0, sizeof d[i]);
		d[i].address = i ? "b1" : "b0";
		d[i].addr_type = 1;
		d[i].state = DB_STATE_PENDING;
		d[i].code = 1001;
		d[i].event_time = 1;
		d[i].next_attempt = 100;
	}
	CU_ASSERT_EQUAL_FATAL(db_push_insert(a, &p, d, 2), 0);
	CU_ASSERT_EQUAL(db_content_token_add(a, "t-get", d[0].id, 1000), 0);
	CU_ASSERT_EQUAL(db_content_token_get(b, "t-get", 900, &dv, &ct, &body, &len), 0);
	CU_ASSERT_EQUAL(dv, d[0].id);
	CU_ASSERT_STRING_EQUAL(ct ? ct : "", "application/vnd.wap.sic");
	CU_ASSERT_EQUAL(len, 5);
	CU_ASSERT(body && !memcmp(body, "\x02\x05\x6a\x00\x45", 5));
	free(ct);
	free(body);
	/* too old for the longest attempt, unknown, final: not served */
	CU_ASSERT_EQUAL(db_content_token_get(b, "t-get", 1001, &dv, &ct, &body, &len), -ENOENT);
	CU_ASSERT_PTR_NULL(body);
	CU_ASSERT_EQUAL(db_content_token_get(b, "t-none", 0, &dv, &ct, &body, &len), -ENOENT);
	CU_ASSERT_EQUAL(db_delivery_set_state(a, d[0].id, DB_STATE_CANCELLED, 3008, "cancelled", 1100, 0), 0);
	CU_ASSERT_EQUAL(db_content_token_get(b, "t-get", 900, &dv, &ct, &body, &len), -ENOENT);

	/* two segments of one attempt of d[1] (added with its start, 5): the
	 * first receipt leaves one, the second none; a later attempt's segment
	 * (7) is not one of them */
	CU_ASSERT_EQUAL(db_sms_message_add(a, "seg-1", d[1].id, 5), 0);
	CU_ASSERT_EQUAL(db_sms_message_add(a, "seg-2", d[1].id, 5), 0);
	CU_ASSERT_EQUAL(db_sms_message_add(a, "seg-again", d[1].id, 7), 0);
	CU_ASSERT_EQUAL(db_sms_message_take(b, "seg-2", &dv, &left), 0);
	CU_ASSERT_EQUAL(dv, d[1].id);
	CU_ASSERT_EQUAL(left, 1);
	CU_ASSERT_EQUAL(db_sms_message_take(a, "seg-2", &dv, &left), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(db_begin(a), 0);   /* inside a batch, as on the writer */
	CU_ASSERT_EQUAL(db_sms_message_take(a, "seg-1", &dv, &left), 0);
	CU_ASSERT_EQUAL(db_commit(a), 0);
	CU_ASSERT_EQUAL(left, 0);
	CU_ASSERT_EQUAL(db_sms_message_take(b, "", &dv, &left), -EINVAL);
	db_close(a);
	db_close(b);
}

/* PostgreSQL: two claims in concurrent transactions skip each other's
 * locked rows instead of taking them twice or waiting. */
static void test_pg_skip_locked(void)
{
	struct db *a = NULL, *b = NULL;
	struct db_delivery *v = NULL, *w = NULL;
	size_t nv = 0, nw = 0;

	CU_ASSERT_EQUAL_FATAL(t_open_as("skip", "node-a", &a), 0);
	CU_ASSERT_EQUAL_FATAL(t_open_as("skip", "node-b", &b), 0);
	add_push(a, "s1", 6, 100, NULL);
	CU_ASSERT_EQUAL_FATAL(db_begin(a), 0);
	CU_ASSERT_EQUAL_FATAL(db_begin(b), 0);
	CU_ASSERT_EQUAL_FATAL(db_delivery_claim(a, 100, 5000, 4, &v, &nv), 0);
	CU_ASSERT_EQUAL(nv, 4);
	/* a has not committed: b neither waits nor takes a's rows */
	CU_ASSERT_EQUAL_FATAL(db_delivery_claim(b, 100, 5000, 10, &w, &nw), 0);
	CU_ASSERT_EQUAL(nw, 2);
	for (size_t i = 0; i < nv; i++)
		for (size_t k = 0; k < nw; k++)
			CU_ASSERT_NOT_EQUAL(v[i].id, w[k].id);
	CU_ASSERT_EQUAL(db_commit(b), 0);
	CU_ASSERT_EQUAL(db_commit(a), 0);
	db_delivery_list_free(v, nv);
	db_delivery_list_free(w, nw);
	CU_ASSERT_EQUAL(db_delivery_claim(b, 4999, 5000, 10, &w, &nw), 0);
	CU_ASSERT_EQUAL(nw, 0);
	db_close(a);
	db_close(b);
}

#ifdef PPG_HAVE_LIBPQ
/* The plan of the claim statement (prepared as db/ prepares it) in the
 * given plan_cache_mode, as one string; NULL on failure. */
static char *claim_plan(PGconn *c, const char *mode)
{
	char sql[2048];
	PGresult *r;
	snprintf(sql, sizeof sql, "SET plan_cache_mode = %s", mode);
	PQclear(PQexec(c, sql));
	PQclear(PQexec(c, "DEALLOCATE ALL"));
	snprintf(sql, sizeof sql, "PREPARE c(bigint, bigint, text, bigint, bigint) AS %s",
	    db_pg_sql[PG_DELIVERY_CLAIM]);
	r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "PREPARE: %s", PQerrorMessage(c));
	PQclear(r);
	if (!ok)
		return NULL;
	r = PQexec(c, "EXPLAIN EXECUTE c(1000, 5000, 'node-a', 256, 2)");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "EXPLAIN: %s", PQerrorMessage(c));
		PQclear(r);
		return NULL;
	}
	size_t len = 1;
	for (int i = 0; i < PQntuples(r); i++)
		len += strlen(PQgetvalue(r, i, 0)) + 1;
	char *plan = calloc(1, len);
	for (int i = 0; plan && i < PQntuples(r); i++) {
		strcat(plan, PQgetvalue(r, i, 0));
		strcat(plan, "\n");
	}
	PQclear(r);
	return plan;
}

/* Whether a line of plan is an index condition on priority and next_attempt. */
static int plan_has_range(const char *plan)
{
	for (const char *l = plan; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t n = strcspn(l, "\n");
		char line[512];
		snprintf(line, sizeof line, "%.*s", (int)n, l);
		if (strstr(line, "Index Cond") && strstr(line, "priority") && strstr(line, "next_attempt"))
			return 1;
	}
	return 0;
}
#endif

/* PostgreSQL: on a table of 60,000 pending deliveries, almost all leased or
 * parked (next_attempt in the future) at high priority, the claim of the
 * due ones of a priority is a range of the index delivery_due (state,
 * priority, next_attempt), not a scan of the table or of every pending
 * row: with generic and custom plans (the prepared statement switches). */
static void test_pg_claim_plan(void)
{
#ifdef PPG_HAVE_LIBPQ
	struct db *a = NULL;
	struct db_delivery *v = NULL;
	size_t nv = 0;

	CU_ASSERT_EQUAL_FATAL(t_open_as("plan", "node-a", &a), 0);
	int64_t p = add_push(a, "pl", 1, 100, NULL);
	char sql[512];
	snprintf(sql, sizeof sql, "INSERT INTO delivery (push, address, state, event_time, next_attempt,"
	    " priority, lease_owner) SELECT %lld, 'x' || g, 1, 1, 100000 + g, 1 + (g %% 2), 'node-b'"
	    " FROM generate_series(1, 60000) g", (long long)p);
	CU_ASSERT_EQUAL_FATAL(tpg_sql(pg, "plan", sql), 0);
	snprintf(sql, sizeof sql, "INSERT INTO delivery (push, address, state, event_time, next_attempt,"
	    " priority) SELECT %lld, 'd' || g, 1, 1, 500, 3 FROM generate_series(1, 50) g", (long long)p);
	CU_ASSERT_EQUAL_FATAL(tpg_sql(pg, "plan", sql), 0);
	CU_ASSERT_EQUAL_FATAL(tpg_sql(pg, "plan", "VACUUM ANALYZE delivery"), 0);

	PGconn *c = PQconnectdb(tpg_conninfo(pg, "plan"));
	CU_ASSERT_EQUAL_FATAL(PQstatus(c), CONNECTION_OK);
	static const char *const modes[] = { "force_generic_plan", "force_custom_plan" };
	for (size_t i = 0; i < 2; i++) {
		char *plan = claim_plan(c, modes[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(plan);
		int seq = strstr(plan, "Seq Scan on delivery") != NULL;
		int range = plan_has_range(plan);
		CU_ASSERT_FALSE(seq);
		CU_ASSERT_TRUE(range);
		if (seq || !range)
			fprintf(stderr, "claim plan (%s):\n%s", modes[i], plan);
		free(plan);
	}
	PQfinish(c);
	/* and the claim still takes the due ones, high priority first */
	CU_ASSERT_EQUAL(db_delivery_claim(a, 1000, 5000, 20, &v, &nv), 0);
	CU_ASSERT_EQUAL(nv, 20);
	for (size_t i = 0; i < nv; i++)
		CU_ASSERT(v[i].id == v[0].id || strncmp(v[i].address, "d", 1) == 0 || v[i].next_attempt == 5000);
	db_delivery_list_free(v, nv);
	db_close(a);
#endif
}

struct heard {
	char channel[32];
	char payload[128];
	int n;
};

static void on_heard(void *arg, const char *channel, const char *payload)
{
	struct heard *h = arg;
	snprintf(h->channel, sizeof h->channel, "%s", channel);
	snprintf(h->payload, sizeof h->payload, "%s", payload);
	h->n++;
}

/* Waits up to ms for notifications; what db_listen_read returned last. */
static int listen_wait(struct db_listener *l, struct heard *h, int ms)
{
	struct pollfd p = { .fd = db_listen_fd(l), .events = POLLIN };
	int r = 0;
	while (poll(&p, 1, ms) > 0) {
		r = db_listen_read(l, on_heard, h);
		if (r != 0)
			break;
	}
	return r;
}

/* PostgreSQL: NOTIFY reaches a listener when the transaction commits, not
 * before, and not at all when it rolls back. SQLite: NOTIFY is a no-op and
 * there is no listener. */
static void test_notify_listen(void)
{
	struct db *a = NULL;
	struct db_listener *l = NULL;
	struct heard h = { 0 };
	static const char *const ch[] = { "ppgd_test" };

	CU_ASSERT_EQUAL_FATAL(t_open_as("notify", "node-a", &a), 0);
	if (engine != DB_ENGINE_POSTGRESQL) {
		struct db_conf c = { .engine = DB_ENGINE_SQLITE, .path = "x" };
		CU_ASSERT_EQUAL(db_listen_open(&c, ch, 1, &l), -ENOTSUP);
		CU_ASSERT_PTR_NULL(l);
		CU_ASSERT_EQUAL(db_notify(a, "ppgd_test", "x"), 0);
		db_close(a);
		return;
	}
	struct db_conf c = { .engine = DB_ENGINE_POSTGRESQL, .conninfo = tpg_conninfo(pg, "notify"),
		.node = "node-a" };
	CU_ASSERT_EQUAL_FATAL(db_listen_open(&c, ch, 1, &l), 0);
	CU_ASSERT(db_listen_fd(l) >= 0);

	CU_ASSERT_EQUAL_FATAL(db_begin(a), 0);
	CU_ASSERT_EQUAL(db_notify(a, "ppgd_test", "node-a one"), 0);
	CU_ASSERT_EQUAL(listen_wait(l, &h, 200), 0);   /* not committed yet */
	CU_ASSERT_EQUAL(h.n, 0);
	CU_ASSERT_EQUAL(db_commit(a), 0);
	CU_ASSERT_EQUAL(listen_wait(l, &h, 2000), 1);
	CU_ASSERT_STRING_EQUAL(h.channel, "ppgd_test");
	CU_ASSERT_STRING_EQUAL(h.payload, "node-a one");

	CU_ASSERT_EQUAL_FATAL(db_begin(a), 0);
	CU_ASSERT_EQUAL(db_notify(a, "ppgd_test", "rolled back"), 0);
	CU_ASSERT_EQUAL(db_rollback(a), 0);
	CU_ASSERT_EQUAL(db_notify(a, "ppgd_test", "two"), 0);   /* outside: at once */
	CU_ASSERT_EQUAL(listen_wait(l, &h, 2000), 1);
	CU_ASSERT_STRING_EQUAL(h.payload, "two");
	CU_ASSERT_EQUAL(h.n, 2);

	/* the server ends the listener's connection: read says so, reconnect
	 * listens again */
	CU_ASSERT_EQUAL_FATAL(tpg_sql(pg, "notify", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	    " WHERE datname = 'notify' AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'"), 0);
	CU_ASSERT_EQUAL(listen_wait(l, &h, 2000), -EIO);
	CU_ASSERT(strlen(db_listen_errmsg(l)) > 0);
	CU_ASSERT_EQUAL(db_listen_reconnect(l), 0);
	CU_ASSERT_EQUAL(db_notify(a, "ppgd_test", "three"), 0);
	CU_ASSERT_EQUAL(listen_wait(l, &h, 2000), 1);
	CU_ASSERT_STRING_EQUAL(h.payload, "three");

	/* a peer that went silent (its server process stopped: no FIN, no
	 * RST, as a network that dropped): the ping stays unanswered; once the
	 * peer is back the answer comes and the ping is no longer pending */
	long long pid = tpg_query_int(pg, "notify", "SELECT pid FROM pg_stat_activity"
	    " WHERE application_name = 'ppgd listener node-a'");
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL(db_listen_ping_pending(l), 0);
	CU_ASSERT_EQUAL(kill((pid_t)pid, SIGSTOP), 0);
	CU_ASSERT_EQUAL(db_listen_ping(l), 0);
	CU_ASSERT_EQUAL(listen_wait(l, &h, 500), 0);
	CU_ASSERT_EQUAL(db_listen_ping_pending(l), 1);
	CU_ASSERT_EQUAL(kill((pid_t)pid, SIGCONT), 0);
	struct pollfd pf = { .fd = db_listen_fd(l), .events = POLLIN };
	for (int i = 0; i < 20 && db_listen_ping_pending(l); i++)
		if (poll(&pf, 1, 100) > 0)
			CU_ASSERT(db_listen_read(l, on_heard, &h) >= 0);
	CU_ASSERT_EQUAL(db_listen_ping_pending(l), 0);
	CU_ASSERT_EQUAL(db_notify(a, "ppgd_test", "four"), 0);   /* still listening */
	CU_ASSERT_EQUAL(listen_wait(l, &h, 2000), 1);
	CU_ASSERT_STRING_EQUAL(h.payload, "four");
	db_listen_close(l);
	db_close(a);
}

/* Waits (up to 2 s) until nobody holds db's node id: a closed or ended
 * session lets go of its lock a moment after, when its server process exits. */
static void wait_node_free(struct db *db)
{
	char who[256];
	for (int i = 0; i < 100 && db_node_holder(db, who, sizeof who) > 0; i++)
		usleep(20000);
}

/* One live node per node id: the second handle of node "twin" is refused
 * while the first lives, and takes the lock once it is closed; a handle
 * that reconnects after another session took its node id stays lost.
 * SQLite: one node per file, nothing to lock. */
static void test_node_lock(void)
{
	struct db *a = NULL, *b = NULL, *c = NULL;

	CU_ASSERT_EQUAL_FATAL(t_open_as("twin", "twin", &a), 0);
	CU_ASSERT_EQUAL_FATAL(t_open_as("twin", "twin", &b), 0);
	CU_ASSERT_EQUAL_FATAL(t_open_as("twin", "other", &c), 0);
	CU_ASSERT_EQUAL(db_node_lock(a), 0);
	CU_ASSERT_EQUAL(db_node_lock(c), 0);   /* another id */
	if (engine != DB_ENGINE_POSTGRESQL) {
		char none[64];
		CU_ASSERT_EQUAL(db_node_holder(b, none, sizeof none), 0);
		CU_ASSERT_EQUAL(db_node_lock(b), 0);
		db_close(a);
		db_close(b);
		db_close(c);
		return;
	}
	char who[256];
	CU_ASSERT_EQUAL(db_node_holder(b, who, sizeof who), 1);   /* looked up, not taken */
	CU_ASSERT_PTR_NOT_NULL(strstr(who, "ppgd node twin pid"));
	CU_ASSERT_EQUAL(db_node_holder(c, who, sizeof who), 1);   /* "other": c holds it itself */
	CU_ASSERT_EQUAL(db_node_lock(b), -EBUSY);
	CU_ASSERT_PTR_NOT_NULL(strstr(db_errmsg(b), "node id twin is in use"));
	CU_ASSERT_PTR_NOT_NULL(strstr(db_errmsg(b), "ppgd node twin pid"));   /* the holder */
	db_close(a);
	wait_node_free(b);
	CU_ASSERT_EQUAL(db_node_lock(b), 0);
	struct db *e = NULL;
	CU_ASSERT_EQUAL_FATAL(t_open_as("twin", "nobody", &e), 0);
	CU_ASSERT_EQUAL(db_node_holder(e, who, sizeof who), 0);
	db_close(e);

	/* b's session ends; while it is away d takes "twin"; b comes back lost */
	struct db *d = NULL;
	CU_ASSERT_EQUAL_FATAL(tpg_sql(pg, "twin", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	    " WHERE application_name LIKE 'ppgd node twin pid%'"), 0);
	CU_ASSERT_EQUAL_FATAL(t_open_as("twin", "twin", &d), 0);
	wait_node_free(d);
	CU_ASSERT_EQUAL(db_node_lock(d), 0);
	int64_t n = 0;
	CU_ASSERT(db_count_pushes(b, &n) < 0);
	CU_ASSERT_EQUAL(db_reconnect(b), -EBUSY);
	CU_ASSERT_EQUAL(db_lost(b), 1);
	db_close(d);
	struct db *f = NULL;   /* asks, without taking it */
	CU_ASSERT_EQUAL_FATAL(t_open_as("twin", "twin", &f), 0);
	wait_node_free(f);
	db_close(f);
	CU_ASSERT_EQUAL(db_reconnect(b), 0);   /* free again: taken */
	CU_ASSERT_EQUAL(db_lost(b), 0);
	CU_ASSERT_EQUAL(db_count_pushes(b, &n), 0);
	db_close(b);
	db_close(c);
}

/* PostgreSQL: a handle whose connection the server ended says it is lost,
 * and db_reconnect makes it usable again (statements prepared anew). */
static void test_reconnect(void)
{
	struct db *a = NULL;
	int64_t n = -1;

	CU_ASSERT_EQUAL_FATAL(t_open_as("reconnect", "node-a", &a), 0);
	CU_ASSERT_EQUAL(db_lost(a), 0);
	CU_ASSERT_EQUAL(db_reconnect(a), 0);
	add_push(a, "c1", 1, 1, NULL);
	if (engine != DB_ENGINE_POSTGRESQL) {
		db_close(a);
		return;
	}
	CU_ASSERT_EQUAL(db_count_pushes(a, &n), 0);   /* prepared before */
	CU_ASSERT_EQUAL_FATAL(tpg_sql(pg, "reconnect", "SELECT pg_terminate_backend(pid) FROM"
	    " pg_stat_activity WHERE datname = 'reconnect' AND pid <> pg_backend_pid()"), 0);
	CU_ASSERT_EQUAL(db_count_pushes(a, &n), -EIO);
	CU_ASSERT_EQUAL(db_lost(a), 1);
	CU_ASSERT_EQUAL(db_reconnect(a), 0);
	CU_ASSERT_EQUAL(db_lost(a), 0);
	CU_ASSERT_EQUAL(db_count_pushes(a, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	add_push(a, "c2", 1, 1, NULL);
	CU_ASSERT_EQUAL(db_count_pushes(a, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	db_close(a);
}

static const struct {
	const char *name;
	void (*fn)(void);
	int pg_only;
} cases[] = {
	{ "two nodes claim disjoint deliveries, leases run out", test_claim_two_nodes, 0 },
	{ "a restart recovers the node's own leases", test_recover_own, 0 },
	{ "a restart leaves deliveries parked until a registration parked", test_recover_parked, 0 },
	{ "notifications claimed by one node each", test_notification_claim, 0 },
	{ "the fence is owner and lease generation", test_lease_generation, 0 },
	{ "a held notification renews its lease", test_notification_renew, 0 },
	{ "an attempt under way renews its delivery's lease", test_delivery_renew, 0 },
	{ "SMSC message ids and content tokens", test_message_ids_and_tokens, 0 },
	{ "a token's content and a receipt's message id, from another handle", test_token_content_and_take, 0 },
	{ "NOTIFY at commit, LISTEN", test_notify_listen, 0 },
	{ "a lost connection comes back", test_reconnect, 0 },
	{ "one live node per node id", test_node_lock, 0 },
	{ "concurrent claims skip locked rows", test_pg_skip_locked, 1 },
	{ "the claim is an index range per priority", test_pg_claim_plan, 1 },
};

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("db leases (SQLite)", suite_init, suite_clean);
	if (!s)
		return 1;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (!cases[i].pg_only)
			CU_add_test(s, cases[i].name, cases[i].fn);
	const char *why = NULL;
	if (tpg_available(&why)) {
		s = CU_add_suite("db leases (PostgreSQL)", suite_init_pg, suite_clean_pg);
		if (!s)
			return 1;
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
			CU_add_test(s, cases[i].name, cases[i].fn);
	} else {
		printf("test_db_lease: PostgreSQL suite SKIPPED: %s\n", why);
	}
	return tu_run();
}
