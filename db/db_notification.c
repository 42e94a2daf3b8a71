/*
 * db_notification.c - notification rows of db.h: the result notifications
 * waiting to be sent to a push's notify-to address, and their attempts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

void db_notification_clear(struct db_notification *nt)
{
	if (!nt)
		return;
	free(nt->url);
	free(nt->body);
	memset(nt, 0, sizeof *nt);
}

void db_notification_list_free(struct db_notification *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		db_notification_clear(&v[i]);
	free(v);
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

static void db_notification_clear_v(void *p) { db_notification_clear(p); }

/* ---------------------------------------------------------------- notifications */

int db_notification_insert(struct db *db, struct db_notification *nt)
{
	sqlite3_stmt *st = NULL;

	if (!db || !nt || !nt->url || !*nt->url || nt->push <= 0 || nt->delivery < 0 ||
	    (nt->body_len && !nt->body) || !db_state_valid(nt->state))
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_notification_insert(db, nt));
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
	DB_PG_DISPATCH(db, db_pg_notification_get(db, id, out));
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
	DB_PG_DISPATCH(db, db_pg_notification_due(db, now, max, out, n));
	int rc = db_prep(db, DB_ST_NOTIF_DUE, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, db_limit(max));
	sqlite3_bind_int(st, 3, DB_STATE_PENDING);
	return db_fetch_all(db, st, sizeof **out, db_notification_row, db_notification_clear_v,
	    (void **)out, n);
}

int db_notification_lease(struct db *db, int64_t id, int64_t until)
{
	sqlite3_stmt *st = NULL;

	if (!db || id <= 0)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_notification_lease(db, id, until));
	int rc = db_prep(db, DB_ST_NOTIF_LEASE, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, until);
	sqlite3_bind_int(st, 3, DB_STATE_PENDING);
	rc = db_step_done(db, st);
	if (rc == 0 && sqlite3_changes(db->sq) == 0)
		return db_set_err(db, -ENOENT, "no pending notification %lld", (long long)id);
	return rc;
}

int db_notification_attempted(struct db *db, int64_t id, int state, int64_t next_attempt)
{
	sqlite3_stmt *st = NULL;

	if (!db || id <= 0 || !db_state_valid(state))
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_notification_attempted(db, id, state, next_attempt));
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

int db_notification_read_row(sqlite3_stmt *st, void *row)
{
	return db_notification_row(st, row);
}

void db_notification_clear_v_ext(void *row)
{
	db_notification_clear(row);
}
