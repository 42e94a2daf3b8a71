/*
 * ppg_http_int.h - the HTTP front's private state, shared by ppg_http.c
 * (requests, answers, listeners) and ppg_http_watch.c (request deadlines).
 */
#ifndef PPG_HTTP_INT_H
#define PPG_HTTP_INT_H

#include "ppg/ppg_http.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "ppg/ppg_quota.h"
#include "ppg/ppg_ratelimit.h"
#include "ppg/ppg_tls.h"

#define WATCHDOG_TICK_MS 100
#define LOG_LINES_PER_SECOND 20   /* of libmicrohttpd, and of failed logins */

/* A connection as the watchdog sees it (MHD's socket context). */
enum watch_state {
	W_REQUEST,      /* a request is arriving: the deadline runs */
	W_ANSWERING,    /* it arrived: answered, or with the core */
	W_IDLE,         /* kept alive between requests */
};
struct watch {
	struct watch *prev, *next;
	int fd;
	enum watch_state st;
	int64_t deadline_ms;           /* monotonic */
	int killed;
	void *tls;                     /* the credentials its TLS session holds (ppg_tls_conn_start) */
};

#ifndef MHD_HTTP_CONTENT_TOO_LARGE
#define MHD_HTTP_CONTENT_TOO_LARGE MHD_HTTP_PAYLOAD_TOO_LARGE
#endif

struct ppg_http {
	const struct ppg_config *cfg;
	struct ppg_content *content;
	struct ppg_auth *auth;
	struct ppg_core *core;
	struct ppg_tls *tls;           /* NULL: plain HTTP */
	struct MHD_Daemon *d[PPG_MAX_LISTEN];
	int nd;
	atomic_uint inflight;
	pthread_key_t rodb_key;
	struct ppg_quota *quota;
	/* the watchdog */
	pthread_mutex_t wlock;
	pthread_cond_t wcond;
	struct watch *watches;
	pthread_t wthread;
	int wstarted, wstop;
	unsigned long long logged_timeouts, logged_aborted;
	/* counters: atomics, read by ppg_http_get_stats */
	atomic_ullong n_connections, n_timeouts, n_aborted;
	struct ppg_ratelimit mhd_log, auth_log, bad_log;
};

enum conn_state { C_READING, C_WAITING, C_READY };

struct conn {
	struct ppg_http *h;
	struct MHD_Connection *mc;
	enum conn_state state;
	char *body;
	size_t len, cap;
	int too_big;
	int status;                /* non-PAP answer: 401, 403, 413, 500 ... */
	int cert_refused;          /* the 403 is for the client certificate */
	struct ppg_request *req;
	int64_t fetched;           /* a content fetch of this delivery is being answered */
	int fetched_remote;        /* ... served from the database (another node's token) */
};

/* [http worker] This worker's read-only database handle (opened on first use). */
struct db *ppg_http_rodb(struct ppg_http *h);
/* ppg_http_content.c: GET /content/<token> from this node's table, else from
 * the database (another node's attempt, or one from before a restart): 0,
 * -ENOENT, -EIO (the database failed: 503). *remote set when from the
 * database. fetched: the whole content went out. */
int ppg_http_content_get(struct ppg_http *h, const char *token, char **ctype, void **body, size_t *len,
    int64_t *delivery, int *remote);
void ppg_http_content_fetched(struct ppg_http *h, int64_t delivery, int remote);

/* ppg_http_watch.c: MHD's connection notifications and URI callback, the
 * watchdog thread, and the mark of a request that arrived whole. */
void ppg_http_watch_arrived(struct ppg_http *h, struct MHD_Connection *mc);
void ppg_http_watch_answered(struct ppg_http *h, struct MHD_Connection *mc);
void ppg_http_watch_on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
    enum MHD_ConnectionNotificationCode code);
void *ppg_http_watch_on_request_line(void *cls, const char *uri, struct MHD_Connection *mc);
void *ppg_http_watch_main(void *arg);

#endif
