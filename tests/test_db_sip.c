/*
 * test_db_sip.c - db/ on both engines: what SIP Push stores. Registration
 * bindings (temp-gruus, origin), ua-profile subscriptions, deliveries waiting
 * on a target, reg event subscription holders, subscriptions' dialog holders
 * (schema 14), deliveries parked on temp-gruus woken by target.
 *
 * The same suite runs a second time on PostgreSQL, on a server the test
 * starts itself (test_db_pg.c: one database per test name), without the tests
 * that are about SQLite files. Skipped with a message when the PostgreSQL
 * binaries are absent. Shared rows and checks: tests/db_common.c (split from
 * test_db.c).
 */
#include "tests/db_common.h"

/* ---------------------------------------------------------------- tests */

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

static const struct t_case cases[] = {
	{ "SIP registration bindings", test_bindings, 0 },
	{ "bindings' temp-gruus and origin (schema 10)", test_binding_temp_gruu_origin, 0 },
	{ "ua-profile subscriptions", test_subscriptions, 0 },
	{ "deliveries waiting on a target", test_waiting_target, 0 },
	{ "reg event subscription holders (schema 11)", test_regevent_owner, 0 },
	{ "subscriptions' dialog holders (schema 14)", test_subscription_holder, 0 },
	{ "deliveries parked on temp-gruus woken by target", test_wake_targets, 0 },
};

int main(void)
{
	return db_common_run("test_db_sip", cases, sizeof cases / sizeof cases[0], NULL, 0);
}
