/*
 * soak_load.c - the PAP side of bench/soak.sh: a mixed, bounded, open-loop
 * load (libcurl multi) that survives ppgd being killed, and the final
 * statusquery pass.
 *
 *   soak_load -r RATE -d SECONDS -n NONCE -N NOTIFY-URL -L LOG -S STATUS [options] URL
 *   soak_load -V IDS [-c CONC] [-u USER:SECRET] URL      statusquery each push-id
 *
 * Load mode. Push k is due at start + k/RATE. Its kind and flags come from a
 * PRNG seeded with k (-s SEED), so a run is repeatable:
 *   kind sip     45%  WAPPUSH=sip%3AsoakJ%40example.com/TYPE=USER  (J < -A, registered)
 *   kind udp     30%  WAPPUSH=127.0.0.1/TYPE=IPv4
 *   kind sms     20%  WAPPUSH=+1555010JJJJ/TYPE=PLMN               (no SIP binding: SMS)
 *   kind expire   5%  WAPPUSH=sip%3AnobodyJ%40example.com/TYPE=USER, deliver-before
 *                     now + 10 s: never registered, must end expired
 *   flag defer   10% of sip/udp/sms: deliver-after now + 8 s; half of them
 *                     (flag cancel) get a cancel-message 1 to 3 s after their 1001
 *   flag notify  20%: ppg-notify-requested-to NOTIFY-URL
 * The content (text/plain, mms.ua) starts with the push-id, so that the sinks
 * count each push by its id.
 *
 * A push or cancel without an HTTP answer (ppgd down: refused, reset,
 * timeout) is sent again with the same push-id 0.5 s later, for up to 30 s;
 * a push stored before its answer was lost then gets 2007 (push-id already
 * used), which counts as stored. Statusqueries go to random pushes answered
 * 1001 so far, -q per 100 pushes (default 10), and are not retried.
 *
 * LOG, one line per final answer (times CLOCK_REALTIME microseconds):
 *   P push-id kind flags t_first t_end tries http code      code -1: no answer
 *   C push-id t_start t_end tries http code
 *   Q push-id t_start t_end http code message-state
 * kind: sip udp sms expire; flags: "-" or letters d (defer), c (cancel), n (notify).
 * STATUS, rewritten every second, one line:
 *   pushes=N acked=N stored2007=N other=N noanswer=N cancels=N cancels_ok=N
 *   sq=N sq_ok=N errors=N inflight=N
 * (sq_ok: statusqueries answered with a message-state; errors: requests
 * without an HTTP answer, or answered 5xx)
 * After SECONDS, no new push starts; the cancels and resends still due are
 * done (at most -T seconds, default 60), then the same line goes to stdout.
 *
 * Verify mode (-V): one statusquery per line of IDS, -c at a time (default 8),
 * retried while ppgd does not answer; stdout: "push-id http code message-state".
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BOUNDARY "soak-boundary-51e0a9"
#define REQ_TIMEOUT_MS 10000L
#define MAX_SLOTS 1024
#define RESEND_US 500000
#define RESEND_FOR_US 30000000

enum kind { K_SIP, K_UDP, K_SMS, K_EXPIRE };
enum { F_DEFER = 1, F_CANCEL = 2, F_NOTIFY = 4 };
enum rtype { R_PUSH, R_CANCEL, R_SQ };
static const char *kind_name[] = { "sip", "udp", "sms", "expire" };

struct push {
	uint8_t kind, flags;
	uint16_t tries, cancel_tries;
	int16_t code;            /* push answer: 0 none yet */
	int64_t t_first;         /* first send, realtime us */
	int64_t t_cancel_first;
};

struct slot {
	CURL *easy;
	int busy;
	enum rtype type;
	size_t idx;             /* push index (R_PUSH, R_CANCEL, R_SQ) */
	int64_t start_real;
	char *body;
	char resp[4096];
	size_t resp_len;
};

/* Something due later: a resend or a cancel. */
struct due {
	int64_t at;             /* monotonic us */
	enum rtype type;
	size_t idx;
};

static char nonce[64] = "soak";
static const char *notify_url = "";
static unsigned naors = 20, sq_pct = 10;
static unsigned long seed = 1;
static struct push *pushes;
static size_t npushes;
static size_t *acked;          /* indexes of pushes answered 1001, for statusqueries */
static size_t nacked;
static struct due *dues;
static size_t ndues, capdues;
static FILE *logf;
static struct curl_slist *hdr_multi, *hdr_xml;
static const char *url, *userpwd = "bench:bench-secret";

static unsigned long st_pushes, st_acked, st_2007, st_other, st_noanswer, st_cancels, st_cancels_ok,
    st_sq, st_sq_ok, st_errors;

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
	    "usage: soak_load -r RATE -d SECONDS -L LOG -S STATUS [-n NONCE] [-N NOTIFY-URL] [-A AORS]\n"
	    "                 [-q SQ-PER-100] [-s SEED] [-C CAP] [-T SECONDS] [-u USER:SECRET] URL\n"
	    "       soak_load -V IDS [-c CONC] [-u USER:SECRET] URL\n");
	exit(2);
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end)
		usage();
	return v;
}

/* splitmix64: the kind and flags of push k, and the random choices. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t rng_state = 42;
static uint64_t rnd(void)
{
	return mix(rng_state++);
}

static void push_id(size_t k, char *out, size_t cap)
{
	snprintf(out, cap, "soak-%s-%zu@pi.example", nonce, k);
}

static void classify(size_t k, struct push *p)
{
	uint64_t r = mix((uint64_t)k * 7919 + seed);
	unsigned a = (unsigned)(r % 100), b = (unsigned)((r >> 16) % 100), c = (unsigned)((r >> 32) % 100);

	p->kind = a < 45 ? K_SIP : a < 75 ? K_UDP : a < 95 ? K_SMS : K_EXPIRE;
	p->flags = 0;
	if (p->kind != K_EXPIRE && b < 10)
		p->flags |= F_DEFER | (b < 5 ? F_CANCEL : 0);
	if (c < 20)
		p->flags |= F_NOTIFY;
}

static void pap_time(time_t t, char *out, size_t cap)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

#define DOCTYPE "<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" " \
	"\"http://www.wapforum.org/DTD/pap_2.0.dtd\">"

static char *push_body(size_t k)
{
	const struct push *p = &pushes[k];
	char id[128], addr[128], attrs[512] = "", ts[32];
	size_t j = k % naors;
	char *b = NULL;

	push_id(k, id, sizeof id);
	switch (p->kind) {
	case K_SIP: snprintf(addr, sizeof addr, "WAPPUSH=sip%%3Asoak%zu%%40example.com/TYPE=USER@ppg.example", j); break;
	case K_UDP: snprintf(addr, sizeof addr, "WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example"); break;
	case K_SMS: snprintf(addr, sizeof addr, "WAPPUSH=+1555010%04zu/TYPE=PLMN@ppg.example", j); break;
	default: snprintf(addr, sizeof addr, "WAPPUSH=sip%%3Anobody%zu%%40example.com/TYPE=USER@ppg.example", j); break;
	}
	if (p->kind == K_EXPIRE) {
		pap_time(time(NULL) + 10, ts, sizeof ts);
		snprintf(attrs, sizeof attrs, " deliver-before-timestamp=\"%s\"", ts);
	} else if (p->flags & F_DEFER) {
		pap_time(time(NULL) + 8, ts, sizeof ts);
		snprintf(attrs, sizeof attrs, " deliver-after-timestamp=\"%s\"", ts);
	}
	if (p->flags & F_NOTIFY) {
		size_t l = strlen(attrs);
		snprintf(attrs + l, sizeof attrs - l, " ppg-notify-requested-to=\"%s\"", notify_url);
	}
	if (asprintf(&b,
	    "--" BOUNDARY "\r\n"
	    "Content-Type: application/xml\r\n"
	    "\r\n"
	    "<?xml version=\"1.0\"?>\r\n" DOCTYPE "\r\n"
	    "<pap>\r\n"
	    "  <push-message push-id=\"%s\"%s>\r\n"
	    "    <address address-value=\"%s\"/>\r\n"
	    "  </push-message>\r\n"
	    "</pap>\r\n"
	    "--" BOUNDARY "\r\n"
	    "Content-Type: text/plain\r\n"
	    "X-Wap-Application-Id: x-wap-application:mms.ua\r\n"
	    "\r\n"
	    "%s soak\r\n"
	    "--" BOUNDARY "--\r\n",
	    id, attrs, addr, id) < 0)
		return NULL;
	return b;
}

static char *xml_body(const char *elem, size_t k)
{
	char id[128], *b = NULL;
	push_id(k, id, sizeof id);
	if (asprintf(&b, "<?xml version=\"1.0\"?>\r\n" DOCTYPE "\r\n<pap><%s push-id=\"%s\"/></pap>\r\n",
	    elem, id) < 0)
		return NULL;
	return b;
}

static size_t on_data(char *d, size_t size, size_t n, void *arg)
{
	struct slot *s = arg;
	size_t len = size * n, room = sizeof s->resp - 1 - s->resp_len;

	memcpy(s->resp + s->resp_len, d, len < room ? len : room);
	s->resp_len += len < room ? len : room;
	s->resp[s->resp_len] = '\0';
	return len;
}

/* The first code="N" of an answer, or 0. */
static int answer_code(const char *r)
{
	const char *p = strstr(r, "code=\"");
	return p ? atoi(p + 6) : 0;
}

static void answer_state(const char *r, char *out, size_t cap)
{
	const char *p = strstr(r, "message-state=\"");
	size_t l;
	if (!p) {
		snprintf(out, cap, "-");
		return;
	}
	p += 15;
	l = strcspn(p, "\"");
	snprintf(out, cap, "%.*s", (int)(l < cap ? l : cap - 1), p);
}

static void add_due(int64_t at, enum rtype type, size_t idx)
{
	if (ndues == capdues) {
		size_t nc = capdues ? capdues * 2 : 1024;
		struct due *v = realloc(dues, nc * sizeof *v);
		if (!v) {
			fprintf(stderr, "soak_load: out of memory\n");
			exit(1);
		}
		dues = v;
		capdues = nc;
	}
	dues[ndues].at = at;
	dues[ndues].type = type;
	dues[ndues].idx = idx;
	ndues++;
}

static int start(CURLM *multi, struct slot *s, enum rtype type, size_t idx)
{
	free(s->body);
	s->body = type == R_PUSH ? push_body(idx) : xml_body(type == R_CANCEL ? "cancel-message" :
	    "statusquery-message", idx);
	if (!s->body)
		return -1;
	s->type = type;
	s->idx = idx;
	s->resp_len = 0;
	s->resp[0] = '\0';
	s->start_real = real_us();
	curl_easy_setopt(s->easy, CURLOPT_URL, url);
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, type == R_PUSH ? hdr_multi : hdr_xml);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(s->body));
	if (curl_multi_add_handle(multi, s->easy) != CURLM_OK)
		return -1;
	s->busy = 1;
	if (type == R_PUSH) {
		struct push *p = &pushes[idx];
		if (!p->tries++) {
			p->t_first = s->start_real;
			st_pushes++;
		}
	} else if (type == R_CANCEL) {
		struct push *p = &pushes[idx];
		if (!p->cancel_tries++) {
			p->t_cancel_first = s->start_real;
			st_cancels++;
		}
	} else {
		st_sq++;
	}
	return 0;
}

/* "d", "c", "n" for defer, cancel, notify; "-" for none. */
static void flag_str(const struct push *p, char out[4])
{
	char *f = out;
	if (p->flags & F_DEFER)
		*f++ = 'd';
	if (p->flags & F_CANCEL)
		*f++ = 'c';
	if (p->flags & F_NOTIFY)
		*f++ = 'n';
	if (f == out)
		*f++ = '-';
	*f = '\0';
}

static void done(struct slot *s, int ok, long http, int64_t mono)
{
	int64_t t = real_us();
	int code = ok && http > 0 ? answer_code(s->resp) : 0;
	char id[128], state[32];

	push_id(s->idx, id, sizeof id);
	if (!ok || http <= 0 || http >= 500)
		st_errors++;
	if (s->type == R_SQ) {
		answer_state(s->resp, state, sizeof state);
		if (strcmp(state, "-"))
			st_sq_ok++;   /* a statusquery-result with a message-state */
		fprintf(logf, "Q %s %lld %lld %ld %d %s\n", id, (long long)s->start_real, (long long)t, http, code, state);
		return;
	}
	struct push *p = &pushes[s->idx];
	int64_t first = s->type == R_PUSH ? p->t_first : p->t_cancel_first;
	if (!code && t - first < RESEND_FOR_US) {
		add_due(mono + RESEND_US, s->type, s->idx);   /* no PAP answer: send it again */
		return;
	}
	if (s->type == R_CANCEL) {
		if (code == 1000)
			st_cancels_ok++;
		fprintf(logf, "C %s %lld %lld %u %ld %d\n", id, (long long)first, (long long)t, p->cancel_tries, http, code);
		return;
	}
	p->code = (int16_t)(code ? code : -1);
	if (code == 1001) {
		st_acked++;
		acked[nacked++] = s->idx;
		if (p->flags & F_CANCEL)
			add_due(mono + 1000000 + (int64_t)(rnd() % 2000000), R_CANCEL, s->idx);
	} else if (code == 2007 && p->tries > 1) {
		st_2007++;
		if (p->flags & F_CANCEL)
			add_due(mono + 1000000, R_CANCEL, s->idx);
	} else if (!code) {
		st_noanswer++;
	} else {
		st_other++;
		if (st_other <= 3)
			fprintf(stderr, "soak_load: %s answered %d (HTTP %ld): %.600s\n", id, code, http, s->resp);
	}
	char flags[4];
	flag_str(p, flags);
	fprintf(logf, "P %s %s %s %lld %lld %u %ld %d\n", id, kind_name[p->kind], flags, (long long)first,
	    (long long)t, p->tries, http, p->code);
}

static void status_line(FILE *f, size_t inflight)
{
	fprintf(f, "pushes=%lu acked=%lu stored2007=%lu other=%lu noanswer=%lu cancels=%lu cancels_ok=%lu "
	    "sq=%lu sq_ok=%lu errors=%lu inflight=%zu\n", st_pushes, st_acked, st_2007, st_other, st_noanswer,
	    st_cancels, st_cancels_ok, st_sq, st_sq_ok, st_errors, inflight);
}

static void write_status(const char *path, size_t inflight)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	status_line(f, inflight);
	if (fclose(f) == 0)
		rename(tmp, path);
}

static struct slot *free_slot(struct slot *slots, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!slots[i].busy)
			return &slots[i];
	return NULL;
}

static void setup_easy(struct slot *s)
{
	CURL *e = curl_easy_init();
	if (!e) {
		fprintf(stderr, "soak_load: curl_easy_init failed\n");
		exit(1);
	}
	s->easy = e;
	curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(e, CURLOPT_USERPWD, userpwd);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(e, CURLOPT_PRIVATE, s);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, REQ_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
}

/* Verify mode: a statusquery per push-id of the file, conc at a time. */
static int verify(const char *ids_path, size_t conc, CURLM *multi)
{
	FILE *in = fopen(ids_path, "r");
	char line[256];
	char **ids = NULL;
	size_t n = 0, cap = 0;
	if (!in) {
		perror(ids_path);
		return 2;
	}
	while (fgets(line, sizeof line, in)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!*line)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			ids = realloc(ids, cap * sizeof *ids);
			if (!ids)
				return 1;
		}
		ids[n++] = strdup(line);
	}
	fclose(in);
	struct slot *slots = calloc(conc, sizeof *slots);
	size_t *tries = calloc(n + 1, sizeof *tries);
	if (!slots || !tries)
		return 1;
	for (size_t i = 0; i < conc; i++)
		setup_easy(&slots[i]);
	size_t next = 0, inflight = 0, unanswered = 0;
	size_t *retry = calloc(n + 1, sizeof *retry), nretry = 0;
	while (next < n || inflight || nretry) {
		struct slot *s;
		while ((next < n || nretry) && (s = free_slot(slots, conc))) {
			size_t k = nretry ? retry[--nretry] : next++;
			free(s->body);
			if (asprintf(&s->body, "<?xml version=\"1.0\"?>\r\n" DOCTYPE "\r\n<pap><statusquery-message "
			    "push-id=\"%s\"/></pap>\r\n", ids[k]) < 0)
				return 1;
			s->idx = k;
			s->resp_len = 0;
			s->resp[0] = '\0';
			curl_easy_setopt(s->easy, CURLOPT_URL, url);
			curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, hdr_xml);
			curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
			curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(s->body));
			curl_multi_add_handle(multi, s->easy);
			s->busy = 1;
			inflight++;
		}
		int running;
		curl_multi_perform(multi, &running);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			long http = 0;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &http);
			int code = m->data.result == CURLE_OK ? answer_code(s->resp) : 0;
			curl_multi_remove_handle(multi, m->easy_handle);
			s->busy = 0;
			inflight--;
			if (!code && ++tries[s->idx] < 20) {
				retry[nretry++] = s->idx;
				usleep(100000);
				continue;
			}
			char state[32];
			answer_state(s->resp, state, sizeof state);
			unanswered += !code;
			printf("%s %ld %d %s\n", ids[s->idx], http, code, state);
		}
		curl_multi_poll(multi, NULL, 0, 50, NULL);
	}
	for (size_t i = 0; i < conc; i++) {
		curl_easy_cleanup(slots[i].easy);
		free(slots[i].body);
	}
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	free(slots);
	free(tries);
	free(retry);
	if (unanswered)
		fprintf(stderr, "soak_load: %zu statusqueries without an answer\n", unanswered);
	return unanswered ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long rate = 0, secs = 0, cap = 256, drain_s = 60, conc = 8;
	const char *log_path = NULL, *status_path = NULL, *verify_path = NULL;
	int c;

	while ((c = getopt(argc, argv, "r:d:n:N:L:S:A:q:s:C:T:u:V:c:")) != -1) {
		switch (c) {
		case 'r': rate = num(optarg); break;
		case 'd': secs = num(optarg); break;
		case 'n': snprintf(nonce, sizeof nonce, "%s", optarg); break;
		case 'N': notify_url = optarg; break;
		case 'L': log_path = optarg; break;
		case 'S': status_path = optarg; break;
		case 'A': naors = (unsigned)num(optarg); break;
		case 'q': sq_pct = (unsigned)num(optarg); break;
		case 's': seed = num(optarg); break;
		case 'C': cap = num(optarg); break;
		case 'T': drain_s = num(optarg); break;
		case 'u': userpwd = optarg; break;
		case 'V': verify_path = optarg; break;
		case 'c': conc = num(optarg); break;
		default: usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	url = argv[optind];
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	CURLM *multi = curl_multi_init();
	if (!multi)
		return 1;
	hdr_multi = curl_slist_append(NULL, "Content-Type: multipart/related; boundary=" BOUNDARY "; type=\"application/xml\"");
	hdr_multi = curl_slist_append(hdr_multi, "Expect:");
	hdr_xml = curl_slist_append(NULL, "Content-Type: application/xml");
	hdr_xml = curl_slist_append(hdr_xml, "Expect:");
	if (verify_path) {
		if (!conc || conc > MAX_SLOTS)
			usage();
		return verify(verify_path, conc, multi);
	}
	if (!rate || !secs || !log_path || !status_path || !naors || !cap || cap > MAX_SLOTS ||
	    strpbrk(notify_url, "\"<>&"))
		usage();
	if (!(logf = fopen(log_path, "w"))) {
		perror(log_path);
		return 2;
	}
	npushes = rate * secs;
	pushes = calloc(npushes, sizeof *pushes);
	acked = calloc(npushes, sizeof *acked);
	struct slot *slots = calloc(cap, sizeof *slots);
	if (!pushes || !acked || !slots)
		return 1;
	for (size_t k = 0; k < npushes; k++)
		classify(k, &pushes[k]);
	for (size_t i = 0; i < cap; i++)
		setup_easy(&slots[i]);
	rng_state = seed;

	int64_t t0 = now_us(), t_end = t0 + (int64_t)secs * 1000000, t_status = t0;
	size_t started = 0, inflight = 0;
	unsigned long sq_started = 0;
	for (;;) {
		int64_t t = now_us();
		struct slot *s;
		int timeout_ms = 20;

		/* resends and cancels that are due */
		for (size_t i = 0; i < ndues && (s = free_slot(slots, cap)); ) {
			if (dues[i].at > t) {
				i++;
				continue;
			}
			if (start(multi, s, dues[i].type, dues[i].idx) == 0)
				inflight++;
			dues[i] = dues[--ndues];
		}
		/* new pushes, and a statusquery every 100/sq_pct pushes */
		while (started < npushes && t < t_end && (s = free_slot(slots, cap))) {
			int64_t due = t0 + (int64_t)((double)started * 1e6 / (double)rate);
			if (due > t)
				break;
			if (start(multi, s, R_PUSH, started) == 0)
				inflight++;
			started++;
			if (nacked && sq_pct && started * sq_pct / 100 > sq_started && (s = free_slot(slots, cap))) {
				sq_started++;
				if (start(multi, s, R_SQ, acked[rnd() % nacked]) == 0)
					inflight++;
			}
		}
		if (t >= t_end && !inflight && !ndues)
			break;
		if (t >= t_end + (int64_t)drain_s * 1000000) {
			fprintf(stderr, "soak_load: %zu requests in flight and %zu due %lu s after the end\n", inflight,
			    ndues, drain_s);
			break;
		}
		int running;
		curl_multi_perform(multi, &running);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			long http = 0;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &http);
			curl_multi_remove_handle(multi, m->easy_handle);
			s->busy = 0;
			inflight--;
			done(s, m->data.result == CURLE_OK, http, now_us());
		}
		if (t - t_status >= 1000000) {
			t_status = t;
			fflush(logf);
			write_status(status_path, inflight);
		}
		curl_multi_poll(multi, NULL, 0, timeout_ms, NULL);
	}
	/* what never got an answer (drain over) is logged as such */
	for (size_t k = 0; k < started; k++) {
		if (pushes[k].code)
			continue;
		char id[128], flags[4];
		push_id(k, id, sizeof id);
		flag_str(&pushes[k], flags);
		fprintf(logf, "P %s %s %s %lld %lld %u 0 -1\n", id, kind_name[pushes[k].kind], flags,
		    (long long)pushes[k].t_first, (long long)real_us(), pushes[k].tries);
		st_noanswer++;
	}
	write_status(status_path, inflight);
	status_line(stdout, inflight);
	for (size_t i = 0; i < cap; i++) {
		if (slots[i].busy)
			curl_multi_remove_handle(multi, slots[i].easy);
		curl_easy_cleanup(slots[i].easy);
		free(slots[i].body);
	}
	curl_multi_cleanup(multi);
	curl_slist_free_all(hdr_multi);
	curl_slist_free_all(hdr_xml);
	curl_global_cleanup();
	if (fclose(logf) != 0)
		perror(log_path);
	free(pushes);
	free(acked);
	free(slots);
	free(dues);
	return 0;
}
