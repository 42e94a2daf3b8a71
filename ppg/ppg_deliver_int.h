/*
 * ppg_deliver_int.h - the delivery engine's private state, shared by
 * ppg_deliver.c (attempts and outcomes), ppg_sipreg.c (registrations and the
 * binding cache) and ppg_notifier.c (result notifications).
 */
#ifndef PPG_DELIVER_INT_H
#define PPG_DELIVER_INT_H

#include "ppg/ppg_deliver.h"

#include "ppg/ppg_content.h"
#include "ppg/ppg_core.h"
#include "ppg/ppg_notify.h"
#include "ppg/ppg_outcome.h"
#include "ppg/ppg_stats.h"
#include "sipbearer/sipb.h"

#define PPG_ATTEMPT_BUCKETS 4096
#define PPG_BINDING_BUCKETS 4096
#define PPG_NEVER INT64_MAX

/* What the engine keeps of a push while attempts of it are under way. */
struct ppg_pinfo {
	int refs;
	int64_t id;
	char *pi;
	char *push_id;
	int64_t deliver_before;          /* ms, 0 = none */
	char *content_type;
	unsigned char *body;
	size_t len;
	char app[256];                   /* +g.oma.pusheventapp value */
	int64_t received_us;             /* monotonic receipt of a fresh push; 0 for retries */
	const char *app_error;           /* why the application id is unusable, or NULL */
};

/* One attempt of one delivery: one MESSAGE, or one per terminal. */
struct ppg_attempt {
	struct ppg_deliver *e;
	int64_t delivery;
	struct ppg_pinfo *p;
	char *aor;
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
	struct ppg_attempt *next;        /* hash chain by delivery */
};

struct ppg_bentry {                  /* the live bindings of one AoR */
	char *aor;
	struct db_binding *v;
	size_t n;
	struct ppg_bentry *next;
};

struct ppg_deliver {
	struct ppg_core *core;
	su_root_t *root;
	const struct ppg_config *cfg;
	struct db *db;
	struct ppg_content *content;
	struct sipb *sip;
	struct ppg_notify *notify;
	struct ppg_retry_policy pol;
	char content_base[300];          /* "http://127.0.0.1:8080/content/" */
	struct ppg_attempt *attempts[PPG_ATTEMPT_BUCKETS];
	unsigned messages;               /* MESSAGEs outstanding */
	unsigned nattempts;
	struct ppg_bentry *bindings[PPG_BINDING_BUCKETS];
	su_timer_t *tick;
	int lease_op_pending;            /* a scheduler lease is queued: don't queue another */
	int notify_op_pending;
	unsigned ticks;
	int stopping;
	struct ppg_hist accept_to_send;  /* fresh pushes: request received -> MESSAGE handed to SIP */
};

/* ppg_sipreg.c */
int ppg_sipreg_load(struct ppg_deliver *e, int64_t now);
void ppg_sipreg_free(struct ppg_deliver *e);
int ppg_sipreg_on_register(void *arg, struct sipb_binding *b, size_t n, const struct sockaddr *from);
int ppg_sipreg_trusted(void *arg, const struct sockaddr *from);
/* The live bindings of aor at now; NULL when none. */
const struct ppg_bentry *ppg_sipreg_lookup(struct ppg_deliver *e, const char *aor);
void ppg_sipreg_purge(struct ppg_deliver *e, int64_t now);
/* Normalizes a sip:/sips:/tel: URI into an AoR key: scheme and host in lower
 * case, no parameters or headers; tel: without visual separators. -EINVAL
 * when it is not such a URI. */
int ppg_aor_normalize(const char *uri, char *out, size_t len);
/* Does a binding's comma-separated application list hold app? */
int ppg_binding_supports(const struct db_binding *b, const char *app);

/* ppg_deliver.c: wake the deliveries waiting on aor */
void ppg_deliver_wake(struct ppg_deliver *e, const char *aor);

/* ppg_notifier.c */
void ppg_notifier_tick(struct ppg_deliver *e, int64_t now);
void ppg_notifier_done(void *arg, const struct ppg_notify_result *r);

#endif
