/*
 * sipb_msrp.c - MSRP framing (RFC 4975 §7, §9): the parser of requests and
 * responses from a byte stream (the writers: sipb_msrp_write.c). A pure
 * codec (sipb_msrp.h): no sockets, no sofia-sip, no logging, no allocation.
 *
 * The grammar (RFC 4975 §9), as this parser applies it:
 *   req-start  = "MSRP" SP transact-id SP method CRLF
 *   resp-start = "MSRP" SP transact-id SP status-code [SP comment] CRLF
 *   headers    = To-Path CRLF From-Path CRLF *( header CRLF )
 *   content-stuff = *(Other-Mime-header CRLF) Content-Type 2CRLF data CRLF
 *   end-line   = "-------" transact-id continuation-flag CRLF
 * Header names are matched without regard to case (a tolerance); unknown
 * headers (ext-header, Other-Mime-header) are skipped; a known header twice
 * is an error. Responses carry no body. The body is whatever lies between
 * the empty line and the CRLF before the end-line: the sender guarantees
 * that "-------" tid does not occur in it (§7.1), so the first occurrence
 * followed by a flag and CRLF ends the message. The parser does not compare
 * the Byte-Range with the body's length (the RFC's own §4 example does not
 * match); the session layer decides about that.
 */
#include "sipbearer/sipb_msrp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CRLF "\r\n"
#define BOUNDARY "-------"

/* ------------------------------------------------------------ parser */

static ssize_t fail(struct sipb_msrp_msg *m, const char *why)
{
	m->error = why;
	return -EBADMSG;
}

/* A prefix of a message: more bytes are needed, or (at EOF) an error. */
static ssize_t more(struct sipb_msrp_msg *m, int flags, const char *why)
{
	if (flags & MSRP_EOF)
		return fail(m, why);
	return 0;
}

static int is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

int sipb_msrp_is_ident(const char *s, size_t n)
{
	if (n < 4 || n > MSRP_TID_MAX || !is_alnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!is_alnum((unsigned char)s[i]) && !strchr(".-+%=", s[i]))
			return 0;
	return 1;
}

/* The CRLF ending the line at p (before end), or NULL. A bare CR or LF
 * inside the line is refused by the callers through *bad. */
static const char *line_end(const char *p, const char *end, int *bad)
{
	for (const char *q = p; q < end; q++) {
		if (*q == '\r') {
			if (q + 1 == end)
				return NULL;
			if (q[1] != '\n') {
				*bad = 1;
				return NULL;
			}
			return q;
		}
		if (*q == '\n') {
			*bad = 1;
			return NULL;
		}
	}
	return NULL;
}

/* 1*DIGIT into *v (no overflow). */
static int parse_u64(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	if (!n || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* Byte-Range = range-start "-" range-end "/" total; end and total may be "*". */
static const char *parse_range(struct sipb_msrp_msg *m, const char *v, size_t n)
{
	const char *dash = memchr(v, '-', n), *slash = memchr(v, '/', n);
	if (!dash || !slash || slash < dash)
		return "Byte-Range is not start-end/total";
	if (parse_u64(v, (size_t)(dash - v), &m->range_start) < 0 || m->range_start < 1)
		return "Byte-Range start is not a number from 1";
	size_t el = (size_t)(slash - dash - 1), tl = n - (size_t)(slash - v) - 1;
	if (el == 1 && dash[1] == '*')
		m->range_end = MSRP_STAR;
	else if (parse_u64(dash + 1, el, &m->range_end) < 0)
		return "Byte-Range end is not a number or *";
	if (tl == 1 && slash[1] == '*')
		m->range_total = MSRP_STAR;
	else if (parse_u64(slash + 1, tl, &m->range_total) < 0)
		return "Byte-Range total is not a number or *";
	if (m->range_end != MSRP_STAR && m->range_end + 1 < m->range_start)
		return "Byte-Range end is before its start";
	if (m->range_total != MSRP_STAR && m->range_end != MSRP_STAR && m->range_end > m->range_total)
		return "Byte-Range end is beyond the total";
	m->has_byte_range = 1;
	return NULL;
}

/* Status = namespace SP status-code [SP comment] */
static const char *parse_status(struct sipb_msrp_msg *m, const char *v, size_t n)
{
	if (n < 7 || !is_digit((unsigned char)v[0]) || !is_digit((unsigned char)v[1]) ||
	    !is_digit((unsigned char)v[2]) || v[3] != ' ' || !is_digit((unsigned char)v[4]) ||
	    !is_digit((unsigned char)v[5]) || !is_digit((unsigned char)v[6]) || (n > 7 && v[7] != ' '))
		return "Status is not namespace SP status-code [SP comment]";
	m->status_ns = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
	m->status_code = (v[4] - '0') * 100 + (v[5] - '0') * 10 + (v[6] - '0');
	if (n > 8) {
		m->status_comment.p = v + 8;
		m->status_comment.n = n - 8;
	}
	m->has_status = 1;
	return NULL;
}

static int value_is(const char *v, size_t n, const char *word)
{
	return strlen(word) == n && !memcmp(v, word, n);
}

/* One header line name ": " value; NULL or why it is wrong. *is_ct set for
 * Content-Type. index: 0 for the first header line. */
static const char *parse_header(struct sipb_msrp_msg *m, const char *p, size_t n, int index, int *is_ct)
{
	const char *colon = memchr(p, ':', n);
	if (!colon || colon == p)
		return "a header line has no name and colon";
	size_t nl = (size_t)(colon - p);
	for (size_t i = 0; i < nl; i++)
		if (!is_alnum((unsigned char)p[i]) && !strchr("-_.!%*+`'~", p[i]))
			return "a header name holds a character outside token";
	const char *v = colon + 1, *e = p + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	size_t vn = (size_t)(e - v);
	for (size_t i = 0; i < vn; i++)
		if ((unsigned char)v[i] < 0x20 && v[i] != '\t')
			return "a header value holds a control character";
#define NAME(s) (nl == sizeof s - 1 && !strncasecmp(p, s, nl))
	if (index == 0 && !NAME("To-Path"))
		return "the first header is not To-Path";
	if (index == 1 && !NAME("From-Path"))
		return "the second header is not From-Path";
	if (NAME("To-Path") || NAME("From-Path")) {
		struct sipb_msrp_str *s = NAME("To-Path") ? &m->to_path : &m->from_path;
		if (index > 1)
			return "To-Path or From-Path again";
		if (!vn)
			return "an empty To-Path or From-Path";
		s->p = v;
		s->n = vn;
	} else if (NAME("Message-ID")) {
		if (m->message_id.p)
			return "Message-ID twice";
		if (!sipb_msrp_is_ident(v, vn))
			return "Message-ID is not an ident";
		m->message_id.p = v;
		m->message_id.n = vn;
	} else if (NAME("Byte-Range")) {
		if (m->has_byte_range)
			return "Byte-Range twice";
		return parse_range(m, v, vn);
	} else if (NAME("Success-Report")) {
		if (m->success_report)
			return "Success-Report twice";
		if (value_is(v, vn, "yes"))
			m->success_report = MSRP_REP_YES;
		else if (value_is(v, vn, "no"))
			m->success_report = MSRP_REP_NO;
		else
			return "Success-Report is not yes or no";
	} else if (NAME("Failure-Report")) {
		if (m->failure_report)
			return "Failure-Report twice";
		if (value_is(v, vn, "yes"))
			m->failure_report = MSRP_REP_YES;
		else if (value_is(v, vn, "no"))
			m->failure_report = MSRP_REP_NO;
		else if (value_is(v, vn, "partial"))
			m->failure_report = MSRP_REP_PARTIAL;
		else
			return "Failure-Report is not yes, no or partial";
	} else if (NAME("Status")) {
		if (m->has_status)
			return "Status twice";
		return parse_status(m, v, vn);
	} else if (NAME("Content-Type")) {
		const char *slash = memchr(v, '/', vn);
		if (!vn || !slash || slash == v || slash + 1 == e)
			return "Content-Type is not type/subtype";
		m->content_type.p = v;
		m->content_type.n = vn;
		*is_ct = 1;
	}
#undef NAME
	return NULL;
}

/* The end-line at p ("-------" tid flag CRLF) of m; bytes it takes, 0 when
 * incomplete, -1 when wrong (why in *why). */
static ssize_t end_line(struct sipb_msrp_msg *m, const char *p, const char *end, const char **why)
{
	size_t need = sizeof BOUNDARY - 1 + m->tid.n + 3, have = (size_t)(end - p);
	size_t cmp = have < need - 3 ? have : need - 3;
	char want[sizeof BOUNDARY + MSRP_TID_MAX];
	memcpy(want, BOUNDARY, sizeof BOUNDARY - 1);
	memcpy(want + sizeof BOUNDARY - 1, m->tid.p, m->tid.n);
	if (memcmp(p, want, cmp)) {
		*why = cmp > sizeof BOUNDARY - 1 && !memcmp(p, BOUNDARY, sizeof BOUNDARY - 1) ?
		    "the end-line's transaction id is not the start line's" : "no end-line where one must be";
		return -1;
	}
	if (have < need)
		return 0;
	char f = p[need - 3];
	if (f != '$' && f != '+' && f != '#') {
		*why = "the end-line's continuation flag is not $, + or #";
		return -1;
	}
	if (p[need - 2] != '\r' || p[need - 1] != '\n') {
		*why = "the end-line does not end with CRLF";
		return -1;
	}
	m->flag = f;
	return (ssize_t)need;
}

ssize_t sipb_msrp_parse(const void *buf, size_t len, int flags, struct sipb_msrp_msg *m)
{
	const char *b = buf, *end = b + len, *p = b, *le;
	int bad = 0;

	memset(m, 0, sizeof *m);
	if (!len)
		return more(m, flags, "no bytes");
	if (!buf)
		return fail(m, "no buffer");
	/* start line */
	if (memcmp(b, "MSRP ", len < 5 ? len : 5))
		return fail(m, "does not start with \"MSRP \"");
	le = line_end(p, len > MSRP_MAX_HEADERS ? p + MSRP_MAX_HEADERS : end, &bad);
	if (bad)
		return fail(m, "a bare CR or LF in the start line");
	if (!le) {
		if (len >= MSRP_MAX_HEADERS)
			return fail(m, "the start line is too long");
		return more(m, flags, "truncated in the start line");
	}
	const char *t = p + 5, *sp = memchr(t, ' ', (size_t)(le - t));
	if (!sp)
		return fail(m, "the start line has no method or status after the transaction id");
	if (!sipb_msrp_is_ident(t, (size_t)(sp - t)))
		return fail(m, "the transaction id is not an ident (4 to 32 characters)");
	m->tid.p = t;
	m->tid.n = (size_t)(sp - t);
	const char *r = sp + 1;
	size_t rn = (size_t)(le - r);
	if (rn >= 3 && is_digit((unsigned char)r[0]) && is_digit((unsigned char)r[1]) &&
	    is_digit((unsigned char)r[2]) && (rn == 3 || r[3] == ' ')) {
		m->is_response = 1;
		m->status = (r[0] - '0') * 100 + (r[1] - '0') * 10 + (r[2] - '0');
		if (rn > 4) {
			m->comment.p = r + 4;
			m->comment.n = rn - 4;
			for (size_t i = 0; i < m->comment.n; i++)
				if ((unsigned char)m->comment.p[i] < 0x20 && m->comment.p[i] != '\t')
					return fail(m, "the comment holds a control character");
		}
	} else {
		if (!rn)
			return fail(m, "an empty method");
		for (size_t i = 0; i < rn; i++)
			if (r[i] < 'A' || r[i] > 'Z')
				return fail(m, "the method is not upper-case letters, nor a status 3 digits");
		m->method.p = r;
		m->method.n = rn;
		m->method_id = value_is(r, rn, "SEND") ? MSRP_SEND :
		    value_is(r, rn, "REPORT") ? MSRP_REPORT : MSRP_OTHER;
	}
	p = le + 2;

	/* headers, then the end-line or the content */
	int nh = 0, ct = 0;
	for (;;) {
		if ((size_t)(p - b) > MSRP_MAX_HEADERS)
			return fail(m, "the header section is too long");
		if (p == end)
			return more(m, flags, "truncated in the headers");
		if (*p == '-' && !ct) {
			if (nh < 2)
				return fail(m, "To-Path and From-Path are missing");
			const char *why = NULL;
			ssize_t n = end_line(m, p, end, &why);
			if (n < 0)
				return fail(m, why);
			if (n == 0)
				return more(m, flags, "truncated in the end-line");
			return (ssize_t)(p - b) + n;
		}
		le = line_end(p, end, &bad);
		if (bad)
			return fail(m, "a bare CR or LF in the headers");
		if (!le)
			return more(m, flags, "truncated in the headers");
		if (le == p) {   /* the empty line before the content */
			if (!ct)
				return fail(m, "an empty line without a Content-Type before it");
			p = le + 2;
			break;
		}
		if (ct)
			return fail(m, "Content-Type is not the last header before the empty line");
		const char *why = parse_header(m, p, (size_t)(le - p), nh, &ct);
		if (why)
			return fail(m, why);
		if (ct && m->is_response)
			return fail(m, "a response with a body");
		nh++;
		p = le + 2;
	}

	/* data CRLF end-line: the first "\r\n-------" tid followed by flag CRLF */
	m->body = (const unsigned char *)p;
	for (const char *q = p;;) {
		const char *cr = memchr(q, '\r', (size_t)(end - q));
		if (!cr || end - cr < 2) {
			if ((size_t)(end - b) >= MSRP_MAX_MESSAGE) {
				m->error = "the message is larger than this parser takes";
				return -EMSGSIZE;
			}
			return more(m, flags, "truncated in the body");
		}
		if (cr[1] == '\n') {
			const char *why = NULL;
			ssize_t n = end_line(m, cr + 2, end, &why);
			if (n > 0) {
				m->body_len = (size_t)(cr - p);
				if ((size_t)(cr + 2 + n - b) > MSRP_MAX_MESSAGE) {
					m->error = "the message is larger than this parser takes";
					return -EMSGSIZE;
				}
				return (ssize_t)(cr + 2 - b) + n;
			}
			if (n == 0)   /* a prefix of this message's end-line, or only of "-------" */
				return more(m, flags, "truncated in the end-line");
			/* the boundary with this tid but a bad flag: no sender writes that */
			size_t bl = sizeof BOUNDARY - 1 + m->tid.n;
			if ((size_t)(end - cr - 2) >= bl && !memcmp(cr + 2, BOUNDARY, sizeof BOUNDARY - 1) &&
			    !memcmp(cr + 2 + sizeof BOUNDARY - 1, m->tid.p, m->tid.n))
				return fail(m, why);
		}
		q = cr + 1;
	}
}

const char *sipb_msrp_header(const char *msg, size_t len, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	for (const char *p = msg; p && p < msg + len;) {
		const char *eol = memchr(p, '\n', (size_t)(msg + len - p));
		if (!eol)
			break;
		if ((size_t)(eol - p) > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			const char *e = eol;
			while (e > v && (e[-1] == '\r' || e[-1] == ' '))
				e--;
			*vlen = (size_t)(e - v);
			return v;
		}
		if (eol - p <= 1)
			break;   /* the end of the headers */
		p = eol + 1;
	}
	return NULL;
}

int sipb_msrp_auth_param(const char *v, size_t n, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i + nl < n; i++) {
		if ((i && v[i - 1] != ' ' && v[i - 1] != ',' && v[i - 1] != '\t') ||
		    strncasecmp(v + i, name, nl) || v[i + nl] != '=')
			continue;
		const char *p = v + i + nl + 1, *e;
		if (p < v + n && *p == '"') {
			p++;
			e = memchr(p, '"', (size_t)(v + n - p));
			if (!e)
				return -1;
		} else {
			e = p;
			while (e < v + n && *e != ',' && *e != ' ')
				e++;
		}
		if ((size_t)(e - p) >= cap)
			return -1;
		memcpy(out, p, (size_t)(e - p));
		out[e - p] = '\0';
		return 0;
	}
	return -1;
}
