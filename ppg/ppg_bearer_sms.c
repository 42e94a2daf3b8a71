/*
 * ppg_bearer_sms.c - Push OTA over SMS behind the engine's bearer
 * interface: the WSP push PDU in WDP segments (WAP-259 §6.5, concatenation
 * with 8- or 16-bit references) submitted through an SMPP 3.4 SMSC
 * (smpp/smpp.h). Delivered once every segment's delivery receipt says
 * DELIVRD ([ota] receipts = yes; the delivery is parked while it waits), or
 * once the SMSC accepted every segment. [loop]
 */
#define SU_ROOT_MAGIC_T struct ppg_core
#define SU_TIMER_ARG_T  void

#include "ppg/ppg_bearer.h"
#include "ppg/ppg_core.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otabearer/ota.h"
#include "pap/pap.h"
#include "ppg/ppg_hash.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_metrics.h"
#include "ppg/ppg_ratelimit.h"
#include "smpp/smpp.h"

#define SMS_MSGID_BUCKETS 4096
#define SMS_RECEIPT_MARGIN_MS 30000   /* the park outlives the receipt wait by this */
#define SMPP_STATUS_INVALID_DEST 0x0B /* ESME_RINVDSTADR */

/* An SMSC message id that a receipt may name. */
struct sms_msgid {
	char *id;
	int done;                        /* its final receipt (or query answer) came */
	struct sms_attempt *t;
	struct sms_msgid *next;
};

struct sms_attempt {
	struct sms_bearer *s;
	struct ppg_bearer_attempt *a;    /* NULL once the engine let go of it */
	int segments;                    /* segments not yet answered by the SMSC */
	int receipts;                    /* receipts still expected */
	int retry, fail;                 /* a segment failed (transient / permanent) */
	uint32_t status;                 /* the SMSC's command_status of a failure */
	char reason[96];
	int64_t started;                 /* stored with its message ids: the segments of one attempt */
	char **msgids;                   /* message ids of the segments */
	size_t nmsgids;
	su_timer_t *receipt_timer;
};

struct sms_bearer {
	struct ppg_bearer base;          /* first */
	const struct ppg_config *cfg;
	su_root_t *root;
	struct smpp *smpp;
	uint16_t ref;                    /* concatenation reference */
	uint8_t tid;                     /* WSP transaction id */
	int stopping;
	struct sms_msgid *msgids[SMS_MSGID_BUCKETS];
};

static unsigned msgid_bucket(const char *id)
{
	return ppg_hash_str(id) % SMS_MSGID_BUCKETS;
}

static void msgid_add(struct sms_attempt *t, const char *id)
{
	struct sms_bearer *s = t->s;
	char **v = realloc(t->msgids, (t->nmsgids + 1) * sizeof *v);
	struct sms_msgid *m = calloc(1, sizeof *m);
	if (!v || !m || !(m->id = strdup(id))) {
		if (v)
			t->msgids = v;
		free(m);
		return;
	}
	t->msgids = v;
	t->msgids[t->nmsgids++] = m->id;
	m->t = t;
	unsigned h = msgid_bucket(id);
	m->next = s->msgids[h];
	s->msgids[h] = m;
}

/* Drops an attempt's message ids from the receipt table. */
static void msgids_forget(struct sms_attempt *t)
{
	struct sms_bearer *s = t->s;
	for (size_t i = 0; i < t->nmsgids; i++) {
		for (struct sms_msgid **pp = &s->msgids[msgid_bucket(t->msgids[i])]; *pp; pp = &(*pp)->next)
			if ((*pp)->t == t && (*pp)->id == t->msgids[i]) {
				struct sms_msgid *m = *pp;
				*pp = m->next;
				free(m->id);
				free(m);
				break;
			}
	}
	free(t->msgids);
	t->msgids = NULL;
	t->nmsgids = 0;
}

static void attempt_free(struct sms_attempt *t)
{
	msgids_forget(t);
	if (t->receipt_timer)
		su_timer_destroy(t->receipt_timer);
	free(t);
}

/* Ends the attempt with an outcome (frees t). */
static void attempt_outcome(struct sms_attempt *t, int ok, int retryable, int fail_code, const char *desc)
{
	struct ppg_bearer *b = &t->s->base;
	struct ppg_bearer_attempt *a = t->a;
	attempt_free(t);
	ppg_bearer_ota_outcome(b, a, ok, retryable, fail_code, desc);
}

static void attempt_final(struct sms_attempt *t, int state, int code, const char *desc)
{
	struct ppg_bearer *b = &t->s->base;
	struct ppg_bearer_attempt *a = t->a;
	attempt_free(t);
	ppg_bearer_final(b, a, state, code, desc);
}

static void on_receipt_timeout(struct ppg_core *c, su_timer_t *tm, void *arg)
{
	(void)c;
	(void)tm;
	attempt_final(arg, DB_STATE_TIMEOUT, PAP_SERVICE_FAILURE,
	    "OTA/SMS: accepted by the SMSC, no delivery receipt in time");
}

/* Every segment has its submit_sm_resp. */
static void sms_answered(struct sms_attempt *t)
{
	struct sms_bearer *s = t->s;
	char desc[200];

	if (t->fail) {
		snprintf(desc, sizeof desc, "OTA/SMS: the SMSC refused it: %s", t->reason);
		attempt_outcome(t, 0, 0, t->status == SMPP_STATUS_INVALID_DEST ? PAP_ADDRESS_ERROR
		    : PAP_SERVICE_FAILURE, desc);
		return;
	}
	if (t->retry) {
		snprintf(desc, sizeof desc, "OTA/SMS: %s", t->reason);
		attempt_outcome(t, 0, 1, 0, desc);
		return;
	}
	if (!s->cfg->ota_receipts) {
		snprintf(desc, sizeof desc, "OTA/SMS: %zu segment%s accepted by the SMSC (unconfirmed)",
		    t->nmsgids, t->nmsgids == 1 ? "" : "s");
		attempt_outcome(t, 1, 0, 0, desc);
		return;
	}
	/* Delivered when the SMSC reports it (registered_delivery). The lease
	 * is stretched over the wait so the scheduler leaves it alone. */
	t->receipts = (int)t->nmsgids;
	int64_t wait = (int64_t)s->cfg->ota_receipt_timeout * 1000;
	snprintf(desc, sizeof desc, "OTA/SMS: %zu segment%s accepted by the SMSC, waiting for the delivery receipt",
	    t->nmsgids, t->nmsgids == 1 ? "" : "s");
	ppg_bearer_park(&s->base, t->a, 0, ppg_clock_now_ms() + wait + SMS_RECEIPT_MARGIN_MS, NULL, desc);
	t->receipt_timer = su_timer_create(su_root_task(s->root), 0);
	if (!t->receipt_timer || su_timer_set_interval(t->receipt_timer, on_receipt_timeout, t,
	    (su_duration_t)wait) < 0)
		on_receipt_timeout(NULL, NULL, t);
}

/* A segment's message id, stored so that its receipt finds the delivery on
 * any node sharing the database, or after a restart (db_sms_message_take). */
struct msgid_op {
	int64_t delivery;
	int64_t started;                 /* the attempt's: db_sms_message_take counts its segments */
	char id[];
};

static int msgid_write(struct db *db, void *arg, int64_t now)
{
	struct msgid_op *o = arg;
	(void)now;
	int r = db_sms_message_add(db, o->id, o->delivery, o->started);
	if (r == -EEXIST)
		LOGP(PPG_LOG_SMPP, LOG_WARNING, "delivery %lld: the SMSC reused message id %s; its receipt "
		    "goes to the delivery that had it first", (long long)o->delivery, o->id);
	return r == -EEXIST || r == -ENOTSUP ? 0 : r;
}

static void msgid_after(void *arg, int committed)
{
	(void)committed;   /* not stored: only this node's memory matches its receipt */
	free(arg);
}

static void msgid_store(struct sms_attempt *t, const char *id)
{
	size_t l = strlen(id);
	struct msgid_op *o = malloc(sizeof *o + l + 1);
	if (!o)
		return;
	o->delivery = t->a->delivery;
	o->started = t->started;
	memcpy(o->id, id, l + 1);
	if (ppg_core_write_lazy(t->s->base.env->core, msgid_write, msgid_after, o) < 0)
		free(o);
}

static void on_sms_result(void *arg, uint64_t tag, int status_class, uint32_t command_status,
    const char *message_id, const char *reason)
{
	struct sms_bearer *s = arg;
	struct sms_attempt *t = (struct sms_attempt *)(uintptr_t)tag;

	if (status_class == SMPP_OK) {
		if (message_id && *message_id) {
			msgid_add(t, message_id);
			if (t->a && !s->stopping)
				msgid_store(t, message_id);
		}
	} else {
		ppg_metrics_inc(PPG_M_SMPP_SUBMIT_ERRORS);
		if (status_class == SMPP_FAIL)
			t->fail = 1;
		else
			t->retry = 1;
		t->status = command_status;
		snprintf(t->reason, sizeof t->reason, "%s", reason ? reason : smpp_status_name(command_status));
	}
	if (--t->segments > 0)
		return;
	if (s->stopping || !t->a) {   /* abandoned, or the engine let go of it */
		attempt_free(t);
		return;
	}
	sms_answered(t);
}

/* A segment's final state, from its receipt or from a query_sm after a
 * reconnect (how: "delivery receipt", "query_sm"). */
static void sms_segment_state(struct sms_bearer *s, const char *message_id, int delivered,
    const char *stat, const char *how)
{
	struct sms_msgid *m;
	char desc[160];

	if (!message_id || !*message_id || delivered < 0)
		return;   /* intermediate states (ENROUTE, ACCEPTD) */
	int fstate = stat && !strcmp(stat, "EXPIRED") ? DB_STATE_EXPIRED : DB_STATE_UNDELIVERABLE;
	if (delivered)
		snprintf(desc, sizeof desc, "OTA/SMS: delivered (%s stat:%s)", strcmp(how, "query_sm") ? "receipt" : how,
		    stat ? stat : "DELIVRD");
	else
		snprintf(desc, sizeof desc, "OTA/SMS: %s stat:%s", how, stat ? stat : "?");
	for (m = s->msgids[msgid_bucket(message_id)]; m && strcmp(m->id, message_id); m = m->next)
		;
	/* The store decides for a receipt this node has no attempt waiting
	 * for (another node's segment, or a run before a restart): its
	 * message id is taken, and the delivery ends once none is left. A
	 * segment of this node's attempt that is not its last is taken there
	 * too, so that the others, wherever they arrive, are counted. */
	int mine = m && !m->done && m->t->receipt_timer && m->t->a;
	if (!s->stopping && (!mine || (delivered && m->t->receipts > 1)))
		ppg_bearer_receipt(&s->base, message_id, delivered, fstate, desc);
	if (!mine)
		return;
	m->done = 1;
	struct sms_attempt *t = m->t;
	ppg_metrics_inc(PPG_M_SMPP_RECEIPTS);
	if (!delivered) {
		attempt_final(t, fstate, PAP_SERVICE_FAILURE, desc);
		return;
	}
	if (--t->receipts > 0)
		return;
	attempt_outcome(t, 1, 0, 0, desc);
}

static void on_sms_receipt(void *arg, const char *message_id, int delivered, const char *stat)
{
	sms_segment_state(arg, message_id, delivered, stat, "delivery receipt");
}

/* The answer to a query_sm of a segment waiting for its receipt: mapped
 * like a receipt. ENROUTE, ACCEPTED, UNKNOWN: the receipt is still awaited
 * (until receipt_timeout). */
static void on_sms_query(void *arg, const char *message_id, int message_state, int error_code,
    uint32_t command_status, const char *reason)
{
	static struct ppg_ratelimit rl = PPG_RATELIMIT_INIT;   /* one line per segment: bounded */
	struct sms_bearer *s = arg;
	if (s->stopping)
		return;
	if (message_state < 0) {
		LOGP_RL(&rl, 20, PPG_LOG_SMPP, LOG_INFO, "query_sm of %s unanswered (%s): waiting for its receipt",
		    message_id, reason ? reason : smpp_status_name(command_status));
		return;
	}
	const char *stat = NULL;
	int delivered = smpp_state_receipt(message_state, &stat);
	LOGP_RL(&rl, 20, PPG_LOG_SMPP, LOG_INFO, "query_sm of %s: message_state %d (%s) error_code %d", message_id,
	    message_state, stat, error_code);
	sms_segment_state(s, message_id, delivered, stat, "query_sm");
}

/* The link is back: the segments accepted before it dropped whose receipt
 * has not come may have lost it with the link; ask the SMSC for each. */
static void sms_query_missing(struct sms_bearer *s)
{
	unsigned n = 0, failed = 0;
	for (unsigned h = 0; h < SMS_MSGID_BUCKETS; h++)
		for (struct sms_msgid *m = s->msgids[h]; m; m = m->next) {
			if (m->done || !m->t->receipt_timer || !m->t->a)
				continue;
			if (smpp_query(s->smpp, m->id) == 0)
				n++;
			else
				failed++;
		}
	if (n || failed)
		LOGP(PPG_LOG_SMPP, LOG_NOTICE, "SMSC link up: query_sm for %u segment%s waiting for a receipt%s",
		    n, n == 1 ? "" : "s", failed ? " (some could not be asked)" : "");
}

/* The SMPP client's own lines, under the SMPP category: per PDU some of
 * them (a misbehaving SMSC), so at most 20 a second, with the count of the
 * rest (debug lines, asked for, are not limited). */
static void forward_smpp_log(void *arg, int level, const char *fmt, va_list ap)
{
	static struct ppg_ratelimit rl = PPG_RATELIMIT_INIT;
	char msg[2048];

	(void)arg;
	if (!ppg_log_enabled(PPG_LOG_SMPP, level))
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (level >= LOG_DEBUG)
		ppg_log(PPG_LOG_SMPP, level, "%s", msg);
	else
		LOGP_RL(&rl, 20, PPG_LOG_SMPP, level, "%s", msg);
}

static void on_sms_link(void *arg, int up, const char *reason)
{
	struct sms_bearer *s = arg;
	ppg_metrics_smsc_link(up);
	LOGP(PPG_LOG_SMPP, up ? LOG_NOTICE : LOG_WARNING, "SMSC link %s%s%s", up ? "up" : "down",
	    reason ? ": " : "", reason ? reason : "");
	if (up && !s->stopping && s->cfg->ota_receipts)
		sms_query_missing(s);
}

static int sms_target(struct ppg_bearer *b, int type, const char *value, char *out, size_t len)
{
	(void)b;
	if (type != PAP_ADDR_PLMN)
		return -EINVAL;
	snprintf(out, len, "%s", value);
	return 0;
}

static int sms_live(struct ppg_bearer *b, const char *target, const struct ppg_push *p, int64_t now)
{
	(void)b;
	(void)target;
	(void)p;
	(void)now;
	return 1;
}

static void sms_send(struct ppg_bearer *b, struct ppg_bearer_attempt *a)
{
	struct sms_bearer *s = (struct sms_bearer *)b;
	const struct ppg_push *p = a->push;
	const char *number = a->target;
	struct ota_sms_segment *segs = NULL;
	uint8_t *pdu = NULL;
	size_t len = 0, n = 0;
	const char *reason = NULL;
	char desc[200];

	int r = ppg_push_ota_pdu(p, s->tid++, &pdu, &len, &reason);
	if (r < 0) {
		snprintf(desc, sizeof desc, "OTA: the content cannot go as a Push OTA message: %s",
		    reason ? reason : strerror(-r));
		ppg_bearer_ota_outcome(b, a, 0, 0, r == -ENOMEM ? PAP_INTERNAL_ERROR : PAP_TRANSFORMATION_FAILURE,
		    desc);
		return;
	}
	size_t max = ota_wdp_segment_count(len, s->cfg->ota_ref16);
	segs = max ? calloc(max, sizeof *segs) : NULL;
	r = segs ? ota_wdp_segment(pdu, len, s->ref++, s->cfg->ota_ref16, segs, max, &n) : -ENOMEM;
	free(pdu);
	if (r < 0) {
		free(segs);
		snprintf(desc, sizeof desc, "OTA/SMS: %zu octets do not fit in 255 SMS segments", len);
		ppg_bearer_ota_outcome(b, a, 0, 0, r == -ENOMEM ? PAP_INTERNAL_ERROR : PAP_TRANSFORMATION_FAILURE,
		    desc);
		return;
	}
	struct sms_attempt *t = calloc(1, sizeof *t);
	if (!t) {
		free(segs);
		ppg_bearer_release(b, a);
		return;
	}
	t->s = s;
	t->started = ppg_clock_now_ms();
	t->a = a;
	a->priv = t;
	/* SMPP destination: the international number without '+' (ton 1). */
	const char *dest = number[0] == '+' ? number + 1 : number;
	t->segments = 1;   /* keeps `t` alive through the loop */
	for (size_t i = 0; i < n; i++) {
		t->segments++;
		r = smpp_submit(s->smpp, dest, segs[i].data, segs[i].len, (uint64_t)(uintptr_t)t);
		if (r == 0)
			ppg_metrics_inc(PPG_M_SMPP_SUBMITS);
		if (r < 0) {
			t->segments--;
			t->retry = r == -EAGAIN;
			t->fail = r != -EAGAIN;
			snprintf(t->reason, sizeof t->reason, "%s",
			    r == -EAGAIN ? "the SMPP queue is full" : "the SMPP client refused the segment");
			break;
		}
	}
	free(segs);
	if (--t->segments == 0)
		sms_answered(t);
}

/* The delivery ended meanwhile: no receipt is awaited for it any more;
 * segments the SMSC has not answered keep `t` until they are. */
static void sms_forget(struct ppg_bearer *b, struct ppg_bearer_attempt *a)
{
	struct sms_attempt *t = a->priv;
	(void)b;
	if (!t)
		return;
	t->a = NULL;
	if (t->segments == 0)
		attempt_free(t);
	else
		msgids_forget(t);
}

static void sms_free(struct ppg_bearer *b)
{
	struct sms_bearer *s = (struct sms_bearer *)b;
	if (!s)
		return;
	s->stopping = 1;
	/* Segments still unanswered come back here with `stopping`. */
	smpp_free(s->smpp);
	free(s);
}

static const struct ppg_bearer_ops sms_ops = {
	.kind = PPG_BEARER_SMS, .name = "OTA/SMS",
	.target = sms_target, .live = sms_live, .send = sms_send, .forget = sms_forget, .free = sms_free,
};

int ppg_bearer_sms_new(const struct ppg_bearer_env *env, struct ppg_bearer **out, char *err, size_t errlen)
{
	const struct ppg_config *cfg = env->cfg;
	*out = NULL;
	if (!cfg->ota_sms)
		return 0;
	struct sms_bearer *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->base.ops = &sms_ops;
	s->base.env = env;
	s->cfg = cfg;
	s->root = env->root;
	char host[256];
	const char *colon = strrchr(cfg->ota_smsc, ':');
	snprintf(host, sizeof host, "%.*s", (int)(colon - cfg->ota_smsc), cfg->ota_smsc);
	struct smpp_config sc = {
		.host = host, .port = (unsigned)atoi(colon + 1),
		.system_id = cfg->ota_system_id, .password = cfg->ota_password,
		.system_type = cfg->ota_system_type, .transceiver = cfg->ota_transceiver,
		.window = cfg->ota_window, .enquire_link_s = cfg->ota_enquire_link,
		.reconnect_min_s = cfg->ota_reconnect_min, .reconnect_max_s = cfg->ota_reconnect_max,
		.registered_delivery = cfg->ota_receipts, .source_addr = cfg->ota_source_addr,
		.source_ton = cfg->ota_source_addr && cfg->ota_source_addr[0] == '+' ? 1 : 0,
		.source_npi = 1, .dest_ton = 1, .dest_npi = 1,
		.log = forward_smpp_log,
	};
	static const struct smpp_callbacks cbs = {
		.on_result = on_sms_result, .on_receipt = on_sms_receipt, .on_link = on_sms_link,
		.on_query = on_sms_query,
	};
	s->smpp = smpp_new(s->root, &sc, &cbs, s);
	if (!s->smpp) {
		snprintf(err, errlen, "cannot start the SMPP client for %s", cfg->ota_smsc);
		free(s);
		return -EIO;
	}
	LOGP(PPG_LOG_SMPP, LOG_NOTICE, "Push OTA over SMS through the SMSC at %s", cfg->ota_smsc);
	*out = &s->base;
	return 0;
}
