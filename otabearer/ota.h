/*
 * ota.h - the legacy Push OTA codec: a pure library (bytes in, plain structs
 * out and back; no sockets, no globals, no logging).
 *
 *   ota_wsp.c, ota_wsp_decode.c
 *                WSP connectionless Push PDU, WAP-230-WSP-20010705-a §8.2.4.1
 *                (Push PDU), §8.4 (header encoding), §8.1.2 (uintvar),
 *                Table 40 (content types); PushOTA WAP-235 §6.
 *   ota_push.c   the Push OTA message of a push's content entity (WAP-235
 *                §6.1.1): SI/SL/CO compiled, push headers only.
 *   ota_wdp.c    WDP over GSM SMS, WAP-259-WDP-20010614-a §6.5 and Annex A
 *                (UDH port addressing and concatenation, 3GPP TS 23.040 §9.2.3.24).
 *   ota_wbxml.c, ota_wbxml_decode.c
 *                SI (WAP-167), SL (WAP-168) and CO (WAP-175) XML to WBXML 1.2
 *                (WAP-192-WBXML-20010725-a) and back.
 *   ota_appid.c  OMNA Push Application IDs (URN <-> code) and the SIP Push
 *                +g.oma.pusheventapp value (the OMA-CD-PUSH CR on ARI, §9.6).
 *
 * Conventions: encoders write through a struct ota_buf cursor into a buffer
 * the caller owns and record the first error in it; decoders return 0 or a
 * negative errno and, through *reason, a static string for a log line or a
 * badmessage-response.
 */
#ifndef OTA_H
#define OTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------- cursor */

/* A write cursor over caller-owned memory. err keeps the first error:
 * -ENOSPC when data did not fit (len still counts what was wanted), or
 * whatever the encoder set with ota_buf_fail(). */
struct ota_buf {
	uint8_t *data;
	size_t cap;
	size_t len;
	int err;
};

/* Starts a cursor over mem[0..cap). mem may be NULL when cap is 0 (sizing). */
void ota_buf_init(struct ota_buf *b, void *mem, size_t cap);
/* Appends n bytes; on overflow sets err = -ENOSPC and keeps counting len. */
void ota_buf_put(struct ota_buf *b, const void *p, size_t n);
/* Appends one octet. */
void ota_buf_putc(struct ota_buf *b, uint8_t c);
/* Appends the bytes of a C string without its NUL. */
void ota_buf_puts(struct ota_buf *b, const char *s);
/* Records err (a negative errno) unless an error is already recorded. */
void ota_buf_fail(struct ota_buf *b, int err);

/* ------------------------------------------------------------ uintvar */

#define OTA_UINTVAR_MAX_LEN 5

/* Encodes v as a WSP uintvar (WAP-230 §8.1.2) into out; returns its length
 * (1..5). */
size_t ota_uintvar_put(uint8_t out[OTA_UINTVAR_MAX_LEN], uint32_t v);
/* Decodes a uintvar (also the WBXML mb_u_int32) from p[0..len).
 * Returns 0 and sets *v and *used, or -EINVAL when it is truncated, longer
 * than 5 octets, or above UINT32_MAX. */
int ota_uintvar_get(const uint8_t *p, size_t len, uint32_t *v, size_t *used);

/* ------------------------------------------------------ WSP push PDU */

#define OTA_WSP_PDU_PUSH 0x06

/* Header field names (WAP-230 Table 39), parameters (Table 38), Quote. */
#define OTA_WSP_HDR_CONTENT_LENGTH   0x0D
#define OTA_WSP_HDR_APPLICATION_ID   0x2F
#define OTA_WSP_HDR_INITIATOR_URI    0x31
#define OTA_WSP_HDR_PUSH_FLAG        0x34
#define OTA_WSP_HDR_ENCODING_VERSION 0x43
#define OTA_WSP_PARAM_CHARSET        0x01
#define OTA_WSP_PARAM_TYPE           0x09
#define OTA_WSP_QUOTE                0x7F

/* Push-Flag bits (WAP-230 §8.4.2.80). */
#define OTA_PUSH_FLAG_AUTHENTICATED 0x01
#define OTA_PUSH_FLAG_TRUSTED       0x02
#define OTA_PUSH_FLAG_LAST          0x04

/*
 * A connectionless Push PDU. Only these push headers are ever encoded; the
 * Push Initiator's HTTP/MIME headers never go into the PDU.
 *
 * Encoding: the caller fills the fields marked "in"; strings are borrowed.
 * Decoding: ota_push_decode() fills everything; strings live in memory the
 * struct owns (release with ota_push_release()), body points into the PDU.
 */
struct ota_push {
	uint8_t tid;                 /* in: transaction id */
	const char *content_type;    /* in: "type/subtype[; charset=x; p=v]" */
	const char *app_id;          /* in: URN, short form, number, or NULL */
	const char *initiator_uri;   /* in: X-Wap-Initiator-URI or NULL */
	int push_flag;               /* in: bitmask 0..127, or -1 to omit */
	bool content_length;         /* in: add Content-Length; out: present */
	bool omit_wml_ua;            /* in: leave out the header for wml.ua */
	uint8_t encoding_version;    /* in: 0 omit, 0x13 for 1.3 (major<<4|minor) */
	const uint8_t *body;         /* in/out */
	size_t body_len;

	/* out only (ota_push_decode) */
	uint32_t content_length_value;  /* when content_length */
	int content_type_code;          /* well-known code, or -1 for text */
	int64_t app_id_code;            /* assigned code, or -1 (text or absent) */
	unsigned other_headers;         /* headers other than the push headers */
	char *owned_;                   /* private: strings of a decoded PDU */
};

/* Encodes p as TID | 0x06 | HeadersLen | Content-Type | headers | body
 * (WAP-230 §8.2.4.1) at the cursor. The app id is sent as a short integer
 * (<128), a long integer (>=128) or, for a URN not in the OMNA table, as a
 * text string. A well-known content type goes as its code unless
 * encoding_version is set and older than the version that assigned the code
 * (then as text). Errors go to b->err: -EINVAL (bad content type, app id,
 * initiator URI, push flag or encoding version; *reason says which),
 * -ENOENT (short form or number not resolvable), -ENOSPC. Returns b->err. */
int ota_push_encode(struct ota_buf *b, const struct ota_push *p, const char **reason);

/* Decodes a Push PDU from pdu[0..len) into *p (zeroed first). On success
 * the caller releases p with ota_push_release(); on failure nothing is
 * left allocated. Returns 0, -EINVAL (malformed: uintvar overflow,
 * truncated value, header length past the end, not a Push PDU, duplicate
 * push header), -ENOTSUP (valid WSP this codec does not interpret, e.g. a
 * typed content-type parameter other than charset/type), -ENOMEM. */
int ota_push_decode(const uint8_t *pdu, size_t len, struct ota_push *p, const char **reason);

/* Frees the strings of a decoded push. Accepts NULL and encode-side structs
 * (whose owned_ is NULL). */
void ota_push_release(struct ota_push *p);

/*
 * The Push OTA message of a push (WAP-235 PushOTA §6, WAP-230 WSP §8.2.4.1):
 * the content entity as a WSP connectionless Push PDU with transaction id
 * tid, SI, SL and CO sent as text compiled to WBXML. Only push headers go
 * out: Content-Type, X-Wap-Application-Id (app_id: URN, short form, number,
 * or NULL), X-Wap-Initiator-URI (when the content entity's raw header block
 * headers[0..headers_len), which may be NULL, has one), Content-Length.
 * content_type and body[0..len) are the content entity's.
 *
 * Returns 0 and a malloc'ed *pdu of *pdu_len octets (the caller frees it),
 * or -EINVAL (content that does not compile, an unusable application id:
 * *reason says why), -ENOENT (an application id that does not resolve),
 * -E2BIG (an SI, SL or CO above OTA_WBXML_MAX_XML), -ENOMEM; on failure
 * *pdu is NULL.
 */
int ota_push_build(uint8_t tid, const char *content_type, const char *app_id, const char *headers,
    size_t headers_len, const void *body, size_t len, uint8_t **pdu, size_t *pdu_len,
    const char **reason);

/*
 * The two halves of ota_push_build, for a caller that sends one content
 * several times (several addresses, retries) and compiles it once.
 *
 * ota_push_compile: when content_type is SI, SL or CO text, compiles body to
 * WBXML: *out_type is the compiled type (ota_wbxml_compiled_type, static),
 * *wbxml a malloc'ed body of *wbxml_len octets (the caller frees it). For any
 * other type *out_type is NULL, *wbxml NULL, and 0 is returned: the content
 * goes as it is. Errors as ota_push_build's (-EINVAL, -E2BIG, -ENOMEM).
 *
 * ota_push_build_body: the Push PDU of a body already in the form it is
 * sent (content_type and body as they go out), the other arguments and the
 * results as ota_push_build's.
 */
int ota_push_compile(const char *content_type, const void *body, size_t len, const char **out_type,
    uint8_t **wbxml, size_t *wbxml_len, const char **reason);
int ota_push_build_body(uint8_t tid, const char *content_type, const char *app_id, const char *headers,
    size_t headers_len, const void *body, size_t len, uint8_t **pdu, size_t *pdu_len,
    const char **reason);

/* Well-known content type code (WAP-230 Table 40 / OMNA) of a media type
 * (case-insensitive, no parameters), or -1. */
int ota_wsp_content_type_code(const char *media_type);
/* Name of a well-known content type code, or NULL. */
const char *ota_wsp_content_type_name(unsigned code);
/* IANA MIBenum of a character set name (WAP-230 Table 42, the common ones;
 * case-insensitive), or 0. */
uint32_t ota_wsp_charset_mib(const char *name);
/* Name of a MIBenum from that table, or NULL. */
const char *ota_wsp_charset_name(uint32_t mib);

/* ------------------------------------------------------ WDP over SMS */

#define OTA_SMS_MAX_OCTETS     140
#define OTA_WDP_MAX_SEGMENTS   255
#define OTA_WDP_PORT_PUSH      2948    /* WAP-259 Annex B, WSP connectionless push */
#define OTA_WDP_PORT_WSP_CL    9200    /* source: WSP connectionless */
#define OTA_WDP_SINGLE_PAYLOAD 133     /* 140 - UDH 06 05 04 dd dd ss ss */
#define OTA_WDP_CONCAT8_PAYLOAD 128    /* 140 - 12 */
#define OTA_WDP_CONCAT16_PAYLOAD 127   /* 140 - 13 */

/* SMPP 3.4 submit_sm values for a WDP segment (for the SMPP transport):
 * esm_class UDHI (§5.2.12; Kannel sends 0x43), data_coding 8-bit (§5.2.19). */
#define OTA_SMPP_ESM_CLASS_UDHI   0x40
#define OTA_SMPP_DATA_CODING_8BIT 0x04

/* One SMS: UDH (with its UDHL octet) followed by payload; TP-UD for
 * submit_sm short_message with esm_class UDHI. */
struct ota_sms_segment {
	uint8_t data[OTA_SMS_MAX_OCTETS];
	size_t len;       /* whole short_message */
	size_t udh_len;   /* UDHL + 1 */
};

/* What a segment's UDH says. */
struct ota_wdp_udh {
	uint16_t dst_port, src_port;
	bool concat;        /* a concatenation IE is present */
	bool ref16;         /* it is IE 0x08 (16-bit reference) */
	uint16_t ref;
	uint8_t total, seq;
	size_t udh_len;     /* UDHL + 1: where the payload starts */
};

/* Number of segments ota_wdp_segment() produces for a PDU of len octets,
 * or 0 when len is 0 or it needs more than 255 segments. */
size_t ota_wdp_segment_count(size_t len, bool ref16);

/* Splits pdu into SMS segments (WAP-259 §6.5): one segment with the port IE
 * when len <= 133, else concatenated segments of 128 (8-bit ref, IE 0x00)
 * or 127 (16-bit ref, IE 0x08) payload octets, the port IE (0x05, dst 2948,
 * src 9200) in every segment. ref is truncated to 8 bits unless ref16.
 * Writes at most max segments to segs and the count to *nsegs.
 * Returns 0, -EINVAL (empty PDU), -EMSGSIZE (more than 255 segments),
 * -ENOSPC (more than max segments). */
int ota_wdp_segment(const uint8_t *pdu, size_t len, uint16_t ref, bool ref16,
    struct ota_sms_segment *segs, size_t max, size_t *nsegs);

/* Parses the UDH of one SMS (msg[0..len), UDHL first). Unknown IEs are
 * skipped (TS 23.040 §9.2.3.24). Returns 0 or -EINVAL (UDH past the end,
 * IE past the UDH, no 16-bit port IE, bad IE length, duplicate IE, concat
 * total 0 or seq outside 1..total). */
int ota_wdp_udh_parse(const uint8_t *msg, size_t len, struct ota_wdp_udh *udh,
    const char **reason);

/* Reassembles n segments (in any order) into out[0..cap): every segment
 * must carry the port IE with dst 2948 and src 9200, the same reference and
 * total, total == n, each seq once. *info (may be NULL) gets the UDH of the
 * first segment. Returns 0, -EINVAL (reason says why: bad UDH, wrong ports,
 * mixed references, duplicate or missing segment, empty payload), -ENOSPC. */
int ota_wdp_reassemble(const struct ota_sms_segment *segs, size_t n, uint8_t *out,
    size_t cap, size_t *outlen, struct ota_wdp_udh *info, const char **reason);

/* -------------------------------------------------------------- WBXML */

/* WBXML public identifiers (WAP-192 §7.2.1 / OMNA registry). */
enum ota_wbxml_doc {
	OTA_WBXML_SI = 0x05,    /* "-//WAPFORUM//DTD SI 1.0//EN" */
	OTA_WBXML_SL = 0x06,    /* "-//WAPFORUM//DTD SL 1.0//EN" */
	OTA_WBXML_CO = 0x07,    /* "-//WAPFORUM//DTD CO 1.0//EN" */
};

#define OTA_WBXML_MAX_XML 65536    /* largest XML document compiled */

/* Compiles an SI, SL or CO document (picked by its root element) to WBXML
 * 1.2, UTF-8, no string table, at the cursor. The XML is parsed by libxml2
 * without entity substitution, DTD or network access; a document declaring
 * entities is refused. *doc (may be NULL) gets the document type.
 * Returns b->err: 0, -EINVAL (not well-formed, unknown root, element or
 * attribute, bad action or date, missing required attribute; *reason),
 * -E2BIG (longer than OTA_WBXML_MAX_XML), -ENOMEM, -ENOSPC. */
int ota_wbxml_compile(struct ota_buf *b, const char *xml, size_t len,
    enum ota_wbxml_doc *doc, const char **reason);

/* Decodes SI/SL/CO WBXML back to XML text (with XML declaration and
 * DOCTYPE, no added whitespace) at the cursor; no NUL is appended.
 * Returns b->err: 0, -EINVAL (malformed: truncation, unknown token, bad
 * date, string-table reference out of range, unbalanced END, trailing
 * bytes), -ENOTSUP (WBXML features these documents never need: version
 * 1.0, other public ids or charsets, code pages, LITERAL, EXT, PI), -ENOSPC. */
int ota_wbxml_decode(struct ota_buf *b, const uint8_t *wb, size_t len,
    enum ota_wbxml_doc *doc, const char **reason);

/* The content type a compiled document goes out with: text/vnd.wap.si ->
 * application/vnd.wap.sic, text/vnd.wap.sl -> application/vnd.wap.slc,
 * text/vnd.wap.co -> application/vnd.wap.coc (case-insensitive, parameters
 * ignored); NULL for anything not compiled. */
const char *ota_wbxml_compiled_type(const char *content_type);

/* ----------------------------------------------------- application ids */

/* One row of the OMNA Push Application ID table. */
struct ota_appid {
	const char *urn;
	uint32_t code;
};

#define OTA_APPID_WML_UA 0x02    /* x-wap-application:wml.ua, the default */

/* An application id as a PI gave it, resolved. */
struct ota_appid_ref {
	bool has_code;       /* code is valid (table entry or a number) */
	uint32_t code;
	const char *urn;     /* table URN, the unknown URN as given, or NULL
	                        for a number not in the table */
	bool known;          /* found in the OMNA table */
};

/* The table entry for a URN (case-insensitive), or NULL. */
const struct ota_appid *ota_appid_by_urn(const char *urn);
/* The table entry for a code, or NULL. */
const struct ota_appid *ota_appid_by_code(uint32_t code);

/* Resolves s: a URN ("x-wap-application:mms.ua", any case), a short form
 * ("mms.ua": x-wap-application: then x-oma-application:), a number ("4",
 * "0x04"), or an unknown URN (kept as text, no code). r->urn points into
 * the table or into s. Returns 0, -EINVAL (empty, not printable ASCII,
 * number out of range), -ENOENT (a short form not in the table). */
int ota_appid_parse(const char *s, struct ota_appid_ref *r, const char **reason);

/* Writes the SIP Push event-app-id for s (the OMA-CD-PUSH CR on ARI §9.6): a table URN in
 * the x-wap-application: / x-oma-application: namespace loses the prefix
 * ("mms.ua"), other URNs (vendor ids, unknown URNs) stay whole. The result
 * is NUL-terminated in out[0..cap). Returns 0, the errors of
 * ota_appid_parse(), -ENOENT (a number not in the table), -EINVAL (value
 * outside the ABNF), -ENOSPC. */
int ota_appid_pusheventapp(const char *s, char *out, size_t cap, const char **reason);

/* True when s matches event-app-id = 1*(%x21 / %x23-2B / %x2D-7E). */
bool ota_appid_event_app_id_ok(const char *s);

#endif
