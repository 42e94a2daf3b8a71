/*
 * fuzz_pap.c - libFuzzer target for the PAP codec (pap/): the first byte
 * picks the decoder, the rest is its input. A decoded message must encode
 * and decode again. Build and run with scripts/fuzz.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pap/pap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t which = data[0] % 3;
	data++;
	size--;
	if (which == 0) {
		struct pap_msg *m = NULL;
		struct pap_error err;
		struct pap_limits lim = PAP_LIMITS_DEFAULT;
		if (pap_msg_decode((const char *)data, size, &lim, &m, &err) == 0) {
			size_t len = 0;
			char *xml = pap_msg_encode(m, &len);
			struct pap_msg *m2 = NULL;
			if (xml && pap_msg_decode(xml, len, &lim, &m2, &err) != 0)
				abort();   /* what ppgd writes it must read back */
			pap_msg_free(m2);
			free(xml);
		}
		pap_msg_free(m);
	} else if (which == 1) {
		/* Content-Type line, then a NUL, then the body. */
		const uint8_t *nul = memchr(data, 0, size);
		if (!nul)
			return 0;
		char *ct = strndup((const char *)data, (size_t)(nul - data));
		struct pap_mime mime = { 0 };
		const char *reason = NULL;
		if (ct && pap_mime_decode(ct, nul + 1, size - (size_t)(nul + 1 - data), &mime, &reason) == 0)
			pap_mime_free(&mime);
		free(ct);
	} else {
		char *s = strndup((const char *)data, size);
		struct pap_addr a, b;
		const char *reason = NULL;
		char buf[PAP_ADDR_VALUE_MAX * 3 + PAP_ADDR_PPG_MAX + 64];
		if (s && pap_addr_decode(s, &a, &reason) == 0) {
			if (pap_addr_encode(&a, buf, sizeof buf) < 0 || pap_addr_decode(buf, &b, &reason) != 0 ||
			    b.type != a.type || strcmp(b.value, a.value))
				abort();   /* decode(encode(a)) == a */
		}
		free(s);
	}
	return 0;
}
