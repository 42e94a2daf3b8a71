/*
 * ppg_bearer_sip.c - the SIP Push bearer of the delivery engine
 * (OMA-TS-SIP_Push §9.1.2 pager mode): which terminals of the target get a
 * MESSAGE, content indirection (RFC 4483) with its fetch, and the final
 * response of the attempt (RFC 3261 §16.7 when several terminals answer).
 */
#define SU_ROOT_MAGIC_T struct ppg_core
#define SU_TIMER_ARG_T  void

#include "ppg/ppg_deliver_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pap/pap.h"
#include "ppg/ppg_log.h"

/* RFC 3261 §16.7: 2xx beats everything, then 6xx, then the lowest class. */
static int status_rank(int s)
{
	if (s >= 200 && s < 300) return 0;
	if (s >= 600) return 1;
	if (s >= 400 && s < 500) return 2;
	if (s >= 500) return 3;
	return 4;
}

int ppg_sip_live(struct ppg_deliver *e, const char *aor, const char *app, int64_t now)
{
	const struct ppg_bentry *be = ppg_sipreg_lookup(e, aor);
	for (size_t i = 0; be && i < be->n; i++)
		if (be->v[i].expires > now && ppg_binding_supports(&be->v[i], app))
			return 1;
	return 0;
}

static void on_fetch_timeout(struct ppg_core *c, su_timer_t *t, void *arg)
{
	struct ppg_attempt *a = arg;
	(void)c;
	(void)t;
	ppg_queue_final(a->e, a->delivery, DB_STATE_TIMEOUT, PAP_SERVICE_FAILURE,
	    "SIP: the terminal accepted the MESSAGE but did not fetch the content in time");
	ppg_attempt_free(a);
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
		on_fetch_timeout(NULL, NULL, a);   /* no timer: the fetch cannot be awaited */
		return;
	}
	struct ppg_result_op *o = ppg_result_op_new(a);
	if (o) {
		o->status = a->best;
		snprintf(o->phrase, sizeof o->phrase, "%s", a->phrase);
		o->local = a->local;
		o->retry_after = a->retry_after;
		if (a->best >= 200 && a->best < 300 && a->indirect)
			snprintf(o->desc, sizeof o->desc, "SIP %d %s, content fetched", a->best, a->phrase);
		ppg_queue_result(e, o);
	}
	LOGPUSH(PPG_LOG_CORE, LOG_DEBUG, a->p->pi, a->p->push_id, "delivery %lld: SIP %d%s",
	    (long long)a->delivery, a->best, a->local ? " (local)" : "");
	ppg_attempt_free(a);
}

void ppg_sip_on_result(void *arg, const struct sipb_result *r)
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
		ppg_attempt_free(a);
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
		ppg_sip_on_result(e, &r);
	}
}

void ppg_sip_dispatch(struct ppg_deliver *e, struct ppg_pinfo *p, int64_t delivery, const char *aor,
    int64_t now)
{
	char desc[1024];

	if (p->app_error) {
		snprintf(desc, sizeof desc, "X-Wap-Application-Id: %s", p->app_error);
		ppg_queue_final(e, delivery, DB_STATE_UNDELIVERABLE, PAP_CAPABILITIES_MISMATCH, desc);
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
			snprintf(desc, sizeof desc, "SIP: no registration of %s supporting \"%s\"", aor, p->app);
			ppg_queue_final(e, delivery, DB_STATE_UNDELIVERABLE, PAP_ADDRESS_NOT_FOUND, desc);
		} else {
			snprintf(desc, sizeof desc, "bearer SIP: waiting for a registration of %s supporting \"%s\"",
			    aor, p->app);
			ppg_park(e, delivery, PPG_NEVER, aor, desc);
		}
		return;
	}
	struct ppg_attempt *a = ppg_attempt_new(e, delivery, p, PPG_BEARER_SIP, aor);
	if (!a) {
		ppg_release(e, delivery);
		return;
	}
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

void ppg_deliver_fetched(struct ppg_deliver *e, int64_t delivery)
{
	struct ppg_attempt *a = ppg_attempt_find(e, delivery);
	if (!a || a->bearer != PPG_BEARER_SIP)
		return;
	a->fetched = 1;
	if (!a->awaiting_fetch)
		return;   /* the 200 is still to come */
	su_timer_destroy(a->fetch_timer);
	a->fetch_timer = NULL;
	a->awaiting_fetch = 0;
	finish_attempt(a);
}
