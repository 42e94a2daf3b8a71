/*
 * ota_test_common.c - what the test_ota programs share (tests/ota_test_common.h).
 */
#include "tests/ota_test_common.h"

size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *h; h++) {
		int v;
		if (*h == ' ')
			continue;
		if (*h >= '0' && *h <= '9')
			v = *h - '0';
		else if ((*h | 0x20) >= 'a' && (*h | 0x20) <= 'f')
			v = (*h | 0x20) - 'a' + 10;
		else
			break;
		if (hi < 0) {
			hi = v;
		} else {
			if (n == cap)
				return 0;
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

char *vec(const char *rel, size_t *len)
{
	char *b = tu_read_file(tu_vector(rel), len);
	if (!b)
		fprintf(stderr, "cannot read %s\n", tu_vector(rel));
	CU_ASSERT_PTR_NOT_NULL(b);
	return b;
}

int same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen == blen && !memcmp(a, b, alen))
		return 1;
	fprintf(stderr, "\n  got  ");
	for (size_t i = 0; i < alen; i++)
		fprintf(stderr, "%02x", a[i]);
	fprintf(stderr, "\n  want ");
	for (size_t i = 0; i < blen; i++)
		fprintf(stderr, "%02x", b[i]);
	fprintf(stderr, "\n");
	return 0;
}

int streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	if (strcmp(a, b))
		fprintf(stderr, "\n  got  [%s]\n  want [%s]\n", a, b);
	return !strcmp(a, b);
}

size_t enc(const struct ota_push *p, uint8_t *out, size_t cap, int *rc)
{
	struct ota_buf b;
	const char *why;

	ota_buf_init(&b, out, cap);
	*rc = ota_push_encode(&b, p, &why);
	return b.len;
}

struct ota_push push0(const char *ct)
{
	struct ota_push p = { .content_type = ct, .push_flag = -1 };
	return p;
}

size_t reenc(const struct ota_push *d, uint8_t *out, size_t cap)
{
	struct ota_push q = *d;
	int rc;

	q.omit_wml_ua = false;
	size_t n = enc(&q, out, cap, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	return rc ? 0 : n;
}

size_t read_datagrams(struct dgram *g, size_t max)
{
	size_t len, n = 0;
	char *log = vec("ota/kannel_ppg_udp2948_datagrams.log", &len);

	for (char *l = log; l && *l && n < max; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
		char *from = strstr(l, "from 127.0.0.1:"), *hex = strstr(l, "hex=");
		char *eol = strchr(l, '\n');
		if (!from || !hex || (eol && hex > eol))
			continue;
		g[n].port = atoi(from + 15);
		g[n].len = unhex(hex + 4, g[n].b, sizeof g[n].b);
		n++;
	}
	free(log);
	return n;
}

size_t read_md_vectors(struct dgram *g, size_t max)
{
	size_t len, n = 0;
	char *md = vec("ota/kannel_vectors_decoded.md", &len);

	for (char *p = md ? strstr(md, "```\n") : NULL; p && n < max; p = strstr(p, "```\n")) {
		p += 4;
		g[n].port = 0;
		g[n].len = unhex(p, g[n].b, sizeof g[n].b);
		n++;
		if (!(p = strstr(p, "```")))
			break;
		p += 3;
	}
	free(md);
	return n;
}

size_t read_fakesmsc(struct ota_sms_segment *s, size_t max)
{
	size_t len, n = 0;
	char *txt = vec("ota/kannel_ppg_fakesmsc_sms_segments.txt", &len);

	for (char *l = txt; l && (l = strstr(l, "udh ")) && n < max; n++) {
		char *bar = strchr(l, '|'), *data = strstr(l, "\n  data ");
		if (!bar || !data)
			break;
		*bar = '\0';
		s[n].udh_len = unhex(l + 4, s[n].data, sizeof s[n].data);
		s[n].len = s[n].udh_len + unhex(data + 8, s[n].data + s[n].udh_len,
		    sizeof s[n].data - s[n].udh_len);
		l = data + 8;
	}
	free(txt);
	return n;
}
