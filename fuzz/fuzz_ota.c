/*
 * fuzz_ota.c - libFuzzer target for the Push OTA codec (otabearer/): WSP
 * push PDUs, WBXML documents and WDP SMS segments, picked by the first byte.
 * Build and run with scripts/fuzz.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "otabearer/ota.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[1 << 17];
	const char *reason = NULL;

	if (size < 1)
		return 0;
	uint8_t which = data[0] % 3;
	data++;
	size--;
	if (which == 0) {
		struct ota_push p;
		if (ota_push_decode(data, size, &p, &reason) == 0)
			ota_push_release(&p);
	} else if (which == 1) {
		struct ota_buf b;
		ota_buf_init(&b, out, sizeof out);
		ota_wbxml_decode(&b, data, size, NULL, &reason);
	} else {
		/* up to 8 segments of up to 140 octets, each length-prefixed */
		struct ota_sms_segment segs[8];
		size_t n = 0;
		while (size && n < 8) {
			size_t l = data[0] % (OTA_SMS_MAX_OCTETS + 1);
			data++;
			size--;
			if (l > size)
				l = size;
			memcpy(segs[n].data, data, l);
			segs[n].len = l;
			segs[n].udh_len = 0;
			struct ota_wdp_udh udh;
			ota_wdp_udh_parse(segs[n].data, l, &udh, &reason);
			data += l;
			size -= l;
			n++;
		}
		size_t outlen = 0;
		struct ota_wdp_udh info;
		ota_wdp_reassemble(segs, n, out, sizeof out, &outlen, &info, &reason);
	}
	return 0;
}
