/*
 * ppg_deliver.c - the delivery engine on the loop: which bearer takes a
 * delivery (ppg_select with quality of service, the stored fallback), the
 * attempts under way, the bearers' reports, and the engine's life cycle.
 *
 * A delivery's life: the core commits it leased (next_attempt in the future)
 * and hands it over (ppg_deliver_run), or the scheduler leases it
 * (ppg_sched.c); the engine picks a bearer and hands it one attempt; the
 * bearer reports back (ppg_bearer.h) and the engine writes the outcome in
 * the next batch (ppg_deliver_write.c): a final state, or pending with the
 * retry time as next_attempt, or pending with the fallback bearer stored.
 * A delivery that a batch made final while an attempt of it was under way
 * (cancel, replace, expiry) is let go: the bearer forgets it.
 */
#define SU_ROOT_MAGIC_T struct ppg_core
#define SU_TIMER_ARG_T  void

#include "ppg/ppg_deliver_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pap/pap.h"
#include "ppg/ppg_content.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_select.h"

/* ------------------------------------------------------------- attempts */

static unsigned attempt_bucket(int64_t delivery)
{
	return (unsigned)((uint64_t)delivery * 0x9E3779B97F4A7C15ULL >> 52) % PPG_ATTEMPT_BUCKETS;
}

struct ppg_attempt *ppg_deliver_attempt_find(struct ppg_deliver *e, int64_t delivery)
{
	for (struct ppg_attempt *a = e->attempts[attempt_bucket(delivery)]; a; a = a->next)
		if (a->a.delivery == delivery)
			return a;
	return NULL;
}

static struct ppg_attempt *attempt_new(struct ppg_deliver *e, struct ppg_bearer *b, int64_t delivery,
    struct ppg_push *p, int type, const char *target, const char *why)
{
	struct ppg_attempt *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->e = e;
	a->b = b;
	a->p = p;
	p->refs++;
	snprintf(a->target, sizeof a->target, "%s", target);
	snprintf(a->why, sizeof a->why, "%s", why);
	a->a.delivery = delivery;
	a->a.push = p;
	a->a.addr_type = type;
	a->a.target = a->target;
	a->a.why = a->why;
	unsigned h = attempt_bucket(delivery);
	a->next = e->attempts[h];
	e->attempts[h] = a;
	e->nattempts++;
	return a;
}

static void attempt_free(struct ppg_attempt *a)
{
	struct ppg_deliver *e = a->e;
	for (struct ppg_attempt **pp = &e->attempts[attempt_bucket(a->a.delivery)]; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			e->nattempts--;
			break;
		}
	ppg_push_unref(a->p);
	free(a);
}

/* The bearer lets go of an attempt it will never report on again. */
static void attempt_forget(struct ppg_attempt *a)
{
	if (a->b->ops->forget)
		a->b->ops->forget(a->b, &a->a);
	attempt_free(a);
}

void ppg_deliver_attempt_cut(struct ppg_attempt *a)
{
	attempt_forget(a);
}

unsigned ppg_deliver_attempts(const struct ppg_deliver *e)
{
	return e ? e->nattempts : 0;
}

unsigned ppg_deliver_inflight(struct ppg_deliver *e)
{
	unsigned n = 0;
	for (size_t i = 0; i < e->nbearers; i++)
		if (e->bearers[i]->ops->inflight)
			n += e->bearers[i]->ops->inflight(e->bearers[i]);
	return n;
}

/* ------------------------------------------------------------- reports */

/* What a bearer tells the engine (ppg_bearer_env.report). */
static void on_report(void *engine, const struct ppg_bearer_report *r)
{
	struct ppg_deliver *e = engine;
	struct ppg_attempt *a = (struct ppg_attempt *)r->attempt;

	switch (r->kind) {
	case PPG_REPORT_WAKE:
		if (!e->stopping && r->target)
			ppg_deliver_write_wake(e, r->target, r->here);
		return;
	case PPG_REPORT_RECEIPT:
		if (!e->stopping && r->target)
			ppg_deliver_write_receipt(e, r->target, r->ok, r->state, r->desc ? r->desc : "");
		return;
	case PPG_REPORT_OUTCOME:
	case PPG_REPORT_FINAL:
		if (!e->stopping)
			ppg_deliver_write_report(e, a, r);
		if (r->desc && *r->desc)
			LOGPUSH(PPG_LOG_CORE, LOG_DEBUG, a->p->pi, a->p->push_id, "delivery %lld: %s",
			    (long long)a->a.delivery, r->desc);
		break;
	case PPG_REPORT_PARK:
		if (!e->stopping)
			ppg_deliver_write_park(e, a->a.delivery, a->lease_gen, r->when, r->target,
			    r->desc ? r->desc : "");
		break;
	case PPG_REPORT_RELEASE:
		if (!e->stopping)
			ppg_deliver_write_release(e, a->a.delivery, a->lease_gen);
		break;
	}
	if (r->end)
		attempt_free(a);
}

/* ---------------------------------------------------- bearer selection */

/* Picks the bearer of one delivery and starts its attempt. */
void ppg_deliver_dispatch(struct ppg_deliver *e, struct ppg_push *p, int64_t delivery, int type,
    const char *value, int bearer, int64_t lease_gen, int64_t now)
{
	char sip_target[512] = "";
	struct ppg_select_out out;
	struct ppg_bearer *sip = e->by_kind[PPG_BEARER_SIP];
	struct ppg_attempt *busy = ppg_deliver_attempt_find(e, delivery);

	if (busy) {
		/* Already under way here, and this node claimed it again (its
		 * lease ran out meanwhile): the attempt runs under the new lease. */
		if (lease_gen > busy->lease_gen)
			busy->lease_gen = lease_gen;
		return;
	}
	if (p->deliver_before && now >= p->deliver_before)
		return;   /* the expiry sweep ends it */
	int is_sip = sip && sip->ops->target(sip, type, value, sip_target, sizeof sip_target) == 0;
	struct ppg_select_in in = {
		.addr_type = type,
		.sip_target = is_sip,
		.sip_enabled = sip != NULL,
		.udp_enabled = e->by_kind[PPG_BEARER_UDP] != NULL,
		.sms_enabled = e->by_kind[PPG_BEARER_SMS] != NULL,
		.sip_live = is_sip && !p->app_error && sip->ops->live(sip, sip_target, p, now),
		.plmn_fallback = e->cfg->ota_plmn_fallback,
		.delivery_method = p->delivery_method,
		.network_required = p->network_required, .network = p->network,
		.bearer_required = p->bearer_required, .bearer = p->bearer,
		.networks = e->cfg->ota_networks, .sip_bearers = e->cfg->sip_bearers,
		.ip_bearers = e->cfg->ota_ip_bearers, .sms_bearers = e->cfg->ota_sms_bearers,
	};
	ppg_select(&in, &out);
	/* A SIP attempt ended "not reachable": the fallback stored with the
	 * delivery (ppg_deliver_write.c) sends it over SMS from now on. */
	if (bearer == PPG_BEARER_SMS && in.sms_enabled && type == PAP_ADDR_PLMN) {
		out.bearer = PPG_BEARER_SMS;
		snprintf(out.why, sizeof out.why, "bearer OTA/SMS: SIP Push could not reach the terminal");
	}
	struct ppg_log_push lf = { .pi = p->pi, .push_id = p->push_id,
		.bearer = ppg_select_bearer_name(out.bearer), .code = out.bearer ? 0 : out.code,
		.delivery = (long long)delivery };
	LOGPUSHF(PPG_LOG_CORE, LOG_INFO, &lf, "delivery %lld: %s", (long long)delivery, out.why);
	struct ppg_bearer *b = out.bearer > PPG_BEARER_NONE && out.bearer <= PPG_BEARER_SMS
	    ? e->by_kind[out.bearer] : NULL;
	if (!b) {
		if (out.code)
			ppg_deliver_write_final(e, delivery, lease_gen, DB_STATE_REJECTED, out.code, out.why);
		else
			ppg_deliver_write_park(e, delivery, lease_gen, PPG_NEVER, NULL, out.why);
		return;
	}
	char target[512];
	if (b == sip)
		snprintf(target, sizeof target, "%s", sip_target);
	else if (b->ops->target(b, type, value, target, sizeof target) < 0)
		snprintf(target, sizeof target, "%s", value);
	/* "bearer OTA/SMS: <why>" -> "<why>" for the outcome's desc */
	const char *why = b->ops->kind == PPG_BEARER_SMS && strchr(out.why, ':')
	    ? strchr(out.why, ':') + 2 : "";
	struct ppg_attempt *a = attempt_new(e, b, delivery, p, type, target, why);
	if (!a) {
		ppg_deliver_write_release(e, delivery, lease_gen);
		return;
	}
	a->lease_gen = lease_gen;
	/* The lease began at its claim, before now: half of it from now is
	 * well before its end (ppg_deliver_renew.c). */
	a->renew_at = now + ppg_deliver_write_lease_ms(e) / 2;
	b->ops->send(b, &a->a);
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int ppg_deliver_ended(const struct ppg_deliver *e, int64_t delivery)
{
	return e->nended && bsearch(&delivery, e->ended, e->nended, sizeof *e->ended, cmp_id);
}

/* [loop] The deliveries a durable batch made final: let go of their attempts. */
static void on_finalized(void *arg, const int64_t *ids, size_t n)
{
	struct ppg_deliver *e = arg;
	/* The pushes the same batch accepted run next (ppg_deliver_run): one
	 * cancelled or replaced in that batch must not be attempted. Kept until
	 * the next batch that ends some: later jobs are new deliveries. */
	int64_t *v = n ? realloc(e->ended, n * sizeof *v) : NULL;
	e->nended = 0;
	if (v) {
		memcpy(v, ids, n * sizeof *v);
		qsort(v, n, sizeof *v, cmp_id);
		e->ended = v;
		e->nended = n;
	}
	for (size_t i = 0; i < n && e->nattempts; i++) {
		struct ppg_attempt *a = ppg_deliver_attempt_find(e, ids[i]);
		if (!a)
			continue;
		LOGPUSH(PPG_LOG_CORE, LOG_DEBUG, a->p->pi, a->p->push_id,
		    "delivery %lld ended meanwhile: the %s attempt is let go", (long long)ids[i],
		    a->b->ops->name);
		attempt_forget(a);
	}
}

void ppg_deliver_run(void *arg, void *job, int64_t now)
{
	struct ppg_deliver *e = arg;
	struct ppg_deliver_job *j = job;
	for (size_t i = 0; !e->stopping && i < j->n; i++) {
		if (ppg_deliver_ended(e, j->d[i].id))
			continue;   /* cancelled or replaced in the batch that accepted it */
		if (ppg_deliver_inflight(e) >= e->cfg->sip_window)
			ppg_deliver_write_release(e, j->d[i].id, 0);   /* the tick takes it when there is room */
		else   /* inserted leased: generation 0 */
			ppg_deliver_dispatch(e, j->p, j->d[i].id, j->d[i].type, j->d[i].value, 0, 0, now);
	}
	ppg_deliver_write_job_free(j);
}

/* ------------------------------------------------------------ life cycle */

static void on_stop(void *arg)
{
	struct ppg_deliver *e = arg;
	e->stopping = 1;
	ppg_sched_stop(e);
}

static void on_free(void *arg)
{
	struct ppg_deliver *e = arg;
	if (!e)
		return;
	e->stopping = 1;
	ppg_sched_stop(e);
	/* Attempts under way are abandoned: pending in the database, due again
	 * after a restart. Bearers end theirs as they are freed. */
	for (unsigned i = 0; i < PPG_ATTEMPT_BUCKETS; i++)
		while (e->attempts[i])
			attempt_forget(e->attempts[i]);
	for (size_t i = e->nbearers; i-- > 0;)
		e->bearers[i]->ops->free(e->bearers[i]);
	free(e->ended);
	ppg_config_free(e->apps_cfg);
	free(e);
}

static void take_policies(struct ppg_deliver *e, const struct ppg_config *cfg)
{
	e->sip_pol.retry_min_s = cfg->sip_retry_min;
	e->sip_pol.retry_max_s = cfg->sip_retry_max;
	e->sip_pol.max_attempts = cfg->sip_max_attempts;
	e->ota_pol.retry_min_s = cfg->ota_retry_min;
	e->ota_pol.retry_max_s = cfg->ota_retry_max;
	e->ota_pol.max_attempts = cfg->ota_max_attempts;
}

/* [writer] A reload: the retry policies and [apps] read on the writer. A
 * retry already scheduled keeps its time; the next outcome uses the new policy. */
/* [loop] A wake-up from another node (ppg_core_hooks.remote). */
static void on_remote(void *arg, const char *channel, const char *what)
{
	struct ppg_deliver *e = arg;
	if (e->stopping)
		return;
	if (!strcmp(channel, PPG_CLUSTER_DUE)) {
		ppg_sched_lease(e);
	} else if (!strcmp(channel, PPG_CLUSTER_FETCHED) && what) {
		long long d = strtoll(what, NULL, 10);
		if (d > 0 && e->content)
			ppg_content_fetched(e->content, d);   /* an attempt of this node waits for it */
	} else if (!strcmp(channel, PPG_CLUSTER_TAKE) && what && *what) {
		for (size_t i = 0; i < e->nbearers; i++)
			if (e->bearers[i]->ops->take)
				e->bearers[i]->ops->take(e->bearers[i], what);
	} else if (!strcmp(channel, PPG_CLUSTER_REG) && what) {   /* "": every AoR */
		for (size_t i = 0; i < e->nbearers; i++)
			if (e->bearers[i]->ops->refresh)
				e->bearers[i]->ops->refresh(e->bearers[i], what);
	}
}

static void on_reload(void *arg, const struct ppg_config *cfg)
{
	struct ppg_deliver *e = arg;
	take_policies(e, cfg);
	struct ppg_config *old = e->apps_cfg;
	e->apps_cfg = ppg_config_ref(cfg);
	ppg_config_free(old);
}

int ppg_deliver_start(struct ppg_core *core, su_root_t *root, const struct ppg_config *cfg,
    struct ppg_content *content, const ppg_bearer_new_fn *bearers, size_t nbearers,
    struct ppg_deliver **out, char *err, size_t errlen)
{
	struct ppg_deliver *e = calloc(1, sizeof *e);

	if (out)
		*out = NULL;
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	e->core = core;
	e->root = root;
	e->cfg = cfg;
	e->content = content;
	take_policies(e, cfg);
	e->apps_cfg = ppg_config_ref(cfg);
	e->env = (struct ppg_bearer_env){ .core = core, .root = root, .cfg = cfg, .content = content,
		.report = on_report, .engine = e };

	int r = 0;
	for (size_t i = 0; i < nbearers && r == 0; i++) {
		struct ppg_bearer *b = NULL;
		r = bearers[i](&e->env, &b, err, errlen);
		if (r < 0 || !b)
			continue;
		if (e->nbearers == PPG_MAX_BEARERS || e->by_kind[b->ops->kind]) {
			b->ops->free(b);
			snprintf(err, errlen, "too many bearers");
			r = -EINVAL;
			break;
		}
		e->bearers[e->nbearers++] = b;
		e->by_kind[b->ops->kind] = b;
	}
	if (r == 0 && ppg_sched_start(e) < 0) {
		snprintf(err, errlen, "cannot start the scheduler");
		r = -ENOMEM;
	}
	struct ppg_core_hooks h = {
		.arg = e, .lease_ms = ppg_deliver_write_lease_ms, .prepare = ppg_deliver_write_prepare,
		.run = ppg_deliver_run, .job_free = ppg_deliver_write_job_free, .finalized = on_finalized,
		.stop = on_stop, .free = on_free, .reload = on_reload, .remote = on_remote,
	};
	if (r == 0 && (r = ppg_core_register(core, &h)) < 0)
		snprintf(err, errlen, "cannot register the engine with the core");
	if (r < 0) {
		on_free(e);
		return r;
	}
	ppg_deliver_write_recover(e);
	if (out)
		*out = e;
	return 0;
}
