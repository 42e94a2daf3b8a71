/*
 * test_integration_pi.c - the real ppgd driven by real Push Initiators:
 * captured requests replayed byte for byte, Kannel's test_ppg, the npm
 * blackberry-push client.
 * Shared set-up: tests/integration_common.c (split from test_integration.c).
 */
#include "tests/integration_common.h"

/* ================================================ suite: captured requests */

static const char *vec_sections(void)
{
	static char buf[2048];
	const char *h = itest_hash_secret(ITEST_ALICE_SECRET);
	snprintf(buf, sizeof buf,
	    "[pi vjde]\nsecret_hash = %s\n\n[pi vnpm]\nsecret_hash = %s\n\n"
	    "[pi vkannel1]\nsecret_hash = %s\n\n[pi vkannel2]\nsecret_hash = %s\n",
	    h ? h : "", h ? h : "", h ? h : "", h ? h : "");
	return buf;
}

static int init_vec(void)
{
	want_status = 202;
	start_std(&dvec, "vectors", NULL, vec_sections());
	return 0;
}

static int clean_vec(void)
{
	return stop_suite(&dvec);
}

/*
 * Rewrites a captured request as the brief allows, nothing more: (a) the path
 * of the request line becomes /pap; (b) Authorization headers are replaced by
 * one for user:pw; (c) when future_deadline, deliver-before-timestamp gets a
 * time one day ahead. Content-Length is set to the body's length. Header
 * casing, line ends, preamble and body bytes stay as captured.
 */
static char *rewrite_raw(const char *raw, size_t len, const char *user, const char *pw,
    int future_deadline, size_t *out_len)
{
	const char *hend = memmem(raw, len, "\r\n\r\n", 4);
	size_t seplen = 4;
	if (!hend) {
		hend = memmem(raw, len, "\n\n", 2);
		seplen = 2;
	}
	if (!hend)
		return NULL;
	const char *eolstr = seplen == 4 ? "\r\n" : "\n";
	char *body = malloc(len + 1);
	size_t blen = len - (size_t)(hend + seplen - raw);
	memcpy(body, hend + seplen, blen);
	body[blen] = '\0';

	if (future_deadline) {
		char *p = memmem(body, blen, "deliver-before-timestamp=\"", 26);
		if (p && p + 26 + 20 <= body + blen) {
			char ts[21];
			pap_time_encode(time(NULL) + 86400, ts);
			memcpy(p + 26, ts, 20);
		}
	}

	char *cred = itest_asprintf("%s:%s", user, pw);
	char *b64 = base64(cred);
	free(cred);
	size_t cap = len + 256, o = 0;
	char *out = malloc(cap + blen);
	const char *p = raw;
	int first = 1;
	while (p < hend + (seplen == 4 ? 2 : 1)) {
		const char *eol = memchr(p, '\n', (size_t)(hend + seplen - p));
		size_t linelen = (size_t)(eol - p) + 1;  /* with '\n' */
		size_t textlen = linelen - 1 - (eol > p && eol[-1] == '\r');
		if (first) {
			/* "METHOD SP PATH SP VERSION" */
			const char *sp1 = memchr(p, ' ', textlen);
			const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', textlen - (size_t)(sp1 + 1 - p)) : NULL;
			if (!sp1 || !sp2) {
				free(out);
				free(body);
				free(b64);
				return NULL;
			}
			o += (size_t)sprintf(out + o, "%.*s /pap%.*s%s", (int)(sp1 - p), p,
			    (int)(textlen - (size_t)(sp2 - p)), sp2, eolstr);
			o += (size_t)sprintf(out + o, "Authorization: Basic %s%s", b64, eolstr);
			first = 0;
		} else if (textlen >= 14 && !strncasecmp(p, "Authorization:", 14)) {
			/* dropped: replaced above */
		} else if (textlen >= 15 && !strncasecmp(p, "Content-Length:", 15)) {
			o += (size_t)sprintf(out + o, "%.*s %zu%s", 15, p, blen, eolstr);
		} else {
			memcpy(out + o, p, linelen);
			o += linelen;
		}
		p += linelen;
	}
	memcpy(out + o, eolstr, strlen(eolstr));
	o += strlen(eolstr);
	memcpy(out + o, body, blen);
	o += blen;
	out[o] = '\0';
	free(body);
	free(b64);
	*out_len = o;
	return out;
}

/* Replays tests/vectors/pap-requests/rel for user; returns the decoded answer. */
static struct pap_msg *replay(const char *rel, const char *user, int future_deadline)
{
	char path[1024];
	snprintf(path, sizeof path, "pap-requests/%s", rel);
	const char *full = tu_vector(path);
	size_t len = 0, olen = 0;
	char *raw = tu_read_file(full, &len);
	if (!raw) {
		fprintf(stderr, "\ncannot read %s\n", full);
		return NULL;
	}
	char *req = rewrite_raw(raw, len, user, ITEST_ALICE_SECRET, future_deadline, &olen);
	free(raw);
	if (!req) {
		fprintf(stderr, "cannot split %s into headers and body\n", full);
		return NULL;
	}
	struct itest_resp r;
	int rc = itest_raw(dvec.port, req, olen, 10000, &r);
	remember(&dvec, req, olen, &r);
	free(req);
	EXPECT(rc == 0);
	EXPECT(last.resp.status == want_status);
	char *ct = itest_resp_header(&last.resp, "Content-Type");
	EXPECT(ct && !strncasecmp(ct, "application/xml", 15));
	free(ct);

	struct pap_limits lim = PAP_LIMITS_DEFAULT;
	struct pap_msg *m = NULL;
	struct pap_error err;
	if (rc != 0 || pap_msg_decode(last.resp.body, last.resp.len, &lim, &m, &err) != 0)
		m = NULL;
	EXPECT(m != NULL);
	return m;
}

static void t_vec_blackberry_jde(void)
{
	NEED(dvec);
	struct pap_msg *m = replay("blackberry-jde/push_request.raw", "vjde", 0);
	EXPECT(m && m->type == PAP_MSG_PUSH_RESPONSE && resp_code(m) == PAP_ACCEPTED);
	EXPECT(m && m->push_id && !strcmp(m->push_id, "1@rim.com"));
	EXPECT(m && m->version == PAP_V2_0);
	pap_msg_free(m);

	m = replay("blackberry-jde/replace_request.raw", "vjde", 0);
	EXPECT(m && m->type == PAP_MSG_PUSH_RESPONSE && resp_code(m) == PAP_ACCEPTED);
	pap_msg_free(m);

	m = replay("blackberry-jde/status_request.raw", "vjde", 0);
	EXPECT(m && m->type == PAP_MSG_STATUSQUERY_RESPONSE);
	EXPECT(m && m->nresults >= 1 && resp_code(m) != PAP_PUSH_ID_NOT_FOUND);
	EXPECT(m && resp_state(m) == PAP_STATE_PENDING);
	pap_msg_free(m);

	m = replay("blackberry-jde/cancel_request.raw", "vjde", 0);
	EXPECT(m && m->type == PAP_MSG_CANCEL_RESPONSE);
	EXPECT(m && m->nresults >= 1 && resp_code(m) == PAP_OK);
	pap_msg_free(m);

	EXPECT(status_of(&dvec, "vjde", ITEST_ALICE_SECRET, "1@rim.com", NULL) == PAP_STATE_CANCELLED);
}

static void t_vec_npm_blackberry_push(void)
{
	NEED(dvec);
	struct pap_msg *m = replay("npm-blackberry-push/push_request.raw", "vnpm", 1);
	EXPECT(m && m->type == PAP_MSG_PUSH_RESPONSE && resp_code(m) == PAP_ACCEPTED);
	EXPECT(m && m->version == PAP_V2_1);
	pap_msg_free(m);
	EXPECT(status_of(&dvec, "vnpm", ITEST_ALICE_SECRET, "17952848810589296", NULL) ==
	    PAP_STATE_PENDING);
}

static void t_vec_kannel_test_ppg(void)
{
	NEED(dvec);
	/* Both captures use push-id 9fjeo39jf084@pi.com: one account each. */
	struct pap_msg *m = replay("kannel-test_ppg/test_ppg_si_mmsua_ipv4.raw", "vkannel1", 0);
	EXPECT(m && m->type == PAP_MSG_PUSH_RESPONSE && resp_code(m) == PAP_ACCEPTED);
	EXPECT(m && m->version == PAP_V1_0);
	pap_msg_free(m);
	m = replay("kannel-test_ppg/test_ppg_sl_numeric_appid_plmn.raw", "vkannel2", 0);
	EXPECT(m && m->type == PAP_MSG_PUSH_RESPONSE && resp_code(m) == PAP_ACCEPTED);
	pap_msg_free(m);
	/* Stored: found by a statusquery (their QoS requires bearers, so the
	 * state may move on; only acceptance is asserted). */
	int code = 0;
	status_of(&dvec, "vkannel1", ITEST_ALICE_SECRET, "9fjeo39jf084@pi.com", &code);
	EXPECT(code > 0 && code != PAP_PUSH_ID_NOT_FOUND);
	status_of(&dvec, "vkannel2", ITEST_ALICE_SECRET, "9fjeo39jf084@pi.com", &code);
	EXPECT(code > 0 && code != PAP_PUSH_ID_NOT_FOUND);
}

/* Every *.raw under tests/vectors/pap-requests is covered by one of the tests above. */
static void t_vec_all_raw_files_covered(void)
{
	static const char *const known[] = {
		"blackberry-jde/cancel_request.raw", "blackberry-jde/push_request.raw",
		"blackberry-jde/replace_request.raw", "blackberry-jde/status_request.raw",
		"kannel-test_ppg/test_ppg_si_mmsua_ipv4.raw",
		"kannel-test_ppg/test_ppg_sl_numeric_appid_plmn.raw",
		"npm-blackberry-push/push_request.raw",
	};
	static const char *const dirs[] = { "blackberry-jde", "kannel-test_ppg", "npm-blackberry-push" };
	char top[1024];
	snprintf(top, sizeof top, "%s", tu_vector("pap-requests"));
	DIR *t = opendir(top);
	if (!t)
		fprintf(stderr, "\ncannot open %s\n", top);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	size_t found = 0;
	struct dirent *de;
	while ((de = readdir(t))) {
		if (de->d_name[0] == '.')
			continue;
		int known_dir = 0;
		for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
			known_dir |= !strcmp(de->d_name, dirs[i]);
		char sub[2048];
		snprintf(sub, sizeof sub, "%s/%s", top, de->d_name);
		DIR *s = opendir(sub);
		struct dirent *fe;
		while (s && (fe = readdir(s))) {
			size_t n = strlen(fe->d_name);
			if (n < 4 || strcmp(fe->d_name + n - 4, ".raw"))
				continue;
			char rel[600];
			snprintf(rel, sizeof rel, "%s/%s", de->d_name, fe->d_name);
			int ok = 0;
			for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
				ok |= !strcmp(rel, known[i]);
			if (!ok)
				fprintf(stderr, "\nvector %s is new: add it to the replay tests\n", rel);
			EXPECT(ok && known_dir);
			found++;
		}
		if (s)
			closedir(s);
	}
	closedir(t);
	EXPECT(found == sizeof known / sizeof known[0]);
}

/* ================================================ suite: Kannel test_ppg */

#define TEST_PPG "/usr/lib/kannel/test/test_ppg"

static int init_kannel(void)
{
	want_status = 202;
	start_std(&dkannel, "kannel", "query_credentials = yes\n", NULL);
	return 0;
}

static int clean_kannel(void)
{
	return stop_suite(&dkannel);
}

/*
 * test_ppg in its configuration-file mode: with -b it sends
 * "Authorization: Basic base64(username:password)"; without -b it appends
 * "?username=U&password=P" to push-url. (In the command-line mode, -b sends
 * "Authorization: Basic KG51bGwp", base64 of "(null)": no usable credentials.)
 */
static void run_test_ppg(const char *tag, const char *pap_xml, const char *content,
    const char *const *opts, int header_auth)
{
	if (access(TEST_PPG, X_OK) != 0)
		fprintf(stderr, "\n%s is missing: install the Debian package kannel-extras "
		    "(scripts/setup.sh does)\n", TEST_PPG);
	CU_ASSERT_FATAL(access(TEST_PPG, X_OK) == 0);

	char name[128];
	snprintf(name, sizeof name, "%s-pap.xml", tag);
	char *pap_path = itest_write_file(dkannel.dir, name, pap_xml, strlen(pap_xml));
	snprintf(name, sizeof name, "%s-content.xml", tag);
	char *content_path = itest_write_file(dkannel.dir, name, content, strlen(content));
	char *conf = itest_asprintf(
	    "group = test-ppg\nretries = 0\npi-ssl = no\n\n"
	    "group = configuration\npush-url = \"%s\"\npap-file = \"%s\"\ncontent-file = \"%s\"\n"
	    "username = alice\npassword = %s\n",
	    dkannel.url, pap_path, content_path, ITEST_ALICE_SECRET);
	snprintf(name, sizeof name, "%s-test_ppg.conf", tag);
	char *conf_path = itest_write_file(dkannel.dir, name, conf, strlen(conf));
	CU_ASSERT_FATAL(pap_path && content_path && conf_path);

	const char *argv[16];
	int n = 0;
	argv[n++] = TEST_PPG;
	argv[n++] = "-v";
	argv[n++] = "1";
	argv[n++] = "-q";
	if (header_auth)
		argv[n++] = "-b";
	for (size_t i = 0; opts[i]; i++)
		argv[n++] = opts[i];
	argv[n++] = conf_path;
	argv[n] = NULL;

	char *out = NULL, *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, dkannel.dir, 30, &out, &err, &code);
	int ok = code == 0 && err && strstr(err, "1 succeeded, 0 failed");
	if (!ok)
		fprintf(stderr, "\ntest_ppg exit %d\nstdout: %s\nstderr: %s\n", code, out ? out : "",
		    err ? err : "");
	EXPECT(code == 0);
	EXPECT(err && strstr(err, "1 succeeded, 0 failed"));
	free(out);
	free(err);
	free(conf);
	free(pap_path);
	free(content_path);
	free(conf_path);
}

static void t_test_ppg_si_ipv4_basic_auth(void)
{
	NEED(dkannel);
	const char *pap =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP//EN\"\n"
	    "          \"http://www.wapforum.org/DTD/pap_1.0.dtd\">\n"
	    "<pap>\n"
	    "  <push-message push-id=\"kannel-si-1@itest\"\n"
	    "  progress-notes-requested=\"false\">\n"
	    "    <address address-value=\"WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example\">\n"
	    "    </address>\n"
	    "    <quality-of-service\n"
	    "    priority=\"low\"\n"
	    "    delivery-method=\"unconfirmed\">\n"
	    "    </quality-of-service>\n"
	    "  </push-message>\n"
	    "</pap>\n";
	const char *si =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE si PUBLIC \"-//WAPFORUM//DTD SI 1.0//EN\"\n"
	    "\"http://www.wapforum.org/DTD/si.dtd\">\n"
	    "<si>\n"
	    "    <indication href=\"http://www.example.com/mms/1\"\n"
	    "        si-id=\"1@itest\"\n"
	    "        action=\"signal-high\">\n"
	    "            You have a new MMS\n"
	    "    </indication>\n"
	    "</si>\n";
	const char *opts[] = { "-c", "si", "-a", "mms", NULL };
	run_test_ppg("si", pap, si, opts, 1);
	EXPECT(status_of(&dkannel, ALICE, "kannel-si-1@itest", NULL) == PAP_STATE_PENDING);
}

static void t_test_ppg_sl_numeric_appid_query_auth(void)
{
	NEED(dkannel);
	const char *pap =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP//EN\"\n"
	    "          \"http://www.wapforum.org/DTD/pap_1.0.dtd\">\n"
	    "<pap>\n"
	    "  <push-message push-id=\"kannel-sl-1@itest\">\n"
	    "    <address address-value=\"WAPPUSH=+15551230001/TYPE=PLMN@ppg.example\">\n"
	    "    </address>\n"
	    "    <quality-of-service\n"
	    "    priority=\"low\"\n"
	    "    delivery-method=\"unconfirmed\">\n"
	    "    </quality-of-service>\n"
	    "  </push-message>\n"
	    "</pap>\n";
	const char *sl =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE sl PUBLIC \"-//WAPFORUM//DTD SL 1.0//EN\"\n"
	    "\"http://www.wapforum.org/DTD/sl.dtd\">\n"
	    "<sl href=\"http://www.example.com/sl\" action=\"execute-high\">\n"
	    "</sl>\n";
	const char *opts[] = { "-c", "sl", "-a", "ua", "-n", NULL };
	run_test_ppg("sl", pap, sl, opts, 0);
	EXPECT(status_of(&dkannel, ALICE, "kannel-sl-1@itest", NULL) == PAP_STATE_PENDING);
}

/* ================================================ suite: npm blackberry-push */

static int init_npm(void)
{
	want_status = 200;
	start_std(&dnpm, "npm", "success_status = 200\n", NULL);
	return 0;
}

static int clean_npm(void)
{
	want_status = 202;
	return stop_suite(&dnpm);
}

static void t_npm_push_status_cancel(void)
{
	NEED(dnpm);
	char script[4096], modpath[4096];
	snprintf(script, sizeof script, "%s", tu_src("tests/pi/bbpush.js"));
	snprintf(modpath, sizeof modpath, "%s", tu_src("tests/pi/node_modules/blackberry-push/index.js"));
	if (access(modpath, R_OK) != 0)
		fprintf(stderr, "\n%s is missing: run scripts/setup.sh (npm ci in tests/pi)\n", modpath);
	CU_ASSERT_FATAL(access(modpath, R_OK) == 0);

	const char *argv[] = { "node", script, "push", "--url", dnpm.url, "--user", "alice",
		"--password", ITEST_ALICE_SECRET, "--address", ADDR1, NULL };
	char *out = NULL, *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, NULL, 60, &out, &err, &code);
	if (code != 0 || !err || !strstr(err, "HTTP 200"))
		fprintf(stderr, "\nnode bbpush.js exit %d\nstdout: %s\nstderr: %s\n", code,
		    out ? out : "", err ? err : "");
	EXPECT(code == 0);
	EXPECT(err && strstr(err, "HTTP 200"));

	struct pap_limits lim = PAP_LIMITS_DEFAULT;
	struct pap_msg *m = NULL;
	struct pap_error perr;
	if (!out || pap_msg_decode(out, strlen(out), &lim, &m, &perr) != 0)
		m = NULL;
	EXPECT(m != NULL);
	EXPECT(m && m->type == PAP_MSG_PUSH_RESPONSE && resp_code(m) == PAP_ACCEPTED);
	EXPECT(m && m->version == PAP_V2_1);
	char *push_id = m && m->push_id ? strdup(m->push_id) : NULL;
	pap_msg_free(m);
	free(out);
	free(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(push_id);

	/* blackberry-push 0.1.0 only pushes: status and cancel go over libcurl. */
	EXPECT(status_of(&dnpm, ALICE, push_id, NULL) == PAP_STATE_PENDING);
	EXPECT(cancel_of(&dnpm, ALICE, push_id) == PAP_OK);
	EXPECT(status_of(&dnpm, ALICE, push_id, NULL) == PAP_STATE_CANCELLED);
	free(push_id);
}

static void t_npm_wrong_secret_is_an_error(void)
{
	NEED(dnpm);
	const char *argv[] = { "node", tu_src("tests/pi/bbpush.js"), "push", "--url", dnpm.url,
		"--user", "alice", "--password", "wrong", "--address", ADDR1, NULL };
	char *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, NULL, 60, NULL, &err, &code);
	EXPECT(code == 1);
	EXPECT(err && strstr(err, "HTTP 401"));
	free(err);
}

/* ---------------------------------------------------------------- main */

int main(void)
{
	static const struct itest_test_def vec[] = {
		{ "BlackBerry JDE push, replace, status, cancel", t_vec_blackberry_jde },
		{ "npm blackberry-push capture", t_vec_npm_blackberry_push },
		{ "Kannel test_ppg captures (SI/IPv4, SL/PLMN)", t_vec_kannel_test_ppg },
		{ "every captured .raw request is replayed", t_vec_all_raw_files_covered },
		{ NULL, NULL },
	};
	static const struct itest_test_def kannel[] = {
		{ "test_ppg -b: SI to IPv4, mms.ua, Basic auth", t_test_ppg_si_ipv4_basic_auth },
		{ "test_ppg: SL, numeric app id, PLMN, query auth", t_test_ppg_sl_numeric_appid_query_auth },
		{ NULL, NULL },
	};
	static const struct itest_test_def npm[] = {
		{ "blackberry-push: push (HTTP 200) then status, cancel", t_npm_push_status_cancel },
		{ "blackberry-push: wrong secret -> 401 error", t_npm_wrong_secret_is_an_error },
		{ NULL, NULL },
	};

	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("captured PI requests", init_vec, clean_vec, vec) ||
	    itest_add_suite("Kannel test_ppg", init_kannel, clean_kannel, kannel) ||
	    itest_add_suite("npm blackberry-push", init_npm, clean_npm, npm)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	free(last.req);
	itest_resp_free(&last.resp);
	itest_kill_all();
	return rc;
}
