/*
 * db_pg_delivery.c - delivery and transition rows of db.h on PostgreSQL (as
 * db_delivery.c and the delivery half of db_binding.c on SQLite). Argument
 * checks are done by the functions of db/ before they dispatch here.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_pg_int.h"

int db_pg_delivery_row(const PGresult *r, int i, void *row)
{
	struct db_delivery *d = row;
	int oom = 0;

	memset(d, 0, sizeof *d);
	d->id = db_pg_i64(r, i, 0);
	d->push = db_pg_i64(r, i, 1);
	d->address = db_pg_str(r, i, 2, &oom);
	d->addr_canon = db_pg_str(r, i, 3, &oom);
	d->addr_type = (int)db_pg_i64(r, i, 4);
	d->addr_value = db_pg_str(r, i, 5, &oom);
	d->state = (int)db_pg_i64(r, i, 6);
	d->code = (int)db_pg_i64(r, i, 7);
	d->desc = db_pg_str(r, i, 8, &oom);
	d->event_time = db_pg_i64(r, i, 9);
	d->attempts = (int)db_pg_i64(r, i, 10);
	d->next_attempt = db_pg_i64(r, i, 11);
	d->bearer = (int)db_pg_i64(r, i, 12);
	if (oom) {
		db_delivery_clear(d);
		return -ENOMEM;
	}
	return 0;
}

void db_pg_delivery_clear_v(void *row)
{
	db_delivery_clear(row);
}

static int db_pg_transition_row(const PGresult *r, int i, void *row)
{
	struct db_transition *t = row;
	int oom = 0;

	memset(t, 0, sizeof *t);
	t->delivery = db_pg_i64(r, i, 0);
	t->time = db_pg_i64(r, i, 1);
	t->state = (int)db_pg_i64(r, i, 2);
	t->code = (int)db_pg_i64(r, i, 3);
	t->note = db_pg_str(r, i, 4, &oom);
	if (oom) {
		db_transition_clear(t);
		return -ENOMEM;
	}
	return 0;
}

static void db_pg_transition_clear_v(void *row)
{
	db_transition_clear(row);
}

/* Runs a query of delivery rows into a malloc'ed array. */
static int db_pg_deliveries(struct db *db, enum db_pg_stmt st, const struct db_pg_params *a,
    struct db_delivery **out, size_t *n)
{
	PGresult *r = NULL;
	int rc = db_pg_run(db, st, a, &r);
	if (rc < 0)
		return rc;
	return db_pg_rows(r, sizeof **out, db_pg_delivery_row, db_pg_delivery_clear_v,
	    (void **)out, n);
}

static int db_pg_delivery_one(struct db *db, enum db_pg_stmt st, const struct db_pg_params *a,
    struct db_delivery *out)
{
	PGresult *r = NULL;
	int rc = db_pg_run(db, st, a, &r);
	return rc < 0 ? rc : db_pg_one(db, r, db_pg_delivery_row, out);
}

/* ---------------------------------------------------------------- transitions */

int db_pg_transition_add(struct db *db, int64_t delivery, int64_t t, int state, int code,
    const char *note)
{
	struct db_pg_params a = { 0 };

	db_pg_p_i64(&a, delivery);
	db_pg_p_i64(&a, t);
	db_pg_p_i64(&a, state);
	db_pg_p_i64(&a, code);
	db_pg_p_str(&a, note);
	int rc = db_pg_run(db, PG_TRANSITION_INSERT, &a, NULL);
	return rc < 0 ? rc : 0;
}

int db_pg_transition_list(struct db *db, int64_t delivery, struct db_transition **out, size_t *n)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	db_pg_p_i64(&a, delivery);
	int rc = db_pg_run(db, PG_TRANSITION_LIST, &a, &r);
	if (rc < 0)
		return rc;
	return db_pg_rows(r, sizeof **out, db_pg_transition_row, db_pg_transition_clear_v,
	    (void **)out, n);
}

/* ---------------------------------------------------------------- deliveries */

int db_pg_delivery_list(struct db *db, int64_t push, struct db_delivery **out, size_t *n)
{
	struct db_pg_params a = { 0 };
	db_pg_p_i64(&a, push);
	return db_pg_deliveries(db, PG_DELIVERY_LIST, &a, out, n);
}

int db_pg_delivery_find_by_address(struct db *db, int64_t push, const char *address,
    struct db_delivery *out)
{
	struct db_pg_params a = { 0 };
	db_pg_p_i64(&a, push);
	db_pg_p_str(&a, address);
	return db_pg_delivery_one(db, PG_DELIVERY_FIND_ADDR, &a, out);
}

int db_pg_delivery_get(struct db *db, int64_t id, struct db_delivery *out)
{
	struct db_pg_params a = { 0 };
	db_pg_p_i64(&a, id);
	return db_pg_delivery_one(db, PG_DELIVERY_GET, &a, out);
}

/* High priority first: one indexed range per priority, as on SQLite. */
int db_pg_delivery_due(struct db *db, int64_t now, size_t max, struct db_delivery **out,
    size_t *n)
{
	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	for (int prio = 1; prio <= 3 && *n < max; prio++) {
		struct db_pg_params a = { 0 };
		struct db_delivery *v = NULL;
		size_t k = 0;
		db_pg_p_i64(&a, now);
		db_pg_p_i64(&a, db_limit(max - *n));
		db_pg_p_i64(&a, DB_STATE_PENDING);
		db_pg_p_i64(&a, prio);
		int rc = db_pg_deliveries(db, PG_DELIVERY_DUE, &a, &v, &k);
		if (rc == 0 && k) {
			struct db_delivery *nv = realloc(*out, (*n + k) * sizeof *nv);
			if (!nv) {
				db_delivery_list_free(v, k);
				rc = -ENOMEM;
			} else {
				memcpy(nv + *n, v, k * sizeof *v);
				*out = nv;
				*n += k;
			}
		}
		free(v);
		if (rc < 0) {
			db_delivery_list_free(*out, *n);
			*out = NULL;
			*n = 0;
			return rc;
		}
	}
	return 0;
}

int db_pg_delivery_expired(struct db *db, int64_t now, size_t max, struct db_delivery **out,
    size_t *n)
{
	struct db_pg_params a = { 0 };
	db_pg_p_i64(&a, now);
	db_pg_p_i64(&a, db_limit(max));
	return db_pg_deliveries(db, PG_DELIVERY_EXPIRED, &a, out, n);
}

static int db_pg_delivery_set_state_rows(struct db *db, int64_t delivery, int state, int code,
    const char *desc, int64_t t, int64_t next_attempt, int count_attempt)
{
	struct db_pg_params a = { 0 };

	db_pg_p_i64(&a, delivery);
	db_pg_p_i64(&a, state);
	db_pg_p_i64(&a, code);
	db_pg_p_str(&a, desc);
	db_pg_p_i64(&a, t);
	db_pg_p_i64(&a, next_attempt);
	db_pg_p_i64(&a, count_attempt);
	int rc = db_pg_run(db, PG_DELIVERY_SET_STATE, &a, NULL);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return db_set_err(db, -ENOENT, "no delivery %lld", (long long)delivery);
	return db_pg_transition_add(db, delivery, t, state, code, desc);
}

int db_pg_delivery_set_state(struct db *db, int64_t delivery, int state, int code,
    const char *desc, int64_t t, int64_t next_attempt, int count_attempt)
{
	int rc = db_pg_isp_begin(db);
	if (rc < 0)
		return rc;
	return db_pg_isp_end(db, db_pg_delivery_set_state_rows(db, delivery, state, code, desc, t,
	    next_attempt, count_attempt));
}

/* An UPDATE of one row by id: -ENOENT (with what) when it touched none. */
static int db_pg_update_one(struct db *db, enum db_pg_stmt st, const struct db_pg_params *a,
    const char *what, int64_t id)
{
	int rc = db_pg_run(db, st, a, NULL);
	if (rc == 0)
		return db_set_err(db, -ENOENT, "no %s %lld", what, (long long)id);
	return rc < 0 ? rc : 0;
}

int db_pg_delivery_schedule(struct db *db, int64_t id, int64_t next_attempt)
{
	struct db_pg_params a = { 0 };
	db_pg_p_i64(&a, id);
	db_pg_p_i64(&a, next_attempt);
	db_pg_p_i64(&a, DB_STATE_PENDING);
	return db_pg_update_one(db, PG_DELIVERY_SCHEDULE, &a, "pending delivery", id);
}

int db_pg_delivery_recover(struct db *db, int64_t now)
{
	struct db_pg_params a = { 0 };
	db_pg_p_i64(&a, now);
	db_pg_p_i64(&a, DB_STATE_PENDING);
	return db_pg_run(db, PG_DELIVERY_RECOVER, &a, NULL);
}

int db_pg_delivery_set_bearer(struct db *db, int64_t delivery, int bearer)
{
	struct db_pg_params a = { 0 };
	db_pg_p_i64(&a, delivery);
	db_pg_p_i64(&a, bearer);
	return db_pg_update_one(db, PG_DELIVERY_SET_BEARER, &a, "delivery", delivery);
}

int db_pg_delivery_set_target(struct db *db, int64_t delivery, const char *target)
{
	struct db_pg_params a = { 0 };
	db_pg_p_i64(&a, delivery);
	db_pg_p_str(&a, target);
	return db_pg_update_one(db, PG_DELIVERY_SET_TARGET, &a, "delivery", delivery);
}

int db_pg_delivery_waiting(struct db *db, const char *target, size_t max,
    struct db_delivery **out, size_t *n)
{
	struct db_pg_params a = { 0 };
	db_pg_p_str(&a, target);
	db_pg_p_i64(&a, db_limit(max));
	return db_pg_deliveries(db, PG_DELIVERY_WAITING, &a, out, n);
}

int db_pg_delivery_pending_reasons(struct db *db, int64_t now, struct db_pending_reasons *out)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	db_pg_p_i64(&a, now);
	int rc = db_pg_run(db, PG_DELIVERY_PENDING_REASONS, &a, &r);
	if (rc < 0)
		return rc;
	for (int i = 0; i < PQntuples(r); i++) {
		int64_t c = db_pg_i64(r, i, 1);
		switch (db_pg_i64(r, i, 0)) {
		case 0: out->inflight = c; break;
		case 1: out->registration = c; break;
		case 2: out->scheduled = c; break;
		default: out->due = c; break;
		}
	}
	PQclear(r);
	return 0;
}
