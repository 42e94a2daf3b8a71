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

#include <sofia-sip/sip_header.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ppgd parses with the extended message class (P-Asserted-Identity and the
 * other headers of sip_extra.h, sipb.c): so does the target. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sip_update_default_mclass(sip_extend_mclass(NULL));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int r = sipb_response_retry_after((const char *)data, size);
	if (r < -2)
		abort();
	return 0;
}
