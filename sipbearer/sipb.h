/*
 * sipb.h - the SIP Push bearer (OMA-TS-SIP_Push §7, §8, §9.1,
 * Appendix D, F.1.2; the OMA-CD-PUSH CR on ARI §9.6) on sofia-sip.
 *
 * sipbearer/ owns sofia-sip: the nua agent, its handles and su_home memory.
 * It runs on the caller's su_root (the core loop) and never blocks. It knows
 * nothing of PAP, pushes or the database: the core hands it MESSAGEs to send
 * and gets back one result per MESSAGE; third-party REGISTERs come up to the
 * core as binding updates through a callback.
 *
 * All functions must be called in the thread that runs the su_root.
 */
#ifndef SIPB_H
#define SIPB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <sofia-sip/su_wait.h>

struct sipb;

struct sipb_config {
	/* Where to listen, UDP and TCP: "sip:127.0.0.1:5070" (or "sip:*:5060").
	 * Port 0 picks a free port (see sipb_local_port). NULL: no UDP/TCP
	 * (then tls_url is required). */
	const char *bind_url;
	/* SIP over TLS (RFC 3261 §26.2; OMA-TS-SIP_Push §12): where to listen
	 * ("sips:127.0.0.1:5061"), or NULL: no TLS. The TLS transport is also the
	 * one requests to a sips: (or ;transport=tls) outbound proxy leave by. */
	const char *tls_url;
	/* With tls_url: a directory holding agent.pem (this agent's certificate,
	 * its chain and its private key) and cafile.pem (the CAs a peer's
	 * certificate must chain to), the layout sofia-sip's tport reads
	 * (TPTAG_CERTIFICATE). Read once, by sipb_new. */
	const char *tls_dir;
	/* Outgoing TLS connections (to the core): 1 verifies the server's
	 * certificate (its chain to cafile.pem, its dates, and the host of the
	 * request's next hop among its DNS subjectAltNames and Common Name) and
	 * closes the connection when it fails; 0 encrypts without verifying. */
	int tls_verify_server;
	/* Incoming TLS connections: 1 requires a client certificate that chains
	 * to cafile.pem (the handshake fails otherwise). */
	int tls_verify_client;
	/* The SIP/IP core to send every request through ("sip:127.0.0.1:5060;lr"),
	 * or NULL: requests then go straight to the terminal's registered contact. */
	const char *outbound_proxy;
	/* From of the MESSAGEs: "sip:ppg@operator.example". */
	const char *from_uri;
	/* P-Asserted-Identity of the MESSAGEs ("<sip:ppg@operator.example>"), or NULL. */
	const char *p_asserted_identity;
	/* User-Agent / Server header value, or NULL. */
	const char *user_agent;
	/* Content indirection threshold in bytes of the whole request (1300). */
	size_t indirection_threshold;
	/* Is a request (method: "REGISTER" or "SUBSCRIBE") from this source
	 * address a trusted SIP/IP core? (untrusted ones get 403). Required. */
	int (*trusted)(void *arg, const char *method, const struct sockaddr *from);
	void *trusted_arg;
	/* Timer F/B (64*T1) in milliseconds, 0 = the default 32000. Lower only in
	 * tests that wait for a transaction timeout. */
	unsigned t1x64_ms;
	/* ua-profile subscriptions: the shortest expiry taken (shorter: 423
	 * with Min-Expires; 0 = 60 s) and the longest granted (0 = 3600 s). */
	unsigned sub_min_expires;
	unsigned sub_max_expires;
	/* 1: reg event subscriptions are used (sipb_regevent_subscribe): NOTIFY
	 * is in the agent's Allow. */
	int reg_event;
};

/* One contact of a third-party REGISTER (OMA-TS-SIP_Push §7, F.1.2; RFC 3261 §10,
 * RFC 3840 feature tags, RFC 5627 GRUU). Strings are NUL-terminated copies
 * valid during the callback only. */
struct sipb_binding {
	const char *aor;          /* To URI without parameters or display name, e.g.
	                           * "sip:bob@biloxi.com" or "tel:+15551230001" */
	const char *contact;      /* Contact URI, e.g. "sip:bob@192.0.2.4:5060;transport=tcp" */
	const char *instance;     /* +sip.instance value without quotes or NULL */
	const char *gruu;         /* pub-gruu value without quotes or NULL */
	const char *temp_gruu;    /* temp-gruu value without quotes or NULL (RFC 5627
	                           * §5.2: a new one at each refresh) */
	const char *apps[16];     /* +g.oma.pusheventapp values: the quoted list split at
	                           * commas, each trimmed of blanks */
	size_t napps;
	int sessions;             /* 1: takes INVITE sessions (RFC 3840: a "methods"
	                           * list with INVITE, or the +sip.message tag) */
	int q;                    /* the Contact's q (RFC 3261 §20.10) in thousandths,
	                           * 0..1000; -1 when absent or not a qvalue */
	int expires;              /* seconds granted; 0 = remove this contact */
	int wildcard;             /* "Contact: *" with Expires: 0: remove every contact of aor */
	int reginfo;              /* learnt from a reg event NOTIFY, not a REGISTER: its
	                           * wildcard (a full document) removes only what
	                           * reginfo told */
	const char *call_id;
	uint32_t cseq;
};

/* Contacts taken from one REGISTER (more: 400). */
#define SIPB_MAX_BINDINGS 32

/* A REGISTER waiting for the core's answer (sipb_register_answer). */
struct sipb_reg;

#define SIPB_REGISTER_LATER 0

/*
 * The core's answer to a trusted REGISTER: called once with every contact of
 * the request. It may lower b[i].expires (the granted time) before it
 * returns. Returns the SIP status to answer at once (200 when stored: the
 * 200 then lists each contact with ;expires=granted; or a 4xx/5xx), or
 * SIPB_REGISTER_LATER: the request stays open (sofia-sip's saved event) and
 * the core answers it later with sipb_register_answer(pending), e.g. once
 * the bindings are stored by another thread. b stays valid until then.
 */
typedef int (*sipb_register_fn)(void *arg, struct sipb_binding *b, size_t n,
    const struct sockaddr *from, struct sipb_reg *pending);

struct sipb_message {
	const char *request_uri;  /* the public identity (AoR), a GRUU, or (no outbound
	                           * proxy) the registered contact */
	const char *to;           /* To URI: the AoR */
	const char *route;        /* NULL, or a URI to route through (e.g. the contact of
	                           * a GRUU when there is no outbound proxy): sent as Route <..;lr> */
	const char *app;          /* +g.oma.pusheventapp value (unquoted) for Accept-Contact */
	const char *content_type; /* of the push content */
	const void *body;
	size_t body_len;
	/* Content indirection (RFC 4483): when the whole request with the body
	 * inline would exceed indirection_threshold, and url is not NULL, the
	 * MESSAGE carries message/external-body;access-type="URL";URL="<url>"
	 * with the content's type and size instead. */
	const char *external_url;
	uint64_t tag;             /* caller's cookie, returned in the result */
};

struct sipb_result {
	int status;               /* final SIP status: 200..699 */
	const char *phrase;       /* reason phrase (valid during the callback) */
	int local;                /* 1: generated by this stack (timer F 408, transport 503) */
	int retry_after;          /* seconds from Retry-After, -1 when absent */
	int indirect;             /* 1: sent with content indirection */
	size_t request_size;      /* bytes of the request as sent (with body or reference):
	                           * sipbearer's encoding of it with a Via of maximal
	                           * length, at most 16 bytes above the wire size */
	uint64_t tag;
};
typedef void (*sipb_result_fn)(void *arg, const struct sipb_result *r);

/*
 * Session-mode push (OMA-TS-SIP_Push §9.3; RFC 4975): an INVITE with an
 * SDP offer of one MSRP stream (sendonly), then the content as MSRP SEND
 * chunks over a TCP connection to the answer's a=path (this side is
 * active), then BYE. The result callback runs exactly once per session
 * accepted by sipb_send_session().
 */
struct sipb_session {
	const char *request_uri;  /* as for a MESSAGE: public id, GRUU or contact */
	const char *to;
	const char *route;        /* NULL or a URI (Route <..;lr>) */
	const char *app;          /* +g.oma.pusheventapp value for Accept-Contact */
	const char *content_type;
	const void *body;         /* copied */
	size_t body_len;
	const char *file_name;    /* a=file-selector name, NULL: none */
	size_t chunk_size;        /* content bytes per SEND (0: 4096) */
	int report_required;      /* 1: delivered on the REPORT 000 200 only; 0: also
	                           * on the 200s of every SEND when no REPORT came */
	unsigned answer_timeout_ms;   /* no final answer to the INVITE: CANCEL */
	unsigned transfer_timeout_ms; /* connect, SENDs and the REPORT */
	uint64_t tag;
	/* msrps (RFC 4975 §14): offer TCP/TLS/MSRP with an msrps: URI and run
	 * TLS to the answer's path (sipbearer/sipb_msrp_tls.h says what is
	 * checked); an answer of the other scheme is a local 488. */
	int msrp_tls;
	/* PEM CAs for a receiver's certificate when the answer has no
	 * a=fingerprint (NULL or "": the system's); read once, by the first
	 * msrps session, and kept. */
	const char *msrp_ca_file;
	/* An MSRP relay (RFC 4976): "msrps://host:port;tcp", or NULL. Before the
	 * INVITE, ppgd AUTHs there with msrp_relay_user / msrp_relay_password
	 * (Digest), puts its Use-Path before its own URI in a=path, and sends
	 * the SENDs on that connection with To-Path = Use-Path + the answer's
	 * path. The relay's certificate is checked against msrp_ca_file and its
	 * host (an answer's a=fingerprint is the relay's business then). */
	const char *msrp_relay;
	const char *msrp_relay_user, *msrp_relay_password;
};

enum sipb_session_phase {
	SIPB_PHASE_INVITE = 1,    /* ended with the INVITE's final answer */
	SIPB_PHASE_MSRP,          /* the session was up: ended in the MSRP transfer */
	SIPB_PHASE_RELAY,         /* ended before the INVITE: the MSRP relay's AUTH failed
	                           * (status: the relay's 401/403/423..., or a local 503/408) */
};

struct sipb_session_result {
	enum sipb_session_phase phase;
	int status;               /* INVITE: the SIP final status (a CANCEL after
	                           * answer_timeout_ms: 408, local); MSRP: 200 when
	                           * delivered, else the MSRP status (RFC 4975 §10)
	                           * of the error response or REPORT, or local 503
	                           * (connection failed or lost), 408 (timeout) */
	const char *phrase;       /* valid during the callback */
	int local;
	int from_report;          /* MSRP: the status is a REPORT's */
	int retry_after;          /* INVITE: Retry-After seconds, or -1 */
	int cancelled;            /* INVITE: CANCELled after answer_timeout_ms */
	size_t chunks, acked;     /* MSRP: SENDs written, SENDs answered 200 */
	uint64_t tag;
};
typedef void (*sipb_session_fn)(void *arg, const struct sipb_session_result *r);

/*
 * Ends the session sent with tag early (its delivery ended, or its lease
 * was lost): the MSRP transfer stops, a BYE goes when the session is up, a
 * CANCEL while the INVITE waits for its answer, nothing before the INVITE
 * (a relay's AUTH). Its result, a local 503 with why as phrase, is reported
 * once from the loop shortly after (never from inside this call). No such
 * session, or one already reported: nothing.
 */
void sipb_session_end(struct sipb *s, uint64_t tag, const char *why);

/* The session result callback (before the first sipb_send_session). */
void sipb_set_session_handler(struct sipb *s, sipb_session_fn fn, void *arg);

/*
 * Starts a session: 0 when the INVITE is on its way (the result comes
 * later, exactly once), or -EINVAL (as sipb_send_message; also no session
 * handler), -ENOMEM, -ESHUTDOWN (no callback then).
 */
int sipb_send_session(struct sipb *s, const struct sipb_session *q);

/* Sessions not yet ended (including those whose BYE is under way). */
unsigned sipb_sessions(const struct sipb *s);

/*
 * Creates the agent on root and starts listening. reg and result are the
 * core's callbacks (arg is passed to both). Returns NULL on failure with a
 * reason in err.
 */
struct sipb *sipb_new(su_root_t *root, const struct sipb_config *cfg, sipb_register_fn reg,
    sipb_result_fn result, void *arg, char *err, size_t errlen);

/* Stops the agent: outstanding MESSAGEs and sessions end with a local 503 result. Frees.
 * Runs the root until the stack has shut down (normally at once, at most
 * 10 s), so other handlers on the root may run meanwhile. Not from inside a
 * sipb callback. NULL is accepted. */
void sipb_free(struct sipb *s);

/* The UDP/TCP port the agent listens on. */
unsigned sipb_local_port(const struct sipb *s);

/*
 * Sends a MESSAGE. Returns 0 when it is on its way (the result callback comes
 * later, exactly once, also when sending fails locally), or -EINVAL / -ENOMEM
 * when it could not be created (no callback then): -EINVAL also for an app
 * that is no event-app-id, a URI or header that does not parse, an
 * external_url with a quote, backslash or line break; -ESHUTDOWN while
 * sipb_free runs. The strings and the body are copied before it returns.
 * Content indirection is decided on the size of the whole request with the
 * body inline, as this agent will encode it (result.request_size).
 */
int sipb_send_message(struct sipb *s, const struct sipb_message *m);

/* Outstanding MESSAGEs (for flow control and shutdown). */
unsigned sipb_inflight(const struct sipb *s);

/*
 * Answers a REGISTER the register callback left open (exactly once per
 * pending): status 200..699; a 2xx lists the granted contacts. pending is
 * freed. REGISTERs still open when sipb_free runs are answered 503 there.
 */
void sipb_register_answer(struct sipb *s, struct sipb_reg *pending, int status);

/* REGISTERs waiting for sipb_register_answer. */
unsigned sipb_register_pending(const struct sipb *s);

/*
 * Subscriptions to the ua-profile event package with the oma-app profile
 * type (the OMA-CD-PUSH CR on ARI §9.2.2.1 / seed 003 §9.1.3, Appendix A,
 * D.3; RFC 6665; RFC 6080 for ua-profile). A terminal enrols its push
 * applications (event-app-id) and may name its UAProf document (the
 * "model" parameter). Only a SUBSCRIBE from a trusted core with a
 * P-Asserted-Identity is taken (403 otherwise); another event package gets
 * 489 with Allow-Events: ua-profile (by nua), a ua-profile SUBSCRIBE without
 * the oma-app profile type 489 too. The core stores what it learnt and
 * answers (sipb_subscribe_answer); a 2xx to a new subscription is followed
 * at once by the initial NOTIFY (Subscription-State: active;expires=N,
 * no body: seed 003 D.3 step 5); a refresh gets its NOTIFY from nua; an
 * un-SUBSCRIBE (Expires: 0) and the expiry end with a NOTIFY
 * "terminated" and one more callback with expires = 0 and ended = 1.
 * Strings are valid during the callback and, when the answer is left for
 * later, until sipb_subscribe_answer.
 */
struct sipb_subscription {
	const char *aor;          /* the P-Asserted-Identity URI (sip:/sips:/tel:) */
	const char *call_id;      /* the dialog: Call-ID and the subscriber's tag */
	const char *remote_tag;
	const char *contact;      /* the subscriber's Contact URI */
	const char *apps[16];     /* event-app-id values (quoted list split at commas) */
	size_t napps;
	const char *model;        /* the UAProf link ("model" parameter) or NULL */
	const char *accept;       /* the Accept header as text, or NULL */
	int expires;              /* seconds granted (the core may lower it); 0 = ends */
	int refresh;              /* 1: a SUBSCRIBE within an existing subscription */
	int ended;                /* 1: the subscription has ended (NOTIFY terminated
	                           * sent, or its dialog failed): forget it; no answer */
};

/* A SUBSCRIBE waiting for the core's answer. */
struct sipb_subreq;

/*
 * The core's handler: returns a SIP status to answer at once (200 when
 * taken; 4xx/5xx) or SIPB_REGISTER_LATER, and then calls
 * sipb_subscribe_answer(pending) once. With ended set, pending is NULL and
 * the return value is ignored.
 */
typedef int (*sipb_subscribe_fn)(void *arg, struct sipb_subscription *sub,
    struct sipb_subreq *pending);

/* Serves ua-profile with fn (until then a SUBSCRIBE is answered 503). */
void sipb_set_subscribe_handler(struct sipb *s, sipb_subscribe_fn fn, void *arg);

/* Answers a SUBSCRIBE the handler left open (exactly once per pending). */
void sipb_subscribe_answer(struct sipb *s, struct sipb_subreq *pending, int status);

/* Active subscriptions (dialogs) of the agent. */
unsigned sipb_subscriptions(const struct sipb *s);

/*
 * Push delivered as a NOTIFY within a ua-profile subscription (seed 003
 * §9.1.4, D.3 step 9; RFC 6665 §4.2.2). The NOTIFY goes in the
 * subscription's dialog (its Route set, Request-URI the subscriber's
 * Contact, the dialog's CSeq) with Event: ua-profile;profile-type=oma-app;
 * event-app-id="APP", Subscription-State: active;expires=REMAINING,
 * Accept-Contact: *;+g.oma.pusheventapp="APP", the P-Asserted-Identity of
 * the MESSAGEs, and the push content (or, above indirection_threshold and
 * with external_url, the message/external-body reference of a MESSAGE).
 *
 * It is made as a plain request of the dialog, not through nua's notifier:
 * nua resends its notifier's last NOTIFY, body included, after each
 * refresh SUBSCRIBE, which would deliver the push again; the notifier's
 * last NOTIFY stays the body-less state NOTIFY, so a refresh's NOTIFY
 * carries no push. The result callback runs exactly once per NOTIFY
 * accepted by sipb_send_notify(). A final answer that ends the
 * subscription (481, or another status that RFC 5057 says ends the usage
 * or the dialog: 404, 405, 408, 410, 416, 480, 482, 485, 489, 502, 604;
 * a local 408 too) ends it first (the subscribe handler hears ended = 1),
 * then reports with gone set.
 */
struct sipb_notify {
	const char *call_id;      /* the subscription: Call-ID and the subscriber's tag */
	const char *remote_tag;
	const char *app;          /* the push application (an event-app-id) */
	const char *content_type;
	const void *body;
	size_t body_len;
	const char *external_url; /* as for a MESSAGE, or NULL */
	uint64_t tag;
};

struct sipb_notify_result {
	int status;               /* final SIP status 200..699 */
	const char *phrase;       /* valid during the callback */
	int local;
	int retry_after;          /* seconds, or -1 */
	int indirect;             /* sent with content indirection */
	int gone;                 /* the subscription ended with this answer (or before it) */
	uint64_t tag;
};
typedef void (*sipb_notify_fn)(void *arg, const struct sipb_notify_result *r);

/* The push NOTIFY result callback (before the first sipb_send_notify). */
void sipb_set_notify_handler(struct sipb *s, sipb_notify_fn fn, void *arg);

/*
 * Sends a push NOTIFY in the live subscription (call_id, remote_tag): 0
 * when it is on its way (one result later); -ENOENT when the agent has no
 * live dialog of that subscription (none, ended, expired, or from before a
 * restart); -EINVAL (bad app, content type, URL; no handler), -ENOMEM,
 * -ESHUTDOWN: no callback then. Strings and body are copied.
 */
int sipb_send_notify(struct sipb *s, const struct sipb_notify *n);

/* Is (call_id, remote_tag) a live subscription dialog of this agent? */
int sipb_notify_can(struct sipb *s, const char *call_id, const char *remote_tag);

/* Push NOTIFYs without their final answer. */
unsigned sipb_notify_inflight(const struct sipb *s);

/*
 * Normalizes a sip:/sips:/tel: URI into an AoR key (RFC 3261 §10.3 step 5,
 * RFC 3966): scheme and host in lower case, the user part as given, no
 * parameters or headers; tel: a global number without visual separators.
 * 0, or -EINVAL when it is not such a URI or does not fit in len.
 */
int sipb_aor_normalize(const char *uri, char *out, size_t len);

/*
 * A GRUU as a key (RFC 5627): a sip:/sips: URI with a "gr" parameter becomes
 * its AoR key (sipb_aor_normalize) followed by ";gr" or ";gr=VALUE" (value
 * in lower case), e.g. "sip:bob@example.com;gr=urn:uuid:f81d...". The key
 * holds exactly one ';', before "gr": what precedes it is the AoR. 0;
 * -ENOENT when the URI has no gr parameter (not a GRUU); -EINVAL when it is
 * no such URI or does not fit in len.
 */
int sipb_gruu_normalize(const char *uri, char *out, size_t len);

/* Does the space-separated set of GRUUs (URIs or <name-addr>s, as a binding
 * stores its temp-gruus) hold one whose key (sipb_gruu_normalize) is key? */
int sipb_gruu_set_has(const char *set, const char *key);

/*
 * Subscriptions to the reg event package (RFC 3680) at the SIP/IP core: the
 * second way OMA-TS-SIP_Push §9.1.2 names for the Push Sender Agent to learn
 * registrations. sipb_regevent.c sends SUBSCRIBE (Event: reg, Accept:
 * application/reginfo+xml, Request-URI and To the AoR, through the outbound
 * proxy and, when given, a Route to server), lets nua refresh it before it
 * expires, answers the NOTIFYs (nua, 200), parses their reginfo bodies
 * (sipb_reginfo.h) and applies RFC 3680's version rules: a stale partial
 * document is dropped, a gap (or a body that does not parse) makes the
 * state unknown and the subscription is refreshed at once to get full state.
 * Needs sipb_config.reg_event = 1 (NOTIFY in the agent's Allow).
 */
struct sipb_regsub;

enum sipb_regev_kind {
	SIPB_REGEV_ACTIVE = 1,    /* the SUBSCRIBE (or a refresh) was accepted: expires */
	SIPB_REGEV_STATE,         /* a NOTIFY's document to apply: info */
	SIPB_REGEV_UNKNOWN,       /* the state is unknown (version gap, a body that
	                           * does not parse: why); a refresh is under way */
	SIPB_REGEV_ENDED,         /* the subscription is over (refused, a refresh
	                           * failed, a NOTIFY terminated it); rs is freed
	                           * when the callback returns */
};

struct sipb_reginfo;

struct sipb_regev {
	enum sipb_regev_kind kind;
	const char *aor;                  /* as subscribed */
	const struct sipb_reginfo *info;  /* STATE */
	unsigned expires;                 /* ACTIVE, STATE: seconds the subscription has left (0: unknown) */
	int status;                       /* ENDED: the SIP status of the failure, 0
	                                   * when a NOTIFY said terminated */
	const char *why;                  /* UNKNOWN, ENDED: the reason (phrase or
	                                   * Subscription-State reason); valid during the callback */
	int retry_after;                  /* ENDED: seconds (Retry-After or retry-after=), -1 */
};
typedef void (*sipb_regev_fn)(void *arg, struct sipb_regsub *rs, void *cookie,
    const struct sipb_regev *ev);

/* The reg event callback (before the first sipb_regevent_subscribe). */
void sipb_set_regevent_handler(struct sipb *s, sipb_regev_fn fn, void *arg);

/*
 * Subscribes to aor's registrations for expires seconds (nua refreshes the
 * subscription before then). server: NULL, or a SIP URI the SUBSCRIBE is
 * routed to (Route <server;lr>). cookie comes back with every event.
 * 0 with *out set, -EINVAL (no handler, aor or server no SIP URI), -ENOMEM,
 * -ESHUTDOWN. Events follow until ENDED or sipb_regevent_unsubscribe.
 */
int sipb_regevent_subscribe(struct sipb *s, const char *aor, const char *server,
    unsigned expires, void *cookie, struct sipb_regsub **out);

/* Ends rs with an un-SUBSCRIBE (Expires: 0); no callback for it after this. */
void sipb_regevent_unsubscribe(struct sipb *s, struct sipb_regsub *rs);

/* reg event subscriptions of the agent (not counting those being ended). */
unsigned sipb_regevent_count(const struct sipb *s);

#endif
