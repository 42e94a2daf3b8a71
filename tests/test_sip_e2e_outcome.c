/*
 * test_sip_e2e_outcome.c - SIP Push end to end: the SIP -> PAP outcome table
 * (README "SIP final response -> PAP result"): sipp terminals answering each
 * status, the final state and code of each push, and [sip] no_binding = fail.
 * Shared set-up: tests/sip_e2e_common.c (split from test_sip_e2e.c).
 */
#include "tests/sip_e2e_common.h"

/* ================================ suite: the SIP -> PAP outcome table */

/*
 * README "SIP final response → PAP result". Every case has
 * its own terminal (a sipp UAS on its own port answering one status), its
 * own binding (third-party REGISTER from sipp) and its own push; the cases
 * run side by side, then each test asserts one case.
 *
 * dtab: max_attempts 3, retries after 1 s then 2 s (retry_min 1,
 * retry_max 2), timer F 2 s. dabort: max_attempts 1, no_binding = fail.
 */
static struct itest_daemon dtab, dabort;
static int dtab_sip, dabort_sip;

struct tcase {
	const char *name;
	int on_abort;               /* 1: runs on dabort (max_attempts 1) */
	int status;                 /* the terminal's answer; 0: none (timer F) */
	const char *phrase;
	const char *header;         /* one more header line of the answer */
	int calls;                  /* MESSAGEs expected (sipp -m) */
	int db_s;                   /* deliver-before this far ahead (0: none) */
	enum pap_state want_state;
	int want_code;
	double gap_min[2], gap_max[2];   /* bounds of the first two gaps between attempts */
};

/* What the run of a case found. */
struct trun {
	char user[32], push_id[48], content[160];
	struct term t;
	int reg, push, final;
	struct sq q;
	double t_push, t_final;
	struct itest_sip_log log;
};

/* Backoff of dtab: 1 s, then 2 s; a little slack above for the 100 ms
 * scheduler tick and a slow (ASan) build. */
#define BACKOFF { 1.0, 2.0 }, { 1.9, 2.9 }
#define NOGAP { 0, 0 }, { 0, 0 }

static struct tcase cases[] = {
	{ "200 -> delivered 1000", 0, 200, "OK", NULL, 1, 0, PAP_STATE_DELIVERED, 1000, NOGAP },
	{ "202 -> delivered 1000", 0, 202, "Accepted", NULL, 1, 0, PAP_STATE_DELIVERED, 1000, NOGAP },
	{ "400 -> retried, undeliverable 4000 after max_attempts", 0, 400, "Bad Request", NULL, 3, 0,
	  PAP_STATE_UNDELIVERABLE, 4000, BACKOFF },
	{ "403 -> undeliverable 2001 at once", 0, 403, "Forbidden", NULL, 1, 0,
	  PAP_STATE_UNDELIVERABLE, 2001, NOGAP },
	{ "404 -> retried, undeliverable 2003", 0, 404, "Not Found", NULL, 3, 0,
	  PAP_STATE_UNDELIVERABLE, 2003, BACKOFF },
	{ "408 from the terminal -> retried, timeout 4000", 0, 408, "Request Timeout", NULL, 3, 0,
	  PAP_STATE_TIMEOUT, 4000, BACKOFF },
	{ "no answer (local 408, timer F 2 s) -> retried, timeout 4000", 0, 0, NULL, NULL, 3, 0,
	  PAP_STATE_TIMEOUT, 4000, { 3.0, 4.0 }, { 3.9, 4.9 } },
	{ "no answer, deliver-before 4-5 s ahead -> expired 4000", 0, 0, NULL, NULL, 2, 5,
	  PAP_STATE_EXPIRED, 4000, { 3.0, 0 }, { 3.9, 0 } },
	{ "415 -> undeliverable 2005 at once", 0, 415, "Unsupported Media Type", NULL, 1, 0,
	  PAP_STATE_UNDELIVERABLE, 2005, NOGAP },
	{ "488 -> undeliverable 2005 at once", 0, 488, "Not Acceptable Here", NULL, 1, 0,
	  PAP_STATE_UNDELIVERABLE, 2005, NOGAP },
	{ "480 -> retried, undeliverable 2003", 0, 480, "Temporarily Unavailable", NULL, 3, 0,
	  PAP_STATE_UNDELIVERABLE, 2003, BACKOFF },
	{ "486 (any other) -> undeliverable 4000 at once", 0, 486, "Busy Here", NULL, 1, 0,
	  PAP_STATE_UNDELIVERABLE, 4000, NOGAP },
	{ "500 -> retried, undeliverable 4000", 0, 500, "Server Internal Error", NULL, 3, 0,
	  PAP_STATE_UNDELIVERABLE, 4000, BACKOFF },
	{ "503 -> retried with backoff, undeliverable 4001", 0, 503, "Service Unavailable", NULL, 3, 0,
	  PAP_STATE_UNDELIVERABLE, 4001, BACKOFF },
	{ "503 Retry-After: 3 -> retried no sooner than 3 s, undeliverable 4001", 0, 503,
	  "Service Unavailable", "Retry-After: 3", 3, 0, PAP_STATE_UNDELIVERABLE, 4001,
	  { 3.0, 3.0 }, { 3.9, 3.9 } },
	{ "503 Retry-After: 40, deliver-before 10 s ahead -> expired 4000 at once", 0, 503,
	  "Service Unavailable", "Retry-After: 40", 1, 10, PAP_STATE_EXPIRED, 4000, NOGAP },
	{ "603 -> retried, aborted 5000 after max_attempts", 0, 603, "Decline", NULL, 3, 0,
	  PAP_STATE_ABORTED, 5000, BACKOFF },
	{ "603 with max_attempts = 1 -> aborted 5000", 1, 603, "Decline", NULL, 1, 0,
	  PAP_STATE_ABORTED, 5000, NOGAP },
	{ "604 -> undeliverable 2003 at once", 0, 604, "Does Not Exist Anywhere", NULL, 1, 0,
	  PAP_STATE_UNDELIVERABLE, 2003, NOGAP },
};
#define NCASES (sizeof cases / sizeof cases[0])
static struct trun runs[NCASES];

static int table_ran;

static int init_table(void)
{
	start_ppgd(&dtab, "sip-tab", TAB_SIP, "retry_min = 1\nretry_max = 2\n", &dtab_sip);
	start_ppgd(&dabort, "sip-abort", ABORT_SIP, "retry_min = 1\nretry_max = 2\n", &dabort_sip);
	return 0;
}

static int clean_table(void)
{
	for (size_t i = 0; i < NCASES; i++) {
		term_free(&runs[i].t);
		itest_sip_log_free(&runs[i].log);
	}
	itest_daemon_destroy(&dtab, 0);
	itest_daemon_destroy(&dabort, 0);
	return 0;
}

/* Sets every case up, pushes, and waits for every final state. */
static void t_table_run(void)
{
	NEED(dtab);
	NEED(dabort);
	table_ran = 1;

	/* Terminals first: each answers its status on its own port. */
	const char *users_tab[NCASES], *users_abort[NCASES];
	int ports_tab[NCASES], ports_abort[NCASES], st[NCASES];
	size_t ntab = 0, nabort = 0;
	for (size_t i = 0; i < NCASES; i++) {
		struct tcase *c = &cases[i];
		struct trun *r = &runs[i];
		struct itest_daemon *d = c->on_abort ? &dabort : &dtab;
		snprintf(r->user, sizeof r->user, "t%zu-%d", i, c->status);
		snprintf(r->push_id, sizeof r->push_id, "tab-%zu-%d@e2e.example", i, c->status);
		snprintf(r->content, sizeof r->content, "push %zu to %.31s: SIP %d answers it", i, r->user, c->status);
		char *scen = c->status ? itest_sip_uas_scenario(d->dir, c->status, c->phrase, c->header)
		    : strdup(tu_src("tests/sipp/e2e_uas_silent.xml"));
		EXPECT_FATAL(scen != NULL);
		EXPECT(term_start(&r->t, d->dir, r->user, scen, c->calls) == 0);
		free(scen);
		if (c->on_abort) {
			users_abort[nabort] = r->user;
			ports_abort[nabort++] = r->t.port;
		} else {
			users_tab[ntab] = r->user;
			ports_tab[ntab++] = r->t.port;
		}
	}
	/* The bindings: one third-party REGISTER per terminal from "the core". */
	sip_register_many(dtab.dir, "127.0.0.1", dtab_sip, users_tab, ports_tab, 600, ntab, st);
	for (size_t i = 0, k = 0; i < NCASES; i++)
		if (!cases[i].on_abort)
			runs[i].reg = st[k++];
	sip_register_many(dabort.dir, "127.0.0.1", dabort_sip, users_abort, ports_abort, 600, nabort, st);
	for (size_t i = 0, k = 0; i < NCASES; i++)
		if (cases[i].on_abort)
			runs[i].reg = st[k++];

	/* The pushes. */
	for (size_t i = 0; i < NCASES; i++) {
		struct tcase *c = &cases[i];
		struct trun *r = &runs[i];
		char attrs[96] = "";
		if (c->db_s) {
			char ts[32];
			pap_time(time(NULL) + c->db_s, ts);
			snprintf(attrs, sizeof attrs, "deliver-before-timestamp=\"%s\"", ts);
		}
		r->t_push = itest_now();
		r->push = push_text(c->on_abort ? &dabort : &dtab, r->push_id, r->user, attrs, r->content);
	}

	/* Every final state, polled through statusquery. */
	double end = itest_now() + 40;
	size_t left = NCASES;
	while (left && itest_now() < end) {
		left = 0;
		for (size_t i = 0; i < NCASES; i++) {
			struct tcase *c = &cases[i];
		struct trun *r = &runs[i];
			if (r->final || r->push != 1001)
				continue;
			if (statusquery(c->on_abort ? &dabort : &dtab, r->push_id, &r->q) == 0 &&
			    r->q.state != PAP_STATE_PENDING) {
				r->final = 1;
				r->t_final = itest_now();
			} else {
				left++;
			}
		}
		if (left)
			sleep_s(0.1);
	}
	/* What each terminal got. */
	for (size_t i = 0; i < NCASES; i++) {
		struct trun *r = &runs[i];
		term_wait(&r->t, 6);
		term_stop(&r->t);
		itest_sip_log_load(r->t.msglog, &r->log);
	}
	EXPECT_INT(left, 0);
}

static void check_case(size_t i)
{
	struct tcase *c = &cases[i];
	struct trun *r = &runs[i];
	struct itest_daemon *d = c->on_abort ? &dabort : &dtab;
	const struct itest_sip_msg *m[8];

	NEED(*d);
	CU_ASSERT_FATAL(table_ran);
	ctx_files[0] = r->t.out;
	ctx_files[1] = r->t.msglog;
	size_t n = itest_sip_requests(&r->log, "MESSAGE", m, 8);
	double gaps[7] = { 0 };
	for (size_t k = 1; k < n; k++)
		gaps[k - 1] = m[k]->t - m[k - 1]->t;
	printf("\n    %s: %s %d \"%s\" after %.2f s; %zu MESSAGE%s, gaps %.2f %.2f s ",
	    r->user, pap_state_str(r->q.state), r->q.code, r->q.desc, r->t_final - r->t_push, n,
	    n == 1 ? "" : "s", gaps[0], gaps[1]);

	EXPECT_INT(r->reg, 200);
	EXPECT_INT(r->push, 1001);
	EXPECT(r->final);
	EXPECT_STR(pap_state_str(r->q.state), pap_state_str(c->want_state));
	EXPECT_INT(r->q.code, c->want_code);
	char *addr = aor_address(r->user);
	EXPECT_STR(r->q.address, addr);
	free(addr);
	EXPECT_INT(n, c->calls);
	if (c->calls == 1 && r->final)   /* no retry: the outcome is final at once */
		EXPECT(r->t_final - r->t_push < 2.5);
	for (size_t k = 0; k < n; k++)
		check_message(m[k], r->user, r->t.port, "text/plain", r->content, strlen(r->content));
	for (size_t k = 0; k + 1 < n && k < 2; k++) {
		if (c->gap_min[k] > 0 && gaps[k] < c->gap_min[k] - 0.02)
			fprintf(stderr, "\n  attempt %zu came %.3f s after the previous one, expected >= %.1f s\n",
			    k + 2, gaps[k], c->gap_min[k]);
		EXPECT(c->gap_min[k] <= 0 || gaps[k] >= c->gap_min[k] - 0.02);
		if (c->gap_max[k] > 0 && gaps[k] > c->gap_max[k])
			fprintf(stderr, "\n  attempt %zu came %.3f s after the previous one, expected <= %.1f s\n",
			    k + 2, gaps[k], c->gap_max[k]);
		EXPECT(c->gap_max[k] <= 0 || gaps[k] <= c->gap_max[k]);
	}
	/* sipp's own checks (Accept-Contact) passed for every call */
	EXPECT_INT(r->t.exit_code, 0);
	ctx_files[0] = ctx_files[1] = NULL;
}

#define CASE_FN(i) static void t_case_##i(void) { check_case(i); }
CASE_FN(0) CASE_FN(1) CASE_FN(2) CASE_FN(3) CASE_FN(4) CASE_FN(5) CASE_FN(6) CASE_FN(7) CASE_FN(8)
CASE_FN(9) CASE_FN(10) CASE_FN(11) CASE_FN(12) CASE_FN(13) CASE_FN(14) CASE_FN(15) CASE_FN(16)
CASE_FN(17) CASE_FN(18)
static CU_TestFunc case_fns[] = { t_case_0, t_case_1, t_case_2, t_case_3, t_case_4, t_case_5,
	t_case_6, t_case_7, t_case_8, t_case_9, t_case_10, t_case_11, t_case_12, t_case_13, t_case_14,
	t_case_15, t_case_16, t_case_17, t_case_18 };
_Static_assert(sizeof case_fns / sizeof case_fns[0] == NCASES, "one CASE_FN per case");

/* [sip] no_binding = fail: a push to an AoR nobody registered ends at
 * once, undeliverable 2003. */
static void t_no_binding_fail_2003(void)
{
	NEED(dabort);
	struct sq q;
	double t0 = itest_now();
	EXPECT_INT(push_text(&dabort, "nobinding@e2e", "nobody", NULL, "to nobody"), 1001);
	EXPECT(wait_final(&dabort, "nobinding@e2e", 5, &q) == 0);
	report_sq("no_binding = fail", &q);
	EXPECT_STR(pap_state_str(q.state), "undeliverable");
	EXPECT_INT(q.code, 2003);
	EXPECT(itest_now() - t0 < 3);
}

/* ---------------------------------------------------------------- main */

int main(void)
{
	static struct itest_test_def table[NCASES + 3];

	table[0].name = "outcome table: terminals, bindings, pushes, final states";
	table[0].fn = t_table_run;
	for (size_t i = 0; i < NCASES; i++) {
		table[i + 1].name = cases[i].name;
		table[i + 1].fn = case_fns[i];
	}
	table[NCASES + 1].name = "[sip] no_binding = fail -> undeliverable 2003 at once";
	table[NCASES + 1].fn = t_no_binding_fail_2003;

	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("SIP -> PAP outcome table", init_table, clean_table, table)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
