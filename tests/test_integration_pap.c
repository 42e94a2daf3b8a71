/*
 * test_integration_pap.c - the real ppgd over HTTP: PAP over HTTP (paths,
 * methods, push, statusquery, replace, cancel, PI isolation, ccq, bad and
 * hostile documents, limits, SIGTERM) and multiple_addresses = no.
 * Shared set-up: tests/integration_common.c (split from test_integration.c).
 */
#include "tests/integration_common.h"

/* ================================================ suite: PAP over HTTP */

static int init_pap(void)
{
	want_status = 202;
	start_std(&dpap, "pap", "query_credentials = yes\nmax_body = 64k\n", NULL);
	return 0;
}

static int clean_pap(void)
{
	return stop_suite(&dpap);
}

static void t_other_path_404(void)
{
	NEED(dpap);
	char *url = itest_asprintf("%s/other", dpap.base);
	char *doc = pap_doc(DOCTYPE_20, "<statusquery-message push-id=\"x\"/>");
	struct itest_resp r;
	itest_http("POST", url, "application/xml", doc, strlen(doc), ALICE, &r);
	remember(&dpap, doc, strlen(doc), &r);
	EXPECT(last.resp.status == 404);
	free(url);
	free(doc);
}

static void t_other_method_405(void)
{
	NEED(dpap);
	struct itest_resp r;
	itest_http("GET", dpap.url, NULL, NULL, 0, ALICE, &r);
	remember(&dpap, "GET /pap", 8, &r);
	EXPECT(last.resp.status == 405);
	itest_http("PUT", dpap.url, "application/xml", "<pap/>", 6, ALICE, &r);
	remember(&dpap, "PUT /pap", 8, &r);
	EXPECT(last.resp.status == 405);
}

static void t_push_response_fields(void)
{
	NEED(dpap);
	const char *addrs[] = { ADDR1, NULL };
	time_t now = time(NULL);
	struct pap_msg *m = push_v(&dpap, ALICE, DOCTYPE_20, "fields-1@itest", NULL, addrs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	EXPECT(resp_code(m) == PAP_ACCEPTED);
	EXPECT(m->push_id && !strcmp(m->push_id, "fields-1@itest"));
	EXPECT(m->sender_address && m->sender_address[0]);
	EXPECT(m->sender_name && !strcmp(m->sender_name, "ppgd"));
	EXPECT(m->reply_time > now - 300 && m->reply_time < now + 300);
	pap_msg_free(m);
}

static void t_answer_version_follows_request(void)
{
	NEED(dpap);
	static const struct { const char *doctype; enum pap_version v; const char *id; } cases[] = {
		{ DOCTYPE_10, PAP_V1_0, "ver-10@itest" },
		{ DOCTYPE_20, PAP_V2_0, "ver-20@itest" },
		{ DOCTYPE_21, PAP_V2_1, "ver-21@itest" },
	};
	const char *addrs[] = { ADDR1, NULL };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pap_msg *m = push_v(&dpap, ALICE, cases[i].doctype, cases[i].id, NULL, addrs);
		EXPECT(m && resp_code(m) == PAP_ACCEPTED);
		EXPECT(m && m->version == cases[i].v);
		pap_msg_free(m);

		char *inner = itest_asprintf("<statusquery-message push-id=\"%s\"/>", cases[i].id);
		m = xml_call(&dpap, ALICE, cases[i].doctype, inner);
		free(inner);
		EXPECT(m && m->type == PAP_MSG_STATUSQUERY_RESPONSE);
		EXPECT(m && m->version == cases[i].v);
		pap_msg_free(m);
	}
}

static void t_push_then_statusquery_pending(void)
{
	NEED(dpap);
	EXPECT(push1(&dpap, ALICE, "pending-1@itest", NULL) == PAP_ACCEPTED);

	struct pap_msg *m = xml_call(&dpap, ALICE, DOCTYPE_20,
	    "<statusquery-message push-id=\"pending-1@itest\"/>");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	EXPECT(m->type == PAP_MSG_STATUSQUERY_RESPONSE);
	EXPECT(m->nresults >= 1);
	if (m->nresults >= 1) {
		EXPECT(m->results[0].state == PAP_STATE_PENDING);
		EXPECT(m->results[0].code >= 1000 && m->results[0].code < 6000);
		EXPECT(m->results[0].event_time > 0);
	}
	pap_msg_free(m);
}

static void t_push_two_addresses_accepted(void)
{
	NEED(dpap);
	const char *addrs[] = { ADDR1, ADDR2, NULL };
	struct pap_msg *m = push_v(&dpap, ALICE, DOCTYPE_20, "multi-1@itest", NULL, addrs);
	EXPECT(resp_code(m) == PAP_ACCEPTED);
	pap_msg_free(m);
	EXPECT(status_of(&dpap, ALICE, "multi-1@itest", NULL) == PAP_STATE_PENDING);
}

static void t_bad_address_2002(void)
{
	NEED(dpap);
	const char *addrs[] = { "WAPPUSH=999.1.2.3/TYPE=IPv4@ppg.example", NULL };
	struct pap_msg *m = push_v(&dpap, ALICE, DOCTYPE_20, "badaddr-1@itest", NULL, addrs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	EXPECT(resp_code(m) == PAP_ADDRESS_ERROR);
	const char *desc = m->nresults ? m->results[0].desc : m->desc;
	EXPECT(desc && strstr(desc, "999.1.2.3"));
	pap_msg_free(m);
}

static void t_duplicate_push_id_2007_per_pi(void)
{
	NEED(dpap);
	EXPECT(push1(&dpap, ALICE, "dup-1@itest", NULL) == PAP_ACCEPTED);
	EXPECT(push1(&dpap, ALICE, "dup-1@itest", NULL) == PAP_DUPLICATE_PUSH_ID);
	/* Another PI may use the same push-id. */
	EXPECT(push1(&dpap, BOB, "dup-1@itest", NULL) == PAP_ACCEPTED);
	EXPECT(status_of(&dpap, BOB, "dup-1@itest", NULL) == PAP_STATE_PENDING);
}

static void t_deliver_before_in_the_past(void)
{
	NEED(dpap);
	int code = push1(&dpap, ALICE, "late-1@itest", "deliver-before-timestamp=\"2001-01-01T00:00:00Z\"");
	EXPECT(code != PAP_ACCEPTED && code > 0);
	int sq = 0;
	status_of(&dpap, ALICE, "late-1@itest", &sq);
	EXPECT(sq == PAP_PUSH_ID_NOT_FOUND);
}

static void t_replace_unknown_2004(void)
{
	NEED(dpap);
	int code = push1(&dpap, ALICE, "repl-new-0@itest",
	    "replace-push-id=\"no-such-push@itest\" replace-method=\"all\"");
	EXPECT(code == PAP_PUSH_ID_NOT_FOUND);
}

static void t_replace_pending_all(void)
{
	NEED(dpap);
	EXPECT(push1(&dpap, ALICE, "repl-old-1@itest", NULL) == PAP_ACCEPTED);
	EXPECT(push1(&dpap, ALICE, "repl-new-1@itest",
	    "replace-push-id=\"repl-old-1@itest\" replace-method=\"all\"") == PAP_ACCEPTED);
	EXPECT(status_of(&dpap, ALICE, "repl-new-1@itest", NULL) == PAP_STATE_PENDING);
	/* The original's pending deliveries were cancelled; its push-id still
	 * answers status queries, and it cannot be cancelled again. */
	int code = 0;
	EXPECT(status_of(&dpap, ALICE, "repl-old-1@itest", &code) == PAP_STATE_CANCELLED);
	EXPECT(cancel_of(&dpap, ALICE, "repl-old-1@itest") == PAP_CANCEL_NOT_POSSIBLE);

	/* A replacement may reuse the original's push-id (the BlackBerry JDE does). */
	EXPECT(push1(&dpap, ALICE, "repl-same-1@itest", NULL) == PAP_ACCEPTED);
	EXPECT(push1(&dpap, ALICE, "repl-same-1@itest",
	    "replace-push-id=\"repl-same-1@itest\" replace-method=\"all\"") == PAP_ACCEPTED);
	EXPECT(status_of(&dpap, ALICE, "repl-same-1@itest", NULL) == PAP_STATE_PENDING);

	/* pending-only of a push with nothing pending any more -> 2008. */
	EXPECT(push1(&dpap, ALICE, "repl-po-1@itest", NULL) == PAP_ACCEPTED);
	EXPECT(cancel_of(&dpap, ALICE, "repl-po-1@itest") == PAP_OK);
	code = push1(&dpap, ALICE, "repl-po-2@itest",
	    "replace-push-id=\"repl-po-1@itest\" replace-method=\"pending-only\"");
	EXPECT(code == PAP_CANCEL_NOT_POSSIBLE);
	EXPECT(status_of(&dpap, ALICE, "repl-po-2@itest", &code) != PAP_STATE_PENDING);
}

static void t_cancel_flow(void)
{
	NEED(dpap);
	EXPECT(push1(&dpap, ALICE, "cancel-1@itest", NULL) == PAP_ACCEPTED);
	EXPECT(cancel_of(&dpap, ALICE, "cancel-1@itest") == PAP_OK);
	EXPECT(status_of(&dpap, ALICE, "cancel-1@itest", NULL) == PAP_STATE_CANCELLED);
	EXPECT(cancel_of(&dpap, ALICE, "cancel-1@itest") == PAP_CANCEL_NOT_POSSIBLE);
	EXPECT(cancel_of(&dpap, ALICE, "no-such-push@itest") == PAP_PUSH_ID_NOT_FOUND);
}

static void t_statusquery_unknown_2004(void)
{
	NEED(dpap);
	int code = 0;
	status_of(&dpap, ALICE, "never-pushed@itest", &code);
	EXPECT(code == PAP_PUSH_ID_NOT_FOUND);
}

static void t_pi_isolation(void)
{
	NEED(dpap);
	int code = 0;
	EXPECT(push1(&dpap, ALICE, "iso-1@itest", NULL) == PAP_ACCEPTED);
	status_of(&dpap, BOB, "iso-1@itest", &code);
	EXPECT(code == PAP_PUSH_ID_NOT_FOUND);
	EXPECT(cancel_of(&dpap, BOB, "iso-1@itest") == PAP_PUSH_ID_NOT_FOUND);
	EXPECT(status_of(&dpap, ALICE, "iso-1@itest", NULL) == PAP_STATE_PENDING);
}

static void t_ccq_3008(void)
{
	NEED(dpap);
	struct pap_msg *m = xml_call(&dpap, ALICE, DOCTYPE_20,
	    "<ccq-message query-id=\"ccq-1@itest\" app-id=\"x-wap-application:mms.ua\">\n"
	    "  <address address-value=\"" ADDR1 "\"/>\n"
	    "</ccq-message>");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	EXPECT(m->type == PAP_MSG_CCQ_RESPONSE);
	EXPECT(resp_code(m) == PAP_CAPABILITIES_NOT_AVAIL);
	/* the DTD's ccq-response holds the queried address */
	EXPECT(m->naddrs == 1);
	EXPECT(m->naddrs == 1 && m->addrs[0].raw && !strcmp(m->addrs[0].raw, ADDR1));
	EXPECT(m->query_id && !strcmp(m->query_id, "ccq-1@itest"));
	pap_msg_free(m);
	/* ... and so does the ccq-message: without one it is a bad message */
	m = xml_call(&dpap, ALICE, DOCTYPE_20, "<ccq-message query-id=\"ccq-2@itest\"/>");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	EXPECT(m->type == PAP_MSG_BADMESSAGE_RESPONSE);
	EXPECT(resp_code(m) == PAP_BAD_REQUEST);
	pap_msg_free(m);
}

static void t_unknown_version_3002(void)
{
	NEED(dpap);
	struct pap_msg *m = xml_call(&dpap, ALICE, DOCTYPE_30,
	    "<statusquery-message push-id=\"v30@itest\"/>");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	EXPECT(m->type == PAP_MSG_BADMESSAGE_RESPONSE);
	EXPECT(resp_code(m) == PAP_VERSION_NOT_SUPPORTED);
	pap_msg_free(m);
}

static void t_unknown_element_2000(void)
{
	NEED(dpap);
	struct pap_msg *m = xml_call(&dpap, ALICE, DOCTYPE_20,
	    "<frobnicate-message push-id=\"frob@itest\"/>");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	EXPECT(m->type == PAP_MSG_BADMESSAGE_RESPONSE);
	EXPECT(resp_code(m) == PAP_BAD_REQUEST);
	EXPECT(m->bad_fragment && strstr(m->bad_fragment, "frobnicate-message"));
	pap_msg_free(m);
}

static void t_malformed_xml_2000(void)
{
	NEED(dpap);
	struct pap_msg *m = pap_call(&dpap, ALICE, "application/xml",
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n<pap>\n"
	    "<statusquery-message push-id=\"broken@itest\">\n</pap>\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	EXPECT(m->type == PAP_MSG_BADMESSAGE_RESPONSE);
	EXPECT(resp_code(m) == PAP_BAD_REQUEST);
	pap_msg_free(m);

	/* A push-message whose control entity is not XML at all. */
	char *body = strdup("--" BOUNDARY "\r\nContent-Type: application/xml\r\n\r\n"
	    "this is not xml <<<\r\n--" BOUNDARY "\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
	    "--" BOUNDARY "--\r\n");
	m = pap_call(&dpap, ALICE, MULTIPART_CT, body);
	free(body);
	EXPECT(m && m->type == PAP_MSG_BADMESSAGE_RESPONSE);
	EXPECT(resp_code(m) == PAP_BAD_REQUEST);
	pap_msg_free(m);
}

/* The first line of /etc/passwd: what an entity expansion would leak. */
static char *passwd_marker(void)
{
	char *pw = tu_read_file("/etc/passwd", NULL);
	if (!pw)
		return strdup("root:x:0:0:");
	pw[strcspn(pw, "\n")] = '\0';
	if (strlen(pw) > 12)
		pw[12] = '\0';
	return pw;
}

static void t_xxe_is_not_expanded(void)
{
	NEED(dpap);
	static const char *const docs[] = {
		/* An external entity in a document without a PAP public id. */
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE pap [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
		"<pap><statusquery-message push-id=\"&xxe;\"/></pap>\n",
		/* The same inside a PAP 2.0 DOCTYPE's internal subset. */
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTD/pap_2.0.dtd\"\n"
		"  [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
		"<pap><statusquery-message push-id=\"&xxe;\"/></pap>\n",
		/* A parameter entity pulling an external DTD. */
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE pap [<!ENTITY % ext SYSTEM \"file:///etc/passwd\"> %ext;]>\n"
		"<pap><statusquery-message push-id=\"pe@itest\"/></pap>\n",
		/* Exponential internal entities ("billion laughs", kept small). */
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE pap [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
		"<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
		"<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\"><!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">]>\n"
		"<pap><statusquery-message push-id=\"&f;\"/></pap>\n",
	};
	char *marker = passwd_marker();

	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		struct itest_resp r;
		int rc = itest_http("POST", dpap.url, "application/xml", docs[i], strlen(docs[i]),
		    ALICE, &r);
		remember(&dpap, docs[i], strlen(docs[i]), &r);
		EXPECT(rc == 0);
		EXPECT(last.resp.status == want_status);
		EXPECT(!memmem(last.resp.body, last.resp.len, marker, strlen(marker)));
		EXPECT(!memmem(last.resp.body, last.resp.len, "/bin/", 5));
		EXPECT(last.resp.len < 16384);

		struct pap_limits lim = PAP_LIMITS_DEFAULT;
		struct pap_msg *m = NULL;
		struct pap_error err;
		if (pap_msg_decode(last.resp.body, last.resp.len, &lim, &m, &err) != 0)
			m = NULL;
		EXPECT(m != NULL);
		/* Refused as a bad message, or at most answered as an unknown push. */
		EXPECT(m && (m->type == PAP_MSG_BADMESSAGE_RESPONSE ?
		    resp_code(m) >= 2000 && resp_code(m) < 4000 :
		    m->type == PAP_MSG_STATUSQUERY_RESPONSE && resp_code(m) == PAP_PUSH_ID_NOT_FOUND));
		pap_msg_free(m);
	}
	free(marker);

	/* The daemon still answers. */
	EXPECT(itest_daemon_alive(&dpap));
	int code = 0;
	status_of(&dpap, ALICE, "after-xxe@itest", &code);
	EXPECT(code == PAP_PUSH_ID_NOT_FOUND);
}

static void t_query_credentials_accepted(void)
{
	NEED(dpap);
	char *url = itest_asprintf("%s?username=alice&password=%s", dpap.url, ITEST_ALICE_SECRET);
	const char *addrs[] = { ADDR1, NULL };
	char *body = push_body_v(DOCTYPE_10, "query-creds-1@itest", NULL, addrs);
	struct pap_msg *m = pap_call_url(&dpap, url, want_status, NULL, NULL, MULTIPART_CT, body);
	EXPECT(resp_code(m) == PAP_ACCEPTED);
	pap_msg_free(m);
	free(body);
	free(url);
	EXPECT(status_of(&dpap, ALICE, "query-creds-1@itest", NULL) == PAP_STATE_PENDING);
}

static void t_body_too_large_413(void)
{
	NEED(dpap);
	/* Content-Length is judged before the body is read: send the headers only. */
	char *b64 = base64("alice:" ITEST_ALICE_SECRET);
	char *req = itest_asprintf(
	    "POST /pap HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Authorization: Basic %s\r\n"
	    "Content-Type: application/xml\r\n"
	    "Content-Length: 10485760\r\n"
	    "\r\n", b64);
	free(b64);
	struct itest_resp r;
	int rc = itest_raw(dpap.port, req, strlen(req), 5000, &r);
	remember(&dpap, req, strlen(req), &r);
	free(req);
	EXPECT(rc == 0);
	EXPECT(last.resp.status == 413);
	EXPECT(last.resp.seconds < 3.0);

	/* One byte over max_body (64k), sent whole. */
	size_t n = 64 * 1024 + 1;
	char *big = malloc(n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, ' ', n);
	big[n] = '\0';
	rc = itest_http("POST", dpap.url, "application/xml", big, n, ALICE, &r);
	remember(&dpap, "(65537 spaces)", 14, &r);
	EXPECT(rc == 0);
	EXPECT(last.resp.status == 413);
	free(big);
	EXPECT(itest_daemon_alive(&dpap));
}

static void t_sigterm_exits_0(void)
{
	NEED(dpap);
	int st = itest_daemon_stop(&dpap);
	EXPECT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (st != -1 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		fprintf(stderr, "ppgd wait status after SIGTERM: %s %d\n",
		    WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		itest_daemon_print_log(&dpap, 6000);
	}
}

/* ================================================ suite: multiple_addresses = no */

static int init_single(void)
{
	want_status = 202;
	start_std(&dsingle, "single", "multiple_addresses = no\n", NULL);
	return 0;
}

static int clean_single(void)
{
	return stop_suite(&dsingle);
}

static void t_multiple_addresses_3005(void)
{
	NEED(dsingle);
	const char *two[] = { ADDR1, ADDR2, NULL };
	struct pap_msg *m = push_v(&dsingle, ALICE, DOCTYPE_20, "two-1@itest", NULL, two);
	EXPECT(resp_code(m) == PAP_MULTIPLE_ADDR_NOT_SUPP);
	pap_msg_free(m);
	EXPECT(push1(&dsingle, ALICE, "one-1@itest", NULL) == PAP_ACCEPTED);
}

/* ---------------------------------------------------------------- main */

int main(void)
{
	static const struct itest_test_def pap[] = {
		{ "POST to another path -> 404", t_other_path_404 },
		{ "GET or PUT /pap -> 405", t_other_method_405 },
		{ "push-response: push-id, sender, reply-time, 1001", t_push_response_fields },
		{ "answer's PAP version follows the request's", t_answer_version_follows_request },
		{ "push then statusquery -> pending", t_push_then_statusquery_pending },
		{ "push to two addresses -> 1001", t_push_two_addresses_accepted },
		{ "unparsable address -> 2002 naming it", t_bad_address_2002 },
		{ "duplicate push-id -> 2007, per PI", t_duplicate_push_id_2007_per_pi },
		{ "deliver-before in the past -> refused, not stored", t_deliver_before_in_the_past },
		{ "replace of an unknown push -> 2004", t_replace_unknown_2004 },
		{ "replace-method all of a pending push", t_replace_pending_all },
		{ "cancel -> 1000, cancelled, again 2008, unknown 2004", t_cancel_flow },
		{ "statusquery of an unknown push -> 2004", t_statusquery_unknown_2004 },
		{ "PI isolation: bob cannot see or cancel alice's push", t_pi_isolation },
		{ "ccq-message -> 3008 with the queried address", t_ccq_3008 },
		{ "PAP 3.0 DOCTYPE -> badmessage 3002", t_unknown_version_3002 },
		{ "unknown element -> badmessage 2000 with fragment", t_unknown_element_2000 },
		{ "malformed XML -> badmessage 2000", t_malformed_xml_2000 },
		{ "external entities are not expanded; daemon survives", t_xxe_is_not_expanded },
		{ "query_credentials = yes: ?username&password accepted", t_query_credentials_accepted },
		{ "body over max_body -> 413 before reading", t_body_too_large_413 },
		{ "SIGTERM -> exit 0", t_sigterm_exits_0 },
		{ NULL, NULL },
	};
	static const struct itest_test_def single[] = {
		{ "multiple_addresses = no: two addresses -> 3005", t_multiple_addresses_3005 },
		{ NULL, NULL },
	};

	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("PAP over HTTP", init_pap, clean_pap, pap) ||
	    itest_add_suite("multiple_addresses = no", init_single, clean_single, single)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	free(last.req);
	itest_resp_free(&last.resp);
	itest_kill_all();
	return rc;
}
