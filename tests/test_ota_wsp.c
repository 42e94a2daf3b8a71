/*
 * test_ota_wsp.c - CUnit tests of the Push OTA codec (otabearer/): uintvar, OMNA
 * application ids and the SIP Push event-app-id, WSP push PDUs (round trips
 * over content types, app id forms and headers, malformed PDUs).
 * Shared helpers: tests/ota_test_common.c (split from test_ota.c).
 */
#include "tests/ota_test_common.h"

/* ------------------------------------------------------------ uintvar */

static void test_uintvar(void)
{
	static const struct {
		uint32_t v;
		const char *hex;
	} t[] = {
		{ 0, "00" }, { 127, "7f" }, { 128, "8100" }, { 16383, "ff7f" },
		{ 16384, "818000" }, { 2097151, "ffff7f" }, { 2097152, "81808000" },
		{ 268435455, "ffffff7f" }, { 268435456, "8180808000" },
		{ UINT32_MAX, "8fffffff7f" },
	};
	uint8_t u[8], w[8];
	uint32_t v;
	size_t used;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		size_t n = ota_uintvar_put(u, t[i].v), m = unhex(t[i].hex, w, sizeof w);
		CU_ASSERT(same(u, n, w, m));
		CU_ASSERT_EQUAL(ota_uintvar_get(w, m, &v, &used), 0);
		CU_ASSERT_EQUAL(v, t[i].v);
		CU_ASSERT_EQUAL(used, m);
		CU_ASSERT_EQUAL(ota_uintvar_get(w, m - 1, &v, &used), -EINVAL);    /* truncated */
	}
	/* above 32 bits in 5 octets, 6 octets, nothing */
	CU_ASSERT_EQUAL(ota_uintvar_get(w, unhex("9080808000", w, 8), &v, &used), -EINVAL);
	CU_ASSERT_EQUAL(ota_uintvar_get(w, unhex("ffffffff7f", w, 8), &v, &used), -EINVAL);
	CU_ASSERT_EQUAL(ota_uintvar_get(w, unhex("808080808001", w, 8), &v, &used), -EINVAL);
	CU_ASSERT_EQUAL(ota_uintvar_get(w, 0, &v, &used), -EINVAL);
	/* a leading 0x80 is tolerated (value 1 in two octets) */
	CU_ASSERT_EQUAL(ota_uintvar_get(w, unhex("8001", w, 8), &v, &used), 0);
	CU_ASSERT_EQUAL(v, 1);
}

/* ------------------------------------------------------- application ids */

static void test_appid_table(void)
{
	size_t len, rows = 0;
	char *csv = vec("spec/omna_push_app_ids.csv", &len);
	struct ota_appid_ref r;

	/* Every CSV row is in the compiled table, both ways. */
	for (char *line = csv ? strchr(csv, '\n') : NULL; line && line[1]; line = strchr(line + 1, '\n')) {
		char urn[128];
		unsigned code;
		if (sscanf(line + 1, "%127[^,],%x", urn, &code) != 2)
			continue;
		rows++;
		const struct ota_appid *a = ota_appid_by_urn(urn);
		CU_ASSERT_PTR_NOT_NULL(a);
		if (a)
			CU_ASSERT_EQUAL(a->code, code);
		a = ota_appid_by_code(code);
		CU_ASSERT(a && streq(a->urn, urn));
	}
	CU_ASSERT_EQUAL(rows, 109);
	free(csv);

	CU_ASSERT_EQUAL(ota_appid_parse("X-WAP-Application:MMS.UA", &r, NULL), 0);
	CU_ASSERT(r.has_code && r.known && r.code == 4);
	CU_ASSERT(streq(r.urn, "x-wap-application:mms.ua"));
	CU_ASSERT_EQUAL(ota_appid_parse("mms.ua", &r, NULL), 0);
	CU_ASSERT(r.code == 4 && streq(r.urn, "x-wap-application:mms.ua"));
	CU_ASSERT_EQUAL(ota_appid_parse("ulp.ua", &r, NULL), 0);    /* x-oma-application: */
	CU_ASSERT(r.code == 0x10 && streq(r.urn, "x-oma-application:ulp.ua"));
	CU_ASSERT_EQUAL(ota_appid_parse("4", &r, NULL), 0);
	CU_ASSERT(r.code == 4 && r.known);
	CU_ASSERT_EQUAL(ota_appid_parse("0x04", &r, NULL), 0);
	CU_ASSERT(r.code == 4 && streq(r.urn, "x-wap-application:mms.ua"));
	CU_ASSERT_EQUAL(ota_appid_parse("0x9002", &r, NULL), 0);
	CU_ASSERT(r.code == 0x9002 && streq(r.urn, "x-oma-nokia:call.ua"));
	CU_ASSERT_EQUAL(ota_appid_parse("0x7777", &r, NULL), 0);    /* number, no URN */
	CU_ASSERT(r.has_code && !r.known && r.code == 0x7777 && !r.urn);
	CU_ASSERT_EQUAL(ota_appid_parse("x-example:foo.ua", &r, NULL), 0);
	CU_ASSERT(!r.has_code && !r.known && streq(r.urn, "x-example:foo.ua"));
	CU_ASSERT_EQUAL(ota_appid_parse("*", &r, NULL), 0);
	CU_ASSERT(r.code == 0);
	CU_ASSERT_EQUAL(ota_appid_parse("foo.ua", &r, NULL), -ENOENT);
	CU_ASSERT_EQUAL(ota_appid_parse("", &r, NULL), -EINVAL);
	CU_ASSERT_EQUAL(ota_appid_parse(NULL, &r, NULL), -EINVAL);
	CU_ASSERT_EQUAL(ota_appid_parse("x-a:b c", &r, NULL), -EINVAL);
	CU_ASSERT_EQUAL(ota_appid_parse("0x100000000", &r, NULL), -EINVAL);
	CU_ASSERT_EQUAL(ota_appid_parse("4294967296", &r, NULL), -EINVAL);
	CU_ASSERT_EQUAL(ota_appid_parse("4294967295", &r, NULL), 0);
}

static void test_pusheventapp(void)
{
	static const struct {
		const char *in, *out;
		int rc;
	} t[] = {
		/* the OMA-CD-PUSH CR on ARI §9.6: "x-wap-application:mms.ua" -> "mms.ua" */
		{ "x-wap-application:mms.ua", "mms.ua", 0 },
		{ "mms.ua", "mms.ua", 0 },
		{ "4", "mms.ua", 0 },
		{ "x-wap-application:push.syncml", "push.syncml", 0 },
		{ "x-oma-application:ulp.ua", "ulp.ua", 0 },
		{ "x-oma-application:cpm:ua", "cpm:ua", 0 },
		{ "x-wap-application:*", "*", 0 },
		/* other registered applications keep the full URN */
		{ "x-wap-microsoft:localcontent.ua", "x-wap-microsoft:localcontent.ua", 0 },
		{ "0x9002", "x-oma-nokia:call.ua", 0 },
		{ "urn:dvb:ipdc:notification:2008", "urn:dvb:ipdc:notification:2008", 0 },
		/* unknown URNs are kept as given */
		{ "x-example:foo.ua", "x-example:foo.ua", 0 },
		{ "x-wap-application:unregistered.ua", "x-wap-application:unregistered.ua", 0 },
		{ "x-example:a,b", NULL, -EINVAL },
		{ "x-example:\"q\"", NULL, -EINVAL },
		{ "x-example:a b", NULL, -EINVAL },
		{ "0x7777", NULL, -ENOENT },
		{ "nosuch.ua", NULL, -ENOENT },
	};
	char out[128];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int rc = ota_appid_pusheventapp(t[i].in, out, sizeof out, NULL);
		CU_ASSERT_EQUAL(rc, t[i].rc);
		if (!rc) {
			CU_ASSERT(streq(out, t[i].out));
			CU_ASSERT(ota_appid_event_app_id_ok(out));
		}
	}
	CU_ASSERT_EQUAL(ota_appid_pusheventapp("mms.ua", out, 6, NULL), -ENOSPC);
	CU_ASSERT_EQUAL(ota_appid_pusheventapp("mms.ua", out, 7, NULL), 0);
	/* every table entry maps to a value inside the ABNF */
	for (uint32_t c = 0; c < 0x10000; c++) {
		const struct ota_appid *a = ota_appid_by_code(c);
		if (!a)
			continue;
		CU_ASSERT_EQUAL(ota_appid_pusheventapp(a->urn, out, sizeof out, NULL), 0);
		CU_ASSERT(ota_appid_event_app_id_ok(out));
	}
	/* event-app-id = 1*(%x21 / %x23-2B / %x2D-7E) */
	CU_ASSERT(ota_appid_event_app_id_ok("!#+-~"));
	CU_ASSERT(!ota_appid_event_app_id_ok(""));
	CU_ASSERT(!ota_appid_event_app_id_ok("a\"b"));
	CU_ASSERT(!ota_appid_event_app_id_ok("a,b"));
	CU_ASSERT(!ota_appid_event_app_id_ok("a b"));
	CU_ASSERT(!ota_appid_event_app_id_ok("a\x7f"));
	CU_ASSERT(!ota_appid_event_app_id_ok("\xc3\xa9"));
}

/* ------------------------------------------------------------- WSP */

static void test_wsp_content_types(void)
{
	static const struct {
		const char *in, *hex, *decoded;
	} t[] = {
		{ "text/html", "82", "text/html" },
		{ "text/plain", "83", "text/plain" },
		{ "text/vnd.wap.wml", "88", "text/vnd.wap.wml" },
		{ "application/vnd.wap.wmlc", "94", "application/vnd.wap.wmlc" },
		{ "application/vnd.wap.multipart.related", "b3", "application/vnd.wap.multipart.related" },
		{ "text/vnd.wap.si", "ad", "text/vnd.wap.si" },
		{ "application/vnd.wap.sic", "ae", "application/vnd.wap.sic" },
		{ "text/vnd.wap.sl", "af", "text/vnd.wap.sl" },
		{ "application/vnd.wap.slc", "b0", "application/vnd.wap.slc" },
		{ "application/vnd.wap.coc", "b2", "application/vnd.wap.coc" },
		{ "application/vnd.wap.sia", "b4", "application/vnd.wap.sia" },
		{ "application/vnd.wap.mms-message", "be", "application/vnd.wap.mms-message" },
		{ "application/vnd.syncml.notification", "c4", "application/vnd.syncml.notification" },
		{ "TEXT/HTML", "82", "text/html" },
		{ "application/x-foo", "6170706c69636174696f6e2f782d666f6f00", "application/x-foo" },
		{ "text/plain; charset=utf-8", "038381ea", "text/plain; charset=utf-8" },
		{ "text/plain;charset=ISO-8859-1", "03838184", "text/plain; charset=iso-8859-1" },
		{ "text/plain; charset=big5", "0583810207ea", "text/plain; charset=big5" },
		{ "text/plain; charset=\"utf-8\"", "038381ea", "text/plain; charset=utf-8" },
		{ "application/x-foo; charset=utf-8",
		  "146170706c69636174696f6e2f782d666f6f0081ea", "application/x-foo; charset=utf-8" },
		{ "application/vnd.wap.multipart.related; type=application/vnd.wap.wmlc; start=\"<a@b>\"",
		  "10b3899473746172740022" "3c6140623e" "00",
		  "application/vnd.wap.multipart.related; type=application/vnd.wap.wmlc; start=\"<a@b>\"" },
		{ "text/plain; level=1", "09836c6576656c003100", "text/plain; level=1" },
		/* general form longer than 30 octets: Value-length 31 + uintvar */
		{ "application/x-a-rather-long-media-type; charset=utf-8",
		  "1f296170706c69636174696f6e2f782d612d7261746865722d6c6f6e672d6d656469612d747970650081ea",
		  "application/x-a-rather-long-media-type; charset=utf-8" },
	};
	static const char *const bad[] = {
		"text", "/plain", "text/", "text/plain; charset", "text/plain; =x", "text/plain junk",
		"text/plain; a=\"unterminated", "a/b/c", "text/plain; a=\x01", NULL,
	};
	uint8_t out[256], w[256];
	int rc;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct ota_push p = push0(t[i].in), d;
		static const uint8_t body[] = "x";
		p.body = body;
		p.body_len = 1;
		size_t n = enc(&p, out, sizeof out, &rc), m = unhex(t[i].hex, w, sizeof w);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		/* TID 06 HeadersLen(1 octet here) Content-Type body */
		CU_ASSERT_EQUAL(out[2], m);
		CU_ASSERT(same(out + 3, n - 4, w, m));
		CU_ASSERT_EQUAL(ota_push_decode(out, n, &d, NULL), 0);
		CU_ASSERT(streq(d.content_type, t[i].decoded));
		CU_ASSERT_EQUAL(d.body_len, 1);
		/* the decoded string encodes to the same bytes */
		uint8_t again[256];
		size_t k = reenc(&d, again, sizeof again);
		CU_ASSERT(same(again, k, out, n));
		ota_push_release(&d);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ota_push p = push0(bad[i]);
		enc(&p, out, sizeof out, &rc);
		CU_ASSERT_EQUAL(rc, -EINVAL);
	}
	CU_ASSERT_EQUAL(ota_wsp_content_type_code("application/vnd.wap.wmlc"), 0x14);
	CU_ASSERT_EQUAL(ota_wsp_content_type_code("application/x-nothing"), -1);
	CU_ASSERT(streq(ota_wsp_content_type_name(0x33), "application/vnd.wap.multipart.related"));
	CU_ASSERT_PTR_NULL(ota_wsp_content_type_name(0x7f));
}

static void test_wsp_appids(void)
{
	static const struct {
		const char *in;
		bool omit;
		const char *hex;    /* the header after Content-Type, "" none */
		const char *decoded;
		int64_t code;
	} t[] = {
		{ NULL, false, "", NULL, -1 },
		{ "x-wap-application:mms.ua", false, "af84", "x-wap-application:mms.ua", 4 },
		{ "X-WAP-APPLICATION:MMS.UA", false, "af84", "x-wap-application:mms.ua", 4 },
		{ "mms.ua", false, "af84", "x-wap-application:mms.ua", 4 },
		{ "4", false, "af84", "x-wap-application:mms.ua", 4 },
		{ "0x04", false, "af84", "x-wap-application:mms.ua", 4 },
		{ "x-wap-application:push.sia", false, "af81", "x-wap-application:push.sia", 1 },
		{ "*", false, "af80", "x-wap-application:*", 0 },
		/* Kannel 1.4.5 sends AF 80 ("any") for this one: a bug */
		{ "x-oma-application:ulp.ua", false, "af90", "x-oma-application:ulp.ua", 0x10 },
		{ "16", false, "af90", "x-oma-application:ulp.ua", 0x10 },
		{ "x-wap-microsoft:localcontent.ua", false, "af028000", "x-wap-microsoft:localcontent.ua", 0x8000 },
		{ "0x9002", false, "af029002", "x-oma-nokia:call.ua", 0x9002 },
		{ "0x12345", false, "af03012345", "0x12345", 0x12345 },
		/* unknown URN: a Text-string, never AF 80 */
		{ "x-example:foo.ua", false, "af782d6578616d706c653a666f6f2e756100", "x-example:foo.ua", -1 },
		{ "x-wap-application:wml.ua", false, "af82", "x-wap-application:wml.ua", 2 },
		{ "x-wap-application:wml.ua", true, "", NULL, -1 },
		{ "wml.ua", true, "", NULL, -1 },
		{ "2", true, "", NULL, -1 },
		{ "mms.ua", true, "af84", "x-wap-application:mms.ua", 4 },
	};
	uint8_t out[256], w[64];
	int rc;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct ota_push p = push0("application/vnd.wap.sic"), d;
		p.app_id = t[i].in;
		p.omit_wml_ua = t[i].omit;
		p.tid = (uint8_t)i;
		size_t n = enc(&p, out, sizeof out, &rc), m = unhex(t[i].hex, w, sizeof w);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT_EQUAL(out[0], i);
		CU_ASSERT_EQUAL(out[1], 0x06);
		CU_ASSERT_EQUAL(out[2], 1 + m);
		CU_ASSERT_EQUAL(out[3], 0xae);
		CU_ASSERT(same(out + 4, n - 4, w, m));
		CU_ASSERT_EQUAL(ota_push_decode(out, n, &d, NULL), 0);
		CU_ASSERT(streq(d.app_id, t[i].decoded));
		CU_ASSERT_EQUAL(d.app_id_code, t[i].code);
		ota_push_release(&d);
	}
	static const struct {
		const char *in;
		int rc;
	} bad[] = { { "foo.ua", -ENOENT }, { "", -EINVAL }, { "a b:c", -EINVAL },
		{ "0x100000000", -EINVAL } };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ota_push p = push0("text/plain");
		p.app_id = bad[i].in;
		enc(&p, out, sizeof out, &rc);
		CU_ASSERT_EQUAL(rc, bad[i].rc);
	}
}

static void test_wsp_headers(void)
{
	uint8_t out[MAXPDU], w[64], body[70000];
	char uri[300];
	struct ota_push p, d;
	int rc;
	size_t n, m;

	memset(body, 'b', sizeof body);
	/* Content-Length: short, long integer boundaries */
	static const struct {
		size_t len;
		const char *hex;
	} cl[] = { { 0, "8d80" }, { 127, "8dff" }, { 128, "8d0180" }, { 266, "8d02010a" },
		{ 65535, "8d02ffff" }, { 65536, "8d03010000" } };
	for (size_t i = 0; i < sizeof cl / sizeof cl[0]; i++) {
		static uint8_t big[70100];
		p = push0("application/vnd.wap.slc");
		p.content_length = true;
		p.body = body;
		p.body_len = cl[i].len;
		struct ota_buf b;
		ota_buf_init(&b, big, sizeof big);
		CU_ASSERT_EQUAL(ota_push_encode(&b, &p, NULL), 0);
		m = unhex(cl[i].hex, w, sizeof w);
		CU_ASSERT(same(big + 4, m, w, m) && !memcmp(big + 4, w, m));
		CU_ASSERT_EQUAL(ota_push_decode(big, b.len, &d, NULL), 0);
		CU_ASSERT(d.content_length && d.content_length_value == cl[i].len);
		CU_ASSERT_EQUAL(d.body_len, cl[i].len);
		ota_push_release(&d);
	}
	/* all push headers, in order: initiator, app id, push flag, length, version */
	p = push0("application/vnd.wap.sic");
	p.tid = 0x42;
	p.initiator_uri = "http://pi.example.com/";
	p.app_id = "x-wap-application:emn.ua";
	p.push_flag = OTA_PUSH_FLAG_AUTHENTICATED | OTA_PUSH_FLAG_TRUSTED;
	p.content_length = true;
	p.encoding_version = 0x13;
	p.body = (const uint8_t *)"\x02\x05\x6a\x00";
	p.body_len = 4;
	n = enc(&p, out, sizeof out, &rc);
	m = unhex("4206" "21" "ae" "b1687474703a2f2f70692e6578616d706c652e636f6d2f00" "af89" "b483"
	    "8d84" "c393" "02056a00", w, sizeof w);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(same(out, n, w, m));
	CU_ASSERT_EQUAL(ota_push_decode(out, n, &d, NULL), 0);
	CU_ASSERT(d.tid == 0x42 && d.push_flag == 3 && d.encoding_version == 0x13);
	CU_ASSERT(streq(d.initiator_uri, "http://pi.example.com/"));
	CU_ASSERT(streq(d.app_id, "x-wap-application:emn.ua"));
	CU_ASSERT_EQUAL(d.other_headers, 0);
	ota_push_release(&d);

	/* HeadersLen 127 / 128: one and two uintvar octets */
	for (size_t hl = 120; hl <= 135; hl++) {
		/* ae + b1 + uri + 00 = hl */
		size_t ul = hl - 3;
		memset(uri, 'u', ul);
		memcpy(uri, "http://", 7);
		uri[ul] = '\0';
		p = push0("application/vnd.wap.sic");
		p.initiator_uri = uri;
		n = enc(&p, out, sizeof out, &rc);
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_EQUAL(n, 2 + (hl < 128 ? 1 : 2) + hl);
		CU_ASSERT_EQUAL(ota_push_decode(out, n, &d, NULL), 0);
		CU_ASSERT(streq(d.initiator_uri, uri));
		CU_ASSERT_EQUAL(d.body_len, 0);
		ota_push_release(&d);
	}

	/* sizing with an empty cursor, then a buffer one octet short */
	p = push0("text/plain");
	p.body = body;
	p.body_len = 10;
	struct ota_buf b;
	ota_buf_init(&b, NULL, 0);
	CU_ASSERT_EQUAL(ota_push_encode(&b, &p, NULL), -ENOSPC);
	CU_ASSERT_EQUAL(b.len, 14);
	ota_buf_init(&b, out, 13);
	CU_ASSERT_EQUAL(ota_push_encode(&b, &p, NULL), -ENOSPC);
	ota_buf_init(&b, out, 14);
	CU_ASSERT_EQUAL(ota_push_encode(&b, &p, NULL), 0);

	/* invalid fields */
	const char *why = NULL;
	p = push0("text/plain");
	p.push_flag = 128;
	ota_buf_init(&b, out, sizeof out);
	CU_ASSERT_EQUAL(ota_push_encode(&b, &p, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(why);
	p = push0("text/plain");
	p.encoding_version = 0x80;
	enc(&p, out, sizeof out, &rc);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	p = push0("text/plain");
	p.initiator_uri = "http://a b/";
	enc(&p, out, sizeof out, &rc);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	p = push0("text/plain");
	p.initiator_uri = "";
	enc(&p, out, sizeof out, &rc);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	p = push0("text/plain");
	p.body_len = 3;    /* without a body pointer */
	enc(&p, out, sizeof out, &rc);
	CU_ASSERT_EQUAL(rc, -EINVAL);
}

static void test_wsp_decode_bad(void)
{
	static const char *const bad[] = {
		"",                       /* empty */
		"0006",                   /* no HeadersLen */
		"000705ae8dc6c393",       /* ConfirmedPush: not connectionless */
		"00068fffffff7f",         /* HeadersLen above 32 bits */
		"0006808080808001",       /* HeadersLen uintvar of 6 octets */
		"000680",                 /* HeadersLen truncated */
		"000606ae8d",             /* HeadersLen past the end */
		"000600",                 /* no Content-Type */
		"0006036170",             /* text content type without NUL */
		"0006021f05",             /* general form: length past HeadersLen */
		"0006020583",             /* general form: length 5 past the end */
		"000603ae8d05",           /* Content-Length long integer past the end */
		"000607ae8d050102030405", /* Content-Length of 5 octets (> 32 bits) */
		"000604aeaf0500",         /* App-Id long integer past the end */
		"000608aeaf0501020304",   /* App-Id long integer of 5 octets */
		"000605aeaf84af84",       /* duplicate X-Wap-Application-Id */
		"000603aeb10a",           /* Initiator-URI is not text */
		"000603aeb4",             /* Push-Flag value missing */
		"000603aeb403",           /* Push-Flag is not a short integer */
		"000603aeb461",           /* Push-Flag text without NUL */
		"000602ae00",             /* NUL where a field name belongs */
		"000603ae6162",           /* application header truncated */
		"000605ae61620063",       /* application header value without NUL */
		"000602ae7f",             /* shift delimiter without page */
		"000603ae9f1f",           /* field value: uintvar length missing */
		"000604ae8d1f05",         /* field value: length past the end */
		"00060403838293",         /* typed parameter Level: fine WSP, unsupported */
		"000603028381",           /* charset parameter value missing */
		"000601ff",               /* unknown well-known content type 0x7f */
	};
	uint8_t w[64];
	struct ota_push d;
	const char *why;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = unhex(bad[i], w, sizeof w);
		why = NULL;
		int rc = ota_push_decode(w, n, &d, &why);
		if (rc == 0)
			fprintf(stderr, "\n  accepted %s\n", bad[i]);
		CU_ASSERT(rc == -EINVAL || rc == -ENOTSUP);
		CU_ASSERT_PTR_NOT_NULL(why);
		CU_ASSERT_PTR_NULL(d.content_type);
		CU_ASSERT_PTR_NULL(d.owned_);
	}
	/* tolerated: other headers, code page shifts, text Encoding-Version */
	size_t n = unhex("0006" "11" "ae" "a9616200" "8080" "02" "af84" "7f01" "c3312e3300" "ff", w, sizeof w);
	CU_ASSERT_EQUAL(ota_push_decode(w, n, &d, &why), 0);
	CU_ASSERT_EQUAL(d.other_headers, 4);    /* User-Agent, Accept, AF on page 2, text version */
	CU_ASSERT_EQUAL(d.app_id_code, -1);     /* AF 84 on page 2 is not ours */
	CU_ASSERT_EQUAL(d.body_len, 1);
	ota_push_release(&d);
	ota_push_release(NULL);
}

/* ============================================================ main */

int main(void)
{
	static const struct tu_test tests[] = {
		{ "uintvar", test_uintvar },
		{ "app id table", test_appid_table },
		{ "pusheventapp", test_pusheventapp },
		{ "wsp content types", test_wsp_content_types },
		{ "wsp app ids", test_wsp_appids },
		{ "wsp headers", test_wsp_headers },
		{ "wsp malformed", test_wsp_decode_bad },
	};
	return tu_run_suite("ota", tests, sizeof tests / sizeof tests[0]);
}
