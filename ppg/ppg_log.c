/*
 * ppg_log.c - stderr or syslog logging with per-subsystem categories, each
 * with its own threshold. The thresholds are relaxed atomics: a reload
 * (ppg_reload.c, on main) sets them while every thread reads them.
 */
#include "ppg/ppg_log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int log_syslog;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const cat_names[PPG_LOG_NCAT] = {
	[PPG_LOG_MAIN] = "main", [PPG_LOG_CONF] = "conf", [PPG_LOG_HTTP] = "http",
	[PPG_LOG_AUTH] = "auth", [PPG_LOG_CORE] = "core", [PPG_LOG_DB] = "db",
	[PPG_LOG_SIP] = "sip", [PPG_LOG_OTA] = "ota", [PPG_LOG_SMPP] = "smpp",
	[PPG_LOG_NOTIFY] = "notify",
};

_Static_assert(PPG_LOG_NCAT == 10, "a new category needs a name and a threshold here");
static int cat_level[PPG_LOG_NCAT] = {
	LOG_INFO, LOG_INFO, LOG_INFO, LOG_INFO, LOG_INFO,
	LOG_INFO, LOG_INFO, LOG_INFO, LOG_INFO, LOG_INFO,
};

static const char *level_name(int level)
{
	switch (level) {
	case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: return "crit";
	case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE: return "notice";
	case LOG_INFO: return "info";
	default: return "debug";
	}
}

void ppg_log_init(int level, int use_syslog)
{
	for (int i = 0; i < PPG_LOG_NCAT; i++)
		__atomic_store_n(&cat_level[i], level, __ATOMIC_RELAXED);
	if (use_syslog && !log_syslog)
		openlog("ppgd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = use_syslog;
}

void ppg_log_close(void)
{
	if (log_syslog)
		closelog();
	log_syslog = 0;
}

void ppg_log_set_level(enum ppg_log_cat cat, int level)
{
	if ((unsigned)cat < PPG_LOG_NCAT)
		__atomic_store_n(&cat_level[cat], level, __ATOMIC_RELAXED);
}

int ppg_log_enabled(enum ppg_log_cat cat, int level)
{
	return level <= __atomic_load_n(&cat_level[(unsigned)cat < PPG_LOG_NCAT ? cat : PPG_LOG_MAIN], __ATOMIC_RELAXED);
}

const char *ppg_log_cat_name(enum ppg_log_cat cat)
{
	return (unsigned)cat < PPG_LOG_NCAT ? cat_names[cat] : "?";
}

int ppg_log_cat_parse(const char *name)
{
	for (int i = 0; i < PPG_LOG_NCAT; i++)
		if (!strcasecmp(name, cat_names[i]))
			return i;
	return -1;
}

void ppg_log(enum ppg_log_cat cat, int level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* Never let a peer's bytes forge log lines. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			*p = '?';
	const char *cn = ppg_log_cat_name(cat);
	if (log_syslog) {
		syslog(level, "[%s] %s", cn, msg);
		return;
	}
	struct timespec ts;
	struct tm tm;
	char tbuf[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tbuf, sizeof tbuf, "%Y-%m-%dT%H:%M:%S", &tm);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s.%03ldZ %s [%s] %s\n", tbuf, ts.tv_nsec / 1000000, level_name(level), cn, msg);
	pthread_mutex_unlock(&log_lock);
}
