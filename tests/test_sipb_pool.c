/*
 * test_sipb_pool.c - the MESSAGE handles sipb keeps between two MESSAGEs
 * (sipbearer/sipb_message.c, sipb_out_take / sipb_out_put): a handle whose
 * MESSAGE ended carries the next one, and nothing of the first leaks into
 * it. White-box: reads the pool's count from struct sipb (sipb_int.h).
 *
 * The peer is sipp (tests/sipp/uas_any.xml, every MESSAGE answered 200);
 * what each MESSAGE carried is read from sipp's message log.
 */
#include "sipbearer/sipb.h"
#include "sipbearer/sipb_int.h"
#include "tests/itest.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#define SIPP "/usr/bin/sipp"
#define NMSG 6          /* MESSAGEs one after the other */
#define NCONC 5         /* MESSAGEs in flight at once */

static su_root_t *root;
static char *tmpdir;

struct res {
	int status, local;
	uint64_t tag;
};
static struct res results[32];
static int nresults;

static int always_trusted(void *arg, const char *method, const struct sockaddr *from)
{
	(void)arg;
	(void)method;
	(void)from;
	return 1;
}

static int no_register(void *arg, struct sipb_binding *b, size_t n, const struct sockaddr *from,
    struct sipb_reg *reg)
{
	(void)arg;
	(void)b;
	(void)n;
	(void)from;
	(void)reg;
	return 500;
}

static void on_result(void *arg, const struct sipb_result *r)
{
	(void)arg;
	CU_ASSERT_FATAL(nresults < (int)(sizeof results / sizeof results[0]));
	results[nresults].status = r->status;
	results[nresults].local = r->local;
	results[nresults].tag = r->tag;
	nresults++;
}

static struct sipb *agent(void)
{
	struct sipb_config cfg = {
		.bind_url = "sip:127.0.0.1:0",
		.from_uri = "sip:ppg@operator.example",
		.p_asserted_identity = "<sip:ppg@operator.example>",
		.user_agent = "ppgd-test/1.0",
		.trusted = always_trusted,
		.t1x64_ms = 2000,
	};
	char err[256] = "";
	struct sipb *s = sipb_new(root, &cfg, no_register, on_result, NULL, err, sizeof err);

	if (!s)
		fprintf(stderr, "sipb_new: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL(s);
	return s;
}

static void run(int want, long ms)
{
	su_time_t start = su_now();

	while (nresults < want && su_duration(su_now(), start) < ms)
		su_root_step(root, 10);
}

/* sipp answering n MESSAGEs 200 on a free UDP port; its message log at msglog. */
static pid_t uas(int n, int *port, char *msglog, size_t len)
{
	static int seq;
	char calls[16], out[600];

	seq++;
	snprintf(msglog, len, "%s/uas-%d-msg.log", tmpdir, seq);
	snprintf(out, sizeof out, "%s/uas-%d.out", tmpdir, seq);
	snprintf(calls, sizeof calls, "%d", n);
	const char *argv[] = { SIPP, "-sf", tu_src("tests/sipp/uas_any.xml"), "-i", "127.0.0.1",
		"-p", "@PORT@", "-m", calls, "-timeout", "15s", "-timeout_error", "-nostdin",
		"-trace_msg", "-message_file", msglog, NULL };
	*port = 0;
	return itest_sipp_start(argv, tmpdir, out, 0, port);
}

/* Waits for sipp to end (running the root): its exit status, -1 if killed. */
static int uas_wait(pid_t pid)
{
	su_time_t start = su_now();
	int rc = -1;

	while (itest_wait_pid(pid, 0, &rc) != 0) {
		if (su_duration(su_now(), start) > 10000) {
			itest_stop_pid(pid, SIGKILL, 5);
			return -1;
		}
		su_root_step(root, 10);
	}
	return rc;
}

/*
 * The value of header name (e.g. "Call-ID:") in the index-th MESSAGE of
 * sipp's log, copied into out; the Request-URI for name "MESSAGE ". 0, or
 * -1 when there is no such MESSAGE or header.
 */
static int logged(const char *log, int index, const char *name, char *out, size_t len)
{
	const char *at = log, *end, *h;

	for (;;) {
		at = strstr(at, "\nMESSAGE ");
		if (!at)
			return -1;
		at++;
		if (index-- == 0)
			break;
	}
	end = strstr(at, "\r\n\r\n");
	if (!end)
		end = at + strlen(at);
	if (!strcmp(name, "MESSAGE ")) {
		h = at + strlen(name);
	} else {
		for (h = at; (h = strstr(h, "\n")) && h < end; h++)
			if (!strncasecmp(h + 1, name, strlen(name)))
				break;
		if (!h || h >= end)
			return -1;
		h += 1 + strlen(name);
		while (*h == ' ')
			h++;
	}
	size_t n = strcspn(h, " \r\n");
	snprintf(out, len, "%.*s", (int)n, h);
	return 0;
}

/*
 * MESSAGEs one after the other, to two alternating AoRs: after the first,
 * each goes out on the handle of the one before (the pool holds one), and
 * carries its own Request-URI, To, Call-ID and From tag.
 */
static void test_sequential_reuse(void)
{
	static const char *const users[2] = { "alice", "bob" };
	char msglog[600], ruri[NMSG][96], to[NMSG][96];
	int port;
	struct sipb *s = agent();

	if (!s)
		return;
	nresults = 0;
	pid_t pid = uas(NMSG, &port, msglog, sizeof msglog);
	CU_ASSERT_FATAL(pid > 0);
	for (int i = 0; i < NMSG; i++) {
		snprintf(ruri[i], sizeof ruri[i], "sip:%s@127.0.0.1:%d", users[i % 2], port);
		snprintf(to[i], sizeof to[i], "sip:%s@biloxi.example", users[i % 2]);
		struct sipb_message m = {
			.request_uri = ruri[i], .to = to[i], .app = "mms.ua",
			.content_type = "text/plain", .body = "hello push", .body_len = 10,
			.tag = 100 + (uint64_t)i,
		};
		CU_ASSERT_EQUAL(sipb_send_message(s, &m), 0);
		CU_ASSERT_EQUAL(sipb_inflight(s), 1);
		CU_ASSERT_EQUAL(s->nidle, 0);   /* the idle handle (if any) carries it */
		run(i + 1, 5000);
		CU_ASSERT_EQUAL_FATAL(nresults, i + 1);
		CU_ASSERT_EQUAL(results[i].status, 200);
		CU_ASSERT_EQUAL(results[i].local, 0);
		CU_ASSERT_EQUAL(results[i].tag, 100 + (uint64_t)i);
		CU_ASSERT_EQUAL(s->nidle, 1);
	}
	CU_ASSERT_EQUAL(uas_wait(pid), 0);

	char *log = tu_read_file(msglog, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	char callid[NMSG][128], ftag[NMSG][64];
	for (int i = 0; i < NMSG; i++) {
		char v[256], *t;

		CU_ASSERT_EQUAL_FATAL(logged(log, i, "MESSAGE ", v, sizeof v), 0);
		CU_ASSERT_STRING_EQUAL(v, ruri[i]);
		CU_ASSERT_EQUAL_FATAL(logged(log, i, "To:", v, sizeof v), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(v, to[i]));
		CU_ASSERT_PTR_NULL(strstr(v, ";tag="));      /* out of dialog: no To tag */
		CU_ASSERT_EQUAL_FATAL(logged(log, i, "Call-ID:", callid[i], sizeof callid[i]), 0);
		CU_ASSERT_EQUAL_FATAL(logged(log, i, "From:", v, sizeof v), 0);
		t = strstr(v, ";tag=");
		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		snprintf(ftag[i], sizeof ftag[i], "%s", t + 5);
		for (int j = 0; j < i; j++) {
			CU_ASSERT_STRING_NOT_EQUAL(callid[i], callid[j]);
			CU_ASSERT_STRING_NOT_EQUAL(ftag[i], ftag[j]);
		}
	}
	free(log);
	sipb_free(s);
	CU_ASSERT_EQUAL(nresults, NMSG);
}

/*
 * A handle whose MESSAGE ended in a local 503 (nothing listens) carries the
 * next MESSAGE, which sipp answers 200; MESSAGEs in flight at once each
 * take a handle of their own, and all of them go back into the pool.
 */
static void test_reuse_after_failure_and_concurrent(void)
{
	char msglog[600], ruri[96];
	int port;
	struct sipb *s = agent();

	if (!s)
		return;
	nresults = 0;
	/* a UDP port nothing listens on: ICMP port unreachable, a local 503 */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	CU_ASSERT_EQUAL_FATAL(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	snprintf(ruri, sizeof ruri, "sip:bob@127.0.0.1:%u", ntohs(a.sin_port));
	struct sipb_message m = {
		.request_uri = ruri, .to = "sip:bob@biloxi.example", .app = "mms.ua",
		.content_type = "text/plain", .body = "hello push", .body_len = 10, .tag = 1,
	};
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), 0);
	run(1, 5000);
	CU_ASSERT_EQUAL_FATAL(nresults, 1);
	CU_ASSERT_EQUAL(results[0].status, 503);
	CU_ASSERT_EQUAL(results[0].local, 1);
	CU_ASSERT_EQUAL(s->nidle, 1);

	pid_t pid = uas(1 + NCONC, &port, msglog, sizeof msglog);
	CU_ASSERT_FATAL(pid > 0);
	snprintf(ruri, sizeof ruri, "sip:bob@127.0.0.1:%d", port);
	m.tag = 2;
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), 0);
	CU_ASSERT_EQUAL(s->nidle, 0);
	run(2, 5000);
	CU_ASSERT_EQUAL_FATAL(nresults, 2);
	CU_ASSERT_EQUAL(results[1].status, 200);
	CU_ASSERT_EQUAL(results[1].local, 0);
	CU_ASSERT_EQUAL(results[1].tag, 2);

	for (int i = 0; i < NCONC; i++) {
		m.tag = 10 + (uint64_t)i;
		CU_ASSERT_EQUAL(sipb_send_message(s, &m), 0);
	}
	CU_ASSERT_EQUAL(sipb_inflight(s), NCONC);
	CU_ASSERT_EQUAL(s->nidle, 0);
	run(2 + NCONC, 5000);
	CU_ASSERT_EQUAL_FATAL(nresults, 2 + NCONC);
	int seen[NCONC] = { 0 };
	for (int i = 2; i < nresults; i++) {
		CU_ASSERT_EQUAL(results[i].status, 200);
		if (results[i].tag >= 10 && results[i].tag < 10 + NCONC)
			seen[results[i].tag - 10]++;
	}
	for (int i = 0; i < NCONC; i++)
		CU_ASSERT_EQUAL(seen[i], 1);
	CU_ASSERT_EQUAL(sipb_inflight(s), 0);
	CU_ASSERT_EQUAL(s->nidle, NCONC);
	CU_ASSERT_EQUAL(uas_wait(pid), 0);
	/* sipb_free destroys the idle handles (AddressSanitizer: nothing leaks) */
	sipb_free(s);
	CU_ASSERT_EQUAL(nresults, 2 + NCONC);
}

int main(void)
{
	if (access(SIPP, X_OK) != 0) {
		fprintf(stderr, "test_sipb_pool: %s not found, skipped\n", SIPP);
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	su_init();
	root = su_root_create(NULL);
	if (!root)
		return 1;
	su_root_threading(root, 0);
	tmpdir = tu_tmpdir("sipb_pool");
	if (!tmpdir)
		return 1;

	CU_initialize_registry();
	CU_pSuite su = CU_add_suite("sipb MESSAGE handles", NULL, NULL);
	CU_add_test(su, "MESSAGEs one after the other: one handle, each with its own headers",
	    test_sequential_reuse);
	CU_add_test(su, "a handle after a local 503; MESSAGEs in flight at once",
	    test_reuse_after_failure_and_concurrent);
	int rc = tu_run();

	su_root_destroy(root);
	su_deinit();
	if (rc == 0)
		tu_rmtree(tmpdir);
	else
		fprintf(stderr, "sipp logs kept in %s\n", tmpdir);
	free(tmpdir);
	return rc;
}
