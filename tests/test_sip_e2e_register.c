/*
 * test_sip_e2e_register.c - SIP Push end to end: registrations. Third-party
 * REGISTERs from sipp (bindings, de-REGISTER, untrusted sources, expiry, a
 * restart), GRUUs, and kamailio as the SIP/IP core (the terminal REGISTERs at
 * kamailio, which relays the third-party REGISTER and routes the MESSAGE).
 * Shared set-up: tests/sip_e2e_common.c (split from test_sip_e2e.c).
 */
#include "tests/sip_e2e_common.h"

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

/* ---------------------------------------------------------------- main */

int main(void)
{
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

	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("third-party registrations", init_reg, clean_reg, reg) ||
	    itest_add_suite("GRUU", init_gruu, clean_gruu, gruu) ||
	    itest_add_suite("kamailio as the SIP/IP core", init_kam, clean_kam, kam)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
