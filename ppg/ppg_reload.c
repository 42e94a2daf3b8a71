/*
 * ppg_reload.c - SIGHUP and POST /api/v1/reload: re-read the config file,
 * apply what can change in a running daemon, name what needs a restart.
 *
 * Nothing is patched in place: the components keep the config they started
 * with (const, read without locks by every thread) for the restart-only
 * keys; each reloadable setting has one owner that swaps it atomically for
 * its readers:
 *
 *   [pi NAME], [admin NAME]    ppg_auth: table swapped under its lock, RCU by
 *                              reference count (a check in flight keeps its table)
 *   [log] level, levels        ppg_log: relaxed atomic thresholds
 *   [sip] [ota] max_attempts,  the engine, on the writer (its only reader)
 *     retry_min, retry_max
 *   [apps]                     the engine, on the writer (ppg_push_new)
 *   [notify] max_attempts,     the notifier, on the writer (its only reader)
 *     retry_min, retry_max
 *   [server] [admin] tls_*     ppg_tls: the files re-read on every reload,
 *                              credentials swapped under its lock, each
 *                              connection keeps those it started with
 *
 * Each holder of the new config takes a reference (ppg_config_ref); the last
 * one frees it.
 */
#include "ppg/ppg_reload.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppg/ppg_admin.h"
#include "ppg/ppg_auth.h"
#include "ppg/ppg_core.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_tls.h"

#define CORE_TIMEOUT_MS 10000

struct ppg_reload {
	pthread_mutex_t run_lock;      /* one reload at a time */
	pthread_mutex_t cur_lock;      /* cur */
	char *path;
	const struct ppg_config *boot; /* the running values of the restart-only keys */
	struct ppg_config *cur;        /* the last applied (a reference) */
	int debug;
	struct ppg_auth *auth;
	struct ppg_admin *admin;
	struct ppg_core *core;
	struct ppg_tls *tls, *admin_tls;
};

struct ppg_reload *ppg_reload_new(const char *path, const struct ppg_config *boot, int debug)
{
	struct ppg_reload *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->path = strdup(path);
	if (!r->path) {
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->run_lock, NULL);
	pthread_mutex_init(&r->cur_lock, NULL);
	r->boot = boot;
	r->cur = ppg_config_ref(boot);
	r->debug = debug;
	return r;
}

void ppg_reload_attach(struct ppg_reload *r, struct ppg_auth *auth, struct ppg_admin *admin,
    struct ppg_core *core)
{
	r->auth = auth;
	r->admin = admin;
	r->core = core;
}

static int fail(struct ppg_reload_result *res, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

void ppg_reload_attach_tls(struct ppg_reload *r, struct ppg_tls *tls, struct ppg_tls *admin_tls)
{
	r->tls = tls;
	r->admin_tls = admin_tls;
}

/* Reads the TLS files of both listeners again (a certificate renewed under
 * the same name) and swaps them in; a file that does not load changes
 * nothing. */
static int reload_tls(struct ppg_reload *r, const struct ppg_config *n, struct ppg_reload_result *res)
{
	struct ppg_tls_creds *tc = NULL, *ac = NULL;
	char err[400];
	int rc = 0;
	if (r->tls && n->tls.certificate)
		rc = ppg_tls_creds_load("server", &n->tls, &tc, err, sizeof err);
	if (rc == 0 && r->admin_tls && n->admin_tls.certificate)
		rc = ppg_tls_creds_load("admin", &n->admin_tls, &ac, err, sizeof err);
	if (rc < 0) {
		ppg_tls_creds_free(tc);
		/* a file that does not load is the file's fault, like a bad line: 400 */
		return fail(res, rc == -ENOMEM ? rc : -EINVAL, "%s; nothing applied", err);
	}
	if (tc)
		ppg_tls_swap(r->tls, tc);
	if (ac)
		ppg_tls_swap(r->admin_tls, ac);
	return 0;
}

void ppg_reload_free(struct ppg_reload *r)
{
	if (!r)
		return;
	ppg_config_free(r->cur);
	pthread_mutex_destroy(&r->run_lock);
	pthread_mutex_destroy(&r->cur_lock);
	free(r->path);
	free(r);
}

struct ppg_config *ppg_reload_current(struct ppg_reload *r)
{
	pthread_mutex_lock(&r->cur_lock);
	struct ppg_config *c = ppg_config_ref(r->cur);
	pthread_mutex_unlock(&r->cur_lock);
	return c;
}

static void append(char *buf, size_t len, const char *section, const char *key)
{
	size_t n = strlen(buf);
	int acct = !strcmp(section, "pi") || !strcmp(section, "admin");
	if (n < len)
		snprintf(buf + n, len - n, acct ? "%s[%s %s]" : "%s[%s] %s", n ? ", " : "", section, key);
}

/* ppg_config_diff of boot and new: the restart-only keys that differ. */
static void on_restart(const char *section, const char *key, int reloadable, void *arg)
{
	struct ppg_reload_result *res = arg;
	if (reloadable)
		return;
	append(res->restart, sizeof res->restart, section, key);
	res->nrestart++;
}

/* ppg_config_diff of the last applied and new: the reloadable ones that differ. */
static void on_applied(const char *section, const char *key, int reloadable, void *arg)
{
	struct ppg_reload_result *res = arg;
	if (!reloadable)
		return;
	append(res->applied, sizeof res->applied, section, key);
	res->napplied++;
}

static void set_log_levels(const struct ppg_config *c)
{
	for (int i = 0; i < PPG_LOG_NCAT; i++)
		ppg_log_set_level((enum ppg_log_cat)i, c->log_cat_level[i] >= 0 ? c->log_cat_level[i] : c->log_level);
}

static int fail(struct ppg_reload_result *res, int rc, const char *fmt, ...)
{
	va_list ap;
	res->rc = rc;
	va_start(ap, fmt);
	vsnprintf(res->error, sizeof res->error, fmt, ap);
	va_end(ap);
	LOGP(PPG_LOG_CONF, LOG_ERR, "reload: %s", res->error);
	return rc;
}

int ppg_reload_run(struct ppg_reload *r, struct ppg_reload_result *res)
{
	struct ppg_config *n = NULL;
	char err[512];

	memset(res, 0, sizeof *res);
	pthread_mutex_lock(&r->run_lock);
	LOGP(PPG_LOG_CONF, LOG_NOTICE, "reload: reading %s", r->path);
	int rc = ppg_config_load_file(r->path, &n, err, sizeof err);
	if (rc < 0) {
		char msg[600];
		snprintf(msg, sizeof msg, "%s; the running configuration is unchanged", err);
		fail(res, -EINVAL, "%s", msg);
		goto out;
	}
	ppg_config_diff(r->boot, n, on_restart, res);
	ppg_config_diff(r->cur, n, on_applied, res);
	if (res->nrestart)
		LOGP(PPG_LOG_CONF, LOG_WARNING, "reload: %u key(s) changed that need a restart, kept as they were: %s",
		    res->nrestart, res->restart);

	/* Applied one owner at a time; a failure (out of memory, shutting down)
	 * leaves the ones before it applied and says so. */
	if (reload_tls(r, n, res) < 0)
		goto out;
	if (r->auth && (rc = ppg_auth_reload(r->auth, n, n->pis)) < 0) {
		fail(res, rc, "%s: out of memory; nothing applied", r->path);
		goto out;
	}
	if (r->admin && (rc = ppg_admin_reload(r->admin, n)) < 0) {
		fail(res, rc, "%s: out of memory; only the [pi] accounts were applied", r->path);
		goto out;
	}
	if (!r->debug)
		set_log_levels(n);
	else if (r->boot->log_level != n->log_level ||
	    memcmp(r->boot->log_cat_level, n->log_cat_level, sizeof n->log_cat_level))
		LOGP(PPG_LOG_CONF, LOG_NOTICE, "reload: started with -d: the log stays at debug");
	if (r->core && (rc = ppg_core_reload(r->core, n, CORE_TIMEOUT_MS)) < 0) {
		fail(res, rc, "the engine did not take the new retry and [apps] settings: %s",
		    rc == -ESHUTDOWN ? "shutting down" : rc == -ETIMEDOUT ? "timed out (they apply later)" :
		    strerror(-rc));
		goto out;
	}
	pthread_mutex_lock(&r->cur_lock);
	struct ppg_config *old = r->cur;
	r->cur = ppg_config_ref(n);
	pthread_mutex_unlock(&r->cur_lock);
	ppg_config_free(old);
	LOGP(PPG_LOG_CONF, LOG_NOTICE, "reload: %s applied%s%s%s", r->path,
	    res->napplied ? " (changed: " : " (no reloadable setting changed)", res->applied, res->napplied ? ")" : "");
out:
	ppg_config_free(n);
	pthread_mutex_unlock(&r->run_lock);
	return res->rc;
}
