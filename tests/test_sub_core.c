/*
 * test_sub_core.c - ua-profile subscriptions through a real SIP/IP core
 * (issue 9 item 5: "a terminal that SUBSCRIBEs through kamailio gets its
 * NOTIFY back through it"; the OMA-CD-PUSH CR on ARI §9.2.2.1, seed 003
 * §9.1.3, D.3; RFC 6665; RFC 3325).
 *
 * kamailio (tests/kamailio/ppgd-sub-core.cfg) listens on 127.0.0.2, a
 * loopback address of its own, and ppgd's [sip] trusted_cores names that
 * address only. The terminal is sipp on 127.0.0.1, which sends to kamailio:
 * kamailio asserts the From as P-Asserted-Identity (removing whatever the
 * terminal claimed), Record-Routes and relays to ppgd; ppgd's NOTIFYs follow
 * the route set back through kamailio, which marks what it relays within a
 * dialog (X-Core-Relayed), and the terminal's refresh and un-SUBSCRIBE go
 * along the same route set (tests/sipp/sub_core.xml checks each of these).
 *   - through the core without a P-Asserted-Identity: stored under the
 *     asserted identity while up, nothing after the un-SUBSCRIBE;
 *   - through the core with a forged P-Asserted-Identity of another user:
 *     stored under the terminal's own identity, nothing under the other;
 *   - straight to ppgd from 127.0.0.1 (not a trusted core) with a
 *     well-formed P-Asserted-Identity: 403, nothing stored
 *     (tests/sipp/sub_core_direct.xml).
 * Processes are started and stopped by PID (tests/itest.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "tests/itest.h"
#include "tests/itest_sip.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define ADMIN_SECRET "ops-s3cret"
#define CORE_IP "127.0.0.2"   /* kamailio's address, the only trusted core */
#define HOLD_MS 1500          /* sipp's pause after the first NOTIFY */

static struct itest_daemon dd;
static int dd_sip, dd_admin, kam_port;
static pid_t kam_pid;
static char *kam_log, *last_sipp_log;

static void show_ctx(const char *what)
{
	fprintf(stderr, "\n  FAILED: %s\n", what);
	itest_daemon_print_log(&dd, 3000);
	itest_print_tail("kamailio", kam_log, 3000);
	itest_print_tail("sipp", last_sipp_log, 5000);
}

#define EXPECT(c) do { int ok_ = (c) ? 1 : 0; if (!ok_) show_ctx(#c); CU_ASSERT(ok_); } while (0)
#define EXPECT_INT(a, e) do { long a_ = (long)(a), e_ = (long)(e); \
	if (a_ != e_) { fprintf(stderr, "\n  %s = %ld, expected %ld", #a, a_, e_); show_ctx(#a); } \
	CU_ASSERT(a_ == e_); } while (0)

/* A copy of tests/sipp/NAME in the daemon's directory with its [keys]
 * replaced (sipp's -key does not reach the regular expressions of its
 * checks): user, pai (a header line or ""), core, expires, refresh, hold.
 * The path, malloc'ed. */
static char *scenario(const char *name, const char *user, const char *pai)
{
	static int seq;
	char core[48], hold[16];
	char *t = tu_read_file(tu_src(name), NULL);
	snprintf(core, sizeof core, "127\\.0\\.0\\.2:%d", kam_port);
	snprintf(hold, sizeof hold, "%d", HOLD_MS);
	itest_subst(&t, "user", user, 1);
	itest_subst(&t, "pai", pai, 1);
	itest_subst(&t, "core", core, 1);
	itest_subst(&t, "expires", "600", 1);
	itest_subst(&t, "refresh", "300", 1);
	itest_subst(&t, "hold", hold, 1);
	char fname[32];
	snprintf(fname, sizeof fname, "scen_%d.xml", ++seq);
	char *path = t ? itest_write_file(dd.dir, fname, t, strlen(t)) : NULL;
	free(t);
	return path;
}

/* Starts sipp (the terminal, on 127.0.0.1) with scenario scen against
 * remote (ip:port) in the background; its local port in *port. The PID or
 * -1. */
static pid_t terminal_start(const char *scen, const char *remote, int *port)
{
	static int seq;
	free(last_sipp_log);
	last_sipp_log = itest_asprintf("%s/sipp_%d.msg", dd.dir, ++seq);
	char *out = itest_asprintf("%s/sipp_%d.out", dd.dir, seq);
	const char *argv[] = { "sipp", remote, "-sf", scen, "-m", "1", "-i", "127.0.0.1", "-p", "@PORT@",
		"-nostdin", "-trace_msg", "-message_file", last_sipp_log, "-timeout", "30s", "-timeout_error", NULL };
	*port = 0;
	pid_t pid = itest_sipp_start(argv, dd.dir, out, 0, port);
	free(out);
	return pid;
}

/* GET /api/v1/bindings?aor=AOR on the admin listener: the "subscriptions"
 * array (a new reference), or NULL. */
static json_t *subscriptions(const char *aor)
{
	char *url = itest_asprintf("http://127.0.0.1:%d/api/v1/bindings?aor=%s", dd_admin, aor);
	struct itest_resp resp;
	json_t *j = NULL, *subs = NULL;
	if (itest_http("GET", url, NULL, NULL, 0, "ops", ADMIN_SECRET, &resp) == 0 && resp.status == 200)
		j = json_loadb(resp.body, resp.len, 0, NULL);
	itest_resp_free(&resp);
	free(url);
	if (j)
		subs = json_incref(json_object_get(j, "subscriptions"));
	json_decref(j);
	return subs;
}

/* Waits up to timeout_s until aor has n subscriptions stored; their array
 * (a new reference) or NULL. */
static json_t *wait_subscriptions(const char *aor, size_t n, double timeout_s)
{
	double end = itest_now() + timeout_s;
	for (;;) {
		json_t *subs = subscriptions(aor);
		if (subs && json_array_size(subs) == n)
			return subs;
		json_decref(subs);
		if (itest_now() > end)
			return NULL;
		usleep(30000);
	}
}

static const char *sfield(json_t *s, const char *k)
{
	const char *v = json_string_value(json_object_get(s, k));
	return v ? v : "";
}

/* 1 when this machine lets a socket bind CORE_IP (Linux routes all of
 * 127/8 to the loopback interface). */
static int core_ip_usable(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	inet_pton(AF_INET, CORE_IP, &a.sin_addr);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* kamailio with tests/kamailio/ppgd-sub-core.cfg on udp:CORE_IP:kam_port,
 * relaying new subscriptions to ppgd. Waits until it listens there (the
 * port bound, by kamailio itself). 0 or -1. */
static int kam_start(void)
{
	char *def = itest_asprintf("PPGD_URI=\"sip:127.0.0.1:%d\"", dd_sip);
	struct itest_sip_kam k = { .cfg = "tests/kamailio/ppgd-sub-core.cfg", .dir = dd.dir, .ip = CORE_IP,
		.udp_port = kam_port, .defines = { def } };
	kam_pid = itest_sip_kam_start(&k, &kam_log);
	free(def);
	return kam_pid > 0 ? 0 : -1;
}

static int start_daemon(void)
{
	const char *h = itest_hash_secret(ADMIN_SECRET);
	char *sections = itest_asprintf(
	    "[sip]\nenabled = yes\nlisten = sip:127.0.0.1:%d\nfrom = sip:ppg@operator.example\n"
	    "trusted_cores = " CORE_IP "/32\nsubscribe_min_expires = 60\nsubscribe_max_expires = 900\n"
	    "uaprof_fetch = no\n"
	    "[admin]\nenabled = yes\nlisten = 127.0.0.1:%d\n[admin ops]\nsecret_hash = %s\n"
	    "allow = 127.0.0.0/8\n", dd_sip, dd_admin, h ? h : "");
	int r = itest_std_config(&dd, NULL, sections) == 0 ? itest_daemon_start(&dd) : -1;
	free(sections);
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

static int init_core(void)
{
	if (!core_ip_usable()) {
		fprintf(stderr, "cannot bind %s on this machine: the core needs an address of its own\n", CORE_IP);
		return 0;   /* the tests see kam_pid == 0 */
	}
	if (itest_daemon_init(&dd, "subcore") != 0)
		return 0;
	dd_sip = itest_free_port_udp_tcp();
	dd_admin = itest_free_port();
	kam_port = itest_free_port_udp_tcp();
	if (start_daemon() == 0)
		kam_start();
	return 0;
}

static int clean_core(void)
{
	itest_sip_kam_stop(&kam_pid);
	itest_daemon_destroy(&dd, 0);
	free(kam_log);
	free(last_sipp_log);
	kam_log = last_sipp_log = NULL;
	return 0;
}

#define NEED() do { CU_ASSERT_FATAL(dd.pid > 0); CU_ASSERT_FATAL(kam_pid > 0); } while (0)

/*
 * Runs sub_core.xml for user (sending pai, a header line or "") through
 * the core and checks the store while the subscription is up: stored under
 * sip:USER@biloxi.example with the terminal's Contact, nothing under
 * sip:OTHER@biloxi.example (other may be NULL); sipp's exit 0 (every
 * answer and NOTIFY came, the NOTIFYs through the core); nothing stored
 * after the un-SUBSCRIBE.
 */
static void lifecycle_through_core(const char *user, const char *pai, const char *other)
{
	char remote[32];
	int port = 0;
	snprintf(remote, sizeof remote, CORE_IP ":%d", kam_port);
	char *scen = scenario("tests/sipp/sub_core.xml", user, pai);
	char *aor = itest_asprintf("sip:%s@biloxi.example", user);
	char *other_aor = other ? itest_asprintf("sip:%s@biloxi.example", other) : NULL;
	EXPECT(scen != NULL);
	pid_t pid = scen ? terminal_start(scen, remote, &port) : -1;
	EXPECT(pid > 0);
	if (pid <= 0)
		goto out;
	json_t *subs = wait_subscriptions(aor, 1, 10);
	EXPECT(subs != NULL);
	if (subs && json_array_size(subs) == 1) {
		json_t *s = json_array_get(subs, 0);
		char *contact = itest_asprintf("sip:%s@127.0.0.1:%d", user, port);
		EXPECT(!strcmp(sfield(s, "aor"), aor));   /* the identity the core asserted */
		EXPECT(!strcmp(sfield(s, "contact"), contact));   /* the terminal, not the core */
		EXPECT(!strcmp(sfield(s, "apps"), "mms.ua"));
		EXPECT(json_integer_value(json_object_get(s, "expires_in")) > 500);
		free(contact);
	}
	json_decref(subs);
	if (other_aor) {
		subs = subscriptions(other_aor);
		EXPECT(subs != NULL);
		EXPECT_INT(json_array_size(subs), 0);   /* the forged identity got nothing */
		json_decref(subs);
	}
	int code = -1;
	EXPECT_INT(itest_wait_pid(pid, 40, &code), 0);
	EXPECT_INT(code, 0);   /* every answer as expected, each NOTIFY through the core */
	subs = wait_subscriptions(aor, 0, 5);   /* un-SUBSCRIBEd: nothing left */
	EXPECT(subs != NULL);
	json_decref(subs);
	/* the refresh and the un-SUBSCRIBE reached ppgd within the dialog, via the core */
	EXPECT(itest_file_has(dd.log, "ended (un-SUBSCRIBE)"));
	char *msg = itest_asprintf("core: SUBSCRIBE sip:%s@biloxi.example", user);
	EXPECT(itest_file_has(kam_log, msg));
	free(msg);
out:
	free(scen);
	free(aor);
	free(other_aor);
}

/* No P-Asserted-Identity from the terminal: the core asserts its From. */
static void t_through_core(void)
{
	NEED();
	lifecycle_through_core("bob", "", NULL);
	EXPECT(itest_daemon_alive(&dd));
}

/* carol claims to be bob: the core replaces the claim with carol's
 * identity, on the first SUBSCRIBE and within the dialog. */
static void t_forged(void)
{
	NEED();
	lifecycle_through_core("carol", "P-Asserted-Identity: <sip:bob@biloxi.example>", "bob");
	EXPECT(itest_file_has(kam_log, "core: SUBSCRIBE from sip:carol@biloxi.example: P-Asserted-Identity of the "
	    "terminal removed: <sip:bob@biloxi.example>"));
	json_t *subs = subscriptions("sip:bob@biloxi.example");
	EXPECT(subs != NULL);
	EXPECT_INT(json_array_size(subs), 0);
	json_decref(subs);
}

/* The same SUBSCRIBE, P-Asserted-Identity included, sent straight to ppgd
 * from 127.0.0.1: not a trusted core, 403, nothing stored. */
static void t_direct(void)
{
	NEED();
	char remote[32];
	int port = 0;
	snprintf(remote, sizeof remote, "127.0.0.1:%d", dd_sip);
	char *scen = scenario("tests/sipp/sub_core_direct.xml", "dave", "");
	pid_t pid = scen ? terminal_start(scen, remote, &port) : -1;
	EXPECT(pid > 0);
	int code = -1;
	if (pid > 0) {
		EXPECT_INT(itest_wait_pid(pid, 40, &code), 0);
		EXPECT_INT(code, 0);   /* answered 403 */
	}
	json_t *subs = subscriptions("sip:dave@biloxi.example");
	EXPECT(subs != NULL);
	EXPECT_INT(json_array_size(subs), 0);
	json_decref(subs);
	EXPECT(!itest_file_has(kam_log, "sip:dave@biloxi.example"));   /* the core never saw it */
	/* the log names the method and the source, not "REGISTER" */
	EXPECT(itest_file_has(dd.log, "SUBSCRIBE from 127.0.0.1 refused (403): not in [sip] trusted_cores"));
	EXPECT(itest_daemon_alive(&dd));
	free(scen);
}

int main(void)
{
	static const struct itest_test_def tests[] = {
		{ "SUBSCRIBE through kamailio (PAI asserted by the core), NOTIFYs back through it, "
		  "refresh and un-SUBSCRIBE along the route set; stored meanwhile, gone after", t_through_core },
		{ "a forged P-Asserted-Identity is replaced by the core: stored under the terminal's own identity",
		  t_forged },
		{ "SUBSCRIBE straight to ppgd from an address outside trusted_cores: 403, nothing stored", t_direct },
		{ NULL, NULL },
	};
	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("ua-profile SUBSCRIBE through kamailio", init_core, clean_core, tests)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
