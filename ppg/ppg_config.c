/*
 * ppg_config.c - the configuration file, parsed with inih: the fixed sections
 * through the table of keys (ppg_config_keys.c), [pi NAME] and [apps],
 * checks that need the whole file; an unknown section or key is an error
 * that names its line (Redis config.c, smtpd -n).
 */
#include "ppg/ppg_config_int.h"
#include "ppg/ppg_cidr.h"
#include "db/db.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

int ppg_config_err(struct ppg_config_parse *p, const char *fmt, ...)
{
	va_list ap;
	if (!p->err[0]) {
		va_start(ap, fmt);
		vsnprintf(p->err, sizeof p->err, fmt, ap);
		va_end(ap);
	}
	return 0;
}

int ppg_config_for_each(const char *v, int (*fn)(const char *item, void *arg), void *arg)
{
	char buf[1024];
	if (strlen(v) >= sizeof buf)
		return -EINVAL;
	strcpy(buf, v);
	char *save = NULL;
	int n = 0;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*tok))
			tok++;
		char *e = tok + strlen(tok);
		while (e > tok && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (!*tok)
			return -EINVAL;
		int r = fn(tok, arg);
		if (r)
			return r;
		n++;
	}
	return n ? 0 : -EINVAL;
}

static int add_allow(const char *item, void *arg)
{
	struct ppg_pi *pi = arg;
	if (pi->nallow >= PPG_MAX_ALLOW)
		return -E2BIG;
	if (ppg_cidr_parse(item, &pi->allow[pi->nallow]))
		return -EINVAL;
	pi->nallow++;
	return 0;
}

int ppg_config_cidr_list(const char *v, struct ppg_pi *pi)
{
	pi->nallow = 0;
	return ppg_config_for_each(v, add_allow, pi);
}

static int looks_like_crypt_hash(const char *v)
{
	static const char *const prefixes[] = { "$y$", "$gy$", "$7$", "$2b$", "$2y$", "$6$", "$5$", NULL };
	for (int i = 0; prefixes[i]; i++)
		if (!strncmp(v, prefixes[i], strlen(prefixes[i])) && strlen(v) > strlen(prefixes[i]) + 8)
			return 1;
	return 0;
}

/* "sha256:AB:CD:..." (the prefix optional, any case, colons optional):
 * 32 octets of a SHA-256 fingerprint. */
static int add_fingerprint(const char *item, void *arg)
{
	struct ppg_pi *pi = arg;
	unsigned char *out;
	size_t n = 0;

	if (pi->ntls_fp >= PPG_MAX_TLS_FP)
		return -E2BIG;
	out = pi->tls_fp[pi->ntls_fp];
	if (!strncasecmp(item, "sha256:", 7))
		item += 7;
	for (const char *c = item; *c; c++) {
		if (*c == ':')
			continue;
		if (!isxdigit((unsigned char)c[0]) || !isxdigit((unsigned char)c[1]) || n == PPG_TLS_FP_LEN)
			return -EINVAL;
		char hex[3] = { c[0], c[1], 0 };
		out[n++] = (unsigned char)strtoul(hex, NULL, 16);
		c++;
	}
	if (n != PPG_TLS_FP_LEN)
		return -EINVAL;
	pi->ntls_fp++;
	return 0;
}

static int pi_key(struct ppg_config_parse *p, const char *name, const char *v)
{
	struct ppg_pi *pi = p->cur_pi;
	if (!strcmp(name, "tls_subject")) {
		if (!strchr(v, '='))
			return ppg_config_err(p, "tls_subject of [%s %s] is not a distinguished name like "
			    "CN=mmsc,O=Operator (got \"%s\")", p->cur_admin ? "admin" : "pi", pi->name, v);
		free(pi->tls_subject);
		pi->tls_subject = strdup(v);
		return pi->tls_subject != NULL;
	}
	if (!strcmp(name, "tls_fingerprint")) {
		pi->ntls_fp = 0;
		if (ppg_config_for_each(v, add_fingerprint, pi))
			return ppg_config_err(p, "tls_fingerprint of [%s %s]: \"%s\" is not a list of at most %d "
			    "SHA-256 fingerprints like sha256:AB:CD:... (openssl x509 -noout -fingerprint -sha256)",
			    p->cur_admin ? "admin" : "pi", pi->name, v, PPG_MAX_TLS_FP);
		return 1;
	}
	if (!strcmp(name, "secret_hash")) {
		if (!looks_like_crypt_hash(v))
			return ppg_config_err(p, "%s of [%s %s] is not a crypt(3) hash; plaintext secrets are refused "
			    "(make one with: ppgd --hash-secret)", name, p->cur_admin ? "admin" : "pi", pi->name);
		free(pi->secret_hash);
		pi->secret_hash = strdup(v);
		return pi->secret_hash != NULL;
	}
	if (!strcmp(name, "allow")) {
		pi->nallow = 0;
		if (ppg_config_for_each(v, add_allow, pi))
			return ppg_config_err(p, "allow: \"%s\" is not a list of CIDR ranges", v);
		return 1;
	}
	/* Quotas of this PI (README "Limits"); the [server] default otherwise. */
	if (!p->cur_admin &&
	    (!strcmp(name, "max_rate") || !strcmp(name, "max_pending") || !strcmp(name, "max_pending_bytes"))) {
		unsigned long n;
		int bytes = !strcmp(name, "max_pending_bytes");
		if (parse_ulong(v, bytes, &n) || (!strcmp(name, "max_rate") && n > 1000000) ||
		    (!bytes && n > 1000000000))
			return ppg_config_err(p, "%s of [pi %s] must be a number%s (got \"%s\")", name, pi->name,
			    bytes ? " with an optional k or M" : "", v);
		if (!strcmp(name, "max_rate")) {
			pi->max_rate = (unsigned)n;
			pi->set |= PPG_PI_SET_RATE;
		} else if (bytes) {
			pi->max_pending_bytes = n;
			pi->set |= PPG_PI_SET_PENDING_BYTES;
		} else {
			pi->max_pending = n;
			pi->set |= PPG_PI_SET_PENDING;
		}
		return 1;
	}
	return ppg_config_err(p, "unknown key \"%s\" in a [%s] section", name, p->cur_admin ? "admin NAME" : "pi");
}

/* [apps]: "CODE = URN", CODE decimal or 0x-hex, URN "x-vendor:app.ua". */
static int app_key(struct ppg_config_parse *p, const char *name, const char *v)
{
	char *end;
	errno = 0;
	unsigned long code = strtoul(name, &end, 0);
	if (errno || *end || !isdigit((unsigned char)*name) || code > 0xFFFFFFFFUL)
		return ppg_config_err(p, "[apps]: \"%s\" is not an application id number (write CODE = URN)", name);
	const char *colon = strchr(v, ':');
	if (!colon || colon == v || !colon[1] || strpbrk(v, " \t\",;"))
		return ppg_config_err(p, "[apps]: \"%s\" is not an application id URN like x-vendor:app.ua", v);
	if (ppg_config_app_urn(p->c, code))
		return ppg_config_err(p, "[apps]: application id %lu appears twice", code);
	struct ppg_app *na = realloc(p->c->apps, (p->c->napps + 1) * sizeof *na);
	if (!na)
		return ppg_config_err(p, "out of memory");
	p->c->apps = na;
	na[p->c->napps].code = code;
	na[p->c->napps].urn = strdup(v);
	if (!na[p->c->napps].urn)
		return ppg_config_err(p, "out of memory");
	p->c->napps++;
	return 1;
}

const char *ppg_config_app_urn(const struct ppg_config *c, unsigned long code)
{
	for (size_t i = 0; i < c->napps; i++)
		if (c->apps[i].code == code)
			return c->apps[i].urn;
	return NULL;
}

static int valid_pi_name(const char *s)
{
	if (!*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.@", *s))
			return 0;
	return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct ppg_config_parse *p = user;

	if (p->err[0])
		return 0;
	if (!strcmp(section, "apps")) {
		p->cur_pi = NULL;
		p->cur_admin = 0;
		return app_key(p, name, value);
	}
	int admin = !strncmp(section, "admin ", 6);
	if (!strncmp(section, "pi ", 3) || admin) {
		const char *pname = section + (admin ? 6 : 3);
		const char *kind = admin ? "admin" : "pi";
		while (*pname == ' ')
			pname++;
		if (!p->cur_pi || p->cur_admin != admin || strcmp(p->cur_pi->name, pname)) {
			if (!valid_pi_name(pname)) {
				snprintf(p->bad_section, sizeof p->bad_section, "%s", section);
				return ppg_config_err(p, "[%s %s]: a%s name is 1-64 letters, digits, '-', '_', '.' or '@'",
				    kind, pname, admin ? "n account" : " PI");
			}
			if (admin ? ppg_config_admin(p->c, pname) != NULL : ppg_config_pi(p->c, pname) != NULL)
				return ppg_config_err(p, "[%s %s] appears twice", kind, pname);
			struct ppg_pi *pi = calloc(1, sizeof *pi);
			if (!pi || !(pi->name = strdup(pname))) {
				free(pi);
				return ppg_config_err(p, "out of memory");
			}
			struct ppg_pi **list = admin ? &p->c->admins : &p->c->pis;
			pi->next = *list;
			*list = pi;
			p->cur_pi = pi;
			p->cur_admin = admin;
		}
		return pi_key(p, name, value);
	}
	p->cur_pi = NULL;
	int known_section = 0;
	for (size_t i = 0; i < ppg_config_nkeys; i++) {
		if (strcmp(ppg_config_keys[i].section, section))
			continue;
		known_section = 1;
		if (!strcmp(ppg_config_keys[i].name, name))
			return ppg_config_set_key(p, &ppg_config_keys[i], value);
	}
	if (!known_section) {
		snprintf(p->bad_section, sizeof p->bad_section, "%s", section);
		return ppg_config_err(p, "unknown section [%s]", section);
	}
	return ppg_config_err(p, "unknown key \"%s\" in [%s]", name, section);
}

static struct ppg_config *config_defaults(void)
{
	struct ppg_config *c = calloc(1, sizeof *c);
	struct ppg_config_parse p = { .c = c };

	if (!c)
		return NULL;
	c->refs = 1;
	for (size_t i = 0; i < ppg_config_nkeys; i++)
		if (!ppg_config_set_key(&p, &ppg_config_keys[i], ppg_config_keys[i].def)) {
			ppg_config_free(c);
			return NULL;
		}
	return c;
}

/* Checks that need the whole file: every [pi] has a secret or a
 * certificate; the TLS keys of a listener go together (ppg_config_tls). */
static int config_finish(struct ppg_config_parse *p)
{
	for (struct ppg_pi *pi = p->c->pis; pi; pi = pi->next)
		if (!pi->secret_hash && !ppg_pi_wants_cert(pi))
			return ppg_config_err(p, "[pi %s] has no secret_hash (nor tls_subject, tls_fingerprint)",
			    pi->name), -EINVAL;
	for (struct ppg_pi *pi = p->c->admins; pi; pi = pi->next)
		if (!pi->secret_hash && !ppg_pi_wants_cert(pi))
			return ppg_config_err(p, "[admin %s] has no secret_hash (nor tls_subject, tls_fingerprint)",
			    pi->name), -EINVAL;
	if (ppg_config_tls(p) < 0)
		return -EINVAL;
	/* Quotas not set in a [pi] section take the [server] defaults. */
	for (struct ppg_pi *pi = p->c->pis; pi; pi = pi->next) {
		if (!(pi->set & PPG_PI_SET_RATE))
			pi->max_rate = p->c->max_rate;
		if (!(pi->set & PPG_PI_SET_PENDING))
			pi->max_pending = p->c->max_pending;
		if (!(pi->set & PPG_PI_SET_PENDING_BYTES))
			pi->max_pending_bytes = p->c->max_pending_bytes;
	}
	/* [sip] p_asserted_identity: "from" (the default) asserts the gateway's
	 * own identity, its From URI, so that a terminal that checks the header
	 * (OMA-TS-SIP_Push §9.1.1 item 6, else 403) takes the gateway's MESSAGEs
	 * on the defaults; "none" (like an empty value) sends no header. */
	if (p->c->sip_pai && !strcasecmp(p->c->sip_pai, "none"))
		p->c->sip_pai[0] = '\0';
	if (p->c->sip_pai && !strcasecmp(p->c->sip_pai, "from")) {
		size_t l = strlen(p->c->sip_from) + 3;
		char *v = malloc(l);
		if (!v)
			return ppg_config_err(p, "out of memory"), -ENOMEM;
		snprintf(v, l, "<%s>", p->c->sip_from);
		free(p->c->sip_pai);
		p->c->sip_pai = v;
	}
	/* Empty strings mean "not set". */
	char **opt[] = { &p->c->sender_address, &p->c->sip_outbound_proxy, &p->c->sip_pai,
		&p->c->sip_content_base, &p->c->sip_tls_certificate, &p->c->sip_tls_key, &p->c->sip_tls_ca_file };
	for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++)
		if (*opt[i] && !**opt[i]) {
			free(*opt[i]);
			*opt[i] = NULL;
		}
	if (ppg_config_sip_transports(p) < 0 || ppg_config_terminal_check(p) < 0)
		return -EINVAL;
	if (p->c->sip_retry_min > p->c->sip_retry_max) {
		p->err_section = "sip";
		return ppg_config_err(p, "[sip] retry_min is above retry_max"), -EINVAL;
	}
	if (p->c->ota_retry_min > p->c->ota_retry_max || p->c->ota_reconnect_min > p->c->ota_reconnect_max) {
		p->err_section = "ota";
		return ppg_config_err(p, "[ota] a *_min is above its *_max"), -EINVAL;
	}
	/* The nodes of a cluster name each other in NOTIFY payloads whose fields
	 * are separated by spaces (ppg_cluster.c, the SIP hand-off). */
	if (p->c->node_id && *p->c->node_id) {
		size_t l = strlen(p->c->node_id);
		int bad = l >= DB_NODE_MAX;
		for (const char *q = p->c->node_id; *q && !bad; q++)
			bad = (unsigned char)*q <= ' ' || *q == 0x7f;
		if (bad) {
			p->err_section = "database";
			return ppg_config_err(p, "[database] node_id must be 1..%d characters without spaces or "
			    "control characters (got \"%s\")", DB_NODE_MAX - 1, p->c->node_id), -EINVAL;
		}
	}
	if (p->c->notify_retry_min > p->c->notify_retry_max) {
		p->err_section = "notify";
		return ppg_config_err(p, "[notify] retry_min is above retry_max"), -EINVAL;
	}
	if (p->c->log_syslog && p->c->log_target != PPG_LOG_TARGET_AUTO && p->c->log_target != PPG_LOG_TARGET_SYSLOG) {
		p->err_section = "log";
		return ppg_config_err(p, "[log] syslog = yes contradicts target = %s",
		    ppg_log_target_name((enum ppg_log_target)p->c->log_target)), -EINVAL;
	}
	if (p->c->log_syslog)
		p->c->log_target = PPG_LOG_TARGET_SYSLOG;
	return 0;
}

/* Line of the section header "[name]" (blanks collapsed) in text, for
 * errors found after parsing; 0 when absent. */
static int section_line(const char *text, const char *name)
{
	int line = 1;
	for (const char *s = text; *s; line++) {
		const char *e = strchr(s, '\n');
		const char *q = s, *n = name;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q++ == '[') {
			while (*q == ' ')
				q++;
			while (*n && *q) {
				if (*n == ' ') {
					if (*q != ' ')
						break;
					while (*q == ' ')
						q++;
					n++;
				} else if (*q++ != *n++) {
					break;
				}
			}
			while (*q == ' ')
				q++;
			if (!*n && *q == ']')
				return line;
		}
		if (!e)
			break;
		s = e + 1;
	}
	return 0;
}

static int load(const char *name, const char *text, struct ppg_config **out, char *err, size_t errlen)
{
	struct ppg_config_parse p = { 0 };

	*out = NULL;
	p.c = config_defaults();
	if (!p.c) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	int line = ini_parse_string(text, handler, &p);
	if (line > 0 && p.bad_section[0]) {
		int l = section_line(text, p.bad_section);
		if (l > 0)
			line = l;
	}
	if (line == 0 && config_finish(&p) < 0) {
		char sec[80];
		for (struct ppg_pi *pi = p.c->pis; pi; pi = pi->next)
			if (!pi->secret_hash && !ppg_pi_wants_cert(pi)) {
				snprintf(sec, sizeof sec, "pi %s", pi->name);
				line = section_line(text, sec);
			}
		for (struct ppg_pi *pi = p.c->admins; pi; pi = pi->next)
			if (!pi->secret_hash && !ppg_pi_wants_cert(pi)) {
				snprintf(sec, sizeof sec, "admin %s", pi->name);
				line = section_line(text, sec);
			}
		if (p.err_section)
			line = section_line(text, p.err_section);
		if (line == 0)
			line = 1;
	}
	if (line != 0) {
		snprintf(err, errlen, "%s:%d: %s", name, line, p.err[0] ? p.err : "syntax error (expected key = value)");
		ppg_config_free(p.c);
		return -EINVAL;
	}
	*out = p.c;
	return 0;
}

int ppg_config_load_string(const char *text, struct ppg_config **out, char *err, size_t errlen)
{
	return load("(string)", text, out, err, errlen);
}

int ppg_config_load_file(const char *path, struct ppg_config **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	*out = NULL;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fseek(f, 0, SEEK_END) == 0) {
		long n = ftell(f);
		if (n >= 0 && n < (1 << 20) && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
			len = fread(buf, 1, (size_t)n, f);
			buf[len] = '\0';
		}
	}
	fclose(f);
	if (!buf) {
		snprintf(err, errlen, "%s: cannot read (larger than 1 MiB?)", path);
		return -EIO;
	}
	int r = load(path, buf, out, err, errlen);
	free(buf);
	return r;
}

struct ppg_config *ppg_config_ref(const struct ppg_config *c)
{
	struct ppg_config *m = (struct ppg_config *)c;
	if (m)
		__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
	return m;
}

void ppg_config_free(struct ppg_config *c)
{
	if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (size_t i = 0; i < ppg_config_nkeys; i++)
		if (ppg_config_keys[i].type == K_STR || ppg_config_keys[i].type == K_SIPURI)
			free(*(char **)((char *)c + ppg_config_keys[i].off));
	free(c->sip_listen_udp);
	free(c->sip_listen_tls);
	for (size_t i = 0; i < c->napps; i++)
		free(c->apps[i].urn);
	free(c->apps);
	struct ppg_pi **lists[] = { &c->pis, &c->admins };
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		while (*lists[i]) {
			struct ppg_pi *n = (*lists[i])->next;
			free((*lists[i])->name);
			free((*lists[i])->secret_hash);
			free((*lists[i])->tls_subject);
			free(*lists[i]);
			*lists[i] = n;
		}
	free(c);
}

const struct ppg_pi *ppg_config_admin(const struct ppg_config *c, const char *name)
{
	for (const struct ppg_pi *pi = c->admins; pi; pi = pi->next)
		if (!strcmp(pi->name, name))
			return pi;
	return NULL;
}

const struct ppg_pi *ppg_config_pi(const struct ppg_config *c, const char *name)
{
	for (const struct ppg_pi *pi = c->pis; pi; pi = pi->next)
		if (!strcmp(pi->name, name))
			return pi;
	return NULL;
}
