/*
 * ppg_smpp_int.h - the SMPP session's private state, shared by ppg_smpp.c
 * (life cycle, connect, link up/down, timers, keep-alive, the submit queue)
 * and ppg_smpp_in.c (incoming PDUs).
 *
 * It defines SU_WAKEUP_ARG_T and SU_TIMER_ARG_T for the sofia-sip headers:
 * include it first, before any other header.
 */
#ifndef PPG_SMPP_INT_H
#define PPG_SMPP_INT_H

#define SU_WAKEUP_ARG_T struct ppg_smpp
#define SU_TIMER_ARG_T  struct ppg_smpp

#include "ppg/ppg_smpp.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <sofia-sip/su_wait.h>

#include "ppg/ppg_log.h"

#define LOGSMPP(s, level, fmt, ...) \
	LOGP(PPG_LOG_CORE, level, "smpp %s: " fmt, (s)->name, ##__VA_ARGS__)

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
	uint8_t data[PPG_SMPP_MAX_SM];
};
TAILQ_HEAD(smq, sm);

struct ppg_smpp {
	su_root_t *root;
	struct ppg_smpp_config cfg;    /* strings point to the copies below */
	char *host, *system_id, *password, *system_type, *source_addr;
	struct ppg_smpp_callbacks cb;
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
	uint8_t *rbuf;                 /* PPG_SMPP_MAX_PDU + 1 */
	size_t rlen;

	struct ppg_smpp_stats st;
};

/* ppg_smpp.c: helpers */
int64_t ppg_smpp_now_ms(void);
su_duration_t ppg_smpp_ms_of(double seconds);
void ppg_smpp_arm(su_timer_t *t, su_timer_f fn, struct ppg_smpp *s, int64_t delay_ms);
void ppg_smpp_result(struct ppg_smpp *s, struct sm *m, int cls, uint32_t status,
    const char *message_id, const char *reason);

/* ppg_smpp.c: writing */
void ppg_smpp_flush(struct ppg_smpp *s);
/* Room for one more PDU at the end of wbuf; NULL when out of memory. */
uint8_t *ppg_smpp_wroom(struct ppg_smpp *s, size_t *cap);
/* Queues a header-only PDU (enquire_link, responses, generic_nack). */
int ppg_smpp_send_empty(struct ppg_smpp *s, uint32_t id, uint32_t status, uint32_t seq);

/* ppg_smpp.c: link up/down, timers, keep-alive */
int ppg_smpp_is_auth_failure(uint32_t status);
void ppg_smpp_link_down(struct ppg_smpp *s, const char *reason, int auth);
/* A write failed: the link goes down on the next loop turn, never inside a
 * call of the user (ppg_smpp_submit). */
void ppg_smpp_fail_soon(struct ppg_smpp *s, const char *reason);
void ppg_smpp_on_link_timer(su_root_magic_t *mg, su_timer_t *t, struct ppg_smpp *s);
void ppg_smpp_on_enq_timer(su_root_magic_t *mg, su_timer_t *t, struct ppg_smpp *s);

/* ppg_smpp.c: submits */
void ppg_smpp_arm_resp_timer(struct ppg_smpp *s);
/* Writes queued submits while bound, within the window and the pause. */
void ppg_smpp_pump(struct ppg_smpp *s);

/* ppg_smpp_in.c: reads and handles what the SMSC sent */
void ppg_smpp_do_read(struct ppg_smpp *s);

#endif /* PPG_SMPP_INT_H */
