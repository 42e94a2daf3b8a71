/*
 * pap_test_common.h - what the CUnit programs of the PAP codec
 * (pap/) share: the default limits, the reading of a vector under
 * tests/vectors, decoding that must succeed or fail with a given code.
 *
 * Every function runs on the test program's thread ([any]).
 */
#ifndef PAP_TEST_COMMON_H
#define PAP_TEST_COMMON_H

#include "pap/pap.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const struct pap_limits deflim;

int streq(const char *a, const char *b);

/* Reads a vector under tests/vectors; fails the test when absent. */
char *vec(const char *rel, size_t *len);

/* Decodes a document that must be valid; NULL (and a failed assertion) otherwise. */
struct pap_msg *decode_ok(const void *xml, size_t len);

/* Decodes a document that must fail with rc and code; returns err. */
struct pap_error decode_bad(const char *xml, const struct pap_limits *lim, int rc,
    int code);

struct addr_case {
	const char *in;
	int ok;
	enum pap_addr_type type;
	const char *value;
	const char *ppg;
	int is_uri;
	const char *wina;
};

#define GOOD(in, t, v, ppg, uri) { in, 1, t, v, ppg, uri, "" }
#define WINA(in, w, v, ppg) { in, 1, PAP_ADDR_WINA, v, ppg, 0, w }
#define BAD(in) { in, 0, 0, NULL, NULL, 0, NULL }

extern const struct addr_case addr_cases[75];

void addr_eq(const struct pap_addr *a, const struct pap_addr *b);

int mime(const char *ct, const char *body, struct pap_mime *m, const char **reason);

int body_is(const struct pap_mime_part *p, const char *s);

/* Attribute text that needs every kind of escaping. */
extern const char nasty[];

void msg_eq(const struct pap_msg *a, const struct pap_msg *b);

/* Encodes m, decodes the result, compares, and checks that re-encoding the
 * decoded message gives the same bytes. Returns the encoding (caller frees). */
char *roundtrip(const struct pap_msg *m);

/* Fills addrs[i] from raw address-values the way the decoder would. */
void mk_addrs(struct pap_msg_addr *addrs, const char *const *raw, size_t n);

#endif
