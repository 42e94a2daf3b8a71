/*
 * test_outcome.c - the outcome tables of the delivery engine (ppg_outcome.c):
 * SIP final responses to PAP results (OMA-TS-SIP_Push Appendix D, the README) with
 * retries and backoff, and Push OTA outcomes.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "pap/pap.h"
#include "ppg/ppg_outcome.h"
#include "tests/test_util.h"

static const struct ppg_retry_policy pol = { 2, 300, 3 };

struct sip_case {
	int status, local, retry_after, attempts;
	int64_t deliver_before;
	enum ppg_outcome_kind kind;
	int state, code;
	int64_t retry_at;   /* when kind == RETRY (now = 1000000) */
};

/* The table of the README, one row per line, at attempt 1 and at the limit. */
static void test_sip_table(void)
{
	static const struct sip_case cases[] = {
		{ 200, 0, -1, 1, 0, PPG_OUT_DELIVERED, DB_STATE_DELIVERED, 1000, 0 },
		{ 202, 0, -1, 1, 0, PPG_OUT_DELIVERED, DB_STATE_DELIVERED, 1000, 0 },
		{ 400, 0, -1, 1, 0, PPG_OUT_RETRY, DB_STATE_UNDELIVERABLE, 4000, 1002000 },
		{ 400, 0, -1, 3, 0, PPG_OUT_FINAL, DB_STATE_UNDELIVERABLE, 4000, 0 },
		{ 500, 0, -1, 2, 0, PPG_OUT_RETRY, DB_STATE_UNDELIVERABLE, 4000, 1004000 },
		{ 503, 0, 120, 1, 0, PPG_OUT_RETRY, DB_STATE_UNDELIVERABLE, 4001, 1120000 },
		{ 503, 0, 1, 2, 0, PPG_OUT_RETRY, DB_STATE_UNDELIVERABLE, 4001, 1004000 },
		{ 503, 0, -1, 3, 0, PPG_OUT_FINAL, DB_STATE_UNDELIVERABLE, 4001, 0 },
		{ 503, 1, -1, 3, 0, PPG_OUT_FINAL, DB_STATE_UNDELIVERABLE, 4000, 0 },   /* local transport error */
		{ 603, 0, -1, 1, 0, PPG_OUT_RETRY, DB_STATE_ABORTED, 5000, 1002000 },
		{ 603, 0, -1, 3, 0, PPG_OUT_FINAL, DB_STATE_ABORTED, 5000, 0 },
		/* 408: bounded by deliver-before, not by the attempt limit ... */
		{ 408, 1, -1, 3, 9000000, PPG_OUT_RETRY, DB_STATE_TIMEOUT, 4000, 1008000 },
		{ 408, 0, -1, 5, 9000000, PPG_OUT_RETRY, DB_STATE_TIMEOUT, 4000, 1032000 },
		/* ... which, coming before the next try, ends it as expired */
		{ 408, 1, -1, 1, 1001000, PPG_OUT_FINAL, DB_STATE_EXPIRED, 4000, 0 },
		/* ... and without deliver-before the limit applies */
		{ 408, 1, -1, 3, 0, PPG_OUT_FINAL, DB_STATE_TIMEOUT, 4000, 0 },
		{ 480, 0, -1, 1, 0, PPG_OUT_RETRY, DB_STATE_UNDELIVERABLE, 2003, 1002000 },
		{ 404, 0, -1, 3, 0, PPG_OUT_FINAL, DB_STATE_UNDELIVERABLE, 2003, 0 },
		{ 403, 0, -1, 1, 0, PPG_OUT_FINAL, DB_STATE_UNDELIVERABLE, 2001, 0 },
		{ 604, 0, -1, 1, 0, PPG_OUT_FINAL, DB_STATE_UNDELIVERABLE, 2003, 0 },
		{ 415, 0, -1, 1, 0, PPG_OUT_FINAL, DB_STATE_UNDELIVERABLE, 2005, 0 },
		{ 488, 0, -1, 1, 0, PPG_OUT_FINAL, DB_STATE_UNDELIVERABLE, 2005, 0 },
		{ 486, 0, -1, 1, 0, PPG_OUT_FINAL, DB_STATE_UNDELIVERABLE, 4000, 0 },
		{ 302, 0, -1, 1, 0, PPG_OUT_FINAL, DB_STATE_UNDELIVERABLE, 4000, 0 },
		{ 606, 0, -1, 1, 0, PPG_OUT_FINAL, DB_STATE_UNDELIVERABLE, 4000, 0 },
		/* a retry that would come after deliver-before: expired now */
		{ 500, 0, -1, 1, 1001500, PPG_OUT_FINAL, DB_STATE_EXPIRED, 4000, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct sip_case *c = &cases[i];
		struct ppg_outcome o;
		ppg_outcome_sip(c->status, "Phrase", c->local, c->retry_after, c->attempts, c->deliver_before,
		    &pol, 1000000, &o);
		if (o.kind != c->kind || o.state != c->state || o.code != c->code ||
		    (c->kind == PPG_OUT_RETRY && o.retry_at != c->retry_at)) {
			fprintf(stderr, "case %zu (SIP %d): kind %d state %d code %d retry_at %lld\n", i, c->status,
			    o.kind, o.state, o.code, (long long)o.retry_at);
			CU_FAIL("SIP outcome differs from the table");
		}
	}
	struct ppg_outcome o;
	ppg_outcome_sip(480, "Temporarily Unavailable", 0, -1, 1, 0, &pol, 0, &o);
	CU_ASSERT_TRUE(o.not_reachable);
	CU_ASSERT_STRING_EQUAL(o.desc, "SIP 480 Temporarily Unavailable");
	ppg_outcome_sip(408, "Request Timeout", 1, -1, 1, 0, &pol, 0, &o);
	CU_ASSERT_STRING_EQUAL(o.desc, "SIP 408 Request Timeout (local)");
	CU_ASSERT_EQUAL(ppg_outcome_backoff_ms(&pol, 1), 2000);
	CU_ASSERT_EQUAL(ppg_outcome_backoff_ms(&pol, 4), 16000);
	CU_ASSERT_EQUAL(ppg_outcome_backoff_ms(&pol, 30), 300000);
}

static void test_ota_outcome(void)
{
	struct ppg_outcome o;
	ppg_outcome_ota(1, 0, 0, 1, 0, &pol, 0, &o);
	CU_ASSERT_EQUAL(o.kind, PPG_OUT_DELIVERED);
	CU_ASSERT_EQUAL(o.code, 1000);
	ppg_outcome_ota(0, 1, 0, 1, 0, &pol, 1000, &o);
	CU_ASSERT_EQUAL(o.kind, PPG_OUT_RETRY);
	CU_ASSERT_EQUAL(o.retry_at, 3000);
	ppg_outcome_ota(0, 1, 0, 3, 0, &pol, 1000, &o);
	CU_ASSERT_EQUAL(o.kind, PPG_OUT_FINAL);
	CU_ASSERT_EQUAL(o.state, DB_STATE_UNDELIVERABLE);
	CU_ASSERT_EQUAL(o.code, 4000);
	ppg_outcome_ota(0, 1, 0, 1, 2000, &pol, 1000, &o);
	CU_ASSERT_EQUAL(o.kind, PPG_OUT_FINAL);
	CU_ASSERT_EQUAL(o.state, DB_STATE_EXPIRED);
	ppg_outcome_ota(0, 0, PAP_TRANSFORMATION_FAILURE, 1, 0, &pol, 1000, &o);
	CU_ASSERT_EQUAL(o.kind, PPG_OUT_FINAL);
	CU_ASSERT_EQUAL(o.code, 3006);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("outcome", NULL, NULL);
	CU_add_test(s, "SIP final responses to PAP results", test_sip_table);
	CU_add_test(s, "Push OTA outcomes", test_ota_outcome);
	return tu_run();
}
