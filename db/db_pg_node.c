/*
 * db_pg_node.c - one live node per node id on one PostgreSQL: the writer's
 * connection holds a session-level advisory lock on its node id
 * (db_node_lock), so that a second ppgd started with the same [database]
 * node_id is refused instead of sharing leases, and outcomes fenced by that
 * name, with the first. The lock lives as long as the session: a node that
 * dies (or loses its connection) lets go of it at once, and a handle that
 * reconnects takes it again before it is used (db_pg_reconnect).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db_pg_int.h"

/* The two-key advisory lock space of node ids ("ppge"); the schema steps
 * use the one-key space (db_schema_pg.c), which never meets it. */
#define DB_PG_NODE_LOCK_CLASS "1886414693"

/* Who holds the node lock of db->node: "application_name from ADDRESS
 * since TIME" into buf and 1, or 0 when nobody (or it cannot be told). */
static int holder(struct db *db, char *buf, size_t len)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;
	int held = 0;
	buf[0] = '\0';
	db_pg_p_str(&a, db->node);
	if (db_pg_run_text(db, "SELECT coalesce(s.application_name, ''), coalesce(host(s.client_addr), 'local'),"
	    " to_char(s.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM pg_locks l"
	    " JOIN pg_stat_activity s ON s.pid = l.pid WHERE l.locktype = 'advisory'"
	    " AND l.classid = " DB_PG_NODE_LOCK_CLASS " AND l.objsubid = 2 AND l.granted"
	    " AND l.objid::bigint = (hashtext($1)::bigint & 4294967295) LIMIT 1", &a, &r) < 0)
		return 0;
	if (PQntuples(r) == 1) {
		snprintf(buf, len, "%s from %s since %s UTC", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
		    PQgetvalue(r, 0, 2));
		held = 1;
	}
	PQclear(r);
	return held;
}

int db_pg_node_holder(struct db *db, char *buf, size_t len)
{
	return holder(db, buf, len);
}

int db_pg_node_others_live(struct db *db)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;
	db_pg_p_str(&a, db->node);
	int rc = db_pg_run_text(db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
	    " AND classid = " DB_PG_NODE_LOCK_CLASS " AND objsubid = 2"
	    " AND objid::bigint <> (hashtext($1)::bigint & 4294967295)", &a, &r);
	if (rc < 0)
		return rc;
	int n = PQntuples(r) == 1 ? atoi(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return n;
}

int db_pg_node_live(struct db *db, const char *node)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;
	db_pg_p_str(&a, node);
	int rc = db_pg_run_text(db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
	    " AND classid = " DB_PG_NODE_LOCK_CLASS " AND objsubid = 2"
	    " AND objid::bigint = (hashtext($1)::bigint & 4294967295)", &a, &r);
	if (rc < 0)
		return rc;
	int n = PQntuples(r) == 1 ? atoi(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return n > 0;
}

int db_pg_node_lock(struct db *db)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;

	char app[DB_NODE_MAX + 48];
	/* application_name names the holder for the message of a second one */
	snprintf(app, sizeof app, "ppgd node %s pid %ld", db->node, (long)getpid());
	db_pg_p_str(&a, db->node);
	db_pg_p_str(&a, app);
	int rc = db_pg_run_text(db, "SELECT pg_try_advisory_lock(" DB_PG_NODE_LOCK_CLASS ", hashtext($1)),"
	    " set_config('application_name', $2, false)", &a, &r);
	if (rc < 0)
		return rc;
	int got = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	if (got) {
		db->pg->node_locked = 1;
		db->pg->node_lock_lost = 0;
		return 0;
	}
	char who[256];
	holder(db, who, sizeof who);
	return db_set_err(db, -EBUSY, "node id %s is in use by another live ppgd%s%s (each node needs a "
	    "[database] node_id of its own)", db->node, who[0] ? ": " : "", who);
}
