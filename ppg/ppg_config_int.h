/*
 * ppg_config_int.h - what ppg_config.c (the file: sections, [pi], [apps],
 * whole-file checks, errors with their line) and ppg_config_keys.c (the table
 * of keys and what a value of each key type means) share. Private to them.
 */
#ifndef PPG_CONFIG_INT_H
#define PPG_CONFIG_INT_H

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ppg/ppg_config.h"

enum key_type { K_STR, K_BOOL, K_UINT, K_SIZE, K_LISTEN, K_STATUS, K_LEVEL, K_SYNC, K_ENUM, K_CIDRS, K_SIPURI,
	K_LOGCATS, K_ADDR };

/* One key of a fixed section: where its value goes, its default and help. */
struct ppg_config_key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t off;                  /* into struct ppg_config */
	const char *def;
	unsigned long min, max;      /* K_UINT, K_SIZE */
	const char *help;
};

extern const struct ppg_config_key ppg_config_keys[];
extern const size_t ppg_config_nkeys;

/* The state of one load. */
struct ppg_config_parse {
	struct ppg_config *c;
	struct ppg_pi *cur_pi;       /* the [pi NAME] or [admin NAME] section being read */
	int cur_admin;               /* cur_pi is an [admin NAME] account */
	char err[256];               /* first error */
	int listen_set;
	const char *err_section;     /* a whole-file check failed in this section */
	char err_section_buf[80];    /* err_section of a [pi NAME] or [admin NAME] */
	char bad_section[80];        /* an error that belongs to a section header */
};

/* Records the first error (later ones are consequences). Returns 0, which is
 * what an inih handler returns to stop. */
int ppg_config_err(struct ppg_config_parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sets the key k from the value v. 1 on success, 0 with an error recorded
 * in p (or out of memory). */
int ppg_config_set_key(struct ppg_config_parse *p, const struct ppg_config_key *k, const char *v);

/* ppg_config_tls.c: the whole-file checks of the TLS keys ([server],
 * [admin], the accounts' tls_subject and tls_fingerprint). 0 or -EINVAL
 * with the error and its section recorded in p. */
int ppg_config_tls(struct ppg_config_parse *p);
/* ppg_config_sip.c: splits [sip] listen into sip_listen_udp and
 * sip_listen_tls; with SIP enabled and a TLS URI, checks the TLS files.
 * 0, or -EINVAL with the error recorded in p (err_section "sip"). */
int ppg_config_sip_transports(struct ppg_config_parse *p);

/* ppg_config_terminal.c: checks [sip] terminal_policy. 0, or -EINVAL
 * with the error recorded in p. */
int ppg_config_terminal_check(struct ppg_config_parse *p);

/* Splits a comma-separated list, trimming blanks; calls fn on each item.
 * 0, -EINVAL (an empty list, a blank item), or what fn returned. */
int ppg_config_for_each(const char *v, int (*fn)(const char *item, void *arg), void *arg);

/* Parses a comma-separated list of CIDR ranges into pi->allow. 0, -EINVAL
 * or -E2BIG (more than PPG_MAX_ALLOW). */
int ppg_config_cidr_list(const char *v, struct ppg_pi *pi);

/* A decimal number, with a k or M suffix when size_suffix. Both files read
 * numbers; inline here so that the CIDR parser keeps calling it unchanged. */
static inline int parse_ulong(const char *v, int size_suffix, unsigned long *out)
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

/* Seconds, with an s, m, h or d suffix ("30d"). */
static inline int parse_duration(const char *v, unsigned long *out)
{
	char num[32];
	size_t len = strlen(v);
	unsigned long mul = 1, n;
	if (!len || len >= sizeof num)
		return -EINVAL;
	memcpy(num, v, len + 1);
	switch (num[len - 1]) {
	case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	default: mul = 0; break;
	}
	if (mul)
		num[len - 1] = '\0';
	else
		mul = 1;
	if (parse_ulong(num, 0, &n) || n > ULONG_MAX / mul)
		return -EINVAL;
	*out = n * mul;
	return 0;
}

#endif
