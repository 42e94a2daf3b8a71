/*
 * test_cluster.c - three ppgd nodes on loopback sharing one PostgreSQL (the
 * test's own server, test_db_pg.c): the same push-id raced on two nodes
 * (one 1001, one 2007 each time), statusquery and cancel answered alike on
 * every node, pushes spread over the nodes with one of them killed -9 in
 * the middle of the load (every acknowledged push ends delivered: a UDP
 * receiver of this program counts the Push OTA datagrams by push-id; result
 * notifications counted at a PI listener), and PostgreSQL stopped for 10 s
 * under load (no 1001 without a stored push; everything delivered once it
 * is back, the nodes reconnect by themselves). Leases are short here
 * ([database] lease_margin = 1, [sip] transaction_timeout = 1,
 * fetch_timeout = 1: 3 s) so that a dead node's deliveries move on within
 * the test. Skipped (exit 77) when the PostgreSQL binaries are absent.
 */
#include <CUnit/Basic.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pap/pap.h"
#include "tests/itest.h"
#include "tests/test_db_pg.h"
#include "tests/test_util.h"

#define NODES 3
#define BOUNDARY "cluster-7f3a"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""
#define ADDR_UDP "WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example"
#define DB "cluster"

static struct tpg *pg;
static struct itest_daemon node[NODES];
static struct itest_pi pil;

/* ------------------------------------------------------- UDP receiver */

/* Every datagram's push-id (the content is "cl:<push-id>;"), in order. */
static struct {
	int fd, port;
	pthread_t th;
	atomic_int stop;
	pthread_mutex_t mu;
	char **ids;
	size_t n, cap;
} rx = { .fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER };

static void *rx_main(void *arg)
{
	(void)arg;
	unsigned char buf[4096];
	while (!atomic_load(&rx.stop)) {
		struct pollfd p = { .fd = rx.fd, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t n = recv(rx.fd, buf, sizeof buf - 1, 0);
		if (n <= 0)
			continue;
		unsigned char *t = memmem(buf, (size_t)n, "cl:", 3);
		unsigned char *e = t ? memchr(t, ';', (size_t)(buf + n - t)) : NULL;
		if (!e)
			continue;
		char *id = strndup((char *)t + 3, (size_t)(e - t - 3));
		pthread_mutex_lock(&rx.mu);
		if (rx.n == rx.cap) {
			rx.cap = rx.cap ? rx.cap * 2 : 1024;
			rx.ids = realloc(rx.ids, rx.cap * sizeof *rx.ids);
		}
		rx.ids[rx.n++] = id;
		pthread_mutex_unlock(&rx.mu);
	}
	return NULL;
}

static int rx_start(void)
{
	rx.port = itest_free_port_udp_tcp();
	rx.fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)rx.port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int big = 8 << 20;
	setsockopt(rx.fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	if (rx.port < 0 || rx.fd < 0 || bind(rx.fd, (struct sockaddr *)&a, sizeof a) < 0)
		return -1;
	return pthread_create(&rx.th, NULL, rx_main, NULL) == 0 ? 0 : -1;
}

/* Datagrams received for push_id. */
static size_t rx_count(const char *push_id)
{
	size_t c = 0;
	pthread_mutex_lock(&rx.mu);
	for (size_t i = 0; i < rx.n; i++)
		c += !strcmp(rx.ids[i], push_id);
	pthread_mutex_unlock(&rx.mu);
	return c;
}

/* ------------------------------------------------------------ PAP */

/* The PAP code of a request's answer (its first result's, else the
 * message's), -1 without an HTTP answer, -HTTP status for one that is not
 * 202 with a PAP document. Quiet: the load expects refusals. */
static int pap(int n, const char *ctype, const char *body, struct pap_msg **out)
{
	struct itest_resp r;
	struct pap_limits lim = PAP_LIMITS_DEFAULT;
	struct pap_error err;
	struct pap_msg *m = NULL;
	int code;

	if (out)
		*out = NULL;
	if (itest_http("POST", node[n].url, ctype, body, strlen(body), "alice", ITEST_ALICE_SECRET, &r) != 0) {
		itest_resp_free(&r);
		return -1;
	}
	if (r.status != 202 || pap_msg_decode(r.body, r.len, &lim, &m, &err) != 0) {
		code = -(int)r.status;
		itest_resp_free(&r);
		return code;
	}
	itest_resp_free(&r);
	code = m->nresults > 0 ? m->results[0].code : m->code;
	if (out)
		*out = m;
	else
		pap_msg_free(m);
	return code;
}

/* A push of push_id to the UDP receiver, with a result notification to the
 * PI listener; deliver_after_s > 0 holds it back that long. */
static int push(int n, const char *push_id, int deliver_after_s)
{
	char after[96] = "";
	if (deliver_after_s > 0) {
		time_t t = time(NULL) + deliver_after_s;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(after, sizeof after, " deliver-after-timestamp=\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
	}
	char *body = itest_asprintf(
	    "--" BOUNDARY "\r\n"
	    "Content-Type: application/xml; charset=UTF-8\r\n"
	    "\r\n"
	    "<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n"
	    "<pap><push-message push-id=\"%s\" ppg-notify-requested-to=\"%s\"%s>"
	    "<address address-value=\"" ADDR_UDP "\"/></push-message></pap>\r\n"
	    "--" BOUNDARY "\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "cl:%s;\r\n"
	    "--" BOUNDARY "--\r\n", push_id, pil.url, after, push_id);
	int code = pap(n, MULTIPART_CT, body, NULL);
	free(body);
	return code;
}

/* Statusquery of push_id at node n: the state, and the code into *code. */
static int status_at(int n, const char *push_id, int *code)
{
	char *body = itest_asprintf("<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n"
	    "<pap><statusquery-message push-id=\"%s\"/></pap>\n", push_id);
	struct pap_msg *m = NULL;
	pap(n, "application/xml", body, &m);
	free(body);
	int s = -1;
	*code = -1;
	if (m && m->type == PAP_MSG_STATUSQUERY_RESPONSE && m->nresults > 0) {
		s = (int)m->results[0].state;
		*code = m->results[0].code;
	}
	pap_msg_free(m);
	return s;
}

/* Pushes of the PI whose push-id is in ids (n of them) in state. */
static long long stored_in_state(char **ids, size_t n, int state)
{
	size_t len = 128;
	for (size_t i = 0; i < n; i++)
		len += strlen(ids[i]) + 4;
	char *sql = malloc(len), *p = sql;
	p += sprintf(p, "SELECT count(*) FROM push WHERE pi = 'alice' AND state = %d AND push_id IN (''", state);
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, ",'%s'", ids[i]);
	sprintf(p, ")");
	long long v = tpg_query_int(pg, DB, sql);
	free(sql);
	return v;
}

/* ------------------------------------------------------------ suite */

static int suite_init(void)
{
	pg = tpg_start();
	const char *ci = pg ? tpg_conninfo(pg, DB) : NULL;
	char conninfo[512];
	const char *ha = itest_hash_secret(ITEST_ALICE_SECRET);
	if (!ci || !ha || rx_start() < 0 || itest_pi_start(&pil, 0, 0) < 0)
		return -1;
	snprintf(conninfo, sizeof conninfo, "%s", ci);
	for (int i = 0; i < NODES; i++) {
		char tag[16];
		snprintf(tag, sizeof tag, "cluster%d", i + 1);
		if (itest_daemon_init(&node[i], tag) < 0)
			return -1;
		char *text = itest_asprintf(
		    "[server]\n"
		    "listen = 127.0.0.1:%d\n"
		    "pap_path = /pap\n"
		    "[database]\n"
		    "engine = postgresql\n"
		    "conninfo = %s\n"
		    "node_id = node%d\n"
		    "lease_margin = 1\n"
		    "[sip]\n"
		    "transaction_timeout = 1\n"
		    "fetch_timeout = 1\n"
		    "[log]\n"
		    "level = info\n"
		    "[pi alice]\n"
		    "secret_hash = %s\n"
		    "allow = 127.0.0.0/8\n"
		    "[notify]\n"
		    "timeout = 2\n"
		    "retry_min = 1\n"
		    "[ota]\n"
		    "udp = yes\n"
		    "udp_port = %d\n", node[i].port, conninfo, i + 1, ha, rx.port);
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
		if (node[i].pid > 0)
			itest_daemon_stop(&node[i]);
		itest_daemon_destroy(&node[i], failed);
	}
	itest_pi_stop(&pil);
	atomic_store(&rx.stop, 1);
	if (rx.fd >= 0) {
		pthread_join(rx.th, NULL);
		close(rx.fd);
	}
	for (size_t i = 0; i < rx.n; i++)
		free(rx.ids[i]);
	free(rx.ids);
	tpg_stop(pg);
	return 0;
}

/* ------------------------------------------------------------ tests */

static void t_check(void)
{
	for (int i = 0; i < NODES; i++) {
		const char *argv[] = { itest_ppgd_path(), "-c", node[i].conf, "-t", NULL };
		char *out = NULL;
		int code = -1;
		char want[32];
		snprintf(want, sizeof want, "node node%d", i + 1);
		CU_ASSERT_EQUAL(itest_run(argv, &out, &code), 0);
		CU_ASSERT_EQUAL(code, 0);
		CU_ASSERT_PTR_NOT_NULL(out && strstr(out, want) ? out : NULL);
		free(out);
	}
}

struct racer {
	int node;
	const char *push_id;
	pthread_barrier_t *go;
	int code;
};

static void *race_main(void *arg)
{
	struct racer *r = arg;
	pthread_barrier_wait(r->go);
	r->code = push(r->node, r->push_id, 0);
	return NULL;
}

/* The same push-id sent to two nodes at once: the unique index lets one
 * insert win; the other answers 2007, never a second 1001. */
static void t_race(void)
{
	int rounds = 40, ones = 0, dups = 0;
	for (int i = 0; i < rounds; i++) {
		char id[64];
		snprintf(id, sizeof id, "race-%d@cluster", i);
		pthread_barrier_t go;
		pthread_barrier_init(&go, NULL, 2);
		struct racer a = { .node = i % NODES, .push_id = id, .go = &go };
		struct racer b = { .node = (i + 1) % NODES, .push_id = id, .go = &go };
		pthread_t ta, tb;
		pthread_create(&ta, NULL, race_main, &a);
		pthread_create(&tb, NULL, race_main, &b);
		pthread_join(ta, NULL);
		pthread_join(tb, NULL);
		pthread_barrier_destroy(&go);
		CU_ASSERT((a.code == PAP_ACCEPTED) + (b.code == PAP_ACCEPTED) == 1);
		CU_ASSERT((a.code == PAP_DUPLICATE_PUSH_ID) + (b.code == PAP_DUPLICATE_PUSH_ID) == 1);
		ones += (a.code == PAP_ACCEPTED) + (b.code == PAP_ACCEPTED);
		dups += (a.code == PAP_DUPLICATE_PUSH_ID) + (b.code == PAP_DUPLICATE_PUSH_ID);
	}
	printf("\n  race: %d rounds, %d accepted, %d duplicates\n", rounds, ones, dups);
	CU_ASSERT_EQUAL(tpg_query_int(pg, DB, "SELECT count(*) FROM push WHERE push_id LIKE 'race-%'"), rounds);
	/* each delivered once (one datagram) and notified once */
	for (int i = 0; i < rounds; i++) {
		char id[64];
		snprintf(id, sizeof id, "race-%d@cluster", i);
		CU_ASSERT_EQUAL(itest_pi_wait(&pil, id, 1, 10), 0);
		CU_ASSERT_EQUAL(rx_count(id), 1);
	}
	usleep(300000);
	for (int i = 0; i < rounds; i++) {
		char id[64];
		snprintf(id, sizeof id, "race-%d@cluster", i);
		CU_ASSERT_EQUAL(itest_pi_count(&pil, id), 1);
	}
}

/* A statusquery answers alike on every node; a push held back by
 * deliver-after, cancelled at another node, is cancelled everywhere. */
static void t_status_cancel(void)
{
	int code[NODES], st[NODES];
	for (int i = 0; i < NODES; i++)
		st[i] = status_at(i, "race-3@cluster", &code[i]);
	for (int i = 0; i < NODES; i++) {
		CU_ASSERT_EQUAL(st[i], PAP_STATE_DELIVERED);
		CU_ASSERT_EQUAL(code[i], code[0]);
	}
	for (int i = 0; i < NODES; i++)
		CU_ASSERT_EQUAL(status_at(i, "nope@cluster", &code[i]), PAP_STATE_UNKNOWN);

	CU_ASSERT_EQUAL_FATAL(push(0, "held@cluster", 60), PAP_ACCEPTED);
	for (int i = 0; i < NODES; i++)
		CU_ASSERT_EQUAL(status_at(i, "held@cluster", &code[i]), PAP_STATE_PENDING);
	const char *cancel = "<?xml version=\"1.0\"?>\n" DOCTYPE_20 "\n"
	    "<pap><cancel-message push-id=\"held@cluster\"/></pap>\n";
	struct pap_msg *m = NULL;
	int c = pap(1, "application/xml", cancel, &m);
	CU_ASSERT_PTR_NOT_NULL(m);
	CU_ASSERT(m && m->type == PAP_MSG_CANCEL_RESPONSE);
	CU_ASSERT_EQUAL(c, PAP_OK);
	pap_msg_free(m);
	for (int i = 0; i < NODES; i++)
		CU_ASSERT_EQUAL(status_at(i, "held@cluster", &code[i]), PAP_STATE_CANCELLED);
	/* cancelled again at a third node: nothing left to cancel, the same
	 * answer as a single gateway gives */
	c = pap(2, "application/xml", cancel, NULL);
	CU_ASSERT(c != PAP_OK);
}

/* ------------------------------------------------------------ load */

#define LOAD_THREADS 2              /* per node */
#define LOAD_PER_THREAD 60

struct loader {
	int node;
	int thread;
	const char *tag;
	int per_thread;                 /* 0: until *stop */
	unsigned pause_us;
	atomic_int *stop;
	int kill_at;                    /* this thread kills its node after this many (0: never) */
	/* results */
	char **acked;
	size_t nacked;
	int refused, transport;
};

static atomic_int node_dead[NODES];

static void *load_main(void *arg)
{
	struct loader *l = arg;
	l->acked = calloc(l->per_thread ? (size_t)l->per_thread : 100000, sizeof *l->acked);
	for (int i = 0; l->per_thread ? i < l->per_thread : !atomic_load(l->stop); i++) {
		if (atomic_load(&node_dead[l->node]))
			break;
		char id[64];
		snprintf(id, sizeof id, "%s-%d-%d-%d@cluster", l->tag, l->node + 1, l->thread, i);
		int code = push(l->node, id, 0);
		if (code == PAP_ACCEPTED)
			l->acked[l->nacked++] = strdup(id);
		else if (code == -1)
			l->transport++;
		else
			l->refused++;
		if (l->kill_at && i + 1 == l->kill_at) {
			atomic_store(&node_dead[l->node], 1);
			itest_daemon_kill(&node[l->node]);
		}
		if (l->pause_us)
			usleep(l->pause_us);
	}
	return NULL;
}

/* Waits until every acked push-id has a datagram; how many are missing. */
static size_t wait_received(char **ids, size_t n, double timeout_s)
{
	double end = itest_now() + timeout_s;
	size_t missing;
	do {
		missing = 0;
		for (size_t i = 0; i < n; i++)
			missing += rx_count(ids[i]) == 0;
		if (!missing)
			break;
		usleep(100000);
	} while (itest_now() < end);
	return missing;
}

static size_t collect(struct loader *l, size_t nl, char ***out)
{
	size_t n = 0;
	for (size_t i = 0; i < nl; i++)
		n += l[i].nacked;
	char **v = calloc(n ? n : 1, sizeof *v);
	n = 0;
	for (size_t i = 0; i < nl; i++)
		for (size_t k = 0; k < l[i].nacked; k++)
			v[n++] = l[i].acked[k];
	*out = v;
	return n;
}

static void loaders_free(struct loader *l, size_t nl)
{
	for (size_t i = 0; i < nl; i++) {
		for (size_t k = 0; k < l[i].nacked; k++)
			free(l[i].acked[k]);
		free(l[i].acked);
	}
}

/* Pushes spread over the three nodes; node 3 is killed -9 halfway through
 * its share. Every acknowledged push ends delivered (one datagram at least,
 * the state in the database), and notified. */
static void t_kill9_under_load(void)
{
	struct loader l[NODES * LOAD_THREADS];
	pthread_t th[NODES * LOAD_THREADS];
	memset(l, 0, sizeof l);
	double t0 = itest_now();
	for (int i = 0; i < NODES * LOAD_THREADS; i++) {
		l[i] = (struct loader){ .node = i / LOAD_THREADS, .thread = i % LOAD_THREADS, .tag = "L",
			.per_thread = LOAD_PER_THREAD };
		if (l[i].node == NODES - 1 && l[i].thread == 0)
			l[i].kill_at = LOAD_PER_THREAD / 2;
		pthread_create(&th[i], NULL, load_main, &l[i]);
	}
	for (int i = 0; i < NODES * LOAD_THREADS; i++)
		pthread_join(th[i], NULL);
	double t1 = itest_now();
	char **ids = NULL;
	size_t n = collect(l, NODES * LOAD_THREADS, &ids);
	size_t per[NODES] = { 0 };
	for (int i = 0; i < NODES * LOAD_THREADS; i++)
		per[l[i].node] += l[i].nacked;
	printf("\n  load: %zu pushes acknowledged in %.2f s (node1 %zu, node2 %zu, node3 %zu until killed)\n", n,
	    t1 - t0, per[0], per[1], per[2]);
	CU_ASSERT(per[0] > 0 && per[1] > 0 && per[2] > 0);
	CU_ASSERT(per[2] < LOAD_THREADS * LOAD_PER_THREAD);   /* it did die */

	/* the dead node's leases run out after 3 s; the others take them */
	size_t missing = wait_received(ids, n, 30);
	CU_ASSERT_EQUAL(missing, 0);
	size_t dups = 0;
	for (size_t i = 0; i < n; i++) {
		size_t c = rx_count(ids[i]);
		dups += c > 1 ? c - 1 : 0;
	}
	/* stored and delivered */
	double end = itest_now() + 10;
	long long delivered;
	while ((delivered = stored_in_state(ids, n, PAP_STATE_DELIVERED)) != (long long)n && itest_now() < end)
		usleep(100000);
	CU_ASSERT_EQUAL(delivered, (long long)n);
	/* the deliveries of pushes node 3 accepted that nodes 1 and 2 finished */
	long long taken = tpg_query_int(pg, DB, "SELECT count(*) FROM delivery d JOIN push p ON p.id = d.push"
	    " WHERE p.push_id LIKE 'L-3-%' AND d.lease_owner <> 'node3'");
	long long stored3 = tpg_query_int(pg, DB, "SELECT count(*) FROM push WHERE push_id LIKE 'L-3-%'");
	/* Duplicates come only from what node 3 had leased and not yet
	 * recorded: at most what it stored. */
	CU_ASSERT(dups <= (size_t)(stored3 > 0 ? stored3 : 0));
	/* notifications node 3 had claimed come from another node once their
	 * lease ([notify] timeout + 5 s) ran out */
	size_t nmissing = 0, ndup = 0;
	double nend = itest_now() + 20;
	for (size_t i = 0; i < n; i++) {
		double left = nend - itest_now();
		if (itest_pi_wait(&pil, ids[i], 1, left > 0.1 ? left : 0.1) < 0)
			nmissing++;
	}
	usleep(500000);
	for (size_t i = 0; i < n; i++) {
		size_t c = itest_pi_count(&pil, ids[i]);
		ndup += c > 1 ? c - 1 : 0;
	}
	CU_ASSERT_EQUAL(nmissing, 0);
	CU_ASSERT(ndup <= (size_t)(stored3 > 0 ? stored3 : 0));
	printf("  after the kill: every acknowledged push delivered (%lld stored by node 3, %lld of their deliveries "
	    "finished by nodes 1 and 2); %zu duplicate datagrams, %zu duplicate notifications, %zu missing\n",
	    stored3, taken, dups, ndup, nmissing);
	free(ids);
	loaders_free(l, NODES * LOAD_THREADS);
}

/* PostgreSQL stopped for 10 s under load on the two nodes left: no 1001
 * without a stored push, 3000 meanwhile, 1001 again once it is back, and
 * every acknowledged push delivered. */
static void t_db_outage(void)
{
	struct loader l[2];
	pthread_t th[2];
	atomic_int stop = 0;
	memset(l, 0, sizeof l);
	for (int i = 0; i < 2; i++) {
		l[i] = (struct loader){ .node = i, .thread = 0, .tag = "O", .stop = &stop, .pause_us = 50000 };
		pthread_create(&th[i], NULL, load_main, &l[i]);
	}
	sleep(2);
	size_t before = l[0].nacked + l[1].nacked;
	CU_ASSERT_EQUAL(tpg_pause(pg), 0);
	double down = itest_now();
	sleep(10);
	size_t during = l[0].nacked + l[1].nacked;
	CU_ASSERT_EQUAL(tpg_resume(pg), 0);
	double up = itest_now();
	sleep(4);
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	size_t after = l[0].nacked + l[1].nacked;
	int refused = l[0].refused + l[1].refused;
	printf("\n  outage: %zu acknowledged before, %zu while stopped (%.1f s), %zu after; %d refused (3000)\n",
	    before, during - before, up - down, after - during, refused);
	CU_ASSERT(before > 0);
	CU_ASSERT(refused > 0);
	CU_ASSERT(after > during);          /* the nodes came back by themselves */
	char **ids = NULL;
	size_t n = collect(l, 2, &ids);
	CU_ASSERT_EQUAL(wait_received(ids, n, 20), 0);
	double end = itest_now() + 10;
	long long delivered;
	while ((delivered = stored_in_state(ids, n, PAP_STATE_DELIVERED)) != (long long)n && itest_now() < end)
		usleep(100000);
	CU_ASSERT_EQUAL(delivered, (long long)n);   /* every 1001 was stored */
	free(ids);
	loaders_free(l, 2);
	for (int i = 0; i < 2; i++)
		CU_ASSERT(itest_daemon_alive(&node[i]));
}

int main(void)
{
	const char *why = NULL;
	if (!tpg_available(&why)) {
		printf("test_cluster: SKIPPED: %s\n", why);
		return 77;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	static const struct itest_test_def tests[] = {
		{ "ppgd -t on each node names its node id", t_check },
		{ "the same push-id raced on two nodes: one 1001, one 2007", t_race },
		{ "statusquery and cancel alike on every node", t_status_cancel },
		{ "load over three nodes, one killed -9: every 1001 delivered", t_kill9_under_load },
		{ "PostgreSQL stopped 10 s under load: no 1001 unstored, all delivered", t_db_outage },
		{ NULL, NULL },
	};
	if (itest_add_suite("three ppgd nodes on one PostgreSQL", suite_init, suite_clean, tests) < 0)
		return 1;
	int rc = tu_run();
	itest_kill_all();
	return rc;
}
