/*
 * pap_msg_int.h - private glue between pap_msg_decode.c (parser, version,
 * errors) and pap_msg_elem.c (PAP elements and attributes). Not installed,
 * not for callers of the codec.
 */
#ifndef PAP_MSG_INT_H
#define PAP_MSG_INT_H

#include "pap/pap.h"

#include <libxml/tree.h>

/* State of one pap_msg_decode call. */
struct pap_dec {
	const struct pap_limits *lim;
	struct pap_error *err;
	xmlDocPtr doc;
	struct pap_msg *m;
	size_t total_addrs;      /* <address> elements seen in the whole document */
	/* set by the SAX hooks while parsing */
	int depth, too_deep, entity;
	char xmlerr[128];        /* first libxml2 error message */
};

/* Records an error (code, formatted desc, start tag of el as fragment when el
 * is not NULL) in d->err and returns rc. */
int pap_dec_fail(struct pap_dec *d, int rc, int code, xmlNodePtr el, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Bounds every attribute value of the tree under el by d->lim->max_attr:
 * 0 or -E2BIG. */
int pap_dec_attr_sizes(struct pap_dec *d, xmlNodePtr el);

/* Decodes the <pap> root element and its message into d->m (allocated by
 * the caller, zeroed, version set). 0, -EINVAL, -E2BIG or -ENOMEM, with
 * d->err filled on failure. */
int pap_dec_root(struct pap_dec *d, xmlNodePtr root);

#endif /* PAP_MSG_INT_H */
