/*
 * ppg_final.c - final transitions and result notifications (WAP-247 PAP §8.5
 * resultnotification-message: push-id, sender-address, sender-name,
 * received-time, event-time, message-state, code, desc, and the address).
 */
#include "ppg/ppg_final.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pap/pap.h"
#include "ppg/ppg_log.h"
#include "ppg/ppg_metrics.h"
#include "ppg/ppg_quota.h"
#include "ppg/ppg_select.h"

const char *ppg_final_sender_address(const struct ppg_config *cfg, char *buf, size_t len)
{
	if (cfg->sender_address)
		return cfg->sender_address;
	const struct sockaddr_storage *ss = &cfg->listen[0];
	char host[64] = "localhost";
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		snprintf(buf, len, "%s://[%s]:%u%s", cfg->tls.certificate ? "https" : "http", host, ntohs(in6->sin6_port),
		    cfg->pap_path);
	} else {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		snprintf(buf, len, "%s://%s:%u%s", cfg->tls.certificate ? "https" : "http", host, ntohs(in->sin_port),
		    cfg->pap_path);
	}
	return buf;
}

static int queue_notification(struct db *db, const struct ppg_config *cfg, const struct db_push *p,
    const struct db_delivery *d, int state, int code, const char *desc, int64_t now)
{
	char sabuf[300];
	char *addr = d->address;
	struct pap_msg m = { 0 };

	m.type = PAP_MSG_RESULTNOTIFICATION;
	m.version = p->pap_version ? (enum pap_version)p->pap_version : PAP_V2_1;
	m.push_id = p->push_id;
	m.sender_address = (char *)ppg_final_sender_address(cfg, sabuf, sizeof sabuf);
	m.sender_name = cfg->sender_name;
	m.received_time = (time_t)(p->received_time / 1000);
	m.event_time = (time_t)(now / 1000);
	m.state = (enum pap_state)state;
	m.code = code;
	m.desc = (char *)desc;
	struct pap_msg_addr a = { .raw = addr, .ok = 0 };
	m.addrs = &a;
	m.naddrs = 1;
	size_t len = 0;
	char *xml = pap_msg_encode(&m, &len);
	if (!xml)
		return -ENOMEM;
	struct db_notification nt = {
		.push = p->id, .delivery = d->id, .url = p->notify_to,
		.body = (unsigned char *)xml, .body_len = len,
		.state = DB_STATE_PENDING, .next_attempt = now, .created = now,
	};
	int r = db_notification_insert(db, &nt);
	free(xml);
	return r;
}

static _Thread_local struct ppg_final_ids *collecting;

void ppg_final_collect(struct ppg_final_ids *ids)
{
	collecting = ids;
}

void ppg_final_ids_free(struct ppg_final_ids *ids)
{
	free(ids->v);
	ids->v = NULL;
	ids->n = ids->cap = 0;
}

static void collect(int64_t id)
{
	struct ppg_final_ids *s = collecting;
	if (!s)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		int64_t *v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return;   /* the attempt then ends by itself (timeout, lease) */
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = id;
}

int ppg_final(struct db *db, const struct ppg_config *cfg, const struct db_push *p,
    const struct db_delivery *d, int state, int code, const char *desc, int64_t now, int attempted)
{
	int r = attempted ? db_delivery_attempted(db, d->id, state, code, desc, now, 0)
	    : db_delivery_set_state(db, d->id, state, code, desc, now, 0);
	int left = 0;
	int64_t bytes = 0;
	if (r == 0)
		r = db_push_update_state_ex(db, p->id, &left, &bytes);
	if (r == 0 && !db_state_is_final(d->state))
		ppg_quota_ended(p->pi, left, bytes);
	if (r == 0 && p->notify_to && *p->notify_to)
		r = queue_notification(db, cfg, p, d, state, code, desc, now);
	if (r == 0)
		collect(d->id);
	if (r == 0)
		ppg_metrics_delivery_final(ppg_metrics_final_bearer(), state, now - p->received_time);
	if (r == 0) {
		/* journalctl PUSH_ID=... shows it with ADDRESS, BEARER (of the last attempt) and PAP_CODE */
		struct ppg_log_push f = { .pi = p->pi, .push_id = p->push_id, .address = d->address,
			.bearer = ppg_select_bearer_name(ppg_metrics_final_bearer()), .code = code,
			.delivery = (long long)d->id, .msgid = PPG_LOG_MSGID_FINAL };
		LOGPUSHF(PPG_LOG_CORE, LOG_INFO, &f, "%s: %s, %d (%s)", d->address,
		    pap_state_str((enum pap_state)state), code, desc ? desc : "");
	}
	return r;
}

int ppg_final_progress(struct db *db, const struct ppg_config *cfg, int64_t delivery, const char *note,
    int64_t now)
{
	struct db_delivery d = { 0 };
	struct db_push p = { 0 };
	int r = db_delivery_get(db, delivery, &d);
	if (r == 0)
		r = db_push_get(db, d.push, 0, &p);
	if (r == 0 && p.progress_notes && p.notify_to && *p.notify_to)
		r = queue_notification(db, cfg, &p, &d, DB_STATE_PENDING, PAP_ACCEPTED, note, now);
	db_push_clear(&p);
	db_delivery_clear(&d);
	return r;
}

int ppg_final_id(struct db *db, const struct ppg_config *cfg, int64_t delivery, int state,
    int code, const char *desc, int64_t now, int *changed)
{
	struct db_delivery d = { 0 };
	struct db_push p = { 0 };
	int r;

	*changed = 0;
	r = db_delivery_get(db, delivery, &d);
	if (r < 0)
		return r;
	if (db_state_is_final(d.state)) {
		db_delivery_clear(&d);
		return 0;
	}
	r = db_push_get(db, d.push, 0, &p);
	if (r == 0)
		r = ppg_final(db, cfg, &p, &d, state, code, desc, now, 0);
	if (r == 0)
		*changed = 1;
	db_push_clear(&p);
	db_delivery_clear(&d);
	return r;
}
