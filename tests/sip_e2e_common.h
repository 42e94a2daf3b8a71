/*
 * sip_e2e_common.h - what the SIP Push end-to-end programs share
 * (tests/test_sip_e2e_*.c): the failure context and its EXPECT macros, the
 * PAP side (pushes, statusquery), the SIP side (sipp terminals and
 * REGISTERs, kamailio as the core), ppgd started with a [sip] section, and
 * the checks of a MESSAGE and of a result notification.
 *
 * The programs drive the real ppgd through its PAP HTTP interface and
 * deliver over real SIP on 127.0.0.1 to real peers they start themselves:
 * sipp (Debian sip-tester) as terminal and as the core's REGISTER sender,
 * kamailio (tests/kamailio/ppgd-core.cfg) as the SIP/IP core, a Push
 * Initiator's notification listener. Timers are shortened through the
 * config, never mocked. Processes are started and stopped by PID
 * (tests/itest.c); every port is a free port of 127.0.0.1 picked at run
 * time. With ITEST_KEEP=1 the tmpdirs (configs, logs) are kept.
 *
 * Every function runs on the test program's thread ([any]).
 */
#ifndef SIP_E2E_COMMON_H
#define SIP_E2E_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "pap/pap.h"
#include "tests/e2e_expect.h"
#include "tests/itest.h"
#include "tests/itest_sip.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <sqlite3.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BOUNDARY "e2e-5f1c2b77"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""
#define ALICE "alice", ITEST_ALICE_SECRET

#define PPG_FROM "sip:ppg@operator.example"
#define PPG_PAI "<sip:ppg@operator.example>"
#define APP_ID "x-wap-application:mms.ua"
#define ACCEPT_CONTACT "*;+g.oma.pusheventapp=\"mms.ua\""

/* ============================================================ PAP side */

char *aor_address(const char *user);

void pap_time(time_t t, char buf[32]);

/* A push-message in multipart/related: the PAP control entity and a content
 * entity of ctype with X-Wap-Application-Id mms.ua. *len gets the size. */
char *push_body(const char *doctype, const char *push_id, const char *address,
    const char *attrs, const char *ctype, const void *content, size_t clen, size_t *len);

int msg_code(const struct pap_msg *m);

/* Pushes content to sip:USER@example.com; returns the push-response code. */
int push_to(struct itest_daemon *d, const char *doctype, const char *push_id, const char *user,
    const char *attrs, const char *ctype, const void *content, size_t clen);

int push_text(struct itest_daemon *d, const char *push_id, const char *user, const char *attrs,
    const char *text);

struct sq {
	enum pap_state state;
	int code;
	char desc[512];
	char address[256];
};

/* statusquery of push_id: its first statusquery-result. 0, or -1. */
int statusquery(struct itest_daemon *d, const char *push_id, struct sq *out);

/* Polls statusquery until the push's state is final or timeout_s passed.
 * Returns 0 when final (out holds it), -1 otherwise (out holds the last). */
int wait_final(struct itest_daemon *d, const char *push_id, double timeout_s, struct sq *out);

void report_sq(const char *what, const struct sq *q);

/* ============================================================ SIP side */

/* sipp's message logs: itest_sip_log_load and the SIP helpers of itest_sip.h. */

/* ---------------------------------------------------------- terminals */

/* A sipp UAS playing the terminal at sip:USER@127.0.0.1:PORT. */
struct term {
	char user[48];
	int port;
	pid_t pid;
	char *scen;         /* scenario file it runs */
	char *msglog;       /* -message_file */
	char *out;          /* stdout/stderr of sipp */
	int exit_code;      /* after term_wait/term_stop; -1 before */
};

/*
 * Starts sipp with scenario scen as the terminal of user on a free port,
 * for `calls` calls (-m), bounded by a global timeout; waits until it
 * listens (itest_sipp_start: another port when the first was taken).
 * Returns 0 or -1.
 */
int term_start(struct term *t, const char *dir, const char *user, const char *scen, int calls);

/* Waits for sipp to finish its calls; its exit code (0: every call passed). */
int term_wait(struct term *t, double timeout_s);

/* Stops a terminal that may still wait for calls (SIGTERM, sipp quits). */
void term_stop(struct term *t);

void term_free(struct term *t);

/* ------------------------------------------------------ REGISTER (sipp) */

/* itest_sip_register_scen with tests/sipp/e2e_register.xml. */
int sip_register_many(const char *dir, const char *src_ip, int dst_port, const char *const *users,
    const int *cports, int expires, size_t n, int *status);

/*
 * Starts, in the background, sipp sending one third-party REGISTER
 * (tests/sipp/e2e_register.xml, from 127.0.0.1) for user with the contact
 * port cport to 127.0.0.1:dst_port; *log gets its message log (malloc'ed).
 * The PID, or -1.
 */
pid_t sip_register_spawn(const char *dir, int dst_port, const char *user, int cport, int expires,
    char **log);

/* The first request of method sipp sent, or NULL. */
const struct itest_sip_msg *sip_sent_request(const struct itest_sip_log *l, const char *method);

/* The first final response (>= 200) sipp received, or NULL. */
const struct itest_sip_msg *sip_final_response(const struct itest_sip_log *l);

int sip_status(const struct itest_sip_msg *m);

/* ------------------------------------------------------------ daemons */

/*
 * Writes the standard test config (tests/itest.c) plus a [sip] section
 * listening on a free port (sip_extra appended to it) and a [notify]
 * section (notify_extra), and starts ppgd. *sip_port gets the port.
 */
void start_ppgd(struct itest_daemon *d, const char *tag, const char *sip_extra,
    const char *notify_extra, int *sip_port);

/*
 * Checks one MESSAGE as the terminal of user got it straight from ppgd
 * (no outbound proxy): Request-URI retargeted to the registered contact
 * (RFC 3261 §10, §16.5) with no Route, To the AoR, From, the Push Resource
 * Identifier, P-Asserted-Identity, and the content (type and body) inline.
 */
void check_message(const struct itest_sip_msg *m, const char *user, int cport, const char *ctype,
    const void *content, size_t clen);

/* ============================================ Push Initiator listener */

/* One POST the listener got. */

#define TAB_SIP "transaction_timeout = 2\nretry_min = 1\nretry_max = 2\nmax_attempts = 3\n"
#define ABORT_SIP "transaction_timeout = 2\nretry_min = 1\nretry_max = 2\nmax_attempts = 1\n" \
	"no_binding = fail\n"

/*
 * Starts kamailio with tests/kamailio/ppgd-core.cfg, its run directory
 * DIR/NAME and its log DIR/NAME.log (*log, malloc'ed): UDP on udp_port;
 * with tls_cfg also TLS on tls_port (-A WITH_TLS, the tls module reading
 * tls_cfg); third-party REGISTERs go to ppgd_uri. Waits until it listens.
 * The PID, or 0 (its log printed).
 */
pid_t kam_start(const char *dir, const char *name, int udp_port, int tls_port, const char *tls_cfg,
    const char *ppgd_uri, char **log);

int desc_waits(const struct sq *q);

/* Checks one recorded resultnotification-message. */
void check_notification(const struct itest_pi_post *p, enum pap_version v, const char *push_id,
    const char *address, enum pap_state state, int code, time_t t_min, time_t t_max);

#endif
