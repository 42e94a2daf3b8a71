/*
 * test_sipb.c - CUnit tests of the SIP Push bearer (sipbearer/) against
 * sipp (Debian sip-tester) on 127.0.0.1: pager-mode pushes answered with
 * each status of OMA-TS-SIP_Push Appendix D (and silence, for the local timer F
 * 408), UDP and TCP, outbound proxy, content indirection decided on the size
 * of the whole request, third-party REGISTERs (trusted and not), the plain
 * answers to other methods, and shutdown with MESSAGEs in flight.
 *
 * The test drives the su_root itself while sipp runs (fork/exec, one sipp
 * per case with -m, its exit status must be 0: the scenarios in tests/sipp/
 * check the received requests with ereg check_it). sipp's message log gives
 * the bytes that really arrived, which bound the agent's size estimate.
 */
#include "sipbearer/sipb.h"
#include "sipbearer/sipb_int.h"
#include "sipbearer/sipb_msrp_relay.h"
#include "sipbearer/sipb_sdp.h"
#include "tests/itest.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#define SIPP "/usr/bin/sipp"
#define THRESHOLD 1300
#define EXT_URL "http://ppg.example/content/1"
/* the agent's estimate may exceed the bytes on the wire by a longer Via
 * branch (9) and, over TCP, the ";rport" nta leaves out (6) */
#define EST_SLACK 16

static su_root_t *root;
static char *tmpdir;

/* ------------------------------------------------------------ callbacks */

struct res {
	int status;
	char phrase[64];
	int local, retry_after, indirect;
	size_t request_size;
	uint64_t tag;
};
static struct res results[16];
static int nresults;

static void on_result(void *arg, const struct sipb_result *r)
{
	CU_ASSERT_FATAL(nresults < (int)(sizeof results / sizeof results[0]));
	struct res *x = &results[nresults++];
	x->status = r->status;
	snprintf(x->phrase, sizeof x->phrase, "%s", r->phrase ? r->phrase : "(null)");
	x->local = r->local;
	x->retry_after = r->retry_after;
	x->indirect = r->indirect;
	x->request_size = r->request_size;
	x->tag = r->tag;
}

struct bind_copy {
	char aor[128], contact[128], instance[128], gruu[160], call_id[128];
	char apps[16][64];
	size_t napps;
	int expires, wildcard, sessions, q;
	uint32_t cseq;
};
struct reg_call {
	size_t n;
	struct bind_copy b[4];
	unsigned from_port;
};
static struct reg_call regs[8];
static int nregs;
/* the second contact of a REGISTER is granted this much less time */
static int grant_second = 120;

static void copy_str(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s ? s : "(null)");
}

static int answer_later;            /* on_register leaves the REGISTER open */
static struct sipb_reg *later[8];
static int npending;

static int on_register(void *arg, struct sipb_binding *b, size_t n, const struct sockaddr *from,
    struct sipb_reg *pending)
{
	if (answer_later) {   /* the core answers once its write is durable */
		CU_ASSERT_PTR_NOT_NULL(pending);
		if (npending < (int)(sizeof later / sizeof later[0]))
			later[npending++] = pending;
	}
	CU_ASSERT_FATAL(nregs < (int)(sizeof regs / sizeof regs[0]));
	struct reg_call *rc = &regs[nregs++];

	rc->n = n;
	rc->from_port = from->sa_family == AF_INET ?
	    ntohs(((const struct sockaddr_in *)from)->sin_port) : 0;
	for (size_t i = 0; i < n && i < 4; i++) {
		struct bind_copy *c = &rc->b[i];
		copy_str(c->aor, sizeof c->aor, b[i].aor);
		copy_str(c->contact, sizeof c->contact, b[i].contact);
		copy_str(c->instance, sizeof c->instance, b[i].instance);
		copy_str(c->gruu, sizeof c->gruu, b[i].gruu);
		copy_str(c->call_id, sizeof c->call_id, b[i].call_id);
		c->napps = b[i].napps;
		for (size_t j = 0; j < b[i].napps && j < 16; j++)
			copy_str(c->apps[j], sizeof c->apps[j], b[i].apps[j]);
		c->expires = b[i].expires;
		c->wildcard = b[i].wildcard;
		c->sessions = b[i].sessions;
		c->q = b[i].q;
		c->cseq = b[i].cseq;
	}
	if (n > 1 && b[1].expires > grant_second)
		b[1].expires = grant_second;
	return answer_later ? SIPB_REGISTER_LATER : 200;
}

static int trust = 1;
static int ntrust_calls;
static unsigned trust_port;

static int on_trusted(void *arg, const char *method, const struct sockaddr *from)
{
	ntrust_calls++;
	CU_ASSERT(!strcmp(method, "REGISTER") || !strcmp(method, "SUBSCRIBE"));
	CU_ASSERT_EQUAL(from->sa_family, AF_INET);
	if (from->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)from;
		CU_ASSERT_EQUAL(ntohl(in->sin_addr.s_addr), INADDR_LOOPBACK);
		trust_port = ntohs(in->sin_port);
	}
	return trust;
}

static void reset(void)
{
	memset(results, 0, sizeof results);
	nresults = 0;
	memset(regs, 0, sizeof regs);
	nregs = 0;
	trust = 1;
	ntrust_calls = 0;
	trust_port = 0;
}

/* ------------------------------------------------------------ helpers */

/* The agent under test on a free port; proxy may be NULL. */
static struct sipb *agent(const char *proxy)
{
	struct sipb_config cfg = {
		.bind_url = "sip:127.0.0.1:0",
		.outbound_proxy = proxy,
		.from_uri = "sip:ppg@operator.example",
		.p_asserted_identity = "<sip:ppg@operator.example>",
		.user_agent = "ppgd-test/1.0",
		.indirection_threshold = THRESHOLD,
		.trusted = on_trusted,
		.t1x64_ms = 2000,
	};
	char err[256] = "";
	struct sipb *s = sipb_new(root, &cfg, on_register, on_result, NULL, err, sizeof err);

	if (!s)
		fprintf(stderr, "sipb_new: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL(s);
	if (s)
		CU_ASSERT_NOT_EQUAL(sipb_local_port(s), 0);
	return s;
}

/* A port free for UDP and TCP on 127.0.0.1 (for sipp). */
static unsigned free_port(void)
{
	for (int tries = 0; tries < 50; tries++) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		socklen_t len = sizeof a;
		int u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0);
		unsigned port = 0;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (u >= 0 && t >= 0 && bind(u, (struct sockaddr *)&a, sizeof a) == 0 &&
		    getsockname(u, (struct sockaddr *)&a, &len) == 0 &&
		    bind(t, (struct sockaddr *)&a, sizeof a) == 0)
			port = ntohs(a.sin_port);
		if (u >= 0)
			close(u);
		if (t >= 0)
			close(t);
		if (port)
			return port;
	}
	CU_FAIL("no free port");
	return 0;
}

/* Steps the root for ms milliseconds, or until *counter reaches want. */
static void run(const int *counter, int want, long ms)
{
	su_time_t start = su_now();

	while ((!counter || *counter < want) && su_duration(su_now(), start) < ms)
		su_root_step(root, 10);
}

/* Copies tests/sipp/name into tmpdir with the @KEY@ placeholders replaced
 * (pairs of key, value, NULL-terminated); returns the path (static). */
static const char *scenario(const char *name, ...)
{
	static char path[1024];
	static int seq;
	char *text = tu_read_file(tu_src(name), NULL);
	va_list ap;
	const char *key;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	va_start(ap, name);
	while ((key = va_arg(ap, const char *))) {
		const char *val = va_arg(ap, const char *);
		char *at;

		while ((at = strstr(text, key))) {
			size_t kl = strlen(key), vl = strlen(val), tl = strlen(text);
			char *nt = malloc(tl - kl + vl + 1);
			CU_ASSERT_PTR_NOT_NULL_FATAL(nt);
			memcpy(nt, text, (size_t)(at - text));
			memcpy(nt + (at - text), val, vl);
			strcpy(nt + (at - text) + vl, at + kl);
			free(text);
			text = nt;
		}
	}
	va_end(ap);
	snprintf(path, sizeof path, "%s/scen-%d.xml", tmpdir, ++seq);
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	free(text);
	return path;
}

struct sipp {
	pid_t pid;
	unsigned port;
	char msglog[600], errlog[600], out[600];
};

/*
 * Starts sipp with scenario scen (a path) on 127.0.0.1:*port for calls
 * calls; remote is "host:port" for a client scenario, NULL for a server one.
 * tcp selects -t t1. Waits until sipp itself owns the port
 * (itest_sipp_start); *port 0 picks a free one, and another one when it was
 * taken before sipp's bind (*port is then set); a port > 0 is kept.
 */
static int sipp_start(struct sipp *p, const char *scen, unsigned *port, int tcp,
    const char *remote, int calls)
{
	static int seq;
	char callstr[16];

	seq++;
	snprintf(p->msglog, sizeof p->msglog, "%s/sipp-%d-msg.log", tmpdir, seq);
	snprintf(p->errlog, sizeof p->errlog, "%s/sipp-%d-err.log", tmpdir, seq);
	snprintf(p->out, sizeof p->out, "%s/sipp-%d.out", tmpdir, seq);
	snprintf(callstr, sizeof callstr, "%d", calls);
	unlink(p->errlog);

	const char *argv[32];
	int n = 0;
	argv[n++] = SIPP;
	argv[n++] = "-sf";
	argv[n++] = scen;
	argv[n++] = "-i";
	argv[n++] = "127.0.0.1";
	argv[n++] = "-p";
	argv[n++] = "@PORT@";
	argv[n++] = "-m";
	argv[n++] = callstr;
	argv[n++] = "-timeout";
	argv[n++] = "15s";
	argv[n++] = "-timeout_error";
	argv[n++] = "-nostdin";
	argv[n++] = "-trace_msg";
	argv[n++] = "-message_file";
	argv[n++] = p->msglog;
	argv[n++] = "-trace_err";
	argv[n++] = "-error_file";
	argv[n++] = p->errlog;
	if (tcp) {
		argv[n++] = "-t";
		argv[n++] = "t1";
	}
	if (remote)
		argv[n++] = remote;
	argv[n] = NULL;

	int pt = (int)*port;
	p->pid = itest_sipp_start(argv, tmpdir, p->out, tcp, &pt);
	CU_ASSERT_TRUE(p->pid > 0);
	if (p->pid <= 0)
		return -1;
	p->port = (unsigned)pt;
	*port = p->port;
	return 0;
}

/* The harness (tests/itest.c): sipp whose port another process holds exits
 * at start-up; itest_sipp_start sees that sipp itself does not own the port
 * and starts it again (here on the same port, released meanwhile). */
static void *release_later(void *arg)
{
	usleep(400000);
	close(*(int *)arg);
	return NULL;
}

static void test_harness_sipp_port_taken(void)
{
	unsigned port = free_port();
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);   /* not inherited by sipp */
	pthread_t th;
	struct sipp p;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	CU_ASSERT_TRUE(itest_pid_owns_port(getpid(), (int)port, 0));
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, release_later, &fd), 0);
	double t0 = itest_now();
	unsigned got = port;
	int r = sipp_start(&p, tu_src("tests/sipp/uas_noanswer.xml"), &got, 0, NULL, 1);
	double took = itest_now() - t0;
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL_FATAL(r, 0);
	CU_ASSERT_EQUAL(got, port);
	CU_ASSERT(took >= 0.4);   /* the first start, while the port was held, did not count */
	CU_ASSERT_TRUE(itest_pid_owns_port(p.pid, (int)port, 0));
	CU_ASSERT_FALSE(itest_pid_owns_port(getpid(), (int)port, 0));
	CU_ASSERT_FALSE(itest_pid_owns_port(p.pid, (int)port, 1));   /* UDP only: no TCP listener */
	itest_stop_pid(p.pid, SIGTERM, 5);
}

static void dump(const char *what, const char *path)
{
	char *t = tu_read_file(path, NULL);

	if (t) {
		fprintf(stderr, "---- %s (%s)\n%.4000s\n", what, path, t);
		free(t);
	}
}

/* Waits for sipp (running the root meanwhile); returns its exit status, or
 * -1 when it had to be killed. */
static int sipp_wait(struct sipp *p, long ms)
{
	su_time_t start = su_now();
	int rc = -1;

	for (;;) {
		if (itest_wait_pid(p->pid, 0, &rc) == 0)
			break;
		if (su_duration(su_now(), start) > ms) {
			itest_stop_pid(p->pid, SIGKILL, 5);
			rc = -1;
			break;
		}
		su_root_step(root, 10);
	}
	if (rc != 0) {
		fprintf(stderr, "sipp exit %d\n", rc);
		dump("sipp errors", p->errlog);
		dump("sipp output", p->out);
	}
	return rc;
}

/* Size in bytes of the index-th request sipp received, or -1. */
static long sipp_received(const struct sipp *p, int index, char *transport, size_t tlen)
{
	char *log = tu_read_file(p->msglog, NULL), *at;
	long size = -1;

	if (!log)
		return -1;
	for (at = log; (at = strstr(at, " message received [")); at++) {
		if (index-- == 0) {
			size = strtol(at + strlen(" message received ["), NULL, 10);
			if (transport) {
				const char *line = at;
				while (line > log && line[-1] != '\n')
					line--;
				snprintf(transport, tlen, "%.*s", (int)(at - line), line);
			}
			break;
		}
	}
	free(log);
	return size;
}

static struct sipb_message push(const char *ruri)
{
	struct sipb_message m = {
		.request_uri = ruri,
		.to = "sip:bob@biloxi.example",
		.app = "mms.ua",
		.content_type = "text/plain",
		.body = "hello push",
		.body_len = 10,
	};
	return m;
}

/* Checks the estimate in r against the bytes sipp got for request index. */
static void check_size(const struct res *r, const struct sipp *p, int index, const char *transport)
{
	char tr[64] = "";
	long got = sipp_received(p, index, tr, sizeof tr);

	CU_ASSERT(got > 0);
	CU_ASSERT(r->request_size >= (size_t)got);
	CU_ASSERT(r->request_size <= (size_t)got + EST_SLACK);
	if (transport)
		CU_ASSERT_STRING_EQUAL(tr, transport);
	if (r->request_size < (size_t)got || r->request_size > (size_t)got + EST_SLACK)
		fprintf(stderr, "estimate %zu, on the wire %ld\n", r->request_size, got);
}

/* ------------------------------------------------------------ tests */

static void test_new_args(void)
{
	struct sipb_config cfg = {
		.bind_url = "sip:127.0.0.1:0", .from_uri = "sip:ppg@operator.example",
		.trusted = on_trusted,
	};
	struct sipb_config nobind = cfg, notrust = cfg, badaddr = cfg;
	char err[256];

	nobind.bind_url = NULL;
	notrust.trusted = NULL;
	err[0] = '\0';
	CU_ASSERT_PTR_NULL(sipb_new(root, &nobind, on_register, on_result, NULL, err, sizeof err));
	CU_ASSERT(err[0] != '\0');
	CU_ASSERT_PTR_NULL(sipb_new(root, &notrust, on_register, on_result, NULL, err, sizeof err));
	CU_ASSERT_PTR_NULL(sipb_new(root, &cfg, NULL, on_result, NULL, err, sizeof err));
	CU_ASSERT_PTR_NULL(sipb_new(NULL, &cfg, on_register, on_result, NULL, err, sizeof err));

	/*
	 * An address that is not ours: nua_create() fails, and sofia-sip
	 * 1.12.11 leaks the soa session nua_stack_init() made (see
	 * tests/lsan.supp). Checked in a child that leaves with _exit(), which
	 * skips LeakSanitizer's check at exit, on a root of its own.
	 */
	pid_t pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		su_root_t *r = su_root_create(NULL);
		struct sipb *x;

		su_root_threading(r, 0);
		badaddr.bind_url = "sip:192.0.2.1:5060"; /* TEST-NET-1: not ours */
		err[0] = '\0';
		x = sipb_new(r, &badaddr, on_register, on_result, NULL, err, sizeof err);
		_exit(!x && strstr(err, "192.0.2.1") ? 0 : 1);
	}
	int st;
	CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	sipb_free(NULL);
	CU_ASSERT_EQUAL(sipb_local_port(NULL), 0);
	CU_ASSERT_EQUAL(sipb_inflight(NULL), 0);

	/* two agents on port 0 get different ports */
	struct sipb *a = agent(NULL), *b = agent(NULL);
	if (a && b)
		CU_ASSERT_NOT_EQUAL(sipb_local_port(a), sipb_local_port(b));
	sipb_free(a);
	sipb_free(b);
}

static void test_send_invalid(void)
{
	struct sipb *s = agent(NULL);
	struct sipb_message m = push("sip:bob@127.0.0.1:9");

	if (!s)
		return;
	reset();
	CU_ASSERT_EQUAL(sipb_send_message(NULL, &m), -EINVAL);
	CU_ASSERT_EQUAL(sipb_send_message(s, NULL), -EINVAL);
	m.app = "mms\"ua";            /* would break the quoted feature tag */
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), -EINVAL);
	m.app = "mms ua";
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), -EINVAL);
	m.app = "";
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), -EINVAL);
	m = push("not a uri");
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), -EINVAL);
	m = push("sip:bob@127.0.0.1:9");
	m.content_type = "text/plain\r\nX-Injected: 1";
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), -EINVAL);
	m = push("sip:bob@127.0.0.1:9");
	m.to = "<<<";
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), -EINVAL);
	m = push("sip:bob@127.0.0.1:9");
	m.route = "http://example.com/";
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), -EINVAL);
	m = push("sip:bob@127.0.0.1:9");
	m.body = NULL;
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), -EINVAL);
	m = push("sip:bob@127.0.0.1:9");
	m.body_len = 2000;            /* 2000 bytes of "hello push" would overread */
	m.body = calloc(1, 2000);
	m.external_url = "http://x/\"";
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), -EINVAL);
	free((void *)m.body);
	CU_ASSERT_EQUAL(sipb_inflight(s), 0);
	run(NULL, 0, 100);
	CU_ASSERT_EQUAL(nresults, 0);
	sipb_free(s);
	CU_ASSERT_EQUAL(nresults, 0);
}

/* Each answer of OMA-TS-SIP_Push Appendix D comes back as sent by the receiver. */
static void test_message_statuses(void)
{
	static const struct {
		int status;
		const char *phrase;
		const char *header;
		int retry_after;
	} cases[] = {
		{ 200, "OK", "Subject: none", -1 },
		{ 202, "Accepted", "Subject: none", -1 },
		{ 400, "Bad Request", "Subject: none", -1 },
		{ 403, "Forbidden", "Subject: none", -1 },
		{ 408, "Request Timeout", "Subject: none", -1 },
		{ 415, "Unsupported Media Type", "Subject: none", -1 },
		{ 480, "Temporarily Unavailable", "Subject: none", -1 },
		{ 500, "Server Internal Error", "Subject: none", -1 },
		{ 503, "Service Unavailable", "Retry-After: 120", 120 },
		{ 603, "Decline", "Subject: none", -1 },
		{ 604, "Does Not Exist Anywhere", "Subject: none", -1 },
	};
	struct sipb *s = agent(NULL);

	if (!s)
		return;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char code[8], ruri[64];
		struct sipp p;
		struct sipb_message m;

		reset();
		snprintf(code, sizeof code, "%d", cases[i].status);
		const char *scen = scenario("tests/sipp/uas_message.xml",
		    "@RURI@", "sip:bob@127\\.0\\.0\\.1:[0-9]+", "@STATUS@", code,
		    "@PHRASE@", cases[i].phrase, "@HEADER@", cases[i].header, NULL);
		unsigned port = 0;   /* sipp_start picks it */
		CU_ASSERT_EQUAL_FATAL(sipp_start(&p, scen, &port, 0, NULL, 1), 0);
		snprintf(ruri, sizeof ruri, "sip:bob@127.0.0.1:%u", port);
		m = push(ruri);
		m.tag = 1000 + (uint64_t)i;
		CU_ASSERT_EQUAL(sipb_send_message(s, &m), 0);
		CU_ASSERT_EQUAL(sipb_inflight(s), 1);
		run(&nresults, 1, 5000);
		CU_ASSERT_EQUAL(nresults, 1);
		CU_ASSERT_EQUAL(results[0].status, cases[i].status);
		CU_ASSERT_STRING_EQUAL(results[0].phrase, cases[i].phrase);
		CU_ASSERT_EQUAL(results[0].local, 0);
		CU_ASSERT_EQUAL(results[0].retry_after, cases[i].retry_after);
		CU_ASSERT_EQUAL(results[0].indirect, 0);
		CU_ASSERT_EQUAL(results[0].tag, 1000 + (uint64_t)i);
		CU_ASSERT_EQUAL(sipb_inflight(s), 0);
		CU_ASSERT_EQUAL(sipp_wait(&p, 5000), 0);
		check_size(&results[0], &p, 0, "UDP");
		if (results[0].status != cases[i].status)
			fprintf(stderr, "case %d: got %d %s\n", cases[i].status, results[0].status,
			    results[0].phrase);
	}
	/* one result per MESSAGE: nothing more arrives later */
	run(NULL, 0, 200);
	CU_ASSERT_EQUAL(nresults, 1);
	sipb_free(s);
}

/* No answer at all: the agent ends the push itself with 408 (timer F). */
static void test_message_no_answer(void)
{
	struct sipb *s = agent(NULL);
	struct sipp p;
	char ruri[64];

	if (!s)
		return;
	reset();
	unsigned port = 0;   /* sipp_start picks it */
	CU_ASSERT_EQUAL_FATAL(sipp_start(&p, tu_src("tests/sipp/uas_noanswer.xml"), &port, 0, NULL, 1), 0);
	snprintf(ruri, sizeof ruri, "sip:bob@127.0.0.1:%u", port);
	struct sipb_message m = push(ruri);
	su_time_t start = su_now();
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), 0);
	run(&nresults, 1, 6000);
	long took = su_duration(su_now(), start);
	CU_ASSERT_EQUAL(nresults, 1);
	CU_ASSERT_EQUAL(results[0].status, 408);
	CU_ASSERT_EQUAL(results[0].local, 1);
	CU_ASSERT_EQUAL(results[0].retry_after, -1);
	CU_ASSERT(took >= 1800 && took < 4000);
	CU_ASSERT_EQUAL(sipb_inflight(s), 0);
	CU_ASSERT_EQUAL(sipp_wait(&p, 6000), 0);
	/* UDP: the request and at least one retransmission reached sipp */
	CU_ASSERT(sipp_received(&p, 1, NULL, 0) > 0);
	sipb_free(s);
}

/* Over TCP, routed through a Route <...;transport=tcp;lr> to the receiver. */
static void test_message_tcp_route(void)
{
	struct sipb *s = agent(NULL);
	struct sipp p;
	char route[64];

	if (!s)
		return;
	reset();
	unsigned port = 0;   /* sipp_start picks it */
	const char *scen = scenario("tests/sipp/uas_message.xml",
	    "@RURI@", "sip:bob@biloxi\\.example", "@STATUS@", "200", "@PHRASE@", "OK",
	    "@HEADER@", "Subject: none", NULL);
	CU_ASSERT_EQUAL_FATAL(sipp_start(&p, scen, &port, 1, NULL, 1), 0);
	snprintf(route, sizeof route, "sip:127.0.0.1:%u;transport=tcp", port);
	struct sipb_message m = push("sip:bob@biloxi.example");
	m.route = route;
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), 0);
	run(&nresults, 1, 5000);
	CU_ASSERT_EQUAL(nresults, 1);
	CU_ASSERT_EQUAL(results[0].status, 200);
	CU_ASSERT_EQUAL(results[0].local, 0);
	CU_ASSERT_EQUAL(sipp_wait(&p, 5000), 0);
	check_size(&results[0], &p, 0, "TCP");

	char *log = tu_read_file(p.msglog, NULL);
	CU_ASSERT_PTR_NOT_NULL(log);
	if (log) {
		char want[96];
		snprintf(want, sizeof want, "\nRoute: <sip:127.0.0.1:%u;transport=tcp;lr>\r\n", port);
		CU_ASSERT_PTR_NOT_NULL(strstr(log, want));
		CU_ASSERT_PTR_NOT_NULL(strstr(log, "\nVia: SIP/2.0/TCP 127.0.0.1:"));
		free(log);
	}
	sipb_free(s);
}

/* Everything through the outbound proxy (the SIP/IP core): the
 * Request-URI stays the public identity. */
static void test_message_outbound_proxy(void)
{
	struct sipp p;
	char proxy[64];

	reset();
	/* the proxy first: the agent is made with its port */
	unsigned port = 0;
	const char *scen = scenario("tests/sipp/uas_message.xml",
	    "@RURI@", "sip:bob@biloxi\\.example", "@STATUS@", "202", "@PHRASE@", "Accepted",
	    "@HEADER@", "Subject: none", NULL);
	CU_ASSERT_EQUAL_FATAL(sipp_start(&p, scen, &port, 0, NULL, 1), 0);
	snprintf(proxy, sizeof proxy, "sip:127.0.0.1:%u", port);
	struct sipb *s = agent(proxy);
	if (!s) {
		itest_stop_pid(p.pid, SIGKILL, 5);
		return;
	}
	struct sipb_message m = push("sip:bob@biloxi.example");
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), 0);
	run(&nresults, 1, 5000);
	CU_ASSERT_EQUAL(nresults, 1);
	CU_ASSERT_EQUAL(results[0].status, 202);
	CU_ASSERT_EQUAL(sipp_wait(&p, 5000), 0);
	check_size(&results[0], &p, 0, "UDP");
	sipb_free(s);
}

/* 2000 bytes of content with an external URL go by reference. */
static void test_indirection_large(void)
{
	struct sipb *s = agent(NULL);
	struct sipp p;
	char ruri[64];
	char *body = malloc(2000);

	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	memset(body, 'x', 2000);
	if (!s) {
		free(body);
		return;
	}
	reset();
	unsigned port = 0;   /* sipp_start picks it */
	CU_ASSERT_EQUAL_FATAL(sipp_start(&p, tu_src("tests/sipp/uas_indirect.xml"), &port, 0, NULL, 1), 0);
	snprintf(ruri, sizeof ruri, "sip:bob@127.0.0.1:%u", port);
	struct sipb_message m = push(ruri);
	m.content_type = "application/vnd.wap.mms-message";
	m.body = body;
	m.body_len = 2000;
	m.external_url = EXT_URL;
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), 0);
	free(body);                   /* the agent keeps no pointer into it */
	run(&nresults, 1, 5000);
	CU_ASSERT_EQUAL(nresults, 1);
	CU_ASSERT_EQUAL(results[0].status, 200);
	CU_ASSERT_EQUAL(results[0].indirect, 1);
	CU_ASSERT(results[0].request_size <= THRESHOLD);
	CU_ASSERT_EQUAL(sipp_wait(&p, 5000), 0);
	check_size(&results[0], &p, 0, "UDP");
	sipb_free(s);
}

/*
 * sipb_measure sums the headers' encoded lengths without building a
 * message; sipb_measure_encode serializes a whole msg_t as nta does. Both
 * must give the same number for what the bearer sends: MESSAGEs with and
 * without Route and P-Asserted-Identity, Request-URIs with parameters and
 * IPv6 hosts, bodies of 0 to 1,500 bytes, display names with quotes, and a
 * push NOTIFY's headers. (The wire is checked against by check_size.)
 */
static void test_measure_agrees(void)
{
	static const char *ruris[] = {
		"sip:bob@127.0.0.1:5060",
		"sip:+15551234567@biloxi.example;user=phone;transport=tcp",
		"sips:bob@[::1]:5061;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
	};
	static const size_t lens[] = { 0, 10, 999, 1500 };
	static char body[1500];
	struct sipb *s = agent(NULL);
	su_home_t *home;
	unsigned cases = 0;

	if (!s)
		return;
	home = su_home_new(sizeof *home);
	CU_ASSERT_PTR_NOT_NULL_FATAL(home);
	memset(body, 'z', sizeof body);
	for (size_t i = 0; i < sizeof ruris / sizeof *ruris; i++) {
		for (size_t j = 0; j < sizeof lens / sizeof *lens; j++) {
			for (int variant = 0; variant < 2; variant++) {
				url_t *ruri = url_make(home, ruris[i]);
				sip_from_t *from = sip_from_make(home, variant ?
				    "\"Push \\\"Gateway\\\"\" <sip:ppg@operator.example>" : "sip:ppg@operator.example");
				sip_to_t *to = sip_to_make(home, "sip:bob@biloxi.example");
				sip_call_id_t *cid = sip_call_id_make(home, "0123456789abcdefghij-42@sipb");
				sip_accept_contact_t *ac = sip_accept_contact_make(home,
				    "*;+g.oma.pusheventapp=\"mms.ua\"");
				sip_p_asserted_identity_t *pai = sip_p_asserted_identity_make(home,
				    "<sip:ppg@operator.example>");
				sip_route_t *route = sipb_route(home, "sip:127.0.0.1:5070;transport=tcp");
				sip_content_type_t *ct = sip_content_type_make(home, "application/vnd.wap.mms-message");
				sip_payload_t *pl = sip_payload_create(home, body, lens[j]);

				CU_ASSERT_FATAL(ruri && from && to && cid && ac && pai && route && ct && pl);
				CU_ASSERT_EQUAL(sip_from_tag(home, from, "abcdef123456"), 0);
				tagi_t tags[] = {
					{ SIPTAG_FROM(from) },
					{ SIPTAG_TO(to) },
					{ SIPTAG_CALL_ID(cid) },
					{ SIPTAG_ACCEPT_CONTACT(ac) },
					{ TAG_IF(variant, SIPTAG_P_ASSERTED_IDENTITY(pai)) },
					{ TAG_IF(variant, SIPTAG_ROUTE(route)) },
					{ SIPTAG_CONTENT_TYPE(ct) },
					{ SIPTAG_PAYLOAD(pl) },
					{ TAG_END() },
				};
				url_string_t const *us = (url_string_t const *)ruri;
				size_t fast = sipb_measure(s, SIP_METHOD_MESSAGE, us, pl, tags);
				size_t full = sipb_measure_encode(s, SIP_METHOD_MESSAGE, us, pl, tags);

				CU_ASSERT(fast > lens[j]);
				CU_ASSERT_EQUAL(fast, full);
				if (fast != full)
					fprintf(stderr, "measure %s body %zu variant %d: %zu, encoded %zu\n",
					    ruris[i], lens[j], variant, fast, full);
				cases++;
			}
		}
	}
	{
		url_t *ruri = url_make(home, "sip:bob@127.0.0.1:5062;ob");
		sip_event_t *ev = sip_event_make(home,
		    "ua-profile;profile-type=oma-app;event-app-id=\"mms.ua\"");
		sip_subscription_state_t *ss = sip_subscription_state_make(home, "active;expires=3599");
		sip_content_type_t *ct = sip_content_type_make(home, "text/plain");
		sip_payload_t *pl = sip_payload_create(home, "hello push", 10);

		CU_ASSERT_FATAL(ruri && ev && ss && ct && pl);
		tagi_t tags[] = {
			{ SIPTAG_EVENT(ev) },
			{ SIPTAG_SUBSCRIPTION_STATE(ss) },
			{ SIPTAG_CONTENT_TYPE(ct) },
			{ SIPTAG_PAYLOAD(pl) },
			{ TAG_END() },
		};
		url_string_t const *us = (url_string_t const *)ruri;
		size_t fast = sipb_measure(s, SIP_METHOD_NOTIFY, us, pl, tags);

		CU_ASSERT(fast > 10);
		CU_ASSERT_EQUAL(fast, sipb_measure_encode(s, SIP_METHOD_NOTIFY, us, pl, tags));
		cases++;
	}
	CU_ASSERT_EQUAL(cases, 25);
	/* every one of them was summed, none left to the encoder */
	CU_ASSERT_EQUAL(s->measure_encoded, 0);
	{
		/* a header given as a string is: the same number again */
		tagi_t tags[] = {
			{ SIPTAG_CALL_ID_STR("0123456789abcdefghij-43@sipb") },
			{ TAG_END() },
		};
		url_string_t const *us = (url_string_t const *)url_make(home, "sip:bob@127.0.0.1");
		size_t fast = sipb_measure(s, SIP_METHOD_MESSAGE, us, NULL, tags);

		CU_ASSERT_EQUAL(s->measure_encoded, 1);
		CU_ASSERT(fast > 0);
		CU_ASSERT_EQUAL(fast, sipb_measure_encode(s, SIP_METHOD_MESSAGE, us, NULL, tags));
	}
	su_home_unref(home);
	sipb_free(s);
}

/* sipb_token: tokens of the length asked, of msg_random_token's alphabet,
 * all different over many refills of the agent's random pool. */
static void test_token(void)
{
	enum { N = 2000 };
	static char seen[N][21];
	struct sipb *s = agent(NULL);
	int bad = 0, dup = 0;

	if (!s)
		return;
	for (int i = 0; i < N; i++) {
		char *t = seen[i];
		int len = i % 2 ? 20 : 12;

		memset(t, 'X', sizeof seen[i]);
		sipb_token(s, t, len);
		if (strlen(t) != (size_t)len || strspn(t, "aBcDeFgHjKmNpQrStUvXyZ0123456789") != (size_t)len)
			bad++;
		for (int j = i % 2; j < i; j += 2)
			if (!strcmp(seen[j], t))
				dup++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(dup, 0);
	sipb_free(s);
}

/*
 * The decision is taken on the whole request: a probe gives the size of the
 * request with a 100-byte body, from which the body that makes the request
 * exactly 1300 bytes follows (the Content-Length keeps its 3 digits). That
 * one goes inline, one byte more goes by reference; without an URL a large
 * body goes inline (nta tries TCP, then falls back to UDP).
 */
static void test_indirection_boundary(void)
{
	struct sipb *s = agent(NULL);
	struct sipp p;
	char ruri[64];
	static char body[2000];

	if (!s)
		return;
	memset(body, 'y', sizeof body);
	reset();
	unsigned port = 0;   /* sipp_start picks it */
	CU_ASSERT_EQUAL_FATAL(sipp_start(&p, tu_src("tests/sipp/uas_any.xml"), &port, 0, NULL, 4), 0);
	snprintf(ruri, sizeof ruri, "sip:bob@127.0.0.1:%u", port);
	struct sipb_message m = push(ruri);
	m.content_type = "application/vnd.wap.mms-message";
	m.body = body;
	m.external_url = EXT_URL;

	m.body_len = 100;
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), 0);
	run(&nresults, 1, 5000);
	CU_ASSERT_EQUAL_FATAL(nresults, 1);
	CU_ASSERT_EQUAL(results[0].indirect, 0);
	CU_ASSERT(results[0].request_size < THRESHOLD);
	size_t exact = 100 + (THRESHOLD - results[0].request_size);
	CU_ASSERT_FATAL(exact >= 100 && exact < 1000);

	m.body_len = exact;
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), 0);
	run(&nresults, 2, 5000);
	CU_ASSERT_EQUAL_FATAL(nresults, 2);
	CU_ASSERT_EQUAL(results[1].status, 200);
	CU_ASSERT_EQUAL(results[1].indirect, 0);
	CU_ASSERT_EQUAL(results[1].request_size, THRESHOLD);

	m.body_len = exact + 1;
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), 0);
	run(&nresults, 3, 5000);
	CU_ASSERT_EQUAL_FATAL(nresults, 3);
	CU_ASSERT_EQUAL(results[2].status, 200);
	CU_ASSERT_EQUAL(results[2].indirect, 1);
	CU_ASSERT(results[2].request_size < THRESHOLD);

	m.body_len = 2000;
	m.external_url = NULL;
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), 0);
	run(&nresults, 4, 5000);
	CU_ASSERT_EQUAL_FATAL(nresults, 4);
	CU_ASSERT_EQUAL(results[3].status, 200);
	CU_ASSERT_EQUAL(results[3].indirect, 0);
	CU_ASSERT(results[3].request_size > 2000);

	CU_ASSERT_EQUAL(sipp_wait(&p, 5000), 0);
	for (int i = 0; i < 4; i++)
		check_size(&results[i], &p, i, "UDP");
	/* what arrived inline at exactly the threshold was the whole body */
	CU_ASSERT(sipp_received(&p, 1, NULL, 0) <= THRESHOLD);
	char *log = tu_read_file(p.msglog, NULL);
	if (log) {
		char want[64];
		snprintf(want, sizeof want, "\nContent-Length: %zu\r\n", exact);
		CU_ASSERT_PTR_NOT_NULL(strstr(log, want));
		CU_ASSERT_PTR_NOT_NULL(strstr(log, "\nContent-Length: 2000\r\n"));
		CU_ASSERT_PTR_NOT_NULL(strstr(log, ";size=" ));
		free(log);
	}
	/* the sizes checked against the wire above were summed (sipb_measure),
	 * not left to the encoder */
	CU_ASSERT_EQUAL(s->measure_encoded, 0);
	sipb_free(s);
}

static void test_register(void)
{
	struct sipb *s = agent(NULL);
	struct sipp p;
	char remote[32];

	if (!s)
		return;
	reset();
	unsigned port = 0;   /* sipp_start picks it */
	snprintf(remote, sizeof remote, "127.0.0.1:%u", sipb_local_port(s));
	CU_ASSERT_EQUAL_FATAL(sipp_start(&p, tu_src("tests/sipp/uac_register.xml"), &port, 0, remote, 1), 0);
	CU_ASSERT_EQUAL(sipp_wait(&p, 10000), 0);

	/* REGISTER 4 (a wildcard with Expires: 3600) never reaches the core */
	CU_ASSERT_EQUAL_FATAL(nregs, 3);
	CU_ASSERT_EQUAL(ntrust_calls, 4);
	CU_ASSERT_EQUAL(trust_port, port);

	struct reg_call *r = &regs[0];
	CU_ASSERT_EQUAL(r->from_port, port);
	CU_ASSERT_EQUAL_FATAL(r->n, 2);
	CU_ASSERT_STRING_EQUAL(r->b[0].aor, "sip:bob@biloxi.example");
	CU_ASSERT_STRING_EQUAL(r->b[0].contact, "sip:bob@127.0.0.1:5099");
	CU_ASSERT_EQUAL(r->b[0].napps, 2);
	CU_ASSERT_STRING_EQUAL(r->b[0].apps[0], "mms.ua");
	CU_ASSERT_STRING_EQUAL(r->b[0].apps[1], "x-wap-application:push.sia");
	CU_ASSERT_STRING_EQUAL(r->b[0].instance, "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
	CU_ASSERT_STRING_EQUAL(r->b[0].gruu, "(null)");
	CU_ASSERT_EQUAL(r->b[0].expires, 600);
	CU_ASSERT_EQUAL(r->b[0].wildcard, 0);
	CU_ASSERT_EQUAL(r->b[0].cseq, 1826);
	CU_ASSERT_EQUAL(r->b[0].sessions, 1);          /* methods="MESSAGE, INVITE" */
	CU_ASSERT_EQUAL(r->b[0].q, 750);               /* q=0.75, in thousandths */
	CU_ASSERT_PTR_NOT_NULL(strstr(r->b[0].call_id, "@127.0.0.1"));
	CU_ASSERT_STRING_EQUAL(r->b[1].aor, "sip:bob@biloxi.example");
	CU_ASSERT_STRING_EQUAL(r->b[1].contact, "sip:bob@127.0.0.1:5098;transport=tcp");
	/* " emn.ua , bad app,x\"y": trimmed; a blank or quote inside is no app id */
	CU_ASSERT_EQUAL(r->b[1].napps, 1);
	CU_ASSERT_STRING_EQUAL(r->b[1].apps[0], "emn.ua");
	CU_ASSERT_STRING_EQUAL(r->b[1].instance, "(null)");
	CU_ASSERT_STRING_EQUAL(r->b[1].gruu,
	    "sip:bob@biloxi.example;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
	CU_ASSERT_EQUAL(r->b[1].expires, 300);         /* from the Expires header */
	CU_ASSERT_EQUAL(r->b[1].sessions, 0);          /* no methods, no +sip.message */
	CU_ASSERT_EQUAL(r->b[1].q, -1);                /* no q */

	r = &regs[1];                                  /* de-REGISTER */
	CU_ASSERT_EQUAL_FATAL(r->n, 1);
	CU_ASSERT_STRING_EQUAL(r->b[0].contact, "sip:bob@127.0.0.1:5099");
	CU_ASSERT_EQUAL(r->b[0].expires, 0);
	CU_ASSERT_EQUAL(r->b[0].wildcard, 0);
	CU_ASSERT_EQUAL(r->b[0].napps, 1);
	CU_ASSERT_EQUAL(r->b[0].sessions, 1);          /* a bare +sip.message */
	CU_ASSERT_EQUAL(r->b[0].cseq, 1827);

	r = &regs[2];                                  /* Contact: * */
	CU_ASSERT_EQUAL_FATAL(r->n, 1);
	CU_ASSERT_STRING_EQUAL(r->b[0].aor, "tel:+15551230001");
	CU_ASSERT_STRING_EQUAL(r->b[0].contact, "*");
	CU_ASSERT_EQUAL(r->b[0].wildcard, 1);
	CU_ASSERT_EQUAL(r->b[0].expires, 0);
	CU_ASSERT_EQUAL(r->b[0].napps, 0);
	sipb_free(s);
}

/* The register callback answers later (the daemon: once the binding is
 * durable): the REGISTER stays open meanwhile, then gets the answer given,
 * with the granted contacts. */
static void test_register_later(void)
{
	struct sipb *s = agent(NULL);
	struct sipp p;
	char remote[32];

	if (!s)
		return;
	reset();
	answer_later = 1;
	npending = 0;
	unsigned port = 0;   /* sipp_start picks it */
	snprintf(remote, sizeof remote, "127.0.0.1:%u", sipb_local_port(s));
	CU_ASSERT_EQUAL_FATAL(sipp_start(&p, tu_src("tests/sipp/uac_register.xml"), &port, 0, remote, 1), 0);
	/* Each REGISTER waits 300 ms for its answer; sipp sends the next one
	 * only after the 200 of the last. */
	int answered = 0;
	for (int ms = 0; ms < 10000 && answered < 3; ms += 10) {
		su_root_step(root, 10);
		if (npending > answered) {
			CU_ASSERT_EQUAL(sipb_register_pending(s), 1);
			for (int w = 0; w < 300; w += 10)
				su_root_step(root, 10);
			CU_ASSERT_EQUAL(sipb_register_pending(s), 1);   /* still open */
			sipb_register_answer(s, later[answered++], 200);
			CU_ASSERT_EQUAL(sipb_register_pending(s), 0);
		}
	}
	CU_ASSERT_EQUAL(answered, 3);
	CU_ASSERT_EQUAL(sipp_wait(&p, 10000), 0);   /* every REGISTER got its 200 */
	answer_later = 0;
	sipb_free(s);
}

/* A REGISTER still open when the agent stops is answered 503, not dropped. */
static void test_register_later_free(void)
{
	struct sipb *s = agent(NULL);
	struct sipp p;
	char remote[32];

	if (!s)
		return;
	reset();
	answer_later = 1;
	npending = 0;
	unsigned port = 0;   /* sipp_start picks it */
	snprintf(remote, sizeof remote, "127.0.0.1:%u", sipb_local_port(s));
	CU_ASSERT_EQUAL_FATAL(sipp_start(&p, tu_src("tests/sipp/uac_register_503.xml"), &port, 0, remote, 1), 0);
	for (int ms = 0; ms < 10000 && !npending; ms += 10)
		su_root_step(root, 10);
	CU_ASSERT_EQUAL(npending, 1);
	CU_ASSERT_EQUAL(sipb_register_pending(s), 1);
	answer_later = 0;
	sipb_free(s);
	CU_ASSERT_EQUAL(sipp_wait(&p, 10000), 0);   /* sipp expected the 503 */
}

/* AoR keys (RFC 3261 §10.3 step 5, RFC 3966). */
static void test_aor(void)
{
	char out[256];
	CU_ASSERT_EQUAL(sipb_aor_normalize("SIP:Bob@Biloxi.EXAMPLE;user=phone", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "sip:Bob@biloxi.example");
	CU_ASSERT_EQUAL(sipb_aor_normalize("tel:+1-555-(123).0001;phone-context=x", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "tel:+15551230001");
	CU_ASSERT_EQUAL(sipb_aor_normalize("sips:example.com?subject=x", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "sips:example.com");
	CU_ASSERT_EQUAL(sipb_aor_normalize("tel:5551230001", out, sizeof out), -EINVAL);
	CU_ASSERT_EQUAL(sipb_aor_normalize("mailto:bob@example.com", out, sizeof out), -EINVAL);
	CU_ASSERT_EQUAL(sipb_aor_normalize("sip:", out, sizeof out), -EINVAL);
	CU_ASSERT_EQUAL(sipb_aor_normalize("sip:bob@example.com", out, 8), -EINVAL);
	/* GRUU keys (RFC 5627): the AoR, then the gr parameter alone */
	CU_ASSERT_EQUAL(sipb_gruu_normalize("sip:Bob@Example.COM;transport=tcp;gr=urn:uuid:F81D4FAE-7DEC"
	    ";lr", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "sip:Bob@example.com;gr=urn:uuid:f81d4fae-7dec");
	CU_ASSERT_EQUAL(sipb_gruu_normalize("sip:tgruu.7hs==jd7vnzga5w7fajsc7-ajd6fabz0f8g5@example.com;gr",
	    out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "sip:tgruu.7hs==jd7vnzga5w7fajsc7-ajd6fabz0f8g5@example.com;gr");
	CU_ASSERT_EQUAL(sipb_gruu_normalize("sip:bob@example.com;grx=1", out, sizeof out), -ENOENT);
	CU_ASSERT_EQUAL(sipb_gruu_normalize("sip:bob@example.com", out, sizeof out), -ENOENT);
	CU_ASSERT_EQUAL(sipb_gruu_normalize("tel:+15551230001;gr=x", out, sizeof out), -EINVAL);
	CU_ASSERT_EQUAL(sipb_gruu_normalize("sip:bob@example.com;gr=", out, sizeof out), -EINVAL);
	CU_ASSERT_EQUAL(sipb_gruu_normalize("sip:bob@example.com;gr=urn:uuid:1", out, 24), -EINVAL);
}

/* What a ua-profile SUBSCRIBE asks for, from its bytes (sipb_subscribe_parse,
 * the code the agent runs on what nua parsed). */
static int sub_parse(su_home_t *home, const char *event, const char *extra, struct sipb_subscription *i)
{
	char req[2048];
	snprintf(req, sizeof req,
	    "SUBSCRIBE sip:bob@biloxi.example SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-1\r\n"
	    "From: <sip:bob@biloxi.example>;tag=ft1\r\nTo: <sip:bob@biloxi.example>\r\n"
	    "Call-ID: c1@x\r\nCSeq: 1 SUBSCRIBE\r\nContact: <sip:bob@192.0.2.4:5060>\r\n"
	    "%s%s%s%sContent-Length: 0\r\n\r\n", event ? "Event: " : "", event ? event : "",
	    event ? "\r\n" : "", extra);
	return sipb_subscribe_parse(home, req, strlen(req), i);
}

static void test_subscribe_parse(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct sipb_subscription i;
	const char *pai = "P-Asserted-Identity: \"Bob\" <sip:bob@biloxi.example>\r\nExpires: 600\r\n"
	    "Accept: application/vnd.syncml.ds.notification\r\nAccept: application/vnd.wap.mms-message\r\n";

	/* seed 003 D.3: oma-app with its event-app-ids and the device profile's
	 * model link in one Event header */
	CU_ASSERT_EQUAL(sub_parse(home, "ua-profile;profile-type=oma-app;event-app-id=\"mms.ua, "
	    "x-oma-application:push.syncml ,bad id\";profile-type=device;vendor=\"v\";"
	    "model=\"http://uaprof.example.com/x.rdf\"", pai, &i), 0);
	CU_ASSERT_STRING_EQUAL(i.aor, "sip:bob@biloxi.example");
	CU_ASSERT_EQUAL_FATAL(i.napps, 2);   /* "bad id" is no event-app-id */
	CU_ASSERT_STRING_EQUAL(i.apps[0], "mms.ua");
	CU_ASSERT_STRING_EQUAL(i.apps[1], "x-oma-application:push.syncml");
	CU_ASSERT_STRING_EQUAL(i.model, "http://uaprof.example.com/x.rdf");
	CU_ASSERT_STRING_EQUAL(i.accept, "application/vnd.syncml.ds.notification, application/vnd.wap.mms-message");
	CU_ASSERT_STRING_EQUAL(i.call_id, "c1@x");
	CU_ASSERT_STRING_EQUAL(i.remote_tag, "ft1");
	CU_ASSERT_STRING_EQUAL(i.contact, "sip:bob@192.0.2.4:5060");
	CU_ASSERT_EQUAL(i.expires, 600);
	/* no event-app-id: enrolled with none (§9.2.2.1 step 5 is a MAY) */
	CU_ASSERT_EQUAL(sub_parse(home, "UA-Profile;Profile-Type=\"OMA-App\"", pai, &i), 0);
	CU_ASSERT_EQUAL(i.napps, 0);
	CU_ASSERT_PTR_NULL(i.model);
	/* refusals */
	CU_ASSERT_EQUAL(sub_parse(home, "presence", pai, &i), 489);
	CU_ASSERT_EQUAL(sub_parse(home, "ua-profile;profile-type=device", pai, &i), 489);
	CU_ASSERT_EQUAL(sub_parse(home, NULL, pai, &i), 489);
	CU_ASSERT_EQUAL(sub_parse(home, "ua-profile;profile-type=oma-app", "Expires: 600\r\n", &i), 403);
	CU_ASSERT_EQUAL(sub_parse(home, "ua-profile;profile-type=oma-app",
	    "P-Asserted-Identity: <mailto:bob@biloxi.example>\r\n", &i), 403);
	CU_ASSERT_EQUAL(sub_parse(home, "ua-profile;profile-type=oma-app",
	    "P-Asserted-Identity: <tel:+15551230001>\r\nExpires: 59\r\n", &i), 423);
	/* the default expiry, the cap, and an un-SUBSCRIBE */
	CU_ASSERT_EQUAL(sub_parse(home, "ua-profile;profile-type=oma-app",
	    "P-Asserted-Identity: <tel:+15551230001>\r\n", &i), 0);
	CU_ASSERT_EQUAL(i.expires, 3600);
	CU_ASSERT_STRING_EQUAL(i.aor, "tel:+15551230001");
	CU_ASSERT_EQUAL(sub_parse(home, "ua-profile;profile-type=oma-app",
	    "P-Asserted-Identity: <tel:+15551230001>\r\nExpires: 4294967295\r\n", &i), 0);
	CU_ASSERT_EQUAL(i.expires, 3600);
	CU_ASSERT_EQUAL(sub_parse(home, "ua-profile;profile-type=oma-app",
	    "P-Asserted-Identity: <tel:+15551230001>\r\nExpires: 0\r\n", &i), 0);
	CU_ASSERT_EQUAL(i.expires, 0);
	/* not a SUBSCRIBE */
	CU_ASSERT_EQUAL(sipb_subscribe_parse(home, "garbage", 7, &i), 400);
	su_home_deinit(home);
}

static void test_register_untrusted(void)
{
	struct sipb *s = agent(NULL);
	struct sipp p;
	char remote[32];

	if (!s)
		return;
	reset();
	trust = 0;
	unsigned port = 0;   /* sipp_start picks it */
	snprintf(remote, sizeof remote, "127.0.0.1:%u", sipb_local_port(s));
	CU_ASSERT_EQUAL_FATAL(sipp_start(&p, tu_src("tests/sipp/uac_register_403.xml"), &port, 0, remote, 1), 0);
	CU_ASSERT_EQUAL(sipp_wait(&p, 10000), 0);
	CU_ASSERT_EQUAL(ntrust_calls, 1);
	CU_ASSERT_EQUAL(trust_port, port);
	CU_ASSERT_EQUAL(nregs, 0);
	sipb_free(s);
}

static void test_other_methods(void)
{
	struct sipb *s = agent(NULL);
	struct sipp p;
	char remote[32];

	if (!s)
		return;
	reset();
	unsigned port = 0;   /* sipp_start picks it */
	snprintf(remote, sizeof remote, "127.0.0.1:%u", sipb_local_port(s));
	CU_ASSERT_EQUAL_FATAL(sipp_start(&p, tu_src("tests/sipp/uac_misc.xml"), &port, 0, remote, 1), 0);
	CU_ASSERT_EQUAL(sipp_wait(&p, 10000), 0);
	CU_ASSERT_EQUAL(nregs, 0);
	CU_ASSERT_EQUAL(nresults, 0);
	sipb_free(s);
}

/* Nobody listens (ICMP port unreachable, TCP refused): a local 503. */
static void test_message_unreachable(void)
{
	struct sipb *s = agent(NULL);
	char ruri[64], route[64];

	if (!s)
		return;
	reset();
	unsigned port = free_port();
	snprintf(ruri, sizeof ruri, "sip:bob@127.0.0.1:%u", port);
	snprintf(route, sizeof route, "sip:127.0.0.1:%u;transport=tcp", port);
	struct sipb_message m = push(ruri);
	m.tag = 1;
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), 0);
	m.route = route;
	m.tag = 2;
	CU_ASSERT_EQUAL(sipb_send_message(s, &m), 0);
	run(&nresults, 2, 5000);
	CU_ASSERT_EQUAL_FATAL(nresults, 2);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(results[i].status, 503);
		CU_ASSERT_EQUAL(results[i].local, 1);
		CU_ASSERT_EQUAL(results[i].retry_after, -1);
	}
	CU_ASSERT_NOT_EQUAL(results[0].tag, results[1].tag);
	CU_ASSERT_EQUAL(sipb_inflight(s), 0);
	sipb_free(s);
	CU_ASSERT_EQUAL(nresults, 2);
}

/* sipb_free ends every MESSAGE still in flight with exactly one local 503. */
static void test_free_inflight(void)
{
	struct sipb *s = agent(NULL);
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	char ruri[64];
	int seen[3] = { 0 };

	if (!s)
		return;
	reset();
	/* a receiver that takes the datagrams and never answers */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	CU_ASSERT_EQUAL_FATAL(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	snprintf(ruri, sizeof ruri, "sip:bob@127.0.0.1:%u", ntohs(a.sin_port));
	for (int i = 0; i < 3; i++) {
		struct sipb_message m = push(ruri);
		m.tag = 7 + (uint64_t)i;
		CU_ASSERT_EQUAL(sipb_send_message(s, &m), 0);
	}
	CU_ASSERT_EQUAL(sipb_inflight(s), 3);
	run(NULL, 0, 300);
	CU_ASSERT_EQUAL(nresults, 0);
	CU_ASSERT_EQUAL(sipb_inflight(s), 3);
	sipb_free(s);
	CU_ASSERT_EQUAL(nresults, 3);
	for (int i = 0; i < nresults; i++) {
		CU_ASSERT_EQUAL(results[i].status, 503);
		CU_ASSERT_EQUAL(results[i].local, 1);
		CU_ASSERT_EQUAL(results[i].retry_after, -1);
		if (results[i].tag >= 7 && results[i].tag < 10)
			seen[results[i].tag - 7]++;
	}
	CU_ASSERT(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
	run(NULL, 0, 100);
	CU_ASSERT_EQUAL(nresults, 3);
	close(fd);
}


/* Session mode's SDP (OMA-TS-SIP_Push §9.3.2.1 item 5; RFC 4975 §8): the
 * offer, and the MSRP path of answers (one endpoint, through a relay, IPv6,
 * refused, broken). */
static void test_sdp(void)
{
	char out[1024];
	struct sipb_sdp_offer o = { .host = "192.0.2.1", .port = 9, .session_id = "abc123",
		.content_type = "application/vnd.wap.mms-message", .size = 10240, .file_name = "push-7",
		.sess_id = 42 };
	int n = sipb_sdp_offer_write(out, sizeof out, &o);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "m=message 9 TCP/MSRP *\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "a=accept-types:application/vnd.wap.mms-message\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "a=path:msrp://192.0.2.1:9/abc123;tcp\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "a=sendonly\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "a=file-selector:name:\"push-7\" type:application/vnd.wap.mms-message size:10240\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "c=IN IP4 192.0.2.1\r\n"));
	o.file_name = NULL;
	o.host = "2001:db8::1";
	CU_ASSERT(sipb_sdp_offer_write(out, sizeof out, &o) > 0);
	CU_ASSERT_PTR_NULL(strstr(out, "file-selector"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "a=path:msrp://[2001:db8::1]:9/abc123;tcp"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "c=IN IP6 2001:db8::1"));
	CU_ASSERT_EQUAL(sipb_sdp_offer_write(out, 100, &o), -ENOSPC);
	o.content_type = "text/plain\r\nX: y";
	CU_ASSERT_EQUAL(sipb_sdp_offer_write(out, sizeof out, &o), -EINVAL);

	struct sipb_sdp_answer a;
	const char *one = "v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	    "m=message 7394 TCP/MSRP *\r\na=accept-types:*\r\na=path:msrp://127.0.0.1:7394/s1;tcp\r\n"
	    "a=recvonly\r\na=max-size:65536\r\n";
	CU_ASSERT_EQUAL(sipb_sdp_answer_parse(one, strlen(one), &a), 0);
	CU_ASSERT_STRING_EQUAL(a.path, "msrp://127.0.0.1:7394/s1;tcp");
	CU_ASSERT_STRING_EQUAL(a.host, "127.0.0.1");
	CU_ASSERT_EQUAL(a.port, 7394);
	CU_ASSERT_EQUAL(a.max_size, 65536);
	CU_ASSERT_EQUAL(a.tls, 0);
	/* RFC 4975 §8: through a relay, IPv6 endpoint; the audio line before is skipped */
	const char *relay = "v=0\r\no=b 1 1 IN IP6 2001:db8::2\r\ns=-\r\nc=IN IP6 2001:db8::2\r\nt=0 0\r\n"
	    "m=audio 0 RTP/AVP 0\r\nm=message 12763 TCP/MSRP *\r\na=accept-types:text/plain\r\n"
	    "a=path:msrp://relay.example.com/hjdhfha;tcp msrp://[2001:db8::2]:12763/kjhd37;tcp\r\n";
	CU_ASSERT_EQUAL(sipb_sdp_answer_parse(relay, strlen(relay), &a), 0);
	CU_ASSERT_STRING_EQUAL(a.host, "relay.example.com");
	CU_ASSERT_EQUAL(a.port, 2855);   /* no port: MSRP's */
	CU_ASSERT_STRING_EQUAL(a.path, "msrp://relay.example.com/hjdhfha;tcp msrp://[2001:db8::2]:12763/kjhd37;tcp");
	/* the MSRP stream refused (port 0) */
	const char *refused = "v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	    "m=message 0 TCP/MSRP *\r\n";
	CU_ASSERT_EQUAL(sipb_sdp_answer_parse(refused, strlen(refused), &a), -ENOENT);
	const char *nopath = "v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	    "m=message 7394 TCP/MSRP *\r\na=accept-types:*\r\n";
	CU_ASSERT_EQUAL(sipb_sdp_answer_parse(nopath, strlen(nopath), &a), -EINVAL);
	const char *badpath = "v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	    "m=message 7394 TCP/MSRP *\r\na=path:http://127.0.0.1:7394/s1\r\n";
	CU_ASSERT_EQUAL(sipb_sdp_answer_parse(badpath, strlen(badpath), &a), -EINVAL);
	CU_ASSERT_EQUAL(sipb_sdp_answer_parse("garbage", 7, &a), -EINVAL);
	CU_ASSERT_EQUAL(sipb_sdp_answer_parse(NULL, 0, &a), -EINVAL);

	/* msrps (RFC 4975 §8.1, §14): the offer's proto and scheme; a relay's
	 * Use-Path before this endpoint's URI (RFC 4976 §5.2) */
	o.content_type = "text/plain";
	o.host = "192.0.2.1";
	o.tls = 1;
	o.relay_path = "msrps://relay.example:2855/r7;tcp";
	CU_ASSERT(sipb_sdp_offer_write(out, sizeof out, &o) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "m=message 9 TCP/TLS/MSRP *\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "a=path:msrps://relay.example:2855/r7;tcp msrps://192.0.2.1:9/abc123;tcp\r\n"));
	o.relay_path = "x\r\na=evil";
	CU_ASSERT_EQUAL(sipb_sdp_offer_write(out, sizeof out, &o), -EINVAL);
	const char *tlsans = "v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	    "a=fingerprint:sha-256 AB:CD\r\n"
	    "m=message 7394 TCP/TLS/MSRP *\r\na=path:msrps://127.0.0.1:7394/s1;tcp\r\n";
	CU_ASSERT_EQUAL(sipb_sdp_answer_parse(tlsans, strlen(tlsans), &a), 0);
	CU_ASSERT_EQUAL(a.tls, 1);
	CU_ASSERT_STRING_EQUAL(a.fingerprint, "sha-256 AB:CD");   /* session level */
	/* an msrps path on a TCP/MSRP line, and an msrp path on TCP/TLS/MSRP */
	const char *mixed1 = "v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	    "m=message 7394 TCP/MSRP *\r\na=path:msrps://127.0.0.1:7394/s1;tcp\r\n";
	CU_ASSERT_EQUAL(sipb_sdp_answer_parse(mixed1, strlen(mixed1), &a), -EINVAL);
	const char *mixed2 = "v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	    "m=message 7394 TCP/TLS/MSRP *\r\na=path:msrp://127.0.0.1:7394/s1;tcp\r\n";
	CU_ASSERT_EQUAL(sipb_sdp_answer_parse(mixed2, strlen(mixed2), &a), -EINVAL);

	/* RFC 2617 §3.5's example values (its HA1 939e7578... holds), with
	 * method AUTH and an MSRP URI: the response as Python's hashlib computes
	 * it for these inputs */
	char resp[33];
	CU_ASSERT_EQUAL(sipb_mrelay_digest("Mufasa", "testrealm@host.com", "Circle Of Life",
	    "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", "msrps://relay.example:2855;tcp",
	    resp), 0);
	CU_ASSERT_STRING_EQUAL(resp, "dbedda7693adcd66e407d58ad1f85fd5");

	char host[64];
	unsigned port;
	int tls;
	const char *u = "msrps://bob@[::1]:99/x;tcp;foo";
	CU_ASSERT_EQUAL(sipb_msrp_uri_parse(u, strlen(u), host, sizeof host, &port, &tls), 0);
	CU_ASSERT_STRING_EQUAL(host, "::1");
	CU_ASSERT_EQUAL(port, 99);
	CU_ASSERT_EQUAL(tls, 1);
	u = "msrp://h:0/x;tcp";
	CU_ASSERT_EQUAL(sipb_msrp_uri_parse(u, strlen(u), host, sizeof host, &port, &tls), -EINVAL);
	u = "msrp://h:70000/x;tcp";
	CU_ASSERT_EQUAL(sipb_msrp_uri_parse(u, strlen(u), host, sizeof host, &port, &tls), -EINVAL);
	u = "msrp://h:1/x";
	CU_ASSERT_EQUAL(sipb_msrp_uri_parse(u, strlen(u), host, sizeof host, &port, &tls), -EINVAL);
	u = "msrp://h:1/x;udp";
	CU_ASSERT_EQUAL(sipb_msrp_uri_parse(u, strlen(u), host, sizeof host, &port, &tls), -EINVAL);
}

int main(void)
{
	if (access(SIPP, X_OK) != 0) {
		fprintf(stderr, "test_sipb: %s not found, skipped\n", SIPP);
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	su_init();
	root = su_root_create(NULL);
	if (!root)
		return 1;
	su_root_threading(root, 0);
	tmpdir = tu_tmpdir("sipb");
	if (!tmpdir)
		return 1;

	CU_initialize_registry();
	CU_pSuite su = CU_add_suite("sipb", NULL, NULL);
	CU_add_test(su, "new/free arguments", test_new_args);
	CU_add_test(su, "AoR keys", test_aor);
	CU_add_test(su, "session mode SDP: offer, answer a=path, MSRP URIs", test_sdp);
	CU_add_test(su, "REGISTER answered later (saved event)", test_register_later);
	CU_add_test(su, "REGISTER still open at free: 503", test_register_later_free);
	CU_add_test(su, "send: invalid messages", test_send_invalid);
	CU_add_test(su, "MESSAGE: statuses of Appendix D", test_message_statuses);
	CU_add_test(su, "MESSAGE: no answer, local 408", test_message_no_answer);
	CU_add_test(su, "MESSAGE: TCP via Route", test_message_tcp_route);
	CU_add_test(su, "MESSAGE: unreachable, local 503", test_message_unreachable);
	CU_add_test(su, "MESSAGE: outbound proxy", test_message_outbound_proxy);
	CU_add_test(su, "indirection: 2000 bytes by reference", test_indirection_large);
	CU_add_test(su, "indirection: whole-request boundary", test_indirection_boundary);
	CU_add_test(su, "measure: summed headers equal the encoded message", test_measure_agrees);
	CU_add_test(su, "tokens from the agent's random pool", test_token);
	CU_add_test(su, "REGISTER: third-party bindings", test_register);
	CU_add_test(su, "REGISTER: untrusted source 403", test_register_untrusted);
	CU_add_test(su, "other methods", test_other_methods);
	CU_add_test(su, "SUBSCRIBE ua-profile: what it asks for, refusals", test_subscribe_parse);
	CU_add_test(su, "free with MESSAGEs in flight", test_free_inflight);
	CU_add_test(su, "harness: sipp on a port held by another process is started again", test_harness_sipp_port_taken);
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
