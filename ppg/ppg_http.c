/*
 * ppg_http.c - PAP over HTTP/1.1 with libmicrohttpd (WAP-247 PAP §7, WAP-249
 * §6). One MHD daemon per listen address, each with a pool of worker threads.
 *
 * A request's life here: the first call sees only headers (path, method and
 * Content-Length are checked before any body is read: 404/405/413), later
 * calls accumulate the body, the last call authenticates and decodes (all in
 * an [http worker]). A write (push, cancel) suspends the connection and goes
 * to the core: the [writer] commits it in a batch, the [syncer] (or the
 * [writer] itself when nothing else waits) resumes the connection once the
 * batch is durable, and the next call sends the answer. A held-back 401 is
 * resumed by a [loop] timer (ppg_core_defer), so it costs no thread.
 *
 * Deadlines (README "Limits"): libmicrohttpd's connection_timeout is an idle
 * timeout that every byte restarts. A watchdog thread of the front closes
 * (shutdown) a connection whose request, headers and body, has not arrived
 * within request_timeout: counted from the connection, or on a kept-alive
 * one from the request line (URI callback). The daemons poll(2): with
 * MHD_USE_EPOLL (edge-triggered) libmicrohttpd 0.9.75 takes a short read as
 * "drained" and waits for the next edge, but the FIN of a client that sent
 * part of a request and closed at once came with that same edge: the socket
 * stayed in CLOSE_WAIT until the idle timeout. poll reports the EOF.
 */
#include "ppg/ppg_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pap/pap.h"
#include "ppg/ppg_content.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_metrics.h"
#include "ppg/ppg_quota.h"
#include "ppg/ppg_ratelimit.h"

#include "ppg/ppg_http_int.h"

static enum MHD_Result send_text(struct MHD_Connection *mc, unsigned status, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_SERVER, "ppgd/" PACKAGE_VERSION);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
	enum MHD_Result ret;
	if (status == MHD_HTTP_UNAUTHORIZED)
		ret = MHD_queue_basic_auth_fail_response(mc, "ppgd", r);
	else
		ret = MHD_queue_response(mc, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_answer(struct conn *c)
{
	struct ppg_request *req = c->req;
	struct MHD_Response *r;

	ppg_metrics_http_answer(c->status, req);
	if (c->status) {
		switch (c->status) {
		case MHD_HTTP_UNAUTHORIZED: return send_text(c->mc, c->status, "authentication required\n");
		case MHD_HTTP_FORBIDDEN:
			return send_text(c->mc, c->status, c->cert_refused ?
			    "client certificate missing or not the one of this Push Initiator\n" :
			    "address not allowed for this Push Initiator\n");
		case MHD_HTTP_CONTENT_TOO_LARGE: return send_text(c->mc, c->status, "request body too large\n");
		default: return send_text(c->mc, c->status, "internal error\n");
		}
	}
	if (req->answer) {
		r = MHD_create_response_from_buffer(req->answer_len, req->answer, MHD_RESPMEM_MUST_COPY);
		if (r)
			MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
			    req->answer_ctype ? req->answer_ctype : "application/xml");
	} else {
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_SERVER, "ppgd/" PACKAGE_VERSION);
	if (req->retry_after) {
		char ra[16];
		snprintf(ra, sizeof ra, "%u", req->retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	enum MHD_Result ret = MHD_queue_response(c->mc, (unsigned)req->http_status, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * The request's answer is final: [syncer] or [writer] for a write, once its
 * batch is durable (ppg_core_db.c); [loop] when a held-back 401 has waited
 * long enough (ppg_core_defer; at shutdown, the thread stopping the core).
 */
static void resume_cb(void *arg)
{
	struct conn *c = arg;
	c->state = C_READY;
	MHD_resume_connection(c->mc);
}

static void rodb_close(void *p)
{
	db_close(p);
}

struct db *ppg_http_rodb(struct ppg_http *h)
{
	struct db *db = pthread_getspecific(h->rodb_key);
	if (!db) {
		int r = ppg_config_db_open(h->cfg, DB_OPEN_READONLY, &db);
		if (r < 0) {
			char where[256];
			LOGP(PPG_LOG_DB, LOG_ERR, "cannot open %s read-only: %s",
			    ppg_config_db_where(h->cfg, where, sizeof where), db_errmsg(NULL));
			return NULL;
		}
		pthread_setspecific(h->rodb_key, db);
	}
	return db;
}

static const struct sockaddr *client_addr(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	return ci ? ci->client_addr : NULL;
}

static void addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	snprintf(buf, len, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)len);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)len);
}

/* The body is complete: authenticate, decode, and answer or hand over. */
static enum MHD_Result finish_request(struct conn *c)
{
	struct ppg_http *h = c->h;
	struct MHD_Connection *mc = c->mc;
	const struct sockaddr *sa = client_addr(mc);
	const struct ppg_pi *pi = NULL;
	char *user = NULL, *pass = NULL;
	const char *quser = NULL, *qpass = NULL;
	unsigned delay = 0;
	char peer[INET6_ADDRSTRLEN], why[320];
	struct ppg_tls_peer cert;

	ppg_http_watch_arrived(h, mc);
	ppg_tls_peer_get(mc, &cert);   /* present = 0 on plain HTTP, or without a client certificate */
	user = MHD_basic_auth_get_username_password(mc, &pass);
	if (!user && h->cfg->query_credentials) {
		quser = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "username");
		qpass = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "password");
	}
	enum ppg_auth_result ar = ppg_auth_check_peer(h->auth, user ? user : quser, user ? pass : qpass, sa,
	    h->tls ? &cert : NULL, &pi, &delay, why, sizeof why);
	addr_str(sa, peer, sizeof peer);
	if (ar != PPG_AUTH_OK) {
		LOGP_RL(&h->auth_log, LOG_LINES_PER_SECOND, PPG_LOG_AUTH, LOG_NOTICE, "%s from %s for PI \"%s\": %s%s",
		    ar == PPG_AUTH_FORBIDDEN ? "address not allowed" : ar == PPG_AUTH_CERT ? "client certificate refused" :
		    "authentication failed", peer, user ? user : quser ? quser : "(none)", why,
		    delay ? ", answer held back" : "");
	}
	if (user)
		MHD_free(user);
	if (pass)
		MHD_free(pass);
	if (ar == PPG_AUTH_FORBIDDEN || ar == PPG_AUTH_CERT) {
		c->status = MHD_HTTP_FORBIDDEN;
		c->cert_refused = ar == PPG_AUTH_CERT;
		return send_answer(c);
	}
	if (ar == PPG_AUTH_FAIL) {
		c->status = MHD_HTTP_UNAUTHORIZED;
		if (delay) {
			c->state = C_WAITING;
			MHD_suspend_connection(mc);
			if (ppg_core_defer(h->core, delay, resume_cb, c) < 0) {
				c->state = C_READY;
				MHD_resume_connection(mc);
			}
			return MHD_YES;
		}
		return send_answer(c);
	}

	const char *ctype = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	c->req = ppg_request_parse(h->cfg, pi->name, ctype, (const unsigned char *)c->body, c->len, ppg_clock_now_ms());
	ppg_auth_release(h->auth, pi);   /* the request has its own copy of the name */
	pi = NULL;                       /* a reload may free it from now on: c->req->pi */
	if (!c->req) {
		c->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		return send_answer(c);
	}
	if (c->req->need != PPG_REQ_DONE && c->req->msg) {
		char desc[200];
		unsigned ra = ppg_quota_rate(h->quota, c->req->pi, desc, sizeof desc);
		if (ra) {
			ppg_request_fail(c->req, PAP_SERVICE_UNAVAILABLE, desc);
			c->req->need = PPG_REQ_DONE;
			c->req->retry_after = ra;
		}
	}
	if (c->req->need == PPG_REQ_READ) {
		struct db *db = ppg_http_rodb(h);
		if (db)
			ppg_request_execute(c->req, db, ppg_clock_now_ms());
		else
			ppg_request_fail(c->req, PAP_INTERNAL_ERROR, "internal error: the database is not available");
	}
	if (c->req->need == PPG_REQ_WRITE) {
		c->state = C_WAITING;
		MHD_suspend_connection(mc);
		if (ppg_core_submit(h->core, c->req, resume_cb, c) < 0) {
			ppg_request_fail(c->req, PAP_SERVICE_UNAVAILABLE, "service unavailable: ppgd is shutting down");
			c->state = C_READY;
			MHD_resume_connection(mc);
		}
		return MHD_YES;
	}
	if (c->req->msg)
		LOGPUSH(PPG_LOG_HTTP, LOG_DEBUG, c->req->pi, c->req->msg->push_id, "answered %d", c->req->result_code);
	else
		LOGP_RL(&h->bad_log, LOG_LINES_PER_SECOND, PPG_LOG_HTTP, LOG_INFO,
		    "pi=%s from %s: bad message, answered %d", c->req->pi, peer, c->req->result_code);
	return send_answer(c);
}

#define CONTENT_PATH "/content/"

/* Content indirection (RFC 4483): GET /content/<token>. The token is the
 * credential; it stops working when the delivery is final. */
static enum MHD_Result serve_content(struct ppg_http *h, struct MHD_Connection *mc, const char *url,
    const char *method, void **con_cls)
{
	char *ctype = NULL;
	void *body = NULL;
	size_t len = 0;
	int64_t delivery = 0;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return send_text(mc, MHD_HTTP_METHOD_NOT_ALLOWED, "content is fetched with GET\n");
	int remote = 0;
	int got = ppg_http_content_get(h, url + strlen(CONTENT_PATH), &ctype, &body, &len, &delivery, &remote);
	if (got == -EIO)
		return send_text(mc, MHD_HTTP_SERVICE_UNAVAILABLE, "the database is not available: try again\n");
	if (got < 0)
		return send_text(mc, MHD_HTTP_NOT_FOUND, "not found\n");
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		free(ctype);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_SERVER, "ppgd/" PACKAGE_VERSION);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	free(ctype);
	enum MHD_Result ret = MHD_queue_response(mc, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	/* Delivered once the whole body went out (on_completed). */
	if (ret == MHD_YES && !strcmp(method, MHD_HTTP_METHOD_GET)) {
		struct conn *c = calloc(1, sizeof *c);
		if (c) {
			c->h = h;
			c->mc = mc;
			c->state = C_READY;
			c->fetched = delivery;
			c->fetched_remote = remote;
			*con_cls = c;
			atomic_fetch_add(&h->inflight, 1);
		}
	}
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct ppg_http *h = cls;
	struct conn *c = *con_cls;

	if (!c && !strncmp(url, CONTENT_PATH, strlen(CONTENT_PATH))) {
		ppg_http_watch_arrived(h, mc);
		return serve_content(h, mc, url, method, con_cls);
	}
	if (c && c->fetched)
		return MHD_YES;
	if (!c) {
		/* Headers only so far: the body's deadline still runs. */
		const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (strcmp(url, h->cfg->pap_path) || strcmp(method, MHD_HTTP_METHOD_POST) ||
		    (cl && strtoull(cl, NULL, 10) > h->cfg->max_body))
			ppg_http_watch_arrived(h, mc);   /* answered from the headers */
		if (strcmp(url, h->cfg->pap_path))
			return send_text(mc, MHD_HTTP_NOT_FOUND, "not found\n");
		if (strcmp(method, MHD_HTTP_METHOD_POST))
			return send_text(mc, MHD_HTTP_METHOD_NOT_ALLOWED, "PAP requests are POSTed\n");
		if (cl && strtoull(cl, NULL, 10) > h->cfg->max_body)
			return send_text(mc, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large\n");
		c = calloc(1, sizeof *c);
		if (!c)
			return MHD_NO;
		c->h = h;
		c->mc = mc;
		*con_cls = c;
		atomic_fetch_add(&h->inflight, 1);
		return MHD_YES;
	}
	if (c->state == C_READING && *upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (c->too_big || c->len + n > h->cfg->max_body) {
			ppg_http_watch_arrived(h, mc);
			/* Chunked body past the limit: answer now, stop reading. */
			c->too_big = 1;
			c->status = MHD_HTTP_CONTENT_TOO_LARGE;
			return send_answer(c);
		}
		if (c->len + n > c->cap) {
			size_t cap = c->cap ? c->cap : 4096;
			while (cap < c->len + n)
				cap *= 2;
			char *nb = realloc(c->body, cap);
			if (!nb)
				return MHD_NO;
			c->body = nb;
			c->cap = cap;
		}
		memcpy(c->body + c->len, upload, n);
		c->len += n;
		return MHD_YES;
	}
	if (c->state == C_READING) {
		if (c->too_big)
			return MHD_YES;   /* 413 already queued */
		return finish_request(c);
	}
	if (c->state == C_READY)
		return send_answer(c);
	return MHD_YES;   /* still suspended: resume_cb has not run */
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct ppg_http *h = cls;
	struct conn *c = *con_cls;

	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		ppg_http_watch_answered(h, mc);
	if (!c)
		return;
	if (c->fetched && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		ppg_http_content_fetched(h, c->fetched, c->fetched_remote);
	ppg_request_free(c->req);
	free(c->body);
	free(c);
	*con_cls = NULL;
	atomic_fetch_sub(&h->inflight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	struct ppg_http *h = cls;
	if (!ppg_log_enabled(PPG_LOG_HTTP, LOG_WARNING))
		return;
	vsnprintf(buf, sizeof buf, fmt, ap);
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	/* Its words for every failed handshake; ppg_tls logs those with the
	 * client's address when the connection closes. */
	if (h->tls && strstr(buf, "handshake message out of context"))
		return;
	/* One per hostile connection otherwise: bounded, with the count. */
	LOGP_RL(&h->mhd_log, LOG_LINES_PER_SECOND, PPG_LOG_HTTP, LOG_WARNING, "libmicrohttpd: %s", buf);
}

struct ppg_http *ppg_http_start(const struct ppg_config *cfg, struct ppg_auth *auth, struct ppg_core *core,
    struct ppg_content *content, struct ppg_tls *tls)
{
	struct ppg_http *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->cfg = cfg;
	h->content = content;
	h->auth = auth;
	h->core = core;
	h->tls = tls;
	pthread_mutex_init(&h->wlock, NULL);
	pthread_cond_init(&h->wcond, NULL);
	ppg_ratelimit_init(&h->mhd_log);
	ppg_ratelimit_init(&h->auth_log);
	ppg_ratelimit_init(&h->bad_log);
	if (pthread_key_create(&h->rodb_key, rodb_close)) {
		free(h);
		return NULL;
	}
	h->quota = ppg_quota_new(cfg);
	if (!h->quota || pthread_create(&h->wthread, NULL, ppg_http_watch_main, h)) {
		LOGP(PPG_LOG_HTTP, LOG_ERR, "cannot start the HTTP front: out of memory or threads");
		ppg_http_stop(h);
		return NULL;
	}
	h->wstarted = 1;
	for (int i = 0; i < cfg->nlisten; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&cfg->listen[i];
		struct MHD_OptionItem tls_opts[PPG_TLS_MHD_OPTIONS];
		unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
		    MHD_USE_ERROR_LOG | ppg_tls_mhd_options(tls, tls_opts);
		uint16_t port;
		if (sa->sa_family == AF_INET6) {
			flags |= MHD_USE_IPv6;
			port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
		} else {
			port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
		}
		h->d[i] = MHD_start_daemon(flags, port, NULL, NULL, on_request, h,
		    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
		    MHD_OPTION_SOCK_ADDR, sa,
		    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
		    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		    MHD_OPTION_NOTIFY_CONNECTION, ppg_http_watch_on_connection, h,
		    MHD_OPTION_URI_LOG_CALLBACK, ppg_http_watch_on_request_line, h,
		    /* 0 = no limit of its own: max_connections bounds it */
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_connections_per_ip,
		    MHD_OPTION_ARRAY, tls_opts,
		    MHD_OPTION_END);
		if (!h->d[i]) {
			char a[INET6_ADDRSTRLEN];
			addr_str(sa, a, sizeof a);
			LOGP(PPG_LOG_HTTP, LOG_ERR, "cannot listen on %s port %u: %s", a, port, strerror(errno));
			ppg_http_stop(h);
			return NULL;
		}
		h->nd = i + 1;
	}
	return h;
}

void ppg_http_quiesce(struct ppg_http *h)
{
	for (int i = 0; h && i < h->nd; i++) {
		MHD_socket s = MHD_quiesce_daemon(h->d[i]);
		if (s != MHD_INVALID_SOCKET)
			close(s);
	}
}

unsigned ppg_http_drain(struct ppg_http *h, unsigned timeout_ms)
{
	unsigned waited = 0;
	while (h && atomic_load(&h->inflight) && waited < timeout_ms) {
		struct timespec ts = { 0, 10 * 1000000 };
		nanosleep(&ts, NULL);
		waited += 10;
	}
	return h ? atomic_load(&h->inflight) : 0;
}

void ppg_http_stop(struct ppg_http *h)
{
	if (!h)
		return;
	for (int i = 0; i < h->nd; i++)
		if (h->d[i])
			MHD_stop_daemon(h->d[i]);
	if (h->wstarted) {
		pthread_mutex_lock(&h->wlock);
		h->wstop = 1;
		pthread_cond_signal(&h->wcond);
		pthread_mutex_unlock(&h->wlock);
		pthread_join(h->wthread, NULL);
	}
	/* The core has stopped (ppgd.c stops it first): no writer uses the ledger. */
	ppg_quota_free(h->quota);
	pthread_mutex_destroy(&h->wlock);
	pthread_cond_destroy(&h->wcond);
	ppg_ratelimit_destroy(&h->mhd_log);
	ppg_ratelimit_destroy(&h->auth_log);
	ppg_ratelimit_destroy(&h->bad_log);
	/* The read-only handles of the pool threads are closed by the key's
	 * destructor as those threads exit. */
	pthread_key_delete(h->rodb_key);
	free(h);
}

unsigned ppg_http_port(const struct ppg_http *h)
{
	if (!h || !h->nd)
		return 0;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d[0], MHD_DAEMON_INFO_BIND_PORT);
	return di ? di->port : 0;
}

void ppg_http_get_stats(struct ppg_http *h, struct ppg_http_stats *out)
{
	memset(out, 0, sizeof *out);
	if (!h)
		return;
	out->connections = atomic_load(&h->n_connections);
	out->request_timeouts = atomic_load(&h->n_timeouts);
	out->aborted = atomic_load(&h->n_aborted);
	struct ppg_quota_stats qs;
	ppg_quota_get_stats(h->quota, &qs);
	out->refused_rate = qs.refused_rate;
	out->refused_pending = qs.refused_pending;
	out->refused_bytes = qs.refused_bytes;
	out->refused_deliveries = qs.refused_deliveries;
}
