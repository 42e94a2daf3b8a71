/*
 * test_db_engine.h - the both-engines scaffolding of the db/ test programs:
 * a suite runs on SQLite (files in a temporary directory) or on PostgreSQL
 * (a server the suite starts itself, tests/test_db_pg.c: one database per
 * test name); the tests open their database through db_path and t_open,
 * which follow the engine of the suite running.
 *
 * Every function runs on the test program's thread ([any]).
 */
#ifndef TEST_DB_ENGINE_H
#define TEST_DB_ENGINE_H

#include "db/db.h"
#include "tests/test_db_pg.h"

extern char *tmpdir;
extern int engine;
extern struct tpg *pg;

/* A fresh database per test name: a file, or a PostgreSQL database (its
 * conninfo). */
const char *db_path(const char *name);

/* db_open on the suite's engine: where is what db_path gave. */
int t_open(const char *where, int flags, struct db **out);

int suite_init(void);

int suite_clean(void);

int suite_init_pg(void);

int suite_clean_pg(void);

#endif
