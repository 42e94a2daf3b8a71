/*
 * db_keys.c - what lets any node of several on one PostgreSQL (or this node
 * after a restart) act on a key another attempt handed out: the content a
 * content-indirection token stands for (db_content_token_get) and the
 * delivery of an SMSC message id whose receipt came (db_sms_message_take).
 * SQLite here; PostgreSQL in db_pg_keys.c. The rows themselves are written
 * by db_content_token_add and db_sms_message_add (db_lease.c).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

int db_content_token_get(struct db *db, const char *token, int64_t not_before, int64_t *delivery,
    char **ctype, void **body, size_t *len)
{
	sqlite3_stmt *st = NULL;
	if (!db)
		return -EINVAL;
	if (!token || !*token || !delivery || !ctype || !body || !len)
		return db_set_err(db, -EINVAL, "bad argument");
	*ctype = NULL;
	*body = NULL;
	*len = 0;
	if (db->version < 6)
		return db_set_err(db, -ENOENT, "schema %d has no content tokens", db->version);
	DB_PG_DISPATCH(db, db_pg_content_token_get(db, token, not_before, delivery, ctype, body, len));
	int rc = db_prep(db, DB_ST_TOKEN_GET, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, not_before);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		db_done(st);
		return db_set_err(db, -ENOENT, "unknown or withdrawn token");
	}
	if (rc != SQLITE_ROW) {
		db_done(st);
		return db_sqlite_err(db, rc);
	}
	int oom = 0;
	*delivery = sqlite3_column_int64(st, 0);
	*ctype = db_col_str(st, 1, &oom);
	*body = db_col_blob(st, 2, len, &oom);
	if (!*body && !oom)
		*body = calloc(1, 1);   /* an empty entity */
	db_done(st);
	if (oom || !*body) {
		free(*ctype);
		free(*body);
		*ctype = NULL;
		*body = NULL;
		return db_set_err(db, -ENOMEM, "out of memory");
	}
	return 0;
}

int db_sms_message_take(struct db *db, const char *msgid, int64_t *delivery, int64_t *remaining)
{
	sqlite3_stmt *st = NULL;
	if (!db)
		return -EINVAL;
	if (!msgid || !*msgid || !delivery || !remaining)
		return db_set_err(db, -EINVAL, "bad argument");
	if (db->version < 6)
		return db_set_err(db, -ENOTSUP, "schema %d has no message ids", db->version);
	DB_PG_DISPATCH(db, db_pg_sms_message_take(db, msgid, delivery, remaining));
	int rc = db_prep(db, DB_ST_SMS_GET, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, msgid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		db_done(st);
		return rc == SQLITE_DONE ? db_set_err(db, -ENOENT, "unknown message id") : db_sqlite_err(db, rc);
	}
	*delivery = sqlite3_column_int64(st, 0);
	int64_t attempt = sqlite3_column_int64(st, 1);
	db_done(st);
	if ((rc = db_prep(db, DB_ST_SMS_DELETE, &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, msgid, -1, SQLITE_STATIC);
	if ((rc = db_step_done(db, st)) < 0)
		return rc;
	if ((rc = db_prep(db, DB_ST_SMS_REMAINING, &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, *delivery);
	sqlite3_bind_int64(st, 2, attempt);
	return db_step_int64(db, st, remaining);
}
