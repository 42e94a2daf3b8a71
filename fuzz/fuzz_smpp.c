/*
 * fuzz_smpp.c - libFuzzer target for what the SMSC sends ppgd: SMPP PDU
 * headers, submit_sm_resp, query_sm_resp, deliver_sm and delivery receipts (smpp/smpp_pdu.c
 * over libsmpp34). Build and run with scripts/fuzz.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smpp/smpp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smpp_hdr h;
	const char *reason = NULL;
	char id[128], stat[32];

	/* The client hands the unpackers whole PDUs (command_length octets)
	 * followed by a NUL, as its receive buffer does (smpp/smpp_in.c). */
	if (size < 16 || smpp_hdr_read(data, size, &h) < 0 || h.len != size)
		return 0;
	uint8_t *pdu = malloc(size + 1);
	if (!pdu)
		return 0;
	memcpy(pdu, data, size);
	pdu[size] = '\0';
	smpp_unpack_submit_resp(pdu, size, id, sizeof id, &reason);
	int state = -1, error = 0;
	if (smpp_unpack_query_resp(pdu, size, id, sizeof id, &state, &error, &reason) == 0) {
		const char *word = NULL;
		int r = smpp_state_receipt(state, &word);
		if (!word || r < SMPP_RCPT_PENDING || r > SMPP_RCPT_DELIVERED)
			abort();
	}
	struct smpp_deliver d;
	if (smpp_unpack_deliver(pdu, size, &d, &reason) == 0)
		smpp_receipt_parse(&d, id, sizeof id, stat, sizeof stat);
	free(pdu);
	return 0;
}
