/*
 * ppg_bearer_sip.c - the SIP Push bearer (OMA-TS-SIP_Push §9.1.2 pager
 * mode) behind the engine's bearer interface: which terminals of the target
 * get a MESSAGE, content indirection (RFC 4483) with its fetch, and the
 * final response of the attempt (RFC 3261 §16.7 when several terminals
 * answer). Registrations: ppg_bearer_sip_reg.c. [loop]
 */
#define SU_ROOT_MAGIC_T struct ppg_core
#define SU_TIMER_ARG_T  void

#include "ppg/ppg_bearer_sip_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pap/pap.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_metrics.h"
#include "ppg/ppg_sip_addr.h"
#include "ppg/ppg_uaprof.h"

/* RFC 3261 §16.7: 2xx beats everything, then 6xx, then the lowest class. */
static int status_rank(int st)
{
	if (st >= 200 && st < 300) return 0;
	if (st >= 600) return 1;
	if (st >= 400 && st < 500) return 2;
	if (st >= 500) return 3;
	return 4;
}

static unsigned fetch_bucket(int64_t delivery)
{
	return (unsigned)((uint64_t)delivery * 0x9E3779B97F4A7C15ULL >> 54) % SIP_FETCH_BUCKETS;
}

static struct sip_attempt *find_attempt(struct sip_bearer *s, int64_t delivery)
{
	for (struct sip_attempt *t = s->by_delivery[fetch_bucket(delivery)]; t; t = t->next)
		if (t->delivery == delivery && t->a)
			return t;
	return NULL;
}

/* Drops what the attempt holds for the terminal: the content URL answers
 * 404 from now on, the fetch is no longer awaited. */
static void attempt_release(struct sip_attempt *t)
{
	struct sip_bearer *s = t->s;
	for (struct sip_attempt **pp = &s->by_delivery[fetch_bucket(t->delivery)]; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	if (t->token[0]) {
		ppg_content_remove(s->content, t->token);
		ppg_bearer_sip_content_withdraw(s, t->delivery);
		t->token[0] = '\0';
	}
	if (t->fetch_timer) {
		su_timer_destroy(t->fetch_timer);
		t->fetch_timer = NULL;
	}
}

static void attempt_free(struct sip_attempt *t)
{
	attempt_release(t);
	free(t);
}

void ppg_bearer_sip_attempt_free(struct sip_attempt *t)
{
	attempt_free(t);
}

/* ----------------------------------------------------------- targets */

/* The SIP public identity a delivery goes to, or -EINVAL when the address
 * is not one SIP Push can reach. */
static int sip_target(struct ppg_bearer *b, int type, const char *value, char *out, size_t len)
{
	return ppg_sip_addr_target(((struct sip_bearer *)b)->cfg, type, value, out, len);
}

/* A live terminal of the target runs the application and takes the
 * content type (else, for PLMN, the engine may choose SMS). */
static int sip_live(struct ppg_bearer *b, const char *target, const struct ppg_push *p, int64_t now)
{
	struct sip_bearer *s = (struct sip_bearer *)b;
	char aor[512];
	const char *gruu = ppg_bearer_sip_target_split(s, target, aor, sizeof aor, now);
	struct sip_pick pk;
	ppg_bearer_sip_pick(ppg_bearer_sip_reg_lookup(s, aor, now), p, gruu, PPG_TERMINAL_ALL, 0, now, &pk);
	return pk.n > 0 || ppg_bearer_sip_notify_live(s, aor, gruu, p);
}

static unsigned sip_inflight(struct ppg_bearer *b)
{
	return ((struct sip_bearer *)b)->messages;
}

/* ------------------------------------------------------------ outcomes */

static void on_fetch_timeout(struct ppg_core *c, su_timer_t *tm, void *arg)
{
	struct sip_attempt *t = arg;
	struct ppg_bearer_attempt *a = t->a;
	(void)c;
	(void)tm;
	struct ppg_bearer *b = &t->s->base;
	attempt_free(t);
	ppg_bearer_final(b, a, DB_STATE_TIMEOUT, PAP_SERVICE_FAILURE,
	    "SIP: the terminal accepted the MESSAGE but did not fetch the content in time");
}

/* Every MESSAGE (or NOTIFY) of the attempt has its final response. */
static void finish_attempt(struct sip_attempt *t)
{
	struct sip_bearer *s = t->s;
	struct ppg_bearer_attempt *a = t->a;
	int64_t now = ppg_clock_now_ms();
	char desc[160] = "";

	if (!a) {   /* the engine let go of it meanwhile */
		attempt_free(t);
		return;
	}
	if (t->best >= 200 && t->best < 300 && t->indirect && !t->fetched) {
		/* RFC 4483: the terminal fetches after its 200. Delivered once it has. */
		int64_t wait = (int64_t)s->cfg->sip_fetch_timeout * 1000;
		if (a->push->deliver_before && a->push->deliver_before - now < wait)
			wait = a->push->deliver_before > now ? a->push->deliver_before - now : 0;
		t->awaiting_fetch = 1;
		t->fetch_timer = su_timer_create(su_root_task(s->root), 0);
		if (t->fetch_timer && su_timer_set_interval(t->fetch_timer, on_fetch_timeout, t,
		    (su_duration_t)wait) == 0)
			return;
		on_fetch_timeout(NULL, NULL, t);   /* no timer: the fetch cannot be awaited */
		return;
	}
	if (t->best >= 200 && t->best < 300 && t->indirect)
		snprintf(desc, sizeof desc, "SIP %s%d %s, content fetched", t->notify ? "NOTIFY " : "",
		    t->best, t->phrase);
	else if (t->notify)
		snprintf(desc, sizeof desc, "SIP NOTIFY %d %s%s", t->best, t->phrase, t->local ? " (local)" : "");
	LOGPUSH(PPG_LOG_SIP, LOG_DEBUG, a->push->pi, a->push->push_id, "delivery %lld: SIP %d%s",
	    (long long)a->delivery, t->best, t->local ? " (local)" : "");
	char phrase[sizeof t->phrase];
	snprintf(phrase, sizeof phrase, "%s", t->phrase);
	struct ppg_bearer_report r = { .kind = PPG_REPORT_OUTCOME, .attempt = a, .end = 1,
		.status = t->best, .phrase = phrase, .local = t->local, .retry_after = t->retry_after,
		.desc = desc };
	attempt_free(t);
	ppg_bearer_report(&s->base, &r);
}

void ppg_bearer_sip_finish(struct sip_attempt *t) { finish_attempt(t); }

static void on_result(void *arg, const struct sipb_result *r)
{
	struct sip_bearer *s = arg;
	struct sip_attempt *t = (struct sip_attempt *)(uintptr_t)r->tag;

	if (s->messages)
		s->messages--;
	ppg_metrics_sip_response(r->status);
	ppg_bearer_sip_tls_failed(s, "MESSAGE", r->status, r->local, r->phrase);
	if (!t)
		return;
	if (!t->best || status_rank(r->status) < status_rank(t->best)) {
		t->best = r->status;
		snprintf(t->phrase, sizeof t->phrase, "%s", r->phrase ? r->phrase : "");
		t->local = r->local;
		t->retry_after = r->retry_after;
	}
	if (r->indirect)
		t->indirect = 1;
	if (--t->outstanding > 0)
		return;
	if (s->stopping) {   /* abandoned: pending in the database, due after a restart */
		attempt_free(t);
		return;
	}
	finish_attempt(t);
}

/* Sends one MESSAGE of attempt t (To: the AoR); a local failure counts as a
 * local 503. */
static void send_one(struct sip_attempt *t, const char *ruri, const char *to, const char *route,
    const char *url)
{
	struct sip_bearer *s = t->s;
	const struct ppg_push *p = t->a->push;
	struct sipb_message m = {
		.request_uri = ruri, .to = to, .route = route, .app = p->app,
		.content_type = p->content_type, .body = p->body, .body_len = p->len,
		.external_url = url, .tag = (uint64_t)(uintptr_t)t,
	};
	t->outstanding++;
	s->messages++;
	int sent = sipb_send_message(s->sip, &m);
	if (p->received_us && sent == 0)
		ppg_stats_hist_add(&s->accept_to_send, (uint64_t)(ppg_stats_mono_us() - p->received_us));
	if (sent < 0) {
		struct sipb_result r = { .status = 503, .phrase = "Cannot send", .local = 1,
			.retry_after = -1, .tag = m.tag };
		on_result(s, &r);
	}
}

struct sip_attempt *ppg_bearer_sip_attempt_new(struct sip_bearer *s, struct ppg_bearer_attempt *a)
{
	struct sip_attempt *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->s = s;
	t->a = a;
	t->delivery = a->delivery;
	t->retry_after = -1;
	a->priv = t;
	unsigned h = fetch_bucket(a->delivery);
	t->next = s->by_delivery[h];
	s->by_delivery[h] = t;
	return t;
}

void ppg_bearer_sip_send_mode(struct sip_bearer *s, struct ppg_bearer_attempt *a, int mode)
{
	struct ppg_bearer *b = &s->base;
	const struct ppg_push *p = a->push;
	char aor[512];
	/* A push to a GRUU goes to that terminal only, or waits/fails like an
	 * AoR nobody registered; it parks on the AoR, whose registrations wake it. */
	int64_t now = ppg_clock_now_ms();
	const char *gruu = ppg_bearer_sip_target_split(s, a->target, aor, sizeof aor, now);
	char desc[1024];

	if (p->app_error) {
		snprintf(desc, sizeof desc, "X-Wap-Application-Id: %s", p->app_error);
		ppg_bearer_final(b, a, DB_STATE_UNDELIVERABLE, PAP_CAPABILITIES_MISMATCH, desc);
		return;
	}
	/* [sip] notify_push = prefer: within the AoR's subscriptions (seed 003 §9.1.4) */
	size_t nref = mode == SIP_MODE_NOTIFY_REFUSED;   /* subscriptions refusing the type */
	if (mode == SIP_MODE_ANY && ppg_bearer_sip_notify_send(s, a, aor, gruu, &nref))
		return;
	const struct sip_bentry *be = ppg_bearer_sip_reg_lookup(s, aor, now);
	const char *who = gruu ? gruu : aor;
	int policy = ppg_config_terminal_for(s->cfg, p->app);
	struct sip_pick pk;
	ppg_bearer_sip_pick(be, p, gruu, policy, 0, now, &pk);
	if (!pk.napp && !nref) {
		if (s->cfg->sip_no_binding == PPG_NO_BINDING_FAIL) {
			snprintf(desc, sizeof desc, "SIP: no registration of %s supporting \"%s\"", who, p->app);
			ppg_bearer_final(b, a, DB_STATE_UNDELIVERABLE, PAP_ADDRESS_NOT_FOUND, desc);
		} else {
			snprintf(desc, sizeof desc, "bearer SIP: waiting for a registration of %s supporting \"%s\"",
			    who, p->app);
			ppg_bearer_park(b, a, 1, PPG_NEVER, aor, desc);
			ppg_bearer_sip_regevent_want(s, aor);
		}
		return;
	}
	if (!pk.n) {
		/* Every terminal running the application told it does not take
		 * this content type, or (its UAProf Push-Accept-AppID) this
		 * application (PAP 2005: the push does not match the client's
		 * capabilities); waiting would not change their word. */
		snprintf(desc, sizeof desc, "SIP: no terminal of %s takes %s for \"%s\" (%zu run%s it; their "
		    "Accept and UAProf Push-Accept or Push-Accept-AppID leave it out)", who,
		    p->content_type ? p->content_type : "?", p->app, pk.napp + nref, pk.napp + nref == 1 ? "s" : "");
		ppg_bearer_final(b, a, DB_STATE_UNDELIVERABLE, PAP_CAPABILITIES_MISMATCH, desc);
		return;
	}
	struct sip_attempt *t = ppg_bearer_sip_attempt_new(s, a);
	if (!t) {
		ppg_bearer_release(b, a);
		return;
	}
	const char *proxy = s->cfg->sip_outbound_proxy;
	char why[160];
	if (mode != SIP_MODE_PAGER_ONLY && ppg_bearer_sip_wants_session(s, p, why, sizeof why)) {
		/* Session mode goes to one terminal that takes sessions: the
		 * addressed one, else the policy's choice among them (the newest
		 * for "all") (OMA-TS-SIP_Push §9.3.2.1 item 3: Request-URI the
		 * public id or the GRUU). */
		struct sip_pick sp;
		ppg_bearer_sip_pick(be, p, gruu, policy, 1, now, &sp);
		const struct db_binding *v = sp.n ? &be->v[sp.idx[0]] : NULL;
		if (v) {
			/* enrolled by subscription only: named (seed 000 §9.1.2 item 11) */
			int named = gruu || policy != PPG_TERMINAL_ALL || !ppg_bearer_sip_reg_supports(v, p->app);
			if (v->gruu && named)
				ppg_bearer_sip_session_send(t, v->gruu, aor, proxy ? NULL : v->contact, why);
			else if (named)
				ppg_bearer_sip_session_send(t, v->contact, aor, NULL, why);
			else
				ppg_bearer_sip_session_send(t, proxy ? aor : v->contact, aor, NULL, why);
			return;
		}
		LOGPUSH(PPG_LOG_SIP, LOG_DEBUG, p->pi, p->push_id, "delivery %lld: %s, but no terminal of "
		    "%s takes sessions: pager mode", (long long)a->delivery, why, who);
	}
	/* Content that may not fit in a MESSAGE is also offered by URL; the
	 * bearer measures the whole request and picks (OMA-TS-SIP_Push §9.1.2 item 8).
	 * The token is stored before the MESSAGE goes, so that the fetch works
	 * on every node sharing the database (ppg_bearer_sip_content.c). */
	if (p->len + 200 > s->cfg->sip_indirection_threshold / 2 &&
	    ppg_content_add(s->content, a->delivery, p->content_type, p->body, p->len, t->token) == 0) {
		ppg_bearer_sip_content_store(t);
		return;
	}
	ppg_bearer_sip_pager_send(t);
}

/* The MESSAGEs of a pager-mode attempt, with the content's URL when a token
 * is registered (t->token). The registrations are looked up again: they may
 * have changed while the token was being stored. */
void ppg_bearer_sip_pager_send(struct sip_attempt *t)
{
	struct sip_bearer *s = t->s;
	struct ppg_bearer_attempt *a = t->a;
	struct ppg_bearer *b = &s->base;
	const struct ppg_push *p = a->push;
	char aor[512];
	int64_t now = ppg_clock_now_ms();
	const char *gruu = ppg_bearer_sip_target_split(s, a->target, aor, sizeof aor, now);
	const struct sip_bentry *be = ppg_bearer_sip_reg_lookup(s, aor, now);
	const char *who = gruu ? gruu : aor;
	int policy = ppg_config_terminal_for(s->cfg, p->app);
	struct sip_pick pk;
	ppg_bearer_sip_pick(be, p, gruu, policy, 0, now, &pk);
	if (!pk.n) {   /* gone meanwhile: due again, the next attempt parks or fails */
		a->priv = NULL;
		attempt_free(t);
		ppg_bearer_release(b, a);
		return;
	}
	const char *proxy = s->cfg->sip_outbound_proxy;
	char url[sizeof s->content_base + PPG_TOKEN_LEN];
	const char *urlp = NULL;
	if (t->token[0]) {
		snprintf(url, sizeof url, "%s%s", s->content_base, t->token);
		urlp = url;
	}
	LOGPUSH(PPG_LOG_SIP, LOG_DEBUG, p->pi, p->push_id, "delivery %lld: SIP MESSAGE to %s (%zu of %zu "
	    "terminal%s, policy %s, %s)", (long long)a->delivery, who, pk.n, pk.napp, pk.napp == 1 ? "" : "s",
	    gruu ? "the named one" : ppg_config_terminal_name(policy), p->app);
	/* Keep `t` alive across synchronous results of the sends below. */
	t->outstanding++;
	if (proxy && !pk.one && !pk.nrefused && !ppg_bearer_sip_sub_only(be, &pk, p->app)) {
		/* The core forks by Accept-Contact (RFC 3841); one enrolled by
		 * subscription only is named instead (seed 000 §9.1.2 item 11). */
		send_one(t, aor, aor, NULL, urlp);
	} else {
		for (size_t k = 0; k < pk.n; k++) {
			const struct db_binding *v = &be->v[pk.idx[k]];
			if (v->gruu && (pk.one || proxy))
				/* One terminal by its GRUU: the Request-URI is the GRUU
				 * (OMA-TS-SIP_Push §9.1.2 item 7); without a core to route
				 * it, a Route to the terminal's contact takes it there. */
				send_one(t, v->gruu, aor, proxy ? NULL : v->contact, urlp);
			else
				/* No GRUU, or no core: the Request-URI is the registered
				 * contact, as a registrar's proxy retargets (RFC 3261 §10,
				 * §16.5); the To stays the AoR. Through the core, it
				 * routes on that URI. */
				send_one(t, v->contact, aor, NULL, urlp);
		}
	}
	if (--t->outstanding == 0)
		finish_attempt(t);
}

static void sip_send(struct ppg_bearer *b, struct ppg_bearer_attempt *a)
{
	ppg_bearer_sip_send_mode((struct sip_bearer *)b, a, SIP_MODE_ANY);
}

/* The delivery ended meanwhile: its content URL goes at once; MESSAGEs in
 * flight keep `t` until their responses, which are then ignored. */
static void sip_refresh(struct ppg_bearer *b, const char *aor)
{
	ppg_bearer_sip_reg_refresh((struct sip_bearer *)b, aor);
}

static void sip_forget(struct ppg_bearer *b, struct ppg_bearer_attempt *a)
{
	struct sip_attempt *t = a->priv;
	if (!t)
		return;
	if (t->session && t->outstanding)   /* BYE/CANCEL now; its result frees t */
		sipb_session_end(((struct sip_bearer *)b)->sip, (uint64_t)(uintptr_t)t,
		    "the delivery ended here meanwhile");
	t->a = NULL;
	attempt_release(t);
	if (t->outstanding == 0)
		free(t);
}

/* ------------------------------------------------------- content fetch */

struct fetched {
	struct sip_bearer *s;
	int64_t delivery;
};

static void on_fetched_loop(void *arg)
{
	struct fetched *f = arg;
	struct sip_attempt *t = f->s->stopping ? NULL : find_attempt(f->s, f->delivery);
	free(f);
	if (!t)
		return;
	t->fetched = 1;
	if (!t->awaiting_fetch)
		return;   /* the 200 is still to come */
	su_timer_destroy(t->fetch_timer);
	t->fetch_timer = NULL;
	t->awaiting_fetch = 0;
	finish_attempt(t);
}

/* [http worker] The terminal fetched the content of a delivery. */
static void on_fetched(void *arg, int64_t delivery)
{
	struct sip_bearer *s = arg;
	struct fetched *f = calloc(1, sizeof *f);
	if (!f)
		return;
	f->s = s;
	f->delivery = delivery;
	if (ppg_core_defer(s->core, 0, on_fetched_loop, f) < 0)
		free(f);
}

/* ------------------------------------------------------------ life cycle */

static void content_base(struct sip_bearer *s)
{
	const struct ppg_config *cfg = s->cfg;
	if (cfg->sip_content_base) {
		size_t l = strlen(cfg->sip_content_base);
		snprintf(s->content_base, sizeof s->content_base, "%s%scontent/", cfg->sip_content_base,
		    l && cfg->sip_content_base[l - 1] == '/' ? "" : "/");
		return;
	}
	char host[INET6_ADDRSTRLEN] = "127.0.0.1";
	const struct sockaddr_storage *ss = &cfg->listen[0];
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		snprintf(s->content_base, sizeof s->content_base, "%s://[%s]:%u/content/",
		    cfg->tls.certificate ? "https" : "http", host, ntohs(in6->sin6_port));
	} else {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		snprintf(s->content_base, sizeof s->content_base, "%s://%s:%u/content/",
		    cfg->tls.certificate ? "https" : "http", host, ntohs(in->sin_port));
	}
}

static void sip_free(struct ppg_bearer *b)
{
	struct sip_bearer *s = (struct sip_bearer *)b;
	if (!s)
		return;
	s->stopping = 1;
	ppg_metrics_set(PPG_M_SIP_UP, 0);
	ppg_content_observe(s->content, NULL, NULL);
	if (s->accept_to_send.n)
		LOGP(PPG_LOG_SIP, LOG_NOTICE, "latency from a push's receipt to its MESSAGE: n=%llu p50=%lluus "
		    "p99=%lluus max=%lluus", (unsigned long long)s->accept_to_send.n,
		    (unsigned long long)ppg_stats_hist_quantile(&s->accept_to_send, 0.5),
		    (unsigned long long)ppg_stats_hist_quantile(&s->accept_to_send, 0.99),
		    (unsigned long long)s->accept_to_send.max_us);
	ppg_bearer_sip_reg_stop(s);
	ppg_uaprof_stop(s->uaprof);
	s->uaprof = NULL;
	ppg_bearer_sip_regevent_stop(s);
	/* Outstanding MESSAGEs end with local results here; with `stopping`
	 * they only free their attempts. Open REGISTERs are answered 503. */
	sipb_free(s->sip);
	s->sip = NULL;
	for (unsigned i = 0; i < SIP_FETCH_BUCKETS; i++)
		while (s->by_delivery[i])
			attempt_free(s->by_delivery[i]);
	ppg_bearer_sip_reg_free(s);
	ppg_bearer_sip_notify_free(s);
	free(s);
}

static const struct ppg_bearer_ops sip_ops = {
	.kind = PPG_BEARER_SIP, .name = "SIP",
	.target = sip_target, .live = sip_live, .send = sip_send, .forget = sip_forget,
	.refresh = sip_refresh, .take = ppg_bearer_sip_take,
	.inflight = sip_inflight, .free = sip_free,
};

int ppg_bearer_sip_new(const struct ppg_bearer_env *env, struct ppg_bearer **out, char *err, size_t errlen)
{
	const struct ppg_config *cfg = env->cfg;
	*out = NULL;
	if (!cfg->sip_enabled)
		return 0;
	struct sip_bearer *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->base.ops = &sip_ops;
	s->base.env = env;
	s->cfg = cfg;
	s->core = env->core;
	s->root = env->root;
	s->content = env->content;
	content_base(s);
	char *tls_dir = NULL;
	if (cfg->sip_listen_tls && ppg_bearer_sip_tls_dir(cfg, &tls_dir, err, errlen) < 0) {
		sip_free(&s->base);
		return -EIO;
	}
	struct sipb_config sc = {
		.bind_url = cfg->sip_listen_udp,
		.tls_url = cfg->sip_listen_tls,
		.tls_dir = tls_dir,
		.tls_verify_server = cfg->sip_tls_verify,
		.tls_verify_client = cfg->sip_tls_verify_client,
		.outbound_proxy = cfg->sip_outbound_proxy,
		.from_uri = cfg->sip_from,
		.p_asserted_identity = cfg->sip_pai,
		.user_agent = "ppgd/" PACKAGE_VERSION,
		.indirection_threshold = cfg->sip_indirection_threshold,
		.trusted = ppg_bearer_sip_reg_trusted,
		.trusted_arg = s,
		.t1x64_ms = cfg->sip_transaction_timeout * 1000,
		.sub_min_expires = cfg->sip_sub_min_expires,
		.sub_max_expires = cfg->sip_sub_max_expires,
		.reg_event = cfg->sip_reg_event,
	};
	if (cfg->sip_uaprof_fetch && !(s->uaprof = ppg_uaprof_start(s->core, cfg->sip_uaprof_ttl, 10,
	    cfg->sip_uaprof_allow, cfg->sip_nuaprof_allow))) {
		snprintf(err, errlen, "cannot start the UAProf fetcher");
		ppg_bearer_sip_tls_dir_remove(tls_dir);   /* it holds the private key */
		sip_free(&s->base);
		return -ENOMEM;
	}
	if (s->uaprof && ppg_uaprof_on_stored(s->uaprof, ppg_bearer_sip_reg_uaprof_stored, s) < 0) {
		snprintf(err, errlen, "out of memory");
		ppg_bearer_sip_tls_dir_remove(tls_dir);
		sip_free(&s->base);
		return -ENOMEM;
	}
	if (ppg_bearer_sip_reg_start(s) < 0) {
		snprintf(err, errlen, "cannot start the SIP registrations");
		ppg_bearer_sip_tls_dir_remove(tls_dir);
		sip_free(&s->base);
		return -ENOMEM;
	}
	s->sip = sipb_new(s->root, &sc, ppg_bearer_sip_reg_on_register, on_result, s, err, errlen);
	ppg_bearer_sip_tls_dir_remove(tls_dir);   /* read by sipb_new: gone from the disk */
	if (!s->sip) {
		sip_free(&s->base);
		return -EIO;
	}
	sipb_set_session_handler(s->sip, ppg_bearer_sip_on_session, s);
	sipb_set_subscribe_handler(s->sip, ppg_bearer_sip_sub_on_subscribe, s);
	sipb_set_notify_handler(s->sip, ppg_bearer_sip_on_notify, s);
	if (ppg_bearer_sip_regevent_start(s, err, errlen) < 0) {
		sip_free(&s->base);
		return -EINVAL;
	}
	ppg_content_observe(s->content, on_fetched, s);
	ppg_metrics_set(PPG_M_SIP_UP, 1);
	LOGP(PPG_LOG_SIP, LOG_NOTICE, "SIP Push bearer on %s (port %u)%s%s", cfg->sip_listen,
	    sipb_local_port(s->sip), cfg->sip_outbound_proxy ? ", through " : ", no outbound proxy",
	    cfg->sip_outbound_proxy ? cfg->sip_outbound_proxy : "");
	if (cfg->sip_listen_tls)
		LOGP(PPG_LOG_SIP, LOG_NOTICE, "SIP over TLS on %s: certificate %s, core's CAs %s; the core's "
		    "certificate %s; clients %s", cfg->sip_listen_tls, cfg->sip_tls_certificate,
		    cfg->sip_tls_ca_file, cfg->sip_tls_verify ? "verified (chain, dates, host name)" : "NOT verified",
		    cfg->sip_tls_verify_client ? "must present a certificate from those CAs" :
		    "need no certificate");
	*out = &s->base;
	return 0;
}
