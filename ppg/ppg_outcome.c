/*
 * ppg_outcome.c - SIP final responses to PAP results (OMA-TS-SIP_Push
 * Appendix D Table 3; README "SIP final response → PAP result").
 *
 *   SIP                               retry                 final state / code
 *   200, 202 (any 2xx)                -                     delivered / 1000
 *   400, 500, 503, 603, local 503     yes, attempt limit    undeliverable / 4000
 *                                                           (503: 4001; 603: aborted / 5000)
 *   408 (remote, or local timer F)    yes, deliver-before   timeout / 4000
 *   480, 404                          yes, attempt limit    undeliverable / 2003
 *   403                               no                    undeliverable / 2001
 *   604                               no                    undeliverable / 2003
 *   415, 488                          no                    undeliverable / 2005
 *   any other 4xx-6xx                 no                    undeliverable / 4000
 */
#include "ppg/ppg_outcome.h"

#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "pap/pap.h"

void ppg_outcome_ota(int ok, int retryable, int fail_code, int attempts, int64_t deliver_before,
    const struct ppg_retry_policy *pol, int64_t now, struct ppg_outcome *out)
{
	memset(out, 0, sizeof *out);
	out->limited = 1;
	if (ok) {
		out->kind = PPG_OUT_DELIVERED;
		out->state = DB_STATE_DELIVERED;
		out->code = PAP_OK;
		return;
	}
	out->state = DB_STATE_UNDELIVERABLE;
	out->code = retryable ? PAP_SERVICE_FAILURE : (fail_code ? fail_code : PAP_SERVICE_FAILURE);
	if (!retryable || attempts >= (int)pol->max_attempts) {
		out->kind = PPG_OUT_FINAL;
		return;
	}
	out->kind = PPG_OUT_RETRY;
	out->retry_at = now + ppg_outcome_backoff_ms(pol, attempts);
	if (deliver_before && out->retry_at >= deliver_before) {
		out->kind = PPG_OUT_FINAL;
		out->state = DB_STATE_EXPIRED;
	}
}

int64_t ppg_outcome_backoff_ms(const struct ppg_retry_policy *pol, int attempts)
{
	int64_t d = (int64_t)pol->retry_min_s * 1000;
	int64_t max = (int64_t)pol->retry_max_s * 1000;
	for (int i = 1; i < attempts && d < max; i++)
		d *= 2;
	return d > max ? max : d;
}

void ppg_outcome_sip(int status, const char *phrase, int local, int retry_after, int attempts,
    int64_t deliver_before, const struct ppg_retry_policy *pol, int64_t now, struct ppg_outcome *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->desc, sizeof out->desc, "SIP %d %s%s", status, phrase ? phrase : "",
	    local ? " (local)" : "");
	out->limited = 1;
	if (status >= 200 && status < 300) {
		out->kind = PPG_OUT_DELIVERED;
		out->state = DB_STATE_DELIVERED;
		out->code = PAP_OK;
		return;
	}
	out->kind = PPG_OUT_RETRY;
	switch (status) {
	case 400:
	case 500:
		out->state = DB_STATE_UNDELIVERABLE;
		out->code = PAP_SERVICE_FAILURE;
		break;
	case 503:
		out->state = DB_STATE_UNDELIVERABLE;
		out->code = local ? PAP_SERVICE_FAILURE : PAP_SERVICE_UNAVAILABLE;
		break;
	case 603:
		out->state = DB_STATE_ABORTED;
		out->code = PAP_CLIENT_ABORTED;
		break;
	case 408:
		out->state = DB_STATE_TIMEOUT;
		out->code = PAP_SERVICE_FAILURE;
		out->limited = 0;
		break;
	case 480:
	case 404:
		out->state = DB_STATE_UNDELIVERABLE;
		out->code = PAP_ADDRESS_NOT_FOUND;
		out->not_reachable = 1;
		break;
	case 403:
		out->kind = PPG_OUT_FINAL;
		out->state = DB_STATE_UNDELIVERABLE;
		out->code = PAP_FORBIDDEN;
		return;
	case 604:
		out->kind = PPG_OUT_FINAL;
		out->state = DB_STATE_UNDELIVERABLE;
		out->code = PAP_ADDRESS_NOT_FOUND;
		out->not_reachable = 1;
		return;
	case 415:
	case 488:
		out->kind = PPG_OUT_FINAL;
		out->state = DB_STATE_UNDELIVERABLE;
		out->code = PAP_CAPABILITIES_MISMATCH;
		return;
	default:
		out->kind = PPG_OUT_FINAL;
		out->state = DB_STATE_UNDELIVERABLE;
		out->code = PAP_SERVICE_FAILURE;
		return;
	}
	/* Retryable. A 408 is limited by deliver-before only, but a push without
	 * one must end too: then the attempt limit applies to it as well. */
	if (!deliver_before)
		out->limited = 1;
	if (out->limited && attempts >= (int)pol->max_attempts) {
		out->kind = PPG_OUT_FINAL;
		return;
	}
	int64_t delay = ppg_outcome_backoff_ms(pol, attempts);
	if (retry_after >= 0 && (int64_t)retry_after * 1000 > delay)
		delay = (int64_t)retry_after * 1000;
	out->retry_at = now + delay;
	if (deliver_before && out->retry_at >= deliver_before) {
		out->kind = PPG_OUT_FINAL;
		out->state = DB_STATE_EXPIRED;
		out->code = PAP_SERVICE_FAILURE;
		size_t l = strlen(out->desc);
		snprintf(out->desc + l, sizeof out->desc - l, "; deliver-before before the next try");
	}
}
