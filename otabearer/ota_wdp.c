/*
 * ota_wdp.c - WDP over GSM SMS: segmentation and reassembly of a WSP PDU.
 *
 * Implements WAP-259-WDP-20010614-a §6.5 (GSM SMS adaptation) and Annex A
 * (WDP headers in the TP-User-Data Header): the 16-bit application port
 * addressing IE 0x05 (destination 2948 = WSP connectionless push, source
 * 9200 = WSP connectionless, Annex B port numbers), repeated in every
 * segment, and the concatenation IEs of 3GPP TS 23.040 §9.2.3.24.1
 * (IE 0x00, 8-bit reference) and §9.2.3.24.8 (IE 0x08, 16-bit reference).
 * 140 octets of 8-bit TP-UD per SMS.
 */
#include "otabearer/ota.h"

#include <errno.h>
#include <string.h>

#define WDP_IE_CONCAT8  0x00
#define WDP_IE_PORT16   0x05
#define WDP_IE_CONCAT16 0x08

/* See ota.h. */
size_t ota_wdp_segment_count(size_t len, bool ref16)
{
	size_t per = ref16 ? OTA_WDP_CONCAT16_PAYLOAD : OTA_WDP_CONCAT8_PAYLOAD;
	size_t n;

	if (!len)
		return 0;
	if (len <= OTA_WDP_SINGLE_PAYLOAD)
		return 1;
	n = (len + per - 1) / per;
	return n > OTA_WDP_MAX_SEGMENTS ? 0 : n;
}

/* See ota.h. */
int ota_wdp_segment(const uint8_t *pdu, size_t len, uint16_t ref, bool ref16,
    struct ota_sms_segment *segs, size_t max, size_t *nsegs)
{
	size_t n, per, off = 0;

	*nsegs = 0;
	if (!pdu || !len)
		return -EINVAL;
	if (!(n = ota_wdp_segment_count(len, ref16)))
		return -EMSGSIZE;
	if (n > max)
		return -ENOSPC;
	per = ref16 ? OTA_WDP_CONCAT16_PAYLOAD : OTA_WDP_CONCAT8_PAYLOAD;
	for (size_t i = 0; i < n; i++) {
		struct ota_sms_segment *s = &segs[i];
		uint8_t *d = s->data;
		size_t k = 1, chunk;

		d[k++] = WDP_IE_PORT16;
		d[k++] = 4;
		d[k++] = OTA_WDP_PORT_PUSH >> 8;
		d[k++] = OTA_WDP_PORT_PUSH & 0xff;
		d[k++] = OTA_WDP_PORT_WSP_CL >> 8;
		d[k++] = OTA_WDP_PORT_WSP_CL & 0xff;
		if (n > 1 && ref16) {
			d[k++] = WDP_IE_CONCAT16;
			d[k++] = 4;
			d[k++] = (uint8_t)(ref >> 8);
			d[k++] = (uint8_t)ref;
			d[k++] = (uint8_t)n;
			d[k++] = (uint8_t)(i + 1);
		} else if (n > 1) {
			d[k++] = WDP_IE_CONCAT8;
			d[k++] = 3;
			d[k++] = (uint8_t)ref;
			d[k++] = (uint8_t)n;
			d[k++] = (uint8_t)(i + 1);
		}
		d[0] = (uint8_t)(k - 1);    /* UDHL */
		chunk = n == 1 ? len : (len - off < per ? len - off : per);
		memcpy(d + k, pdu + off, chunk);
		off += chunk;
		s->udh_len = k;
		s->len = k + chunk;
	}
	*nsegs = n;
	return 0;
}

/* See ota.h. */
int ota_wdp_udh_parse(const uint8_t *msg, size_t len, struct ota_wdp_udh *udh,
    const char **reason)
{
	const char *dummy;
	bool port = false;
	size_t udhl, i;

	if (!reason)
		reason = &dummy;
	memset(udh, 0, sizeof *udh);
	if (!msg || !len) {
		*reason = "empty short message";
		return -EINVAL;
	}
	udhl = msg[0];
	if (udhl + 1 > len) {
		*reason = "UDH length runs past the end of the short message";
		return -EINVAL;
	}
	for (i = 1; i < udhl + 1;) {
		uint8_t iei, iel;
		const uint8_t *v;
		if (i + 2 > udhl + 1) {
			*reason = "truncated information element header";
			return -EINVAL;
		}
		iei = msg[i];
		iel = msg[i + 1];
		v = msg + i + 2;
		if (i + 2 + iel > udhl + 1) {
			*reason = "information element runs past the UDH";
			return -EINVAL;
		}
		switch (iei) {
		case WDP_IE_PORT16:
			if (iel != 4) {
				*reason = "port addressing IE 0x05 length is not 4";
				return -EINVAL;
			}
			if (port) {
				*reason = "duplicate port addressing IE";
				return -EINVAL;
			}
			port = true;
			udh->dst_port = (uint16_t)(v[0] << 8 | v[1]);
			udh->src_port = (uint16_t)(v[2] << 8 | v[3]);
			break;
		case WDP_IE_CONCAT8:
		case WDP_IE_CONCAT16:
			if (iel != (iei == WDP_IE_CONCAT8 ? 3 : 4)) {
				*reason = "concatenation IE has the wrong length";
				return -EINVAL;
			}
			if (udh->concat) {
				*reason = "duplicate concatenation IE";
				return -EINVAL;
			}
			udh->concat = true;
			udh->ref16 = iei == WDP_IE_CONCAT16;
			udh->ref = udh->ref16 ? (uint16_t)(v[0] << 8 | v[1]) : v[0];
			udh->total = v[iel - 2];
			udh->seq = v[iel - 1];
			if (!udh->total || !udh->seq || udh->seq > udh->total) {
				*reason = "concatenation total is 0 or sequence outside 1..total";
				return -EINVAL;
			}
			break;
		default:    /* TS 23.040 §9.2.3.24: ignore unknown IEs */
			break;
		}
		i += 2 + (size_t)iel;
	}
	if (!port) {
		*reason = "no 16-bit port addressing IE (0x05)";
		return -EINVAL;
	}
	udh->udh_len = udhl + 1;
	return 0;
}

/* See ota.h. */
int ota_wdp_reassemble(const struct ota_sms_segment *segs, size_t n, uint8_t *out,
    size_t cap, size_t *outlen, struct ota_wdp_udh *info, const char **reason)
{
	struct ota_wdp_udh u[OTA_WDP_MAX_SEGMENTS];
	size_t idx[OTA_WDP_MAX_SEGMENTS];
	const char *dummy;
	size_t total = 0;
	int rc;

	if (!reason)
		reason = &dummy;
	*outlen = 0;
	if (!segs || !n) {
		*reason = "no segments";
		return -EINVAL;
	}
	if (n > OTA_WDP_MAX_SEGMENTS) {
		*reason = "more than 255 segments";
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		if (segs[i].len > OTA_SMS_MAX_OCTETS) {
			*reason = "short message longer than 140 octets";
			return -EINVAL;
		}
		if ((rc = ota_wdp_udh_parse(segs[i].data, segs[i].len, &u[i], reason)) < 0)
			return rc;
		if (u[i].dst_port != OTA_WDP_PORT_PUSH || u[i].src_port != OTA_WDP_PORT_WSP_CL) {
			*reason = "ports are not 2948 (destination) and 9200 (source)";
			return -EINVAL;
		}
		if (u[i].udh_len >= segs[i].len) {
			*reason = "segment without payload";
			return -EINVAL;
		}
		if (n == 1 && !u[i].concat) {
			idx[0] = 0;
			break;
		}
		if (!u[i].concat) {
			*reason = "segment of a concatenated message without concatenation IE";
			return -EINVAL;
		}
		if (u[i].total != n) {
			*reason = u[i].total > n ? "missing segment" : "more segments than announced";
			return -EINVAL;
		}
		if (i && (u[i].ref != u[0].ref || u[i].ref16 != u[0].ref16 ||
		    u[i].total != u[0].total)) {
			*reason = "segments of different messages (reference or total differ)";
			return -EINVAL;
		}
		if (idx[u[i].seq - 1] != (size_t)-1) {
			*reason = "duplicate segment";
			return -EINVAL;
		}
		idx[u[i].seq - 1] = i;
	}
	for (size_t s = 0; s < n; s++) {
		const struct ota_sms_segment *g = &segs[idx[s]];
		size_t pl = g->len - u[idx[s]].udh_len;
		if (total + pl > cap) {
			*reason = "reassembled PDU does not fit the buffer";
			return -ENOSPC;
		}
		memcpy(out + total, g->data + u[idx[s]].udh_len, pl);
		total += pl;
	}
	*outlen = total;
	if (info)
		*info = u[0];
	return 0;
}
