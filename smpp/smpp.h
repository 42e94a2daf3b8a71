/*
 * smpp.h - SMPP 3.4 client (ESME) for WDP over SMS: binds to one SMSC,
 * sends submit_sm for the SMS segments that otabearer's ota_wdp_segment()
 * makes (esm_class 0x40 UDHI, data_coding 0x04, short_message = UDH +
 * payload), and hands up submit_sm_resp results and
 * delivery receipts (deliver_sm with esm_class 0x04).
 *
 * Specification: SMPP v3.4 (Issue 1.2, 1999): §2.2-2.9 sessions, bind,
 * enquire_link and windowing; §3.2 PDU format; §4.1-4.7 and §4.11 PDUs;
 * §5.1.3 command_status; §5.2.12 esm_class; §5.2.17 registered_delivery;
 * §5.3.2.12 receipted_message_id, §5.3.2.35 message_state; Appendix B
 * delivery receipt format. Every PDU is packed and unpacked by libsmpp34
 * (Debian libsmpp34-dev); this module only reads the 16-octet header to frame
 * the TCP stream.
 *
 * The client runs on the caller's su_root and never blocks (except for a DNS
 * lookup when host is a name, not an address). All functions, and every
 * callback, run in the thread that runs the su_root.
 *
 * Delivery semantics: at-least-once. A submit_sm that was written but not
 * answered when the link drops is put back at the head of the queue and sent
 * again after the next bind (the SMSC may then hold it twice); after
 * SMPP_MAX_TRIES such losses it ends with SMPP_RETRY instead. A
 * submit_sm that gets no answer within response_timeout_s (while the link
 * stays up) ends with SMPP_RETRY "timeout"; a late answer is ignored.
 *
 * The component depends on sofia-sip (su_root, su_timer, su_wait) and
 * libsmpp34 only; it logs through the callback in struct smpp_config.
 * Names: libsmpp34 uses smpp34_* for its functions and defines SMPP_VERSION
 * (smpp34.h); nothing here is called smpp34_* or SMPP_VERSION.
 */
#ifndef SMPP_H
#define SMPP_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/su_wait.h>

struct smpp;

/* Largest PDU accepted from the SMSC; a longer command_length closes the link. */
#define SMPP_MAX_PDU        65536
/* Largest short_message (GSM TP-UD, 3GPP TS 23.040 §9.2.3.24). */
#define SMPP_MAX_SM         140
/* Link losses a submit_sm in flight survives before it ends as RETRY. */
#define SMPP_MAX_TRIES      3
/* command_status of results made locally (timeout, link lost, shutdown):
 * SMPP reserves 0x00000500-0xFFFFFFFF, so no SMSC sends it. */
#define SMPP_LOCAL          0xFFFFFFFFu

struct smpp_config {
	const char *host;            /* SMSC address or name */
	unsigned port;               /* SMSC port (2775) */
	const char *system_id;       /* bind system_id, at most 15 characters */
	const char *password;        /* bind password, at most 8 characters */
	const char *system_type;     /* bind system_type or NULL, at most 12 */
	int transceiver;             /* 1: bind_transceiver (receipts on this link),
	                              * 0: bind_transmitter */
	unsigned window;             /* submit_sm outstanding at once (0 = 10) */
	unsigned queue_max;          /* submits held (queued + in flight), 0 = 1024 */
	/* Times in seconds; fractions allowed (tests use 0.2). 0 = default. */
	double enquire_link_s;       /* enquire_link interval while bound (30) */
	double reconnect_min_s;      /* first reconnect delay (1) */
	double reconnect_max_s;      /* delay cap; doubles from min (60). After an
	                              * authentication failure the client waits max. */
	double response_timeout_s;   /* for connect, bind_resp, submit_sm_resp,
	                              * enquire_link_resp (10) */
	double throttle_pause_s;     /* pause in sending after ESME_RTHROTTLED or
	                              * ESME_RMSGQFUL (1) */
	int registered_delivery;     /* 1: request SMSC delivery receipts */
	const char *source_addr;     /* "" or NULL lets the SMSC choose */
	uint8_t source_ton, source_npi;
	uint8_t dest_ton, dest_npi;
	uint32_t initial_seq;        /* first sequence_number (0 = 1); for tests of
	                              * the wrap from 0x7FFFFFFF back to 1 */
	/*
	 * Log sink, or NULL for none. level is a syslog(3) level (LOG_ERR ..
	 * LOG_DEBUG); fmt and ap make one line without a newline, led by
	 * "smpp HOST:PORT/SYSTEM_ID: ". Called in the su_root's thread, from
	 * the client's events and from inside its functions; it must not call
	 * into this client. log_arg is passed as arg. The pointers are copied
	 * with cfg; whatever log_arg points to must outlive the client.
	 */
	void (*log)(void *arg, int level, const char *fmt, va_list ap)
	    __attribute__((format(printf, 3, 0)));
	void *log_arg;
};

/* status_class of a result. */
enum {
	SMPP_OK = 0,             /* submit_sm_resp ESME_ROK: the SMSC took it */
	SMPP_RETRY = 1,          /* transient: try again later */
	SMPP_FAIL = 2,           /* permanent for this message */
};

/* delivered of a receipt. */
enum {
	SMPP_RCPT_PENDING = -1,  /* ENROUTE, ACCEPTD, UNKNOWN, or no stat */
	SMPP_RCPT_FAILED = 0,    /* EXPIRED, DELETED, UNDELIV, REJECTD */
	SMPP_RCPT_DELIVERED = 1, /* DELIVRD */
};

struct smpp_callbacks {
	/*
	 * Exactly once per tag that smpp_submit() accepted. command_status is
	 * the SMSC's (submit_sm_resp or generic_nack) or SMPP_LOCAL;
	 * message_id is set (maybe "") for SMPP_OK, else NULL; reason is a
	 * short text for the log. Strings are valid during the call only.
	 * Required.
	 */
	void (*on_result)(void *arg, uint64_t tag, int status_class, uint32_t command_status,
	    const char *message_id, const char *reason);
	/* A delivery receipt: message_id from receipted_message_id (TLV 0x001E) or
	 * the "id:" of the text; delivered as above; stat the state name
	 * ("DELIVRD", or the message_state TLV 0x0427 spelled the same way).
	 * Optional. */
	void (*on_receipt)(void *arg, const char *message_id, int delivered, const char *stat);
	/* The link is bound (up = 1) or went down (up = 0); reason for the log.
	 * Optional. */
	void (*on_link)(void *arg, int up, const char *reason);
	/*
	 * The answer to smpp_query() for message_id: message_state (SMPP 3.4
	 * §5.2.28: 1 ENROUTE, 2 DELIVERED, 3 EXPIRED, 4 DELETED,
	 * 5 UNDELIVERABLE, 6 ACCEPTED, 7 UNKNOWN, 8 REJECTED; see
	 * smpp_state_receipt) and error_code from query_sm_resp; or
	 * message_state -1 when there is no answer (command_status is the
	 * SMSC's error, e.g. ESME_RQUERYFAIL 0x67, or SMPP_LOCAL: timeout,
	 * link lost). Once per query accepted by smpp_query, never from inside
	 * it nor after smpp_free. Optional (queries are refused without it).
	 */
	void (*on_query)(void *arg, const char *message_id, int message_state, int error_code,
	    uint32_t command_status, const char *reason);
};

/*
 * Creates the client and starts connecting in the background: non-blocking
 * connect, bind, enquire_link every enquire_link_s; reconnects with a delay
 * doubling from reconnect_min_s to reconnect_max_s whenever the link drops or
 * the bind fails (an authentication failure, ESME_RINVPASWD/RINVSYSID/
 * RBINDFAIL/RINVSYSTYP, is retried every reconnect_max_s and logged as an
 * error). The first connect starts from the loop: no callback runs before
 * this returns.
 *
 * root: the su_root the client runs on; it must outlive the client. cfg: the
 * settings; cfg and its strings are copied (the caller keeps ownership).
 * cb: the callbacks, copied; on_result is required. arg: passed to every
 * callback of cb.
 *
 * Returns the client (free it with smpp_free()), or NULL on invalid
 * arguments (root, cfg or cb NULL, no on_result, no host, port 0 or > 65535,
 * system_id longer than 15, password longer than 8, system_type longer than
 * 12, source_addr longer than 20) or out of memory. Call it in the thread
 * that runs root.
 */
struct smpp *smpp_new(su_root_t *root, const struct smpp_config *cfg,
    const struct smpp_callbacks *cb, void *arg);

/*
 * Sends unbind when bound (without waiting for unbind_resp), closes the link,
 * ends every queued and in-flight submit with SMPP_RETRY "shutting down"
 * (so the exactly-once promise holds: on_result runs from inside this call),
 * and frees s with everything it owns. s: a client from smpp_new(), or NULL
 * (nothing happens). In the thread that runs the su_root; not from inside a
 * callback of this client.
 */
void smpp_free(struct smpp *s);

/*
 * Queues one submit_sm to dest_addr (digits without '+', TON/NPI from cfg)
 * with short_message = sm[0..len) (UDH + payload), esm_class 0x40,
 * data_coding 0x04, registered_delivery per cfg. It goes out while bound,
 * within the window, in the order of the calls. dest_addr and sm are copied;
 * tag is the caller's, handed back to on_result as is.
 *
 * Returns 0 (on_result will be called exactly once for tag, never from
 * inside this call), -EAGAIN when queue_max submits are held (retry later),
 * -EINVAL (s, dest_addr or sm NULL, dest_addr empty or longer than 20, len 0
 * or above SMPP_MAX_SM, or a value libsmpp34 refuses), -ENOMEM. In the
 * thread that runs the su_root.
 */
int smpp_submit(struct smpp *s, const char *dest_addr, const uint8_t *sm, size_t len,
    uint64_t tag);

/*
 * Asks the SMSC for the state of a message it accepted (query_sm, SMPP 3.4
 * §4.8: message_id, and the source address, TON and NPI of cfg, as the
 * submit_sm had them), e.g. after a reconnect, for submits whose delivery
 * receipt may have been lost with the link. Written at once while bound
 * (outside the submit window); the answer comes to cb.on_query, at most
 * response_timeout_s later. Returns 0, -ENOTCONN when not bound, -EINVAL
 * (s or message_id NULL or empty, message_id longer than 64, no on_query),
 * -ENOMEM. In the thread that runs the su_root.
 */
int smpp_query(struct smpp *s, const char *message_id);

/*
 * A query_sm_resp's message_state as a receipt: returns SMPP_RCPT_DELIVERED
 * (DELIVERED), SMPP_RCPT_FAILED (EXPIRED, DELETED, UNDELIVERABLE,
 * REJECTED) or SMPP_RCPT_PENDING (ENROUTE, ACCEPTED, UNKNOWN, anything
 * else), and sets *stat to the receipt's stat word ("DELIVRD", "EXPIRED",
 * "UNDELIV", ...; "UNKNOWN" for values outside 1..8). Pure; any thread.
 */
int smpp_state_receipt(int message_state, const char **stat);

struct smpp_stats {
	int bound;                        /* 1 while bound */
	unsigned queued;                  /* waiting to be sent */
	unsigned in_flight;               /* sent, no answer yet (window occupancy) */
	unsigned window;
	unsigned long long connects;      /* TCP connections made */
	unsigned long long binds;         /* successful binds */
	unsigned long long bind_failures; /* bind_resp errors and bind timeouts */
	unsigned long long submits_sent;  /* submit_sm written, resends included */
	unsigned long long resent;        /* submit_sm written again after a link loss */
	unsigned long long ok, retry, fail; /* results by class */
	unsigned long long receipts;      /* receipts handed up */
	unsigned long long enquire_sent;  /* enquire_link written */
	unsigned long long enquire_answered; /* enquire_link from the SMSC answered */
	unsigned long long protocol_errors;  /* bad lengths, undecodable PDUs, nacks */
	unsigned long long queries;          /* query_sm written */
	unsigned long long query_answers;    /* query_sm_resp with ESME_ROK */
};
/*
 * Copies the counters and the current state of s (not NULL) into *out.
 * In the thread that runs the su_root.
 */
void smpp_stats(const struct smpp *s, struct smpp_stats *out);

/* Returns the number of submit_sm sent and not answered (window occupancy)
 * of s (not NULL). In the thread that runs the su_root. */
unsigned smpp_in_flight(const struct smpp *s);

/* ------------------------------------------------------- status table */

/*
 * Class of a submit_sm_resp / generic_nack command_status (SMPP 3.4
 * §5.1.3), and a short name for logs:
 *
 *   0x00000000 ESME_ROK            OK
 *   0x00000008 ESME_RSYSERR        RETRY  system error
 *   0x00000014 ESME_RMSGQFUL       RETRY  message queue full (pauses sending)
 *   0x00000058 ESME_RTHROTTLED     RETRY  throttled (pauses sending)
 *   0x00000064 ESME_RX_T_APPN      RETRY  temporary application error
 *   0x00000004 ESME_RINVBNDSTS     RETRY  SMSC says not bound (link re-bound)
 *   0x00000001 ESME_RINVMSGLEN     FAIL   \
 *   0x00000002 ESME_RINVCMDLEN     FAIL    |
 *   0x00000003 ESME_RINVCMDID      FAIL    |
 *   0x00000006 ESME_RINVPRTFLG     FAIL    |
 *   0x00000007 ESME_RINVREGDLVFLG  FAIL    |
 *   0x0000000A ESME_RINVSRCADR     FAIL    |
 *   0x0000000B ESME_RINVDSTADR     FAIL    |  the message or its parameters
 *   0x00000015 ESME_RINVSERTYP     FAIL    |  are wrong: sending it again
 *   0x00000043 ESME_RINVESMCLASS   FAIL    |  cannot help
 *   0x00000045 ESME_RSUBMITFAIL    FAIL    |
 *   0x00000048/49/50/51 TON/NPI    FAIL    |
 *   0x00000061/62 sched./expiry    FAIL    |
 *   0x00000065 ESME_RX_P_APPN      FAIL    |
 *   0x00000066 ESME_RX_R_APPN      FAIL    |
 *   0x000000C0..C4 TLV errors      FAIL   /
 *   anything else (incl. vendor 0x400-0x4FF) FAIL
 *   SMPP_LOCAL: timeout, link lost SMPP_MAX_TRIES times,
 *   shutting down                  RETRY
 *
 * smpp_status_class returns SMPP_OK, SMPP_RETRY or SMPP_FAIL as above;
 * smpp_status_name a static string for logs, never NULL ("ESME_R... text",
 * "SMSC vendor-specific error", "reserved command_status"). Both pure; any
 * thread.
 */
int smpp_status_class(uint32_t command_status);
const char *smpp_status_name(uint32_t command_status);

/* ------------------------------------------- PDU layer (smpp_pdu.c) */

/* Parts of the stream and the PDUs this client uses; exposed for the tests
 * and the fuzz target. All of them are pure: any thread, no allocation left
 * behind. */
struct smpp_hdr {
	uint32_t len, id, status, seq;
};

/* Reads the header at buf[0..len) into *h (filled whenever len >= 16).
 * Returns 0, or -EPROTO when len < 16 or command_length is below 16 or
 * above SMPP_MAX_PDU. */
int smpp_hdr_read(const uint8_t *buf, size_t len, struct smpp_hdr *h);

/* Packers: write one PDU with sequence_number seq into the caller's
 * out[0..cap) and set *outlen. Return 0 or -EINVAL (libsmpp34 refused a
 * value, such as seq 0, or cap is too small).
 * smpp_pack_bind: bind_transceiver or bind_transmitter per cfg->transceiver,
 * with cfg's system_id, password and system_type (NULL = ""). */
int smpp_pack_bind(uint8_t *out, size_t cap, size_t *outlen, uint32_t seq,
    const struct smpp_config *cfg);
/* smpp_pack_submit: submit_sm to dest with short_message sm[0..len) (len
 * up to SMPP_MAX_SM), source address, TON/NPI and registered_delivery from
 * cfg, esm_class 0x40, data_coding 0x04. */
int smpp_pack_submit(uint8_t *out, size_t cap, size_t *outlen, uint32_t seq,
    const struct smpp_config *cfg, const char *dest, const uint8_t *sm, size_t len);
/* smpp_pack_empty: a header-only PDU with command_id id and command_status
 * status: enquire_link(_resp), unbind(_resp), generic_nack. */
int smpp_pack_empty(uint8_t *out, size_t cap, size_t *outlen, uint32_t id,
    uint32_t status, uint32_t seq);
/* smpp_pack_deliver_resp: deliver_sm_resp with command_status status. */
int smpp_pack_deliver_resp(uint8_t *out, size_t cap, size_t *outlen, uint32_t status,
    uint32_t seq);

/*
 * Unpackers take one whole PDU pdu[0..len) where pdu[len] is readable and 0
 * (libsmpp34 scans C-octet strings with strlen). They free what libsmpp34
 * allocated on every path and return 0 or -EPROTO with *reason.
 */
/* submit_sm_resp with ESME_ROK: copies the message_id (up to 64
 * characters) into message_id[0..idlen). */
int smpp_unpack_submit_resp(const uint8_t *pdu, size_t len, char *message_id, size_t idlen,
    const char **reason);

/* smpp_pack_query: query_sm for message_id (up to 64 characters) with
 * cfg's source address, TON and NPI. */
int smpp_pack_query(uint8_t *out, size_t cap, size_t *outlen, uint32_t seq,
    const struct smpp_config *cfg, const char *message_id);
/* query_sm_resp with ESME_ROK: the message_id (up to 64 characters),
 * message_state and error_code. */
int smpp_unpack_query_resp(const uint8_t *pdu, size_t len, char *message_id, size_t idlen,
    int *message_state, int *error_code, const char **reason);

struct smpp_deliver {
	uint8_t esm_class;
	char source_addr[21], dest_addr[21];
	uint8_t text[1025];               /* short_message or message_payload, NUL added */
	size_t text_len;
	char receipted_id[65];            /* TLV 0x001E, "" when absent */
	int message_state;                /* TLV 0x0427, -1 when absent */
};
/* deliver_sm: fills the caller's *d (text NUL-terminated). */
int smpp_unpack_deliver(const uint8_t *pdu, size_t len, struct smpp_deliver *d,
    const char **reason);

/*
 * Reads a delivery receipt (SMPP 3.4 Appendix B: "id:IIII sub:SSS dlvrd:DDD
 * submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...").
 * Keys are matched without regard to case. The TLVs in d, when present,
 * override the text. Writes the id into id[0..idlen) and the stat name
 * into stat[0..statlen) (both NUL-terminated, truncated to fit); returns
 * delivered (SMPP_RCPT_*), or -2 when there is no message id at all. Pure;
 * any thread.
 */
int smpp_receipt_parse(const struct smpp_deliver *d, char *id, size_t idlen,
    char *stat, size_t statlen);

#endif
