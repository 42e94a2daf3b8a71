/*
 * db_subscription.c - ua-profile subscriptions of db.h (schema 6; the
 * OMA-CD-PUSH CR on ARI §9.2.2.1): what a terminal enrolled by SUBSCRIBE,
 * one row per dialog. SQLite here, PostgreSQL in db_pg_subscription.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

void db_subscription_clear(struct db_subscription *s)
{
	if (!s)
		return;
	free(s->aor);
	free(s->call_id);
	free(s->remote_tag);
	free(s->contact);
	free(s->apps);
	free(s->model);
	free(s->accept);
	free(s->node);
	memset(s, 0, sizeof *s);
}

void db_subscription_list_free(struct db_subscription *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		db_subscription_clear(&v[i]);
	free(v);
}

static int db_subscription_row(sqlite3_stmt *st, void *row)
{
	struct db_subscription *s = row;
	int oom = 0;

	memset(s, 0, sizeof *s);
	s->id = sqlite3_column_int64(st, 0);
	s->aor = db_col_str(st, 1, &oom);
	s->call_id = db_col_str(st, 2, &oom);
	s->remote_tag = db_col_str(st, 3, &oom);
	s->contact = db_col_str(st, 4, &oom);
	s->apps = db_col_str(st, 5, &oom);
	s->model = db_col_str(st, 6, &oom);
	s->accept = db_col_str(st, 7, &oom);
	s->expires = sqlite3_column_int64(st, 8);
	s->updated = sqlite3_column_int64(st, 9);
	if (sqlite3_column_count(st) > 10)
		s->node = db_col_str(st, 10, &oom);   /* schema 14 */
	if (oom) {
		db_subscription_clear(s);
		return -ENOMEM;
	}
	return 0;
}

static void db_subscription_clear_v(void *p) { db_subscription_clear(p); }

int db_subscription_upsert(struct db *db, struct db_subscription *s)
{
	sqlite3_stmt *st = NULL;

	if (!db || !s || !s->aor || !*s->aor || !s->call_id || !s->remote_tag)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_subscription_upsert(db, s));
	int v14 = db->version >= 14;
	int rc = db_prep(db, v14 ? DB_ST_SUB_UPSERT14 : DB_ST_SUB_UPSERT, &st);
	if (rc < 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_text(st, 1, s->aor, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 2, s->call_id, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 3, s->remote_tag, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 4, s->contact, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 5, s->apps ? s->apps : "", -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 6, s->model, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 7, s->accept, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int64(st, 8, s->expires));
	DB_BIND(rc, sqlite3_bind_int64(st, 9, s->updated));
	if (v14)
		DB_BIND(rc, db->node[0] ? sqlite3_bind_text(st, 10, db->node, -1, SQLITE_STATIC)
		    : sqlite3_bind_null(st, 10));
	if (rc != SQLITE_OK) {
		db_done(st);
		return db_sqlite_err(db, rc);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s->id = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	rc = rc == SQLITE_DONE ? 0 : db_sqlite_err(db, rc);
	db_done(st);
	return rc;
}

int db_subscription_delete(struct db *db, const char *call_id, const char *remote_tag)
{
	sqlite3_stmt *st = NULL;

	if (!db || !call_id || !remote_tag)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_subscription_delete(db, call_id, remote_tag));
	int rc = db_prep(db, DB_ST_SUB_DELETE, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, call_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, remote_tag, -1, SQLITE_STATIC);
	rc = db_step_done(db, st);
	return rc < 0 ? rc : sqlite3_changes(db->sq);
}

int db_subscription_list(struct db *db, const char *aor, int64_t now,
    struct db_subscription **out, size_t *n)
{
	sqlite3_stmt *st = NULL;

	if (!db || !out || !n)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	*out = NULL;
	*n = 0;
	DB_PG_DISPATCH(db, db_pg_subscription_list(db, aor, now, out, n));
	int v14 = db->version >= 14;
	int rc = db_prep(db, aor ? (v14 ? DB_ST_SUB_LIST14 : DB_ST_SUB_LIST)
	    : (v14 ? DB_ST_SUB_LIST_ALL14 : DB_ST_SUB_LIST_ALL), &st);
	if (rc < 0)
		return rc;
	if (aor)
		sqlite3_bind_text(st, 1, aor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	return db_fetch_all(db, st, sizeof **out, db_subscription_row, db_subscription_clear_v,
	    (void **)out, n);
}

int db_subscription_purge(struct db *db, int64_t now)
{
	sqlite3_stmt *st = NULL;

	if (!db)
		return -EINVAL;
	DB_PG_DISPATCH(db, db_pg_subscription_purge(db, now));
	int rc = db_prep(db, DB_ST_SUB_PURGE, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	rc = db_step_done(db, st);
	return rc < 0 ? rc : sqlite3_changes(db->sq);
}

int db_subscription_release_node(struct db *db)
{
	sqlite3_stmt *st = NULL;

	if (!db)
		return -EINVAL;
	if (db->version < 14 || !db->node[0])
		return 0;
	DB_PG_DISPATCH(db, db_pg_subscription_release_node(db));
	int rc = db_prep(db, DB_ST_SUB_RELEASE_NODE, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, db->node, -1, SQLITE_STATIC);
	rc = db_step_done(db, st);
	return rc < 0 ? rc : sqlite3_changes(db->sq);
}

int db_uaprof_put(struct db *db, const char *url, int64_t fetched, int status,
    const void *doc, size_t len)
{
	sqlite3_stmt *st = NULL;

	if (!db || !url || !*url)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_uaprof_put(db, url, fetched, status, doc, len));
	int rc = db_prep(db, DB_ST_UAPROF_PUT, &st);
	if (rc < 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int64(st, 2, fetched));
	DB_BIND(rc, sqlite3_bind_int(st, 3, status));
	DB_BIND(rc, doc ? sqlite3_bind_blob64(st, 4, doc, len, SQLITE_STATIC) : sqlite3_bind_null(st, 4));
	if (rc != SQLITE_OK) {
		db_done(st);
		return db_sqlite_err(db, rc);
	}
	return db_step_done(db, st);
}

int db_uaprof_get(struct db *db, const char *url, int64_t *fetched, int *status,
    char **doc, size_t *len)
{
	sqlite3_stmt *st = NULL;

	if (!db || !url || !fetched || !status || !doc || !len)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	*doc = NULL;
	*len = 0;
	DB_PG_DISPATCH(db, db_pg_uaprof_get(db, url, fetched, status, doc, len));
	int rc = db_prep(db, DB_ST_UAPROF_GET, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int oom = 0;
		*fetched = sqlite3_column_int64(st, 0);
		*status = sqlite3_column_int(st, 1);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			*doc = db_col_blob(st, 2, len, &oom);
		db_done(st);
		return oom ? -ENOMEM : 0;
	}
	rc = rc == SQLITE_DONE ? db_set_err(db, -ENOENT, "no UAProf document of %s", url) : db_sqlite_err(db, rc);
	db_done(st);
	return rc;
}

int db_uaprof_purge(struct db *db, int64_t before)
{
	sqlite3_stmt *st = NULL;

	if (!db)
		return -EINVAL;
	DB_PG_DISPATCH(db, db_pg_uaprof_purge(db, before));
	int rc = db_prep(db, DB_ST_UAPROF_PURGE, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, before);
	rc = db_step_done(db, st);
	return rc < 0 ? rc : sqlite3_changes(db->sq);
}
