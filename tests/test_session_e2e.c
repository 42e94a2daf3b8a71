/*
 * test_session_e2e.c - session-mode push end to end (OMA-TS-SIP_Push §9.3;
 * issue 9 item 1): the real ppgd, driven through PAP over HTTP, delivering
 * in INVITE + MSRP sessions to real peers the tests start:
 *   - sipp terminals (tests/sipp/e2e_uas_session.xml, e2e_uas_invite_*.xml)
 *     registered by a third-party REGISTER whose Contact says
 *     methods="INVITE,..." (tests/sipp/e2e_register_session.xml), answering
 *     the INVITE with an SDP whose a=path points at
 *   - an MSRP receiver in this program (a thread with a TCP listener) that
 *     parses with sipb_msrp_parse, checks every SEND (To-Path, From-Path,
 *     Message-ID, Byte-Range, Content-Type, the report headers, the
 *     continuation flag), reassembles the content, compares it with what
 *     was pushed, answers 200 to each SEND and sends the REPORT - 000 200, or
 *     an error status, or drops the connection mid-transfer, as a test asks.
 * Outcomes are asserted through statusquery and what the peers received.
 * Processes are started and stopped by PID (tests/itest.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "pap/pap.h"
#include "sipbearer/sipb_msrp.h"
#include "tests/itest.h"
#include "tests/itest_sip.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sqlite3.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BOUNDARY "sess-9a7c"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""
#define ALICE "alice", ITEST_ALICE_SECRET
#define MMS_CT "application/vnd.wap.mms-message"
#define SIZE 10240          /* 3 chunks of 4096 */

static struct itest_daemon dd;
static int dd_sip;
static const char *ctx_log;    /* sipp log shown on a failure */

static void show_ctx(const char *what)
{
	fprintf(stderr, "\n  FAILED: %s\n", what);
	itest_daemon_print_log(&dd, 3000);
	itest_print_tail("sipp", ctx_log, 3000);
}

#define EXPECT(c) do { int ok_ = (c) ? 1 : 0; if (!ok_) show_ctx(#c); CU_ASSERT(ok_); } while (0)
#define EXPECT_INT(a, e) do { long a_ = (long)(a), e_ = (long)(e); \
	if (a_ != e_) { fprintf(stderr, "\n  %s = %ld, expected %ld", #a, a_, e_); show_ctx(#a); } \
	CU_ASSERT(a_ == e_); } while (0)

/* ------------------------------------------------------------ content */

static void content(unsigned char *b, size_t n, int seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)((i * 131 + (size_t)seed * 7 + 3) & 0xff);
	memcpy(b, "MMS-", 4);
	/* an MSRP end-line look-alike inside the content */
	memcpy(b + 5000, "\r\n-------abcd$\r\n", 16);
}

/* ------------------------------------------------------------ PAP */

static int push(const char *push_id, const char *user, const void *body, size_t clen)
{
	char *head = itest_asprintf(
	    "--" BOUNDARY "\r\nContent-Type: application/xml; charset=UTF-8\r\n\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>\n"
	    "<push-message push-id=\"%s\">\n"
	    "  <address address-value=\"WAPPUSH=sip%%3A%s%%40example.com/TYPE=USER\"/>\n"
	    "</push-message>\n</pap>\r\n"
	    "--" BOUNDARY "\r\nContent-Type: " MMS_CT "\r\n"
	    "X-Wap-Application-Id: x-wap-application:mms.ua\r\n\r\n", push_id, user);
	const char *tail = "\r\n--" BOUNDARY "--\r\n";
	size_t hl = strlen(head), tl = strlen(tail);
	char *b = malloc(hl + clen + tl);
	memcpy(b, head, hl);
	memcpy(b + hl, body, clen);
	memcpy(b + hl + clen, tail, tl);
	struct pap_msg *m = itest_pap_post(&dd, ALICE, MULTIPART_CT, b, hl + clen + tl);
	int code = !m ? -1 : m->nresults ? m->results[0].code : m->code;
	pap_msg_free(m);
	free(b);
	free(head);
	return code;
}

struct sq {
	enum pap_state state;
	int code;
	char desc[512];
};

static int statusquery(const char *push_id, struct sq *q)
{
	char *doc = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>"
	    "<statusquery-message push-id=\"%s\"/></pap>", push_id);
	struct pap_msg *m = itest_pap_post(&dd, ALICE, "application/xml", doc, strlen(doc));
	free(doc);
	memset(q, 0, sizeof *q);
	q->code = -1;
	int ok = m && m->type == PAP_MSG_STATUSQUERY_RESPONSE && m->nresults >= 1;
	if (ok) {
		q->state = m->results[0].state;
		q->code = m->results[0].code;
		snprintf(q->desc, sizeof q->desc, "%s", m->results[0].desc ? m->results[0].desc : "");
	}
	pap_msg_free(m);
	return ok ? 0 : -1;
}

static int wait_final(const char *push_id, double timeout_s, struct sq *q)
{
	double end = itest_now() + timeout_s;
	for (;;) {
		if (statusquery(push_id, q) == 0 && q->state != PAP_STATE_PENDING) {
			fprintf(stderr, "\n    %s: %s %d \"%s\"", push_id, pap_state_str(q->state), q->code, q->desc);
			return 0;
		}
		if (itest_now() > end) {
			fprintf(stderr, "\n    %s: not final after %.1f s: %d \"%s\"", push_id, timeout_s, q->code,
			    q->desc);
			return -1;
		}
		usleep(100000);
	}
}

/* ------------------------------------------------------------ sipp */

struct term {
	int port;
	pid_t pid;
	char *msglog, *out, *scen;
};

/* A copy of tests/sipp/NAME with each from[i] replaced by to[i]. */
static char *scenario(const char *name, const char *const *from, const char *const *to, size_t n)
{
	static int seq;
	char fname[64];
	snprintf(fname, sizeof fname, "scen_%d.xml", ++seq);
	return itest_subst_file(dd.dir, name, fname, from, to, n);
}

static int term_start(struct term *t, char *scen, int calls)
{
	static int seq;
	char m[16];
	memset(t, 0, sizeof *t);
	t->scen = scen;
	t->msglog = itest_asprintf("%s/term_%d.msg", dd.dir, ++seq);
	t->out = itest_asprintf("%s/term_%d.out", dd.dir, seq);
	snprintf(m, sizeof m, "%d", calls);
	const char *argv[] = { "sipp", "-sf", scen, "-m", m, "-i", "127.0.0.1", "-p", "@PORT@", "-nostdin",
		"-trace_msg", "-message_file", t->msglog, "-timeout", "60s", "-timeout_error", NULL };
	/* a free port, another one when it was taken before sipp's bind */
	t->pid = scen ? itest_sipp_start(argv, dd.dir, t->out, 0, &t->port) : -1;
	ctx_log = t->msglog;
	if (t->pid <= 0)
		t->pid = 0;
	return t->pid > 0 ? 0 : -1;
}

static int term_wait(struct term *t, double timeout_s)
{
	int code = -1;
	if (t->pid > 0 && itest_wait_pid(t->pid, timeout_s, &code) == 0)
		t->pid = 0;
	return t->pid > 0 ? -1 : code;
}

static void term_free(struct term *t)
{
	if (t->pid > 0)
		itest_stop_pid(t->pid, SIGTERM, 5);
	ctx_log = NULL;
	free(t->msglog);
	free(t->out);
	free(t->scen);
	memset(t, 0, sizeof *t);
}

static int term_log_has(const struct term *t, const char *text)
{
	return itest_file_has(t->msglog, text);
}

/* The third-party REGISTER of user with contact 127.0.0.1:cport, taking
 * sessions. The status answered, or -1. */
static int reg(const char *user, int cport)
{
	int st = -1;
	itest_sip_register_scen("tests/sipp/e2e_register_session.xml", dd.dir, "127.0.0.1", dd_sip, &user, &cport,
	    600, 1, &st);
	return st;
}

/* ------------------------------------------------------ MSRP receiver */

/* MR_HOLD_FIRST: the first connection stops answering after its second
 * chunk and waits until ppgd's side closes (the test kills ppgd meanwhile). */
/* MR_SLOW: every SEND answered at once, the REPORT only MR_SLOW_MS after
 * the last chunk (a receiver that takes its time storing the message). */
enum mr_mode { MR_OK, MR_REPORT_415, MR_DROP_FIRST, MR_HOLD_FIRST, MR_SLOW };
#define MR_SLOW_MS 8000

static struct mrecv {
	int lfd, port;
	pthread_t th;
	atomic_int stop;
	enum mr_mode mode;
	const unsigned char *expect;
	size_t expect_len;
	atomic_int conns, chunks, complete, errors, reports, holding;
	int drops_left;
	char err[256];
	/* msrps: the receiver's certificate (NULL: plain TCP), and the TLS
	 * handshakes that did not complete (ppgd refused the certificate) */
	gnutls_certificate_credentials_t cred;
	atomic_int tls_failed;
	char relay_prefix[64];   /* the relay's URIs begin so ("": no relay) */
} mr;

/* The receiver's connection: TCP, or TLS over it (GnuTLS server side). */
struct mr_io {
	int fd;
	gnutls_session_t s;
};

static ssize_t mr_recv(struct mr_io *io, void *b, size_t n)
{
	if (!io->s)
		return recv(io->fd, b, n, 0);
	ssize_t r;
	do
		r = gnutls_record_recv(io->s, b, n);
	while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
	return r < 0 ? -1 : r;
}

static ssize_t mr_send(struct mr_io *io, const void *b, size_t n)
{
	if (!io->s)
		return send(io->fd, b, n, MSG_NOSIGNAL);
	ssize_t r;
	do
		r = gnutls_record_send(io->s, b, n);
	while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
	return r < 0 ? -1 : r;
}

/* Data ready: buffered in the TLS session, or on the socket. */
static int mr_poll(struct mr_io *io, int ms)
{
	if (io->s && gnutls_record_check_pending(io->s) > 0)
		return 1;
	struct pollfd p = { .fd = io->fd, .events = POLLIN };
	return poll(&p, 1, ms);
}

static void mr_fail(const char *what, const char *detail)
{
	if (!mr.err[0])
		snprintf(mr.err, sizeof mr.err, "%s %s", what, detail);
	atomic_fetch_add(&mr.errors, 1);
}

static int str_eq(const struct sipb_msrp_str *s, const char *v)
{
	return s->p && s->n == strlen(v) && !memcmp(s->p, v, s->n);
}

static int str_prefix(const struct sipb_msrp_str *s, const char *v)
{
	return s->p && s->n >= strlen(v) && !memcmp(s->p, v, strlen(v));
}

/* One connection: every SEND checked and answered, REPORT at the end. */
static void mr_conn(int fd)
{
	size_t cap = 1 << 20, len = 0, got = 0;
	char *buf = malloc(cap);
	unsigned char *msg = malloc(mr.expect_len + 1);
	char mid[64] = "", prefix[64];
	int in_conn = 0;
	struct sipb_msrp_rng rng = { 42 };
	const char *scheme = mr.cred ? "msrps" : "msrp";
	char ppgd_prefix[32];
	struct mr_io io = { .fd = fd };
	snprintf(prefix, sizeof prefix, "%s://127.0.0.1:%d/term", scheme, mr.port);
	snprintf(ppgd_prefix, sizeof ppgd_prefix, "%s://127.0.0.1:9/", scheme);
	if (mr.cred) {
		struct timeval tv = { .tv_sec = 5 };
		int r;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		if (gnutls_init(&io.s, GNUTLS_SERVER) < 0 || gnutls_set_default_priority(io.s) < 0 ||
		    gnutls_credentials_set(io.s, GNUTLS_CRD_CERTIFICATE, mr.cred) < 0) {
			mr_fail("TLS", "session setup");
			goto out;
		}
		gnutls_transport_set_int(io.s, fd);
		do
			r = gnutls_handshake(io.s);
		while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
		if (r < 0) {
			atomic_fetch_add(&mr.tls_failed, 1);
			goto out;
		}
	}
	atomic_fetch_add(&mr.conns, 1);
	for (;;) {
		if (mr_poll(&io, 100) <= 0) {
			if (atomic_load(&mr.stop))
				break;
			continue;
		}
		ssize_t n = mr_recv(&io, buf + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		size_t off = 0;
		for (;;) {
			struct sipb_msrp_msg m;
			ssize_t k = sipb_msrp_parse(buf + off, len - off, 0, &m);
			if (k == 0)
				break;
			if (k < 0) {
				mr_fail("unparsable MSRP:", m.error ? m.error : "?");
				goto out;
			}
			off += (size_t)k;
			if (m.is_response || m.method_id != MSRP_SEND) {
				mr_fail("unexpected MSRP", m.is_response ? "response" : "request");
				continue;
			}
			in_conn++;
			atomic_fetch_add(&mr.chunks, 1);
			if (!str_prefix(&m.to_path, prefix))
				mr_fail("To-Path is not", prefix);
			/* ppgd's URI, after the relay's when there is one (RFC 4976 §7) */
			char want_from[64];
			snprintf(want_from, sizeof want_from, "%s%s", mr.relay_prefix[0] ? " " : "", ppgd_prefix);
			if ((mr.relay_prefix[0] && !str_prefix(&m.from_path, mr.relay_prefix)) || !m.from_path.p ||
			    !memmem(m.from_path.p, m.from_path.n, want_from, strlen(want_from)))
				mr_fail("From-Path", "not [the relay's URI] ppgd's msrp[s]://127.0.0.1:9/<session>;tcp");
			if (mr.relay_prefix[0] && memchr(m.to_path.p, ' ', m.to_path.n))
				mr_fail("To-Path", "still lists the relay");
			if (!m.message_id.p || !m.message_id.n) {
				mr_fail("no", "Message-ID");
			} else if (!mid[0]) {
				snprintf(mid, sizeof mid, "%.*s", (int)m.message_id.n, m.message_id.p);
			} else if (!str_eq(&m.message_id, mid)) {
				mr_fail("Message-ID changed within", "the message");
			}
			if (!str_eq(&m.content_type, MMS_CT))
				mr_fail("Content-Type is not", MMS_CT);
			if (m.success_report != MSRP_REP_YES || m.failure_report != MSRP_REP_YES)
				mr_fail("Success-Report / Failure-Report:", "yes missing");
			if (!m.has_byte_range || m.range_start != got + 1 || m.range_end != got + m.body_len ||
			    m.range_total != mr.expect_len)
				mr_fail("Byte-Range", "does not follow the bytes received");
			if (got + m.body_len > mr.expect_len) {
				mr_fail("more bytes", "than pushed");
				goto out;
			}
			memcpy(msg + got, m.body, m.body_len);
			got += m.body_len;
			if (m.flag != (got == mr.expect_len ? '$' : '+'))
				mr_fail("continuation flag", "wrong");
			if (mr.mode == MR_DROP_FIRST && mr.drops_left > 0 && in_conn == 2) {
				mr.drops_left--;
				goto out;   /* the connection drops mid-transfer, unanswered */
			}
			if (mr.mode == MR_HOLD_FIRST && mr.drops_left > 0 && in_conn == 2) {
				mr.drops_left--;
				atomic_store(&mr.holding, 1);
				/* unanswered until the other side goes away */
				for (;;) {
					if (atomic_load(&mr.stop))
						break;
					if (mr_poll(&io, 100) > 0 && mr_recv(&io, buf, cap) <= 0)
						break;
				}
				atomic_store(&mr.holding, 2);
				goto out;
			}
			char tid[MSRP_TID_MAX + 1], to[256], me[256], out[2048], rtid[MSRP_TID_MAX + 1];
			snprintf(tid, sizeof tid, "%.*s", (int)m.tid.n, m.tid.p);
			snprintf(to, sizeof to, "%.*s", (int)strcspn(m.from_path.p, " \r\n"), m.from_path.p);
			/* the REPORT goes back along the whole From-Path (through the relay) */
			char back[512];
			snprintf(back, sizeof back, "%.*s", (int)m.from_path.n, m.from_path.p);
			snprintf(me, sizeof me, "%.*s", (int)m.to_path.n, m.to_path.p);
			ssize_t w = sipb_msrp_write_response(out, sizeof out, tid, 200, NULL, to, me);
			if (w > 0)
				(void)!mr_send(&io, out, (size_t)w);
			if (m.flag == '$') {
				if (got == mr.expect_len && !memcmp(msg, mr.expect, got))
					atomic_fetch_add(&mr.complete, 1);
				else
					mr_fail("reassembled content", "differs from the push");
				for (int i = 0; mr.mode == MR_SLOW && i < MR_SLOW_MS / 50 && !atomic_load(&mr.stop); i++)
					usleep(50000);
				struct sipb_msrp_report_req rr = { .to_path = back, .from_path = me, .message_id = mid,
					.start = 1, .end = got, .total = got,
					.status = mr.mode == MR_REPORT_415 ? 415 : 200 };
				w = sipb_msrp_write_report(out, sizeof out, &rr, &rng, rtid);
				if (w > 0 && mr_send(&io, out, (size_t)w) == w)
					atomic_fetch_add(&mr.reports, 1);
				/* a relay may bring the next session's message on the
				 * same connection (RFC 4975 §5: connections are shared) */
				mid[0] = '\0';
				got = 0;
			}
		}
		memmove(buf, buf + off, len - off);
		len -= off;
	}
out:
	if (io.s) {
		gnutls_bye(io.s, GNUTLS_SHUT_WR);
		gnutls_deinit(io.s);
	}
	close(fd);
	free(buf);
	free(msg);
}

static void *mr_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&mr.stop)) {
		struct pollfd p = { .fd = mr.lfd, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0)
			continue;
		int fd = accept(mr.lfd, NULL, NULL);
		if (fd >= 0)
			mr_conn(fd);
	}
	return NULL;
}

static int mr_start(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	mr.lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (mr.lfd < 0 || bind(mr.lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(mr.lfd, 8) < 0 ||
	    getsockname(mr.lfd, (struct sockaddr *)&a, &al) < 0)
		return -1;
	mr.port = ntohs(a.sin_port);
	return pthread_create(&mr.th, NULL, mr_thread, NULL) == 0 ? 0 : -1;
}

/* Resets the receiver's counters for one test (between sessions only). */
static void mr_expect(enum mr_mode mode, const unsigned char *b, size_t n)
{
	mr.mode = mode;
	mr.expect = b;
	mr.expect_len = n;
	mr.drops_left = mode == MR_DROP_FIRST || mode == MR_HOLD_FIRST ? 1 : 0;
	atomic_store(&mr.holding, 0);
	atomic_store(&mr.conns, 0);
	atomic_store(&mr.chunks, 0);
	atomic_store(&mr.complete, 0);
	atomic_store(&mr.errors, 0);
	atomic_store(&mr.reports, 0);
	atomic_store(&mr.tls_failed, 0);
	mr.err[0] = '\0';
}

static void mr_check(void)
{
	if (atomic_load(&mr.errors))
		fprintf(stderr, "\n  MSRP receiver: %d error(s), first: %s", atomic_load(&mr.errors), mr.err);
	EXPECT_INT(atomic_load(&mr.errors), 0);
}

/* ------------------------------------------------------------ suite */

static int init_with(const char *tag, const char *extra)
{
	atomic_store(&mr.stop, 0);
	if (mr_start() < 0 || itest_daemon_init(&dd, tag) != 0)
		return 0;   /* the tests see dd.pid == 0 */
	dd_sip = itest_free_port_udp_tcp();
	char *sections = itest_asprintf(
	    "[sip]\nenabled = yes\nlisten = sip:127.0.0.1:%d\nfrom = sip:ppg@operator.example\n"
	    "p_asserted_identity = <sip:ppg@operator.example>\n"
	    "session_threshold = 1000\nmsrp_chunk_size = 4096\n%s", dd_sip, extra);
	if (itest_std_config(&dd, NULL, sections) == 0)
		itest_daemon_start(&dd);
	free(sections);
	return 0;
}

static int init_sess(void)
{
	return init_with("sess", "session_timeout = 3\n"
	    "retry_min = 1\nretry_max = 1\nmax_attempts = 3\ntransaction_timeout = 3\n"
	    "fetch_timeout = 10\n");
}

/* Leases of 3 s (transaction_timeout + fetch_timeout + lease_margin) and
 * sessions that may take 20 s. */
static int init_lease(void)
{
	return init_with("lease", "session_timeout = 20\n"
	    "retry_min = 1\nretry_max = 1\nmax_attempts = 3\ntransaction_timeout = 1\n"
	    "fetch_timeout = 1\n[database]\nlease_margin = 1\n");
}

static int clean_sess(void)
{
	atomic_store(&mr.stop, 1);
	if (mr.lfd > 0) {
		pthread_join(mr.th, NULL);
		close(mr.lfd);
		mr.lfd = 0;
	}
	itest_daemon_destroy(&dd, 0);
	return 0;
}

#define NEED() CU_ASSERT_FATAL(dd.pid > 0)

static char *sess_scen(void)
{
	char port[16];
	snprintf(port, sizeof port, "%d", mr.port);
	const char *from[] = { "@MSRPPORT@" }, *to[] = { port };
	return scenario("tests/sipp/e2e_uas_session.xml", from, to, 1);
}

static char *reply_scen(const char *status, const char *phrase)
{
	const char *from[] = { "@STATUS@", "@PHRASE@" }, *to[] = { status, phrase };
	return scenario("tests/sipp/e2e_uas_invite_reply.xml", from, to, 2);
}

/* 10 KiB to a terminal taking sessions: INVITE with the SDP offer, 200,
 * ACK, 3 SEND chunks, REPORT 000 200 -> delivered 1000, then BYE. */
static void t_delivered(void)
{
	NEED();
	static unsigned char c[SIZE];
	struct term t;
	struct sq q;
	content(c, SIZE, 1);
	mr_expect(MR_OK, c, SIZE);
	EXPECT(term_start(&t, sess_scen(), 1) == 0);
	EXPECT_INT(reg("s1", t.port), 200);
	EXPECT_INT(push("s1@sess", "s1", c, SIZE), 1001);
	EXPECT(wait_final("s1@sess", 10, &q) == 0);
	EXPECT(!strcmp(pap_state_str(q.state), "delivered"));
	EXPECT_INT(q.code, 1000);
	EXPECT(strstr(q.desc, "REPORT 000 200") != NULL);
	EXPECT_INT(term_wait(&t, 10), 0);   /* INVITE, ACK and BYE as the scenario says */
	EXPECT_INT(atomic_load(&mr.conns), 1);
	EXPECT_INT(atomic_load(&mr.chunks), 3);
	EXPECT_INT(atomic_load(&mr.complete), 1);
	EXPECT_INT(atomic_load(&mr.reports), 1);
	mr_check();
	/* the INVITE as §9.3.2.1 wants it */
	EXPECT(term_log_has(&t, "INVITE sip:s1@127.0.0.1:"));
	EXPECT(term_log_has(&t, "Accept-Contact: *;+g.oma.pusheventapp=\"mms.ua\""));
	EXPECT(term_log_has(&t, "P-Asserted-Identity: <sip:ppg@operator.example>"));
	EXPECT(term_log_has(&t, "Content-Type: application/sdp"));
	EXPECT(term_log_has(&t, "m=message 9 TCP/MSRP *"));
	EXPECT(term_log_has(&t, "a=accept-types:" MMS_CT));
	EXPECT(term_log_has(&t, "a=path:msrp://127.0.0.1:9/"));
	EXPECT(term_log_has(&t, "a=sendonly"));
	EXPECT(term_log_has(&t, "a=file-selector:name:\"push-"));
	EXPECT(term_log_has(&t, "ACK sip:term@127.0.0.1:"));
	EXPECT(term_log_has(&t, "BYE sip:term@127.0.0.1:"));
	term_free(&t);
}

/* The terminal refuses the session with 488: pager mode with content
 * indirection (session_fallback = yes): the MESSAGE's URL is fetched,
 * then delivered 1000. */
static void t_488_fallback(void)
{
	NEED();
	static unsigned char c[SIZE];
	struct term t;
	struct sq q;
	content(c, SIZE, 2);
	mr_expect(MR_OK, c, SIZE);
	EXPECT(term_start(&t, reply_scen("488", "Not Acceptable Here"), 2) == 0);
	EXPECT_INT(reg("s2", t.port), 200);
	EXPECT_INT(push("s2@sess", "s2", c, SIZE), 1001);
	/* the MESSAGE's reference, then the fetch */
	double end = itest_now() + 10;
	char *url = NULL;
	while (!url && itest_now() < end) {
		char *s = tu_read_file(t.msglog, NULL);
		const char *u = s ? strstr(s, "URL=\"") : NULL;
		if (u)
			url = strndup(u + 5, strcspn(u + 5, "\""));
		free(s);
		usleep(50000);
	}
	EXPECT(url != NULL);
	EXPECT(term_log_has(&t, "MESSAGE sip:s2@127.0.0.1:"));
	EXPECT(term_log_has(&t, "message/external-body"));
	if (url) {
		struct itest_resp r;
		EXPECT(itest_http("GET", url, NULL, NULL, 0, NULL, NULL, &r) == 0);
		EXPECT_INT(r.status, 200);
		EXPECT(r.len == SIZE && !memcmp(r.body, c, SIZE));
		itest_resp_free(&r);
	}
	EXPECT(wait_final("s2@sess", 10, &q) == 0);
	EXPECT(!strcmp(pap_state_str(q.state), "delivered"));
	EXPECT_INT(q.code, 1000);
	EXPECT_INT(term_wait(&t, 10), 0);
	EXPECT_INT(atomic_load(&mr.conns), 0);   /* no MSRP */
	free(url);
	term_free(&t);
}

/* 486 to the INVITE maps like a MESSAGE's 486: undeliverable 4000. */
static void t_486(void)
{
	NEED();
	static unsigned char c[SIZE];
	struct term t;
	struct sq q;
	content(c, SIZE, 3);
	mr_expect(MR_OK, c, SIZE);
	EXPECT(term_start(&t, reply_scen("486", "Busy Here"), 1) == 0);
	EXPECT_INT(reg("s3", t.port), 200);
	EXPECT_INT(push("s3@sess", "s3", c, SIZE), 1001);
	EXPECT(wait_final("s3@sess", 10, &q) == 0);
	EXPECT(!strcmp(pap_state_str(q.state), "undeliverable"));
	EXPECT_INT(q.code, 4000);
	EXPECT(strstr(q.desc, "INVITE 486") != NULL);
	EXPECT_INT(term_wait(&t, 10), 0);   /* ACK of the 486 seen */
	EXPECT_INT(atomic_load(&mr.conns), 0);
	term_free(&t);
}

/* No final answer within session_timeout (3 s): CANCEL at the terminal,
 * 487, and the delivery waits for its retry (a local 408). */
static void t_no_answer_cancel(void)
{
	NEED();
	static unsigned char c[SIZE];
	struct term t;
	struct sq q;
	content(c, SIZE, 4);
	mr_expect(MR_OK, c, SIZE);
	EXPECT(term_start(&t, scenario("tests/sipp/e2e_uas_invite_noanswer.xml", NULL, NULL, 0), 1) == 0);
	EXPECT_INT(reg("s4", t.port), 200);
	double t0 = itest_now();
	EXPECT_INT(push("s4@sess", "s4", c, SIZE), 1001);
	EXPECT_INT(term_wait(&t, 10), 0);   /* INVITE, CANCEL, 487, ACK */
	double took = itest_now() - t0;
	EXPECT(took > 2.5 && took < 8);
	EXPECT(term_log_has(&t, "CANCEL sip:s4@127.0.0.1:"));
	usleep(200000);
	EXPECT(statusquery("s4@sess", &q) == 0);
	fprintf(stderr, "\n    after the CANCEL: %s %d \"%s\"", pap_state_str(q.state), q.code, q.desc);
	EXPECT(strstr(q.desc, "INVITE 408") != NULL && strstr(q.desc, "CANCEL") != NULL);
	term_free(&t);
}

/* The receiver's REPORT says 415: undeliverable 2005 (README table). */
static void t_report_error(void)
{
	NEED();
	static unsigned char c[SIZE];
	struct term t;
	struct sq q;
	content(c, SIZE, 5);
	mr_expect(MR_REPORT_415, c, SIZE);
	EXPECT(term_start(&t, sess_scen(), 1) == 0);
	EXPECT_INT(reg("s5", t.port), 200);
	EXPECT_INT(push("s5@sess", "s5", c, SIZE), 1001);
	EXPECT(wait_final("s5@sess", 10, &q) == 0);
	EXPECT(!strcmp(pap_state_str(q.state), "undeliverable"));
	EXPECT_INT(q.code, 2005);
	EXPECT(strstr(q.desc, "REPORT 000 415") != NULL);
	EXPECT_INT(term_wait(&t, 10), 0);   /* BYE after the failure too */
	EXPECT_INT(atomic_load(&mr.reports), 1);
	mr_check();
	term_free(&t);
}

/* The MSRP connection drops after the second chunk: a local 503, retried
 * in a new session after retry_min, which delivers every byte. */
static void t_tcp_drop_retried(void)
{
	NEED();
	static unsigned char c[SIZE];
	struct term t;
	struct sq q;
	content(c, SIZE, 6);
	mr_expect(MR_DROP_FIRST, c, SIZE);
	EXPECT(term_start(&t, sess_scen(), 2) == 0);
	EXPECT_INT(reg("s6", t.port), 200);
	EXPECT_INT(push("s6@sess", "s6", c, SIZE), 1001);
	EXPECT(wait_final("s6@sess", 15, &q) == 0);
	EXPECT(!strcmp(pap_state_str(q.state), "delivered"));
	EXPECT_INT(q.code, 1000);
	EXPECT_INT(term_wait(&t, 10), 0);   /* two sessions, each with its BYE */
	EXPECT_INT(atomic_load(&mr.conns), 2);
	EXPECT_INT(atomic_load(&mr.complete), 1);
	EXPECT(atomic_load(&mr.chunks) >= 5);   /* 2 before the drop, 3 after */
	mr_check();
	term_free(&t);
}

/* kill -9 in the middle of a session's MSRP transfer (issue 9): the
 * delivery was pending when ppgd died, so after the restart it is attempted
 * again in a new session, which delivers every byte. */
static void t_kill_mid_session(void)
{
	NEED();
	static unsigned char c[SIZE];
	struct term t;
	struct sq q;
	content(c, SIZE, 7);
	mr_expect(MR_HOLD_FIRST, c, SIZE);
	EXPECT(term_start(&t, sess_scen(), 2) == 0);
	EXPECT_INT(reg("s7", t.port), 200);
	EXPECT_INT(push("s7@sess", "s7", c, SIZE), 1001);
	double t0 = itest_now();
	while (atomic_load(&mr.holding) != 1 && itest_now() - t0 < 10)
		usleep(10000);
	EXPECT_INT(atomic_load(&mr.holding), 1);   /* 2 of 3 chunks sent, no REPORT */
	EXPECT(itest_daemon_kill(&dd) != -1);
	double tk = itest_now();
	EXPECT_INT(itest_daemon_start(&dd), 0);
	EXPECT(wait_final("s7@sess", 20, &q) == 0);
	fprintf(stderr, "\n    killed mid-transfer; delivered %.2f s after the kill", itest_now() - tk);
	EXPECT(!strcmp(pap_state_str(q.state), "delivered"));
	EXPECT_INT(q.code, 1000);
	EXPECT_INT(atomic_load(&mr.holding), 2);    /* the dead session's connection closed */
	EXPECT_INT(atomic_load(&mr.conns), 2);
	EXPECT_INT(atomic_load(&mr.complete), 1);
	mr_check();
	/* the first session never got its BYE (ppgd died): sipp is stopped here */
	term_free(&t);
}

/* The delivery row of push_id as ppgd's database holds it: state,
 * next_attempt (the lease's end while an attempt is under way) and
 * lease_gen (one more per claim). 0 or -1. */
static int delivery_row(const char *push_id, int *state, long long *next, long long *gen)
{
	char *path = itest_asprintf("%s/ppgd.db", dd.dir);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_busy_timeout(db, 5000) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT d.state, d.next_attempt, d.lease_gen FROM delivery d "
	    "JOIN push p ON p.id = d.push WHERE p.push_id = ?1", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, push_id, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*state = sqlite3_column_int(st, 0);
		*next = sqlite3_column_int64(st, 1);
		*gen = sqlite3_column_int64(st, 2);
		rc = 0;
	} else {
		fprintf(stderr, "\n  reading ppgd's database: %s", db ? sqlite3_errmsg(db) : "?");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	return rc;
}

static long long wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A session that outlasts its lease (3 s) keeps it: the receiver answers
 * every SEND but sends its REPORT 8 s after the last chunk. Twice during
 * the transfer, past the first lease's end, the delivery is pending with
 * its lease ahead of now and never claimed again (lease_gen 0: a claim,
 * here or by another node, would have incremented it); one session
 * delivers it. */
static void t_lease_renewed(void)
{
	NEED();
	static unsigned char c[SIZE];
	struct term t;
	struct sq q;
	content(c, SIZE, 8);
	mr_expect(MR_SLOW, c, SIZE);
	EXPECT(term_start(&t, sess_scen(), 1) == 0);
	EXPECT_INT(reg("l1", t.port), 200);
	double t0 = itest_now();
	EXPECT_INT(push("l1@lease", "l1", c, SIZE), 1001);
	for (double at = 4.5; at < 8; at += 3) {
		while (itest_now() - t0 < at)
			usleep(20000);
		int state = -1;
		long long next = 0, gen = -1;
		EXPECT(delivery_row("l1@lease", &state, &next, &gen) == 0);
		fprintf(stderr, "\n    %.1f s into the session: state %d, lease ends in %lld ms, lease_gen %lld",
		    itest_now() - t0, state, next - wall_ms(), gen);
		EXPECT_INT(atomic_load(&mr.reports), 0);    /* still under way */
		EXPECT_INT(state, 1);                       /* pending */
		EXPECT(next > wall_ms());                   /* leased ahead */
		EXPECT_INT(gen, 0);                         /* never claimed again */
	}
	EXPECT(wait_final("l1@lease", 20, &q) == 0);
	EXPECT(!strcmp(pap_state_str(q.state), "delivered"));
	EXPECT_INT(q.code, 1000);
	EXPECT(itest_now() - t0 >= MR_SLOW_MS / 1000.0);
	EXPECT_INT(term_wait(&t, 10), 0);
	EXPECT_INT(atomic_load(&mr.conns), 1);
	EXPECT_INT(atomic_load(&mr.complete), 1);
	EXPECT_INT(atomic_load(&mr.reports), 1);
	mr_check();
	int state = -1;
	long long next = 0, gen = -1;
	EXPECT(delivery_row("l1@lease", &state, &next, &gen) == 0);
	EXPECT_INT(gen, 0);
	term_free(&t);
}

/* A push cancelled while its session's transfer runs (the receiver holds
 * its REPORT): the engine forgets the attempt and the session is cut at
 * once - the MSRP connection closed and a BYE to the terminal, long before
 * the REPORT would have come; the push stays cancelled. The same cut ends a
 * session whose lease renewal finds the lease gone (ppg_deliver_renew.c). */
static void t_cancel_cuts_session(void)
{
	NEED();
	static unsigned char c[SIZE];
	struct term t;
	struct sq q;
	content(c, SIZE, 9);
	mr_expect(MR_SLOW, c, SIZE);
	EXPECT(term_start(&t, sess_scen(), 1) == 0);
	EXPECT_INT(reg("l2", t.port), 200);
	EXPECT_INT(push("l2@lease", "l2", c, SIZE), 1001);
	double t0 = itest_now();
	while (atomic_load(&mr.chunks) < 3 && itest_now() - t0 < 10)
		usleep(10000);
	EXPECT_INT(atomic_load(&mr.chunks), 3);   /* every chunk in; the REPORT held */
	char *doc = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>"
	    "<cancel-message push-id=\"l2@lease\"/></pap>");
	struct pap_msg *m = itest_pap_post(&dd, ALICE, "application/xml", doc, strlen(doc));
	int code = !m || m->type != PAP_MSG_CANCEL_RESPONSE ? -1 : m->nresults ? m->results[0].code : m->code;
	pap_msg_free(m);
	free(doc);
	EXPECT_INT(code, 1000);
	double tc = itest_now();
	EXPECT_INT(term_wait(&t, 5), 0);   /* the BYE came (the scenario ends with its 200) */
	double took = itest_now() - tc;
	fprintf(stderr, "\n    BYE %.2f s after the cancel", took);
	EXPECT(took < MR_SLOW_MS / 1000.0 - 3);
	EXPECT(term_log_has(&t, "BYE sip:term@127.0.0.1:"));
	EXPECT_INT(atomic_load(&mr.reports), 0);   /* cut before the REPORT */
	EXPECT(statusquery("l2@lease", &q) == 0);
	EXPECT(!strcmp(pap_state_str(q.state), "cancelled"));
	term_free(&t);
}

/* ------------------------------------------------------------ msrps */

/* openssl-made: a CA and a certificate it signed for IP 127.0.0.1 (the
 * receiver's host), and a self-signed one; their SHA-256 fingerprints. */
static char tls_dir[64];
static char fp_self[160], fp_leaf[160];

static int read_fp(const char *name, char *out, size_t cap)
{
	char *path = itest_asprintf("%s/%s", tls_dir, name);
	char *t = tu_read_file(path, NULL);
	const char *eq = t ? strchr(t, '=') : NULL;
	free(path);
	if (eq)
		snprintf(out, cap, "%.*s", (int)strcspn(eq + 1, "\r\n"), eq + 1);
	free(t);
	return eq ? 0 : -1;
}

static int make_certs(void)
{
	snprintf(tls_dir, sizeof tls_dir, "/tmp/msrps-XXXXXX");
	if (!mkdtemp(tls_dir))
		return -1;
	char *cmd = itest_asprintf("cd %s && "
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem "
	    "-days 2 -subj /CN=msrps-test-ca -addext basicConstraints=critical,CA:TRUE "
	    "-addext keyUsage=critical,keyCertSign && "
	    "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr "
	    "-subj /CN=terminal.invalid && "
	    "printf 'subjectAltName=IP:127.0.0.1\\n' > leaf.ext && "
	    "openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2 "
	    "-extfile leaf.ext && "
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self.key -out self.pem "
	    "-days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 && "
	    "openssl x509 -in self.pem -noout -fingerprint -sha256 > self.fp && "
	    "openssl x509 -in leaf.pem -noout -fingerprint -sha256 > leaf.fp) >/dev/null 2>&1", tls_dir);
	/* the cd's parenthesis */
	char *full = itest_asprintf("(%s", cmd);
	int rc = system(full);
	free(cmd);
	free(full);
	if (rc != 0 || read_fp("self.fp", fp_self, sizeof fp_self) < 0 ||
	    read_fp("leaf.fp", fp_leaf, sizeof fp_leaf) < 0)
		return -1;
	return 0;
}

/* The receiver presents name.pem (NULL: plain TCP). */
static int mr_tls(const char *name)
{
	if (mr.cred) {
		gnutls_certificate_free_credentials(mr.cred);
		mr.cred = NULL;
	}
	if (!name)
		return 0;
	char *crt = itest_asprintf("%s/%s.pem", tls_dir, name), *key = itest_asprintf("%s/%s.key", tls_dir, name);
	gnutls_certificate_credentials_t c = NULL;
	int rc = gnutls_certificate_allocate_credentials(&c) < 0 ||
	    gnutls_certificate_set_x509_key_file(c, crt, key, GNUTLS_X509_FMT_PEM) < 0 ? -1 : 0;
	free(crt);
	free(key);
	if (rc < 0) {
		gnutls_certificate_free_credentials(c);
		return -1;
	}
	mr.cred = c;
	return 0;
}

static int init_tls(void)
{
	if (make_certs() < 0) {
		fprintf(stderr, "\n  cannot make the certificates with openssl in %s\n", tls_dir);
		return 0;   /* the tests see dd.pid == 0 */
	}
	char *extra = itest_asprintf("session_timeout = 5\nretry_min = 1\nretry_max = 1\nmax_attempts = 1\n"
	    "transaction_timeout = 3\nfetch_timeout = 10\nsession_fallback = no\n"
	    "msrp_tls = yes\nmsrp_ca_file = %s/ca.pem\n", tls_dir);
	int rc = init_with("msrps", extra);
	free(extra);
	return rc;
}

static int clean_tls(void)
{
	clean_sess();
	mr_tls(NULL);
	if (tls_dir[0]) {
		char *cmd = itest_asprintf("rm -rf %s", tls_dir);
		(void)!system(cmd);
		free(cmd);
	}
	return 0;
}

/* The terminal's answer: msrps (or plain msrp) and a=fingerprint (or none). */
static char *tls_scen(int answer_tls, const char *fingerprint)
{
	char port[16];
	snprintf(port, sizeof port, "%d", mr.port);
	char *fpline = fingerprint ? itest_asprintf("a=fingerprint:sha-256 %s", fingerprint) :
	    strdup("a=x-no-fingerprint:1");
	const char *from[] = { "@MSRPPORT@", "@PROTO@", "@SCHEME@", "@FPLINE@" };
	const char *to[] = { port, answer_tls ? "TCP/TLS/MSRP" : "TCP/MSRP", answer_tls ? "msrps" : "msrp",
		fpline };
	char *sc = scenario("tests/sipp/e2e_uas_session_tls.xml", from, to, 4);
	free(fpline);
	return sc;
}

/* One push in an msrps session; the final state into q. */
static void tls_push(const char *user, const char *push_id, const char *cert, int answer_tls,
    const char *fingerprint, int seed, struct sq *q, struct term *t)
{
	static unsigned char c[SIZE];
	content(c, SIZE, seed);
	EXPECT_INT(mr_tls(cert), 0);
	mr_expect(MR_OK, c, SIZE);
	EXPECT(term_start(t, tls_scen(answer_tls, fingerprint), 1) == 0);
	EXPECT_INT(reg(user, t->port), 200);
	EXPECT_INT(push(push_id, user, c, SIZE), 1001);
	EXPECT(wait_final(push_id, 15, q) == 0);
	EXPECT_INT(term_wait(t, 10), 0);   /* INVITE, ACK, BYE */
	EXPECT(term_log_has(t, "m=message 9 TCP/TLS/MSRP *"));
	/* ppgd's URI, last after a relay's Use-Path */
	EXPECT(term_log_has(t, mr.relay_prefix[0] ? ";tcp msrps://127.0.0.1:9/" : "a=path:msrps://127.0.0.1:9/"));
}

/* A self-signed certificate whose hash the answer's a=fingerprint gives:
 * TLS, 3 SEND chunks checked, REPORT 000 200 -> delivered 1000. */
static void t_tls_fingerprint(void)
{
	NEED();
	struct term t;
	struct sq q;
	tls_push("m1", "m1@msrps", "self", 1, fp_self, 11, &q, &t);
	EXPECT(!strcmp(pap_state_str(q.state), "delivered"));
	EXPECT_INT(q.code, 1000);
	EXPECT_INT(atomic_load(&mr.conns), 1);
	EXPECT_INT(atomic_load(&mr.chunks), 3);
	EXPECT_INT(atomic_load(&mr.complete), 1);
	EXPECT_INT(atomic_load(&mr.reports), 1);
	mr_check();
	term_free(&t);
}

/* No a=fingerprint: the certificate chains to msrp_ca_file and names
 * 127.0.0.1 -> delivered 1000. */
static void t_tls_ca(void)
{
	NEED();
	struct term t;
	struct sq q;
	tls_push("m2", "m2@msrps", "leaf", 1, NULL, 12, &q, &t);
	EXPECT(!strcmp(pap_state_str(q.state), "delivered"));
	EXPECT_INT(q.code, 1000);
	EXPECT_INT(atomic_load(&mr.complete), 1);
	mr_check();
	term_free(&t);
}

/* The answer's fingerprint is another certificate's: the connection is
 * cut after the handshake, before any SEND; a local 503 (max_attempts 1:
 * undeliverable 4000) that says why. */
static void t_tls_fingerprint_mismatch(void)
{
	NEED();
	struct term t;
	struct sq q;
	tls_push("m3", "m3@msrps", "self", 1, fp_leaf, 13, &q, &t);
	EXPECT(!strcmp(pap_state_str(q.state), "undeliverable"));
	EXPECT_INT(q.code, 4000);
	EXPECT(strstr(q.desc, "does not match the SDP a=fingerprint") != NULL);
	EXPECT_INT(atomic_load(&mr.chunks), 0);
	term_free(&t);
}

/* No fingerprint and a self-signed certificate: not verified, the
 * handshake fails; no SEND. */
static void t_tls_untrusted(void)
{
	NEED();
	struct term t;
	struct sq q;
	tls_push("m4", "m4@msrps", "self", 1, NULL, 14, &q, &t);
	EXPECT(!strcmp(pap_state_str(q.state), "undeliverable"));
	EXPECT_INT(q.code, 4000);
	EXPECT(strstr(q.desc, "certificate is not verified") != NULL);
	EXPECT_INT(atomic_load(&mr.chunks), 0);
	EXPECT_INT(atomic_load(&mr.conns), 0);        /* no handshake completed */
	EXPECT_INT(atomic_load(&mr.tls_failed), 1);
	term_free(&t);
}

/* A plain msrp answer to the msrps offer: no acceptable media, a local 488
 * (session_fallback = no: undeliverable 2005); no MSRP connection. */
static void t_tls_plain_answer(void)
{
	NEED();
	struct term t;
	struct sq q;
	tls_push("m5", "m5@msrps", NULL, 0, NULL, 15, &q, &t);
	EXPECT(!strcmp(pap_state_str(q.state), "undeliverable"));
	EXPECT_INT(q.code, 2005);
	EXPECT(strstr(q.desc, "msrp answer to an msrps offer") != NULL);
	EXPECT_INT(atomic_load(&mr.conns), 0);
	term_free(&t);
}

/* ------------------------------------------------------------ relay */

/* tests/msrp_relay.py: an RFC 4976 relay with TLS, Digest AUTH (Min-Expires
 * 900: ppgd's first AUTH asks 600 and gets 423), forwarding between ppgd's
 * connection and the receiver's. */
static pid_t relay_pid;
static int relay_port;
static char *relay_status, *relay_pwfile;

static int relay_count(const char *name)
{
	char *t = relay_status ? tu_read_file(relay_status, NULL) : NULL;
	int v = -1;
	size_t nl = strlen(name);
	for (const char *p = t; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, name, nl) && p[nl] == ' ')
			v = atoi(p + nl + 1);
	free(t);
	return v;
}

static void relay_password(const char *pw)
{
	free(itest_write_file(tls_dir, "relay.pw", pw, strlen(pw)));
}

/* Starts tests/msrp_relay.py on port (0: a free one; relay_port set), its
 * counters from 0; mute: it never answers an AUTH. 0 or -1. */
static int relay_spawn(int port, int mute)
{
	char *portfile = itest_asprintf("%s/relay.port", tls_dir), *log = itest_asprintf("%s/relay.log", tls_dir);
	char *crt = itest_asprintf("%s/leaf.pem", tls_dir), *key = itest_asprintf("%s/leaf.key", tls_dir);
	char ps[16];
	snprintf(ps, sizeof ps, "%d", port);
	const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
	const char *argv[] = { py, tu_src("tests/msrp_relay.py"), portfile, relay_status, crt, key, "ppgd",
		relay_pwfile, "900", ps, mute ? "mute" : NULL, NULL };
	unlink(portfile);
	relay_pid = itest_spawn(argv, tls_dir, log);
	relay_port = 0;
	if (relay_pid > 0 && itest_wait_file_has(portfile, "\n", 10) == 0) {
		char *t = tu_read_file(portfile, NULL);
		relay_port = t ? atoi(t) : 0;
		free(t);
	}
	free(portfile);
	free(log);
	free(crt);
	free(key);
	return relay_port > 0 && (!port || relay_port == port) ? 0 : -1;
}

/* Stops the relay (its connections close) and starts it again on its port. */
static int relay_restart(int mute)
{
	int port = relay_port;
	if (relay_pid > 0)
		itest_stop_pid(relay_pid, SIGTERM, 5);
	relay_pid = 0;
	return relay_spawn(port, mute);
}

static int init_relay(void)
{
	if (make_certs() < 0) {
		fprintf(stderr, "\n  cannot make the certificates with openssl in %s\n", tls_dir);
		return 0;
	}
	relay_password("relay-s3cret");
	relay_pwfile = itest_asprintf("%s/relay.pw", tls_dir);
	relay_status = itest_asprintf("%s/relay.status", tls_dir);
	if (relay_spawn(0, 0) < 0) {
		fprintf(stderr, "\n  the MSRP relay did not start (%s/relay.log)\n", tls_dir);
		return 0;
	}
	char *extra = itest_asprintf("session_timeout = 5\nretry_min = 1\nretry_max = 1\nmax_attempts = 1\n"
	    "transaction_timeout = 3\nfetch_timeout = 10\nsession_fallback = no\n"
	    "msrp_tls = yes\nmsrp_ca_file = %s/ca.pem\nmsrp_relay = msrps://127.0.0.1:%d;tcp\n"
	    "msrp_relay_user = ppgd\nmsrp_relay_password = relay-s3cret\n", tls_dir, relay_port);
	int rc = init_with("relay", extra);
	free(extra);
	snprintf(mr.relay_prefix, sizeof mr.relay_prefix, "msrps://127.0.0.1:%d/", relay_port);
	return rc;
}

static int clean_relay(void)
{
	if (relay_pid > 0)
		itest_stop_pid(relay_pid, SIGTERM, 5);
	relay_pid = 0;
	mr.relay_prefix[0] = '\0';
	free(relay_status);
	free(relay_pwfile);
	relay_status = relay_pwfile = NULL;
	return clean_tls();
}

/* Through the relay: AUTH 401, AUTH with Digest asking Expires 600 -> 423
 * Min-Expires 900, AUTH again with 900 -> 200 Use-Path; the offer's a=path
 * is the Use-Path then ppgd's URI; the 3 SENDs go through the relay (each
 * checked by the receiver: the relay's URI first in From-Path, To-Path
 * only the receiver's), their 200s and the REPORT come back through it ->
 * delivered 1000. */
static void t_relay_delivered(void)
{
	NEED();
	struct term t;
	struct sq q;
	char want[96];
	tls_push("r1", "r1@relay", "self", 1, NULL, 21, &q, &t);
	EXPECT(!strcmp(pap_state_str(q.state), "delivered"));
	EXPECT_INT(q.code, 1000);
	snprintf(want, sizeof want, "a=path:msrps://127.0.0.1:%d/", relay_port);
	EXPECT(term_log_has(&t, want));
	EXPECT(term_log_has(&t, ";tcp msrps://127.0.0.1:9/"));
	EXPECT_INT(atomic_load(&mr.conns), 1);
	EXPECT_INT(atomic_load(&mr.chunks), 3);
	EXPECT_INT(atomic_load(&mr.complete), 1);
	EXPECT_INT(atomic_load(&mr.reports), 1);
	mr_check();
	EXPECT_INT(relay_count("challenged"), 1);
	EXPECT_INT(relay_count("interval_too_short"), 1);
	EXPECT_INT(relay_count("authorized"), 1);
	EXPECT_INT(relay_count("refused"), 0);
	EXPECT_INT(relay_count("sends_forwarded"), 3);
	EXPECT_INT(relay_count("responses_forwarded"), 3);
	EXPECT_INT(relay_count("reports_forwarded"), 1);
	EXPECT_INT(relay_count("path_errors"), 0);
	term_free(&t);
}

/* RFC 4976 §5, §6: the connection t_relay_delivered authenticated and its
 * Use-Path serve the next session: no AUTH, every chunk forwarded, from a
 * From-Path of its own; delivered. */
static void t_relay_reused(void)
{
	NEED();
	struct term t;
	struct sq q;
	int auth = relay_count("authorized"), chal = relay_count("challenged");
	int sends = relay_count("sends_forwarded");
	tls_push("r4", "r4@relay", "self", 1, NULL, 24, &q, &t);
	EXPECT(!strcmp(pap_state_str(q.state), "delivered"));
	EXPECT_INT(q.code, 1000);
	EXPECT_INT(atomic_load(&mr.chunks), 3);
	EXPECT_INT(atomic_load(&mr.complete), 1);
	mr_check();
	EXPECT_INT(relay_count("authorized"), auth);   /* no AUTH */
	EXPECT_INT(relay_count("challenged"), chal);
	EXPECT_INT(relay_count("sends_forwarded"), sends + 3);
	EXPECT_INT(relay_count("path_errors"), 0);
	term_free(&t);
}

/* The relay restarted (the kept connection closed while idle): the next
 * session finds it gone and AUTHs on a new one; its terminal answers 486,
 * so that connection, never used by a transfer, is kept too: the session
 * after it is delivered without AUTH. */
static void t_relay_restarted(void)
{
	NEED();
	static unsigned char c[SIZE];
	struct term t, busy;
	struct sq q;
	EXPECT_INT(relay_restart(0), 0);
	EXPECT_INT(relay_count("authorized"), 0);
	content(c, SIZE, 27);
	mr_expect(MR_OK, c, SIZE);
	EXPECT(term_start(&busy, reply_scen("486", "Busy Here"), 1) == 0);
	EXPECT_INT(reg("r7", busy.port), 200);
	EXPECT_INT(push("r7@relay", "r7", c, SIZE), 1001);
	EXPECT(wait_final("r7@relay", 15, &q) == 0);
	EXPECT(strstr(q.desc, "INVITE 486") != NULL);
	EXPECT_INT(relay_count("authorized"), 1);
	term_free(&busy);
	tls_push("r5", "r5@relay", "self", 1, NULL, 25, &q, &t);
	EXPECT(!strcmp(pap_state_str(q.state), "delivered"));
	EXPECT_INT(q.code, 1000);
	EXPECT_INT(atomic_load(&mr.complete), 1);
	mr_check();
	EXPECT_INT(relay_count("challenged"), 1);
	EXPECT_INT(relay_count("authorized"), 1);
	EXPECT_INT(relay_count("sends_forwarded"), 3);
	EXPECT_INT(relay_count("path_errors"), 0);
	term_free(&t);
}

/* A relay that takes the connection and the AUTHs but never answers: the
 * AUTH times out (session_timeout, 5 s): local 408, no INVITE; with
 * max_attempts 1 the push ends timeout 4000. */
static void t_relay_auth_timeout(void)
{
	NEED();
	static unsigned char c[SIZE];
	struct term t;
	struct sq q;
	content(c, SIZE, 26);
	EXPECT_INT(relay_restart(1), 0);
	mr_expect(MR_OK, c, SIZE);
	EXPECT(term_start(&t, tls_scen(1, NULL), 1) == 0);
	EXPECT_INT(reg("r6", t.port), 200);
	double t0 = itest_now();
	EXPECT_INT(push("r6@relay", "r6", c, SIZE), 1001);
	EXPECT(wait_final("r6@relay", 20, &q) == 0);
	EXPECT(!strcmp(pap_state_str(q.state), "timeout"));
	EXPECT_INT(q.code, 4000);
	EXPECT(strstr(q.desc, "408 MSRP relay: no answer to AUTH in time (local)") != NULL);
	EXPECT(itest_now() - t0 >= 4.5);
	EXPECT(relay_count("auth_ignored") >= 1);
	EXPECT_INT(relay_count("authorized"), 0);
	EXPECT(!term_log_has(&t, "INVITE sip:"));
	EXPECT_INT(atomic_load(&mr.conns), 0);
	term_free(&t);
	EXPECT_INT(relay_restart(0), 0);
}

/* The relay's account has another password now: 403 to the AUTH with
 * Authorization -> no INVITE; undeliverable 4000 (README "MSRP relays"). */
static void t_relay_wrong_password(void)
{
	NEED();
	static unsigned char c[SIZE];
	struct term t;
	struct sq q;
	content(c, SIZE, 22);
	/* the connection the tests before kept (authorized until its Expires)
	 * goes: this session AUTHs anew */
	EXPECT_INT(relay_restart(0), 0);
	relay_password("another-password");
	int refused = relay_count("refused");
	mr_expect(MR_OK, c, SIZE);
	EXPECT(term_start(&t, tls_scen(1, NULL), 1) == 0);
	EXPECT_INT(reg("r2", t.port), 200);
	EXPECT_INT(push("r2@relay", "r2", c, SIZE), 1001);
	EXPECT(wait_final("r2@relay", 15, &q) == 0);
	EXPECT(!strcmp(pap_state_str(q.state), "undeliverable"));
	EXPECT_INT(q.code, 4000);
	EXPECT(strstr(q.desc, "403") != NULL);
	EXPECT_INT(relay_count("refused"), refused + 1);
	EXPECT(!term_log_has(&t, "INVITE sip:"));
	EXPECT_INT(atomic_load(&mr.conns), 0);
	relay_password("relay-s3cret");
	term_free(&t);
}

/* The relay is down: connection refused, a local 503 (retried; with
 * max_attempts 1 undeliverable 4000 at once); no INVITE. */
static void t_relay_down(void)
{
	NEED();
	static unsigned char c[SIZE];
	struct term t;
	struct sq q;
	content(c, SIZE, 23);
	EXPECT(relay_pid > 0 && itest_stop_pid(relay_pid, SIGTERM, 5) != -2);
	relay_pid = 0;
	mr_expect(MR_OK, c, SIZE);
	EXPECT(term_start(&t, tls_scen(1, NULL), 1) == 0);
	EXPECT_INT(reg("r3", t.port), 200);
	EXPECT_INT(push("r3@relay", "r3", c, SIZE), 1001);
	EXPECT(wait_final("r3@relay", 15, &q) == 0);
	EXPECT(!strcmp(pap_state_str(q.state), "undeliverable"));
	EXPECT_INT(q.code, 4000);
	EXPECT(strstr(q.desc, "MSRP relay unreachable") != NULL);
	EXPECT(!term_log_has(&t, "INVITE sip:"));
	EXPECT_INT(atomic_load(&mr.conns), 0);
	term_free(&t);
}

int main(void)
{
	static const struct itest_test_def tests[] = {
		{ "10 KiB in an MSRP session: 3 chunks, REPORT 000 200, delivered, BYE", t_delivered },
		{ "INVITE 488 -> pager mode with indirection, delivered", t_488_fallback },
		{ "INVITE 486 -> undeliverable 4000", t_486 },
		{ "no answer -> CANCEL, local 408, retried later", t_no_answer_cancel },
		{ "REPORT 000 415 -> undeliverable 2005", t_report_error },
		{ "TCP drop mid-transfer -> retried in a new session, delivered", t_tcp_drop_retried },
		{ "kill -9 mid-transfer -> after the restart a new session delivers it", t_kill_mid_session },
		{ NULL, NULL },
	};
	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	static const struct itest_test_def lease_tests[] = {
		{ "a session longer than its lease renews it: never claimed again, delivered once",
		  t_lease_renewed },
		{ "a cancel mid-transfer cuts the session at once (BYE, no REPORT waited for)",
		  t_cancel_cuts_session },
		{ NULL, NULL },
	};
	static const struct itest_test_def tls_tests[] = {
		{ "msrps, a=fingerprint of a self-signed certificate: delivered", t_tls_fingerprint },
		{ "msrps, no fingerprint, certificate from msrp_ca_file: delivered", t_tls_ca },
		{ "msrps, fingerprint mismatch: cut before any SEND, undeliverable 4000", t_tls_fingerprint_mismatch },
		{ "msrps, no fingerprint, untrusted certificate: handshake fails", t_tls_untrusted },
		{ "msrp answer to an msrps offer: 488, undeliverable 2005", t_tls_plain_answer },
		{ NULL, NULL },
	};
	static const struct itest_test_def relay_tests[] = {
		{ "through an MSRP relay (AUTH, 423, Use-Path): every chunk, delivered", t_relay_delivered },
		{ "the next session reuses the relay connection and Use-Path: no AUTH, delivered", t_relay_reused },
		{ "relay restarted: the kept connection is gone, AUTH again, delivered", t_relay_restarted },
		{ "relay never answers AUTH: local 408 in session_timeout, no INVITE", t_relay_auth_timeout },
		{ "MSRP relay refuses the password (403): no INVITE, undeliverable 4000", t_relay_wrong_password },
		{ "MSRP relay down: no INVITE, undeliverable 4000", t_relay_down },
		{ NULL, NULL },
	};
	if (itest_add_suite("session mode (INVITE + MSRP)", init_sess, clean_sess, tests) ||
	    itest_add_suite("session mode through an MSRP relay", init_relay, clean_relay, relay_tests) ||
	    itest_add_suite("session mode over TLS (msrps)", init_tls, clean_tls, tls_tests) ||
	    itest_add_suite("session mode: leases", init_lease, clean_sess, lease_tests)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
