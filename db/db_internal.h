/*
 * db_internal.h - private to db/: the handle behind struct db (SQLite, or
 * PostgreSQL when engine says so), its cache of prepared statements, the
 * schema steps of db_schema.c, the statement and row helpers db_sqlite.c
 * shares with db_push.c, db_delivery.c and db_notification.c, and the
 * PostgreSQL implementation of each function of db.h (db_pg*.c).
 *
 * Engine dispatch: every function of db.h that runs SQL starts with
 * DB_PG_DISPATCH(db, db_pg_<name>(...)): one predictable branch on a field of
 * the handle, no allocation and no indirect call on the SQLite path; the
 * SQLite code follows unchanged.
 */
#ifndef DB_INTERNAL_H
#define DB_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>

#include "db/db.h"

/*
 * Every statement db_sqlite.c runs, prepared once per handle on first use
 * (SQLITE_PREPARE_PERSISTENT) and reset after each use. The SQL text is the
 * table in db_sqlite.c, indexed by this enum.
 */
enum db_stmt_id {
	DB_ST_BEGIN,
	DB_ST_COMMIT,
	DB_ST_ROLLBACK,
	DB_ST_SAVEPOINT,          /* the caller's per-request savepoint "s" */
	DB_ST_RELEASE,
	DB_ST_ROLLBACK_TO,
	DB_ST_ISAVEPOINT,         /* db/'s own savepoint around multi-row writes */
	DB_ST_IRELEASE,
	DB_ST_IROLLBACK_TO,
	DB_ST_PUSH_INSERT,
	DB_ST_PUSH_FIND,
	DB_ST_PUSH_FIND_REPLACED,
	DB_ST_PUSH_GET,
	DB_ST_PUSH_EXISTS,
	DB_ST_PUSH_SET_REPLACED,
	DB_ST_PUSH_SUMMARY,       /* the state of a push's latest delivery */
	DB_ST_PUSH_AGG,           /* its deliveries' states summed up in one row */
	DB_ST_PUSH_OPEN,          /* a push's status and whether a delivery is still open */
	DB_ST_PUSH_SET_STATE,
	DB_ST_PUSH_COUNT,
	DB_ST_PUSH_COUNT_PI,
	DB_ST_PUSH_PENDING_BY_PI, /* pending pushes and their content bytes, per PI */
	DB_ST_DELIVERY_INSERT,
	DB_ST_DELIVERY_LIST,
	DB_ST_DELIVERY_FIND_ADDR,
	DB_ST_DELIVERY_DUE,
	DB_ST_DELIVERY_EXPIRED,
	DB_ST_DELIVERY_SET_STATE,
	DB_ST_DELIVERY_COUNT_STATE,
	DB_ST_TRANSITION_INSERT,
	DB_ST_TRANSITION_LIST,
	DB_ST_NOTIF_INSERT,
	DB_ST_NOTIF_GET,
	DB_ST_NOTIF_DUE,
	DB_ST_NOTIF_ATTEMPTED,
	DB_ST_BINDING_UPSERT,
	DB_ST_BINDING_DELETE,
	DB_ST_BINDING_DELETE_AOR,
	DB_ST_BINDING_LIST,
	DB_ST_BINDING_LIST_ALL,
	DB_ST_BINDING_LIST_TEMP,
	DB_ST_BINDING_PURGE,
	DB_ST_BINDING_DROP_ORIGIN,
	DB_ST_BINDING_DELETE_NO_ORIGIN,
	DB_ST_DELIVERY_SET_TARGET,
	DB_ST_DELIVERY_SET_BEARER,
	DB_ST_DELIVERY_GET,
	DB_ST_DELIVERY_SCHEDULE,
	DB_ST_DELIVERY_RECOVER,
	DB_ST_NOTIF_LEASE,
	DB_ST_DELIVERY_WAITING,
	DB_ST_DELIVERY_INSERT6,   /* schema 6: with the lease owner */
	DB_ST_DELIVERY_LEASE,
	DB_ST_DELIVERY_OWNER,
	DB_ST_NOTIF_CLAIM,
	DB_ST_SMS_ADD,
	DB_ST_SMS_FIND,
	DB_ST_TOKEN_ADD,
	DB_ST_TOKEN_FIND,
	DB_ST_TOKEN_DELETE,
	DB_ST_SUB_UPSERT,
	DB_ST_SUB_DELETE,
	DB_ST_SUB_LIST,
	DB_ST_SUB_LIST_ALL,
	DB_ST_SUB_PURGE,
	DB_ST_UAPROF_PUT,
	DB_ST_UAPROF_GET,
	DB_ST_UAPROF_PURGE,
	DB_ST_TOKEN_GET,
	DB_ST_SMS_DELETE,
	DB_ST_SMS_REMAINING,
	DB_ST_SMS_GET,
	DB_ST_TRANSITION_INSERT_KEYED,
	DB_ST_DELIVERY_COUNT_OPEN,
	DB_ST_DELIVERY_LEASE8,    /* schema 9: the claims increment lease_gen */
	DB_ST_NOTIF_CLAIM8,
	DB_ST_DELIVERY_FENCE,
	DB_ST_NOTIF_RENEW,
	DB_ST_DELIVERY_RENEW,
	DB_ST_PUSH_PURGE,         /* schema 13: retention */
	DB_ST_SUB_UPSERT14,       /* schema 14: the node holding the dialog */
	DB_ST_SUB_LIST14,
	DB_ST_SUB_LIST_ALL14,
	DB_ST_SUB_RELEASE_NODE,
	DB_ST__COUNT
};

#define DB_ERRMSG_MAX 256

/*
 * The condition the recovery after a restart adds: a delivery parked until a
 * registration of its target (next_attempt "never", PPG_NEVER = INT64_MAX,
 * and a target: an AoR key, or "AoR;gr=..." for a GRUU) stays parked unless
 * that AoR has a live binding now. Re-attempting every parked delivery at
 * each start only parked them again, one write each: at 500,000 parked that
 * kept the writer busy for minutes while PAP requests waited. NEXT and
 * TARGET are the next_attempt and target columns, AOR the SQL of its AoR, NOW the parameter of the time.
 */
#define DB_RECOVER_PARKED(NEXT, TARGET, AOR, NOW) \
	" AND (" NEXT " < 9223372036854775807 OR " TARGET " IS NULL OR EXISTS (SELECT 1 FROM binding b" \
	" WHERE b.aor = " AOR " AND b.expires > " NOW "))"

/* The SQL of statement id; sql_v1: the text for a schema-1 file
 * (db_open_at_version), when it differs (db_sql.c). */
struct db_sql_text {
	const char *sql;
	const char *sql_v1;
};
extern const struct db_sql_text db_sql[];

struct db_pg;   /* db_pg_int.h */

struct db {
	int engine;               /* enum db_engine */
	struct db_pg *pg;         /* PostgreSQL: the connection and its statements */
	sqlite3 *sq;
	int readonly;
	int version;              /* schema version of the file, after upgrades */
	int sp_depth;             /* open caller savepoints (db_savepoint) */
	int wal_frames;           /* WAL size after this handle's last commit */
	pthread_mutex_t sync_lock;/* db_sync: the WAL file descriptor below */
	int wal_fd;               /* -1 until db_sync opened it */
	char *wal_path;
	sqlite3_stmt *stmt[DB_ST__COUNT];
	char errmsg[DB_ERRMSG_MAX];
	pthread_t owner;          /* the only thread that may run statements (db_claim) */
	char node[DB_NODE_MAX];   /* lease owner written by this handle (db_set_node) */
};

/* Debug builds (no NDEBUG): a statement run from a thread that does not own
 * the handle stops the process with a message naming both threads. */
void db_check_owner(struct db *db);

/* One schema upgrade step: the SQL that takes user_version from step - 1 to
 * step. Applied in order, each in its own transaction, by db_schema_upgrade. */
struct db_schema_step {
	int version;
	const char *sql;
};

extern const struct db_schema_step db_schema_steps[];
extern const int db_schema_nsteps;

/*
 * Reads user_version and runs the missing steps up to `target`, each in a
 * BEGIN IMMEDIATE transaction that re-reads user_version first (another
 * process may have upgraded meanwhile). Sets db->version. -EPROTO when the
 * file is newer than DB_SCHEMA_VERSION; -EIO on SQLite errors.
 */
int db_schema_upgrade(struct db *db, int target);
/* The upgrade loop of both engines: reads the version, refuses a newer
 * one, applies the steps above it up to target (none on a read-only handle),
 * and records the version reached in db->version. */
int db_schema_run_steps(struct db *db, int target, const struct db_schema_step *steps, size_t nsteps,
    int (*read_version)(struct db *, int *), int (*apply)(struct db *, const struct db_schema_step *));

/* Records db's last SQLite error and maps rc to a negative errno. */
int db_sqlite_err(struct db *db, int rc);
/* Records a message of db/'s own and returns err. */
int db_set_err(struct db *db, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Runs SQL text without results (schema steps, pragmas); -errno on failure. */
int db_exec(struct db *db, const char *sql);
/* PRAGMA user_version of the file into *v. */
int db_read_user_version(struct db *db, int *v);

/* Binds while rc is SQLITE_OK, keeping the first failure in rc. */
#define DB_BIND(rc, call) do { if ((rc) == SQLITE_OK) (rc) = (call); } while (0)

/* The cached statement `id`, prepared on first use. */
int db_prep(struct db *db, enum db_stmt_id id, sqlite3_stmt **out);
/* Ends a use of a cached statement: resets it and drops its bindings. */
void db_done(sqlite3_stmt *st);
/* Steps a bound statement that returns no row. */
int db_step_done(struct db *db, sqlite3_stmt *st);
/* A one-row, one-integer query whose parameters are bound. */
int db_step_int64(struct db *db, sqlite3_stmt *st, int64_t *v);
/* db/'s own savepoint around multi-row writes; db_isp_end releases it when
 * err is 0, else rolls it back, and returns err. On SQLite none is opened
 * inside a caller's db_savepoint: the caller rolls that back on an error. */
int db_isp_begin(struct db *db);
int db_isp_end(struct db *db, int err);

/* Whether state is an enum db_state value. */
int db_state_valid(int state);
/* Copies of column values (NULL for SQL NULL); *oom set when out of memory.
 * db_col_blob puts a NUL after the bytes. */
char *db_col_str(sqlite3_stmt *st, int i, int *oom);
void *db_col_blob(sqlite3_stmt *st, int i, size_t *len, int *oom);
/* Steps a bound statement for exactly one row into *row (-ENOENT if none). */
/* Reads a delivery row selected with the delivery columns (db_delivery.c). */
int db_delivery_read_row(sqlite3_stmt *st, void *row);
void db_delivery_clear_v_ext(void *row);
int db_fetch_one(struct db *db, sqlite3_stmt *st, int (*read)(sqlite3_stmt *, void *),
    void *row);
/* Steps a bound statement into a malloc'ed array of rows of `size` bytes. */
int db_fetch_all(struct db *db, sqlite3_stmt *st, size_t size,
    int (*read)(sqlite3_stmt *, void *), void (*clear)(void *), void **out, size_t *n);
/* A row count for a LIMIT parameter. */
int64_t db_limit(size_t max);

/* Records a transition of a delivery (db_delivery.c). */
int db_transition_add(struct db *db, int64_t delivery, int64_t t, int state, int code,
    const char *note);

/* ---------------------------------------------------------------- engines */

#ifdef PPG_HAVE_LIBPQ
#define DB_IS_PG(db) ((db) && __builtin_expect((db)->engine == DB_ENGINE_POSTGRESQL, 0))
#else
#define DB_IS_PG(db) 0
#endif
/* At the top of a function of db.h: a PostgreSQL handle goes to db_pg_*. */
#define DB_PG_DISPATCH(db, call) do { if (DB_IS_PG(db)) return (call); } while (0)

/* Why the last db_open* of this thread failed (db_errmsg(NULL)). */
char *db_open_errbuf(size_t *len);

/* The PostgreSQL engine (db_pg*.c): the same contract as the function of
 * db.h of the same name without "pg_". */
int db_pg_open(const char *conninfo, int flags, int target, struct db **out);
void db_pg_close(struct db *db);
int db_pg_schema_version(struct db *db);
int db_pg_begin(struct db *db);
int db_pg_commit(struct db *db);
int db_pg_rollback(struct db *db);
int db_pg_savepoint(struct db *db);
int db_pg_savepoint_release(struct db *db);
int db_pg_savepoint_rollback(struct db *db);
int db_pg_push_insert(struct db *db, struct db_push *p, struct db_delivery *d, size_t n);
int db_pg_push_replace(struct db *db, int64_t old, struct db_push *p, struct db_delivery *d,
    size_t n);
int db_pg_push_find(struct db *db, const char *pi, const char *push_id, int with_content,
    struct db_push *out);
int db_pg_push_find_latest(struct db *db, const char *pi, const char *push_id, int with_content,
    struct db_push *out);
int db_pg_push_get(struct db *db, int64_t id, int with_content, struct db_push *out);
int db_pg_push_set_replaced(struct db *db, int64_t id, int64_t by);
int db_pg_push_purge_finished(struct db *db, int64_t before, size_t max);
int db_pg_push_update_state_ex(struct db *db, int64_t id, int *left_pending, int64_t *content_len);
int db_pg_push_pending_by_pi(struct db *db,
    int (*fn)(void *arg, const char *pi, int64_t pushes, int64_t bytes), void *arg);
int db_pg_count_pushes(struct db *db, int64_t *n);
int db_pg_count_deliveries_in_state(struct db *db, int state, int64_t *n);
int db_pg_push_count_for_pi(struct db *db, const char *pi, int64_t *n);
int db_pg_delivery_list(struct db *db, int64_t push, struct db_delivery **out, size_t *n);
int db_pg_delivery_find_by_address(struct db *db, int64_t push, const char *address,
    struct db_delivery *out);
int db_pg_delivery_due(struct db *db, int64_t now, size_t max, struct db_delivery **out,
    size_t *n);
int db_pg_delivery_expired(struct db *db, int64_t now, size_t max, struct db_delivery **out,
    size_t *n);
int db_pg_delivery_set_state(struct db *db, int64_t delivery, int state, int code,
    const char *desc, int64_t t, int64_t next_attempt, int count_attempt);
int db_pg_delivery_get(struct db *db, int64_t id, struct db_delivery *out);
int db_pg_delivery_schedule(struct db *db, int64_t id, int64_t next_attempt);
int db_pg_delivery_recover(struct db *db, int64_t now);
int db_pg_transition_list(struct db *db, int64_t delivery, struct db_transition **out, size_t *n);
int db_pg_delivery_set_bearer(struct db *db, int64_t delivery, int bearer);
int db_pg_delivery_set_target(struct db *db, int64_t delivery, const char *target);
int db_pg_delivery_waiting(struct db *db, const char *target, size_t max,
    struct db_delivery **out, size_t *n);
int db_pg_binding_upsert(struct db *db, struct db_binding *b);
int db_pg_binding_delete(struct db *db, const char *aor, const char *contact);
int db_pg_binding_list(struct db *db, const char *aor, int64_t now, struct db_binding **out,
    size_t *n);
int db_pg_binding_purge(struct db *db, int64_t now);
int db_pg_binding_list_temp(struct db *db, const char *part, int64_t now, struct db_binding **out,
    size_t *n);
int db_pg_regevent_own(struct db *db, const char *aor, const char *node, int64_t now, int64_t until);
int db_pg_regevent_release(struct db *db, const char *aor, const char *node);
int db_pg_regevent_forget(struct db *db, int64_t before);
int db_pg_regevent_wanted(struct db *db, const char *node, int mine, int64_t now, const char *after,
    size_t max, char ***out, size_t *n);
int db_pg_regevent_wake_registered(struct db *db, int64_t now, size_t max);
int db_pg_regevent_wake_targets(struct db *db, const char *const *v, size_t n, int64_t now);
int db_pg_binding_drop_origin(struct db *db, const char *aor, int origin);
int db_pg_binding_delete_unowned(struct db *db, const char *aor);
int db_pg_subscription_upsert(struct db *db, struct db_subscription *s);
int db_pg_subscription_delete(struct db *db, const char *call_id, const char *remote_tag);
int db_pg_subscription_list(struct db *db, const char *aor, int64_t now,
    struct db_subscription **out, size_t *n);
int db_pg_subscription_purge(struct db *db, int64_t now);
int db_pg_subscription_release_node(struct db *db);
int db_pg_uaprof_put(struct db *db, const char *url, int64_t fetched, int status,
    const void *doc, size_t len);
int db_pg_uaprof_purge(struct db *db, int64_t before);
int db_pg_uaprof_get(struct db *db, const char *url, int64_t *fetched, int *status,
    char **doc, size_t *len);
int db_pg_notification_insert(struct db *db, struct db_notification *nt);
int db_pg_notification_get(struct db *db, int64_t id, struct db_notification *out);
int db_pg_notification_due(struct db *db, int64_t now, size_t max, struct db_notification **out,
    size_t *n);
int db_pg_notification_lease(struct db *db, int64_t id, int64_t until);
int db_pg_notification_attempted(struct db *db, int64_t id, int state, int64_t next_attempt);
int db_pg_push_search(struct db *db, const struct db_push_filter *f, struct db_push_brief **out,
    size_t *n);
int db_pg_push_count_by_state(struct db *db, int64_t counts[DB_NSTATES]);
int db_pg_delivery_pending_reasons(struct db *db, int64_t now, struct db_pending_reasons *out);
int db_pg_notification_count_state(struct db *db, int state, int64_t *n);

int db_pg_delivery_claim(struct db *db, int64_t now, int64_t until, size_t max,
    struct db_delivery **out, size_t *n);
int db_pg_delivery_lease_owner(struct db *db, int64_t id, char *buf, size_t len);
int db_pg_delivery_lease_held(struct db *db, int64_t id, int64_t gen);
int db_pg_notification_renew(struct db *db, int64_t id, int64_t gen, int64_t until);
int db_pg_delivery_renew(struct db *db, int64_t id, int64_t gen, int64_t until);
int db_pg_notification_claim(struct db *db, int64_t now, int64_t until, size_t max,
    struct db_notification **out, size_t *n);
int db_pg_delivery_recover_own(struct db *db, int64_t now);
int db_pg_notify(struct db *db, const char *channel, const char *payload);
int db_pg_sms_message_add(struct db *db, const char *msgid, int64_t delivery, int64_t now);
int db_pg_sms_message_find(struct db *db, const char *msgid, int64_t *delivery);
int db_pg_content_token_add(struct db *db, const char *token, int64_t delivery, int64_t now);
int db_pg_content_token_find(struct db *db, const char *token, int64_t *delivery);
int db_pg_content_token_delete(struct db *db, int64_t delivery);
int db_pg_content_token_get(struct db *db, const char *token, int64_t not_before, int64_t *delivery,
    char **ctype, void **body, size_t *len);
int db_pg_sms_message_take(struct db *db, const char *msgid, int64_t *delivery, int64_t *remaining);
int db_pg_lost(struct db *db);
int db_pg_node_lock(struct db *db);
int db_pg_node_holder(struct db *db, char *buf, size_t len);
int db_pg_node_others_live(struct db *db);
int db_pg_node_live(struct db *db, const char *node);
int db_pg_listen_open(const char *conninfo, const char *node, const char *const *channels, size_t n,
    struct db_listener **out);
int db_pg_reconnect(struct db *db);
/* The notification row reader (db_notification.c), for db_lease.c. */
int db_notification_read_row(sqlite3_stmt *st, void *row);
void db_notification_clear_v_ext(void *row);

#endif /* DB_INTERNAL_H */
