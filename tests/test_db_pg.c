/*
 * test_db_pg.c - the tests' own PostgreSQL server (see test_db_pg.h).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tests/test_db_pg.h"

#ifdef PPG_HAVE_LIBPQ
#include <libpq-fe.h>

struct tpg {
	char dir[256];        /* data/, the socket and the log */
	char run_as[80];      /* "runuser -u postgres -- " when root, else "" */
	pid_t owner;          /* the process that started it */
};

/* Servers started and not yet stopped. CUnit does not call a suite's cleanup
 * when its init fails (ppgd would not start, say), so a server would outlive
 * the test program: exit stops what is left. */
#define TPG_LIVE_MAX 8
static struct tpg *tpg_live[TPG_LIVE_MAX];

static void tpg_at_exit(void)
{
	for (int i = 0; i < TPG_LIVE_MAX; i++)
		if (tpg_live[i] && tpg_live[i]->owner == getpid())   /* not in a forked child */
			tpg_stop(tpg_live[i]);
}

static void tpg_track(struct tpg *pg, int live)
{
	static int registered;
	if (!registered && atexit(tpg_at_exit) == 0)
		registered = 1;
	for (int i = 0; i < TPG_LIVE_MAX; i++)
		if (live ? !tpg_live[i] : tpg_live[i] == pg) {
			tpg_live[i] = live ? pg : NULL;
			return;
		}
}

static const char *bindir(void)
{
	const char *b = getenv("PG_BINDIR");
	return b && *b ? b : "/usr/lib/postgresql/15/bin";
}

int tpg_available(const char **why)
{
	static char msg[512];
	char p[300];
	snprintf(p, sizeof p, "%s/initdb", bindir());
	if (access(p, X_OK) == 0) {
		snprintf(p, sizeof p, "%s/pg_ctl", bindir());
		if (access(p, X_OK) == 0)
			return 1;
	}
	snprintf(msg, sizeof msg, "%s not found (apt-get install postgresql-15, or set PG_BINDIR)", p);
	*why = msg;
	return 0;
}

static int run(const char *cmd)
{
	int st = system(cmd);
	if (st != 0)
		fprintf(stderr, "tpg: failed (%d): %s\n", st, cmd);
	return st == 0 ? 0 : -1;
}

struct tpg *tpg_start(void)
{
	struct tpg *pg = calloc(1, sizeof *pg);
	char cmd[2048];

	if (!pg)
		return NULL;
	snprintf(pg->dir, sizeof pg->dir, "/tmp/ppgd-pg-XXXXXX");
	if (!mkdtemp(pg->dir)) {
		free(pg);
		return NULL;
	}
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("postgres");
		if (!pw || chown(pg->dir, pw->pw_uid, pw->pw_gid) < 0) {
			fprintf(stderr, "tpg: running as root needs the user postgres\n");
			rmdir(pg->dir);
			free(pg);
			return NULL;
		}
		snprintf(pg->run_as, sizeof pg->run_as, "runuser -u postgres -- ");
	}
	snprintf(cmd, sizeof cmd, "%s%s/initdb -D %s/data -U ppgd -A trust -E UTF8 --locale=C "
	    "--no-sync >%s/initdb.log 2>&1", pg->run_as, bindir(), pg->dir, pg->dir);
	if (run(cmd) < 0)
		goto fail;
	snprintf(cmd, sizeof cmd, "%s%s/pg_ctl -D %s/data -o \"-k %s -c listen_addresses=''\" "
	    "-l %s/server.log -w -t 60 start >/dev/null 2>&1", pg->run_as, bindir(), pg->dir,
	    pg->dir, pg->dir);
	if (run(cmd) < 0) {
		snprintf(cmd, sizeof cmd, "cat %s/server.log >&2", pg->dir);
		if (system(cmd)) { /* only for the reader */ }
		goto fail;
	}
	pg->owner = getpid();
	tpg_track(pg, 1);
	return pg;
fail:
	snprintf(cmd, sizeof cmd, "rm -rf %s", pg->dir);
	if (system(cmd)) { /* nothing more to do */ }
	free(pg);
	return NULL;
}

int tpg_sql(struct tpg *pg, const char *name, const char *sql)
{
	char ci[512];
	snprintf(ci, sizeof ci, "host=%s user=ppgd dbname=%s", pg->dir, name);
	PGconn *c = PQconnectdb(ci);
	int rc = -1;
	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, sql);
		ExecStatusType s = PQresultStatus(r);
		if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
			rc = 0;
		else
			fprintf(stderr, "tpg: %s: %s", sql, PQresultErrorMessage(r));
		PQclear(r);
	} else {
		fprintf(stderr, "tpg: %s", PQerrorMessage(c));
	}
	PQfinish(c);
	return rc;
}

const char *tpg_conninfo(struct tpg *pg, const char *name)
{
	static char ci[512];
	char ci_admin[512], sql[256];

	snprintf(ci_admin, sizeof ci_admin, "host=%s user=ppgd dbname=postgres", pg->dir);
	PGconn *c = PQconnectdb(ci_admin);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "tpg: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", name);
	PGresult *r = PQexec(c, sql);
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || (state && !strcmp(state, "42P04"));
	if (!ok)
		fprintf(stderr, "tpg: %s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	if (!ok)
		return NULL;
	snprintf(ci, sizeof ci, "host=%s user=ppgd dbname=%s", pg->dir, name);
	return ci;
}

int tpg_pause(struct tpg *pg)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "%s%s/pg_ctl -D %s/data -m fast -w stop >/dev/null 2>&1",
	    pg->run_as, bindir(), pg->dir);
	return run(cmd);
}

int tpg_resume(struct tpg *pg)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "%s%s/pg_ctl -D %s/data -o \"-k %s -c listen_addresses=''\" "
	    "-l %s/server.log -w -t 60 start >/dev/null 2>&1", pg->run_as, bindir(), pg->dir,
	    pg->dir, pg->dir);
	return run(cmd);
}

long long tpg_query_int(struct tpg *pg, const char *name, const char *sql)
{
	char ci[512];
	snprintf(ci, sizeof ci, "host=%s user=ppgd dbname=%s", pg->dir, name);
	PGconn *c = PQconnectdb(ci);
	long long v = -1;
	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, sql);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
			v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		else
			fprintf(stderr, "tpg: %s: %s", sql, PQresultErrorMessage(r));
		PQclear(r);
	} else {
		fprintf(stderr, "tpg: %s", PQerrorMessage(c));
	}
	PQfinish(c);
	return v;
}

void tpg_stop(struct tpg *pg)
{
	char cmd[1024];
	if (!pg)
		return;
	tpg_track(pg, 0);
	snprintf(cmd, sizeof cmd, "%s%s/pg_ctl -D %s/data -m immediate -w stop >/dev/null 2>&1",
	    pg->run_as, bindir(), pg->dir);
	run(cmd);
	snprintf(cmd, sizeof cmd, "rm -rf %s", pg->dir);
	run(cmd);
	free(pg);
}

#else /* no libpq */

int tpg_available(const char **why)
{
	*why = "this build has no PostgreSQL engine (libpq-dev missing at configure)";
	return 0;
}

struct tpg *tpg_start(void) { return NULL; }
const char *tpg_conninfo(struct tpg *pg, const char *name) { (void)pg; (void)name; return NULL; }
int tpg_sql(struct tpg *pg, const char *name, const char *sql) { (void)pg; (void)name; (void)sql; return -1; }
void tpg_stop(struct tpg *pg) { (void)pg; }
int tpg_pause(struct tpg *pg) { (void)pg; return -1; }
int tpg_resume(struct tpg *pg) { (void)pg; return -1; }
long long tpg_query_int(struct tpg *pg, const char *name, const char *sql)
{
	(void)pg; (void)name; (void)sql;
	return -1;
}

#endif
