/*
 * db_push.c - push rows of db.h: inserting a push with its deliveries,
 * replacing one, looking pushes up, their summary state, and the counts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

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
		rc = db_prep(db, db->version >= 6 ? DB_ST_DELIVERY_INSERT6 : DB_ST_DELIVERY_INSERT, &st);
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
		if (db->version >= 2)
			DB_BIND(rc, sqlite3_bind_int(st, 12, p->priority >= 1 && p->priority <= 3 ? p->priority : 2));
		if (db->version >= 6)
			DB_BIND(rc, db->node[0] ? sqlite3_bind_text(st, 13, db->node, -1, SQLITE_STATIC)
			    : sqlite3_bind_null(st, 13));
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
	DB_PG_DISPATCH(db, db_pg_push_insert(db, p, d, n));
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
	int replaced = 0, state = 0;

	if (!db)
		return -EINVAL;
	if (old <= 0 || db_push_check(p, d, n) < 0)
		return db_set_err(db, -EINVAL, "bad push or delivery");
	DB_PG_DISPATCH(db, db_pg_push_replace(db, old, p, d, n));
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
	DB_PG_DISPATCH(db, db_pg_push_find(db, pi, push_id, with_content, out));
	int rc = db_prep(db, DB_ST_PUSH_FIND, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, pi, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, push_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, !!with_content);
	return db_fetch_one(db, st, db_push_row, out);
}

int db_push_find_latest(struct db *db, const char *pi, const char *push_id, int with_content,
    struct db_push *out)
{
	DB_PG_DISPATCH(db, db_pg_push_find_latest(db, pi, push_id, with_content, out));
	int rc = db_push_find(db, pi, push_id, with_content, out);
	if (rc != -ENOENT)
		return rc;
	sqlite3_stmt *st = NULL;
	rc = db_prep(db, DB_ST_PUSH_FIND_REPLACED, &st);
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
	DB_PG_DISPATCH(db, db_pg_push_get(db, id, with_content, out));
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
	DB_PG_DISPATCH(db, db_pg_push_set_replaced(db, id, by));
	return db_push_mark(db, id, by);
}

int db_push_purge_finished(struct db *db, int64_t before, size_t max)
{
	sqlite3_stmt *st = NULL;

	if (!db || !max || max > INT32_MAX)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	if (db->version < 13)
		return db_set_err(db, -ENOTSUP, "retention needs schema 13 (this file has %d)", db->version);
	DB_PG_DISPATCH(db, db_pg_push_purge_finished(db, before, max));
	int rc = db_prep(db, DB_ST_PUSH_PURGE, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	rc = db_step_done(db, st);
	return rc < 0 ? rc : sqlite3_changes(db->sq);
}

/*
 * The summary of a push's deliveries: pending while any is not final; else
 * the final state they share; else (mixed) delivered when any was delivered,
 * otherwise the state of the latest transition. state_time changes only with
 * the state and is then the time of the latest delivery transition.
 */
int db_push_update_state(struct db *db, int64_t id)
{
	return db_push_update_state_ex(db, id, NULL, NULL);
}

int db_push_update_state_ex(struct db *db, int64_t id, int *left_pending, int64_t *content_len)
{
	sqlite3_stmt *st = NULL;
	int cur = 0, open = 0, rc;
	int64_t len = 0;

	if (left_pending)
		*left_pending = 0;
	if (!db || id <= 0)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_push_update_state_ex(db, id, left_pending, content_len));
	/* The push's status and, in the same statement, whether it is pending
	 * with a delivery still open: then it stays pending. That is the common
	 * case of a push to many addresses, whose every outcome would otherwise
	 * read all its deliveries (quadratic in them). */
	rc = db_prep(db, DB_ST_PUSH_OPEN, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		cur = sqlite3_column_int(st, 0);
		len = sqlite3_column_int64(st, 1);
		open = sqlite3_column_int(st, 2);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = db_set_err(db, -ENOENT, "no push %lld", (long long)id);
	} else {
		rc = db_sqlite_err(db, rc);
	}
	db_done(st);
	if (content_len)
		*content_len = len;
	if (rc < 0 || open)
		return rc;

	/* Summed up in one row rather than read and sorted delivery by delivery. */
	int64_t count = 0, latest_time = 0;
	int lo = 0, hi = 0, any_open = 0, delivered = 0;
	rc = db_prep(db, DB_ST_PUSH_AGG, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		count = sqlite3_column_int64(st, 0);
		lo = sqlite3_column_int(st, 1);
		hi = sqlite3_column_int(st, 2);
		any_open = sqlite3_column_int(st, 3);
		delivered = sqlite3_column_int(st, 4);
		latest_time = sqlite3_column_int64(st, 5);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : db_sqlite_err(db, rc);
	}
	db_done(st);
	if (rc < 0 || count == 0)
		return rc;    /* no delivery: the state stays as inserted */

	int state = any_open ? DB_STATE_PENDING : lo == hi ? lo : delivered ? DB_STATE_DELIVERED : 0;
	if (!state) {
		/* mixed final states, none delivered: the latest transition's */
		rc = db_prep(db, DB_ST_PUSH_SUMMARY, &st);
		if (rc < 0)
			return rc;
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			state = sqlite3_column_int(st, 0);
		rc = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? db_set_err(db, -EIO, "push %lld lost its "
		    "deliveries", (long long)id) : db_sqlite_err(db, rc);
		db_done(st);
		if (rc < 0)
			return rc;
	}
	if (state == cur)
		return 0;
	if (left_pending)
		*left_pending = cur == DB_STATE_PENDING;
	rc = db_prep(db, DB_ST_PUSH_SET_STATE, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, state);
	if (sqlite3_bind_parameter_count(st) >= 3)     /* schema 2 */
		sqlite3_bind_int64(st, 3, latest_time);
	return db_step_done(db, st);
}

/* ---------------------------------------------------------------- counts */

int db_push_pending_by_pi(struct db *db, int (*fn)(void *arg, const char *pi, int64_t pushes, int64_t bytes),
    void *arg)
{
	sqlite3_stmt *st = NULL;

	if (!db || !fn)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_push_pending_by_pi(db, fn, arg));
	int rc = db_prep(db, DB_ST_PUSH_PENDING_BY_PI, &st);
	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *pi = (const char *)sqlite3_column_text(st, 0);
		if (pi && (rc = fn(arg, pi, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2))) < 0)
			break;
	}
	rc = rc == SQLITE_DONE ? 0 : rc < 0 ? rc : db_sqlite_err(db, rc);
	db_done(st);
	return rc;
}

int db_count_pushes(struct db *db, int64_t *n)
{
	sqlite3_stmt *st = NULL;

	if (!db || !n)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_count_pushes(db, n));
	int rc = db_prep(db, DB_ST_PUSH_COUNT, &st);
	return rc < 0 ? rc : db_step_int64(db, st, n);
}

int db_count_deliveries_in_state(struct db *db, int state, int64_t *n)
{
	sqlite3_stmt *st = NULL;

	if (!db || !n || !db_state_valid(state))
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_count_deliveries_in_state(db, state, n));
	int open = state == DB_STATE_PENDING || state == DB_STATE_INFLIGHT;
	int rc = db_prep(db, open ? DB_ST_DELIVERY_COUNT_OPEN : DB_ST_DELIVERY_COUNT_STATE, &st);
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
	DB_PG_DISPATCH(db, db_pg_push_count_for_pi(db, pi, n));
	int rc = db_prep(db, DB_ST_PUSH_COUNT_PI, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, pi, -1, SQLITE_STATIC);
	return db_step_int64(db, st, n);
}
