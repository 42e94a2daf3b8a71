/*
 * test_db_ppgd.c - ppgd end to end on PostgreSQL: the test starts its own
 * server (test_db_pg.c), `ppgd -t` checks the connection, ppgd runs with
 * [database] engine = postgresql, answers a push with 1001 and a statusquery
 * with its state, and the push is a row of the PostgreSQL database; after a
 * kill -9 and a restart the push is still there (a 1001 means stored).
 * Skipped (exit 77) when the PostgreSQL binaries are absent.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pap/pap.h"
#include "tests/itest.h"
#include "tests/test_db_pg.h"
#include "tests/test_util.h"

#define BOUNDARY "dbppgd-5e1c"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""
#define ADDR1 "WAPPUSH=+15551230001/TYPE=PLMN@ppg.example"

static struct tpg *pg;
static struct itest_daemon d;
static int started;

static int suite_init(void)
{
	pg = tpg_start();
	const char *ci = pg ? tpg_conninfo(pg, "ppgd") : NULL;
	const char *ha = itest_hash_secret(ITEST_ALICE_SECRET);
	if (!ci || !ha || itest_daemon_init(&d, "dbppgd") < 0)
		return -1;
	char *text = itest_asprintf(
	    "[server]\n"
	    "listen = 127.0.0.1:%d\n"
	    "pap_path = /pap\n"
	    "[database]\n"
	    "engine = postgresql\n"
	    "conninfo = %s\n"
	    "[log]\n"
	    "level = debug\n"
	    "[pi alice]\n"
	    "secret_hash = %s\n"
	    "allow = 127.0.0.0/8\n"
	    "[ota]\n"
	    "udp = no\n", d.port, ci, ha);
	int rc = text ? itest_write_config(&d, text) : -1;
	free(text);
	return rc;
}

static int suite_clean(void)
{
	if (d.pid > 0)
		itest_daemon_stop(&d);
	itest_daemon_destroy(&d, CU_get_number_of_failures() > 0);
	tpg_stop(pg);
	return 0;
}

static struct pap_msg *post(const char *ctype, const char *body)
{
	return itest_pap_post(&d, "alice", ITEST_ALICE_SECRET, ctype, body, strlen(body));
}

static struct pap_msg *push(const char *push_id)
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
	return m;
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

static void t_check_config(void)
{
	const char *argv[] = { itest_ppgd_path(), "-c", d.conf, "-t", NULL };
	char *out = NULL;
	int code = -1;
	CU_ASSERT_EQUAL(itest_run(argv, &out, &code), 0);
	CU_ASSERT_EQUAL(code, 0);
	CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "reachable") ? out : NULL);
	free(out);
}

static void t_push_statusquery(void)
{
	CU_ASSERT_EQUAL_FATAL(itest_daemon_start(&d), 0);
	started = 1;
	struct pap_msg *m = push("pg-1@dbppgd");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->type, PAP_MSG_PUSH_RESPONSE);
	CU_ASSERT_EQUAL(m->nresults > 0 ? m->results[0].code : m->code, PAP_ACCEPTED);
	pap_msg_free(m);
	/* the same push-id again: 2007 (the unique index of PostgreSQL) */
	m = push("pg-1@dbppgd");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->nresults > 0 ? m->results[0].code : m->code, PAP_DUPLICATE_PUSH_ID);
	pap_msg_free(m);

	int code = 0;
	CU_ASSERT_EQUAL(status_of("pg-1@dbppgd", &code), PAP_STATE_PENDING);
	CU_ASSERT(code >= 1000 && code < 2000);
	CU_ASSERT_EQUAL(status_of("nope@dbppgd", &code), PAP_STATE_UNKNOWN);

	/* the row is in PostgreSQL */
	CU_ASSERT_EQUAL(tpg_sql(pg, "ppgd", "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM push"
	    " WHERE pi = 'alice' AND push_id = 'pg-1@dbppgd') THEN RAISE 'no row'; END IF; END $$"), 0);
}

static void t_kill9_keeps_push(void)
{
	if (!started)
		CU_FAIL_FATAL("ppgd did not start");
	struct pap_msg *m = push("pg-2@dbppgd");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->nresults > 0 ? m->results[0].code : m->code, PAP_ACCEPTED);
	pap_msg_free(m);
	itest_daemon_kill(&d);
	CU_ASSERT_EQUAL_FATAL(itest_daemon_start(&d), 0);
	int code = 0;
	CU_ASSERT_EQUAL(status_of("pg-2@dbppgd", &code), PAP_STATE_PENDING);
	CU_ASSERT_EQUAL(status_of("pg-1@dbppgd", &code), PAP_STATE_PENDING);
	CU_ASSERT_EQUAL(itest_daemon_stop(&d), 0);
}

int main(void)
{
	const char *why = NULL;
	if (!tpg_available(&why)) {
		printf("test_db_ppgd: SKIPPED: %s\n", why);
		return 77;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	static const struct itest_test_def tests[] = {
		{ "ppgd -t reaches the PostgreSQL database", t_check_config },
		{ "push -> 1001, again -> 2007, statusquery -> pending", t_push_statusquery },
		{ "kill -9 after 1001, restart: the push is still pending", t_kill9_keeps_push },
		{ NULL, NULL },
	};
	if (itest_add_suite("ppgd on PostgreSQL", suite_init, suite_clean, tests) < 0)
		return 1;
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
