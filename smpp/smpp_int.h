/*
 * smpp_int.h - the SMPP session's private state, shared by smpp_client.c
 * (life cycle, the submit queue, results), smpp_link.c (connect, writing,
 * link up/down, timers, keep-alive) and smpp_in.c (incoming PDUs).
 *
 * It defines SU_WAKEUP_ARG_T and SU_TIMER_ARG_T for the sofia-sip headers:
 * include it first, before any other header.
 */
#ifndef SMPP_INT_H
#define SMPP_INT_H

#define SU_WAKEUP_ARG_T struct smpp
#define SU_TIMER_ARG_T  struct smpp

#include "smpp/smpp.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <sofia-sip/su_wait.h>

#include <syslog.h>

/* A log line through cfg.log (nothing when it is NULL), led by the link's
 * name: "smpp HOST:PORT/SYSTEM_ID: ...". */
#define LOGSMPP(s, level, fmt, ...) \
	do { if ((s)->cfg.log) smpp_log(s, level, "smpp %s: " fmt, (s)->name, ##__VA_ARGS__); } while (0)

#define PDU_ROOM 512            /* room reserved for one PDU we pack */
#define SEQ_MAX  0x7FFFFFFFu    /* §5.1.4: 0x00000001-0x7FFFFFFF */

/* CLOSING: the SMSC sent unbind, we answered; answers to what is in flight
 * may still come until it closes the connection. */
enum link_state { L_IDLE, L_CONNECTING, L_BINDING, L_BOUND, L_CLOSING };

struct sm {
	TAILQ_ENTRY(sm) q;
	uint64_t tag;
	uint32_t seq;
	int64_t deadline;         /* monotonic ms, while in flight */
	unsigned losses;          /* link losses while in flight */
	int sent;                 /* written at least once */
	size_t len;
	char dest[21];
	uint8_t data[SMPP_MAX_SM];
};
TAILQ_HEAD(smq, sm);

/* A query_sm written, waiting for its query_sm_resp (smpp_query.c). */
struct smpp_q {
	struct smpp_q *next;
	uint32_t seq;
	int64_t deadline;         /* monotonic ms */
	char id[65];
};

struct smpp {
	su_root_t *root;
	struct smpp_config cfg;    /* strings point to the copies below */
	char *host, *system_id, *password, *system_type, *source_addr;
	struct smpp_callbacks cb;
	void *arg;
	char name[96];                 /* host:port/system_id, for log lines */

	enum link_state state;
	int fd;
	su_wait_t wait;
	int wait_index;                /* > 0 while registered */
	int want_out;
	unsigned gen;                  /* bumped by link_down: stale loops stop */
	const char *broken;            /* a write failed: link_down from defer_timer */
	char broken_buf[128];

	su_timer_t *link_timer;        /* reconnect delay; connect / bind timeout */
	su_timer_t *enq_timer;
	su_timer_t *resp_timer;        /* the oldest submit_sm's deadline */
	su_timer_t *pump_timer;        /* end of a throttling pause */
	su_timer_t *defer_timer;

	double backoff;                /* next reconnect delay, seconds */
	uint32_t next_seq;
	uint32_t bind_seq;
	uint32_t enq_seq;              /* outstanding enquire_link, 0 = none */
	int64_t enq_deadline, enq_next;
	int64_t pause_until;

	struct smq queue, inflight;
	unsigned nqueue, ninflight;

	uint8_t *wbuf;
	size_t wlen, woff, wcap;
	uint8_t *rbuf;                 /* SMPP_MAX_PDU + 1 */
	size_t rlen;

	struct smpp_q *queries;        /* oldest first */
	su_timer_t *query_timer;       /* the oldest query's deadline */

	struct smpp_stats st;
};

/* smpp_client.c: helpers */
void smpp_log(struct smpp *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int64_t smpp_now_ms(void);
su_duration_t smpp_ms_of(double seconds);
/* The next sequence_number: 1 .. SEQ_MAX, then 1 again. */
uint32_t smpp_take_seq(struct smpp *s);
void smpp_arm(su_timer_t *t, su_timer_f fn, struct smpp *s, int64_t delay_ms);
void smpp_result(struct smpp *s, struct sm *m, int cls, uint32_t status,
    const char *message_id, const char *reason);

/* smpp_link.c: writing */
void smpp_flush(struct smpp *s);
/* Room for one more PDU at the end of wbuf; NULL when out of memory. */
uint8_t *smpp_wroom(struct smpp *s, size_t *cap);
/* Queues a header-only PDU (enquire_link, responses, generic_nack). */
int smpp_send_empty(struct smpp *s, uint32_t id, uint32_t status, uint32_t seq);

/* smpp_link.c: link up/down, timers, keep-alive */
/* Deregisters and closes the socket, if any. */
void smpp_unregister(struct smpp *s);
int smpp_is_auth_failure(uint32_t status);
void smpp_link_down(struct smpp *s, const char *reason, int auth);
/* A write failed: the link goes down on the next loop turn, never inside a
 * call of the user (smpp_submit). */
void smpp_fail_soon(struct smpp *s, const char *reason);
void smpp_on_link_timer(su_root_magic_t *mg, su_timer_t *t, struct smpp *s);
void smpp_on_enq_timer(su_root_magic_t *mg, su_timer_t *t, struct smpp *s);

/* smpp_client.c: submits */
void smpp_arm_resp_timer(struct smpp *s);
/* Writes queued submits while bound, within the window and the pause. */
void smpp_pump(struct smpp *s);

/* smpp_query.c: query_sm_resp (nack = 1: a generic_nack); returns 0 when
 * seq was a query's, -1 when not */
int smpp_query_resp(struct smpp *s, const uint8_t *pdu, const struct smpp_hdr *h, int nack);
/* smpp_query.c: every query ends with -1 (link down); or is dropped
 * without a callback (free = 1, smpp_free) */
void smpp_query_end_all(struct smpp *s, const char *reason, int free_only);

/* smpp_in.c: reads and handles what the SMSC sent */
void smpp_do_read(struct smpp *s);

#endif /* SMPP_INT_H */
