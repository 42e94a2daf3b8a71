/*
 * ppg_deliver_write.c - what the delivery engine writes and reads in the
 * core's batches ([writer]), and the queueing of it ([loop]): an attempt's
 * outcome (the retry decision needs the attempts already made, which the
 * database holds, so it is taken inside the transaction), the SIP -> SMS
 * fallback (stored with the delivery), parks, releases, the wake-up of
 * deliveries waiting on a registration, the recovery at start, and the job
 * of an accepted push.
 */
#include "ppg/ppg_deliver_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pap/pap.h"
#include "ppg/ppg_final.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_metrics.h"

/* An after() of ppg_core_write that only frees its argument. Not committed:
 * the delivery is still pending and due again when its lease ends. */
static void free_after(void *arg, int committed)
{
	(void)committed;
	free(arg);
}

/* ------------------------------------------------------------ outcomes */

struct result_op {
	struct ppg_deliver *e;
	int64_t delivery;
	int64_t lease_gen;
	int64_t deliver_before;
	enum ppg_bearer_kind bearer;
	/* SIP: the final response */
	int status;
	char phrase[64];
	int local;
	int retry_after;
	/* OTA: the bearer took it (ok), or a transient (retryable) or permanent failure */
	int ok, retryable, fail_code;
	int final_state, final_code;     /* when not 0: this final outcome, no table */
	char desc[160];
};

/* The SIP Push migration (README "Bearer selection"): a PLMN target that SIP Push could not
 * reach goes over SMS from now on, stored with the delivery. */
static int fallback_write(struct db *db, struct result_op *o, const struct ppg_outcome *out,
    int64_t now)
{
	char desc[256];
	snprintf(desc, sizeof desc, "%s; falling back to OTA/SMS", out->desc);
	int r = db_delivery_attempted(db, o->delivery, DB_STATE_PENDING, PAP_ACCEPTED, desc, now, now);
	if (r == 0)
		r = db_delivery_set_bearer(db, o->delivery, PPG_BEARER_SMS);
	if (r == 0)
		r = ppg_final_progress(db, o->e->cfg, o->delivery, desc, now);
	return r;
}

/*
 * The fence of every write about an attempt: an attempt runs under the
 * lease generation it was claimed with, and once another claim took the
 * delivery (its lease ran out while this node was still at it, e.g. stopped
 * for longer than the lease; then claimed by another node, or by this node
 * again) its outcome, park or release is not this attempt's to write: the
 * newer attempt decides the delivery's state. Owner and generation both:
 * the owner name alone would let a stale attempt of node A overwrite A's
 * own newer attempt after B's lease in between ran out too. One exception,
 * "delivered wins": a terminal that took the push has it, so that outcome
 * is written, and the newer attempt's outcome then finds the delivery final
 * and is dropped. At-least-once: the newer attempt may send the push a
 * second time, and no state is lost or made up. 1 when ours, 0 when not,
 * or a negative errno (the write is tried again). [writer]
 */
static int lease_ours(struct db *db, int64_t delivery, int64_t lease_gen, int delivered,
    const char *what)
{
	if (delivered)
		return 1;
	int r = db_delivery_lease_held(db, delivery, lease_gen);
	if (r == 0) {
		char owner[DB_NODE_MAX] = "";
		db_delivery_lease_owner(db, delivery, owner, sizeof owner);
		LOGP(PPG_LOG_CORE, LOG_NOTICE, "delivery %lld: the %s of node %s's attempt is dropped: its "
		    "lease ran out and %s%s took the delivery over", (long long)delivery, what, db_node(db),
		    strcmp(owner, db_node(db)) ? "node " : "a newer claim of this node",
		    strcmp(owner, db_node(db)) ? owner : "");
	}
	return r;
}

static int result_write_bearer(struct db *db, void *arg, int64_t now)
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
		if ((r = lease_ours(db, o->delivery, o->lease_gen, o->final_state == DB_STATE_DELIVERED,
		    "outcome")) <= 0) {
			db_delivery_clear(&d);
			return r == -ENOENT ? 0 : r;
		}
		r = ppg_final_id(db, e->cfg, o->delivery, o->final_state, o->final_code, o->desc, now, &changed);
		db_delivery_clear(&d);
		return r;
	}
	if (o->bearer == PPG_BEARER_SIP) {
		ppg_outcome_sip(o->status, o->phrase, o->local, o->retry_after, d.attempts + 1,
		    o->deliver_before, &e->sip_pol, now, &out);
		if (out.not_reachable && out.kind != PPG_OUT_DELIVERED && e->by_kind[PPG_BEARER_SMS] &&
		    e->cfg->ota_sip_fallback && d.addr_type == PAP_ADDR_PLMN) {
			r = lease_ours(db, o->delivery, o->lease_gen, 0, "outcome");
			if (r > 0)
				r = fallback_write(db, o, &out, now);
			db_delivery_clear(&d);
			return r == -ENOENT ? 0 : r;
		}
	} else {
		ppg_outcome_ota(o->ok, o->retryable, o->fail_code, d.attempts + 1, o->deliver_before,
		    &e->ota_pol, now, &out);
	}
	if (o->desc[0]) {
		char desc[sizeof o->desc + 64];
		snprintf(desc, sizeof desc, "%s%s", o->desc, out.kind == PPG_OUT_FINAL &&
		    out.state == DB_STATE_EXPIRED ? "; deliver-before before the next try" : "");
		snprintf(out.desc, sizeof out.desc, "%.*s", (int)sizeof out.desc - 1, desc);
	}
	if ((r = lease_ours(db, o->delivery, o->lease_gen, out.kind == PPG_OUT_DELIVERED, "outcome")) <= 0) {
		db_delivery_clear(&d);
		return r == -ENOENT ? 0 : r;
	}
	if (out.kind == PPG_OUT_RETRY) {
		char desc[256];
		snprintf(desc, sizeof desc, "%s; trying again in %lld s", out.desc,
		    (long long)((out.retry_at - now + 999) / 1000));
		r = db_delivery_attempted(db, o->delivery, DB_STATE_PENDING, PAP_ACCEPTED, desc, now,
		    out.retry_at);
		if (r == 0)
			r = ppg_final_progress(db, e->cfg, o->delivery, desc, now);
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

/* The final states result_write records are counted under the bearer of the attempt. */
static int result_write(struct db *db, void *arg, int64_t now)
{
	ppg_metrics_set_final_bearer(((struct result_op *)arg)->bearer);
	int r = result_write_bearer(db, arg, now);
	ppg_metrics_set_final_bearer(0);
	return r;
}

static void queue_result(struct ppg_deliver *e, struct result_op *o)
{
	if (ppg_core_write_retry(e->core, result_write, free_after, o) < 0)
		free(o);
}

void ppg_deliver_write_report(struct ppg_deliver *e, const struct ppg_attempt *at,
    const struct ppg_bearer_report *r)
{
	struct result_op *o = calloc(1, sizeof *o);
	if (!o)
		return;   /* the lease ends and it is attempted again */
	o->e = e;
	o->delivery = at->a.delivery;
	o->lease_gen = at->lease_gen;
	o->deliver_before = at->p->deliver_before;
	o->bearer = at->b->ops->kind;
	if (r->kind == PPG_REPORT_FINAL) {
		o->final_state = r->state;
		o->final_code = r->code;
		snprintf(o->desc, sizeof o->desc, "%s", r->desc ? r->desc : "");
	} else {
		o->status = r->status;
		snprintf(o->phrase, sizeof o->phrase, "%s", r->phrase ? r->phrase : "");
		o->local = r->local;
		o->retry_after = r->retry_after;
		o->ok = r->ok;
		o->retryable = r->retryable;
		o->fail_code = r->fail_code;
		if (r->desc && *r->desc)
			snprintf(o->desc, sizeof o->desc, "%s%s%s%s", r->desc, at->why[0] ? " (" : "",
			    at->why, at->why[0] ? ")" : "");
	}
	queue_result(e, o);
}

void ppg_deliver_write_final(struct ppg_deliver *e, int64_t delivery, int64_t lease_gen, int state,
    int code, const char *desc)
{
	struct result_op *o = calloc(1, sizeof *o);
	if (!o)
		return;
	o->e = e;
	o->delivery = delivery;
	o->lease_gen = lease_gen;
	o->final_state = state;
	o->final_code = code;
	snprintf(o->desc, sizeof o->desc, "%s", desc);
	queue_result(e, o);
}

/* ------------------------------------------------------------- receipts */

struct receipt_op {
	struct ppg_deliver *e;
	int delivered, state;
	char desc[160];
	char msgid[];
};

/*
 * A delivery receipt, found by its message id in the store whichever node
 * submitted the message (or before a restart): the delivery ends delivered
 * once no segment's message id is left (each receipt takes its own), or at
 * once in the receipt's state when a segment was not delivered. The SMSC's
 * word is final: "delivered wins" over a lease another node holds, and an
 * undelivered segment means the message as submitted never arrives. A
 * delivery already final is left alone (the node that holds the attempt
 * may have written the same receipt's outcome first). [writer]
 */
static int receipt_write(struct db *db, void *arg, int64_t now)
{
	struct receipt_op *o = arg;
	int64_t delivery = 0, left = 0;
	int changed = 0;
	int r = db_sms_message_take(db, o->msgid, &delivery, &left);
	if (r == -ENOENT || r == -ENOTSUP) {
		LOGP(PPG_LOG_SMPP, LOG_DEBUG, "receipt of %s: no delivery waits for that message id", o->msgid);
		return 0;
	}
	if (r < 0)
		return r;
	if (o->delivered && left > 0)
		return 0;   /* other segments still to come */
	ppg_metrics_set_final_bearer(PPG_BEARER_SMS);
	r = ppg_final_id(db, o->e->cfg, delivery, o->delivered ? DB_STATE_DELIVERED : o->state,
	    o->delivered ? PAP_OK : PAP_SERVICE_FAILURE, o->desc, now, &changed);
	ppg_metrics_set_final_bearer(0);
	if (r == 0 && changed)
		LOGP(PPG_LOG_SMPP, LOG_INFO, "delivery %lld: %s (message id %s)", (long long)delivery, o->desc,
		    o->msgid);
	return r;
}

void ppg_deliver_write_receipt(struct ppg_deliver *e, const char *msgid, int delivered, int state,
    const char *desc)
{
	size_t l = strlen(msgid);
	struct receipt_op *o = calloc(1, sizeof *o + l + 1);
	if (!o)
		return;
	o->e = e;
	o->delivered = delivered;
	o->state = state ? state : DB_STATE_UNDELIVERABLE;
	snprintf(o->desc, sizeof o->desc, "%s", desc);
	memcpy(o->msgid, msgid, l + 1);
	if (ppg_core_write_retry(e->core, receipt_write, free_after, o) < 0)
		free(o);
}

/* ---------------------------------------------------------------- parks */

struct park_op {
	struct ppg_deliver *e;
	int64_t delivery;
	int64_t lease_gen;
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
	if (!db_state_is_final(d.state) &&
	    (r = lease_ours(db, o->delivery, o->lease_gen, 0, "park")) > 0) {
		r = 0;
		/* The same note again (a restart re-evaluated it) is no new
		 * transition: only the time it is due changes. */
		if (d.desc && !strcmp(d.desc, o->desc)) {
			r = db_delivery_schedule(db, o->delivery, o->when);
		} else {
			r = db_delivery_set_state(db, o->delivery, DB_STATE_PENDING, PAP_ACCEPTED, o->desc, now,
			    o->when);
			if (r == 0 && o->target[0])
				r = db_delivery_set_target(db, o->delivery, o->target);
			if (r == 0)
				r = ppg_final_progress(db, o->e->cfg, o->delivery, o->desc, now);
		}
	}
	db_delivery_clear(&d);
	return r == -ENOENT ? 0 : r;
}

void ppg_deliver_write_park(struct ppg_deliver *e, int64_t delivery, int64_t lease_gen, int64_t when,
    const char *target, const char *desc)
{
	struct park_op *o = calloc(1, sizeof *o);
	if (!o)
		return;
	o->e = e;
	o->delivery = delivery;
	o->lease_gen = lease_gen;
	o->when = when;
	snprintf(o->target, sizeof o->target, "%s", target ? target : "");
	snprintf(o->desc, sizeof o->desc, "%s", desc);
	if (ppg_core_write_retry(e->core, park_write, free_after, o) < 0)
		free(o);
}

/* Gives a lease back (the window was full, or out of memory): due at once. */
struct release_op {
	int64_t delivery;
	int64_t lease_gen;
};

static int release_write(struct db *db, void *arg, int64_t now)
{
	struct release_op *o = arg;
	int r = lease_ours(db, o->delivery, o->lease_gen, 0, "release");
	if (r > 0)
		r = db_delivery_schedule(db, o->delivery, now);
	return r == -ENOENT ? 0 : r;
}

void ppg_deliver_write_release(struct ppg_deliver *e, int64_t delivery, int64_t lease_gen)
{
	struct release_op *o = malloc(sizeof *o);
	if (!o)
		return;
	o->delivery = delivery;
	o->lease_gen = lease_gen;
	if (ppg_core_write_retry(e->core, release_write, free_after, o) < 0)
		free(o);
}

/* Deliveries waiting for a registration of target become due at once. */
struct wake_op {
	struct ppg_deliver *e;
	int woken;
	int here;                        /* this node claims them (a take): nobody else told */
	char target[];
};

static int wake_write(struct db *db, void *arg, int64_t now)
{
	struct wake_op *o = arg;
	struct db_delivery *v = NULL;
	size_t n = 0;
	int r = db_delivery_waiting(db, o->target, PPG_WAKE_MAX, &v, &n), woken = 0;
	/* Only the parked ones: a delivery leased to an attempt under way (on
	 * this node or another) keeps its lease, and one waiting for a retry
	 * keeps its backoff; cutting a live lease made another node send it
	 * a second time. */
	for (size_t i = 0; i < n && r == 0; i++)
		if (v[i].next_attempt == PPG_NEVER) {
			r = db_delivery_schedule(db, v[i].id, now);
			woken++;
		}
	db_delivery_list_free(v, n);
	/* Whichever node claims them first sends them; a take is claimed here,
	 * in the batch right after this one. */
	if (r == 0 && woken && !o->here)
		r = db_notify(db, PPG_CLUSTER_DUE, db_node(db));
	o->woken = r == 0 ? woken : 0;   /* a rolled-back run is run again */
	return r;
}

/* The woken deliveries are claimed at once, not at the scheduler's next
 * tick (up to PPG_TICK_MS later): a registration starts them within a
 * batch or two. */
static void wake_after(void *arg, int committed)
{
	struct wake_op *o = arg;
	if (committed && o->woken && !o->e->stopping)
		ppg_sched_lease(o->e);
	free(o);
}

/* Target "": every AoR with a live binding (the cluster listener was away),
 * in chunks of PPG_WAKE_MAX deliveries, one statement each
 * (db_regevent_wake_registered): a job per registered AoR made 100,000 writer
 * jobs of a reconnect with 100,000 bindings. A full chunk queues the next
 * one once durable. */
static int wake_all_write(struct db *db, void *arg, int64_t now)
{
	struct wake_op *o = arg;
	int r = db_regevent_wake_registered(db, now, PPG_WAKE_MAX);
	if (r > 0) {
		int n = db_notify(db, PPG_CLUSTER_DUE, db_node(db));
		if (n < 0)
			r = n;
	}
	o->woken = r > 0 ? r : 0;
	return r < 0 ? r : 0;
}

static void wake_all_after(void *arg, int committed)
{
	struct wake_op *o = arg;
	struct ppg_deliver *e = o->e;
	if (committed && o->woken && !e->stopping) {
		LOGP(PPG_LOG_CORE, LOG_INFO, "%d delivery(ies) parked until a registration woken: their AoR "
		    "is registered", o->woken);
		ppg_sched_lease(e);
	}
	int more = committed && o->woken >= PPG_WAKE_MAX && !e->stopping;
	free(o);
	if (more)
		ppg_deliver_write_wake(e, "", 0);
}

void ppg_deliver_write_wake(struct ppg_deliver *e, const char *target, int here)
{
	size_t len = strlen(target) + 1;
	struct wake_op *o = malloc(sizeof *o + len);
	if (!o)
		return;
	o->e = e;
	o->woken = 0;
	o->here = here;
	memcpy(o->target, target, len);
	if (ppg_core_write_retry(e->core, *target ? wake_write : wake_all_write,
	    *target ? wake_after : wake_all_after, o) < 0)
		free(o);
}

/* After a restart nothing is in flight: every pending delivery is due. */
static int recover_write(struct db *db, void *arg, int64_t now)
{
	struct ppg_deliver *e = arg;
	e->recovered = 1;
	/* Only this node's leases: other nodes on the same PostgreSQL are
	 * attempting theirs (SQLite has one node: every pending delivery). */
	int n = db_delivery_recover_own(db, now);
	if (n > 0)
		LOGP(PPG_LOG_CORE, LOG_NOTICE, "%d pending deliver%s of node %s due again after the restart", n,
		    n == 1 ? "y is" : "ies are", db_node(db));
	return n < 0 ? n : 0;
}

void ppg_deliver_write_recover(struct ppg_deliver *e)
{
	if (ppg_core_write_lazy(e->core, recover_write, NULL, e) < 0)
		e->recovered = 1;   /* not queued: nothing to wait for (the writer has not read it yet) */
}

/* ------------------------------------------------- jobs of accepted pushes */

int64_t ppg_deliver_write_lease_ms(void *arg)
{
	const struct ppg_deliver *e = arg;
	/* A batch runs its requests before the loop's writes: a push leased in
	 * the batch of the recovery would be made due again by it, and the
	 * scheduler would attempt it a second time. Until then the scheduler
	 * takes new pushes. */
	if (!e->recovered)
		return 0;
	return (int64_t)(e->cfg->sip_transaction_timeout + e->cfg->sip_fetch_timeout +
	    e->cfg->lease_margin) * 1000;
}

void *ppg_deliver_write_prepare(void *arg, const struct ppg_request *req)
{
	struct ppg_deliver *e = arg;
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
	struct ppg_push_src src = {
		.id = req->push_row, .pi = req->pi, .push_id = req->msg->push_id,
		.deliver_before = (int64_t)req->msg->deliver_before * 1000,
		.content_type = req->content_type, .body = req->content, .len = req->content_len,
		.headers = req->content_headers, .headers_len = req->content_headers_len,
		.app_id = req->app_id, .delivery_method = q->delivery_method,
		.network_required = q->network_required, .bearer_required = q->bearer_required,
		.network = q->network, .bearer = q->bearer,
	};
	j->p = ppg_push_new(e->apps_cfg, &src);
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

void ppg_deliver_write_job_free(void *job)
{
	struct ppg_deliver_job *j = job;
	if (!j)
		return;
	ppg_push_unref(j->p);
	free(j->d);
	free(j);
}
