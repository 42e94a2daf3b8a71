/*
 * ota_wbxml_int.h - token tables shared by the SI/SL/CO WBXML compiler
 * (ota_wbxml.c) and decoder (ota_wbxml_decode.c). Internal to otabearer/.
 */
#ifndef OTA_WBXML_INT_H
#define OTA_WBXML_INT_H

#include "otabearer/ota.h"

#define WBX_SWITCH_PAGE 0x00
#define WBX_END         0x01
#define WBX_ENTITY      0x02
#define WBX_STR_I       0x03
#define WBX_STR_T       0x83
#define WBX_OPAQUE      0xC3
#define WBX_HAS_ATTRS   0x80
#define WBX_HAS_CONTENT 0x40
#define WBX_VERSION_1_2 0x02
#define WBX_UTF8        0x6A
#define WBX_MAX_DEPTH   8

struct wbx_attr {
	uint8_t tok;
	const char *name;
	const char *prefix;    /* value the token stands for (start of it) */
};

struct wbx_elem {
	const char *name;
	uint8_t tok;
	const char *attrs;      /* allowed, " a b " */
	const char *required;   /* required attribute or NULL */
	const char *children;   /* allowed child elements " x y ", NULL: none */
	int text;               /* #PCDATA content */
};

struct wbx_doc {
	enum ota_wbxml_doc id;
	const char *root, *pubid, *sysid, *url_attr;
	const struct wbx_elem *elems;
	size_t nelems;
	const struct wbx_attr *attrs;
	size_t nattrs;
};

#define WBX_VALUE_FIRST 0x85    /* .com/ .edu/ .net/ .org/ */
#define WBX_NVALUES 4
#define WBX_NDOCS 3

/* SI, SL, CO in that order; attribute value tokens 0x85.. */
extern const struct wbx_doc ota_wbxml_docs[WBX_NDOCS];
extern const char *const ota_wbxml_values[WBX_NVALUES];

#endif
