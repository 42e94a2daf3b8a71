/*
 * ppg_cidr.h - address ranges in CIDR notation (RFC 4632 §3.1 for IPv4,
 * RFC 4291 §2.3 for IPv6): parsing "a.b.c.d[/n]" and "x:y::z[/n]", and
 * matching a peer's address against a list of them (the allow ranges of a
 * [pi NAME] section, [sip] trusted_cores). Pure: no allocation, no logging.
 *
 * Pure functions: [any].
 */
#ifndef PPG_CIDR_H
#define PPG_CIDR_H

#include <sys/socket.h>

struct ppg_cidr {
	int family;                    /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int bits;
};

struct ppg_pi;

/*
 * Parses s, an IPv4 or IPv6 address with an optional "/bits" prefix length
 * (decimal, at most 32 or 128; without it the range is the one address),
 * into *out. Returns 0, or -EINVAL (not an address, bad prefix length).
 */
int ppg_cidr_parse(const char *s, struct ppg_cidr *out);

/*
 * Returns 1 when sa (AF_INET or AF_INET6; an IPv4-mapped IPv6 address
 * ::ffff:a.b.c.d also matches IPv4 ranges) is inside one of list[0..n),
 * else 0 (also for sa NULL or another family).
 */
int ppg_cidr_match(const struct ppg_cidr *list, int n, const struct sockaddr *sa);

/* 1 when sa is inside one of the PI's allowed ranges (or the PI has none). */
int ppg_cidr_pi_allows(const struct ppg_pi *pi, const struct sockaddr *sa);

#endif
