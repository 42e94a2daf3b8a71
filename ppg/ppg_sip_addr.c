/*
 * ppg_sip_addr.c - the SIP public identity a PAP address names, for the SIP
 * bearer's targets and the answers to ccq-messages. [any]
 */
#include "ppg/ppg_sip_addr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pap/pap.h"
#include "sipbearer/sipb.h"

int ppg_sip_addr_target(const struct ppg_config *cfg, int type, const char *value, char *out,
    size_t len)
{
	char buf[600];

	switch (type) {
	case PAP_ADDR_USER:
		if (!strncasecmp(value, "sip:", 4) || !strncasecmp(value, "sips:", 5) ||
		    !strncasecmp(value, "tel:", 4))
			snprintf(buf, sizeof buf, "%s", value);
		else if (strchr(value, '@'))
			snprintf(buf, sizeof buf, "sip:%s", value);   /* user@domain: a SIP identity */
		else
			return -EINVAL;
		break;
	case PAP_ADDR_PLMN: {
		/* plmn_aor holds exactly one "%s" (checked when the config is read). */
		const char *pat = cfg->sip_plmn_aor, *pct = strstr(pat, "%s");
		if (!pct)
			return -EINVAL;
		snprintf(buf, sizeof buf, "%.*s%s%s", (int)(pct - pat), pat, value, pct + 2);
		break;
	}
	default:
		return -EINVAL;
	}
	/* A GRUU names one terminal (RFC 5627; OMA-TS-SIP_Push §9.1.2 items 7
	 * and 11): the target keeps its gr parameter ("AoR;gr=..."). */
	if (strncasecmp(buf, "tel:", 4)) {   /* a tel: URI names no terminal */
		int r = sipb_gruu_normalize(buf, out, len);
		if (r != -ENOENT)
			return r;
	}
	return sipb_aor_normalize(buf, out, len);
}
