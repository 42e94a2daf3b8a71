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
#include "ppg/ppg_notify_http.h"
#include "ppg/ppg_outcome.h"
#include "ppg/ppg_select.h"
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
};

struct ppg_smpp;

/* An SMSC message id that a receipt may name. */
struct ppg_msgid {
	char *id;
	struct ppg_attempt *a;
	struct ppg_msgid *next;
};

/* One attempt of one delivery: one MESSAGE, or one per terminal. */
struct ppg_attempt {
	struct ppg_deliver *e;
	int64_t delivery;
	struct ppg_pinfo *p;
	enum ppg_bearer bearer;
	char why[96];                    /* why this bearer (ppg_select), for statusquery */
	char *aor;                       /* SIP: the AoR; SMS: the number */
	int segments;                    /* SMS: segments not yet answered by the SMSC */
	int receipts;                    /* SMS: receipts still expected */
	int sms_retry, sms_fail;         /* SMS: a segment failed (transient / permanent) */
	uint32_t sms_status;             /* SMS: the SMSC's command_status of a failure */
	char sms_reason[96];
	char **msgids;                   /* SMS: message ids of the segments */
	size_t nmsgids;
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
	struct sipb *sip;                /* NULL when [sip] is off */
	int udp4, udp6;                  /* OTA over UDP sockets, -1 when off */
	struct ppg_smpp *smpp;           /* OTA over SMS, NULL when off */
	uint16_t sms_ref;                /* concatenation reference */
	struct ppg_msgid *msgids[PPG_ATTEMPT_BUCKETS];   /* SMSC message id -> attempt */
	int64_t *forced_sms;             /* deliveries that fall back from SIP to SMS */
	size_t nforced, capforced;
	uint8_t tid;
	struct ppg_retry_policy ota_pol;
	struct ppg_notify_http *notify;
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

/* The outcome of an attempt, for the next batch. */
struct ppg_result_op {
	struct ppg_deliver *e;
	int64_t delivery;
	int64_t deliver_before;
	enum ppg_bearer bearer;
	/* SIP: the final response */
	int status;
	char phrase[64];
	int local;
	int retry_after;
	/* OTA: the bearer took it (ok), or a transient (retryable) or permanent failure */
	int ok, retryable, fail_code;
	int delivered;                   /* delivered whatever the response says */
	int fallback;                    /* set by the write: the delivery goes over SMS next */
	int final_state, final_code;     /* when not 0: this final outcome, no table */
	char desc[160];
};

/* ppg_deliver.c, for the bearers */
struct ppg_attempt *ppg_attempt_find(struct ppg_deliver *e, int64_t delivery);
struct ppg_result_op *ppg_result_op_new(struct ppg_attempt *a);
void ppg_queue_result(struct ppg_deliver *e, struct ppg_result_op *o);
void ppg_queue_final(struct ppg_deliver *e, int64_t delivery, int state, int code, const char *desc);
void ppg_park(struct ppg_deliver *e, int64_t delivery, int64_t when, const char *target, const char *desc);
void ppg_release(struct ppg_deliver *e, int64_t delivery);
const char *ppg_target_aor(struct ppg_deliver *e, int type, const char *value, char *out, size_t len);

void ppg_pinfo_unref(struct ppg_pinfo *p);
struct ppg_pinfo *ppg_pinfo_from_row(struct ppg_deliver *e, const struct db_push *row);
/* Picks the bearer of one delivery and starts its attempt. */
void ppg_dispatch(struct ppg_deliver *e, struct ppg_pinfo *p, int64_t delivery, int type,
    const char *value, int64_t now);
/* An after() of ppg_core_write that only frees its argument. */
void ppg_free_after(void *arg, int committed);

/* ppg_sched.c */
void ppg_sched_tick(struct ppg_core *c, su_timer_t *t, void *arg);

/* ppg_bearer_sip.c */
int ppg_sip_live(struct ppg_deliver *e, const char *aor, const char *app, int64_t now);
void ppg_sip_dispatch(struct ppg_deliver *e, struct ppg_pinfo *p, int64_t delivery, const char *aor,
    int64_t now);
void ppg_sip_on_result(void *arg, const struct sipb_result *r);

struct ppg_attempt *ppg_attempt_new(struct ppg_deliver *e, int64_t delivery, struct ppg_pinfo *p,
    enum ppg_bearer b, const char *target);
void ppg_attempt_free(struct ppg_attempt *a);
/* An OTA attempt ended: ok (the bearer took it), retry (a transient error:
 * try again with backoff), or a final failure with a PAP code. */
void ppg_ota_outcome(struct ppg_attempt *a, int ok, int retryable, int fail_code, const char *desc);

/* ppg_bearer_ota.c */
int ppg_ota_open(struct ppg_deliver *e, char *err, size_t errlen);
void ppg_ota_close(struct ppg_deliver *e);
void ppg_ota_send_udp(struct ppg_attempt *a, int family, const char *addr);
void ppg_ota_send_sms(struct ppg_attempt *a, const char *number);
int ppg_ota_open_sms(struct ppg_deliver *e, char *err, size_t errlen);
/* Drops an SMS attempt's message ids from the receipt table. */
void ppg_ota_forget(struct ppg_attempt *a);
/* The SIP -> SMS fallback set. */
int ppg_forced_sms(struct ppg_deliver *e, int64_t delivery, int take);
void ppg_force_sms(struct ppg_deliver *e, int64_t delivery);

/* ppg_notifier.c */
void ppg_notifier_tick(struct ppg_deliver *e, int64_t now);
void ppg_notifier_done(void *arg, const struct ppg_notify_http_result *r);

#endif
