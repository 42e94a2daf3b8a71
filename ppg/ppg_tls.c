/*
 * ppg_tls.c - TLS of the HTTP listeners: the files, the credentials each
 * new connection's GnuTLS session gets, the client's certificate. See
 * ppg_tls.h for how a reload reaches connections through libmicrohttpd.
 *
 * Client certificates: with a client CA the server sends a
 * CertificateRequest naming it. "optional": a client may send none, and a
 * certificate is verified when a request needs it (ppg_tls_peer_get: chain
 * to the client CA, dates, key purpose TLS client). "required": GnuTLS
 * verifies it during the handshake (gnutls_session_set_verify_cert2) and the
 * handshake fails without a valid one; no HTTP is spoken on that connection.
 */
#include "ppg/ppg_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ppg/ppg_log.h"
#include "ppg/ppg_metrics.h"
#include "ppg/ppg_ratelimit.h"

#define MAX_PEM (1 << 20)
#define HANDSHAKE_LOG_PER_SECOND 5
#define EXPIRY_WARN_S (30 * 86400)
#define PEER_CACHE_S 60    /* a connection's verified client certificate is checked again after this */

struct ppg_tls_creds {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	int request;                    /* 0: no client certificate asked; 1 optional; 2 required */
	atomic_uint refs;
	char *cert_pem, *key_pem, *prio_str; /* kept for MHD_start_daemon */
	char desc[300];
};

/* A connection's hold on the credentials its session uses, whether its
 * handshake completed (the client's Finished arrived), and its client's
 * certificate as last verified: the certificate of a session does not
 * change (libmicrohttpd does no renegotiation), so its requests pay the
 * verification once, then every PEER_CACHE_S (its dates). Only the
 * connection's own thread touches peer. */
struct conn_ref {
	struct ppg_tls_creds *c;
	atomic_int done;
	struct ppg_tls_peer peer;
	time_t peer_at;                 /* 0: not verified yet */
};

struct ppg_tls {
	char section[16];
	pthread_mutex_t lock;           /* cur */
	struct ppg_tls_creds *cur;      /* one reference */
	struct ppg_tls_creds *boot;     /* what MHD_start_daemon got (a reference) */
	struct ppg_ratelimit log;
	atomic_ullong failed;
};

static const gnutls_typed_vdata_st client_purpose = {
	.type = GNUTLS_DT_KEY_PURPOSE_OID, .data = (void *)GNUTLS_KP_TLS_WWW_CLIENT, .size = 0,
};

static int read_pem(const char *path, char **out, char *err, size_t errlen, const char *what)
{
	/* O_NONBLOCK and a regular file only: a FIFO must not hang a start or a
	 * reload (which holds the reload lock) */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	FILE *f = NULL;
	*out = NULL;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		snprintf(err, errlen, "%s %s: not a regular file", what, path);
		return -EINVAL;
	}
	if (fd < 0 || !(f = fdopen(fd, "r"))) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
		return -e;
	}
	char *buf = malloc(MAX_PEM + 1);
	size_t n = buf ? fread(buf, 1, MAX_PEM + 1, f) : 0;
	int rd_err = ferror(f);
	fclose(f);
	if (!buf)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	if (rd_err || n > MAX_PEM || !n) {
		free(buf);
		snprintf(err, errlen, "%s %s: %s", what, path, rd_err ? "read error" : n ? "larger than 1 MiB" : "empty");
		return -EINVAL;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

void ppg_tls_creds_free(struct ppg_tls_creds *c)
{
	if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	if (c->cred)
		gnutls_certificate_free_credentials(c->cred);
	if (c->prio)
		gnutls_priority_deinit(c->prio);
	if (c->key_pem)
		gnutls_memset(c->key_pem, 0, strlen(c->key_pem));
	free(c->key_pem);
	free(c->cert_pem);
	free(c->prio_str);
	free(c);
}

static void hexfp(const unsigned char *fp, size_t n, char *out, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 4 <= len; i++)
		o += (size_t)snprintf(out + o, len - o, i ? ":%02X" : "%02X", fp[i]);
}

/* The leaf's subject, end of validity and fingerprint, for the logs; warns
 * when it expired or expires within 30 days. */
static void describe(struct ppg_tls_creds *c, const char *section)
{
	gnutls_datum_t der = { 0 }, dn = { 0 };
	gnutls_x509_crt_t crt = NULL;
	snprintf(c->desc, sizeof c->desc, "(certificate not readable)");
	if (gnutls_certificate_get_crt_raw(c->cred, 0, 0, &der) < 0 || gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) == 0 && gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0) {
		time_t until = gnutls_x509_crt_get_expiration_time(crt);
		unsigned char fp[32];
		size_t fl = sizeof fp;
		char when[32] = "?", hex[100] = "";
		struct tm tm;
		if (until != (time_t)-1 && gmtime_r(&until, &tm))
			strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
		if (gnutls_fingerprint(GNUTLS_DIG_SHA256, &der, fp, &fl) == 0)
			hexfp(fp, fl, hex, sizeof hex);
		snprintf(c->desc, sizeof c->desc, "%s, valid until %s, SHA-256 %s", (const char *)dn.data, when, hex);
		time_t now = time(NULL);
		if (until != (time_t)-1 && until < now + EXPIRY_WARN_S)
			LOGP(PPG_LOG_HTTP, LOG_WARNING, "[%s] tls_certificate %s %s (%s)", section,
			    until < now ? "EXPIRED on" : "expires on", when, (const char *)dn.data);
		gnutls_free(dn.data);
	}
	gnutls_x509_crt_deinit(crt);
}

int ppg_tls_creds_load(const char *section, const struct ppg_tls_conf *conf, struct ppg_tls_creds **out,
    char *err, size_t errlen)
{
	char what[64], *ca_pem = NULL;
	const char *errpos = NULL;
	int r;

	*out = NULL;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(err, errlen, "[%s] tls_certificate: this libmicrohttpd is built without HTTPS "
		    "(MHD_FEATURE_TLS): install one built with GnuTLS, or leave tls_certificate empty", section);
		return -ENOTSUP;
	}
	struct ppg_tls_creds *c = calloc(1, sizeof *c);
	if (!c)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	atomic_init(&c->refs, 1);
	snprintf(what, sizeof what, "[%s] tls_certificate", section);
	if ((r = read_pem(conf->certificate, &c->cert_pem, err, errlen, what)) < 0)
		goto fail;
	snprintf(what, sizeof what, "[%s] tls_key", section);
	if ((r = read_pem(conf->key, &c->key_pem, err, errlen, what)) < 0)
		goto fail;
	if (gnutls_certificate_allocate_credentials(&c->cred) < 0) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	gnutls_datum_t cd = { (unsigned char *)c->cert_pem, (unsigned)strlen(c->cert_pem) };
	gnutls_datum_t kd = { (unsigned char *)c->key_pem, (unsigned)strlen(c->key_pem) };
	r = gnutls_certificate_set_x509_key_mem(c->cred, &cd, &kd, GNUTLS_X509_FMT_PEM);
	if (r < 0) {
		snprintf(err, errlen, "[%s] tls_certificate %s with tls_key %s: %s%s", section, conf->certificate,
		    conf->key, gnutls_strerror(r), r == GNUTLS_E_DECRYPTION_FAILED || r == GNUTLS_E_BASE64_DECODING_ERROR ?
		    " (PEM, unencrypted: openssl pkey -in KEY -out KEY.plain)" : "");
		r = -EINVAL;
		goto fail;
	}
	if (conf->client_ca) {
		snprintf(what, sizeof what, "[%s] tls_client_ca", section);
		if ((r = read_pem(conf->client_ca, &ca_pem, err, errlen, what)) < 0)
			goto fail;
		gnutls_datum_t ad = { (unsigned char *)ca_pem, (unsigned)strlen(ca_pem) };
		r = gnutls_certificate_set_x509_trust_mem(c->cred, &ad, GNUTLS_X509_FMT_PEM);
		free(ca_pem);
		if (r <= 0) {
			snprintf(err, errlen, "[%s] tls_client_ca %s: %s", section, conf->client_ca,
			    r < 0 ? gnutls_strerror(r) : "no certificate in it");
			r = -EINVAL;
			goto fail;
		}
		c->request = conf->client_required ? 2 : 1;
	}
	if (!(c->prio_str = strdup(conf->priorities))) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r = gnutls_priority_init(&c->prio, conf->priorities, &errpos);
	if (r < 0) {
		snprintf(err, errlen, "[%s] tls_priorities \"%s\": %s at \"%s\"", section, conf->priorities,
		    gnutls_strerror(r), errpos ? errpos : "");
		r = -EINVAL;
		goto fail;
	}
	describe(c, section);
	*out = c;
	return 0;
fail:
	ppg_tls_creds_free(c);
	return r;
}

int ppg_tls_new(const char *section, const struct ppg_tls_conf *conf, struct ppg_tls **out, char *err,
    size_t errlen)
{
	struct ppg_tls_creds *c = NULL;
	*out = NULL;
	if (!conf->certificate)
		return 0;
	int r = ppg_tls_creds_load(section, conf, &c, err, errlen);
	if (r < 0)
		return r;
	struct ppg_tls *t = calloc(1, sizeof *t);
	if (!t) {
		ppg_tls_creds_free(c);
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	}
	snprintf(t->section, sizeof t->section, "%s", section);
	pthread_mutex_init(&t->lock, NULL);
	ppg_ratelimit_init(&t->log);
	atomic_fetch_add(&c->refs, 1);
	t->boot = c;
	t->cur = c;
	*out = t;
	return 0;
}

void ppg_tls_free(struct ppg_tls *t)
{
	if (!t)
		return;
	ppg_tls_creds_free(t->cur);
	ppg_tls_creds_free(t->boot);
	ppg_ratelimit_destroy(&t->log);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

int ppg_tls_check_ca_file(const char *what, const char *path, char *err, size_t errlen)
{
	char *pem = NULL;
	gnutls_x509_crt_t *list = NULL;
	unsigned n = 0;
	int r = read_pem(path, &pem, err, errlen, what);
	if (r < 0)
		return r;
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)strlen(pem) };
	r = gnutls_x509_crt_list_import2(&list, &n, &d, GNUTLS_X509_FMT_PEM, 0);
	free(pem);
	if (r < 0 || !n) {
		snprintf(err, errlen, "%s %s: %s", what, path, r < 0 ? gnutls_strerror(r) : "no certificate in it");
		return -EINVAL;
	}
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	return 0;
}

int ppg_tls_check(const struct ppg_config *cfg, char *err, size_t errlen)
{
	struct ppg_tls *t = NULL;
	if (cfg->notify_ca_file && ppg_tls_check_ca_file("[notify] ca_file", cfg->notify_ca_file, err, errlen) < 0)
		return -EINVAL;
	int r = ppg_tls_new("server", &cfg->tls, &t, err, errlen);
	ppg_tls_free(t);
	t = NULL;
	if (r == 0 && cfg->admin_enabled)
		r = ppg_tls_new("admin", &cfg->admin_tls, &t, err, errlen);
	ppg_tls_free(t);
	return r;
}

const char *ppg_tls_describe(struct ppg_tls *t, char *buf, size_t len)
{
	if (!t) {
		snprintf(buf, len, "plain HTTP");
		return buf;
	}
	pthread_mutex_lock(&t->lock);
	snprintf(buf, len, "%s", t->cur->desc);
	pthread_mutex_unlock(&t->lock);
	return buf;
}

unsigned ppg_tls_mhd_options(const struct ppg_tls *t, struct MHD_OptionItem *opts)
{
	int i = 0;
	if (t) {
		opts[i++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, t->boot->key_pem };
		opts[i++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, t->boot->cert_pem };
		opts[i++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, t->boot->prio_str };
	}
	opts[i] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	return t ? MHD_USE_TLS : 0;
}

void ppg_tls_swap(struct ppg_tls *t, struct ppg_tls_creds *c)
{
	if (!t) {
		ppg_tls_creds_free(c);
		return;
	}
	pthread_mutex_lock(&t->lock);
	struct ppg_tls_creds *old = t->cur;
	t->cur = c;
	pthread_mutex_unlock(&t->lock);
	LOGP(PPG_LOG_HTTP, LOG_NOTICE, "[%s] TLS: new connections use %s", t->section, c->desc);
	ppg_tls_creds_free(old);
}

static gnutls_session_t session_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	return ci ? (gnutls_session_t)ci->tls_session : NULL;
}

/* The client's Finished: the handshake is complete. The session's db
 * pointer (session resumption storage, unused by libmicrohttpd) carries the
 * connection's conn_ref. */
static int on_finished(gnutls_session_t s, unsigned htype, unsigned when, unsigned incoming,
    const gnutls_datum_t *msg)
{
	struct conn_ref *ref = gnutls_db_get_ptr(s);
	(void)htype;
	(void)when;
	(void)msg;
	if (ref && incoming)
		atomic_store(&ref->done, 1);
	return 0;
}

void ppg_tls_conn_refuse(struct ppg_tls *t, struct MHD_Connection *mc)
{
	gnutls_session_t s;
	/* No credentials at all: the handshake fails (insufficient credentials),
	 * the connection closes. Never libmicrohttpd's credentials of the start,
	 * which ask no client certificate even when one is required. */
	if (t && (s = session_of(mc)))
		gnutls_credentials_clear(s);
}

void *ppg_tls_conn_start(struct ppg_tls *t, struct MHD_Connection *mc)
{
	gnutls_session_t s;
	if (!t || !(s = session_of(mc)))
		return NULL;
	struct conn_ref *ref = calloc(1, sizeof *ref);
	if (!ref) {
		ppg_tls_conn_refuse(t, mc);
		return NULL;
	}
	pthread_mutex_lock(&t->lock);
	struct ppg_tls_creds *c = t->cur;
	atomic_fetch_add(&c->refs, 1);
	pthread_mutex_unlock(&t->lock);
	ref->c = c;
	/* Replaces libmicrohttpd's credentials of this session (those of the
	 * start) before the handshake begins. */
	if (gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, c->cred) < 0 || gnutls_priority_set(s, c->prio) < 0) {
		LOGP(PPG_LOG_HTTP, LOG_ERR, "[%s] TLS: cannot set the credentials of a session", t->section);
		ppg_tls_creds_free(c);
		free(ref);
		ppg_tls_conn_refuse(t, mc);
		return NULL;
	}
	gnutls_db_set_ptr(s, ref);
	gnutls_handshake_set_hook_function(s, GNUTLS_HANDSHAKE_FINISHED, GNUTLS_HOOK_POST, on_finished);
	if (c->request == 2) {
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
		gnutls_session_set_verify_cert2(s, (gnutls_typed_vdata_st *)&client_purpose, 1, 0);
	} else if (c->request == 1) {
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
	}
	return ref;
}

int ppg_tls_conn_end(struct ppg_tls *t, struct MHD_Connection *mc, void *arg)
{
	struct conn_ref *ref = arg;
	gnutls_session_t s;
	int failed = 0;
	if (!t || !ref)
		return 0;
	if ((s = session_of(mc)))
		gnutls_db_set_ptr(s, NULL);
	if (!atomic_load(&ref->done)) {
		failed = 1;
		atomic_fetch_add(&t->failed, 1);
		ppg_metrics_inc(PPG_M_TLS_HANDSHAKE_FAILED);
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		char addr[INET6_ADDRSTRLEN] = "?";
		const struct sockaddr *sa = ci ? ci->client_addr : NULL;
		if (sa && sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr, sizeof addr);
		else if (sa && sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr, sizeof addr);
		LOGP_RL(&t->log, HANDSHAKE_LOG_PER_SECOND, PPG_LOG_HTTP, LOG_NOTICE, "[%s] TLS handshake with %s "
		    "did not complete: closed (plain HTTP on the TLS port, a client certificate refused or missing, "
		    "no common protocol or cipher)", t->section, addr);
	}
	ppg_tls_creds_free(ref->c);
	free(ref);
	return failed;
}

void ppg_tls_on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = ppg_tls_conn_start(cls, mc);
	} else {
		ppg_tls_conn_end(cls, mc, *socket_context);
		*socket_context = NULL;
	}
}

unsigned long long ppg_tls_failed_handshakes(struct ppg_tls *t)
{
	return t ? atomic_load(&t->failed) : 0;
}

void ppg_tls_flush_log(struct ppg_tls *t)
{
	unsigned long n = t ? ppg_ratelimit_flush(&t->log) : 0;
	if (n)
		LOGP(PPG_LOG_HTTP, LOG_NOTICE, "%lu similar line(s) not logged (rate limit)", n);
}

void ppg_tls_peer_get(struct MHD_Connection *mc, struct ppg_tls_peer *p)
{
	gnutls_session_t s = session_of(mc);
	unsigned n = 0, status = 0;
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t dn = { 0 };
	struct conn_ref *ref = s ? gnutls_db_get_ptr(s) : NULL;
	time_t now = time(NULL);

	memset(p, 0, sizeof *p);
	if (ref && ref->peer_at && now >= ref->peer_at && now - ref->peer_at < PEER_CACHE_S) {
		*p = ref->peer;
		return;
	}
	if (!s || !(certs = gnutls_certificate_get_peers(s, &n)) || !n)
		return;   /* no certificate: not cached, a session cannot get one later */
	p->present = 1;
	size_t fl = sizeof p->sha256;
	if (gnutls_fingerprint(GNUTLS_DIG_SHA256, &certs[0], p->sha256, &fl) < 0)
		memset(p->sha256, 0, sizeof p->sha256);
	if (gnutls_x509_crt_init(&crt) == 0) {
		if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0 &&
		    gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0) {
			/* a subject that does not fit matches no rule (no prefix match) */
			if (dn.size < sizeof p->subject)
				snprintf(p->subject, sizeof p->subject, "%s", (const char *)dn.data);
			gnutls_free(dn.data);
		}
		gnutls_x509_crt_deinit(crt);
	}
	int r = gnutls_certificate_verify_peers(s, (gnutls_typed_vdata_st *)&client_purpose, 1, &status);
	if (r < 0) {
		snprintf(p->why, sizeof p->why, "%s", gnutls_strerror(r));
	} else if (status) {
		gnutls_datum_t out = { 0 };
		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) == 0) {
			snprintf(p->why, sizeof p->why, "%s", (const char *)out.data);
			gnutls_free(out.data);
		} else {
			snprintf(p->why, sizeof p->why, "not verified (status 0x%x)", status);
		}
	} else {
		p->verified = 1;
	}
	if (ref) {
		ref->peer = *p;
		ref->peer_at = now;
	}
}
