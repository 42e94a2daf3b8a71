/*
 * e2e_expect.h - the failure context of the end-to-end programs that start
 * ppgd and peers (test_sip_e2e_*, test_ota_e2e_*, test_faults): a failed
 * EXPECT prints its condition, the tail of the current daemon's log (ctx_d)
 * and of up to four peer logs (ctx_files: sipp, kamailio, the SMSC, tshark),
 * then asserts through CUnit like CU_ASSERT. NEED makes a suite's daemon the
 * current one and stops the test when it did not start.
 *
 * Every function runs on the test program's thread ([any]).
 */
#ifndef E2E_EXPECT_H
#define E2E_EXPECT_H

#include "tests/itest.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

extern struct itest_daemon *ctx_d;     /* its log tail is printed on a failure */
extern const char *ctx_files[4];       /* more logs to show (peers) */

/* Prints cond at file:line, then the daemon's and the peers' log tails. */
void dump_ctx(const char *file, unsigned line, const char *cond);

#define EXPECT_T_(ok, text, fatal) do { \
	int ok_ = (ok); \
	if (!ok_) \
		dump_ctx(__FILE__, __LINE__, text); \
	CU_assertImplementation(ok_ ? CU_TRUE : CU_FALSE, __LINE__, text, __FILE__, "", fatal); \
} while (0)
#define EXPECT(cond) EXPECT_T_((cond) ? 1 : 0, #cond, CU_FALSE)
#define EXPECT_FATAL(cond) EXPECT_T_((cond) ? 1 : 0, #cond, CU_TRUE)

/* Integer equality with both values printed on a failure. */
#define EXPECT_INT(actual, expected) do { \
	long a_ = (long)(actual), e_ = (long)(expected); \
	if (a_ != e_) \
		fprintf(stderr, "\n  %s = %ld, expected %ld\n", #actual, a_, e_); \
	EXPECT_T_(a_ == e_, #actual " == " #expected, CU_FALSE); \
} while (0)

/* String equality (s may be NULL) with both printed on a failure. */
#define EXPECT_STR(actual, expected) do { \
	const char *a_ = (actual), *e_ = (expected); \
	int eq_ = a_ && e_ && !strcmp(a_, e_); \
	if (!eq_) \
		fprintf(stderr, "\n  %s = \"%s\", expected \"%s\"\n", #actual, a_ ? a_ : "(null)", e_); \
	EXPECT_T_(eq_, #actual " is " #expected, CU_FALSE); \
} while (0)

/* haystack contains needle, both printed on a failure. */
#define EXPECT_HAS(haystack, needle) do { \
	const char *h_ = (haystack), *n_ = (needle); \
	int in_ = h_ && n_ && strstr(h_, n_) != NULL; \
	if (!in_) \
		fprintf(stderr, "\n  %s = \"%s\" does not contain \"%s\"\n", #haystack, h_ ? h_ : "(null)", n_); \
	EXPECT_T_(in_, #haystack " contains " #needle, CU_FALSE); \
} while (0)

#define NEED(dmn) do { \
	if ((dmn).pid <= 0) \
		fprintf(stderr, "\nppgd is not running for this suite (see the start-up error above)\n"); \
	CU_ASSERT_FATAL((dmn).pid > 0); \
	ctx_d = &(dmn); \
} while (0)

/* The wall clock (gettimeofday), in seconds. */
double wall_now(void);

/* Sleeps s seconds; nothing when s <= 0. */
void sleep_s(double s);

#endif
