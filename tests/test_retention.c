/*
 * test_retention.c - [database] retention end to end: ppgd with
 * retention = 2s and no bearer (pushes stay pending). A push cancelled
 * (final) is answered by statusquery as cancelled until its retention
 * passes, then as a push-id never seen (2004, state unknown) while a pending
 * push as old stays pending; ppgd_pushes_purged_total counts the push
 * deleted. The SQLite file is then read directly: no delivery, transition
 * or notification row of the deleted push is left.
 */
#include <CUnit/Basic.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pap/pap.h"
#include "tests/itest.h"
#include "tests/test_util.h"

#define BOUNDARY "retention-7a1f"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""
#define ADDR1 "WAPPUSH=+15551230001/TYPE=PLMN@ppg.example"
#define ADMIN_SECRET "ops-s3cret"
#define RETENTION_S 2

static struct itest_daemon d;
static int admin_port;

static int suite_init(void)
{
	const char *ha = itest_hash_secret(ITEST_ALICE_SECRET);
	char *ho = ha ? strdup(ha) : NULL;   /* itest_hash_secret's buffer is reused */
	const char *hs = itest_hash_secret(ADMIN_SECRET);
	if (!ho || !hs || itest_daemon_init(&d, "retention") < 0) {
		free(ho);
		return -1;
	}
	admin_port = itest_free_port();
	char *text = itest_asprintf(
	    "[server]\n"
	    "listen = 127.0.0.1:%d\n"
	    "pap_path = /pap\n"
	    "[database]\n"
	    "path = %s/ppgd.db\n"
	    "retention = %ds\n"
	    "[log]\n"
	    "level = debug\n"
	    "[pi alice]\n"
	    "secret_hash = %s\n"
	    "allow = 127.0.0.0/8\n"
	    "[admin]\n"
	    "enabled = yes\n"
	    "listen = 127.0.0.1:%d\n"
	    "[admin ops]\n"
	    "secret_hash = %s\n"
	    "[ota]\n"
	    "udp = no\n", d.port, d.dir, RETENTION_S, ho, admin_port, hs);
	free(ho);
	int rc = text ? itest_write_config(&d, text) : -1;
	free(text);
	if (rc == 0)
		rc = itest_daemon_start(&d);
	return rc;
}

static int suite_clean(void)
{
	if (d.pid > 0)
		itest_daemon_stop(&d);
	itest_daemon_destroy(&d, CU_get_number_of_failures() > 0);
	return 0;
}

static struct pap_msg *post(const char *ctype, const char *body)
{
	return itest_pap_post(&d, "alice", ITEST_ALICE_SECRET, ctype, body, strlen(body));
}

static int push(const char *push_id)
{
	char *body = itest_asprintf(
	    "--" BOUNDARY "\r\n"
	    "Content-Type: application/xml; charset=UTF-8\r\n"
	    "\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n"
	    "<pap><push-message push-id=\"%s\"><address address-value=\"" ADDR1 "\"/>"
	    "</push-message></pap>\r\n"
	    "--" BOUNDARY "\r\n"
	    "Content-Type: text/vnd.wap.si\r\n"
	    "\r\n"
	    "<si><indication href=\"http://www.example.com/mail\">mail</indication></si>\r\n"
	    "--" BOUNDARY "--\r\n", push_id);
	struct pap_msg *m = post(MULTIPART_CT, body);
	free(body);
	int code = m ? (m->nresults > 0 ? m->results[0].code : m->code) : -1;
	pap_msg_free(m);
	return code;
}

static int cancel(const char *push_id)
{
	char *body = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n"
	    "<pap><cancel-message push-id=\"%s\"/></pap>\n", push_id);
	struct pap_msg *m = post("application/xml", body);
	free(body);
	int code = m && m->type == PAP_MSG_CANCEL_RESPONSE && m->nresults > 0 ? m->results[0].code : -1;
	pap_msg_free(m);
	return code;
}

static enum pap_state status_of(const char *push_id, int *code)
{
	char *body = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n"
	    "<pap><statusquery-message push-id=\"%s\"/></pap>\n", push_id);
	struct pap_msg *m = post("application/xml", body);
	free(body);
	enum pap_state s = PAP_STATE_UNKNOWN;
	*code = -1;
	if (m && m->type == PAP_MSG_STATUSQUERY_RESPONSE && m->nresults > 0) {
		s = m->results[0].state;
		*code = m->results[0].code;
	}
	pap_msg_free(m);
	return s;
}

/* The value of a plain metric line "name N" of /metrics, or -1. */
static long long metric(const char *name)
{
	struct itest_resp r;
	char url[96], key[128];
	long long v = -1;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", admin_port);
	snprintf(key, sizeof key, "\n%s ", name);
	if (itest_http("GET", url, NULL, NULL, 0, "ops", ADMIN_SECRET, &r) == 0 && r.status == 200 && r.body) {
		const char *p = strstr(r.body, key);
		if (p)
			v = atoll(p + strlen(key));
	}
	itest_resp_free(&r);
	return v;
}

static long long count_rows(const char *sql)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/ppgd.db", d.dir);
	sqlite3 *sq = NULL;
	sqlite3_stmt *st = NULL;
	long long n = -1;
	if (sqlite3_open_v2(path, &sq, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(sq, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(sq);
	return n;
}

static void t_purged_after_retention(void)
{
	CU_ASSERT_EQUAL_FATAL(push("gone@retention"), PAP_ACCEPTED);
	CU_ASSERT_EQUAL_FATAL(push("kept@retention"), PAP_ACCEPTED);
	CU_ASSERT_EQUAL(cancel("gone@retention"), PAP_OK);
	double t_cancel = itest_now();
	int code = 0;
	CU_ASSERT_EQUAL(status_of("gone@retention", &code), PAP_STATE_CANCELLED);
	CU_ASSERT_EQUAL(metric("ppgd_pushes_purged_total"), 0);

	/* Kept while younger than the retention, then gone: polled. */
	enum pap_state s = PAP_STATE_CANCELLED;
	double t_gone = 0;
	while (itest_now() - t_cancel < RETENTION_S + 10) {
		s = status_of("gone@retention", &code);
		if (s != PAP_STATE_CANCELLED) {
			t_gone = itest_now();
			break;
		}
		usleep(100000);
	}
	CU_ASSERT_EQUAL(s, PAP_STATE_UNKNOWN);
	CU_ASSERT_EQUAL(code, PAP_PUSH_ID_NOT_FOUND);
	CU_ASSERT(t_gone > 0 && t_gone - t_cancel >= RETENTION_S - 0.2);
	/* the retention/2 look plus a quiet second: within a few seconds */
	CU_ASSERT(t_gone > 0 && t_gone - t_cancel <= RETENTION_S + 4);
	/* a push-id never seen answers the same */
	int code_never = 0;
	CU_ASSERT_EQUAL(status_of("never@retention", &code_never), PAP_STATE_UNKNOWN);
	CU_ASSERT_EQUAL(code_never, code);

	/* the pending one, as old, stays */
	CU_ASSERT_EQUAL(status_of("kept@retention", &code), PAP_STATE_PENDING);
	CU_ASSERT_EQUAL(metric("ppgd_pushes_purged_total"), 1);
	/* a push-id freed by retention can be used again */
	CU_ASSERT_EQUAL(push("gone@retention"), PAP_ACCEPTED);

	CU_ASSERT_EQUAL(count_rows("SELECT count(*) FROM push"), 2);
	CU_ASSERT_EQUAL(count_rows("SELECT count(*) FROM delivery WHERE push NOT IN (SELECT id FROM push)"), 0);
	CU_ASSERT_EQUAL(count_rows("SELECT count(*) FROM transition WHERE delivery NOT IN (SELECT id FROM delivery)"), 0);
	CU_ASSERT_EQUAL(count_rows("SELECT count(*) FROM delivery"), 2);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	static const struct itest_test_def tests[] = {
		{ "a finished push goes after its retention, a pending one stays", t_purged_after_retention },
		{ NULL, NULL },
	};
	if (itest_add_suite("retention", suite_init, suite_clean, tests) < 0)
		return 1;
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
