/*
 * ppg_bearer_sip_regevent.c - registrations learnt by subscribing to the reg
 * event package at the SIP/IP core (RFC 3680; OMA-TS-SIP_Push §9.1.2, the
 * second way besides third-party REGISTER), [sip] reg_event = yes.
 *
 * Which AoRs: on demand. When a push parks on an AoR with no registration
 * that fits it ([sip] no_binding = wait), the bearer asks for that AoR
 * (ppg_bearer_sip_regevent_want) and a SUBSCRIBE goes out; the AoRs of
 * [sip] reg_event_aors are subscribed from the start and never dropped.
 * A subscription is kept while the AoR has live bindings or deliveries wait
 * on it (the sweep asks the writer, db_delivery_waiting), else it is ended
 * with an un-SUBSCRIBE. One that the core ends (refused, a refresh failed,
 * NOTIFY terminated) is subscribed again after a backoff (1 s doubling to
 * 300 s, or the core's Retry-After / retry-after).
 *
 * With several nodes on one database only the node holding an AoR's lease
 * subscribes (ppg_bearer_sip_regown.c: claims, renewal, and the scan that
 * restores the subscriptions parked pushes need after a restart); the
 * others keep the entry as followers and learn the bindings from the
 * database.
 *
 * Each applied reginfo document becomes bindings exactly like a third-party
 * REGISTER's (ppg_bearer_sip_reg_store: the same table, cache and wake-up of
 * the parked deliveries): a full document first removes every binding of each
 * registration it lists (and of the subscribed AoR when it lists none), then
 * stores its active contacts; a partial one stores active contacts and
 * removes terminated ones. [loop], but for the *_write functions ([writer]).
 */
#define SU_ROOT_MAGIC_T struct ppg_core
#define SU_TIMER_ARG_T  void

#include "ppg/ppg_bearer_sip_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ppg/ppg_hash.h"
#include "ppg/ppg_log.h"
#include "sipbearer/sipb_reginfo.h"

#define REGEV_BUCKETS 1024
#define REGEV_MAX 65536               /* subscriptions at most (on demand ones) */
#define REGEV_SWEEP_MS 30000
#define REGEV_GRACE_MS 60000          /* an on-demand AoR is kept this long after it was asked for */
#define REGEV_BACKOFF_MIN_MS 1000
#define REGEV_BACKOFF_MAX_MS 300000
#define REGEV_SWEEP_MAX 256           /* AoRs checked per sweep */

struct regev_entry {
	struct ppg_regevent *r;
	char *aor;                       /* the AoR key (sipb_aor_normalize) */
	struct sipb_regsub *rs;          /* NULL while waiting to subscribe again */
	su_timer_t *timer;               /* the backoff */
	unsigned backoff_ms;
	int pinned;                      /* [sip] reg_event_aors */
	int active;                      /* a 2xx came */
	int own;                         /* REGEV_OWNER: this node subscribes */
	int followed;                    /* another node held it (a take-over is logged) */
	int64_t wanted;                  /* when a push last asked for it */
	struct regev_entry *next;
};

enum { REGEV_CLAIMING = -1, REGEV_FOLLOWER = 0, REGEV_OWNER = 1 };

struct ppg_regevent {
	struct sip_bearer *s;
	struct regev_entry *b[REGEV_BUCKETS];
	size_t n;
	size_t nowned;                   /* entries in REGEV_OWNER */
	su_timer_t *sweep;
	int sweep_pending;
	int full_logged;
};

/* ----------------------------------------------------------- the table */

static struct regev_entry **slot(struct ppg_regevent *r, const char *aor)
{
	struct regev_entry **pp = &r->b[ppg_hash_str(aor) % REGEV_BUCKETS];
	while (*pp && strcmp((*pp)->aor, aor))
		pp = &(*pp)->next;
	return pp;
}

static void entry_free(struct regev_entry *e)
{
	su_timer_destroy(e->timer);
	free(e->aor);
	free(e);
}

static void entry_drop(struct ppg_regevent *r, struct regev_entry *e)
{
	struct regev_entry **pp = slot(r, e->aor);
	if (*pp == e) {
		*pp = e->next;
		r->n--;
	}
	if (e->rs)
		sipb_regevent_unsubscribe(r->s->sip, e->rs);
	if (e->own == REGEV_OWNER) {
		r->nowned--;
		ppg_bearer_sip_regown_release(r->s, e->aor);
	}
	entry_free(e);
}

static void subscribe(struct regev_entry *e)
{
	struct sip_bearer *s = e->r->s;
	const char *server = s->cfg->sip_reg_event_server && *s->cfg->sip_reg_event_server ?
	    s->cfg->sip_reg_event_server : NULL;
	int rc = sipb_regevent_subscribe(s->sip, e->aor, server, s->cfg->sip_reg_event_expires, e, &e->rs);
	if (rc < 0) {
		e->rs = NULL;
		LOGP(PPG_LOG_SIP, LOG_ERR, "reg event: cannot subscribe to %s: %s", e->aor, strerror(-rc));
	}
}

static void on_backoff(struct ppg_core *c, su_timer_t *t, void *arg)
{
	struct regev_entry *e = arg;
	(void)c;
	(void)t;
	if (!e->rs && !e->r->s->stopping && e->own == REGEV_OWNER)
		subscribe(e);
}

static struct regev_entry *entry_add(struct ppg_regevent *r, const char *aor, int pinned)
{
	struct regev_entry **pp = slot(r, aor);
	if (*pp)
		return *pp;
	if (r->n >= REGEV_MAX) {
		if (!r->full_logged++)
			LOGP(PPG_LOG_SIP, LOG_WARNING, "reg event: %u subscriptions, no more on demand", REGEV_MAX);
		return NULL;
	}
	struct regev_entry *e = calloc(1, sizeof *e);
	if (!e || !(e->aor = strdup(aor)) ||
	    !(e->timer = su_timer_create(su_root_task(r->s->root), REGEV_BACKOFF_MIN_MS))) {
		if (e)
			free(e->aor);
		free(e);
		return NULL;
	}
	e->r = r;
	e->pinned = pinned;
	e->wanted = ppg_clock_now_ms();
	e->own = REGEV_CLAIMING;
	*pp = e;
	r->n++;
	const char *a = e->aor;
	ppg_bearer_sip_regown_claim(r->s, &a, 1);   /* subscribes once this node holds it */
	return e;
}

void ppg_bearer_sip_regevent_want(struct sip_bearer *s, const char *aor)
{
	struct ppg_regevent *r = s->regevent;
	if (!r || s->stopping || strncasecmp(aor, "sip", 3))
		return;   /* a tel: AoR has no reg event subscription of its own */
	struct regev_entry *e = *slot(r, aor);
	if (e)
		e->wanted = ppg_clock_now_ms();
	else if ((e = entry_add(r, aor, 0)))
		LOGP(PPG_LOG_SIP, LOG_INFO, "reg event: a push waits for %s: subscribing", aor);   /* once held */
}

/* ------------------------------------------- holding the subscription */

void ppg_bearer_sip_regevent_claimed(struct sip_bearer *s, const char *aor, int owned)
{
	struct ppg_regevent *r = s->regevent;
	struct regev_entry *e = r ? *slot(r, aor) : NULL;
	if (!e) {
		if (owned > 0)   /* dropped meanwhile */
			ppg_bearer_sip_regown_release(s, aor);
		return;
	}
	if (owned < 0) {   /* the database did not answer: the next renewal or scan tries again */
		if (e->own == REGEV_CLAIMING)
			e->own = REGEV_FOLLOWER;
		return;
	}
	if (owned) {
		if (e->own != REGEV_OWNER) {
			r->nowned++;
			if (e->followed)
				LOGP(PPG_LOG_SIP, LOG_NOTICE, "reg event: no other node subscribes to %s now: "
				    "taking it over", e->aor);
		}
		e->own = REGEV_OWNER;
		e->followed = 0;
		if (!e->rs && !su_timer_is_set(e->timer))
			subscribe(e);
		return;
	}
	if (e->own == REGEV_OWNER) {
		r->nowned--;
		LOGP(PPG_LOG_SIP, LOG_WARNING, "reg event: another node holds the subscription to %s now: "
		    "unsubscribing here", e->aor);
		if (e->rs)
			sipb_regevent_unsubscribe(s->sip, e->rs);
		e->rs = NULL;
		e->active = 0;
		su_timer_reset(e->timer);
	} else if (e->own == REGEV_CLAIMING) {
		LOGP(PPG_LOG_SIP, LOG_INFO, "reg event: another node subscribes to %s; its registrations "
		    "come through the database", e->aor);
	}
	e->own = REGEV_FOLLOWER;
	e->followed = 1;
}

void ppg_bearer_sip_regevent_adopt(struct sip_bearer *s, const char *aor)
{
	struct ppg_regevent *r = s->regevent;
	if (!r || s->stopping || strncasecmp(aor, "sip", 3))
		return;
	struct regev_entry *e = *slot(r, aor);
	if (!e) {
		entry_add(r, aor, 0);
		return;
	}
	e->wanted = ppg_clock_now_ms();
	if (e->own == REGEV_FOLLOWER) {
		e->own = REGEV_CLAIMING;
		const char *a = e->aor;
		ppg_bearer_sip_regown_claim(s, &a, 1);
	}
}

size_t ppg_bearer_sip_regevent_nowned(struct sip_bearer *s)
{
	return s->regevent ? s->regevent->nowned : 0;
}

void ppg_bearer_sip_regevent_reclaim(struct sip_bearer *s, int owners)
{
	struct ppg_regevent *r = s->regevent;
	const char *batch[256];
	size_t n = 0;
	for (unsigned i = 0; r && i < REGEV_BUCKETS; i++)
		for (struct regev_entry *e = r->b[i]; e; e = e->next) {
			if (!((e->own == REGEV_FOLLOWER && e->pinned) || (owners && e->own == REGEV_OWNER)))
				continue;
			batch[n++] = e->aor;
			if (n == sizeof batch / sizeof batch[0]) {
				ppg_bearer_sip_regown_claim(s, batch, n);
				n = 0;
			}
		}
	if (n)
		ppg_bearer_sip_regown_claim(s, batch, n);
}

/* --------------------------------------------- documents -> bindings */

struct store_op {                   /* one ppg_bearer_sip_reg_store job */
	struct sipb_binding b[SIPB_MAX_BINDINGS];
	size_t n;
	char *strs[SIPB_MAX_BINDINGS * 24];  /* what the bindings point to: 5 strings,
	                                      * 16 applications and a list each at most */
	size_t nstrs;
};

static void store_done(void *arg, int ok)
{
	struct store_op *o = arg;
	if (!ok)
		LOGP(PPG_LOG_SIP, LOG_ERR, "reg event: cannot store registrations learnt by NOTIFY");
	for (size_t i = 0; i < o->nstrs; i++)
		free(o->strs[i]);
	free(o);
}

static const char *keep(struct store_op *o, const char *v)
{
	char *c = v && o->nstrs < sizeof o->strs / sizeof o->strs[0] ? strdup(v) : NULL;
	if (c)
		o->strs[o->nstrs++] = c;
	return c;
}

static void flush(struct sip_bearer *s, struct store_op **op)
{
	struct store_op *o = *op;
	*op = NULL;
	if (!o || !o->n) {
		if (o)
			store_done(o, 1);
		return;
	}
	int rc = ppg_bearer_sip_reg_store(s, o->b, o->n, NULL, store_done, o);
	if (rc != SIPB_REGISTER_LATER) {
		LOGP(PPG_LOG_SIP, LOG_NOTICE, "reg event: registrations not stored (%d)", rc);
		store_done(o, 1);
	}
}

/* Adds one binding to the job in progress (a new job when it is full). */
static struct sipb_binding *add(struct sip_bearer *s, struct store_op **op)
{
	if (*op && (*op)->n == SIPB_MAX_BINDINGS)
		flush(s, op);
	if (!*op && !(*op = calloc(1, sizeof **op)))
		return NULL;
	return &(*op)->b[(*op)->n++];
}

static void contact_binding(struct sip_bearer *s, struct store_op **op, const char *aor,
    const struct sipb_reginfo_contact *c, int gone)
{
	struct sipb_binding *b = add(s, op);
	if (!b)
		return;
	struct store_op *o = *op;
	b->aor = keep(o, aor);
	b->contact = keep(o, c->uri);
	b->instance = c->instance ? keep(o, c->instance) : NULL;
	b->gruu = c->pub_gruu ? keep(o, c->pub_gruu) : NULL;
	b->temp_gruu = c->temp_gruu ? keep(o, c->temp_gruu) : NULL;
	b->reginfo = 1;
	b->call_id = c->call_id ? c->call_id : "reg-event";
	b->call_id = keep(o, b->call_id);
	b->cseq = c->cseq;
	b->sessions = c->sessions;
	b->q = c->q1000;   /* -1 when the reginfo gives none, as for a REGISTER */
	if (gone || !c->active)
		b->expires = 0;
	else
		b->expires = c->expires >= 0 ? (int)c->expires : (int)s->cfg->sip_reg_event_expires + 60;
	if (!b->aor || !b->contact || (c->instance && !b->instance) || (c->pub_gruu && !b->gruu) ||
	    (c->temp_gruu && !b->temp_gruu) ||
	    !b->call_id) {
		o->n--;   /* out of memory: this one is left out */
		return;
	}
	for (size_t k = 0; k < c->napps && k < 16; k++)
		b->apps[b->napps++] = keep(o, c->apps[k]);
	if (!c->napps && s->cfg->sip_reg_event_apps && *s->cfg->sip_reg_event_apps) {
		char *list = (char *)keep(o, s->cfg->sip_reg_event_apps), *save = NULL;
		for (char *t = list ? strtok_r(list, ", \t", &save) : NULL; t && b->napps < 16;
		    t = strtok_r(NULL, ", \t", &save))
			b->apps[b->napps++] = t;
	}
	/* keep() may fail on a small string: drop the NULLs */
	size_t k = 0;
	for (size_t i = 0; i < b->napps; i++)
		if (b->apps[i])
			b->apps[k++] = b->apps[i];
	b->napps = k;
}

static void wildcard(struct sip_bearer *s, struct store_op **op, const char *aor)
{
	struct sipb_binding *b = add(s, op);
	if (!b)
		return;
	if (!(b->aor = keep(*op, aor))) {
		(*op)->n--;
		return;
	}
	b->contact = "*";
	b->call_id = "reg-event";
	b->wildcard = 1;
	b->reginfo = 1;
}

static void apply(struct regev_entry *e, const struct sipb_reginfo *ri)
{
	struct sip_bearer *s = e->r->s;
	struct store_op *op = NULL;
	int listed = 0;
	size_t active = 0, gone = 0;

	for (size_t i = 0; i < ri->nregs; i++) {
		const struct sipb_reginfo_reg *g = &ri->regs[i];
		char key[512];
		if (sipb_aor_normalize(g->aor, key, sizeof key) < 0) {
			LOGP(PPG_LOG_SIP, LOG_NOTICE, "reg event for %s: registration of \"%.200s\" skipped: "
			    "not a sip:, sips: or tel: AoR", e->aor, g->aor);
			continue;
		}
		listed |= !strcmp(key, e->aor);
		if (ri->state == SIPB_REGINFO_FULL || g->state == SIPB_REG_TERMINATED)
			wildcard(s, &op, key);
		for (size_t k = g->first; k < g->first + g->n; k++) {
			const struct sipb_reginfo_contact *c = &ri->contacts[k];
			int off = g->state == SIPB_REG_TERMINATED || !c->active;
			if (off && ri->state == SIPB_REGINFO_FULL)
				continue;   /* the wildcard removed it already */
			if (off && g->state == SIPB_REG_TERMINATED)
				continue;
			contact_binding(s, &op, key, c, off);
			if (off)
				gone++;
			else
				active++;
		}
	}
	if (ri->state == SIPB_REGINFO_FULL && !listed)
		wildcard(s, &op, e->aor);
	LOGP(PPG_LOG_SIP, LOG_INFO, "reg event for %s: %s state version %lu, %zu registration%s, "
	    "%zu active contact%s, %zu removed", e->aor, ri->state == SIPB_REGINFO_FULL ? "full" : "partial",
	    ri->version, ri->nregs, ri->nregs == 1 ? "" : "s", active, active == 1 ? "" : "s", gone);
	flush(s, &op);
}

/* ------------------------------------------------------ agent events */

static void on_regev(void *arg, struct sipb_regsub *rs, void *cookie, const struct sipb_regev *ev)
{
	struct ppg_regevent *r = arg;
	struct regev_entry *e = cookie;
	(void)rs;
	if (!e || r->s->stopping)
		return;
	switch (ev->kind) {
	case SIPB_REGEV_ACTIVE:
		if (!e->active)
			LOGP(PPG_LOG_SIP, LOG_NOTICE, "reg event: subscribed to %s for %u s", e->aor, ev->expires);
		e->active = 1;
		e->backoff_ms = 0;
		break;
	case SIPB_REGEV_STATE:
		apply(e, ev->info);
		break;
	case SIPB_REGEV_UNKNOWN:
		LOGP(PPG_LOG_SIP, LOG_NOTICE, "reg event for %s: state unknown (%s): refreshing for full state",
		    e->aor, ev->why);
		break;
	case SIPB_REGEV_ENDED: {
		e->rs = NULL;
		e->active = 0;
		unsigned ms = e->backoff_ms ? e->backoff_ms * 2 : REGEV_BACKOFF_MIN_MS;
		if (ms > REGEV_BACKOFF_MAX_MS)
			ms = REGEV_BACKOFF_MAX_MS;
		e->backoff_ms = ms;
		if (ev->retry_after > 0)
			ms = (unsigned)(ev->retry_after > 86400 ? 86400 : ev->retry_after) * 1000u;
		if (ev->status)
			LOGP(PPG_LOG_SIP, LOG_WARNING, "reg event: SUBSCRIBE for %s answered %d %s: again in %u s",
			    e->aor, ev->status, ev->why, ms / 1000);
		else
			LOGP(PPG_LOG_SIP, LOG_NOTICE, "reg event: the core ended the subscription to %s (%s): "
			    "again in %u s", e->aor, ev->why, ms / 1000);
		su_timer_set_interval(e->timer, on_backoff, e, ms);
		break;
	}
	}
}

/* ------------------------------------------------------------ the sweep */

struct sweep_op {
	struct ppg_regevent *r;
	size_t n;
	char *aor[REGEV_SWEEP_MAX];
	int waiting[REGEV_SWEEP_MAX];
};

static int sweep_write(struct db *db, void *arg, int64_t now)
{
	struct sweep_op *o = arg;
	(void)now;
	for (size_t i = 0; i < o->n; i++) {
		struct db_delivery *v = NULL;
		size_t n = 0;
		if (db_delivery_waiting(db, o->aor[i], 1, &v, &n) < 0)
			o->waiting[i] = 1;   /* in doubt: keep it */
		else
			o->waiting[i] = n > 0;
		db_delivery_list_free(v, n);
	}
	return 0;
}

static void sweep_after(void *arg, int committed)
{
	struct sweep_op *o = arg;
	struct ppg_regevent *r = o->r;
	int64_t now = ppg_clock_now_ms();
	r->sweep_pending = 0;
	for (size_t i = 0; i < o->n; i++) {
		struct regev_entry *e = r->s->stopping ? NULL : *slot(r, o->aor[i]);
		if (e && committed && !o->waiting[i] && !e->pinned && now - e->wanted > REGEV_GRACE_MS &&
		    !ppg_bearer_sip_reg_lookup(r->s, e->aor, now)) {
			LOGP(PPG_LOG_SIP, LOG_INFO, "reg event: nothing waits for %s and it has no registration: "
			    "unsubscribing", e->aor);
			entry_drop(r, e);
		}
		free(o->aor[i]);
	}
	free(o);
}

static void on_sweep(struct ppg_core *c, su_timer_t *t, void *arg)
{
	struct ppg_regevent *r = arg;
	int64_t now = ppg_clock_now_ms();
	(void)c;
	(void)t;
	if (r->sweep_pending || r->s->stopping)
		return;
	struct sweep_op *o = calloc(1, sizeof *o);
	for (unsigned i = 0; o && i < REGEV_BUCKETS && o->n < REGEV_SWEEP_MAX; i++)
		for (struct regev_entry *e = r->b[i]; e && o->n < REGEV_SWEEP_MAX; e = e->next)
			if (!e->pinned && now - e->wanted > REGEV_GRACE_MS && !ppg_bearer_sip_reg_lookup(r->s, e->aor, now) &&
			    (o->aor[o->n] = strdup(e->aor)))
				o->n++;
	if (!o || !o->n) {
		free(o);
		return;
	}
	o->r = r;
	if (ppg_core_write_lazy(r->s->core, sweep_write, sweep_after, o) == 0) {
		r->sweep_pending = 1;
	} else {
		for (size_t i = 0; i < o->n; i++)
			free(o->aor[i]);
		free(o);
	}
}

/* ------------------------------------------------------ start and stop */

int ppg_bearer_sip_regevent_start(struct sip_bearer *s, char *err, size_t errlen)
{
	if (!s->cfg->sip_reg_event)
		return 0;
	struct ppg_regevent *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->s = s;
	s->regevent = r;
	sipb_set_regevent_handler(s->sip, on_regev, r);
	int orc = ppg_bearer_sip_regown_start(s, err, errlen);
	if (orc < 0)
		return orc;
	r->sweep = su_timer_create(su_root_task(s->root), REGEV_SWEEP_MS);
	if (!r->sweep || su_timer_run(r->sweep, on_sweep, r) < 0) {
		snprintf(err, errlen, "cannot start the reg event sweep");
		return -ENOMEM;
	}
	char *list = strdup(s->cfg->sip_reg_event_aors ? s->cfg->sip_reg_event_aors : ""), *save = NULL;
	if (!list) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = 0;
	size_t n = 0;
	for (char *t = strtok_r(list, ", \t", &save); t && rc == 0; t = strtok_r(NULL, ", \t", &save)) {
		char key[512];
		if (strncasecmp(t, "sip", 3) || sipb_aor_normalize(t, key, sizeof key) < 0) {
			snprintf(err, errlen, "[sip] reg_event_aors: \"%.200s\" is no sip: or sips: AoR", t);
			rc = -EINVAL;
		} else if (!entry_add(r, key, 1)) {
			snprintf(err, errlen, "[sip] reg_event_aors: cannot subscribe to %s", key);
			rc = -ENOMEM;
		} else {
			n++;
		}
	}
	free(list);
	if (rc == 0)
		LOGP(PPG_LOG_SIP, LOG_NOTICE, "reg event: registrations are learnt from the core (RFC 3680), "
		    "subscriptions of %u s %s%s; %zu AoR%s subscribed from the start, others on demand",
		    s->cfg->sip_reg_event_expires,
		    s->cfg->sip_reg_event_server && *s->cfg->sip_reg_event_server ? "routed to " : "through ",
		    s->cfg->sip_reg_event_server && *s->cfg->sip_reg_event_server ? s->cfg->sip_reg_event_server :
		    s->cfg->sip_outbound_proxy ? s->cfg->sip_outbound_proxy : "the AoRs' domains", n, n == 1 ? "" : "s");
	return rc;
}

void ppg_bearer_sip_regevent_stop(struct sip_bearer *s)
{
	struct ppg_regevent *r = s ? s->regevent : NULL;
	if (!r)
		return;
	ppg_bearer_sip_regown_stop(s);
	s->regevent = NULL;
	sipb_set_regevent_handler(s->sip, NULL, NULL);
	su_timer_destroy(r->sweep);
	/* The handles go with sipb_free (the stack's shutdown ends the dialogs). */
	for (unsigned i = 0; i < REGEV_BUCKETS; i++)
		while (r->b[i]) {
			struct regev_entry *e = r->b[i];
			r->b[i] = e->next;
			entry_free(e);
		}
	free(r);
}
