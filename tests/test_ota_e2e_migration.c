/*
 * test_ota_e2e_migration.c - legacy Push OTA end to end: SIP Push migration
 * (a registered tel: goes over SIP, an unregistered one over SMS, SIP 480
 * falls back to SMS).
 * Shared set-up: tests/ota_e2e_common.c (split from test_ota_e2e.c).
 */
#include "tests/ota_e2e_common.h"

/* ================================== suite: SIP Push -> SMS migration */

static struct itest_daemon dmig;
static struct smsc smig;
static int mig_sip_port;

static int init_mig(void)
{
	static const char *const extra[] = { "--receipts", NULL };
	if (prepare(&dmig, "ota-mig", &smig, extra) != 0)
		return 0;
	mig_sip_port = itest_free_port_udp_tcp();
	launch(&dmig, NULL, itest_asprintf(
	    "[sip]\n"
	    "enabled = yes\n"
	    "listen = sip:127.0.0.1:%d\n"
	    "from = sip:ppg@operator.example\n"
	    "transaction_timeout = 5\n"
	    "retry_min = 1\n"
	    "retry_max = 2\n"
	    "\n" OTA_SMS_SECTION "plmn_fallback = yes\nsip_fallback = yes\n",
	    mig_sip_port, "no", 2948, smig.port, "yes"));
	if (dmig.pid > 0)
		wait_smsc_bound(&dmig, 1);
	return 0;
}

static int clean_mig(void)
{
	smsc_free(&smig);
	itest_daemon_destroy(&dmig, 0);
	return 0;
}

static size_t submits_to(const struct smsc *s, const char *dst)
{
	struct submit *v = NULL;
	size_t n = smsc_submits(s, &v), k = 0;
	for (size_t i = 0; i < n; i++)
		k += !strcmp(v[i].dst, dst);
	free(v);
	return k;
}

static void t_mig_registered_goes_sip(void)
{
	NEED(dmig);
	struct term t;
	int ts = term_start(&t, dmig.dir, 200, "OK", 1);
	set_ctx(&dmig, smig.log, t.out);
	EXPECT_FATAL(ts == 0);
	EXPECT_INT(register_tel(dmig.dir, mig_sip_port, "15551239001", t.port), 200);
	const char *text = "migrated: this one goes over SIP Push";
	EXPECT_INT(push1(&dmig, "mig-sip@ota-e2e", "WAPPUSH=+15551239001/TYPE=PLMN@ppg.example", NULL,
	    "text/plain", MMS_APP, text, strlen(text)), PAP_ACCEPTED);
	struct sq q;
	EXPECT(wait_final(&dmig, "mig-sip@ota-e2e", 10, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "SIP 200");
	EXPECT_INT(term_wait(&t, 10), 0);
	EXPECT_INT(term_messages(&t), 1);
	EXPECT_INT(submits_to(&smig, "15551239001"), 0);
	term_free(&t);
}

static void t_mig_unregistered_goes_sms(void)
{
	NEED(dmig);
	set_ctx(&dmig, smig.log, NULL);
	const char *text = "no SIP registration: SMS";
	EXPECT_INT(push1(&dmig, "mig-sms@ota-e2e", "WAPPUSH=+15551239002/TYPE=PLMN@ppg.example", NULL,
	    "text/plain", MMS_APP, text, strlen(text)), PAP_ACCEPTED);
	struct sq q;
	EXPECT(wait_final(&dmig, "mig-sms@ota-e2e", 10, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/SMS");
	EXPECT_HAS(q.desc, "no live SIP registration");
	EXPECT_INT(submits_to(&smig, "15551239002"), 1);
	uint8_t pdu[1024];
	size_t len = 0, nseg = 0;
	EXPECT_FATAL(smsc_pdu(&smig, "15551239002", pdu, sizeof pdu, &len, &nseg, NULL, NULL) == 0);
	struct ota_push p;
	EXPECT_FATAL(ota_push_decode(pdu, len, &p, NULL) == 0);
	EXPECT_STR(p.content_type, "text/plain");
	EXPECT(p.body_len == strlen(text) && !memcmp(p.body, text, p.body_len));
	ota_push_release(&p);
}

static void t_mig_sip_480_falls_back_to_sms(void)
{
	NEED(dmig);
	struct term t;
	int ts = term_start(&t, dmig.dir, 480, "Temporarily Unavailable", 1);
	set_ctx(&dmig, smig.log, t.out);
	EXPECT_FATAL(ts == 0);
	EXPECT_INT(register_tel(dmig.dir, mig_sip_port, "15551239003", t.port), 200);
	const char *text = "SIP says 480: SMS after all";
	EXPECT_INT(push1(&dmig, "mig-480@ota-e2e", "WAPPUSH=+15551239003/TYPE=PLMN@ppg.example", NULL,
	    "text/plain", MMS_APP, text, strlen(text)), PAP_ACCEPTED);
	struct sq q;
	struct history h = { .n = 0 };
	EXPECT(wait_final(&dmig, "mig-480@ota-e2e", 15, &q, &h) == 0);
	for (size_t i = 0; i < h.n; i++)
		fprintf(stderr, "\n  history: %s", h.desc[i]);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/SMS");
	EXPECT_HAS(q.desc, "SIP Push could not reach the terminal");
	EXPECT_INT(term_wait(&t, 10), 0);
	EXPECT_INT(term_messages(&t), 1);
	EXPECT_INT(submits_to(&smig, "15551239003"), 1);
	term_free(&t);
}

static void t_mig_clean_exit(void) { check_clean_exit(&dmig); }

/* ---------------------------------------------------------------- main */

int main(void)
{
	static const struct itest_test_def mig[] = {
		{ "registered tel: PLMN push goes over SIP", t_mig_registered_goes_sip },
		{ "unregistered PLMN goes over SMS (plmn_fallback)", t_mig_unregistered_goes_sms },
		{ "SIP 480 -> the same delivery over SMS (sip_fallback)", t_mig_sip_480_falls_back_to_sms },
		{ "SIGTERM: exit 0, no sanitizer report", t_mig_clean_exit },
		{ NULL, NULL },
	};

	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("Push OTA: SIP Push migration", init_mig, clean_mig, mig)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
