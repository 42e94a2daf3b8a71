/*
 * ppg_reload.h - re-reading the config file in a running daemon (SIGHUP,
 * POST /api/v1/reload, ppgctl reload).
 *
 * A reload loads the file into a new struct ppg_config; a bad file changes
 * nothing. The new config is compared key by key with the running one
 * (ppg_config_diff): keys that need a restart are named in the log and keep
 * their running values; the reloadable ones are applied where they live:
 * the PI and admin accounts swapped in ppg_auth, the log thresholds set, the
 * retry policies and [apps] handed to the engine and the notifier on the
 * writer (ppg_core_reload). See ARCHITECTURE.md "Reload".
 *
 * Threads: ppg_reload_run on main or an admin thread (one reload at a time);
 * ppg_reload_current on any thread.
 */
#ifndef PPG_RELOAD_H
#define PPG_RELOAD_H

#include <stddef.h>

#include "ppg/ppg_config.h"

struct ppg_reload;
struct ppg_auth;
struct ppg_core;
struct ppg_admin;

/* What one reload did, for the log and the admin API. */
struct ppg_reload_result {
	int rc;                /* 0; -EINVAL: the file is bad; another negative errno */
	char error[512];       /* when rc < 0: why */
	char applied[2048];    /* reloadable settings that changed: "[log] level, [pi alice]" */
	char restart[2048];    /* changed keys that need a restart, left as they were */
	unsigned napplied, nrestart;
};

/*
 * boot is the config the daemon runs with (it must outlive the reloader);
 * path the file it came from. debug: started with -d, the log thresholds
 * stay at debug. NULL on allocation failure.
 */
struct ppg_reload *ppg_reload_new(const char *path, const struct ppg_config *boot, int debug);
/* Where the reloadable settings go; any may be NULL. Before the first reload. */
void ppg_reload_attach(struct ppg_reload *r, struct ppg_auth *auth, struct ppg_admin *admin,
    struct ppg_core *core);
/* The TLS of the PAP and admin listeners (NULL: plain HTTP). Before the first reload. */
struct ppg_tls;
void ppg_reload_attach_tls(struct ppg_reload *r, struct ppg_tls *tls, struct ppg_tls *admin_tls);
void ppg_reload_free(struct ppg_reload *r);

/* Re-reads the file and applies it; logs the outcome; fills *res. Returns res->rc. */
int ppg_reload_run(struct ppg_reload *r, struct ppg_reload_result *res);

/* The config of the last successful reload (or boot): a reference for the
 * caller to drop with ppg_config_free. */
struct ppg_config *ppg_reload_current(struct ppg_reload *r);

#endif
