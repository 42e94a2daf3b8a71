/*
 * fuzz_msrp.c - libFuzzer target for what an MSRP peer sends ppgd: the
 * framing parser of sipbearer/sipb_msrp.c (RFC 4975 §7, §9), fed as a
 * stream (every message in the input one after the other, then the rest at
 * EOF). Every whole message parsed is checked: its body and end within the
 * input, its flag one of $ + #. A SEND that parsed is written again by the
 * writer with the same fields and must parse to the same body. The same
 * bytes also go through the header readers of a relay's AUTH answer
 * (sipb_msrp_header, sipb_msrp_auth_param). Build and run with
 * scripts/fuzz.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipbearer/sipb_msrp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dup_str(struct sipb_msrp_str s)
{
	char *r = malloc(s.n + 1);
	if (r) {
		memcpy(r, s.p, s.n);
		r[s.n] = '\0';
	}
	return r;
}

static void rewrite(const struct sipb_msrp_msg *m)
{
	if (m->is_response || m->method_id != MSRP_SEND || !m->message_id.p || !m->has_byte_range ||
	    m->range_start == 0 || (m->body && !m->content_type.p))
		return;
	char *to = dup_str(m->to_path), *from = dup_str(m->from_path), *mid = dup_str(m->message_id);
	char *ct = m->content_type.p ? dup_str(m->content_type) : NULL;
	size_t cap = m->body_len + 4096;
	char *out = malloc(cap);
	struct sipb_msrp_rng rng = { m->body_len + 1 };
	struct sipb_msrp_send s = { .to_path = to, .from_path = from, .message_id = mid,
		.start = m->range_start, .end_unknown = 1, .total = MSRP_STAR,
		.content_type = ct, .data = m->body, .len = m->body_len, .flag = m->flag };
	if (to && from && mid && out && (!m->content_type.p || ct)) {
		ssize_t n = sipb_msrp_write_send(out, cap, &s, &rng, NULL);
		if (n > 0) {
			struct sipb_msrp_msg m2;
			if (sipb_msrp_parse(out, (size_t)n, MSRP_EOF, &m2) != n || m2.body_len != m->body_len ||
			    (m->body_len && memcmp(m2.body, m->body, m->body_len)))
				abort();   /* the writer wrote what the parser does not read back */
		}
	}
	free(to);
	free(from);
	free(mid);
	free(ct);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	/* the input in a buffer of its exact size: ASan sees any read past it */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	/* what the relay's AUTH answer is read with: its headers and a Digest
	 * challenge's parameters; every value stays inside the input */
	static const char *const hn[] = { "Use-Path", "Expires", "WWW-Authenticate", "Min-Expires" };
	for (size_t i = 0; i < sizeof hn / sizeof hn[0]; i++) {
		size_t vl = 0;
		const char *v = sipb_msrp_header((const char *)buf, size, hn[i], &vl);
		if (v && (v < (const char *)buf || v + vl > (const char *)buf + size))
			abort();
		static const char *const pn[] = { "realm", "nonce", "opaque", "algorithm", "qop" };
		for (size_t j = 0; v && j < sizeof pn / sizeof pn[0]; j++) {
			char out[64];
			if (sipb_msrp_auth_param(v, vl, pn[j], out, sizeof out) == 0 && strlen(out) >= sizeof out)
				abort();
		}
	}
	for (;;) {
		struct sipb_msrp_msg m;
		ssize_t r = sipb_msrp_parse(buf + off, size - off, off < size ? 0 : MSRP_EOF, &m);
		if (r == 0)
			r = sipb_msrp_parse(buf + off, size - off, MSRP_EOF, &m);
		if (r <= 0) {
			if (r == 0 || !m.error)
				abort();   /* at EOF every outcome is a message or a reason */
			break;
		}
		if ((size_t)r > size - off || (m.flag != '$' && m.flag != '+' && m.flag != '#'))
			abort();
		if (m.body && (m.body < buf + off || m.body + m.body_len > buf + off + r))
			abort();
		rewrite(&m);
		off += (size_t)r;
		if (off == size)
			break;
	}
	free(buf);
	return 0;
}
