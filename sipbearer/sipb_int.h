/*
 * sipb_int.h - internals shared by the files of sipbearer/ (never included
 * outside this folder).
 *
 * The nua magic types are fixed here, before any sofia-sip nua header, so
 * that every file sees the same callback signature: the agent's magic is the
 * struct sipb, a handle's magic the MESSAGE it carries (NULL for the handles
 * nua creates for incoming requests).
 */
#ifndef SIPB_INT_H
#define SIPB_INT_H

struct sipb;
struct sipb_out;

#define NUA_MAGIC_T struct sipb
#define NUA_HMAGIC_T struct sipb_out

#include "sipbearer/sipb.h"

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/su_alloc.h>

/* nta marks the responses it makes up itself (timer F 408, transport
 * error 503, ...) with this message flag (NTA_INTERNAL_MSG in nta.c, not
 * exported by the headers of 1.12.11). */
#define SIPB_NTA_INTERNAL_MSG (1u << 15)

struct sipb_sess;
struct sipb_rconn;
struct sipb_sub;
struct sipb_npush;
struct sipb_regsub;

/* One MESSAGE in flight: lives from sipb_send_message() until its result
 * callback. A session's handle has one too (sess set, never linked), and
 * so has a subscription's (sub set, never linked). */
struct sipb_out {
	struct sipb_sess *sess;       /* NULL for a MESSAGE */
	struct sipb_sub *sub;         /* NULL but for a ua-profile subscription */
	struct sipb_regsub *rsub;     /* NULL but for a reg event subscription */
	struct sipb_out *next;
	struct sipb_out **prevp;
	nua_handle_t *nh;
	uint64_t tag;
	int indirect;
	size_t request_size;
};

/* A ua-profile subscription's dialog (sipb_subscribe.c): the handle's
 * magic, from the 200 to its end. Push NOTIFYs sent in it (sipb_notify.c)
 * wait in `pushes`, oldest first: nua answers the requests of one handle
 * in the order they were made. */
struct sipb_sub {
	struct sipb_out out;           /* out.sub = this */
	struct sipb *s;
	struct sipb_sub *next, **prevp;
	struct sipb_subreq *reqs;      /* SUBSCRIBEs of this dialog waiting for the core */
	int linked;                    /* in s->subs: the 200 went out */
	int ended;                     /* the handler heard ended = 1 (or forgot it: un-SUBSCRIBE) */
	int gone;                      /* nua ended the dialog: x goes with its last request */
	char *aor, *call_id, *remote_tag;   /* the dialog, for the handler at its end */
	char *contact;                 /* the subscriber's Contact: the NOTIFYs' Request-URI */
	size_t route_len;              /* bytes of the Route set its Record-Route makes */
	long long expires_at;          /* sipb_mono_s() when the subscription runs out */
	struct sipb_npush *pushes;     /* push NOTIFYs without their final answer */
};

/*
 * The area of the home on the stack (su_home_auto) that holds one MESSAGE's
 * or push NOTIFY's headers while they are handed to nua, which copies them:
 * the headers of a push fit, so that they cost no malloc; a larger body or
 * reference spills over to the heap and goes with su_home_deinit.
 */
#define SIPB_MSG_AREA 4096

struct sipb {
	su_root_t *root;
	su_home_t *home;          /* copies of the configuration strings */
	nua_t *nua;
	struct sipb_config cfg;
	sipb_register_fn reg;
	sipb_result_fn result;
	void *arg;

	unsigned port;            /* bound port, from the agent's Contact */
	char *via_host;           /* host[:port] nta puts into the Via, maximal form */
	char *hdr_user_agent;     /* User-Agent, Allow and Supported nua puts */
	char *hdr_allow;          /* into each MESSAGE (NULL: none) */
	char *hdr_supported;
	int msg_flags;            /* the printer flags of nta (NTATAG_SIPFLAGS) */
	size_t measure_fixed;     /* bytes of the agent's own headers (sipb_measure), 0: not yet */
	unsigned long measure_encoded;  /* requests sipb_measure left to sipb_measure_encode */
	unsigned char rnd[512];   /* random bytes from getrandom() for tokens (sipb_token) */
	size_t rnd_left;          /* of them not used yet, at the start of rnd */
	int got_params;           /* nua_r_get_params arrived */
	int shutdown_done;        /* nua_r_shutdown with a final status arrived */
	int closing;              /* in sipb_free: no new MESSAGEs */

	struct sipb_reg *regs;    /* REGISTERs waiting for the core's answer */
	unsigned nregs;
	struct sipb_out *out;     /* MESSAGEs in flight */
	unsigned inflight;
	struct sipb_out *idle;    /* MESSAGE handles between two MESSAGEs (sipb_message.c) */
	unsigned nidle;
	unsigned long seq;        /* counter mixed into Call-IDs */

	sipb_session_fn session_result;
	void *session_arg;
	struct sipb_sess *sessions;   /* INVITEs and MSRP transfers under way */
	unsigned nsessions;
	struct sipb_mtls_cred *msrp_cred;   /* msrps: the CAs, read at the first such session */
	struct sipb_rconn *relay_idle;      /* authenticated MSRP relay connections between
	                                     * sessions (sipb_msrp_rpool.c) */

	sipb_subscribe_fn subscribe;  /* ua-profile subscriptions (sipb_subscribe.c) */
	void *subscribe_arg;
	struct sipb_sub *subs;        /* their dialogs */
	unsigned nsubs;

	sipb_notify_fn notify_result; /* push NOTIFYs (sipb_notify.c) */
	void *notify_arg;
	unsigned nnotify;             /* push NOTIFYs without their final answer */
	sipb_regev_fn regev;          /* reg event subscriptions (sipb_regevent.c) */
	void *regev_arg;
	struct sipb_regsub *rsubs;
	unsigned nrsubs;
};

/* sipb_register.c: answers the nua_i_register event (nh is destroyed), at
 * once or later (sipb_register_answer). */
void sipb_register_request(struct sipb *s, nua_t *nua, nua_handle_t *nh, sip_t const *sip);
/* sipb_register.c: answers every REGISTER still open with status (sipb_free). */
void sipb_register_abort_all(struct sipb *s, int status);

/* sipb_message.c: handles nua_r_message for o. */
void sipb_message_response(struct sipb *s, struct sipb_out *o, int status, char const *phrase,
    sip_t const *sip);

/* sipb_message.c: ends every MESSAGE in flight with a local status and
 * destroys the idle MESSAGE handles (sipb_free). */
void sipb_message_abort_all(struct sipb *s, int status, const char *phrase);

/* sipb_session.c: an event of a session's handle. */
void sipb_session_event(struct sipb *s, struct sipb_sess *x, nua_event_t event, int status,
    char const *phrase, sip_t const *sip, tagi_t const *tags);
/* sipb_session.c: ends every session with a local status (sipb_free), and
 * frees what sessions share (the msrps CAs). */
void sipb_session_abort_all(struct sipb *s, int status, const char *phrase);

/* sipb_subscribe.c: a SUBSCRIBE nua left to the application: a new
 * subscription (sub NULL, nh made by nua) or one within sub's dialog. */
void sipb_subscribe_request(struct sipb *s, nua_t *nua, nua_handle_t *nh, struct sipb_sub *sub,
    sip_t const *sip);
/* sipb_subscribe.c: another event of a subscription's handle (nua_r_notify). */
void sipb_subscribe_event(struct sipb *s, struct sipb_sub *sub, nua_event_t event, int status,
    sip_t const *sip, tagi_t const *tags);
/* sipb_subscribe.c: the subscription x ended (nua ended its dialog, or a
 * push NOTIFY's answer did): the handler hears it once (ended = 1); x is
 * freed once no SUBSCRIBE of it waits for the core. Push NOTIFYs still
 * waiting end with a result that says the subscription is gone. */
void sipb_subscribe_end(struct sipb *s, struct sipb_sub *x);
/* sipb_notify.c: the final answer to a push NOTIFY of x (nua_r_method). */
void sipb_notify_response(struct sipb *s, struct sipb_sub *x, int status, char const *phrase,
    sip_t const *sip);
/* sipb_notify.c: ends the push NOTIFYs of list (taken off their freed
 * subscription) with a local 481, gone set. */
void sipb_notify_abort(struct sipb *s, struct sipb_npush *list);
/* sipb_notify.c: seconds of a monotonic clock. */
long long sipb_mono_s(void);

/* sipb_subscribe.c: answers the SUBSCRIBEs still open 503 and drops every
 * subscription's handle (sipb_free; the stack's shutdown ends the dialogs). */
void sipb_subscribe_abort_all(struct sipb *s);

/* sipb_subscribe.c: what a SUBSCRIBE asks for (pure: no nua): 0 with *i
 * filled (strings in home, expires capped at max), or the status to refuse
 * it with: 489 (not ua-profile with oma-app), 403 (no P-Asserted-Identity),
 * 423 (Expires below min), 500. */
int sipb_subscribe_fill(su_home_t *home, sip_t const *sip, unsigned min, unsigned max,
    struct sipb_subscription *i);
/* sipb_parse.c: parses a whole SUBSCRIBE (data, len) and fills *i with
 * sipb_subscribe_fill (min 60, max 3600): 0, the refusal status, or 400
 * when it is no parsable SUBSCRIBE. */
int sipb_subscribe_parse(su_home_t *home, const char *data, size_t len,
    struct sipb_subscription *i);

/* sipb_measure.c: an upper bound of the bytes of a request (method, name)
 * to ruri with the headers of tags and pl as nua and nta will send it (the
 * agent's Via, Max-Forwards, CSeq, User-Agent, Allow, Supported added; the
 * Via and CSeq in their longest form); 0 when it cannot be encoded. Sums
 * the headers' encoded lengths without building a message; falls back to
 * sipb_measure_encode for string tags and lists (see the file). [loop] */
size_t sipb_measure(struct sipb *s, sip_method_t method, char const *name, url_string_t const *ruri,
    sip_payload_t const *pl, tagi_t const *tags);
/* sipb_measure.c: the same number from a whole msg_t serialized as nta
 * does (the reference sipb_measure is checked against). [loop] */
size_t sipb_measure_encode(struct sipb *s, sip_method_t method, char const *name,
    url_string_t const *ruri, sip_payload_t const *pl, tagi_t const *tags);
/* sipb_message.c: the content indirection reference (RFC 4483 §5, RFC 2017)
 * of len bytes of content_type at url: *ct and *pl in home. 0, -EINVAL (a
 * quote, backslash or line break in url), -ENOMEM. */
int sipb_external_body(su_home_t *home, const char *url, const char *content_type, size_t len,
    const char *cid, sip_content_type_t **ct, sip_payload_t **pl);
/* sipb_regevent.c: an event of a reg event subscription's handle. */
void sipb_regevent_event(struct sipb *s, struct sipb_regsub *rs, nua_event_t event, int status,
    char const *phrase, sip_t const *sip, tagi_t const *tags);
/* sipb_regevent.c: drops every reg event subscription's handle (sipb_free). */
void sipb_regevent_abort_all(struct sipb *s);

/* sipb_message.c: tlen random token characters and a NUL into token (tlen
 * + 1 bytes), as msg_random_token() makes them but from a pool of the
 * agent's filled by getrandom() (5 bits a character), so that a token costs
 * no read of /dev/urandom per character; msg_random_token()'s own source
 * when getrandom() fails. [loop] */
void sipb_token(struct sipb *s, char *token, int tlen);
/* sipb_message.c: the Route header of a route URI (Route <uri;lr>), or NULL. */
sip_route_t *sipb_route(su_home_t *home, const char *route);

/* sipb_register.c: does s consist of event-app-id characters only
 * (1*(%x21 / %x23-2B / %x2D-7E), OMA-TS-SIP_Push §8.1.1)? */
int sipb_is_event_app_id(const char *s, size_t len);

/* sipb_register.c: splits a comma-separated list of event-app-ids (list is
 * cut in place) into apps[*n..max): each item trimmed of blanks; items that
 * are no event-app-id are skipped. */
void sipb_split_apps(char *list, const char **apps, size_t max, size_t *n);

/* sipb_register.c: the bindings of a REGISTER's Contacts into b (at most
 * SIPB_MAX_BINDINGS): their number, or a negative SIP status (-400, -500).
 * sip->sip_to must be set. */
int sipb_register_bindings(su_home_t *home, sip_t const *sip, struct sipb_binding *b);

/* sipb_parse.c: the pure parsers of what a peer sends, driven from bytes
 * (the fuzz targets and unit tests; no socket, no nua). */
/* Parses a whole REGISTER request (data, len) with sofia-sip's SIP parser
 * and builds its bindings as sipb_register_request does: their number, or
 * a negative SIP status (-400: not a parsable REGISTER with a To). The
 * strings live in home. */
int sipb_register_parse(su_home_t *home, const char *data, size_t len, struct sipb_binding *b);
/* The delta-seconds of a response's Retry-After (0 .. INT_MAX), or -1. */
int sipb_retry_after(sip_t const *sip);
/* Parses a whole response (data, len) and returns sipb_retry_after of it,
 * -1 without one, -2 when it does not parse as a SIP response. */
int sipb_response_retry_after(const char *data, size_t len);

#endif
