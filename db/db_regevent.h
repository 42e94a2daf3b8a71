/*
 * db_regevent.h - part of db.h (included at its end; include db.h): one reg
 * event subscription per AoR among the nodes sharing a database (schema 11,
 * table regevent_owner: the holder of each AoR's subscription and the end of
 * its lease), the AoRs that parked deliveries wait on, and the wake-up of
 * every parked delivery whose AoR is registered in one statement.
 * db_regevent.c (SQLite), db_pg_regevent.c (PostgreSQL). [writer]
 */
#ifndef DB_REGEVENT_H
#define DB_REGEVENT_H

#include <stddef.h>
#include <stdint.h>

struct db;

/*
 * node takes (or keeps) aor's subscription until `until` (ms): 1 when it
 * holds it now (nobody held it, node already did, or the holder's lease ran
 * out by now), 0 when another node holds a live lease; -errno.
 */
int db_regevent_own(struct db *db, const char *aor, const char *node, int64_t now, int64_t until);
/* node lets go of aor (NULL: of every AoR it holds): the number released, or -errno. */
int db_regevent_release(struct db *db, const char *aor, const char *node);
/* Deletes the rows whose lease ended before `before` (a node gone for good
 * leaves its rows behind; nobody holds them, and a claim inserts a row
 * again): the number deleted, or -errno. */
int db_regevent_forget(struct db *db, int64_t before);
/*
 * The AoRs (sip: and sips: keys, ascending, each > after; "" from the start)
 * that pending deliveries parked until a registration wait on, and that no
 * node holds a live lease of, besides node itself when mine is 1: at most
 * max, *out a malloc'ed array of malloc'ed strings (db_regevent_list_free).
 */
int db_regevent_wanted(struct db *db, const char *node, int mine, int64_t now, const char *after,
    size_t max, char ***out, size_t *n);
void db_regevent_list_free(char **v, size_t n);

/*
 * Makes due (next_attempt = now) at most max pending deliveries parked until
 * a registration whose target has a live binding at now: what a wake-up of
 * each registered AoR did, in one statement. The number woken, or -errno.
 */
int db_regevent_wake_registered(struct db *db, int64_t now, size_t max);
/*
 * Makes due (next_attempt = now) the pending deliveries parked until a
 * registration whose target is one of the n targets of v: the temp-gruus
 * (RFC 5627 §3.2) the registrations hold, as a push to one parks (the key up
 * to its ";gr"), whose AoR db_regevent_wake_registered cannot tell. A target
 * holding a line feed is skipped. The number woken, or -errno.
 */
int db_regevent_wake_targets(struct db *db, const char *const *v, size_t n, int64_t now);

#endif /* DB_REGEVENT_H */
