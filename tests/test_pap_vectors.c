/*
 * test_pap_vectors.c - CUnit tests of the PAP codec (pap/) on PAP documents from
 * real Push Initiators and PPGs (tests/vectors/pap-requests, pap-responses).
 * Shared helpers: tests/pap_test_common.c (split from test_pap.c).
 */
#include "tests/pap_test_common.h"

/* ============================================================ vectors */

/* Splits a .raw request into Content-Type and body (both owned by the caller
 * through *buf and *ct). */
static int load_raw(const char *rel, char **buf, char **ct, const char **body, size_t *blen)
{
	size_t len;

	*buf = vec(rel, &len);
	*ct = NULL;
	CU_ASSERT_PTR_NOT_NULL(*buf);
	if (!*buf)
		return -1;
	int rc = tu_split_http(*buf, len, ct, body, blen);
	CU_ASSERT_EQUAL(rc, 0);
	return rc;
}

static struct pap_msg *decode_part(const struct pap_mime_part *p)
{
	return decode_ok(p->body, p->body_len);
}

static const struct pap_msg_addr *one_addr(const struct pap_msg *m)
{
	CU_ASSERT_EQUAL(m->naddrs, 1);
	if (m->naddrs != 1)
		return NULL;
	CU_ASSERT_EQUAL(m->addrs[0].ok, 1);
	return m->addrs[0].ok ? &m->addrs[0] : NULL;
}

/* The BlackBerry JDE sample's USER address. */
static void check_rim_addr(const struct pap_msg *m)
{
	const struct pap_msg_addr *a = one_addr(m);

	if (!a)
		return;
	CU_ASSERT_STRING_EQUAL(a->raw, "WAPPUSH=simulator%40pushme.com%3A7874/TYPE=USER@rim.net");
	CU_ASSERT_EQUAL(a->addr.type, PAP_ADDR_USER);
	CU_ASSERT_STRING_EQUAL(a->addr.value, "simulator@pushme.com:7874");
	CU_ASSERT_STRING_EQUAL(a->addr.ppg, "rim.net");
	CU_ASSERT_EQUAL(a->addr.is_uri, 0);
}

static void test_vec_blackberry(void)
{
	char *buf, *ct;
	const char *body;
	size_t blen;
	struct pap_mime mm;
	const char *reason;
	struct pap_msg *m;

	for (int replace = 0; replace < 2; replace++) {
		if (load_raw(replace ? "pap-requests/blackberry-jde/replace_request.raw" :
		    "pap-requests/blackberry-jde/push_request.raw", &buf, &ct, &body, &blen) < 0)
			goto next;
		CU_ASSERT_EQUAL_FATAL(pap_mime_decode(ct, (const unsigned char *)body, blen, &mm,
		    &reason), 0);
		CU_ASSERT_EQUAL(mm.nparts, 2);
		CU_ASSERT_STRING_EQUAL(pap_mime_header(&mm.parts[0], "Content-Type"),
		    "application/xml; charset=UTF-8");
		CU_ASSERT_STRING_EQUAL(pap_mime_header(&mm.parts[1], "content-type"), "text/html");
		CU_ASSERT_STRING_EQUAL(pap_mime_header(&mm.parts[1], "X-Rim-Push-Title"),
		    "Have a Great Day!");
		CU_ASSERT_STRING_EQUAL(pap_mime_header(&mm.parts[1], "X-RIM-PUSH-NOTIFYURL"),
		    "http://localhost:7778");
		CU_ASSERT_EQUAL(mm.parts[1].nheaders, 9);
		CU_ASSERT(mm.parts[1].body_len > 20 && !memcmp(mm.parts[1].body, "<HTML>\r\n", 8));
		CU_ASSERT(!memcmp(mm.parts[1].body + mm.parts[1].body_len - 7, "</HTML>", 7));
		CU_ASSERT(!memcmp(mm.parts[0].body + mm.parts[0].body_len - 6, "</pap>", 6));
		m = decode_part(&mm.parts[0]);
		if (m) {
			CU_ASSERT_EQUAL(m->type, PAP_MSG_PUSH);
			CU_ASSERT_EQUAL(m->version, PAP_V2_0);
			CU_ASSERT_STRING_EQUAL(m->push_id, "1@rim.com");
			CU_ASSERT(replace ? streq(m->replace_push_id, "1@rim.com") :
			    m->replace_push_id == NULL);
			CU_ASSERT_EQUAL(m->replace_method, PAP_REPLACE_ALL);
			CU_ASSERT_EQUAL(m->deliver_before, 0);
			CU_ASSERT_EQUAL(m->qos.present, 0);
			CU_ASSERT_EQUAL(m->qos.priority, PAP_PRIO_MEDIUM);
			CU_ASSERT_EQUAL(m->progress_notes_requested, 0);
			check_rim_addr(m);
			pap_msg_free(m);
		}
		pap_mime_free(&mm);
next:
		free(ct);
		free(buf);
	}

	const char *single[] = { "pap-requests/blackberry-jde/cancel_request.raw",
		"pap-requests/blackberry-jde/status_request.raw" };
	for (int i = 0; i < 2; i++) {
		if (load_raw(single[i], &buf, &ct, &body, &blen) == 0) {
			CU_ASSERT_STRING_EQUAL(ct, "application/xml");
			m = decode_ok(body, blen);
			if (m) {
				CU_ASSERT_EQUAL(m->type, i ? PAP_MSG_STATUSQUERY : PAP_MSG_CANCEL);
				CU_ASSERT_EQUAL(m->version, PAP_V2_0);
				CU_ASSERT_STRING_EQUAL(m->push_id, "1@rim.com");
				check_rim_addr(m);
				pap_msg_free(m);
			}
		}
		free(ct);
		free(buf);
	}
}

/* The PAP document of Kannel's test_ppg (iptestppg.txt / smstestppg.txt). */
static void check_kannel_push(const struct pap_msg *m, int sms)
{
	CU_ASSERT_EQUAL(m->type, PAP_MSG_PUSH);
	CU_ASSERT_EQUAL(m->version, PAP_V1_0);
	CU_ASSERT_STRING_EQUAL(m->push_id, "9fjeo39jf084@pi.com");
	CU_ASSERT_EQUAL(m->deliver_after, 983342700);   /* 2001-02-28T06:45:00Z */
	CU_ASSERT_EQUAL(m->deliver_before, 0);
	CU_ASSERT_EQUAL(m->progress_notes_requested, 0);
	CU_ASSERT_EQUAL(m->qos.present, 1);
	CU_ASSERT_EQUAL(m->qos.priority, PAP_PRIO_LOW);
	CU_ASSERT_EQUAL(m->qos.delivery_method, PAP_DM_UNCONFIRMED);
	CU_ASSERT_EQUAL(m->qos.network_required, 1);
	CU_ASSERT_EQUAL(m->qos.bearer_required, 1);
	CU_ASSERT_STRING_EQUAL(m->qos.network, sms ? "gsm" : "GSM");
	CU_ASSERT_STRING_EQUAL(m->qos.bearer, sms ? "sms" : "CSD");
	const struct pap_msg_addr *a = one_addr(m);
	if (!a)
		return;
	CU_ASSERT_EQUAL(a->addr.type, sms ? PAP_ADDR_PLMN : PAP_ADDR_IPV4);
	CU_ASSERT_STRING_EQUAL(a->addr.value, sms ? "+358408201681" : "213.243.140.102");
	CU_ASSERT_STRING_EQUAL(a->addr.ppg, "ppg.carrier.com");
}

static void test_vec_kannel(void)
{
	static const struct {
		const char *raw;
		int sms;
		const char *appid, *ctype, *tail;
	} reqs[] = {
		{ "pap-requests/kannel-test_ppg/test_ppg_si_mmsua_ipv4.raw", 0, "mms.ua",
		  "text/vnd.wap.si", "</si>\n" },
		{ "pap-requests/kannel-test_ppg/test_ppg_sl_numeric_appid_plmn.raw", 1, "2",
		  "text/vnd.wap.sl", "action=\"execute-high\">\n</sl>" },
	};
	char *buf, *ct;
	const char *body, *reason;
	size_t blen;
	struct pap_mime mm;
	struct pap_msg *m;

	for (int i = 0; i < 2; i++) {
		size_t len;
		buf = vec(i ? "pap-requests/kannel-test_ppg/smstestppg.txt" :
		    "pap-requests/kannel-test_ppg/iptestppg.txt", &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		if ((m = decode_ok(buf, len))) {
			check_kannel_push(m, i);
			pap_msg_free(m);
		}
		free(buf);
	}
	for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		if (load_raw(reqs[i].raw, &buf, &ct, &body, &blen) == 0) {
			CU_ASSERT_EQUAL(body[0], '\r');    /* a CRLF preamble */
			CU_ASSERT_EQUAL_FATAL(pap_mime_decode(ct, (const unsigned char *)body,
			    blen, &mm, &reason), 0);
			CU_ASSERT_EQUAL(mm.nparts, 2);
			CU_ASSERT_STRING_EQUAL(pap_mime_header(&mm.parts[0], "Content-Type"),
			    "application/xml");
			CU_ASSERT_STRING_EQUAL(pap_mime_header(&mm.parts[1], "X-Wap-Application-Id"),
			    reqs[i].appid);
			CU_ASSERT_STRING_EQUAL(pap_mime_header(&mm.parts[1], "Content-Type"),
			    reqs[i].ctype);
			size_t tl = strlen(reqs[i].tail);
			const struct pap_mime_part *c = &mm.parts[1];
			CU_ASSERT(c->body_len > tl && !memcmp(c->body + c->body_len - tl,
			    reqs[i].tail, tl));
			CU_ASSERT(!memcmp(c->body, "<?xml", 5));
			if ((m = decode_part(&mm.parts[0]))) {
				check_kannel_push(m, reqs[i].sms);
				pap_msg_free(m);
			}
			pap_mime_free(&mm);
		}
		free(ct);
		free(buf);
	}
}

static void test_vec_npm(void)
{
	char *buf, *ct;
	const char *body, *reason;
	size_t blen;
	struct pap_mime mm;
	struct pap_msg *m;

	if (load_raw("pap-requests/npm-blackberry-push/push_request.raw", &buf, &ct, &body,
	    &blen) == 0) {
		CU_ASSERT_EQUAL_FATAL(pap_mime_decode(ct, (const unsigned char *)body, blen, &mm,
		    &reason), 0);
		CU_ASSERT_EQUAL(mm.nparts, 2);
		CU_ASSERT_STRING_EQUAL(pap_mime_header(&mm.parts[1], "push-message-id"),
		    "17952848810589296");
		CU_ASSERT(body_is(&mm.parts[1], "hello world"));
		if ((m = decode_part(&mm.parts[0]))) {
			CU_ASSERT_EQUAL(m->type, PAP_MSG_PUSH);
			CU_ASSERT_EQUAL(m->version, PAP_V2_1);
			CU_ASSERT_STRING_EQUAL(m->push_id, "17952848810589296");
			CU_ASSERT_EQUAL(m->deliver_before, 1795292081);
			CU_ASSERT_EQUAL(m->deliver_after, 0);
			CU_ASSERT_STRING_EQUAL(m->source_reference, "app-id-123");
			CU_ASSERT_EQUAL(m->qos.present, 1);
			CU_ASSERT_EQUAL(m->qos.delivery_method, PAP_DM_UNCONFIRMED);
			CU_ASSERT_EQUAL(m->qos.priority, PAP_PRIO_MEDIUM);
			CU_ASSERT_STRING_EQUAL(m->qos.network, "");
			const struct pap_msg_addr *a = one_addr(m);
			if (a) {
				CU_ASSERT_EQUAL(a->addr.type, PAP_ADDR_PLMN);
				CU_ASSERT_STRING_EQUAL(a->addr.value, "+358401234567");
				CU_ASSERT_STRING_EQUAL(a->addr.ppg, "ppg.example");
			}
			pap_msg_free(m);
		}
		pap_mime_free(&mm);
	}
	free(ct);
	free(buf);
}

static void test_vec_nested(void)
{
	char *buf, *ct;
	const char *body, *reason;
	size_t blen, len;
	struct pap_mime outer, inner;
	struct pap_msg *m;
	char ct2[128];

	buf = vec("pap-requests/kannel-test_ppg/mime-multipart.txt", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL_FATAL(tu_split_http(buf, len, &ct, &body, &blen), 0);
	CU_ASSERT_EQUAL(pap_mime_param(ct, "boundary", ct2, sizeof ct2), 0);
	CU_ASSERT_STRING_EQUAL(ct2, "my_boundary");
	CU_ASSERT_EQUAL_FATAL(pap_mime_decode(ct, (const unsigned char *)body, blen, &outer,
	    &reason), 0);
	CU_ASSERT_EQUAL_FATAL(outer.nparts, 2);
	CU_ASSERT(body_is(&outer.parts[0], "this is the text in this entity\n"));
	const char *ict = pap_mime_header(&outer.parts[1], "Content-Type");
	CU_ASSERT_STRING_EQUAL(ict, "multipart/mixed; boundary=mms_boundary");
	CU_ASSERT_STRING_EQUAL(pap_mime_header(&outer.parts[1], "MIME-Version"), "1.0");
	CU_ASSERT_EQUAL_FATAL(pap_mime_decode(ict, outer.parts[1].body, outer.parts[1].body_len,
	    &inner, &reason), 0);
	CU_ASSERT_EQUAL(inner.nparts, 2);
	CU_ASSERT(body_is(&inner.parts[0], "this is the mms message text\n"));
	CU_ASSERT_STRING_EQUAL(pap_mime_header(&inner.parts[1], "Content-Type"), "application/xml");
	if (inner.nparts == 2 && (m = decode_part(&inner.parts[1]))) {
		CU_ASSERT_EQUAL(m->type, PAP_MSG_PUSH);
		CU_ASSERT_EQUAL(m->version, PAP_V2_0);
		CU_ASSERT_STRING_EQUAL(m->push_id, "4879683648");
		CU_ASSERT_EQUAL(m->naddrs, 3);
		for (size_t i = 0; i < m->naddrs && i < 3; i++) {
			char want[32];
			snprintf(want, sizeof want, "user%zu@domain.com", i + 1);
			CU_ASSERT_STRING_EQUAL(m->addrs[i].raw, want);
			CU_ASSERT_EQUAL(m->addrs[i].ok, 0);    /* no WAPPUSH=: the PPG answers 2002 */
			CU_ASSERT_PTR_NOT_NULL(m->addrs[i].reason);
		}
		pap_msg_free(m);
	}
	pap_mime_free(&inner);
	pap_mime_free(&outer);
	free(ct);
	free(buf);
}

/* Every .raw file under pap-requests must be one the tests above know. */
static void test_vec_inventory(void)
{
	static const char *const known[] = {
		"blackberry-jde/cancel_request.raw", "blackberry-jde/push_request.raw",
		"blackberry-jde/replace_request.raw", "blackberry-jde/status_request.raw",
		"kannel-test_ppg/test_ppg_si_mmsua_ipv4.raw",
		"kannel-test_ppg/test_ppg_sl_numeric_appid_plmn.raw",
		"npm-blackberry-push/push_request.raw",
	};
	static const char *const dirs[] = { "blackberry-jde", "kannel-test_ppg",
		"npm-blackberry-push" };
	size_t found = 0;

	for (size_t d = 0; d < 3; d++) {
		char rel[512];
		snprintf(rel, sizeof rel, "pap-requests/%s", dirs[d]);
		DIR *dir = opendir(tu_vector(rel));
		CU_ASSERT_PTR_NOT_NULL(dir);
		if (!dir)
			continue;
		for (struct dirent *e; (e = readdir(dir));) {
			size_t n = strlen(e->d_name);
			if (n < 4 || strcmp(e->d_name + n - 4, ".raw"))
				continue;
			snprintf(rel, sizeof rel, "%s/%s", dirs[d], e->d_name);
			int k = 0;
			for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
				k |= !strcmp(rel, known[i]);
			CU_ASSERT(k);
			if (!k)
				fprintf(stderr, "vector %s is not covered by test_pap\n", rel);
			found++;
		}
		closedir(dir);
	}
	CU_ASSERT_EQUAL(found, sizeof known / sizeof known[0]);
}

static void test_vec_responses(void)
{
	size_t len, blen;
	char *buf, *ct;
	const char *body, *reason;
	struct pap_msg *m;
	struct pap_mime mm;

	buf = vec("pap-responses/blackberry-bis-ppg-push-response.xml", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	if ((m = decode_ok(buf, len))) {
		CU_ASSERT_EQUAL(m->type, PAP_MSG_PUSH_RESPONSE);
		CU_ASSERT_EQUAL(m->version, PAP_V2_1);
		CU_ASSERT_EQUAL(m->code, 1001);
		CU_ASSERT_STRING_EQUAL(m->desc, "The request has been accepted for processing.");
		CU_ASSERT_EQUAL_FATAL(m->nresults, 1);
		CU_ASSERT_EQUAL(m->results[0].code, 1001);
		CU_ASSERT_STRING_EQUAL(m->push_id, "1c8fa540-3cdf-012d-743a-4061864d7fee");
		CU_ASSERT_STRING_EQUAL(m->sender_name, "RIM Push-Data Service");
		CU_ASSERT_STRING_EQUAL(m->sender_address,
		    "http://pushapi.eval.blackberry.com/mss/PD_pushRequest");
		CU_ASSERT_EQUAL(m->reply_time, 1273330292);
		pap_msg_free(m);
	}
	free(buf);

	buf = vec("pap-responses/kannel/push_response_1001.http", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL_FATAL(tu_split_http(buf, len, &ct, &body, &blen), 0);
	if ((m = decode_ok(body, blen))) {
		CU_ASSERT_EQUAL(m->type, PAP_MSG_PUSH_RESPONSE);
		CU_ASSERT_EQUAL(m->version, PAP_V1_0);
		CU_ASSERT_EQUAL(m->code, 1001);
		CU_ASSERT_STRING_EQUAL(m->push_id, "ipv4-test-1@pi.example");
		CU_ASSERT_STRING_EQUAL(m->sender_address, "/wappush");
		CU_ASSERT_STRING_EQUAL(m->sender_name, "vm; WAP/1.3 (Kannel/1.4.5)");
		CU_ASSERT_EQUAL(m->reply_time, 1795284760);
		pap_msg_free(m);
	}
	free(ct);
	free(buf);

	const char *bad[] = { "pap-responses/kannel/cancel_response.http",
		"pap-responses/kannel/statusquery_response.http" };
	for (int i = 0; i < 2; i++) {
		buf = vec(bad[i], &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		CU_ASSERT_EQUAL_FATAL(tu_split_http(buf, len, &ct, &body, &blen), 0);
		if ((m = decode_ok(body, blen))) {
			CU_ASSERT_EQUAL(m->type, PAP_MSG_BADMESSAGE_RESPONSE);
			CU_ASSERT_EQUAL(m->version, PAP_V1_0);
			CU_ASSERT_EQUAL(m->code, 2000);
			CU_ASSERT_STRING_EQUAL(m->desc, "Not understood due to malformed syntax");
			CU_ASSERT_STRING_EQUAL(m->bad_fragment, "application/xml");
			pap_msg_free(m);
		}
		free(ct);
		free(buf);
	}

	const char *xml[] = { "pap-responses/kannel/cancel.xml",
		"pap-responses/kannel/statusquery.xml" };
	for (int i = 0; i < 2; i++) {
		buf = vec(xml[i], &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		if ((m = decode_ok(buf, len))) {
			CU_ASSERT_EQUAL(m->type, i ? PAP_MSG_STATUSQUERY : PAP_MSG_CANCEL);
			CU_ASSERT_STRING_EQUAL(m->push_id, "1@rim.com");
			const struct pap_msg_addr *a = one_addr(m);
			if (a) {
				CU_ASSERT_EQUAL(a->addr.type, PAP_ADDR_USER);
				CU_ASSERT_STRING_EQUAL(a->addr.value, "x:7874");
			}
			pap_msg_free(m);
		}
		free(buf);
	}

	/* the multipart body Kannel's PPG received, with its Content-Type */
	char *ctf = vec("pap-responses/kannel/request_push_ipv4_si.content-type", &len);
	buf = vec("pap-responses/kannel/request_push_ipv4_si.body", &blen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	ctf[strcspn(ctf, "\r\n")] = '\0';
	const char *ctv = strchr(ctf, ':') + 1;
	CU_ASSERT_EQUAL_FATAL(pap_mime_decode(ctv, (unsigned char *)buf, blen, &mm, &reason), 0);
	CU_ASSERT_EQUAL(mm.nparts, 2);
	CU_ASSERT_STRING_EQUAL(pap_mime_header(&mm.parts[1], "X-WAP-Application-ID"),
	    "x-wap-application:mms.ua");
	if ((m = decode_part(&mm.parts[0]))) {
		CU_ASSERT_EQUAL(m->version, PAP_V2_0);
		CU_ASSERT_STRING_EQUAL(m->push_id, "ipv4-test-1@pi.example");
		CU_ASSERT_EQUAL(m->qos.priority, PAP_PRIO_LOW);
		CU_ASSERT_STRING_EQUAL(m->qos.bearer, "CSD");
		const struct pap_msg_addr *a = one_addr(m);
		if (a) {
			CU_ASSERT_EQUAL(a->addr.type, PAP_ADDR_IPV4);
			CU_ASSERT_STRING_EQUAL(a->addr.value, "127.0.0.1");
			CU_ASSERT_STRING_EQUAL(a->addr.ppg, "ppg.example");
		}
		pap_msg_free(m);
	}
	pap_mime_free(&mm);
	free(buf);
	free(ctf);
}

/* ============================================================ main */

int main(void)
{
	static const struct tu_test tests[] = {
		{ "vectors blackberry-jde", test_vec_blackberry },
		{ "vectors kannel test_ppg", test_vec_kannel },
		{ "vectors npm blackberry-push", test_vec_npm },
		{ "vectors nested multipart", test_vec_nested },
		{ "vectors inventory", test_vec_inventory },
		{ "vectors responses", test_vec_responses },
	};
	return tu_run_suite("pap", tests, sizeof tests / sizeof tests[0]);
}
