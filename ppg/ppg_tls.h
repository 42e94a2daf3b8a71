/*
 * ppg_tls.h - TLS of the HTTP listeners (README "TLS"): libmicrohttpd's
 * HTTPS on GnuTLS, with the credentials in ppgd's hands so that a reload
 * re-reads the certificate, key and client CA files without a restart.
 *
 * libmicrohttpd 0.9.75 takes its key and certificate once, at
 * MHD_start_daemon. So each new connection's GnuTLS session is given the
 * listener's current credentials and priorities (ppg_tls_conn_start, from
 * libmicrohttpd's connection notification, before the handshake): a reload
 * swaps those (ppg_tls_swap) and the next handshake uses them; a connection
 * keeps the credentials it started with (a reference) until it closes.
 *
 * Threads: new, free, swap on main (swap also on an [admin worker] running
 * a reload); the connection hooks and ppg_tls_peer_get on the listener's
 * [http worker] threads. Everything accepts a NULL struct ppg_tls: plain
 * HTTP.
 */
#ifndef PPG_TLS_H
#define PPG_TLS_H

#include <stddef.h>
#include <microhttpd.h>

#include "ppg/ppg_config.h"

struct ppg_tls;          /* one listener's TLS */
struct ppg_tls_creds;    /* the credentials read from one set of files */

/*
 * Reads the files of conf ([section] tls_*: certificate and key, client CA)
 * and checks them with GnuTLS (a PEM certificate, a key that matches it, the
 * priority string). *out NULL when conf has no certificate (plain HTTP).
 * 0, or -EINVAL/-ENOMEM/-ENOTSUP with "[section] tls_key FILE: why" in err
 * (-ENOTSUP: this libmicrohttpd was built without HTTPS).
 */
int ppg_tls_new(const char *section, const struct ppg_tls_conf *conf, struct ppg_tls **out, char *err,
    size_t errlen);
/* After the listener's MHD daemon stopped. Accepts NULL. */
void ppg_tls_free(struct ppg_tls *t);

/* ppgd -t: reads and checks the files of both listeners and [notify]
 * ca_file. 0 or -errno, err set. */
int ppg_tls_check(const struct ppg_config *cfg, char *err, size_t errlen);
/* A PEM file of at least one certificate? 0 or -errno with "WHAT PATH: why". */
int ppg_tls_check_ca_file(const char *what, const char *path, char *err, size_t errlen);

/* "CN=ppg.example,O=Operator, valid until 2027-01-31 (SHA-256 AB:CD:...)" of
 * the certificate in use, for the logs. */
const char *ppg_tls_describe(struct ppg_tls *t, char *buf, size_t len);

/*
 * The options of MHD_start_daemon (through MHD_OPTION_ARRAY): the key and
 * certificate read at start, the priorities; PPG_TLS_MHD_OPTIONS items, the
 * last one MHD_OPTION_END (the only one when t is NULL). Returns the flag to
 * add to the daemon's flags (MHD_USE_TLS, or 0).
 */
#define PPG_TLS_MHD_OPTIONS 4
unsigned ppg_tls_mhd_options(const struct ppg_tls *t, struct MHD_OptionItem *opts);

/*
 * [http worker] MHD_CONNECTION_NOTIFY_STARTED: gives the connection's
 * session the current credentials, priorities and client-certificate
 * request (required: the handshake fails without a valid client
 * certificate). Returns the reference to hand to ppg_tls_conn_end (NULL:
 * nothing to release). ppg_tls_conn_end logs (rate-limited) a handshake
 * that did not complete, with the client's address, and returns 1 then.
 */
void *ppg_tls_conn_start(struct ppg_tls *t, struct MHD_Connection *mc);
/* A connection that cannot be given its credentials (out of memory): its
 * handshake will fail. ppg_tls_conn_start does it on its own failures. */
void ppg_tls_conn_refuse(struct ppg_tls *t, struct MHD_Connection *mc);
int ppg_tls_conn_end(struct ppg_tls *t, struct MHD_Connection *mc, void *ref);
/* Both as an MHD_OPTION_NOTIFY_CONNECTION callback (cls: the struct
 * ppg_tls), keeping the reference in *socket_context. */
void ppg_tls_on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
    enum MHD_ConnectionNotificationCode code);
/* Handshakes that did not complete since start (plain HTTP on the TLS port,
 * a refused client certificate, no common cipher). [any] */
unsigned long long ppg_tls_failed_handshakes(struct ppg_tls *t);
/* Reports the log lines the rate limit held back (a once-a-second timer). */
void ppg_tls_flush_log(struct ppg_tls *t);

/* Reload: read new files (0 or -errno with err, nothing changed), then
 * swap them in (takes c; new connections use them). creds_free accepts NULL. */
int ppg_tls_creds_load(const char *section, const struct ppg_tls_conf *conf, struct ppg_tls_creds **out,
    char *err, size_t errlen);
void ppg_tls_swap(struct ppg_tls *t, struct ppg_tls_creds *c);
void ppg_tls_creds_free(struct ppg_tls_creds *c);

/* The client's certificate on a connection, as the listener verified it. */
struct ppg_tls_peer {
	int present;                    /* a certificate was presented */
	int verified;                   /* it chains to the client CA, in its dates, usable by a client */
	char why[160];                  /* why not verified */
	char subject[256];              /* RFC 4514 (openssl -nameopt RFC2253) */
	unsigned char sha256[PPG_TLS_FP_LEN]; /* of the leaf, DER */
};
/* [http worker] Fills p for the connection mc (all 0 on a plain connection
 * or without a client certificate). */
void ppg_tls_peer_get(struct MHD_Connection *mc, struct ppg_tls_peer *p);

#endif
