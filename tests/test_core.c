/*
 * test_core.c - the daemon's pure decision functions: SIP responses to PAP
 * results (seed 000 Appendix D, DESIGN.md), Push OTA outcomes, bearer
 * selection with quality-of-service, AoR normalization, and the latency
 * histogram. (The Push OTA message of a push is tested in test_ota.c.)
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "pap/pap.h"
#include "ppg/ppg_bearer_sip_int.h"
#include "ppg/ppg_outcome.h"
#include "ppg/ppg_select.h"
#include "ppg/ppg_stats.h"
#include "tests/test_util.h"

static const struct ppg_retry_policy pol = { 2, 300, 3 };

struct sip_case {
	int status, local, retry_after, attempts;
	int64_t deliver_before;
	enum ppg_outcome_kind kind;
	int state, code;
	int64_t retry_at;   /* when kind == RETRY (now = 1000000) */
};

/* The table of DESIGN.md, one row per line, at attempt 1 and at the limit. */
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

static struct ppg_select_in base_in(int type, int sip_target)
{
	struct ppg_select_in in = {
		.addr_type = type, .sip_target = sip_target,
		.sip_enabled = 1, .udp_enabled = 1, .sms_enabled = 1, .plmn_fallback = 1,
		.networks = "Any, GSM", .sip_bearers = "Any, GPRS, Packet Data",
		.ip_bearers = "Any, CSD, GPRS, Packet Data", .sms_bearers = "Any, SMS",
	};
	return in;
}

static void test_select(void)
{
	struct ppg_select_out out;
	struct ppg_select_in in;

	in = base_in(PAP_ADDR_USER, 1);
	ppg_select(&in, &out);
	CU_ASSERT_EQUAL(out.bearer, PPG_BEARER_SIP);   /* waits for a registration */
	in = base_in(PAP_ADDR_IPV4, 0);
	ppg_select(&in, &out);
	CU_ASSERT_EQUAL(out.bearer, PPG_BEARER_UDP);
	in = base_in(PAP_ADDR_IPV6, 0);
	in.udp_enabled = 0;
	ppg_select(&in, &out);
	CU_ASSERT_EQUAL(out.bearer, PPG_BEARER_NONE);
	CU_ASSERT_EQUAL(out.code, 0);
	/* PLMN: SIP when live, else SMS (migration), else SIP waits */
	in = base_in(PAP_ADDR_PLMN, 1);
	in.sip_live = 1;
	ppg_select(&in, &out);
	CU_ASSERT_EQUAL(out.bearer, PPG_BEARER_SIP);
	in.sip_live = 0;
	ppg_select(&in, &out);
	CU_ASSERT_EQUAL(out.bearer, PPG_BEARER_SMS);
	in.plmn_fallback = 0;
	ppg_select(&in, &out);
	CU_ASSERT_EQUAL(out.bearer, PPG_BEARER_SIP);
	in.sip_enabled = 0;
	ppg_select(&in, &out);
	CU_ASSERT_EQUAL(out.bearer, PPG_BEARER_SMS);
	/* network required and not reached -> 3009 */
	in = base_in(PAP_ADDR_IPV4, 0);
	in.network_required = 1;
	in.network = "IS-95 CDMA";
	ppg_select(&in, &out);
	CU_ASSERT_EQUAL(out.bearer, PPG_BEARER_NONE);
	CU_ASSERT_EQUAL(out.code, PAP_NETWORK_NOT_AVAIL);
	in.network = "gsm";   /* case-insensitive */
	ppg_select(&in, &out);
	CU_ASSERT_EQUAL(out.bearer, PPG_BEARER_UDP);
	/* Kannel's iptestppg: IPv4, bearer CSD required, network GSM required */
	in.bearer_required = 1;
	in.bearer = "CSD";
	ppg_select(&in, &out);
	CU_ASSERT_EQUAL(out.bearer, PPG_BEARER_UDP);
	in.bearer = "SMS";
	ppg_select(&in, &out);
	CU_ASSERT_EQUAL(out.code, PAP_BEARER_NOT_AVAIL);
	/* PLMN with bearer SMS required skips SIP even when live */
	in = base_in(PAP_ADDR_PLMN, 1);
	in.sip_live = 1;
	in.bearer_required = 1;
	in.bearer = "sms";
	ppg_select(&in, &out);
	CU_ASSERT_EQUAL(out.bearer, PPG_BEARER_SMS);
	in.sms_enabled = 0;
	ppg_select(&in, &out);
	CU_ASSERT_EQUAL(out.code, PAP_BEARER_NOT_AVAIL);
	/* confirmed: only SIP */
	in = base_in(PAP_ADDR_IPV4, 0);
	in.delivery_method = PAP_DM_CONFIRMED;
	ppg_select(&in, &out);
	CU_ASSERT_EQUAL(out.code, PAP_DELIVERY_METHOD_NOT_POSS);
	in = base_in(PAP_ADDR_PLMN, 1);
	in.delivery_method = PAP_DM_CONFIRMED;
	ppg_select(&in, &out);
	CU_ASSERT_EQUAL(out.bearer, PPG_BEARER_SIP);   /* not SMS, even without a registration */
	in.delivery_method = PAP_DM_PREFERCONFIRMED;
	ppg_select(&in, &out);
	CU_ASSERT_EQUAL(out.bearer, PPG_BEARER_SMS);   /* falls back to unconfirmed */
	CU_ASSERT_PTR_NOT_NULL(strstr(out.why, "preferconfirmed"));
	CU_ASSERT_TRUE(ppg_name_in_list(" Any , Packet Data", "packet data"));
	CU_ASSERT_FALSE(ppg_name_in_list("Any, Packet Data", "Packet"));
	CU_ASSERT_FALSE(ppg_name_in_list("", "SMS"));
}

static void test_binding_supports(void)
{
	struct db_binding b = { .apps = "mms.ua,x-wap-application:push.sia" };
	CU_ASSERT_TRUE(ppg_bearer_sip_reg_supports(&b, "mms.ua"));
	CU_ASSERT_TRUE(ppg_bearer_sip_reg_supports(&b, "X-WAP-APPLICATION:push.sia"));
	CU_ASSERT_FALSE(ppg_bearer_sip_reg_supports(&b, "mms"));
	CU_ASSERT_FALSE(ppg_bearer_sip_reg_supports(&b, "push.sia"));
}

static void test_hist(void)
{
	struct ppg_hist h;
	memset(&h, 0, sizeof h);
	CU_ASSERT_EQUAL(ppg_hist_quantile(&h, 0.5), 0);
	for (int i = 1; i <= 1000; i++)
		ppg_hist_add(&h, (uint64_t)i * 10);   /* 10 us .. 10 ms */
	uint64_t p50 = ppg_hist_quantile(&h, 0.5), p99 = ppg_hist_quantile(&h, 0.99);
	CU_ASSERT(p50 >= 5000 && p50 <= 5000 * 107 / 100);
	CU_ASSERT(p99 >= 9900 && p99 <= 10000);
	CU_ASSERT_EQUAL(h.max_us, 10000);
	ppg_hist_add(&h, 1ULL << 40);   /* beyond the last bucket: counted, capped */
	CU_ASSERT_EQUAL(ppg_hist_quantile(&h, 1.0), 1ULL << 40);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("core", NULL, NULL);
	CU_add_test(s, "SIP final responses to PAP results", test_sip_table);
	CU_add_test(s, "Push OTA outcomes", test_ota_outcome);
	CU_add_test(s, "bearer selection and QoS", test_select);
	CU_add_test(s, "binding application lists", test_binding_supports);
	CU_add_test(s, "latency histogram", test_hist);
	return tu_run();
}
