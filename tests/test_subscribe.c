/*
 * test_subscribe.c - ua-profile subscriptions end to end (the OMA-CD-PUSH CR
 * on ARI §9.2.2.1, seed 003 §9.1.3, Appendix A, D.3; RFC 6665; issue 9
 * item 2): the real ppgd and sipp as the terminal behind its SIP/IP core
 * (127.0.0.1 is a trusted core in the test config).
 *   - refusals, each changing nothing: no P-Asserted-Identity 403, another
 *     package 489 with Allow-Events, ua-profile without oma-app 489, an
 *     Expires below the minimum 423 with Min-Expires (tests/sipp/sub_refused.xml);
 *   - SUBSCRIBE -> 200 -> NOTIFY active, refresh -> 200 -> NOTIFY active,
 *     un-SUBSCRIBE -> 200 -> NOTIFY terminated (sub_lifecycle.xml), with
 *     what was stored read through the admin API between the steps;
 *   - an Expires above [sip] subscribe_max_expires granted as the maximum;
 *   - expiry: NOTIFY terminated;reason=timeout and the row gone (sub_expiry.xml);
 *   - a subscription stored survives a restart (sub_once.xml, then the
 *     admin API of the restarted daemon).
 * Processes are started and stopped by PID (tests/itest.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "pap/pap.h"
#include "tests/itest.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ADMIN_SECRET "ops-s3cret"
#define AOR "sip:bob@biloxi.example"

static struct itest_daemon dd;
static int dd_sip, dd_admin;
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

static void subst(char **t, const char *name, int value)
{
	char v[16];
	snprintf(v, sizeof v, "%d", value);
	itest_subst(t, name, v, 0);
}

/* The terminal and UAProf link the next scenario() writes in. */
static const char *sc_user = "bob";
static const char *sc_model = "http://127.0.0.1:1/uaprof/x100.rdf";

/* A copy of tests/sipp/NAME in the daemon's directory with [expires],
 * [refresh], [grant], [user] and [model] replaced (sipp's -key does not
 * reach the regular expressions of its checks). The path, malloc'ed. */
static char *scenario(const char *name, int expires, int refresh, int grant)
{
	static int seq;
	char *t = tu_read_file(tu_src(name), NULL);
	subst(&t, "expires", expires);
	subst(&t, "refresh", refresh);
	subst(&t, "grant", grant);
	itest_subst(&t, "user", sc_user, 0);
	itest_subst(&t, "model", sc_model, 0);
	char fname[32];
	snprintf(fname, sizeof fname, "scen_%d.xml", ++seq);
	char *path = t ? itest_write_file(dd.dir, fname, t, strlen(t)) : NULL;
	free(t);
	return path;
}

/*
 * Runs the sipp UAC scenario tests/sipp/NAME against ppgd's SIP port (see
 * scenario()), to its end (at most 40 s). Its exit code (0: every expected
 * message came and every check held), -1 when it could not run. A port
 * taken meanwhile by another process is retried.
 */
static int uac(const char *name, int expires, int refresh, int grant)
{
	static int seq;
	char remote[32], port[16];
	char *scen = scenario(name, expires, refresh, grant);
	if (!scen)
		return -1;
	snprintf(remote, sizeof remote, "127.0.0.1:%d", dd_sip);
	for (int attempt = 0; attempt < 3; attempt++) {
		free(last_sipp_log);
		last_sipp_log = itest_asprintf("%s/uac_%d.msg", dd.dir, ++seq);
		snprintf(port, sizeof port, "%d", itest_free_port_udp_tcp());
		const char *argv[] = { "sipp", remote, "-sf", scen, "-m", "1", "-i", "127.0.0.1",
			"-p", port, "-nostdin", "-trace_msg", "-message_file", last_sipp_log, "-timeout", "30s",
			"-timeout_error", NULL };
		char *out = NULL, *err = NULL;
		int code = -1;
		int ran = itest_run_full(argv, NULL, dd.dir, 40, &out, &err, &code);
		int bind_failed = err && strstr(err, "bind");
		free(out);
		free(err);
		if (ran == 0 && !(code == 255 && bind_failed)) {
			free(scen);
			return code;
		}
	}
	free(scen);
	return -1;
}

/* GET /api/v1/bindings?aor=AOR on the admin listener: the "subscriptions"
 * array (a new reference), or NULL. */
static json_t *subscriptions(void)
{
	char url[160];
	struct itest_resp resp;
	json_t *j = NULL, *subs = NULL;

	snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/bindings?aor=sip:bob@biloxi.example", dd_admin);
	if (itest_http("GET", url, NULL, NULL, 0, "ops", ADMIN_SECRET, &resp) == 0 && resp.status == 200)
		j = json_loadb(resp.body, resp.len, 0, NULL);
	itest_resp_free(&resp);
	if (j)
		subs = json_incref(json_object_get(j, "subscriptions"));
	json_decref(j);
	return subs;
}

static const char *sfield(json_t *s, const char *k)
{
	const char *v = json_string_value(json_object_get(s, k));
	return v ? v : "";
}

/* Waits up to timeout_s until the AoR has n subscriptions stored; their
 * array (a new reference) or NULL. */
static json_t *wait_subscriptions(size_t n, double timeout_s)
{
	double end = itest_now() + timeout_s;
	for (;;) {
		json_t *subs = subscriptions();
		if (subs && json_array_size(subs) == n)
			return subs;
		json_decref(subs);
		if (itest_now() > end)
			return NULL;
		usleep(50000);
	}
}

static int start_daemon(void)
{
	const char *h = itest_hash_secret(ADMIN_SECRET);
	char *sections = itest_asprintf(
	    "[sip]\nenabled = yes\nlisten = sip:127.0.0.1:%d\nfrom = sip:ppg@operator.example\n"
	    "trusted_cores = 127.0.0.1/32\nsubscribe_min_expires = 60\nsubscribe_max_expires = 900\n"
	    "uaprof_allow = 127.0.0.1/32\n"
	    "[admin]\nenabled = yes\nlisten = 127.0.0.1:%d\n[admin ops]\nsecret_hash = %s\n"
	    "allow = 127.0.0.0/8\n", dd_sip, dd_admin, h ? h : "");
	int r = itest_std_config(&dd, NULL, sections) == 0 ? itest_daemon_start(&dd) : -1;
	free(sections);
	/* the admin listener comes up right after the PAP one */
	char url[96];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", dd_admin);
	for (double t0 = itest_now(); r == 0 && itest_now() - t0 < 10;) {
		struct itest_resp resp;
		int ok = itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &resp) == 0 && resp.status == 200;
		itest_resp_free(&resp);
		if (ok)
			return 0;
		usleep(20000);
	}
	return -1;
}

static int init_sub(void)
{
	if (itest_daemon_init(&dd, "sub") != 0)
		return 0;   /* the tests see dd.pid == 0 */
	dd_sip = itest_free_port_udp_tcp();
	dd_admin = itest_free_port();
	start_daemon();
	return 0;
}

static int clean_sub(void)
{
	itest_daemon_destroy(&dd, 0);
	free(last_sipp_log);
	last_sipp_log = NULL;
	return 0;
}

#define NEED() CU_ASSERT_FATAL(dd.pid > 0)

static void t_refused(void)
{
	NEED();
	EXPECT_INT(uac("tests/sipp/sub_refused.xml", 0, 0, 0), 0);
	json_t *subs = subscriptions();
	EXPECT(subs != NULL);
	EXPECT_INT(json_array_size(subs), 0);   /* nothing stored */
	json_decref(subs);
	EXPECT(itest_daemon_alive(&dd));
}

/* Runs sub_lifecycle.xml in the background and reads the store while the
 * subscription is up: sipp pauses 200 ms between the steps, so the test
 * looks right after the first NOTIFY (the row is durable before the 200). */
static void t_lifecycle(void)
{
	NEED();
	char port[16], remote[32];
	char *scen = scenario("tests/sipp/sub_lifecycle.xml", 600, 300, 600);
	snprintf(remote, sizeof remote, "127.0.0.1:%d", dd_sip);
	snprintf(port, sizeof port, "%d", itest_free_port_udp_tcp());
	free(last_sipp_log);
	last_sipp_log = itest_asprintf("%s/lifecycle.msg", dd.dir);
	char *out = itest_asprintf("%s/lifecycle.out", dd.dir);
	const char *argv[] = { "sipp", remote, "-sf", scen, "-m", "1",
		"-i", "127.0.0.1", "-p", port, "-nostdin", "-trace_msg", "-message_file", last_sipp_log,
		"-timeout", "30s", "-timeout_error", NULL };
	pid_t pid = itest_spawn(argv, dd.dir, out);
	EXPECT(pid > 0);
	/* the first SUBSCRIBE stored: both applications, the UAProf link, Accept */
	json_t *subs = wait_subscriptions(1, 10);
	EXPECT(subs != NULL);
	if (subs && json_array_size(subs) == 1) {
		json_t *s = json_array_get(subs, 0);
		EXPECT(!strcmp(sfield(s, "aor"), AOR));   /* the asserted identity, host in lower case */
		EXPECT(!strcmp(sfield(s, "apps"), "mms.ua,x-oma-application:push.syncml"));
		EXPECT(!strcmp(sfield(s, "uaprof"), sc_model));
		EXPECT(strstr(sfield(s, "accept"), "application/vnd.syncml.ds.notification") != NULL);
		EXPECT(json_integer_value(json_object_get(s, "expires_in")) > 500);
	}
	json_decref(subs);
	int code = -1;
	EXPECT_INT(itest_wait_pid(pid, 30, &code), 0);
	EXPECT_INT(code, 0);   /* every answer and NOTIFY as expected (refresh, un-SUBSCRIBE) */
	/* un-SUBSCRIBEd: nothing left */
	subs = wait_subscriptions(0, 5);
	EXPECT(subs != NULL);
	json_decref(subs);
	EXPECT(itest_file_has(dd.log, "ended (un-SUBSCRIBE)"));
	/* told once: nua's report of the terminated dialog is no second end */
	usleep(300 * 1000);
	EXPECT(!itest_file_has(dd.log, "ended (expired or NOTIFY failed)"));
	free(out);
	free(scen);
}

/* An Expires above subscribe_max_expires (900) is granted as 900. */
static void t_capped(void)
{
	NEED();
	EXPECT_INT(uac("tests/sipp/sub_lifecycle.xml", 100000, 300, 900), 0);
	json_t *subs = wait_subscriptions(0, 5);
	EXPECT(subs != NULL);
	json_decref(subs);
}

/* Expiry: the daemon restarted with subscribe_min_expires = 1 so that a
 * subscription of 2 s is taken and ends on time. */
static void t_expiry(void)
{
	NEED();
	/* a second daemon config: minimum 1 s */
	itest_daemon_stop(&dd);
	const char *h = itest_hash_secret(ADMIN_SECRET);
	char *sections = itest_asprintf(
	    "[sip]\nenabled = yes\nlisten = sip:127.0.0.1:%d\nfrom = sip:ppg@operator.example\n"
	    "trusted_cores = 127.0.0.1/32\nsubscribe_min_expires = 1\n"
	    "[admin]\nenabled = yes\nlisten = 127.0.0.1:%d\n[admin ops]\nsecret_hash = %s\n"
	    "allow = 127.0.0.0/8\n", dd_sip, dd_admin, h ? h : "");
	EXPECT_INT(itest_std_config(&dd, NULL, sections), 0);
	free(sections);
	EXPECT_INT(itest_daemon_start(&dd), 0);
	double t0 = itest_now();
	EXPECT_INT(uac("tests/sipp/sub_expiry.xml", 2, 0, 2), 0);   /* NOTIFY terminated;reason=timeout */
	double took = itest_now() - t0;
	fprintf(stderr, "\n  subscription of 2 s ended by NOTIFY terminated after %.2f s", took);
	EXPECT(took >= 1.5);
	json_t *subs = wait_subscriptions(0, 5);
	EXPECT(subs != NULL);
	json_decref(subs);
	EXPECT(itest_file_has(dd.log, "ended (expired or NOTIFY failed)"));
	/* back to the suite's config */
	itest_daemon_stop(&dd);
	EXPECT_INT(start_daemon(), 0);
}

/* What a terminal enrolled is stored: after a restart the subscription is
 * still there, with its applications and UAProf link, until its expiry. */
static void t_restart(void)
{
	NEED();
	EXPECT_INT(uac("tests/sipp/sub_once.xml", 600, 0, 600), 0);
	json_t *subs = wait_subscriptions(1, 5);
	EXPECT(subs != NULL);
	json_decref(subs);
	EXPECT(itest_daemon_kill(&dd) != -1);   /* kill -9: nothing said on the way out */
	EXPECT_INT(start_daemon(), 0);
	subs = wait_subscriptions(1, 5);
	EXPECT(subs != NULL);
	if (subs && json_array_size(subs) == 1) {
		json_t *s = json_array_get(subs, 0);
		EXPECT(!strcmp(sfield(s, "apps"), "mms.ua,x-oma-application:push.syncml"));
		EXPECT(!strcmp(sfield(s, "uaprof"), sc_model));
	}
	json_decref(subs);
}

/* ------------------------------------------------------------ ccq */

/* A ccq-message for sip:USER@biloxi.example (PAP 2.0). The HTTP answer in
 * *r (free with itest_resp_free); 0 or -1. */
static int ccq(const char *user, struct itest_resp *r)
{
	char *body = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n<pap><ccq-message "
	    "query-id=\"q-%s\"><address address-value=\"WAPPUSH=sip%%3A%s%%40biloxi.example/TYPE=USER@ppg\"/>"
	    "</ccq-message></pap>", user, user);
	int rc = itest_http("POST", dd.url, "application/xml", body, strlen(body), "alice",
	    ITEST_ALICE_SECRET, r);
	free(body);
	return rc;
}

/* The answer's parts: the ccq-response (decoded) and the capabilities
 * entity. NULL when the answer is not a multipart/related of two parts. */
static struct pap_msg *ccq_parts(struct itest_resp *r, char **caps, size_t *caps_len, char **caps_ct)
{
	char *ct = itest_resp_header(r, "Content-Type");
	struct pap_mime mime = { 0 };
	const char *why = NULL;
	struct pap_msg *m = NULL;
	*caps = NULL;
	*caps_ct = NULL;
	if (ct && pap_mime_decode(ct, (const unsigned char *)r->body, r->len, &mime, &why) == 0 &&
	    mime.nparts == 2) {
		struct pap_error e;
		if (pap_msg_decode((const char *)mime.parts[0].body, mime.parts[0].body_len, NULL, &m, &e) < 0)
			m = NULL;
		*caps = malloc(mime.parts[1].body_len + 1);
		memcpy(*caps, mime.parts[1].body, mime.parts[1].body_len);
		(*caps)[mime.parts[1].body_len] = '\0';
		*caps_len = mime.parts[1].body_len;
		const char *pct = pap_mime_header(&mime.parts[1], "Content-Type");
		*caps_ct = pct ? strdup(pct) : NULL;
	}
	pap_mime_free(&mime);
	free(ct);
	return m;
}

static void t_ccq(void)
{
	NEED();
	struct itest_resp r;
	/* nothing known: 3008, the address echoed */
	EXPECT_INT(ccq("nobody", &r), 0);
	EXPECT_INT(r.status, 202);
	EXPECT(r.body && strstr(r.body, "code=\"3008\"") && strstr(r.body, "ccq-response"));
	itest_resp_free(&r);

	/* a UAProf document served by an HTTP server the test starts */
	char *www = itest_asprintf("%s/www", dd.dir);
	mkdir(www, 0755);
	size_t flen = 0;
	char *fixture = tu_read_file(tu_src("tests/fixtures/uaprof/x100.rdf"), &flen);
	EXPECT(fixture != NULL);
	free(itest_write_file(www, "x100.rdf", fixture ? fixture : "", flen));
	free(itest_write_file(www, "notrdf.rdf", "<html>no</html>", 15));
	int hport = itest_free_port();
	char hp[16];
	snprintf(hp, sizeof hp, "%d", hport);
	const char *argv[] = { "python3", "-m", "http.server", hp, "--bind", "127.0.0.1", "--directory",
		www, NULL };
	char *hlog = itest_asprintf("%s/http.log", dd.dir);
	pid_t hpid = itest_spawn(argv, dd.dir, hlog);
	EXPECT(hpid > 0);
	for (double t0 = itest_now(); itest_now() - t0 < 10;) {
		struct itest_resp h;
		char url[96];
		snprintf(url, sizeof url, "http://127.0.0.1:%d/x100.rdf", hport);
		int ok = itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &h) == 0 && h.status == 200;
		itest_resp_free(&h);
		if (ok)
			break;
		usleep(50000);
	}

	/* carol's terminal names the document: the ccq answer carries it as
	 * the capabilities entity once fetched */
	char *model = itest_asprintf("http://127.0.0.1:%d/x100.rdf", hport);
	sc_user = "carol";
	sc_model = model;
	EXPECT_INT(uac("tests/sipp/sub_once.xml", 600, 0, 600), 0);
	char *caps = NULL, *caps_ct = NULL;
	size_t caps_len = 0;
	struct pap_msg *m = NULL;
	double t0 = itest_now();
	while (itest_now() - t0 < 10) {
		EXPECT_INT(ccq("carol", &r), 0);
		m = ccq_parts(&r, &caps, &caps_len, &caps_ct);
		itest_resp_free(&r);
		if (m && caps && strstr(caps, "<prf:Model>X100</prf:Model>"))
			break;
		pap_msg_free(m);
		m = NULL;
		free(caps);
		free(caps_ct);
		caps = caps_ct = NULL;
		usleep(100000);
	}
	fprintf(stderr, "\n  UAProf document fetched and answered after %.2f s", itest_now() - t0);
	EXPECT(m != NULL);
	if (m) {
		EXPECT(m->type == PAP_MSG_CCQ_RESPONSE);
		EXPECT_INT(m->code, 1000);
		EXPECT(m->query_id && !strcmp(m->query_id, "q-carol"));
		EXPECT(m->naddrs == 1);
		EXPECT(m->desc && strstr(m->desc, model));
	}
	EXPECT(caps && caps_len == flen && fixture && !memcmp(caps, fixture, flen));   /* verbatim */
	EXPECT(caps_ct && !strncmp(caps_ct, "application/xml", 15));
	pap_msg_free(m);
	free(caps);
	free(caps_ct);

	/* dave's link is no UAProf document: the answer is the document ppgd
	 * writes of what dave's subscription enrolled */
	char *model2 = itest_asprintf("http://127.0.0.1:%d/notrdf.rdf", hport);
	sc_user = "dave";
	sc_model = model2;
	EXPECT_INT(uac("tests/sipp/sub_once.xml", 600, 0, 600), 0);
	EXPECT(itest_wait_file_has(dd.log, "notrdf.rdf: HTTP 200, not a UAProf", 10) == 0);
	EXPECT_INT(ccq("dave", &r), 0);
	m = ccq_parts(&r, &caps, &caps_len, &caps_ct);
	itest_resp_free(&r);
	EXPECT(m && m->code == 1000);
	EXPECT(caps && strstr(caps, "<prf:Push-Accept-AppID><rdf:Bag><rdf:li>mms.ua</rdf:li>"
	    "<rdf:li>x-oma-application:push.syncml</rdf:li></rdf:Bag>"));
	EXPECT(caps && strstr(caps, "<rdf:li>application/vnd.syncml.ds.notification</rdf:li>"));
	EXPECT(caps && strstr(caps, "rdf:about=\"sip:dave@biloxi.example\""));
	struct pap_uaprof u;
	EXPECT(caps && pap_uaprof_parse(caps, caps_len, &u) == 0 && u.nappids == 2);
	if (caps)
		pap_uaprof_free(&u);
	pap_msg_free(m);
	free(caps);
	free(caps_ct);

	/* erin's link names a non-public address outside [sip] uaprof_allow
	 * (127.0.0.2, loopback): never connected to, logged */
	char *model3 = itest_asprintf("http://127.0.0.2:%d/x100.rdf", hport);
	sc_user = "erin";
	sc_model = model3;
	EXPECT_INT(uac("tests/sipp/sub_once.xml", 600, 0, 600), 0);
	EXPECT(itest_wait_file_has(dd.log, "UAProf link refused: 127.0.0.2 is not a public address", 10) == 0);
	EXPECT_INT(ccq("erin", &r), 0);
	m = ccq_parts(&r, &caps, &caps_len, &caps_ct);
	itest_resp_free(&r);
	EXPECT(m && m->code == 1000 && m->desc && strstr(m->desc, "from 0 registrations and 1 subscription"));
	EXPECT(caps && !strstr(caps, "X100"));
	pap_msg_free(m);
	free(caps);
	free(caps_ct);
	free(model3);

	sc_user = "bob";
	sc_model = "http://127.0.0.1:1/uaprof/x100.rdf";
	itest_stop_pid(hpid, SIGTERM, 5);
	free(model);
	free(model2);
	free(fixture);
	free(hlog);
	free(www);
}

int main(void)
{
	static const struct itest_test_def tests[] = {
		{ "refused SUBSCRIBEs: 403, 489 + Allow-Events, 423 + Min-Expires; nothing stored", t_refused },
		{ "SUBSCRIBE, NOTIFY active, refresh, un-SUBSCRIBE, NOTIFY terminated; stored meanwhile", t_lifecycle },
		{ "Expires above subscribe_max_expires granted as the maximum", t_capped },
		{ "expiry: NOTIFY terminated;reason=timeout, the row gone", t_expiry },
		{ "a stored subscription survives kill -9 and a restart", t_restart },
		{ "ccq: 3008 when nothing is known, else 1000 with the UAProf document or ppgd's", t_ccq },
		{ NULL, NULL },
	};
	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("ua-profile SUBSCRIBE", init_sub, clean_sub, tests)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
