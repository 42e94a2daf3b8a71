/*
 * db_lease.c - what several gateways on one database need (schema 6), on
 * SQLite and dispatched to db_pg_lease.c for PostgreSQL: the node id of a
 * handle, claims of due deliveries and notifications with their lease
 * owner, the recovery of a node's own leases, the SMSC message ids and the
 * content tokens stored for whichever node a receipt or a fetch reaches,
 * and the wake-ups (a no-op on SQLite, where one node is alone).
 *
 * SQLite has one writer at a time (BEGIN IMMEDIATE): a claim is the select
 * of due rows and their update inside db/'s own savepoint, which no other
 * writer can interleave with.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

int db_set_node(struct db *db, const char *node)
{
	if (!db)
		return -EINVAL;
	if (node && strlen(node) >= sizeof db->node)
		return db_set_err(db, -EINVAL, "node id longer than %d bytes", DB_NODE_MAX - 1);
	snprintf(db->node, sizeof db->node, "%s", node ? node : "");
	return 0;
}

const char *db_node(struct db *db)
{
	return db ? db->node : "";
}

int db_node_lock(struct db *db)
{
	if (!db)
		return -EINVAL;
	if (!db->node[0])
		return 0;
	DB_PG_DISPATCH(db, db_pg_node_lock(db));
	return 0;
}

int db_node_holder(struct db *db, char *buf, size_t len)
{
	if (!db || !buf || !len)
		return -EINVAL;
	buf[0] = '\0';
	if (!db->node[0])
		return 0;
	DB_PG_DISPATCH(db, db_pg_node_holder(db, buf, len));
	return 0;
}

int db_node_others_live(struct db *db)
{
	if (!db)
		return -EINVAL;
	DB_PG_DISPATCH(db, db_pg_node_others_live(db));
	return 0;
}

int db_node_live(struct db *db, const char *node)
{
	if (!db || !node)
		return -EINVAL;
	if (!*node)
		return 0;
	DB_PG_DISPATCH(db, db_pg_node_live(db, node));
	return !strcmp(node, db->node);
}

/* Binds the node of db (NULL when none) at parameter i. */
static int bind_node(struct db *db, sqlite3_stmt *st, int i)
{
	return db->node[0] ? sqlite3_bind_text(st, i, db->node, -1, SQLITE_STATIC)
	    : sqlite3_bind_null(st, i);
}

/* UPDATE .. SET next_attempt = until, lease_owner = node of one row by id;
 * from schema 9 the lease's new generation into *gen (else 0). */
static int lease_one(struct db *db, enum db_stmt_id id, int64_t row, int64_t until, int64_t *gen)
{
	sqlite3_stmt *st = NULL;
	*gen = 0;
	if (db->version >= 9)
		id = id == DB_ST_DELIVERY_LEASE ? DB_ST_DELIVERY_LEASE8 : DB_ST_NOTIF_CLAIM8;
	int rc = db_prep(db, id, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, row);
	sqlite3_bind_int64(st, 2, until);
	bind_node(db, st, 3);
	if (db->version < 9)
		return db_step_done(db, st);
	rc = db_step_int64(db, st, gen);
	return rc == -ENOENT ? 0 : rc;   /* final meanwhile: cannot be, one writer */
}

int db_delivery_claim(struct db *db, int64_t now, int64_t until, size_t max,
    struct db_delivery **out, size_t *n)
{
	if (!db || !out || !n)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	if (db->version >= 6)
		DB_PG_DISPATCH(db, db_pg_delivery_claim(db, now, until, max, out, n));
	int rc = db_delivery_due(db, now, max, out, n);
	if (rc < 0 || *n == 0)
		return rc;
	for (size_t i = 0; i < *n && rc == 0; i++) {
		if (db->version >= 6)
			rc = lease_one(db, DB_ST_DELIVERY_LEASE, (*out)[i].id, until, &(*out)[i].lease_gen);
		else
			rc = db_delivery_schedule(db, (*out)[i].id, until);
		(*out)[i].next_attempt = until;
	}
	if (rc < 0) {
		db_delivery_list_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

int db_delivery_lease_owner(struct db *db, int64_t id, char *buf, size_t len)
{
	sqlite3_stmt *st = NULL;

	if (!db || id <= 0 || !buf || !len)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	buf[0] = '\0';
	if (db->version < 6) {
		struct db_delivery d = { 0 };
		int rc = db_delivery_get(db, id, &d);
		db_delivery_clear(&d);
		return rc;
	}
	DB_PG_DISPATCH(db, db_pg_delivery_lease_owner(db, id, buf, len));
	int rc = db_prep(db, DB_ST_DELIVERY_OWNER, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(buf, len, "%s", t ? (const char *)t : "");
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = db_set_err(db, -ENOENT, "no delivery %lld", (long long)id);
	} else {
		rc = db_sqlite_err(db, rc);
	}
	db_done(st);
	return rc;
}

int db_delivery_lease_held(struct db *db, int64_t id, int64_t gen)
{
	sqlite3_stmt *st = NULL;

	if (!db || id <= 0)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	if (db->version < 9) {
		char owner[DB_NODE_MAX];
		int rc = db_delivery_lease_owner(db, id, owner, sizeof owner);
		return rc < 0 ? rc : !owner[0] || !strcmp(owner, db->node);
	}
	DB_PG_DISPATCH(db, db_pg_delivery_lease_held(db, id, gen));
	int rc = db_prep(db, DB_ST_DELIVERY_FENCE, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		rc = (!t || !t[0] || !strcmp((const char *)t, db->node)) &&
		    sqlite3_column_int64(st, 1) == gen;
	} else if (rc == SQLITE_DONE) {
		rc = db_set_err(db, -ENOENT, "no delivery %lld", (long long)id);
	} else {
		rc = db_sqlite_err(db, rc);
	}
	db_done(st);
	return rc;
}

/* The renewal statement stmt (?1 id, ?2 lease generation, ?3 this node,
 * ?4 until): 1 when the row was still this node's lease, 0 when not. */
static int renew_fenced(struct db *db, enum db_stmt_id stmt, int64_t id, int64_t gen, int64_t until)
{
	sqlite3_stmt *st = NULL;
	int rc = db_prep(db, stmt, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, gen);
	bind_node(db, st, 3);
	sqlite3_bind_int64(st, 4, until);
	rc = db_step_done(db, st);
	return rc < 0 ? rc : sqlite3_changes(db->sq) > 0;
}

int db_notification_renew(struct db *db, int64_t id, int64_t gen, int64_t until)
{
	if (!db || id <= 0)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	if (db->version < 9) {
		int rc = db_notification_lease(db, id, until);
		return rc == -ENOENT ? 0 : rc < 0 ? rc : 1;
	}
	DB_PG_DISPATCH(db, db_pg_notification_renew(db, id, gen, until));
	return renew_fenced(db, DB_ST_NOTIF_RENEW, id, gen, until);
}

int db_delivery_renew(struct db *db, int64_t id, int64_t gen, int64_t until)
{
	if (!db || id <= 0)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	if (db->version < 9) {
		int rc = db_delivery_schedule(db, id, until);
		return rc == -ENOENT ? 0 : rc < 0 ? rc : 1;
	}
	DB_PG_DISPATCH(db, db_pg_delivery_renew(db, id, gen, until));
	return renew_fenced(db, DB_ST_DELIVERY_RENEW, id, gen, until);
}

int db_notification_claim(struct db *db, int64_t now, int64_t until, size_t max,
    struct db_notification **out, size_t *n)
{
	if (!db || !out || !n)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	if (db->version >= 6)
		DB_PG_DISPATCH(db, db_pg_notification_claim(db, now, until, max, out, n));
	int rc = db_notification_due(db, now, max, out, n);
	if (rc < 0 || *n == 0)
		return rc;
	for (size_t i = 0; i < *n && rc == 0; i++) {
		if (db->version >= 6)
			rc = lease_one(db, DB_ST_NOTIF_CLAIM, (*out)[i].id, until, &(*out)[i].lease_gen);
		else
			rc = db_notification_lease(db, (*out)[i].id, until);
		(*out)[i].next_attempt = until;
	}
	if (rc < 0) {
		db_notification_list_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

int db_delivery_recover_own(struct db *db, int64_t now)
{
	if (!db)
		return -EINVAL;
	if (db->version >= 6)
		DB_PG_DISPATCH(db, db_pg_delivery_recover_own(db, now));
	return db_delivery_recover(db, now);
}

int db_notify(struct db *db, const char *channel, const char *payload)
{
	if (!db || !channel)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_notify(db, channel, payload ? payload : ""));
	return 0;
}

int db_lost(struct db *db)
{
	if (!db)
		return 0;
	DB_PG_DISPATCH(db, db_pg_lost(db));
	return 0;
}

int db_reconnect(struct db *db)
{
	if (!db)
		return -EINVAL;
	DB_PG_DISPATCH(db, db_pg_reconnect(db));
	return 0;
}

/* ------------------------------------------------ message ids and tokens */

/* INSERT (key, delivery, now) with statement id; -EEXIST for a taken key. */
static int key_add(struct db *db, enum db_stmt_id id, const char *key, int64_t delivery, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int rc = db_prep(db, id, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, delivery);
	sqlite3_bind_int64(st, 3, now);
	return db_step_done(db, st);
}

static int key_find(struct db *db, enum db_stmt_id id, const char *key, int64_t *delivery)
{
	sqlite3_stmt *st = NULL;
	int rc = db_prep(db, id, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = db_step_int64(db, st, delivery);
	if (rc == -ENOENT)
		db_set_err(db, rc, "unknown key");
	return rc;
}

static int key_check(struct db *db, const char *key, int64_t delivery)
{
	if (!db)
		return -EINVAL;
	if (!key || !*key || delivery <= 0)
		return db_set_err(db, -EINVAL, "bad argument");
	if (db->version < 6)
		return db_set_err(db, -ENOTSUP, "schema %d has no message ids or tokens", db->version);
	return 0;
}

int db_sms_message_add(struct db *db, const char *msgid, int64_t delivery, int64_t now)
{
	int rc = key_check(db, msgid, delivery);
	if (rc < 0)
		return rc;
	DB_PG_DISPATCH(db, db_pg_sms_message_add(db, msgid, delivery, now));
	return key_add(db, DB_ST_SMS_ADD, msgid, delivery, now);
}

int db_sms_message_find(struct db *db, const char *msgid, int64_t *delivery)
{
	int rc = key_check(db, msgid, 1);
	if (rc < 0 || !delivery)
		return rc < 0 ? rc : db_set_err(db, -EINVAL, "bad argument");
	DB_PG_DISPATCH(db, db_pg_sms_message_find(db, msgid, delivery));
	return key_find(db, DB_ST_SMS_FIND, msgid, delivery);
}

int db_content_token_add(struct db *db, const char *token, int64_t delivery, int64_t now)
{
	int rc = key_check(db, token, delivery);
	if (rc < 0)
		return rc;
	DB_PG_DISPATCH(db, db_pg_content_token_add(db, token, delivery, now));
	return key_add(db, DB_ST_TOKEN_ADD, token, delivery, now);
}

int db_content_token_find(struct db *db, const char *token, int64_t *delivery)
{
	int rc = key_check(db, token, 1);
	if (rc < 0 || !delivery)
		return rc < 0 ? rc : db_set_err(db, -EINVAL, "bad argument");
	DB_PG_DISPATCH(db, db_pg_content_token_find(db, token, delivery));
	return key_find(db, DB_ST_TOKEN_FIND, token, delivery);
}

int db_content_token_delete(struct db *db, int64_t delivery)
{
	sqlite3_stmt *st = NULL;
	int rc = key_check(db, "-", delivery);
	if (rc < 0)
		return rc;
	DB_PG_DISPATCH(db, db_pg_content_token_delete(db, delivery));
	rc = db_prep(db, DB_ST_TOKEN_DELETE, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, delivery);
	rc = db_step_done(db, st);
	return rc < 0 ? rc : sqlite3_changes(db->sq);
}

/* ---------------------------------------------------------------- listener */

int db_listen_open(const struct db_conf *conf, const char *const *channels, size_t nchannels,
    struct db_listener **out)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!conf || (nchannels && !channels))
		return -EINVAL;
	if (conf->engine != DB_ENGINE_POSTGRESQL)
		return -ENOTSUP;
#ifdef PPG_HAVE_LIBPQ
	return db_pg_listen_open(conf->conninfo ? conf->conninfo : "", conf->node, channels, nchannels, out);
#else
	return -ENOTSUP;
#endif
}

#ifndef PPG_HAVE_LIBPQ
/* Without libpq no listener is ever opened. */
int db_listen_fd(struct db_listener *l) { (void)l; return -1; }
int db_listen_read(struct db_listener *l, void (*fn)(void *, const char *, const char *), void *arg)
{
	(void)l; (void)fn; (void)arg;
	return -EINVAL;
}
int db_listen_reconnect(struct db_listener *l) { (void)l; return -EINVAL; }
int db_listen_ping(struct db_listener *l) { (void)l; return -EINVAL; }
int db_listen_ping_pending(struct db_listener *l) { (void)l; return 0; }
const char *db_listen_errmsg(struct db_listener *l) { (void)l; return "no PostgreSQL in this build"; }
void db_listen_close(struct db_listener *l) { (void)l; }
#endif
