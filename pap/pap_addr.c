/*
 * pap_addr.c - PAP client addresses.
 *
 * Implements the address-value grammar of WAP-249-PPGService §6.1 (and
 * WAP-151 §7.1):
 *
 *   address-value = "WAPPUSH=" client-spec [ "@" ppg-specifier ]
 *   client-spec   = escaped-value "/TYPE=USER"
 *                 / global-phone-number "/TYPE=PLMN" *ext-qual
 *                 / ipv4 "/TYPE=IPv4" *ext-qual
 *                 / ipv6 "/TYPE=IPv6" *ext-qual
 *                 / escaped-value "/TYPE=" wina-bearer-id *ext-qual
 *   ext-qual      = "/" keyword "=" escaped-value
 *   escaped-value = 1*(ALPHA / DIGIT / "+" / "-" / "." / "_" / "%" HEXDIG HEXDIG)
 *
 * Deviations, all on the tolerant side: the keywords are matched
 * case-insensitively, an ext-qual is accepted after TYPE=USER too, and an
 * IPv6 address may carry its colons unescaped (as real PIs write it).
 * A USER value whose unescaped form starts with sip:, sips: or tel: is marked
 * as a URI (the SIP Push carrier) and must then look like one.
 */
#include "pap/pap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Longest address-value we look at; everything longer is refused early. */
#define PAP_ADDR_INPUT_MAX 2048

static const char *const pap_wina_ids[] = {
	"GSM_MSISDN", "ANSI_136_MSISDN", "IS_637_MSISDN", "iDEN_MSISDN", "FLEX_MSISDN",
	"PHS_MSISDN", "GSM_Service_Code", "TETRA_ITSI", "TETRA_MSISDN",
	"ReFLEX_MSIDDN", /* sic, as spelt in WAP-249 */
	"ReFLEX_MSISDN", "MAN",
};
#define PAP_NWINA (sizeof pap_wina_ids / sizeof pap_wina_ids[0])

static int pap_alnum(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int pap_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A character that an escaped-value may carry literally. */
static int pap_evchar(int c)
{
	return pap_alnum(c) || c == '+' || c == '-' || c == '.' || c == '_';
}

static int pap_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 1 when s[0..n) is well-formed UTF-8 without overlong forms or surrogates. */
static int pap_utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t k;
		unsigned cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			k = 1; cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			k = 2; cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			k = 3; cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + k >= n)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + j] & 0x3F);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += k + 1;
	}
	return 1;
}

/*
 * Decodes the escaped-value s[0..n) into out (cap bytes, NUL-terminated).
 * allow_colon lets ':' through literally (IPv6). Returns the decoded length,
 * or -EINVAL with *reason set.
 */
static int pap_unescape(const char *s, size_t n, int allow_colon, char *out, size_t cap,
    const char **reason)
{
	size_t o = 0;

	if (n == 0) {
		*reason = "address value is empty";
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n) {
				*reason = "truncated %XX escape in address value";
				return -EINVAL;
			}
			hi = pap_hexval((unsigned char)s[i + 1]);
			lo = pap_hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0) {
				*reason = "bad %XX escape in address value";
				return -EINVAL;
			}
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
			if (c < 0x20 || c == 0x7F) {
				*reason = "address value contains a NUL or control character";
				return -EINVAL;
			}
		} else if (c < 0x20 || c == 0x7F) {
			*reason = "address value contains a NUL or control character";
			return -EINVAL;
		} else if (!pap_evchar(c) && !(allow_colon && c == ':')) {
			*reason = "address value contains a character that must be %XX escaped";
			return -EINVAL;
		}
		if (o + 1 >= cap) {
			*reason = "address value is too long";
			return -EINVAL;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (!pap_utf8_ok((const unsigned char *)out, o)) {
		*reason = "address value is not valid UTF-8";
		return -EINVAL;
	}
	return (int)o;
}

/* tel: global-number-digits with visual separators (RFC 3966 §3). */
static int pap_tel_ok(const char *v)
{
	int ndig = 0;

	if (*v++ != '+')
		return 0;
	for (; *v; v++) {
		if (pap_digit(*v))
			ndig++;
		else if (*v != '-' && *v != '.' && *v != '(' && *v != ')')
			return 0;
	}
	return ndig >= 1 && ndig <= 20;
}

/* sip:/sips: [userinfo "@"] hostport *(";" param) ["?" headers] (RFC 3261 §25),
 * checked loosely: enough to refuse what no SIP stack would accept. */
static int pap_sip_ok(const char *v)
{
	const char *at = strchr(v, '@');
	const char *h = v;

	if (at) {
		if (at == v)
			return 0;
		for (const char *p = v; p < at; p++)
			if (!pap_alnum(*p) && !strchr("-_.!~*'()&=+$,;?/%:", *p))
				return 0;
		h = at + 1;
	}
	if (*h == '[') {
		char ip6[64];
		const char *e = strchr(h, ']');
		if (!e || (size_t)(e - h - 1) >= sizeof ip6 || e == h + 1)
			return 0;
		memcpy(ip6, h + 1, (size_t)(e - h - 1));
		ip6[e - h - 1] = '\0';
		struct in6_addr a6;
		if (inet_pton(AF_INET6, ip6, &a6) != 1)
			return 0;
		h = e + 1;
	} else {
		const char *s = h;
		while (pap_alnum(*h) || *h == '-' || *h == '.')
			h++;
		if (h == s || *s == '.' || *s == '-')
			return 0;
	}
	if (*h == ':') {
		int n = 0;
		for (h++; pap_digit(*h); h++)
			n++;
		if (n < 1 || n > 5)
			return 0;
	}
	if (*h && *h != ';' && *h != '?')
		return 0;
	for (; *h; h++)
		if ((unsigned char)*h <= ' ' || (unsigned char)*h >= 0x7F || strchr("<>\"", *h))
			return 0;
	return 1;
}

/* Validates a decoded USER value and sets is_uri. */
static int pap_user_check(struct pap_addr *out, const char **reason)
{
	const char *v = out->value;

	if (!strncasecmp(v, "tel:", 4)) {
		out->is_uri = 1;
		if (!pap_tel_ok(v + 4)) {
			*reason = "tel: URI is not a global number (+digits)";
			return -EINVAL;
		}
	} else if (!strncasecmp(v, "sip:", 4) || !strncasecmp(v, "sips:", 5)) {
		out->is_uri = 1;
		if (!pap_sip_ok(v + (v[3] == ':' ? 4 : 5))) {
			*reason = "sip: URI is not of the form user@host or host";
			return -EINVAL;
		}
	}
	return 0;
}

/* global-phone-number: "+" digits with '-' / '.' separators, which are dropped. */
static int pap_plmn_check(const char *tmp, struct pap_addr *out, const char **reason)
{
	size_t o = 0;
	int ndig = 0;

	if (tmp[0] != '+') {
		*reason = "PLMN address is not a global phone number (+digits)";
		return -EINVAL;
	}
	out->value[o++] = '+';
	for (const char *p = tmp + 1; *p; p++) {
		if (pap_digit(*p)) {
			if (++ndig > 20)
				break;
			out->value[o++] = *p;
		} else if (*p != '-' && *p != '.') {
			*reason = "PLMN address is not a global phone number (+digits)";
			return -EINVAL;
		}
	}
	if (ndig < 1 || ndig > 20) {
		*reason = "PLMN number must have 1 to 20 digits";
		return -EINVAL;
	}
	out->value[o] = '\0';
	return 0;
}

/* Maps the TYPE token t[0..n) to a type (and the canonical WINA name). */
static int pap_type_lookup(const char *t, size_t n, struct pap_addr *out)
{
	static const struct {
		const char *name;
		enum pap_addr_type type;
	} base[] = {
		{ "USER", PAP_ADDR_USER }, { "PLMN", PAP_ADDR_PLMN },
		{ "IPv4", PAP_ADDR_IPV4 }, { "IPv6", PAP_ADDR_IPV6 },
	};

	for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
		if (strlen(base[i].name) == n && !strncasecmp(t, base[i].name, n)) {
			out->type = base[i].type;
			return 0;
		}
	}
	for (size_t i = 0; i < PAP_NWINA; i++) {
		if (strlen(pap_wina_ids[i]) == n && !strncasecmp(t, pap_wina_ids[i], n)) {
			out->type = PAP_ADDR_WINA;
			memcpy(out->wina, pap_wina_ids[i], n + 1);
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Parses the tail after the TYPE token: *ext-qual [ "@" ppg-specifier ].
 * ext-qual values are validated and then ignored.
 */
static int pap_tail(const char *p, struct pap_addr *out, const char **reason)
{
	char tmp[PAP_ADDR_VALUE_MAX];

	while (*p == '/') {
		const char *k = ++p;
		while (pap_alnum(*p) || *p == '-' || *p == '_')
			p++;
		if (p == k) {
			*reason = "ext-qual has no keyword";
			return -EINVAL;
		}
		if (*p != '=') {
			*reason = "ext-qual has no '=' after its keyword";
			return -EINVAL;
		}
		size_t n = strcspn(++p, "/@");
		if (pap_unescape(p, n, 0, tmp, sizeof tmp, reason) < 0)
			return -EINVAL;
		p += n;
	}
	if (*p == '@') {
		size_t n = strlen(++p);
		if (n == 0) {
			*reason = "ppg-specifier after '@' is empty";
			return -EINVAL;
		}
		if (n >= PAP_ADDR_PPG_MAX) {
			*reason = "ppg-specifier is too long";
			return -EINVAL;
		}
		for (size_t i = 0; i < n; i++) {
			if (!pap_alnum(p[i]) && p[i] != '-' && p[i] != '.' && p[i] != '_') {
				*reason = "ppg-specifier is not a host name";
				return -EINVAL;
			}
		}
		memcpy(out->ppg, p, n + 1);
		return 0;
	}
	if (*p) {
		*reason = "trailing characters after the address type";
		return -EINVAL;
	}
	return 0;
}

/*
 * Parses an address-value such as "WAPPUSH=+358408201681/TYPE=PLMN@ppg.carrier.com"
 * into *out (cleared first). The '/' that starts "/TYPE=" is the first '/' of
 * the string, since an escaped-value cannot contain one; the ppg-specifier
 * starts at the first '@' after the TYPE (an '@' inside a value must be
 * written %40).
 * Returns 0, or -EINVAL with *reason (if reason is not NULL) set to a static
 * English sentence fit for a log line or a PAP desc attribute.
 */
int pap_addr_decode(const char *s, struct pap_addr *out, const char **reason)
{
	const char *dummy;
	char tmp[PAP_ADDR_VALUE_MAX];
	struct in_addr a4;
	struct in6_addr a6;

	if (!reason)
		reason = &dummy;
	*reason = NULL;
	if (!out) {
		*reason = "no output";
		return -EINVAL;
	}
	memset(out, 0, sizeof *out);
	if (!s || !*s) {
		*reason = "address-value is empty";
		return -EINVAL;
	}
	if (strnlen(s, PAP_ADDR_INPUT_MAX + 1) > PAP_ADDR_INPUT_MAX) {
		*reason = "address-value is too long";
		return -EINVAL;
	}
	if (strncasecmp(s, "WAPPUSH=", 8)) {
		*reason = "address-value does not start with WAPPUSH=";
		return -EINVAL;
	}
	const char *v = s + 8;
	const char *slash = strchr(v, '/');
	if (!slash || strncasecmp(slash, "/TYPE=", 6)) {
		*reason = "address-value has no /TYPE= after the client address";
		return -EINVAL;
	}
	size_t vlen = (size_t)(slash - v);
	const char *t = slash + 6;
	size_t tlen = strcspn(t, "/@");
	if (tlen == 0) {
		*reason = "address TYPE is empty";
		return -EINVAL;
	}
	if (pap_type_lookup(t, tlen, out) < 0) {
		*reason = "address TYPE is not USER, PLMN, IPv4, IPv6 or a WINA bearer id";
		return -EINVAL;
	}
	if (pap_tail(t + tlen, out, reason) < 0)
		goto fail;

	switch (out->type) {
	case PAP_ADDR_USER:
	case PAP_ADDR_WINA:
		if (pap_unescape(v, vlen, 0, out->value, sizeof out->value, reason) < 0)
			goto fail;
		if (out->type == PAP_ADDR_USER && pap_user_check(out, reason) < 0)
			goto fail;
		break;
	case PAP_ADDR_PLMN:
		if (pap_unescape(v, vlen, 0, tmp, sizeof tmp, reason) < 0 ||
		    pap_plmn_check(tmp, out, reason) < 0)
			goto fail;
		break;
	case PAP_ADDR_IPV4:
		if (pap_unescape(v, vlen, 0, tmp, sizeof tmp, reason) < 0)
			goto fail;
		if (inet_pton(AF_INET, tmp, &a4) != 1) {
			*reason = "IPv4 address is not a dotted quad";
			goto fail;
		}
		inet_ntop(AF_INET, &a4, out->value, sizeof out->value);
		break;
	case PAP_ADDR_IPV6:
		if (pap_unescape(v, vlen, 1, tmp, sizeof tmp, reason) < 0)
			goto fail;
		if (inet_pton(AF_INET6, tmp, &a6) != 1) {
			*reason = "IPv6 address is not valid";
			goto fail;
		}
		inet_ntop(AF_INET6, &a6, out->value, sizeof out->value);
		break;
	}
	return 0;
fail:
	memset(out, 0, sizeof *out);
	return -EINVAL;
}

/* "USER", "PLMN", "IPv4", "IPv6", the WINA bearer id, or "unknown". Points
 * into a (static, or a's wina field). */
const char *pap_addr_type_str(const struct pap_addr *a)
{
	if (!a)
		return "unknown";
	switch (a->type) {
	case PAP_ADDR_USER: return "USER";
	case PAP_ADDR_PLMN: return "PLMN";
	case PAP_ADDR_IPV4: return "IPv4";
	case PAP_ADDR_IPV6: return "IPv6";
	case PAP_ADDR_WINA: return a->wina[0] ? a->wina : "unknown";
	}
	return "unknown";
}

/* Output cursor: remembers overflow instead of failing at each step. */
struct pap_cur {
	char *buf;
	size_t len, pos;
	int full;
};

static void pap_put(struct pap_cur *c, const char *s, size_t n)
{
	if (c->pos + n + 1 > c->len) {
		c->full = 1;
		return;
	}
	memcpy(c->buf + c->pos, s, n);
	c->pos += n;
	c->buf[c->pos] = '\0';
}

/*
 * Writes the canonical address-value of a into buf: the value with every
 * byte outside ALPHA / DIGIT / "+-._" percent-encoded in upper-case hex
 * (an IPv6 address keeps its ':' literal), "/TYPE=" and the type name, and
 * "@" ppg when a->ppg is not empty.
 * Returns the length written (excluding the NUL), -ENOSPC when buf is too
 * small, or -EINVAL when a has no known type.
 */
int pap_addr_encode(const struct pap_addr *a, char *buf, size_t len)
{
	struct pap_cur c = { buf, len, 0, 0 };
	const char *type = pap_addr_type_str(a);

	if (!a || !buf || !strcmp(type, "unknown"))
		return -EINVAL;
	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	pap_put(&c, "WAPPUSH=", 8);
	for (const char *p = a->value; *p && p < a->value + sizeof a->value; p++) {
		char esc[4];
		if (pap_evchar((unsigned char)*p) || (a->type == PAP_ADDR_IPV6 && *p == ':')) {
			pap_put(&c, p, 1);
		} else {
			snprintf(esc, sizeof esc, "%%%02X", (unsigned char)*p);
			pap_put(&c, esc, 3);
		}
	}
	pap_put(&c, "/TYPE=", 6);
	pap_put(&c, type, strlen(type));
	if (a->ppg[0]) {
		pap_put(&c, "@", 1);
		pap_put(&c, a->ppg, strnlen(a->ppg, sizeof a->ppg));
	}
	if (c.full)
		return -ENOSPC;
	return (int)c.pos;
}
