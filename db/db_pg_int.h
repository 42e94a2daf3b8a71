/*
 * db_pg_int.h - private to the PostgreSQL engine of db/ (db_pg*.c,
 * db_schema_pg.c): the connection behind a struct db whose engine is
 * DB_ENGINE_POSTGRESQL, its statements (prepared once per connection with
 * PQprepare, on first use), parameters and the reading of text results.
 *
 * Parameters go as text (integers formatted into the caller's stack) except
 * bytea, sent binary; results come back as text (bytea in hex, decoded here).
 * Nothing is allocated per call on top of what libpq does (one PGresult).
 */
#ifndef DB_PG_INT_H
#define DB_PG_INT_H

#include <libpq-fe.h>

#include "db/db_internal.h"

enum db_pg_stmt {
	PG_PUSH_INSERT,
	PG_PUSH_FIND,
	PG_PUSH_FIND_REPLACED,
	PG_PUSH_GET,
	PG_PUSH_EXISTS,
	PG_PUSH_SET_REPLACED,
	PG_PUSH_SUMMARY,
	PG_PUSH_OPEN,
	PG_PUSH_SET_STATE,
	PG_PUSH_COUNT,
	PG_PUSH_COUNT_PI,
	PG_PUSH_PENDING_BY_PI,
	PG_PUSH_COUNT_BY_STATE,
	PG_DELIVERY_INSERT,
	PG_DELIVERY_LIST,
	PG_DELIVERY_FIND_ADDR,
	PG_DELIVERY_DUE,
	PG_DELIVERY_EXPIRED,
	PG_DELIVERY_SET_STATE,
	PG_DELIVERY_COUNT_STATE,
	PG_DELIVERY_GET,
	PG_DELIVERY_SCHEDULE,
	PG_DELIVERY_RECOVER,
	PG_DELIVERY_SET_TARGET,
	PG_DELIVERY_SET_BEARER,
	PG_DELIVERY_WAITING,
	PG_DELIVERY_PENDING_REASONS,
	PG_TRANSITION_INSERT,
	PG_TRANSITION_LIST,
	PG_NOTIF_INSERT,
	PG_NOTIF_GET,
	PG_NOTIF_DUE,
	PG_NOTIF_ATTEMPTED,
	PG_NOTIF_LEASE,
	PG_NOTIF_COUNT_STATE,
	PG_BINDING_UPSERT,
	PG_BINDING_DELETE,
	PG_BINDING_DELETE_AOR,
	PG_BINDING_LIST,
	PG_BINDING_LIST_ALL,
	PG_BINDING_LIST_TEMP,
	PG_BINDING_PURGE,
	PG_BINDING_DROP_ORIGIN,
	PG_BINDING_DELETE_NO_ORIGIN,
	PG_DELIVERY_INSERT6,
	PG_DELIVERY_CLAIM,
	PG_DELIVERY_OWNER,
	PG_DELIVERY_RECOVER_OWN,
	PG_NOTIF_CLAIM,
	PG_NOTIFY,
	PG_SMS_ADD,
	PG_SMS_FIND,
	PG_TOKEN_ADD,
	PG_TOKEN_FIND,
	PG_TOKEN_DELETE,
	PG_SUB_UPSERT,
	PG_SUB_DELETE,
	PG_SUB_LIST,
	PG_SUB_LIST_ALL,
	PG_SUB_PURGE,
	PG_UAPROF_PUT,
	PG_UAPROF_GET,
	PG_UAPROF_PURGE,
	PG_TOKEN_GET,
	PG_SMS_LOCK,
	PG_SMS_DELETE,
	PG_SMS_REMAINING,
	PG_SMS_GET,
	PG_DELIVERY_FENCE,
	PG_NOTIF_RENEW,
	PG_DELIVERY_RENEW,
	PG_PUSH_PURGE,
	PG_SUB_UPSERT14,          /* schema 14: the node holding the dialog */
	PG_SUB_LIST14,
	PG_SUB_LIST_ALL14,
	PG_SUB_RELEASE_NODE,
	PG_ST__COUNT
};
extern const char *const db_pg_sql[PG_ST__COUNT];

struct db_pg {
	PGconn *conn;
	unsigned char prepared[PG_ST__COUNT];
	int isp_own_txn;          /* db/'s own savepoint is a whole transaction */
	int node_locked;          /* this session holds the node id's lock (db_node_lock) */
	int node_lock_lost;       /* reconnected, but another node holds it now: unusable */
};


/* Parameters of one statement. */
#define DB_PG_MAXP 26
struct db_pg_params {
	int n;
	const char *v[DB_PG_MAXP];
	int len[DB_PG_MAXP];
	int fmt[DB_PG_MAXP];
	char buf[DB_PG_MAXP][24];
};
void db_pg_p_i64(struct db_pg_params *p, int64_t x);
void db_pg_p_str(struct db_pg_params *p, const char *s);     /* NULL: SQL NULL */
void db_pg_p_blob(struct db_pg_params *p, const void *b, size_t n); /* NULL: SQL NULL */
void db_pg_p_null(struct db_pg_params *p);

/* Maps a failed result (or the connection's error when res is NULL) to a
 * negative errno and records the message: 23505 -EEXIST, 23503 -ENOENT,
 * 23514/23502 -EINVAL, a lost connection -EIO, anything else -EIO. */
int db_pg_err(struct db *db, PGresult *res);
/*
 * Runs the prepared statement id (preparing it on this connection first).
 * Returns the number of rows affected or returned (>= 0) or a negative errno;
 * *out (when not NULL) receives the result of a success, for the caller to
 * PQclear.
 */
int db_pg_run(struct db *db, enum db_pg_stmt id, const struct db_pg_params *p, PGresult **out);
/* Runs SQL text with parameters (not cached): the operator's searches. */
int db_pg_run_text(struct db *db, const char *sql, const struct db_pg_params *p, PGresult **out);
/* Runs SQL text without parameters or results (transactions, DDL). */
int db_pg_exec(struct db *db, const char *sql);
/* db/'s own savepoint (a transaction when none is open) around writes that
 * touch several rows or may fail by design; db_pg_isp_end as db_isp_end. */
int db_pg_isp_begin(struct db *db);
int db_pg_isp_end(struct db *db, int err);

/* The connect_timeout of every connection unless the conninfo sets one (s). */
#define DB_PG_CONNECT_TIMEOUT "5"
/* A connection with ppgd's defaults under conninfo (db_pg.c says which). */
PGconn *db_pg_connect(const char *conninfo, const char *app);

/* Columns of a text result. */
int64_t db_pg_i64(const PGresult *r, int row, int col);
char *db_pg_str(const PGresult *r, int row, int col, int *oom);
void *db_pg_blob(const PGresult *r, int row, int col, size_t *len, int *oom);
/* Every row of r into a malloc'ed array (NULL when none), as db_fetch_all. */
int db_pg_rows(PGresult *r, size_t size, int (*read)(const PGresult *, int, void *),
    void (*clear)(void *), void **out, size_t *n);
/* Exactly one row of r into *row; -ENOENT when none. Clears r. */
int db_pg_one(struct db *db, PGresult *r, int (*read)(const PGresult *, int, void *), void *row);

/* Records a transition of a delivery (db_pg_delivery.c). */
int db_pg_transition_add(struct db *db, int64_t delivery, int64_t t, int state, int code,
    const char *note);
/* The delivery row reader (db_pg_delivery.c). */
int db_pg_delivery_row(const PGresult *r, int i, void *row);
/* The notification row reader (db_pg_other.c). */
int db_pg_notification_row(const PGresult *r, int i, void *row);
void db_pg_notification_clear_v(void *row);
void db_pg_delivery_clear_v(void *row);

/* db_schema_pg.c: brings the schema to target (or checks it on a read-only
 * handle); sets db->version. */
int db_pg_schema_upgrade(struct db *db, int target);
int db_pg_read_version(struct db *db, int *v);

#endif /* DB_PG_INT_H */
