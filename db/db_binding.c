/*
 * db_binding.c - SIP registration bindings of db.h (OMA-TS-SIP_Push §7: what a
 * third-party REGISTER told the Push Sender Agent), and the deliveries that
 * wait on one.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

void db_binding_clear(struct db_binding *b)
{
	if (!b)
		return;
	free(b->aor);
	free(b->contact);
	free(b->instance);
	free(b->gruu);
	free(b->apps);
	free(b->call_id);
	free(b->temp_gruu);
	memset(b, 0, sizeof *b);
}

void db_binding_list_free(struct db_binding *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		db_binding_clear(&v[i]);
	free(v);
}

static int db_binding_row(sqlite3_stmt *st, void *row)
{
	struct db_binding *b = row;
	int oom = 0;

	memset(b, 0, sizeof *b);
	b->id = sqlite3_column_int64(st, 0);
	b->aor = db_col_str(st, 1, &oom);
	b->contact = db_col_str(st, 2, &oom);
	b->instance = db_col_str(st, 3, &oom);
	b->gruu = db_col_str(st, 4, &oom);
	b->apps = db_col_str(st, 5, &oom);
	b->expires = sqlite3_column_int64(st, 6);
	b->updated = sqlite3_column_int64(st, 7);
	b->call_id = db_col_str(st, 8, &oom);
	b->cseq = sqlite3_column_int64(st, 9);
	b->caps = sqlite3_column_int(st, 10);
	b->q = sqlite3_column_int(st, 11);
	b->temp_gruu = db_col_str(st, 12, &oom);
	b->origin = sqlite3_column_int(st, 13);
	if (oom) {
		db_binding_clear(b);
		return -ENOMEM;
	}
	return 0;
}

static void db_binding_clear_v(void *p) { db_binding_clear(p); }

int db_binding_upsert(struct db *db, struct db_binding *b)
{
	sqlite3_stmt *st = NULL;

	if (!db || !b || !b->aor || !*b->aor || !b->contact || !*b->contact)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_binding_upsert(db, b));
	int rc = db_prep(db, DB_ST_BINDING_UPSERT, &st);
	if (rc < 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_text(st, 1, b->aor, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 2, b->contact, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 3, b->instance, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 4, b->gruu, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 5, b->apps ? b->apps : "", -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int64(st, 6, b->expires));
	DB_BIND(rc, sqlite3_bind_int64(st, 7, b->updated));
	DB_BIND(rc, sqlite3_bind_text(st, 8, b->call_id, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int64(st, 9, b->cseq));
	DB_BIND(rc, sqlite3_bind_int(st, 10, b->caps));
	DB_BIND(rc, sqlite3_bind_int(st, 11, b->q));
	DB_BIND(rc, sqlite3_bind_text(st, 12, b->temp_gruu, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int(st, 13, b->origin ? b->origin : DB_ORIGIN_REGISTER));
	if (rc != SQLITE_OK) {
		db_done(st);
		return db_sqlite_err(db, rc);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		b->id = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	rc = rc == SQLITE_DONE ? 0 : db_sqlite_err(db, rc);
	db_done(st);
	return rc;
}

int db_binding_delete(struct db *db, const char *aor, const char *contact)
{
	sqlite3_stmt *st = NULL;

	if (!db || !aor)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_binding_delete(db, aor, contact));
	int rc = db_prep(db, contact ? DB_ST_BINDING_DELETE : DB_ST_BINDING_DELETE_AOR, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, aor, -1, SQLITE_STATIC);
	if (contact)
		sqlite3_bind_text(st, 2, contact, -1, SQLITE_STATIC);
	rc = db_step_done(db, st);
	return rc < 0 ? rc : sqlite3_changes(db->sq);
}

int db_binding_drop_origin(struct db *db, const char *aor, int origin)
{
	sqlite3_stmt *st = NULL;

	if (!db || !aor || origin <= 0)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_binding_drop_origin(db, aor, origin));
	int rc = db_prep(db, DB_ST_BINDING_DROP_ORIGIN, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, aor, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, origin);
	rc = db_step_done(db, st);
	return rc < 0 ? rc : sqlite3_changes(db->sq);
}

int db_binding_delete_unowned(struct db *db, const char *aor)
{
	sqlite3_stmt *st = NULL;

	if (!db || !aor)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_binding_delete_unowned(db, aor));
	int rc = db_prep(db, DB_ST_BINDING_DELETE_NO_ORIGIN, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, aor, -1, SQLITE_STATIC);
	rc = db_step_done(db, st);
	return rc < 0 ? rc : sqlite3_changes(db->sq);
}

int db_binding_list(struct db *db, const char *aor, int64_t now, struct db_binding **out, size_t *n)
{
	sqlite3_stmt *st = NULL;

	if (!db || !out || !n)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	*out = NULL;
	*n = 0;
	DB_PG_DISPATCH(db, db_pg_binding_list(db, aor, now, out, n));
	int rc = db_prep(db, aor ? DB_ST_BINDING_LIST : DB_ST_BINDING_LIST_ALL, &st);
	if (rc < 0)
		return rc;
	if (aor)
		sqlite3_bind_text(st, 1, aor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	return db_fetch_all(db, st, sizeof **out, db_binding_row, db_binding_clear_v, (void **)out, n);
}

int db_binding_list_temp(struct db *db, const char *part, int64_t now, struct db_binding **out,
    size_t *n)
{
	sqlite3_stmt *st = NULL;

	if (!db || !part || !*part || !out || !n)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	*out = NULL;
	*n = 0;
	DB_PG_DISPATCH(db, db_pg_binding_list_temp(db, part, now, out, n));
	int rc = db_prep(db, DB_ST_BINDING_LIST_TEMP, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, part, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	return db_fetch_all(db, st, sizeof **out, db_binding_row, db_binding_clear_v, (void **)out, n);
}

int db_binding_purge(struct db *db, int64_t now)
{
	sqlite3_stmt *st = NULL;

	if (!db)
		return -EINVAL;
	DB_PG_DISPATCH(db, db_pg_binding_purge(db, now));
	int rc = db_prep(db, DB_ST_BINDING_PURGE, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	rc = db_step_done(db, st);
	return rc < 0 ? rc : sqlite3_changes(db->sq);
}

int db_delivery_set_target(struct db *db, int64_t delivery, const char *target)
{
	sqlite3_stmt *st = NULL;

	if (!db || delivery <= 0)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_delivery_set_target(db, delivery, target));
	int rc = db_prep(db, DB_ST_DELIVERY_SET_TARGET, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, delivery);
	sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
	rc = db_step_done(db, st);
	if (rc == 0 && sqlite3_changes(db->sq) == 0)
		return db_set_err(db, -ENOENT, "no delivery %lld", (long long)delivery);
	return rc;
}

int db_delivery_waiting(struct db *db, const char *target, size_t max, struct db_delivery **out,
    size_t *n)
{
	sqlite3_stmt *st = NULL;

	if (!db || !target || !out || !n)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	DB_PG_DISPATCH(db, db_pg_delivery_waiting(db, target, max, out, n));
	int rc = db_prep(db, DB_ST_DELIVERY_WAITING, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, db_limit(max));
	return db_fetch_all(db, st, sizeof **out, db_delivery_read_row, db_delivery_clear_v_ext,
	    (void **)out, n);
}
