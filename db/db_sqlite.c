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
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/db_internal.h"

/* Why the last db_open of this thread failed: db_errmsg(NULL). */
static _Thread_local char db_open_errmsg[2 * DB_ERRMSG_MAX];

#define DB_BIND(rc, call) do { if ((rc) == SQLITE_OK) (rc) = (call); } while (0)

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
#define DB_DELIVERY_COLS \
	"SELECT id, push, address, addr_canon, addr_type, addr_value, state, code," \
	" description, event_time, attempts, next_attempt FROM delivery "
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
	[DB_ST_PUSH_GET] = {
		DB_PUSH_COLS("state_time") "WHERE id = ?1",
		DB_PUSH_COLS("0") "WHERE id = ?1" },
	[DB_ST_PUSH_EXISTS] = { "SELECT replaced_by IS NOT NULL, state FROM push WHERE id = ?1", NULL },
	[DB_ST_PUSH_SET_REPLACED] = { "UPDATE push SET replaced_by = ?2 WHERE id = ?1", NULL },
	[DB_ST_PUSH_SUMMARY] = {
		"SELECT state, event_time FROM delivery WHERE push = ?1"
		" ORDER BY event_time DESC, id DESC", NULL },
	[DB_ST_PUSH_SET_STATE] = {
		"UPDATE push SET state = ?2, state_time = ?3 WHERE id = ?1",
		"UPDATE push SET state = ?2 WHERE id = ?1" },
	[DB_ST_PUSH_COUNT] = { "SELECT count(*) FROM push", NULL },
	[DB_ST_PUSH_COUNT_PI] = { "SELECT count(*) FROM push WHERE pi = ?1", NULL },
	[DB_ST_DELIVERY_INSERT] = {
		"INSERT INTO delivery (push, address, addr_canon, addr_type, addr_value, state,"
		" code, description, event_time, attempts, next_attempt)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", NULL },
	[DB_ST_DELIVERY_LIST] = { DB_DELIVERY_COLS "WHERE push = ?1 ORDER BY address, id", NULL },
	[DB_ST_DELIVERY_FIND_ADDR] = {
		DB_DELIVERY_COLS "WHERE push = ?1 AND (address = ?2 OR addr_canon = ?2)"
		" ORDER BY id LIMIT 1", NULL },
	[DB_ST_DELIVERY_DUE] = {
		DB_DELIVERY_COLS "WHERE state = ?3 AND next_attempt <= ?1"
		" ORDER BY next_attempt, id LIMIT ?2", NULL },
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
	int rc = sqlite3_exec(db->sq, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : db_sqlite_err(db, rc);
}

/* ---------------------------------------------------------------- statements */

/* The cached statement `id`, prepared on first use. */
static int db_prep(struct db *db, enum db_stmt_id id, sqlite3_stmt **out)
{
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
static void db_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Steps a bound statement that returns no row. */
static int db_step_done(struct db *db, sqlite3_stmt *st)
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
static int db_step_int64(struct db *db, sqlite3_stmt *st, int64_t *v)
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

static int db_isp_begin(struct db *db)
{
	return db_run(db, DB_ST_ISAVEPOINT);
}

/* Ends db/'s own savepoint: released when err is 0, else rolled back. */
static int db_isp_end(struct db *db, int err)
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
	if (!db) {
		snprintf(db_open_errmsg, sizeof db_open_errmsg, "out of memory");
		return -ENOMEM;
	}
	db->readonly = !!(flags & DB_OPEN_READONLY);
	db->version = DB_SCHEMA_VERSION;
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
		err = db_exec(db, flags & DB_SYNC_NORMAL ? "PRAGMA synchronous = NORMAL"
		    : "PRAGMA synchronous = FULL");
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
	free(db);
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

static int db_state_valid(int state)
{
	return state >= DB_STATE_UNKNOWN && state <= DB_STATE_INFLIGHT;
}

void db_push_clear(struct db_push *p)
{
	if (!p)
		return;
	free(p->pi);
	free(p->push_id);
	free(p->replace_push_id);
	free(p->source_reference);
	free(p->notify_to);
	free(p->network);
	free(p->bearer);
	free(p->content_type);
	free(p->app_id);
	free(p->content_headers);
	free(p->content_body);
	memset(p, 0, sizeof *p);
}

void db_delivery_clear(struct db_delivery *d)
{
	if (!d)
		return;
	free(d->address);
	free(d->addr_canon);
	free(d->addr_value);
	free(d->desc);
	memset(d, 0, sizeof *d);
}

void db_transition_clear(struct db_transition *t)
{
	if (!t)
		return;
	free(t->note);
	memset(t, 0, sizeof *t);
}

void db_notification_clear(struct db_notification *nt)
{
	if (!nt)
		return;
	free(nt->url);
	free(nt->body);
	memset(nt, 0, sizeof *nt);
}

void db_delivery_list_free(struct db_delivery *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		db_delivery_clear(&v[i]);
	free(v);
}

void db_transition_list_free(struct db_transition *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		db_transition_clear(&v[i]);
	free(v);
}

void db_notification_list_free(struct db_notification *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		db_notification_clear(&v[i]);
	free(v);
}

/* Copies of column values: the statement's memory is gone at the next step. */
static char *db_col_str(sqlite3_stmt *st, int i, int *oom)
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
static void *db_col_blob(sqlite3_stmt *st, int i, size_t *len, int *oom)
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

static int db_push_row(sqlite3_stmt *st, void *row)
{
	struct db_push *p = row;
	int oom = 0;

	memset(p, 0, sizeof *p);
	p->id = sqlite3_column_int64(st, 0);
	p->pi = db_col_str(st, 1, &oom);
	p->push_id = db_col_str(st, 2, &oom);
	p->pap_version = sqlite3_column_int(st, 3);
	p->state = sqlite3_column_int(st, 4);
	p->received_time = sqlite3_column_int64(st, 5);
	p->deliver_before = sqlite3_column_int64(st, 6);
	p->deliver_after = sqlite3_column_int64(st, 7);
	p->replace_push_id = db_col_str(st, 8, &oom);
	p->replace_method = sqlite3_column_int(st, 9);
	p->replaced_by = sqlite3_column_int64(st, 10);
	p->source_reference = db_col_str(st, 11, &oom);
	p->notify_to = db_col_str(st, 12, &oom);
	p->progress_notes = sqlite3_column_int(st, 13);
	p->qos_present = sqlite3_column_int(st, 14);
	p->priority = sqlite3_column_int(st, 15);
	p->delivery_method = sqlite3_column_int(st, 16);
	p->network = db_col_str(st, 17, &oom);
	p->network_required = sqlite3_column_int(st, 18);
	p->bearer = db_col_str(st, 19, &oom);
	p->bearer_required = sqlite3_column_int(st, 20);
	p->content_type = db_col_str(st, 21, &oom);
	p->app_id = db_col_str(st, 22, &oom);
	p->content_headers = db_col_blob(st, 23, &p->content_headers_len, &oom);
	p->content_body = db_col_blob(st, 24, &p->content_len, &oom);
	p->state_time = sqlite3_column_int64(st, 25);
	if (oom) {
		db_push_clear(p);
		return -ENOMEM;
	}
	return 0;
}

static int db_delivery_row(sqlite3_stmt *st, void *row)
{
	struct db_delivery *d = row;
	int oom = 0;

	memset(d, 0, sizeof *d);
	d->id = sqlite3_column_int64(st, 0);
	d->push = sqlite3_column_int64(st, 1);
	d->address = db_col_str(st, 2, &oom);
	d->addr_canon = db_col_str(st, 3, &oom);
	d->addr_type = sqlite3_column_int(st, 4);
	d->addr_value = db_col_str(st, 5, &oom);
	d->state = sqlite3_column_int(st, 6);
	d->code = sqlite3_column_int(st, 7);
	d->desc = db_col_str(st, 8, &oom);
	d->event_time = sqlite3_column_int64(st, 9);
	d->attempts = sqlite3_column_int(st, 10);
	d->next_attempt = sqlite3_column_int64(st, 11);
	if (oom) {
		db_delivery_clear(d);
		return -ENOMEM;
	}
	return 0;
}

static int db_transition_row(sqlite3_stmt *st, void *row)
{
	struct db_transition *t = row;
	int oom = 0;

	memset(t, 0, sizeof *t);
	t->delivery = sqlite3_column_int64(st, 0);
	t->time = sqlite3_column_int64(st, 1);
	t->state = sqlite3_column_int(st, 2);
	t->code = sqlite3_column_int(st, 3);
	t->note = db_col_str(st, 4, &oom);
	if (oom) {
		db_transition_clear(t);
		return -ENOMEM;
	}
	return 0;
}

static int db_notification_row(sqlite3_stmt *st, void *row)
{
	struct db_notification *nt = row;
	int oom = 0;

	memset(nt, 0, sizeof *nt);
	nt->id = sqlite3_column_int64(st, 0);
	nt->push = sqlite3_column_int64(st, 1);
	nt->delivery = sqlite3_column_int64(st, 2);
	nt->url = db_col_str(st, 3, &oom);
	nt->body = db_col_blob(st, 4, &nt->body_len, &oom);
	nt->attempts = sqlite3_column_int(st, 5);
	nt->next_attempt = sqlite3_column_int64(st, 6);
	nt->state = sqlite3_column_int(st, 7);
	nt->created = sqlite3_column_int64(st, 8);
	if (oom) {
		db_notification_clear(nt);
		return -ENOMEM;
	}
	return 0;
}

/* Steps a bound statement for exactly one row into *row. */
static int db_fetch_one(struct db *db, sqlite3_stmt *st, int (*read)(sqlite3_stmt *, void *),
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
static int db_fetch_all(struct db *db, sqlite3_stmt *st, size_t size,
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

static void db_delivery_clear_v(void *p) { db_delivery_clear(p); }
static void db_transition_clear_v(void *p) { db_transition_clear(p); }
static void db_notification_clear_v(void *p) { db_notification_clear(p); }

/* ---------------------------------------------------------------- pushes */

static int db_push_check(const struct db_push *p, const struct db_delivery *d, size_t n)
{
	if (!p || !p->pi || !*p->pi || !p->push_id || !*p->push_id || !db_state_valid(p->state))
		return -EINVAL;
	if ((p->content_len && !p->content_body) ||
	    (p->content_headers_len && !p->content_headers))
		return -EINVAL;
	if (n && !d)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!d[i].address || !db_state_valid(d[i].state))
			return -EINVAL;
	return 0;
}

static int db_transition_add(struct db *db, int64_t delivery, int64_t t, int state, int code,
    const char *note)
{
	sqlite3_stmt *st = NULL;
	int rc = db_prep(db, DB_ST_TRANSITION_INSERT, &st);
	if (rc < 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_int64(st, 1, delivery));
	DB_BIND(rc, sqlite3_bind_int64(st, 2, t));
	DB_BIND(rc, sqlite3_bind_int(st, 3, state));
	DB_BIND(rc, sqlite3_bind_int(st, 4, code));
	DB_BIND(rc, sqlite3_bind_text(st, 5, note, -1, SQLITE_STATIC));
	if (rc != SQLITE_OK) {
		db_done(st);
		return db_sqlite_err(db, rc);
	}
	return db_step_done(db, st);
}

/* The rows of db_push_insert, inside a savepoint the caller holds. */
static int db_push_insert_rows(struct db *db, struct db_push *p, struct db_delivery *d,
    size_t n)
{
	sqlite3_stmt *st = NULL;
	int64_t state_time = p->state_time ? p->state_time : p->received_time;
	int rc = db_prep(db, DB_ST_PUSH_INSERT, &st);
	if (rc < 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_text(st, 1, p->pi, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 2, p->push_id, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int(st, 3, p->pap_version));
	DB_BIND(rc, sqlite3_bind_int(st, 4, p->state));
	DB_BIND(rc, sqlite3_bind_int64(st, 5, p->received_time));
	DB_BIND(rc, sqlite3_bind_int64(st, 6, p->deliver_before));
	DB_BIND(rc, sqlite3_bind_int64(st, 7, p->deliver_after));
	DB_BIND(rc, sqlite3_bind_text(st, 8, p->replace_push_id, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int(st, 9, p->replace_method));
	DB_BIND(rc, sqlite3_bind_text(st, 10, p->source_reference, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 11, p->notify_to, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int(st, 12, p->progress_notes));
	DB_BIND(rc, sqlite3_bind_int(st, 13, p->qos_present));
	DB_BIND(rc, sqlite3_bind_int(st, 14, p->priority));
	DB_BIND(rc, sqlite3_bind_int(st, 15, p->delivery_method));
	DB_BIND(rc, sqlite3_bind_text(st, 16, p->network, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int(st, 17, p->network_required));
	DB_BIND(rc, sqlite3_bind_text(st, 18, p->bearer, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int(st, 19, p->bearer_required));
	DB_BIND(rc, sqlite3_bind_text(st, 20, p->content_type, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 21, p->app_id, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_blob64(st, 22, p->content_headers, p->content_headers_len,
	    SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_blob64(st, 23, p->content_body, p->content_len, SQLITE_STATIC));
	if (sqlite3_bind_parameter_count(st) >= 24)   /* schema 2 */
		DB_BIND(rc, sqlite3_bind_int64(st, 24, state_time));
	if (rc != SQLITE_OK) {
		db_done(st);
		return db_sqlite_err(db, rc);
	}
	rc = db_step_done(db, st);
	if (rc == -EEXIST)
		db_set_err(db, rc, "push-id %s of %s already exists", p->push_id, p->pi);
	if (rc < 0)
		return rc;
	p->id = sqlite3_last_insert_rowid(db->sq);
	p->state_time = state_time;

	for (size_t i = 0; i < n; i++) {
		rc = db_prep(db, DB_ST_DELIVERY_INSERT, &st);
		if (rc < 0)
			return rc;
		rc = SQLITE_OK;
		DB_BIND(rc, sqlite3_bind_int64(st, 1, p->id));
		DB_BIND(rc, sqlite3_bind_text(st, 2, d[i].address, -1, SQLITE_STATIC));
		DB_BIND(rc, sqlite3_bind_text(st, 3, d[i].addr_canon, -1, SQLITE_STATIC));
		DB_BIND(rc, sqlite3_bind_int(st, 4, d[i].addr_type));
		DB_BIND(rc, sqlite3_bind_text(st, 5, d[i].addr_value, -1, SQLITE_STATIC));
		DB_BIND(rc, sqlite3_bind_int(st, 6, d[i].state));
		DB_BIND(rc, sqlite3_bind_int(st, 7, d[i].code));
		DB_BIND(rc, sqlite3_bind_text(st, 8, d[i].desc, -1, SQLITE_STATIC));
		DB_BIND(rc, sqlite3_bind_int64(st, 9, d[i].event_time));
		DB_BIND(rc, sqlite3_bind_int(st, 10, d[i].attempts));
		DB_BIND(rc, sqlite3_bind_int64(st, 11, d[i].next_attempt));
		if (rc != SQLITE_OK) {
			db_done(st);
			return db_sqlite_err(db, rc);
		}
		rc = db_step_done(db, st);
		if (rc < 0)
			return rc;
		d[i].id = sqlite3_last_insert_rowid(db->sq);
		d[i].push = p->id;
		rc = db_transition_add(db, d[i].id, d[i].event_time, d[i].state, d[i].code,
		    d[i].desc);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Undoes the ids a failed insert handed out. */
static void db_push_forget_ids(struct db_push *p, struct db_delivery *d, size_t n)
{
	p->id = 0;
	for (size_t i = 0; i < n; i++)
		d[i].id = d[i].push = 0;
}

int db_push_insert(struct db *db, struct db_push *p, struct db_delivery *d, size_t n)
{
	if (!db)
		return -EINVAL;
	if (db_push_check(p, d, n) < 0)
		return db_set_err(db, -EINVAL, "bad push or delivery");
	int rc = db_isp_begin(db);
	if (rc < 0)
		return rc;
	rc = db_isp_end(db, db_push_insert_rows(db, p, d, n));
	if (rc < 0)
		db_push_forget_ids(p, d, n);
	return rc;
}

/* Whether push id exists (-ENOENT if not), is replaced, and its state. */
static int db_push_status(struct db *db, int64_t id, int *replaced, int *state)
{
	sqlite3_stmt *st = NULL;
	int rc = db_prep(db, DB_ST_PUSH_EXISTS, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*replaced = sqlite3_column_int(st, 0);
		*state = sqlite3_column_int(st, 1);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = db_set_err(db, -ENOENT, "no push %lld", (long long)id);
	} else {
		rc = db_sqlite_err(db, rc);
	}
	db_done(st);
	return rc;
}

static int db_push_mark(struct db *db, int64_t id, int64_t by)
{
	sqlite3_stmt *st = NULL;
	int rc = db_prep(db, DB_ST_PUSH_SET_REPLACED, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, by);
	rc = db_step_done(db, st);
	if (rc == -ENOENT)
		return db_set_err(db, rc, "no push %lld", (long long)by);
	if (rc == 0 && sqlite3_changes(db->sq) == 0)
		return db_set_err(db, -ENOENT, "no push %lld", (long long)id);
	return rc;
}

int db_push_replace(struct db *db, int64_t old, struct db_push *p, struct db_delivery *d,
    size_t n)
{
	int replaced, state;

	if (!db)
		return -EINVAL;
	if (old <= 0 || db_push_check(p, d, n) < 0)
		return db_set_err(db, -EINVAL, "bad push or delivery");
	int rc = db_isp_begin(db);
	if (rc < 0)
		return rc;
	rc = db_push_status(db, old, &replaced, &state);
	if (rc == 0 && replaced)
		rc = db_set_err(db, -EEXIST, "push %lld is already replaced", (long long)old);
	/* The old push leaves the unique index first, pointing at itself until
	 * the new one has a row id, so that the new one may reuse its push-id. */
	if (rc == 0)
		rc = db_push_mark(db, old, old);
	if (rc == 0)
		rc = db_push_insert_rows(db, p, d, n);
	if (rc == 0)
		rc = db_push_mark(db, old, p->id);
	rc = db_isp_end(db, rc);
	if (rc < 0)
		db_push_forget_ids(p, d, n);
	return rc;
}

int db_push_find(struct db *db, const char *pi, const char *push_id, int with_content,
    struct db_push *out)
{
	sqlite3_stmt *st = NULL;

	if (!db || !pi || !push_id || !out)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	int rc = db_prep(db, DB_ST_PUSH_FIND, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, pi, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, push_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, !!with_content);
	return db_fetch_one(db, st, db_push_row, out);
}

int db_push_get(struct db *db, int64_t id, int with_content, struct db_push *out)
{
	sqlite3_stmt *st = NULL;

	if (!db || id <= 0 || !out)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	int rc = db_prep(db, DB_ST_PUSH_GET, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 3, !!with_content);
	return db_fetch_one(db, st, db_push_row, out);
}

int db_push_set_replaced(struct db *db, int64_t id, int64_t by)
{
	if (!db || id <= 0 || by <= 0 || id == by)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	return db_push_mark(db, id, by);
}

/*
 * The summary of a push's deliveries: pending while any is not final; else
 * the final state they share; else (mixed) delivered when any was delivered,
 * otherwise the state of the latest transition. state_time changes only with
 * the state and is then the time of the latest delivery transition.
 */
int db_push_update_state(struct db *db, int64_t id)
{
	sqlite3_stmt *st = NULL;
	int replaced, cur, rc;
	int first = -1, latest = 0, same = 1, open = 0, delivered = 0;
	int64_t latest_time = 0;

	if (!db || id <= 0)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	rc = db_push_status(db, id, &replaced, &cur);
	if (rc < 0)
		return rc;
	rc = db_prep(db, DB_ST_PUSH_SUMMARY, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int s = sqlite3_column_int(st, 0);
		if (first < 0) {
			first = latest = s;
			latest_time = sqlite3_column_int64(st, 1);
		}
		if (s != first)
			same = 0;
		if (!db_state_is_final(s))
			open = 1;
		if (s == DB_STATE_DELIVERED)
			delivered = 1;
	}
	rc = rc == SQLITE_DONE ? 0 : db_sqlite_err(db, rc);
	db_done(st);
	if (rc < 0 || first < 0)
		return rc;    /* no delivery: the state stays as inserted */

	int state = open ? DB_STATE_PENDING : same ? first : delivered ? DB_STATE_DELIVERED : latest;
	if (state == cur)
		return 0;
	rc = db_prep(db, DB_ST_PUSH_SET_STATE, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, state);
	if (sqlite3_bind_parameter_count(st) >= 3)     /* schema 2 */
		sqlite3_bind_int64(st, 3, latest_time);
	return db_step_done(db, st);
}

/* ---------------------------------------------------------------- deliveries */

int db_delivery_list(struct db *db, int64_t push, struct db_delivery **out, size_t *n)
{
	sqlite3_stmt *st = NULL;

	if (!db || push <= 0 || !out || !n)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	int rc = db_prep(db, DB_ST_DELIVERY_LIST, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, push);
	return db_fetch_all(db, st, sizeof **out, db_delivery_row, db_delivery_clear_v,
	    (void **)out, n);
}

int db_delivery_find_by_address(struct db *db, int64_t push, const char *address,
    struct db_delivery *out)
{
	sqlite3_stmt *st = NULL;

	if (!db || push <= 0 || !address || !out)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	int rc = db_prep(db, DB_ST_DELIVERY_FIND_ADDR, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, push);
	sqlite3_bind_text(st, 2, address, -1, SQLITE_STATIC);
	return db_fetch_one(db, st, db_delivery_row, out);
}

static int64_t db_limit(size_t max)
{
	return max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max;
}

int db_delivery_due(struct db *db, int64_t now, size_t max, struct db_delivery **out,
    size_t *n)
{
	sqlite3_stmt *st = NULL;

	if (!db || !out || !n)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	int rc = db_prep(db, DB_ST_DELIVERY_DUE, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, db_limit(max));
	sqlite3_bind_int(st, 3, DB_STATE_PENDING);
	return db_fetch_all(db, st, sizeof **out, db_delivery_row, db_delivery_clear_v,
	    (void **)out, n);
}

static int db_delivery_set_state_rows(struct db *db, int64_t delivery, int state, int code,
    const char *desc, int64_t t, int64_t next_attempt)
{
	sqlite3_stmt *st = NULL;
	int rc = db_prep(db, DB_ST_DELIVERY_SET_STATE, &st);
	if (rc < 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_int64(st, 1, delivery));
	DB_BIND(rc, sqlite3_bind_int(st, 2, state));
	DB_BIND(rc, sqlite3_bind_int(st, 3, code));
	DB_BIND(rc, sqlite3_bind_text(st, 4, desc, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int64(st, 5, t));
	DB_BIND(rc, sqlite3_bind_int64(st, 6, next_attempt));
	DB_BIND(rc, sqlite3_bind_int(st, 7, state == DB_STATE_INFLIGHT));
	if (rc != SQLITE_OK) {
		db_done(st);
		return db_sqlite_err(db, rc);
	}
	rc = db_step_done(db, st);
	if (rc < 0)
		return rc;
	if (sqlite3_changes(db->sq) == 0)
		return db_set_err(db, -ENOENT, "no delivery %lld", (long long)delivery);
	return db_transition_add(db, delivery, t, state, code, desc);
}

int db_delivery_set_state(struct db *db, int64_t delivery, int state, int code,
    const char *desc, int64_t t, int64_t next_attempt)
{
	if (!db || delivery <= 0 || state < DB_STATE_PENDING || state > DB_STATE_INFLIGHT)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	int rc = db_isp_begin(db);
	if (rc < 0)
		return rc;
	return db_isp_end(db, db_delivery_set_state_rows(db, delivery, state, code, desc, t,
	    next_attempt));
}

int db_transition_list(struct db *db, int64_t delivery, struct db_transition **out, size_t *n)
{
	sqlite3_stmt *st = NULL;

	if (!db || delivery <= 0 || !out || !n)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	int rc = db_prep(db, DB_ST_TRANSITION_LIST, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, delivery);
	return db_fetch_all(db, st, sizeof **out, db_transition_row, db_transition_clear_v,
	    (void **)out, n);
}

/* ---------------------------------------------------------------- counts */

int db_count_pushes(struct db *db, int64_t *n)
{
	sqlite3_stmt *st = NULL;

	if (!db || !n)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	int rc = db_prep(db, DB_ST_PUSH_COUNT, &st);
	return rc < 0 ? rc : db_step_int64(db, st, n);
}

int db_count_deliveries_in_state(struct db *db, int state, int64_t *n)
{
	sqlite3_stmt *st = NULL;

	if (!db || !n || !db_state_valid(state))
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	int rc = db_prep(db, DB_ST_DELIVERY_COUNT_STATE, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int(st, 1, state);
	return db_step_int64(db, st, n);
}

int db_push_count_for_pi(struct db *db, const char *pi, int64_t *n)
{
	sqlite3_stmt *st = NULL;

	if (!db || !pi || !n)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	int rc = db_prep(db, DB_ST_PUSH_COUNT_PI, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, pi, -1, SQLITE_STATIC);
	return db_step_int64(db, st, n);
}

/* ---------------------------------------------------------------- notifications */

int db_notification_insert(struct db *db, struct db_notification *nt)
{
	sqlite3_stmt *st = NULL;

	if (!db || !nt || !nt->url || !*nt->url || nt->push <= 0 || nt->delivery < 0 ||
	    (nt->body_len && !nt->body) || !db_state_valid(nt->state))
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	int rc = db_prep(db, DB_ST_NOTIF_INSERT, &st);
	if (rc < 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_int64(st, 1, nt->push));
	if (nt->delivery)
		DB_BIND(rc, sqlite3_bind_int64(st, 2, nt->delivery));
	DB_BIND(rc, sqlite3_bind_text(st, 3, nt->url, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_blob64(st, 4, nt->body, nt->body_len, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int(st, 5, nt->attempts));
	DB_BIND(rc, sqlite3_bind_int64(st, 6, nt->next_attempt));
	DB_BIND(rc, sqlite3_bind_int(st, 7, nt->state));
	DB_BIND(rc, sqlite3_bind_int64(st, 8, nt->created));
	if (rc != SQLITE_OK) {
		db_done(st);
		return db_sqlite_err(db, rc);
	}
	rc = db_step_done(db, st);
	if (rc == 0)
		nt->id = sqlite3_last_insert_rowid(db->sq);
	return rc;
}

int db_notification_get(struct db *db, int64_t id, struct db_notification *out)
{
	sqlite3_stmt *st = NULL;

	if (!db || id <= 0 || !out)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	int rc = db_prep(db, DB_ST_NOTIF_GET, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	return db_fetch_one(db, st, db_notification_row, out);
}

int db_notification_due(struct db *db, int64_t now, size_t max, struct db_notification **out,
    size_t *n)
{
	sqlite3_stmt *st = NULL;

	if (!db || !out || !n)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	int rc = db_prep(db, DB_ST_NOTIF_DUE, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, db_limit(max));
	sqlite3_bind_int(st, 3, DB_STATE_PENDING);
	return db_fetch_all(db, st, sizeof **out, db_notification_row, db_notification_clear_v,
	    (void **)out, n);
}

int db_notification_attempted(struct db *db, int64_t id, int state, int64_t next_attempt)
{
	sqlite3_stmt *st = NULL;

	if (!db || id <= 0 || !db_state_valid(state))
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	int rc = db_prep(db, DB_ST_NOTIF_ATTEMPTED, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, state);
	sqlite3_bind_int64(st, 3, next_attempt);
	rc = db_step_done(db, st);
	if (rc == 0 && sqlite3_changes(db->sq) == 0)
		return db_set_err(db, -ENOENT, "no notification %lld", (long long)id);
	return rc;
}
