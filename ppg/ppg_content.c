/*
 * ppg_content.c - the token table of content indirection: a hash table of
 * 128-bit random tokens (getrandom) under one mutex, each entry also chained
 * by its delivery (ppg_content_withdraw). Lookups compare the whole token;
 * an unknown or withdrawn token answers -ENOENT.
 */
#include "ppg/ppg_content.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ppg/ppg_hash.h"

#define NBUCKETS 4096

struct entry {
	char token[PPG_TOKEN_LEN + 1];
	int64_t delivery;
	char *ctype;
	void *body;
	size_t len;
	struct entry *next;
	struct entry *dnext;       /* the chain of its delivery's bucket */
};

struct ppg_content {
	pthread_mutex_t lock;
	struct entry *b[NBUCKETS];
	struct entry *d[NBUCKETS];   /* by delivery */
	void (*on_fetched)(void *arg, int64_t delivery);   /* set before the HTTP front starts */
	void *on_fetched_arg;
};

void ppg_content_observe(struct ppg_content *t, void (*fetched)(void *arg, int64_t delivery), void *arg)
{
	pthread_mutex_lock(&t->lock);
	t->on_fetched = fetched;
	t->on_fetched_arg = arg;
	pthread_mutex_unlock(&t->lock);
}

void ppg_content_fetched(struct ppg_content *t, int64_t delivery)
{
	/* Under the lock: once ppg_content_observe(NULL) returned, the old
	 * observer is not running and will not run. */
	pthread_mutex_lock(&t->lock);
	if (t->on_fetched)
		t->on_fetched(t->on_fetched_arg, delivery);
	pthread_mutex_unlock(&t->lock);
}

static unsigned bucket(const char *token)
{
	return ppg_hash_str(token) % NBUCKETS;
}

static unsigned dbucket(int64_t delivery)
{
	return (unsigned)((uint64_t)delivery * 0x9E3779B97F4A7C15ULL >> 40) % NBUCKETS;
}

/* Takes e off its delivery's chain. Under the lock. */
static void dunlink(struct ppg_content *t, struct entry *e)
{
	for (struct entry **pp = &t->d[dbucket(e->delivery)]; *pp; pp = &(*pp)->dnext)
		if (*pp == e) {
			*pp = e->dnext;
			return;
		}
}

static void entry_free(struct entry *e)
{
	free(e->ctype);
	free(e->body);
	free(e);
}

struct ppg_content *ppg_content_new(void)
{
	struct ppg_content *t = calloc(1, sizeof *t);
	if (t)
		pthread_mutex_init(&t->lock, NULL);
	return t;
}

void ppg_content_free(struct ppg_content *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < NBUCKETS; i++)
		while (t->b[i]) {
			struct entry *e = t->b[i];
			t->b[i] = e->next;
			entry_free(e);
		}
	pthread_mutex_destroy(&t->lock);
	free(t);
}

int ppg_content_add(struct ppg_content *t, int64_t delivery, const char *content_type,
    const void *body, size_t len, char token[PPG_TOKEN_LEN + 1])
{
	unsigned char rnd[PPG_TOKEN_LEN / 2];
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		return -EIO;
	struct entry *e = calloc(1, sizeof *e);
	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(e->token + 2 * i, 3, "%02x", rnd[i]);
	e->delivery = delivery;
	e->ctype = strdup(content_type ? content_type : "application/octet-stream");
	e->body = malloc(len ? len : 1);
	if (!e->ctype || !e->body) {
		entry_free(e);
		return -ENOMEM;
	}
	if (len)
		memcpy(e->body, body, len);
	e->len = len;
	memcpy(token, e->token, sizeof e->token);
	unsigned h = bucket(e->token);
	unsigned dh = dbucket(delivery);
	pthread_mutex_lock(&t->lock);
	e->next = t->b[h];
	t->b[h] = e;
	e->dnext = t->d[dh];
	t->d[dh] = e;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

void ppg_content_remove(struct ppg_content *t, const char *token)
{
	if (!t || !token)
		return;
	unsigned h = bucket(token);
	pthread_mutex_lock(&t->lock);
	for (struct entry **pp = &t->b[h]; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->token, token)) {
			struct entry *e = *pp;
			*pp = e->next;
			dunlink(t, e);
			pthread_mutex_unlock(&t->lock);
			entry_free(e);
			return;
		}
	pthread_mutex_unlock(&t->lock);
}

void ppg_content_withdraw(struct ppg_content *t, int64_t delivery)
{
	struct entry *gone = NULL;
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	for (struct entry **dp = &t->d[dbucket(delivery)]; *dp;) {
		struct entry *e = *dp;
		if (e->delivery != delivery) {
			dp = &e->dnext;
			continue;
		}
		*dp = e->dnext;
		for (struct entry **pp = &t->b[bucket(e->token)]; *pp; pp = &(*pp)->next)
			if (*pp == e) {
				*pp = e->next;
				break;
			}
		e->next = gone;
		gone = e;
	}
	pthread_mutex_unlock(&t->lock);
	while (gone) {
		struct entry *e = gone;
		gone = e->next;
		entry_free(e);
	}
}

int ppg_content_get(struct ppg_content *t, const char *token, char **content_type, void **body,
    size_t *len, int64_t *delivery)
{
	if (!t || !token || strlen(token) != PPG_TOKEN_LEN)
		return -ENOENT;
	unsigned h = bucket(token);
	int r = -ENOENT;
	pthread_mutex_lock(&t->lock);
	for (struct entry *e = t->b[h]; e; e = e->next) {
		if (strcmp(e->token, token))
			continue;
		*content_type = strdup(e->ctype);
		*body = malloc(e->len ? e->len : 1);
		if (!*content_type || !*body) {
			free(*content_type);
			free(*body);
			r = -ENOMEM;
			break;
		}
		memcpy(*body, e->body, e->len);
		*len = e->len;
		if (delivery)
			*delivery = e->delivery;
		r = 0;
		break;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}
