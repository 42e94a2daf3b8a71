/*
 * itest_sip.h - the SIP peers of the end-to-end tests: kamailio as the
 * operator's core, sipp as terminals (UAS) and as the core's REGISTER
 * one-shots, and the reading of sipp's message logs (-trace_msg). Every
 * process runs on 127.0.0.1 (or another 127/8 address) and is started and
 * stopped by PID through itest.h (itest_spawn, itest_sipp_start,
 * itest_stop_pid), so itest_kill_all stops what a failed test left.
 *
 * Every function runs on the test program's thread ([any]: no state but the
 * files and processes it makes).
 */
#ifndef ITEST_SIP_H
#define ITEST_SIP_H

#include <stddef.h>
#include <sys/types.h>

/* ------------------------------------------------------------ kamailio */

/* What itest_sip_kam_start runs. Fields left zero take the defaults named. */
struct itest_sip_kam {
	const char *cfg;        /* the script, relative to the source tree (tu_src):
	                         * "tests/kamailio/ppgd-core.cfg" */
	const char *dir;        /* kamailio runs in DIR/NAME (made here; its PID
	                         * file there) and logs to DIR/NAME.log */
	const char *name;       /* NULL: "kamailio" */
	const char *ip;         /* UDP listen address; NULL: 127.0.0.1 */
	int udp_port;           /* -l udp:IP:PORT */
	const char *tls_cfg;    /* non-NULL: also -l tls:127.0.0.1:tls_port,
	                         * -A WITH_TLS and -A TLS_CFG="tls_cfg" */
	int tls_port;
	const char *dbtext;     /* non-NULL: this directory is made and gets
	                         * kamailio's empty db_text tables (version,
	                         * presentity, active_watchers, watchers, xcap, pua;
	                         * package kamailio-presence-modules) */
	const char *defines[8]; /* -A values in this order, NULL-terminated:
	                         * "PPGD_URI=\"sip:127.0.0.1:5060\"" */
	int shm_mb;             /* -m (shared memory, MB); 0: 32. -M is 8. */
};

/* /usr/sbin/kamailio when it is there, else "kamailio" (looked up in PATH). */
const char *itest_sip_kam_bin(void);

/*
 * Starts kamailio as k says (-DD -E: in the foreground, its log on stderr,
 * which goes to *log) and waits up to 10 s until kamailio itself owns its
 * UDP port on k->ip (itest_pid_owns_port) and, with TLS, something accepts
 * TCP connections on the TLS port. *log is malloc'ed (the caller frees it)
 * and set even when the start fails. Returns the PID, or 0 after a line on
 * stderr and the tail of the log (kamailio missing, a port taken, a script
 * error, the db_text tables missing).
 */
pid_t itest_sip_kam_start(const struct itest_sip_kam *k, char **log);

/* SIGTERM to *pid when it runs, waits up to 10 s (then SIGKILL); *pid = 0. */
void itest_sip_kam_stop(pid_t *pid);

/* ------------------------------------------------------ sipp processes */

/*
 * A sipp UAS (a terminal, a notifier) running scen (a path) for `calls`
 * calls on 127.0.0.1 and a free port (itest_sipp_start: another port when
 * the first was taken before sipp's bind): -m CALLS -nostdin -trace_msg
 * -message_file MSGLOG -timeout 90s -timeout_error; stdout and stderr to
 * out; working directory dir. *port gets the port. Returns the PID, or 0.
 */
pid_t itest_sip_uas(const char *dir, const char *scen, int calls, const char *msglog, const char *out,
    int *port);

/* Waits up to timeout_s for the sipp of *pid to end: its exit code (0:
 * every call passed; *pid becomes 0), or -1 while it still runs. */
int itest_sip_wait(pid_t *pid, double timeout_s);

/* SIGTERM to the sipp of *pid when it runs (5 s, then SIGKILL); *pid = 0. */
void itest_sip_stop(pid_t *pid);

/*
 * The template tests/sipp/e2e_uas_reply.xml (one call: answers a request
 * with status and phrase, with one more header line; header NULL or "":
 * "Subject: none") written to dir under a new name. The malloc'ed path, or
 * NULL.
 */
char *itest_sip_uas_scenario(const char *dir, int status, const char *phrase, const char *header);

/*
 * The core's REGISTER one-shot: sipp runs scenario (relative to the source
 * tree, e.g. tests/sipp/e2e_register.xml; its CSV fields are USER;CPORT;
 * EXPIRES) from src_ip to 127.0.0.1:dst_port, one REGISTER per user, AoR
 * sip:USER@example.com with the contact port cports[i]; waits for it (30 s
 * at most, 5 s for an answer). status[i] gets the final status answered for
 * users[i] (-1 when none). Returns the number of 200s; anything but 200 and
 * 403 is reported on stderr with the tail of sipp's output.
 */
int itest_sip_register_scen(const char *scenario, const char *dir, const char *src_ip, int dst_port,
    const char *const *users, const int *cports, int expires, size_t n, int *status);

/* One REGISTER with tests/sipp/e2e_register.xml: the final status, or -1. */
int itest_sip_register(const char *dir, const char *src_ip, int dst_port, const char *user, int cport,
    int expires);

/* ------------------------------------------------------ sipp's message log */

/* One message of a sipp message log (-trace_msg). */
struct itest_sip_msg {
	double t;           /* wall clock of sipp's log line */
	int in;             /* 1 received, 0 sent */
	char *text;         /* the message, NUL-terminated */
	size_t len;
};

struct itest_sip_log {
	struct itest_sip_msg *v;
	size_t n;
};

/*
 * Reads a sipp message log: entries "----...---- YYYY-MM-DD hh:mm:ss.uuuuuu",
 * then "UDP message received [N] bytes :" or "UDP message sent (N bytes):"
 * (or TCP), an empty line and the N bytes of the message. A missing file
 * gives an empty log. Free with itest_sip_log_free.
 */
void itest_sip_log_load(const char *path, struct itest_sip_log *l);
void itest_sip_log_free(struct itest_sip_log *l);

/* The first line of a SIP message, malloc'ed. */
char *itest_sip_first_line(const char *msg);

/* The k-th (0-based) header named name (case-insensitive) of a SIP message,
 * value trimmed, malloc'ed; NULL when absent. */
char *itest_sip_hdr_nth(const char *msg, const char *name, int k);

/* itest_sip_hdr_nth(msg, name, 0). */
char *itest_sip_hdr(const char *msg, const char *name);

/* The body of a SIP message (after the empty line; "" when none); *len its
 * size. Points into m. */
const char *itest_sip_body(const struct itest_sip_msg *m, size_t *len);

/* 1 when m is a received request of method. */
int itest_sip_is_request(const struct itest_sip_msg *m, const char *method);

/*
 * The received requests of method, one per transaction (retransmissions,
 * same Call-ID and CSeq, dropped). Fills v (pointers into l) up to max;
 * returns how many.
 */
size_t itest_sip_requests(const struct itest_sip_log *l, const char *method, const struct itest_sip_msg **v,
    size_t max);

#endif
