/*
 * test_pap_roundtrip.c - CUnit tests of the PAP codec (pap/): encode/decode round
 * trips of requests and responses, ccq addresses, what the encoder refuses.
 * Shared helpers: tests/pap_test_common.c (split from test_pap.c).
 */
#include "tests/pap_test_common.h"

/* ============================================================ round trips */

static void test_roundtrip_requests(void)
{
	static const char *const raw[] = {
		"WAPPUSH=+358408201681/TYPE=PLMN@ppg.carrier.com",
		"WAPPUSH=sip%3Aalice%40example.com/TYPE=USER@ppg",
		"WAPPUSH=2001:db8::1/TYPE=IPv6",
		"not an address <&\">",
	};
	struct pap_msg_addr addrs[4];
	struct pap_msg m;
	char *x;

	mk_addrs(addrs, raw, 4);
	CU_ASSERT_EQUAL(addrs[3].ok, 0);

	/* push-message with everything */
	memset(&m, 0, sizeof m);
	m.type = PAP_MSG_PUSH;
	m.version = PAP_V2_1;
	m.product_name = "PI & Co <test>";
	m.push_id = (char *)nasty;
	m.replace_push_id = "old\"1\"";
	m.replace_method = PAP_REPLACE_PENDING_ONLY;
	m.deliver_before = 1795292081;
	m.deliver_after = 983342700;
	m.source_reference = (char *)nasty;
	m.ppg_notify_requested_to = "http://pi.example/notify?a=1&b=2";
	m.progress_notes_requested = 1;
	m.addrs = addrs;
	m.naddrs = 4;
	m.qos = (struct pap_qos){ 1, PAP_PRIO_HIGH, PAP_DM_CONFIRMED, "GSM", 1, "SMS", 1 };
	x = roundtrip(&m);
	CU_ASSERT(x && strstr(x, "replace-method=\"pending-only\""));
	CU_ASSERT(x && strstr(x, "progress-notes-requested=\"true\""));
	CU_ASSERT(x && strstr(x, "deliver-before-timestamp=\"2026-11-21T20:14:41Z\""));
	CU_ASSERT(x && strstr(x, "&lt;") && strstr(x, "&quot;") && strstr(x, "&amp;amp;"));
	free(x);

	/* defaults are left out; each version has its DOCTYPE */
	static const struct {
		enum pap_version v;
		const char *dt;
	} vers[] = {
		{ PAP_V1_0, "\"-//WAPFORUM//DTD PAP 1.0//EN\" \"http://www.wapforum.org/DTD/pap_1.0.dtd\"" },
		{ PAP_V2_0, "\"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTD/pap_2.0.dtd\"" },
		{ PAP_V2_1, "\"-//WAPFORUM//DTD PAP 2.1//EN\" "
		  "\"http://www.openmobilealliance.org/tech/DTD/pap_2.1.dtd\"" },
	};
	for (size_t i = 0; i < 3; i++) {
		memset(&m, 0, sizeof m);
		m.type = PAP_MSG_PUSH;
		m.version = vers[i].v;
		m.push_id = "p1";
		m.addrs = addrs;
		m.naddrs = 1;
		m.qos.priority = PAP_PRIO_MEDIUM;
		x = roundtrip(&m);
		CU_ASSERT(x && strstr(x, vers[i].dt));
		CU_ASSERT(x && !strstr(x, "quality-of-service") && !strstr(x, "replace") &&
		    !strstr(x, "progress-notes") && !strstr(x, "timestamp"));
		free(x);
	}
	/* qos present with default values: an empty element */
	m.qos.present = 1;
	x = roundtrip(&m);
	CU_ASSERT(x && strstr(x, "<quality-of-service/>"));
	free(x);

	/* PAP 1.0 has no replace-push-id */
	memset(&m, 0, sizeof m);
	m.type = PAP_MSG_PUSH;
	m.version = PAP_V1_0;
	m.push_id = "p2";
	m.replace_push_id = "p1";
	m.replace_method = PAP_REPLACE_PENDING_ONLY;
	m.addrs = addrs;
	m.naddrs = 1;
	x = pap_msg_encode(&m, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_PTR_NULL(strstr(x, "replace"));
	struct pap_msg *d = decode_ok(x, strlen(x));
	if (d) {
		CU_ASSERT_EQUAL(d->version, PAP_V1_0);
		CU_ASSERT_PTR_NULL(d->replace_push_id);
		CU_ASSERT_EQUAL(d->replace_method, PAP_REPLACE_ALL);
		pap_msg_free(d);
	}
	free(x);

	/* an address given only in parsed form is written canonically */
	struct pap_msg_addr pa = { 0 };
	pa.ok = 1;
	CU_ASSERT_EQUAL(pap_addr_decode("wappush=tel%3a%2B1-555/type=user", &pa.addr, NULL), 0);
	m.addrs = &pa;
	x = pap_msg_encode(&m, NULL);
	CU_ASSERT(x && strstr(x, "address-value=\"WAPPUSH=tel%3A+1-555/TYPE=USER\""));
	free(x);

	/* the other requests */
	memset(&m, 0, sizeof m);
	m.version = PAP_V2_0;
	m.type = PAP_MSG_CANCEL;
	m.push_id = (char *)nasty;
	m.addrs = addrs;
	m.naddrs = 2;
	free(roundtrip(&m));
	m.naddrs = 0;
	x = roundtrip(&m);
	CU_ASSERT(x && strstr(x, "<cancel-message push-id="));
	free(x);
	m.type = PAP_MSG_STATUSQUERY;
	m.naddrs = 1;
	x = roundtrip(&m);
	CU_ASSERT(x && strstr(x, "<statusquery-message push-id="));
	free(x);

	memset(&m, 0, sizeof m);
	m.version = PAP_V2_1;
	m.type = PAP_MSG_CCQ;
	m.query_id = "q<1>";
	m.app_id = "x-wap-application:mms.ua";
	m.addrs = addrs + 1;
	m.naddrs = 1;
	x = roundtrip(&m);
	CU_ASSERT(x && strstr(x, "<ccq-message query-id=\"q&lt;1&gt;\""));
	free(x);

	memset(&m, 0, sizeof m);
	m.version = PAP_V2_1;
	m.type = PAP_MSG_RESULTNOTIFICATION_RESPONSE;
	m.push_id = "rn-1";
	m.code = 1000;
	m.desc = (char *)nasty;
	m.addrs = addrs;
	m.naddrs = 1;
	x = roundtrip(&m);
	CU_ASSERT(x && strstr(x, "<resultnotification-response push-id=\"rn-1\" code=\"1000\""));
	free(x);
}

static void test_roundtrip_responses(void)
{
	static const char *const raw[] = {
		"WAPPUSH=+358408201681/TYPE=PLMN@ppg.carrier.com",
		"WAPPUSH=127.0.0.1/TYPE=IPv4",
	};
	char *a1[] = { (char *)raw[0] };
	char *a2[] = { (char *)raw[0], (char *)raw[1] };
	struct pap_msg_addr addrs[2];
	struct pap_progress_note notes[2] = {
		{ "accepted", "queued <now>", 983342700 },
		{ "delivered", NULL, 0 },
	};
	struct pap_result res[2];
	struct pap_msg m;
	char *x;

	mk_addrs(addrs, raw, 2);

	memset(&m, 0, sizeof m);
	m.type = PAP_MSG_PUSH_RESPONSE;
	m.version = PAP_V2_1;
	m.push_id = (char *)nasty;
	m.sender_address = "http://ppg.example/pap";
	m.sender_name = "ppgd & friends";
	m.reply_time = 1795284760;
	m.notes = notes;
	m.nnotes = 2;
	m.code = 1001;
	m.desc = "Accepted for processing";
	res[0] = (struct pap_result){ 1001, m.desc, 0, 0, NULL, 0 };
	m.results = res;
	m.nresults = 1;
	x = roundtrip(&m);
	CU_ASSERT(x && strstr(x, "<response-result code=\"1001\" desc=\"Accepted for processing\"/>"));
	CU_ASSERT(x && strstr(x, "<progress-note stage=\"accepted\" note=\"queued &lt;now&gt;\" "
	    "time=\"2001-02-28T06:45:00Z\"/>"));
	free(x);

	memset(&m, 0, sizeof m);
	m.type = PAP_MSG_CANCEL_RESPONSE;
	m.version = PAP_V2_0;
	m.push_id = "c1";
	res[0] = (struct pap_result){ 1000, "cancelled", 0, 0, a1, 1 };
	res[1] = (struct pap_result){ 2008, (char *)nasty, 0, 0, a2, 2 };
	m.results = res;
	m.nresults = 2;
	x = roundtrip(&m);
	CU_ASSERT(x && strstr(x, "<cancel-result code=\"2008\""));
	free(x);

	m.type = PAP_MSG_STATUSQUERY_RESPONSE;
	res[0] = (struct pap_result){ 1000, "delivered", PAP_STATE_DELIVERED, 1795284760, a1, 1 };
	res[1] = (struct pap_result){ 1001, NULL, PAP_STATE_PENDING, 0, NULL, 0 };
	x = roundtrip(&m);
	CU_ASSERT(x && strstr(x, "<statusquery-result event-time=\"2026-11-21T18:12:40Z\" "
	    "message-state=\"delivered\" code=\"1000\""));
	CU_ASSERT(x && strstr(x, "<statusquery-result message-state=\"pending\" code=\"1001\"/>"));
	free(x);

	memset(&m, 0, sizeof m);
	m.type = PAP_MSG_CCQ_RESPONSE;
	m.version = PAP_V2_0;
	m.query_id = "q1";
	m.code = 1000;
	m.desc = "OK";
	m.addrs = addrs;
	m.naddrs = 1;
	free(roundtrip(&m));

	memset(&m, 0, sizeof m);
	m.type = PAP_MSG_RESULTNOTIFICATION;
	m.version = PAP_V2_1;
	m.push_id = "rn<1>";
	m.sender_address = "http://ppg.example/";
	m.sender_name = (char *)nasty;
	m.received_time = 983342700;
	m.event_time = 1795284760;
	m.state = PAP_STATE_UNDELIVERABLE;
	m.code = 4000;
	m.desc = "Service failure";
	m.addrs = addrs + 1;
	m.naddrs = 1;
	m.qos = (struct pap_qos){ 1, PAP_PRIO_LOW, PAP_DM_PREFERCONFIRMED, "", 0, "SMS", 0 };
	x = roundtrip(&m);
	CU_ASSERT(x && strstr(x, "message-state=\"undeliverable\""));
	CU_ASSERT(x && strstr(x, "delivery-method=\"preferconfirmed\""));
	free(x);

	memset(&m, 0, sizeof m);
	m.type = PAP_MSG_BADMESSAGE_RESPONSE;
	m.version = PAP_V1_0;
	m.code = 2000;
	m.desc = "unknown attribute 'colour' on <push-message>";
	m.bad_fragment = "<push-message push-id=\"x\" colour=\"red\">";
	x = roundtrip(&m);
	CU_ASSERT(x && strstr(x, "bad-message-fragment=\"&lt;push-message push-id=&quot;x&quot; "
	    "colour=&quot;red&quot;&gt;\""));
	free(x);
}

static void test_encode_invalid(void)
{
	struct pap_msg m;
	struct pap_msg_addr a = { 0 };
	size_t len = 77;

	memset(&m, 0, sizeof m);
	m.type = PAP_MSG_CANCEL;
	m.version = PAP_V2_0;
	m.push_id = "ok";
	char *x = pap_msg_encode(&m, &len);
	CU_ASSERT_PTR_NOT_NULL(x);
	CU_ASSERT_EQUAL(len, strlen(x));
	free(x);
	len = 77;
	m.push_id = "bad \xC3\x28 utf8";
	CU_ASSERT_PTR_NULL(pap_msg_encode(&m, &len));
	m.push_id = "control \x01 char";
	CU_ASSERT_PTR_NULL(pap_msg_encode(&m, &len));
	m.push_id = "ok";
	m.version = 30;
	CU_ASSERT_PTR_NULL(pap_msg_encode(&m, &len));
	m.version = PAP_V2_0;
	m.type = 99;
	CU_ASSERT_PTR_NULL(pap_msg_encode(&m, &len));
	m.type = PAP_MSG_CANCEL;
	m.addrs = &a;          /* neither raw nor parsed */
	m.naddrs = 1;
	CU_ASSERT_PTR_NULL(pap_msg_encode(&m, &len));
	CU_ASSERT_PTR_NULL(pap_msg_encode(NULL, &len));
	CU_ASSERT_EQUAL(len, 77);
}

/* ccq-message and ccq-response hold exactly one <address> (PAP 2.x DTD:
 * <!ELEMENT ccq-response ( address ) >): the encoder writes the queried one,
 * the decoder takes it back, and refuses either element without one or with
 * two; the encoder refuses to write one without. */
static void test_ccq_address(void)
{
	static const char *const raw[] = { "WAPPUSH=sip%3Aalice%40example.com/TYPE=USER@ppg",
		"WAPPUSH=+358408201681/TYPE=PLMN" };
	struct pap_msg_addr addrs[2];
	struct pap_msg m;
	size_t len;
	char *x;

	mk_addrs(addrs, raw, 2);
	memset(&m, 0, sizeof m);
	m.type = PAP_MSG_CCQ_RESPONSE;
	m.version = PAP_V2_0;
	m.query_id = "q1";
	m.code = 3008;
	m.desc = "no capabilities";
	m.addrs = addrs;
	m.naddrs = 1;
	x = roundtrip(&m);
	CU_ASSERT(x && strstr(x, "<ccq-response query-id=\"q1\" code=\"3008\" desc=\"no capabilities\">"
	    "<address address-value=\"WAPPUSH=sip%3Aalice%40example.com/TYPE=USER@ppg\"/></ccq-response>"));
	free(x);
	m.naddrs = 0;
	CU_ASSERT_PTR_NULL(pap_msg_encode(&m, &len));
	m.naddrs = 2;
	CU_ASSERT_PTR_NULL(pap_msg_encode(&m, &len));

#define DT20 "<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" " \
	"\"http://www.wapforum.org/DTD/pap_2.0.dtd\">\n"
	struct pap_error e;
	e = decode_bad(DT20 "<pap><ccq-response query-id=\"q1\" code=\"3008\"/></pap>", NULL, -EINVAL,
	    PAP_BAD_REQUEST);
	CU_ASSERT(strstr(e.desc, "exactly one <address>") != NULL);
	e = decode_bad(DT20 "<pap><ccq-message query-id=\"q1\"/></pap>", NULL, -EINVAL, PAP_BAD_REQUEST);
	CU_ASSERT(strstr(e.desc, "exactly one <address>") != NULL);
	decode_bad(DT20 "<pap><ccq-message query-id=\"q1\"><address address-value=\"WAPPUSH=+1/TYPE=PLMN\"/>"
	    "<address address-value=\"WAPPUSH=+2/TYPE=PLMN\"/></ccq-message></pap>", NULL, -EINVAL,
	    PAP_BAD_REQUEST);
#undef DT20
}

/* ============================================================ main */

int main(void)
{
	static const struct tu_test tests[] = {
		{ "round trip requests", test_roundtrip_requests },
		{ "round trip responses", test_roundtrip_responses },
		{ "ccq address", test_ccq_address },
		{ "encode invalid", test_encode_invalid },
	};
	return tu_run_suite("pap", tests, sizeof tests / sizeof tests[0]);
}
