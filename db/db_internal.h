/*
 * db_internal.h - private to db/: the SQLite handle behind struct db, its
 * cache of prepared statements, and the schema steps of db_schema.c.
 */
#ifndef DB_INTERNAL_H
#define DB_INTERNAL_H

#include <sqlite3.h>

#include "db/db.h"

/*
 * Every statement db_sqlite.c runs, prepared once per handle on first use
 * (SQLITE_PREPARE_PERSISTENT) and reset after each use. The SQL text is the
 * table in db_sqlite.c, indexed by this enum.
 */
enum db_stmt_id {
	DB_ST_BEGIN,
	DB_ST_COMMIT,
	DB_ST_ROLLBACK,
	DB_ST_SAVEPOINT,          /* the caller's per-request savepoint "s" */
	DB_ST_RELEASE,
	DB_ST_ROLLBACK_TO,
	DB_ST_ISAVEPOINT,         /* db/'s own savepoint around multi-row writes */
	DB_ST_IRELEASE,
	DB_ST_IROLLBACK_TO,
	DB_ST_PUSH_INSERT,
	DB_ST_PUSH_FIND,
	DB_ST_PUSH_GET,
	DB_ST_PUSH_EXISTS,
	DB_ST_PUSH_SET_REPLACED,
	DB_ST_PUSH_SUMMARY,       /* delivery states of a push, latest first */
	DB_ST_PUSH_SET_STATE,
	DB_ST_PUSH_COUNT,
	DB_ST_PUSH_COUNT_PI,
	DB_ST_DELIVERY_INSERT,
	DB_ST_DELIVERY_LIST,
	DB_ST_DELIVERY_FIND_ADDR,
	DB_ST_DELIVERY_DUE,
	DB_ST_DELIVERY_SET_STATE,
	DB_ST_DELIVERY_COUNT_STATE,
	DB_ST_TRANSITION_INSERT,
	DB_ST_TRANSITION_LIST,
	DB_ST_NOTIF_INSERT,
	DB_ST_NOTIF_GET,
	DB_ST_NOTIF_DUE,
	DB_ST_NOTIF_ATTEMPTED,
	DB_ST__COUNT
};

#define DB_ERRMSG_MAX 256

struct db {
	sqlite3 *sq;
	int readonly;
	int version;              /* schema version of the file, after upgrades */
	int sp_depth;             /* open caller savepoints (db_savepoint) */
	sqlite3_stmt *stmt[DB_ST__COUNT];
	char errmsg[DB_ERRMSG_MAX];
};

/* One schema upgrade step: the SQL that takes user_version from step - 1 to
 * step. Applied in order, each in its own transaction, by db_schema_upgrade. */
struct db_schema_step {
	int version;
	const char *sql;
};

extern const struct db_schema_step db_schema_steps[];
extern const int db_schema_nsteps;

/*
 * Reads user_version and runs the missing steps up to `target`, each in a
 * BEGIN IMMEDIATE transaction that re-reads user_version first (another
 * process may have upgraded meanwhile). Sets db->version. -EPROTO when the
 * file is newer than DB_SCHEMA_VERSION; -EIO on SQLite errors.
 */
int db_schema_upgrade(struct db *db, int target);

/* Records db's last SQLite error and maps rc to a negative errno. */
int db_sqlite_err(struct db *db, int rc);
/* Records a message of db/'s own and returns err. */
int db_set_err(struct db *db, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Runs SQL text without results (schema steps, pragmas); -errno on failure. */
int db_exec(struct db *db, const char *sql);
/* PRAGMA user_version of the file into *v. */
int db_read_user_version(struct db *db, int *v);

#endif /* DB_INTERNAL_H */
