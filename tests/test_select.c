/*
 * test_select.c - bearer selection (ppg_select.c): address types, quality of
 * service, the migration settings; and which registrations of a SIP target
 * support a push's application (the SIP bearer's liveness input); which
 * terminals of an AoR a push goes to (ppg_bearer_sip_select.c: policies,
 * the named instance, content types and applications told).
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "pap/pap.h"
#include "ppg/ppg_bearer_sip_int.h"
#include "ppg/ppg_hash.h"
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

/* Content types a terminal takes: exact (case, parameters), type/ *, * / *. */
static void test_takes_type(void)
{
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_type(NULL, "image/png"), 1);   /* it did not say */
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_type("text/plain", "text/plain; charset=utf-8"), 1);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_type("TEXT/Plain", "text/plain"), 1);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_type("text/plain", "text/plainer"), 0);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_type("text/plain", "text/plai"), 0);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_type("image/png,text/*", "text/vnd.wap.si"), 1);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_type("text/*", "textual/x"), 0);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_type("text/*", "text/"), 0);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_type("a/b,*/*", "image/png"), 1);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_type("", "image/png"), 0);
}

/* Three terminals of one AoR, newest first: A (q 0.5, GRUU, sessions),
 * B (no q = 1.0, instance), C (q 1.0, oldest). */
static void test_pick(void)
{
	struct db_binding v[3] = {
		{ .contact = "sip:a@h", .gruu = "sip:u@h;gr=urn:uuid:aaa", .apps = "mms.ua,wml.ua",
		  .expires = 1000, .q = 500, .caps = DB_CAP_SESSION },
		{ .contact = "sip:b@h", .instance = "<urn:uuid:BBB>", .apps = "mms.ua,wml.ua", .expires = 1000,
		  .q = DB_Q_NONE },
		{ .contact = "sip:c@h", .apps = "mms.ua", .expires = 1000, .q = 1000 },
	};
	struct sip_tcaps caps[3] = { { .accept = "text/*" }, { 0 }, { .accept = "application/x", .apps = "wml.ua" } };
	struct sip_bentry be = { .v = v, .n = 3 };   /* aor (a flexible array) is not read by the pick */
	struct ppg_push p = { .content_type = "text/plain" };
	struct sip_pick pk;
	snprintf(p.app, sizeof p.app, "mms.ua");

	ppg_bearer_sip_pick(&be, &p, NULL, PPG_TERMINAL_ALL, 0, 100, &pk);
	CU_ASSERT_EQUAL(pk.napp, 3);
	CU_ASSERT_EQUAL(pk.n, 3);
	CU_ASSERT_FALSE(pk.one);
	ppg_bearer_sip_pick(&be, &p, NULL, PPG_TERMINAL_LAST, 0, 100, &pk);
	CU_ASSERT(pk.n == 1 && pk.idx[0] == 0 && pk.one);
	ppg_bearer_sip_pick(&be, &p, NULL, PPG_TERMINAL_Q, 0, 100, &pk);
	CU_ASSERT(pk.n == 1 && pk.idx[0] == 1);   /* no q counts as 1.0; tie with C: the newer */
	ppg_bearer_sip_pick(&be, &p, NULL, PPG_TERMINAL_GRUU, 0, 100, &pk);
	CU_ASSERT(pk.n == 1 && pk.idx[0] == 0);
	ppg_bearer_sip_pick(&be, &p, NULL, PPG_TERMINAL_Q, 1, 100, &pk);
	CU_ASSERT(pk.n == 1 && pk.idx[0] == 0);   /* sessions: A alone takes them */
	/* the named instance, by pub-gruu or by +sip.instance */
	ppg_bearer_sip_pick(&be, &p, "sip:u@h;gr=urn:uuid:bbb", PPG_TERMINAL_ALL, 0, 100, &pk);
	CU_ASSERT(pk.n == 1 && pk.idx[0] == 1 && pk.policy == -1);
	ppg_bearer_sip_pick(&be, &p, "sip:u@h;gr=urn:uuid:aaa", PPG_TERMINAL_ALL, 0, 100, &pk);
	CU_ASSERT(pk.n == 1 && pk.idx[0] == 0);
	ppg_bearer_sip_pick(&be, &p, "sip:u@h;gr=urn:uuid:ccc", PPG_TERMINAL_ALL, 0, 100, &pk);
	CU_ASSERT_EQUAL(pk.napp, 0);
	/* capabilities: C does not take text/plain; wml.ua runs on A, B and (by
	 * its subscription) C */
	be.caps = caps;
	ppg_bearer_sip_pick(&be, &p, NULL, PPG_TERMINAL_ALL, 0, 100, &pk);
	CU_ASSERT(pk.napp == 3 && pk.nrefused == 1 && pk.n == 2);
	ppg_bearer_sip_pick(&be, &p, NULL, PPG_TERMINAL_Q, 0, 100, &pk);
	CU_ASSERT(pk.n == 1 && pk.idx[0] == 1);
	v[2].apps = "push.sia";
	snprintf(p.app, sizeof p.app, "wml.ua");
	p.content_type = "application/x";
	ppg_bearer_sip_pick(&be, &p, NULL, PPG_TERMINAL_ALL, 0, 100, &pk);
	CU_ASSERT(pk.napp == 3 && pk.nrefused == 1 && pk.n == 2 && pk.idx[0] == 1 && pk.idx[1] == 2);
	p.content_type = "image/png";
	ppg_bearer_sip_pick(&be, &p, NULL, PPG_TERMINAL_ALL, 0, 100, &pk);
	CU_ASSERT(pk.napp == 3 && pk.nrefused == 2 && pk.n == 1 && pk.idx[0] == 1);
	/* expired bindings are not terminals */
	ppg_bearer_sip_pick(&be, &p, NULL, PPG_TERMINAL_ALL, 0, 1000, &pk);
	CU_ASSERT_EQUAL(pk.napp, 0);
}

/* UAProf Push-Accept-AppID against a push's application (OMNA ids: URN,
 * short form, code; "*" and code 0 take any). */
static void test_takes_app(void)
{
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_app(NULL, "mms.ua"), 1);   /* it did not say */
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_app("*", "mms.ua"), 1);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_app("x-wap-application:*", "x-oma-nokia:call.ua"), 1);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_app("0", "mms.ua"), 1);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_app("x-wap-application:mms.ua", "mms.ua"), 1);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_app("X-WAP-APPLICATION:MMS.UA", "mms.ua"), 1);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_app("0x04", "mms.ua"), 1);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_app("wml.ua,4", "mms.ua"), 1);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_app("0x9002", "x-oma-nokia:call.ua"), 1);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_app("urn:example:app", "urn:example:app"), 1);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_app("x-wap-application:wml.ua,0x01", "mms.ua"), 0);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_app("0x05", "mms.ua"), 0);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_app("urn:example:app", "urn:example:other"), 0);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_app("", "mms.ua"), 0);
	CU_ASSERT_EQUAL(ppg_bearer_sip_takes_app("not an id,", "mms.ua"), 0);
}

/* A temp-gruu (RFC 5627 §3.2: opaque, a bare gr) names the binding that
 * holds it among the temp-gruus of its current Call-ID, whatever its user
 * part; the target resolves to that binding's AoR. */
static void test_temp_gruu(void)
{
	struct db_binding v[2] = {
		{ .contact = "sip:a@h", .apps = "mms.ua", .expires = 1000,
		  .temp_gruu = "sip:tgruu.1@h;gr <sip:tgruu.2@H;GR>" },
		{ .contact = "sip:b@h", .apps = "mms.ua", .expires = 1000, .gruu = "sip:u@h;gr=urn:uuid:bbb",
		  .temp_gruu = "sip:tgruu.3@h;gr" },
	};
	struct sip_bentry be = { .v = v, .n = 2 };   /* aor (a flexible array) is not read by the pick */
	struct ppg_push p = { .content_type = "text/plain" };
	struct sip_pick pk;
	snprintf(p.app, sizeof p.app, "mms.ua");

	CU_ASSERT_TRUE(ppg_bearer_sip_names(&v[0], "sip:tgruu.2@h;gr"));   /* an earlier one of the Call-ID */
	CU_ASSERT_TRUE(ppg_bearer_sip_names(&v[0], "sip:tgruu.1@h;gr"));
	CU_ASSERT_FALSE(ppg_bearer_sip_names(&v[0], "sip:tgruu.3@h;gr"));
	CU_ASSERT_FALSE(ppg_bearer_sip_names(&v[0], "sip:tgruu@h;gr"));
	CU_ASSERT_FALSE(ppg_bearer_sip_names(&v[0], "sip:TGRUU.1@h;gr"));   /* the user part is case-sensitive */
	CU_ASSERT_FALSE(ppg_bearer_sip_names(&v[1], "sip:u@h;gr"));
	ppg_bearer_sip_pick(&be, &p, "sip:tgruu.3@h;gr", PPG_TERMINAL_ALL, 0, 100, &pk);
	CU_ASSERT(pk.napp == 1 && pk.n == 1 && pk.idx[0] == 1 && pk.one && pk.policy == -1);
	ppg_bearer_sip_pick(&be, &p, "sip:tgruu.1@h;gr", PPG_TERMINAL_ALL, 0, 100, &pk);
	CU_ASSERT(pk.n == 1 && pk.idx[0] == 0 && pk.one);
	ppg_bearer_sip_pick(&be, &p, "sip:tgruu.9@h;gr", PPG_TERMINAL_ALL, 0, 100, &pk);
	CU_ASSERT_EQUAL(pk.napp, 0);

	/* the target's AoR: the owner's in the cache, else the URI's own */
	struct sip_bearer *s = calloc(1, sizeof *s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* a cache entry is one allocation with its AoR */
	struct sip_bentry *cached = calloc(1, sizeof *cached + sizeof "sip:u@h");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cached);
	*cached = be;
	memcpy(cached->aor, "sip:u@h", sizeof "sip:u@h");
	cached->next = NULL;
	s->bindings[ppg_hash_str(cached->aor) % SIP_BINDING_BUCKETS] = cached;
	CU_ASSERT_EQUAL_FATAL(ppg_bearer_sip_tgruu_add(s, cached), 0);
	CU_ASSERT_EQUAL(cached->ntents, 3);
	char aor[512];
	const char *g = ppg_bearer_sip_target_split(s, "sip:tgruu.2@h;gr", aor, sizeof aor, 100);
	CU_ASSERT_STRING_EQUAL(aor, "sip:u@h");
	CU_ASSERT_STRING_EQUAL(g, "sip:tgruu.2@h;gr");
	g = ppg_bearer_sip_target_split(s, "sip:tgruu.2@h;gr", aor, sizeof aor, 1000);   /* ended */
	CU_ASSERT_STRING_EQUAL(aor, "sip:tgruu.2@h");
	g = ppg_bearer_sip_target_split(s, "sip:tgruu.9@h;gr", aor, sizeof aor, 100);
	CU_ASSERT_STRING_EQUAL(aor, "sip:tgruu.9@h");
	g = ppg_bearer_sip_target_split(s, "sip:u@h;gr=urn:uuid:bbb", aor, sizeof aor, 100);
	CU_ASSERT_STRING_EQUAL(aor, "sip:u@h");
	g = ppg_bearer_sip_target_split(s, "sip:u@h", aor, sizeof aor, 100);
	CU_ASSERT_PTR_NULL(g);
	CU_ASSERT_STRING_EQUAL(aor, "sip:u@h");
	/* a binding dropped in place (the purge): its key no longer names it */
	cached->n = 1;
	CU_ASSERT_PTR_NULL(ppg_bearer_sip_reg_temp_owner(s, "sip:tgruu.3@h;gr", 100));
	CU_ASSERT_STRING_EQUAL(ppg_bearer_sip_reg_temp_owner(s, "sip:tgruu.1@h;gr", 100), "sip:u@h");
	/* the entry unindexed */
	ppg_bearer_sip_tgruu_remove(s, cached);
	CU_ASSERT_PTR_NULL(ppg_bearer_sip_reg_temp_owner(s, "sip:tgruu.1@h;gr", 100));
	for (unsigned h = 0; h < SIP_TGRUU_BUCKETS; h++)
		CU_ASSERT_PTR_NULL(s->tgruu[h]);
	free(cached);
	free(s);
}

/* A terminal whose UAProf Push-Accept-AppID leaves the application out is
 * refused like one that does not take the content type. */
static void test_pick_appids(void)
{
	struct db_binding v[2] = {
		{ .contact = "sip:a@h", .apps = "mms.ua", .expires = 1000 },
		{ .contact = "sip:b@h", .apps = "mms.ua", .expires = 1000 },
	};
	struct sip_tcaps caps[2] = { { .appids = "x-wap-application:wml.ua" }, { .appids = "0x04" } };
	struct sip_bentry be = { .v = v, .n = 2, .caps = caps };
	struct ppg_push p = { .content_type = "text/plain" };
	struct sip_pick pk;
	snprintf(p.app, sizeof p.app, "mms.ua");
	ppg_bearer_sip_pick(&be, &p, NULL, PPG_TERMINAL_ALL, 0, 100, &pk);
	CU_ASSERT(pk.napp == 2 && pk.nrefused == 1 && pk.n == 1 && pk.idx[0] == 1);
	caps[1].appids = "push.sia";
	ppg_bearer_sip_pick(&be, &p, NULL, PPG_TERMINAL_ALL, 0, 100, &pk);
	CU_ASSERT(pk.napp == 2 && pk.nrefused == 2 && pk.n == 0);   /* the bearer answers 2005 */
	caps[0].appids = "*";
	ppg_bearer_sip_pick(&be, &p, NULL, PPG_TERMINAL_ALL, 0, 100, &pk);
	CU_ASSERT(pk.n == 1 && pk.idx[0] == 0);
}

/* The ppgd_take payloads of a hand-off (ppg_bearer_sip_handoff.c): one
 * holder's dialogs together, none longer than the limit, every dialog named
 * once, a dialog too long for any replaced by the bare "AOR HOLDER". */
static void test_take_payloads(void)
{
	char cid[5][80];
	const char *node[6] = { "node-a", "node-c", "node-a", "node-a", "node-a", "node-c" };
	const char *call[6], *tag[6] = { "t0", "t1", "t2", "t3", "t4", "t5" };
	for (int i = 0; i < 5; i++) {
		memset(cid[i], 'a' + i, 40);
		snprintf(cid[i] + 40, sizeof cid[i] - 40, "@%d", i);
		call[i] = cid[i];
	}
	char huge[200];
	memset(huge, 'h', sizeof huge - 1);
	huge[sizeof huge - 1] = '\0';
	call[5] = huge;
	/* max 120: "sip:x@y node-a" (14) + two dialogs of 46 each */
	char *l = ppg_bearer_sip_take_payloads("sip:x@y", node, call, tag, 6, 120);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	/* node-a: dialogs 0 and 2, then 3 and 4; node-c: dialog 1, then the
	 * bare one for 5 */
	size_t k = 0, named[6] = { 0 };
	const char *p = l;
	char got[4][128];
	for (; *p && k < 4; p += strlen(p) + 1, k++) {
		CU_ASSERT(strlen(p) <= 120);
		snprintf(got[k], sizeof got[k], "%s", p);
		for (int i = 0; i < 6; i++) {
			char pair[300];
			snprintf(pair, sizeof pair, " %s %s", call[i], tag[i]);
			if (strstr(p, pair)) {
				named[i]++;
				CU_ASSERT(!strncmp(p, "sip:x@y ", 8) && !strncmp(p + 8, node[i], strlen(node[i])));
			}
		}
	}
	CU_ASSERT_EQUAL(*p, '\0');
	CU_ASSERT_EQUAL(k, 4);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(named[i], 1);
	CU_ASSERT_EQUAL(named[5], 0);
	CU_ASSERT(!strncmp(got[0], "sip:x@y node-a ", 15) && strstr(got[0], cid[0]) && strstr(got[0], cid[2]));
	CU_ASSERT(!strncmp(got[1], "sip:x@y node-a ", 15) && strstr(got[1], cid[3]) && strstr(got[1], cid[4]));
	CU_ASSERT(!strncmp(got[2], "sip:x@y node-c ", 15) && strstr(got[2], cid[1]));
	CU_ASSERT_STRING_EQUAL(got[3], "sip:x@y node-c");   /* dialog 5: too long for any */
	free(l);
	/* everything fits: one payload per holder */
	l = ppg_bearer_sip_take_payloads("sip:x@y", node, call, tag, 5, 7900);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT(!strncmp(l, "sip:x@y node-a ", 15));
	p = l + strlen(l) + 1;
	CU_ASSERT(!strncmp(p, "sip:x@y node-c ", 15));
	CU_ASSERT_EQUAL(p[strlen(p) + 1], '\0');
	free(l);
	CU_ASSERT_PTR_NULL(ppg_bearer_sip_take_payloads("sip:x@y", node, call, tag, 0, 7900));
}

/* A Call-ID with a space (sofia-sip takes "Call-ID: abc def" as one, as
 * the stored subscription does): the payload is split on spaces by the
 * holder (ppg_bearer_sip_take), so such a dialog must not be named as a
 * pair, which would shift every pair after it; the bare "AOR HOLDER" (any
 * live dialog of the AoR) goes instead, and the other dialogs stay pairs. */
static void test_take_payloads_space(void)
{
	const char *node[3] = { "node-a", "node-a", "node-a" };
	const char *call[3] = { "abc def@host", "c1@host", "c2@host" };
	const char *tag[3] = { "t0", "t1", "t2" };
	char *l = ppg_bearer_sip_take_payloads("sip:x@y", node, call, tag, 3, 7900);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	int bare = 0, pairs_ok = 1;
	size_t k = 0;
	for (const char *p = l; *p; p += strlen(p) + 1, k++) {
		CU_ASSERT(!strncmp(p, "sip:x@y node-a", 14));
		if (!strcmp(p, "sip:x@y node-a")) {
			bare++;
			continue;
		}
		/* what the holder reads: CALL-ID TAG pairs, each a known dialog */
		const char *q = p + 14;
		while (*q == ' ') {
			const char *c = q + 1, *t = c + strcspn(c, " ");
			if (*t != ' ') {
				pairs_ok = 0;
				break;
			}
			t++;
			size_t cl = (size_t)(t - 1 - c), tl = strcspn(t, " ");
			int known = 0;
			for (int i = 0; i < 3; i++)
				known |= strlen(call[i]) == cl && !strncmp(c, call[i], cl) && strlen(tag[i]) == tl &&
				    !strncmp(t, tag[i], tl);
			pairs_ok &= known;
			q = t + tl;
		}
		pairs_ok &= *q == '\0';
		CU_ASSERT(strstr(p, " c1@host t1") && strstr(p, " c2@host t2"));
	}
	CU_ASSERT(pairs_ok);
	CU_ASSERT_EQUAL(bare, 1);
	CU_ASSERT_EQUAL(k, 2);
	free(l);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("select", NULL, NULL);
	CU_add_test(s, "bearer selection and QoS", test_select);
	CU_add_test(s, "binding application lists", test_binding_supports);
	CU_add_test(s, "content types a terminal takes", test_takes_type);
	CU_add_test(s, "which terminals: policies, instance, capabilities", test_pick);
	CU_add_test(s, "UAProf Push-Accept-AppID values", test_takes_app);
	CU_add_test(s, "a temp-gruu names its terminal", test_temp_gruu);
	CU_add_test(s, "terminals refused by their Push-Accept-AppID", test_pick_appids);
	CU_add_test(s, "ppgd_take payloads under the NOTIFY limit", test_take_payloads);
	CU_add_test(s, "a Call-ID with a space goes as the bare AOR HOLDER", test_take_payloads_space);
	return tu_run();
}
