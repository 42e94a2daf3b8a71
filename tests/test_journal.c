/*
 * test_journal.c - ppgd's log lines in a real systemd journal (issue 8,
 * item 8): `journalctl PUSH_ID=...` follows one push.
 *
 * Which journal: the real systemd-journald of Debian's systemd package,
 * started by this program in a private mount namespace (unshare(2) of the
 * mounts, then a tmpfs on /run and on /var/log/journal, so that the
 * journald sockets /run/systemd/journal/{socket,stdout} and the journal
 * files /run/log/journal/MACHINE-ID/ are this test's own and nothing of the
 * host's /run or journal is touched). ppgd sends through libsystemd's
 * sd_journal_sendv (the native protocol); the entries are read back with
 * the real journalctl -D /run/log/journal -o export. No systemd as PID 1 is
 * needed, but root is (a mount namespace): without it the program exits 77
 * (SKIP) and says why.
 *
 * Suites:
 *   - target = journal: a push over OTA/UDP to a socket of this program;
 *     its accepted, delivery and final lines carry PI, PUSH_ID, ADDRESS,
 *     BEARER, PAP_CODE (compared with what statusquery answers), the
 *     MESSAGE_IDs, PRIORITY, PPGD_CATEGORY, CODE_FILE/CODE_FUNC; none of
 *     them is on stderr.
 *   - target = auto: ppgd's stderr is a journald stdout stream (systemd-cat);
 *     with JOURNAL_STREAM naming that stream (as systemd sets it for a
 *     service) the lines arrive through the native protocol with their
 *     fields; without it, as plain stream lines (_TRANSPORT=stdout), no
 *     PUSH_ID field.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "pap/pap.h"
#include "ppg/ppg_log.h"
#include "tests/itest.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define JOURNALD "/lib/systemd/systemd-journald"
#define JOURNAL_DIR "/run/log/journal"
#define BOUNDARY "journal-test-7a1f"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""
#define UDP_ADDR "WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example"

static pid_t journald_pid;
static char journald_log[256];

/* ------------------------------------------------ the private journal */

/* 0 when this process is in its own mount namespace with a journald of its
 * own listening; otherwise 77 (cannot: skip) or 1 (broken). */
static int journal_setup(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "test_journal: SKIP: needs root for a private mount namespace\n");
		return 77;
	}
	if (access(JOURNALD, X_OK) != 0) {
		fprintf(stderr, "test_journal: " JOURNALD " is missing (Debian package systemd)\n");
		return 1;
	}
	if (unshare(CLONE_NEWNS) != 0) {
		fprintf(stderr, "test_journal: SKIP: unshare(CLONE_NEWNS): %s\n", strerror(errno));
		return 77;
	}
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) {
		fprintf(stderr, "test_journal: private /run: %s\n", strerror(errno));
		return 1;
	}
	/* journald would flush to a persistent journal it finds there */
	struct stat st;
	if (stat("/var/log/journal", &st) == 0 &&
	    mount("tmpfs", "/var/log/journal", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) {
		fprintf(stderr, "test_journal: private /var/log/journal: %s\n", strerror(errno));
		return 1;
	}
	snprintf(journald_log, sizeof journald_log, "/run/journald-%d.log", (int)getpid());
	const char *const argv[] = { JOURNALD, NULL };
	journald_pid = itest_spawn(argv, "/", journald_log);
	if (journald_pid <= 0)
		return 1;
	double end = itest_now() + 10;
	while (access("/run/systemd/journal/socket", F_OK) != 0 || access("/run/systemd/journal/stdout", F_OK) != 0) {
		int code;
		if (itest_wait_pid(journald_pid, 0.05, &code) == 0 || itest_now() > end) {
			char *s = tu_read_file(journald_log, NULL);
			fprintf(stderr, "test_journal: systemd-journald did not start: %s\n", s ? s : "");
			free(s);
			return 1;
		}
	}
	return 0;
}

/* The journal entries of one match (e.g. "PUSH_ID=x"), journalctl -o export:
 * fields "KEY=value" one a line, entries separated by an empty line. */
struct entries {
	char *text;
	char **e;       /* each entry's start, inside text; fields end at '\n' */
	size_t n;
};

static void entries_free(struct entries *x)
{
	free(x->text);
	free(x->e);
	memset(x, 0, sizeof *x);
}

static int journal_query(const char *match, struct entries *x)
{
	const char *const argv[] = { "journalctl", "-D", JOURNAL_DIR, "-o", "export", "--no-pager", match, NULL };
	int code = -1;
	char *err = NULL;
	memset(x, 0, sizeof *x);
	if (itest_run_full(argv, NULL, NULL, 30, &x->text, &err, &code) != 0 || code != 0) {
		fprintf(stderr, "journalctl %s: exit %d: %s\n", match, code, err ? err : "");
		free(err);
		return -1;
	}
	free(err);
	for (char *p = x->text; p && *p;) {
		char **v = realloc(x->e, (x->n + 1) * sizeof *v);
		if (!v)
			return -1;
		x->e = v;
		x->e[x->n++] = p;
		char *end = strstr(p, "\n\n");
		if (!end)
			break;
		end[1] = '\0';   /* the entry ends at its last field's newline */
		p = end + 2;
	}
	return 0;
}

/* The value of KEY in an entry, copied into buf ("" when absent). */
static const char *field(const char *entry, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);
	buf[0] = '\0';
	for (const char *p = entry; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t ll = nl ? (size_t)(nl - p) : strlen(p);
		if (ll > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			snprintf(buf, len, "%.*s", (int)(ll - kl - 1), p + kl + 1);
			break;
		}
		p = nl ? nl + 1 : NULL;
	}
	return buf;
}

/* The first entry of x whose KEY is value, or NULL. */
static const char *find_entry(const struct entries *x, const char *key, const char *value)
{
	char b[512];
	for (size_t i = 0; i < x->n; i++)
		if (!strcmp(field(x->e[i], key, b, sizeof b), value))
			return x->e[i];
	return NULL;
}

/* Polls the journal until an entry of match has KEY=value (10 s). */
static int journal_wait(const char *match, const char *key, const char *value, struct entries *x)
{
	double end = itest_now() + 10;
	for (;;) {
		if (journal_query(match, x) == 0 && find_entry(x, key, value))
			return 0;
		if (itest_now() > end) {
			fprintf(stderr, "journal: no entry %s with %s=%s in 10 s; got:\n%s\n", match, key, value,
			    x->text ? x->text : "(nothing)");
			return -1;
		}
		entries_free(x);
		usleep(100000);
	}
}

/* ------------------------------------------------ PAP and the handset */

static int udp_fd = -1, udp_port;

static int udp_open(void)
{
	for (int tries = 0; tries < 20; tries++) {
		int port = itest_free_port_udp_tcp();
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (port > 0 && fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0) {
			udp_fd = fd;
			udp_port = port;
			return 0;
		}
		if (fd >= 0)
			close(fd);
	}
	return -1;
}

#define SI_DOC "<?xml version=\"1.0\"?>\n" \
	"<!DOCTYPE si PUBLIC \"-//WAPFORUM//DTD SI 1.0//EN\" \"http://www.wapforum.org/DTD/si.dtd\">\n" \
	"<si><indication href=\"http://www.example.com/j\" si-id=\"j1\">journal</indication></si>"

/* Pushes an SI to UDP_ADDR; the push-response code. */
static int push(struct itest_daemon *d, const char *push_id)
{
	char *body = itest_asprintf(
	    "--" BOUNDARY "\r\nContent-Type: application/xml; charset=UTF-8\r\n\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n<pap>\n<push-message push-id=\"%s\">\n"
	    "  <address address-value=\"" UDP_ADDR "\"/>\n</push-message>\n</pap>\r\n"
	    "--" BOUNDARY "\r\nContent-Type: text/vnd.wap.si\r\n\r\n" SI_DOC "\r\n--" BOUNDARY "--\r\n", push_id);
	struct pap_msg *m = itest_pap_post(d, "alice", ITEST_ALICE_SECRET, MULTIPART_CT, body, strlen(body));
	int code = !m ? -1 : m->nresults > 0 ? m->results[0].code : m->code;
	pap_msg_free(m);
	free(body);
	return code;
}

/* Polls statusquery until the push is final (10 s): its code, or -1. */
static int final_code(struct itest_daemon *d, const char *push_id, enum pap_state *state)
{
	double end = itest_now() + 10;
	char *doc = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n<pap>"
	    "<statusquery-message push-id=\"%s\"/></pap>", push_id);
	int code = -1;
	while (code < 0 && itest_now() < end) {
		struct pap_msg *m = itest_pap_post(d, "alice", ITEST_ALICE_SECRET, "application/xml", doc, strlen(doc));
		if (m && m->type == PAP_MSG_STATUSQUERY_RESPONSE && m->nresults == 1 &&
		    m->results[0].state != PAP_STATE_PENDING) {
			code = m->results[0].code;
			*state = m->results[0].state;
		}
		pap_msg_free(m);
		if (code < 0)
			usleep(50000);
	}
	free(doc);
	return code;
}

static char *config_sections(const char *log_extra)
{
	return itest_asprintf("[ota]\nudp = yes\nudp_port = %d\n[log]\n%s", udp_port, log_extra);
}

#define EXPECT_FIELD(entry, key, want) do { \
	char b_[512]; \
	const char *got_ = (entry) ? field((entry), (key), b_, sizeof b_) : "(no entry)"; \
	if (strcmp(got_, (want))) \
		fprintf(stderr, "\n  %s = \"%s\", expected \"%s\"\n", (key), got_, (want)); \
	CU_ASSERT_STRING_EQUAL(got_, (want)); \
} while (0)

/* ------------------------------------------------- target = journal */

static struct itest_daemon dj;

static int init_journal(void)
{
	char *s = config_sections("target = journal\n");
	if (itest_daemon_init(&dj, "journal") == 0 && itest_std_config(&dj, NULL, s) == 0)
		itest_daemon_start(&dj);
	free(s);
	return 0;
}

static int clean_journal(void)
{
	itest_daemon_destroy(&dj, 0);
	return 0;
}

static void t_journal_push_fields(void)
{
	CU_ASSERT_FATAL(dj.pid > 0);
	const char *id = "jrnl-1@journal-test";
	CU_ASSERT_EQUAL_FATAL(push(&dj, id), PAP_ACCEPTED);
	/* another push, whose lines must not come with PUSH_ID=id */
	CU_ASSERT_EQUAL(push(&dj, "jrnl-2@journal-test"), PAP_ACCEPTED);
	enum pap_state state = PAP_STATE_PENDING;
	int code = final_code(&dj, id, &state);
	CU_ASSERT_EQUAL(state, PAP_STATE_DELIVERED);
	char want_code[16], want_pid[16];
	snprintf(want_code, sizeof want_code, "%d", code);
	snprintf(want_pid, sizeof want_pid, "%d", (int)dj.pid);

	struct entries x;
	CU_ASSERT_FATAL(journal_wait("PUSH_ID=jrnl-1@journal-test", "MESSAGE_ID", PPG_LOG_MSGID_FINAL, &x) == 0);
	char b[512], dl[32];
	for (size_t i = 0; i < x.n; i++) {
		EXPECT_FIELD(x.e[i], "PUSH_ID", id);
		EXPECT_FIELD(x.e[i], "PI", "alice");
		EXPECT_FIELD(x.e[i], "SYSLOG_IDENTIFIER", "ppgd");
		EXPECT_FIELD(x.e[i], "_TRANSPORT", "journal");
		EXPECT_FIELD(x.e[i], "_PID", want_pid);
	}
	/* accepted: PAP 1001 and the one address */
	const char *acc = find_entry(&x, "MESSAGE_ID", PPG_LOG_MSGID_ACCEPTED);
	CU_ASSERT_PTR_NOT_NULL(acc);
	EXPECT_FIELD(acc, "PAP_CODE", "1001");
	EXPECT_FIELD(acc, "ADDRESS", UDP_ADDR);
	EXPECT_FIELD(acc, "PRIORITY", "6");
	EXPECT_FIELD(acc, "PPGD_CATEGORY", "core");
	EXPECT_FIELD(acc, "MESSAGE", "[core] pi=alice push-id=jrnl-1@journal-test: accepted, 1 delivery");
	CU_ASSERT_PTR_NOT_NULL(acc ? strstr(field(acc, "CODE_FILE", b, sizeof b), "ppg_request_exec.c") : NULL);
	CU_ASSERT(acc && field(acc, "CODE_FUNC", b, sizeof b)[0] && atoi(field(acc, "CODE_LINE", b, sizeof b)) > 0);
	/* the final state: what statusquery says, over udp, for the same delivery as the attempt */
	const char *fin = find_entry(&x, "MESSAGE_ID", PPG_LOG_MSGID_FINAL);
	CU_ASSERT_PTR_NOT_NULL(fin);
	EXPECT_FIELD(fin, "PAP_CODE", want_code);
	EXPECT_FIELD(fin, "ADDRESS", UDP_ADDR);
	EXPECT_FIELD(fin, "BEARER", "udp");
	CU_ASSERT_PTR_NOT_NULL(fin ? strstr(field(fin, "MESSAGE", b, sizeof b), ": delivered, ") : NULL);
	snprintf(dl, sizeof dl, "%s", fin ? field(fin, "PPGD_DELIVERY", b, sizeof b) : "");
	CU_ASSERT(atoll(dl) > 0);
	const char *att = find_entry(&x, "PPGD_DELIVERY", dl);
	CU_ASSERT(att && att != fin);   /* the attempt's line, before the final one */
	EXPECT_FIELD(att, "BEARER", "udp");
	entries_free(&x);

	/* the start-up lines are in the journal too, without push fields */
	CU_ASSERT(journal_query("PPGD_CATEGORY=main", &x) == 0);
	CU_ASSERT(x.n > 0 && find_entry(&x, "_PID", want_pid) != NULL);
	CU_ASSERT(x.n > 0 && !field(x.e[0], "PUSH_ID", b, sizeof b)[0]);
	entries_free(&x);

	/* and nothing on stderr */
	char *log = tu_read_file(dj.log, NULL);
	CU_ASSERT_PTR_NULL(log ? strstr(log, "push-id=jrnl-1@journal-test") : "no log");
	free(log);
}

/* ----------------------------------------------------- target = auto */

/* Starts ppgd (the config of d) with stderr a journald stream named tag;
 * with_env: JOURNAL_STREAM names that stream, as systemd sets it. */
static pid_t start_on_stream(struct itest_daemon *d, const char *tag, int with_env)
{
	char *cmd = itest_asprintf("%sexec %s -c %s",
	    with_env ? "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2); export JOURNAL_STREAM; " : "",
	    itest_ppgd_path(), d->conf);
	const char *const argv[] = { "systemd-cat", "-t", tag, "sh", "-c", cmd, NULL };
	pid_t pid = itest_spawn(argv, d->dir, d->log);
	free(cmd);
	double end = itest_now() + 10;
	for (;;) {
		int code, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)d->port) };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int up = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
		if (fd >= 0)
			close(fd);
		if (up)
			return pid;
		if (pid <= 0 || itest_wait_pid(pid, 0.05, &code) == 0 || itest_now() > end) {
			fprintf(stderr, "ppgd on the journal stream did not start\n");
			if (pid > 0)
				itest_stop_pid(pid, SIGKILL, 5);
			return -1;
		}
	}
}

static struct itest_daemon da;

static int init_auto(void)
{
	char *s = config_sections("target = auto\n");
	if (itest_daemon_init(&da, "jauto") == 0)
		itest_std_config(&da, NULL, s);
	free(s);
	return 0;
}

static int clean_auto(void)
{
	itest_daemon_destroy(&da, 0);
	return 0;
}

static void t_auto_journal_stream(void)
{
	pid_t pid = start_on_stream(&da, "ppgd-auto", 1);
	CU_ASSERT_FATAL(pid > 0);
	const char *id = "auto-1@journal-test";
	CU_ASSERT_EQUAL(push(&da, id), PAP_ACCEPTED);
	struct entries x;
	CU_ASSERT(journal_wait("PUSH_ID=auto-1@journal-test", "MESSAGE_ID", PPG_LOG_MSGID_ACCEPTED, &x) == 0);
	const char *acc = find_entry(&x, "MESSAGE_ID", PPG_LOG_MSGID_ACCEPTED);
	EXPECT_FIELD(acc, "_TRANSPORT", "journal");
	EXPECT_FIELD(acc, "PI", "alice");
	EXPECT_FIELD(acc, "PAP_CODE", "1001");
	entries_free(&x);
	CU_ASSERT_EQUAL(itest_stop_pid(pid, SIGTERM, 20), 0);
}

static void t_auto_plain_stream(void)
{
	/* the same stream without JOURNAL_STREAM: ppgd cannot know, writes text */
	pid_t pid = start_on_stream(&da, "ppgd-plain", 0);
	CU_ASSERT_FATAL(pid > 0);
	const char *id = "plain-1@journal-test";
	CU_ASSERT_EQUAL(push(&da, id), PAP_ACCEPTED);
	struct entries x;
	char b[512];
	int found = 0;
	double end = itest_now() + 10;
	while (!found && itest_now() < end) {
		if (journal_query("SYSLOG_IDENTIFIER=ppgd-plain", &x) == 0)
			for (size_t i = 0; i < x.n && !found; i++)
				if (strstr(field(x.e[i], "MESSAGE", b, sizeof b),
				    "[core] pi=alice push-id=plain-1@journal-test: accepted, 1 delivery")) {
					found = 1;
					EXPECT_FIELD(x.e[i], "_TRANSPORT", "stdout");
					EXPECT_FIELD(x.e[i], "PUSH_ID", "");
				}
		entries_free(&x);
		if (!found)
			usleep(100000);
	}
	CU_ASSERT(found);
	CU_ASSERT(journal_query("PUSH_ID=plain-1@journal-test", &x) == 0);
	CU_ASSERT_EQUAL(x.n, 0);
	entries_free(&x);
	CU_ASSERT_EQUAL(itest_stop_pid(pid, SIGTERM, 20), 0);
}

int main(void)
{
	static const struct itest_test_def journal_tests[] = {
		{ "accepted, attempt and final lines carry PUSH_ID, PI, ADDRESS, BEARER, PAP_CODE", t_journal_push_fields },
		{ NULL, NULL },
	};
	static const struct itest_test_def auto_tests[] = {
		{ "stderr is the journal (JOURNAL_STREAM): native entries with fields", t_auto_journal_stream },
		{ "stderr a stream without JOURNAL_STREAM: text lines, no fields", t_auto_plain_stream },
		{ NULL, NULL },
	};

	signal(SIGPIPE, SIG_IGN);
	int rc = journal_setup();
	if (rc != 0) {
		itest_kill_all();
		return rc;
	}
	if (udp_open() != 0 || CU_initialize_registry() != CUE_SUCCESS) {
		itest_kill_all();
		return 1;
	}
	if (itest_add_suite("[log] target = journal", init_journal, clean_journal, journal_tests) ||
	    itest_add_suite("[log] target = auto", init_auto, clean_auto, auto_tests)) {
		CU_cleanup_registry();
		itest_kill_all();
		return 1;
	}
	rc = tu_run();
	itest_stop_pid(journald_pid, SIGTERM, 5);
	itest_kill_all();
	return rc;
}
