/*
 * db_pg_lease.c - several gateways on one PostgreSQL (schema 6), as
 * db_lease.c on SQLite: claims with FOR UPDATE SKIP LOCKED, the lease owner,
 * the recovery of a node's own leases, NOTIFY, SMSC message ids and content
 * tokens; the listener (a connection of its own that LISTENs), and the
 * reconnection of a handle whose server went away.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_pg_int.h"

/* A claimed row: the delivery's columns, then its lease generation. */
static int claimed_delivery_row(const PGresult *r, int i, void *row)
{
	int rc = db_pg_delivery_row(r, i, row);
	if (rc == 0)
		((struct db_delivery *)row)->lease_gen = db_pg_i64(r, i, 13);
	return rc;
}

static int claimed_notification_row(const PGresult *r, int i, void *row)
{
	int rc = db_pg_notification_row(r, i, row);
	if (rc == 0)
		((struct db_notification *)row)->lease_gen = db_pg_i64(r, i, 9);
	return rc;
}

/* High priority first: one claim per priority, each an index range (the
 * statement says why). */
int db_pg_delivery_claim(struct db *db, int64_t now, int64_t until, size_t max,
    struct db_delivery **out, size_t *n)
{
	for (int prio = 1; prio <= 3 && *n < max; prio++) {
		struct db_pg_params a = { 0 };
		struct db_delivery *v = NULL;
		size_t k = 0;
		PGresult *r = NULL;

		db_pg_p_i64(&a, now);
		db_pg_p_i64(&a, until);
		db_pg_p_str(&a, db->node[0] ? db->node : NULL);
		db_pg_p_i64(&a, db_limit(max - *n));
		db_pg_p_i64(&a, prio);
		int rc = db_pg_run(db, PG_DELIVERY_CLAIM, &a, &r);
		if (rc >= 0)
			rc = db_pg_rows(r, sizeof *v, claimed_delivery_row, db_pg_delivery_clear_v,
			    (void **)&v, &k);
		if (rc == 0 && k) {
			struct db_delivery *nv = realloc(*out, (*n + k) * sizeof *nv);
			if (!nv) {
				db_delivery_list_free(v, k);
				v = NULL;
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

int db_pg_delivery_lease_held(struct db *db, int64_t id, int64_t gen)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	db_pg_p_i64(&a, id);
	int rc = db_pg_run(db, PG_DELIVERY_FENCE, &a, &r);
	if (rc < 0)
		return rc;
	if (PQntuples(r) < 1) {
		rc = db_set_err(db, -ENOENT, "no delivery %lld", (long long)id);
	} else {
		const char *owner = PQgetvalue(r, 0, 0);
		rc = (!owner[0] || !strcmp(owner, db->node)) && db_pg_i64(r, 0, 1) == gen;
	}
	PQclear(r);
	return rc;
}

/* The renewal statement stmt ($1 id, $2 lease generation, $3 this node,
 * $4 until): 1 when the row was still this node's lease, 0 when not. */
static int renew_fenced(struct db *db, enum db_pg_stmt stmt, int64_t id, int64_t gen, int64_t until)
{
	struct db_pg_params a = { 0 };

	db_pg_p_i64(&a, id);
	db_pg_p_i64(&a, gen);
	db_pg_p_str(&a, db->node[0] ? db->node : NULL);
	db_pg_p_i64(&a, until);
	int rc = db_pg_run(db, stmt, &a, NULL);
	return rc < 0 ? rc : rc > 0;
}

int db_pg_notification_renew(struct db *db, int64_t id, int64_t gen, int64_t until)
{
	return renew_fenced(db, PG_NOTIF_RENEW, id, gen, until);
}

int db_pg_delivery_renew(struct db *db, int64_t id, int64_t gen, int64_t until)
{
	return renew_fenced(db, PG_DELIVERY_RENEW, id, gen, until);
}

int db_pg_delivery_lease_owner(struct db *db, int64_t id, char *buf, size_t len)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	db_pg_p_i64(&a, id);
	int rc = db_pg_run(db, PG_DELIVERY_OWNER, &a, &r);
	if (rc < 0)
		return rc;
	if (PQntuples(r) < 1)
		rc = db_set_err(db, -ENOENT, "no delivery %lld", (long long)id);
	else
		snprintf(buf, len, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return rc < 0 ? rc : 0;
}

int db_pg_notification_claim(struct db *db, int64_t now, int64_t until, size_t max,
    struct db_notification **out, size_t *n)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	db_pg_p_i64(&a, now);
	db_pg_p_i64(&a, until);
	db_pg_p_str(&a, db->node[0] ? db->node : NULL);
	db_pg_p_i64(&a, db_limit(max));
	int rc = db_pg_run(db, PG_NOTIF_CLAIM, &a, &r);
	if (rc < 0)
		return rc;
	return db_pg_rows(r, sizeof **out, claimed_notification_row, db_pg_notification_clear_v,
	    (void **)out, n);
}

int db_pg_delivery_recover_own(struct db *db, int64_t now)
{
	struct db_pg_params a = { 0 };
	db_pg_p_i64(&a, now);
	db_pg_p_str(&a, db->node);
	return db_pg_run(db, PG_DELIVERY_RECOVER_OWN, &a, NULL);
}

int db_pg_notify(struct db *db, const char *channel, const char *payload)
{
	struct db_pg_params a = { 0 };
	db_pg_p_str(&a, channel);
	db_pg_p_str(&a, payload);
	int rc = db_pg_run(db, PG_NOTIFY, &a, NULL);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------ message ids and tokens */

/* An insert that may fail by design (a taken key): inside db/'s savepoint. */
static int key_add(struct db *db, enum db_pg_stmt st, const char *key, int64_t delivery, int64_t now)
{
	struct db_pg_params a = { 0 };
	db_pg_p_str(&a, key);
	db_pg_p_i64(&a, delivery);
	db_pg_p_i64(&a, now);
	int rc = db_pg_isp_begin(db);
	if (rc < 0)
		return rc;
	rc = db_pg_run(db, st, &a, NULL);
	return db_pg_isp_end(db, rc < 0 ? rc : 0);
}

static int key_find(struct db *db, enum db_pg_stmt st, const char *key, int64_t *delivery)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;
	db_pg_p_str(&a, key);
	int rc = db_pg_run(db, st, &a, &r);
	if (rc < 0)
		return rc;
	if (PQntuples(r) < 1)
		rc = db_set_err(db, -ENOENT, "unknown key");
	else
		*delivery = db_pg_i64(r, 0, 0);
	PQclear(r);
	return rc < 0 ? rc : 0;
}

int db_pg_sms_message_add(struct db *db, const char *msgid, int64_t delivery, int64_t now)
{
	return key_add(db, PG_SMS_ADD, msgid, delivery, now);
}

int db_pg_sms_message_find(struct db *db, const char *msgid, int64_t *delivery)
{
	return key_find(db, PG_SMS_FIND, msgid, delivery);
}

int db_pg_content_token_add(struct db *db, const char *token, int64_t delivery, int64_t now)
{
	return key_add(db, PG_TOKEN_ADD, token, delivery, now);
}

int db_pg_content_token_find(struct db *db, const char *token, int64_t *delivery)
{
	return key_find(db, PG_TOKEN_FIND, token, delivery);
}

int db_pg_content_token_delete(struct db *db, int64_t delivery)
{
	struct db_pg_params a = { 0 };
	db_pg_p_i64(&a, delivery);
	return db_pg_run(db, PG_TOKEN_DELETE, &a, NULL);
}

/* ---------------------------------------------------------- reconnection */

int db_pg_lost(struct db *db)
{
	return PQstatus(db->pg->conn) != CONNECTION_OK || db->pg->node_lock_lost;
}

int db_pg_reconnect(struct db *db)
{
	db_check_owner(db);
	if (PQstatus(db->pg->conn) == CONNECTION_OK && !db->pg->node_lock_lost)
		return 0;
	if (PQstatus(db->pg->conn) == CONNECTION_OK)   /* connected, the node lock still taken */
		return db_pg_node_lock(db);
	/* Bounded by the connection's connect_timeout (db_pg_connect): a server
	 * that accepts but never answers holds the writer that long, no more. */
	PQreset(db->pg->conn);
	if (PQstatus(db->pg->conn) != CONNECTION_OK) {
		const char *m = PQerrorMessage(db->pg->conn);
		return db_set_err(db, -EIO, "cannot reconnect to PostgreSQL: %.*s", (int)strcspn(m, "\n"), m);
	}
	/* A new server session: no prepared statement, no setting survives. */
	memset(db->pg->prepared, 0, sizeof db->pg->prepared);
	db->pg->isp_own_txn = 0;
	db->sp_depth = 0;
	int rc = db_pg_exec(db, db->readonly
	    ? "SET synchronous_commit = on; SET bytea_output = hex; SET default_transaction_read_only = on"
	    : "SET synchronous_commit = on; SET bytea_output = hex");
	/* The session's node lock went with the old session: taken again
	 * before the handle is used, or the handle stays lost. */
	if (rc == 0 && db->pg->node_locked && (rc = db_pg_node_lock(db)) < 0)
		db->pg->node_lock_lost = 1;
	return rc;
}

/* ---------------------------------------------------------------- listener */

struct db_listener {
	PGconn *conn;
	char **channels;
	size_t nchannels;
	int ping_pending;          /* a SELECT 1 awaits its answer */
	char errmsg[256];
};

static int listen_err(struct db_listener *l, const char *what)
{
	const char *m = l->conn ? PQerrorMessage(l->conn) : "out of memory";
	snprintf(l->errmsg, sizeof l->errmsg, "%s: %.*s", what, (int)strcspn(m, "\n"), m);
	return -EIO;
}

/* LISTEN on every channel of l (quoted as identifiers). */
static int listen_all(struct db_listener *l)
{
	for (size_t i = 0; i < l->nchannels; i++) {
		char *id = PQescapeIdentifier(l->conn, l->channels[i], strlen(l->channels[i]));
		if (!id)
			return listen_err(l, "LISTEN");
		char sql[160];
		snprintf(sql, sizeof sql, "LISTEN %s", id);
		PQfreemem(id);
		PGresult *r = PQexec(l->conn, sql);
		int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		if (!ok)
			return listen_err(l, "LISTEN");
	}
	if (PQsetnonblocking(l->conn, 1) != 0)
		return listen_err(l, "non-blocking");
	return 0;
}

int db_pg_listen_open(const char *conninfo, const char *node, const char *const *channels, size_t n,
    struct db_listener **out)
{
	char app[DB_NODE_MAX + 32];
	struct db_listener *l = calloc(1, sizeof *l);
	if (!l || !(l->channels = calloc(n ? n : 1, sizeof *l->channels))) {
		free(l);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(l->channels[i] = strdup(channels[i]))) {
			db_listen_close(l);
			return -ENOMEM;
		}
		l->nchannels++;
	}
	*out = l;
	snprintf(app, sizeof app, "ppgd listener%s%s", node && *node ? " " : "", node ? node : "");
	l->conn = db_pg_connect(conninfo, app);
	if (!l->conn)
		return -ENOMEM;
	if (PQstatus(l->conn) != CONNECTION_OK)
		return listen_err(l, "cannot connect to PostgreSQL");
	return listen_all(l);
}

int db_listen_fd(struct db_listener *l)
{
	if (!l || !l->conn || PQstatus(l->conn) != CONNECTION_OK)
		return -1;
	return PQsocket(l->conn);
}

int db_listen_read(struct db_listener *l,
    void (*fn)(void *arg, const char *channel, const char *payload), void *arg)
{
	int count = 0;
	if (!l || !l->conn)
		return -EINVAL;
	if (!PQconsumeInput(l->conn) || PQstatus(l->conn) != CONNECTION_OK)
		return listen_err(l, "connection to PostgreSQL lost");
	/* the answer of a ping: its result, then the end of the results */
	while (l->ping_pending && !PQisBusy(l->conn)) {
		PGresult *r = PQgetResult(l->conn);
		if (!r)
			l->ping_pending = 0;
		PQclear(r);
	}
	PGnotify *nt;
	while ((nt = PQnotifies(l->conn)) != NULL) {
		fn(arg, nt->relname, nt->extra ? nt->extra : "");
		PQfreemem(nt);
		count++;
	}
	return count;
}

int db_listen_ping(struct db_listener *l)
{
	if (!l || !l->conn || PQstatus(l->conn) != CONNECTION_OK)
		return -EINVAL;
	if (l->ping_pending)
		return 0;
	if (!PQsendQuery(l->conn, "SELECT 1") || PQflush(l->conn) < 0)
		return listen_err(l, "connection to PostgreSQL lost");
	l->ping_pending = 1;
	return 0;
}

int db_listen_ping_pending(struct db_listener *l)
{
	return l ? l->ping_pending : 0;
}

int db_listen_reconnect(struct db_listener *l)
{
	if (!l || !l->conn)
		return -EINVAL;
	l->ping_pending = 0;
	/* Bounded by the connection's connect_timeout (db_pg_connect). */
	PQreset(l->conn);
	if (PQstatus(l->conn) != CONNECTION_OK)
		return listen_err(l, "cannot reconnect to PostgreSQL");
	return listen_all(l);
}

const char *db_listen_errmsg(struct db_listener *l)
{
	return l ? l->errmsg : "no listener";
}

void db_listen_close(struct db_listener *l)
{
	if (!l)
		return;
	if (l->conn)
		PQfinish(l->conn);
	for (size_t i = 0; i < l->nchannels; i++)
		free(l->channels[i]);
	free(l->channels);
	free(l);
}
