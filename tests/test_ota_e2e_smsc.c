/*
 * test_ota_e2e_smsc.c - legacy Push OTA end to end against the SMSC: SMS
 * without receipts, the SMSC dropping the link mid-load, resetting it after
 * answering (query_sm), a receipt after a restart.
 * Shared set-up: tests/ota_e2e_common.c (split from test_ota_e2e.c).
 */
#include "tests/ota_e2e_common.h"

/* ================================== suite: SMS without receipts */

static struct itest_daemon dnorc;
static struct smsc snorc;

static int init_norc(void)
{
	if (prepare(&dnorc, "ota-norc", &snorc, NULL) != 0)
		return 0;
	launch(&dnorc, NULL, itest_asprintf(OTA_SMS_SECTION, "no", 2948, snorc.port, "no"));
	if (dnorc.pid > 0)
		wait_smsc_bound(&dnorc, 1);
	return 0;
}

static int clean_norc(void)
{
	smsc_free(&snorc);
	itest_daemon_destroy(&dnorc, 0);
	return 0;
}

static void t_sms_no_receipts_delivered_on_acceptance(void)
{
	NEED(dnorc);
	set_ctx(&dnorc, snorc.log, NULL);
	char text[341];
	memset(text, 'x', 340);
	text[340] = '\0';
	char *addr = plmn_address("+15551230002");
	EXPECT_INT(push1(&dnorc, "norc@ota-e2e", addr, NULL, "text/plain", MMS_APP, text, 340), PAP_ACCEPTED);
	free(addr);
	struct sq q;
	EXPECT(wait_final(&dnorc, "norc@ota-e2e", 10, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/SMS");
	EXPECT_HAS(q.desc, "3 segments accepted by the SMSC (unconfirmed)");
	struct submit *v = NULL;
	size_t n = smsc_submits(&snorc, &v), mine = 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].dst, "15551230002")) {
			mine++;
			EXPECT_INT(v[i].registered_delivery, 0x00);
			EXPECT(v[i].answered);
		}
	free(v);
	EXPECT_INT(mine, 3);
	EXPECT_INT(smsc_count(&snorc, "deliver_sm "), 0);
}

/* ================================== suite: the SMSC drops the link mid-load */

#define NDROP 50
#define DROP_AFTER "20"

static struct itest_daemon ddrop;
static struct smsc sdrop;

static int init_drop(void)
{
	static const char *const extra[] = { "--receipts", "--drop-after", DROP_AFTER, NULL };
	if (prepare(&ddrop, "ota-drop", &sdrop, extra) != 0)
		return 0;
	launch(&ddrop, NULL, itest_asprintf(OTA_SMS_SECTION "window = 10\n", "no", 2948, sdrop.port, "yes"));
	if (ddrop.pid > 0)
		wait_smsc_bound(&ddrop, 1);
	return 0;
}

static int clean_drop(void)
{
	smsc_free(&sdrop);
	itest_daemon_destroy(&ddrop, 0);
	return 0;
}

static void t_sms_drop_mid_load(void)
{
	NEED(ddrop);
	set_ctx(&ddrop, sdrop.log, NULL);
	double t0 = itest_now();
	int accepted[NDROP];
	int naccepted = 0;
	for (int i = 0; i < NDROP; i++) {
		char id[64], num[32], text[64];
		snprintf(id, sizeof id, "drop-%02d@ota-e2e", i);
		snprintf(num, sizeof num, "+155520000%02d", i);
		snprintf(text, sizeof text, "load push %02d", i);
		char *addr = plmn_address(num);
		accepted[i] = push1(&ddrop, id, addr, NULL, "text/plain", MMS_APP, text, strlen(text)) == PAP_ACCEPTED;
		naccepted += accepted[i];
		free(addr);
	}
	EXPECT_INT(naccepted, NDROP);
	/* every accepted push reaches delivered: statusquery each push-id */
	int delivered = 0, lost = 0;
	for (int i = 0; i < NDROP; i++) {
		if (!accepted[i])
			continue;
		char id[64];
		snprintf(id, sizeof id, "drop-%02d@ota-e2e", i);
		struct sq q;
		double left = 40 - (itest_now() - t0);
		if (wait_final(&ddrop, id, left > 1 ? left : 1, &q, NULL) == 0 && q.state == PAP_STATE_DELIVERED &&
		    q.code == PAP_OK)
			delivered++;
		else {
			lost++;
			fprintf(stderr, "\n  %s: %s %d \"%s\"", id, pap_state_str(q.state), q.code, q.desc);
		}
	}
	fprintf(stderr, "\n  %d of %d accepted pushes delivered in %.1f s", delivered, naccepted,
	    itest_now() - t0);
	EXPECT_INT(delivered, naccepted);
	EXPECT_INT(lost, 0);

	/* the SMSC's side: the drop happened, ppgd bound again */
	EXPECT_INT(smsc_count(&sdrop, "drop seq="), 1);
	EXPECT(smsc_count(&sdrop, "bind cmd=bind_transceiver") >= 2);
	EXPECT(wait_smsc_bound(&ddrop, 2) == 0);
	/* each number got an answered submit_sm; duplicates printed */
	struct submit *v = NULL;
	size_t n = smsc_submits(&sdrop, &v);
	int missing = 0, dup_answered = 0, dup_all = 0;
	for (int i = 0; i < NDROP; i++) {
		char dst[32];
		snprintf(dst, sizeof dst, "155520000%02d", i);
		int all = 0, ok = 0;
		for (size_t k = 0; k < n; k++)
			if (!strcmp(v[k].dst, dst)) {
				all++;
				ok += v[k].answered;
			}
		if (!ok)
			missing++;
		if (all > 1) {
			dup_all++;
			fprintf(stderr, "\n  duplicate in the SMSC log: %s submitted %d times (%d answered)", dst, all, ok);
		}
		if (ok > 1)
			dup_answered++;
	}
	fprintf(stderr, "\n  SMSC log: %zu submit_sm for %d pushes; %d numbers submitted more than once, "
	    "%d answered more than once\n", n, NDROP, dup_all, dup_answered);
	free(v);
	EXPECT_INT(missing, 0);
	/* at-least-once: the dropped submit is sent again; one that the SMSC
	 * answered before the drop must not be */
	EXPECT_INT(dup_answered, 0);
}

/* ========== suite: the SMSC resets the link after answering (query_sm) */

/*
 * The SMSC answers a submit_sm, then resets the connection (RST) before the
 * delivery receipt: the receipt is lost with the link. After the reconnect
 * ppgd asks with query_sm for the segments still waiting for a receipt and
 * maps the answer like a receipt, instead of waiting receipt_timeout (60 s
 * here, 600 s by default). The first query is answered DELIVERED, the
 * second UNDELIVERABLE.
 */
static struct itest_daemon dqsm;
static struct smsc sqsm;

static int init_qsm(void)
{
	static const char *const extra[] = { "--receipts", "--receipt-delay", "1", "--abort-after-answer",
		"1,2", "--query-state", "2,5", NULL };
	if (prepare(&dqsm, "ota-qsm", &sqsm, extra) != 0)
		return 0;
	launch(&dqsm, NULL, itest_asprintf(OTA_SMS_SECTION, "no", 2948, sqsm.port, "yes"));
	if (dqsm.pid > 0)
		wait_smsc_bound(&dqsm, 1);
	return 0;
}

static int clean_qsm(void)
{
	smsc_free(&sqsm);
	itest_daemon_destroy(&dqsm, 0);
	return 0;
}

/* The k-th line (from 0) of the SMSC log starting with prefix, copied into
 * out; 0, or -1 when there is none. */
static int smsc_line(const struct smsc *s, const char *prefix, size_t k, char *out, size_t cap)
{
	char *text = tu_read_file(s->log, NULL);
	size_t pl = strlen(prefix);
	int r = -1;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!strncmp(line, prefix, pl) && k-- == 0) {
			snprintf(out, cap, "%s", line);
			r = 0;
			break;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	return r;
}

/* One push whose submit the SMSC answers then resets: final through query_sm. */
static void qsm_case(const char *push_id, const char *number, size_t k, enum pap_state want_state,
    const char *want_stat, int want_state_value)
{
	char *addr = plmn_address(number);
	double t_push = wall_now();
	EXPECT_INT(push1(&dqsm, push_id, addr, NULL, "text/plain", MMS_APP, "query me", 8), PAP_ACCEPTED);
	free(addr);
	struct sq q;
	struct history h = { .n = 0 };
	EXPECT(wait_final(&dqsm, push_id, 15, &q, &h) == 0);
	double t_final = wall_now();
	for (size_t i = 0; i < h.n; i++)
		fprintf(stderr, "\n  history: %s", h.desc[i]);
	EXPECT_INT(q.state, want_state);
	EXPECT_HAS(q.desc, "query_sm stat:");
	EXPECT_HAS(q.desc, want_stat);

	char abort_line[256], query_line[256], buf[64], msg_id[32] = "";
	EXPECT_FATAL(smsc_line(&sqsm, "abort ", k, abort_line, sizeof abort_line) == 0);
	EXPECT_FATAL(smsc_line(&sqsm, "query_sm ", k, query_line, sizeof query_line) == 0);
	field(abort_line, " msg_id=", msg_id, sizeof msg_id);
	double t_abort = field(abort_line, " t=", buf, sizeof buf) ? strtod(buf, NULL) : 0;
	double t_query = field(query_line, " t=", buf, sizeof buf) ? strtod(buf, NULL) : 0;
	/* the query names the message the SMSC answered before the reset */
	EXPECT(msg_id[0] != '\0');
	EXPECT(field(query_line, " msg_id=", buf, sizeof buf) && !strcmp(buf, msg_id));
	EXPECT(field(query_line, " status=", buf, sizeof buf) && !strcmp(buf, "0x00000000"));
	EXPECT(field(query_line, " state=", buf, sizeof buf) && atoi(buf) == want_state_value);
	/* no receipt was ever sent for it: the query alone ended it */
	char dl[64];
	snprintf(dl, sizeof dl, "deliver_sm seq=");
	for (size_t i = 0; smsc_line(&sqsm, dl, i, buf, sizeof buf) == 0; i++)
		EXPECT(!strstr(buf, msg_id));
	/* recovered within the reconnect delay (1 s) and a round trip, not
	 * the receipt_timeout (60 s) */
	EXPECT(t_query > t_abort && t_query - t_abort < 4);
	EXPECT(t_final - t_abort < 5);
	fprintf(stderr, "\n  %s: pushed %.3f, SMSC reset after answering %.3f, query_sm %.3f s after the reset, "
	    "%s seen %.3f s after the reset (receipt_timeout 60 s)\n", push_id, t_push, t_abort,
	    t_query - t_abort, pap_state_str(q.state), t_final - t_abort);
}

static void t_qsm_delivered(void)
{
	NEED(dqsm);
	set_ctx(&dqsm, sqsm.log, NULL);
	qsm_case("qsm-1@ota-e2e", "+15552220001", 0, PAP_STATE_DELIVERED, "DELIVRD", 2);
	EXPECT(wait_smsc_bound(&dqsm, 2) == 0);
}

static void t_qsm_undeliverable(void)
{
	NEED(dqsm);
	set_ctx(&dqsm, sqsm.log, NULL);
	qsm_case("qsm-2@ota-e2e", "+15552220002", 1, PAP_STATE_UNDELIVERABLE, "UNDELIV", 5);
	/* two resets, two queries, each submit answered once (nothing resent) */
	EXPECT_INT(smsc_count(&sqsm, "abort "), 2);
	EXPECT_INT(smsc_count(&sqsm, "query_sm "), 2);
	EXPECT_INT(smsc_count(&sqsm, "submit_sm "), 2);
}

static void t_norc_clean_exit(void) { check_clean_exit(&dnorc); }
static void t_drop_clean_exit(void) { check_clean_exit(&ddrop); }

static void t_qsm_clean_exit(void) { check_clean_exit(&dqsm); }

/* ============================ suite: a receipt that comes after a restart */

/* ppgd on SQLite restarted between a submit and its receipt (3 s later):
 * the message id is in the database, so the receipt that reaches the new
 * run (which, having taken back its own lease, already sent the SMS again)
 * is matched: the delivery ends delivered by the first message's receipt. */
static struct itest_daemon drst;
static struct smsc srst;

static int init_rst(void)
{
	static const char *const extra[] = { "--receipts", "--receipt-delay", "3", NULL };
	if (prepare(&drst, "ota-rst", &srst, extra) != 0)
		return 0;
	launch(&drst, NULL, itest_asprintf(OTA_SMS_SECTION, "no", 2948, srst.port, "yes"));
	if (drst.pid > 0)
		wait_smsc_bound(&drst, 1);
	return 0;
}

static int clean_rst(void)
{
	smsc_free(&srst);
	itest_daemon_destroy(&drst, 0);
	return 0;
}

static void t_rst_receipt_after_restart(void)
{
	NEED(drst);
	set_ctx(&drst, srst.log, NULL);
	char *addr = plmn_address("+15551230055");
	EXPECT_INT(push1(&drst, "rst@ota-e2e", addr, NULL, "text/plain", MMS_APP, "before the restart", 18),
	    PAP_ACCEPTED);
	free(addr);
	/* the first submit, answered: its message id */
	char first[16] = "";
	double end = itest_now() + 10;
	while (!first[0] && itest_now() < end) {
		struct submit *v = NULL;
		size_t n = smsc_submits(&srst, &v);
		for (size_t i = 0; i < n && !first[0]; i++)
			if (!strcmp(v[i].dst, "15551230055") && v[i].answered)
				snprintf(first, sizeof first, "%s", v[i].msg_id);
		free(v);
		if (!first[0])
			usleep(50000);
	}
	EXPECT_FATAL(first[0] != '\0');
	usleep(300000);
	EXPECT_INT(smsc_count(&srst, "deliver_sm "), 0);   /* its receipt is still to come */
	EXPECT_INT(itest_daemon_stop(&drst), 0);
	EXPECT_INT(itest_daemon_start(&drst), 0);
	EXPECT_INT(wait_smsc_bound(&drst, 2), 0);
	struct sq q;
	EXPECT(wait_final(&drst, "rst@ota-e2e", 15, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "receipt stat:DELIVRD");
	/* matched by the message id the first run stored */
	char want[64];
	snprintf(want, sizeof want, "(message id %s)", first);
	char *log = tu_read_file(drst.log, NULL);
	EXPECT(log && strstr(log, want));
	free(log);
}

/* ---------------------------------------------------------------- main */

int main(void)
{
	static const struct itest_test_def norc[] = {
		{ "receipts = no: delivered when the SMSC accepts", t_sms_no_receipts_delivered_on_acceptance },
		{ "SIGTERM: exit 0, no sanitizer report", t_norc_clean_exit },
		{ NULL, NULL },
	};
	static const struct itest_test_def drop[] = {
		{ "SMSC drops mid-load: reconnect, all 50 delivered", t_sms_drop_mid_load },
		{ "SIGTERM: exit 0, no sanitizer report", t_drop_clean_exit },
		{ NULL, NULL },
	};
	static const struct itest_test_def qsm[] = {
		{ "SMSC resets after answering: query_sm says DELIVERED, delivered", t_qsm_delivered },
		{ "SMSC resets after answering: query_sm says UNDELIVERABLE", t_qsm_undeliverable },
		{ "SIGTERM: exit 0, no sanitizer report", t_qsm_clean_exit },
		{ NULL, NULL },
	};
	static const struct itest_test_def rst[] = {
		{ "a receipt after a restart (SQLite) finds its delivery", t_rst_receipt_after_restart },
		{ NULL, NULL },
	};

	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("Push OTA: SMS without receipts", init_norc, clean_norc, norc) ||
	    itest_add_suite("Push OTA: SMSC drops the link", init_drop, clean_drop, drop) ||
	    itest_add_suite("Push OTA: SMSC resets after answering (query_sm)", init_qsm, clean_qsm, qsm) ||
	    itest_add_suite("Push OTA: a receipt after a restart", init_rst, clean_rst, rst)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
