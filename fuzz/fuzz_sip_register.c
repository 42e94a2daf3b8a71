/*
 * fuzz_sip_register.c - libFuzzer target for a core's third-party REGISTER
 * as the SIP bearer reads it (sipbearer/sipb_parse.c, sipb_register.c):
 * sofia-sip's parser, then the bindings: Contacts and the wildcard, Expires
 * (header and parameter), +sip.instance, pub-gruu, the +g.oma.pusheventapp
 * feature-tag list split into event-app-ids, the AoR of the To. Every
 * binding must come out well formed. Build and run with scripts/fuzz.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
	static struct sipb_binding b[SIPB_MAX_BINDINGS];
	su_home_t *home = su_home_new(sizeof *home);
	if (!home)
		return 0;
	int n = sipb_register_parse(home, (const char *)data, size, b);
	if (n > SIPB_MAX_BINDINGS)
		abort();
	for (int i = 0; i < n; i++) {
		if (!b[i].aor || !b[i].contact || b[i].expires < 0)
			abort();
		if (b[i].napps > sizeof b[i].apps / sizeof b[i].apps[0])
			abort();
		for (size_t j = 0; j < b[i].napps; j++)
			if (!sipb_is_event_app_id(b[i].apps[j], strlen(b[i].apps[j])))
				abort();
		if (b[i].wildcard && n != 1)
			abort();
	}
	su_home_unref(home);
	return 0;
}
