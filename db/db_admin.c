/*
 * db_admin.c - what the operator's tools read (ppg_admin.c): pushes searched
 * by PI, state, reception time and push-id a page at a time (newest first,
 * keyed by row id so that a page never loads more than its rows), counts of
 * pushes per state, pending deliveries per reason, notifications per state.
 * Each query is built from the filters given, prepared and finalized per call
 * (the operator's requests are rare; the cache of db_sqlite.c is for the hot
 * statements).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

void db_push_brief_clear(struct db_push_brief *b)
{
	if (!b)
		return;
	free(b->pi);
	free(b->push_id);
	free(b->app_id);
	free(b->content_type);
	memset(b, 0, sizeof *b);
}

static void brief_clear_v(void *row)
{
	db_push_brief_clear(row);
}

void db_push_brief_list_free(struct db_push_brief *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		db_push_brief_clear(&v[i]);
	free(v);
}

static int brief_read(sqlite3_stmt *st, void *row)
{
	struct db_push_brief *b = row;
	int oom = 0;
	memset(b, 0, sizeof *b);
	b->id = sqlite3_column_int64(st, 0);
	b->pi = db_col_str(st, 1, &oom);
	b->push_id = db_col_str(st, 2, &oom);
	b->state = sqlite3_column_int(st, 3);
	b->received_time = sqlite3_column_int64(st, 4);
	b->state_time = sqlite3_column_int64(st, 5);
	b->deliver_before = sqlite3_column_int64(st, 6);
	b->replaced_by = sqlite3_column_int64(st, 7);
	b->app_id = db_col_str(st, 8, &oom);
	b->content_type = db_col_str(st, 9, &oom);
	b->ndeliveries = sqlite3_column_int(st, 10);
	if (oom) {
		db_push_brief_clear(b);
		return -ENOMEM;
	}
	return 0;
}

/* Prepares sql on db (not cached); runs the owner check like db_prep. */
static int prep(struct db *db, const char *sql, sqlite3_stmt **st)
{
	db_check_owner(db);
	int rc = sqlite3_prepare_v2(db->sq, sql, -1, st, NULL);
	return rc == SQLITE_OK ? 0 : db_sqlite_err(db, rc);
}

int db_push_search(struct db *db, const struct db_push_filter *f, struct db_push_brief **out, size_t *n)
{
	char sql[1024];
	sqlite3_stmt *st = NULL;

	if (!db || !f || !out || !n || f->limit == 0 || f->limit > DB_PUSH_SEARCH_MAX ||
	    (f->state >= 0 && !db_state_valid(f->state)))
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	*out = NULL;
	*n = 0;
	DB_PG_DISPATCH(db, db_pg_push_search(db, f, out, n));
	int len = snprintf(sql, sizeof sql,
	    "SELECT id, pi, push_id, state, received_time, state_time, deliver_before,"
	    " coalesce(replaced_by, 0), app_id, content_type,"
	    " (SELECT count(*) FROM delivery WHERE delivery.push = push.id)"
	    " FROM push WHERE 1%s%s%s%s%s%s ORDER BY id DESC LIMIT ?7",
	    f->pi ? " AND pi = ?1" : "", f->push_id ? " AND push_id = ?2" : "",
	    f->state >= 0 ? " AND state = ?3" : "", f->since > 0 ? " AND received_time >= ?4" : "",
	    f->until > 0 ? " AND received_time < ?5" : "", f->before_id > 0 ? " AND id < ?6" : "");
	if (len < 0 || (size_t)len >= sizeof sql)
		return db_set_err(db, -EINVAL, "query too long");
	int r = prep(db, sql, &st);
	if (r < 0)
		return r;
	int rc = SQLITE_OK;
	if (f->pi)
		DB_BIND(rc, sqlite3_bind_text(st, 1, f->pi, -1, SQLITE_STATIC));
	if (f->push_id)
		DB_BIND(rc, sqlite3_bind_text(st, 2, f->push_id, -1, SQLITE_STATIC));
	if (f->state >= 0)
		DB_BIND(rc, sqlite3_bind_int(st, 3, f->state));
	if (f->since > 0)
		DB_BIND(rc, sqlite3_bind_int64(st, 4, f->since));
	if (f->until > 0)
		DB_BIND(rc, sqlite3_bind_int64(st, 5, f->until));
	if (f->before_id > 0)
		DB_BIND(rc, sqlite3_bind_int64(st, 6, f->before_id));
	DB_BIND(rc, sqlite3_bind_int64(st, 7, (sqlite3_int64)f->limit));
	if (rc != SQLITE_OK) {
		r = db_sqlite_err(db, rc);
		sqlite3_finalize(st);
		return r;
	}
	void *v = NULL;
	r = db_fetch_all(db, st, sizeof(struct db_push_brief), brief_read, brief_clear_v, &v, n);
	sqlite3_finalize(st);
	if (r == 0)
		*out = v;
	return r;
}

int db_push_count_by_state(struct db *db, int64_t counts[DB_NSTATES])
{
	sqlite3_stmt *st = NULL;
	if (!db || !counts)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	memset(counts, 0, DB_NSTATES * sizeof counts[0]);
	DB_PG_DISPATCH(db, db_pg_push_count_by_state(db, counts));
	int r = prep(db, "SELECT state, count(*) FROM push WHERE replaced_by IS NULL GROUP BY state", &st);
	if (r < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int s = sqlite3_column_int(st, 0);
		if (s >= 0 && s < DB_NSTATES)
			counts[s] = sqlite3_column_int64(st, 1);
	}
	r = rc == SQLITE_DONE ? 0 : db_sqlite_err(db, rc);
	sqlite3_finalize(st);
	return r;
}

int db_delivery_pending_reasons(struct db *db, int64_t now, struct db_pending_reasons *out)
{
	sqlite3_stmt *st = NULL;
	if (!db || !out)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	memset(out, 0, sizeof *out);
	/* state 1 pending, 9 in flight (db_state); the partial indexes of the
	 * engine cover these rows, so this reads the pending ones only. */
	DB_PG_DISPATCH(db, db_pg_delivery_pending_reasons(db, now, out));
	int r = prep(db, "SELECT CASE WHEN state = 9 THEN 0 WHEN target IS NOT NULL THEN 1"
	    " WHEN next_attempt > ?1 THEN 2 ELSE 3 END, count(*)"
	    " FROM delivery WHERE state IN (1, 9) GROUP BY 1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, now);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t c = sqlite3_column_int64(st, 1);
		switch (sqlite3_column_int(st, 0)) {
		case 0: out->inflight = c; break;
		case 1: out->registration = c; break;
		case 2: out->scheduled = c; break;
		default: out->due = c; break;
		}
	}
	r = rc == SQLITE_DONE ? 0 : db_sqlite_err(db, rc);
	sqlite3_finalize(st);
	return r;
}

int db_notification_count_state(struct db *db, int state, int64_t *n)
{
	sqlite3_stmt *st = NULL;
	if (!db || !n || !db_state_valid(state))
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_notification_count_state(db, state, n));
	int r = prep(db, "SELECT count(*) FROM notification WHERE state = ?1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int(st, 1, state);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		r = 0;
	} else {
		r = db_sqlite_err(db, rc);
	}
	sqlite3_finalize(st);
	return r;
}
