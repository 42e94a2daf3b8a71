/*
 * test_reload.c - configuration reload of the real daemon: SIGHUP and
 * POST /api/v1/reload (ppgctl reload). A PI's secret changed under a load
 * of another PI's pushes (none of those refused, every one answered 1001),
 * the new secret accepted and the old one refused at once; a PI added; a
 * bad file answered 400 with its line and the running config untouched; a
 * restart-only key named and kept; [log] level applied.
 */
#include <CUnit/Basic.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/itest.h"
#include "tests/test_util.h"

#define ADMIN_SECRET "ops-s3cret"
#define ALICE_NEW    "alice-n3w-secret"
#define CAROL_SECRET "carol-s3cret"
#define BOUNDARY "reload-5e1c"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""

static struct itest_daemon d;
static int admin_port;

/* The config: alice with secret_hash ha, bob, the admin account, then more. */
static int write_conf(const char *alice_secret, const char *more)
{
	char *sections = itest_asprintf(
	    "[admin]\nenabled = yes\nlisten = 127.0.0.1:%d\n[admin ops]\nsecret_hash = %s\nallow = 127.0.0.0/8\n%s",
	    admin_port, itest_hash_secret(ADMIN_SECRET), more ? more : "");
	int r = itest_std_config(&d, NULL, sections);
	free(sections);
	if (r == 0 && alice_secret && strcmp(alice_secret, ITEST_ALICE_SECRET)) {
		/* swap alice's hash in the file itest wrote */
		size_t len = 0;
		char *text = tu_read_file(d.conf, &len);
		const char *old = itest_hash_secret(ITEST_ALICE_SECRET);
		char *at = text ? strstr(text, old) : NULL;
		if (!at) {
			free(text);
			return -1;
		}
		*at = '\0';
		char *n = itest_asprintf("%s%s%s", text, itest_hash_secret(alice_secret), at + strlen(old));
		r = itest_write_config(&d, n);
		free(n);
		free(text);
	}
	return r;
}

static int init(void)
{
	admin_port = itest_free_port();
	if (itest_daemon_init(&d, "reload") < 0 || write_conf(ITEST_ALICE_SECRET, NULL) < 0 ||
	    itest_daemon_start(&d) < 0)
		return 0;   /* the tests report it */
	char url[96];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", admin_port);
	for (double t0 = itest_now(); itest_now() - t0 < 10; usleep(20000)) {
		struct itest_resp r;
		int ok = itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r) == 0 && r.status == 200;
		itest_resp_free(&r);
		if (ok)
			break;
	}
	return 0;
}

static int clean(void)
{
	itest_daemon_destroy(&d, 0);
	return 0;
}

#define NEED() CU_ASSERT_FATAL(d.pid > 0)

/* One push as user/pw: the HTTP status; *pap_ok when it carries code 1001. */
static long push(const char *user, const char *pw, const char *push_id, int *pap_ok)
{
	char *body = itest_asprintf(
	    "--" BOUNDARY "\r\nContent-Type: application/xml\r\n\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n<pap><push-message push-id=\"%s\">"
	    "<address address-value=\"WAPPUSH=+15550009/TYPE=PLMN@ppg.example\"/></push-message></pap>\r\n"
	    "--" BOUNDARY "\r\nContent-Type: text/plain\r\n\r\nreload test\r\n--" BOUNDARY "--\r\n", push_id);
	struct itest_resp r;
	long status = 0;
	*pap_ok = 0;
	if (itest_http("POST", d.url, MULTIPART_CT, body, strlen(body), user, pw, &r) == 0) {
		status = r.status;
		*pap_ok = r.body && strstr(r.body, "code=\"1001\"") != NULL;
	}
	itest_resp_free(&r);
	free(body);
	return status;
}

/* POST /api/v1/reload: the HTTP status and the parsed answer (*j). */
static long api_reload(json_t **j)
{
	char url[96];
	struct itest_resp r;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/reload", admin_port);
	*j = NULL;
	if (itest_http("POST", url, NULL, "", 0, "ops", ADMIN_SECRET, &r) < 0)
		return 0;
	long st = r.status;
	*j = r.body ? json_loads(r.body, 0, NULL) : NULL;
	itest_resp_free(&r);
	return st;
}

static int array_has(json_t *a, const char *s)
{
	for (size_t i = 0; i < json_array_size(a); i++)
		if (!strcmp(json_string_value(json_array_get(a, i)), s))
			return 1;
	return 0;
}

/* ---------------------------------------------------------------- load */

struct load {
	volatile int stop;
	unsigned sent, accepted, refused;
};

/* bob pushes as fast as one connection at a time goes, until stop. */
static void *bob_load(void *arg)
{
	struct load *l = arg;
	char id[64];
	while (!l->stop) {
		int ok = 0;
		snprintf(id, sizeof id, "load-%u@reload", l->sent);
		long st = push("bob", ITEST_BOB_SECRET, id, &ok);
		l->sent++;
		if (st == 202 && ok)
			l->accepted++;
		else
			l->refused++;
	}
	return NULL;
}

/* ---------------------------------------------------------------- tests */

static void t_secret_under_load(void)
{
	NEED();
	struct load l = { 0 };
	pthread_t th;
	int ok = 0;
	CU_ASSERT_EQUAL(push("alice", ITEST_ALICE_SECRET, "before@reload", &ok), 202);
	CU_ASSERT_FATAL(pthread_create(&th, NULL, bob_load, &l) == 0);
	usleep(200000);
	/* Four reloads while bob pushes: alice's secret to the new one and
	 * back, by the API and by SIGHUP; carol added with the second. */
	for (int i = 0; i < 4; i++) {
		const char *now = i % 2 == 0 ? ALICE_NEW : ITEST_ALICE_SECRET;
		const char *before = i % 2 == 0 ? ITEST_ALICE_SECRET : ALICE_NEW;
		char *carol = i >= 1 ? itest_asprintf("[pi carol]\nsecret_hash = %s\n", itest_hash_secret(CAROL_SECRET))
		    : strdup("");
		CU_ASSERT_EQUAL_FATAL(write_conf(now, carol), 0);
		free(carol);
		if (i < 2) {
			json_t *j = NULL;
			CU_ASSERT_EQUAL(api_reload(&j), 200);
			CU_ASSERT(array_has(json_object_get(j, "applied"), "[pi alice]"));
			if (i == 1)
				CU_ASSERT(array_has(json_object_get(j, "applied"), "[pi carol]"));
			CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "restart_needed")), 0);
			json_decref(j);
		} else {
			char mark[64];
			snprintf(mark, sizeof mark, "reload: %s applied", d.conf);
			size_t len = 0;
			char *log = tu_read_file(d.log, &len);
			int seen = 0;
			for (char *p = log; p && (p = strstr(p, mark)); p++)
				seen++;
			free(log);
			CU_ASSERT_EQUAL(kill(d.pid, SIGHUP), 0);
			/* the SIGHUP's reload is over when its line appears once more */
			for (double t0 = itest_now(); itest_now() - t0 < 10; usleep(20000)) {
				int n = 0;
				log = tu_read_file(d.log, &len);
				for (char *p = log; p && (p = strstr(p, mark)); p++)
					n++;
				free(log);
				if (n > seen)
					break;
			}
		}
		char id[64];
		snprintf(id, sizeof id, "alice-%d@reload", i);
		CU_ASSERT_EQUAL(push("alice", now, id, &ok), 202);
		CU_ASSERT_TRUE(ok);
		CU_ASSERT_EQUAL(push("alice", before, id, &ok), 401);
		if (i >= 1) {
			snprintf(id, sizeof id, "carol-%d@reload", i);
			CU_ASSERT_EQUAL(push("carol", CAROL_SECRET, id, &ok), 202);
			CU_ASSERT_TRUE(ok);
		}
	}
	usleep(200000);
	l.stop = 1;
	pthread_join(th, NULL);
	fprintf(stderr, "[bob: %u pushes during 4 reloads, %u accepted, %u refused]\n", l.sent, l.accepted, l.refused);
	CU_ASSERT(l.sent >= 10);
	CU_ASSERT_EQUAL(l.refused, 0);
	CU_ASSERT_EQUAL(l.accepted, l.sent);
	CU_ASSERT(itest_daemon_alive(&d));
}

static void t_bad_file(void)
{
	NEED();
	int ok = 0;
	CU_ASSERT_EQUAL_FATAL(write_conf(ITEST_ALICE_SECRET, "[notify]\nretry_min = soon\n"), 0);
	json_t *j = NULL;
	CU_ASSERT_EQUAL(api_reload(&j), 400);
	const char *e = json_string_value(json_object_get(j, "error"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "retry_min"));
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "unchanged"));
	CU_ASSERT_PTR_NOT_NULL(strstr(e, d.conf));
	json_decref(j);
	CU_ASSERT_EQUAL(itest_wait_file_has(d.log, "reload: ", 5), 0);
	/* the running accounts are the last good ones */
	CU_ASSERT_EQUAL(push("alice", ITEST_ALICE_SECRET, "bad-file@reload", &ok), 202);
	CU_ASSERT_TRUE(ok);
	/* ppgctl reload exits 1 and says why */
	char path[1024];
	snprintf(path, sizeof path, "%s/ppgctl", getenv("PPG_BUILDDIR") ? getenv("PPG_BUILDDIR") : PPG_BUILDDIR);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d", admin_port);
	const char *argv[] = { path, "-u", url, "--user", "ops", "reload", NULL };
	char *out = NULL, *err = NULL;
	int code = -1;
	setenv("PPGCTL_PASSWORD", ADMIN_SECRET, 1);
	CU_ASSERT_EQUAL(itest_run_full(argv, NULL, NULL, 30, &out, &err, &code), 0);
	CU_ASSERT_EQUAL(code, 1);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "retry_min"));
	free(out);
	free(err);
}

static void t_restart_only_and_log(void)
{
	NEED();
	/* max_body needs a restart; [log] level and [notify] retry_min do not */
	char *more = itest_asprintf("[notify]\nretry_min = 7\n[log]\nlevel = notice\n");
	int r = write_conf(ITEST_ALICE_SECRET, more);
	free(more);
	CU_ASSERT_EQUAL_FATAL(r, 0);
	/* itest's [server] section takes extra lines: add max_body there */
	size_t len = 0;
	char *text = tu_read_file(d.conf, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	char *n = itest_asprintf("[server]\nmax_body = 2M\n%s", strstr(text, "[server]\n") + 9);
	char *head = strstr(text, "[server]\n");
	*head = '\0';
	char *all = itest_asprintf("%s%s", text, n);
	CU_ASSERT_EQUAL(itest_write_config(&d, all), 0);
	free(all);
	free(n);
	free(text);
	json_t *j = NULL;
	CU_ASSERT_EQUAL(api_reload(&j), 200);
	json_t *rn = json_object_get(j, "restart_needed"), *ap = json_object_get(j, "applied");
	CU_ASSERT(array_has(rn, "[server] max_body"));
	CU_ASSERT(array_has(ap, "[notify] retry_min"));
	CU_ASSERT(array_has(ap, "[log] level"));
	CU_ASSERT_FALSE(array_has(ap, "[server] max_body"));
	json_decref(j);
	CU_ASSERT_EQUAL(itest_wait_file_has(d.log, "need a restart, kept as they were: [server] max_body", 5), 0);
	/* at notice, a push logs no info line any more: its push-id is not in the log */
	int ok = 0;
	CU_ASSERT_EQUAL(push("alice", ITEST_ALICE_SECRET, "quiet-after-reload@reload", &ok), 202);
	usleep(300000);
	text = tu_read_file(d.log, &len);
	CU_ASSERT_PTR_NULL(text ? strstr(text, "quiet-after-reload@reload") : "no log");
	free(text);
}

int main(void)
{
	static const struct itest_test_def tests[] = {
		{ "a PI's secret changed under load: no push of another PI refused; old secret 401 at once",
		  t_secret_under_load },
		{ "a bad file: 400 with FILE:LINE, the running config untouched, ppgctl exit 1", t_bad_file },
		{ "a restart-only key named and kept; [log] level and [notify] applied", t_restart_only_and_log },
		{ NULL, NULL },
	};
	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("reload", init, clean, tests)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
