/*
 * test_pap.c - CUnit tests of the PAP codec (pap/): timestamps, addresses,
 * multipart framing, PAP documents from real Push Initiators and PPGs
 * (tests/vectors/pap-requests, pap-responses), encode/decode round trips,
 * hostile documents (XXE, entity bombs, limits), and every truncation and
 * single-byte mutation of the vectors (meant to run under ASan/UBSan).
 */
#include "pap/pap.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct pap_limits deflim = PAP_LIMITS_DEFAULT;

static int streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

/* Reads a vector under tests/vectors; fails the test when absent. */
static char *vec(const char *rel, size_t *len)
{
	char *b = tu_read_file(tu_vector(rel), len);
	if (!b)
		fprintf(stderr, "cannot read %s\n", tu_vector(rel));
	return b;
}

/* Decodes a document that must be valid; NULL (and a failed assertion) otherwise. */
static struct pap_msg *decode_ok(const void *xml, size_t len)
{
	struct pap_msg *m = NULL;
	struct pap_error err;
	int rc = pap_msg_decode(xml, len, &deflim, &m, &err);

	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		fprintf(stderr, "decode: %d %s [%s]\n", err.code, err.desc, err.fragment);
	return m;
}

/* Decodes a document that must fail with rc and code; returns err. */
static struct pap_error decode_bad(const char *xml, const struct pap_limits *lim, int rc,
    int code)
{
	struct pap_msg *m = (struct pap_msg *)1;
	struct pap_error err;
	int r = pap_msg_decode(xml, strlen(xml), lim ? lim : &deflim, &m, &err);

	CU_ASSERT_EQUAL(r, rc);
	CU_ASSERT_EQUAL(err.code, code);
	CU_ASSERT_PTR_NULL(m);
	if (r != rc || err.code != code)
		fprintf(stderr, "expected %d/%d, got %d/%d: %s\n", rc, code, r, err.code, err.desc);
	if (r == 0)
		pap_msg_free(m);
	return err;
}

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

struct addr_case {
	const char *in;
	int ok;
	enum pap_addr_type type;
	const char *value;
	const char *ppg;
	int is_uri;
	const char *wina;
};

#define GOOD(in, t, v, ppg, uri) { in, 1, t, v, ppg, uri, "" }
#define WINA(in, w, v, ppg) { in, 1, PAP_ADDR_WINA, v, ppg, 0, w }
#define BAD(in) { in, 0, 0, NULL, NULL, 0, NULL }

static const struct addr_case addr_cases[] = {
	GOOD("WAPPUSH=+358408201681/TYPE=PLMN@ppg.carrier.com", PAP_ADDR_PLMN, "+358408201681",
	    "ppg.carrier.com", 0),
	GOOD("WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example", PAP_ADDR_IPV4, "127.0.0.1", "ppg.example", 0),
	GOOD("WAPPUSH=aisha.wahl%40example.com%3A7874/TYPE=USER@example.net", PAP_ADDR_USER,
	    "aisha.wahl@example.com:7874", "example.net", 0),
	GOOD("WAPPUSH=2001:db8::1/TYPE=IPv6@x", PAP_ADDR_IPV6, "2001:db8::1", "x", 0),
	GOOD("WAPPUSH=2001%3Adb8%3A%3A1/TYPE=IPv6", PAP_ADDR_IPV6, "2001:db8::1", "", 0),
	GOOD("WAPPUSH=::ffff:1.2.3.4/TYPE=IPv6", PAP_ADDR_IPV6, "::ffff:1.2.3.4", "", 0),
	GOOD("WAPPUSH=2001:0DB8:0000:0000:0000:0000:0000:0001/TYPE=IPv6", PAP_ADDR_IPV6,
	    "2001:db8::1", "", 0),
	GOOD("WAPPUSH=::1/TYPE=IPV6", PAP_ADDR_IPV6, "::1", "", 0),
	GOOD("WAPPUSH=sip%3Aalice%40example.com/TYPE=USER@ppg", PAP_ADDR_USER,
	    "sip:alice@example.com", "ppg", 1),
	GOOD("WAPPUSH=SIPS%3Abob%40example.org%3A5061/TYPE=USER", PAP_ADDR_USER,
	    "SIPS:bob@example.org:5061", "", 1),
	GOOD("WAPPUSH=sip%3Aexample.com/TYPE=USER", PAP_ADDR_USER, "sip:example.com", "", 1),
	GOOD("WAPPUSH=sip%3A%2B358401234567%3Buser%3Dphone%40ims.example.com/TYPE=USER",
	    PAP_ADDR_USER, "sip:+358401234567;user=phone@ims.example.com", "", 1),
	GOOD("WAPPUSH=sip%3Aalice%40%5B2001%3Adb8%3A%3A1%5D%3A5060/TYPE=USER", PAP_ADDR_USER,
	    "sip:alice@[2001:db8::1]:5060", "", 1),
	GOOD("WAPPUSH=tel%3A%2B1-555-123.4567/TYPE=USER", PAP_ADDR_USER, "tel:+1-555-123.4567",
	    "", 1),
	GOOD("WAPPUSH=TEL%3A%2B358%2840%291234567/TYPE=user", PAP_ADDR_USER,
	    "TEL:+358(40)1234567", "", 1),
	GOOD("wappush=+358408201681/type=plmn", PAP_ADDR_PLMN, "+358408201681", "", 0),
	GOOD("WAPPUSH=+358-40-820.1681/TYPE=PLMN", PAP_ADDR_PLMN, "+358408201681", "", 0),
	GOOD("WAPPUSH=+12345678901234567890/TYPE=PLMN", PAP_ADDR_PLMN, "+12345678901234567890",
	    "", 0),
	GOOD("WAPPUSH=%2B358401234567/TYPE=PLMN", PAP_ADDR_PLMN, "+358401234567", "", 0),
	GOOD("WAPPUSH=+358408201681/TYPE=PLMN/ext=abc%20d@ppg", PAP_ADDR_PLMN, "+358408201681",
	    "ppg", 0),
	GOOD("WAPPUSH=10.0.0.1/TYPE=IPv4/port=2948/bearer-x=CSD", PAP_ADDR_IPV4, "10.0.0.1", "", 0),
	GOOD("WAPPUSH=255.255.255.255/TYPE=ipv4", PAP_ADDR_IPV4, "255.255.255.255", "", 0),
	GOOD("WAPPUSH=john.doe/TYPE=USER@ppg_1.example-net", PAP_ADDR_USER, "john.doe",
	    "ppg_1.example-net", 0),
	GOOD("WAPPUSH=M%C3%BCller/TYPE=USER", PAP_ADDR_USER, "M\xC3\xBCller", "", 0),
	GOOD("WAPPUSH=x%3A7874/TYPE=USER@rim.net", PAP_ADDR_USER, "x:7874", "rim.net", 0),
	GOOD("WAPPUSH=sip%3Auser%40host/TYPE=USER/k=v", PAP_ADDR_USER, "sip:user@host", "", 1),
	WINA("WAPPUSH=+358408201681/TYPE=GSM_MSISDN", "GSM_MSISDN", "+358408201681", ""),
	WINA("WAPPUSH=12345/TYPE=tetra_itsi@ppg", "TETRA_ITSI", "12345", "ppg"),
	WINA("WAPPUSH=0401234567/TYPE=ReFLEX_MSIDDN", "ReFLEX_MSIDDN", "0401234567", ""),
	WINA("WAPPUSH=123/TYPE=MAN/x=1", "MAN", "123", ""),
	WINA("WAPPUSH=%2A100%23/TYPE=gsm_service_code", "GSM_Service_Code", "*100#", ""),

	BAD(""),
	BAD("WAPPUSH=/TYPE=PLMN"),
	BAD("WAPPUSH=+358408201681"),
	BAD("WAPPUSH=+358408201681/TYPE=FOO"),
	BAD("WAPPUSH=+358408201681/TYPE="),
	BAD("WAPPUSH=+358408201681/TYP=PLMN"),
	BAD("PUSH=+358408201681/TYPE=PLMN"),
	BAD("WAPPUSH=999.1.1.1/TYPE=IPv4"),
	BAD("WAPPUSH=1.2.3/TYPE=IPv4"),
	BAD("WAPPUSH=01.2.3.4/TYPE=IPv4"),
	BAD("WAPPUSH=2001:db8::1/TYPE=IPv4"),
	BAD("WAPPUSH=2001:db8::1::2/TYPE=IPv6"),
	BAD("WAPPUSH=1.2.3.4/TYPE=IPv6"),
	BAD("WAPPUSH=fe80::1%25eth0/TYPE=IPv6"),
	BAD("WAPPUSH=abc%ZZ/TYPE=USER"),
	BAD("WAPPUSH=abc%G1/TYPE=USER"),
	BAD("WAPPUSH=abc%4/TYPE=USER"),
	BAD("WAPPUSH=abc%/TYPE=USER"),
	BAD("WAPPUSH=john doe/TYPE=USER"),
	BAD("WAPPUSH=user@example.com/TYPE=USER@ppg"),
	BAD("WAPPUSH=a%00b/TYPE=USER"),
	BAD("WAPPUSH=a%0Ab/TYPE=USER"),
	BAD("WAPPUSH=%C3%28/TYPE=USER"),
	BAD("WAPPUSH=+/TYPE=PLMN"),
	BAD("WAPPUSH=+--/TYPE=PLMN"),
	BAD("WAPPUSH=358408201681/TYPE=PLMN"),
	BAD("WAPPUSH=+123456789012345678901/TYPE=PLMN"),
	BAD("WAPPUSH=+35840abc/TYPE=PLMN"),
	BAD("WAPPUSH=+358408201681/TYPE=PLMN@"),
	BAD("WAPPUSH=+358408201681/TYPE=PLMN@ppg/x"),
	BAD("WAPPUSH=+358408201681/TYPE=PLMN@a@b"),
	BAD("WAPPUSH=+358408201681/TYPE=PLMN@ppg.example "),
	BAD("WAPPUSH=+358408201681/TYPE=PLMN/=x"),
	BAD("WAPPUSH=+358408201681/TYPE=PLMN/k"),
	BAD("WAPPUSH=+358408201681/TYPE=PLMN/k="),
	BAD("WAPPUSH=+358408201681/TYPE=PLMN/k=a b"),
	BAD("WAPPUSH=x/TYPE=USER\n"),
	BAD("WAPPUSH=tel%3A358401234567/TYPE=USER"),
	BAD("WAPPUSH=tel%3A%2B/TYPE=USER"),
	BAD("WAPPUSH=sip%3A/TYPE=USER"),
	BAD("WAPPUSH=sip%3Aalice%40/TYPE=USER"),
	BAD("WAPPUSH=sip%3Aal%20ice%40example.com/TYPE=USER"),
	BAD("WAPPUSH=sip%3Aalice%40exa%20mple.com/TYPE=USER"),
	BAD("user1@domain.com"),
};

static void addr_eq(const struct pap_addr *a, const struct pap_addr *b)
{
	CU_ASSERT_EQUAL(a->type, b->type);
	CU_ASSERT_STRING_EQUAL(a->value, b->value);
	CU_ASSERT_STRING_EQUAL(a->wina, b->wina);
	CU_ASSERT_STRING_EQUAL(a->ppg, b->ppg);
	CU_ASSERT_EQUAL(a->is_uri, b->is_uri);
}

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

static int mime(const char *ct, const char *body, struct pap_mime *m, const char **reason)
{
	return pap_mime_decode(ct, (const unsigned char *)body, strlen(body), m, reason);
}

static int body_is(const struct pap_mime_part *p, const char *s)
{
	return p->body_len == strlen(s) && !memcmp(p->body, s, p->body_len);
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

/* ============================================================ round trips */

/* Attribute text that needs every kind of escaping. */
static const char nasty[] = "a\"b<c>&d'e \xC3\xA4 \xE2\x9C\x93 \xE6\x97\xA5 \xF0\x9F\x98\x80"
    "\ttab\nnl\rcr&amp;";

static void msg_eq(const struct pap_msg *a, const struct pap_msg *b)
{
	CU_ASSERT_EQUAL(a->type, b->type);
	CU_ASSERT_EQUAL(a->version, b->version);
	CU_ASSERT(streq(a->product_name, b->product_name));
	CU_ASSERT(streq(a->push_id, b->push_id));
	CU_ASSERT(streq(a->replace_push_id, b->replace_push_id));
	CU_ASSERT_EQUAL(a->replace_method, b->replace_method);
	CU_ASSERT_EQUAL(a->deliver_before, b->deliver_before);
	CU_ASSERT_EQUAL(a->deliver_after, b->deliver_after);
	CU_ASSERT(streq(a->source_reference, b->source_reference));
	CU_ASSERT(streq(a->ppg_notify_requested_to, b->ppg_notify_requested_to));
	CU_ASSERT_EQUAL(a->progress_notes_requested, b->progress_notes_requested);
	CU_ASSERT_EQUAL(a->qos.present, b->qos.present);
	/* 0 in a hand-built message means the default, medium */
	CU_ASSERT_EQUAL(a->qos.priority ? a->qos.priority : PAP_PRIO_MEDIUM,
	    b->qos.priority ? b->qos.priority : PAP_PRIO_MEDIUM);
	CU_ASSERT_EQUAL(a->qos.delivery_method, b->qos.delivery_method);
	CU_ASSERT_STRING_EQUAL(a->qos.network, b->qos.network);
	CU_ASSERT_EQUAL(a->qos.network_required, b->qos.network_required);
	CU_ASSERT_STRING_EQUAL(a->qos.bearer, b->qos.bearer);
	CU_ASSERT_EQUAL(a->qos.bearer_required, b->qos.bearer_required);
	CU_ASSERT(streq(a->query_id, b->query_id));
	CU_ASSERT(streq(a->app_id, b->app_id));
	CU_ASSERT(streq(a->sender_address, b->sender_address));
	CU_ASSERT(streq(a->sender_name, b->sender_name));
	CU_ASSERT_EQUAL(a->reply_time, b->reply_time);
	CU_ASSERT_EQUAL(a->received_time, b->received_time);
	CU_ASSERT_EQUAL(a->event_time, b->event_time);
	CU_ASSERT_EQUAL(a->state, b->state);
	CU_ASSERT_EQUAL(a->code, b->code);
	CU_ASSERT(streq(a->desc, b->desc));
	CU_ASSERT(streq(a->bad_fragment, b->bad_fragment));
	CU_ASSERT_EQUAL_FATAL(a->naddrs, b->naddrs);
	for (size_t i = 0; i < a->naddrs; i++) {
		CU_ASSERT(streq(a->addrs[i].raw, b->addrs[i].raw));
		CU_ASSERT_EQUAL(a->addrs[i].ok, b->addrs[i].ok);
		if (a->addrs[i].ok && b->addrs[i].ok)
			addr_eq(&a->addrs[i].addr, &b->addrs[i].addr);
	}
	CU_ASSERT_EQUAL_FATAL(a->nresults, b->nresults);
	for (size_t i = 0; i < a->nresults; i++) {
		const struct pap_result *x = &a->results[i], *y = &b->results[i];
		CU_ASSERT_EQUAL(x->code, y->code);
		CU_ASSERT(streq(x->desc, y->desc));
		CU_ASSERT_EQUAL(x->state, y->state);
		CU_ASSERT_EQUAL(x->event_time, y->event_time);
		CU_ASSERT_EQUAL_FATAL(x->naddrs, y->naddrs);
		for (size_t j = 0; j < x->naddrs; j++)
			CU_ASSERT(streq(x->addrs[j], y->addrs[j]));
	}
	CU_ASSERT_EQUAL_FATAL(a->nnotes, b->nnotes);
	for (size_t i = 0; i < a->nnotes; i++) {
		CU_ASSERT(streq(a->notes[i].stage, b->notes[i].stage));
		CU_ASSERT(streq(a->notes[i].note, b->notes[i].note));
		CU_ASSERT_EQUAL(a->notes[i].time, b->notes[i].time);
	}
}

/* Encodes m, decodes the result, compares, and checks that re-encoding the
 * decoded message gives the same bytes. Returns the encoding (caller frees). */
static char *roundtrip(const struct pap_msg *m)
{
	size_t len = 0, len2 = 0;
	char *x = pap_msg_encode(m, &len);
	struct pap_msg *d;

	CU_ASSERT_PTR_NOT_NULL(x);
	if (!x)
		return NULL;
	CU_ASSERT_EQUAL(len, strlen(x));
	CU_ASSERT(!strncmp(x, "<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"", 44));
	if ((d = decode_ok(x, len))) {
		msg_eq(m, d);
		char *y = pap_msg_encode(d, &len2);
		CU_ASSERT_PTR_NOT_NULL(y);
		CU_ASSERT(y && len2 == len && !memcmp(x, y, len));
		free(y);
		pap_msg_free(d);
	}
	return x;
}

/* Fills addrs[i] from raw address-values the way the decoder would. */
static void mk_addrs(struct pap_msg_addr *addrs, const char *const *raw, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		memset(&addrs[i], 0, sizeof addrs[i]);
		addrs[i].raw = (char *)raw[i];
		addrs[i].ok = pap_addr_decode(raw[i], &addrs[i].addr, &addrs[i].reason) == 0;
	}
}

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
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "time", test_time },
		{ "codes and states", test_codes_states },
		{ "address table", test_addr_table },
		{ "address misc", test_addr_misc },
		{ "mime params", test_mime_param },
		{ "mime edges", test_mime_edges },
		{ "vectors blackberry-jde", test_vec_blackberry },
		{ "vectors kannel test_ppg", test_vec_kannel },
		{ "vectors npm blackberry-push", test_vec_npm },
		{ "vectors nested multipart", test_vec_nested },
		{ "vectors inventory", test_vec_inventory },
		{ "vectors responses", test_vec_responses },
		{ "round trip requests", test_roundtrip_requests },
		{ "round trip responses", test_roundtrip_responses },
		{ "ccq address", test_ccq_address },
		{ "encode invalid", test_encode_invalid },
		{ "versions", test_versions },
		{ "bad documents", test_bad_documents },
		{ "tolerated documents", test_tolerated },
		{ "hostile documents", test_hostile },
		{ "limits", test_limits },
		{ "robustness", test_robustness },
		{ "UAProf capabilities entity", test_uaprof },
	};

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("pap", NULL, NULL);
	if (!s)
		return 1;
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
		if (!CU_add_test(s, tests[i].name, tests[i].fn))
			return 1;
	return tu_run();
}
