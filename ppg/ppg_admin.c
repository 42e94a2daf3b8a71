/*
 * ppg_admin.c - the admin listener: JSON API (jansson), /metrics, /healthz,
 * /readyz. See ppg_admin.h for the threads and README "Operating ppgd" for
 * the routes.
 *
 *   GET  /healthz                          200 {"status":"alive"}, no credentials
 *   GET  /readyz                           200 or 503 {"ready":..,"reason":..,"checks":{..}}
 *   GET  /metrics                          Prometheus text format 0.0.4
 *   GET  /api/v1/status                    bearers, listeners, queue depths, core counters
 *   GET  /api/v1/pushes?pi=&state=&push_id=&since=&until=&limit=&cursor=
 *   GET  /api/v1/push?push_id=ID[&pi=NAME] one push, every delivery and its history
 *   POST /api/v1/push/cancel?push_id=ID&pi=NAME
 *   GET  /api/v1/bindings[?aor=AOR]
 *   GET  /api/v1/pis
 *   POST /api/v1/reload                    501: no reload yet
 */
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
#include "ppg/ppg_request.h"

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
};

/* One request: the listener reads no body, but a POST's must be consumed. */
struct req {
	int seen;
};

/* ------------------------------------------------------------ answers */

static enum MHD_Result reply(struct MHD_Connection *mc, unsigned status, const char *ctype, char *body,
    size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_SERVER, "ppgd/" PACKAGE_VERSION);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ret;
	if (status == MHD_HTTP_UNAUTHORIZED)
		ret = MHD_queue_basic_auth_fail_response(mc, "ppgd admin", r);
	else
		ret = MHD_queue_response(mc, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Sends j (consumed) as JSON. */
static enum MHD_Result reply_json(struct MHD_Connection *mc, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (!s)
		return MHD_NO;
	size_t n = strlen(s);
	char *body = malloc(n + 2);
	if (!body) {
		free(s);
		return MHD_NO;
	}
	memcpy(body, s, n);
	body[n++] = '\n';
	free(s);
	return reply(mc, status, "application/json", body, n);
}

static enum MHD_Result reply_error(struct MHD_Connection *mc, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum MHD_Result reply_error(struct MHD_Connection *mc, unsigned status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return reply_json(mc, status, json_pack("{s:s, s:i}", "error", msg, "status", (int)status));
}

/* ------------------------------------------------------------ database */

static struct db *db_take(struct ppg_admin *a)
{
	pthread_mutex_lock(&a->dblock);
	if (!a->db) {
		int r = db_open(a->cfg->db_path, DB_OPEN_READONLY, &a->db);
		if (r < 0) {
			LOGP(PPG_LOG_DB, LOG_ERR, "admin: cannot open %s read-only: %s", a->cfg->db_path,
			    a->db ? db_errmsg(a->db) : strerror(-r));
			db_close(a->db);
			a->db = NULL;
			pthread_mutex_unlock(&a->dblock);
			return NULL;
		}
	} else {
		db_claim(a->db);
	}
	return a->db;
}

static void db_give(struct ppg_admin *a)
{
	pthread_mutex_unlock(&a->dblock);
}

static const char *state_name(int s)
{
	if (s == DB_STATE_INFLIGHT)
		return "pending";   /* an attempt is under way: PAP says pending */
	return pap_state_str((enum pap_state)s);
}

static const char *arg(struct MHD_Connection *mc, const char *name)
{
	const char *v = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, name);
	return v && *v ? v : NULL;
}

/* A non-negative integer argument; -1 when absent, -2 when malformed. */
static int64_t int_arg(struct MHD_Connection *mc, const char *name)
{
	const char *v = arg(mc, name);
	if (!v)
		return -1;
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || *end || n < 0)
		return -2;
	return n;
}

/* ------------------------------------------------------------ health */

static int db_writable(struct ppg_admin *a, char *why, size_t len)
{
	if (ppg_metrics_get(PPG_M_DB_FAILING)) {
		snprintf(why, len, "the last batch could not be committed or made durable");
		return 0;
	}
	if (access(a->cfg->db_path, W_OK) < 0) {
		snprintf(why, len, "%s: %s", a->cfg->db_path, strerror(errno));
		return 0;
	}
	return 1;
}

static enum MHD_Result readyz(struct ppg_admin *a, struct MHD_Connection *mc)
{
	const struct ppg_config *cfg = a->cfg;
	char why[300] = "", dbwhy[256] = "";
	json_t *checks = json_object();
	int dbok = db_writable(a, dbwhy, sizeof dbwhy);
	int pap = ppg_metrics_get(PPG_M_PAP_UP) == 1;
	json_object_set_new(checks, "database_writable", json_boolean(dbok));
	json_object_set_new(checks, "pap_listener", json_boolean(pap));
	json_object_set_new(checks, "admin_listener", json_true());
	if (!dbok)
		snprintf(why, sizeof why, "database not writable: %s", dbwhy);
	else if (!pap)
		snprintf(why, sizeof why, "the PAP listener is not up");
	if (cfg->sip_enabled) {
		int up = ppg_metrics_get(PPG_M_SIP_UP) == 1;
		json_object_set_new(checks, "sip_transport", json_boolean(up));
		if (!up && !why[0])
			snprintf(why, sizeof why, "the SIP transport is not up");
	}
	if (cfg->ota_sms) {
		int bound = ppg_metrics_get(PPG_M_SMSC_BOUND) == 1;
		json_object_set_new(checks, "smsc_bound", json_boolean(bound));
		if (!bound && !why[0])
			snprintf(why, sizeof why, "the SMSC (%s) is not bound", cfg->ota_smsc);
	}
	json_t *j = json_pack("{s:b, s:o}", "ready", !why[0], "checks", checks);
	if (why[0])
		json_object_set_new(j, "reason", json_string(why));
	return reply_json(mc, why[0] ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, j);
}

/* ------------------------------------------------------------ metrics */

static enum MHD_Result metrics(struct ppg_admin *a, struct MHD_Connection *mc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return MHD_NO;
	ppg_metrics_render(f);
	struct ppg_core_stats st;
	ppg_core_get_stats(a->core, &st);
	fprintf(f, "# HELP ppgd_core_requests_total PAP requests executed by the writer\n"
	    "# TYPE ppgd_core_requests_total counter\nppgd_core_requests_total %llu\n", st.requests);
	fprintf(f, "# HELP ppgd_core_batches_total group commits (transactions) of the writer\n"
	    "# TYPE ppgd_core_batches_total counter\nppgd_core_batches_total %llu\n", st.batches);
	fprintf(f, "# HELP ppgd_core_commit_failures_total batches whose commit failed\n"
	    "# TYPE ppgd_core_commit_failures_total counter\nppgd_core_commit_failures_total %llu\n",
	    st.commit_failures);
	fprintf(f, "# HELP ppgd_start_time_seconds when ppgd started (Unix time)\n"
	    "# TYPE ppgd_start_time_seconds gauge\nppgd_start_time_seconds %lld\n", (long long)a->started);
	/* Queue depths, read from the database at scrape time. */
	struct db *db = db_take(a);
	if (db) {
		int64_t counts[DB_NSTATES], pending = 0;
		struct db_pending_reasons pr;
		if (db_push_count_by_state(db, counts) == 0) {
			fprintf(f, "# HELP ppgd_pushes current (not replaced) pushes stored, per summary state\n"
			    "# TYPE ppgd_pushes gauge\n");
			for (int s = DB_STATE_PENDING; s <= DB_STATE_REJECTED; s++)
				fprintf(f, "ppgd_pushes{state=\"%s\"} %lld\n", pap_state_str((enum pap_state)s),
				    (long long)counts[s]);
		}
		if (db_delivery_pending_reasons(db, ppg_clock_now_ms(), &pr) == 0) {
			fprintf(f, "# HELP ppgd_deliveries_pending deliveries not final, by what they wait for\n"
			    "# TYPE ppgd_deliveries_pending gauge\n"
			    "ppgd_deliveries_pending{reason=\"inflight\"} %lld\n"
			    "ppgd_deliveries_pending{reason=\"registration\"} %lld\n"
			    "ppgd_deliveries_pending{reason=\"scheduled\"} %lld\n"
			    "ppgd_deliveries_pending{reason=\"due\"} %lld\n",
			    (long long)pr.inflight, (long long)pr.registration, (long long)pr.scheduled, (long long)pr.due);
		}
		if (db_notification_count_state(db, DB_STATE_PENDING, &pending) == 0)
			fprintf(f, "# HELP ppgd_notifications_pending result notifications waiting to be sent\n"
			    "# TYPE ppgd_notifications_pending gauge\nppgd_notifications_pending %lld\n",
			    (long long)pending);
		db_give(a);
	}
	fclose(f);
	return reply(mc, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", buf, len);
}

/* ------------------------------------------------------------ API */

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *brief_json(const struct db_push_brief *b)
{
	return json_pack("{s:I, s:o, s:o, s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:i}",
	    "row", (json_int_t)b->id, "pi", jstr(b->pi), "push_id", jstr(b->push_id),
	    "state", state_name(b->state), "received_time", (json_int_t)b->received_time,
	    "state_time", (json_int_t)b->state_time, "deliver_before", (json_int_t)b->deliver_before,
	    "replaced_by", (json_int_t)b->replaced_by, "app_id", jstr(b->app_id),
	    "content_type", jstr(b->content_type), "deliveries", b->ndeliveries);
}

static enum MHD_Result api_pushes(struct ppg_admin *a, struct MHD_Connection *mc)
{
	struct db_push_filter f = { .pi = arg(mc, "pi"), .push_id = arg(mc, "push_id"), .state = -1 };
	const char *state = arg(mc, "state");
	if (state) {
		enum pap_state s;
		if (pap_state_decode(state, &s) < 0)
			return reply_error(mc, MHD_HTTP_BAD_REQUEST, "state \"%s\" is not a PAP message-state "
			    "(pending, delivered, undeliverable, expired, aborted, timeout, cancelled, rejected)", state);
		f.state = (int)s;
	}
	int64_t since = int_arg(mc, "since"), until = int_arg(mc, "until"), limit = int_arg(mc, "limit"),
	    cursor = int_arg(mc, "cursor");
	if (since == -2 || until == -2 || limit == -2 || cursor == -2)
		return reply_error(mc, MHD_HTTP_BAD_REQUEST,
		    "since, until (Unix ms), limit and cursor must be non-negative integers");
	if (limit == 0 || limit > DB_PUSH_SEARCH_MAX)
		return reply_error(mc, MHD_HTTP_BAD_REQUEST, "limit must be 1 .. %d", DB_PUSH_SEARCH_MAX);
	f.since = since > 0 ? since : 0;
	f.until = until > 0 ? until : 0;
	f.before_id = cursor > 0 ? cursor : 0;
	f.limit = limit > 0 ? (size_t)limit : PAGE_DEFAULT;

	struct db *db = db_take(a);
	if (!db)
		return reply_error(mc, MHD_HTTP_SERVICE_UNAVAILABLE, "the database is not available");
	struct db_push_brief *v = NULL;
	size_t n = 0;
	int r = db_push_search(db, &f, &v, &n);
	if (r < 0) {
		enum MHD_Result ret = reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "database: %s", db_errmsg(db));
		db_give(a);
		return ret;
	}
	db_give(a);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, brief_json(&v[i]));
	json_t *next = json_null();
	if (n == f.limit) {
		char c[32];
		snprintf(c, sizeof c, "%lld", (long long)v[n - 1].id);
		json_decref(next);
		next = json_string(c);
	}
	db_push_brief_list_free(v, n);
	return reply_json(mc, MHD_HTTP_OK, json_pack("{s:o, s:o, s:i}", "pushes", list, "next_cursor", next,
	    "count", (int)n));
}

/*
 * Finds the push a push-id names: of pi when given; else of the only PI that
 * used it (a push-id is unique per PI only). 0 with *row; or an answer sent
 * (*ret) and -1.
 */
static int find_push(struct db *db, struct MHD_Connection *mc, const char *pi, const char *push_id,
    int64_t *row, enum MHD_Result *ret)
{
	if (!push_id) {
		*ret = reply_error(mc, MHD_HTTP_BAD_REQUEST, "push_id is required");
		return -1;
	}
	if (pi) {
		struct db_push p = { 0 };
		int r = db_push_find_latest(db, pi, push_id, 0, &p);
		if (r == -ENOENT) {
			*ret = reply_error(mc, MHD_HTTP_NOT_FOUND, "no push \"%s\" of PI %s", push_id, pi);
			return -1;
		}
		if (r < 0) {
			*ret = reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "database: %s", db_errmsg(db));
			return -1;
		}
		*row = p.id;
		db_push_clear(&p);
		return 0;
	}
	struct db_push_filter f = { .push_id = push_id, .state = -1, .limit = 50 };
	struct db_push_brief *v = NULL;
	size_t n = 0;
	if (db_push_search(db, &f, &v, &n) < 0) {
		*ret = reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "database: %s", db_errmsg(db));
		return -1;
	}
	int other = 0;
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i].pi, v[0].pi))
			other = 1;
	if (n == 0) {
		*ret = reply_error(mc, MHD_HTTP_NOT_FOUND, "no push \"%s\"", push_id);
	} else if (other) {
		json_t *pis = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(pis, json_string(v[i].pi));
		*ret = reply_json(mc, MHD_HTTP_CONFLICT, json_pack("{s:s, s:i, s:o}", "error",
		    "several PIs used this push-id: name one with pi=", "status", MHD_HTTP_CONFLICT, "pis", pis));
	} else {
		/* newest first: the current push, or the one replaced last */
		*row = v[0].id;
		for (size_t i = 0; i < n; i++)
			if (!v[i].replaced_by) {
				*row = v[i].id;
				break;
			}
	}
	db_push_brief_list_free(v, n);
	return n && !other ? 0 : -1;
}

static json_t *push_json(struct db *db, const struct db_push *p, int *err)
{
	json_t *j = json_pack("{s:I, s:o, s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:b}",
	    "row", (json_int_t)p->id, "pi", jstr(p->pi), "push_id", jstr(p->push_id),
	    "state", state_name(p->state), "received_time", (json_int_t)p->received_time,
	    "state_time", (json_int_t)p->state_time, "deliver_before", (json_int_t)p->deliver_before,
	    "deliver_after", (json_int_t)p->deliver_after, "replaced_by", (json_int_t)p->replaced_by,
	    "replace_push_id", jstr(p->replace_push_id), "source_reference", jstr(p->source_reference),
	    "notify_to", jstr(p->notify_to), "app_id", jstr(p->app_id), "content_type", jstr(p->content_type),
	    "progress_notes", p->progress_notes);
	struct db_delivery *dv = NULL;
	size_t dn = 0;
	json_t *list = json_array();
	*err = db_delivery_list(db, p->id, &dv, &dn);
	for (size_t i = 0; *err == 0 && i < dn; i++) {
		struct db_transition *tv = NULL;
		size_t tn = 0;
		json_t *hist = json_array();
		*err = db_transition_list(db, dv[i].id, &tv, &tn);
		for (size_t k = 0; *err == 0 && k < tn; k++)
			json_array_append_new(hist, json_pack("{s:I, s:s, s:i, s:o}", "time", (json_int_t)tv[k].time,
			    "state", state_name(tv[k].state), "code", tv[k].code, "note", jstr(tv[k].note)));
		db_transition_list_free(tv, tn);
		json_array_append_new(list, json_pack("{s:I, s:o, s:o, s:s, s:b, s:i, s:o, s:I, s:i, s:I, s:i, s:o}",
		    "row", (json_int_t)dv[i].id, "address", jstr(dv[i].address), "addr_canon", jstr(dv[i].addr_canon),
		    "state", state_name(dv[i].state), "in_flight", dv[i].state == DB_STATE_INFLIGHT,
		    "code", dv[i].code, "desc", jstr(dv[i].desc), "event_time", (json_int_t)dv[i].event_time,
		    "attempts", dv[i].attempts, "next_attempt", (json_int_t)dv[i].next_attempt,
		    "bearer", dv[i].bearer, "history", hist));
	}
	db_delivery_list_free(dv, dn);
	json_object_set_new(j, "deliveries", list);
	return j;
}

static enum MHD_Result api_push(struct ppg_admin *a, struct MHD_Connection *mc)
{
	struct db *db = db_take(a);
	if (!db)
		return reply_error(mc, MHD_HTTP_SERVICE_UNAVAILABLE, "the database is not available");
	enum MHD_Result ret = MHD_NO;
	int64_t row = 0;
	if (find_push(db, mc, arg(mc, "pi"), arg(mc, "push_id"), &row, &ret) < 0) {
		db_give(a);
		return ret;
	}
	struct db_push p = { 0 };
	int err = db_push_get(db, row, 0, &p);
	json_t *j = err == 0 ? push_json(db, &p, &err) : NULL;
	if (err < 0) {
		json_decref(j);
		ret = reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "database: %s", db_errmsg(db));
	} else {
		ret = reply_json(mc, MHD_HTTP_OK, j);
	}
	db_push_clear(&p);
	db_give(a);
	return ret;
}

/* A cancel goes through the writer like a PI's cancel-message. */
struct waiter {
	pthread_mutex_t m;
	pthread_cond_t c;
	int done;
};

static void cancel_done(void *arg)
{
	struct waiter *w = arg;
	pthread_mutex_lock(&w->m);
	w->done = 1;
	pthread_cond_signal(&w->c);
	pthread_mutex_unlock(&w->m);
}

static enum MHD_Result api_cancel(struct ppg_admin *a, struct MHD_Connection *mc, const char *user)
{
	const char *pi = arg(mc, "pi"), *push_id = arg(mc, "push_id");
	if (!push_id || !pi)
		return reply_error(mc, MHD_HTTP_BAD_REQUEST, "push_id and pi are required (a push-id is unique per PI)");
	struct pap_msg m = { .type = PAP_MSG_CANCEL, .version = PAP_V2_1, .push_id = (char *)push_id };
	size_t len = 0;
	char *xml = pap_msg_encode(&m, &len);
	if (!xml)
		return reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot encode the cancel-message");
	struct ppg_request *req = ppg_request_parse(a->cfg, pi, "application/xml", (const unsigned char *)xml, len,
	    ppg_clock_now_ms());
	free(xml);
	if (!req)
		return reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	if (req->need != PPG_REQ_WRITE) {
		enum MHD_Result ret = reply_error(mc, MHD_HTTP_BAD_REQUEST, "push_id cannot be cancelled: PAP code %d",
		    req->result_code);
		ppg_request_free(req);
		return ret;
	}
	struct waiter w = { .done = 0 };
	pthread_mutex_init(&w.m, NULL);
	pthread_cond_init(&w.c, NULL);
	if (ppg_core_submit(a->core, req, cancel_done, &w) < 0) {
		ppg_request_free(req);
		pthread_mutex_destroy(&w.m);
		pthread_cond_destroy(&w.c);
		return reply_error(mc, MHD_HTTP_SERVICE_UNAVAILABLE, "ppgd is shutting down");
	}
	/* This connection's own thread waits for the batch to be durable. */
	pthread_mutex_lock(&w.m);
	while (!w.done)
		pthread_cond_wait(&w.c, &w.m);
	pthread_mutex_unlock(&w.m);
	pthread_mutex_destroy(&w.m);
	pthread_cond_destroy(&w.c);

	LOGPUSH(PPG_LOG_MAIN, LOG_NOTICE, pi, push_id, "cancel by admin %s: PAP %d", user, req->result_code);
	json_t *results = json_array();
	struct pap_msg *ans = NULL;
	struct pap_error perr;
	struct pap_limits lim = PAP_LIMITS_DEFAULT;
	lim.max_doc = req->answer_len + 1;
	if (req->answer && pap_msg_decode(req->answer, req->answer_len, &lim, &ans, &perr) == 0) {
		for (size_t i = 0; i < ans->nresults; i++) {
			json_t *addrs = json_array();
			for (size_t k = 0; k < ans->results[i].naddrs; k++)
				json_array_append_new(addrs, json_string(ans->results[i].addrs[k]));
			json_array_append_new(results, json_pack("{s:i, s:o, s:o}", "code", ans->results[i].code,
			    "desc", jstr(ans->results[i].desc), "addresses", addrs));
		}
	}
	pap_msg_free(ans);
	int code = req->result_code;
	json_t *j = json_pack("{s:s, s:s, s:i, s:s, s:b, s:o}", "pi", pi, "push_id", push_id, "code", code,
	    "desc", pap_code_desc(code), "cancelled", code == PAP_OK, "results", results);
	ppg_request_free(req);
	return reply_json(mc, code == PAP_PUSH_ID_NOT_FOUND ? MHD_HTTP_NOT_FOUND : MHD_HTTP_OK, j);
}

static enum MHD_Result api_bindings(struct ppg_admin *a, struct MHD_Connection *mc)
{
	struct db *db = db_take(a);
	if (!db)
		return reply_error(mc, MHD_HTTP_SERVICE_UNAVAILABLE, "the database is not available");
	struct db_binding *v = NULL;
	size_t n = 0;
	int64_t now = ppg_clock_now_ms();
	if (db_binding_list(db, arg(mc, "aor"), now, &v, &n) < 0) {
		enum MHD_Result ret = reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "database: %s", db_errmsg(db));
		db_give(a);
		return ret;
	}
	db_give(a);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I}",
		    "aor", jstr(v[i].aor), "contact", jstr(v[i].contact), "instance", jstr(v[i].instance),
		    "gruu", jstr(v[i].gruu), "apps", jstr(v[i].apps), "expires", (json_int_t)v[i].expires,
		    "expires_in", (json_int_t)((v[i].expires - now) / 1000), "updated", (json_int_t)v[i].updated));
	db_binding_list_free(v, n);
	return reply_json(mc, MHD_HTTP_OK, json_pack("{s:o}", "bindings", list));
}

static json_t *cidr_json(const struct ppg_cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8], a[INET6_ADDRSTRLEN];
	inet_ntop(c->family, c->addr, a, sizeof a);
	snprintf(buf, sizeof buf, "%s/%d", a, c->bits);
	return json_string(buf);
}

static enum MHD_Result api_pis(struct ppg_admin *a, struct MHD_Connection *mc)
{
	json_t *list = json_array();
	for (const struct ppg_pi *pi = a->cfg->pis; pi; pi = pi->next) {
		json_t *allow = json_array();
		for (int i = 0; i < pi->nallow; i++)
			json_array_append_new(allow, cidr_json(&pi->allow[i]));
		json_array_insert_new(list, 0, json_pack("{s:s, s:o}", "name", pi->name, "allow", allow));
	}
	return reply_json(mc, MHD_HTTP_OK, json_pack("{s:o}", "pis", list));
}

static enum MHD_Result api_status(struct ppg_admin *a, struct MHD_Connection *mc)
{
	const struct ppg_config *cfg = a->cfg;
	char dbwhy[256] = "";
	struct ppg_core_stats st;
	ppg_core_get_stats(a->core, &st);
	json_t *bearers = json_pack("{s:{s:b, s:b, s:s}, s:{s:b}, s:{s:b, s:b, s:s, s:I, s:I}}",
	    "sip", "enabled", cfg->sip_enabled, "up", ppg_metrics_get(PPG_M_SIP_UP) == 1, "listen", cfg->sip_listen,
	    "udp", "enabled", cfg->ota_udp,
	    "sms", "enabled", cfg->ota_sms, "bound", ppg_metrics_get(PPG_M_SMSC_BOUND) == 1, "smsc", cfg->ota_smsc,
	    "binds", (json_int_t)ppg_metrics_get(PPG_M_SMPP_BINDS),
	    "link_downs", (json_int_t)ppg_metrics_get(PPG_M_SMPP_LINK_DOWNS));
	json_t *j = json_pack("{s:s, s:I, s:I, s:o, s:{s:b, s:b}, s:{s:I, s:I, s:I}}",
	    "version", PACKAGE_VERSION, "started", (json_int_t)a->started,
	    "uptime", (json_int_t)(time(NULL) - a->started), "bearers", bearers,
	    "listeners", "pap", ppg_metrics_get(PPG_M_PAP_UP) == 1, "admin", 1,
	    "core", "requests", (json_int_t)st.requests, "batches", (json_int_t)st.batches,
	    "commit_failures", (json_int_t)st.commit_failures);
	json_object_set_new(j, "database_writable", json_boolean(db_writable(a, dbwhy, sizeof dbwhy)));
	struct db *db = db_take(a);
	if (db) {
		int64_t counts[DB_NSTATES], npend = 0;
		struct db_pending_reasons pr;
		if (db_push_count_by_state(db, counts) == 0) {
			json_t *by = json_object();
			for (int s = DB_STATE_PENDING; s <= DB_STATE_REJECTED; s++)
				json_object_set_new(by, pap_state_str((enum pap_state)s), json_integer(counts[s]));
			json_object_set_new(j, "pushes", by);
		}
		if (db_delivery_pending_reasons(db, ppg_clock_now_ms(), &pr) == 0)
			json_object_set_new(j, "deliveries_pending", json_pack("{s:I, s:I, s:I, s:I}",
			    "inflight", (json_int_t)pr.inflight, "registration", (json_int_t)pr.registration,
			    "scheduled", (json_int_t)pr.scheduled, "due", (json_int_t)pr.due));
		if (db_notification_count_state(db, DB_STATE_PENDING, &npend) == 0)
			json_object_set_new(j, "notifications_pending", json_integer(npend));
		db_give(a);
	}
	return reply_json(mc, MHD_HTTP_OK, j);
}

/* ------------------------------------------------------------ dispatch */

static const struct sockaddr *client_addr(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	return ci ? ci->client_addr : NULL;
}

static enum MHD_Result route(struct ppg_admin *a, struct MHD_Connection *mc, const char *url, const char *method)
{
	int get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
	int post = !strcmp(method, MHD_HTTP_METHOD_POST);

	if (!strcmp(url, "/healthz"))
		return reply_json(mc, MHD_HTTP_OK, json_pack("{s:s}", "status", "alive"));
	if (!strcmp(url, "/readyz"))
		return readyz(a, mc);
	if (strcmp(url, "/metrics") && strncmp(url, API, strlen(API)))
		return reply_error(mc, MHD_HTTP_NOT_FOUND, "no such path: %s", url);

	/* Everything else needs an admin account. */
	char *pass = NULL;
	char *user = MHD_basic_auth_get_username_password(mc, &pass);
	const struct ppg_pi *acct = NULL;
	unsigned delay = 0;
	enum ppg_auth_result ar = ppg_auth_check(a->auth, user, pass, client_addr(mc), &acct, &delay);
	char name[80];
	snprintf(name, sizeof name, "%s", user ? user : "");
	if (user)
		MHD_free(user);
	if (pass)
		MHD_free(pass);
	if (ar != PPG_AUTH_OK) {
		LOGP(PPG_LOG_AUTH, LOG_NOTICE, "admin: %s for \"%s\"", ar == PPG_AUTH_FORBIDDEN ?
		    "address not allowed" : "authentication failed", name[0] ? name : "(none)");
		if (ar == PPG_AUTH_FORBIDDEN)
			return reply_error(mc, MHD_HTTP_FORBIDDEN, "address not allowed for this account");
		if (delay) {   /* this connection's own thread: the wait costs no other client */
			struct timespec ts = { delay / 1000, (long)(delay % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		return reply_error(mc, MHD_HTTP_UNAUTHORIZED, "authentication required");
	}

	if (!strcmp(url, "/metrics") && get)
		return metrics(a, mc);
	const char *p = url + strlen(API);
	if (!strcmp(p, "status") && get)
		return api_status(a, mc);
	if (!strcmp(p, "pushes") && get)
		return api_pushes(a, mc);
	if (!strcmp(p, "push") && get)
		return api_push(a, mc);
	if (!strcmp(p, "push/cancel") && post)
		return api_cancel(a, mc, name);
	if (!strcmp(p, "bindings") && get)
		return api_bindings(a, mc);
	if (!strcmp(p, "pis") && get)
		return api_pis(a, mc);
	if (!strcmp(p, "reload") && post)
		return reply_error(mc, MHD_HTTP_NOT_IMPLEMENTED,
		    "not implemented yet: restart ppgd to load a new configuration");
	if (!strcmp(url, "/metrics") || !strcmp(p, "status") || !strcmp(p, "pushes") || !strcmp(p, "push") ||
	    !strcmp(p, "push/cancel") || !strcmp(p, "bindings") || !strcmp(p, "pis") || !strcmp(p, "reload"))
		return reply_error(mc, MHD_HTTP_METHOD_NOT_ALLOWED, "%s is not allowed on %s", method, url);
	return reply_error(mc, MHD_HTTP_NOT_FOUND, "no such path: %s", url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct ppg_admin *a = cls;
	struct req *r = *con_cls;
	(void)version;
	(void)upload;
	if (!r) {
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size) {   /* no route reads a body */
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->seen)
		return MHD_YES;
	r->seen = 1;
	return route(a, mc, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)mc;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	(void)cls;
	vsnprintf(buf, sizeof buf, fmt, ap);
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	LOGP(PPG_LOG_HTTP, LOG_WARNING, "admin: libmicrohttpd: %s", buf);
}

struct ppg_admin *ppg_admin_start(const struct ppg_config *cfg, struct ppg_core *core, int *failed)
{
	*failed = 0;
	if (!cfg->admin_enabled)
		return NULL;
	struct ppg_admin *a = calloc(1, sizeof *a);
	if (!a) {
		*failed = 1;
		return NULL;
	}
	a->cfg = cfg;
	a->core = core;
	a->started = time(NULL);
	a->shadow = *cfg;
	a->shadow.pis = cfg->admins;
	pthread_mutex_init(&a->dblock, NULL);
	a->auth = ppg_auth_new(&a->shadow);
	if (!a->auth) {
		ppg_admin_stop(a);
		*failed = 1;
		return NULL;
	}
	if (!cfg->admins)
		LOGP(PPG_LOG_MAIN, LOG_WARNING, "admin: no [admin NAME] account: the API and /metrics answer 401");
	const struct sockaddr *sa = (const struct sockaddr *)&cfg->admin_listen;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	uint16_t port;
	if (sa->sa_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	} else {
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	}
	a->d = MHD_start_daemon(flags, port, NULL, NULL, on_request, a,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->admin_max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
	    MHD_OPTION_END);
	if (!a->d) {
		LOGP(PPG_LOG_HTTP, LOG_ERR, "admin: cannot listen on port %u: %s", port, strerror(errno));
		ppg_admin_stop(a);
		*failed = 1;
		return NULL;
	}
	return a;
}

void ppg_admin_stop(struct ppg_admin *a)
{
	if (!a)
		return;
	if (a->d)
		MHD_stop_daemon(a->d);
	if (a->db) {
		db_claim(a->db);
		db_close(a->db);
	}
	ppg_auth_free(a->auth);
	pthread_mutex_destroy(&a->dblock);
	free(a);
}

unsigned ppg_admin_port(const struct ppg_admin *a)
{
	if (!a || !a->d)
		return 0;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(a->d, MHD_DAEMON_INFO_BIND_PORT);
	return di ? di->port : 0;
}
