/*
 * fuzz_reginfo.c - libFuzzer target for the reginfo+xml decoder
 * (sipbearer/sipb_reginfo.c: RFC 3680 §5, RFC 5628 gruuinfo) as the bodies of
 * reg event NOTIFYs from the core reach it: the parser, its invariants (the
 * registrations' contact ranges, the bounds, the application lists), and the
 * version rules. Build and run with scripts/fuzz.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipbearer/sipb_reginfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sipb_reginfo ri;
	char why[160];

	if (sipb_reginfo_parse((const char *)data, size, &ri, why, sizeof why) != 0) {
		if (!why[0] || ri.contacts || ri.regs)
			abort();   /* a refusal says why and leaves nothing */
		return 0;
	}
	if (ri.nregs > SIPB_REGINFO_MAX_REGS || ri.ncontacts > SIPB_REGINFO_MAX_CONTACTS)
		abort();
	size_t sum = 0;
	for (size_t i = 0; i < ri.nregs; i++) {
		const struct sipb_reginfo_reg *g = &ri.regs[i];
		if (!g->aor || !g->id || g->first != sum || g->first + g->n > ri.ncontacts)
			abort();
		sum += g->n;
	}
	if (sum != ri.ncontacts)
		abort();
	for (size_t k = 0; k < ri.ncontacts; k++) {
		const struct sipb_reginfo_contact *c = &ri.contacts[k];
		if (!c->id || !c->uri || !*c->uri || c->napps > SIPB_REGINFO_MAX_APPS || c->q1000 > 1000)
			abort();
		for (size_t a = 0; a < c->napps; a++)
			if (!c->apps[a] || !*c->apps[a] || strchr(c->apps[a], ',') || strchr(c->apps[a], '"'))
				abort();
	}
	enum sipb_reginfo_verdict v = sipb_reginfo_check(1, ri.version, &ri);
	if (ri.state == SIPB_REGINFO_PARTIAL && v != SIPB_REGINFO_STALE)
		abort();
	if (ri.state == SIPB_REGINFO_FULL && v != SIPB_REGINFO_APPLY)
		abort();
	sipb_reginfo_free(&ri);
	return 0;
}
