/*
 * ppg_smpp.c - the SMPP 3.4 ESME session of ppg_smpp.h on a sofia-sip
 * su_root: non-blocking connect, bind, windowed submit_sm, enquire_link,
 * receipts, reconnect with backoff. PDUs are packed and unpacked in
 * ppg_smpp_pdu.c (libsmpp34); incoming PDUs are handled in ppg_smpp_in.c.
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
#include "ppg/ppg_smpp_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/su_wait.h>

#include <smpp34.h>

#include "ppg/ppg_log.h"

#define DEF_WINDOW        10
#define DEF_QUEUE_MAX     1024
#define DEF_ENQUIRE_S     30.0
#define DEF_RECONNECT_MIN 1.0
#define DEF_RECONNECT_MAX 60.0
#define DEF_RESP_TIMEOUT  10.0
#define DEF_THROTTLE_S    1.0
#define WBUF_HIGH         65536  /* stop packing submits above this much unsent */
#define PDU_ROOM          512    /* room reserved for one PDU we pack */
#define SEQ_MAX           0x7FFFFFFFu  /* §5.1.4: 0x00000001-0x7FFFFFFF */

static void start_connect(struct ppg_smpp *s);

int64_t ppg_smpp_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

su_duration_t ppg_smpp_ms_of(double seconds)
{
	double ms = seconds * 1000.0;
	return ms < 1 ? 1 : ms > 86400000.0 ? 86400000 : (su_duration_t)ms;
}

void ppg_smpp_arm(su_timer_t *t, su_timer_f fn, struct ppg_smpp *s, int64_t delay_ms)
{
	su_timer_reset(t);
	su_timer_set_interval(t, fn, s, delay_ms < 0 ? 0 : (su_duration_t)delay_ms);
}

static uint32_t take_seq(struct ppg_smpp *s)
{
	uint32_t seq = s->next_seq;
	s->next_seq = seq >= SEQ_MAX ? 1 : seq + 1;
	return seq;
}

void ppg_smpp_result(struct ppg_smpp *s, struct sm *m, int cls, uint32_t status,
    const char *message_id, const char *reason)
{
	if (cls == PPG_SMPP_OK)
		s->st.ok++;
	else if (cls == PPG_SMPP_RETRY)
		s->st.retry++;
	else
		s->st.fail++;
	s->cb.on_result(s->arg, m->tag, cls, status, message_id, reason);
}

/* ------------------------------------------------------------- writing */

static void set_events(struct ppg_smpp *s, int out)
{
	if (s->wait_index > 0 && out != s->want_out) {
		su_root_eventmask(s->root, s->wait_index, s->fd, SU_WAIT_IN | (out ? SU_WAIT_OUT : 0));
		s->want_out = out;
	}
}

void ppg_smpp_flush(struct ppg_smpp *s)
{
	while (s->woff < s->wlen && !s->broken && s->fd >= 0) {
		ssize_t n = send(s->fd, s->wbuf + s->woff, s->wlen - s->woff, MSG_NOSIGNAL);
		if (n > 0) {
			s->woff += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			set_events(s, 1);
			return;
		} else {
			snprintf(s->broken_buf, sizeof s->broken_buf, "send: %s",
			    n < 0 ? strerror(errno) : "no progress");
			ppg_smpp_fail_soon(s, s->broken_buf);
			return;
		}
	}
	s->woff = s->wlen = 0;
	set_events(s, 0);
}

/* Room for one more PDU at the end of wbuf; NULL when out of memory. */
uint8_t *ppg_smpp_wroom(struct ppg_smpp *s, size_t *cap)
{
	if (s->woff > 0 && (s->woff == s->wlen || s->wcap - s->wlen < PDU_ROOM)) {
		memmove(s->wbuf, s->wbuf + s->woff, s->wlen - s->woff);
		s->wlen -= s->woff;
		s->woff = 0;
	}
	if (s->wcap - s->wlen < PDU_ROOM) {
		size_t ncap = s->wcap ? s->wcap * 2 : 8192;
		while (ncap - s->wlen < PDU_ROOM)
			ncap *= 2;
		uint8_t *nb = realloc(s->wbuf, ncap);
		if (!nb)
			return NULL;
		s->wbuf = nb;
		s->wcap = ncap;
	}
	*cap = s->wcap - s->wlen;
	return s->wbuf + s->wlen;
}

/* Queues a header-only PDU (enquire_link, responses, generic_nack). */
int ppg_smpp_send_empty(struct ppg_smpp *s, uint32_t id, uint32_t status, uint32_t seq)
{
	size_t cap, n;
	uint8_t *p = ppg_smpp_wroom(s, &cap);

	if (!p || ppg_smpp_pack_empty(p, cap, &n, id, status, seq) < 0)
		return -1;
	s->wlen += n;
	ppg_smpp_flush(s);
	return 0;
}

/* --------------------------------------------------------- link up/down */

static void unregister(struct ppg_smpp *s)
{
	if (s->wait_index > 0)
		su_root_deregister(s->root, s->wait_index);
	s->wait_index = 0;
	s->want_out = 0;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int ppg_smpp_is_auth_failure(uint32_t status)
{
	return status == ESME_RINVPASWD || status == ESME_RINVSYSID ||
	    status == ESME_RBINDFAIL || status == ESME_RINVSYSTYP;
}

/*
 * Closes the link and schedules the next attempt. Submits in flight go back
 * to the head of the queue, in their order, to be sent again after the next
 * bind (at-least-once); one that was in flight PPG_SMPP_MAX_TRIES times when
 * the link dropped ends as RETRY, so that a message that makes the SMSC drop
 * the link cannot block the queue forever.
 */
void ppg_smpp_link_down(struct ppg_smpp *s, const char *reason, int auth)
{
	struct smq gave_up = TAILQ_HEAD_INITIALIZER(gave_up);
	int was_bound = s->state == L_BOUND || s->state == L_CLOSING;
	unsigned requeued = 0;
	double delay;
	char why[192];

	snprintf(why, sizeof why, "%s", reason);
	unregister(s);
	s->gen++;
	s->state = L_IDLE;
	s->rlen = 0;
	s->wlen = s->woff = 0;
	s->broken = NULL;
	s->enq_seq = 0;
	s->bind_seq = 0;
	s->pause_until = 0;
	su_timer_reset(s->enq_timer);
	su_timer_reset(s->resp_timer);
	su_timer_reset(s->pump_timer);
	su_timer_reset(s->defer_timer);

	TAILQ_INIT(&gave_up);
	struct sm *m;
	while ((m = TAILQ_LAST(&s->inflight, smq))) {
		TAILQ_REMOVE(&s->inflight, m, q);
		s->ninflight--;
		if (++m->losses >= PPG_SMPP_MAX_TRIES) {
			TAILQ_INSERT_HEAD(&gave_up, m, q);
		} else {
			TAILQ_INSERT_HEAD(&s->queue, m, q);
			s->nqueue++;
			requeued++;
		}
	}

	delay = auth ? s->cfg.reconnect_max_s : s->backoff;
	if (!auth) {
		s->backoff *= 2;
		if (s->backoff > s->cfg.reconnect_max_s)
			s->backoff = s->cfg.reconnect_max_s;
	}
	ppg_smpp_arm(s->link_timer, ppg_smpp_on_link_timer, s, ppg_smpp_ms_of(delay));
	LOGSMPP(s, auth ? LOG_ERR : was_bound ? LOG_WARNING : LOG_NOTICE,
	    "link down: %s; %u submit_sm to resend, %u queued; reconnect in %.1f s",
	    why, requeued, s->nqueue, delay);
	if (s->cb.on_link)
		s->cb.on_link(s->arg, 0, why);
	while ((m = TAILQ_FIRST(&gave_up))) {
		TAILQ_REMOVE(&gave_up, m, q);
		ppg_smpp_result(s, m, PPG_SMPP_RETRY, PPG_SMPP_LOCAL, NULL,
		    "link lost repeatedly while the submit_sm was in flight");
		free(m);
	}
}

static void on_defer(su_root_magic_t *mg, su_timer_t *t, struct ppg_smpp *s)
{
	if (s->broken)
		ppg_smpp_link_down(s, s->broken, 0);
}

void ppg_smpp_fail_soon(struct ppg_smpp *s, const char *reason)
{
	if (s->broken)
		return;
	s->broken = reason;
	ppg_smpp_arm(s->defer_timer, on_defer, s, 0);
}

void ppg_smpp_on_link_timer(su_root_magic_t *mg, su_timer_t *t, struct ppg_smpp *s)
{
	switch (s->state) {
	case L_IDLE:
		start_connect(s);
		break;
	case L_CONNECTING:
		s->st.bind_failures++;
		ppg_smpp_link_down(s, "connect timed out", 0);
		break;
	case L_BINDING:
		s->st.bind_failures++;
		ppg_smpp_link_down(s, "no bind_resp in time", 0);
		break;
	case L_CLOSING:
		ppg_smpp_link_down(s, "unbind from the SMSC", 0);
		break;
	case L_BOUND:
		break;
	}
}

/* ----------------------------------------------------------- keep-alive */

void ppg_smpp_on_enq_timer(su_root_magic_t *mg, su_timer_t *t, struct ppg_smpp *s)
{
	int64_t now = ppg_smpp_now_ms(), next;

	if (s->state != L_BOUND)
		return;
	if (s->enq_seq && now >= s->enq_deadline) {
		ppg_smpp_link_down(s, "no enquire_link_resp in time", 0);
		return;
	}
	if (!s->enq_seq && now >= s->enq_next) {
		uint32_t seq = take_seq(s);
		if (ppg_smpp_send_empty(s, ENQUIRE_LINK, ESME_ROK, seq) == 0) {
			s->enq_seq = seq;
			s->enq_deadline = now + ppg_smpp_ms_of(s->cfg.response_timeout_s);
			s->st.enquire_sent++;
		}
		s->enq_next = now + ppg_smpp_ms_of(s->cfg.enquire_link_s);
	}
	next = s->enq_next;
	if (s->enq_seq && s->enq_deadline < next)
		next = s->enq_deadline;
	ppg_smpp_arm(s->enq_timer, ppg_smpp_on_enq_timer, s, next - now);
}

/* --------------------------------------------------------------- submits */

static void on_resp_timer(su_root_magic_t *mg, su_timer_t *t, struct ppg_smpp *s)
{
	int64_t now = ppg_smpp_now_ms();
	unsigned gen = s->gen;
	struct sm *m;
	char why[96];

	snprintf(why, sizeof why, "no submit_sm_resp within %.1f s", s->cfg.response_timeout_s);
	while ((m = TAILQ_FIRST(&s->inflight)) && m->deadline <= now) {
		TAILQ_REMOVE(&s->inflight, m, q);
		s->ninflight--;
		LOGSMPP(s, LOG_WARNING, "submit_sm seq=%u tag=%llu: %s", m->seq,
		    (unsigned long long)m->tag, why);
		ppg_smpp_result(s, m, PPG_SMPP_RETRY, PPG_SMPP_LOCAL, NULL, why);
		free(m);
		if (gen != s->gen)
			return;
	}
	ppg_smpp_arm_resp_timer(s);
	ppg_smpp_pump(s);
}

void ppg_smpp_arm_resp_timer(struct ppg_smpp *s)
{
	struct sm *m = TAILQ_FIRST(&s->inflight);

	if (!m)
		su_timer_reset(s->resp_timer);
	else
		ppg_smpp_arm(s->resp_timer, on_resp_timer, s, m->deadline - ppg_smpp_now_ms());
}

static void on_pump_timer(su_root_magic_t *mg, su_timer_t *t, struct ppg_smpp *s)
{
	ppg_smpp_pump(s);
}

/* Writes queued submits while bound, within the window and the pause. */
void ppg_smpp_pump(struct ppg_smpp *s)
{
	int64_t now;
	int wrote = 0;

	if (s->state != L_BOUND || s->broken)
		return;
	now = ppg_smpp_now_ms();
	if (s->pause_until > now) {
		ppg_smpp_arm(s->pump_timer, on_pump_timer, s, s->pause_until - now);
		return;
	}
	while (s->ninflight < s->cfg.window && !TAILQ_EMPTY(&s->queue) &&
	    s->wlen - s->woff < WBUF_HIGH) {
		struct sm *m = TAILQ_FIRST(&s->queue);
		size_t cap, n;
		uint8_t *p = ppg_smpp_wroom(s, &cap);
		uint32_t seq = take_seq(s);

		if (!p)
			break;          /* out of memory: try again on the next event */
		if (ppg_smpp_pack_submit(p, cap, &n, seq, &s->cfg, m->dest, m->data, m->len) < 0) {
			/* ppg_smpp_submit packed it once already: cannot happen */
			LOGSMPP(s, LOG_ERR, "cannot pack submit_sm tag=%llu", (unsigned long long)m->tag);
			break;
		}
		s->wlen += n;
		TAILQ_REMOVE(&s->queue, m, q);
		s->nqueue--;
		m->seq = seq;
		m->deadline = now + ppg_smpp_ms_of(s->cfg.response_timeout_s);
		if (m->sent)
			s->st.resent++;
		m->sent = 1;
		s->st.submits_sent++;
		TAILQ_INSERT_TAIL(&s->inflight, m, q);
		s->ninflight++;
		wrote = 1;
	}
	if (wrote) {
		ppg_smpp_flush(s);
		ppg_smpp_arm_resp_timer(s);
	}
}

int ppg_smpp_submit(struct ppg_smpp *s, const char *dest, const uint8_t *sm, size_t len,
    uint64_t tag)
{
	uint8_t probe[PDU_ROOM];
	size_t n;
	struct sm *m;

	if (!s || !dest || !*dest || strlen(dest) > 20 || !sm || len == 0 || len > PPG_SMPP_MAX_SM)
		return -EINVAL;
	/* Pack once now: whatever libsmpp34 refuses is refused here, not later. */
	if (ppg_smpp_pack_submit(probe, sizeof probe, &n, 1, &s->cfg, dest, sm, len) < 0)
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
	ppg_smpp_pump(s);
	return 0;
}

/* ------------------------------------------------------------- connect */

static void connected(struct ppg_smpp *s)
{
	size_t cap, n;
	uint8_t *p;

	s->st.connects++;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	su_root_eventmask(s->root, s->wait_index, s->fd, SU_WAIT_IN);
	s->want_out = 0;
	s->state = L_BINDING;
	s->bind_seq = take_seq(s);
	p = ppg_smpp_wroom(s, &cap);
	if (!p || ppg_smpp_pack_bind(p, cap, &n, s->bind_seq, &s->cfg) < 0) {
		ppg_smpp_link_down(s, "cannot pack the bind PDU", 0);
		return;
	}
	s->wlen += n;
	ppg_smpp_arm(s->link_timer, ppg_smpp_on_link_timer, s, ppg_smpp_ms_of(s->cfg.response_timeout_s));
	ppg_smpp_flush(s);
}

static int on_io(su_root_magic_t *mg, su_wait_t *w, struct ppg_smpp *s)
{
	int ev = su_wait_events(w, s->fd);

	if (s->state == L_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof err;
		if (!(ev & (SU_WAIT_OUT | SU_WAIT_ERR | SU_WAIT_HUP)))
			return 0;
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			char why[96];
			snprintf(why, sizeof why, "connect: %s", strerror(err));
			ppg_smpp_link_down(s, why, 0);
			return 0;
		}
		connected(s);
		return 0;
	}
	if (ev & SU_WAIT_OUT) {
		ppg_smpp_flush(s);
		ppg_smpp_pump(s);
	}
	if (s->fd >= 0 && !s->broken && (ev & (SU_WAIT_IN | SU_WAIT_HUP | SU_WAIT_ERR)))
		ppg_smpp_do_read(s);
	return 0;
}

static void start_connect(struct ppg_smpp *s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV }, *ai = NULL;
	char port[8], why[160];
	int r;

	snprintf(port, sizeof port, "%u", s->cfg.port);
	r = getaddrinfo(s->host, port, &hints, &ai);
	if (r == EAI_NONAME) {
		/* A name: resolved here, blocking (use an address to avoid it). */
		hints.ai_flags = AI_NUMERICSERV;
		r = getaddrinfo(s->host, port, &hints, &ai);
	}
	if (r != 0) {
		snprintf(why, sizeof why, "cannot resolve %s: %s", s->host, gai_strerror(r));
		ppg_smpp_link_down(s, why, 0);
		return;
	}
	s->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		freeaddrinfo(ai);
		snprintf(why, sizeof why, "socket: %s", strerror(errno));
		ppg_smpp_link_down(s, why, 0);
		return;
	}
	r = connect(s->fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (r < 0 && errno != EINPROGRESS) {
		snprintf(why, sizeof why, "connect: %s", strerror(errno));
		ppg_smpp_link_down(s, why, 0);
		return;
	}
	s->state = L_CONNECTING;
	if (su_wait_create(&s->wait, s->fd, SU_WAIT_OUT) < 0 ||
	    (s->wait_index = su_root_register(s->root, &s->wait, on_io, s, 0)) <= 0) {
		s->wait_index = 0;
		ppg_smpp_link_down(s, "cannot register the socket with the su_root", 0);
		return;
	}
	s->want_out = 1;
	ppg_smpp_arm(s->link_timer, ppg_smpp_on_link_timer, s, ppg_smpp_ms_of(s->cfg.response_timeout_s));
	/* r == 0 (loopback may connect at once): on_io sees it writable. */
}

/* ------------------------------------------------------------ new/free */

static char *dup_or_empty(const char *v)
{
	return strdup(v ? v : "");
}

struct ppg_smpp *ppg_smpp_new(su_root_t *root, const struct ppg_smpp_config *cfg,
    const struct ppg_smpp_callbacks *cb, void *arg)
{
	struct ppg_smpp *s;

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
	s->rbuf = malloc(PPG_SMPP_MAX_PDU + 1);
	s->link_timer = su_timer_create(su_root_task(root), 0);
	s->enq_timer = su_timer_create(su_root_task(root), 0);
	s->resp_timer = su_timer_create(su_root_task(root), 0);
	s->pump_timer = su_timer_create(su_root_task(root), 0);
	s->defer_timer = su_timer_create(su_root_task(root), 0);
	if (!s->host || !s->system_id || !s->password || !s->system_type || !s->source_addr ||
	    !s->rbuf || !s->link_timer || !s->enq_timer || !s->resp_timer || !s->pump_timer ||
	    !s->defer_timer) {
		ppg_smpp_free(s);
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
	ppg_smpp_arm(s->link_timer, ppg_smpp_on_link_timer, s, 0);
	return s;
}

void ppg_smpp_free(struct ppg_smpp *s)
{
	struct sm *m;

	if (!s)
		return;
	if (s->state == L_BOUND && s->fd >= 0 && !s->broken) {
		/* §4.2: polite, but nobody waits for the unbind_resp. */
		ppg_smpp_send_empty(s, UNBIND, ESME_ROK, take_seq(s));
	}
	unregister(s);
	su_timer_destroy(s->link_timer);
	su_timer_destroy(s->enq_timer);
	su_timer_destroy(s->resp_timer);
	su_timer_destroy(s->pump_timer);
	su_timer_destroy(s->defer_timer);
	s->state = L_IDLE;
	while ((m = TAILQ_FIRST(&s->inflight))) {
		TAILQ_REMOVE(&s->inflight, m, q);
		s->ninflight--;
		ppg_smpp_result(s, m, PPG_SMPP_RETRY, PPG_SMPP_LOCAL, NULL, "shutting down");
		free(m);
	}
	while ((m = TAILQ_FIRST(&s->queue))) {
		TAILQ_REMOVE(&s->queue, m, q);
		s->nqueue--;
		ppg_smpp_result(s, m, PPG_SMPP_RETRY, PPG_SMPP_LOCAL, NULL, "shutting down");
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

void ppg_smpp_stats(const struct ppg_smpp *s, struct ppg_smpp_stats *out)
{
	*out = s->st;
	out->bound = s->state == L_BOUND;
	out->queued = s->nqueue;
	out->in_flight = s->ninflight;
	out->window = s->cfg.window;
}

unsigned ppg_smpp_in_flight(const struct ppg_smpp *s)
{
	return s->ninflight;
}
