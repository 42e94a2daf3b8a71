/*
 * ppg_bearer_sip_reg.c - what third-party REGISTERs tell the Push Sender
 * Agent (OMA-TS-SIP_Push §7, Appendix F.1.2): which public identities are
 * reachable, through which contacts, for which push applications
 * (+g.oma.pusheventapp), with +sip.instance and GRUU.
 *
 * Bindings are stored by the core's writer (they survive a restart) and
 * cached here by AoR. A REGISTER stays open (sipb_register_answer) until
 * the batch holding its bindings is durable, so the loop never waits for
 * SQL or the disk; the writer reads the AoR's bindings back with the same
 * job. Expired bindings leave the database once a minute. [loop], but for
 * the *_write functions ([writer]).
 */
#define SU_ROOT_MAGIC_T struct ppg_core
#define SU_TIMER_ARG_T  void

#include "ppg/ppg_bearer_sip_int.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ppg/ppg_cidr.h"
#include "ppg/ppg_hash.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_ratelimit.h"

int ppg_bearer_sip_reg_supports(const struct db_binding *b, const char *app)
{
	size_t al = strlen(app);
	for (const char *s = b->apps; s && *s;) {
		const char *e = strchr(s, ',');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (l == al && !strncasecmp(s, app, al))
			return 1;
		s = e ? e + 1 : s + l;
	}
	return 0;
}

/* ------------------------------------------------------------- the cache */

static struct sip_bentry **bentry_slot(struct sip_bearer *s, const char *aor)
{
	struct sip_bentry **pp = &s->bindings[ppg_hash_str(aor) % SIP_BINDING_BUCKETS];
	while (*pp && strcmp((*pp)->aor, aor))
		pp = &(*pp)->next;
	return pp;
}

static void bentry_free(struct sip_bearer *s, struct sip_bentry *b)
{
	if (!b)
		return;
	ppg_bearer_sip_tgruu_remove(s, b);
	ppg_bearer_sip_caps_free(b->caps, b->n);
	db_binding_list_free(b->v, b->n);
	free(b);
}

/* An empty cache entry for aor (one allocation), or NULL. */
static struct sip_bentry *bentry_new(const char *aor)
{
	size_t l = strlen(aor) + 1;
	struct sip_bentry *b = calloc(1, sizeof *b + l);
	if (b)
		memcpy(b->aor, aor, l);
	return b;
}

/* Replaces the cache entry of aor by the n bindings of v and their
 * capabilities caps (NULL: none; both taken over). pre: the entry to use,
 * made by bentry_new for aor (taken over; NULL: made here). A REGISTER's
 * entry is made by the writer with the bindings it read back (reg_write),
 * so that the loop's heap, which holds sofia-sip's transactions, keeps no
 * small long-lived block per REGISTER between them: once a burst's
 * transactions end (timer J), their memory is free in whole pages and
 * malloc_trim gives it back (ppg_trim.c). wake: a registration (not the
 * start's load): the deliveries parked on a temp-gruu the entry did not hold
 * before are woken (ppg_bearer_sip_tgruu_wake_new). */
static int cache_set(struct sip_bearer *s, const char *aor, struct db_binding *v, size_t n,
    struct sip_tcaps *caps, struct sip_bentry *pre, int wake)
{
	struct sip_bentry **pp = bentry_slot(s, aor);
	struct sip_bentry *old = *pp;
	if (old)
		*pp = old->next;   /* freed below: its temp-gruu keys tell which are new */
	if (!n) {
		bentry_free(s, old);
		free(v);
		ppg_bearer_sip_caps_free(caps, 0);
		free(pre);
		return 0;
	}
	struct sip_bentry *b = pre ? pre : bentry_new(aor);
	if (!b) {
		bentry_free(s, old);
		db_binding_list_free(v, n);
		ppg_bearer_sip_caps_free(caps, n);
		return -ENOMEM;
	}
	b->v = v;
	b->n = n;
	b->caps = caps;
	unsigned h = ppg_hash_str(aor) % SIP_BINDING_BUCKETS;
	b->next = s->bindings[h];
	s->bindings[h] = b;
	if (ppg_bearer_sip_tgruu_add(s, b) < 0)
		LOGP(PPG_LOG_SIP, LOG_ERR, "out of memory: the temp-gruus of %s name no terminal", aor);
	else if (wake && !s->stopping)
		ppg_bearer_sip_tgruu_wake_new(s, b, old);
	bentry_free(s, old);
	return 0;
}

const struct sip_bentry *ppg_bearer_sip_reg_lookup(struct sip_bearer *s, const char *aor, int64_t now)
{
	struct sip_bentry *b = *bentry_slot(s, aor);
	for (size_t i = 0; b && i < b->n; i++)
		if (b->v[i].expires > now)
			return b;
	return NULL;
}

void ppg_bearer_sip_reg_free(struct sip_bearer *s)
{
	for (unsigned i = 0; i < SIP_BINDING_BUCKETS; i++)
		while (s->bindings[i]) {
			struct sip_bentry *b = s->bindings[i];
			s->bindings[i] = b->next;
			bentry_free(s, b);
		}
}

/* ------------------------------------------------------ load at start */

struct list_op {
	struct sip_bearer *s;
	struct db_binding *v;
	size_t n;
	struct sip_tcaps *caps;          /* n, beside v, or NULL */
	int ok;
	int resync;             /* the listener was away: replace the cache, wake the parked */
};

static int load_write(struct db *db, void *arg, int64_t now)
{
	struct list_op *o = arg;
	int r = db_binding_list(db, NULL, now, &o->v, &o->n);
	if (r == 0 && o->n && !(o->caps = calloc(o->n, sizeof *o->caps)))
		r = -ENOMEM;
	/* what each AoR's subscriptions told (the list is ordered by aor) */
	for (size_t i = 0, k; r == 0 && i < o->n; i = k) {
		for (k = i + 1; k < o->n && !strcmp(o->v[k].aor, o->v[i].aor); k++)
			;
		struct sip_tcaps *c = NULL;
		r = ppg_bearer_sip_caps_read(db, o->v[i].aor, o->v + i, k - i, now, &c);
		if (c)
			memcpy(o->caps + i, c, (k - i) * sizeof *c);
		free(c);   /* its strings moved into o->caps */
	}
	o->ok = r == 0;
	return r;
}

static void load_after(void *arg, int committed)
{
	struct list_op *o = arg;
	struct sip_bearer *s = o->s;
	size_t i = 0;

	if (!committed || !o->ok)
		LOGP(PPG_LOG_SIP, LOG_ERR, "cannot load the stored registrations; they come back as the "
		    "core registers again");
	if (o->resync && committed && o->ok && !s->stopping)
		ppg_bearer_sip_reg_free(s);   /* de-registrations missed meanwhile too */
	/* The list is ordered by aor, newest first within one. */
	while (committed && o->ok && !s->stopping && i < o->n) {
		size_t k = i + 1;
		while (k < o->n && !strcmp(o->v[k].aor, o->v[i].aor))
			k++;
		struct db_binding *v = malloc((k - i) * sizeof *v);
		struct sip_tcaps *c = NULL;
		for (size_t j = i; j < k && o->caps && !c; j++)
			if (o->caps[j].accept || o->caps[j].apps || o->caps[j].model)
				c = malloc((k - i) * sizeof *c);
		if (v) {
			memcpy(v, o->v + i, (k - i) * sizeof *v);
			memset(o->v + i, 0, (k - i) * sizeof *v);   /* strings moved into v */
			if (c) {
				memcpy(c, o->caps + i, (k - i) * sizeof *c);
				memset(o->caps + i, 0, (k - i) * sizeof *c);
			}
			cache_set(s, v[0].aor, v, k - i, c, NULL, 0);
		} else {
			free(c);
		}
		i = k;
	}
	if (o->resync && committed && o->ok) {
		LOGP(PPG_LOG_SIP, LOG_NOTICE, "registrations read again after the cluster listener was "
		    "away (%zu binding%s)", o->n, o->n == 1 ? "" : "s");
		/* registered while this node did not listen: what was parked for
		 * every registered AoR goes now, in one writer job (after the
		 * parks queued before it) instead of one per AoR */
		if (o->n && !s->stopping) {
			ppg_bearer_wake(&s->base, "");
			/* and what was parked on their temp-gruus, whose target is no AoR */
			ppg_bearer_sip_tgruu_wake_all(s);
		}
	}
	if (committed && o->ok && o->n)
		LOGP(PPG_LOG_SIP, LOG_INFO, "%zu SIP registration binding%s loaded", o->n, o->n == 1 ? "" : "s");
	ppg_bearer_sip_caps_free(o->caps, o->n);
	db_binding_list_free(o->v, o->n);
	free(o);
}

/* ------------------------------------- a registration on another node */

struct refresh_op {
	struct sip_bearer *s;
	struct db_binding *v;
	size_t n;
	struct sip_tcaps *caps;
	int ok;
	char aor[];
};

static int refresh_write(struct db *db, void *arg, int64_t now)
{
	struct refresh_op *o = arg;
	int r = db_binding_list(db, o->aor, now, &o->v, &o->n);
	if (r == 0)
		r = ppg_bearer_sip_caps_read(db, o->aor, o->v, o->n, now, &o->caps);
	o->ok = r == 0;
	return r;
}

/* The cache takes the AoR's bindings as another node stored them, and the
 * deliveries this node parked for it are woken (after its parks: the loop
 * queues both in order, see park_write). */
static void refresh_after(void *arg, int committed)
{
	struct refresh_op *o = arg;
	struct sip_bearer *s = o->s;
	if (committed && o->ok && !s->stopping) {
		LOGP(PPG_LOG_SIP, LOG_DEBUG, "registrations of %s changed on another node: %zu binding%s",
		    o->aor, o->n, o->n == 1 ? "" : "s");
		cache_set(s, o->aor, o->v, o->n, o->caps, NULL, 1);
		o->v = NULL;
		o->caps = NULL;
		o->n = 0;
		if (ppg_bearer_sip_reg_lookup(s, o->aor, ppg_clock_now_ms()))
			ppg_bearer_wake(&s->base, o->aor);
	}
	ppg_bearer_sip_caps_free(o->caps, o->n);
	db_binding_list_free(o->v, o->n);
	free(o);
}

void ppg_bearer_sip_reg_uaprof_stored(void *arg, const char *url)
{
	struct sip_bearer *s = arg;
	/* Every AoR with a terminal whose subscription names url (many
	 * terminals of one model share a document; it is fetched once per
	 * uaprof_ttl) is read again: one lazy job each. */
	if (s->stopping)
		return;
	for (unsigned i = 0; i < SIP_BINDING_BUCKETS; i++)
		for (struct sip_bentry *b = s->bindings[i]; b; b = b->next)
			for (size_t k = 0; b->caps && k < b->n; k++)
				if (b->caps[k].model && !strcmp(b->caps[k].model, url)) {
					/* the refresh replaces this entry later, in its job's after */
					ppg_bearer_sip_reg_refresh(s, b->aor);
					break;
				}
}

void ppg_bearer_sip_reg_refresh(struct sip_bearer *s, const char *aor)
{
	if (!*aor) {   /* everything: another node's ppgd_reg may have been missed */
		struct list_op *lo = calloc(1, sizeof *lo);
		if (!lo)
			return;
		lo->s = s;
		lo->resync = 1;
		if (ppg_core_write_lazy(s->core, load_write, load_after, lo) < 0)
			free(lo);
		return;
	}
	size_t l = strlen(aor);
	struct refresh_op *o = l < 512 ? calloc(1, sizeof *o + l + 1) : NULL;
	if (!o)
		return;
	o->s = s;
	memcpy(o->aor, aor, l + 1);
	if (ppg_core_write_lazy(s->core, refresh_write, refresh_after, o) < 0)
		free(o);
}

/* ------------------------------------------------------------ the purge */

static int purge_write(struct db *db, void *arg, int64_t now)
{
	struct sip_bearer *s = arg;
	int n = db_binding_purge(db, now);
	if (n > 0)
		LOGP(PPG_LOG_SIP, LOG_INFO, "%d SIP registration binding%s expired", n, n == 1 ? "" : "s");
	if (n < 0)
		return n;
	/* subscriptions whose dialog did not outlive a restart end here */
	n = db_subscription_purge(db, now);
	if (n > 0)
		LOGP(PPG_LOG_SIP, LOG_INFO, "%d ua-profile subscription%s expired", n, n == 1 ? "" : "s");
	if (n < 0)
		return n;
	/* UAProf documents older than their ttl that no subscription names */
	n = db_uaprof_purge(db, now - (int64_t)s->cfg->sip_uaprof_ttl * 1000);
	return n < 0 ? n : 0;
}

/* Drops what ended from the cache too (in memory: the rows are gone). */
static void purge_after(void *arg, int committed)
{
	struct sip_bearer *s = arg;
	int64_t now = ppg_clock_now_ms();
	(void)committed;
	s->purge_pending = 0;
	for (unsigned i = 0; i < SIP_BINDING_BUCKETS; i++)
		for (struct sip_bentry **pp = &s->bindings[i]; *pp;) {
			struct sip_bentry *b = *pp;
			size_t k = 0;
			for (size_t j = 0; j < b->n; j++) {
				if (b->v[j].expires > now) {
					if (b->caps)
						b->caps[k] = b->caps[j];
					b->v[k++] = b->v[j];
				} else {
					db_binding_clear(&b->v[j]);
					if (b->caps) {
						free(b->caps[j].accept);
						free(b->caps[j].apps);
						free(b->caps[j].model);
						free(b->caps[j].appids);
					}
				}
			}
			b->n = k;
			if (k) {
				pp = &b->next;
			} else {
				*pp = b->next;
				bentry_free(s, b);
			}
		}
}

static void on_purge(struct ppg_core *c, su_timer_t *t, void *arg)
{
	struct sip_bearer *s = arg;
	(void)c;
	(void)t;
	if (!s->purge_pending && !s->stopping && ppg_core_write_lazy(s->core, purge_write, purge_after, s) == 0)
		s->purge_pending = 1;
}

int ppg_bearer_sip_reg_start(struct sip_bearer *s)
{
	struct list_op *o = calloc(1, sizeof *o);
	if (!o)
		return -ENOMEM;
	o->s = s;
	if (ppg_core_write_lazy(s->core, load_write, load_after, o) < 0) {
		free(o);
		return -ENOMEM;
	}
	s->purge_timer = su_timer_create(su_root_task(s->root), SIP_PURGE_INTERVAL_MS);
	if (!s->purge_timer || su_timer_run(s->purge_timer, on_purge, s) < 0)
		return -ENOMEM;
	return 0;
}

void ppg_bearer_sip_reg_stop(struct sip_bearer *s)
{
	su_timer_destroy(s->purge_timer);
	s->purge_timer = NULL;
}

/* ------------------------------------------------------------ REGISTER */

/* Refused REGISTERs come per packet: at most 20 lines a second. [loop] */
static struct ppg_ratelimit refused_log = PPG_RATELIMIT_INIT;

int ppg_bearer_sip_reg_trusted(void *arg, const char *method, const struct sockaddr *from)
{
	struct sip_bearer *s = arg;
	int ok = s->cfg->sip_ntrusted &&   /* no trusted core configured: nobody */
	    ppg_cidr_match(s->cfg->sip_trusted, (int)s->cfg->sip_ntrusted, from);
	if (!ok) {
		char host[NI_MAXHOST] = "?";
		socklen_t sl = from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
		(void)getnameinfo(from, sl, host, sizeof host, NULL, 0, NI_NUMERICHOST);
		LOGP_RL(&refused_log, 20, PPG_LOG_SIP, LOG_NOTICE,
		    "%s from %s refused (403): not in [sip] trusted_cores", method, host);
	}
	return ok;
}

struct reg_op {
	struct sip_bearer *s;
	struct sipb_reg *pending;        /* the REGISTER to answer, or NULL (reg event) */
	void (*done)(void *arg, int ok); /* without pending: called once stored */
	void *done_arg;
	struct sipb_binding *b;          /* valid until the answer */
	size_t n;
	char aor[SIPB_MAX_BINDINGS][512];   /* normalized, one per b[i] */
	size_t naors;                    /* distinct AoRs, first in aors[] */
	char aors[SIP_MAX_AORS][512];
	struct db_binding *lists[SIP_MAX_AORS];   /* read back by the writer */
	size_t nlists[SIP_MAX_AORS];
	struct sip_tcaps *caps[SIP_MAX_AORS];
	struct sip_bentry *entries[SIP_MAX_AORS];   /* made by the writer (cache_set says why) */
	int ok;
};

static int reg_write(struct db *db, void *arg, int64_t now)
{
	struct reg_op *o = arg;
	int r = 0;
	for (size_t i = 0; i < o->n && r == 0; i++) {
		struct sipb_binding *b = &o->b[i];
		char apps[1024] = "";
		if (b->wildcard && b->reginfo) {
			/* a full reginfo document: what reginfo told goes, what a
			 * REGISTER told stays (issue 9 item 3) */
			r = db_binding_drop_origin(db, o->aor[i], DB_ORIGIN_REGINFO);
		} else if (b->wildcard) {
			r = db_binding_delete(db, o->aor[i], NULL);
		} else if (b->expires <= 0) {
			r = db_binding_delete(db, o->aor[i], b->contact);
		} else {
			for (size_t k = 0; k < b->napps; k++) {
				size_t l = strlen(apps);
				snprintf(apps + l, sizeof apps - l, "%s%s", l ? "," : "", b->apps[k]);
			}
			struct db_binding row = {
				.aor = o->aor[i], .contact = (char *)b->contact, .instance = (char *)b->instance,
				.gruu = (char *)b->gruu, .apps = apps,
				.expires = now + (int64_t)b->expires * 1000, .updated = now,
				.call_id = (char *)b->call_id, .cseq = b->cseq,
				.caps = b->sessions ? DB_CAP_SESSION : 0, .q = b->q,
				.temp_gruu = (char *)b->temp_gruu,
				.origin = b->reginfo ? DB_ORIGIN_REGINFO : DB_ORIGIN_REGISTER,
			};
			r = db_binding_upsert(db, &row);
		}
		if (r >= 0) {
			r = 0;
			if (b->wildcard || b->expires <= 0)
				LOGP(PPG_LOG_SIP, LOG_INFO, "registration %s -> %s removed", o->aor[i],
				    b->wildcard ? "*" : b->contact);
			else
				LOGP(PPG_LOG_SIP, LOG_INFO, "registration %s -> %s for %d s, applications \"%s\"%s",
				    o->aor[i], b->contact, b->expires, apps, b->sessions ? ", sessions" : "");
		}
	}
	/* a full reginfo document: the bindings of its AoRs that no one
	 * tells of any more go */
	for (size_t i = 0; i < o->n && r == 0; i++)
		if (o->b[i].wildcard && o->b[i].reginfo) {
			r = db_binding_delete_unowned(db, o->aor[i]);
			r = r < 0 ? r : 0;
		}
	/* The loop's cache takes the AoRs' bindings as they now are; so do
	 * the other nodes on the same PostgreSQL (NOTIFY at the commit). */
	for (size_t k = 0; k < o->naors && r == 0; k++) {
		r = db_binding_list(db, o->aors[k], now, &o->lists[k], &o->nlists[k]);
		if (r == 0)
			r = ppg_bearer_sip_caps_read(db, o->aors[k], o->lists[k], o->nlists[k], now, &o->caps[k]);
		if (r == 0 && o->nlists[k] && !o->entries[k])
			o->entries[k] = bentry_new(o->aors[k]);   /* NULL: cache_set makes it */
		if (r == 0 && db_engine_of(db) == DB_ENGINE_POSTGRESQL) {
			char payload[DB_NODE_MAX + sizeof o->aors[k] + 2];
			snprintf(payload, sizeof payload, "%s %s", db_node(db), o->aors[k]);
			r = db_notify(db, PPG_CLUSTER_REG, payload);
		}
	}
	if (r < 0)
		LOGP(PPG_LOG_DB, LOG_ERR, "cannot store a registration: %s", db_errmsg(db));
	o->ok = r == 0;
	return r;
}

/* The bindings are durable (or not): the 200 (or 500) goes out, the cache
 * takes them and the deliveries waiting on each AoR are woken. */
static void reg_after(void *arg, int committed)
{
	struct reg_op *o = arg;
	struct sip_bearer *s = o->s;
	int ok = committed && o->ok;
	int64_t now = ppg_clock_now_ms();

	for (size_t k = 0; k < o->naors; k++) {
		if (!ok) {
			ppg_bearer_sip_caps_free(o->caps[k], o->nlists[k]);
			db_binding_list_free(o->lists[k], o->nlists[k]);
			free(o->entries[k]);
			continue;
		}
		cache_set(s, o->aors[k], o->lists[k], o->nlists[k], o->caps[k], o->entries[k], 1);
		if (ppg_bearer_sip_reg_lookup(s, o->aors[k], now))
			ppg_bearer_wake(&s->base, o->aors[k]);
	}
	if (o->pending)
		sipb_register_answer(s->sip, o->pending, ok ? 200 : 500);
	else if (o->done)
		o->done(o->done_arg, ok);
	free(o);
}

/*
 * A trusted third-party REGISTER: its AoRs must be sip:, sips: or tel: URIs
 * (400 at once otherwise, nothing stored); the expiry is capped at
 * [sip] max_expires; the bindings are stored in one job and the REGISTER is
 * answered when that job is durable.
 */
int ppg_bearer_sip_reg_on_register(void *arg, struct sipb_binding *b, size_t n,
    const struct sockaddr *from, struct sipb_reg *pending)
{
	(void)from;
	return ppg_bearer_sip_reg_store(arg, b, n, pending, NULL, NULL);
}

int ppg_bearer_sip_reg_store(struct sip_bearer *s, struct sipb_binding *b, size_t n,
    struct sipb_reg *pending, void (*done)(void *arg, int ok), void *done_arg)
{
	if (s->stopping)
		return 503;
	struct reg_op *o = n <= SIPB_MAX_BINDINGS ? calloc(1, sizeof *o) : NULL;
	if (!o)
		return 500;
	o->s = s;
	o->pending = pending;
	o->done = done;
	o->done_arg = done_arg;
	o->b = b;
	o->n = n;
	for (size_t i = 0; i < n; i++) {
		if (sipb_aor_normalize(b[i].aor, o->aor[i], sizeof o->aor[i]) < 0) {
			LOGP_RL(&refused_log, 20, PPG_LOG_SIP, LOG_NOTICE,
			    "%s for \"%s\" refused: not a sip:, sips: or tel: AoR",
			    pending ? "REGISTER" : "reg event registration", b[i].aor);
			free(o);
			return 400;
		}
		if (!b[i].wildcard && b[i].expires > 0 && (unsigned)b[i].expires > s->cfg->sip_max_expires)
			b[i].expires = (int)s->cfg->sip_max_expires;
		size_t k;
		for (k = 0; k < o->naors && strcmp(o->aors[k], o->aor[i]); k++)
			;
		if (k == o->naors && o->naors < SIP_MAX_AORS)
			snprintf(o->aors[o->naors++], sizeof o->aors[0], "%s", o->aor[i]);
	}
	if (ppg_core_write(s->core, reg_write, reg_after, o) < 0) {
		free(o);
		return 500;
	}
	return SIPB_REGISTER_LATER;
}
