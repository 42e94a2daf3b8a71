/*
 * test_ota_e2e.c - legacy Push OTA end to end (issue "Legacy Push OTA
 * bearer", item 4): the real ppgd, driven through its PAP HTTP interface,
 * delivering on 127.0.0.1 / ::1 to real peers the tests start themselves:
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
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "otabearer/ota.h"
#include "pap/pap.h"
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

static struct itest_daemon *ctx_d;     /* its log tail is printed on a failure */
static const char *ctx_files[4];       /* more logs to show (SMSC, sipp, tshark) */

static void dump_ctx(const char *file, unsigned line, const char *cond)
{
	fprintf(stderr, "\n%s:%u: FAILED: %s\n", file, line, cond);
	if (ctx_d)
		itest_daemon_print_log(ctx_d, 3000);
	for (size_t i = 0; i < sizeof ctx_files / sizeof ctx_files[0]; i++)
		if (ctx_files[i])
			itest_print_tail("peer log", ctx_files[i], 2500);
}

static void set_ctx(struct itest_daemon *d, const char *f0, const char *f1)
{
	ctx_d = d;
	memset(ctx_files, 0, sizeof ctx_files);
	ctx_files[0] = f0;
	ctx_files[1] = f1;
}

#define EXPECT_T_(ok, text, fatal) do { \
	int ok_ = (ok); \
	if (!ok_) \
		dump_ctx(__FILE__, __LINE__, text); \
	CU_assertImplementation(ok_ ? CU_TRUE : CU_FALSE, __LINE__, text, __FILE__, "", fatal); \
} while (0)
#define EXPECT(cond) EXPECT_T_((cond) ? 1 : 0, #cond, CU_FALSE)
#define EXPECT_FATAL(cond) EXPECT_T_((cond) ? 1 : 0, #cond, CU_TRUE)

#define EXPECT_INT(actual, expected) do { \
	long a_ = (long)(actual), e_ = (long)(expected); \
	if (a_ != e_) \
		fprintf(stderr, "\n  %s = %ld, expected %ld\n", #actual, a_, e_); \
	EXPECT_T_(a_ == e_, #actual " == " #expected, CU_FALSE); \
} while (0)

#define EXPECT_STR(actual, expected) do { \
	const char *a_ = (actual), *e_ = (expected); \
	int eq_ = a_ && e_ && !strcmp(a_, e_); \
	if (!eq_) \
		fprintf(stderr, "\n  %s = \"%s\", expected \"%s\"\n", #actual, a_ ? a_ : "(null)", e_); \
	EXPECT_T_(eq_, #actual " is " #expected, CU_FALSE); \
} while (0)

/* haystack contains needle, both printed on a failure. */
#define EXPECT_HAS(haystack, needle) do { \
	const char *h_ = (haystack), *n_ = (needle); \
	int in_ = h_ && n_ && strstr(h_, n_) != NULL; \
	if (!in_) \
		fprintf(stderr, "\n  %s = \"%s\" does not contain \"%s\"\n", #haystack, h_ ? h_ : "(null)", n_); \
	EXPECT_T_(in_, #haystack " contains " #needle, CU_FALSE); \
} while (0)

#define NEED(dmn) do { \
	if ((dmn).pid <= 0) \
		fprintf(stderr, "\nppgd is not running for this suite (see the start-up error above)\n"); \
	CU_ASSERT_FATAL((dmn).pid > 0); \
	ctx_d = &(dmn); \
} while (0)

static double wall_now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static void sleep_s(double s)
{
	if (s > 0)
		usleep((useconds_t)(s * 1e6));
}

static char *hex_of(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	for (size_t i = 0; s && i < n; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	if (s)
		s[2 * n] = '\0';
	return s;
}

/* Hex text (stops at the first non-hex character) to bytes; the count, or
 * (size_t)-1 when odd or longer than cap. */
static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (isxdigit((unsigned char)h[0])) {
		if (!isxdigit((unsigned char)h[1]) || n == cap)
			return (size_t)-1;
		char b[3] = { h[0], h[1], 0 };
		out[n++] = (uint8_t)strtoul(b, NULL, 16);
		h += 2;
	}
	return n;
}

/* ============================================================ content */

#define SI_XML(href, id, text) \
	"<?xml version=\"1.0\"?>\n" \
	"<!DOCTYPE si PUBLIC \"-//WAPFORUM//DTD SI 1.0//EN\" \"http://www.wapforum.org/DTD/si.dtd\">\n" \
	"<si><indication href=\"" href "\" si-id=\"" id "\" action=\"signal-medium\">" text \
	"</indication></si>"

/* ota_wbxml_compile of an SI/SL/CO document into a malloc'ed buffer. */
static uint8_t *wbxml_of(const char *xml, size_t *len)
{
	struct ota_buf b;
	const char *why = NULL;
	ota_buf_init(&b, NULL, 0);
	int r = ota_wbxml_compile(&b, xml, strlen(xml), NULL, &why);
	*len = 0;
	if (r != -ENOSPC && r != 0) {
		fprintf(stderr, "ota_wbxml_compile: %d %s\n", r, why ? why : "");
		return NULL;
	}
	uint8_t *out = malloc(b.len ? b.len : 1);
	size_t need = b.len;
	ota_buf_init(&b, out, need);
	if (ota_wbxml_compile(&b, xml, strlen(xml), NULL, &why) != 0) {
		free(out);
		return NULL;
	}
	*len = b.len;
	return out;
}

/* The Push PDU ppgd builds for a content (otabearer/ota_push.c): no Push-Flag,
 * Content-Length, no initiator URI. malloc'ed. */
static uint8_t *push_pdu(uint8_t tid, const char *ctype, const char *app_id, const uint8_t *body,
    size_t blen, size_t *len)
{
	struct ota_push p = {
		.tid = tid, .content_type = ctype, .app_id = app_id, .push_flag = -1,
		.content_length = true, .body = body, .body_len = blen,
	};
	struct ota_buf b;
	const char *why = NULL;
	ota_buf_init(&b, NULL, 0);
	int r = ota_push_encode(&b, &p, &why);
	*len = 0;
	if (r != 0 && r != -ENOSPC)
		return NULL;
	size_t need = b.len;
	uint8_t *out = malloc(need ? need : 1);
	ota_buf_init(&b, out, need);
	if (ota_push_encode(&b, &p, &why) != 0) {
		free(out);
		return NULL;
	}
	*len = b.len;
	return out;
}

/* ============================================================ PAP side */

static char *plmn_address(const char *number)
{
	return itest_asprintf("WAPPUSH=%s/TYPE=PLMN@ppg.example", number);
}

/*
 * A push-message in multipart/related: the PAP control entity (addresses,
 * optional <quality-of-service qos/>) and a content entity of ctype with
 * X-Wap-Application-Id app_id (NULL: none). *len gets the size.
 */
static char *push_body(const char *push_id, const char *const *addrs, const char *qos, const char *ctype,
    const char *app_id, const void *content, size_t clen, size_t *len)
{
	char *axml = strdup("");
	for (size_t i = 0; addrs[i]; i++) {
		char *n = itest_asprintf("%s  <address address-value=\"%s\"/>\n", axml, addrs[i]);
		free(axml);
		axml = n;
	}
	char *appl = app_id ? itest_asprintf("X-Wap-Application-Id: %s\r\n", app_id) : strdup("");
	char *qel = qos ? itest_asprintf("  <quality-of-service %s/>\n", qos) : strdup("");
	char *head = itest_asprintf(
	    "--" BOUNDARY "\r\n"
	    "Content-Type: application/xml; charset=UTF-8\r\n"
	    "\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n<pap>\n"
	    "<push-message push-id=\"%s\">\n%s%s"
	    "</push-message>\n</pap>\r\n"
	    "--" BOUNDARY "\r\n"
	    "Content-Type: %s\r\n"
	    "%s"
	    "\r\n",
	    push_id, axml, qel, ctype, appl);
	const char *tail = "\r\n--" BOUNDARY "--\r\n";
	size_t hl = strlen(head), tl = strlen(tail);
	char *b = malloc(hl + clen + tl + 1);
	memcpy(b, head, hl);
	memcpy(b + hl, content, clen);
	memcpy(b + hl + clen, tail, tl + 1);
	*len = hl + clen + tl;
	free(head);
	free(axml);
	free(appl);
	free(qel);
	return b;
}

/* Pushes content to the addresses; returns the push-response code. */
static int push_addrs(struct itest_daemon *d, const char *push_id, const char *const *addrs, const char *qos,
    const char *ctype, const char *app_id, const void *content, size_t clen)
{
	size_t len;
	char *body = push_body(push_id, addrs, qos, ctype, app_id, content, clen, &len);
	struct pap_msg *m = itest_pap_post(d, ALICE, MULTIPART_CT, body, len);
	int code = !m ? -1 : m->type != PAP_MSG_PUSH_RESPONSE ? -2 : m->nresults > 0 ? m->results[0].code : m->code;
	if (code != PAP_ACCEPTED)
		fprintf(stderr, "push %s to %s: code %d (%s)\n", push_id, addrs[0], code,
		    m && m->nresults && m->results[0].desc ? m->results[0].desc : "");
	pap_msg_free(m);
	free(body);
	return code;
}

static int push1(struct itest_daemon *d, const char *push_id, const char *addr, const char *qos,
    const char *ctype, const char *app_id, const void *content, size_t clen)
{
	const char *addrs[] = { addr, NULL };
	return push_addrs(d, push_id, addrs, qos, ctype, app_id, content, clen);
}

struct sq {
	enum pap_state state;
	int code;
	char desc[512];
};

/* statusquery of push_id: its first statusquery-result. 0, or -1. */
static int statusquery(struct itest_daemon *d, const char *push_id, struct sq *out)
{
	char *doc = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n<pap>"
	    "<statusquery-message push-id=\"%s\"/></pap>", push_id);
	struct pap_msg *m = itest_pap_post(d, ALICE, "application/xml", doc, strlen(doc));
	free(doc);
	memset(out, 0, sizeof *out);
	out->code = -1;
	if (!m || m->type != PAP_MSG_STATUSQUERY_RESPONSE || m->nresults < 1) {
		if (m && m->nresults >= 1)
			out->code = m->results[0].code;
		else if (m)
			out->code = m->code;
		pap_msg_free(m);
		return -1;
	}
	out->state = m->results[0].state;
	out->code = m->results[0].code;
	snprintf(out->desc, sizeof out->desc, "%s", m->results[0].desc ? m->results[0].desc : "");
	pap_msg_free(m);
	return 0;
}

/* The distinct descs a delivery went through, as statusquery showed them. */
struct history {
	char desc[8][512];
	size_t n;
};

static void history_add(struct history *h, const struct sq *q)
{
	if (!h || !q->desc[0])
		return;
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->desc[i], q->desc))
			return;
	if (h->n < sizeof h->desc / sizeof h->desc[0])
		snprintf(h->desc[h->n++], sizeof h->desc[0], "%s", q->desc);
}

/* Polls statusquery (every 50 ms) until the push's state is final or
 * timeout_s passed. Returns 0 when final (out holds it), -1 otherwise. */
static int wait_final(struct itest_daemon *d, const char *push_id, double timeout_s, struct sq *out,
    struct history *h)
{
	double end = itest_now() + timeout_s;
	for (;;) {
		int r = statusquery(d, push_id, out);
		if (r == 0)
			history_add(h, out);
		if (r == 0 && out->state != PAP_STATE_PENDING)
			return 0;
		if (itest_now() > end) {
			fprintf(stderr, "push %s: not final after %.1f s: %s %d \"%s\"\n", push_id, timeout_s,
			    pap_state_str(out->state), out->code, out->desc);
			return -1;
		}
		sleep_s(0.05);
	}
}

/* ============================================================ UDP side */

/* A receiver of this program on 127.0.0.1:port and [::1]:port. */
struct udprx {
	int port;
	int fd4, fd6;
};

static int udprx_open(struct udprx *u)
{
	u->fd4 = u->fd6 = -1;
	for (int tries = 0; tries < 50; tries++) {
		int port = itest_free_port_udp_tcp();
		if (port <= 0)
			continue;
		int f4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		int f6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		int one = 1, big = 1 << 20;
		struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
		a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a6.sin6_addr = in6addr_loopback;
		if (f6 >= 0)
			setsockopt(f6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		if (f4 >= 0 && f6 >= 0 && bind(f4, (struct sockaddr *)&a4, sizeof a4) == 0 &&
		    bind(f6, (struct sockaddr *)&a6, sizeof a6) == 0) {
			setsockopt(f4, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
			setsockopt(f6, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
			u->port = port;
			u->fd4 = f4;
			u->fd6 = f6;
			return 0;
		}
		if (f4 >= 0)
			close(f4);
		if (f6 >= 0)
			close(f6);
	}
	fprintf(stderr, "cannot bind a UDP port on both 127.0.0.1 and ::1\n");
	return -1;
}

static void udprx_close(struct udprx *u)
{
	if (u->fd4 >= 0)
		close(u->fd4);
	if (u->fd6 >= 0)
		close(u->fd6);
	u->fd4 = u->fd6 = -1;
}

/* One datagram within timeout_s: its length (buf), *family; -1 if none. */
static ssize_t udprx_recv(struct udprx *u, uint8_t *buf, size_t cap, double timeout_s, int *family)
{
	struct pollfd p[2] = { { .fd = u->fd4, .events = POLLIN }, { .fd = u->fd6, .events = POLLIN } };
	int ms = (int)(timeout_s * 1000);
	if (poll(p, 2, ms) <= 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (p[i].revents & POLLIN) {
			if (family)
				*family = i ? AF_INET6 : AF_INET;
			return recv(p[i].fd, buf, cap, MSG_DONTWAIT);
		}
	return -1;
}

static size_t udprx_drain(struct udprx *u)
{
	uint8_t buf[65536];
	size_t n = 0;
	while (udprx_recv(u, buf, sizeof buf, 0, NULL) >= 0)
		n++;
	return n;
}

/* ------------------------------------------------------------ tshark */

struct capture {
	pid_t pid;
	int port;
	char *pcap;
	char *log;
};

/* Starts tshark on lo for UDP port `port`, at most count packets or 10 s,
 * writing dir/NAME.pcap; waits until it says "Capturing on". 0 or -1. */
static int capture_start(struct capture *c, const char *dir, const char *name, int port, int count)
{
	char filter[64], cnt[16];
	memset(c, 0, sizeof *c);
	c->port = port;
	c->pcap = itest_asprintf("%s/%s.pcap", dir, name);
	c->log = itest_asprintf("%s/%s.tshark.log", dir, name);
	snprintf(filter, sizeof filter, "udp port %d", port);
	snprintf(cnt, sizeof cnt, "%d", count);
	const char *argv[] = { "tshark", "-i", "lo", "-f", filter, "-c", cnt, "-a", "duration:10", "-w", c->pcap,
		NULL };
	c->pid = itest_spawn(argv, dir, c->log);
	if (c->pid <= 0) {
		fprintf(stderr, "cannot start tshark: install the Debian package tshark (scripts/setup.sh does)\n");
		return -1;
	}
	double end = itest_now() + 15;
	while (itest_wait_file_has(c->log, "Capturing on", 0.05) != 0) {
		int code;
		if (itest_wait_pid(c->pid, 0, &code) == 0) {
			fprintf(stderr, "tshark exited at start-up (%d)\n", code);
			itest_print_tail("tshark", c->log, 2000);
			c->pid = 0;
			return -1;
		}
		if (itest_now() > end) {
			fprintf(stderr, "tshark did not start capturing within 15 s\n");
			itest_print_tail("tshark", c->log, 2000);
			return -1;
		}
	}
	/* "Capturing on" comes before dumpcap really captures; tshark 4.0 then
	 * logs "Capture started" once it does. Older ones do not: give them a
	 * moment instead. */
	if (itest_wait_file_has(c->log, "Capture started", 5) != 0)
		usleep(500 * 1000);
	usleep(100 * 1000);
	return 0;
}

/* Waits for tshark to end (count reached or 10 s); returns its exit code. */
static int capture_wait(struct capture *c)
{
	int code = -1;
	if (c->pid > 0) {
		if (itest_wait_pid(c->pid, 20, &code) != 0)
			code = itest_stop_pid(c->pid, SIGTERM, 5);
		c->pid = 0;
	}
	return code;
}

static void capture_free(struct capture *c)
{
	if (c->pid > 0)
		itest_stop_pid(c->pid, SIGTERM, 5);
	free(c->pcap);
	free(c->log);
	memset(c, 0, sizeof *c);
}

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
static size_t capture_decode(const struct capture *c, struct wsp_row *rows, size_t max)
{
	char decode_as[64];
	snprintf(decode_as, sizeof decode_as, "udp.port==%d,wsp", c->port);
	const char *argv[] = { "tshark", "-r", c->pcap, "-d", decode_as, "-T", "fields",
		"-e", "ip.dst", "-e", "ipv6.dst", "-e", "wsp.pdu_type", "-e", "wsp.header.content_type",
		"-e", "wsp.header.x_wap_application_id", "-e", "udp.payload", NULL };
	char *out = NULL, *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, NULL, 30, &out, &err, &code);
	size_t n = 0;
	if (code != 0)
		fprintf(stderr, "tshark -r %s: exit %d\n%s\n", c->pcap, code, err ? err : "");
	for (char *line = out, *next; code == 0 && line && *line && n < max; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *f[6] = { 0 };
		char *p = line;
		for (int i = 0; i < 6; i++) {
			f[i] = p;
			char *tab = p ? strchr(p, '\t') : NULL;
			if (tab)
				*tab = '\0';
			p = tab ? tab + 1 : NULL;
		}
		struct wsp_row *r = &rows[n];
		memset(r, 0, sizeof *r);
		snprintf(r->dst, sizeof r->dst, "%s", f[0] && *f[0] ? f[0] : f[1] ? f[1] : "");
		snprintf(r->pdu_type, sizeof r->pdu_type, "%s", f[2] ? f[2] : "");
		snprintf(r->ctype, sizeof r->ctype, "%s", f[3] ? f[3] : "");
		snprintf(r->app_id, sizeof r->app_id, "%s", f[4] ? f[4] : "");
		size_t len = f[5] ? unhex(f[5], r->payload, sizeof r->payload) : 0;
		r->len = len == (size_t)-1 ? 0 : len;
		n++;
	}
	free(out);
	free(err);
	return n;
}

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
static int smsc_start(struct smsc *s, const char *dir, const char *tag, const char *const *extra)
{
	char port[16];
	const char *argv[32];
	int n = 0;

	memset(s, 0, sizeof *s);
	s->port = itest_free_port();
	s->log = itest_asprintf("%s/smsc-%s.log", dir, tag);
	s->out = itest_asprintf("%s/smsc-%s.out", dir, tag);
	s->pidfile = itest_asprintf("%s/smsc-%s.pid", dir, tag);
	snprintf(port, sizeof port, "%d", s->port);
	argv[n++] = "perl";
	argv[n++] = tu_src("tests/smsc/smsc.pl");
	argv[n++] = "--port";
	argv[n++] = port;
	argv[n++] = "--system-id";
	argv[n++] = SMSC_SYSTEM_ID;
	argv[n++] = "--password";
	argv[n++] = SMSC_PASSWORD;
	argv[n++] = "--log";
	argv[n++] = s->log;
	argv[n++] = "--pidfile";
	argv[n++] = s->pidfile;
	for (size_t i = 0; extra && extra[i] && n < 30; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	char *script = strdup(argv[1]);   /* tu_src's buffer is static */
	argv[1] = script;
	s->pid = itest_spawn(argv, dir, s->out);
	free(script);
	if (s->pid <= 0)
		return -1;
	double end = itest_now() + 10;
	while (access(s->pidfile, F_OK) != 0) {
		int code;
		if (itest_wait_pid(s->pid, 0, &code) == 0) {
			fprintf(stderr, "smsc.pl exited at start-up (%d): is libnet-smpp-perl installed?\n", code);
			itest_print_tail("smsc.pl", s->out, 2000);
			s->pid = 0;
			return -1;
		}
		if (itest_now() > end) {
			fprintf(stderr, "smsc.pl does not listen on %d\n", s->port);
			return -1;
		}
		usleep(20000);
	}
	return 0;
}

static void smsc_free(struct smsc *s)
{
	if (s->pid > 0)
		itest_stop_pid(s->pid, SIGTERM, 5);
	free(s->log);
	free(s->out);
	free(s->pidfile);
	memset(s, 0, sizeof *s);
}

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

static const char *field(const char *line, const char *key, char *out, size_t cap)
{
	const char *p = strstr(line, key);
	if (!p)
		return NULL;
	p += strlen(key);
	size_t l = strcspn(p, " \n");
	if (l >= cap)
		l = cap - 1;
	memcpy(out, p, l);
	out[l] = '\0';
	return out;
}

/* Every submit_sm of the log, in order; *out malloc'ed. */
static size_t smsc_submits(const struct smsc *s, struct submit **out)
{
	size_t len = 0, n = 0;
	char *text = tu_read_file(s->log, &len);
	*out = NULL;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "submit_sm ", 10))
			continue;
		struct submit v = { 0 };
		char buf[600];
		if (field(line, " seq=", buf, sizeof buf))
			v.seq = (unsigned)strtoul(buf, NULL, 10);
		field(line, " dst=", v.dst, sizeof v.dst);
		if (field(line, " esm_class=", buf, sizeof buf))
			v.esm_class = (unsigned)strtoul(buf, NULL, 16);
		if (field(line, " data_coding=", buf, sizeof buf))
			v.data_coding = (unsigned)strtoul(buf, NULL, 16);
		if (field(line, " registered_delivery=", buf, sizeof buf))
			v.registered_delivery = (unsigned)strtoul(buf, NULL, 16);
		if (field(line, " sm=", buf, sizeof buf)) {
			size_t k = unhex(buf, v.sm, sizeof v.sm);
			v.smlen = k == (size_t)-1 ? 0 : k;
		}
		if (field(line, " status=", buf, sizeof buf))
			v.answered = !strcmp(buf, "0x00000000");
		field(line, " msg_id=", v.msg_id, sizeof v.msg_id);
		if (field(line, " t=", buf, sizeof buf))
			v.t = strtod(buf, NULL);
		struct submit *nv = realloc(*out, (n + 1) * sizeof *nv);
		if (!nv)
			break;
		*out = nv;
		nv[n++] = v;
	}
	free(text);
	return n;
}

/* Number of lines of the SMSC log that start with prefix. */
static size_t smsc_count(const struct smsc *s, const char *prefix)
{
	char *text = tu_read_file(s->log, NULL);
	size_t n = 0, pl = strlen(prefix);
	for (char *line = text; line && *line;) {
		if (!strncmp(line, prefix, pl))
			n++;
		char *nl = strchr(line, '\n');
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	return n;
}

/*
 * The answered submit_sm to dst reassembled (ota_wdp_reassemble) into
 * pdu[0..cap). *nseg gets the segment count, *t the time of the last one.
 * 0, or -1 (reason printed).
 */
static int smsc_pdu(const struct smsc *s, const char *dst, uint8_t *pdu, size_t cap, size_t *len,
    size_t *nseg, double *t_last, struct ota_wdp_udh *info)
{
	struct submit *v = NULL;
	size_t n = smsc_submits(s, &v), k = 0;
	struct ota_sms_segment segs[16];
	*len = 0;
	*nseg = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].dst, dst) || !v[i].answered)
			continue;
		if (k == 16 || v[i].smlen > OTA_SMS_MAX_OCTETS || v[i].smlen == 0) {
			fprintf(stderr, "submit_sm seq=%u to %s: %zu octets\n", v[i].seq, dst, v[i].smlen);
			free(v);
			return -1;
		}
		memcpy(segs[k].data, v[i].sm, v[i].smlen);
		segs[k].len = v[i].smlen;
		segs[k].udh_len = (size_t)v[i].sm[0] + 1;
		if (t_last)
			*t_last = v[i].t;
		k++;
	}
	free(v);
	*nseg = k;
	if (!k) {
		fprintf(stderr, "no answered submit_sm to %s in %s\n", dst, s->log);
		return -1;
	}
	const char *why = NULL;
	int r = ota_wdp_reassemble(segs, k, pdu, cap, len, info, &why);
	if (r < 0) {
		fprintf(stderr, "ota_wdp_reassemble of %zu segments to %s: %d %s\n", k, dst, r, why ? why : "");
		return -1;
	}
	return 0;
}

/* ============================================================ SIP side */

/* A sipp UAS playing the terminal at sip:NUMBER@127.0.0.1:PORT. */
struct term {
	int port;
	pid_t pid;
	char *scen;
	char *msglog;
	char *out;
};

static int term_start(struct term *t, const char *dir, int status, const char *phrase, int calls)
{
	char m[16];
	memset(t, 0, sizeof *t);
	t->scen = itest_sip_uas_scenario(dir, status, phrase, NULL);
	t->msglog = itest_asprintf("%s/term_%d.msg", dir, status);
	t->out = itest_asprintf("%s/term_%d.out", dir, status);
	if (!t->scen)
		return -1;
	snprintf(m, sizeof m, "%d", calls);
	const char *argv[] = { "sipp", "-sf", t->scen, "-m", m, "-i", "127.0.0.1", "-p", "@PORT@", "-nostdin",
		"-trace_msg", "-message_file", t->msglog, "-timeout", "60s", "-timeout_error", NULL };
	/* a free port, another one when it was taken before sipp's bind */
	t->pid = itest_sipp_start(argv, dir, t->out, 0, &t->port);
	if (t->pid <= 0) {
		t->pid = 0;
		return -1;
	}
	return 0;
}

/* Waits for the terminal's calls; its exit code (0: every call passed). */
static int term_wait(struct term *t, double timeout_s)
{
	int code = -1;
	if (t->pid > 0) {
		if (itest_wait_pid(t->pid, timeout_s, &code) != 0)
			code = itest_stop_pid(t->pid, SIGTERM, 5) == 0 ? -2 : -1;
		t->pid = 0;
	}
	return code;
}

static void term_free(struct term *t)
{
	if (t->pid > 0)
		itest_stop_pid(t->pid, SIGTERM, 5);
	free(t->scen);
	free(t->msglog);
	free(t->out);
	memset(t, 0, sizeof *t);
}

/* Third-party REGISTER of tel:+number with contact sip:number@127.0.0.1:cport
 * (tests/sipp/ota_register_tel.xml) to ppgd's SIP port; the final status
 * ppgd answered, or -1. */
static int register_tel(const char *dir, int sip_port, const char *number, int cport)
{
	static int seq;
	char *csv = itest_asprintf("SEQUENTIAL\n%s;%d;3600;\n", number, cport);
	char name[64], dst[32];
	snprintf(name, sizeof name, "reg_%d.csv", ++seq);
	char *csvpath = itest_write_file(dir, name, csv, strlen(csv));
	char *log = itest_asprintf("%s/reg_%d.msg", dir, seq);
	snprintf(dst, sizeof dst, "127.0.0.1:%d", sip_port);
	char scen[4096];
	snprintf(scen, sizeof scen, "%s", tu_src("tests/sipp/ota_register_tel.xml"));
	const char *argv[] = { "sipp", "-sf", scen, "-inf", csvpath, "-m", "1", "-i", "127.0.0.1",
		"-nostdin", "-trace_msg", "-message_file", log, "-timeout", "15s", "-recv_timeout", "5000", dst,
		NULL };
	char *out = NULL, *err = NULL;
	int code = -1, status = -1;
	itest_run_full(argv, NULL, dir, 30, &out, &err, &code);
	char *text = tu_read_file(log, NULL);
	/* "SIP/2.0 200 OK" of the answer to our REGISTER */
	for (const char *p = text; p && (p = strstr(p, "SIP/2.0 ")) != NULL; p += 8) {
		int st = 0;
		if (sscanf(p, "SIP/2.0 %d", &st) == 1 && st >= 200)
			status = st;
	}
	if (status != 200)
		fprintf(stderr, "REGISTER tel:+%s: sipp exit %d, status %d\n%s\n%s\n", number, code, status,
		    out ? out : "", err ? err : "");
	free(text);
	free(out);
	free(err);
	free(log);
	free(csvpath);
	free(csv);
	return status;
}

/* Number of MESSAGE requests in a sipp message log. */
static size_t term_messages(const struct term *t)
{
	char *text = tu_read_file(t->msglog, NULL);
	size_t n = 0;
	for (const char *p = text; p && (p = strstr(p, "\nMESSAGE ")) != NULL; p++)
		n++;
	free(text);
	return n;
}

/* ============================================================ daemons */

/* Creates d (tmpdir, port) and starts its SMSC in d's tmpdir (first, so
 * that ppgd binds at once). 0 or -1. */
static int prepare(struct itest_daemon *d, const char *tag, struct smsc *s, const char *const *smsc_extra)
{
	if (itest_daemon_init(d, tag) != 0)
		return -1;
	return smsc_start(s, d->dir, tag, smsc_extra);
}

/* Writes the standard config plus sections (freed here) and starts ppgd. */
static void launch(struct itest_daemon *d, const char *server_extra, char *sections)
{
	if (sections && itest_std_config(d, server_extra, sections) == 0)
		itest_daemon_start(d);
	free(sections);
}

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

static int wait_smsc_bound(struct itest_daemon *d, int want)
{
	/* "SMSC link up" appears once per bind */
	double end = itest_now() + 10;
	for (;;) {
		int n = itest_file_count(d->log, "SMSC link up");
		if (n >= want)
			return 0;
		if (itest_now() > end) {
			fprintf(stderr, "ppgd did not bind to the SMSC (%d of %d \"SMSC link up\")\n", n, want);
			return -1;
		}
		usleep(20000);
	}
}

/* ================================== suite: Push OTA (UDP, SMS, QoS, test_ppg) */

/*
 * One ppgd: [ota] udp to the port of this program's receiver (rx), sms to
 * an SMSC with receipts after 1.5 s; query_credentials for test_ppg.
 */
static struct itest_daemon dmain;
static struct smsc smain;
static struct udprx rx = { .fd4 = -1, .fd6 = -1 };

static int init_main(void)
{
	static const char *const extra[] = { "--receipts", "--receipt-delay", "1.5", NULL };
	if (udprx_open(&rx) != 0 || prepare(&dmain, "ota-main", &smain, extra) != 0)
		return 0;
	launch(&dmain, "query_credentials = yes\n",
	    itest_asprintf(OTA_SMS_SECTION, "yes", rx.port, smain.port, "yes"));
	if (dmain.pid > 0)
		wait_smsc_bound(&dmain, 1);
	return 0;
}

static int clean_main(void)
{
	smsc_free(&smain);
	itest_daemon_destroy(&dmain, 0);
	udprx_close(&rx);
	return 0;
}

#define SI_MMS SI_XML("http://www.example.com/mms/42", "mms-42@ota-e2e", "You have a new MMS")

/* Item 1: IPv4 and IPv6, captured by tshark and decoded by Wireshark's WSP
 * dissector; the payload decoded by ota_push_decode. */
static void t_udp_ipv4_ipv6_tshark(void)
{
	NEED(dmain);
	set_ctx(&dmain, NULL, NULL);
	udprx_drain(&rx);
	struct capture cap;
	int cs = capture_start(&cap, dmain.dir, "udp46", rx.port, 2);
	ctx_files[0] = cap.log;
	EXPECT_FATAL(cs == 0);

	const char *si = SI_MMS;
	EXPECT_INT(push1(&dmain, "udp4@ota-e2e", "WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example", NULL,
	    "text/vnd.wap.si", MMS_APP, si, strlen(si)), PAP_ACCEPTED);
	EXPECT_INT(push1(&dmain, "udp6@ota-e2e", "WAPPUSH=::1/TYPE=IPv6@ppg.example", NULL,
	    "text/vnd.wap.si", MMS_APP, si, strlen(si)), PAP_ACCEPTED);

	/* what this program's sockets received: one datagram per family */
	uint8_t buf[4096];
	int fam = 0, got4 = 0, got6 = 0;
	for (int i = 0; i < 2; i++) {
		ssize_t n = udprx_recv(&rx, buf, sizeof buf, 5, &fam);
		if (n > 0)
			fam == AF_INET ? got4++ : got6++;
	}
	EXPECT_INT(got4, 1);
	EXPECT_INT(got6, 1);

	int tcode = capture_wait(&cap);
	EXPECT_INT(tcode, 0);
	struct wsp_row rows[4];
	size_t n = capture_decode(&cap, rows, 4);
	EXPECT_INT(n, 2);
	size_t wlen = 0;
	uint8_t *want_body = wbxml_of(si, &wlen);
	EXPECT_FATAL(want_body != NULL);
	int seen4 = 0, seen6 = 0;
	for (size_t i = 0; i < n; i++) {
		struct wsp_row *r = &rows[i];
		fprintf(stderr, "\n  tshark: dst=%s pdu_type=%s content_type=%s app_id=%s (%zu octets)", r->dst,
		    r->pdu_type, r->ctype, r->app_id, r->len);
		seen4 += !strcmp(r->dst, "127.0.0.1");
		seen6 += !strcmp(r->dst, "::1");
		EXPECT_STR(r->pdu_type, "0x06");   /* Push */
		EXPECT_STR(r->ctype, "application/vnd.wap.sic");
		EXPECT_STR(r->app_id, MMS_APP);
		struct ota_push p;
		const char *why = NULL;
		int dr = ota_push_decode(r->payload, r->len, &p, &why);
		if (dr)
			fprintf(stderr, "\n  ota_push_decode: %d %s\n", dr, why ? why : "");
		EXPECT_INT(dr, 0);
		if (dr)
			continue;
		EXPECT_STR(p.content_type, "application/vnd.wap.sic");
		EXPECT_INT(p.app_id_code, 4);
		EXPECT(p.content_length && p.content_length_value == wlen);
		EXPECT(p.body_len == wlen && !memcmp(p.body, want_body, wlen));
		ota_push_release(&p);
	}
	EXPECT_INT(seen4, 1);
	EXPECT_INT(seen6, 1);
	free(want_body);

	struct sq q;
	EXPECT(wait_final(&dmain, "udp4@ota-e2e", 5, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/UDP");
	EXPECT_HAS(q.desc, "127.0.0.1");
	EXPECT(wait_final(&dmain, "udp6@ota-e2e", 5, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/UDP");
	EXPECT_HAS(q.desc, "::1");
	capture_free(&cap);
}

/* Item 2: a content of three SMS segments through the SMSC; delivered only
 * once the receipts came. */
static void t_sms_three_segments_receipt(void)
{
	NEED(dmain);
	set_ctx(&dmain, smain.log, NULL);
	char text[341];
	for (size_t i = 0; i < 340; i++)
		text[i] = (char)('a' + i % 26);
	text[340] = '\0';
	memcpy(text, "three-segments:", 15);
	char *addr = plmn_address("+15551230001");
	double t_push = wall_now();
	EXPECT_INT(push1(&dmain, "sms3@ota-e2e", addr, NULL, "text/plain", MMS_APP, text, 340), PAP_ACCEPTED);
	free(addr);

	/* pending, waiting for the receipt, after the SMSC took the segments */
	struct sq q;
	struct history h = { .n = 0 };
	int saw_waiting = 0;
	double end = itest_now() + 1.3;
	while (itest_now() < end && !saw_waiting) {
		if (statusquery(&dmain, "sms3@ota-e2e", &q) == 0) {
			history_add(&h, &q);
			saw_waiting = q.state == PAP_STATE_PENDING && strstr(q.desc, "waiting for the delivery receipt");
		}
		sleep_s(0.05);
	}
	EXPECT(saw_waiting);
	EXPECT(wait_final(&dmain, "sms3@ota-e2e", 15, &q, &h) == 0);
	double t_final = wall_now();
	for (size_t i = 0; i < h.n; i++)
		fprintf(stderr, "\n  history: %s", h.desc[i]);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/SMS");
	EXPECT_HAS(q.desc, "receipt stat:DELIVRD");

	struct submit *v = NULL;
	size_t n = smsc_submits(&smain, &v), mine = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].dst, "15551230001"))
			continue;
		mine++;
		EXPECT_INT(v[i].esm_class, 0x40);
		EXPECT_INT(v[i].data_coding, 0x04);
		EXPECT_INT(v[i].registered_delivery, 0x01);
		EXPECT(v[i].answered);
	}
	free(v);
	EXPECT_INT(mine, 3);
	EXPECT(smsc_count(&smain, "deliver_sm seq=") >= 3);

	uint8_t pdu[2048];
	size_t len = 0, nseg = 0;
	double t_last = 0;
	struct ota_wdp_udh info;
	EXPECT_FATAL(smsc_pdu(&smain, "15551230001", pdu, sizeof pdu, &len, &nseg, &t_last, &info) == 0);
	EXPECT_INT(nseg, 3);
	EXPECT(info.concat && !info.ref16 && info.total == 3);
	EXPECT(info.dst_port == OTA_WDP_PORT_PUSH && info.src_port == OTA_WDP_PORT_WSP_CL);
	size_t wl = 0;
	uint8_t *want = push_pdu(pdu[0], "text/plain", MMS_APP, (const uint8_t *)text, 340, &wl);
	EXPECT_FATAL(want != NULL);
	if (len != wl || memcmp(pdu, want, wl)) {
		char *a = hex_of(pdu, len), *b = hex_of(want, wl);
		fprintf(stderr, "\n  reassembled %s\n  expected    %s\n", a, b);
		free(a);
		free(b);
	}
	EXPECT(len == wl && !memcmp(pdu, want, wl));
	free(want);
	struct ota_push p;
	EXPECT_FATAL(ota_push_decode(pdu, len, &p, NULL) == 0);
	EXPECT_INT(p.tid, pdu[0]);
	EXPECT_STR(p.content_type, "text/plain");
	EXPECT_STR(p.app_id, MMS_APP);
	EXPECT_INT(p.app_id_code, 4);
	EXPECT(p.body_len == 340 && !memcmp(p.body, text, 340));
	ota_push_release(&p);
	/* delivered after the receipt (smsc.pl sends it 1.5 s after the submit) */
	fprintf(stderr, "\n  pushed %.3f, last segment %.3f, delivered seen %.3f\n", t_push, t_last, t_final);
	EXPECT(t_final - t_last >= 1.4);
}

/* Item 5: network-required. */
static void t_qos_network_required(void)
{
	NEED(dmain);
	set_ctx(&dmain, NULL, NULL);
	udprx_drain(&rx);
	const char *si = SI_MMS;
	const char *v4 = "WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example";
	EXPECT_INT(push1(&dmain, "qos-gsm@ota-e2e", v4, "network=\"GSM\" network-required=\"true\"",
	    "text/vnd.wap.si", MMS_APP, si, strlen(si)), PAP_ACCEPTED);
	struct sq q;
	EXPECT(wait_final(&dmain, "qos-gsm@ota-e2e", 5, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/UDP");
	uint8_t buf[4096];
	EXPECT(udprx_recv(&rx, buf, sizeof buf, 3, NULL) > 0);

	EXPECT_INT(push1(&dmain, "qos-cdma@ota-e2e", v4, "network=\"IS-95 CDMA\" network-required=\"true\"",
	    "text/vnd.wap.si", MMS_APP, si, strlen(si)), PAP_ACCEPTED);
	EXPECT(wait_final(&dmain, "qos-cdma@ota-e2e", 5, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_REJECTED);
	EXPECT_INT(q.code, PAP_NETWORK_NOT_AVAIL);
	EXPECT_HAS(q.desc, "IS-95 CDMA");
	EXPECT(udprx_recv(&rx, buf, sizeof buf, 0.5, NULL) < 0);   /* nothing sent */
}

static void t_qos_bearer_required_sms_ipv4(void)
{
	NEED(dmain);
	set_ctx(&dmain, NULL, NULL);
	udprx_drain(&rx);
	const char *si = SI_MMS;
	EXPECT_INT(push1(&dmain, "qos-sms-v4@ota-e2e", "WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example",
	    "bearer=\"SMS\" bearer-required=\"true\"", "text/vnd.wap.si", MMS_APP, si, strlen(si)),
	    PAP_ACCEPTED);
	struct sq q;
	EXPECT(wait_final(&dmain, "qos-sms-v4@ota-e2e", 5, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_REJECTED);
	EXPECT_INT(q.code, PAP_BEARER_NOT_AVAIL);
	EXPECT_HAS(q.desc, "SMS");
	uint8_t buf[4096];
	EXPECT(udprx_recv(&rx, buf, sizeof buf, 0.5, NULL) < 0);
}

static void t_qos_confirmed_ipv4(void)
{
	NEED(dmain);
	set_ctx(&dmain, NULL, NULL);
	udprx_drain(&rx);
	const char *si = SI_MMS;
	EXPECT_INT(push1(&dmain, "qos-confirmed@ota-e2e", "WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example",
	    "delivery-method=\"confirmed\"", "text/vnd.wap.si", MMS_APP, si, strlen(si)), PAP_ACCEPTED);
	struct sq q;
	EXPECT(wait_final(&dmain, "qos-confirmed@ota-e2e", 5, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_REJECTED);
	EXPECT_INT(q.code, PAP_DELIVERY_METHOD_NOT_POSS);
	uint8_t buf[4096];
	EXPECT(udprx_recv(&rx, buf, sizeof buf, 0.5, NULL) < 0);
}

static void t_qos_preferconfirmed_ipv4(void)
{
	NEED(dmain);
	set_ctx(&dmain, NULL, NULL);
	udprx_drain(&rx);
	const char *si = SI_MMS;
	EXPECT_INT(push1(&dmain, "qos-prefer@ota-e2e", "WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example",
	    "delivery-method=\"preferconfirmed\"", "text/vnd.wap.si", MMS_APP, si, strlen(si)), PAP_ACCEPTED);
	struct sq q;
	EXPECT(wait_final(&dmain, "qos-prefer@ota-e2e", 5, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/UDP");
	uint8_t buf[4096];
	ssize_t n = udprx_recv(&rx, buf, sizeof buf, 3, NULL);
	EXPECT(n > 0);
	struct ota_push p;
	if (n > 0 && ota_push_decode(buf, (size_t)n, &p, NULL) == 0) {
		EXPECT_STR(p.content_type, "application/vnd.wap.sic");
		ota_push_release(&p);
	} else {
		EXPECT(!"the datagram decodes as a Push PDU");
	}
}

/* Item 6: Kannel's test_ppg (configuration-file mode, -b: HTTP Basic). */
static int run_test_ppg(struct itest_daemon *d, const char *tag, const char *pap_xml, const char *content,
    const char *const *opts)
{
	if (access(TEST_PPG, X_OK) != 0)
		fprintf(stderr, "\n%s is missing: install the Debian package kannel-extras "
		    "(scripts/setup.sh does)\n", TEST_PPG);
	if (access(TEST_PPG, X_OK) != 0)
		return -1;
	char name[128];
	snprintf(name, sizeof name, "%s-pap.xml", tag);
	char *pap_path = itest_write_file(d->dir, name, pap_xml, strlen(pap_xml));
	snprintf(name, sizeof name, "%s-content.xml", tag);
	char *content_path = itest_write_file(d->dir, name, content, strlen(content));
	char *conf = itest_asprintf(
	    "group = test-ppg\nretries = 0\npi-ssl = no\n\n"
	    "group = configuration\npush-url = \"%s\"\npap-file = \"%s\"\ncontent-file = \"%s\"\n"
	    "username = alice\npassword = %s\n",
	    d->url, pap_path, content_path, ITEST_ALICE_SECRET);
	snprintf(name, sizeof name, "%s-test_ppg.conf", tag);
	char *conf_path = itest_write_file(d->dir, name, conf, strlen(conf));
	const char *argv[16];
	int n = 0;
	argv[n++] = TEST_PPG;
	argv[n++] = "-v";
	argv[n++] = "1";
	argv[n++] = "-q";
	argv[n++] = "-b";
	for (size_t i = 0; opts[i] && n < 12; i++)
		argv[n++] = opts[i];
	argv[n++] = conf_path;
	argv[n] = NULL;
	char *out = NULL, *err = NULL;
	int code = -1;
	itest_run_full(argv, NULL, d->dir, 30, &out, &err, &code);
	int ok = code == 0 && err && strstr(err, "1 succeeded, 0 failed");
	if (!ok)
		fprintf(stderr, "\ntest_ppg exit %d\nstdout: %s\nstderr: %s\n", code, out ? out : "", err ? err : "");
	free(out);
	free(err);
	free(conf);
	free(pap_path);
	free(content_path);
	free(conf_path);
	return ok ? 0 : -1;
}

static void t_test_ppg_si_ipv4_udp(void)
{
	NEED(dmain);
	set_ctx(&dmain, NULL, NULL);
	udprx_drain(&rx);
	const char *pap =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP//EN\"\n"
	    "          \"http://www.wapforum.org/DTD/pap_1.0.dtd\">\n"
	    "<pap>\n"
	    "  <push-message push-id=\"kannel-si@ota-e2e\"\n"
	    "  progress-notes-requested=\"false\">\n"
	    "    <address address-value=\"WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example\">\n"
	    "    </address>\n"
	    "    <quality-of-service\n"
	    "    priority=\"low\"\n"
	    "    delivery-method=\"unconfirmed\">\n"
	    "    </quality-of-service>\n"
	    "  </push-message>\n"
	    "</pap>\n";
	const char *si =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE si PUBLIC \"-//WAPFORUM//DTD SI 1.0//EN\"\n"
	    "\"http://www.wapforum.org/DTD/si.dtd\">\n"
	    "<si>\n"
	    "    <indication href=\"http://www.example.com/mms/1\"\n"
	    "        si-id=\"1@itest\"\n"
	    "        action=\"signal-high\">\n"
	    "            You have a new MMS\n"
	    "    </indication>\n"
	    "</si>\n";
	const char *opts[] = { "-c", "si", "-a", "mms", NULL };
	EXPECT_FATAL(run_test_ppg(&dmain, "si", pap, si, opts) == 0);
	struct sq q;
	EXPECT(wait_final(&dmain, "kannel-si@ota-e2e", 5, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/UDP");
	uint8_t buf[4096];
	int fam = 0;
	ssize_t n = udprx_recv(&rx, buf, sizeof buf, 3, &fam);
	EXPECT_FATAL(n > 0);
	EXPECT_INT(fam, AF_INET);
	struct ota_push p;
	const char *why = NULL;
	int dr = ota_push_decode(buf, (size_t)n, &p, &why);
	if (dr)
		fprintf(stderr, "\n  ota_push_decode: %d %s\n", dr, why ? why : "");
	EXPECT_FATAL(dr == 0);
	size_t wl = 0;
	uint8_t *want = wbxml_of(si, &wl);
	EXPECT_STR(p.content_type, "application/vnd.wap.sic");
	EXPECT_INT(p.app_id_code, 4);   /* -a mms: X-WAP-Application-Id: mms.ua */
	EXPECT(want && p.body_len == wl && !memcmp(p.body, want, wl));
	free(want);
	ota_push_release(&p);
}

static void t_test_ppg_sl_numeric_plmn_sms(void)
{
	NEED(dmain);
	set_ctx(&dmain, smain.log, NULL);
	const char *pap =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP//EN\"\n"
	    "          \"http://www.wapforum.org/DTD/pap_1.0.dtd\">\n"
	    "<pap>\n"
	    "  <push-message push-id=\"kannel-sl@ota-e2e\"\n"
	    "  progress-notes-requested=\"false\">\n"
	    "    <address address-value=\"WAPPUSH=+358408201681/TYPE=PLMN@ppg.example\">\n"
	    "    </address>\n"
	    "    <quality-of-service\n"
	    "    priority=\"low\"\n"
	    "    delivery-method=\"unconfirmed\"\n"
	    "    network-required=\"true\"\n"
	    "    network=\"gsm\"\n"
	    "    bearer-required=\"true\"\n"
	    "    bearer=\"sms\">\n"
	    "    </quality-of-service>\n"
	    "  </push-message>\n"
	    "</pap>\n";
	const char *sl =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE sl PUBLIC \"-//WAPFORUM//DTD SL 1.0//EN\"\n"
	    "\"http://www.wapforum.org/DTD/sl.dtd\">\n"
	    "<sl href=\"http://wap.iobox.fi\" action=\"execute-high\">\n"
	    "</sl>\n";
	const char *opts[] = { "-c", "sl", "-a", "ua", "-n", NULL };
	EXPECT_FATAL(run_test_ppg(&dmain, "sl", pap, sl, opts) == 0);
	struct sq q;
	EXPECT(wait_final(&dmain, "kannel-sl@ota-e2e", 15, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/SMS: delivered");
	uint8_t pdu[1024];
	size_t len = 0, nseg = 0;
	EXPECT_FATAL(smsc_pdu(&smain, "358408201681", pdu, sizeof pdu, &len, &nseg, NULL, NULL) == 0);
	EXPECT_INT(nseg, 1);
	struct ota_push p;
	EXPECT_FATAL(ota_push_decode(pdu, len, &p, NULL) == 0);
	size_t wl = 0;
	uint8_t *want = wbxml_of(sl, &wl);
	EXPECT_STR(p.content_type, "application/vnd.wap.slc");
	EXPECT_INT(p.app_id_code, 2);   /* -a ua -n: X-WAP-Application-Id: 2 (wml.ua) */
	EXPECT(want && p.body_len == wl && !memcmp(p.body, want, wl));
	free(want);
	ota_push_release(&p);
}

/* ================================== suite: SMS without receipts */

static struct itest_daemon dnorc;
static struct smsc snorc;

static int init_norc(void)
{
	if (prepare(&dnorc, "ota-norc", &snorc, NULL) != 0)
		return 0;
	launch(&dnorc, NULL, itest_asprintf(OTA_SMS_SECTION, "no", 2948, snorc.port, "no"));
	if (dnorc.pid > 0)
		wait_smsc_bound(&dnorc, 1);
	return 0;
}

static int clean_norc(void)
{
	smsc_free(&snorc);
	itest_daemon_destroy(&dnorc, 0);
	return 0;
}

static void t_sms_no_receipts_delivered_on_acceptance(void)
{
	NEED(dnorc);
	set_ctx(&dnorc, snorc.log, NULL);
	char text[341];
	memset(text, 'x', 340);
	text[340] = '\0';
	char *addr = plmn_address("+15551230002");
	EXPECT_INT(push1(&dnorc, "norc@ota-e2e", addr, NULL, "text/plain", MMS_APP, text, 340), PAP_ACCEPTED);
	free(addr);
	struct sq q;
	EXPECT(wait_final(&dnorc, "norc@ota-e2e", 10, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/SMS");
	EXPECT_HAS(q.desc, "3 segments accepted by the SMSC (unconfirmed)");
	struct submit *v = NULL;
	size_t n = smsc_submits(&snorc, &v), mine = 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].dst, "15551230002")) {
			mine++;
			EXPECT_INT(v[i].registered_delivery, 0x00);
			EXPECT(v[i].answered);
		}
	free(v);
	EXPECT_INT(mine, 3);
	EXPECT_INT(smsc_count(&snorc, "deliver_sm "), 0);
}

/* ================================== suite: the SMSC drops the link mid-load */

#define NDROP 50
#define DROP_AFTER "20"

static struct itest_daemon ddrop;
static struct smsc sdrop;

static int init_drop(void)
{
	static const char *const extra[] = { "--receipts", "--drop-after", DROP_AFTER, NULL };
	if (prepare(&ddrop, "ota-drop", &sdrop, extra) != 0)
		return 0;
	launch(&ddrop, NULL, itest_asprintf(OTA_SMS_SECTION "window = 10\n", "no", 2948, sdrop.port, "yes"));
	if (ddrop.pid > 0)
		wait_smsc_bound(&ddrop, 1);
	return 0;
}

static int clean_drop(void)
{
	smsc_free(&sdrop);
	itest_daemon_destroy(&ddrop, 0);
	return 0;
}

static void t_sms_drop_mid_load(void)
{
	NEED(ddrop);
	set_ctx(&ddrop, sdrop.log, NULL);
	double t0 = itest_now();
	int accepted[NDROP];
	int naccepted = 0;
	for (int i = 0; i < NDROP; i++) {
		char id[64], num[32], text[64];
		snprintf(id, sizeof id, "drop-%02d@ota-e2e", i);
		snprintf(num, sizeof num, "+155520000%02d", i);
		snprintf(text, sizeof text, "load push %02d", i);
		char *addr = plmn_address(num);
		accepted[i] = push1(&ddrop, id, addr, NULL, "text/plain", MMS_APP, text, strlen(text)) == PAP_ACCEPTED;
		naccepted += accepted[i];
		free(addr);
	}
	EXPECT_INT(naccepted, NDROP);
	/* every accepted push reaches delivered: statusquery each push-id */
	int delivered = 0, lost = 0;
	for (int i = 0; i < NDROP; i++) {
		if (!accepted[i])
			continue;
		char id[64];
		snprintf(id, sizeof id, "drop-%02d@ota-e2e", i);
		struct sq q;
		double left = 40 - (itest_now() - t0);
		if (wait_final(&ddrop, id, left > 1 ? left : 1, &q, NULL) == 0 && q.state == PAP_STATE_DELIVERED &&
		    q.code == PAP_OK)
			delivered++;
		else {
			lost++;
			fprintf(stderr, "\n  %s: %s %d \"%s\"", id, pap_state_str(q.state), q.code, q.desc);
		}
	}
	fprintf(stderr, "\n  %d of %d accepted pushes delivered in %.1f s", delivered, naccepted,
	    itest_now() - t0);
	EXPECT_INT(delivered, naccepted);
	EXPECT_INT(lost, 0);

	/* the SMSC's side: the drop happened, ppgd bound again */
	EXPECT_INT(smsc_count(&sdrop, "drop seq="), 1);
	EXPECT(smsc_count(&sdrop, "bind cmd=bind_transceiver") >= 2);
	EXPECT(wait_smsc_bound(&ddrop, 2) == 0);
	/* each number got an answered submit_sm; duplicates printed */
	struct submit *v = NULL;
	size_t n = smsc_submits(&sdrop, &v);
	int missing = 0, dup_answered = 0, dup_all = 0;
	for (int i = 0; i < NDROP; i++) {
		char dst[32];
		snprintf(dst, sizeof dst, "155520000%02d", i);
		int all = 0, ok = 0;
		for (size_t k = 0; k < n; k++)
			if (!strcmp(v[k].dst, dst)) {
				all++;
				ok += v[k].answered;
			}
		if (!ok)
			missing++;
		if (all > 1) {
			dup_all++;
			fprintf(stderr, "\n  duplicate in the SMSC log: %s submitted %d times (%d answered)", dst, all, ok);
		}
		if (ok > 1)
			dup_answered++;
	}
	fprintf(stderr, "\n  SMSC log: %zu submit_sm for %d pushes; %d numbers submitted more than once, "
	    "%d answered more than once\n", n, NDROP, dup_all, dup_answered);
	free(v);
	EXPECT_INT(missing, 0);
	/* at-least-once: the dropped submit is sent again; one that the SMSC
	 * answered before the drop must not be */
	EXPECT_INT(dup_answered, 0);
}

/* ========== suite: the SMSC resets the link after answering (query_sm) */

/*
 * The SMSC answers a submit_sm, then resets the connection (RST) before the
 * delivery receipt: the receipt is lost with the link. After the reconnect
 * ppgd asks with query_sm for the segments still waiting for a receipt and
 * maps the answer like a receipt, instead of waiting receipt_timeout (60 s
 * here, 600 s by default). The first query is answered DELIVERED, the
 * second UNDELIVERABLE.
 */
static struct itest_daemon dqsm;
static struct smsc sqsm;

static int init_qsm(void)
{
	static const char *const extra[] = { "--receipts", "--receipt-delay", "1", "--abort-after-answer",
		"1,2", "--query-state", "2,5", NULL };
	if (prepare(&dqsm, "ota-qsm", &sqsm, extra) != 0)
		return 0;
	launch(&dqsm, NULL, itest_asprintf(OTA_SMS_SECTION, "no", 2948, sqsm.port, "yes"));
	if (dqsm.pid > 0)
		wait_smsc_bound(&dqsm, 1);
	return 0;
}

static int clean_qsm(void)
{
	smsc_free(&sqsm);
	itest_daemon_destroy(&dqsm, 0);
	return 0;
}

/* The k-th line (from 0) of the SMSC log starting with prefix, copied into
 * out; 0, or -1 when there is none. */
static int smsc_line(const struct smsc *s, const char *prefix, size_t k, char *out, size_t cap)
{
	char *text = tu_read_file(s->log, NULL);
	size_t pl = strlen(prefix);
	int r = -1;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!strncmp(line, prefix, pl) && k-- == 0) {
			snprintf(out, cap, "%s", line);
			r = 0;
			break;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	return r;
}

/* One push whose submit the SMSC answers then resets: final through query_sm. */
static void qsm_case(const char *push_id, const char *number, size_t k, enum pap_state want_state,
    const char *want_stat, int want_state_value)
{
	char *addr = plmn_address(number);
	double t_push = wall_now();
	EXPECT_INT(push1(&dqsm, push_id, addr, NULL, "text/plain", MMS_APP, "query me", 8), PAP_ACCEPTED);
	free(addr);
	struct sq q;
	struct history h = { .n = 0 };
	EXPECT(wait_final(&dqsm, push_id, 15, &q, &h) == 0);
	double t_final = wall_now();
	for (size_t i = 0; i < h.n; i++)
		fprintf(stderr, "\n  history: %s", h.desc[i]);
	EXPECT_INT(q.state, want_state);
	EXPECT_HAS(q.desc, "query_sm stat:");
	EXPECT_HAS(q.desc, want_stat);

	char abort_line[256], query_line[256], buf[64], msg_id[32] = "";
	EXPECT_FATAL(smsc_line(&sqsm, "abort ", k, abort_line, sizeof abort_line) == 0);
	EXPECT_FATAL(smsc_line(&sqsm, "query_sm ", k, query_line, sizeof query_line) == 0);
	field(abort_line, " msg_id=", msg_id, sizeof msg_id);
	double t_abort = field(abort_line, " t=", buf, sizeof buf) ? strtod(buf, NULL) : 0;
	double t_query = field(query_line, " t=", buf, sizeof buf) ? strtod(buf, NULL) : 0;
	/* the query names the message the SMSC answered before the reset */
	EXPECT(msg_id[0] != '\0');
	EXPECT(field(query_line, " msg_id=", buf, sizeof buf) && !strcmp(buf, msg_id));
	EXPECT(field(query_line, " status=", buf, sizeof buf) && !strcmp(buf, "0x00000000"));
	EXPECT(field(query_line, " state=", buf, sizeof buf) && atoi(buf) == want_state_value);
	/* no receipt was ever sent for it: the query alone ended it */
	char dl[64];
	snprintf(dl, sizeof dl, "deliver_sm seq=");
	for (size_t i = 0; smsc_line(&sqsm, dl, i, buf, sizeof buf) == 0; i++)
		EXPECT(!strstr(buf, msg_id));
	/* recovered within the reconnect delay (1 s) and a round trip, not
	 * the receipt_timeout (60 s) */
	EXPECT(t_query > t_abort && t_query - t_abort < 4);
	EXPECT(t_final - t_abort < 5);
	fprintf(stderr, "\n  %s: pushed %.3f, SMSC reset after answering %.3f, query_sm %.3f s after the reset, "
	    "%s seen %.3f s after the reset (receipt_timeout 60 s)\n", push_id, t_push, t_abort,
	    t_query - t_abort, pap_state_str(q.state), t_final - t_abort);
}

static void t_qsm_delivered(void)
{
	NEED(dqsm);
	set_ctx(&dqsm, sqsm.log, NULL);
	qsm_case("qsm-1@ota-e2e", "+15552220001", 0, PAP_STATE_DELIVERED, "DELIVRD", 2);
	EXPECT(wait_smsc_bound(&dqsm, 2) == 0);
}

static void t_qsm_undeliverable(void)
{
	NEED(dqsm);
	set_ctx(&dqsm, sqsm.log, NULL);
	qsm_case("qsm-2@ota-e2e", "+15552220002", 1, PAP_STATE_UNDELIVERABLE, "UNDELIV", 5);
	/* two resets, two queries, each submit answered once (nothing resent) */
	EXPECT_INT(smsc_count(&sqsm, "abort "), 2);
	EXPECT_INT(smsc_count(&sqsm, "query_sm "), 2);
	EXPECT_INT(smsc_count(&sqsm, "submit_sm "), 2);
}

/* ================================== suite: SIP Push -> SMS migration */

static struct itest_daemon dmig;
static struct smsc smig;
static int mig_sip_port;

static int init_mig(void)
{
	static const char *const extra[] = { "--receipts", NULL };
	if (prepare(&dmig, "ota-mig", &smig, extra) != 0)
		return 0;
	mig_sip_port = itest_free_port_udp_tcp();
	launch(&dmig, NULL, itest_asprintf(
	    "[sip]\n"
	    "enabled = yes\n"
	    "listen = sip:127.0.0.1:%d\n"
	    "from = sip:ppg@operator.example\n"
	    "transaction_timeout = 5\n"
	    "retry_min = 1\n"
	    "retry_max = 2\n"
	    "\n" OTA_SMS_SECTION "plmn_fallback = yes\nsip_fallback = yes\n",
	    mig_sip_port, "no", 2948, smig.port, "yes"));
	if (dmig.pid > 0)
		wait_smsc_bound(&dmig, 1);
	return 0;
}

static int clean_mig(void)
{
	smsc_free(&smig);
	itest_daemon_destroy(&dmig, 0);
	return 0;
}

static size_t submits_to(const struct smsc *s, const char *dst)
{
	struct submit *v = NULL;
	size_t n = smsc_submits(s, &v), k = 0;
	for (size_t i = 0; i < n; i++)
		k += !strcmp(v[i].dst, dst);
	free(v);
	return k;
}

static void t_mig_registered_goes_sip(void)
{
	NEED(dmig);
	struct term t;
	int ts = term_start(&t, dmig.dir, 200, "OK", 1);
	set_ctx(&dmig, smig.log, t.out);
	EXPECT_FATAL(ts == 0);
	EXPECT_INT(register_tel(dmig.dir, mig_sip_port, "15551239001", t.port), 200);
	const char *text = "migrated: this one goes over SIP Push";
	EXPECT_INT(push1(&dmig, "mig-sip@ota-e2e", "WAPPUSH=+15551239001/TYPE=PLMN@ppg.example", NULL,
	    "text/plain", MMS_APP, text, strlen(text)), PAP_ACCEPTED);
	struct sq q;
	EXPECT(wait_final(&dmig, "mig-sip@ota-e2e", 10, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "SIP 200");
	EXPECT_INT(term_wait(&t, 10), 0);
	EXPECT_INT(term_messages(&t), 1);
	EXPECT_INT(submits_to(&smig, "15551239001"), 0);
	term_free(&t);
}

static void t_mig_unregistered_goes_sms(void)
{
	NEED(dmig);
	set_ctx(&dmig, smig.log, NULL);
	const char *text = "no SIP registration: SMS";
	EXPECT_INT(push1(&dmig, "mig-sms@ota-e2e", "WAPPUSH=+15551239002/TYPE=PLMN@ppg.example", NULL,
	    "text/plain", MMS_APP, text, strlen(text)), PAP_ACCEPTED);
	struct sq q;
	EXPECT(wait_final(&dmig, "mig-sms@ota-e2e", 10, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/SMS");
	EXPECT_HAS(q.desc, "no live SIP registration");
	EXPECT_INT(submits_to(&smig, "15551239002"), 1);
	uint8_t pdu[1024];
	size_t len = 0, nseg = 0;
	EXPECT_FATAL(smsc_pdu(&smig, "15551239002", pdu, sizeof pdu, &len, &nseg, NULL, NULL) == 0);
	struct ota_push p;
	EXPECT_FATAL(ota_push_decode(pdu, len, &p, NULL) == 0);
	EXPECT_STR(p.content_type, "text/plain");
	EXPECT(p.body_len == strlen(text) && !memcmp(p.body, text, p.body_len));
	ota_push_release(&p);
}

static void t_mig_sip_480_falls_back_to_sms(void)
{
	NEED(dmig);
	struct term t;
	int ts = term_start(&t, dmig.dir, 480, "Temporarily Unavailable", 1);
	set_ctx(&dmig, smig.log, t.out);
	EXPECT_FATAL(ts == 0);
	EXPECT_INT(register_tel(dmig.dir, mig_sip_port, "15551239003", t.port), 200);
	const char *text = "SIP says 480: SMS after all";
	EXPECT_INT(push1(&dmig, "mig-480@ota-e2e", "WAPPUSH=+15551239003/TYPE=PLMN@ppg.example", NULL,
	    "text/plain", MMS_APP, text, strlen(text)), PAP_ACCEPTED);
	struct sq q;
	struct history h = { .n = 0 };
	EXPECT(wait_final(&dmig, "mig-480@ota-e2e", 15, &q, &h) == 0);
	for (size_t i = 0; i < h.n; i++)
		fprintf(stderr, "\n  history: %s", h.desc[i]);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "OTA/SMS");
	EXPECT_HAS(q.desc, "SIP Push could not reach the terminal");
	EXPECT_INT(term_wait(&t, 10), 0);
	EXPECT_INT(term_messages(&t), 1);
	EXPECT_INT(submits_to(&smig, "15551239003"), 1);
	term_free(&t);
}

/* ================================== clean exit (sanitizer builds too) */

/* SIGTERM: ppgd exits 0 and its log has no sanitizer report (leaks are
 * reported at exit, and only when it exits by itself). */
static void check_clean_exit(struct itest_daemon *d)
{
	NEED(*d);
	set_ctx(d, NULL, NULL);
	int st = itest_daemon_stop(d);
	EXPECT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char *log = tu_read_file(d->log, NULL);
	EXPECT(log != NULL);
	EXPECT(log && !strstr(log, "Sanitizer"));
	EXPECT(log && !strstr(log, "runtime error"));
	free(log);
}


static void t_main_clean_exit(void) { check_clean_exit(&dmain); }
static void t_norc_clean_exit(void) { check_clean_exit(&dnorc); }
static void t_drop_clean_exit(void) { check_clean_exit(&ddrop); }
static void t_mig_clean_exit(void) { check_clean_exit(&dmig); }
static void t_qsm_clean_exit(void) { check_clean_exit(&dqsm); }

/* ============================ suite: a receipt that comes after a restart */

/* ppgd on SQLite restarted between a submit and its receipt (3 s later):
 * the message id is in the database, so the receipt that reaches the new
 * run (which, having taken back its own lease, already sent the SMS again)
 * is matched: the delivery ends delivered by the first message's receipt. */
static struct itest_daemon drst;
static struct smsc srst;

static int init_rst(void)
{
	static const char *const extra[] = { "--receipts", "--receipt-delay", "3", NULL };
	if (prepare(&drst, "ota-rst", &srst, extra) != 0)
		return 0;
	launch(&drst, NULL, itest_asprintf(OTA_SMS_SECTION, "no", 2948, srst.port, "yes"));
	if (drst.pid > 0)
		wait_smsc_bound(&drst, 1);
	return 0;
}

static int clean_rst(void)
{
	smsc_free(&srst);
	itest_daemon_destroy(&drst, 0);
	return 0;
}

static void t_rst_receipt_after_restart(void)
{
	NEED(drst);
	set_ctx(&drst, srst.log, NULL);
	char *addr = plmn_address("+15551230055");
	EXPECT_INT(push1(&drst, "rst@ota-e2e", addr, NULL, "text/plain", MMS_APP, "before the restart", 18),
	    PAP_ACCEPTED);
	free(addr);
	/* the first submit, answered: its message id */
	char first[16] = "";
	double end = itest_now() + 10;
	while (!first[0] && itest_now() < end) {
		struct submit *v = NULL;
		size_t n = smsc_submits(&srst, &v);
		for (size_t i = 0; i < n && !first[0]; i++)
			if (!strcmp(v[i].dst, "15551230055") && v[i].answered)
				snprintf(first, sizeof first, "%s", v[i].msg_id);
		free(v);
		if (!first[0])
			usleep(50000);
	}
	EXPECT_FATAL(first[0] != '\0');
	usleep(300000);
	EXPECT_INT(smsc_count(&srst, "deliver_sm "), 0);   /* its receipt is still to come */
	EXPECT_INT(itest_daemon_stop(&drst), 0);
	EXPECT_INT(itest_daemon_start(&drst), 0);
	EXPECT_INT(wait_smsc_bound(&drst, 2), 0);
	struct sq q;
	EXPECT(wait_final(&drst, "rst@ota-e2e", 15, &q, NULL) == 0);
	EXPECT_INT(q.state, PAP_STATE_DELIVERED);
	EXPECT_INT(q.code, PAP_OK);
	EXPECT_HAS(q.desc, "receipt stat:DELIVRD");
	/* matched by the message id the first run stored */
	char want[64];
	snprintf(want, sizeof want, "(message id %s)", first);
	char *log = tu_read_file(drst.log, NULL);
	EXPECT(log && strstr(log, want));
	free(log);
}

/* ---------------------------------------------------------------- main */

int main(void)
{
	static const struct itest_test_def main_tests[] = {
		{ "UDP: SI to 127.0.0.1 and ::1, tshark sees WSP Push sic mms.ua", t_udp_ipv4_ipv6_tshark },
		{ "SMS: 3 segments, reassembled PDU, delivered after the receipts", t_sms_three_segments_receipt },
		{ "QoS: network-required GSM delivered, IS-95 CDMA 3009", t_qos_network_required },
		{ "QoS: bearer-required SMS to IPv4 -> 3010", t_qos_bearer_required_sms_ipv4 },
		{ "QoS: confirmed to IPv4 -> 3007", t_qos_confirmed_ipv4 },
		{ "QoS: preferconfirmed to IPv4 -> delivered over UDP", t_qos_preferconfirmed_ipv4 },
		{ "test_ppg: SI to IPv4 delivered over UDP", t_test_ppg_si_ipv4_udp },
		{ "test_ppg: SL, numeric app id, PLMN, through the SMSC", t_test_ppg_sl_numeric_plmn_sms },
		{ "SIGTERM: exit 0, no sanitizer report", t_main_clean_exit },
		{ NULL, NULL },
	};
	static const struct itest_test_def norc[] = {
		{ "receipts = no: delivered when the SMSC accepts", t_sms_no_receipts_delivered_on_acceptance },
		{ "SIGTERM: exit 0, no sanitizer report", t_norc_clean_exit },
		{ NULL, NULL },
	};
	static const struct itest_test_def drop[] = {
		{ "SMSC drops mid-load: reconnect, all 50 delivered", t_sms_drop_mid_load },
		{ "SIGTERM: exit 0, no sanitizer report", t_drop_clean_exit },
		{ NULL, NULL },
	};
	static const struct itest_test_def qsm[] = {
		{ "SMSC resets after answering: query_sm says DELIVERED, delivered", t_qsm_delivered },
		{ "SMSC resets after answering: query_sm says UNDELIVERABLE", t_qsm_undeliverable },
		{ "SIGTERM: exit 0, no sanitizer report", t_qsm_clean_exit },
		{ NULL, NULL },
	};
	static const struct itest_test_def rst[] = {
		{ "a receipt after a restart (SQLite) finds its delivery", t_rst_receipt_after_restart },
		{ NULL, NULL },
	};
	static const struct itest_test_def mig[] = {
		{ "registered tel: PLMN push goes over SIP", t_mig_registered_goes_sip },
		{ "unregistered PLMN goes over SMS (plmn_fallback)", t_mig_unregistered_goes_sms },
		{ "SIP 480 -> the same delivery over SMS (sip_fallback)", t_mig_sip_480_falls_back_to_sms },
		{ "SIGTERM: exit 0, no sanitizer report", t_mig_clean_exit },
		{ NULL, NULL },
	};

	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("Push OTA: UDP, SMS, QoS, test_ppg", init_main, clean_main, main_tests) ||
	    itest_add_suite("Push OTA: SMS without receipts", init_norc, clean_norc, norc) ||
	    itest_add_suite("Push OTA: SMSC drops the link", init_drop, clean_drop, drop) ||
	    itest_add_suite("Push OTA: SMSC resets after answering (query_sm)", init_qsm, clean_qsm, qsm) ||
	    itest_add_suite("Push OTA: SIP Push migration", init_mig, clean_mig, mig) ||
	    itest_add_suite("Push OTA: a receipt after a restart", init_rst, clean_rst, rst)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
