/*
 * sipb_parse.c - what the SIP bearer takes from a peer's bytes, without a
 * socket or nua: a REGISTER's bindings (Contacts, expiry, +sip.instance,
 * pub-gruu, the +g.oma.pusheventapp list), a ua-profile SUBSCRIBE's
 * enrolment (sipb_subscribe.c) and a response's Retry-After.
 * sipb_register.c and sipb_message.c use the same functions on what nua
 * parsed; the fuzz targets (fuzz/fuzz_sip_*.c) drive them from bytes.
 */
#include "sipbearer/sipb_int.h"

#include <limits.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_protos.h>

int sipb_retry_after(sip_t const *sip)
{
	if (!sip || !sip->sip_retry_after)
		return -1;
	/* delta-seconds may be any 1*DIGIT: clamped, never negative */
	return sip->sip_retry_after->af_delta > INT_MAX ? INT_MAX : (int)sip->sip_retry_after->af_delta;
}

/* The message of (data, len) parsed by sofia-sip's parser, or NULL. */
static msg_t *sipb_parse_msg(const char *data, size_t len)
{
	if (!data || !len || len > (size_t)INT_MAX)
		return NULL;
	msg_t *msg = msg_make(sip_default_mclass(), 0, data, (ssize_t)len);
	if (msg && !sip_object(msg)) {
		msg_destroy(msg);
		return NULL;
	}
	return msg;
}

int sipb_register_parse(su_home_t *home, const char *data, size_t len, struct sipb_binding *b)
{
	msg_t *msg = sipb_parse_msg(data, len);
	if (!msg)
		return -400;
	sip_t const *sip = sip_object(msg);
	int n = -400;
	if (sip->sip_request && sip->sip_request->rq_method == sip_method_register && sip->sip_to)
		n = sipb_register_bindings(home, sip, b);
	msg_destroy(msg);   /* the bindings' strings are copies in home */
	return n;
}

int sipb_subscribe_parse(su_home_t *home, const char *data, size_t len,
    struct sipb_subscription *i)
{
	msg_t *msg = sipb_parse_msg(data, len);
	if (!msg)
		return 400;
	sip_t const *sip = sip_object(msg);
	int rc = 400;
	if (sip->sip_request && sip->sip_request->rq_method == sip_method_subscribe)
		rc = sipb_subscribe_fill(home, sip, 60, 3600, i);
	msg_destroy(msg);   /* the strings are copies in home */
	return rc;
}

int sipb_response_retry_after(const char *data, size_t len)
{
	msg_t *msg = sipb_parse_msg(data, len);
	if (!msg)
		return -2;
	sip_t const *sip = sip_object(msg);
	int r = sip->sip_status ? sipb_retry_after(sip) : -2;
	msg_destroy(msg);
	return r;
}
