/*
 * ppg_sip_addr.h - the SIP public identity a PAP address names (OMA-TS-SIP_Push
 * §6.1; the address table of the README): USER sip:/sips:/tel: URIs and
 * user@host, PLMN numbers through [sip] plmn_aor. [any]
 */
#ifndef PPG_SIP_ADDR_H
#define PPG_SIP_ADDR_H

#include <stddef.h>

#include "ppg/ppg_config.h"

/*
 * The target key of (type, value): an AoR key (sipb_aor_normalize), or a
 * GRUU key ("AoR;gr=...", sipb_gruu_normalize) when the address is a GRUU.
 * 0, or -EINVAL when SIP Push cannot reach such an address.
 */
int ppg_sip_addr_target(const struct ppg_config *cfg, int type, const char *value, char *out,
    size_t len);

#endif
