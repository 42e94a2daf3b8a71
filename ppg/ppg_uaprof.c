/*
 * ppg_uaprof.c - the UAProf fetcher: one thread with a bounded queue of
 * URLs, libcurl restricted to http and https (redirects too, at most 3),
 * the peer's certificate verified, at most PAP_UAPROF_MAX_DOC bytes and
 * timeout_s seconds per document. A document that is no UAProf (RDF)
 * document is stored as a failed fetch (its status, no body). The URLs
 * come from terminals through a trusted core: every connection (redirects
 * too) goes to a public address only, or to one of [sip] uaprof_allow, so
 * a link cannot make the gateway reach its own listeners or the operator's
 * internal hosts. After a restart each URL is fetched once
 * more when a subscription names it. [loop] for the API, the fetch on its
 * own thread, the store on the writer.
 */
#include "ppg/ppg_uaprof.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pap/pap.h"
#include "ppg/ppg_cidr.h"
#include "ppg/ppg_clock.h"
#include "ppg/ppg_hash.h"
#include "ppg/ppg_log.h"

#define UAPROF_QUEUE 256        /* URLs waiting at most */
#define UAPROF_SEEN 4096        /* URLs remembered with their last fetch */
#define UAPROF_URL_MAX 1024

struct seen {
	char *url;
	int64_t at;             /* ms: asked for */
};

/* Who is told of each stored document. Shared by the fetcher and the
 * stores in flight (a deferred store may run after the stop): freed by the
 * last of them; `dead` (set and read on the loop) once the fetcher stopped. */
struct hook {
	void (*fn)(void *arg, const char *url);
	void *arg;
	atomic_int refs;
	int dead;
};

static struct hook *hook_ref(struct hook *h)
{
	if (h)
		atomic_fetch_add(&h->refs, 1);
	return h;
}

static void hook_unref(struct hook *h)
{
	if (h && atomic_fetch_sub(&h->refs, 1) == 1)
		free(h);
}

struct ppg_uaprof {
	struct ppg_core *core;
	struct hook *hook;          /* NULL: nobody is told */
	struct ppg_cidr allow[16];  /* non-public ranges a link may reach */
	int nallow;
	int64_t ttl_ms;
	long timeout_s;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *queue[UAPROF_QUEUE];  /* ring */
	size_t head, n;
	atomic_int stop;
	struct seen seen[UAPROF_SEEN];  /* open addressing by hash, overwritten when full */
};

struct fetched {
	struct ppg_core *core;  /* outlives the fetcher: a deferred store may run after its stop */
	struct hook *hook;      /* a reference, or NULL */
	char *url;
	int status;             /* HTTP status, or a negative errno */
	char *doc;              /* NULL unless a UAProf document */
	size_t len;
	int64_t at;
};

struct buf {
	char *p;
	size_t n;
	int over;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	if (b->n + n > PAP_UAPROF_MAX_DOC) {
		b->over = 1;
		return 0;   /* aborts the transfer */
	}
	char *p = realloc(b->p, b->n + n + 1);
	if (!p)
		return 0;
	memcpy(p + b->n, data, n);
	b->p = p;
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

int ppg_uaprof_public(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
		static const struct { uint32_t net; int bits; } priv[] = {
			{ 0x00000000, 8 },  /* "this network" */
			{ 0x0a000000, 8 },  /* 10/8 */
			{ 0x64400000, 10 }, /* 100.64/10 CGNAT */
			{ 0x7f000000, 8 },  /* loopback */
			{ 0xa9fe0000, 16 }, /* link-local (and cloud metadata) */
			{ 0xac100000, 12 }, /* 172.16/12 */
			{ 0xc0000000, 24 }, /* IETF protocol assignments */
			{ 0xc0a80000, 16 }, /* 192.168/16 */
			{ 0xc6120000, 15 }, /* benchmarking */
			{ 0xe0000000, 3 },  /* multicast, reserved, broadcast */
		};
		for (size_t i = 0; i < sizeof priv / sizeof priv[0]; i++)
			if ((a >> (32 - priv[i].bits)) == (priv[i].net >> (32 - priv[i].bits)))
				return 0;
		return 1;
	}
	if (sa->sa_family == AF_INET6) {
		const unsigned char *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (!memcmp(b, v4mapped, 12)) {
			struct sockaddr_in v4 = { .sin_family = AF_INET };
			memcpy(&v4.sin_addr, b + 12, 4);
			return ppg_uaprof_public((const struct sockaddr *)&v4);
		}
		int zero = 1;
		for (int i = 0; i < 15; i++)
			zero &= b[i] == 0;
		if (zero)                       /* :: and ::1 */
			return 0;
		if ((b[0] & 0xfe) == 0xfc ||    /* fc00::/7 unique local */
		    (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||   /* fe80::/10 link-local */
		    b[0] == 0xff)               /* multicast */
			return 0;
		return 1;
	}
	return 0;
}

/* Every connection of a fetch, redirects too: a public address, or one
 * the operator allowed; else no socket (the fetch fails, logged). */
static curl_socket_t on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct ppg_uaprof *u = arg;
	(void)purpose;
	if (!ppg_uaprof_public(&a->addr) && !ppg_cidr_match(u->allow, u->nallow, &a->addr)) {
		char host[INET6_ADDRSTRLEN] = "?";
		if (a->addr.sa_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&a->addr)->sin_addr, host, sizeof host);
		else if (a->addr.sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&a->addr)->sin6_addr, host, sizeof host);
		LOGP(PPG_LOG_SIP, LOG_NOTICE, "UAProf link refused: %s is not a public address "
		    "(see [sip] uaprof_allow)", host);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct ppg_uaprof *u = arg;
	(void)dt, (void)dn, (void)ut, (void)un;
	return atomic_load(&u->stop) ? 1 : 0;
}

/* [writer] */
static int store_write(struct db *db, void *arg, int64_t now)
{
	struct fetched *f = arg;
	(void)now;
	int r = db_uaprof_put(db, f->url, f->at, f->status, f->doc, f->len);
	if (r < 0)
		LOGP(PPG_LOG_DB, LOG_ERR, "cannot store the UAProf document %s: %s", f->url, db_errmsg(db));
	return r < 0 ? r : 0;
}

static void store_after(void *arg, int committed)
{
	struct fetched *f = arg;
	if (committed && f->hook && !f->hook->dead)
		f->hook->fn(f->hook->arg, f->url);
	hook_unref(f->hook);
	free(f->url);
	free(f->doc);
	free(f);
}

/* [loop] */
static void on_fetched(void *arg)
{
	struct fetched *f = arg;
	if (ppg_core_write_lazy(f->core, store_write, store_after, f) < 0)
		store_after(f, 0);
}

static void fetch_one(struct ppg_uaprof *u, char *url)
{
	struct fetched *f = calloc(1, sizeof *f);
	struct buf b = { 0 };
	CURL *h = curl_easy_init();
	long code = 0;

	if (!f || !h) {
		free(f);
		free(url);
		if (h)
			curl_easy_cleanup(h);
		return;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, u->timeout_s);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, u->timeout_s);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "ppgd/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, u);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, u);
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	f->core = u->core;
	pthread_mutex_lock(&u->mu);
	f->hook = hook_ref(u->hook);
	pthread_mutex_unlock(&u->mu);
	f->url = url;
	f->at = ppg_clock_now_ms();
	if (rc != CURLE_OK) {
		f->status = b.over ? -EFBIG : -EIO;
		LOGP(PPG_LOG_SIP, LOG_NOTICE, "UAProf document %s not fetched: %s", url,
		    b.over ? "larger than 512 KiB" : curl_easy_strerror(rc));
	} else {
		struct pap_uaprof p;
		f->status = (int)code;
		if (code == 200 && pap_uaprof_parse(b.p, b.n, &p) == 0) {
			LOGP(PPG_LOG_SIP, LOG_INFO, "UAProf document %s: %zu bytes, %s %s, %zu push "
			    "application%s, %zu push content type%s", url, b.n, p.vendor ? p.vendor : "?",
			    p.model ? p.model : "?", p.nappids, p.nappids == 1 ? "" : "s", p.npush_accept,
			    p.npush_accept == 1 ? "" : "s");
			pap_uaprof_free(&p);
			f->doc = b.p;
			f->len = b.n;
			b.p = NULL;
		} else {
			LOGP(PPG_LOG_SIP, LOG_NOTICE, "UAProf document %s: HTTP %ld%s", url, code,
			    code == 200 ? ", not a UAProf (RDF) document" : "");
		}
	}
	free(b.p);
	if (atomic_load(&u->stop) || ppg_core_defer(u->core, 0, on_fetched, f) < 0) {
		hook_unref(f->hook);
		free(f->url);
		free(f->doc);
		free(f);
	}
}

static void *run(void *arg)
{
	struct ppg_uaprof *u = arg;

	pthread_mutex_lock(&u->mu);
	while (!atomic_load(&u->stop)) {
		if (!u->n) {
			pthread_cond_wait(&u->cv, &u->mu);
			continue;
		}
		char *url = u->queue[u->head];
		u->head = (u->head + 1) % UAPROF_QUEUE;
		u->n--;
		pthread_mutex_unlock(&u->mu);
		fetch_one(u, url);
		pthread_mutex_lock(&u->mu);
	}
	pthread_mutex_unlock(&u->mu);
	return NULL;
}

struct ppg_uaprof *ppg_uaprof_start(struct ppg_core *core, unsigned ttl_s, unsigned timeout_s,
    const struct ppg_cidr *allow, int nallow)
{
	struct ppg_uaprof *u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	u->nallow = nallow < 0 ? 0 : nallow > 16 ? 16 : nallow;
	if (u->nallow)
		memcpy(u->allow, allow, (size_t)u->nallow * sizeof *allow);
	u->core = core;
	u->ttl_ms = (int64_t)ttl_s * 1000;
	u->timeout_s = timeout_s ? (long)timeout_s : 10;
	pthread_mutex_init(&u->mu, NULL);
	pthread_cond_init(&u->cv, NULL);
	if (pthread_create(&u->th, NULL, run, u) != 0) {
		pthread_mutex_destroy(&u->mu);
		pthread_cond_destroy(&u->cv);
		free(u);
		return NULL;
	}
	return u;
}

int ppg_uaprof_on_stored(struct ppg_uaprof *u, void (*fn)(void *arg, const char *url), void *arg)
{
	struct hook *h = calloc(1, sizeof *h);
	if (!h)
		return -ENOMEM;
	h->fn = fn;
	h->arg = arg;
	atomic_init(&h->refs, 1);
	pthread_mutex_lock(&u->mu);
	struct hook *old = u->hook;
	u->hook = h;
	pthread_mutex_unlock(&u->mu);
	if (old)
		old->dead = 1;
	hook_unref(old);
	return 0;
}

int ppg_uaprof_want(struct ppg_uaprof *u, const char *url)
{
	size_t l = url ? strlen(url) : 0;
	if (!u || !l || l > UAPROF_URL_MAX ||
	    (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)))
		return -EINVAL;
	for (size_t i = 0; i < l; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
			return -EINVAL;
	int64_t now = ppg_clock_now_ms();
	struct seen *s = &u->seen[ppg_hash_str(url) % UAPROF_SEEN];
	if (s->url && !strcmp(s->url, url) && now - s->at < u->ttl_ms)
		return 0;   /* fetched (or asked for) within the ttl */
	char *copy = strdup(url), *key = strdup(url);
	if (!copy || !key) {
		free(copy);
		free(key);
		return -ENOMEM;
	}
	pthread_mutex_lock(&u->mu);
	if (u->n == UAPROF_QUEUE) {
		pthread_mutex_unlock(&u->mu);
		free(copy);
		free(key);
		return -ENOSPC;
	}
	u->queue[(u->head + u->n) % UAPROF_QUEUE] = copy;
	u->n++;
	pthread_cond_signal(&u->cv);
	pthread_mutex_unlock(&u->mu);
	free(s->url);
	s->url = key;
	s->at = now;
	return 0;
}

void ppg_uaprof_stop(struct ppg_uaprof *u)
{
	if (!u)
		return;
	pthread_mutex_lock(&u->mu);
	atomic_store(&u->stop, 1);
	pthread_cond_signal(&u->cv);
	pthread_mutex_unlock(&u->mu);
	pthread_join(u->th, NULL);
	if (u->hook)
		u->hook->dead = 1;
	hook_unref(u->hook);
	for (size_t i = 0; i < u->n; i++)
		free(u->queue[(u->head + i) % UAPROF_QUEUE]);
	for (size_t i = 0; i < UAPROF_SEEN; i++)
		free(u->seen[i].url);
	pthread_mutex_destroy(&u->mu);
	pthread_cond_destroy(&u->cv);
	free(u);
}
