/*
 * ppg_log.h - logging for the daemon: one category per subsystem, each with
 * its own threshold (syslog levels), stderr (default) or syslog. The only
 * ppg/ header other parts may include.
 */
#ifndef PPG_LOG_H
#define PPG_LOG_H

#include <syslog.h>

/* The name in brackets on each line, and in [log] levels, follows each. */
enum ppg_log_cat {
	PPG_LOG_MAIN = 0,  /* main: start, stop, signals */
	PPG_LOG_CONF,      /* conf: the configuration */
	PPG_LOG_HTTP,      /* http: PAP over HTTP, content fetches */
	PPG_LOG_AUTH,      /* auth: PI logins and address checks */
	PPG_LOG_CORE,      /* core: the push state machine, the delivery engine */
	PPG_LOG_DB,        /* db: the database */
	PPG_LOG_SIP,       /* sip: SIP Push, registrations, sofia-sip */
	PPG_LOG_OTA,       /* ota: Push OTA over UDP and SMS */
	PPG_LOG_SMPP,      /* smpp: the SMPP client and its SMSC */
	PPG_LOG_NOTIFY,    /* notify: result notifications to PIs */
	PPG_LOG_NCAT
};

/*
 * Sets the threshold of every category (LOG_ERR .. LOG_DEBUG) and the sink.
 * Until it is called every category logs at LOG_INFO to stderr.
 */
void ppg_log_init(int level, int use_syslog);
/* Sets the threshold of one category (after ppg_log_init). */
void ppg_log_set_level(enum ppg_log_cat cat, int level);
void ppg_log_close(void);
/* 1 when a line of this category and level is logged. */
int ppg_log_enabled(enum ppg_log_cat cat, int level);
/* "main", "sip", ...; "?" for a value out of range. */
const char *ppg_log_cat_name(enum ppg_log_cat cat);
/* The category of a name (case-insensitive), or -1. */
int ppg_log_cat_parse(const char *name);
void ppg_log(enum ppg_log_cat cat, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOGP(cat, level, ...) \
	do { if (ppg_log_enabled(cat, level)) ppg_log(cat, level, __VA_ARGS__); } while (0)
/* A line about one push: the PI and push-id lead it, so that grep finds the history. */
#define LOGPUSH(cat, level, pi, pushid, fmt, ...) \
	LOGP(cat, level, "pi=%s push-id=%s: " fmt, (pi) ? (pi) : "-", (pushid) ? (pushid) : "-", ##__VA_ARGS__)

#endif
