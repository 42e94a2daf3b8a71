/*
 * db_pg_other.c - the rest of db.h on PostgreSQL: SIP registration bindings
 * (db_binding.c), result notifications (db_notification.c) and what the
 * operator reads (db_admin.c). Argument checks are done by the functions of
 * db/ before they dispatch here.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_pg_int.h"

/* ---------------------------------------------------------------- bindings */

static int db_pg_binding_row(const PGresult *r, int i, void *row)
{
	struct db_binding *b = row;
	int oom = 0;

	memset(b, 0, sizeof *b);
	b->id = db_pg_i64(r, i, 0);
	b->aor = db_pg_str(r, i, 1, &oom);
	b->contact = db_pg_str(r, i, 2, &oom);
	b->instance = db_pg_str(r, i, 3, &oom);
	b->gruu = db_pg_str(r, i, 4, &oom);
	b->apps = db_pg_str(r, i, 5, &oom);
	b->expires = db_pg_i64(r, i, 6);
	b->updated = db_pg_i64(r, i, 7);
	b->call_id = db_pg_str(r, i, 8, &oom);
	b->cseq = db_pg_i64(r, i, 9);
	b->caps = (int)db_pg_i64(r, i, 10);
	b->q = (int)db_pg_i64(r, i, 11);
	b->temp_gruu = db_pg_str(r, i, 12, &oom);
	b->origin = (int)db_pg_i64(r, i, 13);
	if (oom) {
		db_binding_clear(b);
		return -ENOMEM;
	}
	return 0;
}

static void db_pg_binding_clear_v(void *row)
{
	db_binding_clear(row);
}

int db_pg_binding_upsert(struct db *db, struct db_binding *b)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	db_pg_p_str(&a, b->aor);
	db_pg_p_str(&a, b->contact);
	db_pg_p_str(&a, b->instance);
	db_pg_p_str(&a, b->gruu);
	db_pg_p_str(&a, b->apps ? b->apps : "");
	db_pg_p_i64(&a, b->expires);
	db_pg_p_i64(&a, b->updated);
	db_pg_p_str(&a, b->call_id);
	db_pg_p_i64(&a, b->cseq);
	db_pg_p_i64(&a, b->caps);
	db_pg_p_i64(&a, b->q);
	db_pg_p_str(&a, b->temp_gruu);
	db_pg_p_i64(&a, b->origin ? b->origin : DB_ORIGIN_REGISTER);
	int rc = db_pg_run(db, PG_BINDING_UPSERT, &a, &r);
	if (rc < 0)
		return rc;
	if (PQntuples(r) > 0)
		b->id = db_pg_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

int db_pg_binding_delete(struct db *db, const char *aor, const char *contact)
{
	struct db_pg_params a = { 0 };

	db_pg_p_str(&a, aor);
	if (contact)
		db_pg_p_str(&a, contact);
	return db_pg_run(db, contact ? PG_BINDING_DELETE : PG_BINDING_DELETE_AOR, &a, NULL);
}

int db_pg_binding_drop_origin(struct db *db, const char *aor, int origin)
{
	struct db_pg_params a = { 0 };

	db_pg_p_str(&a, aor);
	db_pg_p_i64(&a, origin);
	return db_pg_run(db, PG_BINDING_DROP_ORIGIN, &a, NULL);
}

int db_pg_binding_delete_unowned(struct db *db, const char *aor)
{
	struct db_pg_params a = { 0 };

	db_pg_p_str(&a, aor);
	return db_pg_run(db, PG_BINDING_DELETE_NO_ORIGIN, &a, NULL);
}

int db_pg_binding_list(struct db *db, const char *aor, int64_t now, struct db_binding **out,
    size_t *n)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	if (aor)
		db_pg_p_str(&a, aor);
	db_pg_p_i64(&a, now);
	int rc = db_pg_run(db, aor ? PG_BINDING_LIST : PG_BINDING_LIST_ALL, &a, &r);
	if (rc < 0)
		return rc;
	return db_pg_rows(r, sizeof **out, db_pg_binding_row, db_pg_binding_clear_v, (void **)out, n);
}

int db_pg_binding_list_temp(struct db *db, const char *part, int64_t now, struct db_binding **out,
    size_t *n)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	db_pg_p_str(&a, part);
	db_pg_p_i64(&a, now);
	int rc = db_pg_run(db, PG_BINDING_LIST_TEMP, &a, &r);
	if (rc < 0)
		return rc;
	return db_pg_rows(r, sizeof **out, db_pg_binding_row, db_pg_binding_clear_v, (void **)out, n);
}

int db_pg_binding_purge(struct db *db, int64_t now)
{
	struct db_pg_params a = { 0 };
	db_pg_p_i64(&a, now);
	return db_pg_run(db, PG_BINDING_PURGE, &a, NULL);
}

/* ---------------------------------------------------------------- notifications */

int db_pg_notification_row(const PGresult *r, int i, void *row)
{
	struct db_notification *nt = row;
	int oom = 0;

	memset(nt, 0, sizeof *nt);
	nt->id = db_pg_i64(r, i, 0);
	nt->push = db_pg_i64(r, i, 1);
	nt->delivery = db_pg_i64(r, i, 2);
	nt->url = db_pg_str(r, i, 3, &oom);
	nt->body = db_pg_blob(r, i, 4, &nt->body_len, &oom);
	nt->attempts = (int)db_pg_i64(r, i, 5);
	nt->next_attempt = db_pg_i64(r, i, 6);
	nt->state = (int)db_pg_i64(r, i, 7);
	nt->created = db_pg_i64(r, i, 8);
	if (oom) {
		db_notification_clear(nt);
		return -ENOMEM;
	}
	return 0;
}

void db_pg_notification_clear_v(void *row)
{
	db_notification_clear(row);
}

static int db_pg_notification_insert_row(struct db *db, struct db_notification *nt)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	db_pg_p_i64(&a, nt->push);
	if (nt->delivery)
		db_pg_p_i64(&a, nt->delivery);
	else
		db_pg_p_null(&a);
	db_pg_p_str(&a, nt->url);
	db_pg_p_blob(&a, nt->body, nt->body_len);
	db_pg_p_i64(&a, nt->attempts);
	db_pg_p_i64(&a, nt->next_attempt);
	db_pg_p_i64(&a, nt->state);
	db_pg_p_i64(&a, nt->created);
	int rc = db_pg_run(db, PG_NOTIF_INSERT, &a, &r);
	if (rc < 0)
		return rc;
	if (PQntuples(r) > 0)
		nt->id = db_pg_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

/* A missing push or delivery fails inside PostgreSQL's transaction: db/'s
 * own savepoint keeps the caller's batch going. */
int db_pg_notification_insert(struct db *db, struct db_notification *nt)
{
	int rc = db_pg_isp_begin(db);
	if (rc < 0)
		return rc;
	return db_pg_isp_end(db, db_pg_notification_insert_row(db, nt));
}

int db_pg_notification_get(struct db *db, int64_t id, struct db_notification *out)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	db_pg_p_i64(&a, id);
	int rc = db_pg_run(db, PG_NOTIF_GET, &a, &r);
	return rc < 0 ? rc : db_pg_one(db, r, db_pg_notification_row, out);
}

int db_pg_notification_due(struct db *db, int64_t now, size_t max, struct db_notification **out,
    size_t *n)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	db_pg_p_i64(&a, now);
	db_pg_p_i64(&a, db_limit(max));
	db_pg_p_i64(&a, DB_STATE_PENDING);
	int rc = db_pg_run(db, PG_NOTIF_DUE, &a, &r);
	if (rc < 0)
		return rc;
	return db_pg_rows(r, sizeof **out, db_pg_notification_row, db_pg_notification_clear_v,
	    (void **)out, n);
}

int db_pg_notification_lease(struct db *db, int64_t id, int64_t until)
{
	struct db_pg_params a = { 0 };

	db_pg_p_i64(&a, id);
	db_pg_p_i64(&a, until);
	db_pg_p_i64(&a, DB_STATE_PENDING);
	int rc = db_pg_run(db, PG_NOTIF_LEASE, &a, NULL);
	if (rc == 0)
		return db_set_err(db, -ENOENT, "no pending notification %lld", (long long)id);
	return rc < 0 ? rc : 0;
}

int db_pg_notification_attempted(struct db *db, int64_t id, int state, int64_t next_attempt)
{
	struct db_pg_params a = { 0 };

	db_pg_p_i64(&a, id);
	db_pg_p_i64(&a, state);
	db_pg_p_i64(&a, next_attempt);
	int rc = db_pg_run(db, PG_NOTIF_ATTEMPTED, &a, NULL);
	if (rc == 0)
		return db_set_err(db, -ENOENT, "no notification %lld", (long long)id);
	return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- operator */

static int db_pg_brief_row(const PGresult *r, int i, void *row)
{
	struct db_push_brief *b = row;
	int oom = 0;

	memset(b, 0, sizeof *b);
	b->id = db_pg_i64(r, i, 0);
	b->pi = db_pg_str(r, i, 1, &oom);
	b->push_id = db_pg_str(r, i, 2, &oom);
	b->state = (int)db_pg_i64(r, i, 3);
	b->received_time = db_pg_i64(r, i, 4);
	b->state_time = db_pg_i64(r, i, 5);
	b->deliver_before = db_pg_i64(r, i, 6);
	b->replaced_by = db_pg_i64(r, i, 7);
	b->app_id = db_pg_str(r, i, 8, &oom);
	b->content_type = db_pg_str(r, i, 9, &oom);
	b->ndeliveries = (int)db_pg_i64(r, i, 10);
	if (oom) {
		db_push_brief_clear(b);
		return -ENOMEM;
	}
	return 0;
}

static void db_pg_brief_clear_v(void *row)
{
	db_push_brief_clear(row);
}

/* Appends " AND <col> <op> $k" and its parameter. */
static void db_pg_cond(char *sql, size_t size, size_t *len, struct db_pg_params *a,
    const char *cond)
{
	int w = snprintf(sql + *len, size - *len, " AND %s $%d", cond, a->n + 1);
	if (w > 0 && (size_t)w < size - *len)
		*len += (size_t)w;
}

int db_pg_push_search(struct db *db, const struct db_push_filter *f, struct db_push_brief **out,
    size_t *n)
{
	char sql[1024];
	size_t len;
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	len = (size_t)snprintf(sql, sizeof sql,
	    "SELECT id, pi, push_id, state, received_time, state_time, deliver_before,"
	    " coalesce(replaced_by, 0), app_id, content_type,"
	    " (SELECT count(*) FROM delivery WHERE delivery.push = push.id)"
	    " FROM push WHERE true");
	if (f->pi) {
		db_pg_cond(sql, sizeof sql, &len, &a, "pi =");
		db_pg_p_str(&a, f->pi);
	}
	if (f->push_id) {
		db_pg_cond(sql, sizeof sql, &len, &a, "push_id =");
		db_pg_p_str(&a, f->push_id);
	}
	if (f->state >= 0) {
		db_pg_cond(sql, sizeof sql, &len, &a, "state =");
		db_pg_p_i64(&a, f->state);
	}
	if (f->since > 0) {
		db_pg_cond(sql, sizeof sql, &len, &a, "received_time >=");
		db_pg_p_i64(&a, f->since);
	}
	if (f->until > 0) {
		db_pg_cond(sql, sizeof sql, &len, &a, "received_time <");
		db_pg_p_i64(&a, f->until);
	}
	if (f->before_id > 0) {
		db_pg_cond(sql, sizeof sql, &len, &a, "id <");
		db_pg_p_i64(&a, f->before_id);
	}
	int w = snprintf(sql + len, sizeof sql - len, " ORDER BY id DESC LIMIT $%d", a.n + 1);
	if (w < 0 || (size_t)w >= sizeof sql - len)
		return db_set_err(db, -EINVAL, "query too long");
	db_pg_p_i64(&a, (int64_t)f->limit);
	int rc = db_pg_run_text(db, sql, &a, &r);
	if (rc < 0)
		return rc;
	return db_pg_rows(r, sizeof **out, db_pg_brief_row, db_pg_brief_clear_v, (void **)out, n);
}

int db_pg_push_count_by_state(struct db *db, int64_t counts[DB_NSTATES])
{
	PGresult *r = NULL;
	int rc = db_pg_run(db, PG_PUSH_COUNT_BY_STATE, NULL, &r);
	if (rc < 0)
		return rc;
	for (int i = 0; i < PQntuples(r); i++) {
		int64_t s = db_pg_i64(r, i, 0);
		if (s >= 0 && s < DB_NSTATES)
			counts[s] = db_pg_i64(r, i, 1);
	}
	PQclear(r);
	return 0;
}
