/*
 * test_select.c - bearer selection (ppg_select.c): address types, quality of
 * service, the migration settings; and which registrations of a SIP target
 * support a push's application (the SIP bearer's liveness input).
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "pap/pap.h"
#include "ppg/ppg_bearer_sip_int.h"
#include "ppg/ppg_select.h"
#include "tests/test_util.h"

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
	CU_ASSERT_TRUE(ppg_select_name_in_list(" Any , Packet Data", "packet data"));
	CU_ASSERT_FALSE(ppg_select_name_in_list("Any, Packet Data", "Packet"));
	CU_ASSERT_FALSE(ppg_select_name_in_list("", "SMS"));
}

static void test_binding_supports(void)
{
	struct db_binding b = { .apps = "mms.ua,x-wap-application:push.sia" };
	CU_ASSERT_TRUE(ppg_bearer_sip_reg_supports(&b, "mms.ua"));
	CU_ASSERT_TRUE(ppg_bearer_sip_reg_supports(&b, "X-WAP-APPLICATION:push.sia"));
	CU_ASSERT_FALSE(ppg_bearer_sip_reg_supports(&b, "mms"));
	CU_ASSERT_FALSE(ppg_bearer_sip_reg_supports(&b, "push.sia"));
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("select", NULL, NULL);
	CU_add_test(s, "bearer selection and QoS", test_select);
	CU_add_test(s, "binding application lists", test_binding_supports);
	return tu_run();
}
