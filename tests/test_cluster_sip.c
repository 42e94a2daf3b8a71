/*
 * test_cluster_sip.c - SIP Push and Push OTA over SMS with two ppgd nodes
 * on one PostgreSQL (the test's own server, test_db_pg.c), real peers only:
 *   - a third-party REGISTER (sipp as the SIP/IP core) taken by node A is
 *     used by node B: a push accepted by B reaches the sipp terminal, sent
 *     by B (its Via);
 *   - content indirection across nodes: B's MESSAGE names a URL on node A
 *     ([sip] content_base_url); the terminal's fetch (libcurl) is served by
 *     A from the database, the push stays pending until that fetch and B's
 *     waiting attempt then ends it delivered; the URL is gone once final;
 *   - an SMS receipt on another node: B submits to the Net::SMPP SMSC
 *     (tests/smsc/smsc.pl, receipts after 4 s) and stops; the receipt
 *     arrives on A's SMPP link, which finds the message id in the database
 *     and ends the delivery delivered, without sending the SMS again;
 *   - a push NOTIFY handed to the node holding the subscription dialog
 *     (seed 003 §9.1.4, [sip] notify_push = prefer): a sipp terminal
 *     subscribes (ua-profile) at node A, a push is accepted by node B: B
 *     parks it and NOTIFYs ppgd_take, A claims it and its NOTIFY in the
 *     dialog carries the push, answered 200: delivered; with large content
 *     A's NOTIFY names a URL on node B, which serves it from the database
 *     (content_token), and A's waiting attempt ends delivered once fetched;
 *   - the holder of a subscription dialog (schema 14): with B alive, A
 *     holds a subscription, is stopped (a push accepted by B does not park
 *     on A's dialog) and started again (its row names no holder any more,
 *     and a push accepted by B does not park on it either); a ppgd_take
 *     whose dialogs (long Call-IDs) pass PostgreSQL's 8,000-byte NOTIFY
 *     limit goes in several NOTIFYs, and A takes the push from the one
 *     naming its live dialog;
 *   - /readyz on A answers 503 while its PostgreSQL connection is lost and
 *     200 once it came back by itself; every log line names the node and
 *     /metrics carries ppgd_node_info.
 * Skipped (exit 77) when the PostgreSQL binaries are absent.
 */
#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pap/pap.h"
#include "tests/cluster_pg.h"
#include "tests/itest.h"
#include "tests/itest_sip.h"
#include "tests/test_db_pg.h"
#include "tests/test_util.h"

#define DB "clsip"
#define BOUNDARY "clsip-41b7"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""
#define MMS_CT "application/vnd.wap.mms-message"
#define BIG 2000
#define SMSC_SYSTEM_ID "ppgtest"
#define SMSC_PASSWORD "smpp-pw1"

static int admin_port;
static struct {
	int port;
	pid_t pid;
	char *log, *pidfile;
} smsc;

/* ------------------------------------------------------------ helpers */

/* A push of ctype content to address at node n: its code. */
static int push(int n, const char *push_id, const char *address, const char *ctype, const void *content,
    size_t clen)
{
	char *head = itest_asprintf(
	    "--" BOUNDARY "\r\n"
	    "Content-Type: application/xml; charset=UTF-8\r\n"
	    "\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>"
	    "<push-message push-id=\"%s\"><address address-value=\"%s\"/></push-message></pap>\r\n"
	    "--" BOUNDARY "\r\n"
	    "Content-Type: %s\r\n"
	    "X-Wap-Application-Id: x-wap-application:mms.ua\r\n"
	    "\r\n", push_id, address, ctype);
	const char *tail = "\r\n--" BOUNDARY "--\r\n";
	size_t hl = strlen(head), tl = strlen(tail);
	char *b = malloc(hl + clen + tl);
	memcpy(b, head, hl);
	memcpy(b + hl, content, clen);
	memcpy(b + hl + clen, tail, tl);
	struct pap_msg *m = itest_pap_post(&node[n], "alice", ITEST_ALICE_SECRET, MULTIPART_CT, b, hl + clen + tl);
	int code = m ? (m->nresults > 0 ? m->results[0].code : m->code) : -1;
	pap_msg_free(m);
	free(b);
	free(head);
	return code;
}

/* Statusquery of push_id at node n: the state; *code and desc (may be NULL). */
static int status_at(int n, const char *push_id, int *code, char *desc, size_t dlen)
{
	char *doc = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>"
	    "<statusquery-message push-id=\"%s\"/></pap>", push_id);
	struct pap_msg *m = itest_pap_post(&node[n], "alice", ITEST_ALICE_SECRET, "application/xml", doc, strlen(doc));
	free(doc);
	int s = -1;
	*code = -1;
	if (desc)
		desc[0] = '\0';
	if (m && m->type == PAP_MSG_STATUSQUERY_RESPONSE && m->nresults > 0) {
		s = (int)m->results[0].state;
		*code = m->results[0].code;
		if (desc && m->results[0].desc)
			snprintf(desc, dlen, "%s", m->results[0].desc);
	}
	pap_msg_free(m);
	return s;
}

/* Waits until push_id is in a final state at node n: the state. */
static int wait_final(int n, const char *push_id, double timeout_s, int *code, char *desc, size_t dlen)
{
	double end = itest_now() + timeout_s;
	int s;
	while ((s = status_at(n, push_id, code, desc, dlen)) == PAP_STATE_PENDING || s < 0) {
		if (itest_now() > end)
			break;
		usleep(100000);
	}
	return s;
}

/* A sipp terminal (tests/sipp/e2e_uas_reply.xml answering 200) for one
 * MESSAGE; *port its port, *msglog its message log. */
static pid_t term_start(const char *user, int *port, char **msglog)
{
	char *scen = itest_sip_uas_scenario(dir, 200, "OK", NULL);
	*msglog = itest_asprintf("%s/term_%s.msg", dir, user);
	char *out = itest_asprintf("%s/term_%s.out", dir, user);
	pid_t pid = scen ? itest_sip_uas(dir, scen, 1, *msglog, out, port) : 0;
	free(out);
	free(scen);
	return pid > 0 ? pid : -1;
}

/* The SIP/IP core's third-party REGISTER of sip:USER@example.com (contact
 * 127.0.0.1:cport) sent to node n: 1 when answered 200. */
static int sip_register(int n, const char *user, int cport)
{
	return itest_sip_register(dir, "127.0.0.1", sip_port[n], user, cport, 600) == 200;
}

/* ------------------------------------------------------------ suite */

static int smsc_start(void)
{
	char port[16];
	smsc.port = itest_free_port();
	smsc.log = itest_asprintf("%s/smsc.log", dir);
	smsc.pidfile = itest_asprintf("%s/smsc.pid", dir);
	char *out = itest_asprintf("%s/smsc.out", dir);
	char *script = strdup(tu_src("tests/smsc/smsc.pl"));
	snprintf(port, sizeof port, "%d", smsc.port);
	const char *argv[] = { "perl", script, "--port", port, "--system-id", SMSC_SYSTEM_ID, "--password",
		SMSC_PASSWORD, "--log", smsc.log, "--pidfile", smsc.pidfile, "--receipts", "--receipt-delay", "4",
		NULL };
	smsc.pid = itest_spawn(argv, dir, out);
	free(script);
	free(out);
	double end = itest_now() + 10;
	while (smsc.pid > 0 && access(smsc.pidfile, F_OK) != 0) {
		if (itest_now() > end) {
			fprintf(stderr, "smsc.pl does not listen (is libnet-smpp-perl installed?)\n");
			return -1;
		}
		usleep(20000);
	}
	return smsc.pid > 0 ? 0 : -1;
}

static int suite_init(void)
{
	const char *ha;
	char conninfo[512];
	if (cluster_pg_init("clsip", DB, conninfo, &ha) < 0 || smsc_start() < 0)
		return -1;
	admin_port = itest_free_port();
	char *ops = itest_asprintf("%s", itest_hash_secret("ops-s3cret"));
	for (int i = 0; i < 2; i++) {
		/* the MESSAGE of one node names the other's URL: the fetch always
		 * crosses nodes, as behind a load balancer that sends it anywhere */
		char *admin = i ? strdup("") : itest_asprintf("[admin]\nenabled = yes\nlisten = 127.0.0.1:%d\n"
		    "[admin ops]\nsecret_hash = %s\nallow = 127.0.0.0/8\n", admin_port, ops);
		char *text = itest_asprintf(
		    "[server]\n"
		    "listen = 127.0.0.1:%d\n"
		    "pap_path = /pap\n"
		    "[database]\n"
		    "engine = postgresql\n"
		    "conninfo = %s\n"
		    "node_id = node-%c\n"
		    "[log]\n"
		    "level = debug\n"
		    "[pi alice]\n"
		    "secret_hash = %s\n"
		    "allow = 127.0.0.0/8\n"
		    "[sip]\n"
		    "enabled = yes\n"
		    "listen = sip:127.0.0.1:%d\n"
		    "from = sip:ppg@ppg.example\n"
		    "transaction_timeout = 2\n"
		    "fetch_timeout = 20\n"
		    "content_base_url = %s\n"
		    "trusted_cores = 127.0.0.1/32\n"
		    "notify_push = prefer\n"
		    "uaprof_fetch = no\n"
		    "[ota]\n"
		    "udp = no\n"
		    "sms = yes\n"
		    "smsc = 127.0.0.1:%d\n"
		    "system_id = " SMSC_SYSTEM_ID "\n"
		    "password = " SMSC_PASSWORD "\n"
		    "receipts = yes\n"
		    "receipt_timeout = 60\n"
		    "reconnect_min = 1\n"
		    "reconnect_max = 2\n"
		    "%s",
		    node[i].port, conninfo, 'a' + i, ha, sip_port[i], node[1 - i].base, smsc.port, admin);
		int rc = cluster_pg_start(i, text);
		free(text);
		free(admin);
		if (rc < 0) {
			free(ops);
			return -1;
		}
	}
	free(ops);
	for (int i = 0; i < 2; i++)
		if (itest_wait_log(node[i].log, "SMSC link up", 10) < 0)
			return -1;
	return 0;
}

static int suite_clean(void)
{
	int failed = cluster_pg_stop_nodes();
	if (smsc.pid > 0)
		itest_stop_pid(smsc.pid, SIGTERM, 5);
	if (failed && smsc.log) {
		char *s = tu_read_file(smsc.log, NULL);
		fprintf(stderr, "---- smsc log ----\n%s\n", s ? s : "");
		free(s);
	}
	free(smsc.log);
	free(smsc.pidfile);
	cluster_pg_clean(failed);
	return 0;
}

/* A sipp terminal that subscribes to ua-profile at node n as USER@biloxi.example
 * (tests/sipp/sub_push_answer.xml): it waits for a push NOTIFY of content
 * type ctype (a regular expression) holding marker and answers it 200.
 * Returns once the initial NOTIFY came (the subscription is live); *msglog
 * its message log. */
static pid_t subscriber(int n, const char *user, const char *ctype, const char *marker, char **msglog)
{
	char remote[32], port[16], name[64];
	char *t = tu_read_file(tu_src("tests/sipp/sub_push_answer.xml"), NULL);
	itest_subst(&t, "expires", "600", 0);
	itest_subst(&t, "user", user, 0);
	itest_subst(&t, "ctype", ctype, 0);
	itest_subst(&t, "marker", marker, 0);
	itest_subst(&t, "answer", "200", 0);
	itest_subst(&t, "accept", MMS_CT, 0);
	/* the push NOTIFY asserts this gateway's identity (its [sip] from) */
	char *at = t ? strstr(t, "sip:ppg@operator.example") : NULL;
	if (at) {
		*at = '\0';
		char *x = itest_asprintf("%ssip:ppg@ppg.example%s", t, at + strlen("sip:ppg@operator.example"));
		free(t);
		t = x;
	}
	snprintf(name, sizeof name, "sub_%s.xml", user);
	char *scen = t ? itest_write_file(dir, name, t, strlen(t)) : NULL;
	free(t);
	if (!scen)
		return -1;
	snprintf(remote, sizeof remote, "127.0.0.1:%d", sip_port[n]);
	snprintf(port, sizeof port, "%d", itest_free_port_udp_tcp());
	*msglog = itest_asprintf("%s/sub_%s.msg", dir, user);
	char *out = itest_asprintf("%s/sub_%s.out", dir, user);
	const char *argv[] = { "sipp", remote, "-sf", scen, "-m", "1", "-i", "127.0.0.1", "-p", port,
		"-nostdin", "-trace_msg", "-message_file", *msglog, "-timeout", "40s", "-timeout_error", NULL };
	pid_t pid = itest_spawn(argv, dir, out);
	free(out);
	free(scen);
	if (pid <= 0 || itest_wait_log(*msglog, "Subscription-State: active", 10) != 0)
		return -1;
	usleep(100000);   /* sipp's 200 to the initial NOTIFY */
	return pid;
}

/* ------------------------------------------------------------ tests */

/* A registration taken by node A, a push accepted by node B: B sends the
 * MESSAGE (its own Via) to the terminal A registered. */
static void t_register_a_push_b(void)
{
	int tport = 0, code;
	char *msglog = NULL;
	pid_t t = term_start("cuser1", &tport, &msglog);
	CU_ASSERT_FATAL(t > 0);
	CU_ASSERT_FATAL(sip_register(0, "cuser1", tport));
	/* B learnt it (NOTIFY ppgd_reg) before the push: B sends it */
	CU_ASSERT_EQUAL_FATAL(itest_wait_log(node[1].log, "registrations of sip:cuser1@example.com changed on "
	    "another node: 1 binding", 10), 0);
	CU_ASSERT_EQUAL(push(1, "reg@clsip", "WAPPUSH=sip%3Acuser1%40example.com/TYPE=USER", "text/plain",
	    "hello over B", 12), PAP_ACCEPTED);
	int ec = -1;
	CU_ASSERT_EQUAL(itest_wait_pid(t, 15, &ec), 0);
	CU_ASSERT_EQUAL(ec, 0);
	char via[64];
	snprintf(via, sizeof via, "Via: SIP/2.0/UDP 127.0.0.1:%d;", sip_port[1]);
	CU_ASSERT(itest_file_has(msglog, "MESSAGE sip:cuser1@127.0.0.1"));
	CU_ASSERT(itest_file_has(msglog, via));        /* sent by node B */
	CU_ASSERT(itest_file_has(msglog, "hello over B"));
	CU_ASSERT_EQUAL(wait_final(0, "reg@clsip", 10, &code, NULL, 0), PAP_STATE_DELIVERED);
	CU_ASSERT_EQUAL(code, PAP_OK);
	free(msglog);
}

/* The URL of the first message/external-body in a sipp message log. */
static char *external_url(const char *msglog)
{
	char *s = tu_read_file(msglog, NULL);
	const char *u = s ? strstr(s, "URL=\"") : NULL;
	char *url = u ? strndup(u + 5, strcspn(u + 5, "\"")) : NULL;
	free(s);
	return url;
}

/* B's MESSAGE names a URL on A; A serves it from the database and B's
 * attempt, which waited for the fetch, ends delivered; then 404 on both. */
static void t_indirection_other_node(void)
{
	static unsigned char content[BIG];
	for (size_t i = 0; i < BIG; i++)
		content[i] = (unsigned char)('a' + i % 23);
	int tport = 0, code;
	char *msglog = NULL, desc[512];
	pid_t t = term_start("cuser2", &tport, &msglog);
	CU_ASSERT_FATAL(t > 0);
	CU_ASSERT_FATAL(sip_register(0, "cuser2", tport));
	CU_ASSERT_EQUAL_FATAL(itest_wait_log(node[1].log, "registrations of sip:cuser2@example.com changed on "
	    "another node: 1 binding", 10), 0);
	CU_ASSERT_EQUAL(push(1, "ind@clsip", "WAPPUSH=sip%3Acuser2%40example.com/TYPE=USER", MMS_CT,
	    content, BIG), PAP_ACCEPTED);
	int ec = -1;
	CU_ASSERT_EQUAL(itest_wait_pid(t, 15, &ec), 0);
	CU_ASSERT_EQUAL(ec, 0);
	char *url = external_url(msglog);
	char *prefix = itest_asprintf("%s/content/", node[0].base);
	CU_ASSERT_PTR_NOT_NULL_FATAL(url);
	CU_ASSERT(!strncmp(url, prefix, strlen(prefix)) && strlen(url) == strlen(prefix) + 32);
	/* the 200 came, nothing fetched: pending */
	usleep(500000);
	CU_ASSERT_EQUAL(status_at(0, "ind@clsip", &code, NULL, 0), PAP_STATE_PENDING);
	/* a token nobody handed out is not served */
	char *bogus = itest_asprintf("%s0123456789abcdef0123456789abcdef", prefix);
	struct itest_resp r;
	CU_ASSERT_EQUAL(itest_http("GET", bogus, NULL, NULL, 0, NULL, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.status, 404);
	itest_resp_free(&r);
	/* the terminal's fetch, at node A */
	CU_ASSERT_EQUAL(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.status, 200);
	char *ct = itest_resp_header(&r, "Content-Type");
	CU_ASSERT_STRING_EQUAL(ct ? ct : "", MMS_CT);
	free(ct);
	CU_ASSERT(r.len == BIG && !memcmp(r.body, content, BIG));
	itest_resp_free(&r);
	/* B's attempt learns it (fetch_timeout is 20 s: no timeout decides here) */
	CU_ASSERT_EQUAL(wait_final(1, "ind@clsip", 8, &code, desc, sizeof desc), PAP_STATE_DELIVERED);
	CU_ASSERT_EQUAL(code, PAP_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(desc, "content fetched"));
	/* final: the URL serves nothing, on either node */
	CU_ASSERT_EQUAL(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.status, 404);
	itest_resp_free(&r);
	char *onb = itest_asprintf("%s/content/%s", node[1].base, url + strlen(prefix));
	CU_ASSERT_EQUAL(itest_http("GET", onb, NULL, NULL, 0, NULL, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.status, 404);
	itest_resp_free(&r);
	free(onb);
	free(bogus);
	free(prefix);
	free(url);
	free(msglog);
}

/* Lines of the SMSC log that contain text. */
static int smsc_count(const char *text)
{
	return itest_file_count(smsc.log, text);
}

/* B submits and stops before the receipt (4 s later); the receipt comes
 * over A's link: A finds the message id in the database, the delivery ends
 * delivered, and nobody sends the SMS again. */
static void t_sms_receipt_other_node(void)
{
	int code;
	char desc[512];
	CU_ASSERT_EQUAL(push(1, "sms@clsip", "WAPPUSH=+15551230077/TYPE=PLMN@ppg.example", "text/plain",
	    "receipt elsewhere", 17), PAP_ACCEPTED);
	double end = itest_now() + 10;
	while (tpg_query_int(pg, DB, "SELECT count(*) FROM sms_message") < 1 && itest_now() < end)
		usleep(50000);
	CU_ASSERT_EQUAL_FATAL(tpg_query_int(pg, DB, "SELECT count(*) FROM sms_message"), 1);
	CU_ASSERT_EQUAL(smsc_count("dst=15551230077"), 1);
	CU_ASSERT_EQUAL(smsc_count("deliver_sm seq"), 0);   /* the receipt is still to come */
	CU_ASSERT_EQUAL(status_at(0, "sms@clsip", &code, NULL, 0), PAP_STATE_PENDING);
	CU_ASSERT_EQUAL(itest_daemon_stop(&node[1]), 0);
	CU_ASSERT_EQUAL(wait_final(0, "sms@clsip", 15, &code, desc, sizeof desc), PAP_STATE_DELIVERED);
	CU_ASSERT_EQUAL(code, PAP_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(desc, "receipt stat:DELIVRD"));
	CU_ASSERT_EQUAL(smsc_count("deliver_sm seq"), 1);
	CU_ASSERT_EQUAL(smsc_count("dst=15551230077"), 1);   /* not sent again */
	CU_ASSERT(itest_file_has(node[0].log, "message id"));
	CU_ASSERT_EQUAL(tpg_query_int(pg, DB, "SELECT count(*) FROM sms_message"), 0);
}

/* B is stopped (the test before): A alone on the database. A ua-profile
 * subscription stored by A, then A restarted: the dialog died with A's
 * last run (nua keeps dialogs in memory), and no other node is alive, so a
 * push for it is not handed off to nobody (ppgd_take) but goes the other
 * ways at once: no registration, it waits for one. */
static void t_dead_dialog_not_handed_off(void)
{
	char *msglog = NULL, desc[512] = "";
	int code;
	CU_ASSERT_FATAL(node[1].pid <= 0);
	pid_t t = subscriber(0, "nuser3", MMS_CT, "MMS-nuser3-1", &msglog);
	CU_ASSERT_FATAL(t > 0);
	double end = itest_now() + 10;
	while (tpg_query_int(pg, DB, "SELECT count(*) FROM subscription WHERE aor = 'sip:nuser3@biloxi.example'")
	    < 1 && itest_now() < end)
		usleep(50000);
	CU_ASSERT_EQUAL_FATAL(tpg_query_int(pg, DB, "SELECT count(*) FROM subscription"
	    " WHERE aor = 'sip:nuser3@biloxi.example'"), 1);
	CU_ASSERT_EQUAL(itest_daemon_stop(&node[0]), 0);
	CU_ASSERT_EQUAL_FATAL(itest_daemon_start(&node[0]), 0);
	CU_ASSERT_EQUAL(push(0, "np3@clsip", "WAPPUSH=sip%3Anuser3%40biloxi.example/TYPE=USER", MMS_CT,
	    "MMS-nuser3-1 after restart", 26), PAP_ACCEPTED);
	end = itest_now() + 10;
	while (itest_now() < end && (status_at(0, "np3@clsip", &code, desc, sizeof desc) != PAP_STATE_PENDING ||
	    !strstr(desc, "SIP")))
		usleep(100000);
	CU_ASSERT_EQUAL(status_at(0, "np3@clsip", &code, desc, sizeof desc), PAP_STATE_PENDING);
	CU_ASSERT_PTR_NULL(strstr(desc, "waiting for the node holding"));
	CU_ASSERT(!itest_file_has(node[0].log, "handed to the node holding the subscription dialog of "
	    "sip:nuser3@biloxi.example"));
	itest_stop_pid(t, SIGTERM, 5);
	free(msglog);
}

/* Every line names its node; /metrics carries the info metric. */
static void t_node_on_logs_and_metrics(void)
{
	CU_ASSERT(itest_file_has(node[0].log, " node=node-a ["));
	CU_ASSERT(itest_file_has(node[1].log, " node=node-b ["));
	char url[96];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", admin_port);
	struct itest_resp r;
	CU_ASSERT_EQUAL_FATAL(itest_http("GET", url, NULL, NULL, 0, "ops", "ops-s3cret", &r), 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_PTR_NOT_NULL(r.body ? strstr(r.body, "ppgd_node_info{node=\"node-a\",engine=\"postgresql\"} 1\n")
	    : NULL);
	itest_resp_free(&r);
}

/* /readyz of A: 503 naming the lost connection while PostgreSQL is down,
 * 200 again once A reconnected by itself. */
static int readyz(char *body, size_t len)
{
	char url[96];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/readyz", admin_port);
	struct itest_resp r;
	if (itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r) != 0)
		return -1;
	int st = (int)r.status;
	snprintf(body, len, "%.*s", (int)r.len, r.body ? r.body : "");
	itest_resp_free(&r);
	return st;
}

/* A ua-profile subscription at node A, a push accepted by node B: B holds
 * no dialog, hands the delivery to A (ppgd_take), A's NOTIFY in the dialog
 * carries it, answered 200: delivered. */
static void t_subscribe_a_push_b(void)
{
	char *msglog = NULL, desc[512];
	int code;
	pid_t t = subscriber(0, "nuser1", MMS_CT, "MMS-nuser1-1", &msglog);
	CU_ASSERT_FATAL(t > 0);
	CU_ASSERT_EQUAL(push(1, "np@clsip", "WAPPUSH=sip%3Anuser1%40biloxi.example/TYPE=USER", MMS_CT,
	    "MMS-nuser1-1 over A", 19), PAP_ACCEPTED);
	CU_ASSERT_EQUAL(wait_final(1, "np@clsip", 20, &code, desc, sizeof desc), PAP_STATE_DELIVERED);
	CU_ASSERT_EQUAL(code, 1000);
	CU_ASSERT_PTR_NOT_NULL(strstr(desc, "NOTIFY 200"));
	/* the terminal got the push in its dialog, and answered it */
	int rc = -1;
	CU_ASSERT_EQUAL(itest_wait_pid(t, 20, &rc), 0);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(itest_file_has(msglog, "MMS-nuser1-1 over A"));
	/* B handed it over; A, which holds the dialog, sent it */
	CU_ASSERT(itest_file_has(node[1].log, "handed to the node holding the subscription dialog of "
	    "sip:nuser1@biloxi.example"));
	CU_ASSERT(itest_file_has(node[0].log, "another node handed over the push NOTIFYs of "
	    "sip:nuser1@biloxi.example"));
	free(msglog);
}

/* The same with content above the indirection threshold: A's NOTIFY names
 * a URL on B (content_base_url), B serves it from the database, and A's
 * attempt, waiting for the fetch, ends delivered (ppgd_fetched). */
static void t_subscribe_a_push_b_indirect(void)
{
	char *msglog = NULL, desc[512], url[300] = "";
	int code;
	pid_t t = subscriber(0, "nuser2", "message/external-body;.*",
	    "Content-Type: application/vnd.wap.mms-message", &msglog);
	CU_ASSERT_FATAL(t > 0);
	size_t n = 4000;
	char *body = malloc(n);
	memset(body, 'y', n);
	memcpy(body, "MMS-nuser2-big", 14);
	CU_ASSERT_EQUAL(push(1, "npbig@clsip", "WAPPUSH=sip%3Anuser2%40biloxi.example/TYPE=USER", MMS_CT,
	    body, n), PAP_ACCEPTED);
	CU_ASSERT_EQUAL_FATAL(itest_wait_log(msglog, "URL=\"http", 20), 0);
	char *log = tu_read_file(msglog, NULL);
	const char *u = log ? strstr(log, "URL=\"") : NULL;
	if (u)
		sscanf(u + 5, "%299[^\"]", url);
	free(log);
	/* A's NOTIFY names node B's URL */
	CU_ASSERT(!strncmp(url, node[1].base, strlen(node[1].base)));
	int s = status_at(1, "npbig@clsip", &code, NULL, 0);
	CU_ASSERT_EQUAL(s, PAP_STATE_PENDING);   /* not before the fetch */
	struct itest_resp r;
	CU_ASSERT_EQUAL_FATAL(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT(r.len == n && !memcmp(r.body, body, n));
	itest_resp_free(&r);
	CU_ASSERT_EQUAL(wait_final(1, "npbig@clsip", 20, &code, desc, sizeof desc), PAP_STATE_DELIVERED);
	CU_ASSERT_EQUAL(code, 1000);
	CU_ASSERT_PTR_NOT_NULL(strstr(desc, "content fetched"));
	int rc = -1;
	CU_ASSERT_EQUAL(itest_wait_pid(t, 20, &rc), 0);
	CU_ASSERT_EQUAL(rc, 0);
	free(body);
	free(msglog);
}

/* Waits until push_id at node n is pending on a SIP park; its desc. */
static int wait_parked(int n, const char *push_id, char *desc, size_t dlen)
{
	int code;
	double end = itest_now() + 10;
	while (itest_now() < end && (status_at(n, push_id, &code, desc, dlen) != PAP_STATE_PENDING ||
	    !strstr(desc, "SIP")))
		usleep(100000);
	return status_at(n, push_id, &code, desc, dlen);
}

/* Schema 14: A holds the subscription of nuser5 while B is alive. A
 * stopped: B does not hand a push to A's dead dialog (A's node lock is
 * gone), the push waits for a registration. A started again: its row names
 * no holder any more, and B does not hand the next push to it either
 * (before, both parked "waiting for the node holding the ua-profile
 * subscription" until the terminal subscribed again). */
static void t_restarted_holder_not_handed_off(void)
{
	char *msglog = NULL, desc[512] = "";
	CU_ASSERT_FATAL(node[0].pid > 0 && node[1].pid > 0);
	pid_t t = subscriber(0, "nuser5", MMS_CT, "MMS-nuser5-1", &msglog);
	CU_ASSERT_FATAL(t > 0);
	CU_ASSERT_EQUAL_FATAL(tpg_query_int(pg, DB, "SELECT count(*) FROM subscription"
	    " WHERE aor = 'sip:nuser5@biloxi.example' AND node = 'node-a'"), 1);
	/* A dead */
	CU_ASSERT_EQUAL(itest_daemon_stop(&node[0]), 0);
	CU_ASSERT_EQUAL(push(1, "np5a@clsip", "WAPPUSH=sip%3Anuser5%40biloxi.example/TYPE=USER", MMS_CT,
	    "MMS-nuser5-1 A dead", 19), PAP_ACCEPTED);
	CU_ASSERT_EQUAL(wait_parked(1, "np5a@clsip", desc, sizeof desc), PAP_STATE_PENDING);
	CU_ASSERT_PTR_NULL(strstr(desc, "waiting for the node holding"));
	CU_ASSERT_PTR_NOT_NULL(strstr(desc, "waiting for a registration of sip:nuser5@biloxi.example"));
	/* A restarted: its previous run's dialog names no holder */
	CU_ASSERT_EQUAL_FATAL(itest_daemon_start(&node[0]), 0);
	CU_ASSERT_EQUAL(tpg_query_int(pg, DB, "SELECT count(*) FROM subscription"
	    " WHERE aor = 'sip:nuser5@biloxi.example' AND node IS NULL"), 1);
	CU_ASSERT(itest_file_has(node[0].log, "subscription(s) of this node's previous run"));
	CU_ASSERT_EQUAL(push(1, "np5b@clsip", "WAPPUSH=sip%3Anuser5%40biloxi.example/TYPE=USER", MMS_CT,
	    "MMS-nuser5-1 A restarted", 24), PAP_ACCEPTED);
	CU_ASSERT_EQUAL(wait_parked(1, "np5b@clsip", desc, sizeof desc), PAP_STATE_PENDING);
	CU_ASSERT_PTR_NULL(strstr(desc, "waiting for the node holding"));
	CU_ASSERT_PTR_NOT_NULL(strstr(desc, "waiting for a registration of sip:nuser5@biloxi.example"));
	CU_ASSERT(!itest_file_has(node[1].log, "handed to the node holding the subscription dialog of "
	    "sip:nuser5@biloxi.example"));
	itest_stop_pid(t, SIGTERM, 5);
	free(msglog);
}

/* A ppgd_take past PostgreSQL's NOTIFY limit: besides nuser4's live dialog
 * at A, 15 stored dialogs of A with 600-byte Call-IDs (newer, so listed
 * first; they fit the push as the live one does). B's hand-off names them
 * all, over 8,000 bytes: it goes in several NOTIFYs, and A takes the push
 * from the one naming its live dialog (before, pg_notify refused the
 * payload and the push waited for the terminal's next SUBSCRIBE). */
static void t_take_past_notify_limit(void)
{
	char *msglog = NULL, desc[512];
	int code;
	CU_ASSERT_FATAL(node[0].pid > 0 && node[1].pid > 0);
	pid_t t = subscriber(0, "nuser4", MMS_CT, "MMS-nuser4-1", &msglog);
	CU_ASSERT_FATAL(t > 0);
	CU_ASSERT_EQUAL_FATAL(tpg_sql(pg, DB, "INSERT INTO subscription (aor, call_id, remote_tag, contact,"
	    " apps, model, accept, expires, updated, node) SELECT s.aor, repeat('c', 590) || g || '@long',"
	    " 'tag' || g, s.contact, s.apps, s.model, s.accept, s.expires, s.updated + 60000 + g, s.node"
	    " FROM subscription s, generate_series(1, 15) g WHERE s.aor = 'sip:nuser4@biloxi.example'"), 0);
	CU_ASSERT(tpg_query_int(pg, DB, "SELECT sum(length(call_id) + length(remote_tag) + 2) FROM subscription"
	    " WHERE aor = 'sip:nuser4@biloxi.example' AND node = 'node-a'") > 8000);
	CU_ASSERT_EQUAL(push(1, "np4@clsip", "WAPPUSH=sip%3Anuser4%40biloxi.example/TYPE=USER", MMS_CT,
	    "MMS-nuser4-1 past the limit", 27), PAP_ACCEPTED);
	CU_ASSERT_EQUAL(wait_final(1, "np4@clsip", 20, &code, desc, sizeof desc), PAP_STATE_DELIVERED);
	CU_ASSERT_EQUAL(code, 1000);
	CU_ASSERT_PTR_NOT_NULL(strstr(desc, "NOTIFY 200"));
	int rc = -1;
	CU_ASSERT_EQUAL(itest_wait_pid(t, 20, &rc), 0);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(itest_file_has(msglog, "MMS-nuser4-1 past the limit"));
	CU_ASSERT(!itest_file_has(node[1].log, "cannot hand the push NOTIFYs of sip:nuser4@biloxi.example"));
	CU_ASSERT(itest_file_has(node[0].log, "another node handed over the push NOTIFYs of "
	    "sip:nuser4@biloxi.example"));
	CU_ASSERT_EQUAL(tpg_sql(pg, DB, "DELETE FROM subscription WHERE call_id LIKE '%@long'"), 0);
	free(msglog);
}

static void t_readyz_database_lost(void)
{
	char body[1024];
	CU_ASSERT_EQUAL(readyz(body, sizeof body), 200);
	CU_ASSERT_EQUAL_FATAL(tpg_pause(pg), 0);
	double end = itest_now() + 8;
	int st;
	while ((st = readyz(body, sizeof body)) == 200 && itest_now() < end)
		usleep(100000);
	CU_ASSERT_EQUAL(st, 503);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "PostgreSQL is lost"));
	CU_ASSERT_EQUAL(tpg_resume(pg), 0);
	end = itest_now() + 20;
	while ((st = readyz(body, sizeof body)) != 200 && itest_now() < end)
		usleep(200000);
	CU_ASSERT_EQUAL(st, 200);
}

int main(void)
{
	const char *why = NULL;
	if (!tpg_available(&why)) {
		printf("test_cluster_sip: SKIPPED: %s\n", why);
		return 77;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	static const struct itest_test_def tests[] = {
		{ "a REGISTER taken by node A, a push accepted by node B: delivered by B", t_register_a_push_b },
		{ "content indirection: B's URL fetched at A, B's attempt ends delivered", t_indirection_other_node },
		{ "a SUBSCRIBE taken by A, a push accepted by B: A's NOTIFY delivers it", t_subscribe_a_push_b },
		{ "a push NOTIFY by reference across nodes: A's URL on B, delivered once fetched",
		  t_subscribe_a_push_b_indirect },
		{ "a ppgd_take past the 8,000-byte NOTIFY limit: split, A delivers", t_take_past_notify_limit },
		{ "A stopped, then restarted, B alive: its dead dialog is not handed off",
		  t_restarted_holder_not_handed_off },
		{ "an SMS receipt on A's link ends B's delivery delivered", t_sms_receipt_other_node },
		{ "A alone, restarted: a stored dialog that died with it is not handed off", t_dead_dialog_not_handed_off },
		{ "node id on every log line and ppgd_node_info", t_node_on_logs_and_metrics },
		{ "/readyz 503 while PostgreSQL is lost, 200 once back", t_readyz_database_lost },
		{ NULL, NULL },
	};
	if (itest_add_suite("SIP and OTA on two ppgd nodes on one PostgreSQL", suite_init, suite_clean, tests) < 0)
		return 1;
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
