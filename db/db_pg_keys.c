/*
 * db_pg_keys.c - db_keys.c on PostgreSQL: the content of a token for a fetch
 * on any node, and the receipt of an SMSC message id taken on any node (the
 * delivery's row locked first, so that two nodes taking its last two
 * segments at once serialize: the second sees the first's removal).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_pg_int.h"

int db_pg_content_token_get(struct db *db, const char *token, int64_t not_before, int64_t *delivery,
    char **ctype, void **body, size_t *len)
{
	struct db_pg_params a = { 0 };
	PGresult *r = NULL;
	db_pg_p_str(&a, token);
	db_pg_p_i64(&a, not_before);
	int rc = db_pg_run(db, PG_TOKEN_GET, &a, &r);
	if (rc < 0)
		return rc;
	if (PQntuples(r) < 1) {
		PQclear(r);
		return db_set_err(db, -ENOENT, "unknown or withdrawn token");
	}
	int oom = 0;
	*delivery = db_pg_i64(r, 0, 0);
	*ctype = PQgetisnull(r, 0, 1) ? NULL : strdup(PQgetvalue(r, 0, 1));
	oom = !PQgetisnull(r, 0, 1) && !*ctype;
	*body = db_pg_blob(r, 0, 2, len, &oom);
	if (!*body && !oom)
		*body = calloc(1, 1);   /* an empty entity */
	PQclear(r);
	if (oom || !*body) {
		free(*ctype);
		free(*body);
		*ctype = NULL;
		*body = NULL;
		return db_set_err(db, -ENOMEM, "out of memory");
	}
	return 0;
}

int db_pg_sms_message_take(struct db *db, const char *msgid, int64_t *delivery, int64_t *remaining)
{
	struct db_pg_params a = { 0 }, b = { 0 };
	PGresult *r = NULL;
	db_pg_p_str(&a, msgid);
	int rc = db_pg_run(db, PG_SMS_GET, &a, &r);
	if (rc < 0)
		return rc;
	if (PQntuples(r) < 1) {
		PQclear(r);
		return db_set_err(db, -ENOENT, "unknown message id");
	}
	*delivery = db_pg_i64(r, 0, 0);
	int64_t attempt = db_pg_i64(r, 0, 1);
	PQclear(r);
	r = NULL;
	db_pg_p_i64(&b, *delivery);
	if ((rc = db_pg_run(db, PG_SMS_LOCK, &b, NULL)) < 0)
		return rc;
	if ((rc = db_pg_run(db, PG_SMS_DELETE, &a, NULL)) < 0)
		return rc;
	if (rc == 0)   /* another node took it while this one waited for the lock */
		return db_set_err(db, -ENOENT, "message id %s taken meanwhile", msgid);
	db_pg_p_i64(&b, attempt);
	if ((rc = db_pg_run(db, PG_SMS_REMAINING, &b, &r)) < 0)
		return rc;
	*remaining = PQntuples(r) > 0 ? db_pg_i64(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}
