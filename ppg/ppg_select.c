/*
 * ppg_select.c - which bearer a delivery takes.
 *
 *  1. Candidates by address type: a SIP identity (USER sip:/sips:/tel: or
 *     user@host, and PLMN numbers) -> SIP Push; PLMN -> also SMS;
 *     IPv4 / IPv6 -> UDP.
 *  2. Quality of service (PAP §6.3.2): network-required with a network the
 *     operator does not reach -> 3009; bearer-required keeps only the
 *     candidates that provide that bearer, none left -> 3010; delivery-method
 *     confirmed keeps only SIP Push (the only confirmed bearer), none left ->
 *     3007; preferconfirmed takes SIP Push when it is live, else unconfirmed.
 *  3. Order: SIP Push when a live registration supports the application;
 *     else, for PLMN, SMS when the operator allows the migration fallback;
 *     else SIP Push (which waits for a registration or fails, per config);
 *     else the remaining OTA candidate.
 */
#include "ppg/ppg_select.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pap/pap.h"

const char *ppg_select_bearer_name(int bearer)
{
	switch (bearer) {
	case PPG_BEARER_SIP: return "sip";
	case PPG_BEARER_UDP: return "udp";
	case PPG_BEARER_SMS: return "sms";
	default: return NULL;
	}
}

int ppg_select_name_in_list(const char *list, const char *name)
{
	size_t nl;
	while (name && isspace((unsigned char)*name))
		name++;
	if (!list || !name || !*name)
		return 0;
	nl = strlen(name);
	while (nl && isspace((unsigned char)name[nl - 1]))
		nl--;
	for (const char *s = list; *s;) {
		while (*s == ',' || isspace((unsigned char)*s))
			s++;
		const char *e = strchr(s, ',');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		while (l && isspace((unsigned char)s[l - 1]))
			l--;
		if (l && l == nl && !strncasecmp(s, name, nl))
			return 1;
		if (!e)
			break;
		s = e + 1;
	}
	return 0;
}

static int provides(const struct ppg_select_in *in, enum ppg_bearer_kind b)
{
	if (!in->bearer_required || !in->bearer || !*in->bearer || !strcasecmp(in->bearer, "Any"))
		return 1;
	const char *list = b == PPG_BEARER_SIP ? in->sip_bearers : b == PPG_BEARER_UDP ? in->ip_bearers
	    : in->sms_bearers;
	return ppg_select_name_in_list(list, in->bearer);
}

void ppg_select(const struct ppg_select_in *in, struct ppg_select_out *out)
{
	int sip = 0, udp = 0, sms = 0;

	memset(out, 0, sizeof *out);
	if (in->sip_target && in->sip_enabled)
		sip = 1;
	if (in->addr_type == PAP_ADDR_PLMN && in->sms_enabled)
		sms = 1;
	if ((in->addr_type == PAP_ADDR_IPV4 || in->addr_type == PAP_ADDR_IPV6) && in->udp_enabled)
		udp = 1;
	if (!sip && !udp && !sms) {
		snprintf(out->why, sizeof out->why, "no bearer is configured for this address type");
		return;
	}
	if (in->network_required && in->network && *in->network && strcasecmp(in->network, "Any") &&
	    !ppg_select_name_in_list(in->networks, in->network)) {
		out->code = PAP_NETWORK_NOT_AVAIL;
		snprintf(out->why, sizeof out->why, "required network \"%s\" is not available", in->network);
		return;
	}
	sip = sip && provides(in, PPG_BEARER_SIP);
	udp = udp && provides(in, PPG_BEARER_UDP);
	sms = sms && provides(in, PPG_BEARER_SMS);
	if (!sip && !udp && !sms) {
		out->code = PAP_BEARER_NOT_AVAIL;
		snprintf(out->why, sizeof out->why, "required bearer \"%s\" is not available", in->bearer);
		return;
	}
	if (in->delivery_method == PAP_DM_CONFIRMED) {
		udp = sms = 0;
		if (!sip) {
			out->code = PAP_DELIVERY_METHOD_NOT_POSS;
			snprintf(out->why, sizeof out->why,
			    "confirmed delivery asked, but only unconfirmed Push OTA reaches this address");
			return;
		}
	}
	if (sip && in->sip_live) {
		out->bearer = PPG_BEARER_SIP;
		snprintf(out->why, sizeof out->why, "bearer SIP: a registration supports the application");
	} else if (sms && (in->plmn_fallback || !sip)) {
		out->bearer = PPG_BEARER_SMS;
		snprintf(out->why, sizeof out->why, "bearer OTA/SMS: %s", sip ?
		    "no live SIP registration supports the application" : "SMS is this address's bearer");
	} else if (sip) {
		out->bearer = PPG_BEARER_SIP;
		snprintf(out->why, sizeof out->why, "bearer SIP: no live registration yet");
	} else {
		out->bearer = PPG_BEARER_UDP;
		snprintf(out->why, sizeof out->why, "bearer OTA/UDP: an IP address");
	}
	if (in->delivery_method == PAP_DM_PREFERCONFIRMED && out->bearer != PPG_BEARER_SIP) {
		size_t l = strlen(out->why);
		snprintf(out->why + l, sizeof out->why - l, " (unconfirmed: preferconfirmed falls back)");
	}
}
