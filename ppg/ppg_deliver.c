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
#define LEASE_MARGIN_MS 30000

/* ------------------------------------------------------------ push info */

void ppg_pinfo_unref(struct ppg_pinfo *p)
{
	if (!p || --p->refs > 0)
		return;
	free(p->pi);
	free(p->push_id);
	free(p->content_type);
	free(p->body);
	free(p->headers);
	free(p->app_id);
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

/* What a push is made of, from an accepted request or a database row. */
struct pinfo_src {
	int64_t id;
	const char *pi, *push_id;
	int64_t deliver_before;
	const char *content_type;
	const void *body;
	size_t len;
	const char *headers;
	size_t headers_len;
	const char *app_id;
	int delivery_method, network_required, bearer_required;
	const char *network, *bearer;
};

static char *dup0(const void *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		if (n)
			memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static struct ppg_pinfo *pinfo_new(struct ppg_deliver *e, const struct pinfo_src *src)
{
	struct ppg_pinfo *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->refs = 1;
	p->id = src->id;
	p->pi = strdup(src->pi ? src->pi : "");
	p->push_id = strdup(src->push_id ? src->push_id : "");
	p->deliver_before = src->deliver_before;
	p->content_type = strdup(src->content_type ? src->content_type : "application/octet-stream");
	p->body = (unsigned char *)dup0(src->body, src->len);
	p->headers = dup0(src->headers, src->headers ? src->headers_len : 0);
	p->headers_len = src->headers ? src->headers_len : 0;
	p->app_id = src->app_id ? strdup(src->app_id) : NULL;
	if (!p->pi || !p->push_id || !p->content_type || !p->body || !p->headers ||
	    (src->app_id && !p->app_id)) {
		ppg_pinfo_unref(p);
		return NULL;
	}
	p->len = src->len;
	p->delivery_method = src->delivery_method;
	p->network_required = src->network_required;
	p->bearer_required = src->bearer_required;
	snprintf(p->network, sizeof p->network, "%s", src->network ? src->network : "");
	snprintf(p->bearer, sizeof p->bearer, "%s", src->bearer ? src->bearer : "");
	resolve_app(e, p, src->app_id);
	return p;
}

struct ppg_pinfo *ppg_pinfo_from_row(struct ppg_deliver *e, const struct db_push *row)
{
	struct pinfo_src src = {
		.id = row->id, .pi = row->pi, .push_id = row->push_id,
		.deliver_before = row->deliver_before, .content_type = row->content_type,
		.body = row->content_body, .len = row->content_len,
		.headers = row->content_headers, .headers_len = row->content_headers_len,
		.app_id = row->app_id, .delivery_method = row->delivery_method,
		.network_required = row->network_required, .bearer_required = row->bearer_required,
		.network = row->network, .bearer = row->bearer,
	};
	return pinfo_new(e, &src);
}

/* ------------------------------------------------------------- attempts */

static unsigned attempt_bucket(int64_t delivery)
{
	return (unsigned)((uint64_t)delivery * 0x9E3779B97F4A7C15ULL >> 52) % PPG_ATTEMPT_BUCKETS;
}

struct ppg_attempt *ppg_attempt_find(struct ppg_deliver *e, int64_t delivery)
{
	for (struct ppg_attempt *a = e->attempts[attempt_bucket(delivery)]; a; a = a->next)
		if (a->delivery == delivery)
			return a;
	return NULL;
}

struct ppg_attempt *ppg_attempt_new(struct ppg_deliver *e, int64_t delivery, struct ppg_pinfo *p,
    enum ppg_bearer b, const char *target)
{
	struct ppg_attempt *a = calloc(1, sizeof *a);
	if (!a || !(a->aor = strdup(target ? target : ""))) {
		free(a);
		return NULL;
	}
	a->e = e;
	a->delivery = delivery;
	a->p = p;
	p->refs++;
	a->bearer = b;
	a->retry_after = -1;
	unsigned h = attempt_bucket(delivery);
	a->next = e->attempts[h];
	e->attempts[h] = a;
	e->nattempts++;
	return a;
}

void ppg_attempt_free(struct ppg_attempt *a)
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
	if (a->nmsgids)
		ppg_ota_forget(a);
	if (a->fetch_timer)
		su_timer_destroy(a->fetch_timer);
	ppg_pinfo_unref(a->p);
	free(a->aor);
	free(a);
}

/* ------------------------------------------------------- writes (ops) */

/*
 * The outcome of an attempt, written in the next batch. The retry decision
 * needs the attempts already made, which the database holds: it is taken
 * here, inside the transaction.
 */
static int result_write(struct db *db, void *arg, int64_t now)
{
	struct ppg_result_op *o = arg;
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
		db_delivery_clear(&d);
		return r;
	}
	if (o->bearer == PPG_BEARER_SIP) {
		ppg_outcome_sip(o->status, o->phrase, o->local, o->retry_after, d.attempts + 1,
		    o->deliver_before, &e->pol, now, &out);
		/* Migration: a PLMN target SIP Push cannot reach goes over SMS. */
		if (out.not_reachable && out.kind != PPG_OUT_DELIVERED && e->smpp && e->cfg->ota_sip_fallback &&
		    d.addr_type == PAP_ADDR_PLMN) {
			char desc[256];
			snprintf(desc, sizeof desc, "%s; falling back to OTA/SMS", out.desc);
			r = db_delivery_attempted(db, o->delivery, DB_STATE_PENDING, PAP_ACCEPTED, desc, now, now);
			if (r == 0)
				r = ppg_progress(db, e->cfg, o->delivery, desc, now);
			o->fallback = r == 0;   /* the loop notes it in result_after */
			db_delivery_clear(&d);
			return r;
		}
	}
	else {
		ppg_outcome_ota(o->ok, o->retryable, o->fail_code, d.attempts + 1, o->deliver_before,
		    &e->ota_pol, now, &out);
	}
	if (o->delivered)
		out.kind = PPG_OUT_DELIVERED;
	if (o->desc[0]) {
		char desc[sizeof o->desc + 64];
		snprintf(desc, sizeof desc, "%s%s", o->desc, out.kind == PPG_OUT_FINAL &&
		    out.state == DB_STATE_EXPIRED ? "; deliver-before before the next try" : "");
		snprintf(out.desc, sizeof out.desc, "%.*s", (int)sizeof out.desc - 1, desc);
	}
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
	db_delivery_clear(&d);
	return r;
}

/* Runs in the loop once the outcome is committed. */
static void result_after(void *arg, int committed)
{
	struct ppg_result_op *o = arg;
	if (committed && o->fallback)
		ppg_force_sms(o->e, o->delivery);
	free(o);
}

void ppg_free_after(void *arg, int committed)
{
	(void)committed;   /* not committed: the delivery is still pending and due again */
	free(arg);
}

struct ppg_result_op *ppg_result_op_new(struct ppg_attempt *a)
{
	struct ppg_result_op *o = calloc(1, sizeof *o);
	if (o) {
		o->e = a->e;
		o->delivery = a->delivery;
		o->deliver_before = a->p->deliver_before;
		o->bearer = a->bearer;
	}
	return o;
}

void ppg_queue_result(struct ppg_deliver *e, struct ppg_result_op *o)
{
	if (ppg_core_write(e->core, result_write, result_after, o) < 0)
		free(o);
}

void ppg_queue_final(struct ppg_deliver *e, int64_t delivery, int state, int code, const char *desc)
{
	struct ppg_result_op *o = calloc(1, sizeof *o);
	if (!o)
		return;
	o->e = e;
	o->delivery = delivery;
	o->final_state = state;
	o->final_code = code;
	snprintf(o->desc, sizeof o->desc, "%s", desc);
	ppg_queue_result(e, o);
}

void ppg_ota_outcome(struct ppg_attempt *a, int ok, int retryable, int fail_code, const char *desc)
{
	struct ppg_result_op *o = ppg_result_op_new(a);
	if (o) {
		o->ok = ok;
		o->retryable = retryable;
		o->fail_code = fail_code;
		snprintf(o->desc, sizeof o->desc, "%s%s%s%s", desc, a->why[0] ? " (" : "", a->why,
		    a->why[0] ? ")" : "");
		ppg_queue_result(a->e, o);
	}
	LOGPUSH(PPG_LOG_CORE, LOG_DEBUG, a->p->pi, a->p->push_id, "delivery %lld: %s",
	    (long long)a->delivery, desc);
	ppg_attempt_free(a);
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
	/* A registration after the decision comes with a wake-up, queued after
	 * this write (both come from the loop, in order): it finds the target. */
	int64_t when = o->when;
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

void ppg_park(struct ppg_deliver *e, int64_t delivery, int64_t when, const char *target, const char *desc)
{
	struct park_op *o = calloc(1, sizeof *o);
	if (!o)
		return;
	o->e = e;
	o->delivery = delivery;
	o->when = when;
	snprintf(o->target, sizeof o->target, "%s", target ? target : "");
	snprintf(o->desc, sizeof o->desc, "%s", desc);
	if (ppg_core_write(e->core, park_write, ppg_free_after, o) < 0)
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

void ppg_release(struct ppg_deliver *e, int64_t delivery)
{
	struct release_op *o = calloc(1, sizeof *o);
	if (!o)
		return;
	o->delivery = delivery;
	if (ppg_core_write(e->core, release_write, ppg_free_after, o) < 0)
		free(o);
}

/* ---------------------------------------------------- bearer selection */

/* The SIP public identity a delivery goes to, or NULL when the address is
 * not one SIP Push can reach. */
const char *ppg_target_aor(struct ppg_deliver *e, int type, const char *value, char *out, size_t len)
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

/* Picks the bearer of one delivery and starts its attempt. */
void ppg_dispatch(struct ppg_deliver *e, struct ppg_pinfo *p, int64_t delivery, int type,
    const char *value, int64_t now)
{
	char aor[512];
	struct ppg_select_out out;

	if (ppg_attempt_find(e, delivery))
		return;   /* already under way */
	if (p->deliver_before && now >= p->deliver_before)
		return;   /* the expiry sweep ends it */
	int sip_target = ppg_target_aor(e, type, value, aor, sizeof aor) != NULL;
	struct ppg_select_in in = {
		.addr_type = type,
		.sip_target = sip_target,
		.sip_enabled = e->sip != NULL,
		.udp_enabled = e->udp4 >= 0 || e->udp6 >= 0,
		.sms_enabled = e->smpp != NULL,
		.sip_live = sip_target && e->sip && !p->app_error && ppg_sip_live(e, aor, p->app, now),
		.plmn_fallback = e->cfg->ota_plmn_fallback,
		.delivery_method = p->delivery_method,
		.network_required = p->network_required, .network = p->network,
		.bearer_required = p->bearer_required, .bearer = p->bearer,
		.networks = e->cfg->ota_networks, .sip_bearers = e->cfg->sip_bearers,
		.ip_bearers = e->cfg->ota_ip_bearers, .sms_bearers = e->cfg->ota_sms_bearers,
	};
	ppg_select(&in, &out);
	/* A SIP attempt ended "not reachable": this time over SMS. */
	if (in.sms_enabled && type == PAP_ADDR_PLMN && ppg_forced_sms(e, delivery, 1)) {
		out.bearer = PPG_BEARER_SMS;
		snprintf(out.why, sizeof out.why, "bearer OTA/SMS: SIP Push could not reach the terminal");
	}
	LOGPUSH(PPG_LOG_CORE, LOG_INFO, p->pi, p->push_id, "delivery %lld: %s", (long long)delivery, out.why);
	switch (out.bearer) {
	case PPG_BEARER_SIP:
		ppg_sip_dispatch(e, p, delivery, aor, now);
		break;
	case PPG_BEARER_SMS: {
		struct ppg_attempt *a = ppg_attempt_new(e, delivery, p, PPG_BEARER_SMS, value);
		if (!a) {
			ppg_release(e, delivery);
			break;
		}
		/* "bearer OTA/SMS: <why>" -> "<why>" */
		const char *why = strchr(out.why, ':') ? strchr(out.why, ':') + 2 : out.why;
		snprintf(a->why, sizeof a->why, "%.*s", (int)sizeof a->why - 1, why);
		ppg_ota_send_sms(a, value);
		break;
	}
	case PPG_BEARER_UDP: {
		struct ppg_attempt *a = ppg_attempt_new(e, delivery, p, PPG_BEARER_UDP, value);
		if (!a)
			ppg_release(e, delivery);
		else
			ppg_ota_send_udp(a, type == PAP_ADDR_IPV6 ? AF_INET6 : AF_INET, value);
		break;
	}
	default:
		if (out.code)
			ppg_queue_final(e, delivery, DB_STATE_REJECTED, out.code, out.why);
		else
			ppg_park(e, delivery, PPG_NEVER, NULL, out.why);
		break;
	}
}

/* ------------------------------------------------------------ entry points */

int64_t ppg_deliver_lease_ms(const struct ppg_deliver *e)
{
	return (int64_t)(e->cfg->sip_transaction_timeout + e->cfg->sip_fetch_timeout) * 1000 + LEASE_MARGIN_MS;
}

/* What the engine takes from an accepted push: its content and the leased
 * deliveries, copied out of the request before the HTTP worker frees it. */
struct ppg_deliver_job {
	struct ppg_pinfo *p;
	size_t n;
	struct job_delivery {
		int64_t id;
		int type;
		char value[PAP_ADDR_VALUE_MAX];
	} *d;
	struct ppg_deliver_job *next;
};

struct ppg_deliver_job *ppg_deliver_prepare(struct ppg_deliver *e, const struct ppg_request *req)
{
	size_t n = 0;
	for (size_t i = 0; i < req->ndeliveries; i++)
		n += req->deliveries[i].leased;
	if (!n)
		return NULL;
	struct ppg_deliver_job *j = calloc(1, sizeof *j);
	if (!j || !(j->d = calloc(n, sizeof *j->d))) {
		free(j);
		return NULL;   /* the leases end and the scheduler takes them */
	}
	const struct pap_qos *q = &req->msg->qos;
	struct pinfo_src src = {
		.id = req->push_row, .pi = req->pi, .push_id = req->msg->push_id,
		.deliver_before = (int64_t)req->msg->deliver_before * 1000,
		.content_type = req->content_type, .body = req->content, .len = req->content_len,
		.headers = req->content_headers, .headers_len = req->content_headers_len,
		.app_id = req->app_id, .delivery_method = q->delivery_method,
		.network_required = q->network_required, .bearer_required = q->bearer_required,
		.network = q->network, .bearer = q->bearer,
	};
	j->p = pinfo_new(e, &src);
	if (!j->p) {
		free(j->d);
		free(j);
		return NULL;
	}
	j->p->received_us = req->received_us;
	for (size_t i = 0; i < req->ndeliveries; i++) {
		const struct ppg_req_delivery *rd = &req->deliveries[i];
		if (!rd->leased)
			continue;
		j->d[j->n].id = rd->id;
		j->d[j->n].type = rd->addr->addr.type;
		snprintf(j->d[j->n].value, sizeof j->d[j->n].value, "%s", rd->addr->addr.value);
		j->n++;
	}
	return j;
}

void ppg_deliver_job_link(struct ppg_deliver_job *j, struct ppg_deliver_job *next)
{
	j->next = next;
}

struct ppg_deliver_job *ppg_deliver_job_next(const struct ppg_deliver_job *j)
{
	return j->next;
}

void ppg_deliver_job_free(struct ppg_deliver_job *j)
{
	if (!j)
		return;
	ppg_pinfo_unref(j->p);
	free(j->d);
	free(j);
}

void ppg_deliver_run(struct ppg_deliver *e, struct ppg_deliver_job *j, int64_t now)
{
	for (size_t i = 0; !e->stopping && i < j->n; i++) {
		if (e->messages >= e->cfg->sip_window)
			ppg_release(e, j->d[i].id);   /* the tick takes it when there is room */
		else
			ppg_dispatch(e, j->p, j->d[i].id, j->d[i].type, j->d[i].value, now);
	}
	ppg_deliver_job_free(j);
}

void ppg_deliver_stop(struct ppg_deliver *e)
{
	if (!e)
		return;
	e->stopping = 1;
	su_timer_reset(e->tick);
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
	e->ota_pol.retry_min_s = cfg->ota_retry_min;
	e->ota_pol.retry_max_s = cfg->ota_retry_max;
	e->ota_pol.max_attempts = cfg->ota_max_attempts;
	e->udp4 = e->udp6 = -1;
	content_base(e);

	int n = db_delivery_recover(db, now);
	if (n > 0)
		LOGP(PPG_LOG_CORE, LOG_NOTICE, "%d pending deliver%s due again after the restart", n,
		    n == 1 ? "y is" : "ies are");
	if (ppg_sipreg_load(e, now) < 0) {
		snprintf(err, errlen, "cannot load the registrations: %s", db_errmsg(db));
		goto fail;
	}
	if (ppg_ota_open(e, err, errlen) < 0 || ppg_ota_open_sms(e, err, errlen) < 0)
		goto fail;
	if (!cfg->sip_enabled)
		goto started;
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
	e->sip = sipb_new(root, &sc, ppg_sipreg_on_register, ppg_sip_on_result, e, err, errlen);
	if (!e->sip)
		goto fail;
	LOGP(PPG_LOG_CORE, LOG_NOTICE, "SIP Push bearer on %s (port %u)%s%s", cfg->sip_listen,
	    sipb_local_port(e->sip), cfg->sip_outbound_proxy ? ", through " : ", no outbound proxy",
	    cfg->sip_outbound_proxy ? cfg->sip_outbound_proxy : "");
started:
	e->notify = ppg_notify_http_new(cfg->notify_threads, cfg->notify_timeout, "ppgd/" PACKAGE_VERSION,
	    ppg_notifier_done, e);
	e->tick = su_timer_create(su_root_task(root), TICK_MS);
	if (!e->notify || !e->tick || su_timer_run(e->tick, ppg_sched_tick, e) < 0) {
		snprintf(err, errlen, "cannot start the notifier or the scheduler");
		goto fail;
	}
	if (e->udp4 >= 0 || e->udp6 >= 0)
		LOGP(PPG_LOG_CORE, LOG_NOTICE, "Push OTA over UDP to port %u", cfg->ota_udp_port);
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
			ppg_attempt_free(e->attempts[i]);
	ppg_notify_http_free(e->notify);
	ppg_ota_close(e);
	ppg_sipreg_free(e);
	free(e);
}
