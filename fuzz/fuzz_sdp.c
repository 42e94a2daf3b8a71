/*
 * fuzz_sdp.c - libFuzzer target for what a terminal answers a session-mode
 * INVITE with (OMA-TS-SIP_Push §9.3; RFC 4975 §8): the SDP answer through
 * sipb_sdp_answer_parse (sofia-sip's sdp_parse, then the m=message media,
 * its a=path and a=max-size) and the MSRP URI splitter behind it. Checked:
 * a parsed answer's host is non-empty and NUL-terminated within its buffer,
 * its port 1..65535, and its path's first URI splits again to the same
 * host and port. Build and run with scripts/fuzz.sh sdp.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipbearer/sipb_sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sipb_sdp_answer a;
	char host[256];
	unsigned port = 0;
	int tls = 0;

	/* the URI splitter alone, on the raw bytes */
	if (sipb_msrp_uri_parse((const char *)data, size, host, sizeof host, &port, &tls) == 0 &&
	    (!host[0] || strlen(host) >= sizeof host || port == 0 || port > 65535))
		abort();
	if (sipb_sdp_answer_parse((const char *)data, size, &a) != 0)
		return 0;
	if (!a.host[0] || memchr(a.host, 0, sizeof a.host) == NULL || a.port == 0 || a.port > 65535 ||
	    memchr(a.path, 0, sizeof a.path) == NULL)
		abort();
	size_t ul = strcspn(a.path, " \t");
	if (sipb_msrp_uri_parse(a.path, ul, host, sizeof host, &port, &tls) != 0 ||
	    strcmp(host, a.host) || port != a.port)
		abort();
	return 0;
}
