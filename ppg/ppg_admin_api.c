/*
 * ppg_admin_api.c - the admin listener's JSON API (jansson) under /api/v1/:
 * pushes paged by a row-id cursor, one push with every delivery and its
 * transition history, a cancel through the core's writer, bindings, PIs and
 * the status of bearers, listeners and queues. Reads run on the listener's
 * thread on the read-only handle (ppg_admin_db_take). [admin worker]
 */
#include "ppg/ppg_admin_int.h"

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* enum ppg_bearer_kind by name; "" when the engine has no bearer chosen
 * for a next attempt (not yet, or the delivery is final). */
static const char *bearer_name(int b)
{
	static const char *const names[] = { "", "sip", "udp", "sms" };
	return b >= 0 && b < (int)(sizeof names / sizeof names[0]) ? names[b] : "";
}

/* Each delivery of push row (addresses=1): address, state, the last
 * transition's code and description (which names the bearer that ended
 * it), the bearer chosen for the next attempts while one is. */
static json_t *addresses_json(struct db *db, int64_t row, int *err)
{
	struct db_delivery *dv = NULL;
	size_t dn = 0;
	json_t *list = json_array();
	*err = db_delivery_list(db, row, &dv, &dn);
	for (size_t i = 0; *err == 0 && i < dn; i++)
		json_array_append_new(list, json_pack("{s:o, s:s, s:b, s:i, s:o, s:s, s:i, s:I}",
		    "address", jstr(dv[i].address), "state", ppg_admin_state_name(dv[i].state),
		    "in_flight", dv[i].state == DB_STATE_INFLIGHT, "code", dv[i].code, "desc", jstr(dv[i].desc),
		    "bearer_name", bearer_name(dv[i].bearer), "attempts", dv[i].attempts,
		    "event_time", (json_int_t)dv[i].event_time));
	db_delivery_list_free(dv, dn);
	return list;
}

static json_t *brief_json(const struct db_push_brief *b)
{
	return json_pack("{s:I, s:o, s:o, s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:i}",
	    "row", (json_int_t)b->id, "pi", jstr(b->pi), "push_id", jstr(b->push_id),
	    "state", ppg_admin_state_name(b->state), "received_time", (json_int_t)b->received_time,
	    "state_time", (json_int_t)b->state_time, "deliver_before", (json_int_t)b->deliver_before,
	    "replaced_by", (json_int_t)b->replaced_by, "app_id", jstr(b->app_id),
	    "content_type", jstr(b->content_type), "deliveries", b->ndeliveries);
}

enum MHD_Result ppg_admin_api_pushes(struct ppg_admin *a, struct MHD_Connection *mc)
{
	struct db_push_filter f = { .pi = ppg_admin_arg(mc, "pi"), .push_id = ppg_admin_arg(mc, "push_id"), .state = -1 };
	const char *state = ppg_admin_arg(mc, "state");
	if (state) {
		enum pap_state s;
		if (pap_state_decode(state, &s) < 0)
			return ppg_admin_reply_error(mc, MHD_HTTP_BAD_REQUEST, "state \"%s\" is not a PAP message-state "
			    "(pending, delivered, undeliverable, expired, aborted, timeout, cancelled, rejected)", state);
		f.state = (int)s;
	}
	int64_t since = ppg_admin_int_arg(mc, "since"), until = ppg_admin_int_arg(mc, "until"), limit = ppg_admin_int_arg(mc, "limit"),
	    cursor = ppg_admin_int_arg(mc, "cursor");
	if (since == -2 || until == -2 || limit == -2 || cursor == -2)
		return ppg_admin_reply_error(mc, MHD_HTTP_BAD_REQUEST,
		    "since, until (Unix ms), limit and cursor must be non-negative integers");
	if (limit == 0 || limit > DB_PUSH_SEARCH_MAX)
		return ppg_admin_reply_error(mc, MHD_HTTP_BAD_REQUEST, "limit must be 1 .. %d", DB_PUSH_SEARCH_MAX);
	f.since = since > 0 ? since : 0;
	f.until = until > 0 ? until : 0;
	f.before_id = cursor > 0 ? cursor : 0;
	f.limit = limit > 0 ? (size_t)limit : PAGE_DEFAULT;
	const char *with_addrs = ppg_admin_arg(mc, "addresses");
	if (with_addrs && strcmp(with_addrs, "0") && strcmp(with_addrs, "1"))
		return ppg_admin_reply_error(mc, MHD_HTTP_BAD_REQUEST, "addresses must be 0 or 1");
	int addrs = with_addrs && !strcmp(with_addrs, "1");

	struct db *db = ppg_admin_db_take(a);
	if (!db)
		return ppg_admin_reply_error(mc, MHD_HTTP_SERVICE_UNAVAILABLE, "the database is not available");
	struct db_push_brief *v = NULL;
	size_t n = 0;
	int r = db_push_search(db, &f, &v, &n);
	if (r < 0) {
		enum MHD_Result ret = ppg_admin_reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "database: %s", db_errmsg(db));
		ppg_admin_db_give(a);
		return ret;
	}
	json_t *list = json_array();
	for (size_t i = 0; i < n && r == 0; i++) {
		json_t *b = brief_json(&v[i]);
		if (addrs)
			json_object_set_new(b, "addresses", addresses_json(db, v[i].id, &r));
		json_array_append_new(list, b);
	}
	if (r < 0) {
		enum MHD_Result ret = ppg_admin_reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "database: %s", db_errmsg(db));
		ppg_admin_db_give(a);
		json_decref(list);
		db_push_brief_list_free(v, n);
		return ret;
	}
	ppg_admin_db_give(a);
	json_t *next = json_null();
	if (n == f.limit) {
		char c[32];
		snprintf(c, sizeof c, "%lld", (long long)v[n - 1].id);
		json_decref(next);
		next = json_string(c);
	}
	db_push_brief_list_free(v, n);
	return ppg_admin_reply_json(mc, MHD_HTTP_OK, json_pack("{s:o, s:o, s:i}", "pushes", list, "next_cursor", next,
	    "count", (int)n));
}

/*
 * Finds the push a push-id names: of pi when given; else of the only PI that
 * used it (a push-id is unique per PI only). 0 with *row; or an answer sent
 * (*ret) and -1.
 */
static int find_push(struct db *db, struct MHD_Connection *mc, const char *pi, const char *push_id,
    int64_t *row, enum MHD_Result *ret)
{
	if (!push_id) {
		*ret = ppg_admin_reply_error(mc, MHD_HTTP_BAD_REQUEST, "push_id is required");
		return -1;
	}
	if (pi) {
		struct db_push p = { 0 };
		int r = db_push_find_latest(db, pi, push_id, 0, &p);
		if (r == -ENOENT) {
			*ret = ppg_admin_reply_error(mc, MHD_HTTP_NOT_FOUND, "no push \"%s\" of PI %s", push_id, pi);
			return -1;
		}
		if (r < 0) {
			*ret = ppg_admin_reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "database: %s", db_errmsg(db));
			return -1;
		}
		*row = p.id;
		db_push_clear(&p);
		return 0;
	}
	struct db_push_filter f = { .push_id = push_id, .state = -1, .limit = 50 };
	struct db_push_brief *v = NULL;
	size_t n = 0;
	if (db_push_search(db, &f, &v, &n) < 0) {
		*ret = ppg_admin_reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "database: %s", db_errmsg(db));
		return -1;
	}
	int other = 0;
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i].pi, v[0].pi))
			other = 1;
	if (n == 0) {
		*ret = ppg_admin_reply_error(mc, MHD_HTTP_NOT_FOUND, "no push \"%s\"", push_id);
	} else if (other) {
		json_t *pis = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(pis, json_string(v[i].pi));
		*ret = ppg_admin_reply_json(mc, MHD_HTTP_CONFLICT, json_pack("{s:s, s:i, s:o}", "error",
		    "several PIs used this push-id: name one with pi=", "status", MHD_HTTP_CONFLICT, "pis", pis));
	} else {
		/* newest first: the current push, or the one replaced last */
		*row = v[0].id;
		for (size_t i = 0; i < n; i++)
			if (!v[i].replaced_by) {
				*row = v[i].id;
				break;
			}
	}
	db_push_brief_list_free(v, n);
	return n && !other ? 0 : -1;
}

static json_t *push_json(struct db *db, const struct db_push *p, int *err)
{
	json_t *j = json_pack("{s:I, s:o, s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:b}",
	    "row", (json_int_t)p->id, "pi", jstr(p->pi), "push_id", jstr(p->push_id),
	    "state", ppg_admin_state_name(p->state), "received_time", (json_int_t)p->received_time,
	    "state_time", (json_int_t)p->state_time, "deliver_before", (json_int_t)p->deliver_before,
	    "deliver_after", (json_int_t)p->deliver_after, "replaced_by", (json_int_t)p->replaced_by,
	    "replace_push_id", jstr(p->replace_push_id), "source_reference", jstr(p->source_reference),
	    "notify_to", jstr(p->notify_to), "app_id", jstr(p->app_id), "content_type", jstr(p->content_type),
	    "progress_notes", p->progress_notes);
	struct db_delivery *dv = NULL;
	size_t dn = 0;
	json_t *list = json_array();
	*err = db_delivery_list(db, p->id, &dv, &dn);
	for (size_t i = 0; *err == 0 && i < dn; i++) {
		struct db_transition *tv = NULL;
		size_t tn = 0;
		json_t *hist = json_array();
		*err = db_transition_list(db, dv[i].id, &tv, &tn);
		for (size_t k = 0; *err == 0 && k < tn; k++)
			json_array_append_new(hist, json_pack("{s:I, s:s, s:i, s:o}", "time", (json_int_t)tv[k].time,
			    "state", ppg_admin_state_name(tv[k].state), "code", tv[k].code, "note", jstr(tv[k].note)));
		db_transition_list_free(tv, tn);
		json_t *dj = json_pack("{s:I, s:o, s:o, s:s, s:b, s:i, s:o, s:I, s:i, s:I, s:i, s:s, s:o}",
		    "row", (json_int_t)dv[i].id, "address", jstr(dv[i].address), "addr_canon", jstr(dv[i].addr_canon),
		    "state", ppg_admin_state_name(dv[i].state), "in_flight", dv[i].state == DB_STATE_INFLIGHT,
		    "code", dv[i].code, "desc", jstr(dv[i].desc), "event_time", (json_int_t)dv[i].event_time,
		    "attempts", dv[i].attempts, "next_attempt", (json_int_t)dv[i].next_attempt,
		    "bearer", dv[i].bearer, "bearer_name", bearer_name(dv[i].bearer), "history", hist);
		json_array_append_new(list, dj);
	}
	db_delivery_list_free(dv, dn);
	json_object_set_new(j, "deliveries", list);
	return j;
}

enum MHD_Result ppg_admin_api_push(struct ppg_admin *a, struct MHD_Connection *mc)
{
	struct db *db = ppg_admin_db_take(a);
	if (!db)
		return ppg_admin_reply_error(mc, MHD_HTTP_SERVICE_UNAVAILABLE, "the database is not available");
	enum MHD_Result ret = MHD_NO;
	int64_t row = ppg_admin_int_arg(mc, "row");   /* the row of a listed push: exact, even when replaced */
	if (row == -2 || row == 0) {
		ppg_admin_db_give(a);
		return ppg_admin_reply_error(mc, MHD_HTTP_BAD_REQUEST, "row must be a positive integer");
	}
	if (row < 0 && find_push(db, mc, ppg_admin_arg(mc, "pi"), ppg_admin_arg(mc, "push_id"), &row, &ret) < 0) {
		ppg_admin_db_give(a);
		return ret;
	}
	struct db_push p = { 0 };
	int err = db_push_get(db, row, 0, &p);
	json_t *j = err == 0 ? push_json(db, &p, &err) : NULL;
	if (err == -ENOENT) {
		json_decref(j);
		ret = ppg_admin_reply_error(mc, MHD_HTTP_NOT_FOUND, "no push in row %lld", (long long)row);
	} else if (err < 0) {
		json_decref(j);
		ret = ppg_admin_reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "database: %s", db_errmsg(db));
	} else {
		ret = ppg_admin_reply_json(mc, MHD_HTTP_OK, j);
	}
	db_push_clear(&p);
	ppg_admin_db_give(a);
	return ret;
}

/* A cancel goes through the writer like a PI's cancel-message. */
struct waiter {
	pthread_mutex_t m;
	pthread_cond_t c;
	int done;
};

static void cancel_done(void *arg)
{
	struct waiter *w = arg;
	pthread_mutex_lock(&w->m);
	w->done = 1;
	pthread_cond_signal(&w->c);
	pthread_mutex_unlock(&w->m);
}

enum MHD_Result ppg_admin_api_cancel(struct ppg_admin *a, struct MHD_Connection *mc, const char *user)
{
	const char *pi = ppg_admin_arg(mc, "pi"), *push_id = ppg_admin_arg(mc, "push_id");
	if (!push_id || !pi)
		return ppg_admin_reply_error(mc, MHD_HTTP_BAD_REQUEST, "push_id and pi are required (a push-id is unique per PI)");
	struct pap_msg m = { .type = PAP_MSG_CANCEL, .version = PAP_V2_1, .push_id = (char *)push_id };
	size_t len = 0;
	char *xml = pap_msg_encode(&m, &len);
	if (!xml)
		return ppg_admin_reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot encode the cancel-message");
	struct ppg_request *req = ppg_request_parse(a->cfg, pi, "application/xml", (const unsigned char *)xml, len,
	    ppg_clock_now_ms());
	free(xml);
	if (!req)
		return ppg_admin_reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	if (req->need != PPG_REQ_WRITE) {
		enum MHD_Result ret = ppg_admin_reply_error(mc, MHD_HTTP_BAD_REQUEST, "push_id cannot be cancelled: PAP code %d",
		    req->result_code);
		ppg_request_free(req);
		return ret;
	}
	struct waiter w = { .done = 0 };
	pthread_mutex_init(&w.m, NULL);
	pthread_cond_init(&w.c, NULL);
	if (ppg_core_submit(a->core, req, cancel_done, &w) < 0) {
		ppg_request_free(req);
		pthread_mutex_destroy(&w.m);
		pthread_cond_destroy(&w.c);
		return ppg_admin_reply_error(mc, MHD_HTTP_SERVICE_UNAVAILABLE, "ppgd is shutting down");
	}
	/* This connection's own thread waits for the batch to be durable. */
	pthread_mutex_lock(&w.m);
	while (!w.done)
		pthread_cond_wait(&w.c, &w.m);
	pthread_mutex_unlock(&w.m);
	pthread_mutex_destroy(&w.m);
	pthread_cond_destroy(&w.c);

	LOGPUSH(PPG_LOG_MAIN, LOG_NOTICE, pi, push_id, "cancel by admin %s: PAP %d", user, req->result_code);
	json_t *results = json_array();
	struct pap_msg *ans = NULL;
	struct pap_error perr;
	struct pap_limits lim = PAP_LIMITS_DEFAULT;
	lim.max_doc = req->answer_len + 1;
	if (req->answer && pap_msg_decode(req->answer, req->answer_len, &lim, &ans, &perr) == 0) {
		for (size_t i = 0; i < ans->nresults; i++) {
			json_t *addrs = json_array();
			for (size_t k = 0; k < ans->results[i].naddrs; k++)
				json_array_append_new(addrs, json_string(ans->results[i].addrs[k]));
			json_array_append_new(results, json_pack("{s:i, s:o, s:o}", "code", ans->results[i].code,
			    "desc", jstr(ans->results[i].desc), "addresses", addrs));
		}
	}
	pap_msg_free(ans);
	int code = req->result_code;
	json_t *j = json_pack("{s:s, s:s, s:i, s:s, s:b, s:o}", "pi", pi, "push_id", push_id, "code", code,
	    "desc", pap_code_desc(code), "cancelled", code == PAP_OK, "results", results);
	ppg_request_free(req);
	return ppg_admin_reply_json(mc, code == PAP_PUSH_ID_NOT_FOUND ? MHD_HTTP_NOT_FOUND : MHD_HTTP_OK, j);
}

enum MHD_Result ppg_admin_api_bindings(struct ppg_admin *a, struct MHD_Connection *mc)
{
	struct db *db = ppg_admin_db_take(a);
	if (!db)
		return ppg_admin_reply_error(mc, MHD_HTTP_SERVICE_UNAVAILABLE, "the database is not available");
	struct db_binding *v = NULL;
	struct db_subscription *sv = NULL;
	size_t n = 0, sn = 0;
	int64_t now = ppg_clock_now_ms();
	const char *aor = ppg_admin_arg(mc, "aor");
	if (db_binding_list(db, aor, now, &v, &n) < 0 || db_subscription_list(db, aor, now, &sv, &sn) < 0) {
		db_binding_list_free(v, n);
		enum MHD_Result ret = ppg_admin_reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "database: %s", db_errmsg(db));
		ppg_admin_db_give(a);
		return ret;
	}
	ppg_admin_db_give(a);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I}",
		    "aor", jstr(v[i].aor), "contact", jstr(v[i].contact), "instance", jstr(v[i].instance),
		    "gruu", jstr(v[i].gruu), "apps", jstr(v[i].apps), "expires", (json_int_t)v[i].expires,
		    "expires_in", (json_int_t)((v[i].expires - now) / 1000), "updated", (json_int_t)v[i].updated));
	db_binding_list_free(v, n);
	/* what terminals enrolled by ua-profile SUBSCRIBE (seed 003 Appendix A) */
	json_t *subs = json_array();
	for (size_t i = 0; i < sn; i++)
		json_array_append_new(subs, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I}",
		    "aor", jstr(sv[i].aor), "contact", jstr(sv[i].contact), "call_id", jstr(sv[i].call_id),
		    "apps", jstr(sv[i].apps), "uaprof", jstr(sv[i].model), "accept", jstr(sv[i].accept),
		    "expires", (json_int_t)sv[i].expires, "expires_in", (json_int_t)((sv[i].expires - now) / 1000),
		    "updated", (json_int_t)sv[i].updated));
	db_subscription_list_free(sv, sn);
	return ppg_admin_reply_json(mc, MHD_HTTP_OK, json_pack("{s:o, s:o}", "bindings", list,
	    "subscriptions", subs));
}

static json_t *cidr_json(const struct ppg_cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8], a[INET6_ADDRSTRLEN];
	inet_ntop(c->family, c->addr, a, sizeof a);
	snprintf(buf, sizeof buf, "%s/%d", a, c->bits);
	return json_string(buf);
}

enum MHD_Result ppg_admin_api_pis(struct ppg_admin *a, struct MHD_Connection *mc)
{
	json_t *list = json_array();
	/* the PIs of the last reload, held while listed */
	struct ppg_config *cur = a->reload ? ppg_reload_current(a->reload) : ppg_config_ref(a->cfg);
	for (const struct ppg_pi *pi = cur->pis; pi; pi = pi->next) {
		json_t *allow = json_array();
		for (int i = 0; i < pi->nallow; i++)
			json_array_append_new(allow, cidr_json(&pi->allow[i]));
		json_array_insert_new(list, 0, json_pack("{s:s, s:o}", "name", pi->name, "allow", allow));
	}
	ppg_config_free(cur);
	return ppg_admin_reply_json(mc, MHD_HTTP_OK, json_pack("{s:o}", "pis", list));
}

enum MHD_Result ppg_admin_api_status(struct ppg_admin *a, struct MHD_Connection *mc)
{
	const struct ppg_config *cfg = a->cfg;
	char dbwhy[256] = "";
	struct ppg_core_stats st;
	ppg_core_get_stats(a->core, &st);
	json_t *bearers = json_pack("{s:{s:b, s:b, s:s}, s:{s:b}, s:{s:b, s:b, s:s, s:I, s:I}}",
	    "sip", "enabled", cfg->sip_enabled, "up", ppg_metrics_get(PPG_M_SIP_UP) == 1, "listen", cfg->sip_listen,
	    "udp", "enabled", cfg->ota_udp,
	    "sms", "enabled", cfg->ota_sms, "bound", ppg_metrics_get(PPG_M_SMSC_BOUND) == 1, "smsc", cfg->ota_smsc,
	    "binds", (json_int_t)ppg_metrics_get(PPG_M_SMPP_BINDS),
	    "link_downs", (json_int_t)ppg_metrics_get(PPG_M_SMPP_LINK_DOWNS));
	json_t *j = json_pack("{s:s, s:I, s:I, s:o, s:{s:b, s:b}, s:{s:I, s:I, s:I}}",
	    "version", PACKAGE_VERSION, "started", (json_int_t)a->started,
	    "uptime", (json_int_t)(time(NULL) - a->started), "bearers", bearers,
	    "listeners", "pap", ppg_metrics_get(PPG_M_PAP_UP) == 1, "admin", 1,
	    "core", "requests", (json_int_t)st.requests, "batches", (json_int_t)st.batches,
	    "commit_failures", (json_int_t)st.commit_failures);
	json_object_set_new(j, "database_writable", json_boolean(ppg_admin_db_writable(a, dbwhy, sizeof dbwhy)));
	struct db *db = ppg_admin_db_take(a);
	if (db) {
		int64_t counts[DB_NSTATES], npend = 0;
		struct db_pending_reasons pr;
		if (db_push_count_by_state(db, counts) == 0) {
			json_t *by = json_object();
			for (int s = DB_STATE_PENDING; s <= DB_STATE_REJECTED; s++)
				json_object_set_new(by, pap_state_str((enum pap_state)s), json_integer(counts[s]));
			json_object_set_new(j, "pushes", by);
		}
		if (db_delivery_pending_reasons(db, ppg_clock_now_ms(), &pr) == 0)
			json_object_set_new(j, "deliveries_pending", json_pack("{s:I, s:I, s:I, s:I}",
			    "inflight", (json_int_t)pr.inflight, "registration", (json_int_t)pr.registration,
			    "scheduled", (json_int_t)pr.scheduled, "due", (json_int_t)pr.due));
		if (db_notification_count_state(db, DB_STATE_PENDING, &npend) == 0)
			json_object_set_new(j, "notifications_pending", json_integer(npend));
		ppg_admin_db_give(a);
	}
	return ppg_admin_reply_json(mc, MHD_HTTP_OK, j);
}

/*
 * GET /api/v1/throughput?seconds=S&step=T: pushes accepted and deliveries
 * that ended delivered or in another final state, per step of T seconds
 * (default 1) over the last S seconds (default 600, at most the ring's
 * PPG_SERIES_SLOTS), oldest first; t0 is the Unix second the first step
 * starts at, the last step holds the current second.
 */
enum MHD_Result ppg_admin_api_throughput(struct ppg_admin *a, struct MHD_Connection *mc)
{
	(void)a;
	int64_t seconds = ppg_admin_int_arg(mc, "seconds"), step = ppg_admin_int_arg(mc, "step");
	if (seconds == -1)
		seconds = 600;
	if (step == -1)
		step = 1;
	if (seconds < 1 || seconds > PPG_SERIES_SLOTS || step < 1 || step > 60)
		return ppg_admin_reply_error(mc, MHD_HTTP_BAD_REQUEST, "seconds must be 1 .. %d and step 1 .. 60",
		    PPG_SERIES_SLOTS);
	size_t nsteps = (size_t)((seconds + step - 1) / step);
	uint64_t *v = calloc(nsteps, sizeof *v);
	if (!v)
		return ppg_admin_reply_error(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	int64_t now = ppg_clock_now_ms() / 1000, t0 = now;
	static const char *const names[PPG_RATE__COUNT] = { "accepted", "delivered", "failed" };
	json_t *j = json_pack("{s:I, s:I}", "now", (json_int_t)now, "step", (json_int_t)step);
	for (int r = 0; r < PPG_RATE__COUNT; r++) {
		size_t n = ppg_metrics_rate((enum ppg_rate)r, now, (unsigned)step, v, nsteps, &t0);
		json_t *list = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(list, json_integer((json_int_t)v[i]));
		json_object_set_new(j, names[r], list);
	}
	free(v);
	json_object_set_new(j, "t0", json_integer(t0));
	return ppg_admin_reply_json(mc, MHD_HTTP_OK, j);
}

