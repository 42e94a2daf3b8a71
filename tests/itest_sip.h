/*
 * itest_sip.h - the SIP peers of the end-to-end tests: kamailio as the
 * operator's core and sipp as terminals and notifiers, all on 127.0.0.1 (or
 * another 127/8 address), started and stopped by PID through itest.h
 * (itest_spawn, itest_sipp_start, itest_stop_pid).
 *
 * All functions run on the test program's own thread ([any]: no state but
 * the processes they start).
 */
#ifndef ITEST_SIP_H
#define ITEST_SIP_H

#include <stddef.h>
#include <sys/types.h>

/* ------------------------------------------------------------ kamailio */

/* What itest_kam_start runs. Zero fields take the defaults named. */
struct itest_kam {
	const char *cfg;        /* the script, relative to the source tree (tu_src):
	                         * "tests/kamailio/ppgd-core.cfg" */
	const char *dir;        /* kamailio runs in DIR/NAME (made here, its PID file
	                         * there) and logs to DIR/NAME.log */
	const char *name;       /* NULL: "kamailio" */
	const char *ip;         /* UDP listen address; NULL: 127.0.0.1 */
	int udp_port;           /* UDP listener (-l udp:IP:PORT) */
	const char *tls_cfg;    /* non-NULL: also TLS on 127.0.0.1:tls_port, with
	                         * -A WITH_TLS -A TLS_CFG="tls_cfg" */
	int tls_port;
	const char *dbtext;     /* non-NULL: this directory is made and gets
	                         * kamailio's empty db_text tables (version,
	                         * presentity, active_watchers, watchers, xcap, pua)
	                         * from the kamailio-presence-modules package */
	const char *defines[8]; /* -A values in this order, NULL-terminated:
	                         * "PPGD_URI=\"sip:127.0.0.1:5060\"" */
	int shm_mb;             /* -m (shared memory, MB); 0: 32. -M is 8. */
};

/* /usr/sbin/kamailio when it is there, else "kamailio" (looked up in PATH). */
const char *itest_kam_bin(void);

/*
 * Starts kamailio as k says (-DD -E: in the foreground, logging to stderr,
 * which goes to *log) and waits up to 10 s until kamailio itself owns its
 * UDP port on k->ip (itest_pid_owns_port) and, with TLS, something accepts
 * TCP connections on the TLS port. *log (malloc'ed, the caller frees it) is
 * set even when the start fails. Returns the PID, or 0 after a line on
 * stderr and the tail of the log (kamailio missing, a port taken, a script
 * error).
 */
pid_t itest_kam_start(const struct itest_kam *k, char **log);

/* SIGTERM to *pid when it runs, waits up to 10 s (then SIGKILL), sets *pid
 * to 0. */
void itest_kam_stop(pid_t *pid);

/* 1 when something accepts TCP connections on 127.0.0.1:port. */
int itest_tcp_listening(int port);

/* 1 when something is bound to UDP ip:port (a bind of it fails with
 * EADDRINUSE); itest_udp_port_bound for any address. */
int itest_udp_bound(const char *ip, int port);

#endif
