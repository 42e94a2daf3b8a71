/*
 * test_faults.c - faults recovered, not waited out (issue 12, item 3), end
 * to end with short scaled timings, against the real ppgd and real peers:
 *
 *   - the SIP core unreachable (outbound proxy over TCP, connection refused)
 *     for 5 s: deliveries retry with backoff (retry_min 1 s, retry_max 2 s)
 *     and are all delivered once a core (sipp over TCP) listens; no storm
 *     (attempts per delivery during the outage counted in ppgd's log, and
 *     MESSAGEs counted at the core);
 *   - a terminal (sipp) answering 503 with Retry-After: 2 to every MESSAGE
 *     for 6 s: no retry before the Retry-After (timestamps at sipp), none
 *     lost, attempts bounded;
 *   - the PI's notification endpoint down (connection refused) for 5 s: the
 *     notifications are kept and arrive in the order of their events once
 *     it listens again, each once.
 *
 * The helpers (PAP requests, statusquery, sipp message logs, REGISTER, the
 * PI listener) are those of tests/test_sip_e2e.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "pap/pap.h"
#include "tests/itest.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BOUNDARY "faults-7c2e91"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""
#define ALICE "alice", ITEST_ALICE_SECRET
#define PPG_FROM "sip:ppg@operator.example"
#define APP_ID "x-wap-application:mms.ua"

/* ---------------------------------------------------- failure context */

static struct itest_daemon *ctx_d;     /* its log tail is printed on a failure */
static const char *ctx_files[4];       /* more logs to show (sipp, kamailio) */

static void dump_ctx(const char *file, unsigned line, const char *cond)
{
	fprintf(stderr, "\n%s:%u: FAILED: %s\n", file, line, cond);
	if (ctx_d)
		itest_daemon_print_log(ctx_d, 3000);
	for (size_t i = 0; i < sizeof ctx_files / sizeof ctx_files[0]; i++)
		if (ctx_files[i])
			itest_print_tail("peer log", ctx_files[i], 2500);
}

#define EXPECT_T_(ok, text, fatal) do { \
	int ok_ = (ok); \
	if (!ok_) \
		dump_ctx(__FILE__, __LINE__, text); \
	CU_assertImplementation(ok_ ? CU_TRUE : CU_FALSE, __LINE__, text, __FILE__, "", fatal); \
} while (0)
#define EXPECT(cond) EXPECT_T_((cond) ? 1 : 0, #cond, CU_FALSE)
#define EXPECT_FATAL(cond) EXPECT_T_((cond) ? 1 : 0, #cond, CU_TRUE)

/* Integer equality with both values printed on a failure. */
#define EXPECT_INT(actual, expected) do { \
	long a_ = (long)(actual), e_ = (long)(expected); \
	if (a_ != e_) \
		fprintf(stderr, "\n  %s = %ld, expected %ld\n", #actual, a_, e_); \
	EXPECT_T_(a_ == e_, #actual " == " #expected, CU_FALSE); \
} while (0)

/* String equality (s may be NULL) with both printed on a failure. */
#define EXPECT_STR(actual, expected) do { \
	const char *a_ = (actual), *e_ = (expected); \
	int eq_ = a_ && e_ && !strcmp(a_, e_); \
	if (!eq_) \
		fprintf(stderr, "\n  %s = \"%s\", expected \"%s\"\n", #actual, a_ ? a_ : "(null)", e_); \
	EXPECT_T_(eq_, #actual " is " #expected, CU_FALSE); \
} while (0)

#define NEED(dmn) do { \
	if ((dmn).pid <= 0) \
		fprintf(stderr, "\nppgd is not running for this suite (see the start-up error above)\n"); \
	CU_ASSERT_FATAL((dmn).pid > 0); \
	ctx_d = &(dmn); \
} while (0)

static void sleep_s(double s)
{
	if (s > 0)
		usleep((useconds_t)(s * 1e6));
}


static char *aor_address(const char *user)
{
	return itest_asprintf("WAPPUSH=sip%%3A%s%%40example.com/TYPE=USER", user);
}


/* A push-message in multipart/related: the PAP control entity and a content
 * entity of ctype with X-Wap-Application-Id mms.ua. *len gets the size. */
static char *push_body(const char *doctype, const char *push_id, const char *address,
    const char *attrs, const char *ctype, const void *content, size_t clen, size_t *len)
{
	char *head = itest_asprintf(
	    "--" BOUNDARY "\r\n"
	    "Content-Type: application/xml; charset=UTF-8\r\n"
	    "\r\n"
	    "<?xml version=\"1.0\"?>\n%s\n<pap>\n"
	    "<push-message push-id=\"%s\"%s%s>\n"
	    "  <address address-value=\"%s\"/>\n"
	    "</push-message>\n</pap>\r\n"
	    "--" BOUNDARY "\r\n"
	    "Content-Type: %s\r\n"
	    "X-Wap-Application-Id: " APP_ID "\r\n"
	    "\r\n",
	    doctype, push_id, attrs && *attrs ? " " : "", attrs ? attrs : "", address, ctype);
	const char *tail = "\r\n--" BOUNDARY "--\r\n";
	size_t hl = strlen(head), tl = strlen(tail);
	char *b = malloc(hl + clen + tl + 1);
	memcpy(b, head, hl);
	memcpy(b + hl, content, clen);
	memcpy(b + hl + clen, tail, tl + 1);
	*len = hl + clen + tl;
	free(head);
	return b;
}

static int msg_code(const struct pap_msg *m)
{
	if (!m)
		return -1;
	return m->nresults > 0 ? m->results[0].code : m->code;
}

/* Pushes content to sip:USER@example.com; returns the push-response code. */
static int push_to(struct itest_daemon *d, const char *doctype, const char *push_id, const char *user,
    const char *attrs, const char *ctype, const void *content, size_t clen)
{
	char *addr = aor_address(user);
	size_t len;
	char *body = push_body(doctype, push_id, addr, attrs, ctype, content, clen, &len);
	struct pap_msg *m = itest_pap_post(d, ALICE, MULTIPART_CT, body, len);
	int code = msg_code(m);
	if (m && m->type != PAP_MSG_PUSH_RESPONSE)
		code = -2;
	if (code != 1001)
		fprintf(stderr, "push %s to %s: code %d (%s)\n", push_id, addr, code, m && m->nresults &&
		    m->results[0].desc ? m->results[0].desc : "");
	pap_msg_free(m);
	free(body);
	free(addr);
	return code;
}


struct sq {
	enum pap_state state;
	int code;
	char desc[512];
	char address[256];
};

/* statusquery of push_id: its first statusquery-result. 0, or -1. */
static int statusquery(struct itest_daemon *d, const char *push_id, struct sq *out)
{
	char *doc = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_21 "\n<pap>"
	    "<statusquery-message push-id=\"%s\"/></pap>", push_id);
	struct pap_msg *m = itest_pap_post(d, ALICE, "application/xml", doc, strlen(doc));
	free(doc);
	memset(out, 0, sizeof *out);
	out->code = -1;
	if (!m || m->type != PAP_MSG_STATUSQUERY_RESPONSE || m->nresults < 1) {
		if (m && m->type == PAP_MSG_BADMESSAGE_RESPONSE)
			out->code = m->code;
		else if (m && m->nresults >= 1)
			out->code = m->results[0].code;
		pap_msg_free(m);
		return -1;
	}
	out->state = m->results[0].state;
	out->code = m->results[0].code;
	snprintf(out->desc, sizeof out->desc, "%s", m->results[0].desc ? m->results[0].desc : "");
	if (m->results[0].naddrs)
		snprintf(out->address, sizeof out->address, "%s", m->results[0].addrs[0]);
	pap_msg_free(m);
	return 0;
}

/* Polls statusquery until the push's state is final or timeout_s passed.
 * Returns 0 when final (out holds it), -1 otherwise (out holds the last). */
static int wait_final(struct itest_daemon *d, const char *push_id, double timeout_s, struct sq *out)
{
	double end = itest_now() + timeout_s;
	for (;;) {
		if (statusquery(d, push_id, out) == 0 && out->state != PAP_STATE_PENDING)
			return 0;
		if (itest_now() > end) {
			fprintf(stderr, "push %s: not final after %.1f s: %s %d \"%s\"\n", push_id, timeout_s,
			    pap_state_str(out->state), out->code, out->desc);
			return -1;
		}
		sleep_s(0.1);
	}
}


/* One message of a sipp message log (-trace_msg). */
struct sipmsg {
	double t;           /* wall clock of sipp's log line */
	int in;             /* 1 received, 0 sent */
	char *text;         /* the message, NUL-terminated */
	size_t len;
};

struct siplog {
	struct sipmsg *v;
	size_t n;
};

static void siplog_free(struct siplog *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].text);
	free(l->v);
	memset(l, 0, sizeof *l);
}

/*
 * Reads a sipp message log: entries "----...---- YYYY-MM-DD hh:mm:ss.uuuuuu",
 * then "UDP message received [N] bytes :" or "UDP message sent (N bytes):",
 * an empty line and the N bytes of the message.
 */
static void siplog_load(const char *path, struct siplog *l)
{
	size_t flen = 0;
	char *s = tu_read_file(path, &flen);
	const char *dash = "----------------------------------------------- ";

	memset(l, 0, sizeof *l);
	if (!s)
		return;
	for (const char *p = strstr(s, dash); p; p = strstr(p, dash)) {
		p += strlen(dash);
		struct tm tm = { 0 };
		double usec = 0;
		int Y, M, D, h, m, sec;
		char frac[16] = "";
		if (sscanf(p, "%d-%d-%d %d:%d:%d.%15[0-9]", &Y, &M, &D, &h, &m, &sec, frac) < 6)
			continue;
		tm.tm_year = Y - 1900;
		tm.tm_mon = M - 1;
		tm.tm_mday = D;
		tm.tm_hour = h;
		tm.tm_min = m;
		tm.tm_sec = sec;
		tm.tm_isdst = -1;
		if (frac[0]) {
			double scale = 1;
			for (size_t k = 0; k < strlen(frac); k++)
				scale *= 10;
			usec = strtod(frac, NULL) / scale;
		}
		const char *eol = strchr(p, '\n');
		if (!eol)
			break;
		const char *line = eol + 1;
		size_t n = 0;
		int in;
		if (sscanf(line, "UDP message received [%zu] bytes", &n) == 1 ||
		    sscanf(line, "TCP message received [%zu] bytes", &n) == 1)
			in = 1;
		else if (sscanf(line, "UDP message sent (%zu bytes)", &n) == 1 ||
		    sscanf(line, "TCP message sent (%zu bytes)", &n) == 1)
			in = 0;
		else
			continue;
		const char *start = strstr(line, "\n\n");
		if (!start)
			break;
		start += 2;
		if ((size_t)(s + flen - start) < n)
			n = (size_t)(s + flen - start);
		struct sipmsg *nv = realloc(l->v, (l->n + 1) * sizeof *nv);
		if (!nv)
			break;
		l->v = nv;
		l->v[l->n].t = (double)mktime(&tm) + usec;
		l->v[l->n].in = in;
		l->v[l->n].text = strndup(start, n);
		l->v[l->n].len = n;
		l->n++;
		p = start + n;
	}
	free(s);
}


/* The k-th (0-based) header named name (case-insensitive) of a SIP message,
 * value trimmed, malloc'ed; NULL when absent. */
static char *sip_hdr_nth(const char *msg, const char *name, int k)
{
	size_t nl = strlen(name);
	const char *p = strstr(msg, "\r\n");

	while (p && p[2] && !(p[2] == '\r' && p[3] == '\n')) {
		const char *line = p + 2;
		const char *eol = strstr(line, "\r\n");
		if (!eol)
			eol = line + strlen(line);
		const char *q = line + nl;
		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		if ((size_t)(eol - line) > nl && !strncasecmp(line, name, nl) && *q == ':' && k-- == 0) {
			q++;
			while (q < eol && (*q == ' ' || *q == '\t'))
				q++;
			const char *e = eol;
			while (e > q && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			return strndup(q, (size_t)(e - q));
		}
		p = *eol ? eol : NULL;
	}
	return NULL;
}

static char *sip_hdr(const char *msg, const char *name)
{
	return sip_hdr_nth(msg, name, 0);
}

/* The body of a SIP message (after the empty line); *len its size. */
static const char *sip_body(const struct sipmsg *m, size_t *len)
{
	const char *b = strstr(m->text, "\r\n\r\n");
	if (!b) {
		*len = 0;
		return "";
	}
	b += 4;
	*len = m->len - (size_t)(b - m->text);
	return b;
}

static int is_request(const struct sipmsg *m, const char *method)
{
	size_t l = strlen(method);
	return m->in && !strncmp(m->text, method, l) && m->text[l] == ' ';
}

/*
 * The received requests of method, one per transaction (retransmissions,
 * same Call-ID and CSeq, dropped). Fills v (pointers into l) up to max.
 */
static size_t sip_requests(const struct siplog *l, const char *method, const struct sipmsg **v, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (!is_request(&l->v[i], method))
			continue;
		char *cid = sip_hdr(l->v[i].text, "Call-ID"), *cseq = sip_hdr(l->v[i].text, "CSeq");
		int dup = 0;
		for (size_t k = 0; k < n && !dup; k++) {
			char *c2 = sip_hdr(v[k]->text, "Call-ID"), *s2 = sip_hdr(v[k]->text, "CSeq");
			dup = c2 && cid && s2 && cseq && !strcmp(c2, cid) && !strcmp(s2, cseq);
			free(c2);
			free(s2);
		}
		free(cid);
		free(cseq);
		if (!dup && n < max)
			v[n++] = &l->v[i];
	}
	return n;
}


/* The template tests/sipp/e2e_uas_reply.xml answering status phrase, with
 * one more header line; written to dir. malloc'ed path or NULL. */
static char *uas_scenario(const char *dir, int status, const char *phrase, const char *header)
{
	size_t len = 0;
	char *t = tu_read_file(tu_src("tests/sipp/e2e_uas_reply.xml"), &len);
	if (!t)
		return NULL;
	char code[8];
	snprintf(code, sizeof code, "%d", status);
	const char *from[] = { "@STATUS@", "@PHRASE@", "@HEADER@" };
	const char *to[] = { code, phrase, header && *header ? header : "Subject: none" };
	for (int i = 0; i < 3; i++) {
		char *at;
		while ((at = strstr(t, from[i])) != NULL) {   /* every one, the comment's too */
			*at = '\0';
			char *n = itest_asprintf("%s%s%s", t, to[i], at + strlen(from[i]));
			free(t);
			t = n;
		}
	}
	char name[64];
	static int seq;
	snprintf(name, sizeof name, "uas_%d_%d.xml", status, ++seq);
	char *path = itest_write_file(dir, name, t, strlen(t));
	free(t);
	return path;
}


/* ------------------------------------------------------ REGISTER (sipp) */

/*
 * Sends one REGISTER per user from src_ip to 127.0.0.1:dst_port with
 * tests/sipp/e2e_register.xml: AoR sip:USER@example.com, Contact
 * <sip:USER@127.0.0.1:CPORT>;+g.oma.pusheventapp="mms.ua", Expires. status[i]
 * gets the final SIP status answered for users[i] (-1 when none).
 * Returns the number of 200s.
 */
static int sip_register_scen(const char *scenario, const char *dir, const char *src_ip, int dst_port,
    const char *const *users, const int *cports, int expires, size_t n, int *status)
{
	static int seq;
	char *csv = strdup("SEQUENTIAL\n");
	for (size_t i = 0; i < n; i++) {
		char *x = itest_asprintf("%s%s;%d;%d;\n", csv, users[i], cports[i], expires);
		free(csv);
		csv = x;
		status[i] = -1;
	}
	char name[64], m[16], dst[32];
	snprintf(name, sizeof name, "reg_%d.csv", ++seq);
	char *csvpath = itest_write_file(dir, name, csv, strlen(csv));
	char *log = itest_asprintf("%s/reg_%d.msg", dir, seq);
	snprintf(m, sizeof m, "%zu", n);
	snprintf(dst, sizeof dst, "127.0.0.1:%d", dst_port);
	const char *argv[] = { "sipp", "-sf", tu_src(scenario), "-inf", csvpath,
		"-m", m, "-r", "200", "-i", src_ip, "-nostdin", "-trace_msg", "-message_file", log,
		"-timeout", "15s", "-recv_timeout", "5000", dst, NULL };
	char *out = NULL, *err = NULL;
	int code = -1, ok = 0;
	itest_run_full(argv, NULL, dir, 30, &out, &err, &code);
	struct siplog l;
	siplog_load(log, &l);
	for (size_t i = 0; i < l.n; i++) {
		int st = 0;
		if (!l.v[i].in || sscanf(l.v[i].text, "SIP/2.0 %d", &st) != 1 || st < 200)
			continue;
		char *to = sip_hdr(l.v[i].text, "To");
		for (size_t k = 0; to && k < n; k++) {
			char *want = itest_asprintf("<sip:%s@example.com>", users[k]);
			if (!strncmp(to, want, strlen(want)))
				status[k] = st;
			free(want);
		}
		free(to);
	}
	int odd = 0;
	for (size_t k = 0; k < n; k++) {
		ok += status[k] == 200;
		odd += status[k] != 200 && status[k] != 403;
	}
	if (odd)
		fprintf(stderr, "REGISTER from %s to port %d: sipp exit %d, %d of %zu answered 200\n%s%s\n",
		    src_ip, dst_port, code, ok, n, out ? out + (strlen(out) > 1500 ? strlen(out) - 1500 : 0) : "",
		    err ? err : "");
	siplog_free(&l);
	free(out);
	free(err);
	free(log);
	free(csvpath);
	free(csv);
	return ok;
}



/* ---------------------------------------------------------- terminals */

/* A sipp UAS on 127.0.0.1:port (UDP, or TCP: the core) running scen for
 * `calls` calls with its message log. */
struct term {
	int port;
	pid_t pid;
	char *msglog;
	char *out;
	int exit_code;
};

static int term_start_at(struct term *t, const char *dir, const char *tag, const char *scen, int calls,
    int port, int tcp)
{
	static int seq;
	char m[16];

	memset(t, 0, sizeof *t);
	t->exit_code = -1;
	t->port = port;
	seq++;
	t->msglog = itest_asprintf("%s/term_%s_%d.msg", dir, tag, seq);
	t->out = itest_asprintf("%s/term_%s_%d.out", dir, tag, seq);
	snprintf(m, sizeof m, "%d", calls);
	const char *argv[] = { "sipp", "-sf", scen, "-m", m, "-i", "127.0.0.1", "-p", "@PORT@", "-nostdin",
		"-trace_msg", "-message_file", t->msglog, "-timeout", "60s", "-timeout_error",
		tcp ? "-t" : NULL, "t1", NULL };
	/* the port ppgd is configured with: sipp itself must own it (retried a few times) */
	t->pid = itest_sipp_start(argv, dir, t->out, tcp, &t->port);
	if (t->pid <= 0) {
		fprintf(stderr, "sipp (%s) does not listen on %d\n", tag, port);
		t->pid = 0;
		return -1;
	}
	return 0;
}

static int term_wait(struct term *t, double timeout_s)
{
	if (t->pid > 0 && itest_wait_pid(t->pid, timeout_s, &t->exit_code) == 0)
		t->pid = 0;
	return t->pid > 0 ? -1 : t->exit_code;
}

static void term_free(struct term *t)
{
	if (t->pid > 0)
		t->exit_code = itest_stop_pid(t->pid, SIGTERM, 5);
	t->pid = 0;
	free(t->msglog);
	free(t->out);
	t->msglog = t->out = NULL;
}

/* The MESSAGE transactions of a sipp log whose body has text: their times
 * (sipp's clock) into v (up to max); the count. */
static size_t messages_with(const char *msglog, const char *text, double *v, size_t max)
{
	struct siplog l;
	const struct sipmsg *m[256];
	siplog_load(msglog, &l);
	size_t n = sip_requests(&l, "MESSAGE", m, 256), k = 0;
	for (size_t i = 0; i < n; i++) {
		size_t blen;
		const char *b = sip_body(m[i], &blen);
		if (memmem(b, blen, text, strlen(text)) && k < max)
			v[k++] = m[i]->t;
	}
	siplog_free(&l);
	return k;
}

/* One REGISTER; the final status answered, or -1. */
static int sip_register(const char *dir, const char *src_ip, int dst_port, const char *user, int cport,
    int expires)
{
	int st = -1;
	sip_register_scen("tests/sipp/e2e_register.xml", dir, src_ip, dst_port, &user, &cport, expires, 1, &st);
	return st;
}

/* ------------------------------------------------------------ daemons */

static void start_ppgd(struct itest_daemon *d, const char *tag, const char *sip_extra,
    const char *notify_extra, int *sip_port)
{
	if (itest_daemon_init(d, tag) != 0)
		return;
	*sip_port = itest_free_port_udp_tcp();
	char *sections = itest_asprintf(
	    "[sip]\n"
	    "enabled = yes\n"
	    "listen = sip:127.0.0.1:%d\n"
	    "from = " PPG_FROM "\n"
	    "%s\n"
	    "[notify]\n"
	    "%s\n",
	    *sip_port, sip_extra ? sip_extra : "", notify_extra ? notify_extra : "");
	if (itest_std_config(d, NULL, sections) == 0)
		itest_daemon_start(d);
	free(sections);
}

/* Lines of the first `upto` bytes of the daemon's log (all: upto 0) that
 * contain both a and b. */
static size_t log_count(const struct itest_daemon *d, size_t upto, const char *a, const char *b)
{
	size_t len = 0, n = 0;
	char *s = tu_read_file(d->log, &len);
	if (!s)
		return 0;
	if (upto && upto < len)
		s[upto] = '\0';
	for (char *line = s; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		n += strstr(line, a) && (!b || strstr(line, b));
		line = nl ? nl + 1 : NULL;
	}
	free(s);
	return n;
}

static size_t log_size(const struct itest_daemon *d)
{
	size_t len = 0;
	free(tu_read_file(d->log, &len));
	return len;
}

#define FAULT_SIP "transaction_timeout = 2\nretry_min = 1\nretry_max = 2\nmax_attempts = 30\n"
#define FAULT_NOTIFY "retry_min = 1\nretry_max = 2\nmax_attempts = 30\ntimeout = 2\n"

/* ====================== suite: the SIP core unreachable (TCP refused) */

#define NDOWN 5
#define OUTAGE_S 5.0

static struct itest_daemon dcore;
static int dcore_sip, core_port;

static int init_core(void)
{
	core_port = itest_free_port_udp_tcp();
	char *extra = itest_asprintf(FAULT_SIP "outbound_proxy = sip:127.0.0.1:%d;transport=tcp;lr\n", core_port);
	start_ppgd(&dcore, "faults-core", extra, NULL, &dcore_sip);
	free(extra);
	return 0;
}

static int clean_core(void)
{
	itest_daemon_destroy(&dcore, 0);
	return 0;
}

static void t_core_outage(void)
{
	NEED(dcore);
	/* the terminal's contact is behind the core: any port */
	EXPECT_INT(sip_register(dcore.dir, "127.0.0.1", dcore_sip, "cuser", 5999, 600), 200);
	double t0 = itest_now();
	for (int i = 0; i < NDOWN; i++) {
		char id[64], text[64];
		snprintf(id, sizeof id, "down-%d@faults", i);
		snprintf(text, sizeof text, "payload of down-%d", i);
		EXPECT_INT(push_to(&dcore, DOCTYPE_21, id, "cuser", NULL, "text/plain", text, strlen(text)), 1001);
	}
	sleep_s(OUTAGE_S - (itest_now() - t0));
	/* the core comes back: attempts so far were refused */
	size_t upto = log_size(&dcore);
	char *scen = uas_scenario(dcore.dir, 200, "OK", NULL);
	struct term core;
	double t_up = itest_wall_now();   /* the core's log times are wall-clock */
	EXPECT_FATAL(term_start_at(&core, dcore.dir, "core", scen, NDOWN, core_port, 1) == 0);
	ctx_files[0] = core.msglog;
	size_t during_max = 0, during_min = 1000, during_sum = 0;
	int delivered = 0;
	for (int i = 0; i < NDOWN; i++) {
		char id[64], pid[80];
		snprintf(id, sizeof id, "down-%d@faults", i);
		snprintf(pid, sizeof pid, "push-id=%s:", id);
		size_t a = log_count(&dcore, upto, pid, "SIP MESSAGE to");
		during_sum += a;
		if (a > during_max)
			during_max = a;
		if (a < during_min)
			during_min = a;
		struct sq q;
		if (wait_final(&dcore, id, 15, &q) == 0 && q.state == PAP_STATE_DELIVERED)
			delivered++;
		else
			fprintf(stderr, "\n  %s: %s %d \"%s\"", id, pap_state_str(q.state), q.code, q.desc);
	}
	EXPECT_INT(term_wait(&core, 10), 0);
	/* at the core: one MESSAGE per push, nothing twice; when the last came
	 * (the core's own log, not the statusquery polls, which a loaded
	 * sanitizer build slows) */
	size_t at_core = 0;
	double last = 0;
	for (int i = 0; i < NDOWN; i++) {
		char text[64];
		double v[16];
		snprintf(text, sizeof text, "payload of down-%d", i);
		size_t k = messages_with(core.msglog, text, v, 16);
		EXPECT_INT(k, 1);
		if (k && v[0] - t_up > last)
			last = v[0] - t_up;
		at_core += k;
	}
	size_t attempts_all = log_count(&dcore, 0, "@faults:", "SIP MESSAGE to");
	printf("\n    core down %.1f s: %d of %d delivered, the last at the core %.2f s after it came back; "
	    "attempts per delivery during the outage %zu..%zu (%zu in all, bound %d); "
	    "MESSAGEs at the core %zu; attempts in all %zu\n", OUTAGE_S, delivered, NDOWN, last, during_min,
	    during_max, during_sum, 1 + (int)(OUTAGE_S / 1.0), at_core, attempts_all);
	EXPECT_INT(delivered, NDOWN);
	/* retried during the outage, with backoff: not once, not a storm
	 * (at most one attempt per retry_min) */
	EXPECT(during_min >= 2);
	EXPECT(during_max <= 1 + (size_t)(OUTAGE_S / 1.0));
	EXPECT_INT(at_core, NDOWN);
	EXPECT(attempts_all <= NDOWN * (2 + (size_t)(OUTAGE_S / 1.0)));
	/* sent again within retry_max (and a round trip) of the core's return */
	EXPECT(last > 0 && last < 2.0 + 1.5);
	term_free(&core);
	free(scen);
	ctx_files[0] = NULL;
}

/* =============== suite: 503 with Retry-After; the PI endpoint down */

static struct itest_daemon dbusy;
static int dbusy_sip;

static int init_busy(void)
{
	start_ppgd(&dbusy, "faults-busy", FAULT_SIP, FAULT_NOTIFY, &dbusy_sip);
	return 0;
}

static int clean_busy(void)
{
	itest_daemon_destroy(&dbusy, 0);
	return 0;
}

#define NBUSY 3
#define BUSY_S 6.0
#define RETRY_AFTER 2

static void t_busy_retry_after(void)
{
	NEED(dbusy);
	int port = itest_free_port_udp_tcp();
	char ra[32];
	snprintf(ra, sizeof ra, "Retry-After: %d", RETRY_AFTER);
	char *s503 = uas_scenario(dbusy.dir, 503, "Service Unavailable", ra);
	char *s200 = uas_scenario(dbusy.dir, 200, "OK", NULL);
	struct term busy, ok;
	EXPECT_FATAL(term_start_at(&busy, dbusy.dir, "busy", s503, 1000, port, 0) == 0);
	ctx_files[0] = busy.msglog;
	EXPECT_INT(sip_register(dbusy.dir, "127.0.0.1", dbusy_sip, "buser", port, 600), 200);
	double t0 = itest_now();
	for (int i = 0; i < NBUSY; i++) {
		char id[64], text[64];
		snprintf(id, sizeof id, "busy-%d@faults", i);
		snprintf(text, sizeof text, "payload of busy-%d", i);
		EXPECT_INT(push_to(&dbusy, DOCTYPE_21, id, "buser", NULL, "text/plain", text, strlen(text)), 1001);
	}
	sleep_s(BUSY_S - (itest_now() - t0));
	/* the terminal takes MESSAGEs again, on the same port */
	char *busy_log = strdup(busy.msglog);   /* kept for the counts */
	term_free(&busy);
	busy.msglog = busy_log;
	double t_ok = itest_now();
	EXPECT_FATAL(term_start_at(&ok, dbusy.dir, "ok", s200, NBUSY, port, 0) == 0);
	ctx_files[1] = ok.msglog;
	int delivered = 0;
	for (int i = 0; i < NBUSY; i++) {
		char id[64];
		snprintf(id, sizeof id, "busy-%d@faults", i);
		struct sq q;
		if (wait_final(&dbusy, id, 15, &q) == 0 && q.state == PAP_STATE_DELIVERED)
			delivered++;
		else
			fprintf(stderr, "\n  %s: %s %d \"%s\"", id, pap_state_str(q.state), q.code, q.desc);
	}
	double last = itest_now() - t_ok;
	EXPECT_INT(term_wait(&ok, 10), 0);
	EXPECT_INT(delivered, NBUSY);
	double min_gap = 1e9;
	size_t max_attempts = 0;
	for (int i = 0; i < NBUSY; i++) {
		char text[64];
		double v[32], w[8];
		snprintf(text, sizeof text, "payload of busy-%d", i);
		size_t n503 = messages_with(busy.msglog, text, v, 24);
		size_t n200 = messages_with(ok.msglog, text, w, 8);
		EXPECT(n503 >= 2);          /* refused, and refused again after the Retry-After */
		EXPECT_INT(n200, 1);        /* delivered once */
		if (n200 && n503 < 32)
			v[n503] = w[0];
		size_t n = n503 + (n200 ? 1 : 0);
		printf("\n    busy-%d: %zu MESSAGEs answered 503, then 200; gaps", i, n503);
		for (size_t k = 1; k < n; k++) {
			double gap = v[k] - v[k - 1];
			printf(" %.2f", gap);
			if (gap < min_gap)
				min_gap = gap;
		}
		if (n > max_attempts)
			max_attempts = n;
	}
	printf("\n    503 with Retry-After: %d for %.0f s: %d of %d delivered, the last %.2f s after the "
	    "terminal took MESSAGEs again; shortest gap between two attempts %.2f s; at most %zu attempts "
	    "per delivery (bound %d)\n", RETRY_AFTER, BUSY_S, delivered, NBUSY, last, min_gap, max_attempts,
	    (int)(BUSY_S / RETRY_AFTER) + 2);
	/* no retry before the Retry-After (sipp's timestamps; 50 ms for the
	 * two sipp processes' log clocks) */
	EXPECT(min_gap >= RETRY_AFTER - 0.05);
	EXPECT(max_attempts <= (size_t)(BUSY_S / RETRY_AFTER) + 2);
	EXPECT(last < RETRY_AFTER + 1.5);
	term_free(&busy);
	term_free(&ok);
	free(s503);
	free(s200);
	ctx_files[0] = ctx_files[1] = NULL;
}

#define NNOTE 3
#define PI_DOWN_S 5.0

static void t_pi_endpoint_down(void)
{
	NEED(dbusy);
	int pi_port = itest_free_port();
	char url[96];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/pi/notify", pi_port);
	char *attrs = itest_asprintf("ppg-notify-requested-to=\"%s\"", url);
	int port = itest_free_port_udp_tcp();
	char *s200 = uas_scenario(dbusy.dir, 200, "OK", NULL);
	struct term t;
	EXPECT_FATAL(term_start_at(&t, dbusy.dir, "note", s200, NNOTE, port, 0) == 0);
	ctx_files[0] = t.msglog;
	EXPECT_INT(sip_register(dbusy.dir, "127.0.0.1", dbusy_sip, "nuser", port, 600), 200);
	double t0 = itest_now();
	/* one after the other: their events (delivered) come in this order */
	for (int i = 0; i < NNOTE; i++) {
		char id[64], text[64];
		snprintf(id, sizeof id, "note-%d@faults", i);
		snprintf(text, sizeof text, "payload of note-%d", i);
		EXPECT_INT(push_to(&dbusy, DOCTYPE_21, id, "nuser", attrs, "text/plain", text, strlen(text)), 1001);
		struct sq q;
		EXPECT(wait_final(&dbusy, id, 10, &q) == 0 && q.state == PAP_STATE_DELIVERED);
	}
	sleep_s(PI_DOWN_S - (itest_now() - t0));
	size_t failed_posts = log_count(&dbusy, 0, "notification", "failed");
	struct itest_pi pil;
	double t_up = itest_wall_now();
	EXPECT_FATAL(itest_pi_start(&pil, 0, pi_port) == 0);
	EXPECT(itest_pi_wait(&pil, NULL, NNOTE, 10) == 0);
	sleep_s(1.5);   /* room for a wrong extra POST */
	pthread_mutex_lock(&pil.mu);
	size_t n = pil.n;
	printf("\n    PI endpoint down %.0f s (%zu failed POSTs logged): %zu notification(s) after it came back:",
	    PI_DOWN_S, failed_posts, n);
	for (size_t i = 0; i < n; i++)
		printf(" [%s at +%.2f s]", pil.v[i].push_id, pil.v[i].t - t_up);
	printf("\n");
	EXPECT_INT(n, NNOTE);
	for (size_t i = 0; i < n && i < NNOTE; i++) {
		char id[64];
		snprintf(id, sizeof id, "note-%zu@faults", i);
		EXPECT_STR(pil.v[i].push_id, id);      /* in the order of the events */
		EXPECT(pil.v[i].t >= t_up);
		EXPECT(pil.v[i].t - t_up < 2.0 + 1.5);  /* within retry_max of its return */
	}
	pthread_mutex_unlock(&pil.mu);
	EXPECT(failed_posts >= 1);
	itest_pi_stop(&pil);
	EXPECT_INT(term_wait(&t, 10), 0);
	term_free(&t);
	free(s200);
	free(attrs);
	ctx_files[0] = NULL;
}

static void check_clean_exit(struct itest_daemon *d)
{
	NEED(*d);
	int st = itest_daemon_stop(d);
	EXPECT(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT(log_count(d, 0, "ERROR: AddressSanitizer", NULL) == 0);
	EXPECT(log_count(d, 0, "runtime error:", NULL) == 0);
	EXPECT(log_count(d, 0, "LeakSanitizer", NULL) == 0);
}

static void t_core_clean_exit(void) { check_clean_exit(&dcore); }
static void t_busy_clean_exit(void) { check_clean_exit(&dbusy); }

int main(void)
{
	static const struct itest_test_def core[] = {
		{ "SIP core refused for 5 s: backoff, all delivered after, no storm", t_core_outage },
		{ "SIGTERM: exit 0, no sanitizer report", t_core_clean_exit },
		{ NULL, NULL },
	};
	static const struct itest_test_def busy[] = {
		{ "503 Retry-After: 2 for 6 s: none early, none lost", t_busy_retry_after },
		{ "PI endpoint down 5 s: notifications kept, in order after", t_pi_endpoint_down },
		{ "SIGTERM: exit 0, no sanitizer report", t_busy_clean_exit },
		{ NULL, NULL },
	};
	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("faults: the SIP core unreachable", init_core, clean_core, core) ||
	    itest_add_suite("faults: 503 Retry-After, the PI endpoint down", init_busy, clean_busy, busy)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
