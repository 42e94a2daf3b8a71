/*
 * test_config.c - the configuration table, the shipped example config, good
 * and bad fixtures, address ranges, and the secret hashing of PI accounts.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppg/ppg_auth.h"
#include "ppg/ppg_config.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_tls.h"
#include "tests/test_util.h"

static const char *HASH = "$y$j9T$a0Uqbjr5KbTugiANdSjku/$xA9SCK3sFRXBBIHCRZR02cNeYeCpBgT9saYCxlsI7j.";

static void test_example_config(void)
{
	struct ppg_config *c = NULL;
	char err[512] = "";
	int r = ppg_config_load_file(tu_src("etc/ppgd.conf"), &c, err, sizeof err);
	CU_ASSERT_EQUAL_FATAL(r, 0);
	if (r)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_EQUAL(c->nlisten, 1);
	CU_ASSERT_EQUAL(c->listen[0].ss_family, AF_INET);
	CU_ASSERT_EQUAL(ntohs(((struct sockaddr_in *)&c->listen[0])->sin_port), 8080);
	CU_ASSERT_STRING_EQUAL(c->pap_path, "/pap");
	CU_ASSERT_EQUAL(c->success_status, 202);
	CU_ASSERT_EQUAL(c->max_body, 1024 * 1024);
	CU_ASSERT_EQUAL(c->db_sync_full, 1);
	CU_ASSERT_PTR_NULL(c->sender_address);
	const struct ppg_pi *pi = ppg_config_pi(c, "demo");
	CU_ASSERT_PTR_NOT_NULL_FATAL(pi);
	CU_ASSERT_EQUAL(pi->nallow, 2);
	ppg_config_free(c);
}

/* Every key of the table is documented in the shipped etc/ppgd.conf, in its section. */
static void test_every_key_documented(void)
{
	char *dump = NULL;
	size_t dlen = 0;
	FILE *f = open_memstream(&dump, &dlen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	ppg_config_dump_keys(f);
	fclose(f);
	char *conf = tu_read_file(tu_src("etc/ppgd.conf"), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
	char section[64] = "";
	int checked = 0;
	for (char *line = strtok(dump, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '[') {
			snprintf(section, sizeof section, "%s", line);
			continue;
		}
		if (line[0] == ';' || !strchr(line, '=') || !strncmp(section, "[pi", 3) ||
		    !strncmp(section, "[admin ", 7))
			continue;
		char key[64], want[80];
		sscanf(line, "%63s", key);
		const char *sec = strstr(conf, section);
		snprintf(want, sizeof want, "\n%s =", key);
		const char *next = sec ? strstr(sec + 1, "\n[") : NULL;
		const char *at = sec ? strstr(sec, want) : NULL;
		if (!sec || !at || (next && at > next)) {
			fprintf(stderr, "etc/ppgd.conf does not document %s %s\n", section, key);
			CU_FAIL("undocumented key");
		}
		checked++;
	}
	CU_ASSERT(checked > 50);
	free(conf);
	free(dump);
}

static void test_defaults_from_empty(void)
{
	struct ppg_config *c = NULL;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string("", &c, err, sizeof err), 0);
	CU_ASSERT_EQUAL(c->threads, 2);
	CU_ASSERT_EQUAL(c->batch_max, 512);
	CU_ASSERT_EQUAL(c->multiple_addresses, 1);
	CU_ASSERT_EQUAL(c->query_credentials, 0);
	CU_ASSERT_STRING_EQUAL(c->db_path, "var/ppgd.db");
	CU_ASSERT_PTR_NULL(c->pis);
	CU_ASSERT_EQUAL(c->log_target, PPG_LOG_TARGET_AUTO);
	ppg_config_free(c);
	/* the older key still works: syslog = yes is target = syslog */
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string("[log]\nsyslog = yes\n", &c, err, sizeof err), 0);
	CU_ASSERT_EQUAL(c->log_target, PPG_LOG_TARGET_SYSLOG);
	ppg_config_free(c);
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string("[log]\ntarget = JOURNAL\n", &c, err, sizeof err), 0);
	CU_ASSERT_EQUAL(c->log_target, PPG_LOG_TARGET_JOURNAL);
	ppg_config_free(c);
}

struct bad_case {
	const char *text;
	int line;
	const char *needle;
};

static void test_bad_strings(void)
{
	static const struct bad_case cases[] = {
		{ "[server]\nlisten = 127.0.0.1:8080\nbogus = 1\n", 3, "unknown key \"bogus\"" },
		{ "[nosuch]\nx = 1\n", 1, "unknown section [nosuch]" },
		{ "[server]\nlisten = 127.0.0.1:99999\n", 2, "listen" },
		{ "[server]\nlisten = 127.0.0.1\n", 2, "listen" },
		{ "[server]\nsuccess_status = 500\n", 2, "200 or 202" },
		{ "[server]\nmax_body = 12Q\n", 2, "max_body" },
		{ "[server]\nthreads = 0\n", 2, "threads" },
		{ "[server]\npap_path = pap\n", 2, "pap_path" },
		{ "[database]\nsynchronous = sometimes\n", 2, "full or normal" },
		{ "[log]\nlevel = loud\n", 2, "level" },
		{ "[log]\n\nlevels = sip:loud\n", 3, "CATEGORY:LEVEL" },
		{ "[log]\nlevels = radio:debug\n", 2, "CATEGORY:LEVEL" },
		{ "[log]\nlevels = debug\n", 2, "CATEGORY:LEVEL" },
		{ "[log]\nlevels = sip:debug, smpp\n", 2, "CATEGORY:LEVEL" },
		{ "[log]\nlevels = :debug\n", 2, "CATEGORY:LEVEL" },
		{ "[log]\ntarget = console\n", 2, "auto, stderr, journal or syslog" },
		{ "\n[log]\nsyslog = yes\ntarget = journal\n", 2, "syslog = yes contradicts target = journal" },
		{ "\n\n[pi alice]\nsecret_hash = plaintext\n", 4, "plaintext secrets are refused" },
		{ "[pi alice]\nallow = 10.0.0.0/33\nsecret_hash = $y$j9T$a0Uqbjr5KbTugiANdSjku/$x\n", 2, "CIDR" },
		{ "[server]\n\n[pi bob]\nallow = 127.0.0.1\n", 3, "no secret_hash" },
		{ "[server]\nthis is not ini\n", 2, "syntax error" },
		{ "[sip]\nno_binding = maybe\n", 2, "wait or fail" },
		{ "[sip]\nterminal = one\n", 2, "all, last, q or gruu" },
		{ "\n[sip]\nterminal_policy = mms.ua=first\n", 2, "terminal_policy" },
		{ "\n[sip]\nterminal_policy = mms.ua\n", 2, "APP=POLICY" },
		{ "[sip]\nlisten = http://x\n", 2, "sip: or sips:" },
		{ "[sip]\ntrusted_cores = 10.0.0.0/8, nope\n", 2, "CIDR" },
		{ "[server]\n[sip]\nlisten = sip:127.0.0.1:5060, sip:127.0.0.1:5062\n", 2,
		  "more than one UDP/TCP URI" },
		{ "[sip]\nlisten = sip:127.0.0.1:5060, http://x\n", 1, "\"http://x\" is not a sip: or sips: URI" },
		{ "[sip]\nlisten = sip:127.0.0.1:5060, , sips:127.0.0.1:5061\n", 1, "comma-separated list" },
		{ "\n[sip]\nenabled = yes\nlisten = sips:127.0.0.1:5061\n", 2, "tls_certificate is not set" },
		{ "[sip]\nenabled = yes\nlisten = sip:127.0.0.1:5060\noutbound_proxy = sip:core;transport=TLS\n", 1,
		  "listen needs a TLS URI" },
		{ "[sip]\nplmn_aor = tel:%d\n", 2, "one %s" },
		{ "[sip]\nplmn_aor = tel:%s%s\n", 2, "one %s" },
		{ "\n[sip]\nretry_min = 50\nretry_max = 10\n", 2, "retry_min is above retry_max" },
		{ "[apps]\nx-acme:alert.ua = 0x9001\n", 2, "not an application id" },
		{ "[apps]\n0x9001 = no-colon\n", 2, "not an application id URN" },
		{ "[apps]\n0x9001 = x-a:b.ua\n36865 = x-a:c.ua\n", 3, "twice" },
		{ "[pi q]\nsecret_hash = $y$j9T$a0Uqbjr5KbTugiANdSjku/$x\nmax_rate = fast\n", 3, "max_rate of [pi q]" },
		{ "[pi q]\nmax_pending_bytes = 1G\nsecret_hash = $y$j9T$a0Uqbjr5KbTugiANdSjku/$x\n", 2,
		  "max_pending_bytes" },
		{ "[server]\nrequest_timeout = 0\n", 2, "request_timeout" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ppg_config *c = NULL;
		char err[512] = "", want[32];
		int r = ppg_config_load_string(cases[i].text, &c, err, sizeof err);
		CU_ASSERT_EQUAL(r, -EINVAL);
		CU_ASSERT_PTR_NULL(c);
		snprintf(want, sizeof want, ":%d: ", cases[i].line);
		if (!strstr(err, want) || !strstr(err, cases[i].needle)) {
			fprintf(stderr, "case %zu: got \"%s\", want line %d and \"%s\"\n", i, err, cases[i].line,
			    cases[i].needle);
			CU_FAIL("error message does not name the line and the reason");
		}
		ppg_config_free(c);
	}
}

static void test_listen_and_pis(void)
{
	char text[1024];
	struct ppg_config *c = NULL;
	char err[256];
	snprintf(text, sizeof text,
	    "[server]\nlisten = 127.0.0.1:18080, [::1]:18081\nsuccess_status = 200\nmax_body = 64k\n"
	    "[pi alice]\nsecret_hash = %s\nallow = 10.1.0.0/16, 2001:db8::/32\n"
	    "[pi bob]\nsecret_hash = %s\n", HASH, HASH);
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string(text, &c, err, sizeof err), 0);
	CU_ASSERT_EQUAL(c->nlisten, 2);
	CU_ASSERT_EQUAL(c->listen[1].ss_family, AF_INET6);
	CU_ASSERT_EQUAL(c->success_status, 200);
	CU_ASSERT_EQUAL(c->max_body, 65536);

	const struct ppg_pi *alice = ppg_config_pi(c, "alice"), *bob = ppg_config_pi(c, "bob");
	CU_ASSERT_PTR_NOT_NULL_FATAL(alice);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bob);
	CU_ASSERT_PTR_NULL(ppg_config_pi(c, "carol"));

	struct sockaddr_in in4 = { .sin_family = AF_INET };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	inet_pton(AF_INET, "10.1.200.3", &in4.sin_addr);
	CU_ASSERT_TRUE(ppg_cidr_pi_allows(alice, (struct sockaddr *)&in4));
	inet_pton(AF_INET, "10.2.0.1", &in4.sin_addr);
	CU_ASSERT_FALSE(ppg_cidr_pi_allows(alice, (struct sockaddr *)&in4));
	CU_ASSERT_TRUE(ppg_cidr_pi_allows(bob, (struct sockaddr *)&in4));   /* no ranges: any */
	inet_pton(AF_INET6, "2001:db8:ffff::1", &in6.sin6_addr);
	CU_ASSERT_TRUE(ppg_cidr_pi_allows(alice, (struct sockaddr *)&in6));
	inet_pton(AF_INET6, "2001:db9::1", &in6.sin6_addr);
	CU_ASSERT_FALSE(ppg_cidr_pi_allows(alice, (struct sockaddr *)&in6));
	inet_pton(AF_INET6, "::ffff:10.1.2.3", &in6.sin6_addr);   /* v4-mapped on a dual-stack socket */
	CU_ASSERT_TRUE(ppg_cidr_pi_allows(alice, (struct sockaddr *)&in6));
	ppg_config_free(c);
}

/* [sip] listen: the UDP/TCP URI and the TLS one (as sofia-sip binds it). */
static void test_sip_listen_tls(void)
{
	struct ppg_config *c = NULL;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string("[sip]\nlisten = sip:127.0.0.1:5070, "
	    "sip:127.0.0.1:5071;transport=TLS;maddr=127.0.0.2\n", &c, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(c->sip_listen_udp, "sip:127.0.0.1:5070");
	CU_ASSERT_STRING_EQUAL(c->sip_listen_tls, "sips:127.0.0.1:5071;maddr=127.0.0.2");
	CU_ASSERT_TRUE(c->sip_tls_verify);          /* the default */
	CU_ASSERT_FALSE(c->sip_tls_verify_client);
	CU_ASSERT_PTR_NULL(c->sip_tls_certificate);
	ppg_config_free(c);
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string("[sip]\nlisten = sips:[::1]:5061\n", &c, err, sizeof err), 0);
	CU_ASSERT_PTR_NULL(c->sip_listen_udp);
	CU_ASSERT_STRING_EQUAL(c->sip_listen_tls, "sips:[::1]:5061");
	ppg_config_free(c);
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string("", &c, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(c->sip_listen_udp, "sip:127.0.0.1:5060");
	CU_ASSERT_PTR_NULL(c->sip_listen_tls);
	ppg_config_free(c);
	CU_ASSERT_TRUE(ppg_config_uri_is_tls("sips:core.example"));
	CU_ASSERT_TRUE(ppg_config_uri_is_tls("sip:core.example:5061;lr;transport=tls"));
	CU_ASSERT_TRUE(ppg_config_uri_is_tls("SIP:core.example;Transport=TLS"));
	CU_ASSERT_FALSE(ppg_config_uri_is_tls("sip:core.example;transport=tcp"));
	CU_ASSERT_FALSE(ppg_config_uri_is_tls("sip:core.example;transport=tlsx"));
	CU_ASSERT_FALSE(ppg_config_uri_is_tls("sip:tls.example"));
	CU_ASSERT_FALSE(ppg_config_uri_is_tls(NULL));
}

static void test_sip_and_apps(void)
{
	struct ppg_config *c = NULL;
	char err[256];
	const char *text =
	    "[sip]\nenabled = yes\nlisten = sip:127.0.0.1:5070\noutbound_proxy = sip:127.0.0.1:5060;lr\n"
	    "p_asserted_identity = <sip:ppg@example.net>\ntrusted_cores = 10.0.0.0/8\n"
	    "no_binding = fail\nterminal = gruu\nplmn_aor = sip:%s@ims.example.net;user=phone\n"
	    "[apps]\n0x9001 = x-acme:alert.ua\n36866 = x-acme:other.ua\n";
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string(text, &c, err, sizeof err), 0);
	CU_ASSERT_TRUE(c->sip_enabled);
	CU_ASSERT_STRING_EQUAL(c->sip_listen, "sip:127.0.0.1:5070");
	CU_ASSERT_STRING_EQUAL(c->sip_outbound_proxy, "sip:127.0.0.1:5060;lr");
	CU_ASSERT_STRING_EQUAL(c->sip_pai, "<sip:ppg@example.net>");
	CU_ASSERT_EQUAL(c->sip_ntrusted, 1);
	CU_ASSERT_EQUAL(c->sip_no_binding, PPG_NO_BINDING_FAIL);
	CU_ASSERT_EQUAL(c->sip_terminal, PPG_TERMINAL_GRUU);
	CU_ASSERT_EQUAL(ppg_config_terminal_for(c, "mms.ua"), PPG_TERMINAL_GRUU);   /* no terminal_policy */
	CU_ASSERT_EQUAL(c->sip_indirection_threshold, 1300);
	CU_ASSERT_PTR_NULL(c->sip_content_base);
	CU_ASSERT_STRING_EQUAL(ppg_config_app_urn(c, 0x9001), "x-acme:alert.ua");
	CU_ASSERT_STRING_EQUAL(ppg_config_app_urn(c, 0x9002), "x-acme:other.ua");
	CU_ASSERT_PTR_NULL(ppg_config_app_urn(c, 4));
	ppg_config_free(c);
	/* terminal_policy: per application, the others take terminal */
	c = NULL;
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string("[sip]\nterminal = q\nterminal_policy = mms.ua = last, "
	    "x-oma-application:push.syncml=ALL,push.sia=gruu\n", &c, err, sizeof err), 0);
	CU_ASSERT_EQUAL(ppg_config_terminal_for(c, "mms.ua"), PPG_TERMINAL_LAST);
	CU_ASSERT_EQUAL(ppg_config_terminal_for(c, "MMS.UA"), PPG_TERMINAL_LAST);
	CU_ASSERT_EQUAL(ppg_config_terminal_for(c, "x-oma-application:push.syncml"), PPG_TERMINAL_ALL);
	CU_ASSERT_EQUAL(ppg_config_terminal_for(c, "push.sia"), PPG_TERMINAL_GRUU);
	CU_ASSERT_EQUAL(ppg_config_terminal_for(c, "wml.ua"), PPG_TERMINAL_Q);
	CU_ASSERT_EQUAL(ppg_config_terminal_for(c, "mms"), PPG_TERMINAL_Q);
	ppg_config_free(c);
	/* defaults: SIP off, wait for a registration, every terminal */
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string("", &c, err, sizeof err), 0);
	CU_ASSERT_FALSE(c->sip_enabled);
	CU_ASSERT_PTR_NULL(c->sip_outbound_proxy);
	CU_ASSERT_EQUAL(c->sip_no_binding, PPG_NO_BINDING_WAIT);
	CU_ASSERT_EQUAL(c->sip_terminal, PPG_TERMINAL_ALL);
	CU_ASSERT_EQUAL(c->sip_ntrusted, 2);
	CU_ASSERT_STRING_EQUAL(c->sip_plmn_aor, "tel:%s");
	/* P-Asserted-Identity defaults to the gateway's own identity, its From
	 * (a terminal checks it: OMA-TS-SIP_Push §9.1.1 item 6) */
	CU_ASSERT_STRING_EQUAL(c->sip_from, "sip:ppgd@localhost");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c->sip_pai);
	CU_ASSERT_STRING_EQUAL(c->sip_pai, "<sip:ppgd@localhost>");
	ppg_config_free(c);
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string("[sip]\nfrom = sip:push@operator.example\n", &c, err,
	    sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(c->sip_pai, "<sip:push@operator.example>");
	ppg_config_free(c);
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string("[sip]\np_asserted_identity = from\n"
	    "from = sip:push@operator.example\n", &c, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(c->sip_pai, "<sip:push@operator.example>");
	ppg_config_free(c);
	/* none, or an explicitly empty value: no header */
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string("[sip]\np_asserted_identity = none\n", &c, err,
	    sizeof err), 0);
	CU_ASSERT_PTR_NULL(c->sip_pai);
	ppg_config_free(c);
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string("[sip]\np_asserted_identity =\n", &c, err,
	    sizeof err), 0);
	CU_ASSERT_PTR_NULL(c->sip_pai);
	ppg_config_free(c);
}

/* [log] level is every category's threshold; levels overrides some. */
static void test_log_levels(void)
{
	struct ppg_config *c = NULL;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string("", &c, err, sizeof err), 0);
	CU_ASSERT_EQUAL(c->log_level, LOG_INFO);
	for (int i = 0; i < PPG_LOG_NCAT; i++)
		CU_ASSERT_EQUAL(c->log_cat_level[i], -1);
	ppg_config_free(c);

	const char *text = "[log]\nlevel = warning\nlevels = sip:debug,SMPP : debug , http:err, notify:info\n";
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string(text, &c, err, sizeof err), 0);
	CU_ASSERT_EQUAL(c->log_level, LOG_WARNING);
	CU_ASSERT_EQUAL(c->log_cat_level[PPG_LOG_SIP], LOG_DEBUG);
	CU_ASSERT_EQUAL(c->log_cat_level[PPG_LOG_SMPP], LOG_DEBUG);
	CU_ASSERT_EQUAL(c->log_cat_level[PPG_LOG_HTTP], LOG_ERR);
	CU_ASSERT_EQUAL(c->log_cat_level[PPG_LOG_NOTIFY], LOG_INFO);
	CU_ASSERT_EQUAL(c->log_cat_level[PPG_LOG_CORE], -1);
	CU_ASSERT_EQUAL(c->log_cat_level[PPG_LOG_OTA], -1);
	ppg_config_free(c);

	/* Every category name is accepted, and names what ppg_log prints. */
	for (int i = 0; i < PPG_LOG_NCAT; i++) {
		char one[64];
		snprintf(one, sizeof one, "[log]\nlevels = %s:notice\n", ppg_log_cat_name((enum ppg_log_cat)i));
		CU_ASSERT_EQUAL_FATAL(ppg_config_load_string(one, &c, err, sizeof err), 0);
		CU_ASSERT_EQUAL(c->log_cat_level[i], LOG_NOTICE);
		CU_ASSERT_EQUAL(ppg_log_cat_parse(ppg_log_cat_name((enum ppg_log_cat)i)), i);
		ppg_config_free(c);
	}
	CU_ASSERT_EQUAL(ppg_log_cat_parse("nosuch"), -1);

	/* The thresholds apply per category. */
	ppg_log_init(LOG_WARNING, 0);
	ppg_log_set_level(PPG_LOG_SIP, LOG_DEBUG);
	CU_ASSERT_TRUE(ppg_log_enabled(PPG_LOG_SIP, LOG_DEBUG));
	CU_ASSERT_FALSE(ppg_log_enabled(PPG_LOG_SMPP, LOG_INFO));
	CU_ASSERT_TRUE(ppg_log_enabled(PPG_LOG_SMPP, LOG_WARNING));
	ppg_log_init(LOG_INFO, 0);
	CU_ASSERT_FALSE(ppg_log_enabled(PPG_LOG_SIP, LOG_DEBUG));
	CU_ASSERT_TRUE(ppg_log_enabled(PPG_LOG_SIP, LOG_INFO));
}

static void test_auth(void)
{
	char text[1024], err[256];
	struct ppg_config *c = NULL;
	char *h = ppg_auth_hash_secret("s3cret");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_NSTRING_EQUAL(h, "$y$", 3);
	CU_ASSERT_PTR_NULL(strstr(h, "s3cret"));
	snprintf(text, sizeof text, "[pi alice]\nsecret_hash = %s\nallow = 127.0.0.0/8\n", h);
	free(h);
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string(text, &c, err, sizeof err), 0);
	struct ppg_auth *a = ppg_auth_new(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);

	struct sockaddr_in lo = { .sin_family = AF_INET }, far = { .sin_family = AF_INET };
	inet_pton(AF_INET, "127.0.0.1", &lo.sin_addr);
	inet_pton(AF_INET, "192.0.2.7", &far.sin_addr);
	const struct ppg_pi *pi;
	unsigned delay;

	CU_ASSERT_EQUAL(ppg_auth_check(a, "alice", "s3cret", (struct sockaddr *)&lo, &pi, &delay), PPG_AUTH_OK);
	CU_ASSERT_PTR_NOT_NULL(pi);
	CU_ASSERT_EQUAL(ppg_auth_check(a, "alice", "s3cret", (struct sockaddr *)&far, &pi, &delay),
	    PPG_AUTH_FORBIDDEN);
	/* Failures from one address: the delay grows, the right secret still passes at once. */
	unsigned last = 0;
	for (int i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(ppg_auth_check(a, "alice", "wrong", (struct sockaddr *)&lo, &pi, &delay),
		    PPG_AUTH_FAIL);
		CU_ASSERT_TRUE(i == 0 ? delay == 0 : delay > last);
		last = delay;
	}
	CU_ASSERT_TRUE(last >= 800);
	CU_ASSERT_EQUAL(ppg_auth_check(a, "alice", "s3cret", (struct sockaddr *)&lo, &pi, &delay), PPG_AUTH_OK);
	CU_ASSERT_EQUAL(delay, 0);
	CU_ASSERT_EQUAL(ppg_auth_check(a, "mallory", "s3cret", (struct sockaddr *)&lo, &pi, &delay), PPG_AUTH_FAIL);
	CU_ASSERT_EQUAL(ppg_auth_check(a, "alice", NULL, (struct sockaddr *)&lo, &pi, &delay), PPG_AUTH_FAIL);
	/* A prefix of the secret is not the secret (cache compare is exact). */
	CU_ASSERT_EQUAL(ppg_auth_check(a, "alice", "s3cre", (struct sockaddr *)&lo, &pi, &delay), PPG_AUTH_FAIL);
	CU_ASSERT_EQUAL(ppg_auth_check(a, "alice", "s3cret!", (struct sockaddr *)&lo, &pi, &delay), PPG_AUTH_FAIL);
	ppg_auth_free(a);
	ppg_config_free(c);
}

static void on_diff(const char *section, const char *key, int reloadable, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);
	snprintf(out + n, 512 - n, "%s.%s=%d ", section, key, reloadable);
}

/* TLS keys: fingerprints, whole-file checks, what authenticates whom
 * (README "TLS"), and which changes a reload applies. */
static void test_tls_keys(void)
{
	char text[2048], err[512];
	struct ppg_config *c = NULL;
	static const char *fp_hex = "9CB220E7A13ABB3FC3CEAB94C1F724B0A0D86606392085A4B015FEB1A5756F88";
	static const char *fp_colons =
	    "sha256:9c:b2:20:e7:a1:3a:bb:3f:c3:ce:ab:94:c1:f7:24:b0:a0:d8:66:06:39:20:85:a4:b0:15:fe:b1:a5:75:6f:88";
	const char *tls = "[server]\ntls_certificate = /c.pem\ntls_key = /k.pem\ntls_client_ca = /ca.pem\n";

	snprintf(text, sizeof text, "%s[pi a]\ntls_fingerprint = %s, %s\n[pi b]\nsecret_hash = %s\n"
	    "tls_subject = CN=b,O=Operator\n", tls, fp_hex, fp_colons, HASH);
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string(text, &c, err, sizeof err), 0);
	const struct ppg_pi *a = ppg_config_pi(c, "a"), *b = ppg_config_pi(c, "b");
	CU_ASSERT_FATAL(a && b);
	CU_ASSERT_EQUAL(a->ntls_fp, 2);
	CU_ASSERT(!memcmp(a->tls_fp[0], a->tls_fp[1], PPG_TLS_FP_LEN));
	CU_ASSERT_EQUAL(a->tls_fp[0][0], 0x9c);
	CU_ASSERT_EQUAL(a->tls_fp[0][31], 0x88);
	CU_ASSERT_PTR_NULL(a->secret_hash);
	CU_ASSERT_STRING_EQUAL(c->tls.priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2");
	CU_ASSERT_EQUAL(c->tls.client_required, 0);

	/* Who gets in: a (certificate alone), b (secret and certificate). */
	struct ppg_auth *au = ppg_auth_new(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(au);
	struct sockaddr_in lo = { .sin_family = AF_INET };
	inet_pton(AF_INET, "127.0.0.1", &lo.sin_addr);
	const struct sockaddr *sa = (const struct sockaddr *)&lo;
	struct ppg_tls_peer good = { .present = 1, .verified = 1 }, bad = good, unverified = good, bsubj = good;
	memcpy(good.sha256, a->tls_fp[0], PPG_TLS_FP_LEN);
	snprintf(good.subject, sizeof good.subject, "CN=a");
	bad.sha256[0] = 1;
	memcpy(unverified.sha256, a->tls_fp[0], PPG_TLS_FP_LEN);
	unverified.verified = 0;
	snprintf(bsubj.subject, sizeof bsubj.subject, "CN=b,O=Operator");
	const struct ppg_pi *pi = NULL;
	unsigned delay;
	char why[320];
	CU_ASSERT_EQUAL(ppg_auth_check_peer(au, NULL, NULL, sa, &good, &pi, &delay, why, sizeof why), PPG_AUTH_OK);
	CU_ASSERT(pi && !strcmp(pi->name, "a"));
	ppg_auth_release(au, pi);
	CU_ASSERT_EQUAL(ppg_auth_check_peer(au, "a", "anything", sa, &good, &pi, &delay, why, sizeof why), PPG_AUTH_OK);
	ppg_auth_release(au, pi);
	CU_ASSERT_EQUAL(ppg_auth_check_peer(au, NULL, NULL, sa, &bad, &pi, &delay, why, sizeof why), PPG_AUTH_FAIL);
	CU_ASSERT_EQUAL(ppg_auth_check_peer(au, "a", NULL, sa, &bad, &pi, &delay, why, sizeof why), PPG_AUTH_FAIL);
	CU_ASSERT(strstr(why, "not in tls_fingerprint") != NULL);
	CU_ASSERT_EQUAL(ppg_auth_check_peer(au, "a", NULL, sa, &unverified, &pi, &delay, why, sizeof why), PPG_AUTH_FAIL);
	CU_ASSERT(strstr(why, "not verified") != NULL);
	CU_ASSERT_EQUAL(ppg_auth_check_peer(au, "a", NULL, sa, NULL, &pi, &delay, why, sizeof why), PPG_AUTH_FAIL);
	CU_ASSERT_STRING_EQUAL(why, "no client certificate");
	/* b: the certificate alone is not enough, the secret alone neither */
	CU_ASSERT_EQUAL(ppg_auth_check_peer(au, NULL, NULL, sa, &bsubj, &pi, &delay, why, sizeof why), PPG_AUTH_FAIL);
	CU_ASSERT_EQUAL(ppg_auth_check_peer(au, "b", "s3cret", sa, &bsubj, &pi, &delay, why, sizeof why), PPG_AUTH_FAIL);
	CU_ASSERT_EQUAL(ppg_auth_check_peer(au, "b", "demo-secret", sa, NULL, &pi, &delay, why, sizeof why),
	    PPG_AUTH_CERT);
	CU_ASSERT_EQUAL(ppg_auth_check_peer(au, "b", "demo-secret", sa, &good, &pi, &delay, why, sizeof why),
	    PPG_AUTH_CERT);
	CU_ASSERT(strstr(why, "is not \"CN=b,O=Operator\"") != NULL);
	CU_ASSERT_EQUAL(ppg_auth_check_peer(au, "b", "demo-secret", sa, &bsubj, &pi, &delay, why, sizeof why),
	    PPG_AUTH_OK);
	ppg_auth_release(au, pi);
	ppg_auth_free(au);

	/* A reload: new rules apply; certificate files are live while TLS stays on. */
	struct ppg_config *c2 = NULL, *plain = NULL;
	snprintf(text, sizeof text, "%s[pi a]\ntls_fingerprint = %s\ntls_subject = CN=a\n[pi b]\nsecret_hash = %s\n"
	    "tls_subject = CN=b,O=Operator\n", "[server]\ntls_certificate = /c2.pem\ntls_key = /k2.pem\n"
	    "tls_client_ca = /ca.pem\ntls_client_auth = required\n", fp_hex, HASH);
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string(text, &c2, err, sizeof err), 0);
	char out[512] = "";
	ppg_config_diff(c, c2, on_diff, out);
	CU_ASSERT_STRING_EQUAL(out, "server.tls_certificate=1 server.tls_key=1 server.tls_client_auth=1 pi.a=1 ");
	snprintf(text, sizeof text, "[pi b]\nsecret_hash = %s\n", HASH);
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string(text, &plain, err, sizeof err), 0);
	out[0] = '\0';
	ppg_config_diff(plain, c2, on_diff, out);
	CU_ASSERT(strstr(out, "server.tls_certificate=0 ") != NULL);   /* TLS on: a restart */
	ppg_config_free(plain);
	ppg_config_free(c2);
	ppg_config_free(c);

	static const struct { const char *text, *needle; } bad_cases[] = {
		{ "[server]\ntls_key = /k.pem\n", "tls_certificate and tls_key go together" },
		{ "[server]\ntls_certificate = /c\ntls_key = /k\ntls_client_auth = required\n", "needs tls_client_ca" },
		{ "[server]\ntls_client_auth = sometimes\n", "optional or required" },
		{ "[server]\ntls_certificate = /c\ntls_key = /k\ntls_client_ca = /ca\n[pi x]\ntls_subject = CN=x\n"
		  "[pi y]\ntls_subject = CN=x\n", "one client certificate could match both" },
		{ "[server]\ntls_certificate = /c\ntls_key = /k\ntls_client_ca = /ca\n[pi x]\ntls_subject = cn x\n",
		  "not a distinguished name" },
		{ "[admin q]\ntls_fingerprint = 9CB220E7A13ABB3FC3CEAB94C1F724B0A0D86606392085A4B015FEB1A5756F88\n",
		  "[admin] tls_client_ca" },
	};
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		struct ppg_config *x = NULL;
		err[0] = '\0';
		CU_ASSERT_EQUAL(ppg_config_load_string(bad_cases[i].text, &x, err, sizeof err), -EINVAL);
		if (!strstr(err, bad_cases[i].needle)) {
			fprintf(stderr, "tls case %zu: got \"%s\", want \"%s\"\n", i, err, bad_cases[i].needle);
			CU_FAIL("wrong error");
		}
		ppg_config_free(x);
	}
	/* five fingerprints: at most four */
	snprintf(text, sizeof text, "%s[pi a]\ntls_fingerprint = %s,%s,%s,%s,%s\n", tls, fp_hex, fp_hex, fp_hex, fp_hex,
	    fp_hex);
	CU_ASSERT_EQUAL(ppg_config_load_string(text, &c, err, sizeof err), -EINVAL);
	CU_ASSERT(strstr(err, "at most 4") != NULL);
}

/* tests/fixtures/load_tls.conf: the TLS keys of both listeners and of the
 * accounts load (the files they name are read at start, not here: so this
 * fixture is no ok_* one, which ppgd -t must pass in test_integration). */
static void test_fixture_tls(void)
{
	char err[512] = "";
	struct ppg_config *c = NULL;
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_file(tu_src("tests/fixtures/load_tls.conf"), &c, err, sizeof err), 0);
	CU_ASSERT_EQUAL(c->tls.client_required, 0);
	CU_ASSERT_EQUAL(c->admin_tls.client_required, 1);
	const struct ppg_pi *mail = ppg_config_pi(c, "mail"), *mmsc = ppg_config_pi(c, "mmsc");
	CU_ASSERT_PTR_NOT_NULL(ppg_config_admin(c, "ops"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(mail);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mmsc);
	CU_ASSERT_EQUAL(mail->ntls_fp, 2);
	CU_ASSERT_EQUAL(mmsc->ntls_fp, 1);
	CU_ASSERT_STRING_EQUAL(mmsc->tls_subject, "CN=mmsc,O=Operator,C=FI");
	ppg_config_free(c);
}

/* tests/fixtures: ok_*.conf load; fail_*.conf fail on the line their first
 * line announces ("; expect-line: N"). */
static void test_fixtures(void)
{
	const char *dir = tu_src("tests/fixtures");
	char dpath[4096];
	snprintf(dpath, sizeof dpath, "%s", dir);
	DIR *d = opendir(dpath);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	struct dirent *e;
	int seen_ok = 0, seen_fail = 0;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".conf"))
			continue;
		char path[4096 + 256], err[512] = "";
		snprintf(path, sizeof path, "%s/%s", dpath, e->d_name);
		struct ppg_config *c = NULL;
		int r = ppg_config_load_file(path, &c, err, sizeof err);
		if (!strncmp(e->d_name, "ok_", 3)) {
			seen_ok++;
			if (r)
				fprintf(stderr, "%s: %s\n", e->d_name, err);
			CU_ASSERT_EQUAL(r, 0);
		} else if (!strncmp(e->d_name, "fail_", 5)) {
			seen_fail++;
			CU_ASSERT_EQUAL(r, -EINVAL);
			char *text = tu_read_file(path, NULL);
			const char *m = text ? strstr(text, "expect-line:") : NULL;
			CU_ASSERT_PTR_NOT_NULL(m);
			if (m) {
				char want[64];
				snprintf(want, sizeof want, ":%d: ", atoi(m + 12));
				if (!strstr(err, want))
					fprintf(stderr, "%s: got \"%s\", want line %d\n", e->d_name, err, atoi(m + 12));
				CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
			}
			free(text);
		}
		ppg_config_free(c);
	}
	closedir(d);
	CU_ASSERT_TRUE(seen_ok >= 1);
	CU_ASSERT_TRUE(seen_fail >= 3);
}


/* [admin] keys and [admin NAME] accounts, kept apart from the PIs. */
static void test_admin(void)
{
	struct ppg_config *c = NULL;
	char err[256], text[1024];

	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string("", &c, err, sizeof err), 0);
	CU_ASSERT_EQUAL(c->admin_enabled, 0);
	CU_ASSERT_EQUAL(c->admin_listen.ss_family, AF_INET);
	CU_ASSERT_EQUAL(ntohs(((struct sockaddr_in *)&c->admin_listen)->sin_port), 8081);
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&c->admin_listen)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	CU_ASSERT_PTR_NULL(c->admins);
	ppg_config_free(c);

	snprintf(text, sizeof text, "[admin]\nenabled = yes\nlisten = [::1]:9091\n"
	    "[admin ops]\nsecret_hash = %s\nallow = 127.0.0.0/8\n[pi ops]\nsecret_hash = %s\n", HASH, HASH);
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string(text, &c, err, sizeof err), 0);
	CU_ASSERT_EQUAL(c->admin_enabled, 1);
	CU_ASSERT_EQUAL(c->admin_listen.ss_family, AF_INET6);
	const struct ppg_pi *a = ppg_config_admin(c, "ops");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->nallow, 1);
	CU_ASSERT_PTR_NOT_NULL(ppg_config_pi(c, "ops"));   /* a PI of the same name is another account */
	CU_ASSERT_PTR_NULL(ppg_config_admin(c, "nobody"));
	ppg_config_free(c);

	CU_ASSERT(ppg_config_load_string("[admin ops]\nallow = 127.0.0.0/8\n", &c, err, sizeof err) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[admin ops] has no secret_hash"));
	CU_ASSERT(ppg_config_load_string("[admin ops]\nsecret_hash = plain\n", &c, err, sizeof err) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "plaintext"));
	CU_ASSERT(ppg_config_load_string("[admin]\nlisten = nowhere\n", &c, err, sizeof err) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2: listen"));
	ppg_config_free(c);
}

/* The quotas of a [pi] section: its own keys, else the [server] defaults
 * (wherever [server] is in the file); the request deadline keys. */
static void test_limits(void)
{
	struct ppg_config *c = NULL;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string(
	    "[pi a]\nsecret_hash = $y$j9T$a0Uqbjr5KbTugiANdSjku/$x\nmax_rate = 3\nmax_pending_bytes = 2k\n"
	    "[pi b]\nsecret_hash = $y$j9T$a0Uqbjr5KbTugiANdSjku/$x\nmax_pending = 0\n"
	    "[server]\nmax_rate = 50\nmax_pending = 100\nmax_pending_bytes = 1M\nmax_pending_deliveries = 9\n"
	    "request_timeout = 4\nmax_connections_per_ip = 8\n", &c, err, sizeof err), 0);
	const struct ppg_pi *a = ppg_config_pi(c, "a"), *b = ppg_config_pi(c, "b");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(a->max_rate, 3);
	CU_ASSERT_EQUAL(a->max_pending, 100);
	CU_ASSERT_EQUAL(a->max_pending_bytes, 2048);
	CU_ASSERT_EQUAL(b->max_rate, 50);
	CU_ASSERT_EQUAL(b->max_pending, 0);        /* its own 0: unlimited */
	CU_ASSERT_EQUAL(b->max_pending_bytes, 1 << 20);
	CU_ASSERT_EQUAL(c->max_pending_deliveries, 9);
	CU_ASSERT_EQUAL(c->request_timeout, 4);
	CU_ASSERT_EQUAL(c->max_connections_per_ip, 8);
	ppg_config_free(c);
	CU_ASSERT_EQUAL_FATAL(ppg_config_load_string("", &c, err, sizeof err), 0);
	CU_ASSERT_EQUAL(c->request_timeout, 10);
	CU_ASSERT_EQUAL(c->max_connections_per_ip, 0);
	CU_ASSERT_EQUAL(c->max_rate, 0);
	CU_ASSERT_EQUAL(c->max_pending_deliveries, 0);
	ppg_config_free(c);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("config", NULL, NULL);
	CU_add_test(s, "shipped etc/ppgd.conf loads", test_example_config);
	CU_add_test(s, "defaults from an empty file", test_defaults_from_empty);
	CU_add_test(s, "every key is documented in etc/ppgd.conf", test_every_key_documented);
	CU_add_test(s, "bad lines are named", test_bad_strings);
	CU_add_test(s, "listen addresses and PI ranges", test_listen_and_pis);
	CU_add_test(s, "PI authentication and failure delay", test_auth);
	CU_add_test(s, "[sip] and [apps]", test_sip_and_apps);
	CU_add_test(s, "[sip] listen with a TLS URI", test_sip_listen_tls);
	CU_add_test(s, "[log] level and per-category levels", test_log_levels);
	CU_add_test(s, "fixtures ok_/fail_", test_fixtures);
	CU_add_test(s, "fixture load_tls.conf: the TLS keys", test_fixture_tls);
	CU_add_test(s, "[admin] and [admin NAME]", test_admin);
	CU_add_test(s, "limits: request deadline, [pi] quotas over [server] defaults", test_limits);
	CU_add_test(s, "TLS keys: fingerprints, checks, certificate and secret rules, reload", test_tls_keys);
	return tu_run();
}
