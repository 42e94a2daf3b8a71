/*
 * test_sip_e2e_notify.c - SIP Push end to end: result notifications to the
 * Push Initiator (retried, PAP 1.0, deliver-after and progress notes).
 * Shared set-up: tests/sip_e2e_common.c (split from test_sip_e2e.c).
 */
#include "tests/sip_e2e_common.h"

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

/* ---------------------------------------------------------------- main */

int main(void)
{
	static const struct itest_test_def notify[] = {
		{ "notification answered 500 is retried, then delivered once", t_notification_retried },
		{ "PAP 1.0 push refused with 403: notification 1.0 undeliverable 2001",
		  t_notification_pap10_undeliverable },
		{ "deliver-after, progress notes while waiting, final notification",
		  t_deliver_after_and_progress_notes },
		{ NULL, NULL },
	};

	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("result notifications", init_not, clean_not, notify)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
