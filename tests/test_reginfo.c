/*
 * test_reginfo.c - the reginfo+xml decoder (sipbearer/sipb_reginfo.c, RFC
 * 3680 §5, RFC 5628 §4) against tests/vectors/reginfo/: kamailio's NOTIFY
 * bodies as captured, documents written after the RFCs (full state with
 * unknown-params and GRUUs, partial state, a version gap), refused ones;
 * the version rules of RFC 3680 §4.4; then every truncation and single-byte
 * mutation of the vectors (under ASan in build-asan) must parse or be
 * refused with a reason, never crash or leak.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "sipbearer/sipb_reginfo.h"
#include "tests/test_util.h"

static char *vec(const char *name, size_t *len)
{
	char rel[128];
	snprintf(rel, sizeof rel, "reginfo/%s", name);
	char *d = tu_read_file(tu_vector(rel), len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	return d;
}

static int parse_vec(const char *name, struct sipb_reginfo *ri, char *why, size_t wl)
{
	size_t len;
	char *d = vec(name, &len);
	int rc = sipb_reginfo_parse(d, len, ri, why, wl);
	free(d);
	return rc;
}

static void test_kamailio(void)
{
	struct sipb_reginfo ri;
	char why[160];

	CU_ASSERT_EQUAL_FATAL(parse_vec("kamailio_full_registered.xml", &ri, why, sizeof why), 0);
	CU_ASSERT_EQUAL(ri.state, SIPB_REGINFO_FULL);
	CU_ASSERT_EQUAL(ri.version, 0);
	CU_ASSERT_EQUAL_FATAL(ri.nregs, 1);
	CU_ASSERT_STRING_EQUAL(ri.regs[0].aor, "sip:alice@example.com");
	CU_ASSERT_EQUAL(ri.regs[0].state, SIPB_REG_ACTIVE);
	CU_ASSERT_EQUAL_FATAL(ri.regs[0].n, 1);
	const struct sipb_reginfo_contact *c = &ri.contacts[0];
	CU_ASSERT_EQUAL(c->active, 1);
	CU_ASSERT_STRING_EQUAL(c->uri, "sip:alice@127.0.0.1:25093");
	CU_ASSERT_STRING_EQUAL(c->event, "created");
	CU_ASSERT_EQUAL(c->expires, 600);
	CU_ASSERT_STRING_EQUAL(c->call_id, "1-20374@127.0.0.1");
	CU_ASSERT_EQUAL(c->cseq, 1);
	CU_ASSERT_EQUAL(c->napps, 0);          /* kamailio keeps no feature tags */
	CU_ASSERT_PTR_NULL(c->pub_gruu);
	sipb_reginfo_free(&ri);

	CU_ASSERT_EQUAL_FATAL(parse_vec("kamailio_full_unregistered.xml", &ri, why, sizeof why), 0);
	CU_ASSERT_EQUAL(ri.regs[0].state, SIPB_REG_TERMINATED);
	CU_ASSERT_EQUAL(ri.contacts[0].active, 0);
	CU_ASSERT_STRING_EQUAL(ri.contacts[0].event, "unregistered");
	sipb_reginfo_free(&ri);
	sipb_reginfo_free(&ri);   /* twice: the struct was left empty */
}

static void test_full_gruu(void)
{
	struct sipb_reginfo ri;
	char why[160];

	CU_ASSERT_EQUAL_FATAL(parse_vec("full_two_contacts.xml", &ri, why, sizeof why), 0);
	CU_ASSERT_EQUAL(ri.version, 4);
	CU_ASSERT_EQUAL(ri.state, SIPB_REGINFO_FULL);
	CU_ASSERT_EQUAL_FATAL(ri.nregs, 1);
	CU_ASSERT_STRING_EQUAL(ri.regs[0].id, "a7");
	CU_ASSERT_EQUAL_FATAL(ri.ncontacts, 3);
	CU_ASSERT_EQUAL(ri.regs[0].first, 0);
	CU_ASSERT_EQUAL(ri.regs[0].n, 3);

	const struct sipb_reginfo_contact *c = &ri.contacts[0];
	CU_ASSERT_STRING_EQUAL(c->id, "76");
	CU_ASSERT_EQUAL(c->q1000, 800);
	CU_ASSERT_EQUAL(c->expires, 3600);
	CU_ASSERT_EQUAL(c->cseq, 12);
	CU_ASSERT_STRING_EQUAL(c->uri, "sip:bob@192.0.2.4:5060;transport=tcp");
	CU_ASSERT_EQUAL_FATAL(c->napps, 2);
	CU_ASSERT_STRING_EQUAL(c->apps[0], "mms.ua");
	CU_ASSERT_STRING_EQUAL(c->apps[1], "ua-prov");
	CU_ASSERT_STRING_EQUAL(c->instance, "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
	CU_ASSERT_EQUAL(c->sessions, 1);       /* methods lists INVITE */
	CU_ASSERT_STRING_EQUAL(c->pub_gruu, "sip:bob@operator.example;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
	CU_ASSERT_STRING_EQUAL(c->temp_gruu, "sip:tgruu.7hs==jd7vnzga5w7fajsc7-ajd6fabz0f8g5@operator.example;gr");

	c = &ri.contacts[1];
	CU_ASSERT_EQUAL(c->active, 1);
	CU_ASSERT_EQUAL(c->q1000, -1);
	CU_ASSERT_EQUAL_FATAL(c->napps, 1);
	CU_ASSERT_STRING_EQUAL(c->apps[0], "ua-prov");
	CU_ASSERT_EQUAL(c->sessions, 1);       /* +sip.message */
	CU_ASSERT_PTR_NULL(c->instance);
	CU_ASSERT_PTR_NULL(c->pub_gruu);

	c = &ri.contacts[2];
	CU_ASSERT_EQUAL(c->active, 0);
	CU_ASSERT_STRING_EQUAL(c->event, "expired");
	CU_ASSERT_EQUAL(c->sessions, 0);
	sipb_reginfo_free(&ri);
}

/* RFC 3680 §4.4: full state resets, the next partial version applies, an
 * older one is dropped, a gap (or partial before any full) is unknown state. */
static void test_versions(void)
{
	struct sipb_reginfo full, p5, p7;
	char why[160];

	CU_ASSERT_EQUAL_FATAL(parse_vec("full_two_contacts.xml", &full, why, sizeof why), 0);
	CU_ASSERT_EQUAL_FATAL(parse_vec("partial_v5_terminated.xml", &p5, why, sizeof why), 0);
	CU_ASSERT_EQUAL_FATAL(parse_vec("partial_v7_gap.xml", &p7, why, sizeof why), 0);
	CU_ASSERT_EQUAL(p5.state, SIPB_REGINFO_PARTIAL);
	CU_ASSERT_EQUAL(p5.contacts[0].active, 0);

	CU_ASSERT_EQUAL(sipb_reginfo_check(0, 0, &full), SIPB_REGINFO_APPLY);
	CU_ASSERT_EQUAL(sipb_reginfo_check(1, 9, &full), SIPB_REGINFO_APPLY);    /* full always */
	CU_ASSERT_EQUAL(sipb_reginfo_check(0, 0, &p5), SIPB_REGINFO_GAP);        /* no full yet */
	CU_ASSERT_EQUAL(sipb_reginfo_check(1, 4, &p5), SIPB_REGINFO_APPLY);
	CU_ASSERT_EQUAL(sipb_reginfo_check(1, 5, &p5), SIPB_REGINFO_STALE);
	CU_ASSERT_EQUAL(sipb_reginfo_check(1, 6, &p5), SIPB_REGINFO_STALE);
	CU_ASSERT_EQUAL(sipb_reginfo_check(1, 5, &p7), SIPB_REGINFO_GAP);
	CU_ASSERT_EQUAL(sipb_reginfo_check(1, 6, &p7), SIPB_REGINFO_APPLY);
	sipb_reginfo_free(&full);
	sipb_reginfo_free(&p5);
	sipb_reginfo_free(&p7);
}

static void test_bad(void)
{
	static const struct { const char *file; int rc; const char *why; } v[] = {
		{ "bad_not_wellformed.xml", -EBADMSG, "not well-formed" },
		{ "bad_no_version.xml", -EBADMSG, "version" },
		{ "bad_wrong_namespace.xml", -EBADMSG, "no reginfo" },
		{ "bad_contact_no_uri.xml", -EBADMSG, "without a uri" },
		{ "bad_external_entity.xml", -EBADMSG, "DOCTYPE" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct sipb_reginfo ri;
		char why[160] = "";
		int rc = parse_vec(v[i].file, &ri, why, sizeof why);
		CU_ASSERT_EQUAL(rc, v[i].rc);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, v[i].why));
		CU_ASSERT_EQUAL(ri.ncontacts, 0);
		CU_ASSERT_PTR_NULL(ri.contacts);
		if (rc != v[i].rc || !strstr(why, v[i].why))
			fprintf(stderr, "\n  %s: %d \"%s\"\n", v[i].file, rc, why);
	}
	struct sipb_reginfo ri;
	char why[160];
	CU_ASSERT_EQUAL(sipb_reginfo_parse("", 0, &ri, why, sizeof why), -EINVAL);
	CU_ASSERT_EQUAL(sipb_reginfo_parse(NULL, 10, &ri, why, sizeof why), -EINVAL);

	/* bounds: a document over SIPB_REGINFO_MAX_DOC, more contacts than SIPB_REGINFO_MAX_CONTACTS */
	size_t big = SIPB_REGINFO_MAX_DOC + 1;
	char *d = malloc(big);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	memset(d, ' ', big);
	CU_ASSERT_EQUAL(sipb_reginfo_parse(d, big, &ri, why, sizeof why), -E2BIG);
	size_t n = 0;
	n += (size_t)snprintf(d + n, big - n, "<reginfo xmlns=\"urn:ietf:params:xml:ns:reginfo\" version=\"1\" "
	    "state=\"full\"><registration aor=\"sip:a@b\" id=\"r\" state=\"active\">");
	for (int i = 0; i <= SIPB_REGINFO_MAX_CONTACTS; i++)
		n += (size_t)snprintf(d + n, big - n, "<contact id=\"%d\" state=\"active\"><uri>sip:a@192.0.2.1:%d</uri>"
		    "</contact>", i, 1000 + i);
	n += (size_t)snprintf(d + n, big - n, "</registration></reginfo>");
	CU_ASSERT_EQUAL(sipb_reginfo_parse(d, n, &ri, why, sizeof why), -E2BIG);
	/* an entity bomb without a DTD cannot be written; a q-value out of range */
	const char *q = "<reginfo xmlns=\"urn:ietf:params:xml:ns:reginfo\" version=\"1\" state=\"full\">"
	    "<registration aor=\"sip:a@b\" id=\"r\" state=\"active\"><contact id=\"c\" state=\"active\" q=\"1.5\">"
	    "<uri>sip:a@b</uri></contact></registration></reginfo>";
	CU_ASSERT_EQUAL(sipb_reginfo_parse(q, strlen(q), &ri, why, sizeof why), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "q \"1.5\""));
	free(d);
}

static void test_truncations_mutations(void)
{
	static const char *files[] = { "full_two_contacts.xml", "kamailio_full_registered.xml",
		"partial_v5_terminated.xml" };
	unsigned long runs = 0, parsed = 0, refused = 0;
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		size_t len;
		char *d = vec(files[f], &len);
		char *b = malloc(len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		for (size_t cut = 0; cut <= len; cut += 3) {
			struct sipb_reginfo ri;
			char why[160];
			memcpy(b, d, cut);
			int rc = sipb_reginfo_parse(b, cut, &ri, why, sizeof why);
			runs++;
			if (rc == 0) {
				parsed++;
				sipb_reginfo_free(&ri);
			} else {
				refused++;
				CU_ASSERT(why[0] != '\0' || rc == -ENOMEM);
			}
		}
		static const unsigned char subst[] = { 0, '<', '>', '"', '&', 'x', 0xff, ' ' };
		for (size_t i = 0; i < len; i += 2)
			for (size_t k = 0; k < sizeof subst; k++) {
				struct sipb_reginfo ri;
				char why[160];
				memcpy(b, d, len);
				b[i] = (char)subst[k];
				int rc = sipb_reginfo_parse(b, len, &ri, why, sizeof why);
				runs++;
				if (rc == 0) {
					parsed++;
					CU_ASSERT(ri.ncontacts <= SIPB_REGINFO_MAX_CONTACTS);
					sipb_reginfo_free(&ri);
				} else {
					refused++;
					CU_ASSERT(why[0] != '\0');
				}
			}
		free(b);
		free(d);
	}
	fprintf(stderr, "\n  %lu parses: %lu parsed, %lu refused with a reason\n", runs, parsed, refused);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("reginfo", NULL, NULL);
	if (!s || !CU_add_test(s, "kamailio's NOTIFY bodies", test_kamailio) ||
	    !CU_add_test(s, "full state, unknown-params, GRUUs (RFC 3680 §5, RFC 5628)", test_full_gruu) ||
	    !CU_add_test(s, "version rules (RFC 3680 §4.4)", test_versions) ||
	    !CU_add_test(s, "refused documents", test_bad) ||
	    !CU_add_test(s, "truncations and mutations", test_truncations_mutations))
		return 1;
	return tu_run();
}
