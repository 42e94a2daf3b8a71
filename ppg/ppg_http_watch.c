/*
 * ppg_http_watch.c - the HTTP front's request deadlines (README "Limits"):
 * libmicrohttpd's connection_timeout is an idle timeout that every byte
 * restarts, so a watchdog thread shuts down (shutdown(2)) a connection whose
 * request, headers and body, has not arrived within request_timeout,
 * counted from the connection or, on a kept-alive one, from the request
 * line. Connections are tracked through MHD's connection notifications.
 * [http worker] for the callbacks, its own thread for the watchdog.
 */
#include "ppg/ppg_http_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ppg/ppg_log.h"

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct watch *watch_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* Answered: the connection idles until its next request line (the
 * backstop deadline covers a line that trickles in). A request that ends
 * before it arrived stays W_REQUEST: counted when it closes. */
void ppg_http_watch_answered(struct ppg_http *h, struct MHD_Connection *mc)
{
	struct watch *w = watch_of(mc);
	if (!w)
		return;
	pthread_mutex_lock(&h->wlock);
	w->st = W_IDLE;
	w->deadline_ms = mono_ms() + ((int64_t)h->cfg->connection_timeout + h->cfg->request_timeout) * 1000;
	pthread_mutex_unlock(&h->wlock);
}

/* The request arrived whole (or is answered from its headers): no deadline
 * while it is answered. */
void ppg_http_watch_arrived(struct ppg_http *h, struct MHD_Connection *mc)
{
	struct watch *w = watch_of(mc);
	if (!w)
		return;
	pthread_mutex_lock(&h->wlock);
	w->st = W_ANSWERING;
	pthread_mutex_unlock(&h->wlock);
}

/* MHD_OPTION_NOTIFY_CONNECTION: a connection starts (its request's deadline
 * with it) or is gone. [http worker] */
void ppg_http_watch_on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct ppg_http *h = cls;
	struct watch *w = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		w = calloc(1, sizeof *w);
		if (!w || !ci) {
			free(w);
			ppg_tls_conn_refuse(h->tls, mc);   /* nowhere to keep its TLS state */
			return;    /* no deadline for this one; the idle timeout remains */
		}
		w->fd = ci->connect_fd;
		w->tls = ppg_tls_conn_start(h->tls, mc);   /* before the handshake */
		w->st = W_REQUEST;
		w->deadline_ms = mono_ms() + (int64_t)h->cfg->request_timeout * 1000;
		pthread_mutex_lock(&h->wlock);
		w->next = h->watches;
		if (h->watches)
			h->watches->prev = w;
		h->watches = w;
		pthread_mutex_unlock(&h->wlock);
		*socket_context = w;
		atomic_fetch_add(&h->n_connections, 1);
		return;
	}
	if (!w)
		return;
	/* Closed: before libmicrohttpd closes the socket, so the watchdog never
	 * shuts down a number reused by another connection. A TLS handshake that
	 * did not complete is logged by ppg_tls, not counted as gone mid-request. */
	int no_handshake = ppg_tls_conn_end(h->tls, mc, w->tls);
	pthread_mutex_lock(&h->wlock);
	if (w->prev)
		w->prev->next = w->next;
	else
		h->watches = w->next;
	if (w->next)
		w->next->prev = w->prev;
	if (!w->killed && w->st == W_REQUEST && !no_handshake)
		atomic_fetch_add(&h->n_aborted, 1);   /* gone mid-request: client closed, or idle */
	pthread_mutex_unlock(&h->wlock);
	free(w);
	*socket_context = NULL;
}

/* MHD_OPTION_URI_LOG_CALLBACK: a request line arrived; on a kept-alive
 * connection the next request's deadline starts here. [http worker] */
void *ppg_http_watch_on_request_line(void *cls, const char *uri, struct MHD_Connection *mc)
{
	struct ppg_http *h = cls;
	struct watch *w = watch_of(mc);
	(void)uri;
	if (w) {
		pthread_mutex_lock(&h->wlock);
		if (w->st != W_REQUEST) {
			w->st = W_REQUEST;
			w->deadline_ms = mono_ms() + (int64_t)h->cfg->request_timeout * 1000;
		}
		pthread_mutex_unlock(&h->wlock);
	}
	return NULL;
}

/* The watchdog: every WATCHDOG_TICK_MS, shuts down the connections whose
 * request is late (the poll of their worker then sees the end and closes
 * them), and logs what it closed once a second at most. */
void *ppg_http_watch_main(void *arg)
{
	struct ppg_http *h = arg;
	int64_t last_log = 0;

	pthread_mutex_lock(&h->wlock);
	while (!h->wstop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += WATCHDOG_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->wcond, &h->wlock, &ts);
		if (h->wstop)
			break;
		int64_t now = mono_ms();
		for (struct watch *w = h->watches; w; w = w->next) {
			if (w->killed || w->st == W_ANSWERING || now < w->deadline_ms)
				continue;
			/* W_IDLE past its deadline: the idle timeout of libmicrohttpd
			 * comes first; this is the backstop for a request line that
			 * trickles in. */
			shutdown(w->fd, SHUT_RDWR);
			w->killed = 1;
			atomic_fetch_add(&h->n_timeouts, 1);
		}
		if (now - last_log >= 1000) {
			unsigned long long t = atomic_load(&h->n_timeouts), a = atomic_load(&h->n_aborted);
			if (t != h->logged_timeouts || a != h->logged_aborted) {
				pthread_mutex_unlock(&h->wlock);
				LOGP(PPG_LOG_HTTP, LOG_WARNING, "closed %llu connection(s) whose request did not arrive "
				    "within request_timeout %u s, %llu gone mid-request (since start: %llu, %llu)",
				    t - h->logged_timeouts, h->cfg->request_timeout, a - h->logged_aborted, t, a);
				pthread_mutex_lock(&h->wlock);
				h->logged_timeouts = t;
				h->logged_aborted = a;
				last_log = now;
			}
			unsigned long n = ppg_ratelimit_flush(&h->mhd_log);
			if (n)
				LOGP(PPG_LOG_HTTP, LOG_WARNING, "%lu similar line(s) not logged (rate limit)", n);
			n = ppg_ratelimit_flush(&h->auth_log);
			if (n)
				LOGP(PPG_LOG_AUTH, LOG_NOTICE, "%lu similar line(s) not logged (rate limit)", n);
			ppg_tls_flush_log(h->tls);
			n = ppg_ratelimit_flush(&h->bad_log);
			if (n)
				LOGP(PPG_LOG_HTTP, LOG_INFO, "%lu similar line(s) not logged (rate limit)", n);
		}
	}
	pthread_mutex_unlock(&h->wlock);
	return NULL;
}
