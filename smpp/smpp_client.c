/*
 * smpp_client.c - the SMPP 3.4 ESME session of smpp.h on a sofia-sip
 * su_root: life cycle, the submit queue and window, results. The TCP link
 * (connect, writing, link down and reconnect with backoff, enquire_link) is
 * in smpp_link.c; PDUs are packed and unpacked in smpp_pdu.c (libsmpp34);
 * incoming PDUs are handled in smpp_in.c.
 *
 * Specification: SMPP v3.4 Issue 1.2 §2.2-2.9 (sessions, bind states,
 * enquire_link, windowing: "asynchronous" operation with several requests
 * outstanding), §2.10 (error handling: generic_nack), §3.2 (framing).
 *
 * States: IDLE (waiting to reconnect) -> CONNECTING -> BINDING -> BOUND
 * (-> CLOSING after an unbind from the SMSC), and back to IDLE through
 * link_down() from anywhere. Submits live on two lists:
 * queue (not sent yet, FIFO) and inflight (written, awaiting submit_sm_resp,
 * in the order sent, so that the head is the first to time out).
 */
#include "smpp/smpp_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <sofia-sip/su_wait.h>

#include <smpp34.h>

#define DEF_WINDOW        10
#define DEF_QUEUE_MAX     1024
#define DEF_ENQUIRE_S     30.0
#define DEF_RECONNECT_MIN 1.0
#define DEF_RECONNECT_MAX 60.0
#define DEF_RESP_TIMEOUT  10.0
#define DEF_THROTTLE_S    1.0
#define WBUF_HIGH         65536  /* stop packing submits above this much unsent */

void smpp_log(struct smpp *s, int level, const char *fmt, ...)
{
	va_list ap;

	if (!s->cfg.log)
		return;
	va_start(ap, fmt);
	s->cfg.log(s->cfg.log_arg, level, fmt, ap);
	va_end(ap);
}

int64_t smpp_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

su_duration_t smpp_ms_of(double seconds)
{
	double ms = seconds * 1000.0;
	return ms < 1 ? 1 : ms > 86400000.0 ? 86400000 : (su_duration_t)ms;
}

void smpp_arm(su_timer_t *t, su_timer_f fn, struct smpp *s, int64_t delay_ms)
{
	su_timer_reset(t);
	su_timer_set_interval(t, fn, s, delay_ms < 0 ? 0 : (su_duration_t)delay_ms);
}

uint32_t smpp_take_seq(struct smpp *s)
{
	uint32_t seq = s->next_seq;
	s->next_seq = seq >= SEQ_MAX ? 1 : seq + 1;
	return seq;
}

void smpp_result(struct smpp *s, struct sm *m, int cls, uint32_t status,
    const char *message_id, const char *reason)
{
	if (cls == SMPP_OK)
		s->st.ok++;
	else if (cls == SMPP_RETRY)
		s->st.retry++;
	else
		s->st.fail++;
	s->cb.on_result(s->arg, m->tag, cls, status, message_id, reason);
}

/* --------------------------------------------------------------- submits */

static void on_resp_timer(su_root_magic_t *mg, su_timer_t *t, struct smpp *s)
{
	int64_t now = smpp_now_ms();
	unsigned gen = s->gen;
	struct sm *m;
	char why[96];

	snprintf(why, sizeof why, "no submit_sm_resp within %.1f s", s->cfg.response_timeout_s);
	while ((m = TAILQ_FIRST(&s->inflight)) && m->deadline <= now) {
		TAILQ_REMOVE(&s->inflight, m, q);
		s->ninflight--;
		LOGSMPP(s, LOG_WARNING, "submit_sm seq=%u tag=%llu: %s", m->seq,
		    (unsigned long long)m->tag, why);
		smpp_result(s, m, SMPP_RETRY, SMPP_LOCAL, NULL, why);
		free(m);
		if (gen != s->gen)
			return;
	}
	smpp_arm_resp_timer(s);
	smpp_pump(s);
}

void smpp_arm_resp_timer(struct smpp *s)
{
	struct sm *m = TAILQ_FIRST(&s->inflight);

	if (!m)
		su_timer_reset(s->resp_timer);
	else
		smpp_arm(s->resp_timer, on_resp_timer, s, m->deadline - smpp_now_ms());
}

static void on_pump_timer(su_root_magic_t *mg, su_timer_t *t, struct smpp *s)
{
	smpp_pump(s);
}

/* Writes queued submits while bound, within the window and the pause. */
void smpp_pump(struct smpp *s)
{
	int64_t now;
	int wrote = 0;

	if (s->state != L_BOUND || s->broken)
		return;
	now = smpp_now_ms();
	if (s->pause_until > now) {
		smpp_arm(s->pump_timer, on_pump_timer, s, s->pause_until - now);
		return;
	}
	while (s->ninflight < s->cfg.window && !TAILQ_EMPTY(&s->queue) &&
	    s->wlen - s->woff < WBUF_HIGH) {
		struct sm *m = TAILQ_FIRST(&s->queue);
		size_t cap, n;
		uint8_t *p = smpp_wroom(s, &cap);
		uint32_t seq = smpp_take_seq(s);

		if (!p)
			break;          /* out of memory: try again on the next event */
		if (smpp_pack_submit(p, cap, &n, seq, &s->cfg, m->dest, m->data, m->len) < 0) {
			/* smpp_submit packed it once already: cannot happen */
			LOGSMPP(s, LOG_ERR, "cannot pack submit_sm tag=%llu", (unsigned long long)m->tag);
			break;
		}
		s->wlen += n;
		TAILQ_REMOVE(&s->queue, m, q);
		s->nqueue--;
		m->seq = seq;
		m->deadline = now + smpp_ms_of(s->cfg.response_timeout_s);
		if (m->sent)
			s->st.resent++;
		m->sent = 1;
		s->st.submits_sent++;
		TAILQ_INSERT_TAIL(&s->inflight, m, q);
		s->ninflight++;
		wrote = 1;
	}
	if (wrote) {
		smpp_flush(s);
		smpp_arm_resp_timer(s);
	}
}

int smpp_submit(struct smpp *s, const char *dest, const uint8_t *sm, size_t len,
    uint64_t tag)
{
	uint8_t probe[PDU_ROOM];
	size_t n;
	struct sm *m;

	if (!s || !dest || !*dest || strlen(dest) > 20 || !sm || len == 0 || len > SMPP_MAX_SM)
		return -EINVAL;
	/* Pack once now: whatever libsmpp34 refuses is refused here, not later. */
	if (smpp_pack_submit(probe, sizeof probe, &n, 1, &s->cfg, dest, sm, len) < 0)
		return -EINVAL;
	if (s->nqueue + s->ninflight >= s->cfg.queue_max)
		return -EAGAIN;
	m = calloc(1, sizeof *m);
	if (!m)
		return -ENOMEM;
	m->tag = tag;
	snprintf(m->dest, sizeof m->dest, "%s", dest);
	memcpy(m->data, sm, len);
	m->len = len;
	TAILQ_INSERT_TAIL(&s->queue, m, q);
	s->nqueue++;
	smpp_pump(s);
	return 0;
}

/* ------------------------------------------------------------ new/free */

static char *dup_or_empty(const char *v)
{
	return strdup(v ? v : "");
}

struct smpp *smpp_new(su_root_t *root, const struct smpp_config *cfg,
    const struct smpp_callbacks *cb, void *arg)
{
	struct smpp *s;

	if (!root || !cfg || !cb || !cb->on_result || !cfg->host || !*cfg->host ||
	    cfg->port == 0 || cfg->port > 65535 ||
	    (cfg->system_id && strlen(cfg->system_id) > 15) ||
	    (cfg->password && strlen(cfg->password) > 8) ||
	    (cfg->system_type && strlen(cfg->system_type) > 12) ||
	    (cfg->source_addr && strlen(cfg->source_addr) > 20))
		return NULL;
	s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->root = root;
	s->cfg = *cfg;
	s->cb = *cb;
	s->arg = arg;
	s->fd = -1;
	TAILQ_INIT(&s->queue);
	TAILQ_INIT(&s->inflight);
	s->host = strdup(cfg->host);
	s->system_id = dup_or_empty(cfg->system_id);
	s->password = dup_or_empty(cfg->password);
	s->system_type = dup_or_empty(cfg->system_type);
	s->source_addr = dup_or_empty(cfg->source_addr);
	s->rbuf = malloc(SMPP_MAX_PDU + 1);
	s->link_timer = su_timer_create(su_root_task(root), 0);
	s->enq_timer = su_timer_create(su_root_task(root), 0);
	s->resp_timer = su_timer_create(su_root_task(root), 0);
	s->pump_timer = su_timer_create(su_root_task(root), 0);
	s->defer_timer = su_timer_create(su_root_task(root), 0);
	if (!s->host || !s->system_id || !s->password || !s->system_type || !s->source_addr ||
	    !s->rbuf || !s->link_timer || !s->enq_timer || !s->resp_timer || !s->pump_timer ||
	    !s->defer_timer) {
		smpp_free(s);
		return NULL;
	}
	s->cfg.host = s->host;
	s->cfg.system_id = s->system_id;
	s->cfg.password = s->password;
	s->cfg.system_type = s->system_type;
	s->cfg.source_addr = s->source_addr;
	if (!s->cfg.window)
		s->cfg.window = DEF_WINDOW;
	if (!s->cfg.queue_max)
		s->cfg.queue_max = DEF_QUEUE_MAX;
	if (s->cfg.enquire_link_s <= 0)
		s->cfg.enquire_link_s = DEF_ENQUIRE_S;
	if (s->cfg.reconnect_min_s <= 0)
		s->cfg.reconnect_min_s = DEF_RECONNECT_MIN;
	if (s->cfg.reconnect_max_s <= 0)
		s->cfg.reconnect_max_s = DEF_RECONNECT_MAX;
	if (s->cfg.reconnect_max_s < s->cfg.reconnect_min_s)
		s->cfg.reconnect_max_s = s->cfg.reconnect_min_s;
	if (s->cfg.response_timeout_s <= 0)
		s->cfg.response_timeout_s = DEF_RESP_TIMEOUT;
	if (s->cfg.throttle_pause_s <= 0)
		s->cfg.throttle_pause_s = DEF_THROTTLE_S;
	s->next_seq = cfg->initial_seq >= 1 && cfg->initial_seq <= SEQ_MAX ? cfg->initial_seq : 1;
	s->backoff = s->cfg.reconnect_min_s;
	snprintf(s->name, sizeof s->name, "%s:%u/%s", s->host, s->cfg.port, s->system_id);
	/* Connect from the loop, so that no callback runs before this returns. */
	smpp_arm(s->link_timer, smpp_on_link_timer, s, 0);
	return s;
}

void smpp_free(struct smpp *s)
{
	struct sm *m;

	if (!s)
		return;
	if (s->state == L_BOUND && s->fd >= 0 && !s->broken) {
		/* §4.2: polite, but nobody waits for the unbind_resp. */
		smpp_send_empty(s, UNBIND, ESME_ROK, smpp_take_seq(s));
	}
	smpp_unregister(s);
	su_timer_destroy(s->link_timer);
	su_timer_destroy(s->enq_timer);
	su_timer_destroy(s->resp_timer);
	su_timer_destroy(s->pump_timer);
	su_timer_destroy(s->defer_timer);
	smpp_query_end_all(s, NULL, 1);
	s->state = L_IDLE;
	while ((m = TAILQ_FIRST(&s->inflight))) {
		TAILQ_REMOVE(&s->inflight, m, q);
		s->ninflight--;
		smpp_result(s, m, SMPP_RETRY, SMPP_LOCAL, NULL, "shutting down");
		free(m);
	}
	while ((m = TAILQ_FIRST(&s->queue))) {
		TAILQ_REMOVE(&s->queue, m, q);
		s->nqueue--;
		smpp_result(s, m, SMPP_RETRY, SMPP_LOCAL, NULL, "shutting down");
		free(m);
	}
	free(s->host);
	free(s->system_id);
	free(s->password);
	free(s->system_type);
	free(s->source_addr);
	free(s->rbuf);
	free(s->wbuf);
	free(s);
}

void smpp_stats(const struct smpp *s, struct smpp_stats *out)
{
	*out = s->st;
	out->bound = s->state == L_BOUND;
	out->queued = s->nqueue;
	out->in_flight = s->ninflight;
	out->window = s->cfg.window;
}

unsigned smpp_in_flight(const struct smpp *s)
{
	return s->ninflight;
}

