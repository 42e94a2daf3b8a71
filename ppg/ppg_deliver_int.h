/*
 * ppg_deliver_int.h - the delivery engine's private state, shared by
 * ppg_deliver.c ([loop]: dispatch, reports, life cycle), ppg_deliver_write.c
 * ([writer]: what the engine writes and reads in the core's batches),
 * ppg_sched.c ([loop]: the scheduler) and ppg_push.c ([any]: push info).
 */
#ifndef PPG_DELIVER_INT_H
#define PPG_DELIVER_INT_H

#include "ppg/ppg_deliver.h"

#include <stdatomic.h>

#include "db/db.h"
#include "ppg/ppg_outcome.h"
#include "ppg/ppg_request.h"

#define PPG_ATTEMPT_BUCKETS 4096
#define PPG_MAX_BEARERS 8
#define PPG_TICK_MS 100             /* the scheduler's tick */
#define PPG_TICK_PG_MS 500          /* the same on PostgreSQL (LISTEN/NOTIFY wakes it too) */
#define PPG_LEASE_BATCH 256         /* deliveries leased per scheduler write */
#define PPG_WAKE_MAX 10000          /* deliveries woken per registration */

/* One attempt under way: the engine's record, given to the bearer as `a`. */
struct ppg_attempt {
	struct ppg_bearer_attempt a;     /* first: the bearer's pointer is ours */
	struct ppg_deliver *e;
	struct ppg_bearer *b;
	struct ppg_push *p;
	char target[512];
	char why[96];                    /* why this bearer (ppg_select), for statusquery */
	int64_t lease_gen;               /* the lease this attempt runs under (db_delivery_lease_held) */
	int64_t renew_at;                /* ms: renew its lease then if still under way (ppg_deliver_renew.c) */
	struct ppg_attempt *next;        /* hash chain by delivery */
};

struct ppg_deliver {
	struct ppg_core *core;
	su_root_t *root;
	const struct ppg_config *cfg;
	struct ppg_content *content;
	struct ppg_bearer_env env;
	struct ppg_bearer *bearers[PPG_MAX_BEARERS];
	size_t nbearers;
	struct ppg_bearer *by_kind[PPG_BEARER_SMS + 1];
	/* [writer] Reloadable (on_reload): the retry policies, and the config
	 * whose [apps] resolve application ids (a reference). */
	struct ppg_retry_policy sip_pol, ota_pol;
	struct ppg_config *apps_cfg;
	struct ppg_attempt *attempts[PPG_ATTEMPT_BUCKETS];
	unsigned nattempts;
	struct ppg_tick *tick;     /* the scheduler's tick (ppg_tick.h) */
	int lease_op_pending;            /* a scheduler lease is queued: don't queue another */
	int renew_pending;               /* a renewal of attempts' leases is queued */
	/* [writer] The start-up recovery ran: from the next batch on, accepted
	 * pushes may be leased (before it, the recovery would undo their lease). */
	atomic_int recovered;
	/* The deliveries the last batch that ended some made final, sorted: its
	 * accepted pushes run after (a push and its cancel in one batch). */
	int64_t *ended;
	size_t nended;
	int stopping;
};

/* ------------------------------------------------------------ ppg_push.c [any] */

/* What a push is made of, from an accepted request or a database row. */
struct ppg_push_src {
	int64_t id;
	const char *pi, *push_id;
	int64_t deliver_before;
	const char *content_type;
	const void *body;
	size_t len;
	const char *headers;
	size_t headers_len;
	const char *app_id;
	int delivery_method, network_required, bearer_required;
	const char *network, *bearer;
};

/* A new push info with one reference, its application resolved (OMNA table,
 * then [apps]); NULL when out of memory. */
struct ppg_push *ppg_push_new(const struct ppg_config *cfg, const struct ppg_push_src *src);
struct ppg_push *ppg_push_from_row(const struct ppg_config *cfg, const struct db_push *row);
void ppg_push_unref(struct ppg_push *p);
/* A copy of n octets with a NUL after them (for strings that are not). */
char *ppg_push_dup0(const void *p, size_t n);

/* -------------------------------------------------- ppg_deliver.c [loop] */

/* Picks the bearer of one delivery and starts its attempt. bearer: the one
 * stored with the delivery after a fallback (0 = select); lease_gen: the
 * generation of the lease this node holds (db_delivery.lease_gen; 0 for a
 * delivery inserted leased by an accepted push). */
void ppg_deliver_dispatch(struct ppg_deliver *e, struct ppg_push *p, int64_t delivery, int type,
    const char *value, int bearer, int64_t lease_gen, int64_t now);
/* The attempt under way of a delivery, or NULL. */
struct ppg_attempt *ppg_deliver_attempt_find(struct ppg_deliver *e, int64_t delivery);
/* The bearer forgets the attempt (it never reports on it) and it is freed. */
void ppg_deliver_attempt_cut(struct ppg_attempt *a);
/* Attempts that count against the window (SIP MESSAGEs in flight). */
unsigned ppg_deliver_inflight(struct ppg_deliver *e);
/* Runs the job of an accepted push (ppg_core_hooks.run). */
void ppg_deliver_run(void *arg, void *job, int64_t now);
/* Did the last batch that ended deliveries end this one? */
int ppg_deliver_ended(const struct ppg_deliver *e, int64_t delivery);

/* What the engine takes from an accepted push: its content and the leased
 * deliveries, copied out of the request before the HTTP worker frees it. */
struct ppg_deliver_job {
	struct ppg_push *p;
	size_t n;
	struct ppg_deliver_job_delivery {
		int64_t id;
		int type;
		char value[PAP_ADDR_VALUE_MAX];
	} *d;
};

/* -------------------------------------------- ppg_deliver_write.c */

/* [loop] Queue the engine's writes for the next batch. Each is about the
 * attempt under lease generation lease_gen, and is dropped when another
 * claim took the delivery since (the fence, ppg_deliver_write.c). */
void ppg_deliver_write_report(struct ppg_deliver *e, const struct ppg_attempt *at,
    const struct ppg_bearer_report *r);
void ppg_deliver_write_final(struct ppg_deliver *e, int64_t delivery, int64_t lease_gen, int state,
    int code, const char *desc);
void ppg_deliver_write_park(struct ppg_deliver *e, int64_t delivery, int64_t lease_gen, int64_t when,
    const char *target, const char *desc);
void ppg_deliver_write_release(struct ppg_deliver *e, int64_t delivery, int64_t lease_gen);
/* A delivery receipt of an SMSC message id (PPG_REPORT_RECEIPT). */
void ppg_deliver_write_receipt(struct ppg_deliver *e, const char *msgid, int delivered, int state,
    const char *desc);
void ppg_deliver_write_wake(struct ppg_deliver *e, const char *target, int here);
void ppg_deliver_write_recover(struct ppg_deliver *e);

/* [writer] The job of an accepted push (ppg_core_hooks.prepare), and its free. */
void *ppg_deliver_write_prepare(void *arg, const struct ppg_request *req);
void ppg_deliver_write_job_free(void *job);
/* [any] How long a lease holds (ppg_core_hooks.lease_ms on the writer; the
 * renewal on the loop): reads the configuration and an atomic flag only. */
int64_t ppg_deliver_write_lease_ms(void *arg);

/* ----------------------------------------------- ppg_deliver_renew.c [loop] */

/* Renews the leases of the attempts under way past half their lease (one
 * write; none while the last is pending). Called from the scheduler's tick. */
void ppg_deliver_renew(struct ppg_deliver *e, int64_t now);

/* ------------------------------------------------------- ppg_sched.c [loop] */

int ppg_sched_start(struct ppg_deliver *e);
void ppg_sched_stop(struct ppg_deliver *e);
/* Leases the due deliveries that fit in the window (next batch). */
void ppg_sched_lease(struct ppg_deliver *e);

#endif
