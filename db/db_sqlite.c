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

/* ---------------------------------------------------------------- SQL */

#define DB_PUSH_COLS(state_time) \
	"SELECT id, pi, push_id, pap_version, state, received_time, deliver_before," \
	" deliver_after, replace_push_id, replace_method, replaced_by, source_reference," \
	" notify_to, progress_notes, qos_present, priority, delivery_method, network," \
	" network_required, bearer, bearer_required, content_type, app_id, content_headers," \
	" CASE WHEN ?3 THEN content_body END, " state_time " FROM push "
#define DB_PUSH_INSERT_COLS \
	"INSERT INTO push (pi, push_id, pap_version, state, received_time, deliver_before," \
	" deliver_after, replace_push_id, replace_method, source_reference, notify_to," \
	" progress_notes, qos_present, priority, delivery_method, network, network_required," \
	" bearer, bearer_required, content_type, app_id, content_headers, content_body"
#define DB_PUSH_INSERT_VALS \
	"?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18," \
	" ?19, ?20, ?21, ?22, ?23"
#define DB_DELIVERY_COLS_V1 \
	"SELECT id, push, address, addr_canon, addr_type, addr_value, state, code," \
	" description, event_time, attempts, next_attempt FROM delivery "
#define DB_DELIVERY_COLS \
	"SELECT id, push, address, addr_canon, addr_type, addr_value, state, code," \
	" description, event_time, attempts, next_attempt, bearer FROM delivery "
#define DB_BINDING_COLS \
	"SELECT id, aor, contact, instance, gruu, apps, expires, updated, call_id, cseq" \
	" FROM binding "
#define DB_NOTIF_COLS \
	"SELECT id, push, delivery, url, body, attempts, next_attempt, state, created" \
	" FROM notification "

/* sql_v1: the text for a schema-1 file (db_open_at_version), when it differs. */
static const struct {
	const char *sql;
	const char *sql_v1;
} db_sql[DB_ST__COUNT] = {
	[DB_ST_BEGIN] = { "BEGIN IMMEDIATE", NULL },
	[DB_ST_COMMIT] = { "COMMIT", NULL },
	[DB_ST_ROLLBACK] = { "ROLLBACK", NULL },
	[DB_ST_SAVEPOINT] = { "SAVEPOINT s", NULL },
	[DB_ST_RELEASE] = { "RELEASE s", NULL },
	[DB_ST_ROLLBACK_TO] = { "ROLLBACK TO s", NULL },
	[DB_ST_ISAVEPOINT] = { "SAVEPOINT db_internal", NULL },
	[DB_ST_IRELEASE] = { "RELEASE db_internal", NULL },
	[DB_ST_IROLLBACK_TO] = { "ROLLBACK TO db_internal", NULL },
	[DB_ST_PUSH_INSERT] = {
		DB_PUSH_INSERT_COLS ", state_time) VALUES (" DB_PUSH_INSERT_VALS ", ?24)",
		DB_PUSH_INSERT_COLS ") VALUES (" DB_PUSH_INSERT_VALS ")" },
	[DB_ST_PUSH_FIND] = {
		DB_PUSH_COLS("state_time") "WHERE pi = ?1 AND push_id = ?2 AND replaced_by IS NULL",
		DB_PUSH_COLS("0") "WHERE pi = ?1 AND push_id = ?2 AND replaced_by IS NULL" },
	[DB_ST_PUSH_FIND_REPLACED] = {
		DB_PUSH_COLS("state_time") "WHERE pi = ?1 AND push_id = ?2 AND replaced_by IS NOT NULL"
		" ORDER BY id DESC LIMIT 1",
		DB_PUSH_COLS("0") "WHERE pi = ?1 AND push_id = ?2 AND replaced_by IS NOT NULL"
		" ORDER BY id DESC LIMIT 1" },
	[DB_ST_PUSH_GET] = {
		DB_PUSH_COLS("state_time") "WHERE id = ?1",
		DB_PUSH_COLS("0") "WHERE id = ?1" },
	[DB_ST_PUSH_EXISTS] = { "SELECT replaced_by IS NOT NULL, state, length(content_body) FROM push WHERE id = ?1",
		NULL },
	[DB_ST_PUSH_SET_REPLACED] = { "UPDATE push SET replaced_by = ?2 WHERE id = ?1", NULL },
	[DB_ST_PUSH_SUMMARY] = {
		"SELECT state, event_time FROM delivery WHERE push = ?1"
		" ORDER BY event_time DESC, id DESC", NULL },
	[DB_ST_PUSH_SET_STATE] = {
		"UPDATE push SET state = ?2, state_time = ?3 WHERE id = ?1",
		"UPDATE push SET state = ?2 WHERE id = ?1" },
	[DB_ST_PUSH_COUNT] = { "SELECT count(*) FROM push", NULL },
	[DB_ST_PUSH_COUNT_PI] = { "SELECT count(*) FROM push WHERE pi = ?1", NULL },
	[DB_ST_PUSH_PENDING_BY_PI] = {
		"SELECT pi, count(*), coalesce(sum(length(content_body)), 0) FROM push WHERE state = 1 GROUP BY pi",
		NULL },
	[DB_ST_DELIVERY_INSERT] = {
		"INSERT INTO delivery (push, address, addr_canon, addr_type, addr_value, state,"
		" code, description, event_time, attempts, next_attempt, priority)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
		"INSERT INTO delivery (push, address, addr_canon, addr_type, addr_value, state,"
		" code, description, event_time, attempts, next_attempt)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)" },
	[DB_ST_DELIVERY_LIST] = { DB_DELIVERY_COLS "WHERE push = ?1 ORDER BY address, id",
		DB_DELIVERY_COLS_V1 "WHERE push = ?1 ORDER BY address, id" },
	[DB_ST_DELIVERY_FIND_ADDR] = {
		DB_DELIVERY_COLS "WHERE push = ?1 AND (address = ?2 OR addr_canon = ?2)"
		" ORDER BY id LIMIT 1",
		DB_DELIVERY_COLS_V1 "WHERE push = ?1 AND (address = ?2 OR addr_canon = ?2)"
		" ORDER BY id LIMIT 1" },
	[DB_ST_DELIVERY_DUE] = {
		DB_DELIVERY_COLS "WHERE state = ?3 AND priority = ?4 AND next_attempt <= ?1"
		" ORDER BY next_attempt, id LIMIT ?2",
		DB_DELIVERY_COLS_V1 "WHERE state = ?3 AND next_attempt <= ?1"
		" ORDER BY next_attempt, id LIMIT ?2" },
	[DB_ST_DELIVERY_EXPIRED] = {
		"SELECT d.id, d.push, d.address, d.addr_canon, d.addr_type, d.addr_value, d.state,"
		" d.code, d.description, d.event_time, d.attempts, d.next_attempt"
		" FROM push p JOIN delivery d ON d.push = p.id"
		" WHERE p.state = 1 AND p.deliver_before > 0 AND p.deliver_before <= ?1"
		" AND d.state IN (1, 9) ORDER BY p.deliver_before, d.id LIMIT ?2", NULL },
	[DB_ST_DELIVERY_SET_STATE] = {
		"UPDATE delivery SET state = ?2, code = ?3, description = ?4, event_time = ?5,"
		" next_attempt = CASE WHEN ?6 >= 0 THEN ?6 ELSE next_attempt END,"
		" attempts = attempts + ?7 WHERE id = ?1", NULL },
	[DB_ST_DELIVERY_COUNT_STATE] = { "SELECT count(*) FROM delivery WHERE state = ?1", NULL },
	[DB_ST_TRANSITION_INSERT] = {
		"INSERT INTO transition (delivery, time, state, code, note)"
		" VALUES (?1, ?2, ?3, ?4, ?5)", NULL },
	[DB_ST_TRANSITION_LIST] = {
		"SELECT delivery, time, state, code, note FROM transition WHERE delivery = ?1"
		" ORDER BY time, id", NULL },
	[DB_ST_NOTIF_INSERT] = {
		"INSERT INTO notification (push, delivery, url, body, attempts, next_attempt,"
		" state, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", NULL },
	[DB_ST_NOTIF_GET] = { DB_NOTIF_COLS "WHERE id = ?1", NULL },
	[DB_ST_NOTIF_DUE] = {
		DB_NOTIF_COLS "WHERE state = ?3 AND next_attempt <= ?1"
		" ORDER BY next_attempt, id LIMIT ?2", NULL },
	[DB_ST_NOTIF_ATTEMPTED] = {
		"UPDATE notification SET attempts = attempts + 1, state = ?2,"
		" next_attempt = CASE WHEN ?3 >= 0 THEN ?3 ELSE next_attempt END WHERE id = ?1",
		NULL },
	[DB_ST_BINDING_UPSERT] = {
		"INSERT INTO binding (aor, contact, instance, gruu, apps, expires, updated, call_id, cseq)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (aor, contact) DO UPDATE SET"
		" instance = excluded.instance, gruu = excluded.gruu, apps = excluded.apps,"
		" expires = excluded.expires, updated = excluded.updated, call_id = excluded.call_id,"
		" cseq = excluded.cseq RETURNING id", NULL },
	[DB_ST_BINDING_DELETE] = { "DELETE FROM binding WHERE aor = ?1 AND contact = ?2", NULL },
	[DB_ST_BINDING_DELETE_AOR] = { "DELETE FROM binding WHERE aor = ?1", NULL },
	[DB_ST_BINDING_LIST] = {
		DB_BINDING_COLS "WHERE aor = ?1 AND expires > ?2 ORDER BY updated DESC, id DESC", NULL },
	[DB_ST_BINDING_LIST_ALL] = {
		DB_BINDING_COLS "WHERE expires > ?2 ORDER BY aor, updated DESC, id DESC", NULL },
	[DB_ST_BINDING_PURGE] = { "DELETE FROM binding WHERE expires <= ?1", NULL },
	[DB_ST_DELIVERY_GET] = { DB_DELIVERY_COLS "WHERE id = ?1", DB_DELIVERY_COLS_V1 "WHERE id = ?1" },
	[DB_ST_DELIVERY_SCHEDULE] = {
		"UPDATE delivery SET next_attempt = ?2 WHERE id = ?1 AND state = ?3", NULL },
	/* After a restart nothing is in flight: every pending delivery is due
	 * again (not before its push's deliver-after). */
	[DB_ST_DELIVERY_RECOVER] = {
		"UPDATE delivery SET next_attempt = max(?1, (SELECT deliver_after FROM push"
		" WHERE push.id = delivery.push)) WHERE state = ?2 AND next_attempt > ?1", NULL },
	[DB_ST_NOTIF_LEASE] = {
		"UPDATE notification SET next_attempt = ?2 WHERE id = ?1 AND state = ?3", NULL },
	[DB_ST_DELIVERY_SET_TARGET] = { "UPDATE delivery SET target = ?2 WHERE id = ?1", NULL },
	[DB_ST_DELIVERY_SET_BEARER] = { "UPDATE delivery SET bearer = ?2 WHERE id = ?1", NULL },
	[DB_ST_DELIVERY_WAITING] = {
		DB_DELIVERY_COLS "WHERE target = ?1 AND state = 1 ORDER BY id LIMIT ?2", NULL },
};

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

int db_isp_begin(struct db *db)
{
	return db_run(db, DB_ST_ISAVEPOINT);
}

/* Ends db/'s own savepoint: released when err is 0, else rolled back. */
int db_isp_end(struct db *db, int err)
{
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

void db_close(struct db *db)
{
	if (!db)
		return;
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
	rc = db_read_user_version(db, &v);
	return rc < 0 ? rc : v;
}

/* ---------------------------------------------------------------- transactions */

int db_begin(struct db *db)
{
	if (!db)
		return -EINVAL;
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
	db->sp_depth = 0;
	if (sqlite3_get_autocommit(db->sq))
		return 0;
	return db_run(db, DB_ST_ROLLBACK);
}

int db_savepoint(struct db *db)
{
	if (!db)
		return -EINVAL;
	int rc = db_run(db, DB_ST_SAVEPOINT);
	if (rc == 0)
		db->sp_depth++;
	return rc;
}

int db_savepoint_release(struct db *db)
{
	if (!db)
		return -EINVAL;
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

/* ---------------------------------------------------------------- rows */

int db_state_is_final(int state)
{
	return state >= DB_STATE_DELIVERED && state <= DB_STATE_REJECTED;
}

int db_state_valid(int state)
{
	return state >= DB_STATE_UNKNOWN && state <= DB_STATE_INFLIGHT;
}
/* Copies of column values: the statement's memory is gone at the next step. */
char *db_col_str(sqlite3_stmt *st, int i, int *oom)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	if (!s) {
		if (sqlite3_column_type(st, i) != SQLITE_NULL)
			*oom = 1;
		return NULL;
	}
	char *c = strdup((const char *)s);
	if (!c)
		*oom = 1;
	return c;
}

/* A BLOB column as a malloc'ed copy with a NUL after it; NULL for SQL NULL. */
void *db_col_blob(sqlite3_stmt *st, int i, size_t *len, int *oom)
{
	*len = 0;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	const void *b = sqlite3_column_blob(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);
	unsigned char *c = malloc(n + 1);
	if (!c || (n && !b)) {
		free(c);
		*oom = 1;
		return NULL;
	}
	if (n)
		memcpy(c, b, n);
	c[n] = '\0';
	*len = n;
	return c;
}

/* Steps a bound statement for exactly one row into *row. */
int db_fetch_one(struct db *db, sqlite3_stmt *st, int (*read)(sqlite3_stmt *, void *),
    void *row)
{
	int rc = sqlite3_step(st);
	int err;

	if (rc == SQLITE_ROW)
		err = read(st, row);
	else if (rc == SQLITE_DONE)
		err = db_set_err(db, -ENOENT, "no such row");
	else
		err = db_sqlite_err(db, rc);
	db_done(st);
	return err;
}

/* Steps a bound statement into a malloc'ed array of rows of `size` bytes. */
int db_fetch_all(struct db *db, sqlite3_stmt *st, size_t size,
    int (*read)(sqlite3_stmt *, void *), void (*clear)(void *), void **out, size_t *n)
{
	unsigned char *v = NULL;
	size_t cap = 0, len = 0;
	int rc, err = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			unsigned char *nv = realloc(v, ncap * size);
			if (!nv) {
				err = -ENOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		err = read(st, v + len * size);
		if (err < 0)
			break;
		len++;
	}
	if (err == 0 && rc != SQLITE_DONE)
		err = db_sqlite_err(db, rc);
	db_done(st);
	if (err < 0) {
		for (size_t i = 0; i < len; i++)
			clear(v + i * size);
		free(v);
		return err;
	}
	if (len == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = len;
	return 0;
}

int64_t db_limit(size_t max)
{
	return max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max;
}
