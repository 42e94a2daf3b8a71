/*
 * test_sip_e2e_load.c - SIP Push end to end under load: the SIP loop
 * answers while the writer is held busy, and kill -9 under a load of pushes.
 * Shared set-up: tests/sip_e2e_common.c (split from test_sip_e2e.c).
 */
#include "tests/sip_e2e_common.h"

/* ==================================== suite: the loop while SQL waits */

/*
 * The test process holds ppgd's database write-locked (BEGIN IMMEDIATE on
 * its own connection: in WAL mode the one writer lock), so ppgd's writer
 * thread waits in its busy handler (busy timeout 5 s, db/db_sqlite.c) for
 * LOCK_S. Meanwhile the SIP loop must go on: an OPTIONS is answered at
 * once, a third-party REGISTER stays open (it is answered after its
 * binding is committed) and gets its 200 once the lock is released; the
 * binding is then used by a push.
 */
#define LOCK_S 2.0

static struct itest_daemon dbusy;
static int dbusy_sip;

static int init_busy(void)
{
	start_ppgd(&dbusy, "sip-busy", TAB_SIP, NULL, &dbusy_sip);
	return 0;
}

static int clean_busy(void)
{
	itest_daemon_destroy(&dbusy, 0);
	return 0;
}

/* Runs tests/sipp/e2e_options.xml against 127.0.0.1:port; returns the
 * final status and, in *took, the time from the OPTIONS to it as sipp
 * logged them (-1 when there was none); *sent: when the OPTIONS went out
 * (wall clock, -1 when it did not). */
static int sip_options(const char *dir, int port, double *took, double *sent)
{
	static int seq;
	char dst[32];
	char *log = itest_asprintf("%s/options_%d.msg", dir, ++seq);
	snprintf(dst, sizeof dst, "127.0.0.1:%d", port);
	const char *argv[] = { "sipp", "-sf", tu_src("tests/sipp/e2e_options.xml"), "-m", "1",
		"-i", "127.0.0.1", "-nostdin", "-trace_msg", "-message_file", log, "-timeout", "10s",
		"-recv_timeout", "5000", dst, NULL };
	int code = -1;
	char *out = NULL, *err = NULL;
	itest_run_full(argv, NULL, dir, 20, &out, &err, &code);
	free(out);
	free(err);
	struct itest_sip_log l;
	itest_sip_log_load(log, &l);
	const struct itest_sip_msg *req = sip_sent_request(&l, "OPTIONS"), *fin = sip_final_response(&l);
	int st = sip_status(fin);
	*took = req && fin ? fin->t - req->t : -1;
	*sent = req ? req->t : -1;
	itest_sip_log_free(&l);
	free(log);
	return st;
}

static void t_register_while_writer_busy(void)
{
	NEED(dbusy);
	struct term t;
	struct sq q;
	char *scen = itest_sip_uas_scenario(dbusy.dir, 200, "OK", NULL);
	const char *text = "after the busy writer";

	EXPECT_FATAL(term_start(&t, dbusy.dir, "buser", scen, 1) == 0);
	free(scen);
	ctx_files[0] = t.msglog;

	/* The writer lock, from this process. */
	char *dbpath = itest_asprintf("%s/ppgd.db", dbusy.dir);
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL);
	free(dbpath);
	if (rc != SQLITE_OK)
		fprintf(stderr, "\n  cannot open ppgd's database: %s\n", db ? sqlite3_errmsg(db) : "?");
	EXPECT_FATAL(rc == SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		fprintf(stderr, "\n  BEGIN IMMEDIATE: %s\n", sqlite3_errmsg(db));
	EXPECT_FATAL(rc == SQLITE_OK);
	double w_lock = wall_now();

	/* The REGISTER, in the background. */
	char *reglog = NULL;
	pid_t reg = sip_register_spawn(dbusy.dir, dbusy_sip, "buser", t.port, 600, &reglog);
	ctx_files[1] = reglog;
	EXPECT(reg > 0);
	/* (i) the loop answers an OPTIONS at once while the writer waits */
	sleep_s(0.3);
	double opt_took = -1, opt_sent = -1;
	int opt = sip_options(dbusy.dir, dbusy_sip, &opt_took, &opt_sent);
	EXPECT_INT(opt, 200);
	EXPECT(opt_took >= 0 && opt_took < 0.3);
	/* (ii) no final answer to the REGISTER as long as the lock is held */
	sleep_s(LOCK_S - (wall_now() - w_lock));
	struct itest_sip_log l;
	itest_sip_log_load(reglog, &l);
	const struct itest_sip_msg *sent = sip_sent_request(&l, "REGISTER");
	const struct itest_sip_msg *early = sip_final_response(&l);
	double t_sent = sent ? sent->t : -1;
	EXPECT(sent != NULL);
	/* the OPTIONS came while the REGISTER waited for the writer */
	EXPECT(sent && opt_sent > t_sent);
	if (early)
		fprintf(stderr, "\n  REGISTER answered %.3f s after it was sent, with the database locked:\n%s\n",
		    early->t - t_sent, early->text);
	EXPECT(early == NULL);
	itest_sip_log_free(&l);
	int code = -1;
	EXPECT(reg <= 0 || itest_wait_pid(reg, 0, &code) < 0);   /* sipp still waits */

	double w_unlock_0 = wall_now();
	rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	double w_unlock = wall_now();
	EXPECT_INT(rc, SQLITE_OK);
	sqlite3_close(db);

	/* The 200 comes once the binding is committed, with the contact. */
	if (reg > 0 && itest_wait_pid(reg, 10, &code) < 0)
		itest_stop_pid(reg, SIGTERM, 2);
	EXPECT_INT(code, 0);
	itest_sip_log_load(reglog, &l);
	const struct itest_sip_msg *fin = sip_final_response(&l);
	EXPECT_INT(sip_status(fin), 200);
	double after = fin ? fin->t - w_unlock : -1;
	printf("\n    database locked %.2f s; OPTIONS answered in %.1f ms during the lock; REGISTER sent "
	    "%.3f s into the lock, its %d %.3f s after the release (%.3f s after it was sent)",
	    w_unlock - w_lock, opt_took * 1000, t_sent - w_lock, sip_status(fin), after,
	    fin && sent ? fin->t - t_sent : -1);
	EXPECT(fin && fin->t >= w_unlock_0 - 0.005);
	EXPECT(fin && after < 1.5);
	if (fin) {
		char *contact = itest_sip_hdr(fin->text, "Contact");
		char *want = itest_asprintf("<sip:buser@127.0.0.1:%d>", t.port);
		if (!contact || !strstr(contact, want))
			fprintf(stderr, "\n  Contact of the 200: \"%s\", expected %s\n", contact ? contact : "(none)",
			    want);
		EXPECT(contact && strstr(contact, want));
		free(contact);
		free(want);
	}
	itest_sip_log_free(&l);

	/* (iii) the binding was stored: a push to the AoR is delivered. */
	EXPECT_INT(push_text(&dbusy, "busy-1@e2e", "buser", NULL, text), 1001);
	EXPECT(wait_final(&dbusy, "busy-1@e2e", 10, &q) == 0);
	report_sq("after the busy writer", &q);
	EXPECT_STR(pap_state_str(q.state), "delivered");
	EXPECT_INT(q.code, 1000);
	EXPECT_INT(term_wait(&t, 5), 0);
	struct itest_sip_log tl;
	const struct itest_sip_msg *m[4];
	itest_sip_log_load(t.msglog, &tl);
	EXPECT_INT(itest_sip_requests(&tl, "MESSAGE", m, 4), 1);
	if (tl.n && itest_sip_requests(&tl, "MESSAGE", m, 4) == 1)
		check_message(m[0], "buser", t.port, "text/plain", text, strlen(text));
	itest_sip_log_free(&tl);
	term_free(&t);
	free(reglog);
	ctx_files[0] = ctx_files[1] = NULL;
}

/* ================================ suite: kill -9 in the middle of a load */

/*
 * 300 pushes (4 PI threads) with result notifications to 10 registered
 * AoRs whose terminal is one sipp UAS that stays up. When about half were
 * accepted, ppgd is killed with SIGKILL and restarted on the same database.
 * A PI thread whose request failed (connection refused or cut) sends the
 * same push again once ppgd is back: 1001 (it was not stored) or 2007 (it
 * was stored, the answer was lost). Every push answered 1001 or 2007 must
 * then reach delivered/1000, and its notification must reach the PI at
 * least once. Duplicates (MESSAGEs, notifications) are allowed
 * (at-least-once) and counted.
 */
#define NLOAD 300
#define NLUSERS 10
#define NPUSHERS 4

static struct itest_daemon dload;
static int dload_sip;
static struct itest_pi lpil;

struct lpush {
	char id[32];
	char user[16];
	char text[48];
	int result;          /* push-response code, -1 when it never got one */
	int before_kill;     /* the 1001 came before the kill */
	int tries;
};
static struct lpush lp[NLOAD];
static atomic_int lnext, laccepted, lkilled, labort;

static int init_load(void)
{
	start_ppgd(&dload, "sip-load", TAB_SIP, "retry_min = 1\nretry_max = 2\ntimeout = 2\n", &dload_sip);
	itest_pi_start(&lpil, 0, 0);
	return 0;
}

static int clean_load(void)
{
	itest_pi_stop(&lpil);
	itest_daemon_destroy(&dload, 0);
	return 0;
}

/* One push of the load; the push-response code, or -1 on a transport error. */
static int load_push_once(struct lpush *p, const char *notify_url)
{
	char *addr = aor_address(p->user);
	char *attrs = itest_asprintf("ppg-notify-requested-to=\"%s\"", notify_url);
	size_t len;
	char *body = push_body(DOCTYPE_21, p->id, addr, attrs, "text/plain", p->text, strlen(p->text), &len);
	struct itest_resp r;
	int code = -1;
	if (itest_http("POST", dload.url, MULTIPART_CT, body, len, ALICE, &r) == 0 && r.status == 202) {
		struct pap_limits lim = PAP_LIMITS_DEFAULT;
		struct pap_msg *m = NULL;
		struct pap_error err;
		if (pap_msg_decode(r.body, r.len, &lim, &m, &err) == 0)
			code = msg_code(m);
		pap_msg_free(m);
	}
	itest_resp_free(&r);
	free(body);
	free(attrs);
	free(addr);
	return code;
}

static void *load_pusher(void *arg)
{
	const char *url = arg;
	for (;;) {
		int i = atomic_fetch_add(&lnext, 1);
		if (i >= NLOAD)
			break;
		struct lpush *p = &lp[i];
		double give_up = itest_now() + 30;
		for (;;) {
			p->tries++;
			int code = load_push_once(p, url);
			if (code > 0) {
				p->result = code;
				if (code == 1001) {
					p->before_kill = !atomic_load(&lkilled);
					atomic_fetch_add(&laccepted, 1);
				}
				break;
			}
			if (itest_now() > give_up || atomic_load(&labort)) {
				p->result = -1;
				break;
			}
			usleep(50000);
		}
	}
	return NULL;
}

struct cid_idx {
	char *cid;
	int push;
};

static int cmp_cid(const void *a, const void *b)
{
	return strcmp(((const struct cid_idx *)a)->cid, ((const struct cid_idx *)b)->cid);
}

static void t_kill9_under_load(void)
{
	NEED(dload);
	CU_ASSERT_FATAL(lpil.running);
	struct term t;
	char *scen = itest_sip_uas_scenario(dload.dir, 200, "OK", NULL);
	const char *users[NLUSERS];
	int ports[NLUSERS], st[NLUSERS];
	char unames[NLUSERS][16];

	EXPECT_FATAL(term_start(&t, dload.dir, "load", scen, 100000) == 0);
	free(scen);
	ctx_files[0] = t.out;
	for (int k = 0; k < NLUSERS; k++) {
		snprintf(unames[k], sizeof unames[k], "luser%d", k);
		users[k] = unames[k];
		ports[k] = t.port;
	}
	EXPECT_INT(sip_register_many(dload.dir, "127.0.0.1", dload_sip, users, ports, 600, NLUSERS, st), NLUSERS);
	for (int i = 0; i < NLOAD; i++) {
		snprintf(lp[i].id, sizeof lp[i].id, "load-%03d@e2e", i);
		snprintf(lp[i].user, sizeof lp[i].user, "luser%d", i % NLUSERS);
		snprintf(lp[i].text, sizeof lp[i].text, "load push %03d", i);
	}
	struct sq q;
	statusquery(&dload, "warm-up", &q);   /* libcurl's global init, in this thread */

	pthread_t th[NPUSHERS];
	double t0 = itest_now();
	for (int k = 0; k < NPUSHERS; k++)
		EXPECT_FATAL(pthread_create(&th[k], NULL, load_pusher, lpil.url) == 0);
	while (atomic_load(&laccepted) < NLOAD / 2 && itest_now() - t0 < 60)
		usleep(2000);
	int at_kill = atomic_load(&laccepted);
	atomic_store(&lkilled, 1);
	double wall_kill = wall_now();
	int kst = itest_daemon_kill(&dload);
	EXPECT(kst >= 0 && WIFSIGNALED(kst) && WTERMSIG(kst) == SIGKILL);
	double t_kill = itest_now();
	int restarted = itest_daemon_start(&dload) == 0;
	double t_restart = itest_now();
	if (!restarted)
		atomic_store(&labort, 1);   /* the PI threads stop retrying */
	EXPECT(restarted);
	for (int k = 0; k < NPUSHERS; k++)
		pthread_join(th[k], NULL);
	double t_pushed = itest_now();
	if (!restarted) {
		term_free(&t);
		return;
	}

	int n1001_before = 0, n1001_after = 0, n2007 = 0, nnone = 0, nother = 0, retried = 0;
	for (int i = 0; i < NLOAD; i++) {
		if (lp[i].result == 1001 && lp[i].before_kill)
			n1001_before++;
		else if (lp[i].result == 1001)
			n1001_after++;
		else if (lp[i].result == 2007)
			n2007++;
		else if (lp[i].result == -1)
			nnone++;
		else
			nother++;
		retried += lp[i].tries > 1;
	}
	printf("\n    kill -9 after %d accepted (%.2f s into the load), restarted in %.2f s; pushes: "
	    "%d accepted before the kill, %d after, %d resent and answered 2007 (stored, answer lost), "
	    "%d without an answer, %d other; %d needed more than one try; all pushed in %.2f s",
	    at_kill, t_kill - t0, t_restart - t_kill, n1001_before, n1001_after, n2007, nnone, nother, retried,
	    t_pushed - t0);
	EXPECT_INT(nnone, 0);
	EXPECT_INT(nother, 0);
	EXPECT(n1001_before >= NLOAD / 2);

	/* Every stored push reaches delivered. */
	int final[NLOAD] = { 0 }, left = 0;
	struct sq qs[NLOAD];
	double end = itest_now() + 60;
	do {
		left = 0;
		for (int i = 0; i < NLOAD; i++) {
			if (final[i] || (lp[i].result != 1001 && lp[i].result != 2007))
				continue;
			if (statusquery(&dload, lp[i].id, &qs[i]) == 0 && qs[i].state != PAP_STATE_PENDING)
				final[i] = 1;
			else
				left++;
		}
		if (left)
			sleep_s(0.2);
	} while (left && itest_now() < end);
	double t_final = itest_now();
	int ndelivered = 0, nbad = 0;
	for (int i = 0; i < NLOAD; i++) {
		if (lp[i].result != 1001 && lp[i].result != 2007)
			continue;
		if (final[i] && qs[i].state == PAP_STATE_DELIVERED && qs[i].code == 1000) {
			ndelivered++;
		} else if (nbad++ < 10) {
			fprintf(stderr, "\n  %s (answered %d%s): %s %d \"%s\"", lp[i].id, lp[i].result,
			    lp[i].before_kill ? " before the kill" : "", final[i] ? pap_state_str(qs[i].state) :
			    "not final", qs[i].code, qs[i].desc);
		}
	}
	int stored = n1001_before + n1001_after + n2007;
	printf("\n    %d of %d stored pushes delivered/1000, %.2f s after the restart", ndelivered, stored,
	    t_final - t_restart);
	EXPECT_INT(left, 0);
	EXPECT_INT(ndelivered, stored);

	/* Every requested notification reaches the PI (at least once). */
	double nend = itest_now() + 40;
	int missing;
	do {
		missing = 0;
		pthread_mutex_lock(&lpil.mu);
		for (int i = 0; i < NLOAD; i++) {
			if (lp[i].result != 1001 && lp[i].result != 2007)
				continue;
			int seen = 0;
			for (size_t k = 0; k < lpil.n && !seen; k++)
				seen = !strcmp(lpil.v[k].push_id, lp[i].id);
			missing += !seen;
		}
		pthread_mutex_unlock(&lpil.mu);
		if (missing)
			sleep_s(0.2);
	} while (missing && itest_now() < nend);
	pthread_mutex_lock(&lpil.mu);
	size_t nposts = lpil.n;
	int distinct = 0, ndup_notes = 0, wrong_state = 0;
	for (int i = 0; i < NLOAD; i++) {
		int c = 0;
		for (size_t k = 0; k < lpil.n; k++)
			if (!strcmp(lpil.v[k].push_id, lp[i].id)) {
				c++;
				if (!strstr(lpil.v[k].body, "message-state=\"delivered\"") ||
				    !strstr(lpil.v[k].body, "code=\"1000\""))
					wrong_state++;
			}
		distinct += c > 0;
		ndup_notes += c > 1 ? c - 1 : 0;
	}
	pthread_mutex_unlock(&lpil.mu);
	printf("\n    notifications: %zu POSTs, %d distinct push-ids, %d duplicates, %d missing "
	    "(%.2f s after the restart)", nposts, distinct, ndup_notes, missing, itest_now() - t_restart);
	EXPECT_INT(missing, 0);
	EXPECT(distinct >= stored);
	EXPECT_INT(wrong_state, 0);

	/* What the terminal got: every stored push at least once. */
	term_stop(&t);
	struct itest_sip_log l;
	itest_sip_log_load(t.msglog, &l);
	struct cid_idx *ci = calloc(l.n + 1, sizeof *ci);
	size_t nci = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (!itest_sip_is_request(&l.v[i], "MESSAGE"))
			continue;
		size_t blen;
		const char *b = itest_sip_body(&l.v[i], &blen);
		int idx = -1;
		if (blen >= 13 && sscanf(b, "load push %d", &idx) == 1 && idx >= 0 && idx < NLOAD) {
			ci[nci].cid = itest_sip_hdr(l.v[i].text, "Call-ID");
			ci[nci].push = idx;
			if (ci[nci].cid)
				nci++;
		}
	}
	qsort(ci, nci, sizeof *ci, cmp_cid);
	int count[NLOAD] = { 0 };
	double first[NLOAD];
	size_t nmsg = 0;
	for (size_t i = 0; i < nci; i++)
		if (i == 0 || strcmp(ci[i].cid, ci[i - 1].cid)) {
			if (!count[ci[i].push]++)
				first[ci[i].push] = 1e18;
			nmsg++;
		}
	/* when each push first reached the terminal */
	for (size_t i = 0; i < l.n; i++) {
		int idx = -1;
		size_t blen;
		const char *b = itest_sip_is_request(&l.v[i], "MESSAGE") ? itest_sip_body(&l.v[i], &blen) : NULL;
		if (b && blen >= 13 && sscanf(b, "load push %d", &idx) == 1 && idx >= 0 && idx < NLOAD &&
		    count[idx] && l.v[i].t < first[idx])
			first[idx] = l.v[i].t;
	}
	int nsip_missing = 0, nsip_dup = 0, dup_after = 0, inflight = 0;
	for (int i = 0; i < NLOAD; i++) {
		if ((lp[i].result == 1001 || lp[i].result == 2007) && count[i] == 0)
			nsip_missing++;
		nsip_dup += count[i] > 1 ? count[i] - 1 : 0;
		inflight += count[i] && first[i] <= wall_kill;
		/* A push first sent after the restart must not come twice. The
		 * terminal logs a MESSAGE when it reads it: one the old process sent
		 * just before the kill may be logged a few ms after it (50 ms margin). */
		if (count[i] > 1 && first[i] > wall_kill + 0.05) {
			if (dup_after++ < 5)
				fprintf(stderr, "\n  %s first sent after the restart, received %d times", lp[i].id,
				    count[i]);
		}
	}
	printf("\n    terminal: %zu MESSAGEs, %d duplicates (%d pushes had reached the terminal before "
	    "the kill), %d stored pushes never received", nmsg, nsip_dup, inflight, nsip_missing);
	EXPECT_INT(nsip_missing, 0);
	EXPECT_INT(dup_after, 0);
	EXPECT(nsip_dup <= inflight);
	for (size_t i = 0; i < nci; i++)
		free(ci[i].cid);
	free(ci);
	itest_sip_log_free(&l);
	term_free(&t);
	ctx_files[0] = NULL;
}

/* ---------------------------------------------------------------- main */

int main(void)
{
	static const struct itest_test_def busy[] = {
		{ "REGISTER answered while the writer is held busy", t_register_while_writer_busy },
		{ NULL, NULL },
	};
	static const struct itest_test_def load[] = {
		{ "kill -9 under load: every stored push delivered and notified", t_kill9_under_load },
		{ NULL, NULL },
	};

	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (itest_add_suite("the SIP loop while the writer waits", init_busy, clean_busy, busy) ||
	    itest_add_suite("kill -9 under load", init_load, clean_load, load)) {
		CU_cleanup_registry();
		return 1;
	}
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
