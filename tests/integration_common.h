/*
 * integration_common.h - what the programs that drive the real ppgd over
 * HTTP share (tests/test_integration_*.c): the ppgd on 127.0.0.1, driven by
 * libcurl, by raw sockets (captured requests replayed byte for byte), by
 * Kannel's test_ppg and by the npm blackberry-push client.
 *
 * Each suite runs its own daemon with a generated config in a tmpdir. A suite
 * never fails its init (CUnit would then skip its tests without counting a
 * failure): a daemon that does not start makes each of its tests fail.
 * Answers are parsed with pap_msg_decode; a failed check prints the request,
 * the answer and the tail of the daemon log.
 *
 * Here: the failure context (the last exchange) and EXPECT, the document
 * builders, the PAP exchanges, the daemons of the suites.
 *
 * Every function runs on the test program's thread ([any]).
 */
#ifndef INTEGRATION_COMMON_H
#define INTEGRATION_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "pap/pap.h"
#include "tests/itest.h"
#include "tests/test_util.h"

#include <CUnit/Basic.h>
#include <crypt.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BOUNDARY "itest-7d3f0a1b"
#define MULTIPART_CT "multipart/related; boundary=" BOUNDARY "; type=\"application/xml\""

#define ADDR1 "WAPPUSH=+15551230001/TYPE=PLMN@ppg.example"
#define ADDR2 "WAPPUSH=+15551230002/TYPE=PLMN@ppg.example"
#define ALICE "alice", ITEST_ALICE_SECRET
#define BOB   "bob", ITEST_BOB_SECRET

/* ---------------------------------------------------- failure context */

struct last_exchange {
	char *req;
	struct itest_resp resp;
	struct itest_daemon *d;
};
extern struct last_exchange last;

void remember(struct itest_daemon *d, const char *req, size_t len, struct itest_resp *r);

void dump_last(const char *file, unsigned line, const char *cond);

#define EXPECT_(cond, fatal) do { \
	int ok_ = (cond) ? 1 : 0; \
	if (!ok_) \
		dump_last(__FILE__, __LINE__, #cond); \
	CU_assertImplementation(ok_ ? CU_TRUE : CU_FALSE, __LINE__, #cond, __FILE__, "", fatal); \
} while (0)
#define EXPECT(cond) EXPECT_(cond, CU_FALSE)
#define EXPECT_FATAL(cond) EXPECT_(cond, CU_TRUE)

/* ---------------------------------------------------------- builders */

char *pap_doc(const char *doctype, const char *inner);

/* A push-message in a multipart/related body with an SI content entity.
 * addrs: NULL-terminated list of address-values. */
char *push_body_v(const char *doctype, const char *push_id, const char *attrs,
    const char *const *addrs);

char *base64(const char *s);

/* ------------------------------------------------------- exchanges */

/*
 * POSTs body to d's PAP URL and decodes the PAP answer. Checks the HTTP
 * status (want_status) and the Content-Type (application/xml). Returns the
 * decoded message (caller frees) or NULL, with the failure printed.
 */
struct pap_msg *pap_call_url(struct itest_daemon *d, const char *url, long want_status,
    const char *user, const char *pw, const char *ctype, const char *body);

extern long want_status;

struct pap_msg *pap_call(struct itest_daemon *d, const char *user, const char *pw,
    const char *ctype, const char *body);

/* The code of an answer: of its first result element, else of the message. */
int resp_code(const struct pap_msg *m);

enum pap_state resp_state(const struct pap_msg *m);

struct pap_msg *push_v(struct itest_daemon *d, const char *user, const char *pw,
    const char *doctype, const char *push_id, const char *attrs, const char *const *addrs);

/* Push to one address (ADDR1) in PAP 2.0; returns the response code. */
int push1(struct itest_daemon *d, const char *user, const char *pw, const char *push_id,
    const char *attrs);

/* A single application/xml message (cancel, statusquery, ccq ...). */
struct pap_msg *xml_call(struct itest_daemon *d, const char *user, const char *pw,
    const char *doctype, const char *inner);

/* statusquery of push_id; *code gets the result code. Returns the state. */
enum pap_state status_of(struct itest_daemon *d, const char *user, const char *pw,
    const char *push_id, int *code);

/* cancel of push_id; returns the code of the first cancel-result. */
int cancel_of(struct itest_daemon *d, const char *user, const char *pw, const char *push_id);

/* ------------------------------------------------- daemons per suite */

extern struct itest_daemon dpap, dauth, ddelay, dsingle, ddur, dvec, dkannel, dnpm;

/* Starts d with the standard config plus extras; failures are reported by
 * the tests (need()), never by the suite init. */
void start_std(struct itest_daemon *d, const char *tag, const char *server_extra,
    const char *extra_sections);

#define NEED(dmn) do { \
	if ((dmn).pid <= 0) \
		fprintf(stderr, "\nppgd is not running for this suite (see the start-up error above)\n"); \
	CU_ASSERT_FATAL((dmn).pid > 0); \
	last.d = &(dmn); \
} while (0)

int stop_suite(struct itest_daemon *d);

#endif
