/*
 * ppg_bearer.h - the interface between the delivery engine and its bearers.
 *
 * The engine (ppg_deliver*.c) picks a bearer for each delivery and hands it
 * one attempt at a time; a bearer (ppg_bearer_sip.c, ppg_bearer_udp.c,
 * ppg_bearer_sms.c) sends it over its transport and reports back through one
 * callback (struct ppg_bearer_report): the outcome of the attempt, a final
 * state of its own, a park (pending, due later), a release (due again at
 * once), or a wake-up of the deliveries waiting on a SIP target. The engine
 * never includes a bearer; a bearer sees only this header, its transport
 * library and the core's public header (ppg_core_write, ppg_core_defer).
 *
 * Threads: everything here runs on the core's su_root loop ([loop]).
 *
 * Adding a bearer: one file that fills in struct ppg_bearer_ops and exports
 * a constructor of type ppg_bearer_new_fn, plus one line in ppgd.c's bearer
 * table. ARCHITECTURE.md walks through it.
 */
#ifndef PPG_BEARER_H
#define PPG_BEARER_H

#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/su_wait.h>

#include "ppg/ppg_config.h"
#include "ppg/ppg_content.h"
#include "ppg/ppg_core.h"
#include "ppg/ppg_select.h"

/* What bearers see of a push while attempts of it are under way. Shared by
 * the attempts of its deliveries (reference counted by the engine);
 * read-only for a bearer. */
struct ppg_push {
	int refs;
	int64_t id;                      /* db_push.id */
	char *pi;
	char *push_id;
	int64_t deliver_before;          /* ms, 0 = none */
	char *content_type;
	unsigned char *body;             /* NUL-terminated copy of len octets */
	size_t len;
	char *headers;                   /* the content entity's raw headers */
	size_t headers_len;
	char *app_id;                    /* X-Wap-Application-Id as the PI gave it, or NULL */
	/* quality-of-service */
	int delivery_method;
	int network_required, bearer_required;
	char network[32], bearer[32];
	char app[256];                   /* +g.oma.pusheventapp value */
	int64_t received_us;             /* monotonic receipt of a fresh push; 0 for retries */
	const char *app_error;           /* why the application id is unusable, or NULL */
	/* SI, SL or CO text: the WBXML its first Push OTA attempt compiled, kept
	 * for its other addresses and attempts (ppg_push_ota_pdu); NULL for
	 * content that goes as it is. Written on the loop only. */
	struct ppg_push_ota *ota;
};

/* [loop] The Push OTA PDU of push p with transaction id tid: ota_push_build's
 * results and errors (a malloc'ed *pdu the caller frees), but SI, SL and CO
 * are compiled to WBXML once per push, by the first call, and the WBXML (or
 * the compile's error) is kept with the push. */
int ppg_push_ota_pdu(const struct ppg_push *p, uint8_t tid, uint8_t **pdu, size_t *len,
    const char **reason);

/* One attempt of one delivery, owned by the engine from dispatch until the
 * bearer reports with end = 1 or the engine calls ops->forget. */
struct ppg_bearer_attempt {
	int64_t delivery;
	const struct ppg_push *push;
	int addr_type;                   /* enum pap_addr_type of the address */
	const char *target;              /* what ops->target made of the address */
	const char *why;                 /* why this bearer (for the outcome's desc) */
	void *priv;                      /* the bearer's own state for this attempt */
};

enum ppg_report_kind {
	/* The attempt ended with a transport result: the engine maps it to a
	 * PAP state (ppg_outcome_sip / ppg_outcome_ota), retries with backoff or
	 * falls back to another bearer. */
	PPG_REPORT_OUTCOME = 1,
	/* A final state decided by the bearer (state, code, desc). */
	PPG_REPORT_FINAL,
	/* Pending with a note, due at `when` (PPG_NEVER: only a wake-up or the
	 * expiry sweep moves it), optionally waiting on `target`. */
	PPG_REPORT_PARK,
	/* Due again at once (the bearer could not take it now). */
	PPG_REPORT_RELEASE,
	/* The deliveries waiting on target (a SIP AoR) become due; target "":
	 * those of every AoR with a live binding, in one writer job (a bounded
	 * few). No attempt. */
	PPG_REPORT_WAKE,
	/* A delivery receipt of the SMSC message id `target`, whichever node
	 * (or run before a restart) submitted it: the engine takes the message
	 * id from the store (db_sms_message_take) and ends its delivery,
	 * delivered (ok) once no segment waits, else in `state`. No attempt. */
	PPG_REPORT_RECEIPT,
};

#define PPG_NEVER INT64_MAX

struct ppg_bearer_report {
	enum ppg_report_kind kind;
	struct ppg_bearer_attempt *attempt;   /* NULL for WAKE */
	int end;                 /* the attempt ends: the engine frees it */
	/* OUTCOME over SIP: the best final response (RFC 3261 §16.7) */
	int status;
	const char *phrase;
	int local;               /* made up by the local stack (timer F, transport) */
	int retry_after;         /* seconds, -1 = none */
	/* OUTCOME over Push OTA: taken by the transport, or a failure */
	int ok, retryable, fail_code;
	/* FINAL */
	int state, code;
	/* PARK */
	int64_t when;
	/* WAKE: this node claims the woken deliveries, the others are not told */
	int here;
	/* PARK, WAKE */
	const char *target;
	/* all: a note for the log and statusquery ("" = the table's own) */
	const char *desc;
};

struct ppg_bearer;

/* What the engine gives every bearer at creation. */
struct ppg_bearer_env {
	struct ppg_core *core;
	su_root_t *root;
	const struct ppg_config *cfg;
	struct ppg_content *content;     /* content indirection (RFC 4483) */
	void (*report)(void *engine, const struct ppg_bearer_report *r);
	void *engine;
	/* The engine's window: attempts that count against it (SIP MESSAGEs in
	 * flight) tell the engine through ppg_bearer_ops.inflight. */
};

struct ppg_bearer_ops {
	enum ppg_bearer_kind kind;
	const char *name;                /* "SIP", "OTA/UDP", "OTA/SMS" */
	/* Can this bearer reach an address of this type and value? Writes the
	 * bearer's target (SIP AoR, SMSC number, IP address) into out. 0 or
	 * -EINVAL. */
	int (*target)(struct ppg_bearer *b, int addr_type, const char *value, char *out, size_t len);
	/* Is the target reachable now for this push (SIP: a live registration
	 * that supports the application)? Bearers without a notion of presence
	 * return 1. */
	int (*live)(struct ppg_bearer *b, const char *target, const struct ppg_push *p, int64_t now);
	/* Starts one attempt; every path ends in a report with end = 1 (maybe
	 * before send returns) unless the engine calls forget first. */
	void (*send)(struct ppg_bearer *b, struct ppg_bearer_attempt *a);
	/* The delivery was cancelled, replaced or expired meanwhile: drop the
	 * attempt's state (content URL, timers, receipt ids) and never report on
	 * it again. May be NULL when a bearer keeps nothing after send. */
	void (*forget)(struct ppg_bearer *b, struct ppg_bearer_attempt *a);
	/* Attempts in flight that count against the engine's window (may be NULL). */
	unsigned (*inflight)(struct ppg_bearer *b);
	/* Another node sharing the database changed what key names (SIP: the
	 * registrations of an AoR): read it again (may be NULL). key "": all
	 * of it (the wake-ups of other nodes may have been missed). */
	void (*refresh)(struct ppg_bearer *b, const char *key);
	/* Another node parked deliveries waiting on key for state this node
	 * may hold (SIP: a subscription dialog of the AoR, PPG_CLUSTER_TAKE):
	 * when it does, wake them here (ppg_bearer_take). May be NULL. */
	void (*take)(struct ppg_bearer *b, const char *key);
	/* No new attempts (shutdown): attempts under way are abandoned, their
	 * deliveries stay pending and are due again after a restart. Frees. */
	void (*free)(struct ppg_bearer *b);
};

/* Every bearer struct starts with this. */
struct ppg_bearer {
	const struct ppg_bearer_ops *ops;
	const struct ppg_bearer_env *env;
};

/*
 * A bearer's constructor: 0 with *out set, 0 with *out NULL when the
 * configuration leaves the bearer off, or a negative errno with a reason in
 * err.
 */
typedef int (*ppg_bearer_new_fn)(const struct ppg_bearer_env *env, struct ppg_bearer **out,
    char *err, size_t errlen);

/* Helpers for bearers: one report each. */
static inline void ppg_bearer_report(struct ppg_bearer *b, const struct ppg_bearer_report *r)
{
	b->env->report(b->env->engine, r);
}

static inline void ppg_bearer_final(struct ppg_bearer *b, struct ppg_bearer_attempt *a, int state,
    int code, const char *desc)
{
	struct ppg_bearer_report r = { .kind = PPG_REPORT_FINAL, .attempt = a, .end = 1,
		.state = state, .code = code, .desc = desc, .retry_after = -1 };
	ppg_bearer_report(b, &r);
}

static inline void ppg_bearer_ota_outcome(struct ppg_bearer *b, struct ppg_bearer_attempt *a,
    int ok, int retryable, int fail_code, const char *desc)
{
	struct ppg_bearer_report r = { .kind = PPG_REPORT_OUTCOME, .attempt = a, .end = 1, .ok = ok,
		.retryable = retryable, .fail_code = fail_code, .desc = desc, .retry_after = -1 };
	ppg_bearer_report(b, &r);
}

static inline void ppg_bearer_park(struct ppg_bearer *b, struct ppg_bearer_attempt *a, int end,
    int64_t when, const char *target, const char *desc)
{
	struct ppg_bearer_report r = { .kind = PPG_REPORT_PARK, .attempt = a, .end = end, .when = when,
		.target = target, .desc = desc, .retry_after = -1 };
	ppg_bearer_report(b, &r);
}

static inline void ppg_bearer_receipt(struct ppg_bearer *b, const char *msgid, int delivered, int state,
    const char *desc)
{
	struct ppg_bearer_report r = { .kind = PPG_REPORT_RECEIPT, .target = msgid, .ok = delivered,
		.state = state, .desc = desc };
	ppg_bearer_report(b, &r);
}

static inline void ppg_bearer_release(struct ppg_bearer *b, struct ppg_bearer_attempt *a)
{
	struct ppg_bearer_report r = { .kind = PPG_REPORT_RELEASE, .attempt = a, .end = 1,
		.retry_after = -1 };
	ppg_bearer_report(b, &r);
}

static inline void ppg_bearer_wake(struct ppg_bearer *b, const char *target)
{
	struct ppg_bearer_report r = { .kind = PPG_REPORT_WAKE, .target = target, .retry_after = -1 };
	ppg_bearer_report(b, &r);
}

/* Wakes the deliveries waiting on target for this node alone (ops.take). */
static inline void ppg_bearer_take(struct ppg_bearer *b, const char *target)
{
	struct ppg_bearer_report r = { .kind = PPG_REPORT_WAKE, .target = target, .retry_after = -1,
		.here = 1 };
	ppg_bearer_report(b, &r);
}

/* The three bearers of ppgd (ppg_bearer_sip.c, ppg_bearer_udp.c, ppg_bearer_sms.c). */
int ppg_bearer_sip_new(const struct ppg_bearer_env *env, struct ppg_bearer **out, char *err, size_t errlen);
int ppg_bearer_udp_new(const struct ppg_bearer_env *env, struct ppg_bearer **out, char *err, size_t errlen);
int ppg_bearer_sms_new(const struct ppg_bearer_env *env, struct ppg_bearer **out, char *err, size_t errlen);

#endif
