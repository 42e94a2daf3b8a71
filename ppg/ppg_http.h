/*
 * ppg_http.h - the PAP front end: libmicrohttpd worker threads read the body,
 * authenticate the Push Initiator, decode the request, and either answer at
 * once, query on their own read-only database handle, or suspend the
 * connection until the core's [writer] has committed the request and its
 * [syncer] made it durable.
 *
 * Threads: start, quiesce, drain and stop on main; the handlers on
 * libmicrohttpd's [http worker] threads.
 */
#ifndef PPG_HTTP_H
#define PPG_HTTP_H

#include "ppg/ppg_auth.h"
#include "ppg/ppg_config.h"
#include "ppg/ppg_core.h"

struct ppg_http;

/* Starts listening on every configured address. NULL on failure (logged). */
struct ppg_content;

/* content (may be NULL) is served at /content/<token> for content indirection.
 * tls (ppg_tls_new of [server], NULL: plain HTTP) makes every listener
 * HTTPS only; it must outlive the front (ppg_http_stop). */
struct ppg_tls;
struct ppg_http *ppg_http_start(const struct ppg_config *cfg, struct ppg_auth *auth, struct ppg_core *core,
    struct ppg_content *content, struct ppg_tls *tls);
/* Stops accepting new connections. */
void ppg_http_quiesce(struct ppg_http *h);
/* Waits up to timeout_ms for in-flight requests; returns how many remain. */
unsigned ppg_http_drain(struct ppg_http *h, unsigned timeout_ms);
/* Stops the server and frees it (accepts NULL). */
void ppg_http_stop(struct ppg_http *h);
/* The port actually bound by the first listener (useful with port 0). */
unsigned ppg_http_port(const struct ppg_http *h);

/* [any] Counters of the front, for the metrics (since start). */
struct ppg_http_stats {
	unsigned long long connections;         /* accepted */
	unsigned long long request_timeouts;    /* closed: request not arrived within request_timeout */
	unsigned long long aborted;             /* gone mid-request (client closed, or idle timeout) */
	unsigned long long refused_rate;        /* 4001: over a PI's max_rate */
	unsigned long long refused_pending;     /* 4001: over a PI's max_pending */
	unsigned long long refused_bytes;       /* 4001: over a PI's max_pending_bytes */
	unsigned long long refused_deliveries;  /* 4001: over max_pending_deliveries */
};
void ppg_http_get_stats(struct ppg_http *h, struct ppg_http_stats *out);

#endif
