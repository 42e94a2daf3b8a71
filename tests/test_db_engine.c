/*
 * test_db_engine.c - the both-engines scaffolding of the db/ tests
 * (tests/test_db_engine.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "tests/test_db_engine.h"
#include "tests/test_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

char *tmpdir;
int engine = DB_ENGINE_SQLITE;   /* of the suite running */
struct tpg *pg;                  /* the PostgreSQL suite's server */

const char *db_path(const char *name)
{
	static char buf[1024];
	if (engine == DB_ENGINE_POSTGRESQL) {
		const char *ci = tpg_conninfo(pg, name);
		snprintf(buf, sizeof buf, "%s", ci ? ci : "host=/nonexistent");
		return buf;
	}
	snprintf(buf, sizeof buf, "%s/%s.db", tmpdir, name);
	return buf;
}

int t_open(const char *where, int flags, struct db **out)
{
	if (engine == DB_ENGINE_POSTGRESQL) {
		struct db_conf c = { .engine = DB_ENGINE_POSTGRESQL, .conninfo = where };
		return db_open_config(&c, flags, out);
	}
	return db_open(where, flags, out);
}

int t_open_as(const char *name, const char *node, struct db **out)
{
	struct db_conf c = { .engine = engine, .node = node };
	if (engine == DB_ENGINE_POSTGRESQL)
		c.conninfo = db_path(name);
	else
		c.path = db_path(name);
	return db_open_config(&c, 0, out);
}

int suite_init(void)
{
	engine = DB_ENGINE_SQLITE;
	tmpdir = tu_tmpdir(program_invocation_short_name);
	return tmpdir ? 0 : -1;
}

int suite_clean(void)
{
	tu_rmtree(tmpdir);
	free(tmpdir);
	tmpdir = NULL;
	return 0;
}

int suite_init_pg(void)
{
	engine = DB_ENGINE_POSTGRESQL;
	tmpdir = tu_tmpdir(program_invocation_short_name);
	pg = tmpdir ? tpg_start() : NULL;
	return pg ? 0 : -1;
}

int suite_clean_pg(void)
{
	tpg_stop(pg);
	pg = NULL;
	engine = DB_ENGINE_SQLITE;
	return suite_clean();
}
