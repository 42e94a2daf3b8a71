/*
 * test_ota_e2e_main.c - legacy Push OTA end to end: UDP (tshark sees the
 * WSP push), SMS in 3 segments with receipts, QoS, Kannel's test_ppg as the
 * Push Initiator.
 * Shared set-up: tests/ota_e2e_common.c (split from test_ota_e2e.c).
 */
#include "tests/ota_e2e_common.h"

/* ================================== suite: Push OTA (UDP, SMS, QoS, test_ppg) */

/*
 * One ppgd: [ota] udp to the port of this program's receiver (rx), sms to
 * an SMSC with receipts after 1.5 s; query_credentials for test_ppg.
 */
static struct itest_daemon dmain;
static struct smsc smain;
static struct udprx rx = { .fd4 = -1, .fd6 = -1 };

static int init_main(void)
{
	static const char *const extra[] = { "--receipts", "--receipt-delay", "1.5", NULL };
	if (udprx_open(&rx) != 0 || prepare(&dmain, "ota-main", &smain, extra) != 0)
		return 0;
	launch(&dmain, "query_credentials = yes\n",
	    itest_asprintf(OTA_SMS_SECTION, "yes", rx.port, smain.port, "yes"));
	if (dmain.pid > 0)
		wait_smsc_bound(&dmain, 1);
	return 0;
}

static int clean_main(void)
{
	smsc_free(&smain);
	itest_daemon_destroy(&dmain, 0);
	udprx_close(&rx);
	return 0;
}

#define SI_MMS SI_XML("http://www.example.com/mms/42", "mms-42@ota-e2e", "You have a new MMS")

/* Item 1: IPv4 and IPv6, captured by tshark and decoded by Wireshark's WSP
 * dissector; the payload decoded by ota_push_decode. */
static void t_udp_ipv4_ipv6_tshark(void)
{
	NEED(dmain);
	set_ctx(&dmain, NULL, NULL);
	udprx_drain(&rx);
	struct capture cap;
	int cs = capture_start(&cap, dmain.dir, "udp46", rx.port, 2);
	ctx_files[0] = cap.log;
	EXPECT_FATAL(cs == 0);

	const char *si = SI_MMS;
	EXPECT_INT(push1(&dmain, "udp4@ota-e2e", "WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example", NULL,
	    "text/vnd.wap.si", MMS_APP, si, strlen(si)), PAP_ACCEPTED);
	EXPECT_INT(push1(&dmain, "udp6@ota-e2e", "WAPPUSH=::1/TYPE=IPv6@ppg.example", NULL,
	    "text/vnd.wap.si", MMS_APP, si, strlen(si)), PAP_ACCEPTED);

	/* what this program's sockets received: one datagram per family */
	uint8_t buf[4096];
	int fam = 0, got4 = 0, got6 = 0;
	for (int i = 0; i < 2; i++) {
		ssize_t n = udprx_recv(&rx, buf, sizeof buf, 5, &fam);
		if (n > 0)
			fam == AF_INET ? got4++ : got6++;
	}
	EXPECT_INT(got4, 1);
	EXPECT_INT(got6, 1);

	int tcode = capture_wait(&cap);
	EXPECT_INT(tcode, 0);
	struct wsp_row rows[4];
	size_t n = capture_decode(&cap, rows, 4);
	EXPECT_INT(n, 2);
	size_t wlen = 0;
	uint8_t *want_body = wbxml_of(si, &wlen);
	EXPECT_FATAL(want_body != NULL);
	int seen4 = 0, seen6 = 0;
	for (size_t i = 0; i < n; i++) {
		struct wsp_row *r = &rows[i];
		fprintf(stderr, "\n  tshark: dst=%s pdu_type=%s content_type=%s app_id=%s (%zu octets)", r->dst,
		    r->pdu_type, r->ctype, r->app_id, r->len);
		seen4 += !strcmp(r->dst, "127.0.0.1");
		seen6 += !strcmp(r->dst, "::1");
		EXPECT_STR(r->pdu_type, "0x06");   /* Push */
		EXPECT_STR(r->ctype, "application/vnd.wap.sic");
		EXPECT_STR(r->app_id, MMS_APP);
		struct ota_push p;
		const char *why = NULL;
		int dr = ota_push_decode(r->payload, r->len, &p, &why);
		if (dr)
			fprintf(stderr, "\n  ota_push_decode: %d %s\n", dr, why ? why : "");
		EXPECT_INT(dr, 0);
		if (dr)
			continue;
		EXPECT_STR(p.content_type, "application/vnd.wap.sic");
		EXPECT_INT(p.app_id_code, 4);
		EXPECT(p.content_length && p.content_length_value == wlen);
		EXPECT(p.body_len == wlen && !memcmp(p.body, want_body, wlen));
		ota_push_release(&p);
	}
	EXPECT_INT(seen4, 1);
	EXPECT_INT(seen6, 1);
	free(want_body);

	struct sq q;
	EXPECT(wait_final(&dmain, "udp4@ota-e2e", 5, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/UDP");
	EXPECT_HAS(q.desc, "127.0.0.1");
	EXPECT(wait_final(&dmain, "udp6@ota-e2e", 5, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/UDP");
	EXPECT_HAS(q.desc, "::1");
	capture_free(&cap);
}

/* Item 2: a content of three SMS segments through the SMSC; delivered only
 * once the receipts came. */
static void t_sms_three_segments_receipt(void)
{
	NEED(dmain);
	set_ctx(&dmain, smain.log, NULL);
	char text[341];
	for (size_t i = 0; i < 340; i++)
		text[i] = (char)('a' + i % 26);
	text[340] = '\0';
	memcpy(text, "three-segments:", 15);
	char *addr = plmn_address("+15551230001");
	double t_push = wall_now();
	EXPECT_INT(push1(&dmain, "sms3@ota-e2e", addr, NULL, "text/plain", MMS_APP, text, 340), PAP_ACCEPTED);
	free(addr);

	/* pending, waiting for the receipt, after the SMSC took the segments */
	struct sq q;
	struct history h = { .n = 0 };
	int saw_waiting = 0;
	double end = itest_now() + 1.3;
	while (itest_now() < end && !saw_waiting) {
		if (statusquery(&dmain, "sms3@ota-e2e", &q) == 0) {
			history_add(&h, &q);
			saw_waiting = q.state == PAP_STATE_PENDING && strstr(q.desc, "waiting for the delivery receipt");
		}
		sleep_s(0.05);
	}
	EXPECT(saw_waiting);
	EXPECT(wait_final(&dmain, "sms3@ota-e2e", 15, &q, &h) == 0);
	double t_final = wall_now();
	for (size_t i = 0; i < h.n; i++)
		fprintf(stderr, "\n  history: %s", h.desc[i]);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/SMS");
	EXPECT_HAS(q.desc, "receipt stat:DELIVRD");

	struct submit *v = NULL;
	size_t n = smsc_submits(&smain, &v), mine = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].dst, "15551230001"))
			continue;
		mine++;
		EXPECT_INT(v[i].esm_class, 0x40);
		EXPECT_INT(v[i].data_coding, 0x04);
		EXPECT_INT(v[i].registered_delivery, 0x01);
		EXPECT(v[i].answered);
	}
	free(v);
	EXPECT_INT(mine, 3);
	EXPECT(smsc_count(&smain, "deliver_sm seq=") >= 3);

	uint8_t pdu[2048];
	size_t len = 0, nseg = 0;
	double t_last = 0;
	struct ota_wdp_udh info;
	EXPECT_FATAL(smsc_pdu(&smain, "15551230001", pdu, sizeof pdu, &len, &nseg, &t_last, &info) == 0);
	EXPECT_INT(nseg, 3);
	EXPECT(info.concat && !info.ref16 && info.total == 3);
	EXPECT(info.dst_port == OTA_WDP_PORT_PUSH && info.src_port == OTA_WDP_PORT_WSP_CL);
	size_t wl = 0;
	uint8_t *want = push_pdu(pdu[0], "text/plain", MMS_APP, (const uint8_t *)text, 340, &wl);
	EXPECT_FATAL(want != NULL);
	if (len != wl || memcmp(pdu, want, wl)) {
		char *a = hex_of(pdu, len), *b = hex_of(want, wl);
		fprintf(stderr, "\n  reassembled %s\n  expected    %s\n", a, b);
		free(a);
		free(b);
	}
	EXPECT(len == wl && !memcmp(pdu, want, wl));
	free(want);
	struct ota_push p;
	EXPECT_FATAL(ota_push_decode(pdu, len, &p, NULL) == 0);
	EXPECT_INT(p.tid, pdu[0]);
	EXPECT_STR(p.content_type, "text/plain");
	EXPECT_STR(p.app_id, MMS_APP);
	EXPECT_INT(p.app_id_code, 4);
	EXPECT(p.body_len == 340 && !memcmp(p.body, text, 340));
	ota_push_release(&p);
	/* delivered after the receipt (smsc.pl sends it 1.5 s after the submit) */
	fprintf(stderr, "\n  pushed %.3f, last segment %.3f, delivered seen %.3f\n", t_push, t_last, t_final);
	EXPECT(t_final - t_last >= 1.4);
}

/* Item 5: network-required. */
static void t_qos_network_required(void)
{
	NEED(dmain);
	set_ctx(&dmain, NULL, NULL);
	udprx_drain(&rx);
	const char *si = SI_MMS;
	const char *v4 = "WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example";
	EXPECT_INT(push1(&dmain, "qos-gsm@ota-e2e", v4, "network=\"GSM\" network-required=\"true\"",
	    "text/vnd.wap.si", MMS_APP, si, strlen(si)), PAP_ACCEPTED);
	struct sq q;
	EXPECT(wait_final(&dmain, "qos-gsm@ota-e2e", 5, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/UDP");
	uint8_t buf[4096];
	EXPECT(udprx_recv(&rx, buf, sizeof buf, 3, NULL) > 0);

	EXPECT_INT(push1(&dmain, "qos-cdma@ota-e2e", v4, "network=\"IS-95 CDMA\" network-required=\"true\"",
	    "text/vnd.wap.si", MMS_APP, si, strlen(si)), PAP_ACCEPTED);
	EXPECT(wait_final(&dmain, "qos-cdma@ota-e2e", 5, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_REJECTED);
	EXPECT_INT(q.code, PAP_NETWORK_NOT_AVAIL);
	EXPECT_HAS(q.desc, "IS-95 CDMA");
	EXPECT(udprx_recv(&rx, buf, sizeof buf, 0.5, NULL) < 0);   /* nothing sent */
}

static void t_qos_bearer_required_sms_ipv4(void)
{
	NEED(dmain);
	set_ctx(&dmain, NULL, NULL);
	udprx_drain(&rx);
	const char *si = SI_MMS;
	EXPECT_INT(push1(&dmain, "qos-sms-v4@ota-e2e", "WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example",
	    "bearer=\"SMS\" bearer-required=\"true\"", "text/vnd.wap.si", MMS_APP, si, strlen(si)),
	    PAP_ACCEPTED);
	struct sq q;
	EXPECT(wait_final(&dmain, "qos-sms-v4@ota-e2e", 5, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_REJECTED);
	EXPECT_INT(q.code, PAP_BEARER_NOT_AVAIL);
	EXPECT_HAS(q.desc, "SMS");
	uint8_t buf[4096];
	EXPECT(udprx_recv(&rx, buf, sizeof buf, 0.5, NULL) < 0);
}

static void t_qos_confirmed_ipv4(void)
{
	NEED(dmain);
	set_ctx(&dmain, NULL, NULL);
	udprx_drain(&rx);
	const char *si = SI_MMS;
	EXPECT_INT(push1(&dmain, "qos-confirmed@ota-e2e", "WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example",
	    "delivery-method=\"confirmed\"", "text/vnd.wap.si", MMS_APP, si, strlen(si)), PAP_ACCEPTED);
	struct sq q;
	EXPECT(wait_final(&dmain, "qos-confirmed@ota-e2e", 5, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_REJECTED);
	EXPECT_INT(q.code, PAP_DELIVERY_METHOD_NOT_POSS);
	uint8_t buf[4096];
	EXPECT(udprx_recv(&rx, buf, sizeof buf, 0.5, NULL) < 0);
}

static void t_qos_preferconfirmed_ipv4(void)
{
	NEED(dmain);
	set_ctx(&dmain, NULL, NULL);
	udprx_drain(&rx);
	const char *si = SI_MMS;
	EXPECT_INT(push1(&dmain, "qos-prefer@ota-e2e", "WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example",
	    "delivery-method=\"preferconfirmed\"", "text/vnd.wap.si", MMS_APP, si, strlen(si)), PAP_ACCEPTED);
	struct sq q;
	EXPECT(wait_final(&dmain, "qos-prefer@ota-e2e", 5, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/UDP");
	uint8_t buf[4096];
	ssize_t n = udprx_recv(&rx, buf, sizeof buf, 3, NULL);
	EXPECT(n > 0);
	struct ota_push p;
	if (n > 0 && ota_push_decode(buf, (size_t)n, &p, NULL) == 0) {
		EXPECT_STR(p.content_type, "application/vnd.wap.sic");
		ota_push_release(&p);
	} else {
		EXPECT(!"the datagram decodes as a Push PDU");
	}
}

/* Item 6: Kannel's test_ppg (configuration-file mode, -b: HTTP Basic). */
static int run_test_ppg(struct itest_daemon *d, const char *tag, const char *pap_xml, const char *content,
    const char *const *opts)
{
	if (access(TEST_PPG, X_OK) != 0)
		fprintf(stderr, "\n%s is missing: install the Debian package kannel-extras "
		    "(scripts/setup.sh does)\n", TEST_PPG);
	if (access(TEST_PPG, X_OK) != 0)
		return -1;
	char name[128];
	snprintf(name, sizeof name, "%s-pap.xml", tag);
	char *pap_path = itest_write_file(d->dir, name, pap_xml, strlen(pap_xml));
	snprintf(name, sizeof name, "%s-content.xml", tag);
	char *content_path = itest_write_file(d->dir, name, content, strlen(content));
	char *conf = itest_asprintf(
	    "group = test-ppg\nretries = 0\npi-ssl = no\n\n"
	    "group = configuration\npush-url = \"%s\"\npap-file = \"%s\"\ncontent-file = \"%s\"\n"
	    "username = alice\npassword = %s\n",
	    d->url, pap_path, content_path, ITEST_ALICE_SECRET);
	snprintf(name, sizeof name, "%s-test_ppg.conf", tag);
	char *conf_path = itest_write_file(d->dir, name, conf, strlen(conf));
	const char *argv[16];
	int n = 0;
	argv[n++] = TEST_PPG;
	argv[n++] = "-v";
	argv[n++] = "1";
	argv[n++] = "-q";
	argv[n++] = "-b";
	for (size_t i = 0; opts[i] && n < 12; i++)
		argv[n++] = opts[i];
	argv[n++] = conf_path;
	argv[n] = NULL;
	char *out = NULL, *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, d->dir, 30, &out, &err, &code);
	int ok = code == 0 && err && strstr(err, "1 succeeded, 0 failed");
	if (!ok)
		fprintf(stderr, "\ntest_ppg exit %d\nstdout: %s\nstderr: %s\n", code, out ? out : "", err ? err : "");
	free(out);
	free(err);
	free(conf);
	free(pap_path);
	free(content_path);
	free(conf_path);
	return ok ? 0 : -1;
}

static void t_test_ppg_si_ipv4_udp(void)
{
	NEED(dmain);
	set_ctx(&dmain, NULL, NULL);
	udprx_drain(&rx);
	const char *pap =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP//EN\"\n"
	    "          \"http://www.wapforum.org/DTD/pap_1.0.dtd\">\n"
	    "<pap>\n"
	    "  <push-message push-id=\"kannel-si@ota-e2e\"\n"
	    "  progress-notes-requested=\"false\">\n"
	    "    <address address-value=\"WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example\">\n"
	    "    </address>\n"
	    "    <quality-of-service\n"
	    "    priority=\"low\"\n"
	    "    delivery-method=\"unconfirmed\">\n"
	    "    </quality-of-service>\n"
	    "  </push-message>\n"
	    "</pap>\n";
	const char *si =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE si PUBLIC \"-//WAPFORUM//DTD SI 1.0//EN\"\n"
	    "\"http://www.wapforum.org/DTD/si.dtd\">\n"
	    "<si>\n"
	    "    <indication href=\"http://www.example.com/mms/1\"\n"
	    "        si-id=\"1@itest\"\n"
	    "        action=\"signal-high\">\n"
	    "            You have a new MMS\n"
	    "    </indication>\n"
	    "</si>\n";
	const char *opts[] = { "-c", "si", "-a", "mms", NULL };
	EXPECT_FATAL(run_test_ppg(&dmain, "si", pap, si, opts) == 0);
	struct sq q;
	EXPECT(wait_final(&dmain, "kannel-si@ota-e2e", 5, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/UDP");
	uint8_t buf[4096];
	int fam = 0;
	ssize_t n = udprx_recv(&rx, buf, sizeof buf, 3, &fam);
	EXPECT_FATAL(n > 0);
	EXPECT_INT(fam, AF_INET);
	struct ota_push p;
	const char *why = NULL;
	int dr = ota_push_decode(buf, (size_t)n, &p, &why);
	if (dr)
		fprintf(stderr, "\n  ota_push_decode: %d %s\n", dr, why ? why : "");
	EXPECT_FATAL(dr == 0);
	size_t wl = 0;
	uint8_t *want = wbxml_of(si, &wl);
	EXPECT_STR(p.content_type, "application/vnd.wap.sic");
	EXPECT_INT(p.app_id_code, 4);   /* -a mms: X-WAP-Application-Id: mms.ua */
	EXPECT(want && p.body_len == wl && !memcmp(p.body, want, wl));
	free(want);
	ota_push_release(&p);
}

static void t_test_ppg_sl_numeric_plmn_sms(void)
{
	NEED(dmain);
	set_ctx(&dmain, smain.log, NULL);
	const char *pap =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP//EN\"\n"
	    "          \"http://www.wapforum.org/DTD/pap_1.0.dtd\">\n"
	    "<pap>\n"
	    "  <push-message push-id=\"kannel-sl@ota-e2e\"\n"
	    "  progress-notes-requested=\"false\">\n"
	    "    <address address-value=\"WAPPUSH=+358408201681/TYPE=PLMN@ppg.example\">\n"
	    "    </address>\n"
	    "    <quality-of-service\n"
	    "    priority=\"low\"\n"
	    "    delivery-method=\"unconfirmed\"\n"
	    "    network-required=\"true\"\n"
	    "    network=\"gsm\"\n"
	    "    bearer-required=\"true\"\n"
	    "    bearer=\"sms\">\n"
	    "    </quality-of-service>\n"
	    "  </push-message>\n"
	    "</pap>\n";
	const char *sl =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE sl PUBLIC \"-//WAPFORUM//DTD SL 1.0//EN\"\n"
	    "\"http://www.wapforum.org/DTD/sl.dtd\">\n"
	    "<sl href=\"http://wap.iobox.fi\" action=\"execute-high\">\n"
	    "</sl>\n";
	const char *opts[] = { "-c", "sl", "-a", "ua", "-n", NULL };
	EXPECT_FATAL(run_test_ppg(&dmain, "sl", pap, sl, opts) == 0);
	struct sq q;
	EXPECT(wait_final(&dmain, "kannel-sl@ota-e2e", 15, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/SMS: delivered");
	uint8_t pdu[1024];
	size_t len = 0, nseg = 0;
	EXPECT_FATAL(smsc_pdu(&smain, "358408201681", pdu, sizeof pdu, &len, &nseg, NULL, NULL) == 0);
	EXPECT_INT(nseg, 1);
	struct ota_push p;
	EXPECT_FATAL(ota_push_decode(pdu, len, &p, NULL) == 0);
	size_t wl = 0;
	uint8_t *want = wbxml_of(sl, &wl);
	EXPECT_STR(p.content_type, "application/vnd.wap.slc");
	EXPECT_INT(p.app_id_code, 2);   /* -a ua -n: X-WAP-Application-Id: 2 (wml.ua) */
	EXPECT(want && p.body_len == wl && !memcmp(p.body, want, wl));
	free(want);
	ota_push_release(&p);
}

static void t_main_clean_exit(void) { check_clean_exit(&dmain); }

/* ---------------------------------------------------------------- main */

int main(void)
{
	static const struct itest_test_def main_tests[] = {
		{ "UDP: SI to 127.0.0.1 and ::1, tshark sees WSP Push sic mms.ua", t_udp_ipv4_ipv6_tshark },
		{ "SMS: 3 segments, reassembled PDU, delivered after the receipts", t_sms_three_segments_receipt },
		{ "QoS: network-required GSM delivered, IS-95 CDMA 3009", t_qos_network_required },
		{ "QoS: bearer-required SMS to IPv4 -> 3010", t_qos_bearer_required_sms_ipv4 },
		{ "QoS: confirmed to IPv4 -> 3007", t_qos_confirmed_ipv4 },
		{ "QoS: preferconfirmed to IPv4 -> delivered over UDP", t_qos_preferconfirmed_ipv4 },
		{ "test_ppg: SI to IPv4 delivered over UDP", t_test_ppg_si_ipv4_udp },
		{ "test_ppg: SL, numeric app id, PLMN, through the SMSC", t_test_ppg_sl_numeric_plmn_sms },
		{ "SIGTERM: exit 0, no sanitizer report", t_main_clean_exit },
		{ NULL, NULL },
	};

	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("Push OTA: UDP, SMS, QoS, test_ppg", init_main, clean_main, main_tests)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
