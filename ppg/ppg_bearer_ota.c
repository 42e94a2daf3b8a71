/*
 * ppg_bearer_ota.c - Push OTA transports of the delivery engine: WSP
 * connectionless push over UDP to port 2948 of an IPv4 or IPv6 handset
 * (WAP-235 PushOTA §6, WAP-259 WDP over IP). Unconfirmed: the attempt is
 * delivered once the datagram left.
 */
#define SU_ROOT_MAGIC_T struct ppg_core
#define SU_TIMER_ARG_T  void

#include "ppg/ppg_deliver_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pap/pap.h"
#include "ppg/ppg_log.h"
#include "smpp/smpp.h"
#include "otabearer/ota.h"

static int udp_socket(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && family == AF_INET6) {
		int one = 1;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	}
	return fd;
}

int ppg_ota_open(struct ppg_deliver *e, char *err, size_t errlen)
{
	e->udp4 = e->udp6 = -1;
	if (!e->cfg->ota_udp)
		return 0;
	e->udp4 = udp_socket(AF_INET);
	e->udp6 = udp_socket(AF_INET6);   /* may fail on a host without IPv6 */
	if (e->udp4 < 0 && e->udp6 < 0) {
		snprintf(err, errlen, "cannot open a UDP socket: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

void ppg_ota_close(struct ppg_deliver *e)
{
	smpp_free(e->smpp);
	e->smpp = NULL;
	free(e->forced_sms);
	e->forced_sms = NULL;
	e->nforced = e->capforced = 0;
	if (e->udp4 >= 0)
		close(e->udp4);
	if (e->udp6 >= 0)
		close(e->udp6);
	e->udp4 = e->udp6 = -1;
}

void ppg_ota_send_udp(struct ppg_attempt *a, int family, const char *addr)
{
	struct ppg_deliver *e = a->e;
	struct ppg_pinfo *p = a->p;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	uint8_t *pdu = NULL;
	size_t len = 0;
	const char *reason = NULL;
	char desc[200];
	int fd;

	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)e->cfg->ota_udp_port);
		sl = sizeof *in6;
		fd = e->udp6;
		if (inet_pton(AF_INET6, addr, &in6->sin6_addr) != 1)
			fd = -2;
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)e->cfg->ota_udp_port);
		sl = sizeof *in;
		fd = e->udp4;
		if (inet_pton(AF_INET, addr, &in->sin_addr) != 1)
			fd = -2;
	}
	if (fd == -2) {
		ppg_ota_outcome(a, 0, 0, PAP_ADDRESS_ERROR, "OTA/UDP: not an IP address");
		return;
	}
	if (fd < 0) {
		ppg_ota_outcome(a, 0, 0, PAP_BEARER_NOT_AVAIL, "OTA/UDP: no socket for this address family");
		return;
	}
	int r = ota_push_build(e->tid++, p->content_type, p->app_id, p->headers, p->headers_len, p->body,
	    p->len, &pdu, &len, &reason);
	if (r < 0) {
		snprintf(desc, sizeof desc, "OTA: the content cannot go as a Push OTA message: %s",
		    reason ? reason : strerror(-r));
		ppg_ota_outcome(a, 0, 0, r == -ENOMEM ? PAP_INTERNAL_ERROR : PAP_TRANSFORMATION_FAILURE, desc);
		return;
	}
	ssize_t w = sendto(fd, pdu, len, 0, (struct sockaddr *)&ss, sl);
	free(pdu);
	if (w == (ssize_t)len) {
		snprintf(desc, sizeof desc, "OTA/UDP: %zu octets sent to %s port %u (unconfirmed)", len, addr,
		    e->cfg->ota_udp_port);
		ppg_ota_outcome(a, 1, 0, 0, desc);
	} else {
		int err = w < 0 ? errno : EMSGSIZE;
		snprintf(desc, sizeof desc, "OTA/UDP: sending to %s failed: %s", addr, strerror(err));
		/* Buffers full or the route gone: try again; too large for a datagram: never. */
		ppg_ota_outcome(a, 0, err != EMSGSIZE && err != EINVAL, PAP_TRANSFORMATION_FAILURE, desc);
	}
}

/* ------------------------------------------------------------ over SMS */

static unsigned msgid_bucket(const char *id)
{
	unsigned h = 2166136261u;
	for (const char *p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h % PPG_ATTEMPT_BUCKETS;
}

static void msgid_add(struct ppg_attempt *a, const char *id)
{
	struct ppg_deliver *e = a->e;
	char **v = realloc(a->msgids, (a->nmsgids + 1) * sizeof *v);
	struct ppg_msgid *m = calloc(1, sizeof *m);
	if (!v || !m || !(m->id = strdup(id))) {
		if (v)
			a->msgids = v;
		free(m);
		return;
	}
	a->msgids = v;
	a->msgids[a->nmsgids++] = m->id;
	m->a = a;
	unsigned h = msgid_bucket(id);
	m->next = e->msgids[h];
	e->msgids[h] = m;
}

void ppg_ota_forget(struct ppg_attempt *a)
{
	struct ppg_deliver *e = a->e;
	for (size_t i = 0; i < a->nmsgids; i++) {
		for (struct ppg_msgid **pp = &e->msgids[msgid_bucket(a->msgids[i])]; *pp; pp = &(*pp)->next)
			if ((*pp)->a == a && (*pp)->id == a->msgids[i]) {
				struct ppg_msgid *m = *pp;
				*pp = m->next;
				free(m->id);
				free(m);
				break;
			}
	}
	free(a->msgids);
	a->msgids = NULL;
	a->nmsgids = 0;
}

static void on_receipt_timeout(struct ppg_core *c, su_timer_t *t, void *arg)
{
	struct ppg_attempt *a = arg;
	(void)c;
	(void)t;
	ppg_queue_final(a->e, a->delivery, DB_STATE_TIMEOUT, PAP_SERVICE_FAILURE,
	    "OTA/SMS: accepted by the SMSC, no delivery receipt in time");
	ppg_attempt_free(a);
}

/* Every segment has its submit_sm_resp. */
static void sms_answered(struct ppg_attempt *a)
{
	struct ppg_deliver *e = a->e;
	char desc[200];

	if (a->sms_fail) {
		snprintf(desc, sizeof desc, "OTA/SMS: the SMSC refused it: %s", a->sms_reason);
		ppg_ota_outcome(a, 0, 0, a->sms_status == 0x0B ? PAP_ADDRESS_ERROR : PAP_SERVICE_FAILURE, desc);
		return;
	}
	if (a->sms_retry) {
		snprintf(desc, sizeof desc, "OTA/SMS: %s", a->sms_reason);
		ppg_ota_outcome(a, 0, 1, 0, desc);
		return;
	}
	if (!e->cfg->ota_receipts) {
		snprintf(desc, sizeof desc, "OTA/SMS: %zu segment%s accepted by the SMSC (unconfirmed)",
		    a->nmsgids, a->nmsgids == 1 ? "" : "s");
		ppg_ota_outcome(a, 1, 0, 0, desc);
		return;
	}
	/* Delivered when the SMSC reports it (registered_delivery). The lease
	 * is stretched over the wait so the scheduler leaves it alone. */
	a->receipts = (int)a->nmsgids;
	int64_t wait = (int64_t)e->cfg->ota_receipt_timeout * 1000;
	snprintf(desc, sizeof desc, "OTA/SMS: %zu segment%s accepted by the SMSC, waiting for the delivery receipt",
	    a->nmsgids, a->nmsgids == 1 ? "" : "s");
	ppg_park(e, a->delivery, ppg_now_ms() + wait + 30000, NULL, desc);
	a->fetch_timer = su_timer_create(su_root_task(e->root), 0);
	if (!a->fetch_timer || su_timer_set_interval(a->fetch_timer, on_receipt_timeout, a,
	    (su_duration_t)wait) < 0)
		on_receipt_timeout(NULL, NULL, a);
}

static void on_sms_result(void *arg, uint64_t tag, int status_class, uint32_t command_status,
    const char *message_id, const char *reason)
{
	struct ppg_deliver *e = arg;
	struct ppg_attempt *a = (struct ppg_attempt *)(uintptr_t)tag;
	(void)e;

	if (status_class == SMPP_OK) {
		if (message_id && *message_id)
			msgid_add(a, message_id);
	} else {
		if (status_class == SMPP_FAIL)
			a->sms_fail = 1;
		else
			a->sms_retry = 1;
		a->sms_status = command_status;
		snprintf(a->sms_reason, sizeof a->sms_reason, "%s", reason ? reason : smpp_status_name(command_status));
	}
	if (--a->segments > 0)
		return;
	if (a->e->stopping) {
		ppg_attempt_free(a);
		return;
	}
	sms_answered(a);
}

static void on_sms_receipt(void *arg, const char *message_id, int delivered, const char *stat)
{
	struct ppg_deliver *e = arg;
	struct ppg_msgid *m;
	char desc[160];

	if (!message_id || delivered < 0)
		return;   /* intermediate states (ENROUTE, ACCEPTD) */
	for (m = e->msgids[msgid_bucket(message_id)]; m && strcmp(m->id, message_id); m = m->next)
		;
	if (!m || !m->a->fetch_timer)
		return;   /* not ours, or from before a restart */
	struct ppg_attempt *a = m->a;
	if (!delivered) {
		snprintf(desc, sizeof desc, "OTA/SMS: delivery receipt stat:%s", stat ? stat : "?");
		ppg_queue_final(e, a->delivery, stat && !strcmp(stat, "EXPIRED") ? DB_STATE_EXPIRED
		    : DB_STATE_UNDELIVERABLE, PAP_SERVICE_FAILURE, desc);
		ppg_attempt_free(a);
		return;
	}
	if (--a->receipts > 0)
		return;
	su_timer_destroy(a->fetch_timer);
	a->fetch_timer = NULL;
	snprintf(desc, sizeof desc, "OTA/SMS: delivered (receipt stat:%s)", stat ? stat : "DELIVRD");
	ppg_ota_outcome(a, 1, 0, 0, desc);
}

static void on_sms_link(void *arg, int up, const char *reason)
{
	(void)arg;
	LOGP(PPG_LOG_CORE, up ? LOG_NOTICE : LOG_WARNING, "SMSC link %s%s%s", up ? "up" : "down",
	    reason ? ": " : "", reason ? reason : "");
}

/* The SMPP client's log lines (smpp_config.log) to ppg_log, in the core
 * category for now. */
static void forward_smpp_log(void *arg, int level, const char *fmt, va_list ap)
{
	char msg[2048];

	(void)arg;
	if (!ppg_log_enabled(level))
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	ppg_log(PPG_LOG_CORE, level, "%s", msg);
}

int ppg_ota_open_sms(struct ppg_deliver *e, char *err, size_t errlen)
{
	const struct ppg_config *cfg = e->cfg;
	char host[256];
	const char *colon = strrchr(cfg->ota_smsc, ':');

	if (!cfg->ota_sms)
		return 0;
	snprintf(host, sizeof host, "%.*s", (int)(colon - cfg->ota_smsc), cfg->ota_smsc);
	struct smpp_config sc = {
		.host = host, .port = (unsigned)atoi(colon + 1),
		.system_id = cfg->ota_system_id, .password = cfg->ota_password,
		.system_type = cfg->ota_system_type, .transceiver = cfg->ota_transceiver,
		.window = cfg->ota_window, .enquire_link_s = cfg->ota_enquire_link,
		.reconnect_min_s = cfg->ota_reconnect_min, .reconnect_max_s = cfg->ota_reconnect_max,
		.registered_delivery = cfg->ota_receipts, .source_addr = cfg->ota_source_addr,
		.source_ton = cfg->ota_source_addr && cfg->ota_source_addr[0] == '+' ? 1 : 0,
		.source_npi = 1, .dest_ton = 1, .dest_npi = 1,
		.log = forward_smpp_log,
	};
	static const struct smpp_callbacks cbs = {
		.on_result = on_sms_result, .on_receipt = on_sms_receipt, .on_link = on_sms_link,
	};
	e->smpp = smpp_new(e->root, &sc, &cbs, e);
	if (!e->smpp) {
		snprintf(err, errlen, "cannot start the SMPP client for %s", cfg->ota_smsc);
		return -EIO;
	}
	LOGP(PPG_LOG_CORE, LOG_NOTICE, "Push OTA over SMS through the SMSC at %s", cfg->ota_smsc);
	return 0;
}

void ppg_ota_send_sms(struct ppg_attempt *a, const char *number)
{
	struct ppg_deliver *e = a->e;
	struct ppg_pinfo *p = a->p;
	struct ota_sms_segment *segs = NULL;
	uint8_t *pdu = NULL;
	size_t len = 0, n = 0;
	const char *reason = NULL;
	char desc[200];

	int r = ota_push_build(e->tid++, p->content_type, p->app_id, p->headers, p->headers_len, p->body,
	    p->len, &pdu, &len, &reason);
	if (r < 0) {
		snprintf(desc, sizeof desc, "OTA: the content cannot go as a Push OTA message: %s",
		    reason ? reason : strerror(-r));
		ppg_ota_outcome(a, 0, 0, r == -ENOMEM ? PAP_INTERNAL_ERROR : PAP_TRANSFORMATION_FAILURE, desc);
		return;
	}
	size_t max = ota_wdp_segment_count(len, e->cfg->ota_ref16);
	segs = max ? calloc(max, sizeof *segs) : NULL;
	r = segs ? ota_wdp_segment(pdu, len, e->sms_ref++, e->cfg->ota_ref16, segs, max, &n) : -ENOMEM;
	free(pdu);
	if (r < 0) {
		free(segs);
		snprintf(desc, sizeof desc, "OTA/SMS: %zu octets do not fit in 255 SMS segments", len);
		ppg_ota_outcome(a, 0, 0, r == -ENOMEM ? PAP_INTERNAL_ERROR : PAP_TRANSFORMATION_FAILURE, desc);
		return;
	}
	/* SMPP destination: the international number without '+' (ton 1). */
	const char *dest = number[0] == '+' ? number + 1 : number;
	a->segments = 1;   /* keeps `a` alive through the loop */
	for (size_t i = 0; i < n; i++) {
		a->segments++;
		r = smpp_submit(e->smpp, dest, segs[i].data, segs[i].len, (uint64_t)(uintptr_t)a);
		if (r < 0) {
			a->segments--;
			a->sms_retry = r == -EAGAIN;
			a->sms_fail = r != -EAGAIN;
			snprintf(a->sms_reason, sizeof a->sms_reason, "%s",
			    r == -EAGAIN ? "the SMPP queue is full" : "the SMPP client refused the segment");
			break;
		}
	}
	free(segs);
	if (--a->segments == 0)
		sms_answered(a);
}

int ppg_forced_sms(struct ppg_deliver *e, int64_t delivery, int take)
{
	for (size_t i = 0; i < e->nforced; i++)
		if (e->forced_sms[i] == delivery) {
			if (take)
				e->forced_sms[i] = e->forced_sms[--e->nforced];
			return 1;
		}
	return 0;
}

void ppg_force_sms(struct ppg_deliver *e, int64_t delivery)
{
	if (ppg_forced_sms(e, delivery, 0))
		return;
	if (e->nforced == e->capforced) {
		size_t cap = e->capforced ? e->capforced * 2 : 64;
		int64_t *v = realloc(e->forced_sms, cap * sizeof *v);
		if (!v)
			return;
		e->forced_sms = v;
		e->capforced = cap;
	}
	e->forced_sms[e->nforced++] = delivery;
}
