/*
 * db_schema.c - the database schema, compiled in and versioned with
 * PRAGMA user_version.
 *
 * Step N takes a file from user_version N-1 to N. A fresh file runs every
 * step in order, so that a new database and an upgraded old one always have
 * the same layout. Steps are never edited once released: a change is a new
 * step (and a new DB_SCHEMA_VERSION in db.h), tested from an old file.
 */
#include <errno.h>
#include <stdio.h>

#include "db/db_internal.h"

/*
 * Version 1: pushes, their deliveries (one per address) and every state
 * transition. States are enum db_state (0 .. DB_STATE_INFLIGHT). replaced_by
 * is NULL for a current push, which is what the partial unique index keys on:
 * push-id uniqueness is per PI among the pushes not replaced.
 */
static const char db_schema_v1[] =
	"CREATE TABLE push ("
	"  id INTEGER PRIMARY KEY,"
	"  pi TEXT NOT NULL,"
	"  push_id TEXT NOT NULL,"
	"  pap_version INTEGER NOT NULL DEFAULT 0,"
	"  state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 9),"
	"  received_time INTEGER NOT NULL,"
	"  deliver_before INTEGER NOT NULL DEFAULT 0,"
	"  deliver_after INTEGER NOT NULL DEFAULT 0,"
	"  replace_push_id TEXT,"
	"  replace_method INTEGER NOT NULL DEFAULT 0,"
	"  replaced_by INTEGER REFERENCES push(id),"
	"  source_reference TEXT,"
	"  notify_to TEXT,"
	"  progress_notes INTEGER NOT NULL DEFAULT 0,"
	"  qos_present INTEGER NOT NULL DEFAULT 0,"
	"  priority INTEGER NOT NULL DEFAULT 0,"
	"  delivery_method INTEGER NOT NULL DEFAULT 0,"
	"  network TEXT,"
	"  network_required INTEGER NOT NULL DEFAULT 0,"
	"  bearer TEXT,"
	"  bearer_required INTEGER NOT NULL DEFAULT 0,"
	"  content_type TEXT,"
	"  app_id TEXT,"
	"  content_headers BLOB,"
	"  content_body BLOB"
	");"
	"CREATE UNIQUE INDEX push_current ON push(pi, push_id) WHERE replaced_by IS NULL;"
	"CREATE TABLE delivery ("
	"  id INTEGER PRIMARY KEY,"
	"  push INTEGER NOT NULL REFERENCES push(id) ON DELETE CASCADE,"
	"  address TEXT NOT NULL,"
	"  addr_canon TEXT,"
	"  addr_type INTEGER NOT NULL DEFAULT 0,"
	"  addr_value TEXT,"
	"  state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 9),"
	"  code INTEGER NOT NULL DEFAULT 0,"
	"  description TEXT,"
	"  event_time INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX delivery_push ON delivery(push);"
	"CREATE INDEX delivery_due ON delivery(state, next_attempt);"
	"CREATE TABLE transition ("
	"  id INTEGER PRIMARY KEY,"
	"  delivery INTEGER NOT NULL REFERENCES delivery(id) ON DELETE CASCADE,"
	"  time INTEGER NOT NULL,"
	"  state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 9),"
	"  code INTEGER NOT NULL DEFAULT 0,"
	"  note TEXT"
	");"
	"CREATE INDEX transition_delivery ON transition(delivery);";

/*
 * Version 2: result notifications to Push Initiators, retried until the PI
 * answers, the time of the push's last summary state change, and an index of
 * the pending pushes that have a deliver-before time (the expiry sweep); the
 * SIP registration bindings learnt from third-party REGISTER, and the target
 * (the SIP public identity) a pending delivery waits on for a registration;
 * the push's priority on each delivery, so that the scheduler takes due
 * deliveries high priority first. Existing
 * pushes get the time of their latest delivery transition (or their
 * reception when they have no delivery).
 */
static const char db_schema_v2[] =
	"CREATE TABLE notification ("
	"  id INTEGER PRIMARY KEY,"
	"  push INTEGER NOT NULL REFERENCES push(id) ON DELETE CASCADE,"
	"  delivery INTEGER REFERENCES delivery(id) ON DELETE CASCADE,"
	"  url TEXT NOT NULL,"
	"  body BLOB,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL DEFAULT 0,"
	"  state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 9),"
	"  created INTEGER NOT NULL"
	");"
	"CREATE INDEX notification_due ON notification(state, next_attempt);"
	"CREATE INDEX push_expiry ON push(deliver_before) WHERE state = 1 AND deliver_before > 0;"
	"CREATE INDEX push_replaced ON push(pi, push_id) WHERE replaced_by IS NOT NULL;"
	"CREATE TABLE binding ("
	"  id INTEGER PRIMARY KEY,"
	"  aor TEXT NOT NULL,"
	"  contact TEXT NOT NULL,"
	"  instance TEXT,"
	"  gruu TEXT,"
	"  apps TEXT NOT NULL DEFAULT '',"
	"  expires INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  call_id TEXT,"
	"  cseq INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE UNIQUE INDEX binding_key ON binding(aor, contact);"
	"CREATE INDEX binding_expires ON binding(expires);"
	"ALTER TABLE delivery ADD COLUMN target TEXT;"
	"ALTER TABLE delivery ADD COLUMN priority INTEGER NOT NULL DEFAULT 2;"
	"DROP INDEX delivery_due;"
	"CREATE INDEX delivery_due ON delivery(state, priority, next_attempt);"
	"CREATE INDEX delivery_waiting ON delivery(target) WHERE state = 1 AND target IS NOT NULL;"
	"ALTER TABLE push ADD COLUMN state_time INTEGER NOT NULL DEFAULT 0;"
	"UPDATE push SET state_time = coalesce("
	"  (SELECT max(event_time) FROM delivery WHERE delivery.push = push.id),"
	"  received_time);";

/* Schema 3: the bearer a delivery falls back to is stored with it. */
static const char db_schema_v3[] =
	"ALTER TABLE delivery ADD COLUMN bearer INTEGER NOT NULL DEFAULT 0;";

/* Schema 4: the operator's search of pushes by PI and by state (db_push_search,
 * newest first: the row id rides along in each index). */
static const char db_schema_v4[] =
	"CREATE INDEX push_pi ON push(pi);"
	"CREATE INDEX push_state ON push(state);";

/* Schema 5: what a registered contact takes besides MESSAGE (DB_CAP_*,
 * e.g. INVITE sessions for session-mode push, RFC 3840 feature tags). */
static const char db_schema_v5[] =
	"ALTER TABLE binding ADD COLUMN caps INTEGER NOT NULL DEFAULT 0;";

/* Schema 6: several gateways on one database. A lease has an owner (the
 * node that inserted or claimed the row); the SMSC message ids of SMS
 * attempts and the tokens of indirect content are stored, so that a receipt
 * or a fetch reaching any node finds its delivery. */
static const char db_schema_v6[] =
	"ALTER TABLE delivery ADD COLUMN lease_owner TEXT;"
	"ALTER TABLE notification ADD COLUMN lease_owner TEXT;"
	"CREATE TABLE sms_message ("
	"  msgid TEXT PRIMARY KEY,"
	"  delivery INTEGER NOT NULL REFERENCES delivery(id) ON DELETE CASCADE,"
	"  created INTEGER NOT NULL"
	");"
	"CREATE INDEX sms_message_delivery ON sms_message(delivery);"
	"CREATE TABLE content_token ("
	"  token TEXT PRIMARY KEY,"
	"  delivery INTEGER NOT NULL REFERENCES delivery(id) ON DELETE CASCADE,"
	"  created INTEGER NOT NULL"
	");"
	"CREATE INDEX content_token_delivery ON content_token(delivery);";

/* Schema 7: ua-profile subscriptions (db_subscription_*) and the UAProf
 * documents they name (db_uaprof_*). */
static const char db_schema_v7[] =
	"CREATE TABLE subscription ("
	"  id INTEGER PRIMARY KEY,"
	"  aor TEXT NOT NULL,"
	"  call_id TEXT NOT NULL,"
	"  remote_tag TEXT NOT NULL,"
	"  contact TEXT,"
	"  apps TEXT NOT NULL DEFAULT '',"
	"  model TEXT,"
	"  accept TEXT,"
	"  expires INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL"
	");"
	"CREATE UNIQUE INDEX subscription_dialog ON subscription(call_id, remote_tag);"
	"CREATE INDEX subscription_aor ON subscription(aor);"
	"CREATE INDEX subscription_expires ON subscription(expires);"
	"CREATE TABLE uaprof ("
	"  url TEXT PRIMARY KEY,"
	"  fetched INTEGER NOT NULL,"
	"  status INTEGER NOT NULL,"
	"  doc BLOB"
	");";

/* Schema 8: the q-value of a registered contact (RFC 3261 §20.10, in
 * thousandths; -1: none given), for the "q" terminal selection policy. */
static const char db_schema_v8[] =
	"ALTER TABLE binding ADD COLUMN q INTEGER NOT NULL DEFAULT -1;";

/* Schema 9: the generation of a lease, incremented by every claim (db_lease.c):
 * the fence of a node's writes about an attempt (db_delivery_lease_held,
 * db_notification_renew), so that a node whose lease ran out and was taken
 * by another claim, even its own later one, cannot overwrite the newer
 * attempt. */
static const char db_schema_v9[] =
	"ALTER TABLE delivery ADD COLUMN lease_gen INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE notification ADD COLUMN lease_gen INTEGER NOT NULL DEFAULT 0;";

/* Schema 10: the temp-gruus of a binding (RFC 5627 §3.2: every one learnt
 * since its Call-ID began stays valid, space-separated) and where it was
 * learnt (DB_ORIGIN_*: 1 a third-party REGISTER, 2 a reg event NOTIFY, both
 * bits when both told), so that a full reginfo document replaces only what
 * reginfo told. Rows from before: REGISTER, but those with the reg event's
 * placeholder Call-ID, which reginfo told. */
static const char db_schema_v10[] =
	"ALTER TABLE binding ADD COLUMN temp_gruu TEXT;"
	"ALTER TABLE binding ADD COLUMN origin INTEGER NOT NULL DEFAULT 1;"
	"UPDATE binding SET origin = 2 WHERE call_id = 'reg-event';";

/* Schema 11: who holds the reg event subscription of an AoR (RFC 3680;
 * ppg_bearer_sip_regown.c): one node per AoR among those sharing the
 * database, while its lease runs (lease_until, ms); renewed by its holder,
 * taken over by another node once it ran out. */
static const char db_schema_v11[] =
	"CREATE TABLE regevent_owner ("
	"  aor TEXT PRIMARY KEY,"
	"  node TEXT NOT NULL,"
	"  lease_until INTEGER NOT NULL"
	");"
	"CREATE INDEX regevent_owner_node ON regevent_owner(node);";

/*
 * Schema 12: fewer pages written per push (bench/wal_pages.py counts them:
 * at concurrency 1 each commit writes about one page of every b-tree it
 * touches).
 * - The transitions of a delivery stored together, keyed by (delivery, id)
 *   in a WITHOUT ROWID table, instead of a rowid table plus the index
 *   transition_delivery, both written by every state change. The list of a
 *   delivery's transitions reads one range of the key, and ON DELETE
 *   CASCADE from delivery finds them the same way. Old rows keep their ids;
 *   a new row takes the next id of its delivery (db_transition_add), so that
 *   the order (time, id) is kept.
 * - delivery_due partial (below).
 */
static const char db_schema_v12[] =
	"CREATE TABLE transition_new ("
	"  delivery INTEGER NOT NULL REFERENCES delivery(id) ON DELETE CASCADE,"
	"  id INTEGER NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 9),"
	"  code INTEGER NOT NULL DEFAULT 0,"
	"  note TEXT,"
	"  PRIMARY KEY (delivery, id)"
	") WITHOUT ROWID;"
	"INSERT INTO transition_new (delivery, id, time, state, code, note)"
	"  SELECT delivery, id, time, state, code, note FROM transition;"
	"DROP TABLE transition;"
	"ALTER TABLE transition_new RENAME TO transition;"
	/* Only the deliveries not final (pending 1, in flight 9) in the index of
	 * due deliveries: an outcome deletes its entry instead of moving it to
	 * the end of a region of final ones that only grows (a second page per
	 * commit), and the index stays the size of the backlog. The queries that
	 * use it say state IN (1, 9) (db_sql.c). */
	"DROP INDEX delivery_due;"
	"CREATE INDEX delivery_due ON delivery(state, priority, next_attempt) WHERE state IN (1, 9);";

/* Schema 13: retention (db_push_purge_finished). The finished pushes by the
 * time of their last state change, so that the oldest are found without a
 * scan; notification(push) and notification(delivery), and the pushes that
 * name a replacement, so that deleting a push (ON DELETE CASCADE, and the
 * replaced_by reference checked) looks its children up instead of scanning
 * their tables once per deleted row. */
static const char db_schema_v13[] =
	"CREATE INDEX push_finished ON push(state_time) WHERE state BETWEEN 2 AND 8;"
	"CREATE INDEX push_replaced_by ON push(replaced_by) WHERE replaced_by IS NOT NULL;"
	"CREATE INDEX notification_push ON notification(push);"
	"CREATE INDEX notification_delivery ON notification(delivery);";

/* Schema 14: the node holding a ua-profile subscription's dialog (its node
 * id; NULL: none known, a row from before or one whose holder restarted:
 * db_subscription_release_node), so that a push NOTIFY is handed only to a
 * live node that holds the dialog (ppg_bearer_sip_handoff.c). No index: the
 * one statement that looks rows up by node runs once at a node's start. */
static const char db_schema_v14[] =
	"ALTER TABLE subscription ADD COLUMN node TEXT;";

const struct db_schema_step db_schema_steps[] = {
	{ 1, db_schema_v1 },
	{ 2, db_schema_v2 },
	{ 3, db_schema_v3 },
	{ 4, db_schema_v4 },
	{ 5, db_schema_v5 },
	{ 6, db_schema_v6 },
	{ 7, db_schema_v7 },
	{ 8, db_schema_v8 },
	{ 9, db_schema_v9 },
	{ 10, db_schema_v10 },
	{ 11, db_schema_v11 },
	{ 12, db_schema_v12 },
	{ 13, db_schema_v13 },
	{ 14, db_schema_v14 },
};
const int db_schema_nsteps = (int)(sizeof db_schema_steps / sizeof db_schema_steps[0]);

_Static_assert(sizeof db_schema_steps / sizeof db_schema_steps[0] == DB_SCHEMA_VERSION,
    "one schema step per version");

int db_read_user_version(struct db *db, int *v)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->sq, "PRAGMA user_version", -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*v = sqlite3_column_int(st, 0);
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK)
		rc = db_sqlite_err(db, rc);
	sqlite3_finalize(st);
	return rc;
}

/* Runs one step inside its own transaction; a step that another process
 * applied meanwhile is skipped. */
static int db_schema_apply(struct db *db, const struct db_schema_step *s)
{
	char pragma[64];
	int v, rc;

	rc = db_exec(db, "BEGIN IMMEDIATE");
	if (rc < 0)
		return rc;
	rc = db_read_user_version(db, &v);
	if (rc < 0)
		goto fail;
	if (v >= s->version) {
		/* someone else got there first */
		return db_exec(db, "COMMIT");
	}
	if (v != s->version - 1) {
		rc = db_set_err(db, -EPROTO, "schema step %d found user_version %d",
		    s->version, v);
		goto fail;
	}
	rc = db_exec(db, s->sql);
	if (rc < 0)
		goto fail;
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", s->version);
	rc = db_exec(db, pragma);
	if (rc < 0)
		goto fail;
	return db_exec(db, "COMMIT");
fail:
	if (!sqlite3_get_autocommit(db->sq))
		sqlite3_exec(db->sq, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int db_schema_run_steps(struct db *db, int target, const struct db_schema_step *steps, size_t nsteps,
    int (*read_version)(struct db *, int *), int (*apply)(struct db *, const struct db_schema_step *))
{
	int v, rc;

	rc = read_version(db, &v);
	if (rc < 0)
		return rc;
	if (v > DB_SCHEMA_VERSION)
		return db_set_err(db, -EPROTO, "database schema version %d is newer than "
		    "this ppgd (%d)", v, DB_SCHEMA_VERSION);
	if (v < 0)
		return db_set_err(db, -EPROTO, "bad database schema version %d", v);
	for (size_t i = 0; i < nsteps; i++) {
		const struct db_schema_step *s = &steps[i];
		if (s->version <= v || s->version > target)
			continue;
		if (db->readonly)
			return db_set_err(db, -EPROTO, "read-only database has schema version "
			    "%d, ppgd needs %d", v, target);
		rc = apply(db, s);
		if (rc < 0)
			return rc;
	}
	rc = read_version(db, &v);
	if (rc < 0)
		return rc;
	if (v > DB_SCHEMA_VERSION)
		return db_set_err(db, -EPROTO, "database schema version %d is newer than "
		    "this ppgd (%d)", v, DB_SCHEMA_VERSION);
	db->version = v;
	return 0;
}

int db_schema_upgrade(struct db *db, int target)
{
	return db_schema_run_steps(db, target, db_schema_steps, (size_t)db_schema_nsteps,
	    db_read_user_version, db_schema_apply);
}
