/*
 * fuzz_sip_subscribe.c - libFuzzer target for a ua-profile SUBSCRIBE as the
 * SIP bearer reads it (sipbearer/sipb_subscribe.c through sipb_parse.c):
 * sofia-sip's parser, then the Event header's package, profile types,
 * event-app-id list and model link, P-Asserted-Identity, Expires and
 * Accept. The answer is 0 or one of the documented refusals; what is taken
 * is consistent. Build and run with scripts/fuzz.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipbearer/sipb_int.h"

#include <sofia-sip/sip_header.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ppgd parses with the extended message class (P-Asserted-Identity): so
 * does the target. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sip_update_default_mclass(sip_extend_mclass(NULL));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct sipb_subscription i;
	int rc = sipb_subscribe_parse(home, (const char *)data, size, &i);

	if (rc != 0 && rc != 400 && rc != 403 && rc != 423 && rc != 489 && rc != 500)
		abort();
	if (rc == 0) {
		if (!i.aor || !i.call_id || !i.remote_tag || i.expires < 0 || i.expires > 3600 ||
		    i.napps > sizeof i.apps / sizeof i.apps[0])
			abort();
		for (size_t k = 0; k < i.napps; k++)
			if (!sipb_is_event_app_id(i.apps[k], strlen(i.apps[k])))
				abort();
	}
	su_home_deinit(home);
	return 0;
}
