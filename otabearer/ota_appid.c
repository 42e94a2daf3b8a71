/*
 * ota_appid.c - OMNA Push Application IDs and the SIP Push event-app-id.
 *
 * Implements the X-Wap-Application-Id value space of WAP-235-PushOTA
 * §6.2.2.2 / WAP-230 §8.4.2.54 (URN or assigned code, OMNA "Push
 * Application ID" registry) and the +g.oma.pusheventapp
 * feature tag value of the OMA-CD-PUSH CR on ARI (§9.6 and its ABNF):
 * well-known applications drop the "x-wap-application:" /
 * "x-oma-application:" prefix, others keep the full registered URN.
 *
 * The table is tests/vectors/spec/omna_push_app_ids.csv compiled in (sources per row in
 * that file); regenerate with
 *   tail -n +2 omna_push_app_ids.csv | awk -F, '{printf "\t{ \"%s\", %s },\n", $1, $2}'
 */
#include "otabearer/ota.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct ota_appid ota_appids[] = {
	{ "x-wap-application:*", 0x00 },
	{ "x-wap-application:push.sia", 0x01 },
	{ "x-wap-application:wml.ua", 0x02 },
	{ "x-wap-application:wta.ua", 0x03 },
	{ "x-wap-application:mms.ua", 0x04 },
	{ "x-wap-application:push.syncml", 0x05 },
	{ "x-wap-application:loc.ua", 0x06 },
	{ "x-wap-application:syncml.dm", 0x07 },
	{ "x-wap-application:drm.ua", 0x08 },
	{ "x-wap-application:emn.ua", 0x09 },
	{ "x-wap-application:wv.ua", 0x0A },
	{ "x-oma-application:ulp.ua", 0x10 },
	{ "x-oma-application:dlota.ua", 0x11 },
	{ "x-oma-application:java-ams", 0x12 },
	{ "x-oma-application:bcast.ua", 0x13 },
	{ "x-oma-application:dpe.ua", 0x14 },
	{ "x-oma-application:cpm:ua", 0x15 },
	{ "x-wap-microsoft:localcontent.ua", 0x8000 },
	{ "x-wap-microsoft:IMclient.ua", 0x8001 },
	{ "x-wap-docomo:imode.mail.ua", 0x8002 },
	{ "x-wap-docomo:imode.mr.ua", 0x8003 },
	{ "x-wap-docomo:imode.mf.ua", 0x8004 },
	{ "x-motorola:location.ua", 0x8005 },
	{ "x-motorola:now.ua", 0x8006 },
	{ "x-motorola:otaprov.ua", 0x8007 },
	{ "x-motorola:browser.ua", 0x8008 },
	{ "x-motorola:splash.ua", 0x8009 },
	{ "x-wap-nai:mvsw.command", 0x800B },
	{ "x-wap-openwave:iota.ua", 0x8010 },
	{ "x-wap-docomo:imode.mail2.ua", 0x9000 },
	{ "x-oma-nec:otaprov.ua", 0x9001 },
	{ "x-oma-nokia:call.ua", 0x9002 },
	{ "x-oma-coremobility:sqa.ua", 0x9003 },
	{ "x-oma-docomo:doja.jam.ua", 0x9004 },
	{ "x-oma-nokia:sip.ua", 0x9010 },
	{ "x-oma-vodafone:otaprov.ua", 0x9011 },
	{ "x-hutchison:ad.ua", 0x9012 },
	{ "x-oma-nokia:voip.ua", 0x9013 },
	{ "x-oma-docomo:voice.ua", 0x9014 },
	{ "x-oma-docomo:browser.ctl", 0x9015 },
	{ "x-oma-docomo:dan.ua", 0x9016 },
	{ "x-oma-nokia:vs.ua", 0x9017 },
	{ "x-oma-nokia:voip.ext1.ua", 0x9018 },
	{ "x-wap-vodafone:casting.ua", 0x9019 },
	{ "x-oma-docomo:imode.data.ua", 0x901A },
	{ "x-oma-snapin:otaprov.ctl", 0x901B },
	{ "x-oma-nokia:vrs.ua", 0x901C },
	{ "x-oma-nokia:vrpg.ua", 0x901D },
	{ "x-oma-motorola:screen3.ua", 0x901E },
	{ "x-oma-docomo:device.ctl", 0x901F },
	{ "x-oma-nokia:msc.ua", 0x9020 },
	{ "x-3gpp2:lcs.ua", 0x9021 },
	{ "x-wap-vodafone:dcd.ua", 0x9022 },
	{ "x-3gpp:mbms.service.announcement.ua", 0x9023 },
	{ "x-oma-vodafone:dltmtbl.ua", 0x9024 },
	{ "x-oma-vodafone:dvcctl.ua", 0x9025 },
	{ "x-oma-cmcc:mail.ua", 0x9026 },
	{ "x-oma-nokia:vmb.ua", 0x9027 },
	{ "x-oma-nokia:ldapss.ua", 0x9028 },
	{ "x-hutchison:al.ua", 0x9029 },
	{ "x-oma-nokia:uma.ua", 0x902A },
	{ "x-oma-nokia:news.ua", 0x902B },
	{ "x-oma-docomo:pf", 0x902C },
	{ "x-oma-nokia:nat.traversal.ua", 0x902E },
	{ "x-oma-intromobile:intropad.ua", 0x902F },
	{ "x-oma-docomo:uin.ua", 0x9030 },
	{ "x-oma-nokia:iptv.ua", 0x9031 },
	{ "x-hutchison:il.ua", 0x9032 },
	{ "x-oma-nokia:voip.general.ua", 0x9033 },
	{ "x-microsoft:drm.meter", 0x9034 },
	{ "x-microsoft:drm.license", 0x9035 },
	{ "x-oma-docomo:ic.ctl", 0x9036 },
	{ "x-oma-slingmedia:SPM.ua", 0x9037 },
	{ "x-cibenix:odp.ua", 0x9038 },
	{ "x-oma-motorola:voip.ua", 0x9039 },
	{ "x-oma-motorola:ims", 0x903A },
	{ "x-oma-docomo:imode.remote.ctl", 0x903B },
	{ "x-oma-docomo:device.ctl.um", 0x903C },
	{ "x-microsoft:playready.drm.initiator", 0x903D },
	{ "x-microsoft:playready.drm", 0x903E },
	{ "x-oma-sbm:ms.mexa.ua", 0x903F },
	{ "x-oma-docomo:um", 0x9041 },
	{ "x-oma-docomo:uin.um", 0x9042 },
	{ "x-wap-microsoft:cfgmgr.ua", 0x9044 },
	{ "x-3gpp:mbms.download.delivery.ua", 0x9045 },
	{ "x-oma-docomo:star.ctl", 0x9046 },
	{ "x-oma-docomo:pf2", 0x9048 },
	{ "x-oma-motorola:blogcentral.ua", 0x9049 },
	{ "x-oma-docomo:imode.agent.ua", 0x904A },
	{ "x-oma-nokia:destination.network.ua", 0x904C },
	{ "x-oma-sbm:mid2.ua", 0x904D },
	{ "x-carrieriq:avm.ctl", 0x904E },
	{ "x-oma-sbm:ms.xml.ua", 0x904F },
	{ "urn:dvb:ipdc:notification:2008", 0x9050 },
	{ "x-oma-docomo:imode.mvch.ua", 0x9051 },
	{ "x-oma-motorola:webui.ua", 0x9052 },
	{ "x-oma-sbm:cid.ua", 0x9053 },
	{ "x-oma-nokia:vcc.v1.ua", 0x9054 },
	{ "x-oma-docomo:open.ctl", 0x9055 },
	{ "x-oma-docomo:sp.mail.ua", 0x9056 },
	{ "x-essoy-application:push.erace", 0x9057 },
	{ "x-oma-docomo:open.fu", 0x9058 },
	{ "x-samsung:osp.ua", 0x9059 },
	{ "x-oma-docomo:imode.mchara.ua", 0x905A },
	{ "x-oma-docomo:xmd.mail.ua", 0x905C },
	{ "x-oma-application:pal.ua", 0x905D },
	{ "x-oma-docomo:imode.relation.ua", 0x905E },
	{ "x-oma-docomo:xmd.storage.ua", 0x905F },
	{ "x-oma-docomo:xmd.lcsapp.ua", 0x9060 },
};

#define OTA_NAPPIDS (sizeof ota_appids / sizeof ota_appids[0])

static const char *const ota_wellknown_ns[] = { "x-wap-application:", "x-oma-application:" };

/* See ota.h. */
const struct ota_appid *ota_appid_by_urn(const char *urn)
{
	if (!urn)
		return NULL;
	for (size_t i = 0; i < OTA_NAPPIDS; i++)
		if (!strcasecmp(ota_appids[i].urn, urn))
			return &ota_appids[i];
	return NULL;
}

/* See ota.h. */
const struct ota_appid *ota_appid_by_code(uint32_t code)
{
	for (size_t i = 0; i < OTA_NAPPIDS; i++)
		if (ota_appids[i].code == code)
			return &ota_appids[i];
	return NULL;
}

/* "4", "0x04", "0X8000": 1 and *v when s is a number that fits 32 bits,
 * 0 when s is not a number, -1 when it is one but too large. */
static int ota_appid_number(const char *s, uint32_t *v)
{
	const char *p = s;
	unsigned base = 10;
	uint64_t n = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return 0;
	for (; *p; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			return 0;
		n = n * base + d;
		if (n > UINT32_MAX)
			return -1;
	}
	*v = (uint32_t)n;
	return 1;
}

/* See ota.h. */
int ota_appid_parse(const char *s, struct ota_appid_ref *r, const char **reason)
{
	const struct ota_appid *a;
	const char *dummy;
	uint32_t v;
	int rc;

	if (!reason)
		reason = &dummy;
	memset(r, 0, sizeof *r);
	if (!s || !*s) {
		*reason = "empty application id";
		return -EINVAL;
	}
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			*reason = "application id is not printable ASCII without spaces";
			return -EINVAL;
		}
	if ((rc = ota_appid_number(s, &v)) < 0) {
		*reason = "numeric application id above 0xFFFFFFFF";
		return -EINVAL;
	}
	if (rc > 0) {
		r->has_code = true;
		r->code = v;
		if ((a = ota_appid_by_code(v))) {
			r->urn = a->urn;
			r->known = true;
		}
		return 0;
	}
	if (strchr(s, ':')) {
		if ((a = ota_appid_by_urn(s))) {
			r->has_code = r->known = true;
			r->code = a->code;
			r->urn = a->urn;
		} else {
			r->urn = s;    /* unknown URN: goes as text */
		}
		return 0;
	}
	for (size_t i = 0; i < sizeof ota_wellknown_ns / sizeof ota_wellknown_ns[0]; i++) {
		size_t nl = strlen(ota_wellknown_ns[i]);
		for (size_t k = 0; k < OTA_NAPPIDS; k++) {
			if (strncasecmp(ota_appids[k].urn, ota_wellknown_ns[i], nl) ||
			    strcasecmp(ota_appids[k].urn + nl, s))
				continue;
			r->has_code = r->known = true;
			r->code = ota_appids[k].code;
			r->urn = ota_appids[k].urn;
			return 0;
		}
	}
	*reason = "application id short form not in the OMNA table";
	return -ENOENT;
}

/* See ota.h. */
bool ota_appid_event_app_id_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x21 || c > 0x7e || c == 0x22 || c == 0x2c)
			return false;
	}
	return true;
}

/* See ota.h. */
int ota_appid_pusheventapp(const char *s, char *out, size_t cap, const char **reason)
{
	struct ota_appid_ref r;
	const char *dummy, *v;
	int rc;

	if (!reason)
		reason = &dummy;
	if (cap)
		out[0] = '\0';
	if ((rc = ota_appid_parse(s, &r, reason)) < 0)
		return rc;
	if (!r.urn) {
		*reason = "numeric application id not in the OMNA table has no URN";
		return -ENOENT;
	}
	v = r.urn;
	if (r.known) {
		for (size_t i = 0; i < sizeof ota_wellknown_ns / sizeof ota_wellknown_ns[0]; i++) {
			size_t nl = strlen(ota_wellknown_ns[i]);
			if (!strncasecmp(v, ota_wellknown_ns[i], nl)) {
				v += nl;
				break;
			}
		}
	}
	if (!ota_appid_event_app_id_ok(v)) {
		*reason = "application id is not a valid event-app-id (quote, comma or space)";
		return -EINVAL;
	}
	if (strlen(v) + 1 > cap) {
		*reason = "event-app-id buffer too small";
		return -ENOSPC;
	}
	memcpy(out, v, strlen(v) + 1);
	return 0;
}
