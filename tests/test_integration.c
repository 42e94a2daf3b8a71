/*
 * test_integration.c - the real ppgd on 127.0.0.1, driven over HTTP by libcurl,
 * by raw sockets (captured requests replayed byte for byte), by Kannel's
 * test_ppg and by the npm blackberry-push client.
 *
 * Each suite runs its own daemon with a generated config in a tmpdir. A suite
 * never fails its init (CUnit would then skip its tests without counting a
 * failure): a daemon that does not start makes each of its tests fail.
 * Answers are parsed with pap_msg_decode; a failed check prints the request,
 * the answer and the tail of the daemon log.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "pap/pap.h"
#include "tests/itest.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <crypt.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


#define BOUNDARY "itest-7d3f0a1b"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""

#define ADDR1 "WAPPUSH=+15551230001/TYPE=PLMN@ppg.example"
#define ADDR2 "WAPPUSH=+15551230002/TYPE=PLMN@ppg.example"
#define ALICE "alice", ITEST_ALICE_SECRET
#define BOB   "bob", ITEST_BOB_SECRET

/* ---------------------------------------------------- failure context */

static struct {
	char *req;
	struct itest_resp resp;
	struct itest_daemon *d;
} last;

static void remember(struct itest_daemon *d, const char *req, size_t len, struct itest_resp *r)
{
	free(last.req);
	itest_resp_free(&last.resp);
	last.req = req ? strndup(req, len) : NULL;
	last.resp = *r;          /* takes ownership */
	last.d = d;
}

static void dump_last(const char *file, unsigned line, const char *cond)
{
	fprintf(stderr, "\n%s:%u: FAILED: %s\n", file, line, cond);
	if (last.req)
		fprintf(stderr, "---- last request body ----\n%s\n", last.req);
	if (last.resp.headers || last.resp.body)
		fprintf(stderr, "---- last answer (HTTP %ld, %.3f s) ----\n%s%s\n", last.resp.status,
		    last.resp.seconds, last.resp.headers ? last.resp.headers : "",
		    last.resp.body ? last.resp.body : "");
	if (last.d)
		itest_daemon_print_log(last.d, 3000);
}

#define EXPECT_(cond, fatal) do { \
	int ok_ = (cond) ? 1 : 0; \
	if (!ok_) \
		dump_last(__FILE__, __LINE__, #cond); \
	CU_assertImplementation(ok_ ? CU_TRUE : CU_FALSE, __LINE__, #cond, __FILE__, "", fatal); \
} while (0)
#define EXPECT(cond) EXPECT_(cond, CU_FALSE)
#define EXPECT_FATAL(cond) EXPECT_(cond, CU_TRUE)

/* ---------------------------------------------------------- builders */

static char *pap_doc(const char *doctype, const char *inner)
{
	return itest_asprintf("<?xml version=\"1.0\"?>\n%s\n<pap>\n%s\n</pap>\n", doctype, inner);
}

/* A push-message in a multipart/related body with an SI content entity.
 * addrs: NULL-terminated list of address-values. */
static char *push_body_v(const char *doctype, const char *push_id, const char *attrs,
    const char *const *addrs)
{
	char *axml = strdup("");
	for (size_t i = 0; addrs && addrs[i]; i++) {
		char *n = itest_asprintf("%s  <address address-value=\"%s\"/>\n", axml, addrs[i]);
		free(axml);
		axml = n;
	}
	char *inner = itest_asprintf("<push-message push-id=\"%s\"%s%s>\n%s</push-message>",
	    push_id, attrs && *attrs ? " " : "", attrs ? attrs : "", axml);
	char *doc = pap_doc(doctype, inner);
	char *body = itest_asprintf(
	    "--" BOUNDARY "\r\n"
	    "Content-Type: application/xml; charset=UTF-8\r\n"
	    "\r\n"
	    "%s\r\n"
	    "--" BOUNDARY "\r\n"
	    "Content-Type: text/vnd.wap.si\r\n"
	    "X-Wap-Application-Id: x-wap-application:wml.ua\r\n"
	    "\r\n"
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE si PUBLIC \"-//WAPFORUM//DTD SI 1.0//EN\" \"http://www.wapforum.org/DTD/si.dtd\">\n"
	    "<si><indication href=\"http://www.example.com/mail\" si-id=\"%s\" "
	    "action=\"signal-medium\">You have mail</indication></si>\r\n"
	    "--" BOUNDARY "--\r\n",
	    doc, push_id);
	free(axml);
	free(inner);
	free(doc);
	return body;
}

static char *base64(const char *s)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s);
	char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		*o++ = tab[(v >> 18) & 63];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* ------------------------------------------------------- exchanges */

/*
 * POSTs body to d's PAP URL and decodes the PAP answer. Checks the HTTP
 * status (want_status) and the Content-Type (application/xml). Returns the
 * decoded message (caller frees) or NULL, with the failure printed.
 */
static struct pap_msg *pap_call_url(struct itest_daemon *d, const char *url, long want_status,
    const char *user, const char *pw, const char *ctype, const char *body)
{
	struct itest_resp r;
	size_t len = strlen(body);
	int rc = itest_http("POST", url, ctype, body, len, user, pw, &r);
	char *rct = itest_resp_header(&r, "Content-Type");
	struct pap_limits lim = PAP_LIMITS_DEFAULT;
	struct pap_msg *m = NULL;
	struct pap_error err;

	remember(d, body, len, &r);
	EXPECT(rc == 0);
	EXPECT(last.resp.status == want_status);
	EXPECT(rct && !strncasecmp(rct, "application/xml", 15));
	free(rct);
	if (rc == 0 && last.resp.len > 0) {
		memset(&err, 0, sizeof err);
		if (pap_msg_decode(last.resp.body, last.resp.len, &lim, &m, &err) != 0) {
			m = NULL;
			fprintf(stderr, "pap_msg_decode of the answer failed: %d %s [%s]\n",
			    err.code, err.desc, err.fragment);
		}
	}
	EXPECT(m != NULL);
	return m;
}

static long want_status = 202;   /* success_status of the daemon of the running suite */

static struct pap_msg *pap_call(struct itest_daemon *d, const char *user, const char *pw,
    const char *ctype, const char *body)
{
	return pap_call_url(d, d->url, want_status, user, pw, ctype, body);
}

/* The code of an answer: of its first result element, else of the message. */
static int resp_code(const struct pap_msg *m)
{
	if (!m)
		return -1;
	if (m->nresults > 0)
		return m->results[0].code;
	return m->code;
}

static enum pap_state resp_state(const struct pap_msg *m)
{
	if (!m)
		return PAP_STATE_UNKNOWN;
	if (m->nresults > 0)
		return m->results[0].state;
	return m->state;
}

static struct pap_msg *push_v(struct itest_daemon *d, const char *user, const char *pw,
    const char *doctype, const char *push_id, const char *attrs, const char *const *addrs)
{
	char *body = push_body_v(doctype, push_id, attrs, addrs);
	struct pap_msg *m = pap_call(d, user, pw, MULTIPART_CT, body);
	free(body);
	if (m)
		EXPECT(m->type == PAP_MSG_PUSH_RESPONSE);
	return m;
}

/* Push to one address (ADDR1) in PAP 2.0; returns the response code. */
static int push1(struct itest_daemon *d, const char *user, const char *pw, const char *push_id,
    const char *attrs)
{
	const char *addrs[] = { ADDR1, NULL };
	struct pap_msg *m = push_v(d, user, pw, DOCTYPE_20, push_id, attrs, addrs);
	int code = resp_code(m);
	pap_msg_free(m);
	return code;
}

/* A single application/xml message (cancel, statusquery, ccq ...). */
static struct pap_msg *xml_call(struct itest_daemon *d, const char *user, const char *pw,
    const char *doctype, const char *inner)
{
	char *doc = pap_doc(doctype, inner);
	struct pap_msg *m = pap_call(d, user, pw, "application/xml", doc);
	free(doc);
	return m;
}

/* statusquery of push_id; *code gets the result code. Returns the state. */
static enum pap_state status_of(struct itest_daemon *d, const char *user, const char *pw,
    const char *push_id, int *code)
{
	char *inner = itest_asprintf("<statusquery-message push-id=\"%s\"/>", push_id);
	struct pap_msg *m = xml_call(d, user, pw, DOCTYPE_20, inner);
	free(inner);
	if (m)
		EXPECT(m->type == PAP_MSG_STATUSQUERY_RESPONSE);
	enum pap_state s = resp_state(m);
	if (code)
		*code = resp_code(m);
	pap_msg_free(m);
	return s;
}

/* cancel of push_id; returns the code of the first cancel-result. */
static int cancel_of(struct itest_daemon *d, const char *user, const char *pw, const char *push_id)
{
	char *inner = itest_asprintf("<cancel-message push-id=\"%s\"/>", push_id);
	struct pap_msg *m = xml_call(d, user, pw, DOCTYPE_20, inner);
	free(inner);
	if (m)
		EXPECT(m->type == PAP_MSG_CANCEL_RESPONSE);
	int code = resp_code(m);
	pap_msg_free(m);
	return code;
}

/* ------------------------------------------------- daemons per suite */

static struct itest_daemon dpap, dauth, ddelay, dsingle, ddur, dvec, dkannel, dnpm;

/* Starts d with the standard config plus extras; failures are reported by
 * the tests (need()), never by the suite init. */
static void start_std(struct itest_daemon *d, const char *tag, const char *server_extra,
    const char *extra_sections)
{
	if (itest_daemon_init(d, tag) == 0 && itest_std_config(d, server_extra, extra_sections) == 0)
		itest_daemon_start(d);
}

#define NEED(dmn) do { \
	if ((dmn).pid <= 0) \
		fprintf(stderr, "\nppgd is not running for this suite (see the start-up error above)\n"); \
	CU_ASSERT_FATAL((dmn).pid > 0); \
	last.d = &(dmn); \
} while (0)

static int stop_suite(struct itest_daemon *d)
{
	itest_daemon_destroy(d, 0);
	return 0;
}

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

/* ================================================ suite: authentication */

static const char *mallory_section(void)
{
	static char buf[512];
	const char *h = itest_hash_secret(ITEST_ALICE_SECRET);
	snprintf(buf, sizeof buf, "[pi mallory]\nsecret_hash = %s\nallow = 192.0.2.0/24, 2001:db8::/32\n",
	    h ? h : "");
	return buf;
}

static int init_auth(void)
{
	want_status = 202;
	start_std(&dauth, "auth", NULL, mallory_section());
	return 0;
}

static int clean_auth(void)
{
	if (last.d == &ddelay)
		last.d = NULL;
	stop_suite(&ddelay);
	return stop_suite(&dauth);
}

/* POSTs a push; returns the HTTP answer in last.resp. */
static void raw_push(struct itest_daemon *d, const char *url, const char *user, const char *pw,
    const char *push_id)
{
	const char *addrs[] = { ADDR1, NULL };
	char *body = push_body_v(DOCTYPE_20, push_id, NULL, addrs);
	struct itest_resp r;
	itest_http("POST", url, MULTIPART_CT, body, strlen(body), user, pw, &r);
	remember(d, body, strlen(body), &r);
	free(body);
}

static int has_basic_challenge(const struct itest_resp *r)
{
	char *v = itest_resp_header(r, "WWW-Authenticate");
	int ok = v && !strcmp(v, "Basic realm=\"ppgd\"");
	free(v);
	return ok;
}

static void t_no_credentials_401(void)
{
	NEED(dauth);
	int code = 0;
	raw_push(&dauth, dauth.url, NULL, NULL, "nocreds-1@itest");
	EXPECT(last.resp.status == 401);
	EXPECT(has_basic_challenge(&last.resp));
	status_of(&dauth, ALICE, "nocreds-1@itest", &code);
	EXPECT(code == PAP_PUSH_ID_NOT_FOUND);
}

static void t_wrong_credentials_401(void)
{
	NEED(dauth);
	int code = 0;
	raw_push(&dauth, dauth.url, "alice", "not-the-secret", "wrongpw-1@itest");
	EXPECT(last.resp.status == 401);
	EXPECT(has_basic_challenge(&last.resp));
	status_of(&dauth, ALICE, "wrongpw-1@itest", &code);
	EXPECT(code == PAP_PUSH_ID_NOT_FOUND);

	raw_push(&dauth, dauth.url, "nobody", ITEST_ALICE_SECRET, "wronguser-1@itest");
	EXPECT(last.resp.status == 401);
	EXPECT(has_basic_challenge(&last.resp));
	/* Bob's secret is not Alice's. */
	raw_push(&dauth, dauth.url, "alice", ITEST_BOB_SECRET, "crossed-1@itest");
	EXPECT(last.resp.status == 401);
	status_of(&dauth, ALICE, "crossed-1@itest", &code);
	EXPECT(code == PAP_PUSH_ID_NOT_FOUND);
}

static void t_query_credentials_off_by_default(void)
{
	NEED(dauth);
	int code = 0;
	char *url = itest_asprintf("%s?username=alice&password=%s", dauth.url, ITEST_ALICE_SECRET);
	raw_push(&dauth, url, NULL, NULL, "query-off-1@itest");
	free(url);
	EXPECT(last.resp.status == 401);
	status_of(&dauth, ALICE, "query-off-1@itest", &code);
	EXPECT(code == PAP_PUSH_ID_NOT_FOUND);
}

static void t_outside_allow_403(void)
{
	NEED(dauth);
	raw_push(&dauth, dauth.url, "mallory", ITEST_ALICE_SECRET, "mallory-1@itest");
	EXPECT(last.resp.status == 403);
}

static void t_failure_delay_grows(void)
{
	/* Its own daemon: no earlier failures from 127.0.0.1 may count. */
	want_status = 202;
	start_std(&ddelay, "delay", NULL, NULL);
	NEED(ddelay);

	double t[6] = { 0 };
	for (int i = 1; i <= 5; i++) {
		char id[64];
		snprintf(id, sizeof id, "delay-%d@itest", i);
		raw_push(&ddelay, ddelay.url, "alice", "wrong-guess", id);
		EXPECT(last.resp.status == 401);
		t[i] = last.resp.seconds;
	}
	fprintf(stderr, "\n401 times: %.3f %.3f %.3f %.3f %.3f s\n", t[1], t[2], t[3], t[4], t[5]);
	EXPECT(t[5] >= t[1] + 0.2);

	/* The right secret right after the failures is answered at once. */
	raw_push(&ddelay, ddelay.url, ALICE, "delay-ok@itest");
	fprintf(stderr, "right secret after 5 failures: %.3f s\n", last.resp.seconds);
	EXPECT(last.resp.status == 202);
	EXPECT(last.resp.seconds < 0.5);
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

/* ================================================ suite: durability */

static int init_dur(void)
{
	want_status = 202;
	start_std(&ddur, "durable", NULL, NULL);
	return 0;
}

static int clean_dur(void)
{
	return stop_suite(&ddur);
}

static void t_kill9_after_1001_keeps_push(void)
{
	NEED(ddur);
	EXPECT_FATAL(push1(&ddur, ALICE, "durable-1@itest", NULL) == PAP_ACCEPTED);
	itest_daemon_kill(&ddur);
	EXPECT_FATAL(itest_daemon_start(&ddur) == 0);
	EXPECT(status_of(&ddur, ALICE, "durable-1@itest", NULL) == PAP_STATE_PENDING);
}

static void t_sigterm_restart_keeps_state(void)
{
	NEED(ddur);
	EXPECT(push1(&ddur, ALICE, "durable-2@itest", NULL) == PAP_ACCEPTED);
	EXPECT(cancel_of(&ddur, ALICE, "durable-2@itest") == PAP_OK);
	int st = itest_daemon_stop(&ddur);
	EXPECT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_FATAL(itest_daemon_start(&ddur) == 0);
	EXPECT(status_of(&ddur, ALICE, "durable-1@itest", NULL) == PAP_STATE_PENDING);
	EXPECT(status_of(&ddur, ALICE, "durable-2@itest", NULL) == PAP_STATE_CANCELLED);
	/* push-id uniqueness survives the restart too. */
	EXPECT(push1(&ddur, ALICE, "durable-1@itest", NULL) == PAP_DUPLICATE_PUSH_ID);
}

/* ================================================ suite: captured requests */

static const char *vec_sections(void)
{
	static char buf[2048];
	const char *h = itest_hash_secret(ITEST_ALICE_SECRET);
	snprintf(buf, sizeof buf,
	    "[pi vjde]\nsecret_hash = %s\n\n[pi vnpm]\nsecret_hash = %s\n\n"
	    "[pi vkannel1]\nsecret_hash = %s\n\n[pi vkannel2]\nsecret_hash = %s\n",
	    h ? h : "", h ? h : "", h ? h : "", h ? h : "");
	return buf;
}

static int init_vec(void)
{
	want_status = 202;
	start_std(&dvec, "vectors", NULL, vec_sections());
	return 0;
}

static int clean_vec(void)
{
	return stop_suite(&dvec);
}

/*
 * Rewrites a captured request as the brief allows, nothing more: (a) the path
 * of the request line becomes /pap; (b) Authorization headers are replaced by
 * one for user:pw; (c) when future_deadline, deliver-before-timestamp gets a
 * time one day ahead. Content-Length is set to the body's length. Header
 * casing, line ends, preamble and body bytes stay as captured.
 */
static char *rewrite_raw(const char *raw, size_t len, const char *user, const char *pw,
    int future_deadline, size_t *out_len)
{
	const char *hend = memmem(raw, len, "\r\n\r\n", 4);
	size_t seplen = 4;
	if (!hend) {
		hend = memmem(raw, len, "\n\n", 2);
		seplen = 2;
	}
	if (!hend)
		return NULL;
	const char *eolstr = seplen == 4 ? "\r\n" : "\n";
	char *body = malloc(len + 1);
	size_t blen = len - (size_t)(hend + seplen - raw);
	memcpy(body, hend + seplen, blen);
	body[blen] = '\0';

	if (future_deadline) {
		char *p = memmem(body, blen, "deliver-before-timestamp=\"", 26);
		if (p && p + 26 + 20 <= body + blen) {
			char ts[21];
			pap_time_encode(time(NULL) + 86400, ts);
			memcpy(p + 26, ts, 20);
		}
	}

	char *cred = itest_asprintf("%s:%s", user, pw);
	char *b64 = base64(cred);
	free(cred);
	size_t cap = len + 256, o = 0;
	char *out = malloc(cap + blen);
	const char *p = raw;
	int first = 1;
	while (p < hend + (seplen == 4 ? 2 : 1)) {
		const char *eol = memchr(p, '\n', (size_t)(hend + seplen - p));
		size_t linelen = (size_t)(eol - p) + 1;  /* with '\n' */
		size_t textlen = linelen - 1 - (eol > p && eol[-1] == '\r');
		if (first) {
			/* "METHOD SP PATH SP VERSION" */
			const char *sp1 = memchr(p, ' ', textlen);
			const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', textlen - (size_t)(sp1 + 1 - p)) : NULL;
			if (!sp1 || !sp2) {
				free(out);
				free(body);
				free(b64);
				return NULL;
			}
			o += (size_t)sprintf(out + o, "%.*s /pap%.*s%s", (int)(sp1 - p), p,
			    (int)(textlen - (size_t)(sp2 - p)), sp2, eolstr);
			o += (size_t)sprintf(out + o, "Authorization: Basic %s%s", b64, eolstr);
			first = 0;
		} else if (textlen >= 14 && !strncasecmp(p, "Authorization:", 14)) {
			/* dropped: replaced above */
		} else if (textlen >= 15 && !strncasecmp(p, "Content-Length:", 15)) {
			o += (size_t)sprintf(out + o, "%.*s %zu%s", 15, p, blen, eolstr);
		} else {
			memcpy(out + o, p, linelen);
			o += linelen;
		}
		p += linelen;
	}
	memcpy(out + o, eolstr, strlen(eolstr));
	o += strlen(eolstr);
	memcpy(out + o, body, blen);
	o += blen;
	out[o] = '\0';
	free(body);
	free(b64);
	*out_len = o;
	return out;
}

/* Replays tests/vectors/pap-requests/rel for user; returns the decoded answer. */
static struct pap_msg *replay(const char *rel, const char *user, int future_deadline)
{
	char path[1024];
	snprintf(path, sizeof path, "pap-requests/%s", rel);
	const char *full = tu_vector(path);
	size_t len = 0, olen = 0;
	char *raw = tu_read_file(full, &len);
	if (!raw) {
		fprintf(stderr, "\ncannot read %s\n", full);
		return NULL;
	}
	char *req = rewrite_raw(raw, len, user, ITEST_ALICE_SECRET, future_deadline, &olen);
	free(raw);
	if (!req) {
		fprintf(stderr, "cannot split %s into headers and body\n", full);
		return NULL;
	}
	struct itest_resp r;
	int rc = itest_raw(dvec.port, req, olen, 10000, &r);
	remember(&dvec, req, olen, &r);
	free(req);
	EXPECT(rc == 0);
	EXPECT(last.resp.status == want_status);
	char *ct = itest_resp_header(&last.resp, "Content-Type");
	EXPECT(ct && !strncasecmp(ct, "application/xml", 15));
	free(ct);

	struct pap_limits lim = PAP_LIMITS_DEFAULT;
	struct pap_msg *m = NULL;
	struct pap_error err;
	if (rc != 0 || pap_msg_decode(last.resp.body, last.resp.len, &lim, &m, &err) != 0)
		m = NULL;
	EXPECT(m != NULL);
	return m;
}

static void t_vec_blackberry_jde(void)
{
	NEED(dvec);
	struct pap_msg *m = replay("blackberry-jde/push_request.raw", "vjde", 0);
	EXPECT(m && m->type == PAP_MSG_PUSH_RESPONSE && resp_code(m) == PAP_ACCEPTED);
	EXPECT(m && m->push_id && !strcmp(m->push_id, "1@rim.com"));
	EXPECT(m && m->version == PAP_V2_0);
	pap_msg_free(m);

	m = replay("blackberry-jde/replace_request.raw", "vjde", 0);
	EXPECT(m && m->type == PAP_MSG_PUSH_RESPONSE && resp_code(m) == PAP_ACCEPTED);
	pap_msg_free(m);

	m = replay("blackberry-jde/status_request.raw", "vjde", 0);
	EXPECT(m && m->type == PAP_MSG_STATUSQUERY_RESPONSE);
	EXPECT(m && m->nresults >= 1 && resp_code(m) != PAP_PUSH_ID_NOT_FOUND);
	EXPECT(m && resp_state(m) == PAP_STATE_PENDING);
	pap_msg_free(m);

	m = replay("blackberry-jde/cancel_request.raw", "vjde", 0);
	EXPECT(m && m->type == PAP_MSG_CANCEL_RESPONSE);
	EXPECT(m && m->nresults >= 1 && resp_code(m) == PAP_OK);
	pap_msg_free(m);

	EXPECT(status_of(&dvec, "vjde", ITEST_ALICE_SECRET, "1@rim.com", NULL) == PAP_STATE_CANCELLED);
}

static void t_vec_npm_blackberry_push(void)
{
	NEED(dvec);
	struct pap_msg *m = replay("npm-blackberry-push/push_request.raw", "vnpm", 1);
	EXPECT(m && m->type == PAP_MSG_PUSH_RESPONSE && resp_code(m) == PAP_ACCEPTED);
	EXPECT(m && m->version == PAP_V2_1);
	pap_msg_free(m);
	EXPECT(status_of(&dvec, "vnpm", ITEST_ALICE_SECRET, "17952848810589296", NULL) ==
	    PAP_STATE_PENDING);
}

static void t_vec_kannel_test_ppg(void)
{
	NEED(dvec);
	/* Both captures use push-id 9fjeo39jf084@pi.com: one account each. */
	struct pap_msg *m = replay("kannel-test_ppg/test_ppg_si_mmsua_ipv4.raw", "vkannel1", 0);
	EXPECT(m && m->type == PAP_MSG_PUSH_RESPONSE && resp_code(m) == PAP_ACCEPTED);
	EXPECT(m && m->version == PAP_V1_0);
	pap_msg_free(m);
	m = replay("kannel-test_ppg/test_ppg_sl_numeric_appid_plmn.raw", "vkannel2", 0);
	EXPECT(m && m->type == PAP_MSG_PUSH_RESPONSE && resp_code(m) == PAP_ACCEPTED);
	pap_msg_free(m);
	/* Stored: found by a statusquery (their QoS requires bearers, so the
	 * state may move on; only acceptance is asserted). */
	int code = 0;
	status_of(&dvec, "vkannel1", ITEST_ALICE_SECRET, "9fjeo39jf084@pi.com", &code);
	EXPECT(code > 0 && code != PAP_PUSH_ID_NOT_FOUND);
	status_of(&dvec, "vkannel2", ITEST_ALICE_SECRET, "9fjeo39jf084@pi.com", &code);
	EXPECT(code > 0 && code != PAP_PUSH_ID_NOT_FOUND);
}

/* Every *.raw under tests/vectors/pap-requests is covered by one of the tests above. */
static void t_vec_all_raw_files_covered(void)
{
	static const char *const known[] = {
		"blackberry-jde/cancel_request.raw", "blackberry-jde/push_request.raw",
		"blackberry-jde/replace_request.raw", "blackberry-jde/status_request.raw",
		"kannel-test_ppg/test_ppg_si_mmsua_ipv4.raw",
		"kannel-test_ppg/test_ppg_sl_numeric_appid_plmn.raw",
		"npm-blackberry-push/push_request.raw",
	};
	static const char *const dirs[] = { "blackberry-jde", "kannel-test_ppg", "npm-blackberry-push" };
	char top[1024];
	snprintf(top, sizeof top, "%s", tu_vector("pap-requests"));
	DIR *t = opendir(top);
	if (!t)
		fprintf(stderr, "\ncannot open %s\n", top);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	size_t found = 0;
	struct dirent *de;
	while ((de = readdir(t))) {
		if (de->d_name[0] == '.')
			continue;
		int known_dir = 0;
		for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
			known_dir |= !strcmp(de->d_name, dirs[i]);
		char sub[2048];
		snprintf(sub, sizeof sub, "%s/%s", top, de->d_name);
		DIR *s = opendir(sub);
		struct dirent *fe;
		while (s && (fe = readdir(s))) {
			size_t n = strlen(fe->d_name);
			if (n < 4 || strcmp(fe->d_name + n - 4, ".raw"))
				continue;
			char rel[600];
			snprintf(rel, sizeof rel, "%s/%s", de->d_name, fe->d_name);
			int ok = 0;
			for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
				ok |= !strcmp(rel, known[i]);
			if (!ok)
				fprintf(stderr, "\nvector %s is new: add it to the replay tests\n", rel);
			EXPECT(ok && known_dir);
			found++;
		}
		if (s)
			closedir(s);
	}
	closedir(t);
	EXPECT(found == sizeof known / sizeof known[0]);
}

/* ================================================ suite: Kannel test_ppg */

#define TEST_PPG "/usr/lib/kannel/test/test_ppg"

static int init_kannel(void)
{
	want_status = 202;
	start_std(&dkannel, "kannel", "query_credentials = yes\n", NULL);
	return 0;
}

static int clean_kannel(void)
{
	return stop_suite(&dkannel);
}

/*
 * test_ppg in its configuration-file mode: with -b it sends
 * "Authorization: Basic base64(username:password)"; without -b it appends
 * "?username=U&password=P" to push-url. (In the command-line mode, -b sends
 * "Authorization: Basic KG51bGwp", base64 of "(null)": no usable credentials.)
 */
static void run_test_ppg(const char *tag, const char *pap_xml, const char *content,
    const char *const *opts, int header_auth)
{
	if (access(TEST_PPG, X_OK) != 0)
		fprintf(stderr, "\n%s is missing: install the Debian package kannel-extras "
		    "(scripts/setup.sh does)\n", TEST_PPG);
	CU_ASSERT_FATAL(access(TEST_PPG, X_OK) == 0);

	char name[128];
	snprintf(name, sizeof name, "%s-pap.xml", tag);
	char *pap_path = itest_write_file(dkannel.dir, name, pap_xml, strlen(pap_xml));
	snprintf(name, sizeof name, "%s-content.xml", tag);
	char *content_path = itest_write_file(dkannel.dir, name, content, strlen(content));
	char *conf = itest_asprintf(
	    "group = test-ppg\nretries = 0\npi-ssl = no\n\n"
	    "group = configuration\npush-url = \"%s\"\npap-file = \"%s\"\ncontent-file = \"%s\"\n"
	    "username = alice\npassword = %s\n",
	    dkannel.url, pap_path, content_path, ITEST_ALICE_SECRET);
	snprintf(name, sizeof name, "%s-test_ppg.conf", tag);
	char *conf_path = itest_write_file(dkannel.dir, name, conf, strlen(conf));
	CU_ASSERT_FATAL(pap_path && content_path && conf_path);

	const char *argv[16];
	int n = 0;
	argv[n++] = TEST_PPG;
	argv[n++] = "-v";
	argv[n++] = "1";
	argv[n++] = "-q";
	if (header_auth)
		argv[n++] = "-b";
	for (size_t i = 0; opts[i]; i++)
		argv[n++] = opts[i];
	argv[n++] = conf_path;
	argv[n] = NULL;

	char *out = NULL, *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, dkannel.dir, 30, &out, &err, &code);
	int ok = code == 0 && err && strstr(err, "1 succeeded, 0 failed");
	if (!ok)
		fprintf(stderr, "\ntest_ppg exit %d\nstdout: %s\nstderr: %s\n", code, out ? out : "",
		    err ? err : "");
	EXPECT(code == 0);
	EXPECT(err && strstr(err, "1 succeeded, 0 failed"));
	free(out);
	free(err);
	free(conf);
	free(pap_path);
	free(content_path);
	free(conf_path);
}

static void t_test_ppg_si_ipv4_basic_auth(void)
{
	NEED(dkannel);
	const char *pap =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP//EN\"\n"
	    "          \"http://www.wapforum.org/DTD/pap_1.0.dtd\">\n"
	    "<pap>\n"
	    "  <push-message push-id=\"kannel-si-1@itest\"\n"
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
	run_test_ppg("si", pap, si, opts, 1);
	EXPECT(status_of(&dkannel, ALICE, "kannel-si-1@itest", NULL) == PAP_STATE_PENDING);
}

static void t_test_ppg_sl_numeric_appid_query_auth(void)
{
	NEED(dkannel);
	const char *pap =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP//EN\"\n"
	    "          \"http://www.wapforum.org/DTD/pap_1.0.dtd\">\n"
	    "<pap>\n"
	    "  <push-message push-id=\"kannel-sl-1@itest\">\n"
	    "    <address address-value=\"WAPPUSH=+15551230001/TYPE=PLMN@ppg.example\">\n"
	    "    </address>\n"
	    "    <quality-of-service\n"
	    "    priority=\"low\"\n"
	    "    delivery-method=\"unconfirmed\">\n"
	    "    </quality-of-service>\n"
	    "  </push-message>\n"
	    "</pap>\n";
	const char *sl =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE sl PUBLIC \"-//WAPFORUM//DTD SL 1.0//EN\"\n"
	    "\"http://www.wapforum.org/DTD/sl.dtd\">\n"
	    "<sl href=\"http://www.example.com/sl\" action=\"execute-high\">\n"
	    "</sl>\n";
	const char *opts[] = { "-c", "sl", "-a", "ua", "-n", NULL };
	run_test_ppg("sl", pap, sl, opts, 0);
	EXPECT(status_of(&dkannel, ALICE, "kannel-sl-1@itest", NULL) == PAP_STATE_PENDING);
}

/* ================================================ suite: npm blackberry-push */

static int init_npm(void)
{
	want_status = 200;
	start_std(&dnpm, "npm", "success_status = 200\n", NULL);
	return 0;
}

static int clean_npm(void)
{
	want_status = 202;
	return stop_suite(&dnpm);
}

static void t_npm_push_status_cancel(void)
{
	NEED(dnpm);
	char script[4096], modpath[4096];
	snprintf(script, sizeof script, "%s", tu_src("tests/pi/bbpush.js"));
	snprintf(modpath, sizeof modpath, "%s", tu_src("tests/pi/node_modules/blackberry-push/index.js"));
	if (access(modpath, R_OK) != 0)
		fprintf(stderr, "\n%s is missing: run scripts/setup.sh (npm ci in tests/pi)\n", modpath);
	CU_ASSERT_FATAL(access(modpath, R_OK) == 0);

	const char *argv[] = { "node", script, "push", "--url", dnpm.url, "--user", "alice",
		"--password", ITEST_ALICE_SECRET, "--address", ADDR1, NULL };
	char *out = NULL, *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, NULL, 60, &out, &err, &code);
	if (code != 0 || !err || !strstr(err, "HTTP 200"))
		fprintf(stderr, "\nnode bbpush.js exit %d\nstdout: %s\nstderr: %s\n", code,
		    out ? out : "", err ? err : "");
	EXPECT(code == 0);
	EXPECT(err && strstr(err, "HTTP 200"));

	struct pap_limits lim = PAP_LIMITS_DEFAULT;
	struct pap_msg *m = NULL;
	struct pap_error perr;
	if (!out || pap_msg_decode(out, strlen(out), &lim, &m, &perr) != 0)
		m = NULL;
	EXPECT(m != NULL);
	EXPECT(m && m->type == PAP_MSG_PUSH_RESPONSE && resp_code(m) == PAP_ACCEPTED);
	EXPECT(m && m->version == PAP_V2_1);
	char *push_id = m && m->push_id ? strdup(m->push_id) : NULL;
	pap_msg_free(m);
	free(out);
	free(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(push_id);

	/* blackberry-push 0.1.0 only pushes: status and cancel go over libcurl. */
	EXPECT(status_of(&dnpm, ALICE, push_id, NULL) == PAP_STATE_PENDING);
	EXPECT(cancel_of(&dnpm, ALICE, push_id) == PAP_OK);
	EXPECT(status_of(&dnpm, ALICE, push_id, NULL) == PAP_STATE_CANCELLED);
	free(push_id);
}

static void t_npm_wrong_secret_is_an_error(void)
{
	NEED(dnpm);
	const char *argv[] = { "node", tu_src("tests/pi/bbpush.js"), "push", "--url", dnpm.url,
		"--user", "alice", "--password", "wrong", "--address", ADDR1, NULL };
	char *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, NULL, 60, NULL, &err, &code);
	EXPECT(code == 1);
	EXPECT(err && strstr(err, "HTTP 401"));
	free(err);
}

/* ================================================ suite: command line */

static void t_hash_secret(void)
{
	const char *argv[] = { itest_ppgd_path(), "--hash-secret", NULL };
	char *h1 = NULL, *h2 = NULL;
	int c1 = -1, c2 = -1;
	itest_run_full(argv, "demo-secret\n", NULL, 30, &h1, NULL, &c1);
	itest_run_full(argv, "demo-secret\n", NULL, 30, &h2, NULL, &c2);
	EXPECT(c1 == 0 && c2 == 0);
	CU_ASSERT_FATAL(h1 && h2);
	h1[strcspn(h1, "\r\n")] = '\0';
	h2[strcspn(h2, "\r\n")] = '\0';
	EXPECT(h1[0] == '$');
	EXPECT(strcmp(h1, h2) != 0);  /* a fresh salt each time */
	struct crypt_data cd;
	memset(&cd, 0, sizeof cd);
	const char *v = crypt_r("demo-secret", h1, &cd);
	EXPECT(v && !strcmp(v, h1));
	memset(&cd, 0, sizeof cd);
	v = crypt_r("other-secret", h1, &cd);
	EXPECT(!v || strcmp(v, h1) != 0);
	free(h1);
	free(h2);
}

static void t_config_fixtures(void)
{
	const char *dir = tu_src("tests/fixtures");
	char fixdir[4096];
	snprintf(fixdir, sizeof fixdir, "%s", dir);
	DIR *dp = opendir(fixdir);
	if (!dp)
		fprintf(stderr, "\ncannot open %s\n", fixdir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	char *cwd = tu_tmpdir("fixtures");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cwd);
	int nok = 0, nfail = 0;
	struct dirent *de;
	while ((de = readdir(dp))) {
		size_t n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".conf"))
			continue;
		int good = !strncmp(de->d_name, "ok_", 3);
		int bad = !strncmp(de->d_name, "fail_", 5);
		if (!good && !bad)
			continue;
		char path[4400];
		snprintf(path, sizeof path, "%s/%s", fixdir, de->d_name);
		const char *argv[] = { itest_ppgd_path(), "-t", "-c", path, NULL };
		char *out = NULL, *err = NULL;
		int code = -1;
		itest_run_full(argv, NULL, cwd, 30, &out, &err, &code);
		if (good) {
			nok++;
			if (code != 0)
				fprintf(stderr, "\n%s: ppgd -t exit %d, expected 0\n%s", de->d_name, code, err);
			EXPECT(code == 0);
		} else {
			nfail++;
			char *text = tu_read_file(path, NULL);
			int line = 0;
			char *e = text ? strstr(text, "expect-line:") : NULL;
			if (e)
				line = atoi(e + 12);
			if (line <= 0)
				fprintf(stderr, "\n%s has no '; expect-line: N' comment\n", de->d_name);
			EXPECT(line > 0);
			char want[512];
			snprintf(want, sizeof want, "%s:%d:", de->d_name, line);
			int named = err && strstr(err, want) != NULL;
			if (code == 0 || code < 0 || !named)
				fprintf(stderr, "\n%s: ppgd -t exit %d, expected non-zero and \"%s\" on stderr; "
				    "stderr was:\n%s\n", de->d_name, code, want, err ? err : "");
			EXPECT(code > 0 && code < 128);
			EXPECT(named);
			free(text);
		}
		free(out);
		free(err);
	}
	closedir(dp);
	tu_rmtree(cwd);
	free(cwd);
	EXPECT(nok >= 1);
	EXPECT(nfail >= 1);
}

/* ---------------------------------------------------------------- main */

int main(void)
{
	static const struct itest_test_def cli[] = {
		{ "ppgd --hash-secret makes a salted crypt(3) hash", t_hash_secret },
		{ "ppgd -t: ok_* fixtures pass, fail_* name FILE:LINE", t_config_fixtures },
		{ NULL, NULL },
	};
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
	static const struct itest_test_def auth[] = {
		{ "no credentials -> 401 Basic realm=ppgd, nothing stored", t_no_credentials_401 },
		{ "wrong credentials -> 401, nothing stored", t_wrong_credentials_401 },
		{ "query credentials refused by default -> 401", t_query_credentials_off_by_default },
		{ "PI outside its allow ranges -> 403", t_outside_allow_403 },
		{ "repeated failures slow 401 down, right secret is fast", t_failure_delay_grows },
		{ NULL, NULL },
	};
	static const struct itest_test_def single[] = {
		{ "multiple_addresses = no: two addresses -> 3005", t_multiple_addresses_3005 },
		{ NULL, NULL },
	};
	static const struct itest_test_def dur[] = {
		{ "kill -9 after 1001, restart: push still pending", t_kill9_after_1001_keeps_push },
		{ "SIGTERM exit 0, restart keeps states and push-ids", t_sigterm_restart_keeps_state },
		{ NULL, NULL },
	};
	static const struct itest_test_def vec[] = {
		{ "BlackBerry JDE push, replace, status, cancel", t_vec_blackberry_jde },
		{ "npm blackberry-push capture", t_vec_npm_blackberry_push },
		{ "Kannel test_ppg captures (SI/IPv4, SL/PLMN)", t_vec_kannel_test_ppg },
		{ "every captured .raw request is replayed", t_vec_all_raw_files_covered },
		{ NULL, NULL },
	};
	static const struct itest_test_def kannel[] = {
		{ "test_ppg -b: SI to IPv4, mms.ua, Basic auth", t_test_ppg_si_ipv4_basic_auth },
		{ "test_ppg: SL, numeric app id, PLMN, query auth", t_test_ppg_sl_numeric_appid_query_auth },
		{ NULL, NULL },
	};
	static const struct itest_test_def npm[] = {
		{ "blackberry-push: push (HTTP 200) then status, cancel", t_npm_push_status_cancel },
		{ "blackberry-push: wrong secret -> 401 error", t_npm_wrong_secret_is_an_error },
		{ NULL, NULL },
	};

	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("command line", NULL, NULL, cli) ||
	    itest_add_suite("PAP over HTTP", init_pap, clean_pap, pap) ||
	    itest_add_suite("authentication", init_auth, clean_auth, auth) ||
	    itest_add_suite("multiple_addresses = no", init_single, clean_single, single) ||
	    itest_add_suite("durability", init_dur, clean_dur, dur) ||
	    itest_add_suite("captured PI requests", init_vec, clean_vec, vec) ||
	    itest_add_suite("Kannel test_ppg", init_kannel, clean_kannel, kannel) ||
	    itest_add_suite("npm blackberry-push", init_npm, clean_npm, npm)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	free(last.req);
	itest_resp_free(&last.resp);
	itest_kill_all();
	return rc;
}
