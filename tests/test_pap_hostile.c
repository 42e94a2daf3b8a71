/*
 * test_pap_hostile.c - CUnit tests of the PAP codec (pap/): versions, bad, tolerated
 * and hostile documents (XXE, entity bombs, limits), and every truncation and
 * single-byte mutation of the vectors (meant to run under ASan/UBSan).
 * Shared helpers: tests/pap_test_common.c (split from test_pap.c).
 */
#include "tests/pap_test_common.h"

/* ============================================================ versions, errors */

#define ADDR "<address address-value=\"WAPPUSH=+358408201681/TYPE=PLMN\"/>"
#define PUSH(attrs, body) "<pap><push-message push-id=\"x\"" attrs ">" body "</push-message></pap>"

static void test_versions(void)
{
	static const struct {
		const char *prolog;
		int want;     /* version, or 3002 */
	} cases[] = {
		{ "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP//EN\" "
		  "\"http://www.wapforum.org/DTD/pap_1.0.dtd\">", PAP_V1_0 },
		{ "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 1.0//EN\" "
		  "\"http://www.wapforum.org/DTD/pap_1.0.dtd\">", PAP_V1_0 },
		{ "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" "
		  "\"http://www.wapforum.org/DTD/pap_2.0.dtd\" "
		  "[<?wap-pap-ver supported-versions=\"2.0,1.*\"?>]>", PAP_V2_0 },
		{ "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.1//EN\" "
		  "\"http://www.openmobilealliance.org/tech/DTD/pap_2.1.dtd\">", PAP_V2_1 },
		{ "<!DOCTYPE pap PUBLIC \"-//OMA//DTD PAP 2.1//EN\" \"pap_2.1.dtd\">", PAP_V2_1 },
		{ "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 3.0//EN\" "
		  "\"http://www.wapforum.org/DTD/pap_3.0.dtd\">", 3002 },
		{ "", PAP_V2_1 },
		{ "<!DOCTYPE pap SYSTEM \"http://www.wapforum.org/DTD/pap_2.0.dtd\">", PAP_V2_0 },
		{ "<!DOCTYPE pap SYSTEM \"pap_9.9.dtd\">", 3002 },
		{ "<?wap-pap-ver supported-versions=\"1.0\"?>", PAP_V1_0 },
		{ "<!DOCTYPE pap [<?wap-pap-ver supported-versions=\"2.0,1.*\"?>]>", PAP_V2_0 },
		{ "<?wap-pap-ver supported-versions=\"3.0,2.1\"?>", 3002 },
		/* the external subset is never loaded: this would not parse as a DTD */
		{ "<!DOCTYPE pap SYSTEM \"file:///etc/passwd\">", PAP_V2_1 },
	};
	char doc[1024];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pap_msg *m = NULL;
		struct pap_error err;
		snprintf(doc, sizeof doc, "<?xml version=\"1.0\"?>\n%s\n"
		    "<pap><cancel-message push-id=\"p\"/></pap>\n", cases[i].prolog);
		int rc = pap_msg_decode(doc, strlen(doc), &deflim, &m, &err);
		if (cases[i].want == 3002) {
			CU_ASSERT_EQUAL(rc, -EINVAL);
			CU_ASSERT_EQUAL(err.code, PAP_VERSION_NOT_SUPPORTED);
			CU_ASSERT_EQUAL(err.version, PAP_V2_1);
		} else {
			CU_ASSERT_EQUAL(rc, 0);
			if (rc == 0) {
				CU_ASSERT_EQUAL((int)m->version, cases[i].want);
				CU_ASSERT_EQUAL(m->type, PAP_MSG_CANCEL);
				CU_ASSERT_EQUAL(m->naddrs, 0);
			} else {
				fprintf(stderr, "version case %zu: %s\n", i, err.desc);
			}
		}
		pap_msg_free(m);
	}
}

static void test_bad_documents(void)
{
	struct pap_error e;

	e = decode_bad(PUSH("", ADDR "<foo bar=\"1\"/>"), NULL, -EINVAL, 2000);
	CU_ASSERT_STRING_EQUAL(e.fragment, "<foo bar=\"1\">");
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "foo"));
	e = decode_bad("<pap><hello-message a=\"b\"/></pap>", NULL, -EINVAL, 2000);
	CU_ASSERT_STRING_EQUAL(e.fragment, "<hello-message a=\"b\">");
	e = decode_bad("<pap><address address-value=\"a\"/></pap>", NULL, -EINVAL, 2000);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "not allowed"));
	e = decode_bad("<html><body/></html>", NULL, -EINVAL, 2000);
	CU_ASSERT_STRING_EQUAL(e.fragment, "<html>");
	e = decode_bad(PUSH(" colour=\"red\"", ADDR), NULL, -EINVAL, 2000);
	CU_ASSERT_STRING_EQUAL(e.fragment, "<push-message push-id=\"x\" colour=\"red\">");
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "colour"));
	e = decode_bad(PUSH("", "<address address-value=\"a\" x:y=\"1\" xmlns:x=\"urn:x\"/>"), NULL,
	    -EINVAL, 2000);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "'y'"));
	e = decode_bad(PUSH("", ADDR "<quality-of-service priority=\"urgent\"/>"), NULL, -EINVAL,
	    2000);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "priority"));
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "urgent"));
	CU_ASSERT_STRING_EQUAL(e.fragment, "<quality-of-service priority=\"urgent\">");
	e = decode_bad(PUSH("", ADDR "<quality-of-service delivery-method=\"sometimes\"/>"), NULL,
	    -EINVAL, 2000);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "delivery-method"));
	e = decode_bad(PUSH(" progress-notes-requested=\"yes\"", ADDR), NULL, -EINVAL, 2000);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "progress-notes-requested"));
	e = decode_bad(PUSH(" replace-method=\"some\"", ADDR), NULL, -EINVAL, 2000);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "replace-method"));
	e = decode_bad(PUSH(" deliver-before-timestamp=\"2001-02-30T00:00:00Z\"", ADDR), NULL,
	    -EINVAL, 2000);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "deliver-before-timestamp"));
	e = decode_bad("<pap><statusquery-response push-id=\"p\"><statusquery-result "
	    "message-state=\"lost\" code=\"1000\"/></statusquery-response></pap>", NULL, -EINVAL, 2000);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "message-state"));
	e = decode_bad("<pap><badmessage-response code=\"200\"/></pap>", NULL, -EINVAL, 2000);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "code"));
	e = decode_bad("<pap><push-message>" ADDR "</push-message></pap>", NULL, -EINVAL, 2000);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "push-id"));
	e = decode_bad(PUSH("", "<address/>"), NULL, -EINVAL, 2000);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "address-value"));
	e = decode_bad(PUSH("", ""), NULL, -EINVAL, 2000);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "no <address>"));
	e = decode_bad(PUSH("", ADDR "text"), NULL, -EINVAL, 2000);
	e = decode_bad(PUSH("", "<address address-value=\"a\">x</address>"), NULL, -EINVAL, 2000);
	e = decode_bad(PUSH("", ADDR "<quality-of-service/><quality-of-service/>"), NULL, -EINVAL,
	    2000);
	e = decode_bad("<pap><cancel-message push-id=\"a\"/><cancel-message push-id=\"b\"/></pap>",
	    NULL, -EINVAL, 2000);
	e = decode_bad("<pap> </pap>", NULL, -EINVAL, 2000);
	e = decode_bad("<pap>junk<cancel-message push-id=\"a\"/></pap>", NULL, -EINVAL, 2000);
	e = decode_bad("<pap product=\"x\"><cancel-message push-id=\"a\"/></pap>", NULL, -EINVAL,
	    2000);
	e = decode_bad("<pap><push-response push-id=\"a\"/></pap>", NULL, -EINVAL, 2000);
	e = decode_bad("<pap><cancel-response push-id=\"a\"/></pap>", NULL, -EINVAL, 2000);
	e = decode_bad("", NULL, -EINVAL, 2000);
	e = decode_bad("<pap><push-message", NULL, -EINVAL, 2000);
	CU_ASSERT_STRING_EQUAL(e.fragment, "<pap><push-message");
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "well-formed"));
	e = decode_bad("\xFF\xFE<\x01pap>\xC3", NULL, -EINVAL, 2000);
	CU_ASSERT_STRING_EQUAL(e.fragment, "?\?<?pap>?");

	/* a long unknown element: the fragment is cut at a character boundary */
	char doc[4096];
	strcpy(doc, "<pap><unknown-thing a=\"");
	for (int i = 0; i < 600; i++)
		strcat(doc, "\xC3\xA4");
	strcat(doc, "\"/></pap>");
	e = decode_bad(doc, NULL, -EINVAL, 2000);
	CU_ASSERT(strlen(e.fragment) <= 511 && strlen(e.fragment) >= 500);
	struct pap_msg bm = { .type = PAP_MSG_BADMESSAGE_RESPONSE, .version = PAP_V2_1,
		.code = e.code, .desc = e.desc, .bad_fragment = e.fragment };
	free(roundtrip(&bm));    /* valid UTF-8, usable in a badmessage-response */
}

static void test_tolerated(void)
{
	struct pap_msg *m;
	const char *doc;

	/* white space and comments in EMPTY elements, namespaces, entity and
	 * character references, PIs, a 2.0 attribute in a 1.0 document */
	doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 1.0//EN\" \"pap_1.0.dtd\">\n"
	    "<!-- c --><pap xmlns=\"http://www.wapforum.org/DTD/pap\" xmlns:z=\"urn:z\" "
	    "product-name=\"a&amp;b&#x41;&#66;\">\n"
	    "<push-message push-id=\"p\" replace-push-id=\"q\" replace-method=\"PENDING-ONLY\">"
	    "<?pi x?><!-- c -->\n<address address-value=\"WAPPUSH=+1/TYPE=PLMN\"> <!-- c -->\n"
	    "</address>\n<quality-of-service priority=\"High\"><![CDATA[  ]]></quality-of-service>"
	    "</push-message></pap>";
	if ((m = decode_ok(doc, strlen(doc)))) {
		CU_ASSERT_EQUAL(m->version, PAP_V1_0);
		CU_ASSERT_STRING_EQUAL(m->product_name, "a&bAB");
		CU_ASSERT_STRING_EQUAL(m->replace_push_id, "q");
		CU_ASSERT_EQUAL(m->replace_method, PAP_REPLACE_PENDING_ONLY);
		CU_ASSERT_EQUAL(m->qos.priority, PAP_PRIO_HIGH);
		CU_ASSERT_EQUAL(m->naddrs, 1);
		pap_msg_free(m);
	}
	/* ISO-8859-1 documents are converted to UTF-8 */
	doc = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
	    "<pap><cancel-message push-id=\"M\xFCller\"/></pap>";
	if ((m = decode_ok(doc, strlen(doc)))) {
		CU_ASSERT_STRING_EQUAL(m->push_id, "M\xC3\xBCller");
		pap_msg_free(m);
	}
}

static void test_hostile(void)
{
	struct pap_error e;
	const char *xxe[] = {
		"<?xml version=\"1.0\"?><!DOCTYPE pap [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		"<pap><cancel-message push-id=\"&x;\"/></pap>",
		"<?xml version=\"1.0\"?><!DOCTYPE pap [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		"<pap><cancel-message push-id=\"a\">&x;</cancel-message></pap>",
		"<?xml version=\"1.0\"?><!DOCTYPE pap [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>"
		"<pap><cancel-message push-id=\"a\"/></pap>",
		"<?xml version=\"1.0\"?><!DOCTYPE pap [<!ENTITY x SYSTEM \"http://127.0.0.1:9/x\">]>"
		"<pap><cancel-message push-id=\"a\">&x;</cancel-message></pap>",
		"<?xml version=\"1.0\"?><!DOCTYPE pap [<!ENTITY x PUBLIC \"-//X//EN\" "
		"\"file:///etc/passwd\" NDATA n>]><pap><cancel-message push-id=\"a\"/></pap>",
	};
	for (size_t i = 0; i < sizeof xxe / sizeof xxe[0]; i++) {
		e = decode_bad(xxe[i], NULL, -EINVAL, 2000);
		CU_ASSERT_PTR_NULL(strstr(e.desc, "root:"));
		CU_ASSERT_PTR_NULL(strstr(e.fragment, "root:"));
	}

	/* billion laughs: refused at once */
	char doc[8192];
	strcpy(doc, "<?xml version=\"1.0\"?>\n<!DOCTYPE pap [\n<!ENTITY lol0 \"lol\">\n");
	for (int i = 1; i < 10; i++) {
		char line[256];
		snprintf(line, sizeof line, "<!ENTITY lol%d \"", i);
		for (int j = 0; j < 10; j++)
			snprintf(line + strlen(line), sizeof line - strlen(line), "&lol%d;", i - 1);
		strcat(line, "\">\n");
		strcat(doc, line);
	}
	strcat(doc, "]>\n<pap><cancel-message push-id=\"&lol9;\">&lol9;</cancel-message></pap>");
	clock_t t0 = clock();
	e = decode_bad(doc, NULL, -EINVAL, 2000);
	CU_ASSERT((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "entit"));
	/* even a harmless internal entity */
	decode_bad("<!DOCTYPE pap [<!ENTITY a \"b\">]><pap><cancel-message push-id=\"&a;\"/></pap>",
	    NULL, -EINVAL, 2000);
	/* an undeclared entity is not well-formed */
	decode_bad("<pap><cancel-message push-id=\"&nope;\"/></pap>", NULL, -EINVAL, 2000);
}

static void test_limits(void)
{
	struct pap_limits lim = PAP_LIMITS_DEFAULT;
	struct pap_error e;
	struct pap_msg *m;
	char *doc = malloc(200000);
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	/* document size */
	strcpy(doc, "<pap><cancel-message push-id=\"p\"/><!--");
	n = strlen(doc);
	memset(doc + n, 'x', 65536 - n - 10);
	strcpy(doc + 65536 - 10, "--></pap>");
	CU_ASSERT_EQUAL(strlen(doc), 65535);
	CU_ASSERT_EQUAL(pap_msg_decode(doc, strlen(doc), &lim, &m, &e), 0);
	pap_msg_free(m);
	strcat(doc, "\n\n");
	e = decode_bad(doc, &lim, -E2BIG, 2000);
	lim.max_doc = 100000;
	CU_ASSERT_EQUAL(pap_msg_decode(doc, strlen(doc), &lim, &m, &e), 0);
	pap_msg_free(m);
	lim.max_doc = 65536;

	/* nesting depth: pap / push-message / address is 3 */
	const char *push = PUSH("", ADDR);
	lim.max_depth = 3;
	CU_ASSERT_EQUAL(pap_msg_decode(push, strlen(push), &lim, &m, &e), 0);
	pap_msg_free(m);
	lim.max_depth = 2;
	decode_bad(push, &lim, -E2BIG, 2000);
	lim.max_depth = 16;
	for (int depth = 20; depth <= 400; depth += 380) {
		strcpy(doc, "<pap><push-message push-id=\"x\">");
		for (int i = 0; i < depth; i++)
			strcat(doc, "<x>");
		for (int i = 0; i < depth; i++)
			strcat(doc, "</x>");
		strcat(doc, "</push-message></pap>");
		e = decode_bad(doc, &lim, -E2BIG, 2000);
		CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "nested"));
	}

	/* attribute size */
	strcpy(doc, "<pap><cancel-message push-id=\"");
	n = strlen(doc);
	memset(doc + n, 'p', 2048);
	strcpy(doc + n + 2048, "\"/></pap>");
	CU_ASSERT_EQUAL(pap_msg_decode(doc, strlen(doc), &lim, &m, &e), 0);
	CU_ASSERT(m && strlen(m->push_id) == 2048);
	pap_msg_free(m);
	memset(doc + n, 'p', 2049);
	strcpy(doc + n + 2049, "\"/></pap>");
	e = decode_bad(doc, &lim, -E2BIG, 2000);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "push-id"));

	/* number of addresses */
	for (int count = 1000; count <= 1001; count++) {
		strcpy(doc, "<pap><push-message push-id=\"x\">");
		for (int i = 0; i < count; i++)
			strcat(doc, "<address address-value=\"WAPPUSH=+1/TYPE=PLMN\"/>");
		strcat(doc, "</push-message></pap>");
		n = strlen(doc);
		lim.max_doc = 200000;
		if (count == 1000) {
			CU_ASSERT_EQUAL(pap_msg_decode(doc, n, &lim, &m, &e), 0);
			CU_ASSERT(m && m->naddrs == 1000 && m->addrs[999].ok);
			pap_msg_free(m);
		} else {
			decode_bad(doc, &lim, -E2BIG, 2000);
		}
	}
	lim.max_addrs = 2;
	decode_bad(PUSH("", ADDR ADDR ADDR), &lim, -E2BIG, 2000);
	free(doc);
}

/* ============================================================ robustness */

static unsigned long robust_runs, robust_bad;

static void robust_fail(const char *what)
{
	if (robust_bad++ < 5)
		fprintf(stderr, "robustness: %s\n", what);
}

/* Decodes a document; success must re-encode and decode again. */
static void robust_doc(const unsigned char *p, size_t n)
{
	static const struct pap_limits big = { 1 << 24, 16, 1 << 20, 100000 };
	struct pap_msg *m = NULL, *m2 = NULL;
	struct pap_error err;
	int rc = pap_msg_decode((const char *)p, n, &deflim, &m, &err);

	robust_runs++;
	if (rc < 0) {
		if ((rc != -EINVAL && rc != -E2BIG) || (err.code != 2000 && err.code != 3001 &&
		    err.code != 3002) || !err.desc[0] || strlen(err.fragment) > 511 || m)
			robust_fail(err.desc);
		return;
	}
	for (size_t i = 0; i < m->naddrs; i++) {
		struct pap_addr a;
		if ((pap_addr_decode(m->addrs[i].raw, &a, NULL) == 0) != m->addrs[i].ok)
			robust_fail("address result differs");
	}
	size_t len;
	char *x = pap_msg_encode(m, &len);
	if (!x)
		robust_fail("decoded message does not encode");
	else if (pap_msg_decode(x, len, &big, &m2, &err) < 0 || m2->type != m->type ||
	    m2->naddrs != m->naddrs || m2->nresults != m->nresults)
		robust_fail("re-encoded message does not decode");
	pap_msg_free(m2);
	free(x);
	pap_msg_free(m);
}

static void robust_input(const char *ct, const unsigned char *p, size_t n, int depth)
{
	char type[64];

	if (ct && pap_mime_type(ct, type, sizeof type) == 0 && !strncmp(type, "multipart/", 10)) {
		struct pap_mime mm;
		const char *reason = NULL;
		int rc = pap_mime_decode(ct, p, n, &mm, &reason);
		if (rc < 0) {
			if (rc != -EINVAL || !reason || mm.nparts)
				robust_fail("mime error without reason");
			return;
		}
		for (size_t i = 0; i < mm.nparts; i++) {
			const struct pap_mime_part *pt = &mm.parts[i];
			const char *pct = pap_mime_header(pt, "Content-Type");
			if (pt->body < p || pt->body + pt->body_len > p + n)
				robust_fail("part body outside the input");
			else if (depth == 0 && pct && !strncasecmp(pct, "multipart/", 10))
				robust_input(pct, pt->body, pt->body_len, 1);
			else
				robust_doc(pt->body, pt->body_len);
		}
		pap_mime_free(&mm);
	} else {
		robust_doc(p, n);
	}
}

/* Every truncation and single-byte mutation of one input, each in a buffer
 * of its exact size so that ASan sees any over-read. */
static void robust_vector(const char *ct, const unsigned char *p, size_t n)
{
	static const unsigned char muts[] = { 0, '<', '"', '\0', '%' };   /* 0: XOR 0xFF */
	unsigned char *b = malloc(n ? n : 1);

	if (!b)
		return;
	for (size_t len = 0; len <= n; len++) {
		unsigned char *t = malloc(len ? len : 1);
		memcpy(t, p, len);
		robust_input(ct, t, len, 0);
		free(t);
	}
	memcpy(b, p, n);
	for (size_t off = 0; off < n; off++) {
		for (size_t k = 0; k < sizeof muts; k++) {
			unsigned char v = k == 0 ? (unsigned char)(p[off] ^ 0xFF) : muts[k];
			if (k > 0 && v == p[off])
				continue;
			b[off] = v;
			robust_input(ct, b, n, 0);
		}
		b[off] = p[off];
	}
	/* mutations of the Content-Type value */
	if (ct) {
		char *c = strdup(ct);
		for (size_t off = 0; c && c[off]; off++) {
			for (size_t k = 0; k < sizeof muts; k++) {
				char v = k == 0 ? (char)(ct[off] ^ 0x20) : (char)muts[k];
				c[off] = v ? v : ' ';
				robust_input(c, p, n, 0);
			}
			c[off] = ct[off];
		}
		free(c);
	}
	free(b);
}

static void test_robustness(void)
{
	static const char *const raws[] = {
		"pap-requests/blackberry-jde/cancel_request.raw",
		"pap-requests/blackberry-jde/push_request.raw",
		"pap-requests/blackberry-jde/replace_request.raw",
		"pap-requests/blackberry-jde/status_request.raw",
		"pap-requests/kannel-test_ppg/test_ppg_si_mmsua_ipv4.raw",
		"pap-requests/kannel-test_ppg/test_ppg_sl_numeric_appid_plmn.raw",
		"pap-requests/npm-blackberry-push/push_request.raw",
		"pap-requests/kannel-test_ppg/mime-multipart.txt",
		"pap-responses/kannel/push_response_1001.http",
		"pap-responses/kannel/cancel_response.http",
	};
	static const char *const docs[] = {
		"pap-requests/kannel-test_ppg/iptestppg.txt",
		"pap-requests/kannel-test_ppg/smstestppg.txt",
		"pap-responses/blackberry-bis-ppg-push-response.xml",
		"pap-responses/kannel/cancel.xml",
	};
	clock_t t0 = clock();

	robust_runs = robust_bad = 0;
	for (size_t i = 0; i < sizeof raws / sizeof raws[0]; i++) {
		char *buf, *ct;
		const char *body;
		size_t len, blen;
		buf = vec(raws[i], &len);
		CU_ASSERT_PTR_NOT_NULL(buf);
		if (buf && tu_split_http(buf, len, &ct, &body, &blen) == 0) {
			robust_vector(ct, (const unsigned char *)body, blen);
			free(ct);
		}
		free(buf);
	}
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		size_t len;
		char *buf = vec(docs[i], &len);
		CU_ASSERT_PTR_NOT_NULL(buf);
		if (buf)
			robust_vector(NULL, (const unsigned char *)buf, len);
		free(buf);
	}
	/* encoded messages of every type */
	static const char *const addrs_raw[] = { "WAPPUSH=+1/TYPE=PLMN" };
	char *a1[] = { (char *)addrs_raw[0] };
	struct pap_msg_addr addrs[1];
	struct pap_result res = { 1000, "d", PAP_STATE_DELIVERED, 983342700, a1, 1 };
	struct pap_progress_note note = { "s", "n", 983342700 };
	mk_addrs(addrs, addrs_raw, 1);
	for (int t = PAP_MSG_PUSH; t <= PAP_MSG_BADMESSAGE_RESPONSE; t++) {
		struct pap_msg m = { .type = t, .version = PAP_V2_0, .push_id = "p", .query_id = "q",
			.code = 1000, .desc = "d", .addrs = addrs, .naddrs = 1,
			.results = &res, .nresults = 1, .notes = &note, .nnotes = 1,
			.qos = { 1, PAP_PRIO_LOW, PAP_DM_CONFIRMED, "GSM", 1, "SMS", 1 } };
		size_t len;
		char *x = pap_msg_encode(&m, &len);
		CU_ASSERT_PTR_NOT_NULL(x);
		if (x)
			robust_vector(NULL, (const unsigned char *)x, len);
		free(x);
	}
	unsigned long doc_runs = robust_runs;
	/* addresses */
	for (size_t i = 0; i < sizeof addr_cases / sizeof addr_cases[0]; i++) {
		const char *in = addr_cases[i].in;
		size_t n = strlen(in);
		char *b = malloc(n + 1);
		for (size_t len = 0; len <= n; len++) {
			struct pap_addr a, a2;
			char enc[1024];
			memcpy(b, in, len);
			b[len] = '\0';
			for (size_t off = 0; off <= len; off++) {
				char save = b[off];
				for (int k = 0; k < 5 && off < len; k++) {
					b[off] = "\xFF<\"%/"[k] ^ (k == 0 ? save : 0);
					if (pap_addr_decode(b, &a, NULL) == 0 &&
					    (pap_addr_encode(&a, enc, sizeof enc) < 0 ||
					    pap_addr_decode(enc, &a2, NULL) < 0 ||
					    strcmp(a.value, a2.value)))
						robust_fail("address round trip");
					robust_runs++;
				}
				b[off] = save;
			}
		}
		free(b);
	}
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	fprintf(stderr, "\nrobustness: %lu document runs, %lu address runs, %lu failures, "
	    "%.1f s CPU\n", doc_runs, robust_runs - doc_runs, robust_bad, secs);
	CU_ASSERT(doc_runs > 50000);
	CU_ASSERT_EQUAL(robust_bad, 0);
}

/* ============================================================ main */

int main(void)
{
	static const struct tu_test tests[] = {
		{ "versions", test_versions },
		{ "bad documents", test_bad_documents },
		{ "tolerated documents", test_tolerated },
		{ "hostile documents", test_hostile },
		{ "limits", test_limits },
		{ "robustness", test_robustness },
	};
	return tu_run_suite("pap", tests, sizeof tests / sizeof tests[0]);
}
