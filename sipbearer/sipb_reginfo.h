/*
 * sipb_reginfo.h - the registration information document (RFC 3680 §5,
 * application/reginfo+xml) with the GRUU extension (RFC 5628 gruuinfo), as
 * a SIP/IP core sends it in the NOTIFYs of the reg event package. A pure
 * codec: bytes in, plain structs out; no sockets, no sofia-sip, no logging.
 * [any]
 */
#ifndef SIPB_REGINFO_H
#define SIPB_REGINFO_H

#include <stddef.h>
#include <stdint.h>

/* Bounds: a larger document, or one with more registrations or contacts,
 * is refused as a whole (-E2BIG). */
#define SIPB_REGINFO_MAX_DOC (256u * 1024u)
#define SIPB_REGINFO_MAX_REGS 64
#define SIPB_REGINFO_MAX_CONTACTS 256
#define SIPB_REGINFO_MAX_APPS 16
/* Longest attribute or element text kept (a URI, an id): longer is -EBADMSG. */
#define SIPB_REGINFO_MAX_VALUE 1024

enum sipb_reginfo_doc_state { SIPB_REGINFO_FULL = 1, SIPB_REGINFO_PARTIAL };
/* registration/@state (RFC 3680 §5.3): init, active, terminated. */
enum sipb_reginfo_reg_state { SIPB_REG_INIT = 1, SIPB_REG_ACTIVE, SIPB_REG_TERMINATED };

struct sipb_reginfo_contact {
	char *id;                 /* contact/@id */
	int active;               /* contact/@state: 1 active, 0 terminated */
	char *event;              /* contact/@event (registered, expired, ...) or NULL */
	long expires;             /* contact/@expires seconds, -1 when absent */
	int q1000;                /* contact/@q times 1000, -1 when absent */
	char *uri;                /* contact/uri */
	char *call_id;            /* contact/@callid or NULL */
	uint32_t cseq;            /* contact/@cseq or 0 */
	/* unknown-param (the Contact header's parameters the registrar kept): */
	char *instance;           /* +sip.instance without quotes and <>, or NULL */
	const char *apps[SIPB_REGINFO_MAX_APPS];   /* +g.oma.pusheventapp list, split
	                                            * at commas (point into apps_buf) */
	size_t napps;
	char *apps_buf;
	int sessions;             /* +sip.message present, or a methods list with INVITE */
	char *pub_gruu;           /* gr:pub-gruu/@uri (RFC 5628) or NULL */
	char *temp_gruu;          /* gr:temp-gruu/@uri or NULL */
};

struct sipb_reginfo_reg {
	char *aor;                /* registration/@aor */
	char *id;                 /* registration/@id */
	enum sipb_reginfo_reg_state state;
	size_t first, n;          /* its contacts: contacts[first .. first+n) */
};

struct sipb_reginfo {
	unsigned long version;    /* reginfo/@version */
	enum sipb_reginfo_doc_state state;
	struct sipb_reginfo_reg *regs;
	size_t nregs;
	struct sipb_reginfo_contact *contacts;
	size_t ncontacts;
};

/*
 * Parses a reginfo document (libxml2; no network, no external entities or
 * DTDs, no entity expansion). 0 with *ri filled (sipb_reginfo_free it);
 * else *ri is empty and: -EINVAL (no document, or empty), -E2BIG (over the
 * bounds above), -EBADMSG (not well-formed, not a reginfo of RFC 3680's
 * namespace, a required attribute or element missing or invalid), -ENOMEM.
 * why (when not NULL) gets a one-line reason on error.
 */
int sipb_reginfo_parse(const char *doc, size_t len, struct sipb_reginfo *ri, char *why,
    size_t whylen);

/* Frees what sipb_reginfo_parse allocated; the struct is left empty. NULL is accepted. */
void sipb_reginfo_free(struct sipb_reginfo *ri);

/* What a subscriber does with a document (RFC 3680 §4.4 / §5.2 version rules). */
enum sipb_reginfo_verdict {
	SIPB_REGINFO_APPLY = 0,   /* full state, or the next partial version */
	SIPB_REGINFO_STALE,       /* partial with a version already seen: ignore */
	SIPB_REGINFO_GAP,         /* partial beyond the next version, or partial
	                           * before any full state: the state is unknown;
	                           * refresh the subscription to get full state */
};

/* have: a document was applied on this subscription before, last its version. */
enum sipb_reginfo_verdict sipb_reginfo_check(int have, unsigned long last,
    const struct sipb_reginfo *ri);

#endif
