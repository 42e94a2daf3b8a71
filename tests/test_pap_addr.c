/*
 * test_pap_addr.c - CUnit tests of the PAP codec (pap/): timestamps, codes and
 * states, addresses, multipart framing, the UAProf capabilities entity.
 * Shared helpers: tests/pap_test_common.c (split from test_pap.c).
 */
#include "tests/pap_test_common.h"

/* ================================================================ util */

static void test_time(void)
{
	static const char *const bad[] = {
		"", "2001-02-28T06:45:00", "2001-02-28 06:45:00Z", "2001-02-28T06:45:00z",
		"2001-02-28T06:45:00Z ", " 2001-02-28T06:45:00Z", "2001-02-29T00:00:00Z",
		"2001-13-01T00:00:00Z", "2001-00-01T00:00:00Z", "2001-01-00T00:00:00Z",
		"2001-04-31T00:00:00Z", "2001-01-01T24:00:00Z", "2001-01-01T00:60:00Z",
		"2001-01-01T00:00:61Z", "1969-12-31T23:59:59Z", "2001-1-01T00:00:00Z",
		"+001-01-01T00:00:00Z", "2001-01-01T00:00:0aZ", "2001/01/01T00:00:00Z",
		"20010101T000000Z", "2001-02-28T06:45:00+00:00",
	};
	char buf[21];
	time_t t;

	CU_ASSERT_EQUAL(pap_time_decode("2001-02-28T06:45:00Z", &t), 0);
	CU_ASSERT_EQUAL(t, 983342700);
	CU_ASSERT_EQUAL(pap_time_decode("1970-01-01T00:00:00Z", &t), 0);
	CU_ASSERT_EQUAL(t, 0);
	CU_ASSERT_EQUAL(pap_time_decode("2000-02-29T23:59:59Z", &t), 0);
	CU_ASSERT_EQUAL(t, 951868799);
	CU_ASSERT_EQUAL(pap_time_decode("2026-11-21T20:14:41Z", &t), 0);
	CU_ASSERT_EQUAL(t, 1795292081);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t = 42;
		CU_ASSERT_EQUAL(pap_time_decode(bad[i], &t), -EINVAL);
		CU_ASSERT_EQUAL(t, 42);
	}
	CU_ASSERT_EQUAL(pap_time_decode(NULL, &t), -EINVAL);

	pap_time_encode(983342700, buf);
	CU_ASSERT_STRING_EQUAL(buf, "2001-02-28T06:45:00Z");
	pap_time_encode(1795292081, buf);
	CU_ASSERT_STRING_EQUAL(buf, "2026-11-21T20:14:41Z");
	for (time_t x = 0; x < 4000000000; x += 86399 * 37) {
		pap_time_encode(x, buf);
		CU_ASSERT_EQUAL(pap_time_decode(buf, &t), 0);
		CU_ASSERT_EQUAL(t, x);
	}
}

static void test_codes_states(void)
{
	enum pap_state s;

	CU_ASSERT_STRING_EQUAL(pap_code_desc(1001), "Accepted for processing");
	CU_ASSERT_STRING_EQUAL(pap_code_desc(2000), "Bad request");
	CU_ASSERT_STRING_EQUAL(pap_code_desc(3002), "Version not supported");
	CU_ASSERT_STRING_EQUAL(pap_code_desc(2602), "Bad request");
	CU_ASSERT_STRING_EQUAL(pap_code_desc(5123), "Mobile client aborted");
	CU_ASSERT_STRING_EQUAL(pap_code_desc(4001), "Service unavailable");
	CU_ASSERT_STRING_EQUAL(pap_code_desc(9999), "Unknown");
	CU_ASSERT_STRING_EQUAL(pap_version_str(PAP_V1_0), "1.0");
	CU_ASSERT_STRING_EQUAL(pap_version_str(PAP_V2_0), "2.0");
	CU_ASSERT_STRING_EQUAL(pap_version_str(PAP_V2_1), "2.1");
	for (int i = PAP_STATE_UNKNOWN; i <= PAP_STATE_REJECTED; i++) {
		CU_ASSERT_EQUAL(pap_state_decode(pap_state_str((enum pap_state)i), &s), 0);
		CU_ASSERT_EQUAL((int)s, i);
	}
	CU_ASSERT_STRING_EQUAL(pap_state_str(PAP_STATE_UNDELIVERABLE), "undeliverable");
	CU_ASSERT_EQUAL(pap_state_decode("delivered", &s), 0);
	CU_ASSERT_EQUAL(s, PAP_STATE_DELIVERED);
	CU_ASSERT_EQUAL(pap_state_decode("lost", &s), -EINVAL);
	CU_ASSERT_EQUAL(pap_state_decode("", &s), -EINVAL);
}

/* ============================================================ addresses */

static void test_addr_table(void)
{
	size_t ngood = 0, nbad = 0;

	for (size_t i = 0; i < sizeof addr_cases / sizeof addr_cases[0]; i++) {
		const struct addr_case *c = &addr_cases[i];
		struct pap_addr a, b;
		const char *reason = "unset";
		char enc[1024], enc2[1024];
		int rc = pap_addr_decode(c->in, &a, &reason);

		if (!c->ok) {
			nbad++;
			CU_ASSERT_EQUAL(rc, -EINVAL);
			CU_ASSERT_PTR_NOT_NULL(reason);
			if (rc != -EINVAL)
				fprintf(stderr, "accepted bad address '%s'\n", c->in);
			else if (reason)
				CU_ASSERT(strlen(reason) > 10);
			continue;
		}
		ngood++;
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_PTR_NULL(reason);
		if (rc) {
			fprintf(stderr, "refused good address '%s': %s\n", c->in, reason);
			continue;
		}
		CU_ASSERT_EQUAL(a.type, c->type);
		CU_ASSERT_STRING_EQUAL(a.value, c->value);
		CU_ASSERT_STRING_EQUAL(a.ppg, c->ppg);
		CU_ASSERT_EQUAL(a.is_uri, c->is_uri);
		CU_ASSERT_STRING_EQUAL(a.wina, c->wina);
		if (c->type == PAP_ADDR_WINA)
			CU_ASSERT_STRING_EQUAL(pap_addr_type_str(&a), c->wina);
		/* encode -> decode gives the same address; encoding is stable */
		int n = pap_addr_encode(&a, enc, sizeof enc);
		CU_ASSERT(n > 0 && (size_t)n == strlen(enc));
		CU_ASSERT_EQUAL(pap_addr_decode(enc, &b, &reason), 0);
		addr_eq(&a, &b);
		CU_ASSERT_EQUAL(pap_addr_encode(&b, enc2, sizeof enc2), n);
		CU_ASSERT_STRING_EQUAL(enc, enc2);
		/* too small a buffer */
		CU_ASSERT_EQUAL(pap_addr_encode(&a, enc2, (size_t)n), -ENOSPC);
		CU_ASSERT_EQUAL(pap_addr_encode(&a, enc2, (size_t)n + 1), n);
	}
	CU_ASSERT(ngood >= 25);
	CU_ASSERT(nbad >= 40);
}

static void test_addr_misc(void)
{
	struct pap_addr a;
	const char *reason = NULL;
	char buf[700], enc[256];

	/* canonical forms written by the encoder */
	CU_ASSERT_EQUAL(pap_addr_decode("WAPPUSH=sip%3aalice%40example.com/type=user@ppg", &a,
	    &reason), 0);
	CU_ASSERT_EQUAL(pap_addr_encode(&a, enc, sizeof enc),
	    (int)strlen("WAPPUSH=sip%3Aalice%40example.com/TYPE=USER@ppg"));
	CU_ASSERT_STRING_EQUAL(enc, "WAPPUSH=sip%3Aalice%40example.com/TYPE=USER@ppg");
	CU_ASSERT_STRING_EQUAL(pap_addr_type_str(&a), "USER");
	CU_ASSERT_EQUAL(pap_addr_decode("WAPPUSH=2001%3adb8%3a%3a1/TYPE=ipv6@x", &a, &reason), 0);
	CU_ASSERT(pap_addr_encode(&a, enc, sizeof enc) > 0);
	CU_ASSERT_STRING_EQUAL(enc, "WAPPUSH=2001:db8::1/TYPE=IPv6@x");
	CU_ASSERT_EQUAL(pap_addr_decode("WAPPUSH=+358-40/TYPE=plmn", &a, &reason), 0);
	CU_ASSERT(pap_addr_encode(&a, enc, sizeof enc) > 0);
	CU_ASSERT_STRING_EQUAL(enc, "WAPPUSH=+35840/TYPE=PLMN");

	/* the longest value that fits, and one more */
	memcpy(buf, "WAPPUSH=", 8);
	memset(buf + 8, 'a', PAP_ADDR_VALUE_MAX - 1);
	strcpy(buf + 8 + PAP_ADDR_VALUE_MAX - 1, "/TYPE=USER");
	CU_ASSERT_EQUAL(pap_addr_decode(buf, &a, &reason), 0);
	CU_ASSERT_EQUAL(strlen(a.value), PAP_ADDR_VALUE_MAX - 1);
	memset(buf + 8, 'a', PAP_ADDR_VALUE_MAX);
	strcpy(buf + 8 + PAP_ADDR_VALUE_MAX, "/TYPE=USER");
	CU_ASSERT_EQUAL(pap_addr_decode(buf, &a, &reason), -EINVAL);
	CU_ASSERT_STRING_EQUAL(reason, "address value is too long");
	/* escaped: 3 bytes per decoded byte */
	strcpy(buf, "WAPPUSH=");
	for (int i = 0; i < 200; i++)
		strcat(buf, "%41");
	strcat(buf, "/TYPE=USER");
	CU_ASSERT_EQUAL(pap_addr_decode(buf, &a, &reason), 0);
	CU_ASSERT_EQUAL(strlen(a.value), 200);

	CU_ASSERT_EQUAL(pap_addr_decode(NULL, &a, &reason), -EINVAL);
	CU_ASSERT_EQUAL(pap_addr_decode("WAPPUSH=999.1.1.1/TYPE=IPv4", &a, &reason), -EINVAL);
	CU_ASSERT_STRING_EQUAL(reason, "IPv4 address is not a dotted quad");
	CU_ASSERT_EQUAL(pap_addr_decode("WAPPUSH=+1/TYPE=PLMN", &a, NULL), 0);
	CU_ASSERT_STRING_EQUAL(a.value, "+1");

	memset(&a, 0, sizeof a);
	CU_ASSERT_EQUAL(pap_addr_encode(&a, enc, sizeof enc), -EINVAL);   /* no type */
}

/* ============================================================ multipart */

static void test_mime_param(void)
{
	char b[64];
	const char *ct = "multipart/related; type=\"application/xml\"; boundary=asdlfkjiurwghasf";

	CU_ASSERT_EQUAL(pap_mime_param(ct, "boundary", b, sizeof b), 0);
	CU_ASSERT_STRING_EQUAL(b, "asdlfkjiurwghasf");
	CU_ASSERT_EQUAL(pap_mime_param(ct, "TYPE", b, sizeof b), 0);
	CU_ASSERT_STRING_EQUAL(b, "application/xml");
	CU_ASSERT_EQUAL(pap_mime_param(ct, "start", b, sizeof b), -ENOENT);
	CU_ASSERT_EQUAL(pap_mime_param(ct, "boundary", b, 5), -ENOSPC);
	ct = "Multipart/Related;BOUNDARY=\"a;b c\\\"d\" ; type=application/xml;start=<AAA>";
	CU_ASSERT_EQUAL(pap_mime_param(ct, "boundary", b, sizeof b), 0);
	CU_ASSERT_STRING_EQUAL(b, "a;b c\"d");
	CU_ASSERT_EQUAL(pap_mime_param(ct, "type", b, sizeof b), 0);
	CU_ASSERT_STRING_EQUAL(b, "application/xml");
	CU_ASSERT_EQUAL(pap_mime_param(ct, "start", b, sizeof b), 0);
	CU_ASSERT_STRING_EQUAL(b, "<AAA>");
	CU_ASSERT_EQUAL(pap_mime_param("text/plain", "charset", b, sizeof b), -ENOENT);
	CU_ASSERT_EQUAL(pap_mime_param("text/plain; charset = utf-8 ", "charset", b, sizeof b), 0);
	CU_ASSERT_STRING_EQUAL(b, "utf-8");

	CU_ASSERT_EQUAL(pap_mime_type(ct, b, sizeof b), 0);
	CU_ASSERT_STRING_EQUAL(b, "multipart/related");
	CU_ASSERT_EQUAL(pap_mime_type("  Application/XML ; charset=UTF-8", b, sizeof b), 0);
	CU_ASSERT_STRING_EQUAL(b, "application/xml");
	CU_ASSERT_EQUAL(pap_mime_type("text", b, sizeof b), -EINVAL);
	CU_ASSERT_EQUAL(pap_mime_type("text/", b, sizeof b), -EINVAL);
	CU_ASSERT_EQUAL(pap_mime_type("/plain", b, sizeof b), -EINVAL);
	CU_ASSERT_EQUAL(pap_mime_type("text/pl ain", b, sizeof b), -EINVAL);
	CU_ASSERT_EQUAL(pap_mime_type("multipart/related", b, 10), -ENOSPC);
}

static void test_mime_edges(void)
{
	struct pap_mime m;
	const char *reason;
	char ct[200], body[4096];

	/* LF only, no preamble, no line end after the close delimiter */
	CU_ASSERT_EQUAL_FATAL(mime("multipart/related; boundary=b",
	    "--b\nContent-Type: a/b\n\nxml\n--b\nX-A: 1\n\nbody\n\n--b--", &m, &reason), 0);
	CU_ASSERT_EQUAL(m.nparts, 2);
	CU_ASSERT(body_is(&m.parts[0], "xml"));
	CU_ASSERT(body_is(&m.parts[1], "body\n"));
	CU_ASSERT_STRING_EQUAL(pap_mime_header(&m.parts[0], "content-type"), "a/b");
	CU_ASSERT_STRING_EQUAL(pap_mime_header(&m.parts[1], "x-a"), "1");
	CU_ASSERT_PTR_NULL(pap_mime_header(&m.parts[1], "Content-Type"));
	CU_ASSERT_EQUAL(m.parts[0].raw_headers_len, strlen("Content-Type: a/b\n"));
	CU_ASSERT(!memcmp(m.parts[0].raw_headers, "Content-Type: a/b\n", 18));
	pap_mime_free(&m);
	CU_ASSERT_EQUAL(m.nparts, 0);

	/* CRLF preamble, padding after delimiters, folded header, epilogue */
	CU_ASSERT_EQUAL_FATAL(mime("multipart/related; boundary=\"b b\"",
	    "preamble\r\n\r\n--b b  \t\r\nX-Long: a\r\n\t b\r\n  c \r\n\r\nx\r\n--b bX\r\n\r\n"
	    "--b b--  \r\nepilogue", &m, &reason), 0);
	CU_ASSERT_EQUAL(m.nparts, 1);
	CU_ASSERT_STRING_EQUAL(pap_mime_header(&m.parts[0], "X-LONG"), "a b c");
	CU_ASSERT(body_is(&m.parts[0], "x\r\n--b bX\r\n"));
	pap_mime_free(&m);

	/* a part without headers, a part without body */
	CU_ASSERT_EQUAL_FATAL(mime("multipart/mixed;boundary=q",
	    "--q\r\n\r\nno headers\r\n--q\r\nContent-Type: text/plain\r\n--q--\r\n", &m, &reason), 0);
	CU_ASSERT_EQUAL(m.nparts, 2);
	CU_ASSERT_EQUAL(m.parts[0].nheaders, 0);
	CU_ASSERT(body_is(&m.parts[0], "no headers"));
	CU_ASSERT_EQUAL(m.parts[1].nheaders, 1);
	CU_ASSERT_EQUAL(m.parts[1].body_len, 0);
	pap_mime_free(&m);

	/* 16 parts fit, 17 do not */
	strcpy(body, "");
	for (int i = 0; i < 16; i++)
		strcat(body, "--z\r\n\r\np\r\n");
	strcat(body, "--z--");
	CU_ASSERT_EQUAL(mime("multipart/related; boundary=z", body, &m, &reason), 0);
	CU_ASSERT_EQUAL(m.nparts, 16);
	pap_mime_free(&m);
	strcpy(body, "");
	for (int i = 0; i < 17; i++)
		strcat(body, "--z\r\n\r\np\r\n");
	strcat(body, "--z--");
	CU_ASSERT_EQUAL(mime("multipart/related; boundary=z", body, &m, &reason), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "16"));
	CU_ASSERT_EQUAL(m.nparts, 0);
	CU_ASSERT_PTR_NULL(m.parts);

	/* boundary of 70 characters fits, 71 does not */
	char bd[80];
	memset(bd, 'k', 70);
	bd[70] = '\0';
	snprintf(ct, sizeof ct, "multipart/related; boundary=%s", bd);
	snprintf(body, sizeof body, "--%s\r\n\r\nx\r\n--%s--\r\n", bd, bd);
	CU_ASSERT_EQUAL(mime(ct, body, &m, &reason), 0);
	CU_ASSERT_EQUAL(m.nparts, 1);
	pap_mime_free(&m);
	strcat(bd, "k");
	snprintf(ct, sizeof ct, "multipart/related; boundary=%s", bd);
	snprintf(body, sizeof body, "--%s\r\n\r\nx\r\n--%s--\r\n", bd, bd);
	CU_ASSERT_EQUAL(mime(ct, body, &m, &reason), -EINVAL);

	/* refusals */
	CU_ASSERT_EQUAL(mime("multipart/related; boundary=b", "--b\r\n\r\nx\r\n", &m, &reason),
	    -EINVAL);
	CU_ASSERT_STRING_EQUAL(reason, "multipart body has no closing delimiter");
	CU_ASSERT_EQUAL(mime("application/xml", "--b\r\n\r\nx\r\n--b--", &m, &reason), -EINVAL);
	CU_ASSERT_EQUAL(mime("multipart/related", "--b\r\n\r\nx\r\n--b--", &m, &reason), -EINVAL);
	CU_ASSERT_EQUAL(mime("multipart/related; boundary=\"\"", "--\r\n\r\n----", &m, &reason),
	    -EINVAL);
	CU_ASSERT_EQUAL(mime("multipart/related; boundary=b", "no delimiter at all", &m, &reason),
	    -EINVAL);
	CU_ASSERT_EQUAL(mime("multipart/related; boundary=b", "--b--\r\n", &m, &reason), -EINVAL);
	CU_ASSERT_EQUAL(mime("multipart/related; boundary=b",
	    "--b\r\nnot a header\r\n\r\nx\r\n--b--", &m, &reason), -EINVAL);
	CU_ASSERT_EQUAL(mime("multipart/related; boundary=b",
	    "--b\r\n folded first\r\n\r\nx\r\n--b--", &m, &reason), -EINVAL);
	CU_ASSERT_EQUAL(mime("multipart/related; boundary=b",
	    "--b\r\n: empty name\r\n\r\nx\r\n--b--", &m, &reason), -EINVAL);
	CU_ASSERT_EQUAL(m.nparts, 0);
}

/* ============================================================ UAProf */

/* The capabilities entity: what ppgd reads of a UAProf document, the
 * document it writes of what it learnt, and hostile documents. */
static void test_uaprof(void)
{
	size_t len = 0;
	char *doc = tu_read_file(tu_src("tests/fixtures/uaprof/x100.rdf"), &len);
	struct pap_uaprof u;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_EQUAL_FATAL(pap_uaprof_parse(doc, len, &u), 0);
	CU_ASSERT_STRING_EQUAL(u.vendor, "Example Devices");
	CU_ASSERT_STRING_EQUAL(u.model, "X100");
	CU_ASSERT_EQUAL(u.naccept, 3);
	CU_ASSERT_EQUAL_FATAL(u.npush_accept, 4);
	CU_ASSERT_STRING_EQUAL(u.push_accept[0], "application/vnd.wap.mms-message");
	CU_ASSERT_EQUAL_FATAL(u.nappids, 3);
	CU_ASSERT_STRING_EQUAL(u.appids[2], "x-wap-application:push.syncml");
	CU_ASSERT_EQUAL(pap_uaprof_accepts(&u, "application/vnd.wap.mms-message"), 1);
	CU_ASSERT_EQUAL(pap_uaprof_accepts(&u, "Text/Vnd.Wap.SI; charset=utf-8"), 1);
	CU_ASSERT_EQUAL(pap_uaprof_accepts(&u, "image/png"), 0);
	/* written back: a document this parser reads the same push lists from */
	size_t wl = 0;
	char *w = pap_uaprof_write("sip:bob@example.com\"<x>", &u, &wl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT(strstr(w, "rdf:about=\"sip:bob@example.com&quot;&lt;x&gt;\"") != NULL);
	struct pap_uaprof back;
	CU_ASSERT_EQUAL(pap_uaprof_parse(w, wl, &back), 0);
	CU_ASSERT_EQUAL(back.npush_accept, 4);
	CU_ASSERT_EQUAL(back.nappids, 3);
	if (back.nappids == 3)
		CU_ASSERT_STRING_EQUAL(back.appids[0], "x-wap-application:mms.ua");
	CU_ASSERT_PTR_NULL(back.model);
	pap_uaprof_free(&back);
	free(w);
	pap_uaprof_free(&u);
	free(doc);

	/* nothing said about push: -1 */
	const char *bare = "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/>";
	CU_ASSERT_EQUAL(pap_uaprof_parse(bare, strlen(bare), &u), 0);
	CU_ASSERT_EQUAL(pap_uaprof_accepts(&u, "text/plain"), -1);
	pap_uaprof_free(&u);
	/* not RDF, not XML, empty */
	CU_ASSERT_EQUAL(pap_uaprof_parse("<html/>", 7, &u), -EINVAL);
	CU_ASSERT_EQUAL(pap_uaprof_parse("garbage", 7, &u), -EINVAL);
	CU_ASSERT_EQUAL(pap_uaprof_parse("", 0, &u), -EINVAL);
	/* an external entity is not read (XXE), nor is the network */
	const char *xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
	    "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns:prf=\"x\">"
	    "<prf:Model>&e;</prf:Model></rdf:RDF>";
	if (pap_uaprof_parse(xxe, strlen(xxe), &u) == 0) {
		CU_ASSERT(!u.model || !strstr(u.model, "root:"));
		pap_uaprof_free(&u);
	}
	/* a value with a CR (a character reference) reads back the same from
	 * what ppgd writes (a raw CR would come back as LF) */
	const char *cr = "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns:prf=\"x\">"
	    "<prf:Push-Accept-AppID><rdf:Bag><rdf:li>a&#13;b</rdf:li></rdf:Bag></prf:Push-Accept-AppID></rdf:RDF>";
	CU_ASSERT_EQUAL_FATAL(pap_uaprof_parse(cr, strlen(cr), &u), 0);
	CU_ASSERT_EQUAL_FATAL(u.nappids, 1);
	CU_ASSERT_STRING_EQUAL(u.appids[0], "a\rb");
	w = pap_uaprof_write("x", &u, &wl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(pap_uaprof_parse(w, wl, &back), 0);
	CU_ASSERT(back.nappids == 1 && !strcmp(back.appids[0], "a\rb"));
	pap_uaprof_free(&back);
	pap_uaprof_free(&u);
	free(w);
	/* a list longer than PAP_UAPROF_MAX_LIST keeps the first ones */
	char *big = NULL;
	size_t bl = 0;
	FILE *f = open_memstream(&big, &bl);
	fprintf(f, "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns:prf=\"x\">"
	    "<prf:Push-Accept-AppID><rdf:Bag>");
	for (int i = 0; i < 1000; i++)
		fprintf(f, "<rdf:li>app.%d</rdf:li>", i);
	fprintf(f, "</rdf:Bag></prf:Push-Accept-AppID></rdf:RDF>");
	fclose(f);
	CU_ASSERT_EQUAL(pap_uaprof_parse(big, bl, &u), 0);
	CU_ASSERT_EQUAL(u.nappids, PAP_UAPROF_MAX_LIST);
	pap_uaprof_free(&u);
	free(big);
}

/* ============================================================ main */

int main(void)
{
	static const struct tu_test tests[] = {
		{ "time", test_time },
		{ "codes and states", test_codes_states },
		{ "address table", test_addr_table },
		{ "address misc", test_addr_misc },
		{ "mime params", test_mime_param },
		{ "mime edges", test_mime_edges },
		{ "UAProf capabilities entity", test_uaprof },
	};
	return tu_run_suite("pap", tests, sizeof tests / sizeof tests[0]);
}
