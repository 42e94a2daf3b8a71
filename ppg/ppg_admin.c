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
 *   GET  /, /status (+ status.js, status.css) the status page (ppg_admin_page.c)
 *   GET  /api/v1/push?push_id=ID[&pi=NAME] one push, every delivery and its history (or ?row=N)
 *   POST /api/v1/push/cancel?push_id=ID&pi=NAME
 *   GET  /api/v1/bindings[?aor=AOR]
 *   GET  /api/v1/pis
 *   GET  /api/v1/throughput?seconds=&step= accepted, delivered, failed per step (ppg_series.h)
 *   POST /api/v1/reload                    re-read the config file (ppg_reload.h): 200, 400, 500
 */
#include "ppg/ppg_admin_int.h"
#include "ppg/ppg_ratelimit.h"

/* ------------------------------------------------------------ answers */

enum MHD_Result ppg_admin_reply(struct MHD_Connection *mc, unsigned status, const char *ctype, char *body,
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
enum MHD_Result ppg_admin_reply_json(struct MHD_Connection *mc, unsigned status, json_t *j)
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
	return ppg_admin_reply(mc, status, "application/json", body, n);
}

enum MHD_Result ppg_admin_reply_error(struct MHD_Connection *mc, unsigned status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return ppg_admin_reply_json(mc, status, json_pack("{s:s, s:i}", "error", msg, "status", (int)status));
}

/* ------------------------------------------------------------ database */

struct db *ppg_admin_db_take(struct ppg_admin *a)
{
	pthread_mutex_lock(&a->dblock);
	if (!a->db) {
		int r = ppg_config_db_open(a->cfg, DB_OPEN_READONLY, &a->db);
		if (r < 0) {
			char where[256];
			LOGP(PPG_LOG_DB, LOG_ERR, "admin: cannot open %s read-only: %s",
			    ppg_config_db_where(a->cfg, where, sizeof where), db_errmsg(NULL));
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

void ppg_admin_db_give(struct ppg_admin *a)
{
	pthread_mutex_unlock(&a->dblock);
}

const char *ppg_admin_state_name(int s)
{
	if (s == DB_STATE_INFLIGHT)
		return "pending";   /* an attempt is under way: PAP says pending */
	return pap_state_str((enum pap_state)s);
}

const char *ppg_admin_arg(struct MHD_Connection *mc, const char *name)
{
	const char *v = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, name);
	return v && *v ? v : NULL;
}

/* A non-negative integer argument; -1 when absent, -2 when malformed. */
int64_t ppg_admin_int_arg(struct MHD_Connection *mc, const char *name)
{
	const char *v = ppg_admin_arg(mc, name);
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


int ppg_admin_db_writable(struct ppg_admin *a, char *why, size_t len)
{
	if (a->core && !ppg_core_db_up(a->core)) {
		snprintf(why, len, "the connection to PostgreSQL is lost (reconnecting)");
		return 0;
	}
	if (ppg_metrics_get(PPG_M_DB_FAILING)) {
		snprintf(why, len, "the last batch could not be committed or made durable");
		return 0;
	}
	if (!a->cfg->db_engine && access(a->cfg->db_path, W_OK) < 0) {   /* SQLite: the file */
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
	int dbok = ppg_admin_db_writable(a, dbwhy, sizeof dbwhy);
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
	return ppg_admin_reply_json(mc, why[0] ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, j);
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
	struct timespec mono;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	int64_t now_mono = (int64_t)mono.tv_sec * 1000 + mono.tv_nsec / 1000000;
	fprintf(f, "# HELP ppgd_wal_frames SQLite: frames in the WAL after the last batch\n"
	    "# TYPE ppgd_wal_frames gauge\nppgd_wal_frames %lld\n", st.wal_frames);
	fprintf(f, "# HELP ppgd_wal_behind_seconds SQLite: how long the checkpoints have left frames behind "
	    "(a reader's snapshot holds them; the WAL cannot start over meanwhile); 0 when they copy it all\n"
	    "# TYPE ppgd_wal_behind_seconds gauge\nppgd_wal_behind_seconds %.3f\n",
	    st.wal_behind_since ? (double)(now_mono - st.wal_behind_since) / 1000.0 : 0.0);
	fprintf(f, "# HELP ppgd_wal_warnings_total warnings logged for a WAL past [database] wal_warn behind a reader\n"
	    "# TYPE ppgd_wal_warnings_total counter\nppgd_wal_warnings_total %llu\n", st.wal_warnings);
	fprintf(f, "# HELP ppgd_start_time_seconds when ppgd started (Unix time)\n"
	    "# TYPE ppgd_start_time_seconds gauge\nppgd_start_time_seconds %lld\n", (long long)a->started);
	/* Queue depths, read from the database at scrape time. */
	struct db *db = ppg_admin_db_take(a);
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
		ppg_admin_db_give(a);
	}
	fclose(f);
	return ppg_admin_reply(mc, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", buf, len);
}

/* ------------------------------------------------------------ API */

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
		return ppg_admin_reply_json(mc, MHD_HTTP_OK, json_pack("{s:s}", "status", "alive"));
	if (!strcmp(url, "/readyz"))
		return readyz(a, mc);
	int page = ppg_admin_page_path(url);
	if (!page && strcmp(url, "/metrics") && strncmp(url, API, strlen(API)))
		return ppg_admin_reply_error(mc, MHD_HTTP_NOT_FOUND, "no such path: %s", url);

	/* Everything else needs an admin account. */
	char *pass = NULL;
	char *user = MHD_basic_auth_get_username_password(mc, &pass);
	const struct ppg_pi *acct = NULL;
	unsigned delay = 0;
	struct ppg_tls_peer cert;
	ppg_tls_peer_get(mc, &cert);   /* README "TLS": [admin NAME] tls_subject, tls_fingerprint */
	enum ppg_auth_result ar = ppg_auth_check_peer(a->auth, user, pass, client_addr(mc), &cert, &acct, &delay,
	    NULL, 0);
	ppg_auth_release(a->auth, acct);   /* only the name is used, copied below */
	char name[80];
	snprintf(name, sizeof name, "%s", user ? user : "");
	if (user)
		MHD_free(user);
	if (pass)
		MHD_free(pass);
	if (ar != PPG_AUTH_OK) {
		LOGP(PPG_LOG_AUTH, LOG_NOTICE, "admin: %s for \"%s\"", ar == PPG_AUTH_FORBIDDEN ?
		    "address not allowed" : ar == PPG_AUTH_CERT ? "client certificate refused" : "authentication failed",
		    name[0] ? name : "(none)");
		if (ar == PPG_AUTH_FORBIDDEN || ar == PPG_AUTH_CERT)
			return ppg_admin_reply_error(mc, MHD_HTTP_FORBIDDEN, ar == PPG_AUTH_CERT ?
			    "client certificate missing or not the one of this account" : "address not allowed for this account");
		if (delay) {   /* this connection's own thread: the wait costs no other client */
			struct timespec ts = { delay / 1000, (long)(delay % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		return ppg_admin_reply_error(mc, MHD_HTTP_UNAUTHORIZED, "authentication required");
	}

	if (page)
		return get ? ppg_admin_page_serve(a, mc, url)
		    : ppg_admin_reply_error(mc, MHD_HTTP_METHOD_NOT_ALLOWED, "%s is not allowed on %s", method, url);
	if (!strcmp(url, "/metrics") && get)
		return metrics(a, mc);
	const char *p = url + strlen(API);
	if (!strcmp(p, "status") && get)
		return ppg_admin_api_status(a, mc);
	if (!strcmp(p, "pushes") && get)
		return ppg_admin_api_pushes(a, mc);
	if (!strcmp(p, "push") && get)
		return ppg_admin_api_push(a, mc);
	if (!strcmp(p, "push/cancel") && post)
		return ppg_admin_api_cancel(a, mc, name);
	if (!strcmp(p, "bindings") && get)
		return ppg_admin_api_bindings(a, mc);
	if (!strcmp(p, "pis") && get)
		return ppg_admin_api_pis(a, mc);
	if (!strcmp(p, "reload") && post)
		return ppg_admin_api_reload(a, mc, name);
	if (!strcmp(p, "throughput") && get)
		return ppg_admin_api_throughput(a, mc);
	if (!strcmp(url, "/metrics") || !strcmp(p, "status") || !strcmp(p, "pushes") || !strcmp(p, "push") ||
	    !strcmp(p, "push/cancel") || !strcmp(p, "bindings") || !strcmp(p, "pis") || !strcmp(p, "reload") ||
	    !strcmp(p, "throughput"))
		return ppg_admin_reply_error(mc, MHD_HTTP_METHOD_NOT_ALLOWED, "%s is not allowed on %s", method, url);
	return ppg_admin_reply_error(mc, MHD_HTTP_NOT_FOUND, "no such path: %s", url);
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

/* libmicrohttpd's lines come per connection: bounded, with the count. [any] */
static struct ppg_ratelimit admin_mhd_log = PPG_RATELIMIT_INIT;

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	(void)cls;
	if (!ppg_log_enabled(PPG_LOG_HTTP, LOG_WARNING))
		return;
	vsnprintf(buf, sizeof buf, fmt, ap);
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	/* its words for every failed TLS handshake (a probe, a health check):
	 * ppg_tls counts those (ppgd_tls_handshake_failures_total) */
	if (strstr(buf, "handshake message out of context"))
		return;
	LOGP_RL(&admin_mhd_log, 5, PPG_LOG_HTTP, LOG_WARNING, "admin: libmicrohttpd: %s", buf);
}

struct ppg_admin *ppg_admin_start(const struct ppg_config *cfg, struct ppg_core *core, int *failed,
    struct ppg_tls *tls)
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
	struct MHD_OptionItem tls_opts[PPG_TLS_MHD_OPTIONS];
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG |
	    ppg_tls_mhd_options(tls, tls_opts);
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
	    MHD_OPTION_ARRAY, tls_opts,
	    MHD_OPTION_NOTIFY_CONNECTION, ppg_tls_on_connection, tls,   /* NULL tls: nothing */
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

void ppg_admin_set_reload(struct ppg_admin *a, struct ppg_reload *r)
{
	if (a)
		a->reload = r;
}

int ppg_admin_reload(struct ppg_admin *a, const struct ppg_config *cfg)
{
	if (!cfg->admins && a->cfg->admins)
		LOGP(PPG_LOG_MAIN, LOG_WARNING, "admin: the reloaded file has no [admin NAME] account: the API and "
		    "/metrics answer 401 from now on");
	return ppg_auth_reload(a->auth, cfg, cfg->admins);
}

unsigned ppg_admin_port(const struct ppg_admin *a)
{
	if (!a || !a->d)
		return 0;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(a->d, MHD_DAEMON_INFO_BIND_PORT);
	return di ? di->port : 0;
}
