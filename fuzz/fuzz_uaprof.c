/*
 * fuzz_uaprof.c - libFuzzer target for the capabilities entity (a UAProf
 * document, pap/pap_uaprof.c) as ppgd fetches it from a terminal's link: the
 * parser, the Push-Accept match, and the document ppgd writes from what it
 * read, which must parse again to the same lists. Build and run with
 * scripts/fuzz.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pap/pap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pap_uaprof u, back;

	if (pap_uaprof_parse((const char *)data, size, &u) != 0)
		return 0;
	if (u.naccept > PAP_UAPROF_MAX_LIST || u.npush_accept > PAP_UAPROF_MAX_LIST ||
	    u.nappids > PAP_UAPROF_MAX_LIST)
		abort();
	(void)pap_uaprof_accepts(&u, "application/vnd.wap.mms-message");
	size_t len = 0;
	char *doc = pap_uaprof_write("sip:fuzz@example.com", &u, &len);
	if (doc) {
		if (pap_uaprof_parse(doc, len, &back) != 0)
			abort();   /* what ppgd writes it must read back */
		if (back.nappids != u.nappids || back.npush_accept != u.npush_accept)
			abort();
		for (size_t i = 0; i < u.nappids; i++)
			if (strcmp(back.appids[i], u.appids[i]))
				abort();
		pap_uaprof_free(&back);
		free(doc);
	}
	pap_uaprof_free(&u);
	return 0;
}
