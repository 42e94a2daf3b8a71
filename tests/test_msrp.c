/*
 * test_msrp.c - the MSRP codec (sipbearer/sipb_msrp.c; RFC 4975 §7, §9):
 * the RFC's examples (tests/vectors/msrp/) decoded and, where the writer can
 * produce the same bytes, encoded again byte for byte; the writers' choices
 * (transaction ids whose end-line is not in the body, chunks, REPORTs,
 * responses); every proper prefix of a vector needs more bytes; every
 * truncation and single-byte mutation of every vector either parses or
 * fails with a reason (run under ASan in the sanitizer build).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "sipbearer/sipb_msrp.h"
#include "tests/test_util.h"

static const char *const vectors[] = {
	"msrp/rfc4975_s4_send.msrp",
	"msrp/rfc4975_s4_200.msrp",
	"msrp/rfc4975_s5_1_chunk1.msrp",
	"msrp/rfc4975_s5_1_chunk2.msrp",
	"msrp/rfc4975_s5_1_chunk1_abridged.msrp",
	"msrp/rfc4975_s5_1_chunk2_abridged.msrp",
	"msrp/rfc4975_s7_1_2_report.msrp",
};
#define NVEC (sizeof vectors / sizeof vectors[0])

static char *vec(const char *rel, size_t *len)
{
	char *b = tu_read_file(tu_vector(rel), len);
	if (!b)
		fprintf(stderr, "cannot read %s\n", tu_vector(rel));
	return b;
}

static int str_is(struct sipb_msrp_str s, const char *want)
{
	return s.p && s.n == strlen(want) && !memcmp(s.p, want, s.n);
}

#define ASSERT_STR(s, want) do { \
	if (!str_is((s), (want))) \
		fprintf(stderr, "\n  %s = \"%.*s\", expected \"%s\"\n", #s, (int)(s).n, (s).p ? (s).p : "", want); \
	CU_ASSERT(str_is((s), (want))); \
} while (0)

/* §4: Alice's SEND and Bob's 200 */
static void test_rfc_send_200(void)
{
	size_t len;
	struct sipb_msrp_msg m;
	char *b = vec("msrp/rfc4975_s4_send.msrp", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(sipb_msrp_parse(b, len, 0, &m), (ssize_t)len);
	CU_ASSERT_FALSE(m.is_response);
	CU_ASSERT_EQUAL(m.method_id, MSRP_SEND);
	ASSERT_STR(m.method, "SEND");
	ASSERT_STR(m.tid, "a786hjs2");
	ASSERT_STR(m.to_path, "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp");
	ASSERT_STR(m.from_path, "msrp://atlanta.example.com:7654/jshA7weztas;tcp");
	ASSERT_STR(m.message_id, "87652491");
	CU_ASSERT(m.has_byte_range && m.range_start == 1 && m.range_end == 25 && m.range_total == 25);
	ASSERT_STR(m.content_type, "text/plain");
	CU_ASSERT(m.body_len == 23 && !memcmp(m.body, "Hey Bob, are you there?", 23));
	CU_ASSERT_EQUAL(m.flag, '$');
	CU_ASSERT_EQUAL(m.success_report, MSRP_REP_ABSENT);
	/* The writer computes the Byte-Range from the chunk: 1-23/23, not the
	 * RFC's 1-25/25; everything else is the same bytes. */
	char out[1024];
	struct sipb_msrp_send s = { .tid = "a786hjs2",
		.to_path = "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp",
		.from_path = "msrp://atlanta.example.com:7654/jshA7weztas;tcp", .message_id = "87652491",
		.start = 1, .total = 23, .content_type = "text/plain", .data = "Hey Bob, are you there?",
		.len = 23, .flag = '$' };
	ssize_t n = sipb_msrp_write_send(out, sizeof out, &s, NULL, NULL);
	char *want = malloc(len + 1);
	memcpy(want, b, len);
	char *br = strstr(want, "1-25/25");
	CU_ASSERT_PTR_NOT_NULL_FATAL(br);
	memcpy(br, "1-23/23", 7);
	CU_ASSERT_EQUAL(n, (ssize_t)len);
	CU_ASSERT(n == (ssize_t)len && !memcmp(out, want, len));
	free(want);
	free(b);

	b = vec("msrp/rfc4975_s4_200.msrp", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(sipb_msrp_parse(b, len, 0, &m), (ssize_t)len);
	CU_ASSERT_TRUE(m.is_response);
	CU_ASSERT_EQUAL(m.status, 200);
	ASSERT_STR(m.comment, "OK");
	ASSERT_STR(m.tid, "a786hjs2");
	CU_ASSERT_PTR_NULL(m.body);
	n = sipb_msrp_write_response(out, sizeof out, "a786hjs2", 200, NULL,
	    "msrp://atlanta.example.com:7654/jshA7weztas;tcp", "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp");
	CU_ASSERT(n == (ssize_t)len && !memcmp(out, b, len));
	free(b);
}

/* §5.1: the chunks (with paths) decode and encode byte for byte; as printed
 * (no paths) they are refused with a reason. Two chunks in one buffer:
 * the parser takes them one after the other. */
static void test_rfc_chunks(void)
{
	size_t l1, l2, la;
	struct sipb_msrp_msg m;
	char out[1024];
	char *c1 = vec("msrp/rfc4975_s5_1_chunk1.msrp", &l1), *c2 = vec("msrp/rfc4975_s5_1_chunk2.msrp", &l2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c2);
	char *both = malloc(l1 + l2);
	memcpy(both, c1, l1);
	memcpy(both + l1, c2, l2);
	CU_ASSERT_EQUAL(sipb_msrp_parse(both, l1 + l2, 0, &m), (ssize_t)l1);
	CU_ASSERT(m.range_start == 1 && m.range_end == MSRP_STAR && m.range_total == 8);
	CU_ASSERT_EQUAL(m.flag, '+');
	CU_ASSERT(m.body_len == 4 && !memcmp(m.body, "abcd", 4));
	struct sipb_msrp_send s = { .tid = "dkei38sd",
		.to_path = "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp",
		.from_path = "msrp://atlanta.example.com:7654/jshA7weztas;tcp", .message_id = "4564dpWd",
		.start = 1, .end_unknown = 1, .total = 8, .content_type = "text/plain", .data = "abcd",
		.len = 4, .flag = '+' };
	ssize_t n = sipb_msrp_write_send(out, sizeof out, &s, NULL, NULL);
	CU_ASSERT(n == (ssize_t)l1 && !memcmp(out, c1, l1));

	CU_ASSERT_EQUAL(sipb_msrp_parse(both + l1, l2, 0, &m), (ssize_t)l2);
	ASSERT_STR(m.tid, "dkei38ia");
	CU_ASSERT(m.range_start == 5 && m.range_end == 8 && m.range_total == 8);
	CU_ASSERT_EQUAL(m.flag, '$');
	s.tid = "dkei38ia";
	s.start = 5;
	s.end_unknown = 0;
	s.data = "EFGH";
	s.flag = '$';
	n = sipb_msrp_write_send(out, sizeof out, &s, NULL, NULL);
	CU_ASSERT(n == (ssize_t)l2 && !memcmp(out, c2, l2));
	free(both);
	free(c1);
	free(c2);

	char *a = vec("msrp/rfc4975_s5_1_chunk1_abridged.msrp", &la);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(sipb_msrp_parse(a, la, 0, &m), -EBADMSG);
	CU_ASSERT(m.error && strstr(m.error, "To-Path"));
	free(a);
}

/* §7.1.2: the REPORT, byte for byte both ways. */
static void test_rfc_report(void)
{
	size_t len;
	struct sipb_msrp_msg m;
	char out[1024];
	char *b = vec("msrp/rfc4975_s7_1_2_report.msrp", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(sipb_msrp_parse(b, len, 0, &m), (ssize_t)len);
	CU_ASSERT_EQUAL(m.method_id, MSRP_REPORT);
	CU_ASSERT(m.has_status && m.status_ns == 0 && m.status_code == 200);
	ASSERT_STR(m.status_comment, "OK");
	ASSERT_STR(m.message_id, "12339sdqwer");
	CU_ASSERT(m.range_start == 1 && m.range_end == 106 && m.range_total == 106);
	CU_ASSERT_PTR_NULL(m.body);
	struct sipb_msrp_report_req r = { .tid = "dkei38sd",
		.to_path = "msrp://alicepc.example.com:7777/iau39soe2843z;tcp",
		.from_path = "msrp://bob.example.com:8888/9di4eae923wzd;tcp", .message_id = "12339sdqwer",
		.start = 1, .end = 106, .total = 106, .status = 200 };
	ssize_t n = sipb_msrp_write_report(out, sizeof out, &r, NULL, NULL);
	CU_ASSERT(n == (ssize_t)len && !memcmp(out, b, len));
	free(b);
}

/* The writer picks a transaction id whose end-line is not in the body; a
 * caller's id that is in it is refused; responses of every status. */
static void test_writer(void)
{
	struct sipb_msrp_rng rng = { 42 };
	char out[4096], tid[MSRP_TID_MAX + 1], tid2[MSRP_TID_MAX + 1];
	struct sipb_msrp_msg m;
	char body[600];

	/* what the writer would choose with this seed, put into the body */
	struct sipb_msrp_rng probe = rng;
	CU_ASSERT_EQUAL(sipb_msrp_tid_choose(&probe, "", 0, tid), 0);
	snprintf(body, sizeof body, "line\r\n-------%s$\r\nmore -------%s+ and -------%s#", tid, tid, tid);
	struct sipb_msrp_send s = { .to_path = "msrp://a.example:1/x;tcp", .from_path = "msrp://b.example:2/y;tcp",
		.message_id = "mid-0001", .start = 1, .total = strlen(body), .success_report = MSRP_REP_YES,
		.failure_report = MSRP_REP_YES, .content_type = "text/plain", .data = body,
		.len = strlen(body), .flag = '$' };
	ssize_t n = sipb_msrp_write_send(out, sizeof out, &s, &rng, tid2);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT(strcmp(tid, tid2) != 0);   /* the first choice collided */
	CU_ASSERT_EQUAL(sipb_msrp_parse(out, (size_t)n, 0, &m), n);
	CU_ASSERT(m.body_len == strlen(body) && !memcmp(m.body, body, m.body_len));
	ASSERT_STR(m.tid, tid2);
	CU_ASSERT_EQUAL(m.success_report, MSRP_REP_YES);
	CU_ASSERT_EQUAL(m.failure_report, MSRP_REP_YES);
	/* the caller's id whose boundary is in the body: refused */
	s.tid = tid;
	CU_ASSERT_EQUAL(sipb_msrp_write_send(out, sizeof out, &s, NULL, NULL), -EEXIST);
	s.tid = "bad id";
	CU_ASSERT_EQUAL(sipb_msrp_write_send(out, sizeof out, &s, NULL, NULL), -EINVAL);
	s.tid = NULL;
	CU_ASSERT_EQUAL(sipb_msrp_write_send(out, 50, &s, &rng, NULL), -ENOSPC);
	s.content_type = NULL;
	CU_ASSERT_EQUAL(sipb_msrp_write_send(out, sizeof out, &s, &rng, NULL), -EINVAL);   /* data needs a type */
	s.content_type = "text/plain";
	s.flag = 'x';
	CU_ASSERT_EQUAL(sipb_msrp_write_send(out, sizeof out, &s, &rng, NULL), -EINVAL);
	s.flag = '$';
	s.total = 3;
	CU_ASSERT_EQUAL(sipb_msrp_write_send(out, sizeof out, &s, &rng, NULL), -EINVAL);   /* end beyond total */

	/* chunks of one message: Content-Type on each (RFC 4975 §9 content-stuff) */
	const char *text = "0123456789abcdefghij";
	size_t off = 0;
	while (off < 20) {
		struct sipb_msrp_send c = { .to_path = "msrp://a.example:1/x;tcp", .from_path = "msrp://b.example:2/y;tcp",
			.message_id = "mid-0002", .start = off + 1, .total = 20, .content_type = "text/plain",
			.data = text + off, .len = off + 8 < 20 ? 8 : 20 - off, .flag = off + 8 < 20 ? '+' : '$',
			.success_report = off ? MSRP_REP_ABSENT : MSRP_REP_YES };
		n = sipb_msrp_write_send(out, sizeof out, &c, &rng, NULL);
		CU_ASSERT_FATAL(n > 0);
		CU_ASSERT_EQUAL(sipb_msrp_parse(out, (size_t)n, 0, &m), n);
		CU_ASSERT(m.range_start == off + 1 && m.range_end == off + c.len && m.range_total == 20);
		CU_ASSERT_EQUAL(m.flag, c.flag);
		off += c.len;
	}

	/* REPORT with an error status; responses of every status it writes */
	struct sipb_msrp_report_req r = { .to_path = "msrp://b.example:2/y;tcp", .from_path = "msrp://a.example:1/x;tcp",
		.message_id = "mid-0002", .start = 1, .end = 8, .total = 20, .status = 413 };
	n = sipb_msrp_write_report(out, sizeof out, &r, &rng, tid);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(sipb_msrp_parse(out, (size_t)n, 0, &m), n);
	CU_ASSERT(m.has_status && m.status_code == 413);
	ASSERT_STR(m.status_comment, "Message Too Large");
	static const int st[] = { 200, 400, 403, 413, 415, 481, 501, 506 };
	for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
		n = sipb_msrp_write_response(out, sizeof out, "abcd1234", st[i], NULL, "msrp://b.example:2/y;tcp",
		    "msrp://a.example:1/x;tcp");
		CU_ASSERT_FATAL(n > 0);
		CU_ASSERT_EQUAL(sipb_msrp_parse(out, (size_t)n, 0, &m), n);
		CU_ASSERT(m.is_response && m.status == st[i]);
		ASSERT_STR(m.comment, sipb_msrp_status_phrase(st[i]));
	}
	CU_ASSERT_EQUAL(sipb_msrp_write_response(out, sizeof out, "abcd1234", 299, NULL, "a", "b"), -EINVAL);
}

/* Documents the parser refuses, each with its reason. */
static void test_bad(void)
{
	static const struct {
		const char *doc, *why;
	} bad[] = {
		{ "HTTP/1.1 200 OK\r\n", "does not start" },
		{ "MSRP ab SEND\r\n", "transaction id" },
		{ "MSRP abcd send\r\n", "method" },
		{ "MSRP abcd SEND\r\nFrom-Path: x\r\n", "first header is not To-Path" },
		{ "MSRP abcd SEND\r\nTo-Path: a\r\nMessage-ID: 1234\r\n", "second header is not From-Path" },
		{ "MSRP abcd SEND\r\nTo-Path: a\r\nFrom-Path: b\r\nByte-Range: 0-1/1\r\n", "start" },
		{ "MSRP abcd SEND\r\nTo-Path: a\r\nFrom-Path: b\r\nByte-Range: 1-5/4\r\n", "beyond the total" },
		{ "MSRP abcd SEND\r\nTo-Path: a\r\nFrom-Path: b\r\nSuccess-Report: partial\r\n", "yes or no" },
		{ "MSRP abcd SEND\r\nTo-Path: a\r\nFrom-Path: b\r\n\r\n", "without a Content-Type" },
		{ "MSRP abcd SEND\r\nTo-Path: a\r\nFrom-Path: b\r\n-------abce$\r\n", "transaction id is not" },
		{ "MSRP abcd SEND\r\nTo-Path: a\r\nFrom-Path: b\r\n-------abcd!\r\n", "continuation flag" },
		{ "MSRP abcd 200 OK\r\nTo-Path: a\r\nFrom-Path: b\r\nContent-Type: a/b\r\n", "response with a body" },
		{ "MSRP abcd SEND\r\nTo-Path: a\r\nFrom-Path: b\r\nContent-Type: a/b\r\nX: y\r\n", "last header" },
		{ "MSRP abcd SEND\r\nTo-Path: a\nFrom-Path: b\r\n", "bare CR or LF" },
		{ "MSRP abcd SEND\r\nTo-Path: a\r\nFrom-Path: b\r\nContent-Type: a/b\r\n\r\nx\r\n-------abcd?\r\n",
		  "continuation flag" },
		{ "MSRP abcd REPORT\r\nTo-Path: a\r\nFrom-Path: b\r\nStatus: 0 200\r\n", "Status" },
	};
	struct sipb_msrp_msg m;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ssize_t r = sipb_msrp_parse(bad[i].doc, strlen(bad[i].doc), 0, &m);
		CU_ASSERT_EQUAL(r, -EBADMSG);
		CU_ASSERT(m.error && strstr(m.error, bad[i].why));
		if (r != -EBADMSG || !m.error || !strstr(m.error, bad[i].why))
			fprintf(stderr, "\n  bad[%zu]: %zd \"%s\", expected \"%s\"\n", i, r, m.error ? m.error : "",
			    bad[i].why);
	}
	/* a prefix needs more; at EOF it is an error with a reason */
	const char *pre = "MSRP abcd SEND\r\nTo-Path: a\r\nFrom-Path: b\r\nContent-Type: a/b\r\n\r\nbody";
	CU_ASSERT_EQUAL(sipb_msrp_parse(pre, strlen(pre), 0, &m), 0);
	CU_ASSERT_EQUAL(sipb_msrp_parse(pre, strlen(pre), MSRP_EOF, &m), -EBADMSG);
	CU_ASSERT(m.error && strstr(m.error, "truncated in the body"));
	CU_ASSERT_EQUAL(sipb_msrp_parse("", 0, 0, &m), 0);
}

/*
 * Every proper prefix of a whole vector needs more bytes (and is an error
 * with a reason at EOF); every single-byte mutation (each position: 0x00,
 * the byte + 1, CR, LF, '-', '$') and every truncation parses or fails with
 * a reason, never reads outside the bytes (ASan build: each case in a buffer
 * of its exact size).
 */
static void test_truncations_mutations(void)
{
	static const unsigned char subst[] = { 0x00, '\r', '\n', '-', '$', ' ', 0xff };
	unsigned long runs = 0, parsed = 0, refused = 0, need = 0;
	for (size_t v = 0; v < NVEC; v++) {
		size_t len;
		char *b = vec(vectors[v], &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		struct sipb_msrp_msg m;
		int whole = sipb_msrp_parse(b, len, 0, &m) == (ssize_t)len;
		for (size_t k = 0; k <= len; k++) {
			char *t = malloc(k ? k : 1);
			memcpy(t, b, k);
			ssize_t r = sipb_msrp_parse(t, k, 0, &m);
			ssize_t re = sipb_msrp_parse(t, k, MSRP_EOF, &m);
			runs += 2;
			CU_ASSERT(r <= (ssize_t)k);
			CU_ASSERT(re != 0);
			CU_ASSERT(re > 0 || m.error);
			if (whole && k < len) {
				CU_ASSERT_EQUAL(r, 0);
				CU_ASSERT_EQUAL(re, -EBADMSG);
			}
			free(t);
		}
		for (size_t i = 0; i < len; i++)
			for (size_t s = 0; s <= sizeof subst; s++) {
				char *t = malloc(len);
				memcpy(t, b, len);
				t[i] = s < sizeof subst ? (char)subst[s] : (char)(b[i] + 1);
				ssize_t r = sipb_msrp_parse(t, len, MSRP_EOF, &m);
				runs++;
				CU_ASSERT(r != 0 && r <= (ssize_t)len);
				if (r > 0) {
					parsed++;
					CU_ASSERT(m.flag == '$' || m.flag == '+' || m.flag == '#');
					CU_ASSERT(!m.body || (m.body >= (const unsigned char *)t &&
					    m.body + m.body_len <= (const unsigned char *)t + r));
				} else {
					refused++;
					CU_ASSERT_PTR_NOT_NULL(m.error);
				}
				r = sipb_msrp_parse(t, len, 0, &m);
				need += r == 0;
				free(t);
			}
		free(b);
	}
	fprintf(stderr, "\n  %lu parses: %lu mutations parsed, %lu refused with a reason, %lu need more "
	    "without EOF\n", runs, parsed, refused, need);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("msrp", NULL, NULL);
	if (!s || !CU_add_test(s, "RFC 4975 §4 SEND and 200", test_rfc_send_200) ||
	    !CU_add_test(s, "RFC 4975 §5.1 chunks", test_rfc_chunks) ||
	    !CU_add_test(s, "RFC 4975 §7.1.2 REPORT", test_rfc_report) ||
	    !CU_add_test(s, "writers", test_writer) ||
	    !CU_add_test(s, "refused documents", test_bad) ||
	    !CU_add_test(s, "truncations and mutations", test_truncations_mutations))
		return 1;
	return tu_run();
}
