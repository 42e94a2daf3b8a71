/*
 * db_pg_regevent.c - db_regevent.h on PostgreSQL: the same statements as
 * db_regevent.c in PostgreSQL's dialect. Argument checks are done by
 * db_regevent.c before it dispatches here. The wake-up repeats its
 * conditions on the outer UPDATE: under READ COMMITTED a row that another
 * node claimed between the subquery and the update is checked again and
 * left alone (its lease is live), instead of being made due a second time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_pg_int.h"

#define PG_REGEV_NEVER "9223372036854775807"

int db_pg_regevent_own(struct db *db, const char *aor, const char *node, int64_t now, int64_t until)
{
	struct db_pg_params a = { 0 };
	db_pg_p_str(&a, aor);
	db_pg_p_str(&a, node);
	db_pg_p_i64(&a, now);
	db_pg_p_i64(&a, until);
	int rc = db_pg_run_text(db,
	    "INSERT INTO regevent_owner (aor, node, lease_until) VALUES ($1, $2, $4::bigint)"
	    " ON CONFLICT (aor) DO UPDATE SET node = excluded.node, lease_until = excluded.lease_until"
	    " WHERE regevent_owner.node = excluded.node OR regevent_owner.lease_until <= $3::bigint",
	    &a, NULL);
	return rc < 0 ? rc : rc > 0;
}

int db_pg_regevent_release(struct db *db, const char *aor, const char *node)
{
	struct db_pg_params a = { 0 };
	db_pg_p_str(&a, node);
	if (aor)
		db_pg_p_str(&a, aor);
	return db_pg_run_text(db, aor ? "DELETE FROM regevent_owner WHERE node = $1 AND aor = $2" :
	    "DELETE FROM regevent_owner WHERE node = $1", &a, NULL);
}

int db_pg_regevent_forget(struct db *db, int64_t before)
{
	struct db_pg_params a = { 0 };
	db_pg_p_i64(&a, before);
	return db_pg_run_text(db, "DELETE FROM regevent_owner WHERE lease_until < $1::bigint", &a, NULL);
}

int db_pg_regevent_wanted(struct db *db, const char *node, int mine, int64_t now, const char *after,
    size_t max, char ***out, size_t *n)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;
	db_pg_p_str(&a, node);
	db_pg_p_i64(&a, mine ? 1 : 0);
	db_pg_p_i64(&a, now);
	db_pg_p_str(&a, after);
	db_pg_p_i64(&a, db_limit(max));
	int rc = db_pg_run_text(db,
	    "SELECT DISTINCT d.target FROM delivery d LEFT JOIN regevent_owner o ON o.aor = d.target"
	    " WHERE d.state = 1 AND d.target IS NOT NULL AND d.next_attempt = " PG_REGEV_NEVER
	    " AND d.target > $4 AND (d.target LIKE 'sip:%' OR d.target LIKE 'sips:%')"
	    " AND (o.aor IS NULL OR o.lease_until <= $3::bigint OR ($2::integer <> 0 AND o.node = $1))"
	    " ORDER BY d.target LIMIT $5::bigint", &a, &r);
	if (rc < 0)
		return rc;
	int rows = PQntuples(r);
	char **v = rows > 0 ? calloc((size_t)rows, sizeof *v) : NULL;
	if (rows > 0 && !v) {
		PQclear(r);
		return -ENOMEM;
	}
	for (int i = 0; i < rows; i++) {
		int oom = 0;
		if (!(v[i] = db_pg_str(r, i, 0, &oom)) || oom) {
			PQclear(r);
			db_regevent_list_free(v, (size_t)i);
			return -ENOMEM;
		}
	}
	PQclear(r);
	*out = v;
	*n = (size_t)rows;
	return 0;
}

int db_pg_regevent_wake_registered(struct db *db, int64_t now, size_t max)
{
	struct db_pg_params a = { 0 };
	db_pg_p_i64(&a, now);
	db_pg_p_i64(&a, db_limit(max));
	return db_pg_run_text(db,
	    "UPDATE delivery SET next_attempt = $1::bigint WHERE id = ANY (ARRAY(SELECT d.id FROM delivery d"
	    " WHERE d.state = 1 AND d.target IS NOT NULL AND d.next_attempt = " PG_REGEV_NEVER
	    " AND EXISTS (SELECT 1 FROM binding b WHERE b.aor = d.target AND b.expires > $1::bigint)"
	    " LIMIT $2::bigint)) AND state = 1 AND next_attempt = " PG_REGEV_NEVER, &a, NULL);
}

int db_pg_regevent_wake_targets(struct db *db, const char *const *v, size_t n, int64_t now)
{
	struct db_pg_params a = { 0 };
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		if (v[i] && !strchr(v[i], '\n'))
			len += strlen(v[i]) + 1;
	char *list = malloc(len), *at = list;
	if (!list)
		return -ENOMEM;
	/* one parameter, the targets a line each: no array literal to quote */
	for (size_t i = 0; i < n; i++)
		if (v[i] && !strchr(v[i], '\n'))
			at += sprintf(at, "%s%s", at == list ? "" : "\n", v[i]);
	*at = '\0';
	if (at == list) {
		free(list);
		return 0;
	}
	db_pg_p_i64(&a, now);
	db_pg_p_str(&a, list);
	int rc = db_pg_run_text(db,
	    "UPDATE delivery SET next_attempt = $1::bigint WHERE state = 1 AND next_attempt = "
	    PG_REGEV_NEVER " AND target = ANY (string_to_array($2::text, E'\\n'))", &a, NULL);
	free(list);
	return rc;
}
