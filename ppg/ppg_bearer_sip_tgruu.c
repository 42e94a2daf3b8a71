/*
 * ppg_bearer_sip_tgruu.c - which cached AoR a temp-gruu belongs to (RFC 5627
 * §3.2: a temp-gruu is an opaque URI with a bare "gr"; its user part is not
 * the AoR's, so a push to one cannot find its terminal by its AoR). Each
 * cache entry's bindings' temp-gruus are indexed by their key
 * (sipb_gruu_normalize) when the entry is set, and unindexed when it goes.
 * Bindings dropped from an entry in place (the purge) leave stale keys
 * behind until the entry is set again: a lookup checks that a live binding
 * of the entry still holds the key. A registration that brings a temp-gruu
 * the entry did not hold wakes what was parked on it. [loop]
 */
#include "ppg/ppg_bearer_sip_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppg/ppg_clock.h"
#include "ppg/ppg_hash.h"

/* Appends the key of each temp-gruu of the space-separated set to buf
 * (NUL-separated, *len bytes used); counts them in *n. */
static int add_keys(const char *set, char **buf, size_t *len, size_t *n)
{
	for (const char *p = set; p && *p;) {
		size_t l = strcspn(p, " ");
		char uri[600], key[600];
		const char *u = p + (*p == '<');   /* a name-addr's brackets, if any */
		size_t ul = (size_t)(p + l - u) - (l && p[l - 1] == '>');
		if (ul && ul < sizeof uri) {
			memcpy(uri, u, ul);
			uri[ul] = '\0';
			if (sipb_gruu_normalize(uri, key, sizeof key) == 0) {
				size_t kl = strlen(key) + 1;
				char *m = realloc(*buf, *len + kl);
				if (!m)
					return -ENOMEM;
				memcpy(m + *len, key, kl);
				*buf = m;
				*len += kl;
				(*n)++;
			}
		}
		p += l + (p[l] == ' ');
	}
	return 0;
}

int ppg_bearer_sip_tgruu_add(struct sip_bearer *s, struct sip_bentry *b)
{
	char *buf = NULL;
	size_t len = 0, n = 0;
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].temp_gruu && add_keys(b->v[i].temp_gruu, &buf, &len, &n) < 0) {
			free(buf);
			return -ENOMEM;
		}
	if (!n)
		return 0;
	b->tents = calloc(n, sizeof *b->tents);
	if (!b->tents) {
		free(buf);
		return -ENOMEM;
	}
	b->tkeys = buf;
	b->ntents = n;
	const char *k = buf;
	for (size_t i = 0; i < n; i++, k += strlen(k) + 1) {
		struct sip_tgent *e = &b->tents[i];
		unsigned h = ppg_hash_str(k) % SIP_TGRUU_BUCKETS;
		e->key = k;
		e->be = b;
		e->next = s->tgruu[h];
		s->tgruu[h] = e;
	}
	return 0;
}

void ppg_bearer_sip_tgruu_remove(struct sip_bearer *s, struct sip_bentry *b)
{
	for (size_t i = 0; i < b->ntents; i++) {
		struct sip_tgent *e = &b->tents[i];
		struct sip_tgent **pp = &s->tgruu[ppg_hash_str(e->key) % SIP_TGRUU_BUCKETS];
		while (*pp && *pp != e)
			pp = &(*pp)->next;
		if (*pp)
			*pp = e->next;
	}
	free(b->tents);
	free(b->tkeys);
	b->tents = NULL;
	b->tkeys = NULL;
	b->ntents = 0;
}

const char *ppg_bearer_sip_reg_temp_owner(struct sip_bearer *s, const char *key, int64_t now)
{
	for (const struct sip_tgent *e = s->tgruu[ppg_hash_str(key) % SIP_TGRUU_BUCKETS]; e; e = e->next) {
		if (strcmp(e->key, key))
			continue;
		for (size_t i = 0; i < e->be->n; i++)
			if (e->be->v[i].expires > now && ppg_bearer_sip_names(&e->be->v[i], key))
				return e->be->aor;
	}
	return NULL;
}

/* Does a live binding of b hold the temp-gruu key? */
static int holds_key(const struct sip_bentry *b, const char *key, int64_t now)
{
	for (size_t i = 0; b && i < b->n; i++)
		if (b->v[i].expires > now && ppg_bearer_sip_names(&b->v[i], key))
			return 1;
	return 0;
}

void ppg_bearer_sip_tgruu_wake_new(struct sip_bearer *s, const struct sip_bentry *b,
    const struct sip_bentry *old)
{
	int64_t now = ppg_clock_now_ms();
	for (size_t i = 0; i < b->ntents; i++) {
		const char *key = b->tents[i].key;
		if (holds_key(old, key, now) || !holds_key(b, key, now))
			continue;
		/* the park's target: the key up to its first parameter, as
		 * ppg_bearer_sip_target_split cut it */
		char target[600];
		snprintf(target, sizeof target, "%.*s", (int)strcspn(key, ";"), key);
		/* not the entry's own AoR, which its registration wakes anyway */
		if (strcmp(target, b->aor))
			ppg_bearer_wake(&s->base, target);
	}
}
