/*
 * fuzz_aor.c - libFuzzer target for the AoR key (sipbearer/sipb_aor.c):
 * the To of a core's REGISTER and a push's address meet under it. The first
 * byte sizes the output buffer (1..256: every truncation path), the rest is
 * the URI. A normalized AoR normalizes to itself. Build and run with
 * scripts/fuzz.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipbearer/sipb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t outlen = (size_t)data[0] + 1;
	char *uri = malloc(size);
	char *out = malloc(outlen), *again = malloc(outlen);
	if (!uri || !out || !again)
		goto done;
	memcpy(uri, data + 1, size - 1);
	uri[size - 1] = '\0';
	if (sipb_aor_normalize(uri, out, outlen) == 0) {
		if (strlen(out) >= outlen)
			abort();
		if (sipb_aor_normalize(out, again, outlen) != 0 || strcmp(out, again))
			abort();   /* not idempotent: two keys for one AoR */
	}
done:
	free(uri);
	free(out);
	free(again);
	return 0;
}
