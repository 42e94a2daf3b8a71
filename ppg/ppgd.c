/*
 * ppgd.c - the Push Proxy Gateway daemon: command line, start-up, signals,
 * orderly shutdown.
 *
 *   ppgd -c FILE          run in the foreground
 *   ppgd -c FILE -t       check the config and exit
 *   ppgd --hash-secret    read a secret on stdin, print its crypt(3) hash
 *   ppgd --man-keys       the key reference of ppgd.conf(5), in roff
 *
 * SIGHUP re-reads the config file (ppg_reload.c); SIGTERM and SIGINT stop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_log.h>

#include "db/db.h"
#include "ppg/ppg_admin.h"
#include "ppg/ppg_auth.h"
#include "ppg/ppg_cluster.h"
#include "ppg/ppg_config.h"
#include "ppg/ppg_content.h"
#include "ppg/ppg_core.h"
#include "ppg/ppg_deliver.h"
#include "ppg/ppg_http.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_metrics.h"
#include "ppg/ppg_notifier.h"
#include "ppg/ppg_retention.h"
#include "ppg/ppg_reload.h"
#include "ppg/ppg_sd.h"
#include "ppg/ppg_tls.h"

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: ppgd -c FILE [-t] [-d]\n"
	    "       ppgd --hash-secret < secret\n"
	    "       ppgd --keys | --man-keys\n"
	    "       ppgd -c FILE --bindings\n"
	    "  -c FILE        configuration file (INI; see etc/ppgd.conf)\n"
	    "  -t             check the configuration and exit (non-zero names the bad line)\n"
	    "  -d             log every category at debug level\n"
	    "  --hash-secret  print the crypt(3) hash of the secret read on standard input\n"
	    "  --keys         print every configuration key with its default\n"
	    "  --man-keys     print the same as the roff source of ppgd.conf(5)\n"
	    "  --bindings     print the live SIP registration bindings from the database\n"
	    "  -V             print the version\n");
}

static int hash_secret(void)
{
	char buf[1024];
	if (!fgets(buf, sizeof buf, stdin)) {
		fprintf(stderr, "ppgd: no secret on standard input\n");
		return 1;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!buf[0]) {
		fprintf(stderr, "ppgd: the secret is empty\n");
		return 1;
	}
	char *h = ppg_auth_hash_secret(buf);
	memset(buf, 0, sizeof buf);
	if (!h) {
		fprintf(stderr, "ppgd: crypt(3) failed\n");
		return 1;
	}
	printf("%s\n", h);
	free(h);
	return 0;
}

/* sofia-sip's own log lines (transport errors and the like) go to ours.
 * They arrive in pieces; a line is logged at its newline. At most 20 lines a
 * second: a peer sending garbage must not flood the log. Only the [loop]
 * thread runs sofia-sip. */
static void sofia_logger(void *stream, char const *fmt, va_list ap)
{
	static char line[1024];
	static size_t len;
	static time_t second;
	static unsigned lines, dropped;
	(void)stream;
	int n = vsnprintf(line + len, sizeof line - len, fmt, ap);
	if (n < 0)
		return;
	len += (size_t)n < sizeof line - len ? (size_t)n : sizeof line - len - 1;
	if (len && (line[len - 1] == '\n' || len >= sizeof line - 1)) {
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		line[len] = '\0';
		time_t now = time(NULL);
		if (now != second) {
			if (dropped)
				LOGP(PPG_LOG_SIP, LOG_WARNING, "sofia-sip: %u more line(s) not logged", dropped);
			second = now;
			lines = dropped = 0;
		}
		if (len && ++lines <= 20)
			LOGP(PPG_LOG_SIP, LOG_WARNING, "sofia-sip: %s", line);
		else if (len)
			dropped++;
		len = 0;
	}
}

/* --bindings: what third-party REGISTERs left in the database, for the operator. */
static int list_bindings(const struct ppg_config *cfg)
{
	struct db *db = NULL;
	struct db_binding *v = NULL;
	size_t n = 0;
	int64_t now = (int64_t)time(NULL) * 1000;
	int r = ppg_config_db_open(cfg, DB_OPEN_READONLY, &db);
	if (r == 0)
		r = db_binding_list(db, NULL, now, &v, &n);
	if (r < 0) {
		char where[256];
		fprintf(stderr, "ppgd: %s: %s\n", ppg_config_db_where(cfg, where, sizeof where),
		    db ? db_errmsg(db) : db_errmsg(NULL));
		db_close(db);
		return 1;
	}
	printf("%-40s %-48s %8s  %s\n", "AoR", "contact", "expires", "applications, instance, GRUU");
	for (size_t i = 0; i < n; i++)
		printf("%-40s %-48s %7llds  %s%s%s%s%s\n", v[i].aor, v[i].contact,
		    (long long)(v[i].expires - now) / 1000, v[i].apps && *v[i].apps ? v[i].apps : "-",
		    v[i].instance ? " instance=" : "", v[i].instance ? v[i].instance : "",
		    v[i].gruu ? " gruu=" : "", v[i].gruu ? v[i].gruu : "");
	printf("%zu binding%s\n", n, n == 1 ? "" : "s");
	db_binding_list_free(v, n);
	db_close(db);
	return 0;
}

/*
 * The bearers the delivery engine gets, in the order they are made (each
 * constructor leaves its bearer off when the configuration does). A new
 * bearer is one file behind ppg/ppg_bearer.h and one line here.
 */
static const ppg_bearer_new_fn bearers[] = {
	ppg_bearer_sip_new,
	ppg_bearer_udp_new,
	ppg_bearer_sms_new,
};

/* [loop] What lives on the core's loop: the engine with its bearers (when
 * one is configured) and the notifier. */
static int start_loop(struct ppg_core *core, su_root_t *root, void *arg, char *err, size_t errlen)
{
	struct ppg_content *content = arg;
	const struct ppg_config *cfg = ppg_core_config(core);
	int r = 0;
	if (cfg->sip_enabled || cfg->ota_udp || cfg->ota_sms)
		r = ppg_deliver_start(core, root, cfg, content, bearers, sizeof bearers / sizeof bearers[0],
		    NULL, err, errlen);
	if (r == 0)
		r = ppg_notifier_start(core, root, cfg, err, errlen);
	if (r == 0)
		r = ppg_retention_start(core, root, cfg, err, errlen);
	return r;
}

/* -t with [database] engine = postgresql: the server answers and its schema
 * is one this ppgd can use (created or upgraded at start when older). */
static int check_database(const struct ppg_config *cfg)
{
	char where[256];
	struct db *db = NULL;

	if (!cfg->db_engine)
		return 0;    /* SQLite: the file is created at start */
	ppg_config_db_where(cfg, where, sizeof where);
	int r = ppg_config_db_open(cfg, DB_OPEN_READONLY, &db);
	/* Reported, not failed: the node of this very config, running, holds
	 * its id too; a second node with the id is refused when it starts.
	 * Looked up, not taken (a start right after -t must find it free). */
	char who[320];
	if (r == 0 && db_node_holder(db, who, sizeof who) > 0)
		fprintf(stderr, "ppgd: warning: node id %s is in use by another live ppgd: %s; a ppgd "
		    "started with this node_id now is refused (unless that is this node, running)\n",
		    db_node(db), who);
	if (r == 0) {
		printf("ppgd: database %s reachable (schema %d), node %s\n", where, db_schema_version(db),
		    db_node(db));
		db_close(db);
		return 0;
	}
	const char *why = db_errmsg(NULL);
	if (r == -EPROTO && strstr(why, "read-only database has schema version")) {
		printf("ppgd: database %s reachable (%s: ppgd creates or upgrades it at start)\n",
		    where, why);
		return 0;
	}
	fprintf(stderr, "ppgd: database %s: %s\n", where, why);
	return 1;
}

/* Creates the directory that will hold the database, when missing. */
static void make_db_dir(const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		LOGP(PPG_LOG_MAIN, LOG_WARNING, "cannot create %s: %s", dir, strerror(errno));
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "hash-secret", no_argument, NULL, 'H' },
		{ "keys", no_argument, NULL, 'K' },
		{ "man-keys", no_argument, NULL, 'M' },
		{ "bindings", no_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = NULL;
	int check = 0, debug = 0, bindings = 0, opt;
	char err[512];

	while ((opt = getopt_long(argc, argv, "c:tdhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf = optarg; break;
		case 't': check = 1; break;
		case 'd': debug = 1; break;
		case 'H': return hash_secret();
		case 'K': ppg_config_dump_keys(stdout); return 0;
		case 'M': ppg_config_man_keys(stdout, PACKAGE_VERSION); return 0;
		case 'B': bindings = 1; break;
		case 'V': printf("ppgd %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!conf || optind != argc) {
		usage(stderr);
		return 2;
	}

	struct ppg_config *cfg = NULL;
	if (ppg_config_load_file(conf, &cfg, err, sizeof err) < 0) {
		fprintf(stderr, "ppgd: %s\n", err);
		return 1;
	}
	if (bindings) {
		int rc = list_bindings(cfg);
		ppg_config_free(cfg);
		return rc;
	}
	if (check) {
		int rc = ppg_tls_check(cfg, err, sizeof err) < 0;
		if (rc)
			fprintf(stderr, "ppgd: %s\n", err);
		else
			rc = check_database(cfg);
		if (rc == 0)
			printf("ppgd: %s: configuration is valid\n", conf);
		ppg_config_free(cfg);
		return rc;
	}
	ppg_log_init(debug ? LOG_DEBUG : cfg->log_level, 0);
	ppg_log_set_target((enum ppg_log_target)cfg->log_target);
	for (int i = 0; i < PPG_LOG_NCAT && !debug; i++)
		if (cfg->log_cat_level[i] >= 0)
			ppg_log_set_level((enum ppg_log_cat)i, cfg->log_cat_level[i]);
	/* Several nodes on one PostgreSQL: every line names its node. */
	if (cfg->db_engine)
		ppg_log_set_node(ppg_config_node(cfg));
	ppg_metrics_set_node(ppg_config_node(cfg), cfg->db_engine ? "postgresql" : "sqlite");
	if (!cfg->pis)
		LOGP(PPG_LOG_MAIN, LOG_WARNING, "no [pi] section: every request will be refused with 401");

	/* Signals are taken by sigwait() in this thread only. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	xmlInitParser();
	su_init();
	su_log_redirect(NULL, sofia_logger, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = 1;
	struct db *db = NULL;
	struct ppg_core *core = NULL;
	struct ppg_cluster *cluster = NULL;
	struct ppg_auth *auth = NULL;
	struct ppg_http *http = NULL;
	struct ppg_admin *admin = NULL;
	struct ppg_content *content = NULL;
	struct ppg_reload *reload = NULL;
	struct ppg_tls *tls = NULL, *admin_tls = NULL;

	/* The TLS files first: a key readable by root only (0600) is read now,
	 * and a bad file stops the start before anything else opens. */
	if ((cfg->notify_ca_file && ppg_tls_check_ca_file("[notify] ca_file", cfg->notify_ca_file, err, sizeof err) < 0) ||
	    ppg_tls_new("server", &cfg->tls, &tls, err, sizeof err) < 0 ||
	    (cfg->admin_enabled && ppg_tls_new("admin", &cfg->admin_tls, &admin_tls, err, sizeof err) < 0)) {
		LOGP(PPG_LOG_MAIN, LOG_ERR, "%s", err);
		goto out;
	}
	if (tls) {
		char d[320];
		LOGP(PPG_LOG_MAIN, LOG_NOTICE, "PAP over TLS only: %s", ppg_tls_describe(tls, d, sizeof d));
	}

	char dbwhere[256];
	ppg_config_db_where(cfg, dbwhere, sizeof dbwhere);
	if (!cfg->db_engine)
		make_db_dir(cfg->db_path);
	/* Commits never wait for the disk in the [writer]: the [syncer] makes
	 * them durable (one fdatasync per batch) before the answers go out
	 * (PostgreSQL: synchronous_commit = on, the COMMIT waited). */
	int r = ppg_config_db_open(cfg, DB_NO_AUTOCHECKPOINT | DB_SYNC_EXTERNAL, &db);
	if (r < 0) {
		LOGP(PPG_LOG_MAIN, LOG_ERR, "cannot open the database %s: %s: %s", dbwhere, strerror(-r),
		    db_errmsg(NULL));
		db_close(db);
		goto out;
	}
	/* One live node per node id: a second ppgd with this node_id would share
	 * its leases, and the fence of their outcomes, with the first. */
	/* A restart: the previous process's session may take a moment to end
	 * (and to let go of the lock) after it exited. */
	for (int i = 0; (r = db_node_lock(db)) == -EBUSY && i < 15; i++)
		usleep(200000);
	if (r < 0) {
		LOGP(PPG_LOG_MAIN, LOG_ERR, "database %s: %s; not starting", dbwhere, db_errmsg(db));
		db_close(db);
		goto out;
	}
	/* The subscription dialogs of this node's previous run died with it:
	 * their rows name no holder any more, so that no node hands a push NOTIFY
	 * to them (ppg_bearer_sip_handoff.c). */
	if ((r = db_subscription_release_node(db)) > 0)
		LOGP(PPG_LOG_SIP, LOG_INFO, "%d ua-profile subscription(s) of this node's previous run: "
		    "their dialogs are gone", r);
	else if (r < 0)
		LOGP(PPG_LOG_DB, LOG_WARNING, "cannot release the subscriptions of this node's previous run: %s",
		    db_errmsg(db));
	int64_t npush = 0, npending = 0;
	db_count_pushes(db, &npush);
	db_count_deliveries_in_state(db, DB_STATE_PENDING, &npending);
	LOGP(PPG_LOG_DB, LOG_INFO, "database %s (schema %d): %lld pushes, %lld deliveries pending; "
	    "this is node %s", dbwhere, db_schema_version(db), (long long)npush, (long long)npending,
	    db_node(db));
	content = ppg_content_new();
	core = content ? ppg_core_new(cfg, db) : NULL;
	if (!core) {
		db_close(db);
		goto out;
	}
	ppg_core_set_content(core, content);
	if (ppg_core_start(core, start_loop, content) < 0)
		goto out;
	if ((r = ppg_cluster_start(core, cfg, &cluster)) < 0) {
		LOGP(PPG_LOG_MAIN, LOG_ERR, "cannot start listening for the other nodes: %s", strerror(-r));
		goto out;
	}
	auth = ppg_auth_new(cfg);
	if (!auth)
		goto out;
	http = ppg_http_start(cfg, auth, core, content, tls);
	if (!http)
		goto out;
	ppg_metrics_set(PPG_M_PAP_UP, 1);
	{
		int admin_failed = 0;
		admin = ppg_admin_start(cfg, core, &admin_failed, admin_tls);
		if (admin_failed)
			goto out;
		if (admin)
			LOGP(PPG_LOG_MAIN, LOG_NOTICE, "admin API, /metrics, /healthz, /readyz on port %u",
			    ppg_admin_port(admin));
	}
	reload = ppg_reload_new(conf, cfg, debug);
	if (!reload)
		goto out;
	ppg_reload_attach(reload, auth, admin, core);
	ppg_reload_attach_tls(reload, tls, admin ? admin_tls : NULL);
	ppg_admin_set_reload(admin, reload);
	{
		char where[300];
		const struct sockaddr_storage *ss = &cfg->listen[0];
		char host[64] = "";
		if (ss->ss_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, host, sizeof host);
		else
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, host, sizeof host);
		snprintf(where, sizeof where, ss->ss_family == AF_INET6 ? "%s://[%s]:%u%s" : "%s://%s:%u%s",
		    tls ? "https" : "http", host, ppg_http_port(http), cfg->pap_path);
		LOGP(PPG_LOG_MAIN, LOG_NOTICE, "ppgd %s ready: PAP at %s", PACKAGE_VERSION, where);
		char status[400];
		snprintf(status, sizeof status, "PAP at %s", where);
		ppg_sd_ready(status);
		ppg_sd_watchdog(core);
	}

	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			struct ppg_reload_result res;
			ppg_sd_reloading();
			ppg_reload_run(reload, &res);   /* logs what it did, or why not */
			ppg_sd_ready(res.rc == 0 ? "configuration reloaded" : "reload failed: running configuration unchanged");
			continue;
		}
		LOGP(PPG_LOG_MAIN, LOG_NOTICE, "%s: finishing requests in flight", strsignal(sig));
		ppg_sd_stopping();
		break;
	}
	rc = 0;
out:
	/* Order: stop accepting, let the core commit and answer what it holds,
	 * send those answers, then stop the server and close the database. */
	ppg_http_quiesce(http);
	ppg_metrics_set(PPG_M_PAP_UP, 0);
	ppg_admin_stop(admin);   /* a cancel it handed to the core is answered first */
	ppg_reload_free(reload); /* after the admin listener, its other user */
	ppg_cluster_stop(cluster);
	if (core)
		ppg_core_stop(core);
	ppg_cluster_free(cluster);
	if (http) {
		unsigned left = ppg_http_drain(http, 5000);
		if (left)
			LOGP(PPG_LOG_MAIN, LOG_WARNING, "%u connection(s) still open at shutdown", left);
	}
	if (http) {
		struct ppg_http_stats hs;
		ppg_http_get_stats(http, &hs);
		if (hs.request_timeouts || hs.aborted || hs.refused_rate || hs.refused_pending || hs.refused_bytes ||
		    hs.refused_deliveries)
			LOGP(PPG_LOG_MAIN, LOG_NOTICE, "HTTP: %llu connections, %llu closed by request_timeout, %llu gone "
			    "mid-request; 4001 over max_rate %llu, max_pending %llu, max_pending_bytes %llu, "
			    "max_pending_deliveries %llu", hs.connections, hs.request_timeouts, hs.aborted,
			    hs.refused_rate, hs.refused_pending, hs.refused_bytes, hs.refused_deliveries);
	}
	if (tls || admin_tls)
		LOGP(PPG_LOG_MAIN, LOG_NOTICE, "TLS: %llu handshake(s) did not complete on the PAP listener, %llu on "
		    "the admin listener", ppg_tls_failed_handshakes(tls), ppg_tls_failed_handshakes(admin_tls));
	ppg_http_stop(http);
	ppg_tls_free(tls);   /* after the listeners stopped */
	ppg_tls_free(admin_tls);
	if (core) {
		struct ppg_core_stats st;
		ppg_core_get_stats(core, &st);
		if (st.batches)
			LOGP(PPG_LOG_MAIN, LOG_NOTICE, "%llu PAP requests committed in %llu batches (%.1f per batch), "
			    "%llu failed commits", st.requests, st.batches, (double)st.requests / (double)st.batches,
			    st.commit_failures);
	}
	ppg_core_free(core);
	ppg_auth_free(auth);
	ppg_content_free(content);
	if (rc == 0)
		LOGP(PPG_LOG_MAIN, LOG_NOTICE, "stopped; database closed");
	ppg_config_free(cfg);
	xmlCleanupParser();
	su_deinit();
	curl_global_cleanup();
	ppg_log_close();
	return rc;
}
