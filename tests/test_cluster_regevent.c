/*
 * test_cluster_regevent.c - reg event subscriptions (RFC 3680, [sip]
 * reg_event = yes) with two ppgd nodes on one PostgreSQL (the test's own
 * server, test_db_pg.c) and kamailio as the SIP/IP core (registrar and
 * notifier of Event: reg, tests/kamailio/ppgd-regevent.cfg), real peers only:
 *   - pushes for one AoR parked on both nodes: one SUBSCRIBE reaches
 *     kamailio (counted in its log), from the node holding the AoR's row of
 *     regevent_owner; the other follows;
 *   - kill -9 of the holder: once its lease ([sip] reg_event_lease = 3 s)
 *     ran out the other node subscribes, and the terminal's REGISTER at
 *     kamailio, NOTIFYed to it, delivers both parked pushes (the dead
 *     node's one too) without any third-party REGISTER.
 * Skipped (exit 77) when the PostgreSQL binaries are absent.
 */
#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pap/pap.h"
#include "tests/cluster_pg.h"
#include "tests/itest.h"
#include "tests/itest_sip.h"
#include "tests/test_db_pg.h"
#include "tests/test_util.h"

#define DB "clregev"
#define BOUNDARY "clregev-9a3e"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""
#define AOR "sip:ruser@example.com"
#define LEASE_S 3

static int kam_port;
static pid_t kam_pid;
static char *kam_log;

static int push_for(int n, const char *push_id, const char *user)
{
	char *b = itest_asprintf(
	    "--" BOUNDARY "\r\nContent-Type: application/xml; charset=UTF-8\r\n\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap><push-message push-id=\"%s\">"
	    "<address address-value=\"WAPPUSH=sip%%3A%s%%40example.com/TYPE=USER\"/></push-message></pap>\r\n"
	    "--" BOUNDARY "\r\nContent-Type: text/plain\r\nX-Wap-Application-Id: x-wap-application:mms.ua\r\n\r\n"
	    "parked on node %c\r\n--" BOUNDARY "--\r\n", push_id, user, 'A' + n);
	struct pap_msg *m = itest_pap_post(&node[n], "alice", ITEST_ALICE_SECRET, MULTIPART_CT, b, strlen(b));
	int code = m ? (m->nresults > 0 ? m->results[0].code : m->code) : -1;
	pap_msg_free(m);
	free(b);
	return code;
}

static int push(int n, const char *push_id)
{
	return push_for(n, push_id, "ruser");
}

/* The state of push_id as the database holds it (any node's view). */
static long long push_state(const char *push_id)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT state FROM push WHERE push_id = '%s'", push_id);
	return tpg_query_int(pg, DB, sql);
}

/* ------------------------------------------------------------ kamailio */

static int kam_start(void)
{
	kam_port = itest_free_port_udp_tcp();
	char *db = itest_asprintf("%s/kamdb", dir);
	char *dburl = itest_asprintf("DBURL=\"text://%s\"", db);
	char *self = itest_asprintf("SELF_URI=\"sip:reginfo@127.0.0.1:%d\"", kam_port);
	struct itest_sip_kam k = { .cfg = "tests/kamailio/ppgd-regevent.cfg", .dir = dir, .udp_port = kam_port,
		.dbtext = db, .defines = { dburl, self, "PRES_MAX_EXPIRES=120" }, .shm_mb = 64 };
	kam_pid = itest_sip_kam_start(&k, &kam_log);
	free(db);
	free(dburl);
	free(self);
	return kam_pid > 0 ? 0 : -1;
}

/* The terminal's own REGISTER at kamailio: AOR -> 127.0.0.1:cport. 1 when 200. */
static int kam_register(int cport)
{
	return itest_sip_register(dir, "127.0.0.1", kam_port, "ruser", cport, 600) == 200;
}

/* ------------------------------------------------------------ suite */

static int suite_init(void)
{
	const char *ha;
	char conninfo[512];
	if (cluster_pg_init("clregev", DB, conninfo, &ha) < 0 || kam_start() < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		char *text = itest_asprintf(
		    "[server]\nlisten = 127.0.0.1:%d\npap_path = /pap\n"
		    "[database]\nengine = postgresql\nconninfo = %s\nnode_id = node-%c\n"
		    "[log]\nlevel = debug\n"
		    "[pi alice]\nsecret_hash = %s\nallow = 127.0.0.0/8\n"
		    "[sip]\nenabled = yes\nlisten = sip:127.0.0.1:%d\nfrom = sip:ppg@operator.example\n"
		    "outbound_proxy = sip:127.0.0.1:%d\ntransaction_timeout = 4\n"
		    "reg_event = yes\nreg_event_expires = 120\nreg_event_apps = mms.ua\nreg_event_lease = %d\n"
		    "trusted_cores = 192.0.2.250/32\n"
		    "[ota]\nudp = no\n",
		    node[i].port, conninfo, 'a' + i, ha, sip_port[i], kam_port, LEASE_S);
		int rc = cluster_pg_start(i, text);
		free(text);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int suite_clean(void)
{
	int failed = cluster_pg_stop_nodes();
	itest_sip_kam_stop(&kam_pid);
	if (failed && kam_log) {
		char *s = tu_read_file(kam_log, NULL);
		fprintf(stderr, "---- kamailio log ----\n%s\n", s ? s : "");
		free(s);
	}
	free(kam_log);
	cluster_pg_clean(failed);
	return 0;
}

/* ------------------------------------------------------------ tests */

/* A push parks on A (no binding): A takes the AoR's lease and subscribes.
 * A push for the same AoR parks on B: B finds A's live lease and follows.
 * Kamailio sees one SUBSCRIBE for the AoR, also after several renewals. */
static void t_one_subscription(void)
{
	CU_ASSERT_EQUAL_FATAL(push(0, "a1@clregev"), PAP_ACCEPTED);
	CU_ASSERT_EQUAL_FATAL(itest_wait_log(node[0].log, "reg event: subscribed to " AOR, 10), 0);
	CU_ASSERT_EQUAL_FATAL(push(1, "b1@clregev"), PAP_ACCEPTED);
	CU_ASSERT_EQUAL(itest_wait_log(node[1].log, "reg event: another node subscribes to " AOR, 10), 0);
	CU_ASSERT_EQUAL(tpg_query_int(pg, DB, "SELECT count(*) FROM regevent_owner WHERE aor = '" AOR "'"
	    " AND node = 'node-a'"), 1);
	usleep((LEASE_S * 2 + 1) * 1000000);   /* two lease periods: renewed, scanned, nobody took over */
	CU_ASSERT_EQUAL(itest_file_count(kam_log, "SUBSCRIBE reg for " AOR), 1);
	CU_ASSERT_EQUAL(itest_file_count(node[1].log, "reg event: subscribed to " AOR), 0);
	CU_ASSERT_EQUAL(push_state("a1@clregev"), PAP_STATE_PENDING);
	CU_ASSERT_EQUAL(push_state("b1@clregev"), PAP_STATE_PENDING);
}

/* kill -9 A: its lease runs out, B (whose push still waits) takes the AoR
 * over and subscribes; the terminal REGISTERs at kamailio, the NOTIFY to B
 * becomes a binding in the database, and both parked pushes are delivered. */
static void t_takeover_after_kill(void)
{
	CU_ASSERT_FATAL(node[0].pid > 0);
	CU_ASSERT(itest_daemon_kill(&node[0]) != -1);
	double killed = itest_now();
	CU_ASSERT_EQUAL_FATAL(itest_wait_log(node[1].log, "reg event: no other node subscribes to " AOR
	    " now: taking it over", LEASE_S * 3 + 5), 0);
	double took = itest_now() - killed;
	printf("\n  takeover %.1f s after kill -9 (lease %d s)\n", took, LEASE_S);
	CU_ASSERT_EQUAL(itest_wait_log(node[1].log, "reg event: subscribed to " AOR, 5), 0);
	CU_ASSERT_EQUAL(itest_file_count(kam_log, "SUBSCRIBE reg for " AOR), 2);
	CU_ASSERT_EQUAL(tpg_query_int(pg, DB, "SELECT count(*) FROM regevent_owner WHERE aor = '" AOR "'"
	    " AND node = 'node-b'"), 1);

	int tport = 0;
	char *tlog = itest_asprintf("%s/term.msg", dir), *tout = itest_asprintf("%s/term.out", dir);
	const char *targv[] = { "sipp", "-sf", tu_src("tests/sipp/regevent_terminal.xml"), "-m", "2",
		"-i", "127.0.0.1", "-p", "@PORT@", "-nostdin", "-trace_msg", "-message_file", tlog,
		"-timeout", "60s", "-timeout_error", NULL };
	pid_t term = itest_sipp_start(targv, dir, tout, 0, &tport);
	CU_ASSERT_FATAL(term > 0);
	CU_ASSERT_FATAL(kam_register(tport));
	double end = itest_now() + 15;
	while ((push_state("a1@clregev") != PAP_STATE_DELIVERED || push_state("b1@clregev") != PAP_STATE_DELIVERED)
	    && itest_now() < end)
		usleep(100000);
	CU_ASSERT_EQUAL(push_state("a1@clregev"), PAP_STATE_DELIVERED);
	CU_ASSERT_EQUAL(push_state("b1@clregev"), PAP_STATE_DELIVERED);
	int code = -1;
	CU_ASSERT_EQUAL(itest_wait_pid(term, 10, &code), 0);
	CU_ASSERT_EQUAL(code, 0);
	if (code != 0)
		itest_stop_pid(term, SIGTERM, 5);
	/* the binding came by B's NOTIFY, not by a third-party REGISTER */
	CU_ASSERT(itest_file_count(node[1].log, "reg event for " AOR ": full state") >= 1);
	CU_ASSERT_EQUAL(itest_file_count(node[1].log, "REGISTER from "), 0);
	free(tlog);
	free(tout);
}

/* A row of regevent_owner that a live node holds without subscribing (left
 * by a restart within the lease, for an AoR no parked push needed at its
 * start, or by a release whose write failed) runs out: renewing the leases
 * renews only the AoRs the node subscribes to. Else the other node, whose
 * push parks on that AoR, follows a subscription nobody makes, forever, and
 * the holder's own scan skips the AoR (its lease is live).
 * (B holds GHOST here; A is started again after the kill above.) */
#define GHOST "sip:ghost@example.com"
static void t_unsubscribed_row_runs_out(void)
{
	CU_ASSERT_FATAL(node[1].pid > 0);
	CU_ASSERT_EQUAL_FATAL(itest_daemon_start(&node[0]), 0);
	CU_ASSERT_EQUAL_FATAL(tpg_query_int(pg, DB, "WITH i AS (INSERT INTO regevent_owner (aor, node, lease_until)"
	    " VALUES ('" GHOST "', 'node-b', (extract(epoch from clock_timestamp()) * 1000)::bigint + 3000)"
	    " RETURNING 1) SELECT count(*) FROM i"), 1);
	CU_ASSERT_EQUAL_FATAL(push_for(0, "ghost1@clregev", "ghost"), PAP_ACCEPTED);
	CU_ASSERT_EQUAL(itest_wait_log(node[0].log, "reg event: another node subscribes to " GHOST, 10), 0);
	/* nobody subscribes to GHOST: B's row must run out, and a node's scan
	 * (every lease period) take the AoR over and subscribe */
	CU_ASSERT_EQUAL(itest_wait_log(kam_log, "SUBSCRIBE reg for " GHOST, LEASE_S * 4 + 5), 0);
}

int main(void)
{
	const char *why = NULL;
	if (!tpg_available(&why)) {
		printf("test_cluster_regevent: SKIPPED: %s\n", why);
		return 77;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	static const struct itest_test_def tests[] = {
		{ "pushes parked on two nodes for one AoR: one SUBSCRIBE reaches the core", t_one_subscription },
		{ "kill -9 the holder: the other node subscribes after the lease; REGISTER delivers both",
		  t_takeover_after_kill },
		{ "a row a live node holds without subscribing runs out; a node takes the AoR",
		  t_unsubscribed_row_runs_out },
		{ NULL, NULL },
	};
	if (itest_add_suite("reg event on two ppgd nodes on one PostgreSQL", suite_init, suite_clean, tests) < 0)
		return 1;
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
