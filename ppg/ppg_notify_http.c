/*
 * ppg_notify_http.c - POSTs resultnotification-messages (WAP-247 PAP §8.5) with
 * libcurl, one easy handle per sender thread, reused across requests so that
 * connections to a PI are kept alive. An https:// endpoint's certificate and
 * host name are verified (libcurl's defaults, never turned off), against
 * [notify] ca_file when set, else the system's CAs; a failed verification
 * is a failed POST, retried like any other.
 */
#include "ppg/ppg_notify_http.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pap/pap.h"

#define MAX_ANSWER 65536

struct job {
	int64_t id;
	char *url;
	char *body;
	size_t len;
	struct job *next;
};

struct ppg_notify_http {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *head, *tail;
	int stopping;
	unsigned nthreads;
	pthread_t *threads;
	unsigned timeout_s;
	char *user_agent;
	char *ca_file;                  /* NULL: libcurl's default (the system's CAs) */
	ppg_notify_http_done_fn done;
	void *arg;
};

struct answer {
	char *buf;
	size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct answer *a = ud;
	size_t bytes = size * n;
	if (a->len + bytes > MAX_ANSWER)
		return 0;   /* too large: abort the transfer */
	char *nb = realloc(a->buf, a->len + bytes + 1);
	if (!nb)
		return 0;
	memcpy(nb + a->len, p, bytes);
	a->buf = nb;
	a->len += bytes;
	a->buf[a->len] = '\0';
	return bytes;
}

static void post_one(struct ppg_notify_http *n, CURL *h, const struct job *j, struct ppg_notify_http_result *r)
{
	struct answer a = { 0 };
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/xml");
	long status = 0;
	char errbuf[CURL_ERROR_SIZE] = "";

	memset(r, 0, sizeof *r);
	r->id = j->id;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, j->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, j->body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_USERAGENT, n->user_agent);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)n->timeout_s);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)n->timeout_s);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (n->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, n->ca_file);
	CURLcode cr = curl_easy_perform(h);
	curl_slist_free_all(hdr);
	if (cr != CURLE_OK) {
		/* the buffer says which check failed ("SSL certificate problem: ...") */
		snprintf(r->reason, sizeof r->reason, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cr));
		free(a.buf);
		return;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	r->http_status = (int)status;
	if (status < 200 || status > 299) {
		snprintf(r->reason, sizeof r->reason, "HTTP %ld", status);
		free(a.buf);
		return;
	}
	/* The PI answers with a resultnotification-response (PAP §8.6); an
	 * empty 2xx is taken as received too, since real PIs do that. */
	if (a.len) {
		struct pap_msg *m = NULL;
		struct pap_error err;
		struct pap_limits lim = PAP_LIMITS_DEFAULT;
		if (pap_msg_decode(a.buf, a.len, &lim, &m, &err) == 0 &&
		    m->type == PAP_MSG_RESULTNOTIFICATION_RESPONSE) {
			r->pap_code = m->code;
			r->ok = 1;
			snprintf(r->reason, sizeof r->reason, "HTTP %ld, code %d", status, m->code);
		} else {
			snprintf(r->reason, sizeof r->reason, "HTTP %ld without a resultnotification-response", status);
			r->ok = 1;
		}
		pap_msg_free(m);
	} else {
		r->ok = 1;
		snprintf(r->reason, sizeof r->reason, "HTTP %ld (empty)", status);
	}
	free(a.buf);
}

static void *sender(void *arg)
{
	struct ppg_notify_http *n = arg;
	CURL *h = curl_easy_init();

	pthread_mutex_lock(&n->lock);
	for (;;) {
		while (!n->head && !n->stopping)
			pthread_cond_wait(&n->cond, &n->lock);
		if (n->stopping)
			break;
		struct job *j = n->head;
		n->head = j->next;
		if (!n->head)
			n->tail = NULL;
		pthread_mutex_unlock(&n->lock);
		struct ppg_notify_http_result r;
		if (h) {
			post_one(n, h, j, &r);
		} else {
			memset(&r, 0, sizeof r);
			r.id = j->id;
			snprintf(r.reason, sizeof r.reason, "libcurl could not start");
		}
		n->done(n->arg, &r);
		free(j->url);
		free(j->body);
		free(j);
		pthread_mutex_lock(&n->lock);
	}
	pthread_mutex_unlock(&n->lock);
	curl_easy_cleanup(h);
	return NULL;
}

struct ppg_notify_http *ppg_notify_http_new(unsigned threads, unsigned timeout_s, const char *user_agent,
    const char *ca_file, ppg_notify_http_done_fn done, void *arg)
{
	struct ppg_notify_http *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	n->timeout_s = timeout_s;
	n->done = done;
	n->arg = arg;
	n->user_agent = strdup(user_agent ? user_agent : "ppgd");
	n->ca_file = ca_file ? strdup(ca_file) : NULL;
	n->threads = calloc(threads, sizeof *n->threads);
	if (!n->user_agent || !n->threads || (ca_file && !n->ca_file)) {
		ppg_notify_http_free(n);
		return NULL;
	}
	for (unsigned i = 0; i < threads; i++) {
		if (pthread_create(&n->threads[i], NULL, sender, n)) {
			ppg_notify_http_free(n);
			return NULL;
		}
		n->nthreads++;
	}
	return n;
}

void ppg_notify_http_free(struct ppg_notify_http *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	n->stopping = 1;
	pthread_cond_broadcast(&n->cond);
	pthread_mutex_unlock(&n->lock);
	for (unsigned i = 0; i < n->nthreads; i++)
		pthread_join(n->threads[i], NULL);
	while (n->head) {
		struct job *j = n->head;
		n->head = j->next;
		free(j->url);
		free(j->body);
		free(j);
	}
	free(n->threads);
	free(n->user_agent);
	free(n->ca_file);
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

int ppg_notify_http_post(struct ppg_notify_http *n, int64_t id, const char *url, const void *body,
    size_t len)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		return -ENOMEM;
	j->id = id;
	j->url = strdup(url);
	j->body = malloc(len + 1);
	if (!j->url || !j->body) {
		free(j->url);
		free(j->body);
		free(j);
		return -ENOMEM;
	}
	memcpy(j->body, body, len);
	j->body[len] = '\0';
	j->len = len;
	pthread_mutex_lock(&n->lock);
	if (n->stopping) {
		pthread_mutex_unlock(&n->lock);
		free(j->url);
		free(j->body);
		free(j);
		return -ESHUTDOWN;
	}
	if (n->tail)
		n->tail->next = j;
	else
		n->head = j;
	n->tail = j;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
	return 0;
}
