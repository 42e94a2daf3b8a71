/*
 * test_sub_push.c - pushes delivered as NOTIFY within ua-profile
 * subscriptions (seed 003 §9.1.4, D.3 steps 9-12; [sip] notify_push =
 * prefer; issue 9 item 2): the real ppgd and sipp as the subscribed terminal
 * behind its core (127.0.0.1 is a trusted core). No terminal registers, so
 * a push that does not go as NOTIFY ends `undeliverable 2003` at once
 * (no_binding = fail): what ends delivered went in the subscription.
 *   - the NOTIFY answered 200: delivered 1000; it carried the push (Event
 *     ua-profile;profile-type=oma-app;event-app-id, Accept-Contact, the
 *     push's Content-Type and body); the refresh's NOTIFY that follows
 *     carries no body (nua's notifier resends its last NOTIFY after a
 *     refresh: the push is not delivered twice) (tests/sipp/sub_push.xml);
 *   - answered 481: the subscription is deleted and the push goes the other
 *     ways (none here: 2003); the next push does not try the dead dialog;
 *   - answered 500: undeliverable 4000 like a MESSAGE's 500 (max_attempts 1);
 *   - two subscriptions of one AoR: a NOTIFY in each, the best answer wins;
 *   - large content: the NOTIFY carries message/external-body, and the push
 *     is delivered once the URL is fetched;
 *   - after kill -9 and a restart the stored subscription has no dialog: a
 *     push for it does not go as NOTIFY (2003);
 *   - a subscription whose Accept does not take the type gets no NOTIFY
 *     (none left: 2005, as the MESSAGE path); of two, the one that takes it;
 *   - an address naming an instance: that terminal's subscription only;
 *   - terminal = last: the latest subscription only; terminal = q: the one
 *     whose registration (same contact) has the highest q;
 *   - notify_push = no (the default): never as NOTIFY.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "pap/pap.h"
#include "tests/itest.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BOUNDARY "subpush-4e1"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""
#define ALICE "alice", ITEST_ALICE_SECRET
#define MMS_CT "application/vnd.wap.mms-message"

static struct itest_daemon dd;
static int dd_sip;
static int last_sub_port;   /* the contact port of the last subscriber() */
static char *last_sipp_log;

static void show_ctx(const char *what)
{
	fprintf(stderr, "\n  FAILED: %s\n", what);
	itest_daemon_print_log(&dd, 3000);
	itest_print_tail("sipp", last_sipp_log, 4000);
}

#define EXPECT(c) do { int ok_ = (c) ? 1 : 0; if (!ok_) show_ctx(#c); CU_ASSERT(ok_); } while (0)
#define EXPECT_INT(a, e) do { long a_ = (long)(a), e_ = (long)(e); \
	if (a_ != e_) { fprintf(stderr, "\n  %s = %ld, expected %ld", #a, a_, e_); show_ctx(#a); } \
	CU_ASSERT(a_ == e_); } while (0)

/* ------------------------------------------------------------ daemon */

static int start_daemon(const char *notify_push, const char *extra)
{
	char *sections = itest_asprintf(
	    "[sip]\nenabled = yes\nlisten = sip:127.0.0.1:%d\nfrom = sip:ppg@operator.example\n"
	    "trusted_cores = 127.0.0.1/32\nsubscribe_min_expires = 60\nno_binding = fail\n"
	    "max_attempts = 1\nfetch_timeout = 10\nuaprof_fetch = no\nnotify_push = %s\n%s",
	    dd_sip, notify_push, extra ? extra : "");
	int r = itest_std_config(&dd, NULL, sections) == 0 ? itest_daemon_start(&dd) : -1;
	free(sections);
	return r;
}

static int init_suite(void)
{
	if (itest_daemon_init(&dd, "subpush") != 0)
		return 0;   /* the tests see dd.pid == 0 */
	dd_sip = itest_free_port_udp_tcp();
	start_daemon("prefer", NULL);
	return 0;
}

static int clean_suite(void)
{
	itest_daemon_destroy(&dd, 0);
	free(last_sipp_log);
	last_sipp_log = NULL;
	return 0;
}

#define NEED() CU_ASSERT_FATAL(dd.pid > 0)

/* ------------------------------------------------------------ PAP */

/* A push to the address value addr (escaped for PAP). */
static int push_to(const char *push_id, const char *addr, const char *body, size_t clen)
{
	char *head = itest_asprintf(
	    "--" BOUNDARY "\r\nContent-Type: application/xml; charset=UTF-8\r\n\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>\n"
	    "<push-message push-id=\"%s\">\n"
	    "  <address address-value=\"WAPPUSH=%s/TYPE=USER\"/>\n"
	    "</push-message>\n</pap>\r\n"
	    "--" BOUNDARY "\r\nContent-Type: " MMS_CT "\r\n"
	    "X-Wap-Application-Id: x-wap-application:mms.ua\r\n\r\n", push_id, addr);
	const char *tail = "\r\n--" BOUNDARY "--\r\n";
	size_t hl = strlen(head), tl = strlen(tail);
	char *b = malloc(hl + clen + tl);
	memcpy(b, head, hl);
	memcpy(b + hl, body, clen);
	memcpy(b + hl + clen, tail, tl);
	struct pap_msg *m = itest_pap_post(&dd, ALICE, MULTIPART_CT, b, hl + clen + tl);
	int code = !m ? -1 : m->nresults ? m->results[0].code : m->code;
	pap_msg_free(m);
	free(b);
	free(head);
	return code;
}

static int push(const char *push_id, const char *user, const char *body, size_t clen)
{
	char *addr = itest_asprintf("sip%%3A%s%%40biloxi.example", user);
	int code = push_to(push_id, addr, body, clen);
	free(addr);
	return code;
}

struct sq {
	enum pap_state state;
	int code;
	char desc[512];
};

static int wait_final(const char *push_id, double timeout_s, struct sq *q)
{
	double end = itest_now() + timeout_s;
	for (;;) {
		char *doc = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>"
		    "<statusquery-message push-id=\"%s\"/></pap>", push_id);
		struct pap_msg *m = itest_pap_post(&dd, ALICE, "application/xml", doc, strlen(doc));
		free(doc);
		memset(q, 0, sizeof *q);
		q->code = -1;
		if (m && m->type == PAP_MSG_STATUSQUERY_RESPONSE && m->nresults >= 1) {
			q->state = m->results[0].state;
			q->code = m->results[0].code;
			snprintf(q->desc, sizeof q->desc, "%s", m->results[0].desc ? m->results[0].desc : "");
		}
		pap_msg_free(m);
		if (q->code >= 0 && q->state != PAP_STATE_PENDING) {
			fprintf(stderr, "\n    %s: %s %d \"%s\"", push_id, pap_state_str(q->state), q->code, q->desc);
			return 0;
		}
		if (itest_now() > end) {
			fprintf(stderr, "\n    %s: not final after %.1f s: %d \"%s\"", push_id, timeout_s, q->code, q->desc);
			return -1;
		}
		usleep(50000);
	}
}

/* ------------------------------------------------------------ sipp */

/*
 * Starts the sipp UAC scenario tests/sipp/NAME (user, the push's content
 * type as a regular expression, the marker its body holds, the answer to
 * the push NOTIFY, the SUBSCRIBE's Accept: MMS_CT by subscriber()) in the background and waits until ppgd's initial NOTIFY
 * reached it (then the subscription is live in ppgd: its 200 and the
 * initial NOTIFY go out together). The PID, or -1.
 */
static pid_t subscriber_acc(const char *name, const char *user, const char *ctype, const char *marker,
    int answer, const char *accept)
{
	static int seq;
	char remote[32], port[16], ans[8], fname[32];
	char *t = tu_read_file(tu_src(name), NULL);
	snprintf(ans, sizeof ans, "%d", answer);
	itest_subst(&t, "expires", "600", 0);
	itest_subst(&t, "user", user, 0);
	itest_subst(&t, "ctype", ctype, 0);
	itest_subst(&t, "marker", marker, 0);
	itest_subst(&t, "answer", ans, 0);
	itest_subst(&t, "accept", accept, 0);
	snprintf(fname, sizeof fname, "scen_%d.xml", ++seq);
	char *scen = t ? itest_write_file(dd.dir, fname, t, strlen(t)) : NULL;
	free(t);
	if (!scen)
		return -1;
	snprintf(remote, sizeof remote, "127.0.0.1:%d", dd_sip);
	last_sub_port = itest_free_port_udp_tcp();
	snprintf(port, sizeof port, "%d", last_sub_port);
	free(last_sipp_log);
	last_sipp_log = itest_asprintf("%s/sub_%d.msg", dd.dir, seq);
	char *out = itest_asprintf("%s/sub_%d.out", dd.dir, seq);
	const char *argv[] = { "sipp", remote, "-sf", scen, "-m", "1", "-i", "127.0.0.1",
		"-p", port, "-nostdin", "-trace_msg", "-message_file", last_sipp_log,
		"-timeout", "40s", "-timeout_error", NULL };
	pid_t pid = itest_spawn(argv, dd.dir, out);
	free(out);
	free(scen);
	if (pid <= 0 || itest_wait_file_has(last_sipp_log, "Subscription-State: active", 10) != 0)
		return -1;
	usleep(100000);   /* sipp's 200 to the initial NOTIFY */
	return pid;
}

static pid_t subscriber(const char *name, const char *user, const char *ctype, const char *marker,
    int answer)
{
	return subscriber_acc(name, user, ctype, marker, answer, MMS_CT);
}

static int sipp_end(pid_t pid)
{
	int code = -1;
	if (itest_wait_pid(pid, 40, &code) != 0)
		return -1;
	return code;
}

/* ------------------------------------------------------------ tests */

/* 200: delivered; the refresh's NOTIFY has no body. */
static void t_delivered(void)
{
	NEED();
	pid_t pid = subscriber("tests/sipp/sub_push.xml", "bob", MMS_CT, "MMS-bob-1", 200);
	EXPECT(pid > 0);
	const char *body = "MMS-bob-1 push content";
	EXPECT_INT(push("np1@subpush", "bob", body, strlen(body)), 1001);
	struct sq q;
	EXPECT_INT(wait_final("np1@subpush", 20, &q), 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, 1000);
	EXPECT(strstr(q.desc, "NOTIFY 200") != NULL);
	/* the push NOTIFY, the refresh's NOTIFY without a body, the un-SUBSCRIBE */
	EXPECT_INT(sipp_end(pid), 0);
	char *log = tu_read_file(last_sipp_log, NULL);
	int n = 0;
	for (const char *at = log; at && (at = strstr(at, "MMS-bob-1")); at++)
		n++;
	EXPECT_INT(n, 1);   /* the content went once */
	free(log);
}

/* 481: the subscription goes; the push takes the other ways (none: 2003). */
static void t_gone(void)
{
	NEED();
	pid_t pid = subscriber("tests/sipp/sub_push_answer.xml", "carol", MMS_CT, "MMS-carol-1", 481);
	EXPECT(pid > 0);
	const char *body = "MMS-carol-1";
	EXPECT_INT(push("np2@subpush", "carol", body, strlen(body)), 1001);
	struct sq q;
	EXPECT_INT(wait_final("np2@subpush", 20, &q), 0);
	EXPECT_INT(q.state, PAP_STATE_UNDELIVERABLE);
	EXPECT_INT(q.code, 2003);   /* fell back to MESSAGE: no registration */
	EXPECT_INT(sipp_end(pid), 0);
	EXPECT(itest_wait_file_has(dd.log, "subscription was gone (NOTIFY 481", 5) == 0);
	EXPECT(itest_wait_file_has(dd.log, "ua-profile subscription of sip:carol@biloxi.example ended", 5) == 0);
	/* the next push does not try the dead dialog */
	EXPECT_INT(push("np3@subpush", "carol", body, strlen(body)), 1001);
	EXPECT_INT(wait_final("np3@subpush", 10, &q), 0);
	EXPECT_INT(q.code, 2003);
}

/* 500: like a MESSAGE's 500, undeliverable 4000 at the attempt limit. */
static void t_failed(void)
{
	NEED();
	pid_t pid = subscriber("tests/sipp/sub_push_answer.xml", "dave", MMS_CT, "MMS-dave-1", 500);
	EXPECT(pid > 0);
	const char *body = "MMS-dave-1";
	EXPECT_INT(push("np4@subpush", "dave", body, strlen(body)), 1001);
	struct sq q;
	EXPECT_INT(wait_final("np4@subpush", 20, &q), 0);
	EXPECT_INT(q.state, PAP_STATE_UNDELIVERABLE);
	EXPECT_INT(q.code, 4000);
	EXPECT_INT(sipp_end(pid), 0);
}

/* Two subscriptions of one AoR: one NOTIFY each, the best answer wins
 * (RFC 3261 §16.7, as for forked MESSAGEs): 500 and 200 -> delivered. */
static void t_two(void)
{
	NEED();
	pid_t p1 = subscriber("tests/sipp/sub_push_answer.xml", "hank", MMS_CT, "MMS-hank-1", 500);
	char *log1 = last_sipp_log ? strdup(last_sipp_log) : NULL;
	pid_t p2 = subscriber("tests/sipp/sub_push_answer.xml", "hank", MMS_CT, "MMS-hank-1", 200);
	EXPECT(p1 > 0 && p2 > 0);
	const char *body = "MMS-hank-1";
	EXPECT_INT(push("np8@subpush", "hank", body, strlen(body)), 1001);
	struct sq q;
	EXPECT_INT(wait_final("np8@subpush", 20, &q), 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT(strstr(q.desc, "NOTIFY 200") != NULL);
	EXPECT_INT(sipp_end(p1), 0);   /* each subscriber got the push */
	EXPECT_INT(sipp_end(p2), 0);
	EXPECT(log1 && itest_wait_file_has(log1, "MMS-hank-1", 1) == 0);
	free(log1);
}

/* Large content goes by reference; delivered once the URL is fetched. */
static void t_indirect(void)
{
	NEED();
	pid_t pid = subscriber("tests/sipp/sub_push.xml", "erin", "message/external-body;.*",
	    "Content-Type: application/vnd.wap.mms-message", 200);
	EXPECT(pid > 0);
	size_t n = 4000;
	char *body = malloc(n);
	memset(body, 'x', n);
	memcpy(body, "MMS-erin-big", 12);
	EXPECT_INT(push("np5@subpush", "erin", body, n), 1001);
	/* the URL the NOTIFY named */
	EXPECT(itest_wait_file_has(last_sipp_log, "URL=\"http", 10) == 0);
	char *log = tu_read_file(last_sipp_log, NULL);
	char url[300] = "";
	const char *u = log ? strstr(log, "URL=\"") : NULL;
	if (u)
		sscanf(u + 5, "%299[^\"]", url);
	free(log);
	struct itest_resp r;
	EXPECT(url[0] && itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r) == 0);
	if (url[0]) {
		EXPECT_INT(r.status, 200);
		EXPECT(r.len == n && !memcmp(r.body, body, n));
		itest_resp_free(&r);
	}
	struct sq q;
	EXPECT_INT(wait_final("np5@subpush", 20, &q), 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT(strstr(q.desc, "content fetched") != NULL);
	EXPECT_INT(sipp_end(pid), 0);
	free(body);
}

/* After a restart the stored subscription has no dialog: no NOTIFY. */
static void t_restart(void)
{
	NEED();
	pid_t pid = subscriber("tests/sipp/sub_push_answer.xml", "frank", MMS_CT, "MMS-frank-1", 200);
	EXPECT(pid > 0);
	EXPECT(itest_daemon_kill(&dd) != -1);
	itest_stop_pid(pid, SIGTERM, 5);
	EXPECT_INT(start_daemon("prefer", NULL), 0);
	const char *body = "MMS-frank-1";
	EXPECT_INT(push("np6@subpush", "frank", body, strlen(body)), 1001);
	struct sq q;
	EXPECT_INT(wait_final("np6@subpush", 10, &q), 0);
	EXPECT_INT(q.state, PAP_STATE_UNDELIVERABLE);
	EXPECT_INT(q.code, 2003);
}

/* A subscription whose Accept does not take the push's content type gets no
 * NOTIFY; with no other way left the push ends 2005 (capabilities mismatch)
 * as the MESSAGE path does when no terminal takes the type. */
static void t_accept_none(void)
{
	NEED();
	pid_t pid = subscriber_acc("tests/sipp/sub_push_answer.xml", "ivan", MMS_CT, "MMS-ivan-1", 200,
	    "text/plain, application/vnd.wap.sic");
	EXPECT(pid > 0);
	char *log = last_sipp_log ? strdup(last_sipp_log) : NULL;
	const char *body = "MMS-ivan-1";
	EXPECT_INT(push("np9@subpush", "ivan", body, strlen(body)), 1001);
	struct sq q;
	EXPECT_INT(wait_final("np9@subpush", 10, &q), 0);
	EXPECT_INT(q.state, PAP_STATE_UNDELIVERABLE);
	EXPECT_INT(q.code, 2005);
	EXPECT(strstr(q.desc, "takes " MMS_CT) != NULL);
	usleep(300000);
	EXPECT_INT(itest_file_count(log, "MMS-ivan-1"), 0);   /* no NOTIFY carried it */
	itest_stop_pid(pid, SIGTERM, 5);
	free(log);
}

/* Two subscriptions of one AoR, one takes the type (application/ wildcard),
 * one does not: the NOTIFY goes in the first only. */
static void t_accept_one(void)
{
	NEED();
	pid_t p1 = subscriber_acc("tests/sipp/sub_push_answer.xml", "judy", MMS_CT, "MMS-judy-1", 200,
	    "text/plain");
	char *log1 = last_sipp_log ? strdup(last_sipp_log) : NULL;
	pid_t p2 = subscriber_acc("tests/sipp/sub_push_answer.xml", "judy", MMS_CT, "MMS-judy-1", 200,
	    "application/*;q=0.5");
	EXPECT(p1 > 0 && p2 > 0);
	const char *body = "MMS-judy-1";
	EXPECT_INT(push("np10@subpush", "judy", body, strlen(body)), 1001);
	struct sq q;
	EXPECT_INT(wait_final("np10@subpush", 20, &q), 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT(strstr(q.desc, "NOTIFY 200") != NULL);
	EXPECT_INT(sipp_end(p2), 0);
	EXPECT_INT(itest_file_count(last_sipp_log, "MMS-judy-1"), 1);
	EXPECT_INT(itest_file_count(log1, "MMS-judy-1"), 0);
	itest_stop_pid(p1, SIGTERM, 5);
	free(log1);
}

/* terminal = last: of two subscriptions of one AoR only the latest gets the
 * NOTIFY (the policy maps "last" to the latest SUBSCRIBE or refresh). */
static void t_policy_last(void)
{
	NEED();
	itest_daemon_stop(&dd);
	EXPECT_INT(start_daemon("prefer", "terminal = last\n"), 0);
	pid_t p1 = subscriber("tests/sipp/sub_push_answer.xml", "kim", MMS_CT, "MMS-kim-1", 200);
	char *log1 = last_sipp_log ? strdup(last_sipp_log) : NULL;
	pid_t p2 = subscriber("tests/sipp/sub_push_answer.xml", "kim", MMS_CT, "MMS-kim-1", 200);
	EXPECT(p1 > 0 && p2 > 0);
	const char *body = "MMS-kim-1";
	EXPECT_INT(push("np11@subpush", "kim", body, strlen(body)), 1001);
	struct sq q;
	EXPECT_INT(wait_final("np11@subpush", 20, &q), 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(sipp_end(p2), 0);
	EXPECT_INT(itest_file_count(last_sipp_log, "MMS-kim-1"), 1);
	EXPECT_INT(itest_file_count(log1, "MMS-kim-1"), 0);
	itest_stop_pid(p1, SIGTERM, 5);
	free(log1);
}

/*
 * The core's third-party REGISTER of sip:USER@biloxi.example with the
 * contact <sip:USER@127.0.0.1:CPORT>PARAMS (tests/sipp/select_register.xml,
 * its domain made biloxi.example): 1 when answered 200.
 */
static int reg(const char *user, int cport, const char *params)
{
	static int seq;
	char cp[16], fname[32], dst[32];
	snprintf(cp, sizeof cp, "%d", cport);
	const char *from[] = { "@USER@", "@CPORT@", "@EXPIRES@", "@PARAMS@", "example.com" },
		*to[] = { user, cp, "600", params, "biloxi.example" };
	snprintf(fname, sizeof fname, "reg_%d.xml", ++seq);
	char *scen = itest_subst_file(dd.dir, "tests/sipp/select_register.xml", fname, from, to, 5);
	char *log = itest_asprintf("%s/reg_%d.msg", dd.dir, seq);
	snprintf(dst, sizeof dst, "127.0.0.1:%d", dd_sip);
	const char *argv[] = { "sipp", "-sf", scen ? scen : "-", "-m", "1", "-i", "127.0.0.1", "-nostdin",
		"-trace_msg", "-message_file", log, "-timeout", "15s", "-recv_timeout", "5000", dst, NULL };
	int code = -1;
	if (scen)
		itest_run_full(argv, NULL, dd.dir, 30, NULL, NULL, &code);
	int ok = itest_file_count(log, "SIP/2.0 200") > 0;
	free(log);
	free(scen);
	return ok;
}

#define INST1 "urn:uuid:00000001-0000-4000-8000-0000000000a1"
#define INST2 "urn:uuid:00000002-0000-4000-8000-0000000000a2"

/* An address naming a terminal (;gr=INSTANCE): the NOTIFY goes in the
 * subscription of that terminal's registration (same contact) only. */
static void t_instance(void)
{
	NEED();
	pid_t p1 = subscriber("tests/sipp/sub_push_answer.xml", "lena", MMS_CT, "MMS-lena-1", 200);
	int port1 = last_sub_port;
	char *log1 = last_sipp_log ? strdup(last_sipp_log) : NULL;
	pid_t p2 = subscriber("tests/sipp/sub_push_answer.xml", "lena", MMS_CT, "MMS-lena-1", 200);
	EXPECT(p1 > 0 && p2 > 0);
	EXPECT(reg("lena", port1, ";+sip.instance=\"<" INST1 ">\""));
	EXPECT(reg("lena", last_sub_port, ";+sip.instance=\"<" INST2 ">\""));
	EXPECT(itest_wait_file_has(dd.log, "registration sip:lena@biloxi.example", 5) == 0);
	usleep(200000);
	const char *body = "MMS-lena-1";
	EXPECT_INT(push_to("np12@subpush", "sip%3Alena%40biloxi.example%3Bgr%3D"
	    "urn%3Auuid%3A00000002-0000-4000-8000-0000000000a2", body, strlen(body)), 1001);
	struct sq q;
	EXPECT_INT(wait_final("np12@subpush", 20, &q), 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT(strstr(q.desc, "NOTIFY 200") != NULL);
	EXPECT_INT(sipp_end(p2), 0);   /* its NOTIFY carried the push */
	EXPECT_INT(itest_file_count(last_sipp_log, "MMS-lena-1"), 1);
	EXPECT_INT(itest_file_count(log1, "MMS-lena-1"), 0);
	itest_stop_pid(p1, SIGTERM, 5);
	free(log1);
}

/* An address that is a temp-gruu (RFC 5627 §3.2: its user part is opaque,
 * not the AoR's): the NOTIFY goes in the subscription of the terminal that
 * registered it, as for ;gr=INSTANCE. */
static void t_temp_gruu(void)
{
	NEED();
	pid_t p1 = subscriber("tests/sipp/sub_push_answer.xml", "tina", MMS_CT, "MMS-tina-1", 200);
	int port1 = last_sub_port;
	char *log1 = last_sipp_log ? strdup(last_sipp_log) : NULL;
	pid_t p2 = subscriber("tests/sipp/sub_push_answer.xml", "tina", MMS_CT, "MMS-tina-1", 200);
	EXPECT(p1 > 0 && p2 > 0);
	EXPECT(reg("tina", port1, ";temp-gruu=\"sip:tgruu.t1@biloxi.example;gr\""));
	EXPECT(reg("tina", last_sub_port, ";temp-gruu=\"sip:tgruu.t2@biloxi.example;gr\""));
	EXPECT(itest_wait_file_has(dd.log, "registration sip:tina@biloxi.example", 5) == 0);
	usleep(200000);
	const char *body = "MMS-tina-1";
	EXPECT_INT(push_to("np14@subpush", "sip%3Atgruu.t2%40biloxi.example%3Bgr", body, strlen(body)), 1001);
	struct sq q;
	EXPECT_INT(wait_final("np14@subpush", 20, &q), 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT(strstr(q.desc, "NOTIFY 200") != NULL);
	EXPECT_INT(sipp_end(p2), 0);   /* its NOTIFY carried the push */
	EXPECT_INT(itest_file_count(last_sipp_log, "MMS-tina-1"), 1);
	EXPECT_INT(itest_file_count(log1, "MMS-tina-1"), 0);
	itest_stop_pid(p1, SIGTERM, 5);
	itest_stop_pid(p2, SIGTERM, 5);
	free(log1);
}

/* terminal = q: the subscription whose registration has the highest q. */
static void t_policy_q(void)
{
	NEED();
	itest_daemon_stop(&dd);
	EXPECT_INT(start_daemon("prefer", "terminal = q\n"), 0);
	pid_t p1 = subscriber("tests/sipp/sub_push_answer.xml", "mona", MMS_CT, "MMS-mona-1", 200);
	int port1 = last_sub_port;
	char *log1 = last_sipp_log ? strdup(last_sipp_log) : NULL;
	pid_t p2 = subscriber("tests/sipp/sub_push_answer.xml", "mona", MMS_CT, "MMS-mona-1", 200);
	int port2 = last_sub_port;
	char *log2 = last_sipp_log ? strdup(last_sipp_log) : NULL;
	EXPECT(p1 > 0 && p2 > 0);
	/* the first subscriber's terminal has the higher q, the second subscribed last */
	EXPECT(reg("mona", port1, ";q=0.9"));
	EXPECT(reg("mona", port2, ";q=0.2"));
	EXPECT(itest_wait_file_has(dd.log, "registration sip:mona@biloxi.example", 5) == 0);
	usleep(200000);
	const char *body = "MMS-mona-1";
	EXPECT_INT(push("np13@subpush", "mona", body, strlen(body)), 1001);
	struct sq q;
	EXPECT_INT(wait_final("np13@subpush", 20, &q), 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(sipp_end(p1), 0);
	EXPECT_INT(itest_file_count(log1, "MMS-mona-1"), 1);
	EXPECT_INT(itest_file_count(log2, "MMS-mona-1"), 0);
	itest_stop_pid(p2, SIGTERM, 5);
	free(log1);
	free(log2);
}

/* notify_push = no: a live subscription takes no push. */
static void t_off(void)
{
	NEED();
	itest_daemon_stop(&dd);
	EXPECT_INT(start_daemon("no", NULL), 0);
	pid_t pid = subscriber("tests/sipp/sub_push_answer.xml", "gina", MMS_CT, "MMS-gina-1", 200);
	EXPECT(pid > 0);
	const char *body = "MMS-gina-1";
	EXPECT_INT(push("np7@subpush", "gina", body, strlen(body)), 1001);
	struct sq q;
	EXPECT_INT(wait_final("np7@subpush", 10, &q), 0);
	EXPECT_INT(q.code, 2003);
	itest_stop_pid(pid, SIGTERM, 5);
}

int main(void)
{
	static const struct itest_test_def tests[] = {
		{ "push NOTIFY answered 200: delivered; the refresh's NOTIFY carries no push", t_delivered },
		{ "push NOTIFY answered 481: subscription deleted, the push falls back", t_gone },
		{ "push NOTIFY answered 500: undeliverable 4000 as a MESSAGE's 500", t_failed },
		{ "two subscriptions of one AoR: a NOTIFY each, 500 and 200 -> delivered", t_two },
		{ "large content: message/external-body, delivered once fetched", t_indirect },
		{ "after kill -9 and a restart: no NOTIFY without a live dialog", t_restart },
		{ "Accept excludes the type: no NOTIFY, 2005 when nothing else takes it", t_accept_none },
		{ "two subscriptions, one Accept takes the type: NOTIFY in that one only", t_accept_one },
		{ "address ;gr=INSTANCE: NOTIFY in that terminal's subscription only", t_instance },
		{ "address a temp-gruu: NOTIFY in that terminal's subscription only", t_temp_gruu },
		{ "terminal = last: NOTIFY in the latest subscription only", t_policy_last },
		{ "terminal = q: NOTIFY in the subscription of the highest-q registration", t_policy_q },
		{ "notify_push = no: never as NOTIFY", t_off },
		{ NULL, NULL },
	};
	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("push NOTIFY within ua-profile subscriptions", init_suite, clean_suite, tests)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
