/*
 * pap_load.c - PAP push-message load generator (libcurl multi) for
 * bench/bench_sip.sh.
 *
 *   pap_load -r RATE [-C CAP] -d SECONDS [options] URL   open loop
 *   pap_load -c CONCURRENCY -d SECONDS [options] URL     closed loop
 *   pap_load -1 [options] URL                            one request, printed
 *
 * Options:
 *   -u USER:SECRET  HTTP Basic credentials (default bench:bench-secret)
 *   -a ADDRESS      the push's address-value
 *                   (default WAPPUSH=sip%3Abob%40example.com/TYPE=USER@ppg.example)
 *   -n NONCE        part of every push-id (push-ids are unique per PI across
 *                   runs against one database; default: time and pid)
 *   -b BYTES        size of the content entity's body (default 100)
 *   -T SECONDS      how long to wait for the answers still outstanding after
 *                   the run (default 10; each request also times out after 10 s)
 *   -L FILE         log every answered request: push-id, start and end
 *                   (CLOCK_REALTIME, microseconds), HTTP status, 1001 or not
 *   -K CAFILE       an https:// URL's certificate is verified against these CAs
 *                   (PEM); connections are kept alive, so each pays one handshake
 *   -E CERT,KEY     client certificate and key (PEM) for an https:// URL
 *   -N              a new connection for every request (no keep-alive)
 *
 * Every request is a PAP 2.0 push-message, multipart/related: the control
 * entity (push-id bench-NONCE-N@pi.example, one address, unconfirmed
 * delivery) and a text/plain content entity with
 * X-Wap-Application-Id: x-wap-application:mms.ua, so that ppgd sends it as a
 * SIP MESSAGE (pager mode) to the registered contacts of that address. The
 * content starts with the push-id (then letters up to BYTES), so that a
 * receiver's message log can be matched with -L.
 *
 * Open loop: request k is due at start + k/RATE, for every k below
 * RATE*SECONDS ("offered"). It starts when due unless CAP requests (default
 * 256) are in flight; then it waits for a free slot. A request that starts
 * more than LATE_US after it was due, or not at all before SECONDS are over,
 * is "late" (the cap was reached or the generator fell behind); one that never
 * started is not "sent". Closed loop: CONCURRENCY requests in flight, each
 * answer starts the next, for SECONDS.
 *
 * One machine-readable line on stdout:
 *   RESULT mode=open|closed offered=N sent=N accepted=N other=N errors=N late=N
 *          seconds=S rate=R p50_ms=X p99_ms=Y max_ms=Z
 * accepted: answers with code="1001"; other: any other HTTP answer (the first
 * one is printed on stderr); errors: no HTTP answer (connection, timeout).
 * seconds: from the first request to the last answer; rate = accepted/seconds.
 * The latencies are client-side, from a request's start to its complete answer.
 * Exit status 0 when every sent request was accepted, 1 otherwise, 2 on usage
 * errors.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BOUNDARY "bench-boundary-7d1c4e2a"
#define LATE_US 2000
#define REQ_TIMEOUT_MS 10000L
#define MAX_SLOTS 4096

struct slot {
	CURL *easy;
	int busy;
	int64_t start_us;
	int64_t start_real_us;
	char id[160];
	char *body;
	size_t body_len;
	char resp[4096];
	size_t resp_len;
};

static const char *address = "WAPPUSH=sip%3Abob%40example.com/TYPE=USER@ppg.example";
static char nonce[64];
static char *content;   /* the content entity's body */
static unsigned long seq;
static regex_t accepted_re;

static unsigned long n_sent, n_accepted, n_other, n_errors, n_late;
static uint32_t *lat;   /* microseconds, one per answered request */
static size_t nlat, caplat;
static int first_other_printed;
static FILE *logf;

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t real_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void usage(void)
{
	fprintf(stderr,
	    "usage: pap_load (-r RATE [-C CAP] -d SECONDS | -c CONCURRENCY -d SECONDS | -1)\n"
	    "                [-u USER:SECRET] [-a ADDRESS] [-n NONCE] [-b BYTES] [-T SECONDS] [-L FILE] [-K CAFILE] [-E CERT,KEY] [-N]\n"
	    "                URL\n");
	exit(2);
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || !v)
		usage();
	return v;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct slot *s = arg;
	size_t len = size * n, room = sizeof s->resp - 1 - s->resp_len;

	memcpy(s->resp + s->resp_len, p, len < room ? len : room);
	s->resp_len += len < room ? len : room;
	s->resp[s->resp_len] = '\0';
	return len;
}

/* Builds the next push-message into s. */
static int make_body(struct slot *s)
{
	const char *id = s->id;
	size_t idlen;
	int n;

	snprintf(s->id, sizeof s->id, "bench-%s-%lu@pi.example", nonce, ++seq);
	/* the content: the push-id, a blank, then the letters of `content` */
	idlen = strlen(id);
	if (idlen + 1 < strlen(content)) {
		memcpy(content, id, idlen);
		content[idlen] = ' ';
	}
	free(s->body);
	n = asprintf(&s->body,
	    "--" BOUNDARY "\r\n"
	    "Content-Type: application/xml\r\n"
	    "\r\n"
	    "<?xml version=\"1.0\"?>\r\n"
	    "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTD/pap_2.0.dtd\">\r\n"
	    "<pap>\r\n"
	    "  <push-message push-id=\"%s\">\r\n"
	    "    <address address-value=\"%s\"/>\r\n"
	    "    <quality-of-service priority=\"low\" delivery-method=\"unconfirmed\"/>\r\n"
	    "  </push-message>\r\n"
	    "</pap>\r\n"
	    "--" BOUNDARY "\r\n"
	    "Content-Type: text/plain\r\n"
	    "X-Wap-Application-Id: x-wap-application:mms.ua\r\n"
	    "\r\n"
	    "%s\r\n"
	    "--" BOUNDARY "--\r\n",
	    id, address, content);
	if (n < 0) {
		s->body = NULL;
		return -1;
	}
	s->body_len = (size_t)n;
	return 0;
}

static int start(CURLM *multi, struct slot *s)
{
	if (make_body(s) < 0)
		return -1;
	s->resp_len = 0;
	s->resp[0] = '\0';
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE, (long)s->body_len);
	s->busy = 1;
	s->start_us = now_us();
	s->start_real_us = real_us();
	if (curl_multi_add_handle(multi, s->easy) != CURLM_OK) {
		s->busy = 0;
		return -1;
	}
	n_sent++;
	return 0;
}

static void record(int64_t us)
{
	if (nlat == caplat) {
		size_t nc = caplat ? caplat * 2 : 65536;
		uint32_t *v = realloc(lat, nc * sizeof *v);
		if (!v)
			return;
		lat = v;
		caplat = nc;
	}
	lat[nlat++] = us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* Takes the finished transfers; returns how many slots became free. */
static int reap(CURLM *multi, int verbose_once)
{
	CURLMsg *m;
	int left, freed = 0;
	int64_t t = now_us();

	while ((m = curl_multi_info_read(multi, &left))) {
		struct slot *s;
		long status = 0;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		if (m->data.result != CURLE_OK) {
			n_errors++;
			if (n_errors <= 3)
				fprintf(stderr, "pap_load: request failed: %s\n", curl_easy_strerror(m->data.result));
		} else {
			record(t - s->start_us);
			if (regexec(&accepted_re, s->resp, 0, NULL, 0) == 0) {
				n_accepted++;
			} else {
				n_other++;
				if (!first_other_printed) {
					first_other_printed = 1;
					fprintf(stderr, "pap_load: first answer without 1001: HTTP %ld\n%s\n", status, s->resp);
				}
			}
		}
		if (logf)
			fprintf(logf, "%s %lld %lld %ld %d\n", s->id, (long long)s->start_real_us, (long long)real_us(),
			    status, m->data.result == CURLE_OK && regexec(&accepted_re, s->resp, 0, NULL, 0) == 0);
		if (verbose_once)
			printf("--- request:\n%s\n--- answer: HTTP %ld\n%s\n--- end\n", s->body, status, s->resp);
		curl_multi_remove_handle(multi, m->easy_handle);
		s->busy = 0;
		freed++;
	}
	return freed;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double pct_ms(double q)
{
	if (!nlat)
		return 0;
	size_t i = (size_t)(q * (double)nlat + 0.5);
	if (i < 1)
		i = 1;
	if (i > nlat)
		i = nlat;
	return lat[i - 1] / 1000.0;
}

int main(int argc, char **argv)
{
	unsigned long rate = 0, cap = 256, conc = 0, secs = 0, body_bytes = 100, drain_s = 10;
	const char *userpwd = "bench:bench-secret", *cafile = NULL, *certfile = NULL, *keyfile = NULL;
	int no_reuse = 0;
	int once = 0, c;
	struct slot *slots;
	size_t nslots;
	CURLM *multi;
	struct curl_slist *hdrs = NULL;

	snprintf(nonce, sizeof nonce, "%ld-%d", (long)time(NULL), (int)getpid());
	while ((c = getopt(argc, argv, "r:C:c:d:u:a:n:b:T:L:K:E:N1")) != -1) {
		switch (c) {
		case 'r': rate = num(optarg); break;
		case 'C': cap = num(optarg); break;
		case 'c': conc = num(optarg); break;
		case 'd': secs = num(optarg); break;
		case 'u': userpwd = optarg; break;
		case 'a': address = optarg; break;
		case 'n': snprintf(nonce, sizeof nonce, "%s", optarg); break;
		case 'b': body_bytes = num(optarg); break;
		case 'T': drain_s = num(optarg); break;
		case 'L':
			if (!(logf = fopen(optarg, "w"))) {
				perror(optarg);
				return 2;
			}
			break;
		case 'K': cafile = optarg; break;
		case 'E': {
			char *comma = strchr(optarg, ',');
			if (!comma)
				usage();
			*comma = '\0';
			certfile = optarg;
			keyfile = comma + 1;
			break;
		}
		case 'N': no_reuse = 1; break;
		case '1': once = 1; break;
		default: usage();
		}
	}
	if (optind + 1 != argc || (!once && !secs) || (!!rate + !!conc + once) != 1)
		usage();
	if (cap > MAX_SLOTS || conc > MAX_SLOTS || body_bytes > 60000) {
		fprintf(stderr, "pap_load: at most %d in flight, bodies up to 60000 bytes\n", MAX_SLOTS);
		return 2;
	}
	if (strpbrk(address, "\"<>&")) {
		fprintf(stderr, "pap_load: the address may not contain \" < > &\n");
		return 2;
	}
	if (regcomp(&accepted_re, "code[[:space:]]*=[[:space:]]*\"1001\"", REG_EXTENDED | REG_NOSUB)) {
		fprintf(stderr, "pap_load: regcomp failed\n");
		return 1;
	}
	content = malloc(body_bytes + 1);
	if (!content)
		return 1;
	for (unsigned long i = 0; i < body_bytes; i++)
		content[i] = (char)('a' + i % 26);
	content[body_bytes] = '\0';

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(multi = curl_multi_init())) {
		fprintf(stderr, "pap_load: cannot initialise libcurl\n");
		return 1;
	}
	nslots = once ? 1 : conc ? conc : cap;
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)nslots);
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)nslots);
	hdrs = curl_slist_append(hdrs, "Content-Type: multipart/related; boundary=" BOUNDARY "; type=\"application/xml\"");
	hdrs = curl_slist_append(hdrs, "Expect:");   /* no 100-continue round trip */
	slots = calloc(nslots, sizeof *slots);
	if (!slots || !hdrs)
		return 1;
	for (size_t i = 0; i < nslots; i++) {
		CURL *e = curl_easy_init();
		if (!e)
			return 1;
		slots[i].easy = e;
		curl_easy_setopt(e, CURLOPT_URL, argv[optind]);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERPWD, userpwd);
		if (cafile)
			curl_easy_setopt(e, CURLOPT_CAINFO, cafile);
		if (certfile) {
			curl_easy_setopt(e, CURLOPT_SSLCERT, certfile);
			curl_easy_setopt(e, CURLOPT_SSLKEY, keyfile);
		}
		if (no_reuse)
			curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, &slots[i]);
		curl_easy_setopt(e, CURLOPT_PRIVATE, &slots[i]);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, REQ_TIMEOUT_MS);
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(e, CURLOPT_PROXY, "");   /* loopback: never a proxy from the environment */
	}

	int64_t t0 = now_us(), t_end = t0 + (int64_t)secs * 1000000, t_last = t0;
	unsigned long offered = 0, due_started = 0;
	int running = 0;
	size_t inflight = 0;

	if (once) {
		offered = 1;
		start(multi, &slots[0]);
		inflight = 1;
		t_end = t0;
	} else if (conc) {
		for (size_t i = 0; i < nslots; i++)
			if (start(multi, &slots[i]) == 0)
				inflight++;
	} else {
		offered = rate * secs;
	}

	for (;;) {
		int64_t t = now_us();
		int timeout_ms = 100;

		if (rate) {
			/* Start what is due, as slots allow. */
			while (due_started < offered && t < t_end) {
				int64_t due = t0 + (int64_t)(due_started * 1000000.0 / (double)rate);
				if (due > t) {
					int64_t w = (due - t + 999) / 1000;
					timeout_ms = w < timeout_ms ? (int)w : timeout_ms;
					break;
				}
				size_t i;
				for (i = 0; i < nslots && slots[i].busy; i++)
					;
				if (i == nslots)
					break;   /* cap reached: wait for an answer */
				if (start(multi, &slots[i]) < 0)
					break;
				if (t - due > LATE_US)
					n_late++;
				due_started++;
				inflight++;
			}
		}
		if (t >= t_end && rate && due_started < offered) {
			/* Over: what never started was late and is not sent. */
			n_late += offered - due_started;
			due_started = offered;
		}
		if (t >= t_end && inflight == 0)
			break;
		if (t >= t_end + (int64_t)drain_s * 1000000) {
			fprintf(stderr, "pap_load: %zu requests still without an answer %lu s after the end\n",
			    inflight, drain_s);
			break;
		}
		curl_multi_perform(multi, &running);
		int freed = reap(multi, once);
		if (freed) {
			inflight -= (size_t)freed;
			t_last = now_us();
			if (conc && t_last < t_end)
				for (size_t i = 0; i < nslots; i++)
					if (!slots[i].busy && start(multi, &slots[i]) == 0)
						inflight++;
			continue;   /* start what became possible before sleeping */
		}
		curl_multi_poll(multi, NULL, 0, timeout_ms, NULL);
	}
	if (!rate)
		offered = n_sent;

	double secs_run = (double)(t_last - t0) / 1e6;
	qsort(lat, nlat, sizeof *lat, cmp_u32);
	printf("RESULT mode=%s offered=%lu sent=%lu accepted=%lu other=%lu errors=%lu late=%lu seconds=%.3f "
	       "rate=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
	    once ? "once" : rate ? "open" : "closed", offered, n_sent, n_accepted, n_other, n_errors, n_late,
	    secs_run, secs_run > 0 ? (double)n_accepted / secs_run : 0.0, pct_ms(0.50), pct_ms(0.99),
	    nlat ? lat[nlat - 1] / 1000.0 : 0.0);
	fflush(stdout);

	for (size_t i = 0; i < nslots; i++) {
		if (slots[i].busy)
			curl_multi_remove_handle(multi, slots[i].easy);
		curl_easy_cleanup(slots[i].easy);
		free(slots[i].body);
	}
	curl_multi_cleanup(multi);
	curl_slist_free_all(hdrs);
	curl_global_cleanup();
	free(slots);
	free(lat);
	free(content);
	regfree(&accepted_re);
	if (logf && fclose(logf) != 0)
		perror("pap_load: -L");
	return n_sent && n_accepted == n_sent ? 0 : 1;
}
