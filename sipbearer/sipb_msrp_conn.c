/*
 * sipb_msrp_conn.c - the active side of one MSRP session (RFC 4975): a
 * non-blocking TCP connection on the su_root, the message cut into SEND
 * chunks of chunk_size bytes (§7.1.1: Byte-Range start-end/total, one
 * Message-ID, Success-Report: yes and Failure-Report: yes on each), the
 * transaction responses (§7.2) and the REPORT (§7.1.2) read back with
 * sipb_msrp_parse. The message is delivered on a REPORT with status
 * 000 200 covering every byte; without report_required also once every
 * SEND has its 200. Requests from the peer other than REPORT (a sendonly
 * endpoint gets none) are answered 501. msrps: after the TCP connect the TLS
 * handshake (sipb_msrp_tls.c) runs on the same events before the first
 * SEND; its failure ends the transfer as a local 503 (a lost connection).
 */
#define SU_WAKEUP_ARG_T struct sipb_mconn
#define SU_TIMER_ARG_T struct sipb_mconn

#include "sipbearer/sipb_msrp_conn.h"
#include "sipbearer/sipb_msrp.h"
#include "sipbearer/sipb_msrp_tls.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sofia-sip/su_wait.h>

/* Bytes of a SEND besides its content (start line, headers, end-line). */
#define MCONN_HEAD_ROOM 4096

struct sipb_mconn {
	su_root_t *root;
	struct sipb_mconn_cfg cfg;
	char *to_path, *from_path, *content_type;
	char *host, *fingerprint;     /* msrps: copies, for the handshake after the connect */
	char why[300];                /* a TLS failure's text (its session goes before the callback) */
	sipb_mconn_fn cb;
	void *arg;
	int fd;
	su_wait_t wait;
	int wait_index;
	int connecting;
	int handshaking;              /* msrps: TCP is up, TLS is not yet */
	struct sipb_mtls *tls;
	int want_out;
	su_timer_t *timer;            /* the transfer's deadline */
	su_timer_t *soon;             /* a failure found in sipb_mconn_start */
	const char *soon_why;
	struct sipb_msrp_rng rng;
	char message_id[MSRP_TID_MAX + 2];
	char (*tids)[MSRP_TID_MAX + 1];   /* one per chunk */
	size_t nchunks, sent, acked;
	char *wbuf;
	size_t wcap, wlen, woff;
	char *rbuf;
	size_t rcap, rlen;
	size_t parse_end;             /* rbuf bytes up to the end of the message being handled */
	int done;
	int kept;                     /* ended well with cfg.keep: fd and tls stay (sipb_mconn_detach) */
};

static void mconn_close(struct sipb_mconn *c)
{
	if (c->wait_index > 0)
		su_root_deregister(c->root, c->wait_index);
	c->wait_index = 0;
	sipb_mtls_free(c->tls);
	c->tls = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	su_timer_destroy(c->timer);
	c->timer = NULL;
	su_timer_destroy(c->soon);
	c->soon = NULL;
}

/* Ends the transfer: the socket goes, then the owner hears (and may free c). */
static void mconn_finish(struct sipb_mconn *c, int status, int local, int report, const char *why)
{
	struct sipb_mconn_result r = { .status = status, .local = local, .from_report = report,
		.comment = why, .chunks = c->sent, .acked = c->acked };

	if (c->done)
		return;
	c->done = 1;
	/* cfg.keep: a connection that ended well with nothing more in flight
	 * (every SEND answered, nothing read past this message, nothing left
	 * to write) stays for the next session */
	if (c->cfg.keep && status == 200 && !local && c->acked == c->nchunks && c->parse_end == c->rlen &&
	    c->woff >= c->wlen && !c->connecting && !c->handshaking && c->fd >= 0) {
		if (c->wait_index > 0)
			su_root_deregister(c->root, c->wait_index);
		c->wait_index = 0;
		su_timer_destroy(c->timer);
		c->timer = NULL;
		su_timer_destroy(c->soon);
		c->soon = NULL;
		c->kept = 1;
	} else {
		mconn_close(c);
	}
	c->cb(c->arg, &r);
}

int sipb_mconn_detach(struct sipb_mconn *c, int *fd, struct sipb_mtls **tls)
{
	if (!c || !c->kept || c->fd < 0)
		return -1;
	*fd = c->fd;
	*tls = c->tls;
	c->fd = -1;
	c->tls = NULL;
	c->kept = 0;
	return 0;
}

/* The socket or the TLS record layer: > 0, 0 (peer closed, recv only),
 * -EAGAIN, or another negative errno. */
static ssize_t mconn_send(struct sipb_mconn *c, const void *b, size_t n)
{
	if (c->tls)
		return sipb_mtls_send(c->tls, b, n);
	for (;;) {
		ssize_t r = send(c->fd, b, n, MSG_NOSIGNAL);
		if (r >= 0)
			return r;
		if (errno != EINTR)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
}

static ssize_t mconn_recv(struct sipb_mconn *c, void *b, size_t n)
{
	if (c->tls)
		return sipb_mtls_recv(c->tls, b, n);
	for (;;) {
		ssize_t r = recv(c->fd, b, n, 0);
		if (r >= 0)
			return r;
		if (errno != EINTR)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
}

static void mconn_events(struct sipb_mconn *c, int out)
{
	if (c->wait_index > 0 && out != c->want_out) {
		su_root_eventmask(c->root, c->wait_index, c->fd, SU_WAIT_IN | (out ? SU_WAIT_OUT : 0));
		c->want_out = out;
	}
}

/* Writes the next chunk into the empty write buffer. 0, or -1 (finished). */
static int mconn_next_chunk(struct sipb_mconn *c)
{
	size_t off = c->sent * c->cfg.chunk_size;
	size_t n = c->cfg.len - off < c->cfg.chunk_size ? c->cfg.len - off : c->cfg.chunk_size;
	struct sipb_msrp_send s = {
		.to_path = c->to_path, .from_path = c->from_path, .message_id = c->message_id,
		.start = off + 1, .total = c->cfg.len,
		.success_report = MSRP_REP_YES, .failure_report = MSRP_REP_YES,
		.content_type = c->content_type, .data = (const char *)c->cfg.body + off, .len = n,
		.flag = c->sent + 1 == c->nchunks ? '$' : '+',
	};
	ssize_t w = sipb_msrp_write_send(c->wbuf, c->wcap, &s, &c->rng, c->tids[c->sent]);

	if (w < 0) {
		mconn_finish(c, 500, 1, 0, "cannot write an MSRP SEND");
		return -1;
	}
	c->sent++;
	c->wlen = (size_t)w;
	c->woff = 0;
	return 0;
}

/* Sends what the socket takes: the write buffer, then the next chunks.
 * 0, or -1 when the transfer finished (c may be gone). */
static int mconn_flush(struct sipb_mconn *c)
{
	for (;;) {
		if (c->woff == c->wlen) {
			c->woff = c->wlen = 0;
			if (c->sent == c->nchunks) {
				mconn_events(c, 0);
				return 0;
			}
			if (mconn_next_chunk(c) < 0)
				return -1;
		}
		ssize_t n = mconn_send(c, c->wbuf + c->woff, c->wlen - c->woff);
		if (n > 0) {
			c->woff += (size_t)n;
		} else if (n == -EAGAIN) {
			mconn_events(c, 1);
			return 0;
		} else {
			mconn_finish(c, 503, 1, 0, "MSRP connection lost while sending");
			return -1;
		}
	}
}

static int str_is(const struct sipb_msrp_str *s, const char *v)
{
	return s->p && s->n == strlen(v) && !memcmp(s->p, v, s->n);
}

/* One whole message from the peer. 0, or -1 when the transfer finished. */
static int mconn_handle(struct sipb_mconn *c, const struct sipb_msrp_msg *m)
{
	if (m->is_response) {
		size_t i;
		for (i = 0; i < c->sent; i++)
			if (str_is(&m->tid, c->tids[i]))
				break;
		if (i == c->sent)
			return 0;   /* not ours (or answered twice): ignored */
		if (m->status != 200) {
			const char *ph = sipb_msrp_status_phrase(m->status);
			mconn_finish(c, m->status, 0, 0, ph ? ph : "error response to a SEND");
			return -1;
		}
		c->tids[i][0] = '\0';
		c->acked++;
		if (c->acked == c->nchunks && !c->cfg.report_required) {
			mconn_finish(c, 200, 0, 0, "every SEND answered 200");
			return -1;
		}
		return 0;
	}
	if (m->method_id == MSRP_REPORT) {
		if (!str_is(&m->message_id, c->message_id) || !m->has_status)
			return 0;
		if (m->status_code != 200) {
			const char *ph = sipb_msrp_status_phrase(m->status_code);
			mconn_finish(c, m->status_code, 0, 1, ph ? ph : "error status");
			return -1;
		}
		/* A success REPORT covers the bytes received (§7.1.2): all of them? */
		if (m->has_byte_range && m->range_start == 1 &&
		    (m->range_end == c->cfg.len || (m->range_end == MSRP_STAR && c->cfg.len == 0))) {
			mconn_finish(c, 200, 0, 1, "MSRP REPORT 000 200");
			return -1;
		}
		return 0;
	}
	/* Any other request: this endpoint only sends (a=sendonly). */
	char out[512], tid[MSRP_TID_MAX + 1];
	snprintf(tid, sizeof tid, "%.*s", (int)m->tid.n, m->tid.p);
	char from[256];
	snprintf(from, sizeof from, "%.*s", (int)strcspn(m->from_path.p ? m->from_path.p : "", " "),
	    m->from_path.p ? m->from_path.p : "");
	ssize_t w = sipb_msrp_write_response(out, sizeof out, tid, 501, NULL, from, c->from_path);
	if (w > 0 && c->wlen == 0 && !c->tls)   /* best effort; not amid a TLS record */
		(void)!send(c->fd, out, (size_t)w, MSG_NOSIGNAL | MSG_DONTWAIT);
	return 0;
}

static void mconn_read(struct sipb_mconn *c)
{
	for (;;) {
		if (c->rcap - c->rlen < 4096) {
			size_t cap = c->rcap ? c->rcap * 2 : 16384;
			char *nb = cap <= 2 * (size_t)MSRP_MAX_MESSAGE ? realloc(c->rbuf, cap) : NULL;
			if (!nb) {
				mconn_finish(c, 400, 1, 0, "MSRP message from the peer too large");
				return;
			}
			c->rbuf = nb;
			c->rcap = cap;
		}
		ssize_t n = mconn_recv(c, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			mconn_finish(c, 503, 1, 0, "MSRP connection closed by the peer");
			return;
		}
		c->rlen += (size_t)n;
	}
	size_t off = 0;
	while (off < c->rlen) {
		struct sipb_msrp_msg m;
		ssize_t k = sipb_msrp_parse(c->rbuf + off, c->rlen - off, 0, &m);
		if (k == 0)
			break;
		if (k < 0) {
			mconn_finish(c, 400, 1, 0, "no MSRP from the peer");
			return;
		}
		c->parse_end = off + (size_t)k;
		if (mconn_handle(c, &m) < 0)
			return;
		off += (size_t)k;
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
}

static int mconn_on_io(su_root_magic_t *mg, su_wait_t *w, struct sipb_mconn *c)
{
	int ev = su_wait_events(w, c->fd);
	(void)mg;

	if (c->connecting) {
		int err = 0;
		socklen_t len = sizeof err;
		if (!(ev & (SU_WAIT_OUT | SU_WAIT_ERR | SU_WAIT_HUP)))
			return 0;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			mconn_finish(c, 503, 1, 0, "cannot connect to the MSRP peer");
			return 0;
		}
		c->connecting = 0;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
		if (c->cfg.tls) {
			const char *why = NULL;
			if (!(c->tls = sipb_mtls_new(c->cfg.tls, c->fd, c->host, c->fingerprint, &why))) {
				mconn_finish(c, 503, 1, 0, why);
				return 0;
			}
			c->handshaking = 1;
		} else {
			c->want_out = -1;
			mconn_events(c, 1);
			mconn_flush(c);
			return 0;
		}
	}
	if (c->handshaking) {
		const char *why = NULL;
		int out = 0, r = sipb_mtls_handshake(c->tls, &out, &why);
		if (r < 0) {
			snprintf(c->why, sizeof c->why, "%s", why);
			mconn_finish(c, 503, 1, 0, c->why);
			return 0;
		}
		c->want_out = -1;
		if (r == 0) {
			mconn_events(c, out);
			return 0;
		}
		c->handshaking = 0;
		mconn_events(c, 1);
		mconn_flush(c);
		return 0;
	}
	if ((ev & SU_WAIT_OUT) && mconn_flush(c) < 0)
		return 0;
	if (ev & (SU_WAIT_IN | SU_WAIT_HUP | SU_WAIT_ERR))
		mconn_read(c);
	return 0;
}

static void mconn_on_timer(su_root_magic_t *mg, su_timer_t *t, struct sipb_mconn *c)
{
	(void)mg;
	(void)t;
	mconn_finish(c, 408, 1, 0, c->connecting ? "MSRP connect timed out" :
	    c->handshaking ? "MSRP TLS handshake timed out" :
	    c->acked < c->nchunks ? "MSRP SEND responses timed out" : "no MSRP REPORT in time");
}

static void mconn_on_soon(su_root_magic_t *mg, su_timer_t *t, struct sipb_mconn *c)
{
	(void)mg;
	(void)t;
	mconn_finish(c, 503, 1, 0, c->soon_why);
}

static int mconn_connect(struct sipb_mconn *c)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV }, *ai = NULL;
	char port[8];
	const char *host = c->cfg.host;
	char h6[128];
	size_t hl = strlen(host);

	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']' && hl - 2 < sizeof h6) {
		snprintf(h6, sizeof h6, "%.*s", (int)(hl - 2), host + 1);
		host = h6;
	}
	snprintf(port, sizeof port, "%u", c->cfg.port);
	int r = getaddrinfo(host, port, &hints, &ai);
	if (r == EAI_NONAME) {   /* a name: resolved here, blocking */
		hints.ai_flags = AI_NUMERICSERV;
		r = getaddrinfo(host, port, &hints, &ai);
	}
	if (r != 0) {
		c->soon_why = "cannot resolve the MSRP peer";
		return -1;
	}
	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		freeaddrinfo(ai);
		c->soon_why = "no socket for MSRP";
		return -1;
	}
	r = connect(c->fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (r < 0 && errno != EINPROGRESS) {
		c->soon_why = "cannot connect to the MSRP peer";
		return -1;
	}
	c->connecting = 1;
	if (su_wait_create(&c->wait, c->fd, SU_WAIT_OUT) < 0 ||
	    (c->wait_index = su_root_register(c->root, &c->wait, mconn_on_io, c, 0)) <= 0) {
		c->wait_index = 0;
		c->soon_why = "cannot register the MSRP socket";
		return -1;
	}
	c->want_out = 1;
	return 0;
}

struct sipb_mconn *sipb_mconn_start(su_root_t *root, const struct sipb_mconn_cfg *cfg,
    sipb_mconn_fn cb, void *arg)
{
	struct sipb_mconn *c;

	if (!root || !cfg || (!cfg->host && !cfg->pre_connected) || !cfg->to_path || !cfg->from_path ||
	    !cfg->content_type || !cb || !cfg->chunk_size || (!cfg->body && cfg->len) ||
	    !(c = calloc(1, sizeof *c))) {
		if (cfg && cfg->pre_connected) {
			sipb_mtls_free(cfg->pre_tls);
			close(cfg->pre_fd);
		}
		return NULL;
	}
	c->root = root;
	c->cfg = *cfg;
	c->cb = cb;
	c->arg = arg;
	c->fd = cfg->pre_connected ? cfg->pre_fd : -1;
	c->tls = cfg->pre_connected ? cfg->pre_tls : NULL;
	c->rng.s = cfg->seed ? cfg->seed : 0x9E3779B97F4A7C15ULL;
	c->nchunks = cfg->len ? (cfg->len + cfg->chunk_size - 1) / cfg->chunk_size : 1;
	c->wcap = (cfg->chunk_size < cfg->len ? cfg->chunk_size : cfg->len) + MCONN_HEAD_ROOM +
	    strlen(cfg->to_path) + strlen(cfg->from_path) + strlen(cfg->content_type);
	c->to_path = strdup(cfg->to_path);
	c->from_path = strdup(cfg->from_path);
	c->content_type = strdup(cfg->content_type);
	c->host = cfg->host ? strdup(cfg->host) : NULL;
	c->fingerprint = cfg->fingerprint ? strdup(cfg->fingerprint) : NULL;
	/* the caller's strings are its own once this returns */
	c->cfg.host = c->host;
	c->cfg.fingerprint = c->fingerprint;
	c->cfg.to_path = c->cfg.from_path = c->cfg.content_type = NULL;
	c->tids = calloc(c->nchunks, sizeof *c->tids);
	c->wbuf = malloc(c->wcap);
	c->timer = su_timer_create(su_root_task(root), 0);
	c->soon = su_timer_create(su_root_task(root), 0);
	/* Message-ID: an ident (RFC 4975 §9) made of the generator's tid */
	char id[MSRP_TID_MAX + 1];
	if (!c->to_path || !c->from_path || !c->content_type || (cfg->host && !c->host) ||
	    (cfg->fingerprint && !c->fingerprint) || !c->tids || !c->wbuf || !c->timer ||
	    !c->soon || sipb_msrp_tid_choose(&c->rng, "", 0, id) < 0) {
		sipb_mconn_free(c);
		return NULL;
	}
	snprintf(c->message_id, sizeof c->message_id, "m%s", id);
	if (cfg->pre_connected) {
		/* up already: the first chunk goes when the socket takes it */
		if (su_wait_create(&c->wait, c->fd, SU_WAIT_IN | SU_WAIT_OUT) < 0 ||
		    (c->wait_index = su_root_register(root, &c->wait, mconn_on_io, c, 0)) <= 0) {
			c->wait_index = 0;
			c->soon_why = "cannot register the MSRP socket";
			su_timer_set_interval(c->soon, mconn_on_soon, c, 0);
			return c;
		}
		c->want_out = 1;
	} else if (mconn_connect(c) < 0) {
		su_timer_set_interval(c->soon, mconn_on_soon, c, 0);
		return c;
	}
	su_timer_set_interval(c->timer, mconn_on_timer, c, (su_duration_t)cfg->timeout_ms);
	return c;
}

void sipb_mconn_free(struct sipb_mconn *c)
{
	if (!c)
		return;
	c->done = 1;
	mconn_close(c);
	free(c->to_path);
	free(c->from_path);
	free(c->content_type);
	free(c->host);
	free(c->fingerprint);
	free(c->tids);
	free(c->wbuf);
	free(c->rbuf);
	free(c);
}
