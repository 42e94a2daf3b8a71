/*
 * db_row.c - reading rows: states, columns as owned strings and blobs, one
 * row or all rows of a statement into caller structs.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

/* ---------------------------------------------------------------- rows */

int db_state_is_final(int state)
{
	return state >= DB_STATE_DELIVERED && state <= DB_STATE_REJECTED;
}

int db_state_valid(int state)
{
	return state >= DB_STATE_UNKNOWN && state <= DB_STATE_INFLIGHT;
}
/* Copies of column values: the statement's memory is gone at the next step. */
char *db_col_str(sqlite3_stmt *st, int i, int *oom)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	if (!s) {
		if (sqlite3_column_type(st, i) != SQLITE_NULL)
			*oom = 1;
		return NULL;
	}
	char *c = strdup((const char *)s);
	if (!c)
		*oom = 1;
	return c;
}

/* A BLOB column as a malloc'ed copy with a NUL after it; NULL for SQL NULL. */
void *db_col_blob(sqlite3_stmt *st, int i, size_t *len, int *oom)
{
	*len = 0;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	const void *b = sqlite3_column_blob(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);
	unsigned char *c = malloc(n + 1);
	if (!c || (n && !b)) {
		free(c);
		*oom = 1;
		return NULL;
	}
	if (n)
		memcpy(c, b, n);
	c[n] = '\0';
	*len = n;
	return c;
}

/* Steps a bound statement for exactly one row into *row. */
int db_fetch_one(struct db *db, sqlite3_stmt *st, int (*read)(sqlite3_stmt *, void *),
    void *row)
{
	int rc = sqlite3_step(st);
	int err;

	if (rc == SQLITE_ROW)
		err = read(st, row);
	else if (rc == SQLITE_DONE)
		err = db_set_err(db, -ENOENT, "no such row");
	else
		err = db_sqlite_err(db, rc);
	db_done(st);
	return err;
}

/* Steps a bound statement into a malloc'ed array of rows of `size` bytes. */
int db_fetch_all(struct db *db, sqlite3_stmt *st, size_t size,
    int (*read)(sqlite3_stmt *, void *), void (*clear)(void *), void **out, size_t *n)
{
	unsigned char *v = NULL;
	size_t cap = 0, len = 0;
	int rc, err = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			unsigned char *nv = realloc(v, ncap * size);
			if (!nv) {
				err = -ENOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		err = read(st, v + len * size);
		if (err < 0)
			break;
		len++;
	}
	if (err == 0 && rc != SQLITE_DONE)
		err = db_sqlite_err(db, rc);
	db_done(st);
	if (err < 0) {
		for (size_t i = 0; i < len; i++)
			clear(v + i * size);
		free(v);
		return err;
	}
	if (len == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = len;
	return 0;
}

int64_t db_limit(size_t max)
{
	return max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max;
}
