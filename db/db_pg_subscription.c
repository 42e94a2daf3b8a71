/*
 * db_pg_subscription.c - ua-profile subscriptions (db_subscription.c) on
 * PostgreSQL. Argument checks are done by db_subscription.c before it
 * dispatches here.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_pg_int.h"

static int db_pg_subscription_row(const PGresult *r, int i, void *row)
{
	struct db_subscription *s = row;
	int oom = 0;

	memset(s, 0, sizeof *s);
	s->id = db_pg_i64(r, i, 0);
	s->aor = db_pg_str(r, i, 1, &oom);
	s->call_id = db_pg_str(r, i, 2, &oom);
	s->remote_tag = db_pg_str(r, i, 3, &oom);
	s->contact = db_pg_str(r, i, 4, &oom);
	s->apps = db_pg_str(r, i, 5, &oom);
	s->model = db_pg_str(r, i, 6, &oom);
	s->accept = db_pg_str(r, i, 7, &oom);
	s->expires = db_pg_i64(r, i, 8);
	s->updated = db_pg_i64(r, i, 9);
	if (PQnfields(r) > 10)
		s->node = db_pg_str(r, i, 10, &oom);   /* schema 14 */
	if (oom) {
		db_subscription_clear(s);
		return -ENOMEM;
	}
	return 0;
}

static void db_pg_subscription_clear_v(void *row)
{
	db_subscription_clear(row);
}

int db_pg_subscription_upsert(struct db *db, struct db_subscription *s)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	db_pg_p_str(&a, s->aor);
	db_pg_p_str(&a, s->call_id);
	db_pg_p_str(&a, s->remote_tag);
	db_pg_p_str(&a, s->contact);
	db_pg_p_str(&a, s->apps ? s->apps : "");
	db_pg_p_str(&a, s->model);
	db_pg_p_str(&a, s->accept);
	db_pg_p_i64(&a, s->expires);
	db_pg_p_i64(&a, s->updated);
	int v14 = db->version >= 14;
	if (v14)
		db_pg_p_str(&a, db->node[0] ? db->node : NULL);
	int rc = db_pg_run(db, v14 ? PG_SUB_UPSERT14 : PG_SUB_UPSERT, &a, &r);
	if (rc < 0)
		return rc;
	if (PQntuples(r) > 0)
		s->id = db_pg_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

int db_pg_subscription_delete(struct db *db, const char *call_id, const char *remote_tag)
{
	struct db_pg_params a = { 0 };

	db_pg_p_str(&a, call_id);
	db_pg_p_str(&a, remote_tag);
	return db_pg_run(db, PG_SUB_DELETE, &a, NULL);
}

int db_pg_subscription_list(struct db *db, const char *aor, int64_t now,
    struct db_subscription **out, size_t *n)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	if (aor)
		db_pg_p_str(&a, aor);
	db_pg_p_i64(&a, now);
	int v14 = db->version >= 14;
	int rc = db_pg_run(db, aor ? (v14 ? PG_SUB_LIST14 : PG_SUB_LIST)
	    : (v14 ? PG_SUB_LIST_ALL14 : PG_SUB_LIST_ALL), &a, &r);
	if (rc < 0)
		return rc;
	return db_pg_rows(r, sizeof **out, db_pg_subscription_row, db_pg_subscription_clear_v,
	    (void **)out, n);
}

int db_pg_subscription_purge(struct db *db, int64_t now)
{
	struct db_pg_params a = { 0 };

	db_pg_p_i64(&a, now);
	return db_pg_run(db, PG_SUB_PURGE, &a, NULL);
}

int db_pg_subscription_release_node(struct db *db)
{
	struct db_pg_params a = { 0 };

	db_pg_p_str(&a, db->node);
	return db_pg_run(db, PG_SUB_RELEASE_NODE, &a, NULL);
}

int db_pg_uaprof_put(struct db *db, const char *url, int64_t fetched, int status,
    const void *doc, size_t len)
{
	struct db_pg_params a = { 0 };

	db_pg_p_str(&a, url);
	db_pg_p_i64(&a, fetched);
	db_pg_p_i64(&a, status);
	db_pg_p_blob(&a, doc, len);
	int rc = db_pg_run(db, PG_UAPROF_PUT, &a, NULL);
	return rc < 0 ? rc : 0;
}

int db_pg_uaprof_get(struct db *db, const char *url, int64_t *fetched, int *status,
    char **doc, size_t *len)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;
	int oom = 0;

	db_pg_p_str(&a, url);
	int rc = db_pg_run(db, PG_UAPROF_GET, &a, &r);
	if (rc < 0)
		return rc;
	if (PQntuples(r) < 1) {
		PQclear(r);
		return db_set_err(db, -ENOENT, "no UAProf document of %s", url);
	}
	*fetched = db_pg_i64(r, 0, 0);
	*status = (int)db_pg_i64(r, 0, 1);
	if (!PQgetisnull(r, 0, 2))
		*doc = db_pg_blob(r, 0, 2, len, &oom);
	PQclear(r);
	return oom ? -ENOMEM : 0;
}

int db_pg_uaprof_purge(struct db *db, int64_t before)
{
	struct db_pg_params a = { 0 };

	db_pg_p_i64(&a, before);
	return db_pg_run(db, PG_UAPROF_PURGE, &a, NULL);
}
