/*
 * db.h - the gateway's durable state: pushes, their deliveries (one per
 * address), every state transition with its time, and the content entity.
 *
 * This is the only interface callers see; SQL, sqlite3_stmt and PGresult
 * never leave db/. Two engines behind it: the embedded default is SQLite
 * (db_sqlite.c) in WAL mode, the schema versioned with PRAGMA user_version
 * (db_schema.c); PostgreSQL through libpq (db_pg*.c), the schema versioned in
 * its table ppgd_schema (db_schema_pg.c), for several gateways on one store.
 * Every function below works on a handle of either engine (each dispatches
 * on the handle's engine); the few that differ say so.
 *
 * Threading: one struct db is used by one thread at a time. The core owns a
 * read-write handle and groups writes (db_begin .. db_commit) around a batch;
 * readers open their own handle with DB_OPEN_READONLY.
 *
 * All times are Unix time in milliseconds (int64_t).
 * Functions return 0 or a negative errno: -ENOENT (no such row), -EEXIST
 * (unique constraint), -EINVAL (bad argument), -EIO (SQLite error, or a
 * PostgreSQL error or lost connection; the message is available from
 * db_errmsg()), -ENOMEM.
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <stdint.h>

struct db;

#define DB_OPEN_READONLY   0x01
#define DB_SYNC_NORMAL     0x02   /* PRAGMA synchronous=NORMAL instead of FULL */
#define DB_NO_AUTOCHECKPOINT 0x04 /* commits never checkpoint: db_checkpoint() from another handle does */
#define DB_SYNC_EXTERNAL   0x08   /* commits do not fsync (synchronous=NORMAL): db_sync() does */

/* Current schema version (PRAGMA user_version written by db_open). */
#define DB_SCHEMA_VERSION 14

/*
 * Opens (creating when absent, unless DB_OPEN_READONLY) the database at path
 * and brings its schema to DB_SCHEMA_VERSION, running each upgrade step in a
 * transaction. A database newer than this binary is refused with -EPROTO.
 */
int db_open(const char *path, int flags, struct db **out);

/* The engines; what a configuration opens. */
enum db_engine {
	DB_ENGINE_SQLITE = 0,
	DB_ENGINE_POSTGRESQL = 1,
};
struct db_conf {
	int engine;                 /* enum db_engine */
	const char *path;           /* SQLite: the database file */
	const char *conninfo;       /* PostgreSQL: a libpq conninfo string
	                             * ("host=/run/postgresql dbname=ppgd", a URI) */
	const char *node;           /* this gateway's node id (db_set_node), or NULL */
};
/*
 * Opens a handle on the engine of conf: db_open(conf->path, flags) for
 * SQLite; for PostgreSQL a connection to conf->conninfo with
 * synchronous_commit = on (a COMMIT that returned is durable), read-only
 * transactions with DB_OPEN_READONLY, the schema brought to
 * DB_SCHEMA_VERSION as db_open does. DB_SYNC_NORMAL, DB_SYNC_EXTERNAL and
 * DB_NO_AUTOCHECKPOINT mean nothing to PostgreSQL. -ENOTSUP for PostgreSQL in
 * a build without libpq; -EIO when the server cannot be reached (db_errmsg(NULL)
 * says why).
 */
int db_open_config(const struct db_conf *conf, int flags, struct db **out);
/* For upgrade tests: db_open_at_version on the engine of conf. */
int db_open_config_at_version(const struct db_conf *conf, int version, struct db **out);
/* The engine of a handle (enum db_engine); whether this build has an engine. */
int db_engine_of(struct db *db);
int db_engine_available(int engine);

/*
 * A handle belongs to one thread: the one that opened it, until another
 * calls db_claim (the core's writer takes the handle ppgd opened). In debug
 * builds (no NDEBUG) a statement from any other thread aborts with a message;
 * db_sync alone may be called from another thread (it only fdatasyncs).
 */
void db_claim(struct db *db);
/*
 * For upgrade tests: like db_open(path, 0, out) but creates or upgrades the
 * schema only up to `version` (1 .. DB_SCHEMA_VERSION), never downgrading.
 * The push and delivery functions work on such a handle; the tables a later
 * version adds (notification) do not exist yet. -EINVAL for a bad version.
 */
int db_open_at_version(const char *path, int version, struct db **out);
void db_close(struct db *db);          /* accepts NULL */
/* Last error message of this handle. db_errmsg(NULL) gives the reason the
 * last failed db_open / db_open_at_version of the calling thread failed. */
const char *db_errmsg(struct db *db);
int db_schema_version(struct db *db);  /* PRAGMA user_version (PostgreSQL: the
                                       * version in ppgd_schema), or -EIO */

/*
 * Copies committed WAL frames into the database file. Meant for a handle of
 * its own in a background thread, so that the writer opened with
 * DB_NO_AUTOCHECKPOINT never pays for checkpoints. restart = 0: PASSIVE, never
 * blocks the writer; restart = 1: RESTART, waits for the writer's current
 * transaction (busy timeout) so that the next one starts the WAL over (without
 * it the WAL grows for as long as writes keep coming). *wal_frames and *moved
 * (may be NULL) tell the WAL's size and how much of it is now in the file.
 * A checkpoint that could not run because of another is not an error.
 * PostgreSQL: a no-op (the server checkpoints), *wal_frames and *moved 0.
 */
int db_checkpoint(struct db *db, int restart, int *wal_frames, int *moved);

/*
 * Makes every transaction committed so far durable: fdatasync of the WAL
 * file (a handle opened with DB_SYNC_EXTERNAL commits without it, so that the
 * committing thread never waits for the disk). SQLite itself syncs the WAL
 * before each checkpoint, so after db_sync the commits are on disk as with
 * synchronous=FULL. Thread-safe: the only function of db/ that another thread
 * may call while the owner uses the handle. 0, or a negative errno.
 * PostgreSQL: a no-op returning 0 (synchronous_commit = on: the COMMIT
 * itself waited for the server's WAL flush).
 */
int db_sync(struct db *db);

/* Frames in the WAL after the last commit of a DB_NO_AUTOCHECKPOINT handle
 * (PostgreSQL: 0). */
int db_wal_frames(struct db *db);

/* Group commit: one transaction around a batch of requests, and a savepoint
 * per request so that one failed request does not undo the others.
 * db_begin runs BEGIN IMMEDIATE (-EINVAL when one is open); db_commit -EINVAL
 * when none is open; db_rollback is a no-op then (SQLite rolls back by itself
 * after some I/O errors). Savepoints nest; db_savepoint_rollback undoes and
 * closes the innermost one; both -EINVAL when none is open. Row ids handed out
 * inside a rolled-back savepoint are reused by later inserts: forget them.
 * PostgreSQL: BEGIN (read committed), SAVEPOINT (-EINVAL outside a transaction,
 * where SQLite would open one); ids are never reused there,
 * and a failed statement inside a transaction leaves it failed until the
 * caller rolls its savepoint (or the transaction) back: the functions of db/
 * that fail by design (-EEXIST, -ENOENT of a reference) undo themselves. */
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
	int64_t state_time;         /* when state was last changed (schema 2); 0 on
	                             * insert = received_time */
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
	char *addr_canon;           /* canonical form of the address (set by the
	                             * caller), or NULL */
	int addr_type;              /* enum pap_addr_type */
	char *addr_value;           /* decoded client address */
	int state;
	int code;                   /* PAP code of the last transition */
	char *desc;
	int64_t event_time;         /* time of the last transition */
	int attempts;
	int64_t next_attempt;       /* ms; 0 = not scheduled */
	int bearer;                 /* the bearer the engine chose for the next attempts
	                             * (its own numbering; 0 = select anew), schema 3 */
	int64_t lease_gen;          /* set by db_delivery_claim (schema 9), else 0 */
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
 * and d[i].push. p->state is stored as given (db_push_update_state recomputes
 * it); p->replaced_by is ignored. All or nothing, also outside a transaction.
 * -EEXIST when (pi, push_id) already names a push that has not been replaced;
 * -EINVAL when pi, push_id or an address is missing or a state is out of range.
 */
int db_push_insert(struct db *db, struct db_push *p, struct db_delivery *d, size_t n);

/* Finds the current (not replaced) push of pi with push_id. -ENOENT if none.
 * The content body is not loaded unless with_content is set (content_body is
 * then NULL and content_len 0); when loaded, content_body and content_headers
 * carry a NUL after their length. Clear *out with db_push_clear. */
int db_push_find(struct db *db, const char *pi, const char *push_id, int with_content,
    struct db_push *out);
/* Like db_push_find, but when no current push has that push-id, the one that
 * was replaced last (replaced_by set): what a status query or a cancel of a
 * replaced push-id is about. */
int db_push_find_latest(struct db *db, const char *pi, const char *push_id, int with_content,
    struct db_push *out);
int db_push_get(struct db *db, int64_t id, int with_content, struct db_push *out);

/* Records that push `id` was replaced by push `by`. -ENOENT when either
 * does not exist, -EINVAL when id == by. */
int db_push_set_replaced(struct db *db, int64_t id, int64_t by);

/* Recomputes and stores the push's summary state from its deliveries: pending
 * while any delivery is not final; else the final state they all share; else
 * delivered when any was delivered; else the state of the latest transition.
 * A changed state sets state_time to the latest delivery transition time. A
 * push without deliveries keeps its state. -ENOENT for no such push. */
int db_push_update_state(struct db *db, int64_t id);
/* The same, telling the caller what the quotas need: *left_pending is 1 when
 * the push was pending and no longer is; *content_len the length of its
 * content (either pointer may be NULL). */
int db_push_update_state_ex(struct db *db, int64_t id, int *left_pending, int64_t *content_len);

/* The deliveries of a push, in address order. *out is malloc'ed. */
int db_delivery_list(struct db *db, int64_t push, struct db_delivery **out, size_t *n);

/*
 * Moves a delivery to state with code/desc at time t, storing the transition.
 * Sets next_attempt when next_attempt >= 0 (pass -1 to keep). attempts is
 * incremented when state is DB_STATE_INFLIGHT (an attempt starts).
 * -EINVAL for a state outside PENDING .. INFLIGHT, -ENOENT for no such delivery.
 */
int db_delivery_set_state(struct db *db, int64_t delivery, int state, int code,
    const char *desc, int64_t t, int64_t next_attempt);

/* Like db_delivery_set_state, and counts one more attempt. */
int db_delivery_attempted(struct db *db, int64_t delivery, int state, int code,
    const char *desc, int64_t t, int64_t next_attempt);

/* One delivery by id. -ENOENT if none. */
int db_delivery_get(struct db *db, int64_t id, struct db_delivery *out);

/* Sets when a pending delivery is next due, recording no transition (a lease
 * while an attempt is under way, or a plain reschedule). -ENOENT when the
 * delivery is not pending. */
int db_delivery_schedule(struct db *db, int64_t id, int64_t next_attempt);

/* After a restart: every pending delivery due later than now becomes due now
 * (or at its push's deliver-after). Returns how many (>= 0). */
int db_delivery_recover(struct db *db, int64_t now);

/* Every transition of a delivery, oldest first. */
int db_transition_list(struct db *db, int64_t delivery, struct db_transition **out, size_t *n);

/* Counts, for the operator and the tests. */
int db_count_pushes(struct db *db, int64_t *n);
int db_count_deliveries_in_state(struct db *db, int state, int64_t *n);
/* fn(arg, pi, pushes, bytes) for each PI with pending pushes: how many, and
 * the bytes of their content (one scan of the push table: at start only).
 * Stops at a negative return of fn, which it returns. */
int db_push_pending_by_pi(struct db *db, int (*fn)(void *arg, const char *pi, int64_t pushes, int64_t bytes),
    void *arg);
/* Number of pushes stored for pi, replaced ones included. */
int db_push_count_for_pi(struct db *db, const char *pi, int64_t *n);

/*
 * The delivery of push `push` whose address as received OR whose canonical
 * address equals `address` (the first one inserted when several match).
 * -ENOENT if none.
 */
int db_delivery_find_by_address(struct db *db, int64_t push, const char *address,
    struct db_delivery *out);

/*
 * Up to max pending deliveries with next_attempt <= now, soonest first (ties
 * in insertion order). A pending delivery with next_attempt 0 is due at once,
 * so that nothing accepted waits forever. *out is malloc'ed (NULL when *n == 0);
 * free it with db_delivery_list_free.
 */
/* Deliveries not yet final (pending or in-flight) whose push's deliver-before
 * time is <= now, soonest first, at most max. *out is malloc'ed. */
int db_delivery_expired(struct db *db, int64_t now, size_t max, struct db_delivery **out,
    size_t *n);

/* Pending deliveries due at now (next_attempt <= now), at most max: the
 * push's priority first (high, medium, low), then the earliest. */
int db_delivery_due(struct db *db, int64_t now, size_t max, struct db_delivery **out,
    size_t *n);

/*
 * Inserts push p (with its deliveries, as db_push_insert) and marks push `old`
 * as replaced by it, atomically. Unlike db_push_set_replaced after an insert,
 * this also works when p has the push_id of `old`. -ENOENT when `old` does not
 * exist, -EEXIST when it is already replaced or (pi, push_id) is taken by
 * another current push.
 */
int db_push_replace(struct db *db, int64_t old, struct db_push *p, struct db_delivery *d,
    size_t n);

/*
 * SIP registration bindings (schema 2), learnt from third-party REGISTER:
 * one row per (aor, contact). Times in ms.
 */
struct db_binding {
	int64_t id;
	char *aor;                  /* public identity: "sip:bob@example.com", "tel:+1555..." */
	char *contact;              /* registered contact URI */
	char *instance;             /* +sip.instance, or NULL */
	char *gruu;                 /* pub-gruu, or NULL */
	char *apps;                 /* +g.oma.pusheventapp values, comma-separated */
	int64_t expires;            /* absolute time the binding ends */
	int64_t updated;
	char *call_id;
	int64_t cseq;
	int caps;                   /* DB_CAP_* of the contact (schema 5) */
	int q;                      /* the Contact's q in thousandths (0..1000), or
	                             * DB_Q_NONE when it had none (schema 8) */
	char *temp_gruu;            /* the temp-gruus learnt since the binding's Call-ID
	                             * began (RFC 5627 §3.2), space-separated, or NULL;
	                             * upsert: the one just learnt, added to the set
	                             * (schema 10) */
	int origin;                 /* DB_ORIGIN_* bits: who told of it (schema 10);
	                             * upsert: 0 counts as DB_ORIGIN_REGISTER */
};
/* Where a binding was learnt: a third-party REGISTER, a reg event NOTIFY. */
#define DB_ORIGIN_REGISTER 1
#define DB_ORIGIN_REGINFO  2
/* What a contact's feature parameters (RFC 3840) say it takes. */
#define DB_Q_NONE (-1)
#define DB_CAP_SESSION 1            /* INVITE sessions (methods with INVITE, or +sip.message) */
void db_binding_clear(struct db_binding *b);
void db_binding_list_free(struct db_binding *v, size_t n);
/* Inserts or updates the binding of (aor, contact); sets b->id. The stored
 * origin gains b->origin's bits (a binding that had ended starts afresh);
 * b->temp_gruu joins the stored set while the Call-ID stays the same (a new
 * Call-ID, or a binding that had ended, starts a new set; past 2000 bytes
 * the set restarts with the newest). */
int db_binding_upsert(struct db *db, struct db_binding *b);
/* Takes the origin bit `origin` off every binding of aor (a full reginfo
 * document replaces what reginfo told, not what a REGISTER told): the
 * bindings the document lists get it back by their upsert, keeping their
 * temp-gruus; db_binding_delete_unowned then deletes those left with none.
 * Return how many rows changed or went (>= 0) or a negative errno. */
int db_binding_drop_origin(struct db *db, const char *aor, int origin);
int db_binding_delete_unowned(struct db *db, const char *aor);
/* Deletes the binding of (aor, contact), or every binding of aor when contact
 * is NULL. Returns how many rows went (>= 0) or a negative errno. */
int db_binding_delete(struct db *db, const char *aor, const char *contact);
/* Bindings still alive at `now`: of aor (newest first), or of every aor when
 * aor is NULL. *out is malloc'ed. */
int db_binding_list(struct db *db, const char *aor, int64_t now, struct db_binding **out, size_t *n);
/* Live bindings (at now, newest first, at most 64) whose temp-gruu set
 * holds the text part (a substring: the caller checks the URIs; no index,
 * a scan of the binding table): who holds a temp-gruu (RFC 5627 §3.2),
 * whose opaque user part names no AoR. *out is malloc'ed. */
int db_binding_list_temp(struct db *db, const char *part, int64_t now, struct db_binding **out,
    size_t *n);
/* Deletes the bindings that ended at or before now; returns how many (>= 0). */
int db_binding_purge(struct db *db, int64_t now);

/* ua-profile subscriptions and UAProf documents: db/db_subscription.h. */

/* Records the bearer target of a delivery (e.g. the SIP AoR it waits on for
 * a registration), or NULL. */
int db_delivery_set_target(struct db *db, int64_t delivery, const char *target);
/* Records the bearer the next attempts of a delivery go over (the engine's
 * numbering; 0 = select anew), e.g. SMS after SIP Push could not reach the
 * terminal. -ENOENT when there is no such delivery. */
int db_delivery_set_bearer(struct db *db, int64_t delivery, int bearer);
/* Pending deliveries waiting on target (at most max). *out is malloc'ed. */
int db_delivery_waiting(struct db *db, const char *target, size_t max, struct db_delivery **out,
    size_t *n);

/*
 * Result notifications to Push Initiators (schema 2), retried until the PI
 * answers. state uses enum db_state: PENDING (to send), DELIVERED (the PI
 * answered), UNDELIVERABLE (given up).
 */
struct db_notification {
	int64_t id;                 /* set by db_notification_insert */
	int64_t push;               /* db_push.id */
	int64_t delivery;           /* db_delivery.id, 0 = about the whole push */
	char *url;                  /* ppg-notify-requested-to */
	unsigned char *body;        /* the resultnotification-message; NUL-terminated
	                             * copy when read back (not counted in body_len) */
	size_t body_len;
	int attempts;
	int64_t next_attempt;       /* ms; 0 = at once */
	int state;
	int64_t created;
	int64_t lease_gen;          /* set by db_notification_claim only (schema 9) */
};

void db_notification_clear(struct db_notification *nt);
void db_notification_list_free(struct db_notification *v, size_t n);

/* Stores a notification and sets nt->id. -EINVAL for a missing url or push,
 * -ENOENT when push (or delivery) does not exist. */
int db_notification_insert(struct db *db, struct db_notification *nt);
int db_notification_get(struct db *db, int64_t id, struct db_notification *out);
/* Pending notifications with next_attempt <= now, soonest first; as db_delivery_due. */
int db_notification_due(struct db *db, int64_t now, size_t max, struct db_notification **out,
    size_t *n);
/* Records one attempt: attempts + 1, the new state, and next_attempt when >= 0. */
/* Sets when a pending notification is next due, without counting an attempt
 * (a lease while it is being sent). -ENOENT when it is not pending. */
int db_notification_lease(struct db *db, int64_t id, int64_t until);
int db_notification_attempted(struct db *db, int64_t id, int state, int64_t next_attempt);

/*
 * For the operator (db_admin.c; the admin API reads them on a read-only
 * handle). Pushes newest first, one page at a time: a page holds at most
 * limit rows with row id below before_id; the next page starts below the
 * last id returned. Every filter is optional.
 */
#define DB_PUSH_SEARCH_MAX 1000
#define DB_NSTATES 10
struct db_push_filter {
	const char *pi;             /* NULL: every PI */
	const char *push_id;        /* NULL: any */
	int state;                  /* -1: any; else the push's summary state (enum db_state) */
	int64_t since, until;       /* received_time in [since, until); 0: open */
	int64_t before_id;          /* paging cursor: rows with id < before_id; 0: from the newest */
	size_t limit;               /* 1 .. DB_PUSH_SEARCH_MAX */
};
struct db_push_brief {
	int64_t id;
	char *pi;
	char *push_id;
	int state;
	int64_t received_time, state_time, deliver_before;
	int64_t replaced_by;        /* 0 = current */
	char *app_id;
	char *content_type;
	int ndeliveries;
};
void db_push_brief_clear(struct db_push_brief *b);
void db_push_brief_list_free(struct db_push_brief *v, size_t n);
/* -EINVAL for a limit of 0 or above DB_PUSH_SEARCH_MAX or a bad state. */
int db_push_search(struct db *db, const struct db_push_filter *f, struct db_push_brief **out, size_t *n);
/*
 * Retention: deletes up to max pushes finished (a final summary state,
 * DELIVERED .. REJECTED) whose state last changed before `before` (ms),
 * oldest first, with their deliveries, transitions, notifications, SMS
 * message ids and content tokens (ON DELETE CASCADE). A push that an older
 * replaced push still names (its replaced_by) stays until that one goes.
 * Returns the number of pushes deleted (0 .. max), -EINVAL for max 0, or a
 * negative errno. Schema 13 (its indexes keep each call bounded by max).
 * [writer]
 */
int db_push_purge_finished(struct db *db, int64_t before, size_t max);
/* Current (not replaced) pushes per summary state, counts[enum db_state]. */
int db_push_count_by_state(struct db *db, int64_t counts[DB_NSTATES]);
/* Deliveries not final, by what they wait for. */
struct db_pending_reasons {
	int64_t inflight;           /* an attempt is under way (leased) */
	int64_t registration;       /* waiting for a SIP registration of their target */
	int64_t scheduled;          /* due later: a retry, a delivery receipt, deliver-after */
	int64_t due;                /* due now, the scheduler takes them */
};
int db_delivery_pending_reasons(struct db *db, int64_t now, struct db_pending_reasons *out);
/* Notifications in state (enum db_state: PENDING, DELIVERED, UNDELIVERABLE). */
int db_notification_count_state(struct db *db, int state, int64_t *n);

/*
 * Several gateways on one database (schema 6, db_lease.c). Each handle
 * writes as a node: the id given to db_set_node (db_conf.node), recorded as
 * the lease owner of the deliveries it inserts or claims and of the
 * notifications it claims. A lease is the row's next_attempt moved into the
 * future plus its owner: no other node takes the row before next_attempt,
 * and once it passes any node may (a node that died loses its leases after
 * the lease time).
 */
#define DB_NODE_MAX 64
/* Sets the node id of this handle (at most DB_NODE_MAX - 1 bytes; NULL or ""
 * for none). -EINVAL when too long. */
int db_set_node(struct db *db, const char *node);
const char *db_node(struct db *db);          /* "" when none */

/*
 * Claims up to max pending deliveries due at now (next_attempt <= now), high
 * priority first: each gets next_attempt = until, this handle's node as
 * lease owner and a new lease_gen (db_cluster.h). PostgreSQL: one UPDATE ..
 * (SELECT .. FOR UPDATE SKIP LOCKED) per priority, so two nodes claiming at
 * once never get the same row; SQLite has one writer at a time. *out as
 * db_delivery_due. Before schema 6 the lease is the next_attempt alone.
 */
int db_delivery_claim(struct db *db, int64_t now, int64_t until, size_t max,
    struct db_delivery **out, size_t *n);
/* The lease owner of a delivery into buf ("" when none or before schema 6).
 * -ENOENT for no such delivery. */
int db_delivery_lease_owner(struct db *db, int64_t id, char *buf, size_t len);
/* The same for notifications: claimed with next_attempt = until. */
int db_notification_claim(struct db *db, int64_t now, int64_t until, size_t max,
    struct db_notification **out, size_t *n);
/*
 * After a restart, as db_delivery_recover, but on PostgreSQL only the
 * deliveries this node leased (or that nobody owns): other nodes' leases are
 * theirs until they run out. SQLite has one node: all of them.
 */
int db_delivery_recover_own(struct db *db, int64_t now);

/* SMSC message ids of SMS attempts (schema 6): a receipt that reaches any
 * node finds its delivery. -EEXIST when msgid is stored already (another
 * delivery's); find: -ENOENT when unknown. */
int db_sms_message_add(struct db *db, const char *msgid, int64_t delivery, int64_t now);
int db_sms_message_find(struct db *db, const char *msgid, int64_t *delivery);
/* Tokens of indirect content (schema 6): a fetch that reaches any node finds
 * the delivery (and through it the push's content). delete: every token of
 * the delivery, how many (>= 0). */
int db_content_token_add(struct db *db, const char *token, int64_t delivery, int64_t now);
int db_content_token_find(struct db *db, const char *token, int64_t *delivery);
int db_content_token_delete(struct db *db, int64_t delivery);
/*
 * A fetch of indirect content on any node: the delivery and the push's
 * content (*ctype and *body malloc'ed, *body NUL-terminated after *len bytes)
 * of token. -ENOENT when the token is unknown, was stored before not_before
 * (the longest an attempt may wait for its fetch) or its delivery is final.
 */
int db_content_token_get(struct db *db, const char *token, int64_t not_before, int64_t *delivery,
    char **ctype, void **body, size_t *len);
/*
 * A delivery receipt named msgid (on any node): removes the message id and
 * gives its delivery and how many message ids of the same attempt are still
 * stored (segments whose receipt has not come): the segments of one attempt
 * are those added with the same `now` (the attempt's start, which the
 * caller of db_sms_message_add passes). On PostgreSQL the delivery's
 * row is locked first, so that two nodes taking the last two segments at
 * once see each other's removal. -ENOENT when msgid is unknown (or taken).
 */
int db_sms_message_take(struct db *db, const char *msgid, int64_t *delivery, int64_t *remaining);

/*
 * A handle whose server went away (PostgreSQL): 1 when the connection is
 * lost. db_reconnect connects again (statements are prepared again on first
 * use): 0, or -EIO while the server is still away. SQLite: never lost, 0.
 */
int db_lost(struct db *db);
int db_reconnect(struct db *db);

#include "db/db_subscription.h" /* ua-profile subscriptions, UAProf documents */
#include "db/db_cluster.h"   /* lease fences, the node lock, wake-ups between nodes (NOTIFY/LISTEN) */
#include "db/db_regevent.h"  /* reg event subscription holders, waking registered AoRs */

#endif /* DB_H */
