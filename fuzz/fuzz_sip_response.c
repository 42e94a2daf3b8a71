/*
 * fuzz_sip_response.c - libFuzzer target for a final response to a MESSAGE
 * as the SIP bearer reads it (sipbearer/sipb_parse.c): sofia-sip's parser,
 * then the Retry-After that the outcome table honours (503). The delay is
 * never negative. Build and run with scripts/fuzz.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sipbearer/sipb_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int r = sipb_response_retry_after((const char *)data, size);
	if (r < -2)
		abort();
	return 0;
}
