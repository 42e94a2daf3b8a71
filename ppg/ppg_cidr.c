/*
 * ppg_cidr.c - address ranges in CIDR notation (ppg_cidr.h): RFC 4632 §3.1
 * (IPv4 prefixes), RFC 4291 §2.3 (IPv6 prefixes) and §2.5.5.2 (IPv4-mapped
 * IPv6 addresses, as a dual-stack socket reports IPv4 peers).
 */
#include "ppg/ppg_cidr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ppg/ppg_config.h"

/* A decimal number, digits only (no sign, no space), that fits. */
static int parse_bits(const char *v, unsigned long *out)
{
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	unsigned long n = strtoul(v, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = n;
	return 0;
}

int ppg_cidr_parse(const char *s, struct ppg_cidr *out)
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
		if (parse_bits(slash + 1, &b) || b > bits)
			return -EINVAL;
		bits = b;
	}
	out->bits = (int)bits;
	return 0;
}

static int prefix_match(const struct ppg_cidr *r, const unsigned char *a)
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

int ppg_cidr_match(const struct ppg_cidr *list, int n, const struct sockaddr *sa)
{
	unsigned char a4[4], a6[16];
	int have4 = 0, have6 = 0;

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
	for (int i = 0; i < n; i++) {
		const struct ppg_cidr *r = &list[i];
		if ((r->family == AF_INET && have4 && prefix_match(r, a4)) ||
		    (r->family == AF_INET6 && have6 && prefix_match(r, a6)))
			return 1;
	}
	return 0;
}

int ppg_cidr_pi_allows(const struct ppg_pi *pi, const struct sockaddr *sa)
{
	if (pi->nallow == 0)
		return 1;
	return ppg_cidr_match(pi->allow, pi->nallow, sa);
}
