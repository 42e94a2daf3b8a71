/*
 * itest.h - harness for the integration tests: runs the real ppgd on
 * 127.0.0.1 on a free port, talks HTTP to it with libcurl or raw sockets, and
 * runs external Push Initiator clients (Kannel test_ppg, node).
 *
 * Every process the harness starts is remembered by PID and stopped by PID
 * (itest_kill_all, also registered with atexit); nothing else is touched.
 */
#ifndef ITEST_H
#define ITEST_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <CUnit/CUnit.h>
#include <sys/types.h>

/* Picks a free TCP port on 127.0.0.1: binds port 0, reads it back, closes.
 * Returns the port or -1. */
int itest_free_port(void);

/* Path of the ppgd binary under test: $PPG_BUILDDIR/ppgd. Static buffer. */
const char *itest_ppgd_path(void);

/*
 * Returns the crypt(3) hash of secret made by `ppgd --hash-secret` (secret on
 * stdin). Results are cached per secret for the life of the test program, so
 * the daemon's hashing runs once per secret. Returns a pointer owned by the
 * harness, or NULL (reason on stderr).
 */
const char *itest_hash_secret(const char *secret);

/* Secrets of the accounts in itest_std_config(). */
#define ITEST_ALICE_SECRET "alice-s3cret"
#define ITEST_BOB_SECRET   "bob-s3cret"

/* A ppgd instance owned by a test. */
struct itest_daemon {
	char *dir;          /* tu_tmpdir() directory: config, database, log */
	char *conf;         /* config file path (in dir) */
	char *log;          /* stderr of the daemon, appended across restarts */
	int port;
	pid_t pid;          /* 0 when not running */
	char url[128];      /* http://127.0.0.1:PORT/pap */
	char base[64];      /* http://127.0.0.1:PORT */
};

/* Creates the tmpdir and picks a port; nothing runs yet. 0 or -1. */
int itest_daemon_init(struct itest_daemon *d, const char *tag);

/*
 * Writes the standard test config for d: [server] listen = 127.0.0.1:PORT,
 * pap_path = /pap, then server_extra (lines for [server], may be NULL);
 * [database] path inside d->dir; [log] level = debug; the accounts
 * alice (allow 127.0.0.0/8) and bob (no allow), secrets ITEST_*_SECRET;
 * then extra_sections verbatim (may be NULL). 0 or -1.
 */
int itest_std_config(struct itest_daemon *d, const char *server_extra, const char *extra_sections);

/* Writes text as the config file of d. 0 or -1. */
int itest_write_config(struct itest_daemon *d, const char *text);

/*
 * Starts `ppgd -c CONF` (working directory d->dir, stdin /dev/null, stdout and
 * stderr appended to d->log) and waits up to 10 s until the port accepts
 * connections; fails early when the child exits. Used for restarts too (same
 * config and database). Returns 0, or -1 after printing the log tail.
 */
int itest_daemon_start(struct itest_daemon *d);

/* SIGTERM, waits up to 20 s, returns the raw wait status (as waitpid), or -1
 * when it did not exit in time (it is then SIGKILLed). */
int itest_daemon_stop(struct itest_daemon *d);

/* SIGKILL and reap. Returns the raw wait status or -1. */
int itest_daemon_kill(struct itest_daemon *d);

/* 1 when the daemon process is still alive. */
int itest_daemon_alive(struct itest_daemon *d);

/* Kills the daemon if it runs, prints its log when print_log,
 * removes the tmpdir and frees the strings. */
void itest_daemon_destroy(struct itest_daemon *d, int print_log);

/* Prints the last lines of the daemon log on stderr (for failure context). */
void itest_daemon_print_log(const struct itest_daemon *d, size_t max_bytes);

/* ------------------------------------------------------------- HTTP */
struct itest_resp {
	long status;        /* HTTP status, 0 when no answer */
	char *body;         /* NUL-terminated, may contain NULs before len */
	size_t len;
	char *headers;      /* raw response header block */
	double seconds;     /* wall time of the exchange */
};

/*
 * One HTTP request with libcurl: method ("POST", "GET", "HEAD", ...), url,
 * optional Content-Type and body, optional HTTP Basic credentials (user
 * NULL: none). No "Expect: 100-continue"; a HEAD reads the headers only.
 * Returns 0 when an HTTP answer arrived (even 4xx/5xx), -1 on a transport
 * error. Free with itest_resp_free.
 */
int itest_http(const char *method, const char *url, const char *content_type,
    const void *body, size_t len, const char *user, const char *password,
    struct itest_resp *r);
void itest_resp_free(struct itest_resp *r);

/* Value of a response header (case-insensitive, first occurrence), malloc'ed,
 * or NULL. */
char *itest_resp_header(const struct itest_resp *r, const char *name);

/* The brief's shape: POST with Basic credentials; *resp_body malloc'ed. */
int itest_post(const char *url, const char *content_type, const void *body, size_t len,
    const char *user, const char *password, long *status, char **resp_body);

/*
 * Sends raw bytes over a fresh TCP connection to 127.0.0.1:port and reads one
 * HTTP response (Content-Length or chunked or until close), waiting at most
 * timeout_ms. The request is not altered. Returns 0 or -1.
 */
int itest_raw(int port, const void *req, size_t len, int timeout_ms, struct itest_resp *r);

/* ---------------------------------------------------------- clients */
/*
 * Runs argv (argv[0] looked up in PATH) with stdin_text (NULL: /dev/null) in
 * working directory cwd (NULL: current), capturing stdout and stderr; kills
 * its process group after timeout_s. *out and *err are malloc'ed (either
 * pointer may be NULL to discard). *exit_code is the exit status, 128+signal
 * when killed by a signal, -1 on timeout or failure to run.
 * Returns 0 when the program ran to completion, -1 otherwise.
 */
int itest_run_full(const char *const argv[], const char *stdin_text, const char *cwd,
    int timeout_s, char **out, char **err, int *exit_code);

/* itest_run_full with a 30 s timeout, no stdin, stderr passed through. */
int itest_run(const char *const argv[], char **stdout_text, int *exit_code);

/* Writes text to dir/name; returns the malloc'ed path or NULL. */
char *itest_write_file(const char *dir, const char *name, const char *text, size_t len);

/* Stops every process the harness started that still runs (by PID). */
void itest_kill_all(void);

/* malloc'ed printf. */
char *itest_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Replaces every "[name]" in the malloc'ed text *t by value (a scenario
 * template: sipp's -key does not reach its regular expressions). With
 * drop_empty_line, an empty value removes the whole line "[name]" stands on
 * (sipp ends the headers at an empty line). *t becomes NULL when out of memory. */
void itest_subst(char **t, const char *name, const char *value, int drop_empty_line);

/*
 * A copy of the template tmpl (relative to the source tree, tu_src) written
 * to dir/out, with every from[i] (i < n) replaced by to[i], left to right
 * (what is put in is not searched again): "@PORT@" placeholders of sipp
 * scenarios. Returns the malloc'ed path, or NULL.
 */
char *itest_subst_file(const char *dir, const char *tmpl, const char *out, const char *const *from,
    const char *const *to, size_t n);

/* Seconds since an arbitrary point (CLOCK_MONOTONIC). */
double itest_now(void);

/* ------------------------------------------- background processes */
/*
 * Picks a port that is free on 127.0.0.1 for both UDP and TCP (a SIP
 * listener needs both): binds both with port 0 / the same number, closes.
 * Returns the port or -1.
 */
int itest_free_port_udp_tcp(void);

/* 1 when something is bound to UDP 127.0.0.1:port (a bind of it fails
 * with EADDRINUSE), 0 otherwise. */
int itest_udp_port_bound(int port);

/* itest_udp_port_bound for any IPv4 address ip (another 127/8 one). */
int itest_udp_bound(const char *ip, int port);

/* 1 when something accepts TCP connections on 127.0.0.1:port. */
int itest_tcp_listening(int port);

/*
 * Starts argv (argv[0] looked up in PATH) in the background, in its own
 * process group, working directory cwd (NULL: current), stdin /dev/null,
 * stdout and stderr appended to log_path (NULL: /dev/null). The PID is
 * remembered like the daemon's (itest_kill_all stops it). Returns the PID
 * or -1.
 */
pid_t itest_spawn(const char *const argv[], const char *cwd, const char *log_path);

/*
 * Waits up to timeout_s for pid to exit. Returns 0 with *exit_code (exit
 * status, or 128+signal) when it exited, -1 when it still runs.
 */
int itest_wait_pid(pid_t pid, double timeout_s, int *exit_code);

/*
 * Sends sig to pid, waits up to timeout_s, then SIGKILLs its process group
 * (the one itest_spawn made for it) and reaps it. Returns the exit code as
 * itest_wait_pid, or -1 when it had to be killed.
 */
int itest_stop_pid(pid_t pid, int sig, double timeout_s);

/*
 * 1 when process pid itself owns a socket on local port `port` (IPv4): a
 * UDP socket, or a listening TCP one when tcp. Read from /proc/net/udp or
 * /proc/net/tcp (the socket inodes of that port) and /proc/PID/fd. Unlike
 * itest_udp_port_bound, another process on that port does not count.
 */
int itest_pid_owns_port(pid_t pid, int port, int tcp);

/*
 * Starts sipp (argv[0] "sipp" or a path) like itest_spawn, bound to a local
 * port: every argv element "@PORT@" is replaced by it (e.g. "-p", "@PORT@").
 * *port: 0 picks a free port (itest_free_port_udp_tcp) and moves to another
 * one on a retry; a port > 0 is kept (the caller's peers already know it).
 * Waits up to 10 s until the sipp process itself owns the port
 * (itest_pid_owns_port; UDP, or TCP listening when tcp). A free port can be
 * taken by another process between its pick and sipp's bind (sipp then
 * exits at once): such a start is logged on stderr with the tail of sipp's
 * output and tried again, up to 5 starts. Returns the PID with *port set,
 * or -1 (the reason on stderr).
 */
pid_t itest_sipp_start(const char *const argv[], const char *cwd, const char *log_path, int tcp, int *port);

/*
 * Waits up to timeout_s until the file at path exists and contains text
 * (polled every 20 ms). Returns 0 when it does, -1 on timeout.
 */
int itest_wait_file_has(const char *path, const char *text, double timeout_s);

/* ------------------------------------------------ files and logs */
/* The logs of ppgd (d->log), of sipp (-message_file) and of kamailio are
 * files that the tests read whole, as they are at the time of the call. */

/* 1 when the file at path exists and contains text; 0 otherwise (path NULL
 * or no such file: 0). */
int itest_file_has(const char *path, const char *text);

/* How many times text stands in the file at path (non-overlapping, left to
 * right); 0 when path is NULL or the file does not exist. */
int itest_file_count(const char *path, const char *text);

/*
 * itest_wait_file_has for a log: waits up to timeout_s until the file at
 * path contains text. Returns 0, or -1 after a line on stderr naming the
 * text, the file and the time waited.
 */
int itest_wait_log(const char *path, const char *text, double timeout_s);

/* Prints the last max bytes of the file at path on stderr between a title
 * line ("---- TITLE (PATH), last N bytes ----") and an end line; nothing
 * when path is NULL or the file does not exist. */
void itest_print_tail(const char *title, const char *path, size_t max);


/* The DOCTYPEs of the PAP versions, for building requests. */
#define DOCTYPE_10 "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP//EN\" " \
	"\"http://www.wapforum.org/DTD/pap_1.0.dtd\">"
#define DOCTYPE_20 "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" " \
	"\"http://www.wapforum.org/DTD/pap_2.0.dtd\">"
#define DOCTYPE_21 "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.1//EN\" " \
	"\"http://www.openmobilealliance.org/tech/DTD/pap_2.1.dtd\">"
#define DOCTYPE_30 "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 3.0//EN\" " \
	"\"http://www.wapforum.org/DTD/pap_3.0.dtd\">"

/* POSTs a PAP request as user/pw and decodes the answer; NULL (the
 * request and the answer printed) unless HTTP 202 and a PAP document. */
struct pap_msg;
struct pap_msg *itest_pap_post(struct itest_daemon *d, const char *user, const char *pw,
    const char *ctype, const char *body, size_t len);

/* A CUnit suite from a table ending with { NULL, NULL }. 0 or -1. With
 * ITEST_SUITE set, only the suites whose name contains it are added. */
struct itest_test_def {
	const char *name;
	CU_TestFunc fn;
};
int itest_add_suite(const char *name, CU_InitializeFunc init, CU_CleanupFunc clean,
    const struct itest_test_def *tests);

/* Wall-clock seconds (for times compared with other processes' logs). */
double itest_wall_now(void);

struct itest_pi_post {
	double t;           /* wall clock */
	char *body;
	size_t len;
	int answered;       /* HTTP status it answered */
	char push_id[128];  /* from the decoded body ("" when it did not decode) */
};

/*
 * A PI's HTTP server for resultnotification-messages on 127.0.0.1:port:
 * answers the first fail_first POSTs 500, the others 200 with a
 * resultnotification-response (PAP §8.6). One thread, one connection at a
 * time, Connection: close.
 */
struct itest_pi {
	int fd;
	int port;
	pthread_t th;
	int running;
	atomic_int stop;
	pthread_mutex_t mu;
	int fail_first;
	struct itest_pi_post *v;
	size_t n;
	char url[96];
};

/* Starts the listener on 127.0.0.1:port (0: a free one; l->url is its URL). */
int itest_pi_start(struct itest_pi *l, int fail_first, int port);
void itest_pi_stop(struct itest_pi *l);
/* POSTs seen for push_id; waits until n of them arrived (0 or -1 on timeout). */
size_t itest_pi_count(struct itest_pi *l, const char *push_id);
int itest_pi_wait(struct itest_pi *l, const char *push_id, size_t n, double timeout_s);

#endif
