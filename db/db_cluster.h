/*
 * db_cluster.h - part of db.h (included at its end; include db.h): what
 * several gateways on one database need besides the claims of db.h: the
 * fence of an attempt's writes (lease generations, schema 9), the renewal
 * of a held notification's lease, one live node per node id, and the
 * liveness of a listener connection. db_lease.c, db_pg_lease.c, db_pg_node.c.
 */
#ifndef DB_CLUSTER_H
#define DB_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct db_conf;
struct db_listener;

/*
 * The fence of a node's writes about one attempt (schema 9): every claim
 * increments the row's lease_gen (a delivery inserted leased by an accepted
 * push has generation 0). 1 when this handle's node still holds the lease of
 * generation gen (owner = db_node, or no owner, and lease_gen = gen), 0 when
 * another claim took the delivery since (another node's, or this node's own
 * later one), -ENOENT for no such delivery. Before schema 9: the owner alone.
 * PostgreSQL locks the row (FOR UPDATE) until the end of the transaction, so
 * that no claim slips in between the check and the write it guards.
 */
int db_delivery_lease_held(struct db *db, int64_t id, int64_t gen);

/*
 * Extends this node's lease of a pending notification to until, fenced as
 * db_delivery_lease_held: 1 when renewed, 0 when the lease is no longer this
 * node's (another claim took it, or it is final). A node holding claimed
 * notifications in memory renews them while they wait for their turn.
 */
int db_notification_renew(struct db *db, int64_t id, int64_t gen, int64_t until);

/*
 * Extends this node's lease of a pending delivery to until (never shortens a
 * longer one: an SMS attempt waiting for its receipt is leased past its
 * receipt timeout), fenced as
 * db_delivery_lease_held: 1 when renewed, 0 when the lease is no longer this
 * node's (another claim took it, or it is final). An attempt that runs
 * longer than a lease (a session-mode transfer) keeps its delivery this way.
 */
int db_delivery_renew(struct db *db, int64_t id, int64_t gen, int64_t until);

/*
 * One live node per node id (PostgreSQL): takes a session-level advisory
 * lock on this handle's node id, held until the handle is closed, and taken
 * again by db_reconnect (which fails while another session holds it: the
 * handle stays lost). 0; -EBUSY when another live session holds it (the
 * message names it: application_name, address, since when). SQLite, or no
 * node id: 0 (one node per file).
 */
int db_node_lock(struct db *db);
/* Who holds this handle's node id, without taking it (ppgd -t): 1 with
 * "application_name from ADDRESS since TIME" in buf, 0 when nobody does. */
int db_node_holder(struct db *db, char *buf, size_t len);
/* How many other live nodes share this database (PostgreSQL: sessions
 * holding another node id's lock, db_node_lock), or -errno. SQLite: 0. */
int db_node_others_live(struct db *db);
/* Whether node (a node id) is live: 1 when a session holds its node lock
 * (db_node_lock), 0 when none does, or -errno. SQLite: 1 for this handle's
 * own node id, else 0 (one node per file). */
int db_node_live(struct db *db, const char *node);

/*
 * An idle listener cannot tell a quiet server from a dead peer: db_listen_ping
 * sends a cheap query (once; 0, or -EIO), db_listen_read takes its answer
 * along with the notifications, and db_listen_ping_pending says whether it is
 * still awaited: one still pending a while later means the connection is
 * dead (db_listen_reconnect it).
 */
int db_listen_ping(struct db_listener *l);
int db_listen_ping_pending(struct db_listener *l);

/*
 * Wake-ups between nodes. db_notify queues a NOTIFY on channel with payload
 * (PostgreSQL: pg_notify, sent when the transaction commits; SQLite: a no-op
 * returning 0). A listener is a connection of its own (not a struct db) that
 * LISTENs on channels: its descriptor is watched by the caller (poll), and
 * db_listen_read hands each notification that arrived to fn. Any thread may
 * own a listener, one at a time.
 */
int db_notify(struct db *db, const char *channel, const char *payload);
/* -ENOTSUP for SQLite or a build without libpq; -EIO when the server cannot
 * be reached (the listener is still returned: db_listen_reconnect it later). */
int db_listen_open(const struct db_conf *conf, const char *const *channels, size_t nchannels,
    struct db_listener **out);
/* The socket to poll for reading, or -1 while disconnected. */
int db_listen_fd(struct db_listener *l);
/* Reads what arrived and calls fn for each notification; the count (>= 0),
 * or -EIO when the connection is lost. */
int db_listen_read(struct db_listener *l,
    void (*fn)(void *arg, const char *channel, const char *payload), void *arg);
/* Connects again and LISTENs again: 0, or -EIO (at most connect_timeout). */
int db_listen_reconnect(struct db_listener *l);
const char *db_listen_errmsg(struct db_listener *l);
void db_listen_close(struct db_listener *l);   /* accepts NULL */

#endif /* DB_CLUSTER_H */
