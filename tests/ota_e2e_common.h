/*
 * ota_e2e_common.h - what the legacy Push OTA end-to-end programs share
 * (tests/test_ota_e2e_*.c): the real ppgd, driven through its PAP HTTP
 * interface, delivering on 127.0.0.1 / ::1 to real peers the tests start
 * themselves:
 *   - UDP: WSP connectionless pushes captured by tshark (Debian tshark) on
 *     the loopback interface and decoded by Wireshark's WSP dissector, and
 *     received by a socket of this program and decoded by otabearer/
 *     (ota_push_decode, ota_wbxml_compile of the same SI for the body);
 *   - SMS: an SMPP 3.4 SMSC on Net::SMPP (tests/smsc/smsc.pl) whose log of
 *     submit_sm is read back, segment by segment (ota_wdp_reassemble), and
 *     compared with the PDU built the way ppgd builds it (ota_push_encode);
 *   - SIP: sipp as the SIP/IP core's third-party REGISTER sender for
 *     tel:+NUMBER (tests/sipp/ota_register_tel.xml) and as the terminal
 *     (tests/sipp/e2e_uas_reply.xml answering 200 or 480);
 *   - Kannel's test_ppg as the Push Initiator.
 * Every outcome is asserted through statusquery (message-state, code, desc)
 * and through what the peer received.
 *
 * Processes are started by PID and stopped by PID (tests/itest.c); every
 * port is a free port picked at run time. With ITEST_KEEP=1 the tmpdirs
 * (configs, ppgd logs, SMSC logs, captures) are kept.
 *
 * Here: the failure context and its EXPECT macros, the content (SI, WBXML,
 * push PDUs), the PAP side, the UDP receiver and tshark, the SMSC and its
 * log, the SIP terminal and the tel: REGISTER, ppgd started with an SMSC,
 * the clean-exit check.
 *
 * Every function runs on the test program's thread ([any]).
 */
#ifndef OTA_E2E_COMMON_H
#define OTA_E2E_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "otabearer/ota.h"
#include "pap/pap.h"
#include "tests/e2e_expect.h"
#include "tests/itest.h"
#include "tests/itest_sip.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <ctype.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BOUNDARY "ota-e2e-41c9d2"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""
#define ALICE "alice", ITEST_ALICE_SECRET

#define MMS_APP "x-wap-application:mms.ua"
#define SMSC_SYSTEM_ID "ppgtest"
#define SMSC_PASSWORD "smpp-pw1"
#define TEST_PPG "/usr/lib/kannel/test/test_ppg"

/* ---------------------------------------------------- failure context */

void set_ctx(struct itest_daemon *d, const char *f0, const char *f1);

char *hex_of(const uint8_t *p, size_t n);

/* Hex text (stops at the first non-hex character) to bytes; the count, or
 * (size_t)-1 when odd or longer than cap. */
size_t unhex(const char *h, uint8_t *out, size_t cap);

/* ============================================================ content */

#define SI_XML(href, id, text) \
	"<?xml version=\"1.0\"?>\n" \
	"<!DOCTYPE si PUBLIC \"-//WAPFORUM//DTD SI 1.0//EN\" \"http://www.wapforum.org/DTD/si.dtd\">\n" \
	"<si><indication href=\"" href "\" si-id=\"" id "\" action=\"signal-medium\">" text \
	"</indication></si>"

/* ota_wbxml_compile of an SI/SL/CO document into a malloc'ed buffer. */
uint8_t *wbxml_of(const char *xml, size_t *len);

/* The Push PDU ppgd builds for a content (otabearer/ota_push.c): no Push-Flag,
 * Content-Length, no initiator URI. malloc'ed. */
uint8_t *push_pdu(uint8_t tid, const char *ctype, const char *app_id, const uint8_t *body,
    size_t blen, size_t *len);

/* ============================================================ PAP side */

char *plmn_address(const char *number);

/*
 * A push-message in multipart/related: the PAP control entity (addresses,
 * optional <quality-of-service qos/>) and a content entity of ctype with
 * X-Wap-Application-Id app_id (NULL: none). *len gets the size.
 */
char *push_body(const char *push_id, const char *const *addrs, const char *qos, const char *ctype,
    const char *app_id, const void *content, size_t clen, size_t *len);

/* Pushes content to the addresses; returns the push-response code. */
int push_addrs(struct itest_daemon *d, const char *push_id, const char *const *addrs, const char *qos,
    const char *ctype, const char *app_id, const void *content, size_t clen);

int push1(struct itest_daemon *d, const char *push_id, const char *addr, const char *qos,
    const char *ctype, const char *app_id, const void *content, size_t clen);

struct sq {
	enum pap_state state;
	int code;
	char desc[512];
};

/* statusquery of push_id: its first statusquery-result. 0, or -1. */
int statusquery(struct itest_daemon *d, const char *push_id, struct sq *out);

/* The distinct descs a delivery went through, as statusquery showed them. */
struct history {
	char desc[8][512];
	size_t n;
};

void history_add(struct history *h, const struct sq *q);

/* Polls statusquery (every 50 ms) until the push's state is final or
 * timeout_s passed. Returns 0 when final (out holds it), -1 otherwise. */
int wait_final(struct itest_daemon *d, const char *push_id, double timeout_s, struct sq *out,
    struct history *h);

/* ============================================================ UDP side */

/* A receiver of this program on 127.0.0.1:port and [::1]:port. */
struct udprx {
	int port;
	int fd4, fd6;
};

int udprx_open(struct udprx *u);

void udprx_close(struct udprx *u);

/* One datagram within timeout_s: its length (buf), *family; -1 if none. */
ssize_t udprx_recv(struct udprx *u, uint8_t *buf, size_t cap, double timeout_s, int *family);

size_t udprx_drain(struct udprx *u);

/* ------------------------------------------------------------ tshark */

struct capture {
	pid_t pid;
	int port;
	char *pcap;
	char *log;
};

/* Starts tshark on lo for UDP port `port`, at most count packets or 10 s,
 * writing dir/NAME.pcap; waits until it says "Capturing on". 0 or -1. */
int capture_start(struct capture *c, const char *dir, const char *name, int port, int count);

/* Waits for tshark to end (count reached or 10 s); returns its exit code. */
int capture_wait(struct capture *c);

void capture_free(struct capture *c);

/* One captured datagram as tshark's WSP dissector decoded it. */
struct wsp_row {
	char dst[64];          /* ip.dst or ipv6.dst */
	char pdu_type[16];     /* wsp.pdu_type, "0x06" */
	char ctype[128];       /* wsp.header.content_type */
	char app_id[128];      /* wsp.header.x_wap_application_id */
	uint8_t payload[2048]; /* udp.payload */
	size_t len;
};

/* tshark -r PCAP -d udp.port==PORT,wsp -T fields ...: up to max rows. */
size_t capture_decode(const struct capture *c, struct wsp_row *rows, size_t max);

/* ============================================================ SMSC */

struct smsc {
	int port;
	pid_t pid;
	char *log;        /* smsc.pl --log: one line per event */
	char *out;        /* its stdout and stderr */
	char *pidfile;
};

/* Starts tests/smsc/smsc.pl on a free port of 127.0.0.1 with the test's
 * system_id and password and the extra options; waits until it listens. */
int smsc_start(struct smsc *s, const char *dir, const char *tag, const char *const *extra);

void smsc_free(struct smsc *s);

/* One submit_sm line of the SMSC log. */
struct submit {
	unsigned seq;
	char dst[32];
	unsigned esm_class, data_coding, registered_delivery;
	uint8_t sm[256];
	size_t smlen;
	int answered;      /* status=0x00000000 (not "none": dropped) */
	char msg_id[16];
	double t;
};

const char *field(const char *line, const char *key, char *out, size_t cap);

/* Every submit_sm of the log, in order; *out malloc'ed. */
size_t smsc_submits(const struct smsc *s, struct submit **out);

/* Number of lines of the SMSC log that start with prefix. */
size_t smsc_count(const struct smsc *s, const char *prefix);

/*
 * The answered submit_sm to dst reassembled (ota_wdp_reassemble) into
 * pdu[0..cap). *nseg gets the segment count, *t the time of the last one.
 * 0, or -1 (reason printed).
 */
int smsc_pdu(const struct smsc *s, const char *dst, uint8_t *pdu, size_t cap, size_t *len,
    size_t *nseg, double *t_last, struct ota_wdp_udh *info);

/* ============================================================ SIP side */

/* A sipp UAS playing the terminal at sip:NUMBER@127.0.0.1:PORT. */
struct term {
	int port;
	pid_t pid;
	char *scen;
	char *msglog;
	char *out;
};

int term_start(struct term *t, const char *dir, int status, const char *phrase, int calls);

/* Waits for the terminal's calls; its exit code (0: every call passed). */
int term_wait(struct term *t, double timeout_s);

void term_free(struct term *t);

/* Third-party REGISTER of tel:+number with contact sip:number@127.0.0.1:cport
 * (tests/sipp/ota_register_tel.xml) to ppgd's SIP port; the final status
 * ppgd answered, or -1. */
int register_tel(const char *dir, int sip_port, const char *number, int cport);

/* Number of MESSAGE requests in a sipp message log. */
size_t term_messages(const struct term *t);

/* ============================================================ daemons */

/* Creates d (tmpdir, port) and starts its SMSC in d's tmpdir (first, so
 * that ppgd binds at once). 0 or -1. */
int prepare(struct itest_daemon *d, const char *tag, struct smsc *s, const char *const *smsc_extra);

/* Writes the standard config plus sections (freed here) and starts ppgd. */
void launch(struct itest_daemon *d, const char *server_extra, char *sections);

#define OTA_SMS_SECTION \
	"[ota]\n" \
	"udp = %s\n" \
	"udp_port = %d\n" \
	"sms = yes\n" \
	"smsc = 127.0.0.1:%d\n" \
	"system_id = " SMSC_SYSTEM_ID "\n" \
	"password = " SMSC_PASSWORD "\n" \
	"receipts = %s\n" \
	"reconnect_min = 1\n" \
	"reconnect_max = 2\n" \
	"receipt_timeout = 60\n" \
	"retry_min = 1\n" \
	"retry_max = 2\n"

int wait_smsc_bound(struct itest_daemon *d, int want);

/* ================================== clean exit (sanitizer builds too) */

/* SIGTERM: ppgd exits 0 and its log has no sanitizer report (leaks are
 * reported at exit, and only when it exits by itself). */
void check_clean_exit(struct itest_daemon *d);

#endif
