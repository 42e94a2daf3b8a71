/*
 * test_db_pg.h - a PostgreSQL server of the tests' own: initdb into a
 * temporary directory, pg_ctl start on a Unix socket in it (no TCP, no system
 * service), databases created on demand, stopped and removed at the end.
 * Run as root, the server runs as the user postgres (initdb refuses root).
 */
#ifndef TEST_DB_PG_H
#define TEST_DB_PG_H

struct tpg;

/* Whether the server binaries (initdb, pg_ctl) and libpq are there; when not,
 * *why says what to install. PG_BINDIR overrides /usr/lib/postgresql/15/bin. */
int tpg_available(const char **why);
/* Starts a server; NULL (with a message on stderr) on failure. */
struct tpg *tpg_start(void);
/* Creates database name when it does not exist yet and returns a conninfo
 * for it (a static buffer, valid until the next call). NULL on failure. */
const char *tpg_conninfo(struct tpg *pg, const char *name);
/* Runs SQL on database name as the superuser; 0 or -1 (message on stderr). */
int tpg_sql(struct tpg *pg, const char *name, const char *sql);
/* Stops the server (fast: connections are ended) keeping its data, and
 * starts it again on the same socket. 0 or -1. */
int tpg_pause(struct tpg *pg);
int tpg_resume(struct tpg *pg);
/* The one integer a query of database name returns, or -1. */
long long tpg_query_int(struct tpg *pg, const char *name, const char *sql);
/* Stops the server (immediate) and removes its directory. Accepts NULL. */
void tpg_stop(struct tpg *pg);

#endif /* TEST_DB_PG_H */
