/*
 * smpp_link.c - the TCP link of the SMPP 3.4 ESME session (smpp_client.c):
 * non-blocking connect and bind, the write buffer, link down with the
 * submits in flight put back (at-least-once), reconnect with backoff, and
 * enquire_link.
 *
 * Specification: SMPP v3.4 Issue 1.2 §2.2-2.9 (sessions, bind states,
 * enquire_link), §3.2 (framing), §4.1-4.2 (bind, unbind).
 */
#include "smpp/smpp_int.h"

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
#include <unistd.h>

#include <sofia-sip/su_wait.h>

#include <smpp34.h>

static void start_connect(struct smpp *s);

/* ------------------------------------------------------------- writing */

static void set_events(struct smpp *s, int out)
{
	if (s->wait_index > 0 && out != s->want_out) {
		su_root_eventmask(s->root, s->wait_index, s->fd, SU_WAIT_IN | (out ? SU_WAIT_OUT : 0));
		s->want_out = out;
	}
}

void smpp_flush(struct smpp *s)
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
			smpp_fail_soon(s, s->broken_buf);
			return;
		}
	}
	s->woff = s->wlen = 0;
	set_events(s, 0);
}

/* Room for one more PDU at the end of wbuf; NULL when out of memory. */
uint8_t *smpp_wroom(struct smpp *s, size_t *cap)
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
int smpp_send_empty(struct smpp *s, uint32_t id, uint32_t status, uint32_t seq)
{
	size_t cap, n;
	uint8_t *p = smpp_wroom(s, &cap);

	if (!p || smpp_pack_empty(p, cap, &n, id, status, seq) < 0)
		return -1;
	s->wlen += n;
	smpp_flush(s);
	return 0;
}

/* --------------------------------------------------------- link up/down */

void smpp_unregister(struct smpp *s)
{
	if (s->wait_index > 0)
		su_root_deregister(s->root, s->wait_index);
	s->wait_index = 0;
	s->want_out = 0;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int smpp_is_auth_failure(uint32_t status)
{
	return status == ESME_RINVPASWD || status == ESME_RINVSYSID ||
	    status == ESME_RBINDFAIL || status == ESME_RINVSYSTYP;
}

/*
 * Closes the link and schedules the next attempt. Submits in flight go back
 * to the head of the queue, in their order, to be sent again after the next
 * bind (at-least-once); one that was in flight SMPP_MAX_TRIES times when
 * the link dropped ends as RETRY, so that a message that makes the SMSC drop
 * the link cannot block the queue forever.
 */
void smpp_link_down(struct smpp *s, const char *reason, int auth)
{
	struct smq gave_up = TAILQ_HEAD_INITIALIZER(gave_up);
	int was_bound = s->state == L_BOUND || s->state == L_CLOSING;
	unsigned requeued = 0;
	double delay;
	char why[192];

	snprintf(why, sizeof why, "%s", reason);
	smpp_unregister(s);
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
		if (++m->losses >= SMPP_MAX_TRIES) {
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
	smpp_arm(s->link_timer, smpp_on_link_timer, s, smpp_ms_of(delay));
	LOGSMPP(s, auth ? LOG_ERR : was_bound ? LOG_WARNING : LOG_NOTICE,
	    "link down: %s; %u submit_sm to resend, %u queued; reconnect in %.1f s",
	    why, requeued, s->nqueue, delay);
	if (s->cb.on_link)
		s->cb.on_link(s->arg, 0, why);
	smpp_query_end_all(s, "link lost before the query_sm_resp", 0);
	while ((m = TAILQ_FIRST(&gave_up))) {
		TAILQ_REMOVE(&gave_up, m, q);
		smpp_result(s, m, SMPP_RETRY, SMPP_LOCAL, NULL,
		    "link lost repeatedly while the submit_sm was in flight");
		free(m);
	}
}

static void on_defer(su_root_magic_t *mg, su_timer_t *t, struct smpp *s)
{
	if (s->broken)
		smpp_link_down(s, s->broken, 0);
}

void smpp_fail_soon(struct smpp *s, const char *reason)
{
	if (s->broken)
		return;
	s->broken = reason;
	smpp_arm(s->defer_timer, on_defer, s, 0);
}

void smpp_on_link_timer(su_root_magic_t *mg, su_timer_t *t, struct smpp *s)
{
	switch (s->state) {
	case L_IDLE:
		start_connect(s);
		break;
	case L_CONNECTING:
		s->st.bind_failures++;
		smpp_link_down(s, "connect timed out", 0);
		break;
	case L_BINDING:
		s->st.bind_failures++;
		smpp_link_down(s, "no bind_resp in time", 0);
		break;
	case L_CLOSING:
		smpp_link_down(s, "unbind from the SMSC", 0);
		break;
	case L_BOUND:
		break;
	}
}

/* ----------------------------------------------------------- keep-alive */

void smpp_on_enq_timer(su_root_magic_t *mg, su_timer_t *t, struct smpp *s)
{
	int64_t now = smpp_now_ms(), next;

	if (s->state != L_BOUND)
		return;
	if (s->enq_seq && now >= s->enq_deadline) {
		smpp_link_down(s, "no enquire_link_resp in time", 0);
		return;
	}
	if (!s->enq_seq && now >= s->enq_next) {
		uint32_t seq = smpp_take_seq(s);
		if (smpp_send_empty(s, ENQUIRE_LINK, ESME_ROK, seq) == 0) {
			s->enq_seq = seq;
			s->enq_deadline = now + smpp_ms_of(s->cfg.response_timeout_s);
			s->st.enquire_sent++;
		}
		s->enq_next = now + smpp_ms_of(s->cfg.enquire_link_s);
	}
	next = s->enq_next;
	if (s->enq_seq && s->enq_deadline < next)
		next = s->enq_deadline;
	smpp_arm(s->enq_timer, smpp_on_enq_timer, s, next - now);
}

/* ------------------------------------------------------------- connect */

static void connected(struct smpp *s)
{
	size_t cap, n;
	uint8_t *p;

	s->st.connects++;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	su_root_eventmask(s->root, s->wait_index, s->fd, SU_WAIT_IN);
	s->want_out = 0;
	s->state = L_BINDING;
	s->bind_seq = smpp_take_seq(s);
	p = smpp_wroom(s, &cap);
	if (!p || smpp_pack_bind(p, cap, &n, s->bind_seq, &s->cfg) < 0) {
		smpp_link_down(s, "cannot pack the bind PDU", 0);
		return;
	}
	s->wlen += n;
	smpp_arm(s->link_timer, smpp_on_link_timer, s, smpp_ms_of(s->cfg.response_timeout_s));
	smpp_flush(s);
}

static int on_io(su_root_magic_t *mg, su_wait_t *w, struct smpp *s)
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
			smpp_link_down(s, why, 0);
			return 0;
		}
		connected(s);
		return 0;
	}
	if (ev & SU_WAIT_OUT) {
		smpp_flush(s);
		smpp_pump(s);
	}
	if (s->fd >= 0 && !s->broken && (ev & (SU_WAIT_IN | SU_WAIT_HUP | SU_WAIT_ERR)))
		smpp_do_read(s);
	return 0;
}

static void start_connect(struct smpp *s)
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
		smpp_link_down(s, why, 0);
		return;
	}
	s->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		freeaddrinfo(ai);
		snprintf(why, sizeof why, "socket: %s", strerror(errno));
		smpp_link_down(s, why, 0);
		return;
	}
	r = connect(s->fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (r < 0 && errno != EINPROGRESS) {
		snprintf(why, sizeof why, "connect: %s", strerror(errno));
		smpp_link_down(s, why, 0);
		return;
	}
	s->state = L_CONNECTING;
	if (su_wait_create(&s->wait, s->fd, SU_WAIT_OUT) < 0 ||
	    (s->wait_index = su_root_register(s->root, &s->wait, on_io, s, 0)) <= 0) {
		s->wait_index = 0;
		smpp_link_down(s, "cannot register the socket with the su_root", 0);
		return;
	}
	s->want_out = 1;
	smpp_arm(s->link_timer, smpp_on_link_timer, s, smpp_ms_of(s->cfg.response_timeout_s));
	/* r == 0 (loopback may connect at once): on_io sees it writable. */
}
