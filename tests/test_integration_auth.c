/*
 * test_integration_auth.c - the real ppgd: the command line (--hash-secret,
 * ppgd -t on the config fixtures), authentication (401, 403, the failure
 * delay) and durability (kill -9, SIGTERM and restart).
 * Shared set-up: tests/integration_common.c (split from test_integration.c).
 */
#include "tests/integration_common.h"

/* ================================================ suite: authentication */

static const char *mallory_section(void)
{
	static char buf[512];
	const char *h = itest_hash_secret(ITEST_ALICE_SECRET);
	snprintf(buf, sizeof buf, "[pi mallory]\nsecret_hash = %s\nallow = 192.0.2.0/24, 2001:db8::/32\n",
	    h ? h : "");
	return buf;
}

static int init_auth(void)
{
	want_status = 202;
	start_std(&dauth, "auth", NULL, mallory_section());
	return 0;
}

static int clean_auth(void)
{
	if (last.d == &ddelay)
		last.d = NULL;
	stop_suite(&ddelay);
	return stop_suite(&dauth);
}

/* POSTs a push; returns the HTTP answer in last.resp. */
static void raw_push(struct itest_daemon *d, const char *url, const char *user, const char *pw,
    const char *push_id)
{
	const char *addrs[] = { ADDR1, NULL };
	char *body = push_body_v(DOCTYPE_20, push_id, NULL, addrs);
	struct itest_resp r;
	itest_http("POST", url, MULTIPART_CT, body, strlen(body), user, pw, &r);
	remember(d, body, strlen(body), &r);
	free(body);
}

static int has_basic_challenge(const struct itest_resp *r)
{
	char *v = itest_resp_header(r, "WWW-Authenticate");
	int ok = v && !strcmp(v, "Basic realm=\"ppgd\"");
	free(v);
	return ok;
}

static void t_no_credentials_401(void)
{
	NEED(dauth);
	int code = 0;
	raw_push(&dauth, dauth.url, NULL, NULL, "nocreds-1@itest");
	EXPECT(last.resp.status == 401);
	EXPECT(has_basic_challenge(&last.resp));
	status_of(&dauth, ALICE, "nocreds-1@itest", &code);
	EXPECT(code == PAP_PUSH_ID_NOT_FOUND);
}

static void t_wrong_credentials_401(void)
{
	NEED(dauth);
	int code = 0;
	raw_push(&dauth, dauth.url, "alice", "not-the-secret", "wrongpw-1@itest");
	EXPECT(last.resp.status == 401);
	EXPECT(has_basic_challenge(&last.resp));
	status_of(&dauth, ALICE, "wrongpw-1@itest", &code);
	EXPECT(code == PAP_PUSH_ID_NOT_FOUND);

	raw_push(&dauth, dauth.url, "nobody", ITEST_ALICE_SECRET, "wronguser-1@itest");
	EXPECT(last.resp.status == 401);
	EXPECT(has_basic_challenge(&last.resp));
	/* Bob's secret is not Alice's. */
	raw_push(&dauth, dauth.url, "alice", ITEST_BOB_SECRET, "crossed-1@itest");
	EXPECT(last.resp.status == 401);
	status_of(&dauth, ALICE, "crossed-1@itest", &code);
	EXPECT(code == PAP_PUSH_ID_NOT_FOUND);
}

static void t_query_credentials_off_by_default(void)
{
	NEED(dauth);
	int code = 0;
	char *url = itest_asprintf("%s?username=alice&password=%s", dauth.url, ITEST_ALICE_SECRET);
	raw_push(&dauth, url, NULL, NULL, "query-off-1@itest");
	free(url);
	EXPECT(last.resp.status == 401);
	status_of(&dauth, ALICE, "query-off-1@itest", &code);
	EXPECT(code == PAP_PUSH_ID_NOT_FOUND);
}

static void t_outside_allow_403(void)
{
	NEED(dauth);
	raw_push(&dauth, dauth.url, "mallory", ITEST_ALICE_SECRET, "mallory-1@itest");
	EXPECT(last.resp.status == 403);
}

static void t_failure_delay_grows(void)
{
	/* Its own daemon: no earlier failures from 127.0.0.1 may count. */
	want_status = 202;
	start_std(&ddelay, "delay", NULL, NULL);
	NEED(ddelay);

	double t[6] = { 0 };
	for (int i = 1; i <= 5; i++) {
		char id[64];
		snprintf(id, sizeof id, "delay-%d@itest", i);
		raw_push(&ddelay, ddelay.url, "alice", "wrong-guess", id);
		EXPECT(last.resp.status == 401);
		t[i] = last.resp.seconds;
	}
	fprintf(stderr, "\n401 times: %.3f %.3f %.3f %.3f %.3f s\n", t[1], t[2], t[3], t[4], t[5]);
	EXPECT(t[5] >= t[1] + 0.2);

	/* The right secret right after the failures is answered at once. */
	raw_push(&ddelay, ddelay.url, ALICE, "delay-ok@itest");
	fprintf(stderr, "right secret after 5 failures: %.3f s\n", last.resp.seconds);
	EXPECT(last.resp.status == 202);
	EXPECT(last.resp.seconds < 0.5);
}

/* ================================================ suite: durability */

static int init_dur(void)
{
	want_status = 202;
	start_std(&ddur, "durable", NULL, NULL);
	return 0;
}

static int clean_dur(void)
{
	return stop_suite(&ddur);
}

static void t_kill9_after_1001_keeps_push(void)
{
	NEED(ddur);
	EXPECT_FATAL(push1(&ddur, ALICE, "durable-1@itest", NULL) == PAP_ACCEPTED);
	itest_daemon_kill(&ddur);
	EXPECT_FATAL(itest_daemon_start(&ddur) == 0);
	EXPECT(status_of(&ddur, ALICE, "durable-1@itest", NULL) == PAP_STATE_PENDING);
}

static void t_sigterm_restart_keeps_state(void)
{
	NEED(ddur);
	EXPECT(push1(&ddur, ALICE, "durable-2@itest", NULL) == PAP_ACCEPTED);
	EXPECT(cancel_of(&ddur, ALICE, "durable-2@itest") == PAP_OK);
	int st = itest_daemon_stop(&ddur);
	EXPECT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_FATAL(itest_daemon_start(&ddur) == 0);
	EXPECT(status_of(&ddur, ALICE, "durable-1@itest", NULL) == PAP_STATE_PENDING);
	EXPECT(status_of(&ddur, ALICE, "durable-2@itest", NULL) == PAP_STATE_CANCELLED);
	/* push-id uniqueness survives the restart too. */
	EXPECT(push1(&ddur, ALICE, "durable-1@itest", NULL) == PAP_DUPLICATE_PUSH_ID);
}

/* ================================================ suite: command line */

static void t_hash_secret(void)
{
	const char *argv[] = { itest_ppgd_path(), "--hash-secret", NULL };
	char *h1 = NULL, *h2 = NULL;
	int c1 = -1, c2 = -1;
	itest_run_full(argv, "demo-secret\n", NULL, 30, &h1, NULL, &c1);
	itest_run_full(argv, "demo-secret\n", NULL, 30, &h2, NULL, &c2);
	EXPECT(c1 == 0 && c2 == 0);
	CU_ASSERT_FATAL(h1 && h2);
	h1[strcspn(h1, "\r\n")] = '\0';
	h2[strcspn(h2, "\r\n")] = '\0';
	EXPECT(h1[0] == '$');
	EXPECT(strcmp(h1, h2) != 0);  /* a fresh salt each time */
	struct crypt_data cd;
	memset(&cd, 0, sizeof cd);
	const char *v = crypt_r("demo-secret", h1, &cd);
	EXPECT(v && !strcmp(v, h1));
	memset(&cd, 0, sizeof cd);
	v = crypt_r("other-secret", h1, &cd);
	EXPECT(!v || strcmp(v, h1) != 0);
	free(h1);
	free(h2);
}

static void t_config_fixtures(void)
{
	const char *dir = tu_src("tests/fixtures");
	char fixdir[4096];
	snprintf(fixdir, sizeof fixdir, "%s", dir);
	DIR *dp = opendir(fixdir);
	if (!dp)
		fprintf(stderr, "\ncannot open %s\n", fixdir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	char *cwd = tu_tmpdir("fixtures");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cwd);
	int nok = 0, nfail = 0;
	struct dirent *de;
	while ((de = readdir(dp))) {
		size_t n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".conf"))
			continue;
		int good = !strncmp(de->d_name, "ok_", 3);
		int bad = !strncmp(de->d_name, "fail_", 5);
		if (!good && !bad)
			continue;
		char path[4400];
		snprintf(path, sizeof path, "%s/%s", fixdir, de->d_name);
		const char *argv[] = { itest_ppgd_path(), "-t", "-c", path, NULL };
		char *out = NULL, *err = NULL;
		int code = -1;
		itest_run_full(argv, NULL, cwd, 30, &out, &err, &code);
		if (good) {
			nok++;
			if (code != 0)
				fprintf(stderr, "\n%s: ppgd -t exit %d, expected 0\n%s", de->d_name, code, err);
			EXPECT(code == 0);
		} else {
			nfail++;
			char *text = tu_read_file(path, NULL);
			int line = 0;
			char *e = text ? strstr(text, "expect-line:") : NULL;
			if (e)
				line = atoi(e + 12);
			if (line <= 0)
				fprintf(stderr, "\n%s has no '; expect-line: N' comment\n", de->d_name);
			EXPECT(line > 0);
			char want[512];
			snprintf(want, sizeof want, "%s:%d:", de->d_name, line);
			int named = err && strstr(err, want) != NULL;
			if (code == 0 || code < 0 || !named)
				fprintf(stderr, "\n%s: ppgd -t exit %d, expected non-zero and \"%s\" on stderr; "
				    "stderr was:\n%s\n", de->d_name, code, want, err ? err : "");
			EXPECT(code > 0 && code < 128);
			EXPECT(named);
			free(text);
		}
		free(out);
		free(err);
	}
	closedir(dp);
	tu_rmtree(cwd);
	free(cwd);
	EXPECT(nok >= 1);
	EXPECT(nfail >= 1);
}

/* ---------------------------------------------------------------- main */

int main(void)
{
	static const struct itest_test_def cli[] = {
		{ "ppgd --hash-secret makes a salted crypt(3) hash", t_hash_secret },
		{ "ppgd -t: ok_* fixtures pass, fail_* name FILE:LINE", t_config_fixtures },
		{ NULL, NULL },
	};
	static const struct itest_test_def auth[] = {
		{ "no credentials -> 401 Basic realm=ppgd, nothing stored", t_no_credentials_401 },
		{ "wrong credentials -> 401, nothing stored", t_wrong_credentials_401 },
		{ "query credentials refused by default -> 401", t_query_credentials_off_by_default },
		{ "PI outside its allow ranges -> 403", t_outside_allow_403 },
		{ "repeated failures slow 401 down, right secret is fast", t_failure_delay_grows },
		{ NULL, NULL },
	};
	static const struct itest_test_def dur[] = {
		{ "kill -9 after 1001, restart: push still pending", t_kill9_after_1001_keeps_push },
		{ "SIGTERM exit 0, restart keeps states and push-ids", t_sigterm_restart_keeps_state },
		{ NULL, NULL },
	};

	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("command line", NULL, NULL, cli) ||
	    itest_add_suite("authentication", init_auth, clean_auth, auth) ||
	    itest_add_suite("durability", init_dur, clean_dur, dur)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	free(last.req);
	itest_resp_free(&last.resp);
	itest_kill_all();
	return rc;
}
