/*
 * db_sqlite.c - the SQLite backend of db.h.
 *
 * One struct db wraps one sqlite3 connection in WAL mode. Every statement is
 * prepared once per connection (the table below) and reset after each use:
 * db_push_insert sits on the hot path of accepting pushes, thousands per
 * second inside batched transactions, and must not re-parse SQL each time.
 *
 * Writes that touch several rows (a push and its deliveries, a delivery and
 * its transition) run inside db/'s own savepoint so that each call is all or
 * nothing, whether or not the caller has a transaction or savepoint open.
 */
#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/db_internal.h"

/* Why the last db_open of this thread failed: db_errmsg(NULL). */
static _Thread_local char db_open_errmsg[2 * DB_ERRMSG_MAX];

/* ---------------------------------------------------------------- errors */

int db_set_err(struct db *db, int err, const char *fmt, ...)
{
	va_list ap;

	if (db) {
		va_start(ap, fmt);
		vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
		va_end(ap);
	}
	return err;
}

/*
 * The errno contract of db.h. Constraint violations say what the caller did
 * wrong: a taken unique key (-EEXIST), a reference to a row that does not
 * exist (-ENOENT), a value out of range (-EINVAL). Everything else is -EIO.
 */
int db_sqlite_err(struct db *db, int rc)
{
	if (db && db->sq)
		db_set_err(db, 0, "%s", sqlite3_errmsg(db->sq));
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return -EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -ENOENT;
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
		return -EINVAL;
	}
	if ((rc & 0xff) == SQLITE_NOMEM)
		return -ENOMEM;
	return -EIO;
}

const char *db_errmsg(struct db *db)
{
	return db ? db->errmsg : db_open_errmsg;
}

char *db_open_errbuf(size_t *len)
{
	*len = sizeof db_open_errmsg;
	return db_open_errmsg;
}

int db_exec(struct db *db, const char *sql)
{
	db_check_owner(db);
	int rc = sqlite3_exec(db->sq, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : db_sqlite_err(db, rc);
}

/* ---------------------------------------------------------------- statements */

void db_check_owner(struct db *db)
{
#ifndef NDEBUG
	if (!pthread_equal(db->owner, pthread_self())) {
		fprintf(stderr, "db: a database handle of thread %#lx used from thread %#lx "
		    "(one thread owns each handle; see db_claim)\n", (unsigned long)db->owner,
		    (unsigned long)pthread_self());
		abort();
	}
#else
	(void)db;
#endif
}

void db_claim(struct db *db)
{
	if (db)
		db->owner = pthread_self();
}

/* The cached statement `id`, prepared on first use. */
int db_prep(struct db *db, enum db_stmt_id id, sqlite3_stmt **out)
{
	db_check_owner(db);
	if (!db->stmt[id]) {
		const char *sql = db_sql[id].sql;
		if (db->version < 2 && db_sql[id].sql_v1)
			sql = db_sql[id].sql_v1;
		int rc = sqlite3_prepare_v3(db->sq, sql, -1, SQLITE_PREPARE_PERSISTENT,
		    &db->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			db->stmt[id] = NULL;
			return db_sqlite_err(db, rc);
		}
	}
	*out = db->stmt[id];
	return 0;
}

/* Ends a use of a cached statement: resets it (releasing its read snapshot)
 * and drops bindings, which may point into the caller's memory. */
void db_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Steps a bound statement that returns no row. */
int db_step_done(struct db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	int err = rc == SQLITE_DONE ? 0 : db_sqlite_err(db, rc);
	db_done(st);
	return err;
}

/* Runs a cached statement without parameters or results. */
static int db_run(struct db *db, enum db_stmt_id id)
{
	sqlite3_stmt *st = NULL;
	int rc = db_prep(db, id, &st);
	return rc < 0 ? rc : db_step_done(db, st);
}

/* As db_run, keeping the error message of the failure being cleaned up. */
static void db_run_quiet(struct db *db, enum db_stmt_id id)
{
	char keep[DB_ERRMSG_MAX];

	memcpy(keep, db->errmsg, sizeof keep);
	db_run(db, id);
	memcpy(db->errmsg, keep, sizeof keep);
}

/* A one-row, one-integer query whose parameters are bound. */
int db_step_int64(struct db *db, sqlite3_stmt *st, int64_t *v)
{
	int rc = sqlite3_step(st);
	int err = 0;

	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		err = db_set_err(db, -ENOENT, "no row");
	else
		err = db_sqlite_err(db, rc);
	db_done(st);
	return err;
}

/* Inside a savepoint of the caller (db_savepoint: every PAP request and
 * every job of the writer has one) no savepoint of db/'s own is opened: a
 * write that fails half-way is undone with the caller's, which rolls it back
 * on any error. Two statements less per write, and none of the pages it
 * changes copied once more for a savepoint. */
int db_isp_begin(struct db *db)
{
	if (db->sp_depth > 0)
		return 0;
	return db_run(db, DB_ST_ISAVEPOINT);
}

/* Ends db/'s own savepoint: released when err is 0, else rolled back. */
int db_isp_end(struct db *db, int err)
{
	if (db->sp_depth > 0)
		return err;
	if (err == 0) {
		err = db_run(db, DB_ST_IRELEASE);
		if (err == 0)
			return 0;
	}
	/* After some errors SQLite has already rolled back the whole transaction
	 * and the savepoint is gone: these then fail harmlessly. */
	db_run_quiet(db, DB_ST_IROLLBACK_TO);
	db_run_quiet(db, DB_ST_IRELEASE);
	return err;
}

/* ---------------------------------------------------------------- open, close */

static int db_wal_hook(void *arg, sqlite3 *sq, const char *name, int frames);

static int db_open_common(const char *path, int flags, int target, struct db **out)
{
	struct db *db;
	int rc, err;

	db_open_errmsg[0] = '\0';
	if (!out) {
		snprintf(db_open_errmsg, sizeof db_open_errmsg, "no output handle");
		return -EINVAL;
	}
	*out = NULL;
	if (!path || !*path) {
		snprintf(db_open_errmsg, sizeof db_open_errmsg, "no database path");
		return -EINVAL;
	}
	db = calloc(1, sizeof *db);
	if (db)
		db->owner = pthread_self();
	if (!db) {
		snprintf(db_open_errmsg, sizeof db_open_errmsg, "out of memory");
		return -ENOMEM;
	}
	db->readonly = !!(flags & DB_OPEN_READONLY);
	db->version = DB_SCHEMA_VERSION;
	db->wal_fd = -1;
	pthread_mutex_init(&db->sync_lock, NULL);
	size_t pl = strlen(path);
	db->wal_path = malloc(pl + 5);
	if (!db->wal_path) {
		pthread_mutex_destroy(&db->sync_lock);
		free(db);
		snprintf(db_open_errmsg, sizeof db_open_errmsg, "out of memory");
		return -ENOMEM;
	}
	memcpy(db->wal_path, path, pl);
	memcpy(db->wal_path + pl, "-wal", 5);
	int oflags = db->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &db->sq, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		err = db->sq ? db_sqlite_err(db, rc) : -ENOMEM;
		goto fail;
	}
	sqlite3_extended_result_codes(db->sq, 1);
	sqlite3_busy_timeout(db->sq, 5000);
	err = db_exec(db, "PRAGMA foreign_keys = ON");
	if (err < 0)
		goto fail;
	if (!db->readonly) {
		/* journal_mode answers with the mode now in force: a file system
		 * without shared memory support silently stays in rollback mode. */
		sqlite3_stmt *st;
		rc = sqlite3_prepare_v2(db->sq, "PRAGMA journal_mode = WAL", -1, &st, NULL);
		if (rc == SQLITE_OK) {
			rc = sqlite3_step(st);
			const char *mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
			if (rc != SQLITE_ROW)
				err = db_sqlite_err(db, rc);
			else if (!mode || (strcasecmp(mode, "wal") && strcasecmp(mode, "memory")))
				err = db_set_err(db, -EIO, "cannot enable WAL (journal_mode %s)",
				    mode ? mode : "?");
			sqlite3_finalize(st);
		} else {
			err = db_sqlite_err(db, rc);
		}
		if (err < 0)
			goto fail;
		err = db_exec(db, flags & (DB_SYNC_NORMAL | DB_SYNC_EXTERNAL) ? "PRAGMA synchronous = NORMAL"
		    : "PRAGMA synchronous = FULL");
		if (err == 0 && (flags & DB_NO_AUTOCHECKPOINT)) {
			/* Disables the automatic checkpoint too (it is a WAL hook). */
			sqlite3_wal_hook(db->sq, db_wal_hook, db);
		}
		if (err < 0)
			goto fail;
	}
	err = db_schema_upgrade(db, target);
	if (err < 0)
		goto fail;
	*out = db;
	return 0;
fail:
	snprintf(db_open_errmsg, sizeof db_open_errmsg, "%.200s: %s", path,
	    db->errmsg[0] ? db->errmsg : "cannot open");
	db_close(db);
	return err;
}

static int db_wal_hook(void *arg, sqlite3 *sq, const char *name, int frames)
{
	struct db *db = arg;
	(void)sq;
	(void)name;
	db->wal_frames = frames;
	return SQLITE_OK;
}

int db_wal_frames(struct db *db)
{
	return db ? db->wal_frames : 0;
}

int db_checkpoint(struct db *db, int restart, int *wal_frames, int *moved)
{
	int log = 0, ckpt = 0;

	if (!db)
		return -EINVAL;
	if (DB_IS_PG(db)) {   /* the server checkpoints */
		if (wal_frames)
			*wal_frames = 0;
		if (moved)
			*moved = 0;
		return 0;
	}
	int rc = sqlite3_wal_checkpoint_v2(db->sq, NULL,
	    restart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE, &log, &ckpt);
	if (wal_frames)
		*wal_frames = log;
	if (moved)
		*moved = ckpt;
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return 0;   /* another checkpoint is running: try again later */
	return rc == SQLITE_OK ? 0 : db_sqlite_err(db, rc);
}

int db_open(const char *path, int flags, struct db **out)
{
	return db_open_common(path, flags, DB_SCHEMA_VERSION, out);
}

int db_open_at_version(const char *path, int version, struct db **out)
{
	if (version < 1 || version > DB_SCHEMA_VERSION) {
		if (out)
			*out = NULL;
		snprintf(db_open_errmsg, sizeof db_open_errmsg, "bad schema version %d", version);
		return -EINVAL;
	}
	return db_open_common(path, 0, version, out);
}

/* The engine of conf: SQLite by path, PostgreSQL by conninfo. */
static int db_open_engine(const struct db_conf *conf, int flags, int target, struct db **out);

static int db_open_conf(const struct db_conf *conf, int flags, int target, struct db **out)
{
	int rc = db_open_engine(conf, flags, target, out);
	if (rc == 0 && conf->node && db_set_node(*out, conf->node) < 0) {
		snprintf(db_open_errmsg, sizeof db_open_errmsg, "%s", db_errmsg(*out));
		db_close(*out);
		*out = NULL;
		return -EINVAL;
	}
	return rc;
}

static int db_open_engine(const struct db_conf *conf, int flags, int target, struct db **out)
{
	db_open_errmsg[0] = '\0';
	if (!out) {
		snprintf(db_open_errmsg, sizeof db_open_errmsg, "no output handle");
		return -EINVAL;
	}
	*out = NULL;
	if (!conf) {
		snprintf(db_open_errmsg, sizeof db_open_errmsg, "no database configuration");
		return -EINVAL;
	}
	switch (conf->engine) {
	case DB_ENGINE_SQLITE:
		return db_open_common(conf->path, flags, target, out);
	case DB_ENGINE_POSTGRESQL:
#ifdef PPG_HAVE_LIBPQ
		return db_pg_open(conf->conninfo, flags, target, out);
#else
		snprintf(db_open_errmsg, sizeof db_open_errmsg,
		    "this ppgd was built without PostgreSQL (libpq-dev)");
		return -ENOTSUP;
#endif
	}
	snprintf(db_open_errmsg, sizeof db_open_errmsg, "unknown database engine %d", conf->engine);
	return -EINVAL;
}

int db_open_config(const struct db_conf *conf, int flags, struct db **out)
{
	return db_open_conf(conf, flags, DB_SCHEMA_VERSION, out);
}

int db_open_config_at_version(const struct db_conf *conf, int version, struct db **out)
{
	if (version < 1 || version > DB_SCHEMA_VERSION) {
		if (out)
			*out = NULL;
		snprintf(db_open_errmsg, sizeof db_open_errmsg, "bad schema version %d", version);
		return -EINVAL;
	}
	return db_open_conf(conf, 0, version, out);
}

int db_engine_of(struct db *db)
{
	return db ? db->engine : -EINVAL;
}

int db_engine_available(int engine)
{
	if (engine == DB_ENGINE_SQLITE)
		return 1;
#ifdef PPG_HAVE_LIBPQ
	return engine == DB_ENGINE_POSTGRESQL;
#else
	return 0;
#endif
}

void db_close(struct db *db)
{
	if (!db)
		return;
	if (DB_IS_PG(db)) {
		db_pg_close(db);
		return;
	}
	for (int i = 0; i < DB_ST__COUNT; i++)
		sqlite3_finalize(db->stmt[i]);
	sqlite3_close_v2(db->sq);
	if (db->wal_fd >= 0)
		close(db->wal_fd);
	free(db->wal_path);
	pthread_mutex_destroy(&db->sync_lock);
	free(db);
}

int db_sync(struct db *db)
{
	int rc = 0;

	if (DB_IS_PG(db))
		return 0;     /* synchronous_commit = on: COMMIT waited for the flush */
	if (!db || !db->wal_path)
		return -EINVAL;
	pthread_mutex_lock(&db->sync_lock);
	if (db->wal_fd >= 0) {
		/* SQLite deletes the WAL when the last connection closes; a new one
		 * is another file. */
		struct stat st;
		if (fstat(db->wal_fd, &st) < 0 || st.st_nlink == 0) {
			close(db->wal_fd);
			db->wal_fd = -1;
		}
	}
	if (db->wal_fd < 0)
		db->wal_fd = open(db->wal_path, O_RDWR | O_CLOEXEC);
	if (db->wal_fd < 0)
		rc = errno == ENOENT ? 0 : -errno;   /* no WAL yet: nothing committed to it */
	else if (fdatasync(db->wal_fd) < 0)
		rc = -errno;
	pthread_mutex_unlock(&db->sync_lock);
	return rc;
}

int db_schema_version(struct db *db)
{
	int v, rc;

	if (!db)
		return -EINVAL;
	DB_PG_DISPATCH(db, db_pg_schema_version(db));
	rc = db_read_user_version(db, &v);
	return rc < 0 ? rc : v;
}

/* ---------------------------------------------------------------- transactions */

int db_begin(struct db *db)
{
	if (!db)
		return -EINVAL;
	DB_PG_DISPATCH(db, db_pg_begin(db));
	if (!sqlite3_get_autocommit(db->sq))
		return db_set_err(db, -EINVAL, "a transaction is already open");
	int rc = db_run(db, DB_ST_BEGIN);
	if (rc == 0)
		db->sp_depth = 0;
	return rc;
}

int db_commit(struct db *db)
{
	if (!db)
		return -EINVAL;
	DB_PG_DISPATCH(db, db_pg_commit(db));
	if (sqlite3_get_autocommit(db->sq))
		return db_set_err(db, -EINVAL, "no transaction is open");
	int rc = db_run(db, DB_ST_COMMIT);
	if (rc == 0)
		db->sp_depth = 0;
	return rc;
}

/* A no-op when no transaction is open: after some I/O errors SQLite has
 * rolled back by itself, and callers clean up with this either way. */
int db_rollback(struct db *db)
{
	if (!db)
		return -EINVAL;
	DB_PG_DISPATCH(db, db_pg_rollback(db));
	db->sp_depth = 0;
	if (sqlite3_get_autocommit(db->sq))
		return 0;
	return db_run(db, DB_ST_ROLLBACK);
}

int db_savepoint(struct db *db)
{
	if (!db)
		return -EINVAL;
	DB_PG_DISPATCH(db, db_pg_savepoint(db));
	int rc = db_run(db, DB_ST_SAVEPOINT);
	if (rc == 0)
		db->sp_depth++;
	return rc;
}

int db_savepoint_release(struct db *db)
{
	if (!db)
		return -EINVAL;
	DB_PG_DISPATCH(db, db_pg_savepoint_release(db));
	if (db->sp_depth == 0)
		return db_set_err(db, -EINVAL, "no savepoint is open");
	if (sqlite3_get_autocommit(db->sq)) {
		db->sp_depth = 0;
		return db_set_err(db, -EIO, "the transaction was rolled back");
	}
	int rc = db_run(db, DB_ST_RELEASE);
	if (rc == 0)
		db->sp_depth--;
	return rc;
}

int db_savepoint_rollback(struct db *db)
{
	if (!db)
		return -EINVAL;
	DB_PG_DISPATCH(db, db_pg_savepoint_rollback(db));
	if (db->sp_depth == 0)
		return db_set_err(db, -EINVAL, "no savepoint is open");
	if (sqlite3_get_autocommit(db->sq)) {
		db->sp_depth = 0;
		return db_set_err(db, -EIO, "the transaction was rolled back");
	}
	int rc = db_run(db, DB_ST_ROLLBACK_TO);
	if (rc == 0)
		rc = db_run(db, DB_ST_RELEASE);
	if (rc == 0)
		db->sp_depth--;
	return rc;
}

