/*
 * sipb_msrp.h - MSRP framing (RFC 4975 §7 framing, §9 syntax): a pure
 * codec for session-mode push (OMA-TS-SIP_Push §9.3). No sockets, no
 * sofia-sip, no logging, no allocation: the parser points into the
 * caller's bytes, the writers fill a caller's buffer.
 *
 * Parser: sipb_msrp_parse() takes the bytes received so far on a connection
 * (from the start of the next message) and says how many bytes one whole
 * request or response takes, that more bytes are needed, or why the bytes
 * are no MSRP message. It keeps no state between calls: called again with
 * more bytes, it starts over (messages are bounded by MSRP_MAX_MESSAGE).
 *
 * Writers: a SEND chunk, a REPORT, a response. Each returns the number of
 * bytes written, or a negative errno (-ENOSPC: out too small; -EINVAL: an
 * argument that would not make a valid message; -EEXIST: the caller's
 * transaction id whose end-line occurs in the body).
 */
#ifndef SIPB_MSRP_H
#define SIPB_MSRP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Longest message sipb_msrp_parse takes (headers, body and end-line). */
#define MSRP_MAX_MESSAGE (1024 * 1024)
/* Longest header section (start line and headers). */
#define MSRP_MAX_HEADERS 16384
/* transact-id = ident = ALPHANUM 3*31ident-char (RFC 4975 §9): 4..32. */
#define MSRP_TID_MAX 32

/* A piece of the parsed bytes (not NUL-terminated); p NULL when absent. */
struct sipb_msrp_str {
	const char *p;
	size_t n;
};

enum sipb_msrp_method {
	MSRP_OTHER = 0,   /* other-method = 1*UPALPHA: see sipb_msrp_msg.method */
	MSRP_SEND,
	MSRP_REPORT,
};

/* Success-Report / Failure-Report values. */
enum sipb_msrp_report {
	MSRP_REP_ABSENT = 0,
	MSRP_REP_YES,
	MSRP_REP_NO,
	MSRP_REP_PARTIAL,     /* Failure-Report only */
};

#define MSRP_STAR UINT64_MAX  /* Byte-Range end or total "*" */

struct sipb_msrp_msg {
	int is_response;
	enum sipb_msrp_method method_id;
	struct sipb_msrp_str method;       /* requests */
	int status;                   /* responses: 3 digits */
	struct sipb_msrp_str comment;      /* responses: the comment, may be absent */
	struct sipb_msrp_str tid;
	struct sipb_msrp_str to_path;      /* the whole header value (URIs separated by SP) */
	struct sipb_msrp_str from_path;
	struct sipb_msrp_str message_id;
	int has_byte_range;
	uint64_t range_start, range_end, range_total;   /* end/total may be MSRP_STAR */
	enum sipb_msrp_report success_report, failure_report;
	int has_status;               /* REPORT: Status: namespace SP code [SP comment] */
	int status_ns, status_code;
	struct sipb_msrp_str status_comment;
	struct sipb_msrp_str content_type;
	const unsigned char *body;    /* NULL when the message has no content-stuff */
	size_t body_len;
	char flag;                    /* continuation flag: '$' '+' '#' */
	const char *error;            /* why sipb_msrp_parse failed (static text) */
};

/* sipb_msrp_parse flags */
#define MSRP_EOF 1   /* no more bytes will come: an incomplete message is an error */

/*
 * Parses one message from buf[0..len). Returns the number of bytes it takes
 * (> 0; m filled, pointing into buf), 0 when it needs more bytes (a proper
 * prefix of a message; with MSRP_EOF that is an error instead), or -EBADMSG
 * with m->error saying why (or -EMSGSIZE above the limits).
 */
ssize_t sipb_msrp_parse(const void *buf, size_t len, int flags, struct sipb_msrp_msg *m);

/* A caller-seeded generator state for the ids the writers choose. */
struct sipb_msrp_rng {
	uint64_t s;
};

/*
 * Chooses a transaction id (8..12 characters of [a-z0-9]) whose end-line
 * boundary ("-------" tid) does not occur in body (RFC 4975 §7.1). 0 or
 * -EAGAIN (never in practice).
 */
int sipb_msrp_tid_choose(struct sipb_msrp_rng *r, const void *body, size_t len, char tid[MSRP_TID_MAX + 1]);

/* One SEND request: one chunk of a message (RFC 4975 §7.1, §7.1.1). */
struct sipb_msrp_send {
	const char *tid;              /* NULL: chosen with rng (written to tid_out) */
	const char *to_path, *from_path;
	const char *message_id;
	uint64_t start;               /* Byte-Range start of this chunk (1-based) */
	int end_unknown;              /* Byte-Range end "*" (e.g. an interruptible chunk) */
	uint64_t total;               /* MSRP_STAR: total unknown */
	enum sipb_msrp_report success_report, failure_report;   /* ABSENT: no header */
	const char *content_type;     /* required when len > 0 */
	const void *data;             /* this chunk's bytes */
	size_t len;
	char flag;                    /* '$' last chunk, '+' more follow, '#' aborted */
};

ssize_t sipb_msrp_write_send(char *out, size_t cap, const struct sipb_msrp_send *s, struct sipb_msrp_rng *rng,
    char tid_out[MSRP_TID_MAX + 1]);

/* A REPORT (RFC 4975 §7.1.2): Byte-Range of the part reported, Status. */
struct sipb_msrp_report_req {
	const char *tid;              /* NULL: chosen */
	const char *to_path, *from_path;
	const char *message_id;
	uint64_t start, end, total;   /* end/total may be MSRP_STAR */
	int status;                   /* e.g. 200, 413 */
	const char *comment;          /* NULL: the usual phrase */
};

ssize_t sipb_msrp_write_report(char *out, size_t cap, const struct sipb_msrp_report_req *r, struct sipb_msrp_rng *rng,
    char tid_out[MSRP_TID_MAX + 1]);

/*
 * A response to the request with transaction id tid (RFC 4975 §7.2):
 * status one of 200, 400, 403, 408, 413, 415, 423, 481, 501, 506; comment
 * NULL for the usual phrase. to_path is the request's From-Path (its first
 * URI for a response to a relay), from_path this endpoint's URI.
 */
ssize_t sipb_msrp_write_response(char *out, size_t cap, const char *tid, int status, const char *comment,
    const char *to_path, const char *from_path);

/* The usual comment of a status ("OK" ...), or NULL for an unknown one. */
const char *sipb_msrp_status_phrase(int status);

/* Is s[0..n) an MSRP ident (RFC 4975 §9: ALPHANUM 3*31ident-char,
 * ident-char = ALPHANUM / "." / "-" / "+" / "%" / "="), as transaction ids
 * and message ids must be? */
int sipb_msrp_is_ident(const char *s, size_t n);

/*
 * Reading a response's headers by hand (an AUTH answer of an MSRP relay,
 * RFC 4976 §5, which the codec above keeps as raw bytes). The value of
 * header name (case-insensitive) in the header section of the len bytes at
 * msg, trimmed, with its length in *vlen; NULL when absent. [any]
 */
const char *sipb_msrp_header(const char *msg, size_t len, const char *name, size_t *vlen);
/* A Digest challenge's parameter name (quoted string or token) of the n
 * bytes at v into out (NUL-terminated): 0, or -1 when absent, unterminated
 * or longer than cap - 1. [any] */
int sipb_msrp_auth_param(const char *v, size_t n, const char *name, char *out, size_t cap);

#endif
