/*
 * db_common.h - what the db/ programs test_db_schema, test_db_push and
 * test_db_sip share: rows with every field set (pushes, deliveries), their
 * checks, and the reading and patching of an SQLite file header. They run
 * on both engines (tests/test_db_engine.h).
 *
 * Every function runs on the test program's thread ([any]).
 */
#ifndef DB_COMMON_H
#define DB_COMMON_H

#include <CUnit/Basic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/db.h"
#include "tests/test_util.h"
#include "tests/test_db_pg.h"
#include "tests/test_db_engine.h"

extern const unsigned char body_nul[8];
extern const char headers_nul[58];

/* A push with every field set to a distinct value. */
void fill_push(struct db_push *p, const char *pi, const char *push_id);

void fill_delivery(struct db_delivery *d, const char *address, const char *canon,
    int64_t t);

/* Inserts a minimal push with one delivery per address. */
int64_t add_push(struct db *db, const char *pi, const char *push_id, size_t n,
    const char *const *addr, int64_t t);

extern const char *const one_addr[];

void check_str(const char *got, const char *want);

/* Every field of a push read back with its content. */
void check_push(const struct db_push *got, const struct db_push *want);

extern const char *const three_addr[];
extern const char *const three_canon[];

/* Inserts the full push with three deliveries; fills p and d. */
void insert_full(struct db *db, struct db_push *p, struct db_delivery d[3]);

/* Checks everything insert_full stored, through a (possibly other) handle. */
void check_full(struct db *db, const struct db_push *p, const struct db_delivery d[3]);

int file_exists(const char *path);

/* Reads bytes of the SQLite file header (https://sqlite.org/fileformat.html). */
int read_header(const char *path, unsigned char hdr[100]);

uint32_t be32(const unsigned char *b);

/* Writes user_version (header offset 60) as a newer ppgd would have. */
int patch_user_version(const char *path, uint32_t v);

/* One test of a program's table; sqlite_only: not run on PostgreSQL. */
struct t_case {
	const char *name;
	void (*fn)(void);
	int sqlite_only;
};

/*
 * The main of a db/ program (prog its name): cases as the suite "db (SQLite)",
 * then, when the PostgreSQL binaries are there, those not sqlite_only and the
 * pg_extra ones as the suite "db (PostgreSQL)" (else a line says it is
 * skipped). Returns tu_run's exit code.
 */
int db_common_run(const char *prog, const struct t_case *cases, size_t n, const struct t_case *pg_extra,
    size_t npg);

#endif
