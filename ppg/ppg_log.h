/*
 * ppg_log.h - logging for the daemon: one category per subsystem, syslog
 * levels, stderr (default) or syslog. The only ppg/ header other parts may
 * include.
 */
#ifndef PPG_LOG_H
#define PPG_LOG_H

#include <syslog.h>

enum ppg_log_cat {
	PPG_LOG_MAIN = 0,
	PPG_LOG_CONF,
	PPG_LOG_HTTP,
	PPG_LOG_AUTH,
	PPG_LOG_CORE,
	PPG_LOG_DB,
	PPG_LOG_SIP,
	PPG_LOG_OTA,
	PPG_LOG_SMPP,
	PPG_LOG_NOTIFY,
	PPG_LOG_NCAT
};

/* Sets the threshold (LOG_ERR .. LOG_DEBUG) and the sink. */
void ppg_log_init(int level, int use_syslog);
void ppg_log_close(void);
int ppg_log_enabled(int level);
void ppg_log(enum ppg_log_cat cat, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOGP(cat, level, ...) \
	do { if (ppg_log_enabled(level)) ppg_log(cat, level, __VA_ARGS__); } while (0)
/* A line about one push: the PI and push-id lead it, so that grep finds the history. */
#define LOGPUSH(cat, level, pi, pushid, fmt, ...) \
	LOGP(cat, level, "pi=%s push-id=%s: " fmt, (pi) ? (pi) : "-", (pushid) ? (pushid) : "-", ##__VA_ARGS__)

#endif
