/*
 * db_subscription.h - part of db.h (included at its end; include db.h):
 * the ua-profile subscriptions terminals made and the UAProf documents
 * they name. db_subscription.c, db_pg_subscription.c.
 */
#ifndef DB_SUBSCRIPTION_H
#define DB_SUBSCRIPTION_H

#include <stddef.h>
#include <stdint.h>

struct db;

/*
 * ua-profile subscriptions with the oma-app profile type (schema 7; the
 * OMA-CD-PUSH CR on ARI §9.2.2.1): one row per dialog (call_id, remote_tag).
 * What a terminal enrolled: its push applications and its UAProf link. Times
 * in ms.
 */
struct db_subscription {
	int64_t id;
	char *aor;                  /* the subscriber's asserted identity (AoR key) */
	char *call_id;
	char *remote_tag;           /* the subscriber's From tag */
	char *contact;              /* its Contact URI, or NULL */
	char *apps;                 /* event-app-id values, comma-separated */
	char *model;                /* the UAProf link, or NULL */
	char *accept;               /* its Accept header, or NULL */
	int64_t expires;            /* absolute time the subscription ends */
	int64_t updated;
	char *node;                 /* the node id holding its dialog (schema 14), or NULL:
	                             * none known (set by db_subscription_upsert) */
};
void db_subscription_clear(struct db_subscription *s);
void db_subscription_list_free(struct db_subscription *v, size_t n);
/* Inserts or updates the subscription of (call_id, remote_tag); sets s->id.
 * From schema 14 the row names this handle's node (db_node) as the holder of
 * its dialog; s->node is not read. */
int db_subscription_upsert(struct db *db, struct db_subscription *s);
/* Deletes the subscription of (call_id, remote_tag): rows gone (>= 0). */
int db_subscription_delete(struct db *db, const char *call_id, const char *remote_tag);
/* Subscriptions alive at now: of aor (newest first), or every one (aor NULL). */
int db_subscription_list(struct db *db, const char *aor, int64_t now,
    struct db_subscription **out, size_t *n);
/* A node's start (schema 14): the dialogs of the subscriptions this handle's
 * node held in its previous run died with it (sofia-sip keeps them in
 * memory), so their rows name no holder any more (node NULL); what the
 * terminals enrolled stays. How many rows (>= 0); 0 before schema 14 or
 * without a node id. */
int db_subscription_release_node(struct db *db);
/* Deletes the subscriptions that ended at or before now: how many (>= 0). */
int db_subscription_purge(struct db *db, int64_t now);

/*
 * UAProf documents named by subscriptions (schema 7), as fetched: url, the
 * fetch time (ms), the HTTP status (or a negative errno of the fetch), the
 * document (NULL when the fetch failed or it was no UAProf document). A failed
 * fetch of a URL whose document was stored keeps that document and its status
 * (only the fetch time moves).
 */
int db_uaprof_put(struct db *db, const char *url, int64_t fetched, int status,
    const void *doc, size_t len);
/* Deletes the documents fetched before `before` that no live subscription
 * names any more: how many (>= 0). */
int db_uaprof_purge(struct db *db, int64_t before);
/* The row of url: 0 with *doc malloc'ed (NULL when none stored); -ENOENT. */
int db_uaprof_get(struct db *db, const char *url, int64_t *fetched, int *status,
    char **doc, size_t *len);

#endif /* DB_SUBSCRIPTION_H */
