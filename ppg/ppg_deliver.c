/*
 * ppg_deliver.c - the delivery engine: bearer selection, SIP Push attempts
 * (OMA-TS-SIP_Push §9.1.2 pager mode, with RFC 4483 content indirection),
 * their outcomes (Appendix D, see ppg_outcome.c), retries and the scheduler.
 *
 * Everything here runs in the core thread. A delivery's life: the core
 * commits it leased (next_attempt in the future) and hands it over; the
 * engine picks the bearer and sends; each SIP final response comes back to
 * on_sip_result; when every MESSAGE of the attempt has answered, the outcome
 * is written in the next batch (final state, or pending with the retry time
 * as next_attempt). The 100 ms tick leases due deliveries (retries, deferred
 * pushes, ones woken by a registration) within the window of outstanding
 * MESSAGEs.
 */
#define SU_ROOT_MAGIC_T struct ppg_core
#define SU_TIMER_ARG_T  void

#include "ppg/ppg_deliver_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "otabearer/ota.h"
#include "pap/pap.h"
#include "ppg/ppg_final.h"
#include "ppg/ppg_log.h"

#define TICK_MS 100
#define LEASE_BATCH 256
#define LEASE_MARGIN_MS 30000

/* ------------------------------------------------------------ push info */

static void pinfo_unref(struct ppg_pinfo *p)
{
	if (!p || --p->refs > 0)
		return;
	free(p->pi);
	free(p->push_id);
	free(p->content_type);
	free(p->body);
	free(p);
}

/* The +g.oma.pusheventapp value of the content's X-Wap-Application-Id (CR
 * seed 003 §9.6); absent means the Push OTA default, wml.ua. */
static void resolve_app(struct ppg_deliver *e, struct ppg_pinfo *p, const char *app_id)
{
	const char *reason = NULL;
	int r = ota_appid_pusheventapp(app_id && *app_id ? app_id : "x-wap-application:wml.ua",
	    p->app, sizeof p->app, &reason);
	if (r == -ENOENT && app_id) {
		/* A number the OMNA table lacks: the operator's [apps] may know it. */
		char *end;
		unsigned long code = strtoul(app_id, &end, 0);
		const char *urn = *end ? NULL : ppg_config_app_urn(e->cfg, code);
		if (urn)
			r = ota_appid_pusheventapp(urn, p->app, sizeof p->app, &reason);
		else
			reason = "an application id number neither the OMNA table nor [apps] knows";
	}
	if (r < 0)
		p->app_error = reason ? reason : "unusable application id";
}

static struct ppg_pinfo *pinfo_new(struct ppg_deliver *e, int64_t id, const char *pi, const char *push_id,
    int64_t deliver_before, const char *ctype, const void *body, size_t len, const char *app_id)
{
	struct ppg_pinfo *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->refs = 1;
	p->id = id;
	p->pi = strdup(pi ? pi : "");
	p->push_id = strdup(push_id ? push_id : "");
	p->deliver_before = deliver_before;
	p->content_type = strdup(ctype ? ctype : "application/octet-stream");
	p->body = malloc(len ? len : 1);
	if (!p->pi || !p->push_id || !p->content_type || !p->body) {
		pinfo_unref(p);
		return NULL;
	}
	if (len)
		memcpy(p->body, body, len);
	p->len = len;
	resolve_app(e, p, app_id);
	return p;
}

/* ------------------------------------------------------------- attempts */

static unsigned attempt_bucket(int64_t delivery)
{
	return (unsigned)((uint64_t)delivery * 0x9E3779B97F4A7C15ULL >> 52) % PPG_ATTEMPT_BUCKETS;
}

static struct ppg_attempt *attempt_find(struct ppg_deliver *e, int64_t delivery)
{
	for (struct ppg_attempt *a = e->attempts[attempt_bucket(delivery)]; a; a = a->next)
		if (a->delivery == delivery)
			return a;
	return NULL;
}

static void attempt_free(struct ppg_attempt *a)
{
	struct ppg_deliver *e = a->e;
	for (struct ppg_attempt **pp = &e->attempts[attempt_bucket(a->delivery)]; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			e->nattempts--;
			break;
		}
	if (a->token[0])
		ppg_content_remove(e->content, a->token);
	if (a->fetch_timer)
		su_timer_destroy(a->fetch_timer);
	pinfo_unref(a->p);
	free(a->aor);
	free(a);
}

/* RFC 3261 §16.7: 2xx beats everything, then 6xx, then the lowest class. */
static int status_rank(int s)
{
	if (s >= 200 && s < 300) return 0;
	if (s >= 600) return 1;
	if (s >= 400 && s < 500) return 2;
	if (s >= 500) return 3;
	return 4;
}

/* ------------------------------------------------------- writes (ops) */

struct result_op {
	struct ppg_deliver *e;
	int64_t delivery;
	int64_t deliver_before;
	int status;
	char phrase[64];
	int local;
	int retry_after;
	int delivered;                   /* 1: final delivered without consulting the table */
	int final_state, final_code;     /* when not 0: this final outcome */
	char desc[160];
};

static int result_write(struct db *db, void *arg, int64_t now)
{
	struct result_op *o = arg;
	struct ppg_deliver *e = o->e;
	struct db_delivery d = { 0 };
	struct ppg_outcome out;
	int changed, r;

	r = db_delivery_get(db, o->delivery, &d);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	if (db_state_is_final(d.state)) {   /* cancelled or expired meanwhile */
		db_delivery_clear(&d);
		return 0;
	}
	if (o->final_state) {
		r = ppg_final_id(db, e->cfg, o->delivery, o->final_state, o->final_code, o->desc, now, &changed);
	} else {
		ppg_outcome_sip(o->status, o->phrase, o->local, o->retry_after, d.attempts + 1,
		    o->deliver_before, &e->pol, now, &out);
		if (o->delivered && out.kind != PPG_OUT_DELIVERED)
			out.kind = PPG_OUT_DELIVERED;
		if (o->desc[0])
			snprintf(out.desc, sizeof out.desc, "%s", o->desc);
		if (out.kind == PPG_OUT_RETRY) {
			char desc[256];
			snprintf(desc, sizeof desc, "%s; trying again in %lld s", out.desc,
			    (long long)((out.retry_at - now + 999) / 1000));
			r = db_delivery_attempted(db, o->delivery, DB_STATE_PENDING, PAP_ACCEPTED, desc, now,
			    out.retry_at);
			if (r == 0)
				r = ppg_progress(db, e->cfg, o->delivery, desc, now);
		} else {
			struct db_push p = { 0 };
			r = db_push_get(db, d.push, 0, &p);
			if (r == 0)
				r = ppg_final(db, e->cfg, &p, &d, out.state, out.code, out.desc, now, 1);
			db_push_clear(&p);
		}
	}
	db_delivery_clear(&d);
	return r;
}

static void result_after(void *arg, int committed)
{
	(void)committed;   /* not committed: the delivery is still pending and due again */
	free(arg);
}

static void queue_result(struct ppg_deliver *e, struct result_op *o)
{
	if (ppg_core_write(e->core, result_write, result_after, o) < 0)
		free(o);
}

/* Ends a delivery with a final state decided without SIP (no registration,
 * unusable application id). */
static void queue_final(struct ppg_deliver *e, int64_t delivery, int state, int code, const char *desc)
{
	struct result_op *o = calloc(1, sizeof *o);
	if (!o)
		return;
	o->e = e;
	o->delivery = delivery;
	o->final_state = state;
	o->final_code = code;
	snprintf(o->desc, sizeof o->desc, "%s", desc);
	queue_result(e, o);
}

/* Pending with a note, due at `when` (PPG_NEVER: only a registration or the
 * expiry sweep moves it), optionally waiting on a SIP target. */
struct park_op {
	struct ppg_deliver *e;
	int64_t delivery;
	int64_t when;
	char target[512];
	char desc[300];
};

static int park_write(struct db *db, void *arg, int64_t now)
{
	struct park_op *o = arg;
	struct db_delivery d = { 0 };
	int r = db_delivery_get(db, o->delivery, &d);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	int64_t when = o->when;
	/* A registration processed since the decision: try again at once. */
	if (o->target[0] && ppg_sipreg_lookup(o->e, o->target))
		when = now;
	if (!db_state_is_final(d.state)) {
		/* The same note again (a restart re-evaluated it) is no new
		 * transition: only the time it is due changes. */
		if (d.desc && !strcmp(d.desc, o->desc)) {
			r = db_delivery_schedule(db, o->delivery, when);
		} else {
			r = db_delivery_set_state(db, o->delivery, DB_STATE_PENDING, PAP_ACCEPTED, o->desc, now,
			    when);
			if (r == 0 && o->target[0])
				r = db_delivery_set_target(db, o->delivery, o->target);
			if (r == 0)
				r = ppg_progress(db, o->e->cfg, o->delivery, o->desc, now);
		}
	}
	db_delivery_clear(&d);
	return r;
}

static void park(struct ppg_deliver *e, int64_t delivery, int64_t when, const char *target, const char *desc)
{
	struct park_op *o = calloc(1, sizeof *o);
	if (!o)
		return;
	o->e = e;
	o->delivery = delivery;
	o->when = when;
	snprintf(o->target, sizeof o->target, "%s", target ? target : "");
	snprintf(o->desc, sizeof o->desc, "%s", desc);
	if (ppg_core_write(e->core, park_write, result_after, o) < 0)
		free(o);
}

/* Gives a lease back (the window was full): due again at once. */
struct release_op {
	int64_t delivery;
};

static int release_write(struct db *db, void *arg, int64_t now)
{
	struct release_op *o = arg;
	int r = db_delivery_schedule(db, o->delivery, now);
	return r == -ENOENT ? 0 : r;
}

static void release(struct ppg_deliver *e, int64_t delivery)
{
	struct release_op *o = calloc(1, sizeof *o);
	if (!o)
		return;
	o->delivery = delivery;
	if (ppg_core_write(e->core, release_write, result_after, o) < 0)
		free(o);
}

/* -------------------------------------------------------------- sending */

/* The SIP public identity a delivery goes to, or NULL when the address is
 * not one SIP Push can reach. */
static const char *target_aor(struct ppg_deliver *e, int type, const char *value, char *out, size_t len)
{
	char buf[600];
	switch (type) {
	case PAP_ADDR_USER:
		if (!strncasecmp(value, "sip:", 4) || !strncasecmp(value, "sips:", 5) ||
		    !strncasecmp(value, "tel:", 4))
			snprintf(buf, sizeof buf, "%s", value);
		else if (strchr(value, '@'))
			snprintf(buf, sizeof buf, "sip:%s", value);   /* user@domain: a SIP identity */
		else
			return NULL;
		break;
	case PAP_ADDR_PLMN: {
		/* plmn_aor holds exactly one "%s" (checked when the config is read). */
		const char *pat = e->cfg->sip_plmn_aor, *pct = strstr(pat, "%s");
		snprintf(buf, sizeof buf, "%.*s%s%s", (int)(pct - pat), pat, value, pct + 2);
		break;
	}
	default:
		return NULL;
	}
	return ppg_aor_normalize(buf, out, len) == 0 ? out : NULL;
}

static void on_fetch_timeout(struct ppg_core *c, su_timer_t *t, void *arg)
{
	struct ppg_attempt *a = arg;
	(void)c;
	(void)t;
	queue_final(a->e, a->delivery, DB_STATE_TIMEOUT, PAP_SERVICE_FAILURE,
	    "the terminal accepted the MESSAGE but did not fetch the content in time");
	attempt_free(a);
}

/* Every MESSAGE of the attempt has its final response. */
static void finish_attempt(struct ppg_attempt *a)
{
	struct ppg_deliver *e = a->e;
	int64_t now = ppg_now_ms();

	if (a->best >= 200 && a->best < 300 && a->indirect && !a->fetched) {
		/* RFC 4483: the terminal fetches after its 200. Delivered once it has. */
		int64_t wait = (int64_t)e->cfg->sip_fetch_timeout * 1000;
		if (a->p->deliver_before && a->p->deliver_before - now < wait)
			wait = a->p->deliver_before > now ? a->p->deliver_before - now : 0;
		a->awaiting_fetch = 1;
		a->fetch_timer = su_timer_create(su_root_task(e->root), 0);
		if (a->fetch_timer && su_timer_set_interval(a->fetch_timer, on_fetch_timeout, a,
		    (su_duration_t)wait) == 0)
			return;
		/* no timer: treat the missing fetch as failed now */
		on_fetch_timeout(NULL, NULL, a);
		return;
	}
	struct result_op *o = calloc(1, sizeof *o);
	if (o) {
		o->e = e;
		o->delivery = a->delivery;
		o->deliver_before = a->p->deliver_before;
		o->status = a->best;
		snprintf(o->phrase, sizeof o->phrase, "%s", a->phrase);
		o->local = a->local;
		o->retry_after = a->retry_after;
		if (a->best >= 200 && a->best < 300 && a->indirect)
			snprintf(o->desc, sizeof o->desc, "SIP %d %s, content fetched", a->best, a->phrase);
		queue_result(e, o);
	}
	LOGPUSH(PPG_LOG_CORE, LOG_DEBUG, a->p->pi, a->p->push_id, "delivery %lld: SIP %d%s",
	    (long long)a->delivery, a->best, a->local ? " (local)" : "");
	attempt_free(a);
}

static void on_sip_result(void *arg, const struct sipb_result *r)
{
	struct ppg_deliver *e = arg;
	struct ppg_attempt *a = (struct ppg_attempt *)(uintptr_t)r->tag;

	if (e->messages)
		e->messages--;
	if (!a)
		return;
	if (!a->best || status_rank(r->status) < status_rank(a->best)) {
		a->best = r->status;
		snprintf(a->phrase, sizeof a->phrase, "%s", r->phrase ? r->phrase : "");
		a->local = r->local;
		a->retry_after = r->retry_after;
	}
	if (r->indirect)
		a->indirect = 1;
	if (--a->outstanding > 0)
		return;
	if (e->stopping) {   /* abandoned: pending in the database, due after a restart */
		attempt_free(a);
		return;
	}
	finish_attempt(a);
}

/* Sends one MESSAGE of attempt a; a local failure counts as a local 503. */
static void send_one(struct ppg_attempt *a, const char *ruri, const char *route, const char *url)
{
	struct ppg_deliver *e = a->e;
	struct sipb_message m = {
		.request_uri = ruri, .to = a->aor, .route = route, .app = a->p->app,
		.content_type = a->p->content_type, .body = a->p->body, .body_len = a->p->len,
		.external_url = url, .tag = (uint64_t)(uintptr_t)a,
	};
	a->outstanding++;
	e->messages++;
	int sent = sipb_send_message(e->sip, &m);
	if (a->p->received_us && sent == 0)
		ppg_hist_add(&e->accept_to_send, (uint64_t)(ppg_mono_us() - a->p->received_us));
	if (sent < 0) {
		struct sipb_result r = { .status = 503, .phrase = "Cannot send", .local = 1,
			.retry_after = -1, .tag = m.tag };
		on_sip_result(e, &r);
	}
}

/* Picks the bearer of one delivery and starts its attempt. */
static void dispatch(struct ppg_deliver *e, struct ppg_pinfo *p, int64_t delivery, int type,
    const char *value, int64_t now)
{
	char aor[512], desc[1024];

	if (attempt_find(e, delivery))
		return;   /* already under way */
	if (p->deliver_before && now >= p->deliver_before)
		return;   /* the expiry sweep ends it */
	if (!target_aor(e, type, value, aor, sizeof aor)) {
		park(e, delivery, PPG_NEVER, NULL,
		    "no bearer for this address yet: SIP Push takes sip:, sips:, tel: and PLMN targets");
		return;
	}
	if (p->app_error) {
		snprintf(desc, sizeof desc, "X-Wap-Application-Id: %s", p->app_error);
		queue_final(e, delivery, DB_STATE_UNDELIVERABLE, PAP_CAPABILITIES_MISMATCH, desc);
		return;
	}
	const struct ppg_bentry *be = ppg_sipreg_lookup(e, aor);
	size_t nsup = 0;
	const struct db_binding *newest_gruu = NULL;
	for (size_t i = 0; be && i < be->n; i++)
		if (be->v[i].expires > now && ppg_binding_supports(&be->v[i], p->app)) {
			nsup++;
			if (!newest_gruu && be->v[i].gruu)
				newest_gruu = &be->v[i];   /* the list is newest first */
		}
	if (!nsup) {
		if (e->cfg->sip_no_binding == PPG_NO_BINDING_FAIL) {
			snprintf(desc, sizeof desc, "no SIP registration of %s supporting \"%s\"", aor, p->app);
			queue_final(e, delivery, DB_STATE_UNDELIVERABLE, PAP_ADDRESS_NOT_FOUND, desc);
		} else {
			snprintf(desc, sizeof desc, "bearer SIP: waiting for a registration of %s supporting \"%s\"",
			    aor, p->app);
			park(e, delivery, PPG_NEVER, aor, desc);
		}
		return;
	}
	struct ppg_attempt *a = calloc(1, sizeof *a);
	if (!a || !(a->aor = strdup(aor))) {
		free(a);
		release(e, delivery);
		return;
	}
	a->e = e;
	a->delivery = delivery;
	a->p = p;
	p->refs++;
	a->retry_after = -1;
	unsigned h = attempt_bucket(delivery);
	a->next = e->attempts[h];
	e->attempts[h] = a;
	e->nattempts++;

	/* Content that may not fit in a MESSAGE is also offered by URL; the
	 * bearer measures the whole request and picks (seed 000 §9.1.2 item 8). */
	char url[sizeof e->content_base + PPG_TOKEN_LEN];
	const char *urlp = NULL;
	if (p->len + 200 > e->cfg->sip_indirection_threshold / 2 &&
	    ppg_content_add(e->content, delivery, p->content_type, p->body, p->len, a->token) == 0) {
		snprintf(url, sizeof url, "%s%s", e->content_base, a->token);
		urlp = url;
	}
	LOGPUSH(PPG_LOG_CORE, LOG_DEBUG, p->pi, p->push_id, "delivery %lld: SIP MESSAGE to %s (%zu terminal%s, %s)",
	    (long long)delivery, aor, nsup, nsup == 1 ? "" : "s", p->app);
	/* Keep `a` alive across synchronous results of the sends below. */
	a->outstanding++;
	if (e->cfg->sip_terminal == PPG_TERMINAL_GRUU && newest_gruu) {
		send_one(a, newest_gruu->gruu, e->cfg->sip_outbound_proxy ? NULL : newest_gruu->contact, urlp);
	} else if (e->cfg->sip_outbound_proxy) {
		/* The core forks to every terminal whose contact matches Accept-Contact. */
		send_one(a, aor, NULL, urlp);
	} else {
		for (size_t i = 0; i < be->n; i++)
			if (be->v[i].expires > now && ppg_binding_supports(&be->v[i], p->app))
				send_one(a, aor, be->v[i].contact, urlp);
	}
	if (--a->outstanding == 0)
		finish_attempt(a);
}

/* ------------------------------------------------------------ entry points */

int64_t ppg_deliver_lease_ms(const struct ppg_deliver *e)
{
	return (int64_t)(e->cfg->sip_transaction_timeout + e->cfg->sip_fetch_timeout) * 1000 + LEASE_MARGIN_MS;
}

void ppg_deliver_accepted(struct ppg_deliver *e, const struct ppg_request *req, int64_t now)
{
	struct ppg_pinfo *p = NULL;

	for (size_t i = 0; i < req->ndeliveries; i++) {
		const struct ppg_req_delivery *d = &req->deliveries[i];
		if (!d->leased)
			continue;
		if (e->messages >= e->cfg->sip_window) {
			release(e, d->id);   /* the tick takes it when there is room */
			continue;
		}
		if (!p) {
			p = pinfo_new(e, req->push_row, req->pi, req->msg->push_id,
			    (int64_t)req->msg->deliver_before * 1000, req->content_type, req->content,
			    req->content_len, req->app_id);
			if (!p) {
				release(e, d->id);
				continue;
			}
			p->received_us = req->received_us;
		}
		dispatch(e, p, d->id, d->addr->addr.type, d->addr->addr.value, now);
	}
	pinfo_unref(p);
}

void ppg_deliver_fetched(struct ppg_deliver *e, int64_t delivery)
{
	struct ppg_attempt *a = attempt_find(e, delivery);
	if (!a)
		return;
	a->fetched = 1;
	if (!a->awaiting_fetch)
		return;   /* the 200 is still to come */
	su_timer_destroy(a->fetch_timer);
	a->fetch_timer = NULL;
	a->awaiting_fetch = 0;
	finish_attempt(a);
}

/* ------------------------------------------------------------- scheduler */

struct lease_op {
	struct ppg_deliver *e;
	size_t max;
	struct db_delivery *v;
	size_t n;
};

static int lease_write(struct db *db, void *arg, int64_t now)
{
	struct lease_op *o = arg;
	int r = db_delivery_due(db, now, o->max, &o->v, &o->n);
	for (size_t i = 0; i < o->n && r == 0; i++)
		r = db_delivery_schedule(db, o->v[i].id, now + ppg_deliver_lease_ms(o->e));
	return r;
}

static void lease_after(void *arg, int committed)
{
	struct lease_op *o = arg;
	struct ppg_deliver *e = o->e;
	struct ppg_pinfo *p = NULL;
	int64_t now = ppg_now_ms();

	e->lease_op_pending = 0;
	for (size_t i = 0; committed && !e->stopping && i < o->n; i++) {
		struct db_delivery *d = &o->v[i];
		if (!p || p->id != d->push) {
			struct db_push row = { 0 };
			pinfo_unref(p);
			p = NULL;
			if (db_push_get(e->db, d->push, 1, &row) == 0)
				p = pinfo_new(e, row.id, row.pi, row.push_id, row.deliver_before, row.content_type,
				    row.content_body, row.content_len, row.app_id);
			db_push_clear(&row);
			if (!p)
				continue;   /* due again when its lease ends */
		}
		dispatch(e, p, d->id, d->addr_type, d->addr_value ? d->addr_value : "", now);
	}
	pinfo_unref(p);
	db_delivery_list_free(o->v, o->n);
	free(o);
}

static void on_tick(struct ppg_core *c, su_timer_t *t, void *arg)
{
	struct ppg_deliver *e = arg;
	int64_t now = ppg_now_ms();
	(void)c;
	(void)t;

	e->ticks++;
	if (!e->lease_op_pending && e->messages < e->cfg->sip_window) {
		struct lease_op *o = calloc(1, sizeof *o);
		if (o) {
			o->e = e;
			o->max = e->cfg->sip_window - e->messages;
			if (o->max > LEASE_BATCH)
				o->max = LEASE_BATCH;
			if (ppg_core_write(e->core, lease_write, lease_after, o) == 0)
				e->lease_op_pending = 1;
			else
				free(o);
		}
	}
	if (e->ticks % 5 == 0)
		ppg_notifier_tick(e, now);
	if (e->ticks % 600 == 0)
		ppg_sipreg_purge(e, now);
}

/* Deliveries waiting for a registration of aor become due at once. */
struct wake_op {
	char aor[512];
};

static int wake_write(struct db *db, void *arg, int64_t now)
{
	struct wake_op *o = arg;
	struct db_delivery *v = NULL;
	size_t n = 0;
	int r = db_delivery_waiting(db, o->aor, 10000, &v, &n);
	for (size_t i = 0; i < n && r == 0; i++)
		if (v[i].next_attempt > now)
			r = db_delivery_schedule(db, v[i].id, now);
	db_delivery_list_free(v, n);
	return r;
}

void ppg_deliver_wake(struct ppg_deliver *e, const char *aor)
{
	struct wake_op *o = calloc(1, sizeof *o);
	if (!o)
		return;
	snprintf(o->aor, sizeof o->aor, "%s", aor);
	if (ppg_core_write(e->core, wake_write, result_after, o) < 0)
		free(o);
}

/* ------------------------------------------------------------ life cycle */

static void content_base(struct ppg_deliver *e)
{
	const struct ppg_config *cfg = e->cfg;
	if (cfg->sip_content_base) {
		size_t l = strlen(cfg->sip_content_base);
		snprintf(e->content_base, sizeof e->content_base, "%s%scontent/", cfg->sip_content_base,
		    l && cfg->sip_content_base[l - 1] == '/' ? "" : "/");
		return;
	}
	char host[INET6_ADDRSTRLEN] = "127.0.0.1";
	const struct sockaddr_storage *ss = &cfg->listen[0];
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		snprintf(e->content_base, sizeof e->content_base, "http://[%s]:%u/content/", host,
		    ntohs(in6->sin6_port));
	} else {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		snprintf(e->content_base, sizeof e->content_base, "http://%s:%u/content/", host,
		    ntohs(in->sin_port));
	}
}

struct ppg_deliver *ppg_deliver_new(struct ppg_core *core, su_root_t *root,
    const struct ppg_config *cfg, struct db *db, struct ppg_content *content, char *err, size_t errlen)
{
	struct ppg_deliver *e = calloc(1, sizeof *e);
	int64_t now = ppg_now_ms();

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->core = core;
	e->root = root;
	e->cfg = cfg;
	e->db = db;
	e->content = content;
	e->pol.retry_min_s = cfg->sip_retry_min;
	e->pol.retry_max_s = cfg->sip_retry_max;
	e->pol.max_attempts = cfg->sip_max_attempts;
	content_base(e);

	int n = db_delivery_recover(db, now);
	if (n > 0)
		LOGP(PPG_LOG_CORE, LOG_NOTICE, "%d pending deliver%s due again after the restart", n,
		    n == 1 ? "y is" : "ies are");
	if (ppg_sipreg_load(e, now) < 0) {
		snprintf(err, errlen, "cannot load the registrations: %s", db_errmsg(db));
		goto fail;
	}
	struct sipb_config sc = {
		.bind_url = cfg->sip_listen,
		.outbound_proxy = cfg->sip_outbound_proxy,
		.from_uri = cfg->sip_from,
		.p_asserted_identity = cfg->sip_pai,
		.user_agent = "ppgd/" PACKAGE_VERSION,
		.indirection_threshold = cfg->sip_indirection_threshold,
		.trusted = ppg_sipreg_trusted,
		.trusted_arg = e,
		.t1x64_ms = cfg->sip_transaction_timeout * 1000,
	};
	e->sip = sipb_new(root, &sc, ppg_sipreg_on_register, on_sip_result, e, err, errlen);
	if (!e->sip)
		goto fail;
	e->notify = ppg_notify_new(cfg->notify_threads, cfg->notify_timeout, "ppgd/" PACKAGE_VERSION,
	    ppg_notifier_done, e);
	e->tick = su_timer_create(su_root_task(root), TICK_MS);
	if (!e->notify || !e->tick || su_timer_run(e->tick, on_tick, e) < 0) {
		snprintf(err, errlen, "cannot start the notifier or the scheduler");
		goto fail;
	}
	LOGP(PPG_LOG_CORE, LOG_NOTICE, "SIP Push bearer on %s (port %u)%s%s", cfg->sip_listen,
	    sipb_local_port(e->sip), cfg->sip_outbound_proxy ? ", through " : ", no outbound proxy",
	    cfg->sip_outbound_proxy ? cfg->sip_outbound_proxy : "");
	return e;
fail:
	ppg_deliver_free(e);
	return NULL;
}

void ppg_deliver_free(struct ppg_deliver *e)
{
	if (!e)
		return;
	e->stopping = 1;
	if (e->accept_to_send.n)
		LOGP(PPG_LOG_CORE, LOG_NOTICE, "latency from a push's receipt to its MESSAGE: n=%llu p50=%lluus "
		    "p99=%lluus max=%lluus", (unsigned long long)e->accept_to_send.n,
		    (unsigned long long)ppg_hist_quantile(&e->accept_to_send, 0.5),
		    (unsigned long long)ppg_hist_quantile(&e->accept_to_send, 0.99),
		    (unsigned long long)e->accept_to_send.max_us);
	su_timer_destroy(e->tick);
	/* Outstanding MESSAGEs end with local results here; with `stopping`
	 * they only free their attempts. */
	sipb_free(e->sip);
	e->sip = NULL;
	for (unsigned i = 0; i < PPG_ATTEMPT_BUCKETS; i++)
		while (e->attempts[i])
			attempt_free(e->attempts[i]);
	ppg_notify_free(e->notify);
	ppg_sipreg_free(e);
	free(e);
}

unsigned ppg_deliver_sip_port(const struct ppg_deliver *e)
{
	return e && e->sip ? sipb_local_port(e->sip) : 0;
}
