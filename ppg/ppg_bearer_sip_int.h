/*
 * ppg_bearer_sip_int.h - the SIP Push bearer's private state, shared by
 * ppg_bearer_sip.c (attempts: MESSAGE, content indirection, responses) and
 * ppg_bearer_sip_reg.c (third-party REGISTER and the binding cache). [loop]
 */
#ifndef PPG_BEARER_SIP_INT_H
#define PPG_BEARER_SIP_INT_H

#include "ppg/ppg_bearer.h"

#include "db/db.h"
#include "ppg/ppg_stats.h"
#include "sipbearer/sipb.h"

#define SIP_BINDING_BUCKETS 4096
#define SIP_TGRUU_BUCKETS 4096        /* temp-gruu keys of the cached bindings */
#define SIP_FETCH_BUCKETS 1024
#define SIP_PURGE_INTERVAL_MS 60000   /* expired bindings leave the database */
#define SIP_MAX_AORS 16               /* AoRs woken per REGISTER */
#define SIP_NSUB_BUCKETS 1024         /* live ua-profile subscriptions, by AoR */

/* What a terminal (a binding) told besides its REGISTER (ppg_bearer_sip_select.c). */
struct sip_tcaps {
	char *accept;                    /* content types it takes, comma-separated: its
	                                  * subscriptions' Accept and its UAProf Push-Accept;
	                                  * NULL: it did not say (it takes any) */
	char *apps;                      /* event-app-ids of its subscriptions, or NULL */
	char *appids;                    /* the Push-Accept-AppID list of its UAProf
	                                  * document, comma-separated; NULL: it did not
	                                  * say (it runs what it registered) */
	char *model;                     /* the UAProf link of its subscriptions, or NULL */
};

struct ppg_regevent;
struct ppg_regown;

struct sip_tgent {                   /* one temp-gruu key of a cache entry */
	struct sip_tgent *next;          /* chain of sip_bearer.tgruu */
	const char *key;                 /* in its entry's tkeys */
	struct sip_bentry *be;
};

struct sip_bentry {                  /* the live bindings of one AoR */
	struct db_binding *v;            /* newest first */
	size_t n;
	struct sip_tcaps *caps;          /* n, beside v; NULL when no subscription tells more */
	struct sip_bentry *next;
	char *tkeys;                     /* its temp-gruu keys, NUL-separated, or NULL */
	struct sip_tgent *tents;         /* ntents index entries, one per key */
	size_t ntents;
	char aor[];                      /* one allocation with the entry */
};

/* One attempt: one MESSAGE, or one per terminal. */
struct sip_attempt {
	struct sip_bearer *s;
	struct ppg_bearer_attempt *a;    /* NULL once the engine let go of it */
	int64_t delivery;
	int outstanding;                 /* MESSAGEs without a final response */
	int best;                        /* best final status so far (RFC 3261 §16.7) */
	char phrase[64];
	int local;
	int retry_after;
	int indirect;
	int fetched;
	int awaiting_fetch;
	char token[PPG_TOKEN_LEN + 1];   /* "" when no content was registered */
	su_timer_t *fetch_timer;
	int session;                     /* an INVITE + MSRP session is under way */
	int notify;                      /* sent as NOTIFY within subscriptions */
	int notify_gone;                 /* NOTIFYs whose subscription was gone */
	struct sip_attempt *next;        /* chain of the fetch table, by delivery */
};

struct sip_bearer {
	struct ppg_bearer base;          /* first */
	struct sipb *sip;
	const struct ppg_config *cfg;
	struct ppg_core *core;
	su_root_t *root;
	struct ppg_content *content;
	char content_base[300];          /* "http://127.0.0.1:8080/content/" */
	unsigned messages;               /* MESSAGEs outstanding */
	struct sip_attempt *by_delivery[SIP_FETCH_BUCKETS];
	struct sip_bentry *bindings[SIP_BINDING_BUCKETS];
	struct sip_tgent *tgruu[SIP_TGRUU_BUCKETS];   /* temp-gruu key -> cache entry */
	su_timer_t *purge_timer;
	int purge_pending;
	int stopping;
	struct ppg_regevent *regevent;   /* reg event subscriptions, or NULL */
	struct ppg_regown *regown;       /* who holds them in a cluster, or NULL */
	struct ppg_uaprof *uaprof;       /* fetches the UAProf documents subscriptions name, or NULL */
	struct sip_nsub *nsubs[SIP_NSUB_BUCKETS];   /* live subscription dialogs (NOTIFY push) */
	struct ppg_stats_hist accept_to_send;  /* fresh pushes: request received -> MESSAGE handed to SIP */
};

/* ppg_bearer_sip_tls.c: the directory sofia-sip reads its TLS files from
 * (agent.pem: [sip] tls_certificate then tls_key; cafile.pem: tls_ca_file),
 * made in a new private temporary directory; *dir malloc'ed. 0, or -errno
 * with the reason in err. */
int ppg_bearer_sip_tls_dir(const struct ppg_config *cfg, char **dir, char *err, size_t errlen);
/* Removes that directory and its files, frees dir. NULL is accepted. */
void ppg_bearer_sip_tls_dir_remove(char *dir);

/* ppg_bearer_sip_tls.c: a request (method "MESSAGE", "INVITE") ended
 * with status: when it is the local 503 of a core reached over TLS, logs
 * why that may be (rate-limited). */
void ppg_bearer_sip_tls_failed(struct sip_bearer *s, const char *method, int status, int local,
    const char *phrase);

/* ppg_bearer_sip.c: one attempt of a; mode SIP_MODE_PAGER_ONLY: never a
 * session nor a NOTIFY (the fallback after a session refused 488/606);
 * SIP_MODE_NO_NOTIFY: no NOTIFY (none could go), a session may;
 * SIP_MODE_NOTIFY_REFUSED: the same, and subscriptions that enrolled the
 * application refused its content type (nothing else left: 2005). */
#define SIP_MODE_ANY 0
#define SIP_MODE_PAGER_ONLY 1
#define SIP_MODE_NO_NOTIFY 2
#define SIP_MODE_NOTIFY_REFUSED 3
void ppg_bearer_sip_send_mode(struct sip_bearer *s, struct ppg_bearer_attempt *a, int mode);
/* ppg_bearer_sip.c: drops an attempt's state and frees it. */
void ppg_bearer_sip_attempt_free(struct sip_attempt *t);
/* [loop] The pager-mode MESSAGEs of t, with the URL of t->token when set
 * (ppg_bearer_sip.c). */
void ppg_bearer_sip_pager_send(struct sip_attempt *t);
/* [loop] Content indirection on every node (ppg_bearer_sip_content.c):
 * stores t->token (registered in this node's table) in the database and
 * sends the MESSAGEs once it is committed; withdraw deletes the stored
 * tokens of a delivery whose attempt ended. */
void ppg_bearer_sip_content_store(struct sip_attempt *t);
void ppg_bearer_sip_content_withdraw(struct sip_bearer *s, int64_t delivery);

/* ppg_bearer_sip_session.c: session-mode push (OMA-TS-SIP_Push §9.3). */
/* Does push p go in a session (size, application, delivery-method)? Writes
 * why into why. */
int ppg_bearer_sip_wants_session(const struct sip_bearer *s, const struct ppg_push *p, char *why,
    size_t len);
/* Starts the session of attempt t to binding v (request_uri, route as for
 * a MESSAGE); every path ends in one report. */
void ppg_bearer_sip_session_send(struct sip_attempt *t, const char *ruri, const char *to,
    const char *route, const char *why);
/* The sipb session result callback. */
void ppg_bearer_sip_on_session(void *arg, const struct sipb_session_result *r);

/* ppg_bearer_sip.c: a new attempt state for a, linked by its delivery
 * (a->priv); NULL when out of memory. */
struct sip_attempt *ppg_bearer_sip_attempt_new(struct sip_bearer *s, struct ppg_bearer_attempt *a);
/* ppg_bearer_sip.c: every request of t has its final answer (t->best ...):
 * the outcome, or the wait for the indirect content's fetch. */
void ppg_bearer_sip_finish(struct sip_attempt *t);

/* ppg_bearer_sip_notify.c: pushes as NOTIFY within ua-profile subscriptions
 * (seed 003 §9.1.4; [sip] notify_push). */
/* Remembers (expires > 0) or forgets a subscription dialog of aor with its
 * comma-separated applications, the subscriber's Contact and Accept (NULL:
 * it did not say). */
void ppg_bearer_sip_notify_track(struct sip_bearer *s, const char *aor, const char *call_id,
    const char *remote_tag, const char *apps, const char *contact, const char *accept, int expires);
/* Would push p to aor (gruu: the terminal the address names, or NULL) go as
 * NOTIFY (a live subscription enrolled its application and takes its type)? */
int ppg_bearer_sip_notify_live(struct sip_bearer *s, const char *aor, const char *gruu,
    const struct ppg_push *p);
/* Sends attempt a as NOTIFY in the live subscriptions of aor that enrolled
 * its application and take its content type, chosen by the terminal policy
 * (README "Pushes as NOTIFY"): 1 when it did (one report later), 0 when
 * none fits (nothing done; *nrefused: how many enrolled the application
 * but do not take the type). */
int ppg_bearer_sip_notify_send(struct sip_bearer *s, struct ppg_bearer_attempt *a, const char *aor,
    const char *gruu, size_t *nrefused);
/* [loop] The NOTIFYs of t (t->notify) once its content token is stored
 * (ppg_bearer_sip_content.c): the subscriptions are chosen again. */
void ppg_bearer_sip_notify_go(struct sip_attempt *t);
/* ppg_bearer.take: another node parked pushes of an AoR for subscription
 * dialogs it does not hold (PPG_CLUSTER_TAKE, what = "AOR HOLDER CALL-ID TAG
 * [CALL-ID TAG ...]", none: any live one of the AoR): when HOLDER is this
 * node and one of those is live here, they are woken and claimed here. */
void ppg_bearer_sip_take(struct ppg_bearer *b, const char *what);
/* ppg_bearer_sip_handoff.c: the PPG_CLUSTER_TAKE payloads naming the n
 * dialogs (call_id[i], tag[i]) held by node[i]: "AOR HOLDER CALL-ID TAG ..."
 * of at most max bytes each, one holder's dialogs in order, as many as they
 * need; a dialog too long for one, or whose Call-ID holds a space, adds
 * the bare "AOR HOLDER" (any live dialog of the AoR). Each ended by a NUL,
 * the list by an empty one;
 * malloc'ed, or NULL (out of memory, or no payload). [any] */
char *ppg_bearer_sip_take_payloads(const char *aor, const char *const *node, const char *const *call_id,
    const char *const *tag, size_t n, size_t max);
/* ppg_bearer_sip_handoff.c: no live dialog here fits attempt a (nrefused of
 * them refused its type): when another node stored a subscription of aor
 * that takes it, the delivery is parked and handed to that node (1, one
 * report later); else the attempt goes the other ways (1), or 0 (one node,
 * out of memory: nothing done). */
int ppg_bearer_sip_handoff(struct sip_bearer *s, struct ppg_bearer_attempt *a, const char *aor,
    size_t nrefused);
/* The sipb push NOTIFY result callback. */
void ppg_bearer_sip_on_notify(void *arg, const struct sipb_notify_result *r);
/* Forgets every tracked subscription (shutdown). */
void ppg_bearer_sip_notify_free(struct sip_bearer *s);

/* ppg_bearer_sip_reg.c */
/* Queues the load of the stored bindings (the first batch; before any push runs). */
int ppg_bearer_sip_reg_start(struct sip_bearer *s);
void ppg_bearer_sip_reg_stop(struct sip_bearer *s);
void ppg_bearer_sip_reg_free(struct sip_bearer *s);
int ppg_bearer_sip_reg_on_register(void *arg, struct sipb_binding *b, size_t n,
    const struct sockaddr *from, struct sipb_reg *pending);
int ppg_bearer_sip_reg_trusted(void *arg, const char *method, const struct sockaddr *from);
/* Stores the n bindings of b (at most SIPB_MAX_BINDINGS) as a REGISTER's:
 * the cache takes the AoRs' bindings and the deliveries waiting on them
 * are woken once durable; then pending is answered, or (pending NULL)
 * done(done_arg, ok) is called; b stays valid until then. Returns
 * SIPB_REGISTER_LATER (on its way), or a status: 400 (an AoR that is no
 * sip:/sips:/tel: URI), 500, 503 (stopping): nothing stored, no callback. */
int ppg_bearer_sip_reg_store(struct sip_bearer *s, struct sipb_binding *b, size_t n,
    struct sipb_reg *pending, void (*done)(void *arg, int ok), void *done_arg);

/* ppg_bearer_sip_regevent.c: registrations learnt from the reg event
 * package (RFC 3680) at the core, [sip] reg_event = yes. */
/* Sets the agent's handler, subscribes the configured AoRs, starts the sweep. 0 or -errno (err). */
int ppg_bearer_sip_regevent_start(struct sip_bearer *s, char *err, size_t errlen);
/* A push waits for a registration of aor (an AoR key): subscribe to it when not yet. */
void ppg_bearer_sip_regevent_want(struct sip_bearer *s, const char *aor);
/* Before sipb_free: no more events; frees every subscription's state. NULL-safe. */
void ppg_bearer_sip_regevent_stop(struct sip_bearer *s);
/* A claim of aor's lease came back: owned 1 (this node subscribes), 0
 * (another node does: follow), -1 (not known: the database did not answer). */
void ppg_bearer_sip_regevent_claimed(struct sip_bearer *s, const char *aor, int owned);
/* The scan found aor waited on with no live holder: claim it (a new entry
 * when this node has none). */
void ppg_bearer_sip_regevent_adopt(struct sip_bearer *s, const char *aor);
/* How many AoRs this node holds (subscribes to). */
size_t ppg_bearer_sip_regevent_nowned(struct sip_bearer *s);
/* Claims again the pinned AoRs ([sip] reg_event_aors) another node holds,
 * and with owners every AoR this node believes it holds. */
void ppg_bearer_sip_regevent_reclaim(struct sip_bearer *s, int owners);

/* ppg_bearer_sip_regown.c: one reg event subscription per AoR across the
 * nodes of one database (schema 11), and the AoRs parked pushes wait on
 * subscribed again after a restart. [loop] */
/* Starts the lease renewal ([sip] reg_event_lease / 3) and the scan. 0 or -errno (err). */
int ppg_bearer_sip_regown_start(struct sip_bearer *s, char *err, size_t errlen);
void ppg_bearer_sip_regown_stop(struct sip_bearer *s);
/* Claims the leases of aors (copied); each answer comes as
 * ppg_bearer_sip_regevent_claimed once the writer ran it. */
void ppg_bearer_sip_regown_claim(struct sip_bearer *s, const char *const *aors, size_t n);
/* Lets go of aor's lease (NULL: of every AoR this node holds). */
void ppg_bearer_sip_regown_release(struct sip_bearer *s, const char *aor);
/* Another node stored registrations of aor: read them again (refresh op).
 * "": all of them (the cache replaced), and the deliveries parked for every
 * registered AoR woken: the cluster listener was away and may have missed
 * NOTIFYs. */
void ppg_bearer_sip_reg_refresh(struct sip_bearer *s, const char *aor);
/* A UAProf document of url was stored: the AoRs whose terminals name it
 * are read again (ppg_uaprof_on_stored). */
void ppg_bearer_sip_reg_uaprof_stored(void *arg, const char *url);

/* ppg_bearer_sip_sub.c: a ua-profile SUBSCRIBE (sipb_subscribe_fn): stores
 * or forgets the subscription, answered once that is durable. */
int ppg_bearer_sip_sub_on_subscribe(void *arg, struct sipb_subscription *sub,
    struct sipb_subreq *pending);
/* The live bindings of aor at now; NULL when none. */
const struct sip_bentry *ppg_bearer_sip_reg_lookup(struct sip_bearer *s, const char *aor, int64_t now);
/* Does a binding's comma-separated application list hold app? */
int ppg_bearer_sip_reg_supports(const struct db_binding *b, const char *app);
/* Does the comma-separated list hold app (case-insensitively)? [any] */
int ppg_bearer_sip_list_has(const char *list, const char *app);

/* ppg_bearer_sip_select.c: capabilities and the choice of terminals. */
#define SIP_PICK_MAX 64
struct sip_pick {
	size_t napp;                     /* live terminals running the application (the one
	                                  * named, when the address names one) */
	size_t nrefused;                 /* of those, how many do not take the content type */
	size_t n;                        /* chosen: idx[0..n) into the AoR's bindings */
	size_t idx[SIP_PICK_MAX];
	int one;                         /* the policy (or the address) chose one terminal */
	int policy;                      /* PPG_TERMINAL_*, -1 when the address named one */
};
/* [writer] The capabilities of the n bindings v of aor from its live
 * subscriptions and their UAProf documents: *out (n entries, free with
 * ppg_bearer_sip_caps_free) or NULL when no subscription matches. 0 or a
 * negative errno. */
int ppg_bearer_sip_caps_read(struct db *db, const char *aor, const struct db_binding *v, size_t n,
    int64_t now, struct sip_tcaps **out);
void ppg_bearer_sip_caps_free(struct sip_tcaps *c, size_t n);
/* Does a terminal whose Accept list is accept (NULL: unknown) take ctype? */
int ppg_bearer_sip_takes_type(const char *accept, const char *ctype);
/* Does a terminal whose UAProf Push-Accept-AppID list is appids (NULL:
 * unknown) take the application app (a +g.oma.pusheventapp value)? Values
 * compare as OMNA application ids: a URN or its code ("4", "0x04", "*" and
 * "x-wap-application:*" take any). */
int ppg_bearer_sip_takes_app(const char *appids, const char *app);
/* Does binding v match the GRUU key gruu (NULL: any): its pub-gruu, or its
 * +sip.instance equal to the key's gr value, or (a key with a bare gr, a
 * temp-gruu) one of its temp-gruus? */
int ppg_bearer_sip_names(const struct db_binding *v, const char *gruu);
/* The AoR of a delivery's target into aor (len bytes); returns the GRUU key
 * when the target is one (then target itself), else NULL. A temp-gruu
 * (RFC 5627 §3.2: an opaque URI with a bare gr, not under the AoR's user)
 * gives the AoR of the live binding that holds it, when the cache has one
 * (ppg_bearer_sip_reg_temp_owner); else its own URI without the gr. */
const char *ppg_bearer_sip_target_split(struct sip_bearer *s, const char *target, char *aor, size_t len,
    int64_t now);
/* ppg_bearer_sip_tgruu.c: the index of the cache's temp-gruus. The AoR
 * whose live bindings hold the temp-gruu key key ("sip:x@host;gr"), or
 * NULL. */
const char *ppg_bearer_sip_reg_temp_owner(struct sip_bearer *s, const char *key, int64_t now);
/* Indexes the temp-gruus of cache entry b (new, not yet indexed); out of
 * memory: -ENOMEM, b stays unindexed (its temp-gruus name nothing). */
int ppg_bearer_sip_tgruu_add(struct sip_bearer *s, struct sip_bentry *b);
/* Unindexes b and frees its keys (before b is freed). */
void ppg_bearer_sip_tgruu_remove(struct sip_bearer *s, struct sip_bentry *b);
/* Wakes the deliveries parked on each temp-gruu a live binding of entry b
 * (indexed) holds and no live binding of old (the entry b replaces, or
 * NULL) held: a push to a temp-gruu
 * nobody held parks on its URI without the gr (ppg_bearer_sip_target_split),
 * and the registration that brings it wakes it. */
/* The cache was read again after the cluster listener was away: wakes the
 * deliveries parked on any temp-gruu a live registration holds (writer jobs
 * of up to 5,000 targets each, db_regevent_wake_targets), which the wake-up
 * of the registered AoRs does not find (their target is no AoR). */
void ppg_bearer_sip_tgruu_wake_all(struct sip_bearer *s);
void ppg_bearer_sip_tgruu_wake_new(struct sip_bearer *s, const struct sip_bentry *b,
    const struct sip_bentry *old);
/* Does binding i of be run app (REGISTER or subscription)? */
int ppg_bearer_sip_runs(const struct sip_bentry *be, size_t i, const char *app);
/* The terminals of be that push p goes to (gruu: the named one; session:
 * only those taking sessions, one of them) under policy. */
void ppg_bearer_sip_pick(const struct sip_bentry *be, const struct ppg_push *p, const char *gruu,
    int policy, int session, int64_t now, struct sip_pick *out);
/* Does a terminal chosen in pk run app by its ua-profile subscription only
 * (no +g.oma.pusheventapp of it in its REGISTER: a core routing on
 * Accept-Contact would not find it)? */
int ppg_bearer_sip_sub_only(const struct sip_bentry *be, const struct sip_pick *pk, const char *app);
/* Do contacts a and b name the same terminal (the URIs up to their parameters)? */
int ppg_bearer_sip_same_contact(const char *a, const char *b);
/* Adds the media types of an Accept value to the comma-separated *list
 * (without parameters, once each), as ppg_bearer_sip_takes_type reads it. */
int ppg_bearer_sip_accept_add(char **list, const char *accept);

#endif
