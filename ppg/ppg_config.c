/*
 * ppg_config.c - the configuration file: one table of keys with defaults and
 * help, parsed with inih; an unknown section or key is an error that names
 * its line (Redis config.c, smtpd -n).
 */
#include "ppg/ppg_config.h"

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

enum key_type { K_STR, K_BOOL, K_UINT, K_SIZE, K_LISTEN, K_STATUS, K_LEVEL, K_SYNC, K_ENUM, K_CIDRS, K_SIPURI,
	K_LOGCATS };

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t off;
	const char *def;
	unsigned long min, max;
	const char *help;
};

#define O(f) offsetof(struct ppg_config, f)
static const struct key keys[] = {
	{ "server", "listen", K_LISTEN, 0, "127.0.0.1:8080", 0, 0,
	  "address(es) for PAP over HTTP: host:port or [ipv6]:port, comma-separated" },
	{ "server", "pap_path", K_STR, O(pap_path), "/pap", 0, 0, "the HTTP path that accepts PAP" },
	{ "server", "success_status", K_STATUS, O(success_status), "202", 0, 0,
	  "HTTP status of PAP answers: 202 or 200" },
	{ "server", "sender_name", K_STR, O(sender_name), "ppgd", 0, 0, "sender-name of PAP responses" },
	{ "server", "sender_address", K_STR, O(sender_address), "", 0, 0,
	  "sender-address of PAP responses (empty: derived from listen and pap_path)" },
	{ "server", "max_body", K_SIZE, O(max_body), "1M", 256, 64UL << 20,
	  "largest request body; larger ones get 413 unread" },
	{ "server", "max_connections", K_UINT, O(max_connections), "512", 1, 65535, "concurrent HTTP connections" },
	{ "server", "threads", K_UINT, O(threads), "2", 1, 64, "HTTP worker threads" },
	{ "server", "connection_timeout", K_UINT, O(connection_timeout), "30", 1, 3600,
	  "idle HTTP connection timeout in seconds" },
	{ "server", "multiple_addresses", K_BOOL, O(multiple_addresses), "yes", 0, 0,
	  "accept push-messages with several addresses (no: 3005)" },
	{ "server", "max_addresses", K_SIZE, O(max_addresses), "1000", 1, 100000,
	  "most <address> elements in one PAP message" },
	{ "server", "max_xml_depth", K_UINT, O(max_xml_depth), "16", 4, 256, "deepest element nesting" },
	{ "server", "max_attribute", K_SIZE, O(max_attribute), "2048", 64, 1UL << 20, "longest attribute value" },
	{ "server", "query_credentials", K_BOOL, O(query_credentials), "no", 0, 0,
	  "also accept ?username=&password= in the URL (Kannel PIs)" },
	{ "database", "path", K_STR, O(db_path), "var/ppgd.db", 0, 0, "SQLite database file" },
	{ "database", "synchronous", K_SYNC, O(db_sync_full), "full", 0, 0, "full or normal" },
	{ "database", "batch_max", K_UINT, O(batch_max), "512", 1, 100000,
	  "most PAP requests committed in one transaction" },
	{ "log", "level", K_LEVEL, O(log_level), "info", 0, 0, "err, warning, notice, info or debug" },
	{ "log", "levels", K_LOGCATS, O(log_cat_level), "", 0, 0,
	  "per-category thresholds over level, CATEGORY:LEVEL comma-separated, e.g. sip:debug, smpp:debug "
	  "(categories: main, conf, http, auth, core, db, sip, ota, smpp, notify)" },
	{ "log", "syslog", K_BOOL, O(log_syslog), "no", 0, 0, "log to syslog instead of stderr" },
	{ "sip", "enabled", K_BOOL, O(sip_enabled), "no", 0, 0, "deliver over SIP Push" },
	{ "sip", "listen", K_SIPURI, O(sip_listen), "sip:127.0.0.1:5060", 0, 0,
	  "SIP address for UDP and TCP: sip:HOST:PORT" },
	{ "sip", "outbound_proxy", K_SIPURI, O(sip_outbound_proxy), "", 0, 0,
	  "the SIP/IP core every request goes through (empty: straight to the contact)" },
	{ "sip", "from", K_SIPURI, O(sip_from), "sip:ppgd@localhost", 0, 0, "From of the MESSAGEs" },
	{ "sip", "p_asserted_identity", K_STR, O(sip_pai), "", 0, 0,
	  "P-Asserted-Identity of the MESSAGEs (empty: none)" },
	{ "sip", "trusted_cores", K_CIDRS, O(sip_trusted), "127.0.0.1/32, ::1/128", 0, 0,
	  "addresses whose third-party REGISTERs are accepted (others get 403)" },
	{ "sip", "indirection_threshold", K_SIZE, O(sip_indirection_threshold), "1300", 200, 65536,
	  "a MESSAGE larger than this carries a URL to the content (RFC 4483)" },
	{ "sip", "content_base_url", K_STR, O(sip_content_base), "", 0, 0,
	  "base URL terminals fetch indirect content from (empty: http://<listen>)" },
	{ "sip", "fetch_timeout", K_UINT, O(sip_fetch_timeout), "120", 1, 86400,
	  "seconds a terminal has to fetch indirect content after its 200" },
	{ "sip", "no_binding", K_ENUM, O(sip_no_binding), "wait", 0, 0,
	  "no registration for the target: wait (until deliver-before) or fail (2003)" },
	{ "sip", "terminal", K_ENUM, O(sip_terminal), "all", 0, 0,
	  "all: every terminal with the application; gruu: the newest one, by its GRUU" },
	{ "sip", "plmn_aor", K_STR, O(sip_plmn_aor), "tel:%s", 0, 0,
	  "the SIP public identity of a PLMN number (%s = +number)" },
	{ "sip", "max_expires", K_UINT, O(sip_max_expires), "86400", 60, 604800,
	  "longest registration granted, in seconds" },
	{ "sip", "max_attempts", K_UINT, O(sip_max_attempts), "6", 1, 100, "attempts per delivery" },
	{ "sip", "retry_min", K_UINT, O(sip_retry_min), "2", 1, 3600, "first retry delay in seconds" },
	{ "sip", "retry_max", K_UINT, O(sip_retry_max), "300", 1, 86400, "longest retry delay in seconds" },
	{ "sip", "window", K_UINT, O(sip_window), "1024", 1, 65536, "most MESSAGEs outstanding" },
	{ "sip", "transaction_timeout", K_UINT, O(sip_transaction_timeout), "32", 1, 64,
	  "seconds without a final response before a local 408 (64*T1)" },
	{ "sip", "pap_bearers", K_STR, O(sip_bearers), "Any, GPRS, Packet Data", 0, 0,
	  "PAP bearer names a bearer-required push may name and still go over SIP Push" },
	{ "ota", "udp", K_BOOL, O(ota_udp), "yes", 0, 0, "IPv4 and IPv6 targets get Push OTA over UDP" },
	{ "ota", "udp_port", K_UINT, O(ota_udp_port), "2948", 1, 65535,
	  "the handset's WSP connectionless push port" },
	{ "ota", "ip_bearers", K_STR, O(ota_ip_bearers), "Any, CSD, GPRS, Packet Data, CDPD, GUTS/R-Data", 0, 0,
	  "PAP bearer names the IP path provides" },
	{ "ota", "sms", K_BOOL, O(ota_sms), "no", 0, 0, "PLMN targets get Push OTA over SMS (SMPP)" },
	{ "ota", "smsc", K_STR, O(ota_smsc), "127.0.0.1:2775", 0, 0, "the SMSC's SMPP address, host:port" },
	{ "ota", "system_id", K_STR, O(ota_system_id), "ppgd", 0, 0, "SMPP system_id" },
	{ "ota", "password", K_STR, O(ota_password), "", 0, 0, "SMPP password" },
	{ "ota", "system_type", K_STR, O(ota_system_type), "", 0, 0, "SMPP system_type" },
	{ "ota", "bind", K_ENUM, O(ota_transceiver), "transceiver", 0, 0,
	  "transceiver (receipts on the same link) or transmitter" },
	{ "ota", "source_addr", K_STR, O(ota_source_addr), "", 0, 0, "SMPP source_addr of the pushes" },
	{ "ota", "receipts", K_BOOL, O(ota_receipts), "yes", 0, 0,
	  "ask the SMSC for delivery receipts; delivered when the receipt says so" },
	{ "ota", "window", K_UINT, O(ota_window), "10", 1, 1000, "submit_sm outstanding" },
	{ "ota", "enquire_link", K_UINT, O(ota_enquire_link), "30", 1, 3600, "keep-alive seconds" },
	{ "ota", "reconnect_min", K_UINT, O(ota_reconnect_min), "1", 1, 3600, "first reconnect delay" },
	{ "ota", "reconnect_max", K_UINT, O(ota_reconnect_max), "60", 1, 3600, "longest reconnect delay" },
	{ "ota", "receipt_timeout", K_UINT, O(ota_receipt_timeout), "600", 1, 604800,
	  "seconds to wait for a delivery receipt before ending as timeout" },
	{ "ota", "concat_ref16", K_BOOL, O(ota_ref16), "no", 0, 0,
	  "16-bit concatenation references (IE 0x08) instead of 8-bit" },
	{ "ota", "sms_bearers", K_STR, O(ota_sms_bearers), "Any, SMS", 0, 0, "PAP bearer names the SMS path provides" },
	{ "ota", "networks", K_STR, O(ota_networks), "Any, GSM", 0, 0,
	  "PAP network names this operator reaches (network-required)" },
	{ "ota", "plmn_fallback", K_BOOL, O(ota_plmn_fallback), "yes", 0, 0,
	  "a PLMN target without a live SIP registration goes over SMS" },
	{ "ota", "sip_fallback", K_BOOL, O(ota_sip_fallback), "yes", 0, 0,
	  "a SIP attempt that ends \"not reachable\" (480, 404, 604) goes over SMS" },
	{ "ota", "max_attempts", K_UINT, O(ota_max_attempts), "6", 1, 100, "attempts per OTA delivery" },
	{ "ota", "retry_min", K_UINT, O(ota_retry_min), "2", 1, 3600, "first retry delay in seconds" },
	{ "ota", "retry_max", K_UINT, O(ota_retry_max), "300", 1, 86400, "longest retry delay in seconds" },
	{ "notify", "max_attempts", K_UINT, O(notify_max_attempts), "8", 1, 1000,
	  "attempts to POST a result notification" },
	{ "notify", "retry_min", K_UINT, O(notify_retry_min), "5", 1, 3600, "first retry delay in seconds" },
	{ "notify", "retry_max", K_UINT, O(notify_retry_max), "600", 1, 86400, "longest retry delay in seconds" },
	{ "notify", "timeout", K_UINT, O(notify_timeout), "10", 1, 300, "HTTP timeout in seconds" },
	{ "notify", "threads", K_UINT, O(notify_threads), "2", 1, 32, "parallel notification senders" },
};
#undef O

struct parse {
	struct ppg_config *c;
	struct ppg_pi *cur_pi;       /* the [pi NAME] section being read */
	char err[256];               /* first error */
	int listen_set;
	const char *err_section;     /* a whole-file check failed in this section */
	char bad_section[80];        /* an error that belongs to a section header */
};

static int set_err(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_err(struct parse *p, const char *fmt, ...)
{
	va_list ap;
	if (!p->err[0]) {
		va_start(ap, fmt);
		vsnprintf(p->err, sizeof p->err, fmt, ap);
		va_end(ap);
	}
	return 0;
}

static int parse_bool(const char *v, int *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") || !strcmp(v, "0"))
		*out = 0;
	else
		return -EINVAL;
	return 0;
}

static int parse_ulong(const char *v, int size_suffix, unsigned long *out)
{
	char *end;
	errno = 0;
	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	unsigned long n = strtoul(v, &end, 10);
	if (errno)
		return -EINVAL;
	if (size_suffix && (*end == 'k' || *end == 'K')) {
		if (n > ULONG_MAX / 1024) return -EINVAL;
		n *= 1024; end++;
	} else if (size_suffix && (*end == 'M' || *end == 'm')) {
		if (n > ULONG_MAX / (1024 * 1024)) return -EINVAL;
		n *= 1024 * 1024; end++;
	}
	if (*end)
		return -EINVAL;
	*out = n;
	return 0;
}

/* "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:80" */
static int parse_one_listen(const char *s, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *portp;
	unsigned long port;

	memset(ss, 0, sizeof *ss);
	if (*s == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof host)
			return -EINVAL;
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = '\0';
		portp = rb + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof host || strchr(s, ':') != colon)
			return -EINVAL;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		portp = colon + 1;
	}
	if (parse_ulong(portp, 0, &port) || port == 0 || port > 65535)
		return -EINVAL;
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
	} else {
		return -EINVAL;
	}
	return 0;
}

/* Splits a comma-separated list, trimming blanks; calls fn on each item. */
static int for_each_item(const char *v, int (*fn)(const char *item, void *arg), void *arg)
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

static int add_listen(const char *item, void *arg)
{
	struct ppg_config *c = arg;
	if (c->nlisten >= PPG_MAX_LISTEN)
		return -E2BIG;
	if (parse_one_listen(item, &c->listen[c->nlisten]))
		return -EINVAL;
	c->nlisten++;
	return 0;
}

static int parse_cidr(const char *s, struct ppg_cidr *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long bits;

	if (hl == 0 || hl >= sizeof host)
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = AF_INET6;
		bits = 128;
	} else {
		return -EINVAL;
	}
	if (slash) {
		unsigned long b;
		if (parse_ulong(slash + 1, 0, &b) || b > bits)
			return -EINVAL;
		bits = b;
	}
	out->bits = (int)bits;
	return 0;
}

static int add_allow(const char *item, void *arg)
{
	struct ppg_pi *pi = arg;
	if (pi->nallow >= PPG_MAX_ALLOW)
		return -E2BIG;
	if (parse_cidr(item, &pi->allow[pi->nallow]))
		return -EINVAL;
	pi->nallow++;
	return 0;
}

static int parse_level(const char *v, int *out)
{
	static const struct { const char *n; int l; } lv[] = {
		{ "err", LOG_ERR }, { "error", LOG_ERR }, { "warning", LOG_WARNING },
		{ "notice", LOG_NOTICE }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
	};
	for (size_t i = 0; i < sizeof lv / sizeof lv[0]; i++)
		if (!strcasecmp(v, lv[i].n)) {
			*out = lv[i].l;
			return 0;
		}
	return -EINVAL;
}

/* "sip:debug" into lv[PPG_LOG_SIP]. */
static int add_cat_level(const char *item, void *arg)
{
	int *lv = arg;
	char name[16];
	const char *colon = strchr(item, ':');
	size_t n = colon ? (size_t)(colon - item) : 0;
	int cat, level;

	if (!n || n >= sizeof name)
		return -EINVAL;
	memcpy(name, item, n);
	while (n && (name[n - 1] == ' ' || name[n - 1] == '\t'))
		n--;
	name[n] = '\0';
	colon++;
	while (*colon == ' ' || *colon == '\t')
		colon++;
	if ((cat = ppg_log_cat_parse(name)) < 0 || parse_level(colon, &level))
		return -EINVAL;
	lv[cat] = level;
	return 0;
}

static int looks_like_crypt_hash(const char *v)
{
	static const char *const prefixes[] = { "$y$", "$gy$", "$7$", "$2b$", "$2y$", "$6$", "$5$", NULL };
	for (int i = 0; prefixes[i]; i++)
		if (!strncmp(v, prefixes[i], strlen(prefixes[i])) && strlen(v) > strlen(prefixes[i]) + 8)
			return 1;
	return 0;
}

static int set_key(struct parse *p, const struct key *k, const char *v)
{
	struct ppg_config *c = p->c;
	void *field = (char *)c + k->off;
	unsigned long n;
	int b;

	switch (k->type) {
	case K_STR:
		if (!strcmp(k->name, "pap_path") && v[0] != '/')
			return set_err(p, "%s must start with '/' (got \"%s\")", k->name, v);
		if (!strcmp(k->name, "smsc")) {
			const char *colon = strrchr(v, ':');
			unsigned long port;
			if (!colon || colon == v || parse_ulong(colon + 1, 0, &port) || !port || port > 65535)
				return set_err(p, "%s must be host:port (got \"%s\")", k->name, v);
		}
		if (!strcmp(k->name, "plmn_aor")) {
			const char *pct = strstr(v, "%s");
			if (!pct || strchr(pct + 2, '%') || strchr(v, '%') != pct ||
			    (strncmp(v, "tel:", 4) && strncmp(v, "sip:", 4)))
				return set_err(p, "%s must be a tel: or sip: URI with one %%s (got \"%s\")",
				    k->name, v);
		}
		free(*(char **)field);
		*(char **)field = strdup(v);
		return *(char **)field != NULL;
	case K_BOOL:
		if (parse_bool(v, &b))
			return set_err(p, "%s must be yes or no (got \"%s\")", k->name, v);
		*(int *)field = b;
		return 1;
	case K_UINT:
	case K_SIZE:
		if (parse_ulong(v, k->type == K_SIZE, &n) || n < k->min || n > k->max) {
			char range[64];
			snprintf(range, sizeof range, "%lu..%lu", k->min, k->max);
			if (!p->err[0])
				snprintf(p->err, sizeof p->err, "%s must be a number in %s (got \"%s\")",
				    k->name, range, v);
			return 0;
		}
		if (k->type == K_SIZE)
			*(size_t *)field = n;
		else if (!strcmp(k->name, "max_xml_depth"))
			*(int *)field = (int)n;
		else
			*(unsigned *)field = (unsigned)n;
		return 1;
	case K_LISTEN:
		c->nlisten = 0;
		if (for_each_item(v, add_listen, c))
			return set_err(p, "%s: \"%s\" is not a list of host:port or [ipv6]:port", k->name, v);
		return 1;
	case K_STATUS:
		if (!strcmp(v, "200"))
			c->success_status = 200;
		else if (!strcmp(v, "202"))
			c->success_status = 202;
		else
			return set_err(p, "%s must be 200 or 202 (got \"%s\")", k->name, v);
		return 1;
	case K_LEVEL:
		if (parse_level(v, &b))
			return set_err(p, "%s must be err, warning, notice, info or debug (got \"%s\")", k->name, v);
		c->log_level = b;
		return 1;
	case K_LOGCATS: {
		int lv[PPG_LOG_NCAT];
		for (int i = 0; i < PPG_LOG_NCAT; i++)
			lv[i] = -1;
		if (*v && for_each_item(v, add_cat_level, lv))
			return set_err(p, "%s: \"%s\" is not a list of CATEGORY:LEVEL (categories: main, conf, "
			    "http, auth, core, db, sip, ota, smpp, notify; levels: err, warning, notice, info, "
			    "debug)", k->name, v);
		memcpy(c->log_cat_level, lv, sizeof c->log_cat_level);
		return 1;
	}
	case K_ENUM: {
		static const struct { const char *key, *a, *b; } en[] = {
			{ "no_binding", "wait", "fail" }, { "terminal", "all", "gruu" },
			{ "bind", "transmitter", "transceiver" },
		};
		for (size_t i = 0; i < sizeof en / sizeof en[0]; i++) {
			if (strcmp(en[i].key, k->name))
				continue;
			if (!strcasecmp(v, en[i].a))
				*(int *)field = 0;
			else if (!strcasecmp(v, en[i].b))
				*(int *)field = 1;
			else
				return set_err(p, "%s must be %s or %s (got \"%s\")", k->name, en[i].a, en[i].b, v);
			return 1;
		}
		return 0;
	}
	case K_CIDRS: {
		struct ppg_pi tmp = { 0 };
		if (*v && for_each_item(v, add_allow, &tmp))
			return set_err(p, "%s: \"%s\" is not a list of CIDR ranges", k->name, v);
		memcpy(c->sip_trusted, tmp.allow, sizeof c->sip_trusted);
		c->sip_ntrusted = tmp.nallow;
		return 1;
	}
	case K_SIPURI:
		if (*v && strncasecmp(v, "sip:", 4) && strncasecmp(v, "sips:", 5))
			return set_err(p, "%s must be a sip: or sips: URI (got \"%s\")", k->name, v);
		free(*(char **)field);
		*(char **)field = strdup(v);
		return *(char **)field != NULL;
	case K_SYNC:
		if (!strcasecmp(v, "full"))
			c->db_sync_full = 1;
		else if (!strcasecmp(v, "normal"))
			c->db_sync_full = 0;
		else
			return set_err(p, "%s must be full or normal (got \"%s\")", k->name, v);
		return 1;
	}
	return 0;
}

static int pi_key(struct parse *p, const char *name, const char *v)
{
	struct ppg_pi *pi = p->cur_pi;
	if (!strcmp(name, "secret_hash")) {
		if (!looks_like_crypt_hash(v))
			return set_err(p, "%s of [pi %s] is not a crypt(3) hash; plaintext secrets are refused "
			    "(make one with: ppgd --hash-secret)", name, pi->name);
		free(pi->secret_hash);
		pi->secret_hash = strdup(v);
		return pi->secret_hash != NULL;
	}
	if (!strcmp(name, "allow")) {
		pi->nallow = 0;
		if (for_each_item(v, add_allow, pi))
			return set_err(p, "allow: \"%s\" is not a list of CIDR ranges", v);
		return 1;
	}
	return set_err(p, "unknown key \"%s\" in a [pi] section", name);
}

/* [apps]: "CODE = URN", CODE decimal or 0x-hex, URN "x-vendor:app.ua". */
static int app_key(struct parse *p, const char *name, const char *v)
{
	char *end;
	errno = 0;
	unsigned long code = strtoul(name, &end, 0);
	if (errno || *end || !isdigit((unsigned char)*name) || code > 0xFFFFFFFFUL)
		return set_err(p, "[apps]: \"%s\" is not an application id number (write CODE = URN)", name);
	const char *colon = strchr(v, ':');
	if (!colon || colon == v || !colon[1] || strpbrk(v, " \t\",;"))
		return set_err(p, "[apps]: \"%s\" is not an application id URN like x-vendor:app.ua", v);
	if (ppg_config_app_urn(p->c, code))
		return set_err(p, "[apps]: application id %lu appears twice", code);
	struct ppg_app *na = realloc(p->c->apps, (p->c->napps + 1) * sizeof *na);
	if (!na)
		return set_err(p, "out of memory");
	p->c->apps = na;
	na[p->c->napps].code = code;
	na[p->c->napps].urn = strdup(v);
	if (!na[p->c->napps].urn)
		return set_err(p, "out of memory");
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
	struct parse *p = user;

	if (p->err[0])
		return 0;
	if (!strcmp(section, "apps")) {
		p->cur_pi = NULL;
		return app_key(p, name, value);
	}
	if (!strncmp(section, "pi ", 3)) {
		const char *pname = section + 3;
		while (*pname == ' ')
			pname++;
		if (!p->cur_pi || strcmp(p->cur_pi->name, pname)) {
			if (!valid_pi_name(pname)) {
				snprintf(p->bad_section, sizeof p->bad_section, "%s", section);
				return set_err(p, "[pi %s]: a PI name is 1-64 letters, digits, '-', '_', '.' or '@'",
				    pname);
			}
			if (ppg_config_pi(p->c, pname))
				return set_err(p, "[pi %s] appears twice", pname);
			struct ppg_pi *pi = calloc(1, sizeof *pi);
			if (!pi || !(pi->name = strdup(pname))) {
				free(pi);
				return set_err(p, "out of memory");
			}
			pi->next = p->c->pis;
			p->c->pis = pi;
			p->cur_pi = pi;
		}
		return pi_key(p, name, value);
	}
	p->cur_pi = NULL;
	int known_section = 0;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strcmp(keys[i].section, section))
			continue;
		known_section = 1;
		if (!strcmp(keys[i].name, name))
			return set_key(p, &keys[i], value);
	}
	if (!known_section) {
		snprintf(p->bad_section, sizeof p->bad_section, "%s", section);
		return set_err(p, "unknown section [%s]", section);
	}
	return set_err(p, "unknown key \"%s\" in [%s]", name, section);
}

static struct ppg_config *config_defaults(void)
{
	struct ppg_config *c = calloc(1, sizeof *c);
	struct parse p = { .c = c };

	if (!c)
		return NULL;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!set_key(&p, &keys[i], keys[i].def)) {
			ppg_config_free(c);
			return NULL;
		}
	return c;
}

/* Checks that need the whole file: every [pi] has a secret. */
static int config_finish(struct parse *p)
{
	for (struct ppg_pi *pi = p->c->pis; pi; pi = pi->next)
		if (!pi->secret_hash)
			return set_err(p, "[pi %s] has no secret_hash", pi->name), -EINVAL;
	/* Empty strings mean "not set". */
	char **opt[] = { &p->c->sender_address, &p->c->sip_outbound_proxy, &p->c->sip_pai,
		&p->c->sip_content_base };
	for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++)
		if (*opt[i] && !**opt[i]) {
			free(*opt[i]);
			*opt[i] = NULL;
		}
	if (p->c->sip_retry_min > p->c->sip_retry_max) {
		p->err_section = "sip";
		return set_err(p, "[sip] retry_min is above retry_max"), -EINVAL;
	}
	if (p->c->ota_retry_min > p->c->ota_retry_max || p->c->ota_reconnect_min > p->c->ota_reconnect_max) {
		p->err_section = "ota";
		return set_err(p, "[ota] a *_min is above its *_max"), -EINVAL;
	}
	if (p->c->notify_retry_min > p->c->notify_retry_max) {
		p->err_section = "notify";
		return set_err(p, "[notify] retry_min is above retry_max"), -EINVAL;
	}
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
	struct parse p = { 0 };

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
			if (!pi->secret_hash) {
				snprintf(sec, sizeof sec, "pi %s", pi->name);
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

void ppg_config_free(struct ppg_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (keys[i].type == K_STR || keys[i].type == K_SIPURI)
			free(*(char **)((char *)c + keys[i].off));
	for (size_t i = 0; i < c->napps; i++)
		free(c->apps[i].urn);
	free(c->apps);
	while (c->pis) {
		struct ppg_pi *n = c->pis->next;
		free(c->pis->name);
		free(c->pis->secret_hash);
		free(c->pis);
		c->pis = n;
	}
	free(c);
}

const struct ppg_pi *ppg_config_pi(const struct ppg_config *c, const char *name)
{
	for (const struct ppg_pi *pi = c->pis; pi; pi = pi->next)
		if (!strcmp(pi->name, name))
			return pi;
	return NULL;
}

static int cidr_match(const struct ppg_cidr *r, const unsigned char *a)
{
	int full = r->bits / 8, rest = r->bits % 8;
	if (memcmp(r->addr, a, (size_t)full))
		return 0;
	if (rest) {
		unsigned char mask = (unsigned char)(0xFF << (8 - rest));
		if ((r->addr[full] & mask) != (a[full] & mask))
			return 0;
	}
	return 1;
}

int ppg_pi_allows(const struct ppg_pi *pi, const struct sockaddr *sa)
{
	unsigned char a4[4], a6[16];
	int have4 = 0, have6 = 0;

	if (pi->nallow == 0)
		return 1;
	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET) {
		memcpy(a4, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		have4 = 1;
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		memcpy(a6, in6, 16);
		have6 = 1;
		if (IN6_IS_ADDR_V4MAPPED(in6)) {   /* dual-stack socket: ::ffff:a.b.c.d */
			memcpy(a4, a6 + 12, 4);
			have4 = 1;
		}
	}
	for (int i = 0; i < pi->nallow; i++) {
		const struct ppg_cidr *r = &pi->allow[i];
		if ((r->family == AF_INET && have4 && cidr_match(r, a4)) ||
		    (r->family == AF_INET6 && have6 && cidr_match(r, a6)))
			return 1;
	}
	return 0;
}

void ppg_config_dump_keys(FILE *f)
{
	const char *sec = "";
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strcmp(sec, keys[i].section))
			fprintf(f, "%s[%s]\n", i ? "\n" : "", sec = keys[i].section);
		fprintf(f, "; %s\n%s = %s\n", keys[i].help, keys[i].name, keys[i].def);
	}
	fprintf(f, "\n[pi NAME]\n; crypt(3) hash of the PI's secret (ppgd --hash-secret)\nsecret_hash =\n"
	    "; CIDR ranges the PI may connect from (empty: any)\nallow =\n");
}
