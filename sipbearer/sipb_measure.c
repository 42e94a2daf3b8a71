/*
 * sipb_measure.c - the size of a request as nua and nta will send it, on
 * which content indirection is decided (RFC 4483 §5; OMA-TS-SIP_Push
 * §8.2.2, Appendix C.2).
 *
 * Two ways to the same number. sipb_measure_encode builds and serializes a
 * whole msg_t with every header nua adds, encoded by the same printer with
 * nta's flags: the reference, but a message, its home, a parse of each
 * string header and a buffer per request. sipb_measure adds up the encoded
 * lengths of the headers one by one (msg_header_e into a stack buffer): the
 * agent's own headers (Via, Max-Forwards, User-Agent, Allow, Supported) are
 * measured once per agent, the request line, CSeq and Content-Length are
 * encoded from structs on the stack, so that a request costs no allocation
 * here. For what it does not know it asks sipb_measure_encode: a header
 * given as a string (SIPTAG_*_STR), several headers of one kind in a list
 * (the encoder may join them with commas), a Request-URI given as a string,
 * a header longer than the stack buffer. tests/test_sipb.c checks that the
 * two agree and that both are within a few bytes above the wire.
 */
#include "sipbearer/sipb_int.h"

#include <stdio.h>
#include <string.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_tag.h>

/*
 * The Via of the estimate: the transport name is one of UDP/TCP (both 3
 * letters), the host:port is the agent's own, and the branch token is
 * longer than the 13 characters nta 1.12.11 puts after "z9hG4bK", so the
 * estimate is not below what goes on the wire.
 */
#define SIPB_VIA_FMT "SIP/2.0/UDP %s;rport;branch=z9hG4bK%s"
#define SIPB_VIA_BRANCH "0123456789abcdefghijkl" /* 22 */
/* The CSeq of the estimate: the longest number. */
#define SIPB_CSEQ_MAX 4294967295U
/* The longest header sipb_measure encodes itself. */
#define SIPB_MEASURE_BUF 2048

size_t sipb_measure_encode(struct sipb *s, sip_method_t method, char const *name,
    url_string_t const *ruri, sip_payload_t const *pl, tagi_t const *tags)
{
	msg_t *msg = msg_create(sip_default_mclass(), s->msg_flags);
	sip_t *sip = sip_object(msg);
	su_home_t *mh;
	char via[512], cseq[64];
	issize_t n = -1;

	if (!msg)
		return 0;
	mh = msg_home(msg);
	snprintf(via, sizeof via, SIPB_VIA_FMT, s->via_host, SIPB_VIA_BRANCH);
	snprintf(cseq, sizeof cseq, "%u %s", SIPB_CSEQ_MAX, name);
	if (sip_add_tl(msg, sip,
	        SIPTAG_REQUEST(sip_request_create(mh, method, name, ruri, NULL)),
	        SIPTAG_VIA_STR(via),
	        SIPTAG_MAX_FORWARDS_STR("70"),
	        SIPTAG_CSEQ_STR(cseq),
	        TAG_IF(s->hdr_user_agent, SIPTAG_USER_AGENT_STR(s->hdr_user_agent)),
	        TAG_IF(s->hdr_allow, SIPTAG_ALLOW_STR(s->hdr_allow)),
	        TAG_IF(s->hdr_supported, SIPTAG_SUPPORTED_STR(s->hdr_supported)),
	        SIPTAG_CONTENT_LENGTH(sip_content_length_create(mh, pl ? (uint32_t)pl->pl_len : 0)),
	        SIPTAG_SEPARATOR(sip_separator_create(mh)),
	        TAG_NEXT(tags)) >= 0 &&
	    msg_serialize(msg, (msg_pub_t *)sip) >= 0)
		n = msg_prepare(msg);
	msg_destroy(msg);
	return n > 0 ? (size_t)n : 0;
}

/* Bytes of h encoded alone (name, value, CRLF) with flags; 0 when it does
 * not fit the stack buffer or cannot be encoded. */
static size_t sipb_header_len(int flags, msg_header_t const *h)
{
	char buf[SIPB_MEASURE_BUF];
	issize_t n = msg_header_e(buf, sizeof buf, h, flags);

	return n > 0 && (size_t)n < sizeof buf ? (size_t)n : 0;
}

/* The agent's own headers, as sipb_measure_encode puts them: once per
 * agent (they do not change once nua_r_get_params arrived). 0: failed. */
static size_t sipb_measure_fixed(struct sipb *s)
{
	su_home_t *home;
	char via[512];
	msg_header_t *h[5];
	size_t sum = 0, n;
	unsigned i, nh = 0;

	if (s->measure_fixed)
		return s->measure_fixed;
	if (!(home = su_home_new(sizeof *home)))
		return 0;
	snprintf(via, sizeof via, SIPB_VIA_FMT, s->via_host, SIPB_VIA_BRANCH);
	h[nh++] = (msg_header_t *)sip_via_make(home, via);
	h[nh++] = (msg_header_t *)sip_max_forwards_make(home, "70");
	if (s->hdr_user_agent)
		h[nh++] = (msg_header_t *)sip_user_agent_make(home, s->hdr_user_agent);
	if (s->hdr_allow)
		h[nh++] = (msg_header_t *)sip_allow_make(home, s->hdr_allow);
	if (s->hdr_supported)
		h[nh++] = (msg_header_t *)sip_supported_make(home, s->hdr_supported);
	for (i = 0; i < nh; i++) {
		/* a header that parses into a list is left to the encoder */
		if (!h[i] || h[i]->sh_next || !(n = sipb_header_len(s->msg_flags, h[i]))) {
			sum = 0;
			break;
		}
		sum += n;
	}
	su_home_unref(home);
	return s->measure_fixed = sum;
}

/* The headers of tags, one by one; 0 when one of them needs the encoder. */
static size_t sipb_measure_tags(int flags, tagi_t const *tags)
{
	tagi_t const *t;
	size_t sum = 0, n;

	for (t = tags; t && t->t_tag; t = tl_next(t)) {
		msg_header_t const *h = (msg_header_t const *)t->t_value;

		if (t->t_tag == tag_skip || t->t_tag == tag_next)
			continue;
		if (t->t_tag->tt_class == sipstrtag_class || t->t_tag->tt_class == sipmsgtag_class)
			return 0;
		if (t->t_tag->tt_class != siphdrtag_class || !h || h == MSG_HEADER_NONE)
			continue;       /* not a SIP header: sip_add_tl skips it too */
		if (h->sh_next)
			return 0;
		if (h->sh_class == sip_payload_class)
			n = ((sip_payload_t const *)h)->pl_len;
		else if (!(n = sipb_header_len(flags, h)))
			return 0;
		sum += n;
	}
	return sum;
}

/* sipb_measure without the fallback: 0 when the encoder must say. */
static size_t sipb_measure_sum(struct sipb *s, sip_method_t method, char const *name,
    url_string_t const *ruri, sip_payload_t const *pl, tagi_t const *tags)
{
	sip_request_t rq[1];
	sip_cseq_t cs[1];
	sip_content_length_t cl[1];
	sip_separator_t sep[1];
	size_t fixed, hdrs, line, cseq, clen, crlf;

	if (!ruri || URL_STRING_P(ruri) || !(fixed = sipb_measure_fixed(s)) ||
	    !(hdrs = sipb_measure_tags(s->msg_flags, tags)))
		return 0;
	sip_request_init(rq);
	rq->rq_method = method;
	rq->rq_method_name = name;
	*rq->rq_url = *ruri->us_url;
	rq->rq_version = SIP_VERSION_CURRENT;
	sip_cseq_init(cs);
	cs->cs_seq = SIPB_CSEQ_MAX;
	cs->cs_method = method;
	cs->cs_method_name = name;
	sip_content_length_init(cl);
	cl->l_length = pl ? (uint32_t)pl->pl_len : 0;
	sip_separator_init(sep);
	memcpy(sep->sep_data, "\r\n", 3);     /* as sip_separator_create() fills it */
	line = sipb_header_len(s->msg_flags, (msg_header_t *)rq);
	cseq = sipb_header_len(s->msg_flags, (msg_header_t *)cs);
	clen = sipb_header_len(s->msg_flags, (msg_header_t *)cl);
	crlf = sipb_header_len(s->msg_flags, (msg_header_t *)sep);
	if (!line || !cseq || !clen || !crlf)
		return 0;
	return fixed + hdrs + line + cseq + clen + crlf;
}

size_t sipb_measure(struct sipb *s, sip_method_t method, char const *name, url_string_t const *ruri,
    sip_payload_t const *pl, tagi_t const *tags)
{
	size_t n = sipb_measure_sum(s, method, name, ruri, pl, tags);

	if (n)
		return n;
	s->measure_encoded++;
	return sipb_measure_encode(s, method, name, ruri, pl, tags);
}
