/*
 * test_cluster_faults.c - what can go wrong between ppgd nodes sharing one
 * PostgreSQL (the test's own server, test_db_pg.c), two nodes on loopback:
 *  - a second ppgd started with a node id that a live node holds is refused
 *    (exit status, a log line naming the holder), and ppgd -t reports it;
 *  - a registration NOTIFYed while a node's listener connection was away
 *    is not lost: once the node listens again it reads every registration
 *    and sends what it parked for the terminal (a sipp terminal takes it);
 *    the same for a push to a temp-gruu (RFC 5627 §3.2) that node accepted
 *    and parked meanwhile, which the resync wakes by its temp-gruu;
 *  - result notifications held by a node behind one that keeps failing keep
 *    their lease: the other node never takes them over, the PI gets each
 *    once and in order;
 *  - a PostgreSQL address that accepts TCP but never answers (a socket of
 *    this program that listens and never accepts) bounds the writer's
 *    reconnection: PAP is answered 3000 within the connect timeout, not
 *    held for as long as TCP would wait.
 * Skipped (exit 77) when the PostgreSQL binaries are absent.
 */
#include <CUnit/Basic.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pap/pap.h"
#include "tests/itest.h"
#include "tests/itest_sip.h"
#include "tests/test_db_pg.h"
#include "tests/test_util.h"

#define NODES 2
#define DB "faults"
#define BOUNDARY "clfaults-2b9d"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""
#define ADDR_UDP "WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example"
#define PI_FAILS 8          /* the PI answers its first 8 POSTs 500 */

static struct tpg *pg;
static struct itest_daemon node[NODES];
static int sip_port[NODES];
static struct itest_pi pil;
static int udp_fd = -1, udp_port;
static char conninfo[512];

/* The config of a node: PAP, PostgreSQL as node_id, SIP, UDP, notifications. */
static char *node_config(const struct itest_daemon *d, const char *ci, const char *node_id, int sport)
{
	return itest_asprintf(
	    "[server]\n"
	    "listen = 127.0.0.1:%d\n"
	    "pap_path = /pap\n"
	    "[database]\n"
	    "engine = postgresql\n"
	    "conninfo = %s\n"
	    "node_id = %s\n"
	    "lease_margin = 1\n"
	    "[sip]\n"
	    "enabled = yes\n"
	    "listen = sip:127.0.0.1:%d\n"
	    "from = sip:ppg@operator.example\n"
	    "transaction_timeout = 2\n"
	    "fetch_timeout = 1\n"
	    "[log]\n"
	    "level = info\n"
	    "[pi alice]\n"
	    "secret_hash = %s\n"
	    "allow = 127.0.0.0/8\n"
	    "[notify]\n"
	    "timeout = 1\n"
	    "retry_min = 1\n"
	    "retry_max = 1\n"
	    "max_attempts = 30\n"
	    "[ota]\n"
	    "udp = yes\n"
	    "udp_port = %d\n", d->port, ci, node_id, sport, itest_hash_secret(ITEST_ALICE_SECRET), udp_port);
}

/* A push of push_id to address at node d (content text/plain "hello push",
 * application mms.ua), with a result notification to the PI listener when
 * notify; the push-response code, -1 without one. */
static int push(struct itest_daemon *d, const char *push_id, const char *address, int notify)
{
	char *body = itest_asprintf(
	    "--" BOUNDARY "\r\n"
	    "Content-Type: application/xml; charset=UTF-8\r\n"
	    "\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n"
	    "<pap><push-message push-id=\"%s\"%s%s%s>"
	    "<address address-value=\"%s\"/></push-message></pap>\r\n"
	    "--" BOUNDARY "\r\n"
	    "Content-Type: text/plain\r\n"
	    "X-Wap-Application-Id: x-wap-application:mms.ua\r\n"
	    "\r\n"
	    "hello push\r\n"
	    "--" BOUNDARY "--\r\n", push_id, notify ? " ppg-notify-requested-to=\"" : "",
	    notify ? pil.url : "", notify ? "\"" : "", address);
	struct pap_msg *m = itest_pap_post(d, "alice", ITEST_ALICE_SECRET, MULTIPART_CT, body, strlen(body));
	free(body);
	int code = !m ? -1 : m->nresults > 0 ? m->results[0].code : m->code;
	pap_msg_free(m);
	return code;
}

/* The state of push_id in the database (enum pap_state), -1 when unknown. */
static long long push_state(const char *push_id)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT state FROM push WHERE pi = 'alice' AND push_id = '%s'", push_id);
	return tpg_query_int(pg, DB, sql);
}

/* ------------------------------------------------------------ suite */

static int suite_init(void)
{
	pg = tpg_start();
	const char *ci = pg ? tpg_conninfo(pg, DB) : NULL;
	if (!ci || itest_pi_start(&pil, PI_FAILS, 0) < 0)
		return -1;
	snprintf(conninfo, sizeof conninfo, "%s", ci);
	/* the UDP bearer's datagrams land here, unread */
	udp_port = itest_free_port_udp_tcp();
	udp_fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)udp_port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (udp_port < 0 || udp_fd < 0 || bind(udp_fd, (struct sockaddr *)&a, sizeof a) < 0)
		return -1;
	for (int i = 0; i < NODES; i++) {
		char tag[16], id[8];
		snprintf(tag, sizeof tag, "clfaults%d", i + 1);
		snprintf(id, sizeof id, "n%d", i + 1);
		sip_port[i] = itest_free_port_udp_tcp();
		if (itest_daemon_init(&node[i], tag) < 0)
			return -1;
		char *text = node_config(&node[i], conninfo, id, sip_port[i]);
		int rc = text ? itest_write_config(&node[i], text) : -1;
		free(text);
		if (rc < 0 || itest_daemon_start(&node[i]) < 0)
			return -1;
	}
	return 0;
}

static int suite_clean(void)
{
	int failed = CU_get_number_of_failures() > 0;
	for (int i = 0; i < NODES; i++) {
		if (node[i].pid > 0) {
			kill(node[i].pid, SIGCONT);
			itest_daemon_stop(&node[i]);
		}
		itest_daemon_destroy(&node[i], failed);
	}
	itest_pi_stop(&pil);
	if (udp_fd >= 0)
		close(udp_fd);
	tpg_stop(pg);
	return 0;
}

/* ------------------------------------------------------------ tests */

/* A second ppgd with node 1's node id: refused at start (exit status 1, a
 * log line naming the holder), reported by ppgd -t; node 1 goes on. */
static void t_same_node_id(void)
{
	struct itest_daemon twin;
	CU_ASSERT_EQUAL_FATAL(itest_daemon_init(&twin, "clfaults-twin"), 0);
	char *text = node_config(&twin, conninfo, "n1", itest_free_port_udp_tcp());
	CU_ASSERT_EQUAL_FATAL(itest_write_config(&twin, text), 0);
	free(text);

	const char *check[] = { itest_ppgd_path(), "-c", twin.conf, "-t", NULL };
	char *out = NULL, *err = NULL;
	int code = -1;
	/* ppgd -t reports the holder (it may be this config's own node, running) */
	itest_run_full(check, NULL, twin.dir, 30, &out, &err, &code);
	CU_ASSERT_EQUAL(code, 0);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "warning: node id n1 is in use by another live ppgd: "
	    "ppgd node n1 pid") ? err : NULL);
	if (!err || !strstr(err, "warning"))
		fprintf(stderr, "ppgd -t: %s%s\n", out ? out : "", err ? err : "");
	free(out);
	free(err);

	const char *argv[] = { itest_ppgd_path(), "-c", twin.conf, NULL };
	pid_t pid = itest_spawn(argv, twin.dir, twin.log);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL(itest_wait_pid(pid, 15, &code), 0);
	CU_ASSERT_EQUAL(code, 1);
	size_t len = 0;
	char *log = tu_read_file(twin.log, &len);
	CU_ASSERT_PTR_NOT_NULL(log && strstr(log, "node id n1 is in use by another live ppgd") &&
	    strstr(log, "not starting") ? log : NULL);
	free(log);
	CU_ASSERT(itest_daemon_alive(&node[0]));
	CU_ASSERT_EQUAL(push(&node[0], "twin-after@clf", ADDR_UDP, 0), PAP_ACCEPTED);

	/* with a free id, ppgd -t has nothing to report */
	text = node_config(&twin, conninfo, "n3", itest_free_port_udp_tcp());
	CU_ASSERT_EQUAL_FATAL(itest_write_config(&twin, text), 0);
	free(text);
	itest_run_full(check, NULL, twin.dir, 30, &out, &err, &code);
	CU_ASSERT_EQUAL(code, 0);
	CU_ASSERT_PTR_NULL(err && strstr(err, "in use") ? err : NULL);
	free(out);
	free(err);
	itest_daemon_destroy(&twin, CU_get_number_of_failures() > 0);
}

/* A sipp terminal on a free port of 127.0.0.1 answering one MESSAGE 200
 * (its stdout and stderr in dir/out_name); *scen and *out are the caller's
 * to free. */
static pid_t term_one_200(const char *dir, const char *out_name, char **scen, char **out, int *port)
{
	*scen = itest_sip_uas_scenario(dir, 200, "OK", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*scen);
	*out = itest_asprintf("%s/%s", dir, out_name);
	const char *argv[] = { "sipp", "-sf", *scen, "-m", "1", "-i", "127.0.0.1", "-p", "@PORT@", "-nostdin",
		"-timeout", "60s", NULL };
	pid_t pid = itest_sipp_start(argv, dir, *out, 0, port);
	CU_ASSERT_FATAL(pid > 0);
	return pid;
}

/* Node 2's listener connection is ended while the database refuses new
 * connections (until ALLOW_CONNECTIONS is true again). */
static void listener_n2_cut(void)
{
	CU_ASSERT_EQUAL_FATAL(tpg_sql(pg, "postgres", "ALTER DATABASE " DB " ALLOW_CONNECTIONS false"), 0);
	CU_ASSERT_EQUAL(tpg_sql(pg, "postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	    " WHERE application_name = 'ppgd listener n2'"), 0);
}

/* Node 2's listener connection is ended while new connections are refused;
 * a third-party REGISTER reaches node 1 meanwhile (its NOTIFY ppgd_reg is
 * lost for node 2). Once node 2 listens again it has the binding: a push
 * for the AoR accepted by node 2 reaches the sipp terminal, not parked. */
static void t_listener_resync(void)
{
	char *dir = node[1].dir, *scen = NULL, *tlog = NULL;
	int tport = 0;
	/* the terminal: answers one MESSAGE 200 */
	pid_t term = term_one_200(dir, "term.out", &scen, &tlog, &tport);

	listener_n2_cut();
	/* the core's third-party REGISTER, to node 1 */
	itest_sip_register(dir, "127.0.0.1", sip_port[0], "ruser", tport, 600);
	CU_ASSERT_EQUAL(tpg_sql(pg, "postgres", "ALTER DATABASE " DB " ALLOW_CONNECTIONS true"), 0);
	CU_ASSERT_EQUAL(tpg_query_int(pg, DB, "SELECT count(*) FROM binding WHERE aor LIKE '%ruser@example.com%'"),
	    1);
	/* node 2 listens again (its backoff is at most 4 s) */
	double end = itest_now() + 15;
	while (tpg_query_int(pg, DB, "SELECT count(*) FROM pg_stat_activity"
	    " WHERE application_name = 'ppgd listener n2'") != 1 && itest_now() < end)
		usleep(100000);
	usleep(500000);   /* its reload of the registrations: one batch */
	CU_ASSERT_EQUAL(push(&node[1], "resync@clf", "WAPPUSH=sip%3Aruser%40example.com/TYPE=USER", 0),
	    PAP_ACCEPTED);
	end = itest_now() + 15;
	long long st;
	while ((st = push_state("resync@clf")) != PAP_STATE_DELIVERED && itest_now() < end)
		usleep(100000);
	CU_ASSERT_EQUAL(st, PAP_STATE_DELIVERED);
	if (st != PAP_STATE_DELIVERED)
		itest_daemon_print_log(&node[1], 3000);
	int code = -1;
	CU_ASSERT_EQUAL(itest_wait_pid(term, 10, &code), 0);
	CU_ASSERT_EQUAL(code, 0);
	if (code != 0)
		itest_stop_pid(term, SIGTERM, 5);
	free(tlog);
	free(scen);
}

/* A push to a temp-gruu parks on the temp-gruu's URI, which is no AoR.
 * Node 2's listener is away; node 1 takes the REGISTER bringing the
 * temp-gruu (its wake-up of what was parked on it finds nothing yet), then
 * node 2 accepts a push to that temp-gruu: its cache does not know it, so
 * the push parks on sip:tgruu.rs1@example.com. Once node 2 listens again,
 * its resync (every registration read again) wakes that delivery too, and
 * the terminal takes it; before, it stayed parked (its target has no
 * binding, so the wake-up of registered AoRs did not find it). */
static void t_listener_resync_temp_gruu(void)
{
	char *dir = node[1].dir, *scen = NULL, *tlog = NULL;
	int tport = 0;
	pid_t term = term_one_200(dir, "term_tg.out", &scen, &tlog, &tport);

	listener_n2_cut();
	/* the core's third-party REGISTER to node 1, with a temp-gruu */
	char cp[16], dst[32];
	snprintf(cp, sizeof cp, "%d", tport);
	snprintf(dst, sizeof dst, "127.0.0.1:%d", sip_port[0]);
	const char *from[] = { "@USER@", "@CPORT@", "@EXPIRES@", "@PARAMS@" },
		*to[] = { "tguser", cp, "600", ";+g.oma.pusheventapp=\"mms.ua\";temp-gruu=\"sip:tgruu.rs1@example.com;gr\"" };
	char *reg = itest_subst_file(dir, "tests/sipp/select_register.xml", "reg_tg.xml", from, to, 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(reg);
	const char *rargv[] = { "sipp", "-sf", reg, "-m", "1", "-i", "127.0.0.1", "-nostdin", "-timeout", "15s",
		"-recv_timeout", "5000", dst, NULL };
	int rcode = -1;
	itest_run_full(rargv, NULL, dir, 30, NULL, NULL, &rcode);
	CU_ASSERT_EQUAL(rcode, 0);
	/* node 2, not listening, accepts a push to the temp-gruu: parked on it
	 * (new connections are refused meanwhile, the test's and statusquery's
	 * read-only handle too: its transitions are read afterwards) */
	CU_ASSERT_EQUAL(push(&node[1], "resync-tg@clf", "WAPPUSH=sip%3Atgruu.rs1%40example.com%3Bgr/TYPE=USER", 0),
	    PAP_ACCEPTED);
	usleep(1500000);
	CU_ASSERT_EQUAL(tpg_sql(pg, "postgres", "ALTER DATABASE " DB " ALLOW_CONNECTIONS true"), 0);
	CU_ASSERT_EQUAL(tpg_query_int(pg, DB, "SELECT count(*) FROM binding WHERE aor = 'sip:tguser@example.com'"
	    " AND temp_gruu LIKE '%tgruu.rs1@example.com%'"), 1);
	double end = itest_now() + 20;
	long long st;
	while ((st = push_state("resync-tg@clf")) != PAP_STATE_DELIVERED && itest_now() < end)
		usleep(100000);
	CU_ASSERT_EQUAL(st, PAP_STATE_DELIVERED);
	if (st != PAP_STATE_DELIVERED)
		itest_daemon_print_log(&node[1], 3000);
	/* it was parked on the temp-gruu, and node 2's resync woke it */
	CU_ASSERT_EQUAL(tpg_query_int(pg, DB, "SELECT count(*) FROM transition t JOIN delivery d ON d.id = t.delivery"
	    " JOIN push p ON p.id = d.push WHERE p.push_id = 'resync-tg@clf' AND t.note LIKE"
	    " '%waiting for a registration of sip:tgruu.rs1@example.com;gr%'"), 1);
	CU_ASSERT(itest_file_has(node[1].log, "1 delivery(ies) parked on a temp-gruu woken"));
	int code = -1;
	CU_ASSERT_EQUAL(itest_wait_pid(term, 10, &code), 0);
	CU_ASSERT_EQUAL(code, 0);
	if (code != 0)
		itest_stop_pid(term, SIGTERM, 5);
	free(reg);
	free(tlog);
	free(scen);
}

/* The 200-answered POSTs of push_id at the PI; the order of its first
 * among all 200s into *pos (-1 when none). */
static size_t pi_ok(const char *push_id, int *pos)
{
	size_t n = 0;
	int k = 0;
	*pos = -1;
	pthread_mutex_lock(&pil.mu);
	for (size_t i = 0; i < pil.n; i++) {
		if (pil.v[i].answered != 200)
			continue;
		if (!strcmp(pil.v[i].push_id, push_id) && n++ == 0)
			*pos = k;
		k++;
	}
	pthread_mutex_unlock(&pil.mu);
	return n;
}

/* Node 1 claims three notifications of one endpoint (node 2 is stopped
 * meanwhile); the PI fails the first 8 POSTs, so the first notification
 * keeps failing for about 8 s, longer than a lease (timeout 1 + 5 s), and
 * the other two wait behind it. Node 2 runs again: it must not take them
 * over. The PI gets each once, in the order of the pushes. */
static void t_notifications_held(void)
{
	static const char *ids[] = { "nh-1@clf", "nh-2@clf", "nh-3@clf" };
	CU_ASSERT_EQUAL_FATAL(kill(node[1].pid, SIGSTOP), 0);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(push(&node[0], ids[i], ADDR_UDP, 1), PAP_ACCEPTED);
		usleep(100000);   /* one after the other: the order of their events */
	}
	double end = itest_now() + 10;
	long long held;
	while ((held = tpg_query_int(pg, DB, "SELECT count(*) FROM notification n JOIN push p ON p.id = n.push"
	    " WHERE p.push_id LIKE 'nh-%' AND n.lease_owner = 'n1'")) != 3 && itest_now() < end)
		usleep(100000);
	CU_ASSERT_EQUAL(held, 3);
	CU_ASSERT_EQUAL(kill(node[1].pid, SIGCONT), 0);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(itest_pi_wait(&pil, ids[i], 1, 30), 0);
	sleep(3);   /* a second send would come within a lease */
	int last = -1;
	for (int i = 0; i < 3; i++) {
		int pos;
		size_t n = pi_ok(ids[i], &pos);
		CU_ASSERT_EQUAL(n, 1);
		CU_ASSERT(pos > last);
		if (n != 1 || pos <= last)
			fprintf(stderr, "notification of %s: %zu answered 200, at position %d\n", ids[i], n, pos);
		last = pos;
	}
	CU_ASSERT_EQUAL(tpg_query_int(pg, DB, "SELECT count(*) FROM notification n JOIN push p ON p.id = n.push"
	    " WHERE p.push_id LIKE 'nh-%' AND n.state = 2"), 3);
	CU_ASSERT_EQUAL(tpg_query_int(pg, DB, "SELECT count(*) FROM notification n JOIN push p ON p.id = n.push"
	    " WHERE p.push_id LIKE 'nh-%' AND n.lease_owner <> 'n1'"), 0);
}

/* PostgreSQL goes away; its second address (the conninfo's host list)
 * accepts TCP and never answers. The writer's reconnection gives up on it
 * after the connect timeout (5 s): each PAP request is answered 3000 within
 * it; once PostgreSQL is back the node accepts again by itself. */
static void t_connect_timeout(void)
{
	struct itest_daemon d;
	int bh_port = itest_free_port();
	int bh = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)bh_port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int one = 1;
	setsockopt(bh, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	CU_ASSERT_FATAL(bh >= 0 && bind(bh, (struct sockaddr *)&a, sizeof a) == 0 && listen(bh, 64) == 0);

	/* "host=DIR user=ppgd dbname=faults" -> two hosts, two ports */
	char dir[256] = "", ci[768];
	CU_ASSERT_FATAL(sscanf(conninfo, "host=%255s", dir) == 1);
	snprintf(ci, sizeof ci, "host=%s,127.0.0.1 port=5432,%d user=ppgd dbname=" DB, dir, bh_port);
	CU_ASSERT_EQUAL_FATAL(itest_daemon_init(&d, "clfaults-bh"), 0);
	char *text = node_config(&d, ci, "n9", itest_free_port_udp_tcp());
	CU_ASSERT_EQUAL_FATAL(itest_write_config(&d, text), 0);
	free(text);
	CU_ASSERT_EQUAL_FATAL(itest_daemon_start(&d), 0);
	CU_ASSERT_EQUAL(push(&d, "bh-0@clf", ADDR_UDP, 0), PAP_ACCEPTED);

	CU_ASSERT_EQUAL_FATAL(tpg_pause(pg), 0);
	double worst = 0;
	int refused = 0, n = 0;
	double end = itest_now() + 14;
	while (itest_now() < end) {
		char id[32];
		snprintf(id, sizeof id, "bh-%d@clf", ++n);
		double t0 = itest_now();
		int code = push(&d, id, ADDR_UDP, 0);
		double took = itest_now() - t0;
		worst = took > worst ? took : worst;
		refused += code == PAP_INTERNAL_ERROR;
		CU_ASSERT_EQUAL(code, PAP_INTERNAL_ERROR);
		CU_ASSERT(took < 9.0);
		usleep(200000);
	}
	/* the blackhole was tried: connections wait in its queue */
	int tried = 0;
	fcntl(bh, F_SETFL, O_NONBLOCK);
	for (int fd; (fd = accept(bh, NULL, NULL)) >= 0; tried++)
		close(fd);
	printf("\n  PostgreSQL away, its second address silent: %d requests answered 3000, the slowest in "
	    "%.1f s; %d connections reached the silent address\n", refused, worst, tried);
	CU_ASSERT(tried > 0);
	CU_ASSERT(worst > 3.0);   /* some waited for the connect timeout: the path was taken */

	CU_ASSERT_EQUAL(tpg_resume(pg), 0);
	end = itest_now() + 20;
	int code = -1;
	while (code != PAP_ACCEPTED && itest_now() < end) {
		code = push(&d, "bh-back@clf", ADDR_UDP, 0);
		if (code != PAP_ACCEPTED)
			usleep(300000);
	}
	CU_ASSERT_EQUAL(code, PAP_ACCEPTED);
	close(bh);
	itest_daemon_stop(&d);
	itest_daemon_destroy(&d, CU_get_number_of_failures() > 0);
}

int main(void)
{
	const char *why = NULL;
	if (!tpg_available(&why)) {
		printf("test_cluster_faults: SKIPPED: %s\n", why);
		return 77;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	static const struct itest_test_def tests[] = {
		{ "a second node with the same node id is refused", t_same_node_id },
		{ "a registration missed by a listener away is read again", t_listener_resync },
		{ "a push parked on a temp-gruu meanwhile is woken by the resync", t_listener_resync_temp_gruu },
		{ "held notifications keep their lease: each sent once, in order", t_notifications_held },
		{ "a PostgreSQL that never answers: PAP 3000 within the connect timeout", t_connect_timeout },
		{ NULL, NULL },
	};
	if (itest_add_suite("two ppgd nodes on one PostgreSQL, faults", suite_init, suite_clean, tests) < 0)
		return 1;
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
