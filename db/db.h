/*
 * db.h - the gateway's durable state: pushes, their deliveries (one per
 * address), every state transition with its time, and the content entity.
 *
 * This is the only interface callers see; SQL and sqlite3_stmt never leave
 * db/. The embedded backend is SQLite (db_sqlite.c) in WAL mode; the schema
 * is compiled in and versioned with PRAGMA user_version (db_schema.c).
 *
 * Threading: one struct db is used by one thread at a time. The core owns a
 * read-write handle and groups writes (db_begin .. db_commit) around a batch;
 * readers open their own handle with DB_OPEN_READONLY.
 *
 * All times are Unix time in milliseconds (int64_t).
 * Functions return 0 or a negative errno: -ENOENT (no such row), -EEXIST
 * (unique constraint), -EINVAL (bad argument), -EIO (SQLite error; the
 * message is available from db_errmsg()), -ENOMEM.
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <stdint.h>

struct db;

#define DB_OPEN_READONLY   0x01
#define DB_SYNC_NORMAL     0x02   /* PRAGMA synchronous=NORMAL instead of FULL */

/* Current schema version (PRAGMA user_version written by db_open). */
#define DB_SCHEMA_VERSION 1

/*
 * Opens (creating when absent, unless DB_OPEN_READONLY) the database at path
 * and brings its schema to DB_SCHEMA_VERSION, running each upgrade step in a
 * transaction. A database newer than this binary is refused with -EPROTO.
 */
int db_open(const char *path, int flags, struct db **out);
void db_close(struct db *db);          /* accepts NULL */
const char *db_errmsg(struct db *db);  /* last SQLite error message */
int db_schema_version(struct db *db);  /* PRAGMA user_version, or -EIO */

/* Group commit: one transaction around a batch of requests, and a savepoint
 * per request so that one failed request does not undo the others. */
int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);
int db_savepoint(struct db *db);
int db_savepoint_release(struct db *db);
int db_savepoint_rollback(struct db *db);

/* Delivery and push states: the same values as enum pap_state in pap/pap.h
 * (db/ does not include pap/, so they are restated here). */
enum db_state {
	DB_STATE_UNKNOWN = 0,
	DB_STATE_PENDING,
	DB_STATE_DELIVERED,
	DB_STATE_UNDELIVERABLE,
	DB_STATE_EXPIRED,
	DB_STATE_ABORTED,
	DB_STATE_TIMEOUT,
	DB_STATE_CANCELLED,
	DB_STATE_REJECTED,
	DB_STATE_INFLIGHT,     /* internal: an attempt is under way (reported as pending) */
};
/* 1 for delivered .. rejected, 0 for pending / in-flight / unknown. */
int db_state_is_final(int state);

struct db_push {
	int64_t id;                 /* row id, set by db_push_insert */
	char *pi;                   /* Push Initiator account name */
	char *push_id;
	int pap_version;            /* enum pap_version */
	int state;                  /* summary of the deliveries */
	int64_t received_time;
	int64_t deliver_before;     /* 0 = none */
	int64_t deliver_after;      /* 0 = none */
	char *replace_push_id;      /* NULL = none */
	int replace_method;         /* enum pap_replace_method */
	int64_t replaced_by;        /* row id of the push that replaced this one, 0 = none */
	char *source_reference;
	char *notify_to;            /* ppg-notify-requested-to */
	int progress_notes;
	/* quality-of-service */
	int qos_present;
	int priority;               /* enum pap_priority */
	int delivery_method;        /* enum pap_delivery_method */
	char *network;
	int network_required;
	char *bearer;
	int bearer_required;
	/* content entity, as received */
	char *content_type;
	char *app_id;               /* X-Wap-Application-Id as received, or NULL */
	char *content_headers;      /* the raw header block */
	size_t content_headers_len;
	unsigned char *content_body;
	size_t content_len;
};

struct db_delivery {
	int64_t id;
	int64_t push;               /* db_push.id */
	char *address;              /* address-value as received */
	int addr_type;              /* enum pap_addr_type */
	char *addr_value;           /* decoded client address */
	int state;
	int code;                   /* PAP code of the last transition */
	char *desc;
	int64_t event_time;         /* time of the last transition */
	int attempts;
	int64_t next_attempt;       /* ms; 0 = not scheduled */
};

struct db_transition {
	int64_t delivery;
	int64_t time;
	int state;
	int code;
	char *note;
};

/* Free the strings a row owns (not the row itself); accept NULL. */
void db_push_clear(struct db_push *p);
void db_delivery_clear(struct db_delivery *d);
void db_transition_clear(struct db_transition *t);
/* Free an array returned by a *_list function, including each element's strings. */
void db_delivery_list_free(struct db_delivery *v, size_t n);
void db_transition_list_free(struct db_transition *v, size_t n);

/*
 * Inserts a push and its deliveries (each with its initial state, code and
 * event_time, recorded as the first transition). Sets p->id and each d[i].id
 * and d[i].push. -EEXIST when (pi, push_id) already names a push that has not
 * been replaced.
 */
int db_push_insert(struct db *db, struct db_push *p, struct db_delivery *d, size_t n);

/* Finds the current (not replaced) push of pi with push_id. -ENOENT if none.
 * The content body is not loaded unless with_content is set. */
int db_push_find(struct db *db, const char *pi, const char *push_id, int with_content,
    struct db_push *out);
int db_push_get(struct db *db, int64_t id, int with_content, struct db_push *out);

/* Records that push `id` was replaced by push `by`. */
int db_push_set_replaced(struct db *db, int64_t id, int64_t by);

/* Recomputes and stores the push's summary state from its deliveries. */
int db_push_update_state(struct db *db, int64_t id);

/* The deliveries of a push, in address order. *out is malloc'ed. */
int db_delivery_list(struct db *db, int64_t push, struct db_delivery **out, size_t *n);

/*
 * Moves a delivery to state with code/desc at time t, storing the transition.
 * Updates attempts/next_attempt when next_attempt >= 0 (pass -1 to keep).
 */
int db_delivery_set_state(struct db *db, int64_t delivery, int state, int code,
    const char *desc, int64_t t, int64_t next_attempt);

/* Every transition of a delivery, oldest first. */
int db_transition_list(struct db *db, int64_t delivery, struct db_transition **out, size_t *n);

/* Counts, for the operator and the tests. */
int db_count_pushes(struct db *db, int64_t *n);
int db_count_deliveries_in_state(struct db *db, int state, int64_t *n);

#endif /* DB_H */
