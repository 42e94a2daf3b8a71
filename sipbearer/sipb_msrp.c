/*
 * sipb_msrp.c - MSRP framing (RFC 4975 §7, §9): the parser of requests and
 * responses from a byte stream, and the writers of SEND chunks, REPORTs and
 * responses. A pure codec (sipb_msrp.h): no sockets, no sofia-sip, no
 * logging, no allocation.
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

static ssize_t fail(struct msrp_msg *m, const char *why)
{
	m->error = why;
	return -EBADMSG;
}

/* A prefix of a message: more bytes are needed, or (at EOF) an error. */
static ssize_t more(struct msrp_msg *m, int flags, const char *why)
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

/* ident = ALPHANUM 3*31ident-char; ident-char = ALPHANUM / "." / "-" / "+" / "%" / "=" */
static int is_ident(const char *s, size_t n)
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
static const char *parse_range(struct msrp_msg *m, const char *v, size_t n)
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
static const char *parse_status(struct msrp_msg *m, const char *v, size_t n)
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
static const char *parse_header(struct msrp_msg *m, const char *p, size_t n, int index, int *is_ct)
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
		struct msrp_str *s = NAME("To-Path") ? &m->to_path : &m->from_path;
		if (index > 1)
			return "To-Path or From-Path again";
		if (!vn)
			return "an empty To-Path or From-Path";
		s->p = v;
		s->n = vn;
	} else if (NAME("Message-ID")) {
		if (m->message_id.p)
			return "Message-ID twice";
		if (!is_ident(v, vn))
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
static ssize_t end_line(struct msrp_msg *m, const char *p, const char *end, const char **why)
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

ssize_t msrp_parse(const void *buf, size_t len, int flags, struct msrp_msg *m)
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
	if (!is_ident(t, (size_t)(sp - t)))
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

/* ------------------------------------------------------------ writers */

struct wbuf {
	char *p;
	size_t cap, n;
	int full;
};

static void put(struct wbuf *w, const void *s, size_t n)
{
	if (w->full || w->cap - w->n < n) {
		w->full = 1;
		return;
	}
	memcpy(w->p + w->n, s, n);
	w->n += n;
}

static void puts_(struct wbuf *w, const char *s)
{
	put(w, s, strlen(s));
}

static void putu(struct wbuf *w, uint64_t v)
{
	char t[24];
	int n = snprintf(t, sizeof t, "%llu", (unsigned long long)v);
	put(w, t, (size_t)n);
}

static void put_range(struct wbuf *w, uint64_t start, uint64_t end, uint64_t total)
{
	puts_(w, "Byte-Range: ");
	putu(w, start);
	puts_(w, "-");
	if (end == MSRP_STAR)
		puts_(w, "*");
	else
		putu(w, end);
	puts_(w, "/");
	if (total == MSRP_STAR)
		puts_(w, "*");
	else
		putu(w, total);
	puts_(w, CRLF);
}

/* A header value: non-empty, no control characters. */
static int ok_value(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return 0;
	return 1;
}

static ssize_t done(struct wbuf *w)
{
	return w->full ? -ENOSPC : (ssize_t)w->n;
}

/* Does "-------" tid occur in data? */
static int boundary_in(const void *data, size_t len, const char *tid)
{
	char bnd[sizeof BOUNDARY + MSRP_TID_MAX];
	size_t bl = (size_t)snprintf(bnd, sizeof bnd, BOUNDARY "%s", tid);
	const char *d = data;
	for (size_t i = 0; len >= bl && i <= len - bl; i++) {
		const char *h = memchr(d + i, '-', len - bl - i + 1);
		if (!h)
			return 0;
		i = (size_t)(h - d);
		if (!memcmp(h, bnd, bl))
			return 1;
	}
	return 0;
}

static uint64_t rng_next(struct msrp_rng *r)
{
	/* xorshift64* */
	uint64_t x = r->s ? r->s : 0x9E3779B97F4A7C15ULL;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

int msrp_tid_choose(struct msrp_rng *r, const void *body, size_t len, char tid[MSRP_TID_MAX + 1])
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	for (int attempt = 0; attempt < 64; attempt++) {
		uint64_t x = rng_next(r);
		size_t n = 8 + (size_t)(attempt / 16);   /* longer after collisions */
		for (size_t i = 0; i < n; i++) {
			if (i == 8)
				x = rng_next(r);
			tid[i] = al[x % 36];
			x /= 36;
		}
		tid[n] = '\0';
		if (!boundary_in(body, len, tid))
			return 0;
	}
	return -EAGAIN;
}

/* The transaction id to use: the caller's (checked) or one chosen. */
static int pick_tid(const char *given, struct msrp_rng *rng, const void *body, size_t len,
    char tid[MSRP_TID_MAX + 1])
{
	if (given) {
		if (!is_ident(given, strlen(given)))
			return -EINVAL;
		if (boundary_in(body, len, given))
			return -EEXIST;
		memcpy(tid, given, strlen(given) + 1);
		return 0;
	}
	if (!rng)
		return -EINVAL;
	return msrp_tid_choose(rng, body, len, tid);
}

static void start_request(struct wbuf *w, const char *tid, const char *method, const char *to,
    const char *from)
{
	puts_(w, "MSRP ");
	puts_(w, tid);
	puts_(w, " ");
	puts_(w, method);
	puts_(w, CRLF "To-Path: ");
	puts_(w, to);
	puts_(w, CRLF "From-Path: ");
	puts_(w, from);
	puts_(w, CRLF);
}

static void put_end(struct wbuf *w, const char *tid, char flag)
{
	puts_(w, BOUNDARY);
	puts_(w, tid);
	put(w, &flag, 1);
	puts_(w, CRLF);
}

static const char *report_word(enum msrp_report r)
{
	return r == MSRP_REP_YES ? "yes" : r == MSRP_REP_NO ? "no" : r == MSRP_REP_PARTIAL ? "partial" : NULL;
}

ssize_t msrp_write_send(char *out, size_t cap, const struct msrp_send *s, struct msrp_rng *rng,
    char tid_out[MSRP_TID_MAX + 1])
{
	char tid[MSRP_TID_MAX + 1];
	struct wbuf w = { out, cap, 0, 0 };

	if (!out || !s || !ok_value(s->to_path) || !ok_value(s->from_path) || !s->message_id ||
	    !is_ident(s->message_id, strlen(s->message_id)) || s->start < 1 ||
	    (s->len && (!s->data || !s->content_type)) ||
	    (s->content_type && (!ok_value(s->content_type) || !strchr(s->content_type, '/'))) ||
	    (s->flag != '$' && s->flag != '+' && s->flag != '#') ||
	    s->success_report == MSRP_REP_PARTIAL || s->success_report > MSRP_REP_PARTIAL ||
	    s->failure_report > MSRP_REP_PARTIAL)
		return -EINVAL;
	uint64_t end = s->end_unknown ? MSRP_STAR : s->start + s->len - 1;
	if (s->total != MSRP_STAR && !s->end_unknown && end > s->total)
		return -EINVAL;
	int r = pick_tid(s->tid, rng, s->data, s->len, tid);
	if (r < 0)
		return r;
	start_request(&w, tid, "SEND", s->to_path, s->from_path);
	puts_(&w, "Message-ID: ");
	puts_(&w, s->message_id);
	puts_(&w, CRLF);
	put_range(&w, s->start, end, s->total);
	if (report_word(s->success_report)) {
		puts_(&w, "Success-Report: ");
		puts_(&w, report_word(s->success_report));
		puts_(&w, CRLF);
	}
	if (report_word(s->failure_report)) {
		puts_(&w, "Failure-Report: ");
		puts_(&w, report_word(s->failure_report));
		puts_(&w, CRLF);
	}
	if (s->content_type) {
		puts_(&w, "Content-Type: ");
		puts_(&w, s->content_type);
		puts_(&w, CRLF CRLF);
		put(&w, s->data, s->len);
		puts_(&w, CRLF);
	}
	put_end(&w, tid, s->flag);
	if (tid_out)
		memcpy(tid_out, tid, strlen(tid) + 1);
	return done(&w);
}

ssize_t msrp_write_report(char *out, size_t cap, const struct msrp_report_req *rq, struct msrp_rng *rng,
    char tid_out[MSRP_TID_MAX + 1])
{
	char tid[MSRP_TID_MAX + 1];
	struct wbuf w = { out, cap, 0, 0 };
	const char *comment = rq ? (rq->comment ? rq->comment : msrp_status_phrase(rq->status)) : NULL;

	if (!out || !rq || !ok_value(rq->to_path) || !ok_value(rq->from_path) || !rq->message_id ||
	    !is_ident(rq->message_id, strlen(rq->message_id)) || rq->status < 100 || rq->status > 999 ||
	    rq->start < 1 || (comment && *comment && !ok_value(comment)) ||
	    (rq->end != MSRP_STAR && rq->end + 1 < rq->start) ||
	    (rq->end != MSRP_STAR && rq->total != MSRP_STAR && rq->end > rq->total))
		return -EINVAL;
	int r = pick_tid(rq->tid, rng, NULL, 0, tid);
	if (r < 0)
		return r;
	start_request(&w, tid, "REPORT", rq->to_path, rq->from_path);
	puts_(&w, "Message-ID: ");
	puts_(&w, rq->message_id);
	puts_(&w, CRLF);
	put_range(&w, rq->start, rq->end, rq->total);
	char st[16];
	snprintf(st, sizeof st, "Status: 000 %03d", rq->status);
	puts_(&w, st);
	if (comment && *comment) {
		puts_(&w, " ");
		puts_(&w, comment);
	}
	puts_(&w, CRLF);
	put_end(&w, tid, '$');
	if (tid_out)
		memcpy(tid_out, tid, strlen(tid) + 1);
	return done(&w);
}

const char *msrp_status_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 408: return "Request Timeout";
	case 413: return "Message Too Large";
	case 415: return "Unsupported Media Type";
	case 423: return "Interval Out-of-Bounds";
	case 481: return "Session Does Not Exist";
	case 501: return "Not Implemented";
	case 506: return "Wrong Connection";
	default: return NULL;
	}
}

ssize_t msrp_write_response(char *out, size_t cap, const char *tid, int status, const char *comment,
    const char *to_path, const char *from_path)
{
	struct wbuf w = { out, cap, 0, 0 };
	const char *phrase = msrp_status_phrase(status);

	if (!out || !tid || !is_ident(tid, strlen(tid)) || !phrase || status == 408 ||
	    !ok_value(to_path) || !ok_value(from_path) || (comment && *comment && !ok_value(comment)))
		return -EINVAL;   /* 408 is a REPORT status only (RFC 4975 §10) */
	if (!comment)
		comment = phrase;
	char st[8];
	snprintf(st, sizeof st, "%03d", status);
	puts_(&w, "MSRP ");
	puts_(&w, tid);
	puts_(&w, " ");
	puts_(&w, st);
	if (*comment) {
		puts_(&w, " ");
		puts_(&w, comment);
	}
	puts_(&w, CRLF "To-Path: ");
	puts_(&w, to_path);
	puts_(&w, CRLF "From-Path: ");
	puts_(&w, from_path);
	puts_(&w, CRLF);
	put_end(&w, tid, '$');
	return done(&w);
}
