/*
 * test_db_engine.h - the both-engines scaffolding of the db/ test programs
 * (test_db_schema, test_db_push, test_db_sip, test_db_lease,
 * test_db_retention): each runs one suite on SQLite (files in a temporary
 * directory) and the same suite again on PostgreSQL (a server the suite
 * starts itself, tests/test_db_pg.c: one database per test name). The tests
 * name their database; db_path, t_open and t_open_as follow the engine of
 * the suite running.
 *
 * Every function runs on the test program's thread ([any]).
 */
#ifndef TEST_DB_ENGINE_H
#define TEST_DB_ENGINE_H

#include "db/db.h"
#include "tests/test_db_pg.h"

extern char *tmpdir;      /* the suite's temporary directory */
extern int engine;        /* of the suite running: DB_ENGINE_SQLITE or _POSTGRESQL */
extern struct tpg *pg;    /* the PostgreSQL suite's server */

/* A fresh database per test name: a file, or a PostgreSQL database (its
 * conninfo). A static buffer, overwritten by the next call. */
const char *db_path(const char *name);

/* db_open on the suite's engine: where is what db_path gave. */
int t_open(const char *where, int flags, struct db **out);

/* Opens database `name` of the suite's engine as node `node` (NULL: none
 * named). */
int t_open_as(const char *name, const char *node, struct db **out);

/* The SQLite suite: a temporary directory named for the program. */
int suite_init(void);
int suite_clean(void);

/* The PostgreSQL suite: a temporary directory and a server of its own. */
int suite_init_pg(void);
int suite_clean_pg(void);

#endif
