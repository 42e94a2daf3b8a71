/*
 * db_regevent.c - the holders of reg event subscriptions (schema 11), the
 * AoRs parked deliveries wait on, and the wake-up of every registered AoR's
 * parked deliveries (db_regevent.h), on SQLite; PostgreSQL in
 * db_pg_regevent.c. These run a few times a lease period, not per push: the
 * statements are prepared per call instead of taking places in the cache.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

/* "never": a delivery parked until a registration of its target (PPG_NEVER) */
#define DB_REGEV_NEVER "9223372036854775807"

static const char sql_own[] =
	"INSERT INTO regevent_owner (aor, node, lease_until) VALUES (?1, ?2, ?4)"
	" ON CONFLICT (aor) DO UPDATE SET node = excluded.node, lease_until = excluded.lease_until"
	" WHERE regevent_owner.node = excluded.node OR regevent_owner.lease_until <= ?3";
static const char sql_release[] = "DELETE FROM regevent_owner WHERE node = ?1 AND aor = ?2";
static const char sql_release_all[] = "DELETE FROM regevent_owner WHERE node = ?1";
static const char sql_forget[] = "DELETE FROM regevent_owner WHERE lease_until < ?1";
static const char sql_wanted[] =
	"SELECT DISTINCT d.target FROM delivery d LEFT JOIN regevent_owner o ON o.aor = d.target"
	" WHERE d.state = 1 AND d.target IS NOT NULL AND d.next_attempt = " DB_REGEV_NEVER
	" AND d.target > ?4 AND (d.target LIKE 'sip:%' OR d.target LIKE 'sips:%')"
	" AND (o.aor IS NULL OR o.lease_until <= ?3 OR (?2 AND o.node = ?1))"
	" ORDER BY d.target LIMIT ?5";
static const char sql_wake[] =
	"UPDATE delivery SET next_attempt = ?1 WHERE id IN (SELECT d.id FROM delivery d"
	" WHERE d.state = 1 AND d.target IS NOT NULL AND d.next_attempt = " DB_REGEV_NEVER
	" AND EXISTS (SELECT 1 FROM binding b WHERE b.aor = d.target AND b.expires > ?1) LIMIT ?2)";

static const char sql_wake_target[] =
	"UPDATE delivery SET next_attempt = ?1 WHERE state = 1 AND target = ?2"
	" AND next_attempt = " DB_REGEV_NEVER;

static int prep(struct db *db, const char *sql, sqlite3_stmt **st)
{
	db_check_owner(db);
	int rc = sqlite3_prepare_v2(db->sq, sql, -1, st, NULL);
	return rc == SQLITE_OK ? 0 : db_sqlite_err(db, rc);
}

/* Steps st to its end: the rows changed, or -errno. Finalizes st. */
static int run_changes(struct db *db, sqlite3_stmt *st, int rc)
{
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	int r = rc == SQLITE_DONE ? sqlite3_changes(db->sq) : db_sqlite_err(db, rc);
	sqlite3_finalize(st);
	return r;
}

int db_regevent_own(struct db *db, const char *aor, const char *node, int64_t now, int64_t until)
{
	sqlite3_stmt *st = NULL;
	if (!db || !aor || !*aor || !node)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_regevent_own(db, aor, node, now, until));
	int rc = prep(db, sql_own, &st);
	if (rc < 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_text(st, 1, aor, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_text(st, 2, node, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int64(st, 3, now));
	DB_BIND(rc, sqlite3_bind_int64(st, 4, until));
	rc = run_changes(db, st, rc);
	return rc < 0 ? rc : rc > 0;
}

int db_regevent_release(struct db *db, const char *aor, const char *node)
{
	sqlite3_stmt *st = NULL;
	if (!db || !node)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	DB_PG_DISPATCH(db, db_pg_regevent_release(db, aor, node));
	int rc = prep(db, aor ? sql_release : sql_release_all, &st);
	if (rc < 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_text(st, 1, node, -1, SQLITE_STATIC));
	if (aor)
		DB_BIND(rc, sqlite3_bind_text(st, 2, aor, -1, SQLITE_STATIC));
	return run_changes(db, st, rc);
}

int db_regevent_forget(struct db *db, int64_t before)
{
	sqlite3_stmt *st = NULL;
	if (!db)
		return -EINVAL;
	DB_PG_DISPATCH(db, db_pg_regevent_forget(db, before));
	int rc = prep(db, sql_forget, &st);
	if (rc < 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_int64(st, 1, before));
	return run_changes(db, st, rc);
}

void db_regevent_list_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int db_regevent_wanted(struct db *db, const char *node, int mine, int64_t now, const char *after,
    size_t max, char ***out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	if (!db || !node || !after || !out || !n)
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	*out = NULL;
	*n = 0;
	if (!max)
		return 0;
	DB_PG_DISPATCH(db, db_pg_regevent_wanted(db, node, mine, now, after, max, out, n));
	int rc = prep(db, sql_wanted, &st);
	if (rc < 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_text(st, 1, node, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int(st, 2, mine ? 1 : 0));
	DB_BIND(rc, sqlite3_bind_int64(st, 3, now));
	DB_BIND(rc, sqlite3_bind_text(st, 4, after, -1, SQLITE_STATIC));
	DB_BIND(rc, sqlite3_bind_int64(st, 5, db_limit(max)));
	char **v = rc == SQLITE_OK ? calloc(max, sizeof *v) : NULL;
	if (rc == SQLITE_OK && !v)
		rc = SQLITE_NOMEM;
	size_t k = 0;
	while (rc == SQLITE_OK && k < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int oom = 0;
		if (!(v[k] = db_col_str(st, 0, &oom)) || oom) {
			rc = SQLITE_NOMEM;
			break;
		}
		k++;
		rc = SQLITE_OK;
	}
	if (rc == SQLITE_DONE || rc == SQLITE_OK) {
		sqlite3_finalize(st);
		*out = v;
		*n = k;
		return 0;
	}
	rc = rc == SQLITE_NOMEM ? -ENOMEM : db_sqlite_err(db, rc);
	sqlite3_finalize(st);
	db_regevent_list_free(v, k);
	return rc;
}

int db_regevent_wake_registered(struct db *db, int64_t now, size_t max)
{
	sqlite3_stmt *st = NULL;
	if (!db)
		return -EINVAL;
	if (!max)
		return 0;
	DB_PG_DISPATCH(db, db_pg_regevent_wake_registered(db, now, max));
	int rc = prep(db, sql_wake, &st);
	if (rc < 0)
		return rc;
	rc = SQLITE_OK;
	DB_BIND(rc, sqlite3_bind_int64(st, 1, now));
	DB_BIND(rc, sqlite3_bind_int64(st, 2, db_limit(max)));
	return run_changes(db, st, rc);
}

int db_regevent_wake_targets(struct db *db, const char *const *v, size_t n, int64_t now)
{
	sqlite3_stmt *st = NULL;
	if (!db || (n && !v))
		return db ? db_set_err(db, -EINVAL, "bad argument") : -EINVAL;
	if (!n)
		return 0;
	DB_PG_DISPATCH(db, db_pg_regevent_wake_targets(db, v, n, now));
	/* one lookup of the index delivery_waiting per target */
	int rc = prep(db, sql_wake_target, &st), woken = 0;
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n && rc >= 0; i++) {
		if (!v[i] || strchr(v[i], '\n'))
			continue;
		sqlite3_reset(st);
		rc = SQLITE_OK;
		DB_BIND(rc, sqlite3_bind_int64(st, 1, now));
		DB_BIND(rc, sqlite3_bind_text(st, 2, v[i], -1, SQLITE_STATIC));
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		if (rc != SQLITE_DONE) {
			rc = db_sqlite_err(db, rc);
			break;
		}
		woken += sqlite3_changes(db->sq);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc < 0 ? rc : woken;
}
