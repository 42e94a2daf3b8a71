/*
 * ppg_log.h - logging for the daemon: one category per subsystem, each with
 * its own threshold (syslog levels); stderr (default), the systemd journal
 * (native protocol, with structured fields) or syslog. The only ppg/ header
 * other parts may include. Every function: [any].
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
 * Sets the threshold of every category (LOG_ERR .. LOG_DEBUG) and the sink
 * (use_syslog: syslog, else stderr). Until it is called every category logs
 * at LOG_INFO to stderr.
 */
void ppg_log_init(int level, int use_syslog);

/* Where lines go ([log] target). */
enum ppg_log_target {
	PPG_LOG_TARGET_AUTO = 0,   /* the journal when stderr is its stream (JOURNAL_STREAM), else stderr */
	PPG_LOG_TARGET_STDERR,
	PPG_LOG_TARGET_JOURNAL,    /* sd_journal_sendv: MESSAGE, PRIORITY, PPGD_CATEGORY, PUSH_ID, ... */
	PPG_LOG_TARGET_SYSLOG,
};
/*
 * Chooses the sink after ppg_log_init (call it before other threads log).
 * AUTO resolves here. Returns the target in use (never AUTO), or -ENOTSUP
 * for JOURNAL in a build without libsystemd (the sink is then stderr).
 */
int ppg_log_set_target(enum ppg_log_target t);
/* "auto", "stderr", "journal", "syslog"; the value of a name, or -1. */
const char *ppg_log_target_name(enum ppg_log_target t);
int ppg_log_target_parse(const char *name);
/* 1 when this build can send to the journal (libsystemd). */
int ppg_log_journal_available(void);
/* 1 when stderr is the journal's stream: JOURNAL_STREAM=DEV:INODE is the
 * device and inode of fd 2 (systemd.exec(5)). */
int ppg_log_stderr_is_journal(void);
/*
 * [main, before other threads log] Names this node on every line: "node=ID"
 * before the category on stderr and syslog, the field PPGD_NODE in the
 * journal. ppgd sets it when [database] engine = postgresql (several nodes
 * may write to one log store); NULL or "" leaves lines as they are.
 */
void ppg_log_set_node(const char *node);
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

/*
 * The subject of a line about one push. On stderr and syslog the line starts
 * "pi=PI push-id=ID: " (so that grep finds a push's history); in the journal
 * each member that is set is also a field: PI, PUSH_ID, ADDRESS, BEARER,
 * PAP_CODE, PPGD_DELIVERY, MESSAGE_ID (`journalctl PUSH_ID=ID`).
 */
struct ppg_log_push {
	const char *pi, *push_id;
	const char *address;      /* the delivery's address-value, NULL: none */
	const char *bearer;       /* "sip", "udp", "sms", NULL: none */
	int code;                 /* PAP status code, 0: none */
	long long delivery;       /* the delivery's row id, 0: none */
	const char *msgid;        /* PPG_LOG_MSGID_*, NULL: none */
};
/* MESSAGE_IDs (128-bit, journalctl MESSAGE_ID=...) of the lines an operator follows. */
#define PPG_LOG_MSGID_ACCEPTED "64569ee024284f4db030d03428ee9f0c"   /* a push accepted */
#define PPG_LOG_MSGID_FINAL    "992bb208a2c64316a2aa01d1f0318048"   /* a delivery's final state */
#define PPG_LOG_MSGID_CANCEL   "0eef147c277e4991a3c7bfe54ad218d5"   /* a cancel-message executed */

/*
 * ppg_log with the source location (journal CODE_FILE, CODE_LINE, CODE_FUNC;
 * file and func may be NULL) and the push of the line (f may be NULL).
 */
void ppg_log_at(const char *file, int line, const char *func, const struct ppg_log_push *f,
    enum ppg_log_cat cat, int level, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

#define LOGP(cat, level, ...) \
	do { if (ppg_log_enabled(cat, level)) \
		ppg_log_at(__FILE__, __LINE__, __func__, NULL, cat, level, __VA_ARGS__); } while (0)
/* A line about one push, with the fields of *(fields) (a struct ppg_log_push). */
#define LOGPUSHF(cat, level, fields, ...) \
	do { if (ppg_log_enabled(cat, level)) \
		ppg_log_at(__FILE__, __LINE__, __func__, (fields), cat, level, __VA_ARGS__); } while (0)
/* A line about one push: the PI and push-id lead it, so that grep finds the history. */
#define LOGPUSH(cat, level, pi_, pushid_, ...) \
	LOGPUSHF(cat, level, (&(const struct ppg_log_push){ .pi = (pi_), .push_id = (pushid_) }), __VA_ARGS__)

#endif
