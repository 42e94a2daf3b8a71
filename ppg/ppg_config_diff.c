/*
 * ppg_config_diff.c - what differs between two loaded configs, key by key,
 * and which keys a running daemon takes on a reload (ppg_reload.c). Every
 * key of the table not named in reloadable[] needs a restart, so a key added
 * to the table later is restart-only until someone makes it live.
 */
#include "ppg/ppg_config_int.h"

#include <string.h>

/* The keys a reload applies without a restart, and where each lives:
 * [log] in ppg_log (atomic thresholds), the retry policies in the engine
 * and the notifier (copied on the writer thread). [pi NAME], [admin NAME]
 * and [apps] are reloadable too (ppg_auth's tables, the engine's [apps]). */
static const struct { const char *section, *key; } reloadable[] = {
	{ "log", "level" }, { "log", "levels" },
	{ "sip", "max_attempts" }, { "sip", "retry_min" }, { "sip", "retry_max" },
	{ "ota", "max_attempts" }, { "ota", "retry_min" }, { "ota", "retry_max" },
	{ "notify", "max_attempts" }, { "notify", "retry_min" }, { "notify", "retry_max" },
	/* TLS of the listeners: every reload re-reads the files (ppg_tls.c);
	 * turning TLS on or off needs a restart (ppg_reload.c says so). */
	{ "server", "tls_certificate" }, { "server", "tls_key" }, { "server", "tls_client_ca" },
	{ "server", "tls_client_auth" }, { "server", "tls_priorities" },
	{ "admin", "tls_certificate" }, { "admin", "tls_key" }, { "admin", "tls_client_ca" },
	{ "admin", "tls_client_auth" }, { "admin", "tls_priorities" },
};

int ppg_config_reloadable(const char *section, const char *key)
{
	for (size_t i = 0; i < sizeof reloadable / sizeof reloadable[0]; i++)
		if (!strcmp(reloadable[i].section, section) && !strcmp(reloadable[i].key, key))
			return 1;
	return 0;
}

static int str_eq(const char *a, const char *b)
{
	return (!a || !*a) ? (!b || !*b) : (b && !strcmp(a, b));
}

/* 1 when key k has the same value in a and b. */
static int key_equal(const struct ppg_config_key *k, const struct ppg_config *a, const struct ppg_config *b)
{
	const void *fa = (const char *)a + k->off, *fb = (const char *)b + k->off;
	switch (k->type) {
	case K_STR:
	case K_SIPURI:
		return str_eq(*(char *const *)fa, *(char *const *)fb);
	case K_BOOL:
	case K_STATUS:
	case K_LEVEL:
	case K_SYNC:
	case K_ENUM:
		return *(const int *)fa == *(const int *)fb;
	case K_UINT:
		/* max_xml_depth is an int, the others unsigned: both 4 bytes */
		return *(const unsigned *)fa == *(const unsigned *)fb;
	case K_SIZE:
		return *(const size_t *)fa == *(const size_t *)fb;
	case K_LISTEN:
		return a->nlisten == b->nlisten && !memcmp(a->listen, b->listen, sizeof a->listen[0] * (size_t)a->nlisten);
	case K_ADDR:   /* zeroed before parsing: memcmp is exact */
		return !memcmp(fa, fb, sizeof(struct sockaddr_storage));
	case K_CIDRS:
		return a->sip_ntrusted == b->sip_ntrusted &&
		    !memcmp(a->sip_trusted, b->sip_trusted, sizeof a->sip_trusted[0] * (size_t)a->sip_ntrusted);
	case K_LOGCATS:
		return !memcmp(a->log_cat_level, b->log_cat_level, sizeof a->log_cat_level);
	}
	return 0;
}

static const struct ppg_pi *find(const struct ppg_pi *list, const char *name)
{
	for (; list; list = list->next)
		if (!strcmp(list->name, name))
			return list;
	return NULL;
}

static int pi_equal(const struct ppg_pi *x, const struct ppg_pi *y)
{
	return x->nallow == y->nallow && str_eq(x->secret_hash, y->secret_hash) &&
	    !memcmp(x->allow, y->allow, sizeof x->allow[0] * (size_t)x->nallow) &&
	    str_eq(x->tls_subject, y->tls_subject) && x->ntls_fp == y->ntls_fp &&
	    !memcmp(x->tls_fp, y->tls_fp, sizeof x->tls_fp[0] * (size_t)x->ntls_fp);
}

static size_t diff_accounts(const char *section, const struct ppg_pi *a, const struct ppg_pi *b,
    void (*fn)(const char *, const char *, int, void *), void *arg)
{
	size_t n = 0;
	for (const struct ppg_pi *x = a; x; x = x->next) {
		const struct ppg_pi *y = find(b, x->name);
		if (!y || !pi_equal(x, y)) {
			fn(section, x->name, 1, arg);
			n++;
		}
	}
	for (const struct ppg_pi *y = b; y; y = y->next)
		if (!find(a, y->name)) {
			fn(section, y->name, 1, arg);
			n++;
		}
	return n;
}

static size_t diff_apps(const struct ppg_config *a, const struct ppg_config *b,
    void (*fn)(const char *, const char *, int, void *), void *arg)
{
	size_t n = 0;
	char code[32];
	for (int pass = 0; pass < 2; pass++) {
		const struct ppg_config *x = pass ? b : a, *y = pass ? a : b;
		for (size_t i = 0; i < x->napps; i++) {
			const char *other = ppg_config_app_urn(y, x->apps[i].code);
			/* a changed URN is reported once, from a */
			if (other && (pass || !strcmp(other, x->apps[i].urn)))
				continue;
			snprintf(code, sizeof code, "%lu", x->apps[i].code);
			fn("apps", code, 1, arg);
			n++;
		}
	}
	return n;
}

/* A listener's TLS keys are live while it stays TLS; turning TLS on or off
 * (libmicrohttpd's MHD_USE_TLS of the daemon) needs a restart. */
static int reloadable_between(const struct ppg_config_key *k, const struct ppg_config *a,
    const struct ppg_config *b)
{
	if (!ppg_config_reloadable(k->section, k->name))
		return 0;
	if (strncmp(k->name, "tls_", 4))
		return 1;
	int admin = !strcmp(k->section, "admin");
	const struct ppg_tls_conf *x = admin ? &a->admin_tls : &a->tls, *y = admin ? &b->admin_tls : &b->tls;
	return !x->certificate == !y->certificate;
}

size_t ppg_config_diff(const struct ppg_config *a, const struct ppg_config *b,
    void (*fn)(const char *section, const char *key, int reloadable, void *arg), void *arg)
{
	size_t n = 0;
	for (size_t i = 0; i < ppg_config_nkeys; i++) {
		const struct ppg_config_key *k = &ppg_config_keys[i];
		if (key_equal(k, a, b))
			continue;
		fn(k->section, k->name, reloadable_between(k, a, b), arg);
		n++;
	}
	n += diff_accounts("pi", a->pis, b->pis, fn, arg);
	n += diff_accounts("admin", a->admins, b->admins, fn, arg);
	n += diff_apps(a, b, fn, arg);
	return n;
}
