/*
 * ppg_admin_int.h - the admin listener's private state, shared by
 * ppg_admin.c (listener, routing, health, metrics) and ppg_admin_api.c (the
 * JSON API). Threads: the listener's [admin worker] threads.
 */
#ifndef PPG_ADMIN_INT_H
#define PPG_ADMIN_INT_H

#include "ppg/ppg_admin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "pap/pap.h"
#include "ppg/ppg_auth.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_metrics.h"
#include "ppg/ppg_reload.h"
#include "ppg/ppg_request.h"
#include "ppg/ppg_series.h"
#include "ppg/ppg_tls.h"

#define API "/api/v1/"
#define PAGE_DEFAULT 50

struct ppg_admin {
	const struct ppg_config *cfg;
	struct ppg_config shadow;      /* cfg with the admin accounts as its "PIs": for ppg_auth */
	struct ppg_auth *auth;
	struct ppg_core *core;
	struct MHD_Daemon *d;
	pthread_mutex_t dblock;        /* the read-only handle, claimed by its user */
	struct db *db;
	time_t started;
	struct ppg_reload *reload;     /* POST /api/v1/reload; NULL: 501 */
};

/* One request: the listener reads no body, but a POST's must be consumed. */
struct req {
	int seen;
};

/* ppg_admin.c: answers (each frees what it is given), the read-only
 * handle (take: claimed by the calling thread under a mutex; NULL when it
 * cannot be opened), query arguments */
enum MHD_Result ppg_admin_reply(struct MHD_Connection *mc, unsigned status, const char *ctype, char *body,
    size_t len);
enum MHD_Result ppg_admin_reply_json(struct MHD_Connection *mc, unsigned status, json_t *j);
enum MHD_Result ppg_admin_reply_error(struct MHD_Connection *mc, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
struct db *ppg_admin_db_take(struct ppg_admin *a);
void ppg_admin_db_give(struct ppg_admin *a);
const char *ppg_admin_state_name(int s);
const char *ppg_admin_arg(struct MHD_Connection *mc, const char *name);
int64_t ppg_admin_int_arg(struct MHD_Connection *mc, const char *name);
/* Can the database take writes (no failed commit or fsync, the file writable)? */
int ppg_admin_db_writable(struct ppg_admin *a, char *why, size_t len);

/* ppg_admin_api.c: the routes under /api/v1/ */
enum MHD_Result ppg_admin_api_pushes(struct ppg_admin *a, struct MHD_Connection *mc);
enum MHD_Result ppg_admin_api_push(struct ppg_admin *a, struct MHD_Connection *mc);
enum MHD_Result ppg_admin_api_cancel(struct ppg_admin *a, struct MHD_Connection *mc, const char *user);
enum MHD_Result ppg_admin_api_bindings(struct ppg_admin *a, struct MHD_Connection *mc);
enum MHD_Result ppg_admin_api_pis(struct ppg_admin *a, struct MHD_Connection *mc);
enum MHD_Result ppg_admin_api_status(struct ppg_admin *a, struct MHD_Connection *mc);
enum MHD_Result ppg_admin_api_reload(struct ppg_admin *a, struct MHD_Connection *mc, const char *user);
enum MHD_Result ppg_admin_api_throughput(struct ppg_admin *a, struct MHD_Connection *mc);

/* ppg_admin_page.c: the status page, built into the binary (ppg/status/).
 * 1 when url is one of its paths (/, /status, its script, style and icon). */
int ppg_admin_page_path(const char *url);
/* Answers a GET of one of its paths with its Content-Type, no-store and a
 * Content-Security-Policy that allows nothing but this origin. */
enum MHD_Result ppg_admin_page_serve(struct ppg_admin *a, struct MHD_Connection *mc, const char *url);

#endif
