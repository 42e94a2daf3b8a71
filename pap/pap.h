/*
 * pap.h - Push Access Protocol codec (pure: no I/O, no globals, no logging).
 *
 * Implements WAP-247-PAP-20010429-a (PAP 2.0), OMA-WAP-PAP-V2_1 and the PAP 1.0
 * DTD, the address grammar of WAP-249-PPGService §6.1 / WAP-151, and the
 * multipart/related framing of RFC 2387 as real Push Initiators send it.
 *
 * Ownership: every struct returned by a *_decode function is owned by the
 * caller and released with the matching *_free function, which accepts NULL.
 */
#ifndef PAP_H
#define PAP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ---------------------------------------------------------------- codes */
#define PAP_OK                      1000
#define PAP_ACCEPTED                1001
#define PAP_BAD_REQUEST             2000
#define PAP_FORBIDDEN               2001
#define PAP_ADDRESS_ERROR           2002
#define PAP_ADDRESS_NOT_FOUND       2003
#define PAP_PUSH_ID_NOT_FOUND       2004
#define PAP_CAPABILITIES_MISMATCH   2005
#define PAP_REQUIRED_CAPS_NOT_SUPP  2006
#define PAP_DUPLICATE_PUSH_ID       2007
#define PAP_CANCEL_NOT_POSSIBLE     2008
#define PAP_INTERNAL_ERROR          3000
#define PAP_NOT_IMPLEMENTED         3001
#define PAP_VERSION_NOT_SUPPORTED   3002
#define PAP_NOT_POSSIBLE            3003
#define PAP_CAP_MATCHING_NOT_SUPP   3004
#define PAP_MULTIPLE_ADDR_NOT_SUPP  3005
#define PAP_TRANSFORMATION_FAILURE  3006
#define PAP_DELIVERY_METHOD_NOT_POSS 3007
#define PAP_CAPABILITIES_NOT_AVAIL  3008
#define PAP_NETWORK_NOT_AVAIL       3009
#define PAP_BEARER_NOT_AVAIL        3010
#define PAP_REPLACEMENT_NOT_SUPP    3011
#define PAP_SERVICE_FAILURE         4000
#define PAP_SERVICE_UNAVAILABLE     4001
#define PAP_CLIENT_ABORTED          5000

/* The standard description of a PAP code ("Accepted for processing"...). */
const char *pap_code_desc(int code);

/* ------------------------------------------------------------- versions */
enum pap_version {
	PAP_V1_0 = 10,
	PAP_V2_0 = 20,
	PAP_V2_1 = 21,
};
/* "1.0", "2.0", "2.1" */
const char *pap_version_str(enum pap_version v);

/* -------------------------------------------------------------- time */
/* Parses "YYYY-MM-DDThh:mm:ssZ" (UTC). Returns 0 and sets *out, or -EINVAL. */
int pap_time_decode(const char *s, time_t *out);
/* Writes "YYYY-MM-DDThh:mm:ssZ" into buf (at least 21 bytes). */
void pap_time_encode(time_t t, char buf[21]);

/* ------------------------------------------------------------ addresses */
enum pap_addr_type {
	PAP_ADDR_USER = 1,   /* escaped-value "/TYPE=USER" (e-mail, sip:/sips:/tel: URI...) */
	PAP_ADDR_PLMN,       /* global-phone-number "/TYPE=PLMN" */
	PAP_ADDR_IPV4,
	PAP_ADDR_IPV6,
	PAP_ADDR_WINA,       /* a WINA bearer type: GSM_MSISDN, TETRA_ITSI, ... */
};

#define PAP_ADDR_VALUE_MAX 256
#define PAP_ADDR_PPG_MAX   256

struct pap_addr {
	enum pap_addr_type type;
	/* Client address with %XX escapes decoded, NUL-terminated: "+358408201681",
	 * "127.0.0.1", "2001:db8::1" (canonical text form), "sip:alice@example.com". */
	char value[PAP_ADDR_VALUE_MAX];
	/* For PAP_ADDR_WINA the bearer type as written ("GSM_MSISDN"); else "". */
	char wina[32];
	/* For PAP_ADDR_USER: 1 when value is a sip:, sips: or tel: URI. */
	int is_uri;
	/* ppg-specifier after '@' (may be ""). */
	char ppg[PAP_ADDR_PPG_MAX];
};

/*
 * Parses an address-value ("WAPPUSH=+358408201681/TYPE=PLMN@ppg.carrier.com").
 * The "WAPPUSH=" and "TYPE=" keywords are compared case-insensitively.
 * Returns 0, or -EINVAL with *reason set to a static English sentence.
 */
int pap_addr_decode(const char *s, struct pap_addr *out, const char **reason);

/* Writes the canonical address-value of a into buf. Returns the length written
 * (excluding NUL), or -ENOSPC when it does not fit. decode(encode(a)) == a. */
int pap_addr_encode(const struct pap_addr *a, char *buf, size_t len);

/* "USER", "PLMN", "IPv4", "IPv6", or the WINA name. */
const char *pap_addr_type_str(const struct pap_addr *a);

/* ------------------------------------------------------------ multipart */
struct pap_mime_header {
	char *name;   /* as received */
	char *value;  /* unfolded, surrounding whitespace trimmed */
};

struct pap_mime_part {
	struct pap_mime_header *headers;
	size_t nheaders;
	const char *raw_headers;  /* points into the input: the header block as received */
	size_t raw_headers_len;
	const unsigned char *body; /* points into the input */
	size_t body_len;
};

struct pap_mime {
	struct pap_mime_part *parts;
	size_t nparts;
};

/*
 * Splits a multipart body (RFC 2046 §5.1, RFC 2387) given the value of the
 * HTTP Content-Type header. Tolerates LF-only line ends, a preamble, a missing
 * CRLF after the close delimiter, unquoted and reordered parameters.
 * Part bodies and raw headers point into body, which must outlive *out.
 * Returns 0, or -EINVAL with *reason set.
 */
int pap_mime_decode(const char *content_type, const unsigned char *body, size_t len,
    struct pap_mime *out, const char **reason);
void pap_mime_free(struct pap_mime *m);

/* Case-insensitive header lookup in a part; NULL when absent. */
const char *pap_mime_header(const struct pap_mime_part *p, const char *name);

/*
 * Extracts a parameter (case-insensitive name) from a header value such as
 * 'multipart/related; boundary="x"; type=application/xml'. Quotes removed.
 * Returns 0 and copies into buf, -ENOENT when absent, -ENOSPC when too long.
 */
int pap_mime_param(const char *value, const char *name, char *buf, size_t len);

/* Copies the media type ("multipart/related") in lower case. 0 or -EINVAL/-ENOSPC. */
int pap_mime_type(const char *value, char *buf, size_t len);

/* ------------------------------------------------------------ messages */
enum pap_msg_type {
	PAP_MSG_PUSH = 1,
	PAP_MSG_CANCEL,
	PAP_MSG_STATUSQUERY,
	PAP_MSG_CCQ,
	PAP_MSG_RESULTNOTIFICATION_RESPONSE,
	/* The following are decoded too (for tests and for a PPG's own use). */
	PAP_MSG_PUSH_RESPONSE,
	PAP_MSG_CANCEL_RESPONSE,
	PAP_MSG_STATUSQUERY_RESPONSE,
	PAP_MSG_CCQ_RESPONSE,
	PAP_MSG_RESULTNOTIFICATION,
	PAP_MSG_BADMESSAGE_RESPONSE,
};

enum pap_priority { PAP_PRIO_HIGH = 1, PAP_PRIO_MEDIUM, PAP_PRIO_LOW };
enum pap_delivery_method {
	PAP_DM_NOTSPECIFIED = 0, PAP_DM_CONFIRMED, PAP_DM_PREFERCONFIRMED, PAP_DM_UNCONFIRMED,
};
enum pap_replace_method { PAP_REPLACE_ALL = 0, PAP_REPLACE_PENDING_ONLY };

enum pap_state {
	PAP_STATE_UNKNOWN = 0,
	PAP_STATE_PENDING,
	PAP_STATE_DELIVERED,
	PAP_STATE_UNDELIVERABLE,
	PAP_STATE_EXPIRED,
	PAP_STATE_ABORTED,
	PAP_STATE_TIMEOUT,
	PAP_STATE_CANCELLED,
	PAP_STATE_REJECTED,
};
/* "pending", "delivered", ... ; pap_state_decode returns -EINVAL for others. */
const char *pap_state_str(enum pap_state s);
int pap_state_decode(const char *s, enum pap_state *out);

struct pap_qos {
	int present;
	enum pap_priority priority;                 /* default medium */
	enum pap_delivery_method delivery_method;   /* default notspecified */
	char network[32];                           /* "" when absent */
	int network_required;
	char bearer[32];                            /* "" when absent */
	int bearer_required;
};

/* One <address> as received, and its parse result. */
struct pap_msg_addr {
	char *raw;               /* address-value attribute as received */
	int ok;                  /* 1 when parsed */
	struct pap_addr addr;    /* valid when ok */
	const char *reason;      /* static, when !ok */
};

/* One result element in a response (cancel-result, statusquery-result,
 * response-result) with its addresses. */
struct pap_result {
	int code;
	char *desc;
	enum pap_state state;    /* statusquery-result message-state */
	time_t event_time;       /* 0 when absent */
	char **addrs;            /* raw address-values */
	size_t naddrs;
};

struct pap_progress_note {
	char *stage;
	char *note;
	time_t time;
};

struct pap_msg {
	enum pap_msg_type type;
	enum pap_version version;
	char *product_name;

	char *push_id;                   /* push-, cancel-, statusquery-, *-response */
	char *replace_push_id;           /* NULL when absent */
	enum pap_replace_method replace_method;
	time_t deliver_before;           /* 0 when absent */
	time_t deliver_after;            /* 0 when absent */
	char *source_reference;
	char *ppg_notify_requested_to;
	int progress_notes_requested;

	struct pap_msg_addr *addrs;      /* in document order */
	size_t naddrs;
	struct pap_qos qos;

	/* ccq-message / ccq-response */
	char *query_id;
	char *app_id;

	/* responses, resultnotification-*, badmessage-response */
	char *sender_address;
	char *sender_name;
	time_t reply_time;
	time_t received_time;
	time_t event_time;
	enum pap_state state;
	int code;
	char *desc;
	char *bad_fragment;
	struct pap_result *results;      /* cancel-result / statusquery-result / response-result */
	size_t nresults;
	struct pap_progress_note *notes;
	size_t nnotes;
};

struct pap_limits {
	size_t max_doc;          /* bytes of one XML document */
	int max_depth;           /* element nesting */
	size_t max_attr;         /* bytes of one attribute value */
	size_t max_addrs;        /* <address> elements in one message */
};
#define PAP_LIMITS_DEFAULT { 65536, 16, 2048, 1000 }

/* Why a decode failed: a PAP code, a sentence and the offending fragment,
 * ready for a badmessage-response. */
struct pap_error {
	int code;                /* 2000, 3001, 3002, ... */
	char desc[256];
	char fragment[512];      /* "" when none */
	enum pap_version version;/* best guess of the request's version, for the answer */
};

/*
 * Decodes one PAP XML document. External entities, DTD loading and network
 * access are disabled; the DOCTYPE only selects the version.
 * Returns 0 and *out (caller frees with pap_msg_free), or -EINVAL with *err
 * filled: 2000 malformed or invalid, 3001 a PAP element this codec does not
 * implement, 3002 an unknown PAP version; -E2BIG when a limit is exceeded
 * (code 2000). Addresses that do not parse are not an error here: see
 * pap_msg_addr.ok.
 */
int pap_msg_decode(const char *xml, size_t len, const struct pap_limits *lim,
    struct pap_msg **out, struct pap_error *err);
void pap_msg_free(struct pap_msg *m);

/*
 * Encodes m as a PAP document of m->version (DOCTYPE included), escaping
 * every attribute. Returns a malloc'ed NUL-terminated string and its length
 * in *len, or NULL on allocation failure or an invalid message.
 */
char *pap_msg_encode(const struct pap_msg *m, size_t *len);

/* ------------------------------------------------------------ UAProf */
/*
 * The capabilities entity (PAP §8.3 ccq-response, push-message part 3): a
 * UAProf document (CC/PP in RDF/XML). pap_uaprof_parse reads what ppgd uses
 * of it (0; -EINVAL when it is no RDF document or over PAP_UAPROF_MAX_DOC;
 * -ENOMEM): lists hold at most PAP_UAPROF_MAX_LIST values of at most 256
 * bytes, duplicates dropped. Free with pap_uaprof_free.
 */
#define PAP_UAPROF_MAX_LIST 64
#define PAP_UAPROF_MAX_DOC (512 * 1024)
struct pap_uaprof {
	char *vendor;                                /* prf:Vendor */
	char *model;                                 /* prf:Model */
	char *accept[PAP_UAPROF_MAX_LIST];           /* prf:CcppAccept */
	size_t naccept;
	char *push_accept[PAP_UAPROF_MAX_LIST];      /* prf:Push-Accept */
	size_t npush_accept;
	char *appids[PAP_UAPROF_MAX_LIST];           /* prf:Push-Accept-AppID */
	size_t nappids;
};
int pap_uaprof_parse(const char *doc, size_t len, struct pap_uaprof *u);
void pap_uaprof_free(struct pap_uaprof *u);
/* Does the device take content of type ctype by push (prf:Push-Accept, with
 * type/ * and * / * wildcards)? 1, 0, or -1 when the document does not say. */
int pap_uaprof_accepts(const struct pap_uaprof *u, const char *ctype);
/* A minimal UAProf document of u's Push-Accept and Push-Accept-AppID about
 * `about` (e.g. the terminal's public identity): malloc'ed, or NULL. */
char *pap_uaprof_write(const char *about, const struct pap_uaprof *u, size_t *len);

#endif /* PAP_H */
