/*
 * ppg_bearer_sip_tgruu.c - which cached AoR a temp-gruu belongs to (RFC 5627
 * §3.2: a temp-gruu is an opaque URI with a bare "gr"; its user part is not
 * the AoR's, so a push to one cannot find its terminal by its AoR). Each
 * cache entry's bindings' temp-gruus are indexed by their key
 * (sipb_gruu_normalize) when the entry is set, and unindexed when it goes.
 * Bindings dropped from an entry in place (the purge) leave stale keys
 * behind until the entry is set again: a lookup checks that a live binding
 * of the entry still holds the key. A registration that brings a temp-gruu
 * the entry did not hold wakes what was parked on it; so does reading the
 * whole cache again after the cluster listener was away, for every temp-gruu
 * (a registration on another node while this node did not listen). [loop],
 * but for wake_targets_write ([writer]).
 */
#include "ppg/ppg_bearer_sip_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppg/ppg_clock.h"
#include "ppg/ppg_core.h"
#include "ppg/ppg_hash.h"
#include "ppg/ppg_log.h"

#define TGRUU_WAKE_CHUNK 5000   /* targets per writer job */

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

struct wake_targets_op {
	struct sip_bearer *s;
	size_t n;
	int woken;
	char *v[TGRUU_WAKE_CHUNK];
};

static void wake_targets_free(struct wake_targets_op *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->v[i]);
	free(o);
}

/* [writer] Wakes them and tells the other nodes, as a wake-up of an AoR. */
static int wake_targets_write(struct db *db, void *arg, int64_t now)
{
	struct wake_targets_op *o = arg;
	int r = db_regevent_wake_targets(db, (const char *const *)o->v, o->n, now);
	if (r > 0) {
		int k = db_notify(db, PPG_CLUSTER_DUE, db_node(db));
		if (k < 0)
			r = k;
	}
	o->woken = r > 0 ? r : 0;
	return r < 0 ? r : 0;
}

static void wake_targets_after(void *arg, int committed)
{
	struct wake_targets_op *o = arg;
	struct sip_bearer *s = o->s;
	if (committed && o->woken && !s->stopping) {
		LOGP(PPG_LOG_SIP, LOG_INFO, "%d delivery(ies) parked on a temp-gruu woken: a registration "
		    "holds it", o->woken);
		/* claimed here at once, as after a ppgd_due of another node */
		ppg_core_remote(s->core, PPG_CLUSTER_DUE, NULL);
	} else if (!committed) {
		LOGP(PPG_LOG_SIP, LOG_WARNING, "cannot wake the deliveries parked on %zu temp-gruu(s): they "
		    "wait for their terminal's next registration", o->n);
	}
	wake_targets_free(o);
}

static void wake_targets_queue(struct wake_targets_op *o)
{
	if (ppg_core_write(o->s->core, wake_targets_write, wake_targets_after, o) < 0)
		wake_targets_after(o, 0);
}

void ppg_bearer_sip_tgruu_wake_all(struct sip_bearer *s)
{
	int64_t now = ppg_clock_now_ms();
	struct wake_targets_op *o = NULL;
	for (unsigned h = 0; h < SIP_TGRUU_BUCKETS; h++)
		for (const struct sip_tgent *e = s->tgruu[h]; e; e = e->next) {
			if (!holds_key(e->be, e->key, now))
				continue;
			/* the park's target, as in ppg_bearer_sip_tgruu_wake_new */
			size_t tl = strcspn(e->key, ";");
			if (strlen(e->be->aor) == tl && !strncmp(e->be->aor, e->key, tl))
				continue;
			if (!o && !(o = calloc(1, sizeof *o)))
				return;
			o->s = s;
			if (!(o->v[o->n] = strndup(e->key, tl)))
				break;
			if (++o->n == TGRUU_WAKE_CHUNK) {
				wake_targets_queue(o);
				o = NULL;
			}
		}
	if (o && o->n)
		wake_targets_queue(o);
	else
		free(o);
}
