/*
 * pap_test_common.c - what the test_pap programs share (tests/pap_test_common.h).
 */
#include "tests/pap_test_common.h"

const struct pap_limits deflim = PAP_LIMITS_DEFAULT;

int streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

char *vec(const char *rel, size_t *len)
{
	char *b = tu_read_file(tu_vector(rel), len);
	if (!b)
		fprintf(stderr, "cannot read %s\n", tu_vector(rel));
	return b;
}

struct pap_msg *decode_ok(const void *xml, size_t len)
{
	struct pap_msg *m = NULL;
	struct pap_error err;
	int rc = pap_msg_decode(xml, len, &deflim, &m, &err);

	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		fprintf(stderr, "decode: %d %s [%s]\n", err.code, err.desc, err.fragment);
	return m;
}

struct pap_error decode_bad(const char *xml, const struct pap_limits *lim, int rc,
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

const struct addr_case addr_cases[] = {
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

void addr_eq(const struct pap_addr *a, const struct pap_addr *b)
{
	CU_ASSERT_EQUAL(a->type, b->type);
	CU_ASSERT_STRING_EQUAL(a->value, b->value);
	CU_ASSERT_STRING_EQUAL(a->wina, b->wina);
	CU_ASSERT_STRING_EQUAL(a->ppg, b->ppg);
	CU_ASSERT_EQUAL(a->is_uri, b->is_uri);
}

int mime(const char *ct, const char *body, struct pap_mime *m, const char **reason)
{
	return pap_mime_decode(ct, (const unsigned char *)body, strlen(body), m, reason);
}

int body_is(const struct pap_mime_part *p, const char *s)
{
	return p->body_len == strlen(s) && !memcmp(p->body, s, p->body_len);
}

/* Attribute text that needs every kind of escaping. */
const char nasty[] = "a\"b<c>&d'e \xC3\xA4 \xE2\x9C\x93 \xE6\x97\xA5 \xF0\x9F\x98\x80"
    "\ttab\nnl\rcr&amp;";

void msg_eq(const struct pap_msg *a, const struct pap_msg *b)
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

char *roundtrip(const struct pap_msg *m)
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

void mk_addrs(struct pap_msg_addr *addrs, const char *const *raw, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		memset(&addrs[i], 0, sizeof addrs[i]);
		addrs[i].raw = (char *)raw[i];
		addrs[i].ok = pap_addr_decode(raw[i], &addrs[i].addr, &addrs[i].reason) == 0;
	}
}
