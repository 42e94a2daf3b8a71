/*
 * ota_test_common.h - what the CUnit programs of the Push OTA
 * codec (otabearer/) share: hex and vector reading, byte comparison, a push
 * encoded and re-encoded.
 *
 * Every function runs on the test program's thread ([any]).
 */
#ifndef OTA_TEST_COMMON_H
#define OTA_TEST_COMMON_H

#include "otabearer/ota.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXPDU 2048

/* ------------------------------------------------------------ helpers */

/* Hex digits (spaces ignored) to bytes; returns the length or 0 on error. */
size_t unhex(const char *h, uint8_t *out, size_t cap);

char *vec(const char *rel, size_t *len);

int same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

int streq(const char *a, const char *b);

/* Encodes p; returns the length, *rc the error. */
size_t enc(const struct ota_push *p, uint8_t *out, size_t cap, int *rc);

struct ota_push push0(const char *ct);

/* Re-encodes a decoded push with the headers it carried. */
size_t reenc(const struct ota_push *d, uint8_t *out, size_t cap);

struct dgram {
	int port;
	uint8_t b[512];
	size_t len;
};

size_t read_datagrams(struct dgram *g, size_t max);

/* The hex code blocks of kannel_vectors_decoded.md, in order (A B C D F). */
size_t read_md_vectors(struct dgram *g, size_t max);

/* The fake SMSC's log: "udh <hex> | data len N | total M", "  data <hex>". */
size_t read_fakesmsc(struct ota_sms_segment *s, size_t max);

#endif
