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
 * The PAP helpers (pushes, statusquery) and the ppgd start are those of
 * tests/sip_e2e_common.c; its sipp terminals differ (a fixed port, TCP), so
 * they are this file's own.
 */
#include "tests/sip_e2e_common.h"

#include <stdint.h>

/* ---------------------------------------------------------- terminals */

/* A sipp UAS on 127.0.0.1:port (UDP, or TCP: the core) running scen for
 * `calls` calls with its message log. */
struct fterm {
	int port;
	pid_t pid;
	char *msglog;
	char *out;
	int exit_code;
};

static int fterm_start_at(struct fterm *t, const char *dir, const char *tag, const char *scen, int calls,
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

static int fterm_wait(struct fterm *t, double timeout_s)
{
	if (t->pid > 0 && itest_wait_pid(t->pid, timeout_s, &t->exit_code) == 0)
		t->pid = 0;
	return t->pid > 0 ? -1 : t->exit_code;
}

static void fterm_free(struct fterm *t)
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
	struct itest_sip_log l;
	const struct itest_sip_msg *m[256];
	itest_sip_log_load(msglog, &l);
	size_t n = itest_sip_requests(&l, "MESSAGE", m, 256), k = 0;
	for (size_t i = 0; i < n; i++) {
		size_t blen;
		const char *b = itest_sip_body(m[i], &blen);
		if (memmem(b, blen, text, strlen(text)) && k < max)
			v[k++] = m[i]->t;
	}
	itest_sip_log_free(&l);
	return k;
}

/* ------------------------------------------------------------ daemons */

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
	EXPECT_INT(itest_sip_register(dcore.dir, "127.0.0.1", dcore_sip, "cuser", 5999, 600), 200);
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
	char *scen = itest_sip_uas_scenario(dcore.dir, 200, "OK", NULL);
	struct fterm core;
	double t_up = itest_wall_now();   /* the core's log times are wall-clock */
	EXPECT_FATAL(fterm_start_at(&core, dcore.dir, "core", scen, NDOWN, core_port, 1) == 0);
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
	EXPECT_INT(fterm_wait(&core, 10), 0);
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
	fterm_free(&core);
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
	char *s503 = itest_sip_uas_scenario(dbusy.dir, 503, "Service Unavailable", ra);
	char *s200 = itest_sip_uas_scenario(dbusy.dir, 200, "OK", NULL);
	struct fterm busy, ok;
	EXPECT_FATAL(fterm_start_at(&busy, dbusy.dir, "busy", s503, 1000, port, 0) == 0);
	ctx_files[0] = busy.msglog;
	EXPECT_INT(itest_sip_register(dbusy.dir, "127.0.0.1", dbusy_sip, "buser", port, 600), 200);
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
	fterm_free(&busy);
	busy.msglog = busy_log;
	double t_ok = itest_now();
	EXPECT_FATAL(fterm_start_at(&ok, dbusy.dir, "ok", s200, NBUSY, port, 0) == 0);
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
	EXPECT_INT(fterm_wait(&ok, 10), 0);
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
	fterm_free(&busy);
	fterm_free(&ok);
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
	char *s200 = itest_sip_uas_scenario(dbusy.dir, 200, "OK", NULL);
	struct fterm t;
	EXPECT_FATAL(fterm_start_at(&t, dbusy.dir, "note", s200, NNOTE, port, 0) == 0);
	ctx_files[0] = t.msglog;
	EXPECT_INT(itest_sip_register(dbusy.dir, "127.0.0.1", dbusy_sip, "nuser", port, 600), 200);
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
	EXPECT_INT(fterm_wait(&t, 10), 0);
	fterm_free(&t);
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
