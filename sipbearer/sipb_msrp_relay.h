/*
 * sipb_msrp_relay.h - this side's MSRP relay (RFC 4976): before a session's
 * INVITE, a connection to the relay (TLS for an msrps: relay URI), an AUTH
 * answered 401 with a Digest challenge, the AUTH again with Authorization
 * (RFC 4976 §5.1; RFC 2617 digest, qop=auth, MD5), and the 200 whose
 * Use-Path the offer's a=path starts with. The connection then carries the
 * session's SENDs (sipb_msrp_conn.c takes it over), and the relay sends the
 * REPORTs and responses back on it. Internal to sipbearer/ (sipb_session.c).
 * [su_root thread]
 */
#ifndef SIPB_MSRP_RELAY_H
#define SIPB_MSRP_RELAY_H

#include <stddef.h>
#include <stdint.h>

struct su_root_s;
struct sipb_mrelay;
struct sipb_mtls;
struct sipb_mtls_cred;

struct sipb_mrelay_cfg {
	const char *uri;              /* the relay: msrps://host[:port];tcp (msrp: without TLS) */
	const char *user, *password;  /* the Digest credentials */
	const char *from_path;        /* this endpoint's MSRP URI */
	struct sipb_mtls_cred *tls;   /* the CAs the relay's certificate chains to */
	unsigned timeout_ms;          /* connect, TLS and both AUTHs */
	unsigned expires;             /* the Expires asked (s); raised to a 423's Min-Expires once */
	uint64_t seed;                /* transaction ids and the cnonce */
};

struct sipb_mrelay_result {
	int status;                   /* 200: authorized; else the relay's status (401: the
	                               * credentials refused, 403, 423 ...) or a local 503
	                               * (unreachable, TLS, connection lost) / 408 (time) */
	int local;                    /* 1: made up here */
	const char *comment;          /* why (static or valid during the callback) */
	const char *use_path;         /* 200: the Use-Path value (URIs separated by SP) */
	unsigned expires;             /* 200: the Expires granted (s), 0 when absent */
};

typedef void (*sipb_mrelay_fn)(void *arg, const struct sipb_mrelay_result *r);

/* Starts; cb runs exactly once, never from inside this call. NULL when out
 * of memory or the URI is no MSRP URI (no callback then). */
struct sipb_mrelay *sipb_mrelay_start(struct su_root_s *root, const struct sipb_mrelay_cfg *cfg,
    sipb_mrelay_fn cb, void *arg);

/* After a 200: hands the connection over (the socket, deregistered from the
 * root, and its TLS session, NULL without TLS); the relay keeps nothing.
 * 0, or -1 when there is none. */
int sipb_mrelay_take(struct sipb_mrelay *r, int *fd, struct sipb_mtls **tls);

/* Closes what is left and frees; NULL accepted; no callback afterwards. */
void sipb_mrelay_free(struct sipb_mrelay *r);

/*
 * Pure helpers (tests): the Digest response of an AUTH (RFC 2617 §3.2.2
 * with qop=auth, method "AUTH", digest-uri the relay's URI), 32 hex digits
 * and a NUL into out[33]. 0 or -EIO.
 */
int sipb_mrelay_digest(const char *user, const char *realm, const char *password, const char *nonce,
    const char *nc, const char *cnonce, const char *uri, char out[33]);

#endif
