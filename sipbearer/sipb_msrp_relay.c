/*
 * sipb_msrp_relay.c - authenticating to this side's MSRP relay (RFC 4976
 * §5: AUTH, 401 with a Digest challenge, AUTH with Authorization, 200 with
 * Use-Path and Expires; §5.1 423 with Min-Expires: asked again once with
 * that Expires). RFC 2617 digest with qop=auth and MD5 (GnuTLS's hash). The
 * connection (TCP, TLS for an msrps: relay, sipb_msrp_tls.c: the relay's
 * certificate must chain to the configured CAs and name its host) is
 * non-blocking on the su_root, and is handed over after the 200.
 */
#define SU_WAKEUP_ARG_T struct sipb_mrelay
#define SU_TIMER_ARG_T struct sipb_mrelay

#include "sipbearer/sipb_msrp_relay.h"
#include "sipbearer/sipb_msrp.h"
#include "sipbearer/sipb_msrp_tls.h"
#include "sipbearer/sipb_sdp.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <sofia-sip/su_wait.h>

#define RELAY_RBUF 16384
#define RELAY_WBUF 4096

struct sipb_mrelay {
	su_root_t *root;
	struct sipb_mrelay_cfg cfg;
	char *uri, *user, *password, *from_path;
	char host[256];
	unsigned port;
	int use_tls;
	sipb_mrelay_fn cb;
	void *arg;
	int fd;
	su_wait_t wait;
	int wait_index;
	int connecting, handshaking, want_out;
	struct sipb_mtls *tls;
	su_timer_t *timer, *soon;
	const char *soon_why;
	struct sipb_msrp_rng rng;
	char tid[MSRP_TID_MAX + 1];
	int authorized_sent;          /* the AUTH with Authorization went out */
	int retried_423;
	unsigned nc;
	char realm[128], nonce[256], opaque[256];
	char wbuf[RELAY_WBUF];
	size_t wlen, woff;
	char rbuf[RELAY_RBUF];
	size_t rlen;
	char use_path[1024];
	char why[300];
	int done;
};

static void relay_unregister(struct sipb_mrelay *r)
{
	if (r->wait_index > 0)
		su_root_deregister(r->root, r->wait_index);
	r->wait_index = 0;
	su_timer_destroy(r->timer);
	r->timer = NULL;
	su_timer_destroy(r->soon);
	r->soon = NULL;
}

static void relay_close(struct sipb_mrelay *r)
{
	relay_unregister(r);
	sipb_mtls_free(r->tls);
	r->tls = NULL;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/* The end: on success the connection stays (sipb_mrelay_take). */
static void relay_finish(struct sipb_mrelay *r, int status, int local, const char *why, unsigned expires)
{
	struct sipb_mrelay_result res = { .status = status, .local = local, .comment = why,
		.use_path = status == 200 ? r->use_path : NULL, .expires = expires };
	if (r->done)
		return;
	r->done = 1;
	if (status == 200)
		relay_unregister(r);
	else
		relay_close(r);
	r->cb(r->arg, &res);
}

static void relay_events(struct sipb_mrelay *r, int out)
{
	if (r->wait_index > 0 && out != r->want_out) {
		su_root_eventmask(r->root, r->wait_index, r->fd, SU_WAIT_IN | (out ? SU_WAIT_OUT : 0));
		r->want_out = out;
	}
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int md5_hex(const char *s, char out[33])
{
	unsigned char h[16];
	if (gnutls_hash_fast(GNUTLS_DIG_MD5, s, strlen(s), h) < 0)
		return -EIO;
	hex(h, sizeof h, out);
	return 0;
}

int sipb_mrelay_digest(const char *user, const char *realm, const char *password, const char *nonce,
    const char *nc, const char *cnonce, const char *uri, char out[33])
{
	char ha1[33], ha2[33], buf[2048];
	if (snprintf(buf, sizeof buf, "%s:%s:%s", user, realm, password) >= (int)sizeof buf ||
	    md5_hex(buf, ha1) < 0 ||
	    snprintf(buf, sizeof buf, "AUTH:%s", uri) >= (int)sizeof buf || md5_hex(buf, ha2) < 0 ||
	    snprintf(buf, sizeof buf, "%s:%s:%s:%s:auth:%s", ha1, nonce, nc, cnonce, ha2) >= (int)sizeof buf)
		return -EIO;
	return md5_hex(buf, out);
}

/* Writes the AUTH request (with Authorization once challenged). 0 or -1. */
static int relay_auth_write(struct sipb_mrelay *r)
{
	char auth[1400] = "", exp[40] = "";
	if (sipb_msrp_tid_choose(&r->rng, "", 0, r->tid) < 0)
		return -1;
	if (r->nonce[0]) {
		char nc[9], cnonce[MSRP_TID_MAX + 1], resp[33];
		snprintf(nc, sizeof nc, "%08x", ++r->nc);
		if (sipb_msrp_tid_choose(&r->rng, "", 0, cnonce) < 0 ||
		    sipb_mrelay_digest(r->user, r->realm, r->password, r->nonce, nc, cnonce, r->uri, resp) < 0)
			return -1;
		int n = snprintf(auth, sizeof auth, "Authorization: Digest username=\"%s\", realm=\"%s\", "
		    "nonce=\"%s\", uri=\"%s\", response=\"%s\", algorithm=MD5, qop=auth, nc=%s, cnonce=\"%s\"%s%s%s\r\n",
		    r->user, r->realm, r->nonce, r->uri, resp, nc, cnonce, r->opaque[0] ? ", opaque=\"" : "",
		    r->opaque, r->opaque[0] ? "\"" : "");
		if (n < 0 || (size_t)n >= sizeof auth)
			return -1;
		r->authorized_sent = 1;
	}
	if (r->cfg.expires)
		snprintf(exp, sizeof exp, "Expires: %u\r\n", r->cfg.expires);
	int n = snprintf(r->wbuf, sizeof r->wbuf, "MSRP %s AUTH\r\nTo-Path: %s\r\nFrom-Path: %s\r\n%s%s-------%s$\r\n",
	    r->tid, r->uri, r->from_path, auth, exp, r->tid);
	if (n < 0 || (size_t)n >= sizeof r->wbuf)
		return -1;
	r->wlen = (size_t)n;
	r->woff = 0;
	return 0;
}

static ssize_t relay_send(struct sipb_mrelay *r, const void *b, size_t n)
{
	if (r->tls)
		return sipb_mtls_send(r->tls, b, n);
	ssize_t w = send(r->fd, b, n, MSG_NOSIGNAL);
	return w >= 0 ? w : errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -EAGAIN : -errno;
}

static ssize_t relay_recv(struct sipb_mrelay *r, void *b, size_t n)
{
	if (r->tls)
		return sipb_mtls_recv(r->tls, b, n);
	ssize_t w = recv(r->fd, b, n, 0);
	return w >= 0 ? w : errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -EAGAIN : -errno;
}

/* 0 (all written or waiting for the socket), -1 finished. */
static int relay_flush(struct sipb_mrelay *r)
{
	while (r->woff < r->wlen) {
		ssize_t n = relay_send(r, r->wbuf + r->woff, r->wlen - r->woff);
		if (n == -EAGAIN) {
			relay_events(r, 1);
			return 0;
		}
		if (n <= 0) {
			relay_finish(r, 503, 1, "MSRP relay: connection lost while sending AUTH", 0);
			return -1;
		}
		r->woff += (size_t)n;
	}
	relay_events(r, 0);
	return 0;
}

/* One response to our AUTH. 0 to go on, -1 finished. */
static int relay_response(struct sipb_mrelay *r, const struct sipb_msrp_msg *m, const char *raw, size_t k)
{
	size_t vl = 0;
	const char *v;

	if (m->tid.n != strlen(r->tid) || memcmp(m->tid.p, r->tid, m->tid.n))
		return 0;   /* not the AUTH in flight */
	switch (m->status) {
	case 200:
		if (!(v = sipb_msrp_header(raw, k, "Use-Path", &vl)) || !vl || vl >= sizeof r->use_path) {
			relay_finish(r, 400, 1, "MSRP relay: 200 to AUTH without a Use-Path", 0);
			return -1;
		}
		memcpy(r->use_path, v, vl);
		r->use_path[vl] = '\0';
		{
			char host[256];
			unsigned port;
			int tls;
			if (sipb_msrp_uri_parse(r->use_path, strcspn(r->use_path, " "), host, sizeof host, &port,
			    &tls) < 0) {
				relay_finish(r, 400, 1, "MSRP relay: Use-Path is no MSRP URI", 0);
				return -1;
			}
		}
		v = sipb_msrp_header(raw, k, "Expires", &vl);
		relay_finish(r, 200, 0, "OK", v ? (unsigned)strtoul(v, NULL, 10) : 0);
		return -1;
	case 401:
		if (r->authorized_sent) {
			relay_finish(r, 401, 0, "MSRP relay: AUTH credentials refused (401 again)", 0);
			return -1;
		}
		if (!(v = sipb_msrp_header(raw, k, "WWW-Authenticate", &vl)) || vl < 7 || strncasecmp(v, "Digest", 6) ||
		    sipb_msrp_auth_param(v + 6, vl - 6, "realm", r->realm, sizeof r->realm) < 0 ||
		    sipb_msrp_auth_param(v + 6, vl - 6, "nonce", r->nonce, sizeof r->nonce) < 0) {
			relay_finish(r, 401, 0, "MSRP relay: 401 without a usable Digest challenge", 0);
			return -1;
		}
		char alg[32] = "MD5", qop[64] = "";
		sipb_msrp_auth_param(v + 6, vl - 6, "algorithm", alg, sizeof alg);
		sipb_msrp_auth_param(v + 6, vl - 6, "opaque", r->opaque, sizeof r->opaque);
		if (strcasecmp(alg, "MD5") || (sipb_msrp_auth_param(v + 6, vl - 6, "qop", qop, sizeof qop) == 0 &&
		    !strstr(qop, "auth"))) {
			relay_finish(r, 401, 0, "MSRP relay: Digest challenge with an unsupported algorithm or qop", 0);
			return -1;
		}
		break;
	case 423:
		v = sipb_msrp_header(raw, k, "Min-Expires", &vl);
		if (r->retried_423 || !v || !r->nonce[0]) {
			relay_finish(r, 423, 0, "MSRP relay: 423 Interval Out-of-Bounds to AUTH", 0);
			return -1;
		}
		r->retried_423 = 1;
		r->cfg.expires = (unsigned)strtoul(v, NULL, 10);
		break;
	default: {
		const char *ph = sipb_msrp_status_phrase(m->status);
		snprintf(r->why, sizeof r->why, "MSRP relay: %d %s to AUTH", m->status, ph ? ph : "");
		relay_finish(r, m->status, 0, r->why, 0);
		return -1;
	}
	}
	if (relay_auth_write(r) < 0) {
		relay_finish(r, 500, 1, "MSRP relay: cannot write the AUTH", 0);
		return -1;
	}
	return relay_flush(r);
}

static void relay_read(struct sipb_mrelay *r)
{
	for (;;) {
		if (r->rlen == sizeof r->rbuf) {
			relay_finish(r, 400, 1, "MSRP relay: answer too large", 0);
			return;
		}
		ssize_t n = relay_recv(r, r->rbuf + r->rlen, sizeof r->rbuf - r->rlen);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			relay_finish(r, 503, 1, "MSRP relay: connection closed by the relay", 0);
			return;
		}
		r->rlen += (size_t)n;
	}
	size_t off = 0;
	while (off < r->rlen && !r->done) {
		struct sipb_msrp_msg m;
		ssize_t k = sipb_msrp_parse(r->rbuf + off, r->rlen - off, 0, &m);
		if (k == 0)
			break;
		if (k < 0) {
			relay_finish(r, 400, 1, "MSRP relay: no MSRP from the relay", 0);
			return;
		}
		if (m.is_response && relay_response(r, &m, r->rbuf + off, (size_t)k) < 0)
			return;
		off += (size_t)k;
	}
	memmove(r->rbuf, r->rbuf + off, r->rlen - off);
	r->rlen -= off;
}

static int relay_on_io(su_root_magic_t *mg, su_wait_t *w, struct sipb_mrelay *r)
{
	int ev = su_wait_events(w, r->fd);
	(void)mg;

	if (r->connecting) {
		int err = 0;
		socklen_t len = sizeof err;
		if (!(ev & (SU_WAIT_OUT | SU_WAIT_ERR | SU_WAIT_HUP)))
			return 0;
		if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			snprintf(r->why, sizeof r->why, "MSRP relay unreachable: %s", strerror(err));
			relay_finish(r, 503, 1, r->why, 0);
			return 0;
		}
		r->connecting = 0;
		if (r->use_tls) {
			const char *why = NULL;
			if (!(r->tls = sipb_mtls_new(r->cfg.tls, r->fd, r->host, NULL, &why))) {
				relay_finish(r, 503, 1, why, 0);
				return 0;
			}
			r->handshaking = 1;
		} else {
			r->want_out = -1;
			relay_flush(r);
			return 0;
		}
	}
	if (r->handshaking) {
		const char *why = NULL;
		int out = 0, k = sipb_mtls_handshake(r->tls, &out, &why);
		if (k < 0) {
			snprintf(r->why, sizeof r->why, "MSRP relay: %s", why);
			relay_finish(r, 503, 1, r->why, 0);
			return 0;
		}
		r->want_out = -1;
		if (k == 0) {
			relay_events(r, out);
			return 0;
		}
		r->handshaking = 0;
		relay_flush(r);
		return 0;
	}
	if ((ev & SU_WAIT_OUT) && relay_flush(r) < 0)
		return 0;
	if (ev & (SU_WAIT_IN | SU_WAIT_HUP | SU_WAIT_ERR))
		relay_read(r);
	return 0;
}

static void relay_on_timer(su_root_magic_t *mg, su_timer_t *t, struct sipb_mrelay *r)
{
	(void)mg;
	(void)t;
	relay_finish(r, 408, 1, r->connecting ? "MSRP relay: connect timed out" :
	    r->handshaking ? "MSRP relay: TLS handshake timed out" : "MSRP relay: no answer to AUTH in time", 0);
}

static void relay_on_soon(su_root_magic_t *mg, su_timer_t *t, struct sipb_mrelay *r)
{
	(void)mg;
	(void)t;
	relay_finish(r, 503, 1, r->soon_why, 0);
}

static int relay_connect(struct sipb_mrelay *r)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *ai = NULL;
	char port[8];
	snprintf(port, sizeof port, "%u", r->port);
	if (getaddrinfo(r->host, port, &hints, &ai) != 0) {   /* a name: resolved here, blocking */
		r->soon_why = "MSRP relay: cannot resolve its host";
		return -1;
	}
	r->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int k = r->fd < 0 ? -1 : connect(r->fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (r->fd < 0 || (k < 0 && errno != EINPROGRESS)) {
		r->soon_why = "MSRP relay unreachable";
		return -1;
	}
	r->connecting = 1;
	if (su_wait_create(&r->wait, r->fd, SU_WAIT_OUT) < 0 ||
	    (r->wait_index = su_root_register(r->root, &r->wait, relay_on_io, r, 0)) <= 0) {
		r->wait_index = 0;
		r->soon_why = "MSRP relay: cannot register the socket";
		return -1;
	}
	r->want_out = 1;
	return 0;
}

struct sipb_mrelay *sipb_mrelay_start(su_root_t *root, const struct sipb_mrelay_cfg *cfg,
    sipb_mrelay_fn cb, void *arg)
{
	struct sipb_mrelay *r;

	if (!root || !cfg || !cfg->uri || !cfg->from_path || !cb || (!cfg->tls && !strncasecmp(cfg->uri, "msrps:", 6)))
		return NULL;
	if (!(r = calloc(1, sizeof *r)))
		return NULL;
	r->root = root;
	r->cfg = *cfg;
	r->cb = cb;
	r->arg = arg;
	r->fd = -1;
	r->rng.s = cfg->seed ? cfg->seed : 0x2545F4914F6CDD1DULL;
	r->uri = strdup(cfg->uri);
	r->user = strdup(cfg->user ? cfg->user : "");
	r->password = strdup(cfg->password ? cfg->password : "");
	r->from_path = strdup(cfg->from_path);
	r->timer = su_timer_create(su_root_task(root), 0);
	r->soon = su_timer_create(su_root_task(root), 0);
	if (!r->uri || !r->user || !r->password || !r->from_path || !r->timer || !r->soon ||
	    sipb_msrp_uri_parse(r->uri, strlen(r->uri), r->host, sizeof r->host, &r->port, &r->use_tls) < 0 ||
	    relay_auth_write(r) < 0) {
		sipb_mrelay_free(r);
		return NULL;
	}
	if (relay_connect(r) < 0) {
		su_timer_set_interval(r->soon, relay_on_soon, r, 0);
		return r;
	}
	su_timer_set_interval(r->timer, relay_on_timer, r, (su_duration_t)(cfg->timeout_ms ? cfg->timeout_ms : 30000));
	return r;
}

int sipb_mrelay_take(struct sipb_mrelay *r, int *fd, struct sipb_mtls **tls)
{
	if (!r || r->fd < 0 || !r->done)
		return -1;
	relay_unregister(r);
	*fd = r->fd;
	*tls = r->tls;
	r->fd = -1;
	r->tls = NULL;
	return 0;
}

void sipb_mrelay_free(struct sipb_mrelay *r)
{
	if (!r)
		return;
	r->done = 1;
	relay_close(r);
	free(r->uri);
	free(r->user);
	free(r->password);
	free(r->from_path);
	free(r);
}
