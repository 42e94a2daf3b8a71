/*
 * smpp_query.c - query_sm (SMPP 3.4 §4.8): the state of a message the SMSC
 * accepted, asked for when its delivery receipt may have been lost (the
 * link dropped between the submit_sm_resp and the receipt). Queries go out
 * at once while bound, outside the submit window; each ends exactly once in
 * cb.on_query: its query_sm_resp, a generic_nack, no answer within
 * response_timeout_s, or the link lost.
 */
#include "smpp/smpp_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <smpp34.h>

static void query_end(struct smpp *s, struct smpp_q *q, int state, int error, uint32_t status,
    const char *reason)
{
	char id[sizeof q->id];
	snprintf(id, sizeof id, "%s", q->id);
	free(q);
	s->cb.on_query(s->arg, id, state, error, status, reason);
}

static void on_query_timer(su_root_magic_t *mg, su_timer_t *t, struct smpp *s);

static void arm_query_timer(struct smpp *s)
{
	if (!s->query_timer)
		return;
	if (!s->queries)
		su_timer_reset(s->query_timer);
	else
		smpp_arm(s->query_timer, on_query_timer, s, s->queries->deadline - smpp_now_ms());
}

static void on_query_timer(su_root_magic_t *mg, su_timer_t *t, struct smpp *s)
{
	int64_t now = smpp_now_ms();
	char why[96];
	(void)mg;
	(void)t;

	snprintf(why, sizeof why, "no query_sm_resp within %.1f s", s->cfg.response_timeout_s);
	while (s->queries && s->queries->deadline <= now) {
		struct smpp_q *q = s->queries;
		s->queries = q->next;
		LOGSMPP(s, LOG_WARNING, "query_sm seq=%u id=%s: %s", q->seq, q->id, why);
		query_end(s, q, -1, 0, SMPP_LOCAL, why);
	}
	arm_query_timer(s);
}

int smpp_query(struct smpp *s, const char *message_id)
{
	size_t cap, n;

	if (!s || !message_id || !*message_id || strlen(message_id) >= sizeof s->queries->id ||
	    !s->cb.on_query)
		return -EINVAL;
	if (s->state != L_BOUND || s->broken)
		return -ENOTCONN;
	if (!s->query_timer && !(s->query_timer = su_timer_create(su_root_task(s->root), 0)))
		return -ENOMEM;
	struct smpp_q *q = calloc(1, sizeof *q);
	uint8_t *p = q ? smpp_wroom(s, &cap) : NULL;
	if (!p) {
		free(q);
		return -ENOMEM;
	}
	q->seq = smpp_take_seq(s);
	if (smpp_pack_query(p, cap, &n, q->seq, &s->cfg, message_id) < 0) {
		free(q);
		return -EINVAL;
	}
	snprintf(q->id, sizeof q->id, "%s", message_id);
	q->deadline = smpp_now_ms() + smpp_ms_of(s->cfg.response_timeout_s);
	struct smpp_q **tail = &s->queries;
	while (*tail)
		tail = &(*tail)->next;
	*tail = q;
	s->wlen += n;
	s->st.queries++;
	LOGSMPP(s, LOG_DEBUG, "query_sm seq=%u id=%s", q->seq, q->id);
	if (s->queries == q)
		arm_query_timer(s);
	smpp_flush(s);
	return 0;
}

int smpp_query_resp(struct smpp *s, const uint8_t *pdu, const struct smpp_hdr *h, int nack)
{
	struct smpp_q **pp = &s->queries;
	while (*pp && (*pp)->seq != h->seq)
		pp = &(*pp)->next;
	struct smpp_q *q = *pp;
	if (!q)
		return -1;
	*pp = q->next;
	arm_query_timer(s);
	char id[72] = "", why[128];
	int state = -1, error = 0;
	const char *reason = NULL;
	if (!nack && h->status == ESME_ROK &&
	    smpp_unpack_query_resp(pdu, h->len, id, sizeof id, &state, &error, &reason) == 0) {
		s->st.query_answers++;
		if (id[0] && strcmp(id, q->id))
			LOGSMPP(s, LOG_NOTICE, "query_sm_resp seq=%u names %s, asked for %s", h->seq, id, q->id);
		snprintf(why, sizeof why, "message_state %d error_code %d", state, error);
		query_end(s, q, state, error, ESME_ROK, why);
		return 0;
	}
	if (reason) {
		s->st.protocol_errors++;
		snprintf(why, sizeof why, "query_sm_resp: %s", reason);
	} else {
		snprintf(why, sizeof why, "%s%s (0x%08X)", nack ? "generic_nack: " : "",
		    smpp_status_name(h->status), h->status);
	}
	query_end(s, q, -1, 0, h->status == ESME_ROK ? SMPP_LOCAL : h->status, why);
	return 0;
}

void smpp_query_end_all(struct smpp *s, const char *reason, int free_only)
{
	struct smpp_q *q;
	while ((q = s->queries)) {
		s->queries = q->next;
		if (free_only)
			free(q);
		else
			query_end(s, q, -1, 0, SMPP_LOCAL, reason);
	}
	if (s->query_timer) {
		su_timer_reset(s->query_timer);
		if (free_only) {
			su_timer_destroy(s->query_timer);
			s->query_timer = NULL;
		}
	}
}
