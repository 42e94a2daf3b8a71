/*
 * test_select_e2e.c - which of a user's terminals a push reaches (issue 9
 * items 3, 4, 5; README "Terminal selection"), end to end: the real ppgd,
 * driven through PAP over HTTP, and real peers the tests start:
 *   - sipp terminals (tests/sipp/select_uas.xml: every MESSAGE and NOTIFY
 *     answered 200, an INVITE refused 488), each with its own contact,
 *     two per AoR, registered by third-party REGISTERs
 *     (tests/sipp/select_register.xml) with their applications, q-values
 *     and +sip.instance; some subscribe to ua-profile
 *     (tests/sipp/select_subscribe.xml) telling the content types they take;
 *   - kamailio (tests/kamailio/ppgd-callee-caps.cfg) as the S-CSCF, which
 *     forks ppgd's MESSAGE and INVITE only to the contacts that advertise
 *     the Accept-Contact's push application.
 * What each terminal received is read from its sipp message log (the
 * body text of each push is unique); outcomes through statusquery.
 * Processes are started and stopped by PID (tests/itest.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "pap/pap.h"
#include "tests/itest.h"
#include "tests/itest_sip.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BOUNDARY "sel-5b1e"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""
#define ALICE "alice", ITEST_ALICE_SECRET
#define APP_MMS "x-wap-application:mms.ua"
#define APP_SIA "x-wap-application:push.sia"
#define INST_A "urn:uuid:0000000a-0000-4000-8000-00000000000a"
#define INST_B "urn:uuid:0000000b-0000-4000-8000-00000000000b"

static struct itest_daemon *cur;   /* the daemon whose log a failure shows */
static const char *ctx_log;

static void show_ctx(const char *what)
{
	fprintf(stderr, "\n  FAILED: %s\n", what);
	if (cur)
		itest_daemon_print_log(cur, 4000);
	itest_print_tail("peer log", ctx_log, 3000);
}

#define EXPECT(c) do { int ok_ = (c) ? 1 : 0; if (!ok_) show_ctx(#c); CU_ASSERT(ok_); } while (0)
#define EXPECT_INT(a, e) do { long a_ = (long)(a), e_ = (long)(e); \
	if (a_ != e_) { fprintf(stderr, "\n  %s = %ld, expected %ld", #a, a_, e_); show_ctx(#a); } \
	CU_ASSERT(a_ == e_); } while (0)

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------ PAP */

/* Pushes text of ctype for application app_id (NULL: none, wml.ua) to
 * the USER address value (escaped). The push-response code. */
static int push(struct itest_daemon *d, const char *push_id, const char *addr, const char *app_id,
    const char *ctype, const char *text)
{
	char *body = itest_asprintf(
	    "--" BOUNDARY "\r\nContent-Type: application/xml; charset=UTF-8\r\n\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>\n"
	    "<push-message push-id=\"%s\">\n"
	    "  <address address-value=\"WAPPUSH=%s/TYPE=USER\"/>\n"
	    "</push-message>\n</pap>\r\n"
	    "--" BOUNDARY "\r\nContent-Type: %s\r\n%s%s%s\r\n%s\r\n--" BOUNDARY "--\r\n",
	    push_id, addr, ctype, app_id ? "X-Wap-Application-Id: " : "", app_id ? app_id : "",
	    app_id ? "\r\n" : "", text);
	struct pap_msg *m = itest_pap_post(d, ALICE, MULTIPART_CT, body, strlen(body));
	int code = !m ? -1 : m->nresults ? m->results[0].code : m->code;
	pap_msg_free(m);
	free(body);
	return code;
}

/* The escaped USER value of the temp-gruu sip:TG@example.com;gr. */
static char *addr_temp(const char *tg)
{
	return itest_asprintf("sip%%3A%s%%40example.com%%3Bgr", tg);
}

/* The escaped USER value of sip:USER@example.com, with ;gr=INSTANCE when set. */
static char *addr_of(const char *user, const char *inst)
{
	if (!inst)
		return itest_asprintf("sip%%3A%s%%40example.com", user);
	char esc[200];
	size_t n = 0;
	for (const char *p = inst; *p && n + 4 < sizeof esc; p++)
		n += (size_t)(*p == ':' ? snprintf(esc + n, sizeof esc - n, "%%3A") :
		    snprintf(esc + n, sizeof esc - n, "%c", *p));
	return itest_asprintf("sip%%3A%s%%40example.com%%3Bgr%%3D%s", user, esc);
}

struct sq {
	enum pap_state state;
	int code;
	char desc[512];
};

static int statusquery(struct itest_daemon *d, const char *push_id, struct sq *q)
{
	char *doc = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>"
	    "<statusquery-message push-id=\"%s\"/></pap>", push_id);
	struct pap_msg *m = itest_pap_post(d, ALICE, "application/xml", doc, strlen(doc));
	free(doc);
	memset(q, 0, sizeof *q);
	q->code = -1;
	int ok = m && m->type == PAP_MSG_STATUSQUERY_RESPONSE && m->nresults >= 1;
	if (ok) {
		q->state = m->results[0].state;
		q->code = m->results[0].code;
		snprintf(q->desc, sizeof q->desc, "%s", m->results[0].desc ? m->results[0].desc : "");
	}
	pap_msg_free(m);
	return ok ? 0 : -1;
}

static int wait_final(struct itest_daemon *d, const char *push_id, double timeout_s, struct sq *q)
{
	double end = itest_now() + timeout_s;
	for (;;) {
		if (statusquery(d, push_id, q) == 0 && q->state != PAP_STATE_PENDING) {
			fprintf(stderr, "\n    %s: %s %d \"%s\"", push_id, pap_state_str(q->state), q->code, q->desc);
			return 0;
		}
		if (itest_now() > end) {
			fprintf(stderr, "\n    %s: not final after %.1f s: %d \"%s\"", push_id, timeout_s, q->code,
			    q->desc);
			return -1;
		}
		usleep(100000);
	}
}

/* ------------------------------------------------------------ sipp */

/* A copy of tests/sipp/NAME in dir with each from[i] replaced by to[i]. */
static char *scenario(const char *dir, const char *name, const char *const *from, const char *const *to,
    size_t n)
{
	static int seq;
	char fname[64];
	snprintf(fname, sizeof fname, "scen_%d.xml", ++seq);
	return itest_subst_file(dir, name, fname, from, to, n);
}

struct term {
	int port;
	pid_t pid;
	char *msglog, *out, *scen;
};

/* A terminal: every MESSAGE and NOTIFY answered 200, an INVITE 488 (then
 * ppgd's pager fallback). */
static int term_start(struct term *t, const char *dir)
{
	static int seq;
	memset(t, 0, sizeof *t);
	t->scen = scenario(dir, "tests/sipp/select_uas.xml", NULL, NULL, 0);
	t->msglog = itest_asprintf("%s/term_%d.msg", dir, ++seq);
	t->out = itest_asprintf("%s/term_%d.out", dir, seq);
	const char *argv[] = { "sipp", "-sf", t->scen, "-m", "100", "-i", "127.0.0.1", "-p", "@PORT@",
		"-nostdin", "-trace_msg", "-message_file", t->msglog, "-timeout", "120s", NULL };
	t->pid = t->scen ? itest_sipp_start(argv, dir, t->out, 0, &t->port) : -1;
	if (t->pid <= 0)
		t->pid = 0;
	return t->pid > 0 ? 0 : -1;
}

static void term_free(struct term *t)
{
	if (t->pid > 0)
		itest_stop_pid(t->pid, SIGTERM, 5);
	free(t->msglog);
	free(t->out);
	free(t->scen);
	memset(t, 0, sizeof *t);
}

/* How many requests `method` whose text holds `text` the terminal received
 * (sipp -trace_msg: one block per message, "... message received ..."). */
static int term_count(const struct term *t, const char *method, const char *text)
{
	char *s = tu_read_file(t->msglog, NULL);
	int n = 0;
	char want[32];
	snprintf(want, sizeof want, "\n%s sip:", method);
	for (char *b = s; b && (b = strstr(b, "message received")) != NULL;) {
		char *next = strstr(b + 1, "message received");
		char *sent = strstr(b + 1, "message sent");
		char *end = next && (!sent || next < sent) ? next : sent;
		if (end)
			*end = '\0';
		if (strstr(b, want) && (!text || strstr(b, text)))
			n++;
		if (!end)
			break;
		*end = 'm';
		b = end;
	}
	free(s);
	return n;
}

/* Waits until the terminal received a `method` holding text. 0 or -1. */
static int term_wait_for(const struct term *t, const char *method, const char *text, double timeout_s)
{
	double end = itest_now() + timeout_s;
	while (term_count(t, method, text) == 0) {
		if (itest_now() > end)
			return -1;
		sleep_s(0.05);
	}
	return 0;
}

/* One sipp run of scen to 127.0.0.1:port; the final status in its log
 * (200, 403, ...) or -1. */
static int run_uac(const char *dir, const char *scen, int port)
{
	static int seq;
	char dst[32];
	char *log = itest_asprintf("%s/uac_%d.msg", dir, ++seq);
	snprintf(dst, sizeof dst, "127.0.0.1:%d", port);
	const char *argv[] = { "sipp", "-sf", scen, "-m", "1", "-i", "127.0.0.1", "-nostdin", "-trace_msg",
		"-message_file", log, "-timeout", "15s", "-recv_timeout", "5000", dst, NULL };
	int code = -1;
	itest_run_full(argv, NULL, dir, 30, NULL, NULL, &code);
	char *s = tu_read_file(log, NULL);
	int st = s && strstr(s, "SIP/2.0 200") ? 200 : s && strstr(s, "SIP/2.0 403") ? 403 : -1;
	if (st < 0)
		fprintf(stderr, "\n  %s: no final answer (sipp exit %d)\n%s\n", scen, code, s ? s : "(no log)");
	free(s);
	free(log);
	return st;
}

/* REGISTER of sip:USER@example.com -> <sip:USER@127.0.0.1:CPORT>PARAMS, to port. */
static int reg(const char *dir, int port, const char *user, int cport, const char *params, int expires)
{
	char cp[16], ex[16];
	snprintf(cp, sizeof cp, "%d", cport);
	snprintf(ex, sizeof ex, "%d", expires);
	const char *from[] = { "@USER@", "@CPORT@", "@EXPIRES@", "@PARAMS@" }, *to[] = { user, cp, ex, params };
	char *scen = scenario(dir, "tests/sipp/select_register.xml", from, to, 4);
	int st = scen ? run_uac(dir, scen, port) : -1;
	free(scen);
	return st;
}

/* As reg, with Call-ID cid and CSeq cseq: a refresh of one registration. */
static int reg_cid(const char *dir, int port, const char *user, int cport, const char *params, const char *cid,
    int cseq)
{
	char cp[16], cs[16];
	snprintf(cp, sizeof cp, "%d", cport);
	snprintf(cs, sizeof cs, "%d", cseq);
	const char *from[] = { "@USER@", "@CPORT@", "@EXPIRES@", "@PARAMS@", "[call_id]", "[cseq]" },
		*to[] = { user, cp, "600", params, cid, cs };
	char *scen = scenario(dir, "tests/sipp/select_register.xml", from, to, 6);
	int st = scen ? run_uac(dir, scen, port) : -1;
	free(scen);
	return st;
}

/* The ua-profile SUBSCRIBE of the terminal <sip:USER@127.0.0.1:CPORT>:
 * it enrols apps and takes the content types of accept. */
static int subscribe_model(const char *dir, int port, const char *user, int cport, const char *apps,
    const char *accept, const char *model)
{
	char cp[16];
	snprintf(cp, sizeof cp, "%d", cport);
	char *dev = model ? itest_asprintf(";profile-type=device;model=\"%s\"", model) : strdup("");
	const char *from[] = { ";profile-type=device;model=\"@MODEL@\"", "@USER@", "@CPORT@", "@APPS@", "@ACCEPT@" },
		*to[] = { dev, user, cp, apps, accept };
	char *scen = scenario(dir, "tests/sipp/select_subscribe.xml", from, to, 5);
	int st = scen ? run_uac(dir, scen, port) : -1;
	free(scen);
	free(dev);
	return st;
}

static int subscribe(const char *dir, int port, const char *user, int cport, const char *apps,
    const char *accept)
{
	return subscribe_model(dir, port, user, cport, apps, accept, NULL);
}

/* The daemon-log forms of itest_file_has / itest_wait_log. */
static int log_has(const struct itest_daemon *d, const char *text)
{
	return itest_file_has(d->log, text);
}

static int wait_log(const struct itest_daemon *d, const char *text, double timeout_s)
{
	return itest_wait_log(d->log, text, timeout_s);
}

static int start_ppgd(struct itest_daemon *d, const char *tag, const char *sip_extra, int *sip_port)
{
	if (itest_daemon_init(d, tag) != 0)
		return -1;
	*sip_port = itest_free_port_udp_tcp();
	char *sections = itest_asprintf(
	    "[sip]\nenabled = yes\nlisten = sip:127.0.0.1:%d\nfrom = sip:ppg@operator.example\n"
	    "transaction_timeout = 3\nretry_min = 1\nretry_max = 1\nmax_attempts = 2\n%s\n",
	    *sip_port, sip_extra);
	int r = itest_std_config(d, NULL, sections) == 0 ? itest_daemon_start(d) : -1;
	free(sections);
	return r;
}

/* ================================ suite: policies and capabilities */

/*
 * One ppgd without an outbound proxy (it retargets to the contacts itself):
 * [sip] terminal = all, terminal_policy = push.sia=last, mms.ua=q.
 *   bob:   terminal A (q=0.9, instance A) registered first, B (q=0.3,
 *          instance B) after it; both run wml.ua, push.sia and mms.ua.
 *   carol: C runs wml.ua and mms.ua and subscribed taking text/ *;
 *          D runs wml.ua only and subscribed taking text/plain and MMS.
 */
static struct itest_daemon dp;
static int dp_sip;
static struct term ta, tb, tc, td;

static int init_pol(void)
{
	if (start_ppgd(&dp, "select", "terminal = all\nterminal_policy = push.sia=last, mms.ua = q\n"
	    "uaprof_allow = 127.0.0.1/32\n", &dp_sip) < 0)
		return 0;   /* the tests see dp.pid == 0 */
	if (term_start(&ta, dp.dir) || term_start(&tb, dp.dir) || term_start(&tc, dp.dir) ||
	    term_start(&td, dp.dir))
		return 0;
	char *pa = itest_asprintf(";+g.oma.pusheventapp=\"wml.ua,push.sia,mms.ua\";q=0.9;+sip.instance=\"<%s>\"",
	    INST_A);
	char *pb = itest_asprintf(";+g.oma.pusheventapp=\"wml.ua,push.sia,mms.ua\";q=0.3;+sip.instance=\"<%s>\"",
	    INST_B);
	int ok = reg(dp.dir, dp_sip, "bob", ta.port, pa, 600) == 200;
	sleep_s(0.05);   /* B's REGISTER comes later */
	ok = ok && reg(dp.dir, dp_sip, "bob", tb.port, pb, 600) == 200;
	ok = ok && reg(dp.dir, dp_sip, "carol", tc.port, ";+g.oma.pusheventapp=\"wml.ua,mms.ua\"", 600) == 200;
	ok = ok && reg(dp.dir, dp_sip, "carol", td.port, ";+g.oma.pusheventapp=\"wml.ua\"", 600) == 200;
	ok = ok && subscribe(dp.dir, dp_sip, "carol", tc.port, "wml.ua", "text/*") == 200;
	ok = ok && subscribe(dp.dir, dp_sip, "carol", td.port, "wml.ua",
	    "text/plain;q=0.5, application/vnd.wap.mms-message") == 200;
	free(pa);
	free(pb);
	if (!ok)
		fprintf(stderr, "\nselect: a REGISTER or SUBSCRIBE was not answered 200\n");
	sleep_s(0.3);   /* the subscriptions reach the binding cache (a lazy read) */
	return 0;
}

static int clean_pol(void)
{
	term_free(&ta);
	term_free(&tb);
	term_free(&tc);
	term_free(&td);
	itest_daemon_destroy(&dp, 0);
	return 0;
}

#define NEED(d) do { cur = &(d); CU_ASSERT_FATAL((d).pid > 0); } while (0)

/* Pushes text to user (or the terminal inst names) and waits for its end. */
static void push_wait(const char *id, const char *user, const char *inst, const char *app, const char *ctype,
    const char *text, struct sq *q)
{
	char *addr = addr_of(user, inst);
	EXPECT_INT(push(&dp, id, addr, app, ctype, text), 1001);
	EXPECT(wait_final(&dp, id, 10, q) == 0);
	free(addr);
	sleep_s(0.3);   /* a MESSAGE to a terminal that was not chosen would be in its log by now */
}

/* terminal = all: every terminal of the AoR gets it, the best answer wins. */
static void t_all(void)
{
	NEED(dp);
	struct sq q;
	push_wait("sel-all@e2e", "bob", NULL, NULL, "text/plain", "to every terminal", &q);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(term_count(&ta, "MESSAGE", "to every terminal"), 1);
	EXPECT_INT(term_count(&tb, "MESSAGE", "to every terminal"), 1);
}

/* push.sia=last: only the terminal whose REGISTER came last (B). */
static void t_last(void)
{
	NEED(dp);
	struct sq q;
	push_wait("sel-last@e2e", "bob", NULL, APP_SIA, "text/plain", "to the latest terminal", &q);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, 1000);
	EXPECT_INT(term_count(&tb, "MESSAGE", "to the latest terminal"), 1);
	EXPECT_INT(term_count(&ta, "MESSAGE", "to the latest terminal"), 0);
	EXPECT(log_has(&dp, "(1 of 2 terminals, policy last, push.sia)"));
}

/* mms.ua=q: only the terminal with the highest q (A, 0.9, the older one). */
static void t_q(void)
{
	NEED(dp);
	struct sq q;
	push_wait("sel-q@e2e", "bob", NULL, APP_MMS, "text/plain", "to the highest q", &q);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(term_count(&ta, "MESSAGE", "to the highest q"), 1);
	EXPECT_INT(term_count(&tb, "MESSAGE", "to the highest q"), 0);
	/* no outbound proxy: the Request-URI of every MESSAGE A got is its contact */
	char *rl = itest_asprintf("MESSAGE sip:bob@127.0.0.1:%d SIP/2.0", ta.port);
	EXPECT_INT(term_count(&ta, "MESSAGE", rl), term_count(&ta, "MESSAGE", NULL));
	free(rl);
}

/* A PAP address naming the instance (sip:bob@example.com;gr=INSTANCE;
 * B registered that +sip.instance and no pub-gruu) reaches B only, under
 * the policy all; an instance nobody registered waits. */
static void t_instance(void)
{
	NEED(dp);
	struct sq q;
	push_wait("sel-inst@e2e", "bob", INST_B, NULL, "text/plain", "to instance B", &q);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(term_count(&tb, "MESSAGE", "to instance B"), 1);
	EXPECT_INT(term_count(&ta, "MESSAGE", "to instance B"), 0);
	char *addr = addr_of("bob", "urn:uuid:0000000c-0000-4000-8000-00000000000c");
	EXPECT_INT(push(&dp, "sel-inst-none@e2e", addr, NULL, "text/plain", "to nobody"), 1001);
	free(addr);
	sleep_s(0.5);
	EXPECT(statusquery(&dp, "sel-inst-none@e2e", &q) == 0);
	EXPECT_INT(q.state, PAP_STATE_PENDING);
	EXPECT(strstr(q.desc, "waiting for a registration of sip:bob@example.com;gr=urn:uuid:0000000c") != NULL);
	EXPECT_INT(term_count(&ta, "MESSAGE", "to nobody") + term_count(&tb, "MESSAGE", "to nobody"), 0);
}

/* MMS content: C subscribed taking text/ * only, so D alone gets it. */
static void t_type_one(void)
{
	NEED(dp);
	struct sq q;
	push_wait("sel-type@e2e", "carol", NULL, NULL, "application/vnd.wap.mms-message", "MMS for D", &q);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(term_count(&td, "MESSAGE", "MMS for D"), 1);
	EXPECT_INT(term_count(&tc, "MESSAGE", "MMS for D"), 0);
	EXPECT(log_has(&dp, "(1 of 2 terminals, policy all, wml.ua)"));
}

/* image/png: no terminal takes it -> undeliverable 2005 at once, nothing sent. */
static void t_type_none(void)
{
	NEED(dp);
	struct sq q;
	push_wait("sel-png@e2e", "carol", NULL, NULL, "image/png", "a PNG nobody takes", &q);
	EXPECT_INT(q.state, PAP_STATE_UNDELIVERABLE);
	EXPECT_INT(q.code, 2005);
	EXPECT(strstr(q.desc, "no terminal of sip:carol@example.com takes image/png") != NULL);
	EXPECT_INT(term_count(&tc, "MESSAGE", "a PNG nobody takes"), 0);
	EXPECT_INT(term_count(&td, "MESSAGE", "a PNG nobody takes"), 0);
}

/* mms.ua: D takes text/plain but does not run mms.ua: C alone gets it. */
static void t_app_one(void)
{
	NEED(dp);
	struct sq q;
	push_wait("sel-app@e2e", "carol", NULL, APP_MMS, "text/plain", "mms.ua for C", &q);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(term_count(&tc, "MESSAGE", "mms.ua for C"), 1);
	EXPECT_INT(term_count(&td, "MESSAGE", "mms.ua for C"), 0);
}

/* erin's terminals both subscribed taking text/plain only; E1's UAProf
 * document (tests/fixtures/uaprof/x100.rdf, served by python3's
 * http.server) lists application/vnd.wap.mms-message in its Push-Accept:
 * once fetched, an MMS goes to E1 alone. */
static void t_uaprof_push_accept(void)
{
	NEED(dp);
	struct term e1, e2;
	EXPECT(term_start(&e1, dp.dir) == 0 && term_start(&e2, dp.dir) == 0);
	char *www = itest_asprintf("%s/www", dp.dir);
	mkdir(www, 0755);
	size_t flen = 0;
	char *fixture = tu_read_file(tu_src("tests/fixtures/uaprof/x100.rdf"), &flen);
	EXPECT(fixture != NULL);
	free(itest_write_file(www, "x100.rdf", fixture ? fixture : "", flen));
	free(fixture);
	int hport = itest_free_port();
	char hp[16];
	snprintf(hp, sizeof hp, "%d", hport);
	const char *argv[] = { "python3", "-m", "http.server", hp, "--bind", "127.0.0.1", "--directory", www, NULL };
	char *hlog = itest_asprintf("%s/http.log", dp.dir);
	pid_t hpid = itest_spawn(argv, dp.dir, hlog);
	EXPECT(hpid > 0);
	char *model = itest_asprintf("http://127.0.0.1:%d/x100.rdf", hport);
	for (double t0 = itest_now(); itest_now() - t0 < 10;) {
		struct itest_resp h;
		int ok = itest_http("GET", model, NULL, NULL, 0, NULL, NULL, &h) == 0 && h.status == 200;
		itest_resp_free(&h);
		if (ok)
			break;
		usleep(50000);
	}
	EXPECT_INT(reg(dp.dir, dp_sip, "erin", e1.port, ";+g.oma.pusheventapp=\"wml.ua\"", 600), 200);
	EXPECT_INT(reg(dp.dir, dp_sip, "erin", e2.port, ";+g.oma.pusheventapp=\"wml.ua\"", 600), 200);
	EXPECT_INT(subscribe(dp.dir, dp_sip, "erin", e2.port, "wml.ua", "text/plain"), 200);
	EXPECT_INT(subscribe_model(dp.dir, dp_sip, "erin", e1.port, "wml.ua", "text/plain", model), 200);
	char *fetched = itest_asprintf("UAProf document %s: ", model);
	EXPECT(wait_log(&dp, fetched, 10) == 0);
	sleep_s(0.5);   /* stored, then erin's cache entry read again */
	struct sq q;
	push_wait("sel-uaprof@e2e", "erin", NULL, NULL, "application/vnd.wap.mms-message", "MMS by Push-Accept", &q);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(term_count(&e1, "MESSAGE", "MMS by Push-Accept"), 1);
	EXPECT_INT(term_count(&e2, "MESSAGE", "MMS by Push-Accept"), 0);
	/* a type neither the Accept nor the document lists: 2005 */
	push_wait("sel-uaprof-png@e2e", "erin", NULL, NULL, "image/png", "PNG for erin", &q);
	EXPECT_INT(q.code, 2005);
	EXPECT_INT(term_count(&e1, "MESSAGE", NULL), 1);
	if (hpid > 0)
		itest_stop_pid(hpid, SIGTERM, 5);
	term_free(&e1);
	term_free(&e2);
	free(fetched);
	free(model);
	free(hlog);
	free(www);
}

/* Temp-gruus (RFC 5627 §3.2) from the REGISTER's Contact: gina's G1
 * refreshes its registration (same Call-ID) and gets a second temp-gruu;
 * both name G1 alone, G2's names G2 alone. An unknown temp-gruu waits as
 * an AoR nobody registered. G1 registers again with a new Call-ID: its
 * earlier temp-gruus no longer name it. */
static void t_temp_gruu(void)
{
	NEED(dp);
	struct term g1, g2;
	EXPECT(term_start(&g1, dp.dir) == 0 && term_start(&g2, dp.dir) == 0);
	const char *app = ";+g.oma.pusheventapp=\"wml.ua\"";
	char *p1 = itest_asprintf("%s;temp-gruu=\"sip:tgruu.g1a@example.com;gr\"", app);
	char *p1b = itest_asprintf("%s;temp-gruu=\"sip:tgruu.g1b@example.com;gr\"", app);
	char *p1c = itest_asprintf("%s;temp-gruu=\"sip:tgruu.g1c@example.com;gr\"", app);
	char *p2 = itest_asprintf("%s;temp-gruu=\"sip:tgruu.g2@example.com;gr\"", app);
	EXPECT_INT(reg_cid(dp.dir, dp_sip, "gina", g1.port, p1, "tg-call-1", 1), 200);
	EXPECT_INT(reg_cid(dp.dir, dp_sip, "gina", g1.port, p1b, "tg-call-1", 2), 200);
	EXPECT_INT(reg_cid(dp.dir, dp_sip, "gina", g2.port, p2, "tg-call-2", 1), 200);
	struct sq q;
	char *a1 = addr_temp("tgruu.g1a"), *a2 = addr_temp("tgruu.g2"), *az = addr_temp("tgruu.zz");
	EXPECT_INT(push(&dp, "sel-tg1@e2e", a1, NULL, "text/plain", "to G1 by its first temp-gruu"), 1001);
	EXPECT(wait_final(&dp, "sel-tg1@e2e", 10, &q) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(push(&dp, "sel-tg2@e2e", a2, NULL, "text/plain", "to G2 by its temp-gruu"), 1001);
	EXPECT(wait_final(&dp, "sel-tg2@e2e", 10, &q) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	sleep_s(0.3);
	EXPECT_INT(term_count(&g1, "MESSAGE", "to G1 by its first temp-gruu"), 1);
	EXPECT_INT(term_count(&g2, "MESSAGE", "to G1 by its first temp-gruu"), 0);
	EXPECT_INT(term_count(&g2, "MESSAGE", "to G2 by its temp-gruu"), 1);
	EXPECT_INT(term_count(&g1, "MESSAGE", "to G2 by its temp-gruu"), 0);
	/* the To of the MESSAGE is gina's AoR, not the temp-gruu's opaque user */
	EXPECT_INT(term_count(&g1, "MESSAGE", "To: <sip:gina@example.com>"), 1);
	/* unknown: pending, as an address no live registration has */
	EXPECT_INT(push(&dp, "sel-tgz@e2e", az, NULL, "text/plain", "to nobody's temp-gruu"), 1001);
	sleep_s(0.5);
	EXPECT(statusquery(&dp, "sel-tgz@e2e", &q) == 0);
	EXPECT_INT(q.state, PAP_STATE_PENDING);
	EXPECT(strstr(q.desc, "waiting for a registration of sip:tgruu.zz@example.com;gr") != NULL);
	/* a new Call-ID: g1a and g1b are gone, g1c names G1 */
	EXPECT_INT(reg_cid(dp.dir, dp_sip, "gina", g1.port, p1c, "tg-call-3", 1), 200);
	char *a1c = addr_temp("tgruu.g1c");
	EXPECT_INT(push(&dp, "sel-tg1c@e2e", a1c, NULL, "text/plain", "to G1 by its new temp-gruu"), 1001);
	EXPECT(wait_final(&dp, "sel-tg1c@e2e", 10, &q) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(push(&dp, "sel-tg1old@e2e", a1, NULL, "text/plain", "to an old temp-gruu"), 1001);
	sleep_s(0.5);
	EXPECT(statusquery(&dp, "sel-tg1old@e2e", &q) == 0);
	EXPECT_INT(q.state, PAP_STATE_PENDING);
	EXPECT_INT(term_count(&g1, "MESSAGE", "to G1 by its new temp-gruu"), 1);
	EXPECT_INT(term_count(&g2, "MESSAGE", "to G1 by its new temp-gruu"), 0);
	EXPECT_INT(term_count(&g1, "MESSAGE", "to an old temp-gruu") + term_count(&g2, "MESSAGE",
	    "to an old temp-gruu"), 0);
	term_free(&g1);
	term_free(&g2);
	free(p1);
	free(p1b);
	free(p1c);
	free(p2);
	free(a1);
	free(a1c);
	free(a2);
	free(az);
}

/* A push to a temp-gruu nobody holds yet parks; the REGISTER that brings
 * that temp-gruu (hana's terminal) wakes it at once (no deliver-before:
 * without the wake-up it would wait for ever). */
static void t_temp_gruu_wake(void)
{
	NEED(dp);
	struct term g3;
	EXPECT(term_start(&g3, dp.dir) == 0);
	char *a = addr_temp("tgruu.h1");
	EXPECT_INT(push(&dp, "sel-tgw@e2e", a, NULL, "text/plain", "to hana before she registered"), 1001);
	struct sq q;
	sleep_s(0.5);
	EXPECT(statusquery(&dp, "sel-tgw@e2e", &q) == 0);
	EXPECT_INT(q.state, PAP_STATE_PENDING);
	EXPECT(strstr(q.desc, "waiting for a registration of sip:tgruu.h1@example.com;gr") != NULL);
	EXPECT_INT(term_count(&g3, "MESSAGE", "to hana before she registered"), 0);
	const char *p = ";+g.oma.pusheventapp=\"wml.ua\";temp-gruu=\"sip:tgruu.h1@example.com;gr\"";
	EXPECT_INT(reg_cid(dp.dir, dp_sip, "hana", g3.port, p, "tg-call-hana", 1), 200);
	double t0 = itest_now();   /* sipp has its 200 (and lingers): the wake-up is queued */
	EXPECT(wait_final(&dp, "sel-tgw@e2e", 5, &q) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	fprintf(stderr, "\n  parked push final %.2f s after sipp ended", itest_now() - t0);
	EXPECT(term_wait_for(&g3, "MESSAGE", "to hana before she registered", 5) == 0);
	EXPECT_INT(term_count(&g3, "MESSAGE", "To: <sip:hana@example.com>"), 1);
	term_free(&g3);
	free(a);
}

/* A ccq-message (PAP 2.0) for the USER address value addr (escaped) to
 * ppgd d; the HTTP answer in *r (free with itest_resp_free); 0 or -1. */
static int ccq(struct itest_daemon *d, const char *qid, const char *addr, struct itest_resp *r)
{
	char *body = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n<pap><ccq-message "
	    "query-id=\"%s\"><address address-value=\"WAPPUSH=%s/TYPE=USER@ppg\"/>"
	    "</ccq-message></pap>", qid, addr);
	int rc = itest_http("POST", d->url, "application/xml", body, strlen(body), ALICE, r);
	free(body);
	return rc;
}

/* A ccq for a temp-gruu is answered from the terminal that holds it (its
 * AoR's registrations, as for a pub-gruu), not for the opaque URI; an
 * unknown temp-gruu is 3008. */
static void t_ccq_temp_gruu(void)
{
	NEED(dp);
	struct term g4;
	EXPECT(term_start(&g4, dp.dir) == 0);
	const char *p = ";+g.oma.pusheventapp=\"mms.ua\";temp-gruu=\"sip:tgruu.i1@example.com;gr\"";
	EXPECT_INT(reg_cid(dp.dir, dp_sip, "ivan", g4.port, p, "tg-call-ivan", 1), 200);
	struct itest_resp r;
	char *a = addr_temp("tgruu.i1"), *az = addr_temp("tgruu.nobody");
	EXPECT_INT(ccq(&dp, "q-tg", a, &r), 0);
	EXPECT_INT(r.status, 202);
	EXPECT(r.body && strstr(r.body, "code=\"1000\""));
	EXPECT(r.body && strstr(r.body, "capabilities of sip:ivan@example.com: from 1 registration"));
	EXPECT(r.body && strstr(r.body, "rdf:about=\"sip:ivan@example.com\""));
	EXPECT(r.body && strstr(r.body, "<rdf:li>mms.ua</rdf:li>"));
	EXPECT(r.body && !strstr(r.body, "tgruu.i1@example.com\""));   /* not about the opaque URI */
	itest_resp_free(&r);
	EXPECT_INT(ccq(&dp, "q-tgz", az, &r), 0);
	EXPECT_INT(r.status, 202);
	EXPECT(r.body && strstr(r.body, "code=\"3008\""));
	EXPECT(r.body && strstr(r.body, "sip:tgruu.nobody@example.com;gr"));
	itest_resp_free(&r);
	term_free(&g4);
	free(a);
	free(az);
}

/* A UAProf document (tests/fixtures/uaprof/x200.rdf, python3's http.server)
 * whose Push-Accept-AppID lists push.sia (URN) and mms.ua (0x04) only:
 * fay's F1 names it, F2 names none. A wml.ua push goes to F2 alone, an
 * mms.ua push to F1 alone (F2 does not run it); gus, whose only terminal
 * names the document, gets no wml.ua push: 2005 at once. */
static void t_uaprof_appid(void)
{
	NEED(dp);
	struct term f1, f2;
	EXPECT(term_start(&f1, dp.dir) == 0 && term_start(&f2, dp.dir) == 0);
	char *www = itest_asprintf("%s/www-appid", dp.dir);
	mkdir(www, 0755);
	size_t flen = 0;
	char *fixture = tu_read_file(tu_src("tests/fixtures/uaprof/x200.rdf"), &flen);
	EXPECT(fixture != NULL);
	free(itest_write_file(www, "x200.rdf", fixture ? fixture : "", flen));
	free(fixture);
	int hport = itest_free_port();
	char hp[16];
	snprintf(hp, sizeof hp, "%d", hport);
	const char *argv[] = { "python3", "-m", "http.server", hp, "--bind", "127.0.0.1", "--directory", www, NULL };
	char *hlog = itest_asprintf("%s/http-appid.log", dp.dir);
	pid_t hpid = itest_spawn(argv, dp.dir, hlog);
	EXPECT(hpid > 0);
	char *model = itest_asprintf("http://127.0.0.1:%d/x200.rdf", hport);
	for (double t0 = itest_now(); itest_now() - t0 < 10;) {
		struct itest_resp h;
		int ok = itest_http("GET", model, NULL, NULL, 0, NULL, NULL, &h) == 0 && h.status == 200;
		itest_resp_free(&h);
		if (ok)
			break;
		usleep(50000);
	}
	EXPECT_INT(reg(dp.dir, dp_sip, "fay", f1.port, ";+g.oma.pusheventapp=\"wml.ua,mms.ua\"", 600), 200);
	EXPECT_INT(reg(dp.dir, dp_sip, "fay", f2.port, ";+g.oma.pusheventapp=\"wml.ua\"", 600), 200);
	EXPECT_INT(reg(dp.dir, dp_sip, "gus", f1.port, ";+g.oma.pusheventapp=\"wml.ua\"", 600), 200);
	EXPECT_INT(subscribe_model(dp.dir, dp_sip, "fay", f1.port, "wml.ua", "text/plain", model), 200);
	EXPECT_INT(subscribe_model(dp.dir, dp_sip, "gus", f1.port, "wml.ua", "text/plain", model), 200);
	char *fetched = itest_asprintf("UAProf document %s: ", model);
	EXPECT(wait_log(&dp, fetched, 10) == 0);
	sleep_s(0.5);   /* stored, then the cache entries read again */
	struct sq q;
	push_wait("sel-appid-wml@e2e", "fay", NULL, NULL, "text/plain", "wml.ua for fay", &q);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(term_count(&f2, "MESSAGE", "wml.ua for fay"), 1);
	EXPECT_INT(term_count(&f1, "MESSAGE", "wml.ua for fay"), 0);
	push_wait("sel-appid-mms@e2e", "fay", NULL, APP_MMS, "text/plain", "mms.ua for fay", &q);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(term_count(&f1, "MESSAGE", "mms.ua for fay"), 1);
	EXPECT_INT(term_count(&f2, "MESSAGE", "mms.ua for fay"), 0);
	push_wait("sel-appid-gus@e2e", "gus", NULL, NULL, "text/plain", "wml.ua for gus", &q);
	EXPECT_INT(q.state, PAP_STATE_UNDELIVERABLE);
	EXPECT_INT(q.code, 2005);
	EXPECT(strstr(q.desc, "no terminal of sip:gus@example.com takes text/plain for \"wml.ua\"") != NULL);
	EXPECT(strstr(q.desc, "Push-Accept-AppID") != NULL);
	EXPECT_INT(term_count(&f1, "MESSAGE", "wml.ua for gus"), 0);
	if (hpid > 0)
		itest_stop_pid(hpid, SIGTERM, 5);
	term_free(&f1);
	term_free(&f2);
	free(fetched);
	free(model);
	free(hlog);
	free(www);
}

/* The choice survives a restart: bindings (with q) and subscriptions are
 * read back from the database. */
static void t_after_restart(void)
{
	NEED(dp);
	EXPECT(itest_daemon_stop(&dp) == 0);
	EXPECT(itest_daemon_start(&dp) == 0);
	sleep_s(0.3);
	struct sq q;
	push_wait("sel-q2@e2e", "bob", NULL, APP_MMS, "text/plain", "highest q after restart", &q);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(term_count(&ta, "MESSAGE", "highest q after restart"), 1);
	EXPECT_INT(term_count(&tb, "MESSAGE", "highest q after restart"), 0);
	push_wait("sel-png2@e2e", "carol", NULL, NULL, "image/png", "PNG after restart", &q);
	EXPECT_INT(q.code, 2005);
}

/* ======================================= suite: kamailio as the S-CSCF */

/*
 * ppgd's outbound proxy is kamailio (tests/kamailio/ppgd-callee-caps.cfg);
 * dave's terminals REGISTER there: E advertises mms.ua, wml.ua and
 * push.sia (q=0.9), F no push application, G push.sia only (q=0.2); E and
 * F take INVITE sessions. [sip] terminal_policy = push.sia=q. [sip] session_apps =
 * mms.ua: an mms.ua push starts with an INVITE (E refuses it 488, then the
 * pager fallback), a wml.ua push is a MESSAGE. ppgd sends each to the AoR
 * with Accept-Contact; the core forks only to E.
 */
static struct itest_daemon dk;
static int dk_sip, kam_port;
static pid_t kam_pid;
static char *kam_log;
static struct term te, tf, tg;

static pid_t kam_start(const char *dir, int udp_port, const char *ppgd_uri, char **log)
{
	char *def = itest_asprintf("PPGD_URI=\"%s\"", ppgd_uri);
	struct itest_sip_kam k = { .cfg = "tests/kamailio/ppgd-callee-caps.cfg", .dir = dir, .udp_port = udp_port,
		.defines = { def } };
	pid_t pid = itest_sip_kam_start(&k, log);
	free(def);
	return pid;
}

static int init_kam(void)
{
	kam_port = itest_free_port_udp_tcp();
	char *extra = itest_asprintf("outbound_proxy = sip:127.0.0.1:%d\nsession_apps = mms.ua\n"
	    "session_fallback = yes\nsession_timeout = 3\nterminal_policy = push.sia=q\n", kam_port);
	int r = start_ppgd(&dk, "select-kam", extra, &dk_sip);
	free(extra);
	if (r < 0)
		return 0;
	char *uri = itest_asprintf("sip:127.0.0.1:%d", dk_sip);
	kam_pid = kam_start(dk.dir, kam_port, uri, &kam_log);
	free(uri);
	if (kam_pid <= 0 || term_start(&te, dk.dir) || term_start(&tf, dk.dir) || term_start(&tg, dk.dir))
		return 0;
	const char *meth = ";methods=\"INVITE,MESSAGE,BYE,CANCEL,ACK\"";
	char *pe = itest_asprintf(";+g.oma.pusheventapp=\"mms.ua,wml.ua,push.sia\";q=0.9%s", meth);
	int ok = reg(dk.dir, kam_port, "dave", tg.port, ";+g.oma.pusheventapp=\"push.sia\";q=0.2", 600) == 200 &&
	    reg(dk.dir, kam_port, "dave", te.port, pe, 600) == 200 &&
	    reg(dk.dir, kam_port, "dave", tf.port, meth, 600) == 200;
	free(pe);
	char *want = itest_asprintf("registration sip:dave@example.com -> sip:dave@127.0.0.1:%d for 600 s",
	    tf.port);
	ok = ok && wait_log(&dk, want, 5) == 0;
	free(want);
	if (!ok)
		fprintf(stderr, "\nselect-kam: the REGISTERs at kamailio did not reach ppgd\n");
	return 0;
}

static int clean_kam(void)
{
	term_free(&te);
	term_free(&tf);
	term_free(&tg);
	itest_sip_kam_stop(&kam_pid);
	itest_daemon_destroy(&dk, 0);
	free(kam_log);
	kam_log = NULL;
	return 0;
}

static int file_has(const char *path, const char *text)
{
	return itest_file_has(path, text);
}

/* A MESSAGE to the AoR through the core reaches E only. */
static void t_kam_message(void)
{
	NEED(dk);
	CU_ASSERT_FATAL(kam_pid > 0);
	ctx_log = kam_log;
	struct sq q;
	char *addr = addr_of("dave", NULL);
	EXPECT_INT(push(&dk, "kam-msg@e2e", addr, NULL, "text/plain", "wml.ua through the core"), 1001);
	EXPECT(wait_final(&dk, "kam-msg@e2e", 10, &q) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT(term_wait_for(&te, "MESSAGE", "wml.ua through the core", 3) == 0);
	sleep_s(0.5);
	EXPECT_INT(term_count(&te, "MESSAGE", "wml.ua through the core"), 1);
	EXPECT_INT(term_count(&tf, "MESSAGE", NULL), 0);
	EXPECT_INT(term_count(&tg, "MESSAGE", NULL), 0);
	/* ppgd sent it to the AoR, with the application's Accept-Contact */
	EXPECT(term_count(&te, "MESSAGE", "Accept-Contact: *;+g.oma.pusheventapp=\"wml.ua\"") == 1);
	char *ru = itest_asprintf("MESSAGE for sip:dave@example.com NOT to sip:dave@127.0.0.1:%d", tf.port);
	EXPECT(file_has(kam_log, ru));
	free(ru);
	free(addr);
	ctx_log = NULL;
}

/* An INVITE (session mode) to the AoR through the core reaches E only;
 * E refuses it 488, the pager fallback reaches E only, delivered. */
static void t_kam_invite(void)
{
	NEED(dk);
	CU_ASSERT_FATAL(kam_pid > 0);
	ctx_log = kam_log;
	struct sq q;
	char *addr = addr_of("dave", NULL);
	EXPECT_INT(push(&dk, "kam-inv@e2e", addr, APP_MMS, "text/plain", "mms.ua session through the core"),
	    1001);
	EXPECT(wait_final(&dk, "kam-inv@e2e", 15, &q) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	sleep_s(0.5);
	EXPECT_INT(term_count(&te, "INVITE", "Accept-Contact: *;+g.oma.pusheventapp=\"mms.ua\""), 1);
	EXPECT_INT(term_count(&te, "MESSAGE", "mms.ua session through the core"), 1);
	EXPECT_INT(term_count(&tf, "INVITE", NULL), 0);
	EXPECT_INT(term_count(&tf, "MESSAGE", NULL), 0);
	EXPECT_INT(term_count(&tg, "INVITE", NULL) + term_count(&tg, "MESSAGE", NULL), 0);
	char *ru = itest_asprintf("INVITE for sip:dave@example.com NOT to sip:dave@127.0.0.1:%d", tf.port);
	EXPECT(file_has(kam_log, ru));
	free(ru);
	free(addr);
	ctx_log = NULL;
}

/* push.sia=q through the core: G also runs push.sia, but ppgd chose E
 * (q 0.9 over 0.2) and sent the MESSAGE to E's contact; the core relays it
 * as addressed, G and F get nothing. Under policy all the core would have
 * forked to E and G. */
static void t_kam_q(void)
{
	NEED(dk);
	CU_ASSERT_FATAL(kam_pid > 0);
	ctx_log = kam_log;
	struct sq q;
	char *addr = addr_of("dave", NULL);
	EXPECT_INT(push(&dk, "kam-q@e2e", addr, APP_SIA, "text/plain", "push.sia by q through the core"), 1001);
	EXPECT(wait_final(&dk, "kam-q@e2e", 10, &q) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	sleep_s(0.5);
	EXPECT_INT(term_count(&te, "MESSAGE", "push.sia by q through the core"), 1);
	EXPECT_INT(term_count(&tg, "MESSAGE", NULL), 0);
	EXPECT_INT(term_count(&tf, "MESSAGE", "push.sia by q through the core"), 0);
	char *relayed = itest_asprintf("MESSAGE for sip:dave@127.0.0.1:%d relayed as addressed", te.port);
	EXPECT(file_has(kam_log, relayed));
	free(relayed);
	free(addr);
	ctx_log = NULL;
}

/* F's REGISTER lists no push application; F then enrols wml.ua by a
 * ua-profile SUBSCRIBE (seed 003 Appendix A). A wml.ua push goes to E and
 * F, and not to the AoR: the core, routing on Accept-Contact (RFC 3841),
 * would not find wml.ua in F's registration (only E would get it). ppgd
 * names each terminal (seed 000 §9.1.2 items 7 and 11: its GRUU, else its
 * contact) and the core relays each as addressed. Last of the suite: F
 * takes pushes from here on. */
static void t_kam_sub_only(void)
{
	NEED(dk);
	CU_ASSERT_FATAL(kam_pid > 0);
	ctx_log = kam_log;
	struct sq q;
	EXPECT_INT(subscribe(dk.dir, dk_sip, "dave", tf.port, "wml.ua", "text/plain"), 200);
	EXPECT(wait_log(&dk, "ua-profile subscription of sip:dave@example.com", 5) == 0);
	sleep_s(0.3);   /* the binding cache reads F's capabilities again */
	char *addr = addr_of("dave", NULL);
	EXPECT_INT(push(&dk, "kam-sub@e2e", addr, NULL, "text/plain", "wml.ua enrolled by F's SUBSCRIBE"),
	    1001);
	EXPECT(wait_final(&dk, "kam-sub@e2e", 10, &q) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT(term_wait_for(&tf, "MESSAGE", "wml.ua enrolled by F's SUBSCRIBE", 3) == 0);
	sleep_s(0.5);
	EXPECT_INT(term_count(&tf, "MESSAGE", "wml.ua enrolled by F's SUBSCRIBE"), 1);
	EXPECT_INT(term_count(&te, "MESSAGE", "wml.ua enrolled by F's SUBSCRIBE"), 1);
	EXPECT_INT(term_count(&tg, "MESSAGE", NULL), 0);
	char *relayed = itest_asprintf("MESSAGE for sip:dave@127.0.0.1:%d relayed as addressed", tf.port);
	EXPECT(file_has(kam_log, relayed));
	free(relayed);
	free(addr);
	ctx_log = NULL;
}

int main(void)
{
	static const struct itest_test_def pol[] = {
		{ "terminal = all: both terminals of the AoR", t_all },
		{ "push.sia=last: the terminal that registered last only", t_last },
		{ "mms.ua=q: the terminal with the highest q only", t_q },
		{ "address ;gr=INSTANCE: the terminal of that +sip.instance only", t_instance },
		{ "content type one terminal does not accept: the other only", t_type_one },
		{ "content type no terminal accepts: undeliverable 2005, nothing sent", t_type_none },
		{ "application one terminal does not run: the other only", t_app_one },
		{ "UAProf Push-Accept of one terminal's document: that terminal only", t_uaprof_push_accept },
		{ "temp-gruus of the REGISTER: each names its terminal while its Call-ID lasts", t_temp_gruu },
		{ "a push parked on an unknown temp-gruu: the REGISTER bringing it wakes it", t_temp_gruu_wake },
		{ "ccq for a temp-gruu: the capabilities of the terminal holding it", t_ccq_temp_gruu },
		{ "UAProf Push-Accept-AppID: a terminal whose document leaves the application out", t_uaprof_appid },
		{ "after a restart: same choices from the database", t_after_restart },
		{ NULL, NULL },
	};
	static const struct itest_test_def kam[] = {
		{ "MESSAGE via kamailio reaches only the terminal advertising the application", t_kam_message },
		{ "INVITE via kamailio reaches only that terminal; pager fallback too", t_kam_invite },
		{ "push.sia=q through kamailio: the chosen terminal's contact, relayed as addressed", t_kam_q },
		{ "an application F enrolled by SUBSCRIBE only: F named, relayed as addressed", t_kam_sub_only },
		{ NULL, NULL },
	};
	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("terminal selection and capabilities", init_pol, clean_pol, pol) ||
	    itest_add_suite("kamailio routes by callee capabilities", init_kam, clean_kam, kam)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
