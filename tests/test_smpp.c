/*
 * test_smpp.c - CUnit tests of the SMPP 3.4 client (smpp/) against
 * a real SMSC peer: tests/smsc/smsc.pl, Net::SMPP (Debian libnet-smpp-perl)
 * in listen mode, started per case on a free port and stopped by its PID.
 * Its log (one line per PDU it got) is the evidence of what reached the
 * wire. Cases that need a misbehaving peer (garbage bytes, silence) use a
 * small socket served from this test's own loop.
 *
 * The test drives the su_root itself (su_root_step) like test_sipb.c.
 */
#include "smpp/smpp.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

#define PERL "/usr/bin/perl"
#define DEST "358401234567"
#define MAXTAG 64

static su_root_t *root;
static char *tmpdir;

/* ------------------------------------------------------------ callbacks */

struct res {
	int n, cls;
	uint32_t status;
	char msgid[72], reason[160];
};
static struct res res[MAXTAG];
static int nres;

struct rcpt {
	char id[72], stat[16];
	int delivered;
};
static struct rcpt rcpts[MAXTAG];
static int nrcpt;

struct linkev {
	int up;
	double t;
	char reason[160];
};
static struct linkev links[256];
static int nlinks, nup;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_result(void *arg, uint64_t tag, int cls, uint32_t status, const char *msgid,
    const char *reason)
{
	CU_ASSERT_FATAL(tag < MAXTAG);
	struct res *r = &res[tag];
	r->n++;
	r->cls = cls;
	r->status = status;
	snprintf(r->msgid, sizeof r->msgid, "%s", msgid ? msgid : "(null)");
	snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "(null)");
	CU_ASSERT_PTR_NOT_NULL(reason);
	CU_ASSERT((cls == SMPP_OK) == (msgid != NULL));
	nres++;
}

static void on_receipt(void *arg, const char *id, int delivered, const char *stat)
{
	CU_ASSERT_FATAL(nrcpt < MAXTAG);
	struct rcpt *r = &rcpts[nrcpt++];
	snprintf(r->id, sizeof r->id, "%s", id);
	snprintf(r->stat, sizeof r->stat, "%s", stat);
	r->delivered = delivered;
}

static void on_link(void *arg, int up, const char *reason)
{
	if (nlinks < (int)(sizeof links / sizeof links[0])) {
		links[nlinks].up = up;
		links[nlinks].t = now_s();
		snprintf(links[nlinks].reason, sizeof links[nlinks].reason, "%s", reason);
		nlinks++;
	}
	if (up)
		nup++;
}

static const struct smpp_callbacks cbs = { on_result, on_receipt, on_link, NULL };

static void reset(void)
{
	memset(res, 0, sizeof res);
	memset(rcpts, 0, sizeof rcpts);
	memset(links, 0, sizeof links);
	nres = nrcpt = nlinks = nup = 0;
}

/* ------------------------------------------------------------ helpers */

static unsigned free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	CU_ASSERT(port != 0);
	return port;
}

/* Called on every step of run() (the in-test fake servers). */
static void (*hook)(void);

/* Steps the root until *counter >= want or ms pass. */
static void run(const int *counter, int want, long ms)
{
	double end = now_s() + ms / 1000.0;

	while ((!counter || *counter < want) && now_s() < end) {
		su_root_step(root, 5);
		if (hook)
			hook();
	}
}

/* The client's log lines, on stderr when PPG_TEST_DEBUG is set. */
static void test_log(void *arg, int level, const char *fmt, va_list ap)
{
	(void)arg;
	fprintf(stderr, "smpp <%d> ", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static struct smpp_config config(unsigned port)
{
	struct smpp_config c = {
		.host = "127.0.0.1",
		.port = port,
		.system_id = "ppg",
		.password = "secret",
		.system_type = "WAP",
		.transceiver = 1,
		.window = 4,
		.enquire_link_s = 5,
		.reconnect_min_s = 0.1,
		.reconnect_max_s = 0.4,
		.response_timeout_s = 2,
		.throttle_pause_s = 0.1,
		.registered_delivery = 1,
		.source_addr = "1234",
		.source_ton = 5, .source_npi = 0,
		.dest_ton = 1, .dest_npi = 1,
		.log = getenv("PPG_TEST_DEBUG") ? test_log : NULL,
	};
	return c;
}

struct smsc {
	pid_t pid;
	unsigned port;
	char log[600], pidfile[600], out[600];
};

/* Starts tests/smsc/smsc.pl on a free port with the extra options (NULL
 * terminated) and waits until it listens (its pidfile appears). */
static int smsc_start(struct smsc *p, ...)
{
	static int seq;
	const char *argv[40];
	char portstr[16];
	int n = 0;
	va_list ap;

	seq++;
	p->port = free_port();
	snprintf(portstr, sizeof portstr, "%u", p->port);
	snprintf(p->log, sizeof p->log, "%s/smsc-%d.log", tmpdir, seq);
	snprintf(p->pidfile, sizeof p->pidfile, "%s/smsc-%d.pid", tmpdir, seq);
	snprintf(p->out, sizeof p->out, "%s/smsc-%d.out", tmpdir, seq);
	argv[n++] = PERL;
	argv[n++] = tu_src("tests/smsc/smsc.pl");
	argv[n++] = "--port";
	argv[n++] = portstr;
	argv[n++] = "--log";
	argv[n++] = p->log;
	argv[n++] = "--pidfile";
	argv[n++] = p->pidfile;
	va_start(ap, p);
	const char *a;
	while ((a = va_arg(ap, const char *)) && n < 38)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	/* tu_src returns a static buffer: copy the script path */
	char script[1024];
	snprintf(script, sizeof script, "%s", argv[1]);
	argv[1] = script;

	p->pid = fork();
	if (p->pid < 0)
		return -errno;
	if (p->pid == 0) {
		int fd = open(p->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execv(PERL, (char *const *)argv);
		_exit(127);
	}
	double end = now_s() + 10;
	while (access(p->pidfile, F_OK) != 0 && now_s() < end) {
		int st;
		if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
			p->pid = -1;
			break;
		}
		usleep(10000);
	}
	CU_ASSERT_EQUAL(access(p->pidfile, F_OK), 0);
	return access(p->pidfile, F_OK) == 0 ? 0 : -1;
}

static void smsc_stop(struct smsc *p)
{
	int st;

	if (p->pid <= 0)
		return;
	kill(p->pid, SIGTERM);
	double end = now_s() + 5;
	while (waitpid(p->pid, &st, WNOHANG) != p->pid) {
		if (now_s() > end) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &st, 0);
			break;
		}
		usleep(5000);
	}
	p->pid = -1;
}

/* Lines of the SMSC log that start with prefix, copied into lines[] (each
 * malloc'ed; free with free_lines). */
static int log_lines(const struct smsc *p, const char *prefix, char **lines, int max)
{
	char *text = tu_read_file(p->log, NULL), *save = NULL;
	int n = 0;

	if (!text)
		return 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (!strncmp(l, prefix, strlen(prefix)) && n < max)
			lines[n++] = strdup(l);
	free(text);
	return n;
}

static int log_count(const struct smsc *p, const char *prefix)
{
	char *lines[1024];
	int n = log_lines(p, prefix, lines, 1024);
	for (int i = 0; i < n; i++)
		free(lines[i]);
	return n;
}

static void free_lines(char **lines, int n)
{
	for (int i = 0; i < n; i++)
		free(lines[i]);
}

/* The value of " key=" in a log line (static buffer). */
static const char *field(const char *line, const char *key)
{
	static char val[1024];
	char k[64];
	snprintf(k, sizeof k, " %s=", key);
	const char *at = strstr(line, k);
	val[0] = '\0';
	if (at) {
		at += strlen(k);
		size_t n = strcspn(at, " ");
		snprintf(val, sizeof val, "%.*s", (int)n, at);
	}
	return val;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

static void dump(const struct smsc *p)
{
	char *t = tu_read_file(p->log, NULL);
	fprintf(stderr, "---- smsc log %s\n%.6000s\n", p->log, t ? t : "(none)");
	free(t);
	t = tu_read_file(p->out, NULL);
	if (t && *t)
		fprintf(stderr, "---- smsc output\n%.3000s\n", t);
	free(t);
}

/* ------------------------------------------------------ wire layer tests */

static void test_status_table(void)
{
	CU_ASSERT_EQUAL(smpp_status_class(0x00), SMPP_OK);
	CU_ASSERT_EQUAL(smpp_status_class(0x58), SMPP_RETRY);
	CU_ASSERT_EQUAL(smpp_status_class(0x14), SMPP_RETRY);
	CU_ASSERT_EQUAL(smpp_status_class(0x08), SMPP_RETRY);
	CU_ASSERT_EQUAL(smpp_status_class(0x64), SMPP_RETRY);
	CU_ASSERT_EQUAL(smpp_status_class(0x04), SMPP_RETRY);
	CU_ASSERT_EQUAL(smpp_status_class(SMPP_LOCAL), SMPP_RETRY);
	CU_ASSERT_EQUAL(smpp_status_class(0x0B), SMPP_FAIL);
	CU_ASSERT_EQUAL(smpp_status_class(0x43), SMPP_FAIL);
	CU_ASSERT_EQUAL(smpp_status_class(0xC2), SMPP_FAIL);
	CU_ASSERT_EQUAL(smpp_status_class(0x401), SMPP_FAIL);
	CU_ASSERT_EQUAL(smpp_status_class(0x12345), SMPP_FAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(smpp_status_name(0x58), "THROTTLED"));
	CU_ASSERT_PTR_NOT_NULL(strstr(smpp_status_name(0x0B), "RINVDSTADR"));
	CU_ASSERT_PTR_NOT_NULL(strstr(smpp_status_name(0x401), "vendor"));
}

static void test_pack(void)
{
	struct smpp_config c = config(2775);
	struct smpp_hdr h;
	uint8_t out[600], sm[140];
	size_t n;

	for (size_t i = 0; i < sizeof sm; i++)
		sm[i] = (uint8_t)i;
	CU_ASSERT_EQUAL_FATAL(smpp_pack_submit(out, sizeof out, &n, 0x7FFFFFFF, &c, DEST, sm, 140), 0);
	CU_ASSERT_EQUAL(smpp_hdr_read(out, n, &h), 0);
	CU_ASSERT_EQUAL(h.len, n);
	CU_ASSERT_EQUAL(h.id, SUBMIT_SM);
	CU_ASSERT_EQUAL(h.seq, 0x7FFFFFFF);
	/* body: service_type "" | 05 00 "1234" | 01 01 DEST | esm 40 pid 00 prio 00 | "" "" | rd 01 rip 00 dc 04 def 00 len 8C */
	static const uint8_t head[] = { 0x00, 0x05, 0x00, '1', '2', '3', '4', 0x00, 0x01, 0x01 };
	CU_ASSERT_EQUAL(memcmp(out + 16, head, sizeof head), 0);
	size_t o = 16 + sizeof head + strlen(DEST) + 1;
	static const uint8_t mid[] = { 0x40, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x04, 0x00, 140 };
	CU_ASSERT_EQUAL(memcmp(out + o, mid, sizeof mid), 0);
	CU_ASSERT_EQUAL(memcmp(out + o + sizeof mid, sm, 140), 0);
	CU_ASSERT_EQUAL(n, o + sizeof mid + 140);
	/* limits */
	CU_ASSERT_EQUAL(smpp_pack_submit(out, sizeof out, &n, 1, &c, DEST, sm, 141), -EINVAL);
	CU_ASSERT_EQUAL(smpp_pack_submit(out, 100, &n, 1, &c, DEST, sm, 140), -EINVAL);
	CU_ASSERT_EQUAL(smpp_pack_submit(out, sizeof out, &n, 1, &c, "123456789012345678901", sm, 1), -EINVAL);
	CU_ASSERT_EQUAL(smpp_pack_empty(out, sizeof out, &n, ENQUIRE_LINK, 0, 0), -EINVAL); /* seq 0 */
	CU_ASSERT_EQUAL(smpp_pack_empty(out, sizeof out, &n, GENERIC_NACK, ESME_RINVCMDID, 9), 0);
	CU_ASSERT_EQUAL(n, 16);
	static const uint8_t nack[] = { 0, 0, 0, 16, 0x80, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 9 };
	CU_ASSERT_EQUAL(memcmp(out, nack, 16), 0);
	CU_ASSERT_EQUAL(smpp_pack_bind(out, sizeof out, &n, 1, &c), 0);
	CU_ASSERT_EQUAL(smpp_hdr_read(out, n, &h), 0);
	CU_ASSERT_EQUAL(h.id, BIND_TRANSCEIVER);
	CU_ASSERT_EQUAL(n, 16 + 4 + 7 + 4 + 1 + 1 + 1 + 1);
	/* framing limits */
	uint8_t bad[16] = { 0, 0, 0, 15 };
	CU_ASSERT_EQUAL(smpp_hdr_read(bad, 16, &h), -EPROTO);
	bad[3] = 0;
	bad[1] = 1;
	bad[3] = 1;   /* 65537 */
	CU_ASSERT_EQUAL(smpp_hdr_read(bad, 16, &h), -EPROTO);
	bad[3] = 0;   /* 65536 */
	CU_ASSERT_EQUAL(smpp_hdr_read(bad, 16, &h), 0);
	CU_ASSERT_EQUAL(smpp_hdr_read(bad, 15, &h), -EPROTO);
}

/* A deliver_sm receipt packed by libsmpp34 (as an SMSC would send it). */
static size_t make_receipt(uint8_t *out, size_t cap, const char *text, const char *tlv_id,
    int tlv_state)
{
	deliver_sm_t d;
	tlv_t t;
	int len = 0;

	memset(&d, 0, sizeof d);
	d.command_id = DELIVER_SM;
	d.sequence_number = 77;
	snprintf((char *)d.source_addr, sizeof d.source_addr, DEST);
	snprintf((char *)d.destination_addr, sizeof d.destination_addr, "1234");
	d.esm_class = 0x04;
	d.sm_length = (uint8_t)strlen(text);
	memcpy(d.short_message, text, d.sm_length);
	if (tlv_id) {
		memset(&t, 0, sizeof t);
		t.tag = TLVID_receipted_message_id;
		t.length = (uint16_t)(strlen(tlv_id) + 1);
		memcpy(t.value.octet, tlv_id, t.length);
		build_tlv(&d.tlv, &t);
	}
	if (tlv_state >= 0) {
		memset(&t, 0, sizeof t);
		t.tag = TLVID_message_state;
		t.length = 1;
		t.value.val08 = (uint8_t)tlv_state;
		build_tlv(&d.tlv, &t);
	}
	int r = smpp34_pack(DELIVER_SM, out, (int)cap, &len, &d);
	destroy_tlv(d.tlv);
	CU_ASSERT_EQUAL_FATAL(r, 0);
	return (size_t)len;
}

static int parse(const uint8_t *pdu, size_t len, char *id, char *stat)
{
	uint8_t buf[2048];
	struct smpp_deliver d;
	const char *reason = NULL;

	memcpy(buf, pdu, len);
	buf[len] = 0;
	if (smpp_unpack_deliver(buf, len, &d, &reason) < 0)
		return -99;
	CU_ASSERT_EQUAL(d.esm_class, 0x04);
	return smpp_receipt_parse(&d, id, 72, stat, 16);
}

/* query_sm through libsmpp34: the PDU, the answer, message_state as a receipt. */
static void test_query_pdu(void)
{
	struct smpp_config c = config(2775);
	struct smpp_hdr h;
	uint8_t out[256];
	size_t n;

	CU_ASSERT_EQUAL_FATAL(smpp_pack_query(out, sizeof out, &n, 42, &c, "00000A1F"), 0);
	CU_ASSERT_EQUAL(smpp_hdr_read(out, n, &h), 0);
	CU_ASSERT_EQUAL(h.id, QUERY_SM);
	CU_ASSERT_EQUAL(h.seq, 42);
	/* body: message_id "00000A1F" | source_addr_ton 05 npi 00 | source_addr "1234" */
	static const uint8_t body[] = { '0', '0', '0', '0', '0', 'A', '1', 'F', 0, 0x05, 0x00, '1', '2', '3', '4', 0 };
	CU_ASSERT_EQUAL(n, 16 + sizeof body);
	CU_ASSERT_EQUAL(memcmp(out + 16, body, sizeof body), 0);
	CU_ASSERT_EQUAL(smpp_pack_query(out, sizeof out, &n, 1, &c, ""), -EINVAL);
	char longid[70];
	memset(longid, '7', sizeof longid - 1);
	longid[sizeof longid - 1] = '\0';
	CU_ASSERT_EQUAL(smpp_pack_query(out, sizeof out, &n, 1, &c, longid), -EINVAL);

	/* query_sm_resp: "msg-7", final_date "", message_state 5, error_code 9 (and a NUL after it) */
	static const uint8_t resp[] = { 0, 0, 0, 25, 0x80, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 7,
		'm', 's', 'g', '-', '7', 0, 0, 5, 9, 0 };
	char id[72];
	int state = 0, err = 0;
	const char *reason = NULL;
	CU_ASSERT_EQUAL(smpp_unpack_query_resp(resp, 25, id, sizeof id, &state, &err, &reason), 0);
	CU_ASSERT_STRING_EQUAL(id, "msg-7");
	CU_ASSERT_EQUAL(state, 5);
	CU_ASSERT_EQUAL(err, 9);
	/* truncated: refused, nothing leaked */
	uint8_t cut[20];
	memcpy(cut, resp, 19);
	cut[3] = 19;
	cut[19] = 0;
	CU_ASSERT_EQUAL(smpp_unpack_query_resp(cut, 19, id, sizeof id, &state, &err, &reason), -EPROTO);

	const char *stat = NULL;
	CU_ASSERT_EQUAL(smpp_state_receipt(2, &stat), SMPP_RCPT_DELIVERED);
	CU_ASSERT_STRING_EQUAL(stat, "DELIVRD");
	CU_ASSERT_EQUAL(smpp_state_receipt(3, &stat), SMPP_RCPT_FAILED);
	CU_ASSERT_STRING_EQUAL(stat, "EXPIRED");
	CU_ASSERT_EQUAL(smpp_state_receipt(5, &stat), SMPP_RCPT_FAILED);
	CU_ASSERT_STRING_EQUAL(stat, "UNDELIV");
	CU_ASSERT_EQUAL(smpp_state_receipt(8, &stat), SMPP_RCPT_FAILED);
	CU_ASSERT_EQUAL(smpp_state_receipt(4, &stat), SMPP_RCPT_FAILED);
	CU_ASSERT_EQUAL(smpp_state_receipt(1, &stat), SMPP_RCPT_PENDING);
	CU_ASSERT_EQUAL(smpp_state_receipt(6, &stat), SMPP_RCPT_PENDING);
	CU_ASSERT_EQUAL(smpp_state_receipt(7, &stat), SMPP_RCPT_PENDING);
	CU_ASSERT_EQUAL(smpp_state_receipt(0, &stat), SMPP_RCPT_PENDING);
	CU_ASSERT_STRING_EQUAL(stat, "UNKNOWN");
	CU_ASSERT_EQUAL(smpp_state_receipt(200, NULL), SMPP_RCPT_PENDING);
}

static void test_receipts_parse(void)
{
	uint8_t pdu[2048];
	char id[72], stat[16];
	size_t n;

	n = make_receipt(pdu, sizeof pdu, "id:0000A1B2 sub:001 dlvrd:001 submit date:2401011200 "
	    "done date:2401011201 stat:DELIVRD err:000 text:", NULL, -1);
	CU_ASSERT_EQUAL(parse(pdu, n, id, stat), SMPP_RCPT_DELIVERED);
	CU_ASSERT_STRING_EQUAL(id, "0000A1B2");
	CU_ASSERT_STRING_EQUAL(stat, "DELIVRD");
	n = make_receipt(pdu, sizeof pdu, "Id:77 Sub:001 Dlvrd:000 Submit date:2401011200 "
	    "Done date:2401011201 Stat:undeliv Err:001 Text:hello", NULL, -1);
	CU_ASSERT_EQUAL(parse(pdu, n, id, stat), SMPP_RCPT_FAILED);
	CU_ASSERT_STRING_EQUAL(id, "77");
	CU_ASSERT_STRING_EQUAL(stat, "UNDELIV");
	n = make_receipt(pdu, sizeof pdu, "id:5 stat:ENROUTE", NULL, -1);
	CU_ASSERT_EQUAL(parse(pdu, n, id, stat), SMPP_RCPT_PENDING);
	/* the TLVs win over the text */
	n = make_receipt(pdu, sizeof pdu, "id:5 stat:ENROUTE", "abc-123", 2);
	CU_ASSERT_EQUAL(parse(pdu, n, id, stat), SMPP_RCPT_DELIVERED);
	CU_ASSERT_STRING_EQUAL(id, "abc-123");
	CU_ASSERT_STRING_EQUAL(stat, "DELIVRD");
	n = make_receipt(pdu, sizeof pdu, "", "xyz", 5);
	CU_ASSERT_EQUAL(parse(pdu, n, id, stat), SMPP_RCPT_FAILED);
	CU_ASSERT_STRING_EQUAL(stat, "UNDELIV");
	/* no id anywhere; "submit date" is no "id:" */
	n = make_receipt(pdu, sizeof pdu, "sub:001 xid:9 stat:DELIVRD", NULL, -1);
	CU_ASSERT_EQUAL(parse(pdu, n, id, stat), -2);

	/* Every truncation and single-byte mutation of a receipt with TLVs
	 * decodes or fails cleanly (AddressSanitizer watches). */
	n = make_receipt(pdu, sizeof pdu, "id:0000A1B2 sub:001 dlvrd:001 submit date:2401011200 "
	    "done date:2401011201 stat:DELIVRD err:000 text:", "0000A1B2", 2);
	for (size_t cut = 16; cut < n; cut++) {
		uint8_t *b = malloc(cut + 1);
		struct smpp_deliver d;
		const char *reason;
		memcpy(b, pdu, cut);
		b[cut] = 0;
		b[3] = (uint8_t)cut;   /* command_length says cut (n < 256) */
		(void)smpp_unpack_deliver(b, cut, &d, &reason);
		free(b);
	}
	for (size_t i = 16; i < n; i++) {
		for (int v = 0; v < 256; v += 51) {
			uint8_t *b = malloc(n + 1);
			struct smpp_deliver d;
			const char *reason;
			memcpy(b, pdu, n);
			b[n] = 0;
			b[i] = (uint8_t)v;
			if (smpp_unpack_deliver(b, n, &d, &reason) == 0)
				(void)smpp_receipt_parse(&d, id, sizeof id, stat, sizeof stat);
			free(b);
		}
	}
}

static void test_new_invalid(void)
{
	struct smpp_config c = config(2775);

	CU_ASSERT_PTR_NULL(smpp_new(root, NULL, &cbs, NULL));
	CU_ASSERT_PTR_NULL(smpp_new(root, &c, NULL, NULL));
	c.host = NULL;
	CU_ASSERT_PTR_NULL(smpp_new(root, &c, &cbs, NULL));
	c = config(0);
	CU_ASSERT_PTR_NULL(smpp_new(root, &c, &cbs, NULL));
	c = config(2775);
	c.system_id = "a-system-id-too-long";
	CU_ASSERT_PTR_NULL(smpp_new(root, &c, &cbs, NULL));
	c = config(2775);
	c.password = "123456789";
	CU_ASSERT_PTR_NULL(smpp_new(root, &c, &cbs, NULL));
	smpp_free(NULL);

	/* Nobody listens: submits wait in the queue; the queue has a bound;
	 * free ends each queued submit with RETRY exactly once. The connection
	 * attempts are refused at once, the delay between them doubles. */
	reset();
	c = config(free_port());
	c.queue_max = 3;
	c.reconnect_min_s = 0.1;
	c.reconnect_max_s = 0.8;
	struct smpp *s = smpp_new(root, &c, &cbs, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	uint8_t sm[140] = { 0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 1 };
	CU_ASSERT_EQUAL(smpp_submit(s, "", sm, 8, 1), -EINVAL);
	CU_ASSERT_EQUAL(smpp_submit(s, "123456789012345678901", sm, 8, 1), -EINVAL);
	CU_ASSERT_EQUAL(smpp_submit(s, DEST, sm, 0, 1), -EINVAL);
	CU_ASSERT_EQUAL(smpp_submit(s, DEST, sm, 141, 1), -EINVAL);
	CU_ASSERT_EQUAL(smpp_submit(s, DEST, NULL, 8, 1), -EINVAL);
	for (uint64_t t = 1; t <= 3; t++)
		CU_ASSERT_EQUAL(smpp_submit(s, DEST, sm, 8, t), 0);
	CU_ASSERT_EQUAL(smpp_submit(s, DEST, sm, 8, 4), -EAGAIN);
	CU_ASSERT_EQUAL(nres, 0);
	run(&nlinks, 6, 3000);
	CU_ASSERT(nlinks >= 6);
	for (int i = 0; i < nlinks; i++)
		CU_ASSERT_EQUAL(links[i].up, 0);
	/* refused at t0, +0.1, +0.2, +0.4, +0.8, +0.8 */
	static const double want[] = { 0.1, 0.2, 0.4, 0.8, 0.8 };
	for (int i = 1; i < 6 && i < nlinks; i++) {
		double d = links[i].t - links[i - 1].t;
		/* at least the delay; well below the next doubling */
		CU_ASSERT(d >= want[i - 1] - 0.02 && d < want[i - 1] + 0.3);
		if (!(d >= want[i - 1] - 0.02 && d < want[i - 1] + 0.3))
			fprintf(stderr, "backoff %d: %.3f s, want %.1f\n", i, d, want[i - 1]);
	}
	struct smpp_stats st;
	smpp_stats(s, &st);
	CU_ASSERT_EQUAL(st.queued, 3);
	CU_ASSERT_EQUAL(st.bound, 0);
	CU_ASSERT_EQUAL(nres, 0);
	smpp_free(s);
	CU_ASSERT_EQUAL(nres, 3);
	for (int t = 1; t <= 3; t++) {
		CU_ASSERT_EQUAL(res[t].n, 1);
		CU_ASSERT_EQUAL(res[t].cls, SMPP_RETRY);
		CU_ASSERT_EQUAL(res[t].status, SMPP_LOCAL);
	}
}

/* ----------------------------------------------------- against smsc.pl */

struct segment {
	uint8_t data[SMPP_MAX_SM];
	size_t len;
};

/* The three segments of Kannel's capture (concatenation UDH + WSP), sent as
 * they are. That otabearer's ota_wdp_segment() cuts the same three out of
 * their WSP PDU is checked in test_ota ("vectors sms and smpp"). */
static size_t kannel_segments(struct segment *segs, char hexes[3][300])
{
	char *text = tu_read_file(tu_vector("ota/kannel_ppg_smpp_submit_sm.log"), NULL);
	size_t nsegs = 0;
	char *save = NULL;
	int k = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (char *l = strtok_r(text, "\n", &save); l && k < 3; l = strtok_r(NULL, "\n", &save)) {
		const char *h = strstr(l, "short_message=");
		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		h += strlen("short_message=");
		snprintf(hexes[k], 300, "%s", h);
		size_t n = strlen(hexes[k]) / 2;
		CU_ASSERT_FATAL(n > 0 && n <= SMPP_MAX_SM);
		for (size_t i = 0; i < n; i++) {
			unsigned v;
			sscanf(h + 2 * i, "%2x", &v);
			segs[nsegs].data[i] = (uint8_t)v;
		}
		segs[nsegs++].len = n;
		k++;
	}
	free(text);
	CU_ASSERT_EQUAL(k, 3);
	CU_ASSERT_EQUAL(nsegs, 3);
	for (size_t i = 0; i < nsegs; i++) {
		char hx[300];
		hex(segs[i].data, segs[i].len, hx);
		CU_ASSERT_STRING_EQUAL(hx, hexes[i]);
	}
	return nsegs;
}

static void test_submit_segments(void)
{
	struct segment segs[3];
	char hexes[3][300];
	size_t nsegs = kannel_segments(segs, hexes);
	struct smsc p;
	unsigned f0 = CU_get_number_of_failures();

	reset();
	CU_ASSERT_EQUAL_FATAL(smsc_start(&p, "--system-id", "ppg", "--password", "secret",
	    "--receipts", "--receipt-delay", "0.1", (char *)NULL), 0);
	struct smpp_config c = config(p.port);
	struct smpp *s = smpp_new(root, &c, &cbs, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (size_t i = 0; i < nsegs; i++)
		CU_ASSERT_EQUAL(smpp_submit(s, DEST, segs[i].data, segs[i].len, i + 1), 0);
	CU_ASSERT_EQUAL(nres, 0);   /* never from inside smpp_submit */
	run(&nrcpt, (int)nsegs, 5000);
	CU_ASSERT_EQUAL(nres, 3);
	CU_ASSERT_EQUAL(nrcpt, 3);
	CU_ASSERT_EQUAL(nup, 1);
	for (int t = 1; t <= 3; t++) {
		CU_ASSERT_EQUAL(res[t].n, 1);
		CU_ASSERT_EQUAL(res[t].cls, SMPP_OK);
		CU_ASSERT_EQUAL(res[t].status, 0);
		CU_ASSERT_EQUAL(strlen(res[t].msgid), 8);
	}
	/* each receipt names one of the message ids, delivered */
	for (int i = 0; i < nrcpt; i++) {
		int found = 0;
		for (int t = 1; t <= 3; t++)
			found += !strcmp(rcpts[i].id, res[t].msgid);
		CU_ASSERT_EQUAL(found, 1);
		CU_ASSERT_EQUAL(rcpts[i].delivered, SMPP_RCPT_DELIVERED);
		CU_ASSERT_STRING_EQUAL(rcpts[i].stat, "DELIVRD");
	}
	/* what the SMSC got */
	char *lines[16];
	int n = log_lines(&p, "submit_sm ", lines, 16);
	CU_ASSERT_EQUAL(n, 3);
	for (int i = 0; i < n && i < 3; i++) {
		CU_ASSERT_STRING_EQUAL(field(lines[i], "esm_class"), "0x40");
		CU_ASSERT_STRING_EQUAL(field(lines[i], "data_coding"), "0x04");
		CU_ASSERT_STRING_EQUAL(field(lines[i], "registered_delivery"), "0x01");
		CU_ASSERT_STRING_EQUAL(field(lines[i], "dst"), DEST);
		CU_ASSERT_STRING_EQUAL(field(lines[i], "sm"), hexes[i]);
		CU_ASSERT_STRING_EQUAL(field(lines[i], "msg_id"), res[i + 1].msgid);
	}
	free_lines(lines, n);
	n = log_lines(&p, "bind ", lines, 16);
	CU_ASSERT_EQUAL(n, 1);
	if (n)
		CU_ASSERT_STRING_EQUAL(field(lines[0], "cmd"), "bind_transceiver");
	free_lines(lines, n);
	struct smpp_stats st;
	smpp_stats(s, &st);
	CU_ASSERT_EQUAL(st.ok, 3);
	CU_ASSERT_EQUAL(st.receipts, 3);
	CU_ASSERT_EQUAL(st.in_flight, 0);
	CU_ASSERT_EQUAL(st.bound, 1);
	smpp_free(s);
	run(NULL, 0, 100);
	CU_ASSERT_EQUAL(log_count(&p, "unbind seq="), 1);
	CU_ASSERT_EQUAL(log_count(&p, "deliver_sm_resp seq="), 3);
	if (CU_get_number_of_failures() > f0)
		dump(&p);
	smsc_stop(&p);
}

/* PDUs cut into 5-octet writes, receipts with TLVs, enquire_link both ways,
 * a transmitter bind, sequence numbers that wrap. */
static void test_split_keepalive_wrap(void)
{
	struct smsc p;
	unsigned f0 = CU_get_number_of_failures();
	uint8_t sm[40];

	reset();
	CU_ASSERT_EQUAL_FATAL(smsc_start(&p, "--dribble", "--receipts", "--receipt-tlv",
	    "--receipt-delay", "0.05", "--enquire", "0.3", (char *)NULL), 0);
	struct smpp_config c = config(p.port);
	c.enquire_link_s = 0.3;
	c.initial_seq = 0x7FFFFFFE;
	c.window = 2;
	struct smpp *s = smpp_new(root, &c, &cbs, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (int t = 1; t <= 6; t++) {
		memset(sm, t, sizeof sm);
		CU_ASSERT_EQUAL(smpp_submit(s, DEST, sm, sizeof sm, (uint64_t)t), 0);
	}
	run(&nrcpt, 6, 6000);
	run(NULL, 0, 1000);   /* some enquire_links */
	CU_ASSERT_EQUAL(nres, 6);
	CU_ASSERT_EQUAL(nrcpt, 6);
	for (int t = 1; t <= 6; t++)
		CU_ASSERT(res[t].n == 1 && res[t].cls == SMPP_OK);
	for (int i = 0; i < nrcpt; i++)
		CU_ASSERT_EQUAL(rcpts[i].delivered, SMPP_RCPT_DELIVERED);
	CU_ASSERT(log_count(&p, "enquire_link seq=") >= 2);      /* ours, answered */
	CU_ASSERT(log_count(&p, "enquire_link_resp seq=") >= 2); /* theirs, answered by us */
	char *lines[16];
	int n = log_lines(&p, "submit_sm ", lines, 16);
	CU_ASSERT_EQUAL(n, 6);
	/* bind took 0x7FFFFFFE, the first submit 0x7FFFFFFF, then 1, 2, ... */
	if (n == 6) {
		CU_ASSERT_STRING_EQUAL(field(lines[0], "seq"), "2147483647");
		CU_ASSERT_STRING_EQUAL(field(lines[1], "seq"), "1");
	}
	free_lines(lines, n);
	struct smpp_stats st;
	smpp_stats(s, &st);
	CU_ASSERT_EQUAL(nup, 1);
	CU_ASSERT(st.enquire_sent >= 2);
	CU_ASSERT(st.enquire_answered >= 2);
	CU_ASSERT_EQUAL(st.protocol_errors, 0);
	smpp_free(s);
	if (CU_get_number_of_failures() > f0)
		dump(&p);
	smsc_stop(&p);
}

static void test_wrong_password(void)
{
	struct smsc p;
	unsigned f0 = CU_get_number_of_failures();
	uint8_t sm[20] = { 1, 2, 3 };

	reset();
	CU_ASSERT_EQUAL_FATAL(smsc_start(&p, "--password", "secret", (char *)NULL), 0);
	struct smpp_config c = config(p.port);
	c.password = "wrong";
	c.reconnect_min_s = 0.1;
	c.reconnect_max_s = 0.5;
	struct smpp *s = smpp_new(root, &c, &cbs, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(smpp_submit(s, DEST, sm, sizeof sm, 9), 0);
	run(&nlinks, 4, 4000);
	CU_ASSERT_EQUAL(nup, 0);
	CU_ASSERT(nlinks >= 4);
	for (int i = 0; i < nlinks; i++)
		CU_ASSERT_PTR_NOT_NULL(strstr(links[i].reason, "ESME_RINVPASWD"));
	/* an authentication failure waits reconnect_max each time */
	for (int i = 1; i < nlinks; i++)
		CU_ASSERT(links[i].t - links[i - 1].t >= 0.48 && links[i].t - links[i - 1].t < 0.9);
	char *lines[32];
	int n = log_lines(&p, "bind ", lines, 32);
	CU_ASSERT(n >= 4);
	for (int i = 0; i < n; i++)
		CU_ASSERT_STRING_EQUAL(field(lines[i], "status"), "0x0000000E");
	free_lines(lines, n);
	CU_ASSERT_EQUAL(log_count(&p, "submit_sm "), 0);
	CU_ASSERT_EQUAL(nres, 0);
	struct smpp_stats st;
	smpp_stats(s, &st);
	CU_ASSERT(st.bind_failures >= 4);
	CU_ASSERT_EQUAL(st.queued, 1);
	smpp_free(s);
	CU_ASSERT_EQUAL(res[9].n, 1);
	CU_ASSERT_EQUAL(res[9].cls, SMPP_RETRY);
	if (CU_get_number_of_failures() > f0)
		dump(&p);
	smsc_stop(&p);
}

static void one_status(const char *status, int first, int total, int want_cls, uint32_t want_st)
{
	struct smsc p;
	unsigned f0 = CU_get_number_of_failures();
	uint8_t sm[20];
	char firststr[16];

	reset();
	snprintf(firststr, sizeof firststr, "%d", first);
	CU_ASSERT_EQUAL_FATAL(smsc_start(&p, "--respond-status", status, "--respond-first",
	    firststr, (char *)NULL), 0);
	struct smpp_config c = config(p.port);
	c.window = 1;     /* one at a time: the answers come in submit order */
	struct smpp *s = smpp_new(root, &c, &cbs, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (int t = 1; t <= total; t++) {
		memset(sm, t, sizeof sm);
		CU_ASSERT_EQUAL(smpp_submit(s, DEST, sm, sizeof sm, (uint64_t)t), 0);
	}
	run(&nres, total, 5000);
	CU_ASSERT_EQUAL(nres, total);
	for (int t = 1; t <= total; t++) {
		CU_ASSERT_EQUAL(res[t].n, 1);
		if (t <= first) {
			CU_ASSERT_EQUAL(res[t].cls, want_cls);
			CU_ASSERT_EQUAL(res[t].status, want_st);
			CU_ASSERT_STRING_EQUAL(res[t].msgid, "(null)");
		} else {
			CU_ASSERT_EQUAL(res[t].cls, SMPP_OK);
		}
	}
	smpp_free(s);
	if (CU_get_number_of_failures() > f0)
		dump(&p);
	smsc_stop(&p);
}

static void test_throttled(void)
{
	double t0 = now_s();
	one_status("0x58", 2, 4, SMPP_RETRY, 0x58);
	/* two pauses of throttle_pause_s (0.1 s) */
	CU_ASSERT(now_s() - t0 >= 0.2);
	one_status("0x14", 1, 2, SMPP_RETRY, 0x14);
	one_status("0x0B", 1, 2, SMPP_FAIL, 0x0B);
	one_status("0x401", 1, 2, SMPP_FAIL, 0x401);
}

/* The SMSC drops the link on the 5th of 20 submits (window 4): the client
 * reconnects, resends what was unanswered; every tag gets exactly one
 * result and the SMSC saw every payload (some twice). */
static void test_drop_reconnect(void)
{
	struct smsc p;
	unsigned f0 = CU_get_number_of_failures();
	uint8_t sm[30];
	char want[21][64];

	reset();
	CU_ASSERT_EQUAL_FATAL(smsc_start(&p, "--drop-after", "5", (char *)NULL), 0);
	struct smpp_config c = config(p.port);
	c.window = 4;
	struct smpp *s = smpp_new(root, &c, &cbs, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (int t = 1; t <= 20; t++) {
		memset(sm, 0xA0, sizeof sm);
		sm[0] = (uint8_t)t;
		hex(sm, sizeof sm, want[t]);
		CU_ASSERT_EQUAL(smpp_submit(s, DEST, sm, sizeof sm, (uint64_t)t), 0);
	}
	run(&nres, 20, 8000);
	run(NULL, 0, 50);
	CU_ASSERT_EQUAL(nres, 20);
	for (int t = 1; t <= 20; t++) {
		CU_ASSERT_EQUAL(res[t].n, 1);
		CU_ASSERT_EQUAL(res[t].cls, SMPP_OK);
	}
	CU_ASSERT_EQUAL(nup, 2);
	CU_ASSERT_EQUAL(log_count(&p, "drop "), 1);
	char *lines[64];
	int n = log_lines(&p, "submit_sm ", lines, 64), dups = 0;
	for (int t = 1; t <= 20; t++) {
		int seen = 0;
		for (int i = 0; i < n; i++)
			seen += !strcmp(field(lines[i], "sm"), want[t]);
		CU_ASSERT(seen >= 1);
		if (seen > 1)
			dups += seen - 1;
	}
	free_lines(lines, n);
	struct smpp_stats st;
	smpp_stats(s, &st);
	fprintf(stderr, "\n    drop-after 5: %d submit_sm lines at the SMSC, %d duplicates, "
	    "%llu resent, %llu binds ", n, dups, st.resent, st.binds);
	CU_ASSERT(dups >= 1);   /* the 5th at least was received and not answered */
	CU_ASSERT_EQUAL(n, 20 + dups);
	CU_ASSERT(st.resent >= 1);
	CU_ASSERT_EQUAL(st.binds, 2);
	CU_ASSERT_EQUAL(st.ok, 20);
	smpp_free(s);
	if (CU_get_number_of_failures() > f0)
		dump(&p);
	smsc_stop(&p);
}

/* The SMSC unbinds after the 2nd submit: the client answers unbind_resp,
 * binds again and sends the rest. */
static void test_unbind_from_smsc(void)
{
	struct smsc p;
	unsigned f0 = CU_get_number_of_failures();
	uint8_t sm[10];

	reset();
	CU_ASSERT_EQUAL_FATAL(smsc_start(&p, "--unbind-after", "2", (char *)NULL), 0);
	struct smpp_config c = config(p.port);
	c.window = 1;
	struct smpp *s = smpp_new(root, &c, &cbs, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (int t = 1; t <= 4; t++) {
		memset(sm, t, sizeof sm);
		CU_ASSERT_EQUAL(smpp_submit(s, DEST, sm, sizeof sm, (uint64_t)t), 0);
	}
	run(&nres, 4, 5000);
	CU_ASSERT_EQUAL(nres, 4);
	for (int t = 1; t <= 4; t++)
		CU_ASSERT(res[t].n == 1 && res[t].cls == SMPP_OK);
	CU_ASSERT_EQUAL(log_count(&p, "unbind_resp "), 1);
	/* the answer to the submit in flight at the unbind was taken: no resend */
	CU_ASSERT_EQUAL(log_count(&p, "submit_sm "), 4);
	CU_ASSERT_EQUAL(nup, 2);
	int down = 0;
	for (int i = 0; i < nlinks; i++)
		down += !links[i].up && strstr(links[i].reason, "unbind") != NULL;
	CU_ASSERT_EQUAL(down, 1);
	smpp_free(s);
	if (CU_get_number_of_failures() > f0)
		dump(&p);
	smsc_stop(&p);
}

/* ------------------------------------------------ misbehaving peers */

struct fake {
	int lfd, cfd;
	int conns;
	uint8_t in[8192];
	size_t inlen;
	int answer_bind;       /* bind_resp ESME_ROK, then silence */
	int binds, submits, enquires, nacks, deliver_resps;
	uint32_t last_nack_seq, last_nack_status, deliver_resp_status;
};
static struct fake fk;

static int fake_listen(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fk.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CU_ASSERT_FATAL(fk.lfd >= 0);
	CU_ASSERT_FATAL(bind(fk.lfd, (struct sockaddr *)&a, sizeof a) == 0);
	CU_ASSERT_FATAL(listen(fk.lfd, 8) == 0);
	getsockname(fk.lfd, (struct sockaddr *)&a, &len);
	fk.cfd = -1;
	return ntohs(a.sin_port);
}

static void put(const void *b, size_t n)
{
	/* the client may have closed already: then nothing is written */
	if (fk.cfd >= 0 && write(fk.cfd, b, n) < 0 && errno != EPIPE && errno != ECONNRESET)
		fprintf(stderr, "fake server: write: %s\n", strerror(errno));
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* What the garbage server writes on its n-th connection. */
static void garbage(int n)
{
	uint8_t b[4096];

	switch (n) {
	case 1: /* not SMPP at all */
		put("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 47);
		break;
	case 2: { /* unknown command id (answered generic_nack), then a PDU of 1 MiB */
		uint8_t u[20] = { 0 };
		put32(u, 20);
		put32(u + 4, 0x00001234);
		put32(u + 12, 7);
		put(u, 20);
		put32(u, 1 << 20);
		put32(u + 4, DELIVER_SM);
		put(u, 16);
		break;
	}
	case 3: { /* a deliver_sm whose body is noise (answered ESME_RX_P_APPN),
		   * a submit_sm_resp and a generic_nack for nothing in flight,
		   * an enquire_link split over two writes, then random bytes */
		uint8_t d[64];
		put32(d, 64);
		put32(d + 4, DELIVER_SM);
		put32(d + 8, 0);
		put32(d + 12, 11);
		for (int i = 16; i < 64; i++)
			d[i] = (uint8_t)(i * 37 + 11);
		put(d, 64);
		put32(d, 17);
		put32(d + 4, SUBMIT_SM_RESP);
		put32(d + 12, 424242);
		d[16] = 0;
		put(d, 17);
		put32(d, 16);
		put32(d + 4, GENERIC_NACK);
		put32(d + 8, 3);
		put32(d + 12, 0);
		put(d, 16);
		put32(d, 16);
		put32(d + 4, ENQUIRE_LINK);
		put32(d + 8, 0);
		put32(d + 12, 12);
		put(d, 7);
		usleep(20000);
		put(d + 7, 9);
		srand(42);
		for (size_t i = 0; i < sizeof b; i++)
			b[i] = (uint8_t)rand();
		put(b, sizeof b);
		break;
	}
	default: { /* random streams */
		srand((unsigned)n);
		size_t len = 16 + (size_t)(rand() % 2000);
		for (size_t i = 0; i < len; i++)
			b[i] = (uint8_t)rand();
		put(b, len);
		break;
	}
	}
}

/* Parses what the client wrote to the fake server. */
static void fake_input(void)
{
	size_t off = 0;

	while (fk.inlen - off >= 16) {
		struct smpp_hdr h;
		if (smpp_hdr_read(fk.in + off, fk.inlen - off, &h) < 0) {
			CU_FAIL("the client wrote a bad PDU");
			fk.inlen = 0;
			return;
		}
		if (fk.inlen - off < h.len)
			break;
		switch (h.id) {
		case BIND_TRANSCEIVER:
		case BIND_TRANSMITTER:
			fk.binds++;
			if (fk.answer_bind) {
				uint8_t r[32];
				bind_transceiver_resp_t br;
				int len = 0;
				memset(&br, 0, sizeof br);
				br.command_id = h.id | 0x80000000u;
				br.sequence_number = h.seq;
				strcpy((char *)br.system_id, "fake");
				CU_ASSERT_EQUAL(smpp34_pack(br.command_id, r, sizeof r, &len, &br), 0);
				put(r, (size_t)len);
			}
			break;
		case SUBMIT_SM:
			fk.submits++;
			break;
		case ENQUIRE_LINK:
			fk.enquires++;
			break;
		case GENERIC_NACK:
			fk.nacks++;
			fk.last_nack_seq = h.seq;
			fk.last_nack_status = h.status;
			break;
		case DELIVER_SM_RESP:
			fk.deliver_resps++;
			fk.deliver_resp_status = h.status;
			break;
		}
		off += h.len;
	}
	memmove(fk.in, fk.in + off, fk.inlen - off);
	fk.inlen -= off;
}

static void fake_step(void)
{
	if (fk.cfd < 0) {
		fk.cfd = accept4(fk.lfd, NULL, NULL, SOCK_NONBLOCK);
		if (fk.cfd < 0)
			return;
		fk.conns++;
		fk.inlen = 0;
		if (!fk.answer_bind)
			garbage(fk.conns);
	}
	for (;;) {
		ssize_t n = read(fk.cfd, fk.in + fk.inlen, sizeof fk.in - fk.inlen);
		if (n > 0) {
			fk.inlen += (size_t)n;
			fake_input();
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			close(fk.cfd);
			fk.cfd = -1;
		}
		break;
	}
}

static void fake_close(void)
{
	if (fk.cfd >= 0)
		close(fk.cfd);
	close(fk.lfd);
	hook = NULL;
}

static void test_garbage(void)
{
	reset();
	memset(&fk, 0, sizeof fk);
	unsigned port = (unsigned)fake_listen();
	hook = fake_step;
	struct smpp_config c = config(port);
	c.reconnect_min_s = 0.05;
	c.reconnect_max_s = 0.05;
	c.response_timeout_s = 0.5;
	struct smpp *s = smpp_new(root, &c, &cbs, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	uint8_t sm[10] = { 0 };
	CU_ASSERT_EQUAL(smpp_submit(s, DEST, sm, sizeof sm, 1), 0);
	run(&fk.conns, 12, 8000);
	run(NULL, 0, 100);
	CU_ASSERT(fk.conns >= 12);
	CU_ASSERT(nlinks >= 10);
	CU_ASSERT_EQUAL(nup, 0);
	CU_ASSERT(fk.binds >= 10);
	CU_ASSERT_EQUAL(fk.submits, 0);
	/* connection 2: the unknown command was answered */
	CU_ASSERT(fk.nacks >= 1);
	CU_ASSERT_EQUAL(fk.last_nack_status, ESME_RINVCMDID);
	CU_ASSERT_EQUAL(fk.last_nack_seq, 7);
	/* connection 3: the undecodable deliver_sm was answered */
	CU_ASSERT(fk.deliver_resps >= 1);
	CU_ASSERT_EQUAL(fk.deliver_resp_status, ESME_RX_P_APPN);
	CU_ASSERT(fk.enquires == 0);
	int bad_len = 0;
	for (int i = 0; i < nlinks; i++)
		bad_len += strstr(links[i].reason, "command_length") != NULL;
	CU_ASSERT(bad_len >= 2);
	struct smpp_stats st;
	smpp_stats(s, &st);
	CU_ASSERT(st.protocol_errors >= 4);
	CU_ASSERT_EQUAL(nres, 0);
	smpp_free(s);
	CU_ASSERT_EQUAL(res[1].n, 1);
	CU_ASSERT_EQUAL(res[1].cls, SMPP_RETRY);
	fake_close();
}

/* A peer that binds and then says nothing: submit_sm times out (RETRY),
 * the unanswered enquire_link takes the link down, free with a submit in
 * flight still gives exactly one result. */
static void test_silent_smsc(void)
{
	reset();
	memset(&fk, 0, sizeof fk);
	fk.answer_bind = 1;
	unsigned port = (unsigned)fake_listen();
	hook = fake_step;
	struct smpp_config c = config(port);
	c.response_timeout_s = 0.3;
	c.enquire_link_s = 0.5;
	c.reconnect_min_s = 5;
	c.reconnect_max_s = 5;
	struct smpp *s = smpp_new(root, &c, &cbs, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	uint8_t sm[10] = { 0 };
	CU_ASSERT_EQUAL(smpp_submit(s, DEST, sm, sizeof sm, 1), 0);
	run(&nres, 1, 2000);
	CU_ASSERT_EQUAL(res[1].n, 1);
	CU_ASSERT_EQUAL(res[1].cls, SMPP_RETRY);
	CU_ASSERT_EQUAL(res[1].status, SMPP_LOCAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(res[1].reason, "no submit_sm_resp"));
	CU_ASSERT_EQUAL(nup, 1);
	run(&nlinks, 2, 2000);
	CU_ASSERT_EQUAL(nlinks, 2);
	if (nlinks == 2)
		CU_ASSERT_PTR_NOT_NULL(strstr(links[1].reason, "enquire_link_resp"));
	CU_ASSERT_EQUAL(fk.enquires, 1);
	/* bound again: submit, free while it is in flight */
	run(&nup, 2, 7000);
	CU_ASSERT_EQUAL(nup, 2);
	CU_ASSERT_EQUAL(smpp_submit(s, DEST, sm, sizeof sm, 2), 0);
	run(&fk.submits, 2, 1000);
	CU_ASSERT_EQUAL(fk.submits, 2);
	CU_ASSERT_EQUAL(smpp_in_flight(s), 1);
	smpp_free(s);
	CU_ASSERT_EQUAL(res[2].n, 1);
	CU_ASSERT_EQUAL(res[2].cls, SMPP_RETRY);
	CU_ASSERT_STRING_EQUAL(res[2].reason, "shutting down");
	fake_close();
}

int main(void)
{
	if (access(PERL, X_OK) != 0 || system(PERL " -MNet::SMPP -e1 2>/dev/null") != 0) {
		fprintf(stderr, "test_smpp: perl with Net::SMPP (libnet-smpp-perl) not found, skipped\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	su_init();
	root = su_root_create(NULL);
	if (!root)
		return 1;
	su_root_threading(root, 0);
	tmpdir = tu_tmpdir("smpp");
	if (!tmpdir)
		return 1;

	CU_initialize_registry();
	CU_pSuite su = CU_add_suite("smpp", NULL, NULL);
	CU_add_test(su, "status table", test_status_table);
	CU_add_test(su, "pack: submit_sm, generic_nack, bind, framing limits", test_pack);
	CU_add_test(su, "query_sm: PDU, query_sm_resp, message_state as a receipt", test_query_pdu);
	CU_add_test(su, "receipts: text, TLVs, truncations and mutations", test_receipts_parse);
	CU_add_test(su, "new/submit arguments, queue bound, backoff doubling", test_new_invalid);
	CU_add_test(su, "3 WDP segments of Kannel's capture, receipts", test_submit_segments);
	CU_add_test(su, "split PDUs, enquire_link both ways, seq wrap", test_split_keepalive_wrap);
	CU_add_test(su, "wrong password: retried at reconnect_max", test_wrong_password);
	CU_add_test(su, "throttled, queue full, bad address, vendor error", test_throttled);
	CU_add_test(su, "link dropped mid-load: every tag one result", test_drop_reconnect);
	CU_add_test(su, "unbind from the SMSC", test_unbind_from_smsc);
	CU_add_test(su, "garbage from the peer", test_garbage);
	CU_add_test(su, "silent SMSC: timeouts, free in flight", test_silent_smsc);
	int rc = tu_run();

	su_root_destroy(root);
	su_deinit();
	if (rc == 0)
		tu_rmtree(tmpdir);
	else
		fprintf(stderr, "smsc logs kept in %s\n", tmpdir);
	free(tmpdir);
	return rc;
}
