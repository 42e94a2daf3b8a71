/*
 * test_regevent.c - registrations learnt from the reg event package (RFC
 * 3680; OMA SIP Push seed 000 §9.1.2, the second way besides third-party
 * REGISTER), [sip] reg_event = yes, end to end with real peers on 127.0.0.1:
 *   - kamailio (Debian kamailio + kamailio-presence-modules,
 *     tests/kamailio/ppgd-regevent.cfg) as the SIP/IP core: registrar of the
 *     terminal and notifier of Event: reg (presence + presence_reginfo, fed
 *     by pua_reginfo), proxy of ppgd's MESSAGEs; it sends ppgd no
 *     third-party REGISTER;
 *   - sipp as the terminal (tests/sipp/regevent_terminal.xml) and, for what
 *     kamailio never sends (partial state, a version gap, feature tags and
 *     GRUUs in unknown-params, a terminating NOTIFY), as the notifier
 *     (tests/sipp/regevent_notifier.xml).
 * Outcomes are asserted through PAP statusquery, the peers' message logs and
 * ppgd's log lines that name what it stored.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "pap/pap.h"
#include "tests/itest.h"
#include "tests/itest_sip.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BOUNDARY "regev-5f1c2b77"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""
#define ALICE "alice", ITEST_ALICE_SECRET

static void sleep_s(double s)
{
	usleep((useconds_t)(s * 1e6));
}

/* ------------------------------------------------------------ PAP */

static int push(struct itest_daemon *d, const char *push_id, const char *user, const char *text)
{
	char *b = itest_asprintf(
	    "--" BOUNDARY "\r\nContent-Type: application/xml; charset=UTF-8\r\n\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>\n<push-message push-id=\"%s\">\n"
	    "  <address address-value=\"WAPPUSH=sip%%3A%s%%40example.com/TYPE=USER\"/>\n"
	    "</push-message>\n</pap>\r\n"
	    "--" BOUNDARY "\r\nContent-Type: text/plain\r\nX-Wap-Application-Id: x-wap-application:mms.ua\r\n\r\n"
	    "%s\r\n--" BOUNDARY "--\r\n", push_id, user, text);
	struct pap_msg *m = itest_pap_post(d, ALICE, MULTIPART_CT, b, strlen(b));
	int code = !m ? -1 : m->nresults > 0 ? m->results[0].code : m->code;
	pap_msg_free(m);
	free(b);
	return code;
}

struct sq {
	enum pap_state state;
	int code;
	char desc[512];
};

static int statusquery(struct itest_daemon *d, const char *push_id, struct sq *out)
{
	char *doc = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>"
	    "<statusquery-message push-id=\"%s\"/></pap>", push_id);
	struct pap_msg *m = itest_pap_post(d, ALICE, "application/xml", doc, strlen(doc));
	free(doc);
	memset(out, 0, sizeof *out);
	out->code = -1;
	int ok = m && m->type == PAP_MSG_STATUSQUERY_RESPONSE && m->nresults >= 1;
	if (ok) {
		out->state = m->results[0].state;
		out->code = m->results[0].code;
		snprintf(out->desc, sizeof out->desc, "%s", m->results[0].desc ? m->results[0].desc : "");
	}
	pap_msg_free(m);
	return ok ? 0 : -1;
}

static int wait_final(struct itest_daemon *d, const char *push_id, double timeout_s, struct sq *q)
{
	double end = itest_now() + timeout_s;
	for (;;) {
		if (statusquery(d, push_id, q) == 0 && q->state != PAP_STATE_PENDING)
			return 0;
		if (itest_now() > end) {
			fprintf(stderr, "push %s: not final after %.1f s: %s %d \"%s\"\n", push_id, timeout_s,
			    pap_state_str(q->state), q->code, q->desc);
			return -1;
		}
		sleep_s(0.1);
	}
}

/* ---------------------------------------------------------- the daemon */

static void start_ppgd(struct itest_daemon *d, const char *tag, const char *sip_extra, int *sip_port)
{
	if (itest_daemon_init(d, tag) != 0)
		return;
	*sip_port = itest_free_port_udp_tcp();
	char *sections = itest_asprintf(
	    "[sip]\nenabled = yes\nlisten = sip:127.0.0.1:%d\nfrom = sip:ppg@operator.example\n"
	    "transaction_timeout = 4\nretry_min = 1\nretry_max = 2\nmax_attempts = 3\n"
	    "reg_event = yes\n%s\n", *sip_port, sip_extra);
	if (itest_std_config(d, NULL, sections) == 0)
		itest_daemon_start(d);
	free(sections);
}

/* ============================================ suite: kamailio as the core */

/* ppgd asks for 120 s; kamailio grants KAM_GRANTED s, so ppgd refreshes
 * within the test. */
#define KAM_GRANTED 16

static struct itest_daemon dkam;
static int kam_sip, kam_port;
static pid_t kam_pid, kterm_pid;
static int kterm_port;
static char *kam_log, *kterm_log;

static int init_kam(void)
{
	kam_port = itest_free_port_udp_tcp();
	char *extra = itest_asprintf("outbound_proxy = sip:127.0.0.1:%d\nreg_event_expires = 120\n"
	    "reg_event_apps = mms.ua\ntrusted_cores = 192.0.2.250/32\n", kam_port);
	start_ppgd(&dkam, "regev-kam", extra, &kam_sip);
	free(extra);
	if (dkam.pid <= 0)
		return 0;
	char *db = itest_asprintf("%s/kamdb", dkam.dir);
	char *dburl = itest_asprintf("DBURL=\"text://%s\"", db);
	char *self = itest_asprintf("SELF_URI=\"sip:reginfo@127.0.0.1:%d\"", kam_port);
	char *maxexp = itest_asprintf("PRES_MAX_EXPIRES=%d", KAM_GRANTED);
	struct itest_sip_kam k = { .cfg = "tests/kamailio/ppgd-regevent.cfg", .dir = dkam.dir, .udp_port = kam_port,
		.dbtext = db, .defines = { dburl, self, maxexp }, .shm_mb = 64 };
	kam_pid = itest_sip_kam_start(&k, &kam_log);
	free(db);
	free(dburl);
	free(self);
	free(maxexp);
	kterm_log = itest_asprintf("%s/kterm.msg", dkam.dir);
	char *out = itest_asprintf("%s/kterm.out", dkam.dir);
	kterm_pid = itest_sip_uas(dkam.dir, tu_src("tests/sipp/regevent_terminal.xml"), 1, kterm_log, out, &kterm_port);
	free(out);
	return 0;
}

static int clean_kam(void)
{
	itest_sip_stop(&kterm_pid);
	itest_sip_kam_stop(&kam_pid);
	itest_daemon_destroy(&dkam, 0);
	free(kam_log);
	free(kterm_log);
	kam_log = kterm_log = NULL;
	return 0;
}

/*
 * A push for an AoR nobody registered waits; ppgd subscribes to Event: reg
 * of that AoR at kamailio (on demand). The terminal REGISTERs at kamailio
 * (not at ppgd: kamailio sends no third-party REGISTER); kamailio NOTIFYs
 * the registration, ppgd stores it as a binding, the waiting push is woken
 * and delivered through kamailio to the terminal.
 */
static void t_kam_push_waits_then_delivered(void)
{
	CU_ASSERT_FATAL(dkam.pid > 0);
	if (kam_pid <= 0)
		fprintf(stderr, "\nkamailio is not running (packages kamailio, kamailio-presence-modules?)\n");
	CU_ASSERT_FATAL(kam_pid > 0);
	CU_ASSERT_FATAL(kterm_pid > 0);
	struct sq q;

	CU_ASSERT_EQUAL(push(&dkam, "kre-1@regev", "kuser", "learnt from the reg event"), 1001);
	CU_ASSERT_EQUAL(itest_wait_log(dkam.log, "reg event: a push waits for sip:kuser@example.com: subscribing", 5), 0);
	char *granted = itest_asprintf("reg event: subscribed to sip:kuser@example.com for %d s", KAM_GRANTED);
	CU_ASSERT_EQUAL(itest_wait_log(dkam.log, granted, 5), 0);
	free(granted);
	CU_ASSERT(itest_file_has(kam_log, "SUBSCRIBE reg for sip:kuser@example.com from sip:ppg@operator.example"));
	CU_ASSERT_EQUAL(statusquery(&dkam, "kre-1@regev", &q), 0);
	CU_ASSERT_EQUAL(q.state, PAP_STATE_PENDING);
	CU_ASSERT_PTR_NOT_NULL(strstr(q.desc, "waiting for a registration"));

	CU_ASSERT_EQUAL(itest_sip_register(dkam.dir, "127.0.0.1", kam_port, "kuser", kterm_port, 600), 200);
	char *want = itest_asprintf("registration sip:kuser@example.com -> sip:kuser@127.0.0.1:%d for ", kterm_port);
	CU_ASSERT_EQUAL(itest_wait_log(dkam.log, want, 5), 0);
	free(want);
	CU_ASSERT(itest_file_has(dkam.log, "reg event for sip:kuser@example.com: full state version 0, 1 registration, "
	    "1 active contact"));
	CU_ASSERT_EQUAL(wait_final(&dkam, "kre-1@regev", 10, &q), 0);
	CU_ASSERT_EQUAL(q.state, PAP_STATE_DELIVERED);
	CU_ASSERT_EQUAL(q.code, 1000);
	CU_ASSERT_EQUAL(itest_sip_wait(&kterm_pid, 5), 0);
	/* the MESSAGE came through kamailio (its lookup made the contact the Request-URI) */
	char *rl = itest_asprintf("MESSAGE sip:kuser@127.0.0.1:%d SIP/2.0", kterm_port);
	CU_ASSERT(itest_file_has(kterm_log, rl));
	free(rl);
	char *relayed = itest_asprintf("MESSAGE for sip:kuser@example.com relayed to sip:kuser@127.0.0.1:%d", kterm_port);
	CU_ASSERT(itest_file_has(kam_log, relayed));
	free(relayed);
	/* no third-party REGISTER reached ppgd: every binding came by NOTIFY */
	CU_ASSERT(!itest_file_has(dkam.log, "REGISTER from "));
}

/* kamailio granted KAM_GRANTED s: ppgd (nua) refreshes in the dialog
 * before the end (Request-URI kamailio's Contact), and the NOTIFY that
 * answers the refresh (full state) keeps the binding. */
static void t_kam_refresh(void)
{
	CU_ASSERT_FATAL(kam_pid > 0);
	char *refresh = itest_asprintf("SUBSCRIBE reg for sip:reginfo@127.0.0.1:%d from sip:ppg@operator.example "
	    "(expires 120)", kam_port);
	CU_ASSERT_EQUAL(itest_wait_log(kam_log, refresh, KAM_GRANTED + 2), 0);
	free(refresh);
	double end = itest_now() + 3;
	while (itest_file_count(dkam.log, "reg event for sip:kuser@example.com: full state version 0, 1 registration, "
	    "1 active contact") < 2 && itest_now() < end)
		sleep_s(0.1);
	CU_ASSERT(itest_file_count(dkam.log, "reg event for sip:kuser@example.com: full state version 0, 1 registration, "
	    "1 active contact") >= 2);
	CU_ASSERT(!itest_file_has(dkam.log, "reg event: the core ended"));
}

/* The terminal de-REGISTERs at kamailio: the NOTIFY (registration and
 * contact terminated) removes the binding; the next push waits. */
static void t_kam_deregister_removes(void)
{
	CU_ASSERT_FATAL(kam_pid > 0);
	struct sq q;
	CU_ASSERT_EQUAL(itest_sip_register(dkam.dir, "127.0.0.1", kam_port, "kuser", kterm_port, 0), 200);
	/* every earlier full document logged "-> * removed" too: wait for this
	 * document's own line */
	CU_ASSERT_EQUAL(itest_wait_log(dkam.log, "reg event for sip:kuser@example.com: full state version 0, "
	    "1 registration, 0 active contacts", 5), 0);
	CU_ASSERT(itest_file_has(dkam.log, "registration sip:kuser@example.com -> * removed"));
	CU_ASSERT_EQUAL(push(&dkam, "kre-2@regev", "kuser", "after the de-REGISTER"), 1001);
	sleep_s(1.0);
	CU_ASSERT_EQUAL(statusquery(&dkam, "kre-2@regev", &q), 0);
	CU_ASSERT_EQUAL(q.state, PAP_STATE_PENDING);
	CU_ASSERT_PTR_NOT_NULL(strstr(q.desc, "waiting for a registration"));
	/* one subscription (dialog) serves both pushes */
	CU_ASSERT_EQUAL(itest_file_count(kam_log, "SUBSCRIBE reg for sip:kuser@example.com"), 1);
}

/* SIGTERM with subscriptions open (the kamailio one, active): ppgd ends
 * them with an un-SUBSCRIBE and exits 0 (under ASan/LSan in build-asan:
 * nothing leaked). */
static void t_kam_clean_stop(void)
{
	CU_ASSERT_FATAL(dkam.pid > 0);
	int st = itest_daemon_stop(&dkam);
	CU_ASSERT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (!(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0))
		itest_daemon_print_log(&dkam, 6000);
	/* the stack's shutdown ended the dialog: an un-SUBSCRIBE reached kamailio */
	char *unsub = itest_asprintf("SUBSCRIBE reg for sip:reginfo@127.0.0.1:%d from sip:ppg@operator.example "
	    "(expires 0)", kam_port);
	CU_ASSERT_EQUAL(itest_wait_log(kam_log, unsub, 3), 0);
	free(unsub);
}

/* ================================== suite: sipp as the notifier */

static struct itest_daemon dn;
static int dn_sip, n_port, nterm_port;
static pid_t n_pid, nterm_pid;
static char *n_log, *nterm_log;

static int init_notifier(void)
{
	if (itest_daemon_init(&dn, "regev-sipp") != 0)
		return 0;
	nterm_log = itest_asprintf("%s/nterm.msg", dn.dir);
	char *out = itest_asprintf("%s/nterm.out", dn.dir);
	nterm_pid = itest_sip_uas(dn.dir, tu_src("tests/sipp/regevent_terminal.xml"), 2, nterm_log, out, &nterm_port);
	free(out);
	/* the notifier scenario with the terminal's port */
	size_t len = 0;
	char *t = tu_read_file(tu_src("tests/sipp/regevent_notifier.xml"), &len);
	char port[16], *at;
	snprintf(port, sizeof port, "%d", nterm_port);
	while (t && (at = strstr(t, "@TPORT@"))) {
		*at = '\0';
		char *x = itest_asprintf("%s%s%s", t, port, at + 7);
		free(t);
		t = x;
	}
	char *scen = t ? itest_write_file(dn.dir, "notifier.xml", t, strlen(t)) : NULL;
	free(t);
	n_log = itest_asprintf("%s/notifier.msg", dn.dir);
	out = itest_asprintf("%s/notifier.out", dn.dir);
	if (scen)
		n_pid = itest_sip_uas(dn.dir, scen, 2, n_log, out, &n_port);
	free(out);
	free(scen);
	/* reg_event_server: the SUBSCRIBEs go to the notifier; no outbound
	 * proxy: the MESSAGE goes straight to the contact learnt */
	int sip;
	char *extra = itest_asprintf("reg_event_server = sip:127.0.0.1:%d\n", n_port);
	dn_sip = 0;
	if (n_pid > 0) {
		/* start_ppgd initialises again: keep the tmpdir by hand */
		sip = itest_free_port_udp_tcp();
		char *sections = itest_asprintf(
		    "[sip]\nenabled = yes\nlisten = sip:127.0.0.1:%d\nfrom = sip:ppg@operator.example\n"
		    "transaction_timeout = 4\nretry_min = 1\nretry_max = 2\nmax_attempts = 3\n"
		    "reg_event = yes\n%s\n", sip, extra);
		if (itest_std_config(&dn, NULL, sections) == 0)
			itest_daemon_start(&dn);
		free(sections);
		dn_sip = sip;
	}
	free(extra);
	return 0;
}

static int clean_notifier(void)
{
	itest_sip_stop(&nterm_pid);
	itest_sip_stop(&n_pid);
	itest_daemon_destroy(&dn, 0);
	free(n_log);
	free(nterm_log);
	n_log = nterm_log = NULL;
	return 0;
}

/*
 * The push makes ppgd subscribe at the notifier; full state v1 gives the
 * terminal's binding (application, instance and GRUU from unknown-params
 * and gruuinfo) and the push is delivered straight to it; partial v2
 * adds a contact; partial v4 is a gap: ppgd refreshes in the dialog and
 * full v5 replaces the AoR's bindings; a NOTIFY terminated;reason=
 * deactivated ends the subscription and ppgd subscribes again (the
 * notifier's second call).
 */
static void t_notifier_versions_and_resubscribe(void)
{
	CU_ASSERT_FATAL(dn.pid > 0);
	CU_ASSERT_FATAL(n_pid > 0 && nterm_pid > 0);
	struct sq q;
	const char *aor = "reg event for sip:nuser@example.com: ";

	CU_ASSERT_EQUAL(push(&dn, "nre-1@regev", "nuser", "from the notifier's state"), 1001);
	CU_ASSERT_EQUAL(wait_final(&dn, "nre-1@regev", 10, &q), 0);
	CU_ASSERT_EQUAL(q.state, PAP_STATE_DELIVERED);
	CU_ASSERT_EQUAL(q.code, 1000);
	char *rl = itest_asprintf("MESSAGE sip:nuser@127.0.0.1:%d SIP/2.0", nterm_port);
	CU_ASSERT(itest_file_has(nterm_log, rl));
	free(rl);
	char *line = itest_asprintf("registration sip:nuser@example.com -> sip:nuser@127.0.0.1:%d for 600 s, "
	    "applications \"mms.ua\"", nterm_port);
	CU_ASSERT_EQUAL(itest_wait_log(dn.log, line, 5), 0);
	free(line);

	char *want[] = {
		itest_asprintf("%sfull state version 1, 1 registration, 1 active contact", aor),
		itest_asprintf("%spartial state version 2, 1 registration, 1 active contact", aor),
		"registration sip:nuser@example.com -> sip:nuser@192.0.2.1:5060 for 300 s, applications \"other.app\"",
		itest_asprintf("%sstate unknown (partial reginfo version 4 after version 2): refreshing", aor),
		itest_asprintf("%sfull state version 5, 1 registration, 1 active contact", aor),
		"the core ended the subscription to sip:nuser@example.com (deactivated): again in 1 s",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		CU_ASSERT_EQUAL(itest_wait_log(dn.log, want[i], 8), 0);
	/* the gap's contact (partial v4) was never stored */
	CU_ASSERT(!itest_file_has(dn.log, "192.0.2.3"));
	/* full v5 removed the AoR's bindings before storing the terminal again */
	CU_ASSERT(itest_file_count(dn.log, "registration sip:nuser@example.com -> * removed") >= 2);
	/* the second subscription: the notifier's second call ran to its end
	 * too (its own terminated NOTIFY); sipp exits 0 when both passed */
	CU_ASSERT_EQUAL(itest_sip_wait(&n_pid, 20), 0);
	/* two dialogs (Request-URI the AoR), each refreshed once (Request-URI the notifier's Contact) */
	CU_ASSERT_EQUAL(itest_file_count(n_log, "SUBSCRIBE sip:nuser@example.com SIP/2.0"), 2);
	CU_ASSERT_EQUAL(itest_file_count(n_log, "SUBSCRIBE sip:notifier@127.0.0.1:"), 2);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (i != 2 && i != 5)
			free(want[i]);
	/* the pub-gruu of the reginfo is the binding's GRUU: a push addressed
	 * to it reaches the terminal with the GRUU as Request-URI */
	const char *gaddr = "WAPPUSH=sip%3Anuser%40example.com%3Bgr%3Durn%3Auuid%3A"
	    "00000000-0000-0000-0000-00000000aaaa/TYPE=USER";
	char *gb = itest_asprintf(
	    "--" BOUNDARY "\r\nContent-Type: application/xml; charset=UTF-8\r\n\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>\n<push-message push-id=\"nre-2@regev\">\n"
	    "  <address address-value=\"%s\"/>\n</push-message>\n</pap>\r\n"
	    "--" BOUNDARY "\r\nContent-Type: text/plain\r\nX-Wap-Application-Id: x-wap-application:mms.ua\r\n\r\n"
	    "to the GRUU\r\n--" BOUNDARY "--\r\n", gaddr);
	struct pap_msg *pm = itest_pap_post(&dn, ALICE, MULTIPART_CT, gb, strlen(gb));
	CU_ASSERT(pm && pm->nresults > 0 ? pm->results[0].code == 1001 : pm && pm->code == 1001);
	pap_msg_free(pm);
	free(gb);
	CU_ASSERT_EQUAL(wait_final(&dn, "nre-2@regev", 10, &q), 0);
	CU_ASSERT_EQUAL(q.state, PAP_STATE_DELIVERED);
	CU_ASSERT_EQUAL(itest_sip_wait(&nterm_pid, 5), 0);
	CU_ASSERT(itest_file_has(nterm_log, "MESSAGE sip:nuser@example.com;gr=urn:uuid:00000000-0000-0000-0000-00000000aaaa SIP/2.0"));

	/* SIGTERM while a resubscription waits for its backoff: exit 0 */
	int st = itest_daemon_stop(&dn);
	CU_ASSERT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/*
 * After a restart the push parked before it (kre-2, no binding) is not
 * left waiting for a third-party REGISTER: at start ppgd subscribes again to
 * every AoR that parked deliveries wait on (the scan of
 * ppg_bearer_sip_regown.c), so the terminal's REGISTER at kamailio, NOTIFYed
 * to the restarted ppgd, delivers it.
 */
static void t_kam_restart_resubscribes(void)
{
	CU_ASSERT_FATAL(kam_pid > 0);
	CU_ASSERT_FATAL(!itest_daemon_alive(&dkam));
	int before = itest_file_count(kam_log, "SUBSCRIBE reg for sip:kuser@example.com");
	CU_ASSERT_EQUAL_FATAL(itest_daemon_start(&dkam), 0);
	CU_ASSERT_EQUAL(itest_wait_log(dkam.log, "reg event: 1 AoR that parked pushes wait on and no node subscribes "
	    "to: subscribing", 5), 0);
	char *granted = itest_asprintf("reg event: subscribed to sip:kuser@example.com for %d s", KAM_GRANTED);
	CU_ASSERT_EQUAL(itest_wait_log(dkam.log, granted, 5), 0);
	free(granted);
	CU_ASSERT_EQUAL(itest_file_count(kam_log, "SUBSCRIBE reg for sip:kuser@example.com"), before + 1);
	struct sq q;
	CU_ASSERT_EQUAL(statusquery(&dkam, "kre-2@regev", &q), 0);
	CU_ASSERT_EQUAL(q.state, PAP_STATE_PENDING);

	free(kterm_log);
	kterm_log = itest_asprintf("%s/kterm2.msg", dkam.dir);
	char *out = itest_asprintf("%s/kterm2.out", dkam.dir);
	kterm_pid = itest_sip_uas(dkam.dir, tu_src("tests/sipp/regevent_terminal.xml"), 1, kterm_log, out, &kterm_port);
	free(out);
	CU_ASSERT_FATAL(kterm_pid > 0);
	CU_ASSERT_EQUAL(itest_sip_register(dkam.dir, "127.0.0.1", kam_port, "kuser", kterm_port, 600), 200);
	CU_ASSERT_EQUAL(wait_final(&dkam, "kre-2@regev", 10, &q), 0);
	CU_ASSERT_EQUAL(q.state, PAP_STATE_DELIVERED);
	CU_ASSERT_EQUAL(itest_sip_wait(&kterm_pid, 5), 0);
	char *rl = itest_asprintf("MESSAGE sip:kuser@127.0.0.1:%d SIP/2.0", kterm_port);
	CU_ASSERT(itest_file_has(kterm_log, rl));
	free(rl);
	/* no third-party REGISTER: the binding came by NOTIFY after the restart */
	CU_ASSERT(!itest_file_has(dkam.log, "REGISTER from "));
	int st = itest_daemon_stop(&dkam);
	CU_ASSERT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ======================== suite: reginfo beside third-party REGISTER */

static struct itest_daemon dm;
static int dm_sip, m_port, mterm_port;
static pid_t m_pid, mterm_pid;
static char *m_log, *mterm_log;

static int init_mixed(void)
{
	if (itest_daemon_init(&dm, "regev-mixed") != 0)
		return 0;
	mterm_log = itest_asprintf("%s/mterm.msg", dm.dir);
	char *out = itest_asprintf("%s/mterm.out", dm.dir);
	mterm_pid = itest_sip_uas(dm.dir, tu_src("tests/sipp/regevent_terminal.xml"), 3, mterm_log, out, &mterm_port);
	free(out);
	char port[16];
	snprintf(port, sizeof port, "%d", mterm_port);
	const char *from[] = { "@TPORT@" }, *to[] = { port };
	char *scen = itest_subst_file(dm.dir, "tests/sipp/regevent_notifier_full.xml", "notifier_full.xml", from, to, 1);
	m_log = itest_asprintf("%s/notifier_full.msg", dm.dir);
	out = itest_asprintf("%s/notifier_full.out", dm.dir);
	if (scen && mterm_pid > 0)
		m_pid = itest_sip_uas(dm.dir, scen, 1, m_log, out, &m_port);
	free(out);
	free(scen);
	if (m_pid > 0) {
		/* start_ppgd initialises again: write the config by hand */
		dm_sip = itest_free_port_udp_tcp();
		char *sections = itest_asprintf(
		    "[sip]\nenabled = yes\nlisten = sip:127.0.0.1:%d\nfrom = sip:ppg@operator.example\n"
		    "transaction_timeout = 4\nretry_min = 1\nretry_max = 2\nmax_attempts = 3\n"
		    "reg_event = yes\nreg_event_server = sip:127.0.0.1:%d\nreg_event_aors = sip:mix@example.com\n",
		    dm_sip, m_port);
		if (itest_std_config(&dm, NULL, sections) == 0)
			itest_daemon_start(&dm);
		free(sections);
	}
	return 0;
}

static int clean_mixed(void)
{
	itest_sip_stop(&mterm_pid);
	itest_sip_stop(&m_pid);
	itest_daemon_destroy(&dm, 0);
	free(m_log);
	free(mterm_log);
	m_log = mterm_log = NULL;
	return 0;
}

/* Position of the first text in the file at path, or -1. */
static long pos_in(const char *path, const char *text)
{
	char *s = tu_read_file(path, NULL);
	const char *at = s ? strstr(s, text) : NULL;
	long p = at ? (long)(at - s) : -1;
	free(s);
	return p;
}

/*
 * Full reginfo v1 tells of mixa (with a temp-gruu: a push to it reaches
 * mixa); then a third-party REGISTER binds mixr; then full v2 tells of mix
 * only. v2 replaces what reginfo told (mixa goes) and leaves what the
 * REGISTER told (mixr stays): the next push reaches mix and mixr.
 */
static void t_full_keeps_register(void)
{
	CU_ASSERT_FATAL(dm.pid > 0);
	CU_ASSERT_FATAL(m_pid > 0 && mterm_pid > 0);
	struct sq q;
	const char *v1 = "reg event for sip:mix@example.com: full state version 1";
	const char *v2 = "reg event for sip:mix@example.com: full state version 2";
	CU_ASSERT_EQUAL_FATAL(itest_wait_log(dm.log, v1, 10), 0);
	/* the reginfo's temp-gruu names mixa */
	char *b = itest_asprintf(
	    "--" BOUNDARY "\r\nContent-Type: application/xml; charset=UTF-8\r\n\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>\n<push-message push-id=\"mix-tg@regev\">\n"
	    "  <address address-value=\"WAPPUSH=sip%%3Atgruu.mixa%%40example.com%%3Bgr/TYPE=USER\"/>\n"
	    "</push-message>\n</pap>\r\n"
	    "--" BOUNDARY "\r\nContent-Type: text/plain\r\nX-Wap-Application-Id: x-wap-application:mms.ua\r\n\r\n"
	    "to mixa by its temp-gruu\r\n--" BOUNDARY "--\r\n");
	struct pap_msg *pm = itest_pap_post(&dm, ALICE, MULTIPART_CT, b, strlen(b));
	CU_ASSERT(pm && (pm->nresults > 0 ? pm->results[0].code == 1001 : pm->code == 1001));
	pap_msg_free(pm);
	free(b);
	CU_ASSERT_EQUAL(wait_final(&dm, "mix-tg@regev", 10, &q), 0);
	CU_ASSERT_EQUAL(q.state, PAP_STATE_DELIVERED);
	/* the third-party REGISTER (tests/sipp/select_register.xml) of mixr */
	char cp[16];
	snprintf(cp, sizeof cp, "%d", mterm_port);
	const char *from[] = { "<sip:@USER@@127.0.0.1", "@USER@", "@CPORT@", "@EXPIRES@", "@PARAMS@" },
		*to[] = { "<sip:mixr@127.0.0.1", "mix", cp, "600", ";+g.oma.pusheventapp=\"mms.ua\"" };
	char *scen = itest_subst_file(dm.dir, "tests/sipp/select_register.xml", "register_mixr.xml", from, to, 5);
	char dst[32], *rlog = itest_asprintf("%s/register_mixr.msg", dm.dir);
	snprintf(dst, sizeof dst, "127.0.0.1:%d", dm_sip);
	const char *argv[] = { "sipp", "-sf", scen, "-m", "1", "-i", "127.0.0.1", "-nostdin", "-trace_msg",
		"-message_file", rlog, "-timeout", "15s", "-recv_timeout", "5000", dst, NULL };
	int code = -1;
	itest_run_full(argv, NULL, dm.dir, 30, NULL, NULL, &code);
	CU_ASSERT(itest_file_has(rlog, "SIP/2.0 200"));
	free(scen);
	free(rlog);
	char *regline = itest_asprintf("registration sip:mix@example.com -> sip:mixr@127.0.0.1:%d for", mterm_port);
	CU_ASSERT_EQUAL(itest_wait_log(dm.log, regline, 5), 0);
	CU_ASSERT_EQUAL_FATAL(itest_wait_log(dm.log, v2, 10), 0);
	/* the REGISTER came between the two documents */
	CU_ASSERT(pos_in(dm.log, v1) < pos_in(dm.log, regline) && pos_in(dm.log, regline) < pos_in(dm.log, v2));
	free(regline);
	CU_ASSERT_EQUAL(push(&dm, "mix-all@regev", "mix", "to every terminal of mix"), 1001);
	CU_ASSERT_EQUAL(wait_final(&dm, "mix-all@regev", 10, &q), 0);
	CU_ASSERT_EQUAL(q.state, PAP_STATE_DELIVERED);
	/* three MESSAGEs in all: mixa by its temp-gruu, then mix and mixr */
	CU_ASSERT_EQUAL(itest_sip_wait(&mterm_pid, 10), 0);
	char *ra = itest_asprintf("MESSAGE sip:mixa@127.0.0.1:%d SIP/2.0", mterm_port);
	char *rm = itest_asprintf("MESSAGE sip:mix@127.0.0.1:%d SIP/2.0", mterm_port);
	char *rr = itest_asprintf("MESSAGE sip:mixr@127.0.0.1:%d SIP/2.0", mterm_port);
	CU_ASSERT_EQUAL(itest_file_count(mterm_log, ra), 1);
	CU_ASSERT_EQUAL(itest_file_count(mterm_log, rm), 1);
	CU_ASSERT_EQUAL(itest_file_count(mterm_log, rr), 1);
	free(ra);
	free(rm);
	free(rr);
}

int main(void)
{
	static const struct itest_test_def kam[] = {
		{ "a push waits; ppgd subscribes at kamailio; REGISTER at kamailio -> NOTIFY -> delivered",
		  t_kam_push_waits_then_delivered },
		{ "the subscription is refreshed before kamailio's expiry", t_kam_refresh },
		{ "de-REGISTER at kamailio -> NOTIFY terminated removes the binding; the next push waits",
		  t_kam_deregister_removes },
		{ "SIGTERM with a subscription open: exit 0", t_kam_clean_stop },
		{ "restart with a push parked: subscribed again at start; REGISTER at kamailio -> delivered",
		  t_kam_restart_resubscribes },
		{ NULL, NULL },
	};
	static const struct itest_test_def notifier[] = {
		{ "full/partial state, a version gap refreshed, terminated -> subscribed again",
		  t_notifier_versions_and_resubscribe },
		{ NULL, NULL },
	};
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	static const struct itest_test_def mixed[] = {
		{ "a full document replaces what reginfo told, not what a REGISTER told; reginfo temp-gruu",
		  t_full_keeps_register },
		{ NULL, NULL },
	};
	if (itest_add_suite("reg event: kamailio as the core", init_kam, clean_kam, kam) < 0 ||
	    itest_add_suite("reg event: sipp as the notifier", init_notifier, clean_notifier, notifier) < 0 ||
	    itest_add_suite("reg event: beside third-party REGISTER", init_mixed, clean_mixed, mixed) < 0)
		return 1;
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
