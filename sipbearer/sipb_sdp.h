/*
 * sipb_sdp.h - the SDP of session-mode push (OMA-TS-SIP_Push §9.3.2.1 item
 * 5; RFC 4975 §8, RFC 4566, RFC 3264; a=file-selector of the mmusic file
 * transfer draft, RFC 5547): the offer ppgd makes and what it takes from
 * the answer. Pure functions (sofia-sip's sdp_parse does the SDP syntax).
 */
#ifndef SIPB_SDP_H
#define SIPB_SDP_H

#include <stddef.h>

struct sipb_sdp_offer {
	const char *host;             /* this endpoint's address (c= and the MSRP URI) */
	unsigned port;                /* the m= port and the URI's (active side: 9) */
	const char *session_id;       /* the URI's session-id, an MSRP ident */
	const char *content_type;     /* a=accept-types */
	size_t size;                  /* content size, for a=file-selector */
	const char *file_name;        /* NULL: no a=file-selector (not file-like) */
	unsigned long long sess_id;   /* o= session id and version */
	int tls;                      /* msrps: "TCP/TLS/MSRP" and an msrps: URI (RFC 4975 §8.1) */
	const char *relay_path;       /* NULL, or the relays' Use-Path put before this
	                               * endpoint's URI in a=path (RFC 4976 §5.2) */
};

/* Writes the offer into out. Its length, or -ENOSPC / -EINVAL. */
int sipb_sdp_offer_write(char *out, size_t cap, const struct sipb_sdp_offer *o);

/* The MSRP URI of the offer (its a=path) into out. Its length or -ENOSPC. */
int sipb_sdp_offer_path(char *out, size_t cap, const struct sipb_sdp_offer *o);

struct sipb_sdp_answer {
	char path[1024];              /* the a=path value: the To-Path of the SENDs */
	char host[256];               /* of its first URI: where to connect */
	unsigned port;
	int tls;                      /* 1: msrps (the first URI's scheme; the m= proto
	                               * must be TCP/TLS/MSRP then, TCP/MSRP otherwise) */
	char fingerprint[256];        /* a=fingerprint (media, else session level), "" if none */
	unsigned long long max_size;  /* a=max-size, 0 when absent */
};

/*
 * Takes the first accepted (port > 0) "m=message ... TCP/MSRP" (or
 * TCP/TLS/MSRP) media of an SDP answer and its a=path. 0; -EINVAL when the
 * SDP does not parse or the path is no MSRP URI list, or its first URI's
 * scheme (msrp, msrps) does not match the m= line's proto; -ENOENT when no
 * such media was accepted (the answerer refused the MSRP stream).
 */
int sipb_sdp_answer_parse(const char *sdp, size_t len, struct sipb_sdp_answer *a);

/*
 * Splits one MSRP URI (RFC 4975 §6, §9: msrp[s]://[userinfo@]host[:port]
 * [/session-id];transport *(;param)) into host and port (2855 when absent)
 * and tls. 0 or -EINVAL.
 */
int sipb_msrp_uri_parse(const char *uri, size_t len, char *host, size_t hostcap, unsigned *port,
    int *tls);

#endif
