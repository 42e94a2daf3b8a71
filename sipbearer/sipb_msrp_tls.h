/*
 * sipb_msrp_tls.h - TLS for the active side of an MSRP session (msrps,
 * RFC 4975 §14.2, §14.3; GnuTLS): a client session over the connection's
 * non-blocking socket, the handshake driven by the su_root's events, and
 * the check of the receiver's certificate. Internal to sipbearer/
 * (sipb_msrp_conn.c, sipb_session.c). [su_root thread]
 *
 * What is checked: when the SDP answer carries a=fingerprint (RFC 4572, as
 * RFC 4975 §14.4 asks of self-signed certificates), the hash of the
 * certificate the receiver presents must equal it (sha-1, sha-224, sha-256,
 * sha-384 or sha-512), and nothing else is asked of it; without one, the
 * certificate must chain to the CAs of sipb_mtls_cred_new (its dates
 * included) and name the host of the URI ppgd connects to (a DNS name or
 * an IP address among its subjectAltNames, else its Common Name). This side
 * presents no certificate.
 */
#ifndef SIPB_MSRP_TLS_H
#define SIPB_MSRP_TLS_H

#include <stddef.h>
#include <sys/types.h>

struct sipb_mtls;
struct sipb_mtls_cred;

/* The CAs of the verification without fingerprint: ca_file (PEM), or the
 * system's trust store when NULL or "". 0, or -EIO with err set. */
int sipb_mtls_cred_new(const char *ca_file, struct sipb_mtls_cred **out, char *err, size_t errlen);
void sipb_mtls_cred_free(struct sipb_mtls_cred *c);

/* A client session on connected socket fd for host (the URI's: the name
 * checked and sent as SNI when it is no address), fingerprint the answer's
 * a=fingerprint value ("sha-256 AB:CD:...") or NULL. NULL when out of
 * memory or the fingerprint is unusable (*why says). */
struct sipb_mtls *sipb_mtls_new(struct sipb_mtls_cred *cred, int fd, const char *host,
    const char *fingerprint, const char **why);
void sipb_mtls_free(struct sipb_mtls *t);

/* Drives the handshake: 1 done (the certificate checked), 0 call again when
 * the socket is ready (*want_out: for writing, else reading), -1 failed
 * (why: static text, or the session's, valid until sipb_mtls_free). */
int sipb_mtls_handshake(struct sipb_mtls *t, int *want_out, const char **why);

/* Record layer: bytes sent or received (> 0), 0 for the peer's close
 * (recv), -EAGAIN (call again with the same arguments when ready), or
 * -EIO (the connection failed). */
ssize_t sipb_mtls_send(struct sipb_mtls *t, const void *buf, size_t len);
ssize_t sipb_mtls_recv(struct sipb_mtls *t, void *buf, size_t len);

#endif
