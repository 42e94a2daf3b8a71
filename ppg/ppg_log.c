/* ppg_log.c - stderr or syslog logging with per-subsystem categories. */
#include "ppg/ppg_log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int log_level = LOG_INFO;
static int log_syslog;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const cat_names[PPG_LOG_NCAT] = {
	"main", "conf", "http", "auth", "core", "db", "sip", "ota", "smpp", "notify",
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
	log_level = level;
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

int ppg_log_enabled(int level)
{
	return level <= log_level;
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
	const char *cn = (unsigned)cat < PPG_LOG_NCAT ? cat_names[cat] : "?";
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
