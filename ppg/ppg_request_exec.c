/*
 * ppg_request_exec.c - a request against the database (WAP-247 PAP §6-§8):
 * what a push-message stores (and replaces), what a cancel-message cancels,
 * what a statusquery-message reports. Push and cancel run on the writer
 * thread inside its batch transaction, statusquery on an HTTP worker with its
 * read-only connection.
 */
#include "ppg/ppg_request_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppg/ppg_final.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_quota.h"

static int exec_push(struct ppg_request *req, struct db *db, int64_t now_ms)
{
	struct pap_msg *m = req->msg;
	struct db_push p = { 0 };
	struct db_push old = { 0 };
	struct db_delivery *d = NULL;
	char (*canon)[PAP_ADDR_VALUE_MAX + PAP_ADDR_PPG_MAX + 32] = NULL;
	size_t *src = NULL;                /* d[k] comes from m->addrs[src[k]] */
	unsigned char *leased = NULL;      /* d[k] is attempted right after the commit */
	size_t n = 0;
	int r, have_old = 0;

	/* Replacement: the push named by replace-push-id, if still current. */
	if (m->replace_push_id) {
		r = db_push_find(db, req->pi, m->replace_push_id, 0, &old);
		if (r == -ENOENT) {
			ppg_request_answer_push(req, PAP_PUSH_ID_NOT_FOUND, "replace-push-id names no push of this PI");
			return 0;
		}
		if (r < 0)
			return r;
		have_old = 1;
	}

	d = calloc(m->naddrs, sizeof *d);
	canon = calloc(m->naddrs, sizeof *canon);
	src = calloc(m->naddrs, sizeof *src);
	leased = calloc(m->naddrs, sizeof *leased);
	if (!d || !canon || !src || !leased) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < m->naddrs; i++) {
		if (pap_addr_encode(&m->addrs[i].addr, canon[n], sizeof canon[n]) < 0)
			snprintf(canon[n], sizeof canon[n], "%s", m->addrs[i].raw);
		int dup = 0;
		for (size_t j = 0; j < n; j++)
			if (!strcmp(canon[j], canon[n]))
				dup = 1;
		if (dup)
			continue;   /* the same address twice gets one delivery */
		d[n].address = m->addrs[i].raw;
		d[n].addr_canon = canon[n];
		d[n].addr_type = m->addrs[i].addr.type;
		d[n].addr_value = m->addrs[i].addr.value;
		d[n].state = DB_STATE_PENDING;
		d[n].code = PAP_ACCEPTED;
		d[n].desc = (char *)"accepted for processing";
		d[n].event_time = now_ms;
		d[n].next_attempt = m->deliver_after ? (int64_t)m->deliver_after * 1000 : now_ms;
		src[n] = i;
		/* Due now and the engine takes it right after the commit: lease it
		 * (a deliver-after in the future leaves it to the scheduler). */
		leased[n] = req->lease_ms > 0 && d[n].next_attempt <= now_ms;
		if (leased[n])
			d[n].next_attempt = now_ms + req->lease_ms;
		n++;
	}

	/* Back-pressure: over a quota or the global pending limit, 4001 with a
	 * Retry-After and nothing stored. */
	char qdesc[200];
	unsigned retry = ppg_quota_check_push(db, req->pi, n, req->content_len, qdesc, sizeof qdesc);
	if (retry) {
		ppg_request_answer_push(req, PAP_SERVICE_UNAVAILABLE, qdesc);
		req->retry_after = retry;
		r = 0;
		goto out;
	}
	r = db_savepoint(db);
	if (r < 0)
		goto out;
	if (have_old) {
		struct db_delivery *od = NULL;
		size_t on = 0, pending = 0;
		r = db_delivery_list(db, old.id, &od, &on);
		if (r < 0)
			goto rollback;
		for (size_t i = 0; i < on; i++)
			if (!db_state_is_final(od[i].state))
				pending++;
		if (m->replace_method == PAP_REPLACE_PENDING_ONLY && pending == 0) {
			db_delivery_list_free(od, on);
			db_savepoint_release(db);
			ppg_request_answer_push(req, PAP_CANCEL_NOT_POSSIBLE,
			    "replace-method pending-only: the original push has no pending delivery");
			r = 0;
			goto out;
		}
		for (size_t i = 0; i < on && r == 0; i++)
			if (!db_state_is_final(od[i].state))
				r = ppg_final(db, req->cfg, &old, &od[i], DB_STATE_CANCELLED, PAP_OK,
				    "replaced by a new push", now_ms, 0);
		db_delivery_list_free(od, on);
		if (r < 0)
			goto rollback;
	}

	p.pi = req->pi;
	p.push_id = m->push_id;
	p.pap_version = m->version;
	p.state = DB_STATE_PENDING;
	p.received_time = req->received_ms;
	p.deliver_before = (int64_t)m->deliver_before * 1000;
	p.deliver_after = (int64_t)m->deliver_after * 1000;
	p.replace_push_id = m->replace_push_id;
	p.replace_method = m->replace_method;
	p.source_reference = m->source_reference;
	p.notify_to = m->ppg_notify_requested_to;
	p.progress_notes = m->progress_notes_requested;
	p.qos_present = m->qos.present;
	p.priority = m->qos.priority;
	p.delivery_method = m->qos.delivery_method;
	p.network = m->qos.network[0] ? m->qos.network : NULL;
	p.network_required = m->qos.network_required;
	p.bearer = m->qos.bearer[0] ? m->qos.bearer : NULL;
	p.bearer_required = m->qos.bearer_required;
	p.content_type = req->content_type;
	p.app_id = req->app_id;
	p.content_headers = req->content_headers;
	p.content_headers_len = req->content_headers_len;
	p.content_body = req->content;
	p.content_len = req->content_len;
	/* A replacement may reuse the push-id of the push it replaces. */
	r = have_old ? db_push_replace(db, old.id, &p, d, n) : db_push_insert(db, &p, d, n);
	if (r == -EEXIST) {
		db_savepoint_rollback(db);
		if (have_old)
			ppg_quota_resync();   /* the replaced push's deliveries were counted as ended */
		ppg_request_answer_push(req, PAP_DUPLICATE_PUSH_ID, "Duplicate push-id for this Push Initiator");
		r = 0;
		goto out;
	}
	if (r < 0)
		goto rollback;
	r = db_savepoint_release(db);
	if (r < 0)
		goto out;
	ppg_quota_stored(req->pi, n, req->content_len);
	struct ppg_log_push lf = { .pi = req->pi, .push_id = m->push_id, .code = PAP_ACCEPTED,
		.address = n == 1 ? d[0].address : NULL, .msgid = PPG_LOG_MSGID_ACCEPTED };
	LOGPUSHF(PPG_LOG_CORE, LOG_INFO, &lf, "accepted, %zu deliver%s%s%s", n,
	    n == 1 ? "y" : "ies", have_old ? ", replaces " : "", have_old ? m->replace_push_id : "");
	req->push_row = p.id;
	req->deliveries = calloc(n, sizeof *req->deliveries);
	if (req->deliveries) {
		for (size_t k = 0; k < n; k++) {
			req->deliveries[k].id = d[k].id;
			req->deliveries[k].addr = &m->addrs[src[k]];
			req->deliveries[k].leased = leased[k];
		}
		req->ndeliveries = n;
	}
	/* Without that list the leased deliveries are attempted when their
	 * lease ends; the push is stored either way. */
	ppg_request_answer_push(req, PAP_ACCEPTED, NULL);
	goto out;
rollback:
	db_savepoint_rollback(db);
out:
	db_push_clear(&old);
	free(d);
	free(canon);
	free(src);
	free(leased);
	return r;
}

/* Deliveries of a push selected by the addresses of a cancel/statusquery
 * (all of them when it names none). sel[i] = index into dv or -1. */
static void select_deliveries(const struct pap_msg *m, const struct db_delivery *dv, size_t dn, long *sel)
{
	for (size_t i = 0; i < m->naddrs; i++) {
		char canon[PAP_ADDR_VALUE_MAX + PAP_ADDR_PPG_MAX + 32];
		sel[i] = -1;
		if (m->addrs[i].ok && pap_addr_encode(&m->addrs[i].addr, canon, sizeof canon) < 0)
			canon[0] = '\0';
		for (size_t j = 0; j < dn; j++)
			if (!strcmp(dv[j].address, m->addrs[i].raw) ||
			    (m->addrs[i].ok && dv[j].addr_canon && !strcmp(dv[j].addr_canon, canon)))
				sel[i] = (long)j;
	}
}

struct result_set {
	struct pap_result *v;
	size_t n;
};

/* Adds an address to the result with this code (and state), creating it. */
static int results_add(struct result_set *rs, int code, const char *desc, int state, time_t t,
    const char *addr, int group)
{
	struct pap_result *r = NULL;
	if (group)
		for (size_t i = 0; i < rs->n; i++)
			if (rs->v[i].code == code && (int)rs->v[i].state == state)
				r = &rs->v[i];
	if (!r) {
		struct pap_result *nv = realloc(rs->v, (rs->n + 1) * sizeof *nv);
		if (!nv)
			return -ENOMEM;
		rs->v = nv;
		r = &rs->v[rs->n++];
		memset(r, 0, sizeof *r);
		r->code = code;
		r->desc = (char *)desc;
		r->state = (enum pap_state)state;
		r->event_time = t;
	}
	if (addr) {
		char **na = realloc(r->addrs, (r->naddrs + 1) * sizeof *na);
		if (!na)
			return -ENOMEM;
		r->addrs = na;
		r->addrs[r->naddrs++] = (char *)addr;
	}
	return 0;
}

static void results_free(struct result_set *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free(rs->v[i].addrs);
	free(rs->v);
}

/* What a cancel or a status query is about: the push (the current one, or
 * the last replaced one), its deliveries, and which of them each named
 * address selects. */
struct targets {
	struct db_push p;
	struct db_delivery *dv;
	size_t dn;
	long *sel;
};

static void targets_free(struct targets *t)
{
	free(t->sel);
	db_delivery_list_free(t->dv, t->dn);
	db_push_clear(&t->p);
}

/* Loads t. Returns 0, 1 when the push-id is unknown (answered 2004 with a
 * response of type `type`), or a negative errno. */
static int load_targets(struct ppg_request *req, struct db *db, enum pap_msg_type type, struct targets *t)
{
	struct pap_msg *m = req->msg;
	memset(t, 0, sizeof *t);
	int r = db_push_find_latest(db, req->pi, m->push_id, 0, &t->p);
	if (r == -ENOENT) {
		struct pap_result one = { .code = PAP_PUSH_ID_NOT_FOUND, .state = PAP_STATE_UNKNOWN,
			.desc = (char *)pap_code_desc(PAP_PUSH_ID_NOT_FOUND) };
		struct pap_msg a = { .type = type, .push_id = m->push_id, .results = &one, .nresults = 1 };
		ppg_request_set_answer(req, &a, PAP_PUSH_ID_NOT_FOUND);
		return 1;
	}
	if (r == 0)
		r = db_delivery_list(db, t->p.id, &t->dv, &t->dn);
	if (r == 0 && !(t->sel = calloc(m->naddrs + 1, sizeof *t->sel)))
		r = -ENOMEM;
	if (r < 0) {
		targets_free(t);
		return r;
	}
	select_deliveries(m, t->dv, t->dn, t->sel);
	return 0;
}

static int exec_cancel(struct ppg_request *req, struct db *db, int64_t now_ms)
{
	struct pap_msg *m = req->msg;
	struct targets t;
	struct result_set rs = { 0 };
	int r = load_targets(req, db, PAP_MSG_CANCEL_RESPONSE, &t);
	if (r)
		return r > 0 ? 0 : r;
	struct db_push p = t.p;
	struct db_delivery *dv = t.dv;
	size_t dn = t.dn;
	long *sel = t.sel;
	r = db_savepoint(db);
	if (r < 0)
		goto out;
	size_t ntargets = m->naddrs ? m->naddrs : dn;
	int cancelled = 0, refused = 0;
	for (size_t i = 0; i < ntargets && r == 0; i++) {
		long j = m->naddrs ? sel[i] : (long)i;
		const char *addr = m->naddrs ? m->addrs[i].raw : dv[i].address;
		if (j < 0) {
			r = results_add(&rs, PAP_ADDRESS_ERROR, "address is not a recipient of this push",
			    0, 0, addr, 1);
			refused++;
		} else if (db_state_is_final(dv[j].state)) {
			r = results_add(&rs, PAP_CANCEL_NOT_POSSIBLE, pap_code_desc(PAP_CANCEL_NOT_POSSIBLE),
			    0, 0, addr, 1);
			refused++;
		} else {
			r = ppg_final(db, req->cfg, &p, &dv[j], DB_STATE_CANCELLED, PAP_OK,
			    "cancelled by the Push Initiator", now_ms, 0);
			dv[j].state = DB_STATE_CANCELLED;
			if (r == 0)
				r = results_add(&rs, PAP_OK, pap_code_desc(PAP_OK), 0, 0, addr, 1);
			cancelled++;
		}
	}
	if (r < 0) {
		db_savepoint_rollback(db);
		goto out;
	}
	r = db_savepoint_release(db);
	if (r < 0)
		goto out;
	/* A cancel that names no address and has one outcome answers without
	 * listing every address. */
	if (!m->naddrs && rs.n == 1)
		for (size_t i = 0; i < rs.n; i++)
			rs.v[i].naddrs = 0;
	struct ppg_log_push lf = { .pi = req->pi, .push_id = m->push_id,
		.code = cancelled ? PAP_OK : PAP_CANCEL_NOT_POSSIBLE, .msgid = PPG_LOG_MSGID_CANCEL };
	LOGPUSHF(PPG_LOG_CORE, LOG_INFO, &lf, "cancel: %d cancelled, %d not cancellable", cancelled, refused);
	struct pap_msg a = { .type = PAP_MSG_CANCEL_RESPONSE, .push_id = m->push_id,
		.results = rs.v, .nresults = rs.n };
	ppg_request_set_answer(req, &a, cancelled ? PAP_OK : PAP_CANCEL_NOT_POSSIBLE);
out:
	results_free(&rs);
	targets_free(&t);
	return r;
}

static int exec_statusquery(struct ppg_request *req, struct db *db)
{
	struct pap_msg *m = req->msg;
	struct targets t;
	struct result_set rs = { 0 };
	int r = load_targets(req, db, PAP_MSG_STATUSQUERY_RESPONSE, &t);
	if (r)
		return r > 0 ? 0 : r;
	struct db_delivery *dv = t.dv;
	size_t dn = t.dn;
	long *sel = t.sel;
	size_t ntargets = m->naddrs ? m->naddrs : dn;
	for (size_t i = 0; i < ntargets && r == 0; i++) {
		long j = m->naddrs ? sel[i] : (long)i;
		if (j < 0) {
			r = results_add(&rs, PAP_ADDRESS_ERROR, "address is not a recipient of this push",
			    PAP_STATE_UNKNOWN, 0, m->addrs[i].raw, 0);
			continue;
		}
		int st = dv[j].state == DB_STATE_INFLIGHT ? DB_STATE_PENDING : dv[j].state;
		r = results_add(&rs, dv[j].code, dv[j].desc ? dv[j].desc : pap_code_desc(dv[j].code), st,
		    (time_t)(dv[j].event_time / 1000), m->naddrs ? m->addrs[i].raw : dv[j].address, 0);
	}
	if (r < 0)
		goto out;
	struct pap_msg a = { .type = PAP_MSG_STATUSQUERY_RESPONSE, .push_id = m->push_id,
		.results = rs.v, .nresults = rs.n };
	ppg_request_set_answer(req, &a, PAP_OK);
out:
	results_free(&rs);
	targets_free(&t);
	return r;
}

int ppg_request_execute(struct ppg_request *req, struct db *db, int64_t now_ms)
{
	int r;

	if (req->need == PPG_REQ_DONE)
		return 0;
	switch (req->msg->type) {
	case PAP_MSG_PUSH:
		r = exec_push(req, db, now_ms);
		break;
	case PAP_MSG_CANCEL:
		r = exec_cancel(req, db, now_ms);
		break;
	case PAP_MSG_STATUSQUERY:
		r = exec_statusquery(req, db);
		break;
	case PAP_MSG_CCQ:
		r = ppg_request_exec_ccq(req, db, now_ms);
		break;
	default:
		r = -EINVAL;
		break;
	}
	if (r < 0) {
		ppg_quota_resync();   /* what was counted may have been rolled back */
		LOGPUSH(PPG_LOG_DB, LOG_ERR, req->pi, req->msg->push_id, "database: %s", db_errmsg(db));
		ppg_request_fail(req, PAP_INTERNAL_ERROR, "internal error: the database failed");
	}
	return r;
}
