/*
 * db_delivery.c - delivery rows of db.h (one per address of a push) and the
 * transitions that record every change of their state.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

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
	if (sqlite3_column_count(st) > 12)   /* schema 3 */
		d->bearer = sqlite3_column_int(st, 12);
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
int db_delivery_read_row(sqlite3_stmt *st, void *row)
{
	return db_delivery_row(st, row);
}

void db_delivery_clear_v_ext(void *row)
{
	db_delivery_clear(row);
}

static void db_delivery_clear_v(void *p) { db_delivery_clear(p); }
static void db_transition_clear_v(void *p) { db_transition_clear(p); }

/* ---------------------------------------------------------------- transitions */

int db_transition_add(struct db *db, int64_t delivery, int64_t t, int state, int code,
    const char *note)
{
	sqlite3_stmt *st = NULL;
	int rc = db_prep(db, db->version >= 12 ? DB_ST_TRANSITION_INSERT_KEYED : DB_ST_TRANSITION_INSERT, &st);
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

/* ---------------------------------------------------------------- deliveries */

int db_delivery_list(struct db *db, int64_t push, struct db_delivery **out, size_t *n)
{
	sqlite3_stmt *st = NULL;

	if (!db || push <= 0 || !out || !n)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_delivery_list(db, push, out, n));
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
	DB_PG_DISPATCH(db, db_pg_delivery_find_by_address(db, push, address, out));
	int rc = db_prep(db, DB_ST_DELIVERY_FIND_ADDR, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, push);
	sqlite3_bind_text(st, 2, address, -1, SQLITE_STATIC);
	return db_fetch_one(db, st, db_delivery_row, out);
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
	/* High priority first (schema 2 keeps the push's priority, 1..3, on
	 * each delivery): one indexed range per priority. */
	DB_PG_DISPATCH(db, db_pg_delivery_due(db, now, max, out, n));
	int last = db->version >= 2 ? 3 : 1;
	for (int prio = 1; prio <= last && *n < max; prio++) {
		struct db_delivery *v = NULL;
		size_t k = 0;
		int rc = db_prep(db, DB_ST_DELIVERY_DUE, &st);
		if (rc < 0)
			goto fail;
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, db_limit(max - *n));
		sqlite3_bind_int(st, 3, DB_STATE_PENDING);
		if (db->version >= 2)
			sqlite3_bind_int(st, 4, prio);
		rc = db_fetch_all(db, st, sizeof *v, db_delivery_row, db_delivery_clear_v, (void **)&v, &k);
		if (rc < 0)
			goto fail;
		if (k) {
			struct db_delivery *nv = realloc(*out, (*n + k) * sizeof *nv);
			if (!nv) {
				db_delivery_list_free(v, k);
				rc = -ENOMEM;
				goto fail;
			}
			memcpy(nv + *n, v, k * sizeof *v);
			*out = nv;
			*n += k;
		}
		free(v);
		continue;
fail:
		db_delivery_list_free(*out, *n);
		*out = NULL;
		*n = 0;
		return rc;
	}
	return 0;
}

int db_delivery_expired(struct db *db, int64_t now, size_t max, struct db_delivery **out,
    size_t *n)
{
	sqlite3_stmt *st = NULL;

	if (!db || !out || !n)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	DB_PG_DISPATCH(db, db_pg_delivery_expired(db, now, max, out, n));
	int rc = db_prep(db, DB_ST_DELIVERY_EXPIRED, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, db_limit(max));
	return db_fetch_all(db, st, sizeof **out, db_delivery_row, db_delivery_clear_v,
	    (void **)out, n);
}

static int db_delivery_set_state_rows(struct db *db, int64_t delivery, int state, int code,
    const char *desc, int64_t t, int64_t next_attempt, int count_attempt)
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
	DB_BIND(rc, sqlite3_bind_int(st, 7, count_attempt));
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
	DB_PG_DISPATCH(db, db_pg_delivery_set_state(db, delivery, state, code, desc, t, next_attempt,
	    state == DB_STATE_INFLIGHT));
	int rc = db_isp_begin(db);
	if (rc < 0)
		return rc;
	return db_isp_end(db, db_delivery_set_state_rows(db, delivery, state, code, desc, t,
	    next_attempt, state == DB_STATE_INFLIGHT));
}

int db_delivery_attempted(struct db *db, int64_t delivery, int state, int code,
    const char *desc, int64_t t, int64_t next_attempt)
{
	if (!db || delivery <= 0 || state < DB_STATE_PENDING || state > DB_STATE_INFLIGHT)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_delivery_set_state(db, delivery, state, code, desc, t, next_attempt, 1));
	int rc = db_isp_begin(db);
	if (rc < 0)
		return rc;
	return db_isp_end(db, db_delivery_set_state_rows(db, delivery, state, code, desc, t,
	    next_attempt, 1));
}

int db_delivery_get(struct db *db, int64_t id, struct db_delivery *out)
{
	sqlite3_stmt *st = NULL;

	if (!db || id <= 0 || !out)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_delivery_get(db, id, out));
	int rc = db_prep(db, DB_ST_DELIVERY_GET, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	return db_fetch_one(db, st, db_delivery_row, out);
}

int db_delivery_schedule(struct db *db, int64_t id, int64_t next_attempt)
{
	sqlite3_stmt *st = NULL;

	if (!db || id <= 0)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_delivery_schedule(db, id, next_attempt));
	int rc = db_prep(db, DB_ST_DELIVERY_SCHEDULE, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, next_attempt);
	sqlite3_bind_int(st, 3, DB_STATE_PENDING);
	rc = db_step_done(db, st);
	if (rc == 0 && sqlite3_changes(db->sq) == 0)
		return db_set_err(db, -ENOENT, "no pending delivery %lld", (long long)id);
	return rc;
}

int db_delivery_recover(struct db *db, int64_t now)
{
	sqlite3_stmt *st = NULL;

	if (!db)
		return -EINVAL;
	DB_PG_DISPATCH(db, db_pg_delivery_recover(db, now));
	int rc = db_prep(db, DB_ST_DELIVERY_RECOVER, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, DB_STATE_PENDING);
	rc = db_step_done(db, st);
	return rc < 0 ? rc : sqlite3_changes(db->sq);
}

int db_transition_list(struct db *db, int64_t delivery, struct db_transition **out, size_t *n)
{
	sqlite3_stmt *st = NULL;

	if (!db || delivery <= 0 || !out || !n)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_transition_list(db, delivery, out, n));
	int rc = db_prep(db, DB_ST_TRANSITION_LIST, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, delivery);
	return db_fetch_all(db, st, sizeof **out, db_transition_row, db_transition_clear_v,
	    (void **)out, n);
}

int db_delivery_set_bearer(struct db *db, int64_t delivery, int bearer)
{
	sqlite3_stmt *st = NULL;

	if (!db || delivery <= 0 || bearer < 0)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_delivery_set_bearer(db, delivery, bearer));
	int rc = db_prep(db, DB_ST_DELIVERY_SET_BEARER, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, delivery);
	sqlite3_bind_int(st, 2, bearer);
	rc = db_step_done(db, st);
	if (rc == 0 && sqlite3_changes(db->sq) == 0)
		return db_set_err(db, -ENOENT, "no delivery %lld", (long long)delivery);
	return rc;
}
