/*
 * db_pg.c - the PostgreSQL engine of db.h: the connection (libpq), errors,
 * statements prepared once per connection, parameters and text results,
 * transactions and savepoints, opening and closing.
 *
 * Durability: each connection runs with synchronous_commit = on, so a COMMIT
 * that returned is in the server's flushed WAL: the writer's group commit
 * (one transaction per batch, a savepoint per request) keeps "a 1001 means
 * stored" without db_sync, which is a no-op here.
 *
 * A statement that fails inside a PostgreSQL transaction leaves the whole
 * transaction failed until a ROLLBACK (TO SAVEPOINT): the writes of db/ that
 * may fail by design (a taken push-id, a reference to a missing row) run
 * inside db/'s own savepoint, so that the caller's batch goes on as on SQLite.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_pg_int.h"

/* ---------------------------------------------------------------- errors */

int db_pg_err(struct db *db, PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : NULL;

	if (!msg || !*msg)
		msg = PQerrorMessage(db->pg->conn);
	if (PQstatus(db->pg->conn) == CONNECTION_BAD) {
		db_set_err(db, 0, "connection to PostgreSQL lost: %.*s", (int)strcspn(msg, "\n"), msg);
		return -EIO;
	}
	db_set_err(db, 0, "%.*s", (int)strcspn(msg, "\n"), msg);
	if (!state)
		return -EIO;
	if (!strcmp(state, "23505"))
		return -EEXIST;
	if (!strcmp(state, "23503"))
		return -ENOENT;
	if (!strcmp(state, "23514") || !strcmp(state, "23502") || !strcmp(state, "22P02"))
		return -EINVAL;
	if (!strcmp(state, "53200"))
		return -ENOMEM;
	return -EIO;
}

/* ---------------------------------------------------------------- parameters */

void db_pg_p_i64(struct db_pg_params *p, int64_t x)
{
	int i = p->n++;
	int len = snprintf(p->buf[i], sizeof p->buf[i], "%lld", (long long)x);
	p->v[i] = p->buf[i];
	p->len[i] = len;
	p->fmt[i] = 0;
}

void db_pg_p_str(struct db_pg_params *p, const char *s)
{
	int i = p->n++;
	p->v[i] = s;
	p->len[i] = 0;
	p->fmt[i] = 0;
}

void db_pg_p_blob(struct db_pg_params *p, const void *b, size_t n)
{
	int i = p->n++;
	p->v[i] = b;
	p->len[i] = b ? (int)n : 0;
	p->fmt[i] = 1;
}

void db_pg_p_null(struct db_pg_params *p)
{
	db_pg_p_str(p, NULL);
}

/* ---------------------------------------------------------------- statements */

/* The count of a result: rows returned, or rows a command affected. */
static int db_pg_count(PGresult *r)
{
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		return PQntuples(r);
	const char *t = PQcmdTuples(r);
	return t && *t ? atoi(t) : 0;
}

static int db_pg_result(struct db *db, PGresult *r, PGresult **out)
{
	if (!r)
		return db_pg_err(db, NULL);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		int err = db_pg_err(db, r);
		PQclear(r);
		return err;
	}
	int n = db_pg_count(r);
	if (out)
		*out = r;
	else
		PQclear(r);
	return n;
}

int db_pg_run(struct db *db, enum db_pg_stmt id, const struct db_pg_params *p, PGresult **out)
{
	static const struct db_pg_params none;
	char name[16];

	db_check_owner(db);
	if (!p)
		p = &none;
	snprintf(name, sizeof name, "ppg%d", (int)id);
	if (!db->pg->prepared[id]) {
		PGresult *r = PQprepare(db->pg->conn, name, db_pg_sql[id], p->n, NULL);
		int rc = db_pg_result(db, r, NULL);
		if (rc < 0)
			return rc;
		db->pg->prepared[id] = 1;
	}
	PGresult *r = PQexecPrepared(db->pg->conn, name, p->n, p->v, p->len, p->fmt, 0);
	return db_pg_result(db, r, out);
}

int db_pg_run_text(struct db *db, const char *sql, const struct db_pg_params *p, PGresult **out)
{
	db_check_owner(db);
	PGresult *r = PQexecParams(db->pg->conn, sql, p->n, NULL, p->v, p->len, p->fmt, 0);
	return db_pg_result(db, r, out);
}

int db_pg_exec(struct db *db, const char *sql)
{
	db_check_owner(db);
	int rc = db_pg_result(db, PQexec(db->pg->conn, sql), NULL);
	return rc < 0 ? rc : 0;
}

/* As db_pg_exec, keeping the error message of the failure being cleaned up. */
static void db_pg_exec_quiet(struct db *db, const char *sql)
{
	char keep[DB_ERRMSG_MAX];

	memcpy(keep, db->errmsg, sizeof keep);
	db_pg_exec(db, sql);
	memcpy(db->errmsg, keep, sizeof keep);
}

static PGTransactionStatusType db_pg_txn(struct db *db)
{
	return PQtransactionStatus(db->pg->conn);
}

int db_pg_isp_begin(struct db *db)
{
	PGTransactionStatusType t = db_pg_txn(db);
	if (t == PQTRANS_UNKNOWN)
		return db_pg_err(db, NULL);
	db->pg->isp_own_txn = t == PQTRANS_IDLE;
	return db_pg_exec(db, db->pg->isp_own_txn ? "BEGIN" : "SAVEPOINT db_internal");
}

int db_pg_isp_end(struct db *db, int err)
{
	if (db->pg->isp_own_txn) {
		db->pg->isp_own_txn = 0;
		if (err == 0) {
			if (db_pg_txn(db) == PQTRANS_INERROR) {
				err = db_set_err(db, -EIO, "the transaction failed");
			} else {
				err = db_pg_exec(db, "COMMIT");
				if (err == 0)
					return 0;
			}
		}
		if (db_pg_txn(db) != PQTRANS_IDLE)
			db_pg_exec_quiet(db, "ROLLBACK");
		return err;
	}
	if (err == 0) {
		err = db_pg_exec(db, "RELEASE db_internal");
		if (err == 0)
			return 0;
	}
	db_pg_exec_quiet(db, "ROLLBACK TO db_internal");
	db_pg_exec_quiet(db, "RELEASE db_internal");
	return err;
}

/* ---------------------------------------------------------------- columns */

int64_t db_pg_i64(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

char *db_pg_str(const PGresult *r, int row, int col, int *oom)
{
	if (PQgetisnull(r, row, col))
		return NULL;
	char *c = strdup(PQgetvalue(r, row, col));
	if (!c)
		*oom = 1;
	return c;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A bytea column (text result, hex output: "\x0a1b...") as a malloc'ed
 * copy with a NUL after it; NULL for SQL NULL. */
void *db_pg_blob(const PGresult *r, int row, int col, size_t *len, int *oom)
{
	*len = 0;
	if (PQgetisnull(r, row, col))
		return NULL;
	const char *v = PQgetvalue(r, row, col);
	size_t vl = (size_t)PQgetlength(r, row, col);
	if (vl < 2 || v[0] != '\\' || v[1] != 'x') {
		*oom = 1;    /* bytea_output must be hex (set per connection) */
		return NULL;
	}
	size_t n = (vl - 2) / 2;
	unsigned char *c = malloc(n + 1);
	if (!c) {
		*oom = 1;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		int hi = hexval((unsigned char)v[2 + 2 * i]), lo = hexval((unsigned char)v[3 + 2 * i]);
		if (hi < 0 || lo < 0) {
			free(c);
			*oom = 1;
			return NULL;
		}
		c[i] = (unsigned char)(hi << 4 | lo);
	}
	c[n] = '\0';
	*len = n;
	return c;
}

int db_pg_rows(PGresult *r, size_t size, int (*read)(const PGresult *, int, void *),
    void (*clear)(void *), void **out, size_t *n)
{
	int rows = PQntuples(r), i, err = 0;
	unsigned char *v = NULL;

	*out = NULL;
	*n = 0;
	if (rows > 0) {
		v = calloc((size_t)rows, size);
		if (!v)
			err = -ENOMEM;
	}
	for (i = 0; err == 0 && i < rows; i++) {
		err = read(r, i, v + (size_t)i * size);
		if (err < 0)
			break;
	}
	PQclear(r);
	if (err < 0) {
		for (int k = 0; k < i; k++)
			clear(v + (size_t)k * size);
		free(v);
		return err;
	}
	*out = v;
	*n = (size_t)rows;
	return 0;
}

int db_pg_one(struct db *db, PGresult *r, int (*read)(const PGresult *, int, void *), void *row)
{
	int err = PQntuples(r) > 0 ? read(r, 0, row) : db_set_err(db, -ENOENT, "no such row");
	PQclear(r);
	return err;
}

/* ---------------------------------------------------------------- open, close */

static void db_pg_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;   /* NOTICEs (e.g. of IF NOT EXISTS) are not the operator's business */
}

/*
 * Connects with conninfo over ppgd's defaults, which the operator's conninfo
 * overrides key by key (PQconnectdbParams expands the dbname entry, a
 * conninfo string or URI, after them):
 *  - connect_timeout: without one, a server (or a balancer, a failed-over
 *    address) that accepts TCP but never answers holds the connecting
 *    thread for as long as TCP does: the writer's reconnection (PQreset)
 *    and with it every PAP answer. With it each host is given up after
 *    DB_PG_CONNECT_TIMEOUT_S and the writer answers 3000.
 *  - TCP keepalives and tcp_user_timeout: an idle connection (the cluster
 *    listener) whose peer vanished without a FIN or RST is noticed within
 *    about a minute instead of the kernel's two hours.
 * app: application_name (pg_stat_activity shows which node and role a
 * connection is). Never NULL but when out of memory.
 */
PGconn *db_pg_connect(const char *conninfo, const char *app)
{
	static const char *const keys[] = { "connect_timeout", "keepalives", "keepalives_idle",
		"keepalives_interval", "keepalives_count", "tcp_user_timeout", "application_name",
		"dbname", NULL };
	const char *vals[] = { DB_PG_CONNECT_TIMEOUT, "1", "30", "10", "3", "60000", app, conninfo, NULL };
	return PQconnectdbParams(keys, vals, 1);
}

int db_pg_open(const char *conninfo, int flags, int target, struct db **out)
{
	size_t elen;
	char *emsg = db_open_errbuf(&elen);
	struct db *db;
	int err;

	*out = NULL;
	if (!conninfo) {
		snprintf(emsg, elen, "no PostgreSQL conninfo");
		return -EINVAL;
	}
	db = calloc(1, sizeof *db);
	if (db)
		db->pg = calloc(1, sizeof *db->pg);
	if (!db || !db->pg) {
		free(db);
		snprintf(emsg, elen, "out of memory");
		return -ENOMEM;
	}
	db->engine = DB_ENGINE_POSTGRESQL;
	db->owner = pthread_self();
	db->readonly = !!(flags & DB_OPEN_READONLY);
	db->version = DB_SCHEMA_VERSION;
	db->wal_fd = -1;
	pthread_mutex_init(&db->sync_lock, NULL);
	db->pg->conn = db_pg_connect(conninfo, db->readonly ? "ppgd (read-only)" : "ppgd");
	if (!db->pg->conn) {
		err = db_set_err(db, -ENOMEM, "out of memory");
		goto fail;
	}
	if (PQstatus(db->pg->conn) != CONNECTION_OK) {
		const char *m = PQerrorMessage(db->pg->conn);
		err = db_set_err(db, -EIO, "cannot connect to PostgreSQL: %.*s", (int)strcspn(m, "\n"), m);
		goto fail;
	}
	PQsetNoticeProcessor(db->pg->conn, db_pg_quiet, NULL);
	/* Durable commits whatever the server's default; hex bytea (decoded by
	 * db_pg_blob); UTC is irrelevant (times are integers). */
	err = db_pg_exec(db, db->readonly
	    ? "SET synchronous_commit = on; SET bytea_output = hex;"
	      " SET default_transaction_read_only = on"
	    : "SET synchronous_commit = on; SET bytea_output = hex");
	if (err < 0)
		goto fail;
	err = db_pg_schema_upgrade(db, target);
	if (err < 0)
		goto fail;
	*out = db;
	return 0;
fail:
	snprintf(emsg, elen, "%s", db->errmsg[0] ? db->errmsg : "cannot open");
	db_pg_close(db);
	return err;
}

void db_pg_close(struct db *db)
{
	if (!db)
		return;
	if (db->pg) {
		if (db->pg->conn)
			PQfinish(db->pg->conn);
		free(db->pg);
	}
	pthread_mutex_destroy(&db->sync_lock);
	free(db);
}

int db_pg_schema_version(struct db *db)
{
	int v;
	int rc = db_pg_read_version(db, &v);
	return rc < 0 ? rc : v;
}

/* ---------------------------------------------------------------- transactions */

int db_pg_begin(struct db *db)
{
	PGTransactionStatusType t = db_pg_txn(db);
	if (t == PQTRANS_UNKNOWN)
		return db_pg_err(db, NULL);
	if (t != PQTRANS_IDLE)
		return db_set_err(db, -EINVAL, "a transaction is already open");
	int rc = db_pg_exec(db, "BEGIN");
	if (rc == 0)
		db->sp_depth = 0;
	return rc;
}

int db_pg_commit(struct db *db)
{
	PGTransactionStatusType t = db_pg_txn(db);
	if (t == PQTRANS_UNKNOWN)
		return db_pg_err(db, NULL);
	if (t == PQTRANS_IDLE)
		return db_set_err(db, -EINVAL, "no transaction is open");
	db->sp_depth = 0;
	if (t == PQTRANS_INERROR) {
		/* COMMIT would answer ROLLBACK: say it did not commit */
		db_pg_exec_quiet(db, "ROLLBACK");
		return db_set_err(db, -EIO, "the transaction failed and was rolled back");
	}
	return db_pg_exec(db, "COMMIT");
}

int db_pg_rollback(struct db *db)
{
	db->sp_depth = 0;
	PGTransactionStatusType t = db_pg_txn(db);
	if (t == PQTRANS_IDLE || t == PQTRANS_UNKNOWN)
		return 0;
	return db_pg_exec(db, "ROLLBACK");
}

int db_pg_savepoint(struct db *db)
{
	if (db_pg_txn(db) == PQTRANS_IDLE)
		return db_set_err(db, -EINVAL, "no transaction is open (db_begin first)");
	int rc = db_pg_exec(db, "SAVEPOINT s");
	if (rc == 0)
		db->sp_depth++;
	return rc;
}

int db_pg_savepoint_release(struct db *db)
{
	if (db->sp_depth == 0)
		return db_set_err(db, -EINVAL, "no savepoint is open");
	if (db_pg_txn(db) == PQTRANS_IDLE) {
		db->sp_depth = 0;
		return db_set_err(db, -EIO, "the transaction was rolled back");
	}
	int rc = db_pg_exec(db, "RELEASE s");
	if (rc == 0)
		db->sp_depth--;
	return rc;
}

int db_pg_savepoint_rollback(struct db *db)
{
	if (db->sp_depth == 0)
		return db_set_err(db, -EINVAL, "no savepoint is open");
	if (db_pg_txn(db) == PQTRANS_IDLE) {
		db->sp_depth = 0;
		return db_set_err(db, -EIO, "the transaction was rolled back");
	}
	int rc = db_pg_exec(db, "ROLLBACK TO s; RELEASE s");
	if (rc == 0)
		db->sp_depth--;
	return rc;
}
