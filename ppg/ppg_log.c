/*
 * ppg_log.c - logging with per-subsystem categories, each with its own
 * threshold, to stderr, syslog or the systemd journal. The thresholds are
 * relaxed atomics: a reload (ppg_reload.c, on main) sets them while every
 * thread reads them. The sink is chosen once at start.
 *
 * The journal gets each line through sd_journal_sendv (the native protocol
 * on /run/systemd/journal/socket) with its fields: MESSAGE, PRIORITY,
 * SYSLOG_IDENTIFIER, PPGD_CATEGORY, PPGD_NODE (several nodes on one
 * PostgreSQL: ppg_log_set_node), CODE_FILE/LINE/FUNC and, for a line
 * about a push, PI, PUSH_ID, ADDRESS, BEARER, PAP_CODE, PPGD_DELIVERY and
 * MESSAGE_ID. A line the journal refuses goes to stderr instead.
 */
#include "ppg/ppg_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
/* CODE_FILE, CODE_LINE, CODE_FUNC are the caller's (ppg_log_at), not to_journal's */
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-journal.h>
#endif

static int log_syslog;
static int log_journal;
/* This node's id among several on one PostgreSQL ("" for one node): set once
 * before other threads log (ppg_log_set_node). */
static char log_node[64];
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
	log_journal = 0;
}

void ppg_log_set_node(const char *node)
{
	snprintf(log_node, sizeof log_node, "%s", node ? node : "");
	for (char *p = log_node; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == '[' || *p == ']')
			*p = '_';   /* one word: the line stays parseable */
}

void ppg_log_close(void)
{
	if (log_syslog)
		closelog();
	log_syslog = 0;
	log_journal = 0;
}

static const char *const target_names[] = {
	[PPG_LOG_TARGET_AUTO] = "auto", [PPG_LOG_TARGET_STDERR] = "stderr",
	[PPG_LOG_TARGET_JOURNAL] = "journal", [PPG_LOG_TARGET_SYSLOG] = "syslog",
};

const char *ppg_log_target_name(enum ppg_log_target t)
{
	return (unsigned)t < sizeof target_names / sizeof target_names[0] ? target_names[t] : "?";
}

int ppg_log_target_parse(const char *name)
{
	for (size_t i = 0; i < sizeof target_names / sizeof target_names[0]; i++)
		if (!strcasecmp(name, target_names[i]))
			return (int)i;
	return -1;
}

int ppg_log_journal_available(void)
{
#ifdef HAVE_SYSTEMD
	return 1;
#else
	return 0;
#endif
}

int ppg_log_stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	if (!e || sscanf(e, "%llu:%llu%c", &dev, &ino, &end) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

int ppg_log_set_target(enum ppg_log_target t)
{
	if (t == PPG_LOG_TARGET_AUTO)
		t = ppg_log_journal_available() && ppg_log_stderr_is_journal()
		    ? PPG_LOG_TARGET_JOURNAL : PPG_LOG_TARGET_STDERR;
	if (t == PPG_LOG_TARGET_SYSLOG && !log_syslog)
		openlog("ppgd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (t != PPG_LOG_TARGET_SYSLOG && log_syslog)
		closelog();
	log_syslog = t == PPG_LOG_TARGET_SYSLOG;
	log_journal = t == PPG_LOG_TARGET_JOURNAL && ppg_log_journal_available();
	if (t == PPG_LOG_TARGET_JOURNAL && !log_journal)
		return -ENOTSUP;
	return (int)t;
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

#ifdef HAVE_SYSTEMD
/* The fields of one journal entry, each "KEY=value", in one buffer. */
struct jfields {
	struct iovec iov[16];
	int n;
	char buf[8192];
	size_t used;
};

/* Adds KEY=value (truncated when the buffer is full: the entry still goes). */
static void jadd(struct jfields *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jadd(struct jfields *j, const char *fmt, ...)
{
	size_t room = sizeof j->buf - j->used;
	va_list ap;

	if (j->n >= (int)(sizeof j->iov / sizeof j->iov[0]) || room < 2)
		return;
	va_start(ap, fmt);
	int len = vsnprintf(j->buf + j->used, room, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t)len >= room)
		len = (int)room - 1;
	j->iov[j->n].iov_base = j->buf + j->used;
	j->iov[j->n].iov_len = (size_t)len;
	j->n++;
	j->used += (size_t)len + 1;
}

/* 0 when the journal took the line. */
static int to_journal(const char *file, int line, const char *func, const struct ppg_log_push *f,
    const char *cn, int level, const char *msg)
{
	struct jfields jf, *j = &jf;
	j->n = 0;
	j->used = 0;
	jadd(j, "MESSAGE=[%s] %s", cn, msg);
	jadd(j, "PRIORITY=%d", level);
	jadd(j, "SYSLOG_IDENTIFIER=ppgd");
	jadd(j, "SYSLOG_FACILITY=%d", LOG_DAEMON >> 3);
	jadd(j, "PPGD_CATEGORY=%s", cn);
	if (log_node[0])
		jadd(j, "PPGD_NODE=%s", log_node);
	if (file) {
		jadd(j, "CODE_FILE=%s", file);
		jadd(j, "CODE_LINE=%d", line);
	}
	if (func)
		jadd(j, "CODE_FUNC=%s", func);
	if (f && f->pi)
		jadd(j, "PI=%s", f->pi);
	if (f && f->push_id)
		jadd(j, "PUSH_ID=%s", f->push_id);
	if (f && f->address)
		jadd(j, "ADDRESS=%s", f->address);
	if (f && f->bearer)
		jadd(j, "BEARER=%s", f->bearer);
	if (f && f->code)
		jadd(j, "PAP_CODE=%d", f->code);
	if (f && f->delivery)
		jadd(j, "PPGD_DELIVERY=%lld", f->delivery);
	if (f && f->msgid)
		jadd(j, "MESSAGE_ID=%s", f->msgid);
	return sd_journal_sendv(j->iov, j->n);
}
#endif

void ppg_log(enum ppg_log_cat cat, int level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ppg_log_at(NULL, 0, NULL, NULL, cat, level, "%s", msg);
}

void ppg_log_at(const char *file, int line, const char *func, const struct ppg_log_push *f,
    enum ppg_log_cat cat, int level, const char *fmt, ...)
{
	char msg[2048];
	size_t n = 0;
	va_list ap;

	if (f)
		n = (size_t)snprintf(msg, sizeof msg, "pi=%s push-id=%s: ", f->pi ? f->pi : "-",
		    f->push_id ? f->push_id : "-");
	if (n >= sizeof msg)
		n = sizeof msg - 1;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof msg - n, fmt, ap);
	va_end(ap);
	/* Never let a peer's bytes forge log lines. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			*p = '?';
	const char *cn = ppg_log_cat_name(cat);
	if (log_syslog) {
		if (log_node[0])
			syslog(level, "node=%s [%s] %s", log_node, cn, msg);
		else
			syslog(level, "[%s] %s", cn, msg);
		return;
	}
#ifdef HAVE_SYSTEMD
	if (log_journal && to_journal(file, line, func, f, cn, level, msg) == 0)
		return;
#else
	(void)file;
	(void)line;
	(void)func;
#endif
	struct timespec ts;
	struct tm tm;
	char tbuf[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tbuf, sizeof tbuf, "%Y-%m-%dT%H:%M:%S", &tm);
	pthread_mutex_lock(&log_lock);
	if (log_node[0])
		fprintf(stderr, "%s.%03ldZ %s node=%s [%s] %s\n", tbuf, ts.tv_nsec / 1000000, level_name(level),
		    log_node, cn, msg);
	else
		fprintf(stderr, "%s.%03ldZ %s [%s] %s\n", tbuf, ts.tv_nsec / 1000000, level_name(level), cn, msg);
	pthread_mutex_unlock(&log_lock);
}
