/*
 * test_sip_e2e_tls.c - SIP Push end to end: SIP over TLS to kamailio
 * (mutual certificates made with openssl, a rogue CA, tls_verify = no, bad
 * TLS configurations).
 * Shared set-up: tests/sip_e2e_common.c (split from test_sip_e2e.c).
 */
#include "tests/sip_e2e_common.h"

/* ========================================== suite: SIP over TLS (kamailio) */

/*
 * SIP over TLS to the core (README "SIP over TLS"; OMA-TS-SIP_Push §12).
 * The test makes its certificates with openssl in dtls's tmpdir: a CA, the
 * core's certificate (CN and DNS name localhost, IP 127.0.0.1), ppgd's
 * (CN ppgd.test), and a second CA, "rogue-ca", with a core certificate of
 * the same names. Two kamailio cores (tests/kamailio/ppgd-core.cfg with
 * -A WITH_TLS), each with a tls.cfg the test writes:
 *  - kcore presents the CA's core certificate and requires (and verifies)
 *    a client certificate from the CA; dtls, a ppgd listening on TLS only
 *    (a sips: URI) with tls_verify_client, has kcore as its outbound proxy
 *    over TLS: the third-party REGISTER can only reach it over a TLS
 *    connection whose certificate verified;
 *  - krogue presents the rogue certificate (server and client); drogue, a
 *    ppgd listening on UDP/TCP and on TLS (the ;transport=tls forms), has
 *    krogue as its outbound proxy.
 * The outbound proxies are sips:localhost:PORT;maddr=127.0.0.1: the name
 * the certificate must carry, the address to connect to (sofia-sip's
 * resolver asks DNS, not /etc/hosts).
 */
static struct itest_daemon dtls, drogue;
static int dtls_port, drogue_udp, drogue_tls, kcore_udp, kcore_tls, krogue_udp, krogue_tls;
static pid_t kcore_pid, krogue_pid;
static char *kcore_log, *krogue_log, *tls_dir, *drogue_sip;
static char *dtls_sip;    /* without its outbound_proxy line */

#define TLS_SIP_KEYS "tls_certificate = %s/ppgd.pem\ntls_key = %s/ppgd.key\ntls_ca_file = %s/ca.pem\n"

/* openssl: two CAs, the core's certificate from each, ppgd's from the first. */
static const char tls_gen_sh[] =
    "set -e\n"
    "ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $1.key -out $1.pem \\\n"
    "  -days 2 -subj \"/CN=$1\" -addext basicConstraints=critical,CA:TRUE \\\n"
    "  -addext keyUsage=critical,keyCertSign,cRLSign; }\n"
    "leaf() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $1.key -out $1.csr \\\n"
    "  -subj \"/CN=$3\"\n"
    "  printf 'subjectAltName=%s\\nextendedKeyUsage=serverAuth,clientAuth\\nbasicConstraints=CA:FALSE\\n' \"$4\" \\\n"
    "    > $1.ext\n"
    "  openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial -out $1.pem -days 2 \\\n"
    "    -extfile $1.ext; }\n"
    "ca ca\n"
    "ca rogue-ca\n"
    "leaf core ca localhost DNS:localhost,IP:127.0.0.1\n"
    "leaf ppgd ca ppgd.test DNS:ppgd.test\n"
    "leaf rogue rogue-ca localhost DNS:localhost,IP:127.0.0.1\n"
    "openssl verify -CAfile ca.pem core.pem ppgd.pem\n"
    "if openssl verify -CAfile ca.pem rogue.pem; then exit 1; fi\n"
    "openssl pkey -in ppgd.key -aes256 -passout pass:secret -out ppgd-encrypted.key\n";

/* Writes the tls.cfg of a kamailio core presenting cert (core or rogue)
 * as server and client, trusting ca.pem and requiring its peers' certificates. */
static char *kam_tls_cfg(const char *name, const char *cert)
{
	char *t = itest_asprintf(
	    "[server:default]\nmethod = TLSv1.2+\nverify_certificate = yes\nrequire_certificate = yes\n"
	    "certificate = %s/%s.pem\nprivate_key = %s/%s.key\nca_list = %s/ca.pem\n\n"
	    "[client:default]\nmethod = TLSv1.2+\nverify_certificate = yes\nrequire_certificate = yes\n"
	    "certificate = %s/%s.pem\nprivate_key = %s/%s.key\nca_list = %s/ca.pem\n",
	    tls_dir, cert, tls_dir, cert, tls_dir, tls_dir, cert, tls_dir, cert, tls_dir);
	char *path = itest_write_file(tls_dir, name, t, strlen(t));
	free(t);
	return path;
}

/* Writes d's config with this [sip] section and starts it. */
static void start_ppgd_sip(struct itest_daemon *d, const char *sip)
{
	char *sections = itest_asprintf("[sip]\nenabled = yes\nfrom = " PPG_FROM "\np_asserted_identity = "
	    PPG_PAI "\n%s\n", sip);
	if (itest_std_config(d, NULL, sections) == 0)
		itest_daemon_start(d);
	free(sections);
}

static int init_tls(void)
{
	if (itest_daemon_init(&dtls, "sip-tls") != 0 || itest_daemon_init(&drogue, "sip-tls-rogue") != 0)
		return 0;
	tls_dir = itest_asprintf("%s/certs", dtls.dir);
	mkdir(tls_dir, 0700);
	char *gen = itest_write_file(tls_dir, "gen.sh", tls_gen_sh, strlen(tls_gen_sh));
	const char *argv[] = { "sh", gen, NULL };
	char *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, tls_dir, 60, NULL, &err, &code);
	free(gen);
	if (code != 0) {
		fprintf(stderr, "openssl could not make the test certificates (%d):\n%s\n", code, err ? err : "");
		free(err);
		return 0;
	}
	free(err);

	/* dtls and kcore */
	dtls_port = itest_free_port();
	kcore_udp = itest_free_port_udp_tcp();
	kcore_tls = itest_free_port();
	char *cfg = kam_tls_cfg("kcore-tls.cfg", "core");
	char *uri = itest_asprintf("sips:127.0.0.1:%d", dtls_port);
	kcore_pid = kam_start(dtls.dir, "kcore", kcore_udp, kcore_tls, cfg, uri, &kcore_log);
	free(cfg);
	free(uri);
	dtls_sip = itest_asprintf(TAB_SIP "listen = sips:127.0.0.1:%d\n" TLS_SIP_KEYS "tls_verify_client = yes\n",
	    dtls_port, tls_dir, tls_dir, tls_dir);
	char *sip = itest_asprintf("%soutbound_proxy = sips:localhost:%d;maddr=127.0.0.1\n", dtls_sip, kcore_tls);
	start_ppgd_sip(&dtls, sip);
	free(sip);

	/* drogue and krogue: transaction_timeout far above the test's waits,
	 * so that a timer F (408) cannot pass for the transport error. */
	drogue_udp = itest_free_port_udp_tcp();
	drogue_tls = itest_free_port();
	krogue_udp = itest_free_port_udp_tcp();
	krogue_tls = itest_free_port();
	cfg = kam_tls_cfg("krogue-tls.cfg", "rogue");
	uri = itest_asprintf("sips:127.0.0.1:%d", drogue_tls);
	krogue_pid = kam_start(drogue.dir, "krogue", krogue_udp, krogue_tls, cfg, uri, &krogue_log);
	free(cfg);
	free(uri);
	sip = itest_asprintf("transaction_timeout = 30\nretry_min = 1\nretry_max = 1\nmax_attempts = 2\n"
	    "listen = sip:127.0.0.1:%d, sip:127.0.0.1:%d;transport=tls\n"
	    "outbound_proxy = sip:localhost:%d;maddr=127.0.0.1;transport=tls\n" TLS_SIP_KEYS
	    "tls_verify_client = yes\n", drogue_udp, drogue_tls, krogue_tls, tls_dir, tls_dir, tls_dir);
	start_ppgd_sip(&drogue, sip);
	drogue_sip = sip;   /* t_tls_verify_off starts it again with more */
	return 0;
}

static int clean_tls(void)
{
	pid_t *pids[] = { &kcore_pid, &krogue_pid };
	for (size_t i = 0; i < 2; i++) {
		if (*pids[i] > 0)
			itest_stop_pid(*pids[i], SIGTERM, 10);
		*pids[i] = 0;
	}
	itest_daemon_destroy(&drogue, 0);
	itest_daemon_destroy(&dtls, 0);   /* holds tls_dir */
	free(kcore_log);
	free(krogue_log);
	free(tls_dir);
	free(drogue_sip);
	free(dtls_sip);
	kcore_log = krogue_log = tls_dir = drogue_sip = dtls_sip = NULL;
	return 0;
}

static struct term tterm;

/* (2) The terminal registers at kcore (UDP); kcore's third-party REGISTER
 * reaches dtls, which listens on TLS only, and creates the binding. */
static void t_tls_third_party_register(void)
{
	NEED(dtls);
	CU_ASSERT_FATAL(kcore_pid > 0);
	ctx_files[0] = kcore_log;
	char *scen = itest_sip_uas_scenario(dtls.dir, 200, "OK", NULL);
	EXPECT_FATAL(term_start(&tterm, dtls.dir, "tuser", scen, 1) == 0);
	free(scen);
	ctx_files[1] = tterm.msglog;
	EXPECT_INT(itest_sip_register(dtls.dir, "127.0.0.1", kcore_udp, "tuser", tterm.port, 600), 200);
	char *sent = itest_asprintf("third-party REGISTER to sips:127.0.0.1:%d", dtls_port);
	EXPECT(itest_wait_file_has(kcore_log, sent, 5) == 0);
	free(sent);
	char *want = itest_asprintf("registration sip:tuser@example.com -> sip:tuser@127.0.0.1:%d for 600 s",
	    tterm.port);
	EXPECT(itest_wait_log(dtls.log, want, 5) == 0);
	free(want);
	/* ppgd's one listener is TLS: nothing takes UDP on its port */
	EXPECT(!itest_udp_port_bound(dtls_port));
	EXPECT(itest_file_has(dtls.log, "SIP over TLS on sips:127.0.0.1:"));
	ctx_files[0] = ctx_files[1] = NULL;
}

/* (1) A push through kcore over TLS: delivered to the terminal (UDP
 * behind the core), the PAP result delivered 1000 and notified. */
static void t_tls_push_delivered(void)
{
	NEED(dtls);
	CU_ASSERT_FATAL(kcore_pid > 0);
	CU_ASSERT_FATAL(tterm.port > 0);
	ctx_files[0] = kcore_log;
	ctx_files[1] = tterm.msglog;
	struct itest_pi pi;
	EXPECT_FATAL(itest_pi_start(&pi, 0, 0) == 0);
	char *attrs = itest_asprintf("ppg-notify-requested-to=\"%s\"", pi.url);
	const char *text = "over TLS to the core";
	struct sq q;
	time_t t_min = time(NULL) - 1;

	EXPECT_INT(push_text(&dtls, "tls-1@e2e", "tuser", attrs, text), 1001);
	EXPECT(wait_final(&dtls, "tls-1@e2e", 10, &q) == 0);
	report_sq("through kamailio over TLS", &q);
	EXPECT_STR(pap_state_str(q.state), "delivered");
	EXPECT_INT(q.code, 1000);
	EXPECT(itest_pi_wait(&pi, "tls-1@e2e", 1, 10) == 0);
	char *addr = aor_address("tuser");
	pthread_mutex_lock(&pi.mu);
	if (pi.n >= 1)
		check_notification(&pi.v[0], PAP_V2_1, "tls-1@e2e", addr, PAP_STATE_DELIVERED, 1000, t_min,
		    time(NULL) + 1);
	pthread_mutex_unlock(&pi.mu);
	free(addr);
	itest_pi_stop(&pi);
	EXPECT_INT(term_wait(&tterm, 5), 0);

	struct itest_sip_log l;
	const struct itest_sip_msg *m[2];
	itest_sip_log_load(tterm.msglog, &l);
	EXPECT_INT(itest_sip_requests(&l, "MESSAGE", m, 2), 1);
	if (itest_sip_requests(&l, "MESSAGE", m, 2) >= 1) {
		/* kcore took it over TLS, from a client presenting ppgd.test's
		 * certificate, which kcore verified against the CA */
		char *over = itest_sip_hdr(m[0]->text, "X-Core-Received-Over");
		char *peer = itest_sip_hdr(m[0]->text, "X-Core-TLS-Peer");
		char *via1 = itest_sip_hdr_nth(m[0]->text, "Via", 1);
		char *ppg_via = itest_asprintf("SIP/2.0/TLS 127.0.0.1:%d;", dtls_port);
		EXPECT_STR(over, "tls");
		EXPECT(peer && !strncmp(peer, "cn=ppgd.test verified=1 version=TLSv1.", 38));
		EXPECT(via1 && !strncmp(via1, ppg_via, strlen(ppg_via)));
		if (peer)
			printf("\n    core's view of ppgd: %s", peer);
		size_t blen;
		const char *body = itest_sip_body(m[0], &blen);
		EXPECT(blen == strlen(text) && !memcmp(body, text, blen));
		free(over);
		free(peer);
		free(via1);
		free(ppg_via);
	}
	itest_sip_log_free(&l);
	char *relayed = itest_asprintf("MESSAGE for sip:tuser@example.com relayed to sip:tuser@127.0.0.1:%d "
	    "(received over tls)", tterm.port);
	EXPECT(itest_file_has(kcore_log, relayed));
	free(relayed);
	free(attrs);
	term_free(&tterm);
	ctx_files[0] = ctx_files[1] = NULL;
}

/* The core's certificate is from the CA but does not name the host ppgd
 * was told to reach (outbound_proxy sips:core.wrong.test;maddr=...): refused
 * like a wrong CA, local 503 retried, then undeliverable; sofia-sip logs
 * the mismatch. kcore gets nothing. */
static void t_tls_wrong_name(void)
{
	NEED(dtls);
	CU_ASSERT_FATAL(kcore_pid > 0);
	ctx_files[0] = kcore_log;
	struct sq q;
	int seen = itest_file_count(kcore_log, "core: MESSAGE for");
	itest_daemon_stop(&dtls);
	char *sip = itest_asprintf("%soutbound_proxy = sips:core.wrong.test:%d;maddr=127.0.0.1\n", dtls_sip,
	    kcore_tls);
	start_ppgd_sip(&dtls, sip);
	free(sip);
	CU_ASSERT_FATAL(dtls.pid > 0);
	EXPECT_INT(push_text(&dtls, "tls-2@e2e", "tuser", NULL, "to a core of another name"), 1001);
	EXPECT(wait_final(&dtls, "tls-2@e2e", 10, &q) == 0);
	report_sq("the core's certificate does not name the proxy's host", &q);
	EXPECT_STR(pap_state_str(q.state), "undeliverable");
	EXPECT_INT(q.code, 4000);
	EXPECT(strstr(q.desc, "SIP 503") && strstr(q.desc, "(local)"));
	EXPECT(itest_file_has(dtls.log, "Peer Subject Mismatch (core.wrong.test)"));
	EXPECT(itest_file_has(dtls.log, "no TLS connection to the core"));
	EXPECT_INT(itest_file_count(kcore_log, "core: MESSAGE for"), seen);
	ctx_files[0] = NULL;
}

/* A core whose client certificate is not from tls_ca_file: its third-party
 * REGISTER over TLS is refused in the handshake (tls_verify_client), no
 * binding. */
static void t_tls_rogue_register_refused(void)
{
	NEED(drogue);
	CU_ASSERT_FATAL(krogue_pid > 0);
	ctx_files[0] = krogue_log;
	/* krogue answers the terminal's REGISTER itself, then tries ppgd */
	EXPECT_INT(itest_sip_register(drogue.dir, "127.0.0.1", krogue_udp, "ruser", 5999, 600), 200);
	char *sent = itest_asprintf("third-party REGISTER to sips:127.0.0.1:%d", drogue_tls);
	EXPECT(itest_wait_file_has(krogue_log, sent, 5) == 0);
	free(sent);
	/* sofia-sip's reason for refusing the client's certificate */
	EXPECT(itest_wait_log(drogue.log, "issuer   = /CN=rogue-ca", 5) == 0);
	EXPECT(itest_wait_log(drogue.log, "unable to get local issuer certificate", 5) == 0);
	sleep_s(0.5);
	EXPECT(!itest_file_has(drogue.log, "registration sip:ruser@example.com"));
	ctx_files[0] = NULL;
}

/* (3) The core presents a certificate from another CA: ppgd refuses the
 * connection, the MESSAGE ends as a local 503 at once (not a timer F 408
 * 30 s later), is retried after retry_min and ends undeliverable 4000 after
 * max_attempts; krogue relayed nothing; a log line says why. */
static void t_tls_rogue_core_refused(void)
{
	NEED(drogue);
	CU_ASSERT_FATAL(krogue_pid > 0);
	ctx_files[0] = krogue_log;
	struct sq q;
	/* a binding made straight over UDP (trusted 127.0.0.1) */
	EXPECT_INT(itest_sip_register(drogue.dir, "127.0.0.1", drogue_udp, "vuser", 5998, 600), 200);
	double t0 = itest_now();
	EXPECT_INT(push_text(&drogue, "rogue-1@e2e", "vuser", NULL, "never to a rogue core"), 1001);
	EXPECT(wait_final(&drogue, "rogue-1@e2e", 10, &q) == 0);
	double took = itest_now() - t0;
	report_sq("core with a certificate from another CA", &q);
	printf("\n    final after %.2f s (2 attempts, retry_min 1 s)", took);
	EXPECT_STR(pap_state_str(q.state), "undeliverable");
	EXPECT_INT(q.code, 4000);
	EXPECT(strstr(q.desc, "SIP 503") && strstr(q.desc, "(local)"));
	EXPECT(took >= 0.9 && took < 6);
	char *line = itest_asprintf("MESSAGE to the core sip:localhost:%d;maddr=127.0.0.1;transport=tls ended 503 ",
	    krogue_tls);
	EXPECT(itest_file_has(drogue.log, line));
	free(line);
	EXPECT(itest_file_has(drogue.log, "no TLS connection to the core"));
	EXPECT(itest_file_has(drogue.log, "unable to get local issuer certificate"));
	EXPECT(!itest_file_has(krogue_log, "MESSAGE for"));
	ctx_files[0] = NULL;
}

/* (4) A TLS configuration that cannot work: ppgd -t and a start both fail
 * with the file and the reason. */
/* tls_verify = no: the same rogue core is reached, encrypted but not
 * authenticated: krogue takes the MESSAGE over TLS and answers 404 (nobody
 * registered there), which ends the push undeliverable 2003. */
static void t_tls_verify_off(void)
{
	NEED(drogue);
	CU_ASSERT_FATAL(krogue_pid > 0);
	ctx_files[0] = krogue_log;
	struct sq q;
	itest_daemon_stop(&drogue);
	char *sip = itest_asprintf("%stls_verify = no\n", drogue_sip);
	start_ppgd_sip(&drogue, sip);
	free(sip);
	CU_ASSERT_FATAL(drogue.pid > 0);
	EXPECT(itest_wait_log(drogue.log, "the core's certificate NOT verified", 5) == 0);
	EXPECT_INT(push_text(&drogue, "rogue-2@e2e", "vuser", NULL, "to any core"), 1001);
	EXPECT(wait_final(&drogue, "rogue-2@e2e", 10, &q) == 0);
	report_sq("tls_verify = no, the rogue core", &q);
	EXPECT_STR(pap_state_str(q.state), "undeliverable");
	EXPECT_INT(q.code, 2003);
	EXPECT(strstr(q.desc, "SIP 404") != NULL);
	EXPECT(itest_file_has(krogue_log, "MESSAGE for sip:vuser@example.com: no registration"));
	ctx_files[0] = NULL;
}

/* tmpl with every "@D@" replaced by tls_dir; malloc'ed. */
static char *subst_dir(const char *tmpl)
{
	char *s = strdup(tmpl), *at;
	while ((at = strstr(s, "@D@")) != NULL) {
		*at = '\0';
		char *n = itest_asprintf("%s%s%s", s, tls_dir, at + 3);
		free(s);
		s = n;
	}
	return s;
}

static void t_tls_bad_config(void)
{
	CU_ASSERT_FATAL(tls_dir != NULL);
	struct {
		const char *sip;      /* [sip] lines; @D@: tls_dir */
		const char *want;
	} bad[] = {
		{ "listen = sips:127.0.0.1:5061\ntls_certificate = @D@/missing.pem\ntls_key = @D@/ppgd.key\n"
		  "tls_ca_file = @D@/ca.pem\n", "tls_certificate: cannot open @D@/missing.pem: No such file" },
		{ "listen = sips:127.0.0.1:5061\ntls_certificate = @D@/ppgd.pem\ntls_key = @D@/ppgd.pem\n"
		  "tls_ca_file = @D@/ca.pem\n", "tls_key: @D@/ppgd.pem holds no PEM private key" },
		{ "listen = sips:127.0.0.1:5061\ntls_certificate = @D@/ppgd.pem\ntls_key = @D@/ppgd-encrypted.key\n"
		  "tls_ca_file = @D@/ca.pem\n", "tls_key: @D@/ppgd-encrypted.key holds an encrypted private key" },
		{ "listen = sips:127.0.0.1:5061\ntls_certificate = @D@/ppgd.pem\ntls_key = @D@/ppgd.key\n"
		  "tls_ca_file = @D@/ppgd.key\n", "tls_ca_file: @D@/ppgd.key holds no PEM certificate" },
		{ "listen = sips:127.0.0.1:5061\ntls_certificate = @D@/ppgd.pem\n", "tls_ca_file is not set" },
		{ "listen = sip:127.0.0.1:5060\noutbound_proxy = sips:core.example\n",
		  "outbound_proxy sips:core.example is reached over TLS: [sip] listen needs a TLS URI" },
		{ "listen = sips:127.0.0.1:5061, sips:127.0.0.1:5062\n", "more than one TLS URI" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct itest_daemon d;
		EXPECT_FATAL(itest_daemon_init(&d, "sip-tls-bad") == 0);
		char *sip = subst_dir(bad[i].sip), *want = subst_dir(bad[i].want);
		start_ppgd_sip(&d, sip);   /* fails: the config is refused */
		EXPECT(d.pid <= 0);
		EXPECT(itest_file_has(d.log, want));
		const char *argv[] = { itest_ppgd_path(), "-c", d.conf, "-t", NULL };
		char *err = NULL;
		int code = -1;
		itest_run_full(argv, NULL, d.dir, 10, NULL, &err, &code);
		if (!err || !strstr(err, want) || code != 1)
			fprintf(stderr, "\n  case %zu: ppgd -t exit %d: %s  want: %s\n", i, code, err ? err : "", want);
		EXPECT_INT(code, 1);
		EXPECT(err && strstr(err, want) && strstr(err, "ppgd.conf:"));
		free(err);
		free(sip);
		free(want);
		itest_daemon_destroy(&d, 0);
	}
}

/* ---------------------------------------------------------------- main */

int main(void)
{
	static const struct itest_test_def tls[] = {
		{ "third-party REGISTER from kamailio over TLS (ppgd listens on sips: only) creates the binding",
		  t_tls_third_party_register },
		{ "push through kamailio over TLS (mutual certificates): delivered 1000, notified",
		  t_tls_push_delivered },
		{ "core's certificate does not name the outbound proxy's host: refused, undeliverable",
		  t_tls_wrong_name },
		{ "core with a client certificate from another CA: REGISTER refused in the handshake",
		  t_tls_rogue_register_refused },
		{ "core with a server certificate from another CA: refused, local 503 retried, undeliverable",
		  t_tls_rogue_core_refused },
		{ "tls_verify = no: the same core is reached (encrypted, not authenticated)", t_tls_verify_off },
		{ "missing or wrong TLS files, sips: proxy without TLS listen: ppgd -t and start fail",
		  t_tls_bad_config },
		{ NULL, NULL },
	};

	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("SIP over TLS", init_tls, clean_tls, tls)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
