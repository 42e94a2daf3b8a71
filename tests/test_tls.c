/*
 * test_tls.c - TLS of ppgd against real peers (README "TLS"): certificates
 * made by openssl at test time (a CA, another CA, a server certificate for
 * IP 127.0.0.1, PI client certificates), the curl command line, the npm
 * blackberry-push client (tests/pi), libcurl with client certificates,
 * ppgctl on the admin listener, node's https module as a PI's notification
 * endpoint (tests/pi/https_pi.js).
 *
 * Checked: pushes over HTTPS get 1001; a PI that names a client
 * certificate gets in with it and is refused (nothing stored) with none,
 * with one of another CA or another subject; secret and certificate both
 * needed when both are named; plain HTTP on the TLS port gets no HTTP
 * answer; tls_client_auth = required refuses the handshake; the admin
 * listener over TLS with ppgctl; result notifications to https:// endpoints
 * verified against [notify] ca_file (an untrusted endpoint gets nothing,
 * the notification is retried and arrives once the endpoint is trusted);
 * a reload takes new per-PI certificate rules and a renewed server
 * certificate without a restart.
 */
#include <CUnit/Basic.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pap/pap.h"
#include "tests/itest.h"
#include "tests/test_util.h"

#define BOTH_SECRET  "both-s3cret"
#define ADMIN_SECRET "ops-s3cret"
#define ADDR_PLMN    "WAPPUSH=+15550001/TYPE=PLMN@ppg"
#define ADDR_UDP     "WAPPUSH=127.0.0.1/TYPE=IPv4@ppg"
#define BOUNDARY     "tls-test-boundary"
#define CTYPE_PUSH   "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""

static struct itest_daemon dpap, dreq;
static int admin_port;
static char pem_dir[1024];
static char pi_subject[256], other_subject[256], pi_fp[160], other_fp[160];

/* ---------------------------------------------------------- certificates */

/* Runs a shell script in dir; 0 when it exits 0. */
static int sh(const char *dir, const char *script, char **out)
{
	const char *argv[] = { "sh", "-c", script, NULL };
	char *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, dir, 60, out, &err, &code);
	if (code != 0)
		fprintf(stderr, "\nscript failed (%d): %s\n%s\n", code, script, err ? err : "");
	free(err);
	return code == 0 ? 0 : -1;
}

/* A CA and another CA; server certificates for IP 127.0.0.1 (two keys, for
 * the reload), PI client certificates, and a notification endpoint's
 * certificate from each CA. EC P-256, valid three days. */
static int make_certs(const char *dir)
{
	static const char script[] =
	    "set -e\n"
	    "ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $1.key "
	    "-out $1.pem -days 3 -subj \"$2\" 2>/dev/null; }\n"
	    "gen() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $1.key -out $1.csr "
	    "-subj \"$2\" 2>/dev/null; printf \"$4\" > $1.ext; openssl x509 -req -in $1.csr -CA $3.pem "
	    "-CAkey $3.key -CAcreateserial -out $1.pem -days 3 -extfile $1.ext 2>/dev/null; }\n"
	    "ca ca '/O=ppgd test/CN=test CA'\n"
	    "ca ca2 '/O=elsewhere/CN=other CA'\n"
	    "gen server '/CN=127.0.0.1' ca 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n'\n"
	    "gen server2 '/CN=127.0.0.1/OU=renewed' ca 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n'\n"
	    "gen pi '/C=FI/O=Operator/CN=mmsc' ca 'extendedKeyUsage=clientAuth\\n'\n"
	    "gen other '/C=FI/O=Operator/CN=other' ca 'extendedKeyUsage=clientAuth\\n'\n"
	    "gen evil '/C=FI/O=Operator/CN=mmsc' ca2 'extendedKeyUsage=clientAuth\\n'\n"
	    "gen ep '/CN=127.0.0.1' ca 'subjectAltName=IP:127.0.0.1\\n'\n"
	    "gen ep2 '/CN=127.0.0.1' ca2 'subjectAltName=IP:127.0.0.1\\n'\n"
	    "chmod 600 *.key\n";
	return sh(dir, script, NULL);
}

/* `openssl x509 -in NAME.pem ARGS`, the text after the first '=' of its
 * output line, trimmed. */
static int cert_field(const char *name, const char *args, char *buf, size_t len)
{
	char *script = itest_asprintf("openssl x509 -in %s.pem -noout %s", name, args), *out = NULL;
	int r = sh(pem_dir, script, &out);
	free(script);
	const char *eq = out ? strchr(out, '=') : NULL;
	if (r < 0 || !eq) {
		free(out);
		return -1;
	}
	snprintf(buf, len, "%s", eq + 1);
	buf[strcspn(buf, "\r\n")] = '\0';
	free(out);
	return 0;
}

static const char *pem(const char *name)
{
	static char path[8][1200];
	static int i;
	i = (i + 1) % 8;
	snprintf(path[i], sizeof path[i], "%s/%s", pem_dir, name);
	return path[i];
}

/* ---------------------------------------------------------- HTTPS client */

struct who {
	const char *user, *pw;        /* HTTP Basic; NULL: none */
	const char *cert;             /* client certificate NAME (NAME.pem, NAME.key); NULL: none */
};

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	char **b = arg;
	size_t old = *b ? strlen(*b) : 0;
	char *nb = realloc(*b, old + sz * n + 1);
	if (!nb)
		return 0;
	memcpy(nb + old, p, sz * n);
	nb[old + sz * n] = '\0';
	*b = nb;
	return sz * n;
}

/* POSTs body to url over HTTPS (CA: ca.pem). 0 with *status and *resp
 * (malloc'ed) when an HTTP answer came, -1 on a transport error. */
static int tpost(const char *url, const struct who *w, const char *ctype, const char *body, long *status,
    char **resp)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char line[200], crt[1200], key[1200];
	*status = 0;
	*resp = NULL;
	if (!c)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, pem("ca.pem"));
	if (w->cert) {
		snprintf(crt, sizeof crt, "%s/%s.pem", pem_dir, w->cert);
		snprintf(key, sizeof key, "%s/%s.key", pem_dir, w->cert);
		curl_easy_setopt(c, CURLOPT_SSLCERT, crt);
		curl_easy_setopt(c, CURLOPT_SSLKEY, key);
	}
	if (w->user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, w->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, w->pw ? w->pw : "");
	}
	snprintf(line, sizeof line, "Content-Type: %s", ctype);
	h = curl_slist_append(h, line);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	CURLcode r = curl_easy_perform(c);
	if (r == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return r == CURLE_OK ? 0 : -1;
}

static char *push_body(const char *push_id, const char *addr, const char *notify_to)
{
	char notify[300] = "";
	if (notify_to)
		snprintf(notify, sizeof notify, " ppg-notify-requested-to=\"%s\"", notify_to);
	return itest_asprintf("--" BOUNDARY "\r\nContent-Type: application/xml\r\n\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap><push-message push-id=\"%s\"%s>"
	    "<address address-value=\"%s\"/></push-message></pap>\r\n"
	    "--" BOUNDARY "\r\nContent-Type: text/plain\r\n\r\nhello over TLS\r\n--" BOUNDARY "--\r\n",
	    push_id, notify, addr);
}

/* The first code of a PAP answer, -1 when it is not one. */
static int pap_code(const char *resp)
{
	struct pap_limits lim = PAP_LIMITS_DEFAULT;
	struct pap_msg *m = NULL;
	struct pap_error e;
	if (!resp || pap_msg_decode(resp, strlen(resp), &lim, &m, &e) != 0)
		return -1;
	int code = m->nresults > 0 ? m->results[0].code : m->code;
	pap_msg_free(m);
	return code;
}

/* A push as w: the HTTP status (0: no HTTP answer), *code the PAP code. */
static long push_as(struct itest_daemon *d, const struct who *w, const char *push_id, const char *addr,
    const char *notify_to, int *code)
{
	char *body = push_body(push_id, addr, notify_to), *resp = NULL;
	long status = 0;
	tpost(d->url, w, CTYPE_PUSH, body, &status, &resp);
	*code = pap_code(resp);
	free(body);
	free(resp);
	return status;
}

/* statusquery of push_id as w: its code (1001 stored and pending; 2004
 * unknown to this PI, i.e. nothing stored), -1 without an answer. */
static int status_code(struct itest_daemon *d, const struct who *w, const char *push_id)
{
	char *body = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap><statusquery-message "
	    "push-id=\"%s\"/></pap>", push_id), *resp = NULL;
	long status = 0;
	tpost(d->url, w, "application/xml", body, &status, &resp);
	int code = status == 200 ? pap_code(resp) : -1;
	free(body);
	free(resp);
	return code;
}

/* ---------------------------------------------------------- daemons */

static const struct who ALICE = { "alice", ITEST_ALICE_SECRET, NULL };
static const struct who MMSC = { NULL, NULL, "pi" };          /* certificate only */

/* The PAP daemon's config: TLS with client CA (optional), the cert-only
 * PI mmsc (subject + fingerprint), both (secret + subject), the admin
 * listener over TLS (ops: secret + subject of other.pem), notifications
 * verified against ca.pem. */
static int write_pap_config(const char *mmsc_subject, const char *mmsc_fp)
{
	const char *hb = itest_hash_secret(BOTH_SECRET), *ho = itest_hash_secret(ADMIN_SECRET);
	char *server = itest_asprintf("success_status = 200\ntls_certificate = %s\ntls_key = %s\ntls_client_ca = %s\n",
	    pem("server.pem"), pem("server.key"), pem("ca.pem"));
	char *extra = itest_asprintf(
	    "[pi mmsc]\ntls_subject = %s\ntls_fingerprint = sha256:%s\n\n"
	    "[pi both]\nsecret_hash = %s\ntls_subject = %s\n\n"
	    "[ota]\nudp = yes\n\n"
	    "[notify]\nca_file = %s\nretry_min = 1\nretry_max = 1\nmax_attempts = 20\n\n"
	    "[admin]\nenabled = yes\nlisten = 127.0.0.1:%d\ntls_certificate = %s\ntls_key = %s\ntls_client_ca = %s\n\n"
	    "[admin ops]\nsecret_hash = %s\ntls_subject = %s\n",
	    mmsc_subject, mmsc_fp, hb ? hb : "", pi_subject, pem("ca.pem"), admin_port, pem("server.pem"),
	    pem("server.key"), pem("ca.pem"), ho ? ho : "", other_subject);
	int r = itest_std_config(&dpap, server, extra);
	free(server);
	free(extra);
	return r;
}

static int init_pap(void)
{
	if (!pem_dir[0] || itest_daemon_init(&dpap, "tls") < 0)
		return 0;
	snprintf(dpap.url, sizeof dpap.url, "https://127.0.0.1:%d/pap", dpap.port);
	admin_port = itest_free_port();
	if (cert_field("pi", "-subject -nameopt RFC2253", pi_subject, sizeof pi_subject) < 0 ||
	    cert_field("other", "-subject -nameopt RFC2253", other_subject, sizeof other_subject) < 0 ||
	    cert_field("pi", "-fingerprint -sha256", pi_fp, sizeof pi_fp) < 0 ||
	    cert_field("other", "-fingerprint -sha256", other_fp, sizeof other_fp) < 0)
		return 0;
	if (write_pap_config(pi_subject, pi_fp) == 0 && itest_daemon_start(&dpap) < 0)
		dpap.pid = 0;
	return 0;
}

static int clean_pap(void)
{
	itest_daemon_destroy(&dpap, 0);
	return 0;
}

#define NEED(d) CU_ASSERT_FATAL((d).pid > 0)

/* ---------------------------------------------------------- PAP */

static void t_curl_cli_push(void)
{
	NEED(dpap);
	char *body = push_body("curl-1@tls", ADDR_PLMN, NULL);
	char *file = itest_write_file(dpap.dir, "push-curl.txt", body, strlen(body));
	char *at = itest_asprintf("@%s", file);
	const char *argv[] = { "curl", "-sS", "--cacert", pem("ca.pem"), "-u", "alice:" ITEST_ALICE_SECRET,
		"-H", "Content-Type: " CTYPE_PUSH, "--data-binary", at, "-w", "\nHTTP %{http_code}\n", dpap.url, NULL };
	char *out = NULL, *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, NULL, 30, &out, &err, &code);
	CU_ASSERT(code == 0);
	CU_ASSERT(out && strstr(out, "HTTP 200"));
	CU_ASSERT(out && strstr(out, "code=\"1001\""));
	if (code != 0 || !out || !strstr(out, "code=\"1001\""))
		fprintf(stderr, "\ncurl exit %d\n%s\n%s\n", code, out ? out : "", err ? err : "");
	/* stored: its statusquery knows it */
	CU_ASSERT(status_code(&dpap, &ALICE, "curl-1@tls") == 1001);
	/* without --cacert the system's CAs do not know the test CA: refused by curl */
	const char *argv2[] = { "curl", "-sS", "-u", "alice:" ITEST_ALICE_SECRET, "-H", "Content-Type: " CTYPE_PUSH,
		"--data-binary", at, dpap.url, NULL };
	int code2 = -1;
	itest_run_full(argv2, NULL, NULL, 30, NULL, NULL, &code2);
	CU_ASSERT(code2 == 60);   /* CURLE_PEER_FAILED_VERIFICATION */
	free(out);
	free(err);
	free(at);
	free(file);
	free(body);
}

static void t_npm_push(void)
{
	NEED(dpap);
	char modpath[4096];
	snprintf(modpath, sizeof modpath, "%s", tu_src("tests/pi/node_modules/blackberry-push/index.js"));
	if (access(modpath, R_OK) != 0)
		fprintf(stderr, "\n%s is missing: run scripts/setup.sh (npm ci in tests/pi)\n", modpath);
	CU_ASSERT_FATAL(access(modpath, R_OK) == 0);
	/* node trusts the test CA through NODE_EXTRA_CA_CERTS; the client's code is unchanged */
	setenv("NODE_EXTRA_CA_CERTS", pem("ca.pem"), 1);
	const char *argv[] = { "node", tu_src("tests/pi/bbpush.js"), "push", "--url", dpap.url, "--user", "alice",
		"--password", ITEST_ALICE_SECRET, "--address", ADDR_PLMN, NULL };
	char *out = NULL, *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, NULL, 60, &out, &err, &code);
	unsetenv("NODE_EXTRA_CA_CERTS");
	if (code != 0)
		fprintf(stderr, "\nnode bbpush.js exit %d\nstdout: %s\nstderr: %s\n", code, out ? out : "", err ? err : "");
	CU_ASSERT(code == 0);
	CU_ASSERT(err && strstr(err, "HTTP 200"));
	CU_ASSERT(pap_code(out) == 1001);
	free(out);
	free(err);
}

/* Refused as w: HTTP want_status, and the push-id unknown to the PI. */
static void refused(const struct who *w, const char *id, long want_status, const struct who *owner)
{
	int code = 0;
	long st = push_as(&dpap, w, id, ADDR_PLMN, NULL, &code);
	CU_ASSERT(st == want_status);
	if (st != want_status)
		fprintf(stderr, "\n%s: HTTP %ld, wanted %ld\n", id, st, want_status);
	CU_ASSERT(code == -1);                                  /* no PAP answer */
	CU_ASSERT(status_code(&dpap, owner, id) == 2004);       /* nothing stored */
}

static void t_client_certificate_only(void)
{
	NEED(dpap);
	int code = 0;
	CU_ASSERT(push_as(&dpap, &MMSC, "mmsc-ok@tls", ADDR_PLMN, NULL, &code) == 200);
	CU_ASSERT(code == 1001);
	CU_ASSERT(status_code(&dpap, &MMSC, "mmsc-ok@tls") == 1001);
	/* no certificate, nothing else */
	refused(&(struct who){ NULL, NULL, NULL }, "mmsc-none@tls", 401, &MMSC);
	/* its name without a certificate */
	refused(&(struct who){ "mmsc", "x", NULL }, "mmsc-name@tls", 401, &MMSC);
	/* the same subject from another CA */
	refused(&(struct who){ NULL, NULL, "evil" }, "mmsc-evil@tls", 401, &MMSC);
	refused(&(struct who){ "mmsc", NULL, "evil" }, "mmsc-evil2@tls", 401, &MMSC);
	/* the right CA, another subject (and fingerprint) */
	refused(&(struct who){ NULL, NULL, "other" }, "mmsc-other@tls", 401, &MMSC);
	CU_ASSERT(itest_wait_file_has(dpap.log, "not verified", 5) == 0);
}

static void t_secret_and_certificate(void)
{
	NEED(dpap);
	const struct who both = { "both", BOTH_SECRET, "pi" };
	int code = 0;
	CU_ASSERT(push_as(&dpap, &both, "both-ok@tls", ADDR_PLMN, NULL, &code) == 200);
	CU_ASSERT(code == 1001);
	/* the right secret without the certificate: 403 */
	refused(&(struct who){ "both", BOTH_SECRET, NULL }, "both-nocert@tls", 403, &both);
	/* the right secret with another certificate of the same CA: 403 */
	refused(&(struct who){ "both", BOTH_SECRET, "other" }, "both-other@tls", 403, &both);
	/* the certificate with a wrong secret: 401 */
	refused(&(struct who){ "both", "wrong", "pi" }, "both-wrong@tls", 401, &both);
	CU_ASSERT(itest_wait_file_has(dpap.log, "client certificate refused from 127.0.0.1 for PI \"both\"", 5) == 0);
}

static void t_plain_http_refused(void)
{
	NEED(dpap);
	char *body = push_body("plain@tls", ADDR_PLMN, NULL);
	char *req = itest_asprintf("POST /pap HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic YWxpY2U6YWxpY2Utc3"
	    "NjcmV0\r\nContent-Type: " CTYPE_PUSH "\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
	    strlen(body), body);
	struct itest_resp r = { 0 };
	itest_raw(dpap.port, req, strlen(req), 3000, &r);
	CU_ASSERT(r.status == 0);                                    /* no HTTP answer */
	CU_ASSERT(!r.body || !strstr(r.body, "HTTP/1."));
	itest_resp_free(&r);
	CU_ASSERT(status_code(&dpap, &ALICE, "plain@tls") == 2004);  /* nothing stored */
	CU_ASSERT(itest_wait_file_has(dpap.log, "TLS handshake with 127.0.0.1 did not complete", 5) == 0);
	free(req);
	free(body);
}

/* ---------------------------------------------------------- admin */

static int ctl(const char *a0, ...)
{
	const char *argv[24];
	char path[1024], url[64];
	va_list ap;
	int n = 0, code = -1;
	snprintf(path, sizeof path, "%s/ppgctl", getenv("PPG_BUILDDIR") ? getenv("PPG_BUILDDIR") : PPG_BUILDDIR);
	snprintf(url, sizeof url, "https://127.0.0.1:%d", admin_port);
	argv[n++] = path;
	argv[n++] = "-u";
	argv[n++] = url;
	va_start(ap, a0);
	for (const char *a = a0; a && n < 23; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	char *err = NULL;
	itest_run_full(argv, NULL, NULL, 30, NULL, &err, &code);
	if (code != 0 && err)
		fprintf(stderr, "[ppgctl: exit %d] %s", code, err);
	free(err);
	return code;
}

static void t_admin_ppgctl(void)
{
	NEED(dpap);
	setenv("PPGCTL_USER", "ops", 1);
	setenv("PPGCTL_PASSWORD", ADMIN_SECRET, 1);
	int code = 3;
	for (double t0 = itest_now(); code == 3 && itest_now() - t0 < 10; usleep(50000))
		code = ctl("--cacert", pem("ca.pem"), "--cert", pem("other.pem"), "--key", pem("other.key"), "status", NULL);
	CU_ASSERT(code == 0);
	/* no client certificate: the account names one, 403 → 4 */
	CU_ASSERT(ctl("--cacert", pem("ca.pem"), "status", NULL) == 4);
	/* a certificate of the CA with another subject: 4 */
	CU_ASSERT(ctl("--cacert", pem("ca.pem"), "--cert", pem("pi.pem"), "--key", pem("pi.key"), "status", NULL) == 4);
	/* the listener's certificate is verified: the system's CAs do not know it → 3 */
	CU_ASSERT(ctl("--cert", pem("other.pem"), "--key", pem("other.key"), "status", NULL) == 3);
	unsetenv("PPGCTL_USER");
	unsetenv("PPGCTL_PASSWORD");
}

/* ---------------------------------------------------------- notifications */

/* node https_pi.js with NAME.pem and NAME.key on port; its PID once it listens. */
static pid_t endpoint(int port, const char *name, const char *out)
{
	char p[16], crt[64], key[64];
	snprintf(p, sizeof p, "%d", port);
	snprintf(crt, sizeof crt, "%s.pem", name);
	snprintf(key, sizeof key, "%s.key", name);
	const char *argv[] = { "node", tu_src("tests/pi/https_pi.js"), "--port", p, "--cert", pem(crt),
		"--key", pem(key), "--out", out, NULL };
	unlink(out);
	char *log = itest_asprintf("%s.log", out);
	pid_t pid = itest_spawn(argv, NULL, log);
	char *ready = itest_asprintf("listening %d", port);
	int ok = pid > 0 && itest_wait_file_has(out, ready, 10) == 0;
	if (!ok) {
		char *text = tu_read_file(log, NULL);
		fprintf(stderr, "\nhttps_pi.js on port %d did not start: %s\n", port, text ? text : "(no output)");
		free(text);
	}
	free(ready);
	free(log);
	return ok ? pid : -1;
}

static void t_notify_https(void)
{
	NEED(dpap);
	int port = itest_free_port(), code = 0;
	char *out = itest_asprintf("%s/endpoint.txt", dpap.dir), *url = itest_asprintf("https://127.0.0.1:%d/n", port);
	/* an endpoint whose certificate is from the configured CA: delivered */
	pid_t pid = endpoint(port, "ep", out);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT(push_as(&dpap, &ALICE, "notify-ok@tls", ADDR_UDP, url, &code) == 200 && code == 1001);
	CU_ASSERT(itest_wait_file_has(out, "push-id=\"notify-ok@tls\"", 15) == 0);
	itest_stop_pid(pid, SIGTERM, 5);

	/* the same port, a certificate of another CA: nothing arrives, the
	 * failure is logged and retried */
	pid = endpoint(port, "ep2", out);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT(push_as(&dpap, &ALICE, "notify-bad@tls", ADDR_UDP, url, &code) == 200 && code == 1001);
	CU_ASSERT(itest_wait_file_has(out, "tlsClientError", 15) == 0);
	CU_ASSERT(itest_wait_file_has(dpap.log, "(SSL certificate problem", 10) == 0);
	CU_ASSERT(itest_wait_file_has(dpap.log, "attempt 2, next in", 10) == 0);
	size_t len = 0;
	char *seen = tu_read_file(out, &len);
	CU_ASSERT(seen && !strstr(seen, "notify-bad@tls"));
	free(seen);
	itest_stop_pid(pid, SIGTERM, 5);

	/* trusted again: the retry delivers it, nothing lost */
	pid = endpoint(port, "ep", out);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT(itest_wait_file_has(out, "push-id=\"notify-bad@tls\"", 15) == 0);
	itest_stop_pid(pid, SIGTERM, 5);
	free(out);
	free(url);
}

/* ---------------------------------------------------------- reload */

static int server_fingerprint(int port, char *buf, size_t len)
{
	char *script = itest_asprintf("openssl s_client -connect 127.0.0.1:%d -CAfile ca.pem </dev/null 2>/dev/null | "
	    "openssl x509 -noout -fingerprint -sha256", port), *out = NULL;
	int r = sh(pem_dir, script, &out);
	const char *eq = out ? strchr(out, '=') : NULL;
	if (eq) {
		snprintf(buf, len, "%s", eq + 1);
		buf[strcspn(buf, "\r\n")] = '\0';
	}
	free(script);
	free(out);
	return r == 0 && eq ? 0 : -1;
}

static void t_reload_rules_and_certificate(void)
{
	NEED(dpap);
	pid_t pid = dpap.pid;
	char before[160] = "", after[160] = "", renewed[160] = "";
	CU_ASSERT(server_fingerprint(dpap.port, before, sizeof before) == 0);
	CU_ASSERT(cert_field("server2", "-fingerprint -sha256", renewed, sizeof renewed) == 0);
	CU_ASSERT(strcmp(before, renewed) != 0);
	/* mmsc is now other.pem; the certificate renewed under the same file names */
	CU_ASSERT_FATAL(write_pap_config(other_subject, other_fp) == 0);
	CU_ASSERT_FATAL(sh(pem_dir, "cp server2.pem server.pem && cp server2.key server.key", NULL) == 0);
	kill(pid, SIGHUP);
	CU_ASSERT_FATAL(itest_wait_file_has(dpap.log, "reload: ", 5) == 0);
	CU_ASSERT(itest_wait_file_has(dpap.log, "(changed: [pi mmsc])", 5) == 0);
	CU_ASSERT(itest_wait_file_has(dpap.log, "[server] TLS: new connections use OU=renewed,CN=127.0.0.1", 5) == 0);
	CU_ASSERT(server_fingerprint(dpap.port, after, sizeof after) == 0);
	CU_ASSERT(strcmp(after, renewed) == 0);
	if (strcmp(after, renewed))
		fprintf(stderr, "\nafter the reload the listener shows %s, the renewed file is %s\n", after, renewed);
	int code = 0;
	refused(&MMSC, "reload-pi@tls", 401, &(struct who){ NULL, NULL, "other" });
	CU_ASSERT(push_as(&dpap, &(struct who){ NULL, NULL, "other" }, "reload-other@tls", ADDR_PLMN, NULL, &code) == 200);
	CU_ASSERT(code == 1001);
	CU_ASSERT(itest_daemon_alive(&dpap) && dpap.pid == pid);   /* no restart */
}

/* ---------------------------------------------------------- required */

static int init_req(void)
{
	if (itest_daemon_init(&dreq, "tlsreq") < 0)
		return 0;
	snprintf(dreq.url, sizeof dreq.url, "https://127.0.0.1:%d/pap", dreq.port);
	if (!pem_dir[0])
		return 0;
	char *server = itest_asprintf("success_status = 200\ntls_certificate = %s\ntls_key = %s\ntls_client_ca = %s\n"
	    "tls_client_auth = required\n",
	    pem("server.pem"), pem("server.key"), pem("ca.pem"));
	if (itest_std_config(&dreq, server, NULL) == 0 && itest_daemon_start(&dreq) < 0)
		dreq.pid = 0;
	free(server);
	return 0;
}

static int clean_req(void)
{
	itest_daemon_destroy(&dreq, 0);
	return 0;
}

static void t_required_handshake(void)
{
	NEED(dreq);
	int code = 0;
	/* alice's secret with any certificate of the CA */
	CU_ASSERT(push_as(&dreq, &(struct who){ "alice", ITEST_ALICE_SECRET, "other" }, "req-ok@tls", ADDR_PLMN,
	    NULL, &code) == 200);
	CU_ASSERT(code == 1001);
	/* no certificate, or one of another CA: no HTTP at all */
	CU_ASSERT(push_as(&dreq, &ALICE, "req-none@tls", ADDR_PLMN, NULL, &code) == 0);
	CU_ASSERT(push_as(&dreq, &(struct who){ "alice", ITEST_ALICE_SECRET, "evil" }, "req-evil@tls", ADDR_PLMN,
	    NULL, &code) == 0);
	const struct who ok = { "alice", ITEST_ALICE_SECRET, "pi" };
	CU_ASSERT(status_code(&dreq, &ok, "req-ok@tls") == 1001);
	CU_ASSERT(status_code(&dreq, &ok, "req-none@tls") == 2004);
	CU_ASSERT(status_code(&dreq, &ok, "req-evil@tls") == 2004);
}

/* ---------------------------------------------------------- config */

static void t_config_errors(void)
{
	CU_ASSERT_FATAL(pem_dir[0] != '\0');
	static const struct { const char *text, *error; } cases[] = {
		{ "[server]\ntls_certificate = /x.pem\n", "tls_certificate and tls_key go together" },
		{ "[server]\ntls_client_ca = /x.pem\n", "tls_client_ca needs tls_certificate" },
		{ "[pi a]\ntls_subject = CN=a\n", "[server] tls_client_ca (and tls_certificate, tls_key) must be set" },
		{ "[pi a]\ntls_fingerprint = sha256:AB:CD\n", "is not a list of at most 4 SHA-256 fingerprints" },
		{ "[pi a]\nallow = 127.0.0.1/32\n", "has no secret_hash (nor tls_subject, tls_fingerprint)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *path = itest_write_file(pem_dir, "bad.conf", cases[i].text, strlen(cases[i].text));
		const char *argv[] = { itest_ppgd_path(), "-c", path, "-t", NULL };
		char *err = NULL;
		int code = -1;
		itest_run_full(argv, NULL, NULL, 30, NULL, &err, &code);
		CU_ASSERT(code == 1);
		CU_ASSERT(err && strstr(err, cases[i].error));
		if (!err || !strstr(err, cases[i].error))
			fprintf(stderr, "\ncase %zu: %s\n", i, err ? err : "");
		free(err);
		free(path);
	}
	/* a key that is not the certificate's: ppgd -t and the start say so */
	char *text = itest_asprintf("[server]\ntls_certificate = %s\ntls_key = %s\n", pem("server.pem"), pem("pi.key"));
	char *path = itest_write_file(pem_dir, "badkey.conf", text, strlen(text));
	const char *argv[] = { itest_ppgd_path(), "-c", path, "-t", NULL };
	char *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, NULL, 30, NULL, &err, &code);
	CU_ASSERT(code == 1 && err && strstr(err, "[server] tls_certificate"));
	free(err);
	free(path);
	free(text);
}

int main(void)
{
	static const struct itest_test_def pap[] = {
		{ "curl over HTTPS with --cacert: 1001; without it curl refuses the certificate", t_curl_cli_push },
		{ "npm blackberry-push over HTTPS (NODE_EXTRA_CA_CERTS): 1001", t_npm_push },
		{ "PI by client certificate alone: right one 1001; none, other CA, other subject 401, nothing stored",
		  t_client_certificate_only },
		{ "PI with secret and certificate: both needed (403 without the certificate)", t_secret_and_certificate },
		{ "plain HTTP on the TLS port: no HTTP answer, nothing stored, logged", t_plain_http_refused },
		{ "admin listener over TLS: ppgctl --cacert --cert --key; refused without", t_admin_ppgctl },
		{ "notifications to https: verified against [notify] ca_file; untrusted retried, then delivered",
		  t_notify_https },
		{ "ppgd -t: TLS key errors and a key that is not the certificate's", t_config_errors },
		{ "SIGHUP: new per-PI certificate rules and a renewed server certificate, no restart",
		  t_reload_rules_and_certificate },
		{ NULL, NULL },
	};
	static const struct itest_test_def req[] = {
		{ "tls_client_auth = required: no handshake without a certificate of the CA", t_required_handshake },
		{ NULL, NULL },
	};
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* The certificates of every suite, made once. */
	char *dir = tu_tmpdir("tlscerts");
	if (dir && make_certs(dir) == 0)
		snprintf(pem_dir, sizeof pem_dir, "%s", dir);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("TLS: PAP, admin, notifications, reload", init_pap, clean_pap, pap) ||
	    itest_add_suite("TLS: client certificate required", init_req, clean_req, req)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	curl_global_cleanup();
	if (dir)
		tu_rmtree(dir);
	free(dir);
	return rc;
}
