/*
 * db_pg_push.c - push rows of db.h on PostgreSQL (as db_push.c on SQLite):
 * inserting a push with its deliveries, replacing one, looking pushes up,
 * their summary state, and the counts. Argument checks are done by the
 * functions of db_push.c before they dispatch here.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_pg_int.h"

static int db_pg_push_row(const PGresult *r, int i, void *row)
{
	struct db_push *p = row;
	int oom = 0;

	memset(p, 0, sizeof *p);
	p->id = db_pg_i64(r, i, 0);
	p->pi = db_pg_str(r, i, 1, &oom);
	p->push_id = db_pg_str(r, i, 2, &oom);
	p->pap_version = (int)db_pg_i64(r, i, 3);
	p->state = (int)db_pg_i64(r, i, 4);
	p->received_time = db_pg_i64(r, i, 5);
	p->deliver_before = db_pg_i64(r, i, 6);
	p->deliver_after = db_pg_i64(r, i, 7);
	p->replace_push_id = db_pg_str(r, i, 8, &oom);
	p->replace_method = (int)db_pg_i64(r, i, 9);
	p->replaced_by = db_pg_i64(r, i, 10);
	p->source_reference = db_pg_str(r, i, 11, &oom);
	p->notify_to = db_pg_str(r, i, 12, &oom);
	p->progress_notes = (int)db_pg_i64(r, i, 13);
	p->qos_present = (int)db_pg_i64(r, i, 14);
	p->priority = (int)db_pg_i64(r, i, 15);
	p->delivery_method = (int)db_pg_i64(r, i, 16);
	p->network = db_pg_str(r, i, 17, &oom);
	p->network_required = (int)db_pg_i64(r, i, 18);
	p->bearer = db_pg_str(r, i, 19, &oom);
	p->bearer_required = (int)db_pg_i64(r, i, 20);
	p->content_type = db_pg_str(r, i, 21, &oom);
	p->app_id = db_pg_str(r, i, 22, &oom);
	p->content_headers = db_pg_blob(r, i, 23, &p->content_headers_len, &oom);
	p->content_body = db_pg_blob(r, i, 24, &p->content_len, &oom);
	p->state_time = db_pg_i64(r, i, 25);
	if (oom) {
		db_push_clear(p);
		return -ENOMEM;
	}
	return 0;
}

/* The id a RETURNING id statement gave. */
static int db_pg_returned_id(struct db *db, enum db_pg_stmt id, const struct db_pg_params *p,
    int64_t *out)
{
	PGresult *r = NULL;
	int rc = db_pg_run(db, id, p, &r);
	if (rc < 0)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return db_set_err(db, -EIO, "no row id returned");
	}
	*out = db_pg_i64(r, 0, 0);
	PQclear(r);
	return 0;
}


static int db_pg_push_insert_rows(struct db *db, struct db_push *p, struct db_delivery *d,
    size_t n)
{
	struct db_pg_params a;
	int64_t state_time = p->state_time ? p->state_time : p->received_time;
	int rc;

	a.n = 0;
	db_pg_p_str(&a, p->pi);
	db_pg_p_str(&a, p->push_id);
	db_pg_p_i64(&a, p->pap_version);
	db_pg_p_i64(&a, p->state);
	db_pg_p_i64(&a, p->received_time);
	db_pg_p_i64(&a, p->deliver_before);
	db_pg_p_i64(&a, p->deliver_after);
	db_pg_p_str(&a, p->replace_push_id);
	db_pg_p_i64(&a, p->replace_method);
	db_pg_p_str(&a, p->source_reference);
	db_pg_p_str(&a, p->notify_to);
	db_pg_p_i64(&a, p->progress_notes);
	db_pg_p_i64(&a, p->qos_present);
	db_pg_p_i64(&a, p->priority);
	db_pg_p_i64(&a, p->delivery_method);
	db_pg_p_str(&a, p->network);
	db_pg_p_i64(&a, p->network_required);
	db_pg_p_str(&a, p->bearer);
	db_pg_p_i64(&a, p->bearer_required);
	db_pg_p_str(&a, p->content_type);
	db_pg_p_str(&a, p->app_id);
	db_pg_p_blob(&a, p->content_headers, p->content_headers_len);
	db_pg_p_blob(&a, p->content_body, p->content_len);
	db_pg_p_i64(&a, state_time);
	rc = db_pg_returned_id(db, PG_PUSH_INSERT, &a, &p->id);
	if (rc == -EEXIST)
		db_set_err(db, rc, "push-id %s of %s already exists", p->push_id, p->pi);
	if (rc < 0)
		return rc;
	p->state_time = state_time;

	int prio = p->priority >= 1 && p->priority <= 3 ? p->priority : 2;
	for (size_t i = 0; i < n; i++) {
		a.n = 0;
		db_pg_p_i64(&a, p->id);
		db_pg_p_str(&a, d[i].address);
		db_pg_p_str(&a, d[i].addr_canon);
		db_pg_p_i64(&a, d[i].addr_type);
		db_pg_p_str(&a, d[i].addr_value);
		db_pg_p_i64(&a, d[i].state);
		db_pg_p_i64(&a, d[i].code);
		db_pg_p_str(&a, d[i].desc);
		db_pg_p_i64(&a, d[i].event_time);
		db_pg_p_i64(&a, d[i].attempts);
		db_pg_p_i64(&a, d[i].next_attempt);
		db_pg_p_i64(&a, prio);
		if (db->version >= 6)
			db_pg_p_str(&a, db->node[0] ? db->node : NULL);
		rc = db_pg_returned_id(db, db->version >= 6 ? PG_DELIVERY_INSERT6 : PG_DELIVERY_INSERT, &a,
		    &d[i].id);
		if (rc < 0)
			return rc;
		d[i].push = p->id;
		rc = db_pg_transition_add(db, d[i].id, d[i].event_time, d[i].state, d[i].code,
		    d[i].desc);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void db_pg_push_forget_ids(struct db_push *p, struct db_delivery *d, size_t n)
{
	p->id = 0;
	for (size_t i = 0; i < n; i++)
		d[i].id = d[i].push = 0;
}

int db_pg_push_insert(struct db *db, struct db_push *p, struct db_delivery *d, size_t n)
{
	int rc = db_pg_isp_begin(db);
	if (rc < 0)
		return rc;
	rc = db_pg_isp_end(db, db_pg_push_insert_rows(db, p, d, n));
	if (rc < 0)
		db_pg_push_forget_ids(p, d, n);
	return rc;
}

static int db_pg_push_status(struct db *db, int64_t id, int *replaced, int *state, int64_t *len)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	db_pg_p_i64(&a, id);
	int rc = db_pg_run(db, PG_PUSH_EXISTS, &a, &r);
	if (rc < 0)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return db_set_err(db, -ENOENT, "no push %lld", (long long)id);
	}
	*replaced = (int)db_pg_i64(r, 0, 0);
	*state = (int)db_pg_i64(r, 0, 1);
	if (len)
		*len = db_pg_i64(r, 0, 2);
	PQclear(r);
	return 0;
}

static int db_pg_push_mark(struct db *db, int64_t id, int64_t by)
{
	struct db_pg_params a = { 0 };

	db_pg_p_i64(&a, id);
	db_pg_p_i64(&a, by);
	int rc = db_pg_run(db, PG_PUSH_SET_REPLACED, &a, NULL);
	if (rc == -ENOENT)
		return db_set_err(db, rc, "no push %lld", (long long)by);
	if (rc == 0)
		return db_set_err(db, -ENOENT, "no push %lld", (long long)id);
	return rc < 0 ? rc : 0;
}

int db_pg_push_replace(struct db *db, int64_t old, struct db_push *p, struct db_delivery *d,
    size_t n)
{
	int replaced, state;
	int rc = db_pg_isp_begin(db);
	if (rc < 0)
		return rc;
	rc = db_pg_push_status(db, old, &replaced, &state, NULL);
	if (rc == 0 && replaced)
		rc = db_set_err(db, -EEXIST, "push %lld is already replaced", (long long)old);
	/* as db_push_replace: the old push leaves the unique index first */
	if (rc == 0)
		rc = db_pg_push_mark(db, old, old);
	if (rc == 0)
		rc = db_pg_push_insert_rows(db, p, d, n);
	if (rc == 0)
		rc = db_pg_push_mark(db, old, p->id);
	rc = db_pg_isp_end(db, rc);
	if (rc < 0)
		db_pg_push_forget_ids(p, d, n);
	return rc;
}

static int db_pg_push_lookup(struct db *db, enum db_pg_stmt st, const char *pi,
    const char *push_id, int with_content, struct db_push *out)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	db_pg_p_str(&a, pi);
	db_pg_p_str(&a, push_id);
	db_pg_p_i64(&a, !!with_content);
	int rc = db_pg_run(db, st, &a, &r);
	return rc < 0 ? rc : db_pg_one(db, r, db_pg_push_row, out);
}

int db_pg_push_find(struct db *db, const char *pi, const char *push_id, int with_content,
    struct db_push *out)
{
	return db_pg_push_lookup(db, PG_PUSH_FIND, pi, push_id, with_content, out);
}

int db_pg_push_find_latest(struct db *db, const char *pi, const char *push_id, int with_content,
    struct db_push *out)
{
	if (!pi || !push_id || !out)
		return db_set_err(db, -EINVAL, "bad argument");
	int rc = db_pg_push_lookup(db, PG_PUSH_FIND, pi, push_id, with_content, out);
	if (rc != -ENOENT)
		return rc;
	return db_pg_push_lookup(db, PG_PUSH_FIND_REPLACED, pi, push_id, with_content, out);
}

int db_pg_push_get(struct db *db, int64_t id, int with_content, struct db_push *out)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	db_pg_p_i64(&a, id);
	db_pg_p_i64(&a, !!with_content);
	int rc = db_pg_run(db, PG_PUSH_GET, &a, &r);
	return rc < 0 ? rc : db_pg_one(db, r, db_pg_push_row, out);
}

/* A reference to a push that does not exist fails inside PostgreSQL's
 * transaction: db/'s own savepoint keeps the caller's batch going. */
int db_pg_push_set_replaced(struct db *db, int64_t id, int64_t by)
{
	int rc = db_pg_isp_begin(db);
	if (rc < 0)
		return rc;
	return db_pg_isp_end(db, db_pg_push_mark(db, id, by));
}

int db_pg_push_purge_finished(struct db *db, int64_t before, size_t max)
{
	struct db_pg_params a = { 0 };
	db_pg_p_i64(&a, before);
	db_pg_p_i64(&a, (int64_t)max);
	return db_pg_run(db, PG_PUSH_PURGE, &a, NULL);
}

int db_pg_push_update_state_ex(struct db *db, int64_t id, int *left_pending, int64_t *content_len)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;
	int replaced, cur, rc;
	int first = -1, latest = 0, same = 1, open = 0, delivered = 0;
	int64_t latest_time = 0, len = 0;

	rc = db_pg_push_status(db, id, &replaced, &cur, &len);
	if (content_len)
		*content_len = len;
	if (rc < 0)
		return rc;
	db_pg_p_i64(&a, id);
	/* As on SQLite: a pending push with a delivery still open stays pending. */
	if (cur == DB_STATE_PENDING) {
		rc = db_pg_run(db, PG_PUSH_OPEN, &a, &r);
		if (rc < 0)
			return rc;
		int still_open = PQntuples(r) > 0;
		PQclear(r);
		r = NULL;
		if (still_open)
			return 0;
	}
	rc = db_pg_run(db, PG_PUSH_SUMMARY, &a, &r);
	if (rc < 0)
		return rc;
	for (int i = 0; i < PQntuples(r); i++) {
		int s = (int)db_pg_i64(r, i, 0);
		if (first < 0) {
			first = latest = s;
			latest_time = db_pg_i64(r, i, 1);
		}
		if (s != first)
			same = 0;
		if (!db_state_is_final(s))
			open = 1;
		if (s == DB_STATE_DELIVERED)
			delivered = 1;
	}
	PQclear(r);
	if (first < 0)
		return 0;     /* no delivery: the state stays as inserted */

	int state = open ? DB_STATE_PENDING : same ? first : delivered ? DB_STATE_DELIVERED : latest;
	if (state == cur)
		return 0;
	if (left_pending)
		*left_pending = cur == DB_STATE_PENDING;
	a.n = 0;
	db_pg_p_i64(&a, id);
	db_pg_p_i64(&a, state);
	db_pg_p_i64(&a, latest_time);
	rc = db_pg_run(db, PG_PUSH_SET_STATE, &a, NULL);
	return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- counts */

int db_pg_push_pending_by_pi(struct db *db,
    int (*fn)(void *arg, const char *pi, int64_t pushes, int64_t bytes), void *arg)
{
	PGresult *r = NULL;
	int rc = db_pg_run(db, PG_PUSH_PENDING_BY_PI, NULL, &r);
	if (rc < 0)
		return rc;
	rc = 0;
	for (int i = 0; i < PQntuples(r) && rc >= 0; i++)
		if (!PQgetisnull(r, i, 0))
			rc = fn(arg, PQgetvalue(r, i, 0), db_pg_i64(r, i, 1), db_pg_i64(r, i, 2));
	PQclear(r);
	return rc < 0 ? rc : 0;
}

/* A one-row, one-integer query. */
static int db_pg_int64(struct db *db, enum db_pg_stmt st, const struct db_pg_params *a, int64_t *v)
{
	PGresult *r = NULL;
	int rc = db_pg_run(db, st, a, &r);
	if (rc < 0)
		return rc;
	if (PQntuples(r) == 0)
		rc = db_set_err(db, -ENOENT, "no row");
	else
		*v = db_pg_i64(r, 0, 0);
	PQclear(r);
	return rc < 0 ? rc : 0;
}

int db_pg_count_pushes(struct db *db, int64_t *n)
{
	return db_pg_int64(db, PG_PUSH_COUNT, NULL, n);
}

int db_pg_count_deliveries_in_state(struct db *db, int state, int64_t *n)
{
	struct db_pg_params a = { 0 };
	db_pg_p_i64(&a, state);
	return db_pg_int64(db, PG_DELIVERY_COUNT_STATE, &a, n);
}

int db_pg_push_count_for_pi(struct db *db, const char *pi, int64_t *n)
{
	struct db_pg_params a = { 0 };
	db_pg_p_str(&a, pi);
	return db_pg_int64(db, PG_PUSH_COUNT_PI, &a, n);
}

int db_pg_notification_count_state(struct db *db, int state, int64_t *n)
{
	struct db_pg_params a = { 0 };
	db_pg_p_i64(&a, state);
	return db_pg_int64(db, PG_NOTIF_COUNT_STATE, &a, n);
}
