/*
 * test_admin.c - the admin listener and ppgctl against the real daemon:
 * every ppgctl subcommand with --json parsed by jansson (push, show with
 * the stored history, cancel, paging over 30 pushes, bindings, PIs, status,
 * reload), /metrics parsed by the Prometheus text parser of
 * python3-prometheus-client (tests/prom_parse.py) with counters that move
 * with pushes, /healthz, /readyz (503 when the SMSC is configured but not
 * bound), 401 without credentials.
 */
#include <CUnit/Basic.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/itest.h"
#include "tests/test_util.h"

#define ADMIN_SECRET "ops-s3cret"

static struct itest_daemon dmain, dsms;
static int admin_port, sms_admin_port;
static char admin_url[64];

static char *admin_sections(int port, const char *more)
{
	const char *h = itest_hash_secret(ADMIN_SECRET);
	return itest_asprintf("[admin]\nenabled = yes\nlisten = 127.0.0.1:%d\n[admin ops]\nsecret_hash = %s\n"
	    "allow = 127.0.0.0/8\n%s", port, h ? h : "", more ? more : "");
}

static int start(struct itest_daemon *d, const char *tag, int *port, const char *more)
{
	*port = itest_free_port();
	char *extra = admin_sections(*port, more);
	int r = -1;
	if (itest_daemon_init(d, tag) == 0 && itest_std_config(d, NULL, extra) == 0)
		r = itest_daemon_start(d);
	free(extra);
	/* The admin listener starts right after the PAP one: wait for it too. */
	char url[96];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", *port);
	for (double t0 = itest_now(); r == 0 && itest_now() - t0 < 10;) {
		struct itest_resp resp;
		int ok = itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &resp) == 0 && resp.status == 200;
		itest_resp_free(&resp);
		if (ok)
			return 0;
		usleep(20000);
	}
	return -1;
}

static int init_main(void)
{
	/* No bearer for PLMN: pushes stay pending (cancellable). */
	if (start(&dmain, "admin", &admin_port, "[ota]\nudp = no\n") < 0)
		return 0;   /* the tests report it */
	snprintf(admin_url, sizeof admin_url, "http://127.0.0.1:%d", admin_port);
	setenv("PPGCTL_URL", admin_url, 1);
	setenv("PPGCTL_USER", "ops", 1);
	setenv("PPGCTL_PASSWORD", ADMIN_SECRET, 1);
	setenv("PPGCTL_PAP_URL", dmain.url, 1);
	return 0;
}

static int clean_main(void)
{
	itest_daemon_destroy(&dmain, 0);
	return 0;
}

#define NEED() CU_ASSERT_FATAL(dmain.pid > 0)

/* Runs build/ppgctl with args (NULL-terminated); *out its stdout. Returns the exit code. */
static int ctl(char **out, const char *a0, ...)
{
	const char *argv[24];
	char path[1024];
	va_list ap;
	int n = 0, code = -1;
	snprintf(path, sizeof path, "%s/ppgctl", getenv("PPG_BUILDDIR") ? getenv("PPG_BUILDDIR") : PPG_BUILDDIR);
	argv[n++] = path;
	va_start(ap, a0);
	for (const char *a = a0; a && n < 23; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	char *err = NULL;
	if (itest_run_full(argv, NULL, NULL, 30, out, &err, &code) < 0)
		code = -1;
	if (err && *err && code != 0)
		fprintf(stderr, "[ppgctl %s: exit %d] %s", a0, code, err);
	free(err);
	return code;
}

/* ppgctl --json ARGS: the parsed output (NULL if not JSON); *code its exit code. */
static json_t *ctl_json(int *code, const char *a0, const char *a1, const char *a2, const char *a3,
    const char *a4, const char *a5, const char *a6, const char *a7)
{
	char *out = NULL;
	*code = ctl(&out, "--json", a0, a1, a2, a3, a4, a5, a6, a7, (const char *)NULL);
	json_error_t e;
	json_t *j = out ? json_loads(out, 0, &e) : NULL;
	if (!j && *code == 0)
		fprintf(stderr, "ppgctl %s: not JSON: %s\n", a0, out ? out : "(nothing)");
	free(out);
	return j;
}

static char *content_file(void)
{
	static char *path;
	if (!path)
		path = itest_write_file(dmain.dir, "content.txt", "hello from test_admin\n", 22);
	return path;
}

/* ppgctl push as PI user; 0 when answered 1001. */
static int push_as(const char *user, const char *pw, const char *push_id, const char *to)
{
	setenv("PPGCTL_PI", user, 1);
	setenv("PPGCTL_PI_PASSWORD", pw, 1);
	int code = 0;
	json_t *j = ctl_json(&code, "push", "--to", to, "--app", "mms.ua", "--push-id", push_id, content_file());
	int ok = code == 0 && j && json_integer_value(json_object_get(j, "code")) == 1001;
	if (!ok)
		fprintf(stderr, "push %s: exit %d\n", push_id, code);
	json_decref(j);
	return ok ? 0 : -1;
}

static json_t *show(const char *push_id, const char *pi)
{
	int code = 0;
	json_t *j = pi ? ctl_json(&code, "show", push_id, "--pi", pi, NULL, NULL, NULL, NULL)
	    : ctl_json(&code, "show", push_id, NULL, NULL, NULL, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(code, 0);
	return j;
}

/* ---------------------------------------------------------------- tests */

static void t_health_and_auth(void)
{
	struct itest_resp r;
	char url[128];
	NEED();
	snprintf(url, sizeof url, "%s/healthz", admin_url);
	CU_ASSERT_EQUAL_FATAL(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.status, 200);
	itest_resp_free(&r);
	snprintf(url, sizeof url, "%s/readyz", admin_url);
	CU_ASSERT_EQUAL_FATAL(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.status, 200);
	json_t *j = json_loads(r.body, 0, NULL);
	CU_ASSERT_TRUE(json_is_true(json_object_get(j, "ready")));
	json_decref(j);
	itest_resp_free(&r);
	/* the API and /metrics need an admin account; a PI's is not one */
	const char *paths[] = { "/api/v1/status", "/api/v1/pushes", "/metrics" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(url, sizeof url, "%s%s", admin_url, paths[i]);
		CU_ASSERT_EQUAL_FATAL(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r), 0);
		CU_ASSERT_EQUAL(r.status, 401);
		char *wa = itest_resp_header(&r, "WWW-Authenticate");
		CU_ASSERT_PTR_NOT_NULL(wa);
		free(wa);
		itest_resp_free(&r);
	}
	snprintf(url, sizeof url, "%s/api/v1/status", admin_url);
	CU_ASSERT_EQUAL_FATAL(itest_http("GET", url, NULL, NULL, 0, "alice", ITEST_ALICE_SECRET, &r), 0);
	CU_ASSERT_EQUAL(r.status, 401);
	itest_resp_free(&r);
	CU_ASSERT_EQUAL_FATAL(itest_http("GET", url, NULL, NULL, 0, "ops", ADMIN_SECRET, &r), 0);
	CU_ASSERT_EQUAL(r.status, 200);
	itest_resp_free(&r);
	/* ppgctl with a wrong password: exit 4; nothing listening: exit 3 */
	setenv("PPGCTL_PASSWORD", "wrong", 1);
	CU_ASSERT_EQUAL(ctl(NULL, "status", (const char *)NULL), 4);
	setenv("PPGCTL_PASSWORD", ADMIN_SECRET, 1);
	CU_ASSERT_EQUAL(ctl(NULL, "-u", "http://127.0.0.1:1", "status", (const char *)NULL), 3);
	CU_ASSERT_EQUAL(ctl(NULL, "frobnicate", (const char *)NULL), 2);
}

static void t_push_show_history(void)
{
	NEED();
	CU_ASSERT_EQUAL_FATAL(push_as("alice", ITEST_ALICE_SECRET, "adm-1@test", "+15550001"), 0);
	json_t *j = show("adm-1@test", "alice");
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "pi")), "alice");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "state")), "pending");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "app_id")), "mms.ua");
	json_t *dv = json_object_get(j, "deliveries");
	CU_ASSERT_EQUAL_FATAL(json_array_size(dv), 1);
	json_t *d = json_array_get(dv, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(d, "address")), "WAPPUSH=+15550001/TYPE=PLMN@ppgd");
	json_t *h = json_object_get(d, "history");
	CU_ASSERT_FATAL(json_array_size(h) >= 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(h, 0), "state")), "pending");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(h, 0), "code")), 1001);
	json_decref(j);
	/* without --pi: the only PI that used the push-id */
	j = show("adm-1@test", NULL);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "pi")), "alice");
	json_decref(j);
	/* the same push-id for bob too: without --pi it is ambiguous (exit 1) */
	CU_ASSERT_EQUAL_FATAL(push_as("bob", ITEST_BOB_SECRET, "adm-1@test", "+15550002"), 0);
	int code = 0;
	j = ctl_json(&code, "show", "adm-1@test", NULL, NULL, NULL, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(code, 1);
	json_decref(j);
	j = ctl_json(&code, "show", "no-such@test", "--pi", "alice", NULL, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(code, 5);
	json_decref(j);
	/* pushes --state pending --pi alice lists it */
	j = ctl_json(&code, "pushes", "--state", "pending", "--pi", "alice", NULL, NULL, NULL);
	CU_ASSERT_EQUAL(code, 0);
	int found = 0;
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(j, "pushes"), i, p) {
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "pi")), "alice");
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "state")), "pending");
		if (!strcmp(json_string_value(json_object_get(p, "push_id")), "adm-1@test"))
			found++;
	}
	CU_ASSERT_EQUAL(found, 1);
	json_decref(j);
}

static void t_cancel(void)
{
	int code = 0;
	NEED();
	CU_ASSERT_EQUAL_FATAL(push_as("alice", ITEST_ALICE_SECRET, "adm-cancel@test", "+15550003"), 0);
	json_t *j = ctl_json(&code, "cancel", "adm-cancel@test", "--pi", "alice", NULL, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(code, 0);
	CU_ASSERT_TRUE(json_is_true(json_object_get(j, "cancelled")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "code")), 1000);
	json_decref(j);
	j = show("adm-cancel@test", "alice");
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "state")), "cancelled");
	json_t *h = json_object_get(json_array_get(json_object_get(j, "deliveries"), 0), "history");
	size_t n = json_array_size(h);
	CU_ASSERT_FATAL(n >= 2);   /* accepted ... cancelled: the stored history, not only the last state */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(h, 0), "state")), "pending");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(h, n - 1), "state")), "cancelled");
	json_decref(j);
	/* again: nothing left to cancel (2008), exit 1; unknown push: 404, exit 5 */
	j = ctl_json(&code, "cancel", "adm-cancel@test", "--pi", "alice", NULL, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(code, 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "code")), 2008);
	json_decref(j);
	j = ctl_json(&code, "cancel", "nope@test", "--pi", "alice", NULL, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(code, 5);
	json_decref(j);
	CU_ASSERT_EQUAL(ctl(NULL, "cancel", "adm-cancel@test", (const char *)NULL), 2);   /* --pi is required */
}

static void t_paging(void)
{
	char id[64];
	NEED();
	for (int i = 0; i < 30; i++) {
		snprintf(id, sizeof id, "page-%02d@test", i);
		CU_ASSERT_EQUAL_FATAL(push_as("bob", ITEST_BOB_SECRET, id, "+15550100"), 0);
	}
	int seen[30] = { 0 }, pages = 0, code = 0;
	char cursor[32] = "";
	for (int guard = 0; guard < 10; guard++) {
		json_t *j = cursor[0] ? ctl_json(&code, "pushes", "--pi", "bob", "--limit", "10", "--cursor", cursor, NULL)
		    : ctl_json(&code, "pushes", "--pi", "bob", "--limit", "10", NULL, NULL, NULL);
		CU_ASSERT_EQUAL_FATAL(code, 0);
		json_t *list = json_object_get(j, "pushes"), *p;
		size_t i;
		CU_ASSERT(json_array_size(list) <= 10);
		if (json_array_size(list))
			pages++;
		json_array_foreach(list, i, p) {
			int k = -1;
			if (sscanf(json_string_value(json_object_get(p, "push_id")), "page-%d@", &k) == 1 && k >= 0 && k < 30)
				seen[k]++;
		}
		const char *next = json_string_value(json_object_get(j, "next_cursor"));
		snprintf(cursor, sizeof cursor, "%s", next ? next : "");
		json_decref(j);
		if (!next)
			break;
	}
	CU_ASSERT_EQUAL(pages, 4);   /* bob: 30 page-* plus adm-1@test */
	for (int i = 0; i < 30; i++)
		CU_ASSERT_EQUAL(seen[i], 1);
	/* --all follows the cursors */
	json_t *j = ctl_json(&code, "pushes", "--pi", "bob", "--limit", "7", "--all", NULL, NULL);
	CU_ASSERT_EQUAL(code, 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "pushes")), 31);
	json_decref(j);
	/* a bad state is refused by the daemon */
	j = ctl_json(&code, "pushes", "--state", "sleeping", NULL, NULL, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(code, 1);
	json_decref(j);
}

static void t_bindings_pis_status_reload(void)
{
	int code = 0;
	NEED();
	json_t *j = ctl_json(&code, "bindings", NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(code, 0);
	CU_ASSERT_TRUE(json_is_array(json_object_get(j, "bindings")));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "bindings")), 0);   /* SIP is off: nobody registered */
	json_decref(j);
	j = ctl_json(&code, "bindings", "sip:nobody@example.com", NULL, NULL, NULL, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(code, 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "bindings")), 0);
	json_decref(j);

	char *out = NULL;
	CU_ASSERT_EQUAL(ctl(&out, "--json", "pis", (const char *)NULL), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NULL(strstr(out, "secret"));
	CU_ASSERT_PTR_NULL(strstr(out, "$y$"));
	j = json_loads(out, 0, NULL);
	free(out);
	int alice = 0;
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(j, "pis"), i, p)
		if (!strcmp(json_string_value(json_object_get(p, "name")), "alice")) {
			alice = 1;
			CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(p, "allow"), 0)),
			    "127.0.0.0/8");
		}
	CU_ASSERT_EQUAL(alice, 1);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "pis")), 2);
	json_decref(j);

	j = ctl_json(&code, "status", NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(code, 0);
	CU_ASSERT_TRUE(json_is_true(json_object_get(j, "database_writable")));
	CU_ASSERT_TRUE(json_is_true(json_object_get(json_object_get(j, "listeners"), "pap")));
	CU_ASSERT_TRUE(json_is_false(json_object_get(json_object_get(json_object_get(j, "bearers"), "sms"), "enabled")));
	CU_ASSERT(json_integer_value(json_object_get(json_object_get(j, "pushes"), "pending")) >= 30);
	CU_ASSERT(json_integer_value(json_object_get(json_object_get(j, "pushes"), "cancelled")) >= 1);
	json_decref(j);
	CU_ASSERT_EQUAL(ctl(&out, "status", (const char *)NULL), 0);   /* the table */
	CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "PAP listener"));
	free(out);

	/* the same file again: reloaded, nothing changed (tests/test_reload.c changes it) */
	j = ctl_json(&code, "reload", NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(code, 0);
	CU_ASSERT(json_is_true(json_object_get(j, "reloaded")));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "applied")), 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "restart_needed")), 0);
	json_decref(j);
}

/* Scrapes /metrics, parses it with prometheus_client; the sample lines. */
static char *scrape(void)
{
	struct itest_resp r;
	char url[128];
	snprintf(url, sizeof url, "%s/metrics", admin_url);
	if (itest_http("GET", url, NULL, NULL, 0, "ops", ADMIN_SECRET, &r) < 0 || r.status != 200) {
		itest_resp_free(&r);
		return NULL;
	}
	char *ct = itest_resp_header(&r, "Content-Type");
	CU_ASSERT_PTR_NOT_NULL(ct && strstr(ct, "version=0.0.4"));
	free(ct);
	char *path = itest_write_file(dmain.dir, "metrics.txt", r.body, r.len);
	itest_resp_free(&r);
	const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
	const char *argv[] = { py, tu_src("tests/prom_parse.py"), path, NULL };
	char *out = NULL, *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, NULL, 30, &out, &err, &code);
	if (code != 0)
		fprintf(stderr, "prom_parse.py: exit %d: %s\n", code, err ? err : "");
	free(err);
	free(path);
	if (code != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* The value of the sample line "name{labels}" in the parser's output, or -1. */
static double sample(const char *out, const char *name_labels)
{
	char key[256];
	snprintf(key, sizeof key, "\n%s ", name_labels);
	const char *p = strstr(out, key);
	if (!p && !strncmp(out, key + 1, strlen(key) - 1))
		p = out - 1;
	return p ? atof(p + strlen(key)) : -1;
}

static void t_metrics(void)
{
	NEED();
	char *before = scrape();
	CU_ASSERT_PTR_NOT_NULL_FATAL(before);
	const char *accepted = "ppgd_pap_requests_total{code=\"1001\",message=\"push\",pi=\"alice\"}";
	double a0 = sample(before, accepted);
	CU_ASSERT(a0 >= 2);
	double r0 = sample(before, "ppgd_core_requests_total{}");
	CU_ASSERT(r0 >= 30);
	CU_ASSERT(sample(before, "ppgd_deliveries_final_total{bearer=\"none\",state=\"cancelled\"}") >= 1);
	CU_ASSERT(sample(before, "ppgd_pushes{state=\"pending\"}") >= 30);
	CU_ASSERT(sample(before, "ppgd_deliveries_pending{reason=\"due\"}") +
	    sample(before, "ppgd_deliveries_pending{reason=\"scheduled\"}") +
	    sample(before, "ppgd_deliveries_pending{reason=\"inflight\"}") >= 30);
	CU_ASSERT(sample(before, "ppgd_fsync_seconds_count{}") > 0);
	CU_ASSERT(sample(before, "ppgd_commit_batch_size_count{}") > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(before, "type ppgd_delivery_latency_seconds histogram"));
	CU_ASSERT_PTR_NOT_NULL(strstr(before, "ppgd_delivery_latency_seconds_bucket{bearer=\"sip\",le=\"+Inf\"}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(before, "type ppgd_sip_responses counter"));
	CU_ASSERT_PTR_NOT_NULL(strstr(before, "type ppgd_smpp_submits counter"));
	CU_ASSERT_PTR_NOT_NULL(strstr(before, "type ppgd_notifications_sent counter"));
	CU_ASSERT_EQUAL(sample(before, "ppgd_pap_listener_up{}"), 1);
	double f0 = sample(before, "ppgd_pap_auth_failures_total{}");

	/* counters move with pushes (and a refused one) */
	CU_ASSERT_EQUAL_FATAL(push_as("alice", ITEST_ALICE_SECRET, "metrics-1@test", "+15550200"), 0);
	CU_ASSERT_EQUAL_FATAL(push_as("alice", ITEST_ALICE_SECRET, "metrics-2@test", "+15550200"), 0);
	setenv("PPGCTL_PI_PASSWORD", "wrong", 1);
	char *o = NULL;
	CU_ASSERT_EQUAL(ctl(&o, "push", "--to", "+15550200", "--app", "mms.ua", content_file(), (const char *)NULL), 4);
	free(o);
	CU_ASSERT_EQUAL(push_as("alice", ITEST_ALICE_SECRET, "metrics-1@test", "+15550200"), -1);   /* 2007 */
	char *after = scrape();
	CU_ASSERT_PTR_NOT_NULL_FATAL(after);
	CU_ASSERT_EQUAL(sample(after, accepted), a0 + 2);
	CU_ASSERT_EQUAL(sample(after, "ppgd_pap_requests_total{code=\"2007\",message=\"push\",pi=\"alice\"}"), 1);
	CU_ASSERT_EQUAL(sample(after, "ppgd_pap_auth_failures_total{}"), f0 + 1);
	CU_ASSERT(sample(after, "ppgd_core_requests_total{}") >= r0 + 3);
	free(before);
	free(after);
}

/* [ota] sms = yes with no SMSC listening: not ready, 503 naming the SMSC. */
static void t_readyz_smsc_down(void)
{
	int smsc = itest_free_port();
	char more[256], url[128];
	snprintf(more, sizeof more, "[ota]\nsms = yes\nsmsc = 127.0.0.1:%d\nreconnect_min = 1\n", smsc);
	CU_ASSERT_EQUAL_FATAL(start(&dsms, "admin-sms", &sms_admin_port, more), 0);
	struct itest_resp r;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/readyz", sms_admin_port);
	CU_ASSERT_EQUAL_FATAL(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.status, 503);
	json_t *j = json_loads(r.body, 0, NULL);
	CU_ASSERT_TRUE(json_is_false(json_object_get(j, "ready")));
	const char *why = json_string_value(json_object_get(j, "reason"));
	CU_ASSERT_PTR_NOT_NULL(why && strstr(why, "SMSC"));
	CU_ASSERT_TRUE(json_is_false(json_object_get(json_object_get(j, "checks"), "smsc_bound")));
	CU_ASSERT_TRUE(json_is_true(json_object_get(json_object_get(j, "checks"), "database_writable")));
	json_decref(j);
	itest_resp_free(&r);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", sms_admin_port);
	CU_ASSERT_EQUAL_FATAL(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.status, 200);   /* alive, only not ready */
	itest_resp_free(&r);
	itest_daemon_destroy(&dsms, 0);
}

int main(void)
{
	static const struct itest_test_def tests[] = {
		{ "/healthz, /readyz; 401 without an admin account; ppgctl exit codes", t_health_and_auth },
		{ "ppgctl push, show (history), pushes --state --pi", t_push_show_history },
		{ "ppgctl cancel through the writer; history ends cancelled", t_cancel },
		{ "30 pushes paged by 10: each seen once; --all", t_paging },
		{ "ppgctl bindings, pis (no secrets), status, reload (unchanged file)", t_bindings_pis_status_reload },
		{ "/metrics parsed by prometheus_client; counters move", t_metrics },
		{ NULL, NULL },
	};
	static const struct itest_test_def sms[] = {
		{ "/readyz 503 while the SMSC is not bound", t_readyz_smsc_down },
		{ NULL, NULL },
	};
	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("admin API and ppgctl", init_main, clean_main, tests) ||
	    itest_add_suite("readiness", NULL, NULL, sms)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
