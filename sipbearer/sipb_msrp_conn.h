/*
 * sipb_msrp_conn.h - the active side of one MSRP session (RFC 4975 §5.4,
 * §7.1): a TCP connection to the first URI of the answerer's a=path, on the
 * caller's su_root, sending one message as SEND chunks with the codec of
 * sipb_msrp.h and waiting for the transaction responses and the REPORT;
 * over TLS (msrps, sipb_msrp_tls.h) when cfg.tls is set. On a relay's
 * connection (pre_connected) it may stay open afterwards (cfg.keep).
 * Internal to sipbearer/ (sipb_session.c). [su_root thread]
 */
#ifndef SIPB_MSRP_CONN_H
#define SIPB_MSRP_CONN_H

#include <stddef.h>
#include <stdint.h>

struct su_root_s;
struct sipb_mconn;
struct sipb_mtls_cred;
struct sipb_mtls;

struct sipb_mconn_cfg {
	const char *host;             /* where to connect: the first URI of To-Path */
	unsigned port;
	const char *to_path;          /* the answerer's a=path (URIs separated by SP) */
	const char *from_path;        /* this endpoint's MSRP URI */
	const char *content_type;
	const void *body;             /* not copied: must outlive the connection */
	size_t len;
	size_t chunk_size;            /* content bytes per SEND */
	int report_required;          /* 1: done on REPORT 200 only; 0: also on the
	                               * 200 of every SEND when no REPORT came */
	unsigned timeout_ms;          /* connect and the whole transfer */
	uint64_t seed;                /* transaction and message ids */
	struct sipb_mtls_cred *tls;   /* msrps: TLS with these CAs (sipb_msrp_tls.h); NULL: TCP */
	const char *fingerprint;      /* msrps: the answer's a=fingerprint, or NULL */
	/* A connection already up (the relay's, sipb_msrp_relay.h): host, port,
	 * tls and fingerprint are not used; pre_fd and pre_tls (NULL: plain)
	 * become the connection's, also when sipb_mconn_start fails. */
	int pre_connected;
	int pre_fd;
	struct sipb_mtls *pre_tls;
	/* 1: a transfer that ends 200 with nothing more in flight keeps its
	 * connection open for sipb_mconn_detach (a relay's, sipb_msrp_rpool.h) */
	int keep;
};

struct sipb_mconn_result {
	int status;                   /* 200: delivered; else the MSRP status of the
	                               * failure (RFC 4975 §10: 400, 403, 408, 413,
	                               * 415, 481, 501, 506), or local 503 / 408 */
	int local;                    /* 1: made up here (connect failed, connection
	                               * closed, timeout, garbage from the peer) */
	int from_report;              /* 1: status is a REPORT's (namespace 000) */
	const char *comment;          /* why (static or valid during the callback) */
	size_t chunks;                /* SENDs written */
	size_t acked;                 /* SENDs answered 200 */
};

typedef void (*sipb_mconn_fn)(void *arg, const struct sipb_mconn_result *r);

/*
 * Connects and sends; cb runs exactly once (never from inside this call),
 * after which the socket is closed. NULL on failure (no callback then).
 */
struct sipb_mconn *sipb_mconn_start(struct su_root_s *root, const struct sipb_mconn_cfg *cfg,
    sipb_mconn_fn cb, void *arg);

/* In the callback of a transfer with cfg.keep that ended 200 with nothing
 * in flight: its socket (no longer on the root) and TLS session (NULL:
 * plain) become the caller's. 0, or -1 when the connection was closed. */
int sipb_mconn_detach(struct sipb_mconn *c, int *fd, struct sipb_mtls **tls);

/* Closes (no callback afterwards) and frees; NULL is accepted. May be
 * called from inside the callback. */
void sipb_mconn_free(struct sipb_mconn *c);

#endif
