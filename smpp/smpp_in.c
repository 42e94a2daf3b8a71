/*
 * smpp_in.c - incoming PDUs of the SMPP 3.4 ESME session (smpp_client.c,
 * smpp_link.c): reading the socket, framing (§3.2), bind responses,
 * submit_sm_resp and generic_nack (§2.10), deliver_sm receipts,
 * enquire_link and unbind from the SMSC.
 */
#include "smpp/smpp_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <smpp34.h>


static struct sm *find_inflight(struct smpp *s, uint32_t seq)
{
	/* The window is small (tens): a linear scan. */
	struct sm *m;
	TAILQ_FOREACH(m, &s->inflight, q)
		if (m->seq == seq)
			return m;
	return NULL;
}

static void bound(struct smpp *s)
{
	char why[128];

	s->state = L_BOUND;
	s->backoff = s->cfg.reconnect_min_s;
	s->st.binds++;
	su_timer_reset(s->link_timer);
	s->enq_seq = 0;
	s->enq_next = smpp_now_ms() + smpp_ms_of(s->cfg.enquire_link_s);
	smpp_arm(s->enq_timer, smpp_on_enq_timer, s, smpp_ms_of(s->cfg.enquire_link_s));
	snprintf(why, sizeof why, "bound as %s (%u queued)",
	    s->cfg.transceiver ? "transceiver" : "transmitter", s->nqueue);
	LOGSMPP(s, LOG_INFO, "%s", why);
	if (s->cb.on_link)
		s->cb.on_link(s->arg, 1, why);
}

static void on_bind_resp(struct smpp *s, const struct smpp_hdr *h)
{
	char why[160];

	if (s->state != L_BINDING || h->seq != s->bind_seq) {
		s->st.protocol_errors++;
		LOGSMPP(s, LOG_WARNING, "unexpected bind response seq=%u", h->seq);
		return;
	}
	if (h->status == ESME_ROK) {
		bound(s);
		smpp_pump(s);
		return;
	}
	s->st.bind_failures++;
	snprintf(why, sizeof why, "bind refused: %s (0x%08X)", smpp_status_name(h->status),
	    h->status);
	smpp_link_down(s, why, smpp_is_auth_failure(h->status));
}

/* A submit_sm_resp, or a generic_nack for a submit_sm (nack = 1). */
static void on_submit_resp(struct smpp *s, const uint8_t *pdu, const struct smpp_hdr *h,
    int nack)
{
	struct sm *m = find_inflight(s, h->seq);
	char msgid[72] = "", why[160];
	const char *reason = NULL;
	int cls;

	if (!m) {
		LOGSMPP(s, LOG_NOTICE, "%s seq=%u matches no submit_sm in flight (late answer?)",
		    nack ? "generic_nack" : "submit_sm_resp", h->seq);
		return;
	}
	TAILQ_REMOVE(&s->inflight, m, q);
	s->ninflight--;
	cls = smpp_status_class(h->status);
	if (nack && cls == SMPP_OK)
		cls = SMPP_FAIL;    /* a generic_nack with ESME_ROK is nonsense */
	if (cls == SMPP_OK &&
	    smpp_unpack_submit_resp(pdu, h->len, msgid, sizeof msgid, &reason) < 0) {
		/* The SMSC took it; only its message id is lost. */
		s->st.protocol_errors++;
		LOGSMPP(s, LOG_WARNING, "submit_sm_resp seq=%u: %s; message_id taken as \"\"",
		    h->seq, reason);
		msgid[0] = '\0';
	}
	snprintf(why, sizeof why, "%s%s (0x%08X)", nack ? "generic_nack: " : "",
	    smpp_status_name(h->status), h->status);
	if (h->status == ESME_RTHROTTLED || h->status == ESME_RMSGQFUL)
		s->pause_until = smpp_now_ms() + smpp_ms_of(s->cfg.throttle_pause_s);
	if (h->status == ESME_RINVBNDSTS)
		smpp_fail_soon(s, "the SMSC says we are not bound (ESME_RINVBNDSTS)");
	smpp_arm_resp_timer(s);
	smpp_result(s, m, cls, h->status, cls == SMPP_OK ? msgid : NULL, why);
	free(m);
}

static void on_deliver(struct smpp *s, const uint8_t *pdu, const struct smpp_hdr *h)
{
	struct smpp_deliver d;
	const char *reason = NULL;
	char id[72], stat[16];
	size_t cap, n;
	uint8_t *p;
	int delivered = 0, receipt = 0;
	uint32_t status = ESME_ROK;

	if (smpp_unpack_deliver(pdu, h->len, &d, &reason) < 0) {
		/* Told so, the SMSC does not send it again for ever. */
		s->st.protocol_errors++;
		status = ESME_RX_P_APPN;
		LOGSMPP(s, LOG_WARNING, "deliver_sm seq=%u: %s; answered ESME_RX_P_APPN", h->seq, reason);
	} else if ((d.esm_class & 0x3C) == SMPP34_DELIVERY_RECEIPT) {
		delivered = smpp_receipt_parse(&d, id, sizeof id, stat, sizeof stat);
		if (delivered == -2)
			LOGSMPP(s, LOG_WARNING, "receipt seq=%u without a message id: \"%.80s\"", h->seq,
			    (const char *)d.text);
		else
			receipt = 1;
	} else {
		LOGSMPP(s, LOG_INFO, "deliver_sm from %s (esm_class 0x%02X) is no receipt: ignored",
		    d.source_addr, d.esm_class);
	}
	p = smpp_wroom(s, &cap);
	if (p && smpp_pack_deliver_resp(p, cap, &n, status, h->seq) == 0) {
		s->wlen += n;
		smpp_flush(s);
	}
	if (receipt) {
		s->st.receipts++;
		LOGSMPP(s, LOG_DEBUG, "receipt id=%s stat=%s", id, stat);
		if (s->cb.on_receipt)
			s->cb.on_receipt(s->arg, id, delivered, stat);
	}
}

static void on_pdu(struct smpp *s, const uint8_t *pdu, const struct smpp_hdr *h)
{
	switch (h->id) {
	case BIND_TRANSMITTER_RESP:
	case BIND_TRANSCEIVER_RESP:
		on_bind_resp(s, h);
		break;
	case SUBMIT_SM_RESP:
		on_submit_resp(s, pdu, h, 0);
		smpp_pump(s);
		break;
	case DELIVER_SM:
		on_deliver(s, pdu, h);
		break;
	case QUERY_SM_RESP:
		if (smpp_query_resp(s, pdu, h, 0) < 0)
			LOGSMPP(s, LOG_NOTICE, "query_sm_resp seq=%u matches no query_sm (late answer?)", h->seq);
		break;
	case ENQUIRE_LINK:
		s->st.enquire_answered++;
		smpp_send_empty(s, ENQUIRE_LINK_RESP, ESME_ROK, h->seq);
		break;
	case ENQUIRE_LINK_RESP:
		if (h->seq == s->enq_seq)
			s->enq_seq = 0;
		break;
	case UNBIND:
		/* §4.2: answer, send nothing new, and take the answers still on
		 * their way until the SMSC closes (at most response_timeout_s):
		 * what they answer is not sent twice. */
		smpp_send_empty(s, UNBIND_RESP, ESME_ROK, h->seq);
		if (s->state == L_BOUND && !TAILQ_EMPTY(&s->inflight)) {
			s->state = L_CLOSING;
			su_timer_reset(s->enq_timer);
			smpp_arm(s->link_timer, smpp_on_link_timer, s, smpp_ms_of(s->cfg.response_timeout_s));
		} else {
			smpp_link_down(s, "unbind from the SMSC", 0);
		}
		break;
	case UNBIND_RESP:
		break;
	case GENERIC_NACK:
		s->st.protocol_errors++;
		LOGSMPP(s, LOG_WARNING, "generic_nack seq=%u: %s (0x%08X)", h->seq,
		    smpp_status_name(h->status), h->status);
		if (s->state == L_BINDING && h->seq == s->bind_seq) {
			s->st.bind_failures++;
			smpp_link_down(s, "bind answered with generic_nack", 0);
		} else if (h->seq && h->seq == s->enq_seq) {
			s->enq_seq = 0;  /* the SMSC is alive, it just dislikes enquire_link */
		} else if (smpp_query_resp(s, pdu, h, 1) == 0) {
			/* a query_sm the SMSC does not support */
		} else {
			on_submit_resp(s, pdu, h, 1);
			smpp_pump(s);
		}
		break;
	case OUTBIND:
	case ALERT_NOTIFICATION:
		LOGSMPP(s, LOG_INFO, "ignored command 0x%08X", h->id);
		break;
	default:
		s->st.protocol_errors++;
		if (h->id & 0x80000000u) {
			LOGSMPP(s, LOG_NOTICE, "unexpected response 0x%08X seq=%u ignored", h->id, h->seq);
		} else {
			LOGSMPP(s, LOG_NOTICE, "command 0x%08X seq=%u not supported: generic_nack",
			    h->id, h->seq);
			if (smpp_send_empty(s, GENERIC_NACK, ESME_RINVCMDID, h->seq) < 0)
				LOGSMPP(s, LOG_NOTICE, "cannot answer seq=%u", h->seq);
		}
		break;
	}
}

/*
 * Takes every whole PDU out of rbuf. The PDU is handed down with a NUL after
 * it (libsmpp34 uses strlen on C-octet strings): the byte there, the start
 * of the next PDU or spare room (rbuf has SMPP_MAX_PDU + 1 octets), is
 * saved and put back.
 */
static void parse_input(struct smpp *s)
{
	size_t off = 0;
	unsigned gen = s->gen;

	while (s->rlen - off >= 16) {
		struct smpp_hdr h;
		char why[96];

		if (smpp_hdr_read(s->rbuf + off, s->rlen - off, &h) < 0) {
			s->st.protocol_errors++;
			snprintf(why, sizeof why, "bad command_length %u (16..%u): not SMPP?", h.len,
			    SMPP_MAX_PDU);
			smpp_link_down(s, why, 0);
			return;
		}
		if (s->rlen - off < h.len)
			break;
		uint8_t *pdu = s->rbuf + off, saved = pdu[h.len];
		pdu[h.len] = '\0';
		on_pdu(s, pdu, &h);
		if (gen != s->gen)
			return;          /* the link went down: rbuf is gone */
		pdu[h.len] = saved;
		off += h.len;
	}
	if (off) {
		memmove(s->rbuf, s->rbuf + off, s->rlen - off);
		s->rlen -= off;
	}
}

void smpp_do_read(struct smpp *s)
{
	unsigned gen = s->gen;

	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(s->fd, s->rbuf + s->rlen, SMPP_MAX_PDU - s->rlen, 0);
		if (n == 0) {
			smpp_link_down(s, s->state == L_CLOSING ? "unbind from the SMSC"
			    : "the SMSC closed the connection", 0);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				char why[96];
				snprintf(why, sizeof why, "recv: %s", strerror(errno));
				smpp_link_down(s, why, 0);
			}
			return;
		}
		s->rlen += (size_t)n;
		parse_input(s);
		if (gen != s->gen || s->broken)
			return;
	}
}
