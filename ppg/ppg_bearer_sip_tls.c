/*
 * ppg_bearer_sip_tls.c - SIP over TLS to the SIP/IP core (RFC 3261 §26.2;
 * OMA-TS-SIP_Push §12: the security of SIP Push is the core's, ppgd's
 * part is an authenticated, encrypted hop to it). [loop]
 *
 * sofia-sip 1.12.11's tport reads its TLS material from one directory
 * (TPTAG_CERTIFICATE, tport_type_tls.c): agent.pem holds the certificate
 * and the private key, cafile.pem the CAs a peer must chain to. ppgd takes
 * three files ([sip] tls_certificate, tls_key, tls_ca_file) and assembles
 * that directory at start in a private temporary directory (mode 0700,
 * files 0600), which it removes once sofia-sip has read it: the key is
 * never left in a second place on disk.
 */
#include "ppg/ppg_bearer_sip_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ppg/ppg_log.h"
#include "ppg/ppg_ratelimit.h"

#define TLS_FILE_MAX (1u << 20)

/* Appends the file at path to fd (a newline between files). 0 or -errno. */
static int append_file(int fd, const char *path, char *err, size_t errlen)
{
	int in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
		return -e;
	}
	char buf[8192];
	size_t total = 0;
	ssize_t n;
	int r = 0;
	char last = '\n';
	while ((n = read(in, buf, sizeof buf)) > 0) {
		total += (size_t)n;
		if (total > TLS_FILE_MAX || write(fd, buf, (size_t)n) != n) {
			r = total > TLS_FILE_MAX ? -EFBIG : -EIO;
			break;
		}
		last = buf[n - 1];
	}
	if (n < 0)
		r = -errno;
	if (!r && last != '\n' && write(fd, "\n", 1) != 1)
		r = -EIO;
	close(in);
	if (r)
		snprintf(err, errlen, "cannot copy %s: %s", path, strerror(-r));
	return r;
}

/* Writes dir/name from the files in src (NULL-terminated). 0 or -errno. */
static int write_joined(const char *dir, const char *name, const char *const *src, char *err, size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(e));
		return -e;
	}
	int r = 0;
	for (size_t i = 0; src[i] && !r; i++)
		r = append_file(fd, src[i], err, errlen);
	if (close(fd) < 0 && !r) {
		r = -errno;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-r));
	}
	return r;
}

void ppg_bearer_sip_tls_dir_remove(char *dir)
{
	static const char *const names[] = { "agent.pem", "cafile.pem" };
	char path[4096];
	if (!dir)
		return;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
	free(dir);
}

int ppg_bearer_sip_tls_dir(const struct ppg_config *cfg, char **out, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	*out = NULL;
	size_t l = strlen(tmp && *tmp ? tmp : "/tmp") + 32;
	char *dir = malloc(l);
	if (!dir) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(dir, l, "%s/ppgd-sip-tls-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {   /* mode 0700 */
		int e = errno;
		snprintf(err, errlen, "cannot create a directory for sofia-sip's TLS files (%s): %s", dir, strerror(e));
		free(dir);
		return -e;
	}
	/* agent.pem: the certificate (and its chain), then the key: sofia-sip
	 * reads both from it (SSL_CTX_use_certificate_file, _PrivateKey_file). */
	const char *agent[] = { cfg->sip_tls_certificate, cfg->sip_tls_key, NULL };
	const char *ca[] = { cfg->sip_tls_ca_file, NULL };
	int r = write_joined(dir, "agent.pem", agent, err, errlen);
	if (!r)
		r = write_joined(dir, "cafile.pem", ca, err, errlen);
	if (r) {
		ppg_bearer_sip_tls_dir_remove(dir);
		return r;
	}
	*out = dir;
	return 0;
}

/* One line a second at most: a core that cannot be reached fails every
 * request sent to it. [loop] */
static struct ppg_ratelimit unreachable_log = PPG_RATELIMIT_INIT;

void ppg_bearer_sip_tls_failed(struct sip_bearer *s, const char *method, int status, int local,
    const char *phrase)
{
	const struct ppg_config *cfg = s->cfg;
	if (s->stopping || !local || status != 503 || !ppg_config_uri_is_tls(cfg->sip_outbound_proxy) ||
	    (phrase && !strcmp(phrase, "Cannot send")))
		return;
	LOGP_RL(&unreachable_log, 1, PPG_LOG_SIP, LOG_WARNING, "%s to the core %s ended %d %s (local): no TLS "
	    "connection to the core: refused, the TLS handshake failed, or %s (the sofia-sip lines before "
	    "this one say which); the delivery is retried like any local 503 ([sip] retry_min, retry_max, "
	    "max_attempts)", method, cfg->sip_outbound_proxy, status, phrase ? phrase : "",
	    cfg->sip_tls_verify ? "the core's certificate did not verify (tls_ca_file, its dates, "
	    "the outbound proxy's host among its names)" : "the core refused ppgd's certificate");
}
