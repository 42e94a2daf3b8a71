/*
 * sipb_msrp_write.c - the MSRP writers (RFC 4975 §7, §9): SEND chunks,
 * REPORTs and responses into a caller's buffer, with a transaction id whose
 * end-line does not occur in the body (§7.1). Pure: no sockets, no
 * allocation, no logging.
 */
#include "sipbearer/sipb_msrp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CRLF "\r\n"
#define BOUNDARY "-------"

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

static uint64_t rng_next(struct sipb_msrp_rng *r)
{
	/* xorshift64* */
	uint64_t x = r->s ? r->s : 0x9E3779B97F4A7C15ULL;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

int sipb_msrp_tid_choose(struct sipb_msrp_rng *r, const void *body, size_t len, char tid[MSRP_TID_MAX + 1])
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
static int pick_tid(const char *given, struct sipb_msrp_rng *rng, const void *body, size_t len,
    char tid[MSRP_TID_MAX + 1])
{
	if (given) {
		if (!sipb_msrp_is_ident(given, strlen(given)))
			return -EINVAL;
		if (boundary_in(body, len, given))
			return -EEXIST;
		memcpy(tid, given, strlen(given) + 1);
		return 0;
	}
	if (!rng)
		return -EINVAL;
	return sipb_msrp_tid_choose(rng, body, len, tid);
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

static const char *report_word(enum sipb_msrp_report r)
{
	return r == MSRP_REP_YES ? "yes" : r == MSRP_REP_NO ? "no" : r == MSRP_REP_PARTIAL ? "partial" : NULL;
}

ssize_t sipb_msrp_write_send(char *out, size_t cap, const struct sipb_msrp_send *s, struct sipb_msrp_rng *rng,
    char tid_out[MSRP_TID_MAX + 1])
{
	char tid[MSRP_TID_MAX + 1];
	struct wbuf w = { out, cap, 0, 0 };

	if (!out || !s || !ok_value(s->to_path) || !ok_value(s->from_path) || !s->message_id ||
	    !sipb_msrp_is_ident(s->message_id, strlen(s->message_id)) || s->start < 1 ||
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

ssize_t sipb_msrp_write_report(char *out, size_t cap, const struct sipb_msrp_report_req *rq, struct sipb_msrp_rng *rng,
    char tid_out[MSRP_TID_MAX + 1])
{
	char tid[MSRP_TID_MAX + 1];
	struct wbuf w = { out, cap, 0, 0 };
	const char *comment = rq ? (rq->comment ? rq->comment : sipb_msrp_status_phrase(rq->status)) : NULL;

	if (!out || !rq || !ok_value(rq->to_path) || !ok_value(rq->from_path) || !rq->message_id ||
	    !sipb_msrp_is_ident(rq->message_id, strlen(rq->message_id)) || rq->status < 100 || rq->status > 999 ||
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

const char *sipb_msrp_status_phrase(int status)
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

ssize_t sipb_msrp_write_response(char *out, size_t cap, const char *tid, int status, const char *comment,
    const char *to_path, const char *from_path)
{
	struct wbuf w = { out, cap, 0, 0 };
	const char *phrase = sipb_msrp_status_phrase(status);

	if (!out || !tid || !sipb_msrp_is_ident(tid, strlen(tid)) || !phrase || status == 408 ||
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
