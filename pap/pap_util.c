/*
 * pap_util.c - PAP status codes, versions, timestamps and message states.
 *
 * Implements WAP-247-PAP-20010429-a §9.13 (status codes), §9.2 (the
 * "YYYY-MM-DDThh:mm:ssZ" datetime format, always UTC) and the message-state
 * values of §9.8 / OMA-WAP-PAP-V2_1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* timegm */
#endif
#include "pap/pap.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static const struct {
	int code;
	const char *desc;
} pap_codes[] = {
	{ PAP_OK, "OK" },
	{ PAP_ACCEPTED, "Accepted for processing" },
	{ PAP_BAD_REQUEST, "Bad request" },
	{ PAP_FORBIDDEN, "Forbidden" },
	{ PAP_ADDRESS_ERROR, "Address error" },
	{ PAP_ADDRESS_NOT_FOUND, "Address not found" },
	{ PAP_PUSH_ID_NOT_FOUND, "Push ID not found" },
	{ PAP_CAPABILITIES_MISMATCH, "Capabilities mismatch" },
	{ PAP_REQUIRED_CAPS_NOT_SUPP, "Required capabilities not supported" },
	{ PAP_DUPLICATE_PUSH_ID, "Duplicate push ID" },
	{ PAP_CANCEL_NOT_POSSIBLE, "Cancellation not possible" },
	{ PAP_INTERNAL_ERROR, "Internal server error" },
	{ PAP_NOT_IMPLEMENTED, "Not implemented" },
	{ PAP_VERSION_NOT_SUPPORTED, "Version not supported" },
	{ PAP_NOT_POSSIBLE, "Not possible" },
	{ PAP_CAP_MATCHING_NOT_SUPP, "Capability matching not supported" },
	{ PAP_MULTIPLE_ADDR_NOT_SUPP, "Multiple addresses not supported" },
	{ PAP_TRANSFORMATION_FAILURE, "Transformation failure" },
	{ PAP_DELIVERY_METHOD_NOT_POSS, "Specified delivery method not possible" },
	{ PAP_CAPABILITIES_NOT_AVAIL, "Capabilities not available" },
	{ PAP_NETWORK_NOT_AVAIL, "Required network not available" },
	{ PAP_BEARER_NOT_AVAIL, "Required bearer not available" },
	{ PAP_REPLACEMENT_NOT_SUPP, "Replacement not supported" },
	{ PAP_SERVICE_FAILURE, "Service failure" },
	{ PAP_SERVICE_UNAVAILABLE, "Service unavailable" },
	{ PAP_CLIENT_ABORTED, "Mobile client aborted" },
};

/*
 * Returns the standard description of a PAP status code. Codes that are not
 * listed fall back to the description of their class (x000), which is what
 * WAP-247 §9.13 prescribes for implementation-specific codes; "Unknown" for
 * codes outside 1000..5999. The string is static.
 */
const char *pap_code_desc(int code)
{
	for (size_t i = 0; i < sizeof pap_codes / sizeof pap_codes[0]; i++)
		if (pap_codes[i].code == code)
			return pap_codes[i].desc;
	switch (code / 1000) {
	case 1: return "OK";
	case 2: return "Bad request";
	case 3: return "Internal server error";
	case 4: return "Service failure";
	case 5: return "Mobile client aborted";
	default: return "Unknown";
	}
}

/* Returns "1.0", "2.0" or "2.1"; "unknown" for any other value. Static. */
const char *pap_version_str(enum pap_version v)
{
	switch (v) {
	case PAP_V1_0: return "1.0";
	case PAP_V2_0: return "2.0";
	case PAP_V2_1: return "2.1";
	}
	return "unknown";
}

/* Parses exactly n decimal digits at s into *out; 0 or -1. */
static int pap_digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int pap_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/*
 * Parses a PAP datetime "YYYY-MM-DDThh:mm:ssZ" (exactly 20 characters, UTC).
 * Every field is range checked (month 1..12, day within the month, hour
 * 0..23, minute 0..59, second 0..60 for a leap second, year 1970..9999).
 * Returns 0 and sets *out, or -EINVAL (s NULL or malformed).
 */
int pap_time_decode(const char *s, time_t *out)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, se;
	struct tm tm;

	if (!s || !out || strlen(s) != 20)
		return -EINVAL;
	if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    s[19] != 'Z')
		return -EINVAL;
	if (pap_digits(s, 4, &y) || pap_digits(s + 5, 2, &mo) || pap_digits(s + 8, 2, &d) ||
	    pap_digits(s + 11, 2, &h) || pap_digits(s + 14, 2, &mi) ||
	    pap_digits(s + 17, 2, &se))
		return -EINVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 60)
		return -EINVAL;
	if (d > mdays[mo - 1] + (mo == 2 && pap_leap(y)))
		return -EINVAL;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*out = t;
	return 0;
}

/* Writes t as "YYYY-MM-DDThh:mm:ssZ" (UTC) into buf, which holds 21 bytes.
 * A time outside 1970..9999 is written as the epoch. */
void pap_time_encode(time_t t, char buf[21])
{
	struct tm tm;

	if (t < 0 || !gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 ||
	    strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		memcpy(buf, "1970-01-01T00:00:00Z", 21);
}

static const char *const pap_states[] = {
	[PAP_STATE_UNKNOWN] = "unknown",
	[PAP_STATE_PENDING] = "pending",
	[PAP_STATE_DELIVERED] = "delivered",
	[PAP_STATE_UNDELIVERABLE] = "undeliverable",
	[PAP_STATE_EXPIRED] = "expired",
	[PAP_STATE_ABORTED] = "aborted",
	[PAP_STATE_TIMEOUT] = "timeout",
	[PAP_STATE_CANCELLED] = "cancelled",
	[PAP_STATE_REJECTED] = "rejected",
};

/* Returns the message-state keyword of s ("pending", ...); "unknown" for
 * values outside the enumeration. Static. */
const char *pap_state_str(enum pap_state s)
{
	if ((unsigned)s < sizeof pap_states / sizeof pap_states[0])
		return pap_states[s];
	return "unknown";
}

/* Parses a message-state keyword (exact, lower case as in the DTD).
 * Returns 0 and sets *out, or -EINVAL. */
int pap_state_decode(const char *s, enum pap_state *out)
{
	if (!s || !out)
		return -EINVAL;
	for (size_t i = 0; i < sizeof pap_states / sizeof pap_states[0]; i++) {
		if (!strcmp(s, pap_states[i])) {
			*out = (enum pap_state)i;
			return 0;
		}
	}
	return -EINVAL;
}
