/*
 * test_sip_e2e_indirect.c - SIP Push end to end: content indirection
 * (RFC 4483): a large content sent as message/external-body, fetched,
 * never fetched, cancelled.
 * Shared set-up: tests/sip_e2e_common.c (split from test_sip_e2e.c).
 */
#include "tests/sip_e2e_common.h"

/* ================================== suite: content indirection (RFC 4483) */

static struct itest_daemon dind, dcan;
static int dind_sip, dcan_sip;

/* dind: fetch_timeout 3 s; dcan: 30 s, far longer than any wait of its
 * test, so that nothing but the cancel can end the attempt. */
static int init_ind(void)
{
	start_ppgd(&dind, "sip-ind", TAB_SIP "fetch_timeout = 3\n", NULL, &dind_sip);
	start_ppgd(&dcan, "sip-ind-cancel", TAB_SIP "fetch_timeout = 30\n", NULL, &dcan_sip);
	return 0;
}

static int clean_ind(void)
{
	itest_daemon_destroy(&dind, 0);
	itest_daemon_destroy(&dcan, 0);
	return 0;
}

#define MMS_CT "application/vnd.wap.mms-message"
#define BIG 2000

/* 2000 bytes of binary content (every byte value, CR and LF included). */
static void big_content(unsigned char *b, int seed)
{
	for (size_t i = 0; i < BIG; i++)
		b[i] = (unsigned char)((i * 37 + (size_t)seed * 11 + 5) & 0xff);
	memcpy(b, "MMS-", 4);   /* never the multipart delimiter */
}

/* The URL of a message/external-body MESSAGE; checks the reference.
 * malloc'ed, or NULL. */
static char *external_url(struct itest_daemon *d, const struct itest_sip_msg *m)
{
	char *ct = itest_sip_hdr(m->text, "Content-Type");
	char *url = NULL;
	EXPECT(ct && !strncmp(ct, "message/external-body", 21));
	EXPECT(ct && strstr(ct, "access-type=\"URL\""));
	char size[32];
	snprintf(size, sizeof size, "size=%d", BIG);
	EXPECT(ct && strstr(ct, size));
	const char *u = ct ? strstr(ct, "URL=\"") : NULL;
	if (u) {
		u += 5;
		url = strndup(u, strcspn(u, "\""));
	}
	char *prefix = itest_asprintf("%s/content/", d->base);
	if (!url || strncmp(url, prefix, strlen(prefix)))
		fprintf(stderr, "\n  external-body URL \"%s\", expected under %s\n", url ? url : "(none)", prefix);
	EXPECT(url && !strncmp(url, prefix, strlen(prefix)) && strlen(url) > strlen(prefix) + 16);
	size_t blen;
	const char *body = itest_sip_body(m, &blen);
	/* the body names the content's type; none of the content is inline */
	EXPECT(blen < 300 && strstr(body, "Content-Type: " MMS_CT) != NULL);
	EXPECT(m->len <= 1300);
	free(prefix);
	free(ct);
	return url;
}

/* 2000 bytes -> MESSAGE with a URL; pending until the terminal fetches it
 * (200, exact content); then delivered; the URL is then gone (404). */
static void t_indirection_fetched(void)
{
	NEED(dind);
	unsigned char content[BIG];
	struct term t;
	struct sq q;
	big_content(content, 1);
	char *scen = itest_sip_uas_scenario(dind.dir, 200, "OK", NULL);

	EXPECT_FATAL(term_start(&t, dind.dir, "iuser", scen, 1) == 0);
	ctx_files[0] = t.msglog;
	EXPECT_INT(itest_sip_register(dind.dir, "127.0.0.1", dind_sip, "iuser", t.port, 600), 200);
	EXPECT_INT(push_to(&dind, DOCTYPE_21, "ind-1@e2e", "iuser", NULL, MMS_CT, content, BIG), 1001);
	EXPECT_INT(term_wait(&t, 10), 0);
	struct itest_sip_log l;
	const struct itest_sip_msg *m[4];
	itest_sip_log_load(t.msglog, &l);
	size_t n = itest_sip_requests(&l, "MESSAGE", m, 4);
	EXPECT_INT(n, 1);
	char *url = n ? external_url(&dind, m[0]) : NULL;
	if (n) {
		char *ac = itest_sip_hdr(m[0]->text, "Accept-Contact");
		EXPECT_STR(ac, ACCEPT_CONTACT);
		free(ac);
	}
	/* the 200 came, the content was not fetched yet: still pending */
	sleep_s(0.3);
	EXPECT(statusquery(&dind, "ind-1@e2e", &q) == 0);
	report_sq("200 but not fetched yet", &q);
	EXPECT_STR(pap_state_str(q.state), "pending");
	if (url) {
		/* the terminal's fetch */
		struct itest_resp r;
		EXPECT(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r) == 0);
		EXPECT_INT(r.status, 200);
		char *rct = itest_resp_header(&r, "Content-Type");
		EXPECT_STR(rct, MMS_CT);
		EXPECT_INT(r.len, BIG);
		EXPECT(r.len == BIG && !memcmp(r.body, content, BIG));
		free(rct);
		itest_resp_free(&r);
		EXPECT(wait_final(&dind, "ind-1@e2e", 5, &q) == 0);
		report_sq("fetched", &q);
		EXPECT_STR(pap_state_str(q.state), "delivered");
		EXPECT_INT(q.code, 1000);
		/* final: the URL no longer serves the content */
		EXPECT(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r) == 0);
		EXPECT_INT(r.status, 404);
		itest_resp_free(&r);
	}
	free(url);
	itest_sip_log_free(&l);
	term_free(&t);
	free(scen);
	ctx_files[0] = NULL;
}

/* The terminal answers 200 but never fetches: timeout 4000 after
 * fetch_timeout (3 s); the URL is then gone. */
static void t_indirection_not_fetched(void)
{
	NEED(dind);
	unsigned char content[BIG];
	struct term t;
	struct sq q;
	big_content(content, 2);
	char *scen = itest_sip_uas_scenario(dind.dir, 200, "OK", NULL);

	EXPECT_FATAL(term_start(&t, dind.dir, "nfuser", scen, 1) == 0);
	ctx_files[0] = t.msglog;
	EXPECT_INT(itest_sip_register(dind.dir, "127.0.0.1", dind_sip, "nfuser", t.port, 600), 200);
	double t0 = itest_now();
	EXPECT_INT(push_to(&dind, DOCTYPE_21, "ind-2@e2e", "nfuser", NULL, MMS_CT, content, BIG), 1001);
	EXPECT(wait_final(&dind, "ind-2@e2e", 12, &q) == 0);
	double took = itest_now() - t0;
	report_sq("never fetched", &q);
	EXPECT_STR(pap_state_str(q.state), "timeout");
	EXPECT_INT(q.code, 4000);
	EXPECT(took >= 2.9);
	EXPECT_INT(term_wait(&t, 5), 0);
	struct itest_sip_log l;
	const struct itest_sip_msg *m[4];
	itest_sip_log_load(t.msglog, &l);
	size_t n = itest_sip_requests(&l, "MESSAGE", m, 4);
	EXPECT_INT(n, 1);
	char *url = n ? external_url(&dind, m[0]) : NULL;
	if (url) {
		struct itest_resp r;
		EXPECT(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r) == 0);
		EXPECT_INT(r.status, 404);
		itest_resp_free(&r);
	}
	free(url);
	itest_sip_log_free(&l);
	term_free(&t);
	free(scen);
	ctx_files[0] = NULL;
}

/* cancel-message for push_id (PAP 2.1); the code of its first
 * cancel-result, or -1 when no cancel-response came. */
static int cancel_push(struct itest_daemon *d, const char *push_id)
{
	char *doc = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>"
	    "<cancel-message push-id=\"%s\"/></pap>", push_id);
	struct pap_msg *m = itest_pap_post(d, ALICE, "application/xml", doc, strlen(doc));
	int code = m && m->type == PAP_MSG_CANCEL_RESPONSE ? msg_code(m) : -1;
	pap_msg_free(m);
	free(doc);
	return code;
}

/*
 * The terminal answers the MESSAGE 200 and does not fetch (the attempt
 * waits for the fetch, fetch_timeout 30 s). Before the cancel the URL
 * serves the content (HEAD 200: a HEAD is not a fetch); the PI cancels the
 * push; a GET sent as soon as the cancel's answer came must find the URL
 * withdrawn (404), within 1 s of the cancel and nowhere near fetch_timeout;
 * the push is then cancelled, not delivered nor timed out.
 */
static void t_indirection_cancelled_404(void)
{
	NEED(dcan);
	unsigned char content[BIG];
	struct term t;
	struct sq q;
	big_content(content, 3);
	char *scen = itest_sip_uas_scenario(dcan.dir, 200, "OK", NULL);

	EXPECT_FATAL(term_start(&t, dcan.dir, "cuser", scen, 1) == 0);
	ctx_files[0] = t.msglog;
	EXPECT_INT(itest_sip_register(dcan.dir, "127.0.0.1", dcan_sip, "cuser", t.port, 600), 200);
	EXPECT_INT(push_to(&dcan, DOCTYPE_21, "ind-cancel@e2e", "cuser", NULL, MMS_CT, content, BIG), 1001);
	EXPECT_INT(term_wait(&t, 10), 0);   /* the MESSAGE came and was answered 200 */
	struct itest_sip_log l;
	const struct itest_sip_msg *m[4];
	itest_sip_log_load(t.msglog, &l);
	size_t n = itest_sip_requests(&l, "MESSAGE", m, 4);
	EXPECT_INT(n, 1);
	char *url = n ? external_url(&dcan, m[0]) : NULL;
	EXPECT_FATAL(url != NULL);

	/* Waiting for the fetch: pending, and the URL serves the content. */
	EXPECT(statusquery(&dcan, "ind-cancel@e2e", &q) == 0);
	report_sq("200, content not fetched", &q);
	EXPECT_STR(pap_state_str(q.state), "pending");
	struct itest_resp r;
	EXPECT(itest_http("HEAD", url, NULL, NULL, 0, NULL, NULL, &r) == 0);
	EXPECT_INT(r.status, 200);
	char *rct = itest_resp_header(&r, "Content-Type"), *rcl = itest_resp_header(&r, "Content-Length");
	EXPECT_STR(rct, MMS_CT);
	EXPECT_INT(rcl ? atol(rcl) : -1, BIG);
	free(rct);
	free(rcl);
	itest_resp_free(&r);
	/* ... and a HEAD did not count as the fetch */
	EXPECT(statusquery(&dcan, "ind-cancel@e2e", &q) == 0);
	EXPECT_STR(pap_state_str(q.state), "pending");

	double t0 = itest_now();
	int code = cancel_push(&dcan, "ind-cancel@e2e");
	double t_answer = itest_now();
	EXPECT_INT(code, 1000);
	EXPECT(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r) == 0);
	double t_404 = itest_now();
	printf("\n    cancel answered %d in %.3f s; GET of the content URL %.3f s after the answer: %ld",
	    code, t_answer - t0, t_404 - t_answer, r.status);
	EXPECT_INT(r.status, 404);
	EXPECT(t_404 - t0 < 1.0);
	itest_resp_free(&r);

	EXPECT(wait_final(&dcan, "ind-cancel@e2e", 5, &q) == 0);
	report_sq("cancelled while the fetch was awaited", &q);
	EXPECT_STR(pap_state_str(q.state), "cancelled");
	/* still cancelled later on: the withdrawn attempt reports nothing */
	sleep_s(0.5);
	EXPECT(statusquery(&dcan, "ind-cancel@e2e", &q) == 0);
	EXPECT_STR(pap_state_str(q.state), "cancelled");
	EXPECT(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r) == 0);
	EXPECT_INT(r.status, 404);
	itest_resp_free(&r);
	free(url);
	itest_sip_log_free(&l);
	term_free(&t);
	free(scen);
	ctx_files[0] = NULL;
}

/* ---------------------------------------------------------------- main */

int main(void)
{
	static const struct itest_test_def ind[] = {
		{ "2000 bytes: message/external-body, fetch 200, delivered, then 404", t_indirection_fetched },
		{ "2000 bytes never fetched: timeout 4000 after fetch_timeout", t_indirection_not_fetched },
		{ "a cancelled push's content URL answers 404 at once", t_indirection_cancelled_404 },
		{ NULL, NULL },
	};

	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("content indirection", init_ind, clean_ind, ind)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
