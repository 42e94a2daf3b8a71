/*
 * test_sip_e2e.c - SIP Push end to end (issue 3 item 9): the real ppgd,
 * driven through its PAP HTTP interface, delivering over real SIP on
 * 127.0.0.1 to real peers the tests start themselves:
 *   - sipp (Debian sip-tester) as the terminal (Push Receiver Agent) that
 *     answers each code of the SIP -> PAP table of the README, and as the
 *     SIP/IP core's third-party REGISTER sender;
 *   - kamailio (Debian kamailio, tests/kamailio/ppgd-core.cfg) as the
 *     SIP/IP core: registrar of the terminal, sender of the third-party
 *     REGISTER (uac_req_send), proxy of ppgd's MESSAGEs;
 *   - a Push Initiator's result-notification listener (an HTTP server in
 *     this program) and the terminal's content fetch (libcurl).
 * Every outcome is asserted through statusquery (message-state and code)
 * and, where it shows, through what the peers received. Timers are
 * shortened through the config ([sip] transaction_timeout, retry_min/max,
 * max_attempts, fetch_timeout; [notify] retry_min/max), never mocked.
 *
 * Processes are started by PID and stopped by PID (tests/itest.c); every
 * port is a free port of 127.0.0.1 picked at run time. With ITEST_KEEP=1
 * the tmpdirs (configs, ppgd logs, sipp message logs) are kept.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "pap/pap.h"
#include "tests/itest.h"
#include "tests/itest_sip.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <sqlite3.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


#define BOUNDARY "e2e-5f1c2b77"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""
#define ALICE "alice", ITEST_ALICE_SECRET

#define PPG_FROM "sip:ppg@operator.example"
#define PPG_PAI "<sip:ppg@operator.example>"
#define APP_ID "x-wap-application:mms.ua"
#define ACCEPT_CONTACT "*;+g.oma.pusheventapp=\"mms.ua\""

/* ---------------------------------------------------- failure context */

static struct itest_daemon *ctx_d;     /* its log tail is printed on a failure */
static const char *ctx_files[4];       /* more logs to show (sipp, kamailio) */

static void dump_ctx(const char *file, unsigned line, const char *cond)
{
	fprintf(stderr, "\n%s:%u: FAILED: %s\n", file, line, cond);
	if (ctx_d)
		itest_daemon_print_log(ctx_d, 3000);
	for (size_t i = 0; i < sizeof ctx_files / sizeof ctx_files[0]; i++)
		if (ctx_files[i])
			itest_print_tail("peer log", ctx_files[i], 2500);
}

#define EXPECT_T_(ok, text, fatal) do { \
	int ok_ = (ok); \
	if (!ok_) \
		dump_ctx(__FILE__, __LINE__, text); \
	CU_assertImplementation(ok_ ? CU_TRUE : CU_FALSE, __LINE__, text, __FILE__, "", fatal); \
} while (0)
#define EXPECT(cond) EXPECT_T_((cond) ? 1 : 0, #cond, CU_FALSE)
#define EXPECT_FATAL(cond) EXPECT_T_((cond) ? 1 : 0, #cond, CU_TRUE)

/* Integer equality with both values printed on a failure. */
#define EXPECT_INT(actual, expected) do { \
	long a_ = (long)(actual), e_ = (long)(expected); \
	if (a_ != e_) \
		fprintf(stderr, "\n  %s = %ld, expected %ld\n", #actual, a_, e_); \
	EXPECT_T_(a_ == e_, #actual " == " #expected, CU_FALSE); \
} while (0)

/* String equality (s may be NULL) with both printed on a failure. */
#define EXPECT_STR(actual, expected) do { \
	const char *a_ = (actual), *e_ = (expected); \
	int eq_ = a_ && e_ && !strcmp(a_, e_); \
	if (!eq_) \
		fprintf(stderr, "\n  %s = \"%s\", expected \"%s\"\n", #actual, a_ ? a_ : "(null)", e_); \
	EXPECT_T_(eq_, #actual " is " #expected, CU_FALSE); \
} while (0)

#define NEED(dmn) do { \
	if ((dmn).pid <= 0) \
		fprintf(stderr, "\nppgd is not running for this suite (see the start-up error above)\n"); \
	CU_ASSERT_FATAL((dmn).pid > 0); \
	ctx_d = &(dmn); \
} while (0)

static double wall_now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static void sleep_s(double s)
{
	if (s > 0)
		usleep((useconds_t)(s * 1e6));
}

/* ============================================================ PAP side */

static char *aor_address(const char *user)
{
	return itest_asprintf("WAPPUSH=sip%%3A%s%%40example.com/TYPE=USER", user);
}

static void pap_time(time_t t, char buf[32])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A push-message in multipart/related: the PAP control entity and a content
 * entity of ctype with X-Wap-Application-Id mms.ua. *len gets the size. */
static char *push_body(const char *doctype, const char *push_id, const char *address,
    const char *attrs, const char *ctype, const void *content, size_t clen, size_t *len)
{
	char *head = itest_asprintf(
	    "--" BOUNDARY "\r\n"
	    "Content-Type: application/xml; charset=UTF-8\r\n"
	    "\r\n"
	    "<?xml version=\"1.0\"?>\n%s\n<pap>\n"
	    "<push-message push-id=\"%s\"%s%s>\n"
	    "  <address address-value=\"%s\"/>\n"
	    "</push-message>\n</pap>\r\n"
	    "--" BOUNDARY "\r\n"
	    "Content-Type: %s\r\n"
	    "X-Wap-Application-Id: " APP_ID "\r\n"
	    "\r\n",
	    doctype, push_id, attrs && *attrs ? " " : "", attrs ? attrs : "", address, ctype);
	const char *tail = "\r\n--" BOUNDARY "--\r\n";
	size_t hl = strlen(head), tl = strlen(tail);
	char *b = malloc(hl + clen + tl + 1);
	memcpy(b, head, hl);
	memcpy(b + hl, content, clen);
	memcpy(b + hl + clen, tail, tl + 1);
	*len = hl + clen + tl;
	free(head);
	return b;
}

static int msg_code(const struct pap_msg *m)
{
	if (!m)
		return -1;
	return m->nresults > 0 ? m->results[0].code : m->code;
}

/* Pushes content to sip:USER@example.com; returns the push-response code. */
static int push_to(struct itest_daemon *d, const char *doctype, const char *push_id, const char *user,
    const char *attrs, const char *ctype, const void *content, size_t clen)
{
	char *addr = aor_address(user);
	size_t len;
	char *body = push_body(doctype, push_id, addr, attrs, ctype, content, clen, &len);
	struct pap_msg *m = itest_pap_post(d, ALICE, MULTIPART_CT, body, len);
	int code = msg_code(m);
	if (m && m->type != PAP_MSG_PUSH_RESPONSE)
		code = -2;
	if (code != 1001)
		fprintf(stderr, "push %s to %s: code %d (%s)\n", push_id, addr, code, m && m->nresults &&
		    m->results[0].desc ? m->results[0].desc : "");
	pap_msg_free(m);
	free(body);
	free(addr);
	return code;
}

static int push_text(struct itest_daemon *d, const char *push_id, const char *user, const char *attrs,
    const char *text)
{
	return push_to(d, DOCTYPE_21, push_id, user, attrs, "text/plain", text, strlen(text));
}

struct sq {
	enum pap_state state;
	int code;
	char desc[512];
	char address[256];
};

/* statusquery of push_id: its first statusquery-result. 0, or -1. */
static int statusquery(struct itest_daemon *d, const char *push_id, struct sq *out)
{
	char *doc = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>"
	    "<statusquery-message push-id=\"%s\"/></pap>", push_id);
	struct pap_msg *m = itest_pap_post(d, ALICE, "application/xml", doc, strlen(doc));
	free(doc);
	memset(out, 0, sizeof *out);
	out->code = -1;
	if (!m || m->type != PAP_MSG_STATUSQUERY_RESPONSE || m->nresults < 1) {
		if (m && m->type == PAP_MSG_BADMESSAGE_RESPONSE)
			out->code = m->code;
		else if (m && m->nresults >= 1)
			out->code = m->results[0].code;
		pap_msg_free(m);
		return -1;
	}
	out->state = m->results[0].state;
	out->code = m->results[0].code;
	snprintf(out->desc, sizeof out->desc, "%s", m->results[0].desc ? m->results[0].desc : "");
	if (m->results[0].naddrs)
		snprintf(out->address, sizeof out->address, "%s", m->results[0].addrs[0]);
	pap_msg_free(m);
	return 0;
}

/* Polls statusquery until the push's state is final or timeout_s passed.
 * Returns 0 when final (out holds it), -1 otherwise (out holds the last). */
static int wait_final(struct itest_daemon *d, const char *push_id, double timeout_s, struct sq *out)
{
	double end = itest_now() + timeout_s;
	for (;;) {
		if (statusquery(d, push_id, out) == 0 && out->state != PAP_STATE_PENDING)
			return 0;
		if (itest_now() > end) {
			fprintf(stderr, "push %s: not final after %.1f s: %s %d \"%s\"\n", push_id, timeout_s,
			    pap_state_str(out->state), out->code, out->desc);
			return -1;
		}
		sleep_s(0.1);
	}
}

static void report_sq(const char *what, const struct sq *q)
{
	fprintf(stderr, "  %s: %s %d \"%s\"\n", what, pap_state_str(q->state), q->code, q->desc);
}

/* ============================================================ SIP side */

/* sipp's message logs: itest_sip_log_load and the SIP helpers of itest_sip.h. */

/* ---------------------------------------------------------- terminals */

/* A sipp UAS playing the terminal at sip:USER@127.0.0.1:PORT. */
struct term {
	char user[48];
	int port;
	pid_t pid;
	char *scen;         /* scenario file it runs */
	char *msglog;       /* -message_file */
	char *out;          /* stdout/stderr of sipp */
	int exit_code;      /* after term_wait/term_stop; -1 before */
};

/*
 * Starts sipp with scenario scen as the terminal of user on a free port,
 * for `calls` calls (-m), bounded by a global timeout; waits until it
 * listens (itest_sipp_start: another port when the first was taken).
 * Returns 0 or -1.
 */
static int term_start(struct term *t, const char *dir, const char *user, const char *scen, int calls)
{
	static int seq;
	char m[16], tmo[16];

	memset(t, 0, sizeof *t);
	t->exit_code = -1;
	snprintf(t->user, sizeof t->user, "%s", user);
	t->scen = strdup(scen);
	seq++;
	t->msglog = itest_asprintf("%s/term_%s_%d.msg", dir, user, seq);
	t->out = itest_asprintf("%s/term_%s_%d.out", dir, user, seq);
	snprintf(m, sizeof m, "%d", calls);
	snprintf(tmo, sizeof tmo, "%ds", 120);
	const char *argv[] = { "sipp", "-sf", scen, "-m", m, "-i", "127.0.0.1", "-p", "@PORT@", "-nostdin",
		"-trace_msg", "-message_file", t->msglog, "-timeout", tmo, "-timeout_error", NULL };
	t->pid = itest_sipp_start(argv, dir, t->out, 0, &t->port);
	if (t->pid <= 0) {
		fprintf(stderr, "sipp (terminal %s) did not start\n", user);
		t->pid = 0;
		return -1;
	}
	return 0;
}

/* Waits for sipp to finish its calls; its exit code (0: every call passed). */
static int term_wait(struct term *t, double timeout_s)
{
	if (t->pid > 0) {
		if (itest_wait_pid(t->pid, timeout_s, &t->exit_code) == 0)
			t->pid = 0;
		else
			fprintf(stderr, "sipp (terminal %s) still runs after %.1f s\n", t->user, timeout_s);
	}
	return t->pid > 0 ? -1 : t->exit_code;
}

/* Stops a terminal that may still wait for calls (SIGTERM, sipp quits). */
static void term_stop(struct term *t)
{
	if (t->pid > 0) {
		t->exit_code = itest_stop_pid(t->pid, SIGTERM, 5);
		t->pid = 0;
	}
}

static void term_free(struct term *t)
{
	term_stop(t);
	free(t->scen);
	free(t->msglog);
	free(t->out);
	memset(t, 0, sizeof *t);
}

/* ------------------------------------------------------ REGISTER (sipp) */

/* itest_sip_register_scen with tests/sipp/e2e_register.xml. */
static int sip_register_many(const char *dir, const char *src_ip, int dst_port, const char *const *users,
    const int *cports, int expires, size_t n, int *status)
{
	return itest_sip_register_scen("tests/sipp/e2e_register.xml", dir, src_ip, dst_port, users, cports,
	    expires, n, status);
}

/*
 * Starts, in the background, sipp sending one third-party REGISTER
 * (tests/sipp/e2e_register.xml, from 127.0.0.1) for user with the contact
 * port cport to 127.0.0.1:dst_port; *log gets its message log (malloc'ed).
 * The PID, or -1.
 */
static pid_t sip_register_spawn(const char *dir, int dst_port, const char *user, int cport, int expires,
    char **log)
{
	static int seq;
	char name[64], dst[32];
	char *csv = itest_asprintf("SEQUENTIAL\n%s;%d;%d;\n", user, cport, expires);
	snprintf(name, sizeof name, "regbg_%d.csv", ++seq);
	char *csvpath = itest_write_file(dir, name, csv, strlen(csv));
	*log = itest_asprintf("%s/regbg_%d.msg", dir, seq);
	char *out = itest_asprintf("%s/regbg_%d.out", dir, seq);
	snprintf(dst, sizeof dst, "127.0.0.1:%d", dst_port);
	const char *argv[] = { "sipp", "-sf", tu_src("tests/sipp/e2e_register.xml"), "-inf", csvpath,
		"-m", "1", "-i", "127.0.0.1", "-nostdin", "-trace_msg", "-message_file", *log,
		"-timeout", "15s", "-recv_timeout", "10000", dst, NULL };
	pid_t pid = csvpath ? itest_spawn(argv, dir, out) : -1;
	free(out);
	free(csvpath);
	free(csv);
	return pid;
}

/* The first request of method sipp sent, or NULL. */
static const struct itest_sip_msg *sip_sent_request(const struct itest_sip_log *l, const char *method)
{
	size_t ml = strlen(method);
	for (size_t i = 0; i < l->n; i++)
		if (!l->v[i].in && !strncmp(l->v[i].text, method, ml) && l->v[i].text[ml] == ' ')
			return &l->v[i];
	return NULL;
}

/* The first final response (>= 200) sipp received, or NULL. */
static const struct itest_sip_msg *sip_final_response(const struct itest_sip_log *l)
{
	for (size_t i = 0; i < l->n; i++) {
		int st = 0;
		if (l->v[i].in && sscanf(l->v[i].text, "SIP/2.0 %d", &st) == 1 && st >= 200)
			return &l->v[i];
	}
	return NULL;
}

static int sip_status(const struct itest_sip_msg *m)
{
	int st = -1;
	if (!m || sscanf(m->text, "SIP/2.0 %d", &st) != 1)
		return -1;
	return st;
}

/* ------------------------------------------------------------ daemons */

/*
 * Writes the standard test config (tests/itest.c) plus a [sip] section
 * listening on a free port (sip_extra appended to it) and a [notify]
 * section (notify_extra), and starts ppgd. *sip_port gets the port.
 */
static void start_ppgd(struct itest_daemon *d, const char *tag, const char *sip_extra,
    const char *notify_extra, int *sip_port)
{
	if (itest_daemon_init(d, tag) != 0)
		return;
	*sip_port = itest_free_port_udp_tcp();
	char *sections = itest_asprintf(
	    "[sip]\n"
	    "enabled = yes\n"
	    "listen = sip:127.0.0.1:%d\n"
	    "from = " PPG_FROM "\n"
	    "p_asserted_identity = " PPG_PAI "\n"
	    "%s\n"
	    "[notify]\n"
	    "%s\n",
	    *sip_port, sip_extra ? sip_extra : "", notify_extra ? notify_extra : "");
	if (itest_std_config(d, NULL, sections) == 0)
		itest_daemon_start(d);
	free(sections);
}

/*
 * Checks one MESSAGE as the terminal of user got it straight from ppgd
 * (no outbound proxy): Request-URI retargeted to the registered contact
 * (RFC 3261 §10, §16.5) with no Route, To the AoR, From, the Push Resource
 * Identifier, P-Asserted-Identity, and the content (type and body) inline.
 */
static void check_message(const struct itest_sip_msg *m, const char *user, int cport, const char *ctype,
    const void *content, size_t clen)
{
	char *want_rl = itest_asprintf("MESSAGE sip:%s@127.0.0.1:%d SIP/2.0", user, cport);
	char *want_to = itest_asprintf("<sip:%s@example.com>", user);
	char *rl = itest_sip_first_line(m->text);
	char *route = itest_sip_hdr(m->text, "Route"), *to = itest_sip_hdr(m->text, "To"), *from = itest_sip_hdr(m->text, "From");
	char *ac = itest_sip_hdr(m->text, "Accept-Contact"), *pai = itest_sip_hdr(m->text, "P-Asserted-Identity");
	char *ct = itest_sip_hdr(m->text, "Content-Type"), *cl = itest_sip_hdr(m->text, "Content-Length");
	size_t blen;
	const char *body = itest_sip_body(m, &blen);

	EXPECT_STR(rl, want_rl);
	EXPECT(route == NULL);
	if (route)
		fprintf(stderr, "\n  unexpected Route: %s\n", route);
	EXPECT_STR(to, want_to);
	EXPECT(from && !strncmp(from, "<" PPG_FROM ">;tag=", strlen(PPG_FROM) + 7));
	EXPECT_STR(ac, ACCEPT_CONTACT);
	EXPECT_STR(pai, PPG_PAI);
	EXPECT_STR(ct, ctype);
	EXPECT_INT(cl ? atol(cl) : -1, (long)clen);
	EXPECT_INT(blen, clen);
	EXPECT(blen == clen && !memcmp(body, content, clen));
	free(want_rl);
	free(want_to);
	free(rl);
	free(route);
	free(to);
	free(from);
	free(ac);
	free(pai);
	free(ct);
	free(cl);
}

/* ============================================ Push Initiator listener */

/* One POST the listener got. */

/* ================================ suite: the SIP -> PAP outcome table */

/*
 * README "SIP final response → PAP result". Every case has
 * its own terminal (a sipp UAS on its own port answering one status), its
 * own binding (third-party REGISTER from sipp) and its own push; the cases
 * run side by side, then each test asserts one case.
 *
 * dtab: max_attempts 3, retries after 1 s then 2 s (retry_min 1,
 * retry_max 2), timer F 2 s. dabort: max_attempts 1, no_binding = fail.
 */
static struct itest_daemon dtab, dabort;
static int dtab_sip, dabort_sip;

#define TAB_SIP "transaction_timeout = 2\nretry_min = 1\nretry_max = 2\nmax_attempts = 3\n"
#define ABORT_SIP "transaction_timeout = 2\nretry_min = 1\nretry_max = 2\nmax_attempts = 1\n" \
	"no_binding = fail\n"

struct tcase {
	const char *name;
	int on_abort;               /* 1: runs on dabort (max_attempts 1) */
	int status;                 /* the terminal's answer; 0: none (timer F) */
	const char *phrase;
	const char *header;         /* one more header line of the answer */
	int calls;                  /* MESSAGEs expected (sipp -m) */
	int db_s;                   /* deliver-before this far ahead (0: none) */
	enum pap_state want_state;
	int want_code;
	double gap_min[2], gap_max[2];   /* bounds of the first two gaps between attempts */
};

/* What the run of a case found. */
struct trun {
	char user[32], push_id[48], content[160];
	struct term t;
	int reg, push, final;
	struct sq q;
	double t_push, t_final;
	struct itest_sip_log log;
};

/* Backoff of dtab: 1 s, then 2 s; a little slack above for the 100 ms
 * scheduler tick and a slow (ASan) build. */
#define BACKOFF { 1.0, 2.0 }, { 1.9, 2.9 }
#define NOGAP { 0, 0 }, { 0, 0 }

static struct tcase cases[] = {
	{ "200 -> delivered 1000", 0, 200, "OK", NULL, 1, 0, PAP_STATE_DELIVERED, 1000, NOGAP },
	{ "202 -> delivered 1000", 0, 202, "Accepted", NULL, 1, 0, PAP_STATE_DELIVERED, 1000, NOGAP },
	{ "400 -> retried, undeliverable 4000 after max_attempts", 0, 400, "Bad Request", NULL, 3, 0,
	  PAP_STATE_UNDELIVERABLE, 4000, BACKOFF },
	{ "403 -> undeliverable 2001 at once", 0, 403, "Forbidden", NULL, 1, 0,
	  PAP_STATE_UNDELIVERABLE, 2001, NOGAP },
	{ "404 -> retried, undeliverable 2003", 0, 404, "Not Found", NULL, 3, 0,
	  PAP_STATE_UNDELIVERABLE, 2003, BACKOFF },
	{ "408 from the terminal -> retried, timeout 4000", 0, 408, "Request Timeout", NULL, 3, 0,
	  PAP_STATE_TIMEOUT, 4000, BACKOFF },
	{ "no answer (local 408, timer F 2 s) -> retried, timeout 4000", 0, 0, NULL, NULL, 3, 0,
	  PAP_STATE_TIMEOUT, 4000, { 3.0, 4.0 }, { 3.9, 4.9 } },
	{ "no answer, deliver-before 4-5 s ahead -> expired 4000", 0, 0, NULL, NULL, 2, 5,
	  PAP_STATE_EXPIRED, 4000, { 3.0, 0 }, { 3.9, 0 } },
	{ "415 -> undeliverable 2005 at once", 0, 415, "Unsupported Media Type", NULL, 1, 0,
	  PAP_STATE_UNDELIVERABLE, 2005, NOGAP },
	{ "488 -> undeliverable 2005 at once", 0, 488, "Not Acceptable Here", NULL, 1, 0,
	  PAP_STATE_UNDELIVERABLE, 2005, NOGAP },
	{ "480 -> retried, undeliverable 2003", 0, 480, "Temporarily Unavailable", NULL, 3, 0,
	  PAP_STATE_UNDELIVERABLE, 2003, BACKOFF },
	{ "486 (any other) -> undeliverable 4000 at once", 0, 486, "Busy Here", NULL, 1, 0,
	  PAP_STATE_UNDELIVERABLE, 4000, NOGAP },
	{ "500 -> retried, undeliverable 4000", 0, 500, "Server Internal Error", NULL, 3, 0,
	  PAP_STATE_UNDELIVERABLE, 4000, BACKOFF },
	{ "503 -> retried with backoff, undeliverable 4001", 0, 503, "Service Unavailable", NULL, 3, 0,
	  PAP_STATE_UNDELIVERABLE, 4001, BACKOFF },
	{ "503 Retry-After: 3 -> retried no sooner than 3 s, undeliverable 4001", 0, 503,
	  "Service Unavailable", "Retry-After: 3", 3, 0, PAP_STATE_UNDELIVERABLE, 4001,
	  { 3.0, 3.0 }, { 3.9, 3.9 } },
	{ "503 Retry-After: 40, deliver-before 10 s ahead -> expired 4000 at once", 0, 503,
	  "Service Unavailable", "Retry-After: 40", 1, 10, PAP_STATE_EXPIRED, 4000, NOGAP },
	{ "603 -> retried, aborted 5000 after max_attempts", 0, 603, "Decline", NULL, 3, 0,
	  PAP_STATE_ABORTED, 5000, BACKOFF },
	{ "603 with max_attempts = 1 -> aborted 5000", 1, 603, "Decline", NULL, 1, 0,
	  PAP_STATE_ABORTED, 5000, NOGAP },
	{ "604 -> undeliverable 2003 at once", 0, 604, "Does Not Exist Anywhere", NULL, 1, 0,
	  PAP_STATE_UNDELIVERABLE, 2003, NOGAP },
};
#define NCASES (sizeof cases / sizeof cases[0])
static struct trun runs[NCASES];

static int table_ran;

static int init_table(void)
{
	start_ppgd(&dtab, "sip-tab", TAB_SIP, "retry_min = 1\nretry_max = 2\n", &dtab_sip);
	start_ppgd(&dabort, "sip-abort", ABORT_SIP, "retry_min = 1\nretry_max = 2\n", &dabort_sip);
	return 0;
}

static int clean_table(void)
{
	for (size_t i = 0; i < NCASES; i++) {
		term_free(&runs[i].t);
		itest_sip_log_free(&runs[i].log);
	}
	itest_daemon_destroy(&dtab, 0);
	itest_daemon_destroy(&dabort, 0);
	return 0;
}

/* Sets every case up, pushes, and waits for every final state. */
static void t_table_run(void)
{
	NEED(dtab);
	NEED(dabort);
	table_ran = 1;

	/* Terminals first: each answers its status on its own port. */
	const char *users_tab[NCASES], *users_abort[NCASES];
	int ports_tab[NCASES], ports_abort[NCASES], st[NCASES];
	size_t ntab = 0, nabort = 0;
	for (size_t i = 0; i < NCASES; i++) {
		struct tcase *c = &cases[i];
		struct trun *r = &runs[i];
		struct itest_daemon *d = c->on_abort ? &dabort : &dtab;
		snprintf(r->user, sizeof r->user, "t%zu-%d", i, c->status);
		snprintf(r->push_id, sizeof r->push_id, "tab-%zu-%d@e2e.example", i, c->status);
		snprintf(r->content, sizeof r->content, "push %zu to %.31s: SIP %d answers it", i, r->user, c->status);
		char *scen = c->status ? itest_sip_uas_scenario(d->dir, c->status, c->phrase, c->header)
		    : strdup(tu_src("tests/sipp/e2e_uas_silent.xml"));
		EXPECT_FATAL(scen != NULL);
		EXPECT(term_start(&r->t, d->dir, r->user, scen, c->calls) == 0);
		free(scen);
		if (c->on_abort) {
			users_abort[nabort] = r->user;
			ports_abort[nabort++] = r->t.port;
		} else {
			users_tab[ntab] = r->user;
			ports_tab[ntab++] = r->t.port;
		}
	}
	/* The bindings: one third-party REGISTER per terminal from "the core". */
	sip_register_many(dtab.dir, "127.0.0.1", dtab_sip, users_tab, ports_tab, 600, ntab, st);
	for (size_t i = 0, k = 0; i < NCASES; i++)
		if (!cases[i].on_abort)
			runs[i].reg = st[k++];
	sip_register_many(dabort.dir, "127.0.0.1", dabort_sip, users_abort, ports_abort, 600, nabort, st);
	for (size_t i = 0, k = 0; i < NCASES; i++)
		if (cases[i].on_abort)
			runs[i].reg = st[k++];

	/* The pushes. */
	for (size_t i = 0; i < NCASES; i++) {
		struct tcase *c = &cases[i];
		struct trun *r = &runs[i];
		char attrs[96] = "";
		if (c->db_s) {
			char ts[32];
			pap_time(time(NULL) + c->db_s, ts);
			snprintf(attrs, sizeof attrs, "deliver-before-timestamp=\"%s\"", ts);
		}
		r->t_push = itest_now();
		r->push = push_text(c->on_abort ? &dabort : &dtab, r->push_id, r->user, attrs, r->content);
	}

	/* Every final state, polled through statusquery. */
	double end = itest_now() + 40;
	size_t left = NCASES;
	while (left && itest_now() < end) {
		left = 0;
		for (size_t i = 0; i < NCASES; i++) {
			struct tcase *c = &cases[i];
		struct trun *r = &runs[i];
			if (r->final || r->push != 1001)
				continue;
			if (statusquery(c->on_abort ? &dabort : &dtab, r->push_id, &r->q) == 0 &&
			    r->q.state != PAP_STATE_PENDING) {
				r->final = 1;
				r->t_final = itest_now();
			} else {
				left++;
			}
		}
		if (left)
			sleep_s(0.1);
	}
	/* What each terminal got. */
	for (size_t i = 0; i < NCASES; i++) {
		struct trun *r = &runs[i];
		term_wait(&r->t, 6);
		term_stop(&r->t);
		itest_sip_log_load(r->t.msglog, &r->log);
	}
	EXPECT_INT(left, 0);
}

static void check_case(size_t i)
{
	struct tcase *c = &cases[i];
	struct trun *r = &runs[i];
	struct itest_daemon *d = c->on_abort ? &dabort : &dtab;
	const struct itest_sip_msg *m[8];

	NEED(*d);
	CU_ASSERT_FATAL(table_ran);
	ctx_files[0] = r->t.out;
	ctx_files[1] = r->t.msglog;
	size_t n = itest_sip_requests(&r->log, "MESSAGE", m, 8);
	double gaps[7] = { 0 };
	for (size_t k = 1; k < n; k++)
		gaps[k - 1] = m[k]->t - m[k - 1]->t;
	printf("\n    %s: %s %d \"%s\" after %.2f s; %zu MESSAGE%s, gaps %.2f %.2f s ",
	    r->user, pap_state_str(r->q.state), r->q.code, r->q.desc, r->t_final - r->t_push, n,
	    n == 1 ? "" : "s", gaps[0], gaps[1]);

	EXPECT_INT(r->reg, 200);
	EXPECT_INT(r->push, 1001);
	EXPECT(r->final);
	EXPECT_STR(pap_state_str(r->q.state), pap_state_str(c->want_state));
	EXPECT_INT(r->q.code, c->want_code);
	char *addr = aor_address(r->user);
	EXPECT_STR(r->q.address, addr);
	free(addr);
	EXPECT_INT(n, c->calls);
	if (c->calls == 1 && r->final)   /* no retry: the outcome is final at once */
		EXPECT(r->t_final - r->t_push < 2.5);
	for (size_t k = 0; k < n; k++)
		check_message(m[k], r->user, r->t.port, "text/plain", r->content, strlen(r->content));
	for (size_t k = 0; k + 1 < n && k < 2; k++) {
		if (c->gap_min[k] > 0 && gaps[k] < c->gap_min[k] - 0.02)
			fprintf(stderr, "\n  attempt %zu came %.3f s after the previous one, expected >= %.1f s\n",
			    k + 2, gaps[k], c->gap_min[k]);
		EXPECT(c->gap_min[k] <= 0 || gaps[k] >= c->gap_min[k] - 0.02);
		if (c->gap_max[k] > 0 && gaps[k] > c->gap_max[k])
			fprintf(stderr, "\n  attempt %zu came %.3f s after the previous one, expected <= %.1f s\n",
			    k + 2, gaps[k], c->gap_max[k]);
		EXPECT(c->gap_max[k] <= 0 || gaps[k] <= c->gap_max[k]);
	}
	/* sipp's own checks (Accept-Contact) passed for every call */
	EXPECT_INT(r->t.exit_code, 0);
	ctx_files[0] = ctx_files[1] = NULL;
}

#define CASE_FN(i) static void t_case_##i(void) { check_case(i); }
CASE_FN(0) CASE_FN(1) CASE_FN(2) CASE_FN(3) CASE_FN(4) CASE_FN(5) CASE_FN(6) CASE_FN(7) CASE_FN(8)
CASE_FN(9) CASE_FN(10) CASE_FN(11) CASE_FN(12) CASE_FN(13) CASE_FN(14) CASE_FN(15) CASE_FN(16)
CASE_FN(17) CASE_FN(18)
static CU_TestFunc case_fns[] = { t_case_0, t_case_1, t_case_2, t_case_3, t_case_4, t_case_5,
	t_case_6, t_case_7, t_case_8, t_case_9, t_case_10, t_case_11, t_case_12, t_case_13, t_case_14,
	t_case_15, t_case_16, t_case_17, t_case_18 };
_Static_assert(sizeof case_fns / sizeof case_fns[0] == NCASES, "one CASE_FN per case");

/* ================================================== suite: GRUU */

static struct itest_daemon dgruu, dgaddr;
static int dgruu_sip, dgaddr_sip;

/* dgruu: [sip] terminal = gruu; dgaddr: the default terminal = all, where
 * only a push addressed to a GRUU picks one terminal. */
static int init_gruu(void)
{
	start_ppgd(&dgruu, "sip-gruu", TAB_SIP "terminal = gruu\n", NULL, &dgruu_sip);
	start_ppgd(&dgaddr, "sip-gaddr", TAB_SIP, NULL, &dgaddr_sip);
	return 0;
}

static int clean_gruu(void)
{
	itest_daemon_destroy(&dgruu, 0);
	itest_daemon_destroy(&dgaddr, 0);
	return 0;
}

/* The GRUU tests/sipp/e2e_register_gruu.xml registers for a contact port. */
static char *gruu_of(const char *user, int port)
{
	return itest_asprintf("sip:%s@example.com;gr=urn:uuid:00000000-0000-0000-0000-%d0000", user, port);
}

/* A PAP USER address of a GRUU (escaped: WAP-249 §6.1 escaped-value). */
static char *gruu_address(const char *user, int port)
{
	return itest_asprintf("WAPPUSH=sip%%3A%s%%40example.com%%3Bgr%%3Durn%%3Auuid%%3A"
	    "00000000-0000-0000-0000-%d0000/TYPE=USER", user, port);
}

static int push_text_addr(struct itest_daemon *d, const char *push_id, const char *addr, const char *text)
{
	size_t len;
	char *body = push_body(DOCTYPE_21, push_id, addr, NULL, "text/plain", text, strlen(text), &len);
	struct pap_msg *m = itest_pap_post(d, ALICE, MULTIPART_CT, body, len);
	int code = m && m->type == PAP_MSG_PUSH_RESPONSE ? msg_code(m) : -2;
	pap_msg_free(m);
	free(body);
	return code;
}

/*
 * A push addressed to a GRUU (USER sip:guser@example.com;gr=urn:uuid:...)
 * reaches that terminal only, with the GRUU as Request-URI and the AoR as
 * To (OMA-TS-SIP_Push §9.1.2 items 7 and 11, RFC 5627), although [sip]
 * terminal = all and another terminal of the AoR is registered, newer; the
 * result is that terminal's. A GRUU no binding has waits like an AoR
 * nobody registered, and reaches no other terminal of the AoR.
 */
static void t_gruu_addressed_terminal(void)
{
	NEED(dgaddr);
	struct term t1, t2;
	struct sq q;
	char *scen = itest_sip_uas_scenario(dgaddr.dir, 200, "OK", NULL);
	const char *text = "to the terminal of this GRUU", *user = "gauser";
	int st = -1;

	EXPECT_FATAL(term_start(&t1, dgaddr.dir, user, scen, 1) == 0);
	EXPECT_FATAL(term_start(&t2, dgaddr.dir, user, scen, 1) == 0);
	itest_sip_register_scen("tests/sipp/e2e_register_gruu.xml", dgaddr.dir, "127.0.0.1", dgaddr_sip, &user,
	    &t1.port, 600, 1, &st);
	EXPECT_INT(st, 200);
	sleep_s(1.1);   /* t2 is the newer registration */
	itest_sip_register_scen("tests/sipp/e2e_register_gruu.xml", dgaddr.dir, "127.0.0.1", dgaddr_sip, &user,
	    &t2.port, 600, 1, &st);
	EXPECT_INT(st, 200);

	/* a GRUU of this AoR that no terminal registered: waits, sent to nobody */
	char *nobody = gruu_address(user, 1);
	EXPECT_INT(push_text_addr(&dgaddr, "gaddr-0@e2e", nobody, "to nobody"), 1001);
	sleep_s(1.5);
	EXPECT(statusquery(&dgaddr, "gaddr-0@e2e", &q) == 0);
	EXPECT_STR(pap_state_str(q.state), "pending");
	EXPECT(strstr(q.desc, "waiting for a registration of sip:gauser@example.com;gr=urn:uuid:"
	    "00000000-0000-0000-0000-10000") != NULL);
	if (!strstr(q.desc, "waiting for a registration"))
		report_sq("gaddr-0", &q);

	/* the older terminal's GRUU: that terminal only */
	char *addr = gruu_address(user, t1.port);
	EXPECT_INT(push_text_addr(&dgaddr, "gaddr-1@e2e", addr, text), 1001);
	EXPECT(wait_final(&dgaddr, "gaddr-1@e2e", 10, &q) == 0);
	EXPECT_STR(pap_state_str(q.state), "delivered");
	EXPECT_INT(q.code, 1000);
	EXPECT_STR(q.address, addr);
	EXPECT_INT(term_wait(&t1, 5), 0);
	struct itest_sip_log l;
	const struct itest_sip_msg *m[4];
	itest_sip_log_load(t1.msglog, &l);
	EXPECT_INT(itest_sip_requests(&l, "MESSAGE", m, 4), 1);
	if (itest_sip_requests(&l, "MESSAGE", m, 4) == 1) {
		char *rl = itest_sip_first_line(m[0]->text), *to = itest_sip_hdr(m[0]->text, "To");
		char *g = gruu_of(user, t1.port);
		char *want = itest_asprintf("MESSAGE %s SIP/2.0", g);
		EXPECT_STR(rl, want);
		EXPECT_STR(to, "<sip:gauser@example.com>");
		size_t blen;
		const char *body = itest_sip_body(m[0], &blen);
		EXPECT(blen == strlen(text) && !memcmp(body, text, blen));
		free(rl);
		free(to);
		free(g);
		free(want);
	}
	itest_sip_log_free(&l);
	/* the other (newer) terminal of the AoR got nothing, neither push */
	term_stop(&t2);
	itest_sip_log_load(t2.msglog, &l);
	EXPECT_INT(itest_sip_requests(&l, "MESSAGE", m, 4), 0);
	itest_sip_log_free(&l);
	EXPECT(statusquery(&dgaddr, "gaddr-0@e2e", &q) == 0);
	EXPECT_STR(pap_state_str(q.state), "pending");
	free(nobody);
	free(addr);
	term_free(&t1);
	term_free(&t2);
	free(scen);
}

/* [sip] terminal = gruu: of two registered terminals of one AoR, only the
 * newest gets the push, addressed to its GRUU (OMA-TS-SIP_Push §6.1 item 8,
 * §9.1.2 item 7). */
static void t_gruu_newest_terminal(void)
{
	NEED(dgruu);
	struct term t1, t2;
	struct sq q;
	char *scen = itest_sip_uas_scenario(dgruu.dir, 200, "OK", NULL);
	const char *text = "to one terminal";
	int st = -1;

	EXPECT_FATAL(term_start(&t1, dgruu.dir, "guser", scen, 1) == 0);
	EXPECT_FATAL(term_start(&t2, dgruu.dir, "guser", scen, 1) == 0);
	const char *user = "guser";
	itest_sip_register_scen("tests/sipp/e2e_register_gruu.xml", dgruu.dir, "127.0.0.1", dgruu_sip, &user,
	    &t1.port, 600, 1, &st);
	EXPECT_INT(st, 200);
	sleep_s(1.1);   /* the second registration is the newer one */
	itest_sip_register_scen("tests/sipp/e2e_register_gruu.xml", dgruu.dir, "127.0.0.1", dgruu_sip, &user,
	    &t2.port, 600, 1, &st);
	EXPECT_INT(st, 200);
	EXPECT_INT(push_text(&dgruu, "gruu-1@e2e", "guser", NULL, text), 1001);
	EXPECT(wait_final(&dgruu, "gruu-1@e2e", 10, &q) == 0);
	EXPECT_STR(pap_state_str(q.state), "delivered");
	EXPECT_INT(term_wait(&t2, 5), 0);
	struct itest_sip_log l;
	const struct itest_sip_msg *m[4];
	itest_sip_log_load(t2.msglog, &l);
	EXPECT_INT(itest_sip_requests(&l, "MESSAGE", m, 4), 1);
	if (l.n) {
		char *rl = itest_sip_first_line(m[0]->text);
		char *want = itest_asprintf("MESSAGE sip:guser@example.com;gr=urn:uuid:00000000-0000-0000-0000-%d0000 "
		    "SIP/2.0", t2.port);
		EXPECT_STR(rl, want);
		free(rl);
		free(want);
	}
	itest_sip_log_free(&l);
	/* the older terminal got nothing */
	itest_sip_log_load(t1.msglog, &l);
	EXPECT_INT(itest_sip_requests(&l, "MESSAGE", m, 4), 0);
	itest_sip_log_free(&l);
	term_free(&t1);
	term_free(&t2);
	free(scen);
}

/* ============================================ suite: registrations */

static struct itest_daemon dreg;
static int dreg_sip;

static int init_reg(void)
{
	start_ppgd(&dreg, "sip-reg", TAB_SIP, "retry_min = 1\nretry_max = 2\n", &dreg_sip);
	return 0;
}

static int clean_reg(void)
{
	itest_daemon_destroy(&dreg, 0);
	return 0;
}

static int desc_waits(const struct sq *q)
{
	return strstr(q->desc, "waiting for a registration") != NULL;
}

/* A push before any registration waits ("waiting for a registration");
 * the third-party REGISTER releases it: delivered to the new contact. A
 * de-REGISTER (Expires: 0) makes the next push wait again, until the
 * terminal registers again. */
static void t_register_deregister(void)
{
	NEED(dreg);
	struct term t;
	struct sq q;
	char *scen = itest_sip_uas_scenario(dreg.dir, 200, "OK", NULL);
	const char *text1 = "waiting push one", *text2 = "waiting push two";

	EXPECT_INT(push_text(&dreg, "wait-1@e2e", "wuser", NULL, text1), 1001);
	sleep_s(0.8);
	EXPECT(statusquery(&dreg, "wait-1@e2e", &q) == 0);
	report_sq("before REGISTER", &q);
	EXPECT_STR(pap_state_str(q.state), "pending");
	EXPECT_INT(q.code, 1001);
	EXPECT(desc_waits(&q));
	EXPECT(strstr(q.desc, "sip:wuser@example.com") != NULL);

	EXPECT_FATAL(term_start(&t, dreg.dir, "wuser", scen, 1) == 0);
	ctx_files[0] = t.msglog;
	EXPECT_INT(itest_sip_register(dreg.dir, "127.0.0.1", dreg_sip, "wuser", t.port, 600), 200);
	EXPECT(wait_final(&dreg, "wait-1@e2e", 10, &q) == 0);
	report_sq("after REGISTER", &q);
	/* The operator lists the binding. */
	{
		const char *argv[] = { itest_ppgd_path(), "-c", dreg.conf, "--bindings", NULL };
		char *out = NULL;
		int rc = -1;
		EXPECT(itest_run(argv, &out, &rc) == 0);
		EXPECT_INT(rc, 0);
		EXPECT(out && strstr(out, "sip:wuser@example.com") && strstr(out, "mms.ua"));
		free(out);
	}
	EXPECT_STR(pap_state_str(q.state), "delivered");
	EXPECT_INT(q.code, 1000);
	EXPECT_INT(term_wait(&t, 5), 0);
	struct itest_sip_log l;
	const struct itest_sip_msg *m[4];
	itest_sip_log_load(t.msglog, &l);
	EXPECT_INT(itest_sip_requests(&l, "MESSAGE", m, 4), 1);
	if (l.n)
		check_message(m[0], "wuser", t.port, "text/plain", text1, strlen(text1));
	itest_sip_log_free(&l);

	/* de-REGISTER: the next push waits again, nothing is sent. */
	EXPECT_INT(itest_sip_register(dreg.dir, "127.0.0.1", dreg_sip, "wuser", t.port, 0), 200);
	term_free(&t);
	EXPECT_INT(push_text(&dreg, "wait-2@e2e", "wuser", NULL, text2), 1001);
	sleep_s(1.5);
	EXPECT(statusquery(&dreg, "wait-2@e2e", &q) == 0);
	report_sq("after de-REGISTER", &q);
	EXPECT_STR(pap_state_str(q.state), "pending");
	EXPECT(desc_waits(&q));

	/* ... and goes out when the terminal registers again. */
	EXPECT_FATAL(term_start(&t, dreg.dir, "wuser", scen, 1) == 0);
	ctx_files[0] = t.msglog;
	EXPECT_INT(itest_sip_register(dreg.dir, "127.0.0.1", dreg_sip, "wuser", t.port, 600), 200);
	EXPECT(wait_final(&dreg, "wait-2@e2e", 10, &q) == 0);
	EXPECT_STR(pap_state_str(q.state), "delivered");
	EXPECT_INT(q.code, 1000);
	EXPECT_INT(term_wait(&t, 5), 0);
	itest_sip_log_load(t.msglog, &l);
	EXPECT_INT(itest_sip_requests(&l, "MESSAGE", m, 4), 1);
	if (l.n)
		check_message(m[0], "wuser", t.port, "text/plain", text2, strlen(text2));
	itest_sip_log_free(&l);
	term_free(&t);
	free(scen);
	ctx_files[0] = NULL;
}

/* A binding ends when its registration expires: a push after that waits. */
static void t_binding_expires(void)
{
	NEED(dreg);
	struct sq q;
	EXPECT_INT(itest_sip_register(dreg.dir, "127.0.0.1", dreg_sip, "xuser", 5999, 2), 200);
	{
		const char *argv[] = { itest_ppgd_path(), "-c", dreg.conf, "--bindings", NULL };
		char *out = NULL;
		int rc = -1;
		EXPECT(itest_run(argv, &out, &rc) == 0);
		EXPECT(out && strstr(out, "sip:xuser@example.com"));
		free(out);
	}
	sleep_s(2.5);
	EXPECT_INT(push_text(&dreg, "expired-binding@e2e", "xuser", NULL, "too late"), 1001);
	sleep_s(0.8);
	EXPECT(statusquery(&dreg, "expired-binding@e2e", &q) == 0);
	report_sq("after the binding expired", &q);
	EXPECT_STR(pap_state_str(q.state), "pending");
	EXPECT(desc_waits(&q));
	{
		const char *argv[] = { itest_ppgd_path(), "-c", dreg.conf, "--bindings", NULL };
		char *out = NULL;
		int rc = -1;
		EXPECT(itest_run(argv, &out, &rc) == 0);
		EXPECT(out && !strstr(out, "sip:xuser@example.com"));
		free(out);
	}
}

/* A REGISTER from an address outside trusted_cores (default 127.0.0.1/32,
 * ::1/128; sipp sends from 127.0.0.2) -> 403, and no binding. */
static void t_register_untrusted_403(void)
{
	NEED(dreg);
	struct sq q;
	EXPECT_INT(itest_sip_register(dreg.dir, "127.0.0.2", dreg_sip, "uuser", 5, 600), 403);
	EXPECT(itest_file_has(dreg.log, "REGISTER from 127.0.0.2 refused (403): not in [sip] trusted_cores"));
	EXPECT_INT(push_text(&dreg, "untrusted@e2e", "uuser", NULL, "to nobody"), 1001);
	sleep_s(0.8);
	EXPECT(statusquery(&dreg, "untrusted@e2e", &q) == 0);
	report_sq("after an untrusted REGISTER", &q);
	EXPECT_STR(pap_state_str(q.state), "pending");
	EXPECT(desc_waits(&q));
	/* the same REGISTER from the trusted core is taken */
	EXPECT_INT(itest_sip_register(dreg.dir, "127.0.0.1", dreg_sip, "uuser2", 5, 600), 200);
}

/* Bindings are stored: after SIGTERM and a restart a push is delivered
 * without a new REGISTER. */
static void t_bindings_survive_restart(void)
{
	NEED(dreg);
	struct term t;
	struct sq q;
	char *scen = itest_sip_uas_scenario(dreg.dir, 200, "OK", NULL);
	const char *text = "after the restart";

	EXPECT_FATAL(term_start(&t, dreg.dir, "ruser", scen, 1) == 0);
	ctx_files[0] = t.msglog;
	EXPECT_INT(itest_sip_register(dreg.dir, "127.0.0.1", dreg_sip, "ruser", t.port, 600), 200);
	int st = itest_daemon_stop(&dreg);
	EXPECT(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_FATAL(itest_daemon_start(&dreg) == 0);
	EXPECT_INT(push_text(&dreg, "restart@e2e", "ruser", NULL, text), 1001);
	EXPECT(wait_final(&dreg, "restart@e2e", 10, &q) == 0);
	report_sq("after the restart", &q);
	EXPECT_STR(pap_state_str(q.state), "delivered");
	EXPECT_INT(q.code, 1000);
	EXPECT_INT(term_wait(&t, 5), 0);
	struct itest_sip_log l;
	const struct itest_sip_msg *m[4];
	itest_sip_log_load(t.msglog, &l);
	EXPECT_INT(itest_sip_requests(&l, "MESSAGE", m, 4), 1);
	if (l.n)
		check_message(m[0], "ruser", t.port, "text/plain", text, strlen(text));
	itest_sip_log_free(&l);
	term_free(&t);
	free(scen);
	ctx_files[0] = NULL;
}

/* [sip] no_binding = fail: a push to an AoR nobody registered ends at
 * once, undeliverable 2003. */
static void t_no_binding_fail_2003(void)
{
	NEED(dabort);
	struct sq q;
	double t0 = itest_now();
	EXPECT_INT(push_text(&dabort, "nobinding@e2e", "nobody", NULL, "to nobody"), 1001);
	EXPECT(wait_final(&dabort, "nobinding@e2e", 5, &q) == 0);
	report_sq("no_binding = fail", &q);
	EXPECT_STR(pap_state_str(q.state), "undeliverable");
	EXPECT_INT(q.code, 2003);
	EXPECT(itest_now() - t0 < 3);
}

/* ================================== suite: kamailio as the SIP/IP core */

/*
 * tests/kamailio/ppgd-core.cfg: the terminal REGISTERs at kamailio, which
 * saves the binding (usrloc, no database) and sends the third-party
 * REGISTER to ppgd with uac_req_send; ppgd's outbound_proxy is kamailio,
 * which looks the AoR up and relays the MESSAGE to the terminal.
 */
static struct itest_daemon dkam;
static int dkam_sip, kam_port;
static pid_t kam_pid;
static char *kam_log;

/*
 * Starts kamailio with tests/kamailio/ppgd-core.cfg, its run directory
 * DIR/NAME and its log DIR/NAME.log (*log, malloc'ed): UDP on udp_port;
 * with tls_cfg also TLS on tls_port (-A WITH_TLS, the tls module reading
 * tls_cfg); third-party REGISTERs go to ppgd_uri. Waits until it listens.
 * The PID, or 0 (its log printed).
 */
static pid_t kam_start(const char *dir, const char *name, int udp_port, int tls_port, const char *tls_cfg,
    const char *ppgd_uri, char **log)
{
	char *def = itest_asprintf("PPGD_URI=\"%s\"", ppgd_uri);
	struct itest_sip_kam k = { .cfg = "tests/kamailio/ppgd-core.cfg", .dir = dir, .name = name,
		.udp_port = udp_port, .tls_cfg = tls_cfg, .tls_port = tls_port, .defines = { def },
		.shm_mb = tls_cfg ? 64 : 32 };
	pid_t pid = itest_sip_kam_start(&k, log);
	free(def);
	return pid;
}

static int init_kam(void)
{
	kam_port = itest_free_port_udp_tcp();
	char *extra = itest_asprintf(TAB_SIP "outbound_proxy = sip:127.0.0.1:%d\n", kam_port);
	start_ppgd(&dkam, "sip-kam", extra, NULL, &dkam_sip);
	free(extra);
	if (dkam.pid <= 0)
		return 0;
	char *uri = itest_asprintf("sip:127.0.0.1:%d", dkam_sip);
	kam_pid = kam_start(dkam.dir, "kamailio", kam_port, 0, NULL, uri, &kam_log);
	free(uri);
	return 0;
}

static int clean_kam(void)
{
	itest_sip_kam_stop(&kam_pid);
	itest_daemon_destroy(&dkam, 0);
	free(kam_log);
	kam_log = NULL;
	return 0;
}

static struct term kterm;

static void t_kamailio_register_and_route(void)
{
	NEED(dkam);
	if (kam_pid <= 0)
		fprintf(stderr, "\nkamailio is not running (is the Debian package kamailio installed?)\n");
	CU_ASSERT_FATAL(kam_pid > 0);
	ctx_files[0] = kam_log;
	struct sq q;
	char *scen = itest_sip_uas_scenario(dkam.dir, 200, "OK", NULL);
	const char *text = "through the core";

	EXPECT_FATAL(term_start(&kterm, dkam.dir, "kuser", scen, 1) == 0);
	free(scen);
	ctx_files[1] = kterm.msglog;
	/* The terminal's own REGISTER goes to kamailio, never to ppgd. */
	EXPECT_INT(itest_sip_register(dkam.dir, "127.0.0.1", kam_port, "kuser", kterm.port, 600), 200);
	/* kamailio's third-party REGISTER reached ppgd (and was stored). */
	char *want = itest_asprintf("registration sip:kuser@example.com -> sip:kuser@127.0.0.1:%d for 600 s, "
	    "applications \"mms.ua\"", kterm.port);
	EXPECT(itest_wait_log(dkam.log, want, 5) == 0);
	free(want);

	EXPECT_INT(push_text(&dkam, "kam-1@e2e", "kuser", NULL, text), 1001);
	EXPECT(wait_final(&dkam, "kam-1@e2e", 10, &q) == 0);
	report_sq("through kamailio", &q);
	EXPECT_STR(pap_state_str(q.state), "delivered");
	EXPECT_INT(q.code, 1000);
	EXPECT_INT(term_wait(&kterm, 5), 0);

	struct itest_sip_log l;
	const struct itest_sip_msg *m[4];
	itest_sip_log_load(kterm.msglog, &l);
	EXPECT_INT(itest_sip_requests(&l, "MESSAGE", m, 4), 1);
	if (l.n && itest_sip_requests(&l, "MESSAGE", m, 4) >= 1) {
		/* kamailio looked the AoR up: the Request-URI is the contact */
		char *rl = itest_sip_first_line(m[0]->text);
		char *want_rl = itest_asprintf("MESSAGE sip:kuser@127.0.0.1:%d SIP/2.0", kterm.port);
		EXPECT_STR(rl, want_rl);
		/* ... and relayed it: its Via on top, its Record-Route, ppgd's Via below */
		char *via0 = itest_sip_hdr_nth(m[0]->text, "Via", 0), *via1 = itest_sip_hdr_nth(m[0]->text, "Via", 1);
		char *rr = itest_sip_hdr(m[0]->text, "Record-Route");
		char *kam = itest_asprintf("127.0.0.1:%d", kam_port), *ppg = itest_asprintf("127.0.0.1:%d", dkam_sip);
		EXPECT(via0 && strstr(via0, kam));
		EXPECT(via1 && strstr(via1, ppg));
		EXPECT(rr && strstr(rr, kam));
		char *ac = itest_sip_hdr(m[0]->text, "Accept-Contact"), *pai = itest_sip_hdr(m[0]->text, "P-Asserted-Identity");
		char *to = itest_sip_hdr(m[0]->text, "To"), *ct = itest_sip_hdr(m[0]->text, "Content-Type");
		EXPECT_STR(ac, ACCEPT_CONTACT);
		EXPECT_STR(pai, PPG_PAI);
		EXPECT_STR(to, "<sip:kuser@example.com>");
		EXPECT_STR(ct, "text/plain");
		size_t blen;
		const char *body = itest_sip_body(m[0], &blen);
		EXPECT(blen == strlen(text) && !memcmp(body, text, blen));
		free(rl);
		free(want_rl);
		free(via0);
		free(via1);
		free(rr);
		free(kam);
		free(ppg);
		free(ac);
		free(pai);
		free(to);
		free(ct);
	}
	itest_sip_log_free(&l);
	char *relayed = itest_asprintf("MESSAGE for sip:kuser@example.com relayed to sip:kuser@127.0.0.1:%d",
	    kterm.port);
	EXPECT(itest_file_has(kam_log, relayed));
	free(relayed);
	ctx_files[0] = ctx_files[1] = NULL;
}

/* The terminal de-registers at kamailio (Expires: 0): kamailio's
 * third-party de-REGISTER removes ppgd's binding; a new push waits. */
static void t_kamailio_deregister(void)
{
	NEED(dkam);
	CU_ASSERT_FATAL(kam_pid > 0);
	CU_ASSERT_FATAL(kterm.port > 0);
	ctx_files[0] = kam_log;
	struct sq q;
	EXPECT_INT(itest_sip_register(dkam.dir, "127.0.0.1", kam_port, "kuser", kterm.port, 0), 200);
	char *want = itest_asprintf("registration sip:kuser@example.com -> sip:kuser@127.0.0.1:%d removed",
	    kterm.port);
	EXPECT(itest_wait_log(dkam.log, want, 5) == 0);
	free(want);
	EXPECT_INT(push_text(&dkam, "kam-2@e2e", "kuser", NULL, "after the de-REGISTER"), 1001);
	sleep_s(1.0);
	EXPECT(statusquery(&dkam, "kam-2@e2e", &q) == 0);
	report_sq("after the de-REGISTER at kamailio", &q);
	EXPECT_STR(pap_state_str(q.state), "pending");
	EXPECT(desc_waits(&q));
	term_free(&kterm);
	ctx_files[0] = NULL;
}

/* ================================== suite: content indirection (RFC 4483) */

static struct itest_daemon dind, dcan;
static int dind_sip, dcan_sip;

/* dind: fetch_timeout 3 s; dcan: 30 s, far longer than any wait of its
 * test, so that nothing but the cancel can end the attempt. */
static int init_ind(void)
{
	start_ppgd(&dind, "sip-ind", TAB_SIP "fetch_timeout = 3\n", NULL, &dind_sip);
	start_ppgd(&dcan, "sip-ind-cancel", TAB_SIP "fetch_timeout = 30\n", NULL, &dcan_sip);
	return 0;
}

static int clean_ind(void)
{
	itest_daemon_destroy(&dind, 0);
	itest_daemon_destroy(&dcan, 0);
	return 0;
}

#define MMS_CT "application/vnd.wap.mms-message"
#define BIG 2000

/* 2000 bytes of binary content (every byte value, CR and LF included). */
static void big_content(unsigned char *b, int seed)
{
	for (size_t i = 0; i < BIG; i++)
		b[i] = (unsigned char)((i * 37 + (size_t)seed * 11 + 5) & 0xff);
	memcpy(b, "MMS-", 4);   /* never the multipart delimiter */
}

/* The URL of a message/external-body MESSAGE; checks the reference.
 * malloc'ed, or NULL. */
static char *external_url(struct itest_daemon *d, const struct itest_sip_msg *m)
{
	char *ct = itest_sip_hdr(m->text, "Content-Type");
	char *url = NULL;
	EXPECT(ct && !strncmp(ct, "message/external-body", 21));
	EXPECT(ct && strstr(ct, "access-type=\"URL\""));
	char size[32];
	snprintf(size, sizeof size, "size=%d", BIG);
	EXPECT(ct && strstr(ct, size));
	const char *u = ct ? strstr(ct, "URL=\"") : NULL;
	if (u) {
		u += 5;
		url = strndup(u, strcspn(u, "\""));
	}
	char *prefix = itest_asprintf("%s/content/", d->base);
	if (!url || strncmp(url, prefix, strlen(prefix)))
		fprintf(stderr, "\n  external-body URL \"%s\", expected under %s\n", url ? url : "(none)", prefix);
	EXPECT(url && !strncmp(url, prefix, strlen(prefix)) && strlen(url) > strlen(prefix) + 16);
	size_t blen;
	const char *body = itest_sip_body(m, &blen);
	/* the body names the content's type; none of the content is inline */
	EXPECT(blen < 300 && strstr(body, "Content-Type: " MMS_CT) != NULL);
	EXPECT(m->len <= 1300);
	free(prefix);
	free(ct);
	return url;
}

/* 2000 bytes -> MESSAGE with a URL; pending until the terminal fetches it
 * (200, exact content); then delivered; the URL is then gone (404). */
static void t_indirection_fetched(void)
{
	NEED(dind);
	unsigned char content[BIG];
	struct term t;
	struct sq q;
	big_content(content, 1);
	char *scen = itest_sip_uas_scenario(dind.dir, 200, "OK", NULL);

	EXPECT_FATAL(term_start(&t, dind.dir, "iuser", scen, 1) == 0);
	ctx_files[0] = t.msglog;
	EXPECT_INT(itest_sip_register(dind.dir, "127.0.0.1", dind_sip, "iuser", t.port, 600), 200);
	EXPECT_INT(push_to(&dind, DOCTYPE_21, "ind-1@e2e", "iuser", NULL, MMS_CT, content, BIG), 1001);
	EXPECT_INT(term_wait(&t, 10), 0);
	struct itest_sip_log l;
	const struct itest_sip_msg *m[4];
	itest_sip_log_load(t.msglog, &l);
	size_t n = itest_sip_requests(&l, "MESSAGE", m, 4);
	EXPECT_INT(n, 1);
	char *url = n ? external_url(&dind, m[0]) : NULL;
	if (n) {
		char *ac = itest_sip_hdr(m[0]->text, "Accept-Contact");
		EXPECT_STR(ac, ACCEPT_CONTACT);
		free(ac);
	}
	/* the 200 came, the content was not fetched yet: still pending */
	sleep_s(0.3);
	EXPECT(statusquery(&dind, "ind-1@e2e", &q) == 0);
	report_sq("200 but not fetched yet", &q);
	EXPECT_STR(pap_state_str(q.state), "pending");
	if (url) {
		/* the terminal's fetch */
		struct itest_resp r;
		EXPECT(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r) == 0);
		EXPECT_INT(r.status, 200);
		char *rct = itest_resp_header(&r, "Content-Type");
		EXPECT_STR(rct, MMS_CT);
		EXPECT_INT(r.len, BIG);
		EXPECT(r.len == BIG && !memcmp(r.body, content, BIG));
		free(rct);
		itest_resp_free(&r);
		EXPECT(wait_final(&dind, "ind-1@e2e", 5, &q) == 0);
		report_sq("fetched", &q);
		EXPECT_STR(pap_state_str(q.state), "delivered");
		EXPECT_INT(q.code, 1000);
		/* final: the URL no longer serves the content */
		EXPECT(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r) == 0);
		EXPECT_INT(r.status, 404);
		itest_resp_free(&r);
	}
	free(url);
	itest_sip_log_free(&l);
	term_free(&t);
	free(scen);
	ctx_files[0] = NULL;
}

/* The terminal answers 200 but never fetches: timeout 4000 after
 * fetch_timeout (3 s); the URL is then gone. */
static void t_indirection_not_fetched(void)
{
	NEED(dind);
	unsigned char content[BIG];
	struct term t;
	struct sq q;
	big_content(content, 2);
	char *scen = itest_sip_uas_scenario(dind.dir, 200, "OK", NULL);

	EXPECT_FATAL(term_start(&t, dind.dir, "nfuser", scen, 1) == 0);
	ctx_files[0] = t.msglog;
	EXPECT_INT(itest_sip_register(dind.dir, "127.0.0.1", dind_sip, "nfuser", t.port, 600), 200);
	double t0 = itest_now();
	EXPECT_INT(push_to(&dind, DOCTYPE_21, "ind-2@e2e", "nfuser", NULL, MMS_CT, content, BIG), 1001);
	EXPECT(wait_final(&dind, "ind-2@e2e", 12, &q) == 0);
	double took = itest_now() - t0;
	report_sq("never fetched", &q);
	EXPECT_STR(pap_state_str(q.state), "timeout");
	EXPECT_INT(q.code, 4000);
	EXPECT(took >= 2.9);
	EXPECT_INT(term_wait(&t, 5), 0);
	struct itest_sip_log l;
	const struct itest_sip_msg *m[4];
	itest_sip_log_load(t.msglog, &l);
	size_t n = itest_sip_requests(&l, "MESSAGE", m, 4);
	EXPECT_INT(n, 1);
	char *url = n ? external_url(&dind, m[0]) : NULL;
	if (url) {
		struct itest_resp r;
		EXPECT(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r) == 0);
		EXPECT_INT(r.status, 404);
		itest_resp_free(&r);
	}
	free(url);
	itest_sip_log_free(&l);
	term_free(&t);
	free(scen);
	ctx_files[0] = NULL;
}

/* cancel-message for push_id (PAP 2.1); the code of its first
 * cancel-result, or -1 when no cancel-response came. */
static int cancel_push(struct itest_daemon *d, const char *push_id)
{
	char *doc = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>"
	    "<cancel-message push-id=\"%s\"/></pap>", push_id);
	struct pap_msg *m = itest_pap_post(d, ALICE, "application/xml", doc, strlen(doc));
	int code = m && m->type == PAP_MSG_CANCEL_RESPONSE ? msg_code(m) : -1;
	pap_msg_free(m);
	free(doc);
	return code;
}

/*
 * The terminal answers the MESSAGE 200 and does not fetch (the attempt
 * waits for the fetch, fetch_timeout 30 s). Before the cancel the URL
 * serves the content (HEAD 200: a HEAD is not a fetch); the PI cancels the
 * push; a GET sent as soon as the cancel's answer came must find the URL
 * withdrawn (404), within 1 s of the cancel and nowhere near fetch_timeout;
 * the push is then cancelled, not delivered nor timed out.
 */
static void t_indirection_cancelled_404(void)
{
	NEED(dcan);
	unsigned char content[BIG];
	struct term t;
	struct sq q;
	big_content(content, 3);
	char *scen = itest_sip_uas_scenario(dcan.dir, 200, "OK", NULL);

	EXPECT_FATAL(term_start(&t, dcan.dir, "cuser", scen, 1) == 0);
	ctx_files[0] = t.msglog;
	EXPECT_INT(itest_sip_register(dcan.dir, "127.0.0.1", dcan_sip, "cuser", t.port, 600), 200);
	EXPECT_INT(push_to(&dcan, DOCTYPE_21, "ind-cancel@e2e", "cuser", NULL, MMS_CT, content, BIG), 1001);
	EXPECT_INT(term_wait(&t, 10), 0);   /* the MESSAGE came and was answered 200 */
	struct itest_sip_log l;
	const struct itest_sip_msg *m[4];
	itest_sip_log_load(t.msglog, &l);
	size_t n = itest_sip_requests(&l, "MESSAGE", m, 4);
	EXPECT_INT(n, 1);
	char *url = n ? external_url(&dcan, m[0]) : NULL;
	EXPECT_FATAL(url != NULL);

	/* Waiting for the fetch: pending, and the URL serves the content. */
	EXPECT(statusquery(&dcan, "ind-cancel@e2e", &q) == 0);
	report_sq("200, content not fetched", &q);
	EXPECT_STR(pap_state_str(q.state), "pending");
	struct itest_resp r;
	EXPECT(itest_http("HEAD", url, NULL, NULL, 0, NULL, NULL, &r) == 0);
	EXPECT_INT(r.status, 200);
	char *rct = itest_resp_header(&r, "Content-Type"), *rcl = itest_resp_header(&r, "Content-Length");
	EXPECT_STR(rct, MMS_CT);
	EXPECT_INT(rcl ? atol(rcl) : -1, BIG);
	free(rct);
	free(rcl);
	itest_resp_free(&r);
	/* ... and a HEAD did not count as the fetch */
	EXPECT(statusquery(&dcan, "ind-cancel@e2e", &q) == 0);
	EXPECT_STR(pap_state_str(q.state), "pending");

	double t0 = itest_now();
	int code = cancel_push(&dcan, "ind-cancel@e2e");
	double t_answer = itest_now();
	EXPECT_INT(code, 1000);
	EXPECT(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r) == 0);
	double t_404 = itest_now();
	printf("\n    cancel answered %d in %.3f s; GET of the content URL %.3f s after the answer: %ld",
	    code, t_answer - t0, t_404 - t_answer, r.status);
	EXPECT_INT(r.status, 404);
	EXPECT(t_404 - t0 < 1.0);
	itest_resp_free(&r);

	EXPECT(wait_final(&dcan, "ind-cancel@e2e", 5, &q) == 0);
	report_sq("cancelled while the fetch was awaited", &q);
	EXPECT_STR(pap_state_str(q.state), "cancelled");
	/* still cancelled later on: the withdrawn attempt reports nothing */
	sleep_s(0.5);
	EXPECT(statusquery(&dcan, "ind-cancel@e2e", &q) == 0);
	EXPECT_STR(pap_state_str(q.state), "cancelled");
	EXPECT(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r) == 0);
	EXPECT_INT(r.status, 404);
	itest_resp_free(&r);
	free(url);
	itest_sip_log_free(&l);
	term_free(&t);
	free(scen);
	ctx_files[0] = NULL;
}

/* ====================================== suite: result notifications */

static struct itest_daemon dnot;
static int dnot_sip;
static struct itest_pi pil;

static int init_not(void)
{
	start_ppgd(&dnot, "sip-notify", TAB_SIP, "retry_min = 1\nretry_max = 2\ntimeout = 3\n", &dnot_sip);
	itest_pi_start(&pil, 1, 0);   /* the first POST is answered 500 */
	return 0;
}

static int clean_not(void)
{
	itest_pi_stop(&pil);
	itest_daemon_destroy(&dnot, 0);
	return 0;
}

/* Checks one recorded resultnotification-message. */
static void check_notification(const struct itest_pi_post *p, enum pap_version v, const char *push_id,
    const char *address, enum pap_state state, int code, time_t t_min, time_t t_max)
{
	struct pap_limits lim = PAP_LIMITS_DEFAULT;
	struct pap_msg *m = NULL;
	struct pap_error err;
	memset(&err, 0, sizeof err);
	int rc = pap_msg_decode(p->body, p->len, &lim, &m, &err);
	if (rc != 0)
		fprintf(stderr, "\n  notification does not decode (%d %s):\n%s\n", err.code, err.desc, p->body);
	EXPECT(rc == 0 && m);   /* not fatal: the caller holds the listener's lock */
	if (rc != 0 || !m)
		return;
	EXPECT_INT(m->type, PAP_MSG_RESULTNOTIFICATION);
	EXPECT_STR(pap_version_str(m->version), pap_version_str(v));
	EXPECT_STR(m->push_id, push_id);
	EXPECT_INT(m->naddrs, 1);
	EXPECT_STR(m->naddrs ? m->addrs[0].raw : NULL, address);
	EXPECT_STR(pap_state_str(m->state), pap_state_str(state));
	EXPECT_INT(m->code, code);
	EXPECT(m->event_time != 0);
	EXPECT(m->received_time != 0);
	EXPECT(m->received_time <= m->event_time);
	EXPECT(m->received_time >= t_min && m->received_time <= t_max);
	EXPECT(m->event_time >= t_min && m->event_time <= t_max);
	EXPECT_STR(m->sender_name, "ppgd");
	pap_msg_free(m);
}

/* Delivered push with ppg-notify-requested-to: the PI answers the first
 * POST 500; the notification comes again after retry_min (1 s) and is
 * then answered 200; no third POST. */
static void t_notification_retried(void)
{
	NEED(dnot);
	CU_ASSERT_FATAL(pil.running);
	struct term t;
	struct sq q;
	char *scen = itest_sip_uas_scenario(dnot.dir, 200, "OK", NULL);
	char *attrs = itest_asprintf("ppg-notify-requested-to=\"%s\"", pil.url);
	const char *text = "notify me";
	time_t t_min = time(NULL) - 1;

	EXPECT_FATAL(term_start(&t, dnot.dir, "nuser", scen, 1) == 0);
	ctx_files[0] = t.msglog;
	EXPECT_INT(itest_sip_register(dnot.dir, "127.0.0.1", dnot_sip, "nuser", t.port, 600), 200);
	EXPECT_INT(push_to(&dnot, DOCTYPE_20, "notify-1@e2e", "nuser", attrs, "text/plain", text,
	    strlen(text)), 1001);
	EXPECT(wait_final(&dnot, "notify-1@e2e", 10, &q) == 0);
	EXPECT_STR(pap_state_str(q.state), "delivered");
	EXPECT(itest_pi_wait(&pil, "notify-1@e2e", 2, 10) == 0);
	sleep_s(2.5);   /* room for a wrong third POST */
	time_t t_max = time(NULL) + 1;
	char *addr = aor_address("nuser");
	pthread_mutex_lock(&pil.mu);
	size_t n = pil.n;
	printf("\n    %zu notification POST(s):", n);
	for (size_t i = 0; i < n; i++)
		printf(" [%s answered %d at +%.2f s]", pil.v[i].push_id, pil.v[i].answered,
		    pil.v[i].t - pil.v[0].t);
	EXPECT_INT(n, 2);
	if (n >= 2) {
		EXPECT_INT(pil.v[0].answered, 500);
		EXPECT_INT(pil.v[1].answered, 200);
		EXPECT(pil.v[1].t - pil.v[0].t >= 0.95);
		for (size_t i = 0; i < 2; i++)
			check_notification(&pil.v[i], PAP_V2_0, "notify-1@e2e", addr, PAP_STATE_DELIVERED, 1000,
			    t_min, t_max);
	}
	pthread_mutex_unlock(&pil.mu);
	free(addr);
	term_free(&t);
	free(scen);
	free(attrs);
	ctx_files[0] = NULL;
}

/* A PAP 1.0 push the terminal refuses (403): the notification is PAP 1.0,
 * undeliverable 2001. */
static void t_notification_pap10_undeliverable(void)
{
	NEED(dnot);
	CU_ASSERT_FATAL(pil.running);
	struct term t;
	struct sq q;
	char *scen = itest_sip_uas_scenario(dnot.dir, 403, "Forbidden", NULL);
	char *attrs = itest_asprintf("ppg-notify-requested-to=\"%s\"", pil.url);
	const char *text = "refused";
	time_t t_min = time(NULL) - 1;

	EXPECT_FATAL(term_start(&t, dnot.dir, "n10user", scen, 1) == 0);
	ctx_files[0] = t.msglog;
	EXPECT_INT(itest_sip_register(dnot.dir, "127.0.0.1", dnot_sip, "n10user", t.port, 600), 200);
	EXPECT_INT(push_to(&dnot, DOCTYPE_10, "notify-2@e2e", "n10user", attrs, "text/plain", text,
	    strlen(text)), 1001);
	EXPECT(wait_final(&dnot, "notify-2@e2e", 10, &q) == 0);
	EXPECT_STR(pap_state_str(q.state), "undeliverable");
	EXPECT_INT(q.code, 2001);
	EXPECT(itest_pi_wait(&pil, "notify-2@e2e", 1, 10) == 0);
	time_t t_max = time(NULL) + 1;
	char *addr = aor_address("n10user");
	pthread_mutex_lock(&pil.mu);
	for (size_t i = 0; i < pil.n; i++)
		if (!strcmp(pil.v[i].push_id, "notify-2@e2e")) {
			EXPECT_INT(pil.v[i].answered, 200);
			check_notification(&pil.v[i], PAP_V1_0, "notify-2@e2e", addr, PAP_STATE_UNDELIVERABLE,
			    2001, t_min, t_max);
			break;
		}
	pthread_mutex_unlock(&pil.mu);
	free(addr);
	term_free(&t);
	free(scen);
	free(attrs);
	ctx_files[0] = NULL;
}

/* deliver-after holds the first attempt back; progress notes (message-state
 * pending) reach the PI while the push waits for a registration; the final
 * notification follows the REGISTER. */
static void t_deliver_after_and_progress_notes(void)
{
	NEED(dnot);
	CU_ASSERT_FATAL(pil.running);
	struct term t;
	struct sq q;
	char when[32];
	time_t after = time(NULL) + 3;
	struct tm tm;
	gmtime_r(&after, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	char *attrs = itest_asprintf("ppg-notify-requested-to=\"%s\" progress-notes-requested=\"true\" "
	    "deliver-after-timestamp=\"%s\"", pil.url, when);
	const char *text = "later";

	EXPECT_INT(push_to(&dnot, DOCTYPE_20, "progress-1@e2e", "puser", attrs, "text/plain", text,
	    strlen(text)), 1001);
	sleep_s(1.0);
	EXPECT(statusquery(&dnot, "progress-1@e2e", &q) == 0);
	EXPECT_STR(pap_state_str(q.state), "pending");
	EXPECT(!desc_waits(&q));                      /* not attempted before deliver-after */
	EXPECT_INT(itest_pi_count(&pil, "progress-1@e2e"), 0);
	EXPECT(itest_pi_wait(&pil, "progress-1@e2e", 1, 8) == 0);   /* "waiting for a registration" */
	EXPECT(time(NULL) >= after);
	EXPECT(statusquery(&dnot, "progress-1@e2e", &q) == 0);
	EXPECT(desc_waits(&q));
	pthread_mutex_lock(&pil.mu);
	for (size_t i = 0; i < pil.n; i++)
		if (!strcmp(pil.v[i].push_id, "progress-1@e2e")) {
			EXPECT(strstr(pil.v[i].body, "message-state=\"pending\"") != NULL);
			EXPECT(strstr(pil.v[i].body, "code=\"1001\"") != NULL);
			EXPECT(strstr(pil.v[i].body, "waiting for a registration") != NULL);
			break;
		}
	pthread_mutex_unlock(&pil.mu);

	char *scen = itest_sip_uas_scenario(dnot.dir, 200, "OK", NULL);
	EXPECT_FATAL(term_start(&t, dnot.dir, "puser", scen, 1) == 0);
	ctx_files[0] = t.msglog;
	EXPECT_INT(itest_sip_register(dnot.dir, "127.0.0.1", dnot_sip, "puser", t.port, 600), 200);
	EXPECT(wait_final(&dnot, "progress-1@e2e", 10, &q) == 0);
	EXPECT_STR(pap_state_str(q.state), "delivered");
	EXPECT(itest_pi_wait(&pil, "progress-1@e2e", 2, 10) == 0);
	pthread_mutex_lock(&pil.mu);
	int finals = 0;
	for (size_t i = 0; i < pil.n; i++)
		finals += !strcmp(pil.v[i].push_id, "progress-1@e2e") &&
		    strstr(pil.v[i].body, "message-state=\"delivered\"") != NULL;
	pthread_mutex_unlock(&pil.mu);
	EXPECT_INT(finals, 1);
	term_free(&t);
	free(scen);
	free(attrs);
	ctx_files[0] = NULL;
}

/* ========================================== suite: SIP over TLS (kamailio) */

/*
 * SIP over TLS to the core (README "SIP over TLS"; OMA-TS-SIP_Push §12).
 * The test makes its certificates with openssl in dtls's tmpdir: a CA, the
 * core's certificate (CN and DNS name localhost, IP 127.0.0.1), ppgd's
 * (CN ppgd.test), and a second CA, "rogue-ca", with a core certificate of
 * the same names. Two kamailio cores (tests/kamailio/ppgd-core.cfg with
 * -A WITH_TLS), each with a tls.cfg the test writes:
 *  - kcore presents the CA's core certificate and requires (and verifies)
 *    a client certificate from the CA; dtls, a ppgd listening on TLS only
 *    (a sips: URI) with tls_verify_client, has kcore as its outbound proxy
 *    over TLS: the third-party REGISTER can only reach it over a TLS
 *    connection whose certificate verified;
 *  - krogue presents the rogue certificate (server and client); drogue, a
 *    ppgd listening on UDP/TCP and on TLS (the ;transport=tls forms), has
 *    krogue as its outbound proxy.
 * The outbound proxies are sips:localhost:PORT;maddr=127.0.0.1: the name
 * the certificate must carry, the address to connect to (sofia-sip's
 * resolver asks DNS, not /etc/hosts).
 */
static struct itest_daemon dtls, drogue;
static int dtls_port, drogue_udp, drogue_tls, kcore_udp, kcore_tls, krogue_udp, krogue_tls;
static pid_t kcore_pid, krogue_pid;
static char *kcore_log, *krogue_log, *tls_dir, *drogue_sip;
static char *dtls_sip;    /* without its outbound_proxy line */

#define TLS_SIP_KEYS "tls_certificate = %s/ppgd.pem\ntls_key = %s/ppgd.key\ntls_ca_file = %s/ca.pem\n"

/* openssl: two CAs, the core's certificate from each, ppgd's from the first. */
static const char tls_gen_sh[] =
    "set -e\n"
    "ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $1.key -out $1.pem \\\n"
    "  -days 2 -subj \"/CN=$1\" -addext basicConstraints=critical,CA:TRUE \\\n"
    "  -addext keyUsage=critical,keyCertSign,cRLSign; }\n"
    "leaf() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $1.key -out $1.csr \\\n"
    "  -subj \"/CN=$3\"\n"
    "  printf 'subjectAltName=%s\\nextendedKeyUsage=serverAuth,clientAuth\\nbasicConstraints=CA:FALSE\\n' \"$4\" \\\n"
    "    > $1.ext\n"
    "  openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial -out $1.pem -days 2 \\\n"
    "    -extfile $1.ext; }\n"
    "ca ca\n"
    "ca rogue-ca\n"
    "leaf core ca localhost DNS:localhost,IP:127.0.0.1\n"
    "leaf ppgd ca ppgd.test DNS:ppgd.test\n"
    "leaf rogue rogue-ca localhost DNS:localhost,IP:127.0.0.1\n"
    "openssl verify -CAfile ca.pem core.pem ppgd.pem\n"
    "if openssl verify -CAfile ca.pem rogue.pem; then exit 1; fi\n"
    "openssl pkey -in ppgd.key -aes256 -passout pass:secret -out ppgd-encrypted.key\n";

/* Writes the tls.cfg of a kamailio core presenting cert (core or rogue)
 * as server and client, trusting ca.pem and requiring its peers' certificates. */
static char *kam_tls_cfg(const char *name, const char *cert)
{
	char *t = itest_asprintf(
	    "[server:default]\nmethod = TLSv1.2+\nverify_certificate = yes\nrequire_certificate = yes\n"
	    "certificate = %s/%s.pem\nprivate_key = %s/%s.key\nca_list = %s/ca.pem\n\n"
	    "[client:default]\nmethod = TLSv1.2+\nverify_certificate = yes\nrequire_certificate = yes\n"
	    "certificate = %s/%s.pem\nprivate_key = %s/%s.key\nca_list = %s/ca.pem\n",
	    tls_dir, cert, tls_dir, cert, tls_dir, tls_dir, cert, tls_dir, cert, tls_dir);
	char *path = itest_write_file(tls_dir, name, t, strlen(t));
	free(t);
	return path;
}

/* Writes d's config with this [sip] section and starts it. */
static void start_ppgd_sip(struct itest_daemon *d, const char *sip)
{
	char *sections = itest_asprintf("[sip]\nenabled = yes\nfrom = " PPG_FROM "\np_asserted_identity = "
	    PPG_PAI "\n%s\n", sip);
	if (itest_std_config(d, NULL, sections) == 0)
		itest_daemon_start(d);
	free(sections);
}

static int init_tls(void)
{
	if (itest_daemon_init(&dtls, "sip-tls") != 0 || itest_daemon_init(&drogue, "sip-tls-rogue") != 0)
		return 0;
	tls_dir = itest_asprintf("%s/certs", dtls.dir);
	mkdir(tls_dir, 0700);
	char *gen = itest_write_file(tls_dir, "gen.sh", tls_gen_sh, strlen(tls_gen_sh));
	const char *argv[] = { "sh", gen, NULL };
	char *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, tls_dir, 60, NULL, &err, &code);
	free(gen);
	if (code != 0) {
		fprintf(stderr, "openssl could not make the test certificates (%d):\n%s\n", code, err ? err : "");
		free(err);
		return 0;
	}
	free(err);

	/* dtls and kcore */
	dtls_port = itest_free_port();
	kcore_udp = itest_free_port_udp_tcp();
	kcore_tls = itest_free_port();
	char *cfg = kam_tls_cfg("kcore-tls.cfg", "core");
	char *uri = itest_asprintf("sips:127.0.0.1:%d", dtls_port);
	kcore_pid = kam_start(dtls.dir, "kcore", kcore_udp, kcore_tls, cfg, uri, &kcore_log);
	free(cfg);
	free(uri);
	dtls_sip = itest_asprintf(TAB_SIP "listen = sips:127.0.0.1:%d\n" TLS_SIP_KEYS "tls_verify_client = yes\n",
	    dtls_port, tls_dir, tls_dir, tls_dir);
	char *sip = itest_asprintf("%soutbound_proxy = sips:localhost:%d;maddr=127.0.0.1\n", dtls_sip, kcore_tls);
	start_ppgd_sip(&dtls, sip);
	free(sip);

	/* drogue and krogue: transaction_timeout far above the test's waits,
	 * so that a timer F (408) cannot pass for the transport error. */
	drogue_udp = itest_free_port_udp_tcp();
	drogue_tls = itest_free_port();
	krogue_udp = itest_free_port_udp_tcp();
	krogue_tls = itest_free_port();
	cfg = kam_tls_cfg("krogue-tls.cfg", "rogue");
	uri = itest_asprintf("sips:127.0.0.1:%d", drogue_tls);
	krogue_pid = kam_start(drogue.dir, "krogue", krogue_udp, krogue_tls, cfg, uri, &krogue_log);
	free(cfg);
	free(uri);
	sip = itest_asprintf("transaction_timeout = 30\nretry_min = 1\nretry_max = 1\nmax_attempts = 2\n"
	    "listen = sip:127.0.0.1:%d, sip:127.0.0.1:%d;transport=tls\n"
	    "outbound_proxy = sip:localhost:%d;maddr=127.0.0.1;transport=tls\n" TLS_SIP_KEYS
	    "tls_verify_client = yes\n", drogue_udp, drogue_tls, krogue_tls, tls_dir, tls_dir, tls_dir);
	start_ppgd_sip(&drogue, sip);
	drogue_sip = sip;   /* t_tls_verify_off starts it again with more */
	return 0;
}

static int clean_tls(void)
{
	pid_t *pids[] = { &kcore_pid, &krogue_pid };
	for (size_t i = 0; i < 2; i++) {
		if (*pids[i] > 0)
			itest_stop_pid(*pids[i], SIGTERM, 10);
		*pids[i] = 0;
	}
	itest_daemon_destroy(&drogue, 0);
	itest_daemon_destroy(&dtls, 0);   /* holds tls_dir */
	free(kcore_log);
	free(krogue_log);
	free(tls_dir);
	free(drogue_sip);
	free(dtls_sip);
	kcore_log = krogue_log = tls_dir = drogue_sip = dtls_sip = NULL;
	return 0;
}

static struct term tterm;

/* (2) The terminal registers at kcore (UDP); kcore's third-party REGISTER
 * reaches dtls, which listens on TLS only, and creates the binding. */
static void t_tls_third_party_register(void)
{
	NEED(dtls);
	CU_ASSERT_FATAL(kcore_pid > 0);
	ctx_files[0] = kcore_log;
	char *scen = itest_sip_uas_scenario(dtls.dir, 200, "OK", NULL);
	EXPECT_FATAL(term_start(&tterm, dtls.dir, "tuser", scen, 1) == 0);
	free(scen);
	ctx_files[1] = tterm.msglog;
	EXPECT_INT(itest_sip_register(dtls.dir, "127.0.0.1", kcore_udp, "tuser", tterm.port, 600), 200);
	char *sent = itest_asprintf("third-party REGISTER to sips:127.0.0.1:%d", dtls_port);
	EXPECT(itest_wait_file_has(kcore_log, sent, 5) == 0);
	free(sent);
	char *want = itest_asprintf("registration sip:tuser@example.com -> sip:tuser@127.0.0.1:%d for 600 s",
	    tterm.port);
	EXPECT(itest_wait_log(dtls.log, want, 5) == 0);
	free(want);
	/* ppgd's one listener is TLS: nothing takes UDP on its port */
	EXPECT(!itest_udp_port_bound(dtls_port));
	EXPECT(itest_file_has(dtls.log, "SIP over TLS on sips:127.0.0.1:"));
	ctx_files[0] = ctx_files[1] = NULL;
}

/* (1) A push through kcore over TLS: delivered to the terminal (UDP
 * behind the core), the PAP result delivered 1000 and notified. */
static void t_tls_push_delivered(void)
{
	NEED(dtls);
	CU_ASSERT_FATAL(kcore_pid > 0);
	CU_ASSERT_FATAL(tterm.port > 0);
	ctx_files[0] = kcore_log;
	ctx_files[1] = tterm.msglog;
	struct itest_pi pi;
	EXPECT_FATAL(itest_pi_start(&pi, 0, 0) == 0);
	char *attrs = itest_asprintf("ppg-notify-requested-to=\"%s\"", pi.url);
	const char *text = "over TLS to the core";
	struct sq q;
	time_t t_min = time(NULL) - 1;

	EXPECT_INT(push_text(&dtls, "tls-1@e2e", "tuser", attrs, text), 1001);
	EXPECT(wait_final(&dtls, "tls-1@e2e", 10, &q) == 0);
	report_sq("through kamailio over TLS", &q);
	EXPECT_STR(pap_state_str(q.state), "delivered");
	EXPECT_INT(q.code, 1000);
	EXPECT(itest_pi_wait(&pi, "tls-1@e2e", 1, 10) == 0);
	char *addr = aor_address("tuser");
	pthread_mutex_lock(&pi.mu);
	if (pi.n >= 1)
		check_notification(&pi.v[0], PAP_V2_1, "tls-1@e2e", addr, PAP_STATE_DELIVERED, 1000, t_min,
		    time(NULL) + 1);
	pthread_mutex_unlock(&pi.mu);
	free(addr);
	itest_pi_stop(&pi);
	EXPECT_INT(term_wait(&tterm, 5), 0);

	struct itest_sip_log l;
	const struct itest_sip_msg *m[2];
	itest_sip_log_load(tterm.msglog, &l);
	EXPECT_INT(itest_sip_requests(&l, "MESSAGE", m, 2), 1);
	if (itest_sip_requests(&l, "MESSAGE", m, 2) >= 1) {
		/* kcore took it over TLS, from a client presenting ppgd.test's
		 * certificate, which kcore verified against the CA */
		char *over = itest_sip_hdr(m[0]->text, "X-Core-Received-Over");
		char *peer = itest_sip_hdr(m[0]->text, "X-Core-TLS-Peer");
		char *via1 = itest_sip_hdr_nth(m[0]->text, "Via", 1);
		char *ppg_via = itest_asprintf("SIP/2.0/TLS 127.0.0.1:%d;", dtls_port);
		EXPECT_STR(over, "tls");
		EXPECT(peer && !strncmp(peer, "cn=ppgd.test verified=1 version=TLSv1.", 38));
		EXPECT(via1 && !strncmp(via1, ppg_via, strlen(ppg_via)));
		if (peer)
			printf("\n    core's view of ppgd: %s", peer);
		size_t blen;
		const char *body = itest_sip_body(m[0], &blen);
		EXPECT(blen == strlen(text) && !memcmp(body, text, blen));
		free(over);
		free(peer);
		free(via1);
		free(ppg_via);
	}
	itest_sip_log_free(&l);
	char *relayed = itest_asprintf("MESSAGE for sip:tuser@example.com relayed to sip:tuser@127.0.0.1:%d "
	    "(received over tls)", tterm.port);
	EXPECT(itest_file_has(kcore_log, relayed));
	free(relayed);
	free(attrs);
	term_free(&tterm);
	ctx_files[0] = ctx_files[1] = NULL;
}

/* The core's certificate is from the CA but does not name the host ppgd
 * was told to reach (outbound_proxy sips:core.wrong.test;maddr=...): refused
 * like a wrong CA, local 503 retried, then undeliverable; sofia-sip logs
 * the mismatch. kcore gets nothing. */
static void t_tls_wrong_name(void)
{
	NEED(dtls);
	CU_ASSERT_FATAL(kcore_pid > 0);
	ctx_files[0] = kcore_log;
	struct sq q;
	int seen = itest_file_count(kcore_log, "core: MESSAGE for");
	itest_daemon_stop(&dtls);
	char *sip = itest_asprintf("%soutbound_proxy = sips:core.wrong.test:%d;maddr=127.0.0.1\n", dtls_sip,
	    kcore_tls);
	start_ppgd_sip(&dtls, sip);
	free(sip);
	CU_ASSERT_FATAL(dtls.pid > 0);
	EXPECT_INT(push_text(&dtls, "tls-2@e2e", "tuser", NULL, "to a core of another name"), 1001);
	EXPECT(wait_final(&dtls, "tls-2@e2e", 10, &q) == 0);
	report_sq("the core's certificate does not name the proxy's host", &q);
	EXPECT_STR(pap_state_str(q.state), "undeliverable");
	EXPECT_INT(q.code, 4000);
	EXPECT(strstr(q.desc, "SIP 503") && strstr(q.desc, "(local)"));
	EXPECT(itest_file_has(dtls.log, "Peer Subject Mismatch (core.wrong.test)"));
	EXPECT(itest_file_has(dtls.log, "no TLS connection to the core"));
	EXPECT_INT(itest_file_count(kcore_log, "core: MESSAGE for"), seen);
	ctx_files[0] = NULL;
}

/* A core whose client certificate is not from tls_ca_file: its third-party
 * REGISTER over TLS is refused in the handshake (tls_verify_client), no
 * binding. */
static void t_tls_rogue_register_refused(void)
{
	NEED(drogue);
	CU_ASSERT_FATAL(krogue_pid > 0);
	ctx_files[0] = krogue_log;
	/* krogue answers the terminal's REGISTER itself, then tries ppgd */
	EXPECT_INT(itest_sip_register(drogue.dir, "127.0.0.1", krogue_udp, "ruser", 5999, 600), 200);
	char *sent = itest_asprintf("third-party REGISTER to sips:127.0.0.1:%d", drogue_tls);
	EXPECT(itest_wait_file_has(krogue_log, sent, 5) == 0);
	free(sent);
	/* sofia-sip's reason for refusing the client's certificate */
	EXPECT(itest_wait_log(drogue.log, "issuer   = /CN=rogue-ca", 5) == 0);
	EXPECT(itest_wait_log(drogue.log, "unable to get local issuer certificate", 5) == 0);
	sleep_s(0.5);
	EXPECT(!itest_file_has(drogue.log, "registration sip:ruser@example.com"));
	ctx_files[0] = NULL;
}

/* (3) The core presents a certificate from another CA: ppgd refuses the
 * connection, the MESSAGE ends as a local 503 at once (not a timer F 408
 * 30 s later), is retried after retry_min and ends undeliverable 4000 after
 * max_attempts; krogue relayed nothing; a log line says why. */
static void t_tls_rogue_core_refused(void)
{
	NEED(drogue);
	CU_ASSERT_FATAL(krogue_pid > 0);
	ctx_files[0] = krogue_log;
	struct sq q;
	/* a binding made straight over UDP (trusted 127.0.0.1) */
	EXPECT_INT(itest_sip_register(drogue.dir, "127.0.0.1", drogue_udp, "vuser", 5998, 600), 200);
	double t0 = itest_now();
	EXPECT_INT(push_text(&drogue, "rogue-1@e2e", "vuser", NULL, "never to a rogue core"), 1001);
	EXPECT(wait_final(&drogue, "rogue-1@e2e", 10, &q) == 0);
	double took = itest_now() - t0;
	report_sq("core with a certificate from another CA", &q);
	printf("\n    final after %.2f s (2 attempts, retry_min 1 s)", took);
	EXPECT_STR(pap_state_str(q.state), "undeliverable");
	EXPECT_INT(q.code, 4000);
	EXPECT(strstr(q.desc, "SIP 503") && strstr(q.desc, "(local)"));
	EXPECT(took >= 0.9 && took < 6);
	char *line = itest_asprintf("MESSAGE to the core sip:localhost:%d;maddr=127.0.0.1;transport=tls ended 503 ",
	    krogue_tls);
	EXPECT(itest_file_has(drogue.log, line));
	free(line);
	EXPECT(itest_file_has(drogue.log, "no TLS connection to the core"));
	EXPECT(itest_file_has(drogue.log, "unable to get local issuer certificate"));
	EXPECT(!itest_file_has(krogue_log, "MESSAGE for"));
	ctx_files[0] = NULL;
}

/* (4) A TLS configuration that cannot work: ppgd -t and a start both fail
 * with the file and the reason. */
/* tls_verify = no: the same rogue core is reached, encrypted but not
 * authenticated: krogue takes the MESSAGE over TLS and answers 404 (nobody
 * registered there), which ends the push undeliverable 2003. */
static void t_tls_verify_off(void)
{
	NEED(drogue);
	CU_ASSERT_FATAL(krogue_pid > 0);
	ctx_files[0] = krogue_log;
	struct sq q;
	itest_daemon_stop(&drogue);
	char *sip = itest_asprintf("%stls_verify = no\n", drogue_sip);
	start_ppgd_sip(&drogue, sip);
	free(sip);
	CU_ASSERT_FATAL(drogue.pid > 0);
	EXPECT(itest_wait_log(drogue.log, "the core's certificate NOT verified", 5) == 0);
	EXPECT_INT(push_text(&drogue, "rogue-2@e2e", "vuser", NULL, "to any core"), 1001);
	EXPECT(wait_final(&drogue, "rogue-2@e2e", 10, &q) == 0);
	report_sq("tls_verify = no, the rogue core", &q);
	EXPECT_STR(pap_state_str(q.state), "undeliverable");
	EXPECT_INT(q.code, 2003);
	EXPECT(strstr(q.desc, "SIP 404") != NULL);
	EXPECT(itest_file_has(krogue_log, "MESSAGE for sip:vuser@example.com: no registration"));
	ctx_files[0] = NULL;
}

/* tmpl with every "@D@" replaced by tls_dir; malloc'ed. */
static char *subst_dir(const char *tmpl)
{
	char *s = strdup(tmpl), *at;
	while ((at = strstr(s, "@D@")) != NULL) {
		*at = '\0';
		char *n = itest_asprintf("%s%s%s", s, tls_dir, at + 3);
		free(s);
		s = n;
	}
	return s;
}

static void t_tls_bad_config(void)
{
	CU_ASSERT_FATAL(tls_dir != NULL);
	struct {
		const char *sip;      /* [sip] lines; @D@: tls_dir */
		const char *want;
	} bad[] = {
		{ "listen = sips:127.0.0.1:5061\ntls_certificate = @D@/missing.pem\ntls_key = @D@/ppgd.key\n"
		  "tls_ca_file = @D@/ca.pem\n", "tls_certificate: cannot open @D@/missing.pem: No such file" },
		{ "listen = sips:127.0.0.1:5061\ntls_certificate = @D@/ppgd.pem\ntls_key = @D@/ppgd.pem\n"
		  "tls_ca_file = @D@/ca.pem\n", "tls_key: @D@/ppgd.pem holds no PEM private key" },
		{ "listen = sips:127.0.0.1:5061\ntls_certificate = @D@/ppgd.pem\ntls_key = @D@/ppgd-encrypted.key\n"
		  "tls_ca_file = @D@/ca.pem\n", "tls_key: @D@/ppgd-encrypted.key holds an encrypted private key" },
		{ "listen = sips:127.0.0.1:5061\ntls_certificate = @D@/ppgd.pem\ntls_key = @D@/ppgd.key\n"
		  "tls_ca_file = @D@/ppgd.key\n", "tls_ca_file: @D@/ppgd.key holds no PEM certificate" },
		{ "listen = sips:127.0.0.1:5061\ntls_certificate = @D@/ppgd.pem\n", "tls_ca_file is not set" },
		{ "listen = sip:127.0.0.1:5060\noutbound_proxy = sips:core.example\n",
		  "outbound_proxy sips:core.example is reached over TLS: [sip] listen needs a TLS URI" },
		{ "listen = sips:127.0.0.1:5061, sips:127.0.0.1:5062\n", "more than one TLS URI" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct itest_daemon d;
		EXPECT_FATAL(itest_daemon_init(&d, "sip-tls-bad") == 0);
		char *sip = subst_dir(bad[i].sip), *want = subst_dir(bad[i].want);
		start_ppgd_sip(&d, sip);   /* fails: the config is refused */
		EXPECT(d.pid <= 0);
		EXPECT(itest_file_has(d.log, want));
		const char *argv[] = { itest_ppgd_path(), "-c", d.conf, "-t", NULL };
		char *err = NULL;
		int code = -1;
		itest_run_full(argv, NULL, d.dir, 10, NULL, &err, &code);
		if (!err || !strstr(err, want) || code != 1)
			fprintf(stderr, "\n  case %zu: ppgd -t exit %d: %s  want: %s\n", i, code, err ? err : "", want);
		EXPECT_INT(code, 1);
		EXPECT(err && strstr(err, want) && strstr(err, "ppgd.conf:"));
		free(err);
		free(sip);
		free(want);
		itest_daemon_destroy(&d, 0);
	}
}

/* ==================================== suite: the loop while SQL waits */

/*
 * The test process holds ppgd's database write-locked (BEGIN IMMEDIATE on
 * its own connection: in WAL mode the one writer lock), so ppgd's writer
 * thread waits in its busy handler (busy timeout 5 s, db/db_sqlite.c) for
 * LOCK_S. Meanwhile the SIP loop must go on: an OPTIONS is answered at
 * once, a third-party REGISTER stays open (it is answered after its
 * binding is committed) and gets its 200 once the lock is released; the
 * binding is then used by a push.
 */
#define LOCK_S 2.0

static struct itest_daemon dbusy;
static int dbusy_sip;

static int init_busy(void)
{
	start_ppgd(&dbusy, "sip-busy", TAB_SIP, NULL, &dbusy_sip);
	return 0;
}

static int clean_busy(void)
{
	itest_daemon_destroy(&dbusy, 0);
	return 0;
}

/* Runs tests/sipp/e2e_options.xml against 127.0.0.1:port; returns the
 * final status and, in *took, the time from the OPTIONS to it as sipp
 * logged them (-1 when there was none); *sent: when the OPTIONS went out
 * (wall clock, -1 when it did not). */
static int sip_options(const char *dir, int port, double *took, double *sent)
{
	static int seq;
	char dst[32];
	char *log = itest_asprintf("%s/options_%d.msg", dir, ++seq);
	snprintf(dst, sizeof dst, "127.0.0.1:%d", port);
	const char *argv[] = { "sipp", "-sf", tu_src("tests/sipp/e2e_options.xml"), "-m", "1",
		"-i", "127.0.0.1", "-nostdin", "-trace_msg", "-message_file", log, "-timeout", "10s",
		"-recv_timeout", "5000", dst, NULL };
	int code = -1;
	char *out = NULL, *err = NULL;
	itest_run_full(argv, NULL, dir, 20, &out, &err, &code);
	free(out);
	free(err);
	struct itest_sip_log l;
	itest_sip_log_load(log, &l);
	const struct itest_sip_msg *req = sip_sent_request(&l, "OPTIONS"), *fin = sip_final_response(&l);
	int st = sip_status(fin);
	*took = req && fin ? fin->t - req->t : -1;
	*sent = req ? req->t : -1;
	itest_sip_log_free(&l);
	free(log);
	return st;
}

static void t_register_while_writer_busy(void)
{
	NEED(dbusy);
	struct term t;
	struct sq q;
	char *scen = itest_sip_uas_scenario(dbusy.dir, 200, "OK", NULL);
	const char *text = "after the busy writer";

	EXPECT_FATAL(term_start(&t, dbusy.dir, "buser", scen, 1) == 0);
	free(scen);
	ctx_files[0] = t.msglog;

	/* The writer lock, from this process. */
	char *dbpath = itest_asprintf("%s/ppgd.db", dbusy.dir);
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL);
	free(dbpath);
	if (rc != SQLITE_OK)
		fprintf(stderr, "\n  cannot open ppgd's database: %s\n", db ? sqlite3_errmsg(db) : "?");
	EXPECT_FATAL(rc == SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		fprintf(stderr, "\n  BEGIN IMMEDIATE: %s\n", sqlite3_errmsg(db));
	EXPECT_FATAL(rc == SQLITE_OK);
	double w_lock = wall_now();

	/* The REGISTER, in the background. */
	char *reglog = NULL;
	pid_t reg = sip_register_spawn(dbusy.dir, dbusy_sip, "buser", t.port, 600, &reglog);
	ctx_files[1] = reglog;
	EXPECT(reg > 0);
	/* (i) the loop answers an OPTIONS at once while the writer waits */
	sleep_s(0.3);
	double opt_took = -1, opt_sent = -1;
	int opt = sip_options(dbusy.dir, dbusy_sip, &opt_took, &opt_sent);
	EXPECT_INT(opt, 200);
	EXPECT(opt_took >= 0 && opt_took < 0.3);
	/* (ii) no final answer to the REGISTER as long as the lock is held */
	sleep_s(LOCK_S - (wall_now() - w_lock));
	struct itest_sip_log l;
	itest_sip_log_load(reglog, &l);
	const struct itest_sip_msg *sent = sip_sent_request(&l, "REGISTER");
	const struct itest_sip_msg *early = sip_final_response(&l);
	double t_sent = sent ? sent->t : -1;
	EXPECT(sent != NULL);
	/* the OPTIONS came while the REGISTER waited for the writer */
	EXPECT(sent && opt_sent > t_sent);
	if (early)
		fprintf(stderr, "\n  REGISTER answered %.3f s after it was sent, with the database locked:\n%s\n",
		    early->t - t_sent, early->text);
	EXPECT(early == NULL);
	itest_sip_log_free(&l);
	int code = -1;
	EXPECT(reg <= 0 || itest_wait_pid(reg, 0, &code) < 0);   /* sipp still waits */

	double w_unlock_0 = wall_now();
	rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	double w_unlock = wall_now();
	EXPECT_INT(rc, SQLITE_OK);
	sqlite3_close(db);

	/* The 200 comes once the binding is committed, with the contact. */
	if (reg > 0 && itest_wait_pid(reg, 10, &code) < 0)
		itest_stop_pid(reg, SIGTERM, 2);
	EXPECT_INT(code, 0);
	itest_sip_log_load(reglog, &l);
	const struct itest_sip_msg *fin = sip_final_response(&l);
	EXPECT_INT(sip_status(fin), 200);
	double after = fin ? fin->t - w_unlock : -1;
	printf("\n    database locked %.2f s; OPTIONS answered in %.1f ms during the lock; REGISTER sent "
	    "%.3f s into the lock, its %d %.3f s after the release (%.3f s after it was sent)",
	    w_unlock - w_lock, opt_took * 1000, t_sent - w_lock, sip_status(fin), after,
	    fin && sent ? fin->t - t_sent : -1);
	EXPECT(fin && fin->t >= w_unlock_0 - 0.005);
	EXPECT(fin && after < 1.5);
	if (fin) {
		char *contact = itest_sip_hdr(fin->text, "Contact");
		char *want = itest_asprintf("<sip:buser@127.0.0.1:%d>", t.port);
		if (!contact || !strstr(contact, want))
			fprintf(stderr, "\n  Contact of the 200: \"%s\", expected %s\n", contact ? contact : "(none)",
			    want);
		EXPECT(contact && strstr(contact, want));
		free(contact);
		free(want);
	}
	itest_sip_log_free(&l);

	/* (iii) the binding was stored: a push to the AoR is delivered. */
	EXPECT_INT(push_text(&dbusy, "busy-1@e2e", "buser", NULL, text), 1001);
	EXPECT(wait_final(&dbusy, "busy-1@e2e", 10, &q) == 0);
	report_sq("after the busy writer", &q);
	EXPECT_STR(pap_state_str(q.state), "delivered");
	EXPECT_INT(q.code, 1000);
	EXPECT_INT(term_wait(&t, 5), 0);
	struct itest_sip_log tl;
	const struct itest_sip_msg *m[4];
	itest_sip_log_load(t.msglog, &tl);
	EXPECT_INT(itest_sip_requests(&tl, "MESSAGE", m, 4), 1);
	if (tl.n && itest_sip_requests(&tl, "MESSAGE", m, 4) == 1)
		check_message(m[0], "buser", t.port, "text/plain", text, strlen(text));
	itest_sip_log_free(&tl);
	term_free(&t);
	free(reglog);
	ctx_files[0] = ctx_files[1] = NULL;
}

/* ================================ suite: kill -9 in the middle of a load */

/*
 * 300 pushes (4 PI threads) with result notifications to 10 registered
 * AoRs whose terminal is one sipp UAS that stays up. When about half were
 * accepted, ppgd is killed with SIGKILL and restarted on the same database.
 * A PI thread whose request failed (connection refused or cut) sends the
 * same push again once ppgd is back: 1001 (it was not stored) or 2007 (it
 * was stored, the answer was lost). Every push answered 1001 or 2007 must
 * then reach delivered/1000, and its notification must reach the PI at
 * least once. Duplicates (MESSAGEs, notifications) are allowed
 * (at-least-once) and counted.
 */
#define NLOAD 300
#define NLUSERS 10
#define NPUSHERS 4

static struct itest_daemon dload;
static int dload_sip;
static struct itest_pi lpil;

struct lpush {
	char id[32];
	char user[16];
	char text[48];
	int result;          /* push-response code, -1 when it never got one */
	int before_kill;     /* the 1001 came before the kill */
	int tries;
};
static struct lpush lp[NLOAD];
static atomic_int lnext, laccepted, lkilled, labort;

static int init_load(void)
{
	start_ppgd(&dload, "sip-load", TAB_SIP, "retry_min = 1\nretry_max = 2\ntimeout = 2\n", &dload_sip);
	itest_pi_start(&lpil, 0, 0);
	return 0;
}

static int clean_load(void)
{
	itest_pi_stop(&lpil);
	itest_daemon_destroy(&dload, 0);
	return 0;
}

/* One push of the load; the push-response code, or -1 on a transport error. */
static int load_push_once(struct lpush *p, const char *notify_url)
{
	char *addr = aor_address(p->user);
	char *attrs = itest_asprintf("ppg-notify-requested-to=\"%s\"", notify_url);
	size_t len;
	char *body = push_body(DOCTYPE_21, p->id, addr, attrs, "text/plain", p->text, strlen(p->text), &len);
	struct itest_resp r;
	int code = -1;
	if (itest_http("POST", dload.url, MULTIPART_CT, body, len, ALICE, &r) == 0 && r.status == 202) {
		struct pap_limits lim = PAP_LIMITS_DEFAULT;
		struct pap_msg *m = NULL;
		struct pap_error err;
		if (pap_msg_decode(r.body, r.len, &lim, &m, &err) == 0)
			code = msg_code(m);
		pap_msg_free(m);
	}
	itest_resp_free(&r);
	free(body);
	free(attrs);
	free(addr);
	return code;
}

static void *load_pusher(void *arg)
{
	const char *url = arg;
	for (;;) {
		int i = atomic_fetch_add(&lnext, 1);
		if (i >= NLOAD)
			break;
		struct lpush *p = &lp[i];
		double give_up = itest_now() + 30;
		for (;;) {
			p->tries++;
			int code = load_push_once(p, url);
			if (code > 0) {
				p->result = code;
				if (code == 1001) {
					p->before_kill = !atomic_load(&lkilled);
					atomic_fetch_add(&laccepted, 1);
				}
				break;
			}
			if (itest_now() > give_up || atomic_load(&labort)) {
				p->result = -1;
				break;
			}
			usleep(50000);
		}
	}
	return NULL;
}

struct cid_idx {
	char *cid;
	int push;
};

static int cmp_cid(const void *a, const void *b)
{
	return strcmp(((const struct cid_idx *)a)->cid, ((const struct cid_idx *)b)->cid);
}

static void t_kill9_under_load(void)
{
	NEED(dload);
	CU_ASSERT_FATAL(lpil.running);
	struct term t;
	char *scen = itest_sip_uas_scenario(dload.dir, 200, "OK", NULL);
	const char *users[NLUSERS];
	int ports[NLUSERS], st[NLUSERS];
	char unames[NLUSERS][16];

	EXPECT_FATAL(term_start(&t, dload.dir, "load", scen, 100000) == 0);
	free(scen);
	ctx_files[0] = t.out;
	for (int k = 0; k < NLUSERS; k++) {
		snprintf(unames[k], sizeof unames[k], "luser%d", k);
		users[k] = unames[k];
		ports[k] = t.port;
	}
	EXPECT_INT(sip_register_many(dload.dir, "127.0.0.1", dload_sip, users, ports, 600, NLUSERS, st), NLUSERS);
	for (int i = 0; i < NLOAD; i++) {
		snprintf(lp[i].id, sizeof lp[i].id, "load-%03d@e2e", i);
		snprintf(lp[i].user, sizeof lp[i].user, "luser%d", i % NLUSERS);
		snprintf(lp[i].text, sizeof lp[i].text, "load push %03d", i);
	}
	struct sq q;
	statusquery(&dload, "warm-up", &q);   /* libcurl's global init, in this thread */

	pthread_t th[NPUSHERS];
	double t0 = itest_now();
	for (int k = 0; k < NPUSHERS; k++)
		EXPECT_FATAL(pthread_create(&th[k], NULL, load_pusher, lpil.url) == 0);
	while (atomic_load(&laccepted) < NLOAD / 2 && itest_now() - t0 < 60)
		usleep(2000);
	int at_kill = atomic_load(&laccepted);
	atomic_store(&lkilled, 1);
	double wall_kill = wall_now();
	int kst = itest_daemon_kill(&dload);
	EXPECT(kst >= 0 && WIFSIGNALED(kst) && WTERMSIG(kst) == SIGKILL);
	double t_kill = itest_now();
	int restarted = itest_daemon_start(&dload) == 0;
	double t_restart = itest_now();
	if (!restarted)
		atomic_store(&labort, 1);   /* the PI threads stop retrying */
	EXPECT(restarted);
	for (int k = 0; k < NPUSHERS; k++)
		pthread_join(th[k], NULL);
	double t_pushed = itest_now();
	if (!restarted) {
		term_free(&t);
		return;
	}

	int n1001_before = 0, n1001_after = 0, n2007 = 0, nnone = 0, nother = 0, retried = 0;
	for (int i = 0; i < NLOAD; i++) {
		if (lp[i].result == 1001 && lp[i].before_kill)
			n1001_before++;
		else if (lp[i].result == 1001)
			n1001_after++;
		else if (lp[i].result == 2007)
			n2007++;
		else if (lp[i].result == -1)
			nnone++;
		else
			nother++;
		retried += lp[i].tries > 1;
	}
	printf("\n    kill -9 after %d accepted (%.2f s into the load), restarted in %.2f s; pushes: "
	    "%d accepted before the kill, %d after, %d resent and answered 2007 (stored, answer lost), "
	    "%d without an answer, %d other; %d needed more than one try; all pushed in %.2f s",
	    at_kill, t_kill - t0, t_restart - t_kill, n1001_before, n1001_after, n2007, nnone, nother, retried,
	    t_pushed - t0);
	EXPECT_INT(nnone, 0);
	EXPECT_INT(nother, 0);
	EXPECT(n1001_before >= NLOAD / 2);

	/* Every stored push reaches delivered. */
	int final[NLOAD] = { 0 }, left = 0;
	struct sq qs[NLOAD];
	double end = itest_now() + 60;
	do {
		left = 0;
		for (int i = 0; i < NLOAD; i++) {
			if (final[i] || (lp[i].result != 1001 && lp[i].result != 2007))
				continue;
			if (statusquery(&dload, lp[i].id, &qs[i]) == 0 && qs[i].state != PAP_STATE_PENDING)
				final[i] = 1;
			else
				left++;
		}
		if (left)
			sleep_s(0.2);
	} while (left && itest_now() < end);
	double t_final = itest_now();
	int ndelivered = 0, nbad = 0;
	for (int i = 0; i < NLOAD; i++) {
		if (lp[i].result != 1001 && lp[i].result != 2007)
			continue;
		if (final[i] && qs[i].state == PAP_STATE_DELIVERED && qs[i].code == 1000) {
			ndelivered++;
		} else if (nbad++ < 10) {
			fprintf(stderr, "\n  %s (answered %d%s): %s %d \"%s\"", lp[i].id, lp[i].result,
			    lp[i].before_kill ? " before the kill" : "", final[i] ? pap_state_str(qs[i].state) :
			    "not final", qs[i].code, qs[i].desc);
		}
	}
	int stored = n1001_before + n1001_after + n2007;
	printf("\n    %d of %d stored pushes delivered/1000, %.2f s after the restart", ndelivered, stored,
	    t_final - t_restart);
	EXPECT_INT(left, 0);
	EXPECT_INT(ndelivered, stored);

	/* Every requested notification reaches the PI (at least once). */
	double nend = itest_now() + 40;
	int missing;
	do {
		missing = 0;
		pthread_mutex_lock(&lpil.mu);
		for (int i = 0; i < NLOAD; i++) {
			if (lp[i].result != 1001 && lp[i].result != 2007)
				continue;
			int seen = 0;
			for (size_t k = 0; k < lpil.n && !seen; k++)
				seen = !strcmp(lpil.v[k].push_id, lp[i].id);
			missing += !seen;
		}
		pthread_mutex_unlock(&lpil.mu);
		if (missing)
			sleep_s(0.2);
	} while (missing && itest_now() < nend);
	pthread_mutex_lock(&lpil.mu);
	size_t nposts = lpil.n;
	int distinct = 0, ndup_notes = 0, wrong_state = 0;
	for (int i = 0; i < NLOAD; i++) {
		int c = 0;
		for (size_t k = 0; k < lpil.n; k++)
			if (!strcmp(lpil.v[k].push_id, lp[i].id)) {
				c++;
				if (!strstr(lpil.v[k].body, "message-state=\"delivered\"") ||
				    !strstr(lpil.v[k].body, "code=\"1000\""))
					wrong_state++;
			}
		distinct += c > 0;
		ndup_notes += c > 1 ? c - 1 : 0;
	}
	pthread_mutex_unlock(&lpil.mu);
	printf("\n    notifications: %zu POSTs, %d distinct push-ids, %d duplicates, %d missing "
	    "(%.2f s after the restart)", nposts, distinct, ndup_notes, missing, itest_now() - t_restart);
	EXPECT_INT(missing, 0);
	EXPECT(distinct >= stored);
	EXPECT_INT(wrong_state, 0);

	/* What the terminal got: every stored push at least once. */
	term_stop(&t);
	struct itest_sip_log l;
	itest_sip_log_load(t.msglog, &l);
	struct cid_idx *ci = calloc(l.n + 1, sizeof *ci);
	size_t nci = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (!itest_sip_is_request(&l.v[i], "MESSAGE"))
			continue;
		size_t blen;
		const char *b = itest_sip_body(&l.v[i], &blen);
		int idx = -1;
		if (blen >= 13 && sscanf(b, "load push %d", &idx) == 1 && idx >= 0 && idx < NLOAD) {
			ci[nci].cid = itest_sip_hdr(l.v[i].text, "Call-ID");
			ci[nci].push = idx;
			if (ci[nci].cid)
				nci++;
		}
	}
	qsort(ci, nci, sizeof *ci, cmp_cid);
	int count[NLOAD] = { 0 };
	double first[NLOAD];
	size_t nmsg = 0;
	for (size_t i = 0; i < nci; i++)
		if (i == 0 || strcmp(ci[i].cid, ci[i - 1].cid)) {
			if (!count[ci[i].push]++)
				first[ci[i].push] = 1e18;
			nmsg++;
		}
	/* when each push first reached the terminal */
	for (size_t i = 0; i < l.n; i++) {
		int idx = -1;
		size_t blen;
		const char *b = itest_sip_is_request(&l.v[i], "MESSAGE") ? itest_sip_body(&l.v[i], &blen) : NULL;
		if (b && blen >= 13 && sscanf(b, "load push %d", &idx) == 1 && idx >= 0 && idx < NLOAD &&
		    count[idx] && l.v[i].t < first[idx])
			first[idx] = l.v[i].t;
	}
	int nsip_missing = 0, nsip_dup = 0, dup_after = 0, inflight = 0;
	for (int i = 0; i < NLOAD; i++) {
		if ((lp[i].result == 1001 || lp[i].result == 2007) && count[i] == 0)
			nsip_missing++;
		nsip_dup += count[i] > 1 ? count[i] - 1 : 0;
		inflight += count[i] && first[i] <= wall_kill;
		/* A push first sent after the restart must not come twice. The
		 * terminal logs a MESSAGE when it reads it: one the old process sent
		 * just before the kill may be logged a few ms after it (50 ms margin). */
		if (count[i] > 1 && first[i] > wall_kill + 0.05) {
			if (dup_after++ < 5)
				fprintf(stderr, "\n  %s first sent after the restart, received %d times", lp[i].id,
				    count[i]);
		}
	}
	printf("\n    terminal: %zu MESSAGEs, %d duplicates (%d pushes had reached the terminal before "
	    "the kill), %d stored pushes never received", nmsg, nsip_dup, inflight, nsip_missing);
	EXPECT_INT(nsip_missing, 0);
	EXPECT_INT(dup_after, 0);
	EXPECT(nsip_dup <= inflight);
	for (size_t i = 0; i < nci; i++)
		free(ci[i].cid);
	free(ci);
	itest_sip_log_free(&l);
	term_free(&t);
	ctx_files[0] = NULL;
}

/* ---------------------------------------------------------------- main */

int main(void)
{
	static struct itest_test_def table[NCASES + 3];
	static const struct itest_test_def reg[] = {
		{ "push waits for a registration; REGISTER releases it; de-REGISTER", t_register_deregister },
		{ "REGISTER from an untrusted address -> 403, no binding", t_register_untrusted_403 },
		{ "bindings survive a restart (SIGTERM)", t_bindings_survive_restart },
		{ "a binding ends when its registration expires", t_binding_expires },
		{ NULL, NULL },
	};
	static const struct itest_test_def gruu[] = {
		{ "terminal = gruu: the newest terminal, by its GRUU", t_gruu_newest_terminal },
		{ "a push addressed to a GRUU: that terminal only; an unknown GRUU waits",
		  t_gruu_addressed_terminal },
		{ NULL, NULL },
	};
	static const struct itest_test_def kam[] = {
		{ "terminal REGISTERs at kamailio; third-party REGISTER; MESSAGE via kamailio",
		  t_kamailio_register_and_route },
		{ "de-REGISTER at kamailio reaches ppgd; the next push waits", t_kamailio_deregister },
		{ NULL, NULL },
	};
	static const struct itest_test_def tls[] = {
		{ "third-party REGISTER from kamailio over TLS (ppgd listens on sips: only) creates the binding",
		  t_tls_third_party_register },
		{ "push through kamailio over TLS (mutual certificates): delivered 1000, notified",
		  t_tls_push_delivered },
		{ "core's certificate does not name the outbound proxy's host: refused, undeliverable",
		  t_tls_wrong_name },
		{ "core with a client certificate from another CA: REGISTER refused in the handshake",
		  t_tls_rogue_register_refused },
		{ "core with a server certificate from another CA: refused, local 503 retried, undeliverable",
		  t_tls_rogue_core_refused },
		{ "tls_verify = no: the same core is reached (encrypted, not authenticated)", t_tls_verify_off },
		{ "missing or wrong TLS files, sips: proxy without TLS listen: ppgd -t and start fail",
		  t_tls_bad_config },
		{ NULL, NULL },
	};
	static const struct itest_test_def ind[] = {
		{ "2000 bytes: message/external-body, fetch 200, delivered, then 404", t_indirection_fetched },
		{ "2000 bytes never fetched: timeout 4000 after fetch_timeout", t_indirection_not_fetched },
		{ "a cancelled push's content URL answers 404 at once", t_indirection_cancelled_404 },
		{ NULL, NULL },
	};
	static const struct itest_test_def busy[] = {
		{ "REGISTER answered while the writer is held busy", t_register_while_writer_busy },
		{ NULL, NULL },
	};
	static const struct itest_test_def notify[] = {
		{ "notification answered 500 is retried, then delivered once", t_notification_retried },
		{ "PAP 1.0 push refused with 403: notification 1.0 undeliverable 2001",
		  t_notification_pap10_undeliverable },
		{ "deliver-after, progress notes while waiting, final notification",
		  t_deliver_after_and_progress_notes },
		{ NULL, NULL },
	};
	static const struct itest_test_def load[] = {
		{ "kill -9 under load: every stored push delivered and notified", t_kill9_under_load },
		{ NULL, NULL },
	};

	table[0].name = "outcome table: terminals, bindings, pushes, final states";
	table[0].fn = t_table_run;
	for (size_t i = 0; i < NCASES; i++) {
		table[i + 1].name = cases[i].name;
		table[i + 1].fn = case_fns[i];
	}
	table[NCASES + 1].name = "[sip] no_binding = fail -> undeliverable 2003 at once";
	table[NCASES + 1].fn = t_no_binding_fail_2003;

	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("SIP -> PAP outcome table", init_table, clean_table, table) ||
	    itest_add_suite("third-party registrations", init_reg, clean_reg, reg) ||
	    itest_add_suite("GRUU", init_gruu, clean_gruu, gruu) ||
	    itest_add_suite("kamailio as the SIP/IP core", init_kam, clean_kam, kam) ||
	    itest_add_suite("SIP over TLS", init_tls, clean_tls, tls) ||
	    itest_add_suite("content indirection", init_ind, clean_ind, ind) ||
	    itest_add_suite("the SIP loop while the writer waits", init_busy, clean_busy, busy) ||
	    itest_add_suite("result notifications", init_not, clean_not, notify) ||
	    itest_add_suite("kill -9 under load", init_load, clean_load, load)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
